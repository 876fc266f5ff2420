/* worker: one event loop on one thread, owning its HTTP connections and its
 * database connections ("share nothing", as the fastest single-query
 * servers do).
 *
 * Each worker runs a libmicrohttpd daemon in external-epoll mode listening on
 * the same port as the others (SO_REUSEPORT: the kernel spreads new
 * connections), and its own pool. One epoll set watches MHD's epoll fd, the
 * pool's sockets, an eventfd that other threads write to wake it
 * (shutdown, a new catalog) and a timerfd for the loop's deadlines.
 */
#ifndef LF_WORKER_H
#define LF_WORKER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct app;
struct catalog;
struct metrics;
struct pool;
struct request;

struct worker {
    struct app *app;
    int id;
    pthread_t thread;
    bool started;
    int epfd;
    struct loop_src wake_src; /* SRC_WAKE */
    int wakefd;
    struct loop_src timer_src; /* SRC_TIMER */
    int timerfd;
    uint64_t timer_at;        /* when timerfd fires (monotonic us), 0: disarmed */
    struct loop_src mhd_src;  /* SRC_MHD */
    struct MHD_Daemon *mhd;
    struct pool *pool;
    struct metrics *metrics;  /* this loop's counters (metrics.h); only it writes them */
    struct catalog *catalog;  /* this loop's reference to the current snapshot */
    uint64_t catalog_gen;
    uint64_t rng[2];          /* request ids */
    size_t requests;          /* HTTP requests begun and not yet completed */
    size_t parked;            /* requests waiting for a lookup, their connections
                                 left with MHD unsuspended (http.c, submit) */
    size_t answered;          /* parked requests answered since the last MHD_run */
    size_t mhd_activity;      /* requests begun, read or completed in the last MHD_run */
    struct request *spare;    /* request objects for reuse (http.c); nspare of them */
    size_t nspare;
    bool draining;
    uint64_t drain_until;
};

/* Creates worker id's epoll set, pool and MHD daemon, bound to *port (0:
 * any; the port bound is written back so the next worker shares it).
 * Main thread, before worker_start. Returns 0, or -1 with err filled. */
int worker_init(struct worker *w, struct app *app, int id, int nconns, int queue_limit, int *port,
                char *err, size_t errlen);

/* Starts the loop thread. */
int worker_start(struct worker *w);

/* Wakes the loop (any thread): it re-reads the catalog and the stopping flag. */
void worker_wake(struct worker *w);

/* Waits for the loop to end (it ends once stopping is set and its requests
 * are answered), then frees what worker_init made. */
void worker_join(struct worker *w);

#endif
