/*
 * test_gpx.c - GPX track summaries: distances, segments, times, and the
 * files that must be refused (bad coordinates, not GPX, DOCTYPE, limits).
 */
#include "core/compat.h"
#include "core/gpx.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#define HDR11                                                                                      \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                 \
    "<gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
#define ONE_DEGREE_KM (GPX_EARTH_RADIUS_KM * M_PI / 180.0) /* 111.195 km */

static void test_gpx_distance_km__table(void **state)
{
    static const struct {
        double lat1, lon1, lat2, lon2, km, tolerance;
    } cases[] = {
        {0, 0, 1, 0, 111.2, 111.2 * 0.001},      /* one degree of latitude, within 0.1 % */
        {0, 0, 0, 1, 111.2, 111.2 * 0.001},      /* one degree of longitude on the equator */
        {60, 0, 60, 1, 55.6, 55.6 * 0.001},      /* half as much at 60 degrees */
        {30.25, 120.15, 30.25, 120.15, 0, 1e-9}, /* the same point */
        {0, 0, 0, 180, 20015.1, 0.1},            /* half the circumference: antipodes */
        {90, 0, -90, 0, 20015.1, 0.1},
        /* Shanghai, People's Square towards the Bund: about 1.9 km */
        {31.2304, 121.4737, 31.2400, 121.4900, 1.88, 0.01},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        double km = gpx_distance_km(cases[i].lat1, cases[i].lon1, cases[i].lat2, cases[i].lon2);
        if (fabs(km - cases[i].km) > cases[i].tolerance)
            fail_msg("case %zu: %.6f km, want %.3f", i, km, cases[i].km);
    }
}

static void test_gpx_summarise__table(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        size_t points, segments;
        double km;
        int64_t start_ms, end_ms;
    } cases[] = {
        {"one degree north, with times",
         HDR11
         "<trk><name>巡查</name><trkseg>\n"
         "<trkpt lat=\"30\" lon=\"120\"><ele>5</ele><time>2022-05-01T00:00:00Z</time></trkpt>\n"
         "<trkpt lat=\"31\" lon=\"120\"><time>2022-05-01T01:30:00.250Z</time></trkpt>\n"
         "</trkseg></trk></gpx>\n",
         2, 1, ONE_DEGREE_KM, 1651363200000LL, 1651368600250LL},
        {"no distance across segments",
         HDR11 "<trk><trkseg>"
               "<trkpt lat=\"0\" lon=\"0\"/><trkpt lat=\"1\" lon=\"0\"/>"
               "</trkseg><trkseg>"
               "<trkpt lat=\"10\" lon=\"10\"/><trkpt lat=\"11\" lon=\"10\"/>"
               "</trkseg></trk></gpx>",
         4, 2, 2 * ONE_DEGREE_KM, 0, 0},
        {"two tracks",
         HDR11
         "<trk><trkseg><trkpt lat=\"0\" lon=\"0\"/><trkpt lat=\"1\" lon=\"0\"/></trkseg></trk>"
         "<trk><trkseg><trkpt lat=\"5\" lon=\"0\"/><trkpt lat=\"6\" lon=\"0\"/></trkseg></trk>"
         "</gpx>",
         4, 2, 2 * ONE_DEGREE_KM, 0, 0},
        {"GPX 1.0, time zone offset, times out of order",
         "<gpx version=\"1.0\" xmlns=\"http://www.topografix.com/GPX/1/0\"><trk><trkseg>"
         "<trkpt lat=\"-1\" lon=\"0\"><time>2022-05-01T09:00:00+08:00</time></trkpt>"
         "<trkpt lat=\"-2\" lon=\"0\"><time>2022-05-01T00:00:00-01:00</time></trkpt>"
         "<trkpt lat=\"-3\" lon=\"0\"><time>2022-04-30T23:00:00Z</time></trkpt>"
         "</trkseg></trk></gpx>",
         3, 1, 2 * ONE_DEGREE_KM, 1651359600000LL, 1651366800000LL},
        {"no namespace, no time zone",
         "<gpx><trk><trkseg><trkpt lat=\" 0.5 \" lon=\"+0\"><time>1970-01-01T00:00:01</time>"
         "</trkpt></trkseg></trk></gpx>",
         1, 1, 0, 1000, 1000},
        {"empty track", HDR11 "<trk><name>空</name></trk></gpx>", 0, 0, 0, 0, 0},
        {"empty segment", HDR11 "<trk><trkseg></trkseg></trk></gpx>", 0, 1, 0, 0, 0},
        {"no track at all", "<gpx/>", 0, 0, 0, 0, 0},
        {"waypoints and routes ignored",
         HDR11 "<wpt lat=\"99\" lon=\"0\"/><rte><rtept lat=\"0\" lon=\"0\"/>"
               "<rtept lat=\"1\" lon=\"0\"/></rte></gpx>",
         0, 0, 0, 0, 0},
        {"metadata time ignored",
         HDR11 "<metadata><time>garbage</time></metadata><trk><trkseg><trkpt lat=\"1\" lon=\"1\"/>"
               "</trkseg></trk></gpx>",
         1, 1, 0, 0, 0},
        {"extensions of other namespaces ignored",
         "<gpx xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:x=\"urn:x\"><trk><trkseg>"
         "<trkpt lat=\"0\" lon=\"0\"><extensions><x:trkpt lat=\"bad\"/><x:time>bad</x:time>"
         "</extensions></trkpt><trkpt lat=\"1\" lon=\"0\"/></trkseg></trk></gpx>",
         2, 1, ONE_DEGREE_KM, 0, 0},
        {"prefixed GPX namespace",
         "<g:gpx xmlns:g=\"http://www.topografix.com/GPX/1/1\"><g:trk><g:trkseg>"
         "<g:trkpt lat=\"0\" lon=\"0\"/><g:trkpt lat=\"0\" lon=\"1\"/></g:trkseg></g:trk></g:gpx>",
         2, 1, ONE_DEGREE_KM, 0, 0},
        {"trkpt outside trkseg not counted", HDR11 "<trk><trkpt lat=\"0\" lon=\"0\"/></trk></gpx>",
         0, 0, 0, 0, 0},
        {"extreme coordinates",
         HDR11 "<trk><trkseg><trkpt lat=\"90\" lon=\"-180\"/>"
               "<trkpt lat=\"-90\" lon=\"180.0\"/></trkseg></trk></gpx>",
         2, 1, GPX_EARTH_RADIUS_KM * M_PI, 0, 0},
        {"exponent in a coordinate",
         HDR11 "<trk><trkseg><trkpt lat=\"1e-1\" lon=\"0\"/>"
               "</trkseg></trk></gpx>",
         1, 1, 0, 0, 0},
        {"entity references", HDR11 "<trk><name>&lt;&amp;&#x5DE1;</name></trk></gpx>", 0, 0, 0, 0,
         0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct gpx_summary s;
        struct err_ctx ec;
        int rc;

        err_clear(&ec);
        rc = gpx_summarise(cases[i].in, strlen(cases[i].in), 100, &s, &ec);
        if (rc != 0)
            fail_msg("%s: %d %s (%s)", cases[i].name, rc, ec.message, ec.detail);
        if (s.points != cases[i].points || s.segments != cases[i].segments)
            fail_msg("%s: %zu points in %zu segments, want %zu in %zu", cases[i].name, s.points,
                     s.segments, cases[i].points, cases[i].segments);
        if (fabs(s.km - cases[i].km) > 0.001)
            fail_msg("%s: %.6f km, want %.6f", cases[i].name, s.km, cases[i].km);
        if (s.start_ms != cases[i].start_ms || s.end_ms != cases[i].end_ms)
            fail_msg("%s: times %lld..%lld, want %lld..%lld", cases[i].name, (long long)s.start_ms,
                     (long long)s.end_ms, (long long)cases[i].start_ms, (long long)cases[i].end_ms);
    }
}

