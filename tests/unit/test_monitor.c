/* test_monitor.c - CPA/TCPA on textbook geometries, zone crossings and levels, report plausibility,
 * grid = brute force */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/monitor.h"
#include "../support/workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const dc_time_us T0 = INT64_C(1700000000) * DC_US_PER_S;
static const dc_point ORIGIN = {36.0, 37.0};

static dc_report report_at(dc_point origin, const char *party, const char *id, dc_time_us t,
                           double east_m, double north_m, double alt, double gs, double track,
                           double vrate)
{
    dc_report r;
    memset(&r, 0, sizeof r);
    snprintf(r.party, sizeof r.party, "%s", party);
    snprintf(r.aircraft, sizeof r.aircraft, "%s", id);
    r.time = t;
    dc_point p;
    dc_geodesic_direct(origin, 90, east_m, &p, NULL);
    dc_geodesic_direct(p, 0, north_m, &r.position, NULL);
    r.altitude_m = alt;
    r.ground_speed_mps = gs;
    r.track_deg = track;
    r.vertical_rate_mps = vrate;
    return r;
}

static dc_report report(const char *party, const char *id, dc_time_us t, double east_m,
                        double north_m, double alt, double gs, double track, double vrate)
{
    return report_at(ORIGIN, party, id, t, east_m, north_m, alt, gs, track, vrate);
}

/* Hand calculations: relative position d and velocity v give tcpa = -d.v/|v|^2
 * and the distance |d + v tcpa|. */
static void test_cpa_by_hand(void **state)
{
    (void)state;
    double t, d;
    dc_cpa(20000, 0, -400, 0, 300, &t, &d); /* head-on, 200 m/s each, 20 km apart */
    assert_true(fabs(t - 50) < 1e-9 && fabs(d) < 1e-9);
    dc_cpa(10000, -10000, -100, 100, 300, &t, &d); /* crossing at 90 degrees */
    assert_true(fabs(t - 100) < 1e-9 && fabs(d) < 1e-9);
    dc_cpa(10000, -5000, -100, 100, 300, &t, &d); /* crossing, offset: t = 75, d = |(2500,2500)| */
    assert_true(fabs(t - 75) < 1e-9 && fabs(d - 2500 * sqrt(2)) < 1e-6);
    dc_cpa(5000, 0, -100, 0, 300, &t, &d); /* overtaking */
    assert_true(fabs(t - 50) < 1e-9 && fabs(d) < 1e-9);
    dc_cpa(0, 12000, 0, 0, 300, &t, &d); /* parallel: never closer */
    assert_true(t == 0 && fabs(d - 12000) < 1e-9);
    dc_cpa(-5000, 0, -100, 0, 300, &t, &d); /* diverging: CPA is now */
    assert_true(t == 0 && fabs(d - 5000) < 1e-9);
    dc_cpa(90000, 0, -100, 0, 300, &t, &d); /* beyond the horizon: clamped */
    assert_true(t == 300 && fabs(d - 60000) < 1e-9);
}

struct expect {
    const char *name;
    dc_report a, b;
    dc_alert_level level;
    double time_to_loss_s, cpa_m;
};

