/* openapi: see openapi.h.
 *
 * The document is written front to back into one buf through a small
 * writer (struct jw) that places the commas, so that the many optional
 * members (a format here, a null there) cannot produce bad JSON. Reusable
 * pieces (the Error body, the headers, the error responses) live in
 * components and are referred to; what differs per table (its paths, its
 * row schema, its key parameters) is written inline.
 *
 * Names: OpenAPI wants component names of [A-Za-z0-9._-], unique
 * operationIds, path templates whose literal parts are URL text and whose
 * {parameters} are plain words. Table and column names can be anything
 * Postgres accepts, so each is mapped (replacing or percent-encoding) and
 * the mapped names are made unique again where the mapping could merge two.
 */
#include "openapi.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "catalog.h"
#include "jsonw.h"
#include "rowjson.h"
#include "xalloc.h"

/* ------------------------------------------------------------ writer */

/* Deep enough for the deepest schema written here (an array column's
 * element inside the lookup response is about 12 levels down). */
#define JW_DEPTH 32

struct jw {
    struct buf *b;
    int depth;
    bool more[JW_DEPTH]; /* the container open at this depth has a member */
    bool keyed;          /* a key was just written: its value takes no comma */
};

static void jw_sep(struct jw *w)
{
    if (w->keyed) {
        w->keyed = false;
        return;
    }
    if (w->depth > 0) {
        if (w->more[w->depth])
            buf_putc(w->b, ',');
        w->more[w->depth] = true;
    }
}

static void jw_open(struct jw *w, char c)
{
    jw_sep(w);
    buf_putc(w->b, c);
    if (++w->depth >= JW_DEPTH)
        abort(); /* a bug in this file: the structure is fixed */
    w->more[w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
    buf_putc(w->b, c);
    w->depth--;
}

static void jw_key(struct jw *w, const char *k)
{
    jw_sep(w);
    jsonw_cstr(w->b, k);
    buf_putc(w->b, ':');
    w->keyed = true;
}

static void jw_str(struct jw *w, const char *s)
{
    jw_sep(w);
    jsonw_cstr(w->b, s);
}

/* A literal JSON value (true, 1000, {"type":"null"}), written as is. */
static void jw_raw(struct jw *w, const char *json)
{
    jw_sep(w);
    buf_puts(w->b, json);
}

static void jw_obj(struct jw *w)
{
    jw_open(w, '{');
}

static void jw_end(struct jw *w)
{
    jw_close(w, '}');
}

static void jw_arr(struct jw *w)
{
    jw_open(w, '[');
}

static void jw_end_arr(struct jw *w)
{
    jw_close(w, ']');
}

static void jw_kobj(struct jw *w, const char *k)
{
    jw_key(w, k);
    jw_obj(w);
}

static void jw_karr(struct jw *w, const char *k)
{
    jw_key(w, k);
    jw_arr(w);
}

static void jw_kstr(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}

static void jw_kraw(struct jw *w, const char *k, const char *json)
{
    jw_key(w, k);
    jw_raw(w, json);
}

/* {"$ref": "#/components/<kind>/<name>"}; name is already a valid
 * component name, so it needs no JSON Pointer or URI escaping. */
static void jw_ref(struct jw *w, const char *kind, const char *name)
{
    jw_obj(w);
    jw_key(w, "$ref");
    jw_sep(w);
    buf_puts(w->b, "\"#/components/");
    buf_puts(w->b, kind);
    buf_putc(w->b, '/');
    buf_puts(w->b, name);
    buf_putc(w->b, '"');
    jw_end(w);
}

static void jw_kref(struct jw *w, const char *k, const char *kind, const char *name)
{
    jw_key(w, k);
    jw_ref(w, kind, name);
}

/* "type": "t", or "type": ["t", "null"] for a nullable column: the short
 * form of anyOf [schema, null] when the schema is a bare type. */
static void jw_type(struct jw *w, const char *type, bool nullable)
{
    jw_key(w, "type");
    if (!nullable) {
        jw_str(w, type);
        return;
    }
    jw_arr(w);
    jw_str(w, type);
    jw_str(w, "null");
    jw_end_arr(w);
}

/* ------------------------------------------------------------ names */


/* A set of strings (borrowed), open addressing, sized once for all of
 * them: a catalog may hold thousands of tables, so the uniqueness check
 * must not be quadratic. */
struct nameset {
    const char **slot;
    size_t mask;
};

static void nameset_init(struct nameset *s, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    s->slot = xcalloc(cap, sizeof *s->slot);
    s->mask = cap - 1;
}

static bool nameset_has(const struct nameset *s, const char *name)
{
    size_t mask = s->mask;
    for (size_t i = (size_t)hash_fnv1a(name, strlen(name)) & mask; s->slot[i] != NULL;
         i = (i + 1) & mask)
        if (strcmp(s->slot[i], name) == 0)
            return true;
    return false;
}

static void nameset_add(struct nameset *s, const char *name)
{
    size_t i = (size_t)hash_fnv1a(name, strlen(name)) & s->mask;
    while (s->slot[i] != NULL)
        i = (i + 1) & s->mask;
    s->slot[i] = name;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Component names: ^[a-zA-Z0-9._-]+$ (OpenAPI 3.1, 4.8.7.1). */
static bool component_char(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-';
}

/* operationIds: the characters of an identifier in most languages, so
 * that a generator can use them as method names as they are. */
static bool ident_char(unsigned char c)
{
    return is_alnum(c) || c == '_';
}

/* Gives each table a name of the characters keep() allows, every other
 * character (a whole UTF-8 sequence, not each of its bytes) replaced by
 * '_'; two tables that map to the same name (gold.a_b and "gold.a b") get
 * _2, _3, ... added in table order, which is name order, so a table keeps
 * its name from one catalog refresh to the next unless a new table sorts
 * before it and collides with it. Returns ntables strings (caller frees
 * each and the array). */
static char **unique_names(const struct catalog *c, bool (*keep)(unsigned char))
{
    char **out = xcalloc(c->ntables ? c->ntables : 1, sizeof *out);
    struct nameset set;
    struct buf b = BUF_INIT;

    nameset_init(&set, c->ntables);
    for (size_t i = 0; i < c->ntables; i++) {
        for (const unsigned char *p = (const unsigned char *)c->tables[i].name; *p; p++) {
            if (keep(*p))
                buf_putc(&b, (char)*p);
            else if ((*p & 0xc0) != 0x80) /* continuation bytes go with their lead */
                buf_putc(&b, '_');
        }
        if (b.len == 0)
            buf_putc(&b, '_'); /* nothing kept: still a name */
        size_t base = b.len;
        for (unsigned k = 2; nameset_has(&set, b.data); k++) {
            b.len = base;
            buf_printf(&b, "_%u", k);
        }
        out[i] = buf_steal(&b, NULL);
        nameset_add(&set, out[i]);
    }
    free(set.slot);
    buf_free(&b);
    return out;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Appends s as path text: each byte that is not a pchar of RFC 3986
 * (unreserved, sub-delims, ':' and '@') percent-encoded. That covers what
 * would break the template ('{', '}', '/', '?', '#', '%', space) and what
 * is not URL text at all (controls, '"', non-ASCII). The router decodes
 * the table segment once, so the encoded name reaches the same table. */
static void path_text(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_alnum(*p) || strchr("-._~!$&'()*+,;=:@", *p) != NULL) {
            buf_putc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 0xf]};
            buf_append(b, e, 3);
        }
    }
}

