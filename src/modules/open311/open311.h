/*
 * open311.h - Open311 GeoReport v2 under /open311/v2/ (docs/open311.md).
 *
 * Resident matters (modules/matter) are the service requests, matter types
 * the services. Every route is public and takes no CSRF token: 311 clients
 * carry no cookie; POST requests.{fmt} authenticates with its api_key, an API
 * token of `fazhi apikey add`. The format is the path's extension, .json or
 * .xml; errors are the spec's [{"code","description"}] or
 * <errors><error><code/><description/></error></errors>, never fazhi's
 * {"error":...} body.
 *
 * The pure helpers below (dates and the XML writer) are declared here so
 * that unit tests and fuzz targets can call them without a server.
 */
#ifndef FAZHI_MODULES_OPEN311_OPEN311_H
#define FAZHI_MODULES_OPEN311_OPEN311_H

#include <jansson.h>

#include "modules/module.h"

struct arena;

extern const struct module open311_module;

/* "2022-03-01T09:30:00+08:00" and NUL. */
#define OPEN311_DATETIME_LEN 26

/* Writes instant 'ms' in the W3C form with the +08:00 offset into buf
 * (at least OPEN311_DATETIME_LEN bytes). */
void open311_format_datetime(int64_t ms, char *buf, size_t size);

/*
 * Parses a W3C datetime (www.w3.org/TR/NOTE-datetime) into *ms:
 * "YYYY-MM-DDThh:mm[:ss[.s...]]TZD", TZD being "Z" or "+hh:mm"/"-hh:mm"; a
 * space where the '+' of the offset belongs is read as '+' (an unencoded '+'
 * in a query string decodes to a space). A bare date "YYYY-MM-DD" is a day
 * in UTC+8: its first millisecond, or its last when 'end_of_day'. Returns 0,
 * or -1 when 's' is none of these or not a real date and time.
 */
int open311_parse_datetime(const char *s, bool end_of_day, int64_t *ms);

/*
 * The XML of an Open311 document built as JSON (the spec's JSON is the
 * "Spark convention" mapping of its XML, so one tree gives both):
 *   <?xml version="1.0" encoding="utf-8"?>, then element 'root' holding
 *   - for an array 'doc', one element 'item' per member;
 *   - for an object 'doc', one element per member, in order.
 * Inside, an object member is an element of its name; an array member is an
 * element of its name holding one element per item, named from the member
 * ("attributes" -> "attribute", "values" -> "value", "endpoints" ->
 * "endpoint", "formats" -> "format"); null is an empty element, booleans
 * "true"/"false", numbers as JSON writes them (reals with 10 significant
 * digits), text escaped (&, <, >, ", and CR as &#13;; characters XML 1.0
 * cannot carry are dropped). Returns the text in the arena, length in *len.
 */
char *open311_xml(struct arena *a, const json_t *doc, const char *root, const char *item,
                  size_t *len);

#endif
