"""What happens when things go wrong: Postgres down or restarted under load, a full
queue, lookups past their deadline, SIGTERM with requests in flight."""
import http.client
import signal
import socket
import struct
import threading
import time

import lf

ROW = "/api/v1/tables/gold.customer_features/rows/%d"
PRODUCT = "/api/v1/tables/gold.products/rows/SKU-000001"


def hammer(s, stop, results, errors, n_threads=4):
    """Lookups on keep-alive connections until stop is set (at most 60 s)."""

    def run(i):
        conn = s.connect(timeout=15)
        deadline = time.time() + 60
        k = 0
        while not stop.is_set() and time.time() < deadline:
            k += 1
            try:
                r = s.get(ROW % (1 + (i * 7919 + k) % 100000), conn=conn)
                results.append(r)
            except (OSError, http.client.HTTPException) as e:
                errors.append(repr(e))
                conn.close()
                conn = s.connect(timeout=15)
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    return threads


def test_postgres_restart_under_load(t):
    s = t.server(["--pool-size", "4", "--request-timeout-ms", "2000"])
    fds_before = s.fds()
    stop, results, errors = threading.Event(), [], []
    threads = hammer(s, stop, results, errors)
    lf.wait_for(lambda: len(results) > 200, 20, "lookups before the restart")
    lf.pg("restart")
    n_restart = len(results)
    # Recovery: lookups succeed again on their own after Postgres is back.
    lf.wait_for(lambda: len(results) > n_restart + 500 and
                all(r.status == 200 for r in results[-100:]), 30, "recovery after the restart")
    stop.set()
    for th in threads:
        th.join(30)
    t.eq(errors, [], "transport errors (a crash or a dropped connection)")
    bad = [r for r in results if r.status not in (200, 503)]
    t.eq(bad[:3], [], "responses other than 200 and 503")
    for r in results:
        if r.status == 503:
            t.error(r, 503, "DATABASE_UNAVAILABLE", "lookup during the restart")
    t.true(s.proc.poll() is None, "lakefront is still running")
    # Every database socket was replaced, none leaked: no more descriptors
    # than before (the test's own HTTP connections are closed by now; the
    # count before may include the readiness probe's closing connection).
    lf.wait_for(lambda: s.fds() <= fds_before, 10, "fd count back to at most %d (now %d)" %
                (fds_before, s.fds()))


def test_postgres_down_answers_503_within_deadline_then_recovers(t):
    s = t.server(["--pool-size", "2", "--request-timeout-ms", "1500"])
    t.eq(s.get(ROW % 1).status, 200, "before the outage")
    lf.pg("stop-only")
    try:
        # Whatever state each connection is in when Postgres goes away, every
        # lookup is answered within its deadline, with 503 once it is known
        # to be down.
        for i in range(20):
            start = time.time()
            r = s.get(ROW % (i + 1))
            took = time.time() - start
            t.true(took < 1.5 + 0.5, "lookup %d took %.2fs, past its deadline" % (i, took))
            t.error(r, 503, "DATABASE_UNAVAILABLE", "lookup %d during the outage" % i)
        r = s.get("/readyz")
        t.error(r, 503, "NOT_READY", "readyz during the outage")
        t.true("database" in r.json["message"], "readyz names the database: %r" % r.json)
        t.eq(s.get("/healthz").status, 200, "healthz during the outage")
    finally:
        lf.pg("start-only")
    lf.wait_for(lambda: s.get(ROW % 7).status == 200, 30, "a lookup after Postgres is back")
    t.eq(s.get("/readyz").status, 200, "readyz after recovery")


