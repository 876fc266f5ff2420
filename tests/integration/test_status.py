"""GET /api/v1/status, and the credential metrics, with the static password and with the
Databricks flow (the fake workspace of fake_workspace.py, helpers from dbxtest.py).

Covered: every member with its type and the values of the settings (version as
`lakefront --version` says, workers, pool size, queue limit); HEAD, 405 and no Cache-Control
but no-store; the lookup counts rising by exactly what was asked; a Postgres outage (200 with
no usable connection, server errors counted, reconnects after); a service whose database is
unreachable from the start (no catalog: loaded false, 0 tables, the reason); no secret in the
body. With the fake workspace: source, identity and target, expires_at and the expiry gauge
equal to what the fake minted, renewals counted in the body and in
lakefront_credential_refresh_total, and a failing credential endpoint shown as a failed last
refresh whose error names the call and holds no secret."""
import datetime
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lf  # noqa: E402
from dbxtest import Workspace, m2m_env, no_secrets, start  # noqa: E402

STATUS = "/api/v1/status"
ROW = "/api/v1/tables/gold.customer_features/rows/%s"
EXPIRY = "lakefront_credential_expiry_timestamp_seconds"
REFRESH = "lakefront_credential_refresh_total"


def status(s):
    r = s.get(STATUS)
    if r.status != 200 or not isinstance(r.json, dict):
        raise AssertionError("GET %s: %r" % (STATUS, r))
    return r


def when(text):
    """An RFC 3339 time of the body as Unix time (None stays None)."""
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def samples(s):
    """{'name{labels}': value} of the scrape's credential samples."""
    out = {}
    for line in s.get("/metrics").body.splitlines():
        if line.startswith(("lakefront_credential_")):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def refreshes(s, result):
    return samples(s).get('%s{result="%s"}' % (REFRESH, result))


def no_secret_in(t, body, secrets, what):
    """No secret (nor a 16-character piece of one) in body."""
    found = [x[:6] + "..." for x in secrets if x and len(x) >= 16
             for piece in (x, x[:16], x[-16:]) if piece in body]
    t.eq(found, [], "pieces of secrets in %s" % what)


def is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


# ---------------------------------------------------------------- the static password

def test_fields_types_and_settings(t):
    s = t.server(["--workers", "2", "--pool-size", "3", "--queue-limit", "77"])
    t.eq(s.get(ROW % 42).status, 200, "a lookup first")
    lf.wait_for(lambda: status(s).json["pool"]["idle"] == 3, 10, "the pool (3) up")
    r = status(s)
    b = r.json
    t.eq(r.headers.get("content-type"), "application/json", "Content-Type")
    t.eq(r.headers.get("cache-control"), "no-store", "Cache-Control")
    t.true(r.headers.get("x-request-id"), "X-Request-Id")
    version = subprocess.run([os.environ["LAKEFRONT_BIN"], "--version"], capture_output=True,
                             text=True, timeout=10).stdout.splitlines()[0].split()[1]
    t.eq(b["version"], version, "version is the binary's")
    t.eq(list(b), ["version", "time", "started_at", "uptime_s", "workers", "pool", "queue",
                   "credential", "catalog", "requests", "lookups"], "members")
    now = time.time()
    t.true(abs(when(b["time"]) - now) < 5, "time is now: %r" % b["time"])
    started = when(b["started_at"])
    t.true(started <= when(b["time"]) and now - started < 60, "started_at %r" % b["started_at"])
    t.true(is_count(b["uptime_s"]) and abs(b["uptime_s"] - (now - started)) <= 2,
           "uptime_s %r" % b["uptime_s"])
    t.eq(b["workers"], 2, "workers")
    t.eq(b["pool"], {"size": 3, "idle": 3, "busy": 0, "connecting": 0, "reconnects": 0}, "pool")
    t.eq(b["queue"], {"depth": 0, "limit": 77}, "queue")
    t.eq(b["credential"], {"source": "password", "identity": None, "target": None,
                           "expires_at": None, "last_refresh": None,
                           "refreshes": {"succeeded": 0, "failed": 0}}, "credential")
    cat = b["catalog"]
    t.eq((cat["loaded"], cat["error"]), (True, None), "catalog loaded")
    t.eq(cat["tables"], len(s.get("/api/v1/tables").json["tables"]), "catalog tables")
    t.true(started - 1 <= when(cat["refreshed_at"]) <= now + 1,
           "catalog refreshed_at %r" % cat["refreshed_at"])
    for group in ("requests", "lookups"):
        t.true(all(is_count(v) for v in b[group].values()), "%s: counts %r" % (group, b[group]))
    t.eq(b["lookups"]["found"], 1, "the lookup counted")
    no_secret_in(t, r.body, [lf.pg_env()["PGPASSWORD"]], "the body")
    t.true(lf.pg_env()["PGPASSWORD"] not in r.body, "PGPASSWORD not in the body")

    h = s.get(STATUS, method="HEAD")
    t.eq((h.status, h.body), (200, ""), "HEAD")
    t.eq(h.headers.get("content-length"), str(len(status(s).body)), "HEAD Content-Length")
    for method in ("POST", "DELETE"):
        e = s.get(STATUS, method=method)
        t.error(e, 405, "METHOD_NOT_ALLOWED", method)
        t.eq(e.headers.get("allow"), "GET, HEAD", method + " Allow")


