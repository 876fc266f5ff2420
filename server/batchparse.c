/* batchparse: see batchparse.h. A small state machine driven by yajl's
 * callbacks; every callback that meets something out of place records the
 * error and returns 0, which makes yajl stop at once. */
#include "batchparse.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "buf.h"
#include "jsonw.h"
#include "xalloc.h"

#define SELECT_MAX 1664 /* Postgres' MaxTupleAttributeNumber: no table has more */

/* Where the parser is; the depth of nesting follows from it. */
enum where {
    W_START,      /* before the top-level value */
    W_TOP,        /* in the top object, expecting a member name or its end */
    W_KEYS_VALUE, /* after "keys": expecting the array */
    W_SEL_VALUE,  /* after "select": expecting the array */
    W_KEYS,       /* in the keys array: expecting a key or the end */
    W_KEY_ARRAY,  /* in a key given as an array of values */
    W_KEY_OBJECT, /* in a key given as an object, expecting a column name or the end */
    W_KEY_MEMBER, /* in a key object, after a column name: expecting its value */
    W_SELECT,     /* in the select array */
    W_DONE,       /* after the top object */
};

struct batchparse {
    yajl_handle h;
    const char *const *cols;
    size_t ncols, max_keys;

    enum where at;
    bool fed;           /* any byte other than white space seen */
    bool seen_keys, seen_select;
    enum batch_error err;
    size_t err_index;
    char msg[256];

    /* Values: NUL-terminated strings in arena, found by offset (the arena
     * moves as it grows). vals[i * ncols + c] is key i's column c. */
    struct buf arena;
    size_t *vals;
    size_t nvals_cap;
    size_t nkeys;
    size_t filled; /* values of the current key set so far (array form) */
    size_t member; /* object form: the column the next value belongs to */
    unsigned char *have; /* object form: which columns the current key named */

    size_t *sel;
    size_t nsel, sel_cap;
};

/* ------------------------------------------------------------ errors */

__attribute__((format(printf, 3, 4))) static int fail(struct batchparse *bp, enum batch_error e,
                                                      const char *fmt, ...)
{
    if (bp->err == BATCH_OK) {
        bp->err = e;
        bp->err_index = bp->nkeys;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(bp->msg, sizeof bp->msg, fmt, ap);
        va_end(ap);
    }
    return 0; /* stops yajl */
}

static int bad_key(struct batchparse *bp, const char *why)
{
    return fail(bp, BATCH_INVALID_KEY, "key %zu: %s", bp->nkeys, why);
}

/* s[0..n) (a name from the body, or a column name) as it may appear in a
 * message, written into out[cap] (cap >= 4): " and \ escaped, control
 * characters as \u00XX, bytes that are not UTF-8 as '?', cut at a character
 * boundary with "..." when it does not fit. A message is always printable
 * UTF-8, whatever the client sent. */
static const char *shown(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0; /* invariant: o + 4 <= cap, room for "..." and the NUL */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        char esc[8];
        const char *piece = s + i;
        size_t plen = len;
        if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            piece = esc;
            plen = 6;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            piece = esc;
            plen = 2;
        } else if (c >= 0x80 && (len > n - i || !jsonw_valid_utf8(s + i, len))) {
            piece = "?";
            plen = len = 1;
        }
        bool last = i + len == n;
        if (o + plen + (last ? 1 : 4) > cap) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        i += len;
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------ values */

static size_t store(struct batchparse *bp, const char *s, size_t n)
{
    size_t off = bp->arena.len;
    buf_append(&bp->arena, s, n);
    buf_putc(&bp->arena, '\0');
    return off;
}

/* An element of the keys array begins: refused if it is one too many,
 * whatever it holds (the batch is too large before it is wrong). */
static int room_for_key(struct batchparse *bp)
{
    if (bp->nkeys >= bp->max_keys)
        return fail(bp, BATCH_TOO_LARGE, "more than %zu keys in one batch", bp->max_keys);
    return 1;
}

