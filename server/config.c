/* config: see config.h. The table below is the single list of settings. */
#include "config.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"

/* T_HEADER: a string that goes into HTTP response headers as it is:
 * printable ASCII only, so no value can add a header line of its own. */
/* T_ORIGINS: a T_LIST of web origins ("scheme://host[:port]", no path) or
 * the one entry "*". */
enum setting_type { T_INT, T_STR, T_HEADER, T_LIST, T_ORIGINS, T_BOOL, T_LEVEL };

struct setting {
    const char *env;
    const char *flag;
    enum setting_type type;
    size_t offset;
    const char *def; /* default, as text; NULL: computed at startup */
    long min, max;   /* T_INT only */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct setting settings[] = {
    {"LAKEFRONT_HOST", "host", T_STR, OFF(host), "0.0.0.0", 0, 0,
     "address to listen on (0.0.0.0 when DATABRICKS_APP_PORT is set)"},
    {"LAKEFRONT_PORT", "port", T_INT, OFF(port), "8000", 0, 65535,
     "port to listen on; 0 picks a free port and logs it; DATABRICKS_APP_PORT wins when set"},
    {"LAKEFRONT_DATABASE_URL", "database-url", T_STR, OFF(database_url), "", 0, 0,
     "libpq connection URL or key=value string; unset: PGHOST, PGPORT, PGDATABASE, PGUSER, "
     "PGPASSWORD, PGSSLMODE, ..."},
    {"LAKEFRONT_SCHEMAS", "schemas", T_LIST, OFF(schemas), "", 0, 0,
     "comma list of schemas to serve; empty: every non-system schema"},
    {"LAKEFRONT_TABLES", "tables", T_LIST, OFF(tables), "", 0, 0,
     "comma list of schema.table to serve (an allowlist); empty: every table with a primary key"},
    {"LAKEFRONT_CATALOG_REFRESH_S", "catalog-refresh-s", T_INT, OFF(catalog_refresh_s), "60", 1,
     86400, "seconds between catalog refreshes (SIGHUP refreshes at once)"},
    {"LAKEFRONT_WORKERS", "workers", T_INT, OFF(workers), NULL, 1, 256,
     "event-loop threads; default: the CPUs lakefront may run on"},
    {"LAKEFRONT_POOL_SIZE", "pool-size", T_INT, OFF(pool_size), "8", 1, 4000,
     "database connections in total, split among the workers"},
    {"LAKEFRONT_QUEUE_LIMIT", "queue-limit", T_INT, OFF(queue_limit), "1024", 0, 1000000,
     "lookups that may wait for a connection; beyond it: 503 OVERLOADED"},
    {"LAKEFRONT_REQUEST_TIMEOUT_MS", "request-timeout-ms", T_INT, OFF(request_timeout_ms), "5000",
     10, 600000, "deadline of a lookup, queueing included"},
    {"LAKEFRONT_PIPELINE_DEPTH", "pipeline-depth", T_INT, OFF(pipeline_depth), "64", 1, 4096,
     "lookups one round trip of a connection carries (libpq pipeline mode)"},
    {"LAKEFRONT_MERGE_WAIT_US", "merge-wait-us", T_INT, OFF(merge_wait_us), "1000", 0, 10000000,
     "longest a lookup waits for its worker's round trip in flight, to go with the next batch, "
     "before another connection takes it; 0: never waits"},
    {"LAKEFRONT_CONN_MAX_LIFETIME_S", "conn-max-lifetime-s", T_INT, OFF(conn_max_lifetime_s),
     "3600", 1, 259200, "a database connection is replaced after this many seconds"},
    {"LAKEFRONT_CONNECT_TIMEOUT_MS", "connect-timeout-ms", T_INT, OFF(connect_timeout_ms), "5000",
     100, 120000, "deadline of one database connection attempt"},
    {"LAKEFRONT_STATEMENT_TIMEOUT_MS", "statement-timeout-ms", T_INT, OFF(statement_timeout_ms),
     "0", 0, 3600000, "statement_timeout of the database connections; 0: the request timeout"},
    {"LAKEFRONT_ACCESS_LOG", "access-log", T_BOOL, OFF(access_log), "on", 0, 0,
     "one log line per request (on/off)"},
    {"LAKEFRONT_BATCH_MAX_KEYS", "batch-max-keys", T_INT, OFF(batch_max_keys), "1000", 1, 100000,
     "keys one POST .../lookup may ask for; beyond it: 413 BATCH_TOO_LARGE"},
    {"LAKEFRONT_MAX_BODY_BYTES", "max-body-bytes", T_INT, OFF(max_body_bytes), "1048576", 1024,
     1073741824, "largest request body accepted; beyond it: 413 BODY_TOO_LARGE"},
    {"LAKEFRONT_CORS_ORIGINS", "cors-origins", T_ORIGINS, OFF(cors_origins), "", 0, 0,
     "comma list of origins (https://app.example.com) browsers may call from, or *; "
     "empty: no CORS headers"},
    {"LAKEFRONT_CORS_MAX_AGE_S", "cors-max-age-s", T_INT, OFF(cors_max_age_s), "600", 0, 86400,
     "Access-Control-Max-Age of a preflight answer"},
    {"LAKEFRONT_CACHE_CONTROL", "cache-control", T_HEADER, OFF(cache_control), "no-cache", 0, 0,
     "Cache-Control of a row's 200 (it carries an ETag; no-cache: browsers revalidate)"},
    {"LAKEFRONT_METRICS", "metrics", T_BOOL, OFF(metrics), "on", 0, 0,
     "Prometheus metrics at /metrics and /api/v1/metrics (on/off)"},
    {"LAKEFRONT_SERVER_TIMING", "server-timing", T_BOOL, OFF(server_timing), "off", 0, 0,
     "Server-Timing header (queue, db, total in ms) on every API response (on/off)"},
    {"LAKEFRONT_SLOW_MS", "slow-ms", T_INT, OFF(slow_ms), "100", 0, 3600000,
     "a request slower than this is logged at warn with where its time went; 0: never"},
    {"LAKEFRONT_LOG_LEVEL", "log-level", T_LEVEL, OFF(log_level), "info", 0, 0,
     "debug, info, warn or error"},
    {"LAKEFRONT_SHUTDOWN_TIMEOUT_MS", "shutdown-timeout-ms", T_INT, OFF(shutdown_timeout_ms),
     "10000", 0, 60000, "on SIGTERM/SIGINT, time given to requests in flight"},
    {"LAKEFRONT_AUTH", "auth", T_STR, OFF(auth), "", 0, 0,
     "password (libpq's PGPASSWORD etc.) or databricks (Lakebase OAuth credentials); "
     "default: databricks when DATABRICKS_HOST (or a profile) and LAKEBASE_ENDPOINT or "
     "LAKEBASE_INSTANCE_NAME are set"},
    {"LAKEFRONT_MAX_CONNECTIONS", "max-connections", T_INT, OFF(max_connections), "10000", 1,
     1000000, "HTTP connections open at once, in total"},
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

/* Appends "NAME: "VALUE" is not accepted; expected WHAT" to errs. The value
 * is cut at 40 bytes: it may be long, and it is echoed to a terminal. */
static void problem(struct buf *errs, const struct setting *s, bool from_flag, const char *value,
                    const char *expected)
{
    if (from_flag)
        buf_printf(errs, "--%s: ", s->flag);
    else
        buf_printf(errs, "%s: ", s->env);
    buf_printf(errs, "\"%.40s\" is not accepted; expected %s\n", value, expected);
}

static char **split_list(const char *v)
{
    size_t n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    char **out = xcalloc(n + 1, sizeof *out);
    size_t k = 0;
    const char *p = v;
    while (*p) {
        const char *e = strchr(p, ',');
        if (e == NULL)
            e = p + strlen(p);
        const char *a = p, *b = e;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a)
            out[k++] = xstrndup(a, (size_t)(b - a));
        p = *e ? e + 1 : e;
    }
    out[k] = NULL;
    return out;
}

static void free_list(char **l)
{
    if (l == NULL)
        return;
    for (char **p = l; *p; p++)
        free(*p);
    free(l);
}

/* A web origin as browsers send it in Origin: "http" or "https", "://", a
 * host of letters, digits, "-", "." (or an IPv6 literal in brackets), an
 * optional ":port"; nothing else. */
static bool origin_ok(const char *o)
{
    const char *p;
    if (strncmp(o, "http://", 7) == 0)
        p = o + 7;
    else if (strncmp(o, "https://", 8) == 0)
        p = o + 8;
    else
        return false;
    const char *host = p;
    if (*p == '[') {
        while (*p && *p != ']')
            p++;
        if (*p++ != ']')
            return false;
    } else {
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '-' || *p == '.')
            p++;
    }
    if (p == host)
        return false;
    if (*p == ':') {
        const char *port = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == port || p - port > 5)
            return false;
    }
    return *p == '\0';
}