def test_not_behind_the_metrics_setting(t):
    s = t.server(["--metrics", "off"])
    t.eq(s.get("/metrics").status, 404, "/metrics is off")
    t.eq(status(s).json["credential"]["source"], "password", "status still answers")


def test_lookup_counts_rise_by_exactly_n(t):
    s = t.server()
    before = status(s).json
    c = s.connect()
    n_found, n_missing, n_invalid = 23, 4, 3
    for i in range(n_found):
        t.eq(s.get(ROW % (i + 1), conn=c, method="GET" if i % 2 else "HEAD").status, 200,
             "found %d" % i)
    for i in range(n_missing):
        t.eq(s.get(ROW % (999999990 + i), conn=c).status, 404, "miss %d" % i)
    for i in range(n_invalid):
        t.eq(s.get(ROW % "abc", conn=c).status, 400, "invalid %d" % i)
    # Neither a lookup nor an error: metadata, a preflight-less OPTIONS (405, CORS off) and a
    # POST to a row (405).
    t.eq(s.get("/api/v1/tables", conn=c).status, 200, "tables")
    t.eq(s.get(ROW % 1, conn=c, method="POST").status, 405, "POST to a row")
    c.close()
    n = n_found + n_missing + n_invalid

    def delta():
        after = status(s).json
        return {g: {k: after[g][k] - before[g][k] for k in after[g]}
                for g in ("requests", "lookups")}

    # A request is counted once its response is sent: give a worker that a moment.
    lf.wait_for(lambda: delta()["lookups"]["total"] >= n, 5, "the lookups counted")
    d = delta()
    t.eq(d["lookups"], {"total": n, "found": n_found, "not_found": n_missing,
                        "client_errors": n_invalid, "server_errors": 0}, "lookups")
    # Every request since: the lookups, the metadata, the 405 and the status requests before
    # this one (at least the first).
    t.eq(d["requests"]["client_errors"], n_invalid + 1, "client errors: the 400s and the 405")
    t.eq(d["requests"]["server_errors"], 0, "server errors")
    t.true(d["requests"]["total"] >= n + 3, "requests total %r" % d["requests"])


def test_postgres_outage(t):
    s = t.server(["--pool-size", "2", "--workers", "1"])
    t.eq(s.get(ROW % 42).status, 200, "served")
    before = status(s).json
    t.eq(before["pool"]["idle"], 2, "both idle")
    lf.pg("stop-only")
    try:
        lf.wait_for(lambda: s.get(ROW % 42).status == 503, 20, "503 while Postgres is down")
        r = status(s)
        b = r.json
        t.eq((b["pool"]["idle"], b["pool"]["busy"]), (0, 0), "no usable connection: %r"
             % b["pool"])
        # A refused connection fails within the loop turn that starts it, so between the
        # attempts of the backoff none is on its way: connecting is 0 most of the time here.
        t.true(b["pool"]["connecting"] in (0, 1, 2), "connecting %r" % b["pool"])
        t.true(b["lookups"]["server_errors"] - before["lookups"]["server_errors"] >= 1,
               "lookups' server errors rose: %r" % b["lookups"])
        t.true(b["requests"]["server_errors"] - before["requests"]["server_errors"] >= 1,
               "server errors rose: %r" % b["requests"])
        t.eq(b["catalog"]["loaded"], True, "the catalog loaded before stays")
        t.eq(b["credential"]["source"], "password", "credential")
        t.true(lf.pg_env()["PGPASSWORD"] not in r.body, "PGPASSWORD not in the body")
    finally:
        lf.pg("start-only")
    lf.wait_for(lambda: s.get(ROW % 42).status == 200, 30, "served again")
    lf.wait_for(lambda: status(s).json["pool"]["idle"] == 2, 15, "both idle again")
    after = status(s).json
    t.true(after["pool"]["reconnects"] >= 2, "reconnects counted: %r" % after["pool"])
    t.eq(after["pool"]["connecting"], 0, "none connecting")


