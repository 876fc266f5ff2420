/* rowjson: Postgres text output to the JSON of to_jsonb (see rowjson.h).
 *
 * Each kind is a small rewrite of the text Postgres sends: numbers are
 * copied digit for digit, timestamps get the XSD 'T' that to_jsonb puts in,
 * array literals become JSON arrays. Anything whose shape we do not
 * recognise is written as a JSON string of the original text, so a bug or a
 * surprise in Postgres' output degrades to a string, never to bad JSON.
 *
 * Not here: parsing of json/jsonb (trusted, copied), composite types (they
 * arrive as unknown OIDs, hence strings), and any I/O. Every function reads
 * only text[0..len): values come straight from PQgetvalue and the length is
 * the truth, not a NUL.
 */
#include "rowjson.h"

#include <stdint.h>

#include "jsonw.h"

/* Postgres' MAXDIM: array_in refuses more dimensions than this, so a deeper
 * literal did not come from Postgres and is written as a string. */
#define RJ_MAXDIM 6

/* ------------------------------------------------------------ type OIDs */

/* From pg_type.dat, checked against pg_type of a PostgreSQL 15 cluster.
 * Only types whose to_jsonb differs from a JSON string of the text, and
 * arrays whose elements we can convert, need an entry; everything else is
 * RJ_STRING.
 *
 * Two types are deliberately strings although one might expect otherwise,
 * because that is what to_jsonb gives (checked against PostgreSQL 15):
 * oid is not in to_jsonb's numeric category (to_jsonb(1::oid) is "1"), and
 * timetz is not in its date/time category (to_jsonb('12:00+02'::timetz) is
 * "12:00:00+02", no XSD rewrite). RJ_TIMETZ is kept for callers that want
 * the XSD form, but no OID maps to it. */
enum rj_kind rowjson_kind_for_oid(unsigned oid, enum rj_kind *elem)
{
    /* A switch, which the compiler turns into a binary search: this runs
     * for every value written. The linear scan of a table it replaced went
     * through all forty entries for every string column, 1,700 instructions
     * a row of the demo table (callgrind), against 300 now. */
    enum rj_kind kind = RJ_ARRAY, e = RJ_STRING;
    switch (oid) {
    case 16: /* bool */
        kind = RJ_BOOL;
        break;
    case 20: /* int8 */
    case 21: /* int2 */
    case 23: /* int4 */
        kind = RJ_INTEGER;
        break;
    case 114: /* json */
        kind = RJ_JSON;
        break;
    case 700: /* float4 */
    case 701: /* float8 */
        kind = RJ_FLOAT;
        break;
    case 1114: /* timestamp */
        kind = RJ_TIMESTAMP;
        break;
    case 1184: /* timestamptz */
        kind = RJ_TIMESTAMPTZ;
        break;
    case 1700: /* numeric */
        kind = RJ_NUMERIC;
        break;
    case 3802: /* jsonb */
        kind = RJ_JSON;
        break;
    case 143: /* _xml */
    case 651: /* _cidr */
    case 791: /* _money */
    case 1001: /* _bytea */
    case 1002: /* _char */
    case 1003: /* _name */
    case 1009: /* _text */
    case 1014: /* _bpchar */
    case 1015: /* _varchar */
    case 1028: /* _oid: elements are strings too */
    case 1040: /* _macaddr */
    case 1041: /* _inet */
    case 1182: /* _date */
    case 1183: /* _time */
    case 1187: /* _interval */
    case 1270: /* _timetz */
    case 1561: /* _bit */
    case 1563: /* _varbit */
    case 2951: /* _uuid */
        e = RJ_STRING;
        break;
    case 199: /* _json */
    case 3807: /* _jsonb */
        e = RJ_JSON;
        break;
    case 1000: /* _bool */
        e = RJ_BOOL;
        break;
    case 1005: /* _int2 */
    case 1007: /* _int4 */
    case 1016: /* _int8 */
        e = RJ_INTEGER;
        break;
    case 1021: /* _float4 */
    case 1022: /* _float8 */
        e = RJ_FLOAT;
        break;
    case 1115: /* _timestamp */
        e = RJ_TIMESTAMP;
        break;
    case 1185: /* _timestamptz */
        e = RJ_TIMESTAMPTZ;
        break;
    case 1231: /* _numeric */
        e = RJ_NUMERIC;
        break;
    default:
        kind = RJ_STRING;
        break;
    }
    if (elem)
        *elem = e;
    return kind;
}

