/* sqlite_index.c - the in-memory candidate index beside the R*Tree: built on open, changed with
 * every write under the store's write lock, repaired from the table when a write rolls back
 *
 * Why: at 1M stored volumes a candidate search through it costs a fraction of the R*Tree's
 * (bench/candidates.c, docs/PERFORMANCE.md), and it is the index the CLI and the engine's
 * benchmark use, so the server and `deconflict check` now search alike. The R*Tree stays: lists
 * by area read it on their snapshot, `store check` and verify_rows check it.
 *
 * Consistency: the index always holds the writer's view (committed rows plus the open write
 * transaction's changes). Under the write lock that is exactly what the transaction sees. A read
 * transaction's snapshot may be older: its candidates are then those of a newer state, each
 * loaded as its snapshot has it (a row the snapshot lacks is skipped). A decision taken on them
 * is re-stamped under the write lock (dc_store_candidate_stamps, on the index) before it is
 * written, so a difference is caught there and decided again. Queries share the index's scratch
 * space: one at a time, under index_lock (a query is microseconds).
 */
#include "sqlite_internal.h"

#include <math.h>

/* Enter an object's boxes under row; the row is noted as touched by the open transaction. */
dc_status dc__sq_index_put(dc_sqlite *s, int64_t row, const dc_object *o)
{
    if (s->index == NULL)
        return DC_OK;
    dc_status rc = dc__sq_index_touch(s, row, (int64_t)o->volume_count);
    pthread_mutex_lock(&s->index_lock);
    for (size_t i = 0; rc == DC_OK && i < o->volume_count; i++) {
        dc_box4 b;
        rc = dc_volume_box(&o->volumes[i], &b);
        if (rc == DC_OK)
            rc = dc_index_insert(s->index, DC_INDEX_ID(row, i), &b);
    }
    pthread_mutex_unlock(&s->index_lock);
    return rc;
}

/* Take a row's boxes out; the row is noted as touched. */
dc_status dc__sq_index_drop(dc_sqlite *s, int64_t row, int64_t volumes)
{
    if (s->index == NULL)
        return DC_OK;
    dc_status rc = dc__sq_index_touch(s, row, volumes);
    if (rc != DC_OK)
        return rc; /* the caller's write fails and rolls back: the index must stay as it was */
    pthread_mutex_lock(&s->index_lock);
    for (int64_t i = 0; i < volumes; i++)
        dc_index_remove(s->index, DC_INDEX_ID(row, i)); /* absent already: nothing to undo */
    pthread_mutex_unlock(&s->index_lock);
    return rc;
}

dc_status dc__sq_index_touch(dc_sqlite *s, int64_t row, int64_t volumes)
{
    assert(dc__store_in_transaction(&s->base, 1));
    for (size_t i = 0; i < s->touched_count; i++)
        if (s->touched[i].row == row) {
            if (volumes > s->touched[i].volumes)
                s->touched[i].volumes = volumes;
            return DC_OK;
        }
    struct dc_sq_touched *grown =
        dc_grow(s->touched, &s->touched_capacity, s->touched_count, sizeof *grown, 16);
    if (grown == NULL)
        return DC_NOMEM;
    s->touched = grown;
    s->touched[s->touched_count++] = (struct dc_sq_touched){row, volumes};
    return DC_OK;
}

/* Every volume of the row as the table has it now, entered again. DC_OK, DC_STORE, DC_NOMEM. */
static dc_status reload_row(dc_sqlite *s, sqlite3_stmt *st, int64_t row)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, row);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        return DC_OK; /* the row is gone: nothing to enter */
    if (step != SQLITE_ROW)
        return DC_STORE;
    const uint8_t *blob = sqlite3_column_blob(st, 0);
    size_t size = (size_t)sqlite3_column_bytes(st, 0), at = 0;
    dc_status rc = DC_OK;
    for (int64_t i = 0; rc == DC_OK && at < size; i++) {
        dc_volume v;
        dc_box4 b;
        size_t used = 0;
        rc = dc_volume_unpack(blob + at, size - at, &v, &used);
        if (rc != DC_OK)
            break;
        rc = dc_volume_box(&v, &b);
        dc_volume_clear(&v);
        if (rc == DC_OK)
            rc = dc_index_insert(s->index, DC_INDEX_ID(row, i), &b);
        at += used;
    }
    return rc;
}

/* After a write transaction ended, under the write lock: a commit keeps what the index holds; a
 * rollback puts each touched row back as the table has it. A repair that fails leaves the index
 * wrong, so it is dropped and the store searches its R*Tree from then on. */
