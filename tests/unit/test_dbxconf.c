/* test_dbxconf: unit tests for dbxconf.c.
 *
 * dbxconf_normalize_host on its own, then dbxconf_resolve driven through
 * the environment (setenv/unsetenv, every variable it reads cleared before
 * each case) and profile files written into a mkdtemp directory: the order
 * service principal > personal access token > profile, [DEFAULT]
 * inheritance, named and missing profiles, LAKEFRONT_AUTH's three values
 * and a bogus one, and the errors naming what is missing. Secrets are
 * markers that no err or source may contain.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbxconf.h"
#include "harness.h"

#define SECRET "SeCrEtMaRkEr-dose0123456789abcdef"
#define PAT "dapiPATMARKER0123456789abcdef01"
#define EP "projects/p1/branches/production/endpoints/primary"

static char dir[64];
static char pathbuf[256];

/* ------------------------------------------------------------ helpers */

static const char *path_of(const char *name)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", dir, name);
    return pathbuf;
}

static void put(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "w");
    if (f == NULL) {
        perror(path_of(name));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static const char *const vars[] = {
    "DATABRICKS_HOST",        "DATABRICKS_CLIENT_ID",   "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_TOKEN",       "DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE",
    "HOME",                   "LAKEBASE_ENDPOINT",      "LAKEBASE_INSTANCE_NAME",
    "PGUSER",                 "LAKEFRONT_AUTH",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void set(const char *name, const char *value)
{
    setenv(name, value, 1);
}

/* The Databricks App environment: host, service principal, endpoint. */
static void set_app_env(void)
{
    set("DATABRICKS_HOST", "dbc-1234.cloud.databricks.com");
    set("DATABRICKS_CLIENT_ID", "6f1c3b7e-2c0a-4d7e-9a55-0e3d1f5b9a21");
    set("DATABRICKS_CLIENT_SECRET", SECRET);
    set("LAKEBASE_ENDPOINT", EP);
}

static int is_zero(const struct dbx_settings *s)
{
    static const struct dbx_settings zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}

static int no_secret(const char *text)
{
    return strstr(text, SECRET) == NULL && strstr(text, "MaRkEr") == NULL &&
           strstr(text, PAT) == NULL && strstr(text, "PATMARKER") == NULL;
}

/* Resolves and expects success with Databricks credentials off. */
static int disabled(const char *auth)
{
    struct dbx_settings s;
    char err[512] = "";
    int rc = dbxconf_resolve(&s, auth, err, sizeof err);
    int good = rc == 0 && !s.enabled && is_zero(&s);
    if (!good)
        printf("  (auth \"%s\": rc %d enabled %d err \"%s\")\n", auth, rc, s.enabled, err);
    dbxconf_free(&s);
    return good;
}

/* Resolves and expects -1, the settings zeroed, and an err containing want
 * (and no secret). */
static int fails(const char *auth, const char *want)
{
    struct dbx_settings s;
    char err[512];
    memset(err, 'x', sizeof err);
    int rc = dbxconf_resolve(&s, auth, err, sizeof err);
    int term = memchr(err, '\0', sizeof err) != NULL;
    int good = rc == -1 && is_zero(&s) && term && strstr(err, want) != NULL && no_secret(err);
    if (!good)
        printf("  (auth \"%s\": rc %d, err \"%.*s\", want \"%s\")\n", auth, rc,
               term ? (int)strlen(err) : 40, err, want);
    dbxconf_free(&s);
    return good;
}

/* Resolves and expects success with credentials on. The caller checks and
 * frees s. */
static int enabled(const char *auth, struct dbx_settings *s)
{
    char err[512] = "";
    int rc = dbxconf_resolve(s, auth, err, sizeof err);
    int good = rc == 0 && s->enabled && s->host != NULL && s->identity != 0 &&
               (s->endpoint != NULL || s->instance != NULL) && no_secret(s->source) &&
               s->source[0] != '\0';
    if (!good)
        printf("  (auth \"%s\": rc %d enabled %d err \"%s\")\n", auth, rc, s->enabled, err);
    return good;
}

/* ------------------------------------------------------------ host */

static int host_is(const char *in, const char *want)
{
    char err[256] = "";
    char *got = dbxconf_normalize_host(in, err, sizeof err);
    int good = got != NULL && strcmp(got, want) == 0;
    if (!good)
        printf("  (host \"%s\": got \"%s\" err \"%s\", want \"%s\")\n", in, got ? got : "(null)",
               err, want);
    free(got);
    return good;
}

static int host_bad(const char *in, const char *want_err)
{
    char err[256];
    memset(err, 'x', sizeof err);
    char *got = dbxconf_normalize_host(in, err, sizeof err);
    int term = memchr(err, '\0', sizeof err) != NULL;
    int good = got == NULL && term && strstr(err, "DATABRICKS_HOST") != NULL &&
               strstr(err, want_err) != NULL;
    if (!good)
        printf("  (host \"%s\": got \"%s\" err \"%.*s\")\n", in, got ? got : "(null)",
               term ? (int)strlen(err) : 40, err);
    free(got);
    return good;
}

static void test_normalize_host(void)
{
    /* https is the default and the only scheme for a real workspace. */
    CHECK(host_is("dbc-1234.cloud.databricks.com", "https://dbc-1234.cloud.databricks.com"));
    CHECK(host_is("https://dbc-1234.cloud.databricks.com",
                  "https://dbc-1234.cloud.databricks.com"));
    CHECK(host_is("https://dbc-1234.cloud.databricks.com/",
                  "https://dbc-1234.cloud.databricks.com"));
    CHECK(host_is("https://adb-1234567890123456.7.azuredatabricks.net///",
                  "https://adb-1234567890123456.7.azuredatabricks.net"));
    CHECK(host_is("HTTPS://Dbc-1234.Cloud.Databricks.com", "https://Dbc-1234.Cloud.Databricks.com"));
    CHECK(host_is("dbc-1234.cloud.databricks.com/", "https://dbc-1234.cloud.databricks.com"));
    CHECK(host_is("https://h.example:8443", "https://h.example:8443"));
    CHECK(host_is("h.example:8443", "https://h.example:8443"));
    CHECK(host_is("https://[2001:db8::1]:443", "https://[2001:db8::1]:443"));
    CHECK(host_is("https://localhost:8443", "https://localhost:8443"));
    /* Plain http for loopback only, with and without a port. */
    CHECK(host_is("http://localhost", "http://localhost"));
    CHECK(host_is("http://localhost:8080", "http://localhost:8080"));
    CHECK(host_is("http://LocalHost:8080/", "http://LocalHost:8080"));
    CHECK(host_is("HTTP://127.0.0.1:8099", "http://127.0.0.1:8099"));
    CHECK(host_is("http://127.0.0.1", "http://127.0.0.1"));
    CHECK(host_is("http://127.1.2.3:1/", "http://127.1.2.3:1"));
    CHECK(host_is("http://[::1]", "http://[::1]"));
    CHECK(host_is("http://[::1]:8080", "http://[::1]:8080"));
    CHECK(host_is("http://[::1]:8080//", "http://[::1]:8080"));
    /* Only ":port" may follow a loopback name. */
    CHECK(host_bad("http://[::1]x", "only for loopback"));
    CHECK(host_bad("http://127.0.0.1:80x", "only for loopback"));
    CHECK(host_bad("http://localhost:", "only for loopback"));

    CHECK(host_bad("http://dbc-1234.cloud.databricks.com", "loopback"));
    CHECK(host_bad("http://example.com:80", "loopback"));
    CHECK(host_bad("http://10.0.0.1", "loopback"));
    CHECK(host_bad("http://0.0.0.0:8080", "loopback"));
    CHECK(host_bad("http://128.0.0.1", "loopback"));
    CHECK(host_bad("http://localhost.example.com", "loopback"));
    CHECK(host_bad("http://localhostx:8080", "loopback"));
    CHECK(host_bad("http://127.evil.example", "loopback"));
    CHECK(host_bad("http://127.0.0.1.nip.io", "loopback"));
    CHECK(host_bad("http://127.", "loopback"));
    CHECK(host_bad("http://[::2]:8080", "loopback"));
    CHECK(host_bad("http://[::1", "loopback"));
    CHECK(host_bad("http://[0:0:0:0:0:0:0:1]", "loopback"));
    /* Paths, queries, fragments, userinfo, spaces, backslashes. */
    CHECK(host_bad("https://dbc-1234.cloud.databricks.com/oidc", "no path"));
    CHECK(host_bad("https://h/api/2.0/", "no path"));
    CHECK(host_bad("https://h?o=1234", "no path"));
    CHECK(host_bad("https://h#x", "no path"));
    CHECK(host_bad("https://user@h", "no path"));
    CHECK(host_bad("https://user:" SECRET "@h", "no path"));
    CHECK(host_bad("http://localhost@evil.example", "no path"));
    CHECK(host_bad("http://localhost:80/@evil.example", "no path"));
    CHECK(host_bad("https://h h", "no path"));
    CHECK(host_bad(" https://h", "only https"));
    CHECK(host_bad(" h", "no path"));
    CHECK(host_bad("https://h\n", "no path"));
    CHECK(host_bad("https://h\t", "no path"));
    CHECK(host_bad("https://h\x7f", "no path"));
    CHECK(host_bad("https://h\\evil", "no path"));
    /* Other schemes. */
    CHECK(host_bad("ftp://h", "only https"));
    CHECK(host_bad("file:///etc/passwd", "only https"));
    CHECK(host_bad("wss://h", "only https"));
    CHECK(host_bad("httpx://h", "only https"));
    CHECK(host_bad("://h", "only https"));
    CHECK(host_bad("https:/h", "no path"));
    /* Nothing. */
    CHECK(host_bad("", "no host name"));
    CHECK(host_bad("/", "no host name"));
    CHECK(host_bad("https://", "no host name"));
    CHECK(host_bad("https:///", "no host name"));
    CHECK(host_bad("http://", "no host name"));

    /* A short err buffer is cut and terminated. */
    char err[8];
    memset(err, 'x', sizeof err);
    CHECK(dbxconf_normalize_host("ftp://h", err, 5) == NULL);
    CHECK(strlen(err) == 4 && err[5] == 'x');
}

/* ------------------------------------------------------------ LAKEFRONT_AUTH */

static void test_auth_modes(void)
{
    /* Nothing configured: off, in auto mode. */
    clear_env();
    CHECK(disabled(""));
    CHECK(disabled(NULL));

    /* password: off even with everything set, and nothing read. */
    set_app_env();
    set("DATABRICKS_TOKEN", PAT);
    set("LAKEBASE_INSTANCE_NAME", "inst");
    set("PGUSER", "someone");
    set("DATABRICKS_CONFIG_FILE", "/nonexistent/databrickscfg");
    CHECK(disabled("password"));

    /* Anything else is refused, quoted in the error. */
    CHECK(fails("Password", "\"Password\" is not accepted"));
    CHECK(fails("Databricks", "not accepted"));
    CHECK(fails("oauth", "LAKEFRONT_AUTH"));
    CHECK(fails("databricks ", "not accepted"));
    CHECK(fails("1", "expected password or databricks"));
    clear_env();
    CHECK(fails("bogus", "not accepted"));

    /* databricks: everything must be there; the error names what is not. */
    clear_env();
    CHECK(fails("databricks", "missing: host identity endpoint"));
    set("LAKEBASE_ENDPOINT", EP);
    CHECK(fails("databricks", "missing: host identity"));
    set("DATABRICKS_HOST", "dbc-1234.cloud.databricks.com");
    CHECK(fails("databricks", "missing: identity"));
    unsetenv("LAKEBASE_ENDPOINT");
    set("DATABRICKS_TOKEN", PAT);
    CHECK(fails("databricks", "missing: endpoint"));
    set("LAKEBASE_INSTANCE_NAME", "inst");
    struct dbx_settings s;
    CHECK(enabled("databricks", &s));
    CHECK(s.identity == DBX_PAT && s.instance != NULL && strcmp(s.instance, "inst") == 0);
    dbxconf_free(&s);
    /* Identity from the environment without a host: the SP variables need
     * DATABRICKS_HOST to count. */
    clear_env();
    set_app_env();
    unsetenv("DATABRICKS_HOST");
    CHECK(fails("databricks", "missing: host identity"));
    /* A malformed host is an error when credentials are on. */
    set("DATABRICKS_HOST", "http://dbc-1234.cloud.databricks.com");
    CHECK(fails("databricks", "loopback"));
    CHECK(fails("", "loopback"));
    set("DATABRICKS_HOST", "https://dbc-1234.cloud.databricks.com/api");
    CHECK(fails("", "no path"));

    /* Auto mode: on only with a host and an endpoint or instance. */
    clear_env();
    set_app_env();
    CHECK(enabled("", &s));
    dbxconf_free(&s);
    unsetenv("LAKEBASE_ENDPOINT");
    CHECK(disabled(""));
    set("LAKEBASE_INSTANCE_NAME", "inst");
    CHECK(enabled("", &s));
    dbxconf_free(&s);
    unsetenv("DATABRICKS_HOST");
    CHECK(disabled(""));
    /* Host and endpoint but no identity: Databricks was meant, an error. */
    clear_env();
    set("DATABRICKS_HOST", "dbc-1234.cloud.databricks.com");
    set("LAKEBASE_ENDPOINT", EP);
    CHECK(fails("", "missing: identity"));
    /* Empty variables are unset ones. */
    clear_env();
    set_app_env();
    set("DATABRICKS_HOST", "");
    CHECK(disabled(""));
    set("DATABRICKS_HOST", "dbc-1234.cloud.databricks.com");
    set("LAKEBASE_ENDPOINT", "");
    CHECK(disabled(""));
    set("LAKEBASE_INSTANCE_NAME", "");
    CHECK(disabled(""));
    clear_env();
}

/* ------------------------------------------------------------ environment */

static void test_env_identity(void)
{
    struct dbx_settings s;

    /* The App's service principal. */
    clear_env();
    set_app_env();
    set("PGUSER", "6f1c3b7e-2c0a-4d7e-9a55-0e3d1f5b9a21");
    CHECK(enabled("", &s));
    CHECK_INT(s.identity, DBX_M2M);
    CHECK_STR(s.host, "https://dbc-1234.cloud.databricks.com");
    CHECK_STR(s.client_id, "6f1c3b7e-2c0a-4d7e-9a55-0e3d1f5b9a21");
    CHECK_STR(s.client_secret, SECRET);
    CHECK(s.token == NULL);
    CHECK_STR(s.endpoint, EP);
    CHECK(s.instance == NULL);
    CHECK_STR(s.pguser, "6f1c3b7e-2c0a-4d7e-9a55-0e3d1f5b9a21");
    CHECK(strstr(s.source, "environment") != NULL && strstr(s.source, "6f1c3b7e") != NULL);
    dbxconf_free(&s);
    CHECK(is_zero(&s));
    /* Free again: a zeroed struct is fine. */
    dbxconf_free(&s);
    CHECK(is_zero(&s));

    /* SP env > PAT env. */
    set("DATABRICKS_TOKEN", PAT);
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_M2M && s.token == NULL && s.client_secret != NULL);
    dbxconf_free(&s);

    /* Without the secret, the PAT (and without PGUSER, no pguser). */
    unsetenv("DATABRICKS_CLIENT_SECRET");
    unsetenv("PGUSER");
    CHECK(enabled("", &s));
    CHECK_INT(s.identity, DBX_PAT);
    CHECK_STR(s.token, PAT);
    CHECK(s.client_id == NULL && s.client_secret == NULL);
    CHECK(strstr(s.source, "DATABRICKS_TOKEN") != NULL);
    CHECK(s.pguser == NULL);
    dbxconf_free(&s);
    CHECK(is_zero(&s));

    /* Without the client id, the PAT too. */
    set("DATABRICKS_CLIENT_SECRET", SECRET);
    unsetenv("DATABRICKS_CLIENT_ID");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && s.client_secret == NULL);
    dbxconf_free(&s);

    /* The endpoint wins over the instance. */
    clear_env();
    set_app_env();
    set("LAKEBASE_INSTANCE_NAME", "inst");
    CHECK(enabled("", &s));
    CHECK_STR(s.endpoint, EP);
    CHECK(s.instance == NULL);
    dbxconf_free(&s);
    unsetenv("LAKEBASE_ENDPOINT");
    CHECK(enabled("", &s));
    CHECK(s.endpoint == NULL);
    CHECK_STR(s.instance, "inst");
    dbxconf_free(&s);

    /* A loopback host stays http (the integration tests' fake workspace). */
    set("DATABRICKS_HOST", "http://127.0.0.1:8099/");
    CHECK(enabled("databricks", &s));
    CHECK_STR(s.host, "http://127.0.0.1:8099");
    dbxconf_free(&s);
    clear_env();
}

