"""Lakebase OAuth (issue 3): lakefront against the fake Databricks workspace (fake_workspace.py)
and the real test Postgres, where every database credential the fake mints becomes the password
of the role lakefront logs in as (so a stale credential really cannot log in).

Covered: the Autoscaling and Provisioned credential flows with a service principal, a personal
access token and profiles of a ~/.databrickscfg file; rotation under continuous load with short
lifetimes (no failed lookup, no stampede); the workspace down for 10 s; a wrong client secret;
a refused login (28P01) renewing once; token and credential endpoint faults; settings errors;
and, after every test, that no token or secret reached lakefront's stdout or stderr."""
import calendar
import http.client
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lf  # noqa: E402
from dbxtest import (EMPTY_HOME, Workspace, logs, m2m_env, no_secrets, pg_only_env,  # noqa: E402
                     qi, renewal_failures, renewed, start)
from fake_workspace import FakeWorkspace  # noqa: E402

ROW = "/api/v1/tables/gold.customer_features/rows/%d"
WELL_KNOWN = "/oidc/.well-known/oauth-authorization-server"
TOKEN = "/oidc/v1/token"
PG_CREDENTIALS = "/api/2.0/postgres/credentials"
DB_CREDENTIALS = "/api/2.0/database/credentials"
SCIM_ME = "/api/2.0/preview/scim/v2/Me"


# ---------------------------------------------------------------- helpers

def user_email():
    return "alice.%s@example.com" % secrets.token_hex(4)


def lakefront_users():
    """usename of every lakefront backend in pg_stat_activity."""
    return sorted(set(lf.psql("SELECT usename FROM pg_stat_activity "
                              "WHERE application_name = 'lakefront'").split("\n")) - {""})


def backends():
    return int(lf.psql("SELECT count(*) FROM pg_stat_activity "
                       "WHERE application_name = 'lakefront'"))


def reqs(fw):
    """(method, path, status) of every request the fake saw."""
    return [(m, p, s) for _, m, p, s in fw.requests]


def lookups_ok(t, s, n=20, what="lookup"):
    for k in range(1, n + 1):
        r = s.get(ROW % (k * 4999 % 100000 + 1))
        t.eq(r.status, 200, "%s %d (%r)" % (what, k, r))
        t.eq(r.json.get("customer_id"), k * 4999 % 100000 + 1, what + " row")
    r = s.get(ROW % 999999999)
    t.error(r, 404, "ROW_NOT_FOUND", what + " of a missing row")


def hammer(s, stop, out, n_threads=4, limit_s=120, bad=None):
    """n_threads keep-alive clients doing lookups until stop is set; out gets
    (time, status) per response and (time, "error: ...") per transport failure; bad (a list)
    gets (time, status, body) of every answer other than 200 and 404."""
    bad = [] if bad is None else bad

    def run(i):
        conn = s.connect(timeout=15)
        deadline = time.time() + limit_s
        k = 0
        while not stop.is_set() and time.time() < deadline:
            k += 1
            try:
                r = s.get(ROW % (1 + (i * 7919 + k * 31) % 100000), conn=conn)
                out.append((time.time(), r.status))
                if r.status not in (200, 404):
                    bad.append((time.time(), r.status, r.body[:400]))
            except (OSError, http.client.HTTPException) as e:
                out.append((time.time(), "error: %r" % e))
                bad.append((time.time(), "transport error", repr(e)))
                conn.close()
                conn = s.connect(timeout=15)
        conn.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n_threads)]
    for th in threads:
        th.start()
    return threads


def join(threads):
    for th in threads:
        th.join(30)
        if th.is_alive():
            raise AssertionError("a load thread did not finish")


def describe(s, bad, begin):
    """The failed lookups, each with the log lines of the second around it, for the report."""
    lines = []
    for when, status, body in bad[:5]:
        near = [l for l in s.lines if l.get("msg") != "access" and "ts" in l and
                abs(ts(l["ts"]) - when) < 1.0]
        lines.append("t+%.3fs %s %s; log around it: %s" % (when - begin, status, body, near))
    return lines


def ts(text):
    """A log line's ts ("2026-11-23T02:14:34.613Z") as Unix time."""
    base, frac = text.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + frac)


def longest_gap(out, start, end):
    times = sorted(x[0] for x in out)
    edges = [start] + times + [end]
    return max(b - a for a, b in zip(edges, edges[1:]))


# ---------------------------------------------------------------- the flows