static void test_separation_geometries(void **state)
{
    (void)state;
    struct expect cases[] = {
        /* loss at (20000 - 9260) / 400 = 26.85 s */
        {"head-on", report("p", "a", T0, 0, 0, 3000, 200, 90, 0),
         report("q", "b", T0, 20000, 0, 3000, 200, 270, 0), DC_LEVEL_WARNING, 26.85, 0},
        /* |(10000 - 100t, -10000 + 100t)| = 9260 at t = 100 - 9260/(100 sqrt 2) = 34.52 s */
        {"crossing at 90", report("p", "a", T0, -10000, 0, 3000, 100, 90, 0),
         report("q", "b", T0, 0, -10000, 3000, 100, 0, 0), DC_LEVEL_WARNING,
         100 - 9260 / (100 * sqrt(2)), 0},
        /* 5 km apart already: lost now */
        {"overtaking", report("p", "a", T0, 0, 0, 3000, 250, 90, 0),
         report("q", "b", T0, 5000, 0, 3000, 150, 90, 0), DC_LEVEL_LOSS, 0, 0},
        /* vertical only: 1,000 m apart closing at 10 m/s; 304.8 m reached at 69.52 s */
        {"vertical only", report("p", "a", T0, 0, 0, 3000, 0, 0, 0),
         report("q", "b", T0, 0, 0, 4000, 0, 0, -10), DC_LEVEL_ADVISORY, (1000 - 304.8) / 10, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_monitor *m;
        assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
        dc_report_verdict v;
        assert_int_equal(dc_monitor_ingest(m, &cases[i].a, &v, NULL, NULL), DC_OK);
        assert_int_equal(v, DC_REPORT_ACCEPTED);
        assert_int_equal(dc_monitor_ingest(m, &cases[i].b, &v, NULL, NULL), DC_OK);
        dc_alert_list alerts = {0};
        assert_int_equal(dc_monitor_separation(m, T0, &alerts, NULL), DC_OK);
        if (alerts.count != 2)
            fail_msg("%s: %zu alerts", cases[i].name, alerts.count);
        const dc_alert *a = &alerts.items[0];
        if (a->level != cases[i].level ||
            fabs(a->time_to_event_s - cases[i].time_to_loss_s) > 0.5 || a->cpa_horizontal_m > 50)
            fail_msg("%s: %s in %.2f s (CPA %.1f m), expected %s in %.2f s", cases[i].name,
                     dc_alert_level_name(a->level), a->time_to_event_s, a->cpa_horizontal_m,
                     dc_alert_level_name(cases[i].level), cases[i].time_to_loss_s);
        /* each owner gets the other's relative state */
        assert_string_equal(alerts.items[0].other_aircraft, "b");
        assert_string_equal(alerts.items[1].other_aircraft, "a");
        dc_alert_list_clear(&alerts);
        dc_monitor_free(m);
    }
    /* parallel 12 km apart, and level 1,000 ft + 1 m apart: nothing */
    dc_monitor *m;
    dc_monitor_new(NULL, &m);
    dc_report_verdict v;
    dc_report r1 = report("p", "a", T0, 0, 0, 3000, 200, 90, 0),
              r2 = report("q", "b", T0, 0, 12000, 3000, 200, 90, 0),
              r3 = report("q", "c", T0, 0, 0, 3305.8, 200, 90, 0);
    dc_monitor_ingest(m, &r1, &v, NULL, NULL);
    dc_monitor_ingest(m, &r2, &v, NULL, NULL);
    dc_monitor_ingest(m, &r3, &v, NULL, NULL);
    dc_alert_list alerts = {0};
    dc_monitor_separation(m, T0, &alerts, NULL);
    assert_int_equal(alerts.count, 0);
    dc_monitor_free(m);
}

/* Another party's aircraft is told only through an established track (3 trusted reports over
 * establish_s of receipt); an implausible report starts the count again. */
static void test_establishment_before_disclosure(void **state)
{
    (void)state;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    dc_report_verdict v;
    dc_alert_list alerts = {0};
    const char *to[2];
    /* a's own track is established (reports 0, 15, 30 s); q's new aircraft b is not */
    for (int k = 0; k < 3; k++) {
        dc_time_us t = T0 + k * 15 * DC_US_PER_S;
        dc_report r = report("p", "a", t, 200.0 * 15 * k, 0, 3000, 200, 90, 0);
        assert_int_equal(dc_monitor_ingest(m, &r, &v, NULL, NULL), DC_OK);
        assert_int_equal(v, DC_REPORT_ACCEPTED);
    }
    dc_time_us now = T0 + 30 * DC_US_PER_S;
    dc_report b = report("q", "b", now, 200.0 * 30 + 5000, 0, 3000, 150, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &b, &v, NULL, NULL), DC_OK);
    assert_int_equal(dc_monitor_separation(m, now, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 2);
    for (size_t i = 0; i < 2; i++) {
        const dc_alert *x = &alerts.items[i];
        int own_established = strcmp(x->party, "p") == 0;
        assert_int_equal(x->established, own_established);
        /* p is told of b; q, through a track not yet established, is told nothing of a */
        assert_int_equal(dc_alert_recipients(x, to), own_established ? 1 : 0);
    }
    dc_alert_list_clear(&alerts);
    /* an implausible jump: a must earn trust again */
    dc_report jump = report("p", "a", now + DC_US_PER_S, 900000, 0, 3000, 200, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &jump, &v, NULL, NULL), DC_OK);
    assert_int_equal(v, DC_REPORT_IMPLAUSIBLE_JUMP);
    dc_report next = report("p", "a", now + 2 * DC_US_PER_S, 200.0 * 32, 0, 3000, 200, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &next, &v, NULL, NULL), DC_OK);
    assert_int_equal(dc_monitor_separation(m, now + 2 * DC_US_PER_S, &alerts, NULL), DC_OK);
    for (size_t i = 0; i < alerts.count; i++)
        assert_int_equal(alerts.items[i].established, 0);
    dc_alert_list_clear(&alerts);
    /* the receipt time, not the report's own, is what counts: three reports 15 s apart on
     * paper, received within one second, do not establish a track */
    for (int k = 0; k < 3; k++) {
        dc_report r =
            report("q", "c", T0 + k * 15 * DC_US_PER_S, 200.0 * 15 * k, 20000, 3000, 200, 90, 0);
        r.received = T0 + k * 1000;
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        assert_int_equal(v, DC_REPORT_ACCEPTED);
    }
    dc_report d =
        report("p", "d", T0 + 30 * DC_US_PER_S, 200.0 * 30 + 3000, 20000, 3000, 200, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &d, &v, NULL, NULL), DC_OK);
    assert_int_equal(dc_monitor_separation(m, T0 + 30 * DC_US_PER_S, &alerts, NULL), DC_OK);
    for (size_t i = 0; i < alerts.count; i++)
        if (strcmp(alerts.items[i].aircraft, "c") == 0)
            assert_int_equal(alerts.items[i].established, 0);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
}

/* Past new_aircraft_per_minute a party's new aircraft are refused and the operator is told
 * once a minute; known aircraft and other parties go on. */
