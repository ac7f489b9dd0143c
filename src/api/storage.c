/* storage.c - deconflictd's upkeep of its store: the archiver thread, free pages given back, the
 * store's size measured for /metrics
 *
 * One thread does all of it, so that none of it runs in a request. It archives while rows are
 * due, pausing 5 ms between passes: a pass holds the store's lock only to delete what it has
 * archived (about 20 ms for 1,000 alerts and 1,000 audit records), and the pause lets waiting
 * requests take the lock in between. With nothing due it sleeps a second. Every minute it
 * measures the store on the store's read connection (dbstat reads every page: no request
 * waits for it), notes the size for the rate of growth, and gives free pages back when they are
 * more than a quarter of the file.
 */
#include "api_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAUSE_US 5000                /* between passes while rows are due */
#define IDLE_US 1000000              /* between passes when none were */
#define FAILED_US 10000000           /* after a failed pass */
#define MEASURE_US INT64_C(60000000) /* measure the store and note its size */
#define GROWTH_OVER_US INT64_C(600000000)

struct dc_api_storage {
    dc_api *api;
    dc_retention retention;
    int archiving; /* some kind has a retention */
    dc__worker worker;
    pthread_mutex_t lock; /* everything below */
    int measured;
    dc_time_us measured_at;
    dc_store_stats stats;
    int64_t segments, archive_bytes, archive_rows[DC_RETAIN_COUNT];
    double live_growth, total_growth;
    int64_t moved[DC_RETAIN_COUNT];
    uint64_t passes, failures;
    double locked_s, locked_max_s; /* the archiver's hold of the store's lock */
};

static void measure(struct dc_api_storage *st, dc_time_us now)
{
    dc_store_stats stats;
    if (dc_store_stats_read(st->api->svc.store, &stats) != DC_OK)
        return;
    dc_service_archive_figures figures;
    /* figures not noted now are zeros until the next measurement */
    (void)dc_service_archive_figures_note(&st->api->svc, now, stats.file_bytes + stats.wal_bytes,
                                          GROWTH_OVER_US, &figures);
    pthread_mutex_lock(&st->lock);
    st->stats = stats;
    st->measured = 1;
    st->measured_at = now;
    st->segments = figures.segments;
    st->archive_bytes = figures.bytes;
    memcpy(st->archive_rows, figures.rows, sizeof figures.rows);
    st->live_growth = figures.live_growth;
    st->total_growth = figures.total_growth;
    pthread_mutex_unlock(&st->lock);
}

static void *storage_main(void *arg)
{
    struct dc_api_storage *st = arg;
    dc_api *api = st->api;
    /* measured once already, before the first request (dc__api_storage_start) */
    dc_time_us next_measure = dc_service_now() + MEASURE_US, last_complaint = 0;
    int closing = 0;
    while (!closing) {
        dc_time_us now = dc_service_now(), wait = IDLE_US;
        if (st->archiving) {
            dc_retention_result result;
            dc_error err;
            dc_error_clear(&err);
            dc_status rc = dc_retention_pass(api->svc.store, &st->retention, api->svc.public_key,
                                             api->svc.secret_key, now, &result, &err);
            pthread_mutex_lock(&st->lock);
            st->passes++;
            for (int k = 0; k < DC_RETAIN_COUNT; k++)
                st->moved[k] += result.moved[k];
            if (rc != DC_OK)
                st->failures++;
            double held = (double)result.locked_us / 1e6;
            st->locked_s += held;
            if (held > st->locked_max_s)
                st->locked_max_s = held;
            pthread_mutex_unlock(&st->lock);
            if (rc != DC_OK && now - last_complaint > 60000000) {
                fprintf(stderr, "deconflictd: archive: %s: %s\n", dc_status_name(rc), err.message);
                last_complaint = now;
            }
            if (result.closed)
                fprintf(stderr, "deconflictd: archive: segment %lld closed\n",
                        (long long)result.segment);
            wait = rc != DC_OK && rc != DC_CONFLICT ? FAILED_US : result.more ? PAUSE_US : IDLE_US;
        }
        if (now >= next_measure) {
            measure(st, now);
            int64_t freed = 0;
            dc_store_reclaim(api->svc.store, 2048, &freed);
            next_measure = now + MEASURE_US;
        }
        closing = dc__worker_pause(&st->worker, wait);
    }
    return NULL;
}

dc_status dc__api_storage_start(dc_api *api, const dc_retention *retention)
{
    struct dc_api_storage *st = dc_calloc(1, sizeof *st);
    if (st == NULL)
        return DC_NOMEM;
    st->api = api;
    st->retention = *retention;
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        st->archiving |= retention->retain[k] > 0;
    /* A shared store's rows stay in the database: an archive is files on one machine, and which
     * instance would write them, and where every other could verify them, is not settled yet
     * (docs/ARCHITECTURE.md). PostgreSQL keeps them; its own backups are the archive. */
    if (dc_store_shared(api->svc.store) && st->archiving) {
        st->archiving = 0;
        fprintf(stderr, "deconflictd: a shared store keeps every row: no archiving\n");
    }
    pthread_mutex_init(&st->lock, NULL);
    dc__worker_init(&st->worker);
    api->storage = st;
    /* the first /metrics has the store's figures, however long a database takes to measure */
    measure(st, dc_service_now());
    if (dc__worker_start(&st->worker, storage_main, st) != DC_OK) {
        dc__api_storage_stop(api);
        return DC_INTERNAL;
    }
    return DC_OK;
}

void dc__api_storage_stop(dc_api *api)
{
    struct dc_api_storage *st = api != NULL ? api->storage : NULL;
    if (st == NULL)
        return;
    dc__worker_stop(&st->worker);
    pthread_mutex_destroy(&st->lock);
    api->storage = NULL;
    dc_free(st);
}