def test_autoscaling_with_a_service_principal(t):
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)  # a service principal's role is its client id (a UUID)
        s = start(t, m2m_env(fw))
        lookups_ok(t, s)
        t.eq(s.get("/readyz").status, 200, "readyz")
        t.eq(reqs(fw), [("GET", WELL_KNOWN, 200), ("POST", TOKEN, 200),
                        ("POST", PG_CREDENTIALS, 200)], "requests to the workspace")
        # The token endpoint answers 200 only to Basic client_id:client_secret with exactly
        # grant_type=client_credentials&scope=all-apis; the credential endpoint only to that
        # bearer token with {"endpoint": ...}. What was presented says which was used where.
        access = fw.issued[1]
        t.eq(fw.presented, [fw.client_secret, access], "Basic secret, then the bearer token")
        t.eq([(c["api"], c["identity"], c["role"]) for c in fw.credentials],
             [("postgres", fw.client_id, fw.client_id)], "credentials minted")
        t.eq(lakefront_users(), [fw.client_id], "usename of lakefront's connections")
        line = renewed(s)
        t.eq(len(line), 1, "'database credential renewed' lines")
        t.eq(line[0]["user"], fw.client_id, "renewed: user")
        t.true(3590 <= line[0]["expires_in_s"] <= 3600, "renewed: expires_in_s %r" % line[0])
        using = logs(s, "using Databricks credentials")
        t.eq(len(using), 1, "'using Databricks credentials' lines")
        t.eq((using[0]["host"], using[0]["endpoint"]), (fw.url, fw.endpoint), "using: host")
        t.true(fw.client_id in using[0]["identity"] and "service principal" in
               using[0]["identity"], "using: identity %r" % using[0])
        t.eq(logs(s, "starting")[0].get("auth"), "databricks", "starting: auth")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_provisioned_with_a_personal_access_token(t):
    user = user_email()
    ws = Workspace(db_ttl=4)
    fw = ws.fw
    try:
        ws.role(user)
        pat = fw.add_pat(user)
        # lf.Server's cluster variables, with PGUSER and PGPASSWORD set but empty: both count
        # as unset, so the user comes from SCIM Me and the password from the credential.
        env = {"HOME": EMPTY_HOME, "PGUSER": "", "PGPASSWORD": "", "DATABRICKS_HOST": fw.url,
               "DATABRICKS_TOKEN": pat, "LAKEBASE_INSTANCE_NAME": "inst1"}
        s = t.server(["--workers", "1", "--pool-size", "2"], env=env)
        lookups_ok(t, s)
        # Renewed at half of the 4 s lifetime: wait for two more credentials.
        lf.wait_for(lambda: fw.counters["database_credentials:200"] >= 3, 15,
                    "two renewals of a 4 s credential")
        lookups_ok(t, s, 5, "lookup after renewals")
        got = reqs(fw)
        t.eq(got[0], ("GET", SCIM_ME, 200), "first request: SCIM Me")
        t.eq(set(got[1:]), {("POST", DB_CREDENTIALS, 200)}, "then database/credentials only")
        c = fw.counters
        t.eq((c["scim_me"], c["well_known"], c["token"], c["postgres_credentials"]),
             (1, 0, 0, 0), "SCIM once, no OAuth, no Autoscaling call")
        # The fake answers 400 to a request_id that is not a UUID4; each must be new.
        t.eq(c["database_credentials:400"], 0, "rejected credential requests")
        t.eq(c["database_credentials:request_id_reused"], 0, "request_id reused")
        t.eq({(cr["api"], cr["identity"], cr["role"]) for cr in fw.credentials},
             {("database", user, user)}, "credentials minted")
        t.eq(set(fw.presented), {pat}, "the PAT is the only credential presented")
        t.eq(lakefront_users(), [user], "usename of lakefront's connections")
        t.true(all(l["user"] == user for l in renewed(s)), "renewed lines name %s" % user)
        t.true("DATABRICKS_TOKEN" in logs(s, "using Databricks credentials")[0]["identity"],
               "using: identity")
        t.eq(logs(s, "using Databricks credentials")[0].get("instance"), "inst1", "instance")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_pguser_overrides_the_client_id(t):
    ws = Workspace()
    fw = ws.fw
    try:
        role = "lf_sp_" + secrets.token_hex(4)
        ws.role(role)
        fw.pg_role_for = lambda who: role if who == fw.client_id else None
        s = start(t, m2m_env(fw, PGUSER=role))
        lookups_ok(t, s, 5)
        t.eq(lakefront_users(), [role], "usename")
        t.eq(renewed(s)[0]["user"], role, "renewed: user")
        t.eq(fw.counters["scim_me"], 0, "no SCIM call")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def write_cfg(text):
    d = tempfile.mkdtemp(prefix="lf-oauth-cfg-")
    with open(os.path.join(d, ".databrickscfg"), "w") as f:
        f.write(text)
    return d


