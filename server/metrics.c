/* metrics: see metrics.h. */
#include "metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "router.h"

static const double buckets[METRICS_NBUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     7.5,  10,
};
/* The same bounds as written in le="...": plain decimals, never 5e-05. */
static const char *const bucket_labels[METRICS_NBUCKETS] = {
    "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",    "0.1",    "0.25",    "0.5",    "1",     "2.5",    "5",     "7.5",  "10",
};

static const unsigned statuses[METRICS_NSTATUS - 1] = {
    200, 204, 304, 400, 404, 405, 413, 414, 415, 431, 500, 502, 503, 504, 505,
};

static const char *const classes[METRICS_NCLASSES - 1] = {
    "08", "0A", "22", "23", "25", "26", "28", "40", "42", "53", "54", "55", "57", "58", "XX",
};

static const char *const route_names[MR_N] = {
    "/healthz",
    "/readyz",
    "/api/v1/tables",
    "/api/v1/tables/{table}",
    "/api/v1/tables/{table}/rows/{key}",
    "/api/v1/tables/{table}/rows",
    "/api/v1/tables/{table}/lookup",
    "/api/v1/openapi.json",
    "/metrics",
    "/api/v1/status",
    "other",
};

static const char *const method_names[MM_N] = {"GET", "HEAD", "POST", "OPTIONS", "other"};

/* ------------------------------------------------------------ updates */

/* The owner is the only writer: a relaxed store of the new value is enough
 * for a reader on another thread to see whole numbers. */