/* ------------------------------------------------------------ scalars */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool eq(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n; i++)
        if (lit[i] == '\0' || lit[i] != s[i])
            return false;
    return lit[i] == '\0';
}

/* The special values of numeric, float4 and float8 are strings in to_jsonb
 * because they are not JSON numbers; so is anything else that is not one. */
static void put_number(struct buf *out, const char *s, size_t n)
{
    if (jsonw_is_number(s, n))
        buf_append(out, s, n);
    else
        jsonw_string(out, s, n);
}

/* Skips exactly `count` digits at s[*i]; false if there are fewer. */
static bool digits(const char *s, size_t n, size_t *i, size_t count)
{
    for (size_t k = 0; k < count; k++, (*i)++)
        if (*i >= n || !is_digit(s[*i]))
            return false;
    return true;
}

/* Parses "HH:MM:SS[.f+]" at s[*i]. */
static bool time_part(const char *s, size_t n, size_t *i)
{
    if (!digits(s, n, i, 2) || *i >= n || s[(*i)++] != ':')
        return false;
    if (!digits(s, n, i, 2) || *i >= n || s[(*i)++] != ':')
        return false;
    if (!digits(s, n, i, 2))
        return false;
    if (*i < n && s[*i] == '.') {
        (*i)++;
        if (!digits(s, n, i, 1))
            return false;
        while (*i < n && is_digit(s[*i]))
            (*i)++;
    }
    return true;
}

/* Parses a UTC offset "+HH[:MM[:SS]]" at s[*i]; *short_form is set when it
 * is only "+HH", which XSD (and so to_jsonb) spells "+HH:00". */
static bool offset_part(const char *s, size_t n, size_t *i, bool *short_form)
{
    if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
        return false;
    (*i)++;
    if (!digits(s, n, i, 2))
        return false;
    *short_form = true;
    for (int k = 0; k < 2 && *i < n && s[*i] == ':'; k++) {
        (*i)++;
        if (!digits(s, n, i, 2))
            return false;
        *short_form = false;
    }
    return true;
}

/* Writes the XSD form that to_jsonb gives for a timestamp[tz] (with_tz) or
 * a timetz (!with_date), from the ISO text form:
 *   "2024-01-31 12:34:56.5+00 BC" -> "2024-01-31T12:34:56.5+00:00 BC"
 * Both forms carry the same fields in the same order, so this is a rewrite
 * of two places, not a date computation. Text of another shape (infinity,
 * -infinity) is written unchanged, which is also what to_jsonb does. */
static void put_datetime(struct buf *out, const char *s, size_t n, bool with_date, bool with_tz)
{
    size_t i = 0, date_end = 0, tz_end = 0;
    bool short_form = false;

    if (with_date) {
        /* Years may have more than four digits (up to 294276). */
        if (!digits(s, n, &i, 1))
            goto as_is;
        while (i < n && is_digit(s[i]))
            i++;
        if (i >= n || s[i++] != '-' || !digits(s, n, &i, 2) || i >= n || s[i++] != '-' ||
            !digits(s, n, &i, 2))
            goto as_is;
        date_end = i;
        if (i >= n || s[i++] != ' ')
            goto as_is;
    }
    if (!time_part(s, n, &i))
        goto as_is;
    if (with_tz && !offset_part(s, n, &i, &short_form))
        goto as_is;
    tz_end = i;
    if (with_date && i < n && eq(s + i, n - i, " BC"))
        i = n;
    if (i != n)
        goto as_is;

    /* The shape is verified: all ASCII, nothing to escape. */
    buf_reserve(out, n + 5);
    buf_putc(out, '"');
    if (with_date) {
        buf_append(out, s, date_end);
        buf_putc(out, 'T');
        buf_append(out, s + date_end + 1, tz_end - date_end - 1);
    } else {
        buf_append(out, s, tz_end);
    }
    if (short_form)
        buf_append(out, ":00", 3);
    buf_append(out, s + tz_end, n - tz_end);
    buf_putc(out, '"');
    return;

as_is:
    jsonw_string(out, s, n);
}

