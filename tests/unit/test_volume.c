/* test_volume.c - volume validation, the conflict rules on hand-made cases, overlaps and route
 * sweeping */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/volume.h"
#include "../support/workload.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define H (3600 * DC_US_PER_S)
static const dc_time_us T0 = INT64_C(1448355840) * DC_US_PER_S; /* 2015-11-24T09:04:00Z */

static int setup(void **state)
{
    dc_geom *geom;
    assert_int_equal(dc_geom_new(&geom), DC_OK);
    *state = geom;
    return 0;
}

static int teardown(void **state)
{
    dc_geom_free(*state);
    return 0;
}

/* A lat/lon rectangle as a polygon volume. */
static dc_volume rect(dc_geom *g, double lat0, double lon0, double lat1, double lon1, double alt0,
                      double alt1, dc_time_us t0, dc_time_us t1)
{
    dc_point ring[] = {{lat0, lon0}, {lat0, lon1}, {lat1, lon1}, {lat1, lon0}};
    dc_volume v;
    dc_error err;
    if (dc_volume_init_polygon(g, ring, 4, alt0, alt1, t0, t1, &v, &err) != DC_OK)
        fail_msg("rect: %s", err.message);
    return v;
}

static int conflicts(dc_geom *g, const dc_volume *a, const dc_volume *b)
{
    int c1 = -1, c2 = -1;
    assert_int_equal(dc_volume_conflicts(g, a, b, &c1), DC_OK);
    assert_int_equal(dc_volume_conflicts(g, b, a, &c2), DC_OK);
    assert_int_equal(c1, c2); /* symmetric */
    return c1;
}

static void test_hand_cases(void **state)
{
    dc_geom *g = *state;
    dc_volume a = rect(g, 35.90, 36.00, 35.95, 36.05, 0, 1000, T0, T0 + H);
    dc_volume same = rect(g, 35.90, 36.00, 35.95, 36.05, 0, 1000, T0, T0 + H);
    dc_volume touching = rect(g, 35.90, 36.05, 35.95, 36.10, 0, 1000, T0, T0 + H);
    dc_volume corner = rect(g, 35.95, 36.05, 36.00, 36.10, 0, 1000, T0, T0 + H);
    dc_volume after = rect(g, 35.90, 36.00, 35.95, 36.05, 0, 1000, T0 + H, T0 + 2 * H);
    dc_volume above = rect(g, 35.90, 36.00, 35.95, 36.05, 1000, 2000, T0, T0 + H);
    dc_volume higher = rect(g, 35.90, 36.00, 35.95, 36.05, 1000.001, 2000, T0, T0 + H);
    dc_volume nested = rect(g, 35.91, 36.01, 35.92, 36.02, 100, 200, T0 + H / 2, T0 + H / 2 + 1);
    dc_volume apart = rect(g, 36.90, 36.00, 36.95, 36.05, 0, 1000, T0, T0 + H);
    dc_volume overlapping = rect(g, 35.94, 36.04, 35.99, 36.09, 0, 1000, T0, T0 + H);

    assert_true(conflicts(g, &a, &same));      /* identical volumes */
    assert_false(conflicts(g, &a, &touching)); /* shared edge: no area in common */
    assert_false(conflicts(g, &a, &corner));   /* shared corner: zero-area overlap */
    assert_false(conflicts(g, &a, &after));    /* [t0, t1) then [t1, t2): time-adjacent */
    assert_true(conflicts(g, &a, &above));     /* altitudes closed: 1000 m is shared */
    assert_false(conflicts(g, &a, &higher));   /* altitude-adjacent with a gap */
    assert_true(conflicts(g, &a, &nested));    /* wholly inside, one microsecond long */
    assert_false(conflicts(g, &a, &apart));
    assert_true(conflicts(g, &a, &overlapping));

    dc_overlap ov;
    assert_int_equal(dc_volume_intersect(g, &a, &overlapping, &ov), DC_OK);
    assert_int_equal(ov.part_count, 1);
    assert_true(ov.parts[0].altitude_lower == 0 && ov.parts[0].altitude_upper == 1000);
    dc_box4 box;
    dc_volume_box(&ov.parts[0], &box);
    assert_true(fabs(box.lat_min - 35.94) < 1e-4 && fabs(box.lat_max - 35.95) < 1e-4);
    assert_true(fabs(box.lon_min - 36.04) < 1e-4 && fabs(box.lon_max - 36.05) < 1e-4);
    dc_overlap_clear(&ov);
    assert_int_equal(dc_volume_intersect(g, &a, &touching, &ov), DC_OK);
    assert_int_equal(ov.part_count, 0);
    assert_int_equal(dc_volume_intersect(g, &a, &nested, &ov), DC_OK);
    assert_int_equal(ov.part_count, 1);
    assert_true(ov.parts[0].time_start == T0 + H / 2 && ov.parts[0].time_end == T0 + H / 2 + 1);
    assert_true(ov.parts[0].altitude_lower == 100 && ov.parts[0].altitude_upper == 200);
    dc_overlap_clear(&ov);

    dc_volume *all[] = {&a,     &same,   &touching, &corner, &after,
                        &above, &higher, &nested,   &apart,  &overlapping};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        dc_volume_clear(all[i]);
}

