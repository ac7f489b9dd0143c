/* candidates.c - benchmark: candidate search through dc_store_candidates at 1,000,000 stored
 * volumes, the store's R*Tree against the in-memory index, same store, same answers checked
 *
 * usage: bench_candidates [VOLUMES [QUERIES [ROUNDS [DIR]]]]   (1000000 1000 3 a temporary dir)
 * The workload is bench/strategic.c's (the Turkey-Syria border, one day, 12 parties, 20 zones).
 * Each round runs every query through both searches, one after the other, in read transactions
 * as the server does; the best round of each is reported (the machine is shared). */
#include "deconflict/store.h"
#include "../src/store/store_internal.h"
#include "../tests/support/workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, by_value);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

/* A body of the size the server stores for an intent (a few hundred bytes of JSON). */
static void body_of(const dc_object *o, char *out, size_t size)
{
    snprintf(out, size,
             "{\"id\":\"%s\",\"owner\":\"%s\",\"kind\":\"%s\",\"version\":1,\"state\":\"accepted\","
             "\"priority\":%d,\"volumes\":%zu,\"note\":\"seeded by bench_candidates for the "
             "candidate search benchmark; the engine never reads this text\"}",
             o->id, o->owner, dc_kind_name(o->kind), o->priority, o->volume_count);
}

static int seed(dc_store *store, const workload *w, dc_time_us t0)
{
    char body[512];
    for (size_t i = 0; i < w->object_count; i++) {
        if (i % 20000 == 0 && (i > 0 ? dc_store_commit(store) : DC_OK) != DC_OK)
            return -1;
        if (i % 20000 == 0 && dc_store_begin(store, 1) != DC_OK)
            return -1;
        dc_record r;
        memset(&r, 0, sizeof r);
        r.object = w->objects[i];
        r.object.state = DC_STATE_ACCEPTED;
        r.object.version = 1;
        r.is_public = r.object.kind == DC_KIND_ZONE;
        body_of(&r.object, body, sizeof body);
        r.body = body;
        r.created = r.updated = t0;
        if (dc_store_object_put(store, &r) != DC_OK)
            return -1;
    }
    return dc_store_commit(store) == DC_OK ? 0 : -1;
}

struct run {
    double *lat;        /* per query, ms */
    double stamps_ms;   /* dc_store_candidate_stamps, all queries */
    size_t candidates;  /* records returned, all queries */
    int64_t **rows;     /* per query: the rows returned, ascending */
    size_t *row_counts; /* per query */
};

/* Every query once through the store's current search. */
static int run_queries(dc_store *store, dc_object *queries, size_t n, struct run *out)
{
    out->candidates = 0;
    out->stamps_ms = 0;
    for (size_t q = 0; q < n; q++) {
        dc_record_list list = {0};
        dc_candidate_stamps stamps = {0};
        if (dc_store_begin(store, 0) != DC_OK)
            return -1;
        double t = now_ms();
        dc_status rc = dc_store_candidates(store, &queries[q], &list);
        out->lat[q] = now_ms() - t;
        t = now_ms();
        if (rc == DC_OK)
            rc = dc_store_candidate_stamps(store, &queries[q], &stamps);
        out->stamps_ms += now_ms() - t;
        dc_store_rollback(store);
        if (rc != DC_OK || stamps.count != list.count)
            return -1;
        free(out->rows[q]);
        out->rows[q] = calloc(list.count + 1, sizeof(int64_t));
        for (size_t k = 0; k < list.count; k++)
            out->rows[q][k] = list.items[k].row;
        out->row_counts[q] = list.count;
        out->candidates += list.count;
        dc_record_list_clear(&list);
        dc_candidate_stamps_clear(&stamps);
    }
    return 0;
}