static void bump(uint64_t *x, uint64_t by)
{
    __atomic_store_n(x, __atomic_load_n(x, __ATOMIC_RELAXED) + by, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *x)
{
    return __atomic_load_n(x, __ATOMIC_RELAXED);
}

enum metrics_route metrics_route_of(int kind, int path_form)
{
    switch ((enum route_kind)kind) {
    case ROUTE_HEALTHZ:
        return MR_HEALTHZ;
    case ROUTE_READYZ:
        return MR_READYZ;
    case ROUTE_TABLES:
        return MR_TABLES;
    case ROUTE_TABLE:
        return MR_TABLE;
    case ROUTE_ROW:
        return path_form ? MR_ROW : MR_ROW_QUERY;
    case ROUTE_LOOKUP:
        return MR_LOOKUP;
    case ROUTE_OPENAPI:
        return MR_OPENAPI;
    case ROUTE_METRICS:
        return MR_METRICS;
    case ROUTE_STATUS:
        return MR_STATUS;
    case ROUTE_NOT_FOUND:
        break;
    }
    return MR_OTHER;
}

enum metrics_method metrics_method_of(const char *method)
{
    for (int i = 0; i < MM_OTHER; i++)
        if (strcmp(method, method_names[i]) == 0)
            return (enum metrics_method)i;
    return MM_OTHER;
}

static int status_slot(unsigned status)
{
    for (int i = 0; i < METRICS_NSTATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return METRICS_NSTATUS - 1;
}

void metrics_observe(struct metrics_hist *h, uint64_t us)
{
    double s = (double)us / 1e6;
    int b = 0;
    while (b < METRICS_NBUCKETS && s > buckets[b])
        b++;
    bump(&h->bucket[b], 1);
    bump(&h->sum_us, us);
}

void metrics_request(struct metrics *m, enum metrics_route route, enum metrics_method method,
                     unsigned status, uint64_t duration_us)
{
    bump(&m->requests[route][method][status_slot(status)], 1);
    metrics_observe(&m->duration[route], duration_us);
}

void metrics_db_error(struct metrics *m, const char *sqlstate)
{
    int i = 0;
    while (i < METRICS_NCLASSES - 1 && strncmp(sqlstate, classes[i], 2) != 0)
        i++;
    bump(&m->db_errors[i], 1);
}

void metrics_merged(struct metrics *m, unsigned lookups)
{
    bump(&m->merged_statements, 1);
    bump(&m->merged_lookups, lookups);
}

void metrics_set(uint64_t *gauge, uint64_t value)
{
    __atomic_store_n(gauge, value, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ rendering */

static uint64_t sum_of(struct metrics *const *all, int n, size_t offset)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        s += get((const uint64_t *)(const void *)((const char *)all[i] + offset));
    return s;
}

#define SUM(field) sum_of(all, n, offsetof(struct metrics, field))

/* Requests of route r, method m and status slot s, summed over the loops. */
static uint64_t requests_of(struct metrics *const *all, int n, int r, int m, int s)
{
    size_t o = offsetof(struct metrics, requests) +
               (((size_t)r * MM_N + (size_t)m) * METRICS_NSTATUS + (size_t)s) * sizeof(uint64_t);
    return sum_of(all, n, o);
}

void metrics_summarize(struct metrics *const *all, int n, struct metrics_summary *out)
{
    memset(out, 0, sizeof *out);
    for (int r = 0; r < MR_N; r++)
        for (int m = 0; m < MM_N; m++)
            for (int s = 0; s < METRICS_NSTATUS; s++) {
                uint64_t v = requests_of(all, n, r, m, s);
                if (v == 0)
                    continue;
                /* The "other" slot is neither kind of error: nothing here
                 * answers with a status outside the list. */
                unsigned st = s < METRICS_NSTATUS - 1 ? statuses[s] : 0;
                bool client = st >= 400 && st < 500 && st != 404;
                bool server = st >= 500 && st < 600;
                out->requests += v;
                out->client_errors += client ? v : 0;
                out->server_errors += server && !(r == MR_READYZ && st == 503) ? v : 0;
                if ((r != MR_ROW && r != MR_ROW_QUERY && r != MR_LOOKUP) || m == MM_OPTIONS ||
                    st == 405)
                    continue;
                out->lookups += v;
                out->found += st == 200 || st == 304 ? v : 0;
                out->not_found += st == 404 ? v : 0;
                out->lookup_client_errors += client ? v : 0;
                out->lookup_server_errors += server ? v : 0;
            }
    out->conns_idle = SUM(conns_idle);
    out->conns_busy = SUM(conns_busy);
    out->conns_connecting = SUM(conns_connecting);
    out->queue_depth = SUM(queue_depth);
    out->db_reconnects = SUM(db_reconnects);
}

static void header(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram's series; labels is "" or `route="..."`. */
static void hist(struct buf *b, const char *name, const char *labels, struct metrics *const *all,
                 int n, size_t offset)
{
    uint64_t cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (int k = 0; k <= METRICS_NBUCKETS; k++) {
        size_t o = offset + offsetof(struct metrics_hist, bucket) + (size_t)k * sizeof(uint64_t);
        cum += sum_of(all, n, o);
        if (k < METRICS_NBUCKETS)
            buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep, bucket_labels[k],
                       (unsigned long long)cum);
        else
            buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                       (unsigned long long)cum);
    }
    uint64_t sum_us = sum_of(all, n, offset + offsetof(struct metrics_hist, sum_us));
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    buf_printf(b, "%s_sum%s%s%s %.6f\n", name, open, labels, close, (double)sum_us / 1e6);
    buf_printf(b, "%s_count%s%s%s %llu\n", name, open, labels, close, (unsigned long long)cum);
}

void metrics_render(struct buf *b, struct metrics *const *all, int n, const struct metrics_extra *x)
{
    header(b, "lakefront_http_requests_total", "counter",
           "HTTP requests answered, by route template, method and status.");
    for (int r = 0; r < MR_N; r++)
        for (int m = 0; m < MM_N; m++)
            for (int s = 0; s < METRICS_NSTATUS; s++) {
                uint64_t v = requests_of(all, n, r, m, s);
                if (v == 0)
                    continue; /* a series appears with its first request */
                if (s < METRICS_NSTATUS - 1)
                    buf_printf(b,
                               "lakefront_http_requests_total{route=\"%s\",method=\"%s\","
                               "status=\"%u\"} %llu\n",
                               route_names[r], method_names[m], statuses[s],
                               (unsigned long long)v);
                else
                    buf_printf(b,
                               "lakefront_http_requests_total{route=\"%s\",method=\"%s\","
                               "status=\"other\"} %llu\n",
                               route_names[r], method_names[m], (unsigned long long)v);
            }

    header(b, "lakefront_http_request_duration_seconds", "histogram",
           "From the request's first byte read to its response queued, by route template.");
    for (int r = 0; r < MR_N; r++) {
        char labels[96];
        snprintf(labels, sizeof labels, "route=\"%s\"", route_names[r]);
        hist(b, "lakefront_http_request_duration_seconds", labels, all, n,
             offsetof(struct metrics, duration) + (size_t)r * sizeof(struct metrics_hist));
    }
    header(b, "lakefront_queue_wait_seconds", "histogram",
           "Lookups' wait for a database connection, from accepted to sent.");
    hist(b, "lakefront_queue_wait_seconds", "", all, n, offsetof(struct metrics, queue_wait));
    header(b, "lakefront_db_duration_seconds", "histogram",
           "Lookups at the database, from the statement sent to its result read.");
    hist(b, "lakefront_db_duration_seconds", "", all, n, offsetof(struct metrics, db));

    header(b, "lakefront_pool_connections", "gauge", "Database connections, by state.");
    buf_printf(b, "lakefront_pool_connections{state=\"idle\"} %llu\n",
               (unsigned long long)SUM(conns_idle));
    buf_printf(b, "lakefront_pool_connections{state=\"busy\"} %llu\n",
               (unsigned long long)SUM(conns_busy));
    buf_printf(b, "lakefront_pool_connections{state=\"connecting\"} %llu\n",
               (unsigned long long)SUM(conns_connecting));
    header(b, "lakefront_queue_depth", "gauge", "Lookups waiting for a database connection.");
    buf_printf(b, "lakefront_queue_depth %llu\n", (unsigned long long)SUM(queue_depth));
    header(b, "lakefront_db_reconnects_total", "counter",
           "Database connections opened again after one was lost, failed or was recycled.");
    buf_printf(b, "lakefront_db_reconnects_total %llu\n", (unsigned long long)SUM(db_reconnects));
    header(b, "lakefront_db_errors_total", "counter",
           "Errors Postgres answered lookups with, by SQLSTATE class.");
    for (int c = 0; c < METRICS_NCLASSES; c++) {
        uint64_t v = sum_of(all, n, offsetof(struct metrics, db_errors) + (size_t)c * sizeof(uint64_t));
        if (v > 0 || c < METRICS_NCLASSES - 1)
            buf_printf(b, "lakefront_db_errors_total{sqlstate=\"%s\"} %llu\n",
                       c < METRICS_NCLASSES - 1 ? classes[c] : "other", (unsigned long long)v);
    }

    header(b, "lakefront_db_merged_statements_total", "counter",
           "Executions of a table's batch statement that answered single-row lookups "
           "arriving together.");
    buf_printf(b, "lakefront_db_merged_statements_total %llu\n",
               (unsigned long long)SUM(merged_statements));
    header(b, "lakefront_db_merged_lookups_total", "counter",
           "Single-row lookups answered by a merged statement.");
    buf_printf(b, "lakefront_db_merged_lookups_total %llu\n",
               (unsigned long long)SUM(merged_lookups));

    header(b, "lakefront_catalog_tables", "gauge", "Tables served.");
    buf_printf(b, "lakefront_catalog_tables %ld\n", x->catalog_tables < 0 ? 0 : x->catalog_tables);
    header(b, "lakefront_catalog_refresh_timestamp_seconds", "gauge",
           "When the catalog was last loaded (Unix time); 0: never.");
    buf_printf(b, "lakefront_catalog_refresh_timestamp_seconds %.3f\n", x->catalog_refreshed_at);

    /* No sample when the credential does not expire (the static password)
     * or there is none yet: a 0 would read as "expired in 1970" to an
     * alert on time left (expiry - time() < 300), while an absent sample
     * makes such an alert silent, which is what a password that never
     * expires deserves. promtool accepts a family with no sample. */
    header(b, "lakefront_credential_expiry_timestamp_seconds", "gauge",
           "When the database credential in use expires (Unix time); no sample when it "
           "does not expire (a static password) or there is none yet.");
    if (x->credential_expires_at > 0)
        buf_printf(b, "lakefront_credential_expiry_timestamp_seconds %.3f\n",
                   x->credential_expires_at);
    header(b, "lakefront_credential_refresh_total", "counter",
           "Renewals of the database credential since start, by result (always 0 for a "
           "static password).");
    buf_printf(b, "lakefront_credential_refresh_total{result=\"success\"} %llu\n",
               (unsigned long long)x->credential_refresh_ok);
    buf_printf(b, "lakefront_credential_refresh_total{result=\"failure\"} %llu\n",
               (unsigned long long)x->credential_refresh_failed);

    header(b, "lakefront_build_info", "gauge", "The running build; always 1.");
    buf_printf(b, "lakefront_build_info{version=\"%s\"} 1\n", x->version);
    header(b, "process_cpu_seconds_total", "counter", "User and system CPU time.");
    buf_printf(b, "process_cpu_seconds_total %.2f\n", x->cpu_seconds);
    header(b, "process_resident_memory_bytes", "gauge", "Resident memory.");
    buf_printf(b, "process_resident_memory_bytes %.0f\n", x->resident_bytes);
    header(b, "process_open_fds", "gauge", "Open file descriptors.");
    buf_printf(b, "process_open_fds %.0f\n", x->open_fds);
    header(b, "process_start_time_seconds", "gauge", "Start time (Unix time).");
    buf_printf(b, "process_start_time_seconds %.3f\n", x->start_time);
}
