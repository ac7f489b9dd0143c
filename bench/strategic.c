/* strategic.c - benchmark: checking a new intent against 1,000,000 stored volumes, indexed and
 * brute force */
#include "deconflict/engine.h"
#include "../tests/support/workload.h"

#include <geos_c.h>
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

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, by_value);
    size_t k = (size_t)(p * (n - 1) + 0.5);
    return v[k];
}

struct checker {
    dc_geom *geom;
    dc_index *index;
    workload *w;
    dc_id_list scratch, numbers;
    const dc_object **cands;
};

static double lookup_ms_total;

static dc_status check_indexed(struct checker *c, const dc_object *o, dc_check_result *r)
{
    double t = now_ms();
    dc_status rc = dc_index_candidate_objects(c->index, o, &c->scratch, &c->numbers);
    if (rc != DC_OK)
        return rc;
    for (size_t k = 0; k < c->numbers.count; k++)
        c->cands[k] = &c->w->objects[c->numbers.ids[k]];
    lookup_ms_total += now_ms() - t;
    return dc_engine_check(c->geom, o, NULL, c->cands, c->numbers.count, r, NULL);
}

/* The whole answer: the decision, and for each conflict the other object, how it was resolved
 * and why, its window, and every overlap part's band, window and outline, vertex by vertex. */
static int same(const dc_check_result *a, const dc_check_result *b)
{
    if (a->accepted != b->accepted || a->conflict_count != b->conflict_count)
        return 0;
    for (size_t i = 0; i < a->conflict_count; i++) {
        const dc_conflict *x = &a->conflicts[i], *y = &b->conflicts[i];
        if (x->other != y->other || x->resolution != y->resolution || x->reason != y->reason ||
            x->time_start != y->time_start || x->time_end != y->time_end ||
            x->overlap.part_count != y->overlap.part_count)
            return 0;
        for (size_t k = 0; k < x->overlap.part_count; k++) {
            const dc_volume *p = &x->overlap.parts[k], *q = &y->overlap.parts[k];
            if (p->vertex_count != q->vertex_count || p->time_start != q->time_start ||
                p->time_end != q->time_end || p->altitude_lower != q->altitude_lower ||
                p->altitude_upper != q->altitude_upper ||
                memcmp(p->vertices, q->vertices, p->vertex_count * sizeof *p->vertices) != 0)
                return 0;
        }
    }
    return 1;
}

static size_t volume_bytes(const workload *w)
{
    size_t bytes = w->volume_count * (sizeof(dc_volume) + sizeof(uint32_t));
    for (size_t i = 0; i < w->volume_count; i++)
        bytes += w->volumes[i].vertex_count * sizeof(dc_point);
    return bytes + w->object_count * sizeof(dc_object);
}

/* Sweeping a 1,000-leg route, against GEOS buffering each leg in the same
 * tangent plane (the straightforward way): time, and the areas compared. */