static void test_new_aircraft_limit(void **state)
{
    (void)state;
    dc_monitor_config c = dc_monitor_config_default();
    c.new_aircraft_per_minute = 5;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(&c, &m), DC_OK);
    dc_alert_list alerts = {0};
    dc_report_verdict v;
    size_t refused = 0;
    for (int i = 0; i < 121; i++) {
        char id[16];
        snprintf(id, sizeof id, "f%d", i);
        dc_report r = report("b", id, T0, 1000.0 * i, 0, 3000, 200, 90, 0);
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        refused += v == DC_REPORT_TOO_MANY_NEW;
    }
    assert_int_equal(refused, 116);
    assert_int_equal(dc_monitor_track_count(m), 5);
    assert_int_equal(alerts.count, 1);
    const char *to[2];
    assert_int_equal(alerts.items[0].kind, DC_ALERT_NEW_AIRCRAFT);
    assert_int_equal(dc_alert_recipients(&alerts.items[0], to), 1);
    assert_string_equal(to[0], "operator");
    assert_string_equal(alerts.items[0].party, "b");
    assert_int_equal(alerts.items[0].new_aircraft, 6);
    /* a known aircraft reports on; another party starts its own */
    dc_report known = report("b", "f0", T0 + DC_US_PER_S, 200, 0, 3000, 200, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &known, &v, &alerts, NULL), DC_OK);
    assert_int_equal(v, DC_REPORT_ACCEPTED);
    dc_report other = report("a", "x", T0, 0, 5000, 3000, 200, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &other, &v, &alerts, NULL), DC_OK);
    assert_int_equal(v, DC_REPORT_ACCEPTED);
    /* the next minute of receipt: room again */
    dc_report later = report("b", "f200", T0 + 61 * DC_US_PER_S, 0, 0, 3000, 200, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &later, &v, &alerts, NULL), DC_OK);
    assert_int_equal(v, DC_REPORT_ACCEPTED);
    assert_int_equal(alerts.count, 1);
    dc_alert_list_clear(&alerts);
    /* a report dated far past its receipt would make every other party's stale: refused */
    dc_report ahead = report("b", "f0", T0 + 3600 * DC_US_PER_S, 400, 0, 3000, 200, 90, 0);
    ahead.received = T0 + 2 * DC_US_PER_S;
    assert_int_equal(dc_monitor_ingest(m, &ahead, &v, &alerts, NULL), DC_OK);
    assert_int_equal(v, DC_REPORT_FUTURE);
    assert_string_equal(dc_report_verdict_name(v), "in_the_future");
    /* and the operator hears of that party's clock, once a minute */
    assert_int_equal(alerts.count, 1);
    assert_int_equal(alerts.items[0].kind, DC_ALERT_CLOCK);
    assert_int_equal(dc_alert_recipients(&alerts.items[0], to), 1);
    assert_string_equal(to[0], "operator");
    assert_string_equal(alerts.items[0].party, "b");
    ahead.time += DC_US_PER_S;
    assert_int_equal(dc_monitor_ingest(m, &ahead, &v, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 1);
    dc_alert_list_clear(&alerts);
    dc_report still = report("a", "x", T0 + 3 * DC_US_PER_S, 600, 5000, 3000, 200, 90, 0);
    still.received = T0 + 3 * DC_US_PER_S;
    assert_int_equal(dc_monitor_ingest(m, &still, &v, &alerts, NULL), DC_OK);
    assert_int_equal(v, DC_REPORT_ACCEPTED);
    dc_monitor_free(m);
    /* a burst below the limit: all taken, the operator told once when it passes the alert level */
    c = dc_monitor_config_default();
    c.new_aircraft_per_minute = 200;
    c.new_aircraft_alert = 50;
    assert_int_equal(dc_monitor_new(&c, &m), DC_OK);
    for (int i = 0; i < 121; i++) {
        char id[16];
        snprintf(id, sizeof id, "g%d", i);
        dc_report r = report("b", id, T0, 1000.0 * i, 0, 3000, 200, 90, 0);
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        assert_int_equal(v, DC_REPORT_ACCEPTED);
    }
    assert_int_equal(alerts.count, 1);
    assert_int_equal(alerts.items[0].kind, DC_ALERT_NEW_AIRCRAFT);
    assert_int_equal(alerts.items[0].new_aircraft, 51);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
}

/* The separation minima are boundaries: exactly 1,000 ft apart is separated; 5 NM is met within a
 * metre either side. */
static void test_separation_boundaries(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double north_m, alt_b;
        int loss;
    } cases[] = {
        {"exactly 1,000 ft above", 0, 304.8, 0},
        {"1 cm under 1,000 ft", 0, 304.79, 1},
        {"9,261 m abeam", 9261, 0, 0},
        {"9,259 m abeam", 9259, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_monitor *m;
        assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
        dc_report_verdict v;
        /* level and parallel: the same distance now and throughout the look-ahead */
        dc_report a = report("p", "a", T0, 0, 0, 0, 200, 90, 0);
        dc_report b = report("q", "b", T0, 0, cases[i].north_m, cases[i].alt_b, 200, 90, 0);
        assert_int_equal(dc_monitor_ingest(m, &a, &v, NULL, NULL), DC_OK);
        assert_int_equal(dc_monitor_ingest(m, &b, &v, NULL, NULL), DC_OK);
        dc_alert_list alerts = {0};
        assert_int_equal(dc_monitor_separation(m, T0, &alerts, NULL), DC_OK);
        if ((alerts.count > 0) != cases[i].loss)
            fail_msg("%s: %zu alerts", cases[i].name, alerts.count);
        if (cases[i].loss)
            assert_int_equal(alerts.items[0].level, DC_LEVEL_LOSS);
        dc_alert_list_clear(&alerts);
        dc_monitor_free(m);
    }
}

/* A square 10 km across, 10 km east of ORIGIN: the zone of the zone tests. */
static void square_east(dc_point sq[4])
{
    double corners[4][2] = {{10000, -5000}, {20000, -5000}, {20000, 5000}, {10000, 5000}};
    for (int i = 0; i < 4; i++) {
        dc_point p;
        dc_geodesic_direct(ORIGIN, 90, corners[i][0], &p, NULL);
        dc_geodesic_direct(p, 0, corners[i][1], &sq[i], NULL);
    }
}

/* An entry predicted exactly warning_s ahead is a warning, not an advisory: the time to entry is
 * first measured, then made the warning threshold. */
static void test_zone_warning_at_its_threshold(void **state)
{
    (void)state;
    dc_point sq[4];
    square_east(sq);
    const dc_point *rings[] = {sq};
    size_t sizes[] = {4};
    double tte = 0;
    for (int pass = 0; pass < 2; pass++) {
        dc_monitor_config c = dc_monitor_config_default();
        c.hold_s = 0;
        if (pass == 1)
            c.warning_s = tte;
        dc_monitor *m;
        assert_int_equal(dc_monitor_new(&c, &m), DC_OK);
        assert_int_equal(dc_monitor_add_zone(m, "north", "box", rings, sizes, 1, NULL, 0), DC_OK);
        dc_alert_list alerts = {0};
        dc_report_verdict v;
        dc_report r = report("p", "a", T0, 0, 0, 1000, 100, 90, 0); /* 10 km off at 100 m/s */
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
        assert_int_equal(alerts.count, 1);
        tte = alerts.items[0].time_to_event_s;
        assert_true(tte > 90 && tte < 110);
        assert_int_equal(alerts.items[0].level, pass == 0 ? DC_LEVEL_ADVISORY : DC_LEVEL_WARNING);
        dc_alert_list_clear(&alerts);
        dc_monitor_free(m);
    }
}