static void test_circles(void **state)
{
    dc_geom *g = *state;
    dc_volume c1, c2, c3;
    dc_point centre = {36.37, 37.52};
    assert_int_equal(dc_volume_init_circle(centre, 500, 0, 100, T0, T0 + H, &c1, NULL), DC_OK);
    dc_point east;
    dc_geodesic_direct(centre, 90, 999.0, &east, NULL);
    assert_int_equal(dc_volume_init_circle(east, 500, 0, 100, T0, T0 + H, &c2, NULL), DC_OK);
    dc_geodesic_direct(centre, 90, 1001.0, &east, NULL);
    assert_int_equal(dc_volume_init_circle(east, 500, 0, 100, T0, T0 + H, &c3, NULL), DC_OK);
    assert_true(conflicts(g, &c1, &c2));  /* 999 m apart, radii 500 + 500 */
    assert_false(conflicts(g, &c1, &c3)); /* 1001 m apart */

    /* circle against polygon: a square whose west edge is 499 m / 501 m east of the centre */
    for (int k = 0; k < 2; k++) {
        double offset = k == 0 ? 499.0 : 501.0;
        dc_point sw, ne;
        dc_geodesic_direct(centre, 90, offset, &sw, NULL);
        sw.lat -= 0.01;
        ne = (dc_point){sw.lat + 0.02, sw.lon + 0.02};
        dc_volume sq = rect(g, sw.lat, sw.lon, ne.lat, ne.lon, 0, 100, T0, T0 + H);
        assert_int_equal(conflicts(g, &c1, &sq), k == 0);
        if (k == 0) {
            dc_overlap ov;
            assert_int_equal(dc_volume_intersect(g, &c1, &sq, &ov), DC_OK);
            assert_int_equal(ov.part_count, 1);
            dc_overlap_clear(&ov);
        }
        dc_volume_clear(&sq);
    }
}

/* Containment: the test conformance monitoring relies on, at edges in space, height and time. */
static void test_contains(void **state)
{
    dc_geom *g = *state;
    int in;
    dc_volume sq = rect(g, 36.0, 37.0, 36.1, 37.1, 1000, 2000, T0, T0 + H);
    assert_int_equal(dc_volume_contains(&sq, (dc_point){36.05, 37.05}, 1500, T0, &in), DC_OK);
    assert_true(in);
    assert_int_equal(dc_volume_contains(&sq, (dc_point){36.05, 37.1001}, 1500, T0, &in), DC_OK);
    assert_false(in); /* 9 m east of the east edge */
    assert_int_equal(dc_volume_contains(&sq, (dc_point){36.05, 37.0999}, 1500, T0, &in), DC_OK);
    assert_true(in);
    assert_int_equal(dc_volume_contains(&sq, (dc_point){36.05, 37.05}, 2000.5, T0, &in), DC_OK);
    assert_false(in); /* above the ceiling */
    assert_int_equal(dc_volume_contains(&sq, (dc_point){36.05, 37.05}, 1500, T0 + H, &in), DC_OK);
    assert_false(in); /* the window is half-open */
    assert_int_equal(dc_volume_contains(&sq, (dc_point){36.05, 37.05}, 1500, T0 - 1, &in), DC_OK);
    assert_false(in);
    assert_int_equal(dc_volume_contains(&sq, (dc_point){NAN, 37.05}, 1500, T0, &in), DC_INVALID);
    assert_int_equal(dc_volume_contains(&sq, (dc_point){-36.05, -142.95}, 1500, T0, &in), DC_OK);
    assert_false(in); /* the antipode */
    dc_volume_clear(&sq);

    dc_volume c;
    dc_point centre = {36.37, 37.52}, p;
    assert_int_equal(dc_volume_init_circle(centre, 500, 0, 100, T0, T0 + H, &c, NULL), DC_OK);
    for (int bearing = 0; bearing < 360; bearing += 45) {
        dc_geodesic_direct(centre, bearing, 499.0, &p, NULL);
        assert_int_equal(dc_volume_contains(&c, p, 50, T0, &in), DC_OK);
        assert_true(in);
        dc_geodesic_direct(centre, bearing, 501.0, &p, NULL);
        assert_int_equal(dc_volume_contains(&c, p, 50, T0, &in), DC_OK);
        assert_false(in);
    }
    dc_volume_clear(&c);

    dc_volume wrap = rect(g, -10, 179.9, 10, -179.9, 0, 100, T0, T0 + H);
    assert_int_equal(dc_volume_contains(&wrap, (dc_point){0, 180.0}, 50, T0, &in), DC_OK);
    assert_true(in);
    assert_int_equal(dc_volume_contains(&wrap, (dc_point){0, 179.8}, 50, T0, &in), DC_OK);
    assert_false(in);
    dc_volume_clear(&wrap);
}