/* Sets one setting from its text; appends a problem to errs if invalid. */
static void apply(struct config *c, const struct setting *s, const char *v, bool from_flag,
                  struct buf *errs)
{
    char *field = (char *)c + s->offset;
    switch (s->type) {
    case T_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno != 0 || n < s->min || n > s->max) {
            char expected[96];
            snprintf(expected, sizeof expected, "a whole number from %ld to %ld", s->min, s->max);
            problem(errs, s, from_flag, v, expected);
            return;
        }
        *(int *)(void *)field = (int)n;
        return;
    }
    case T_HEADER:
        for (const char *q = v; *q; q++) {
            if (*q < 0x20 || *q > 0x7e) {
                problem(errs, s, from_flag, v, "printable ASCII (it is sent as a header value)");
                return;
            }
        }
        __attribute__((fallthrough)); /* then stored as a T_STR */
    case T_STR:
        free(*(char **)(void *)field);
        *(char **)(void *)field = xstrdup(v);
        return;
    case T_ORIGINS: {
        char **l = split_list(v);
        for (char **o = l; *o; o++) {
            if (!origin_ok(*o) && !(strcmp(*o, "*") == 0 && o == l && o[1] == NULL)) {
                problem(errs, s, from_flag, v,
                        "* or a comma list of origins like https://app.example.com:8443 "
                        "(scheme, host, optional port; no path)");
                free_list(l);
                return;
            }
        }
        free_list(*(char ***)(void *)field);
        *(char ***)(void *)field = l;
        return;
    }
    case T_LIST:
        free_list(*(char ***)(void *)field);
        *(char ***)(void *)field = split_list(v);
        return;
    case T_BOOL:
        if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
            *(bool *)(void *)field = true;
        else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
            *(bool *)(void *)field = false;
        else
            problem(errs, s, from_flag, v, "on or off");
        return;
    case T_LEVEL: {
        int lv = log_level_parse(v);
        if (lv < 0)
            problem(errs, s, from_flag, v, "debug, info, warn or error");
        else
            *(int *)(void *)field = lv;
        return;
    }
    }
}

