/* retention.c - the archiving pass: rows past their retention leave the live store for the
 * archive, a bounded batch at a time, exactly once
 *
 * Design. Requests must not wait for the archive. So a pass does its slow parts outside the
 * store's lock: it reads the due rows on the store's second (read-only) connection, formats and
 * compresses them and syncs the segment file; only the deletion takes the lock, in one
 * transaction of at most `batch` rows of each kind that also commits the segment's new length
 * and digest (about 20 ms for 1,000 alerts and 1,000 audit records, at most 69 ms in the fleet
 * soak: docs/PERFORMANCE.md). The file and the store agree through that length: bytes past it
 * are an append that never committed and are cut off before the next one, so a crash between
 * the two steps neither loses a row (it is still live, and goes again) nor duplicates one (its
 * first copy is cut off). The
 * audit chain is checked as it goes out (dc_archive_add): a chain altered in the live store is
 * never signed into the archive. A segment covers one period (a UTC day by default); the first
 * pass of a new period closes the old segment with a final checkpoint.
 */
#include "deconflict/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define US_PER_S INT64_C(1000000)

void dc_retention_default(const char *db, dc_retention *out)
{
    memset(out, 0, sizeof *out);
    out->retain[DC_RETAIN_AUDIT] = DC_RETAIN_AUDIT_DEFAULT_S * US_PER_S;
    out->retain[DC_RETAIN_ALERTS] = DC_RETAIN_ALERTS_DEFAULT_S * US_PER_S;
    out->retain[DC_RETAIN_NOTICES] = DC_RETAIN_NOTICES_DEFAULT_S * US_PER_S;
    out->retain[DC_RETAIN_MESSAGES] = DC_RETAIN_MESSAGES_DEFAULT_S * US_PER_S;
    out->retain[DC_RETAIN_OBJECTS] = DC_RETAIN_OBJECTS_DEFAULT_S * US_PER_S;
    out->period = DC_ARCHIVE_PERIOD_DEFAULT_S * US_PER_S;
    out->batch = DC_ARCHIVE_BATCH_DEFAULT;
    snprintf(out->archive_dir, sizeof out->archive_dir, "%s.archive", db);
}

dc_status dc_duration_parse(const char *text, dc_time_us *out)
{
    if (text == NULL)
        return DC_INVALID;
    if (strcmp(text, "forever") == 0) {
        *out = 0;
        return DC_OK;
    }
    int64_t n = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > INT64_C(100000000))
            return DC_INVALID;
        n = n * 10 + (*p - '0');
    }
    if (p == text || n == 0 || p[0] == '\0' || p[1] != '\0')
        return DC_INVALID;
    static const struct {
        char unit;
        int64_t seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (*p == units[i].unit) {
            *out = n * units[i].seconds * US_PER_S;
            return DC_OK;
        }
    return DC_INVALID;
}

dc_status dc_retention_parse(const char *spec, dc_retention *out, dc_error *err)
{
    const char *eq = spec != NULL ? strchr(spec, '=') : NULL;
    dc_time_us d = 0;
    if (eq == NULL || dc_duration_parse(eq + 1, &d) != DC_OK)
        return dc_error_set(err, DC_INVALID, "retain", DC_NO_POSITION,
                            "--retain takes KIND=DURATION (KIND audit, alerts, notices, messages,"
                            " objects or all; DURATION like 90s, 10m, 1h, 30d or forever), got"
                            " '%s'",
                            spec ? spec : "");
    size_t len = (size_t)(eq - spec);
    if (len == 3 && strncmp(spec, "all", 3) == 0) {
        for (int k = 0; k < DC_RETAIN_COUNT; k++)
            out->retain[k] = d;
        return DC_OK;
    }
    dc_retained kind;
    if (dc_retained_parse(spec, len, &kind) != DC_OK)
        return dc_error_set(err, DC_INVALID, "retain", DC_NO_POSITION,
                            "--retain: no kind '%.*s' (audit, alerts, notices, messages, objects,"
                            " all)",
                            (int)len, spec);
    out->retain[kind] = d;
    return DC_OK;
}

dc_time_us dc_retention_episode_us(const dc_retention *r)
{
    dc_time_us cap = 600 * US_PER_S, alerts = r->retain[DC_RETAIN_ALERTS];
    dc_time_us half = alerts > 0 ? alerts / 2 : cap;
    return half > cap ? cap : half < US_PER_S ? US_PER_S : half;
}

/* The rows of one kind that a pass takes: what dc_store_expired_remove needs. */
struct taken {
    int64_t *keys, *checks;
    size_t count, capacity;
};

struct collect {
    dc_archive_batch *batch;
    struct taken *taken;
    const uint8_t *public_key;
    dc_error *err;
    dc_status rc; /* DC_CONFLICT: the chain did not verify; DC_NOMEM */
};

static int collect_row(void *ctx, const dc_expired *row)
{
    struct collect *c = ctx;
    struct taken *t = c->taken;
    if (t->count == t->capacity) {
        size_t cap = t->capacity ? t->capacity * 2 : 256;
        int64_t *keys = dc_realloc(t->keys, cap * sizeof *keys);
        if (keys != NULL)
            t->keys = keys;
        int64_t *checks = keys != NULL ? dc_realloc(t->checks, cap * sizeof *checks) : NULL;
        if (checks == NULL) {
            c->rc = DC_NOMEM;
            return 1;
        }
        t->checks = checks;
        t->capacity = cap;
    }
    dc_status rc = dc_archive_add(c->batch, row, c->public_key, c->err);
    if (rc != DC_OK) {
        c->rc = rc;
        return 1; /* the rows before it go; it and those after stay */
    }
    t->keys[t->count] = row->key;
    t->checks[t->count] = row->check;
    t->count++;
    return 0;
}