/* Whether any volume box of `a` overlaps one of `b` exactly (no float rounding). */
static int overlaps(const dc_object *a, const dc_object *b)
{
    for (size_t i = 0; i < a->volume_count; i++)
        for (size_t j = 0; j < b->volume_count; j++) {
            dc_box4 x, y;
            dc_volume_box(&a->volumes[i], &x);
            dc_volume_box(&b->volumes[j], &y);
            if (dc_box4_overlaps(&x, &y))
                return 1;
        }
    return 0;
}

/* The two searches must return the same rows, but for rows one of them returns only because it
 * holds boxes rounded outwards to 32-bit floats (the R*Tree's, and those the index was built
 * from on open): no exact overlap. Rows are 1 + the workload's object number (the store numbers
 * rows in insertion order from 1). */
static int compare(const workload *w, dc_object *queries, size_t n, const struct run *rtree,
                   const struct run *index, size_t *rounding_only)
{
    *rounding_only = 0;
    for (size_t q = 0; q < n; q++) {
        size_t i = 0, j = 0;
        while (i < rtree->row_counts[q] || j < index->row_counts[q]) {
            int64_t a = i < rtree->row_counts[q] ? rtree->rows[q][i] : INT64_MAX;
            int64_t b = j < index->row_counts[q] ? index->rows[q][j] : INT64_MAX;
            int64_t only = a < b ? a : b;
            if (a == b) {
                i++, j++;
                continue;
            }
            if (overlaps(&queries[q], &w->objects[only - 1])) {
                fprintf(stderr,
                        "query %zu: row %lld, which it overlaps, found by one search only\n", q,
                        (long long)only);
                return -1;
            }
            (*rounding_only)++;
            if (a < b)
                i++;
            else
                j++;
        }
    }
    return 0;
}

/* Open (the index built from the table as part of it), and a rebuild of the index alone, best
 * of `rounds`; the store is left open in *out. */
static int time_open(const char *db, int rounds, dc_store **out)
{
    dc_store *store = NULL;
    dc_error err;
    double open_ms = 1e30, build = 1e30, t;
    for (int r = 0; r < rounds; r++) {
        t = now_ms();
        if (dc_store_open(db, &store, &err) != DC_OK)
            return -1;
        double o = now_ms() - t;
        open_ms = o < open_ms ? o : open_ms;
        dc__store_candidate_index(store, 0);
        t = now_ms();
        if (dc__store_candidate_index(store, 1) != DC_OK)
            return -1;
        double b = now_ms() - t;
        build = b < build ? b : build;
        if (r + 1 < rounds)
            dc_store_close(store);
    }
    printf("open: %.0f ms, the index built from the table included; the index's build alone %.0f"
           " ms; best of %d\n",
           open_ms, build, rounds);
    *out = store;
    return 0;
}