/* A plain word, usable as a {parameter} of a path template and as an
 * identifier by a client generator. */
static bool is_word(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!ident_char((unsigned char)*s))
            return false;
    return true;
}

/* ------------------------------------------------------------ per table */

/* What the writing of one table's paths needs, worked out once. */
struct tinfo {
    const struct cat_table *t;
    const char *comp; /* its row schema's component name */
    const char *slug; /* the table part of its operationIds */
    char *path;       /* "/api/v1/tables/<name, encoded>" */
    const struct cat_column *keycol[KEYS_MAX]; /* NULL if not found (defensive) */
    const char *param[KEYS_MAX];               /* path parameter names */
    char fallback[KEYS_MAX][48];               /* storage for keyN names */
    bool select_is_key; /* a key column is named "select": ?select= is that key */
    int max_keys;       /* LAKEFRONT_BATCH_MAX_KEYS, the lookup's maxItems */
};

static const struct cat_column *column_named(const struct cat_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].name == name || strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* Path parameter names: the key column's name when it is a plain word,
 * else key1, key2, ... by position. A keyN may collide with another key
 * column really called keyN: '_' is added until it does not. */
static void path_params(struct tinfo *ti)
{
    const struct cat_table *t = ti->t;
    for (size_t k = 0; k < t->nkeys; k++)
        ti->param[k] = is_word(t->keys[k].name) ? t->keys[k].name : NULL;
    for (size_t k = 0; k < t->nkeys; k++) {
        if (ti->param[k] != NULL)
            continue;
        char *f = ti->fallback[k];
        size_t n = (size_t)snprintf(f, sizeof ti->fallback[k], "key%zu", k + 1);
        for (;;) {
            /* Compared with the plain-word names and the fallbacks made so
             * far; a later fallback checks itself against this one. At most
             * 31 others: 31 underscores fit. */
            bool taken = false;
            for (size_t j = 0; j < t->nkeys && !taken; j++)
                taken = j != k && ti->param[j] != NULL && strcmp(ti->param[j], f) == 0;
            if (!taken || n + 2 > sizeof ti->fallback[k])
                break;
            f[n++] = '_';
            f[n] = '\0';
        }
        ti->param[k] = f;
    }
}

static void tinfo_init(struct tinfo *ti, const struct cat_table *t, const char *comp,
                       const char *slug)
{
    struct buf b = BUF_INIT;
    memset(ti, 0, sizeof *ti);
    ti->t = t;
    ti->comp = comp;
    ti->slug = slug;
    buf_puts(&b, "/api/v1/tables/");
    path_text(&b, t->name);
    ti->path = buf_steal(&b, NULL);
    for (size_t k = 0; k < t->nkeys; k++) {
        ti->keycol[k] = column_named(t, t->keys[k].name);
        if (strcmp(t->keys[k].name, "select") == 0)
            ti->select_is_key = true;
    }
    path_params(ti);
}

/* ------------------------------------------------------------ column schemas */

/* The shape of a string-valued type, for its description. NULL when a
 * string says it all (text, varchar). */
static const char *string_shape(unsigned oid)
{
    switch (oid) {
    case 25:   /* text */
    case 1043: /* varchar */
    case 1042: /* bpchar */
    case 19:   /* name */
    case 18:   /* char */
        return NULL;
    case 1114:
        return "Date and time without offset, ISO 8601 with a T (2024-01-31T12:00:00, "
               "fractional seconds when present), or infinity / -infinity; a year BC "
               "ends in \" BC\".";
    case 1184:
        return "Date and time with offset, ISO 8601 (2024-01-31T12:00:00+00:00, always in "
               "UTC), or infinity / -infinity; a year BC ends in \" BC\".";
    case 1082:
        return "Date as YYYY-MM-DD, or infinity / -infinity; a year BC ends in \" BC\".";
    case 1083:
        return "Time of day, HH:MM:SS with fractional seconds when present.";
    case 1266:
        return "Time of day with its offset, as Postgres writes it (12:00:00+02).";
    case 1186:
        return "Interval in Postgres' own style (1 year 2 mons 3 days 04:05:06.789).";
    case 17:
        return "Bytes, as \\x followed by two hex digits per byte.";
    case 2950:
        return "UUID, lower-case hex, 8-4-4-4-12.";
    case 26:
        return "An oid, as a string (as to_jsonb writes it).";
    default:
        return "The value's text form, as Postgres writes it (enums, network addresses, "
               "money, ranges, composite types, arrays of user types, ...).";
    }
}

/* The Postgres array types whose integers are int8 or whose floats are
 * float4, for the element's format. */
static const char *int_format(unsigned oid)
{
    return oid == 20 || oid == 1016 ? "int64" : "int32";
}

static bool is_int2(unsigned oid)
{
    return oid == 21 || oid == 1005;
}

static const char *float_format(unsigned oid)
{
    return oid == 700 || oid == 1021 ? "float" : "double";
}

/* The members of an integer schema after "type". int2 is int32 on the
 * wire, with its real range said. */
static void integer_members(struct jw *w, unsigned oid)
{
    jw_kstr(w, "format", int_format(oid));
    if (is_int2(oid)) {
        jw_kraw(w, "minimum", "-32768");
        jw_kraw(w, "maximum", "32767");
    }
}