/* Starts key number nkeys: room for its values, all unset. */
static int begin_key(struct batchparse *bp)
{
    if (!room_for_key(bp))
        return 0;
    if ((bp->nkeys + 1) * bp->ncols > bp->nvals_cap) {
        bp->nvals_cap = bp->nvals_cap ? bp->nvals_cap * 2 : 16 * bp->ncols;
        bp->vals = xrealloc(bp->vals, bp->nvals_cap * sizeof *bp->vals);
    }
    bp->filled = 0;
    memset(bp->have, 0, bp->ncols);
    return 1;
}

/* A scalar (string or number text) seen where a key value may be. */
static int key_value(struct batchparse *bp, const char *s, size_t n, bool is_string)
{
    if (bp->at == W_KEYS && !begin_key(bp)) /* the bare-value form: a key of its own */
        return 0;
    if (is_string && memchr(s, '\0', n) != NULL)
        return bad_key(bp, "a key value holds a NUL character (\\u0000)");
    switch (bp->at) {
    case W_KEYS:
        if (bp->ncols != 1)
            return bad_key(bp, bp->ncols == 0 ? "the table has no key"
                                              : "the primary key has several columns: give the "
                                                "key as an object or an array");
        bp->vals[bp->nkeys * bp->ncols] = store(bp, s, n);
        bp->nkeys++;
        return 1;
    case W_KEY_ARRAY:
        if (bp->filled >= bp->ncols)
            return fail(bp, BATCH_INVALID_KEY,
                        "key %zu: more than the %zu values of the primary key", bp->nkeys,
                        bp->ncols);
        bp->vals[bp->nkeys * bp->ncols + bp->filled++] = store(bp, s, n);
        return 1;
    case W_KEY_MEMBER:
        bp->vals[bp->nkeys * bp->ncols + bp->member] = store(bp, s, n);
        bp->at = W_KEY_OBJECT;
        return 1;
    default:
        return 0; /* not reached: callers check the state */
    }
}

static bool in_key_value_place(const struct batchparse *bp)
{
    return bp->at == W_KEYS || bp->at == W_KEY_ARRAY || bp->at == W_KEY_MEMBER;
}

/* Something other than a string or number where a value belongs. */
static int misplaced(struct batchparse *bp, const char *what)
{
    switch (bp->at) {
    case W_START:
        return fail(bp, BATCH_INVALID_BODY, "the body must be a JSON object, not %s", what);
    case W_KEYS_VALUE:
        return fail(bp, BATCH_INVALID_BODY, "\"keys\" must be an array, not %s", what);
    case W_SEL_VALUE:
        return fail(bp, BATCH_INVALID_BODY, "\"select\" must be an array of column names, not %s",
                    what);
    case W_SELECT:
        return fail(bp, BATCH_INVALID_BODY, "\"select\" must hold column names (strings), not %s",
                    what);
    case W_KEYS:
    case W_KEY_ARRAY:
    case W_KEY_MEMBER: {
        if (bp->at == W_KEYS && !room_for_key(bp))
            return 0;
        char why[96];
        snprintf(why, sizeof why, "a key value must be a string or a number, not %s", what);
        return bad_key(bp, why);
    }
    case W_TOP:
    case W_KEY_OBJECT:
    case W_DONE:
        break;
    }
    return fail(bp, BATCH_INVALID_BODY, "unexpected %s", what);
}

/* ------------------------------------------------------------ yajl callbacks */

static int on_null(void *ctx)
{
    return misplaced(ctx, "null");
}

static int on_boolean(void *ctx, int v)
{
    return misplaced(ctx, v ? "true" : "false");
}

static int on_number(void *ctx, const char *s, size_t n)
{
    struct batchparse *bp = ctx;
    if (in_key_value_place(bp))
        return key_value(bp, s, n, false);
    return misplaced(bp, "a number");
}

/* yajl lets through some bytes that are not UTF-8 (overlong forms, encoded
 * surrogates, code points past U+10FFFF) and turns a lone \uDC00..\uDFFF
 * escape into an encoded surrogate: such a string is refused like the bytes
 * yajl itself refuses, as a body that is not JSON. */
