/* batchparse: reads the body of POST /api/v1/tables/{table}/lookup.
 *
 *   {"keys": [KEY, ...], "select": ["col", ...]}        ("select" optional)
 *
 * A KEY names one row by its primary key, in any of three forms:
 *   {"customer_id": 42, "day": "2024-01-31"}   every key column, nothing else
 *   [42, "2024-01-31"]                         values in primary-key order
 *   42                                         the bare value (one-column keys)
 * A value is a JSON string or number. Numbers are kept exactly as written,
 * as text: 9007199254740993 stays that number, which a parser that turns
 * numbers into doubles (cJSON) would round. That is why this module uses
 * yajl, Debian's libyajl: its number callback hands over the digits.
 *
 * The body is fed in pieces as they arrive (libmicrohttpd hands them over
 * one by one) and parsed as it comes: a batch with too many keys is refused
 * at the first key past the limit, without reading the rest. Values are
 * copied once into one arena owned by the parser.
 *
 * Pure: no I/O, no libpq, no MHD. Thread-compatible: one parser per request.
 */
#ifndef LF_BATCHPARSE_H
#define LF_BATCHPARSE_H

#include <stddef.h>

enum batch_error {
    BATCH_OK = 0,
    BATCH_INVALID_BODY, /* not JSON, not an object, no "keys" array, an unknown member,
                           a bad "select" (not an array of strings) */
    BATCH_INVALID_KEY,  /* key number `index` has the wrong shape or a value that is not a
                           string or number */
    BATCH_TOO_LARGE,    /* more keys than max_keys */
};

struct batchparse;

/* A parser for keys of the ncols key columns named cols[] (in primary-key
 * order; borrowed, must outlive the parser), accepting at most max_keys keys
 * and at most 1664 select names (no table has more columns). Never NULL
 * (aborts on out of memory). */
struct batchparse *batchparse_new(const char *const *cols, size_t ncols, size_t max_keys);

void batchparse_free(struct batchparse *bp);

/* Feeds the next len bytes of the body. Returns BATCH_OK, or the first error
 * found; after an error, further calls return it again and do nothing. */
enum batch_error batchparse_feed(struct batchparse *bp, const char *data, size_t len);

/* The body is complete: checks that it ended where a JSON document may end
 * and that "keys" was there. Returns BATCH_OK or the error. */
enum batch_error batchparse_finish(struct batchparse *bp);

/* After batchparse_finish returned BATCH_OK: the number of keys, and value
 * `col` of key `i` (NUL-terminated; may hold NUL bytes only if the client
 * sent \u0000, which batchparse refuses as INVALID_KEY). Valid until
 * batchparse_free. */
size_t batchparse_nkeys(const struct batchparse *bp);
const char *batchparse_value(const struct batchparse *bp, size_t i, size_t col);

/* The "select" names, in order (nselect is 0 when there was no "select";
 * has_select tells an absent "select" from an empty one). */
int batchparse_has_select(const struct batchparse *bp);
size_t batchparse_nselect(const struct batchparse *bp);
const char *batchparse_select(const struct batchparse *bp, size_t i);

/* On an error: a sentence saying what was wrong (for the response's
 * message), and for BATCH_INVALID_KEY the index of the key at fault. */
const char *batchparse_message(const struct batchparse *bp);
size_t batchparse_error_index(const struct batchparse *bp);

#endif
