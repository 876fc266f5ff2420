/* check: see check.h.
 *
 * Each step is a function that fills a one-line summary (or, when it fails,
 * the reason) and optional detail lines; check_run times it and prints it as
 * soon as it ends, so a step that hangs (a firewalled host, a slow
 * workspace) shows which one it is. The steps reuse the server's own code
 * wherever it can block safely: config_load, dbxconf_resolve,
 * oauth_fetch_once, app_conn_params, catalog_load, the catalog's lookup SQL
 * and rowjson. What the server does asynchronously (the pool), this does
 * with libpq's blocking calls and the same statements.
 */
#include "check.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "config.h"
#include "creds.h"
#include "dbxconf.h"
#include "jsonw.h"
#include "log.h"
#include "oauth.h"
#include "rowjson.h"
#include "session.h"

/* Tables named one by one in the catalog step; the rest are counted. */
#define CATALOG_LIST_MAX 20

struct check {
    int argc;
    char **argv;
    FILE *out;
    struct app app;          /* only app.cfg is filled: app_conn_params reads nothing else */
    bool cfg_loaded;
    struct dbx_settings dbx; /* resolved settings; the credential step hands them over */
    struct creds *cred;      /* the minted credential; NULL: libpq's own login */
    PGconn *conn;
    struct catalog *cat;
};

/* What a step reports: a summary line, and detail lines (each ending with
 * '\n') printed beneath it. */
struct step_out {
    struct buf line;
    struct buf more;
};

/* 0: passed; -1: failed (line says why); 1: nothing to check (--help,
 * --version were answered): stop and exit 0. */
typedef int (*step_fn)(struct check *k, struct step_out *o);

/* ------------------------------------------------------------ helpers */

/* Appends a libpq message: its first line to line, the others (libpq adds
 * hints, and one line per host it tried) to more. */
static void put_pq_message(struct step_out *o, const char *msg)
{
    size_t n = strcspn(msg, "\n");
    buf_append(&o->line, msg, n);
    for (msg += n; *msg != '\0'; msg += n) {
        msg += strspn(msg, "\n\t ");
        n = strcspn(msg, "\n");
        if (n > 0)
            buf_printf(&o->more, "%.*s\n", (int)n, msg);
    }
}

static void put_list(struct buf *b, char **list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        buf_printf(b, "%s%s", i ? ", " : "", list[i]);
}

/* Where the configured tables come from, for the settings line and the
 * catalog's failure: "schemas: all" or "schemas: a, b", and the allowlist. */
static void put_scope(struct buf *b, const struct config *c)
{
    buf_puts(b, "schemas: ");
    if (c->schemas[0] == NULL)
        buf_puts(b, "all");
    else
        put_list(b, c->schemas);
    if (c->tables[0] != NULL) {
        buf_puts(b, "; tables: ");
        put_list(b, c->tables);
    }
}

/* Which password libpq will send, by where it comes from (never its value),
 * in libpq's own order of precedence. */
static void put_password_source(struct buf *b, const struct config *c)
{
    if (c->database_url[0] != '\0') {
        PQconninfoOption *opts = PQconninfoParse(c->database_url, NULL);
        bool in_url = false;
        for (PQconninfoOption *p = opts; p != NULL && p->keyword != NULL; p++)
            if (strcmp(p->keyword, "password") == 0 && p->val != NULL && p->val[0] != '\0')
                in_url = true;
        PQconninfoFree(opts);
        if (in_url) {
            buf_puts(b, "the password in LAKEFRONT_DATABASE_URL");
            return;
        }
    }
    const char *pw = getenv("PGPASSWORD");
    if (pw != NULL && pw[0] != '\0') {
        buf_puts(b, "PGPASSWORD");
        return;
    }
    const char *file = getenv("PGPASSFILE"), *home = getenv("HOME");
    char path[512] = "";
    if (file != NULL && file[0] != '\0')
        snprintf(path, sizeof path, "%s", file);
    else if (home != NULL)
        snprintf(path, sizeof path, "%s/.pgpass", home);
    if (path[0] != '\0' && access(path, R_OK) == 0)
        buf_printf(b, "the line of %s that matches, if any", path);
    else
        buf_puts(b, "no password (none in PGPASSWORD, ~/.pgpass or the URL)");
}

/* ------------------------------------------------------------ the steps */