/* ------------------------------------------------------------ arrays */

/* Writes the JSON for a non-NULL array element. Element kinds never nest:
 * an element is converted as a scalar, so this is the only recursion, and it
 * is one level deep. */
static void put_element(struct buf *out, enum rj_kind elem, const char *s, size_t n)
{
    rowjson_value(out, elem, RJ_STRING, s, n);
}

/* Skips the "[lo:hi][lo:hi]=" prefix array_out writes when a lower bound is
 * not 1. to_jsonb ignores bounds, so only their count is returned (in
 * *ndims) for checking against the nesting. */
static bool skip_bounds(const char *s, size_t n, size_t *i, int *ndims)
{
    *ndims = 0;
    while (*i < n && s[*i] == '[') {
        if (++*ndims > RJ_MAXDIM)
            return false;
        (*i)++;
        for (int side = 0; side < 2; side++) {
            if (*i < n && (s[*i] == '-' || s[*i] == '+'))
                (*i)++;
            if (!digits(s, n, i, 1))
                return false;
            while (*i < n && is_digit(s[*i]))
                (*i)++;
            if (*i >= n || s[(*i)++] != (side == 0 ? ':' : ']'))
                return false;
        }
    }
    if (*ndims > 0 && (*i >= n || s[(*i)++] != '='))
        return false;
    return true;
}

/* Converts an array literal as array_out writes it, appending to out.
 * Returns false, having possibly appended garbage, when the text is not
 * such a literal; the caller then rolls out back.
 *
 * One left-to-right pass, no recursion: nesting is a depth counter. The
 * structure is checked as strictly as array_in would (all scalars at the
 * same depth, every sub-array of a level the same length, no empty
 * sub-arrays), so what we accept is exactly what Postgres could have sent. */
static bool put_array(struct buf *out, enum rj_kind elem, const char *s, size_t n,
                      struct buf *scratch)
{
    size_t i = 0;
    int depth = 0, ndims = 0, leaf_depth = 0;
    size_t count[RJ_MAXDIM + 1];  /* items so far in the open sub-array at each depth */
    size_t length[RJ_MAXDIM + 1]; /* items of the first closed sub-array at each depth */
    bool any_length[RJ_MAXDIM + 1] = {false};

    if (!skip_bounds(s, n, &i, &ndims))
        return false;
    if (i >= n || s[i] != '{')
        return false;

