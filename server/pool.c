/* pool: see pool.h.
 *
 * Connection states (each move goes through a few functions at the bottom):
 *
 *   DOWN --retry_at--> CONNECTING --dial ok--> SETUP --SETs done--> READY
 *     ^                    |                     |                    |
 *     +------ conn_fail ---+---------------------+--------------------+
 *
 * CONNECTING runs on a thread of the attempt's own (dial.h), so that the
 * host name lookup and the login's CPU never hold this loop; the pool sees
 * the connection again once it is made (pool_on_dial).
 *
 * In READY the connection is in pipeline mode. Every lookup sent on it is one
 * entry of its in-flight ring; the results of the ring's head come back
 * first: the result of the Prepare when the lookup needs one,
 * then the query's result.
 *
 * The lookups sent on a connection during one loop turn form a batch closed
 * by one Sync (pool_flush): one write to Postgres for the batch and one
 * "transaction" in Postgres, instead of one each per lookup, which cuts the
 * database's CPU per lookup by half or more under load. The price: an error
 * in one lookup of a batch (a key Postgres rejects) makes Postgres skip the
 * rest of the batch (PGRES_PIPELINE_ABORTED); those lookups are sent again
 * in the next batch, at no cost to their retry budget.
 *
 * Merging. A single-row lookup that names its table's batch statement
 * (merge_stmt) is not encoded when it is dispatched but held on its
 * connection until pool_flush. There the held lookups of one table become
 * one execution of the batch statement, its keys in text[] parameters, and
 * one ring entry whose lookups are chained through gnext. Postgres then
 * plans and runs one statement and sends one result for many lookups; in a
 * pipeline this costs it a fraction of as many single executions
 * (tests/load/README.md). Nothing waits for company: a turn that dispatched
 * one lookup of a table sends it as it always was, and the turn ends when
 * the loop has read what the sockets had. A merged statement that fails for
 * a reason that may lie with one key (a value Postgres refuses) costs
 * nothing: each of its lookups is sent again alone and gets its own answer.
 */
#include "pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "app.h"
#include "buf.h"
#include "clock.h"
#include "dial.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "rng.h"
#include "session.h"
#include "xalloc.h"

enum pc_state { PC_DOWN = 0, PC_CONNECTING, PC_SETUP, PC_READY };

/* Batch statements remembered as unable to merge (a handful at most:
 * each is a table whose batch statement Postgres refuses). */
#define POOL_UNMERGEABLE_MAX 16

struct inflight {
    struct lookup *lk;  /* NULL once the lookup has been completed (deadline); for a
                           merged statement the first of its chain (gnext) */
    bool merged;        /* the batch statement for the chain, one row per lookup */
    int nrows;          /* merged: the rows its result must have */
    unsigned char pre;  /* results still expected before the query's */
    char stmt[40];      /* the statement it runs (the lookup may be gone) */
    char pre_state[6];  /* SQLSTATE of a failed step before the query */
    char pre_msg[200];
};

/* A table's statement on one connection. Its name is the catalog's name
 * (a hash of the SQL) plus a generation: whenever Postgres may no longer
 * hold what we think it holds (a Prepare failed or was skipped after an
 * error in its batch, or the statement went stale when the table changed
 * shape), the next lookup prepares a new generation rather than trying to
 * repair the old name. A name is never reused, so "already exists" and
 * "does not exist" cannot happen, and no sequence of errors can loop. The
 * old generations stay in the server until the connection is recycled:
 * one per change of the table, a few hundred bytes each. */
struct stmt_slot {
    char base[24];
    unsigned gen;
    bool ready; /* a Prepare of this generation was sent and not known to fail */
};

struct pconn {
    struct loop_src src; /* SRC_PG: must stay first */
    struct pool *pool;
    int idx;
    enum pc_state state;
    PGconn *pg;
    int fd;              /* registered with epoll, or -1 */
    uint32_t events;     /* registered events */
    bool want_flush;
    bool unsynced;       /* lookups sent since the last Sync */
    int batch;           /* how many: the batch being built this turn */
    int syncs;           /* Syncs sent whose PGRES_PIPELINE_SYNC is still to come */
    uint64_t sent_us;    /* when the last Sync went: the batch in flight */
    struct creds *creds; /* the login of this connection */
    uint64_t retry_at;   /* DOWN: when to connect again */
    uint64_t deadline;   /* CONNECTING/SETUP: give up at */
    uint64_t expires;    /* READY: recycle after */
    unsigned failures;   /* attempts failed in a row */
    int setup_left;      /* SETUP: results still expected */

    struct inflight *ring;
    size_t head, count, cap;
    struct lookup **held;    /* dispatched this turn, to be merged: pool_flush sends
                                them; NULL slots were taken back */
    size_t nheld;            /* count + nheld <= cap */
    struct buf keys;         /* the text[] literals of the merged statement being sent */

    struct stmt_slot *stmts; /* one per statement this connection has prepared */
    size_t nstmts, capstmts;
    int nselections;         /* how many of them are column selections */
    bool started_once;       /* a connection was started here before */
    unsigned dial_gen;       /* CONNECTING: the attempt (dial) whose result counts */
    bool send_failed;        /* pool_submit could not send: pool_tick fails it */
};

struct pool {
    struct app *app;
    int epfd;
    int depth;
    uint64_t merge_wait_us; /* see pick */
    long long *keyvals;     /* depth of them: the key values of an "= ANY" result (match_rows) */
    uint64_t timeout_us;
    struct pconn *conns;
    int nconns;
    int nready;
    bool stopped;

    struct lookup *first, *last;  /* every accepted lookup, by deadline */
    struct lookup *qhead, *qtail; /* waiting for a connection */
    uint64_t creds_gen;           /* app->creds_gen last seen */
    size_t qlen, qlimit;
    size_t active;
    int in_done;                  /* inside a lookup's done callback */
    struct metrics *metrics;      /* the worker's, for database errors */
    char unmergeable[POOL_UNMERGEABLE_MAX][24]; /* batch statements that failed on their
                                                   own (deliver_merged): not merged again */
    int nunmergeable;
    uint64_t reconnects;          /* conn_start after a connection's first */
    uint64_t rng;
    struct dialbox *dials;   /* connection attempts run off the loop (dial.h) */
    struct loop_src dial_src; /* SRC_DIAL: the box's eventfd */
};

