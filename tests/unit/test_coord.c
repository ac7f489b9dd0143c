/* test_coord.c - coordinate notations accepted, their values, formats and read-backs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/geo.h"

#include <math.h>
#include <string.h>

/* Each accepted text, the notation detected and the point in degrees.
 * Values were checked with GeographicLib's GeoConvert. */
static const struct accepted {
    const char *text;
    dc_notation notation;
    double lat, lon, tolerance_deg;
} accepted[] = {
    {"33.3, 44.4", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"33.3 44.4", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"-33.3, -44.4", DC_NOTATION_DD, -33.3, -44.4, 1e-12},
    {"+33.3; +44.4", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"33.3N 44.4E", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"33.3S, 44.4W", DC_NOTATION_DD, -33.3, -44.4, 1e-12},
    {"N33.3 E44.4", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"E44.4 N33.3", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"44.4E 33.3N", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"33.3n 44.4e", DC_NOTATION_DD, 33.3, 44.4, 1e-12},
    {"33.5\xC2\xB0 44.5\xC2\xB0", DC_NOTATION_DD, 33.5, 44.5, 1e-12},
    {"  36.37, 37.52  ", DC_NOTATION_DD, 36.37, 37.52, 1e-12},
    {"90, 180", DC_NOTATION_DD, 90, 180, 0},
    {"-90, -180", DC_NOTATION_DD, -90, -180, 0},
    {"0, 0", DC_NOTATION_DD, 0, 0, 0},
    {"33 18.5 N 44 24.25 E", DC_NOTATION_DM, 33.308333333333, 44.404166666667, 1e-11},
    {"33\xC2\xB0"
     "18.5'N 44\xC2\xB0"
     "24.25'E",
     DC_NOTATION_DM, 33.308333333333, 44.404166666667, 1e-11},
    {"N33 18.5, E44 24.25", DC_NOTATION_DM, 33.308333333333, 44.404166666667, 1e-11},
    {"33:18.5S 44:24.25W", DC_NOTATION_DM, -33.308333333333, -44.404166666667, 1e-11},
    {"33\xC2\xB0"
     "18'30\"N 44\xC2\xB0"
     "24'15\"E",
     DC_NOTATION_DMS, 33.308333333333, 44.404166666667, 1e-11},
    {"33\xC2\xB0"
     "18\xE2\x80\xB2"
     "30\xE2\x80\xB3N 44\xC2\xB0"
     "24\xE2\x80\xB2"
     "15\xE2\x80\xB3"
     "E",
     DC_NOTATION_DMS, 33.308333333333, 44.404166666667, 1e-11},
    {"33d18m30sN 44d24m15sE", DC_NOTATION_DMS, 33.308333333333, 44.404166666667, 1e-11},
    {"33d18'30\"S 44d24'15\"W", DC_NOTATION_DMS, -33.308333333333, -44.404166666667, 1e-11},
    {"33:18:30N 44:24:15E", DC_NOTATION_DMS, 33.308333333333, 44.404166666667, 1e-11},
    {"N33 18 30 E44 24 15", DC_NOTATION_DMS, 33.308333333333, 44.404166666667, 1e-11},
    {"33 18 30.25 N, 044 24 15.5 E", DC_NOTATION_DMS, 33.308402777778, 44.404305555556, 1e-11},
    {"35\xC2\xB0"
     "53'56\"N 36\xC2\xB0"
     "01'32\"E",
     DC_NOTATION_DMS, 35.898888888889, 36.025555555556, 1e-11},
    /* MGRS: centre of the square; GeoConvert -g -p 9 */
    {"38SMB4414084706", DC_NOTATION_MGRS, 33.300001301, 44.399999509, 2e-9},
    {"38S MB 44140 84706", DC_NOTATION_MGRS, 33.300001301, 44.399999509, 2e-9},
    {"38smb4414084706", DC_NOTATION_MGRS, 33.300001301, 44.399999509, 2e-9},
    {"38SMB", DC_NOTATION_MGRS, 32.987244449, 44.464839017, 2e-9},
    {"38SMB44", DC_NOTATION_MGRS, 32.941903864, 44.411624278, 2e-9},
    {"31VCK", DC_NOTATION_MGRS, 62.650013111, 0.072891552, 2e-9},
    /* UTM */
    {"38N 444140.54 3684706.36", DC_NOTATION_UTM, 33.3, 44.4, 1e-7},
    {"38 N 444140.54 3684706.36", DC_NOTATION_UTM, 33.3, 44.4, 1e-7},
    {"38n 444140.54, 3684706.36", DC_NOTATION_UTM, 33.3, 44.4, 1e-7},
    {"38S 444140.54 6315293.64", DC_NOTATION_UTM, -33.3, 44.4, 1e-7},
    {"38T 444140.54 4684706.36", DC_NOTATION_UTM, 42.31259, 44.32219, 1e-5}, /* band letter T */
};

