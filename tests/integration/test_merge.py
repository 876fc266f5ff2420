"""Merged lookups (pool.c): single-row lookups of one table that meet in one loop turn are
answered by one execution of the table's batch statement. A client must not be able to tell:
under a burst that queues behind a lock, every request gets exactly the status, body and ETag
it gets alone, with hits, misses, duplicates, composite and quoted keys, char(n) keys, domain
and composite-type keys, keys
Postgres refuses (the merged statement fails and each lookup goes again alone) and column
selections (never merged) all mixed in. The burst must really merge: the merged-statement
counters of /metrics rise.

Lookups of a single integer key merge into "key = ANY($1)", whose rows come back found-only and
in no set order: each must still get its own row, whatever the spelling of its key.

A worker keeps one batch in flight: what arrives meanwhile waits in lakefront, not in
Postgres, and goes together when the round trip returns, unless a whole batch (the pipeline
depth) is waiting, which goes at once on another connection. The wait is bounded
(--merge-wait-us): a round trip stuck behind a lock does not hold other tables' lookups.
"""
import urllib.parse

import lf

CF = "/api/v1/tables/gold.customer_features/rows/%s"


def q(v):
    return urllib.parse.quote(v, safe="")


def burst_paths():
    paths = [CF % i for i in (1, 2, 3, 5, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610)]
    paths += [CF % 999999999, CF % 0, CF % "abc"]  # misses, and a key lakefront itself refuses
    paths += [CF % 7 + "?select=customer_id", CF % 9 + "?select=customer_id"]
    paths += ["/api/v1/tables/lf_test.keys_text/rows/" + q(k)
              for k in ('quote"s', "back\\slash", "{x}", "NULL", "a,b", "🚀", "with space")]
    paths += ["/api/v1/tables/lf_test.composite/rows/1/x/2024-01-01",
              "/api/v1/tables/lf_test.composite/rows/2/" + q("a/b") + "/2024-02-29",
              "/api/v1/tables/lf_test.composite/rows/1/x/2024-01-02",
              "/api/v1/tables/lf_test.composite/rows/9/z/2024-01-01"]
    paths += ["/api/v1/tables/lf_test.keys_uuid/rows/a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
              "/api/v1/tables/lf_test.keys_uuid/rows/not-a-uuid",
              "/api/v1/tables/lf_test.keys_uuid/rows/00000000-0000-0000-0000-000000000000",
              "/api/v1/tables/lf_test.keys_date/rows/2024-02-29",
              "/api/v1/tables/lf_test.keys_date/rows/2024-02-30",
              "/api/v1/tables/lf_test.keys_bpchar/rows/abc",
              "/api/v1/tables/lf_test.keys_bpchar/rows/a",
              "/api/v1/tables/lf_test.keys_domain/rows/abcd",
              "/api/v1/tables/lf_test.keys_domain/rows/abc",
              "/api/v1/tables/lf_test.keys_price/rows/1.005",
              "/api/v1/tables/lf_test.keys_price/rows/1.01",
              "/api/v1/tables/lf_test.keys_pair/rows/" + q("(1,)"),
              "/api/v1/tables/lf_test.keys_pair/rows/" + q("(1,2)")]
    # Integer keys merge as "= ANY": the rows come back found-only and unordered, and each
    # lookup is matched to its row by value, whatever its spelling (+42, 042).
    paths += ["/api/v1/tables/lf_test.keys_int2/rows/%s" % k
              for k in ("-32768", "0", "5", "32767", "+1", "001")]
    paths += ["/api/v1/tables/lf_test.keys_int4/rows/%s" % k
              for k in ("-1", "42", "+42", "042", "7", "2147483647")]
    paths += ["/api/v1/tables/lf_test.keys_int8/rows/%s" % k
              for k in ("9007199254740993", "9007199254740992", "9223372036854775807",
                        "-9223372036854775808", "-09223372036854775808", "12")]
    return paths


