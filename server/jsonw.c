/* jsonw: JSON string escaping, number and UTF-8 checks (see jsonw.h).
 *
 * jsonw_string is on the path of every value of every response, so it is
 * written for the common case of text that needs no escaping: it scans with
 * a byte-class table and copies each run of safe bytes, valid multi-byte
 * UTF-8 included, with one buf_append. It escapes exactly what Postgres'
 * escape_json() escapes, so our strings match to_jsonb byte for byte.
 *
 * Not here: JSON parsing, pretty printing, or any allocation of our own.
 */
#include "jsonw.h"

#include <stdint.h>
#include <string.h>

/* Byte classes for the scan: 0 copies as is, 1 needs an escape (controls,
 * '"' and '\\'), 2 starts a multi-byte sequence or is not valid UTF-8 at
 * all. DEL (0x7f) is class 0: JSON allows it raw and Postgres leaves it. */
static const uint8_t byte_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x80 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x90 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xa0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xb0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xc0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xd0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xe0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xf0 */
};

static bool is_cont(uint8_t c)
{
    return (c & 0xc0) == 0x80;
}

/* Length of the well-formed UTF-8 sequence starting at p (avail > 0 bytes
 * readable), or 0 if there is none. The ranges of the second byte are those
 * of the Unicode table of well-formed sequences (3-7): they exclude
 * overlongs (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code
 * points above U+10FFFF (F4 90-BF, F5-FF). */
static size_t utf8_seq_len(const uint8_t *p, size_t avail)
{
    uint8_t c = p[0];
    uint8_t lo = 0x80, hi = 0xbf;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (avail < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (!is_cont(p[i]))
            return 0;
    return len;
}

static void put_escape(struct buf *b, uint8_t c)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = {'\\', 'u', '0', '0', 0, 0};

    switch (c) {
    case '"':
        buf_append(b, "\\\"", 2);
        return;
    case '\\':
        buf_append(b, "\\\\", 2);
        return;
    case '\b':
        buf_append(b, "\\b", 2);
        return;
    case '\f':
        buf_append(b, "\\f", 2);
        return;
    case '\n':
        buf_append(b, "\\n", 2);
        return;
    case '\r':
        buf_append(b, "\\r", 2);
        return;
    case '\t':
        buf_append(b, "\\t", 2);
        return;
    default:
        /* Lower-case hex, as Postgres' escape_json prints it. */
        u[4] = hex[c >> 4];
        u[5] = hex[c & 0xf];
        buf_append(b, u, sizeof u);
        return;
    }
}

/* True when none of the eight bytes at p needs a look: none is below
 * 0x20, '"', '\\' or 0x80 and above. The bit tricks are the usual "has a
 * zero byte" and "has a byte less than" tests on a 64-bit word; they never
 * miss a byte that needs a look, and the byte loop is exact, so a false
 * alarm would only cost time. */
static bool word_is_plain(const uint8_t *p)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t x;
    memcpy(&x, p, sizeof x);
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    uint64_t bad = (x & highs) | ((x - ones * 0x20) & ~x & highs) | ((q - ones) & ~q & highs) |
                   ((bs - ones) & ~bs & highs);
    return bad == 0;
}

void jsonw_string(struct buf *b, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, run = 0;

    if (n == 0) {
        buf_append(b, "\"\"", 2);
        return;
    }
    /* One reservation for the common case; escapes may still grow it. */
    if (b->len + n + 3 > b->cap)
        buf_reserve(b, n + 2);
    buf_putc(b, '"');
    while (i < n) {
        /* Eight plain bytes at a time while there are (most values are
         * ASCII without quotes); any doubt goes to the byte loop below. */
        while (n - i >= 8 && word_is_plain(p + i))
            i += 8;
        if (i == n)
            break;
        uint8_t cls = byte_class[p[i]];
        if (cls == 0) {
            i++;
            continue;
        }
        if (cls == 2) {
            size_t k = utf8_seq_len(p + i, n - i);
            if (k != 0) {
                i += k;
                continue;
            }
        }
        buf_append(b, s + run, i - run);
        /* An invalid byte becomes one U+FFFD and the scan resumes at the
         * next byte: simple, and every byte of input is accounted for. */
        if (cls == 2)
            buf_append(b, "\xef\xbf\xbd", 3);
        else
            put_escape(b, p[i]);
        run = ++i;
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

void jsonw_cstr(struct buf *b, const char *s)
{
    if (s == NULL) {
        buf_append(b, "null", 4);
        return;
    }
    jsonw_string(b, s, strlen(s));
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool jsonw_is_number(const char *s, size_t n)
{
    size_t i = 0;

    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_digit(s[i]))
        return false;
    if (s[i] == '0') {
        i++; /* no leading zeros: "01" is not JSON */
    } else {
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i == n;
}

bool jsonw_valid_utf8(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq_len(p + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}
