"""lf: the harness of lakefront's integration tests (Python 3 standard library only).

A test file defines functions named test_*(t) and ends with `lf.main(globals())`.
Each test gets a fresh `T` with helpers; the run prints one line per test and a
final "N passed, M failed" line, and exits non-zero on any failure.

The PostgreSQL cluster is started once per ctest run by tests/pg.sh (a ctest
fixture); its connection facts are read from $LF_PG_DIR/env. The binary under
test is $LAKEFRONT_BIN (the plain or the sanitizer build).
"""

import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PG_SH = os.path.join(ROOT, "tests", "pg.sh")


def pg_env():
    """The KEY=VALUE lines tests/pg.sh wrote for the cluster."""
    env = {}
    with open(os.path.join(os.environ["LF_PG_DIR"], "env")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v.strip("'\"")
    return env


def psql(sql, db=None):
    """Runs sql as the superuser; returns stdout (unaligned, tuples only)."""
    out = subprocess.run(
        [PG_SH, "psql", os.environ["LF_PG_DIR"], "-At", "-c", sql],
        capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (sql, out.stderr))
    return out.stdout


def pg(action):
    """tests/pg.sh ACTION on the test cluster: restart, stop-only, start-only."""
    out = subprocess.run([PG_SH, action, os.environ["LF_PG_DIR"]],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError("pg.sh %s failed:\n%s%s" % (action, out.stdout, out.stderr))


class Locker:
    """Holds a lock on a table from a separate superuser session until release()."""

    def __init__(self, table, mode="ACCESS EXCLUSIVE"):
        self.proc = subprocess.Popen(
            [PG_SH, "psql", os.environ["LF_PG_DIR"]], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write("BEGIN; LOCK TABLE %s IN %s MODE;\n" % (table, mode))
        self.proc.stdin.flush()
        wait_for(lambda: psql(
            "SELECT count(*) FROM pg_locks WHERE relation = '%s'::regclass AND granted "
            "AND mode = 'AccessExclusiveLock'" % table).strip() == "1", 20, "the table lock")

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("COMMIT;\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def wait_for(pred, timeout, what):
    """Polls pred until it is true; fails after timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def lock_waiters():
    """lakefront backends waiting for a lock."""
    return int(psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lakefront' "
                    "AND wait_event_type = 'Lock'").strip())


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Behind:
    """Requests that queue in lakefront behind a lookup blocked on a lock of lf_test.keys_int4:
    the gate lookup goes first and waits for the lock, then each (key, path) of items is sent
    on its own connection. got maps each key (-1 for the gate) to convert(the response).
    send(), then finish() (in a finally: it releases the lock) and the answers are in."""

    GATE = "/api/v1/tables/lf_test.keys_int4/rows/42"

    def __init__(self, t, s, items, convert=lambda r: r):
        self.t, self.s, self.convert, self.got = t, s, convert, {}
        self.gate_status = None
        self.sent = threading.Semaphore(0)
        self.lock = Locker("lf_test.keys_int4")
        self.gate = threading.Thread(target=self.run, args=(-1, self.GATE))
        self.threads = [threading.Thread(target=self.run, args=kp) for kp in items]

    def run(self, key, path):
        c = self.s.connect(timeout=60)
        try:
            c.putrequest("GET", path)
            c.endheaders()
            self.sent.release()
            r = c.getresponse()
            resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode())
            if key == -1:
                self.gate_status = resp.status
            self.got[key] = self.convert(resp)
        finally:
            c.close()

    def send(self):
        self.gate.start()
        self.sent.acquire(timeout=30)
        wait_for(lambda: lock_waiters() == 1, 20, "the first lookup to wait for the lock")
        for th in self.threads:
            th.start()
        for _ in self.threads:
            self.t.true(self.sent.acquire(timeout=30), "every request sent")

    def finish(self):
        self.lock.release()
        for th in [self.gate] + self.threads:
            th.join(60)
        self.t.eq(self.gate_status, 200, "the lookup that waited for the lock")


class Server:
    """A lakefront process on a free port, with its log lines collected."""

    def __init__(self, args=(), env=None, wait_ready=True, pg=True, listen=True):
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("PG", "LAKEFRONT_", "DATABRICKS_"))}
        if pg:
            e = pg_env()
            for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
                self.env[k] = e[k]
        self.env.update(env or {})
        cmd = [os.environ["LAKEFRONT_BIN"]]
        # The server gets SIGTERM when this test process dies, even by
        # SIGKILL, which skips every cleanup: setpriv sets the parent-death
        # signal and execs lakefront under the same pid. A test run killed
        # halfway otherwise left its servers running, holding sessions on
        # the test cluster. The signal follows the thread that starts the
        # server, so servers are started from the main thread only.
        if shutil.which("setpriv"):
            cmd = ["setpriv", "--pdeathsig", "TERM"] + cmd
        if listen:
            cmd += ["--host", "127.0.0.1", "--port", "0"]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines = []
        self.stderr = []
        self._q = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True).start()
        self.port = None
        line = self.wait_log(lambda l: l.get("msg") == "listening", timeout=20)
        self.port = line["port"]
        if wait_ready:
            self.wait_ready()

    def _read(self, stream, is_stdout):
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if not is_stdout:
                self.stderr.append(text)
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                obj = {"unparsed": text}
            self.lines.append(obj)
            self._q.put(obj)

    def wait_log(self, pred, timeout=10):
        """Returns the first log line (old or new) for which pred is true."""
        deadline = time.time() + timeout
        seen = 0
        while True:
            for l in self.lines[seen:]:
                if pred(l):
                    return l
            seen = len(self.lines)
            left = deadline - time.time()
            if left <= 0 or self.proc.poll() is not None and self._q.empty():
                raise AssertionError("no such log line within %ss; stderr: %s" %
                                     (timeout, "\n".join(self.stderr[-20:])))
            try:
                self._q.get(timeout=min(left, 0.2))
            except queue.Empty:
                pass

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.get("/readyz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("not ready within %ss: %r" % (timeout, self.get("/readyz")))

    def connect(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, headers=None, method="GET", conn=None, timeout=10):
        c = conn or self.connect(timeout)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            body = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                            body.decode("utf-8") if body else "")
        finally:
            if conn is None:
                c.close()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, expect_code=0, timeout=15):
        """SIGTERM, then the exit code (asserted unless expect_code is None)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("lakefront did not stop within %ss of SIGTERM" % timeout)
        time.sleep(0.05)  # let the reader threads drain the pipes
        if expect_code is not None and code != expect_code:
            raise AssertionError("exit code %s, want %s; stderr:\n%s" %
                                 (code, expect_code, "\n".join(self.stderr[-60:])))
        return code

    def fds(self):
        """Open file descriptors of the process (sockets included)."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class T:
    """Per-test helpers: assertions that say what was expected."""

    def __init__(self):
        self.servers = []

    def server(self, *args, **kw):
        s = Server(*args, **kw)
        self.servers.append(s)
        return s

    def eq(self, got, want, what=""):
        if got != want:
            raise AssertionError("%s: got %r, want %r" % (what or "value", got, want))

    def true(self, cond, what):
        if not cond:
            raise AssertionError(what)

    def error(self, r, status, code, what=""):
        """r is an error response with this status and error_code, shaped as documented."""
        self.eq(r.status, status, "%s status (%r)" % (what, r))
        self.true(isinstance(r.json, dict), "%s: body is not a JSON object: %r" % (what, r))
        self.eq(r.json.get("error_code"), code, what + " error_code")
        self.true(isinstance(r.json.get("message"), str) and r.json["message"],
                  what + ": message is missing")
        self.true(isinstance(r.json.get("technical_details"), dict),
                  what + ": technical_details is not an object")
        self.eq(r.json.get("request_id"), r.headers.get("x-request-id"), what + " request_id")
        if status == 503:
            self.true(isinstance(r.json.get("retry_after"), int) and r.json["retry_after"] >= 1,
                      what + ": retry_after missing on 503")
            self.eq(r.headers.get("retry-after"), str(r.json["retry_after"]), what + " Retry-After")

    def cleanup(self):
        for s in self.servers:
            s.kill()


class SharedServer:
    """One lakefront shared by the tests of a file, started on first use. A
    shared server that died fails the test that finds it dead (with its
    stderr), and the next test gets a new one."""

    def __init__(self):
        self.server = None

    def get(self):
        if self.server is not None and self.server.proc.poll() is not None:
            dead, self.server = self.server, None
            raise AssertionError("the shared lakefront exited with %s; stderr:\n%s" %
                                 (dead.proc.returncode, "\n".join(dead.stderr[-40:])))
        if self.server is None:
            self.server = Server()
        return self.server


def main_shared(namespace, shared):
    """main, then a clean stop of the shared server: a sanitizer report or a
    leak at exit makes its exit code non-zero, and that fails the file."""
    code = 1
    try:
        main(namespace)
    except SystemExit as e:
        code = e.code
    if shared.server is not None:
        try:
            shared.server.stop()
        except AssertionError as e:
            print("FAIL shared lakefront did not stop cleanly\n%s" % e, flush=True)
            code = 1
    sys.exit(code)


def main(namespace):
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    only = sys.argv[1:]
    passed = failed = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        t = T()
        start = time.time()
        try:
            fn(t)
            for s in t.servers:
                if s.proc.poll() is None:
                    s.stop()
                elif s.proc.returncode not in (0, None) and not getattr(s, "expect_dead", False):
                    raise AssertionError("lakefront exited with %s; stderr:\n%s" %
                                         (s.proc.returncode, "\n".join(s.stderr[-60:])))
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.time() - start), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)\n%s" % (name, time.time() - start, traceback.format_exc()),
                  flush=True)
        finally:
            t.cleanup()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed or not passed else 0)
