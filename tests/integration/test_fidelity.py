"""JSON fidelity: every row of lf_test.fidelity, as lakefront serves it, equals
Postgres's own to_jsonb(row) in a session with TimeZone=UTC, value for value.

Proved twice: (1) in Postgres, by sending lakefront's body back as a jsonb
literal and comparing it with to_jsonb(row) (jsonb equality compares numbers
by value); (2) in Python, by parsing the body with Decimal floats and exact
ints and checking the values that a careless encoder gets wrong (int8 above
2^53, 40-digit numerics, NaN and the infinities, control characters, time
zones, bytea, arrays with NULLs, nested jsonb).

One lakefront serves every test of this file (started on first use); a test
that needs other settings starts its own.
"""
import json
import re
from decimal import Decimal

import lf

TABLE = "lf_test.fidelity"

_shared = lf.SharedServer()


def server():
    """The lakefront shared by the tests of this file (lf.SharedServer)."""
    return _shared.get()


def parse(body):
    """Exact parse: every JSON number that is not an integer becomes a Decimal."""
    return json.loads(body, parse_float=Decimal, parse_int=int)


def get_row(t, id, s=None):
    r = (s or server()).get("/api/v1/tables/%s/rows/%d" % (TABLE, id))
    t.eq(r.status, 200, "GET row %d status (%r)" % (id, r))
    t.eq(r.headers.get("content-type"), "application/json", "row %d Content-Type" % id)
    t.true(isinstance(r.json, dict), "row %d: body is not a JSON object: %r" % (id, r))
    return r.body, parse(r.body)


def dollar_quote(text):
    """text as a Postgres dollar-quoted literal, with a tag that text does not contain."""
    n = 0
    while True:
        tag = "$lf%d$" % n
        if tag not in text:
            return tag + text + tag
        n += 1


def pg_ids():
    return [int(x) for x in lf.psql("SELECT id FROM %s ORDER BY id" % TABLE).split()]


def same_as_to_jsonb(t, id, body):
    """Postgres says whether body equals to_jsonb(row id); on a mismatch, the
    assertion message shows both sides and the columns that differ."""
    got = lf.psql("SET TimeZone = 'UTC'; SELECT %s::jsonb = to_jsonb(f) FROM %s f WHERE id = %d"
                  % (dollar_quote(body), TABLE, id)).strip()
    if got == "t":
        return
    want = lf.psql("SET TimeZone = 'UTC'; SELECT to_jsonb(f) FROM %s f WHERE id = %d"
                   % (TABLE, id)).strip()
    diff = lf.psql(
        "SET TimeZone = 'UTC'; SELECT string_agg(format('%%s: lakefront %%s, postgres %%s', "
        "p.key, l.value, p.value), E'\\n') FROM jsonb_each(to_jsonb((SELECT f FROM %s f "
        "WHERE id = %d))) p LEFT JOIN jsonb_each(%s::jsonb) l USING (key) "
        "WHERE l.value IS DISTINCT FROM p.value" % (TABLE, id, dollar_quote(body)))
    raise AssertionError("row %d differs from to_jsonb (psql said %r)\nlakefront: %s\n"
                         "postgres:  %s\ncolumns that differ:\n%s" % (id, got, body, want, diff))


# ------------------------------------------------------------ (1) in Postgres

def test_every_row_equals_to_jsonb_in_postgres(t):
    ids = pg_ids()
    t.true(len(ids) >= 32, "lf_test.fidelity has %d rows, want at least 32" % len(ids))
    bad = []
    for id in ids:
        body, _ = get_row(t, id)
        try:
            same_as_to_jsonb(t, id, body)
        except AssertionError as e:
            bad.append(str(e))
    t.true(not bad, "%d of %d rows differ:\n%s" % (len(bad), len(ids), "\n\n".join(bad)))


def test_dollar_quoting_survives_a_body_that_holds_the_tag(t):
    # The comparison above must not break on a body containing "$lf0$":
    # the quoting picks another tag (a guard for the test itself).
    t.eq(dollar_quote("a $lf0$ b"), "$lf1$a $lf0$ b$lf1$", "quoted")
    t.eq(lf.psql("SELECT %s::jsonb = '{\"$lf0$\": 1}'::jsonb"
                 % dollar_quote('{"$lf0$": 1}')).strip(), "t", "round trip")


