"""`lakefront check`, the preflight: it passes against the test cluster (password flow) and
against the fake Databricks workspace (OAuth flow), and fails at the right step, with the
reason, for each cause: invalid settings, a wrong password, an unreachable database, an unknown
Lakebase endpoint, a wrong client secret, and no table with a primary key in the configured
schemas. After every run: the exit code, that no JSON log line or sanitizer report got into the
report, and that no password, secret, token or minted credential appears in its output."""
import atexit
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lf  # noqa: E402
from fake_workspace import FakeWorkspace  # noqa: E402

STEPS = ["settings", "credential", "connect", "catalog", "lookups"]

# HOME of every check run here: empty, so a real ~/.databrickscfg or ~/.pgpass cannot interfere.
EMPTY_HOME = tempfile.mkdtemp(prefix="lf-check-home-")
atexit.register(shutil.rmtree, EMPTY_HOME, True)


# ---------------------------------------------------------------- helpers

class Report:
    """One run of `lakefront check`: exit code, output, and its step lines parsed."""

    def __init__(self, proc):
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.steps = {}   # name -> (status, text of the line and of its detail lines)
        self.order = []
        last = None
        for line in self.stdout.splitlines():
            m = re.match(r"^(ok|FAIL|skip)\s+(\w+)(?:\s+([\d.]+) ms  (.*))?$", line)
            if m:
                last = m.group(2)
                self.steps[last] = (m.group(1), m.group(4) or "")
                self.order.append(last)
            elif line.startswith("      ") and last is not None:
                status, text = self.steps[last]
                self.steps[last] = (status, text + "\n" + line.strip())
            elif not line.startswith("lakefront check: "):
                raise AssertionError("unexpected line in the report: %r\n%s" % (line, self))

    def status(self, step):
        return self.steps.get(step, (None, ""))[0]

    def text(self, step):
        return self.steps.get(step, (None, ""))[1]

    def details(self, step, prefix):
        """The detail lines of step that start with prefix."""
        return [l for l in self.text(step).split("\n")[1:] if l.startswith(prefix)]

    def __str__(self):
        return "exit %s\n--- stdout\n%s--- stderr\n%s" % (self.code, self.stdout, self.stderr)


def check(env=None, args=(), pg=True):
    """Runs `lakefront check` with the cluster's PG* variables (pg=True) and env on top."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("PG", "LAKEFRONT_", "DATABRICKS_", "LAKEBASE_"))}
    e["HOME"] = EMPTY_HOME
    if pg:
        c = lf.pg_env()
        for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            e[k] = c[k]
    e.update(env or {})
    proc = subprocess.run([os.environ["LAKEFRONT_BIN"], "check"] + list(args), env=e,
                          capture_output=True, text=True, timeout=90)
    return Report(proc)


def clean(t, r, hidden=()):
    """Nothing on stderr (no sanitizer report, no stray message), and no secret anywhere."""
    t.eq(r.stderr, "", "stderr of check\n%s" % r)
    text = r.stdout + r.stderr
    for s in list(hidden) + [lf.pg_env()["PGPASSWORD"]]:
        if s and len(s) >= 8:
            for piece in (s, s[:12], s[-12:]):
                t.true(piece not in text, "a secret (%s...) is in the output\n%s" % (piece[:4], r))


def passes(t, r):
    t.eq(r.code, 0, "exit code\n%s" % r)
    t.eq(r.order, STEPS, "steps\n%s" % r)
    t.true(all(r.status(s) == "ok" for s in STEPS), "every step ok\n%s" % r)
    t.true(r.stdout.splitlines()[-1].startswith("lakefront check: ok"), "final line\n%s" % r)


def fails_at(t, r, step, *reasons):
    """Exit 1, the steps before step ok, step FAIL with every reason in its text, the rest
    skipped, and a final line naming step."""
    t.eq(r.code, 1, "exit code\n%s" % r)
    i = STEPS.index(step)
    t.eq([(s, r.status(s)) for s in STEPS],
         [(s, "ok") for s in STEPS[:i]] + [(step, "FAIL")] + [(s, "skip") for s in STEPS[i + 1:]],
         "step statuses\n%s" % r)
    for reason in reasons:
        t.true(reason in r.text(step), "the %s step says %r\n%s" % (step, reason, r))
    t.true(r.stdout.splitlines()[-1].startswith("lakefront check: FAILED at %s " % step),
           "final line\n%s" % r)


def closed_port():
    """A local port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def qi(name):
    return '"' + name.replace('"', '""') + '"'


