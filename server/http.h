/* http: the request path, from libmicrohttpd's callbacks to a response.
 *
 * Read top to bottom, http.c is the life of a request:
 *   http_uri_log   MHD has read the request line: a request object is made
 *                  with the raw target (MHD's own copy is percent-decoded).
 *   http_handler   the headers are in: route, check, answer at once
 *                  (metadata, health, errors) or submit a lookup to the
 *                  worker's pool and return without a response ("parked",
 *                  see submit); MHD calls it again at each MHD_run, and
 *                  once the lookup has completed, it queues the response.
 *   http_completed the response went out (or the client left): access log,
 *                  free.
 * All three run on the worker's loop thread; cls is the struct worker.
 */
#ifndef LF_HTTP_H
#define LF_HTTP_H

#include <microhttpd.h>

void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn);

enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, const char *upload_data,
                             size_t *upload_data_size, void **req_cls);

void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                    enum MHD_RequestTerminationCode toe);

/* Frees the request objects the loop keeps for reuse; after MHD_stop_daemon,
 * which completes the requests still open. */
struct worker;
void http_free_spares(struct worker *w);

#endif
