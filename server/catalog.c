/* catalog: see catalog.h.
 *
 * One query reads every primary-key table visible to the service's role; the
 * schema and table filters are applied here, in C, so the query stays the
 * same whatever the settings. The lookup statement is "SELECT *": when a
 * synced table changes shape under a running server (a column added, the
 * table recreated), Postgres reports the prepared statement as stale ("cached
 * plan must not change result type") and the pool re-prepares it once; the
 * new column is served at once, and rows are encoded from the result's own
 * column types, never from this snapshot.
 */
#include "catalog.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "jsonw.h"
#include "openapi.h"
#include "xalloc.h"

/* Tables with a primary key, their columns in order, and each column's place
 * in the key (NULL when not a key column). Partitions are skipped: their
 * parent is the table clients know.
 *
 * A domain-typed column is described by its domain (format_type) but typed
 * by the domain's ultimate base type, which is what Postgres sends for it
 * and what a key is compared as: in "k = $1" the parameter gets the base
 * type with no modifier. The batch statement casts its text keys to that
 * same unconstrained base type; a cast to the domain would apply the
 * domain's length or precision and cut 'abcd' to 'abc' (a wrong row). */
static const char catalog_sql[] =
    "WITH RECURSIVE dom(oid, base) AS ("
    "    SELECT oid, typbasetype FROM pg_type WHERE typtype = 'd'"
    "  UNION ALL"
    "    SELECT dom.oid, t.typbasetype FROM dom JOIN pg_type t ON t.oid = dom.base"
    "     WHERE t.typtype = 'd'),"
    " base AS ("
    "    SELECT dom.oid, dom.base FROM dom JOIN pg_type t ON t.oid = dom.base"
    "     WHERE t.typtype <> 'd')"
    "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
    "       COALESCE(b.base, a.atttypid), NOT a.attnotnull,"
    "       (SELECT k.ord FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
    "         WHERE k.attnum = a.attnum),"
    "       format_type(COALESCE(b.base, a.atttypid), -1)"
    "  FROM pg_index i"
    "  JOIN pg_class c ON c.oid = i.indrelid"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    "  LEFT JOIN base b ON b.oid = a.atttypid"
    " WHERE i.indisprimary AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "   AND n.nspname NOT LIKE 'pg\\_%'"
    "   AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')"
    " ORDER BY n.nspname, c.relname, a.attnum";

static int in_list(char **list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

static void quote_ident(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

/* The select list: every column ("*"), or the columns idx[0..n) in that
 * order, each qualified with prefix ("" or "r."). */
static void select_list(struct buf *b, const struct cat_table *t, const size_t *idx, size_t n,
                        const char *prefix)
{
    if (idx == NULL) {
        buf_puts(b, prefix);
        buf_putc(b, '*');
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        buf_puts(b, prefix);
        quote_ident(b, t->cols[idx[i]].name);
    }
}

/* The column of key k. */
static const struct cat_column *key_column(const struct cat_table *t, size_t k)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].name == t->keys[k].name)
            return &t->cols[i];
    return NULL; /* not reached: catalog_load keeps only tables whose keys it found */
}

/* The single-row statement: the key columns compared with $1, $2, ... Each
 * parameter is typed as its column's base type with no modifier (see
 * catalog_sql), the type Postgres would infer for most keys anyway; for a
 * composite key it would infer "record", which takes no input. */
static void single_sql(struct buf *b, const struct cat_table *t, const size_t *idx, size_t n)
{
    buf_puts(b, "SELECT ");
    select_list(b, t, idx, n, "");
    buf_puts(b, " FROM ");
    quote_ident(b, t->schema);
    buf_putc(b, '.');
    quote_ident(b, t->table);
    for (size_t k = 0; k < t->nkeys; k++) {
        buf_puts(b, k == 0 ? " WHERE " : " AND ");
        quote_ident(b, t->keys[k].name);
        buf_printf(b, " = $%zu::%s", k + 1, key_column(t, k)->basetype);
    }
}

/* The batch statement: one array parameter per key column, unnested in
 * step (WITH ORDINALITY keeps the request's order, duplicates included) and
 * joined to the table by its key. A key with no row still yields a row, all
 * NULL, which the leading "found" column tells apart. Each value is cast to
 * its column's base type without the type modifier, as in single_sql: a cast
 * to varchar(20) or numeric(10,2) would truncate or round the client's value
 * and could match another row. */
