/* test_keys: unit tests for keys.c.
 *
 * Binding from path parts and from query parameters (through router_parse,
 * as the server does), every error sentence, the integer ranges of int2,
 * int4 and int8 at and just past their bounds, and the size of err.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jsonw.h"
#include "keys.h"
#include "router.h"

#define ROWS "/api/v1/tables/public.sales/rows"

static const struct key_col two[] = {{"store_id", KEY_INT8}, {"day", KEY_OTHER}};
static const struct key_col one[] = {{"id", KEY_INT8}};

/* The outcome of one keys_bind over a parsed uri. */
struct bound {
    int rc;
    int bad;
    const char *values[KEYS_MAX];
    char err[256];
    struct route r;
};

/* Parses uri (which must route to ROW) and binds it against cols. */
static void bind_uri(struct bound *b, const struct key_col *cols, size_t ncols, const char *uri)
{
    memset(b, 0, sizeof *b);
    b->bad = 12345;
    if (router_parse("GET", uri, strlen(uri), &b->r) != ROUTE_OK || b->r.kind != ROUTE_ROW) {
        printf("  (uri %s does not route: %s)\n", uri, b->r.detail);
        b->rc = 99;
        return;
    }
    b->rc = keys_bind(cols, ncols, &b->r, b->values, b->err, sizeof b->err, &b->bad);
}

/* Binds a single value to one column of the given type, via the path. */
static int int_accepts(enum key_type t, const char *value)
{
    struct key_col col = {"k", t};
    char *part = (char *)value;
    struct route r;
    memset(&r, 0, sizeof r);
    r.kind = ROUTE_ROW;
    r.nparts = 1;
    r.parts = &part;
    const char *v = NULL;
    char err[200];
    int bad = 7;
    int rc = keys_bind(&col, 1, &r, &v, err, sizeof err, &bad);
    if (rc == 0)
        return v == value && bad == -1 && err[0] == '\0';
    return rc == -1 && bad == 0 && err[0] != '\0' ? 0 : -1;
}

/* Array elements are always quoted, so NULL, braces, commas and blanks stay
 * text; only backslash and double quote are escaped. */
static void test_array_elem(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"42", "\"42\""},
        {"", "\"\""},
        {"NULL", "\"NULL\""},
        {"{x}", "\"{x}\""},
        {"a,b c", "\"a,b c\""},
        {"quote\"s", "\"quote\\\"s\""},
        {"back\\slash", "\"back\\\\slash\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = BUF_INIT;
        keys_array_elem(&b, cases[i].in);
        buf_putc(&b, '\0');
        CHECK_STR(b.data, cases[i].out);
        buf_free(&b);
    }
}

static void test_oid(void)
{
    CHECK_INT(keys_type_for_oid(20), KEY_INT8);
    CHECK_INT(keys_type_for_oid(21), KEY_INT2);
    CHECK_INT(keys_type_for_oid(23), KEY_INT4);
    CHECK_INT(keys_type_for_oid(25), KEY_OTHER);   /* text */
    CHECK_INT(keys_type_for_oid(1043), KEY_OTHER); /* varchar */
    CHECK_INT(keys_type_for_oid(1082), KEY_OTHER); /* date */
    CHECK_INT(keys_type_for_oid(1700), KEY_OTHER); /* numeric */
    CHECK_INT(keys_type_for_oid(2950), KEY_OTHER); /* uuid */
    CHECK_INT(keys_type_for_oid(26), KEY_OTHER);   /* oid: unsigned, not int4 */
    CHECK_INT(keys_type_for_oid(0), KEY_OTHER);
    CHECK_INT(keys_type_for_oid(4294967295u), KEY_OTHER);
}

