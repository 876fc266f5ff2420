-- Two more tables for the driver's table-size comparison (tests/load/run,
-- step 5e), made from gold.customer_features as sql/demo.sql loaded it:
--
--   gold.customer_features_100k   its first 100,000 rows;
--   gold.customer_features_10m    10,000,000 rows: copies of it with the ids
--                                 shifted by multiples of :rows.
--
-- Same columns, same row sizes, same key: only the number of rows differs,
-- so a difference in lookups per second is the table's size and nothing else.
--
--   psql -v rows=1000000 -f tests/load/sizes.sql      (as the superuser)
--
-- Both are UNLOGGED: a 10M-row load would otherwise write as much WAL as
-- data, and a lookup reads an unlogged table exactly as a logged one. The
-- key is added after the load, which is several times faster than keeping
-- the index up to date row by row.

\set ON_ERROR_STOP on

SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;
SET client_min_messages = warning;

DROP TABLE IF EXISTS gold.customer_features_100k, gold.customer_features_10m;

CREATE UNLOGGED TABLE gold.customer_features_100k
    (LIKE gold.customer_features INCLUDING DEFAULTS);
INSERT INTO gold.customer_features_100k
SELECT * FROM gold.customer_features WHERE customer_id <= 100000;
ALTER TABLE gold.customer_features_100k ADD PRIMARY KEY (customer_id);

-- The select list of the copy: every column as it is but the key, shifted.
-- Built from the catalog so that a column added to demo.sql needs no edit
-- here.
SELECT string_agg(CASE WHEN attname = 'customer_id'
                       THEN format('c.customer_id + g.k * %s::bigint', :rows)
                       ELSE 'c.' || quote_ident(attname) END,
                  ', ' ORDER BY attnum) AS cols
FROM pg_attribute
WHERE attrelid = 'gold.customer_features'::regclass AND attnum > 0 AND NOT attisdropped
\gset

CREATE UNLOGGED TABLE gold.customer_features_10m
    (LIKE gold.customer_features INCLUDING DEFAULTS);
INSERT INTO gold.customer_features_10m
SELECT :cols
FROM generate_series(0, (10000000 + :rows - 1) / :rows - 1) AS g(k)
CROSS JOIN gold.customer_features AS c
WHERE c.customer_id + g.k * :rows::bigint <= 10000000;
ALTER TABLE gold.customer_features_10m ADD PRIMARY KEY (customer_id);

GRANT SELECT ON gold.customer_features_100k, gold.customer_features_10m TO lakefront_app;
