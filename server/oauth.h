/* oauth: the Lakebase credential provider.
 *
 * It logs in to Postgres with short-lived OAuth database credentials minted
 * through the workspace's REST API, and keeps them fresh from a thread of
 * its own so that no request ever waits for a token:
 *
 *   workspace token   OAuth client credentials (POST {host}/oidc/v1/token)
 *                     for a service principal, or a personal access token
 *   user name         PGUSER, else the client id, else SCIM Me's userName
 *   db credential     POST {host}/api/2.0/postgres/credentials {"endpoint"}
 *                     (Autoscaling) or /api/2.0/database/credentials
 *                     {"instance_names", "request_id"} (Provisioned)
 *
 * Both tokens are renewed once less than half of their lifetime remains, one
 * request at a time; a login refused with 28P01 asks for a renewal at once
 * (coalesced: any number of connections cause one request). A failed renewal
 * is retried with exponential backoff and jitter while the connections that
 * are open keep serving. Tokens and secrets live only here and in the
 * snapshots handed to the pool; they are never logged and are wiped when
 * replaced.
 *
 * HTTP goes through libcurl with TLS verification on, connect and total
 * timeouts, no redirects and a cap on the response size. Blocking calls are
 * fine here: this thread serves no request.
 */
#ifndef LF_OAUTH_H
#define LF_OAUTH_H

#include <stddef.h>

#include "creds.h"
#include "dbxconf.h"

/* Takes ownership of *s (it is zeroed) and starts the refresh thread; the
 * first credential is requested at once. on_available (may be NULL) is
 * called from that thread whenever a credential appears after there was
 * none. Never fails for network reasons:
 * until a credential exists, creds_acquire returns NULL with the reason.
 * Returns NULL only when the thread or libcurl cannot start (err filled). */
struct creds_provider *oauth_provider_new(struct dbx_settings *s, void (*on_available)(void *),
                                          void *arg, char *err, size_t errlen);

/* For `lakefront check`: obtains one database credential now, on the
 * calling thread, through the same calls and checks as the refresh thread,
 * and returns it with a reference for the caller; NULL with err filled (no
 * secret) when any step fails. info (may be NULL) is filled as the provider
 * would describe itself after that attempt. Takes ownership of *s (zeroed).
 * Blocking: never call it from a worker. */
struct creds *oauth_fetch_once(struct dbx_settings *s, struct creds_info *info, char *err,
                               size_t errlen);

#endif