static void test_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        const struct accepted *a = &accepted[i];
        dc_point p = {999, 999};
        dc_coord_info info;
        dc_error err;
        dc_status rc = dc_coord_parse(a->text, &p, &info, &err);
        if (rc != DC_OK)
            fail_msg("'%s' refused: %s", a->text, err.message);
        if (info.notation != a->notation)
            fail_msg("'%s' detected as %s", a->text, dc_notation_name(info.notation));
        if (fabs(p.lat - a->lat) > a->tolerance_deg || fabs(p.lon - a->lon) > a->tolerance_deg)
            fail_msg("'%s' -> %.12f %.12f, expected %.12f %.12f", a->text, p.lat, p.lon, a->lat,
                     a->lon);
    }
}

static void test_mgrs_precision_reported(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int digits;
        double cell;
    } cases[] = {{"38SMB", 0, 100000},    {"38SMB48", 1, 10000},    {"38SMB4484", 2, 1000},
                 {"38SMB441847", 3, 100}, {"38SMB44148470", 4, 10}, {"38SMB4414084706", 5, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_point p;
        dc_coord_info info;
        assert_int_equal(dc_coord_parse(cases[i].text, &p, &info, NULL), DC_OK);
        assert_int_equal(info.mgrs_digits, cases[i].digits);
        assert_true(info.cell_m == cases[i].cell);
    }
}

static void check_format(dc_point p, dc_coord_style style, const char *expected)
{
    char buf[DC_COORD_TEXT_MAX];
    dc_error err;
    assert_int_equal(dc_coord_format(p, &style, buf, sizeof buf, &err), DC_OK);
    assert_string_equal(buf, expected);
}

static void test_formats(void **state)
{
    (void)state;
    dc_point p = {33.3, 44.4};
    check_format(p, dc_coord_style_default(DC_NOTATION_DD), "33.3000000, 44.4000000");
    check_format(p, dc_coord_style_default(DC_NOTATION_DM),
                 "33\xC2\xB0"
                 "18.0000'N 044\xC2\xB0"
                 "24.0000'E");
    check_format(p, dc_coord_style_default(DC_NOTATION_DMS),
                 "33\xC2\xB0"
                 "18'00.00\"N 044\xC2\xB0"
                 "24'00.00\"E");
    check_format(p, dc_coord_style_default(DC_NOTATION_MGRS), "38SMB4414084706");
    check_format(p, dc_coord_style_default(DC_NOTATION_UTM), "38N 444141 3684706");
    dc_coord_style mgrs2 = dc_coord_style_default(DC_NOTATION_MGRS);
    mgrs2.mgrs_digits = 2;
    check_format(p, mgrs2, "38SMB4484");
    mgrs2.mgrs_digits = 0;
    check_format(p, mgrs2, "38SMB");
    dc_point sw = {-33.3, -44.4};
    check_format(sw, dc_coord_style_default(DC_NOTATION_DD), "-33.3000000, -44.4000000");
    dc_coord_style prefix = dc_coord_style_default(DC_NOTATION_DD);
    prefix.hemisphere_style = DC_HEMISPHERE_PREFIX;
    check_format(sw, prefix, "S33.3000000 W44.4000000");
    /* UTM never writes a letter that reads two ways: a southern point whose
     * northing fits band S gets its band letter; band style writes N for S. */
    check_format((dc_point){-58.2424652, -141.70526}, dc_coord_style_default(DC_NOTATION_UTM),
                 "07E 458595 3544078");
    dc_coord_style band = dc_coord_style_default(DC_NOTATION_UTM);
    band.utm_band = 1;
    check_format(p, band, "38N 444141 3684706");
    check_format((dc_point){42.31259, 44.32219}, band, "38T 444141 4684706");
    /* 59.999 s must carry into the minute, never print as 60.00 */
    dc_point carry = {10.0 + 59.0 / 60.0 + 59.9999 / 3600.0, 0.5};
    check_format(carry, dc_coord_style_default(DC_NOTATION_DMS),
                 "11\xC2\xB0"
                 "00'00.00\"N 000\xC2\xB0"
                 "30'00.00\"E");
}

