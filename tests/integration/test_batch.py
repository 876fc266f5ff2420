"""Batch lookups, POST /api/v1/tables/{table}/lookup, as frontends use them:
one entry per key in the order asked, null for a key with no row, every
form of a key, numbers kept digit for digit, and each error of the body
with its status, code and the index of the key at fault.

Every row a batch returns is compared with what the single-row endpoint
returns for the same key: a batch must never be a second, different
encoding of a row.
"""
import json
import urllib.parse

import lf

_shared = lf.SharedServer()

CF = "gold.customer_features"
SALES = "gold.daily_store_sales"


def server():
    return _shared.get()


def post(path, body, ctype="application/json", s=None, conn=None, headers=None):
    """POST body (bytes, str, or an object sent as JSON) and read the answer."""
    s = s or server()
    c = conn or s.connect()
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    h = {"Content-Type": ctype} if ctype is not None else {}
    h.update(headers or {})
    try:
        c.request("POST", path, body=body, headers=h)
        resp = c.getresponse()
        raw = resp.read()
        r = lf.Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                        raw.decode("utf-8") if raw else "")
    finally:
        if conn is None:
            c.close()
    if r.headers.get("content-type", "").split(";")[0] != "application/json":
        raise AssertionError("POST %s: Content-Type %r" % (path, r.headers.get("content-type")))
    if r.status >= 500:
        raise AssertionError("POST %s: server error %r" % (path, r))
    return r


def lookup(table, body, **kw):
    return post("/api/v1/tables/%s/lookup" % table, body, **kw)


def single(table, *parts):
    """The single-row endpoint's JSON for a key (None on 404)."""
    path = "/api/v1/tables/%s/rows/%s" % (table, "/".join(urllib.parse.quote(str(p), safe="") for p in parts))
    r = server().get(path)
    if r.status == 404:
        return None
    assert r.status == 200, r
    return r.json


# ------------------------------------------------------------------ answers

def test_rows_in_the_order_of_the_keys_with_nulls_and_duplicates(t):
    keys = [5, 3, 999999999, 5, 1, 4]
    r = lookup(CF, {"keys": keys})
    t.eq(r.status, 200, "status")
    t.eq(list(r.json.keys()), ["rows"], "top-level keys")
    rows = r.json["rows"]
    t.eq(len(rows), len(keys), "one entry per key")
    for k, row in zip(keys, rows):
        t.eq(row, single(CF, k), "entry for key %s equals GET .../rows/%s" % (k, k))
    t.eq(rows[2], None, "a key with no row gives null")
    t.eq(rows[0], rows[3], "a repeated key gets its own, equal entry")


def test_raw_body_is_the_same_bytes_as_single_rows(t):
    # Stronger than comparing parsed JSON: the very same encoding.
    s = server()
    c = s.connect()
    c.request("POST", "/api/v1/tables/%s/lookup" % CF, body='{"keys":[7,8]}',
              headers={"Content-Type": "application/json"})
    raw = c.getresponse().read().decode()
    c.close()
    one = s.get("/api/v1/tables/%s/rows/7" % CF).body
    two = s.get("/api/v1/tables/%s/rows/8" % CF).body
    t.eq(raw, '{"rows":[%s,%s]}' % (one, two), "batch body")


def test_every_form_of_a_key(t):
    want = single(SALES, 1, "2024-01-01")
    t.true(want is not None, "fixture row exists")
    forms = [
        [1, "2024-01-01"],
        ["1", "2024-01-01"],
        {"store_id": 1, "sale_date": "2024-01-01"},
        {"sale_date": "2024-01-01", "store_id": 1},
    ]
    r = lookup(SALES, {"keys": forms})
    t.eq(r.status, 200, "status %r" % r)
    t.eq(r.json["rows"], [want] * len(forms), "all forms find the row")
    # One-column keys: bare value, one-element array, object; number or string.
    cf = single(CF, 42)
    r = lookup(CF, {"keys": [42, "42", [42], ["42"], {"customer_id": 42}]})
    t.eq(r.json["rows"], [cf] * 5, "one-column forms")


def test_composite_key_with_text_and_date(t):
    keys = [[2, "a/b", "2024-02-29"], [-1, "café", "1999-12-31"], [3, "", "2024-03-01"],
            [1, "x", "2024-01-03"]]
    r = lookup("lf_test.composite", {"keys": keys})
    t.eq(r.status, 200, "status %r" % r)
    got = [row and row["payload"] for row in r.json["rows"]]
    t.eq(got, ["slash in the middle key", "negative and non-ASCII", "empty middle key", None],
         "payloads")


def test_bigints_beyond_2_53_keep_their_digits(t):
    r = lookup("lf_test.keys_int8", '{"keys":[9007199254740993, 9007199254740992,'
               ' "9007199254740993", 9223372036854775807, -9223372036854775808]}')
    t.eq(r.status, 200, "status %r" % r)
    t.eq([row["v"] for row in r.json["rows"]],
         ["two to the 53, plus one", "two to the 53", "two to the 53, plus one", "max", "min"],
         "each number found its own row")
    # The key comes back as a JSON number with every digit.
    c = server().connect()
    c.request("POST", "/api/v1/tables/lf_test.keys_int8/lookup",
              body='{"keys":[9007199254740993]}', headers={"Content-Type": "application/json"})
    raw = c.getresponse().read().decode()
    c.close()
    t.true('"k":9007199254740993,' in raw, "digits in %s" % raw)


