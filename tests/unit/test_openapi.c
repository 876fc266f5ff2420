/* test_openapi: unit tests for openapi.c.
 *
 * Catalogs are built by hand (no database): a table with a composite key
 * and columns of every kind rowjson knows, nullable and not; tables whose
 * names need percent-encoding in a path and replacing in a component name,
 * two of which map to the same component name; a key column that is not a
 * plain word beside one really called key1; a key column named "select";
 * and the empty catalog. The document is parsed with cJSON and checked for
 * its paths, schemas and types, and for what makes it a valid OpenAPI
 * document whatever the names: unique operationIds, component names of
 * [A-Za-z0-9._-], every $ref resolving, every {parameter} declared.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "harness.h"
#include "openapi.h"

/* ------------------------------------------------------------ catalogs */

struct coldef {
    const char *name, *type;
    unsigned oid;
    int nullable, keypos;
};

static void make_table(struct cat_table *t, const char *schema, const char *table,
                       const struct coldef *defs, size_t n)
{
    memset(t, 0, sizeof *t);
    t->schema = strdup(schema);
    t->table = strdup(table);
    t->name = malloc(strlen(schema) + strlen(table) + 2);
    strcpy(t->name, schema);
    strcat(t->name, ".");
    strcat(t->name, table);
    t->ncols = n;
    t->cols = calloc(n, sizeof *t->cols);
    for (size_t i = 0; i < n; i++) {
        t->cols[i].name = strdup(defs[i].name);
        t->cols[i].type = strdup(defs[i].type);
        t->cols[i].basetype = strdup(defs[i].type);
        t->cols[i].oid = defs[i].oid;
        t->cols[i].nullable = defs[i].nullable;
        t->cols[i].keypos = defs[i].keypos;
        if (defs[i].keypos > 0) {
            t->keys[defs[i].keypos - 1].name = t->cols[i].name;
            if ((size_t)defs[i].keypos > t->nkeys)
                t->nkeys = (size_t)defs[i].keypos;
        }
    }
}

static void free_catalog(struct catalog *c)
{
    for (size_t i = 0; i < c->ntables; i++) {
        struct cat_table *t = &c->tables[i];
        for (size_t k = 0; k < t->ncols; k++) {
            free(t->cols[k].name);
            free(t->cols[k].type);
            free(t->cols[k].basetype);
        }
        free(t->cols);
        free(t->name);
        free(t->schema);
        free(t->table);
    }
    free(c->tables);
}

static const struct coldef sales[] = {
    {"store_id", "integer", 23, 0, 1},
    {"sale_date", "date", 1082, 0, 2},
    {"units", "bigint", 20, 1, 0},
    {"amount", "numeric(18,2)", 1700, 1, 0},
    {"ratio", "real", 700, 0, 0},
    {"score", "double precision", 701, 1, 0},
    {"active", "boolean", 16, 0, 0},
    {"payload", "jsonb", 3802, 1, 0},
    {"tags", "text[]", 1009, 1, 0},
    {"counts", "bigint[]", 1016, 0, 0},
    {"prices", "numeric[]", 1231, 1, 0},
    {"docs", "jsonb[]", 3807, 1, 0},
    {"seen", "timestamp with time zone", 1184, 1, 0},
    {"small", "smallint", 21, 0, 0},
    {"mood", "mood", 99999, 1, 0},
    {"raw", "bytea", 17, 1, 0},
};

/* "a b" is not a plain word: its parameter would be key1, which the
 * second key column really is called. */
static const struct coldef odd[] = {
    {"a b", "text", 25, 0, 1},
    {"key1", "integer", 23, 0, 2},
    {"v", "text", 25, 1, 0},
};

static const struct coldef one_text[] = {
    {"k", "text", 25, 0, 1},
    {"v", "integer", 23, 1, 0},
};

static const struct coldef select_key[] = {
    {"select", "text", 25, 0, 1},
    {"v", "integer", 23, 1, 0},
};

