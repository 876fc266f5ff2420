/* test_batchparse: unit tests for batchparse.c.
 *
 * Every body is parsed three ways and must give the same outcome: fed in
 * one piece, one byte at a time, and cut in two at every byte boundary
 * (0..len). The outcome is one line of text (see outcome()): "ok" with every
 * key's values in order and the select list, or the error kind and, for
 * INVALID_KEY, the index of the key at fault; so each check below states
 * the whole result exactly. After an error, every further feed and finish
 * must return the same error, and the message must be a non-empty
 * sentence of printable UTF-8.
 *
 * Bodies are written with ' for " (a literal ' is written \\u0027) and are
 * passed as heap copies of exactly their length with no NUL after them, so
 * that AddressSanitizer catches a read past len.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "batchparse.h"
#include "buf.h"
#include "harness.h"
#include "jsonw.h"

struct table {
    const char *const *cols;
    size_t ncols, max_keys;
};

static const char *const ID[] = {"id"};
static const char *const CD[] = {"customer_id", "day"};
static const char *const ABC[] = {"a", "b", "c"};

static const struct table T1 = {ID, 1, 100};
static const struct table T2 = {CD, 2, 100};
static const struct table T3 = {ABC, 3, 100};
static const struct table T0 = {NULL, 0, 100}; /* a table without a key */

struct body {
    char *p; /* exactly n bytes, not NUL-terminated */
    size_t n;
};

static struct body raw(const char *p, size_t n)
{
    struct body b = {malloc(n ? n : 1), n};
    if (n)
        memcpy(b.p, p, n);
    return b;
}

/* ' becomes "; everything else is copied. */
static struct body json(const char *tmpl)
{
    struct body b = raw(tmpl, strlen(tmpl));
    for (size_t i = 0; i < b.n; i++)
        if (b.p[i] == '\'')
            b.p[i] = '"';
    return b;
}

/* ------------------------------------------------------------ outcomes */

/* A message: non-empty, no control characters, valid UTF-8, and short. */
static bool message_ok(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n >= 256 || !jsonw_valid_utf8(m, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)m[i] < 0x20 || m[i] == 0x7f)
            return false;
    return true;
}

/* A value or name in an outcome: bytes outside printable ASCII and the
 * separators \ [ ] , as \xHH, so that the line states every byte. */
static void put_escaped(struct buf *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f || strchr("\\[],", *p))
            buf_printf(o, "\\x%02x", *p);
        else
            buf_putc(o, (char)*p);
    }
}

static const char *const kinds[] = {"OK", "INVALID_BODY", "INVALID_KEY", "TOO_LARGE"};

/* Parses b fed in pieces and describes what came of it:
 *   "ok [v,v] [v,v] select[a,b]"   ("select[...]" only when present)
 *   "INVALID_KEY 2", "INVALID_BODY", "TOO_LARGE"
 * with " (feed after error)", " (finish after error)" or " (bad message: ...)"
 * appended when the API broke its word. step > 0: step bytes at a time;
 * step == 0: two feeds, cut at `cut`. The caller frees the text. */
static char *outcome(const struct table *t, struct body b, size_t step, size_t cut)
{
    struct batchparse *bp = batchparse_new(t->cols, t->ncols, t->max_keys);
    struct buf o = BUF_INIT;
    enum batch_error e = BATCH_OK, first = BATCH_OK;
    bool drift = false;

    if (step > 0) {
        for (size_t i = 0; i < b.n; i += step) {
            size_t len = b.n - i < step ? b.n - i : step;
            e = batchparse_feed(bp, b.p + i, len);
            if (first != BATCH_OK && e != first)
                drift = true;
            if (first == BATCH_OK)
                first = e;
        }
    } else {
        e = batchparse_feed(bp, b.p, cut);
        first = e;
        e = batchparse_feed(bp, b.p + cut, b.n - cut);
        if (first != BATCH_OK && e != first)
            drift = true;
        if (first == BATCH_OK)
            first = e;
    }
    e = batchparse_finish(bp);
    if (first != BATCH_OK && e != first)
        buf_puts(&o, "(finish after error) ");
    if (drift)
        buf_puts(&o, "(feed after error) ");

    if (e == BATCH_OK) {
        buf_puts(&o, "ok");
        size_t nk = batchparse_nkeys(bp);
        if (nk > t->max_keys)
            buf_puts(&o, " (more keys than max_keys)");
        for (size_t i = 0; i < nk; i++) {
            buf_puts(&o, " [");
            for (size_t c = 0; c < t->ncols; c++) {
                if (c)
                    buf_putc(&o, ',');
                put_escaped(&o, batchparse_value(bp, i, c));
            }
            buf_putc(&o, ']');
        }
        if (batchparse_has_select(bp)) {
            buf_puts(&o, " select[");
            for (size_t i = 0; i < batchparse_nselect(bp); i++) {
                if (i)
                    buf_putc(&o, ',');
                put_escaped(&o, batchparse_select(bp, i));
            }
            buf_putc(&o, ']');
        } else if (batchparse_nselect(bp) != 0) {
            buf_puts(&o, " (names without select)");
        }
    } else {
        buf_puts(&o, (unsigned)e < 4 ? kinds[e] : "(unknown error)");
        if (e == BATCH_INVALID_KEY)
            buf_printf(&o, " %zu", batchparse_error_index(bp));
        if (!message_ok(batchparse_message(bp)))
            buf_printf(&o, " (bad message: \"%s\")", batchparse_message(bp));
        /* Again: the error sticks. */
        if (batchparse_feed(bp, "[", 1) != e || batchparse_finish(bp) != e)
            buf_puts(&o, " (error did not stick)");
    }
    batchparse_free(bp);
    return buf_steal(&o, NULL);
}