static dc_status load_last(dc_store *store, dc_segment *last, int *have)
{
    *have = 0;
    if (dc_store_begin(store, 0) != DC_OK)
        return DC_STORE;
    dc_status rc = dc_store_segment_last(store, last);
    dc_store_commit(store);
    if (rc == DC_OK)
        *have = 1;
    return rc == DC_OK || rc == DC_NOT_FOUND ? DC_OK : rc;
}

static dc_time_us monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (dc_time_us)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

/* Append the batch, then commit its rows' removal with the segment's new state. */
static dc_status commit_batch(dc_store *store, dc_archive_batch *batch, const dc_retention *r,
                              struct taken *taken, int closing, dc_time_us now,
                              dc_retention_result *out, dc_error *err)
{
    dc_segment written;
    dc_status rc = dc_archive_write(batch, r->archive_dir, closing, &written, err);
    if (rc != DC_OK)
        return rc;
    /* Unsynced: a power cut that undoes this commit undoes the segment's new length with the
     * removal, so the rows are live again and the appended bytes are cut off by the next pass.
     * The sync it saves was a third of the archiver's hold of the lock. */
    if (dc_store_begin_unsynced(store) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot begin a transaction");
    dc_time_us locked = monotonic_us(); /* from when it holds the lock */
    for (int k = 0; rc == DC_OK && k < DC_RETAIN_COUNT; k++)
        if (taken != NULL && taken[k].count > 0)
            rc = dc_store_expired_remove(store, (dc_retained)k, taken[k].keys, taken[k].checks,
                                         taken[k].count);
    if (rc == DC_OK)
        rc = dc_store_segment_save(store, &written);
    if (rc == DC_OK)
        rc = dc_store_alert_episodes_prune(store, now);
    if (rc == DC_STALE) {
        /* a row changed after it was read: nothing is committed, the appended bytes are cut off
         * by the next pass, which reads the rows afresh */
        dc_store_rollback(store);
        out->locked_us = monotonic_us() - locked;
        out->more = 1;
        return DC_OK;
    }
    rc = dc_store_finish(store, rc);
    out->locked_us = monotonic_us() - locked;
    if (rc != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the store refused the archived rows' removal");
    out->segment = written.number;
    out->closed = closing;
    for (int k = 0; taken != NULL && k < DC_RETAIN_COUNT; k++)
        out->moved[k] = (int64_t)taken[k].count;
    return DC_OK;
}

dc_status dc_retention_pass(dc_store *store, const dc_retention *r,
                            const uint8_t pk[DC_PUBLIC_KEY_BYTES],
                            const uint8_t sk[DC_SECRET_KEY_BYTES], dc_time_us now,
                            dc_retention_result *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_segment last;
    int have_last = 0;
    dc_status rc = load_last(store, &last, &have_last);
    if (rc != DC_OK)
        return dc_error_set(err, rc, "", DC_NO_POSITION, "cannot read the archive's segments");
    dc_archive_batch *batch = NULL;
    if (have_last && !last.closed && r->period > 0 && now / r->period != last.opened / r->period) {
        rc = dc_archive_batch_new(&last, now, r->period, pk, sk, &batch);
        if (rc == DC_OK)
            rc = commit_batch(store, batch, r, NULL, 1, now, out, err);
        dc_archive_batch_free(batch);
        out->more = 1;
        return rc;
    }
    rc = dc_archive_batch_new(have_last ? &last : NULL, now, r->period, pk, sk, &batch);
    if (rc != DC_OK)
        return dc_error_set(err, rc, "", DC_NO_POSITION, "cannot begin an archive batch");
    struct taken taken[DC_RETAIN_COUNT];
    memset(taken, 0, sizeof taken);
    dc_status chain = DC_OK;
    dc_error chain_err;
    dc_error_clear(&chain_err);
    for (int k = 0; rc == DC_OK && k < DC_RETAIN_COUNT; k++) {
        if (r->retain[k] <= 0)
            continue;
        struct collect c = {batch, &taken[k], pk, &chain_err, DC_OK};
        rc = dc_store_expired(store, (dc_retained)k, now, now - r->retain[k], r->batch, collect_row,
                              &c);
        if (rc == DC_OK && c.rc == DC_NOMEM)
            rc = DC_NOMEM;
        else if (rc == DC_OK && c.rc != DC_OK)
            chain = c.rc;
        if (taken[k].count >= r->batch)
            out->more = 1;
    }
    if (rc != DC_OK)
        dc_error_set(err, rc, "", DC_NO_POSITION, "cannot read the rows due for the archive");
    else if (dc_archive_batch_rows(batch) > 0)
        rc = commit_batch(store, batch, r, taken, 0, now, out, err);
    else if (dc_store_begin(store, 1) == DC_OK)
        rc = dc_store_finish(store, dc_store_alert_episodes_prune(store, now));
    dc_archive_batch_free(batch);
    for (int k = 0; k < DC_RETAIN_COUNT; k++) {
        dc_free(taken[k].keys);
        dc_free(taken[k].checks);
    }
    if (rc == DC_OK && chain != DC_OK) {
        if (err != NULL)
            *err = chain_err;
        return chain;
    }
    return rc;
}