def answer(r):
    """What a client sees, minus the per-request id."""
    body = r.json if r.json is not None else r.body
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "request_id"}
    return r.status, body, r.headers.get("etag")


def merged(s):
    text = s.get("/metrics").body
    vals = {}
    for line in text.splitlines():
        if line.startswith("lakefront_db_merged_"):
            name, v = line.split(" ")
            vals[name] = float(v)
    return vals["lakefront_db_merged_statements_total"], vals["lakefront_db_merged_lookups_total"]


def test_a_burst_gets_the_answers_each_request_gets_alone(t):
    s = t.server(["--workers", "1", "--pool-size", "1", "--pipeline-depth", "8",
                  "--request-timeout-ms", "30000"])
    paths = burst_paths()
    alone = {p: answer(s.get(p)) for p in paths}
    st0, lk0 = merged(s)
    t.eq((st0, lk0), (0.0, 0.0), "lookups one at a time are never merged")

    # The first lookup blocks on the lock and holds the connection's pipeline: Postgres
    # answers in order. Everything else piles up behind it, in the ring and the queue.
    b = lf.Behind(t, s, list(enumerate(paths * 2)), answer)
    try:
        b.send()
    finally:
        b.finish()
    got = b.got
    for i, p in enumerate(paths * 2):
        t.eq(got.get(i), alone[p], "request %d, %s" % (i, p))

    st, lk = merged(s)
    t.true(st >= 1 and lk >= 2 * st, "the burst was merged: %d statements, %d lookups" % (st, lk))
    t.eq(s.get("/api/v1/tables/lf_test.keys_uuid/rows/not-a-uuid").status, 400, "still a 400")


def queue_depth(s):
    return s.get("/api/v1/status").json["queue"]["depth"]


def active_backends():
    return int(lf.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                       "'lakefront' AND state = 'active' AND query NOT LIKE '%pg_index%'").strip())


def test_lookups_wait_for_the_round_trip_in_flight_and_go_together(t):
    s = t.server(["--workers", "1", "--pool-size", "4", "--pipeline-depth", "8",
                  "--merge-wait-us", "10000000", "--request-timeout-ms", "30000"])
    ids = list(range(1, 21))
    alone = {i: answer(s.get(CF % i)) for i in ids}
    st0, lk0 = merged(s)

    b = lf.Behind(t, s, [(i, CF % i) for i in ids], answer)
    got = b.got
    try:
        b.send()
        # Three connections are idle, yet 20 lookups of another table do not go while the
        # blocked round trip is out: two whole batches of 8 go (and are answered), and the
        # last 4 wait in lakefront's queue, not at Postgres.
        lf.wait_for(lambda: len(got) == 16, 20, "two whole batches answered")
        lf.wait_for(lambda: queue_depth(s) == 4, 20, "four lookups queued")
        t.eq(active_backends(), 1, "only the blocked round trip is at Postgres")
    finally:
        b.finish()
    for i in ids:
        t.eq(got.get(i), alone[i], "request %d" % i)
    st, lk = merged(s)
    t.eq((st - st0, lk - lk0), (3.0, 20.0), "three statements for twenty lookups: 8, 8 and 4")


def test_a_round_trip_stuck_behind_a_lock_does_not_hold_other_tables(t):
    # The default wait (1 ms): the gate's round trip is stuck until the lock goes, and lookups
    # of another table, on the same worker, are answered while it is still held.
    s = t.server(["--workers", "1", "--pool-size", "4", "--request-timeout-ms", "30000"])
    ids = list(range(1, 11))
    alone = {i: answer(s.get(CF % i)) for i in ids}
    b = lf.Behind(t, s, [(i, CF % i) for i in ids], answer)
    try:
        b.send()
        lf.wait_for(lambda: len(b.got) == len(ids), 20, "the other table's lookups answered")
        t.eq(lf.lock_waiters(), 1, "while the lock is still held")
        for i in ids:
            t.eq(b.got.get(i), alone[i], "request %d" % i)
    finally:
        b.finish()


if __name__ == "__main__":
    lf.main(globals())