def test_session_settings_of_the_role_do_not_change_the_json(t):
    # lakefront must set its own session: a role (or database) default of
    # another TimeZone, DateStyle, IntervalStyle, bytea_output or
    # extra_float_digits must not leak into the JSON.
    lf.psql("ALTER ROLE lakefront_app SET TimeZone = 'Asia/Kolkata'; "
            "ALTER ROLE lakefront_app SET DateStyle = 'German, DMY'; "
            "ALTER ROLE lakefront_app SET IntervalStyle = 'iso_8601'; "
            "ALTER ROLE lakefront_app SET bytea_output = 'escape'; "
            "ALTER ROLE lakefront_app SET extra_float_digits = -3")
    try:
        s = t.server()
        bad = []
        for id in pg_ids():
            body, _ = get_row(t, id, s)
            try:
                same_as_to_jsonb(t, id, body)
            except AssertionError as e:
                bad.append(str(e))
        t.true(not bad, "with role settings, %d rows differ:\n%s" % (len(bad), "\n\n".join(bad)))
        _, row = get_row(t, 31, s)
        t.eq(row["c_timestamptz"], "2024-06-30T07:04:56.789+00:00", "row 31 c_timestamptz")
        t.eq(row["c_date"], "1970-01-01", "row 31 c_date")
        _, row = get_row(t, 2, s)
        t.eq(row["c_bytea"], "\\xdeadbeef", "row 2 c_bytea")
        t.eq(row["c_float8"], Decimal("2.718281828459045"), "row 2 c_float8")
        _, row = get_row(t, 14, s)
        t.eq(row["c_interval"], "1 year 2 mons 3 days 04:05:06.789", "row 14 c_interval")
    finally:
        lf.psql("ALTER ROLE lakefront_app RESET ALL")


# ------------------------------------------------------------ (2) in Python

def test_all_null_row_is_null_in_every_column(t):
    _, row = get_row(t, 1)
    t.eq(row["id"], 1, "id")
    cols = [c["name"] for c in server().get("/api/v1/tables/" + TABLE).json["columns"]]
    t.eq(sorted(row), sorted(cols), "columns of row 1")
    for c in cols[1:]:
        t.true(row[c] is None, "row 1 %s: got %r, want null" % (c, row[c]))


def test_keys_follow_the_column_order_of_the_table(t):
    r = server().get("/api/v1/tables/" + TABLE)
    t.eq(r.status, 200, "table status")
    cols = [c["name"] for c in r.json["columns"]]
    want = lf.psql("SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute "
                   "WHERE attrelid = '%s'::regclass AND attnum > 0 AND NOT attisdropped"
                   % TABLE).split()
    t.eq(cols, want, "columns of /api/v1/tables/" + TABLE)
    for id in (1, 2, 10, 22, 32):
        body, _ = get_row(t, id)
        # As pairs, so that a duplicate key would show too.
        keys = [k for k, _ in json.loads(body, object_pairs_hook=lambda pairs: pairs)]
        t.eq(keys, cols, "key order of row %d" % id)
        t.eq(list(parse(body).keys()), cols, "keys of row %d" % id)


def test_int8_beyond_2_to_the_53_is_exact(t):
    body, row = get_row(t, 6)
    t.eq(row["c_int8"], 9223372036854775807, "row 6 c_int8")
    t.true(type(row["c_int8"]) is int, "row 6 c_int8 is a JSON integer")
    t.true('"c_int8":9223372036854775807,' in body, "row 6 raw c_int8: %s" % body)
    t.eq(row["c_int8_arr"], [9223372036854775807, -9223372036854775808], "row 6 c_int8_arr")
    t.eq(row["c_int2"], 32767, "row 6 c_int2")
    t.eq(row["c_int4"], 2147483647, "row 6 c_int4")
    t.eq(row["c_int4_arr"], [2147483647], "row 6 c_int4_arr")

    body, row = get_row(t, 7)
    t.eq(row["c_int8"], -9223372036854775808, "row 7 c_int8")
    t.eq(row["c_int2"], -32768, "row 7 c_int2")
    t.eq(row["c_int4"], -2147483648, "row 7 c_int4")
    t.eq(row["c_int8_arr"], [-9223372036854775808], "row 7 c_int8_arr")

    body, row = get_row(t, 8)
    t.eq(row["c_int8"], 2 ** 53 + 1, "row 8 c_int8")
    t.true('"c_int8":9007199254740993,' in body, "row 8 raw c_int8: %s" % body)
    t.eq(row["c_int8_arr"], [2 ** 53 + 1, -(2 ** 53 + 1)], "row 8 c_int8_arr")
    t.eq(row["c_numeric"], 2 ** 53 + 1, "row 8 c_numeric")
    t.eq(row["c_numeric_38_10"], Decimal("9007199254740993.0000000001"), "row 8 c_numeric_38_10")
    t.eq(row["c_numeric_arr"], [2 ** 53 + 1], "row 8 c_numeric_arr")
    # The double column holds the nearest double, 2^53, and says so.
    t.eq(row["c_float8"], 2 ** 53, "row 8 c_float8")


