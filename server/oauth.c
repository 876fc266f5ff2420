/* oauth: see oauth.h. */
#include "oauth.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "buf.h"
#include "jsonw.h"
#include "log.h"
#include "rng.h"
#include "tokenparse.h"
#include "xalloc.h"

#define HTTP_CONNECT_TIMEOUT_MS 5000L
#define HTTP_TOTAL_TIMEOUT_MS 15000L
#define HTTP_MAX_RESPONSE (256 * 1024) /* a token answer is a few hundred bytes */
#define RETRY_MIN_S 1
#define RETRY_MAX_S 60
#define KICK_MIN_INTERVAL_S 1 /* at most one 28P01-triggered renewal a second */

struct oauth {
    struct creds_provider base; /* first: the pool sees a creds_provider */
    struct dbx_settings cfg;

    pthread_t thread;
    pthread_mutex_t lock;    /* guards everything down to last_error */
    pthread_cond_t cond;
    bool stop;
    bool kick;
    bool failing;            /* the last renewal failed */
    struct creds *current;   /* newest database credential, or NULL */
    int64_t issued;          /* when current arrived (Unix s) */
    int64_t expires;         /* when current expires (Unix s) */
    char last_error[300];
    int64_t last_refresh_at; /* when the last renewal ended (Unix s); 0: none yet */
    int last_refresh_ok;     /* -1 none yet, 0 failed, 1 succeeded */
    uint64_t refresh_ok, refresh_failed;
    bool threaded;           /* the refresh thread runs (not oauth_fetch_once) */

    /* Refresh thread only. */
    CURL *curl;
    struct tp_token ws;      /* workspace token (a PAT never expires) */
    int64_t ws_issued;
    char *token_url;         /* from OIDC discovery */
    char *user;              /* Postgres user name */
    unsigned failures;
    int64_t last_attempt;
    uint64_t rng;
};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ------------------------------------------------------------ HTTP */