/* The body parses to want in one piece, byte by byte and cut anywhere. */
static int parses_body(const struct table *t, struct body b, const char *shown_as,
                       const char *want)
{
    int good = 1;
    char *got = outcome(t, b, b.n ? b.n : 1, 0);
    if (strcmp(got, want) != 0) {
        printf("  (%s: whole: got \"%s\", want \"%s\")\n", shown_as, got, want);
        good = 0;
    }
    free(got);
    got = outcome(t, b, 1, 0);
    if (strcmp(got, want) != 0) {
        printf("  (%s: byte by byte: got \"%s\", want \"%s\")\n", shown_as, got, want);
        good = 0;
    }
    free(got);
    for (size_t cut = 0; cut <= b.n && good; cut++) {
        got = outcome(t, b, 0, cut);
        if (strcmp(got, want) != 0) {
            printf("  (%s: cut at %zu: got \"%s\", want \"%s\")\n", shown_as, cut, got, want);
            good = 0;
        }
        free(got);
    }
    free(b.p);
    return good;
}

static int parses(const struct table *t, const char *tmpl, const char *want)
{
    return parses_body(t, json(tmpl), tmpl, want);
}

/* For bodies holding bytes a template cannot (a NUL). */
static int parses_raw(const struct table *t, const char *p, size_t n, const char *want)
{
    return parses_body(t, raw(p, n), "(raw body)", want);
}

/* ------------------------------------------------------------ key forms */

static void test_forms_one_column(void)
{
    CHECK(parses(&T1, "{'keys':[42]}", "ok [42]"));
    CHECK(parses(&T1, "{'keys':['abc']}", "ok [abc]"));
    CHECK(parses(&T1, "{'keys':[[42]]}", "ok [42]"));
    CHECK(parses(&T1, "{'keys':[['abc']]}", "ok [abc]"));
    CHECK(parses(&T1, "{'keys':[{'id':42}]}", "ok [42]"));
    CHECK(parses(&T1, "{'keys':[{'id':'abc'}]}", "ok [abc]"));
    CHECK(parses(&T1, "{'keys':[1,[2],{'id':'3'},'4']}", "ok [1] [2] [3] [4]"));
    CHECK(parses(&T1, "{'keys':['']}", "ok []"));
    CHECK(parses(&T1, "{'keys':['a b']}", "ok [a b]"));
}

static void test_forms_two_columns(void)
{
    CHECK(parses(&T2, "{'keys':[{'customer_id':42,'day':'2024-01-31'}]}",
                 "ok [42,2024-01-31]"));
    CHECK(parses(&T2, "{'keys':[{'day':'2024-01-31','customer_id':42}]}",
                 "ok [42,2024-01-31]"));
    CHECK(parses(&T2, "{'keys':[[42,'2024-01-31']]}", "ok [42,2024-01-31]"));
    /* The array is taken in primary-key order, whatever the values look like. */
    CHECK(parses(&T2, "{'keys':[['2024-01-31',42]]}", "ok [2024-01-31,42]"));
    CHECK(parses(&T2,
                 "{'keys':[[1,'a'],{'day':'b','customer_id':2},{'customer_id':'3','day':4},"
                 "['5','6']]}",
                 "ok [1,a] [2,b] [3,4] [5,6]"));
    CHECK(parses(&T3, "{'keys':[{'c':3,'a':1,'b':2},{'b':'y','c':'z','a':'x'},[7,8,9]]}",
                 "ok [1,2,3] [x,y,z] [7,8,9]"));
    /* White space everywhere JSON allows it. */
    CHECK(parses(&T2,
                 " \n\t{ 'keys' :\r\n[ [ 1 , 'a' ] ,\t{ 'day' : 'b' , 'customer_id' : 2 } ] "
                 ", 'select' : [ 'x' ] }\r\n ",
                 "ok [1,a] [2,b] select[x]"));
}

static void test_numbers_as_written(void)
{
    CHECK(parses(&T1, "{'keys':[9007199254740993]}", "ok [9007199254740993]"));
    CHECK(parses(&T1, "{'keys':[-0]}", "ok [-0]"));
    CHECK(parses(&T1, "{'keys':[1.50]}", "ok [1.50]"));
    CHECK(parses(&T1, "{'keys':[1e3]}", "ok [1e3]"));
    CHECK(parses(&T1, "{'keys':[-12.5E-3]}", "ok [-12.5E-3]"));
    CHECK(parses(&T1,
                 "{'keys':[0,-1,1E+2,0.0,123456789012345678901234567890,"
                 "1e400,-9223372036854775809,18446744073709551616]}",
                 "ok [0] [-1] [1E+2] [0.0] [123456789012345678901234567890] [1e400] "
                 "[-9223372036854775809] [18446744073709551616]"));
    CHECK(parses(&T2, "{'keys':[[9007199254740993,-0],{'day':1.50,'customer_id':-12.5E-3}]}",
                 "ok [9007199254740993,-0] [-12.5E-3,1.50]"));
    /* A number and the same digits as a string are both kept as written. */
    CHECK(parses(&T1, "{'keys':[1.0,'1.0',1]}", "ok [1.0] [1.0] [1]"));
    /* Not JSON numbers. */
    CHECK(parses(&T1, "{'keys':[01]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1.]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[.5]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[+1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[-]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1e]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[0x10]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[NaN]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[Infinity]}", "INVALID_BODY"));
}