static void bench_sweep(dc_geom *geom)
{
    enum { N = 1001, RUNS = 21 };
    static dc_waypoint w[N];
    static dc_volume legs[N - 1];
    uint64_t s = 11;
    dc_point at = {30.0, 30.0};
    double heading = 45;
    for (int i = 0; i < N; i++) {
        w[i] = (dc_waypoint){at, 3000, INT64_C(1448323200) * DC_US_PER_S + i * 20 * DC_US_PER_S};
        heading += (workload_uniform(&s) - 0.5) * 40;
        dc_geodesic_direct(at, heading, 5000, &at, NULL);
    }
    dc_route_buffers buf = {1000, 150, 60 * DC_US_PER_S};
    double times[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t = now_ms();
        dc_route_sweep(w, N, &buf, legs, NULL);
        times[r] = now_ms() - t;
        if (r + 1 < RUNS)
            for (int i = 0; i < N - 1; i++)
                dc_volume_clear(&legs[i]);
    }
    /* reference: GEOS buffer of each leg's segment, 8 segments a quarter */
    GEOSContextHandle_t h = GEOS_init_r();
    double t = now_ms(), worst = 0;
    for (int i = 0; i < N - 1; i++) {
        dc_enu_frame f;
        dc_enu_frame_init(legs[i].bound_center, &f);
        double ax, ay, bx, by;
        dc_enu_forward(&f, w[i].position, &ax, &ay);
        dc_enu_forward(&f, w[i + 1].position, &bx, &by);
        GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, 2, 2);
        GEOSCoordSeq_setXY_r(h, seq, 0, ax, ay);
        GEOSCoordSeq_setXY_r(h, seq, 1, bx, by);
        GEOSGeometry *line = GEOSGeom_createLineString_r(h, seq);
        GEOSGeometry *buffered = GEOSBuffer_r(h, line, buf.lateral_m, 8);
        double ref_area = 0, area2 = 0;
        GEOSArea_r(h, buffered, &ref_area);
        for (uint32_t k = 0; k < legs[i].vertex_count; k++) {
            double x1, y1, x2, y2;
            dc_enu_forward(&f, legs[i].vertices[k], &x1, &y1);
            dc_enu_forward(&f, legs[i].vertices[(k + 1) % legs[i].vertex_count], &x2, &y2);
            area2 += x1 * y2 - x2 * y1;
        }
        worst = fmax(worst, area2 / 2 / ref_area - 1);
        GEOSGeom_destroy_r(h, line);
        GEOSGeom_destroy_r(h, buffered);
    }
    double ref_ms = now_ms() - t;
    GEOS_finish_r(h);
    for (int i = 0; i < N - 1; i++)
        dc_volume_clear(&legs[i]);
    (void)geom;
    double med = percentile(times, RUNS, 0.5);
    printf("route sweep: 1,000 legs in %.2f ms (median of %d); target < 5 ms. Reference GEOS "
           "buffer per leg: %.2f ms (%.1fx slower); swept area exceeds the exact buffer by at "
           "most %.2f %% (circumscribed caps)\n",
           med, RUNS, ref_ms, ref_ms / med, worst * 100);
}

