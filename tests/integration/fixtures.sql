-- Test-only tables in schema lf_test, for the integration tests. Loaded by
-- the superuser (tests/pg.sh load DIR tests/integration/fixtures.sql) after
-- tests/pg.sh start has created the role lakefront_app. Idempotent: the
-- schema is dropped and created again.
--
-- lf_test.fidelity has one column per type and one row per awkward case;
-- the tests compare the service's JSON of each row with Postgres's own
-- to_jsonb(row). The row ids are referred to by the tests: add rows at the
-- end rather than renumbering.

\set ON_ERROR_STOP on

BEGIN;

DROP SCHEMA IF EXISTS lf_test CASCADE;
CREATE SCHEMA lf_test;

-- ------------------------------------------------------------------ fidelity

CREATE TABLE lf_test.fidelity (
    id                integer PRIMARY KEY,
    c_int2            smallint,
    c_int4            integer,
    c_int8            bigint,
    c_float4          real,
    c_float8          double precision,
    c_numeric         numeric,
    c_numeric_38_10   numeric(38, 10),
    c_bool            boolean,
    c_text            text,
    c_varchar         varchar(50),
    c_date            date,
    c_timestamp       timestamp,
    c_timestamptz     timestamptz,
    c_interval        interval,
    c_bytea           bytea,
    c_jsonb           jsonb,
    c_json            json,
    c_uuid            uuid,
    c_text_arr        text[],
    c_int4_arr        integer[],
    c_int8_arr        bigint[],
    c_numeric_arr     numeric[],
    c_timestamptz_arr timestamptz[],
    c_bool_arr        boolean[]
);

-- 1: every column NULL.
INSERT INTO lf_test.fidelity (id) VALUES (1);

-- 2: ordinary values in every column.
INSERT INTO lf_test.fidelity VALUES (
    2, 12, 123456, 1234567890123, 3.25, 2.718281828459045, 42.5, 1234.5678000000, true,
    'hello', 'world', '2024-02-29', '2024-02-29 23:59:59.999999',
    '2024-02-29 23:59:59.999999+00', '1 day', '\xdeadbeef',
    '{"k": "v", "n": 1}', '{"k": "v", "n": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '{one,two}', '{1,2,3}', '{10,20}', '{1.5,2.25}',
    '{"2024-01-01 00:00:00+00","2024-06-30 12:34:56.789+02"}', '{true,false}');

-- 3, 4, 5: NaN, Infinity, -Infinity in real, double and numeric. numeric with
-- a typmod takes NaN but not the infinities.
INSERT INTO lf_test.fidelity (id, c_float4, c_float8, c_numeric, c_numeric_38_10, c_numeric_arr)
VALUES (3, 'NaN', 'NaN', 'NaN', 'NaN', '{NaN}'),
       (4, 'Infinity', 'Infinity', 'Infinity', NULL, '{Infinity}'),
       (5, '-Infinity', '-Infinity', '-Infinity', NULL, '{-Infinity}');

-- 6: the largest values; 7: the smallest (and the smallest subnormal floats).
INSERT INTO lf_test.fidelity (id, c_int2, c_int4, c_int8, c_float4, c_float8, c_numeric_38_10,
                              c_int4_arr, c_int8_arr)
VALUES (6, 32767, 2147483647, 9223372036854775807, 3.4028235e38, 1.7976931348623157e308,
        9999999999999999999999999999.9999999999,
        '{2147483647}', '{9223372036854775807,-9223372036854775808}'),
       (7, -32768, -2147483648, -9223372036854775808, 1.4e-45, 5e-324,
        -9999999999999999999999999999.9999999999,
        '{-2147483648}', '{-9223372036854775808}');

-- 8: 2^53 + 1, which a C double cannot hold (the float8 column holds the
-- nearest double, 2^53).
INSERT INTO lf_test.fidelity (id, c_int8, c_float8, c_numeric, c_numeric_38_10, c_int8_arr,
                              c_numeric_arr)
