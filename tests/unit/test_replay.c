/* test_replay.c - borders from any GeoJSON (holes, multipolygons, features, collections, refusals),
 * replay measurement against closed forms: a V-shaped track into a straight border, its
 * probability of entry under a position error, and the closest approach of a miss */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/replay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const dc_time_us T0 = INT64_C(1448349600) * DC_US_PER_S; /* 2015-11-24T07:20:00Z */

/* A square east of the meridian 36 E (a geodesic, straight in latitude/longitude too), 35..37 N. */
static const char square[] =
    "{\"type\":\"Polygon\",\"coordinates\":[[[36,35],[37,35],[37,37],[36,37],[36,35]]]}";

static void load(const char *text, const char *select, dc_border *b)
{
    dc_error err = {0};
    dc_status rc = dc_border_parse(text, strlen(text), "dir/some-border.geojson", select, b, &err);
    if (rc != DC_OK)
        fprintf(stderr, "%s at %s\n", err.message, err.field);
    assert_int_equal(rc, DC_OK);
}

static dc_status refused(const char *text, const char *select, dc_error *err)
{
    dc_border b;
    dc_status rc = dc_border_parse(text, strlen(text), "x.geojson", select, &b, err);
    assert_int_equal(b.ring_count, 0);
    assert_null(b.index);
    return rc;
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[DC_SHA256_HEX];
    dc_sha256_hex("abc", 3, hex); /* FIPS 180-2, appendix B.1 */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_polygon_and_name_from_file(void **state)
{
    (void)state;
    dc_border b;
    load(square, NULL, &b);
    assert_string_equal(b.name, "some-border");
    assert_string_equal(b.file, "some-border.geojson");
    assert_string_equal(b.licence, "not stated in the file");
    assert_int_equal(b.ring_count, 1);
    assert_int_equal(b.vertex_count, 4);
    assert_int_equal(b.bytes, strlen(square));
    char hex[DC_SHA256_HEX];
    dc_sha256_hex(square, strlen(square), hex);
    assert_string_equal(b.sha256, hex);
    assert_true(dc_border_contains(&b, (dc_point){36.0, 36.5}));
    assert_false(dc_border_contains(&b, (dc_point){36.0, 35.9}));
    dc_border_clear(&b);
    dc_border_clear(&b); /* twice is harmless */
    dc_border_clear(NULL);
}

/* A hole is outside: a point in it, and a path through it, which leaves and enters again. */
static const char holed[] =
    "{\"type\":\"Feature\",\"properties\":{\"name\":\"Holed\",\"licence\":\"CC0\",\"source\":\"a "
    "test\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":["
    "[[36,35],[37,35],[37,37],[36,37],[36,35]],"
    "[[36.4,35.9],[36.4,36.1],[36.6,36.1],[36.6,35.9],[36.4,35.9]]]}}";

static dc_report *straight_east(dc_point from, double speed, double step_s, size_t n)
{
    dc_report *r = dc_calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        dc_copy_text(r[i].aircraft, sizeof r[i].aircraft, "abc123");
        r[i].time = T0 + (dc_time_us)(i * step_s * DC_US_PER_S);
        dc_geodesic_direct(from, 90, speed * step_s * (double)i, &r[i].position, NULL);
        r[i].altitude_m = 5000;
        r[i].ground_speed_mps = r[i].track_deg = r[i].vertical_rate_mps = NAN;
    }
    return r;
}

static void test_hole(void **state)
{
    (void)state;
    dc_border b;
    load(holed, NULL, &b);
    assert_string_equal(b.name, "Holed");
    assert_string_equal(b.licence, "CC0");
    assert_string_equal(b.source, "a test");
    assert_int_equal(b.ring_count, 2);
    assert_false(dc_border_contains(&b, (dc_point){36.0, 36.5}));
    assert_true(dc_border_contains(&b, (dc_point){36.0, 36.2}));
    /* west to east along 36 N at 250 m/s from 35.9 E to beyond 37 E */
    dc_report *r = straight_east((dc_point){36.0, 35.9}, 250, 10, 50);
    dc_replay_result res;
    dc_error err;
    assert_int_equal(dc_replay_measure(&b, r, 50, NULL, &res, &err), DC_OK);
    assert_int_equal(res.episode_count, 2);
    double lons[4] = {36.0, 36.4, 36.6, 37.0};
    for (size_t e = 0; e < 2; e++) {
        assert_true(fabs(res.episodes[e].entry_point.lon - lons[2 * e]) < 1e-6);
        assert_true(fabs(res.episodes[e].exit_point.lon - lons[2 * e + 1]) < 1e-6);
    }
    /* the deepest point of the first stay is midway between 36.0 and the hole's edge at 36.4 */
    assert_true(fabs(res.episodes[0].deepest.lon - 36.2) < 0.02);
    double half;
    dc_geodesic_inverse((dc_point){36.0, 36.0}, (dc_point){36.0, 36.2}, &half, NULL);
    assert_true(fabs(res.episodes[0].depth_m - half) < 300); /* sampled every second: 250 m */
    assert_false(res.has_uncertainty);
    dc_replay_result_clear(&res);
    dc_free(r);
    dc_border_clear(&b);
}

static void test_multipolygon_collection_and_select(void **state)
{
    (void)state;
    /* a scenario file: an intent (a line) is not a border; two zones, one a MultiPolygon */
    const char *text =
        "{\"type\":\"FeatureCollection\",\"title\":\"t\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"intent\",\"id\":\"i\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"zone\",\"owner\":\"east-land\"},"
        "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":["
        "[[[36,35],[37,35],[37,37],[36,37],[36,35]]],[[[38,35],[39,35],[39,37],[38,35]]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"A3\":\"WST\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[30,35],[31,35],[31,36],[30,35]]]}},"
        "{\"type\":\"Feature\",\"properties\":{},\"geometry\":null},"
        "{\"type\":\"Feature\",\"properties\":{},"
        "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}}]}";
    dc_border b;
    load(text, NULL, &b);
    assert_int_equal(b.ring_count, 3); /* both polygons of the zone, and the plain feature */
    assert_string_equal(b.name, "east-land");
    assert_string_equal(b.source, "t");
    assert_false(dc_border_contains(&b, (dc_point){0.2, 0.8}));
    assert_true(dc_border_contains(&b, (dc_point){35.5, 38.7}));
    dc_border_clear(&b);
    load(text, "East Land", &b);
    assert_int_equal(b.ring_count, 2);
    assert_string_equal(b.name, "east-land");
    dc_border_clear(&b);
    load(text, "wst", &b);
    assert_int_equal(b.ring_count, 1);
    assert_string_equal(b.name, "WST");
    dc_border_clear(&b);
    /* a bare MultiPolygon and a GeometryCollection */
    load(
        "{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"Point\",\"coordinates\":"
        "[1,2]},{\"type\":\"MultiPolygon\",\"coordinates\":[[[[36,35],[37,35],[37,37],[36,35]]]]}]}",
        NULL, &b);
    assert_int_equal(b.ring_count, 1);
    dc_border_clear(&b);
}

static void test_refusals(void **state)
{
    (void)state;
    dc_error err;
    assert_int_equal(refused("{\"type\":", NULL, &err), DC_INVALID);
    assert_int_equal(refused("{\"type\":\"Point\",\"coordinates\":[1,2]}", NULL, &err),
                     DC_NOT_FOUND);
    assert_string_equal(err.message, "no Polygon or MultiPolygon in x.geojson");
    assert_int_equal(refused(square, "nowhere", &err), DC_NOT_FOUND);
    assert_int_equal(
        refused("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[36,35],[37,95],[37,37],"
                "[36,35]]]}}]}",
                NULL, &err),
        DC_INVALID);
    assert_string_equal(err.field, "/features/0/geometry/coordinates/0/1");
    assert_int_equal(refused("{\"type\":\"Polygon\",\"coordinates\":[[[36,35],[37,35],[37,37],"
                             "[36,36]]]}",
                             NULL, &err),
                     DC_INVALID);
    assert_string_equal(err.message, "a ring must end where it begins");
    assert_int_equal(refused("{\"type\":\"Polygon\",\"coordinates\":[[[36,35],[37,35],[36,35],"
                             "[36,35]]]}",
                             NULL, &err),
                     DC_INVALID);
    assert_string_equal(err.message, "a ring must enclose an area");
    assert_int_equal(refused("{\"type\":\"Polygon\",\"coordinates\":[[[36,35],[37,36],[38,37],"
                             "[36,35]]]}",
                             NULL, &err),
                     DC_INVALID);
    assert_int_equal(refused("{\"type\":\"Polygon\",\"coordinates\":[[[36,35],[\"37\",35],"
                             "[37,37],[36,35]]]}",
                             NULL, &err),
                     DC_INVALID);
    assert_string_equal(err.field, "/coordinates/0/1");
    assert_int_equal(refused("{\"type\":\"MultiPolygon\",\"coordinates\":{}}", NULL, &err),
                     DC_INVALID);
    assert_int_equal(refused("{\"features\":[]}", NULL, &err), DC_INVALID);
    dc_border b;
    assert_int_equal(dc_border_load("/nonexistent/b.geojson", NULL, &b, &err), DC_NOT_FOUND);
}

/* A V into the square: straight in at `angle` to the border, turning at `apex_m` east of it (less
 * than 0: short of it), straight out; a report every second, the apex at t = half. */
static dc_report *vee(double apex_m, double speed, double angle_deg, int half, size_t *n)
{
    *n = (size_t)(2 * half + 1);
    dc_report *r = dc_calloc(*n, sizeof *r);
    double across = speed * sin(angle_deg * M_PI / 180),
           along = speed * cos(angle_deg * M_PI / 180);
    for (int i = -half; i <= half; i++) {
        dc_report *x = &r[i + half];
        dc_copy_text(x->aircraft, sizeof x->aircraft, "vee");
        x->time = T0 + (dc_time_us)(i + half) * DC_US_PER_S;
        dc_point on_border;
        dc_geodesic_direct((dc_point){36.0, 36.0}, 0, along * i, &on_border, NULL);
        /* a geodesic leaving a meridian at a right angle: its length is the distance to it */
        double east = apex_m - across * fabs((double)i);
        dc_geodesic_direct(on_border, east >= 0 ? 90 : -90, fabs(east), &x->position, NULL);
        x->altitude_m = 5000;
        x->ground_speed_mps = x->track_deg = x->vertical_rate_mps = NAN;
    }
    return r;
}

static double normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2));
}