def test_profiles_of_a_config_file(t):
    user = user_email()
    ws = Workspace()
    fw = ws.fw
    pat = fw.add_pat(user)
    cfg_dir = write_cfg(
        "; a comment\n"
        "[DEFAULT]\n"
        "host = %s\n"
        "\n"
        "[sp]\n"
        "client_id = %s\n"
        "client_secret = %s\n"
        "\n"
        "[dev]\n"
        "token = %s\n"
        "\n"
        "[elsewhere]\n"
        "host = http://127.0.0.1:9\n"
        "token = %s\n" % (fw.url, fw.client_id, fw.client_secret, pat, pat))
    cfg = os.path.join(cfg_dir, ".databrickscfg")
    try:
        ws.role(fw.client_id)
        ws.role(user)

        # [sp]: client credentials, host inherited from [DEFAULT], file named by
        # DATABRICKS_CONFIG_FILE.
        s = start(t, pg_only_env(DATABRICKS_CONFIG_FILE=cfg, DATABRICKS_CONFIG_PROFILE="sp",
                                 LAKEBASE_ENDPOINT=fw.endpoint))
        lookups_ok(t, s, 5, "[sp] lookup")
        t.eq(reqs(fw), [("GET", WELL_KNOWN, 200), ("POST", TOKEN, 200),
                        ("POST", PG_CREDENTIALS, 200)], "[sp] requests")
        t.eq(lakefront_users(), [fw.client_id], "[sp] usename")
        ident = logs(s, "using Databricks credentials")[0]["identity"]
        t.true("[sp]" in ident and cfg in ident and "OAuth client credentials" in ident,
               "[sp] identity names the profile and file: %r" % ident)
        t.eq(s.stop(), 0, "[sp] exit code")

        # [dev]: a token, host inherited, the file found as $HOME/.databrickscfg.
        fw.reset_stats()
        s = start(t, pg_only_env(HOME=cfg_dir, DATABRICKS_CONFIG_PROFILE="dev",
                                 LAKEBASE_INSTANCE_NAME="inst1"))
        lookups_ok(t, s, 5, "[dev] lookup")
        t.eq(reqs(fw), [("GET", SCIM_ME, 200), ("POST", DB_CREDENTIALS, 200)], "[dev] requests")
        t.eq(lakefront_users(), [user], "[dev] usename")
        t.eq(s.stop(), 0, "[dev] exit code")

        # A profile's own host wins over [DEFAULT]'s; DATABRICKS_HOST wins over both.
        fw.reset_stats()
        s = start(t, pg_only_env(DATABRICKS_CONFIG_FILE=cfg, DATABRICKS_CONFIG_PROFILE="elsewhere",
                                 DATABRICKS_HOST=fw.url, LAKEBASE_INSTANCE_NAME="inst1"))
        lookups_ok(t, s, 3, "[elsewhere] + DATABRICKS_HOST lookup")
        t.eq(s.stop(), 0, "[elsewhere] exit code")
        s = start(t, pg_only_env(DATABRICKS_CONFIG_FILE=cfg, DATABRICKS_CONFIG_PROFILE="elsewhere",
                                 LAKEBASE_INSTANCE_NAME="inst1"), wait_ready=False)
        line = s.wait_log(lambda l: l.get("msg") == "using Databricks credentials", 10)
        t.eq(line["host"], "http://127.0.0.1:9", "[elsewhere]'s own host")
        s.wait_log(lambda l: l.get("msg") == "database credential renewal failed", 15)
        t.eq(s.stop(), 0, "[elsewhere] exit code")
        no_secrets(t, fw, t.servers)
    finally:
        shutil.rmtree(cfg_dir, True)
        ws.close(t)


def test_profile_without_an_identity(t):
    """No DATABRICKS_CONFIG_PROFILE: [DEFAULT] itself, which has a host but no identity, and
    LAKEFRONT_AUTH=databricks: exit 2, and the message says what is missing (the identity;
    the host is there)."""
    cfg_dir = write_cfg("[DEFAULT]\nhost = https://dbc-1.cloud.databricks.com\n")
    try:
        r = run_lakefront(pg_only_env(HOME=cfg_dir, LAKEFRONT_AUTH="databricks",
                                      LAKEBASE_ENDPOINT="projects/p/branches/b/endpoints/e"))
        t.eq(r.returncode, 2, "exit code (%r)" % r.stderr)
        t.true("missing: identity" in r.stderr, "the message names only the identity as "
               "missing: %r" % r.stderr.strip().split("; ")[-1])
    finally:
        shutil.rmtree(cfg_dir, True)


