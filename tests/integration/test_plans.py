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
        s = t.server()
        # More than five executions of each statement: a custom plan is certain for the
        # first five when Postgres chooses. Sequential requests, so that each single-row
        # lookup goes alone, as the merged "= ANY" statement with one key.
        for i in range(8):
            t.eq(s.get("/api/v1/tables/%s/rows/%d" % (CF, i + 1)).status, 200, "row %d" % (i + 1))
            t.eq(s.get("/api/v1/tables/%s/rows/%d?select=customer_id" % (CF, i + 1)).status,
                 200, "row %d, one column" % (i + 1))
            t.eq(post_lookup(s, [i + 1, i + 2, 999999999]), 200, "batch %d" % i)
        s.stop()
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            text = f.read()
    finally:
        lf.psql("ALTER ROLE %s RESET session_preload_libraries" % role)
        lf.psql("ALTER ROLE %s RESET auto_explain.log_min_duration" % role)
        lf.psql("ALTER ROLE %s RESET auto_explain.log_verbose" % role)

    ours = [(q, conds) for q, conds in plans_in(text) if "customer_features" in q]
    # 8 single-row lookups, 8 selections and 8 batches, each one execution or more.
    t.true(len(ours) >= 24, "auto_explain logged %d plans of lookups, want 24 or more:\n%s"
           % (len(ours), text[-3000:]))
    for q, conds in ours:
        t.true(any("$1" in c for c in conds),
               "a lookup's plan names no parameter: %s\n  %s" % (q, conds))
        for cond in conds:
            t.true("'" not in cond, "a custom plan (the value written in): %s\n  for %s" % (cond, q))


lf.main(globals())