static void remove_store(const char *dir, const char *db)
{
    char path[700];
    static const char *const suffixes[] = {"", "-wal", "-shm", ".key", ".head"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    size_t volumes = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    size_t nq = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
    int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    if (volumes == 0 || nq == 0 || rounds < 1) {
        fprintf(stderr, "usage: bench_candidates [VOLUMES [QUERIES [ROUNDS [DIR]]]]\n");
        return 2;
    }
    char dir[512], db[600];
    snprintf(dir, sizeof dir, "%s", argc > 4 ? argv[4] : "/tmp/bench_candidates.XXXXXX");
    if (argc <= 4 && mkdtemp(dir) == NULL)
        return 1;
    snprintf(db, sizeof db, "%s/store.db", dir);
    dc_geom *geom;
    if (dc_geom_new(&geom) != DC_OK)
        return 1;
    workload_params p = {
        {36.0, 37.0}, 1000, INT64_C(1448323200) * DC_US_PER_S, 24, volumes, 0.8, 12, 20, 50, 500};
    workload w;
    if (workload_generate(geom, &p, 2015, &w) != DC_OK)
        return 1;
    printf("workload: %zu volumes in %zu objects; store %s\n", w.volume_count, w.object_count, db);

    dc_store *store;
    dc_error err;
    double t = now_ms();
    int64_t counts[DC_KIND_COUNT] = {0};
    if (dc_store_open(db, &store, &err) != DC_OK || dc_store_begin(store, 0) != DC_OK ||
        dc_store_object_counts(store, counts) != DC_OK)
        return 1;
    dc_store_rollback(store);
    /* a store kept from an earlier run (DIR given) is used as it is */
    int kept = counts[DC_KIND_INTENT] + counts[DC_KIND_ZONE] > 0;
    if (!kept && seed(store, &w, p.start) != DC_OK) {
        fprintf(stderr, "bench_candidates: cannot seed %s\n", db);
        return 1;
    }
    dc_store_close(store);
    if (kept)
        printf("the store kept from an earlier run is used\n");
    else
        printf("seeded in %.1f s (R*Tree and index kept together)\n", (now_ms() - t) / 1e3);

    if (time_open(db, rounds, &store) != 0)
        return 1;

    dc_object *queries = calloc(nq, sizeof *queries);
    uint64_t rng = 77;
    for (size_t q = 0; q < nq; q++)
        if (workload_object(geom, &p, &rng, (int)q, &queries[q]) != DC_OK)
            return 1;
    struct run runs[2];
    for (int m = 0; m < 2; m++) {
        runs[m].lat = calloc(nq, sizeof(double));
        runs[m].rows = calloc(nq, sizeof(int64_t *));
        runs[m].row_counts = calloc(nq, sizeof(size_t));
    }
    static const char *const names[2] = {"R*Tree", "in-memory index"};
    double best_mean[2] = {1e30, 1e30}, best_p50[2] = {0}, best_p99[2] = {0}, best_stamps[2];
    for (int r = 0; r < rounds; r++)
        for (int m = 0; m < 2; m++) {
            if (dc__store_candidate_index(store, m) != DC_OK ||
                run_queries(store, queries, nq, &runs[m]) != 0) {
                fprintf(stderr, "bench_candidates: the %s search failed\n", names[m]);
                return 1;
            }
            double sum = 0;
            for (size_t q = 0; q < nq; q++)
                sum += runs[m].lat[q];
            if (sum / (double)nq < best_mean[m]) {
                best_mean[m] = sum / (double)nq;
                best_stamps[m] = runs[m].stamps_ms / (double)nq;
                best_p50[m] = percentile(runs[m].lat, nq, 0.5);
                best_p99[m] = percentile(runs[m].lat, nq, 0.99);
            }
        }
    size_t rounding = 0;
    if (compare(&w, queries, nq, &runs[0], &runs[1], &rounding) != 0)
        return 1;
    printf("dc_store_candidates over %zu stored volumes, %zu new intents, best of %d rounds:\n",
           w.volume_count, nq, rounds);
    for (int m = 0; m < 2; m++)
        printf("  %-16s mean %.3f ms, p50 %.3f ms, p99 %.3f ms; candidate stamps (under the write"
               " lock) mean %.3f ms; %.1f candidates per query\n",
               names[m], best_mean[m], best_p50[m], best_p99[m], best_stamps[m],
               (double)runs[m].candidates / (double)nq);
    printf("  same answers: the two searches' candidates differ by %zu rows (%.2f per query), each"
           " found by one only through boxes rounded outwards to floats (no exact overlap)\n",
           rounding, (double)rounding / (double)nq);
    printf("  index / R*Tree: %.2fx the time per search, %.2fx per stamps\n",
           best_mean[1] / best_mean[0], best_stamps[1] / best_stamps[0]);
    dc_store_close(store);
    for (size_t q = 0; q < nq; q++)
        workload_object_clear(&queries[q]);
    free(queries);
    for (int m = 0; m < 2; m++) {
        for (size_t q = 0; q < nq; q++)
            free(runs[m].rows[q]);
        free(runs[m].rows);
        free(runs[m].lat);
        free(runs[m].row_counts);
    }
    if (argc <= 4)
        remove_store(dir, db);
    workload_free(&w);
    dc_geom_free(geom);
    return 0;
}