def test_values_are_not_truncated_or_rounded_to_the_column_type(t):
    r = lookup("lf_test.keys_varchar", {"keys": ["abcde", "abcdefgh", "ab"]})
    t.eq([row and row["v"] for row in r.json["rows"]], [1, None, 2],
         "varchar(5): a longer value is no match, not cut to fit")
    r = lookup("lf_test.keys_money", {"keys": [1.25, 1.254, "1.250", 1]})
    t.eq([row and row["v"] for row in r.json["rows"]], [1, None, 1, 2],
         "numeric(10,2): 1.254 is not rounded to 1.25")
    # Without a length, "character" and "bit" mean length 1: the cast must
    # not turn 'abc' into 'a' (a wrong row) or '1011' into '1' (a miss).
    r = lookup("lf_test.keys_bpchar", {"keys": ["abc", "a", "abd", "abc  "]})
    t.eq([row and row["v"] for row in r.json["rows"]], [2, 1, None, 2],
         "char(5): 'abc' is not cut to 'a'; trailing blanks do not count, as in char comparison")
    r = lookup("lf_test.keys_bit", {"keys": ["1011", "1000", "1", "10110"]})
    t.eq([row and row["v"] for row in r.json["rows"]], [2, 1, None, None], "bit(4)")
    # A domain keeps its base type's length and precision: a cast to the
    # domain would turn 'abcd' into 'abc' and 1.005 into 1.01.
    r = lookup("lf_test.keys_domain", {"keys": ["abcd", "abc", "ab", "ab "]})
    t.eq([row and row["v"] for row in r.json["rows"]], [None, 1, 2, 2], "domain over char(3)")
    r = lookup("lf_test.keys_price", {"keys": ["1.005", "1.01", 2, "2.001"]})
    t.eq([row and row["v"] for row in r.json["rows"]], [None, 1, 2, None],
         "domain over numeric(8,2)")
    # "found" means a row was joined, also for a composite key with a NULL field.
    r = lookup("lf_test.keys_pair", {"keys": ["(1,)", "(1,2)", "(2,)"]})
    t.eq([row and row["v"] for row in r.json["rows"]], [1, 2, None], "composite key")


def test_text_keys_with_quotes_braces_and_backslashes(t):
    keys = ['quote"s', "back\\slash", "", "a/b", "🚀", "NULL", "{x}", "a,b"]
    r = lookup("lf_test.keys_text", {"keys": keys})
    t.eq(r.status, 200, "status %r" % r)
    got = [row and row["v"] for row in r.json["rows"]]
    t.eq(got, [10, 11, 9, 1, 8, None, None, None], "values")


def test_empty_batch(t):
    r = lookup(CF, {"keys": []})
    t.eq((r.status, r.json), (200, {"rows": []}), "empty keys")


def test_content_type_parameters_are_accepted(t):
    r = lookup(CF, {"keys": [1]}, ctype="Application/JSON; charset=utf-8")
    t.eq(r.status, 200, "status %r" % r)


def test_connection_stays_open_after_errors(t):
    s = server()
    c = s.connect()
    for body, status in (('{"keys":[1]}', 200), ("not json", 400), ('{"keys":[{"x":1}]}', 400),
                         ('{"keys":[2]}', 200)):
        r = lookup(CF, body, conn=c)
        t.eq(r.status, status, "status for %s" % body)
    c.close()


# ------------------------------------------------------------------ errors

def test_body_errors(t):
    cases = [
        ("not json", "INVALID_BODY"),
        ("", "INVALID_BODY"),
        ("[1, 2]", "INVALID_BODY"),
        ('"keys"', "INVALID_BODY"),
        ("{}", "INVALID_BODY"),
        ('{"keys": 1}', "INVALID_BODY"),
        ('{"keys": {"customer_id": 1}}', "INVALID_BODY"),
        ('{"keys": [1], "keys": [2]}', "INVALID_BODY"),
        ('{"keys": [1], "limit": 5}', "INVALID_BODY"),
        ('{"keys": [1]} {"keys": [2]}', "INVALID_BODY"),
        ('{"keys": [1]', "INVALID_BODY"),
        ('{"keys": [1], "select": "customer_id"}', "INVALID_BODY"),
        ('{"keys": [1], "select": [1]}', "INVALID_BODY"),
    ]
    for body, code in cases:
        r = lookup(CF, body)
        t.error(r, 400, code, "body %r" % body)
        t.eq(r.json["technical_details"].get("table"), CF, "table named for %r" % body)