static void test_gpx_summarise__errors(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        size_t max_points;
        int code;
        const char *message_has;
    } cases[] = {
        {"latitude over 90", HDR11 "<trk><trkseg>\n<trkpt lat=\"90.0001\" lon=\"0\"/>", 9,
         ERR_BAD_REQUEST, "第 4 行"},
        {"latitude named", HDR11 "<trk><trkseg><trkpt lat=\"-91\" lon=\"0\"/>", 9, ERR_BAD_REQUEST,
         "纬度"},
        {"longitude under -180", HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"-180.5\"/>", 9,
         ERR_BAD_REQUEST, "经度"},
        {"latitude not a number", HDR11 "<trk><trkseg><trkpt lat=\"abc\" lon=\"0\"/>", 9,
         ERR_BAD_REQUEST, "纬度"},
        {"latitude nan", HDR11 "<trk><trkseg><trkpt lat=\"nan\" lon=\"0\"/>", 9, ERR_BAD_REQUEST,
         "纬度"},
        {"longitude inf", HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"inf\"/>", 9, ERR_BAD_REQUEST,
         "经度"},
        {"hex coordinate", HDR11 "<trk><trkseg><trkpt lat=\"0x1p3\" lon=\"0\"/>", 9,
         ERR_BAD_REQUEST, "纬度"},
        {"comma decimal", HDR11 "<trk><trkseg><trkpt lat=\"30,5\" lon=\"0\"/>", 9, ERR_BAD_REQUEST,
         "纬度"},
        {"empty latitude", HDR11 "<trk><trkseg><trkpt lat=\"\" lon=\"0\"/>", 9, ERR_BAD_REQUEST,
         "纬度"},
        {"missing lon", HDR11 "<trk><trkseg><trkpt lat=\"0\"/>", 9, ERR_BAD_REQUEST, "lon"},
        {"bad time", HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"0\"><time>yesterday</time>", 9,
         ERR_BAD_REQUEST, "时间"},
        {"invalid date",
         HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"0\">"
               "<time>2022-02-30T00:00:00Z</time>",
         9, ERR_BAD_REQUEST, "时间"},
        {"time too long",
         HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"0\"><time>"
               "2022-05-01T00:00:00.00000000000000000000000000000000000000000000"
               "000000000000000000000000000Z</time>",
         9, ERR_BAD_REQUEST, "时间"},
        {"KML root", "<?xml version=\"1.0\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"/>", 9,
         ERR_BAD_REQUEST, "不是 GPX"},
        {"foreign namespace gpx", "<gpx xmlns=\"urn:other\"/>", 9, ERR_BAD_REQUEST, "命名空间"},
        {"DOCTYPE", "<?xml version=\"1.0\"?>\n<!DOCTYPE gpx>\n<gpx/>", 9, ERR_BAD_REQUEST,
         "DOCTYPE"},
        {"billion laughs",
         "<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [\n<!ENTITY a \"aaaaaaaaaa\">\n"
         "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n]>\n<gpx>&c;</gpx>",
         9, ERR_BAD_REQUEST, "第 2 行"},
        {"external entity",
         "<!DOCTYPE gpx [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><gpx>&x;</gpx>", 9,
         ERR_BAD_REQUEST, "DOCTYPE"},
        {"undeclared entity", "<gpx>&x;</gpx>", 9, ERR_BAD_REQUEST, "XML"},
        {"not XML", "lat,lon\n30,120\n", 9, ERR_BAD_REQUEST, "XML"},
        {"empty input", "", 9, ERR_BAD_REQUEST, "XML"},
        {"truncated", HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"0\"/>", 9, ERR_BAD_REQUEST, "XML"},
        {"junk after root", "<gpx/><gpx/>", 9, ERR_BAD_REQUEST, "XML"},
        {"unknown encoding", "<?xml version=\"1.0\" encoding=\"GBK\"?><gpx/>", 9, ERR_BAD_REQUEST,
         "XML"},
        {"too many points",
         HDR11 "<trk><trkseg><trkpt lat=\"0\" lon=\"0\"/>"
               "<trkpt lat=\"0\" lon=\"0\"/><trkpt lat=\"0\" lon=\"0\"/>"
               "</trkseg></trk></gpx>",
         2, ERR_TOO_LARGE, "2"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct gpx_summary s;
        struct err_ctx ec;
        int rc;

        err_clear(&ec);
        rc = gpx_summarise(cases[i].in, strlen(cases[i].in), cases[i].max_points, &s, &ec);
        if (rc != cases[i].code)
            fail_msg("%s: rc %d, want %d (%s)", cases[i].name, rc, cases[i].code, ec.message);
        if (!strstr(ec.message, cases[i].message_has))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].name, ec.message,
                     cases[i].message_has);
        assert_string_equal(ec.field, "file");
        assert_int_equal(s.points, 0);
    }
}