/* Sorted by name, as catalog_load leaves them. */
static void build(struct catalog *c)
{
    memset(c, 0, sizeof *c);
    c->refs = 1;
    c->ntables = 7;
    c->tables = calloc(c->ntables, sizeof *c->tables);
    make_table(&c->tables[0], "lf", "sales", sales, sizeof sales / sizeof sales[0]);
    make_table(&c->tables[1], "s", "select_key", select_key, 2);
    make_table(&c->tables[2], "we ird", "t{a}/b?c#d%e", odd, 3);
    make_table(&c->tables[3], "x", "a b", one_text, 2);
    make_table(&c->tables[4], "x", "a_b", one_text, 2);
    make_table(&c->tables[5], "x", "bad\xff", one_text, 2);
    make_table(&c->tables[6], "\xc3\xbc", "caf\xc3\xa9", one_text, 2);
}

/* ------------------------------------------------------------ JSON helpers */

static const cJSON *at(const cJSON *j, const char *key)
{
    return j ? cJSON_GetObjectItemCaseSensitive(j, key) : NULL;
}

static const char *str_at(const cJSON *j, const char *key)
{
    const cJSON *v = at(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The value at a JSON Pointer ("/components/schemas/x"), ~0 and ~1 unescaped. */
static const cJSON *pointer(const cJSON *root, const char *ptr)
{
    const cJSON *j = root;
    char tok[512];
    while (j != NULL && *ptr == '/') {
        size_t n = 0;
        for (ptr++; *ptr && *ptr != '/' && n + 1 < sizeof tok; ptr++) {
            if (ptr[0] == '~' && ptr[1] == '1')
                tok[n++] = '/', ptr++;
            else if (ptr[0] == '~' && ptr[1] == '0')
                tok[n++] = '~', ptr++;
            else
                tok[n++] = *ptr;
        }
        tok[n] = '\0';
        j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(tok)) : at(j, tok);
    }
    return j;
}

/* True when arr is an array of exactly these strings, in this order. */
static int strings_are(const cJSON *arr, const char *const *want, int n)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n)
        return 0;
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsString(v) || strcmp(v->valuestring, want[i]) != 0)
            return 0;
    }
    return 1;
}

/* type is "t" alone, or ["t", "null"] when nullable. */
static int type_is(const cJSON *schema, const char *t, int nullable)
{
    const cJSON *ty = at(schema, "type");
    if (!nullable)
        return cJSON_IsString(ty) && strcmp(ty->valuestring, t) == 0;
    const char *both[] = {t, "null"};
    return strings_are(ty, both, 2);
}

/* Every "$ref" in the document points at something in it. */
static int refs_resolve(const cJSON *root, const cJSON *j, int *count)
{
    int ok = 1;
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        for (const cJSON *e = j->child; e; e = e->next) {
            if (e->string && strcmp(e->string, "$ref") == 0) {
                (*count)++;
                if (!cJSON_IsString(e) || strncmp(e->valuestring, "#/", 2) != 0 ||
                    pointer(root, e->valuestring + 1) == NULL) {
                    printf("  unresolved $ref %s\n", cJSON_IsString(e) ? e->valuestring : "?");
                    ok = 0;
                }
            }
            ok &= refs_resolve(root, e, count);
        }
    }
    return ok;
}

static int component_name_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* True when the list of parameters declares name as a required path
 * parameter ($refs followed). */
static int lists_path_param(const cJSON *root, const cJSON *list, const char *name)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, list)
    {
        const char *ref = str_at(p, "$ref");
        const cJSON *param = ref ? pointer(root, ref + 1) : p;
        const char *n = str_at(param, "name"), *in = str_at(param, "in");
        if (n && in && strcmp(n, name) == 0 && strcmp(in, "path") == 0 &&
            cJSON_IsTrue(at(param, "required")))
            return 1;
    }
    return 0;
}

/* True when every operation of the path item has the path parameter
 * name, from the item's parameters or its own. */
static int declares_path_param(const cJSON *root, const cJSON *item, const char *name)
{
    if (lists_path_param(root, at(item, "parameters"), name))
        return 1;
    const cJSON *op;
    int nops = 0;
    cJSON_ArrayForEach(op, item)
    {
        if (strcmp(op->string, "parameters") == 0 || strcmp(op->string, "summary") == 0)
            continue;
        if (!lists_path_param(root, at(op, "parameters"), name))
            return 0;
        nops++;
    }
    return nops > 0;
}

