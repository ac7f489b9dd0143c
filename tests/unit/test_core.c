/* test_core.c - shared helpers: array growth (doubling, overflow refused, arrays intact) and
 * bounded text copies */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/status.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_grow),
                                       cmocka_unit_test(test_copy_text)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
