/* xalloc: allocation wrappers that abort on out-of-memory.
 *
 * lakefront treats running out of memory as fatal, like Redis and pgbouncer:
 * every call site would otherwise need a failure path that cannot be tested.
 * NULL returned by a *library* (libpq, cJSON, MHD) is still checked where it
 * happens; only our own allocations go through here. Safe from any thread.
 */
#ifndef LF_XALLOC_H
#define LF_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
