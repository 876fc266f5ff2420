/* keys: checks a route's key values against a table's primary key and puts
 * them in primary-key order, ready to be sent as query parameters.
 *
 * Pure: no libpq. Integers are checked here (syntax and range), saving a
 * round trip for the common mistakes; other types (date, uuid, numeric, ...)
 * are checked by Postgres, whose "invalid input" errors (SQLSTATE class 22)
 * the caller maps to the same 400 INVALID_KEY.
 */
#ifndef LF_KEYS_H
#define LF_KEYS_H

#include <stddef.h>

#include "buf.h"
#include "router.h"

#define KEYS_MAX 32 /* Postgres' INDEX_MAX_KEYS */

enum key_type {
    KEY_OTHER = 0, /* checked by Postgres */
    KEY_INT2,
    KEY_INT4,
    KEY_INT8,
};

struct key_col {
    const char *name;   /* column name */
    enum key_type type;
};

/* Maps a built-in type OID to the key check it gets (int2 21, int4 23,
 * int8 20; everything else KEY_OTHER). */
enum key_type keys_type_for_oid(unsigned oid);

/* Fills values[0..ncols) with borrowed pointers into r (valid while r lives),
 * in key-column order, from either r->parts (one per column, in order) or,
 * when r->nparts is 0, from r->params looked up by column name.
 * Returns 0, or -1 with a sentence in err (errlen bytes, always
 * NUL-terminated) and, when the fault lies with one column, *bad_col set to
 * its index (else -1). Faults: wrong number of parts; a missing, unknown or
 * repeated key parameter; both parts and parameters given; an integer that
 * is not [+-]digits or is out of range for its type.
 * Thread-safe. */
int keys_bind(const struct key_col *cols, size_t ncols, const struct route *r,
              const char **values, char *err, size_t errlen, int *bad_col);

/* Checks one value v for key column col as keys_bind does (integers:
 * syntax and range; other types are left to Postgres). Returns 0, or -1
 * with a sentence in err (errlen bytes, always NUL-terminated). */
int keys_check_value(const struct key_col *col, const char *v, char *err, size_t errlen);

/* Appends v as one element of a Postgres array literal ("{a,b}"): always
 * quoted, so that NULL, braces, commas and blanks stay plain text, with
 * backslash and double quote escaped. The batch statements take their keys
 * as text[] built this way. */
void keys_array_elem(struct buf *b, const char *v);

#endif
