/* test_rowjson: unit tests for rowjson (type OIDs, scalars, arrays).
 *
 * Each input is the text Postgres 15 sends for a value (format('%s', v) in
 * a session with TimeZone=UTC, DateStyle=ISO, IntervalStyle=postgres,
 * bytea_output=hex, extra_float_digits=1), and each expected output was
 * checked to equal to_jsonb(v) as jsonb in that session. Our output is
 * compact where jsonb's text form has ", " and ": ", and floats keep their
 * exponent where to_jsonb expands it ("1e+30" = 1000000000000000000000000000000
 * by value); the comments say where.
 *
 * Inputs are copied to buffers of exactly their length, without a NUL, so
 * ASan catches any read of text[len].
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rowjson.h"
#include "xalloc.h"

/* rowjson_value of s[0..n) from an exact-size copy, appended after a
 * prefix to check that rollback keeps what was there; returns what was
 * appended (caller frees). */
static char *conv_n(enum rj_kind kind, enum rj_kind elem, const char *s, size_t n)
{
    struct buf b = BUF_INIT;
    char *copy = xmalloc(n);
    memcpy(copy, s, n);
    buf_puts(&b, "pre:");
    rowjson_value(&b, kind, elem, copy, n);
    free(copy);
    char *all = buf_steal(&b, NULL);
    char *got = NULL;
    if (strncmp(all, "pre:", 4) == 0)
        got = xstrdup(all + 4);
    free(all);
    return got;
}

