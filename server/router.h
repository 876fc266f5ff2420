/* router: turns a request line (method and raw request-target) into a route.
 *
 * Pure: no MHD, no libpq. The raw request-target is used (not the copy that
 * MHD percent-decodes) so that an encoded "/" inside a key ("a%2Fb") stays one
 * path segment: each segment and each query name and value is decoded here,
 * once. In the query string "+" means a space (form encoding); in the path it
 * is a literal "+".
 *
 * Routes (all under GET or HEAD):
 *   /healthz, /readyz
 *   /api/v1/status
 *   /api/v1/tables
 *   /api/v1/tables/{name}                    name is "schema.table"
 *   /api/v1/tables/{name}/rows/{k1}[/{k2}..] one segment per key column
 *   /api/v1/tables/{name}/rows?col=v&..      key columns as query parameters
 * "/api/v1/tables/" is the same as "/api/v1/tables" and "/api/v1/tables/{name}/"
 * the same as "/api/v1/tables/{name}". "/rows" with nothing after it is the
 * query form (nparts 0); "/rows/" has one empty key segment, which is a valid
 * key for a text column. Query parameters on other routes are ignored.
 */
#ifndef LF_ROUTER_H
#define LF_ROUTER_H

#include <stddef.h>

enum route_kind {
    ROUTE_NOT_FOUND = 0, /* no such path: 404 NOT_FOUND */
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_TABLES,    /* GET /api/v1/tables */
    ROUTE_TABLE,     /* GET /api/v1/tables/{name} */
    ROUTE_ROW,       /* GET /api/v1/tables/{name}/rows/..., keys in parts or params */
    ROUTE_LOOKUP,    /* POST /api/v1/tables/{name}/lookup: a batch, keys in the body */
    ROUTE_OPENAPI,   /* GET /api/v1/openapi.json */
    ROUTE_METRICS,   /* GET /metrics and /api/v1/metrics (Prometheus) */
    ROUTE_STATUS,    /* GET /api/v1/status: one JSON object about the service */
};

enum route_status {
    ROUTE_OK = 0,
    ROUTE_ERR_NOT_FOUND,       /* 404 NOT_FOUND: unknown path */
    ROUTE_ERR_METHOD,          /* 405 METHOD_NOT_ALLOWED: known path, other method; see allow */
    ROUTE_ERR_BAD_ENCODING,    /* 400 INVALID_KEY: malformed %-escape, or a decoded key or
                                  name that is not valid UTF-8 or holds a NUL byte */
};

struct route_param {
    char *name;            /* decoded, NUL-terminated, owned by the route */
    char *value;           /* decoded, NUL-terminated, owned by the route */
    const char *raw_value; /* the value as sent, still %-encoded: borrowed from the uri
                              given to router_parse; raw_len bytes, not terminated */
    size_t raw_len;
};

struct route {
    enum route_kind kind;
    char *table;                /* decoded "schema.table" for TABLE, ROW and LOOKUP, else NULL */
    size_t nparts;              /* ROW: number of key path segments (0 with the query form) */
    char **parts;               /* decoded path segments, NUL-terminated, owned */
    size_t nparams;             /* query parameters, in order, duplicates kept */
    struct route_param *params; /* owned */
    const char *allow;          /* the methods of a known path, for Allow (static); NULL
                                   when the path is unknown */
    char detail[160];           /* on error: a human sentence saying what was wrong */
};

/* Parses method (e.g. "GET") and the raw request-target uri[0..len) (path,
 * optionally "?query"; no fragment) into *r, which the caller zeroes or not:
 * r is fully overwritten. Returns ROUTE_OK or an error status; on any return
 * the caller must route_free(r). Never reads past len. Thread-safe. */
enum route_status router_parse(const char *method, const char *uri, size_t len, struct route *r);

/* The route's template, for logs and metrics: "/api/v1/tables/{table}/rows/{key}"
 * and the like, never a real table name or key. A static string; "other" for
 * a request that matched no route. */
const char *router_template(const struct route *r);

/* Frees what router_parse allocated in r (not r itself). Safe on a zeroed r. */
void route_free(struct route *r);

/* Percent-decodes s[0..n) into a new NUL-terminated string (caller frees);
 * plus_is_space turns "+" into " ". Returns NULL when an escape is malformed,
 * or the result holds a NUL byte or is not valid UTF-8. *outlen gets the
 * decoded length when outlen is not NULL. */
char *router_decode(const char *s, size_t n, int plus_is_space, size_t *outlen);

#endif