static int default_workers(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

enum config_result config_load(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    struct buf errs = BUF_INIT;
    enum config_result res = CONFIG_RUN;
    bool port_flag = false;

    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].def != NULL)
            apply(c, &settings[i], settings[i].def, false, &errs);
    c->workers = default_workers();

    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v != NULL)
            apply(c, &settings[i], v, false, &errs);
    }

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            res = CONFIG_HELP;
            goto out;
        }
        if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            res = CONFIG_VERSION;
            goto out;
        }
        if (strncmp(a, "--", 2) != 0) {
            buf_printf(&errs, "unexpected argument \"%.40s\"; see --help\n", a);
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct setting *s = NULL;
        for (size_t k = 0; k < NSETTINGS; k++)
            if (strlen(settings[k].flag) == nlen && !strncmp(settings[k].flag, name, nlen))
                s = &settings[k];
        if (s == NULL) {
            buf_printf(&errs, "unknown option \"--%.*s\"; see --help\n", (int)(nlen > 40 ? 40 : nlen),
                       name);
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (v == NULL) {
            if (i + 1 >= argc) {
                buf_printf(&errs, "--%s needs a value\n", s->flag);
                continue;
            }
            v = argv[++i];
        }
        if (s->offset == OFF(port))
            port_flag = true;
        apply(c, s, v, true, &errs);
    }

    /* Databricks Apps tells the app where to listen; that beats
     * LAKEFRONT_PORT (but not an explicit --port), and the app must listen
     * on every interface for the Apps proxy to reach it. */
    const char *app_port = getenv("DATABRICKS_APP_PORT");
    if (app_port != NULL && !port_flag) {
        static const struct setting app = {"DATABRICKS_APP_PORT", "port", T_INT, OFF(port), NULL,
                                           1, 65535, ""};
        apply(c, &app, app_port, false, &errs);
        c->port_from_app = true;
        free(c->host);
        c->host = xstrdup("0.0.0.0");
    }
    /* libpq's parse errors quote the text they stumbled on, which can be
     * the password: the URL is parsed here, once, and a fault names the
     * setting only. Past this point libpq never has a reason to quote it. */
    if (c->database_url != NULL && c->database_url[0] != '\0') {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(c->database_url, &perr);
        if (opts == NULL)
            buf_puts(&errs, "LAKEFRONT_DATABASE_URL: not a postgresql:// URI or key=value "
                            "string that libpq accepts (libpq's message is not shown: it "
                            "could quote the password)\n");
        PQconninfoFree(opts);
        PQfreemem(perr);
    }
    if (c->statement_timeout_ms == 0)
        c->statement_timeout_ms = c->request_timeout_ms;
    if (c->workers > c->pool_size)
        c->workers = c->pool_size; /* every worker needs at least one connection */

out:
    if (res == CONFIG_RUN && errs.len > 0)
        res = CONFIG_INVALID;
    snprintf(err, errlen, "%s", errs.data ? errs.data : "");
    buf_free(&errs);
    return res;
}

