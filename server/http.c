/* http: see http.h. The one request path of lakefront. */
#include "http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "jsonw.h"
#include "keys.h"
#include "log.h"
#include "pool.h"
#include "router.h"
#include "rowjson.h"
#include "worker.h"
#include "xalloc.h"

struct request {
    struct worker *w;
    struct MHD_Connection *conn;
    char *uri;                  /* the raw request target */
    size_t uri_len;
    char method[16];
    char id[72];                /* X-Request-Id */
    char *user_email;           /* X-Forwarded-Email, capped; NULL if absent */
    char *user;                 /* X-Forwarded-User, capped; NULL if absent */
    uint64_t start_us;
    bool begun;                 /* http_handler has seen this request */
    bool served;                /* the request is complete and serve() ran */
    bool suspended;
    struct route route;
    struct catalog *catalog;    /* reference held while a table is in use */
    struct lookup lookup;       /* the pool borrows it while suspended */
    struct MHD_Response *response; /* made while suspended, queued on resume */
    unsigned status;
    size_t body_len;
};

/* ------------------------------------------------------------ responses */

/* Queues the response now when MHD is calling us, else keeps it for the
 * call that follows MHD_resume_connection. Takes ownership of body. */
static void respond(struct request *rq, unsigned status, char *body, size_t len, int retry_after,
                    const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return; /* out of memory in MHD: the connection is closed without a response */
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "X-Request-Id", rq->id);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (retry_after > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", v);
    }
    if (allow != NULL)
        MHD_add_response_header(r, "Allow", allow);
    if (rq->w->draining)
        MHD_add_response_header(r, "Connection", "close");
    rq->status = status;
    rq->body_len = len;
    rq->response = r;
    if (rq->suspended) {
        rq->suspended = false;
        MHD_resume_connection(rq->conn);
    }
}

static void respond_buf(struct request *rq, unsigned status, struct buf *b)
{
    size_t len;
    char *body = buf_steal(b, &len);
    respond(rq, status, body, len, 0, NULL);
}

/* An error body: {"error_code", "message", "technical_details", "request_id"}
 * plus "retry_after" on 503. details is a JSON object's inside (without the
 * braces) or NULL. */
static void respond_error(struct request *rq, unsigned status, const char *code, const char *message,
                          const char *details, int retry_after, const char *allow)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"error_code\":");
    jsonw_cstr(&b, code);
    buf_puts(&b, ",\"message\":");
    jsonw_cstr(&b, message);
    buf_puts(&b, ",\"technical_details\":{");
    if (details)
        buf_puts(&b, details);
    buf_puts(&b, "},\"request_id\":");
    jsonw_cstr(&b, rq->id);
    if (status == 503) {
        if (retry_after < 1)
            retry_after = 1;
        buf_printf(&b, ",\"retry_after\":%d", retry_after);
    }
    buf_putc(&b, '}');
    size_t len;
    char *body = buf_steal(&b, &len);
    respond(rq, status, body, len, status == 503 ? retry_after : 0, allow);
}

/* technical_details naming the table and the key as the client gave it. */
static void key_details(struct buf *d, const struct request *rq, const struct cat_table *t)
{
    buf_puts(d, "\"table\":");
    jsonw_cstr(d, t->name);
    buf_puts(d, ",\"key\":{");
    for (size_t k = 0; k < t->nkeys; k++) {
        if (k)
            buf_putc(d, ',');
        jsonw_cstr(d, t->keys[k].name);
        buf_putc(d, ':');
        jsonw_cstr(d, rq->lookup.values[k]);
    }
    buf_putc(d, '}');
}

/* ------------------------------------------------------------ lookups */

static void row_json(struct buf *b, const PGresult *res)
{
    int n = PQnfields(res);
    buf_reserve(b, 512);
    buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        jsonw_cstr(b, PQfname(res, i));
        buf_putc(b, ':');
        if (PQgetisnull(res, 0, i)) {
            buf_puts(b, "null");
            continue;
        }
        /* Encode by the result's own column types, not the catalog's: the
         * table may have changed shape since the catalog was read. */
        enum rj_kind elem;
        enum rj_kind kind = rowjson_kind_for_oid(PQftype(res, i), &elem);
        rowjson_value(b, kind, elem, PQgetvalue(res, 0, i), (size_t)PQgetlength(res, 0, i));
    }
    buf_putc(b, '}');
}

/* 503 DATABASE_UNAVAILABLE with the reason, and error_type "oauth_error"
 * when the cause is that no database credential could be had. d holds
 * fields already written (or nothing). */