static void test_strings(void)
{
    CHECK(parses(&T1, "{'keys':['a\\'b']}", "ok [a\"b]"));
    CHECK(parses(&T1, "{'keys':['a\\\\b']}", "ok [a\\x5cb]"));
    CHECK(parses(&T1, "{'keys':['caf\\u00e9']}", "ok [caf\\xc3\\xa9]"));
    CHECK(parses(&T1, "{'keys':['caf\xc3\xa9']}", "ok [caf\\xc3\\xa9]")); /* raw UTF-8 */
    CHECK(parses(&T1, "{'keys':['\\ud83d\\ude00']}", "ok [\\xf0\\x9f\\x98\\x80]"));
    CHECK(parses(&T1, "{'keys':['\\uD83D\\uDE00!']}", "ok [\\xf0\\x9f\\x98\\x80!]"));
    CHECK(parses(&T1, "{'keys':['\\u20ac\\u0041\\u007f']}", "ok [\\xe2\\x82\\xacA\\x7f]"));
    CHECK(parses(&T1, "{'keys':['\\/\\b\\f\\n\\r\\t']}", "ok [/\\x08\\x0c\\x0a\\x0d\\x09]"));
    CHECK(parses(&T1, "{'keys':['\\u0027']}", "ok [']"));
    CHECK(parses(&T2, "{'keys':[{'day':'\\u00e9\\\\','customer_id':'\\''}]}",
                 "ok [\",\\xc3\\xa9\\x5c]"));
    /* Member names are unescaped too. */
    CHECK(parses(&T1, "{'k\\u0065ys':[{'\\u0069d':5}]}", "ok [5]"));
    /* Bad escapes. */
    CHECK(parses(&T1, "{'keys':['\\x']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\\u00']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\\u00g0']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\\']}", "INVALID_BODY"));
}

static void test_duplicates_and_empty(void)
{
    CHECK(parses(&T1, "{'keys':[1,1,[1],{'id':1},'1']}", "ok [1] [1] [1] [1] [1]"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],{'day':'a','customer_id':1},[1,'a']]}",
                 "ok [1,a] [1,a] [1,a]"));
    CHECK(parses(&T1, "{'keys':[]}", "ok"));
    CHECK(parses(&T2, "{'keys':[]}", "ok"));
    CHECK(parses(&T1, "{ 'keys' : [ ] }", "ok"));
    CHECK(parses(&T0, "{'keys':[]}", "ok"));
}

static void test_select(void)
{
    CHECK(parses(&T1, "{'keys':[1]}", "ok [1]"));
    CHECK(parses(&T1, "{'keys':[1],'select':[]}", "ok [1] select[]"));
    CHECK(parses(&T1, "{'keys':[1],'select':['b','a','c']}", "ok [1] select[b,a,c]"));
    CHECK(parses(&T1, "{'select':['name','id'],'keys':[1]}", "ok [1] select[name,id]"));
    CHECK(parses(&T1, "{'keys':[],'select':['a','a']}", "ok select[a,a]"));
    CHECK(parses(&T1, "{'keys':[1],'select':['caf\\u00e9','','x,y']}",
                 "ok [1] select[caf\\xc3\\xa9,,x\\x2cy]"));
    CHECK(parses(&T1, "{'select':[],'keys':[]}", "ok select[]"));

    /* The API directly: has_select tells absent from empty. */
    const char *bodies[] = {"{\"keys\":[]}", "{\"keys\":[],\"select\":[]}",
                            "{\"keys\":[],\"select\":[\"x\",\"y\"]}"};
    for (int k = 0; k < 3; k++) {
        struct batchparse *bp = batchparse_new(ID, 1, 10);
        CHECK_INT(batchparse_feed(bp, bodies[k], strlen(bodies[k])), BATCH_OK);
        CHECK_INT(batchparse_finish(bp), BATCH_OK);
        CHECK_INT(batchparse_nkeys(bp), 0);
        CHECK_INT(batchparse_has_select(bp), k > 0);
        CHECK_INT(batchparse_nselect(bp), k == 2 ? 2 : 0);
        if (k == 2) {
            CHECK_STR(batchparse_select(bp, 0), "x");
            CHECK_STR(batchparse_select(bp, 1), "y");
        }
        batchparse_free(bp);
    }

    /* Bad selects. */
    CHECK(parses(&T1, "{'keys':[1],'select':'a'}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':null}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':{}}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':{'a':1}}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':1}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['a',1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['a',null]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':[true]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':[['a']]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':[{'a':1}]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['a\\u0000b']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['\\u0000']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['a'],'select':['a']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'select':[],'keys':[1],'select':[]}", "INVALID_BODY"));
}