/* ------------------------------------------------------------ helpers */

static uint64_t rnd(struct pool *p)
{
    return xorshift64(&p->rng);
}

static void copy_msg(char *dst, size_t len, const char *src)
{
    /* Postgres messages end with a newline; keep the first line only. */
    size_t n = strcspn(src ? src : "", "\n");
    if (n >= len)
        n = len - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static void set_events(struct pconn *c, uint32_t events)
{
    if (c->fd < 0 || c->events == events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(c->pool->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = events;
}

/* Watches the connection's socket for these events: registers it the first
 * time (a new connection, from conn_setup), else changes the events. */
static void watch_socket(struct pconn *c, uint32_t events)
{
    int fd = PQsocket(c->pg);
    if (fd != c->fd) {
        if (c->fd >= 0)
            epoll_ctl(c->pool->epfd, EPOLL_CTL_DEL, c->fd, NULL); /* EBADF if libpq closed it */
        c->fd = -1;
        c->events = 0;
        if (fd >= 0) {
            struct epoll_event ev = {.events = events, .data.ptr = c};
            if (epoll_ctl(c->pool->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
                c->fd = fd;
                c->events = events;
            }
        }
        return;
    }
    set_events(c, events);
}

static void list_remove(struct pool *p, struct lookup *lk)
{
    if (lk->prev)
        lk->prev->next = lk->next;
    else
        p->first = lk->next;
    if (lk->next)
        lk->next->prev = lk->prev;
    else
        p->last = lk->prev;
    lk->prev = lk->next = NULL;
}

static void queue_remove(struct pool *p, struct lookup *lk)
{
    struct lookup **pp = &p->qhead, *prev = NULL;
    while (*pp && *pp != lk) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (*pp == NULL)
        return;
    *pp = lk->qnext;
    if (p->qtail == lk)
        p->qtail = prev;
    lk->qnext = NULL;
    lk->queued = 0;
    p->qlen--;
}

static void queue_push(struct pool *p, struct lookup *lk, bool front)
{
    lk->queued = 1;
    if (front) {
        lk->qnext = p->qhead;
        p->qhead = lk;
        if (p->qtail == NULL)
            p->qtail = lk;
    } else {
        lk->qnext = NULL;
        if (p->qtail)
            p->qtail->qnext = lk;
        else
            p->qhead = lk;
        p->qtail = lk;
    }
    p->qlen++;
}

/* Unhooks an in-flight lookup from its ring entry, which stays: the answer
 * that may still come for it is read and dropped. */
static void abandon(struct lookup *lk)
{
    struct pconn *c = lk->conn;
    for (size_t i = 0; i < c->nheld; i++)
        if (c->held[i] == lk)
            c->held[i] = NULL;
    for (size_t i = 0; i < c->count; i++) {
        struct inflight *e = &c->ring[(c->head + i) % c->cap];
        for (struct lookup **pp = &e->lk; *pp != NULL; pp = &(*pp)->gnext)
            if (*pp == lk) {
                *pp = lk->gnext;
                lk->gnext = NULL;
                return;
            }
    }
}

/* Completes lk: it leaves every list and its owner hears about it. */
static void complete(struct pool *p, struct lookup *lk, enum lookup_status st, const PGresult *res)
{
    list_remove(p, lk);
    if (lk->queued)
        queue_remove(p, lk);
    lk->conn = NULL;
    p->active--;
    lk->done_us = clock_now_us();
    p->in_done++;
    lk->done(lk, st, res);
    p->in_done--;
}

static void fail(struct pool *p, struct lookup *lk, enum lookup_status st, const char *state,
                 const char *msg)
{
    snprintf(lk->sqlstate, sizeof lk->sqlstate, "%s", state ? state : "");
    copy_msg(lk->message, sizeof lk->message, msg);
    complete(p, lk, st, NULL);
}

/* The connection's slot for statement base; a new one unless it would be
 * a selection past POOL_SELECTIONS_MAX (then NULL: send it unnamed). */
static struct stmt_slot *stmt_slot(struct pconn *c, const char *base, bool selection)
{
    for (size_t i = 0; i < c->nstmts; i++)
        if (strcmp(c->stmts[i].base, base) == 0)
            return &c->stmts[i];
    if (selection) {
        if (c->nselections >= POOL_SELECTIONS_MAX)
            return NULL;
        c->nselections++;
    }
    if (c->nstmts == c->capstmts) {
        c->capstmts = c->capstmts ? c->capstmts * 2 : 8;
        c->stmts = xrealloc(c->stmts, c->capstmts * sizeof *c->stmts);
    }
    struct stmt_slot *st = &c->stmts[c->nstmts++];
    snprintf(st->base, sizeof st->base, "%s", base);
    st->gen = 0;
    st->ready = false;
    return st;
}

static void stmt_name(char *out, size_t outlen, const struct stmt_slot *st)
{
    snprintf(out, outlen, "%s_%u", st->base, st->gen);
}

/* Postgres may not hold the statement named name (a full name with its
 * generation): the next lookup of its table prepares a new generation. */
static void stmt_doubt(struct pconn *c, const char *name)
{
    for (size_t i = 0; i < c->nstmts; i++) {
        char cur[40];
        stmt_name(cur, sizeof cur, &c->stmts[i]);
        if (strcmp(cur, name) == 0)
            c->stmts[i].ready = false;
    }
}

/* The same for statement base on every connection of the pool. */
static void stmt_doubt_all(struct pool *p, const char *base)
{
    for (int i = 0; i < p->nconns; i++) {
        struct pconn *c = &p->conns[i];
        for (size_t k = 0; k < c->nstmts; k++)
            if (strcmp(c->stmts[k].base, base) == 0)
                c->stmts[k].ready = false;
    }
}

/* Whether the batch statement named base failed here for a reason of its
 * own (see deliver_merged): its table's lookups then go alone. */
static bool unmergeable(const struct pool *p, const char *base)
{
    for (int i = 0; i < p->nunmergeable; i++)
        if (strcmp(p->unmergeable[i], base) == 0)
            return true;
    return false;
}

static bool pool_down(const struct pool *p)
{
    if (p->nready > 0)
        return false;
    /* No credential and the provider failing to get one: nothing can log in. */
    if (creds_state(p->app->creds) == CREDS_FAILING)
        return true;
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i].failures == 0)
            return false; /* still on its first attempt: give it its chance */
    return true;
}

/* ------------------------------------------------------------ state moves */

static void conn_fail(struct pconn *c, const char *why, uint64_t now);
static void dispatch(struct pool *p, uint64_t now);

/* Backoff after `failures` failed attempts: 100 ms doubling to 10 s, with
 * "equal jitter" (half fixed, half random) so a fleet does not reconnect in
 * step after an outage. */
static uint64_t backoff_us(struct pool *p, unsigned failures)
{
    uint64_t d = 100000;
    for (unsigned i = 1; i < failures && d < 10000000; i++)
        d *= 2;
    if (d > 10000000)
        d = 10000000;
    return d / 2 + rnd(p) % (d / 2 + 1);
}

static void conn_close(struct pconn *c)
{
    struct pool *p = c->pool;
    c->unsynced = false;
    c->batch = 0;
    c->syncs = 0;
    if (c->fd >= 0)
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    c->fd = -1;
    c->events = 0;
    if (c->state == PC_READY) {
        p->nready--;
        __atomic_sub_fetch(&p->app->ready_conns, 1, __ATOMIC_RELAXED);
    }
    PQfinish(c->pg);
    c->pg = NULL;
    creds_unref(c->creds);
    c->creds = NULL;
    c->nstmts = 0;
    c->nselections = 0;
    c->want_flush = false;
    c->state = PC_DOWN;
}

static void conn_start(struct pconn *c, uint64_t now)
{
    struct pool *p = c->pool;
    if (c->started_once)
        p->reconnects++;
    c->started_once = true;
    const char *kw[16], *vals[16];
    char why[200] = "";

    c->creds = creds_acquire(p->app->creds, why, sizeof why);
    if (c->creds == NULL) {
        /* Nothing to log in with yet: not a failure of this connection, so
         * no backoff, and no log line per attempt (the provider logs its own
         * failures). The provider wakes the worker when one appears; while
         * it is still asking for the first one, lookups wait for it. */
        c->retry_at = now + 500000;
        struct logline l;
        if (logline_begin(&l, LOG_DEBUG, "no database credential yet", NULL)) {
            logline_int(&l, "conn", c->idx);
            logline_str(&l, "reason", why);
            logline_end(&l);
        }
        if (pool_down(p))
            while (p->qhead)
                fail(p, p->qhead, LOOKUP_UNAVAILABLE, "08000", "no database credential");
        return;
    }
    int expand = app_conn_params(p->app, c->creds, kw, vals);
    /* The attempt runs on a thread of its own (dial.h: the name lookup and
     * the login's CPU stay off this loop) and ends by its own deadline; the
     * one here, a second later, only backs it up. */
    unsigned timeout_ms = (unsigned)p->app->cfg.connect_timeout_ms;
    c->state = PC_CONNECTING;
    c->deadline = now + ((uint64_t)timeout_ms + 1000) * 1000;
    c->dial_gen++;
    char err[160];
    if (!dial_start(p->dials, kw, vals, expand, timeout_ms, c->idx, c->dial_gen, err, sizeof err))
        conn_fail(c, err, now);
}

static void conn_setup(struct pconn *c, uint64_t now)
{
    const struct config *cfg = &c->pool->app->cfg;
    /* One round trip for the whole session setup (session.h); each SET
     * gives one result, which read_setup counts down. */
    struct buf sql = BUF_INIT;
    int nsets = session_setup_sql(&sql, cfg->statement_timeout_ms);
    bool sent = PQsetnonblocking(c->pg, 1) == 0 && PQsendQuery(c->pg, sql.data);
    buf_free(&sql);
    if (!sent) {
        conn_fail(c, PQerrorMessage(c->pg), now);
        return;
    }
    c->state = PC_SETUP;
    c->setup_left = nsets;
    c->want_flush = true;
    watch_socket(c, EPOLLIN);
}

static void conn_ready(struct pconn *c, uint64_t now)
{
    struct pool *p = c->pool;
    if (!PQenterPipelineMode(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg), now);
        return;
    }
    c->state = PC_READY;
    c->failures = 0;
    /* Recycle between 90% and 100% of the lifetime, so connections opened
     * together are not all replaced together. */
    uint64_t life = (uint64_t)p->app->cfg.conn_max_lifetime_s * 1000000;
    c->expires = now + life - rnd(p) % (life / 10 + 1);
    p->nready++;
    __atomic_add_fetch(&p->app->ready_conns, 1, __ATOMIC_RELAXED);
    struct logline l;
    if (logline_begin(&l, LOG_DEBUG, "database connection ready", NULL)) {
        logline_int(&l, "conn", c->idx);
        logline_end(&l);
    }
}

/* The connection is unusable: every lookup on it is retried once on another
 * connection if its deadline allows, else completed as unavailable. */
static void conn_fail(struct pconn *c, const char *why, uint64_t now)
{
    struct pool *p = c->pool;
    char msg[256];
    copy_msg(msg, sizeof msg, why);

    /* A refused login asks the provider for a fresh credential at once; it
     * is the only way a rotated OAuth token gets noticed between refreshes.
     * libpq exposes no SQLSTATE for connection failures, so this reads the
     * server's (English) message for 28P01. */
    if (c->creds != NULL && c->state == PC_CONNECTING &&
        strstr(msg, "password authentication failed") != NULL)
        creds_login_failed(p->app->creds, c->creds);

    bool was_ready = c->state == PC_READY;
    conn_close(c);
    c->failures++;
    /* A connection that was serving dropped: try again almost at once (the
     * first backoff step); one that never came up backs off further. */
    c->retry_at = now + backoff_us(p, was_ready ? 1 : c->failures);
    app_set_db_error(p->app, msg);

    struct logline l;
    if (logline_begin(&l, LOG_WARN, "database connection failed", NULL)) {
        logline_int(&l, "conn", c->idx);
        logline_int(&l, "failures", c->failures);
        logline_int(&l, "retry_in_ms", (long long)((c->retry_at - now) / 1000));
        logline_str(&l, "error", msg);
        logline_end(&l);
    }

    /* Held lookups never left: they go back to the queue as they are. */
    for (size_t i = c->nheld; i-- > 0;)
        if (c->held[i] != NULL) {
            c->held[i]->conn = NULL;
            queue_push(p, c->held[i], true);
        }
    c->nheld = 0;
    while (c->count > 0) {
        struct inflight *e = &c->ring[c->head];
        c->head = (c->head + 1) % c->cap;
        c->count--;
        for (struct lookup *lk = e->lk, *next; lk != NULL; lk = next) {
            next = lk->gnext;
            lk->gnext = NULL;
            lk->conn = NULL;
            if (lk->attempts < 2 && !p->stopped && lk->deadline_us > now)
                queue_push(p, lk, true);
            else
                fail(p, lk, LOOKUP_UNAVAILABLE, "08006", msg);
        }
        e->lk = NULL;
    }
    /* Nothing can serve: do not make waiting lookups sit out their deadline. */
    if (pool_down(p))
        while (p->qhead)
            fail(p, p->qhead, LOOKUP_UNAVAILABLE, "08006", msg);
}

/* ------------------------------------------------------------ sending */

/* Encodes one execution of statement base (sql, nparams values) into the
 * next ring entry, preparing it first on this connection when needed. The
 * entry is the caller's to fill in; false when libpq could not queue it. */
static bool send_statement(struct pconn *c, const char *base, const char *sql, bool selection,
                           int nparams, const char *const *values)
{
    struct inflight *e = &c->ring[(c->head + c->count) % c->cap];
    memset(e, 0, sizeof *e);

    struct stmt_slot *st = stmt_slot(c, base, selection);
    if (st == NULL)
        /* Parsed and planned for this one execution: a client that asks
         * for ever new selections costs time, not memory. */
        return PQsendQueryParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0);
    if (!st->ready) {
        /* No parameter types here: the statement's casts give them (the
         * key column's base type, catalog.c), so a key travels as text and
         * is parsed by the column's own input function. */
        st->gen++;
        stmt_name(e->stmt, sizeof e->stmt, st);
        if (!PQsendPrepare(c->pg, e->stmt, sql, nparams, NULL))
            return false;
        st->ready = true;
        e->pre++;
    } else {
        stmt_name(e->stmt, sizeof e->stmt, st);
    }
    return PQsendQueryPrepared(c->pg, e->stmt, nparams, values, NULL, NULL, 0);
}

