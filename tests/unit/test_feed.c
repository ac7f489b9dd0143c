/* test_feed.c - `deconflict feed`'s parsers: SBS-1 lines and readsb's aircraft.json into position
 * reports in SI units, one aircraft's callsign, velocity and altitude kept between its lines, and
 * every line a receiver may send that is not SBS counted, never a report */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "feed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct got {
    dc_feed_report r[8];
    size_t n;
};

static void keep(void *ctx, const dc_feed_report *r)
{
    struct got *g = ctx;
    if (g->n < 8)
        g->r[g->n] = *r;
    g->n++;
}

static void line(dc_feed_state *s, const char *text, dc_time_us received, struct got *g)
{
    dc_feed_sbs_line(s, text, strlen(text), received, keep, g);
}

static dc_time_us at(const char *text)
{
    dc_time_us t = 0;
    dc_error err;
    assert_int_equal(dc_time_parse(text, &t, &err), DC_OK);
    return t;
}

static void test_sbs_report(void **state)
{
    (void)state;
    dc_feed_state *s = dc_feed_state_new(1);
    struct got g = {0};
    dc_time_us now = at("2024-09-17T08:10:00Z");
    line(s,
         "MSG,1,1,1,4baac6,1,2024/09/17,08:04:20.000,2024/09/17,08:04:20.000,THY9BP  ,,,,,,,,,,,0",
         now, &g);
    line(s,
         "MSG,4,1,1,4BAAC6,1,2024/09/17,08:04:25.500,2024/09/17,08:04:25.500,,,233,334.1,,,-640,,,"
         ",,0\r",
         now, &g);
    assert_int_equal(g.n, 0); /* no position yet */
    line(s,
         "MSG,3,1,1,4BAAC6,1,2024/09/17,08:04:26.250,2024/09/17,08:04:26.250,,4175,,,41.379684,"
         "28.767639,,,0,0,0,0",
         now, &g);
    assert_int_equal(g.n, 1);
    const dc_feed_report *r = &g.r[0];
    assert_string_equal(r->aircraft, "4BAAC6");
    assert_string_equal(r->callsign, "THY9BP");
    assert_true(r->time == at("2024-09-17T08:04:26.25Z")); /* the message's time, as UTC */
    assert_true(fabs(r->lat - 41.379684) < 1e-12 && fabs(r->lon - 28.767639) < 1e-12);
    assert_true(fabs(r->altitude_m - 4175 * 0.3048) < 1e-9);
    assert_true(fabs(r->ground_speed_mps - 233 * 1852.0 / 3600.0) < 1e-9);
    assert_true(fabs(r->track_deg - 334.1) < 1e-9);
    assert_true(fabs(r->vertical_rate_mps - -640 * 0.3048 / 60) < 1e-9);
    /* the same time again, and an earlier one: not newer, not sent */
    line(s, "MSG,3,1,1,4BAAC6,1,2024/09/17,08:04:26.250,,,,4175,,,41.38,28.76,,,0,0,0,0", now, &g);
    line(s, "MSG,3,1,1,4BAAC6,1,2024/09/17,08:04:20.000,,,,4175,,,41.38,28.76,,,0,0,0,0", now, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(dc_feed_state_counts(s)->stale, 2);
    /* 40 s on, the velocity is too old to be the aircraft's */
    line(s, "MSG,3,1,1,4BAAC6,1,2024/09/17,08:05:06.000,,,,4200,,,41.40,28.75,,,0,0,0,0", now, &g);
    assert_int_equal(g.n, 2);
    assert_true(isnan(g.r[1].ground_speed_mps) && isnan(g.r[1].track_deg));
    assert_int_equal(dc_feed_state_counts(s)->malformed, 0);
    assert_int_equal(dc_feed_state_counts(s)->positions, 2);
    dc_feed_state_free(s);
}

static void test_sbs_received_clock_and_altitude(void **state)
{
    (void)state;
    dc_feed_state *s = dc_feed_state_new(0);
    struct got g = {0};
    dc_time_us now = at("2025-01-01T12:00:00Z");
    /* dump1090's local time is not read: the report is dated when the line came */
    line(s, "MSG,5,1,1,738043,1,2019/11/03,11:00:00.000,,,,35000,,,,,,,0,0,0,0", now, &g);
    line(s, "MSG,3,1,1,738043,1,2019/11/03,11:00:01.000,,,,,,,41.0,12.0,,,0,0,0,0", now + 5000000,
         &g);
    assert_int_equal(g.n, 1);
    assert_true(g.r[0].time == now + 5000000);
    assert_true(fabs(g.r[0].altitude_m - 35000 * 0.3048) < 1e-9); /* MSG,5's, 5 s before */
    /* no altitude within 10 s: no report (the server needs one) */
    line(s, "MSG,3,1,1,738043,1,,,,,,,,,41.1,12.1,,,0,0,0,0", now + 20000000, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(dc_feed_state_counts(s)->ignored, 1);
    dc_feed_state_free(s);
}

static void test_sbs_malformed_counted(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "hello",
        "MSG,3,1,1,ZZZZZZ,1,2024/01/01,00:00:00.000,,,,1000,,,10.0,10.0,,,0,0,0,0",
        "MSG,3,1,1,4CA12,1,2024/01/01,00:00:00.000,,,,1000,,,10.0,10.0,,,0,0,0,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,1000,,,91.0,10.0,,,0,0,0,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,1000,,,10.0,-181,,,0,0,0,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,nan,,,10.0,10.0,,,0,0,0,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,1000,,,0x1p3,10.0,,,0,0,0,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,1000,,,10.0",
        "MSG,3,1,1,4CA123,1,2024/13/01,00:00:00.000,,,,1000,,,10.0,10.0,,,0,0,0,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,25:00:00.000,,,,1000,,,10.0,10.0,,,0,0,0,0",
        "MSG,0,1,1,4CA123",
        "MSG,33,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,1000,,,10.0,10.0,,,0,0,0,0",
        "MSG,4,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,,450,,,,0,,,,,0", /* speed, no track */
        "MSG,1,1,1,4CA123,1,2024/01/01,00:00:00.000,,,<b>x</b>,,,,,,,,,,,0",
        "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,,,,1000,,,10.0,10.0,,,0,0,0,0,1,2,3,4,5,6",
        "MSG",
    };
    dc_feed_state *s = dc_feed_state_new(1);
    struct got g = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        line(s, bad[i], 0, &g);
    dc_feed_sbs_line(s, "MSG,3,1\0,1", 10, 0, keep, &g);
    assert_int_equal(g.n, 0);
    assert_int_equal(dc_feed_state_counts(s)->malformed, sizeof bad / sizeof bad[0] + 1);
    line(s, "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM", 0, &g);
    line(s, "MSG,8,1,1,738043,1,2008/11/28,14:58:51.153,,,,,,,,,,,,,,0", 0, &g);
    line(s, "MSG,3,1,1,~2A0001,1,2008/11/28,14:58:51.153,,,,1000,,,10.0,10.0,,,0,0,0,0", 0, &g);
    line(s, "", 0, &g);
    assert_int_equal(dc_feed_state_counts(s)->ignored, 3);
    assert_int_equal(dc_feed_state_counts(s)->lines, sizeof bad / sizeof bad[0] + 1 + 3);
    dc_feed_state_free(s);
}

static void test_aircraft_json(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"now\": 1700000000.5, \"aircraft\": ["
        "{\"hex\": \"3c6444\", \"flight\": \"DLH4AB  \", \"alt_baro\": 36000, \"gs\": 450, "
        "\"track\": 360, \"baro_rate\": 64, \"lat\": 50.1, \"lon\": 8.6, \"seen_pos\": 1.5},"
        "{\"hex\": \"3c6445\", \"alt_baro\": 12000},"
        "{\"hex\": \"3c6446\", \"alt_baro\": \"ground\", \"lat\": 50.0, \"lon\": 8.5},"
        "{\"hex\": \"3c6447\", \"alt_baro\": \"ground\", \"alt_geom\": 400, \"lat\": 50.0, \"lon\": "
        "8.5, \"flight\": \"<img>\"},"
        "{\"hex\": \"~2a0001\", \"alt_baro\": 1000, \"lat\": 50, \"lon\": 8},"
        "{\"hex\": 12, \"lat\": 1, \"lon\": 1, \"alt_baro\": 1},"
        "{\"hex\": \"3c6448\", \"lat\": 100, \"lon\": 1, \"alt_baro\": 1},"
        "7]}";
    dc_feed_state *s = dc_feed_state_new(1);
    struct got g = {0};
    assert_int_equal(dc_feed_aircraft_json(s, doc, strlen(doc), 0, keep, &g), 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.r[0].aircraft, "3C6444");
    assert_string_equal(g.r[0].callsign, "DLH4AB");
    assert_true(g.r[0].time == INT64_C(1699999999000000));
    assert_true(fabs(g.r[0].altitude_m - 36000 * 0.3048) < 1e-9);
    assert_true(g.r[0].track_deg == 0); /* 360 is north */
    assert_true(fabs(g.r[0].vertical_rate_mps - 64 * 0.3048 / 60) < 1e-9);
    assert_string_equal(g.r[1].callsign, ""); /* markup is no callsign */
    assert_true(fabs(g.r[1].altitude_m - 400 * 0.3048) < 1e-9);
    const dc_feed_counts *c = dc_feed_state_counts(s);
    assert_int_equal(c->lines, 8);
    assert_int_equal(c->malformed, 3);
    assert_int_equal(c->ignored, 3);
    /* the same document again: nothing newer, nothing sent */
    assert_int_equal(dc_feed_aircraft_json(s, doc, strlen(doc), 0, keep, &g), 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(dc_feed_aircraft_json(s, "{\"now\": 1}", 10, 0, keep, &g), -1);
    assert_int_equal(dc_feed_aircraft_json(s, "[1,2", 4, 0, keep, &g), -1);
    dc_feed_state_free(s);
}

/* A receiver hearing more aircraft than are remembered: the rest are ignored until the oldest are
 * forgotten, and memory stays bounded. */
static void test_many_aircraft(void **state)
{
    (void)state;
    dc_feed_state *s = dc_feed_state_new(0);
    struct got g = {0};
    char text[160];
    for (unsigned i = 0; i < DC_FEED_MAX_AIRCRAFT + 100; i++) {
        snprintf(text, sizeof text, "MSG,3,1,1,%06X,1,,,,,,1000,,,10.0,10.0,,,0,0,0,0", i);
        line(s, text, DC_US_PER_S, &g);
    }
    assert_int_equal(g.n, DC_FEED_MAX_AIRCRAFT);
    assert_int_equal(dc_feed_state_counts(s)->ignored, 100);
    dc_time_us later = (DC_FEED_FORGET_S + 2) * DC_US_PER_S;
    line(s, "MSG,3,1,1,FFFFFF,1,,,,,,1000,,,10.0,10.0,,,0,0,0,0", later, &g);
    assert_int_equal(g.n, DC_FEED_MAX_AIRCRAFT + 1);
    dc_feed_state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbs_report),
        cmocka_unit_test(test_sbs_received_clock_and_altitude),
        cmocka_unit_test(test_sbs_malformed_counted),
        cmocka_unit_test(test_aircraft_json),
        cmocka_unit_test(test_many_aircraft),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
