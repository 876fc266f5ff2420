"""Where a request's time went: the Server-Timing header (LAKEFRONT_SERVER_TIMING,
off by default) and the warn line for a slow request (LAKEFRONT_SLOW_MS),
made slow for real by holding a lock on its table from another session.
"""
import re
import threading
import time

import lf

ROW = "/api/v1/tables/lf_test.keys_int4/rows/42"
TIMING = re.compile(r"^queue;dur=(\d+\.\d{3}), db;dur=(\d+\.\d{3}), total;dur=(\d+\.\d{3})$")


def test_off_by_default(t):
    s = t.server()
    for path in (ROW, "/api/v1/tables", "/healthz"):
        t.eq(s.get(path).headers.get("server-timing"), None, "no Server-Timing on %s" % path)


def test_on(t):
    s = t.server(["--server-timing", "on"])
    for path, status in ((ROW, 200), (ROW.replace("42", "43"), 404)):
        r = s.get(path)
        t.eq(r.status, status, "status of %s" % path)
        m = TIMING.match(r.headers.get("server-timing", ""))
        t.true(m is not None, "Server-Timing of %s: %r" % (path, r.headers.get("server-timing")))
        queue, db, total = (float(x) for x in m.groups())
        t.true(db > 0 and total >= queue + db, "durations add up: %s" % m.group(0))
    # No database involved: only the total.
    r = s.get("/api/v1/tables")
    t.true(re.match(r"^total;dur=\d+\.\d{3}$", r.headers.get("server-timing", "")),
           "tables list: %r" % r.headers.get("server-timing"))
    c = s.connect()
    c.request("POST", "/api/v1/tables/lf_test.keys_int4/lookup", body='{"keys":[42,0]}',
              headers={"Content-Type": "application/json"})
    resp = c.getresponse()
    resp.read()
    t.true(TIMING.match(resp.getheader("Server-Timing") or ""), "batch: %r" %
           resp.getheader("Server-Timing"))
    c.close()


def test_slow_lookup_is_logged_once_with_its_times(t):
    s = t.server(["--slow-ms", "150"])
    t.eq(s.get(ROW).status, 200, "warm")
    lock = lf.Locker("lf_test.keys_int4")
    got = {}

    def call():
        got["r"] = s.get(ROW, headers={"X-Request-Id": "slow-one"}, timeout=30)

    th = threading.Thread(target=call)
    th.start()
    try:
        # The lookup is at the database, waiting for the lock: hold it a while.
        lf.wait_for(lambda: lf.lock_waiters() >= 1, 20, "the lookup to wait for the lock")
        # Not a guess at timing: the lookup is blocked until release(), so
        # it is at least this slow whatever the machine does.
        time.sleep(0.3)
    finally:
        lock.release()
    th.join(30)
    t.eq(got["r"].status, 200, "the slow lookup still succeeds")
    line = s.wait_log(lambda l: l.get("msg") == "slow request" and l.get("request_id") == "slow-one")
    t.eq(line.get("level"), "warn", "level")
    t.eq(line.get("route"), "/api/v1/tables/{table}/rows/{key}", "route template, never the key")
    t.eq(line.get("table"), "lf_test.keys_int4", "table")
    t.eq(line.get("status"), 200, "status")
    t.true(line.get("db_ms", 0) >= 250, "db_ms holds the wait: %r" % line)
    t.true(line.get("total_ms", 0) >= line.get("db_ms", 0), "total >= db: %r" % line)
    t.true("queue_ms" in line, "queue_ms present")
    t.true("42" not in str(line.get("route")), "no key in the route")
    slow = [l for l in s.lines if l.get("msg") == "slow request"]
    t.eq(len(slow), 1, "logged once, and only the slow one")


if __name__ == "__main__":
    lf.main(globals())
