"""The REST API as users rely on it: the table catalog, row lookups by every
form of key, the error contract, request ids, HEAD and keep-alive.

Every request goes through req(), which also checks what every response
must have whatever the test: Content-Type application/json, an X-Request-Id,
no 5xx (every request here is either valid or a client mistake), and an
error body that never shows SQL or a prepared statement's name.

One lakefront serves every test of this file (started on first use); a test
that needs its own starts one with t.server().
"""
import json
import re
import socket
import threading
import urllib.parse
from decimal import Decimal

import lf

_shared = lf.SharedServer()


def server():
    """The lakefront shared by the tests of this file (lf.SharedServer)."""
    return _shared.get()


STMT_NAME = re.compile(r"\blf_[0-9a-f]{8,}")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def req(path, method="GET", headers=None, body=None, conn=None, s=None, allow_5xx=False):
    """One request; returns an lf.Response after checking the invariants of
    every response."""
    s = s or server()
    c = conn or s.connect()
    try:
        c.request(method, path, body=body, headers=headers or {})
        resp = c.getresponse()
        raw = resp.read()
        r = lf.Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                        raw.decode("utf-8") if raw else "")
    finally:
        if conn is None:
            c.close()
    what = "%s %s" % (method, path[:200])
    ct = r.headers.get("content-type", "")
    if ct.split(";")[0].strip() != "application/json":
        raise AssertionError("%s: Content-Type %r, want application/json (%r)" % (what, ct, r))
    rid = r.headers.get("x-request-id")
    if not rid:
        raise AssertionError("%s: no X-Request-Id (%r)" % (what, r))
    if r.status >= 500 and not allow_5xx:
        raise AssertionError("%s: server error for a request that is valid or a client "
                             "mistake: %r" % (what, r))
    if method == "HEAD":
        if r.body:
            raise AssertionError("%s: HEAD response has a body: %r" % (what, r))
    elif r.json is None:
        raise AssertionError("%s: body is not JSON: %r" % (what, r))
    if r.status >= 400 and method != "HEAD":
        if "SELECT" in r.body or STMT_NAME.search(r.body):
            raise AssertionError("%s: error body shows SQL or a statement name: %r" % (what, r))
        if r.json.get("request_id") != rid:
            raise AssertionError("%s: body request_id %r, header %r" %
                                 (what, r.json.get("request_id"), rid))
    return r


def parse(body):
    return json.loads(body, parse_float=Decimal, parse_int=int)


def q(s):
    """A path segment: every byte but the unreserved ones percent-encoded."""
    return urllib.parse.quote(s, safe="")


def rows_path(table, *parts):
    return "/api/v1/tables/%s/rows/%s" % (table, "/".join(q(str(p)) for p in parts))


def query_path(table, **params):
    return "/api/v1/tables/%s/rows?%s" % (
        table, "&".join("%s=%s" % (q(k), q(str(v))) for k, v in params.items()))


def hit(t, path, what=None):
    r = req(path)
    t.eq(r.status, 200, "%s status (%r)" % (what or path, r))
    return parse(r.body)


def row_not_found(t, path, table, key, what=None):
    r = req(path)
    t.error(r, 404, "ROW_NOT_FOUND", what or path)
    t.eq(r.json["technical_details"].get("table"), table, (what or path) + " details.table")
    t.eq(r.json["technical_details"].get("key"), key, (what or path) + " details.key")
    return r


def invalid_key(t, path, what=None, sqlstate=None):
    r = req(path)
    t.error(r, 400, "INVALID_KEY", what or path)
    if sqlstate is not None:
        t.eq(r.json["technical_details"].get("sqlstate"), sqlstate, (what or path) + " sqlstate")
    return r


def psql_json(sql):
    """The one JSON value a query returns, parsed exactly."""
    return parse(lf.psql(sql))


# ------------------------------------------------------------ catalog

# What Postgres says the service may serve: tables with a primary key that
# lakefront_app can SELECT (which needs USAGE on the schema too), partitions
# excluded, in the shape of /api/v1/tables.
CATALOG_SQL = r"""
SELECT coalesce(json_agg(t ORDER BY t.name COLLATE "C"), '[]') FROM (
  SELECT n.nspname || '.' || c.relname AS name, n.nspname AS schema, c.relname AS "table",
         (SELECT json_agg(a.attname ORDER BY k.ord)
            FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS primary_key,
         (SELECT json_agg(json_build_object('name', a.attname,
                                            'type', format_type(a.atttypid, a.atttypmod),
                                            'nullable', NOT a.attnotnull) ORDER BY a.attnum)
            FROM pg_attribute a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE i.indisprimary AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
     AND has_schema_privilege('lakefront_app', n.oid, 'USAGE')
     AND has_table_privilege('lakefront_app', c.oid, 'SELECT')
) t
"""


def test_tables_list_matches_the_postgres_catalog(t):
    # Its own server: the shared one may hold a catalog read while another
    # test had extra tables.
    s = t.server()
    r = req("/api/v1/tables", s=s)
    t.eq(r.status, 200, "status")
    t.eq(list(r.json.keys()), ["tables"], "top-level keys")
    tables = r.json["tables"]
    names = [x["name"] for x in tables]
    t.eq(names, sorted(names), "tables sorted by name")
    for want in ("gold.customer_features", "gold.daily_store_sales", "gold.products",
                 "lf_test.composite", "lf_test.fidelity", "lf_test.keys_text",
                 "lf_test.keys_int2", "lf_test.keys_int4", "lf_test.keys_uuid",
                 "lf_test.keys_date", "lf_test.keys_ts", "lf_test.keys_numeric"):
        t.true(want in names, "%s missing from %s" % (want, names))
    t.true("lf_test.nopk" not in names, "lf_test.nopk (no primary key) is listed")
    t.eq(tables, json.loads(lf.psql(CATALOG_SQL)), "tables against the Postgres catalog")
    for x in tables:
        t.eq(x["name"], x["schema"] + "." + x["table"], "name of %s" % x["name"])


