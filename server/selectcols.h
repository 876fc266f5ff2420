/* selectcols: the column selection of a lookup ("select"), as names and as
 * the list of the table's columns it picks.
 *
 *   GET .../rows/42?select=customer_id,email      the query form: a comma
 *       list, each name %-decoded on its own, so a name holding "," is
 *       sent as %2C and is not split;
 *   {"keys": [...], "select": ["customer_id", "email"]}   the body form.
 *
 * Names match column names exactly (case and all: a column "CamelCase" is
 * selected as CamelCase). An empty name, an unknown one and a repeated one
 * are refused, with the name in the error. The result is the columns'
 * indexes in the order asked, which is the order of the row object's
 * members.
 *
 * Pure: no I/O. Thread-safe.
 */
#ifndef LF_SELECTCOLS_H
#define LF_SELECTCOLS_H

#include <stddef.h>

#define SELECTCOLS_MAX 1664 /* Postgres' MaxTupleAttributeNumber */

struct selectcols {
    size_t n;
    size_t *idx;    /* n indexes into the table's columns */
};

/* Splits the raw (still %-encoded) query value raw[0..len) on "," and
 * decodes each piece ("+" is a space, as in every query value). Returns the
 * number of names, with *names (each NUL-terminated, the array and strings
 * freed by selectcols_free_names) set; or -1 with a sentence in err (errlen
 * bytes) for a malformed escape or more than SELECTCOLS_MAX names. */
long selectcols_split(const char *raw, size_t len, char ***names, char *err, size_t errlen);

void selectcols_free_names(char **names, long n);

/* Resolves names[0..n) against the table's columns cols[0..ncols). Returns
 * 0 with *out filled (free with selectcols_free), or -1 with a sentence in
 * err naming the first bad name and *bad set to its position. n == 0 is an
 * error too: a selection of nothing is a mistake, not "every column". */
int selectcols_resolve(const char *const *names, size_t n, const char *const *cols, size_t ncols,
                       struct selectcols *out, char *err, size_t errlen, size_t *bad);

void selectcols_free(struct selectcols *s);

#endif