static void test_select_many(void)
{
    /* 256 names (what the header promises) are fine; thousands are not. */
    struct buf b = BUF_INIT;
    buf_puts(&b, "{'keys':[1],'select':[");
    for (int i = 0; i < 256; i++)
        buf_printf(&b, "%s'c%d'", i ? "," : "", i);
    buf_puts(&b, "]}");
    struct body body = json(b.data);
    struct batchparse *bp = batchparse_new(ID, 1, 10);
    CHECK_INT(batchparse_feed(bp, body.p, body.n), BATCH_OK);
    CHECK_INT(batchparse_finish(bp), BATCH_OK);
    CHECK_INT(batchparse_nselect(bp), 256);
    CHECK_STR(batchparse_select(bp, 0), "c0");
    CHECK_STR(batchparse_select(bp, 255), "c255");
    batchparse_free(bp);
    free(body.p);

    buf_reset(&b);
    buf_puts(&b, "{\"keys\":[1],\"select\":[");
    for (int i = 0; i < 5000; i++)
        buf_printf(&b, "%s\"c\"", i ? "," : "");
    buf_puts(&b, "]}");
    bp = batchparse_new(ID, 1, 10);
    enum batch_error e = batchparse_feed(bp, b.data, b.len);
    if (e == BATCH_OK)
        e = batchparse_finish(bp);
    CHECK_INT(e, BATCH_INVALID_BODY);
    CHECK(message_ok(batchparse_message(bp)));
    batchparse_free(bp);
    buf_free(&b);
}

/* ------------------------------------------------------------ errors */

static void test_not_a_body(void)
{
    CHECK(parses(&T1, "", "INVALID_BODY"));
    CHECK(parses(&T1, " \r\n\t ", "INVALID_BODY"));
    CHECK(parses(&T1, "[1]", "INVALID_BODY"));
    CHECK(parses(&T1, "[{'keys':[1]}]", "INVALID_BODY"));
    CHECK(parses(&T1, "42", "INVALID_BODY"));
    CHECK(parses(&T1, "-1.5e3 ", "INVALID_BODY"));
    CHECK(parses(&T1, "'keys'", "INVALID_BODY"));
    CHECK(parses(&T1, "null", "INVALID_BODY"));
    CHECK(parses(&T1, "true", "INVALID_BODY"));
    CHECK(parses(&T1, "false", "INVALID_BODY"));
    CHECK(parses(&T1, "nope", "INVALID_BODY"));
    CHECK(parses(&T1, "<html></html>", "INVALID_BODY"));
    CHECK(parses(&T1, "keys=1&keys=2", "INVALID_BODY"));
    CHECK(parses(&T1, "{keys:[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1,]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[,1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys' [1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]]}", "INVALID_BODY"));
    CHECK(parses(&T1, "/* c */{'keys':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}// c", "INVALID_BODY"));
    CHECK(parses_raw(&T1, "{\"keys\":[1]}\0", 13, "INVALID_BODY"));
    CHECK(parses_raw(&T1, "\0{\"keys\":[1]}", 13, "INVALID_BODY"));
    CHECK(parses_raw(&T1, "{\"keys\":[\"a\0b\"]}", 16, "INVALID_BODY"));
    /* No "keys". */
    CHECK(parses(&T1, "{}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'select':['a']}", "INVALID_BODY"));
}

static void test_truncated_and_trailing(void)
{
    static const char *cut_short[] = {
        "{",          "{'",        "{'keys'",        "{'keys':",      "{'keys':[",
        "{'keys':[1", "{'keys':[1,", "{'keys':[1]",   "{'keys':[1],",  "{'keys':['a",
        "{'keys':['a\\", "{'keys':['\\u00", "{'keys':[[1", "{'keys':[{'id'", "{'keys':[{'id':1",
        "{'keys':[1],'select':['a'", "{'keys':[tru", "{'keys':[1]} {",
    };
    for (size_t i = 0; i < sizeof cut_short / sizeof *cut_short; i++)
        CHECK(parses(&T1, cut_short[i], "INVALID_BODY"));

    CHECK(parses(&T1, "{'keys':[1]} x", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}x", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}t", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}1", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}{}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}{'keys':[2]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]},", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}''", "INVALID_BODY"));
    /* Trailing white space is fine. */
    CHECK(parses(&T1, "{'keys':[1]} \r\n\t", "ok [1]"));
}

static void test_members(void)
{
    CHECK(parses(&T1, "{'keys':1}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':'1'}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':{}}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':{'id':1}}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':null}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':true}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'keys':[2]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[],'keys':[]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':[],'keys':[2]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'limit':5}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'limit':5,'keys':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'Keys':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys ':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'key':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys\\u0000':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'SELECT':['a']}", "INVALID_BODY"));
    /* The first error is the one reported. */
    CHECK(parses(&T1, "{'keys':[null],'bogus':1}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'bogus':1,'keys':[null]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1,2],'select':[1]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1,null]} x", "INVALID_KEY 1"));
}