def test_database_unreachable_from_the_start(t):
    """No catalog yet and no connection: still 200, and the body says why."""
    s = t.server(["--pool-size", "1", "--workers", "1"], env={"PGPORT": "1"},
                 wait_ready=False)
    lf.wait_for(lambda: status(s).json["catalog"]["error"] is not None, 15,
                "a failed catalog load")
    r = status(s)
    b = r.json
    t.eq((b["catalog"]["loaded"], b["catalog"]["tables"], b["catalog"]["refreshed_at"]),
         (False, 0, None), "no catalog")
    t.true("connect" in b["catalog"]["error"].lower() or "refused" in b["catalog"]["error"],
           "the reason: %r" % b["catalog"]["error"])
    t.eq((b["pool"]["idle"], b["pool"]["busy"]), (0, 0), "no connection")
    t.eq(b["credential"]["source"], "password", "credential")
    t.true(lf.pg_env()["PGPASSWORD"] not in r.body, "PGPASSWORD not in the body")
    t.error(s.get(ROW % 1), 503, "DATABASE_UNAVAILABLE", "a lookup")
    lf.wait_for(lambda: status(s).json["lookups"]["server_errors"] == 1, 5, "the 503 counted")


# ---------------------------------------------------------------- the Databricks flow

def test_databricks_credential(t):
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        s = start(t, m2m_env(fw))
        t.eq(s.get(ROW % 7).status, 200, "a lookup")
        r = status(s)
        c = r.json["credential"]
        minted = fw.credentials
        t.eq(len(minted), 1, "credentials minted")
        t.eq(c["source"], "databricks", "source")
        t.true(fw.client_id in c["identity"] and "service principal" in c["identity"],
               "identity %r" % c["identity"])
        t.eq(c["target"], "endpoint " + fw.endpoint, "target")
        t.true(abs(when(c["expires_at"]) - minted[0]["expires_at"]) < 1,
               "expires_at %r, minted %r" % (c["expires_at"], minted[0]["expires_at"]))
        t.true(when(c["expires_at"]) > time.time() + 3000, "expires in about an hour")
        last = c["last_refresh"]
        t.eq((last["result"], last["error"]), ("success", None), "last refresh")
        t.true(abs(when(last["at"]) - minted[0]["time"]) < 2, "last refresh at %r" % last)
        t.eq(c["refreshes"], {"succeeded": 1, "failed": 0}, "refreshes")
        m = samples(s)
        t.true(abs(m[EXPIRY] - minted[0]["expires_at"]) < 1,
               "expiry gauge %r, minted %r" % (m[EXPIRY], minted[0]["expires_at"]))
        t.eq((m[REFRESH + '{result="success"}'], m[REFRESH + '{result="failure"}']), (1, 0),
             "refresh counters")
        no_secret_in(t, r.body, fw.issued + [fw.client_secret], "the status body")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_databricks_renewals_and_a_failing_endpoint(t):
    # A 4 s credential is renewed at half its lifetime: every 2 s.
    ws = Workspace(db_ttl=4)
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        s = start(t, m2m_env(fw))
        lf.wait_for(lambda: refreshes(s, "success") >= 3, 15, "two renewals after the first")
        # The gauge follows the newest credential (one may be minted between the two reads).
        lf.wait_for(lambda: abs(samples(s)[EXPIRY] - fw.credentials[-1]["expires_at"]) < 1, 5,
                    "the expiry gauge at the newest credential")
        c = status(s).json["credential"]
        t.true(c["refreshes"]["succeeded"] >= 3 and c["refreshes"]["failed"] == 0,
               "refreshes %r" % c["refreshes"])
        t.eq(refreshes(s, "failure"), 0, "no failure yet")

        fw.set_fault("503", endpoints=["postgres_credentials"])
        lf.wait_for(lambda: refreshes(s, "failure") >= 1, 15, "a failed renewal counted")
        r = status(s)
        c = r.json["credential"]
        t.eq(c["last_refresh"]["result"], "failure", "last refresh result")
        err = c["last_refresh"]["error"]
        t.true(err.startswith("database credential: HTTP 503"), "the error names the call: %r"
               % err)
        t.true(c["refreshes"]["failed"] >= 1, "refreshes %r" % c["refreshes"])
        t.true(abs(when(c["last_refresh"]["at"]) - time.time()) < 10, "last refresh at %r"
               % c["last_refresh"])
        no_secret_in(t, r.body, fw.issued + [fw.client_secret], "the status body")
        ok_before = refreshes(s, "success")

        fw.clear_fault()
        # Retried with backoff (1, 2, 4 s... jittered).
        lf.wait_for(lambda: refreshes(s, "success") > ok_before, 20, "a renewal after the fault")
        c = status(s).json["credential"]
        t.eq((c["last_refresh"]["result"], c["last_refresh"]["error"]), ("success", None),
             "last refresh ok again")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


if __name__ == "__main__":
    lf.main(globals())
