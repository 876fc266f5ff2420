/* hash: FNV-1a, 64 bits: small, fast on short inputs, and good enough to
 * tell statements (catalog.c), response bodies (etag.c) and names
 * (openapi.c) apart. Not for anything an attacker could want to collide.
 * Pure; header only. */
#ifndef LF_HASH_H
#define LF_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hash_fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ull; /* the FNV-1a 64 offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull; /* the FNV 64 prime */
    }
    return h;
}

#endif