static long long int_at(const cJSON *j, const char *key)
{
    const cJSON *v = at(j, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -999999;
}

static const char *item_str(const cJSON *arr, int i)
{
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int contains(const char *s, const char *part)
{
    return s != NULL && strstr(s, part) != NULL;
}

/* What the OpenAPI rules ask whatever the names: checked on every
 * document the tests render. */
static void check_document_rules(const cJSON *doc)
{
    int nrefs = 0;
    CHECK(refs_resolve(doc, doc, &nrefs));
    CHECK(nrefs > 0);

    const cJSON *kind;
    cJSON_ArrayForEach(kind, at(doc, "components"))
    {
        const cJSON *e;
        cJSON_ArrayForEach(e, kind)
        {
            if (!component_name_ok(e->string))
                printf("  bad component name %s/%s\n", kind->string, e->string);
            CHECK(component_name_ok(e->string));
        }
    }

    /* operationIds: present on every operation, unique. */
    const char **ids = NULL;
    int nids = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, at(doc, "paths"))
    {
        const char *path = item->string;
        CHECK(path[0] == '/');
        const cJSON *op;
        cJSON_ArrayForEach(op, item)
        {
            if (strcmp(op->string, "parameters") == 0 || strcmp(op->string, "summary") == 0)
                continue;
            CHECK(strcmp(op->string, "get") == 0 || strcmp(op->string, "head") == 0 ||
                  strcmp(op->string, "post") == 0);
            const char *id = str_at(op, "operationId");
            CHECK(id != NULL);
            CHECK(cJSON_IsArray(at(op, "tags")) && cJSON_GetArraySize(at(op, "tags")) > 0);
            CHECK(cJSON_IsObject(at(op, "responses")));
            if (id == NULL)
                continue;
            for (int i = 0; i < nids; i++)
                if (strcmp(ids[i], id) == 0) {
                    printf("  duplicate operationId %s\n", id);
                    CHECK(0);
                }
            ids = realloc(ids, (size_t)(nids + 1) * sizeof *ids);
            ids[nids++] = id;
        }
        /* Every {name} of the template is a required path parameter, and
         * no literal part holds a character that breaks a template. */
        for (const char *p = path; *p; p++) {
            CHECK(*p != '}' && *p != ' ' && *p != '?' && *p != '#');
            if (*p != '{')
                continue;
            const char *end = strchr(p, '}');
            CHECK(end != NULL);
            if (end == NULL)
                break;
            char name[128];
            size_t n = (size_t)(end - p - 1);
            CHECK(n > 0 && n < sizeof name);
            if (n == 0 || n >= sizeof name)
                break;
            memcpy(name, p + 1, n);
            name[n] = '\0';
            if (!declares_path_param(doc, item, name))
                printf("  %s: {%s} not declared\n", path, name);
            CHECK(declares_path_param(doc, item, name));
            p = end;
        }
    }
    CHECK(nids > 0);
    free(ids);
}

/* ------------------------------------------------------------ tests */

static void test_fixed_parts(const cJSON *doc, const struct catalog *c)
{
    CHECK_STR(str_at(doc, "openapi"), "3.1.0");
    CHECK_STR(str_at(at(doc, "info"), "title"), "lakefront");
    CHECK_STR(str_at(at(doc, "info"), "version"), LF_VERSION);
    CHECK(str_at(at(doc, "info"), "description") != NULL);
    CHECK(at(doc, "jsonSchemaDialect") == NULL);

    const cJSON *paths = at(doc, "paths");
    CHECK(at(paths, "/healthz") != NULL);
    CHECK(at(paths, "/readyz") != NULL);
    CHECK_STR(str_at(at(at(paths, "/api/v1/status"), "get"), "operationId"), "getStatus");
    CHECK(pointer(doc, "/components/schemas/ServiceStatus/properties/credential") != NULL);
    CHECK(at(at(paths, "/api/v1/tables"), "get") != NULL);
    CHECK(at(at(paths, "/api/v1/openapi.json"), "get") != NULL);
    CHECK_STR(str_at(at(at(paths, "/api/v1/tables"), "get"), "operationId"), "listTables");

    const cJSON *name = pointer(doc, "/paths/~1api~1v1~1tables~1{name}/get/parameters/0");
    CHECK_STR(str_at(name, "name"), "name");
    CHECK_STR(str_at(name, "in"), "path");
    const cJSON *names = at(at(name, "schema"), "enum");
    CHECK_INT(cJSON_GetArraySize(names), (long long)c->ntables);
    CHECK_STR(item_str(names, 0), "lf.sales");

    const cJSON *err = pointer(doc, "/components/schemas/Error");
    const char *req[] = {"error_code", "message", "technical_details", "request_id"};
    CHECK(strings_are(at(err, "required"), req, 4));
    CHECK(type_is(pointer(err, "/properties/retry_after"), "integer", 0));
    CHECK(type_is(pointer(err, "/properties/technical_details"), "object", 0));
    CHECK(pointer(doc, "/components/schemas/Table") != NULL);
    CHECK(pointer(doc, "/components/schemas/TableList") != NULL);
}

static void test_sales_schema(const cJSON *doc)
{
    const cJSON *s = pointer(doc, "/components/schemas/lf.sales");
    CHECK(s != NULL);
    CHECK_STR(str_at(s, "type"), "object");
    CHECK(cJSON_IsFalse(at(s, "additionalProperties")));

    /* properties and required: every column, in the table's order. */
    const char *cols[sizeof sales / sizeof sales[0]];
    int n = (int)(sizeof sales / sizeof sales[0]);
    for (int i = 0; i < n; i++)
        cols[i] = sales[i].name;
    CHECK(strings_are(at(s, "required"), cols, n));
    const cJSON *props = at(s, "properties");
    CHECK_INT(cJSON_GetArraySize(props), n);
    int i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        CHECK_STR(p->string, cols[i]);
        CHECK_STR(str_at(p, "x-postgres-type"), sales[i].type);
        i++;
    }

    const cJSON *v = at(props, "store_id");
    CHECK(type_is(v, "integer", 0));
    CHECK_STR(str_at(v, "format"), "int32");
    v = at(props, "sale_date");
    CHECK(type_is(v, "string", 0));
    CHECK(at(v, "format") == NULL); /* no format: infinity and BC dates would fail it */
    CHECK(contains(str_at(v, "description"), "infinity"));
    v = at(props, "units");
    CHECK(type_is(v, "integer", 1));
    CHECK_STR(str_at(v, "format"), "int64");

    v = at(at(props, "amount"), "anyOf");
    CHECK_INT(cJSON_GetArraySize(v), 3);
    CHECK(type_is(cJSON_GetArrayItem(v, 0), "number", 0));
    CHECK(at(cJSON_GetArrayItem(v, 0), "format") == NULL);
    const char *special[] = {"NaN", "Infinity", "-Infinity"};
    CHECK(type_is(cJSON_GetArrayItem(v, 1), "string", 0));
    CHECK(strings_are(at(cJSON_GetArrayItem(v, 1), "enum"), special, 3));
    CHECK(type_is(cJSON_GetArrayItem(v, 2), "null", 0));
    CHECK(at(at(props, "amount"), "type") == NULL);

    v = at(at(props, "ratio"), "anyOf");
    CHECK_INT(cJSON_GetArraySize(v), 2); /* not nullable: no null */
    CHECK_STR(str_at(cJSON_GetArrayItem(v, 0), "format"), "float");
    v = at(at(props, "score"), "anyOf");
    CHECK_INT(cJSON_GetArraySize(v), 3);
    CHECK_STR(str_at(cJSON_GetArrayItem(v, 0), "format"), "double");

    CHECK(type_is(at(props, "active"), "boolean", 0));
    v = at(props, "payload");
    CHECK(at(v, "type") == NULL && at(v, "anyOf") == NULL); /* any JSON value */
    CHECK(str_at(v, "description") != NULL);

    v = at(props, "tags");
    CHECK(type_is(v, "array", 1));
    const cJSON *any = pointer(v, "/items/anyOf");
    CHECK_INT(cJSON_GetArraySize(any), 3);
    CHECK(type_is(cJSON_GetArrayItem(any, 0), "string", 0));
    CHECK(type_is(cJSON_GetArrayItem(any, 1), "null", 0));
    CHECK(type_is(cJSON_GetArrayItem(any, 2), "array", 0));
    v = at(props, "counts");
    CHECK(type_is(v, "array", 0));
    CHECK_STR(str_at(pointer(v, "/items/anyOf/0"), "format"), "int64");
    v = at(props, "prices");
    CHECK_INT(cJSON_GetArraySize(pointer(v, "/items/anyOf/0/anyOf")), 2);
    v = at(props, "docs");
    CHECK(type_is(v, "array", 1));
    CHECK(cJSON_GetArraySize(at(v, "items")) == 0); /* elements: any JSON value */

    v = at(props, "seen");
    CHECK(type_is(v, "string", 1));
    CHECK(at(v, "format") == NULL);
    v = at(props, "small");
    CHECK(type_is(v, "integer", 0));
    CHECK_STR(str_at(v, "format"), "int32");
    CHECK_INT(int_at(v, "minimum"), -32768);
    CHECK_INT(int_at(v, "maximum"), 32767);
    CHECK(type_is(at(props, "mood"), "string", 1)); /* an enum: its text */
    CHECK(type_is(at(props, "raw"), "string", 1));
}