def test_each_listed_table_is_served_alone(t):
    for x in req("/api/v1/tables").json["tables"]:
        r = req("/api/v1/tables/" + q(x["name"]))
        t.eq(r.status, 200, "GET /api/v1/tables/%s status" % x["name"])
        t.eq(r.json, x, "GET /api/v1/tables/%s" % x["name"])


def test_one_table_has_the_documented_shape(t):
    r = req("/api/v1/tables/lf_test.composite")
    t.eq(r.status, 200, "status")
    t.eq(r.json, {
        "name": "lf_test.composite", "schema": "lf_test", "table": "composite",
        "primary_key": ["a", "b", "c"],
        "columns": [
            {"name": "a", "type": "integer", "nullable": False},
            {"name": "b", "type": "text", "nullable": False},
            {"name": "c", "type": "date", "nullable": False},
            {"name": "payload", "type": "text", "nullable": True},
        ]}, "lf_test.composite")
    t.eq(list(r.json.keys()), ["name", "schema", "table", "primary_key", "columns"], "key order")
    r = req("/api/v1/tables/gold.daily_store_sales")
    t.eq(r.json["primary_key"], ["store_id", "sale_date"], "daily_store_sales primary_key")
    r = req("/api/v1/tables/lf_test.fidelity")
    types = {c["name"]: c["type"] for c in r.json["columns"]}
    for col, want in (("c_varchar", "character varying(50)"), ("c_numeric_38_10", "numeric(38,10)"),
                      ("c_timestamptz", "timestamp with time zone"), ("c_text_arr", "text[]"),
                      ("c_float8", "double precision"), ("c_int2", "smallint")):
        t.eq(types.get(col), want, "fidelity %s type" % col)


def test_table_without_a_key_or_select_is_not_served(t):
    r = req("/api/v1/tables/lf_test.nopk")
    t.error(r, 404, "TABLE_NOT_FOUND", "nopk")
    t.error(req("/api/v1/tables/lf_test.nopk/rows/1"), 404, "TABLE_NOT_FOUND", "nopk row")
    t.error(req("/api/v1/tables/lf_test.nopk/rows?x=1"), 404, "TABLE_NOT_FOUND", "nopk query")
    lf.psql("DROP TABLE IF EXISTS lf_test.api_no_select; "
            "CREATE TABLE lf_test.api_no_select (k int PRIMARY KEY); "
            "INSERT INTO lf_test.api_no_select VALUES (1); "
            "REVOKE ALL ON lf_test.api_no_select FROM lakefront_app")
    try:
        s = t.server()  # a catalog read after the table was made
        names = [x["name"] for x in req("/api/v1/tables", s=s).json["tables"]]
        t.true("lf_test.api_no_select" not in names, "a table without SELECT is listed")
        t.true("lf_test.composite" in names, "lf_test.composite is not listed")
        t.error(req("/api/v1/tables/lf_test.api_no_select/rows/1", s=s), 404, "TABLE_NOT_FOUND",
                "row of a table without SELECT")
    finally:
        lf.psql("DROP TABLE IF EXISTS lf_test.api_no_select")


def test_table_in_a_schema_without_usage_is_not_served(t):
    # SELECT on the table is not enough: without USAGE on its schema the
    # role cannot read it, so it must be neither listed nor looked up (a
    # lookup must not turn into a 502 "permission denied for schema").
    lf.psql("DROP SCHEMA IF EXISTS lf_api_hidden CASCADE; CREATE SCHEMA lf_api_hidden; "
            "CREATE TABLE lf_api_hidden.t (k int PRIMARY KEY); "
            "INSERT INTO lf_api_hidden.t VALUES (1); "
            "GRANT SELECT ON lf_api_hidden.t TO lakefront_app")
    try:
        s = t.server()  # a catalog read after the schema was made
        names = [x["name"] for x in req("/api/v1/tables", s=s).json["tables"]]
        r = req("/api/v1/tables/lf_api_hidden.t/rows/1", s=s, allow_5xx=True)
        t.true("lf_api_hidden.t" not in names and r.status == 404,
               "lf_api_hidden.t (SELECT granted, no USAGE on the schema): listed in "
               "/api/v1/tables: %s; GET /api/v1/tables/lf_api_hidden.t/rows/1 -> %r, want 404 "
               "TABLE_NOT_FOUND" % ("lf_api_hidden.t" in names, r))
        t.error(r, 404, "TABLE_NOT_FOUND", "row in a schema without USAGE")
        t.error(req("/api/v1/tables/lf_api_hidden.t", s=s), 404, "TABLE_NOT_FOUND",
                "table in a schema without USAGE")
    finally:
        lf.psql("DROP SCHEMA IF EXISTS lf_api_hidden CASCADE")


def test_unknown_table_is_404_table_not_found(t):
    for name in ("gold.nope", "nope", "gold.customer_features_x", "lf_test.", ".composite",
                 "gold.customer_features;DROP TABLE x", "gold.\"customer_features\""):
        for path in ("/api/v1/tables/" + q(name), "/api/v1/tables/%s/rows/1" % q(name),
                     "/api/v1/tables/%s/rows?k=1" % q(name)):
            r = req(path)
            t.error(r, 404, "TABLE_NOT_FOUND", path)
            t.eq(r.json["technical_details"].get("table"), name, path + " details.table")


def test_unknown_path_is_404_not_found(t):
    for path in ("/", "/api", "/api/v1", "/api/v2/tables", "/api/v1/tablesx", "/healthz/x",
                 "/readyz/x", "/api/v1/tables/gold.customer_features/rowsx/1",
                 "/api/v1/tables/gold.customer_features/columns",
                 "/API/V1/TABLES", "/favicon.ico",
                 "/api/v1/tables/gold.customer_features/x/rows/1"):
        r = req(path)
        t.error(r, 404, "NOT_FOUND", path)
        t.eq(r.json["technical_details"], {}, path + " technical_details")


# ------------------------------------------------------------ health

