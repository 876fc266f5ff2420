/* test_jsonw: unit tests for jsonw (escaping, numbers, UTF-8).
 *
 * Expected escapes are those of Postgres' escape_json, checked with
 * to_jsonb(E'...'::text) on PostgreSQL 15. Every input is copied into a
 * buffer of exactly its length first, so that ASan reports any read past n.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jsonw.h"
#include "xalloc.h"

/* jsonw_string of s[0..n) from an exact-size copy; caller frees. */
static char *str_n(const char *s, size_t n)
{
    struct buf b = BUF_INIT;
    char *copy = xmalloc(n);
    memcpy(copy, s, n);
    jsonw_string(&b, copy, n);
    free(copy);
    return buf_steal(&b, NULL);
}

#define CHECK_JSTR(lit, want)                                                                      \
    do {                                                                                           \
        char *got_ = str_n(lit, sizeof(lit) - 1);                                                  \
        CHECK_STR(got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

static bool num_n(const char *s, size_t n)
{
    char *copy = xmalloc(n);
    memcpy(copy, s, n);
    bool ok = jsonw_is_number(copy, n);
    free(copy);
    return ok;
}

static bool utf8(const char *s, size_t n)
{
    char *copy = xmalloc(n);
    memcpy(copy, s, n);
    bool ok = jsonw_valid_utf8(copy, n);
    free(copy);
    return ok;
}

#define NUM(lit)  num_n(lit, sizeof(lit) - 1)
#define UTF8(lit) utf8(lit, sizeof(lit) - 1)

static void test_string_plain(void)
{
    CHECK_JSTR("", "\"\"");
    CHECK_JSTR("a", "\"a\"");
    CHECK_JSTR("hello, world", "\"hello, world\"");
    CHECK_JSTR("slash / stays", "\"slash / stays\"");
    CHECK_JSTR("del\x7f stays", "\"del\x7f stays\"");
    CHECK_JSTR("{\"not\": json}", "\"{\\\"not\\\": json}\"");
}

static void test_string_escapes(void)
{
    CHECK_JSTR("\"", "\"\\\"\"");
    CHECK_JSTR("\\", "\"\\\\\"");
    CHECK_JSTR("a\"b\\c", "\"a\\\"b\\\\c\"");
    CHECK_JSTR("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
    /* Other controls as \u00XX with lower-case hex, like escape_json. */
    CHECK_JSTR("\x01", "\"\\u0001\"");
    CHECK_JSTR("\x1b[0m", "\"\\u001b[0m\"");
    CHECK_JSTR("\x1f", "\"\\u001f\"");
    CHECK_JSTR("\x0b", "\"\\u000b\"");
    CHECK_JSTR("a\0b", "\"a\\u0000b\"");
    CHECK_JSTR("\0", "\"\\u0000\"");
    /* Escapes at both ends, runs between them. */
    CHECK_JSTR("\nmiddle\n", "\"\\nmiddle\\n\"");
    CHECK_JSTR("quote\" backslash\\ slash/ tab\t nl\n cr\r bs\b ff\f esc\x1b del\x7f",
               "\"quote\\\" backslash\\\\ slash/ tab\\t nl\\n cr\\r bs\\b ff\\f esc\\u001b "
               "del\x7f\"");
}

static void test_string_utf8(void)
{
    CHECK_JSTR("\xc3\xa9", "\"\xc3\xa9\"");                                 /* é, 2 bytes */
    CHECK_JSTR("\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\""); /* 日本 */
    CHECK_JSTR("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");                 /* U+1F600, 4 bytes */
    CHECK_JSTR("\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"");                 /* U+1D11E */
    CHECK_JSTR("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");                 /* U+10FFFF, the last */
    CHECK_JSTR("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");                         /* U+FFFD itself */
    CHECK_JSTR("a\xc3\xa9\"\xf0\x9f\x98\x80\n", "\"a\xc3\xa9\\\"\xf0\x9f\x98\x80\\n\"");
}

#define FFFD "\xef\xbf\xbd"

static void test_string_invalid_utf8(void)
{
    /* Each invalid byte becomes one U+FFFD; valid text around it stays. */
    CHECK_JSTR("\xff", "\"" FFFD "\"");
    CHECK_JSTR("a\x80z", "\"a" FFFD "z\"");                        /* lone continuation */
    CHECK_JSTR("\xc3", "\"" FFFD "\"");                            /* truncated at the end */
    CHECK_JSTR("\xc3(", "\"" FFFD "(\"");                          /* bad continuation */
    CHECK_JSTR("\xe6\x97", "\"" FFFD FFFD "\"");                   /* truncated 3-byte */
    CHECK_JSTR("\xf0\x9f\x98", "\"" FFFD FFFD FFFD "\"");          /* truncated 4-byte */
    CHECK_JSTR("\xc0\xaf", "\"" FFFD FFFD "\"");                   /* overlong '/' */
    CHECK_JSTR("\xc1\xbf", "\"" FFFD FFFD "\"");                   /* overlong */
    CHECK_JSTR("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");          /* overlong 3-byte */
    CHECK_JSTR("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\""); /* overlong 4-byte */
    CHECK_JSTR("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");          /* surrogate U+D800 */
    CHECK_JSTR("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");          /* surrogate U+DFFF */
    CHECK_JSTR("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* U+110000 */
    CHECK_JSTR("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_JSTR("\xfe\xff", "\"" FFFD FFFD "\"");
    /* Invalid bytes next to escapes and valid sequences. */
    CHECK_JSTR("\x80\"\xc3\xa9\xff\n", "\"" FFFD "\\\"\xc3\xa9" FFFD "\\n\"");
    /* The last valid code points before the excluded ranges are kept. */
    CHECK_JSTR("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF */
    CHECK_JSTR("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000 */
    CHECK_JSTR("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800, shortest 3-byte */
    CHECK_JSTR("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
    CHECK_JSTR("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080 */
}

/* A string longer than any growth step, with escapes spread through it,
 * checks that runs are cut and resumed at the right places. */
static void test_string_long(void)
{
    size_t n = 10000;
    char *in = xmalloc(n);
    struct buf want = BUF_INIT;
    buf_putc(&want, '"');
    for (size_t i = 0; i < n; i++) {
        if (i % 97 == 0) {
            in[i] = '\n';
            buf_append(&want, "\\n", 2);
        } else {
            in[i] = (char)('a' + i % 26);
            buf_putc(&want, in[i]);
        }
    }
    buf_putc(&want, '"');
    char *got = str_n(in, n);
    CHECK_STR(got, want.data);
    CHECK_INT(strlen(got), want.len);
    free(got);
    free(in);
    buf_free(&want);
}

/* jsonw_string looks at eight bytes at a time while they are all plain.
 * One byte of each kind, at every offset of strings of 1 to 24 bytes
 * (inside a word, across words, in the tail), next to the plain bytes on
 * either side of each class boundary: what it becomes must not depend on
 * where it sits. */
static void test_string_every_offset(void)
{
    static const struct {
        const char *in; /* one byte, or a UTF-8 sequence, of n bytes */
        size_t n;
        const char *out;
    } cases[] = {
        {"\x00", 1, "\\u0000"}, {"\x01", 1, "\\u0001"},     {"\x1f", 1, "\\u001f"},
        {"\x20", 1, " "},        {"!", 1, "!"},                {"\"", 1, "\\\""},
        {"#", 1, "#"},            {"[", 1, "["},                {"\\", 1, "\\\\"},
        {"]", 1, "]"},            {"\x7f", 1, "\x7f"},          {"\x80", 1, "\xef\xbf\xbd"},
        {"\xff", 1, "\xef\xbf\xbd"}, {"\xc3\xa9", 2, "\xc3\xa9"},
    };
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t m = cases[c].n;
        for (size_t len = m; len <= 24; len++) {
            for (size_t at = 0; at + m <= len; at++) {
                char in[32];
                memset(in, 'a', len);
                memcpy(in + at, cases[c].in, m);
                struct buf want = BUF_INIT;
                buf_putc(&want, '"');
                buf_append(&want, in, at);
                buf_puts(&want, cases[c].out);
                buf_append(&want, in + at + m, len - at - m);
                buf_putc(&want, '"');
                char *got = str_n(in, len);
                if (strcmp(got, want.data) != 0 && bad++ < 5)
                    printf("FAIL case %zu len %zu at %zu: %s\n", c, len, at, got);
                free(got);
                buf_free(&want);
            }
        }
    }
    CHECK_INT(bad, 0);
}

static void test_string_appends(void)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "[");
    jsonw_string(&b, "x", 1);
    buf_putc(&b, ',');
    jsonw_string(&b, "y\"", 2);
    buf_putc(&b, ']');
    CHECK_STR(b.data, "[\"x\",\"y\\\"\"]");
    buf_free(&b);
}

static void test_cstr(void)
{
    struct buf b = BUF_INIT;
    jsonw_cstr(&b, NULL);
    CHECK_STR(b.data, "null");
    buf_reset(&b);
    jsonw_cstr(&b, "");
    CHECK_STR(b.data, "\"\"");
    buf_reset(&b);
    jsonw_cstr(&b, "tab\there");
    CHECK_STR(b.data, "\"tab\\there\"");
    buf_reset(&b);
    jsonw_cstr(&b, "bad \xff");
    CHECK_STR(b.data, "\"bad " FFFD "\"");
    buf_free(&b);
}

static void test_is_number(void)
{
    CHECK(NUM("0"));
    CHECK(NUM("-0"));
    CHECK(NUM("7"));
    CHECK(NUM("9223372036854775807"));
    CHECK(NUM("-9223372036854775808"));
    CHECK(NUM("1234567890123456789012345678901234567890.5"));
    CHECK(NUM("0.5"));
    CHECK(NUM("-0.000000000000000000001"));
    CHECK(NUM("1e+30"));
    CHECK(NUM("1.5e-10"));
    CHECK(NUM("1E5"));
    CHECK(NUM("3.4028235e+38"));
    CHECK(NUM("5e-324"));
    CHECK(NUM("10"));

    CHECK(!NUM(""));
    CHECK(!NUM("-"));
    CHECK(!NUM("+1"));
    CHECK(!NUM("01"));
    CHECK(!NUM("-01"));
    CHECK(!NUM("00"));
    CHECK(!NUM("1."));
    CHECK(!NUM(".5"));
    CHECK(!NUM("1e"));
    CHECK(!NUM("1e+"));
    CHECK(!NUM("1.e5"));
    CHECK(!NUM("NaN"));
    CHECK(!NUM("Infinity"));
    CHECK(!NUM("-Infinity"));
    CHECK(!NUM("inf"));
    CHECK(!NUM("0x10"));
    CHECK(!NUM(" 1"));
    CHECK(!NUM("1 "));
    CHECK(!NUM("1,000"));
    CHECK(!NUM("1-"));
    CHECK(!NUM("--1"));
    CHECK(!NUM("1e5.5"));
    CHECK(!NUM("$1.00"));

    /* Only n bytes count: "12" with n = 1 is "1", and n = 0 is empty. */
    CHECK(jsonw_is_number("12", 1));
    CHECK(!jsonw_is_number("12", 0));
    CHECK(!jsonw_is_number("1.5", 2)); /* "1." */
    CHECK(jsonw_is_number("1e5x", 3));
}

static void test_valid_utf8(void)
{
    CHECK(UTF8(""));
    CHECK(UTF8("plain ascii"));
    CHECK(UTF8("\xc3\xa9"));
    CHECK(UTF8("\xe6\x97\xa5"));
    CHECK(UTF8("\xf0\x9f\x98\x80"));
    CHECK(UTF8("\xf4\x8f\xbf\xbf"));
    CHECK(UTF8("\xed\x9f\xbf"));
    CHECK(UTF8("a\0b")); /* NUL is valid UTF-8 */
    CHECK(!UTF8("\x80"));
    CHECK(!UTF8("\xc3"));
    CHECK(!UTF8("\xc0\x80"));
    CHECK(!UTF8("\xe0\x9f\xbf"));
    CHECK(!UTF8("\xed\xa0\x80"));
    CHECK(!UTF8("\xf0\x8f\xbf\xbf"));
    CHECK(!UTF8("\xf4\x90\x80\x80"));
    CHECK(!UTF8("\xf8\x88\x80\x80\x80"));
    CHECK(!UTF8("\xff"));
    CHECK(!UTF8("ok\xe6\x97"));
    /* Length is the truth: a sequence cut by n is invalid. */
    CHECK(!utf8("\xc3\xa9", 1));
    CHECK(utf8("\xc3\xa9", 2));
}

int main(void)
{
    test_string_plain();
    test_string_escapes();
    test_string_utf8();
    test_string_invalid_utf8();
    test_string_long();
    test_string_every_offset();
    test_string_appends();
    test_cstr();
    test_is_number();
    test_valid_utf8();
    return TEST_REPORT();
}
