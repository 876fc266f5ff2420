/* log: one JSON object per line on stdout.
 *
 * Every line has "ts" (UTC), "level" and "msg"; "request_id" when there is
 * one; then fields the caller adds. A line is built in memory and written
 * with a single write(2), so lines from different threads never interleave.
 * Secrets must never be passed here: this module cannot tell them apart.
 *
 *     struct logline l;
 *     if (logline_begin(&l, LOG_INFO, "listening", NULL)) {
 *         logline_int(&l, "port", port);
 *         logline_end(&l);
 *     }
 *
 * logline_begin returns false (and the caller skips the rest) when the level
 * is filtered out, so a disabled debug line costs one comparison.
 */
#ifndef LF_LOG_H
#define LF_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level written; call once at startup, before threads. */
void log_set_level(enum log_level min);

/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *s);

struct logline {
    struct buf b;
};

bool logline_begin(struct logline *l, enum log_level level, const char *msg,
                   const char *request_id);
void logline_str(struct logline *l, const char *key, const char *val);
void logline_strn(struct logline *l, const char *key, const char *val, size_t n);
void logline_int(struct logline *l, const char *key, long long val);
void logline_double(struct logline *l, const char *key, double val);
void logline_bool(struct logline *l, const char *key, bool val);
/* Writes the line and releases its memory. */
void logline_end(struct logline *l);

/* A line with only a message. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