/* A volume straddling the antimeridian conflicts with one on each side. */
static void test_antimeridian(void **state)
{
    dc_geom *g = *state;
    dc_volume across = rect(g, -17.1, 179.95, -16.9, -179.95, 0, 1000, T0, T0 + H);
    dc_volume west = rect(g, -17.0, 179.90, -16.95, 179.97, 0, 1000, T0, T0 + H);
    dc_volume east = rect(g, -17.0, -179.97, -16.95, -179.90, 0, 1000, T0, T0 + H);
    dc_volume far = rect(g, -17.0, 179.80, -16.95, 179.85, 0, 1000, T0, T0 + H);
    assert_true(conflicts(g, &across, &west));
    assert_true(conflicts(g, &across, &east));
    assert_false(conflicts(g, &across, &far));
    dc_box4 b1, b2;
    dc_volume_box(&across, &b1);
    dc_volume_box(&east, &b2);
    assert_true(b1.lon_max > 180.0 && b1.lon_min < 180.0);
    assert_true(dc_box4_overlaps(&b1, &b2));
    dc_overlap ov;
    assert_int_equal(dc_volume_intersect(g, &across, &east, &ov), DC_OK);
    assert_int_equal(ov.part_count, 1);
    for (uint32_t i = 0; i < ov.parts[0].vertex_count; i++)
        assert_true(ov.parts[0].vertices[i].lon < -179.9 || ov.parts[0].vertices[i].lon > 179.9);
    dc_overlap_clear(&ov);
    dc_volume_clear(&across);
    dc_volume_clear(&west);
    dc_volume_clear(&east);
    dc_volume_clear(&far);
}

static void expect_refusal(dc_geom *g, const dc_point *ring, size_t n, double a0, double a1,
                           dc_time_us t0, dc_time_us t1, dc_status status, const char *field,
                           const char *fragment)
{
    dc_volume v;
    dc_error err;
    dc_status rc = dc_volume_init_polygon(g, ring, n, a0, a1, t0, t1, &v, &err);
    if (rc != status || strcmp(err.field, field) != 0 || strstr(err.message, fragment) == NULL)
        fail_msg("expected %s %s '%s', got %s %s '%s'", dc_status_name(status), field, fragment,
                 dc_status_name(rc), err.field, err.message);
    assert_null(v.vertices);
}