def test_no_503_once_ready_with_several_workers(t):
    """Lookups sent after /readyz answered 200 succeed, whichever worker takes them. Each
    worker's connections start while there is no credential yet; once one worker has a
    connection up, /readyz says ready while the others are still logging in, and their pool
    must queue the lookup for the connection that is logging in, not refuse it."""
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        bad, total = [], 0
        for attempt in range(12):
            s = start(t, m2m_env(fw), ["--workers", "8", "--pool-size", "8",
                                       "--access-log", "off"], wait_ready=False)
            res, stop = [], threading.Event()

            def run():
                while not stop.is_set():
                    sent = time.time()
                    try:
                        r = s.get(ROW % 7)  # a new HTTP connection each: spread over workers
                    except OSError:
                        continue
                    res.append((sent, r.status, r.body[:300]))
            threads = [threading.Thread(target=run, daemon=True) for _ in range(8)]
            for th in threads:
                th.start()
            s.wait_ready(20)
            ready_at = time.time()
            lf.wait_for(lambda: len([r for r in res if r[0] > ready_at]) >= 300, 20,
                        "lookups after ready")
            stop.set()
            join(threads)
            after = [r for r in res if r[0] > ready_at]
            total += len(after)
            bad += ["start %d, t+%.3fs: %s %s" % (attempt, sent - ready_at, st, body)
                    for sent, st, body in after if st != 200]
            t.eq(s.stop(), 0, "exit code")
        t.eq(bad[:3], [], "lookups sent after /readyz was 200 that failed (%d of %d)"
             % (len(bad), total))
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_host_forms(t):
    """DATABRICKS_HOST with a trailing slash works; without a scheme it means https://."""
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        s = start(t, m2m_env(fw, DATABRICKS_HOST=fw.url + "/"))
        lookups_ok(t, s, 3)
        t.eq(logs(s, "using Databricks credentials")[0]["host"], fw.url, "normalized host")
        t.eq(reqs(fw)[0], ("GET", WELL_KNOWN, 200), "discovery at the host's root")
        t.eq(s.stop(), 0, "exit code")
        # No scheme: https to the fake's plain-http port, which cannot work (and must not
        # fall back to http).
        fw.reset_stats()
        s = start(t, m2m_env(fw, DATABRICKS_HOST=fw.host_port), wait_ready=False)
        t.eq(s.wait_log(lambda l: l.get("msg") == "using Databricks credentials")["host"],
             "https://" + fw.host_port, "a host without scheme")
        f = s.wait_log(lambda l: l.get("msg") == "database credential renewal failed", 15)
        t.true(f["error"].startswith("OIDC discovery: "), "error: %r" % f["error"])
        t.eq(fw.counters["rotations"], 0, "no credential minted")
        t.eq(s.get("/readyz").status, 503, "not ready")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


# ---------------------------------------------------------------- rotation

