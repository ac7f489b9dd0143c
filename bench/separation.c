/* separation.c - benchmark: a separation cycle over 10,000 and 100,000 aircraft, grid against all
 * pairs */
#include "deconflict/monitor.h"
#include "../tests/support/workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* n aircraft in a 1,500 km square around 36 N 37 E, 0-12,500 m, 100-250 m/s, a fifth climbing or
 * descending. */
static dc_monitor *fill(size_t n, dc_time_us t0)
{
    dc_monitor *m;
    dc_monitor_new(NULL, &m);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        dc_report r;
        memset(&r, 0, sizeof r);
        snprintf(r.party, sizeof r.party, "p%zu", i % 7);
        snprintf(r.aircraft, sizeof r.aircraft, "%06zx", i);
        r.time = t0 - (dc_time_us)(workload_uniform(&s) * 5 * DC_US_PER_S);
        dc_point corner;
        dc_geodesic_direct((dc_point){36, 37}, 0, (workload_uniform(&s) - 0.5) * 1.5e6, &corner,
                           NULL);
        dc_geodesic_direct(corner, 90, (workload_uniform(&s) - 0.5) * 1.5e6, &r.position, NULL);
        r.altitude_m = workload_uniform(&s) * 12500;
        r.ground_speed_mps = 100 + 150 * workload_uniform(&s);
        r.track_deg = 360 * workload_uniform(&s);
        r.vertical_rate_mps = workload_uniform(&s) < 0.2 ? (workload_uniform(&s) - 0.5) * 20 : 0;
        dc_report_verdict v;
        dc_monitor_ingest(m, &r, &v, NULL, NULL);
    }
    return m;
}

/* Usage: bench_separation [--no-reference] [AIRCRAFT ...] (default 10000 100000). Without the
 * reference, a run is quick enough to profile. */
int main(int argc, char **argv)
{
    dc_time_us t0 = INT64_C(1893456000) * DC_US_PER_S;
    size_t sizes[16] = {10000, 100000}, nsizes = 0;
    int reference = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-reference") == 0)
            reference = 0;
        else if (nsizes < 16 && atol(argv[i]) > 1)
            sizes[nsizes++] = (size_t)atol(argv[i]);
        else {
            fprintf(stderr, "usage: %s [--no-reference] [AIRCRAFT ...]\n", argv[0]);
            return 2;
        }
    }
    if (nsizes == 0)
        nsizes = 2;
    for (size_t k = 0; k < nsizes; k++) {
        dc_monitor *m = fill(sizes[k], t0);
        dc_alert_list alerts = {0};
        double best = 1e9, total = 0;
        size_t examined = 0, alerted = 0;
        for (int run = 0; run < 5; run++) {
            alerts.count = 0;
            double t = now_ms();
            dc_monitor_separation(m, t0 + run * DC_US_PER_S, &alerts, &examined);
            double ms = now_ms() - t;
            best = ms < best ? ms : best;
            total += ms;
            if (run == 0)
                alerted = alerts.count;
        }
        uint32_t *grid, *brute = NULL;
        size_t ng, nb = 0;
        dc_monitor_conflict_pairs(m, t0, 0, &grid, &ng);
        printf(
            "separation, %zu aircraft: cycle %.1f ms (best of 5; mean %.1f), %zu pairs examined exactly "
            "(of %.3g possible), %zu pairs in conflict, %zu alerts on the first cycle; target <= 100 ms at 100,000\n",
            sizes[k], best, total / 5, examined, (double)sizes[k] * (sizes[k] - 1) / 2, ng,
            alerted);
        if (reference) {
            double t = now_ms();
            dc_monitor_conflict_pairs(m, t0, 1, &brute, &nb);
            double brute_ms = now_ms() - t;
            int same = nb == ng && memcmp(grid, brute, 2 * nb * sizeof *grid) == 0;
            printf("  all-pairs reference: %.1f ms, %zu pairs: %s; grid %.0fx faster\n", brute_ms,
                   nb, same ? "the same pairs" : "DIFFERENT PAIRS", brute_ms / best);
            if (!same)
                return 1;
        }
        free(grid);
        free(brute);
        dc_alert_list_clear(&alerts);
        dc_monitor_free(m);
    }
    return 0;
}
