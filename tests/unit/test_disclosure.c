/* test_disclosure.c - the disclosure policy: the grid, the budget, the probe limits, site
 * keep-outs and coarsened aircraft, each against its published figure */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/disclosure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define H (3600 * DC_US_PER_S)
static const dc_time_us T0 = INT64_C(1448355840) * DC_US_PER_S + 17 * DC_US_PER_S;

static int setup(void **state)
{
    dc_geom *g;
    assert_int_equal(dc_geom_new(&g), DC_OK);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    dc_geom_free(*state);
    return 0;
}

static dc_object object(const char *id, dc_object_kind kind, const char *owner, const dc_volume *v)
{
    dc_object o;
    memset(&o, 0, sizeof o);
    snprintf(o.id, sizeof o.id, "%s", id);
    snprintf(o.owner, sizeof o.owner, "%s", owner);
    o.kind = kind;
    o.priority = 5;
    o.state = DC_STATE_ACCEPTED;
    o.version = 1;
    o.volume_count = 1;
    o.volumes = v;
    return o;
}

/* The conflict of `mine` with `theirs` as the engine finds it. */
static void conflict_of(dc_geom *g, const dc_object *mine, const dc_object *theirs,
                        dc_check_result *r)
{
    const dc_object *c[] = {theirs};
    assert_int_equal(dc_engine_check(g, mine, NULL, c, 1, r, NULL), DC_OK);
    assert_int_equal(r->conflict_count, 1);
}

static double metres_lat(double deg)
{
    return deg * 110574.0;
}

static void test_grid_and_window(void **state)
{
    dc_geom *g = *state;
    dc_volume route, probe;
    dc_point corridor[] = {{36.0, 36.0}, {36.0, 36.9}, {36.09, 36.9}, {36.09, 36.0}};
    assert_int_equal(dc_volume_init_polygon(g, corridor, 4, 1000, 3000, T0, T0 + H, &route, NULL),
                     DC_OK);
    assert_int_equal(dc_volume_init_circle((dc_point){36.05, 36.45}, 2000, 0, 2500,
                                           T0 + 60 * DC_US_PER_S + 5, T0 + 2 * H, &probe, NULL),
                     DC_OK);
    dc_object a = object("route", DC_KIND_INTENT, "a", &route);
    dc_object b = object("probe", DC_KIND_INTENT, "b", &probe);
    dc_check_result r;
    conflict_of(g, &b, &a, &r);
    dc_disclosure d;
    assert_int_equal(dc_disclosure_of_conflict(&b, &r.conflicts[0], 0, &d), DC_OK);
    assert_int_equal(d.level, DC_DISCLOSE_GEOMETRY);
    assert_int_equal(d.box_count, 1);
    const dc_disclosed_box *x = &d.boxes[0];
    /* outwards to the grid: it covers the overlap, and every edge lies on the grid */
    assert_true(x->lat_min <= 36.05 - 0.017 && x->lat_max >= 36.05 + 0.017);
    assert_true(fabs(x->lat_min * 200 - round(x->lat_min * 200)) < 1e-9);
    assert_true(fabs(x->lon_max * 200 - round(x->lon_max * 200)) < 1e-9);
    /* no cell finer than 500 m either way */
    assert_true(metres_lat(x->lat_max - x->lat_min) >= DC_DISCLOSE_CELL_M);
    /* the window outwards to the minute, the band to 100 m */
    assert_true(d.time_start <= r.conflicts[0].time_start &&
                d.time_start % (60 * DC_US_PER_S) == 0);
    assert_true(d.time_end >= r.conflicts[0].time_end && d.time_end % (60 * DC_US_PER_S) == 0);
    assert_true(d.altitude_lower == 1000 && d.altitude_upper == 2500);
    assert_true(d.area_m2 >= M_PI * 2000 * 2000);
    /* the day's budget spent: only the window */
    assert_int_equal(dc_disclosure_of_conflict(&b, &r.conflicts[0], DC_DISCLOSE_BUDGET_M2 - 1, &d),
                     DC_OK);
    assert_int_equal(d.level, DC_DISCLOSE_WINDOW);
    assert_int_equal(d.reason, DC_DISCLOSE_BUDGET_SPENT);
    assert_int_equal(d.box_count, 0);
    assert_true(d.area_m2 == 0);
    assert_int_equal(dc_disclosure_of_conflict(&b, &r.conflicts[0], -1, &d), DC_INVALID);
    dc_check_result_clear(&r);
    dc_volume_clear(&route);
    dc_volume_clear(&probe);
}

static void test_grid_keeps_500_m_at_high_latitude(void **state)
{
    dc_geom *g = *state;
    dc_volume a, b;
    assert_int_equal(
        dc_volume_init_circle((dc_point){70.0, 20.0}, 100, 0, 100, T0, T0 + H, &a, NULL), DC_OK);
    assert_int_equal(
        dc_volume_init_circle((dc_point){70.0, 20.001}, 100, 0, 100, T0, T0 + H, &b, NULL), DC_OK);
    dc_object oa = object("a", DC_KIND_INTENT, "a", &a), ob = object("b", DC_KIND_INTENT, "b", &b);
    dc_check_result r;
    conflict_of(g, &ob, &oa, &r);
    dc_disclosure d;
    assert_int_equal(dc_disclosure_of_conflict(&ob, &r.conflicts[0], 0, &d), DC_OK);
    double east_m = (d.boxes[0].lon_max - d.boxes[0].lon_min) * 111320.0 * cos(70.0 * M_PI / 180);
    assert_true(east_m >= DC_DISCLOSE_CELL_M);
    dc_check_result_clear(&r);
    dc_volume_clear(&a);
    dc_volume_clear(&b);
}

