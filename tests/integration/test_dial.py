"""Opening a database connection does not hold the requests of its worker.

libpq looks the database's host name up with a blocking getaddrinfo inside
PQconnectStartParams; a worker that opened its own connections stood still
for as long as the resolver took, at every start, lifetime recycle and
reconnect (server/dial.h). To make the resolver slow on purpose, this file
runs itself again in a mount namespace of its own (unshare -m), where
/etc/resolv.conf names a DNS server of ours on 127.0.0.153 that answers each
query DELAY seconds late, with 127.0.0.1 for A and nothing for AAAA.
lakefront reaches the test cluster through that name. Needs root, as CI
runs."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

NAME = "lakefront-db.test"
DNS_ADDR = "127.0.0.153"
DELAY = 1.5

if os.environ.get("LF_DIAL_NS") != "1":
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("FAIL test_dial needs root and unshare(1) to give lakefront a slow resolver",
              flush=True)
        sys.exit(1)
    os.environ["LF_DIAL_NS"] = "1"
    os.execvp("unshare", ["unshare", "-m", "--", sys.executable, os.path.abspath(__file__)] +
              sys.argv[1:])

import lf  # noqa: E402 (only inside the namespace)

queries = []


def slow_dns():
    """Answers every query DELAY seconds late, each on its own thread."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((DNS_ADDR, 53))

    def answer(data, addr):
        time.sleep(DELAY)
        i = 12
        while data[i] != 0:
            i += data[i] + 1
        qtype = struct.unpack(">H", data[i + 1:i + 3])[0]
        question = data[12:i + 5]
        name = []
        j = 12
        while data[j] != 0:
            name.append(data[j + 1:j + 1 + data[j]].decode("ascii", "replace"))
            j += data[j] + 1
        queries.append((".".join(name), qtype))
        if qtype == 1 and ".".join(name) == NAME:
            head = data[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
            rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
        else:
            head = data[:2] + struct.pack(">HHHHH", 0x8180, 1, 0, 0, 0)
            rr = b""
        s.sendto(head + question + rr, addr)

    while True:
        data, addr = s.recvfrom(512)
        threading.Thread(target=answer, args=(data, addr), daemon=True).start()


def setup_namespace():
    conf = tempfile.NamedTemporaryFile("w", suffix=".resolv.conf", delete=False)
    conf.write("nameserver %s\noptions timeout:10 attempts:1\n" % DNS_ADDR)
    conf.close()
    subprocess.run(["mount", "--bind", conf.name, "/etc/resolv.conf"], check=True)
    threading.Thread(target=slow_dns, daemon=True).start()


def reconnects(s):
    for line in s.get("/metrics").body.splitlines():
        if line.startswith("lakefront_db_reconnects_total "):
            return int(float(line.split()[1]))
    raise AssertionError("no lakefront_db_reconnects_total in /metrics")


def test_lookups_answered_while_a_connection_looks_its_host_up(t):
    # One worker, two connections replaced every second: while one of them
    # waits DELAY s for the resolver, the other serves every lookup.
    s = t.server(["--workers", "1", "--pool-size", "2", "--conn-max-lifetime-s", "1"],
                 env={"PGHOST": NAME})
    t.true(any(q == (NAME, 1) for q in queries), "lakefront asked our resolver for %s" % NAME)
    before = reconnects(s)
    conn = s.connect(timeout=15)
    slowest, n = 0.0, 0
    end = time.time() + 3 * DELAY + 2
    while time.time() < end:
        start = time.time()
        r = s.get("/api/v1/tables/gold.customer_features/rows/%d" % (1 + n % 1000), conn=conn)
        slowest = max(slowest, time.time() - start)
        t.eq(r.status, 200, "lookup %d" % n)
        n += 1
    conn.close()
    after = reconnects(s)
    t.true(after - before >= 2, "connections were replaced meanwhile (%d)" % (after - before))
    # Before connections were opened off the loop, each replacement held
    # every lookup of the worker for DELAY seconds.
    t.true(slowest < DELAY / 2, "slowest of %d lookups took %.3f s, while %d connections were "
           "replaced" % (n, slowest, after - before))


setup_namespace()
lf.main(globals())