static void db_unavailable(struct request *rq, struct buf *d, const char *message, int retry_after)
{
    char why[300];
    bool oauth = app_creds_missing(rq->w->app, why, sizeof why);
    if (!oauth && app_ready(rq->w->app, why, sizeof why))
        app_db_error(rq->w->app, why, sizeof why); /* others serve; this loop cannot */
    if (d->len > 0)
        buf_putc(d, ',');
    buf_puts(d, "\"error_type\":");
    jsonw_cstr(d, oauth ? "oauth_error" : "connection");
    buf_puts(d, ",\"reason\":");
    jsonw_cstr(d, why);
    respond_error(rq, 503, "DATABASE_UNAVAILABLE", message, d->data, retry_after, NULL);
}

static void lookup_done(struct lookup *lk, enum lookup_status st, const PGresult *res)
{
    struct request *rq = (struct request *)((char *)lk - offsetof(struct request, lookup));
    const struct cat_table *t = lk->table;
    struct buf d = BUF_INIT;
    char msg[512];

    switch (st) {
    case LOOKUP_OK:
        if (PQntuples(res) > 0) {
            struct buf b = BUF_INIT;
            row_json(&b, res);
            respond_buf(rq, 200, &b);
            break;
        }
        key_details(&d, rq, t);
        snprintf(msg, sizeof msg, "no row of %s has this primary key", t->name);
        respond_error(rq, 404, "ROW_NOT_FOUND", msg, d.data, 0, NULL);
        break;
    case LOOKUP_INVALID_KEY:
        key_details(&d, rq, t);
        buf_puts(&d, ",\"sqlstate\":");
        jsonw_cstr(&d, lk->sqlstate);
        buf_puts(&d, ",\"database_message\":");
        jsonw_cstr(&d, lk->message);
        snprintf(msg, sizeof msg, "a key value is not valid for its column's type: %s",
                 lk->message);
        respond_error(rq, 400, "INVALID_KEY", msg, d.data, 0, NULL);
        break;
    case LOOKUP_TABLE_GONE:
        buf_puts(&d, "\"table\":");
        jsonw_cstr(&d, t->name);
        snprintf(msg, sizeof msg, "table %s does not exist (any more)", t->name);
        respond_error(rq, 404, "TABLE_NOT_FOUND", msg, d.data, 0, NULL);
        break;
    case LOOKUP_TIMEOUT:
        buf_printf(&d, "\"timeout_ms\":%d", rq->w->app->cfg.request_timeout_ms);
        respond_error(rq, 504, "TIMEOUT", "the lookup did not complete before its deadline",
                      d.data, 0, NULL);
        break;
    case LOOKUP_UNAVAILABLE:
        buf_puts(&d, "\"database_message\":");
        jsonw_cstr(&d, lk->message);
        db_unavailable(rq, &d, "no database connection could serve the lookup in time",
                       pool_retry_after_s(rq->w->pool, clock_now_us()));
        break;
    case LOOKUP_DB_ERROR:
        buf_puts(&d, "\"sqlstate\":");
        jsonw_cstr(&d, lk->sqlstate);
        buf_puts(&d, ",\"database_message\":");
        jsonw_cstr(&d, lk->message);
        respond_error(rq, 502, "DATABASE_ERROR", "the database answered the lookup with an error",
                      d.data, 0, NULL);
        break;
    }
    buf_free(&d);
}

static void serve_row(struct request *rq, const struct cat_table *t)
{
    char err[200];
    int bad_col = -1;
    struct buf d = BUF_INIT;

    if (keys_bind(t->keys, t->nkeys, &rq->route, rq->lookup.values, err, sizeof err, &bad_col) != 0) {
        buf_puts(&d, "\"table\":");
        jsonw_cstr(&d, t->name);
        buf_puts(&d, ",\"primary_key\":[");
        for (size_t k = 0; k < t->nkeys; k++) {
            if (k)
                buf_putc(&d, ',');
            jsonw_cstr(&d, t->keys[k].name);
        }
        buf_putc(&d, ']');
        if (bad_col >= 0) {
            buf_puts(&d, ",\"column\":");
            jsonw_cstr(&d, t->keys[bad_col].name);
        }
        respond_error(rq, 400, "INVALID_KEY", err, d.data, 0, NULL);
        buf_free(&d);
        return;
    }
    rq->lookup.table = t;
    rq->lookup.done = lookup_done;
    switch (pool_submit(rq->w->pool, &rq->lookup, clock_now_us())) {
    case POOL_ACCEPTED:
        rq->suspended = true;
        MHD_suspend_connection(rq->conn);
        break;
    case POOL_FULL:
        buf_printf(&d, "\"queue_limit\":%d", rq->w->app->cfg.queue_limit);
        respond_error(rq, 503, "OVERLOADED", "too many lookups are waiting; retry shortly", d.data,
                      1, NULL);
        break;
    case POOL_DOWN:
        db_unavailable(rq, &d, "the database cannot be reached",
                       pool_retry_after_s(rq->w->pool, clock_now_us()));
        break;
    }
    buf_free(&d);
}

