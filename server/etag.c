/* etag: see etag.h. */
#include "etag.h"

#include "hash.h"

#include <stdint.h>
#include <string.h>

void etag_of(const char *body, size_t len, char out[ETAG_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h = hash_fnv1a(body, len);
    out[0] = '"';
    for (int i = 0; i < 16; i++)
        out[1 + i] = hex[(h >> (60 - 4 * i)) & 0xf];
    out[17] = '"';
    out[18] = '\0';
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

bool etag_none_match(const char *inm, const char *etag)
{
    if (inm == NULL)
        return false;
    const char *p = skip_ows(inm);
    if (p[0] == '*' && *skip_ows(p + 1) == '\0')
        return true;
    /* etag is '"' opaque '"'; compare the quoted forms. */
    size_t want = strlen(etag);
    for (;;) {
        /* Empty list elements (", ,") are allowed. */
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return false;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false; /* not an entity-tag: the list is malformed */
        const char *end = strchr(p + 1, '"');
        if (end == NULL)
            return false;
        size_t n = (size_t)(end - p) + 1;
        if (n == want && memcmp(p, etag, n) == 0)
            return true;
        p = skip_ows(end + 1);
        if (*p != ',' && *p != '\0')
            return false;
    }
}