/* A party's zone and its emergency area may share an id: removing one leaves the other watched. */
static void test_zone_and_emergency_of_one_id(void **state)
{
    (void)state;
    dc_point sq[4];
    square_east(sq);
    const dc_point *rings[] = {sq};
    size_t sizes[] = {4};
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    assert_int_equal(dc_monitor_add_zone(m, "north", "box", rings, sizes, 1, NULL, 0), DC_OK);
    dc_volume area;
    memset(&area, 0, sizeof area);
    area.outline = DC_OUTLINE_CIRCLE;
    dc_geodesic_direct(ORIGIN, 270, 50000, &area.center, NULL); /* far west: never approached */
    area.radius_m = 2000;
    area.altitude_upper = 3000;
    area.time_start = T0;
    area.time_end = T0 + INT64_C(3600000000);
    dc_object emergency;
    memset(&emergency, 0, sizeof emergency);
    snprintf(emergency.owner, sizeof emergency.owner, "north");
    snprintf(emergency.id, sizeof emergency.id, "box");
    emergency.kind = DC_KIND_INTENT;
    emergency.emergency = DC_EMERGENCY_SEARCH_AND_RESCUE;
    emergency.volumes = &area;
    emergency.volume_count = 1;
    assert_int_equal(dc_monitor_add_emergency_object(m, &emergency), DC_OK);
    assert_int_equal(dc_monitor_remove_emergency(m, "north", "box"), DC_OK);
    assert_int_equal(dc_monitor_remove_emergency(m, "north", "box"), DC_NOT_FOUND);
    /* the zone is still watched: an aircraft 10 km off heading for it is alerted */
    dc_alert_list alerts = {0};
    dc_report_verdict v;
    dc_report r = report("p", "a", T0, 0, 0, 1000, 100, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 1);
    assert_string_equal(alerts.items[0].zone_id, "box");
    dc_alert_list_clear(&alerts);
    assert_int_equal(dc_monitor_remove_zone(m, "north", "box"), DC_OK);
    assert_int_equal(dc_monitor_remove_zone(m, "north", "box"), DC_NOT_FOUND);
    dc_monitor_free(m);
}

/* A lower level is announced only once it has held for hold_s (10 s): an aircraft that turns
 * away from a zone is not declared clear on its first report heading away. */
