"""Settings: --help, --version, bad values (exit 2), where lakefront listens, what a
connection looks like in Postgres, and that no secret reaches a log line."""
import os
import socket
import subprocess

import lf

BIN = os.environ.get("LAKEFRONT_BIN")


def run(args, env=None, timeout=20):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEFRONT_", "DATABRICKS_"))}
    e.update(env or {})
    return subprocess.run([BIN] + args, env=e, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_setting(t):
    r = run(["--help"])
    t.eq(r.returncode, 0, "exit code")
    for name in ["LAKEFRONT_PORT", "LAKEFRONT_HOST", "LAKEFRONT_DATABASE_URL", "LAKEFRONT_SCHEMAS",
                 "LAKEFRONT_TABLES", "LAKEFRONT_CATALOG_REFRESH_S", "LAKEFRONT_WORKERS",
                 "LAKEFRONT_POOL_SIZE", "LAKEFRONT_QUEUE_LIMIT", "LAKEFRONT_REQUEST_TIMEOUT_MS",
                 "LAKEFRONT_ACCESS_LOG", "DATABRICKS_APP_PORT", "--pool-size", "--queue-limit"]:
        t.true(name in r.stdout, "--help mentions %s" % name)


def test_version_names_the_libraries(t):
    r = run(["--version"])
    t.eq(r.returncode, 0, "exit code")
    for lib in ["lakefront 0.1.0", "libmicrohttpd 0.9", "libpq 15", "cJSON 1.", "libcurl 7."]:
        t.true(lib in r.stdout, "--version shows %s: %r" % (lib, r.stdout))


def test_bad_values_stop_startup_with_exit_2(t):
    cases = [
        ({"LAKEFRONT_POOL_SIZE": "0"}, [], "LAKEFRONT_POOL_SIZE", "1 to 4000"),
        ({"LAKEFRONT_PORT": "70000"}, [], "LAKEFRONT_PORT", "0 to 65535"),
        ({"LAKEFRONT_QUEUE_LIMIT": "lots"}, [], "LAKEFRONT_QUEUE_LIMIT", "whole number"),
        ({"LAKEFRONT_ACCESS_LOG": "maybe"}, [], "LAKEFRONT_ACCESS_LOG", "on or off"),
        ({"LAKEFRONT_LOG_LEVEL": "loud"}, [], "LAKEFRONT_LOG_LEVEL", "debug, info"),
        ({"DATABRICKS_APP_PORT": "x"}, [], "DATABRICKS_APP_PORT", "1 to 65535"),
        ({}, ["--request-timeout-ms=5"], "--request-timeout-ms", "10 to 600000"),
        ({}, ["--workers", "-1"], "--workers", "1 to 256"),
        ({}, ["--no-such-option=1"], "--no-such-option", "unknown option"),
        ({}, ["--pool-size"], "--pool-size", "needs a value"),
    ]
    for env, args, name, accepted in cases:
        r = run(args, env)
        t.eq(r.returncode, 2, "exit code for %s %s" % (env, args))
        t.true(name in r.stderr and accepted in r.stderr,
               "the message names %s and says %r: %r" % (name, accepted, r.stderr))


def test_no_secret_in_logs_or_errors(t):
    secret = "s3cret-Pa55word"
    url = "postgresql://nobody:%s@127.0.0.1:1/nowhere" % secret
    r = run(["--pool-size=abc"], {"LAKEFRONT_DATABASE_URL": url})
    t.eq(r.returncode, 2, "exit code")
    t.true(secret not in r.stderr + r.stdout, "the URL's password is not printed")
    # A URL libpq cannot parse: libpq's own message would quote the password.
    for bad in ("postgresql://nobody:%s%%zz@127.0.0.1/db" % secret,
                "host=127.0.0.1 password=%s dbname" % secret,
                "postgresql://nobody:%s@127.0.0.1/db?nosuchoption=1" % secret):
        r = run([], {"LAKEFRONT_DATABASE_URL": bad})
        t.eq(r.returncode, 2, "exit code for %r" % bad.replace(secret, "..."))
        t.true("LAKEFRONT_DATABASE_URL" in r.stderr, "names the setting: %s" % r.stderr)
        t.true(secret not in r.stderr + r.stdout, "the password is not printed")
    # Running against an unreachable database: logs, /readyz and lookups
    # explain the failure without the password.
    s = t.server(["--connect-timeout-ms", "500"], env={"LAKEFRONT_DATABASE_URL": url},
                 wait_ready=False)
    s.wait_log(lambda l: l.get("msg") == "catalog load failed", timeout=20)
    bodies = [s.get("/readyz").body, s.get("/api/v1/tables").body,
              s.get("/api/v1/tables/gold.products/rows/x").body]
    s.stop()
    text = "\n".join(bodies + [str(l) for l in s.lines] + s.stderr)
    t.true(secret not in text, "the password appears nowhere")
    # The real test cluster password, used by every other server here, too.
    pw = lf.pg_env()["PGPASSWORD"]
    s = t.server()
    t.eq(s.get("/api/v1/tables/gold.customer_features/rows/1").status, 200, "a lookup")
    s.stop()
    t.true(pw not in "\n".join(str(l) for l in s.lines) + "\n".join(s.stderr),
           "PGPASSWORD appears in no log line")


def test_database_down_at_start(t):
    s = t.server(["--connect-timeout-ms", "500"], env={"PGPORT": "1"}, wait_ready=False)
    t.eq(s.get("/healthz").status, 200, "healthz")
    r = s.get("/readyz")
    t.error(r, 503, "NOT_READY", "readyz")
    r = s.get("/api/v1/tables/gold.customer_features/rows/1")
    t.error(r, 503, "DATABASE_UNAVAILABLE", "lookup before any catalog")
    t.eq(s.stop(timeout=10), 0, "exit code")


def test_databricks_app_port_wins(t):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    s = t.server(listen=False, env={"DATABRICKS_APP_PORT": str(port), "LAKEFRONT_PORT": "1"})
    line = s.wait_log(lambda l: l.get("msg") == "listening")
    t.eq((line["address"], line["port"]), ("0.0.0.0", port), "listening on")
    t.eq(s.get("/healthz").status, 200, "healthz on the app port")


def test_lakefront_port_zero_picks_a_free_port(t):
    s = t.server(listen=False, env={"LAKEFRONT_PORT": "0", "LAKEFRONT_HOST": "127.0.0.1"})
    t.true(s.port > 0, "a port was logged")
    t.eq(s.get("/healthz").status, 200, "healthz")


def test_connections_as_configured(t):
    s = t.server(["--pool-size", "3", "--workers", "2", "--statement-timeout-ms", "4321"])
    for i in range(10):
        t.eq(s.get("/api/v1/tables/gold.customer_features/rows/%d" % (i + 1)).status, 200, "lookup")
    # The pool's connections (plus the catalog's) are named lakefront.
    lf.wait_for(lambda: lf.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                "application_name = 'lakefront' AND usename = 'lakefront_app'"
                                ).strip() == "4", 10, "3 pool connections and the catalog's")
    s.stop()
    lf.wait_for(lambda: lf.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                "application_name = 'lakefront'").strip() == "0", 10,
                "every connection closed at exit")