def test_full_queue_answers_503_overloaded_at_once(t):
    # One connection, one lookup in flight, two waiting: the rest are refused.
    s = t.server(["--workers", "1", "--pool-size", "1", "--pipeline-depth", "1",
                  "--queue-limit", "2", "--request-timeout-ms", "20000"])
    t.eq(s.get(PRODUCT).status, 200, "warm-up")
    lock = lf.Locker("gold.products")
    results = []
    try:
        threads = [threading.Thread(target=lambda: results.append(s.get(PRODUCT, timeout=30)))
                   for _ in range(5)]
        for th in threads:
            th.start()
        # Two of the five cannot be queued: they come back while the table is
        # still locked, so they were refused at once, not after a wait.
        lf.wait_for(lambda: len(results) >= 2, 10, "two immediate refusals")
        time.sleep(0.2)
        t.eq(len(results), 2, "responses while the table is locked")
        for r in results:
            t.error(r, 503, "OVERLOADED", "refused lookup")
        t.eq(lf.lock_waiters(), 1, "lookups waiting on the lock in Postgres")
    finally:
        lock.release()
    for th in threads:
        th.join(30)
    t.eq(sorted(r.status for r in results), [200, 200, 200, 503, 503], "all statuses")


def test_lookup_past_deadline_gets_504_and_queued_one_503(t):
    # statement_timeout far above the deadline: the first lookup keeps the
    # only connection busy, so the second can never be sent.
    s = t.server(["--workers", "1", "--pool-size", "1", "--pipeline-depth", "1",
                  "--request-timeout-ms", "700", "--statement-timeout-ms", "60000"])
    t.eq(s.get(PRODUCT).status, 200, "warm-up")
    lock = lf.Locker("gold.products")
    results = {}
    try:
        a = threading.Thread(target=lambda: results.__setitem__("sent", s.get(PRODUCT)))
        a.start()
        lf.wait_for(lambda: lf.lock_waiters() == 1, 10, "the first lookup to reach Postgres")
        # The second cannot be sent (depth 1): it waits for a connection.
        b = threading.Thread(target=lambda: results.__setitem__("queued", s.get(PRODUCT)))
        b.start()
        a.join(10)
        b.join(10)
    finally:
        lock.release()
    t.error(results["sent"], 504, "TIMEOUT", "lookup sent but not answered")
    t.error(results["queued"], 503, "DATABASE_UNAVAILABLE", "lookup that never got a connection")
    # The connection survives its cancelled statement.
    lf.wait_for(lambda: s.get(PRODUCT).status == 200, 10, "a lookup after the timeouts")


def test_client_gone_while_its_lookup_waits(t):
    # Two keep-alive clients reset their connections while their lookups
    # wait: one at Postgres, one in the queue behind it. MHD closes both
    # requests at once (the access log says so), each lookup still ends when
    # Postgres answers, nothing of them is left behind (the sanitizer build
    # checks for leaks at exit), and the server goes on answering.
    s = t.server(["--workers", "1", "--pool-size", "1", "--pipeline-depth", "1",
                  "--request-timeout-ms", "20000", "--statement-timeout-ms", "60000"])

    def ask(sock, rid):
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nX-Request-Id: %s\r\n\r\n" %
                     (PRODUCT.encode(), rid.encode()))

    # A request answered first: libmicrohttpd watches a connection's socket
    # only from its first wait for the next request on.
    socks = [socket.create_connection(("127.0.0.1", s.port), timeout=10) for _ in range(2)]
    for n, sock in enumerate(socks):
        ask(sock, "warm%d" % n)
        f = sock.makefile("rb")
        t.eq(f.readline().split()[1], b"200", "warm-up %d" % n)
        length = 0
        while True:
            line = f.readline().strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        f.read(length)
        f.close()  # else sock.close() below would leave the socket open
    lock = lf.Locker("gold.products")
    try:
        for n, sock in enumerate(socks):
            ask(sock, "gone%d" % n)
            if n == 0:
                lf.wait_for(lambda: lf.lock_waiters() == 1, 10, "the first lookup at Postgres")
            else:
                lf.wait_for(lambda: "lakefront_queue_depth 1\n" in s.get("/metrics").body, 10,
                            "the second lookup in the queue")
            # A reset, not a FIN: the socket is gone at once on both sides.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        for n in range(2):
            line = s.wait_log(lambda l: l.get("msg") == "access" and
                              l.get("request_id") == "gone%d" % n)
            t.true("terminated" in line, "request gone%d closed before its answer: %r" % (n, line))
    finally:
        lock.release()
    lf.wait_for(lambda: "lakefront_queue_depth 0\n" in s.get("/metrics").body, 10,
                "the queue to empty")
    r = s.get(PRODUCT)
    t.eq((r.status, r.json.get("sku")), (200, "SKU-000001"), "a lookup afterwards")
    t.eq(s.stop(timeout=10), 0, "exit code")


