/* app: see app.h. The catalog thread lives here. */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "worker.h"

int app_conn_params(const struct app *a, const struct creds *creds, const char **kw,
                    const char **vals)
{
    int n = 0, expand = 0;

    /* The URL comes first: with expand_dbname, the entries after it
     * override what it says, and libpq fills whatever neither names from
     * the PG* environment variables. */
    if (a->cfg.database_url[0] != '\0') {
        kw[n] = "dbname";
        vals[n++] = a->cfg.database_url;
        expand = 1;
    }
    kw[n] = "client_encoding";
    vals[n++] = "UTF8";
    /* PGAPPNAME, when set (Databricks Apps sets it), names the connections;
     * otherwise they show as lakefront in pg_stat_activity. */
    kw[n] = "fallback_application_name";
    vals[n++] = "lakefront";
    if (creds != NULL && creds->user != NULL) {
        kw[n] = "user";
        vals[n++] = creds->user;
    }
    if (creds != NULL && creds->password != NULL) {
        kw[n] = "password";
        vals[n++] = creds->password;
    }
    kw[n] = NULL;
    vals[n] = NULL;
    return expand;
}

struct catalog *app_catalog_get(struct app *a)
{
    pthread_mutex_lock(&a->lock);
    struct catalog *c = a->catalog;
    if (c != NULL)
        catalog_ref(c);
    pthread_mutex_unlock(&a->lock);
    return c;
}

void app_catalog_kick(struct app *a)
{
    pthread_mutex_lock(&a->lock);
    a->cat_kick = true;
    pthread_cond_signal(&a->cat_cond);
    pthread_mutex_unlock(&a->lock);
}

void app_credential_available(void *arg)
{
    struct app *a = arg;
    app_catalog_kick(a);
    __atomic_add_fetch(&a->creds_gen, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < a->nworkers; i++)
        if (a->workers[i] != NULL)
            worker_wake(a->workers[i]);
}

void app_set_db_error(struct app *a, const char *msg)
{
    pthread_mutex_lock(&a->lock);
    snprintf(a->db_error, sizeof a->db_error, "%.200s", msg);
    pthread_mutex_unlock(&a->lock);
}

void app_db_error(struct app *a, char *out, size_t outlen)
{
    pthread_mutex_lock(&a->lock);
    snprintf(out, outlen, "no connection of this worker is up%s%s", a->db_error[0] ? ": " : "",
             a->db_error);
    pthread_mutex_unlock(&a->lock);
}

void app_catalog_error(struct app *a, char *out, size_t outlen)
{
    pthread_mutex_lock(&a->lock);
    snprintf(out, outlen, "%s", a->catalog_error);
    pthread_mutex_unlock(&a->lock);
}

bool app_creds_missing(struct app *a, char *why, size_t whylen)
{
    char reason[256] = "";
    struct creds *c = creds_acquire(a->creds, reason, sizeof reason);
    if (c != NULL) {
        creds_unref(c);
        return false;
    }
    snprintf(why, whylen, "no database credential: %s", reason);
    return true;
}

bool app_ready(struct app *a, char *why, size_t whylen)
{
    bool ready = false;
    /* Without a credential nothing else can work; say that first. */
    if (app_creds_missing(a, why, whylen))
        return false;
    pthread_mutex_lock(&a->lock);
    if (a->catalog == NULL)
        snprintf(why, whylen, "the catalog is not loaded yet%s%s",
                 a->catalog_error[0] ? ": " : "", a->catalog_error);
    else if (__atomic_load_n(&a->ready_conns, __ATOMIC_RELAXED) == 0)
        snprintf(why, whylen, "no database connection is up%s%s", a->db_error[0] ? ": " : "",
                 a->db_error);
    else
        ready = true, snprintf(why, whylen, "ok");
    pthread_mutex_unlock(&a->lock);
    return ready;
}

/* ------------------------------------------------------------ catalog thread */

