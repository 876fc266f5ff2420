/* app: the one object shared by every thread.
 *
 * It holds the settings, the credential provider, the current catalog
 * snapshot and the readiness counters, and it runs the catalog thread: that
 * thread keeps one ordinary (blocking) libpq connection, loads the catalog at
 * start, then every catalog_refresh_s seconds, on SIGHUP and whenever a
 * worker reports a table gone, and publishes each new snapshot. Workers read
 * the snapshot; no request ever waits for the catalog thread.
 */
#ifndef LF_APP_H
#define LF_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "config.h"
#include "creds.h"

struct worker;

struct app {
    struct config cfg;
    struct creds_provider *creds;

    pthread_mutex_t lock;      /* guards catalog, the error texts and the kick flag */
    struct catalog *catalog;   /* current snapshot, NULL until loaded */
    uint64_t catalog_gen;      /* atomic: bumped on every publish */
    char catalog_error[256];   /* why the last load failed, "" if it did not */
    char db_error[256];        /* the last connection error of any pool */
    pthread_cond_t cat_cond;
    bool cat_kick;
    pthread_t cat_thread;
    bool cat_started;

    int ready_conns;           /* atomic: connections able to serve, all workers */
    uint64_t creds_gen;        /* atomic: bumped when a credential appears after none */
    int stopping;              /* atomic: shutdown has begun */
    int port;                  /* the port actually bound */

    int nworkers;
    struct worker **workers;

    double start_time;            /* Unix seconds, for process_start_time_seconds */
    uint64_t catalog_loaded_ms;   /* atomic: Unix ms of the last successful catalog load */
};

/* Fills kw/vals (room for at least 12 entries, NULL-terminated) with the
 * connection parameters of a new database connection; returns the value to
 * pass as expand_dbname. creds may be NULL. The strings borrow from app and
 * creds: use them before either changes. Any thread. */
int app_conn_params(const struct app *a, const struct creds *creds, const char **kw,
                    const char **vals);

/* The current catalog with a reference for the caller, or NULL. Any thread. */
struct catalog *app_catalog_get(struct app *a);

/* Asks the catalog thread for a refresh now. Any thread; never blocks long. */
void app_catalog_kick(struct app *a);

/* The credential provider's on_available callback (arg is the app): a
 * credential appeared after there was none, so the catalog loads now and
 * the workers retry their connections now. Any thread. */
void app_credential_available(void *arg);

/* Starts and stops the catalog thread (main thread). */
int app_catalog_start(struct app *a);
void app_catalog_stop(struct app *a);

/* Records the latest connection error (no secrets) for /readyz. Any thread. */
void app_set_db_error(struct app *a, const char *msg);

/* True when the credential provider has no credential to log in with;
 * why says what went wrong (no secret). Any thread. */
bool app_creds_missing(struct app *a, char *why, size_t whylen);

/* Why the last catalog load failed ("" if it did not), into out. Any thread. */
void app_catalog_error(struct app *a, char *out, size_t outlen);

/* The latest connection error of any pool ("" if none), into out. */
void app_db_error(struct app *a, char *out, size_t outlen);

/* Copies the readiness facts out under the lock; returns true when the
 * service is ready (catalog loaded and a connection up). Any thread. */
bool app_ready(struct app *a, char *why, size_t whylen);

#endif
