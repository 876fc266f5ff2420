/* config: every setting of lakefront, from the environment and the command
 * line, validated in full before anything starts.
 *
 * One table in config.c lists each setting once: its environment variable,
 * its flag, its type and range, its default and its help line. --help is
 * printed from that table, so it cannot go stale. A flag beats its variable.
 * Secrets (the database URL's password) are never printed: config_describe
 * redacts them.
 *
 * The standard libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, PGSSLMODE, PGAPPNAME, ...) are read by libpq itself when
 * LAKEFRONT_DATABASE_URL does not name a value.
 */
#ifndef LF_CONFIG_H
#define LF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
    char *host;               /* listen address */
    int port;                 /* listen port; 0 picks a free one */
    bool port_from_app;       /* port came from DATABRICKS_APP_PORT */
    char *database_url;       /* LAKEFRONT_DATABASE_URL, "" when unset; may hold a secret */
    char **schemas;           /* schemas to serve; NULL-terminated; empty = all non-system */
    char **tables;            /* allowlist of "schema.table"; NULL-terminated; empty = all */
    int catalog_refresh_s;
    int workers;              /* event-loop threads */
    int pool_size;            /* database connections in total */
    int queue_limit;          /* lookups waiting for a connection, in total */
    int request_timeout_ms;
    int pipeline_depth;       /* lookups one round trip of a connection carries */
    int merge_wait_us;        /* longest wait for the worker's round trip in flight (pool.c) */
    int conn_max_lifetime_s;
    int connect_timeout_ms;
    int statement_timeout_ms; /* 0: the request timeout */
    bool access_log;
    int slow_ms;              /* log requests slower than this; 0: off */
    bool server_timing;       /* Server-Timing header on API responses */
    bool metrics;             /* /metrics and /api/v1/metrics */
    int batch_max_keys;       /* keys in one batch lookup */
    int max_body_bytes;       /* largest request body */
    char *cache_control;      /* Cache-Control of a row's 200 */
    char **cors_origins;      /* allowed origins, NULL-terminated; {"*"}; empty: no CORS */
    int cors_max_age_s;
    int log_level;            /* enum log_level */
    int shutdown_timeout_ms;
    int max_connections;      /* HTTP connections, in total */
    char *auth;               /* LAKEFRONT_AUTH: "", "password" or "databricks" (dbxconf checks) */
};

enum config_result {
    CONFIG_RUN = 0,     /* settings valid: start the service */
    CONFIG_HELP,        /* --help was given */
    CONFIG_VERSION,     /* --version was given */
    CONFIG_INVALID,     /* a bad value: err says which setting and what is accepted */
};

/* Fills c from the environment and argv. On CONFIG_INVALID, err (errlen
 * bytes) holds one line per problem found. c must be freed with config_free
 * whatever the result. Startup only, single-threaded. */
enum config_result config_load(struct config *c, int argc, char **argv, char *err,
                               size_t errlen);

void config_free(struct config *c);

/* Prints the settings table (for --help). */
void config_print_help(FILE *out);

#endif
