/*
 * matter_http.h - the resident-matter module and its JSON API.
 *
 *   GET  /api/v1/matter-types                      public: the catalog
 *   POST /api/v1/matters                           public: submit (JSON,
 *        urlencoded or multipart with up to 5 "photo" files) -> 201
 *        {"code","track_url","qr_url","matter":<public view>}
 *   GET  /api/v1/matters?state=&type=&unit=&open=&overdue=&q=&from=&to=
 *        &cursor=&limit=                           staff: the queue
 *   GET  /api/v1/matters/{id}                      staff: {"matter","history"}
 *   POST /api/v1/matters/{id}/actions/{transition} staff: accept, reject
 *        {"reason"}, assign {"unit_id"}, start, resolve {"reply"};
 *        "version" optional -> {"matter"}
 *   GET  /api/v1/track/{code}                      public: the tracking view
 *   POST /api/v1/track/{code}/rate                 public: {"rating","comment"}
 *   POST /api/v1/track/{code}/reopen               public: {"reason"}
 *   GET  /api/v1/track/{code}/events               public: its live stream
 *   GET  /media/{sha256}                           public: a matter's photo
 */
#ifndef FAZHI_MODULES_MATTER_MATTER_HTTP_H
#define FAZHI_MODULES_MATTER_MATTER_HTTP_H

#include "http/http.h"
#include "modules/matter/matter.h"
#include "modules/module.h"

struct blob_store;

extern const struct module matter_module;

/* What `fazhi serve` tells the module; set once before the server starts. */
struct matter_config {
    /* Where photos are kept. NULL: a submission with photos is refused
     * (ERR_UNAVAILABLE). */
    struct blob_store *photos;
    /* Anonymous submissions one address may make in 15 minutes before it
     * is refused (ERR_RATE_LIMIT) for 15 minutes; 0: no limit. Submissions
     * by a signed-in user or an API token (Open311 clients) do not count. */
    int submit_limit;
};

#define MATTER_SUBMIT_LIMIT 30 /* serve's default */

void matter_configure(const struct matter_config *cfg);

/*
 * Reads a submission from the request (JSON, or a form of either encoding
 * with "attribute[CODE]" fields and "photo" files), stores its photos and
 * submits it as req->principal (anonymous when 'anonymous'), in one unit
 * of work. For the JSON API and the portal's form alike. ERR_INVALID
 * names the field; nothing is written then (a photo file already stored
 * is harmless: it is named by its content).
 */
int matter_http_submit(struct http_request *req, const char *source, bool anonymous,
                       struct matter *out, struct err_ctx *ec);

/*
 * The guard of tracking codes, for every public view that reads a matter by
 * code: matter_http_code_guard() refuses (ERR_RATE_LIMIT, field "code") an
 * address that gave 20 codes naming no matter within 15 minutes, for 15
 * minutes; matter_http_code_checked() counts the lookup's result 'rc' (a
 * miss is ERR_NOT_FOUND naming "code") and returns it.
 */
int matter_http_code_guard(struct http_request *req, struct err_ctx *ec);
int matter_http_code_checked(struct http_request *req, int rc, struct err_ctx *ec);

/*
 * The matter of a tracking code with its history, for the public views;
 * and a resident's action ("rate", "reopen") by code. Both guard the code:
 * an address that gave 20 codes naming no matter within 15 minutes is
 * refused with ERR_RATE_LIMIT for 15 minutes.
 */
int matter_http_track_read(struct http_request *req, const char *code, struct matter *m,
                           struct matter_step **steps, size_t *n, struct err_ctx *ec);
int matter_http_resident_act(struct http_request *req, const char *code, const char *transition,
                             json_t *fields, struct matter *out, struct err_ctx *ec);

/* The queue's filter from the query string (state, type, unit, open,
 * overdue, q, from, to, cursor, limit) in the caller's scope; ERR_BAD_REQUEST
 * naming the argument. */
int matter_http_filter(struct http_request *req, struct matter_filter *f, struct err_ctx *ec);

/* The Last-Event-ID of an event-stream request (header, or the
 * last_event_id query argument); 0 for "from now". */
int matter_http_last_event_id(struct http_request *req, int64_t *out, struct err_ctx *ec);

#endif
