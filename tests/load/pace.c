/* pace: an open-loop (fixed-rate) HTTP/1.1 load generator.
 *
 *   pace -c CONNS -r RATE -d SECONDS -i URIFILE [-w WARMUP_SECONDS] [-t LOOPS] HOST:PORT
 *   (or http://HOST:PORT; IPv4 only)
 *
 * Why: h2load --rps gives every client its own timer, and all of them start
 * at the same instant, so C connections fire C requests together and then
 * wait: bursts, not a fixed rate. wrk is closed-loop: a slow response delays
 * the next request, so a stalled server is offered less load and looks
 * better than it is. Here arrival i is due at t0 + i/RATE, computed from i
 * (never accumulated, so no drift), whatever the server does.
 *
 * How: CONNS keep-alive connections are opened first (TCP_NODELAY). A due
 * arrival goes to an idle connection, one request in flight per connection;
 * when none is idle it waits in a FIFO here, and BACKLOG reports the longest
 * that FIFO got. Latency runs from the arrival's scheduled time, not from
 * when it was sent, so time spent waiting for a connection counts
 * (coordinated omission corrected). epoll_pwait2 sleeps with a nanosecond
 * timeout until the next arrival or socket event.
 *
 * -t LOOPS (default 1) splits the work among that many event loops, each in
 * a process of its own with CONNS/LOOPS of the connections, as wrk -t
 * does: loop k sends arrivals k, k+LOOPS, k+2*LOOPS..., so together they
 * keep the one schedule above, and their latencies are merged before the
 * percentiles. Why: one loop at 35,000 req/s needs half a CPU of a 2-core
 * machine it shares with the server, and whenever it waits for that CPU,
 * every response in flight waits with it and is counted as the server's
 * latency. But each loop then wakes for fewer events, and two cost about
 * 40 % more CPU than one (tests/load/README.md, entry 24).
 *
 * Only arrivals scheduled after the warmup (default 1 s) are counted; each of
 * them ends in exactly one of 200, 404, other (any other HTTP status), errors
 * (its connection failed or the response did not parse; it is not retried)
 * or timeout (no response 5 s after the last arrival). Latencies cover the
 * HTTP responses of all statuses. got= is the responses completed during the
 * measured window divided by its length: the throughput the server kept up.
 *
 * Output, on stdout (parsed by scripts; times in ms):
 *   PACE rate=<asked> got=<req/s> conns=<c> seconds=<d>
 *   STATUS 200=<n> 404=<n> other=<n> errors=<n> timeout=<n>
 *   LATENCY p50=<ms> p90=<ms> p99=<ms> p999=<ms> max=<ms> mean=<ms>
 *   BACKLOG max=<n>            (the longest FIFO of any one loop)
 *   OVER 1ms=<n> 2.5ms=<n> of=<n>   (latencies above 1 and 2.5 ms, of all)
 * Exit status: 0 when it ran, 1 on a setup failure, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR_MAX 8192
#define DRAIN_NS 5000000000LL
#define RETRY_NS 50000000LL /* a refused reconnect must not spin */

enum cstate { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };
enum pstate { P_HEAD, P_LEN, P_CHUNKED, P_EOF };
enum kstate { K_SIZE, K_EXT, K_DATA, K_DATA_END, K_TRAILER };

struct conn {
    int fd;
    enum cstate st;
    bool in_idle, want_out, close_after;
    int64_t retry_at;
    uint64_t arrival; /* the request in flight when st == C_BUSY */
    const char *out;
    size_t out_len, out_off;
    enum pstate ps;
    enum kstate ks;
    char *hdr;
    size_t hlen, trailer_len;
    uint64_t remain;
    int status, ndigits;
};

static struct sockaddr_in addr;
static char **reqs;
static size_t *req_lens, nreqs;
static struct conn *conns;
static int nconns, ep, *idle, nidle, ndown;
static uint64_t *fifo;
static size_t fifo_cap, fifo_head, fifo_len, backlog_max;
static double rate, secs, warm = 1.0;
static int64_t t0, t_warm, t_end;
static uint64_t n200, n404, nother, nerr, ntimeout, done_in_window, reconnects, conn_errs;
static uint64_t narrivals;
static int nloops = 1;
static int64_t *lat; /* microseconds */
static size_t nlat, lat_cap;
static char rbuf[65536];

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t sched(uint64_t i)
{
    return t0 + (int64_t)((double)i * 1e9 / rate);
}

