/* sensor.c - benchmark: sensor association at 10,000 cooperative and 10,000 sensor tracks, through
 * the monitor's grid of tracks against all pairs in the same run (the same associations) */
#include "deconflict/sensor.h"
#include "../tests/support/workload.h"

#include <math.h>
#include <stdint.h>
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

static double gauss(uint64_t *s)
{
    double u = workload_uniform(s), v = workload_uniform(s);
    return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(2 * 3.141592653589793 * v);
}

static dc_point moved(dc_point p, double east, double north)
{
    return (dc_point){p.lat + north / 111195.0,
                      p.lon + east / (111195.0 * cos(p.lat * 3.141592653589793 / 180))};
}

/* n cooperative aircraft in a 1,500 km square around 36 N 37 E (as bench_separation), 0-12,500
 * m, 100-250 m/s, 7 parties; and one sensor update for each: half on its aircraft (noise of the
 * stated 150 m), a quarter 2-15 km beside it moving alike (disputes or misses), a quarter where
 * nobody flies. */
static void fill(dc_monitor *m, size_t n, dc_time_us t0, dc_sensor_report *sensed)
{
    uint64_t s = 16;
    for (size_t i = 0; i < n; i++) {
        dc_report r;
        memset(&r, 0, sizeof r);
        snprintf(r.party, sizeof r.party, "p%zu", i % 7);
        snprintf(r.aircraft, sizeof r.aircraft, "%06zx", i);
        r.time = t0 - (dc_time_us)(workload_uniform(&s) * 5 * DC_US_PER_S);
        r.position = moved((dc_point){36, 37}, (workload_uniform(&s) - 0.5) * 1.5e6,
                           (workload_uniform(&s) - 0.5) * 1.5e6);
        r.altitude_m = workload_uniform(&s) * 12500;
        r.ground_speed_mps = 100 + 150 * workload_uniform(&s);
        r.track_deg = 360 * workload_uniform(&s);
        r.vertical_rate_mps = NAN;
        dc_report_verdict v;
        dc_monitor_ingest(m, &r, &v, NULL, NULL);
        dc_sensor_report *u = &sensed[i];
        memset(u, 0, sizeof *u);
        snprintf(u->party, sizeof u->party, "radar");
        snprintf(u->track, sizeof u->track, "T%zu", i);
        u->time = t0;
        u->accuracy_m = 150;
        u->altitude_m = r.altitude_m;
        u->ground_speed_mps = r.ground_speed_mps;
        u->track_deg = r.track_deg;
        double a = r.track_deg * 3.141592653589793 / 180, dt = (double)(t0 - r.time) / DC_US_PER_S;
        dc_point there =
            moved(r.position, r.ground_speed_mps * sin(a) * dt, r.ground_speed_mps * cos(a) * dt);
        double kind = workload_uniform(&s);
        if (kind < 0.5)
            u->position = moved(there, gauss(&s) * 150, gauss(&s) * 150);
        else if (kind < 0.75)
            u->position = moved(there, 0, 2000 + 13000 * workload_uniform(&s));
        else
            u->position = moved((dc_point){36, 37}, (workload_uniform(&s) - 0.5) * 1.5e6,
                                (workload_uniform(&s) - 0.5) * 1.5e6);
    }
}

/* Every update associated alone, by the grid or by all pairs: ms for all, and the answers. */
static double associate_all(const dc_monitor *m, const dc_sensor_report *sensed, size_t n,
                            int brute, int *kinds, size_t *tracks)
{
    double t = now_ms();
    for (size_t i = 0; i < n; i++)
        dc_monitor_sensor_associate(m, &sensed[i], brute, &kinds[i], &tracks[i]);
    return now_ms() - t;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    dc_time_us t0 = (dc_time_us)1735725600 * DC_US_PER_S;
    dc_monitor *m;
    if (dc_monitor_new(NULL, &m) != DC_OK)
        return 2;
    dc_sensor_report *sensed = calloc(n, sizeof *sensed);
    int *kg = calloc(n, sizeof *kg), *kb = calloc(n, sizeof *kb);
    size_t *tg = calloc(n, sizeof *tg), *tb = calloc(n, sizeof *tb);
    if (!sensed || !kg || !kb || !tg || !tb)
        return 2;
    fill(m, n, t0, sensed);
    double grid = INFINITY, brute = INFINITY;
    for (int round = 0; round < 5; round++) {
        grid = fmin(grid, associate_all(m, sensed, n, 0, kg, tg));
        brute = fmin(brute, associate_all(m, sensed, n, 1, kb, tb));
    }
    size_t differ = 0, counts[3] = {0};
    for (size_t i = 0; i < n; i++) {
        differ += kg[i] != kb[i] || tg[i] != tb[i];
        counts[kg[i]]++;
    }
    /* the whole update (association, M of N, state, zone picture) for every sensor track, 5
     * updates each as a sensor would send them */
    double whole = now_ms();
    dc_alert_list alerts = {0};
    for (int k = 0; k < 5; k++)
        for (size_t i = 0; i < n; i++) {
            dc_sensor_report u = sensed[i];
            u.time = t0 + k * 100000; /* 0.1 s apart: the cooperative tracks barely move */
            dc_sensor_state state;
            dc_monitor_ingest_sensor(m, &u, &state, &alerts);
        }
    whole = now_ms() - whole;
    printf("sensor association, %zu cooperative and %zu sensor tracks: grid %.2f us an update, all "
           "pairs %.2f us (best of 5 over %zu updates; %.0fx); %zu hits, %zu disputes, %zu misses; "
           "%zu associations differ\n",
           n, n, grid * 1e3 / n, brute * 1e3 / n, n, brute / grid, counts[1], counts[2], counts[0],
           differ);
    printf("sensor update through dc_monitor_ingest_sensor (grid, M of N, states, alerts): %.2f us "
           "an update (%zu updates, %zu alerts)\n",
           whole * 1e3 / (5.0 * n), 5 * n, alerts.count);
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
    free(sensed);
    free(kg);
    free(kb);
    free(tg);
    free(tb);
    return differ == 0 ? 0 : 1;
}
