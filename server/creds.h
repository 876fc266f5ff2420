/* creds: where each new database connection gets its login.
 *
 * A provider hands out immutable, reference-counted credential snapshots.
 * Any thread may call creds_acquire; it never blocks on the network (a
 * provider that mints tokens refreshes them in the background and hands out
 * the newest one it has). The Lakebase OAuth provider plugs in here; for now
 * the static provider leaves the login to libpq (PGPASSWORD, ~/.pgpass or the
 * password in LAKEFRONT_DATABASE_URL).
 *
 * Secrets live only in snapshots; they are zeroed when the last reference
 * goes, and nothing in this module logs them.
 */
#ifndef LF_CREDS_H
#define LF_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct creds {
    int refs;       /* atomic; owned by the provider */
    char *user;     /* NULL: libpq's default (PGUSER, the URL) */
    char *password; /* NULL: libpq's default; a secret */
};

struct creds_provider;

/* What a provider can say about its credential, for /api/v1/status, the
 * metrics and `lakefront check`: never the secret. */
struct creds_info {
    const char *source;        /* the provider's name: "password" or "databricks" */
    char identity[160];        /* where the workspace identity came from ("" for password) */
    char target[200];          /* "endpoint <path>" or "instance <name>" ("" for password) */
    double expires_at;         /* Unix s when the current credential expires; 0: never/none */
    double last_refresh_at;    /* Unix s of the last renewal attempt's end; 0: none yet */
    int last_refresh_ok;       /* 1 succeeded, 0 failed, -1 none yet */
    char last_error[300];      /* why the last renewal failed ("" when it did not) */
    uint64_t refresh_ok;       /* renewals that succeeded since start */
    uint64_t refresh_failed;   /* renewals that failed since start */
};

enum creds_state {
    CREDS_OK = 0,  /* a credential is available */
    CREDS_PENDING, /* none yet; the first is being requested */
    CREDS_FAILING, /* none, and the last attempt to get one failed */
};

struct creds_provider_ops {
    /* Newest snapshot with a reference for the caller, or NULL when there is
     * no credential yet (why filled, at most whylen bytes, no secret). */
    struct creds *(*acquire)(struct creds_provider *p, char *why, size_t whylen);
    /* Whether acquire would give a credential now, and if not, why not. */
    enum creds_state (*state)(struct creds_provider *p);
    /* A login with `used` failed with SQLSTATE 28P01: refresh soon. */
    void (*login_failed)(struct creds_provider *p, const struct creds *used);
    void (*destroy)(struct creds_provider *p);
    /* Fills *out (every field). Any thread; takes the provider's lock
     * briefly, so not for the request path's every request. */
    void (*info)(struct creds_provider *p, struct creds_info *out);
};

struct creds_provider {
    const struct creds_provider_ops *ops;
    const char *name; /* "password", "databricks": for logs and /readyz */
    /* Called (from the provider's thread) when a credential becomes
     * available after there was none, so that whoever waits for one can try
     * at once. Set once before the provider starts serving; may be NULL. */
    void (*on_available)(void *arg);
    void *on_available_arg;
};

/* The static provider: one snapshot with no user and no password. */
struct creds_provider *creds_static_new(void);

static inline struct creds *creds_acquire(struct creds_provider *p, char *why, size_t whylen)
{
    return p->ops->acquire(p, why, whylen);
}

static inline enum creds_state creds_state(struct creds_provider *p)
{
    return p->ops->state(p);
}

static inline void creds_login_failed(struct creds_provider *p, const struct creds *used)
{
    p->ops->login_failed(p, used);
}

static inline void creds_info(struct creds_provider *p, struct creds_info *out)
{
    p->ops->info(p, out);
}

/* Takes ownership of user and password (may be NULL); returns refs = 1. */
struct creds *creds_new(char *user, char *password);
void creds_ref(struct creds *c);
/* Drops a reference; the last one zeroes the secret and frees. NULL is fine. */
void creds_unref(struct creds *c);
/* NULL is fine. */
void creds_provider_free(struct creds_provider *p);

#endif
