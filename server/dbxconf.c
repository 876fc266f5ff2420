/* dbxconf: see dbxconf.h. */
#include "dbxconf.h"

#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xalloc.h"

static void wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* ------------------------------------------------------------ host */

static int is_loopback(const char *h, size_t n)
{
    if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0))
        return 1;
    /* 127.0.0.0/8 in dotted form: "127." then digits and dots only. */
    if (n < 5 || memcmp(h, "127.", 4) != 0)
        return 0;
    for (size_t i = 4; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
            return 0;
    return 1;
}

char *dbxconf_normalize_host(const char *in, char *err, size_t errlen)
{
    const char *scheme = "https://", *rest = in;
    if (strncasecmp(in, "https://", 8) == 0) {
        rest = in + 8;
    } else if (strncasecmp(in, "http://", 7) == 0) {
        scheme = "http://";
        rest = in + 7;
    } else if (strstr(in, "://") != NULL) {
        snprintf(err, errlen, "DATABRICKS_HOST: only https:// is accepted");
        return NULL;
    }
    size_t n = strlen(rest);
    while (n > 0 && rest[n - 1] == '/')
        n--;
    if (n == 0) {
        snprintf(err, errlen, "DATABRICKS_HOST: no host name");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)rest[i];
        if (c <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '@' || c == '\\') {
            snprintf(err, errlen,
                     "DATABRICKS_HOST: expected a workspace host like "
                     "https://dbc-1234.cloud.databricks.com, with no path, user or spaces");
            return NULL;
        }
    }
    if (scheme[4] == ':') { /* http:// */
        size_t hl = n;
        const char *colon = rest[0] == '[' ? memchr(rest, ']', n) : memchr(rest, ':', n);
        if (rest[0] == '[' && colon != NULL)
            hl = (size_t)(colon - rest) + 1;
        else if (colon != NULL)
            hl = (size_t)(colon - rest);
        /* After the host only ":port" may follow. */
        bool port_ok = hl == n || (rest[hl] == ':' && hl + 1 < n);
        for (size_t i = hl + 1; port_ok && i < n; i++)
            port_ok = rest[i] >= '0' && rest[i] <= '9';
        if (!is_loopback(rest, hl) || !port_ok) {
            snprintf(err, errlen,
                     "DATABRICKS_HOST: plain http:// is accepted only for loopback addresses "
                     "(tests); use https://");
            return NULL;
        }
    }
    size_t sl = strlen(scheme);
    char *out = xmalloc(sl + n + 1);
    memcpy(out, scheme, sl);
    memcpy(out + sl, rest, n);
    out[sl + n] = '\0';
    return out;
}

/* ------------------------------------------------------------ profile file */

struct profile {
    const char *want; /* the profile's section name */
    char *host, *token, *client_id, *client_secret;           /* from the profile */
    char *d_host, *d_token, *d_client_id, *d_client_secret;   /* from [DEFAULT] */
    int found;
};

static void set_key(char **dst, const char *v)
{
    wipe_free(*dst);
    *dst = xstrdup(v);
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct profile *p = user;
    bool is_default = strcmp(section, "DEFAULT") == 0;
    bool is_want = strcmp(section, p->want) == 0;
    if (is_want)
        p->found = 1;
    if (!is_default && !is_want)
        return 1;
    /* The wanted profile's own keys win; [DEFAULT] fills the gaps. */
    bool own = is_want;
    if (strcmp(name, "host") == 0)
        set_key(own ? &p->host : &p->d_host, value);
    else if (strcmp(name, "token") == 0)
        set_key(own ? &p->token : &p->d_token, value);
    else if (strcmp(name, "client_id") == 0)
        set_key(own ? &p->client_id : &p->d_client_id, value);
    else if (strcmp(name, "client_secret") == 0)
        set_key(own ? &p->client_secret : &p->d_client_secret, value);
    return 1;
}

static char *pick(char **own, char **dflt)
{
    char *v = *own ? *own : *dflt;
    if (v == *own)
        *own = NULL;
    else
        *dflt = NULL;
    return v;
}

static void profile_free(struct profile *p)
{
    wipe_free(p->host);
    wipe_free(p->token);
    wipe_free(p->client_id);
    wipe_free(p->client_secret);
    wipe_free(p->d_host);
    wipe_free(p->d_token);
    wipe_free(p->d_client_id);
    wipe_free(p->d_client_secret);
}

/* Reads the profile into s (identity and host). Returns 1 when the file
 * gave an identity, 0 when there is no usable file or profile, -1 on a
 * hard error (a profile asked for by name that is missing or unusable). */