    /* Each turn reads one item (a '{' opening a sub-array, or a scalar),
     * then the run of '}' and the ',' that follow it. */
    for (;;) {
        if (i < n && s[i] == '{') {
            if (++depth > RJ_MAXDIM || (leaf_depth && depth > leaf_depth))
                return false;
            count[depth] = 0;
            buf_putc(out, '[');
            i++;
            if (depth == 1 && i < n && s[i] == '}' && ndims == 0) {
                /* "{}": the empty array, only ever at top level. */
                buf_putc(out, ']');
                return i + 1 == n;
            }
            continue;
        }
        if (depth == 0)
            return false;
        if (leaf_depth == 0)
            leaf_depth = depth;
        else if (depth != leaf_depth)
            return false;

        if (i < n && s[i] == '"') {
            size_t start = ++i;
            bool escaped = false;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\') {
                    escaped = true;
                    if (++i >= n)
                        return false;
                }
                i++;
            }
            if (i >= n)
                return false;
            if (escaped) {
                /* array_out escapes only '"' and '\\' but array_in
                 * accepts a backslash before anything: drop each one and
                 * keep the byte after it. */
                buf_reset(scratch);
                buf_reserve(scratch, i - start);
                for (size_t k = start; k < i; k++) {
                    if (s[k] == '\\')
                        k++;
                    scratch->data[scratch->len++] = s[k];
                }
                scratch->data[scratch->len] = '\0';
                put_element(out, elem, scratch->data, scratch->len);
            } else {
                put_element(out, elem, s + start, i - start);
            }
            i++; /* the closing quote */
        } else {
            /* Unquoted: array_out quotes anything with a special byte, so
             * one here means the text is not an array literal. */
            size_t start = i;
            while (i < n && s[i] != ',' && s[i] != '}') {
                if (s[i] == '{' || s[i] == '"' || s[i] == '\\')
                    return false;
                i++;
            }
            if (i == start)
                return false;
            if (i - start == 4 && (s[start] | 0x20) == 'n' && (s[start + 1] | 0x20) == 'u' &&
                (s[start + 2] | 0x20) == 'l' && (s[start + 3] | 0x20) == 'l')
                buf_append(out, "null", 4);
            else
                put_element(out, elem, s + start, i - start);
        }
        count[depth]++;

        /* Close sub-arrays, checking each is as long as its siblings. */
        while (i < n && s[i] == '}') {
            if (any_length[depth] && length[depth] != count[depth])
                return false;
            any_length[depth] = true;
            length[depth] = count[depth];
            buf_putc(out, ']');
            i++;
            if (--depth == 0)
                return i == n && (ndims == 0 || ndims == leaf_depth);
            count[depth]++;
        }
        if (i >= n || s[i] != ',')
            return false;
        buf_putc(out, ',');
        i++;
    }
}

/* ------------------------------------------------------------ entry */

void rowjson_value(struct buf *out, enum rj_kind kind, enum rj_kind elem, const char *text,
                   size_t len)
{
    switch (kind) {
    case RJ_INTEGER:
    case RJ_NUMERIC:
    case RJ_FLOAT:
        /* "NaN", "Infinity" and "-Infinity" fail the number grammar and
         * become strings, as in to_jsonb. Exponents ("1e+30") are valid
         * JSON and equal by value to to_jsonb's expanded digits. */
        put_number(out, text, len);
        return;
    case RJ_BOOL:
        if (len == 1 && text[0] == 't')
            buf_append(out, "true", 4);
        else if (len == 1 && text[0] == 'f')
            buf_append(out, "false", 5);
        else
            jsonw_string(out, text, len);
        return;
    case RJ_JSON:
        buf_append(out, text, len);
        return;
    case RJ_TIMESTAMP:
        put_datetime(out, text, len, true, false);
        return;
    case RJ_TIMESTAMPTZ:
        put_datetime(out, text, len, true, true);
        return;
    case RJ_TIMETZ:
        put_datetime(out, text, len, false, true);
        return;
    case RJ_ARRAY: {
        size_t start = out->len;
        struct buf scratch = BUF_INIT;
        /* Arrays of arrays do not exist in Postgres (a 2-D array is one
         * array): an array element kind would only mean unbounded
         * recursion, so it is taken as a string. */
        if (elem == RJ_ARRAY)
            elem = RJ_STRING;
        if (!put_array(out, elem, text, len, &scratch)) {
            /* Roll back what was written; the buf was at least `start`
             * long, so data is not NULL if start > 0. */
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            jsonw_string(out, text, len);
        }
        buf_free(&scratch);
        return;
    }
    case RJ_STRING:
    default:
        jsonw_string(out, text, len);
        return;
    }
}
