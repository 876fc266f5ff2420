/* log: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "jsonw.h"

static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
    min_level = min;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

bool logline_begin(struct logline *l, enum log_level level, const char *msg,
                   const char *request_id)
{
    if (level < min_level)
        return false;
    char ts[40];
    clock_wall_iso(ts, sizeof ts);
    l->b = (struct buf)BUF_INIT;
    buf_reserve(&l->b, 256);
    buf_printf(&l->b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
    jsonw_cstr(&l->b, msg);
    if (request_id != NULL)
        logline_str(l, "request_id", request_id);
    return true;
}

static void key(struct logline *l, const char *k)
{
    buf_putc(&l->b, ',');
    jsonw_cstr(&l->b, k);
    buf_putc(&l->b, ':');
}

void logline_str(struct logline *l, const char *k, const char *val)
{
    key(l, k);
    jsonw_cstr(&l->b, val);
}

void logline_strn(struct logline *l, const char *k, const char *val, size_t n)
{
    key(l, k);
    jsonw_string(&l->b, val, n);
}

void logline_int(struct logline *l, const char *k, long long val)
{
    key(l, k);
    buf_printf(&l->b, "%lld", val);
}

void logline_double(struct logline *l, const char *k, double val)
{
    key(l, k);
    buf_printf(&l->b, "%.3f", val);
}

void logline_bool(struct logline *l, const char *k, bool val)
{
    key(l, k);
    buf_puts(&l->b, val ? "true" : "false");
}

void logline_end(struct logline *l)
{
    buf_puts(&l->b, "}\n");
    /* One write per line: lines from several threads do not interleave.
     * A short write to a pipe of a line under PIPE_BUF cannot happen; for
     * longer lines, keep writing the rest. */
    const char *p = l->b.data;
    size_t left = l->b.len;
    while (left > 0) {
        ssize_t n = write(STDOUT_FILENO, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break; /* stdout is gone: nothing better to do than drop the line */
        }
        p += n;
        left -= (size_t)n;
    }
    buf_free(&l->b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    struct logline l;
    if (!logline_begin(&l, level, "", NULL))
        return;
    /* Replace the empty msg written by logline_begin with the formatted one. */
    l.b.len -= 2;
    struct buf m = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&m, fmt, ap);
    va_end(ap);
    jsonw_string(&l.b, m.data ? m.data : "", m.len);
    buf_free(&m);
    logline_end(&l);
}