VALUES (8, 9007199254740993, 9007199254740993, 9007199254740993,
        9007199254740993.0000000001, '{9007199254740993,-9007199254740993}',
        '{9007199254740993}');

-- 9: 40 digits before the point and 10 after, positive and negative.
INSERT INTO lf_test.fidelity (id, c_numeric, c_numeric_38_10, c_numeric_arr)
VALUES (9, 1234567890123456789012345678901234567890.0123456789,
        1234567890123456789012345678.0123456789,
        '{1234567890123456789012345678901234567890.0123456789,-1234567890123456789012345678901234567890.0123456789,NULL,0.000000000000000000000000000001}');

-- 10: hostile text: quotes, backslashes, every control character 0x01-0x1f,
-- DEL, U+2028, a 4-byte emoji, CJK.
INSERT INTO lf_test.fidelity (id, c_text, c_varchar, c_json, c_jsonb, c_text_arr)
VALUES (10,
        'q"uote ''apos back\slash /slash '
            || (SELECT string_agg(chr(i), '' ORDER BY i) FROM generate_series(1, 31) AS i)
            || chr(127) || chr(8232) || ' 🚀 漢字 日本語 café',
        'tab' || chr(9) || 'nl' || chr(10) || '"q" \ 🚀 漢字',
        '{"s": "line\nbreak\t\u0001 \"q\" \\ \/ 🚀 \ud83d\ude80 漢字"}',
        '{"s": "line\nbreak\t\u0001 \"q\" \\ \/ 🚀 \ud83d\ude80 漢字"}',
        ARRAY['q"uote', 'back\slash', chr(1) || chr(31), 'tab' || chr(9), '🚀', '漢字']);

-- 11: before Christ; 12: infinity; 13: -infinity.
INSERT INTO lf_test.fidelity (id, c_date, c_timestamp, c_timestamptz, c_timestamptz_arr)
VALUES (11, '4713-01-01 BC', '0044-03-15 12:00:00 BC', '0001-12-31 23:59:59.999999+00 BC',
        '{"0044-03-15 12:00:00+00 BC","2024-01-01 00:00:00+00"}'),
       (12, 'infinity', 'infinity', 'infinity', '{infinity,-infinity}'),
       (13, '-infinity', '-infinity', '-infinity', '{-infinity}');

-- 14, 15, 16: intervals, positive, negative and mixed, and a negative
-- microsecond; bytea holding NUL bytes, and empty.
INSERT INTO lf_test.fidelity (id, c_interval, c_bytea)
VALUES (14, '1 year 2 mons 3 days 04:05:06.789', '\x00'),
       (15, '-1 year -2 mons +3 days -04:05:06.789', '\x000102ff00'),
       (16, '-00:00:00.000001', '');

-- 17: nested jsonb and json written with whitespace (json keeps its text,
-- jsonb does not); 18: JSON null, empty containers, scalars.
INSERT INTO lf_test.fidelity (id, c_jsonb, c_json)
VALUES (17,
        '{"a": {"b": [1, 2.50, {"c": null, "d": [true, false, []]}], "e": "é\"\\"}, "n": 1e2, "big": 123456789012345678901234567890.5}',
        E'{ "a" :  1 ,\n  "b" : [ 1 , 2.50 , { "c" : null } ] ,\t"c" : "x  y" }'),
       (18, 'null', 'null');
INSERT INTO lf_test.fidelity (id, c_jsonb, c_json)
VALUES (19, '{}', '[]'),
       (20, '"just a string"', '12.50'),
       (21, '[]', '{}');

-- 22: arrays with NULL elements, elements that need quoting in Postgres's
-- array syntax, a 2-D and a 3-D int array, and an array with a lower bound
-- other than 1. 23: empty arrays.
INSERT INTO lf_test.fidelity (id, c_text_arr, c_int4_arr, c_int8_arr, c_numeric_arr,
                              c_timestamptz_arr, c_bool_arr)
