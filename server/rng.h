/* rng: xorshift64, for backoff jitter. Not for anything secret; the state
 * belongs to one thread. The state must start non-zero. */
#ifndef LF_RNG_H
#define LF_RNG_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
