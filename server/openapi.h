/* openapi: the OpenAPI 3.1 document of a catalog, served at
 * GET /api/v1/openapi.json.
 *
 * The document describes the API as this snapshot of the catalog serves it:
 * the fixed endpoints (/healthz, /readyz, /api/v1/status, /api/v1/tables,
 * the table metadata and this document) and, for every served table, its own row
 * paths (path form, query form, batch lookup) and a schema of its row
 * object, so that a client generator gets one typed method per table.
 * Column schemas say exactly what rowjson writes for the column's type
 * (an int8 is an integer, a numeric is a number or "NaN"/"Infinity"/
 * "-Infinity", a date is a string because Postgres also writes "infinity"
 * and BC dates): every row lakefront returns validates against its table's
 * schema.
 *
 * Rendered once per catalog snapshot (catalog_load), never per request.
 * Pure: reads only the catalog structs; no I/O, no libpq call.
 */
#ifndef LF_OPENAPI_H
#define LF_OPENAPI_H

#include <stddef.h>

struct catalog;

/* The document for c as compact JSON, with batch_max_keys (the setting
 * LAKEFRONT_BATCH_MAX_KEYS) as the lookup's maxItems: malloc'd, NUL-terminated, owned by the
 * caller (free()); *len (if len is not NULL) gets its length without the
 * NUL. c is only read and must stay unchanged during the call. Never NULL
 * (aborts on out of memory, as xalloc does). Thread-safe: it touches no
 * shared state. */
char *openapi_render(const struct catalog *c, int batch_max_keys, size_t *len);

#endif