void config_free(struct config *c)
{
    free(c->host);
    free(c->database_url);
    free(c->auth);
    free(c->cache_control);
    free_list(c->cors_origins);
    free_list(c->schemas);
    free_list(c->tables);
    memset(c, 0, sizeof *c);
}

void config_print_help(FILE *out)
{
    fprintf(out, "usage: lakefront [--option=value ...]\n"
                 "       lakefront check [--option=value ...]\n"
                 "           checks the settings, the database credential, the connection,\n"
                 "           the catalog and one lookup per table, prints a report and exits\n"
                 "           0 when the server would work, 1 at the first failing step\n\n"
                 "Serves primary-key lookups of Postgres (Lakebase synced) tables as JSON.\n"
                 "Every option can also be set by its environment variable; a flag wins.\n\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        fprintf(out, "  --%-22s %s\n", s->flag, s->env);
        fprintf(out, "      %s\n", s->help);
        if (s->type == T_INT)
            fprintf(out, "      default %s; range %ld to %ld\n", s->def ? s->def : "(computed)",
                    s->min, s->max);
        else if (s->def != NULL && s->def[0] != '\0')
            fprintf(out, "      default %s\n", s->def);
    }
    fprintf(out,
            "\nDatabricks (read from the environment; see README):\n"
            "  DATABRICKS_APP_PORT        set by Databricks Apps: listen on 0.0.0.0 there\n"
            "  DATABRICKS_HOST            the workspace, with or without https://\n"
            "  DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET   a service principal (OAuth M2M)\n"
            "  DATABRICKS_TOKEN           a personal access token\n"
            "  DATABRICKS_CONFIG_FILE, DATABRICKS_CONFIG_PROFILE  a ~/.databrickscfg profile\n"
            "  LAKEBASE_ENDPOINT          projects/P/branches/B/endpoints/E (Autoscaling)\n"
            "  LAKEBASE_INSTANCE_NAME     a Provisioned instance\n"
            "  PGUSER                     the Postgres role; default: the client id, or the\n"
            "                             token owner's user name\n"
            "\n  --help, --version\n");
}
