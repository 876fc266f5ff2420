/* session: see session.h. */
#include "session.h"

#include <stddef.h>

/* plan_cache_mode: every statement lakefront prepares looks rows up by their
 * primary key, where the generic plan (an index scan per key) is the plan
 * for any parameter value. Left to choose, Postgres compares the generic
 * plan's cost, which assumes 10 elements for an array parameter, with a
 * custom plan's for the keys at hand, and for a batch of fewer than about
 * ten keys it plans again at every execution: 92 us of backend CPU for a
 * one-key batch statement against 22 us with the generic plan
 * (tests/load/README.md, "generic plans"). */
static const char *const fixed_sets[] = {
    "SET default_transaction_read_only = on", "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, MDY'",            "SET IntervalStyle = 'postgres'",
    "SET bytea_output = 'hex'",              "SET extra_float_digits = 1",
    "SET plan_cache_mode = force_generic_plan",
};

int session_setup_sql(struct buf *out, int statement_timeout_ms)
{
    const int nfixed = (int)(sizeof fixed_sets / sizeof fixed_sets[0]);
    buf_printf(out, "SET statement_timeout = %d", statement_timeout_ms);
    for (int i = 0; i < nfixed; i++)
        buf_printf(out, "; %s", fixed_sets[i]);
    return nfixed + 1;
}
