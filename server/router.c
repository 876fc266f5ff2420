/* router: see router.h.
 *
 * Two passes over the request-target. The first recognises the shape of the
 * path on the raw bytes and counts what will need decoding; the second
 * checks the method and decodes every string of the route into one block.
 * Literal segments ("api", "v1", "tables", "rows") are compared as received:
 * "/api/v1/%74ables" is not a known path. Only the variable parts (the table
 * name, the keys, the query) are percent-decoded, each exactly once, so that
 * "%252F" reaches Postgres as "%2F" and never as "/".
 *
 * One allocation per route: the table name, the key parts and the query
 * strings are decoded side by side into a block that starts at r->table,
 * followed by the parts and params arrays. A decoded string is never longer
 * than its raw form, so the raw lengths bound the block before decoding.
 */
#include "router.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonw.h"
#include "xalloc.h"

/* The value of the Allow header for every route: all of them are read-only. */
static const char allow_get_head[] = "GET, HEAD";
static const char allow_post[] = "POST";

/* The raw pieces of a recognised path; pointers into the caller's uri. */
struct shape {
    enum route_kind kind;
    const char *name; /* table segment, raw */
    size_t namelen;
    const char *keys; /* ROW: text after "/rows/", parts separated by "/" */
    size_t keyslen;
    size_t nparts;
    const char *query; /* text after the first "?", or NULL */
    size_t querylen;
    size_t nparams; /* non-empty "&"-separated pieces of query */
};

enum dec_status {
    DEC_OK = 0,
    DEC_BAD_ESCAPE,
    DEC_NUL,
    DEC_BAD_UTF8,
};

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into out, which has room for n + 1 bytes, and
 * NUL-terminates it. A malformed escape is reported before a NUL byte, and
 * a NUL byte before invalid UTF-8, so that the detail names the first thing
 * the client has to fix. */
static enum dec_status decode_into(const char *s, size_t n, int plus_is_space, char *out,
                                   size_t *outlen)
{
    size_t o = 0;
    int saw_nul = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            /* Both digits must lie inside s: "%" or "%4" at the end of a
             * segment is malformed, not a cue to read the next byte. */
            if (n - i < 3)
                return DEC_BAD_ESCAPE;
            int hi = hexval((unsigned char)s[i + 1]);
            int lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return DEC_BAD_ESCAPE;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0')
            saw_nul = 1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (saw_nul)
        return DEC_NUL;
    if (!jsonw_valid_utf8(out, o))
        return DEC_BAD_UTF8;
    *outlen = o;
    return DEC_OK;
}

char *router_decode(const char *s, size_t n, int plus_is_space, size_t *outlen)
{
    if (s == NULL)
        n = 0;
    char *out = xmalloc(n + 1);
    size_t len = 0;
    if (decode_into(n ? s : "", n, plus_is_space, out, &len) != DEC_OK) {
        free(out);
        return NULL;
    }
    if (outlen)
        *outlen = len;
    return out;
}

static int is(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, l) == 0;
}

static int starts(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

/* Recognises the path p[0..n), which is what follows the leading "/". */
static enum route_kind match_path(const char *p, size_t n, struct shape *sh)
{
    if (is(p, n, "healthz"))
        return ROUTE_HEALTHZ;
    if (is(p, n, "readyz"))
        return ROUTE_READYZ;
    if (is(p, n, "api/v1/openapi.json"))
        return ROUTE_OPENAPI;
    if (is(p, n, "api/v1/status"))
        return ROUTE_STATUS;
    /* Twice: the Databricks Apps proxy lets token callers reach /api/ only. */
    if (is(p, n, "metrics") || is(p, n, "api/v1/metrics"))
        return ROUTE_METRICS;
    if (!starts(p, n, "api/v1/tables"))
        return ROUTE_NOT_FOUND;
    p += strlen("api/v1/tables");
    n -= strlen("api/v1/tables");
    if (n == 0 || is(p, n, "/"))
        return ROUTE_TABLES;
    if (p[0] != '/') /* "/api/v1/tablesx" */
        return ROUTE_NOT_FOUND;
    p++;
    n--;

    /* n >= 1 here: a lone "/" was taken as ROUTE_TABLES above. */
    const char *slash = memchr(p, '/', n);
    size_t namelen = slash ? (size_t)(slash - p) : n;
    if (namelen == 0) /* "/api/v1/tables//...": no table is named "" */
        return ROUTE_NOT_FOUND;
    sh->name = p;
    sh->namelen = namelen;
    p += namelen;
    n -= namelen;
    if (n == 0 || is(p, n, "/"))
        return ROUTE_TABLE;

    p++; /* the "/" after the name */
    n--;
    if (is(p, n, "lookup"))
        return ROUTE_LOOKUP;
    if (!starts(p, n, "rows"))
        return ROUTE_NOT_FOUND;
    p += 4;
    n -= 4;
    if (n == 0) /* "/rows": the query form */
        return ROUTE_ROW;
    if (p[0] != '/') /* "/rowsx" */
        return ROUTE_NOT_FOUND;
    p++;
    n--;
    /* Everything left is keys, "/" included: "/rows/" is one empty key and
     * "/rows/1/" is "1" then "". */
    sh->keys = p;
    sh->keyslen = n;
    sh->nparts = 1;
    for (size_t i = 0; i < n; i++)
        sh->nparts += p[i] == '/';
    return ROUTE_ROW;
}

/* Length of the piece of s[0..n) before the first c (n when there is none). */
static size_t span_to(const char *s, size_t n, char c)
{
    const char *hit = n ? memchr(s, c, n) : NULL;
    return hit ? (size_t)(hit - s) : n;
}

static size_t count_params(const char *q, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        size_t piece = span_to(q + i, n - i, '&');
        count += piece > 0; /* "&&" and a trailing "&" carry nothing */
        i += piece + 1;
    }
    return count;
}

