/* etag: the entity tag of a response body, and If-None-Match.
 *
 * A row's ETag is strong and follows its bytes: a 64-bit hash of the JSON
 * body (see etag.c), written as 16 hex digits in quotes. The same row
 * encoded the same way gets the same tag on every worker and after a restart; any
 * change to a value changes the body and so the tag (a collision needs two
 * bodies of one resource with the same 64-bit hash).
 *
 * If-None-Match (RFC 9110 13.1.2) uses the weak comparison: "W/" is ignored
 * on either side, and "*" matches any current representation. A list that
 * does not parse matches nothing, so the full response is sent.
 *
 * Pure: no I/O. Thread-safe.
 */
#ifndef LF_ETAG_H
#define LF_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#define ETAG_LEN 19 /* '"' + 16 hex + '"' + NUL */

/* Writes the tag of body[0..len) into out (ETAG_LEN bytes). */
void etag_of(const char *body, size_t len, char out[ETAG_LEN]);

/* True when the If-None-Match value inm (NULL: the header is absent) names
 * etag under the weak comparison, or is "*". */
bool etag_none_match(const char *inm, const char *etag);

#endif