static _Noreturn void oom(void)
{
    fputs("pace: out of memory\n", stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL)
        oom();
    return q;
}

static void usage(const char *why)
{
    fprintf(stderr, "pace: %s\nusage: pace -c CONNS -r RATE -d SECONDS -i URIFILE "
                    "[-w WARMUP_SECONDS] [-t LOOPS] HOST:PORT|http://HOST:PORT\n", why);
    exit(2);
}

static double num_arg(const char *s, double lo, double hi, bool whole, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi ||
        (whole && strspn(s, "0123456789") != strlen(s))) {
        static char msg[160];
        snprintf(msg, sizeof msg, "bad %s '%s' (want %s%.10g to %.10g)", what, s,
                 whole ? "a whole number, " : "", lo, hi);
        usage(msg);
    }
    return v;
}

static void ep_set(struct conn *cn, int op, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(cn - conns) };
    if (epoll_ctl(ep, op, cn->fd, &ev) != 0) {
        perror("pace: epoll_ctl");
        exit(1);
    }
}

static void make_idle(struct conn *cn)
{
    cn->st = C_IDLE;
    /* A stale stack entry left by an earlier life of this connection is
     * valid again, so pushing twice is never needed. */
    if (!cn->in_idle) {
        cn->in_idle = true;
        idle[nidle++] = (int)(cn - conns);
    }
}

/* A failed (re)connect waits a little before the next try, so a server that
 * is gone costs a few attempts a second, not a busy loop. */
static void conn_down(struct conn *cn, int64_t now)
{
    if (cn->fd >= 0)
        close(cn->fd);
    cn->fd = -1;
    conn_errs++;
    cn->st = C_DOWN;
    cn->retry_at = now + RETRY_NS;
    ndown++;
}

/* Non-blocking connect: the outcome, even an immediate one, comes back as
 * EPOLLOUT, so one path handles it. */
