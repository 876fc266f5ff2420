#!/usr/bin/env python3
"""A fake Databricks workspace for lakefront's Lakebase OAuth tests (standard library only).

It speaks the request and response shapes of ../shared/databricks-facts.md sections 1-3a and
checks every request as strictly as the real workspace would:

  GET  /oidc/.well-known/oauth-authorization-server   OAuth server metadata
  POST /oidc/v1/token                                 client credentials -> workspace token
  POST /api/2.0/postgres/credentials                  Lakebase Autoscaling database credential
  POST /api/2.0/database/credentials                  Lakebase Provisioned database credential
  GET  /api/2.0/preview/scim/v2/Me                    the caller's user name

Every database credential it mints becomes the real Postgres role's password
(ALTER ROLE ... PASSWORD ... VALID UNTIL the expiry) through the psql callable, so a stale
credential really cannot log in. Note the one difference from Lakebase: a role has one
password, so minting a credential invalidates the previous one at once, where Lakebase
keeps every token valid until its own expiry.

Use from a test:

    fw = FakeWorkspace("client-id", FakeWorkspace.new_secret(), psql=lf.psql).start()
    ... DATABRICKS_HOST=fw.url ...
    fw.set_down(10); fw.set_fault("503", count=2); fw.counters["postgres_credentials:200"]
    fw.stop()

Or standalone, for manual checks (serves until SIGINT):

    python3 tests/integration/fake_workspace.py --client-id X --client-secret Y --port 8787
"""

import argparse
import base64
import binascii
import collections
import datetime
import errno
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ENDPOINT = "projects/p1/branches/production/endpoints/primary"

WELL_KNOWN = "/oidc/.well-known/oauth-authorization-server"
TOKEN = "/oidc/v1/token"
PG_CREDENTIALS = "/api/2.0/postgres/credentials"
DB_CREDENTIALS = "/api/2.0/database/credentials"
SCIM_ME = "/api/2.0/preview/scim/v2/Me"

# path -> (endpoint name used in counters, the one method it answers)
ROUTES = {
    WELL_KNOWN: ("well_known", "GET"),
    TOKEN: ("token", "POST"),
    PG_CREDENTIALS: ("postgres_credentials", "POST"),
    DB_CREDENTIALS: ("database_credentials", "POST"),
    SCIM_ME: ("scim_me", "GET"),
}

FAULT_KINDS = ("500", "503", "malformed_json", "slow")
FAULT_ENDPOINTS = ("token", "postgres_credentials", "database_credentials")

MAX_BODY = 1 << 20
PG_TTL_MIN, PG_TTL_MAX = 300, 3600  # seconds, /postgres/credentials ttl and expire_time

_ID = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"  # RFC 1123 label, 1-63 chars
ENDPOINT_RE = re.compile(r"projects/%s/branches/%s/endpoints/%s" % (_ID, _ID, _ID))
UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                      re.IGNORECASE)
DURATION_RE = re.compile(r"(\d{1,12})(?:\.(\d{1,9}))?s")
RFC3339_RE = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:\d\d)")

SCIM_USER_SCHEMAS = ["urn:ietf:params:scim:schemas:core:2.0:User",
                     "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"]


class _Reject(Exception):
    """An answer other than success: status, JSON body, extra headers."""

    def __init__(self, status, body, headers=()):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = list(headers)


def rest_error(status, code, message, headers=()):
    """The Databricks REST error shape."""
    return _Reject(status, {"error_code": code, "message": message}, headers)


def oauth_error(status, error, description, headers=()):
    """The RFC 6749 section 5.2 error shape of the token endpoint."""
    return _Reject(status, {"error": error, "error_description": description}, headers)


def rfc3339(dt, digits=6):
    """UTC timestamp as RFC 3339 with 'Z' and 0, 3, 6 or 9 fractional digits."""
    dt = dt.astimezone(datetime.timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + ("%06d" % dt.microsecond + "000")[:digits]
    return text + "Z"


def parse_rfc3339(text):
    """An aware datetime, or None if text is not an RFC 3339 timestamp."""
    m = RFC3339_RE.fullmatch(text) if isinstance(text, str) else None
    if not m:
        return None
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) in ("Z", "z") else m.group(3)
    try:
        return datetime.datetime.fromisoformat("%s.%s%s" % (m.group(1), frac, zone))
    except ValueError:
        return None


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


