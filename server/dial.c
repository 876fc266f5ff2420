/* dial: see dial.h. */
#include "dial.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "xalloc.h"

/* How often an attempt looks whether its box was closed while it waits. */
#define DIAL_CHECK_MS 100

struct dialbox {
    pthread_mutex_t lock;
    int refs;           /* the owner's, until dialbox_close, and one per attempt in flight */
    bool closed;        /* the owner let go: attempts stop and nobody takes results */
    int efd;
    struct dial *head, *tail; /* finished, not yet taken */
};

/* Attempt threads running in the process, for dial_wait_all, and those
 * that have ended and wait to be joined. They are joined, not detached:
 * only a join says that a thread's exit has run to its end, thread-local
 * destructors included (OpenSSL frees a thread's random generators there),
 * and the process must not exit before. */
struct ended {
    pthread_t thread;
    struct ended *next;
};
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t running_cond = PTHREAD_COND_INITIALIZER;
static int running;
static struct ended *ended;

/* Joins the threads that have ended. Each has done all but return, so a
 * join waits for its exit only: microseconds. */
static void reap(void)
{
    pthread_mutex_lock(&running_lock);
    struct ended *e = ended;
    ended = NULL;
    pthread_mutex_unlock(&running_lock);
    while (e != NULL) {
        struct ended *next = e->next;
        pthread_join(e->thread, NULL);
        free(e);
        e = next;
    }
}

struct dialbox *dialbox_new(void)
{
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        return NULL;
    struct dialbox *box = xcalloc(1, sizeof *box);
    pthread_mutex_init(&box->lock, NULL);
    box->refs = 1;
    box->efd = efd;
    return box;
}

int dialbox_fd(const struct dialbox *box)
{
    return box->efd;
}

