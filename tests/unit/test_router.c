/* test_router: unit tests for router.c.
 *
 * Every route, the 404/405 split, trailing slashes, the decoding of keys and
 * query strings (what must reach Postgres byte for byte), malformed input,
 * and inputs that are not NUL-terminated or are very long.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "jsonw.h"
#include "router.h"

#define ROWS "/api/v1/tables/public.orders/rows"

static enum route_status parse(const char *method, const char *uri, struct route *r)
{
    return router_parse(method, uri, strlen(uri), r);
}

/* Parses uri from a heap copy of exactly its length, with no NUL after it,
 * so that AddressSanitizer catches any read past len. */
static enum route_status parse_exact(const char *method, const char *uri, size_t len,
                                     struct route *r)
{
    char *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, uri, len);
    enum route_status st = router_parse(method, copy, len, r);
    free(copy);
    return st;
}

/* A route is OK of the given kind, with no error left over. */
static int ok_kind(const char *method, const char *uri, enum route_kind kind)
{
    struct route r;
    enum route_status st = parse(method, uri, &r);
    int good = st == ROUTE_OK && r.kind == kind && r.allow != NULL;
    if (!good)
        printf("  (uri %s: status %d kind %d detail \"%s\")\n", uri, st, r.kind, r.detail);
    route_free(&r);
    return good;
}

static int not_found_len(const char *method, const char *uri, size_t len)
{
    struct route r;
    enum route_status st = parse_exact(method, uri, len, &r);
    int good = st == ROUTE_ERR_NOT_FOUND && r.kind == ROUTE_NOT_FOUND && r.detail[0] != '\0' &&
               r.allow == NULL && r.table == NULL && r.parts == NULL && r.params == NULL;
    if (!good)
        printf("  (uri %.*s: status %d kind %d)\n", (int)len, uri, st, r.kind);
    route_free(&r);
    return good;
}

static int not_found(const char *method, const char *uri)
{
    return not_found_len(method, uri, strlen(uri));
}

static int not_allowed_with(const char *method, const char *uri, const char *allow)
{
    struct route r;
    enum route_status st = parse(method, uri, &r);
    int good = st == ROUTE_ERR_METHOD && r.allow != NULL && strcmp(r.allow, allow) == 0 &&
               r.detail[0] != '\0' && r.table == NULL && r.nparts == 0;
    route_free(&r);
    return good;
}

static int method_not_allowed(const char *method, const char *uri)
{
    return not_allowed_with(method, uri, "GET, HEAD");
}

/* Parses a one-segment key and returns its decoded value (caller frees), or
 * NULL when the route is not a ROW with exactly one part. */
static char *one_key(const char *uri)
{
    struct route r;
    char *v = NULL;
    if (parse("GET", uri, &r) == ROUTE_OK && r.kind == ROUTE_ROW && r.nparts == 1)
        v = strdup(r.parts[0]);
    route_free(&r);
    return v;
}

/* Parses uri and checks that it fails with BAD_ENCODING and that the detail
 * contains want. */
static int bad_encoding(const char *uri, size_t len, const char *want)
{
    struct route r;
    enum route_status st = parse_exact("GET", uri, len, &r);
    int good = st == ROUTE_ERR_BAD_ENCODING && strstr(r.detail, want) != NULL && r.table == NULL &&
               r.parts == NULL && r.params == NULL && r.nparts == 0 && r.nparams == 0;
    if (!good)
        printf("  (uri %.*s: status %d detail \"%s\", want \"%s\")\n", (int)len, uri, st, r.detail,
               want);
    route_free(&r);
    return good;
}