static void test_bad_values(void)
{
    /* null, true, false, an object, an array where a value belongs, in each
     * form, at the index of the key. */
    CHECK(parses(&T1, "{'keys':[null]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[1,true]}", "INVALID_KEY 1"));
    CHECK(parses(&T1, "{'keys':[1,2,false]}", "INVALID_KEY 2"));
    CHECK(parses(&T1, "{'keys':[1,2,[null]]}", "INVALID_KEY 2"));
    CHECK(parses(&T1, "{'keys':[1,2,{'id':true}]}", "INVALID_KEY 2"));
    CHECK(parses(&T1, "{'keys':[[[1]]]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[[{}]]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'id':[1]}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'id':{}}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'id':null}]}", "INVALID_KEY 0"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[2,'b'],[3,null]]}", "INVALID_KEY 2"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[2,'b'],[false,'c']]}", "INVALID_KEY 2"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],{'customer_id':2,'day':true}]}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],{'day':{},'customer_id':2}]}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,[]]]}", "INVALID_KEY 0"));
    /* \u0000 in a value. */
    CHECK(parses(&T1, "{'keys':['a\\u0000b']}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[1,'\\u0000']}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[2,'b\\u0000']]}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[2,'b'],{'customer_id':'\\u0000','day':1}]}",
                 "INVALID_KEY 2"));
}

static void test_bad_shapes(void)
{
    /* Arrays with too few or too many values. */
    CHECK(parses(&T2, "{'keys':[[1]]}", "INVALID_KEY 0"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[]]}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[2,'b'],[3,'c','d']]}", "INVALID_KEY 2"));
    CHECK(parses(&T1, "{'keys':[[1,2]]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[[]]}", "INVALID_KEY 0"));
    CHECK(parses(&T3, "{'keys':[[1,2,3],[1,2]]}", "INVALID_KEY 1"));
    /* Objects with a column missing, unknown or repeated. */
    CHECK(parses(&T2, "{'keys':[{'customer_id':1}]}", "INVALID_KEY 0"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],{'day':'b'}]}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],{}]}", "INVALID_KEY 1"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],[2,'b'],{'customer_id':3,'day':'c','x':1}]}",
                 "INVALID_KEY 2"));
    CHECK(parses(&T2, "{'keys':[{'customer_id':1,'customer_id':2,'day':'a'}]}",
                 "INVALID_KEY 0"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],{'day':'a','customer_id':1,'day':'a'}]}",
                 "INVALID_KEY 1"));
    CHECK(parses(&T1, "{'keys':[{'ID':1}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'id ':1}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'i':1}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'idx':1}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'id\\u0000':1}]}", "INVALID_KEY 0"));
    CHECK(parses(&T1, "{'keys':[{'':1}]}", "INVALID_KEY 0"));
    /* A bare value for a two-column key. */
    CHECK(parses(&T2, "{'keys':[42]}", "INVALID_KEY 0"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],'2024-01-31']}", "INVALID_KEY 1"));
    CHECK(parses(&T3, "{'keys':[[1,2,3],[4,5,6],7]}", "INVALID_KEY 2"));
    /* A table without a key takes no key in any form. */
    CHECK(parses(&T0, "{'keys':[1]}", "INVALID_KEY 0"));
    CHECK(parses(&T0, "{'keys':[[]]}", "INVALID_KEY 0"));
    CHECK(parses(&T0, "{'keys':[{}]}", "INVALID_KEY 0"));
}

static void test_utf8(void)
{
    /* Bytes that are not UTF-8, refused by yajl itself... */
    CHECK(parses(&T1, "{'keys':['a\xff']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\x80']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\xc3']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\xe2\x82']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['\xfe']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1]}\xff", "INVALID_BODY"));
    CHECK(parses(&T1, "\xef\xbb\xbf{'keys':[1]}", "INVALID_BODY")); /* a BOM */
    /* ...and the ones it lets through: overlong, surrogate, past U+10FFFF. */
    CHECK(parses(&T1, "{'keys':['\xc0\xaf']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\xe0\x80\xaf']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\xed\xa0\x80']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\xf4\x90\x80\x80']}", "INVALID_BODY"));
    CHECK(parses(&T2, "{'keys':[[1,'a'],['\xc0\xaf',1]]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['\xed\xbf\xbf']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[{'\xc0\xaf':1}]}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'\xc0\xaf':1}", "INVALID_BODY"));
    /* A lone low surrogate escape, which yajl encodes as a surrogate. */
    CHECK(parses(&T1, "{'keys':['\\udc00']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':[1],'select':['\\udfff']}", "INVALID_BODY"));
    /* Good UTF-8 of every length. */
    CHECK(parses(&T1, "{'keys':['\x7f\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf']}",
                 "ok [\\x7f\\xc2\\x80\\xe0\\xa0\\x80\\xf0\\x90\\x80\\x80\\xf4\\x8f\\xbf\\xbf]"));
    /* Raw control characters are not allowed in a JSON string. */
    CHECK(parses(&T1, "{'keys':['a\tb']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['a\nb']}", "INVALID_BODY"));
    CHECK(parses(&T1, "{'keys':['\x01']}", "INVALID_BODY"));
}

/* ------------------------------------------------------------ limits */

