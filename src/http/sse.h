/*
 * sse.h - the live-event hub behind GET /api/v1/events.
 *
 * Each subscriber is a suspended libmicrohttpd connection with a queue of
 * bytes to send. A committed event (from the store's event hook) is
 * formatted once and appended to the queue of every subscriber whose scope
 * covers the event's unit (and whose topic matches, for topic streams), and
 * that connection is resumed. A heartbeat comment goes out every 15 s so that
 * proxies and the connection timeout do not drop idle streams. A subscriber
 * whose queue grows past a limit (a client that stopped reading) is closed;
 * it reconnects with Last-Event-ID and the table replays what it missed.
 */
#ifndef FAZHI_HTTP_SSE_H
#define FAZHI_HTTP_SSE_H

#include "http/http.h"

struct store_event_rec;

/* The hub ends streams on ACCESS_REVOKED_EVENT (core/access.h) and when the
 * session a stream was opened with expires. */

/* Returns a new hub; free it with sse_hub_free() after the server stopped. */
struct sse_hub *sse_hub_new(void);
void sse_hub_free(struct sse_hub *hub);

/* The store's event hook: fans one committed event out to subscribers. */
void sse_hub_publish(const struct store_event_rec *ev, void *hub);

/*
 * Ends every stream and refuses new ones (ERR_UNAVAILABLE), the first step
 * of shutdown: wakes every suspended connection so that libmicrohttpd may be
 * stopped, and waits up to 2 s for the streams to send their end.
 */
void sse_hub_shutdown(struct sse_hub *hub);

/* Number of open streams (for /healthz and tests). */
size_t sse_hub_count(struct sse_hub *hub);

/*
 * Turns the request into an event stream: replays from the event table the
 * events after 'last_id' (Last-Event-ID) that match, then follows live ones.
 * 'scope_path' limits events to that subtree ("" for none, with a topic);
 * 'topic', if not NULL, limits them to that topic.
 */
int sse_serve(struct http_request *req, const char *scope_path, const char *topic, int64_t last_id,
              struct err_ctx *ec);

#endif