static int bad_utf8(struct batchparse *bp)
{
    return fail(bp, BATCH_INVALID_BODY,
                "the body is not valid JSON (a string is not valid UTF-8 or holds a lone "
                "surrogate escape)");
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct batchparse *bp = ctx;
    if (!jsonw_valid_utf8((const char *)s, n))
        return bad_utf8(bp);
    if (in_key_value_place(bp))
        return key_value(bp, (const char *)s, n, true);
    if (bp->at != W_SELECT)
        return misplaced(bp, "a string");
    if (memchr(s, '\0', n) != NULL)
        return fail(bp, BATCH_INVALID_BODY, "a \"select\" name holds a NUL character (\\u0000)");
    if (bp->nsel >= SELECT_MAX)
        return fail(bp, BATCH_INVALID_BODY, "more than %d names in \"select\"", SELECT_MAX);
    if (bp->nsel == bp->sel_cap) {
        bp->sel_cap = bp->sel_cap ? bp->sel_cap * 2 : 16;
        bp->sel = xrealloc(bp->sel, bp->sel_cap * sizeof *bp->sel);
    }
    bp->sel[bp->nsel++] = store(bp, (const char *)s, n);
    return 1;
}

static int on_start_map(void *ctx)
{
    struct batchparse *bp = ctx;
    if (bp->at == W_START) {
        bp->at = W_TOP;
        return 1;
    }
    if (bp->at == W_KEYS) {
        if (!begin_key(bp))
            return 0;
        if (bp->ncols == 0)
            return bad_key(bp, "the table has no key");
        bp->at = W_KEY_OBJECT;
        return 1;
    }
    return misplaced(bp, "an object");
}

static int on_map_key(void *ctx, const unsigned char *s, size_t n)
{
    struct batchparse *bp = ctx;
    char name[72];
    if (!jsonw_valid_utf8((const char *)s, n))
        return bad_utf8(bp);
    if (bp->at == W_TOP) {
        if (n == 4 && memcmp(s, "keys", 4) == 0) {
            if (bp->seen_keys)
                return fail(bp, BATCH_INVALID_BODY, "\"keys\" is given twice");
            bp->seen_keys = true;
            bp->at = W_KEYS_VALUE;
            return 1;
        }
        if (n == 6 && memcmp(s, "select", 6) == 0) {
            if (bp->seen_select)
                return fail(bp, BATCH_INVALID_BODY, "\"select\" is given twice");
            bp->seen_select = true;
            bp->at = W_SEL_VALUE;
            return 1;
        }
        return fail(bp, BATCH_INVALID_BODY,
                    "unknown member \"%s\": the body has \"keys\" and optionally \"select\"",
                    shown(name, sizeof name, (const char *)s, n));
    }
    /* W_KEY_OBJECT: a key column's name. */
    for (size_t c = 0; c < bp->ncols; c++) {
        if (strlen(bp->cols[c]) == n && memcmp(bp->cols[c], s, n) == 0) {
            if (bp->have[c]) {
                char why[160];
                snprintf(why, sizeof why, "\"%s\" is given twice",
                         shown(name, sizeof name, bp->cols[c], n));
                return bad_key(bp, why);
            }
            bp->have[c] = 1;
            bp->member = c;
            bp->at = W_KEY_MEMBER;
            return 1;
        }
    }
    char why[160];
    snprintf(why, sizeof why, "\"%s\" is not a primary-key column",
             shown(name, sizeof name, (const char *)s, n));
    return bad_key(bp, why);
}

static int on_end_map(void *ctx)
{
    struct batchparse *bp = ctx;
    if (bp->at == W_TOP) {
        bp->at = W_DONE;
        return 1;
    }
    /* W_KEY_OBJECT: yajl only ends a map where a member could begin. */
    for (size_t c = 0; c < bp->ncols; c++) {
        if (!bp->have[c]) {
            char name[72], why[160];
            snprintf(why, sizeof why, "primary-key column \"%s\" is missing",
                     shown(name, sizeof name, bp->cols[c], strlen(bp->cols[c])));
            return bad_key(bp, why);
        }
    }
    bp->nkeys++;
    bp->at = W_KEYS;
    return 1;
}

static int on_start_array(void *ctx)
{
    struct batchparse *bp = ctx;
    switch (bp->at) {
    case W_KEYS_VALUE:
        bp->at = W_KEYS;
        return 1;
    case W_SEL_VALUE:
        bp->at = W_SELECT;
        return 1;
    case W_KEYS:
        if (!begin_key(bp))
            return 0;
        if (bp->ncols == 0)
            return bad_key(bp, "the table has no key");
        bp->at = W_KEY_ARRAY;
        return 1;
    default:
        return misplaced(bp, "an array");
    }
}

