/* test_trust.c - positions not believed: frozen positions and spoofed jumps start an episode told
 * to the owner; only consistent reports where the aircraft could be re-acquire the track */
#include "deconflict/monitor.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frozen_then_reacquired),
        cmocka_unit_test(test_spoof_not_believed),
        cmocka_unit_test(test_jump_needs_consistent_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