static void test_parts(void)
{
    struct bound b;

    bind_uri(&b, one, 1, ROWS "/42");
    CHECK_INT(b.rc, 0);
    CHECK_INT(b.bad, -1);
    CHECK_STR(b.err, "");
    CHECK_STR(b.values[0], "42");
    CHECK(b.values[0] == b.r.parts[0]); /* borrowed, not copied */
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "/42/2024-01-31");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[0], "42");
    CHECK_STR(b.values[1], "2024-01-31");
    route_free(&b.r);

    /* Other types go through unchecked, exactly as decoded. */
    bind_uri(&b, two, 2, ROWS "/7/a%2Fb%3F%25.%20caf%C3%A9");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[1], "a/b?%. caf\xC3\xA9");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "/7/");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[1], "");
    route_free(&b.r);

    static const struct key_col text[] = {{"code", KEY_OTHER}};
    bind_uri(&b, text, 1, ROWS "/");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[0], "");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "/42");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "expected 2 key parts (store_id, day), got 1");
    CHECK_INT(b.bad, -1);
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "/42/2024-01-31/x");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "expected 2 key parts (store_id, day), got 3");
    route_free(&b.r);

    bind_uri(&b, one, 1, ROWS "/1/2");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "expected 1 key part (id), got 2");
    route_free(&b.r);

    /* "/rows/" is one empty part, which an int8 key refuses. */
    bind_uri(&b, one, 1, ROWS "/");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 0);
    CHECK_STR(b.err, "key \"id\" must be an integer between -9223372036854775808 and "
                     "9223372036854775807, got \"\"");
    route_free(&b.r);

    bind_uri(&b, one, 1, ROWS "/42/");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "expected 1 key part (id), got 2");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "/abc/2024-01-31");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 0);
    CHECK_STR(b.err, "key \"store_id\" must be an integer between -9223372036854775808 and "
                     "9223372036854775807, got \"abc\"");
    route_free(&b.r);

    static const struct key_col mixed[] = {{"a", KEY_OTHER}, {"b", KEY_INT2}, {"c", KEY_INT4}};
    bind_uri(&b, mixed, 3, ROWS "/x/1/99999999999");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 2);
    CHECK_STR(b.err, "key \"c\" must be an integer between -2147483648 and 2147483647, got "
                     "\"99999999999\"");
    route_free(&b.r);

    bind_uri(&b, mixed, 3, ROWS "/x/40000/1");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 1);
    CHECK_STR(b.err, "key \"b\" must be an integer between -32768 and 32767, got \"40000\"");
    route_free(&b.r);
}

static void test_params(void)
{
    struct bound b;

    bind_uri(&b, two, 2, ROWS "?store_id=42&day=2024-01-31");
    CHECK_INT(b.rc, 0);
    CHECK_INT(b.bad, -1);
    CHECK_STR(b.values[0], "42");
    CHECK_STR(b.values[1], "2024-01-31");
    route_free(&b.r);

    /* Any order in the query; key order out. */
    bind_uri(&b, two, 2, ROWS "?day=2024-01-31&store_id=42");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[0], "42");
    CHECK_STR(b.values[1], "2024-01-31");
    CHECK(b.values[0] == b.r.params[1].value);
    route_free(&b.r);

    /* The query form is allowed for single-column keys too. */
    bind_uri(&b, one, 1, ROWS "?id=-5");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[0], "-5");
    route_free(&b.r);

    /* "+" is a space in a query value, "%2B" a plus. */
    bind_uri(&b, two, 2, ROWS "?store_id=%2B42&day=a+b");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[0], "+42");
    CHECK_STR(b.values[1], "a b");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?store_id=+42&day=x");
    CHECK_INT(b.rc, -1); /* " 42" */
    CHECK_INT(b.bad, 0);
    CHECK_STR(b.err, "key \"store_id\" must be an integer between -9223372036854775808 and "
                     "9223372036854775807, got \" 42\"");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?store_id=42");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 1);
    CHECK_STR(b.err, "missing key parameter \"day\"");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?day=x");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 0);
    CHECK_STR(b.err, "missing key parameter \"store_id\"");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?store_id=1&day=x&foo=1");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, -1);
    CHECK_STR(b.err, "unknown key parameter \"foo\"; the key columns are store_id, day");
    route_free(&b.r);

    bind_uri(&b, one, 1, ROWS "?ID=1");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "unknown key parameter \"ID\"; the key column is id");
    route_free(&b.r);

    bind_uri(&b, one, 1, ROWS "?=1");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "unknown key parameter \"\"; the key column is id");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?day=a&store_id=1&day=b");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 1);
    CHECK_STR(b.err, "key parameter \"day\" given twice");
    route_free(&b.r);

    /* Given twice with the same value is still twice. */
    bind_uri(&b, one, 1, ROWS "?id=1&id=1");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 0);
    CHECK_STR(b.err, "key parameter \"id\" given twice");
    route_free(&b.r);

    /* A name without "=" has the empty value, which int8 refuses. */
    bind_uri(&b, one, 1, ROWS "?id");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, 0);
    CHECK(strstr(b.err, "got \"\"") != NULL);
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?store_id=1&day");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[1], "");
    route_free(&b.r);

    /* "a=b=c": the value keeps its "=". */
    bind_uri(&b, two, 2, ROWS "?store_id=1&day=b=c");
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[1], "b=c");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "?&&store_id=1&&day=2&&");
    CHECK_INT(b.rc, 0);
    route_free(&b.r);

    /* No key at all. */
    bind_uri(&b, two, 2, ROWS);
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, -1);
    CHECK_STR(b.err, "no key given; expected 2 key parts (store_id, day) as path segments or as "
                     "query parameters");
    route_free(&b.r);

    bind_uri(&b, one, 1, ROWS "?&");
    CHECK_INT(b.rc, -1);
    CHECK_STR(b.err, "no key given; expected 1 key part (id) as path segments or as query "
                     "parameters");
    route_free(&b.r);
}

