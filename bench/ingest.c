/* ingest.c - benchmark: position reports per second through zone prediction against every Natural
 * Earth 10m border */
#include "deconflict/scenario.h"
#include "../tests/support/workload.h"

#include <math.h>
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

/* Reference point-in-zone: every edge of every country, even-odd, with no grid. */
struct ring_set {
    size_t count;
    double *xy; /* lon, lat pairs */
    size_t *start, *size, *zone;
    char (*ids)[64];
    size_t zones;
};

static void load_reference(const char *path, struct ring_set *rs);
static size_t reference_zones_at(const struct ring_set *rs, dc_point p, size_t *out, size_t max);

int main(int argc, char **argv)
{
    const char *world = argc > 1 ? argv[1] : "build/borders/world.geojson";
    dc_monitor *m;
    dc_error err;
    size_t zones;
    dc_monitor_new(NULL, &m);
    double t = now_ms();
    if (dc_scenario_load_zone_outlines(world, m, &zones, &err) != DC_OK) {
        fprintf(stderr, "bench_ingest: %s (run make borders)\n", err.message);
        return 1;
    }
    printf("ingest: %zu Natural Earth 10m countries loaded into the monitor's grid in %.0f ms\n",
           zones, now_ms() - t);
    /* 10,000 aircraft over Europe and the Middle East (25-60 N, 10 W-60 E), straight at
     * 200-250 m/s, a report every 5 s, 200 rounds: 2,000,000 reports. Fewer rounds (the second
     * argument) for instruction counts under callgrind, where this VM's timing varies too much. */
    enum { AIRCRAFT = 10000 };
    const int ROUNDS = argc > 2 ? atoi(argv[2]) : 200;
    dc_report *fleet = calloc(AIRCRAFT, sizeof *fleet);
    uint64_t s = 9;
    dc_time_us t0 = INT64_C(1893456000) * DC_US_PER_S;
    for (int i = 0; i < AIRCRAFT; i++) {
        dc_report *r = &fleet[i];
        snprintf(r->party, sizeof r->party, "p%d", i % 5);
        snprintf(r->aircraft, sizeof r->aircraft, "%06X", i);
        r->position = (dc_point){25 + 35 * workload_uniform(&s), -10 + 70 * workload_uniform(&s)};
        r->altitude_m = 3000 + 9000 * workload_uniform(&s);
        r->ground_speed_mps = 200 + 50 * workload_uniform(&s);
        r->track_deg = 360 * workload_uniform(&s);
        r->vertical_rate_mps = 0;
    }
    dc_alert_list alerts = {0};
    dc_crossing_list crossings = {0};
    size_t reports = 0, alerted = 0, crossed = 0, accepted = 0;
    double ingest_ms = 0, best_round_ms = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < AIRCRAFT; i++) {
            dc_report *r = &fleet[i];
            r->time = t0 + (dc_time_us)round * 5 * DC_US_PER_S;
            if (round > 0) {
                double d = r->ground_speed_mps * 5, a = r->track_deg * M_PI / 180;
                r->position.lat += d * cos(a) / 111320.0;
                r->position.lon += d * sin(a) / (111320.0 * cos(r->position.lat * M_PI / 180));
                if (r->position.lon > 180)
                    r->position.lon -= 360;
            }
        }
        double start = now_ms();
        for (int i = 0; i < AIRCRAFT; i++) {
            dc_report_verdict v;
            dc_monitor_ingest(m, &fleet[i], &v, &alerts, &crossings);
            accepted += v == DC_REPORT_ACCEPTED;
        }
        double round_ms = now_ms() - start;
        ingest_ms += round_ms;
        if (round > 0 && round_ms < best_round_ms) /* the first round creates the tracks */
            best_round_ms = round_ms;
        reports += AIRCRAFT;
        alerted += alerts.count;
        crossed += crossings.count;
        alerts.count = crossings.count = 0;
    }
    printf("ingest: %zu reports in %.0f ms: %.0f reports/s on one core (target >= 2,000,000/s); "
           "%zu accepted, %zu zone alerts, %zu border crossings\n",
           reports, ingest_ms, reports / (ingest_ms / 1000), accepted, alerted, crossed);
    /* this VM's speed varies by 2x over seconds: the fastest round shows what the code does when
     * nothing else runs */
    if (ROUNDS > 1)
        printf("  fastest round of %d: %.0f reports/s\n", AIRCRAFT,
               AIRCRAFT / (best_round_ms / 1000));

    /* Reference: which countries contain a point, by testing every edge of every country. */
    struct ring_set rs;
    load_reference(world, &rs);
    size_t samples = 2000, agree = 0, inside = 0;
    double grid_ms = 0, ref_ms = 0;
    s = 77;
    for (size_t k = 0; k < samples; k++) {
        dc_point p = {25 + 35 * workload_uniform(&s), -10 + 70 * workload_uniform(&s)};
        const char *ids[8];
        size_t ref[8];
        double a = now_ms();
        size_t n1 = dc_monitor_zones_at(m, p, ids, 8);
        double b = now_ms();
        size_t n2 = reference_zones_at(&rs, p, ref, 8);
        double c = now_ms();
        grid_ms += b - a;
        ref_ms += c - b;
        int same = n1 == n2;
        for (size_t i = 0; same && i < n1; i++) {
            int found = 0;
            for (size_t j = 0; j < n2; j++)
                found |= strcmp(ids[i], rs.ids[ref[j]]) == 0;
            same = found;
        }
        agree += (size_t)same;
        inside += n1 > 0;
    }
    printf(
        "point in zone, %zu random points (%zu on land): grid %.2f us, every-edge reference %.0f us per point "
        "(%.0fx); identical answers %zu/%zu\n",
        samples, inside, grid_ms * 1000 / samples, ref_ms * 1000 / samples, ref_ms / grid_ms, agree,
        samples);
    dc_alert_list_clear(&alerts);
    dc_crossing_list_clear(&crossings);
    dc_monitor_free(m);
    free(fleet);
    return agree == samples ? 0 : 1;
}