/* The ring entry just encoded now answers lk and the chain behind it. No
 * Sync yet: pool_flush closes the turn's batch with one. */
static void ring_push(struct pconn *c, struct lookup *lk, bool merged, int nrows)
{
    struct inflight *e = &c->ring[(c->head + c->count) % c->cap];
    e->lk = lk;
    e->merged = merged;
    e->nrows = nrows;
    c->count++;
    c->unsynced = true;
    uint64_t now = clock_now_us();
    for (; lk != NULL; lk = lk->gnext) {
        lk->conn = c;
        lk->attempts++;
        lk->sent_us = now;
    }
}

static bool send_one(struct pconn *c, struct lookup *lk)
{
    if (!send_statement(c, lk->stmt, lk->sql, lk->selection, lk->nparams, lk->values))
        return false;
    lk->gnext = NULL;
    ring_push(c, lk, false, 1);
    return true;
}

/* One execution of the batch statement for the n lookups chained from
 * first, all of one table: key column k of every lookup, in chain order,
 * becomes the k-th text[] parameter. */
static bool send_merged(struct pconn *c, struct lookup *first, int n)
{
    size_t offs[KEYS_MAX];
    const char *values[KEYS_MAX];
    buf_reset(&c->keys);
    for (int k = 0; k < first->nparams; k++) {
        offs[k] = c->keys.len;
        buf_putc(&c->keys, '{');
        for (struct lookup *lk = first; lk != NULL; lk = lk->gnext) {
            if (lk != first)
                buf_putc(&c->keys, ',');
            keys_array_elem(&c->keys, lk->values[k]);
        }
        buf_puts(&c->keys, "}");
        buf_putc(&c->keys, '\0');
    }
    for (int k = 0; k < first->nparams; k++)
        values[k] = c->keys.data + offs[k];
    if (!send_statement(c, first->merge_stmt, first->merge_sql, false, first->nparams, values))
        return false;
    ring_push(c, first, true, n);
    return true;
}