def test_database_url_instead_of_pg_variables(t):
    e = lf.pg_env()
    url = "postgresql://%s:%s@%s:%s/%s" % (e["PGUSER"], e["PGPASSWORD"], e["PGHOST"], e["PGPORT"],
                                           e["PGDATABASE"])
    # The PG* variables point nowhere: only the URL can work.
    s = t.server(pg=False, env={"LAKEFRONT_DATABASE_URL": url, "PGHOST": "127.0.0.1",
                                "PGPORT": "1"})
    r = s.get("/api/v1/tables/gold.customer_features/rows/9")
    t.eq((r.status, r.json["customer_id"]), (200, 9), "lookup through the URL")
    s.stop()
    t.true(e["PGPASSWORD"] not in "\n".join(str(l) for l in s.lines), "the URL's password is not logged")


def test_sigint_stops_like_sigterm(t):
    import signal
    s = t.server()
    t.eq(s.get("/api/v1/tables/gold.customer_features/rows/2").status, 200, "a lookup")
    s.signal(signal.SIGINT)
    t.eq(s.proc.wait(timeout=15), 0, "exit code after SIGINT")


def test_access_log_line_and_switch(t):
    s = t.server(env={"LAKEFRONT_ACCESS_LOG": "on"})
    r = s.get("/api/v1/tables/gold.customer_features/rows/5", headers={"X-Request-Id": "abc-123"})
    t.eq(r.status, 200, "lookup")
    line = s.wait_log(lambda l: l.get("msg") == "access" and l.get("request_id") == "abc-123")
    t.eq((line["method"], line["path"], line["status"]),
         ("GET", "/api/v1/tables/gold.customer_features/rows/5", 200), "access line")
    t.true(line["level"] == "info" and line["ts"].endswith("Z") and line["duration_ms"] >= 0,
           "access line fields: %r" % line)
    s.stop()
    s = t.server(env={"LAKEFRONT_ACCESS_LOG": "off"})
    s.get("/api/v1/tables/gold.customer_features/rows/5")
    s.stop()
    t.true(not any(l.get("msg") == "access" for l in s.lines), "no access line when off")


lf.main(globals())
