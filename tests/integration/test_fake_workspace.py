"""The fake Databricks workspace (fake_workspace.py) itself: every endpoint's happy path, every
rejection with its exact status and body shape, the Postgres password rotation (a minted
credential logs in over TCP, the previous one no longer does), expiry, set_down, set_fault,
the observation lists and the standalone script."""
import base64
import datetime
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lf  # noqa: E402
from fake_workspace import FakeWorkspace  # noqa: E402

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CLIENT_BODY = "grant_type=client_credentials&scope=all-apis"
ENDPOINT = "projects/p1/branches/production/endpoints/primary"
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


# ---------------------------------------------------------------- helpers

def call(fw, method, path, body=None, headers=None, timeout=10):
    """One request with urllib; any status comes back as an lf.Response."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(fw.url + path, data=data, method=method,
                                 headers=dict(headers or {}))
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    return lf.Response(status, {k.lower(): v for k, v in hdrs.items()},
                       raw.decode("utf-8", "replace"))


def raw_call(fw, method, path, body=b"", headers=None):
    """http.client, for requests urllib would 'fix' (it adds a form Content-Type)."""
    c = http.client.HTTPConnection("127.0.0.1", fw.port, timeout=10)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return lf.Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                           r.read().decode())
    finally:
        c.close()


def basic(client_id, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (client_id, secret)).encode()).decode()


def token_request(fw, auth=None, body=CLIENT_BODY, ctype=FORM):
    h = {"Authorization": auth or basic(fw.client_id, fw.client_secret)}
    if ctype:
        h["Content-Type"] = ctype
    return call(fw, "POST", "/oidc/v1/token", body, h)


def access_token(fw):
    r = token_request(fw)
    assert r.status == 200, r
    return r.json["access_token"]


def bearer(token, ctype=JSON):
    h = {"Authorization": "Bearer " + token, "Accept": JSON}
    if ctype:
        h["Content-Type"] = ctype
    return h


def pg_cred(fw, token, body=None):
    return call(fw, "POST", "/api/2.0/postgres/credentials",
                {"endpoint": fw.endpoint} if body is None else body, bearer(token))


def db_cred(fw, token, body=None):
    if body is None:
        body = {"instance_names": list(fw.instance_names), "request_id": str(uuid.uuid4())}
    return call(fw, "POST", "/api/2.0/database/credentials", body, bearer(token))


def oauth_err(t, r, status, error, what):
    t.eq(r.status, status, "%s status (%r)" % (what, r))
    t.true(isinstance(r.json, dict), "%s: JSON object body: %r" % (what, r))
    t.eq(sorted(r.json), ["error", "error_description"], what + " body keys")
    t.eq(r.json["error"], error, what + " error")
    t.true(isinstance(r.json["error_description"], str) and r.json["error_description"],
           what + ": error_description")
    t.eq(r.headers.get("content-type"), JSON, what + " Content-Type")


def rest_err(t, r, status, code, what):
    t.eq(r.status, status, "%s status (%r)" % (what, r))
    t.true(isinstance(r.json, dict), "%s: JSON object body: %r" % (what, r))
    t.eq(sorted(r.json), ["error_code", "message"], what + " body keys")
    t.eq(r.json["error_code"], code, what + " error_code")
    t.true(isinstance(r.json["message"], str) and r.json["message"], what + ": message")
    t.eq(r.headers.get("content-type"), JSON, what + " Content-Type")


def parse_z(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def near(t, when_text, seconds, what, slack=5):
    want = time.time() + seconds
    got = parse_z(when_text).timestamp()
    t.true(abs(got - want) <= slack, "%s: %s is not about now+%ss" % (what, when_text, seconds))


def pg_login(role, password):
    """psql over TCP as role with password; True if it logged in and ran select 1."""
    e = lf.pg_env()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGPASSWORD=password, PGCONNECT_TIMEOUT="10", PGSSLMODE="disable")
    out = subprocess.run(
        [os.path.join(e["LF_PG_BINDIR"], "psql"), "-X", "-h", "127.0.0.1", "-p", e["PGPORT"],
         "-U", role, "-d", "lakefront", "-Atc", "select 1"],
        env=env, capture_output=True, text=True, timeout=30)
    if out.returncode == 0:
        assert out.stdout.strip() == "1", out.stdout
        return True
    assert "password authentication failed" in out.stderr, out.stderr
    return False


class Role:
    """A throwaway LOGIN role with a known first password, dropped at the end."""

    def __init__(self, name=None):
        self.name = name or "fw_test_" + secrets.token_hex(4)
        self.password = "first-" + secrets.token_hex(16)
        lf.psql("DROP ROLE IF EXISTS \"%s\"" % self.name)
        lf.psql("CREATE ROLE \"%s\" LOGIN PASSWORD '%s'" % (self.name, self.password))

    def drop(self):
        lf.psql("DROP ROLE IF EXISTS \"%s\"" % self.name)


def fake(**kw):
    kw.setdefault("client_id", str(uuid.uuid4()))
    return FakeWorkspace(**kw).start()


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# ---------------------------------------------------------------- discovery and token

def test_well_known_points_at_the_token_endpoint(t):
    fw = fake()
    try:
        r = call(fw, "GET", "/oidc/.well-known/oauth-authorization-server")
        t.eq(r.status, 200, "status")
        t.eq(r.json["token_endpoint"], fw.url + "/oidc/v1/token", "token_endpoint")
        t.eq(r.json["authorization_endpoint"], fw.url + "/oidc/v1/authorize",
             "authorization_endpoint")
        t.true(fw.url.startswith("http://127.0.0.1:") and fw.host_port == fw.url[7:],
               "url %s and host_port %s" % (fw.url, fw.host_port))
        t.eq(fw.counters["well_known:200"], 1, "counted")
    finally:
        fw.stop()


def test_token_client_credentials_happy_path(t):
    fw = fake(workspace_ttl=1234)
    try:
        seen = set()
        for body in (CLIENT_BODY, "scope=all-apis&grant_type=client_credentials"):
            for ctype in (FORM, FORM + "; charset=utf-8"):
                r = token_request(fw, body=body, ctype=ctype)
                t.eq(r.status, 200, "status for %r %r (%r)" % (body, ctype, r))
                t.eq(sorted(r.json), ["access_token", "expires_in", "scope", "token_type"],
                     "keys")
                t.eq(r.json["token_type"], "Bearer", "token_type")
                t.eq(r.json["expires_in"], 1234, "expires_in")
                t.eq(r.json["scope"], "all-apis", "scope")
                tok = r.json["access_token"]
                t.true(tok.startswith("eyJ") and len(tok) >= 32, "opaque token %r" % tok)
                t.true(tok in fw.issued, "the token is listed in issued")
                t.eq(r.headers.get("cache-control"), "no-store", "Cache-Control")
                seen.add(tok)
        t.eq(len(seen), 4, "every token is new")
        t.eq(fw.counters["token:200"], 4, "token:200")
        t.true(len(fw.client_secret) >= 32 and fw.client_secret in fw.issued,
               "a generated client secret is long and listed")
    finally:
        fw.stop()


def test_token_rejections(t):
    secret = "s3cr+t/with=odd&chars%2F" + secrets.token_hex(16)
    fw = fake(client_secret=secret)
    cid = fw.client_id
    good = basic(cid, secret)
    try:
        # Client authentication: 401 invalid_client with WWW-Authenticate.
        for what, auth in [
                ("wrong secret", basic(cid, secret + "x")),
                ("wrong client id", basic(str(uuid.uuid4()), secret)),
                ("form-encoded secret", basic(cid, urllib.parse.quote_plus(secret))),
                ("bearer instead of basic", "Bearer " + secret),
                ("not base64", "Basic !!!notbase64"),
                ("no colon", "Basic " + base64.b64encode(cid.encode()).decode()),
                ("empty", "Basic ")]:
            r = token_request(fw, auth=auth)
            oauth_err(t, r, 401, "invalid_client", what)
            t.eq(r.json["error_description"], "Client authentication failed", what)
            t.true(r.headers.get("www-authenticate", "").startswith("Basic"),
                   what + ": WWW-Authenticate")
        r = raw_call(fw, "POST", "/oidc/v1/token", CLIENT_BODY.encode(), {"Content-Type": FORM})
        oauth_err(t, r, 401, "invalid_client", "no Authorization")
        # The request itself: 400 invalid_request.
        for what, body in [
                ("client_id in the body", CLIENT_BODY + "&client_id=" + cid),
                ("client_secret in the body",
                 CLIENT_BODY + "&client_secret=" + urllib.parse.quote(secret)),
                ("no scope", "grant_type=client_credentials"),
                ("no grant_type", "scope=all-apis"),
                ("wrong scope", "grant_type=client_credentials&scope=sql"),
                ("wrong grant", "grant_type=password&scope=all-apis"),
                ("repeated grant", CLIENT_BODY + "&grant_type=client_credentials"),
                ("extra field", CLIENT_BODY + "&audience=x"),
                ("empty body", ""),
                ("not a form", "hello")]:
            oauth_err(t, token_request(fw, auth=good, body=body), 400, "invalid_request", what)
        oauth_err(t, token_request(fw, auth=good, body=json.dumps(
            {"grant_type": "client_credentials", "scope": "all-apis"}), ctype=JSON),
            400, "invalid_request", "JSON body")
        r = raw_call(fw, "POST", "/oidc/v1/token", CLIENT_BODY.encode(),
                     {"Authorization": good})
        oauth_err(t, r, 400, "invalid_request", "no Content-Type")
        r = call(fw, "GET", "/oidc/v1/token", headers={"Authorization": good})
        rest_err(t, r, 405, "METHOD_NOT_ALLOWED", "GET on the token endpoint")
        t.eq(r.headers.get("allow"), "POST", "Allow")
        t.eq(fw.counters["token:401"], 8, "token:401")
        t.eq(fw.counters["token:400"], 12, "token:400")
        t.eq(fw.counters["token:200"], 0, "no token issued")
        t.eq(fw.issued, [secret], "issued holds the secret only")
        t.true(secret + "x" in fw.presented, "presented holds the wrong secret")
        t.eq(token_request(fw, auth=good).status, 200, "the raw secret works")
    finally:
        fw.stop()


# ---------------------------------------------------------------- credentials

def test_postgres_credential_rotates_the_role_password(t):
    cid = str(uuid.uuid4())  # a service principal's role is named after its client id
    role = Role(cid)
    fw = fake(client_id=cid, db_ttl=1800, psql=lf.psql)
    try:
        t.true(pg_login(role.name, role.password), "the first password logs in")
        tok = access_token(fw)
        r = pg_cred(fw, tok)
        t.eq(r.status, 200, "status (%r)" % r)
        t.eq(sorted(r.json), ["expire_time", "token"], "keys")
        t.true(RFC3339_Z.fullmatch(r.json["expire_time"]), "RFC 3339 UTC: %r" % r.json)
        near(t, r.json["expire_time"], 1800, "expire_time")
        first = r.json["token"]
        t.true(first.startswith("eyJ") and len(first) >= 32, "opaque token")
        t.true(first in fw.issued, "listed in issued")
        t.true(pg_login(role.name, first), "the credential logs in as %s" % role.name)
        t.true(not pg_login(role.name, role.password), "the old password no longer does")
        until = lf.psql("SELECT extract(epoch FROM rolvaliduntil) FROM pg_roles "
                        "WHERE rolname = '%s'" % cid).strip()
        t.true(abs(float(until) - parse_z(r.json["expire_time"]).timestamp()) < 0.01,
               "VALID UNTIL is the expiry: %s vs %s" % (until, r.json["expire_time"]))
        r = pg_cred(fw, tok, {"endpoint": ENDPOINT})
        t.eq(r.status, 200, "second credential")
        t.true(r.json["token"] != first, "a new token")
        t.true(pg_login(role.name, r.json["token"]), "the new credential logs in")
        t.true(not pg_login(role.name, first), "the previous credential no longer does")
        t.eq(fw.counters["rotations"], 2, "rotations")
        t.eq(fw.counters["postgres_credentials:200"], 2, "postgres_credentials:200")
        creds = fw.credentials
        t.eq([(c["api"], c["identity"], c["role"]) for c in creds],
             [("postgres", cid, cid)] * 2, "credentials log")
        t.eq(creds[-1]["token"], r.json["token"], "credentials log token")
    finally:
        fw.stop()
        role.drop()


def test_database_credential_with_a_pat_and_pg_role_for(t):
    role = Role()
    pat = FakeWorkspace.new_pat()
    fw = fake(pats={pat: "someone@example.com"}, instance_names=["inst1", "inst2"],
              pg_role_for=lambda who: role.name if who == "someone@example.com" else None,
              psql=lf.psql, db_ttl=900)
    try:
        t.true(pat.startswith("dapi") and len(pat) >= 36 and pat in fw.issued, "PAT")
        for what, body in [
                ("all instances, request_id",
                 {"instance_names": ["inst1", "inst2"], "request_id": str(uuid.uuid4())}),
                ("one instance, no request_id", {"instance_names": ["inst2"]}),
                ("request_id first, upper case",
                 {"request_id": str(uuid.uuid4()).upper(), "instance_names": ["inst1"]}),
                ("claims alone", {"instance_names": [], "claims": [
                    {"permission_set": "READ_ONLY",
                     "resources": [{"table_name": "main.gold.users"}]}]}),
                ("claims and an instance", {"instance_names": ["inst1"], "claims": [
                    {"resources": [{"unspecified_resource_name": "x"}]}]})]:
            r = db_cred(fw, pat, body)
            t.eq(r.status, 200, "%s status (%r)" % (what, r))
            t.eq(sorted(r.json), ["expiration_time", "token"], what + " keys")
            t.true(RFC3339_Z.fullmatch(r.json["expiration_time"]), what + " RFC 3339")
            near(t, r.json["expiration_time"], 900, what + " expiration_time")
            t.true(r.json["token"] in fw.issued, what + ": listed in issued")
        t.true(pg_login(role.name, r.json["token"]), "the last credential logs in")
        t.true(not pg_login(role.name, role.password), "the first password no longer does")
        t.eq(fw.counters["rotations"], 5, "rotations")
        t.eq({c["role"] for c in fw.credentials}, {role.name}, "role from pg_role_for")
        t.eq({c["identity"] for c in fw.credentials}, {"someone@example.com"}, "identity")
    finally:
        fw.stop()
        role.drop()


def test_postgres_credential_optional_fields(t):
    fw = fake(db_ttl=3600)
    tok = access_token(fw)
    try:
        in_20_min = (datetime.datetime.now(datetime.timezone.utc) +
                     datetime.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for what, extra, life in [
                ("ttl", {"ttl": "600s"}, 600),
                ("fractional ttl", {"ttl": "900.5s"}, 900),
                ("expire_time", {"expire_time": in_20_min}, 1200),
                ("claims", {"claims": [{"permission_set": "READ_ONLY", "resources": [
                    {"table_name": "main.gold.users"}]}]}, 3600),
                ("group_name", {"group_name": "readers"}, 3600)]:
            body = dict(extra, endpoint=fw.endpoint)
            r = pg_cred(fw, tok, body)
            t.eq(r.status, 200, "%s (%r)" % (what, r))
            near(t, r.json["expire_time"], life, what)
        fw.db_ttl = 5  # the test knob caps what a client asks for
        r = pg_cred(fw, tok, {"endpoint": fw.endpoint, "ttl": "3600s"})
        near(t, r.json["expire_time"], 5, "ttl capped by db_ttl", slack=2)
        t.eq(fw.counters["rotations"], 6, "rotations without psql are still counted")
    finally:
        fw.stop()


def test_scim_me_names_the_caller(t):
    pat = FakeWorkspace.new_pat()
    fw = fake(pats={pat: "someone@example.com"})
    try:
        for who, tok in [(fw.client_id, access_token(fw)), ("someone@example.com", pat)]:
            r = call(fw, "GET", "/api/2.0/preview/scim/v2/Me",
                     headers={"Authorization": "Bearer " + tok})
            t.eq(r.status, 200, "status (%r)" % r)
            t.eq(r.json["userName"], who, "userName")
            t.eq(r.json["active"], True, "active")
            t.true(isinstance(r.json["id"], str) and r.json["id"], "id")
            t.true("urn:ietf:params:scim:schemas:core:2.0:User" in r.json["schemas"],
                   "schemas")
        rest_err(t, call(fw, "GET", "/api/2.0/preview/scim/v2/Me"), 401, "UNAUTHENTICATED",
                 "no bearer")
        rest_err(t, call(fw, "GET", "/api/2.0/preview/scim/v2/Me",
                         headers={"Authorization": "Bearer dapi" + "0" * 32}),
                 401, "UNAUTHENTICATED", "unknown PAT")
        t.eq(fw.counters["scim_me:200"], 2, "scim_me:200")
        t.eq(fw.counters["scim_me:401"], 2, "scim_me:401")
    finally:
        fw.stop()


def test_credential_rejections(t):
    pat = FakeWorkspace.new_pat()
    fw = fake(pats={pat: "nobody@example.com"}, instance_names=["inst1"],
              pg_role_for=lambda who: None if who == "nobody@example.com" else who)
    try:
        tok = access_token(fw)
        revoked = access_token(fw)
        fw.revoke(revoked)
        pg_path, db_path = "/api/2.0/postgres/credentials", "/api/2.0/database/credentials"
        for path, body in [(pg_path, {"endpoint": fw.endpoint}),
                           (db_path, {"instance_names": ["inst1"]})]:
            for what, headers in [
                    ("no Authorization", {"Content-Type": JSON}),
                    ("unknown bearer", bearer(FakeWorkspace.new_token())),
                    ("revoked token", bearer(revoked)),
                    ("client secret as bearer", bearer(fw.client_secret)),
                    ("Basic client auth", {"Authorization": basic(fw.client_id,
                                                                  fw.client_secret),
                                           "Content-Type": JSON}),
                    ("empty bearer", {"Authorization": "Bearer ", "Content-Type": JSON})]:
                rest_err(t, call(fw, "POST", path, body, headers), 401, "UNAUTHENTICATED",
                         "%s %s" % (path, what))
            rest_err(t, call(fw, "POST", path, json.dumps(body), bearer(tok, FORM)),
                     400, "INVALID_PARAMETER_VALUE", path + " form Content-Type")
            rest_err(t, raw_call(fw, "POST", path, json.dumps(body).encode(),
                                 {"Authorization": "Bearer " + tok}),
                     400, "INVALID_PARAMETER_VALUE", path + " no Content-Type")
            for what, raw in [("not JSON", "{endpoint: x}"), ("empty", ""),
                              ("array", "[]"), ("string", '"x"'),
                              ("unknown key", json.dumps(dict(body, workspace="w")))]:
                rest_err(t, call(fw, "POST", path, raw, bearer(tok)),
                         400, "INVALID_PARAMETER_VALUE", "%s %s" % (path, what))
        for what, body in [
                ("no endpoint", {}),
                ("endpoint not a string", {"endpoint": 7}),
                ("endpoint malformed", {"endpoint": "p1/production/primary"}),
                ("endpoint upper case", {"endpoint": "projects/P1/branches/b/endpoints/e"}),
                ("ttl too short", {"endpoint": fw.endpoint, "ttl": "299s"}),
                ("ttl too long", {"endpoint": fw.endpoint, "ttl": "3601s"}),
                ("ttl a number", {"endpoint": fw.endpoint, "ttl": 600}),
                ("ttl and expire_time", {"endpoint": fw.endpoint, "ttl": "600s",
                                         "expire_time": "2030-01-01T00:00:00Z"}),
                ("expire_time far", {"endpoint": fw.endpoint,
                                     "expire_time": "2099-01-01T00:00:00Z"}),
                ("expire_time garbage", {"endpoint": fw.endpoint, "expire_time": "soon"}),
                ("bad claims", {"endpoint": fw.endpoint,
                                "claims": [{"permission_set": "READ_WRITE"}]}),
                ("group_name empty", {"endpoint": fw.endpoint, "group_name": ""})]:
            rest_err(t, pg_cred(fw, tok, body), 400, "INVALID_PARAMETER_VALUE", what)
        rest_err(t, pg_cred(fw, tok, {"endpoint": "projects/p1/branches/production/endpoints/x"}),
                 404, "NOT_FOUND", "unknown endpoint")
        for what, body in [
                ("nothing", {}),
                ("no instance, no claims", {"instance_names": []}),
                ("instance_names a string", {"instance_names": "inst1"}),
                ("instance name empty", {"instance_names": [""]}),
                ("request_id not a uuid", {"instance_names": ["inst1"], "request_id": "r-1"}),
                ("request_id uuid1", {"instance_names": ["inst1"],
                                      "request_id": str(uuid.uuid1())}),
                ("request_id no dashes", {"instance_names": ["inst1"],
                                          "request_id": uuid.uuid4().hex}),
                ("request_id a number", {"instance_names": ["inst1"], "request_id": 4}),
                ("claims not a list", {"claims": {"permission_set": "READ_ONLY"}})]:
            rest_err(t, db_cred(fw, tok, body), 400, "INVALID_PARAMETER_VALUE", what)
        rest_err(t, db_cred(fw, tok, {"instance_names": ["inst1", "inst9"]}),
                 404, "NOT_FOUND", "unknown instance")
        rest_err(t, pg_cred(fw, pat), 403, "PERMISSION_DENIED", "identity without a role")
        rest_err(t, db_cred(fw, pat), 403, "PERMISSION_DENIED", "identity without a role")
        t.eq(fw.counters["rotations"], 0, "nothing was minted")
        t.eq(fw.counters["postgres_credentials:401"], 6, "postgres_credentials:401")
        t.eq(fw.counters["database_credentials:404"], 1, "database_credentials:404")
        t.eq(pg_cred(fw, tok).status, 200, "the right request still works")
    finally:
        fw.stop()


def test_a_failed_rotation_is_a_500_and_hands_out_nothing(t):
    def broken_psql(sql):
        raise AssertionError("psql failed: role does not exist")
    fw = fake(psql=broken_psql)
    try:
        tok = access_token(fw)
        rest_err(t, pg_cred(fw, tok), 500, "INTERNAL_ERROR", "postgres")
        rest_err(t, db_cred(fw, tok), 500, "INTERNAL_ERROR", "database")
        t.eq(fw.issued, [fw.client_secret, tok], "no credential listed as issued")
        t.eq(fw.counters["rotations"], 0, "rotations")
        t.eq(len(fw.errors), 2, "errors recorded: %r" % fw.errors)
        t.true(all("eyJ" not in e for e in fw.errors), "errors hold no token")
        fw.pg_role_for = lambda who: 1 / 0
        rest_err(t, pg_cred(fw, tok), 500, "INTERNAL_ERROR", "a broken pg_role_for")
    finally:
        fw.stop()


def test_unknown_paths_and_wrong_methods(t):
    fw = fake()
    try:
        for method, path in [("GET", "/api/2.0/nope"), ("POST", "/oidc/v1/tokens"),
                             ("GET", "/"), ("POST", "/api/2.0/postgres/credentials/x"),
                             ("DELETE", "/api/2.1/database/credentials")]:
            r = call(fw, method, path, "{}" if method == "POST" else None,
                     {"Content-Type": JSON})
            rest_err(t, r, 404, "ENDPOINT_NOT_FOUND", "%s %s" % (method, path))
        for method, path, allow in [
                ("POST", "/oidc/.well-known/oauth-authorization-server", "GET"),
                ("GET", "/api/2.0/postgres/credentials", "POST"),
                ("PUT", "/api/2.0/database/credentials", "POST"),
                ("DELETE", "/api/2.0/preview/scim/v2/Me", "GET")]:
            r = call(fw, method, path, "{}" if method in ("POST", "PUT") else None,
                     {"Content-Type": JSON})
            rest_err(t, r, 405, "METHOD_NOT_ALLOWED", "%s %s" % (method, path))
            t.eq(r.headers.get("allow"), allow, "Allow for %s" % path)
        t.eq(fw.counters["unknown:404"], 5, "unknown:404")
        t.eq([(m, p, s) for _, m, p, s in fw.requests][:2],
             [("GET", "/api/2.0/nope", 404), ("POST", "/oidc/v1/tokens", 404)], "requests log")
    finally:
        fw.stop()


# ---------------------------------------------------------------- lifetimes

def test_workspace_token_expires(t):
    fw = fake(workspace_ttl=1)
    try:
        r = token_request(fw)
        t.eq(r.json["expires_in"], 1, "expires_in")
        tok = r.json["access_token"]
        t.eq(pg_cred(fw, tok).status, 200, "fresh token works")
        time.sleep(1.5)
        for what, r in [("postgres", pg_cred(fw, tok)), ("database", db_cred(fw, tok)),
                        ("scim", call(fw, "GET", "/api/2.0/preview/scim/v2/Me",
                                      headers={"Authorization": "Bearer " + tok}))]:
            rest_err(t, r, 401, "UNAUTHENTICATED", "expired token on " + what)
            t.true("expired" in r.json["message"].lower(), "the message says expired")
        t.eq(pg_cred(fw, access_token(fw)).status, 200, "a new token works")
    finally:
        fw.stop()


def test_database_credential_expires_in_postgres(t):
    role = Role()
    fw = fake(db_ttl=2, psql=lf.psql, pg_role_for=lambda who: role.name)
    try:
        r = pg_cred(fw, access_token(fw))
        t.eq(r.status, 200, "status")
        near(t, r.json["expire_time"], 2, "expire_time", slack=1)
        t.true(pg_login(role.name, r.json["token"]), "logs in before expiry")
        time.sleep(max(0, parse_z(r.json["expire_time"]).timestamp() - time.time()) + 0.5)
        t.true(not pg_login(role.name, r.json["token"]), "refused after expiry (VALID UNTIL)")
    finally:
        fw.stop()
        role.drop()


def test_concurrent_mints_leave_the_last_one_current(t):
    role = Role()
    fw = fake(psql=lf.psql, pg_role_for=lambda who: role.name)
    try:
        tok = access_token(fw)
        results = []
        threads = [threading.Thread(target=lambda: results.append(pg_cred(fw, tok)))
                   for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        t.eq(sorted(r.status for r in results), [200] * 6, "all minted")
        t.eq(fw.counters["rotations"], 6, "rotations")
        last = fw.credentials[-1]["token"]
        t.true(pg_login(role.name, last), "the last minted credential is the password")
    finally:
        fw.stop()
        role.drop()


# ---------------------------------------------------------------- controls

def test_set_down_refuses_connections_then_reopens_on_the_same_port(t):
    fw = fake()
    try:
        port = fw.port
        keep = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        keep.request("GET", "/oidc/.well-known/oauth-authorization-server")
        t.eq(keep.getresponse().read() != b"", True, "keep-alive connection answered")
        start = time.time()
        fw.set_down(1.5)
        t.true(fw.down, "down")
        t.true(refused(port), "connections are refused while down")
        try:
            keep.request("GET", "/oidc/.well-known/oauth-authorization-server")
            keep.getresponse().read()
            t.true(False, "an open keep-alive connection was not cut")
        except (OSError, http.client.HTTPException):
            pass
        keep.close()
        try:
            token_request(fw)
            t.true(False, "urllib got an answer while down")
        except urllib.error.URLError as e:
            t.true(isinstance(e.reason, ConnectionRefusedError), "refused: %r" % e)
        lf.wait_for(lambda: not fw.down, 5, "the fake to come back")
        t.true(time.time() - start >= 1.4, "down for about 1.5 s")
        t.eq(fw.port, port, "same port")
        t.eq(token_request(fw).status, 200, "answers again")
        fw.set_down(None)
        time.sleep(0.5)
        t.true(fw.down and refused(port), "set_down(None) stays down")
        fw.set_up()
        t.true(not fw.down, "set_up")
        t.eq(token_request(fw).status, 200, "answers after set_up")
        fw.set_down(5)
        fw.set_down(0)
        t.eq(token_request(fw).status, 200, "set_down(0) re-opens at once")
        time.sleep(0.2)
    finally:
        fw.stop()
    t.true(refused(port), "stop closes the port")


def test_set_fault(t):
    fw = fake()
    try:
        tok = access_token(fw)
        fw.set_fault("503", count=2)
        r = token_request(fw)
        oauth_err(t, r, 503, "temporarily_unavailable", "token 503")
        t.eq(r.headers.get("retry-after"), "1", "Retry-After")
        r = pg_cred(fw, tok)
        rest_err(t, r, 503, "TEMPORARILY_UNAVAILABLE", "credential 503")
        t.eq(fw.fault, None, "the fault is used up")
        t.eq(pg_cred(fw, tok).status, 200, "third request works")

        fw.set_fault("500", count=1)
        t.eq(call(fw, "GET", "/api/2.0/preview/scim/v2/Me",
                  headers={"Authorization": "Bearer " + tok}).status, 200, "SCIM not faulted")
        t.eq(call(fw, "GET", "/oidc/.well-known/oauth-authorization-server").status, 200,
             "discovery not faulted")
        rest_err(t, db_cred(fw, tok), 500, "INTERNAL_ERROR", "credential 500")
        fw.set_fault("500", count=1)
        oauth_err(t, token_request(fw), 500, "server_error", "token 500")

        for what, send in [("token", lambda: token_request(fw)),
                           ("postgres", lambda: pg_cred(fw, tok)),
                           ("database", lambda: db_cred(fw, tok))]:
            fw.set_fault("malformed_json", count=1)
            r = send()
            t.eq(r.status, 200, what + " malformed status")
            t.eq(r.headers.get("content-type"), JSON, what + " malformed Content-Type")
            t.true(r.json is None and r.body, what + ": body is not JSON: %r" % r.body)

        rotations = fw.counters["rotations"]
        fw.set_fault("slow", count=1, delay=1.0)
        start = time.time()
        r = pg_cred(fw, tok)
        t.eq(r.status, 200, "slow answer")
        t.true(time.time() - start >= 1.0, "it took the delay")
        fw.set_fault("slow", count=1, delay=1.0)
        try:
            call(fw, "POST", "/api/2.0/postgres/credentials", {"endpoint": fw.endpoint},
                 bearer(tok), timeout=0.3)
            t.true(False, "the client should have timed out")
        except (socket.timeout, urllib.error.URLError):
            pass
        lf.wait_for(lambda: fw.counters["postgres_credentials:slow_abandoned"] == 1, 5,
                    "the abandoned slow request")
        t.eq(fw.counters["rotations"], rotations + 1, "nothing minted for a client that left")

        fw.set_fault("503")
        for _ in range(3):
            t.eq(token_request(fw).status, 503, "count=None lasts")
        t.eq(fw.fault, ("503", None), "fault property")
        fw.clear_fault()
        t.eq(token_request(fw).status, 200, "cleared")
        fw.set_fault("503", endpoints=["scim_me"])
        t.eq(token_request(fw).status, 200, "endpoints= limits the fault")
        fw.set_fault(None)
        for bad in [lambda: fw.set_fault("404"), lambda: fw.set_fault("500", count=0),
                    lambda: fw.set_fault("500", endpoints=["nope"])]:
            try:
                bad()
                t.true(False, "a bad fault was accepted")
            except ValueError:
                pass
        c = fw.counters
        t.eq(c["token:fault_503"], 4, "token:fault_503")
        t.eq(c["postgres_credentials:fault_503"], 1, "postgres_credentials:fault_503")
        t.eq(c["database_credentials:fault_500"], 1, "database_credentials:fault_500")
        t.eq(c["token:fault_malformed_json"], 1, "token:fault_malformed_json")
        t.eq(c["postgres_credentials:slow"], 2, "postgres_credentials:slow")
    finally:
        fw.stop()


def test_observation_lists(t):
    pat = FakeWorkspace.new_pat()
    fw = fake(pats={pat: "dev@example.com"})
    try:
        tok = access_token(fw)
        cred1 = pg_cred(fw, tok).json["token"]
        cred2 = db_cred(fw, pat).json["token"]
        token_request(fw, auth=basic(fw.client_id, "wrong-secret-" + "9" * 24))
        t.eq(fw.issued, [fw.client_secret, pat, tok, cred1, cred2], "issued, in order")
        t.true(all(len(s) >= 32 for s in fw.issued), "every secret is >= 32 chars")
        t.true("wrong-secret-" + "9" * 24 in fw.presented, "presented")
        t.true(fw.client_secret in fw.presented and pat in fw.presented, "presented")
        t.eq([(m, p, s) for _, m, p, s in fw.requests],
             [("POST", "/oidc/v1/token", 200), ("POST", "/api/2.0/postgres/credentials", 200),
              ("POST", "/api/2.0/database/credentials", 200),
              ("POST", "/oidc/v1/token", 401)], "requests")
        t.true(all(isinstance(r[0], float) and abs(r[0] - time.time()) < 30
                   for r in fw.requests), "request times")
        c = fw.counters
        t.eq((c["token"], c["token:200"], c["token:401"], c["postgres_credentials"],
              c["database_credentials:200"], c["rotations"], c["nothing"]),
             (2, 1, 1, 1, 1, 2, 0), "counters")
        db_cred(fw, pat, {"instance_names": ["inst1"], "request_id": "%s" % uuid.UUID(
            int=0x4d2f6b1a_0000_4000_8000_000000000001)})
        db_cred(fw, pat, {"instance_names": ["inst1"], "request_id": "%s" % uuid.UUID(
            int=0x4d2f6b1a_0000_4000_8000_000000000001)})
        t.eq(fw.counters["database_credentials:request_id_reused"], 1, "request_id reuse")
        fw.reset_stats()
        t.eq((len(fw.requests), sum(fw.counters.values()), fw.credentials),
             (0, 0, []), "reset_stats")
        t.eq(len(fw.issued), 7, "issued survives reset_stats")
    finally:
        fw.stop()


def test_standalone_script(t):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_workspace.py")
    secret = FakeWorkspace.new_secret()
    proc = subprocess.Popen(
        [sys.executable, script, "--client-id", "cli-client", "--client-secret", secret,
         "--endpoint", "projects/a/branches/b/endpoints/c", "--port", "0",
         "--pat", "dapi%s=dev@example.com" % ("1" * 32)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        t.true(re.fullmatch(r"http://127\.0\.0\.1:\d+", url), "printed URL %r" % url)

        class Where:
            pass
        fw = Where()
        fw.url = url
        fw.client_id, fw.client_secret = "cli-client", secret
        fw.endpoint = "projects/a/branches/b/endpoints/c"
        tok = access_token(fw)
        t.eq(pg_cred(fw, tok).status, 200, "credential from the standalone fake")
        r = call(fw, "GET", "/api/2.0/preview/scim/v2/Me",
                 headers={"Authorization": "Bearer dapi" + "1" * 32})
        t.eq(r.json["userName"], "dev@example.com", "--pat")
        proc.send_signal(signal.SIGINT)
        t.eq(proc.wait(timeout=10), 0, "exit code after SIGINT")
        t.eq(proc.stderr.read(), "", "stderr")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


lf.main(globals())