static void test_too_large(void)
{
    static const struct table t3 = {ID, 1, 3}, t3b = {CD, 2, 3}, t0 = {ID, 1, 0};
    CHECK(parses(&t3, "{'keys':[1,2,3]}", "ok [1] [2] [3]"));
    CHECK(parses(&t3, "{'keys':[1,2,3,4]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[[1],[2],[3]]}", "ok [1] [2] [3]"));
    CHECK(parses(&t3, "{'keys':[[1],[2],[3],[4]]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[{'id':1},{'id':2},{'id':3},{'id':4}]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,'4']}", "TOO_LARGE"));
    CHECK(parses(&t3b, "{'keys':[[1,'a'],[2,'b'],[3,'c']]}", "ok [1,a] [2,b] [3,c]"));
    CHECK(parses(&t3b, "{'keys':[[1,'a'],[2,'b'],[3,'c'],{'customer_id':4,'day':'d'}]}",
                 "TOO_LARGE"));
    CHECK(parses(&t0, "{'keys':[]}", "ok"));
    CHECK(parses(&t0, "{'keys':[1]}", "TOO_LARGE"));
    CHECK(parses(&t0, "{'keys':[[1]]}", "TOO_LARGE"));
    /* The key past the limit is refused as such, whatever it holds. */
    CHECK(parses(&t3, "{'keys':[1,2,3,null]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,true]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,[]]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,{'x':1}]}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,'\\u0000']}", "TOO_LARGE"));
    CHECK(parses(&t3b, "{'keys':[[1,'a'],[2,'b'],[3,'c'],4]}", "TOO_LARGE"));
    /* ...but a bad key before it is reported first. */
    CHECK(parses(&t3, "{'keys':[1,null,3,4]}", "INVALID_KEY 1"));
    /* The rest of the body does not matter: it may even be broken. */
    CHECK(parses(&t3, "{'keys':[1,2,3,4,}}}", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,4", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,[", "TOO_LARGE"));
    CHECK(parses(&t3, "{'keys':[1,2,3,'4',", "TOO_LARGE"));
}

/* max_keys keys are fine and max_keys + 1 are not, across the growth of the
 * value array (16 keys' worth at first, then doubling). */
static void test_many_keys(void)
{
    for (size_t max = 1000; max <= 1001; max++) {
        struct buf b = BUF_INIT;
        buf_puts(&b, "{\"keys\":[");
        for (int i = 0; i < 1001; i++) {
            if (i % 3 == 0)
                buf_printf(&b, "%s[%d,\"d%d\"]", i ? "," : "", i, i);
            else if (i % 3 == 1)
                buf_printf(&b, ",{\"day\":\"d%d\",\"customer_id\":%d}", i, i);
            else
                buf_printf(&b, ",[\"%d\",\"d%d\"]", i, i);
        }
        buf_puts(&b, "]}");
        struct batchparse *bp = batchparse_new(CD, 2, max);
        /* In pieces of 7 bytes, as the network might hand them over. */
        enum batch_error e = BATCH_OK;
        for (size_t i = 0; i < b.len && e == BATCH_OK; i += 7)
            e = batchparse_feed(bp, b.data + i, b.len - i < 7 ? b.len - i : 7);
        if (e == BATCH_OK)
            e = batchparse_finish(bp);
        if (max == 1000) {
            CHECK_INT(e, BATCH_TOO_LARGE);
        } else {
            CHECK_INT(e, BATCH_OK);
            CHECK_INT(batchparse_nkeys(bp), 1001);
            int bad = 0;
            for (size_t i = 0; i < 1001; i++) {
                char want0[16], want1[16];
                snprintf(want0, sizeof want0, "%zu", i);
                snprintf(want1, sizeof want1, "d%zu", i);
                bad += strcmp(batchparse_value(bp, i, 0), want0) != 0 ||
                       strcmp(batchparse_value(bp, i, 1), want1) != 0;
            }
            CHECK_INT(bad, 0);
            CHECK_STR(batchparse_value(bp, 1000, 1), "d1000");
        }
        batchparse_free(bp);
        buf_free(&b);
    }
}

/* The feed that holds the end of the first key past the limit returns
 * TOO_LARGE, the rest of the body never arriving: prefix p (its last byte
 * ends the excess key), cut in two at every boundary. */
static int refused_at(const struct table *t, const char *tmpl)
{
    struct body b = json(tmpl);
    int good = 1;
    for (size_t cut = 0; cut <= b.n; cut++) {
        struct batchparse *bp = batchparse_new(t->cols, t->ncols, t->max_keys);
        enum batch_error e1 = batchparse_feed(bp, b.p, cut);
        enum batch_error e2 = batchparse_feed(bp, b.p + cut, b.n - cut);
        /* The first feed ends the key only when it takes every byte. */
        enum batch_error w1 = cut == b.n ? BATCH_TOO_LARGE : BATCH_OK;
        if (e1 != w1 || e2 != BATCH_TOO_LARGE) {
            printf("  (%s cut at %zu: feeds gave %d %d)\n", tmpl, cut, e1, e2);
            good = 0;
        }
        batchparse_free(bp); /* no finish: the client stopped there */
    }
    free(b.p);
    return good;
}