struct reply {
    struct buf body;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    if (r->body.len + size * n > HTTP_MAX_RESPONSE) {
        r->too_big = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    buf_append(&r->body, ptr, size * n);
    return size * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    struct oauth *o = arg;
    /* Shutdown must not wait for a slow workspace: abort the transfer. */
    return __atomic_load_n(&o->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static void reply_wipe(struct reply *r)
{
    if (r->body.data != NULL)
        explicit_bzero(r->body.data, r->body.cap);
    buf_free(&r->body);
}

/* One HTTP call. bearer (a token) or basic (client credentials) authorize
 * it; body, when not NULL, is POSTed as content_type. Returns the HTTP
 * status, or -1 with err filled on a transport failure. */
static long http_call(struct oauth *o, const char *url, const char *bearer, bool basic,
                      const char *content_type, const char *body, struct reply *r, char *err,
                      size_t errlen)
{
    CURL *c = o->curl;
    struct curl_slist *h = NULL;
    struct buf auth = BUF_INIT;
    long status = -1;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    /* https only, except the loopback http:// that dbxconf allows for tests. */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                     strncmp(o->cfg.host, "http://", 7) == 0 ? "http" : "https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HTTP_TOTAL_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, o);
    curl_easy_setopt(c, CURLOPT_USERAGENT,
                     o->cfg.identity == DBX_M2M ? "lakefront/" LF_VERSION " auth/oauth-m2m"
                                                : "lakefront/" LF_VERSION " auth/pat");
    h = curl_slist_append(h, "Accept: application/json");
    if (body != NULL) {
        char ct[96];
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        h = curl_slist_append(h, ct);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    if (bearer != NULL) {
        buf_printf(&auth, "Authorization: Bearer %s", bearer);
        h = curl_slist_append(h, auth.data);
    }
    if (basic) {
        /* curl sends base64(client_id:client_secret) as is, not
         * form-encoded: what the Databricks token endpoint expects. */
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, o->cfg.client_id);
        curl_easy_setopt(c, CURLOPT_PASSWORD, o->cfg.client_secret);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);

    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    } else if (r->too_big) {
        snprintf(err, errlen, "the response was larger than %d bytes", HTTP_MAX_RESPONSE);
    } else {
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    }
    /* Drop the credentials from curl's handle and our header copy now. */
    curl_easy_setopt(c, CURLOPT_PASSWORD, "");
    curl_slist_free_all(h);
    if (auth.data != NULL)
        explicit_bzero(auth.data, auth.cap);
    buf_free(&auth);
    return status;
}

/* A failed call as one sentence: status and the Databricks error, never
 * the body itself (it could echo a token). */
static void call_failed(char *err, size_t errlen, const char *what, long status,
                        const struct reply *r)
{
    char dbx[300];
    tokenparse_error(r->body.data ? r->body.data : "", r->body.len, dbx, sizeof dbx);
    snprintf(err, errlen, "%s: HTTP %ld%s%.200s", what, status, dbx[0] ? ", " : "", dbx);
}

/* Rewrites err as "what: err": every failure names the call it came from. */
static void prefix_err(char *err, size_t errlen, const char *what)
{
    char e[256];
    snprintf(e, sizeof e, "%s", err);
    snprintf(err, errlen, "%s: %s", what, e);
}

/* ------------------------------------------------------------ the steps */

static int discover(struct oauth *o, char *err, size_t errlen)
{
    char url[512];
    struct reply r = {BUF_INIT, false};
    snprintf(url, sizeof url, "%s/oidc/.well-known/oauth-authorization-server", o->cfg.host);
    long st = http_call(o, url, NULL, false, NULL, NULL, &r, err, errlen);
    int rc = -1;
    if (st < 0) {
        prefix_err(err, errlen, "OIDC discovery");
    } else if (st != 200) {
        call_failed(err, errlen, "OIDC discovery", st, &r);
    } else {
        char *tu = NULL;
        size_t hl = strlen(o->cfg.host);
        if (tokenparse_discovery(r.body.data, r.body.len, &tu, err, errlen) == 0) {
            /* The client secret goes to this URL: it must be the workspace's. */
            if (strncmp(tu, o->cfg.host, hl) == 0 && tu[hl] == '/') {
                free(o->token_url);
                o->token_url = tu;
                rc = 0;
            } else {
                snprintf(err, errlen, "OIDC discovery: the token endpoint is not on %s",
                         o->cfg.host);
                free(tu);
            }
        } else {
            prefix_err(err, errlen, "OIDC discovery");
        }
    }
    reply_wipe(&r);
    return rc;
}

static int workspace_token(struct oauth *o, char *err, size_t errlen)
{
    if (o->cfg.identity == DBX_PAT) {
        if (o->ws.value == NULL) {
            o->ws.value = xstrdup(o->cfg.token);
            o->ws.expires_at = INT64_MAX;
        }
        return 0;
    }
    int64_t now = now_s();
    /* Fresh enough: more than half of its lifetime left. */
    if (o->ws.value != NULL && now < o->ws_issued + (o->ws.expires_at - o->ws_issued) / 2)
        return 0;
    if (o->token_url == NULL && discover(o, err, errlen) != 0)
        return -1;

    struct reply r = {BUF_INIT, false};
    long st = http_call(o, o->token_url, NULL, true, "application/x-www-form-urlencoded",
                        "grant_type=client_credentials&scope=all-apis", &r, err, errlen);
    int rc = -1;
    struct tp_token t = {NULL, 0};
    if (st < 0) {
        prefix_err(err, errlen, "workspace token");
    } else if (st != 200) {
        call_failed(err, errlen, "workspace token", st, &r);
    } else if (tokenparse_oidc(r.body.data, r.body.len, now, &t, err, errlen) == 0) {
        tokenparse_wipe(&o->ws);
        o->ws = t;
        o->ws_issued = now;
        rc = 0;
    } else {
        prefix_err(err, errlen, "workspace token");
    }
    reply_wipe(&r);
    return rc;
}

static int user_name(struct oauth *o, char *err, size_t errlen)
{
    if (o->user != NULL)
        return 0;
    if (o->cfg.pguser != NULL) {
        o->user = xstrdup(o->cfg.pguser);
        return 0;
    }
    if (o->cfg.identity == DBX_M2M) {
        o->user = xstrdup(o->cfg.client_id);
        return 0;
    }
    char url[512];
    struct reply r = {BUF_INIT, false};
    snprintf(url, sizeof url, "%s/api/2.0/preview/scim/v2/Me", o->cfg.host);
    long st = http_call(o, url, o->ws.value, false, NULL, NULL, &r, err, errlen);
    int rc = -1;
    if (st < 0) {
        prefix_err(err, errlen, "SCIM Me");
    } else if (st != 200) {
        call_failed(err, errlen, "SCIM Me", st, &r);
    } else if ((rc = tokenparse_scim_user(r.body.data, r.body.len, &o->user, err, errlen)) != 0) {
        prefix_err(err, errlen, "SCIM Me");
    }
    reply_wipe(&r);
    return rc;
}

static void uuid4(char out[37])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)(clock() ^ (long)i * 131);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static int db_credential(struct oauth *o, struct tp_token *out, char *err, size_t errlen)
{
    char url[512];
    struct buf body = BUF_INIT;
    if (o->cfg.endpoint != NULL) {
        snprintf(url, sizeof url, "%s/api/2.0/postgres/credentials", o->cfg.host);
        buf_puts(&body, "{\"endpoint\":");
        jsonw_cstr(&body, o->cfg.endpoint);
        buf_putc(&body, '}');
    } else {
        char id[37];
        uuid4(id);
        snprintf(url, sizeof url, "%s/api/2.0/database/credentials", o->cfg.host);
        buf_puts(&body, "{\"instance_names\":[");
        jsonw_cstr(&body, o->cfg.instance);
        buf_printf(&body, "],\"request_id\":\"%s\"}", id);
    }
    struct reply r = {BUF_INIT, false};
    long st = http_call(o, url, o->ws.value, false, "application/json", body.data, &r, err, errlen);
    int rc = -1;
    if (st < 0) {
        prefix_err(err, errlen, "database credential");
    } else if (st != 200) {
        call_failed(err, errlen, "database credential", st, &r);
        /* A workspace token the API no longer accepts is dropped, so the
         * next attempt mints a new one first. */
        if ((st == 401 || st == 403) && o->cfg.identity == DBX_M2M)
            tokenparse_wipe(&o->ws);
    } else if ((rc = tokenparse_dbcred(r.body.data, r.body.len, out, err, errlen)) != 0) {
        prefix_err(err, errlen, "database credential");
    }
    reply_wipe(&r);
    buf_free(&body);
    return rc;
}

/* ------------------------------------------------------------ the thread */

/* Renews the workspace token when it is due and, when need_db, the
 * database credential. */
static int renew(struct oauth *o, bool need_db, char *err, size_t errlen)
{
    struct tp_token cred = {NULL, 0};
    if (workspace_token(o, err, errlen) != 0)
        return -1;
    if (!need_db)
        return 0;
    if (user_name(o, err, errlen) != 0 || db_credential(o, &cred, err, errlen) != 0)
        return -1;
    int64_t now = now_s();
    if (cred.expires_at <= now) {
        snprintf(err, errlen, "database credential: it expired %lld s ago (is the clock right?)",
                 (long long)(now - cred.expires_at));
        tokenparse_wipe(&cred);
        return -1;
    }
    /* The snapshot takes the secret; connections holding the old one keep
     * it until they are done logging in, and the last one wipes it. */
    struct creds *c = creds_new(xstrdup(o->user), cred.value);
    pthread_mutex_lock(&o->lock);
    struct creds *old = o->current;
    o->current = c;
    o->issued = now;
    o->expires = cred.expires_at;
    o->last_error[0] = '\0';
    /* Logins refused while this renewal was under way asked for one; it is
     * the one just done. */
    o->kick = false;
    o->failing = false;
    o->last_refresh_at = now;
    o->last_refresh_ok = 1;
    o->refresh_ok++;
    pthread_mutex_unlock(&o->lock);
    creds_unref(old);
    if (old == NULL && o->base.on_available != NULL)
        o->base.on_available(o->base.on_available_arg);

    struct logline l;
    if (logline_begin(&l, LOG_INFO, "database credential renewed", NULL)) {
        logline_str(&l, "user", o->user);
        logline_int(&l, "expires_in_s", (long long)(cred.expires_at - now));
        logline_end(&l);
    }
    return 0;
}

static uint64_t rnd(struct oauth *o)
{
    return xorshift64(&o->rng);
}

/* When the database credential is due (Unix s): once half of its lifetime
 * is gone, so every new connection logs in with one that has at least half
 * to live. Lock held. */
static int64_t db_due(const struct oauth *o)
{
    return o->current == NULL ? 0 : o->issued + (o->expires - o->issued) / 2;
}

/* The same for the workspace token: a PAT is never due. Thread only. */
static int64_t ws_due(const struct oauth *o)
{
    if (o->cfg.identity == DBX_PAT || o->ws.value == NULL)
        return o->ws.value == NULL ? 0 : INT64_MAX;
    return o->ws_issued + (o->ws.expires_at - o->ws_issued) / 2;
}

static void *oauth_main(void *arg)
{
    struct oauth *o = arg;
    int64_t retry_at = 0; /* after a failure: not before this (Unix s) */

    pthread_mutex_lock(&o->lock);
    for (;;) {
        /* Sleep until something is due, a 28P01 kick, or shutdown. */
        int64_t now = now_s();
        bool kicked = false;
        while (!o->stop) {
            now = now_s();
            int64_t due = db_due(o) < ws_due(o) ? db_due(o) : ws_due(o);
            if (due < retry_at)
                due = retry_at;
            if (o->kick && now >= o->last_attempt + KICK_MIN_INTERVAL_S) {
                kicked = true;
                break;
            }
            if (now >= due)
                break;
            if (o->kick && o->last_attempt + KICK_MIN_INTERVAL_S < due)
                due = o->last_attempt + KICK_MIN_INTERVAL_S;
            struct timespec until = {.tv_sec = (time_t)due};
            pthread_cond_timedwait(&o->cond, &o->lock, &until);
        }
        if (o->stop)
            break;
        bool need_db = kicked || now >= db_due(o);
        o->kick = false;
        pthread_mutex_unlock(&o->lock);

        char err[300] = "";
        o->last_attempt = now;
        int rc = renew(o, need_db, err, sizeof err);

        pthread_mutex_lock(&o->lock);
        if (rc == 0) {
            o->failures = 0;
            retry_at = 0;
            continue;
        }
        o->failures++;
        o->failing = true;
        /* The counts are of database credentials, as the successes are:
         * renewing only the workspace token is a step towards one. */
        if (need_db) {
            o->last_refresh_at = now_s();
            o->last_refresh_ok = 0;
            o->refresh_failed++;
        }
        int64_t d = RETRY_MIN_S;
        for (unsigned i = 1; i < o->failures && d < RETRY_MAX_S; i++)
            d *= 2;
        if (d > RETRY_MAX_S)
            d = RETRY_MAX_S;
        /* Equal jitter: half fixed, half random. */
        d = d / 2 + (int64_t)(rnd(o) % (uint64_t)(d / 2 + 1));
        if (d < 1)
            d = 1;
        retry_at = now_s() + d;
        snprintf(o->last_error, sizeof o->last_error, "%s", err);
        struct logline l;
        if (logline_begin(&l, LOG_WARN, "database credential renewal failed", NULL)) {
            logline_str(&l, "error", err);
            logline_int(&l, "failures", o->failures);
            logline_int(&l, "retry_in_s", (long long)d);
            logline_bool(&l, "after_login_failure", kicked);
            logline_bool(&l, "have_credential", o->current != NULL);
            logline_end(&l);
        }
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

/* ------------------------------------------------------------ provider ops */

static struct creds *oauth_acquire(struct creds_provider *p, char *why, size_t whylen)
{
    struct oauth *o = (struct oauth *)p;
    pthread_mutex_lock(&o->lock);
    struct creds *c = o->current;
    if (c != NULL)
        creds_ref(c);
    else
        snprintf(why, whylen, "%s",
                 o->last_error[0] ? o->last_error : "the first credential is being requested");
    pthread_mutex_unlock(&o->lock);
    return c;
}

static enum creds_state oauth_state(struct creds_provider *p)
{
    struct oauth *o = (struct oauth *)p;
    pthread_mutex_lock(&o->lock);
    enum creds_state st = o->current != NULL ? CREDS_OK : o->failing ? CREDS_FAILING : CREDS_PENDING;
    pthread_mutex_unlock(&o->lock);
    return st;
}

static void oauth_login_failed(struct creds_provider *p, const struct creds *used)
{
    struct oauth *o = (struct oauth *)p;
    pthread_mutex_lock(&o->lock);
    /* Only the newest credential is worth replacing: a connection that
     * failed with an older one simply retries with the current. */
    if (used == o->current && !o->kick) {
        o->kick = true;
        pthread_cond_signal(&o->cond);
    }
    pthread_mutex_unlock(&o->lock);
}

static void oauth_info(struct creds_provider *p, struct creds_info *out)
{
    struct oauth *o = (struct oauth *)p;
    memset(out, 0, sizeof *out);
    out->source = p->name;
    snprintf(out->identity, sizeof out->identity, "%s", o->cfg.source);
    if (o->cfg.endpoint != NULL)
        snprintf(out->target, sizeof out->target, "endpoint %s", o->cfg.endpoint);
    else
        snprintf(out->target, sizeof out->target, "instance %s", o->cfg.instance);
    pthread_mutex_lock(&o->lock);
    out->expires_at = o->current != NULL ? (double)o->expires : 0;
    out->last_refresh_at = (double)o->last_refresh_at;
    out->last_refresh_ok = o->last_refresh_ok;
    snprintf(out->last_error, sizeof out->last_error, "%s", o->last_error);
    out->refresh_ok = o->refresh_ok;
    out->refresh_failed = o->refresh_failed;
    pthread_mutex_unlock(&o->lock);
}

static void oauth_destroy(struct creds_provider *p)
{
    struct oauth *o = (struct oauth *)p;
    if (o->threaded) {
        pthread_mutex_lock(&o->lock);
        __atomic_store_n(&o->stop, true, __ATOMIC_RELAXED);
        pthread_cond_signal(&o->cond);
        pthread_mutex_unlock(&o->lock);
        pthread_join(o->thread, NULL);
    }
    creds_unref(o->current);
    tokenparse_wipe(&o->ws);
    free(o->token_url);
    free(o->user);
    curl_easy_cleanup(o->curl);
    dbxconf_free(&o->cfg);
    pthread_cond_destroy(&o->cond);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

static const struct creds_provider_ops oauth_ops = {oauth_acquire, oauth_state,
                                                    oauth_login_failed, oauth_destroy,
                                                    oauth_info};

/* A provider with everything but its thread; NULL when libcurl cannot
 * start. Takes ownership of *s. */
static struct oauth *oauth_alloc(struct dbx_settings *s)
{
    struct oauth *o = xcalloc(1, sizeof *o);
    o->base.ops = &oauth_ops;
    o->base.name = "databricks";
    o->cfg = *s;
    memset(s, 0, sizeof *s);
    o->rng = (uint64_t)now_s() ^ (uint64_t)(uintptr_t)o;
    o->last_refresh_ok = -1;
    pthread_mutex_init(&o->lock, NULL);
    /* CLOCK_REALTIME (the default): deadlines here are token expiry times,
     * which are wall-clock times. */
    pthread_cond_init(&o->cond, NULL);
    o->curl = curl_easy_init();
    if (o->curl == NULL) {
        oauth_destroy(&o->base);
        return NULL;
    }
    return o;
}

struct creds *oauth_fetch_once(struct dbx_settings *s, struct creds_info *info, char *err,
                               size_t errlen)
{
    struct oauth *o = oauth_alloc(s);
    if (o == NULL) {
        snprintf(err, errlen, "cannot start libcurl");
        return NULL;
    }
    struct creds *c = NULL;
    if (renew(o, true, err, errlen) == 0) {
        c = o->current;
        creds_ref(c);
    } else {
        o->last_refresh_at = now_s();
        o->last_refresh_ok = 0;
        o->refresh_failed++;
        snprintf(o->last_error, sizeof o->last_error, "%s", err);
    }
    if (info != NULL)
        oauth_info(&o->base, info);
    oauth_destroy(&o->base);
    return c;
}

struct creds_provider *oauth_provider_new(struct dbx_settings *s, void (*on_available)(void *),
                                          void *arg, char *err, size_t errlen)
{
    struct oauth *o = oauth_alloc(s);
    if (o == NULL) {
        snprintf(err, errlen, "cannot start libcurl");
        return NULL;
    }
    o->base.on_available = on_available;
    o->base.on_available_arg = arg;
    if (pthread_create(&o->thread, NULL, oauth_main, o) != 0) {
        snprintf(err, errlen, "cannot start the credential thread");
        oauth_destroy(&o->base);
        return NULL;
    }
    o->threaded = true;
    struct logline l;
    if (logline_begin(&l, LOG_INFO, "using Databricks credentials", NULL)) {
        logline_str(&l, "host", o->cfg.host);
        logline_str(&l, "identity", o->cfg.source);
        logline_str(&l, o->cfg.endpoint ? "endpoint" : "instance",
                    o->cfg.endpoint ? o->cfg.endpoint : o->cfg.instance);
        logline_end(&l);
    }
    return &o->base;
}