static void test_format_refusals(void **state)
{
    (void)state;
    char buf[DC_COORD_TEXT_MAX];
    dc_error err;
    dc_coord_style mgrs = dc_coord_style_default(DC_NOTATION_MGRS);
    assert_int_equal(dc_coord_format((dc_point){85.0, 10.0}, &mgrs, buf, sizeof buf, &err),
                     DC_UNSUPPORTED);
    assert_non_null(strstr(err.message, "UPS"));
    assert_int_equal(dc_coord_format((dc_point){NAN, 10.0}, &mgrs, buf, sizeof buf, &err),
                     DC_INVALID);
    assert_int_equal(dc_coord_format((dc_point){33.3, 44.4}, &mgrs, buf, 5, &err), DC_RANGE);
    mgrs.mgrs_digits = 6;
    assert_int_equal(dc_coord_format((dc_point){33.3, 44.4}, &mgrs, buf, sizeof buf, &err),
                     DC_INVALID);
}

static void test_readback_in_senders_notation(void **state)
{
    (void)state;
    static const struct {
        const char *text, *own, *dd, *mgrs;
    } cases[] = {
        {"N33 18 30 E44 24 15",
         "N33\xC2\xB0"
         "18'30.00\" E044\xC2\xB0"
         "24'15.00\"",
         "33.3083333, 44.4041667", "38SMB4453385628"},
        {"33.3N 44.4E", "33.3000000N 44.4000000E", "33.3000000, 44.4000000", "38SMB4414084706"},
        {"38SMB4484", "38SMB4484", "33.2981574, 44.4038735", "38SMB4484"},
        {"38N 444141 3684706", "38N 444141 3684706", "33.2999968, 44.4000049", "38SMB4414184706"},
        {"86, 10", "86.0000000, 10.0000000", "86.0000000, 10.0000000", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_readback rb;
        dc_point p;
        dc_error err;
        if (dc_coord_readback(cases[i].text, &p, &rb, &err) != DC_OK)
            fail_msg("'%s': %s", cases[i].text, err.message);
        assert_string_equal(rb.own, cases[i].own);
        assert_string_equal(rb.dd, cases[i].dd);
        assert_string_equal(rb.mgrs, cases[i].mgrs);
    }
}

static void test_parse_failure_leaves_output(void **state)
{
    (void)state;
    dc_point p = {1.0, 2.0};
    dc_error err;
    assert_int_equal(dc_coord_parse("33 61 N 44 E", &p, NULL, &err), DC_RANGE);
    assert_true(p.lat == 1.0 && p.lon == 2.0);
    assert_int_equal(err.position, 3);
    assert_int_equal(dc_coord_parse(NULL, &p, NULL, &err), DC_INVALID);
    assert_int_equal(dc_coord_parse("33.3, 44.4", &p, NULL, NULL), DC_OK);
}

static void test_utm_round_trip_and_zone_exceptions(void **state)
{
    (void)state;
    dc_utm u;
    assert_int_equal(dc_utm_from_point((dc_point){60.0, 5.0}, &u, NULL), DC_OK);
    assert_int_equal(u.zone, 32); /* Norway */
    assert_int_equal(dc_utm_from_point((dc_point){78.0, 15.0}, &u, NULL), DC_OK);
    assert_int_equal(u.zone, 33); /* Svalbard */
    assert_int_equal(dc_utm_from_point((dc_point){-33.3, 44.4}, &u, NULL), DC_OK);
    assert_int_equal(u.hemisphere, 'S');
    dc_point back;
    assert_int_equal(dc_utm_to_point(&u, &back, NULL), DC_OK);
    assert_true(fabs(back.lat + 33.3) < 1e-9 && fabs(back.lon - 44.4) < 1e-9);
    dc_error err;
    assert_int_equal(dc_utm_from_point((dc_point){-85.0, 0.0}, &u, &err), DC_UNSUPPORTED);
    assert_int_equal(dc_mgrs_band_letter(72.0), 'X');
    assert_int_equal(dc_mgrs_band_letter(83.99), 'X');
    assert_int_equal(dc_mgrs_band_letter(84.0), 0);
    assert_int_equal(dc_mgrs_band_letter(-80.0), 'C');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_mgrs_precision_reported),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_format_refusals),
        cmocka_unit_test(test_readback_in_senders_notation),
        cmocka_unit_test(test_parse_failure_leaves_output),
        cmocka_unit_test(test_utm_round_trip_and_zone_exceptions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