class Workspace:
    """A FakeWorkspace whose service principal has a LOGIN role reading schema gold; every
    database credential the fake mints becomes that role's password (as in test_oauth.py)."""

    def __init__(self):
        self.fw = FakeWorkspace(str(uuid.uuid4()), psql=lf.psql).start()
        self.role = self.fw.client_id
        lf.psql("CREATE ROLE %s LOGIN; GRANT USAGE ON SCHEMA gold TO %s; "
                "GRANT SELECT ON ALL TABLES IN SCHEMA gold TO %s" % ((qi(self.role),) * 3))

    def env(self, **extra):
        """Where the database is, and nothing about who logs in: that must come from the
        Databricks credential."""
        c = lf.pg_env()
        e = {"PGHOST": c["PGHOST"], "PGPORT": c["PGPORT"], "PGDATABASE": c["PGDATABASE"],
             "DATABRICKS_HOST": self.fw.url, "DATABRICKS_CLIENT_ID": self.fw.client_id,
             "DATABRICKS_CLIENT_SECRET": self.fw.client_secret,
             "LAKEBASE_ENDPOINT": self.fw.endpoint}
        e.update(extra)
        return e

    def close(self, t):
        self.fw.stop()
        lf.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '%s'"
                % self.role)
        lf.psql("DROP OWNED BY %s; DROP ROLE %s" % (qi(self.role), qi(self.role)))
        t.eq(self.fw.errors, [], "errors inside the fake workspace")


# ---------------------------------------------------------------- passing

def test_passes_against_the_test_cluster(t):
    r = check()
    passes(t, r)
    t.true(r.text("credential").startswith("password: libpq's own login, with PGPASSWORD"),
           "credential line\n%s" % r)
    c = lf.pg_env()
    connect = r.text("connect")
    t.true(connect.startswith("PostgreSQL 15."), "server version\n%s" % r)
    t.true("at %s:%s/%s as %s" % (c["PGHOST"], c["PGPORT"], c["PGDATABASE"], c["PGUSER"])
           in connect, "where and who\n%s" % r)
    t.true(connect.endswith("not encrypted"), "TLS\n%s" % r)
    n = int(re.match(r"(\d+) tables to serve", r.text("catalog")).group(1))
    served = [l.split()[1] for l in r.details("catalog", "serves ")]
    t.eq(len(served), min(n, 20), "tables named\n%s" % r)
    for name in ("gold.customer_features", "gold.daily_store_sales", "gold.products"):
        t.true(name in served, "%s is served\n%s" % (name, r))
    t.true("serves gold.daily_store_sales (key store_id, sale_date;" in r.text("catalog"),
           "composite key named in order\n%s" % r)
    looked = [l.split()[1] for l in r.details("lookups", "lookup ")]
    t.eq(len(looked), n, "one lookup line per table\n%s" % r)
    t.eq(len(set(looked)), n, "each table once")
    t.true(all(re.search(r" [\d.]+ ms  1 row, \d+ columns? encoded \(\d+ bytes\), "
                         r"(batch form|batch and \"= ANY\" forms) the same$", l)
               for l in r.details("lookups", "lookup ")), "lookup lines\n%s" % r)
    # A single integer key is also checked in the "= ANY" form its merged GETs use.
    forms = {l.split()[1]: l for l in r.details("lookups", "lookup ")}
    t.true(forms["gold.customer_features"].endswith('batch and "= ANY" forms the same'),
           "bigint key: both forms\n%s" % r)
    t.true(forms["gold.daily_store_sales"].endswith("batch form the same"),
           "composite key: the batch form\n%s" % r)
    t.eq(r.text("lookups").split("\n")[0], "%d looked up and encoded, 0 empty" % n, "summary")
    # The rows are the user's data: neither a key nor a value is printed.
    email = lf.psql("SELECT email FROM gold.customer_features ORDER BY customer_id LIMIT 1").strip()
    t.true(email and email not in r.stdout, "a row value is not printed")
    clean(t, r)


def test_flags_and_an_empty_table(t):
    """The server's flags work after `check`; an empty table is fine (its statement is
    prepared); the database URL's password is named by where it comes from, never shown."""
    lf.psql("CREATE SCHEMA lf_check_empty; CREATE TABLE lf_check_empty.t (id int PRIMARY KEY, v "
            "text); GRANT USAGE ON SCHEMA lf_check_empty TO lakefront_app; GRANT SELECT ON "
            "lf_check_empty.t TO lakefront_app")
    try:
        c = lf.pg_env()
        url = "postgresql://%s:%s@%s:%s/%s" % (c["PGUSER"], c["PGPASSWORD"], c["PGHOST"],
                                               c["PGPORT"], c["PGDATABASE"])
        r = check({"LAKEFRONT_DATABASE_URL": url, "PGPASSWORD": ""},
                  ["--schemas", "lf_check_empty", "--workers", "1", "--pool-size=3",
                   "--port", "9123"])
        passes(t, r)
        t.eq(r.text("settings"), "listen 0.0.0.0:9123, 1 worker, pool 3, schemas: lf_check_empty",
             "settings line")
        t.eq(r.text("credential"),
             "password: libpq's own login, with the password in LAKEFRONT_DATABASE_URL",
             "credential line")
        t.eq(r.text("catalog"), "1 table to serve\nserves lf_check_empty.t (key id; 2 columns)",
             "catalog")
        t.eq(len(r.details("lookups", "lookup lf_check_empty.t ")), 1, "lookup line\n%s" % r)
        t.true(r.text("lookups").endswith("ms  empty: statements prepared"), "empty\n%s" % r)
        t.true(r.text("lookups").startswith("0 looked up and encoded, 1 empty"), "summary")
        clean(t, r)  # the URL's password is PGPASSWORD, which clean() always looks for
    finally:
        lf.psql("DROP SCHEMA lf_check_empty CASCADE")


