"""dbxtest: what the tests that run lakefront against the fake Databricks workspace
(fake_workspace.py) share: a Postgres role for the identity, the environment of the M2M flow,
a lakefront started with it, its log lines about the credential, and the check that no secret
reached its output. Used by test_oauth.py and test_status.py (standard library only)."""
import atexit
import base64
import json
import shutil
import tempfile
import uuid

import lf
from fake_workspace import FakeWorkspace

# HOME of every lakefront started here: empty, so a real ~/.databrickscfg cannot interfere.
EMPTY_HOME = tempfile.mkdtemp(prefix="lf-oauth-home-")
atexit.register(shutil.rmtree, EMPTY_HOME, True)


def qi(name):
    return '"' + name.replace('"', '""') + '"'


class Role:
    """A LOGIN role with no password (the fake sets it), allowed to read schema gold."""

    def __init__(self, name):
        self.name = name
        lf.psql("CREATE ROLE %s LOGIN; GRANT USAGE ON SCHEMA gold TO %s; "
                "GRANT SELECT ON ALL TABLES IN SCHEMA gold TO %s" % (qi(name), qi(name), qi(name)))

    def drop(self):
        lf.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '%s'"
                % self.name.replace("'", "''"))
        lf.psql("DROP OWNED BY %s; DROP ROLE %s" % (qi(self.name), qi(self.name)))


def pg_only_env(**extra):
    """Where the database is, and nothing about who logs in (lf.Server(pg=False) copies no PG*
    variable): the user and the password must come from the Databricks credential."""
    e = lf.pg_env()
    env = {"PGHOST": e["PGHOST"], "PGPORT": e["PGPORT"], "PGDATABASE": e["PGDATABASE"],
           "HOME": EMPTY_HOME}
    env.update(extra)
    return env


def m2m_env(fw, **extra):
    env = pg_only_env(DATABRICKS_HOST=fw.url, DATABRICKS_CLIENT_ID=fw.client_id,
                      DATABRICKS_CLIENT_SECRET=fw.client_secret, LAKEBASE_ENDPOINT=fw.endpoint)
    env.update(extra)
    return env


def start(t, env, args=(), wait_ready=True):
    return t.server(["--workers", "1", "--pool-size", "2"] + list(args), env=env,
                    wait_ready=wait_ready, pg=False)


def logs(s, msg):
    return [l for l in s.lines if l.get("msg") == msg]


def renewed(s):
    return logs(s, "database credential renewed")


def renewal_failures(s):
    return logs(s, "database credential renewal failed")


def no_secrets(t, fw, servers, extra=()):
    """No issued or presented secret (nor a 16-character piece of one, nor the Basic
    authorization value) in any stdout or stderr line of the servers."""
    text = "\n".join(
        ["\n".join(l["unparsed"] if "unparsed" in l else repr(l) for l in s.lines) +
         "\n" + "\n".join(s.stderr) for s in servers])
    # The values as logged (JSON) and as parsed (repr) both count.
    text += "\n".join(json.dumps(l) for s in servers for l in s.lines)
    found = []
    pool = list(fw.issued) + list(fw.presented) + list(extra) if fw else list(extra)
    if fw:
        pool.append(base64.b64encode(
            ("%s:%s" % (fw.client_id, fw.client_secret)).encode()).decode())
    for secret in pool:
        if not secret or len(secret) < 16:
            continue
        for piece in (secret, secret[:16], secret[-16:]):
            if piece in text:
                found.append(piece[:6] + "...")
    t.eq(found, [], "pieces of secrets found in lakefront's output")
    return len(set(pool))


class Workspace:
    """A FakeWorkspace plus roles, stopped and dropped by close()."""

    def __init__(self, client_id=None, **kw):
        kw.setdefault("psql", lf.psql)
        self.fw = FakeWorkspace(client_id or str(uuid.uuid4()), **kw).start()
        self.roles = []

    def role(self, name):
        r = Role(name)
        self.roles.append(r)
        return r

    def close(self, t):
        for s in t.servers:
            s.kill()
        self.fw.stop()
        for r in self.roles:
            r.drop()
        t.eq(self.fw.errors, [], "errors inside the fake workspace")
