/* test_index.c - the space-time index returns exactly the boxes that overlap, through inserts and
 * removals */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/index.h"
#include "../support/workload.h"

#include <stdlib.h>
#include <string.h>

#define H (3600 * DC_US_PER_S)

static dc_box4 random_box(uint64_t *s)
{
    /* a 20° square around the antimeridian, so boxes meet and wrap */
    double lon = 170 + 20 * workload_uniform(s), lat = -10 + 20 * workload_uniform(s);
    if (lon >= 180)
        lon -= 360;
    double r = workload_uniform(s);
    /* mostly small boxes, some large, a few huge and long (the oversize list) */
    double w = r < 0.8    ? 0.05 * workload_uniform(s)
               : r < 0.98 ? 2 * workload_uniform(s)
                          : 40 * workload_uniform(s);
    dc_time_us t = (dc_time_us)(workload_uniform(s) * 48) * H / 4;
    dc_time_us len = r < 0.98 ? (dc_time_us)(1 + workload_uniform(s) * 3) * H / 2 : 72 * H;
    double alt = 10000 * workload_uniform(s);
    dc_box4 b = {lon, lon + w, lat, lat + w * 0.7, alt, alt + 2000 * workload_uniform(s),
                 t,   t + len};
    return b;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_matches_brute_force(void **state)
{
    (void)state;
    enum { N = 20000, Q = 2000 };
    dc_index *index;
    assert_int_equal(dc_index_new(NULL, &index), DC_OK);
    dc_box4 *boxes = calloc(N, sizeof *boxes);
    int *live = calloc(N, sizeof *live);
    uint64_t s = 42;
    for (int i = 0; i < N; i++) {
        boxes[i] = random_box(&s);
        assert_int_equal(dc_index_insert(index, (uint64_t)i * 7 + 3, &boxes[i]), DC_OK);
        live[i] = 1;
    }
    /* churn: remove a third, re-add some */
    for (int i = 0; i < N; i += 3) {
        assert_int_equal(dc_index_remove(index, (uint64_t)i * 7 + 3), DC_OK);
        live[i] = 0;
    }
    for (int i = 0; i < N; i += 9) {
        boxes[i] = random_box(&s);
        assert_int_equal(dc_index_insert(index, (uint64_t)i * 7 + 3, &boxes[i]), DC_OK);
        live[i] = 1;
    }
    size_t expected_count = 0;
    for (int i = 0; i < N; i++)
        expected_count += (size_t)live[i];
    assert_int_equal(dc_index_count(index), expected_count);

    dc_id_list got = {0};
    uint64_t *want = calloc(N, sizeof *want);
    size_t total = 0;
    for (int q = 0; q < Q; q++) {
        dc_box4 query = random_box(&s);
        if (q % 10 == 0) { /* straddle the antimeridian */
            query.lon_min = 179.5;
            query.lon_max = 181.0;
        }
        assert_int_equal(dc_index_query(index, &query, &got), DC_OK);
        size_t n = 0;
        for (int i = 0; i < N; i++)
            if (live[i] && dc_box4_overlaps(&boxes[i], &query))
                want[n++] = (uint64_t)i * 7 + 3;
        if (got.count > 1)
            qsort(got.ids, got.count, sizeof *got.ids, cmp_u64);
        if (got.count != n || (n > 0 && memcmp(got.ids, want, n * sizeof *want) != 0))
            fail_msg("query %d: index found %zu, brute force %zu", q, got.count, n);
        total += n;
    }
    print_message("index: %d queries agree with brute force (%zu hits)\n", Q, total);
    assert_true(total > 1000); /* the test exercised real overlaps */
    dc_id_list_clear(&got);
    free(want);
    free(boxes);
    free(live);
    dc_index_free(index);
}

static void test_errors_and_edges(void **state)
{
    (void)state;
    dc_index *index;
    assert_int_equal(dc_index_new(NULL, &index), DC_OK);
    dc_box4 b = {10, 11, 10, 11, 0, 100, 0, H};
    assert_int_equal(dc_index_insert(index, 1, &b), DC_OK);
    assert_int_equal(dc_index_insert(index, 1, &b), DC_CONFLICT);
    dc_box4 bad = b;
    bad.t_max = bad.t_min;
    assert_int_equal(dc_index_insert(index, 2, &bad), DC_INVALID);
    assert_int_equal(dc_index_remove(index, 99), DC_NOT_FOUND);
    dc_id_list out = {0};
    dc_box4 later = {10, 11, 10, 11, 0, 100, H, 2 * H}; /* time-adjacent */
    assert_int_equal(dc_index_query(index, &later, &out), DC_OK);
    assert_int_equal(out.count, 0);
    dc_box4 above = {10, 11, 10, 11, 100, 200, 0, H}; /* altitude touching: closed */
    assert_int_equal(dc_index_query(index, &above, &out), DC_OK);
    assert_int_equal(out.count, 1);
    /* a query wider than the table scans it whole */
    dc_box4 everything = {-180, 180, -90, 90, -1000, 100000, 0, 1000 * H};
    assert_int_equal(dc_index_query(index, &everything, &out), DC_OK);
    assert_int_equal(out.count, 1);
    assert_int_equal(dc_index_remove(index, 1), DC_OK);
    assert_int_equal(dc_index_query(index, &everything, &out), DC_OK);
    assert_int_equal(out.count, 0);
    dc_index_config cfg = {-1, 0, 0};
    dc_index *bad_index;
    assert_int_equal(dc_index_new(&cfg, &bad_index), DC_INVALID);
    dc_id_list_clear(&out);
    dc_index_free(index);
    dc_index_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_errors_and_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