static void free_strings(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

static char **copy_strings(const char *const *v)
{
    size_t n = 0;
    while (v[n] != NULL)
        n++;
    char **c = xcalloc(n + 1, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i] = xstrdup(v[i]);
    return c;
}

void dial_free(struct dial *d)
{
    if (d == NULL)
        return;
    PQfinish(d->pg); /* NULL is fine */
    free_strings(d->kw);
    free_strings(d->vals);
    free(d);
}

/* Drops one reference; the last frees the box and whatever it still holds. */
static void box_unref(struct dialbox *box)
{
    pthread_mutex_lock(&box->lock);
    bool last = --box->refs == 0;
    pthread_mutex_unlock(&box->lock);
    if (!last)
        return;
    while (box->head != NULL) {
        struct dial *d = box->head;
        box->head = d->next;
        dial_free(d);
    }
    close(box->efd);
    pthread_mutex_destroy(&box->lock);
    free(box);
}

static bool box_closed(struct dialbox *box)
{
    pthread_mutex_lock(&box->lock);
    bool closed = box->closed;
    pthread_mutex_unlock(&box->lock);
    return closed;
}

static void fail(struct dial *d, const char *why)
{
    d->ok = false;
    snprintf(d->error, sizeof d->error, "%s", why);
    /* libpq's messages end with a newline; log lines should not. */
    size_t n = strlen(d->error);
    while (n > 0 && (d->error[n - 1] == '\n' || d->error[n - 1] == ' '))
        d->error[--n] = '\0';
}

/* The attempt, start to end, on its own thread. Per libpq's documentation
 * the socket is first waited on for writing, then as PQconnectPoll says. */
static void run(struct dial *d)
{
    uint64_t deadline = clock_now_us() + (uint64_t)d->timeout_ms * 1000;
    d->pg = PQconnectStartParams((const char *const *)d->kw, (const char *const *)d->vals,
                                 d->expand);
    if (d->pg == NULL) {
        fail(d, "out of memory starting a connection");
        return;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    if (PQstatus(d->pg) == CONNECTION_BAD)
        st = PGRES_POLLING_FAILED;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        uint64_t now = clock_now_us();
        if (now >= deadline) {
            fail(d, "timed out connecting to the database");
            return;
        }
        if (box_closed(d->box)) {
            fail(d, "the service is shutting down");
            return;
        }
        uint64_t left_ms = (deadline - now + 999) / 1000;
        struct pollfd pfd = {.fd = PQsocket(d->pg),
                             .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
        int r = poll(&pfd, 1, left_ms < DIAL_CHECK_MS ? (int)left_ms : DIAL_CHECK_MS);
        if (r < 0 && errno != EINTR) {
            char why[128];
            snprintf(why, sizeof why, "poll: %s", strerror(errno));
            fail(d, why);
            return;
        }
        if (r > 0)
            st = PQconnectPoll(d->pg);
    }
    d->ok = st == PGRES_POLLING_OK;
    if (!d->ok)
        fail(d, PQerrorMessage(d->pg));
}

static void *dial_main(void *arg)
{
    struct dial *d = arg;
    struct dialbox *box = d->box;

    run(d);

    pthread_mutex_lock(&box->lock);
    bool keep = !box->closed;
    if (keep) {
        d->next = NULL;
        if (box->tail != NULL)
            box->tail->next = d;
        else
            box->head = d;
        box->tail = d;
    }
    pthread_mutex_unlock(&box->lock);
    if (keep) {
        /* An eventfd write fails only when the counter would overflow,
         * which a few attempts cannot reach; the result is on the list
         * whatever happens to the wakeup. */
        uint64_t one = 1;
        ssize_t w = write(box->efd, &one, sizeof one);
        (void)w;
    } else {
        dial_free(d);
    }
    box_unref(box);

    struct ended *e = xmalloc(sizeof *e);
    e->thread = pthread_self();
    pthread_mutex_lock(&running_lock);
    e->next = ended;
    ended = e;
    if (--running == 0)
        pthread_cond_broadcast(&running_cond);
    pthread_mutex_unlock(&running_lock);
    return NULL;
}

bool dial_start(struct dialbox *box, const char *const *kw, const char *const *vals, int expand,
                unsigned timeout_ms, int tag, unsigned gen, char *err, size_t errlen)
{
    reap();
    struct dial *d = xcalloc(1, sizeof *d);
    d->tag = tag;
    d->gen = gen;
    d->kw = copy_strings(kw);
    d->vals = copy_strings(vals);
    d->expand = expand;
    d->timeout_ms = timeout_ms;
    d->box = box;

    pthread_mutex_lock(&box->lock);
    box->refs++;
    pthread_mutex_unlock(&box->lock);
    pthread_mutex_lock(&running_lock);
    running++;
    pthread_mutex_unlock(&running_lock);

    pthread_t t;
    int rc = pthread_create(&t, NULL, dial_main, d);
    if (rc == 0)
        return true;

    snprintf(err, errlen, "cannot start a thread to connect: %s", strerror(rc));
    pthread_mutex_lock(&running_lock);
    running--;
    pthread_mutex_unlock(&running_lock);
    box_unref(box);
    dial_free(d);
    return false;
}

struct dial *dialbox_take(struct dialbox *box)
{
    /* Clears the counter; the list below is the truth whatever it says. */
    uint64_t v;
    ssize_t r = read(box->efd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&box->lock);
    struct dial *d = box->head;
    box->head = box->tail = NULL;
    pthread_mutex_unlock(&box->lock);
    return d;
}

void dialbox_close(struct dialbox *box)
{
    if (box == NULL)
        return;
    pthread_mutex_lock(&box->lock);
    box->closed = true;
    struct dial *d = box->head;
    box->head = box->tail = NULL;
    pthread_mutex_unlock(&box->lock);
    while (d != NULL) {
        struct dial *next = d->next;
        dial_free(d);
        d = next;
    }
    box_unref(box);
}

int dial_wait_all(unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&running_lock);
    while (running > 0)
        if (pthread_cond_timedwait(&running_cond, &running_lock, &until) == ETIMEDOUT)
            break;
    int left = running;
    pthread_mutex_unlock(&running_lock);
    reap();
    return left;
}
