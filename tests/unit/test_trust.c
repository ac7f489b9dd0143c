/* test_trust.c - positions not believed: frozen positions and spoofed jumps start an episode told
 * to the owner; only consistent reports where the aircraft could be re-acquire the track, and
 * where a sensor track sees the aircraft, only reports where the sensor sees it */
#include "deconflict/monitor.h"
#include "deconflict/sensor.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define T0 ((dc_time_us)1700000000 * DC_US_PER_S)
static const dc_point ORIGIN = {45.0, 20.0};

/* Aircraft "a" of party "p" at east/north metres from ORIGIN, flying `track` at `gs`. */
static dc_report at(dc_time_us t, double east_m, double north_m, double gs, double track)
{
    dc_report r;
    memset(&r, 0, sizeof r);
    snprintf(r.party, sizeof r.party, "p");
    snprintf(r.aircraft, sizeof r.aircraft, "a");
    r.time = t;
    dc_point p;
    dc_geodesic_direct(ORIGIN, 90, east_m, &p, NULL);
    dc_geodesic_direct(p, 0, north_m, &r.position, NULL);
    r.altitude_m = 11000;
    r.ground_speed_mps = gs;
    r.track_deg = track;
    r.vertical_rate_mps = NAN;
    return r;
}

static size_t count_kind(const dc_alert_list *l, dc_alert_kind kind, dc_alert_level level)
{
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++)
        n += l->items[i].kind == kind && l->items[i].level == level;
    return n;
}

/* A zone east of the route: 100..400 km east, +-200 km north. */
static void add_east_zone(dc_monitor *m)
{
    dc_point ring[4];
    double corners[4][2] = {{100e3, -200e3}, {400e3, -200e3}, {400e3, 200e3}, {100e3, 200e3}};
    for (int i = 0; i < 4; i++) {
        dc_point p;
        dc_geodesic_direct(ORIGIN, 90, corners[i][0], &p, NULL);
        dc_geodesic_direct(p, corners[i][1] >= 0 ? 0 : 180, fabs(corners[i][1]), &ring[i], NULL);
    }
    const dc_point *rings[1] = {ring};
    size_t sizes[1] = {4};
    assert_int_equal(dc_monitor_add_zone(m, "east", "east-fir", rings, sizes, 1, NULL, 0), DC_OK);
}

/* Northbound at 250 m/s, reported each second; the position freezes for 90 s, then the
 * receiver catches up: flagged frozen at 60 s, re-acquired by the consistent reports after. */
static void test_frozen_then_reacquired(void **state)
{
    (void)state;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    dc_alert_list alerts = {0};
    dc_report_verdict v;
    int frozen_at = -1, reacquired_at = -1;
    for (int s = 0; s <= 200; s++) {
        double north = s < 30 || s >= 120 ? 250.0 * s : 250.0 * 30; /* held from 30 s to 119 s */
        dc_report r = at(T0 + s * DC_US_PER_S, 0, north, 250, 0);
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        if (v == DC_REPORT_FROZEN)
            frozen_at = s;
        if (v == DC_REPORT_ACCEPTED && frozen_at >= 0 && reacquired_at < 0)
            reacquired_at = s;
        if (s > 30 && s < 90)
            assert_int_equal(v, DC_REPORT_ACCEPTED); /* a hold under 60 s is a receiver's gap */
    }
    assert_int_equal(frozen_at, 90); /* held since 30 s */
    assert_true(reacquired_at >= 120 + 20 && reacquired_at <= 120 + 25);
    assert_int_equal(count_kind(&alerts, DC_ALERT_POSITION_UNRELIABLE, DC_LEVEL_WARNING), 1);
    assert_int_equal(count_kind(&alerts, DC_ALERT_POSITION_UNRELIABLE, DC_LEVEL_CLEAR), 1);
    for (size_t i = 0; i < alerts.count; i++)
        if (alerts.items[i].kind == DC_ALERT_POSITION_UNRELIABLE)
            assert_string_equal(alerts.items[i].party, "p");
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
}