static void test_too_large_streaming(void)
{
    static const struct table t2 = {ID, 1, 2}, t2b = {CD, 2, 2};
    CHECK(refused_at(&t2, "{'keys':[1,2,3,"));
    CHECK(refused_at(&t2, "{'keys':[1,2,3]"));
    CHECK(refused_at(&t2, "{'keys':[1,2,3 "));
    CHECK(refused_at(&t2, "{'keys':[1,2,'x'"));
    CHECK(refused_at(&t2, "{'keys':[1,2,null"));
    CHECK(refused_at(&t2, "{'keys':[1,2,["));
    CHECK(refused_at(&t2, "{'keys':[[1],{'id':2},{"));
    CHECK(refused_at(&t2b, "{'keys':[[1,'a'],{'customer_id':2,'day':'b'},["));
    CHECK(refused_at(&t2b, "{ 'keys' : [ [ 1 , 'a' ] , [ 2 , 'b' ] , {"));

    /* A long body fed a byte at a time stops at the excess key: nothing
     * after it is read, and what came before was not refused early. */
    struct buf b = BUF_INIT;
    buf_puts(&b, "{\"keys\":[");
    for (int i = 0; i < 10000; i++)
        buf_printf(&b, "%s[%d]", i ? "," : "", i);
    buf_puts(&b, "]}");
    struct batchparse *bp = batchparse_new(ID, 1, 5);
    size_t i = 0;
    enum batch_error e = BATCH_OK;
    for (; i < b.len && e == BATCH_OK; i++)
        e = batchparse_feed(bp, b.data + i, 1);
    CHECK_INT(e, BATCH_TOO_LARGE);
    CHECK_INT(i, strlen("{\"keys\":[[0],[1],[2],[3],[4],["));
    CHECK(message_ok(batchparse_message(bp)));
    CHECK_INT(batchparse_finish(bp), BATCH_TOO_LARGE);
    batchparse_free(bp);
    buf_free(&b);
}

/* ------------------------------------------------------------ pieces */

static enum batch_error feed_str(struct batchparse *bp, const char *s)
{
    return batchparse_feed(bp, s, strlen(s));
}

static void test_feeding(void)
{
    /* Empty feeds, a NULL one among them, change nothing. */
    struct batchparse *bp = batchparse_new(ID, 1, 10);
    CHECK_INT(batchparse_feed(bp, NULL, 0), BATCH_OK);
    CHECK_INT(feed_str(bp, "{\"keys\":[7"), BATCH_OK);
    CHECK_INT(batchparse_feed(bp, NULL, 0), BATCH_OK);
    CHECK_INT(feed_str(bp, "7]}"), BATCH_OK);
    CHECK_INT(batchparse_finish(bp), BATCH_OK);
    CHECK_INT(batchparse_nkeys(bp), 1);
    CHECK_STR(batchparse_value(bp, 0, 0), "77");
    CHECK_INT(batchparse_has_select(bp), 0);
    CHECK_INT(batchparse_nselect(bp), 0);
    batchparse_free(bp);

    /* Finish with nothing fed at all. */
    bp = batchparse_new(ID, 1, 10);
    CHECK_INT(batchparse_finish(bp), BATCH_INVALID_BODY);
    CHECK(message_ok(batchparse_message(bp)));
    batchparse_free(bp);

    /* After an error, feeds do nothing and return it; so does finish. */
    bp = batchparse_new(CD, 2, 10);
    CHECK_INT(feed_str(bp, "{\"keys\":[[1,\"a\"],[2]"), BATCH_INVALID_KEY);
    CHECK_INT(batchparse_error_index(bp), 1);
    CHECK_INT(feed_str(bp, ",[3,\"c\"]]}"), BATCH_INVALID_KEY);
    CHECK_INT(feed_str(bp, "garbage"), BATCH_INVALID_KEY);
    CHECK_INT(batchparse_finish(bp), BATCH_INVALID_KEY);
    CHECK_INT(batchparse_error_index(bp), 1);
    batchparse_free(bp);

    /* batchparse_free(NULL) is a no-op. */
    batchparse_free(NULL);
    CHECK(1);

    /* A long value, split across many feeds, comes back whole. */
    struct buf b = BUF_INIT, want = BUF_INIT;
    buf_puts(&b, "{\"keys\":[\"");
    for (int i = 0; i < 20000; i++) {
        buf_puts(&b, i % 2 ? "\\u00e9" : "xy");
        buf_puts(&want, i % 2 ? "\xc3\xa9" : "xy");
    }
    buf_puts(&b, "\"]}");
    bp = batchparse_new(ID, 1, 10);
    enum batch_error e = BATCH_OK;
    for (size_t i = 0; i < b.len && e == BATCH_OK; i += 333)
        e = batchparse_feed(bp, b.data + i, b.len - i < 333 ? b.len - i : 333);
    CHECK_INT(e, BATCH_OK);
    CHECK_INT(batchparse_finish(bp), BATCH_OK);
    CHECK_INT(batchparse_nkeys(bp), 1);
    CHECK_STR(batchparse_value(bp, 0, 0), want.data);
    batchparse_free(bp);
    buf_free(&b);
    buf_free(&want);
}

/* ------------------------------------------------------------ messages */

/* The message after parsing tmpl (which must fail). */
static char *message_of(const struct table *t, const char *tmpl, enum batch_error *e)
{
    struct body b = json(tmpl);
    struct batchparse *bp = batchparse_new(t->cols, t->ncols, t->max_keys);
    *e = batchparse_feed(bp, b.p, b.n);
    if (*e == BATCH_OK)
        *e = batchparse_finish(bp);
    char *m = strdup(batchparse_message(bp));
    batchparse_free(bp);
    free(b.p);
    return m;
}