def test_help_names_the_subcommand(t):
    for args in (["--help"], ["check", "--help"]):
        out = subprocess.run([os.environ["LAKEFRONT_BIN"]] + args, capture_output=True,
                             text=True, timeout=20)
        t.eq(out.returncode, 0, "exit code of %s" % args)
        t.true("lakefront check [--option=value ...]" in out.stdout, "usage of %s" % args)
        t.true("LAKEFRONT_POOL_SIZE" in out.stdout, "settings listed by %s" % args)


# ---------------------------------------------------------------- failing

def test_invalid_settings_fail_at_settings_with_exit_1(t):
    for env, args, reason in [
            ({"LAKEFRONT_PORT": "abc"}, [], "LAKEFRONT_PORT"),
            ({}, ["--workers", "0"], "--workers: \"0\" is not accepted; expected a whole "
                                     "number from 1 to 256"),
            ({"LAKEFRONT_AUTH": "databricks"}, [], "DATABRICKS_HOST")]:
        r = check(env, args)
        fails_at(t, r, "settings", "invalid settings:", reason)
        clean(t, r)


def test_wrong_password_fails_at_connect(t):
    wrong = "wrong-" + secrets.token_hex(12)
    r = check({"PGPASSWORD": wrong})
    fails_at(t, r, "connect", "password authentication failed for user \"lakefront_app\"")
    clean(t, r, [wrong])


def test_unreachable_database_fails_at_connect(t):
    port = closed_port()
    r = check({"PGPORT": str(port)})
    fails_at(t, r, "connect", "port %d failed: Connection refused" % port)
    clean(t, r)


def test_no_table_with_a_primary_key_fails_at_catalog(t):
    lf.psql("CREATE SCHEMA lf_check_nopk; CREATE TABLE lf_check_nopk.t (id int, v text); "
            "GRANT USAGE ON SCHEMA lf_check_nopk TO lakefront_app; "
            "GRANT SELECT ON lf_check_nopk.t TO lakefront_app")
    try:
        r = check({"LAKEFRONT_SCHEMAS": "lf_check_nopk"})
        fails_at(t, r, "catalog", "no table with a primary key that lakefront_app may read, "
                                  "in schemas: lf_check_nopk")
        clean(t, r)
        # An allowlist that names no served table fails the same way, and says so.
        r = check({"LAKEFRONT_TABLES": "gold.no_such_table"})
        fails_at(t, r, "catalog", "schemas: all; tables: gold.no_such_table")
        clean(t, r)
    finally:
        lf.psql("DROP SCHEMA lf_check_nopk CASCADE")


# ---------------------------------------------------------------- Databricks

def test_databricks_passes(t):
    ws = Workspace()
    fw = ws.fw
    try:
        r = check(ws.env(), pg=False)
        passes(t, r)
        cred = r.text("credential")
        t.true(re.match(r"databricks: a credential for Postgres user %s, expires in "
                        r"(59 min \d+|60 min 0) s\n" % fw.client_id, cred), "summary\n%s" % r)
        t.eq(cred.split("\n")[1:], ["identity: environment (service principal %s)" % fw.client_id,
                                    "workspace: %s" % fw.url, "target: endpoint %s" % fw.endpoint],
             "details")
        t.true(" as %s, not encrypted" % fw.client_id in r.text("connect"), "login\n%s" % r)
        t.true("serves gold.customer_features (key customer_id;" in r.text("catalog"), "catalog")
        t.eq(fw.counters["postgres_credentials:200"], 1, "one credential minted")
        t.true(len(fw.issued) >= 3, "secret, token and credential issued: %d" % len(fw.issued))
        clean(t, r, fw.issued)
    finally:
        ws.close(t)


def test_databricks_unknown_endpoint_fails_at_credential(t):
    ws = Workspace()
    fw = ws.fw
    try:
        other = "projects/p1/branches/production/endpoints/nope"
        r = check(ws.env(LAKEBASE_ENDPOINT=other), pg=False)
        fails_at(t, r, "credential", "database credential: HTTP 404, NOT_FOUND: Endpoint '%s' "
                 "does not exist." % other, "\ntarget: endpoint %s" % other)
        t.eq(fw.counters["postgres_credentials:404"], 1, "the one credential request")
        clean(t, r, fw.issued)
    finally:
        ws.close(t)


def test_databricks_wrong_client_secret_fails_at_credential(t):
    ws = Workspace()
    fw = ws.fw
    try:
        wrong = FakeWorkspace.new_secret()
        r = check(ws.env(DATABRICKS_CLIENT_SECRET=wrong), pg=False)
        fails_at(t, r, "credential", "workspace token: HTTP 401", "invalid_client",
                 "\nidentity: environment (service principal %s)" % fw.client_id)
        t.eq(fw.counters["postgres_credentials"], 0, "no credential requested")
        clean(t, r, list(fw.issued) + [wrong])
    finally:
        ws.close(t)


lf.main(globals())