VALUES (22,
        ARRAY['a,b', 'say "hi"', '{brace}', 'back\slash', 'NULL', '', ' spaced ', NULL, 'c'],
        '{{1,2},{3,NULL}}', '{{{1,2},{3,4}},{{5,6},{7,8}}}', '{1.5,NULL,-0.0}',
        '{"2024-01-01 00:00:00+00",NULL,infinity}', '{true,NULL,false}'),
       (23, '{}', '{}', '{}', '{}', '{}', '{}'),
       (24, '{NULL}', '[0:2]={1,2,3}', '{NULL,NULL}', '{NULL}', '{NULL}', '{NULL}');

-- 25: negative zero (numeric has none); 26: positive zero; 27: large and
-- small magnitudes.
INSERT INTO lf_test.fidelity (id, c_float4, c_float8, c_numeric, c_numeric_38_10, c_int4)
VALUES (25, '-0', '-0', '-0.0', '-0.0', 0),
       (26, '0', '0', '0', '0', 0),
       (27, 1e30, 1e30, 1e30, NULL, NULL);
INSERT INTO lf_test.fidelity (id, c_float4, c_float8, c_numeric, c_numeric_38_10)
VALUES (28, 1.5e-10, 1.5e-10, 1.5e-10, 0.0000000001),
       (29, 0.1, 0.1, 0.1, 0.1),
       (30, 123456.79, 0.30000000000000004, 100, 100);

-- 31: text that is empty rather than NULL, false, odd uuids, timestamps
-- given with an offset (stored as UTC), the epoch.
INSERT INTO lf_test.fidelity (id, c_text, c_varchar, c_bool, c_uuid, c_timestamp, c_timestamptz,
                              c_date, c_interval)
VALUES (31, '', '', false, '00000000-0000-0000-0000-000000000000',
        '1970-01-01 00:00:00', '2024-06-30 12:34:56.789+05:30', '1970-01-01', '0'),
       (32, ' ', repeat('x', 50), true, 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
        '2000-01-01 00:00:00.000001', '1999-12-31 23:59:59-08', '2000-01-01',
        '178000000 years');

-- ------------------------------------------------------------------ keys

CREATE TABLE lf_test.composite (
    a       integer,
    b       text,
    c       date,
    payload text,
    PRIMARY KEY (a, b, c)
);
INSERT INTO lf_test.composite VALUES
    (1, 'x', '2024-01-01', 'one x jan 1'),
    (1, 'x', '2024-01-02', 'one x jan 2'),
    (1, 'y', '2024-01-01', 'one y jan 1'),
    (2, 'a/b', '2024-02-29', 'slash in the middle key'),
    (2, 'with space', '2024-02-29', 'space in the middle key'),
    (3, '', '2024-03-01', 'empty middle key'),
    (-1, 'café', '1999-12-31', 'negative and non-ASCII'),
    (4, '100%', '2024-04-01', NULL);

