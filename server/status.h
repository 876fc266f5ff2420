/* status: the body of GET /api/v1/status, one JSON object about the
 * service for people and frontends: version, uptime, workers, the pool,
 * the queue, the credential, the catalog, and the counts of requests,
 * lookups and errors since start (README "Operations" shows one).
 *
 * Pure: no I/O. http.c gathers the facts when the page is asked for (the
 * workers' metrics summed, the settings, creds_info, the catalog) and
 * nothing is computed on the request path otherwise. Times are RFC 3339
 * UTC strings with milliseconds, as in the log ("2026-11-23T06:36:22.000Z"),
 * or null when unknown. Never a secret: the credential is described by
 * creds_info, which holds none.
 */
#ifndef LF_STATUS_H
#define LF_STATUS_H

#include "buf.h"
#include "creds.h"
#include "metrics.h"

struct status_facts {
    const char *version;
    double now;                     /* Unix s */
    double start_time;              /* Unix s */
    int workers;
    int pool_size;                  /* connections in total (the setting) */
    int queue_limit;                /* lookups that may wait, in total */
    struct metrics_summary m;       /* metrics_summarize of every worker */
    const struct creds_info *cred;  /* borrowed */
    long catalog_tables;            /* -1: no catalog loaded yet */
    double catalog_refreshed_at;    /* Unix s of the last successful load; 0: never */
    const char *catalog_error;      /* why the last load failed; NULL or "": it did not */
};

/* Appends the status object to out. f and what it points to are only read. */
void status_render(struct buf *out, const struct status_facts *f);

/* Appends t (Unix s) as a quoted RFC 3339 UTC string with milliseconds,
 * or null when t <= 0. */
void status_time(struct buf *out, double t);

#endif