static void test_vee_exact(void **state)
{
    (void)state;
    dc_border b;
    load(square, NULL, &b);
    size_t n;
    const double depth = 183, speed = 130, angle = 30, across = speed * 0.5;
    dc_report *r = vee(depth, speed, angle, 120, &n);
    dc_replay_result res;
    dc_error err;
    assert_int_equal(dc_replay_measure(&b, r, n, NULL, &res, &err), DC_OK);
    assert_int_equal(res.episode_count, 1);
    const dc_replay_episode *e = &res.episodes[0];
    double entry = 120 - depth / across, exit = 120 + depth / across;
    assert_true(fabs((double)(e->entry - T0) / DC_US_PER_S - entry) < 1e-3);
    assert_true(fabs((double)(e->exit - T0) / DC_US_PER_S - exit) < 1e-3);
    assert_true(fabs(e->depth_m - depth) < 0.1);
    assert_true(fabs(e->inside_m - 2 * depth / sin(angle * M_PI / 180)) < 0.5);
    assert_true(fabs(e->entry_point.lon - 36.0) < 1e-9 && fabs(e->exit_point.lon - 36.0) < 1e-9);
    /* the monitor's alerts before it: an advisory on the first report that predicts the entry
     * (after the second, which gives a velocity), a warning within 60 s of it */
    double advisory = (double)(e->entry - e->advisory) / DC_US_PER_S;
    double warning = (double)(e->entry - e->warning) / DC_US_PER_S;
    printf("advisory %.1f s, warning %.1f s before the entry\n", advisory, warning);
    assert_true(e->advisory != 0 && advisory > 100 && warning <= 60 && warning > 55);
    assert_false(isfinite(res.closest.distance_m)); /* it entered: no closest approach */
    dc_replay_result_clear(&res);
    dc_free(r);
    dc_border_clear(&b);
}