static void test_sales_paths(const cJSON *doc)
{
    const cJSON *paths = at(doc, "paths");
    const cJSON *item = at(paths, "/api/v1/tables/lf.sales/rows/{store_id}/{sale_date}");
    CHECK(item != NULL);
    CHECK_STR(str_at(at(item, "get"), "operationId"), "getRow_lf_sales");
    CHECK_STR(str_at(at(item, "head"), "operationId"), "headRow_lf_sales");
    const cJSON *params = at(item, "parameters");
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 0), "name"), "store_id");
    CHECK_STR(str_at(pointer(params, "/0/schema"), "type"), "integer");
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 1), "name"), "sale_date");
    CHECK_STR(str_at(pointer(params, "/1/schema"), "type"), "string");
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 2), "name"), "select");
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 2), "in"), "query");
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 3), "$ref"),
              "#/components/parameters/If-None-Match");
    const cJSON *ok = pointer(item, "/get/responses/200");
    CHECK_STR(str_at(pointer(ok, "/content/application~1json/schema"), "$ref"),
              "#/components/schemas/lf.sales");
    CHECK(at(at(ok, "headers"), "ETag") != NULL);
    CHECK(at(at(ok, "headers"), "X-Request-Id") != NULL);
    CHECK(at(at(ok, "headers"), "Cache-Control") != NULL);
    const char *codes[] = {"304", "400", "404", "503", "504"};
    for (int i = 0; i < 5; i++) {
        CHECK(at(pointer(item, "/get/responses"), codes[i]) != NULL);
        CHECK(at(pointer(item, "/head/responses"), codes[i]) != NULL);
    }
    CHECK_STR(str_at(pointer(item, "/get/responses/404"), "$ref"),
              "#/components/responses/NotFound");

    item = at(paths, "/api/v1/tables/lf.sales/rows");
    CHECK(item != NULL);
    CHECK_STR(str_at(at(item, "get"), "operationId"), "getRowByQuery_lf_sales");
    params = at(item, "parameters");
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 0), "in"), "query");
    CHECK(cJSON_IsTrue(at(cJSON_GetArrayItem(params, 0), "required")));
    CHECK_STR(str_at(cJSON_GetArrayItem(params, 1), "name"), "sale_date");
    CHECK(cJSON_IsTrue(at(cJSON_GetArrayItem(params, 1), "required")));
    CHECK(cJSON_IsFalse(at(cJSON_GetArrayItem(params, 2), "required")));

    item = at(at(paths, "/api/v1/tables/lf.sales/lookup"), "post");
    CHECK(item != NULL);
    CHECK_STR(str_at(item, "operationId"), "lookupRows_lf_sales");
    const cJSON *body = pointer(item, "/requestBody/content/application~1json/schema");
    CHECK(cJSON_IsFalse(at(body, "additionalProperties")));
    const char *keys[] = {"keys"};
    CHECK(strings_are(at(body, "required"), keys, 1));
    CHECK_INT(int_at(pointer(body, "/properties/keys"), "maxItems"), 1000);
    const cJSON *forms = pointer(body, "/properties/keys/items/oneOf");
    CHECK_INT(cJSON_GetArraySize(forms), 2); /* composite: no bare value */
    const char *kc[] = {"store_id", "sale_date"};
    CHECK(strings_are(pointer(forms, "/0/required"), kc, 2));
    CHECK(cJSON_IsFalse(pointer(forms, "/0/additionalProperties")));
    CHECK_INT(cJSON_GetArraySize(pointer(forms, "/1/prefixItems")), 2);
    CHECK_INT(int_at(pointer(forms, "/1"), "minItems"), 2);
    CHECK_INT(int_at(pointer(forms, "/1"), "maxItems"), 2);
    const cJSON *sel = pointer(body, "/properties/select");
    CHECK_INT(int_at(sel, "minItems"), 1);
    CHECK(cJSON_IsTrue(at(sel, "uniqueItems")));
    CHECK_INT(cJSON_GetArraySize(pointer(sel, "/items/enum")),
              (int)(sizeof sales / sizeof sales[0]));
    const char *resp[] = {"200", "400", "404", "413", "415", "503", "504"};
    for (int i = 0; i < 7; i++)
        CHECK(at(at(item, "responses"), resp[i]) != NULL);
    const cJSON *rows = pointer(
        item, "/responses/200/content/application~1json/schema/properties/rows/items/anyOf");
    CHECK_STR(str_at(cJSON_GetArrayItem(rows, 0), "$ref"), "#/components/schemas/lf.sales");
    CHECK(type_is(cJSON_GetArrayItem(rows, 1), "null", 0));
}