/* "anyOf": a number (numeric, float4, float8) or one of the three special
 * values to_jsonb writes as strings, and null when nullable. */
static void number_anyof(struct jw *w, enum rj_kind kind, unsigned oid, bool nullable)
{
    jw_karr(w, "anyOf");
    jw_obj(w);
    jw_kstr(w, "type", "number");
    if (kind == RJ_FLOAT)
        jw_kstr(w, "format", float_format(oid));
    jw_end(w);
    jw_raw(w, "{\"type\":\"string\",\"enum\":[\"NaN\",\"Infinity\",\"-Infinity\"]}");
    if (nullable)
        jw_raw(w, "{\"type\":\"null\"}");
    jw_end_arr(w);
}

/* One element of an array column (not null: the caller adds null). */
static void element_schema(struct jw *w, unsigned array_oid, enum rj_kind elem)
{
    jw_obj(w);
    switch (elem) {
    case RJ_INTEGER:
        jw_kstr(w, "type", "integer");
        integer_members(w, array_oid);
        break;
    case RJ_NUMERIC:
    case RJ_FLOAT:
        number_anyof(w, elem, array_oid, false);
        break;
    case RJ_BOOL:
        jw_kstr(w, "type", "boolean");
        break;
    case RJ_JSON: /* any value; the caller writes {} instead */
        break;
    case RJ_TIMESTAMP:
        jw_kstr(w, "type", "string");
        jw_kstr(w, "description", string_shape(1114));
        break;
    case RJ_TIMESTAMPTZ:
        jw_kstr(w, "type", "string");
        jw_kstr(w, "description", string_shape(1184));
        break;
    case RJ_STRING:
    case RJ_TIMETZ:
    case RJ_ARRAY:
        jw_kstr(w, "type", "string");
        break;
    }
    jw_end(w);
}

/* The schema of a column's value, exactly as rowjson writes it for the
 * column's type OID (rowjson_kind_for_oid decides both). */
static void column_schema(struct jw *w, const struct cat_column *col)
{
    enum rj_kind elem;
    enum rj_kind kind = rowjson_kind_for_oid(col->oid, &elem);
    bool nullable = col->nullable != 0;

    jw_obj(w);
    switch (kind) {
    case RJ_INTEGER:
        jw_type(w, "integer", nullable);
        integer_members(w, col->oid);
        if (col->oid == 20)
            jw_kstr(w, "description",
                    "64-bit integer, written digit for digit: values past 2^53 need a JSON "
                    "parser that keeps big integers.");
        break;
    case RJ_NUMERIC:
        number_anyof(w, kind, col->oid, nullable);
        jw_kstr(w, "description",
                "Arbitrary-precision number, written digit for digit (it may hold more "
                "digits than a double); NaN, Infinity and -Infinity are strings.");
        break;
    case RJ_FLOAT:
        number_anyof(w, kind, col->oid, nullable);
        jw_kstr(w, "description",
                "Floating-point number; NaN, Infinity and -Infinity are strings.");
        break;
    case RJ_BOOL:
        jw_type(w, "boolean", nullable);
        break;
    case RJ_JSON:
        /* Any JSON value, null included whatever the column's nullability
         * ('null'::jsonb is a value): no type at all. */
        jw_kstr(w, "description",
                "Any JSON value: the column's json or jsonb as stored (Delta ARRAY, MAP "
                "and STRUCT columns arrive as jsonb).");
        break;
    case RJ_ARRAY:
        jw_type(w, "array", nullable);
        jw_kobj(w, "items");
        if (elem != RJ_JSON) {
            /* An element may be NULL, and in a multi-dimensional array an
             * item is itself an array. */
            jw_karr(w, "anyOf");
            element_schema(w, col->oid, elem);
            jw_raw(w, "{\"type\":\"null\"}");
            jw_raw(w, "{\"type\":\"array\"}");
            jw_end_arr(w);
        }
        jw_end(w);
        jw_kstr(w, "description",
                "A Postgres array as a JSON array: NULL elements are null, and a "
                "multi-dimensional array is arrays of arrays.");
        break;
    case RJ_STRING:
    case RJ_TIMESTAMP:
    case RJ_TIMESTAMPTZ:
    case RJ_TIMETZ: {
        /* No "format": date-time and friends would refuse infinity and BC
         * dates, which Postgres writes. The shape is in the description. */
        const char *shape = string_shape(col->oid);
        jw_type(w, "string", nullable);
        if (shape != NULL)
            jw_kstr(w, "description", shape);
        break;
    }
    }
    jw_kstr(w, "x-postgres-type", col->type);
    jw_end(w);
}

/* The schema of a key value in a URL (a path segment or a query value):
 * integers as integers (lakefront checks their syntax and range), anything
 * else as the text Postgres will parse. */
static void key_param_schema(struct jw *w, const struct cat_column *col)
{
    jw_obj(w);
    if (col != NULL && rowjson_kind_for_oid(col->oid, NULL) == RJ_INTEGER) {
        jw_kstr(w, "type", "integer");
        integer_members(w, col->oid);
    } else {
        jw_kstr(w, "type", "string");
    }
    if (col != NULL)
        jw_kstr(w, "x-postgres-type", col->type);
    jw_end(w);
}

/* The row object of table t. */
static void table_schema(struct jw *w, const struct cat_table *t)
{
    struct buf d = BUF_INIT;
    buf_printf(&d,
               "A row of %s: every column, in the table's order. With select, the row "
               "object holds only the columns named, in the order named: a subset of this "
               "object.",
               t->name);
    jw_obj(w);
    jw_kstr(w, "type", "object");
    jw_kstr(w, "title", t->name);
    jw_kstr(w, "description", d.data);
    jw_kraw(w, "additionalProperties", "false");
    jw_kobj(w, "properties");
    for (size_t i = 0; i < t->ncols; i++) {
        jw_key(w, t->cols[i].name);
        column_schema(w, &t->cols[i]);
    }
    jw_end(w);
    jw_karr(w, "required");
    for (size_t i = 0; i < t->ncols; i++)
        jw_str(w, t->cols[i].name);
    jw_end_arr(w);
    jw_kstr(w, "x-lakefront-table", t->name);
    jw_karr(w, "x-primary-key");
    for (size_t k = 0; k < t->nkeys; k++)
        jw_str(w, t->keys[k].name);
    jw_end_arr(w);
    jw_end(w);
    buf_free(&d);
}

