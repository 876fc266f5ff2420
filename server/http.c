/* http: see http.h. The one request path of lakefront. */
#include "http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "batchparse.h"
#include "buf.h"
#include "catalog.h"
#include "clock.h"
#include "etag.h"
#include "jsonw.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "router.h"
#include "rowjson.h"
#include "selectcols.h"
#include "status.h"
#include "worker.h"
#include "xalloc.h"

struct request {
    struct worker *w;
    struct request *spare_next; /* in the loop's spares (spare_put); else unused */
    struct MHD_Connection *conn;
    char *uri;                  /* the raw request target */
    size_t uri_len;
    char method[16];
    char id[72];                /* X-Request-Id */
    char *user_email;           /* X-Forwarded-Email, capped; NULL if absent */
    char *user;                 /* X-Forwarded-User, capped; NULL if absent */
    char *origin;               /* Origin, when LAKEFRONT_CORS_ORIGINS allows it; else NULL */
    bool preflight;             /* an allowed CORS preflight: answer with its headers */
    char *preflight_headers;    /* Access-Control-Request-Headers to allow, or NULL */
    uint64_t start_us;
    bool begun;                 /* http_handler has seen this request */
    bool served;                /* the request is complete and serve() ran */
    bool parked;                /* waiting for its lookup (see submit) */
    bool orphan;                /* MHD closed it while parked: freed when the lookup ends */
    bool failed;                /* no response could be made: close the connection */
    struct route route;
    struct catalog *catalog;    /* reference held while a table is in use */
    struct lookup lookup;       /* the pool borrows it while parked */
    struct MHD_Response *response; /* made while parked, queued by the next handler call */
    unsigned status;
    size_t body_len;
    char etag[ETAG_LEN];        /* set for a row's 200 or 304: "" otherwise */
    const char *content_type;   /* NULL: application/json */

    /* POST .../lookup: routed when the headers are in, so that the body is
     * parsed as it arrives. */
    enum route_status route_status;
    bool routed;
    const struct cat_table *table; /* the batch's table, from catalog */
    const char *keynames[KEYS_MAX]; /* its key columns, for the parser */
    struct batchparse *bp;
    size_t body_bytes;            /* body received so far */
    unsigned pending_status;      /* an error found before the body ended */
    const char *pending_code;
    char pending_msg[160];
    struct buf params;            /* the array literals, one after another */
    size_t probe_lo, probe_hi, probe_mid; /* finding the first invalid key */
    bool probing;
    char probe_state[6];
    char probe_msg[256];

    /* select: the statement of this selection of columns. */
    struct selectcols sel;
    struct buf sel_sql;
    char sel_stmt[24];
};

/* ------------------------------------------------------------ CORS */

/* The request's Origin when LAKEFRONT_CORS_ORIGINS lets it call: a copy,
 * or NULL (no Origin, CORS off, or an origin not on the list). */
static char *allowed_origin(const struct request *rq)
{
    char **list = rq->w->app->cfg.cors_origins;
    if (list == NULL || list[0] == NULL)
        return NULL;
    const char *o = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
    if (o == NULL)
        return NULL;
    for (; *list; list++)
        if (strcmp(*list, "*") == 0 || strcmp(*list, o) == 0)
            return xstrdup(o);
    return NULL;
}

/* Every response, when CORS is on: Vary: Origin (the answer depends on it,
 * and a cache must not hand one origin's answer to another), and for an
 * allowed origin the headers that let the page read the response. */
static void cors_headers(const struct request *rq, struct MHD_Response *r)
{
    char **list = rq->w->app->cfg.cors_origins;
    if (list == NULL || list[0] == NULL)
        return;
    MHD_add_response_header(r, "Vary", "Origin");
    if (rq->origin == NULL)
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Origin",
                            strcmp(list[0], "*") == 0 ? "*" : rq->origin);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "X-Request-Id, ETag, Retry-After");
    if (rq->preflight) {
        char age[16];
        snprintf(age, sizeof age, "%d", rq->w->app->cfg.cors_max_age_s);
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
        if (rq->preflight_headers != NULL)
            MHD_add_response_header(r, "Access-Control-Allow-Headers", rq->preflight_headers);
        MHD_add_response_header(r, "Access-Control-Max-Age", age);
    }
}

/* The header names a preflight asks to send, if they are a plain list of
 * header names (letters, digits, "-", "_", commas, spaces; at most 512
 * bytes) that can be echoed as they are; else NULL, and the browser sends
 * only what needs no permission. */
static char *preflight_header_list(const char *v)
{
    if (v == NULL || v[0] == '\0' || strlen(v) > 512)
        return NULL;
    for (const char *p = v; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == ',' || *p == ' '))
            return NULL;
    return xstrdup(v);
}

/* ------------------------------------------------------------ responses */

static double ms_between(uint64_t from, uint64_t to)
{
    return from == 0 || to < from ? 0.0 : (double)(to - from) / 1000.0;
}

/* Server-Timing: where this request's time went so far, for the browser's
 * developer tools: waiting for a database connection (queue), at the
 * database (db: sent to answered; a batch that had to find a bad key counts
 * its last statement), and in all, from the request's first byte to the
 * response being queued (total). */