static void test_odd_names(const cJSON *doc)
{
    const cJSON *paths = at(doc, "paths");
    /* Name: encoded. "a b" is not a word: key1, but key1 is taken. */
    const char *odd_path = "/api/v1/tables/we%20ird.t%7Ba%7D%2Fb%3Fc%23d%25e/rows/{key1_}/{key1}";
    const cJSON *item = at(paths, odd_path);
    CHECK(item != NULL);
    CHECK_STR(str_at(pointer(item, "/parameters/0"), "name"), "key1_");
    CHECK_STR(str_at(pointer(item, "/parameters/1"), "name"), "key1");
    CHECK(at(paths, "/api/v1/tables/we%20ird.t%7Ba%7D%2Fb%3Fc%23d%25e/lookup") != NULL);
    item = at(paths, "/api/v1/tables/we%20ird.t%7Ba%7D%2Fb%3Fc%23d%25e/rows");
    CHECK_STR(str_at(pointer(item, "/parameters/0"), "name"), "a b"); /* query: real name */
    const cJSON *s = pointer(doc, "/components/schemas/we_ird.t_a__b_c_d_e");
    CHECK(s != NULL);
    CHECK_STR(str_at(s, "x-lakefront-table"), "we ird.t{a}/b?c#d%e");
    CHECK(at(at(s, "properties"), "a b") != NULL);
    CHECK_STR(str_at(at(item, "get"), "operationId"), "getRowByQuery_we_ird_t_a__b_c_d_e");

    /* x.a b and x.a_b: the same after replacing, told apart by a suffix. */
    CHECK_STR(str_at(pointer(doc, "/components/schemas/x.a_b"), "x-lakefront-table"), "x.a b");
    CHECK_STR(str_at(pointer(doc, "/components/schemas/x.a_b_2"), "x-lakefront-table"), "x.a_b");
    CHECK(at(paths, "/api/v1/tables/x.a%20b/rows/{k}") != NULL);
    CHECK_STR(str_at(pointer(at(paths, "/api/v1/tables/x.a%20b/rows/{k}"), "/get"), "operationId"),
              "getRow_x_a_b");
    CHECK_STR(str_at(pointer(at(paths, "/api/v1/tables/x.a_b/rows/{k}"), "/get"), "operationId"),
              "getRow_x_a_b_2");
    /* A one-column key also takes the bare value. */
    const cJSON *body = pointer(at(paths, "/api/v1/tables/x.a_b/lookup"),
                                "/post/requestBody/content/application~1json/schema");
    CHECK_INT(cJSON_GetArraySize(pointer(body, "/properties/keys/items/oneOf")), 3);

    /* Non-ASCII: percent-encoded UTF-8 in the path, one '_' per character
     * in the component name; a byte that is not UTF-8 is encoded too. */
    CHECK(at(paths, "/api/v1/tables/%C3%BC.caf%C3%A9/rows/{k}") != NULL);
    CHECK(pointer(doc, "/components/schemas/_.caf_") != NULL);
    CHECK(at(paths, "/api/v1/tables/x.bad%FF/rows/{k}") != NULL);
    CHECK(pointer(doc, "/components/schemas/x.bad_") != NULL);
}

