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

struct buf {
    char *data; /* NULL until the first write; else NUL-terminated */
    size_t len; /* bytes written, not counting the NUL */
    size_t cap; /* bytes allocated */
};

#define BUF_INIT {NULL, 0, 0}

/* Ensures room for `extra` more bytes plus the NUL. */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_putc(struct buf *b, char c);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Forgets the contents, keeps the memory. */
void buf_reset(struct buf *b);
/* Returns the contents (never NULL, NUL-terminated, caller frees) and
 * leaves the buf empty. *len (if not NULL) receives the length. */
char *buf_steal(struct buf *b, size_t *len);
void buf_free(struct buf *b);

#endif