static void server_timing(const struct request *rq, struct MHD_Response *r)
{
    const struct lookup *lk = &rq->lookup;
    uint64_t now = clock_now_us();
    char v[128];
    if (lk->submit_us != 0)
        snprintf(v, sizeof v, "queue;dur=%.3f, db;dur=%.3f, total;dur=%.3f",
                 ms_between(lk->submit_us, lk->sent_us ? lk->sent_us : lk->done_us),
                 ms_between(lk->sent_us, lk->done_us), ms_between(rq->start_us, now));
    else
        snprintf(v, sizeof v, "total;dur=%.3f", ms_between(rq->start_us, now));
    MHD_add_response_header(r, "Server-Timing", v);
}

static void request_release(struct worker *w, struct request *rq);
static bool orphan_done(struct request *rq);

/* A parked request has its answer (or has failed): the next MHD_run gives
 * it to MHD, and the one after sends it (worker.c). */
static void unpark(struct request *rq)
{
    if (rq->parked) {
        rq->parked = false;
        rq->w->parked--;
        rq->w->answered++;
    }
}

/* Keeps the response for http_handler to queue: now, when MHD is calling
 * it, or at the next MHD_run for a parked request. Takes ownership of body. */
static void respond(struct request *rq, unsigned status, char *body, size_t len, int retry_after,
                    const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        /* Out of memory in MHD: the handler's next call returns MHD_NO,
         * and MHD closes the connection without a response. */
        free(body);
        rq->failed = true;
        unpark(rq);
        return;
    }
    if (status != 204)
        MHD_add_response_header(r, "Content-Type",
                                rq->content_type ? rq->content_type : "application/json");
    MHD_add_response_header(r, "X-Request-Id", rq->id);
    cors_headers(rq, r);
    if (rq->etag[0] != '\0') {
        MHD_add_response_header(r, "ETag", rq->etag);
        MHD_add_response_header(r, "Cache-Control", rq->w->app->cfg.cache_control);
    } else {
        MHD_add_response_header(r, "Cache-Control", "no-store");
    }
    if (rq->w->app->cfg.server_timing)
        server_timing(rq, r);
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
    unpark(rq);
}

static void respond_buf(struct request *rq, unsigned status, struct buf *b)
{
    size_t len;
    char *body = buf_steal(b, &len);
    respond(rq, status, body, len, 0, NULL);
}

/* A row's 200 with its ETag and LAKEFRONT_CACHE_CONTROL, or 304 Not
 * Modified when If-None-Match names the tag: the row was still looked up,
 * only its bytes are not sent again. The 304 is made from the same body,
 * which MHD does not send for a 304 but counts in Content-Length: HTTP
 * wants the length a 200 would have had there, or none. */
static void respond_row(struct request *rq, struct buf *b)
{
    etag_of(b->data, b->len, rq->etag);
    const char *inm = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "If-None-Match");
    respond_buf(rq, etag_none_match(inm, rq->etag) ? 304 : 200, b);
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

