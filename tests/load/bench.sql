-- pgbench script: the lookup lakefront makes, without lakefront.
--
--   pgbench -n -M prepared -f tests/load/bench.sql -D N=100000 -c 8 -j 2 -T 10
--
-- N is the number of rows in gold.customer_features (ids 1..N). Ids are drawn
-- from 1..N*1.01 like tests/load/random_keys.lua does, so about 1 % miss
-- here too and both sides see the same key distribution.
\set id random(1, :N * 101 / 100)
SELECT * FROM gold.customer_features WHERE customer_id = :id;