/* ------------------------------------------------------------ profiles */

static void test_profiles(void)
{
    struct dbx_settings s;

    /* ~/.databrickscfg, [DEFAULT] with host and token. */
    clear_env();
    set("HOME", dir);
    put(".databrickscfg", "[DEFAULT]\nhost = dbc-9.cloud.databricks.com/\ntoken = " PAT "\n");
    set("LAKEBASE_ENDPOINT", EP);
    CHECK(enabled("", &s));
    CHECK_INT(s.identity, DBX_PAT);
    CHECK_STR(s.host, "https://dbc-9.cloud.databricks.com");
    CHECK_STR(s.token, PAT);
    CHECK(s.client_id == NULL && s.client_secret == NULL);
    CHECK(strstr(s.source, "profile [DEFAULT]") != NULL &&
          strstr(s.source, "personal access token") != NULL);
    dbxconf_free(&s);
    CHECK(is_zero(&s));

    /* No endpoint and not forced: the file is not even looked at. */
    unsetenv("LAKEBASE_ENDPOINT");
    CHECK(disabled(""));
    set("DATABRICKS_CONFIG_FILE", "/nonexistent/databrickscfg");
    CHECK(disabled(""));
    unsetenv("DATABRICKS_CONFIG_FILE");
    /* Forced, it is. */
    set("LAKEBASE_INSTANCE_NAME", "inst");
    CHECK(enabled("databricks", &s));
    CHECK(s.identity == DBX_PAT && s.instance != NULL);
    dbxconf_free(&s);

    /* [DEFAULT] with host, client_id and client_secret; comments, a BOM,
     * blanks and spacing as configparser reads them. */
    clear_env();
    set("HOME", dir);
    set("LAKEBASE_ENDPOINT", EP);
    put(".databrickscfg", "\xef\xbb\xbf; written by databricks configure\n"
                          "# another comment\n\n"
                          "[DEFAULT]\n"
                          "host=https://dbc-9.cloud.databricks.com\n"
                          "  \n"
                          "client_id     =   sp-client-id   \n"
                          "client_secret = " SECRET "\n");
    CHECK(enabled("", &s));
    CHECK_INT(s.identity, DBX_M2M);
    CHECK_STR(s.host, "https://dbc-9.cloud.databricks.com");
    CHECK_STR(s.client_id, "sp-client-id");
    CHECK_STR(s.client_secret, SECRET);
    CHECK(s.token == NULL);
    CHECK(strstr(s.source, "OAuth client credentials") != NULL);
    dbxconf_free(&s);

    /* DATABRICKS_CONFIG_FILE is read instead of ~/.databrickscfg. */
    put("other.cfg", "[DEFAULT]\nhost = https://dbc-other.cloud.databricks.com\ntoken = " PAT
                     "\n");
    set("DATABRICKS_CONFIG_FILE", path_of("other.cfg"));
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.host, "https://dbc-other.cloud.databricks.com") == 0);
    CHECK(strstr(s.source, "other.cfg") != NULL);
    dbxconf_free(&s);
    unsetenv("DATABRICKS_CONFIG_FILE");

    /* Environment identities come first: SP env > PAT env > profile. */
    set("DATABRICKS_HOST", "dbc-env.cloud.databricks.com");
    set("DATABRICKS_TOKEN", "dapi-env-token");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.token, "dapi-env-token") == 0);
    CHECK_STR(s.host, "https://dbc-env.cloud.databricks.com");
    CHECK(s.client_secret == NULL && strstr(s.source, "environment") != NULL);
    dbxconf_free(&s);
    unsetenv("DATABRICKS_TOKEN");
    /* DATABRICKS_HOST alone: the profile's identity, the environment's host. */
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_M2M && strcmp(s.client_secret, SECRET) == 0);
    CHECK_STR(s.host, "https://dbc-env.cloud.databricks.com");
    dbxconf_free(&s);

    /* [DEFAULT] inheritance: a named profile takes the keys it lacks from
     * [DEFAULT] wherever it is in the file; its own keys win. */
    clear_env();
    set("LAKEBASE_ENDPOINT", EP);
    set("DATABRICKS_CONFIG_FILE", path_of("multi.cfg"));
    put("multi.cfg", "[dev]\n"
                     "token = dapi-dev\n"
                     "[DEFAULT]\n"
                     "host = https://dbc-default.cloud.databricks.com\n"
                     "token = dapi-default\n"
                     "[prod]\n"
                     "host = https://dbc-prod.cloud.databricks.com\n"
                     "client_id = prod-sp\n"
                     "client_secret = " SECRET "\n"
                     "[nohost]\n"
                     "client_id = nohost-sp\n"
                     "[cli]\n"
                     "host = https://dbc-cli.cloud.databricks.com\n"
                     "auth_type = databricks-cli\n");
    set("DATABRICKS_CONFIG_PROFILE", "dev");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.token, "dapi-dev") == 0);
    CHECK_STR(s.host, "https://dbc-default.cloud.databricks.com");
    CHECK(strstr(s.source, "profile [dev]") != NULL);
    dbxconf_free(&s);
    set("DATABRICKS_CONFIG_PROFILE", "prod");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_M2M && strcmp(s.client_id, "prod-sp") == 0);
    CHECK_STR(s.host, "https://dbc-prod.cloud.databricks.com");
    CHECK(s.token == NULL);
    dbxconf_free(&s);
    /* client_id without a secret: [DEFAULT]'s token. */
    set("DATABRICKS_CONFIG_PROFILE", "nohost");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.token, "dapi-default") == 0 && s.client_id == NULL);
    dbxconf_free(&s);
    /* No profile named: [DEFAULT] itself; and DEFAULT by name is the same. */
    unsetenv("DATABRICKS_CONFIG_PROFILE");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.token, "dapi-default") == 0);
    dbxconf_free(&s);
    set("DATABRICKS_CONFIG_PROFILE", "DEFAULT");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.token, "dapi-default") == 0);
    dbxconf_free(&s);

    /* A profile's own token beats client credentials it would inherit. */
    put("own.cfg", "[DEFAULT]\nhost = https://dbc-default.cloud.databricks.com\n"
                   "client_id = default-sp\nclient_secret = " SECRET "\n"
                   "[mine]\ntoken = dapi-mine\n");
    set("DATABRICKS_CONFIG_FILE", path_of("own.cfg"));
    set("DATABRICKS_CONFIG_PROFILE", "mine");
    CHECK(enabled("", &s));
    CHECK(s.identity == DBX_PAT && strcmp(s.token, "dapi-mine") == 0 && s.client_id == NULL);
    dbxconf_free(&s);
    set("DATABRICKS_CONFIG_FILE", path_of("multi.cfg"));

    /* A missing named profile is an error, in auto mode as well; section
     * names are case-sensitive, as in configparser. */
    set("DATABRICKS_CONFIG_PROFILE", "staging");
    CHECK(fails("", "has no profile [staging]"));
    CHECK(fails("databricks", "has no profile [staging]"));
    set("DATABRICKS_CONFIG_PROFILE", "Prod");
    CHECK(fails("", "has no profile [Prod]"));

    /* A profile with neither a token nor client credentials. */
    put("none.cfg", "[cli]\nhost = https://dbc-cli.cloud.databricks.com\n"
                    "auth_type = databricks-cli\n"
                    "[half]\nhost = h\nclient_secret = " SECRET "\n");
    set("DATABRICKS_CONFIG_FILE", path_of("none.cfg"));
    set("DATABRICKS_CONFIG_PROFILE", "cli");
    CHECK(fails("", "profile [cli] has neither a token nor a client_id and client_secret"));
    set("DATABRICKS_CONFIG_PROFILE", "half");
    CHECK(fails("databricks", "profile [half] has neither"));
    /* Unnamed, [DEFAULT] (absent here) gives nothing: no identity. */
    unsetenv("DATABRICKS_CONFIG_PROFILE");
    CHECK(fails("databricks", "missing: host identity"));
    CHECK(disabled("")); /* no host anywhere: auto mode stays off */
    set("DATABRICKS_HOST", "dbc-1234.cloud.databricks.com");
    CHECK(fails("", "missing: identity"));
    unsetenv("DATABRICKS_HOST");

    /* A file named by DATABRICKS_CONFIG_FILE that cannot be read. */
    set("DATABRICKS_CONFIG_FILE", path_of("absent.cfg"));
    CHECK(fails("", "cannot read the Databricks config file"));
    CHECK(fails("databricks", "absent.cfg"));
    if (geteuid() != 0) { /* root reads a mode-000 file anyway */
        put("locked.cfg", "[DEFAULT]\nhost = h\ntoken = " PAT "\n");
        chmod(path_of("locked.cfg"), 0);
        set("DATABRICKS_CONFIG_FILE", path_of("locked.cfg"));
        CHECK(fails("", "cannot read the Databricks config file"));
    }
    /* ~/.databrickscfg missing: no identity, but not an error of its own;
     * with a profile named, it is one. */
    unsetenv("DATABRICKS_CONFIG_FILE");
    set("HOME", path_of("nohome"));
    CHECK(fails("databricks", "missing: host identity"));
    set("DATABRICKS_CONFIG_PROFILE", "dev");
    CHECK(fails("databricks", "cannot read the Databricks config file"));
    unsetenv("DATABRICKS_CONFIG_PROFILE");

    /* A malformed file. */
    put("bad.cfg", "[DEFAULT]\nhost = h\nthis line has no equals sign\ntoken = t\n");
    set("DATABRICKS_CONFIG_FILE", path_of("bad.cfg"));
    CHECK(fails("", "cannot parse it (line 3)"));
    put("bad.cfg", "[DEFAULT\nhost = h\ntoken = t\n");
    CHECK(fails("", "cannot parse it (line 1)"));
    /* A line longer than inih's 200 bytes is an error, not a token cut
     * short. */
    char longcfg[600];
    snprintf(longcfg, sizeof longcfg, "[DEFAULT]\nhost = h\ntoken = %0300d\n", 7);
    put("bad.cfg", longcfg);
    CHECK(fails("", "cannot parse it"));

    /* A profile's host is normalized like DATABRICKS_HOST. */
    put("plain.cfg", "[DEFAULT]\nhost = http://dbc-9.cloud.databricks.com\ntoken = " PAT "\n");
    set("DATABRICKS_CONFIG_FILE", path_of("plain.cfg"));
    CHECK(fails("", "loopback"));
    put("plain.cfg", "[DEFAULT]\nhost = http://localhost:8099/\ntoken = " PAT "\n");
    CHECK(enabled("", &s));
    CHECK_STR(s.host, "http://localhost:8099");
    dbxconf_free(&s);

    /* password never reads the file, even a broken one. */
    put("bad.cfg", "garbage\n");
    set("DATABRICKS_CONFIG_FILE", path_of("bad.cfg"));
    set("DATABRICKS_CONFIG_PROFILE", "nope");
    CHECK(disabled("password"));
    clear_env();
}

/* A long err is cut to errlen and terminated. */
static void test_errlen(void)
{
    struct dbx_settings s;
    char err[32];
    clear_env();
    memset(err, 'x', sizeof err);
    CHECK_INT(dbxconf_resolve(&s, "databricks", err, 16), -1);
    CHECK(strlen(err) == 15 && err[16] == 'x');
    CHECK(is_zero(&s));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_dbxconf.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    test_normalize_host();
    test_auth_modes();
    test_env_identity();
    test_profiles();
    test_errlen();

    static const char *const files[] = {".databrickscfg", "other.cfg",  "multi.cfg", "none.cfg",
                                        "locked.cfg",     "bad.cfg",    "plain.cfg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(path_of(files[i]));
    rmdir(dir);
    return TEST_REPORT();
}
