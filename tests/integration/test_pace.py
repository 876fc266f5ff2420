"""tests/load/pace, the open-loop generator whose latencies the load table reports: each
arrival of the measured window is sent and counted exactly once, from one event loop or
from several (-t), and the latencies of all loops are merged before the percentiles."""
import os
import socket
import subprocess
import tempfile

import lf

TABLE = "gold.customer_features"


def uri_file():
    """51 request targets: ids 1..50, which exist, then one that does not."""
    f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    for i in range(1, 51):
        f.write("/api/v1/tables/%s/rows/%d\n" % (TABLE, i))
    f.write("/api/v1/tables/%s/rows/999999999\n" % TABLE)
    f.close()
    return f.name


def pace(port, *args):
    path = uri_file()
    try:
        return subprocess.run([os.environ["PACE_BIN"], *args, "-i", path, "127.0.0.1:%d" % port],
                              capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(path)


def fields(out):
    """{"STATUS": {"200": "196", ...}, ...} from pace's KEY k=v ... lines."""
    return {line.split()[0]: dict(kv.split("=", 1) for kv in line.split()[1:])
            for line in out.splitlines() if line.strip()}


def check_window(t, port, loops):
    # 200 arrivals a second: arrival i is due 5 ms * i after the start. The
    # first 0.2 s (i < 40) are warm-up and the run ends 1 s later, so
    # i = 40..239 are measured. Arrival i asks for target i mod 51: the
    # missing id for i = 50, 101, 152 and 203.
    p = pace(port, "-c", "4", "-t", str(loops), "-r", "200", "-d", "1", "-w", "0.2")
    what = "%d loop(s): " % loops
    t.eq(p.returncode, 0, what + "exit status (stderr: %s)" % p.stderr)
    o = fields(p.stdout)
    t.eq(o["PACE"]["conns"], "4", what + "connections in all")
    t.eq(o["STATUS"], {"200": "196", "404": "4", "other": "0", "errors": "0", "timeout": "0"},
         what + "statuses of the measured arrivals")
    t.eq(o["OVER"]["of"], "200", what + "latencies merged")
    t.true("240 arrivals" in p.stderr, what + "arrivals sent in all, warm-up included (%s)" % p.stderr)


def test_one_loop_and_two_count_the_same_arrivals(t):
    s = t.server()
    check_window(t, s.port, 1)
    check_window(t, s.port, 2)
    check_window(t, s.port, 3)


def test_more_loops_than_connections_is_a_usage_error(t):
    s = t.server()
    p = pace(s.port, "-c", "2", "-t", "3", "-r", "10", "-d", "1")
    t.eq(p.returncode, 2, "exit status")
    t.true("each loop needs one" in p.stderr, "says why (%s)" % p.stderr)


def test_a_loop_that_cannot_connect_fails_the_run_without_hanging(t):
    # A port with nothing listening: each loop's first connect is refused.
    # The parent must see its loops give up and exit 1, not wait for them.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    p = pace(port, "-c", "2", "-t", "2", "-r", "10", "-d", "1")
    t.eq(p.returncode, 1, "exit status (stderr: %s)" % p.stderr)
    t.true("pace: connection 1:" in p.stderr, "says which connection failed (%s)" % p.stderr)
    t.true("a loop failed" in p.stderr, "says the run failed (%s)" % p.stderr)
    t.eq(p.stdout, "", "no report")


lf.main(globals())