def _media_type(value):
    return (value or "").split(";", 1)[0].strip().lower()


def _local_port_floor():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # SO_REUSEADDR: re-open on the same port after set_down
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # a client went away, or set_down cut the connection
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-databricks-workspace/1.0"
    sys_version = ""

    # ------------------------------------------------------------ plumbing

    def setup(self):
        super().setup()
        self.fw = self.server.fw
        self.fw._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.fw._track(self.connection, False)

    def log_message(self, fmt, *args):
        if self.fw.verbose:
            sys.stderr.write("fake-workspace: %s\n" % (fmt % args))

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise rest_error(400, "BAD_REQUEST", "malformed chunked body")
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise rest_error(413, "REQUEST_LIMIT_EXCEEDED", "request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise rest_error(400, "BAD_REQUEST", "bad Content-Length")
        if n < 0 or n > MAX_BODY:
            raise rest_error(413, "REQUEST_LIMIT_EXCEEDED", "request body too large")
        return self.rfile.read(n)

    def _send(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _dispatch(self):
        path = urllib.parse.urlsplit(self.path).path
        endpoint = ROUTES.get(path, ("unknown", None))[0]
        answer = self._answer(path)
        # Counted before the client can see the answer, so a test reading the counters
        # right after its request finds it there.
        self.fw._record(self.command, path, endpoint, answer[0], answer[3])
        if answer[0]:
            self._send(answer[0], answer[1], answer[2])

    def _answer(self, path):
        """(status, body, headers, outcome); status 0: send nothing, close."""
        endpoint, method = ROUTES.get(path, ("unknown", None))
        try:
            try:
                self.body = self._read_body()
            except _Reject:
                self.close_connection = True
                raise
            if method is None:
                raise rest_error(404, "ENDPOINT_NOT_FOUND",
                                 "No API found for '%s %s'" % (self.command, path))
            if self.command != method:
                raise rest_error(405, "METHOD_NOT_ALLOWED",
                                 "%s is not allowed on %s; use %s" % (self.command, path, method),
                                 [("Allow", method)])
            fault, delay, wake = self.fw._take_fault(endpoint)
            if fault == "slow":
                self.fw._count(endpoint + ":slow")
                if wake.wait(delay) or self._peer_closed():
                    # Down, stopped, or the client gave up: mint nothing it cannot see.
                    self.close_connection = True
                    return 0, None, (), "slow_abandoned"
                fault = None
            if fault is not None:
                return self._fault(endpoint, fault)
            status, body, *headers = getattr(self, "_" + endpoint)()
            return status, body, headers[0] if headers else (), str(status)
        except _Reject as r:
            return r.status, r.body, r.headers, str(r.status)
        except Exception as e:  # noqa: BLE001 - a bug here, or in a test's callable
            self.fw.errors.append("%s %s: %r" % (self.command, path, e))
            self.close_connection = True
            return 500, {"error_code": "INTERNAL_ERROR",
                         "message": "fake workspace: %r" % e}, (), "500"

    def _peer_closed(self):
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _fault(self, endpoint, kind):
        oauth = endpoint == "token"
        if kind == "malformed_json":
            body = b'{"access_token": "' if oauth else b'{"token": "'
            return 200, body, (), "fault_malformed_json"
        if kind == "500":
            r = (oauth_error(500, "server_error", "injected internal error") if oauth else
                 rest_error(500, "INTERNAL_ERROR", "injected internal error"))
        else:
            r = (oauth_error(503, "temporarily_unavailable", "injected outage",
                             [("Retry-After", "1")]) if oauth else
                 rest_error(503, "TEMPORARILY_UNAVAILABLE", "injected outage",
                            [("Retry-After", "1")]))
        return r.status, r.body, r.headers, "fault_" + kind

    # ------------------------------------------------------------ endpoints

    def _well_known(self):
        base = self.fw.url
        return 200, {
            "issuer": base + "/oidc",
            "authorization_endpoint": base + "/oidc/v1/authorize",
            "token_endpoint": base + TOKEN,
            "jwks_uri": base + "/oidc/jwks.json",
            "response_types_supported": ["code", "id_token"],
            "grant_types_supported": ["client_credentials", "authorization_code",
                                      "refresh_token"],
            "scopes_supported": ["all-apis", "offline_access", "openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _token(self):
        fw = self.fw
        unauthorized = oauth_error(401, "invalid_client", "Client authentication failed",
                                   [("WWW-Authenticate", 'Basic realm="oidc"')])
        values = self.headers.get_all("Authorization") or []
        if len(values) != 1:
            raise unauthorized
        scheme, _, cred = values[0].strip().partition(" ")
        if scheme.lower() != "basic":
            fw._presented(cred.strip())
            raise unauthorized
        try:
            raw = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise unauthorized
        client_id, sep, client_secret = raw.partition(":")
        fw._presented(client_secret)
        if not sep or client_id != fw.client_id or not hmac.compare_digest(
                client_secret.encode(), fw.client_secret.encode()):
            raise unauthorized
        if _media_type(self.headers.get("Content-Type")) != "application/x-www-form-urlencoded":
            raise oauth_error(400, "invalid_request",
                              "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = urllib.parse.parse_qs(self.body.decode("utf-8"), keep_blank_values=True,
                                         strict_parsing=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise oauth_error(400, "invalid_request", "malformed form body")
        for key in ("client_id", "client_secret", "client_assertion"):
            if key in form:
                raise oauth_error(400, "invalid_request",
                                  "%s must not be sent in the body with client_secret_basic"
                                  % key)
        if set(form) != {"grant_type", "scope"}:
            raise oauth_error(400, "invalid_request",
                              "the body must hold exactly grant_type and scope, got %s"
                              % sorted(form))
        for key, vals in form.items():
            if len(vals) != 1:
                raise oauth_error(400, "invalid_request", "%s is repeated" % key)
        if form["grant_type"][0] != "client_credentials":
            raise oauth_error(400, "invalid_request",
                              "unsupported grant_type %r" % form["grant_type"][0])
        if form["scope"][0] != "all-apis":
            raise oauth_error(400, "invalid_request", "invalid scope %r" % form["scope"][0])
        ttl = fw.workspace_ttl
        token = fw._mint_access_token(fw.client_id, ttl)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl,
                     "scope": "all-apis"}, [("Cache-Control", "no-store"),
                                            ("Pragma", "no-cache")]

    def _identity(self):
        """The user name behind a live bearer token, else 401."""
        fw = self.fw
        values = self.headers.get_all("Authorization") or []
        if not values:
            raise rest_error(401, "UNAUTHENTICATED",
                             "Credential was not sent or was of an unsupported type for this "
                             "API.")
        scheme, _, token = values[0].strip().partition(" ")
        token = token.strip()
        if len(values) != 1 or scheme.lower() != "bearer" or not token:
            fw._presented(token)
            raise rest_error(401, "UNAUTHENTICATED",
                             "Credential was not sent or was of an unsupported type for this "
                             "API.")
        fw._presented(token)
        identity, why = fw._lookup(token)
        if identity is None:
            raise rest_error(401, "UNAUTHENTICATED", why)
        return identity

    def _json_body(self, allowed):
        if _media_type(self.headers.get("Content-Type")) != "application/json":
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "Content-Type must be application/json")
        try:
            body = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise rest_error(400, "INVALID_PARAMETER_VALUE", "Request body is not valid JSON")
        if not isinstance(body, dict):
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "Request body must be a JSON object")
        extra = sorted(set(body) - set(allowed))
        if extra:
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "Unknown field(s) %s; allowed: %s" % (extra, sorted(allowed)))
        return body

    @staticmethod
    def _check_claims(claims):
        bad = rest_error(400, "INVALID_PARAMETER_VALUE",
                         "claims must be a list of {permission_set, resources: "
                         "[{table_name} | {unspecified_resource_name}]}")
        if not isinstance(claims, list):
            raise bad
        for claim in claims:
            if not isinstance(claim, dict) or set(claim) - {"permission_set", "resources"}:
                raise bad
            if claim.get("permission_set", "PERMISSION_SET_UNSPECIFIED") not in (
                    "READ_ONLY", "PERMISSION_SET_UNSPECIFIED"):
                raise bad
            resources = claim.get("resources", [])
            if not isinstance(resources, list):
                raise bad
            for res in resources:
                if (not isinstance(res, dict) or len(res) != 1 or
                        set(res) - {"table_name", "unspecified_resource_name"} or
                        not isinstance(next(iter(res.values())), str)):
                    raise bad

    def _postgres_credentials(self):
        identity = self._identity()
        body = self._json_body(("endpoint", "claims", "ttl", "expire_time", "group_name"))
        endpoint = body.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise rest_error(400, "INVALID_PARAMETER_VALUE", "endpoint is required")
        if not ENDPOINT_RE.fullmatch(endpoint):
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "endpoint must look like "
                             "projects/{project_id}/branches/{branch_id}/endpoints/{endpoint_id}"
                             ", got %r" % endpoint)
        if "claims" in body:
            self._check_claims(body["claims"])
        if "group_name" in body and (not isinstance(body["group_name"], str) or
                                     not body["group_name"]):
            raise rest_error(400, "INVALID_PARAMETER_VALUE", "group_name must be a string")
        if "ttl" in body and "expire_time" in body:
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "only one of ttl and expire_time may be given")
        lifetime = None
        if "ttl" in body:
            m = DURATION_RE.fullmatch(body["ttl"]) if isinstance(body["ttl"], str) else None
            if not m:
                raise rest_error(400, "INVALID_PARAMETER_VALUE",
                                 "ttl must be a duration string such as \"3600s\"")
            lifetime = int(m.group(1)) + float("0." + (m.group(2) or "0"))
            if not PG_TTL_MIN <= lifetime <= PG_TTL_MAX:
                raise rest_error(400, "INVALID_PARAMETER_VALUE",
                                 "ttl must be at least 300 seconds and at most 3600 seconds")
        if "expire_time" in body:
            when = parse_rfc3339(body["expire_time"])
            if when is None:
                raise rest_error(400, "INVALID_PARAMETER_VALUE",
                                 "expire_time must be an RFC 3339 timestamp")
            lifetime = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            if not PG_TTL_MIN - 5 <= lifetime <= PG_TTL_MAX + 5:
                raise rest_error(400, "INVALID_PARAMETER_VALUE",
                                 "expire_time must be 5 minutes to 1 hour from now")
        if endpoint != self.fw.endpoint:
            raise rest_error(404, "NOT_FOUND", "Endpoint '%s' does not exist." % endpoint)
        token, expiry = self.fw._mint_db_credential("postgres", identity, lifetime)
        return 200, {"token": token, "expire_time": rfc3339(expiry, self.fw.time_digits)}

    def _database_credentials(self):
        identity = self._identity()
        body = self._json_body(("instance_names", "request_id", "claims"))
        names = body.get("instance_names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "instance_names must be a list of instance names")
        if "request_id" in body:
            rid = body["request_id"]
            if not isinstance(rid, str) or not UUID4_RE.fullmatch(rid):
                raise rest_error(400, "INVALID_PARAMETER_VALUE",
                                 "request_id must be a UUID4 string, got %r" % (rid,))
            self.fw._note_request_id(rid.lower())
        claims = body.get("claims")
        if claims is not None:
            self._check_claims(claims)
        if not names and not claims:
            raise rest_error(400, "INVALID_PARAMETER_VALUE",
                             "At least one of instance_names or claims must be specified")
        for name in names:
            if name not in self.fw.instance_names:
                raise rest_error(404, "NOT_FOUND",
                                 "Database instance '%s' does not exist." % name)
        token, expiry = self.fw._mint_db_credential("database", identity, None)
        return 200, {"token": token, "expiration_time": rfc3339(expiry, self.fw.time_digits)}

    def _scim_me(self):
        name = self._identity()
        user = {
            "schemas": SCIM_USER_SCHEMAS,
            "id": str(int(hashlib.sha256(name.encode()).hexdigest()[:13], 16)),
            "userName": name,
            "displayName": name,
            "active": True,
        }
        if "@" in name:
            user["emails"] = [{"type": "work", "value": name, "primary": True}]
        return 200, user


class FakeWorkspace:
    """A fake Databricks workspace on 127.0.0.1 (see the module docstring).

    Attributes the tests may change at any time: client_id, client_secret, pats,
    endpoint, instance_names, workspace_ttl, db_ttl, pg_role_for, psql, time_digits.
    """

    def __init__(self, client_id, client_secret=None, pats=None, endpoint=DEFAULT_ENDPOINT,
                 instance_names=("inst1",), workspace_ttl=3600, db_ttl=3600, pg_role_for=None,
                 psql=None, port=0, time_digits=6, verbose=False):
        self._lock = threading.Lock()        # counters, logs, tokens, faults, issued
        self._issued = []
        self._issued_set = set()
        self.client_id = client_id
        self.client_secret = client_secret if client_secret is not None else self.new_secret()
        self.pats = dict(pats or {})
        self.endpoint = endpoint
        self.instance_names = list(instance_names)
        self.workspace_ttl = workspace_ttl
        self.db_ttl = db_ttl
        self.pg_role_for = pg_role_for
        self.psql = psql
        self.time_digits = time_digits
        self.verbose = verbose
        self.host = "127.0.0.1"
        self.port = port

        self._mint_lock = threading.Lock()   # one password rotation at a time
        self._state_lock = threading.RLock()  # up/down
        self._srv = None
        self._started = False
        self._stopped = False
        self._gen = 0
        self._timer = None
        self._conns = set()
        self._wake = threading.Event()
        self._fault = None
        self._tokens = {}  # access token -> (identity, monotonic expiry)
        self._counters = collections.Counter()
        self._requests = []
        self._presented_list = []
        self._request_ids = set()
        self._credentials = []
        self.errors = []
        for pat in self.pats:
            self._add_issued(pat)

    @property
    def client_secret(self):
        return self._client_secret

    @client_secret.setter
    def client_secret(self, secret):
        """Changing the secret (a rotation) lists the new one in issued too."""
        with self._lock:
            self._client_secret = secret
            self._add_issued(secret)

    # ------------------------------------------------------------ secrets

    @staticmethod
    def new_secret():
        """A service principal OAuth secret: 'dose' + 64 hex digits."""
        return "dose" + secrets.token_hex(32)

    @staticmethod
    def new_pat():
        """A personal access token: 'dapi' + 32 hex digits."""
        return "dapi" + secrets.token_hex(16)

    @staticmethod
    def new_token():
        """An opaque JWT-looking token (three base64url parts)."""
        return "eyJ%s.eyJ%s.%s" % (secrets.token_urlsafe(24), secrets.token_urlsafe(60),
                                   secrets.token_urlsafe(48))

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def host_port(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def down(self):
        """True between set_down and the re-opening of the port."""
        return self._started and not self._stopped and self._srv is None

    def start(self):
        with self._state_lock:
            if self._srv is None:
                self._bind(first=not self._started)
                self._started = True
                self._stopped = False
        return self

    def stop(self):
        with self._state_lock:
            self._stopped = True
            self._gen += 1
            if self._timer:
                self._timer.cancel()
                self._timer = None
            self._unbind()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set_down(self, seconds=None):
        """Closes the listening socket (connections are refused) and cuts the open ones.

        seconds > 0: re-opens on the same port after that many seconds;
        None: stays down until set_up() (or set_down(0));
        0 or less: re-opens now.
        """
        with self._state_lock:
            if not self._started or self._stopped:
                raise RuntimeError("the fake workspace is not running")
            self._gen += 1
            if self._timer:
                self._timer.cancel()
                self._timer = None
            if seconds is not None and seconds <= 0:
                if self._srv is None:
                    self._bind(first=False)
                return
            self._unbind()
            if seconds is not None:
                gen = self._gen
                self._timer = threading.Timer(seconds, self._reopen, args=(gen,))
                self._timer.daemon = True
                self._timer.start()

    def set_up(self):
        """Re-opens the port now after set_down."""
        self.set_down(0)

    def _reopen(self, gen):
        with self._state_lock:
            if gen != self._gen or self._stopped or self._srv is not None:
                return
            self._timer = None
            try:
                self._bind(first=False)
            except OSError as e:
                self.errors.append("could not re-open port %d: %s" % (self.port, e))
                sys.stderr.write("fake-workspace: could not re-open port %d: %s\n"
                                 % (self.port, e))

    def _bind(self, first):
        if first and self.port == 0:
            # A free port below the kernel's ephemeral range, so that no outgoing
            # connection can take it while the fake is down.
            floor = _local_port_floor()
            for _ in range(100):
                port = random.randrange(20000, max(20001, floor))
                try:
                    srv = _Server((self.host, port), _Handler)
                    break
                except OSError:
                    continue
            else:
                srv = _Server((self.host, 0), _Handler)
        else:
            deadline = time.monotonic() + 5
            while True:
                try:
                    srv = _Server((self.host, self.port), _Handler)
                    break
                except OSError as e:
                    if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        srv.fw = self
        self.port = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                         name="fake-workspace-%d" % self.port, daemon=True).start()
        self._srv = srv

    def _unbind(self):
        srv, self._srv = self._srv, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()
        with self._lock:
            conns = list(self._conns)
            wake, self._wake = self._wake, threading.Event()
        wake.set()  # slow requests give up waiting
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _track(self, conn, add):
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ------------------------------------------------------------ faults

    def set_fault(self, kind, count=None, delay=30.0, endpoints=FAULT_ENDPOINTS):
        """Makes the next `count` requests (None: all, until clear_fault) to `endpoints`
        (default: the token and both credential endpoints) fail with `kind`:
          "500", "503"      that status, in the endpoint's error shape (503 with Retry-After: 1)
          "malformed_json"  200 with a truncated JSON body, nothing minted
          "slow"            the answer comes after `delay` seconds (then processed normally)
        set_fault(None) clears."""
        if kind is None:
            self.clear_fault()
            return
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError("fault kind must be one of %s" % (FAULT_KINDS,))
        unknown = set(endpoints) - {e for e, _ in ROUTES.values()}
        if unknown:
            raise ValueError("unknown endpoints %s" % sorted(unknown))
        if count is not None and count < 1:
            raise ValueError("count must be at least 1 or None")
        with self._lock:
            self._fault = {"kind": kind, "left": count, "delay": float(delay),
                           "endpoints": frozenset(endpoints)}

    def clear_fault(self):
        with self._lock:
            self._fault = None

    @property
    def fault(self):
        """(kind, requests left or None) or None."""
        with self._lock:
            return (self._fault["kind"], self._fault["left"]) if self._fault else None

    def _take_fault(self, endpoint):
        with self._lock:
            f = self._fault
            if f is None or endpoint not in f["endpoints"]:
                return None, 0, None
            if f["left"] is not None:
                f["left"] -= 1
                if f["left"] <= 0:
                    self._fault = None
            return f["kind"], f["delay"], self._wake

    # ------------------------------------------------------------ tokens

    def _add_issued(self, secret):
        if secret and secret not in self._issued_set:
            self._issued_set.add(secret)
            self._issued.append(secret)

    def _presented(self, secret):
        if secret:
            with self._lock:
                self._presented_list.append(secret)

    def _mint_access_token(self, identity, ttl):
        token = self.new_token()
        with self._lock:
            self._tokens[token] = (identity, time.monotonic() + ttl)
            self._add_issued(token)
        return token

    def _lookup(self, token):
        with self._lock:
            entry = self._tokens.get(token)
            if entry is not None:
                if time.monotonic() >= entry[1]:
                    return None, "Token expired"
                return entry[0], None
            if token in self.pats:
                return self.pats[token], None
        return None, "Invalid access token"

    def revoke(self, token):
        """Makes an issued access token or a PAT invalid from now on."""
        with self._lock:
            self._tokens.pop(token, None)
            self.pats.pop(token, None)

    def add_pat(self, user_name, token=None):
        """Registers a PAT (a new random one by default) for user_name; returns it."""
        token = token or self.new_pat()
        with self._lock:
            self.pats[token] = user_name
            self._add_issued(token)
        return token

    def _note_request_id(self, rid):
        with self._lock:
            if rid in self._request_ids:
                self._counters["database_credentials:request_id_reused"] += 1
            self._request_ids.add(rid)

    def _mint_db_credential(self, api, identity, lifetime):
        role = self.pg_role_for(identity) if self.pg_role_for else identity
        if not role:
            raise rest_error(403, "PERMISSION_DENIED",
                             "'%s' has no Postgres role on this endpoint" % identity)
        ttl = self.db_ttl if lifetime is None else min(lifetime, self.db_ttl)
        with self._mint_lock:
            token = self.new_token()
            expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                seconds=ttl)
            if self.psql is not None:
                sql = "ALTER ROLE %s PASSWORD %s VALID UNTIL %s" % (
                    quote_ident(role), quote_literal(token),
                    quote_literal(expiry.isoformat()))
                try:
                    self.psql(sql)
                except Exception as e:  # noqa: BLE001 - any failure is the server's
                    msg = str(e).replace(token, "<token>")
                    with self._lock:
                        self.errors.append("password rotation for %s failed: %s" % (role, msg))
                    raise rest_error(500, "INTERNAL_ERROR",
                                     "could not set the credential of role %s" % role)
            with self._lock:
                self._add_issued(token)
                self._counters["rotations"] += 1
                self._credentials.append({
                    "time": time.time(), "api": api, "identity": identity, "role": role,
                    "token": token, "expires_at": expiry.timestamp()})
        return token, expiry

    # ------------------------------------------------------------ observation

    def _count(self, key):
        with self._lock:
            self._counters[key] += 1

    def _record(self, method, path, endpoint, status, outcome):
        with self._lock:
            self._requests.append((time.time(), method, path, status))
            self._counters[endpoint] += 1
            self._counters["%s:%s" % (endpoint, outcome)] += 1

    @property
    def counters(self):
        """A copy (collections.Counter; 0 for a missing key) of the request counts:
        "<endpoint>" per request and "<endpoint>:<outcome>", where endpoint is well_known,
        token, postgres_credentials, database_credentials, scim_me or unknown, and outcome is
        the HTTP status ("200", "401", ...) or "fault_500", "fault_503",
        "fault_malformed_json", or "slow_abandoned" (a slow request whose client left, or cut by
        set_down/stop: nothing minted); "<endpoint>:slow" counts delayed requests (also counted
        by their final outcome); "database_credentials:request_id_reused" counts request_ids
        seen before; "rotations" counts database credentials minted (Postgres password
        changes when psql is set)."""
        with self._lock:
            return collections.Counter(self._counters)

    @property
    def issued(self):
        """Every secret handed out or accepted: the client secret, the PATs, access tokens
        and database credentials, in order of appearance."""
        with self._lock:
            return list(self._issued)

    @property
    def presented(self):
        """Every credential a client sent (Basic password or bearer token), valid or not."""
        with self._lock:
            return list(self._presented_list)

    @property
    def requests(self):
        """(unix time, method, path, status) per request, oldest first; status 0 for a slow
        request abandoned without an answer."""
        with self._lock:
            return list(self._requests)

    @property
    def credentials(self):
        """The database credentials minted: dicts with time, api ("postgres" or
        "database"), identity, role, token, expires_at (unix time)."""
        with self._lock:
            return [dict(c) for c in self._credentials]

    def reset_stats(self):
        """Clears counters, requests and credentials (not issued, not live tokens)."""
        with self._lock:
            self._counters.clear()
            self._requests.clear()
            self._credentials.clear()