static int step_settings(struct check *k, struct step_out *o)
{
    struct config *c = &k->app.cfg;
    char err[2048] = "";

    k->cfg_loaded = true;
    switch (config_load(c, k->argc, k->argv, err, sizeof err)) {
    case CONFIG_RUN:
        break;
    case CONFIG_HELP:
        config_print_help(k->out);
        return 1;
    case CONFIG_VERSION:
        fprintf(k->out, "lakefront %s\n", LF_VERSION);
        return 1;
    case CONFIG_INVALID:
        /* The server's own message (it exits 2 with it); here it is a
         * failed step like any other. */
        buf_puts(&o->line, "invalid settings:");
        buf_puts(&o->more, err);
        return -1;
    }
    /* The report is for people: the modules' info lines (JSON on stdout)
     * would be noise between its lines. Warnings and errors still show, and
     * an explicit debug level is honoured for whoever is digging. */
    log_set_level(c->log_level == LOG_DEBUG || c->log_level >= LOG_WARN
                      ? (enum log_level)c->log_level
                      : LOG_WARN);
    if (dbxconf_resolve(&k->dbx, c->auth, err, sizeof err) != 0) {
        buf_puts(&o->line, "invalid settings:");
        buf_printf(&o->more, "%s\n", err);
        return -1;
    }
    buf_printf(&o->line, "listen %s:%d%s, %d worker%s, pool %d, ", c->host, c->port,
               c->port_from_app ? " (DATABRICKS_APP_PORT)" : "", c->workers,
               c->workers == 1 ? "" : "s", c->pool_size);
    put_scope(&o->line, c);
    return 0;
}

static int step_credential(struct check *k, struct step_out *o)
{
    if (!k->dbx.enabled) {
        /* The server leaves the login to libpq too (creds_static_new): the
         * password is first tried at connect. */
        buf_puts(&o->line, "password: libpq's own login, with ");
        put_password_source(&o->line, &k->app.cfg);
        return 0;
    }

    /* oauth_fetch_once takes the settings: keep the host for the report. */
    char host[256], err[512] = "";
    struct creds_info info;
    memset(&info, 0, sizeof info);
    snprintf(host, sizeof host, "%s", k->dbx.host);
    k->cred = oauth_fetch_once(&k->dbx, &info, err, sizeof err);
    if (k->cred == NULL) {
        buf_puts(&o->line, err);
    } else {
        long left_s = (long)(info.expires_at - (double)time(NULL));
        buf_printf(&o->line,
                   "databricks: a credential for Postgres user %s, expires in %ld min %ld s",
                   k->cred->user ? k->cred->user : "(libpq's default)", left_s / 60, left_s % 60);
    }
    buf_printf(&o->more, "identity: %s\nworkspace: %s\ntarget: %s\n", info.identity, host,
               info.target);
    return k->cred != NULL ? 0 : -1;
}

static int step_connect(struct check *k, struct step_out *o)
{
    const struct config *c = &k->app.cfg;
    const char *kw[20], *vals[20];

    /* As catalog_connect in app.c: a blocking connect needs libpq's own
     * timeout, in whole seconds and at least 2 as libpq advises. */
    char timeout[16];
    int timeout_s = (c->connect_timeout_ms + 999) / 1000;
    snprintf(timeout, sizeof timeout, "%d", timeout_s < 2 ? 2 : timeout_s);
    int expand = app_conn_params(&k->app, k->cred, kw, vals), n = 0;
    while (kw[n] != NULL)
        n++;
    kw[n] = "connect_timeout";
    vals[n++] = timeout;
    kw[n] = vals[n] = NULL;

    k->conn = PQconnectdbParams(kw, vals, expand);
    if (k->conn == NULL) {
        buf_puts(&o->line, "libpq is out of memory");
        return -1;
    }
    if (PQstatus(k->conn) != CONNECTION_OK) {
        put_pq_message(o, PQerrorMessage(k->conn));
        return -1;
    }
    const char *version = PQparameterStatus(k->conn, "server_version");
    buf_printf(&o->line, "PostgreSQL %s at %s:%s/%s as %s, ", version ? version : "(unknown)",
               PQhost(k->conn), PQport(k->conn), PQdb(k->conn), PQuser(k->conn));
    if (PQsslInUse(k->conn)) {
        const char *proto = PQsslAttribute(k->conn, "protocol");
        const char *cipher = PQsslAttribute(k->conn, "cipher");
        buf_printf(&o->line, "%s %s", proto ? proto : "TLS", cipher ? cipher : "");
    } else {
        buf_puts(&o->line, "not encrypted");
    }

    /* The pool runs these on every connection before its first lookup; the
     * lookups below must see values formatted as they would be there. */
    struct buf sql = BUF_INIT;
    session_setup_sql(&sql, c->statement_timeout_ms);
    PGresult *res = PQexec(k->conn, sql.data);
    buf_free(&sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        buf_reset(&o->line);
        buf_puts(&o->line, "the session settings failed: ");
        put_pq_message(o, PQresultErrorMessage(res));
        rc = -1;
    }
    PQclear(res);
    return rc;
}