static void test_select_key(const cJSON *doc)
{
    /* A key column named select: ?select= is that key, never a selection. */
    const cJSON *item = pointer(doc, "/paths/~1api~1v1~1tables~1s.select_key~1rows");
    const cJSON *params = at(item, "parameters");
    int selects = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, params)
    {
        if (str_at(p, "name") && strcmp(str_at(p, "name"), "select") == 0) {
            selects++;
            CHECK(cJSON_IsTrue(at(p, "required")));
            CHECK_STR(str_at(p, "in"), "query");
        }
    }
    CHECK_INT(selects, 1);
    item = pointer(doc, "/paths/~1api~1v1~1tables~1s.select_key~1rows~1{select}");
    CHECK(item != NULL);
    CHECK_INT(cJSON_GetArraySize(at(item, "parameters")), 2); /* the key, If-None-Match */
    item = pointer(doc, "/paths/~1api~1v1~1tables~1s.select_key~1lookup/post");
    CHECK(at(item, "parameters") == NULL);
    CHECK(pointer(item, "/requestBody/content/application~1json/schema/properties/select") != NULL);
}

static void test_full_catalog(void)
{
    struct catalog c;
    build(&c);
    size_t len = 0;
    char *text = openapi_render(&c, 1000, &len);
    CHECK(text != NULL);
    CHECK_INT(strlen(text), len);
    cJSON *doc = cJSON_ParseWithLength(text, len);
    CHECK(doc != NULL);
    if (doc != NULL) {
        test_fixed_parts(doc, &c);
        test_sales_schema(doc);
        test_sales_paths(doc);
        test_odd_names(doc);
        test_select_key(doc);
        check_document_rules(doc);
    }
    /* The same catalog gives the same bytes. */
    size_t len2;
    char *again = openapi_render(&c, 1000, &len2);
    CHECK(len2 == len && memcmp(again, text, len) == 0);
    free(again);
    cJSON_Delete(doc);
    free(text);
    free_catalog(&c);
}