/* A 1,400 km circle for a whole day over a 300 km corridor learns nothing but the window. */
static void test_probe_too_large(void **state)
{
    dc_geom *g = *state;
    dc_volume corridor, circle;
    dc_point c[] = {{36.0, 36.0}, {36.0, 39.3}, {36.09, 39.3}, {36.09, 36.0}};
    assert_int_equal(dc_volume_init_polygon(g, c, 4, 1000, 3000, T0, T0 + H, &corridor, NULL),
                     DC_OK);
    assert_int_equal(dc_volume_init_circle((dc_point){36.0, 37.5}, 1400000, 0, 20000, T0,
                                           T0 + 24 * H, &circle, NULL),
                     DC_OK);
    dc_object a = object("route", DC_KIND_INTENT, "a", &corridor);
    dc_object b = object("probe", DC_KIND_INTENT, "b", &circle);
    dc_check_result r;
    conflict_of(g, &b, &a, &r);
    dc_disclosure d;
    assert_int_equal(dc_disclosure_of_conflict(&b, &r.conflicts[0], 0, &d), DC_OK);
    assert_int_equal(d.level, DC_DISCLOSE_WINDOW);
    assert_int_equal(d.reason, DC_DISCLOSE_PROBE_TOO_LARGE);
    /* the corridor's owner, told of the same conflict, learns its own corridor: geometry */
    dc_check_result back;
    conflict_of(g, &a, &b, &back);
    assert_int_equal(dc_disclosure_of_conflict(&a, &back.conflicts[0], 0, &d), DC_OK);
    assert_int_equal(d.reason == DC_DISCLOSE_PROBE_TOO_LARGE, 0);
    dc_check_result_clear(&back);
    dc_check_result_clear(&r);
    dc_volume_clear(&corridor);
    dc_volume_clear(&circle);
}

/* The keep-out holds the whole protected disc; its centre is one to two radii away from the
 * site, the same for every version and different for another site or secret. */
static void test_site_keepout(void **state)
{
    (void)state;
    uint8_t secret[DC_DISCLOSE_SECRET_BYTES], other[DC_DISCLOSE_SECRET_BYTES];
    memset(secret, 7, sizeof secret);
    memset(other, 8, sizeof other);
    double radii[] = {100, 500, 2000, 20000};
    for (size_t i = 0; i < 4; i++) {
        dc_volume site, k, k2, k3;
        dc_point c = {36.37, 37.52};
        assert_int_equal(dc_volume_init_circle(c, radii[i], -1000, 100000, T0, T0 + H, &site, NULL),
                         DC_OK);
        assert_int_equal(dc_disclosure_site_keepout(secret, "turkey", "unit", &site, radii[i], &k),
                         DC_OK);
        double off;
        assert_int_equal(dc_geodesic_inverse(c, k.center, &off, NULL), DC_OK);
        double r = fmax(radii[i], DC_DISCLOSE_SITE_MIN_RADIUS_M);
        assert_true(off >= 1.5 * r && off <= 2.5 * r);
        assert_true(k.radius_m >= off + radii[i]);
        /* every point of the site's edge is inside the keep-out */
        for (int a = 0; a < 360; a += 15) {
            dc_point p;
            double d;
            assert_int_equal(dc_geodesic_direct(c, a, radii[i], &p, NULL), DC_OK);
            assert_int_equal(dc_geodesic_inverse(p, k.center, &d, NULL), DC_OK);
            assert_true(d < k.radius_m);
        }
        assert_int_equal(dc_disclosure_site_keepout(secret, "turkey", "unit", &site, radii[i], &k2),
                         DC_OK);
        assert_true(k2.center.lat == k.center.lat && k2.center.lon == k.center.lon);
        assert_int_equal(dc_disclosure_site_keepout(other, "turkey", "unit", &site, radii[i], &k3),
                         DC_OK);
        assert_false(k3.center.lat == k.center.lat && k3.center.lon == k.center.lon);
        dc_volume_clear(&k3);
        assert_int_equal(
            dc_disclosure_site_keepout(secret, "turkey", "unit2", &site, radii[i], &k3), DC_OK);
        assert_false(k3.center.lat == k.center.lat && k3.center.lon == k.center.lon);
        dc_volume_clear(&k3);
        dc_volume_clear(&k2);
        dc_volume_clear(&k);
        dc_volume_clear(&site);
    }
}

static void test_aircraft_coarsened(void **state)
{
    (void)state;
    double e = 1234.5, n = -3801.0, u = 100.0;
    dc_disclosure_relative(&e, &n, &u);
    assert_true(e == 1000 && n == -4000);
    assert_true(fabs(u - 3 * 30.48) < 1e-9);
    assert_true(dc_disclosure_distance(9259.0) == 9000);
    assert_true(dc_disclosure_distance(499.0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_and_window),
        cmocka_unit_test(test_grid_keeps_500_m_at_high_latitude),
        cmocka_unit_test(test_probe_too_large),
        cmocka_unit_test(test_site_keepout),
        cmocka_unit_test(test_aircraft_coarsened),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