static void test_routes(void)
{
    struct route r;

    CHECK(ok_kind("GET", "/healthz", ROUTE_HEALTHZ));
    CHECK(ok_kind("HEAD", "/healthz", ROUTE_HEALTHZ));
    CHECK(ok_kind("GET", "/readyz", ROUTE_READYZ));
    CHECK(ok_kind("HEAD", "/readyz", ROUTE_READYZ));
    CHECK(ok_kind("GET", "/api/v1/tables", ROUTE_TABLES));
    CHECK(ok_kind("HEAD", "/api/v1/tables", ROUTE_TABLES));
    CHECK(ok_kind("GET", "/api/v1/tables/", ROUTE_TABLES));
    CHECK(ok_kind("GET", "/api/v1/tables/public.orders", ROUTE_TABLE));
    CHECK(ok_kind("GET", "/api/v1/tables/public.orders/", ROUTE_TABLE));
    CHECK(ok_kind("HEAD", "/api/v1/tables/public.orders", ROUTE_TABLE));
    CHECK(ok_kind("GET", ROWS "/42", ROUTE_ROW));
    CHECK(ok_kind("HEAD", ROWS "/42", ROUTE_ROW));
    CHECK(ok_kind("GET", ROWS "?id=42", ROUTE_ROW));

    CHECK_INT(parse("GET", "/api/v1/tables", &r), ROUTE_OK);
    CHECK(r.table == NULL);
    CHECK_INT(r.nparts, 0);
    CHECK_INT(r.nparams, 0);
    CHECK(r.detail[0] == '\0');
    route_free(&r);

    CHECK_INT(parse("GET", "/api/v1/tables/public.orders", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_TABLE);
    CHECK_STR(r.table, "public.orders");
    CHECK_INT(r.nparts, 0);
    CHECK(r.parts == NULL);
    route_free(&r);

    CHECK_INT(parse("GET", "/api/v1/tables/public.orders/", &r), ROUTE_OK);
    CHECK_STR(r.table, "public.orders");
    route_free(&r);

    /* The router does not insist on a ".": the catalog decides what exists. */
    CHECK_INT(parse("GET", "/api/v1/tables/orders", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_TABLE);
    CHECK_STR(r.table, "orders");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "/42", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_ROW);
    CHECK_STR(r.table, "public.orders");
    CHECK_INT(r.nparts, 1);
    CHECK_STR(r.parts[0], "42");
    CHECK_INT(r.nparams, 0);
    CHECK(r.params == NULL);
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "/42/2024-01-31", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 2);
    CHECK_STR(r.parts[0], "42");
    CHECK_STR(r.parts[1], "2024-01-31");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?customer_id=42&day=2024-01-31", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_ROW);
    CHECK_INT(r.nparts, 0);
    CHECK(r.parts == NULL);
    CHECK_INT(r.nparams, 2);
    CHECK_STR(r.params[0].name, "customer_id");
    CHECK_STR(r.params[0].value, "42");
    CHECK_STR(r.params[1].name, "day");
    CHECK_STR(r.params[1].value, "2024-01-31");
    route_free(&r);

    /* "/rows" alone is the query form with no parameters. */
    CHECK_INT(parse("GET", ROWS, &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_ROW);
    CHECK_INT(r.nparts, 0);
    CHECK_INT(r.nparams, 0);
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 0);
    CHECK_INT(r.nparams, 0);
    route_free(&r);

    /* "/rows/" is one empty key; a trailing "/" after keys is one more. */
    CHECK_INT(parse("GET", ROWS "/", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 1);
    CHECK_STR(r.parts[0], "");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "/42/", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 2);
    CHECK_STR(r.parts[0], "42");
    CHECK_STR(r.parts[1], "");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "//", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 2);
    CHECK_STR(r.parts[0], "");
    CHECK_STR(r.parts[1], "");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "/a//b", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 3);
    CHECK_STR(r.parts[0], "a");
    CHECK_STR(r.parts[1], "");
    CHECK_STR(r.parts[2], "b");
    route_free(&r);

    /* Both forms at once parse; keys_bind is what refuses them. */
    CHECK_INT(parse("GET", ROWS "/42?id=42", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 1);
    CHECK_INT(r.nparams, 1);
    route_free(&r);

    /* A key segment may be named "rows" too. */
    CHECK_INT(parse("GET", "/api/v1/tables/rows/rows/rows", &r), ROUTE_OK);
    CHECK_STR(r.table, "rows");
    CHECK_INT(r.nparts, 1);
    CHECK_STR(r.parts[0], "rows");
    route_free(&r);
}

