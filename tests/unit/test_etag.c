/* Unit tests for etag.c: the tag's form and stability, and If-None-Match
 * under the weak comparison of RFC 9110 13.1.2. */
#include <string.h>

#include "etag.h"
#include "harness.h"

static void test_tag_form(void)
{
    char a[ETAG_LEN], b[ETAG_LEN], c[ETAG_LEN];
    etag_of("{\"id\":1}", 8, a);
    etag_of("{\"id\":1}", 8, b);
    etag_of("{\"id\":2}", 8, c);
    CHECK_INT(strlen(a), 18);
    CHECK(a[0] == '"' && a[17] == '"');
    for (int i = 1; i < 17; i++)
        CHECK(strchr("0123456789abcdef", a[i]) != NULL);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    /* Every byte counts, the length too. */
    etag_of("{\"id\":1}", 7, b);
    CHECK(strcmp(a, b) != 0);
    etag_of("", 0, b);
    CHECK(strcmp(a, b) != 0);
    /* Trailing zero bytes count: the length is hashed too. */
    etag_of("a\0", 2, b);
    etag_of("a", 1, c);
    CHECK(strcmp(b, c) != 0);
}

/* Every single-bit change of a row-sized body changes the tag, and no two
 * of those changes give the same tag. */
static void test_every_bit_counts(void)
{
    enum { LEN = 451, NBITS = LEN * 8 };
    static char body[LEN];
    static char tags[NBITS + 1][ETAG_LEN];
    for (int i = 0; i < LEN; i++)
        body[i] = (char)('a' + i % 26);
    etag_of(body, LEN, tags[NBITS]);
    for (int bit = 0; bit < NBITS; bit++) {
        body[bit / 8] = (char)(body[bit / 8] ^ (1 << (bit % 8)));
        etag_of(body, LEN, tags[bit]);
        body[bit / 8] = (char)(body[bit / 8] ^ (1 << (bit % 8)));
    }
    int same = 0;
    for (int i = 0; i <= NBITS; i++)
        for (int j = i + 1; j <= NBITS; j++)
            same += strcmp(tags[i], tags[j]) == 0;
    CHECK_INT(same, 0);
}

static void test_none_match(void)
{
    const char *tag = "\"0123456789abcdef\"";
    CHECK(!etag_none_match(NULL, tag));
    CHECK(!etag_none_match("", tag));
    CHECK(etag_none_match("\"0123456789abcdef\"", tag));
    CHECK(etag_none_match("W/\"0123456789abcdef\"", tag)); /* weak comparison */
    CHECK(etag_none_match("*", tag));
    CHECK(etag_none_match("  *  ", tag));
    CHECK(etag_none_match("\"x\", \"0123456789abcdef\"", tag));
    CHECK(etag_none_match("\"x\",W/\"0123456789abcdef\" , \"y\"", tag));
    CHECK(etag_none_match(" , ,\"0123456789abcdef\",", tag)); /* empty elements */
    CHECK(etag_none_match("\"a,b\", \"0123456789abcdef\"", tag)); /* a comma inside a tag */
    CHECK(!etag_none_match("\"0123456789abcdeF\"", tag)); /* case matters */
    CHECK(!etag_none_match("0123456789abcdef", tag));     /* unquoted */
    CHECK(!etag_none_match("\"0123456789abcdef", tag));   /* unterminated */
    CHECK(!etag_none_match("\"0123456789abcde\"", tag));
    CHECK(!etag_none_match("\"0123456789abcdef0\"", tag));
    CHECK(!etag_none_match("w/\"0123456789abcdef\"", tag)); /* "W/" is upper case */
    CHECK(!etag_none_match("*, \"x\"", tag));             /* "*" only alone */
    CHECK(!etag_none_match("\"x\" junk, \"0123456789abcdef\"", tag)); /* malformed list */
}

int main(void)
{
    test_tag_form();
    test_none_match();
    test_every_bit_counts();
    return TEST_REPORT();
}