#define CHECK_RJ(kind, elem, lit, want)                                                            \
    do {                                                                                           \
        char *got_ = conv_n(kind, elem, lit, sizeof(lit) - 1);                                     \
        CHECK_STR(got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

/* Scalars and arrays by type OID, the way callers use it. */
#define CHECK_OID(oid, lit, want)                                                                  \
    do {                                                                                           \
        enum rj_kind e_;                                                                           \
        enum rj_kind k_ = rowjson_kind_for_oid(oid, &e_);                                          \
        CHECK_RJ(k_, e_, lit, want);                                                               \
    } while (0)

#define ARR(elem, lit, want) CHECK_RJ(RJ_ARRAY, elem, lit, want)

static void test_kind_for_oid(void)
{
    struct {
        unsigned oid;
        enum rj_kind kind, elem;
    } cases[] = {
        {16, RJ_BOOL, RJ_STRING},
        {17, RJ_STRING, RJ_STRING},
        {18, RJ_STRING, RJ_STRING},
        {19, RJ_STRING, RJ_STRING},
        {20, RJ_INTEGER, RJ_STRING},
        {21, RJ_INTEGER, RJ_STRING},
        {23, RJ_INTEGER, RJ_STRING},
        {25, RJ_STRING, RJ_STRING},
        /* to_jsonb(1::oid) is "1": oid is not in to_jsonb's numbers. */
        {26, RJ_STRING, RJ_STRING},
        {114, RJ_JSON, RJ_STRING},
        {142, RJ_STRING, RJ_STRING},
        {700, RJ_FLOAT, RJ_STRING},
        {701, RJ_FLOAT, RJ_STRING},
        {790, RJ_STRING, RJ_STRING},
        {1042, RJ_STRING, RJ_STRING},
        {1043, RJ_STRING, RJ_STRING},
        {1082, RJ_STRING, RJ_STRING},
        {1083, RJ_STRING, RJ_STRING},
        {1114, RJ_TIMESTAMP, RJ_STRING},
        {1184, RJ_TIMESTAMPTZ, RJ_STRING},
        {1186, RJ_STRING, RJ_STRING},
        /* to_jsonb('12:00+02'::timetz) is "12:00:00+02", no rewrite. */
        {1266, RJ_STRING, RJ_STRING},
        {1700, RJ_NUMERIC, RJ_STRING},
        {2950, RJ_STRING, RJ_STRING},
        {3802, RJ_JSON, RJ_STRING},
        {1000, RJ_ARRAY, RJ_BOOL},
        {1001, RJ_ARRAY, RJ_STRING},
        {1002, RJ_ARRAY, RJ_STRING},
        {1003, RJ_ARRAY, RJ_STRING},
        {1005, RJ_ARRAY, RJ_INTEGER},
        {1007, RJ_ARRAY, RJ_INTEGER},
        {1009, RJ_ARRAY, RJ_STRING},
        {1014, RJ_ARRAY, RJ_STRING},
        {1015, RJ_ARRAY, RJ_STRING},
        {1016, RJ_ARRAY, RJ_INTEGER},
        {1021, RJ_ARRAY, RJ_FLOAT},
        {1022, RJ_ARRAY, RJ_FLOAT},
        {1028, RJ_ARRAY, RJ_STRING},
        {1115, RJ_ARRAY, RJ_TIMESTAMP},
        {1182, RJ_ARRAY, RJ_STRING},
        {1183, RJ_ARRAY, RJ_STRING},
        {1185, RJ_ARRAY, RJ_TIMESTAMPTZ},
        {1187, RJ_ARRAY, RJ_STRING},
        {1231, RJ_ARRAY, RJ_NUMERIC},
        {1270, RJ_ARRAY, RJ_STRING},
        {2951, RJ_ARRAY, RJ_STRING},
        {199, RJ_ARRAY, RJ_JSON},
        {3807, RJ_ARRAY, RJ_JSON},
        {143, RJ_ARRAY, RJ_STRING},
        {791, RJ_ARRAY, RJ_STRING},
        {651, RJ_ARRAY, RJ_STRING},
        {1040, RJ_ARRAY, RJ_STRING},
        {1041, RJ_ARRAY, RJ_STRING},
        {1561, RJ_ARRAY, RJ_STRING},
        {1563, RJ_ARRAY, RJ_STRING},
        /* Unknown: enums, user types, and 0. */
        {0, RJ_STRING, RJ_STRING},
        {16384, RJ_STRING, RJ_STRING},
        {4294967295u, RJ_STRING, RJ_STRING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum rj_kind elem = RJ_JSON; /* must be overwritten */
        CHECK_INT(rowjson_kind_for_oid(cases[i].oid, &elem), cases[i].kind);
        CHECK_INT(elem, cases[i].elem);
    }
    /* elem may be NULL. */
    CHECK_INT(rowjson_kind_for_oid(1007, NULL), RJ_ARRAY);
    CHECK_INT(rowjson_kind_for_oid(20, NULL), RJ_INTEGER);
}

static void test_integer(void)
{
    CHECK_OID(23, "0", "0");
    CHECK_OID(23, "42", "42");
    CHECK_OID(21, "-32768", "-32768");
    CHECK_OID(23, "2147483647", "2147483647");
    CHECK_OID(20, "9223372036854775807", "9223372036854775807");
    CHECK_OID(20, "-9223372036854775808", "-9223372036854775808");
    CHECK_OID(20, "9007199254740993", "9007199254740993"); /* 2^53 + 1 survives */
    /* Not a number: never sent by Postgres, written as a string. */
    CHECK_RJ(RJ_INTEGER, RJ_STRING, "", "\"\"");
    CHECK_RJ(RJ_INTEGER, RJ_STRING, "+1", "\"+1\"");
    CHECK_RJ(RJ_INTEGER, RJ_STRING, "007", "\"007\"");
    CHECK_RJ(RJ_INTEGER, RJ_STRING, "1 ", "\"1 \"");
    CHECK_RJ(RJ_INTEGER, RJ_STRING, "12abc", "\"12abc\"");
    CHECK_RJ(RJ_INTEGER, RJ_STRING, "\"1\"", "\"\\\"1\\\"\"");
    /* oid is a string in to_jsonb. */
    CHECK_OID(26, "4294967295", "\"4294967295\"");
}

static void test_numeric(void)
{
    CHECK_OID(1700, "123.4500", "123.4500");
    CHECK_OID(1700, "1234567890123456789012345678901234567890.5",
              "1234567890123456789012345678901234567890.5");
    CHECK_OID(1700, "-0.000000000000000000001", "-0.000000000000000000001");
    CHECK_OID(1700, "0.00001", "0.00001");
    CHECK_OID(1700, "NaN", "\"NaN\"");
    CHECK_OID(1700, "Infinity", "\"Infinity\"");
    CHECK_OID(1700, "-Infinity", "\"-Infinity\"");
    CHECK_RJ(RJ_NUMERIC, RJ_STRING, "1.", "\"1.\"");
    CHECK_RJ(RJ_NUMERIC, RJ_STRING, "nan", "\"nan\"");
}

static void test_float(void)
{
    /* to_jsonb expands exponents (1e+30 is 1000000000000000000000000000000,
     * 1.5e-10 is 0.00000000015); equal by value, checked as jsonb. */
    CHECK_OID(701, "1e+30", "1e+30");
    CHECK_OID(701, "1.5e-10", "1.5e-10");
    CHECK_OID(701, "0.1", "0.1");
    CHECK_OID(701, "5e-324", "5e-324");
    CHECK_OID(701, "1.7976931348623157e+308", "1.7976931348623157e+308");
    CHECK_OID(700, "3.4028235e+38", "3.4028235e+38");
    CHECK_OID(700, "1e-45", "1e-45");
    CHECK_OID(700, "1.1", "1.1");
    CHECK_OID(700, "100", "100");
    /* to_jsonb('-0'::float8) is 0; -0 is the same number. */
    CHECK_OID(701, "-0", "-0");
    CHECK_OID(701, "NaN", "\"NaN\"");
    CHECK_OID(701, "Infinity", "\"Infinity\"");
    CHECK_OID(700, "-Infinity", "\"-Infinity\"");
    CHECK_RJ(RJ_FLOAT, RJ_STRING, "inf", "\"inf\"");
}

static void test_bool(void)
{
    CHECK_OID(16, "t", "true");
    CHECK_OID(16, "f", "false");
    /* Only boolout's t/f are booleans. */
    CHECK_RJ(RJ_BOOL, RJ_STRING, "true", "\"true\"");
    CHECK_RJ(RJ_BOOL, RJ_STRING, "", "\"\"");
    CHECK_RJ(RJ_BOOL, RJ_STRING, "tf", "\"tf\"");
    CHECK_RJ(RJ_BOOL, RJ_STRING, "T", "\"T\"");
}

static void test_string_types(void)
{
    CHECK_OID(25, "", "\"\"");
    CHECK_OID(25, "NULL", "\"NULL\""); /* the text NULL, not SQL NULL */
    CHECK_OID(25, "quote\" backslash\\ tab\t nl\n esc\x1b",
              "\"quote\\\" backslash\\\\ tab\\t nl\\n esc\\u001b\"");
    CHECK_OID(25, "\xc3\xa9 \xf0\x9f\x98\x80", "\"\xc3\xa9 \xf0\x9f\x98\x80\"");
    CHECK_OID(25, "bad\xff", "\"bad\xef\xbf\xbd\"");
    CHECK_OID(1042, "ab  ", "\"ab  \"");
    CHECK_OID(1043, "ab ", "\"ab \"");
    CHECK_OID(17, "\\x00ff0102", "\"\\\\x00ff0102\"");
    CHECK_OID(17, "\\x", "\"\\\\x\"");
    CHECK_OID(18, "a", "\"a\"");
    CHECK_OID(19, "tablename", "\"tablename\"");
    CHECK_OID(142, "<a>x</a>", "\"<a>x</a>\"");
    CHECK_OID(790, "$1,234.50", "\"$1,234.50\"");
    CHECK_OID(1082, "2024-01-31", "\"2024-01-31\"");
    CHECK_OID(1082, "0044-03-15 BC", "\"0044-03-15 BC\"");
    CHECK_OID(1082, "infinity", "\"infinity\"");
    CHECK_OID(1083, "23:59:59.999999", "\"23:59:59.999999\"");
    CHECK_OID(1186, "1 year 2 mons 3 days 04:05:06.5", "\"1 year 2 mons 3 days 04:05:06.5\"");
    CHECK_OID(1186, "-1 days +02:00:00", "\"-1 days +02:00:00\"");
    CHECK_OID(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
              "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    /* timetz: to_jsonb leaves the text as is. */
    CHECK_OID(1266, "12:00:00+02", "\"12:00:00+02\"");
    CHECK_OID(1266, "12:00:00.25-05:30", "\"12:00:00.25-05:30\"");
    /* Unknown OID (an enum): a string. */
    CHECK_OID(16384, "happy", "\"happy\"");
}

static void test_json(void)
{
    CHECK_OID(114, "{\"a\": [1, 2.50, \"x\"], \"b\": null}",
              "{\"a\": [1, 2.50, \"x\"], \"b\": null}");
    CHECK_OID(3802, "{\"a\": [1, 2.50, \"x\"], \"b\": null}",
              "{\"a\": [1, 2.50, \"x\"], \"b\": null}");
    CHECK_OID(3802, "\"str\"", "\"str\"");
    CHECK_OID(114, "12.50", "12.50");
    CHECK_OID(3802, "null", "null");
}

static void test_timestamp(void)
{
    CHECK_OID(1114, "2024-01-31 12:34:56.5", "\"2024-01-31T12:34:56.5\"");
    CHECK_OID(1114, "2024-01-31 12:34:56", "\"2024-01-31T12:34:56\"");
    CHECK_OID(1114, "2024-01-31 12:34:56.123456", "\"2024-01-31T12:34:56.123456\"");
    CHECK_OID(1114, "0044-03-15 12:00:00 BC", "\"0044-03-15T12:00:00 BC\"");
    CHECK_OID(1114, "4713-01-01 00:00:00 BC", "\"4713-01-01T00:00:00 BC\"");
    CHECK_OID(1114, "12345-01-31 12:34:56", "\"12345-01-31T12:34:56\"");
    CHECK_OID(1114, "294276-12-31 23:59:59.999999", "\"294276-12-31T23:59:59.999999\"");
    CHECK_OID(1114, "infinity", "\"infinity\"");
    CHECK_OID(1114, "-infinity", "\"-infinity\"");
    /* Shapes Postgres does not send are left as they are. */
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "", "\"\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31", "\"2024-01-31\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31 12:34", "\"2024-01-31 12:34\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31 12:34:56.", "\"2024-01-31 12:34:56.\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31 12:34:56+00", "\"2024-01-31 12:34:56+00\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31 12:34:56 AD", "\"2024-01-31 12:34:56 AD\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31 12:34:56 B", "\"2024-01-31 12:34:56 B\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-1-31 12:34:56", "\"2024-1-31 12:34:56\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31T12:34:56", "\"2024-01-31T12:34:56\"");
    CHECK_RJ(RJ_TIMESTAMP, RJ_STRING, "2024-01-31 12:34:5\"", "\"2024-01-31 12:34:5\\\"\"");
}

static void test_timestamptz(void)
{
    CHECK_OID(1184, "2024-01-31 12:34:56+00", "\"2024-01-31T12:34:56+00:00\"");
    CHECK_OID(1184, "2024-01-31 12:34:56.5+00", "\"2024-01-31T12:34:56.5+00:00\"");
    CHECK_OID(1184, "2024-01-31 12:34:56.123456+00", "\"2024-01-31T12:34:56.123456+00:00\"");
    CHECK_OID(1184, "0044-03-15 12:00:00+00 BC", "\"0044-03-15T12:00:00+00:00 BC\"");
    CHECK_OID(1184, "12345-01-31 12:34:56+00", "\"12345-01-31T12:34:56+00:00\"");
    CHECK_OID(1184, "infinity", "\"infinity\"");
    CHECK_OID(1184, "-infinity", "\"-infinity\"");
    /* Other session time zones (checked with TimeZone=Asia/Kolkata and
     * America/New_York): minutes and LMT seconds are kept as they are. */
    CHECK_OID(1184, "2024-01-31 18:04:56+05:30", "\"2024-01-31T18:04:56+05:30\"");
    CHECK_OID(1184, "2024-01-31 07:34:56-05", "\"2024-01-31T07:34:56-05:00\"");
    CHECK_OID(1184, "1800-01-31 07:38:54-04:56:02", "\"1800-01-31T07:38:54-04:56:02\"");
    CHECK_OID(1184, "0044-01-31 07:38:54-04:56:02 BC", "\"0044-01-31T07:38:54-04:56:02 BC\"");
    /* Malformed offsets are left as they are. */
    CHECK_RJ(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56", "\"2024-01-31 12:34:56\"");
    CHECK_RJ(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56+0", "\"2024-01-31 12:34:56+0\"");
    CHECK_RJ(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56+00:", "\"2024-01-31 12:34:56+00:\"");
    CHECK_RJ(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56+00:00:00:00",
             "\"2024-01-31 12:34:56+00:00:00:00\"");
    CHECK_RJ(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56+00 BCE",
             "\"2024-01-31 12:34:56+00 BCE\"");
}

static void test_timetz(void)
{
    /* RJ_TIMETZ is the XSD rewrite; no OID maps to it (see test_string_types). */
    CHECK_RJ(RJ_TIMETZ, RJ_STRING, "12:00:00+02", "\"12:00:00+02:00\"");
    CHECK_RJ(RJ_TIMETZ, RJ_STRING, "12:00:00.25-05:30", "\"12:00:00.25-05:30\"");
    CHECK_RJ(RJ_TIMETZ, RJ_STRING, "12:00:00-04:56:02", "\"12:00:00-04:56:02\"");
    CHECK_RJ(RJ_TIMETZ, RJ_STRING, "12:00:00", "\"12:00:00\"");
    CHECK_RJ(RJ_TIMETZ, RJ_STRING, "12:00:00+02 BC", "\"12:00:00+02 BC\"");
}

static void test_array_basic(void)
{
    CHECK_OID(1007, "{1,2,3}", "[1,2,3]");
    CHECK_OID(1007, "{}", "[]");
    CHECK_OID(1007, "{42}", "[42]");
    CHECK_OID(1007, "{NULL}", "[null]");
    CHECK_OID(1007, "{1,NULL,3}", "[1,null,3]");
    CHECK_OID(1016, "{9223372036854775807,-9223372036854775808}",
              "[9223372036854775807,-9223372036854775808]");
    CHECK_OID(1028, "{1,2}", "[\"1\",\"2\"]");
    /* Unquoted NULL in any case is SQL NULL; quoted it is text. */
    CHECK_OID(1009, "{null,Null,nULL,\"NULL\",NULLS,NUL}",
              "[null,null,null,\"NULL\",\"NULLS\",\"NUL\"]");
}

static void test_array_bounds(void)
{
    CHECK_OID(1007, "[0:2]={1,2,3}", "[1,2,3]");
    CHECK_OID(1007, "[-5:-4]={1,2}", "[1,2]");
    CHECK_OID(1007, "[1:1][-2:-1]={{1,2}}", "[[1,2]]");
    CHECK_OID(1009, "[2:3]={a,\"b c\"}", "[\"a\",\"b c\"]");
    /* Malformed bounds: the whole text as a string. */
    ARR(RJ_INTEGER, "[0:2]{1,2,3}", "\"[0:2]{1,2,3}\"");
    ARR(RJ_INTEGER, "[0:2={1}", "\"[0:2={1}\"");
    ARR(RJ_INTEGER, "[0]={1}", "\"[0]={1}\"");
    ARR(RJ_INTEGER, "[a:b]={1}", "\"[a:b]={1}\"");
    ARR(RJ_INTEGER, "[0:2]=", "\"[0:2]=\"");
    ARR(RJ_INTEGER, "[0:1]={}", "\"[0:1]={}\"");
    ARR(RJ_INTEGER, "[0:", "\"[0:\"");
    ARR(RJ_INTEGER, "[", "\"[\"");
    /* Bounds for two dimensions on a one-dimensional literal. */
    ARR(RJ_INTEGER, "[1:1][1:1]={1}", "\"[1:1][1:1]={1}\"");
    ARR(RJ_INTEGER, "[1:1][1:1][1:1][1:1][1:1][1:1][1:1]={{{{{{{1}}}}}}}",
        "\"[1:1][1:1][1:1][1:1][1:1][1:1][1:1]={{{{{{{1}}}}}}}\"");
}

static void test_array_nested(void)
{
    CHECK_OID(1007, "{{1,2},{3,NULL}}", "[[1,2],[3,null]]");
    CHECK_OID(1016, "{{{1,2},{3,4}},{{5,6},{7,8}}}", "[[[1,2],[3,4]],[[5,6],[7,8]]]");
    CHECK_OID(1005, "{{{{{{1}}}}}}", "[[[[[[1]]]]]]");
    CHECK_OID(1000, "{{t,f},{NULL,t}}", "[[true,false],[null,true]]");
    CHECK_OID(1009, "{{a,\"b,c\"},{\"}\",\"{\"}}", "[[\"a\",\"b,c\"],[\"}\",\"{\"]]");
    /* Seven dimensions is more than Postgres' MAXDIM. */
    ARR(RJ_INTEGER, "{{{{{{{1}}}}}}}", "\"{{{{{{{1}}}}}}}\"");
}

static void test_array_quoted(void)
{
    CHECK_OID(1009, "{\"a,b\",\"c\\\"d\",\"e\\\\f\",NULL,\"NULL\",NULL,\"\",\" x \"}",
              "[\"a,b\",\"c\\\"d\",\"e\\\\f\",null,\"NULL\",null,\"\",\" x \"]");
    CHECK_OID(1009, "{\"{\",\"}\",\"a b\"}", "[\"{\",\"}\",\"a b\"]");
    CHECK_OID(1009, "{\"tab\there\",\"nl\nx\",\xc3\xa9\xf0\x9f\x98\x80}",
              "[\"tab\\there\",\"nl\\nx\",\"\xc3\xa9\xf0\x9f\x98\x80\"]");
    CHECK_OID(1014, "{\"ab \",\"cd \"}", "[\"ab \",\"cd \"]");
    CHECK_OID(1015, "{x,y}", "[\"x\",\"y\"]");
    CHECK_OID(1002, "{a,\"\\\"\",\"\\\\\"}", "[\"a\",\"\\\"\",\"\\\\\"]");
    CHECK_OID(1003, "{x,\"NULL\"}", "[\"x\",\"NULL\"]");
    CHECK_OID(1001, "{\"\\\\x01\",NULL,\"\\\\x\"}", "[\"\\\\x01\",null,\"\\\\x\"]");
    /* A backslash before an ordinary byte just drops (as in array_in). */
    CHECK_OID(1009, "{\"\\a\\b\"}", "[\"ab\"]");
    /* A quoted number in an int array is still a number. */
    CHECK_OID(1007, "{\"1\",2}", "[1,2]");
    /* Invalid UTF-8 inside an element becomes U+FFFD. */
    CHECK_OID(1009, "{\"\xff\",\xc3}", "[\"\xef\xbf\xbd\",\"\xef\xbf\xbd\"]");
}

static void test_array_element_kinds(void)
{
    CHECK_OID(1000, "{t,f,NULL}", "[true,false,null]");
    CHECK_OID(1231, "{NaN,Infinity,-Infinity,1.5,1234567890123456789012345678901234567890}",
              "[\"NaN\",\"Infinity\",\"-Infinity\",1.5,"
              "1234567890123456789012345678901234567890]");
    CHECK_OID(1022, "{NaN,1e+30,-Infinity,1.5e-10,-0}", "[\"NaN\",1e+30,\"-Infinity\",1.5e-10,-0]");
    CHECK_OID(1021, "{1.1,NaN}", "[1.1,\"NaN\"]");
    CHECK_OID(1115, "{\"2024-01-31 12:34:56.5\",infinity,\"0044-03-15 12:00:00 BC\"}",
              "[\"2024-01-31T12:34:56.5\",\"infinity\",\"0044-03-15T12:00:00 BC\"]");
    CHECK_OID(1185, "{\"2024-01-31 12:34:56.5+00\",-infinity,\"0044-03-15 12:00:00+00 BC\"}",
              "[\"2024-01-31T12:34:56.5+00:00\",\"-infinity\",\"0044-03-15T12:00:00+00:00 BC\"]");
    CHECK_OID(1182, "{2024-01-31,\"0044-03-15 BC\"}", "[\"2024-01-31\",\"0044-03-15 BC\"]");
    CHECK_OID(1183, "{12:00:00,13:30:15.5}", "[\"12:00:00\",\"13:30:15.5\"]");
    CHECK_OID(1270, "{12:00:00+02,13:00:00-05:30}", "[\"12:00:00+02\",\"13:00:00-05:30\"]");
    CHECK_OID(1187, "{\"1 day\",\"-1 mons +02:00:00\"}", "[\"1 day\",\"-1 mons +02:00:00\"]");
    CHECK_OID(2951, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
              "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
    CHECK_OID(791, "{$1.50,\"$1,000.00\"}", "[\"$1.50\",\"$1,000.00\"]");
    CHECK_OID(143, "{<a/>}", "[\"<a/>\"]");
    CHECK_OID(1041, "{10.0.0.1/8}", "[\"10.0.0.1/8\"]");
    CHECK_OID(1561, "{101}", "[\"101\"]");
    /* json elements are unescaped and passed through. */
    CHECK_OID(199, "{\"{\\\"a\\\": 1}\",\"[1, 2]\",\"\\\"s\\\\\\\"q\\\"\",\"null\",1}",
              "[{\"a\": 1},[1, 2],\"s\\\"q\",null,1]");
    CHECK_OID(3807, "{\"{\\\"a\\\": 1}\",\"null\",\"\\\"x\\\"\",NULL}",
              "[{\"a\": 1},null,\"x\",null]");
    /* An element that does not fit its kind is a string, like a scalar. */
    CHECK_OID(1007, "{1,x}", "[1,\"x\"]");
    /* An array element kind would nest: it is taken as string. */
    ARR(RJ_ARRAY, "{\"{1,2}\",x}", "[\"{1,2}\",\"x\"]");
    /* An unknown kind number is a string. */
    CHECK_RJ((enum rj_kind)99, RJ_STRING, "x\"", "\"x\\\"\"");
}

static void test_array_malformed(void)
{
    /* Every one of these is written as a JSON string of the whole text. */
    ARR(RJ_INTEGER, "", "\"\"");
    ARR(RJ_INTEGER, "1,2", "\"1,2\"");
    ARR(RJ_INTEGER, "{", "\"{\"");
    ARR(RJ_INTEGER, "}", "\"}\"");
    ARR(RJ_INTEGER, "{1", "\"{1\"");
    ARR(RJ_INTEGER, "{1,", "\"{1,\"");
    ARR(RJ_INTEGER, "{1,2", "\"{1,2\"");
    ARR(RJ_INTEGER, "{1,}", "\"{1,}\"");
    ARR(RJ_INTEGER, "{,1}", "\"{,1}\"");
    ARR(RJ_INTEGER, "{1,,2}", "\"{1,,2}\"");
    ARR(RJ_INTEGER, "{1}}", "\"{1}}\"");
    ARR(RJ_INTEGER, "{1}x", "\"{1}x\"");
    ARR(RJ_INTEGER, "{1}{2}", "\"{1}{2}\"");
    ARR(RJ_INTEGER, "{{}}", "\"{{}}\"");
    ARR(RJ_INTEGER, "{{1},{}}", "\"{{1},{}}\"");
    ARR(RJ_INTEGER, "{{1},2}", "\"{{1},2}\"");
    ARR(RJ_INTEGER, "{1,{2}}", "\"{1,{2}}\"");
    ARR(RJ_INTEGER, "{{1},{{2}}}", "\"{{1},{{2}}}\"");
    ARR(RJ_INTEGER, "{{1,2},{3}}", "\"{{1,2},{3}}\""); /* ragged */
    ARR(RJ_INTEGER, "{{{1},{2}},{{3}}}", "\"{{{1},{2}},{{3}}}\"");
    ARR(RJ_INTEGER, "{1{2}}", "\"{1{2}}\"");
    ARR(RJ_INTEGER, "{{1}x}", "\"{{1}x}\"");
    ARR(RJ_STRING, "{\"a}", "\"{\\\"a}\"");             /* unterminated quote */
    ARR(RJ_STRING, "{\"a\\\"}", "\"{\\\"a\\\\\\\"}\""); /* escaped closing quote */
    ARR(RJ_STRING, "{\"a\\", "\"{\\\"a\\\\\"");         /* backslash at the end */
    ARR(RJ_STRING, "{\"a\"b}", "\"{\\\"a\\\"b}\"");     /* text after the quote */
    ARR(RJ_STRING, "{a\"b\"}", "\"{a\\\"b\\\"}\"");     /* quote inside unquoted */
    ARR(RJ_STRING, "{a\\b}", "\"{a\\\\b}\"");           /* backslash unquoted */
    ARR(RJ_STRING, "{\"a\"", "\"{\\\"a\\\"\"");
    ARR(RJ_STRING, "x{a}", "\"x{a}\"");
    ARR(RJ_STRING, "{a}\n", "\"{a}\\n\"");
    /* Elements already written are rolled back. */
    ARR(RJ_TIMESTAMP, "{\"2024-01-31 12:34:56\",\"", "\"{\\\"2024-01-31 12:34:56\\\",\\\"\"");
}

/* The length is the truth: an array cut short by len is malformed even if
 * the rest of it is in memory, and nothing past len is read (the copy in
 * conv_n has no NUL after it, so ASan would see a read). */
static void test_length_is_the_truth(void)
{
    const char *text = "{1,2}";
    for (size_t n = 0; n < 5; n++) {
        struct buf want = BUF_INIT;
        buf_putc(&want, '"');
        buf_append(&want, text, n);
        buf_putc(&want, '"');
        char *got = conv_n(RJ_ARRAY, RJ_INTEGER, text, n);
        CHECK_STR(got, want.data);
        free(got);
        buf_free(&want);
    }
    char *got = conv_n(RJ_ARRAY, RJ_INTEGER, text, 5);
    CHECK_STR(got, "[1,2]");
    free(got);

    got = conv_n(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56+00 BC", 22);
    CHECK_STR(got, "\"2024-01-31T12:34:56+00:00\"");
    free(got);
    got = conv_n(RJ_TIMESTAMPTZ, RJ_STRING, "2024-01-31 12:34:56+00", 21);
    CHECK_STR(got, "\"2024-01-31 12:34:56+0\"");
    free(got);
    got = conv_n(RJ_BOOL, RJ_STRING, "tf", 1);
    CHECK_STR(got, "true");
    free(got);
    got = conv_n(RJ_INTEGER, RJ_STRING, "123", 2);
    CHECK_STR(got, "12");
    free(got);
    got = conv_n(RJ_NUMERIC, RJ_STRING, "NaNx", 3);
    CHECK_STR(got, "\"NaN\"");
    free(got);
}

/* A large array, to see that output stays linear and rollback of a long
 * partial output works. */
static void test_array_large(void)
{
    struct buf in = BUF_INIT, want = BUF_INIT;
    buf_putc(&in, '{');
    buf_putc(&want, '[');
    for (int i = 0; i < 5000; i++) {
        if (i) {
            buf_putc(&in, ',');
            buf_putc(&want, ',');
        }
        if (i % 7 == 3) {
            buf_puts(&in, "NULL");
            buf_puts(&want, "null");
        } else {
            buf_printf(&in, "\"a\\\"%d\"", i);
            buf_printf(&want, "\"a\\\"%d\"", i);
        }
    }
    buf_putc(&in, '}');
    buf_putc(&want, ']');
    /* CHECK, not CHECK_STR: a failure should not print 100 KB. */
    char *got = conv_n(RJ_ARRAY, RJ_STRING, in.data, in.len);
    CHECK(got != NULL && strcmp(got, want.data) == 0);
    free(got);

    /* The same with the last brace missing: one string of the whole. */
    got = conv_n(RJ_ARRAY, RJ_STRING, in.data, in.len - 1);
    CHECK(got != NULL && got[0] == '"' && strlen(got) > in.len);
    CHECK(got != NULL && strncmp(got, "\"{\\\"a\\\\\\\"0\\\"", 12) == 0);
    free(got);
    buf_free(&in);
    buf_free(&want);
}

int main(void)
{
    test_kind_for_oid();
    test_integer();
    test_numeric();
    test_float();
    test_bool();
    test_string_types();
    test_json();
    test_timestamp();
    test_timestamptz();
    test_timetz();
    test_array_basic();
    test_array_bounds();
    test_array_nested();
    test_array_quoted();
    test_array_element_kinds();
    test_array_malformed();
    test_length_is_the_truth();
    test_array_large();
    return TEST_REPORT();
}