static void test_method(void)
{
    CHECK(method_not_allowed("POST", "/healthz"));
    CHECK(method_not_allowed("PUT", "/readyz"));
    CHECK(method_not_allowed("DELETE", "/api/v1/tables"));
    /* OPTIONS passes everywhere (CORS preflights; http.c decides). */
    CHECK(ok_kind("OPTIONS", "/api/v1/tables/", ROUTE_TABLES));
    CHECK(ok_kind("OPTIONS", ROWS "/42", ROUTE_ROW));
    CHECK(ok_kind("OPTIONS", "/api/v1/tables/public.orders/lookup", ROUTE_LOOKUP));
    /* The batch lookup is POST only. */
    CHECK(ok_kind("POST", "/api/v1/tables/public.orders/lookup", ROUTE_LOOKUP));
    CHECK(ok_kind("GET", "/api/v1/openapi.json", ROUTE_OPENAPI));
    CHECK(ok_kind("GET", "/metrics", ROUTE_METRICS));
    CHECK(ok_kind("GET", "/api/v1/metrics", ROUTE_METRICS));
    CHECK(ok_kind("GET", "/api/v1/status", ROUTE_STATUS));
    CHECK(ok_kind("HEAD", "/api/v1/status", ROUTE_STATUS));
    CHECK(ok_kind("OPTIONS", "/api/v1/status", ROUTE_STATUS));
    CHECK(ok_kind("GET", "/api/v1/status?pretty=1&%zz", ROUTE_STATUS)); /* query ignored */
    CHECK(method_not_allowed("POST", "/api/v1/status"));
    CHECK(method_not_allowed("DELETE", "/api/v1/status"));
    CHECK(not_found("GET", "/api/v1/status/"));
    CHECK(not_found("GET", "/api/v1/statusx"));
    CHECK(not_found("GET", "/status"));
    CHECK(not_found("GET", "/metricsx"));
    CHECK(not_found("GET", "/api/v1/openapi.jsonx"));
    CHECK(method_not_allowed("POST", "/api/v1/openapi.json"));
    CHECK(ok_kind("POST", "/api/v1/tables/public.orders/lookup?select=a", ROUTE_LOOKUP));
    CHECK(not_allowed_with("GET", "/api/v1/tables/public.orders/lookup", "POST"));
    CHECK(not_allowed_with("HEAD", "/api/v1/tables/public.orders/lookup", "POST"));
    CHECK(not_found("POST", "/api/v1/tables/public.orders/lookup/1"));
    CHECK(not_found("POST", "/api/v1/tables/public.orders/lookups"));
    CHECK(method_not_allowed("PATCH", "/api/v1/tables/public.orders"));
    CHECK(method_not_allowed("POST", ROWS "/42"));
    CHECK(method_not_allowed("POST", ROWS "?id=1"));
    CHECK(method_not_allowed("POST", ROWS));
    /* Method names are case-sensitive (RFC 9110 9.1). */
    CHECK(method_not_allowed("get", "/healthz"));
    CHECK(method_not_allowed("Head", "/healthz"));
    CHECK(method_not_allowed("GETX", "/healthz"));
    CHECK(method_not_allowed("GET ", "/healthz"));
    CHECK(method_not_allowed("", "/healthz"));
    CHECK(method_not_allowed(NULL, "/healthz"));
    /* 405 is decided on the shape of the path, before any key is decoded. */
    CHECK(method_not_allowed("POST", ROWS "/%zz"));
    CHECK(method_not_allowed("POST", "/api/v1/tables/%FF"));

    struct route r;
    CHECK_INT(parse("POST", ROWS "/1", &r), ROUTE_ERR_METHOD);
    CHECK_INT(r.kind, ROUTE_ROW); /* kept, for logs and metrics */
    route_free(&r);

    /* An unknown path is 404 whatever the method. */
    CHECK(not_found("POST", "/nope"));
    CHECK(not_found("DELETE", "/api/v1/tables/x/rowz"));
}