/* Append to out as snprintf would, never past size. */
static void put(char *out, size_t size, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *out, size_t size, size_t *n, const char *fmt, ...)
{
    if (*n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out + *n, size - *n, fmt, ap);
    va_end(ap);
    if (w > 0)
        *n = *n + (size_t)w < size ? *n + (size_t)w : size - 1;
}

size_t dc__api_storage_metrics(dc_api *api, char *out, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return 0;
    out[0] = '\0';
    struct dc_api_storage *st = api->storage;
    if (st == NULL)
        return 0;
    pthread_mutex_lock(&st->lock);
    dc_time_us now = dc_service_now();
    static const char *const others = "other";
    if (st->measured) {
        put(out, size, &n,
            "# HELP deconflict_store_bytes The live store's pages by kind (tables and indexes).\n"
            "# TYPE deconflict_store_bytes gauge\n");
        for (int k = 0; k <= DC_RETAIN_COUNT; k++)
            put(out, size, &n, "deconflict_store_bytes{kind=\"%s\"} %lld\n",
                k < DC_RETAIN_COUNT ? dc_retained_name((dc_retained)k) : others,
                (long long)st->stats.bytes[k]);
        put(out, size, &n,
            "# HELP deconflict_store_file_bytes The live store's file, its free pages, its log.\n"
            "# TYPE deconflict_store_file_bytes gauge\n"
            "deconflict_store_file_bytes{part=\"file\"} %lld\n"
            "deconflict_store_file_bytes{part=\"free\"} %lld\n"
            "deconflict_store_file_bytes{part=\"wal\"} %lld\n",
            (long long)st->stats.file_bytes, (long long)st->stats.free_bytes,
            (long long)st->stats.wal_bytes);
        put(out, size, &n,
            "# HELP deconflict_store_rows Rows in the live store by kind.\n"
            "# TYPE deconflict_store_rows gauge\n");
        for (int k = 0; k < DC_RETAIN_COUNT; k++)
            put(out, size, &n, "deconflict_store_rows{kind=\"%s\"} %lld\n",
                dc_retained_name((dc_retained)k), (long long)st->stats.rows[k]);
        put(out, size, &n,
            "# HELP deconflict_store_oldest_seconds Age of the oldest row kept, by kind (at the"
            " last measurement; 0 when none).\n"
            "# TYPE deconflict_store_oldest_seconds gauge\n");
        for (int k = 0; k < DC_RETAIN_COUNT; k++)
            put(out, size, &n, "deconflict_store_oldest_seconds{kind=\"%s\"} %.0f\n",
                dc_retained_name((dc_retained)k),
                st->stats.oldest[k] > 0 ? (double)(st->measured_at - st->stats.oldest[k]) / 1e6
                                        : 0.0);
        put(out, size, &n,
            "# HELP deconflict_store_growth_bytes_per_second Growth over the last 10 minutes:"
            " the live store, and the live store with the archive.\n"
            "# TYPE deconflict_store_growth_bytes_per_second gauge\n"
            "deconflict_store_growth_bytes_per_second{store=\"live\"} %.0f\n"
            "deconflict_store_growth_bytes_per_second{store=\"total\"} %.0f\n",
            st->live_growth, st->total_growth);
        put(out, size, &n,
            "# HELP deconflict_archive_segments Archive segments, their bytes and rows.\n"
            "# TYPE deconflict_archive_segments gauge\n"
            "deconflict_archive_segments %lld\n"
            "# TYPE deconflict_archive_bytes gauge\n"
            "deconflict_archive_bytes %lld\n"
            "# TYPE deconflict_archive_rows gauge\n",
            (long long)st->segments, (long long)st->archive_bytes);
        for (int k = 0; k < DC_RETAIN_COUNT; k++)
            put(out, size, &n, "deconflict_archive_rows{kind=\"%s\"} %lld\n",
                dc_retained_name((dc_retained)k), (long long)st->archive_rows[k]);
        put(out, size, &n,
            "# HELP deconflict_store_measured_seconds Seconds since the store was measured.\n"
            "# TYPE deconflict_store_measured_seconds gauge\n"
            "deconflict_store_measured_seconds %.0f\n",
            (double)(now - st->measured_at) / 1e6);
    }
    put(out, size, &n,
        "# HELP deconflict_archived_rows_total Rows moved to the archive since the start.\n"
        "# TYPE deconflict_archived_rows_total counter\n");
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        put(out, size, &n, "deconflict_archived_rows_total{kind=\"%s\"} %lld\n",
            dc_retained_name((dc_retained)k), (long long)st->moved[k]);
    put(out, size, &n,
        "# HELP deconflict_archive_passes_total Archiving passes, and those that failed.\n"
        "# TYPE deconflict_archive_passes_total counter\n"
        "deconflict_archive_passes_total %llu\n"
        "# TYPE deconflict_archive_failures_total counter\n"
        "deconflict_archive_failures_total %llu\n",
        (unsigned long long)st->passes, (unsigned long long)st->failures);
    put(out, size, &n,
        "# HELP deconflict_archive_lock_seconds_total Time the archiver held the store's write"
        " lock, and its longest hold.\n"
        "# TYPE deconflict_archive_lock_seconds_total counter\n"
        "deconflict_archive_lock_seconds_total %.3f\n"
        "# TYPE deconflict_archive_lock_max_seconds gauge\n"
        "deconflict_archive_lock_max_seconds %.4f\n",
        st->locked_s, st->locked_max_s);
    pthread_mutex_unlock(&st->lock);
    return n;
}
