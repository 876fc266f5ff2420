/* buf: a growable byte buffer, always NUL-terminated.
 *
 * The one string builder of the project: response bodies, log lines and
 * SQL text are written into a buf. Growth aborts on out-of-memory (xalloc).
 * A buf has no locking; it belongs to whoever declared it. Pure: no I/O.
 */
#ifndef LF_BUF_H
#define LF_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
    char *data; /* NULL until the first write; else NUL-terminated */
    size_t len; /* bytes written, not counting the NUL */
    size_t cap; /* bytes allocated */
};

#define BUF_INIT {NULL, 0, 0}

/* Ensures room for `extra` more bytes plus the NUL. */
void buf_reserve(struct buf *b, size_t extra);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Forgets the contents, keeps the memory. */
void buf_reset(struct buf *b);
/* Returns the contents (never NULL, NUL-terminated, caller frees) and
 * leaves the buf empty. *len (if not NULL) receives the length. */
char *buf_steal(struct buf *b, size_t *len);
void buf_free(struct buf *b);

/* Appending is inline: a response body is built from a few dozen small
 * appends (keys, punctuation, values), each of which used to be a call.
 * Growth stays out of line, in buf_reserve. */
static inline void buf_append(struct buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
        buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void buf_putc(struct buf *b, char c)
{
    if (b->len + 2 > b->cap)
        buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

#endif