static void test_not_found(void)
{
    CHECK(not_found("GET", ""));
    CHECK(not_found("GET", "/"));
    CHECK(not_found("GET", "*"));
    CHECK(not_found("GET", "healthz"));
    /* The absolute form is accepted (RFC 9112 3.2.2); without a path after
     * the authority it is not ours. */
    CHECK(ok_kind("GET", "http://example.com/healthz", ROUTE_HEALTHZ));
    CHECK(ok_kind("GET", "HTTPS://example.com:8443/api/v1/tables", ROUTE_TABLES));
    CHECK(not_found("GET", "http://example.com"));
    CHECK(not_found("GET", "http://example.com?x=/healthz"));
    CHECK(not_found("GET", "ftp://example.com/healthz"));
    CHECK(not_found("GET", "?x=1"));
    CHECK(not_found("GET", "/healthz/"));
    CHECK(not_found("GET", "/healthzz"));
    CHECK(not_found("GET", "/health"));
    CHECK(not_found("GET", "/HEALTHZ"));
    CHECK(not_found("GET", "/readyz/x"));
    CHECK(not_found("GET", "//healthz"));
    CHECK(not_found("GET", "/api"));
    CHECK(not_found("GET", "/api/"));
    CHECK(not_found("GET", "/api/v1"));
    CHECK(not_found("GET", "/api/v1/"));
    CHECK(not_found("GET", "/api/v2/tables"));
    CHECK(not_found("GET", "/API/v1/tables"));
    CHECK(not_found("GET", "/api/v1/Tables"));
    CHECK(not_found("GET", "/api/v1/tablesx"));
    CHECK(not_found("GET", "/api/v1/table"));
    CHECK(not_found("GET", "//api/v1/tables"));
    CHECK(not_found("GET", "/api//v1/tables"));
    CHECK(not_found("GET", "/api/v1//tables"));
    CHECK(not_found("GET", "/api/v1/tables//"));
    CHECK(not_found("GET", "/api/v1/tables//rows/1"));
    CHECK(not_found("GET", "/api/v1/tables/t//"));
    CHECK(not_found("GET", "/api/v1/tables/t//rows/1"));
    CHECK(not_found("GET", "/api/v1/tables/t/row"));
    CHECK(not_found("GET", "/api/v1/tables/t/Rows/1"));
    CHECK(not_found("GET", "/api/v1/tables/t/rowsx"));
    CHECK(not_found("GET", "/api/v1/tables/t/rowsx/1"));
    CHECK(not_found("GET", "/api/v1/tables/t/columns"));
    CHECK(not_found("GET", "/api/v1/tables/t/x/rows/1"));
    /* Literal segments are matched as received, not decoded. */
    CHECK(not_found("GET", "/api/v1/%74ables"));
    CHECK(not_found("GET", "/api/v1/tables/t/%72ows/1"));
    CHECK(not_found("GET", "/api%2Fv1%2Ftables"));
    /* A raw NUL inside the target ends nothing: it is just not a match. */
    CHECK(not_found_len("GET", "/healthz\0", 9));
    CHECK(not_found_len("GET", "/api/v1/tables\0/t", 17));
    /* The path is what comes before the first "?", even a bare one. */
    CHECK(not_found("GET", "/healthz/?"));
    CHECK(not_found("GET", "/api/v1/tables/t/rowz?id=1"));

    struct route r;
    CHECK_INT(parse("GET", "/nope", &r), ROUTE_ERR_NOT_FOUND);
    CHECK(strlen(r.detail) > 10);
    route_free(&r);

    /* uri NULL (with or without a length) is the empty target. */
    CHECK_INT(router_parse("GET", NULL, 0, &r), ROUTE_ERR_NOT_FOUND);
    route_free(&r);
    CHECK_INT(router_parse("GET", NULL, 5, &r), ROUTE_ERR_NOT_FOUND);
    route_free(&r);
}

