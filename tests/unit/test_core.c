/* test_core.c - shared helpers: array growth (doubling, overflow refused, arrays intact), bounded
 * text copies, and the range of times read and written */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/status.h"
#include "deconflict/time.h"

#include <stdint.h>
#include <string.h>

static void test_grow(void **state)
{
    (void)state;
    int *items = NULL;
    size_t capacity = 0, count = 0;
    for (int i = 0; i < 1000; i++) {
        int *grown = dc_grow(items, &capacity, count, sizeof *items, 4);
        assert_non_null(grown);
        items = grown;
        items[count++] = i;
    }
    assert_int_equal(capacity, 1024); /* 4, 8, ..., 1024 */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(items[i], i);
    /* not full: the same array, capacity unchanged */
    assert_ptr_equal(dc_grow(items, &capacity, 10, sizeof *items, 4), items);
    assert_int_equal(capacity, 1024);
    /* a doubling that would overflow size_t is refused and changes nothing */
    size_t huge = SIZE_MAX / 8 + 1;
    assert_null(dc_grow(items, &huge, huge, 8, 4));
    assert_int_equal(huge, SIZE_MAX / 8 + 1);
    assert_int_equal(items[999], 999);
    dc_free(items);
}

static void test_copy_text(void **state)
{
    (void)state;
    char field[6];
    memset(field, 'x', sizeof field);
    dc_copy_text(field, sizeof field, "abc");
    assert_string_equal(field, "abc");
    dc_copy_text(field, sizeof field, "abcde"); /* exactly fits */
    assert_string_equal(field, "abcde");
    dc_copy_text(field, sizeof field, "abcdefgh"); /* cut, still terminated */
    assert_string_equal(field, "abcde");
    dc_copy_text(field, sizeof field, NULL);
    assert_string_equal(field, "");
    dc_copy_text(field, 1, "abc");
    assert_string_equal(field, "");
    field[0] = 'q';
    dc_copy_text(field, 0, "abc"); /* no room: untouched */
    assert_int_equal(field[0], 'q');
}

/* Every time parsed can be written back: an offset that moves the instant out of the years
 * 1970..9999 is refused, and a failed format leaves "" rather than stale bytes. */
static void test_time_range(void **state)
{
    (void)state;
    dc_time_us t = 42;
    dc_error err;
    assert_int_equal(dc_time_parse("9999-12-31T23:59:59-23:59", &t, &err), DC_RANGE);
    assert_int_equal(t, 42); /* untouched */
    assert_int_equal(dc_time_parse("1970-01-01T00:00:00+00:01", &t, &err), DC_RANGE);
    assert_int_equal(dc_time_parse("9999-12-31T23:59:59.999999Z", &t, &err), DC_OK);
    assert_int_equal(t, DC_TIME_MAX_US);
    assert_int_equal(dc_time_parse("9999-12-31T23:59:59+23:59", &t, &err), DC_OK);
    assert_int_equal(dc_time_parse("1970-01-01T00:00:00Z", &t, &err), DC_OK);
    assert_int_equal(t, DC_TIME_MIN_US);
    assert_int_equal(dc_time_parse("1970-01-01T00:00:00-00:01", &t, &err), DC_OK);

    char buf[32];
    memset(buf, 1, sizeof buf);
    assert_int_equal(dc_time_format(DC_TIME_MAX_US + 1, buf, sizeof buf), DC_RANGE);
    assert_string_equal(buf, "");
    memset(buf, 1, sizeof buf);
    assert_int_equal(dc_time_format(DC_TIME_MIN_US - 1, buf, sizeof buf), DC_RANGE);
    assert_string_equal(buf, "");
    memset(buf, 1, sizeof buf);
    assert_int_equal(dc_time_format(0, buf, 8), DC_RANGE); /* short buffer */
    assert_string_equal(buf, "");
    assert_int_equal(dc_time_format(DC_TIME_MAX_US, buf, sizeof buf), DC_OK);
    assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_grow),
                                       cmocka_unit_test(test_copy_text),
                                       cmocka_unit_test(test_time_range)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
