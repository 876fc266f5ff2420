/* catalog: the tables lakefront serves, read from the Postgres catalog.
 *
 * A catalog is an immutable snapshot: the tables that have a primary key in
 * the configured schemas (narrowed by the allowlist), their columns and key
 * columns, the SQL of their lookup statement and the pre-rendered JSON that
 * /api/v1/tables answers with. Snapshots are reference-counted: the catalog
 * thread loads a new one and swaps it in (app.c); a request holds a
 * reference for as long as it uses table pointers from it.
 */
#ifndef LF_CATALOG_H
#define LF_CATALOG_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "keys.h"

struct cat_column {
    char *name;
    char *type;    /* format_type(): "bigint", "character varying(20)", "text[]" */
    char *basetype; /* the type of oid with no modifier at all: "character varying",
                       "bpchar" (not "character", which means char(1)); a domain's
                       base type, so that no cast applies its length */
    unsigned oid;  /* type OID; for a domain, its ultimate base type's (what Postgres
                      sends, and what a key is compared as) */
    int nullable;
    int keypos;    /* 1-based place in the primary key, 0 if not a key column */
};

struct cat_table {
    char *name;    /* "schema.table", the key clients use */
    char *schema;
    char *table;
    size_t ncols;
    struct cat_column *cols;
    size_t nkeys;
    struct key_col keys[KEYS_MAX]; /* in primary-key order; names borrowed from cols */
    char *sql;     /* SELECT * FROM "s"."t" WHERE "k1" = $1 AND ... */
    char stmt[24]; /* prepared statement name, derived from a hash of sql */
    const char **colnames; /* the columns' names, in order (borrowed from cols) */
    char *batch_sql;     /* the batch lookup: one text[] parameter per key column; its
                            first column says whether the key found a row */
    char batch_stmt[24]; /* its statement name */
    char *any_sql;       /* a single integer key only, else NULL: the rows whose key is in
                            one bigint[]/integer[]/smallint[] parameter ("= ANY"), only
                            those found, in no set order; cheaper for Postgres than
                            batch_sql, and an integer key can be matched by its value */
    char any_stmt[24];   /* its statement name */
    int any_keycol;      /* the key's column in any_sql's rows (an index into cols) */
    char *json;    /* this table's object for /api/v1/tables/{name} */
    size_t json_len;
};

struct catalog {
    int refs;                 /* atomic */
    size_t ntables;
    struct cat_table *tables; /* sorted by name */
    char *list_json;          /* the /api/v1/tables body */
    size_t list_json_len;
    char *openapi_json;       /* the /api/v1/openapi.json body (openapi.c) */
    size_t openapi_json_len;
};

/* Reads the catalog over conn (blocking: catalog thread only). Returns a
 * snapshot with one reference, or NULL with err filled (errlen bytes). */
struct catalog *catalog_load(PGconn *conn, const struct config *cfg, char *err, size_t errlen);

/* The SQL of t's single-row lookup (batch 0) or batch lookup (batch 1) that
 * returns only the columns idx[0..n) (indexes into t->cols), in that order,
 * into out (reset first), and its statement name into name. Column names
 * come from the catalog, never from the request. Any thread. */
void catalog_select_sql(const struct cat_table *t, const size_t *idx, size_t n, int batch,
                        struct buf *out, char name[24]);

/* The table called name ("schema.table"), or NULL. Any thread. */
const struct cat_table *catalog_find(const struct catalog *c, const char *name);

void catalog_ref(struct catalog *c);
/* NULL is fine. */
void catalog_unref(struct catalog *c);

/* True when both snapshots describe the same tables, columns and keys. */
int catalog_equal(const struct catalog *a, const struct catalog *b);

#endif