/* ------------------------------------------------------------ per-table paths */

/* The enum of t's column names, as the items of a select list. */
static void select_schema(struct jw *w, const struct cat_table *t)
{
    jw_obj(w);
    jw_kstr(w, "type", "array");
    jw_kraw(w, "minItems", "1");
    jw_kraw(w, "uniqueItems", "true");
    jw_kobj(w, "items");
    jw_kstr(w, "type", "string");
    jw_karr(w, "enum");
    for (size_t i = 0; i < t->ncols; i++)
        jw_str(w, t->cols[i].name);
    jw_end_arr(w);
    jw_end(w);
    jw_end(w);
}

/* ?select=a,b: form style, not exploded, is exactly a comma list. */
static void select_param(struct jw *w, const struct tinfo *ti)
{
    jw_obj(w);
    jw_kstr(w, "name", "select");
    jw_kstr(w, "in", "query");
    jw_kraw(w, "required", "false");
    jw_kstr(w, "description",
            "Columns to return, as a comma list (a name holding a comma is sent as %2C): "
            "the row object then holds exactly these columns, in this order. Unknown, "
            "empty or repeated names are a 400 INVALID_SELECT.");
    jw_kstr(w, "style", "form");
    jw_kraw(w, "explode", "false");
    jw_key(w, "schema");
    select_schema(w, ti->t);
    jw_end(w);
}

static void op_id(struct jw *w, const char *prefix, const struct tinfo *ti)
{
    jw_key(w, "operationId");
    jw_sep(w);
    buf_putc(w->b, '"');
    buf_puts(w->b, prefix);
    buf_putc(w->b, '_');
    buf_puts(w->b, ti->slug); /* [A-Za-z0-9_]: nothing to escape */
    buf_putc(w->b, '"');
}

static void table_tags(struct jw *w, const struct tinfo *ti)
{
    jw_karr(w, "tags");
    jw_str(w, ti->t->name);
    jw_end_arr(w);
}

/* "NNN": {"$ref": "#/components/responses/..."} for each status of the
 * 0-terminated list, from the error responses in components. */
static void status_refs(struct jw *w, const int *codes)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {304, "NotModified"},     {400, "BadRequest"},
        {404, "NotFound"},        {413, "PayloadTooLarge"},
        {415, "UnsupportedMediaType"}, {502, "BadGateway"},
        {503, "Unavailable"},     {504, "Timeout"},
    };
    for (; *codes; codes++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (names[i].code != *codes)
                continue;
            char k[8];
            snprintf(k, sizeof k, "%d", *codes);
            jw_kref(w, k, "responses", names[i].name);
        }
    }
}

/* The responses of a GET of one row. */
static void row_get_responses(struct jw *w, const struct tinfo *ti)
{
    jw_kobj(w, "responses");
    jw_kobj(w, "200");
    jw_kstr(w, "description",
            "The row. With select, only the columns named, in that order (a subset of the "
            "row object).");
    jw_kobj(w, "headers");
    jw_kref(w, "ETag", "headers", "ETag");
    jw_kref(w, "X-Request-Id", "headers", "X-Request-Id");
    jw_kref(w, "Cache-Control", "headers", "Cache-Control");
    jw_end(w);
    jw_kobj(w, "content");
    jw_kobj(w, "application/json");
    jw_kref(w, "schema", "schemas", ti->comp);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    status_refs(w, (const int[]){304, 400, 404, 502, 503, 504, 0});
    jw_end(w);
}

static void row_head_responses(struct jw *w)
{
    jw_kobj(w, "responses");
    jw_kref(w, "200", "responses", "RowHead");
    jw_kref(w, "304", "responses", "NotModified");
    jw_kref(w, "400", "responses", "HeadError");
    jw_kref(w, "404", "responses", "HeadError");
    jw_kref(w, "502", "responses", "HeadError");
    jw_kref(w, "503", "responses", "HeadUnavailable");
    jw_kref(w, "504", "responses", "HeadError");
    jw_end(w);
}

/* The GET and HEAD operations of a row path; query says which form. */
static void row_operations(struct jw *w, const struct tinfo *ti, bool query)
{
    struct buf s = BUF_INIT;
    buf_printf(&s, "A row of %s by primary key (%s)", ti->t->name,
               query ? "key columns as query parameters" : "one path segment per key column");

    jw_kobj(w, "get");
    table_tags(w, ti);
    jw_kstr(w, "summary", s.data);
    jw_kstr(w, "description",
            query ? "Each key column is a query parameter, percent-encoded; in a query "
                    "string + is a space, so a plus is sent as %2B. The 200 carries a "
                    "strong ETag of its body; If-None-Match naming it gets a 304."
                  : "Each key value is one percent-encoded path segment (a / in a key is "
                    "%2F; + is a plus sign). The 200 carries a strong ETag of its body; "
                    "If-None-Match naming it gets a 304.");
    op_id(w, query ? "getRowByQuery" : "getRow", ti);
    row_get_responses(w, ti);
    jw_end(w);

    jw_kobj(w, "head");
    table_tags(w, ti);
    jw_kstr(w, "summary", "The same as GET, headers only");
    op_id(w, query ? "headRowByQuery" : "headRow", ti);
    row_head_responses(w);
    jw_end(w);
    buf_free(&s);
}

/* A row path: /api/v1/tables/<name>/rows/{k1}/{k2}... (the path form) or
 * /api/v1/tables/<name>/rows?k1=..&k2=.. (query, the query form). */