static void conn_open(struct conn *cn, int64_t now)
{
    int one = 1;
    cn->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (cn->fd >= 0 && setsockopt(cn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
        (connect(cn->fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EINPROGRESS)) {
        ep_set(cn, EPOLL_CTL_ADD, EPOLLOUT);
        cn->st = C_CONNECTING;
    } else {
        conn_down(cn, now);
    }
}

/* Closes and reopens; a request in flight is lost and counts as an error. */
static void conn_drop(struct conn *cn, int64_t now, bool failed)
{
    if (cn->st == C_BUSY && sched(cn->arrival) >= t_warm)
        nerr++;
    if (failed)
        conn_errs++;
    close(cn->fd); /* also leaves the epoll set */
    cn->fd = -1;
    cn->want_out = false;
    reconnects++;
    conn_open(cn, now);
}

static void conn_send(struct conn *cn, int64_t now)
{
    while (cn->out_off < cn->out_len) {
        ssize_t w = send(cn->fd, cn->out + cn->out_off, cn->out_len - cn->out_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            if (!cn->want_out)
                ep_set(cn, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
            cn->want_out = true;
            return;
        }
        if (w < 0) {
            conn_drop(cn, now, true);
            return;
        }
        cn->out_off += (size_t)w;
    }
    if (cn->want_out)
        ep_set(cn, EPOLL_CTL_MOD, EPOLLIN);
    cn->want_out = false;
}

static void finish(struct conn *cn, int64_t now)
{
    int64_t due = sched(cn->arrival);
    cn->st = C_IDLE; /* answered: a close from here on loses nothing */
    if (due >= t_warm) {
        if (cn->status == 200)
            n200++;
        else if (cn->status == 404)
            n404++;
        else
            nother++;
        if (nlat == lat_cap) {
            lat_cap = lat_cap ? lat_cap * 2 : 65536;
            lat = xrealloc(lat, lat_cap * sizeof *lat);
        }
        lat[nlat++] = (now - due + 500) / 1000;
    }
    if (now >= t_warm && now < t_end)
        done_in_window++;
    if (cn->close_after)
        conn_drop(cn, now, false);
    else
        make_idle(cn);
}

/* Status line and headers, NUL-terminated in place. Returns -1 if malformed. */
static int parse_head(struct conn *cn, char *h)
{
    bool chunked = false, has_len = false, keep_alive;
    uint64_t len = 0;
    if (strncmp(h, "HTTP/1.", 7) != 0 || (h[7] != '0' && h[7] != '1') || h[8] != ' ')
        return -1;
    keep_alive = h[7] == '1'; /* HTTP/1.0 closes unless it says otherwise */
    cn->status = 0;
    for (int k = 9; k < 12; k++) {
        if (h[k] < '0' || h[k] > '9')
            return -1;
        cn->status = cn->status * 10 + (h[k] - '0');
    }
    for (char *line = strstr(h, "\r\n"); line != NULL && line[2] != '\r';) {
        char *name = line + 2, *eol = strstr(name, "\r\n"), *colon, *v;
        if (eol == NULL) /* cannot happen: the block ends in CRLF CRLF */
            return -1;
        *eol = '\0';
        line = eol;
        if ((colon = strchr(name, ':')) == NULL)
            return -1;
        for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
            ;
        size_t nlen = (size_t)(colon - name);
        if (nlen == 14 && strncasecmp(name, "content-length", 14) == 0) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || errno != 0 || (*end != '\0' && *end != ' '))
                return -1;
            len = n;
            has_len = true;
        } else if (nlen == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
            chunked = strcasestr(v, "chunked") != NULL;
        } else if (nlen == 10 && strncasecmp(name, "connection", 10) == 0) {
            if (strcasestr(v, "close") != NULL)
                keep_alive = false;
            else if (strcasestr(v, "keep-alive") != NULL)
                keep_alive = true;
        }
    }
    cn->close_after = !keep_alive;
    cn->ps = P_LEN;
    cn->remain = 0;
    cn->ks = K_SIZE;
    cn->ndigits = 0;
    if (cn->status < 200 || cn->status == 204 || cn->status == 304)
        ; /* no body, whatever the headers say */
    else if (chunked)
        cn->ps = P_CHUNKED;
    else if (has_len)
        cn->remain = len;
    else {
        cn->ps = P_EOF; /* the body runs until the server closes */
        cn->close_after = true;
    }
    return 0;
}

/* Chunked body, byte by byte except for chunk data. 1 done, 0 more, -1 bad. */
static int parse_chunked(struct conn *cn, const char *p, size_t n, size_t *used)
{
    size_t i = 0;
    while (i < n) {
        char ch = p[i];
        if (cn->ks == K_DATA) {
            size_t take = cn->remain < n - i ? (size_t)cn->remain : n - i;
            i += take;
            if ((cn->remain -= take) == 0)
                cn->ks = K_DATA_END;
            continue;
        }
        i++;
        if (cn->ks == K_SIZE || cn->ks == K_EXT) {
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (ch == '\n') {
                if (cn->ndigits == 0)
                    return -1;
                cn->ks = cn->remain == 0 ? K_TRAILER : K_DATA;
                cn->trailer_len = 0;
            } else if (cn->ks == K_SIZE && d >= 0) {
                if (++cn->ndigits > 15)
                    return -1;
                cn->remain = cn->remain * 16 + (uint64_t)d;
            } else if (cn->ks == K_SIZE && ch != '\r') {
                cn->ks = K_EXT; /* ";name=value" extensions: skipped */
            }
        } else if (cn->ks == K_DATA_END) {
            if (ch == '\n') {
                cn->ks = K_SIZE;
                cn->ndigits = 0;
            } else if (ch != '\r') {
                return -1;
            }
        } else if (ch == '\n') { /* K_TRAILER: headers after the last chunk */
            if (cn->trailer_len == 0) {
                *used = i;
                return 1;
            }
            cn->trailer_len = 0;
        } else if (ch != '\r') {
            cn->trailer_len++;
        }
    }
    *used = i;
    return 0;
}

/* Feeds received bytes to the response parser. 1 done, 0 more, -1 bad. */
static int parse(struct conn *cn, const char *p, size_t n, size_t *used)
{
    size_t off = 0;
    while (cn->ps == P_HEAD) {
        size_t old = cn->hlen, take = n - off < HDR_MAX - 1 - old ? n - off : HDR_MAX - 1 - old;
        memcpy(cn->hdr + old, p + off, take);
        cn->hlen += take;
        cn->hdr[cn->hlen] = '\0';
        char *end = strstr(cn->hdr + (old > 3 ? old - 3 : 0), "\r\n\r\n");
        if (end == NULL) {
            *used = n;
            return cn->hlen == HDR_MAX - 1 ? -1 : 0;
        }
        off += (size_t)(end + 4 - cn->hdr) - old;
        cn->hlen = 0;
        if (parse_head(cn, cn->hdr) != 0)
            return -1;
        if (cn->status >= 100 && cn->status < 200) /* interim: the real one follows */
            cn->ps = P_HEAD;
    }
    if (cn->ps == P_CHUNKED) {
        size_t u = 0;
        int r = parse_chunked(cn, p + off, n - off, &u);
        *used = off + u;
        return r;
    }
    if (cn->ps == P_EOF) {
        *used = n;
        return 0;
    }
    size_t take = cn->remain < n - off ? (size_t)cn->remain : n - off;
    cn->remain -= take;
    *used = off + take;
    return cn->remain == 0;
}

static void conn_read(struct conn *cn)
{
    ssize_t r = recv(cn->fd, rbuf, sizeof rbuf, 0);
    int64_t now = now_ns(); /* after recv: the response's arrival time */
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r == 0 && cn->st == C_BUSY && cn->ps == P_EOF) {
        finish(cn, now);
        return;
    }
    /* An idle connection closed by the server loses nothing: not an error. */
    if (r == 0 && cn->st == C_IDLE) {
        conn_drop(cn, now, false);
        return;
    }
    if (r <= 0 || cn->st != C_BUSY) {
        conn_drop(cn, now, true);
        return;
    }
    size_t used = 0;
    int res = parse(cn, rbuf, (size_t)r, &used);
    if (res < 0 || (res == 1 && used != (size_t)r)) { /* bytes nobody asked for */
        conn_drop(cn, now, true);
        return;
    }
    if (res == 1)
        finish(cn, now);
}