void dc__sq_index_settle(dc_sqlite *s, int committed)
{
    if (s->index != NULL && !committed && s->touched_count > 0) {
        sqlite3_stmt *st = NULL;
        dc_status rc = sqlite3_prepare_v2(s->writer.db, "SELECT volumes FROM objects WHERE row = ?",
                                          -1, &st, NULL) == SQLITE_OK
                           ? DC_OK
                           : DC_STORE;
        pthread_mutex_lock(&s->index_lock);
        for (size_t i = 0; rc == DC_OK && i < s->touched_count; i++) {
            for (int64_t v = 0; v < s->touched[i].volumes; v++)
                dc_index_remove(s->index, DC_INDEX_ID(s->touched[i].row, v));
            rc = reload_row(s, st, s->touched[i].row);
        }
        if (rc != DC_OK) {
            dc_index_free(s->index);
            s->index = NULL;
        }
        pthread_mutex_unlock(&s->index_lock);
        sqlite3_finalize(st);
    }
    s->touched_count = 0;
}

/* A box as the R*Tree keeps it (32-bit floats rounded outwards, time in hours) widened to the
 * microsecond, so that it still holds the volume's exact box. */
static dc_box4 stored_box(sqlite3_stmt *st)
{
    dc_box4 b;
    b.lon_min = sqlite3_column_double(st, 1);
    b.lon_max = sqlite3_column_double(st, 2);
    b.lat_min = sqlite3_column_double(st, 3);
    b.lat_max = sqlite3_column_double(st, 4);
    b.alt_min = sqlite3_column_double(st, 5);
    b.alt_max = sqlite3_column_double(st, 6);
    b.t_min = EPOCH_2000_US + (dc_time_us)floor(sqlite3_column_double(st, 7) * US_PER_HOUR) - 1;
    b.t_max = EPOCH_2000_US + (dc_time_us)ceil(sqlite3_column_double(st, 8) * US_PER_HOUR) + 1;
    return b;
}

/* Built from the R*Tree's boxes rather than by unpacking every volume: at 1M volumes that was
 * 8.7 s of the store's opening, the R*Tree's scan ~1 s (docs/PERFORMANCE.md). Its boxes hold
 * the exact ones (outward rounding), so the candidates stay a superset that the engine decides
 * exactly; boxes entered later by writes are exact. */
dc_status dc__sq_index_build(dc_sqlite *s)
{
    dc_index *index = NULL;
    dc_status rc = dc_index_new(NULL, &index);
    sqlite3_stmt *st = NULL;
    if (rc == DC_OK &&
        sqlite3_prepare_v2(
            s->writer.db, "SELECT id, lon0, lon1, lat0, lat1, alt0, alt1, t0, t1 FROM volume_boxes",
            -1, &st, NULL) != SQLITE_OK)
        rc = DC_STORE;
    int step = SQLITE_DONE;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_box4 b = stored_box(st);
        rc = dc_index_insert(index, (uint64_t)sqlite3_column_int64(st, 0), &b);
    }
    if (rc == DC_OK && step != SQLITE_DONE)
        rc = DC_STORE;
    sqlite3_finalize(st);
    if (rc != DC_OK) {
        dc_index_free(index);
        return rc;
    }
    pthread_mutex_lock(&s->index_lock);
    dc_index *previous = s->index;
    s->index = index;
    pthread_mutex_unlock(&s->index_lock);
    dc_index_free(previous);
    return DC_OK;
}

dc_status dc__sq_index_rows(dc_sqlite *s, const dc_object *proposed, dc_id_list *rows)
{
    dc_status rc = DC_OK;
    pthread_mutex_lock(&s->index_lock);
    if (s->index == NULL) {
        pthread_mutex_unlock(&s->index_lock);
        return DC_UNSUPPORTED;
    }
    for (size_t i = 0; rc == DC_OK && i < proposed->volume_count; i++) {
        dc_box4 b;
        rc = dc_volume_box(&proposed->volumes[i], &b);
        if (rc == DC_OK)
            rc = dc_index_query(s->index, &b, &s->index_hits);
        for (size_t k = 0; rc == DC_OK && k < s->index_hits.count; k++) {
            uint64_t *ids = dc_grow(rows->ids, &rows->capacity, rows->count, sizeof *ids, 64);
            if (ids == NULL) {
                rc = DC_NOMEM;
                break;
            }
            rows->ids = ids;
            rows->ids[rows->count++] = s->index_hits.ids[k] >> DC_INDEX_VOLUME_BITS;
        }
    }
    pthread_mutex_unlock(&s->index_lock);
    dc_id_list_sort_unique(rows);
    return rc;
}

dc_status dc__sq_candidate_index(dc_store *store, int on)
{
    dc_sqlite *s = dc__sq(store);
    assert(!dc__store_in_transaction(store, 0)); /* it changes under the write lock */
    pthread_mutex_lock(&s->lock);
    dc_status rc = DC_OK;
    if (on && s->index == NULL)
        rc = dc__sq_index_build(s);
    if (!on) {
        pthread_mutex_lock(&s->index_lock);
        dc_index_free(s->index);
        s->index = NULL;
        pthread_mutex_unlock(&s->index_lock);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