static void batch_sql(struct buf *b, const struct cat_table *t, const size_t *idx, size_t n)
{
    /* "found": the join met a row. Not "key IS NOT NULL", which is false
     * for a composite key value with a NULL field. */
    buf_puts(b, "SELECT r.ctid IS NOT NULL, ");
    select_list(b, t, idx, n, "r.");
    buf_puts(b, " FROM unnest(");
    for (size_t k = 0; k < t->nkeys; k++)
        buf_printf(b, "%s$%zu::text[]", k ? ", " : "", k + 1);
    buf_puts(b, ") WITH ORDINALITY AS u(");
    for (size_t k = 0; k < t->nkeys; k++)
        buf_printf(b, "v%zu, ", k + 1);
    buf_puts(b, "ord) LEFT JOIN ");
    quote_ident(b, t->schema);
    buf_putc(b, '.');
    quote_ident(b, t->table);
    buf_puts(b, " AS r ON ");
    for (size_t k = 0; k < t->nkeys; k++) {
        buf_puts(b, k ? " AND r." : "r.");
        quote_ident(b, t->keys[k].name);
        buf_printf(b, " = u.v%zu::%s", k + 1, key_column(t, k)->basetype);
    }
    buf_puts(b, " ORDER BY u.ord");
}

/* The "= ANY" form of the batch statement, for a single-column integer key
 * (see any_sql in catalog.h). Postgres walks the index once per key either
 * way, but without the unnest, the join and its per-key rescan it spends
 * 10-19 % less CPU per key (tests/load/README.md, "= ANY"). The rows come
 * back without the keys that found nothing and without duplicates, so the
 * pool matches each lookup to its row by the key's value, which for an
 * integer is exact: keys.c lets only [+-]digits in range through. */
static bool any_form(const struct cat_table *t)
{
    if (t->nkeys != 1)
        return false;
    unsigned oid = key_column(t, 0)->oid;
    return oid == 20 || oid == 21 || oid == 23; /* int8, int2, int4 */
}

static void any_sql(struct buf *b, const struct cat_table *t)
{
    buf_puts(b, "SELECT ");
    select_list(b, t, NULL, 0, "");
    buf_puts(b, " FROM ");
    quote_ident(b, t->schema);
    buf_putc(b, '.');
    quote_ident(b, t->table);
    buf_puts(b, " WHERE ");
    quote_ident(b, t->keys[0].name);
    buf_printf(b, " = ANY($1::%s[])", key_column(t, 0)->basetype);
}

/* The statement's name follows its text: a changed statement gets a new
 * name, so a connection never runs an old statement under a new table
 * shape, and each selection of columns is a statement of its own. */
static void stmt_name_of(char out[24], const char *prefix, const char *sql)
{
    snprintf(out, 24, "%s_%016llx", prefix,
             (unsigned long long)hash_fnv1a(sql, strlen(sql)));
}

void catalog_select_sql(const struct cat_table *t, const size_t *idx, size_t n, int batch,
                        struct buf *out, char name[24])
{
    buf_reset(out);
    if (batch)
        batch_sql(out, t, idx, n);
    else
        single_sql(out, t, idx, n);
    stmt_name_of(name, batch ? "lbs" : "ls", out->data);
}

static void table_finish(struct cat_table *t)
{
    struct buf b = BUF_INIT;

    t->colnames = xmalloc((t->ncols ? t->ncols : 1) * sizeof *t->colnames);
    for (size_t i = 0; i < t->ncols; i++)
        t->colnames[i] = t->cols[i].name;
    single_sql(&b, t, NULL, 0);
    t->sql = buf_steal(&b, NULL);
    stmt_name_of(t->stmt, "lf", t->sql);
    batch_sql(&b, t, NULL, 0);
    t->batch_sql = buf_steal(&b, NULL);
    stmt_name_of(t->batch_stmt, "lb", t->batch_sql);
    t->any_keycol = -1;
    if (any_form(t)) {
        any_sql(&b, t);
        t->any_sql = buf_steal(&b, NULL);
        stmt_name_of(t->any_stmt, "la", t->any_sql);
        t->any_keycol = (int)(key_column(t, 0) - t->cols);
    }

    buf_puts(&b, "{\"name\":");
    jsonw_cstr(&b, t->name);
    buf_puts(&b, ",\"schema\":");
    jsonw_cstr(&b, t->schema);
    buf_puts(&b, ",\"table\":");
    jsonw_cstr(&b, t->table);
    buf_puts(&b, ",\"primary_key\":[");
    for (size_t k = 0; k < t->nkeys; k++) {
        if (k)
            buf_putc(&b, ',');
        jsonw_cstr(&b, t->keys[k].name);
    }
    buf_puts(&b, "],\"columns\":[");
    for (size_t i = 0; i < t->ncols; i++) {
        buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        jsonw_cstr(&b, t->cols[i].name);
        buf_puts(&b, ",\"type\":");
        jsonw_cstr(&b, t->cols[i].type);
        buf_puts(&b, t->cols[i].nullable ? ",\"nullable\":true}" : ",\"nullable\":false}");
    }
    buf_puts(&b, "]}");
    t->json = buf_steal(&b, &t->json_len);
}

static void table_free(struct cat_table *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        free(t->cols[i].name);
        free(t->cols[i].type);
        free(t->cols[i].basetype);
    }
    free(t->cols);
    free(t->name);
    free(t->schema);
    free(t->table);
    free(t->sql);
    free(t->batch_sql);
    free(t->any_sql);
    free(t->colnames);
    free(t->json);
}

