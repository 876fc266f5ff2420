/* lakefront: serves primary-key lookups of Lakebase synced tables as JSON.
 *
 * main() reads like the table of contents of the service:
 *   settings (config) -> logging (log) -> credentials (creds) -> one worker
 *   per core, each with its HTTP daemon and its share of the database pool
 *   (worker, http, pool) -> the catalog thread (app, catalog) -> signals, until
 *   SIGTERM/SIGINT -> drain and stop.
 * Signals are blocked in every thread and taken here with sigwaitinfo, so no
 * code runs in signal context.
 *
 * `lakefront check [flags]` reads the same settings, walks the same path
 * once (credential, connection, catalog, one lookup per table), reports and
 * exits (check.c).
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "app.h"
#include "check.h"
#include "config.h"
#include "creds.h"
#include "dbxconf.h"
#include "dial.h"
#include "log.h"
#include "oauth.h"
#include "worker.h"
#include "xalloc.h"

static void print_version(void)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    int pq = PQlibVersion();
    printf("lakefront %s\n", LF_VERSION);
    printf("libmicrohttpd %s\n", MHD_get_version());
    printf("libpq %d.%d\n", pq / 10000, pq % 10000);
    printf("cJSON %s\n", cJSON_Version());
    printf("libcurl %s (%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
}

/* Every idle keep-alive connection is a file descriptor: lift the soft
 * limit to the hard one so max_connections is reachable. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void log_start(const struct app *a)
{
    const struct config *c = &a->cfg;
    struct logline l;
    if (!logline_begin(&l, LOG_INFO, "starting", NULL))
        return;
    logline_str(&l, "version", LF_VERSION);
    logline_str(&l, "libmicrohttpd", MHD_get_version());
    logline_int(&l, "libpq", PQlibVersion());
    logline_str(&l, "auth", a->creds->name);
    logline_int(&l, "workers", a->nworkers);
    logline_int(&l, "pool_size", c->pool_size);
    logline_int(&l, "queue_limit", c->queue_limit);
    logline_int(&l, "request_timeout_ms", c->request_timeout_ms);
    logline_int(&l, "pipeline_depth", c->pipeline_depth);
    logline_int(&l, "merge_wait_us", c->merge_wait_us);
    /* The URL may hold a password: say only whether one is set. */
    logline_bool(&l, "database_url_set", c->database_url[0] != '\0');
    logline_end(&l);
}

int main(int argc, char **argv)
{
    struct app app;
    char err[2048];
    int rc = 1, started = 0;

    /* The preflight: argv[1] plays argv[0] for its flags. */
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return check_run(argc - 1, argv + 1, stdout);

    memset(&app, 0, sizeof app);
    struct timespec started_at;
    clock_gettime(CLOCK_REALTIME, &started_at);
    app.start_time = (double)started_at.tv_sec + (double)started_at.tv_nsec / 1e9;
    pthread_mutex_init(&app.lock, NULL);

    switch (config_load(&app.cfg, argc, argv, err, sizeof err)) {
    case CONFIG_RUN:
        break;
    case CONFIG_HELP:
        config_print_help(stdout);
        config_free(&app.cfg);
        return 0;
    case CONFIG_VERSION:
        print_version();
        config_free(&app.cfg);
        return 0;
    case CONFIG_INVALID:
        fprintf(stderr, "lakefront: invalid settings:\n%s", err);
        config_free(&app.cfg);
        return 2;
    }
    log_set_level((enum log_level)app.cfg.log_level);
    raise_fd_limit();

    /* Block the signals we handle before any thread exists, so every thread
     * inherits the mask and only sigwaitinfo below sees them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* Who logs in to Postgres: a static password (libpq's environment) or
     * Lakebase OAuth credentials minted through the workspace API. */
    struct dbx_settings dbx;
    if (dbxconf_resolve(&dbx, app.cfg.auth, err, sizeof err) != 0) {
        fprintf(stderr, "lakefront: invalid settings:\n%s\n", err);
        config_free(&app.cfg);
        return 2;
    }
    if (dbx.enabled) {
        app.creds = oauth_provider_new(&dbx, app_credential_available, &app, err, sizeof err);
        if (app.creds == NULL) {
            log_msg(LOG_ERROR, "%s", err);
            config_free(&app.cfg);
            return 1;
        }
    } else {
        app.creds = creds_static_new();
    }
    app.nworkers = app.cfg.workers;
    app.workers = xcalloc((size_t)app.nworkers, sizeof *app.workers);
    log_start(&app);

    /* The pool and the queue limit are totals: split them, the first
     * workers taking the remainder. */
    int port = app.cfg.port;
    for (int i = 0; i < app.nworkers; i++) {
        int conns = app.cfg.pool_size / app.nworkers + (i < app.cfg.pool_size % app.nworkers);
        int queue = app.cfg.queue_limit / app.nworkers + (i < app.cfg.queue_limit % app.nworkers);
        app.workers[i] = xcalloc(1, sizeof **app.workers);
        if (worker_init(app.workers[i], &app, i, conns, queue, &port, err, sizeof err) != 0) {
            log_msg(LOG_ERROR, "%s", err);
            goto out;
        }
    }
    app.port = port;
    struct logline l;
    if (logline_begin(&l, LOG_INFO, "listening", NULL)) {
        logline_str(&l, "address", app.cfg.host);
        logline_int(&l, "port", port);
        logline_end(&l);
    }

    if (app_catalog_start(&app) != 0) {
        log_msg(LOG_ERROR, "cannot start the catalog thread");
        goto out;
    }
    for (; started < app.nworkers; started++)
        if (worker_start(app.workers[started]) != 0) {
            log_msg(LOG_ERROR, "cannot start worker %d", started);
            goto out;
        }

    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&sigs, &si);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            log_msg(LOG_ERROR, "sigwaitinfo: %s", strerror(errno));
            break;
        }
        if (sig == SIGHUP) {
            log_msg(LOG_INFO, "SIGHUP: refreshing the catalog");
            app_catalog_kick(&app);
            continue;
        }
        log_msg(LOG_INFO, "%s: finishing requests in flight, then stopping",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    rc = 0;

out:
    __atomic_store_n(&app.stopping, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < started; i++)
        worker_wake(app.workers[i]);
    for (int i = 0; i < app.nworkers; i++)
        if (app.workers[i] != NULL) {
            worker_join(app.workers[i]);
            free(app.workers[i]);
        }
    app_catalog_stop(&app);
    /* Connection attempts still running (dial.h) stop within 100 ms of
     * their pool closing, unless stuck in a host name lookup: exit only
     * when none is inside libpq, or after a bounded wait. */
    int dialing = dial_wait_all(2000);
    if (dialing > 0)
        log_msg(LOG_WARN, "exiting with %d database connection attempts still running", dialing);
    free(app.workers);
    catalog_unref(app.catalog);
    creds_provider_free(app.creds);
    curl_global_cleanup();
    if (rc == 0)
        log_msg(LOG_INFO, "stopped");
    config_free(&app.cfg);
    pthread_mutex_destroy(&app.lock);
    return rc;
}
