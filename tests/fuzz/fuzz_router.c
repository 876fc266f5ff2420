/* fuzz_router: libFuzzer target for router_parse and keys_bind.
 *
 * Input: the first byte picks the method, the rest is the request-target,
 * handed over with its length and no NUL after it. Beyond "no crash, no
 * sanitizer report", it checks the route against a second, deliberately
 * naive reading of the same bytes: the path is re-split here and each piece
 * decoded on its own with router_decode, and the UTF-8 check is this file's
 * own, so a bug would have to be made twice, the same way, to go unseen.
 * Any broken invariant calls abort().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS_PREFIX "/api/v1/tables/"

static void need(int ok)
{
    if (!ok)
        abort();
}

/* An independent strict UTF-8 check: no overlongs, no surrogates, nothing
 * above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* A decoded string from the route: non-NULL, valid UTF-8, and equal to what
 * router_decode makes of its raw form. */
static void check_decoded(const char *got, const char *raw, size_t rawlen, int plus)
{
    need(got != NULL);
    size_t len = strlen(got);
    need(len <= rawlen);
    need(utf8_ok((const unsigned char *)got, len));
    size_t reflen = (size_t)-1;
    char *ref = router_decode(raw, rawlen, plus, &reflen);
    need(ref != NULL);
    need(reflen == len && memcmp(ref, got, len) == 0);
    free(ref);
}

static size_t span_to(const char *s, size_t n, char c)
{
    size_t i = 0;
    while (i < n && s[i] != c)
        i++;
    return i;
}

/* Re-reads uri the simple way and compares with what the router said. */
static void check_route(const struct route *r, const char *uri, size_t len)
{
    /* An absolute-form target ("http://host/path"): what follows the host. */
    for (size_t sl = 7; sl <= 8; sl++) {
        if (len > sl && strncasecmp(uri, sl == 7 ? "http://" : "https://", sl) == 0) {
            size_t i = sl;
            while (i < len && uri[i] != '/' && uri[i] != '?')
                i++;
            need(i < len && uri[i] == '/');
            uri += i;
            len -= i;
            break;
        }
    }
    size_t pathlen = span_to(uri, len, '?');

    if (r->kind != ROUTE_TABLE && r->kind != ROUTE_ROW && r->kind != ROUTE_LOOKUP) {
        need(r->table == NULL && r->nparts == 0 && r->parts == NULL);
        need(r->nparams == 0 && r->params == NULL);
        return;
    }

    /* The table is the segment after "/api/v1/tables/". */
    size_t pl = strlen(ROWS_PREFIX);
    need(pathlen > pl && memcmp(uri, ROWS_PREFIX, pl) == 0);
    const char *name = uri + pl;
    size_t namelen = span_to(name, pathlen - pl, '/');
    need(namelen > 0);
    check_decoded(r->table, name, namelen, 0);

    if (r->kind == ROUTE_TABLE) {
        need(r->nparts == 0 && r->parts == NULL && r->nparams == 0 && r->params == NULL);
        return;
    }

    /* Then "/lookup", or "/rows" and the parts. */
    const char *rest = name + namelen;
    size_t restlen = pathlen - pl - namelen;
    if (r->kind == ROUTE_LOOKUP)
        need(restlen == 7 && memcmp(rest, "/lookup", 7) == 0);
    else
        need(restlen >= 5 && memcmp(rest, "/rows", 5) == 0);
    if (r->kind == ROUTE_LOOKUP || restlen == 5) {
        need(r->nparts == 0 && r->parts == NULL);
    } else {
        need(rest[5] == '/');
        const char *k = rest + 6;
        size_t klen = restlen - 6, pos = 0, i = 0;
        for (;;) {
            size_t seg = span_to(k + pos, klen - pos, '/');
            need(i < r->nparts);
            check_decoded(r->parts[i], k + pos, seg, 0);
            i++;
            pos += seg;
            if (pos == klen)
                break;
            pos++; /* the "/" */
        }
        need(i == r->nparts);
    }

    /* The query: non-empty "&" pieces, name up to the first "=". */
    size_t i = 0;
    if (pathlen < len) {
        const char *q = uri + pathlen + 1;
        size_t qlen = len - pathlen - 1;
        for (size_t pos = 0; pos < qlen;) {
            size_t piece = span_to(q + pos, qlen - pos, '&');
            if (piece > 0) {
                size_t nl = span_to(q + pos, piece, '=');
                size_t vs = nl < piece ? nl + 1 : piece;
                need(i < r->nparams);
                check_decoded(r->params[i].name, q + pos, nl, 1);
                check_decoded(r->params[i].value, q + pos + vs, piece - vs, 1);
                /* The raw value points into the caller's uri, as sent. */
                need(r->params[i].raw_value == q + pos + vs && r->params[i].raw_len == piece - vs);
                i++;
            }
            pos += piece + 1;
        }
    }
    need(i == r->nparams);
    need((r->nparams == 0) == (r->params == NULL));
}

/* True when v is one of the strings of r (keys_bind only borrows). */
static int in_route(const struct route *r, const char *v)
{
    for (size_t i = 0; i < r->nparts; i++)
        if (r->parts[i] == v)
            return 1;
    for (size_t i = 0; i < r->nparams; i++)
        if (r->params[i].value == v)
            return 1;
    return 0;
}