static int step_catalog(struct check *k, struct step_out *o)
{
    const struct config *c = &k->app.cfg;
    char err[512] = "";

    k->cat = catalog_load(k->conn, c, err, sizeof err);
    if (k->cat == NULL) {
        put_pq_message(o, err);
        return -1;
    }
    if (k->cat->ntables == 0) {
        buf_printf(&o->line, "no table with a primary key that %s may read, in ",
                   PQuser(k->conn));
        put_scope(&o->line, c);
        return -1;
    }
    size_t nt = k->cat->ntables;
    buf_printf(&o->line, "%zu table%s to serve", nt, nt == 1 ? "" : "s");
    for (size_t i = 0; i < nt && i < CATALOG_LIST_MAX; i++) {
        const struct cat_table *t = &k->cat->tables[i];
        buf_printf(&o->more, "serves %s (key ", t->name);
        for (size_t j = 0; j < t->nkeys; j++)
            buf_printf(&o->more, "%s%s", j ? ", " : "", t->keys[j].name);
        buf_printf(&o->more, "; %zu column%s)\n", t->ncols, t->ncols == 1 ? "" : "s");
    }
    if (nt > CATALOG_LIST_MAX)
        buf_printf(&o->more, "and %zu more\n", nt - CATALOG_LIST_MAX);
    return 0;
}

/* SELECT "k1"::text, ... FROM "s"."t" LIMIT 1: one key as clients would
 * send it (the text form), identifiers quoted by libpq. NULL on failure. */
static char *first_key_sql(PGconn *conn, const struct cat_table *t)
{
    struct buf b = BUF_INIT;
    const char *parts[KEYS_MAX + 2];
    size_t np = 0;
    for (size_t i = 0; i < t->nkeys; i++)
        parts[np++] = t->keys[i].name;
    parts[np++] = t->schema;
    parts[np++] = t->table;
    buf_puts(&b, "SELECT ");
    for (size_t i = 0; i < np; i++) {
        char *q = PQescapeIdentifier(conn, parts[i], strlen(parts[i]));
        if (q == NULL) {
            buf_free(&b);
            return NULL;
        }
        if (i < t->nkeys)
            buf_printf(&b, "%s%s::text", i ? ", " : "", q);
        else
            buf_printf(&b, "%s%s", i == t->nkeys ? " FROM " : ".", q);
        PQfreemem(q);
    }
    buf_puts(&b, " LIMIT 1");
    return buf_steal(&b, NULL);
}

/* Row 0 of res, its columns from col0 on, as the server writes it (http.c:
 * by the result's own column types) into b, then parsed back to prove it is
 * JSON. Returns its length, or 0 when it does not parse. The row is the
 * user's data: it is never printed. */
static size_t encode_row(const PGresult *res, int col0, struct buf *b_out)
{
    struct buf b = BUF_INIT;
    buf_putc(&b, '{');
    for (int i = col0, n = PQnfields(res); i < n; i++) {
        if (i > col0)
            buf_putc(&b, ',');
        jsonw_cstr(&b, PQfname(res, i));
        buf_putc(&b, ':');
        if (PQgetisnull(res, 0, i)) {
            buf_puts(&b, "null");
            continue;
        }
        enum rj_kind elem;
        enum rj_kind kind = rowjson_kind_for_oid(PQftype(res, i), &elem);
        rowjson_value(&b, kind, elem, PQgetvalue(res, 0, i), (size_t)PQgetlength(res, 0, i));
    }
    buf_putc(&b, '}');
    cJSON *parsed = cJSON_ParseWithLength(b.data, b.len);
    size_t len = parsed != NULL ? b.len : 0;
    cJSON_Delete(parsed);
    *b_out = b;
    return len;
}

/* The batch statement (POST .../lookup, and the merged GETs of a busy
 * server), or with any set its "= ANY" form (the merged GETs of a single
 * integer key), for the same key: it must find the row, and the row must
 * encode to the same bytes as the single-row lookup's. 0, or -1 with the
 * reason. */
