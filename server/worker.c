/* worker: see worker.h. */
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "app.h"
#include "catalog.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

/* MHD's own messages (a malformed request, a failed accept) into our log. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    struct buf m = BUF_INIT;
    buf_vprintf(&m, fmt, ap);
    while (m.len > 0 && m.data[m.len - 1] == '\n')
        m.data[--m.len] = '\0';
    struct logline l;
    if (logline_begin(&l, LOG_WARN, "http", NULL)) {
        logline_str(&l, "error", m.data ? m.data : "");
        logline_end(&l);
    }
    buf_free(&m);
}

static int watch(int epfd, int fd, void *ptr)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* MHD closes a connection that has been idle this long, and a parked
 * request counts as idle (its clock stopped at its last read). So the
 * timeout outlasts the longest a request can wait for its lookups: a
 * deadline each, and a batch looking for its invalid key submits up to
 * 2 + log2(batch_max_keys) of them, one after another. 300 s otherwise,
 * for idle keep-alive connections. */
static unsigned conn_timeout_s(const struct config *cfg)
{
    unsigned lookups = 2;
    for (int n = cfg->batch_max_keys; n > 1; n = (n + 1) / 2)
        lookups++;
    unsigned long long s = (unsigned long long)lookups * (unsigned)cfg->request_timeout_ms / 1000 + 1;
    return s > 300 ? (unsigned)s : 300;
}

int worker_init(struct worker *w, struct app *app, int id, int nconns, int queue_limit, int *port,
                char *err, size_t errlen)
{
    const struct config *cfg = &app->cfg;
    memset(w, 0, sizeof *w);
    w->app = app;
    w->id = id;
    w->wakefd = -1;
    w->timerfd = -1;
    w->wake_src.kind = SRC_WAKE;
    w->timer_src.kind = SRC_TIMER;
    w->mhd_src.kind = SRC_MHD;
    if (getrandom(w->rng, sizeof w->rng, 0) != (ssize_t)sizeof w->rng)
        w->rng[0] = clock_now_us(), w->rng[1] = (uint64_t)(uintptr_t)w;

    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->epfd < 0 || w->wakefd < 0 || w->timerfd < 0 ||
        watch(w->epfd, w->wakefd, &w->wake_src) != 0 ||
        watch(w->epfd, w->timerfd, &w->timer_src) != 0) {
        snprintf(err, errlen, "worker %d: epoll/eventfd/timerfd: %s", id, strerror(errno));
        return -1;
    }

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
    if (inet_pton(AF_INET, cfg->host, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "LAKEFRONT_HOST: \"%.60s\" is not an IPv4 address", cfg->host);
        return -1;
    }
    unsigned limit = (unsigned)(cfg->max_connections / app->nworkers);
    /* Every worker listens on the same port with SO_REUSEPORT, so the
     * kernel balances connections between the loops with no shared accept
     * lock. A request waits for Postgres parked (http.c, submit), without
     * holding the thread; MHD_USE_EPOLL without a thread of its own lets our loop
     * drive MHD together with the database sockets. MHD_USE_TURBO makes
     * MHD read, write and accept at once, before epoll says the socket is
     * ready, where it expects the call to succeed: about 1 us of CPU less
     * per request here, on average (tests/load/README.md, entry 14). */
    w->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                                  MHD_USE_TURBO,
                              (uint16_t)*port, NULL, NULL, http_handler, w,
                              /* first, or MHD complains on stderr before it applies */
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                              MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, w,
                              MHD_OPTION_NOTIFY_COMPLETED, http_completed, w,
                              MHD_OPTION_CONNECTION_LIMIT, limit ? limit : 1u,
                              MHD_OPTION_CONNECTION_TIMEOUT, conn_timeout_s(cfg),
                              /* Each open connection keeps a buffer of this
                               * size; MHD's default, 32 KB, made 1,000 idle
                               * keep-alive clients cost 32 MB. 16 KB still
                               * holds a request line and headers of 12 KB
                               * or more (a longer one gets MHD's 414/431). */
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
                              MHD_OPTION_END);
    if (w->mhd == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use, or not allowed)", cfg->host, *port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (info != NULL && *port == 0)
        *port = info->port;
    info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL || watch(w->epfd, info->epoll_fd, &w->mhd_src) != 0) {
        snprintf(err, errlen, "worker %d: cannot watch the HTTP daemon", id);
        return -1;
    }
    /* Its own cache lines: the other loops never write near it. */
    w->metrics = aligned_alloc(64, (sizeof *w->metrics + 63) / 64 * 64);
    if (w->metrics == NULL) {
        snprintf(err, errlen, "worker %d: out of memory", id);
        return -1;
    }
    memset(w->metrics, 0, sizeof *w->metrics);
    w->pool = pool_new(app, w->epfd, nconns, queue_limit, w->metrics);
    if (w->pool == NULL) {
        snprintf(err, errlen, "worker %d: cannot set up the database pool: %s", id, strerror(errno));
        return -1;
    }
    return 0;
}