/* ------------------------------------------------------------ routes */

static void serve(struct request *rq)
{
    struct worker *w = rq->w;
    struct route *r = &rq->route;
    enum route_status rs = router_parse(rq->method, rq->uri, rq->uri_len, r);
    struct buf d = BUF_INIT;
    char why[300];

    switch (rs) {
    case ROUTE_OK:
        break;
    case ROUTE_ERR_NOT_FOUND:
        respond_error(rq, 404, "NOT_FOUND", "no such endpoint; see /api/v1/tables", NULL, 0, NULL);
        return;
    case ROUTE_ERR_METHOD:
        buf_puts(&d, "\"method\":");
        jsonw_cstr(&d, rq->method);
        respond_error(rq, 405, "METHOD_NOT_ALLOWED", "this endpoint answers GET and HEAD", d.data, 0,
                      r->allow);
        buf_free(&d);
        return;
    case ROUTE_ERR_BAD_ENCODING:
        respond_error(rq, 400, "INVALID_KEY", r->detail, NULL, 0, NULL);
        return;
    }

    if (r->kind == ROUTE_HEALTHZ) {
        respond(rq, 200, xstrdup("{\"status\":\"ok\"}"), 15, 0, NULL);
        return;
    }
    if (r->kind == ROUTE_READYZ) {
        if (app_ready(w->app, why, sizeof why))
            respond(rq, 200, xstrdup("{\"status\":\"ready\"}"), 18, 0, NULL);
        else
            respond_error(rq, 503, "NOT_READY", why, NULL, 1, NULL);
        return;
    }

    rq->catalog = w->catalog;
    if (rq->catalog == NULL) {
        db_unavailable(rq, &d, "the table catalog is not loaded yet", 1);
        buf_free(&d);
        return;
    }
    catalog_ref(rq->catalog);

    if (r->kind == ROUTE_TABLES) {
        respond(rq, 200, xstrndup(rq->catalog->list_json, rq->catalog->list_json_len),
                rq->catalog->list_json_len, 0, NULL);
        return;
    }
    const struct cat_table *t = catalog_find(rq->catalog, r->table);
    if (t == NULL) {
        buf_puts(&d, "\"table\":");
        jsonw_cstr(&d, r->table);
        char msg[200];
        snprintf(msg, sizeof msg, "no table named \"%.80s\" is served; see /api/v1/tables", r->table);
        respond_error(rq, 404, "TABLE_NOT_FOUND", msg, d.data, 0, NULL);
        buf_free(&d);
        return;
    }
    if (r->kind == ROUTE_TABLE) {
        respond(rq, 200, xstrndup(t->json, t->json_len), t->json_len, 0, NULL);
        return;
    }
    serve_row(rq, t);
}

/* ------------------------------------------------------------ MHD callbacks */

static void request_id(struct request *rq)
{
    const char *v = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (v != NULL) {
        /* Echo the client's id only when it is short and plain: it goes
         * into a header and into log lines. */
        size_t n = strlen(v);
        bool ok = n > 0 && n < sizeof rq->id;
        for (size_t i = 0; ok && i < n; i++)
            ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
                 (v[i] >= '0' && v[i] <= '9') || strchr("-_.:", v[i]) != NULL;
        if (ok) {
            memcpy(rq->id, v, n + 1);
            return;
        }
    }
    /* xoroshiro-style mixing of a per-worker seed: unique enough to find a
     * request in the logs, not a secret. */
    uint64_t *s = rq->w->rng;
    uint64_t a = s[0], b = s[1];
    s[0] = a ^ (b << 23) ^ (a >> 17) ^ (b >> 26) ^ 0x9e3779b97f4a7c15ull;
    s[1] = b + s[0];
    snprintf(rq->id, sizeof rq->id, "%016llx%016llx", (unsigned long long)s[0],
             (unsigned long long)s[1]);
}

/* The caller's identity as the Databricks Apps proxy forwards it, for the
 * access log only: the proxy sets these headers for the signed-in user or
 * the token's owner, and nothing here relies on them for access control.
 * Copied (MHD's values die with the connection's read buffer) and capped,
 * cut on a UTF-8 boundary; log escaping handles whatever else they hold. */