static void test_validation(void **state)
{
    dc_geom *g = *state;
    dc_point square[] = {{35.9, 36.0}, {35.9, 36.1}, {36.0, 36.1}, {36.0, 36.0}};
    dc_point bowtie[] = {{35.9, 36.0}, {36.0, 36.1}, {35.9, 36.1}, {36.0, 36.0}};
    dc_point spike[] = {{35.9, 36.0}, {35.9, 36.1}, {36.0, 36.1}, {35.95, 36.1}, {36.0, 36.0}};
    dc_point repeat[] = {{35.9, 36.0}, {35.9, 36.1}, {35.9, 36.1}, {36.0, 36.0}};
    dc_point polar[] = {{85.5, 36.0}, {85.5, 36.1}, {86.0, 36.1}};
    dc_point nan_vertex[] = {{35.9, 36.0}, {NAN, 36.1}, {36.0, 36.1}};
    dc_point line[] = {{35.9, 36.0}, {35.95, 36.05}, {36.0, 36.1}};
    dc_point huge[] = {{-40, -20}, {-40, 20}, {40, 20}, {40, -20}};
    expect_refusal(g, square, 2, 0, 1, T0, T0 + H, DC_INVALID, "outline_polygon/vertices",
                   "at least 3");
    expect_refusal(g, bowtie, 4, 0, 1, T0, T0 + H, DC_INVALID, "outline_polygon",
                   "Self-intersection");
    expect_refusal(g, spike, 5, 0, 1, T0, T0 + H, DC_INVALID, "outline_polygon/vertices",
                   "spike at vertex 2");
    expect_refusal(g, repeat, 4, 0, 1, T0, T0 + H, DC_INVALID, "outline_polygon/vertices",
                   "vertex 2 repeats vertex 1");
    expect_refusal(g, polar, 3, 0, 1, T0, T0 + H, DC_RANGE, "outline_polygon/vertices",
                   "beyond ±85°");
    expect_refusal(g, nan_vertex, 3, 0, 1, T0, T0 + H, DC_INVALID, "outline_polygon/vertices",
                   "vertex 1 is not a number");
    expect_refusal(g, line, 3, 0, 1, T0, T0 + H, DC_INVALID, "outline_polygon/vertices", "spike");
    expect_refusal(g, huge, 4, 0, 1, T0, T0 + H, DC_RANGE, "outline_polygon", "split it");
    expect_refusal(g, square, 4, 0, 1, T0 + H, T0, DC_INVALID, "time_end", "after time_start");
    expect_refusal(g, square, 4, 0, 1, T0, T0, DC_INVALID, "time_end", "after time_start");
    expect_refusal(g, square, 4, 10, 5, T0, T0 + H, DC_INVALID, "altitude_upper",
                   "below altitude_lower");
    expect_refusal(g, square, 4, NAN, 5, T0, T0 + H, DC_RANGE, "altitude_lower", "metres");
    expect_refusal(g, square, 4, 0, 2e5, T0, T0 + H, DC_RANGE, "altitude_upper", "metres");

    /* Clockwise input comes out counter-clockwise; a closing repeat is dropped. */
    dc_point cw[] = {{35.9, 36.0}, {36.0, 36.0}, {36.0, 36.1}, {35.9, 36.1}, {35.9, 36.0}};
    dc_volume v;
    assert_int_equal(dc_volume_init_polygon(g, cw, 5, 0, 1, T0, T0 + H, &v, NULL), DC_OK);
    assert_int_equal(v.vertex_count, 4);
    double area2 = 0;
    for (uint32_t i = 0; i < 4; i++) {
        const dc_point *p = &v.vertices[i], *q = &v.vertices[(i + 1) % 4];
        area2 += p->lon * q->lat - q->lon * p->lat;
    }
    assert_true(area2 > 0);
    dc_volume_clear(&v);

    dc_volume c;
    dc_error err;
    assert_int_equal(dc_volume_init_circle((dc_point){35, 36}, 0, 0, 1, T0, T0 + H, &c, &err),
                     DC_RANGE);
    assert_string_equal(err.field, "outline_circle/radius");
    assert_int_equal(dc_volume_init_circle((dc_point){84.99, 36}, 5000, 0, 1, T0, T0 + H, &c, &err),
                     DC_RANGE);
    assert_int_equal(dc_volume_init_circle((dc_point){NAN, 36}, 5000, 0, 1, T0, T0 + H, &c, &err),
                     DC_INVALID);
}

