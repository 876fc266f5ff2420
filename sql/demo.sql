-- Demo data shaped like Databricks synced tables: the Unity Catalog schema
-- becomes the Postgres schema, every table has a primary key, and column
-- types are the ones the sync produces (STRING -> text, DECIMAL(p,s) ->
-- numeric, FLOAT -> real, DOUBLE -> double precision, TIMESTAMP ->
-- timestamptz, TIMESTAMP_NTZ -> timestamp, TINYINT -> smallint, BINARY ->
-- bytea, ARRAY/MAP/STRUCT -> jsonb). There is no varchar: a synced STRING is
-- text unless a type override asks otherwise.
--
-- Values are pseudo-random but deterministic: they come from md5 of the key,
-- never from random(), so a given row is the same on every machine.
--
-- Run as the superuser (tests/pg.sh load DIR sql/demo.sql). Idempotent: the
-- three tables are dropped and created again; other tables in gold are left
-- alone. The service's role, lakefront_app, may read but not write, and the
-- tables belong to the superuser, as on Lakebase.

\set ON_ERROR_STOP on

-- tests/pg.sh creates the role with a password; this only keeps the script
-- loadable on a cluster made some other way.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lakefront_app') THEN
        CREATE ROLE lakefront_app LOGIN;
        RAISE WARNING 'created role lakefront_app without a password';
    END IF;
END
$$;

BEGIN;

CREATE SCHEMA IF NOT EXISTS gold;

DROP TABLE IF EXISTS gold.customer_features;
DROP TABLE IF EXISTS gold.daily_store_sales;
DROP TABLE IF EXISTS gold.products;

-- ------------------------------------------------------------------
-- gold.customer_features: one row per customer, keyed by a bigint, the
-- typical feature-lookup table. 100,000 rows of about 450 bytes of compact
-- JSON (480 as to_jsonb text, which has a space after each ':' and ',').

CREATE TABLE gold.customer_features (
    customer_id     bigint PRIMARY KEY,
    customer_name   text NOT NULL,
    email           text,
    country_code    text,
    signup_date     date,
    last_seen_at    timestamptz,
    lifetime_value  numeric(38, 10),
    orders_90d      integer,
    avg_basket      double precision,
    churn_score     real,
    is_active       boolean,
    tags            jsonb,
    preferences     jsonb,
    avatar          bytea,
    loyalty_tier    smallint,
    updated_at      timestamp
);

-- The OFFSET 0s keep the planner from inlining the subqueries: inlined, each
-- use of h1..h6 would compute its md5 again, and the load would take 20 times
-- as long.
INSERT INTO gold.customer_features
SELECT
    id,
    fn || ' ' || ln,
    CASE WHEN h3 % 33 = 0 THEN NULL ELSE lower(fn) || id || '@example.com' END,
    (ARRAY['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA',
           'AU', 'NL', 'ES', 'IT', 'SE', 'MX', 'KR'])[1 + h4 % 15],
    date '2015-01-01' + h1 % 3650,
    CASE WHEN h5 % 20 = 0 THEN NULL
         ELSE timestamptz '2025-01-01 00:00:00+00'
              + ((h2 % 31536000)::bigint * 1000 + h3 % 1000) * interval '1 millisecond' END,
    round((h6 % 5000000)::numeric / 100 + (h1 % 10000)::numeric / 1e6, 6),
    h2 % 60,
    (h3 % 500000) / 1000.0::double precision,
    CASE WHEN h4 % 50 = 0 THEN NULL ELSE ((h5 % 10000) / 10000.0)::real END,
    h6 % 7 <> 0,
    CASE WHEN h1 % 10 = 0 THEN NULL
         ELSE to_jsonb((ARRAY['vip', 'newsletter', 'mobile', 'early_adopter', 'b2b',
                              'returning', 'promo', 'gift', 'wholesale'])
                       [1 + h2 % 6 : h2 % 6 + h3 % 4]) END,
    CASE WHEN h2 % 12 = 0 THEN NULL
         ELSE jsonb_build_object(
                  'lang', (ARRAY['en', 'de', 'fr', 'ja', 'pt', 'es'])[1 + h1 % 6],
                  'currency', (ARRAY['USD', 'EUR', 'GBP', 'JPY', 'BRL'])[1 + h4 % 5],
                  'opt_in', h5 % 3 = 0) END,
    CASE WHEN h5 % 10 = 0 THEN NULL ELSE decode(substr(m2, 1, 12), 'hex') END,
    (h6 % 5)::smallint,
    timestamp '2026-01-01 00:00:00' + (h4 % 8640000) * interval '1 second'