CREATE TABLE lf_test.keys_text (k text PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_text VALUES
    ('a/b', 1), ('100%', 2), ('what?', 3), ('a.b', 4), ('with space', 5),
    ('plus+sign', 6), ('café', 7), ('🚀', 8), ('', 9), ('quote"s', 10),
    ('back\slash', 11), ('%2F', 12), ('x?y=z&w', 13);

CREATE TABLE lf_test.keys_int2 (k smallint PRIMARY KEY);
INSERT INTO lf_test.keys_int2 VALUES (-32768), (-1), (0), (1), (32767);

CREATE TABLE lf_test.keys_int4 (k integer PRIMARY KEY);
INSERT INTO lf_test.keys_int4 VALUES (-2147483648), (-1), (0), (42), (2147483647);

CREATE TABLE lf_test.keys_uuid (k uuid PRIMARY KEY);
INSERT INTO lf_test.keys_uuid VALUES
    ('00000000-0000-0000-0000-000000000000'),
    ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    ('ffffffff-ffff-ffff-ffff-ffffffffffff');

CREATE TABLE lf_test.keys_date (k date PRIMARY KEY);
INSERT INTO lf_test.keys_date VALUES ('2024-02-29'), ('1999-12-31'), ('2000-01-01'), ('1970-01-01');

CREATE TABLE lf_test.keys_ts (k timestamptz PRIMARY KEY);
INSERT INTO lf_test.keys_ts VALUES
    ('2024-01-01 00:00:00+00'), ('2024-06-30 12:34:56.789+00'),
    ('1970-01-01 00:00:00+00'), ('2024-02-29 23:59:59.999999+00');

CREATE TABLE lf_test.keys_numeric (k numeric PRIMARY KEY);
INSERT INTO lf_test.keys_numeric VALUES
    (0), (1.5), (-2.25), (42), (12345678901234567890.123456789);

-- Batch lookups: bigints past 2^53 (a double would round ...993 to ...992),
-- and key types with a modifier that a cast could truncate or round.
CREATE TABLE lf_test.keys_int8 (k bigint PRIMARY KEY, v text);
INSERT INTO lf_test.keys_int8 VALUES
    (9007199254740992, 'two to the 53'), (9007199254740993, 'two to the 53, plus one'),
    (9223372036854775807, 'max'), (-9223372036854775808, 'min');

CREATE TABLE lf_test.keys_varchar (k varchar(5) PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_varchar VALUES ('abcde', 1), ('ab', 2);

CREATE TABLE lf_test.keys_money (k numeric(10, 2) PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_money VALUES (1.25, 1), (1.00, 2);

-- char(n) and bit(n): written without a length, both types mean length 1,
-- so a cast to "character" or "bit" would cut 'abc' to 'a'.
CREATE TABLE lf_test.keys_bpchar (k char(5) PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_bpchar VALUES ('a', 1), ('abc', 2);

CREATE TABLE lf_test.keys_bit (k bit(4) PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_bit VALUES (B'1000', 1), (B'1011', 2);

-- Domains with a length or precision: a cast to the domain would cut or
-- round the client's value; the key is compared as the base type.
CREATE DOMAIN lf_test.code3 AS char(3);
CREATE TABLE lf_test.keys_domain (k lf_test.code3 PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_domain VALUES ('abc', 1), ('ab', 2);

CREATE DOMAIN lf_test.price AS numeric(8, 2);
CREATE TABLE lf_test.keys_price (k lf_test.price PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_price VALUES (1.01, 1), (2.00, 2);

-- A composite key value with a NULL field is a key like any other.
CREATE TYPE lf_test.pair AS (a integer, b integer);
CREATE TABLE lf_test.keys_pair (k lf_test.pair PRIMARY KEY, v integer);
INSERT INTO lf_test.keys_pair VALUES (ROW(1, NULL), 1), (ROW(1, 2), 2);

-- Column selection: names that need quoting, a comma inside a name, and a
-- key column called "select" (then ?select= is the key, not a selection).
CREATE TABLE lf_test.odd_columns (
    "Id"         integer PRIMARY KEY,
    "CamelCase"  text,
    "a,b"        text,
    "with space" text,
    camelcase    text
);
INSERT INTO lf_test.odd_columns VALUES (1, 'Camel', 'comma', 'space', 'lower');

CREATE TABLE lf_test.select_key ("select" text PRIMARY KEY, v integer);
INSERT INTO lf_test.select_key VALUES ('email', 1);

-- Not served: no primary key.
CREATE TABLE lf_test.nopk (x integer);
INSERT INTO lf_test.nopk VALUES (1), (2), (3);

-- ------------------------------------------------------------------ grants

GRANT USAGE ON SCHEMA lf_test TO lakefront_app;
GRANT SELECT ON ALL TABLES IN SCHEMA lf_test TO lakefront_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA lf_test GRANT SELECT ON TABLES TO lakefront_app;

COMMIT;

ANALYZE lf_test.fidelity, lf_test.composite, lf_test.keys_text, lf_test.keys_int2,
    lf_test.keys_int4, lf_test.keys_uuid, lf_test.keys_date, lf_test.keys_ts,
    lf_test.keys_numeric, lf_test.nopk;