/* Hands lk to connection c: encoded now, or held for pool_flush to merge. */
static bool send_lookup(struct pconn *c, struct lookup *lk)
{
    c->batch++;
    if (lk->merge_stmt != NULL && !lk->nomerge && !unmergeable(c->pool, lk->merge_stmt)) {
        c->held[c->nheld++] = lk;
        lk->conn = c;
        return true;
    }
    return send_one(c, lk);
}

/* Sends what c holds: the held lookups of each table (in the order the
 * tables first appear) as one merged statement, or alone when a table has
 * one. A slot is cleared only once its lookup is encoded, so that a failure
 * leaves conn_fail the rest to put back. */
static bool send_held(struct pconn *c)
{
    for (size_t i = 0; i < c->nheld; i++) {
        struct lookup *first = c->held[i];
        if (first == NULL)
            continue;
        struct lookup **tail = &first->gnext;
        int n = 1;
        first->gidx = 0;
        first->gnext = NULL;
        for (size_t j = i + 1; j < c->nheld; j++) {
            struct lookup *lk = c->held[j];
            if (lk == NULL || lk->merge_stmt != first->merge_stmt)
                continue;
            lk->gidx = n++;
            lk->gnext = NULL;
            *tail = lk;
            tail = &lk->gnext;
        }
        if (!(n == 1 ? send_one(c, first) : send_merged(c, first, n)))
            return false;
        for (size_t j = i; j < c->nheld; j++)
            if (c->held[j] != NULL && c->held[j]->merge_stmt == first->merge_stmt)
                c->held[j] = NULL;
    }
    c->nheld = 0;
    return true;
}

struct conn_scan {
    struct pconn *open; /* the connection whose batch this turn is building, with room */
    struct pconn *idle; /* the first ready connection with nothing in flight */
    int busy;           /* connections with a batch open or in flight */
    uint64_t young;     /* when the youngest of those was sent (an open one: now) */
};