FROM (
    SELECT id, m2, h1, h2, h3, h4, h5, h6,
           (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances',
                  'Ken', 'Radia', 'Linus', 'Margaret', 'Dennis', 'Sophie', 'Niklaus',
                  'Hedy', 'John', 'Katherine', 'Tim', 'Shafi', 'Guido'])[1 + h1 % 20] AS fn,
           (ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth',
                  'Allen', 'Thompson', 'Perlman', 'Torvalds', 'Hamilton', 'Ritchie',
                  'Wilson', 'Wirth', 'Lamarr', 'Backus', 'Johnson', 'Berners-Lee',
                  'Goldwasser', 'van Rossum'])[1 + h2 % 20] AS ln
    FROM (
        SELECT id, m2,
               ('x0' || substr(m, 1, 7))::bit(32)::int   AS h1,
               ('x0' || substr(m, 8, 7))::bit(32)::int   AS h2,
               ('x0' || substr(m, 15, 7))::bit(32)::int  AS h3,
               ('x0' || substr(m, 22, 7))::bit(32)::int  AS h4,
               ('x0' || substr(m2, 17, 7))::bit(32)::int AS h5,
               ('x0' || substr(m2, 24, 7))::bit(32)::int AS h6
        FROM (
            SELECT id, md5(id::text) AS m, md5('lakefront:' || id) AS m2
            FROM generate_series(1, 100000) AS id
            OFFSET 0
        ) AS md
        OFFSET 0
    ) AS h
    OFFSET 0
) AS r;

-- ------------------------------------------------------------------
-- gold.daily_store_sales: a composite key (store_id, sale_date); 100 stores
-- times 500 days = 50,000 rows.

CREATE TABLE gold.daily_store_sales (
    store_id        integer,
    sale_date       date,
    region          text NOT NULL,
    gross_sales     numeric(18, 2),
    discounts       numeric(18, 2),
    net_sales       numeric(18, 2),
    transactions    integer,
    units_sold      bigint,
    avg_ticket      double precision,
    return_rate     real,
    promo_active    boolean,
    top_categories  jsonb,
    updated_at      timestamptz,
    PRIMARY KEY (store_id, sale_date)
);

INSERT INTO gold.daily_store_sales
SELECT
    s,
    d,
    (ARRAY['north', 'south', 'east', 'west', 'central'])[1 + s % 5],
    gross,
    disc,
    gross - disc,
    tx,
    tx * (1 + h2 % 5)::bigint + h3 % 7,
    CASE WHEN tx = 0 THEN NULL ELSE round(((gross - disc) / tx)::numeric, 4)::double precision END,
    CASE WHEN h3 % 25 = 0 THEN NULL ELSE ((h1 % 800) / 10000.0)::real END,
    extract(dow FROM d) IN (5, 6) AND h2 % 3 = 0,
    to_jsonb((ARRAY['grocery', 'dairy', 'bakery', 'produce', 'frozen', 'household',
                    'beverages', 'snacks'])[1 + h1 % 5 : 3 + h1 % 5]),
    ((d + 1) + time '02:30:00' + (h3 % 3600) * interval '1 second') AT TIME ZONE 'UTC'
FROM (
    SELECT s, d, h1, h2, h3,
           round((2000 + h1 % 48000)::numeric + (h2 % 100) / 100.0, 2) AS gross,
           round((h3 % 90000)::numeric / 100, 2) % 1500 AS disc,
           h2 % 900 AS tx
    FROM (
        SELECT s, d,
               ('x0' || substr(m, 1, 7))::bit(32)::int  AS h1,
               ('x0' || substr(m, 8, 7))::bit(32)::int  AS h2,
               ('x0' || substr(m, 15, 7))::bit(32)::int AS h3
        FROM (
            SELECT s, date '2024-01-01' + dn AS d, md5(s || '/' || dn) AS m
            FROM generate_series(1, 100) AS s, generate_series(0, 499) AS dn
            OFFSET 0
        ) AS md
        OFFSET 0
    ) AS h
    OFFSET 0
) AS r;