static void test_both_forms(void)
{
    struct bound b;

    bind_uri(&b, one, 1, ROWS "/42?id=42");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, -1);
    CHECK_STR(b.err, "give the key either as path segments or as query parameters, not both");
    route_free(&b.r);

    bind_uri(&b, two, 2, ROWS "/42/2024-01-31?day=2024-01-31");
    CHECK_INT(b.rc, -1);
    CHECK(strstr(b.err, "not both") != NULL);
    route_free(&b.r);

    /* Any parameter counts, even one that names no column. */
    bind_uri(&b, one, 1, ROWS "/42?pretty");
    CHECK_INT(b.rc, -1);
    CHECK(strstr(b.err, "not both") != NULL);
    route_free(&b.r);

    /* An empty query is no parameter. */
    bind_uri(&b, one, 1, ROWS "/42?");
    CHECK_INT(b.rc, 0);
    route_free(&b.r);
    bind_uri(&b, one, 1, ROWS "/42?&&");
    CHECK_INT(b.rc, 0);
    route_free(&b.r);
}

static void test_int_syntax(void)
{
    CHECK_INT(int_accepts(KEY_INT8, "0"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "42"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "+42"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "-42"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "-0"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "+0"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "007"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "-0000000000000000000000000000000000000001"), 1);
    CHECK_INT(int_accepts(KEY_INT2, "000000000000000000000000000000000032767"), 1);

    const char *bad[] = {
        "",     "+",    "-",    "--1",      "+-1",   "-+1",      " 1",
        "1 ",   "1\t",  "\n1",  "1.0",      "1.",    ".5",       "1e3",
        "0x1F", "0X1F", "0o17", "0b11",     "1_000", "1,000",    "abc",
        "12a",  "a12",  "1-",   "1+",       "++1",   "\xD9\xA1", "\xEF\xBC\x91",
        "NaN",  "inf",  "-inf", "Infinity", "4 2",   "42;",      "1/2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int got2 = int_accepts(KEY_INT2, bad[i]);
        int got4 = int_accepts(KEY_INT4, bad[i]);
        int got8 = int_accepts(KEY_INT8, bad[i]);
        if (got2 != 0 || got4 != 0 || got8 != 0)
            printf("  (\"%s\" accepted or misreported: %d %d %d)\n", bad[i], got2, got4, got8);
        CHECK(got2 == 0 && got4 == 0 && got8 == 0);
    }

    /* Whatever the other types hold, it is passed on. */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(int_accepts(KEY_OTHER, bad[i]), 1);
    /* An enum value keys.h does not know is not checked either. */
    CHECK_INT(int_accepts((enum key_type)77, "abc"), 1);
}