static void test_query_ignored_elsewhere(void)
{
    struct route r;

    CHECK(ok_kind("GET", "/healthz?x=1", ROUTE_HEALTHZ));
    CHECK(ok_kind("GET", "/healthz?%zz", ROUTE_HEALTHZ));
    CHECK(ok_kind("GET", "/readyz?", ROUTE_READYZ));
    CHECK(ok_kind("GET", "/api/v1/tables?limit=%FF", ROUTE_TABLES));
    CHECK(ok_kind("GET", "/api/v1/tables/?x", ROUTE_TABLES));

    CHECK_INT(parse("GET", "/api/v1/tables/public.orders?x=1&y=%00", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_TABLE);
    CHECK_STR(r.table, "public.orders");
    CHECK_INT(r.nparams, 0);
    CHECK(r.params == NULL);
    route_free(&r);

    CHECK_INT(parse("GET", "/api/v1/tables/public.orders/?x=1", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_TABLE);
    CHECK_INT(r.nparams, 0);
    route_free(&r);
}

static void test_key_decoding(void)
{
    char *v;

#define KEY_IS(uri, want)                                                                          \
    do {                                                                                           \
        v = one_key(uri);                                                                          \
        CHECK_STR(v, want);                                                                        \
        free(v);                                                                                   \
    } while (0)

    KEY_IS(ROWS "/42", "42");
    KEY_IS(ROWS "/a%2Fb", "a/b");
    KEY_IS(ROWS "/a%2fb", "a/b");
    KEY_IS(ROWS "/%2F", "/");
    KEY_IS(ROWS "/100%25", "100%");
    KEY_IS(ROWS "/%252F", "%2F"); /* decoded once, not twice */
    KEY_IS(ROWS "/what%3F", "what?");
    KEY_IS(ROWS "/a%3Fb%3Dc%26d", "a?b=c&d");
    KEY_IS(ROWS "/a.b", "a.b");
    KEY_IS(ROWS "/..", "..");
    KEY_IS(ROWS "/.", ".");
    KEY_IS(ROWS "/%2E%2E", "..");
    KEY_IS(ROWS "/hello%20world", "hello world");
    KEY_IS(ROWS "/a+b", "a+b"); /* "+" is literal in the path */
    KEY_IS(ROWS "/a%2Bb", "a+b");
    KEY_IS(ROWS "/caf%C3%A9", "caf\xC3\xA9");
    KEY_IS(ROWS "/caf%c3%a9", "caf\xC3\xA9");
    KEY_IS(ROWS "/caf\xC3\xA9", "caf\xC3\xA9"); /* raw UTF-8 is taken as is */
    KEY_IS(ROWS "/%F0%9F%98%80", "\xF0\x9F\x98\x80");
    KEY_IS(ROWS "/%E2%82%AC", "\xE2\x82\xAC");
    KEY_IS(ROWS "/%F4%8F%BF%BF", "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
    KEY_IS(ROWS "/a#b", "a#b");
    KEY_IS(ROWS "/%0A%09", "\n\t"); /* control characters are legal text */
    KEY_IS(ROWS "/%7F", "\x7F");
    KEY_IS(ROWS "/a;b,c", "a;b,c");
    KEY_IS(ROWS "/%41%42%43", "ABC");
    KEY_IS(ROWS "/", "");
#undef KEY_IS

    struct route r;
    CHECK_INT(parse("GET", "/api/v1/tables/my%20schema.t%2Fx/rows/1", &r), ROUTE_OK);
    CHECK_STR(r.table, "my schema.t/x");
    route_free(&r);

    CHECK_INT(parse("GET", "/api/v1/tables/s.caf%C3%A9", &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_TABLE);
    CHECK_STR(r.table, "s.caf\xC3\xA9");
    route_free(&r);

    CHECK_INT(parse("GET", "/api/v1/tables/a+b", &r), ROUTE_OK);
    CHECK_STR(r.table, "a+b");
    route_free(&r);

    /* A composite key with encoded separators in both parts. */
    CHECK_INT(parse("GET", ROWS "/a%2Fb/c%3Fd%25", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 2);
    CHECK_STR(r.parts[0], "a/b");
    CHECK_STR(r.parts[1], "c?d%");
    route_free(&r);

    /* Everything after "?" is query, even "/" and more "?". */
    CHECK_INT(parse("GET", ROWS "/1?x=/2?y", &r), ROUTE_OK);
    CHECK_INT(r.nparts, 1);
    CHECK_STR(r.parts[0], "1");
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].name, "x");
    CHECK_STR(r.params[0].value, "/2?y");
    route_free(&r);
}

static void test_query(void)
{
    struct route r;

    /* "+" is a space in the query, "%2B" a plus. */
    CHECK_INT(parse("GET", ROWS "?name=a+b%2Bc", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].value, "a b+c");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?my+col=1&x%20y=2", &r), ROUTE_OK);
    CHECK_STR(r.params[0].name, "my col");
    CHECK_STR(r.params[1].name, "x y");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?a=b=c", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].name, "a");
    CHECK_STR(r.params[0].value, "b=c");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?a", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].name, "a");
    CHECK_STR(r.params[0].value, "");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?a=", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].value, "");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?=v", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].name, "");
    CHECK_STR(r.params[0].value, "v");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?=", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].name, "");
    CHECK_STR(r.params[0].value, "");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?&&a=1&&b=2&", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 2);
    CHECK_STR(r.params[0].name, "a");
    CHECK_STR(r.params[0].value, "1");
    CHECK_STR(r.params[1].name, "b");
    CHECK_STR(r.params[1].value, "2");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?&", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 0);
    CHECK(r.params == NULL);
    route_free(&r);

    /* Duplicates are kept, in order: keys_bind decides. */
    CHECK_INT(parse("GET", ROWS "?id=1&id=2&day=x", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 3);
    CHECK_STR(r.params[0].value, "1");
    CHECK_STR(r.params[1].value, "2");
    CHECK_STR(r.params[2].name, "day");
    route_free(&r);

    /* Encoded "&", "=" and "?" stay inside the value. */
    CHECK_INT(parse("GET", ROWS "?k=a%26b%3Dc%3F", &r), ROUTE_OK);
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].value, "a&b=c?");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?k=caf%C3%A9+%F0%9F%98%80", &r), ROUTE_OK);
    CHECK_STR(r.params[0].value, "caf\xC3\xA9 \xF0\x9F\x98\x80");
    route_free(&r);

    CHECK_INT(parse("GET", ROWS "?k=a;b", &r), ROUTE_OK); /* ";" is not a separator */
    CHECK_INT(r.nparams, 1);
    CHECK_STR(r.params[0].value, "a;b");
    route_free(&r);
}