static void row_form(struct jw *w, const struct tinfo *ti, bool query)
{
    const struct cat_table *t = ti->t;
    struct buf p = BUF_INIT, d = BUF_INIT;

    buf_puts(&p, ti->path);
    buf_puts(&p, "/rows");
    for (size_t k = 0; !query && k < t->nkeys; k++)
        buf_printf(&p, "/{%s}", ti->param[k]);
    jw_kobj(w, p.data);
    jw_karr(w, "parameters");
    for (size_t k = 0; k < t->nkeys; k++) {
        buf_reset(&d);
        buf_printf(&d, "Key column %s (%s), position %zu of the primary key.",
                   t->keys[k].name, ti->keycol[k] ? ti->keycol[k]->type : "?", k + 1);
        jw_obj(w);
        /* A query parameter is the column's own name, whatever text it is;
         * a path parameter the word that stands for it in the template. */
        jw_kstr(w, "name", query ? t->keys[k].name : ti->param[k]);
        jw_kstr(w, "in", query ? "query" : "path");
        jw_kraw(w, "required", "true");
        jw_kstr(w, "description", d.data);
        jw_key(w, "schema");
        key_param_schema(w, ti->keycol[k]);
        jw_end(w);
    }
    /* On the path form too a key column named "select" turns ?select= off
     * (http.c select_is_a_key). */
    if (!ti->select_is_key)
        select_param(w, ti);
    jw_ref(w, "parameters", "If-None-Match");
    jw_end_arr(w);
    row_operations(w, ti, query);
    jw_end(w);
    buf_free(&p);
    buf_free(&d);
}

/* The value of one key column in a batch: a JSON string or number, taken
 * as its text (numbers digit for digit). */
static const char key_value_schema[] = "{\"type\":[\"string\",\"number\"]}";

/* One KEY of a batch: an object of exactly the key columns, an array of
 * nkeys values in key order, or (one-column keys) the bare value. The
 * forms differ in JSON type, so exactly one matches: oneOf. */
static void batch_key_schema(struct jw *w, const struct cat_table *t)
{
    char n[24];
    snprintf(n, sizeof n, "%zu", t->nkeys);

    jw_obj(w);
    jw_karr(w, "oneOf");

    jw_obj(w);
    jw_kstr(w, "type", "object");
    jw_kobj(w, "properties");
    for (size_t k = 0; k < t->nkeys; k++)
        jw_kraw(w, t->keys[k].name, key_value_schema);
    jw_end(w);
    jw_karr(w, "required");
    for (size_t k = 0; k < t->nkeys; k++)
        jw_str(w, t->keys[k].name);
    jw_end_arr(w);
    jw_kraw(w, "additionalProperties", "false");
    jw_end(w);

    jw_obj(w);
    jw_kstr(w, "type", "array");
    jw_karr(w, "prefixItems");
    for (size_t k = 0; k < t->nkeys; k++)
        jw_raw(w, key_value_schema);
    jw_end_arr(w);
    jw_kraw(w, "items", "false");
    jw_kraw(w, "minItems", n);
    jw_kraw(w, "maxItems", n);
    jw_end(w);

    if (t->nkeys == 1)
        jw_raw(w, key_value_schema);

    jw_end_arr(w);
    jw_end(w);
}

/* POST /api/v1/tables/<name>/lookup */
static void lookup_path(struct jw *w, const struct tinfo *ti)
{
    const struct cat_table *t = ti->t;
    struct buf p = BUF_INIT, s = BUF_INIT;
    char max[24];
    snprintf(max, sizeof max, "%d", ti->max_keys);

    buf_puts(&p, ti->path);
    buf_puts(&p, "/lookup");
    buf_printf(&s, "Rows of %s for a batch of primary keys", t->name);
    jw_kobj(w, p.data);
    jw_kobj(w, "post");
    table_tags(w, ti);
    jw_kstr(w, "summary", s.data);
    jw_kstr(w, "description",
            "One entry per key, in the order of the keys: the row, or null when no row has "
            "that key; a repeated key gets an entry each. A key is an object naming every "
            "key column, an array of the values in primary-key order, or, for a one-column "
            "key, the bare value; a value is a string or a number (numbers are taken exactly "
            "as written). select, in the body or the query but not both, picks the columns "
            "of every row.");
    op_id(w, "lookupRows", ti);
    if (!ti->select_is_key) {
        jw_karr(w, "parameters");
        select_param(w, ti);
        jw_end_arr(w);
    }

    jw_kobj(w, "requestBody");
    jw_kraw(w, "required", "true");
    jw_kobj(w, "content");
    jw_kobj(w, "application/json");
    jw_kobj(w, "schema");
    jw_kstr(w, "type", "object");
    jw_karr(w, "required");
    jw_str(w, "keys");
    jw_end_arr(w);
    jw_kraw(w, "additionalProperties", "false");
    jw_kobj(w, "properties");
    jw_kobj(w, "keys");
    jw_kstr(w, "type", "array");
    jw_kraw(w, "maxItems", max);
    jw_key(w, "items");
    batch_key_schema(w, t);
    jw_end(w);
    jw_key(w, "select");
    select_schema(w, t);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);

    jw_kobj(w, "responses");
    jw_kobj(w, "200");
    jw_kstr(w, "description",
            "One entry per key: the row (with select, a subset of the row object) or null.");
    jw_kobj(w, "headers");
    jw_kref(w, "X-Request-Id", "headers", "X-Request-Id");
    jw_end(w);
    jw_kobj(w, "content");
    jw_kobj(w, "application/json");
    jw_kobj(w, "schema");
    jw_kstr(w, "type", "object");
    jw_karr(w, "required");
    jw_str(w, "rows");
    jw_end_arr(w);
    jw_kraw(w, "additionalProperties", "false");
    jw_kobj(w, "properties");
    jw_kobj(w, "rows");
    jw_kstr(w, "type", "array");
    jw_kobj(w, "items");
    jw_karr(w, "anyOf");
    jw_ref(w, "schemas", ti->comp);
    jw_raw(w, "{\"type\":\"null\"}");
    jw_end_arr(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    jw_end(w);
    status_refs(w, (const int[]){400, 404, 413, 415, 502, 503, 504, 0});
    jw_end(w);

    jw_end(w);
    jw_end(w);
    buf_free(&p);
    buf_free(&s);
}

/* ------------------------------------------------------------ fixed parts */

static void info(struct jw *w)
{
    jw_kobj(w, "info");
    jw_kstr(w, "title", "lakefront");
    jw_kstr(w, "version", LF_VERSION);
    jw_kstr(w, "description",
            "Rows of Postgres tables (Databricks Lakebase synced tables) by primary key, as "
            "JSON: the JSON of a row equals Postgres' own to_jsonb(row). Generated from the "
            "live catalog: every served table has its own paths and its own row schema, and "
            "the document changes when the catalog does. Every response carries "
            "X-Request-Id; HEAD works wherever GET does.");
    jw_end(w);
}

