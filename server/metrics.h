/* metrics: the counters and histograms behind GET /metrics, in the
 * Prometheus text exposition format 0.0.4.
 *
 * Each worker owns one struct metrics and is its only writer, so the
 * request path takes no lock and shares no cache line: an update is a plain
 * load, add and relaxed atomic store, and the struct is aligned to its own
 * cache lines. A scrape (on whichever worker serves it) reads every
 * worker's struct with relaxed atomic loads and sums them; a scrape may
 * catch one worker a few requests further than another, never a torn
 * number.
 *
 * Labels are bounded by construction: the route is the route's template
 * (never a path or a key), the method one of five, the status one of the
 * codes lakefront answers with, the SQLSTATE its two-character class.
 *
 * metrics_render is pure (no I/O): the caller reads /proc, the catalog and
 * the credential provider (creds_info) and passes what it found in struct
 * metrics_extra.
 */
#ifndef LF_METRICS_H
#define LF_METRICS_H

#include <stdint.h>

#include "buf.h"

/* Histogram buckets, upper bounds in seconds: from 50 us (a request that
 * never reaches the database) to 10 s (twice the default deadline). */
#define METRICS_NBUCKETS 18

enum metrics_route {
    MR_HEALTHZ,
    MR_READYZ,
    MR_TABLES,
    MR_TABLE,
    MR_ROW,       /* /api/v1/tables/{table}/rows/{key} */
    MR_ROW_QUERY, /* /api/v1/tables/{table}/rows?... */
    MR_LOOKUP,
    MR_OPENAPI,
    MR_METRICS,
    MR_STATUS,
    MR_OTHER,     /* no route matched: unknown paths */
    MR_N
};

enum metrics_method { MM_GET, MM_HEAD, MM_POST, MM_OPTIONS, MM_OTHER, MM_N };

/* The statuses lakefront answers with, plus one slot for anything else. */
#define METRICS_NSTATUS 16

/* SQLSTATE classes counted one by one, plus one slot for the others. */
#define METRICS_NCLASSES 16

struct metrics_hist {
    uint64_t bucket[METRICS_NBUCKETS + 1]; /* per bucket, not cumulative; last: +Inf */
    uint64_t sum_us;
};

struct metrics {
    uint64_t requests[MR_N][MM_N][METRICS_NSTATUS];
    struct metrics_hist duration[MR_N];
    struct metrics_hist queue_wait;
    struct metrics_hist db;
    uint64_t db_errors[METRICS_NCLASSES];
    uint64_t merged_statements; /* merged executions of a batch statement (pool.c) */
    uint64_t merged_lookups;    /* single-row lookups they answered */
    /* Published by the owner every loop turn from its pool. */
    uint64_t db_reconnects;
    uint64_t conns_idle, conns_busy, conns_connecting;
    uint64_t queue_depth;
} __attribute__((aligned(64)));

/* What a scrape adds from outside the workers. */
struct metrics_extra {
    const char *version;
    long catalog_tables;         /* -1: no catalog yet */
    double catalog_refreshed_at; /* Unix seconds; 0: never */
    double start_time;           /* Unix seconds */
    double cpu_seconds;          /* user + system */
    double resident_bytes;
    double open_fds;
    /* The database credential (creds_info): when the one in use expires
     * (Unix s; 0: it does not, a static password, or there is none yet),
     * and the provider's renewals since start. */
    double credential_expires_at;
    uint64_t credential_refresh_ok, credential_refresh_failed;
};

/* The sums /api/v1/status shows, from the same counters a scrape reads.
 * A client error is a 4xx other than 404 (a miss is an answer, not a
 * mistake); a server error is a 5xx, except /readyz's 503, which is how
 * readiness says "not yet". A lookup is a request that asked for rows: a
 * GET or HEAD of a row (path or query form) or a POST of a batch,
 * whatever its answer, but not a CORS preflight (OPTIONS) nor a 405. */
struct metrics_summary {
    uint64_t requests, client_errors, server_errors; /* every route */
    uint64_t lookups, found, not_found;              /* found: 200 or 304 */
    uint64_t lookup_client_errors, lookup_server_errors;
    uint64_t conns_idle, conns_busy, conns_connecting, queue_depth, db_reconnects;
};

/* Sums the n workers' metrics into *out. Any thread. */
void metrics_summarize(struct metrics *const *all, int n, struct metrics_summary *out);

/* The route of a request: its router kind and, for a row, whether the key
 * came in the path (nparts > 0). kind is an enum route_kind. */
enum metrics_route metrics_route_of(int kind, int path_form);

enum metrics_method metrics_method_of(const char *method);

/* Owner thread only. */
void metrics_request(struct metrics *m, enum metrics_route route, enum metrics_method method,
                     unsigned status, uint64_t duration_us);
void metrics_observe(struct metrics_hist *h, uint64_t us);
void metrics_db_error(struct metrics *m, const char *sqlstate);
void metrics_set(uint64_t *gauge, uint64_t value);
/* One merged statement answered `lookups` single-row lookups. */
void metrics_merged(struct metrics *m, unsigned lookups);

/* The whole exposition: the n workers' metrics summed, and x. Any thread. */
void metrics_render(struct buf *out, struct metrics *const *all, int n,
                    const struct metrics_extra *x);

#endif
