"""CORS for browser frontends: LAKEFRONT_CORS_ORIGINS unset means no CORS
headers at all (and OPTIONS stays a 405, as before); an allowed origin gets
Access-Control-Allow-Origin, Vary and Access-Control-Expose-Headers, and its
preflights a 204 with the Allow-* headers; any other origin gets none.

Then a real browser proves it: headless Chromium (Debian's chromium) loads
cors/page.html from a second local port and calls lakefront with fetch(), a
GET and a lookup POST (which needs a preflight: its Content-Type is JSON).
From an allowed origin both succeed and the page reads X-Request-Id; from
any other origin the browser blocks both.
"""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading

import lf

ROW = "/api/v1/tables/gold.customer_features/rows/1"
LOOKUP = "/api/v1/tables/gold.customer_features/lookup"
EXPOSED = "X-Request-Id, ETag, Retry-After"


def options(s, path, origin, method="POST", headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return s.get(path, headers=h, method="OPTIONS")


def cors_of(r):
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


def test_off_by_default(t):
    s = t.server()
    r = s.get(ROW, headers={"Origin": "http://localhost:5173"})
    t.eq(r.status, 200, "status")
    t.eq(cors_of(r), {}, "no CORS headers")
    t.eq(r.headers.get("vary"), None, "no Vary")
    r = options(s, LOOKUP, "http://localhost:5173")
    t.error(r, 405, "METHOD_NOT_ALLOWED", "OPTIONS without CORS")
    t.eq(r.headers.get("allow"), "POST", "Allow")


def test_allowed_origin(t):
    s = t.server(["--cors-origins", "http://localhost:5173, https://app.example.com"])
    for path in (ROW, "/api/v1/tables", "/api/v1/tables/gold.nope", "/healthz"):
        r = s.get(path, headers={"Origin": "https://app.example.com"})
        t.eq(r.headers.get("access-control-allow-origin"), "https://app.example.com",
             "ACAO on %s" % path)
        t.eq(r.headers.get("access-control-expose-headers"), EXPOSED, "expose on %s" % path)
        t.eq(r.headers.get("vary"), "Origin", "Vary on %s" % path)
    r = options(s, LOOKUP, "http://localhost:5173", headers="content-type, x-request-id")
    t.eq(r.status, 204, "preflight status")
    t.eq(r.body, "", "no body")
    t.eq(r.headers.get("access-control-allow-origin"), "http://localhost:5173", "ACAO")
    t.eq(r.headers.get("access-control-allow-methods"), "GET, HEAD, POST, OPTIONS", "methods")
    t.eq(r.headers.get("access-control-allow-headers"), "content-type, x-request-id", "headers")
    t.eq(r.headers.get("access-control-max-age"), "600", "max age")
    t.eq(r.headers.get("allow"), "POST, OPTIONS", "Allow")
    r = options(s, ROW, "http://localhost:5173", method="GET")
    t.eq((r.status, r.headers.get("allow")), (204, "GET, HEAD, OPTIONS"), "preflight of a GET")
    # A header list that cannot be echoed safely is not echoed.
    r = options(s, LOOKUP, "http://localhost:5173", headers="x-a\x7fb")
    t.eq(r.headers.get("access-control-allow-headers"), None, "odd header list not echoed")


def test_other_origins_get_nothing(t):
    s = t.server(["--cors-origins", "http://localhost:5173", "--cors-max-age-s", "60"])
    for origin in ("http://localhost:5174", "http://LOCALHOST:5173", "https://localhost:5173",
                   "http://localhost:5173.evil.com", "null"):
        r = s.get(ROW, headers={"Origin": origin})
        t.eq(r.status, 200, "the request itself is served")
        t.eq(cors_of(r), {}, "no CORS headers for %s" % origin)
        r = options(s, LOOKUP, origin, headers="content-type")
        t.eq(r.status, 204, "preflight status for %s" % origin)
        t.eq(cors_of(r), {}, "no CORS headers on the preflight for %s" % origin)
    r = s.get(ROW)
    t.eq(cors_of(r), {}, "no Origin: no CORS headers")
    t.eq(r.headers.get("vary"), "Origin", "Vary even so: the answer depends on Origin")
    r = options(s, LOOKUP, "http://localhost:5173")
    t.eq(r.headers.get("access-control-max-age"), "60", "configured max age")


def test_star(t):
    s = t.server(["--cors-origins", "*"])
    r = s.get(ROW, headers={"Origin": "https://anything.example"})
    t.eq(r.headers.get("access-control-allow-origin"), "*", "ACAO *")


def test_bad_settings_are_refused(t):
    for v in ("http://localhost:5173/", "localhost:5173", "*,http://x", "ftp://x", "http://a b"):
        r = subprocess.run([os.environ["LAKEFRONT_BIN"], "--cors-origins", v],
                           capture_output=True, text=True, timeout=10)
        t.eq(r.returncode, 2, "exit code for %r (%s)" % (v, r.stderr.strip()))


# ------------------------------------------------------------------ the browser

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _page_server():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cors")
    handler = functools.partial(_Quiet, directory=here)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _browse(page_port, lakefront_port):
    """Loads the page in headless Chromium; returns what it found out."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise AssertionError("chromium is not installed (tests/deps.sh installs it)")
    with tempfile.TemporaryDirectory() as profile:
        url = "http://127.0.0.1:%d/page.html?base=http://127.0.0.1:%d" % (page_port, lakefront_port)
        # --no-sandbox: the tests run as root; --virtual-time-budget lets the
        # page's fetches finish before the DOM is dumped.
        p = subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--no-first-run",
                            "--user-data-dir=" + profile, "--virtual-time-budget=10000",
                            "--dump-dom", url],
                           capture_output=True, text=True, timeout=90)
    m = re.search(r"RESULT (\{.*?\})</pre>", p.stdout)
    if m is None:
        raise AssertionError("the page did not finish: %s\n%s" % (p.stdout[-500:], p.stderr[-1500:]))
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_browser_from_an_allowed_origin(t):
    page = _page_server()
    try:
        port = page.server_address[1]
        s = t.server(["--cors-origins", "http://127.0.0.1:%d" % port])
        got = _browse(port, s.port)
        t.eq(got.get("get_status"), 200, "GET from the page: %r" % got)
        t.eq(got.get("get_id"), 1, "GET body read")
        t.true(re.fullmatch(r"[0-9a-f]{32}", got.get("get_rid") or ""), "X-Request-Id read: %r" % got)
        t.true((got.get("get_etag") or "").startswith('"'), "ETag read: %r" % got)
        t.eq(got.get("post_status"), 200, "lookup POST from the page: %r" % got)
        t.eq(got.get("post_rows"), 2, "lookup rows read")
        t.true(re.fullmatch(r"[0-9a-f]{32}", got.get("post_rid") or ""), "X-Request-Id of the POST")
        pre = [l for l in s.lines if l.get("msg") == "access" and l.get("method") == "OPTIONS"]
        t.eq([l.get("status") for l in pre], [204], "one preflight, for the POST")
    finally:
        page.shutdown()


def test_browser_from_another_origin_is_blocked(t):
    page = _page_server()
    try:
        port = page.server_address[1]
        s = t.server(["--cors-origins", "http://127.0.0.1:%d" % (port + 1 if port < 65535 else 1)])
        got = _browse(port, s.port)
        t.true("get_status" not in got and "Failed to fetch" in got.get("get_error", ""),
               "GET blocked: %r" % got)
        t.true("post_status" not in got and "Failed to fetch" in got.get("post_error", ""),
               "POST blocked: %r" % got)
    finally:
        page.shutdown()


if __name__ == "__main__":
    lf.main(globals())