static void test_lower_level_holds(void **state)
{
    (void)state;
    dc_point sq[4];
    square_east(sq);
    const dc_point *rings[] = {sq};
    size_t sizes[] = {4};
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    assert_int_equal(dc_monitor_add_zone(m, "north", "box", rings, sizes, 1, NULL, 0), DC_OK);
    dc_alert_list alerts = {0};
    dc_report_verdict v;
    dc_report toward = report("p", "a", T0, 0, 0, 1000, 100, 90, 0);
    assert_int_equal(dc_monitor_ingest(m, &toward, &v, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 1);
    assert_int_equal(alerts.items[0].level, DC_LEVEL_ADVISORY);
    dc_alert_list_clear(&alerts);
    /* turned away: clear is pending, not yet announced */
    dc_report away = report("p", "a", T0 + 5 * DC_US_PER_S, 400, 0, 1000, 100, 270, 0);
    assert_int_equal(dc_monitor_ingest(m, &away, &v, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 0);
    dc_report still = report("p", "a", T0 + 14 * DC_US_PER_S, -500, 0, 1000, 100, 270, 0);
    assert_int_equal(dc_monitor_ingest(m, &still, &v, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 0);
    /* held 10 s and more: announced */
    dc_report held = report("p", "a", T0 + 16 * DC_US_PER_S, -700, 0, 1000, 100, 270, 0);
    assert_int_equal(dc_monitor_ingest(m, &held, &v, &alerts, NULL), DC_OK);
    assert_int_equal(alerts.count, 1);
    assert_int_equal(alerts.items[0].level, DC_LEVEL_CLEAR);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
}

static void test_report_plausibility(void **state)
{
    (void)state;
    dc_monitor *m;
    dc_monitor_new(NULL, &m);
    dc_report_verdict v;
    dc_report r = report("p", "a", T0, 0, 0, 3000, NAN, NAN, NAN);
    dc_monitor_ingest(m, &r, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_ACCEPTED);
    dc_monitor_ingest(m, &r, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_DUPLICATE);
    dc_report older = report("p", "a", T0 - DC_US_PER_S, 0, 0, 3000, NAN, NAN, NAN);
    dc_monitor_ingest(m, &older, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_OUT_OF_ORDER);
    dc_report jump =
        report("p", "a", T0 + DC_US_PER_S, 5000, 0, 3000, NAN, NAN, NAN); /* 5 km in 1 s */
    dc_monitor_ingest(m, &jump, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_IMPLAUSIBLE_JUMP);
    dc_report high =
        report("p", "a", T0 + 2 * DC_US_PER_S, 100, 0, 32826, NAN, NAN, NAN); /* 107,700 ft */
    dc_monitor_ingest(m, &high, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_IMPLAUSIBLE_ALTITUDE);
    /* after the jump the track is unreliable: one plausible report does not re-acquire it */
    dc_report ok =
        report("p", "a", T0 + 10 * DC_US_PER_S, 2000, 0, 3000, NAN, NAN, NAN); /* 200 m/s */
    dc_monitor_ingest(m, &ok, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_UNRELIABLE);
    dc_report stale = report("p", "other", T0 - 1000 * DC_US_PER_S, 0, 0, 3000, NAN, NAN, NAN);
    dc_monitor_ingest(m, &stale, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_STALE);
    dc_report bad = ok;
    bad.position.lat = NAN;
    dc_monitor_ingest(m, &bad, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_INVALID);
    dc_report fast = report("p", "a", T0 + 11 * DC_US_PER_S, 2200, 0, 3000, 1100, 90, NAN);
    dc_monitor_ingest(m, &fast, &v, NULL, NULL); /* 1,100 m/s reported: above Mach 3 */
    assert_int_equal(v, DC_REPORT_IMPLAUSIBLE_SPEED);
    dc_report climb = report("p", "a", T0 + 11 * DC_US_PER_S, 2200, 0, 3000, 200, 90, -2000);
    dc_monitor_ingest(m, &climb, &v, NULL, NULL);
    assert_int_equal(v, DC_REPORT_IMPLAUSIBLE_SPEED);
    assert_string_equal(dc_report_verdict_name(v), "implausible_speed");
    /* a configuration out of range is refused: it would make the grid's boxes unbounded */
    dc_monitor_config c = dc_monitor_config_default();
    dc_monitor *other = NULL;
    c.lookahead_s = 3601;
    assert_int_equal(dc_monitor_new(&c, &other), DC_INVALID);
    c = dc_monitor_config_default();
    c.max_speed_mps = 20000;
    assert_int_equal(dc_monitor_new(&c, &other), DC_INVALID);
    c.max_speed_mps = NAN;
    assert_int_equal(dc_monitor_new(&c, &other), DC_INVALID);
    assert_null(other);
    dc_monitor_free(m);
}

/* A square zone 10 km east: advisory, warning, incursion, exact entry, clear, repetition, admitted.
 */
static void test_zone_levels_and_crossings(void **state)
{
    (void)state;
    dc_monitor *m;
    dc_monitor_new(NULL, &m);
    dc_point sq[4], hole[4];
    double corners[4][2] = {{10000, -5000}, {20000, -5000}, {20000, 5000}, {10000, 5000}};
    double hole_c[4][2] = {{14000, -1000}, {16000, -1000}, {16000, 1000}, {14000, 1000}};
    for (int i = 0; i < 4; i++) {
        dc_point p;
        dc_geodesic_direct(ORIGIN, 90, corners[i][0], &p, NULL);
        dc_geodesic_direct(p, 0, corners[i][1], &sq[i], NULL);
        dc_geodesic_direct(ORIGIN, 90, hole_c[i][0], &p, NULL);
        dc_geodesic_direct(p, 0, hole_c[i][1], &hole[i], NULL);
    }
    const dc_point *rings[] = {sq, hole};
    size_t sizes[] = {4, 4};
    char admitted[1][DC_ID_MAX] = {"friend"};
    assert_int_equal(dc_monitor_add_zone(m, "north", "box", rings, sizes, 2,
                                         (const char(*)[DC_ID_MAX])admitted, 1),
                     DC_OK);
    dc_alert_list alerts = {0};
    dc_crossing_list crossings = {0};
    dc_report_verdict v;
    int saw[5] = {0}, repetitions = 0;
    dc_time_us entry_time = 0, exit_time = 0, hole_entry = 0;
    /* east at 50 m/s from x = -5 km: reaches the zone at 300 s, the hole at 380 s */
    for (int s = 0; s <= 600; s += 10) {
        dc_report r = report("p", "a", T0 + s * DC_US_PER_S, -5000 + 50.0 * s, 0, 1000, 50, 90, 0);
        dc_report f =
            report("friend", "f", T0 + s * DC_US_PER_S, -5000 + 50.0 * s, 3000, 1000, 50, 90, 0);
        assert_int_equal(dc_monitor_ingest(m, &r, &v, &alerts, &crossings), DC_OK);
        assert_int_equal(dc_monitor_ingest(m, &f, &v, &alerts, &crossings), DC_OK);
    }
    for (size_t i = 0; i < alerts.count; i++) {
        const dc_alert *a = &alerts.items[i];
        if (getenv("DEBUG_ALERTS"))
            print_message("%lld %s rep %d tte %.1f\n", (long long)((a->time - T0) / DC_US_PER_S),
                          dc_alert_level_name(a->level), a->repetition, a->time_to_event_s);
        assert_string_equal(a->aircraft, "a"); /* the admitted party raises nothing */
        if (a->repetition == 0)
            saw[a->level] = saw[a->level] ? saw[a->level] : (int)((a->time - T0) / DC_US_PER_S) + 1;
        else
            repetitions++;
    }
    for (size_t i = 0; i < crossings.count; i++) {
        const dc_crossing *c = &crossings.items[i];
        if (strcmp(c->aircraft, "a") != 0)
            continue;
        dc_time_us *slot = c->entering ? (entry_time ? &hole_entry : &entry_time)
                                       : (exit_time ? &exit_time : &exit_time);
        if (!c->entering && exit_time == 0)
            slot = &exit_time;
        if (*slot == 0)
            *slot = c->time;
    }
    /* first advisory as soon as entry is within 300 s: at t = 0 (entry at 300 s) */
    assert_int_equal(saw[DC_LEVEL_ADVISORY] - 1, 0);
    assert_int_equal(saw[DC_LEVEL_WARNING] - 1, 240); /* entry in 60 s */
    assert_int_equal(saw[DC_LEVEL_INCURSION] - 1,
                     310); /* the report at 300 s lies on the edge itself */
    assert_true(repetitions > 0);
    /* crossings are exact on the path: 300 s in, out into the hole at 380 s */
    assert_true(llabs(entry_time - (T0 + 300 * DC_US_PER_S)) < 2 * DC_US_PER_S);
    assert_true(llabs(exit_time - (T0 + 380 * DC_US_PER_S)) < 2 * DC_US_PER_S);
    dc_alert_list_clear(&alerts);
    dc_crossing_list_clear(&crossings);
    dc_monitor_free(m);
}

/* The grid finds exactly the pairs all-pairs testing finds: over Syria; at 65 N across the
 * antimeridian, where sweeps straight in latitude and longitude part most from the straight flight
 * the pair test assumes; and around the North Pole, where sweeps cover every longitude and meet in
 * many cells (each pair must still come out once). */
/* ---- an independent reference for separation ---------------------------------------------
 * Not the monitor's way (earth-centred chords, its CPA): each pair in a flat east/north frame
 * tangent at the first aircraft (dc_enu, an orthographic projection of the ellipsoid), the
 * second aircraft's velocity carried into that frame by a geodesic step (so the meridians'
 * convergence is accounted for), and the loss interval solved here. The two ways differ by
 * metres; the tolerance is stated: a pair lost under minima 30 m / 1 m / 1 s tighter must be
 * found, and a pair found must be lost under minima that much looser. */
struct flying {
    dc_point p;
    double alt, speed, track_deg, vu;
};

static int reference_loss(const struct flying *a, const struct flying *b, double h, double v,
                          double horizon)
{
    dc_enu_frame f;
    double x, y, x1, y1;
    dc_point b1;
    assert_int_equal(dc_enu_frame_init(a->p, &f), DC_OK);
    assert_int_equal(dc_enu_forward(&f, b->p, &x, &y), DC_OK);
    assert_int_equal(dc_geodesic_direct(b->p, b->track_deg, b->speed, &b1, NULL), DC_OK);
    assert_int_equal(dc_enu_forward(&f, b1, &x1, &y1), DC_OK);
    double ta = a->track_deg * M_PI / 180;
    double vx = (x1 - x) - a->speed * sin(ta), vy = (y1 - y) - a->speed * cos(ta);
    double lo = 0, hi = horizon;
    /* |(x, y) + (vx, vy) t| < h */
    double qa = vx * vx + vy * vy, qb = 2 * (x * vx + y * vy), qc = x * x + y * y - h * h;
    if (qa == 0) {
        if (qc >= 0)
            return 0;
    } else {
        double disc = qb * qb - 4 * qa * qc;
        if (disc <= 0)
            return 0;
        lo = fmax(lo, (-qb - sqrt(disc)) / (2 * qa));
        hi = fmin(hi, (-qb + sqrt(disc)) / (2 * qa));
    }
    double dz = b->alt - a->alt, vz = b->vu - a->vu;
    if (vz == 0) {
        if (fabs(dz) >= v)
            return 0;
    } else {
        lo = fmax(lo, fmin((-v - dz) / vz, (v - dz) / vz));
        hi = fmin(hi, fmax((-v - dz) / vz, (v - dz) / vz));
    }
    return lo < hi;
}

static void test_separation_against_flat_reference(void **state)
{
    (void)state;
    enum { N = 800 };
    static struct flying f[N];
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    dc_monitor_config c = dc_monitor_config_default();
    uint64_t seed = 11;
    for (int i = 0; i < N; i++) {
        double e = (workload_uniform(&seed) - 0.5) * 160000,
               n = (workload_uniform(&seed) - 0.5) * 160000;
        f[i].alt = 3000 + workload_uniform(&seed) * 2000;
        f[i].speed = 60 + 200 * workload_uniform(&seed);
        f[i].track_deg = 360 * workload_uniform(&seed);
        f[i].vu = workload_uniform(&seed) < 0.3 ? (workload_uniform(&seed) - 0.5) * 16 : 0;
        dc_report r =
            report_at(ORIGIN, "p", "x", T0, e, n, f[i].alt, f[i].speed, f[i].track_deg, f[i].vu);
        f[i].p = r.position;
        snprintf(r.aircraft, sizeof r.aircraft, "f%d", i);
        dc_report_verdict v;
        assert_int_equal(dc_monitor_ingest(m, &r, &v, NULL, NULL), DC_OK);
        assert_int_equal(v, DC_REPORT_ACCEPTED);
    }
    uint32_t *pairs;
    size_t count;
    assert_int_equal(dc_monitor_conflict_pairs(m, T0, 0, &pairs, &count), DC_OK);
    static unsigned char found[N][N];
    memset(found, 0, sizeof found);
    for (size_t k = 0; k < count; k++)
        found[pairs[2 * k]][pairs[2 * k + 1]] = 1;
    size_t surely = 0, missed = 0, extra = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            int tight = reference_loss(&f[i], &f[j], c.separation_h_m - 30, c.separation_v_m - 1,
                                       c.lookahead_s - 1);
            int loose = reference_loss(&f[i], &f[j], c.separation_h_m + 30, c.separation_v_m + 1,
                                       c.lookahead_s + 1);
            surely += tight;
            if (tight && !found[i][j])
                missed++;
            if (found[i][j] && !loose)
                extra++;
        }
    print_message("separation against a flat reference: %zu pairs found, %zu surely lost, %zu "
                  "missed, %zu found though surely separated\n",
                  count, surely, missed, extra);
    assert_true(surely > 100);
    assert_int_equal(missed, 0);
    assert_int_equal(extra, 0);
    free(pairs);
    dc_monitor_free(m);
}

static void test_grid_equals_all_pairs(void **state)
{
    (void)state;
    const dc_point origins[] = {ORIGIN, {65.0, 179.9}, {89.0, 0.0}};
    for (size_t o = 0; o < sizeof origins / sizeof origins[0]; o++) {
        dc_monitor *m;
        dc_monitor_new(NULL, &m);
        uint64_t s = 3;
        for (int i = 0; i < 3000; i++) {
            dc_report r =
                report_at(origins[o], "p", "x", T0, (workload_uniform(&s) - 0.5) * 300000,
                          (workload_uniform(&s) - 0.5) * 300000, workload_uniform(&s) * 12500,
                          100 + 150 * workload_uniform(&s), 360 * workload_uniform(&s),
                          workload_uniform(&s) < 0.2 ? (workload_uniform(&s) - 0.5) * 20 : 0);
            snprintf(r.aircraft, sizeof r.aircraft, "a%d", i);
            dc_report_verdict v;
            dc_monitor_ingest(m, &r, &v, NULL, NULL);
        }
        uint32_t *grid, *brute;
        size_t ng, nb;
        assert_int_equal(dc_monitor_conflict_pairs(m, T0, 0, &grid, &ng), DC_OK);
        assert_int_equal(dc_monitor_conflict_pairs(m, T0, 1, &brute, &nb), DC_OK);
        print_message(
            "separation around %.1f %.1f: %zu pairs in conflict among 3,000 aircraft, grid found %zu\n",
            origins[o].lat, origins[o].lon, nb, ng);
        assert_true(nb > 10);
        assert_int_equal(ng, nb);
        assert_memory_equal(grid, brute, 2 * nb * sizeof *grid);
        free(grid);
        free(brute);
        dc_monitor_free(m);
    }
}

/* Conformance: a report of an intent's owner naming it, outside its only volume (a 5 km circle
 * around the origin, 0-6,000 m, an hour from T0), raises one alert; nothing else does. */
static void test_conformance(void **state)
{
    (void)state;
    dc_volume v;
    dc_error err;
    assert_int_equal(
        dc_volume_init_circle(ORIGIN, 5000, 0, 6000, T0, T0 + 3600 * DC_US_PER_S, &v, &err), DC_OK);
    dc_object intent;
    memset(&intent, 0, sizeof intent);
    snprintf(intent.id, sizeof intent.id, "route");
    snprintf(intent.owner, sizeof intent.owner, "green");
    intent.kind = DC_KIND_INTENT;
    intent.state = DC_STATE_ACCEPTED;
    intent.volume_count = 1;
    intent.volumes = &v;
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    assert_int_equal(dc_monitor_watch_intent(m, &intent), DC_OK);
    dc_alert_list alerts = {0};
    dc_report_verdict verdict;
    dc_report r = report("green", "g1", T0 + 10 * DC_US_PER_S, 1000, 0, 3000, NAN, NAN, NAN);
    snprintf(r.intent, sizeof r.intent, "route");
    dc_monitor_ingest(m, &r, &verdict, &alerts, NULL);
    assert_int_equal(alerts.count, 0); /* inside */
    dc_report jump = report("green", "g1", T0 + 11 * DC_US_PER_S, 9000, 0, 3000, NAN, NAN, NAN);
    snprintf(jump.intent, sizeof jump.intent, "route");
    dc_monitor_ingest(m, &jump, &verdict, &alerts, NULL);
    assert_int_equal(verdict, DC_REPORT_IMPLAUSIBLE_JUMP);
    /* a report not trusted says nothing of the intent: its owner hears the position is not
     * believed */
    assert_int_equal(alerts.count, 1);
    assert_int_equal(alerts.items[0].kind, DC_ALERT_POSITION_UNRELIABLE);
    alerts.count = 0;
    dc_report other = report("red", "r1", T0 + 20 * DC_US_PER_S, 9000, 0, 3000, NAN, NAN, NAN);
    snprintf(other.intent, sizeof other.intent, "route");
    dc_monitor_ingest(m, &other, &verdict, &alerts, NULL);
    assert_int_equal(alerts.count, 0); /* not red's intent */
    /* g1 is unreliable since its jump: another of green's aircraft flies the intent */
    dc_report out = report("green", "g2", T0 + 60 * DC_US_PER_S, 9000, 0, 3000, NAN, NAN, NAN);
    snprintf(out.intent, sizeof out.intent, "route");
    dc_monitor_ingest(m, &out, &verdict, &alerts, NULL);
    assert_int_equal(verdict, DC_REPORT_ACCEPTED);
    assert_int_equal(alerts.count, 1);
    assert_int_equal(alerts.items[0].kind, DC_ALERT_CONFORMANCE);
    assert_int_equal(alerts.items[0].level, DC_LEVEL_NONCONFORMING);
    assert_string_equal(alerts.items[0].intent_id, "route");
    assert_string_equal(alerts.items[0].aircraft, "g2");
    assert_string_equal(dc_alert_level_name(alerts.items[0].level), "nonconforming");
    const char *to[2];
    assert_int_equal(dc_alert_recipients(&alerts.items[0], to), 1); /* its owner only */
    out.time += 10 * DC_US_PER_S;
    dc_monitor_ingest(m, &out, &verdict, &alerts, NULL);
    assert_int_equal(alerts.count, 1); /* told once */
    /* watched again, then ended: no longer watched */
    assert_int_equal(dc_monitor_watch_intent(m, &intent), DC_OK);
    intent.state = DC_STATE_ENDED;
    assert_int_equal(dc_monitor_watch_intent(m, &intent), DC_OK);
    out.time += 10 * DC_US_PER_S;
    dc_monitor_ingest(m, &out, &verdict, &alerts, NULL);
    assert_int_equal(alerts.count, 1);
    /* watched again, then unwatched (deleted) */
    intent.state = DC_STATE_ACTIVATED;
    assert_int_equal(dc_monitor_watch_intent(m, &intent), DC_OK);
    dc_monitor_unwatch_intent(m, "green", "route");
    out.time += 10 * DC_US_PER_S;
    dc_monitor_ingest(m, &out, &verdict, &alerts, NULL);
    assert_int_equal(alerts.count, 1);
    /* and an activated intent is watched: outside after its hour is outside too */
    assert_int_equal(dc_monitor_watch_intent(m, &intent), DC_OK);
    dc_report late = report("green", "g3", T0 + 3700 * DC_US_PER_S, 0, 0, 3000, NAN, NAN, NAN);
    snprintf(late.intent, sizeof late.intent, "route");
    dc_monitor_ingest(m, &late, &verdict, &alerts, NULL);
    assert_int_equal(alerts.count, 2);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
    dc_volume_clear(&v);
}

/* Even-odd over every edge: the reference for the zone grid. */
static int inside_reference(const dc_point *ring, size_t n, dc_point p)
{
    int inside = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        if ((ring[i].lat > p.lat) != (ring[j].lat > p.lat) &&
            p.lon <
                (ring[j].lon - ring[i].lon) * (p.lat - ring[i].lat) / (ring[j].lat - ring[i].lat) +
                    ring[i].lon)
            inside ^= 1;
    return inside;
}

/* A jagged zone (a 720-point star whose edges crowd the grid's cells): the grid's answer for
 * 20,000 random points, and the crossings it reports along 2,000 random 75 km paths, agree with
 * testing every edge. */
static void test_zone_grid_equals_every_edge(void **state)
{
    (void)state;
    enum { N = 720 };
    dc_point star[N];
    uint64_t s = 11;
    for (int i = 0; i < N; i++) {
        double a = 2 * M_PI * i / N, r = (i % 2 ? 0.35 : 0.9) + 0.3 * workload_uniform(&s);
        star[i] = (dc_point){36.0 + r * sin(a), 37.0 + r * cos(a) / cos(36.0 * M_PI / 180)};
    }
    const dc_point *rings[] = {star};
    size_t sizes[] = {N};
    dc_monitor *m;
    assert_int_equal(dc_monitor_new(NULL, &m), DC_OK);
    assert_int_equal(dc_monitor_add_zone(m, "owner", "star", rings, sizes, 1, NULL, 0), DC_OK);
    size_t agree = 0, inside = 0;
    for (int k = 0; k < 20000; k++) {
        dc_point p = {35.0 + 2 * workload_uniform(&s), 35.8 + 2.4 * workload_uniform(&s)};
        const char *ids[2];
        int got = dc_monitor_zones_at(m, p, ids, 2) == 1, want = inside_reference(star, N, p);
        agree += got == want;
        inside += want;
    }
    print_message("zone grid: %zu of 20,000 points agree with every edge (%zu inside)\n", agree,
                  inside);
    assert_int_equal(agree, 20000);
    assert_true(inside > 2000 && inside < 18000);
    /* crossings along a path: as many as the edges it crosses, counted by hand */
    dc_monitor_config c = dc_monitor_config_default();
    c.max_speed_mps = 1000;
    dc_monitor *path;
    assert_int_equal(dc_monitor_new(&c, &path), DC_OK);
    assert_int_equal(dc_monitor_add_zone(path, "owner", "star", rings, sizes, 1, NULL, 0), DC_OK);
    size_t paths_agree = 0;
    for (int k = 0; k < 2000; k++) {
        dc_point a = {35.0 + 2 * workload_uniform(&s), 35.8 + 2.4 * workload_uniform(&s)};
        double heading = 360 * workload_uniform(&s);
        dc_time_us t = T0 + (dc_time_us)k * 400 * DC_US_PER_S; /* a new aircraft each time */
        dc_report r1 = report_at(a, "x", "t", t, 0, 0, 3000, NAN, NAN, NAN);
        dc_report r2 =
            report_at(a, "x", "t", t + 300 * DC_US_PER_S, 75000 * sin(heading * M_PI / 180),
                      75000 * cos(heading * M_PI / 180), 3000, NAN, NAN, NAN);
        snprintf(r1.aircraft, sizeof r1.aircraft, "p%d", k);
        snprintf(r2.aircraft, sizeof r2.aircraft, "p%d", k);
        dc_crossing_list crossings = {0};
        dc_report_verdict v;
        dc_monitor_ingest(path, &r1, &v, NULL, &crossings);
        dc_monitor_ingest(path, &r2, &v, NULL, &crossings);
        assert_int_equal(v, DC_REPORT_ACCEPTED);
        size_t want = 0;
        for (size_t i = 0, j = N - 1; i < N; j = i++) {
            /* proper intersection of the straight lat/lon path with edge j-i */
            double rx = r2.position.lon - r1.position.lon, ry = r2.position.lat - r1.position.lat;
            double sx = star[i].lon - star[j].lon, sy = star[i].lat - star[j].lat;
            double den = rx * sy - ry * sx;
            if (den == 0)
                continue;
            double ux = star[j].lon - r1.position.lon, uy = star[j].lat - r1.position.lat;
            double tt = (ux * sy - uy * sx) / den, u = (ux * ry - uy * rx) / den;
            want += tt >= 0 && tt <= 1 && u >= 0 && u < 1;
        }
        paths_agree += crossings.count == want;
        dc_crossing_list_clear(&crossings);
    }
    dc_monitor_free(path);
    print_message("zone grid: %zu of 2,000 paths cross as many edges as every edge says\n",
                  paths_agree);
    assert_int_equal(paths_agree, 2000);
    dc_monitor_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpa_by_hand),
        cmocka_unit_test(test_separation_geometries),
        cmocka_unit_test(test_report_plausibility),
        cmocka_unit_test(test_separation_boundaries),
        cmocka_unit_test(test_lower_level_holds),
        cmocka_unit_test(test_zone_warning_at_its_threshold),
        cmocka_unit_test(test_zone_and_emergency_of_one_id),
        cmocka_unit_test(test_establishment_before_disclosure),
        cmocka_unit_test(test_new_aircraft_limit),
        cmocka_unit_test(test_zone_levels_and_crossings),
        cmocka_unit_test(test_grid_equals_all_pairs),
        cmocka_unit_test(test_separation_against_flat_reference),
        cmocka_unit_test(test_zone_grid_equals_every_edge),
        cmocka_unit_test(test_conformance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
