"""Generic plans (server/session.c): lakefront's sessions run with plan_cache_mode =
force_generic_plan, so each statement it prepares is planned once per connection. Left to
choose, Postgres plans each of a statement's first five executions for the parameter values
at hand, and keeps doing so for a batch statement of a few keys, because the generic plan's
cost assumes ten array elements: three to four times the backend CPU per key
(tests/load/README.md, entry 15). No response shows which plan ran, so this test asks
Postgres. auto_explain, loaded into the application role's new sessions, logs the plan of
every execution (verbose); a generic plan names the parameter ($1) in its index condition or
function call, a custom plan has the value written in.
"""
import http.client
import json
import os
import re

import lf

CF = "gold.customer_features"
ROW = "/api/v1/tables/gold.customer_features/rows/%d"


def post_lookup(s, keys):
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    try:
        c.request("POST", "/api/v1/tables/%s/lookup" % CF, body=json.dumps({"keys": keys}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def plans_in(text):
    """(query text, [index conditions and function calls]) of each auto_explain entry in a
    server log: where a plan shows its parameters."""
    out = []
    for entry in re.split(r"\n(?=\S)", text):
        if "plan:" not in entry or "Query Text:" not in entry:
            continue
        query = re.search(r"Query Text: (.*)", entry).group(1)
        out.append((query, re.findall(r"(?:Index Cond|Function Call): (.*)", entry)))
    return out


def test_every_execution_runs_the_generic_plan(t):
    env = lf.pg_env()
    role = env["PGUSER"]
    log = env["LF_PG_LOG"]
    lf.psql("ALTER ROLE %s SET session_preload_libraries = 'auto_explain'" % role)
    lf.psql("ALTER ROLE %s SET auto_explain.log_min_duration = 0" % role)
    lf.psql("ALTER ROLE %s SET auto_explain.log_verbose = on" % role)
    try:
        start = os.path.getsize(log)
        s = t.server(["--workers", "1", "--pool-size", "2", "--pipeline-depth", "8",
                      "--merge-wait-us", "10000000", "--request-timeout-ms", "30000"])
        # Each statement a few times, one request at a time: a lookup alone goes as the
        # table's own statement, a selection as its own, a batch as the unnest statement.
        # When Postgres chooses, the first five executions of each are custom plans.
        for i in range(1, 4):
            t.eq(s.get(ROW % i).status, 200, "row %d" % i)
            t.eq(s.get(ROW % i + "?select=customer_id").status, 200, "row %d, one column" % i)
            t.eq(post_lookup(s, [i, i + 1, 999999999]), 200, "batch %d" % i)
        # Eight lookups queued behind a lookup of another table that waits for a lock: with a
        # pipeline depth of 8 they go together, as one merged "= ANY" statement.
        b = lf.Behind(t, s, [(i, ROW % i) for i in range(11, 19)], lambda r: r.status)
        try:
            b.send()
        finally:
            b.finish()
        t.eq([b.got.get(i) for i in range(11, 19)], [200] * 8, "the merged lookups")
        s.stop()
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            text = f.read()
    finally:
        lf.psql("ALTER ROLE %s RESET session_preload_libraries" % role)
        lf.psql("ALTER ROLE %s RESET auto_explain.log_min_duration" % role)
        lf.psql("ALTER ROLE %s RESET auto_explain.log_verbose" % role)

    ours = [(q, conds) for q, conds in plans_in(text) if "customer_features" in q]
    kinds = {"a lookup alone": "= $1", "the merged statement": "= ANY($1", "a batch": "unnest($1"}
    for kind, mark in kinds.items():
        t.true(any(mark in q for q, _ in ours), "no plan of %s (%r) in the log:\n%s"
               % (kind, mark, "\n".join(q for q, _ in ours) or text[-3000:]))
    for q, conds in ours:
        t.true(any("$1" in c for c in conds),
               "a lookup's plan names no parameter: %s\n  %s" % (q, conds))
        for cond in conds:
            t.true("'" not in cond, "a custom plan (the value written in): %s\n  for %s" % (cond, q))


lf.main(globals())