static int batch_one(PGconn *conn, const struct cat_table *t, const PGresult *key,
                     const struct buf *single, bool any, struct buf *what)
{
    const char *stmt = any ? t->any_stmt : t->batch_stmt;
    const char *sql = any ? t->any_sql : t->batch_sql;
    const char *form = any ? "the \"= ANY\" lookup" : "the batch lookup";
    struct buf lits = BUF_INIT, json = BUF_INIT;
    size_t offs[KEYS_MAX];
    const char *values[KEYS_MAX];
    PGresult *prep = NULL, *res = NULL;
    int rc = -1;

    for (size_t i = 0; i < t->nkeys; i++) {
        offs[i] = lits.len;
        buf_putc(&lits, '{');
        keys_array_elem(&lits, PQgetvalue(key, 0, (int)i));
        buf_putc(&lits, '}');
        buf_putc(&lits, '\0');
    }
    for (size_t i = 0; i < t->nkeys; i++)
        values[i] = lits.data + offs[i];
    prep = PQprepare(conn, stmt, sql, (int)t->nkeys, NULL);
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
        buf_printf(what, "cannot prepare %s: %.*s", form,
                   (int)strcspn(PQresultErrorMessage(prep), "\n"), PQresultErrorMessage(prep));
        goto out;
    }
    res = PQexecPrepared(conn, stmt, (int)t->nkeys, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        buf_printf(what, "%s failed: %.*s", form,
                   (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
        goto out;
    }
    if (PQntuples(res) != 1 || (!any && PQgetvalue(res, 0, 0)[0] != 't')) {
        buf_printf(what, "%s did not find the row the single-row lookup found", form);
        goto out;
    }
    if (encode_row(res, any ? 0 : 1, &json) == 0 || json.len != single->len ||
        memcmp(json.data, single->data, json.len) != 0) {
        buf_printf(what, "%s's row differs from the single-row lookup's", form);
        goto out;
    }
    rc = 0;
out:
    PQclear(prep);
    PQclear(res);
    buf_free(&lits);
    buf_free(&json);
    return rc;
}

/* One table: prepare its lookup under the pool's statement name, look up
 * one key read from the table, encode the row. 0 with what filled, or -1
 * with the reason in what. */
static int lookup_one(PGconn *conn, const struct cat_table *t, struct buf *what)
{
    PGresult *prep = NULL, *key = NULL, *row = NULL;
    struct buf json = BUF_INIT;
    char *sql = NULL;
    int rc = -1;

    prep = PQprepare(conn, t->stmt, t->sql, (int)t->nkeys, NULL);
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
        buf_printf(what, "cannot prepare the lookup: %.*s",
                   (int)strcspn(PQresultErrorMessage(prep), "\n"), PQresultErrorMessage(prep));
        goto out;
    }
    sql = first_key_sql(conn, t);
    key = sql != NULL ? PQexec(conn, sql) : NULL;
    if (PQresultStatus(key) != PGRES_TUPLES_OK) {
        const char *m = key != NULL ? PQresultErrorMessage(key) : PQerrorMessage(conn);
        buf_printf(what, "cannot read a key: %.*s", (int)strcspn(m, "\n"), m);
        goto out;
    }
    if (PQntuples(key) == 0) {
        /* Nothing to look up: both statements must at least prepare. */
        PQclear(row);
        row = PQprepare(conn, t->batch_stmt, t->batch_sql, (int)t->nkeys, NULL);
        if (PQresultStatus(row) == PGRES_COMMAND_OK && t->any_sql != NULL) {
            PQclear(row);
            row = PQprepare(conn, t->any_stmt, t->any_sql, (int)t->nkeys, NULL);
        }
        if (PQresultStatus(row) != PGRES_COMMAND_OK) {
            buf_printf(what, "cannot prepare the batch lookup: %.*s",
                       (int)strcspn(PQresultErrorMessage(row), "\n"), PQresultErrorMessage(row));
            goto out;
        }
        buf_puts(what, "empty: statements prepared");
        rc = 0;
        goto out;
    }
    const char *values[KEYS_MAX];
    for (size_t i = 0; i < t->nkeys; i++)
        values[i] = PQgetvalue(key, 0, (int)i);
    row = PQexecPrepared(conn, t->stmt, (int)t->nkeys, values, NULL, NULL, 0);
    if (PQresultStatus(row) != PGRES_TUPLES_OK) {
        buf_printf(what, "the lookup failed: %.*s",
                   (int)strcspn(PQresultErrorMessage(row), "\n"), PQresultErrorMessage(row));
        goto out;
    }
    /* The key came from the table: a miss means the server would answer
     * 404 for a row that exists (a key type whose text form does not
     * round-trip). */
    if (PQntuples(row) != 1) {
        buf_printf(what, "the lookup of a key read from the table found %d rows, not 1",
                   PQntuples(row));
        goto out;
    }
    size_t len = encode_row(row, 0, &json);
    if (len == 0) {
        buf_puts(what, "the row does not encode as JSON");
        goto out;
    }
    if (batch_one(conn, t, key, &json, false, what) != 0 ||
        (t->any_sql != NULL && batch_one(conn, t, key, &json, true, what) != 0))
        goto out;
    buf_printf(what, "1 row, %d column%s encoded (%zu bytes), %s the same", PQnfields(row),
               PQnfields(row) == 1 ? "" : "s", len,
               t->any_sql != NULL ? "batch and \"= ANY\" forms" : "batch form");
    rc = 0;
out:
    PQclear(prep);
    PQclear(key);
    PQclear(row);
    buf_free(&json);
    free(sql);
    return rc;
}

