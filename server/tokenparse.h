/* tokenparse: reads the answers of the Databricks endpoints lakefront calls.
 *
 * Pure: no curl, no I/O. Every function takes a response body (not
 * NUL-terminated, at most a few kilobytes, untrusted) and either fills its
 * output or returns -1 with a sentence in err that never quotes a secret
 * (no token value is ever copied into err).
 *
 * Shapes (databricks-facts.md §1-3a):
 *   POST /oidc/v1/token            {"access_token", "token_type", "expires_in": seconds}
 *   POST /api/2.0/postgres/credentials  {"token", "expire_time": RFC 3339}
 *   POST /api/2.0/database/credentials  {"token", "expiration_time": RFC 3339}
 *   GET  /api/2.0/preview/scim/v2/Me    {"userName"}
 *   errors: {"error_code", "message"} (REST) or {"error", "error_description"} (OAuth)
 */
#ifndef LF_TOKENPARSE_H
#define LF_TOKENPARSE_H

#include <stddef.h>
#include <stdint.h>

struct tp_token {
    char *value;        /* the secret; caller frees with tokenparse_wipe */
    int64_t expires_at; /* Unix seconds */
};

/* /oidc/v1/token: access_token and expires_in (a positive number of
 * seconds, at most a week), with token_type absent or "Bearer" (any case).
 * now is the Unix time the response arrived. */
int tokenparse_oidc(const char *body, size_t len, int64_t now, struct tp_token *out, char *err,
                    size_t errlen);

/* Either credential endpoint: "token" and "expire_time" or
 * "expiration_time" (whichever is present). */
int tokenparse_dbcred(const char *body, size_t len, struct tp_token *out, char *err, size_t errlen);

/* SCIM Me: userName, into *user (caller frees). */
int tokenparse_scim_user(const char *body, size_t len, char **user, char *err, size_t errlen);

/* The error of a failed call, from either shape, as "CODE: message" in out
 * (cut to outlen). Writes "" when the body is not such an error. */
void tokenparse_error(const char *body, size_t len, char *out, size_t outlen);

/* The OIDC discovery document's token_endpoint, into *url (caller frees). */
int tokenparse_discovery(const char *body, size_t len, char **url, char *err, size_t errlen);

/* RFC 3339 ("2026-11-23T02:00:00Z", "...T02:00:00.123456+01:00") to Unix
 * seconds (fractions dropped). Returns 0 or -1. */
int tokenparse_rfc3339(const char *s, int64_t *out);

/* Zeroes and frees the token's value; the struct may be reused. */
void tokenparse_wipe(struct tp_token *t);

#endif