/* Row `row` of res as a JSON object, from column `first` on. */
static void row_json(struct buf *b, const PGresult *res, int row, int first)
{
    int n = PQnfields(res);
    buf_reserve(b, 512);
    buf_putc(b, '{');
    for (int i = first; i < n; i++) {
        if (i > first)
            buf_putc(b, ',');
        jsonw_cstr(b, PQfname(res, i));
        buf_putc(b, ':');
        if (PQgetisnull(res, row, i)) {
            buf_puts(b, "null");
            continue;
        }
        /* Encode by the result's own column types, not the catalog's: the
         * table may have changed shape since the catalog was read. */
        enum rj_kind elem;
        enum rj_kind kind = rowjson_kind_for_oid(PQftype(res, i), &elem);
        rowjson_value(b, kind, elem, PQgetvalue(res, row, i), (size_t)PQgetlength(res, row, i));
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

/* The answer to a lookup that failed for a reason other than its key. */
static void respond_failure(struct request *rq, enum lookup_status st)
{
    const struct lookup *lk = &rq->lookup;
    const struct cat_table *t = lk->table;
    struct buf d = BUF_INIT;
    char msg[512];

    switch (st) {
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
    case LOOKUP_OK:
    case LOOKUP_INVALID_KEY:
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

static void lookup_done(struct lookup *lk, enum lookup_status st, const PGresult *res)
{
    struct request *rq = (struct request *)((char *)lk - offsetof(struct request, lookup));
    if (orphan_done(rq))
        return;
    const struct cat_table *t = lk->table;
    struct buf d = BUF_INIT;
    char msg[512];

    switch (st) {
    case LOOKUP_OK:
        if (lk->row >= 0) {
            struct buf b = BUF_INIT;
            row_json(&b, res, lk->row, lk->col0);
            respond_row(rq, &b);
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
    default:
        respond_failure(rq, st);
        break;
    }
    buf_free(&d);
}

/* Hands rq->lookup to the pool: parked until it completes, or answered at
 * once when the queue is full or the database is down.
 *
 * Parked, not suspended. http_handler returns without a response, which
 * leaves the connection with MHD in its "request received" state, and MHD
 * calls the handler again at every MHD_run until it queues one. Suspending
 * instead (MHD_suspend_connection) cost every request two epoll_ctl calls
 * (libmicrohttpd 0.9.75 takes the socket out of its epoll set and puts it
 * back), a recv that returns EAGAIN after the resume, and one to three
 * more turns of the loop: 1.5 to 3 us of lakefront's 11 to 12 per request
 * under wrk (tests/load/README.md, entry 28). What parking costs instead:
 * each MHD_run calls the handler of every parked request of the loop, a
 * few hundred instructions each, and MHD_get_timeout says 0 while any is
 * parked, which the loop reads accordingly (worker.c, PARK_BUSY_MS). A
 * client that resets its connection meanwhile makes MHD close it, and the
 * request is freed when its lookup ends (http_completed, orphan_done). */
static void submit(struct request *rq)
{
    struct buf d = BUF_INIT;
    switch (pool_submit(rq->w->pool, &rq->lookup, clock_now_us())) {
    case POOL_ACCEPTED:
        /* The pool answers later, never inside pool_submit; were it ever to
         * (rq->response already made), the request is not parked. */
        if (!rq->parked && rq->response == NULL) {
            rq->parked = true;
            rq->w->parked++;
        }
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

/* ------------------------------------------------------------ select */

/* True when the table has a key column named "select": then ?select= is
 * that key's value in the query form, and no column selection. */
static bool select_is_a_key(const struct cat_table *t)
{
    for (size_t k = 0; k < t->nkeys; k++)
        if (strcmp(t->keys[k].name, "select") == 0)
            return true;
    return false;
}

/* 400 INVALID_SELECT. */
static void invalid_select(struct request *rq, const struct cat_table *t, const char *why,
                           const char *name)
{
    struct buf d = BUF_INIT;
    buf_puts(&d, "\"table\":");
    jsonw_cstr(&d, t->name);
    if (name != NULL) {
        buf_puts(&d, ",\"column\":");
        jsonw_cstr(&d, name);
    }
    respond_error(rq, 400, "INVALID_SELECT", why, d.data, 0, NULL);
    buf_free(&d);
}

/* Reads the selection of columns, from the query's select parameter and,
 * for a batch, the body's "select" (names[0..n), or NULL): none, or one
 * resolved into rq->sel with its statement in rq->sel_sql/sel_stmt. Returns
 * 0, or -1 after answering 400. */
static int read_select(struct request *rq, const struct cat_table *t, const char *const *body_names,
                       size_t body_n, bool batch)
{
    const struct route_param *q = NULL;
    char err[200];
    for (size_t i = 0; i < rq->route.nparams && !select_is_a_key(t); i++) {
        if (strcmp(rq->route.params[i].name, "select") != 0)
            continue;
        if (q != NULL) {
            invalid_select(rq, t, "select is given twice", NULL);
            return -1;
        }
        q = &rq->route.params[i];
    }
    if (q != NULL && body_names != NULL) {
        invalid_select(rq, t, "select is given both in the query and in the body", NULL);
        return -1;
    }
    char **qnames = NULL;
    long qn = 0;
    const char *const *names = body_names;
    size_t n = body_n;
    if (q != NULL) {
        qn = selectcols_split(q->raw_value, q->raw_len, &qnames, err, sizeof err);
        if (qn < 0) {
            invalid_select(rq, t, err, NULL);
            return -1;
        }
        names = (const char *const *)qnames;
        n = (size_t)qn;
    }
    if (names == NULL)
        return 0;
    size_t bad;
    int rc = selectcols_resolve(names, n, t->colnames, t->ncols, &rq->sel, err, sizeof err, &bad);
    if (rc != 0)
        invalid_select(rq, t, err, bad < n ? names[bad] : NULL);
    else
        catalog_select_sql(t, rq->sel.idx, rq->sel.n, batch, &rq->sel_sql, rq->sel_stmt);
    selectcols_free_names(qnames, qn);
    return rc;
}

/* ------------------------------------------------------------ batches */

/* Sends keys [lo, hi) of the batch: one text[] literal per key column. */
static void submit_batch(struct request *rq, size_t lo, size_t hi)
{
    const struct cat_table *t = rq->table;
    size_t offs[KEYS_MAX];
    buf_reset(&rq->params);
    for (size_t k = 0; k < t->nkeys; k++) {
        offs[k] = rq->params.len;
        buf_putc(&rq->params, '{');
        for (size_t i = lo; i < hi; i++) {
            if (i > lo)
                buf_putc(&rq->params, ',');
            keys_array_elem(&rq->params, batchparse_value(rq->bp, i, k));
        }
        buf_putc(&rq->params, '}');
        buf_putc(&rq->params, '\0'); /* each literal ends in its own NUL */
    }
    for (size_t k = 0; k < t->nkeys; k++)
        rq->lookup.values[k] = rq->params.data + offs[k];
    rq->lookup.table = t;
    rq->lookup.stmt = rq->sel.n ? rq->sel_stmt : t->batch_stmt;
    rq->lookup.sql = rq->sel.n ? rq->sel_sql.data : t->batch_sql;
    rq->lookup.selection = rq->sel.n > 0;
    rq->lookup.nparams = (int)t->nkeys;
    rq->lookup.merge_stmt = NULL;
    rq->lookup.merge_sql = NULL;
    rq->lookup.merge_keycol = -1;
    submit(rq);
}

/* 400 INVALID_KEY for key `index` of the batch. */
static void batch_invalid_key(struct request *rq, size_t index, const char *why,
                              const char *column, const char *state, const char *dbmsg)
{
    struct buf d = BUF_INIT;
    char msg[400];
    buf_puts(&d, "\"table\":");
    jsonw_cstr(&d, rq->table->name);
    buf_printf(&d, ",\"index\":%zu", index);
    if (column != NULL) {
        buf_puts(&d, ",\"column\":");
        jsonw_cstr(&d, column);
    }
    if (state != NULL) {
        buf_puts(&d, ",\"sqlstate\":");
        jsonw_cstr(&d, state);
        buf_puts(&d, ",\"database_message\":");
        jsonw_cstr(&d, dbmsg);
    }
    snprintf(msg, sizeof msg, "key %zu of the batch is not valid: %s", index, why);
    respond_error(rq, 400, "INVALID_KEY", msg, d.data, 0, NULL);
    buf_free(&d);
}

/* Postgres refused a value of the batch, and does not say which key held
 * it: halve the range that holds the first bad key until one is left, each
 * half sent on its own (at most log2(keys) more statements, and only for a
 * request that is going to fail anyway). */
static void probe_next(struct request *rq)
{
    if (rq->probe_hi - rq->probe_lo <= 1) {
        batch_invalid_key(rq, rq->probe_lo, rq->probe_msg, NULL, rq->probe_state, rq->probe_msg);
        return;
    }
    rq->probe_mid = rq->probe_lo + (rq->probe_hi - rq->probe_lo) / 2;
    submit_batch(rq, rq->probe_lo, rq->probe_mid);
}

static void batch_done(struct lookup *lk, enum lookup_status st, const PGresult *res)
{
    struct request *rq = (struct request *)((char *)lk - offsetof(struct request, lookup));
    if (orphan_done(rq))
        return;
    size_t n = batchparse_nkeys(rq->bp);

    if (rq->probing) {
        if (st == LOOKUP_OK) {
            rq->probe_lo = rq->probe_mid; /* the first half is fine */
        } else if (st == LOOKUP_INVALID_KEY) {
            rq->probe_hi = rq->probe_mid;
            snprintf(rq->probe_state, sizeof rq->probe_state, "%s", lk->sqlstate);
            snprintf(rq->probe_msg, sizeof rq->probe_msg, "%s", lk->message);
        } else {
            respond_failure(rq, st);
            return;
        }
        probe_next(rq);
        return;
    }

    if (st == LOOKUP_INVALID_KEY) {
        rq->probing = true;
        rq->probe_lo = 0;
        rq->probe_hi = n;
        snprintf(rq->probe_state, sizeof rq->probe_state, "%s", lk->sqlstate);
        snprintf(rq->probe_msg, sizeof rq->probe_msg, "%s", lk->message);
        probe_next(rq);
        return;
    }
    if (st != LOOKUP_OK) {
        respond_failure(rq, st);
        return;
    }
    if ((size_t)PQntuples(res) != n || PQnfields(res) < 1) {
        /* The statement yields one row per key: anything else means the
         * table is not what the catalog said. */
        snprintf(lk->sqlstate, sizeof lk->sqlstate, "XX000");
        snprintf(lk->message, sizeof lk->message, "the batch statement returned %d rows for %zu keys",
                 PQntuples(res), n);
        respond_failure(rq, LOOKUP_DB_ERROR);
        return;
    }
    struct buf b = BUF_INIT;
    buf_reserve(&b, 16 + n * 480);
    buf_puts(&b, "{\"rows\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(&b, ',');
        if (PQgetvalue(res, (int)i, 0)[0] == 't')
            row_json(&b, res, (int)i, 1);
        else
            buf_puts(&b, "null");
    }
    buf_puts(&b, "]}");
    respond_buf(rq, 200, &b);
}

static void serve_batch(struct request *rq)
{
    const struct cat_table *t = rq->table;
    size_t n = batchparse_nkeys(rq->bp);
    char err[200];

    const char **names = NULL;
    size_t nsel = batchparse_nselect(rq->bp);
    if (batchparse_has_select(rq->bp)) {
        names = xcalloc(nsel ? nsel : 1, sizeof *names);
        for (size_t i = 0; i < nsel; i++)
            names[i] = batchparse_select(rq->bp, i);
    }
    int rc = read_select(rq, t, names, nsel, true);
    free(names);
    if (rc != 0)
        return;
    if (n == 0) {
        respond(rq, 200, xstrdup("{\"rows\":[]}"), 11, 0, NULL);
        return;
    }
    /* Integers are checked here, saving a round trip for the usual mistake;
     * other types by Postgres (see probe_next). */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < t->nkeys; k++)
            if (keys_check_value(&t->keys[k], batchparse_value(rq->bp, i, k), err, sizeof err) != 0) {
                batch_invalid_key(rq, i, err, t->keys[k].name, NULL, NULL);
                return;
            }
    rq->lookup.done = batch_done;
    submit_batch(rq, 0, n);
}

/* The batch's body could not be used: the parser's error as a response. */
static void batch_body_error(struct request *rq, enum batch_error e)
{
    struct buf d = BUF_INIT;
    buf_puts(&d, "\"table\":");
    jsonw_cstr(&d, rq->table->name);
    switch (e) {
    case BATCH_INVALID_KEY:
        batch_invalid_key(rq, batchparse_error_index(rq->bp), batchparse_message(rq->bp), NULL,
                          NULL, NULL);
        break;
    case BATCH_TOO_LARGE:
        buf_printf(&d, ",\"max_keys\":%d", rq->w->app->cfg.batch_max_keys);
        respond_error(rq, 413, "BATCH_TOO_LARGE", batchparse_message(rq->bp), d.data, 0, NULL);
        break;
    case BATCH_INVALID_BODY:
    case BATCH_OK:
        respond_error(rq, 400, "INVALID_BODY", batchparse_message(rq->bp), d.data, 0, NULL);
        break;
    }
    buf_free(&d);
}

static void serve_row(struct request *rq, const struct cat_table *t)
{
    char err[200];
    int bad_col = -1;
    struct buf d = BUF_INIT;

    if (read_select(rq, t, NULL, 0, false) != 0)
        return;
    /* The key, from the route without its select parameter. */
    struct route keyroute = rq->route;
    struct route_param *kept = NULL;
    if (rq->sel.n > 0) {
        kept = xcalloc(rq->route.nparams ? rq->route.nparams : 1, sizeof *kept);
        keyroute.nparams = 0;
        for (size_t i = 0; i < rq->route.nparams; i++)
            if (strcmp(rq->route.params[i].name, "select") != 0)
                kept[keyroute.nparams++] = rq->route.params[i];
        keyroute.params = kept;
    }
    int bound = keys_bind(t->keys, t->nkeys, &keyroute, rq->lookup.values, err, sizeof err, &bad_col);
    free(kept);
    if (bound != 0) {
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
    rq->lookup.stmt = rq->sel.n ? rq->sel_stmt : t->stmt;
    rq->lookup.sql = rq->sel.n ? rq->sel_sql.data : t->sql;
    rq->lookup.selection = rq->sel.n > 0;
    rq->lookup.nparams = (int)t->nkeys;
    /* A whole-row lookup may share one execution of the table's batch
     * statement with others of this turn (pool.h); a selection goes alone,
     * its batch form being one more statement per selection. */
    rq->lookup.merge_stmt = rq->sel.n ? NULL : t->any_sql ? t->any_stmt : t->batch_stmt;
    rq->lookup.merge_sql = rq->sel.n ? NULL : t->any_sql ? t->any_sql : t->batch_sql;
    rq->lookup.merge_keycol = t->any_sql ? t->any_keycol : -1;
    rq->lookup.done = lookup_done;
    buf_free(&d);
    submit(rq);
}

/* ------------------------------------------------------------ routes */

/* One number from a /proc file: field `field` (1-based, spaces between)
 * of its first line, or 0. */
static double proc_field(const char *path, int field)
{
    char line[1024];
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (got == NULL)
        return 0;
    /* /proc/self/stat: the name in parentheses may hold spaces; count
     * fields after its closing parenthesis, where field 3 begins. */
    char *p = line;
    int at = 1;
    char *paren = strrchr(line, ')');
    if (paren != NULL && strstr(path, "/stat") != NULL && strstr(path, "statm") == NULL) {
        p = paren + 2;
        at = 3;
    }
    for (; at < field && *p; p++)
        if (*p == ' ')
            at++;
    return strtod(p, NULL);
}

static double open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return 0;
    double n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory being read */
}

/* Every loop's metrics, for a scrape or the status page to sum (the caller
 * frees the array, not the metrics). */
static struct metrics **every_loops_metrics(struct app *a)
{
    struct metrics **all = xcalloc((size_t)a->nworkers, sizeof *all);
    for (int i = 0; i < a->nworkers; i++)
        all[i] = a->workers[i]->metrics;
    return all;
}

/* GET /metrics and /api/v1/metrics: every loop's counters summed, with the
 * catalog's, the credential's and the process's figures. Off with LAKEFRONT_METRICS=off:
 * then these paths do not exist. */
static void serve_metrics(struct request *rq)
{
    struct app *a = rq->w->app;
    if (!a->cfg.metrics) {
        respond_error(rq, 404, "NOT_FOUND", "no such endpoint; see /api/v1/tables", NULL, 0, NULL);
        return;
    }
    struct metrics **all = every_loops_metrics(a);
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    struct metrics_extra x = {
        .version = LF_VERSION,
        .catalog_tables = rq->w->catalog ? (long)rq->w->catalog->ntables : -1,
        .catalog_refreshed_at =
            (double)__atomic_load_n(&a->catalog_loaded_ms, __ATOMIC_RELAXED) / 1000.0,
        .start_time = a->start_time,
        .cpu_seconds = (proc_field("/proc/self/stat", 14) + proc_field("/proc/self/stat", 15)) /
                       (double)(ticks > 0 ? ticks : 100),
        .resident_bytes = proc_field("/proc/self/statm", 2) * (double)(page > 0 ? page : 4096),
        .open_fds = open_fds(),
    };
    struct creds_info ci;
    creds_info(a->creds, &ci);
    x.credential_expires_at = ci.expires_at;
    x.credential_refresh_ok = ci.refresh_ok;
    x.credential_refresh_failed = ci.refresh_failed;
    struct buf b = BUF_INIT;
    buf_reserve(&b, 32768);
    metrics_render(&b, all, a->nworkers, &x);
    free(all);
    rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
    respond_buf(rq, 200, &b);
}

/* GET /api/v1/status: the status object (status.h), from every loop's
 * counters summed, the settings, the credential provider and the catalog.
 * Always 200: it is the page that says what is wrong, so it answers while
 * Postgres is down or the catalog is not loaded yet (those fields say so),
 * and it does not depend on LAKEFRONT_METRICS. */
static void serve_status(struct request *rq)
{
    struct app *a = rq->w->app;
    struct metrics **all = every_loops_metrics(a);
    struct creds_info ci;
    creds_info(a->creds, &ci);
    char catalog_error[256];
    app_catalog_error(a, catalog_error, sizeof catalog_error);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct status_facts f = {
        .version = LF_VERSION,
        .now = (double)now.tv_sec + (double)now.tv_nsec / 1e9,
        .start_time = a->start_time,
        .workers = a->nworkers,
        .pool_size = a->cfg.pool_size,
        .queue_limit = a->cfg.queue_limit,
        .cred = &ci,
        .catalog_tables = rq->w->catalog ? (long)rq->w->catalog->ntables : -1,
        .catalog_refreshed_at =
            (double)__atomic_load_n(&a->catalog_loaded_ms, __ATOMIC_RELAXED) / 1000.0,
        .catalog_error = catalog_error,
    };
    metrics_summarize(all, a->nworkers, &f.m);
    free(all);
    struct buf b = BUF_INIT;
    status_render(&b, &f);
    respond_buf(rq, 200, &b);
}

/* OPTIONS: with CORS off, the 405 it always was. With CORS on, 204 with
 * Allow; a preflight from an allowed origin (it carries
 * Access-Control-Request-Method) also gets the Access-Control-Allow-*
 * headers, and one from any other origin gets none, so the browser stops
 * there. */
static void serve_options(struct request *rq)
{
    const struct route *r = &rq->route;
    char **list = rq->w->app->cfg.cors_origins;
    if (list == NULL || list[0] == NULL) {
        const char *why = strcmp(r->allow, "POST") == 0
                              ? "this path only accepts the method POST"
                              : "this path only accepts the methods GET and HEAD";
        respond_error(rq, 405, "METHOD_NOT_ALLOWED", why, "\"method\":\"OPTIONS\"", 0, r->allow);
        return;
    }
    const char *method =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Access-Control-Request-Method");
    if (rq->origin != NULL && method != NULL) {
        rq->preflight = true;
        rq->preflight_headers = preflight_header_list(
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Access-Control-Request-Headers"));
    }
    char allow[32];
    snprintf(allow, sizeof allow, "%s, OPTIONS", r->allow);
    respond(rq, 204, xstrdup(""), 0, 0, allow);
}

static void serve(struct request *rq)
{
    struct worker *w = rq->w;
    struct route *r = &rq->route;
    enum route_status rs = rq->route_status;
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
        respond_error(rq, 405, "METHOD_NOT_ALLOWED", r->detail, d.data, 0, r->allow);
        buf_free(&d);
        return;
    case ROUTE_ERR_BAD_ENCODING:
        respond_error(rq, 400, "INVALID_KEY", r->detail, NULL, 0, NULL);
        return;
    }

    if (strcmp(rq->method, "OPTIONS") == 0) {
        serve_options(rq);
        return;
    }
    if (r->kind == ROUTE_HEALTHZ) {
        respond(rq, 200, xstrdup("{\"status\":\"ok\"}"), 15, 0, NULL);
        return;
    }
    if (r->kind == ROUTE_METRICS) {
        serve_metrics(rq);
        return;
    }
    if (r->kind == ROUTE_STATUS) {
        serve_status(rq);
        return;
    }
    if (r->kind == ROUTE_READYZ) {
        if (app_ready(w->app, why, sizeof why))
            respond(rq, 200, xstrdup("{\"status\":\"ready\"}"), 18, 0, NULL);
        else
            respond_error(rq, 503, "NOT_READY", why, NULL, 1, NULL);
        return;
    }

    if (rq->catalog == NULL) {
        rq->catalog = w->catalog;
        if (rq->catalog == NULL) {
            db_unavailable(rq, &d, "the table catalog is not loaded yet", 1);
            buf_free(&d);
            return;
        }
        catalog_ref(rq->catalog);
    }

    if (r->kind == ROUTE_TABLES) {
        respond(rq, 200, xstrndup(rq->catalog->list_json, rq->catalog->list_json_len),
                rq->catalog->list_json_len, 0, NULL);
        return;
    }
    if (r->kind == ROUTE_OPENAPI) {
        respond(rq, 200, xstrndup(rq->catalog->openapi_json, rq->catalog->openapi_json_len),
                rq->catalog->openapi_json_len, 0, NULL);
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
    if (r->kind == ROUTE_LOOKUP) {
        if (rq->pending_status != 0) {
            buf_puts(&d, "\"table\":");
            jsonw_cstr(&d, t->name);
            respond_error(rq, rq->pending_status, rq->pending_code, rq->pending_msg, d.data, 0, NULL);
            buf_free(&d);
            return;
        }
        if (rq->bp == NULL) {
            /* The catalog arrived while the body did: too late to parse it. */
            db_unavailable(rq, &d, "the table catalog was not loaded yet when the request began", 1);
            buf_free(&d);
            return;
        }
        enum batch_error e = batchparse_finish(rq->bp);
        if (e != BATCH_OK)
            batch_body_error(rq, e);
        else
            serve_batch(rq);
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
    /* By hand: snprintf's format machinery was about 1 % of lakefront's CPU. */
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++)
        rq->id[i] = hex[(s[i / 16] >> (60 - 4 * (i % 16))) & 15];
    rq->id[32] = '\0';
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

/* Spare request objects, kept per loop. A struct request is about 2 kB, and
 * glibc serves an allocation that large from its large bins, first merging
 * every small chunk freed since (malloc_consolidate), once per request.
 * Reused, with the request id written without snprintf (request_id),
 * lakefront served more req/s under wrk in each of five alternating pairs,
 * 3 % more at the median, at 20.0 us of CPU a request against 20.9
 * (tests/load/README.md, entry 21). A loop keeps at most
 * HTTP_SPARE_MAX (128 kB), never more than it once had in flight at the same
 * time; an idle keep-alive connection holds none. */
#define HTTP_SPARE_MAX 64

static void spare_put(struct worker *w, struct request *rq)
{
#if defined(__SANITIZE_ADDRESS__)
    /* None kept: AddressSanitizer then sees every request's lifetime. */
    (void)w;
    free(rq);
#else
    if (w->nspare >= HTTP_SPARE_MAX) {
        free(rq);
        return;
    }
    rq->spare_next = w->spare;
    w->spare = rq;
    w->nspare++;
#endif
}

/* A request object: a spare, cleared, or a new one. */
static struct request *spare_get(struct worker *w)
{
    struct request *rq = w->spare;
    if (rq == NULL)
        return xcalloc(1, sizeof *rq);
    w->spare = rq->spare_next;
    w->nspare--;
    memset(rq, 0, sizeof *rq);
    return rq;
}

void http_free_spares(struct worker *w)
{
    while (w->spare != NULL) {
        struct request *rq = w->spare;
        w->spare = rq->spare_next;
        free(rq);
    }
    w->nspare = 0;
}

void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct worker *w = cls;
    struct request *rq = spare_get(w);
    rq->w = w;
    rq->conn = conn;
    rq->uri_len = strlen(uri);
    rq->uri = xstrndup(uri, rq->uri_len);
    rq->start_us = clock_now_us();
    w->requests++;
    w->mhd_activity++;
    return rq;
}

/* True when the Content-Type header names application/json (parameters
 * such as charset after ";" allowed, case and spaces as HTTP allows). */
static bool is_json(const char *v)
{
    if (v == NULL)
        return false;
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "application/json", 16) != 0)
        return false;
    v += 16;
    while (*v == ' ' || *v == '\t')
        v++;
    return *v == '\0' || *v == ';';
}

/* The headers of POST .../lookup are in: checks what can be checked before
 * the body, and readies the parser that takes the body as it arrives. A body
 * declared too large is refused now, before it is sent (MHD then closes the
 * connection); other errors wait for the end of the request, so that the
 * connection stays usable. */
static void batch_begin(struct request *rq)
{
    const struct config *cfg = &rq->w->app->cfg;
    if (rq->w->catalog == NULL)
        return; /* serve() answers 503 */
    rq->catalog = rq->w->catalog;
    catalog_ref(rq->catalog);
    const struct cat_table *t = catalog_find(rq->catalog, rq->route.table);
    if (t == NULL)
        return; /* serve() answers 404 */
    rq->table = t;

    const char *ctype = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
    if (!is_json(ctype)) {
        rq->pending_status = 415;
        rq->pending_code = "UNSUPPORTED_MEDIA_TYPE";
        snprintf(rq->pending_msg, sizeof rq->pending_msg,
                 "the body must be JSON, sent as Content-Type: application/json");
        return;
    }
    const char *clen = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Length");
    if (clen != NULL && strtoull(clen, NULL, 10) > (unsigned long long)cfg->max_body_bytes) {
        struct buf d = BUF_INIT;
        char msg[160];
        buf_puts(&d, "\"table\":");
        jsonw_cstr(&d, t->name);
        buf_printf(&d, ",\"max_body_bytes\":%d", cfg->max_body_bytes);
        snprintf(msg, sizeof msg, "the body is larger than %d bytes", cfg->max_body_bytes);
        respond_error(rq, 413, "BODY_TOO_LARGE", msg, d.data, 0, NULL);
        buf_free(&d);
        rq->served = true;
        return;
    }
    for (size_t k = 0; k < t->nkeys; k++)
        rq->keynames[k] = t->keys[k].name;
    rq->bp = batchparse_new(rq->keynames, t->nkeys, (size_t)cfg->batch_max_keys);
}

/* A piece of a request body. Only a batch lookup reads its body, and only
 * up to LAKEFRONT_MAX_BODY_BYTES: past that it is dropped as it comes and
 * the request ends in 413 (MHD accepts a response only before or after the
 * body). */
static void body_piece(struct request *rq, const char *data, size_t n)
{
    const struct config *cfg = &rq->w->app->cfg;
    rq->body_bytes += n;
    if (rq->bp == NULL || rq->pending_status != 0)
        return;
    if (rq->body_bytes > (size_t)cfg->max_body_bytes) {
        rq->pending_status = 413;
        rq->pending_code = "BODY_TOO_LARGE";
        snprintf(rq->pending_msg, sizeof rq->pending_msg, "the body is larger than %d bytes",
                 cfg->max_body_bytes);
        return;
    }
    batchparse_feed(rq->bp, data, n); /* an error is kept in the parser */
}

enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, const char *upload_data,
                             size_t *upload_data_size, void **req_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    struct request *rq = *req_cls;

    /* MHD calls once when the headers are in, then for each piece of a
     * body, then once more with nothing when the request is complete. Work
     * starts only then: a response queued earlier makes MHD 0.9.75 close
     * the connection after it ("queued early"), which would cost every
     * client its keep-alive; only a body declared too large is refused
     * early, on purpose. */
    if (!rq->begun) {
        rq->begun = true;
        snprintf(rq->method, sizeof rq->method, "%s", method);
        request_id(rq);
        rq->user_email = identity_header(conn, "X-Forwarded-Email");
        rq->user = identity_header(conn, "X-Forwarded-User");
        rq->origin = allowed_origin(rq);
        rq->route_status = router_parse(rq->method, rq->uri, rq->uri_len, &rq->route);
        if (rq->route_status == ROUTE_OK && rq->route.kind == ROUTE_LOOKUP)
            batch_begin(rq);
        if (rq->response == NULL)
            return rq->failed ? MHD_NO : MHD_YES;
        enum MHD_Result ret = MHD_queue_response(conn, rq->status, rq->response);
        MHD_destroy_response(rq->response);
        rq->response = NULL;
        return ret;
    }
    if (*upload_data_size != 0) {
        rq->w->mhd_activity++; /* worker.c: MHD may have more of this body */
        if (!rq->served)
            body_piece(rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!rq->served) {
        rq->served = true;
        serve(rq);
    }
    if (rq->response == NULL)
        return rq->failed ? MHD_NO : MHD_YES; /* parked until the lookup completes (submit) */
    enum MHD_Result ret = MHD_queue_response(conn, rq->status, rq->response);
    MHD_destroy_response(rq->response);
    rq->response = NULL;
    return ret;
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
    w->mhd_activity++; /* worker.c: a keep-alive connection may hold its next request */

    uint64_t end_us = clock_now_us();
    if (rq->served) {
        const struct lookup *lk = &rq->lookup;
        /* The template of the path asked for (a 405 or 400 on a known path
         * counts there); "other" for an unknown path. */
        enum metrics_route route = metrics_route_of(rq->route.kind, rq->route.nparts > 0);
        metrics_request(w->metrics, route, metrics_method_of(rq->method), rq->status,
                        end_us - rq->start_us);
        if (lk->sent_us != 0) {
            metrics_observe(&w->metrics->queue_wait, lk->sent_us - lk->submit_us);
            if (lk->done_us >= lk->sent_us)
                metrics_observe(&w->metrics->db, lk->done_us - lk->sent_us);
        }
    }
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
    if (rq->parked) {
        /* The client went away while its lookup is with the pool, which
         * still holds rq->lookup: the lookup's end frees it. */
        rq->parked = false;
        rq->orphan = true;
        w->parked--;
        return;
    }
    request_release(w, rq);
}

/* An orphan's lookup has ended: nobody is left to answer. */
static bool orphan_done(struct request *rq)
{
    if (!rq->orphan)
        return false;
    request_release(rq->w, rq);
    return true;
}

static void request_release(struct worker *w, struct request *rq)
{
    if (rq->response != NULL)
        MHD_destroy_response(rq->response);
    route_free(&rq->route);
    batchparse_free(rq->bp);
    buf_free(&rq->params);
    selectcols_free(&rq->sel);
    buf_free(&rq->sel_sql);
    catalog_unref(rq->catalog);
    free(rq->uri);
    free(rq->user_email);
    free(rq->user);
    free(rq->origin);
    free(rq->preflight_headers);
    spare_put(w, rq);
    w->requests--;
}