def test_key_errors_name_the_index(t):
    cases = [
        (SALES, [[1, "2024-01-01"], [1]], 1),                   # too few values
        (SALES, [[1, "2024-01-01", 3]], 0),                     # too many
        (SALES, [[1, "2024-01-01"], {"store_id": 1}], 1),       # a column missing
        (SALES, [{"store_id": 1, "sale_date": "2024-01-01", "x": 2}], 0),  # unknown column
        (SALES, '{"keys":[{"store_id":1,"store_id":2,"sale_date":"2024-01-01"}]}', 0),
        (SALES, [[1, "2024-01-01"], [1, "2024-01-01"], 1], 2),  # bare value, 2-column key
        (CF, [1, 2, None], 2),
        (CF, [True], 0),
        (CF, [1, [[1]]], 1),
        (CF, [1, {"customer_id": [1]}], 1),
        (CF, [1, 2, 3, "x4"], 3),                               # not an integer (checked here)
        (CF, [1, 1.5], 1),
        (CF, ["99999999999999999999"], 0),                      # out of range for bigint
    ]
    for table, keys, index in cases:
        body = keys if isinstance(keys, str) else json.dumps({"keys": keys})
        r = lookup(table, body)
        t.error(r, 400, "INVALID_KEY", "keys %s" % body)
        t.eq(r.json["technical_details"].get("index"), index, "index for %s" % body)


def test_a_value_postgres_refuses_is_found_by_index(t):
    good = [[1, "2024-01-0%d" % d] for d in range(1, 8)]
    for at in (0, 3, 6, 7):
        keys = list(good)
        keys.insert(at, [1, "2024-02-30"])
        r = lookup(SALES, {"keys": keys})
        t.error(r, 400, "INVALID_KEY", "bad date at %d" % at)
        d = r.json["technical_details"]
        t.eq(d.get("index"), at, "index of the bad date")
        t.eq(d.get("sqlstate"), "22008", "sqlstate")
        t.true("2024-02-30" in r.json["message"], "message names the value: %r" % r.json["message"])
    r = lookup("lf_test.keys_uuid", {"keys": ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "nope"]})
    t.error(r, 400, "INVALID_KEY", "bad uuid")
    t.eq(r.json["technical_details"].get("index"), 1, "index of the bad uuid")


def test_unsupported_media_type(t):
    for ctype in (None, "text/plain", "application/x-www-form-urlencoded",
                  "application/jsonx"):
        r = lookup(CF, '{"keys":[1]}', ctype=ctype)
        t.error(r, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type %r" % ctype)


def test_unknown_table_and_wrong_method(t):
    r = lookup("gold.nope", {"keys": [1]})
    t.error(r, 404, "TABLE_NOT_FOUND", "unknown table")
    r = server().get("/api/v1/tables/%s/lookup" % CF)
    t.error(r, 405, "METHOD_NOT_ALLOWED", "GET on lookup")
    t.eq(r.headers.get("allow"), "POST", "Allow header")
    r = post("/api/v1/tables/%s/rows/1" % CF, {"keys": [1]})
    t.error(r, 405, "METHOD_NOT_ALLOWED", "POST on a row")


def test_limits(t):
    s = t.server(["--batch-max-keys", "3", "--max-body-bytes", "2048"])
    r = lookup(CF, {"keys": [1, 2, 3]}, s=s)
    t.eq(r.status, 200, "three keys at a limit of three")
    r = lookup(CF, {"keys": [1, 2, 3, 4]}, s=s)
    t.error(r, 413, "BATCH_TOO_LARGE", "four keys")
    t.eq(r.json["technical_details"].get("max_keys"), 3, "max_keys")
    # Past the limit the rest of the body is not parsed: garbage after the
    # fourth key does not turn the answer into a 400.
    r = lookup(CF, '{"keys":[1,2,3,4, this is not json', s=s)
    t.error(r, 413, "BATCH_TOO_LARGE", "too many keys, then garbage")

    big = json.dumps({"keys": [1] * 2, "select": ["customer_id"] * 400})
    t.true(len(big) > 2048, "body over the limit")
    r = lookup(CF, big, s=s)
    t.error(r, 413, "BODY_TOO_LARGE", "declared length over the limit")
    t.eq(r.json["technical_details"].get("max_body_bytes"), 2048, "max_body_bytes")

    # Chunked: no length up front; refused once the limit is passed.
    c = s.connect()
    c.putrequest("POST", "/api/v1/tables/%s/lookup" % CF)
    c.putheader("Content-Type", "application/json")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = (" " * 1000).encode()
    for _ in range(3):
        c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    c.send(b"0\r\n\r\n")
    resp = c.getresponse()
    body = json.loads(resp.read())
    t.eq((resp.status, body["error_code"]), (413, "BODY_TOO_LARGE"), "chunked over the limit")
    c.close()


def test_big_batch_is_one_statement(t):
    keys = list(range(1, 1001))
    r = lookup(CF, {"keys": keys})
    t.eq(r.status, 200, "status")
    t.eq([row["customer_id"] for row in r.json["rows"]], keys, "1000 rows in order")


if __name__ == "__main__":
    lf.main_shared(globals(), _shared)