def test_healthz_and_readyz(t):
    r = req("/healthz")
    t.eq((r.status, r.json), (200, {"status": "ok"}), "/healthz")
    r = req("/readyz")
    t.eq((r.status, r.json), (200, {"status": "ready"}), "/readyz")


# ------------------------------------------------------------ methods

KNOWN_PATHS = ("/healthz", "/readyz", "/api/v1/tables", "/api/v1/tables/gold.customer_features",
               "/api/v1/tables/gold.customer_features/rows/42",
               "/api/v1/tables/gold.customer_features/rows?customer_id=42",
               "/api/v1/tables/lf_test.composite/rows/1/x/2024-01-01")


def test_other_methods_are_405_with_allow(t):
    s = server()
    conn = s.connect()
    try:
        for path in KNOWN_PATHS:
            for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
                body = b'{"customer_id": 1}' if method in ("POST", "PUT", "PATCH") else None
                r = req(path, method=method, body=body, conn=conn)
                what = "%s %s" % (method, path)
                t.error(r, 405, "METHOD_NOT_ALLOWED", what)
                t.eq(r.headers.get("allow"), "GET, HEAD", what + " Allow")
        # The connection is still good after the bodies of rejected requests.
        r = req("/api/v1/tables/gold.customer_features/rows/42", conn=conn)
        t.eq(r.status, 200, "GET after the 405s on the same connection")
        t.eq(r.json["customer_id"], 42, "customer_id")
    finally:
        conn.close()


def test_head_is_get_without_a_body(t):
    for path, status in (("/healthz", 200), ("/readyz", 200), ("/api/v1/tables", 200),
                         ("/api/v1/tables/lf_test.composite", 200),
                         ("/api/v1/tables/gold.customer_features/rows/42", 200),
                         ("/api/v1/tables/gold.customer_features/rows/0", 404),
                         ("/api/v1/tables/gold.customer_features/rows/abc", 400),
                         ("/api/v1/tables/gold.nope", 404), ("/nope", 404)):
        # The same id for both, so that error bodies are the same length.
        g = req(path, headers={"X-Request-Id": "head-check"})
        h = req(path, method="HEAD", headers={"X-Request-Id": "head-check"})
        t.eq(h.status, status, "HEAD %s status" % path)
        t.eq(g.status, status, "GET %s status" % path)
        t.eq(h.body, "", "HEAD %s body" % path)
        t.eq(h.headers.get("x-request-id"), "head-check", "HEAD %s X-Request-Id" % path)
        if "content-length" in h.headers:
            t.eq(int(h.headers["content-length"]), len(g.body.encode()),
                 "HEAD %s Content-Length" % path)
    # HEAD and then GET on one connection: the HEAD left nothing to read.
    conn = server().connect()
    try:
        req("/api/v1/tables/gold.customer_features/rows/7", method="HEAD", conn=conn)
        r = req("/api/v1/tables/gold.customer_features/rows/7", conn=conn)
        t.eq((r.status, r.json["customer_id"]), (200, 7), "GET after HEAD")
    finally:
        conn.close()


# ------------------------------------------------------------ rows

CUSTOMER = "gold.customer_features"


def test_customer_row_equals_postgres(t):
    ids = [1, 42, 99999, 100000] + [int(x) for x in lf.psql(
        "SELECT unnest(ARRAY[min(customer_id) FILTER (WHERE email IS NULL),"
        " min(customer_id) FILTER (WHERE last_seen_at IS NULL),"
        " min(customer_id) FILTER (WHERE churn_score IS NULL),"
        " min(customer_id) FILTER (WHERE tags IS NULL),"
        " min(customer_id) FILTER (WHERE preferences IS NULL),"
        " min(customer_id) FILTER (WHERE avatar IS NULL)]) FROM gold.customer_features").split()]
    for id in ids:
        got = hit(t, "/api/v1/tables/%s/rows/%d" % (CUSTOMER, id))
        want = psql_json("SET TimeZone = 'UTC'; SELECT to_jsonb(c) FROM gold.customer_features c "
                         "WHERE customer_id = %d" % id)
        t.eq(got, want, "customer %d against to_jsonb" % id)
        t.true(type(got["customer_id"]) is int and got["customer_id"] == id,
               "customer %d customer_id %r" % (id, got["customer_id"]))
    got = hit(t, "/api/v1/tables/%s/rows/42" % CUSTOMER)
    t.eq(got["customer_name"], "Frances Dijkstra", "customer 42 name")
    t.eq(got["lifetime_value"], Decimal("15701.145886"), "customer 42 lifetime_value")
    t.eq(got["last_seen_at"], "2025-05-22T05:45:23.321+00:00", "customer 42 last_seen_at")
    t.eq(got["preferences"], {"lang": "fr", "opt_in": False, "currency": "USD"},
         "customer 42 preferences")


def test_row_miss_is_404_row_not_found(t):
    for key in ("0", "-1", "100001", "9223372036854775807", "-9223372036854775808"):
        row_not_found(t, "/api/v1/tables/%s/rows/%s" % (CUSTOMER, key), CUSTOMER,
                      {"customer_id": key})
    row_not_found(t, "/api/v1/tables/%s/rows?customer_id=100001" % CUSTOMER, CUSTOMER,
                  {"customer_id": "100001"})
    # Composite: the key in primary-key order, each value as given.
    row_not_found(t, "/api/v1/tables/lf_test.composite/rows/1/x/2024-01-09", "lf_test.composite",
                  {"a": "1", "b": "x", "c": "2024-01-09"})
    row_not_found(t, "/api/v1/tables/lf_test.composite/rows?c=2024-01-09&b=x%2Fy&a=1",
                  "lf_test.composite", {"a": "1", "b": "x/y", "c": "2024-01-09"})
    r = row_not_found(t, "/api/v1/tables/gold.products/rows/" + q("no such\"sku\\"),
                      "gold.products", {"sku": "no such\"sku\\"})
    t.true(isinstance(r.json["message"], str), "message")


