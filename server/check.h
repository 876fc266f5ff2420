/* check: `lakefront check`, the preflight of a deployment.
 *
 * It reads the settings exactly as the server does (config_load with the same
 * flags and environment, then dbxconf_resolve) and walks the path the server
 * would walk, one step at a time, printing one line per step with its time:
 *
 *   settings    every setting is valid; where it would listen, what it serves
 *   credential  how it logs in to Postgres: libpq's own login (password), or
 *               one Lakebase credential minted now (databricks)
 *   connect     one connection made as the pool makes them, with the
 *               session settings the pool runs; server version and TLS
 *   catalog     the tables with a primary key that the role may read
 *   lookups     per table: prepare its lookup, run it for one key read from
 *               the table, and encode the row as the server would
 *
 * It stops at the first step that fails (the later ones are listed as
 * skipped). What it prints holds no secret: no password, token or database
 * credential, and no key or row value either (those are the user's data).
 *
 * Everything here blocks (libpq's blocking calls, libcurl's easy interface):
 * it is a command of its own and never runs inside the server.
 */
#ifndef LF_CHECK_H
#define LF_CHECK_H

#include <stdio.h>

/* Runs the check with argv[0] being "check" and argv[1..] the server's flags,
 * writing the report to out. Returns the process exit code: 0 when every
 * step passed (or --help/--version was given), 1 when a step failed,
 * invalid settings included. Main thread, before any other thread exists:
 * it sets the log level and initialises libcurl. */
int check_run(int argc, char **argv, FILE *out);

#endif