def test_numeric_keeps_every_digit(t):
    body, row = get_row(t, 9)
    big = "1234567890123456789012345678901234567890.0123456789"
    t.eq(row["c_numeric"], Decimal(big), "row 9 c_numeric")
    t.true('"c_numeric":%s,' % big in body, "row 9 raw c_numeric: %s" % body)
    t.eq(row["c_numeric_38_10"], Decimal("1234567890123456789012345678.0123456789"),
         "row 9 c_numeric_38_10")
    t.true('"c_numeric_38_10":1234567890123456789012345678.0123456789,' in body,
           "row 9 raw c_numeric_38_10: %s" % body)
    t.eq(row["c_numeric_arr"], [Decimal(big), Decimal("-" + big), None,
                                Decimal("0.000000000000000000000000000001")], "row 9 c_numeric_arr")
    t.true('"c_numeric_arr":[%s,-%s,null,0.000000000000000000000000000001]' % (big, big) in body,
           "row 9 raw c_numeric_arr: %s" % body)

    _, row = get_row(t, 6)
    t.eq(row["c_numeric_38_10"], Decimal("9999999999999999999999999999.9999999999"),
         "row 6 c_numeric_38_10")
    _, row = get_row(t, 7)
    t.eq(row["c_numeric_38_10"], Decimal("-9999999999999999999999999999.9999999999"),
         "row 7 c_numeric_38_10")
    _, row = get_row(t, 27)
    t.eq(row["c_numeric"], 10 ** 30, "row 27 c_numeric")
    _, row = get_row(t, 28)
    t.eq(row["c_numeric"], Decimal("1.5e-10"), "row 28 c_numeric")
    t.eq(row["c_numeric_38_10"], Decimal("0.0000000001"), "row 28 c_numeric_38_10")
    body, row = get_row(t, 30)
    t.eq(row["c_numeric_38_10"], Decimal("100"), "row 30 c_numeric_38_10")
    # numeric keeps its scale, as to_jsonb does.
    t.true('"c_numeric_38_10":100.0000000000,' in body, "row 30 raw c_numeric_38_10: %s" % body)


def test_floats_are_exact_and_shortest(t):
    _, row = get_row(t, 2)
    t.eq(row["c_float4"], Decimal("3.25"), "row 2 c_float4")
    t.eq(row["c_float8"], Decimal("2.718281828459045"), "row 2 c_float8")
    _, row = get_row(t, 6)
    t.eq(row["c_float4"], Decimal("3.4028235e38"), "row 6 c_float4")
    t.eq(row["c_float8"], Decimal("1.7976931348623157e308"), "row 6 c_float8")
    _, row = get_row(t, 7)
    t.eq(row["c_float4"], Decimal("1e-45"), "row 7 c_float4")
    t.eq(row["c_float8"], Decimal("5e-324"), "row 7 c_float8")
    _, row = get_row(t, 29)
    t.eq(row["c_float4"], Decimal("0.1"), "row 29 c_float4")
    t.eq(row["c_float8"], Decimal("0.1"), "row 29 c_float8")
    body, row = get_row(t, 30)
    t.eq(row["c_float4"], Decimal("123456.79"), "row 30 c_float4")
    t.true('"c_float8":0.30000000000000004,' in body, "row 30 raw c_float8: %s" % body)
    _, row = get_row(t, 25)
    t.eq(row["c_float8"], 0, "row 25 c_float8 (negative zero)")
    t.eq(row["c_numeric"], 0, "row 25 c_numeric")


def test_nan_and_infinities_are_strings(t):
    for id, word in ((3, "NaN"), (4, "Infinity"), (5, "-Infinity")):
        _, row = get_row(t, id)
        for c in ("c_float4", "c_float8", "c_numeric"):
            t.eq(row[c], word, "row %d %s" % (id, c))
        t.eq(row["c_numeric_arr"], [word], "row %d c_numeric_arr" % id)
    _, row = get_row(t, 3)
    t.eq(row["c_numeric_38_10"], "NaN", "row 3 c_numeric_38_10")