static void tags(struct jw *w, const struct catalog *c)
{
    jw_karr(w, "tags");
    jw_raw(w, "{\"name\":\"health\",\"description\":\"Liveness and readiness.\"}");
    jw_raw(w, "{\"name\":\"catalog\",\"description\":\"The served tables and this "
              "document.\"}");
    for (size_t i = 0; i < c->ntables; i++) {
        struct buf d = BUF_INIT;
        buf_printf(&d, "Rows of %s by primary key.", c->tables[i].name);
        jw_obj(w);
        jw_kstr(w, "name", c->tables[i].name);
        jw_kstr(w, "description", d.data);
        jw_end(w);
        buf_free(&d);
    }
    jw_end_arr(w);
}

/* A 200 whose body is a schema in components. */
static void ok_response(struct jw *w, const char *description, const char *schema)
{
    jw_kobj(w, "200");
    jw_kstr(w, "description", description);
    jw_kobj(w, "headers");
    jw_kref(w, "X-Request-Id", "headers", "X-Request-Id");
    jw_end(w);
    jw_kobj(w, "content");
    jw_kobj(w, "application/json");
    jw_kref(w, "schema", "schemas", schema);
    jw_end(w);
    jw_end(w);
    jw_end(w);
}

/* Opens the GET operation of a fixed path, up to and including its
 * "responses" object; get_close closes all three. */
static void get_open(struct jw *w, const char *path, const char *tag, const char *summary,
                     const char *operation_id)
{
    char tags[64];
    snprintf(tags, sizeof tags, "\"tags\":[\"%s\"]", tag);
    jw_kobj(w, path);
    jw_kobj(w, "get");
    jw_raw(w, tags);
    jw_kstr(w, "summary", summary);
    jw_kstr(w, "operationId", operation_id);
}

static void get_close(struct jw *w)
{
    jw_end(w); /* responses */
    jw_end(w); /* get */
    jw_end(w); /* the path */
}

static void fixed_paths(struct jw *w, const struct catalog *c)
{
    get_open(w, "/healthz", "health", "Liveness: 200 while the process runs", "getHealthz");
    jw_kobj(w, "responses");
    ok_response(w, "Alive: {\"status\":\"ok\"}", "Status");
    get_close(w);

    get_open(w, "/readyz", "health",
             "Readiness: 200 once the catalog is loaded and a database connection works",
             "getReadyz");
    jw_kobj(w, "responses");
    ok_response(w, "Ready: {\"status\":\"ready\"}", "Status");
    jw_kref(w, "503", "responses", "Unavailable");
    get_close(w);

    get_open(w, "/api/v1/status", "health",
             "The service at a glance: version, uptime, pool, queue, credential (never the "
             "secret), catalog, and counts of requests, lookups and errors since start",
             "getStatus");
    jw_kobj(w, "responses");
    ok_response(w, "Always 200, also while Postgres is down or before the catalog is loaded: "
                   "the fields say so.",
                "ServiceStatus");
    get_close(w);

    get_open(w, "/api/v1/openapi.json", "catalog", "This document, for the catalog as it is now",
             "getOpenApiDocument");
    jw_kobj(w, "responses");
    jw_kobj(w, "200");
    jw_kstr(w, "description", "An OpenAPI 3.1 document.");
    jw_kobj(w, "headers");
    jw_kref(w, "X-Request-Id", "headers", "X-Request-Id");
    jw_end(w);
    jw_raw(w, "\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\"}}}");
    jw_end(w);
    jw_kref(w, "503", "responses", "Unavailable");
    get_close(w);

    get_open(w, "/api/v1/tables", "catalog", "The served tables, their columns and primary keys",
             "listTables");
    jw_kobj(w, "responses");
    ok_response(w, "Every served table, sorted by name.", "TableList");
    jw_kref(w, "503", "responses", "Unavailable");
    get_close(w);

    /* One templated path for the metadata: its answer has the same shape
     * for every table, and the enum tells a client the names. */
    get_open(w, "/api/v1/tables/{name}", "catalog", "One served table: its columns and primary key",
             "getTable");
    jw_karr(w, "parameters");
    jw_obj(w);
    jw_kstr(w, "name", "name");
    jw_kstr(w, "in", "path");
    jw_kraw(w, "required", "true");
    jw_kstr(w, "description", "The table's schema.table name (percent-encoded).");
    jw_kobj(w, "schema");
    jw_kstr(w, "type", "string");
    if (c->ntables > 0) {
        jw_karr(w, "enum");
        for (size_t i = 0; i < c->ntables; i++)
            jw_str(w, c->tables[i].name);
        jw_end_arr(w);
    }
    jw_end(w);
    jw_end(w);
    jw_end_arr(w);
    jw_kobj(w, "responses");
    ok_response(w, "The table.", "Table");
    jw_kref(w, "404", "responses", "NotFound");
    jw_kref(w, "503", "responses", "Unavailable");
    get_close(w);
}

/* An error response whose body is the Error schema. */
static void error_response(struct jw *w, const char *name, const char *description,
                           bool retry_after)
{
    jw_kobj(w, name);
    jw_kstr(w, "description", description);
    jw_kobj(w, "headers");
    jw_kref(w, "X-Request-Id", "headers", "X-Request-Id");
    if (retry_after)
        jw_kref(w, "Retry-After", "headers", "Retry-After");
    jw_end(w);
    jw_kobj(w, "content");
    jw_kobj(w, "application/json");
    jw_kref(w, "schema", "schemas", "Error");
    jw_end(w);
    jw_end(w);
    jw_end(w);
}

