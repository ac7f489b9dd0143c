/* test_ident.c - the grammar of aircraft names, callsigns and object ids: what is accepted, how it
 * is written back, and the markup, spaces and look-alikes that are not */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/ident.h"

#include <string.h>

static void test_aircraft_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {{"4BAAC6", "4BAAC6"}, /* an ICAO 24-bit address */
                 {"4baac6", "4BAAC6"}, /* as OpenSky writes it: one aircraft, one name */
                 {"738043", "738043"},     {"THY9BP", "THY9BP"}, /* a callsign without an address */
                 {"ELY1747", "ELY1747"},   {"FAF4011", "FAF4011"}, {"tk1", "TK1"}, {"A", "A"},
                 {"ABCDEFGH", "ABCDEFGH"}, /* 8: what ADS-B carries */
                 {"00000000", "00000000"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[DC_AIRCRAFT_MAX] = "x";
        dc_error err;
        dc_error_clear(&err);
        assert_int_equal(dc_ident_aircraft(cases[i].in, out, &err), DC_OK);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(err.status, DC_OK);
        assert_int_equal(dc_ident_callsign(cases[i].in, out, NULL), DC_OK);
        assert_string_equal(out, cases[i].out);
    }
}

static void test_aircraft_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "ABCDEFGHI", /* 9: longer than any callsign */
        "<b>x</b>",
        "<script>",
        "a\"b",
        "a'b",
        "a&b",
        "a b",
        " A1",
        "A1 ",
        "A1\t",
        "SU24-TR",
        "t0-123",
        "a.b",
        "a_b",
        "a/b",
        "a\\b",
        "\xc3\x84",
        /* A with diaeresis */ "\xd0\x90", /* Cyrillic A, looks like A */
        "A\xe2\x80\x8b",                   /* a zero-width space after A */
        "%3Cb%3E",
        "&lt;b&gt;",
        "javascript"}; /* 10 letters: too long */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[DC_AIRCRAFT_MAX] = "x";
        dc_error err;
        dc_error_clear(&err);
        assert_int_equal(dc_ident_aircraft(bad[i], out, &err), DC_INVALID);
        assert_string_equal(out, "");
        assert_int_equal(err.status, DC_INVALID);
        assert_string_equal(err.field, "aircraft");
        assert_non_null(strstr(err.message, "6 hex digits"));
        memcpy(out, "x", 2);
        assert_int_equal(dc_ident_callsign(bad[i], out, &err), DC_INVALID);
        assert_string_equal(out, "");
        assert_string_equal(err.field, "callsign");
    }
    char out[DC_AIRCRAFT_MAX] = "x";
    assert_int_equal(dc_ident_aircraft(NULL, out, NULL), DC_INVALID);
    assert_string_equal(out, "");
}

static void test_object_id(void **state)
{
    (void)state;
    char longest[DC_ID_MAX], too_long[DC_ID_MAX + 1];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    static const char *const good[] = {"su24-strike-package",
                                       "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
                                       "a",
                                       "a.b_c-d",
                                       ".hidden",
                                       "...x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(dc_ident_object_id(good[i], NULL), DC_OK);
    assert_int_equal(dc_ident_object_id(longest, NULL), DC_OK);
    static const char *const bad[] = {
        "", ".", "..", "...", "<b>", "a b", "a/b", "a%2Fb", "a\"b", "\xc3\xa9t\xc3\xa9", "id\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dc_error err;
        dc_error_clear(&err);
        assert_int_equal(dc_ident_object_id(bad[i], &err), DC_INVALID);
        assert_string_equal(err.field, "id");
        assert_non_null(strstr(err.message, "not only dots"));
    }
    assert_int_equal(dc_ident_object_id(too_long, NULL), DC_INVALID);
    assert_int_equal(dc_ident_object_id(NULL, NULL), DC_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_aircraft_accepted),
                                       cmocka_unit_test(test_aircraft_refused),
                                       cmocka_unit_test(test_object_id)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