static int message_is(const struct table *t, const char *tmpl, enum batch_error want_e,
                      const char *want_sub)
{
    enum batch_error e;
    char *m = message_of(t, tmpl, &e);
    int good = e == want_e && message_ok(m) && strstr(m, want_sub) != NULL;
    if (!good)
        printf("  (%s: error %d, message \"%s\", want %d with \"%s\")\n", tmpl, e, m, want_e,
               want_sub);
    free(m);
    return good;
}

static void test_messages(void)
{
    /* Every error says something; the key at fault is named. */
    CHECK(message_is(&T1, "", BATCH_INVALID_BODY, "empty"));
    CHECK(message_is(&T1, "[]", BATCH_INVALID_BODY, "object"));
    CHECK(message_is(&T1, "{}", BATCH_INVALID_BODY, "\"keys\""));
    CHECK(message_is(&T1, "{'keys':1}", BATCH_INVALID_BODY, "\"keys\" must be an array"));
    CHECK(message_is(&T1, "{'keys':[],'keys':[]}", BATCH_INVALID_BODY, "twice"));
    CHECK(message_is(&T1, "{'keys':[],'select':[],'select':[]}", BATCH_INVALID_BODY, "twice"));
    CHECK(message_is(&T1, "{'keys':[],'select':[1]}", BATCH_INVALID_BODY, "\"select\""));
    CHECK(message_is(&T1, "{'keys':[],'limit':1}", BATCH_INVALID_BODY, "\"limit\""));
    CHECK(message_is(&T1, "{'keys':[]", BATCH_INVALID_BODY, "not valid JSON"));
    CHECK(message_is(&T1, "{'keys':[1,2,null]}", BATCH_INVALID_KEY, "key 2"));
    CHECK(message_is(&T2, "{'keys':[[1,'a'],[2]]}", BATCH_INVALID_KEY, "key 1"));
    CHECK(message_is(&T2, "{'keys':[{'customer_id':1}]}", BATCH_INVALID_KEY, "\"day\""));
    CHECK(message_is(&T2, "{'keys':[{'customer_id':1,'customer_id':1}]}", BATCH_INVALID_KEY,
                     "\"customer_id\" is given twice"));
    CHECK(message_is(&T2, "{'keys':[{'dy':1}]}", BATCH_INVALID_KEY, "\"dy\""));
    CHECK(message_is(&T1, "{'keys':['\\u0000']}", BATCH_INVALID_KEY, "NUL"));
    static const struct table t1 = {ID, 1, 1};
    CHECK(message_is(&t1, "{'keys':[1,2]}", BATCH_TOO_LARGE, "more than 1 key"));

    /* Names from the body are shown printable: control characters escaped,
     * quotes and backslashes escaped, long ones cut at a character. */
    CHECK(message_is(&T1, "{'a\\nb':1}", BATCH_INVALID_BODY, "\"a\\u000ab\""));
    CHECK(message_is(&T1, "{'\\u001b[31mred':1}", BATCH_INVALID_BODY, "\\u001b[31mred"));
    CHECK(message_is(&T1, "{'a\\u0000b':1}", BATCH_INVALID_BODY, "a\\u0000b"));
    CHECK(message_is(&T1, "{'x\\u007f':1}", BATCH_INVALID_BODY, "x\\u007f"));
    CHECK(message_is(&T1, "{'say \\'hi\\' \\\\o/':1}", BATCH_INVALID_BODY,
                     "\"say \\\"hi\\\" \\\\o/\""));
    CHECK(message_is(&T1, "{'keys':[{'i\\td\\r\\n':1}]}", BATCH_INVALID_KEY,
                     "\"i\\u0009d\\u000d\\u000a\""));
    struct buf b = BUF_INIT;
    buf_puts(&b, "{'keys':[{'");
    for (int i = 0; i < 500; i++)
        buf_puts(&b, "\xc3\xa9\\n");
    buf_puts(&b, "':1}]}");
    CHECK(message_is(&T1, b.data, BATCH_INVALID_KEY, "...\""));
    buf_reset(&b);
    buf_puts(&b, "{'");
    for (int i = 0; i < 500; i++)
        buf_puts(&b, "\xf0\x9f\x98\x80");
    buf_puts(&b, "':1}");
    CHECK(message_is(&T1, b.data, BATCH_INVALID_BODY, "\xf0\x9f\x98\x80...\""));
    buf_free(&b);
    /* A column name that is not UTF-8 (from the catalog, not the client)
     * is shown with '?' for the bad byte. */
    static const char *const odd[] = {"bad\xff" "col\t"};
    static const struct table t_odd = {odd, 1, 10};
    CHECK(message_is(&t_odd, "{'keys':[{}]}", BATCH_INVALID_KEY, "\"bad?col\\u0009\""));
    /* A short name is not cut. */
    CHECK(message_is(&T1, "{'abcdefghijklmnopqrstuvwxyz':1}", BATCH_INVALID_BODY,
                     "\"abcdefghijklmnopqrstuvwxyz\""));
}

int main(void)
{
    test_forms_one_column();
    test_forms_two_columns();
    test_numbers_as_written();
    test_strings();
    test_duplicates_and_empty();
    test_select();
    test_select_many();
    test_not_a_body();
    test_truncated_and_trailing();
    test_members();
    test_bad_values();
    test_bad_shapes();
    test_utf8();
    test_too_large();
    test_many_keys();
    test_too_large_streaming();
    test_feeding();
    test_messages();
    return TEST_REPORT();
}