int main(int argc, char **argv)
{
    size_t volumes = 1000000, queries = 2000, subset = 10000, brute_queries = 200;
    dc_index_config grid = {0, 0, 0};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--volumes") == 0)
            volumes = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--queries") == 0)
            queries = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--subset") == 0)
            subset = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--cell") == 0)
            grid.cell_deg = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--bucket-min") == 0)
            grid.bucket_us = (dc_time_us)(strtod(argv[i + 1], NULL) * 60 * DC_US_PER_S);
    }
    dc_geom *geom;
    if (dc_geom_new(&geom) != DC_OK)
        return 1;
    bench_sweep(geom);
    /* 1,000 km × 1,000 km around the Turkey-Syria border, one day. */
    workload_params p = {
        {36.0, 37.0}, 1000, INT64_C(1448323200) * DC_US_PER_S, 24, volumes, 0.8, 12, 20, 50, 500};
    double t = now_ms();
    workload w;
    if (workload_generate(geom, &p, 2015, &w) != DC_OK) {
        fprintf(stderr, "workload generation failed\n");
        return 1;
    }
    size_t drone_volumes = 0;
    for (size_t i = 0; i < w.object_count; i++)
        if (w.objects[i].kind != DC_KIND_ZONE && w.objects[i].volume_count == 1)
            drone_volumes++;
    printf("workload: %zu volumes in %zu objects (%zu drone operations, %zu route legs), "
           "generated in %.0f ms\n",
           w.volume_count, w.object_count, drone_volumes, w.volume_count - drone_volumes,
           now_ms() - t);

    struct checker c = {geom, NULL, &w, {0}, {0}, calloc(w.object_count, sizeof(dc_object *))};
    dc_index_new(&grid, &c.index);
    t = now_ms();
    for (size_t i = 0; i < w.object_count; i++)
        if (dc_index_add_object(c.index, i, &w.objects[i]) != DC_OK)
            return 1;
    double build_ms = now_ms() - t;
    size_t index_bytes = dc_index_memory(c.index), data_bytes = volume_bytes(&w);
    printf("index build: %.0f ms for %zu volumes (%.2f us per volume)\n", build_ms, w.volume_count,
           build_ms * 1000 / w.volume_count);
    printf("memory per stored volume: %.0f B (index %.0f B + volume and outline %.0f B); "
           "target <= 1024 B\n",
           (double)(index_bytes + data_bytes) / w.volume_count,
           (double)index_bytes / w.volume_count, (double)data_bytes / w.volume_count);

    /* New intents of the same mix, checked one after another. */
    double *lat = calloc(queries, sizeof *lat);
    double check_start = now_ms();
    lookup_ms_total = 0;
    uint64_t rng = 77;
    size_t conflicts = 0, refused = 0, candidates = 0;
    for (size_t q = 0; q < queries; q++) {
        dc_object o;
        if (workload_object(geom, &p, &rng, (int)q, &o) != DC_OK)
            return 1;
        dc_check_result r;
        t = now_ms();
        if (check_indexed(&c, &o, &r) != DC_OK)
            return 1;
        lat[q] = now_ms() - t;
        candidates += c.numbers.count;
        conflicts += r.conflict_count;
        refused += !r.accepted;
        dc_check_result_clear(&r);
        workload_object_clear(&o);
    }
    printf(
        "check a new intent (%zu intents): p50 %.3f ms, p99 %.3f ms, max %.3f ms; target p99 <= 1 ms\n",
        queries, percentile(lat, queries, 0.5), percentile(lat, queries, 0.99),
        percentile(lat, queries, 1.0));
    printf("  per check: %.1f candidate objects, %.2f conflicts; %zu of %zu refused; "
           "index lookup %.1f %% of the time\n",
           (double)candidates / queries, (double)conflicts / queries, refused, queries,
           100.0 * lookup_ms_total / (now_ms() - check_start));

    /* Brute force on a subset: the same answers, and the speed ratio. */
    workload sub = w;
    sub.object_count = 0;
    while (sub.object_count < w.object_count &&
           (size_t)(w.objects[sub.object_count].volumes - w.volumes) < subset)
        sub.object_count++;
    size_t sub_volumes = (size_t)(w.objects[sub.object_count - 1].volumes - w.volumes) +
                         w.objects[sub.object_count - 1].volume_count;
    struct checker cs = {geom, NULL, &sub, {0}, {0}, calloc(sub.object_count, sizeof(dc_object *))};
    dc_index_new(NULL, &cs.index);
    for (size_t i = 0; i < sub.object_count; i++)
        dc_index_add_object(cs.index, i, &sub.objects[i]);
    const dc_object **all = calloc(sub.object_count, sizeof *all);
    for (size_t i = 0; i < sub.object_count; i++)
        all[i] = &sub.objects[i];
    double indexed_ms = 0, brute_ms = 0;
    size_t agree = 0, sub_conflicts = 0;
    rng = 99;
    for (size_t q = 0; q < brute_queries; q++) {
        dc_object o;
        workload_object(geom, &p, &rng, (int)q, &o);
        dc_check_result a, b;
        t = now_ms();
        check_indexed(&cs, &o, &a);
        indexed_ms += now_ms() - t;
        t = now_ms();
        dc_engine_check(geom, &o, NULL, all, sub.object_count, &b, NULL);
        brute_ms += now_ms() - t;
        agree += (size_t)same(&a, &b);
        sub_conflicts += b.conflict_count;
        dc_check_result_clear(&a);
        dc_check_result_clear(&b);
        workload_object_clear(&o);
    }
    printf("brute force on %zu volumes (%zu objects), %zu checks: indexed %.3f ms, brute force "
           "%.3f ms per check: %.0fx faster; identical results %zu/%zu (%zu conflicts)\n",
           sub_volumes, sub.object_count, brute_queries, indexed_ms / brute_queries,
           brute_ms / brute_queries, brute_ms / indexed_ms, agree, brute_queries, sub_conflicts);

    free(all);
    free(cs.cands);
    dc_index_free(cs.index);
    dc_id_list_clear(&cs.scratch);
    dc_id_list_clear(&cs.numbers);
    free(lat);
    free(c.cands);
    dc_id_list_clear(&c.scratch);
    dc_id_list_clear(&c.numbers);
    dc_index_free(c.index);
    workload_free(&w);
    dc_geom_free(geom);
    return agree == brute_queries ? 0 : 1;
}