def test_rotation_under_continuous_load(t):
    db_ttl, ws_ttl, duration = 6, 10, 62
    ws = Workspace(db_ttl=db_ttl, workspace_ttl=ws_ttl)
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        s = start(t, m2m_env(fw), ["--workers", "2", "--pool-size", "4",
                                   "--conn-max-lifetime-s", "2", "--access-log", "off"])
        # Both workers' connections up first (see test_no_503_once_ready_with_several_workers).
        lf.wait_for(lambda: backends() >= 5, 10, "the pool (4) and the catalog connection")
        fw.reset_stats()
        stop, out = threading.Event(), []
        begin = time.time()
        n_renewed = len(renewed(s))
        n_failed_logins = len(logs(s, "database connection failed"))
        bad = []
        threads = hammer(s, stop, out, bad=bad)
        while time.time() - begin < duration:
            time.sleep(0.5)
            t.true(s.proc.poll() is None, "lakefront died under load")
        stop.set()
        join(threads)
        elapsed = time.time() - begin
        c = fw.counters
        rotations, cred_requests, token_requests = (c["rotations"], c["postgres_credentials"],
                                                    c["token"])
        statuses = {}
        for _, st in out:
            statuses[st] = statuses.get(st, 0) + 1
        failed_logins = [l for l in logs(s, "database connection failed")[n_failed_logins:]]
        refused = [l for l in failed_logins if "password authentication failed" in l["error"]]
        expected = elapsed / (db_ttl / 2.0)
        expected_tokens = elapsed / (ws_ttl / 2.0)
        gap = longest_gap(out, begin, begin + elapsed)
        print("rotation under load: %.1f s, %d lookups %s, %d rotations, %d credential "
              "requests (expected about %.1f), %d token requests (expected about %.1f), "
              "%d 'renewed' lines, %d failed logins (%d with 28P01), longest gap between "
              "responses %.2f s" % (elapsed, len(out), statuses, rotations, cred_requests,
                                    expected, token_requests, expected_tokens,
                                    len(renewed(s)) - n_renewed, len(failed_logins),
                                    len(refused), gap), flush=True)
        t.true(elapsed >= 60, "ran %.1f s" % elapsed)
        t.eq(describe(s, bad, begin), [], "lookups other than 200/404 (%r)" % statuses)
        t.true(len(out) > 1000, "lookups ran the whole time (%d)" % len(out))
        t.true(gap < 2.0, "no stall: longest gap between responses %.2f s" % gap)
        t.true(rotations >= 5, "at least 5 rotations (%d)" % rotations)
        t.eq(c["postgres_credentials:200"], cred_requests, "every credential request succeeded")
        t.eq(rotations, cred_requests, "one rotation per credential request")
        t.true(cred_requests <= 1.5 * expected + 2,
               "no stampede: %d credential requests for about %.1f expected"
               % (cred_requests, expected))
        t.true(cred_requests >= 0.75 * expected,
               "renewed at about half the lifetime: %d requests, %.1f expected"
               % (cred_requests, expected))
        t.true(token_requests <= 1.5 * expected_tokens + 2 and
               token_requests >= 0.75 * expected_tokens,
               "workspace token renewals: %d for about %.1f expected"
               % (token_requests, expected_tokens))
        t.eq(c["token:200"], token_requests, "every token request succeeded")
        t.eq(c["well_known"], 0, "no new discovery")
        # The fake counts a request before lakefront logs its line: one may straddle an edge.
        t.true(abs(len(renewed(s)) - n_renewed - cred_requests) <= 1,
               "a 'renewed' line per credential (%d lines, %d requests)"
               % (len(renewed(s)) - n_renewed, cred_requests))
        t.eq(renewal_failures(s), [], "renewal failures")
        t.eq(lakefront_users(), [fw.client_id], "usename")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_refused_login_renews_once(t):
    """A login refused with 28P01 asks for one renewal, however many connections are refused
    with the same credential, including those refused while that renewal is in flight."""
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        s = start(t, m2m_env(fw), ["--pool-size", "4"])
        lookups_ok(t, s, 5)
        lf.wait_for(lambda: backends() >= 5, 10, "the pool (4) and the catalog connection")
        t.eq(fw.counters["postgres_credentials"], 1, "credential requests before")
        # The credential lakefront holds stops working (as after a rotation it did not see),
        # then every connection has to log in again: 28P01 for each, one renewal for all.
        lf.psql("ALTER ROLE %s PASSWORD '%s'" % (qi(fw.client_id), secrets.token_hex(16)))
        cut = time.time()
        lf.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'lakefront'")
        lf.wait_for(lambda: fw.counters["postgres_credentials"] >= 2, 10,
                    "a renewal after 28P01")
        lf.wait_for(lambda: s.get(ROW % 3).status == 200, 15, "lookups after the renewal")
        lf.wait_for(lambda: backends() >= 4, 15, "the pool (4) back")
        t.eq(lakefront_users(), [fw.client_id], "usename")
        lookups_ok(t, s, 10, "lookup after the renewal")
        refused = [l for l in logs(s, "database connection failed")
                   if "password authentication failed" in l["error"]]
        t.true(len(refused) >= 1, "logins refused with 28P01 were logged")
        # Proving that no second renewal comes needs a wait: 2.5 s covers the 1 s limit
        # between 28P01-driven renewals twice over.
        time.sleep(2.5)
        calls = ["t+%.2fs" % (when - cut) for when, _, path, _ in fw.requests
                 if path == PG_CREDENTIALS and when > cut]
        logins = ["t+%.2fs" % (ts(l["ts"]) - cut) for l in refused]
        t.eq(len(calls), 1, "credential requests after the password change (at %s; logins "
             "refused at %s)" % (calls, logins))
        t.eq(len(renewed(s)), 2, "'renewed' lines")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


# ---------------------------------------------------------------- outages and errors

