/* pool: one worker's database connections, asynchronous and pipelined.
 *
 * Each worker owns one pool; everything here runs on that worker's thread
 * (the "loop thread"), driven by its epoll set. Connections are non-blocking
 * libpq connections in pipeline mode: the lookups of one batch (up to
 * pipeline_depth) go as prepared statements behind one Sync, in one write.
 * A connection carries one batch at a time, and a worker starts a new batch
 * only when none of its own is in flight, when a whole batch is waiting, or
 * when its youngest round trip has been out for merge_wait_us (pool.c,
 * pick); lookups that arrive meanwhile wait in a bounded FIFO queue and go
 * together in the next. Single-row lookups of one table in one batch
 * are merged into one execution of the table's batch statement (see
 * merge_stmt). Every lookup has a deadline.
 *
 * A connection is logged in with the credential the provider gives at that
 * moment, made read-only with statement_timeout, TimeZone=UTC and the output
 * formats rowjson expects, and prepares each table's statement the first
 * time it serves that table. A broken connection is replaced with
 * exponential backoff and jitter; a connection is recycled after its
 * maximum lifetime. When every connection is down, new lookups are refused
 * at once (503) rather than left to wait for their deadline.
 *
 * Ownership: the caller owns each struct lookup and keeps it alive until the
 * pool calls its done callback, which happens exactly once for every lookup
 * that pool_submit accepted, always later (never inside pool_submit), on the
 * loop thread. The PGresult given to done is borrowed: valid during the call.
 */
#ifndef LF_POOL_H
#define LF_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "keys.h"

struct app;
struct metrics;
struct pool;
struct pconn;

enum lookup_status {
    LOOKUP_OK = 0,       /* res holds 0 or 1 row */
    LOOKUP_INVALID_KEY,  /* Postgres rejected a key value (SQLSTATE class 22) */
    LOOKUP_TABLE_GONE,   /* the table no longer exists (42P01) */
    LOOKUP_TIMEOUT,      /* sent, not answered by the deadline (or statement_timeout) */
    LOOKUP_UNAVAILABLE,  /* no connection within the deadline, or the connection broke */
    LOOKUP_DB_ERROR,     /* any other database error */
};

#define POOL_SELECTIONS_MAX 32

struct lookup;
typedef void (*lookup_done_fn)(struct lookup *lk, enum lookup_status st, const PGresult *res);

struct lookup {
    /* Set by the caller before pool_submit; borrowed until done. The
     * statement is prepared once per connection under a name derived from
     * stmt (the table's single-row or batch statement). */
    const struct cat_table *table;
    const char *stmt;  /* statement name base */
    const char *sql;   /* its text */
    int nparams;       /* values[0..nparams), as text */
    bool selection;    /* a column selection: one of unboundedly many statements,
                          prepared on a connection only while it holds fewer than
                          POOL_SELECTIONS_MAX of them, else sent unnamed */
    const char *values[KEYS_MAX];
    /* A single-row lookup may name the batch form of its statement (one
     * text[] per key column, a leading "found" column, a row per key in
     * order: the table's batch_stmt). Lookups of one table that meet in
     * one loop turn on one connection are then answered by one execution
     * of it; NULL keeps this lookup on its own. */
    const char *merge_stmt;
    const char *merge_sql;
    int merge_keycol;  /* -1: merge_stmt is the batch form above. >= 0: it is the "= ANY"
                          form of a single integer key (catalog.h, any_sql), which returns
                          only the rows found, in any order; each lookup's row is the one
                          whose column merge_keycol has its key's value */
    lookup_done_fn done;

    /* Set by the pool before done with LOOKUP_OK, for a single-row lookup:
     * the row of res that answers it (-1: no row has the key), and the
     * column where that row's own columns begin (1 in a merged result,
     * after "found"; else 0). */
    int row;
    int col0;

    /* Set by the pool before done when st is not LOOKUP_OK. message is
     * Postgres' primary message or a connection error: never SQL text, never
     * a secret. */
    char sqlstate[6];
    char message[256];

    /* Set by the pool, for timing (clock_now_us): accepted, last sent to
     * Postgres (0 if never sent), completed. */
    uint64_t submit_us, sent_us, done_us;

    /* Private to the pool. */
    uint64_t deadline_us;
    struct lookup *prev, *next;   /* the pool's list of lookups, by deadline */
    struct lookup *qnext;         /* wait queue */
    struct pconn *conn;           /* in flight on this connection */
    int queued;
    int attempts;                 /* sends so far (a stale statement is retried once) */
    bool nomerge;                 /* a merged statement failed: go alone this time */
    struct lookup *gnext;         /* the next lookup of its merged statement */
    int gidx;                     /* its row in that statement's result */
};

enum pool_submit_result {
    POOL_ACCEPTED = 0,
    POOL_FULL,  /* the wait queue is at its limit: 503 OVERLOADED */
    POOL_DOWN,  /* no connection and the last attempts failed: 503 DATABASE_UNAVAILABLE */
};

/* A pool of nconns connections registered with epfd. Connecting starts at
 * the first pool_tick; each attempt runs on a thread of its own (dial.h),
 * whose end the pool hears of through an eventfd in epfd. queue_limit
 * bounds the wait queue. NULL (errno set) when no eventfd could be had. */
struct pool *pool_new(struct app *app, int epfd, int nconns, int queue_limit,
                      struct metrics *metrics);

/* The pool as the metrics see it; loop thread. */
struct pool_stats {
    uint64_t idle, busy, connecting; /* connections: ready and empty, ready with lookups
                                        in flight, on their way (connecting or setting up) */
    uint64_t queued;                 /* lookups waiting for a connection */
    uint64_t reconnects;             /* connections started again since the pool began */
};
void pool_stats(const struct pool *p, struct pool_stats *s);

/* Closes every connection. Every accepted lookup must have been completed
 * (see pool_fail_all). NULL is fine. */
void pool_free(struct pool *p);

enum pool_submit_result pool_submit(struct pool *p, struct lookup *lk, uint64_t now_us);

/* An epoll event for a connection (data.ptr was a struct pconn). */
void pool_on_event(struct pool *p, struct pconn *c, uint32_t events, uint64_t now_us);

/* The epoll event of SRC_DIAL: connection attempts have finished. */
void pool_on_dial(struct pool *p, uint64_t now_us);

/* Deadlines, reconnects, recycling. Call every loop turn. */
void pool_tick(struct pool *p, uint64_t now_us);

/* Sends what the turn queued. Call at the end of every loop turn. */
void pool_flush(struct pool *p, uint64_t now_us);

/* Milliseconds until pool_tick has work, at most 1000. */
int pool_timeout_ms(const struct pool *p, uint64_t now_us);

/* Completes every lookup with st (shutdown) and stops reconnecting. */
void pool_fail_all(struct pool *p, enum lookup_status st, const char *message);

/* Lookups accepted and not yet completed. */
size_t pool_active(const struct pool *p);

/* Seconds a client should wait before retrying while the pool is down. */
int pool_retry_after_s(const struct pool *p, uint64_t now_us);

#endif