static void test_int_ranges(void)
{
    /* int2 */
    CHECK_INT(int_accepts(KEY_INT2, "32767"), 1);
    CHECK_INT(int_accepts(KEY_INT2, "-32768"), 1);
    CHECK_INT(int_accepts(KEY_INT2, "+32767"), 1);
    CHECK_INT(int_accepts(KEY_INT2, "32768"), 0);
    CHECK_INT(int_accepts(KEY_INT2, "-32769"), 0);
    CHECK_INT(int_accepts(KEY_INT2, "+32768"), 0);
    CHECK_INT(int_accepts(KEY_INT2, "65535"), 0);
    CHECK_INT(int_accepts(KEY_INT2, "65536"), 0);
    CHECK_INT(int_accepts(KEY_INT2, "2147483647"), 0);

    /* int4 */
    CHECK_INT(int_accepts(KEY_INT4, "2147483647"), 1);
    CHECK_INT(int_accepts(KEY_INT4, "-2147483648"), 1);
    CHECK_INT(int_accepts(KEY_INT4, "2147483648"), 0);
    CHECK_INT(int_accepts(KEY_INT4, "-2147483649"), 0);
    CHECK_INT(int_accepts(KEY_INT4, "4294967295"), 0);
    CHECK_INT(int_accepts(KEY_INT4, "4294967296"), 0);
    CHECK_INT(int_accepts(KEY_INT4, "4294967338"), 0); /* 2^32 + 42 */
    CHECK_INT(int_accepts(KEY_INT4, "9223372036854775807"), 0);

    /* int8 */
    CHECK_INT(int_accepts(KEY_INT8, "9223372036854775807"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "-9223372036854775808"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "+9223372036854775807"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "0009223372036854775807"), 1);
    CHECK_INT(int_accepts(KEY_INT8, "9223372036854775808"), 0);
    CHECK_INT(int_accepts(KEY_INT8, "-9223372036854775809"), 0);
    CHECK_INT(int_accepts(KEY_INT8, "9223372036854775810"), 0);
    CHECK_INT(int_accepts(KEY_INT8, "18446744073709551615"), 0); /* UINT64_MAX */
    CHECK_INT(int_accepts(KEY_INT8, "18446744073709551616"), 0); /* wraps to 0 */
    CHECK_INT(int_accepts(KEY_INT8, "18446744073709551658"), 0); /* wraps to 42 */
    CHECK_INT(int_accepts(KEY_INT8, "-18446744073709551616"), 0);
    CHECK_INT(int_accepts(KEY_INT8, "99999999999999999999"), 0);
    CHECK_INT(int_accepts(KEY_INT8, "92233720368547758070"), 0);

    char huge[1001];
    memset(huge, '9', 1000);
    huge[1000] = '\0';
    CHECK_INT(int_accepts(KEY_INT8, huge), 0);
    memset(huge, '0', 999);
    huge[999] = '1';
    CHECK_INT(int_accepts(KEY_INT8, huge), 1); /* 999 zeros then 1 */
    CHECK_INT(int_accepts(KEY_INT2, huge), 1);

    /* The error names the range of the type. */
    struct bound b;
    static const struct key_col i2[] = {{"n", KEY_INT2}};
    static const struct key_col i4[] = {{"n", KEY_INT4}};
    bind_uri(&b, i2, 1, ROWS "/x");
    CHECK_STR(b.err, "key \"n\" must be an integer between -32768 and 32767, got \"x\"");
    route_free(&b.r);
    bind_uri(&b, i4, 1, ROWS "/x");
    CHECK_STR(b.err, "key \"n\" must be an integer between -2147483648 and 2147483647, got \"x\"");
    route_free(&b.r);
}

