/* session: see session.h. */
#include "session.h"

#include <stddef.h>

static const char *const fixed_sets[] = {
    "SET default_transaction_read_only = on", "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, MDY'",            "SET IntervalStyle = 'postgres'",
    "SET bytea_output = 'hex'",              "SET extra_float_digits = 1",
};

int session_setup_sql(struct buf *out, int statement_timeout_ms)
{
    const int nfixed = (int)(sizeof fixed_sets / sizeof fixed_sets[0]);
    buf_printf(out, "SET statement_timeout = %d", statement_timeout_ms);
    for (int i = 0; i < nfixed; i++)
        buf_printf(out, "; %s", fixed_sets[i]);
    return nfixed + 1;
}