static void set_detail(struct route *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_detail(struct route *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

/* Writes the detail for a decoding failure; what is "key segment 2",
 * "table name", and so on. */
static void bad_encoding(struct route *r, enum dec_status st, const char *what, size_t index)
{
    char label[64];
    if (index)
        (void)snprintf(label, sizeof label, "%s %zu", what, index);
    else
        (void)snprintf(label, sizeof label, "%s", what);

    switch (st) {
    case DEC_BAD_ESCAPE:
        set_detail(r, "%s has a malformed %%-escape (\"%%\" must be followed by two hex digits)",
                   label);
        break;
    case DEC_NUL:
        set_detail(r, "%s contains a NUL byte (%%00), which a key cannot hold", label);
        break;
    case DEC_BAD_UTF8:
    case DEC_OK:
        set_detail(r, "%s is not valid UTF-8", label);
        break;
    }
}

/* Decodes everything sh points at into one block and hangs it on r. */
static enum route_status decode_route(const struct shape *sh, struct route *r)
{
    const size_t align = alignof(struct route_param) > alignof(char *) ? alignof(struct route_param)
                                                                       : alignof(char *);
    /* Each string needs at most its raw length plus a NUL: the name, the key
     * parts (the "/" between them pays for their NULs, plus one), and per
     * query piece a name and a value (the "=" pays for one NUL). */
    size_t strbytes = sh->namelen + 1;
    if (sh->nparts)
        strbytes += sh->keyslen + 1;
    strbytes += sh->querylen + 2 * sh->nparams;
    size_t partsoff = (strbytes + align - 1) / align * align;
    size_t paramsoff = partsoff + sh->nparts * sizeof(char *);
    size_t total = paramsoff + sh->nparams * sizeof(struct route_param);

    char *block = xmalloc(total);
    char **parts = sh->nparts ? (char **)(void *)(block + partsoff) : NULL;
    struct route_param *params =
        sh->nparams ? (struct route_param *)(void *)(block + paramsoff) : NULL;
    char *out = block;
    size_t outlen = 0;
    enum dec_status st;

    st = decode_into(sh->name, sh->namelen, 0, out, &outlen);
    if (st != DEC_OK) {
        bad_encoding(r, st, "table name", 0);
        goto fail;
    }
    out += outlen + 1;

    for (size_t i = 0, pos = 0; i < sh->nparts; i++) {
        size_t seglen = span_to(sh->keys + pos, sh->keyslen - pos, '/');
        st = decode_into(sh->keys + pos, seglen, 0, out, &outlen);
        if (st != DEC_OK) {
            bad_encoding(r, st, "key segment", i + 1);
            goto fail;
        }
        parts[i] = out;
        out += outlen + 1;
        pos += seglen + 1;
    }

    size_t k = 0;
    for (size_t pos = 0; pos < sh->querylen;) {
        const char *piece = sh->query + pos;
        size_t piecelen = span_to(piece, sh->querylen - pos, '&');
        pos += piecelen + 1;
        if (piecelen == 0)
            continue;
        /* The first "=" ends the name: "a=b=c" is a with value "b=c". */
        size_t namelen = span_to(piece, piecelen, '=');
        st = decode_into(piece, namelen, 1, out, &outlen);
        if (st != DEC_OK) {
            bad_encoding(r, st, "name of query parameter", k + 1);
            goto fail;
        }
        params[k].name = out;
        out += outlen + 1;
        size_t vstart = namelen < piecelen ? namelen + 1 : piecelen;
        st = decode_into(piece + vstart, piecelen - vstart, 1, out, &outlen);
        if (st != DEC_OK) {
            bad_encoding(r, st, "value of query parameter", k + 1);
            goto fail;
        }
        params[k].value = out;
        params[k].raw_value = piece + vstart;
        params[k].raw_len = piecelen - vstart;
        out += outlen + 1;
        k++;
    }

    r->table = block;
    r->parts = parts;
    r->nparts = sh->nparts;
    r->params = params;
    r->nparams = sh->nparams;
    return ROUTE_OK;

fail:
    /* The route is left without allocations, so that a caller looking at
     * parts after an error finds none rather than half a list. */
    free(block);
    return ROUTE_ERR_BAD_ENCODING;
}

/* The length of "http://host" in an absolute-form target
 * ("http://host/path"), which HTTP/1.1 servers must accept (RFC 9112
 * 3.2.2); 0 for the usual origin form or when no path follows the host. */
static size_t authority_len(const char *uri, size_t len)
{
    size_t i;
    if (len >= 7 && strncasecmp(uri, "http://", 7) == 0)
        i = 7;
    else if (len >= 8 && strncasecmp(uri, "https://", 8) == 0)
        i = 8;
    else
        return 0;
    while (i < len && uri[i] != '/' && uri[i] != '?')
        i++;
    return i < len && uri[i] == '/' ? i : 0;
}

const char *router_template(const struct route *r)
{
    switch (r->kind) {
    case ROUTE_HEALTHZ:
        return "/healthz";
    case ROUTE_READYZ:
        return "/readyz";
    case ROUTE_TABLES:
        return "/api/v1/tables";
    case ROUTE_TABLE:
        return "/api/v1/tables/{table}";
    case ROUTE_ROW:
        return r->nparts > 0 ? "/api/v1/tables/{table}/rows/{key}" : "/api/v1/tables/{table}/rows";
    case ROUTE_LOOKUP:
        return "/api/v1/tables/{table}/lookup";
    case ROUTE_OPENAPI:
        return "/api/v1/openapi.json";
    case ROUTE_METRICS:
        return "/metrics";
    case ROUTE_STATUS:
        return "/api/v1/status";
    case ROUTE_NOT_FOUND:
        break;
    }
    return "other";
}

enum route_status router_parse(const char *method, const char *uri, size_t len, struct route *r)
{
    struct shape sh;

    memset(r, 0, sizeof *r);
    memset(&sh, 0, sizeof sh);
    if (uri == NULL)
        len = 0;

    /* decode_route sizes its block as a small multiple of len; no request
     * line comes near this, it only keeps that arithmetic from wrapping. */
    if (len > SIZE_MAX / 64) {
        set_detail(r, "the request target is too long");
        return ROUTE_ERR_NOT_FOUND;
    }
    size_t skip = authority_len(uri, len);
    uri += skip;
    len -= skip;
    if (len == 0 || uri[0] != '/') {
        /* "*", an authority without a path and the empty target are not ours. */
        set_detail(r, "the request target must be a path starting with \"/\"");
        return ROUTE_ERR_NOT_FOUND;
    }

    size_t pathlen = span_to(uri, len, '?');
    sh.kind = match_path(uri + 1, pathlen - 1, &sh);
    if (sh.kind == ROUTE_NOT_FOUND) {
        set_detail(r, "no such path; the tables are listed at /api/v1/tables");
        return ROUTE_ERR_NOT_FOUND;
    }
    r->kind = sh.kind;

    /* OPTIONS passes on every path: a browser's CORS preflight asks it
     * before the request it is about to make. Whether it is answered is the
     * caller's business (only when CORS is on); Allow lists the methods
     * that read or look up, as before. */
    bool options = method != NULL && strcmp(method, "OPTIONS") == 0;
    if (sh.kind == ROUTE_LOOKUP) {
        r->allow = allow_post;
        if (!options && (method == NULL || strcmp(method, "POST") != 0)) {
            set_detail(r, "this path only accepts the method POST");
            return ROUTE_ERR_METHOD;
        }
    } else {
        r->allow = allow_get_head;
        if (!options &&
            (method == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))) {
            set_detail(r, "this path only accepts the methods GET and HEAD");
            return ROUTE_ERR_METHOD;
        }
    }

    if (sh.kind != ROUTE_TABLE && sh.kind != ROUTE_ROW && sh.kind != ROUTE_LOOKUP)
        return ROUTE_OK;
    /* Only key lookups read the query; elsewhere it is ignored unparsed, so
     * that "/healthz?%zz" is still a health check. */
    if ((sh.kind == ROUTE_ROW || sh.kind == ROUTE_LOOKUP) && pathlen < len) {
        sh.query = uri + pathlen + 1;
        sh.querylen = len - pathlen - 1;
        sh.nparams = count_params(sh.query, sh.querylen);
    }
    return decode_route(&sh, r);
}

void route_free(struct route *r)
{
    if (r == NULL)
        return;
    /* r->table is the start of the one block holding every string and both
     * arrays (see decode_route); nothing else is allocated. */
    free(r->table);
    memset(r, 0, sizeof *r);
}