static void test_err_buffer(void)
{
    struct bound b;

    /* A long value is echoed cut at 40 bytes, marked with "...". */
    char uri[2000];
    int n = snprintf(uri, sizeof uri, "%s/", ROWS);
    memset(uri + n, 'x', 1000);
    uri[n + 1000] = '\0';
    bind_uri(&b, one, 1, uri);
    CHECK_INT(b.rc, -1);
    CHECK(strstr(b.err, "got \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"") != NULL);
    CHECK(strlen(b.err) < 140);
    route_free(&b.r);

    /* The cut does not split a character: 39 ASCII bytes then "é". */
    (void)snprintf(uri, sizeof uri, "%s/%s", ROWS,
                   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx%C3%A9yyyyy");
    bind_uri(&b, one, 1, uri);
    CHECK_INT(b.rc, -1);
    CHECK(jsonw_valid_utf8(b.err, strlen(b.err)));
    CHECK(strstr(b.err, "xxx...\"") != NULL);
    route_free(&b.r);

    /* Long unknown parameter names are cut the same way. */
    n = snprintf(uri, sizeof uri, "%s?", ROWS);
    memset(uri + n, 'p', 500);
    memcpy(uri + n + 500, "=1", 3);
    bind_uri(&b, one, 1, uri);
    CHECK_INT(b.rc, -1);
    CHECK(strlen(b.err) < 140);
    CHECK(strstr(b.err, "...\"; the key column is id") != NULL);
    route_free(&b.r);

    /* A small err gets a prefix of the sentence, NUL-terminated. */
    struct route r;
    CHECK_INT(router_parse("GET", ROWS "/abc", strlen(ROWS "/abc"), &r), ROUTE_OK);
    const char *v[1];
    char small[16];
    memset(small, '#', sizeof small);
    int bad = 5;
    CHECK_INT(keys_bind(one, 1, &r, v, small, 10, &bad), -1);
    CHECK_STR(small, "key \"id\" ");
    CHECK(small[10] == '#'); /* nothing written past errlen */
    CHECK_INT(bad, 0);

    memset(small, '#', sizeof small);
    CHECK_INT(keys_bind(one, 1, &r, v, small, 1, &bad), -1);
    CHECK(small[0] == '\0' && small[1] == '#'); /* only byte 0 written */

    small[0] = '#';
    CHECK_INT(keys_bind(one, 1, &r, v, small, 0, &bad), -1);
    CHECK(small[0] == '#'); /* errlen 0: nothing written */

    CHECK_INT(keys_bind(one, 1, &r, v, NULL, 0, NULL), -1);
    CHECK_INT(keys_bind(one, 1, &r, v, NULL, 100, NULL), -1);
    route_free(&r);

    /* A cut by errlen lands on a character boundary: "é" in a column name. */
    static const struct key_col cafe[] = {{"caf\xC3\xA9", KEY_INT4}};
    CHECK_INT(router_parse("GET", ROWS "/x", strlen(ROWS "/x"), &r), ROUTE_OK);
    /* "key \"caf" is 8 bytes: errlen 10 leaves room for 9, which would
     * hold only the first byte of "é". */
    CHECK_INT(keys_bind(cafe, 1, &r, v, small, 10, &bad), -1);
    CHECK_STR(small, "key \"caf");
    CHECK_INT(keys_bind(cafe, 1, &r, v, small, 11, &bad), -1);
    CHECK_STR(small, "key \"caf\xC3\xA9");
    route_free(&r);

    /* Success clears err and sets bad_col to -1. */
    CHECK_INT(router_parse("GET", ROWS "/1", strlen(ROWS "/1"), &r), ROUTE_OK);
    memset(small, '#', sizeof small);
    bad = 5;
    CHECK_INT(keys_bind(one, 1, &r, v, small, sizeof small, &bad), 0);
    CHECK_STR(small, "");
    CHECK_INT(bad, -1);
    CHECK_INT(keys_bind(one, 1, &r, v, NULL, 0, NULL), 0);
    route_free(&r);
}

static void test_no_key_columns(void)
{
    struct bound b;
    bind_uri(&b, one, 0, ROWS "/1");
    CHECK_INT(b.rc, -1);
    CHECK_INT(b.bad, -1);
    CHECK(strstr(b.err, "no primary key") != NULL);
    route_free(&b.r);
}

static void test_many_columns(void)
{
    /* KEYS_MAX columns, all int4, through the path and the query. */
    struct key_col cols[KEYS_MAX];
    char names[KEYS_MAX][8];
    char uri[2048], quri[2048];
    int n = snprintf(uri, sizeof uri, "%s", ROWS);
    int q = snprintf(quri, sizeof quri, "%s?", ROWS);
    for (int i = 0; i < KEYS_MAX; i++) {
        (void)snprintf(names[i], sizeof names[i], "c%d", i);
        cols[i].name = names[i];
        cols[i].type = KEY_INT4;
        n += snprintf(uri + n, sizeof uri - (size_t)n, "/%d", i * 1000);
        /* the query in reverse order */
        q += snprintf(quri + q, sizeof quri - (size_t)q, "%sc%d=%d", i ? "&" : "", KEYS_MAX - 1 - i,
                      (KEYS_MAX - 1 - i) * 1000);
    }
    struct bound b;
    bind_uri(&b, cols, KEYS_MAX, uri);
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[KEYS_MAX - 1], "31000");
    route_free(&b.r);

    bind_uri(&b, cols, KEYS_MAX, quri);
    CHECK_INT(b.rc, 0);
    CHECK_STR(b.values[0], "0");
    CHECK_STR(b.values[5], "5000");
    CHECK_STR(b.values[KEYS_MAX - 1], "31000");
    route_free(&b.r);
}

int main(void)
{
    test_oid();
    test_array_elem();
    test_parts();
    test_params();
    test_both_forms();
    test_int_syntax();
    test_int_ranges();
    test_err_buffer();
    test_no_key_columns();
    test_many_columns();
    return TEST_REPORT();
}
