/* jsonw: the small JSON writing helpers shared by every module that emits
 * JSON by hand (row bodies, error bodies, log lines).
 *
 * Pure: no I/O, no allocation beyond the caller's buf.
 */
#ifndef LF_JSONW_H
#define LF_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends s[0..n) as a quoted JSON string. Escapes the way Postgres' json
 * output does: \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00XX;
 * everything else, UTF-8 included, is copied as is. Bytes that are not
 * valid UTF-8 are replaced by U+FFFD so that the output is always valid
 * JSON whatever the input (client-supplied text is echoed in errors). */
void jsonw_string(struct buf *b, const char *s, size_t n);

/* Same for a NUL-terminated string; NULL writes `null`. */
void jsonw_cstr(struct buf *b, const char *s);

/* True when s[0..n) is exactly one JSON number (RFC 8259 grammar:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?). */
bool jsonw_is_number(const char *s, size_t n);

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool jsonw_valid_utf8(const char *s, size_t n);

#endif
