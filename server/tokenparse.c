/* tokenparse: see tokenparse.h. cJSON parses; this module decides what a
 * well-formed answer is. */
#include "tokenparse.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* Bodies are capped by the caller, but a parser fed from the network still
 * checks: nothing here needs more than this. */
#define TP_MAX_BODY (64 * 1024)

/* cJSON copies every string it parses, tokens included; its frees go
 * through here so that no secret outlives its parse tree in freed memory. */
static void wiping_free(void *p)
{
    if (p != NULL) {
        explicit_bzero(p, malloc_usable_size(p));
        free(p);
    }
}

static void init_hooks(void)
{
    cJSON_Hooks hooks = {malloc, wiping_free};
    cJSON_InitHooks(&hooks);
}

static cJSON *parse(const char *body, size_t len, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_hooks);
    if (len > TP_MAX_BODY) {
        snprintf(err, errlen, "response of %zu bytes is too large", len);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (j == NULL || !cJSON_IsObject(j)) {
        snprintf(err, errlen, "response is not a JSON object");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* A member that must be a non-empty string without control characters
 * (it goes into an HTTP header or a libpq parameter). */
static const char *str_member(const cJSON *j, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!cJSON_IsString(m) || m->valuestring == NULL || m->valuestring[0] == '\0')
        return NULL;
    for (const unsigned char *p = (const unsigned char *)m->valuestring; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return NULL;
    return m->valuestring;
}

/* A member that must be a non-empty string, control characters allowed:
 * the texts of an error, which clean_copy makes fit for a log line.
 * (Fix: tokenparse_error read them with str_member, which drops a message
 * holding a newline or a tab entirely, so that clean_copy never saw a
 * control character and the message was lost.) */
static const char *text_member(const cJSON *j, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!cJSON_IsString(m) || m->valuestring == NULL || m->valuestring[0] == '\0')
        return NULL;
    return m->valuestring;
}

int tokenparse_oidc(const char *body, size_t len, int64_t now, struct tp_token *out, char *err,
                    size_t errlen)
{
    int rc = -1;
    cJSON *j = parse(body, len, err, errlen);
    if (j == NULL)
        return -1;
    const char *tok = str_member(j, "access_token");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "token_type");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
    if (tok == NULL) {
        snprintf(err, errlen, "token response has no access_token");
        goto out;
    }
    if (type != NULL && !(cJSON_IsString(type) && strcasecmp(type->valuestring, "Bearer") == 0)) {
        snprintf(err, errlen, "token response has a token_type other than Bearer");
        goto out;
    }
    /* expires_in is a JSON number; some servers send it as a string. */
    double secs = -1;
    if (cJSON_IsNumber(exp))
        secs = exp->valuedouble;
    else if (cJSON_IsString(exp) && exp->valuestring[0] != '\0') {
        char *end;
        secs = strtod(exp->valuestring, &end);
        if (*end != '\0')
            secs = -1;
    }
    if (!(secs >= 1 && secs <= 7 * 86400)) {
        snprintf(err, errlen, "token response has no valid expires_in");
        goto out;
    }
    out->value = xstrdup(tok);
    out->expires_at = now + (int64_t)secs;
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

int tokenparse_dbcred(const char *body, size_t len, struct tp_token *out, char *err, size_t errlen)
{
    int rc = -1;
    cJSON *j = parse(body, len, err, errlen);
    if (j == NULL)
        return -1;
    const char *tok = str_member(j, "token");
    const char *when = str_member(j, "expire_time");
    if (when == NULL)
        when = str_member(j, "expiration_time");
    int64_t at;
    if (tok == NULL) {
        snprintf(err, errlen, "credential response has no token");
        goto out;
    }
    if (when == NULL || tokenparse_rfc3339(when, &at) != 0) {
        snprintf(err, errlen, "credential response has no valid expire_time or expiration_time");
        goto out;
    }
    out->value = xstrdup(tok);
    out->expires_at = at;
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

int tokenparse_scim_user(const char *body, size_t len, char **user, char *err, size_t errlen)
{
    cJSON *j = parse(body, len, err, errlen);
    if (j == NULL)
        return -1;
    const char *u = str_member(j, "userName");
    if (u == NULL) {
        snprintf(err, errlen, "SCIM Me response has no userName");
        cJSON_Delete(j);
        return -1;
    }
    *user = xstrdup(u);
    cJSON_Delete(j);
    return 0;
}

int tokenparse_discovery(const char *body, size_t len, char **url, char *err, size_t errlen)
{
    cJSON *j = parse(body, len, err, errlen);
    if (j == NULL)
        return -1;
    const char *u = str_member(j, "token_endpoint");
    if (u == NULL) {
        snprintf(err, errlen, "OIDC discovery document has no token_endpoint");
        cJSON_Delete(j);
        return -1;
    }
    *url = xstrdup(u);
    cJSON_Delete(j);
    return 0;
}

/* Copies s into out replacing control characters: an error text goes into
 * a log line. */
static void clean_copy(char *out, size_t outlen, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 1 < outlen; s++)
        out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s; /* fix: DEL too */
    out[n] = '\0';
}

void tokenparse_error(const char *body, size_t len, char *out, size_t outlen)
{
    char err[64];
    out[0] = '\0';
    cJSON *j = parse(body, len, err, sizeof err);
    if (j == NULL)
        return;
    const char *code = text_member(j, "error_code");
    const char *msg = text_member(j, "message");
    if (code == NULL) {
        code = text_member(j, "error");
        msg = text_member(j, "error_description");
    }
    if (code != NULL) {
        char c[64], m[256];
        clean_copy(c, sizeof c, code);
        clean_copy(m, sizeof m, msg ? msg : "");
        snprintf(out, outlen, "%s%s%s", c, m[0] ? ": " : "", m);
    }
    cJSON_Delete(j);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (*(*p)++ - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil algorithm, restated). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int tokenparse_rfc3339(const char *s, int64_t *out)
{
    int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
    const char *p = s;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
        digits(&p, 2, &D) || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) || *p++ != ':' ||
        digits(&p, 2, &sec))
        return -1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 ||
        oh > 23 || om > 59)
        return -1;
    /* Fix: the day is checked against its month, leap years included. With
     * D <= 31 alone, "2026-02-30" or "2026-11-31" passed and days_from_civil
     * carried them into the next month. */
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (D > mdays[M - 1] + (M == 2 && leap))
        return -1;
    int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
    *out = t - sign * (oh * 3600 + om * 60);
    return 0;
}

void tokenparse_wipe(struct tp_token *t)
{
    if (t->value != NULL) {
        explicit_bzero(t->value, strlen(t->value));
        free(t->value);
    }
    t->value = NULL;
    t->expires_at = 0;
}