static void test_empty_catalog(void)
{
    struct catalog c;
    memset(&c, 0, sizeof c);
    c.refs = 1;
    size_t len;
    char *text = openapi_render(&c, 1000, &len);
    cJSON *doc = cJSON_Parse(text);
    CHECK(doc != NULL);
    if (doc != NULL) {
        CHECK_INT(cJSON_GetArraySize(at(doc, "paths")), 6); /* the fixed paths */
        /* No enum of nothing: an empty enum matches no value. */
        const char *ptr = "/paths/~1api~1v1~1tables~1{name}/get/parameters/0/schema/enum";
        CHECK(pointer(doc, ptr) == NULL);
        check_document_rules(doc);
    }
    cJSON_Delete(doc);
    free(text);
}

/* Many tables whose names collapse to the same component name, and names
 * that look like the suffixes given to tell them apart: each table still
 * gets a name of its own (and the set that checks it stays fast). */
static void test_many_collisions(void)
{
    enum { N = 300 };
    struct catalog c;
    char table[32];
    memset(&c, 0, sizeof c);
    c.refs = 1;
    c.ntables = N;
    c.tables = calloc(N, sizeof *c.tables);
    for (int i = 0; i < N; i++) {
        /* s.t n, s.t_n, s.t_n_2: all three become s.t_n first. */
        if (i % 3 == 0)
            snprintf(table, sizeof table, "t %d", i / 3);
        else if (i % 3 == 1)
            snprintf(table, sizeof table, "t_%d", i / 3);
        else
            snprintf(table, sizeof table, "t_%d_2", i / 3);
        make_table(&c.tables[i], "s", table, one_text, 2);
    }
    size_t len;
    char *text = openapi_render(&c, 1000, &len);
    cJSON *doc = cJSON_Parse(text);
    CHECK(doc != NULL);
    CHECK_INT(cJSON_GetArraySize(pointer(doc, "/components/schemas")), N + 8); /* + the fixed */
    CHECK_STR(str_at(pointer(doc, "/components/schemas/s.t_7"), "x-lakefront-table"), "s.t 7");
    CHECK_STR(str_at(pointer(doc, "/components/schemas/s.t_7_2"), "x-lakefront-table"), "s.t_7");
    CHECK_STR(str_at(pointer(doc, "/components/schemas/s.t_7_2_2"), "x-lakefront-table"),
              "s.t_7_2");
    if (doc != NULL)
        check_document_rules(doc);
    cJSON_Delete(doc);
    free(text);
    free_catalog(&c);
}

int main(void)
{
    test_full_catalog();
    test_empty_catalog();
    test_many_collisions();
    return TEST_REPORT();
}
