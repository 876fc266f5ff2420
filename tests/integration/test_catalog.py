"""The catalog follows the database: tables created, dropped, altered and recreated
under a running server, refreshed by timer and by SIGHUP, filtered by settings."""
import signal
import threading
import time

import lf


def make_table(name, extra_cols="", rows=20):
    lf.psql("DROP TABLE IF EXISTS %s; CREATE TABLE %s (id bigint PRIMARY KEY, v text%s);"
            "INSERT INTO %s (id, v) SELECT g, 'v' || g FROM generate_series(1, %d) g;"
            "GRANT SELECT ON %s TO lakefront_app;" % (name, name, extra_cols, name, rows, name))


def served(s, name):
    return s.get("/api/v1/tables/" + name).status == 200


def test_sighup_serves_a_new_table(t):
    lf.psql("DROP TABLE IF EXISTS lf_test.cat_new")
    s = t.server(["--catalog-refresh-s", "3600"])
    r = s.get("/api/v1/tables/lf_test.cat_new/rows/1")
    t.error(r, 404, "TABLE_NOT_FOUND", "before the table exists")
    make_table("lf_test.cat_new")
    s.signal(signal.SIGHUP)
    lf.wait_for(lambda: served(s, "lf_test.cat_new"), 10, "the new table after SIGHUP")
    r = s.get("/api/v1/tables/lf_test.cat_new/rows/3")
    t.eq(r.json, {"id": 3, "v": "v3"}, "row of the new table")
    names = [x["name"] for x in s.get("/api/v1/tables").json["tables"]]
    t.true("lf_test.cat_new" in names, "the new table is listed")


def test_timer_refresh_serves_new_and_forgets_dropped_tables(t):
    make_table("lf_test.cat_drop")
    lf.psql("DROP TABLE IF EXISTS lf_test.cat_timer")
    s = t.server(["--catalog-refresh-s", "1"])
    t.eq(s.get("/api/v1/tables/lf_test.cat_drop/rows/1").status, 200, "before the drop")
    make_table("lf_test.cat_timer")
    lf.psql("DROP TABLE lf_test.cat_drop")
    # A lookup on the dropped table is a 404 at once (Postgres says the
    # table is gone), and the listing forgets it at the next refresh.
    r = s.get("/api/v1/tables/lf_test.cat_drop/rows/1")
    t.error(r, 404, "TABLE_NOT_FOUND", "lookup on a dropped table")
    lf.wait_for(lambda: served(s, "lf_test.cat_timer"), 10, "the new table after a timed refresh")
    lf.wait_for(lambda: not served(s, "lf_test.cat_drop"), 10, "the dropped table to go")
    r = s.get("/api/v1/tables/lf_test.cat_drop/rows/1")
    t.error(r, 404, "TABLE_NOT_FOUND", "after the refresh")


def lookups_in_background(s, path, stop, results):
    def run():
        conn = s.connect()
        deadline = time.time() + 60
        while not stop.is_set() and time.time() < deadline:
            results.append(s.get(path, conn=conn))
        conn.close()
    th = threading.Thread(target=run)
    th.start()
    return th


def test_column_added_while_serving(t):
    make_table("lf_test.cat_alter")
    s = t.server(["--catalog-refresh-s", "3600", "--pool-size", "4"])
    stop, results = threading.Event(), []
    threads = [lookups_in_background(s, "/api/v1/tables/lf_test.cat_alter/rows/%d" % (i + 1),
                                     stop, results) for i in range(4)]
    lf.wait_for(lambda: len(results) > 100, 10, "lookups before the change")
    lf.psql("ALTER TABLE lf_test.cat_alter ADD COLUMN added integer DEFAULT 7")
    n = len(results)
    lf.wait_for(lambda: len(results) > n + 200, 10, "lookups after the change")
    stop.set()
    for th in threads:
        th.join(30)
    bad = [r for r in results if r.status != 200]
    t.eq(bad[:3], [], "failed lookups while a column was added")
    # Every connection re-prepared: the new column is served at once, with
    # no catalog refresh.
    last = results[-50:]
    t.true(all(r.json.get("added") == 7 for r in last), "the new column in the rows: %r" % last[-1])
    t.true(any(l.get("msg") == "re-preparing a stale statement" for l in s.lines),
           "the stale statement was re-prepared (not served from a catalog refresh)")


def test_table_recreated_by_a_full_refresh(t):
    make_table("lf_test.cat_recreate")
    s = t.server(["--catalog-refresh-s", "3600", "--pool-size", "2"])
    for i in range(20):
        t.eq(s.get("/api/v1/tables/lf_test.cat_recreate/rows/%d" % (i % 5 + 1)).status, 200,
             "before")
    # What a synced table's full refresh does: a new table under the old
    # name, here with a column of another type and one more column.
    lf.psql("BEGIN; DROP TABLE lf_test.cat_recreate;"
            "CREATE TABLE lf_test.cat_recreate (id bigint PRIMARY KEY, v integer, w text);"
            "INSERT INTO lf_test.cat_recreate SELECT g, g * 10, 'w' FROM generate_series(1, 5) g;"
            "GRANT SELECT ON lf_test.cat_recreate TO lakefront_app; COMMIT;")
    for i in range(20):
        r = s.get("/api/v1/tables/lf_test.cat_recreate/rows/%d" % (i % 5 + 1))
        t.eq(r.status, 200, "lookup %d after the recreate (%r)" % (i, r))
        t.eq(r.json, {"id": i % 5 + 1, "v": (i % 5 + 1) * 10, "w": "w"}, "row after the recreate")


def test_schema_and_table_filters(t):
    s = t.server(env={"LAKEFRONT_SCHEMAS": "lf_test"})
    names = [x["name"] for x in s.get("/api/v1/tables").json["tables"]]
    t.true(names and all(n.startswith("lf_test.") for n in names), "only lf_test: %r" % names)
    t.true("lf_test.nopk" not in names, "a table without a primary key is not served")
    r = s.get("/api/v1/tables/gold.customer_features/rows/1")
    t.error(r, 404, "TABLE_NOT_FOUND", "a table outside the schemas")
    s.stop()
    s = t.server(["--tables", "gold.products, lf_test.composite"])
    names = [x["name"] for x in s.get("/api/v1/tables").json["tables"]]
    t.eq(names, ["gold.products", "lf_test.composite"], "the allowlist")


def test_unreadable_table_is_not_served(t):
    lf.psql("DROP TABLE IF EXISTS lf_test.cat_secret;"
            "CREATE TABLE lf_test.cat_secret (id int PRIMARY KEY);"
            "REVOKE ALL ON lf_test.cat_secret FROM lakefront_app;")
    s = t.server()
    names = [x["name"] for x in s.get("/api/v1/tables").json["tables"]]
    t.true("lf_test.cat_secret" not in names, "a table the role cannot read is not listed")


lf.main(globals())