static int read_profile(struct dbx_settings *s, char *err, size_t errlen)
{
    char path[4096];
    const char *file = env("DATABRICKS_CONFIG_FILE");
    const char *named = env("DATABRICKS_CONFIG_PROFILE");
    if (file != NULL) {
        snprintf(path, sizeof path, "%s", file);
    } else {
        const char *home = env("HOME");
        if (home == NULL)
            return 0;
        snprintf(path, sizeof path, "%s/.databrickscfg", home);
    }
    if (access(path, R_OK) != 0) {
        if (named != NULL || file != NULL) {
            snprintf(err, errlen, "cannot read the Databricks config file %s", path);
            return -1;
        }
        return 0;
    }
    struct profile p = {.want = named ? named : "DEFAULT"};
    int line = ini_parse(path, on_ini, &p);
    int rc = 0;
    if (line != 0) {
        snprintf(err, errlen, "%s: cannot parse it (line %d)", path, line);
        rc = -1;
        goto out;
    }
    if (!p.found && named != NULL) {
        snprintf(err, errlen, "%s has no profile [%s]", path, named);
        rc = -1;
        goto out;
    }
    /* An identity the profile states itself beats one it inherits: a
     * profile with its own token uses it even when [DEFAULT] holds client
     * credentials. */
    bool own_m2m = p.client_id != NULL && p.client_secret != NULL;
    bool own_pat = p.token != NULL;
    if (own_pat && !own_m2m) {
        wipe_free(p.d_client_id), p.d_client_id = NULL;
        wipe_free(p.d_client_secret), p.d_client_secret = NULL;
    }
    char *host = pick(&p.host, &p.d_host);
    char *token = pick(&p.token, &p.d_token);
    char *cid = pick(&p.client_id, &p.d_client_id);
    char *csec = pick(&p.client_secret, &p.d_client_secret);
    if (cid != NULL && csec != NULL) {
        s->identity = DBX_M2M;
        s->client_id = cid, cid = NULL;
        s->client_secret = csec, csec = NULL;
    } else if (token != NULL) {
        s->identity = DBX_PAT;
        s->token = token, token = NULL;
    }
    /* The profile's host counts even without an identity, so that an
     * error can say exactly what is missing. */
    if (s->host == NULL)
        s->host = host, host = NULL;
    if (s->identity != 0) {
        snprintf(s->source, sizeof s->source, "profile [%.32s] of %.80s (%s)", p.want, path,
                 s->identity == DBX_M2M ? "OAuth client credentials" : "personal access token");
        rc = 1;
    } else if (named != NULL) {
        snprintf(err, errlen,
                 "%s: profile [%s] has neither a token nor a client_id and client_secret", path,
                 named);
        rc = -1;
    }
    wipe_free(host);
    wipe_free(token);
    wipe_free(cid);
    wipe_free(csec);
out:
    profile_free(&p);
    return rc;
}

/* ------------------------------------------------------------ resolve */

int dbxconf_resolve(struct dbx_settings *s, const char *auth, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    bool force = false;
    if (auth == NULL || auth[0] == '\0') {
        force = false;
    } else if (strcmp(auth, "password") == 0) {
        return 0;
    } else if (strcmp(auth, "databricks") == 0) {
        force = true;
    } else {
        snprintf(err, errlen, "LAKEFRONT_AUTH: \"%.40s\" is not accepted; expected password or "
                              "databricks", auth);
        return -1;
    }

    s->endpoint = dup_or_null(env("LAKEBASE_ENDPOINT"));
    s->instance = s->endpoint ? NULL : dup_or_null(env("LAKEBASE_INSTANCE_NAME"));
    s->pguser = dup_or_null(env("PGUSER"));
    const char *host = env("DATABRICKS_HOST");
    s->host = dup_or_null(host);

    if (host && env("DATABRICKS_CLIENT_ID") && env("DATABRICKS_CLIENT_SECRET")) {
        s->identity = DBX_M2M;
        s->client_id = xstrdup(env("DATABRICKS_CLIENT_ID"));
        s->client_secret = xstrdup(env("DATABRICKS_CLIENT_SECRET"));
        snprintf(s->source, sizeof s->source, "environment (service principal %.60s)",
                 s->client_id);
    } else if (host && env("DATABRICKS_TOKEN")) {
        s->identity = DBX_PAT;
        s->token = xstrdup(env("DATABRICKS_TOKEN"));
        snprintf(s->source, sizeof s->source, "environment (DATABRICKS_TOKEN)");
    } else {
        /* Without an endpoint and without LAKEFRONT_AUTH=databricks the file
         * cannot matter: do not touch it. */
        if (!force && s->endpoint == NULL && s->instance == NULL)
            goto password;
        if (read_profile(s, err, errlen) < 0)
            goto fail;
    }

    bool target = s->endpoint != NULL || s->instance != NULL;
    if (!force && !(s->host != NULL && target))
        goto password;
    if (s->host == NULL || s->identity == 0 || !target) {
        snprintf(err, errlen,
                 "Databricks credentials need a workspace (DATABRICKS_HOST or a profile's host), "
                 "an identity (DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, "
                 "DATABRICKS_TOKEN, or a ~/.databrickscfg profile) and LAKEBASE_ENDPOINT or "
                 "LAKEBASE_INSTANCE_NAME; missing: %s%s%s",
                 s->host ? "" : "host ", s->identity ? "" : "identity ", target ? "" : "endpoint");
        goto fail;
    }
    char *norm = dbxconf_normalize_host(s->host, err, errlen);
    if (norm == NULL)
        goto fail;
    free(s->host);
    s->host = norm;
    s->enabled = true;
    return 0;

password:
    dbxconf_free(s);
    return 0;
fail:
    dbxconf_free(s);
    return -1;
}

void dbxconf_free(struct dbx_settings *s)
{
    free(s->host);
    free(s->client_id);
    wipe_free(s->client_secret);
    wipe_free(s->token);
    free(s->endpoint);
    free(s->instance);
    free(s->pguser);
    memset(s, 0, sizeof *s);
}
