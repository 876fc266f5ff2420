/* clock: the two clocks lakefront reads.
 *
 * Deadlines, backoffs and durations use the monotonic clock (immune to wall
 * clock steps); log lines carry wall-clock UTC. Thread-safe.
 */
#ifndef LF_CLOCK_H
#define LF_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic microseconds since an arbitrary origin. */
uint64_t clock_now_us(void);

/* Writes the current UTC time as "2026-11-23T01:02:03.456Z" into out
 * (at least 32 bytes). */
void clock_wall_iso(char *out, size_t outlen);

#endif