static void test_route_sweep(void **state)
{
    dc_geom *g = *state;
    dc_waypoint wps[] = {
        {{35.80, 35.90}, 5000, T0},
        {{35.90, 36.10}, 5500, T0 + 600 * DC_US_PER_S},
        {{36.40, 36.60}, 6000, T0 + 1800 * DC_US_PER_S},
    };
    dc_route_buffers buf = {1000, 150, 60 * DC_US_PER_S};
    dc_volume legs[2];
    assert_int_equal(dc_route_sweep(wps, 3, &buf, legs, NULL), DC_OK);
    assert_true(legs[0].altitude_lower == 4850 && legs[0].altitude_upper == 5650);
    assert_true(legs[1].time_start == T0 + 540 * DC_US_PER_S);
    assert_true(legs[1].time_end == T0 + 1860 * DC_US_PER_S);
    /* Points on the path and 990 m to its side are inside; 1100 m are not. */
    for (int leg = 0; leg < 2; leg++) {
        double s, azi;
        dc_geodesic_inverse(wps[leg].position, wps[leg + 1].position, &s, &azi);
        for (int k = 0; k <= 10; k++) {
            dc_point on;
            double az2;
            dc_geodesic_direct(wps[leg].position, azi, s * k / 10.0, &on, &az2);
            for (int side = -1; side <= 1; side += 2) {
                dc_point in, out;
                dc_geodesic_direct(on, az2 + 90 * side, 990, &in, NULL);
                dc_geodesic_direct(on, az2 + 90 * side, 1100, &out, NULL);
                dc_volume probe_in, probe_out;
                double alt = (legs[leg].altitude_lower + legs[leg].altitude_upper) / 2;
                dc_volume_init_circle(in, 1, alt, alt, legs[leg].time_start, legs[leg].time_end,
                                      &probe_in, NULL);
                dc_volume_init_circle(out, 1, alt, alt, legs[leg].time_start, legs[leg].time_end,
                                      &probe_out, NULL);
                if (!conflicts(g, &legs[leg], &probe_in))
                    fail_msg("leg %d: point %d/10 990 m to side %d is outside", leg, k, side);
                if (k > 0 && k < 10 && conflicts(g, &legs[leg], &probe_out))
                    fail_msg("leg %d: point %d/10 1100 m to side %d is inside", leg, k, side);
            }
        }
    }
    /* The swept leg passes validation as an ordinary polygon. */
    dc_volume again;
    dc_error err;
    if (dc_volume_init_polygon(g, legs[1].vertices, legs[1].vertex_count, 0, 1, T0, T0 + H, &again,
                               &err) != DC_OK)
        fail_msg("swept leg is not a valid polygon: %s", err.message);
    dc_volume_clear(&again);
    dc_volume_clear(&legs[0]);
    dc_volume_clear(&legs[1]);

    dc_waypoint backwards[] = {{{35.8, 35.9}, 5000, T0}, {{35.9, 36.1}, 5000, T0}};
    assert_int_equal(dc_route_sweep(backwards, 2, &buf, legs, &err), DC_INVALID);
    assert_string_equal(err.field, "waypoints/time");
    dc_route_buffers none = {0, 0, 0};
    assert_int_equal(dc_route_sweep(wps, 3, &none, legs, &err), DC_RANGE);
    /* A leg of 2,990 km is within 1,500 km of its own midpoint, but its capsule reaches 1,507 km
     * from where every polygon is measured: swept, it could not be sent back as a volume
     * (fuzz_submission). */
    dc_waypoint far[] = {{{10.0, 30.0}, 3000, T0}, {{36.2, 37.2}, 3000, T0 + H}};
    dc_route_buffers half_km = {500, 100, 30 * DC_US_PER_S};
    assert_int_equal(dc_route_sweep(far, 2, &half_km, legs, &err), DC_RANGE);
    assert_non_null(strstr(err.message, "leg 0 with its buffer reaches 1507 km"));
}

/* The budget: 1,000 legs in under 5 ms. Measured, not asserted
 * here beyond a loose bound that sanitizers can meet; bench/ has figures. */