def test_composite_key_by_path(t):
    got = hit(t, "/api/v1/tables/gold.daily_store_sales/rows/42/2024-01-31")
    want = psql_json("SET TimeZone = 'UTC'; SELECT to_jsonb(s) FROM gold.daily_store_sales s "
                     "WHERE store_id = 42 AND sale_date = '2024-01-31'")
    t.eq(got, want, "daily_store_sales 42/2024-01-31")
    t.eq((got["store_id"], got["sale_date"]), (42, "2024-01-31"), "key columns")
    for a, b, c, payload in ((1, "x", "2024-01-01", "one x jan 1"),
                             (1, "x", "2024-01-02", "one x jan 2"),
                             (1, "y", "2024-01-01", "one y jan 1"),
                             (2, "a/b", "2024-02-29", "slash in the middle key"),
                             (2, "with space", "2024-02-29", "space in the middle key"),
                             (3, "", "2024-03-01", "empty middle key"),
                             (-1, "caf\u00e9", "1999-12-31", "negative and non-ASCII"),
                             (4, "100%", "2024-04-01", None)):
        path = rows_path("lf_test.composite", a, b, c)
        t.eq(hit(t, path), {"a": a, "b": b, "c": c, "payload": payload}, path)


def test_composite_key_by_query(t):
    want = hit(t, "/api/v1/tables/gold.daily_store_sales/rows/42/2024-01-31")
    for path in ("/api/v1/tables/gold.daily_store_sales/rows?store_id=42&sale_date=2024-01-31",
                 "/api/v1/tables/gold.daily_store_sales/rows?sale_date=2024-01-31&store_id=42"):
        t.eq(hit(t, path), want, path)
    for a, b, c, payload in ((2, "a/b", "2024-02-29", "slash in the middle key"),
                             (2, "with space", "2024-02-29", "space in the middle key"),
                             (3, "", "2024-03-01", "empty middle key"),
                             (-1, "caf\u00e9", "1999-12-31", "negative and non-ASCII"),
                             (4, "100%", "2024-04-01", None)):
        path = query_path("lf_test.composite", c=c, a=a, b=b)
        t.eq(hit(t, path), {"a": a, "b": b, "c": c, "payload": payload}, path)
    # Form encoding: "+" is a space in a query.
    t.eq(hit(t, "/api/v1/tables/lf_test.composite/rows?a=2&b=with+space&c=2024-02-29")["payload"],
         "space in the middle key", "b=with+space")


