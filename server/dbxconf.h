/* dbxconf: which Databricks workspace and identity lakefront uses, and
 * whether it uses Databricks credentials at all.
 *
 * The workspace token comes from the first of these that applies:
 *   1. a Databricks App's service principal: DATABRICKS_HOST,
 *      DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET (OAuth M2M);
 *   2. a personal access token: DATABRICKS_HOST and DATABRICKS_TOKEN;
 *   3. a profile of ~/.databrickscfg (DATABRICKS_CONFIG_FILE,
 *      DATABRICKS_CONFIG_PROFILE, default DEFAULT) with host and token, or
 *      host, client_id and client_secret. Keys of [DEFAULT] are inherited by
 *      every profile, as Python's configparser (which the SDKs use) does.
 * The database credential is for LAKEBASE_ENDPOINT (Autoscaling) or else
 * LAKEBASE_INSTANCE_NAME (Provisioned).
 *
 * LAKEFRONT_AUTH=password|databricks decides; unset, Databricks credentials
 * are used when a host and an endpoint or instance are configured.
 *
 * The file is read with inih (Debian's libinih): a small, fuzzed INI reader
 * that handles comments, continuation lines and BOMs as configparser does,
 * better than a parser of our own would. Startup only (main thread).
 */
#ifndef LF_DBXCONF_H
#define LF_DBXCONF_H

#include <stdbool.h>
#include <stddef.h>

enum dbx_identity {
    DBX_M2M = 1, /* client_id + client_secret: OAuth client credentials */
    DBX_PAT,     /* a personal access token */
};

struct dbx_settings {
    bool enabled;           /* use Databricks credentials */
    char *host;             /* "https://host" or "http://127.0.0.1:port" (loopback only) */
    enum dbx_identity identity;
    char *client_id;
    char *client_secret;    /* a secret */
    char *token;            /* a secret: the PAT */
    char *endpoint;         /* Autoscaling: projects/P/branches/B/endpoints/E */
    char *instance;         /* Provisioned: the instance name */
    char *pguser;           /* PGUSER when set, else NULL */
    char source[160];       /* where the identity came from, for logs (no secret) */
};

/* Fills s from the environment (and the config file when it applies).
 * auth is LAKEFRONT_AUTH ("" when unset). Returns 0, or -1 with err filled
 * (a setting is missing or malformed: startup stops with exit code 2). */
int dbxconf_resolve(struct dbx_settings *s, const char *auth, char *err, size_t errlen);

/* Zeroes the secrets and frees everything. */
void dbxconf_free(struct dbx_settings *s);

/* "host", "https://host/", "http://127.0.0.1:8080" to "https://host" form
 * (no trailing slash). Plain http is accepted only for loopback hosts
 * (localhost, 127.0.0.0/8, [::1]). Returns a new string, or NULL with err. */
char *dbxconf_normalize_host(const char *in, char *err, size_t errlen);

#endif
