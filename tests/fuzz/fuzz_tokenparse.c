/* fuzz_tokenparse: libFuzzer target for tokenparse.c.
 *
 * The first input byte picks the parser (modulo 6: '0' oidc, '1' dbcred,
 * '2' scim, '3' error, '4' discovery, '5' rfc3339) and, divided by 6, the
 * size of the err buffer; the rest is the response body (for rfc3339, a
 * NUL-terminated copy of it). Properties, abort() on a violation:
 *   - on success every output is non-NULL, non-empty and free of control
 *     characters (it goes into an HTTP header or a libpq parameter), and an
 *     OIDC expiry is 1 s to a week after now;
 *   - on failure err is a non-empty sentence of printable ASCII, terminated
 *     inside errlen, nothing written past errlen, never quoting the body
 *     (the seeds' tokens hold the marker SECRET);
 *   - tokenparse_error writes a terminated text without control characters
 *     and nothing past outlen;
 *   - tokenparse_rfc3339 agrees, accept or reject and value, with a
 *     separate reading of RFC 3339 below that leaves the calendar to glibc's
 *     timegm (so a day past its month's end is caught).
 * Everything is freed: LeakSanitizer runs at exit.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenparse.h"

#define NOW INT64_C(1795399200) /* 2026-11-23T02:00:00Z */
#define GUARD 0x55

static void clean_value(const char *v)
{
    if (v == NULL || v[0] == '\0')
        abort();
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort();
}

/* err after a failure, in a buffer of cap bytes of which errlen were given. */
static void clean_err(const char *err, size_t errlen, size_t cap)
{
    const char *nul = memchr(err, '\0', errlen);
    if (errlen == 0 || nul == NULL)
        abort();
    for (size_t i = errlen; i < cap; i++)
        if ((unsigned char)err[i] != GUARD)
            abort();
    if (errlen > 1 && err[0] == '\0')
        abort();
    for (const char *p = err; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            abort();
    if (strstr(err, "SECRET") != NULL)
        abort();
}

/* ------------------------------------------------------------ RFC 3339 oracle */

static int num(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* RFC 3339 §5.6 date-time (T, t or a space; Z or z), read by fixed
 * positions; the calendar is timegm's. Returns 0 with *t, or -1. */
static int oracle(const char *s, int64_t *t)
{
    int Y, M, D, h, mi, sec, oh = 0, om = 0;
    size_t n = strlen(s);
    if (n < 20 || num(s, 4, &Y) || s[4] != '-' || num(s + 5, 2, &M) || s[7] != '-' ||
        num(s + 8, 2, &D) || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
        num(s + 11, 2, &h) || s[13] != ':' || num(s + 14, 2, &mi) || s[16] != ':' ||
        num(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    int64_t off = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
               num(p + 1, 2, &oh) == 0 && num(p + 4, 2, &om) == 0) {
        if (oh > 23 || om > 59)
            return -1;
        off = (*p == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (M < 1 || M > 12 || D < 1 || h > 23 || mi > 59 || sec > 60)
        return -1;
    /* Seconds added after timegm: 23:59:60 on the last day of a month must
     * not look like a day past its end. */
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
                    .tm_min = mi};
    time_t g = timegm(&tm);
    if (tm.tm_mday != D || tm.tm_mon != M - 1)
        return -1;
    *t = (int64_t)g + sec - off;
    return 0;
}

/* ------------------------------------------------------------ the target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const size_t errlens[] = {24, 1, 128};
    size_t errlen = errlens[(data[0] / 6) % 3];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char err[160];
    memset(err, GUARD, sizeof err);

    switch (data[0] % 6) {
    case 0: {
        struct tp_token t = {NULL, 0};
        if (tokenparse_oidc(body, len, NOW, &t, err, errlen) == 0) {
            clean_value(t.value);
            if (t.expires_at < NOW + 1 || t.expires_at > NOW + 7 * 86400)
                abort();
        } else {
            if (t.value != NULL)
                abort();
            clean_err(err, errlen, sizeof err);
        }
        tokenparse_wipe(&t);
        if (t.value != NULL || t.expires_at != 0)
            abort();
        break;
    }
    case 1: {
        struct tp_token t = {NULL, 0};
        if (tokenparse_dbcred(body, len, &t, err, errlen) == 0) {
            clean_value(t.value);
        } else {
            if (t.value != NULL)
                abort();
            clean_err(err, errlen, sizeof err);
        }
        tokenparse_wipe(&t);
        break;
    }
    case 2:
    case 4: {
        char *s = NULL;
        int rc = data[0] % 6 == 2 ? tokenparse_scim_user(body, len, &s, err, errlen)
                                  : tokenparse_discovery(body, len, &s, err, errlen);
        if (rc == 0) {
            clean_value(s);
        } else {
            if (s != NULL)
                abort();
            clean_err(err, errlen, sizeof err);
        }
        free(s);
        break;
    }
    case 3: {
        /* As oauth.c calls it, and into a buffer cut short. */
        char out[320];
        size_t outlens[] = {300, 1 + len % 40};
        for (int k = 0; k < 2; k++) {
            memset(out, GUARD, sizeof out);
            tokenparse_error(body, len, out, outlens[k]);
            if (memchr(out, '\0', outlens[k]) == NULL)
                abort();
            for (size_t i = outlens[k]; i < sizeof out; i++)
                if ((unsigned char)out[i] != GUARD)
                    abort();
            for (const char *p = out; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    abort();
        }
        break;
    }
    default: {
        char *s = malloc(len + 1);
        memcpy(s, body, len);
        s[len] = '\0';
        int64_t got = 42, want = 0;
        int rc = tokenparse_rfc3339(s, &got);
        int orc = oracle(s, &want);
        if (rc != orc || (rc == 0 && got != want) || (rc != 0 && got != 42))
            abort();
        free(s);
        break;
    }
    }
    return 0;
}