/* The closed form: displaced by u across the border (normal, σ), the V's apex is depth + u deep,
 * so P(inside at all) = Φ(depth / σ), the time inside 2 (depth + u) / across and the depth
 * depth + u. */
static void test_probability_closed_form(void **state)
{
    (void)state;
    dc_border b;
    load(square, NULL, &b);
    size_t n;
    const double depth = 183, across = 65;
    dc_report *r = vee(depth, 130, 30, 60, &n);
    const double sigmas[] = {10, 100, 183, 300, 600};
    for (size_t i = 0; i < sizeof sigmas / sizeof *sigmas; i++) {
        dc_replay_params p = {sigmas[i], 4000, 42, 0};
        dc_replay_result res;
        dc_error err;
        assert_int_equal(dc_replay_measure(&b, r, n, &p, &res, &err), DC_OK);
        const dc_replay_uncertainty *u = &res.uncertainty;
        double expected = normal_cdf(depth / sigmas[i]);
        printf("sigma %4.0f m: P(inside) %.4f +- %.4f, closed form %.4f\n", sigmas[i], u->p_inside,
               u->p_inside_se, expected);
        assert_true(res.has_uncertainty);
        assert_int_equal(u->samples, 4000);
        assert_true(fabs(u->p_inside - expected) <=
                    4 * sqrt(expected * (1 - expected) / 4000) + 1e-9);
        assert_true(fabs(u->p_inside_se - sqrt(u->p_inside * (1 - u->p_inside) / 4000)) < 1e-12);
        assert_int_equal(u->start, T0);
        dc_replay_result_clear(&res);
    }
    /* σ small beside the depth: every draw enters, and the intervals are the normal's */
    dc_replay_params p = {50, 4000, 42, 0};
    dc_replay_result res;
    dc_error err;
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &res, &err), DC_OK);
    const dc_replay_uncertainty *u = &res.uncertainty;
    double lo = depth - 1.959964 * 50, hi = depth + 1.959964 * 50;
    printf("sigma 50 m: depth %.1f..%.1f (closed form %.1f..%.1f), time inside %.2f..%.2f s "
           "(%.2f..%.2f)\n",
           u->depth_m.lo, u->depth_m.hi, lo, hi, u->duration_s.lo, u->duration_s.hi,
           2 * lo / across, 2 * hi / across);
    assert_true(fabs(u->depth_m.lo - lo) < 8 && fabs(u->depth_m.hi - hi) < 8);
    assert_true(fabs(u->depth_m.median - depth) < 5);
    assert_true(fabs(u->duration_s.lo - 2 * lo / across) < 0.25);
    assert_true(fabs(u->duration_s.hi - 2 * hi / across) < 0.25);
    assert_true(fabs(u->entry_s.lo - (60 - hi / across)) < 0.15);
    assert_true(fabs(u->exit_s.hi - (60 + hi / across)) < 0.15);
    /* the same seed draws the same errors; another seed others */
    dc_replay_result again, other;
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &again, &err), DC_OK);
    assert_memory_equal(&again.uncertainty, u, sizeof *u);
    p.seed = 43;
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &other, &err), DC_OK);
    assert_true(other.uncertainty.depth_m.lo != u->depth_m.lo);
    dc_replay_result_clear(&res);
    dc_replay_result_clear(&again);
    dc_replay_result_clear(&other);
    dc_free(r);
    dc_border_clear(&b);
}

