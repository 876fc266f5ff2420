/* status: see status.h. */
#include "status.h"

#include <stdbool.h>
#include <time.h>

#include "jsonw.h"

void status_time(struct buf *b, double t)
{
    if (!(t > 0)) {
        buf_puts(b, "null");
        return;
    }
    time_t s = (time_t)t; /* t > 0: truncation is the floor */
    long ms = (long)((t - (double)s) * 1000.0);
    if (ms > 999)
        ms = 999;
    struct tm tm;
    if (gmtime_r(&s, &tm) == NULL) {
        buf_puts(b, "null");
        return;
    }
    buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

/* s as a JSON string, or null when it is NULL or empty. */
static void str_or_null(struct buf *b, const char *s)
{
    if (s == NULL || s[0] == '\0')
        buf_puts(b, "null");
    else
        jsonw_cstr(b, s);
}

static void u64(struct buf *b, const char *key, uint64_t v, bool comma)
{
    buf_printf(b, "%s\"%s\":%llu", comma ? "," : "", key, (unsigned long long)v);
}

static void credential(struct buf *b, const struct creds_info *c)
{
    buf_puts(b, "{\"source\":");
    jsonw_cstr(b, c->source);
    buf_puts(b, ",\"identity\":");
    str_or_null(b, c->identity);
    buf_puts(b, ",\"target\":");
    str_or_null(b, c->target);
    buf_puts(b, ",\"expires_at\":");
    status_time(b, c->expires_at);
    buf_puts(b, ",\"last_refresh\":");
    if (c->last_refresh_ok < 0) {
        buf_puts(b, "null"); /* never renewed: a static password, or the first is under way */
    } else {
        buf_puts(b, "{\"at\":");
        status_time(b, c->last_refresh_at);
        buf_puts(b, c->last_refresh_ok ? ",\"result\":\"success\"" : ",\"result\":\"failure\"");
        buf_puts(b, ",\"error\":");
        str_or_null(b, c->last_refresh_ok ? NULL : c->last_error);
        buf_putc(b, '}');
    }
    buf_puts(b, ",\"refreshes\":{");
    u64(b, "succeeded", c->refresh_ok, false);
    u64(b, "failed", c->refresh_failed, true);
    buf_puts(b, "}}");
}

void status_render(struct buf *b, const struct status_facts *f)
{
    const struct metrics_summary *m = &f->m;
    double up = f->now - f->start_time;

    buf_reserve(b, 1024);
    buf_puts(b, "{\"version\":");
    jsonw_cstr(b, f->version);
    buf_puts(b, ",\"time\":");
    status_time(b, f->now);
    buf_puts(b, ",\"started_at\":");
    status_time(b, f->start_time);
    buf_printf(b, ",\"uptime_s\":%lld", up > 0 ? (long long)up : 0LL);
    buf_printf(b, ",\"workers\":%d", f->workers);

    buf_printf(b, ",\"pool\":{\"size\":%d", f->pool_size);
    u64(b, "idle", m->conns_idle, true);
    u64(b, "busy", m->conns_busy, true);
    u64(b, "connecting", m->conns_connecting, true);
    u64(b, "reconnects", m->db_reconnects, true);
    buf_putc(b, '}');
    buf_puts(b, ",\"queue\":{");
    u64(b, "depth", m->queue_depth, false);
    buf_printf(b, ",\"limit\":%d}", f->queue_limit);

    buf_puts(b, ",\"credential\":");
    credential(b, f->cred);

    buf_printf(b, ",\"catalog\":{\"loaded\":%s,\"tables\":%ld,\"refreshed_at\":",
               f->catalog_tables >= 0 ? "true" : "false",
               f->catalog_tables >= 0 ? f->catalog_tables : 0L);
    status_time(b, f->catalog_refreshed_at);
    buf_puts(b, ",\"error\":");
    str_or_null(b, f->catalog_error);
    buf_putc(b, '}');

    buf_puts(b, ",\"requests\":{");
    u64(b, "total", m->requests, false);
    u64(b, "client_errors", m->client_errors, true);
    u64(b, "server_errors", m->server_errors, true);
    buf_puts(b, "},\"lookups\":{");
    u64(b, "total", m->lookups, false);
    u64(b, "found", m->found, true);
    u64(b, "not_found", m->not_found, true);
    u64(b, "client_errors", m->lookup_client_errors, true);
    u64(b, "server_errors", m->lookup_server_errors, true);
    buf_puts(b, "}}");
}
