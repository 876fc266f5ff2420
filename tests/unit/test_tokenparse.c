/* test_tokenparse: unit tests for tokenparse.c.
 *
 * Every function: the OIDC token answer (expires_in as a number and as a
 * string, token_type), both database credential answers (expire_time and
 * expiration_time), SCIM Me, OIDC discovery, the two error shapes, RFC 3339
 * against known Unix times, the 64 KiB cap and tokenparse_wipe.
 *
 * Bodies are written with ' for " and @ for the token marker (a literal @ is
 * written \\u0040), and are passed as heap copies of exactly their length
 * with no NUL after them, so that AddressSanitizer catches a read past len.
 * Every failure is checked for an err that is non-empty, NUL-terminated and
 * free of the marker: no error text may quote a secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tokenparse.h"

#define MARK "dapiMARKER0123456789abcdef"

struct body {
    char *p; /* exactly n bytes, not NUL-terminated */
    size_t n;
};

/* ' becomes ", @ becomes MARK; everything else is copied. */
static struct body json(const char *tmpl)
{
    size_t n = 0, ml = strlen(MARK);
    for (const char *s = tmpl; *s; s++)
        n += *s == '@' ? ml : 1;
    struct body b = {malloc(n ? n : 1), n};
    size_t i = 0;
    for (const char *s = tmpl; *s; s++) {
        if (*s == '@') {
            memcpy(b.p + i, MARK, ml);
            i += ml;
        } else {
            b.p[i++] = *s == '\'' ? '"' : *s;
        }
    }
    return b;
}

/* err after a failure: a sentence, terminated inside the buffer, no secret. */
static int err_ok(const char *err, size_t errlen)
{
    return memchr(err, '\0', errlen) != NULL && err[0] != '\0' && strstr(err, MARK) == NULL &&
           strstr(err, "MARKER") == NULL;
}

/* ------------------------------------------------------------ oidc */

static int oidc_ok(const char *tmpl, int64_t now, int64_t want_at)
{
    struct body b = json(tmpl);
    struct tp_token t = {NULL, 0};
    char err[256] = "";
    int rc = tokenparse_oidc(b.p, b.n, now, &t, err, sizeof err);
    int good = rc == 0 && t.value != NULL && strcmp(t.value, MARK) == 0 && t.expires_at == want_at;
    if (!good)
        printf("  (oidc %s: rc %d at %lld err \"%s\")\n", tmpl, rc, (long long)t.expires_at, err);
    tokenparse_wipe(&t);
    free(b.p);
    return good;
}

static int oidc_fail(const char *tmpl)
{
    struct body b = json(tmpl);
    struct tp_token t = {NULL, 0};
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = tokenparse_oidc(b.p, b.n, 1000, &t, err, sizeof err);
    int good = rc == -1 && t.value == NULL && err_ok(err, sizeof err);
    if (!good)
        printf("  (oidc %s: rc %d err \"%.*s\")\n", tmpl, rc, (int)sizeof err, err);
    tokenparse_wipe(&t);
    free(b.p);
    return good;
}

static void test_oidc_expires_in(void)
{
    /* The answer as Databricks sends it (§3): a number of seconds. */
    CHECK(oidc_ok("{'access_token':'@','token_type':'Bearer','expires_in':3600,"
                  "'scope':'all-apis'}",
                  1000, 4600));
    CHECK(oidc_ok("{'expires_in':3600,'token_type':'Bearer','access_token':'@'}", 0, 3600));
    CHECK(oidc_ok(" \n{ 'access_token' : '@' , 'expires_in' : 3600 }\n ", 1, 3601));
    /* As a string, which some servers send. */
    CHECK(oidc_ok("{'access_token':'@','expires_in':'3600'}", 1000, 4600));
    CHECK(oidc_ok("{'access_token':'@','expires_in':'60'}", 1000, 1060));
    /* Bounds: at least one second, at most a week. */
    CHECK(oidc_ok("{'access_token':'@','expires_in':1}", 1000, 1001));
    CHECK(oidc_ok("{'access_token':'@','expires_in':604800}", 0, 604800));
    CHECK(oidc_ok("{'access_token':'@','expires_in':'604800'}", 0, 604800));
    /* Fractions are dropped. */
    CHECK(oidc_ok("{'access_token':'@','expires_in':3600.9}", 1000, 4600));
    CHECK(oidc_ok("{'access_token':'@','expires_in':'3599.5'}", 0, 3599));
    CHECK(oidc_ok("{'access_token':'@','expires_in':3.6e3}", 0, 3600));
    /* A large now is carried through. */
    CHECK(oidc_ok("{'access_token':'@','expires_in':3600}", 1795399200, 1795402800));

    CHECK(oidc_fail("{'access_token':'@','token_type':'Bearer'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':0}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':-3600}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':0.5}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':604801}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':1e12}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':1e400}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':99999999999999999999999}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':null}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':true}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':[3600]}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':{'s':3600}}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':''}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'0'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'-1'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'3600s'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'3600 '}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'an hour'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'nan'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'inf'}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'1e400'}"));
    CHECK(oidc_fail("{'access_token':'@','Expires_In':3600}"));
}

