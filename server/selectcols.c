/* selectcols: see selectcols.h. */
#include "selectcols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "xalloc.h"

long selectcols_split(const char *raw, size_t len, char ***names, char *err, size_t errlen)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += raw[i] == ',';
    if (n > SELECTCOLS_MAX) {
        snprintf(err, errlen, "select names more than %d columns", SELECTCOLS_MAX);
        return -1;
    }
    char **out = xcalloc(n, sizeof *out);
    size_t start = 0;
    for (size_t k = 0; k < n; k++) {
        size_t end = start;
        while (end < len && raw[end] != ',')
            end++;
        out[k] = router_decode(raw + start, end - start, 1, NULL);
        if (out[k] == NULL) {
            snprintf(err, errlen,
                     "select: name %zu has a malformed %%-escape, a NUL byte or bytes that are "
                     "not UTF-8",
                     k + 1);
            selectcols_free_names(out, (long)n);
            return -1;
        }
        start = end + 1;
    }
    *names = out;
    return (long)n;
}

void selectcols_free_names(char **names, long n)
{
    for (long i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

/* The name as it goes into an error message: quoted, at most 64 bytes of
 * it, cut on a UTF-8 boundary. */
static void quoted(char *dst, size_t dstlen, const char *name)
{
    size_t n = strlen(name);
    if (n > 64) {
        n = 64;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(dst, dstlen, "\"%.*s\"%s", (int)n, name, strlen(name) > n ? "..." : "");
}

int selectcols_resolve(const char *const *names, size_t n, const char *const *cols, size_t ncols,
                       struct selectcols *out, char *err, size_t errlen, size_t *bad)
{
    char q[80];
    memset(out, 0, sizeof *out);
    *bad = 0;
    if (n == 0) {
        snprintf(err, errlen, "select names no column: name at least one, or leave select out "
                              "for every column");
        return -1;
    }
    if (n > SELECTCOLS_MAX) {
        snprintf(err, errlen, "select names more than %d columns", SELECTCOLS_MAX);
        return -1;
    }
    unsigned char *seen = xcalloc(ncols ? ncols : 1, 1);
    out->idx = xmalloc(n * sizeof *out->idx);
    for (size_t i = 0; i < n; i++) {
        *bad = i;
        if (names[i][0] == '\0') {
            snprintf(err, errlen, "select: name %zu is empty", i + 1);
            goto fail;
        }
        size_t c = 0;
        while (c < ncols && strcmp(cols[c], names[i]) != 0)
            c++;
        quoted(q, sizeof q, names[i]);
        if (c == ncols) {
            snprintf(err, errlen, "select: the table has no column %s", q);
            goto fail;
        }
        if (seen[c]) {
            snprintf(err, errlen, "select: column %s is named twice", q);
            goto fail;
        }
        seen[c] = 1;
        out->idx[i] = c;
    }
    out->n = n;
    free(seen);
    return 0;

fail:
    free(seen);
    selectcols_free(out);
    return -1;
}

void selectcols_free(struct selectcols *s)
{
    free(s->idx);
    s->idx = NULL;
    s->n = 0;
}