/* What pick needs to know of the worker's connections. */
static struct conn_scan scan_conns(const struct pool *p, uint64_t now)
{
    struct conn_scan sc = {NULL, NULL, 0, 0};
    for (int i = 0; i < p->nconns; i++) {
        struct pconn *c = &p->conns[i];
        if (c->state != PC_READY || c->send_failed)
            continue;
        if (c->batch > 0) {
            /* This turn's batch is open here: it takes lookups up to the
             * depth, then goes as it is. */
            if (sc.open == NULL && c->count + c->nheld < c->cap)
                sc.open = c;
            sc.busy++;
            sc.young = now;
        } else if (c->count > 0 || c->syncs > 0) {
            sc.busy++;
            if (c->sent_us > sc.young)
                sc.young = c->sent_us;
        } else if (sc.idle == NULL) {
            sc.idle = c;
        }
    }
    return sc;
}

/* Where a lookup goes now, or NULL: it waits in the queue.
 *
 * A connection carries one batch (one Sync) at a time, and a worker starts
 * a new batch while another of its own is in flight only when the lookups
 * waiting would fill a whole one (the pipeline depth), or when the
 * youngest batch in flight has been out for merge_wait_us. Meanwhile the
 * lookups that arrive wait and then go together, one statement per table
 * (send_held). Postgres's cost per statement (Bind, executor start,
 * transaction, a backend wakeup) is then shared by as many lookups as
 * arrived during one round trip, and a lookup waits for the round trip
 * already under way, which it would have queued behind on that backend
 * anyway. With every lookup sent at once to the least busy of four
 * connections, statements averaged 9 keys at 64 client connections; this
 * way they average 16 and Postgres spends a quarter less CPU per lookup
 * (tests/load/README.md, "one batch in flight"). The wait is bounded so
 * that a round trip stuck behind a lock (a table being replaced) or a slow
 * network does not hold the lookups of other tables: after merge_wait_us
 * they go on another connection. A lookup that finds nothing in flight
 * goes at once. */
static struct pconn *pick_from(const struct pool *p, const struct conn_scan *sc, uint64_t now)
{
    if (sc->open != NULL)
        return sc->open;
    if (sc->idle != NULL && sc->busy > 0 && p->qlen < (size_t)p->depth &&
        now < sc->young + p->merge_wait_us)
        return NULL;
    return sc->idle;
}

static struct pconn *pick(const struct pool *p, uint64_t now)
{
    struct conn_scan sc = scan_conns(p, now);
    return pick_from(p, &sc, now);
}

static void dispatch(struct pool *p, uint64_t now)
{
    while (p->qhead) {
        struct pconn *c = pick(p, now);
        if (c == NULL)
            return;
        struct lookup *lk = p->qhead;
        queue_remove(p, lk);
        if (!send_lookup(c, lk)) {
            queue_push(p, lk, true);
            conn_fail(c, PQerrorMessage(c->pg), now);
        }
    }
}

/* ------------------------------------------------------------ receiving */

static enum lookup_status classify(const char *state)
{
    if (strncmp(state, "22", 2) == 0)
        return LOOKUP_INVALID_KEY;
    if (strcmp(state, "42P01") == 0)
        return LOOKUP_TABLE_GONE;
    if (strcmp(state, "57014") == 0)
        return LOOKUP_TIMEOUT;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return LOOKUP_UNAVAILABLE;
    return LOOKUP_DB_ERROR;
}

/* The SQLSTATE and primary message of a failed result for ring entry e: for
 * one skipped after an error (PIPELINE_ABORTED), what its own Prepare said,
 * if anything ("" then). */
static void result_error(const PGresult *res, const struct inflight *e, const char **state,
                         const char **msg)
{
    if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
        *state = e->pre_state;
        *msg = e->pre_msg;
        return;
    }
    *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (*state == NULL)
        *state = "XX000";
    if (*msg == NULL)
        *msg = PQresultErrorMessage(res);
}

/* The result of a merged statement: each lookup of the chain gets its row.
 * On an error, what the error says decides:
 *   - the statement went stale (0A000, 26000): prepared anew, lookups sent again;
 *   - skipped for another lookup's error (no state of its own): sent again, merged;
 *   - a value Postgres refused (class 22, or 23: a domain's CHECK): one key may be
 *     at fault, so each lookup goes again alone and gets its own answer;
 *   - the database timed out, is unreachable or the table is gone: every lookup
 *     gets that answer, as it would have alone;
 *   - anything else is the batch statement's own failure on this table (an
 *     operator or collation the single-row statement does not need): logged once,
 *     and the table's lookups go alone from now on.
 * Resending costs no attempt; a lookup whose deadline passed meanwhile gets the
 * error itself. */
/* Completes the chain from lk with the result of an "= ANY" statement: the
 * rows found, each once, in no set order. A lookup's row is the one whose
 * key column holds its key's value (an integer: keys.c admits only
 * [+-]digits in range, and Postgres prints the canonical form). The rows
 * are at most the lookups, at most the pipeline depth, so their values fit
 * p->keyvals and a scan per lookup beats anything fancier. */
static void match_rows(struct pool *p, struct lookup *lk, const PGresult *res)
{
    int nrows = PQntuples(res), col = lk->merge_keycol;
    for (int r = 0; r < nrows; r++)
        p->keyvals[r] = strtoll(PQgetvalue(res, r, col), NULL, 10);
    for (struct lookup *next; lk != NULL; lk = next) {
        next = lk->gnext;
        lk->gnext = NULL;
        long long v = strtoll(lk->values[0], NULL, 10);
        lk->row = -1;
        for (int r = 0; r < nrows && lk->row < 0; r++)
            if (p->keyvals[r] == v)
                lk->row = r;
        lk->col0 = 0;
        complete(p, lk, LOOKUP_OK, res);
    }
}

