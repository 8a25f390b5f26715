/*
 * fuzz_gpx.c - libFuzzer target: gpx_summarise() over any bytes.
 *
 * Checks the summary is sane whenever the parse succeeds (a finite,
 * non-negative distance no longer than half the Earth per step, start not
 * after end, the point limit kept) and that failures are ERR_BAD_REQUEST or
 * ERR_TOO_LARGE with a message and a zeroed summary.
 */
#include "core/compat.h"
#include "core/gpx.h"

#include <math.h>

#define MAX_POINTS 500

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gpx_summary s;
    struct err_ctx ec;

    err_clear(&ec);
    if (gpx_summarise((const char *)data, size, MAX_POINTS, &s, &ec) != 0) {
        if ((ec.code != ERR_BAD_REQUEST && ec.code != ERR_TOO_LARGE) || !ec.message[0] ||
            strcmp(ec.field, "file") != 0 || s.points != 0 || s.km != 0.0)
            abort();
        return 0;
    }
    if (s.points > MAX_POINTS || !isfinite(s.km) || s.km < 0.0 ||
        s.km > (double)s.points * GPX_EARTH_RADIUS_KM * M_PI + 1e-6 || s.start_ms > s.end_ms)
        abort();
    if (s.points < 2 && s.km != 0.0)
        abort();
    return 0;
}