def _pg_sh_psql(pg_dir):
    pg_sh = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pg.sh")

    def run(sql):
        out = subprocess.run([pg_sh, "psql", pg_dir, "-At", "-c", sql],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return out.stdout
    return run


def main(argv=None):
    p = argparse.ArgumentParser(description="A fake Databricks workspace for lakefront tests.")
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", help="default: a new random one, printed")
    p.add_argument("--pat", action="append", default=[], metavar="TOKEN=USER",
                   help="a personal access token and its user name (repeatable)")
    p.add_argument("--endpoint", default=DEFAULT_ENDPOINT)
    p.add_argument("--instance", action="append", metavar="NAME",
                   help="a provisioned instance name (repeatable; default inst1)")
    p.add_argument("--workspace-ttl", type=int, default=3600)
    p.add_argument("--db-ttl", type=int, default=3600)
    p.add_argument("--pg-dir", help="a tests/pg.sh state dir: rotate role passwords there")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    a = p.parse_args(argv)
    pats = {}
    for item in a.pat:
        token, sep, user = item.partition("=")
        if not sep or not token or not user:
            p.error("--pat wants TOKEN=USER")
        pats[token] = user
    fw = FakeWorkspace(a.client_id, a.client_secret, pats=pats, endpoint=a.endpoint,
                       instance_names=a.instance or ["inst1"], workspace_ttl=a.workspace_ttl,
                       db_ttl=a.db_ttl, psql=_pg_sh_psql(a.pg_dir) if a.pg_dir else None,
                       port=a.port, verbose=a.verbose)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fw.start()
    print(fw.url, flush=True)
    if a.client_secret is None:
        print("client secret: %s" % fw.client_secret, flush=True)
    while not stop.wait(0.1):
        pass
    fw.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