#define HTTP_IDENTITY_MAX 200

static char *identity_header(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    if (v == NULL || v[0] == '\0')
        return NULL;
    size_t n = strnlen(v, HTTP_IDENTITY_MAX + 1);
    if (n > HTTP_IDENTITY_MAX) {
        n = HTTP_IDENTITY_MAX;
        while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
            n--; /* v[n] continues a sequence: cut before its lead byte */
    }
    return xstrndup(v, n);
}

void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct worker *w = cls;
    struct request *rq = xcalloc(1, sizeof *rq);
    rq->w = w;
    rq->conn = conn;
    rq->uri_len = strlen(uri);
    rq->uri = xstrndup(uri, rq->uri_len);
    rq->start_us = clock_now_us();
    w->requests++;
    return rq;
}

enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, const char *upload_data,
                             size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    (void)upload_data;
    struct request *rq = *req_cls;

    /* MHD calls once when the headers are in, then for each piece of a
     * body, then once more with nothing when the request is complete. Work
     * starts only then: a response queued earlier makes MHD 0.9.75 close
     * the connection after it ("queued early"), which would cost every
     * client its keep-alive. A body is never used: it is dropped. */
    if (!rq->begun) {
        rq->begun = true;
        snprintf(rq->method, sizeof rq->method, "%s", method);
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!rq->served) {
        rq->served = true;
        request_id(rq);
        rq->user_email = identity_header(conn, "X-Forwarded-Email");
        rq->user = identity_header(conn, "X-Forwarded-User");
        serve(rq);
    }
    if (rq->response == NULL)
        return MHD_YES; /* suspended until the lookup completes */
    enum MHD_Result ret = MHD_queue_response(conn, rq->status, rq->response);
    MHD_destroy_response(rq->response);
    rq->response = NULL;
    return ret;
}

static double ms_between(uint64_t from, uint64_t to)
{
    return from == 0 || to < from ? 0.0 : (double)(to - from) / 1000.0;
}

/* One warn line for a slow request, with where its time went: waiting for
 * a connection (queue), at the database (db, sent to answered) and in
 * total, first byte read to last byte queued. */
static void log_slow(const struct request *rq, uint64_t end_us)
{
    const struct lookup *lk = &rq->lookup;
    struct logline l;
    if (!logline_begin(&l, LOG_WARN, "slow request", rq->id))
        return;
    logline_str(&l, "method", rq->method);
    logline_str(&l, "route", router_template(&rq->route));
    if (lk->table != NULL)
        logline_str(&l, "table", lk->table->name);
    logline_int(&l, "status", rq->status);
    if (lk->submit_us != 0) {
        logline_double(&l, "queue_ms", ms_between(lk->submit_us, lk->sent_us ? lk->sent_us : lk->done_us));
        logline_double(&l, "db_ms", ms_between(lk->sent_us, lk->done_us));
        logline_double(&l, "respond_ms", ms_between(lk->done_us, end_us));
    }
    logline_double(&l, "total_ms", ms_between(rq->start_us, end_us));
    logline_end(&l);
}

void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct worker *w = cls;
    struct request *rq = *req_cls;
    if (rq == NULL)
        return;
    *req_cls = NULL;

    uint64_t end_us = clock_now_us();
    if (w->app->cfg.slow_ms > 0 && rq->served &&
        end_us - rq->start_us >= (uint64_t)w->app->cfg.slow_ms * 1000)
        log_slow(rq, end_us);
    if (w->app->cfg.access_log && rq->served) {
        struct logline l;
        if (logline_begin(&l, LOG_INFO, "access", rq->id)) {
            logline_str(&l, "method", rq->method);
            logline_strn(&l, "path", rq->uri, rq->uri_len > 512 ? 512 : rq->uri_len);
            logline_int(&l, "status", rq->status);
            if (rq->user_email != NULL)
                logline_str(&l, "user_email", rq->user_email);
            if (rq->user != NULL)
                logline_str(&l, "user", rq->user);
            logline_int(&l, "bytes", (long long)rq->body_len);
            logline_double(&l, "duration_ms", (double)(end_us - rq->start_us) / 1000.0);
            if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                logline_int(&l, "terminated", toe);
            logline_end(&l);
        }
    }
    if (rq->response != NULL)
        MHD_destroy_response(rq->response);
    route_free(&rq->route);
    catalog_unref(rq->catalog);
    free(rq->uri);
    free(rq->user_email);
    free(rq->user);
    free(rq);
    w->requests--;
}
