/* test_assoc.c - sensor association through the grid of cooperative tracks gives exactly what
 * looking at every track gives: across the antimeridian, near the pole, at cell edges, after
 * tracks move out of their cells, between tracks at equal distances */
#include "deconflict/sensor.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define T0 ((dc_time_us)1700000000 * DC_US_PER_S)

static uint64_t seed = 7;
static double uniform(void)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(seed >> 11) / 9007199254740992.0;
}

static dc_point around(dc_point c, double metres)
{
    double lat = c.lat + (uniform() - 0.5) * 2 * metres / 111195.0;
    lat = fmax(-89.99, fmin(89.99, lat));
    double lon = c.lon + (uniform() - 0.5) * 2 * metres / (111195.0 * cos(lat * M_PI / 180));
    lon = fmod(lon + 180, 360);
    lon = (lon < 0 ? lon + 360 : lon) - 180;
    return (dc_point){lat, lon};
}

static void report(dc_monitor *m, size_t i, dc_time_us t, dc_point p, double gs, double trk)
{
    dc_report r;
    memset(&r, 0, sizeof r);
    snprintf(r.party, sizeof r.party, "p%zu", i % 3);
    snprintf(r.aircraft, sizeof r.aircraft, "A%zu", i);
    r.time = t;
    r.position = p;
    r.altitude_m = 9000;
    r.ground_speed_mps = gs;
    r.track_deg = trk;
    r.vertical_rate_mps = NAN;
    dc_report_verdict v;
    assert_int_equal(dc_monitor_ingest(m, &r, &v, NULL, NULL), DC_OK);
}

static void same_answers(dc_monitor *m, dc_point centre, double spread, dc_time_us t)
{
    for (int k = 0; k < 400; k++) {
        dc_sensor_report u;
        memset(&u, 0, sizeof u);
        snprintf(u.party, sizeof u.party, "radar");
        snprintf(u.track, sizeof u.track, "T%d", k);
        u.time = t;
        u.position = around(centre, spread);
        u.altitude_m = NAN;
        u.accuracy_m = k % 2 ? 5000 : 150;
        u.ground_speed_mps = 200 + 100 * uniform();
        u.track_deg = 360 * uniform();
        int kg, kb;
        size_t tg, tb;
        assert_int_equal(dc_monitor_sensor_associate(m, &u, 0, &kg, &tg), DC_OK);
        assert_int_equal(dc_monitor_sensor_associate(m, &u, 1, &kb, &tb), DC_OK);
        assert_int_equal(kg, kb);
        assert_true(tg == tb);
    }
}

static void grid_equals_all_tracks(void **state)
{
    (void)state;
    static const dc_point places[] = {{0.0, 179.95}, {0.2, -179.9}, {84.9, 10.0}, {89.5, -120.0},
                                      {-60.0, 0.0},  {36.0, 37.0},  {36.25, 37.5}};
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    size_t n = 0;
    for (size_t p = 0; p < sizeof places / sizeof *places; p++)
        for (int k = 0; k < 60; k++, n++)
            report(m, n, T0, around(places[p], 60000), 150 + 150 * uniform(), 360 * uniform());
    for (size_t p = 0; p < sizeof places / sizeof *places; p++)
        same_answers(m, places[p], 80000, T0 + 10 * DC_US_PER_S);
    /* every track moves 20 km on (many into other cells); then the answers are the same again */
    uint64_t kept = seed;
    seed = 99;
    n = 0;
    for (size_t p = 0; p < sizeof places / sizeof *places; p++)
        for (int k = 0; k < 60; k++, n++)
            report(m, n, T0 + 100 * DC_US_PER_S, around(places[p], 70000), 200, 360 * uniform());
    seed = kept;
    for (size_t p = 0; p < sizeof places / sizeof *places; p++)
        same_answers(m, places[p], 90000, T0 + 110 * DC_US_PER_S);
    dc_monitor_free(m);
}

/* Two tracks exactly as far from the update: the earlier one, both ways. */
static void ties_go_to_the_earlier_track(void **state)
{
    (void)state;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    report(m, 0, T0, (dc_point){10.0, 20.001}, 200, 0);
    report(m, 1, T0, (dc_point){10.0, 19.999}, 200, 0);
    dc_sensor_report u;
    memset(&u, 0, sizeof u);
    snprintf(u.party, sizeof u.party, "radar");
    snprintf(u.track, sizeof u.track, "T1");
    u.time = T0;
    u.position = (dc_point){10.0, 20.0};
    u.altitude_m = u.ground_speed_mps = u.track_deg = NAN;
    u.accuracy_m = 100;
    int kind;
    size_t track;
    for (int brute = 0; brute < 2; brute++) {
        assert_int_equal(dc_monitor_sensor_associate(m, &u, brute, &kind, &track), DC_OK);
        assert_int_equal(kind, 1);
        assert_int_equal(track, 0);
    }
    u.accuracy_m = 6000; /* past DC_SENSOR_ACCURACY_MAX_M */
    assert_int_equal(dc_monitor_sensor_associate(m, &u, 0, &kind, &track), DC_INVALID);
    dc_monitor_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grid_equals_all_tracks),
        cmocka_unit_test(ties_go_to_the_earlier_track),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