def test_hostile_text_round_trips_exactly(t):
    body, row = get_row(t, 10)
    controls = "".join(chr(i) for i in range(1, 32))
    want = ("q\"uote 'apos back\\slash /slash " + controls + "\x7f\u2028"
            + " \U0001F680 \u6f22\u5b57 \u65e5\u672c\u8a9e caf\u00e9")
    t.eq(row["c_text"], want, "row 10 c_text")
    t.eq(row["c_varchar"], "tab\tnl\n\"q\" \\ \U0001F680 \u6f22\u5b57", "row 10 c_varchar")
    t.eq(row["c_text_arr"], ["q\"uote", "back\\slash", "\x01\x1f", "tab\t", "\U0001F680",
                             "\u6f22\u5b57"], "row 10 c_text_arr")
    s = "line\nbreak\t\x01 \"q\" \\ / \U0001F680 \U0001F680 \u6f22\u5b57"
    t.eq(row["c_jsonb"], {"s": s}, "row 10 c_jsonb")
    t.eq(row["c_json"], {"s": s}, "row 10 c_json")
    # Control characters are escaped: none appears raw in the body.
    t.true(not re.search("[\x00-\x1f]", body), "row 10 body has a raw control character: %r" % body)
    # Compared with what Postgres stores, character for character.
    stored = json.loads(lf.psql("SELECT to_json(c_text) FROM %s WHERE id = 10" % TABLE))
    t.eq(row["c_text"], stored, "row 10 c_text against Postgres")


def test_text_edge_values(t):
    _, row = get_row(t, 31)
    t.eq(row["c_text"], "", "row 31 c_text (empty, not null)")
    t.eq(row["c_varchar"], "", "row 31 c_varchar")
    t.eq(row["c_bool"], False, "row 31 c_bool")
    t.eq(row["c_uuid"], "00000000-0000-0000-0000-000000000000", "row 31 c_uuid")
    _, row = get_row(t, 32)
    t.eq(row["c_text"], " ", "row 32 c_text")
    t.eq(row["c_varchar"], "x" * 50, "row 32 c_varchar")
    t.eq(row["c_bool"], True, "row 32 c_bool")
    t.eq(row["c_uuid"], "ffffffff-ffff-ffff-ffff-ffffffffffff", "row 32 c_uuid (lower case)")


def test_times_are_iso_and_utc(t):
    _, row = get_row(t, 2)
    t.eq(row["c_timestamptz"], "2024-02-29T23:59:59.999999+00:00", "row 2 c_timestamptz")
    t.eq(row["c_timestamp"], "2024-02-29T23:59:59.999999", "row 2 c_timestamp")
    t.eq(row["c_date"], "2024-02-29", "row 2 c_date")
    t.eq(row["c_timestamptz_arr"], ["2024-01-01T00:00:00+00:00", "2024-06-30T10:34:56.789+00:00"],
         "row 2 c_timestamptz_arr")
    t.eq(row["c_interval"], "1 day", "row 2 c_interval")
    _, row = get_row(t, 31)
    t.eq(row["c_timestamptz"], "2024-06-30T07:04:56.789+00:00", "row 31 c_timestamptz")
    t.eq(row["c_timestamp"], "1970-01-01T00:00:00", "row 31 c_timestamp")
    t.eq(row["c_interval"], "00:00:00", "row 31 c_interval")
    _, row = get_row(t, 32)
    t.eq(row["c_timestamptz"], "2000-01-01T07:59:59+00:00", "row 32 c_timestamptz")
    t.eq(row["c_timestamp"], "2000-01-01T00:00:00.000001", "row 32 c_timestamp")
    t.eq(row["c_interval"], "178000000 years", "row 32 c_interval")
    for id, word in ((12, "infinity"), (13, "-infinity")):
        _, row = get_row(t, id)
        for c in ("c_date", "c_timestamp", "c_timestamptz"):
            t.eq(row[c], word, "row %d %s" % (id, c))
    _, row = get_row(t, 11)
    t.eq(row["c_date"], "4713-01-01 BC", "row 11 c_date")
    t.eq(row["c_timestamp"], "0044-03-15T12:00:00 BC", "row 11 c_timestamp")
    t.eq(row["c_timestamptz"], "0001-12-31T23:59:59.999999+00:00 BC", "row 11 c_timestamptz")
    _, row = get_row(t, 14)
    t.eq(row["c_interval"], "1 year 2 mons 3 days 04:05:06.789", "row 14 c_interval")
    _, row = get_row(t, 15)
    t.eq(row["c_interval"], "-1 years -2 mons +3 days -04:05:06.789", "row 15 c_interval")
    _, row = get_row(t, 16)
    t.eq(row["c_interval"], "-00:00:00.000001", "row 16 c_interval")


def test_bytea_is_hex_text(t):
    for id, want in ((2, "\\xdeadbeef"), (14, "\\x00"), (15, "\\x000102ff00"), (16, "\\x")):
        body, row = get_row(t, id)
        t.eq(row["c_bytea"], want, "row %d c_bytea" % id)
        t.true('"c_bytea":%s' % json.dumps(want) in body, "row %d raw c_bytea: %s" % (id, body))