static void test_bad_encoding(void)
{
#define BAD(uri, want) CHECK(bad_encoding(uri, strlen(uri), want))
    BAD(ROWS "/%", "key segment 1 has a malformed %-escape");
    BAD(ROWS "/1/%", "key segment 2 has a malformed %-escape");
    BAD(ROWS "/%4", "key segment 1 has a malformed");
    BAD(ROWS "/%zz", "key segment 1 has a malformed");
    BAD(ROWS "/%4g", "key segment 1 has a malformed");
    BAD(ROWS "/%g4", "key segment 1 has a malformed");
    BAD(ROWS "/%%41", "key segment 1 has a malformed");
    BAD(ROWS "/%-1", "key segment 1 has a malformed");
    BAD(ROWS "/% 1", "key segment 1 has a malformed");
    /* An escape never borrows the "/" or "?" that follows its segment. */
    BAD(ROWS "/a%/b", "key segment 1 has a malformed");
    BAD(ROWS "/a%2/F", "key segment 1 has a malformed");
    BAD(ROWS "/a%2?x=1", "key segment 1 has a malformed");
    BAD(ROWS "/%00", "key segment 1 contains a NUL byte");
    BAD(ROWS "/1/a%00b", "key segment 2 contains a NUL byte");
    BAD(ROWS "/%FF", "key segment 1 is not valid UTF-8");
    BAD(ROWS "/1/%FF", "key segment 2 is not valid UTF-8");
    BAD(ROWS "/%C3", "is not valid UTF-8");                /* truncated sequence */
    BAD(ROWS "/%C3%28", "is not valid UTF-8");             /* bad continuation */
    BAD(ROWS "/%C0%AF", "is not valid UTF-8");             /* overlong "/" */
    BAD(ROWS "/%E0%80%AF", "is not valid UTF-8");          /* overlong, 3 bytes */
    BAD(ROWS "/%ED%A0%80", "is not valid UTF-8");          /* surrogate */
    BAD(ROWS "/%F4%90%80%80", "is not valid UTF-8");       /* above U+10FFFF */
    BAD(ROWS "/%F0%9F%98", "is not valid UTF-8");          /* emoji cut short */
    BAD(ROWS "/%80", "is not valid UTF-8");                /* lone continuation */
    BAD(ROWS "/\xFF", "key segment 1 is not valid UTF-8"); /* raw byte */
    BAD(ROWS "/\xC3", "key segment 1 is not valid UTF-8");
    BAD("/api/v1/tables/%zz", "table name has a malformed %-escape");
    BAD("/api/v1/tables/%FF/rows/1", "table name is not valid UTF-8");
    BAD("/api/v1/tables/a%00b", "table name contains a NUL byte");
    BAD(ROWS "?id=%zz", "value of query parameter 1 has a malformed");
    BAD(ROWS "?id=%", "value of query parameter 1 has a malformed");
    BAD(ROWS "?a=1&id=%00", "value of query parameter 2 contains a NUL byte");
    BAD(ROWS "?&&a=1&&id=%FF", "value of query parameter 2 is not valid UTF-8");
    BAD(ROWS "?%zz=1", "name of query parameter 1 has a malformed");
    BAD(ROWS "?a=1&%C3=1", "name of query parameter 2 is not valid UTF-8");
    BAD(ROWS "?%00", "name of query parameter 1 contains a NUL byte");
    /* The query is decoded even when the key is in the path. */
    BAD(ROWS "/1?x=%zz", "value of query parameter 1");
#undef BAD

    /* Raw NUL bytes, given with an explicit length. */
    CHECK(bad_encoding(ROWS "/a\0b", sizeof(ROWS "/a\0b") - 1, "contains a NUL byte"));
    CHECK(bad_encoding(ROWS "?a=\0", sizeof(ROWS "?a=\0") - 1, "contains a NUL byte"));

    /* A "%" whose hex digits lie past len is malformed: the router must not
     * look at them (parse_exact puts the cut at the end of the heap copy). */
    CHECK(bad_encoding(ROWS "/%41", strlen(ROWS "/%4"), "malformed"));
    CHECK(bad_encoding(ROWS "/%41", strlen(ROWS "/%"), "malformed"));
    CHECK(bad_encoding(ROWS "?a=%41", strlen(ROWS "?a=%4"), "malformed"));

    /* Details are whole sentences, NUL-terminated inside the array. */
    struct route r;
    CHECK_INT(parse("GET", ROWS "/%FF", &r), ROUTE_ERR_BAD_ENCODING);
    CHECK(memchr(r.detail, '\0', sizeof r.detail) != NULL);
    CHECK_STR(r.detail, "key segment 1 is not valid UTF-8");
    CHECK_INT(r.kind, ROUTE_ROW);
    route_free(&r);
}