#include <jansson.h>

static void load_reference(const char *path, struct ring_set *rs)
{
    memset(rs, 0, sizeof *rs);
    json_t *root = json_load_file(path, 0, NULL);
    json_t *features = json_object_get(root, "features");
    size_t cap = 0, xycap = 0, xyn = 0;
    rs->ids = calloc(json_array_size(features), sizeof *rs->ids);
    for (size_t i = 0; i < json_array_size(features); i++) {
        json_t *f = json_array_get(features, i);
        snprintf(rs->ids[i], 64, "%s",
                 json_string_value(json_object_get(json_object_get(f, "properties"), "id")));
        json_t *coords = json_object_get(json_object_get(f, "geometry"), "coordinates");
        for (size_t p = 0; p < json_array_size(coords); p++)
            for (size_t r = 0; r < json_array_size(json_array_get(coords, p)); r++) {
                json_t *ring = json_array_get(json_array_get(coords, p), r);
                if (rs->count == cap) {
                    cap = cap ? cap * 2 : 1024;
                    rs->start = realloc(rs->start, cap * sizeof *rs->start);
                    rs->size = realloc(rs->size, cap * sizeof *rs->size);
                    rs->zone = realloc(rs->zone, cap * sizeof *rs->zone);
                }
                size_t n = json_array_size(ring);
                while (xyn + 2 * n > xycap) {
                    xycap = xycap ? xycap * 2 : 1 << 20;
                    rs->xy = realloc(rs->xy, xycap * sizeof *rs->xy);
                }
                rs->start[rs->count] = xyn;
                rs->size[rs->count] = n;
                rs->zone[rs->count] = i;
                for (size_t k = 0; k < n; k++) {
                    rs->xy[xyn++] = json_number_value(json_array_get(json_array_get(ring, k), 0));
                    rs->xy[xyn++] = json_number_value(json_array_get(json_array_get(ring, k), 1));
                }
                rs->count++;
            }
        rs->zones = i + 1;
    }
    json_decref(root);
}

static size_t reference_zones_at(const struct ring_set *rs, dc_point p, size_t *out, size_t max)
{
    size_t n = 0;
    int *parity = calloc(rs->zones, sizeof *parity);
    for (size_t r = 0; r < rs->count; r++) {
        const double *xy = rs->xy + rs->start[r];
        size_t k = rs->size[r];
        for (size_t i = 0, j = k - 1; i < k; j = i++) {
            double yi = xy[2 * i + 1], yj = xy[2 * j + 1];
            if ((yi > p.lat) != (yj > p.lat) &&
                p.lon < (xy[2 * j] - xy[2 * i]) * (p.lat - yi) / (yj - yi) + xy[2 * i])
                parity[rs->zone[r]] ^= 1;
        }
    }
    for (size_t z = 0; z < rs->zones && n < max; z++)
        if (parity[z])
            out[n++] = z;
    free(parity);
    return n;
}