def test_arrays_are_json_arrays_with_nulls(t):
    _, row = get_row(t, 22)
    t.eq(row["c_text_arr"], ["a,b", "say \"hi\"", "{brace}", "back\\slash", "NULL", "",
                             " spaced ", None, "c"], "row 22 c_text_arr")
    t.eq(row["c_int4_arr"], [[1, 2], [3, None]], "row 22 c_int4_arr")
    t.eq(row["c_int8_arr"], [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], "row 22 c_int8_arr")
    t.eq(row["c_numeric_arr"], [Decimal("1.5"), None, 0], "row 22 c_numeric_arr")
    t.eq(row["c_timestamptz_arr"], ["2024-01-01T00:00:00+00:00", None, "infinity"],
         "row 22 c_timestamptz_arr")
    t.eq(row["c_bool_arr"], [True, None, False], "row 22 c_bool_arr")
    _, row = get_row(t, 23)
    for c in ("c_text_arr", "c_int4_arr", "c_int8_arr", "c_numeric_arr", "c_timestamptz_arr",
              "c_bool_arr"):
        t.eq(row[c], [], "row 23 %s" % c)
    _, row = get_row(t, 24)
    t.eq(row["c_text_arr"], [None], "row 24 c_text_arr")
    t.eq(row["c_int4_arr"], [1, 2, 3], "row 24 c_int4_arr (lower bound 0)")
    t.eq(row["c_int8_arr"], [None, None], "row 24 c_int8_arr")
    t.eq(row["c_bool_arr"], [None], "row 24 c_bool_arr")


def test_json_and_jsonb_are_nested_values(t):
    _, row = get_row(t, 2)
    t.eq(row["c_jsonb"], {"k": "v", "n": 1}, "row 2 c_jsonb")
    t.eq(row["c_json"], {"k": "v", "n": 1}, "row 2 c_json")
    _, row = get_row(t, 17)
    t.eq(row["c_jsonb"], {"a": {"b": [1, Decimal("2.50"), {"c": None, "d": [True, False, []]}],
                                "e": "\u00e9\"\\"},
                          "n": 100, "big": Decimal("123456789012345678901234567890.5")},
         "row 17 c_jsonb")
    t.true(isinstance(row["c_jsonb"]["a"], dict), "row 17 c_jsonb.a is an object")
    t.eq(row["c_json"], {"a": 1, "b": [1, Decimal("2.50"), {"c": None}], "c": "x  y"},
         "row 17 c_json")
    _, row = get_row(t, 18)
    t.true(row["c_jsonb"] is None and row["c_json"] is None, "row 18: JSON null: %r" % row)
    _, row = get_row(t, 19)
    t.eq((row["c_jsonb"], row["c_json"]), ({}, []), "row 19 empty containers")
    _, row = get_row(t, 20)
    t.eq((row["c_jsonb"], row["c_json"]), ("just a string", Decimal("12.50")), "row 20 scalars")
    _, row = get_row(t, 21)
    t.eq((row["c_jsonb"], row["c_json"]), ([], {}), "row 21 empty containers")


def test_ordinary_row_exactly(t):
    _, row = get_row(t, 2)
    t.eq(row, {
        "id": 2, "c_int2": 12, "c_int4": 123456, "c_int8": 1234567890123,
        "c_float4": Decimal("3.25"), "c_float8": Decimal("2.718281828459045"),
        "c_numeric": Decimal("42.5"), "c_numeric_38_10": Decimal("1234.5678000000"),
        "c_bool": True, "c_text": "hello", "c_varchar": "world", "c_date": "2024-02-29",
        "c_timestamp": "2024-02-29T23:59:59.999999",
        "c_timestamptz": "2024-02-29T23:59:59.999999+00:00", "c_interval": "1 day",
        "c_bytea": "\\xdeadbeef", "c_jsonb": {"k": "v", "n": 1}, "c_json": {"k": "v", "n": 1},
        "c_uuid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "c_text_arr": ["one", "two"],
        "c_int4_arr": [1, 2, 3], "c_int8_arr": [10, 20],
        "c_numeric_arr": [Decimal("1.5"), Decimal("2.25")],
        "c_timestamptz_arr": ["2024-01-01T00:00:00+00:00", "2024-06-30T10:34:56.789+00:00"],
        "c_bool_arr": [True, False]}, "row 2")


if __name__ == "__main__":
    lf.main_shared(globals(), _shared)