def test_query_form_works_for_single_key_tables(t):
    t.eq(hit(t, "/api/v1/tables/%s/rows?customer_id=42" % CUSTOMER),
         hit(t, "/api/v1/tables/%s/rows/42" % CUSTOMER), "customer 42 by query and by path")
    t.eq(hit(t, "/api/v1/tables/lf_test.keys_uuid/rows?k=a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
         {"k": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, "uuid by query")
    t.eq(hit(t, "/api/v1/tables/lf_test.keys_text/rows?k=a%2Fb"), {"k": "a/b", "v": 1},
         "text by query")
    t.eq(hit(t, "/api/v1/tables/gold.products/rows?sku=SKU-000001")["sku"], "SKU-000001",
         "products by query")
    # Parameter names are percent-decoded like their values.
    t.eq(hit(t, "/api/v1/tables/%s/rows?customer%%5Fid=42" % CUSTOMER)["customer_id"], 42,
         "customer%5Fid=42")


def test_wrong_number_of_key_parts_is_400(t):
    for path in ("/api/v1/tables/gold.daily_store_sales/rows/42",
                 "/api/v1/tables/gold.daily_store_sales/rows/42/2024-01-31/x",
                 "/api/v1/tables/gold.daily_store_sales/rows/42/2024-01-31/",
                 "/api/v1/tables/gold.daily_store_sales/rows",
                 "/api/v1/tables/lf_test.composite/rows/1/x",
                 "/api/v1/tables/lf_test.composite/rows/1/x/2024-01-01/y",
                 "/api/v1/tables/%s/rows/1/2" % CUSTOMER,
                 "/api/v1/tables/%s/rows" % CUSTOMER,
                 "/api/v1/tables/%s/rows/" % CUSTOMER,  # one empty part: not a bigint
                 "/api/v1/tables/lf_test.keys_text/rows/a/b",
                 "/api/v1/tables/%s/rows/1/../2" % CUSTOMER):
        r = invalid_key(t, path)
        t.true(r.json["technical_details"].get("table") in (None, path.split("/")[4]),
               "%s details.table %r" % (path, r.json["technical_details"]))


def test_key_parameter_mistakes_are_400(t):
    base = "/api/v1/tables/gold.daily_store_sales/rows"
    for path in (base + "?store_id=42",                                       # missing
                 base + "?sale_date=2024-01-31",                              # missing
                 base + "?store_id=42&sale_date=2024-01-31&x=1",              # unknown
                 base + "?store_id=42&sale_date=2024-01-31&store_id=42",      # duplicate
                 base + "?store_id=42&store_id=43&sale_date=2024-01-31",      # duplicate
                 base + "?STORE_ID=42&sale_date=2024-01-31",                  # unknown (case)
                 base + "/42/2024-01-31?store_id=42&sale_date=2024-01-31",    # both forms
                 base + "/42/2024-01-31?store_id=42",                         # both forms
                 "/api/v1/tables/%s/rows/42?customer_id=42" % CUSTOMER,       # both forms
                 "/api/v1/tables/%s/rows?customer=42" % CUSTOMER,             # unknown
                 "/api/v1/tables/%s/rows?customer_id=1&customer_id=1" % CUSTOMER):
        invalid_key(t, path)


def text_keys():
    """{key: v} of lf_test.keys_text, read from Postgres (keys may hold any character)."""
    return {k: v for k, v in psql_json(
        "SELECT json_agg(json_build_array(k, v) ORDER BY v) FROM lf_test.keys_text")}


def test_every_hostile_text_key_by_path_and_by_query(t):
    keys = text_keys()
    t.true(len(keys) >= 13, "lf_test.keys_text has %d rows" % len(keys))
    for k, v in keys.items():
        want = {"k": k, "v": v}
        t.eq(hit(t, "/api/v1/tables/lf_test.keys_text/rows/" + q(k), "path %r" % k), want,
             "by path %r" % k)
        t.eq(hit(t, "/api/v1/tables/lf_test.keys_text/rows?k=" + q(k), "query %r" % k), want,
             "by query %r" % k)
        t.eq(hit(t, "/api/v1/tables/lf_test.keys_text/rows?" +
                 urllib.parse.urlencode({"k": k}), "form %r" % k), want, "by form query %r" % k)
        # Each one is a miss when changed by one character: nothing matched by accident.
        row_not_found(t, "/api/v1/tables/lf_test.keys_text/rows/" + q(k + "~"),
                      "lf_test.keys_text", {"k": k + "~"})


def test_every_awkward_product_sku_by_path_and_by_query(t):
    skus = psql_json("SELECT json_agg(sku ORDER BY sku) FROM gold.products "
                     "WHERE sku NOT LIKE 'SKU-%'")
    t.true(len(skus) >= 29, "awkward skus: %d" % len(skus))
    for sku in skus:
        want = psql_json("SET TimeZone = 'UTC'; SELECT to_jsonb(p) FROM gold.products p "
                         "WHERE sku = %s" % dollar_quote(sku))
        t.eq(hit(t, "/api/v1/tables/gold.products/rows/" + q(sku)), want, "by path %r" % sku)
        t.eq(hit(t, "/api/v1/tables/gold.products/rows?sku=" + q(sku)), want, "by query %r" % sku)


def dollar_quote(text):
    n = 0
    while "$q%d$" % n in text:
        n += 1
    return "$q%d$%s$q%d$" % (n, text, n)


def test_sql_in_a_key_is_only_a_value(t):
    T = "lf_test.keys_text"
    for k in ("'; DROP TABLE lf_test.keys_text; --", "' OR '1'='1", "1' OR 1=1 --", "$1",
              "\\'", "a\"; --"):
        row_not_found(t, rows_path(T, k), T, {"k": k})
        row_not_found(t, query_path(T, k=k), T, {"k": k})
    r = invalid_key(t, rows_path(CUSTOMER, "1 OR 1=1"), "bigint with SQL")
    t.eq(r.json["technical_details"].get("table"), CUSTOMER, "details.table")
    t.eq(hit(t, rows_path(T, "a/b")), {"k": "a/b", "v": 1}, "keys_text still there")


def test_plus_is_literal_in_a_path_and_a_space_in_a_query(t):
    T = "/api/v1/tables/lf_test.keys_text/rows"
    t.eq(hit(t, T + "/plus+sign"), {"k": "plus+sign", "v": 6}, "path plus+sign")
    t.eq(hit(t, T + "/plus%2Bsign"), {"k": "plus+sign", "v": 6}, "path plus%2Bsign")
    row_not_found(t, T + "?k=plus+sign", "lf_test.keys_text", {"k": "plus sign"})
    t.eq(hit(t, T + "?k=plus%2Bsign"), {"k": "plus+sign", "v": 6}, "query plus%2Bsign")
    row_not_found(t, T + "/with+space", "lf_test.keys_text", {"k": "with+space"})
    t.eq(hit(t, T + "/with%20space"), {"k": "with space", "v": 5}, "path with%20space")
    t.eq(hit(t, T + "?k=with+space"), {"k": "with space", "v": 5}, "query with+space")
    t.eq(hit(t, T + "?k=with%20space"), {"k": "with space", "v": 5}, "query with%20space")
    t.eq(hit(t, "/api/v1/tables/gold.products/rows/a+b")["sku"], "a+b", "products path a+b")
    # Escapes are decoded once: "%252F" is the key "%2F", never "/".
    t.eq(hit(t, T + "/%252F"), {"k": "%2F", "v": 12}, "path %252F")
    t.eq(hit(t, T + "?k=%252F"), {"k": "%2F", "v": 12}, "query %252F")
    t.eq(hit(t, T + "/a%2Fb"), {"k": "a/b", "v": 1}, "path a%2Fb")
    t.eq(hit(t, T + "/a%2fb"), {"k": "a/b", "v": 1}, "path a%2fb (lower-case escape)")
    # Dot segments are keys like any other, not path navigation.
    row_not_found(t, T + "/..", "lf_test.keys_text", {"k": ".."})
    row_not_found(t, T + "/.", "lf_test.keys_text", {"k": "."})
    t.eq(hit(t, T + "/a.b"), {"k": "a.b", "v": 4}, "path a.b")


def test_integer_key_boundaries(t):
    for table, lo, hi in (("lf_test.keys_int2", -32768, 32767),
                          ("lf_test.keys_int4", -2147483648, 2147483647)):
        for k in (lo, hi, 0, -1):
            t.eq(hit(t, rows_path(table, k)), {"k": k}, "%s %d" % (table, k))
            t.eq(hit(t, query_path(table, k=k)), {"k": k}, "%s ?k=%d" % (table, k))
        for k in (hi + 1, lo - 1, hi * 10, "1.5", "abc", "", "1e3", "--1", "1-"):
            invalid_key(t, rows_path(table, k), "%s %r" % (table, k))
            invalid_key(t, query_path(table, k=k), "%s ?k=%r" % (table, k))
    t.eq(hit(t, rows_path(CUSTOMER, 1))["customer_id"], 1, "bigint 1")
    for k in ("9223372036854775807", "-9223372036854775808"):
        row_not_found(t, rows_path(CUSTOMER, k), CUSTOMER, {"customer_id": k})
    for k in ("9223372036854775808", "-9223372036854775809", "99999999999999999999",
              "18446744073709551616", "18446744073709551615", "abc", "1.5", "0x2A", "42abc"):
        r = invalid_key(t, rows_path(CUSTOMER, k), "bigint %s" % k)
        invalid_key(t, query_path(CUSTOMER, customer_id=k), "bigint ?customer_id=%s" % k)
        t.eq(r.json["technical_details"].get("table"), CUSTOMER, "bigint %s details.table" % k)
    invalid_key(t, "/api/v1/tables/gold.daily_store_sales/rows/2147483648/2024-01-31",
                "int4 part of a composite key")


def test_odd_integer_spellings_are_never_server_errors(t):
    # Whether these are 400 or a lookup is the service's choice; a crash or a
    # 5xx is not.
    for k in ("+42", "042", " 42", "42 ", "\t42", "-0", "+", "-", "0042", "1_000",
              "\u0664\u0662", "\uff14\uff12"):
        r = req(rows_path(CUSTOMER, k))
        t.true(r.status in (200, 400, 404), "bigint %r: %r" % (k, r))
        if r.status == 200:
            t.eq(r.json["customer_id"], int(k.strip().replace("_", "")), "bigint %r row" % k)
        else:
            t.error(r, r.status, "INVALID_KEY" if r.status == 400 else "ROW_NOT_FOUND",
                    "bigint %r" % k)


def test_uuid_keys(t):
    T = "lf_test.keys_uuid"
    for k in ("00000000-0000-0000-0000-000000000000", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
              "ffffffff-ffff-ffff-ffff-ffffffffffff"):
        t.eq(hit(t, rows_path(T, k)), {"k": k}, "uuid %s" % k)
        t.eq(hit(t, query_path(T, k=k)), {"k": k}, "uuid ?k=%s" % k)
    # Postgres' own spellings of the same uuid find the same row.
    t.eq(hit(t, rows_path(T, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")),
         {"k": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, "upper-case uuid")
    t.eq(hit(t, rows_path(T, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}")),
         {"k": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, "braced uuid")
    row_not_found(t, rows_path(T, "11111111-1111-1111-1111-111111111111"), T,
                  {"k": "11111111-1111-1111-1111-111111111111"})
    for k in ("not-a-uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "zzzzzzzz-9c0b-4ef8-bb6d-6bb9bd380a11",
              "", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11x"):
        r = invalid_key(t, rows_path(T, k), "uuid %r" % k, sqlstate="22P02")
        t.eq(r.json["technical_details"].get("key"), {"k": k}, "uuid %r details.key" % k)
        invalid_key(t, query_path(T, k=k), "uuid ?k=%r" % k, sqlstate="22P02")


def test_date_keys(t):
    T = "lf_test.keys_date"
    for k in ("2024-02-29", "1999-12-31", "2000-01-01", "1970-01-01"):
        t.eq(hit(t, rows_path(T, k)), {"k": k}, "date %s" % k)
        t.eq(hit(t, query_path(T, k=k)), {"k": k}, "date ?k=%s" % k)
    row_not_found(t, rows_path(T, "2024-03-01"), T, {"k": "2024-03-01"})
    for k in ("2024-13-45", "2023-02-29", "2024-02-30"):
        r = invalid_key(t, rows_path(T, k), "date %s" % k, sqlstate="22008")
        t.eq(r.json["technical_details"].get("key"), {"k": k}, "date %s details.key" % k)
        t.eq(r.json["technical_details"].get("table"), T, "date %s details.table" % k)
        invalid_key(t, query_path(T, k=k), "date ?k=%s" % k, sqlstate="22008")
    for k in ("abc", "2024-02", ""):
        invalid_key(t, rows_path(T, k), "date %r" % k, sqlstate="22007")


def test_timestamptz_keys(t):
    T = "lf_test.keys_ts"
    for k, want in (("2024-06-30 12:34:56.789+00", "2024-06-30T12:34:56.789+00:00"),
                    ("2024-06-30T12:34:56.789Z", "2024-06-30T12:34:56.789+00:00"),
                    ("2024-06-30T14:34:56.789+02:00", "2024-06-30T12:34:56.789+00:00"),
                    ("2024-01-01 00:00:00+00", "2024-01-01T00:00:00+00:00"),
                    ("2024-02-29T23:59:59.999999+00:00", "2024-02-29T23:59:59.999999+00:00"),
                    ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00")):
        t.eq(hit(t, rows_path(T, k)), {"k": want}, "timestamptz path %r" % k)
        t.eq(hit(t, query_path(T, k=k)), {"k": want}, "timestamptz query %r" % k)
    # A literal "+" in a path segment is a plus sign.
    t.eq(hit(t, "/api/v1/tables/lf_test.keys_ts/rows/2024-06-30T12:34:56.789+00:00"),
         {"k": "2024-06-30T12:34:56.789+00:00"}, "timestamptz with a raw + in the path")
    row_not_found(t, rows_path(T, "2024-06-30T12:34:56.788Z"), T, {"k": "2024-06-30T12:34:56.788Z"})
    for k in ("not a time", "2024-06-31T00:00:00Z", "2024-06-30T25:00:00Z"):
        r = invalid_key(t, rows_path(T, k), "timestamptz %r" % k)
        t.true(r.json["technical_details"].get("sqlstate", "").startswith("22"),
               "timestamptz %r sqlstate %r" % (k, r.json["technical_details"]))


def test_numeric_keys(t):
    T = "lf_test.keys_numeric"
    for k, want in (("0", 0), ("1.5", Decimal("1.5")), ("1.50", Decimal("1.5")),
                    ("-2.25", Decimal("-2.25")), ("42", 42), ("42.000", 42),
                    ("12345678901234567890.123456789", Decimal("12345678901234567890.123456789"))):
        got = hit(t, rows_path(T, k))
        t.eq(got, {"k": want}, "numeric %s" % k)
        t.eq(hit(t, query_path(T, k=k)), {"k": want}, "numeric ?k=%s" % k)
    r = req(rows_path(T, "12345678901234567890.123456789"))
    t.true('"k":12345678901234567890.123456789' in r.body, "numeric digits kept: %s" % r.body)
    row_not_found(t, rows_path(T, "12345678901234567890.12345678"), T,
                  {"k": "12345678901234567890.12345678"})
    row_not_found(t, rows_path(T, "NaN"), T, {"k": "NaN"})
    for k in ("abc", "1.2.3", "", "1,5"):
        invalid_key(t, rows_path(T, k), "numeric %r" % k, sqlstate="22P02")


def test_keys_with_a_modifier_a_domain_or_a_composite_type(t):
    # The key is compared as its base type with no length: never cut to fit.
    for T, k, want in (("lf_test.keys_varchar", "abcde", {"k": "abcde", "v": 1}),
                       ("lf_test.keys_varchar", "abcdefgh", None),
                       ("lf_test.keys_bpchar", "abc", {"k": "abc  ", "v": 2}),
                       ("lf_test.keys_bpchar", "abc  ", {"k": "abc  ", "v": 2}),
                       ("lf_test.keys_domain", "abc", {"k": "abc", "v": 1}),
                       ("lf_test.keys_domain", "abcd", None),
                       ("lf_test.keys_price", "1.01", {"k": Decimal("1.01"), "v": 1}),
                       ("lf_test.keys_price", "1.005", None),
                       ("lf_test.keys_pair", "(1,)", {"k": "(1,)", "v": 1}),
                       ("lf_test.keys_pair", "(1,2)", {"k": "(1,2)", "v": 2})):
        if want is None:
            t.eq(req(rows_path(T, k)).status, 404, "%s %r is no row" % (T, k))
        else:
            t.eq(hit(t, rows_path(T, k)), want, "%s %r" % (T, k))


def test_malformed_percent_escapes_are_400(t):
    T = "/api/v1/tables/lf_test.keys_text/rows"
    for path in (T + "/%", T + "/%4", T + "/%zz", T + "/a%2", T + "/a%G1b", T + "/%%41",
                 T + "?k=%", T + "?k=%4", T + "?k=%zz", T + "?k%=1", T + "?%=1",
                 "/api/v1/tables/lf_test.composite/rows/1/%x/2024-01-01",
                 "/api/v1/tables/gold.daily_store_sales/rows?store_id=4%2&sale_date=2024-01-31"):
        invalid_key(t, path)


def test_nul_byte_is_400(t):
    T = "/api/v1/tables/lf_test.keys_text/rows"
    for path in (T + "/%00", T + "/a%00b", T + "?k=%00", T + "?k=a%00", T + "?k%00=a",
                 "/api/v1/tables/%s/rows/4%%002" % CUSTOMER):
        invalid_key(t, path)


def test_invalid_utf8_is_400(t):
    T = "/api/v1/tables/lf_test.keys_text/rows"
    for bad in ("%C3%28", "%FF", "%C3", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%82",
                "%80", "caf%E9"):
        invalid_key(t, T + "/" + bad, "path " + bad)
        invalid_key(t, T + "?k=" + bad, "query " + bad)
    invalid_key(t, "/api/v1/tables/lf_test.composite/rows/1/%C3%28/2024-01-01", "composite part")
    # Valid multi-byte UTF-8 is fine.
    t.eq(hit(t, T + "/%F0%9F%9A%80"), {"k": "\U0001F680", "v": 8}, "4-byte rocket")


def test_long_keys_are_a_json_404_or_400(t):
    T = "/api/v1/tables/lf_test.keys_text/rows"
    k = "x" * 2000
    row_not_found(t, T + "/" + k, "lf_test.keys_text", {"k": k})
    row_not_found(t, T + "?k=" + k, "lf_test.keys_text", {"k": k})
    k = "\u00e9" * 1000  # 2000 bytes, 6000 characters encoded
    row_not_found(t, T + "/" + q(k), "lf_test.keys_text", {"k": k})
    r = invalid_key(t, rows_path(CUSTOMER, "9" * 2000), "2000-digit bigint")
    t.true(len(r.body) < 2000, "the error echoes a 2000-digit key whole (%d bytes)" % len(r.body))
    invalid_key(t, rows_path("lf_test.keys_date", "2" * 2000), "2000-digit date")
    invalid_key(t, rows_path("lf_test.keys_numeric", "1" * 2000 + "x"), "2000-digit numeric")
    t.eq(req("/healthz").status, 200, "still alive")


def test_a_request_too_big_to_read_is_refused_and_the_server_lives_on(t):
    # Beyond libmicrohttpd's per-connection memory the request is refused
    # (414) by libmicrohttpd itself, before lakefront sees it: that answer is
    # libmicrohttpd's HTML page, without X-Request-Id, so only the status and
    # the server's survival are asserted here.
    c = server().connect()
    try:
        c.request("GET", "/api/v1/tables/lf_test.keys_text/rows/" + "x" * 60000)
        r = c.getresponse()
        r.read()
        t.true(400 <= r.status < 500, "status %d for a 60000-byte URL" % r.status)
    finally:
        c.close()
    t.eq(req("/healthz").status, 200, "still alive")
    t.eq(hit(t, "/api/v1/tables/%s/rows/42" % CUSTOMER)["customer_id"], 42, "still serving")


# ------------------------------------------------------------ request ids

def test_request_id_is_echoed_when_plain(t):
    for rid in ("abc", "A-Z_a.z:0-9", "x" * 71, "0", "req:2024-01-31T12:00:00.123Z",
                "f" * 32):
        for path in ("/healthz", "/api/v1/tables/%s/rows/42" % CUSTOMER,
                     "/api/v1/tables/%s/rows/0" % CUSTOMER, "/nope"):
            r = req(path, headers={"X-Request-Id": rid})
            t.eq(r.headers.get("x-request-id"), rid, "%s echo of %r" % (path, rid))
            if r.status >= 400:
                t.eq(r.json["request_id"], rid, "%s body request_id" % path)
    r = req("/api/v1/tables", method="POST", headers={"X-Request-Id": "post-1"})
    t.eq((r.status, r.headers.get("x-request-id"), r.json["request_id"]), (405, "post-1", "post-1"),
         "405 echo")
    r = req("/api/v1/tables/lf_test.keys_date/rows/2024-13-45", headers={"X-Request-Id": "bad-date"})
    t.eq((r.status, r.json["request_id"]), (400, "bad-date"), "Postgres-rejected key echo")


def test_request_id_is_generated_when_absent_or_not_plain(t):
    seen = set()
    for rid in (None, "", "has space", "x" * 72, "x" * 200, "semi;colon", "slash/x", "q\"uote",
                "caf\u00e9", "tab\tx", "<script>", "a,b", "a=b", "{}"):
        for path in ("/healthz", "/api/v1/tables/%s/rows/0" % CUSTOMER):
            headers = {} if rid is None else {"X-Request-Id": rid.encode("utf-8")}
            r = req(path, headers=headers)
            got = r.headers.get("x-request-id")
            t.true(HEX32.match(got or ""), "%s with X-Request-Id %r: got id %r, want 32 hex "
                                           "characters" % (path, rid, got))
            if r.status >= 400:
                t.eq(r.json["request_id"], got, "%s body request_id" % path)
            t.true(got not in seen, "generated id %r seen twice" % got)
            seen.add(got)


# ------------------------------------------------------------ connections

def test_keep_alive_200_requests_on_one_connection(t):
    s = server()
    conn = s.connect()
    try:
        req("/healthz", conn=conn)
        sock = conn.sock
        t.true(sock is not None, "connection open after the first request")
        for i in range(1, 201):
            r = req("/api/v1/tables/%s/rows/%d" % (CUSTOMER, i), conn=conn)
            t.eq(r.status, 200, "request %d status" % i)
            t.eq(r.json["customer_id"], i, "request %d customer_id" % i)
            t.true(r.headers.get("connection", "").lower() != "close",
                   "request %d: server closes the connection" % i)
            t.true(conn.sock is sock, "request %d went over a new connection" % i)
    finally:
        conn.close()


def test_keep_alive_survives_errors(t):
    s = server()
    conn = s.connect()
    try:
        req("/healthz", conn=conn)
        sock = conn.sock
        for i in range(20):
            for path, method, body, status in (
                    ("/api/v1/tables/%s/rows/%d" % (CUSTOMER, i + 1), "GET", None, 200),
                    ("/api/v1/tables/%s/rows/0" % CUSTOMER, "GET", None, 404),
                    ("/api/v1/tables/%s/rows/abc" % CUSTOMER, "GET", None, 400),
                    ("/api/v1/tables/lf_test.keys_date/rows/2024-13-45", "GET", None, 400),
                    ("/api/v1/tables/lf_test.keys_text/rows/%C3%28", "GET", None, 400),
                    ("/nope", "GET", None, 404),
                    ("/api/v1/tables/gold.nope", "GET", None, 404),
                    ("/api/v1/tables", "POST", b"x" * 1000, 405),
                    ("/api/v1/tables/%s/rows/1" % CUSTOMER, "HEAD", None, 200)):
                r = req(path, method=method, body=body, conn=conn)
                t.eq(r.status, status, "%s %s round %d" % (method, path, i))
                t.true(conn.sock is sock, "%s %s round %d: new connection" % (method, path, i))
    finally:
        conn.close()


def read_response(f):
    """(status, headers, body) of one HTTP/1.1 response with a Content-Length, from f."""
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, f.read(int(headers["content-length"]))


def test_pipelined_requests_are_answered_in_order(t):
    # Several requests written at once on one connection (HTTP/1.1
    # pipelining): each gets its own response, in order.
    ids = [5, 0, 6, "abc", 7, 8]
    raw = b"".join(b"GET /api/v1/tables/gold.customer_features/rows/%s HTTP/1.1\r\nHost: x\r\n"
                   b"X-Request-Id: p%d\r\n\r\n" % (str(k).encode(), n) for n, k in enumerate(ids))
    sock = socket.create_connection(("127.0.0.1", server().port), timeout=10)
    try:
        sock.sendall(raw)
        f = sock.makefile("rb")
        for n, k in enumerate(ids):
            status, headers, body = read_response(f)
            t.eq(headers.get("x-request-id"), "p%d" % n, "response %d X-Request-Id" % n)
            t.eq(headers.get("content-type"), "application/json", "response %d Content-Type" % n)
            obj = json.loads(body)
            if k == 0:
                t.eq((status, obj["error_code"]), (404, "ROW_NOT_FOUND"), "response %d" % n)
            elif k == "abc":
                t.eq((status, obj["error_code"]), (400, "INVALID_KEY"), "response %d" % n)
            else:
                t.eq((status, obj["customer_id"]), (200, k), "response %d" % n)
    finally:
        sock.close()


def test_concurrent_lookups_each_get_their_own_answer(t):
    # Many clients at once, so that lookups share Postgres connections (and
    # pipelines): every response must be the one for its own request, and a
    # key that Postgres rejects must not disturb the lookups beside it.
    s = server()
    failures = []

    def client(n):
        conn = s.connect()
        try:
            for i in range(60):
                id = 1 + (n * 7919 + i * 104729) % 100000
                kind = i % 4
                try:
                    if kind == 3:
                        r = req("/api/v1/tables/lf_test.keys_date/rows/2024-13-%02d" % (i % 60),
                                conn=conn)
                        if (r.status, r.json["error_code"]) != (400, "INVALID_KEY"):
                            failures.append("client %d request %d: %r" % (n, i, r))
                    elif kind == 2:
                        r = req("/api/v1/tables/%s/rows/%d" % (CUSTOMER, -id), conn=conn)
                        if (r.status, r.json["technical_details"].get("key")) != \
                                (404, {"customer_id": str(-id)}):
                            failures.append("client %d request %d: %r" % (n, i, r))
                    else:
                        r = req("/api/v1/tables/%s/rows/%d" % (CUSTOMER, id), conn=conn)
                        if r.status != 200 or r.json.get("customer_id") != id:
                            failures.append("client %d request %d (customer %d): %r" %
                                            (n, i, id, r))
                except Exception as e:  # noqa: BLE001 - reported below
                    failures.append("client %d request %d: %s" % (n, i, e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(24)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    t.true(not any(th.is_alive() for th in threads), "clients still running after 120 s")
    t.true(not failures, "%d failures, the first:\n%s" % (len(failures), "\n".join(failures[:10])))


if __name__ == "__main__":
    lf.main_shared(globals(), _shared)
