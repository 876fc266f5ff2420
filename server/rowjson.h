/* rowjson: turns Postgres values, as Postgres formats them in text, into the
 * JSON that Postgres' own to_jsonb() would give for them.
 *
 * The contract (tested against a live to_jsonb in tests/integration): the JSON
 * of a row equals, value for value, to_jsonb(row) in a session with
 * TimeZone=UTC, DateStyle=ISO, IntervalStyle=postgres, bytea_output=hex and
 * extra_float_digits=1. Numbers are copied digit for digit (never through a
 * C double): bigints above 2^53 and 40-digit numerics survive.
 *
 * Pure: no libpq header, no I/O. Type OIDs are plain unsigned ints here.
 */
#ifndef LF_ROWJSON_H
#define LF_ROWJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* How the text form of a type becomes JSON. */
enum rj_kind {
    RJ_STRING = 0,   /* text, varchar, uuid, date, interval, bytea, unknown types: a JSON string */
    RJ_INTEGER,      /* int2, int4, int8: the digits as a JSON number (to_jsonb gives oid as a string) */
    RJ_NUMERIC,      /* numeric: digits as a number; NaN, Infinity, -Infinity as strings */
    RJ_FLOAT,        /* float4, float8: as a number; NaN, Infinity, -Infinity as strings */
    RJ_BOOL,         /* bool: t/f as true/false */
    RJ_JSON,         /* json, jsonb: already JSON, copied as is */
    RJ_TIMESTAMP,    /* timestamp: "2024-01-31 12:00:00" becomes "2024-01-31T12:00:00" */
    RJ_TIMESTAMPTZ,  /* timestamptz: as timestamp, and a "+HH" offset becomes "+HH:00" */
    RJ_TIMETZ,       /* "12:00:00+02" becomes "12:00:00+02:00"; no built-in OID maps here:
                        to_jsonb leaves timetz as its text */
    RJ_ARRAY,        /* an array literal {..} whose elements have the element kind */
};

/* The kind for a built-in type OID (see pg_type.dat). For an array type it
 * returns RJ_ARRAY and sets *elem to the element's kind; otherwise *elem is
 * RJ_STRING. Unknown OIDs (enums, user types) give RJ_STRING, which is what
 * to_jsonb does for enums, ranges and most extension types. elem may be NULL. */
enum rj_kind rowjson_kind_for_oid(unsigned oid, enum rj_kind *elem);

/* Appends the JSON for one non-NULL value whose text form is text[0..len).
 * elem is used only when kind is RJ_ARRAY. Never fails: text that does not
 * have the expected shape (which Postgres never sends) is written as a JSON
 * string, so the output is always valid JSON except for RJ_JSON, which is
 * trusted to come from Postgres' json/jsonb output. */
void rowjson_value(struct buf *out, enum rj_kind kind, enum rj_kind elem, const char *text,
                   size_t len);

#endif