static void components_fixed(struct jw *w)
{
    jw_kobj(w, "headers");
    jw_raw(w, "\"X-Request-Id\":{\"description\":\"The client's own X-Request-Id when it "
              "sent a plain one, else a generated id; also in the access log and in error "
              "bodies.\",\"schema\":{\"type\":\"string\"}}");
    jw_raw(w, "\"ETag\":{\"description\":\"A strong tag of the body's bytes: it changes "
              "exactly when the returned JSON does.\",\"schema\":{\"type\":\"string\"}}");
    jw_raw(w, "\"Cache-Control\":{\"description\":\"LAKEFRONT_CACHE_CONTROL (default "
              "no-cache: revalidate with If-None-Match).\",\"schema\":{\"type\":\"string\"}}");
    jw_raw(w, "\"Retry-After\":{\"description\":\"Seconds to wait before retrying.\","
              "\"schema\":{\"type\":\"integer\",\"minimum\":1}}");
    jw_end(w);

    jw_kobj(w, "parameters");
    jw_raw(w, "\"If-None-Match\":{\"name\":\"If-None-Match\",\"in\":\"header\","
              "\"required\":false,\"description\":\"An ETag of this row (or a list, or *): "
              "304 without a body when it still matches.\",\"schema\":{\"type\":\"string\"}}");
    jw_end(w);

    jw_kobj(w, "responses");
    error_response(w, "BadRequest",
                   "INVALID_KEY (a key of the wrong shape, or a value its column's type "
                   "refuses), INVALID_SELECT, or INVALID_BODY (batch).",
                   false);
    error_response(w, "NotFound", "ROW_NOT_FOUND, TABLE_NOT_FOUND or NOT_FOUND.", false);
    error_response(w, "PayloadTooLarge",
                   "BATCH_TOO_LARGE (more keys than LAKEFRONT_BATCH_MAX_KEYS) or "
                   "BODY_TOO_LARGE (more bytes than LAKEFRONT_MAX_BODY_BYTES).",
                   false);
    error_response(w, "UnsupportedMediaType",
                   "UNSUPPORTED_MEDIA_TYPE: the body was not sent as application/json.", false);
    error_response(w, "BadGateway",
                   "DATABASE_ERROR: Postgres answered with an unexpected error (its "
                   "SQLSTATE is in technical_details).",
                   false);
    error_response(w, "Unavailable",
                   "DATABASE_UNAVAILABLE, OVERLOADED or NOT_READY; retry after Retry-After "
                   "seconds.",
                   true);
    error_response(w, "Timeout", "TIMEOUT: the lookup missed its deadline.", false);
    jw_raw(w, "\"NotModified\":{\"description\":\"The row still has the ETag named in "
              "If-None-Match; no body.\",\"headers\":{"
              "\"ETag\":{\"$ref\":\"#/components/headers/ETag\"},"
              "\"X-Request-Id\":{\"$ref\":\"#/components/headers/X-Request-Id\"},"
              "\"Cache-Control\":{\"$ref\":\"#/components/headers/Cache-Control\"}}}");
    jw_raw(w, "\"RowHead\":{\"description\":\"The row exists: the headers a GET would "
              "carry, no body.\",\"headers\":{"
              "\"ETag\":{\"$ref\":\"#/components/headers/ETag\"},"
              "\"X-Request-Id\":{\"$ref\":\"#/components/headers/X-Request-Id\"},"
              "\"Cache-Control\":{\"$ref\":\"#/components/headers/Cache-Control\"}}}");
    jw_raw(w, "\"HeadError\":{\"description\":\"The status a GET would have; no body (the "
              "same request as GET shows the Error).\",\"headers\":{"
              "\"X-Request-Id\":{\"$ref\":\"#/components/headers/X-Request-Id\"}}}");
    jw_raw(w, "\"HeadUnavailable\":{\"description\":\"Unavailable; no body.\",\"headers\":{"
              "\"X-Request-Id\":{\"$ref\":\"#/components/headers/X-Request-Id\"},"
              "\"Retry-After\":{\"$ref\":\"#/components/headers/Retry-After\"}}}");
    jw_end(w);
}

/* The schemas every document has. Their names hold no '.', and every
 * table's component name does (schema '.' table, '.' kept), so the two
 * kinds never collide. */