static void catalog_free(struct catalog *c)
{
    for (size_t i = 0; i < c->ntables; i++)
        table_free(&c->tables[i]);
    free(c->tables);
    free(c->list_json);
    free(c->openapi_json);
    free(c);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct cat_table *)a)->name, ((const struct cat_table *)b)->name);
}

struct catalog *catalog_load(PGconn *conn, const struct config *cfg, char *err, size_t errlen)
{
    struct catalog *c = NULL;
    PGresult *res = PQexecParams(conn, catalog_sql, 0, NULL, NULL, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "catalog query failed: %s", PQresultErrorMessage(res));
        goto out;
    }
    c = xcalloc(1, sizeof *c);
    c->refs = 1;
    size_t cap = 0;
    struct cat_table *t = NULL;
    bool skipping = false;
    for (int r = 0, n = PQntuples(res); r < n; r++) {
        const char *schema = PQgetvalue(res, r, 0), *table = PQgetvalue(res, r, 1);
        bool same = (t != NULL || skipping) && r > 0 && !strcmp(PQgetvalue(res, r - 1, 0), schema) &&
                    !strcmp(PQgetvalue(res, r - 1, 1), table);
        if (!same) {
            struct buf name = BUF_INIT;
            buf_printf(&name, "%s.%s", schema, table);
            skipping = (cfg->schemas[0] != NULL && !in_list(cfg->schemas, schema)) ||
                       (cfg->tables[0] != NULL && !in_list(cfg->tables, name.data));
            if (skipping) {
                buf_free(&name);
                t = NULL;
                continue;
            }
            if (c->ntables == cap) {
                cap = cap ? cap * 2 : 16;
                c->tables = xrealloc(c->tables, cap * sizeof *c->tables);
            }
            t = &c->tables[c->ntables++];
            memset(t, 0, sizeof *t);
            t->name = buf_steal(&name, NULL);
            t->schema = xstrdup(schema);
            t->table = xstrdup(table);
        }
        if (skipping)
            continue;
        t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof *t->cols);
        struct cat_column *col = &t->cols[t->ncols++];
        col->name = xstrdup(PQgetvalue(res, r, 2));
        col->type = xstrdup(PQgetvalue(res, r, 3));
        col->oid = (unsigned)strtoul(PQgetvalue(res, r, 4), NULL, 10);
        col->nullable = PQgetvalue(res, r, 5)[0] == 't';
        col->keypos = PQgetisnull(res, r, 6) ? 0 : (int)strtol(PQgetvalue(res, r, 6), NULL, 10);
        col->basetype = xstrdup(PQgetvalue(res, r, 7));
    }

    /* Key names point into cols, which moved while they grew: fill the keys
     * once every table is complete. A key with a column we cannot see (an
     * expression index cannot be primary, so this is defensive) drops the
     * table rather than serving it with a wrong key. */
    size_t kept = 0;
    for (size_t i = 0; i < c->ntables; i++) {
        struct cat_table *tt = &c->tables[i];
        for (size_t k = 0; k < tt->ncols; k++) {
            int pos = tt->cols[k].keypos;
            if (pos >= 1 && pos <= KEYS_MAX) {
                tt->keys[pos - 1].name = tt->cols[k].name;
                tt->keys[pos - 1].type = keys_type_for_oid(tt->cols[k].oid);
                if ((size_t)pos > tt->nkeys)
                    tt->nkeys = (size_t)pos;
            }
        }
        bool complete = tt->nkeys > 0;
        for (size_t k = 0; k < tt->nkeys; k++)
            complete = complete && tt->keys[k].name != NULL;
        if (!complete) {
            table_free(tt);
            continue;
        }
        table_finish(tt);
        c->tables[kept++] = *tt;
    }
    c->ntables = kept;
    /* With no table, tables is NULL: qsort's pointer must not be (C11 7.22.5). */
    if (c->ntables > 1)
        qsort(c->tables, c->ntables, sizeof *c->tables, by_name);

    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"tables\":[");
    for (size_t i = 0; i < c->ntables; i++) {
        if (i)
            buf_putc(&b, ',');
        buf_append(&b, c->tables[i].json, c->tables[i].json_len);
    }
    buf_puts(&b, "]}");
    c->list_json = buf_steal(&b, &c->list_json_len);
    c->openapi_json = openapi_render(c, cfg->batch_max_keys, &c->openapi_json_len);

out:
    PQclear(res);
    return c;
}

const struct cat_table *catalog_find(const struct catalog *c, const char *name)
{
    size_t lo = 0, hi = c->ntables;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, c->tables[mid].name);
        if (cmp == 0)
            return &c->tables[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

void catalog_ref(struct catalog *c)
{
    __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void catalog_unref(struct catalog *c)
{
    if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
        catalog_free(c);
}

int catalog_equal(const struct catalog *a, const struct catalog *b)
{
    /* The list JSON holds every name, column, type, nullability and key:
     * equal text means equal catalogs. */
    return a->list_json_len == b->list_json_len && !memcmp(a->list_json, b->list_json, a->list_json_len);
}