static PGconn *catalog_connect(struct app *a, char *err, size_t errlen)
{
    const char *kw[16], *vals[16];
    char why[200] = "";
    struct creds *cr = creds_acquire(a->creds, why, sizeof why);
    if (cr == NULL) {
        snprintf(err, errlen, "no database credential: %s", why);
        return NULL;
    }
    /* A blocking connect needs libpq's own timeout (whole seconds, at
     * least 2 as libpq advises). */
    char timeout[16];
    int timeout_s = (a->cfg.connect_timeout_ms + 999) / 1000;
    snprintf(timeout, sizeof timeout, "%d", timeout_s < 2 ? 2 : timeout_s);
    int expand = app_conn_params(a, cr, kw, vals), n = 0;
    while (kw[n] != NULL)
        n++;
    kw[n] = "connect_timeout";
    vals[n++] = timeout;
    kw[n] = vals[n] = NULL;
    PGconn *conn = PQconnectdbParams(kw, vals, expand);
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(conn);
        snprintf(err, errlen, "%.*s", (int)strcspn(msg, "\n"), msg);
        if (strstr(msg, "password authentication failed") != NULL)
            creds_login_failed(a->creds, cr);
        PQfinish(conn);
        creds_unref(cr);
        return NULL;
    }
    creds_unref(cr);
    /* The catalog query must not hang the thread that SIGHUP relies on. */
    PQclear(PQexec(conn, "SET statement_timeout = 10000"));
    return conn;
}

static void publish(struct app *a, struct catalog *c)
{
    pthread_mutex_lock(&a->lock);
    struct catalog *old = a->catalog;
    bool same = old != NULL && catalog_equal(old, c);
    if (!same) {
        a->catalog = c;
        __atomic_add_fetch(&a->catalog_gen, 1, __ATOMIC_RELEASE);
    }
    a->catalog_error[0] = '\0';
    pthread_mutex_unlock(&a->lock);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    __atomic_store_n(&a->catalog_loaded_ms,
                     (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, __ATOMIC_RELAXED);
    if (same) {
        catalog_unref(c);
        return;
    }
    catalog_unref(old);
    /* Workers pick the snapshot up at their next turn: wake them so that a
     * new table is served now, not at the next timer. */
    for (int i = 0; i < a->nworkers; i++)
        if (a->workers[i] != NULL)
            worker_wake(a->workers[i]);
    struct logline l;
    if (logline_begin(&l, LOG_INFO, "catalog loaded", NULL)) {
        logline_int(&l, "tables", (long long)c->ntables);
        logline_end(&l);
    }
}

static void *catalog_main(void *arg)
{
    struct app *a = arg;
    PGconn *conn = NULL;

    while (!__atomic_load_n(&a->stopping, __ATOMIC_RELAXED)) {
        char err[512] = "";
        if (conn != NULL && PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (conn == NULL)
            conn = catalog_connect(a, err, sizeof err);
        struct catalog *c = conn ? catalog_load(conn, &a->cfg, err, sizeof err) : NULL;
        if (c != NULL) {
            publish(a, c);
        } else {
            pthread_mutex_lock(&a->lock);
            snprintf(a->catalog_error, sizeof a->catalog_error, "%.200s", err);
            pthread_mutex_unlock(&a->lock);
            struct logline l;
            if (logline_begin(&l, LOG_WARN, "catalog load failed", NULL)) {
                logline_str(&l, "error", err);
                logline_end(&l);
            }
        }

        /* Wait for the refresh interval, a kick (SIGHUP, a table gone) or
         * shutdown. After a failure, try again sooner. */
        int wait_s = c != NULL ? a->cfg.catalog_refresh_s : 2;
        if (wait_s > a->cfg.catalog_refresh_s)
            wait_s = a->cfg.catalog_refresh_s;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_s;
        pthread_mutex_lock(&a->lock);
        while (!a->cat_kick && !__atomic_load_n(&a->stopping, __ATOMIC_RELAXED))
            if (pthread_cond_timedwait(&a->cat_cond, &a->lock, &until) == ETIMEDOUT)
                break;
        a->cat_kick = false;
        pthread_mutex_unlock(&a->lock);
    }
    PQfinish(conn);
    return NULL;
}

int app_catalog_start(struct app *a)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cat_cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&a->cat_thread, NULL, catalog_main, a) != 0)
        return -1;
    a->cat_started = true;
    return 0;
}

void app_catalog_stop(struct app *a)
{
    if (!a->cat_started)
        return;
    pthread_mutex_lock(&a->lock);
    __atomic_store_n(&a->stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&a->cat_cond);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->cat_thread, NULL);
    a->cat_started = false;
    pthread_cond_destroy(&a->cat_cond);
}