/* Held for 20 minutes, then positions 250 km east moving consistently at their own reported
 * speed (a spoofer's), inside another party's zone: never believed, no zone alert; the real
 * positions on the dead-reckoned course re-acquire the track afterwards. */
static void test_spoof_not_believed(void **state)
{
    (void)state;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    add_east_zone(m);
    dc_alert_list alerts = {0};
    dc_report_verdict v;
    size_t believed_east = 0;
    for (int s = 0; s <= 3000; s++) {
        dc_report r;
        if (s < 60)
            r = at(T0 + s * DC_US_PER_S, 0, 250.0 * s, 250, 0);
        else if (s < 1260)
            r = at(T0 + s * DC_US_PER_S, 0, 250.0 * 59, 250, 0); /* held */
        else if (s < 2400) /* spoofed: 250 km east of the course, slowly westbound */
            r = at(T0 + s * DC_US_PER_S, 250e3 - 26.0 * (s - 1260), 300e3, 26, 270);
        else /* the aircraft itself again, where its course has brought it */
            r = at(T0 + s * DC_US_PER_S, 0, 250.0 * s, 250, 0);
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        if (s >= 1260 && s < 2400 && v == DC_REPORT_ACCEPTED)
            believed_east++;
        if (s % 5 == 0)
            assert_int_equal(dc_monitor_separation(m, r.time, &alerts, NULL), DC_OK);
    }
    assert_int_equal(believed_east, 0);
    assert_int_equal(v, DC_REPORT_ACCEPTED); /* re-acquired on its course */
    for (size_t i = 0; i < alerts.count; i++)
        assert_true(alerts.items[i].kind != DC_ALERT_ZONE);
    assert_int_equal(count_kind(&alerts, DC_ALERT_POSITION_UNRELIABLE, DC_LEVEL_WARNING), 1);
    assert_int_equal(count_kind(&alerts, DC_ALERT_POSITION_UNRELIABLE, DC_LEVEL_CLEAR), 1);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
}

/* An implausible jump followed by reports that do not move as their speed says (a spoofer
 * replaying one point with a speed) never re-acquires. */
static void test_jump_needs_consistent_reports(void **state)
{
    (void)state;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    dc_report_verdict v;
    dc_report r = at(T0, 0, 0, 250, 0);
    dc_monitor_ingest(m, &r, &v, NULL, NULL);
    r = at(T0 + DC_US_PER_S, 0, 250, 250, 0);
    dc_monitor_ingest(m, &r, &v, NULL, NULL);
    r = at(T0 + 2 * DC_US_PER_S, 50e3, 500, 250, 0); /* 50 km in a second */
    dc_monitor_ingest(m, &r, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_IMPLAUSIBLE_JUMP);
    for (int s = 3; s < 200; s++) { /* jittering about one point while claiming 250 m/s */
        r = at(T0 + s * DC_US_PER_S, 50e3 + (s % 2) * 30.0, 500, 250, 0);
        dc_monitor_ingest(m, &r, &v, NULL, NULL);
        assert_int_equal(v, DC_REPORT_UNRELIABLE);
    }
    dc_monitor_free(m);
}

/* Radar "radar"'s track R1 of the aircraft at east/north metres from ORIGIN (100 m, 1 sigma). */
static dc_sensor_state radar(dc_monitor *m, dc_time_us t, double east_m, double north_m, double gs,
                             double track)
{
    dc_sensor_report u;
    memset(&u, 0, sizeof u);
    snprintf(u.party, sizeof u.party, "radar");
    snprintf(u.track, sizeof u.track, "R1");
    u.time = t;
    dc_point p;
    dc_geodesic_direct(ORIGIN, 90, east_m + 40, &p, NULL); /* the radar's own error */
    dc_geodesic_direct(p, 0, north_m - 30, &u.position, NULL);
    u.altitude_m = NAN;
    u.ground_speed_mps = gs;
    u.track_deg = track;
    u.accuracy_m = 100;
    dc_sensor_state state;
    assert_int_equal(dc_monitor_ingest_sensor(m, &u, &state, NULL), DC_OK);
    return state;
}