static int step_lookups(struct check *k, struct step_out *o)
{
    size_t found = 0, empty = 0;
    int width = 0; /* the longest name, so that the times line up */
    for (size_t i = 0; i < k->cat->ntables; i++)
        if ((int)strlen(k->cat->tables[i].name) > width)
            width = (int)strlen(k->cat->tables[i].name);
    for (size_t i = 0; i < k->cat->ntables; i++) {
        const struct cat_table *t = &k->cat->tables[i];
        struct buf what = BUF_INIT;
        uint64_t t0 = clock_now_us();
        int rc = lookup_one(k->conn, t, &what);
        double ms = (double)(clock_now_us() - t0) / 1000.0;
        if (rc != 0) {
            buf_printf(&o->line, "%s: %s", t->name, what.data);
            buf_free(&what);
            return -1;
        }
        buf_printf(&o->more, "lookup %-*s %7.1f ms  %s\n", width, t->name, ms, what.data);
        if (strncmp(what.data, "empty", 5) == 0)
            empty++;
        else
            found++;
        buf_free(&what);
    }
    buf_printf(&o->line, "%zu looked up and encoded, %zu empty", found, empty);
    return 0;
}

/* ------------------------------------------------------------ the run */

static const struct step {
    const char *name;
    step_fn run;
} steps[] = {
    {"settings", step_settings}, {"credential", step_credential}, {"connect", step_connect},
    {"catalog", step_catalog},   {"lookups", step_lookups},
};
#define NSTEPS (sizeof steps / sizeof steps[0])

static void print_step(FILE *out, const char *status, const char *name, double ms,
                       const struct step_out *o)
{
    fprintf(out, "%-5s %-10s %8.1f ms  %s\n", status, name, ms, o->line.data ? o->line.data : "");
    for (const char *p = o->more.data; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, "\n");
        fprintf(out, "      %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    /* Lines show as each step ends, even into a pipe. */
    fflush(out);
}

int check_run(int argc, char **argv, FILE *out)
{
    struct check k;
    memset(&k, 0, sizeof k);
    k.argc = argc;
    k.argv = argv;
    k.out = out;
    size_t failed = NSTEPS;
    int rc = 0;

    /* As in main: a peer closing a socket must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uint64_t begin = clock_now_us();
    for (size_t i = 0; i < NSTEPS && failed == NSTEPS; i++) {
        struct step_out o = {BUF_INIT, BUF_INIT};
        uint64_t t0 = clock_now_us();
        int r = steps[i].run(&k, &o);
        double ms = (double)(clock_now_us() - t0) / 1000.0;
        if (r > 0) {
            buf_free(&o.line);
            buf_free(&o.more);
            goto out;
        }
        print_step(out, r == 0 ? "ok" : "FAIL", steps[i].name, ms, &o);
        if (r != 0)
            failed = i;
        buf_free(&o.line);
        buf_free(&o.more);
    }
    double total = (double)(clock_now_us() - begin) / 1000.0;
    if (failed < NSTEPS) {
        for (size_t i = failed + 1; i < NSTEPS; i++)
            fprintf(out, "skip  %s\n", steps[i].name);
        fprintf(out, "lakefront check: FAILED at %s (%.1f ms)\n", steps[failed].name, total);
        rc = 1;
    } else {
        fprintf(out, "lakefront check: ok, the server would serve %zu table%s (%.1f ms)\n",
                k.cat->ntables, k.cat->ntables == 1 ? "" : "s", total);
    }
    fflush(out);

out:
    catalog_unref(k.cat);
    PQfinish(k.conn);
    creds_unref(k.cred);
    dbxconf_free(&k.dbx);
    if (k.cfg_loaded)
        config_free(&k.app.cfg);
    curl_global_cleanup();
    return rc;
}