-- ------------------------------------------------------------------
-- gold.products: a text key, with a few keys that are awkward in a URL
-- (slashes, %, ?, #, dots, spaces, +, quotes, backslashes, non-ASCII).

CREATE TABLE gold.products (
    sku           text PRIMARY KEY,
    product_name  text NOT NULL,
    category      text,
    brand         text,
    price         numeric(12, 2),
    currency      text,
    in_stock      boolean,
    stock_qty     integer,
    weight_kg     real,
    dimensions    jsonb,
    launched_on   date,
    updated_at    timestamptz
);

INSERT INTO gold.products
SELECT
    sku,
    initcap(adj) || ' ' || noun,
    (ARRAY['kitchen', 'garden', 'office', 'toys', 'outdoor', 'audio'])[1 + h1 % 6],
    CASE WHEN h2 % 9 = 0 THEN NULL
         ELSE (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli'])[1 + h2 % 5] END,
    round((199 + h3 % 99800)::numeric / 100, 2),
    'USD',
    h1 % 4 <> 0,
    h2 % 500,
    CASE WHEN h3 % 11 = 0 THEN NULL ELSE ((h1 % 25000) / 1000.0)::real END,
    jsonb_build_object('w_cm', 5 + h1 % 60, 'h_cm', 5 + h2 % 60, 'd_cm', 1 + h3 % 30),
    date '2018-01-01' + h2 % 2500,
    timestamptz '2026-01-01 00:00:00+00' + (h3 % 5000000) * interval '1 second'
FROM (
    SELECT 'SKU-' || lpad(n::text, 6, '0') FROM generate_series(1, 300) AS n
    UNION ALL
    SELECT unnest(ARRAY[
        'café/à la carte?', 'emoji-🚀', '100%', 'a+b', 'with space', 'slash/in/middle',
        'dot.ted', 'question?mark', 'hash#tag', 'amp&er=sand', 'quote"double',
        'apos''trophe', 'back\slash', '%2F', 'comma,sep', 'semi;colon', 'colon:sku',
        'tilde~x', 'pipe|x', 'brackets[1]', 'braces{x}', 'naïve-日本語', 'Ω-ohm',
        ' leading-space', 'trailing-space ', 'a..b', '.hidden', 'UPPER-lower', '中文/路径'])
) AS k(sku),
     LATERAL (SELECT ('x0' || substr(m, 1, 7))::bit(32)::int  AS h1,
                     ('x0' || substr(m, 8, 7))::bit(32)::int  AS h2,
                     ('x0' || substr(m, 15, 7))::bit(32)::int AS h3
              FROM (SELECT md5(sku) AS m OFFSET 0) AS md) AS h,
     LATERAL (SELECT (ARRAY['steel', 'bamboo', 'compact', 'wireless', 'classic', 'folding',
                            'ceramic', 'solar'])[1 + h1 % 8] AS adj,
                     (ARRAY['kettle', 'lamp', 'chair', 'speaker', 'planter', 'drone',
                            'notebook', 'tent'])[1 + h2 % 8] AS noun) AS w;

-- ------------------------------------------------------------------
-- Grants, as Lakebase has them for an app: read, nothing else.

REVOKE ALL ON SCHEMA gold FROM PUBLIC;
GRANT USAGE ON SCHEMA gold TO lakefront_app;
REVOKE ALL ON ALL TABLES IN SCHEMA gold FROM lakefront_app;
GRANT SELECT ON ALL TABLES IN SCHEMA gold TO lakefront_app;
-- Tables the superuser syncs into gold later are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA gold GRANT SELECT ON TABLES TO lakefront_app;

COMMIT;

-- Planner statistics and the visibility map, so the first lookups are as
-- fast as later ones.
VACUUM (ANALYZE) gold.customer_features, gold.daily_store_sales, gold.products;
