/* session: the settings every database connection of lakefront runs right
 * after it logs in.
 *
 * They make Postgres format values the way rowjson's to_jsonb equivalence is
 * stated for (UTC, ISO dates, hex bytea, ...), make the session read-only
 * and bound each statement. Every pool connection (pool.c, conn_setup) and
 * `lakefront check` run this one list, so the check tests what the server
 * will do.
 *
 * Pure: no libpq header, no I/O.
 */
#ifndef LF_SESSION_H
#define LF_SESSION_H

#include "buf.h"

/* Appends the SETs to out as one string of ";"-separated statements (one
 * round trip, one result per statement) and returns how many there are.
 * statement_timeout_ms is the connection's statement_timeout. Any thread. */
int session_setup_sql(struct buf *out, int statement_timeout_ms);

#endif