def test_workspace_down_for_10_s(t):
    db_ttl = 6
    ws = Workspace(db_ttl=db_ttl)
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        s = start(t, m2m_env(fw), ["--pool-size", "2", "--conn-max-lifetime-s", "3600",
                                   "--access-log", "off"])
        stop, out, bad = threading.Event(), [], []
        threads = hammer(s, stop, out, bad=bad)
        lf.wait_for(lambda: len(out) > 200, 20, "lookups before the outage")
        pids_before = set(lf.psql("SELECT pid FROM pg_stat_activity "
                                  "WHERE application_name = 'lakefront'").split())
        down_at = time.time()
        n_out = len(out)
        n_fail = len(renewal_failures(s))
        fw.set_down(10)
        ready = []
        while fw.down:
            ready.append(s.get("/readyz").status)
            time.sleep(0.2)
        up_at = time.time()
        during = out[n_out:]
        expired = [c for c in fw.credentials if c["expires_at"] > up_at]
        t.true(up_at - down_at >= 9.5, "down %.1f s" % (up_at - down_at))
        # The last credential minted before the outage has expired by now: a new login
        # with it would fail, so what served was the connections already open.
        t.eq(expired, [], "credentials still valid at the end of the outage")
        t.eq(describe(s, bad, down_at), [], "lookups other than 200/404 (before and during)")
        t.eq({st for _, st in during if st not in (200, 404)}, set(),
             "lookups during the outage other than 200/404")
        t.true(len(during) > 500, "lookups ran during the outage (%d)" % len(during))
        t.true(longest_gap(out, down_at, up_at) < 2.0, "no stall during the outage")
        t.eq(set(ready), {200}, "readyz during the outage (%d probes)" % len(ready))
        fails = renewal_failures(s)[n_fail:]
        t.true(len(fails) >= 2, "renewal failures logged during the outage (%d)" % len(fails))
        t.true(all(f["have_credential"] is True for f in fails), "have_credential: true")
        t.true(all(f["error"].startswith("database credential: ") for f in fails),
               "the failure says which call: %r" % fails[0]["error"])
        # Backoff: 1, 2, 4, 8 s... (jittered) rather than a request per second.
        t.true(len(fails) <= 6, "backoff: %d attempts in 10 s" % len(fails))
        t.eq([f["failures"] for f in fails], list(range(1, len(fails) + 1)), "failures count")

        n_renewed = len(renewed(s))
        # The next attempt comes after the backoff (at most 16 s after 5 failures).
        lf.wait_for(lambda: len(renewed(s)) > n_renewed, 40, "a renewal after the outage")
        renewed_at = time.time()
        stop.set()
        join(threads)
        print("workspace down: %.1f s down, %d lookups during it %s, %d readyz probes %s, "
              "%d failed renewals during it (retry_in_s %s), renewed %.1f s after it came back"
              % (up_at - down_at, len(during), sorted({st for _, st in during}), len(ready),
                 sorted(set(ready)), len(fails), [f["retry_in_s"] for f in fails],
                 renewed_at - up_at), flush=True)
        t.eq({st for _, st in out if st not in (200, 404)}, set(), "lookups other than 200/404")
        t.true(pids_before <= set(lf.psql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'lakefront'").split()),
            "the connections open before the outage were still the ones serving")
        # New connections log in with the new credential: drop lakefront's backends.
        lf.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'lakefront'")
        lf.wait_for(lambda: s.get(ROW % 11).status == 200, 15, "a lookup on a new connection")
        lookups_ok(t, s, 10, "lookup after the outage")
        fresh = lf.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'lakefront' AND extract(epoch FROM backend_start) > %f" % renewed_at)
        t.true(int(fresh) >= 1, "connections opened after the recovery")
        t.true(pids_before.isdisjoint(lf.psql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'lakefront'").split()),
            "every connection is new")
        t.eq(s.get("/readyz").status, 200, "readyz after the outage")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_wrong_client_secret(t):
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        wrong = FakeWorkspace.new_secret()
        s = start(t, m2m_env(fw, DATABRICKS_CLIENT_SECRET=wrong), wait_ready=False)
        s.wait_log(lambda l: l.get("msg") == "database credential renewal failed", 10)
        t.eq(s.get("/healthz").status, 200, "healthz")
        r = s.get("/readyz")
        t.error(r, 503, "NOT_READY", "readyz")
        msg = r.json["message"]
        t.true(msg.startswith("no database credential: ") and "HTTP 401" in msg and
               "invalid_client" in msg, "readyz message: %r" % msg)
        r = s.get(ROW % 1)
        t.error(r, 503, "DATABASE_UNAVAILABLE", "lookup")
        t.eq(r.json["technical_details"].get("error_type"), "oauth_error", "error_type")
        t.true("HTTP 401" in r.json["technical_details"].get("reason", ""),
               "lookup reason: %r" % r.json)
        # Retried with backoff: failures 1, 2, 3, ... each waiting about 1, 2, 4 s (jittered).
        lf.wait_for(lambda: len(renewal_failures(s)) >= 4, 20, "four attempts")
        fails = renewal_failures(s)
        for i, f in enumerate(fails[:4]):
            t.eq(f["failures"], i + 1, "failures")
            d = min(2 ** i, 60)
            t.true(max(1, d // 2) <= f["retry_in_s"] <= d, "retry_in_s %r for attempt %d"
                   % (f["retry_in_s"], i + 1))
            t.true(f["error"].startswith("workspace token: HTTP 401") and
                   "invalid_client" in f["error"], "error: %r" % f["error"])
            t.eq(f["have_credential"], False, "have_credential")
        times = [x[0] for x in fw.requests if x[2] == TOKEN]
        for i in range(1, 4):
            t.true(times[i] - times[i - 1] >= fails[i - 1]["retry_in_s"] - 1.05,
                   "attempt %d came %.2f s after the one before, retry_in_s %d"
                   % (i + 1, times[i] - times[i - 1], fails[i - 1]["retry_in_s"]))
        c = fw.counters
        t.eq((c["well_known"], c["postgres_credentials"], c["rotations"]), (1, 0, 0),
             "one discovery, no credential")
        t.eq(c["token:401"], c["token"], "every token request refused")
        t.eq(s.get("/healthz").status, 200, "healthz after retries")
        t.eq(s.stop(), 0, "exit code")
        t.true(any(l.get("msg") == "stopped" for l in s.lines), "'stopped' line")
        no_secrets(t, fw, t.servers, [wrong])
    finally:
        ws.close(t)


def test_token_endpoint_500_then_recovery(t):
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        fw.set_fault("500", count=2, endpoints=["token"])
        s = start(t, m2m_env(fw), wait_ready=False)
        s.wait_ready(20)
        lookups_ok(t, s, 5)
        c = fw.counters
        t.eq((c["token:fault_500"], c["token:200"], c["postgres_credentials:200"]), (2, 1, 1),
             "token: two 500s then 200; one credential")
        fails = renewal_failures(s)
        t.eq(len(fails), 2, "renewal failures logged")
        for f in fails:
            t.true(f["error"].startswith("workspace token: HTTP 500") and
                   "server_error" in f["error"], "error: %r" % f["error"])
        t.eq(len(renewed(s)), 1, "'renewed' lines")
        t.eq(s.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


def test_malformed_json_and_503_are_retried(t):
    """A truncated JSON body (200) and a 503 from the credential endpoint, then a truncated
    token answer: each logged and retried, no crash, ready afterwards. The log line of each
    failure says which call failed and how (checked last, all at once)."""
    ws = Workspace()
    fw = ws.fw
    try:
        ws.role(fw.client_id)
        fw.set_fault("malformed_json", count=1, endpoints=["postgres_credentials"])
        s = start(t, m2m_env(fw), wait_ready=False)
        lf.wait_for(lambda: fw.counters["postgres_credentials:fault_malformed_json"] == 1, 10,
                    "the malformed answer")
        fw.set_fault("503", count=1, endpoints=["postgres_credentials"])
        s.wait_ready(20)
        lookups_ok(t, s, 5)
        c = fw.counters
        t.eq((c["postgres_credentials:fault_malformed_json"],
              c["postgres_credentials:fault_503"], c["postgres_credentials:200"]), (1, 1, 1),
             "credential answers")
        t.eq(c["token"], 1, "the workspace token was kept")
        fails = renewal_failures(s)
        t.eq([f["failures"] for f in fails], [1, 2], "renewal failures logged")
        t.true(s.proc.poll() is None, "still running")
        t.eq(s.stop(), 0, "exit code")

        fw.reset_stats()
        fw.set_fault("malformed_json", count=1, endpoints=["token"])
        s2 = start(t, m2m_env(fw), wait_ready=False)
        s2.wait_ready(20)
        lookups_ok(t, s2, 5)
        c = fw.counters
        t.eq((c["token:fault_malformed_json"], c["token:200"], c["well_known"]), (1, 1, 1),
             "token answers")
        fails2 = renewal_failures(s2)
        t.eq([f["failures"] for f in fails2], [1], "renewal failures logged")
        t.eq(s2.stop(), 0, "exit code")
        no_secrets(t, fw, t.servers)

        wrong = []
        for f, prefix, also in [(fails[0], "database credential: ", ""),
                                (fails[1], "database credential: HTTP 503",
                                 "TEMPORARILY_UNAVAILABLE"),
                                (fails2[0], "workspace token: ", "")]:
            if not f["error"].startswith(prefix) or also not in f["error"]:
                wrong.append("want %r...%s, got %r" % (prefix, also, f["error"]))
        t.eq(wrong, [], "failure messages that do not say which call failed")
    finally:
        ws.close(t)


# ---------------------------------------------------------------- settings

def run_lakefront(env, args=(), timeout=20):
    """lakefront with exactly env (plus PATH): for settings that stop it at startup."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    e.update(env)
    return subprocess.run([os.environ["LAKEFRONT_BIN"], "--host", "127.0.0.1", "--port", "0"] +
                          list(args), env=e, capture_output=True, text=True, timeout=timeout)


def test_settings_errors_exit_2(t):
    secret = FakeWorkspace.new_secret()
    pat = FakeWorkspace.new_pat()
    cfg_dir = write_cfg("[DEFAULT]\nhost = https://dbc-1.cloud.databricks.com\n"
                        "[dev]\ntoken = %s\n[empty]\nhost = https://x.example.com\n" % pat)
    cfg = os.path.join(cfg_dir, ".databrickscfg")
    ep = "projects/p1/branches/production/endpoints/primary"
    cases = [
        ("LAKEFRONT_AUTH=databricks, no host",
         pg_only_env(LAKEFRONT_AUTH="databricks", DATABRICKS_CLIENT_ID="c",
                     DATABRICKS_CLIENT_SECRET=secret, LAKEBASE_ENDPOINT=ep),
         [], ["missing: host"]),
        ("--auth databricks, nothing else", pg_only_env(), ["--auth", "databricks"],
         ["missing: host identity endpoint"]),
        ("a host and an identity but no endpoint, LAKEFRONT_AUTH=databricks",
         pg_only_env(LAKEFRONT_AUTH="databricks", DATABRICKS_HOST="https://dbc-1.example.com",
                     DATABRICKS_TOKEN=pat), [], ["missing: endpoint"]),
        ("plain http to a non-loopback host",
         pg_only_env(DATABRICKS_HOST="http://example.com", DATABRICKS_CLIENT_ID="c",
                     DATABRICKS_CLIENT_SECRET=secret, LAKEBASE_ENDPOINT=ep),
         [], ["DATABRICKS_HOST", "only for loopback"]),
        ("plain http to 127.0.0.1.example.com",
         pg_only_env(DATABRICKS_HOST="http://127.0.0.1.example.com", DATABRICKS_TOKEN=pat,
                     LAKEBASE_ENDPOINT=ep), [], ["only for loopback"]),
        ("a host with a path",
         pg_only_env(DATABRICKS_HOST="https://dbc-1.example.com/x", DATABRICKS_TOKEN=pat,
                     LAKEBASE_ENDPOINT=ep), [], ["DATABRICKS_HOST"]),
        ("ftp://", pg_only_env(DATABRICKS_HOST="ftp://dbc-1.example.com", DATABRICKS_TOKEN=pat,
                               LAKEBASE_ENDPOINT=ep), [], ["only https://"]),
        ("a profile that does not exist",
         pg_only_env(DATABRICKS_CONFIG_FILE=cfg, DATABRICKS_CONFIG_PROFILE="nope",
                     LAKEBASE_ENDPOINT=ep), [], ["has no profile [nope]"]),
        ("a profile with no identity",
         pg_only_env(DATABRICKS_CONFIG_FILE=cfg, DATABRICKS_CONFIG_PROFILE="empty",
                     LAKEBASE_ENDPOINT=ep), [], ["[empty]", "neither a token"]),
        ("a config file that does not exist",
         pg_only_env(DATABRICKS_CONFIG_FILE=cfg + ".missing", LAKEBASE_ENDPOINT=ep), [],
         ["cannot read the Databricks config file"]),
        ("a bad LAKEFRONT_AUTH", pg_only_env(LAKEFRONT_AUTH="oauth"), [],
         ["LAKEFRONT_AUTH", "password or databricks"]),
    ]
    try:
        for what, env, args, wants in cases:
            r = run_lakefront(env, args)
            t.eq(r.returncode, 2, "%s: exit code (stderr %r)" % (what, r.stderr[-300:]))
            for want in wants:
                t.true(want in r.stderr, "%s: the message says %r: %r" % (what, want, r.stderr))
            for s in (secret, pat):
                t.true(s not in r.stderr + r.stdout and s[:16] not in r.stderr + r.stdout,
                       "%s: a secret is printed" % what)
    finally:
        shutil.rmtree(cfg_dir, True)


def test_auth_choice(t):
    """Unset, LAKEFRONT_AUTH picks Databricks credentials only with a host and a target;
    LAKEFRONT_AUTH=password (or --auth password) keeps the static password regardless."""
    ws = Workspace()
    fw = ws.fw
    try:
        dbx = {"DATABRICKS_HOST": fw.url, "DATABRICKS_CLIENT_ID": fw.client_id,
               "DATABRICKS_CLIENT_SECRET": fw.client_secret, "HOME": EMPTY_HOME}
        for what, env, args in [
                ("a host but no endpoint", dict(dbx), []),
                ("LAKEFRONT_AUTH=password", dict(dbx, LAKEFRONT_AUTH="password",
                                                 LAKEBASE_ENDPOINT=fw.endpoint), []),
                ("--auth password", dict(dbx, LAKEBASE_ENDPOINT=fw.endpoint),
                 ["--auth", "password"]),
                ("an endpoint but no host", {"LAKEBASE_ENDPOINT": fw.endpoint,
                                             "HOME": EMPTY_HOME}, [])]:
            s = t.server(["--workers", "1", "--pool-size", "1"] + args, env=env)
            t.eq(s.get(ROW % 5).status, 200, what + ": lookup with the static password")
            t.eq(logs(s, "starting")[0].get("auth"), "password", what + ": auth")
            t.eq(logs(s, "using Databricks credentials"), [], what + ": no Databricks line")
            t.eq(s.stop(), 0, what + ": exit code")
        t.eq(fw.requests, [], "the workspace was never called")
        no_secrets(t, fw, t.servers)
    finally:
        ws.close(t)


lf.main(globals())