void worker_wake(struct worker *w)
{
    uint64_t one = 1;
    /* EAGAIN would mean the counter is about to overflow: the loop has
     * plenty of wakeups pending already. */
    if (write(w->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_msg(LOG_ERROR, "cannot wake worker %d: %s", w->id, strerror(errno));
}

/* Takes the newest catalog snapshot when the catalog thread published one. */
static void refresh_catalog(struct worker *w)
{
    uint64_t gen = __atomic_load_n(&w->app->catalog_gen, __ATOMIC_ACQUIRE);
    if (gen == w->catalog_gen)
        return;
    struct catalog *c = app_catalog_get(w->app);
    catalog_unref(w->catalog);
    w->catalog = c;
    w->catalog_gen = gen;
}

/* The pool's gauges into this loop's metrics, for the next scrape. */
static void publish_pool(struct worker *w)
{
    struct pool_stats s;
    pool_stats(w->pool, &s);
    metrics_set(&w->metrics->conns_idle, s.idle);
    metrics_set(&w->metrics->conns_busy, s.busy);
    metrics_set(&w->metrics->conns_connecting, s.connecting);
    metrics_set(&w->metrics->queue_depth, s.queued);
    metrics_set(&w->metrics->db_reconnects, s.reconnects);
}

static void begin_drain(struct worker *w, uint64_t now)
{
    w->draining = true;
    w->drain_until = now + (uint64_t)w->app->cfg.shutdown_timeout_ms * 1000;
    /* Stop accepting: MHD hands the listening socket back and we close it.
     * Connections already open are served until their requests end. */
    MHD_socket fd = MHD_quiesce_daemon(w->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

/* While a request is parked (http.c, submit), MHD_get_timeout says 0: the
 * parked connection is on MHD's ready list, and every MHD_run calls its
 * handler. So while any is parked, the loop decides when MHD runs: when
 * MHD's epoll fd is ready, twice after answers were made (the first run
 * queues them, the second sends them), and otherwise after a wait bounded
 * by what MHD may hold that only it knows of:
 *  - PARK_BUSY_MS after a run that began, read or completed a request: a
 *    keep-alive connection may already hold its next request (HTTP
 *    pipelining), or a body more bytes;
 *  - PARK_QUIET_MS after a run that only found parked requests waiting, so
 *    that a slow database does not make the loop walk all of them every
 *    millisecond. */
#define PARK_BUSY_MS 1
#define PARK_QUIET_MS 50

/* The loop sleeps in epoll_wait without a timeout and keeps its deadline
 * on a timerfd, re-armed only when the deadline comes earlier than the one
 * armed (or that one has fired). Why: epoll_wait with a timeout arms a
 * kernel timer each time it sleeps and cancels it when an event comes
 * first, as one nearly always does under load, and on a virtual machine
 * programming the timer hardware traps to the host. At 44,000 lookups a
 * second, half this machine's maximum, that was 12,700 timers a second and
 * about 1 us of lakefront's CPU per request (tests/load/README.md, entry 29).
 * A deadline that moves later only costs a wakeup at the earlier one.
 * Returns false if the timerfd cannot be set: then epoll_wait times out. */
static bool arm_timer(struct worker *w, uint64_t at)
{
    if (w->timer_at != 0 && w->timer_at <= at)
        return true;
    struct itimerspec its = {.it_value = {.tv_sec = (time_t)(at / 1000000u),
                                          .tv_nsec = (long)(at % 1000000u) * 1000}};
    if (timerfd_settime(w->timerfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        return false;
    w->timer_at = at;
    return true;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[64];
    bool failed_all = false;

    refresh_catalog(w);
    pool_tick(w->pool, clock_now_us());
    for (;;) {
        uint64_t now = clock_now_us();
        int timeout = pool_timeout_ms(w->pool, now);
        MHD_UNSIGNED_LONG_LONG mhd_ms;
        if (w->answered > 0) {
            timeout = 0; /* answered after the last MHD_run (pool_flush) */
        } else if (w->parked > 0) {
            int cap = w->mhd_activity > 0 ? PARK_BUSY_MS : PARK_QUIET_MS;
            if (timeout > cap) /* MHD would say 0 */
                timeout = cap;
        } else if (MHD_get_timeout(w->mhd, &mhd_ms) == MHD_YES &&
                   mhd_ms < (MHD_UNSIGNED_LONG_LONG)timeout) {
            timeout = (int)mhd_ms;
        }
        if (w->draining && timeout > 50)
            timeout = 50;

        if (timeout > 0 && arm_timer(w, now + (uint64_t)timeout * 1000u))
            timeout = -1;
        int n = epoll_wait(w->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "worker %d: epoll_wait: %s", w->id, strerror(errno));
            break;
        }
        now = clock_now_us();
        for (int i = 0; i < n; i++) {
            struct loop_src *src = evs[i].data.ptr;
            if (src->kind == SRC_WAKE) {
                uint64_t v;
                if (read(w->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
                    log_msg(LOG_ERROR, "worker %d: eventfd: %s", w->id, strerror(errno));
            } else if (src->kind == SRC_TIMER) {
                uint64_t v;
                if (read(w->timerfd, &v, sizeof v) < 0 && errno != EAGAIN)
                    log_msg(LOG_ERROR, "worker %d: timerfd: %s", w->id, strerror(errno));
                w->timer_at = 0;
            } else if (src->kind == SRC_PG) {
                pool_on_event(w->pool, (struct pconn *)src, evs[i].events, now);
            } else if (src->kind == SRC_DIAL) {
                pool_on_dial(w->pool, now);
            }
            /* SRC_MHD: MHD_run below handles it. */
        }
        refresh_catalog(w);
        if (!w->draining && __atomic_load_n(&w->app->stopping, __ATOMIC_RELAXED))
            begin_drain(w, now);

        pool_tick(w->pool, now);
        if (w->draining && !failed_all && now >= w->drain_until) {
            /* Out of time: whatever is still waiting for Postgres gets a
             * 503 now, so every client hears back before we exit. */
            pool_fail_all(w->pool, LOOKUP_UNAVAILABLE, "the service is shutting down");
            failed_all = true;
        }
        /* After the pool: MHD sends now what pool events answered this turn. */
        bool answered = w->answered > 0;
        w->answered = 0;
        w->mhd_activity = 0;
        /* The gauges first: a client that has its answer, and asks
         * /metrics at once (of either loop), sees the pool as it was when
         * the answer was made, not as it was a turn earlier. */
        if (answered)
            publish_pool(w);
        MHD_run(w->mhd);
        if (answered)
            MHD_run(w->mhd); /* the first queued the answers, this one sends them */
        pool_flush(w->pool, now);
        publish_pool(w);

        if (w->draining && w->requests == 0 && pool_active(w->pool) == 0)
            break;
        if (w->draining && now >= w->drain_until + 2000000)
            break; /* a client that does not read its response: give up on it */
    }
    return NULL;
}

int worker_start(struct worker *w)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = true;
    return 0;
}

void worker_join(struct worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
    /* Every lookup is complete here (the loop ran until none was active, or
     * failed them all); MHD may still hold idle keep-alive connections,
     * which stopping closes. */
    if (w->pool != NULL && pool_active(w->pool) > 0)
        pool_fail_all(w->pool, LOOKUP_UNAVAILABLE, "the service is shutting down");
    if (w->mhd != NULL)
        MHD_stop_daemon(w->mhd);
    http_free_spares(w);
    pool_free(w->pool);
    free(w->metrics);
    w->metrics = NULL;
    catalog_unref(w->catalog);
    if (w->wakefd >= 0)
        close(w->wakefd);
    if (w->timerfd >= 0)
        close(w->timerfd);
    if (w->epfd >= 0)
        close(w->epfd);
    w->mhd = NULL;
    w->pool = NULL;
    w->catalog = NULL;
}
