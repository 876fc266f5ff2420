"""Column selection, ?select=a,b on the row endpoints and "select" in a
batch: the row objects hold exactly the named columns, in the order named,
with the very values the full row has; key columns only when named; names
matched exactly; each mistake a 400 INVALID_SELECT naming the column.
"""
import json
import urllib.parse

import lf

_shared = lf.SharedServer()

CF = "gold.customer_features"
SALES = "gold.daily_store_sales"


def server():
    return _shared.get()


def get(path, s=None, conn=None):
    r = (s or server()).get(path, conn=conn)
    if r.status >= 500:
        raise AssertionError("GET %s: %r" % (path, r))
    return r


def lookup(table, body, query="", s=None):
    c = (s or server()).connect()
    try:
        c.request("POST", "/api/v1/tables/%s/lookup%s" % (table, query), body=json.dumps(body),
                  headers={"Content-Type": "application/json"})
        resp = c.getresponse()
        return lf.Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                           resp.read().decode())
    finally:
        c.close()


def raw_members(body):
    """The member names of a JSON object in the order they were written."""
    return [k for k, _ in json.loads(body, object_pairs_hook=lambda pairs: pairs)]


def test_path_form_gives_exactly_the_named_columns_in_order(t):
    full = get("/api/v1/tables/%s/rows/5" % CF).json
    r = get("/api/v1/tables/%s/rows/5?select=email,lifetime_value,customer_id" % CF)
    t.eq(r.status, 200, "status %r" % r)
    t.eq(raw_members(r.body), ["email", "lifetime_value", "customer_id"], "members in order")
    for k in ("email", "lifetime_value", "customer_id"):
        t.eq(r.json[k], full[k], "value of %s" % k)


def test_key_columns_only_when_named(t):
    r = get("/api/v1/tables/%s/rows/1/2024-01-01?select=region,net_sales" % SALES)
    t.eq(r.status, 200, "status %r" % r)
    t.eq(sorted(r.json), ["net_sales", "region"], "no key columns unless named")


def test_query_form(t):
    full = get("/api/v1/tables/%s/rows?store_id=1&sale_date=2024-01-01" % SALES).json
    r = get("/api/v1/tables/%s/rows?select=units_sold,sale_date&store_id=1&sale_date=2024-01-01"
            % SALES)
    t.eq(r.status, 200, "status %r" % r)
    t.eq(r.json, {"units_sold": full["units_sold"], "sale_date": full["sale_date"]}, "row")


def test_batch_body_and_query_select(t):
    want = [{"email": get("/api/v1/tables/%s/rows/%d" % (CF, k)).json["email"]} for k in (3, 4)]
    r = lookup(CF, {"keys": [3, 4, 0], "select": ["email"]})
    t.eq(r.status, 200, "status %r" % r)
    t.eq(r.json["rows"], want + [None], "body select, a miss still null")
    r = lookup(CF, {"keys": [3, 4, 0]}, query="?select=email")
    t.eq(r.json["rows"], want + [None], "query select on a batch")
    r = lookup(SALES, {"keys": [[1, "2024-01-01"]], "select": ["store_id", "region"]})
    t.eq(list(r.json["rows"][0]), ["store_id", "region"], "composite key, key column named")


def test_exact_names_quoting_and_commas(t):
    base = "/api/v1/tables/lf_test.odd_columns/rows/1"
    r = get(base + "?select=CamelCase,camelcase")
    t.eq(r.json, {"CamelCase": "Camel", "camelcase": "lower"}, "case matters")
    r = get(base + "?select=" + urllib.parse.quote("a,b", safe="") + ",Id")
    t.eq(r.json, {"a,b": "comma", "Id": 1}, "%2C is part of a name, not a separator")
    r = get(base + "?select=with+space")
    t.eq(r.json, {"with space": "space"}, "+ is a space in a query value")
    r = get(base + "?select=a,b")
    t.error(r, 400, "INVALID_SELECT", "a raw comma splits")
    t.eq(r.json["technical_details"].get("column"), "a", "the unknown name")
    r = lookup("lf_test.odd_columns", {"keys": [1], "select": ["a,b", "CamelCase"]})
    t.eq(r.json["rows"], [{"a,b": "comma", "CamelCase": "Camel"}], "body names are whole")


def test_a_key_called_select_is_a_key(t):
    r = get("/api/v1/tables/lf_test.select_key/rows?select=email")
    t.eq((r.status, r.json), (200, {"select": "email", "v": 1}), "select is the key here")


def test_errors(t):
    cases = [
        ("/api/v1/tables/%s/rows/5?select=nope" % CF, "nope"),
        ("/api/v1/tables/%s/rows/5?select=email,nope" % CF, "nope"),
        ("/api/v1/tables/%s/rows/5?select=email,email" % CF, "email"),
        ("/api/v1/tables/%s/rows/5?select=" % CF, ""),
        ("/api/v1/tables/%s/rows/5?select=email," % CF, ""),
        ("/api/v1/tables/%s/rows/5?select=Email" % CF, "Email"),
        ("/api/v1/tables/%s/rows/5?select=email&select=country_code" % CF, None),
    ]
    for path, column in cases:
        r = get(path)
        t.error(r, 400, "INVALID_SELECT", path)
        t.eq(r.json["technical_details"].get("column"), column, "column named for %s" % path)
    for body, query in (({"keys": [1], "select": []}, ""), ({"keys": [1], "select": ["x"]}, ""),
                        ({"keys": [1], "select": ["email"]}, "?select=email")):
        r = lookup(CF, body, query=query)
        t.error(r, 400, "INVALID_SELECT", "batch %r %s" % (body, query))


def test_many_selections_on_one_connection(t):
    # One database connection, more distinct selections than it keeps
    # prepared: the ones past the limit are sent unprepared, same answers.
    s = t.server(["--workers", "1", "--pool-size", "1"])
    cols = [x["name"] for x in get("/api/v1/tables/%s" % CF, s=s).json["columns"]]
    full = get("/api/v1/tables/%s/rows/9" % CF, s=s).json
    c = s.connect()
    n = 0
    for i in range(len(cols)):
        for j in range(len(cols)):
            if i == j:
                continue
            pick = [cols[i], cols[j]]
            r = get("/api/v1/tables/%s/rows/9?select=%s" % (CF, ",".join(pick)), s=s, conn=c)
            t.eq(r.json, {k: full[k] for k in pick}, "selection %s" % pick)
            n += 1
            if n >= 80:
                break
        if n >= 80:
            break
    c.close()
    t.true(n >= 80, "asked %d selections" % n)


if __name__ == "__main__":
    lf.main_shared(globals(), _shared)