static void deliver_merged(struct pconn *c, struct inflight *e, PGresult *res, uint64_t now)
{
    struct pool *p = c->pool;
    struct lookup *lk = e->lk, *next;
    e->lk = NULL;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK && lk->merge_keycol >= 0 && PQntuples(res) <= e->nrows &&
        PQnfields(res) > lk->merge_keycol) {
        metrics_merged(p->metrics, (unsigned)e->nrows);
        match_rows(p, lk, res);
        return;
    }
    if (st == PGRES_TUPLES_OK && lk->merge_keycol < 0 && PQntuples(res) == e->nrows &&
        PQnfields(res) > 1) {
        metrics_merged(p->metrics, (unsigned)e->nrows);
        for (; lk != NULL; lk = next) {
            next = lk->gnext;
            lk->gnext = NULL;
            lk->row = PQgetvalue(res, lk->gidx, 0)[0] == 't' ? lk->gidx : -1;
            lk->col0 = 1;
            complete(p, lk, LOOKUP_OK, res);
        }
        return;
    }
    const char *state, *msg;
    if (st == PGRES_TUPLES_OK) {
        state = "XX000";
        msg = "the batch statement returned another number of rows than keys";
    } else {
        result_error(res, e, &state, &msg);
    }
    bool stale = strcmp(state, "0A000") == 0 || strcmp(state, "26000") == 0;
    bool skipped = st == PGRES_PIPELINE_ABORTED && state[0] == '\0';
    enum lookup_status ls = classify(state);
    if (stale) {
        stmt_doubt(c, e->stmt);
        if (strcmp(state, "0A000") == 0)
            stmt_doubt_all(p, lk->merge_stmt);
    } else if (!skipped && (ls == LOOKUP_TIMEOUT || ls == LOOKUP_UNAVAILABLE ||
                            ls == LOOKUP_TABLE_GONE)) {
        if (ls == LOOKUP_TABLE_GONE)
            app_catalog_kick(p->app);
        for (; lk != NULL; lk = next) {
            next = lk->gnext;
            lk->gnext = NULL;
            lk->conn = NULL;
            metrics_db_error(p->metrics, state);
            fail(p, lk, ls, state, msg);
        }
        return;
    } else if (!skipped && ls != LOOKUP_INVALID_KEY && strncmp(state, "23", 2) != 0 &&
               !unmergeable(p, lk->merge_stmt)) {
        if (p->nunmergeable < POOL_UNMERGEABLE_MAX)
            snprintf(p->unmergeable[p->nunmergeable++], sizeof p->unmergeable[0], "%s",
                     lk->merge_stmt);
        metrics_db_error(p->metrics, state);
        struct logline l;
        if (logline_begin(&l, LOG_WARN, "lookups of a table will not be merged", NULL)) {
            logline_str(&l, "table", lk->table->name);
            logline_str(&l, "sqlstate", state);
            logline_str(&l, "error", msg);
            logline_end(&l);
        }
    }
    for (; lk != NULL; lk = next) {
        next = lk->gnext;
        lk->gnext = NULL;
        lk->conn = NULL;
        lk->attempts--;
        lk->nomerge = !skipped;
        if (lk->deadline_us > now)
            queue_push(p, lk, true);
        else
            fail(p, lk, skipped ? LOOKUP_TIMEOUT : ls, skipped ? "57014" : state,
                 skipped ? "the database did not answer in time" : msg);
    }
}

/* The query's own result for ring entry e. */
static void deliver(struct pconn *c, struct inflight *e, PGresult *res, uint64_t now)
{
    struct pool *p = c->pool;
    struct lookup *lk = e->lk;
    if (lk == NULL)
        return; /* completed already (deadline): the answer is dropped */
    if (e->merged) {
        deliver_merged(c, e, res, now);
        return;
    }

    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK) {
        e->lk = NULL;
        lk->row = PQntuples(res) > 0 ? 0 : -1;
        lk->col0 = 0;
        complete(p, lk, LOOKUP_OK, res);
        return;
    }
    if (st == PGRES_PIPELINE_ABORTED && e->pre_state[0] == '\0') {
        /* Skipped because an earlier lookup of its batch failed: send it
         * again, free of charge. */
        e->lk = NULL;
        lk->conn = NULL;
        lk->attempts--;
        queue_push(p, lk, true);
        return;
    }
    const char *state, *msg;
    result_error(res, e, &state, &msg);
    e->lk = NULL;
    lk->conn = NULL;

    /* A statement Postgres reports as stale or missing is prepared again and
     * the lookup retried once: the table changed shape under us (a column
     * added, a full refresh recreated it), which is not the client's
     * problem. */
    bool stale = strcmp(state, "0A000") == 0 || strcmp(state, "26000") == 0;
    if (stale && lk->attempts < 2 && lk->deadline_us > now) {
        stmt_doubt(c, e->stmt);
        /* A changed result type (0A000) is the table's doing, so every
         * connection's statement of it is stale: prepare anew everywhere,
         * or the retry could meet the same error on another connection. */
        if (strcmp(state, "0A000") == 0)
            stmt_doubt_all(p, lk->stmt);
        struct logline l;
        if (logline_begin(&l, LOG_INFO, "re-preparing a stale statement", NULL)) {
            logline_str(&l, "table", lk->table->name);
            logline_str(&l, "sqlstate", state);
            logline_end(&l);
        }
        queue_push(p, lk, true);
        return;
    }
    metrics_db_error(p->metrics, state);
    enum lookup_status ls = classify(state);
    if (ls == LOOKUP_TABLE_GONE)
        app_catalog_kick(p->app);
    fail(p, lk, ls, state, msg);
}

static void read_results(struct pconn *c, uint64_t now)
{
    int nulls = 0;
    while ((c->count > 0 || c->syncs > 0) && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            /* The end of one query's results. Two in a row would mean libpq
             * has nothing for us although the ring says otherwise. */
            if (++nulls > 1)
                break;
            continue;
        }
        nulls = 0;
        struct inflight *e = &c->ring[c->head];
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            /* The end of a batch; its entries were answered already. */
            c->syncs--;
        } else if (c->count == 0) {
            /* A result no lookup expects: libpq and the ring disagree, and
             * nothing on this connection can be trusted any more. */
            PQclear(res);
            conn_fail(c, "unexpected result on the connection", now);
            return;
        } else if (e->pre > 0) {
            e->pre--;
            /* The Prepare failed or was skipped: the statement may not
             * exist. */
            if (st != PGRES_COMMAND_OK)
                stmt_doubt(c, e->stmt);
            if (st != PGRES_COMMAND_OK && st != PGRES_PIPELINE_ABORTED && e->pre_state[0] == '\0') {
                const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
                snprintf(e->pre_state, sizeof e->pre_state, "%s", s ? s : "XX000");
                copy_msg(e->pre_msg, sizeof e->pre_msg,
                         PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            }
        } else {
            c->head = (c->head + 1) % c->cap;
            c->count--;
            deliver(c, e, res, now);
        }
        PQclear(res);
    }
}