static void conn_event(struct conn *cn, uint32_t events)
{
    if (cn->st == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(cn->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            conn_down(cn, now_ns());
        } else {
            ep_set(cn, EPOLL_CTL_MOD, EPOLLIN);
            make_idle(cn);
        }
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        conn_read(cn);
    if (cn->st == C_BUSY && cn->want_out && (events & EPOLLOUT))
        conn_send(cn, now_ns());
}

static void dispatch(int64_t now)
{
    while (fifo_len > 0 && nidle > 0) {
        struct conn *cn = &conns[idle[--nidle]];
        cn->in_idle = false;
        if (cn->st != C_IDLE)
            continue;
        cn->arrival = fifo[fifo_head];
        fifo_head = (fifo_head + 1) % fifo_cap;
        fifo_len--;
        cn->st = C_BUSY;
        cn->ps = P_HEAD;
        cn->hlen = 0;
        cn->out = reqs[cn->arrival % nreqs];
        cn->out_len = req_lens[cn->arrival % nreqs];
        cn->out_off = 0;
        conn_send(cn, now);
    }
}

static void enqueue(uint64_t i)
{
    if (fifo_len == fifo_cap) { /* grow, then unwrap the ring into the new space */
        size_t old = fifo_cap;
        fifo_cap = old ? old * 2 : 1024;
        fifo = xrealloc(fifo, fifo_cap * sizeof *fifo);
        for (size_t k = 0; k < fifo_head; k++)
            fifo[old + k] = fifo[k];
    }
    fifo[(fifo_head + fifo_len++) % fifo_cap] = i;
}

static void load_uris(const char *path, const char *hostport)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (f == NULL) {
        fprintf(stderr, "pace: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        bool ok = line[0] == '/';
        for (ssize_t k = 0; k < n; k++)
            ok = ok && (unsigned char)line[k] > ' ' && line[k] != 127;
        if (!ok) {
            fprintf(stderr, "pace: %s: not a request target: %s\n", path, line);
            exit(2);
        }
        reqs = xrealloc(reqs, (nreqs + 1) * sizeof *reqs);
        req_lens = xrealloc(req_lens, (nreqs + 1) * sizeof *req_lens);
        if (asprintf(&reqs[nreqs], "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", line, hostport) < 0)
            oom();
        req_lens[nreqs] = strlen(reqs[nreqs]);
        nreqs++;
    }
    if (ferror(f)) {
        fprintf(stderr, "pace: %s: read error\n", path);
        exit(1);
    }
    free(line);
    fclose(f);
    if (nreqs == 0)
        usage("the URI file has no request targets");
}

static void resolve(const char *target, char *hostport, size_t cap)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
    char host[256];
    const char *s = strncmp(target, "http://", 7) == 0 ? target + 7 : target;
    size_t n = strlen(s);
    if (strstr(target, "://") != NULL && s == target)
        usage("only http:// URLs are supported");
    if (n > 0 && s[n - 1] == '/')
        n--;
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof host || n >= cap)
        usage("the target must be HOST:PORT or http://HOST:PORT");
    memcpy(hostport, s, n);
    hostport[n] = '\0';
    char *port = hostport + (colon - s) + 1;
    double p = num_arg(port, 1, 65535, true, "port");
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "pace: %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }
    memcpy(&addr, ai->ai_addr, sizeof addr);
    addr.sin_port = htons((uint16_t)p);
    freeaddrinfo(ai);
}