/* [+-]digits, in range for int8 by the C library's reckoning. */
static int int8_ok(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '\0')
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    errno = 0;
    (void)strtoll(s, NULL, 10);
    return errno == 0;
}

static void check_bind(const struct route *r, const struct key_col *cols, size_t ncols,
                       size_t errlen)
{
    const char *values[2] = {NULL, NULL};
    char err[200];
    int bad = 12345;

    need(errlen < sizeof err);
    memset(err, 0x7E, sizeof err);
    int rc = keys_bind(cols, ncols, r, values, err, errlen, &bad);
    for (size_t i = errlen; i < sizeof err; i++)
        need(err[i] == 0x7E); /* nothing written past errlen */
    if (errlen > 0)
        need(memchr(err, '\0', errlen) != NULL);

    if (rc == 0) {
        need(bad == -1);
        need(errlen == 0 || err[0] == '\0');
        for (size_t i = 0; i < ncols; i++) {
            need(values[i] != NULL);
            need(in_route(r, values[i]));
            if (cols[i].type == KEY_INT8)
                need(int8_ok(values[i]));
        }
        /* Exactly one way of giving the key was used. */
        need(r->nparts == 0 || r->nparams == 0);
        need(r->nparts == ncols || r->nparams == ncols);
    } else {
        need(rc == -1);
        need(bad >= -1 && bad < (int)ncols);
        if (errlen > 1)
            need(err[0] != '\0');
        if (errlen > 0)
            need(utf8_ok((const unsigned char *)err, strlen(err)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST"};
    static const char *const garbage[] = {"OPTIONS", "", "GETX", "\xFF\x01"};
    static const struct key_col two[] = {{"id", KEY_INT8}, {"day", KEY_OTHER}};
    static const struct key_col one[] = {{"id", KEY_INT8}};

    if (size == 0)
        return 0;
    const char *method = (data[0] & 3) < 3 ? methods[data[0] & 3] : garbage[(data[0] >> 2) & 3];
    int get_or_head = (data[0] & 3) < 2;
    int post = (data[0] & 3) == 2;
    int options = strcmp(method, "OPTIONS") == 0;

    /* An exact-size copy, so that a read past len is a heap overflow even
     * under replay.c, whose buffers have slack. */
    size_t len = size - 1;
    char *uri = malloc(len ? len : 1);
    need(uri != NULL);
    if (len)
        memcpy(uri, data + 1, len);

    struct route r;
    memset(&r, 0xA5, sizeof r); /* router_parse must overwrite all of it */
    enum route_status st = router_parse(method, uri, len, &r);

    need(memchr(r.detail, '\0', sizeof r.detail) != NULL);
    switch (st) {
    case ROUTE_OK:
        /* GET and HEAD read, POST looks up a batch, OPTIONS passes anywhere. */
        need(options || (r.kind == ROUTE_LOOKUP ? post : get_or_head));
        need(r.kind == ROUTE_HEALTHZ || r.kind == ROUTE_READYZ || r.kind == ROUTE_TABLES ||
             r.kind == ROUTE_TABLE || r.kind == ROUTE_ROW || r.kind == ROUTE_LOOKUP ||
             r.kind == ROUTE_OPENAPI || r.kind == ROUTE_METRICS || r.kind == ROUTE_STATUS);
        need(r.allow != NULL && strcmp(r.allow, r.kind == ROUTE_LOOKUP ? "POST" : "GET, HEAD") == 0);
        need(r.detail[0] == '\0');
        need((r.kind == ROUTE_TABLE || r.kind == ROUTE_ROW || r.kind == ROUTE_LOOKUP) ==
             (r.table != NULL));
        check_route(&r, uri, len);
        if (r.kind == ROUTE_ROW) {
            check_bind(&r, two, 2, 160);
            check_bind(&r, one, 1, 160);
            check_bind(&r, two, 2, (size_t)(data[0] >> 4)); /* 0..15: cut sentences */
        }
        break;
    case ROUTE_ERR_NOT_FOUND:
        need(r.kind == ROUTE_NOT_FOUND && r.allow == NULL && r.detail[0] != '\0');
        need(r.table == NULL && r.parts == NULL && r.params == NULL);
        break;
    case ROUTE_ERR_METHOD:
        need(!options && (r.kind == ROUTE_LOOKUP ? !post : !get_or_head));
        need(r.kind != ROUTE_NOT_FOUND && r.detail[0] != '\0');
        need(r.allow != NULL && strcmp(r.allow, r.kind == ROUTE_LOOKUP ? "POST" : "GET, HEAD") == 0);
        need(r.table == NULL && r.parts == NULL && r.params == NULL);
        break;
    case ROUTE_ERR_BAD_ENCODING:
        need(get_or_head || post || options);
        need((r.kind == ROUTE_TABLE || r.kind == ROUTE_ROW || r.kind == ROUTE_LOOKUP) &&
             r.detail[0] != '\0');
        need(r.table == NULL && r.parts == NULL && r.params == NULL);
        break;
    default:
        abort();
    }

    route_free(&r);
    free(uri);
    return 0;
}
