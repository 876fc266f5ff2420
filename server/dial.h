/* dial: opens database connections off the worker's loop, one thread per
 * attempt.
 *
 * Why: opening a connection does work that an event loop must not wait
 * for. libpq looks the host name up with a blocking getaddrinfo inside
 * PQconnectStartParams, and the TLS handshake and the client's half of
 * SCRAM (4,096 HMAC iterations) are CPU inside PQconnectPoll: 2.5-3.5 ms in
 * one call against the test cluster. Done on the loop, every request of
 * that worker waited that long, at each start, lifetime recycle and
 * reconnect, and as long as the resolver's timeouts when DNS is down.
 *
 * How: the pool calls dial_start on its loop thread. A new thread runs
 * PQconnectStartParams and PQconnectPoll with poll() until the
 * connection is made, fails, or the attempt's deadline passes, then puts
 * the finished attempt on the pool's dialbox and writes the box's eventfd,
 * which the pool watches in its epoll set. The pool takes finished attempts
 * with dialbox_take, also on its loop thread. The box's mutex is taken when
 * an attempt starts, looks whether to stop (every 100 ms) and ends, and when
 * the pool takes results: a few times an hour, never on the request path.
 *
 * Lifetimes: a box counts one reference for its owner and one per attempt
 * in flight; the last to let go frees it. dialbox_close (the owner, once)
 * also tells attempts in flight to stop: each one notices within 100 ms,
 * unless it is inside the blocking host name lookup, and throws its
 * connection away. Threads are joined, not detached (dial.c says why):
 * dial_start joins those that have ended since the last call, and
 * dial_wait_all (main, after the workers are gone) waits for the rest, so
 * that none is inside libpq or OpenSSL while the process exits.
 */
#ifndef LF_DIAL_H
#define LF_DIAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct dialbox;

/* A finished attempt, owned by whoever took it from the box. */
struct dial {
    struct dial *next;
    int tag;          /* the caller's: which of its connections */
    unsigned gen;     /* the caller's: which attempt of that connection */
    PGconn *pg;       /* CONNECTION_OK when ok; else NULL or a failed one */
    bool ok;
    char error[256];  /* why not, when !ok: libpq's message or ours */
    /* private: the parameters, copied */
    char **kw, **vals;
    int expand;
    unsigned timeout_ms;
    struct dialbox *box;
};

/* A box with its eventfd (non-blocking, close-on-exec); NULL with errno set
 * when no eventfd could be had. */
struct dialbox *dialbox_new(void);

/* The fd to watch for EPOLLIN: readable when attempts have finished. */
int dialbox_fd(const struct dialbox *box);

/* Starts an attempt with these libpq parameters (copied; kw and vals are
 * NULL-terminated, as for PQconnectStartParams), giving up after timeout_ms.
 * False when no thread could be started (err filled): nothing was started. */
bool dial_start(struct dialbox *box, const char *const *kw, const char *const *vals, int expand,
                unsigned timeout_ms, int tag, unsigned gen, char *err, size_t errlen);

/* The attempts finished since the last call, oldest first, linked through
 * next; NULL when none. Also clears the eventfd. */
struct dial *dialbox_take(struct dialbox *box);

/* Frees a finished attempt, closing its connection unless the caller took
 * it (set pg to NULL first). */
void dial_free(struct dial *d);

/* The owner lets go: attempts in flight stop and free themselves, and
 * finished ones not yet taken are freed. */
void dialbox_close(struct dialbox *box);

/* Waits up to timeout_ms for every attempt thread of the process to end,
 * and joins those that have. Returns how many are still running. */
int dial_wait_all(unsigned timeout_ms);

#endif