def test_sigterm_finishes_requests_in_flight(t):
    s = t.server(["--pool-size", "2", "--request-timeout-ms", "20000"])
    t.eq(s.get(PRODUCT).status, 200, "warm-up")
    lock = lf.Locker("gold.products")
    results = []
    try:
        threads = [threading.Thread(target=lambda: results.append(s.get(PRODUCT, timeout=30)))
                   for _ in range(3)]
        for th in threads:
            th.start()
        lf.wait_for(lambda: lf.lock_waiters() >= 1, 10, "lookups in flight")
        time.sleep(0.2)  # the other lookups reach the server too
        s.signal(signal.SIGTERM)
        # No new connections once shutdown has begun.
        def refused():
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
                return False
            except OSError:
                return True
        lf.wait_for(refused, 5, "the listening socket to close")
        t.true(s.proc.poll() is None, "lakefront waits for its requests")
    finally:
        lock.release()
    for th in threads:
        th.join(30)
    t.eq([r.status for r in results], [200, 200, 200], "requests in flight at SIGTERM")
    t.eq(s.stop(timeout=10), 0, "exit code")
    t.true(any(l.get("msg") == "stopped" for l in s.lines), "a 'stopped' log line")


def test_sigterm_answers_stuck_requests_within_shutdown_timeout(t):
    s = t.server(["--pool-size", "1", "--workers", "1", "--shutdown-timeout-ms", "1000",
                  "--request-timeout-ms", "60000"])
    t.eq(s.get(PRODUCT).status, 200, "warm-up")
    lock = lf.Locker("gold.products")
    results = []
    try:
        th = threading.Thread(target=lambda: results.append(s.get(PRODUCT, timeout=30)))
        th.start()
        lf.wait_for(lambda: lf.lock_waiters() == 1, 10, "a lookup in flight")
        start = time.time()
        s.signal(signal.SIGTERM)
        th.join(15)
        t.eq(s.stop(timeout=15), 0, "exit code")
        took = time.time() - start
        t.true(took < 5, "stopped %.1fs after SIGTERM, want about 1 s" % took)
    finally:
        lock.release()
    t.error(results[0], 503, "DATABASE_UNAVAILABLE", "request stuck at shutdown")


def test_connections_recycled_after_their_lifetime_without_failing_lookups(t):
    s = t.server(["--pool-size", "2", "--conn-max-lifetime-s", "1"])
    def backends():
        # Not the catalog thread's connection, which is not recycled: its last
        # query is the catalog's, the only one that reads pg_index.
        return set(lf.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'lakefront' "
                           "AND query NOT LIKE '%pg_index%'").split())
    first = backends()
    stop, results, errors = threading.Event(), [], []
    threads = hammer(s, stop, results, errors, n_threads=2)
    # Within a few lifetimes every pool connection has been replaced.
    lf.wait_for(lambda: not (backends() & first), 15, "the pool's backends to be replaced")
    stop.set()
    for th in threads:
        th.join(30)
    t.eq(errors, [], "transport errors")
    t.eq([r for r in results if r.status != 200][:3], [], "lookups that failed during recycling")
    t.true(len(results) > 100, "lookups ran (%d)" % len(results))


lf.main(globals())
