"""Browser caching of rows: a strong ETag on every row 200 (path and query
form), Cache-Control from LAKEFRONT_CACHE_CONTROL, 304 on a matching
If-None-Match (one tag, a list, weak, "*"), a new tag when the row changes
in the database, and HEAD answering as GET without the body.
"""
import os
import subprocess

import lf

_shared = lf.SharedServer()

T = "lf_test.keys_text"
PATH = "/api/v1/tables/%s/rows/a.b" % T          # the row ('a.b', 4)
QPATH = "/api/v1/tables/%s/rows?k=a.b" % T


def server():
    return _shared.get()


def get(path, inm=None, method="GET", s=None, conn=None):
    h = {"If-None-Match": inm} if inm is not None else {}
    r = (s or server()).get(path, headers=h, method=method, conn=conn)
    if r.status >= 500:
        raise AssertionError("%s %s: %r" % (method, path, r))
    return r


def test_row_200_has_a_strong_etag_and_cache_control(t):
    r = get(PATH)
    t.eq(r.status, 200, "status")
    tag = r.headers.get("etag", "")
    t.true(tag.startswith('"') and tag.endswith('"') and len(tag) == 18, "strong ETag %r" % tag)
    t.eq(r.headers.get("cache-control"), "no-cache", "default Cache-Control")
    t.eq(get(QPATH).headers.get("etag"), tag, "query form: same body, same tag")
    t.eq(get(PATH).headers.get("etag"), tag, "stable across requests")
    other = get("/api/v1/tables/%s/rows/caf%%C3%%A9" % T)
    t.true(other.headers.get("etag") not in (None, tag), "another row, another tag")
    sel = get(PATH + "?select=v")
    t.true(sel.headers.get("etag") not in (None, tag), "another selection, another tag")


def test_errors_and_other_endpoints_are_not_cached(t):
    for path in (PATH.replace("a.b", "nope"), "/api/v1/tables/%s" % T, "/api/v1/tables",
                 "/healthz"):
        r = get(path)
        t.eq(r.headers.get("etag"), None, "no ETag on %s" % path)
        t.eq(r.headers.get("cache-control"), "no-store", "no-store on %s" % path)


def test_if_none_match(t):
    tag = get(PATH).headers["etag"]
    c = server().connect()
    for inm in (tag, "W/" + tag, '"zzz", ' + tag, 'W/"zzz",' + tag + ' , "y"', "*"):
        r = get(PATH, inm=inm, conn=c)
        t.eq(r.status, 304, "If-None-Match: %s" % inm)
        t.eq(r.body, "", "304 has no body")
        t.eq(r.headers.get("etag"), tag, "304 repeats the ETag")
        t.eq(r.headers.get("cache-control"), "no-cache", "304 repeats Cache-Control")
        t.eq(r.headers.get("content-length"), str(len(get(PATH).body)),
             "Content-Length of a 304 is the 200's, as HTTP asks")
    for inm in ('"zzz"', tag[:-2] + '"', "", "garbage " + tag):
        r = get(PATH, inm=inm, conn=c)
        t.eq(r.status, 200, "If-None-Match: %r" % inm)
    r = get(QPATH, inm=tag, conn=c)
    t.eq(r.status, 304, "query form")
    c.close()
    r = get(PATH.replace("a.b", "nope"), inm="*")
    t.eq(r.status, 404, "* on a missing row is still a 404")


def test_etag_changes_when_the_row_changes(t):
    path = "/api/v1/tables/%s/rows/plus+sign" % T
    before = get(path)
    t.eq(before.json, {"k": "plus+sign", "v": 6}, "fixture row")
    tag = before.headers["etag"]
    try:
        lf.psql("UPDATE lf_test.keys_text SET v = 60 WHERE k = 'plus+sign'")
        r = get(path, inm=tag)
        t.eq(r.status, 200, "changed row: a 200, not a 304")
        t.eq(r.json["v"], 60, "the new value")
        t.true(r.headers["etag"] != tag, "a new tag")
        t.eq(get(path, inm=r.headers["etag"]).status, 304, "the new tag matches")
    finally:
        lf.psql("UPDATE lf_test.keys_text SET v = 6 WHERE k = 'plus+sign'")
    t.eq(get(path).headers["etag"], tag, "the old value, the old tag")


def test_head_answers_as_get_without_body(t):
    g = get(PATH)
    h = get(PATH, method="HEAD")
    t.eq(h.status, 200, "status")
    t.eq(h.body, "", "no body")
    for k in ("etag", "cache-control", "content-type", "content-length"):
        t.eq(h.headers.get(k), g.headers.get(k), "HEAD %s" % k)
    t.eq(get(PATH, inm=g.headers["etag"], method="HEAD").status, 304, "HEAD with If-None-Match")
    t.eq(get(PATH.replace("a.b", "nope"), method="HEAD").status, 404, "HEAD of a missing row")


def test_cache_control_setting(t):
    s = t.server(["--cache-control", "private, max-age=30"])
    r = get(PATH, s=s)
    t.eq(r.headers.get("cache-control"), "private, max-age=30", "configured Cache-Control")
    r = subprocess.run([os.environ["LAKEFRONT_BIN"], "--cache-control", "a\x01b"], capture_output=True, text=True,
                       timeout=10)
    t.eq(r.returncode, 2, "a control character is refused (%s)" % r.stderr.strip())
    t.true("LAKEFRONT_CACHE_CONTROL" in r.stderr or "cache-control" in r.stderr,
           "the message names the setting: %r" % r.stderr)


if __name__ == "__main__":
    lf.main_shared(globals(), _shared)
