/* test_geodesic.c - geodesics against GeodSolve figures, and the local tangent plane */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/geo.h"

#include <math.h>

/* Reference figures from GeographicLib's GeodSolve (independent of PROJ's
 * copy of the same algorithm only in build, so a few cases suffice; the
 * tangent plane is checked against the geodesics). */
static void test_inverse_matches_geodsolve(void **state)
{
    (void)state;
    double s, azi;
    assert_int_equal(
        dc_geodesic_inverse((dc_point){35.9, 36.0}, (dc_point){36.37, 37.52}, &s, &azi), DC_OK);
    assert_true(fabs(s - 146415.396252) < 1e-5);
    assert_true(fabs(azi - 68.68684043759) < 1e-9);
    /* nearly antipodal */
    assert_int_equal(dc_geodesic_inverse((dc_point){0, 0}, (dc_point){0.5, 179.7}, &s, &azi),
                     DC_OK);
    assert_true(fabs(s - 19944127.420750) < 1e-5);
    assert_int_equal(dc_geodesic_inverse((dc_point){NAN, 0}, (dc_point){0, 0}, &s, NULL),
                     DC_INVALID);
    assert_int_equal(dc_geodesic_inverse((dc_point){91, 0}, (dc_point){0, 0}, NULL, NULL),
                     DC_INVALID);
}

static void test_direct_matches_geodsolve(void **state)
{
    (void)state;
    dc_point out;
    double azi2;
    assert_int_equal(dc_geodesic_direct((dc_point){35.9, 36.0}, 45, 100000, &out, &azi2), DC_OK);
    assert_true(fabs(out.lat - 36.53465739544696) < 1e-12);
    assert_true(fabs(out.lon - 36.78960475388166) < 1e-12);
    assert_true(fabs(azi2 - 45.46654973539577) < 1e-10);
    assert_int_equal(dc_geodesic_direct((dc_point){35.9, 36.0}, INFINITY, 1, &out, NULL),
                     DC_INVALID);
}

/* Distances measured in the plane agree with geodesic distances to the
 * stated scale error, and forward/inverse round-trip to a millimetre. */
static void test_enu_frame(void **state)
{
    (void)state;
    dc_enu_frame f;
    dc_point origin = {35.9, 36.0};
    assert_int_equal(dc_enu_frame_init(origin, &f), DC_OK);
    double e, n;
    assert_int_equal(dc_enu_forward(&f, origin, &e, &n), DC_OK);
    assert_true(fabs(e) < 1e-6 && fabs(n) < 1e-6);
    static const double azimuths[] = {0, 37, 90, 145, 180, 260, 315};
    static const double distances[] = {10, 1000, 50000, 100000, 300000};
    for (size_t a = 0; a < sizeof azimuths / sizeof azimuths[0]; a++) {
        for (size_t d = 0; d < sizeof distances / sizeof distances[0]; d++) {
            dc_point p;
            assert_int_equal(dc_geodesic_direct(origin, azimuths[a], distances[d], &p, NULL),
                             DC_OK);
            assert_int_equal(dc_enu_forward(&f, p, &e, &n), DC_OK);
            double r = hypot(e, n);
            double rel = fabs(r - distances[d]) / distances[d];
            double allowed = 0.6 * pow(distances[d] / 6371000.0, 2) + 1e-9;
            if (rel > allowed)
                fail_msg("az %g d %g: plane %.3f m, relative error %.3g > %.3g", azimuths[a],
                         distances[d], r, rel, allowed);
            /* east of north, as a compass reads */
            if (distances[d] >= 1000) {
                double bearing = atan2(e, n) * 180.0 / M_PI;
                double diff = fmod(bearing - azimuths[a] + 540.0, 360.0) - 180.0;
                assert_true(fabs(diff) < 0.5);
            }
            dc_point back;
            assert_int_equal(dc_enu_inverse(&f, e, n, &back), DC_OK);
            double err_m;
            dc_geodesic_inverse(p, back, &err_m, NULL);
            assert_true(err_m < 1e-3);
        }
    }
    assert_int_equal(dc_enu_forward(&f, (dc_point){-35.9, -144.0}, &e, &n), DC_RANGE);
    dc_point q;
    assert_int_equal(dc_enu_inverse(&f, 7e6, 0, &q), DC_RANGE);
    assert_int_equal(dc_enu_frame_init((dc_point){0, 200}, &f), DC_INVALID);
}

/* The antimeridian is not special in the plane. */
static void test_enu_across_antimeridian(void **state)
{
    (void)state;
    dc_enu_frame f;
    assert_int_equal(dc_enu_frame_init((dc_point){-17.0, 179.99}, &f), DC_OK);
    double e1, n1, e2, n2;
    assert_int_equal(dc_enu_forward(&f, (dc_point){-17.0, 179.95}, &e1, &n1), DC_OK);
    assert_int_equal(dc_enu_forward(&f, (dc_point){-17.0, -179.95}, &e2, &n2), DC_OK);
    assert_true(e1 < 0 && e2 > 0);
    double s;
    dc_geodesic_inverse((dc_point){-17.0, 179.95}, (dc_point){-17.0, -179.95}, &s, NULL);
    assert_true(fabs((e2 - e1) - s) < 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inverse_matches_geodsolve),
        cmocka_unit_test(test_direct_matches_geodsolve),
        cmocka_unit_test(test_enu_frame),
        cmocka_unit_test(test_enu_across_antimeridian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
