/* fuzz_rowjson: libFuzzer target for rowjson_value (and so jsonw_string).
 *
 * The first input byte picks the kind (low nibble) and the element kind
 * (high nibble), each modulo the table below; the rest is the value text.
 * The property: whatever the text, the output is exactly one valid JSON
 * value (RFC 8259, strings valid UTF-8), has no NUL byte, and leaves what
 * was in the buffer before it alone. RJ_JSON is left out as a kind and as an
 * element kind: json passthrough is trusted, not checked.
 *
 * The checker below is deliberately separate code from jsonw (its own UTF-8
 * decoder and number grammar), so a bug shared by writer and checker is
 * unlikely. It is stricter than RFC 8259 where rowjson's output allows: no
 * objects and no whitespace between tokens, since rowjson never writes them
 * outside RJ_JSON, and nothing nested deeper than Postgres' 6 dimensions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rowjson.h"

static const enum rj_kind kinds[] = {
    RJ_STRING,    RJ_INTEGER,     RJ_NUMERIC, RJ_FLOAT, RJ_BOOL,
    RJ_TIMESTAMP, RJ_TIMESTAMPTZ, RJ_TIMETZ,  RJ_ARRAY,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

struct cur {
    const uint8_t *s;
    size_t n, i;
};

static int peek(const struct cur *c)
{
    return c->i < c->n ? c->s[c->i] : -1;
}

static void expect(struct cur *c, int ch)
{
    if (peek(c) != ch)
        abort();
    c->i++;
}

/* Length of a well-formed UTF-8 sequence at s, by decoding the code point
 * and range-checking it; 0 if there is none. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len <= 1 || len > n)
        return len == 1 ? 1 : 0;
    uint32_t cp = s[0] & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void digits(struct cur *c)
{
    if (peek(c) < '0' || peek(c) > '9')
        abort();
    while (peek(c) >= '0' && peek(c) <= '9')
        c->i++;
}

static void string(struct cur *c)
{
    expect(c, '"');
    for (;;) {
        int ch = peek(c);
        if (ch < 0x20) /* also the end of input (-1) */
            abort();
        if (ch == '"') {
            c->i++;
            return;
        }
        if (ch == '\\') {
            c->i++;
            ch = peek(c);
            if (ch <= 0 || !strchr("\"\\/bfnrtu", ch))
                abort();
            c->i++;
            for (int k = 0; ch == 'u' && k < 4; k++, c->i++)
                if (peek(c) <= 0 || !strchr("0123456789abcdefABCDEF", peek(c)))
                    abort();
            continue;
        }
        size_t len = utf8_len(c->s + c->i, c->n - c->i);
        if (len == 0)
            abort();
        c->i += len;
    }
}

static void value(struct cur *c, int depth)
{
    /* A 6-dimensional array (Postgres' MAXDIM) has its scalars at depth 6;
     * anything deeper means the cap in rowjson failed. */
    if (depth > 6)
        abort();
    int ch = peek(c);
    if (ch == '"') {
        string(c);
    } else if (ch == '[') {
        c->i++;
        if (peek(c) == ']') {
            c->i++;
            return;
        }
        value(c, depth + 1);
        while (peek(c) == ',') {
            c->i++;
            value(c, depth + 1);
        }
        expect(c, ']');
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
        if (ch == '-')
            c->i++;
        if (peek(c) == '0')
            c->i++;
        else
            digits(c);
        if (peek(c) == '.') {
            c->i++;
            digits(c);
        }
        if (peek(c) == 'e' || peek(c) == 'E') {
            c->i++;
            if (peek(c) == '+' || peek(c) == '-')
                c->i++;
            digits(c);
        }
    } else {
        static const char *const lits[] = {"true", "false", "null"};
        size_t k = 0;
        while (k < 3 && !(c->n - c->i >= strlen(lits[k]) &&
                          memcmp(c->s + c->i, lits[k], strlen(lits[k])) == 0))
            k++;
        if (k == 3)
            abort();
        c->i += strlen(lits[k]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum rj_kind kind = kinds[(data[0] & 0x0f) % NKINDS];
    enum rj_kind elem = kinds[(data[0] >> 4) % NKINDS];

    struct buf out = BUF_INIT;
    buf_append(&out, "pre", 3);
    rowjson_value(&out, kind, elem, (const char *)data + 1, size - 1);
    if (out.len < 3 || memcmp(out.data, "pre", 3) != 0 || strlen(out.data) != out.len)
        abort();

    struct cur c = {(const uint8_t *)out.data + 3, out.len - 3, 0};
    value(&c, 0);
    if (c.i != c.n)
        abort();
    buf_free(&out);
    return 0;
}
