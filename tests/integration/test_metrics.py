"""Prometheus metrics at /metrics and /api/v1/metrics: a real scrape passes
`promtool check metrics` (Debian's prometheus package); after N requests of
a route its counter and its histogram's count rose by exactly N; a key sent
in a request never appears; the gauges show a full queue (lookups held by a
lock) and a Postgres outage; LAKEFRONT_METRICS=off removes both paths.
"""
import re
import shutil
import subprocess
import threading

import lf

ROW = "/api/v1/tables/lf_test.keys_int4/rows/%s"
ROUTE = '/api/v1/tables/{table}/rows/{key}'


def scrape(s, path="/metrics"):
    r = s.get(path)
    if r.status != 200:
        raise AssertionError("GET %s: %r" % (path, r))
    return r


def series(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def value(text, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    return series(text).get("%s{%s}" % (name, want) if labels else name, 0.0)


def test_promtool_accepts_a_real_scrape(t):
    s = t.server()
    for k in (42, 0, "x"):
        s.get(ROW % k)
    s.get("/nope")
    r = scrape(s)
    t.eq(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8", "type")
    promtool = shutil.which("promtool")
    t.true(promtool is not None, "promtool is installed (tests/deps.sh: prometheus)")
    p = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True,
                       text=True, timeout=30)
    t.eq(p.returncode, 0, "promtool check metrics: %s%s" % (p.stdout, p.stderr))
    for family in ("lakefront_http_requests_total", "lakefront_http_request_duration_seconds",
                   "lakefront_queue_wait_seconds", "lakefront_db_duration_seconds",
                   "lakefront_pool_connections", "lakefront_queue_depth",
                   "lakefront_db_reconnects_total", "lakefront_db_errors_total",
                   "lakefront_catalog_tables", "lakefront_catalog_refresh_timestamp_seconds",
                   "process_resident_memory_bytes", "process_cpu_seconds_total",
                   "process_open_fds", "process_start_time_seconds", "lakefront_build_info",
                   "lakefront_credential_expiry_timestamp_seconds",
                   "lakefront_credential_refresh_total"):
        t.true("# TYPE %s " % family in r.body, "family %s present" % family)
    t.eq(scrape(s, "/api/v1/metrics").status, 200, "also under /api/v1")


def test_counters_rise_by_exactly_n(t):
    s = t.server()
    before = scrape(s).body
    n = 37
    c = s.connect()
    for i in range(n):
        t.eq(s.get(ROW % 42, conn=c).status, 200, "request %d" % i)
    for i in range(5):
        t.eq(s.get(ROW % 43, conn=c).status, 404, "miss %d" % i)
    c.close()
    after = scrape(s).body
    ok = dict(name="lakefront_http_requests_total", route=ROUTE, method="GET", status="200")
    t.eq(value(after, **ok) - value(before, **ok), n, "200s counted")
    miss = dict(ok, status="404")
    t.eq(value(after, **miss) - value(before, **miss), 5, "404s counted")
    count = dict(name="lakefront_http_request_duration_seconds_count", route=ROUTE)
    t.eq(value(after, **count) - value(before, **count), n + 5, "histogram count")
    inf = dict(name="lakefront_http_request_duration_seconds_bucket", route=ROUTE, le="+Inf")
    t.eq(value(after, **inf) - value(before, **inf), n + 5, "+Inf bucket")
    t.eq(value(after, "lakefront_db_duration_seconds_count") -
         value(before, "lakefront_db_duration_seconds_count"), n + 5, "db histogram count")
    # Buckets are cumulative.
    b = [(float(m.group(1)) if m.group(1) != "+Inf" else float("inf"), v)
         for k, v in series(after).items()
         for m in [re.match(r'lakefront_db_duration_seconds_bucket\{le="([^"]+)"\}', k)] if m]
    b.sort()
    t.true(all(x[1] <= y[1] for x, y in zip(b, b[1:])), "cumulative buckets")
    t.eq(value(after, "lakefront_catalog_tables"),
         float(len(s.get("/api/v1/tables").json["tables"])), "catalog_tables")


def test_no_key_in_the_scrape(t):
    s = t.server()
    s.get("/api/v1/tables/lf_test.keys_text/rows/zq-secret-key-77")
    s.get("/api/v1/tables/lf_test.keys_int4/rows?k=987654321")
    s.get("/api/v1/tables/gold.nope-zq/rows/1")
    body = scrape(s).body
    for needle in ("zq-secret-key-77", "987654321", "nope-zq", "keys_text", "keys_int4"):
        t.true(needle not in body, "%s not in the scrape" % needle)


def test_gauges_show_a_full_queue(t):
    s = t.server(["--workers", "1", "--pool-size", "1", "--pipeline-depth", "1",
                  "--queue-limit", "3", "--request-timeout-ms", "20000"])
    s.get(ROW % 42)
    lock = lf.Locker("lf_test.keys_int4")
    results = []
    threads = [threading.Thread(target=lambda: results.append(s.get(ROW % 42, timeout=30).status))
               for _ in range(5)]
    try:
        for th in threads:
            th.start()
        # 1 at the database (blocked by the lock), 3 queued, 1 refused.
        lf.wait_for(lambda: value(scrape(s).body, "lakefront_queue_depth") == 3, 20,
                    "three lookups queued")
        body = scrape(s).body
        t.eq(value(body, "lakefront_pool_connections", state="busy"), 1, "one busy connection")
        t.eq(value(body, "lakefront_pool_connections", state="idle"), 0, "none idle")
    finally:
        lock.release()
    for th in threads:
        th.join(30)
    t.eq(sorted(results), [200, 200, 200, 200, 503], "four served, one refused")
    body = scrape(s).body
    t.eq(value(body, "lakefront_queue_depth"), 0, "queue empty again")
    t.eq(value(body, "lakefront_http_requests_total", route=ROUTE, method="GET", status="503"), 1,
         "the 503 counted")


def test_gauges_show_an_outage(t):
    s = t.server(["--pool-size", "2"])
    s.get(ROW % 42)
    before = scrape(s).body
    t.eq(value(before, "lakefront_pool_connections", state="idle"), 2, "both idle")
    lf.pg("stop-only")
    try:
        lf.wait_for(lambda: s.get(ROW % 42).status == 503, 20, "503 while Postgres is down")
        body = scrape(s).body
        t.eq(value(body, "lakefront_pool_connections", state="idle") +
             value(body, "lakefront_pool_connections", state="busy"), 0, "no usable connection")
    finally:
        lf.pg("start-only")
    lf.wait_for(lambda: s.get(ROW % 42).status == 200, 30, "served again")
    after = scrape(s).body
    t.true(value(after, "lakefront_db_reconnects_total") >= 2, "reconnects counted: %s" %
           value(after, "lakefront_db_reconnects_total"))


def test_credential_families_with_the_static_password(t):
    """The password never expires and is never renewed: the expiry family has its HELP and
    TYPE and no sample, and both refresh counters are there at 0. (The Databricks flow's
    values are checked in test_status.py, against the fake workspace.)"""
    s = t.server()
    body = scrape(s).body
    expiry = "lakefront_credential_expiry_timestamp_seconds"
    t.true("# HELP %s " % expiry in body and "# TYPE %s gauge" % expiry in body,
           "expiry family declared")
    t.eq([k for k in series(body) if k.startswith(expiry)], [], "no expiry sample")
    refresh = "lakefront_credential_refresh_total"
    t.true("# TYPE %s counter" % refresh in body, "refresh family declared")
    t.eq({k: v for k, v in series(body).items() if k.startswith(refresh)},
         {refresh + '{result="success"}': 0.0, refresh + '{result="failure"}': 0.0},
         "refresh counters")


def test_off(t):
    s = t.server(["--metrics", "off"])
    for path in ("/metrics", "/api/v1/metrics"):
        r = s.get(path)
        t.error(r, 404, "NOT_FOUND", path)


if __name__ == "__main__":
    lf.main(globals())