/* Blocking connects with a time limit: a server that is not there is a
 * setup failure, not a run full of errors. */
static void connect_all(void)
{
    struct timeval tv = { .tv_sec = 5 };
    struct rlimit rl;
    int one = 1;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 16) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (int k = 0; k < nconns; k++) {
        struct conn *cn = &conns[k];
        if ((cn->hdr = malloc(HDR_MAX)) == NULL)
            oom();
        cn->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        if (cn->fd < 0 || setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
            connect(cn->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
            setsockopt(cn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
            fcntl(cn->fd, F_SETFL, O_NONBLOCK) != 0) {
            fprintf(stderr, "pace: connection %d: %s\n", k + 1, strerror(errno));
            exit(1);
        }
        ep_set(cn, EPOLL_CTL_ADD, EPOLLIN);
        make_idle(cn);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p of them at or below it. */
static double pct_ms(double p)
{
    if (nlat == 0)
        return 0;
    double x = p * (double)nlat;
    size_t rank = (size_t)x + ((double)(size_t)x < x); /* ceil, without libm */
    return (double)lat[rank > 0 ? rank - 1 : 0] / 1000.0;
}

/* This loop's share of the connections, open, and its epoll set. */
static void loop_setup(int nc)
{
    nconns = nc;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        perror("pace: epoll_create1");
        exit(1);
    }
    conns = calloc((size_t)nconns, sizeof *conns);
    idle = calloc((size_t)nconns, sizeof *idle);
    if (conns == NULL || idle == NULL)
        oom();
    connect_all();
    /* The default 50 us timer slack would blur the nanosecond wakeups. */
    prctl(PR_SET_TIMERSLACK, 1UL);
}

/* Sends arrivals first, first + step, first + 2 * step... of the schedule
 * that starts at `start`, until the end of the run, then waits for what is
 * in flight. Returns 0, or 1 when epoll fails. */
static int run_loop(int64_t start, uint64_t first, uint64_t step)
{
    t0 = start;
    t_warm = t0 + (int64_t)(warm * 1e9);
    t_end = t_warm + (int64_t)(secs * 1e9);
    uint64_t next = first;
    struct epoll_event evs[256];
    for (;;) {
        int64_t now = now_ns(), wake;
        while (sched(next) <= now && sched(next) < t_end) {
            enqueue(next);
            next += step;
        }
        bool stopped = sched(next) >= t_end;
        int64_t retry = INT64_MAX;
        for (int k = 0; ndown > 0 && k < nconns; k++) {
            if (conns[k].st == C_DOWN && conns[k].retry_at <= now) {
                ndown--;
                conn_open(&conns[k], now);
            }
            if (conns[k].st == C_DOWN && conns[k].retry_at < retry)
                retry = conns[k].retry_at;
        }
        dispatch(now);
        if (now >= t_warm && fifo_len > backlog_max)
            backlog_max = fifo_len;
        if (stopped) {
            size_t busy = 0;
            for (int k = 0; k < nconns; k++)
                busy += conns[k].st == C_BUSY;
            if ((busy == 0 && fifo_len == 0) || now >= t_end + DRAIN_NS)
                break;
            wake = t_end + DRAIN_NS;
        } else {
            wake = sched(next);
        }
        wake = retry < wake ? retry : wake;
        int64_t dt = wake > now ? wake - now : 0;
        struct timespec ts = { .tv_sec = dt / 1000000000LL, .tv_nsec = dt % 1000000000LL };
        int n = epoll_pwait2(ep, evs, 256, &ts, NULL);
        if (n < 0 && errno == ENOSYS) /* kernel before 5.11: round up to ms */
            n = epoll_wait(ep, evs, 256, (int)((dt + 999999) / 1000000));
        if (n < 0 && errno != EINTR) {
            perror("pace: epoll_pwait2");
            return 1;
        }
        for (int k = 0; k < n; k++)
            conn_event(&conns[evs[k].data.u32], evs[k].events);
    }

    for (int k = 0; k < nconns; k++)
        if (conns[k].st == C_BUSY && sched(conns[k].arrival) >= t_warm)
            ntimeout++;
    for (size_t k = 0; k < fifo_len; k++)
        if (sched(fifo[(fifo_head + k) % fifo_cap]) >= t_warm)
            ntimeout++;
    narrivals = (next - first) / step;
    return 0;
}

/* ------------------------------------------------ several loops (-t) */

/* What a loop's process hands back: its counters, then nlat latencies. */
struct totals {
    uint64_t n200, n404, nother, nerr, ntimeout, done_in_window, reconnects, conn_errs;
    uint64_t narrivals, backlog_max, nlat;
};

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

/* Loop k of nloops, in a child process: connects, says so on `ready`,
 * waits for the start time on `go`, runs, and writes its totals and
 * latencies to `out`. Never returns. */
static _Noreturn void loop_child(int k, int nc, int ready, int go, int out)
{
    loop_setup(nc);
    char one = 1;
    int64_t start;
    if (!write_all(ready, &one, 1))
        _exit(1);
    close(ready);
    if (!read_all(go, &start, sizeof start))
        _exit(1); /* the parent gave up: another loop could not connect */
    if (run_loop(start, (uint64_t)k, (uint64_t)nloops) != 0)
        _exit(1);
    struct totals t = { n200, n404, nother, nerr, ntimeout, done_in_window, reconnects,
                        conn_errs, narrivals, backlog_max, nlat };
    if (!write_all(out, &t, sizeof t) || !write_all(out, lat, nlat * sizeof *lat))
        _exit(1);
    _exit(0);
}

/* Forks the loops, starts them together once all are connected, and adds
 * up what they report into this process's counters. Returns 0, or 1 when a
 * loop failed (it said why on stderr). */
static int run_loops(int total_conns)
{
    int ready[2], go[2], out[64];
    pid_t pids[64];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) {
        perror("pace: pipe");
        return 1;
    }
    fflush(NULL);
    for (int k = 0; k < nloops; k++) {
        int res[2];
        if (pipe2(res, O_CLOEXEC) != 0) {
            perror("pace: pipe");
            return 1;
        }
        pids[k] = fork();
        if (pids[k] < 0) {
            perror("pace: fork");
            return 1;
        }
        if (pids[k] == 0) {
            close(ready[0]);
            close(go[1]);
            close(res[0]);
            int nc = total_conns / nloops + (k < total_conns % nloops);
            loop_child(k, nc, ready[1], go[0], res[1]);
        }
        close(res[1]);
        out[k] = res[0];
    }
    close(ready[1]);
    close(go[0]);

    int failed = 0, nready = 0;
    char c;
    while (nready < nloops && read_all(ready[0], &c, 1))
        nready++;
    close(ready[0]);
    if (nready == nloops) {
        int64_t start = now_ns();
        for (int k = 0; k < nloops; k++)
            if (!write_all(go[1], &start, sizeof start))
                failed = 1;
    } else {
        failed = 1;
    }
    close(go[1]); /* a loop still waiting reads end of file and leaves */

    for (int k = 0; k < nloops; k++) {
        struct totals t;
        if (!failed && read_all(out[k], &t, sizeof t)) {
            n200 += t.n200, n404 += t.n404, nother += t.nother, nerr += t.nerr;
            ntimeout += t.ntimeout, done_in_window += t.done_in_window;
            reconnects += t.reconnects, conn_errs += t.conn_errs, narrivals += t.narrivals;
            if (t.backlog_max > backlog_max)
                backlog_max = t.backlog_max;
            lat = xrealloc(lat, (nlat + t.nlat + 1) * sizeof *lat);
            if (!read_all(out[k], lat + nlat, t.nlat * sizeof *lat))
                failed = 1;
            nlat += t.nlat;
        } else {
            failed = 1;
        }
        close(out[k]);
    }
    for (int k = 0; k < nloops; k++) {
        int st;
        while (waitpid(pids[k], &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed = 1;
    }
    if (failed)
        fputs("pace: a loop failed (see above)\n", stderr);
    return failed;
}

int main(int argc, char **argv)
{
    const char *urifile = NULL;
    char hostport[300];
    int opt;
    opterr = 0;
    while ((opt = getopt(argc, argv, "c:r:d:i:w:t:")) != -1) {
        if (opt == 'c')
            nconns = (int)num_arg(optarg, 1, 10000, true, "-c connections");
        else if (opt == 'r')
            rate = num_arg(optarg, 0.001, 10000000, false, "-r rate");
        else if (opt == 'd')
            secs = num_arg(optarg, 0.001, 86400, false, "-d seconds");
        else if (opt == 'i')
            urifile = optarg;
        else if (opt == 'w')
            warm = num_arg(optarg, 0, 3600, false, "-w warmup seconds");
        else if (opt == 't')
            nloops = (int)num_arg(optarg, 1, 64, true, "-t loops");
        else
            usage(strchr("crdiwt", optopt) != NULL ? "an option lacks its value"
                                                   : "unknown option");
    }
    if (nconns == 0 || rate == 0 || secs == 0 || urifile == NULL)
        usage("-c, -r, -d and -i are required");
    if (nconns < nloops)
        usage("-t loops may not exceed -c connections: each loop needs one");
    if (optind != argc - 1)
        usage("exactly one HOST:PORT is required");
    resolve(argv[optind], hostport, sizeof hostport);
    load_uris(urifile, hostport);

    int total_conns = nconns;
    if (nloops == 1) {
        loop_setup(total_conns);
        if (run_loop(now_ns(), 0, 1) != 0)
            return 1;
    } else if (run_loops(total_conns) != 0) {
        return 1;
    }

    qsort(lat, nlat, sizeof *lat, cmp_i64);
    double sum = 0;
    for (size_t k = 0; k < nlat; k++)
        sum += (double)lat[k];
    printf("PACE rate=%.10g got=%.1f conns=%d seconds=%.10g\n", rate,
           (double)done_in_window / secs, total_conns, secs);
    printf("STATUS 200=%" PRIu64 " 404=%" PRIu64 " other=%" PRIu64 " errors=%" PRIu64
           " timeout=%" PRIu64 "\n", n200, n404, nother, nerr, ntimeout);
    printf("LATENCY p50=%.3f p90=%.3f p99=%.3f p999=%.3f max=%.3f mean=%.3f\n", pct_ms(0.50),
           pct_ms(0.90), pct_ms(0.99), pct_ms(0.999), nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0,
           nlat ? sum / (double)nlat / 1000.0 : 0.0);
    printf("BACKLOG max=%zu\n", backlog_max);
    size_t over1 = 0, over25 = 0;
    for (size_t k = 0; k < nlat; k++)
        over1 += lat[k] > 1000, over25 += lat[k] > 2500;
    printf("OVER 1ms=%zu 2.5ms=%zu of=%zu\n", over1, over25, nlat);
    fprintf(stderr, "pace: %" PRIu64 " arrivals, %" PRIu64 " reconnects, %" PRIu64
            " connection errors\n", narrivals, reconnects, conn_errs);
    return 0;
}