static void schemas_fixed(struct jw *w)
{
    jw_raw(w,
           "\"Error\":{\"type\":\"object\","
           "\"description\":\"The body of every error. error_code is one of INVALID_KEY, "
           "INVALID_BODY, INVALID_SELECT, ROW_NOT_FOUND, TABLE_NOT_FOUND, NOT_FOUND, "
           "METHOD_NOT_ALLOWED, BATCH_TOO_LARGE, BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, "
           "DATABASE_ERROR, DATABASE_UNAVAILABLE, OVERLOADED, NOT_READY, TIMEOUT (more may "
           "come).\","
           "\"required\":[\"error_code\",\"message\",\"technical_details\",\"request_id\"],"
           "\"properties\":{"
           "\"error_code\":{\"type\":\"string\"},"
           "\"message\":{\"type\":\"string\",\"description\":\"A sentence for a person.\"},"
           "\"technical_details\":{\"type\":\"object\",\"description\":\"What the error is "
           "about (table, key, column, index, sqlstate, ...); never SQL or a secret.\"},"
           "\"request_id\":{\"type\":\"string\",\"description\":\"The X-Request-Id of "
           "the response.\"},"
           "\"retry_after\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"On 503: "
           "seconds to wait, as in Retry-After.\"}}}");
    jw_raw(w, "\"Status\":{\"type\":\"object\",\"required\":[\"status\"],"
              "\"properties\":{\"status\":{\"type\":\"string\"}}}");
    /* The body of /api/v1/status (status.c writes it). Times are RFC 3339
     * UTC strings or null; every member is required so that a renamed one
     * fails validation. */
    jw_raw(w, "\"Time\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\","
              "\"description\":\"RFC 3339, UTC, with milliseconds; null when unknown or "
              "never.\"}");
    jw_raw(w, "\"Count\":{\"type\":\"integer\",\"minimum\":0}");
    jw_raw(w,
           "\"ServiceStatus\":{\"type\":\"object\","
           "\"required\":[\"version\",\"time\",\"started_at\",\"uptime_s\",\"workers\","
           "\"pool\",\"queue\",\"credential\",\"catalog\",\"requests\",\"lookups\"],"
           "\"properties\":{"
           "\"version\":{\"type\":\"string\"},"
           "\"time\":{\"$ref\":\"#/components/schemas/Time\"},"
           "\"started_at\":{\"$ref\":\"#/components/schemas/Time\"},"
           "\"uptime_s\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"workers\":{\"type\":\"integer\",\"minimum\":1},"
           "\"pool\":{\"type\":\"object\",\"description\":\"Database connections: "
           "size is LAKEFRONT_POOL_SIZE; idle, busy and connecting are now; reconnects since "
           "start.\",\"required\":[\"size\",\"idle\",\"busy\",\"connecting\",\"reconnects\"],"
           "\"properties\":{\"size\":{\"type\":\"integer\",\"minimum\":1},"
           "\"idle\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"busy\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"connecting\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"reconnects\":{\"$ref\":\"#/components/schemas/Count\"}}},"
           "\"queue\":{\"type\":\"object\",\"description\":\"Lookups waiting for a "
           "connection, and LAKEFRONT_QUEUE_LIMIT.\",\"required\":[\"depth\",\"limit\"],"
           "\"properties\":{\"depth\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"limit\":{\"type\":\"integer\",\"minimum\":1}}},"
           "\"credential\":{\"type\":\"object\",\"description\":\"Where the database "
           "login comes from; never the secret.\",\"required\":[\"source\",\"identity\","
           "\"target\",\"expires_at\",\"last_refresh\",\"refreshes\"],"
           "\"properties\":{\"source\":{\"type\":\"string\",\"enum\":[\"password\","
           "\"databricks\"]},"
           "\"identity\":{\"type\":[\"string\",\"null\"],\"description\":\"Which "
           "workspace identity (databricks).\"},"
           "\"target\":{\"type\":[\"string\",\"null\"],\"description\":\"endpoint ... "
           "or instance ... (databricks).\"},"
           "\"expires_at\":{\"$ref\":\"#/components/schemas/Time\"},"
           "\"last_refresh\":{\"type\":[\"object\",\"null\"],\"description\":\"null "
           "until a renewal has ended (always, for a password).\","
           "\"required\":[\"at\",\"result\",\"error\"],"
           "\"properties\":{\"at\":{\"$ref\":\"#/components/schemas/Time\"},"
           "\"result\":{\"type\":\"string\",\"enum\":[\"success\",\"failure\"]},"
           "\"error\":{\"type\":[\"string\",\"null\"]}}},"
           "\"refreshes\":{\"type\":\"object\",\"required\":[\"succeeded\",\"failed\"],"
           "\"properties\":{\"succeeded\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"failed\":{\"$ref\":\"#/components/schemas/Count\"}}}}},"
           "\"catalog\":{\"type\":\"object\",\"required\":[\"loaded\",\"tables\","
           "\"refreshed_at\",\"error\"],\"properties\":{\"loaded\":{\"type\":\"boolean\"},"
           "\"tables\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"refreshed_at\":{\"$ref\":\"#/components/schemas/Time\"},"
           "\"error\":{\"type\":[\"string\",\"null\"],\"description\":\"Why the last "
           "load failed.\"}}},"
           "\"requests\":{\"type\":\"object\",\"description\":\"Every request answered "
           "since start; client_errors: 4xx but 404; server_errors: 5xx but /readyz's 503.\","
           "\"required\":[\"total\",\"client_errors\",\"server_errors\"],"
           "\"properties\":{\"total\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"client_errors\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"server_errors\":{\"$ref\":\"#/components/schemas/Count\"}}},"
           "\"lookups\":{\"type\":\"object\",\"description\":\"GET/HEAD of a row and "
           "POST of a batch since start, by answer: found (200, 304), not_found (404), "
           "client_errors (other 4xx), server_errors (5xx).\","
           "\"required\":[\"total\",\"found\",\"not_found\",\"client_errors\","
           "\"server_errors\"],"
           "\"properties\":{\"total\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"found\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"not_found\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"client_errors\":{\"$ref\":\"#/components/schemas/Count\"},"
           "\"server_errors\":{\"$ref\":\"#/components/schemas/Count\"}}}}}");
    jw_raw(w, "\"Column\":{\"type\":\"object\",\"required\":[\"name\",\"type\",\"nullable\"],"
              "\"properties\":{\"name\":{\"type\":\"string\"},\"type\":{\"type\":\"string\","
              "\"description\":\"The Postgres type, as format_type writes it "
              "(character varying(20), text[]).\"},\"nullable\":{\"type\":\"boolean\"}}}");
    jw_raw(w, "\"Table\":{\"type\":\"object\","
              "\"required\":[\"name\",\"schema\",\"table\",\"primary_key\",\"columns\"],"
              "\"properties\":{\"name\":{\"type\":\"string\",\"description\":\"schema.table, "
              "the name used in paths.\"},\"schema\":{\"type\":\"string\"},"
              "\"table\":{\"type\":\"string\"},\"primary_key\":{\"type\":\"array\","
              "\"items\":{\"type\":\"string\"},\"minItems\":1,\"description\":\"The key "
              "columns, in primary-key order.\"},\"columns\":{\"type\":\"array\","
              "\"items\":{\"$ref\":\"#/components/schemas/Column\"}}}}");
    jw_raw(w, "\"TableList\":{\"type\":\"object\",\"required\":[\"tables\"],"
              "\"properties\":{\"tables\":{\"type\":\"array\","
              "\"items\":{\"$ref\":\"#/components/schemas/Table\"}}}}");
}

/* ------------------------------------------------------------ entry */

char *openapi_render(const struct catalog *c, int batch_max_keys, size_t *len)
{
    struct buf b = BUF_INIT;
    struct jw w = {.b = &b};
    char **comps = unique_names(c, component_char);
    char **slugs = unique_names(c, ident_char);

    /* About 4 KB per table plus 10 KB of fixed parts: one reservation
     * saves the doublings of a large catalog. */
    buf_reserve(&b, 10240 + c->ntables * 4096);
    jw_obj(&w);
    jw_kstr(&w, "openapi", "3.1.0");
    info(&w);
    tags(&w, c);

    jw_kobj(&w, "paths");
    fixed_paths(&w, c);
    for (size_t i = 0; i < c->ntables; i++) {
        struct tinfo ti;
        tinfo_init(&ti, &c->tables[i], comps[i], slugs[i]);
        ti.max_keys = batch_max_keys;
        row_form(&w, &ti, false);
        row_form(&w, &ti, true);
        lookup_path(&w, &ti);
        free(ti.path);
    }
    jw_end(&w);

    jw_kobj(&w, "components");
    jw_kobj(&w, "schemas");
    schemas_fixed(&w);
    for (size_t i = 0; i < c->ntables; i++) {
        jw_key(&w, comps[i]);
        table_schema(&w, &c->tables[i]);
    }
    jw_end(&w);
    components_fixed(&w);
    jw_end(&w);
    jw_end(&w);

    free_names(comps, c->ntables);
    free_names(slugs, c->ntables);
    return buf_steal(&b, len);
}