static int on_end_array(void *ctx)
{
    struct batchparse *bp = ctx;
    switch (bp->at) {
    case W_KEYS:
    case W_SELECT:
        bp->at = W_TOP;
        return 1;
    case W_KEY_ARRAY:
        if (bp->filled != bp->ncols)
            return fail(bp, BATCH_INVALID_KEY,
                        "key %zu: %zu value%s where the primary key has %zu column%s", bp->nkeys,
                        bp->filled, bp->filled == 1 ? "" : "s", bp->ncols,
                        bp->ncols == 1 ? "" : "s");
        bp->nkeys++;
        bp->at = W_KEYS;
        return 1;
    default:
        return 0; /* not reached: yajl matches brackets */
    }
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number, /* the digits as written: no integer or double callback */
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

/* ------------------------------------------------------------ public */

struct batchparse *batchparse_new(const char *const *cols, size_t ncols, size_t max_keys)
{
    struct batchparse *bp = xcalloc(1, sizeof *bp);
    bp->cols = cols;
    bp->ncols = ncols;
    bp->max_keys = max_keys;
    bp->have = xcalloc(ncols ? ncols : 1, 1);
    bp->h = yajl_alloc(&callbacks, NULL, bp);
    if (bp->h == NULL)
        abort();
    /* Strict JSON: no comments, UTF-8 checked, one value and nothing after it. */
    return bp;
}

void batchparse_free(struct batchparse *bp)
{
    if (bp == NULL)
        return;
    yajl_free(bp->h);
    buf_free(&bp->arena);
    free(bp->vals);
    free(bp->have);
    free(bp->sel);
    free(bp);
}

/* A yajl error (not one of ours) as a sentence. */
static void syntax_error(struct batchparse *bp)
{
    unsigned char *e = yajl_get_error(bp->h, 0, NULL, 0);
    char text[160];
    snprintf(text, sizeof text, "%s", e ? (const char *)e : "parse error");
    if (e)
        yajl_free_error(bp->h, e);
    /* yajl ends its messages with a newline. */
    text[strcspn(text, "\n")] = '\0';
    fail(bp, BATCH_INVALID_BODY, "the body is not valid JSON (%s)", text);
}

enum batch_error batchparse_feed(struct batchparse *bp, const char *data, size_t len)
{
    if (bp->err != BATCH_OK || len == 0)
        return bp->err;
    for (size_t i = 0; i < len && !bp->fed; i++)
        bp->fed = !strchr(" \t\r\n", data[i]) || data[i] == '\0';
    /* client_canceled with no error recorded cannot happen; were it to, it
     * must not pass for a good body. */
    if (yajl_parse(bp->h, (const unsigned char *)data, len) != yajl_status_ok)
        syntax_error(bp);
    return bp->err;
}

enum batch_error batchparse_finish(struct batchparse *bp)
{
    if (bp->err != BATCH_OK)
        return bp->err;
    if (!bp->fed) {
        fail(bp, BATCH_INVALID_BODY, "the body is empty: expected a JSON object");
        return bp->err;
    }
    if (yajl_complete_parse(bp->h) != yajl_status_ok) {
        syntax_error(bp);
        return bp->err;
    }
    if (!bp->seen_keys)
        fail(bp, BATCH_INVALID_BODY, "the body has no \"keys\" array");
    return bp->err;
}

size_t batchparse_nkeys(const struct batchparse *bp)
{
    return bp->nkeys;
}

const char *batchparse_value(const struct batchparse *bp, size_t i, size_t col)
{
    return bp->arena.data + bp->vals[i * bp->ncols + col];
}

int batchparse_has_select(const struct batchparse *bp)
{
    return bp->seen_select;
}

size_t batchparse_nselect(const struct batchparse *bp)
{
    return bp->nsel;
}

const char *batchparse_select(const struct batchparse *bp, size_t i)
{
    return bp->arena.data + bp->sel[i];
}

const char *batchparse_message(const struct batchparse *bp)
{
    return bp->msg;
}

size_t batchparse_error_index(const struct batchparse *bp)
{
    return bp->err_index;
}