static void test_oidc_token_type(void)
{
    CHECK(oidc_ok("{'access_token':'@','token_type':'Bearer','expires_in':3600}", 0, 3600));
    CHECK(oidc_ok("{'access_token':'@','token_type':'bearer','expires_in':3600}", 0, 3600));
    CHECK(oidc_ok("{'access_token':'@','token_type':'BEARER','expires_in':3600}", 0, 3600));
    CHECK(oidc_ok("{'access_token':'@','expires_in':3600}", 0, 3600));

    CHECK(oidc_fail("{'access_token':'@','token_type':'mac','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','token_type':'DPoP','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','token_type':'Bearer ','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','token_type':'','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','token_type':null,'expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','token_type':1,'expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','token_type':['Bearer'],'expires_in':3600}"));
}

static void test_oidc_access_token(void)
{
    CHECK(oidc_fail("{'token_type':'Bearer','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':null,'expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':12345,'expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':true,'expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':['@'],'expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':{'v':'@'},'expires_in':3600}"));
    CHECK(oidc_fail("{'Access_Token':'@','expires_in':3600}"));
    CHECK(oidc_fail("{'token':'@','expires_in':3600}"));
    /* Control characters: the token goes into an HTTP header. */
    CHECK(oidc_fail("{'access_token':'@\\n','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@\\r\\nX-Evil: 1','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'\\t@','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@\\u0001','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@\\u007f','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@\x01','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'\\u0000@','expires_in':3600}"));
    /* Whatever else is wrong, err never repeats the token. */
    CHECK(oidc_fail("{'access_token':'@','token_type':'@','expires_in':3600}"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':'@'}"));
}

static void test_oidc_not_an_object(void)
{
    CHECK(oidc_fail(""));
    CHECK(oidc_fail(" "));
    CHECK(oidc_fail("null"));
    CHECK(oidc_fail("3600"));
    CHECK(oidc_fail("'@'"));
    CHECK(oidc_fail("[{'access_token':'@','expires_in':3600}]"));
    CHECK(oidc_fail("{"));
    CHECK(oidc_fail("{'access_token':'@','expires_in':3600"));
    CHECK(oidc_fail("{'access_token':'@"));
    CHECK(oidc_fail("{'access_token':'@',}"));
    CHECK(oidc_fail("<html><body>502 Bad Gateway</body></html>"));
    CHECK(oidc_fail("access_token=@&expires_in=3600&token_type=bearer"));

    /* len is the truth: the same object cut one byte short fails. */
    struct body b = json("{'access_token':'@','expires_in':3600}");
    struct tp_token t = {NULL, 0};
    char err[128];
    CHECK_INT(tokenparse_oidc(b.p, b.n - 1, 0, &t, err, sizeof err), -1);
    CHECK(t.value == NULL && err_ok(err, sizeof err));
    CHECK_INT(tokenparse_oidc(b.p, b.n, 0, &t, err, sizeof err), 0);
    tokenparse_wipe(&t);
    free(b.p);

    /* A NULL body of length 0. */
    CHECK_INT(tokenparse_oidc(NULL, 0, 0, &t, err, sizeof err), -1);
    CHECK(t.value == NULL && err_ok(err, sizeof err));
}

/* The error buffer is cut to errlen, and errlen 0 writes nothing. */
static void test_errlen(void)
{
    struct body b = json("{'access_token':'@'}");
    struct tp_token t = {NULL, 0};
    char err[16];
    memset(err, 'x', sizeof err);
    CHECK_INT(tokenparse_oidc(b.p, b.n, 0, &t, err, 8), -1);
    CHECK_INT(strlen(err), 7);
    CHECK(err[8] == 'x');
    memset(err, 'x', sizeof err);
    CHECK_INT(tokenparse_oidc(b.p, b.n, 0, &t, err, 1), -1);
    CHECK(err[0] == '\0' && err[1] == 'x');
    memset(err, 'x', sizeof err);
    CHECK_INT(tokenparse_oidc(b.p, b.n, 0, &t, err, 0), -1);
    CHECK(err[0] == 'x');
    CHECK(t.value == NULL);
    free(b.p);
}

/* ------------------------------------------------------------ the 64 KiB cap */

/* An object whose padding makes it exactly n bytes. */
static struct body padded(const char *head, size_t n)
{
    struct body b = json(head); /* e.g. {'token':'@', ... */
    const char *pad_open = ",'pad':'", *pad_close = "'}";
    size_t fixed = b.n + strlen(pad_open) + strlen(pad_close);
    struct body out = {malloc(n), n};
    memcpy(out.p, b.p, b.n);
    size_t i = b.n;
    for (const char *s = pad_open; *s; s++)
        out.p[i++] = *s == '\'' ? '"' : *s;
    memset(out.p + i, 'p', n - fixed);
    i += n - fixed;
    for (const char *s = pad_close; *s; s++)
        out.p[i++] = *s == '\'' ? '"' : *s;
    free(b.p);
    return out;
}

static void test_size_cap(void)
{
    const size_t cap = 64 * 1024;
    char err[128], out[128];
    struct tp_token t = {NULL, 0};
    char *s = NULL;

    struct body at = padded("{'access_token':'@','expires_in':3600", cap);
    CHECK_INT(tokenparse_oidc(at.p, at.n, 0, &t, err, sizeof err), 0);
    CHECK(t.value != NULL && strcmp(t.value, MARK) == 0);
    tokenparse_wipe(&t);
    free(at.p);

    struct body over = padded("{'access_token':'@','expires_in':3600", cap + 1);
    CHECK_INT(tokenparse_oidc(over.p, over.n, 0, &t, err, sizeof err), -1);
    CHECK(t.value == NULL && err_ok(err, sizeof err) && strstr(err, "too large") != NULL);
    free(over.p);

    over = padded("{'token':'@','expire_time':'2026-11-23T02:00:00Z'", cap + 1);
    CHECK_INT(tokenparse_dbcred(over.p, over.n, &t, err, sizeof err), -1);
    CHECK(t.value == NULL && err_ok(err, sizeof err));
    free(over.p);

    over = padded("{'userName':'a@example.com'", cap + 1);
    CHECK_INT(tokenparse_scim_user(over.p, over.n, &s, err, sizeof err), -1);
    CHECK(s == NULL && err_ok(err, sizeof err));
    free(over.p);

    over = padded("{'token_endpoint':'https://h/oidc/v1/token'", cap + 1);
    CHECK_INT(tokenparse_discovery(over.p, over.n, &s, err, sizeof err), -1);
    CHECK(s == NULL && err_ok(err, sizeof err));
    free(over.p);

    over = padded("{'error_code':'BAD_REQUEST','message':'m'", cap + 1);
    memset(out, 'x', sizeof out);
    tokenparse_error(over.p, over.n, out, sizeof out);
    CHECK_STR(out, "");
    free(over.p);
    at = padded("{'error_code':'BAD_REQUEST','message':'m'", cap);
    tokenparse_error(at.p, at.n, out, sizeof out);
    CHECK_STR(out, "BAD_REQUEST: m");
    free(at.p);

    /* The cap is checked before the bytes are read: a huge len with a tiny
     * buffer behind it is refused without a read past it. */
    CHECK_INT(tokenparse_oidc("{}", SIZE_MAX, 0, &t, err, sizeof err), -1);
    CHECK(err_ok(err, sizeof err));
}

/* ------------------------------------------------------------ dbcred */

static int dbcred_ok(const char *tmpl, int64_t want_at)
{
    struct body b = json(tmpl);
    struct tp_token t = {NULL, 0};
    char err[256] = "";
    int rc = tokenparse_dbcred(b.p, b.n, &t, err, sizeof err);
    int good = rc == 0 && t.value != NULL && strcmp(t.value, MARK) == 0 && t.expires_at == want_at;
    if (!good)
        printf("  (dbcred %s: rc %d at %lld err \"%s\")\n", tmpl, rc, (long long)t.expires_at,
               err);
    tokenparse_wipe(&t);
    free(b.p);
    return good;
}

static int dbcred_fail(const char *tmpl)
{
    struct body b = json(tmpl);
    struct tp_token t = {NULL, 0};
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = tokenparse_dbcred(b.p, b.n, &t, err, sizeof err);
    int good = rc == -1 && t.value == NULL && err_ok(err, sizeof err);
    if (!good)
        printf("  (dbcred %s: rc %d err \"%.*s\")\n", tmpl, rc, (int)sizeof err, err);
    tokenparse_wipe(&t);
    free(b.p);
    return good;
}

/* 2026-11-23T02:00:00Z */
#define T0 1795399200

static void test_dbcred(void)
{
    /* Autoscaling (§2) and Provisioned (§1). */
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00Z'}", T0));
    CHECK(dbcred_ok("{'expiration_time':'2026-11-23T02:00:00Z','token':'@'}", T0));
    /* Both present: expire_time is read. */
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00Z',"
                    "'expiration_time':'2026-11-23T03:00:00Z'}",
                    T0));
    /* expire_time not a string: expiration_time is read. */
    CHECK(dbcred_ok("{'token':'@','expire_time':null,'expiration_time':'2026-11-23T02:00:00Z'}",
                    T0));
    /* Fractions of 0, 3, 6 and 9 digits (protobuf Timestamp writes 0/3/6/9). */
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00.123Z'}", T0));
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00.123456Z'}", T0));
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00.123456789Z'}", T0));
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00.999999999Z'}", T0));
    /* Offsets, lowercase t and z, a space. */
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T03:00:00+01:00'}", T0));
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-22T20:30:00-05:30'}", T0));
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23t02:00:00z'}", T0));
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23 02:00:00Z'}", T0));
    CHECK(dbcred_ok("{'token':'@','expiration_time':'2026-11-23T02:00:00.5+00:00'}", T0));
    /* Other members are ignored. */
    CHECK(dbcred_ok("{'token':'@','expire_time':'2026-11-23T02:00:00Z','extra':[1,{}]}", T0));

    CHECK(dbcred_fail("{'token':'@'}"));
    CHECK(dbcred_fail("{'expire_time':'2026-11-23T02:00:00Z'}"));
    CHECK(dbcred_fail("{'token':'','expire_time':'2026-11-23T02:00:00Z'}"));
    CHECK(dbcred_fail("{'token':7,'expire_time':'2026-11-23T02:00:00Z'}"));
    CHECK(dbcred_fail("{'token':'@\\n','expire_time':'2026-11-23T02:00:00Z'}"));
    CHECK(dbcred_fail("{'token':'@\\u001b[0m','expire_time':'2026-11-23T02:00:00Z'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':''}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':1795399200}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'3600s'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-13-23T02:00:00Z'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-11-23T24:00:00Z'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-11-23T02:00Z'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-11-23T02:00:00Zjunk'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-11-23T02:00:00'}"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-11-23T02:00:00Z\\n'}"));
    CHECK(dbcred_fail("{'token':'@','expiration_time':'2026-11-31T02:00:00Z'}"));
    /* Whatever is wrong, err never repeats the token. */
    CHECK(dbcred_fail("{'token':'@','expire_time':'@'}"));
    CHECK(dbcred_fail("['@']"));
    CHECK(dbcred_fail("{'token':'@','expire_time':'2026-11-23T02:00:00Z'"));
}

/* ------------------------------------------------------------ scim, discovery */

static void test_scim(void)
{
    char err[128];
    char *user = NULL;
    struct body b = json("{'schemas':['urn:ietf:params:scim:schemas:core:2.0:User'],"
                         "'id':'6417242839154433','userName':'someone\\u0040example.com',"
                         "'displayName':'Some One','emails':[{'value':'someone\\u0040example.com',"
                         "'primary':true}],'active':true}");
    CHECK_INT(tokenparse_scim_user(b.p, b.n, &user, err, sizeof err), 0);
    CHECK_STR(user, "someone@example.com");
    free(user);
    user = NULL;
    free(b.p);

    /* A service principal's SCIM Me: userName is its application id. */
    b = json("{'userName':'6f1c3b7e-2c0a-4d7e-9a55-0e3d1f5b9a21','displayName':'lakefront'}");
    CHECK_INT(tokenparse_scim_user(b.p, b.n, &user, err, sizeof err), 0);
    CHECK_STR(user, "6f1c3b7e-2c0a-4d7e-9a55-0e3d1f5b9a21");
    free(user);
    user = NULL;
    free(b.p);

    static const char *const bad[] = {
        "{'displayName':'x'}",     "{'userName':''}",          "{'userName':null}",
        "{'userName':42}",         "{'userName':['a']}",       "{'username':'a@b'}",
        "{'userName':'a\\nb'}",    "{'userName':'a\\u0001b'}", "['userName']",
        "not json",                "",                         "{'userName':'a@b'",
        "{'userName':'@\\r'}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = json(bad[i]);
        memset(err, 'x', sizeof err);
        int rc = tokenparse_scim_user(b.p, b.n, &user, err, sizeof err);
        if (rc != -1 || user != NULL || !err_ok(err, sizeof err))
            printf("  (scim %s: rc %d)\n", bad[i], rc);
        CHECK(rc == -1 && user == NULL && err_ok(err, sizeof err));
        free(b.p);
    }
}

static void test_discovery(void)
{
    char err[128];
    char *url = NULL;
    struct body b = json(
        "{'issuer':'https://dbc-1234.cloud.databricks.com/oidc',"
        "'authorization_endpoint':'https://dbc-1234.cloud.databricks.com/oidc/v1/authorize',"
        "'token_endpoint':'https://dbc-1234.cloud.databricks.com/oidc/v1/token',"
        "'jwks_uri':'https://dbc-1234.cloud.databricks.com/oidc/jwks.json',"
        "'grant_types_supported':['client_credentials','authorization_code','refresh_token'],"
        "'token_endpoint_auth_methods_supported':['client_secret_basic','client_secret_post']}");
    CHECK_INT(tokenparse_discovery(b.p, b.n, &url, err, sizeof err), 0);
    CHECK_STR(url, "https://dbc-1234.cloud.databricks.com/oidc/v1/token");
    free(url);
    url = NULL;
    free(b.p);

    b = json("{'token_endpoint':'http://127.0.0.1:8099/oidc/v1/token'}");
    CHECK_INT(tokenparse_discovery(b.p, b.n, &url, err, sizeof err), 0);
    CHECK_STR(url, "http://127.0.0.1:8099/oidc/v1/token");
    free(url);
    url = NULL;
    free(b.p);

    static const char *const bad[] = {
        "{'issuer':'https://h/oidc'}",
        "{'token_endpoint':''}",
        "{'token_endpoint':null}",
        "{'token_endpoint':['https://h/oidc/v1/token']}",
        "{'token_endpoint':'https://h/oidc/v1/token\\r\\nHost: evil'}",
        "{'Token_Endpoint':'https://h/oidc/v1/token'}",
        "<!doctype html><title>404</title>",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = json(bad[i]);
        memset(err, 'x', sizeof err);
        int rc = tokenparse_discovery(b.p, b.n, &url, err, sizeof err);
        if (rc != -1 || url != NULL || !err_ok(err, sizeof err))
            printf("  (discovery %s: rc %d)\n", bad[i], rc);
        CHECK(rc == -1 && url == NULL && err_ok(err, sizeof err));
        free(b.p);
    }
}

/* ------------------------------------------------------------ errors */

/* tokenparse_error of tmpl into a 300-byte buffer (as oauth.c uses it),
 * first filled with junk so that "" is really written. */
static const char *error_of(const char *tmpl)
{
    static char out[300];
    struct body b = json(tmpl);
    memset(out, 'x', sizeof out);
    tokenparse_error(b.p, b.n, out, sizeof out);
    free(b.p);
    if (memchr(out, '\0', sizeof out) == NULL)
        return "(not terminated)";
    return out;
}

static int no_controls(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static void test_error(void)
{
    /* REST shape. */
    CHECK_STR(error_of("{'error_code':'PERMISSION_DENIED','message':'User does not have "
                       "permission to generate credentials for this endpoint.'}"),
              "PERMISSION_DENIED: User does not have permission to generate credentials for "
              "this endpoint.");
    CHECK_STR(error_of("{'error_code':'RESOURCE_DOES_NOT_EXIST','message':'Endpoint "
                       "projects/p/branches/b/endpoints/e does not exist.','details':[]}"),
              "RESOURCE_DOES_NOT_EXIST: Endpoint projects/p/branches/b/endpoints/e does not "
              "exist.");
    CHECK_STR(error_of("{'error_code':'INVALID_PARAMETER_VALUE'}"), "INVALID_PARAMETER_VALUE");
    CHECK_STR(error_of("{'error_code':'TEMPORARILY_UNAVAILABLE','message':''}"),
              "TEMPORARILY_UNAVAILABLE");
    CHECK_STR(error_of("{'error_code':'X','message':42}"), "X");
    /* OAuth shape (RFC 6749 §5.2). */
    CHECK_STR(error_of("{'error':'invalid_client','error_description':'Client authentication "
                       "failed'}"),
              "invalid_client: Client authentication failed");
    CHECK_STR(error_of("{'error':'invalid_scope'}"), "invalid_scope");
    /* Both: error_code wins, and the message goes with it. */
    CHECK_STR(error_of("{'error':'invalid_client','error_description':'d',"
                       "'error_code':'UNAUTHENTICATED','message':'m'}"),
              "UNAUTHENTICATED: m");
    /* error_code not a string: the OAuth members are read. */
    CHECK_STR(error_of("{'error_code':403,'error':'access_denied','error_description':'no'}"),
              "access_denied: no");
    /* Not such an error: "". */
    CHECK_STR(error_of("{'message':'no code'}"), "");
    CHECK_STR(error_of("{'error_description':'no code'}"), "");
    CHECK_STR(error_of("{'error':{'code':401,'message':'nested'}}"), "");
    CHECK_STR(error_of("{'error_code':''}"), "");
    CHECK_STR(error_of("{}"), "");
    CHECK_STR(error_of("[{'error_code':'X','message':'m'}]"), "");
    CHECK_STR(error_of("'PERMISSION_DENIED'"), "");
    CHECK_STR(error_of("<html><head><title>503 Service Unavailable</title></head></html>"), "");
    CHECK_STR(error_of("upstream connect error or disconnect/reset before headers"), "");
    CHECK_STR(error_of(""), "");
    CHECK_STR(error_of("{'error_code':'X','message':'m'"), "");

    /* Control characters in the code or the message become spaces: the text
     * goes into a log line. The message is kept, not dropped. */
    CHECK_STR(error_of("{'error_code':'BAD_REQUEST','message':'line one\\nline two\\ttab'}"),
              "BAD_REQUEST: line one line two tab");
    CHECK_STR(error_of("{'error':'invalid_request','error_description':'a\\r\\n\\u001b[31mb'}"),
              "invalid_request: a   [31mb");
    CHECK_STR(error_of("{'error_code':'A\\nB','message':'m'}"), "A B: m");
    CHECK_STR(error_of("{'error_code':'X','message':'del\\u007fhere'}"), "X: del here");
    CHECK(no_controls(error_of("{'error_code':'\\u0001\\u001f','message':'\\u0002\\u007f\\n'}")));
    /* A NUL escape ends the text (C strings). */
    CHECK_STR(error_of("{'error_code':'X','message':'before\\u0000after'}"), "X: before");
    /* UTF-8 passes through. */
    CHECK_STR(error_of("{'error_code':'X','message':'caf\\u00e9 \xe2\x9c\x93'}"),
              "X: caf\xc3\xa9 \xe2\x9c\x93");

    /* Long texts are cut: the code to 63 bytes, the message to 255, the
     * whole to outlen. */
    char code[200], msg[1000], tmpl[1300];
    memset(code, 'C', sizeof code - 1);
    code[sizeof code - 1] = '\0';
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    snprintf(tmpl, sizeof tmpl, "{'error_code':'%s','message':'%s'}", code, msg);
    struct body lb = json(tmpl);
    char big[600];
    tokenparse_error(lb.p, lb.n, big, sizeof big);
    CHECK_INT(strlen(big), 63 + 2 + 255);
    CHECK(strncmp(big, code, 63) == 0 && strncmp(big + 63, ": mmm", 5) == 0);
    /* ... and in oauth.c's 300 bytes, to 299. */
    CHECK_INT(strlen(error_of(tmpl)), 299);
    free(lb.p);

    char small[10];
    struct body b = json("{'error_code':'PERMISSION_DENIED','message':'m'}");
    memset(small, 'x', sizeof small);
    tokenparse_error(b.p, b.n, small, 6);
    CHECK_STR(small, "PERMI");
    CHECK(small[6] == 'x');
    memset(small, 'x', sizeof small);
    tokenparse_error(b.p, b.n, small, 1);
    CHECK(small[0] == '\0' && small[1] == 'x');
    free(b.p);

    /* A NULL body of length 0 (oauth.c passes "" then, but still). */
    memset(small, 'x', sizeof small);
    tokenparse_error(NULL, 0, small, sizeof small);
    CHECK_STR(small, "");
}

/* ------------------------------------------------------------ rfc3339 */

static int at(const char *s, int64_t want)
{
    int64_t got = 42;
    int rc = tokenparse_rfc3339(s, &got);
    if (rc != 0 || got != want)
        printf("  (rfc3339 %s: rc %d got %lld want %lld)\n", s, rc, (long long)got,
               (long long)want);
    return rc == 0 && got == want;
}

static int bad_time(const char *s)
{
    int64_t got = 42;
    int rc = tokenparse_rfc3339(s, &got);
    if (rc != -1 || got != 42)
        printf("  (rfc3339 %s: rc %d got %lld, want -1 and untouched)\n", s, rc,
               (long long)got);
    return rc == -1 && got == 42;
}

static void test_rfc3339(void)
{
    /* Known Unix times (date -u -d ... +%s). */
    CHECK(at("1970-01-01T00:00:00Z", 0));
    CHECK(at("1970-01-01T00:00:01Z", 1));
    CHECK(at("1969-12-31T23:59:59Z", -1));
    CHECK(at("2000-02-29T12:00:00Z", 951825600));
    CHECK(at("2024-02-29T00:00:00Z", 1709164800));
    CHECK(at("1900-03-01T00:00:00Z", -2203891200));
    CHECK(at("2038-01-19T03:14:08Z", 2147483648));
    CHECK(at("2100-03-01T00:00:00Z", 4107542400));
    CHECK(at("0000-01-01T00:00:00Z", -62167219200));
    CHECK(at("0001-01-01T00:00:00Z", -62135596800));
    CHECK(at("9999-12-31T23:59:59Z", 253402300799));
    CHECK(at("2026-11-23T02:00:00Z", T0));
    CHECK(at("2026-12-31T23:59:59Z", 1798761599));
    CHECK(at("2026-01-31T00:00:00Z", 1769817600));
    /* Fractions are dropped, never rounded. */
    CHECK(at("2026-11-23T02:00:00.123456Z", T0));
    CHECK(at("2026-11-23T02:00:00.0Z", T0));
    CHECK(at("2026-11-23T02:00:00.999Z", T0));
    CHECK(at("2026-11-23T02:00:00.000000000000000000000000000001Z", T0));
    /* Offsets: local time minus the offset. */
    CHECK(at("2026-11-23T02:00:00+01:00", T0 - 3600));
    CHECK(at("2026-11-23T02:00:00-05:30", T0 + 5 * 3600 + 1800));
    CHECK(at("2026-11-23T02:00:00.123456+01:00", T0 - 3600));
    CHECK(at("2026-11-23T02:00:00+00:00", T0));
    CHECK(at("2026-11-23T02:00:00-00:00", T0));
    CHECK(at("2026-11-23T02:00:00+23:59", T0 - 86340));
    CHECK(at("2026-11-23T02:00:00-23:59", T0 + 86340));
    CHECK(at("1970-01-01T00:00:00+01:00", -3600));
    /* Separators and zone letters of either case (RFC 3339 §5.6 note). */
    CHECK(at("2026-11-23t02:00:00z", T0));
    CHECK(at("2026-11-23 02:00:00Z", T0));
    /* A leap second is the second after 23:59:59. */
    CHECK(at("2016-12-31T23:59:60Z", 1483228800));

    /* Month, day, hour, minute, second and offset out of range. */
    CHECK(bad_time("2026-13-23T02:00:00Z"));
    CHECK(bad_time("2026-00-23T02:00:00Z"));
    CHECK(bad_time("2026-11-00T02:00:00Z"));
    CHECK(bad_time("2026-11-32T02:00:00Z"));
    CHECK(bad_time("2026-11-23T24:00:00Z"));
    CHECK(bad_time("2026-11-23T02:60:00Z"));
    CHECK(bad_time("2026-11-23T02:00:61Z"));
    CHECK(bad_time("2026-11-23T02:00:00+24:00"));
    CHECK(bad_time("2026-11-23T02:00:00+01:60"));
    /* Days past the end of their month (regression: once accepted and
     * silently carried into the next month). */
    CHECK(bad_time("2026-02-29T00:00:00Z"));
    CHECK(bad_time("2026-02-30T00:00:00Z"));
    CHECK(bad_time("2026-02-31T00:00:00Z"));
    CHECK(bad_time("2026-04-31T00:00:00Z"));
    CHECK(bad_time("2026-06-31T00:00:00Z"));
    CHECK(bad_time("2026-09-31T00:00:00Z"));
    CHECK(bad_time("2026-11-31T00:00:00Z"));
    CHECK(bad_time("1900-02-29T00:00:00Z")); /* divisible by 100, not by 400 */
    CHECK(bad_time("2100-02-29T00:00:00Z"));
    CHECK(at("2000-02-29T00:00:00Z", 951782400));
    CHECK(at("2026-02-28T00:00:00Z", 1772236800));
    /* Shape. */
    CHECK(bad_time(""));
    CHECK(bad_time("2026"));
    CHECK(bad_time("2026-11"));
    CHECK(bad_time("2026-11-23"));
    CHECK(bad_time("2026-11-23T"));
    CHECK(bad_time("2026-11-23T02"));
    CHECK(bad_time("2026-11-23T02:00"));
    CHECK(bad_time("2026-11-23T02:00Z"));
    CHECK(bad_time("2026-11-23T02:00:00"));
    CHECK(bad_time("2026-11-23T02:00:00.Z"));
    CHECK(bad_time("2026-11-23T02:00:00.123"));
    CHECK(bad_time("2026-11-23T02:00:00,5Z"));
    CHECK(bad_time("2026-11-23T02:00:00Zjunk"));
    CHECK(bad_time("2026-11-23T02:00:00Z "));
    CHECK(bad_time(" 2026-11-23T02:00:00Z"));
    CHECK(bad_time("2026-11-23T02:00:00+01"));
    CHECK(bad_time("2026-11-23T02:00:00+0100"));
    CHECK(bad_time("2026-11-23T02:00:00+01:00Z"));
    CHECK(bad_time("2026-11-23T02:00:00UTC"));
    CHECK(bad_time("2026-11-23_02:00:00Z"));
    CHECK(bad_time("2026-11-23T2:00:00Z"));
    CHECK(bad_time("2026-1-23T02:00:00Z"));
    CHECK(bad_time("26-11-23T02:00:00Z"));
    CHECK(bad_time("+2026-11-23T02:00:00Z"));
    CHECK(bad_time("20261123T020000Z"));
    CHECK(bad_time("2026/11/23T02:00:00Z"));
    CHECK(bad_time("2026-11-23T02:00:00.12345x"));
    CHECK(bad_time("１９７０-01-01T00:00:00Z"));
    CHECK(bad_time("1795399200"));
    CHECK(bad_time("Mon, 23 Nov 2026 02:00:00 GMT"));
}

/* ------------------------------------------------------------ wipe */

static void test_wipe(void)
{
    struct tp_token t = {NULL, 0};
    char err[64];
    struct body b = json("{'access_token':'@','expires_in':3600}");
    CHECK_INT(tokenparse_oidc(b.p, b.n, 10, &t, err, sizeof err), 0);
    free(b.p);
    CHECK(t.value != NULL && t.expires_at == 3610);
    tokenparse_wipe(&t);
    CHECK(t.value == NULL);
    CHECK_INT(t.expires_at, 0);
    /* Again, and on a struct that never held a token. */
    tokenparse_wipe(&t);
    CHECK(t.value == NULL && t.expires_at == 0);
    struct tp_token empty = {NULL, 99};
    tokenparse_wipe(&empty);
    CHECK(empty.value == NULL && empty.expires_at == 0);

    /* The struct is reusable after a wipe. */
    b = json("{'token':'@','expire_time':'2026-11-23T02:00:00Z'}");
    CHECK_INT(tokenparse_dbcred(b.p, b.n, &t, err, sizeof err), 0);
    CHECK(t.value != NULL && strcmp(t.value, MARK) == 0 && t.expires_at == T0);
    tokenparse_wipe(&t);
    CHECK(t.value == NULL && t.expires_at == 0);
    free(b.p);
}

int main(void)
{
    test_oidc_expires_in();
    test_oidc_token_type();
    test_oidc_access_token();
    test_oidc_not_an_object();
    test_errlen();
    test_size_cap();
    test_dbcred();
    test_scim();
    test_discovery();
    test_error();
    test_rfc3339();
    test_wipe();
    return TEST_REPORT();
}