/* A V that turns 400 m short of the border: its closest approach is the apex, 400 m, square to
 * the meridian. */
static void test_closest_approach(void **state)
{
    (void)state;
    dc_border b;
    load(square, NULL, &b);
    size_t n;
    dc_report *r = vee(-400, 130, 30, 60, &n);
    dc_replay_result res;
    dc_error err;
    dc_replay_params p = {100, 500, 1, 0};
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &res, &err), DC_OK);
    assert_int_equal(res.episode_count, 0);
    const dc_replay_approach *a = &res.closest;
    printf("closest approach %.3f m at %+.4f s, border %.7f %.7f\n", a->distance_m,
           (double)(a->time - T0) / DC_US_PER_S - 60, a->border.lat, a->border.lon);
    assert_true(fabs(a->distance_m - 400) < 0.01);
    assert_true(llabs(a->time - (T0 + 60 * DC_US_PER_S)) < 5000);
    assert_true(fabs(a->border.lon - 36.0) < 1e-9);
    assert_true(fabs(a->border.lat - r[60].position.lat) < 1e-7);
    double d;
    dc_geodesic_inverse(a->aircraft, a->border, &d, NULL);
    assert_true(fabs(d - a->distance_m) < 1e-6);
    /* 400 m at σ = 100 m: P = 1 - Φ(4), about 3e-5: no draw of 500 */
    assert_int_equal(res.uncertainty.entered, 0);
    assert_true(isnan(res.uncertainty.depth_m.median));
    dc_replay_result_clear(&res);
    dc_free(r);
    dc_border_clear(&b);
}

