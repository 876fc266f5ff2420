/* creds: see creds.h. */
#include "creds.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct creds *creds_new(char *user, char *password)
{
    struct creds *c = xcalloc(1, sizeof *c);
    c->refs = 1;
    c->user = user;
    c->password = password;
    return c;
}

void creds_ref(struct creds *c)
{
    __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void creds_unref(struct creds *c)
{
    if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (c->password != NULL) {
        /* explicit_bzero: a plain memset before free may be optimised away. */
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
    }
    free(c->user);
    free(c);
}

struct static_provider {
    struct creds_provider base;
    struct creds *snapshot;
};

static struct creds *static_acquire(struct creds_provider *p, char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    struct static_provider *sp = (struct static_provider *)p;
    creds_ref(sp->snapshot);
    return sp->snapshot;
}

static enum creds_state static_state(struct creds_provider *p)
{
    (void)p;
    return CREDS_OK;
}

static void static_login_failed(struct creds_provider *p, const struct creds *used)
{
    /* A static password cannot be refreshed; the pool's backoff and its
     * logged error are all there is to do. */
    (void)p;
    (void)used;
}

static void static_destroy(struct creds_provider *p)
{
    struct static_provider *sp = (struct static_provider *)p;
    creds_unref(sp->snapshot);
    free(sp);
}

static void static_info(struct creds_provider *p, struct creds_info *out)
{
    memset(out, 0, sizeof *out);
    out->source = p->name;
    out->last_refresh_ok = -1; /* a static login is never renewed */
}

static const struct creds_provider_ops static_ops = {static_acquire, static_state,
                                                     static_login_failed, static_destroy,
                                                     static_info};

struct creds_provider *creds_static_new(void)
{
    struct static_provider *sp = xcalloc(1, sizeof *sp);
    sp->base.ops = &static_ops;
    sp->base.name = "password";
    sp->snapshot = creds_new(NULL, NULL);
    return &sp->base;
}

void creds_provider_free(struct creds_provider *p)
{
    if (p != NULL)
        p->ops->destroy(p);
}
