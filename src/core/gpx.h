/*
 * gpx.h - patrol tracks: the length and time span of an uploaded GPX file.
 *
 * Patrols are recorded by phone apps that export GPX 1.0 or 1.1. Only
 * tracks count (gpx/trk/trkseg/trkpt); waypoints, routes and extensions are
 * ignored. The distance is the sum of great-circle (haversine, mean Earth
 * radius 6371.0088 km) distances between consecutive points of a segment;
 * the gap between two segments (the app paused) is not walked distance.
 *
 * The file comes from a user, so the parser (expat) refuses any DOCTYPE:
 * no entity can be declared, so none can be expanded (billion laughs) and no
 * external one fetched.
 */
#ifndef FAZHI_CORE_GPX_H
#define FAZHI_CORE_GPX_H

#include "core/err.h"

#define GPX_EARTH_RADIUS_KM 6371.0088

struct gpx_summary {
    size_t points;    /* trkpt elements */
    size_t segments;  /* trkseg elements, empty ones included */
    double km;        /* within segments only */
    int64_t start_ms; /* earliest <time> of a point, ms since the epoch; 0 when none */
    int64_t end_ms;   /* latest <time> of a point; 0 when none */
};

/*
 * Parses data[0..len) as GPX and fills 'out'. A GPX file without tracks is
 * valid (all zeros). Returns 0, or ERR_BAD_REQUEST with a zh-CN message
 * naming the line (not XML, a root other than gpx, a DOCTYPE, lat or lon
 * missing or out of range, a bad <time>), or ERR_TOO_LARGE when there are
 * more than max_points track points (ERR_NOMEM if expat cannot start). The
 * field of the error is "file". On error 'out' is all zeros.
 */
int gpx_summarise(const char *data, size_t len, size_t max_points, struct gpx_summary *out,
                  struct err_ctx *ec);

/* The haversine distance in km between two points given in degrees. */
double gpx_distance_km(double lat1, double lon1, double lat2, double lon2);

#endif