static void test_exact_length(void)
{
    struct route r;
    const char *uri = ROWS "/42/7";

    /* The same bytes, cut shorter: nothing past len is part of the uri. */
    CHECK_INT(parse_exact("GET", uri, strlen(ROWS "/42"), &r), ROUTE_OK);
    CHECK_INT(r.nparts, 1);
    CHECK_STR(r.parts[0], "42");
    route_free(&r);

    CHECK_INT(parse_exact("GET", uri, strlen(ROWS "/4"), &r), ROUTE_OK);
    CHECK_STR(r.parts[0], "4");
    route_free(&r);

    CHECK_INT(parse_exact("GET", uri, strlen(ROWS), &r), ROUTE_OK);
    CHECK_INT(r.nparts, 0);
    route_free(&r);

    CHECK_INT(parse_exact("GET", uri, strlen(ROWS) - 1, &r), ROUTE_ERR_NOT_FOUND);
    route_free(&r);

    CHECK_INT(parse_exact("GET", "/healthzX", 8, &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_HEALTHZ);
    route_free(&r);

    CHECK_INT(parse_exact("GET", "/api/v1/tables/t?a=1", 17, &r), ROUTE_OK);
    CHECK_INT(r.kind, ROUTE_TABLE);
    route_free(&r);

    CHECK_INT(parse_exact("GET", ROWS "?a=1&b=2", strlen(ROWS "?a=1&b"), &r), ROUTE_OK);
    CHECK_INT(r.nparams, 2);
    CHECK_STR(r.params[1].name, "b");
    CHECK_STR(r.params[1].value, "");
    route_free(&r);

    CHECK(not_found_len("GET", "/", 1));
    CHECK(not_found_len("GET", "/", 0));
}

/* A uri of prefix then `count` copies of piece, in b (reset first). */
static void build(struct buf *b, const char *prefix, const char *piece, size_t count)
{
    buf_reset(b);
    buf_puts(b, prefix);
    for (size_t i = 0; i < count; i++)
        buf_puts(b, piece);
}

static void test_long_inputs(void)
{
    struct route r;
    struct buf b = BUF_INIT;

    /* A 100 kB key: every byte arrives. */
    size_t n = 100000;
    build(&b, ROWS "/", "k", n);
    CHECK_INT(parse_exact("GET", b.data, b.len, &r), ROUTE_OK);
    CHECK_INT(r.nparts, 1);
    CHECK(r.nparts == 1 && strlen(r.parts[0]) == n);
    route_free(&r);

    /* 3 x 30000 bytes of "%41": decodes to 30000 "A". */
    n = 30000;
    build(&b, ROWS "/", "%41", n);
    CHECK_INT(parse_exact("GET", b.data, b.len, &r), ROUTE_OK);
    CHECK(r.nparts == 1 && strlen(r.parts[0]) == n && r.parts[0][n - 1] == 'A');
    route_free(&r);

    /* 20000 slashes: 20001 empty key parts. */
    n = 20000;
    build(&b, ROWS "/", "/", n);
    CHECK_INT(parse_exact("GET", b.data, b.len, &r), ROUTE_OK);
    CHECK_INT(r.nparts, n + 1);
    CHECK(r.nparts == n + 1 && r.parts[0][0] == '\0' && r.parts[n][0] == '\0');
    route_free(&r);

    /* 10000 parameters "a=1&". */
    n = 10000;
    build(&b, ROWS "?", "a=1&", n);
    CHECK_INT(parse_exact("GET", b.data, b.len, &r), ROUTE_OK);
    CHECK_INT(r.nparams, n);
    CHECK(r.nparams == n && strcmp(r.params[n - 1].value, "1") == 0);
    route_free(&r);

    /* Invalid UTF-8 at the very end of a long segment is still found. */
    build(&b, ROWS "/", "x", 50000);
    buf_putc(&b, '\xC3');
    CHECK(bad_encoding(b.data, b.len, "key segment 1 is not valid UTF-8"));

    buf_free(&b);
}

/* Every byte value, alone as a key, raw and escaped. */
static void test_every_byte(void)
{
    char uri[128];
    struct route r;
    int raw_ok = 1, esc_ok = 1;

    for (int b = 0; b < 256; b++) {
        size_t n = (size_t)snprintf(uri, sizeof uri, "%s/x", ROWS);
        uri[n - 1] = (char)b;
        enum route_status st = parse_exact("GET", uri, n, &r);
        if (b == '/') {
            raw_ok &= st == ROUTE_OK && r.nparts == 2;
        } else if (b == '?') {
            raw_ok &= st == ROUTE_OK && r.nparts == 1 && r.parts[0][0] == '\0';
        } else if (b == '%' || b == 0 || b >= 0x80) {
            raw_ok &= st == ROUTE_ERR_BAD_ENCODING;
        } else {
            raw_ok &= st == ROUTE_OK && r.nparts == 1 && (unsigned char)r.parts[0][0] == b &&
                      r.parts[0][1] == '\0';
        }
        route_free(&r);

        n = (size_t)snprintf(uri, sizeof uri, "%s/%%%02x", ROWS, b);
        st = parse_exact("GET", uri, n, &r);
        if (b == 0 || b >= 0x80)
            esc_ok &= st == ROUTE_ERR_BAD_ENCODING;
        else
            esc_ok &= st == ROUTE_OK && r.nparts == 1 && (unsigned char)r.parts[0][0] == b &&
                      r.parts[0][1] == '\0';
        route_free(&r);
    }
    CHECK(raw_ok);
    CHECK(esc_ok);
}

static void test_lifecycle(void)
{
    struct route r;

    /* r is fully overwritten, whatever it held. */
    memset(&r, 0xA5, sizeof r);
    CHECK_INT(parse("GET", "/healthz", &r), ROUTE_OK);
    CHECK(r.table == NULL && r.parts == NULL && r.params == NULL &&
          r.allow != NULL && strcmp(r.allow, "GET, HEAD") == 0);
    CHECK(r.detail[0] == '\0');
    route_free(&r);

    memset(&r, 0xA5, sizeof r);
    CHECK_INT(parse("GET", "/nope", &r), ROUTE_ERR_NOT_FOUND);
    CHECK(r.table == NULL && r.parts == NULL && r.params == NULL);
    route_free(&r);

    /* route_free zeroes, so a second call and a zeroed route are fine. */
    CHECK_INT(parse("GET", ROWS "/1?a=b", &r), ROUTE_OK);
    route_free(&r);
    CHECK(r.table == NULL && r.nparts == 0 && r.nparams == 0);
    route_free(&r);
    struct route z;
    memset(&z, 0, sizeof z);
    route_free(&z);
    route_free(NULL);
    CHECK(1);
}

static void test_decode(void)
{
    size_t len = 99;
    char *s;

    s = router_decode("a%20b+c", 7, 0, &len);
    CHECK_STR(s, "a b+c");
    CHECK_INT(len, 5);
    free(s);

    s = router_decode("a%20b+c", 7, 1, &len);
    CHECK_STR(s, "a b c");
    free(s);

    s = router_decode("", 0, 0, &len);
    CHECK_STR(s, "");
    CHECK_INT(len, 0);
    free(s);

    s = router_decode(NULL, 0, 0, NULL);
    CHECK_STR(s, "");
    free(s);

    s = router_decode("%F0%9F%98%80", 12, 0, &len);
    CHECK_STR(s, "\xF0\x9F\x98\x80");
    CHECK_INT(len, 4);
    CHECK(s != NULL && jsonw_valid_utf8(s, len));
    free(s);

    s = router_decode("abc", 2, 0, NULL); /* only n bytes */
    CHECK_STR(s, "ab");
    free(s);

    len = 99;
    CHECK(router_decode("%", 1, 0, &len) == NULL);
    CHECK_INT(len, 99); /* untouched on failure */
    CHECK(router_decode("%4", 2, 0, NULL) == NULL);
    CHECK(router_decode("%41", 2, 0, NULL) == NULL);
    CHECK(router_decode("%zz", 3, 0, NULL) == NULL);
    CHECK(router_decode("%00", 3, 0, NULL) == NULL);
    CHECK(router_decode("a\0b", 3, 0, NULL) == NULL);
    CHECK(router_decode("%FF", 3, 1, NULL) == NULL);
    CHECK(router_decode("%ED%BF%BF", 9, 0, NULL) == NULL);
}

/* The template of a route: what logs and metrics name it by. */
static const char *template_of(const char *method, const char *uri)
{
    struct route r;
    (void)parse(method, uri, &r);
    const char *t = router_template(&r);
    route_free(&r);
    return t;
}

static void test_templates(void)
{
    CHECK_STR(template_of("GET", "/healthz"), "/healthz");
    CHECK_STR(template_of("GET", "/api/v1/status"), "/api/v1/status");
    CHECK_STR(template_of("POST", "/api/v1/status"), "/api/v1/status"); /* a 405 counts there */
    CHECK_STR(template_of("GET", "/api/v1/metrics"), "/metrics");
    CHECK_STR(template_of("GET", ROWS "/42"), "/api/v1/tables/{table}/rows/{key}");
    CHECK_STR(template_of("GET", ROWS "?id=42"), "/api/v1/tables/{table}/rows");
    CHECK_STR(template_of("GET", "/nope"), "other");
}

int main(void)
{
    test_routes();
    test_method();
    test_not_found();
    test_query_ignored_elsewhere();
    test_key_decoding();
    test_query();
    test_bad_encoding();
    test_exact_length();
    test_long_inputs();
    test_every_byte();
    test_lifecycle();
    test_decode();
    test_templates();
    return TEST_REPORT();
}