/* Reports years apart (a party's CSV says what it likes): the closest approach is still found, at
 * the report nearest the border, without a sample a second across the gap (fuzz_request found the
 * sampling overflowing, and millions of samples on a request thread). */
static void test_closest_approach_across_years(void **state)
{
    (void)state;
    dc_border b;
    load(square, NULL, &b);
    const dc_time_us year = INT64_C(365) * 86400 * DC_US_PER_S;
    dc_report r[3];
    memset(r, 0, sizeof r);
    const double lon[3] = {35.9, 35.99, 35.9};
    for (int i = 0; i < 3; i++) {
        dc_copy_text(r[i].aircraft, sizeof r[i].aircraft, "abc123");
        r[i].time = T0 + 10 * year * i;
        r[i].position = (dc_point){36.0, lon[i]};
        r[i].altitude_m = 5000;
        r[i].ground_speed_mps = r[i].track_deg = r[i].vertical_rate_mps = NAN;
    }
    dc_replay_result res;
    dc_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(dc_replay_measure(&b, r, 3, NULL, &res, &err), DC_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(res.episode_count, 0);
    double expected;
    dc_geodesic_inverse(r[1].position, (dc_point){36.0, 36.0}, &expected, NULL);
    printf("closest approach across years %.3f m (expected %.3f) at %+.1f s, in %.3f s\n",
           res.closest.distance_m, expected, (double)(res.closest.time - r[1].time) / DC_US_PER_S,
           elapsed);
    assert_true(fabs(res.closest.distance_m - expected) < 1.0);
    assert_true(llabs(res.closest.time - r[1].time) < 2 * DC_US_PER_S);
    assert_true(elapsed < 5.0);
    dc_replay_result_clear(&res);
    /* inside the border across the gap: depth and distance sampled, not once a second */
    r[0].position = (dc_point){36.0, 36.5};
    r[1].position = (dc_point){36.0, 36.6};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(dc_replay_measure(&b, r, 2, NULL, &res, &err), DC_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(res.episode_count, 1);
    dc_geodesic_inverse(r[0].position, r[1].position, &expected, NULL);
    printf("inside across years: %.1f m flown inside (expected %.1f), in %.3f s\n",
           res.episodes[0].inside_m, expected, elapsed);
    assert_true(fabs(res.episodes[0].inside_m - expected) < 1.0);
    assert_true(elapsed < 5.0);
    dc_replay_result_clear(&res);
    dc_border_clear(&b);
}

/* The tracks' CSV as the text it looks like (fuzz_csv found a header followed by "\r20" taken for
 * the header, and a line cut or dropped at a NUL; a line past 1 KiB was read as two). */
static void test_csv_lines(void **state)
{
    (void)state;
    static const char header[] = "time_utc,icao24,callsign,lat,lon,alt_ft,groundspeed_kt,track_deg";
    static const char row[] = "2015-11-24T07:18:05Z,4b1805,SU24,35.59,36.57,19000.0,252.1,300.0";
    char text[2048];
    dc_report *r = NULL;
    size_t n = 0;
    dc_error err;
    /* CRLF and a last line without its newline are lines like any other */
    int len = snprintf(text, sizeof text, "%s\r\n%s\r\n\r\n%s", header, row, row);
    assert_int_equal(dc_tracks_csv_parse(text, (size_t)len, "t.csv", "p", &r, &n, &err), DC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(r[1].aircraft, "4b1805");
    dc_free(r);
    /* a carriage return inside the header */
    len = snprintf(text, sizeof text, "%s\r20\n%s\n", header, row);
    assert_int_equal(dc_tracks_csv_parse(text, (size_t)len, "t.csv", "p", &r, &n, &err),
                     DC_INVALID);
    assert_non_null(strstr(err.message, "carriage return"));
    assert_null(r);
    /* a NUL byte: at the start of a line (it read as an empty line) and inside one */
    for (int at = 0; at < 2; at++) {
        len = snprintf(text, sizeof text, "%s\n%s\n", header, row);
        text[sizeof header + (at ? 30 : 0)] = '\0';
        assert_int_equal(dc_tracks_csv_parse(text, (size_t)len, "t.csv", "p", &r, &n, &err),
                         DC_INVALID);
        assert_non_null(strstr(err.message, "line 2: a NUL byte"));
    }
    /* a line of 1,089 bytes (fgets read its first 1,023 as a line, the rest as the next) */
    len = snprintf(text, sizeof text, "%s\n%1024s%s\n", header, "", row);
    assert_int_equal(dc_tracks_csv_parse(text, (size_t)len, "t.csv", "p", &r, &n, &err),
                     DC_INVALID);
    assert_non_null(strstr(err.message, "line 2: a line longer than 1024 bytes"));
    assert_null(r);
    assert_int_equal(n, 0);
}

static void test_measure_refusals(void **state)
{
    (void)state;
    dc_border b;
    load(square, NULL, &b);
    size_t n;
    dc_report *r = vee(100, 130, 30, 5, &n);
    dc_replay_result res;
    dc_error err;
    assert_int_equal(dc_replay_measure(&b, r, 0, NULL, &res, &err), DC_INVALID);
    dc_replay_params p = {-1, 100, 1, 0};
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &res, &err), DC_INVALID);
    p = (dc_replay_params){10, 0, 1, 0};
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &res, &err), DC_INVALID);
    dc_report swap = r[2];
    r[2] = r[3];
    r[3] = swap;
    assert_int_equal(dc_replay_measure(&b, r, n, NULL, &res, &err), DC_INVALID);
    assert_string_equal(err.message, "report 4 is older than the one before");
    assert_int_equal(res.episode_count, 0);
    dc_free(r);
    dc_border_clear(&b);
}