struct spoof_run {
    int believed_spoof;   /* spoofed reports accepted */
    int first_true_after; /* seconds after the spoof ended until a true report was accepted */
    size_t warnings, clears;
};

/* Northbound at 250 m/s; from 30 s to 119 s the reports are spoofed 8 km east of the course,
 * consistent among themselves (near enough to where the aircraft could be to re-acquire it without
 * a sensor); from 120 s the true positions again. With `with_radar`, a radar sees the aircraft
 * on its course throughout. */
static struct spoof_run spoof_beside_course(int with_radar)
{
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    dc_alert_list alerts = {0};
    struct spoof_run out = {0, -1, 0, 0};
    for (int s = 0; s < 200; s++) {
        dc_time_us t = T0 + s * DC_US_PER_S;
        if (with_radar) {
            dc_sensor_state state = radar(m, t, 0, 250.0 * s, 250, 0);
            if (s >= 3) /* identified by its 3rd hit, and held so through the episode */
                assert_int_equal(state, DC_SENSOR_IDENTIFIED);
        }
        int spoofed = s >= 30 && s < 120;
        dc_report r = at(t, spoofed ? 8000 : 0, 250.0 * s, 250, 0);
        dc_report_verdict v;
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        if (spoofed && v == DC_REPORT_ACCEPTED)
            out.believed_spoof++;
        if (s >= 120 && v == DC_REPORT_ACCEPTED && out.first_true_after < 0)
            out.first_true_after = s - 120;
    }
    out.warnings = count_kind(&alerts, DC_ALERT_POSITION_UNRELIABLE, DC_LEVEL_WARNING);
    out.clears = count_kind(&alerts, DC_ALERT_POSITION_UNRELIABLE, DC_LEVEL_CLEAR);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
    return out;
}

/* A spoof the radar contradicts is never believed, however consistent (without the radar the
 * same reports are: the consecutive-reports rule alone takes them); the first true report, where
 * the radar sees the aircraft, re-acquires the track at once. */
static void test_sensor_contradicts_spoof(void **state)
{
    (void)state;
    struct spoof_run alone = spoof_beside_course(0);
    assert_true(alone.believed_spoof > 0); /* what the radar is there to prevent */
    struct spoof_run seen = spoof_beside_course(1);
    assert_int_equal(seen.believed_spoof, 0);
    assert_int_equal(seen.first_true_after, 0);
    assert_int_equal(seen.warnings, 1);
    assert_int_equal(seen.clears, 1);
}

/* A jump of the reports is believed when the radar sees the aircraft where the jump puts it
 * (the earlier positions were the wrong ones), and not when the radar sees it where it was. */
static void test_sensor_settles_jump(void **state)
{
    (void)state;
    for (int radar_agrees = 0; radar_agrees <= 1; radar_agrees++) {
        dc_monitor *m;
        assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
        dc_report_verdict v = DC_REPORT_INVALID;
        for (int s = 0; s <= 30; s++) {
            dc_time_us t = T0 + s * DC_US_PER_S;
            double east = s == 30 ? 20e3 : 0; /* the reports jump 20 km east at 30 s */
            radar(m, t, radar_agrees ? east : 0, 250.0 * s, 250, 0);
            dc_report r = at(t, east, 250.0 * s, 250, 0);
            assert_int_equal(dc_monitor_ingest(m, &r, &v, NULL, NULL), DC_OK);
        }
        assert_int_equal(v, radar_agrees ? DC_REPORT_ACCEPTED : DC_REPORT_IMPLAUSIBLE_JUMP);
        dc_monitor_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frozen_then_reacquired),
        cmocka_unit_test(test_spoof_not_believed),
        cmocka_unit_test(test_jump_needs_consistent_reports),
        cmocka_unit_test(test_sensor_contradicts_spoof),
        cmocka_unit_test(test_sensor_settles_jump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