/* A long track (many points, fed in one call) sums exactly like the pairwise formula. */
static void test_gpx_summarise__long_track(void **state)
{
    char *buf;
    size_t len = 0, cap = 1 << 20;
    double want = 0;
    struct gpx_summary s;
    struct err_ctx ec;

    (void)state;
    buf = malloc(cap);
    assert_non_null(buf);
    len += (size_t)snprintf(buf + len, cap - len, "%s<trk><trkseg>\n", HDR11);
    for (int i = 0; i < 10000; i++) {
        double lat = 30.0 + i * 0.0001, lon = 120.0 + (i % 7) * 0.0001;
        len += (size_t)snprintf(buf + len, cap - len,
                                "<trkpt lat=\"%.4f\" lon=\"%.4f\"><time>2022-05-01T08:%02d:%02dZ"
                                "</time></trkpt>\n",
                                lat, lon, i / 600 % 60, i / 10 % 60);
        if (i)
            want +=
                gpx_distance_km(30.0 + (i - 1) * 0.0001, 120.0 + ((i - 1) % 7) * 0.0001, lat, lon);
    }
    len += (size_t)snprintf(buf + len, cap - len, "</trkseg></trk></gpx>\n");
    assert_true(len < cap);
    err_clear(&ec);
    assert_int_equal(gpx_summarise(buf, len, 10000, &s, &ec), 0);
    assert_int_equal(s.points, 10000);
    assert_true(fabs(s.km - want) < 1e-9);
    err_clear(&ec);
    assert_int_equal(gpx_summarise(buf, len, 9999, &s, &ec), ERR_TOO_LARGE);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpx_distance_km__table),
        cmocka_unit_test(test_gpx_summarise__table),
        cmocka_unit_test(test_gpx_summarise__errors),
        cmocka_unit_test(test_gpx_summarise__long_track),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