/* The document's digest is its content's: the same measurement, the same digest; a different
 * input file digest, a different one. */
static void test_encode_digest(void **state)
{
    (void)state;
    dc_border b;
    load(holed, NULL, &b);
    size_t n;
    dc_report *r = vee(183, 130, 30, 60, &n);
    dc_replay_result res;
    dc_error err;
    dc_replay_params p = {150, 200, 3, 0};
    assert_int_equal(dc_replay_measure(&b, r, n, &p, &res, &err), DC_OK);
    dc_replay_track t = {"track.csv", "", 10, "vee", n};
    dc_sha256_hex("track", 5, t.sha256);
    char *json1, *json2, d1[DC_SHA256_HEX], d2[DC_SHA256_HEX];
    assert_int_equal(dc_replay_encode(&t, 1, &b, 1, &p, &res, &json1, d1, &err), DC_OK);
    assert_int_equal(dc_replay_encode(&t, 1, &b, 1, &p, &res, &json2, d2, &err), DC_OK);
    assert_string_equal(d1, d2);
    assert_string_equal(json1, json2);
    assert_non_null(strstr(json1, d1));
    assert_non_null(strstr(json1, "\"licence\": \"CC0\""));
    assert_non_null(strstr(json1, "splitmix64"));
    dc_free(json2);
    dc_sha256_hex("track!", 6, t.sha256);
    assert_int_equal(dc_replay_encode(&t, 1, &b, 1, &p, &res, &json2, d2, &err), DC_OK);
    assert_string_not_equal(d1, d2);
    dc_free(json1);
    dc_free(json2);
    dc_replay_result_clear(&res);
    dc_free(r);
    dc_border_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_polygon_and_name_from_file),
        cmocka_unit_test(test_hole),
        cmocka_unit_test(test_multipolygon_collection_and_select),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_vee_exact),
        cmocka_unit_test(test_probability_closed_form),
        cmocka_unit_test(test_closest_approach),
        cmocka_unit_test(test_closest_approach_across_years),
        cmocka_unit_test(test_csv_lines),
        cmocka_unit_test(test_measure_refusals),
        cmocka_unit_test(test_encode_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