static void read_setup(struct pconn *c, uint64_t now)
{
    while (!PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            if (c->setup_left == 0)
                conn_ready(c, now);
            else
                conn_fail(c, "session setup ended early", now);
            return;
        }
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            char msg[256];
            copy_msg(msg, sizeof msg, PQresultErrorMessage(res));
            PQclear(res);
            conn_fail(c, msg, now);
            return;
        }
        c->setup_left--;
        PQclear(res);
    }
}

/* ------------------------------------------------------------ events */

/* A connection attempt ended (dial.h). One that no longer counts (its
 * connection gave up waiting, or the pool stopped) is thrown away. */
static void dial_done(struct pool *p, struct dial *d, uint64_t now)
{
    struct pconn *c = d->tag >= 0 && d->tag < p->nconns ? &p->conns[d->tag] : NULL;
    if (c == NULL || c->state != PC_CONNECTING || d->gen != c->dial_gen) {
        dial_free(d);
        return;
    }
    c->pg = d->pg;
    d->pg = NULL;
    if (d->ok)
        conn_setup(c, now);
    else
        conn_fail(c, d->error, now);
    dial_free(d);
}

void pool_on_dial(struct pool *p, uint64_t now)
{
    struct dial *d = dialbox_take(p->dials);
    while (d != NULL) {
        struct dial *next = d->next;
        dial_done(p, d, now);
        d = next;
    }
    dispatch(p, now);
}

void pool_on_event(struct pool *p, struct pconn *c, uint32_t events, uint64_t now)
{
    if (c->state != PC_SETUP && c->state != PC_READY)
        return;
    if (events & EPOLLOUT)
        c->want_flush = true;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (!PQconsumeInput(c->pg)) {
            conn_fail(c, PQerrorMessage(c->pg), now);
            return;
        }
        if (c->state == PC_SETUP)
            read_setup(c, now);
        else
            read_results(c, now);
        if (c->state == PC_READY && PQstatus(c->pg) == CONNECTION_BAD)
            conn_fail(c, PQerrorMessage(c->pg), now);
    }
    dispatch(p, now);
}

void pool_flush(struct pool *p, uint64_t now)
{
    /* What waited for a round trip that has ended this turn joins the
     * batch now (pick). */
    dispatch(p, now);
    for (int i = 0; i < p->nconns; i++) {
        struct pconn *c = &p->conns[i];
        if (c->nheld > 0 && c->state == PC_READY && !send_held(c)) {
            conn_fail(c, PQerrorMessage(c->pg), now);
            continue;
        }
        if (c->unsynced && c->state == PC_READY) {
            c->unsynced = false;
            c->batch = 0;
            c->syncs++;
            c->sent_us = now;
            if (!PQpipelineSync(c->pg)) {
                conn_fail(c, PQerrorMessage(c->pg), now);
                continue;
            }
            c->want_flush = true;
        }
        if (!c->want_flush || (c->state != PC_READY && c->state != PC_SETUP))
            continue;
        c->want_flush = false;
        int r = PQflush(c->pg);
        if (r < 0) {
            conn_fail(c, PQerrorMessage(c->pg), now);
            continue;
        }
        /* Ask for EPOLLOUT only while libpq holds unsent data. */
        set_events(c, r == 1 ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
        /* When the socket is full, libpq reads the server's answers while
         * it sends (so that neither side waits on the other), which drains
         * the socket: no EPOLLIN will announce those answers. Read them
         * now; whatever they requeue goes out at the next turn, which
         * pool_timeout_ms makes immediate. */
        if ((c->count > 0 || c->syncs > 0) && !PQisBusy(c->pg))
            read_results(c, now);
    }
}

/* ------------------------------------------------------------ public */

struct pool *pool_new(struct app *app, int epfd, int nconns, int queue_limit,
                      struct metrics *metrics)
{
    struct pool *p = xcalloc(1, sizeof *p);
    p->metrics = metrics;
    p->app = app;
    p->epfd = epfd;
    p->depth = app->cfg.pipeline_depth;
    p->merge_wait_us = (uint64_t)app->cfg.merge_wait_us;
    p->keyvals = xcalloc((size_t)p->depth, sizeof *p->keyvals);
    p->timeout_us = (uint64_t)app->cfg.request_timeout_ms * 1000;
    p->nconns = nconns;
    p->qlimit = (size_t)queue_limit;
    p->rng = (uint64_t)(uintptr_t)p ^ 0x9e3779b97f4a7c15ull;
    p->dials = dialbox_new();
    p->dial_src.kind = SRC_DIAL;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->dial_src};
    if (p->dials == NULL || epoll_ctl(epfd, EPOLL_CTL_ADD, dialbox_fd(p->dials), &ev) != 0) {
        dialbox_close(p->dials);
        free(p->keyvals);
        free(p);
        return NULL;
    }
    p->conns = xcalloc((size_t)nconns, sizeof *p->conns);
    for (int i = 0; i < nconns; i++) {
        struct pconn *c = &p->conns[i];
        c->src.kind = SRC_PG;
        c->pool = p;
        c->idx = i;
        c->fd = -1;
        c->cap = (size_t)p->depth;
        c->ring = xcalloc(c->cap, sizeof *c->ring);
        c->held = xcalloc(c->cap, sizeof *c->held);
    }
    return p;
}

void pool_free(struct pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->nconns; i++) {
        struct pconn *c = &p->conns[i];
        if (c->state != PC_DOWN)
            conn_close(c);
        creds_unref(c->creds);
        free(c->ring);
        free(c->held);
        buf_free(&c->keys);
        free(c->stmts);
    }
    free(p->conns);
    free(p->keyvals);
    dialbox_close(p->dials);
    free(p);
}

