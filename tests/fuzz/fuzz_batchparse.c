/* fuzz_batchparse: libFuzzer target for batchparse.c.
 *
 * Input: the first byte s picks the table and the chunking, the rest is the
 * body of a batch lookup:
 *   ncols    = 1 + s % 3                  key columns "id", "day", "seq"
 *   max_keys = 1 + (s / 3) % 8            small, so that TOO_LARGE is reached
 *   scheme   = s / 24                     (0..10) how the body is fed:
 *              0      one byte at a time
 *              1..5   pieces of 2, 3, 5, 7 or 16 bytes
 *              6..10  two pieces, cut at len * (scheme - 5) / 6
 * e.g. s = 0x15 (21): one column, 8 keys, byte by byte; s = 0x2a (42): one
 * column, 7 keys, pieces of 2 bytes.
 *
 * The body is parsed twice, fed in one piece and fed as the scheme says.
 * Properties, abort() on a violation:
 *   - both give the same result: error kind, for INVALID_KEY the index,
 *     the number of keys, every value byte for byte, has_select and the
 *     select list;
 *   - once a feed returns an error, every later feed and finish return it;
 *   - on success nkeys <= max_keys, and every value and select name is a
 *     NUL-terminated string of valid UTF-8 (the NUL its only one: a value
 *     with \u0000 is refused);
 *   - on an error the message is a non-empty sentence of printable UTF-8
 *     (no control characters), shorter than the parser's buffer, and an
 *     INVALID_KEY index is at most the number of keys read.
 * The body is an exact-size heap copy, so that a read past its end is a
 * heap overflow even under replay.c. Everything is freed: LeakSanitizer
 * runs at exit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batchparse.h"
#include "jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cols[] = {"id", "day", "seq"};

static void need(int ok)
{
    if (!ok)
        abort();
}

static void check_message(const char *m)
{
    size_t n = strlen(m);
    need(n > 0 && n < 256);
    need(jsonw_valid_utf8(m, n));
    for (size_t i = 0; i < n; i++)
        need((unsigned char)m[i] >= 0x20 && m[i] != 0x7f);
}

/* Feeds body as the scheme says (scheme < 0: in one piece), then finishes;
 * checks that an error, once returned, sticks. */
static enum batch_error run(struct batchparse *bp, const char *body, size_t len, int scheme)
{
    static const size_t sizes[] = {2, 3, 5, 7, 16};
    enum batch_error first = BATCH_OK, e;
    size_t step = scheme < 0 ? len : scheme == 0 ? 1 : scheme <= 5 ? sizes[scheme - 1] : 0;
    size_t cut = scheme > 5 ? len * (size_t)(scheme - 5) / 6 : 0;
    for (size_t i = 0, k = 0; step ? i < len : k < 2; k++) {
        /* Two pieces: the first may be empty (a cut at 0), a feed of 0 bytes. */
        size_t n = step ? (len - i < step ? len - i : step) : k == 0 ? cut : len - cut;
        e = batchparse_feed(bp, body + i, n);
        need(first == BATCH_OK || e == first);
        if (first == BATCH_OK)
            first = e;
        i += n;
    }
    e = batchparse_finish(bp);
    need(first == BATCH_OK || e == first);
    need(batchparse_finish(bp) == e);
    if (e != BATCH_OK) {
        need(batchparse_feed(bp, "{", 1) == e);
        need(e == BATCH_INVALID_BODY || e == BATCH_INVALID_KEY || e == BATCH_TOO_LARGE);
    }
    return e;
}

static void check_string(const char *s)
{
    need(s != NULL);
    need(jsonw_valid_utf8(s, strlen(s)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t ncols = 1 + data[0] % 3;
    size_t max_keys = 1 + (size_t)(data[0] / 3) % 8;
    int scheme = data[0] / 24;

    size_t len = size - 1;
    char *body = malloc(len ? len : 1);
    need(body != NULL);
    if (len)
        memcpy(body, data + 1, len);

    struct batchparse *a = batchparse_new(cols, ncols, max_keys);
    struct batchparse *b = batchparse_new(cols, ncols, max_keys);
    enum batch_error ea = run(a, body, len, -1);
    enum batch_error eb = run(b, body, len, scheme);

    need(ea == eb);
    need(batchparse_nkeys(a) == batchparse_nkeys(b));
    need(batchparse_nkeys(a) <= max_keys);
    if (ea == BATCH_OK) {
        size_t nk = batchparse_nkeys(a);
        for (size_t i = 0; i < nk; i++) {
            for (size_t c = 0; c < ncols; c++) {
                const char *va = batchparse_value(a, i, c), *vb = batchparse_value(b, i, c);
                check_string(va);
                need(strcmp(va, vb) == 0);
            }
        }
        need(batchparse_has_select(a) == batchparse_has_select(b));
        need(batchparse_nselect(a) == batchparse_nselect(b));
        need(batchparse_has_select(a) || batchparse_nselect(a) == 0);
        for (size_t i = 0; i < batchparse_nselect(a); i++) {
            check_string(batchparse_select(a, i));
            need(strcmp(batchparse_select(a, i), batchparse_select(b, i)) == 0);
        }
    } else {
        check_message(batchparse_message(a));
        check_message(batchparse_message(b));
        if (ea == BATCH_INVALID_KEY) {
            need(batchparse_error_index(a) == batchparse_error_index(b));
            need(batchparse_error_index(a) == batchparse_nkeys(a));
            need(batchparse_error_index(a) < max_keys);
        }
        if (ea == BATCH_TOO_LARGE)
            need(batchparse_nkeys(a) == max_keys);
    }

    batchparse_free(a);
    batchparse_free(b);
    free(body);
    return 0;
}