static void test_route_of_1000_legs(void **state)
{
    (void)state;
    enum { N = 1001 };
    static dc_waypoint wps[N];
    static dc_volume legs[N - 1];
    for (int i = 0; i < N; i++)
        wps[i] =
            (dc_waypoint){{30.0 + 0.01 * i, 30.0 + 0.013 * i}, 3000 + i, T0 + i * 10 * DC_US_PER_S};
    dc_route_buffers buf = {500, 100, 30 * DC_US_PER_S};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(dc_route_sweep(wps, N, &buf, legs, NULL), DC_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    print_message("1,000 legs swept in %.2f ms (sanitized build)\n", ms);
    /* and each leg is the right one: it holds its two waypoints at their times and heights, and
     * its window and band are the waypoints' widened by the buffers */
    for (int i = 0; i < N - 1; i++) {
        int inside = 0;
        assert_int_equal(
            dc_volume_contains(&legs[i], wps[i].position, wps[i].altitude_m, wps[i].time, &inside),
            DC_OK);
        assert_true(inside);
        assert_int_equal(dc_volume_contains(&legs[i], wps[i + 1].position, wps[i + 1].altitude_m,
                                            wps[i + 1].time - 1, &inside),
                         DC_OK);
        assert_true(inside);
        assert_true(legs[i].time_start == wps[i].time - buf.time_us);
        assert_true(legs[i].time_end == wps[i + 1].time + buf.time_us);
        assert_true(legs[i].altitude_lower == wps[i].altitude_m - buf.vertical_m);
        assert_true(legs[i].altitude_upper == wps[i + 1].altitude_m + buf.vertical_m);
        /* a point 1 km off the leg's line (twice the lateral buffer) is outside */
        dc_point off;
        assert_int_equal(dc_geodesic_direct(wps[i].position, 135, 1000, &off, NULL), DC_OK);
        assert_int_equal(dc_volume_contains(&legs[i], off, wps[i].altitude_m, wps[i].time, &inside),
                         DC_OK);
        assert_false(inside);
    }
    for (int i = 0; i < N - 1; i++)
        dc_volume_clear(&legs[i]);
}

/* Convex outlines are clipped directly; GEOS's general overlay must agree
 * on every decision and on the overlap area. */
static double overlap_area(dc_geom *g, const dc_volume *a, const dc_volume *b, int *conflict)
{
    dc_overlap ov;
    assert_int_equal(dc_volume_intersect(g, a, b, &ov), DC_OK);
    *conflict = ov.part_count > 0;
    double area = 0;
    dc_enu_frame f; /* one frame for both measurements */
    dc_enu_frame_init(a->bound_center, &f);
    for (size_t i = 0; i < ov.part_count; i++) {
        for (uint32_t k = 0; k < ov.parts[i].vertex_count; k++) {
            double x1, y1, x2, y2;
            dc_enu_forward(&f, ov.parts[i].vertices[k], &x1, &y1);
            dc_enu_forward(&f, ov.parts[i].vertices[(k + 1) % ov.parts[i].vertex_count], &x2, &y2);
            area += (x1 * y2 - x2 * y1) / 2;
        }
    }
    dc_overlap_clear(&ov);
    return area;
}

static void test_convex_clip_agrees_with_geos(void **state)
{
    dc_geom *g = *state;
    enum { N = 120 };
    dc_volume v[N];
    uint64_t s = 5;
    for (int i = 0; i < N; i++) {
        dc_point c = {35.9 + 0.2 * workload_uniform(&s), 36.0 + 0.2 * workload_uniform(&s)};
        if (i % 2 == 0) {
            dc_waypoint w[2] = {{c, 100, T0},
                                {{c.lat + 0.1 * workload_uniform(&s) - 0.05,
                                  c.lon + 0.1 * workload_uniform(&s) - 0.05},
                                 200,
                                 T0 + H}};
            dc_route_buffers buf = {300 + 2000 * workload_uniform(&s), 50, 0};
            assert_int_equal(dc_route_sweep(w, 2, &buf, &v[i], NULL), DC_OK);
        } else {
            dc_point ring[6];
            int n = 3 + (int)(workload_rng(&s) % 4);
            double r = 1000 + 5000 * workload_uniform(&s); /* points on a circle: convex */
            for (int k = 0; k < n; k++)
                dc_geodesic_direct(c, 360.0 * k / n + 30 * workload_uniform(&s), r, &ring[k], NULL);
            assert_int_equal(
                dc_volume_init_polygon(g, ring, (size_t)n, 0, 300, T0, T0 + H, &v[i], NULL), DC_OK);
            assert_true(v[i].convex);
        }
    }
    int compared = 0, hits = 0;
    for (int i = 0; i < N; i++) {
        for (int j = i + 1; j < N; j++) {
            int c1, c2;
            double clipped = overlap_area(g, &v[i], &v[j], &c1);
            v[i].convex = v[j].convex = 0; /* force the GEOS overlay */
            double general = overlap_area(g, &v[i], &v[j], &c2);
            v[i].convex = v[j].convex = 1;
            /* Edges meeting at a grazing angle make the crossing point
             * ill-conditioned: the two overlays may place it a millimetre
             * apart, so areas agree to 1e-5 (or 1 m²), decisions exactly. */
            if (c1 != c2 || fabs(clipped - general) > fmax(1.0, 1e-5 * general))
                fail_msg("pair %d,%d: clip %d %.3f m², GEOS %d %.3f m²", i, j, c1, clipped, c2,
                         general);
            compared++;
            hits += c1;
        }
    }
    print_message("convex clip = GEOS overlay on %d pairs (%d overlapping)\n", compared, hits);
    assert_true(hits > 100);
    for (int i = 0; i < N; i++)
        dc_volume_clear(&v[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_circles),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_antimeridian),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_route_sweep),
        cmocka_unit_test(test_route_of_1000_legs),
        cmocka_unit_test(test_convex_clip_agrees_with_geos),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