enum pool_submit_result pool_submit(struct pool *p, struct lookup *lk, uint64_t now)
{
    if (p->stopped || pool_down(p))
        return POOL_DOWN;
    /* From inside a done callback (a batch sending its next probe), the
     * lookup only joins the queue: sending now could fail the connection
     * whose results the caller is still reading. dispatch sends it before
     * the turn ends. */
    struct pconn *c = p->qhead == NULL && p->in_done == 0 ? pick(p, now) : NULL;
    if (c == NULL && p->qlen >= p->qlimit && p->in_done == 0)
        return POOL_FULL;

    lk->deadline_us = now + p->timeout_us;
    lk->submit_us = now;
    lk->sent_us = lk->done_us = 0;
    lk->attempts = 0;
    lk->nomerge = false;
    lk->gnext = NULL;
    lk->queued = 0;
    lk->conn = NULL;
    lk->qnext = NULL;
    lk->sqlstate[0] = lk->message[0] = '\0';
    /* Every lookup gets the same timeout, so appending keeps the list in
     * deadline order and expiry only ever looks at its head. */
    lk->next = NULL;
    lk->prev = p->last;
    if (p->last)
        p->last->next = lk;
    else
        p->first = lk;
    p->last = lk;
    p->active++;

    if (c != NULL && send_lookup(c, lk))
        return POOL_ACCEPTED;
    queue_push(p, lk, false);
    /* The connection broke under the send. Failing it here could complete
     * lk (when no connection is left, queued lookups are answered at once)
     * inside pool_submit, before the caller has parked its request for
     * the answer (http.c, submit). The next pool_tick
     * fails it instead, and pool_timeout_ms makes that immediate. */
    if (c != NULL)
        c->send_failed = true;
    return POOL_ACCEPTED;
}

void pool_tick(struct pool *p, uint64_t now)
{
    for (int i = 0; i < p->nconns; i++) {
        struct pconn *c = &p->conns[i];
        if (c->send_failed) {
            c->send_failed = false;
            if (c->state == PC_READY)
                conn_fail(c, c->pg ? PQerrorMessage(c->pg) : "the connection broke", now);
        }
    }

    /* A credential appeared after there was none: connect now rather than
     * at the next retry. */
    uint64_t gen = __atomic_load_n(&p->app->creds_gen, __ATOMIC_ACQUIRE);
    if (gen != p->creds_gen) {
        p->creds_gen = gen;
        for (int i = 0; i < p->nconns; i++)
            if (p->conns[i].state == PC_DOWN)
                p->conns[i].retry_at = now;
    }

    /* Deadlines. A lookup that never left the queue had no connection in
     * time (503); one that was sent and not answered timed out (504). Its
     * ring entry stays, so the answer that may still come is dropped. */
    while (p->first && p->first->deadline_us <= now) {
        struct lookup *lk = p->first;
        if (lk->conn != NULL) {
            abandon(lk);
            fail(p, lk, LOOKUP_TIMEOUT, "57014", "the database did not answer in time");
        } else {
            fail(p, lk, LOOKUP_UNAVAILABLE, "08000",
                 "no database connection was free before the deadline");
        }
    }

    for (int i = 0; i < p->nconns && !p->stopped; i++) {
        struct pconn *c = &p->conns[i];
        switch (c->state) {
        case PC_DOWN:
            if (now >= c->retry_at)
                conn_start(c, now);
            break;
        case PC_CONNECTING:
        case PC_SETUP:
            if (now >= c->deadline)
                conn_fail(c, "timed out connecting to the database", now);
            break;
        case PC_READY:
            /* Recycle an idle connection past its lifetime, and only while
             * another one is ready: a new login can fail (a credential
             * rotated that very moment), and the ready one keeps serving
             * meanwhile instead of the pool counting as down. */
            if (now >= c->expires && c->count == 0 && c->nheld == 0 &&
                (p->nready > 1 || p->nconns == 1)) {
                conn_close(c);
                conn_start(c, now);
                i = p->nconns;
            }
            break;
        }
    }
    dispatch(p, now);
}

int pool_timeout_ms(const struct pool *p, uint64_t now)
{
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i].send_failed)
            return 0; /* pool_tick fails it */
    uint64_t next = now + 1000000;
    if (p->qhead != NULL) {
        /* Lookups waiting that a connection would take now, or once the
         * youngest batch in flight turns merge_wait_us old (pick). */
        struct conn_scan sc = scan_conns(p, now);
        if (pick_from(p, &sc, now) != NULL)
            return 0;
        if (sc.idle != NULL && sc.busy > 0 && sc.young + p->merge_wait_us < next)
            next = sc.young + p->merge_wait_us;
    }
    if (p->first && p->first->deadline_us < next)
        next = p->first->deadline_us;
    for (int i = 0; i < p->nconns; i++) {
        const struct pconn *c = &p->conns[i];
        uint64_t t = c->state == PC_DOWN ? c->retry_at
                     : c->state == PC_READY ? (c->count == 0 ? c->expires : next)
                                            : c->deadline;
        if (t < next)
            next = t;
    }
    return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

void pool_fail_all(struct pool *p, enum lookup_status st, const char *message)
{
    p->stopped = true;
    while (p->first) {
        struct lookup *lk = p->first;
        if (lk->conn != NULL)
            abandon(lk);
        fail(p, lk, st, "57P01", message);
    }
}

void pool_stats(const struct pool *p, struct pool_stats *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < p->nconns; i++) {
        const struct pconn *c = &p->conns[i];
        if (c->state == PC_READY && c->count == 0 && c->nheld == 0)
            s->idle++;
        else if (c->state == PC_READY)
            s->busy++;
        else if (c->state == PC_CONNECTING || c->state == PC_SETUP)
            s->connecting++;
    }
    s->queued = p->qlen;
    s->reconnects = p->reconnects;
}

size_t pool_active(const struct pool *p)
{
    return p->active;
}

int pool_retry_after_s(const struct pool *p, uint64_t now)
{
    uint64_t soonest = UINT64_MAX;
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i].state == PC_DOWN && p->conns[i].retry_at < soonest)
            soonest = p->conns[i].retry_at;
    if (soonest == UINT64_MAX || soonest <= now)
        return 1;
    return (int)((soonest - now + 999999) / 1000000);
}
