"""The service starts against the test cluster, serves a row and stops cleanly."""
import lf


def test_serves_a_row_and_stops_cleanly(t):
    s = t.server()
    r = s.get("/api/v1/tables/gold.customer_features/rows/42")
    t.eq(r.status, 200, "status")
    t.eq(r.json["customer_id"], 42, "customer_id")
    t.eq(s.stop(), 0, "exit code")


lf.main(globals())
