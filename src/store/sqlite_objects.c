/* sqlite_objects.c - objects in the SQLite store: rows, their R*Tree boxes, candidates and what
 * each party may read */
#include "sqlite_internal.h"

#include <math.h>
#include <string.h>

char *dc__sq_copy_text(const unsigned char *text)
{
    size_t n = text ? strlen((const char *)text) : 0;
    char *out = dc_malloc(n + 1);
    if (out != NULL) {
        memcpy(out, text ? (const char *)text : "", n);
        out[n] = '\0';
    }
    return out;
}

/* A record from a row selected with RECORD_COLUMNS. */
dc_status dc__sq_read_record(sqlite3_stmt *st, dc_record *r)
{
    memset(r, 0, sizeof *r);
    r->row = sqlite3_column_int64(st, 0);
    dc_copy_text(r->object.owner, sizeof r->object.owner, (const char *)sqlite3_column_text(st, 2));
    dc_copy_text(r->object.id, sizeof r->object.id, (const char *)sqlite3_column_text(st, 3));
    r->object.version = sqlite3_column_int64(st, 4);
    r->object.priority = sqlite3_column_int(st, 6);
    r->is_public = sqlite3_column_int(st, 7);
    r->created = sqlite3_column_int64(st, 11);
    r->updated = sqlite3_column_int64(st, 12);
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    const char *state = (const char *)sqlite3_column_text(st, 5);
    const char *emergency = (const char *)sqlite3_column_text(st, 14);
    r->body = dc__sq_copy_text(sqlite3_column_text(st, 8));
    if (r->body == NULL)
        return DC_NOMEM;
    return dc__record_fill(r, kind ? kind : "", state ? state : "", emergency ? emergency : "",
                           sqlite3_column_blob(st, 9), (size_t)sqlite3_column_bytes(st, 9),
                           sqlite3_column_int64(st, 13), (const char *)sqlite3_column_text(st, 10));
}

/* A volume's box as the volume_boxes R*Tree holds it: degrees, metres and hours. */
static void box_row(const dc_volume *v, double row[8])
{
    dc_box4 b;
    dc_volume_box(v, &b);
    double r[8] = {b.lon_min,
                   b.lon_max,
                   b.lat_min,
                   b.lat_max,
                   b.alt_min,
                   b.alt_max,
                   dc__sq_hours(b.t_min),
                   dc__sq_hours(b.t_max)};
    memcpy(row, r, sizeof r);
}

static dc_status one_record(dc_store *s, sqlite3_stmt *st, dc_record *out)
{
    if (st == NULL)
        return DC_STORE;
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW    ? dc__sq_read_record(st, out)
                   : step == SQLITE_DONE ? DC_NOT_FOUND
                                         : DC_STORE;
    if (rc != DC_OK && step == SQLITE_ROW)
        dc_record_clear(out);
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_object_get(dc_store *s, dc_object_kind kind, const char *owner, const char *id,
                            dc_record *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " RECORD_COLUMNS
                                         " FROM objects WHERE kind = ? AND owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, dc_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    return one_record(s, st, out);
}

#define VISIBLE_TO_VIEWER                                                                          \
    "(owner = :viewer OR (kind = 'zone' AND public = 1) OR owner IN (SELECT grantor FROM grants "  \
    "WHERE grantee = :viewer AND grants.kind = objects.kind))"

dc_status dc__sq_object_visible(dc_store *s, dc_object_kind kind, const char *id,
                                const char *viewer, dc_record *out)
{
    memset(out, 0, sizeof *out);
    /* INDEXED BY: left alone, the planner orders by owner through the
     * unique index and reads every object of the kind. */
    sqlite3_stmt *st = dc__sq_prepare(
        s, "SELECT " RECORD_COLUMNS " FROM objects INDEXED BY objects_by_id"
           " WHERE kind = :kind AND id = :id AND owner != :viewer AND " VISIBLE_TO_VIEWER
           " ORDER BY owner LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"), dc_kind_name(kind), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":viewer"), viewer, -1,
                      SQLITE_TRANSIENT);
    return one_record(s, st, out);
}

double dc__sq_hours(dc_time_us t)
{
    return (double)(t - EPOCH_2000_US) / US_PER_HOUR;
}

/* Remove the boxes of an object's volumes. R*Tree finds rows by id only by equality (a range of
 * ids is a full scan), so each id is named. */
dc_status dc__sq_remove_boxes(dc_store *s, int64_t row, int64_t volumes)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "DELETE FROM volume_boxes WHERE id = ?");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int64_t i = 0; rc == DC_OK && i < volumes; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)DC_INDEX_ID(row, i));
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    dc__sq_release(s, st);
    return rc == DC_OK ? dc__sq_index_drop(dc__sq(s), row, volumes) : rc;
}

/* The row and volume count of an object, or DC_NOT_FOUND. */
static dc_status find_row(dc_store *s, dc_object_kind kind, const char *owner, const char *id,
                          int64_t *row, int64_t *volumes)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "SELECT row, volume_count FROM objects WHERE kind = ? AND owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, dc_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW ? DC_OK : step == SQLITE_DONE ? DC_NOT_FOUND : DC_STORE;
    if (rc == DC_OK) {
        *row = sqlite3_column_int64(st, 0);
        *volumes = sqlite3_column_int64(st, 1);
    }
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_object_put(dc_store *s, dc_record *r)
{
    const dc_object *o = &r->object;
    /* the caller's record is whole: an owner and id to key it, a body to serve, its volumes */
    assert(o->owner[0] != '\0' && o->id[0] != '\0' && r->body != NULL);
    assert(o->volume_count == 0 || o->volumes != NULL);
    assert(o->admitted_count == 0 || o->admitted != NULL);
    if (o->volume_count >= ((size_t)1 << DC_INDEX_VOLUME_BITS))
        return DC_RANGE;
    size_t blob_size = 0;
    uint8_t *blob = dc__pack_volumes(o, &blob_size);
    char *admitted = dc__admitted_text(o);
    dc_status rc = blob && admitted ? DC_OK : DC_NOMEM;
    int64_t old_row = 0, old_volumes = 0;
    if (rc == DC_OK) {
        rc = find_row(s, o->kind, o->owner, o->id, &old_row, &old_volumes);
        if (rc == DC_OK)
            rc = dc__sq_remove_boxes(s, old_row, old_volumes);
        else if (rc == DC_NOT_FOUND)
            rc = DC_OK;
    }
    sqlite3_stmt *st = NULL;
    if (rc == DC_OK)
        st = dc__sq_prepare(
            s, "INSERT INTO objects(kind, owner, id, version, state, priority, public, body,"
               " volumes, admitted, created, updated, volume_count, emergency)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
               " ON CONFLICT(kind, owner, id) DO UPDATE SET version = excluded.version,"
               " emergency = excluded.emergency,"
               " state = excluded.state, priority = excluded.priority, public = excluded.public,"
               " body = excluded.body, volumes = excluded.volumes, admitted = excluded.admitted,"
               " updated = excluded.updated, volume_count = excluded.volume_count RETURNING row");
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_text(st, 1, dc_kind_name(o->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, o->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, o->version);
        sqlite3_bind_text(st, 5, dc_state_name(o->state), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, o->priority);
        sqlite3_bind_int(st, 7, r->is_public);
        sqlite3_bind_text(st, 8, r->body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 9, blob, (int)blob_size, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 10, admitted, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 11, r->created);
        sqlite3_bind_int64(st, 12, r->updated);
        sqlite3_bind_int64(st, 13, (sqlite3_int64)o->volume_count);
        sqlite3_bind_text(st, 14, dc_emergency_name(o->emergency), -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            r->row = sqlite3_column_int64(st, 0);
        else
            rc = DC_STORE;
        dc__sq_release(s, st);
    }
    dc_free(blob);
    dc_free(admitted);
    st = rc == DC_OK ? dc__sq_prepare(s, "INSERT INTO volume_boxes VALUES (?,?,?,?,?,?,?,?,?)")
                     : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    for (size_t i = 0; rc == DC_OK && i < o->volume_count; i++) {
        double v[8];
        box_row(&o->volumes[i], v);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)DC_INDEX_ID(r->row, i));
        for (int k = 0; k < 8; k++)
            sqlite3_bind_double(st, k + 2, v[k]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = DC_STORE;
    }
    dc__sq_release(s, st);
    return rc == DC_OK ? dc__sq_index_put(dc__sq(s), r->row, o) : rc;
}

dc_status dc__sq_object_delete(dc_store *s, dc_object_kind kind, const char *owner, const char *id)
{
    int64_t row, volumes;
    dc_status rc = find_row(s, kind, owner, id, &row, &volumes);
    if (rc != DC_OK)
        return rc;
    sqlite3_stmt *st = dc__sq_prepare(s, "DELETE FROM objects WHERE row = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, row);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc == DC_OK ? dc__sq_remove_boxes(s, row, volumes) : rc;
}

static dc_status list_push(dc_record_list *list, dc_record **slot)
{
    dc_record *items = dc_grow(list->items, &list->capacity, list->count, sizeof *items, 16);
    if (items == NULL)
        return DC_NOMEM;
    list->items = items;
    *slot = &list->items[list->count];
    return DC_OK;
}

/* Rows of the objects with a box overlapping `b`, appended to rows (with
 * repeats). Longitudes compare modulo 360: one query per shift, since the
 * R*Tree cannot use an OR of ranges (it would scan every box). */
static dc_status rows_in_box(dc_store *s, const dc_box4 *b, dc_id_list *rows)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s,
        "SELECT id FROM volume_boxes WHERE lon0 <= ?2 AND lon1 >= ?1 AND lat0 <= ?4 AND lat1 >= ?3"
        " AND alt0 <= ?6 AND alt1 >= ?5 AND t0 < ?8 AND t1 > ?7");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int shift = -360; rc == DC_OK && shift <= 360; shift += 360) {
        double v[8] = {b->lon_min + shift,
                       b->lon_max + shift,
                       b->lat_min,
                       b->lat_max,
                       b->alt_min,
                       b->alt_max,
                       dc__sq_hours(b->t_min),
                       dc__sq_hours(b->t_max)};
        sqlite3_reset(st);
        for (int k = 0; k < 8; k++)
            sqlite3_bind_double(st, k + 1, v[k]);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            uint64_t *ids = dc_grow(rows->ids, &rows->capacity, rows->count, sizeof *ids, 64);
            if (ids == NULL) {
                rc = DC_NOMEM;
                break;
            }
            rows->ids = ids;
            rows->ids[rows->count++] =
                (uint64_t)sqlite3_column_int64(st, 0) >> DC_INDEX_VOLUME_BITS;
        }
        if (rc == DC_OK && step != SQLITE_DONE)
            rc = DC_STORE;
    }
    dc__sq_release(s, st);
    return rc;
}

/* Text parameters of a query, by name (":viewer"); a NULL name ends the list. */
struct binding {
    const char *name, *value;
};

/* Load the listed rows that pass `where`, appending them to *out. */
static dc_status load_rows(dc_store *s, const dc_id_list *rows, const char *where,
                           const struct binding *binds, dc_record_list *out)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " RECORD_COLUMNS " FROM objects WHERE row = :row AND %s",
             where);
    sqlite3_stmt *st = dc__sq_prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < rows->count; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":row"),
                           (sqlite3_int64)rows->ids[i]);
        for (const struct binding *b = binds; b && b->name; b++)
            sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, b->name), b->value, -1,
                              SQLITE_TRANSIENT);
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            continue;
        dc_record *slot;
        rc = step == SQLITE_ROW ? list_push(out, &slot) : DC_STORE;
        if (rc == DC_OK) {
            rc = dc__sq_read_record(st, slot);
            if (rc == DC_OK)
                out->count++;
            else
                dc_record_clear(slot);
        }
    }
    dc__sq_release(s, st);
    return rc;
}

/* The rows whose boxes overlap a box of `proposed`, each once, in order. */
static dc_status candidate_rows(dc_store *s, const dc_object *proposed, dc_id_list *rows)
{
    dc_status rc = dc__sq_index_rows(dc__sq(s), proposed, rows);
    if (rc != DC_UNSUPPORTED)
        return rc;
    rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < proposed->volume_count; i++) {
        dc_box4 b;
        dc_volume_box(&proposed->volumes[i], &b);
        rc = rows_in_box(s, &b, rows);
    }
    dc_id_list_sort_unique(rows);
    return rc;
}

/* Which of those rows are candidates: in force (a suspended hazard keeps its place, engine.c),
 * and not the proposed object itself. Equalities, not `state IN (...)`: SQLite builds an IN
 * list's ephemeral table on every run of the statement, and this one runs once per candidate
 * row, under the write lock when the stamps are re-read (two thirds of a small write's time
 * with fifty candidates). */
#define CANDIDATE_WHERE                                                                            \
    "(kind = 'zone' OR state = 'accepted' OR state = 'activated' OR state = 'nonconforming'"       \
    " OR state = 'suspended') AND NOT (kind = :kind AND owner = :owner AND id = :id)"

dc_status dc__sq_candidates(dc_store *s, const dc_object *proposed, dc_record_list *out)
{
    dc_id_list rows = {0};
    dc_status rc = candidate_rows(s, proposed, &rows);
    struct binding binds[] = {{":kind", dc_kind_name(proposed->kind)},
                              {":owner", proposed->owner},
                              {":id", proposed->id},
                              {NULL, NULL}};
    if (rc == DC_OK)
        rc = load_rows(s, &rows, CANDIDATE_WHERE, binds, out);
    dc_id_list_clear(&rows);
    return rc;
}

dc_status dc__sq_candidate_stamps(dc_store *s, const dc_object *proposed, dc_candidate_stamps *out)
{
    out->count = 0;
    dc_id_list rows = {0};
    dc_status rc = candidate_rows(s, proposed, &rows);
    sqlite3_stmt *st = rc == DC_OK
                           ? dc__sq_prepare(s, "SELECT version, created, updated FROM objects"
                                               " WHERE row = :row AND " CANDIDATE_WHERE)
                           : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    for (size_t i = 0; rc == DC_OK && i < rows.count; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":row"),
                           (sqlite3_int64)rows.ids[i]);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"),
                          dc_kind_name(proposed->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":owner"), proposed->owner, -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), proposed->id, -1,
                          SQLITE_TRANSIENT);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = dc__candidate_stamp_push(out, (dc_candidate_stamp){(int64_t)rows.ids[i],
                                                                    sqlite3_column_int64(st, 0),
                                                                    sqlite3_column_int64(st, 1),
                                                                    sqlite3_column_int64(st, 2)});
        else if (step != SQLITE_DONE)
            rc = DC_STORE;
    }
    dc__sq_release(s, st);
    dc_id_list_clear(&rows);
    return rc;
}

dc_status dc__sq_read_records(dc_store *s, sqlite3_stmt *st, dc_record_list *out)
{
    dc_status rc = DC_OK;
    int step = SQLITE_DONE;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_record *slot;
        rc = list_push(out, &slot);
        if (rc == DC_OK) {
            rc = dc__sq_read_record(st, slot);
            if (rc == DC_OK)
                out->count++;
            else
                dc_record_clear(slot);
        }
    }
    if (rc == DC_OK && step != SQLITE_DONE)
        rc = DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_object_list(dc_store *s, dc_object_kind kind, const char *viewer,
                             const dc_box4 *box, dc_record_list *out)
{
    char where[512];
    snprintf(where, sizeof where, "kind = '%s' AND " VISIBLE_TO_VIEWER, dc_kind_name(kind));
    if (box != NULL) {
        dc_id_list rows = {0};
        dc_status rc = rows_in_box(s, box, &rows);
        dc_id_list_sort_unique(&rows);
        struct binding binds[] = {{":viewer", viewer}, {NULL, NULL}};
        if (rc == DC_OK)
            rc = load_rows(s, &rows, where, binds, out);
        dc_id_list_clear(&rows);
        return rc;
    }
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT " RECORD_COLUMNS " FROM objects WHERE %s ORDER BY owner, id",
             where);
    sqlite3_stmt *st = dc__sq_prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":viewer"), viewer, -1,
                      SQLITE_TRANSIENT);
    return dc__sq_read_records(s, st, out);
}

dc_status dc__sq_object_page(dc_store *s, dc_object_kind kind, const char *viewer,
                             const dc_box4 *box, int64_t after_row, size_t limit,
                             dc_record_list *out)
{
    char where[512];
    snprintf(where, sizeof where, "kind = '%s' AND " VISIBLE_TO_VIEWER, dc_kind_name(kind));
    struct binding binds[] = {{":viewer", viewer}, {NULL, NULL}};
    if (box != NULL) {
        dc_id_list rows = {0};
        dc_status rc = rows_in_box(s, box, &rows);
        dc_id_list_sort_unique(&rows);
        /* only rows past the cursor; visibility drops some, so the page is cut after loading */
        size_t keep = 0;
        for (size_t i = 0; rc == DC_OK && i < rows.count; i++)
            if ((int64_t)rows.ids[i] > after_row)
                rows.ids[keep++] = rows.ids[i];
        rows.count = keep;
        size_t before = out->count;
        if (rc == DC_OK)
            rc = load_rows(s, &rows, where, binds, out);
        dc_id_list_clear(&rows);
        while (rc == DC_OK && out->count > before + limit)
            dc_record_clear(&out->items[--out->count]);
        return rc;
    }
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT " RECORD_COLUMNS " FROM objects WHERE %s AND row > :after ORDER BY row"
             " LIMIT :limit",
             where);
    sqlite3_stmt *st = dc__sq_prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":viewer"), viewer, -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"), after_row);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), (sqlite3_int64)limit);
    return dc__sq_read_records(s, st, out);
}

dc_status dc__sq_object_counts(dc_store *s, int64_t counts[DC_KIND_COUNT])
{
    for (int k = 0; k < DC_KIND_COUNT; k++)
        counts[k] = 0;
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT kind, count(*) FROM objects GROUP BY kind");
    if (st == NULL)
        return DC_STORE;
    while (sqlite3_step(st) == SQLITE_ROW) {
        dc_object_kind k;
        if (dc_kind_parse((const char *)sqlite3_column_text(st, 0), &k) == DC_OK)
            counts[k] = sqlite3_column_int64(st, 1);
    }
    dc__sq_release(s, st);
    return DC_OK;
}

/* ---- grants ---- */

dc_status dc__sq_flying_intents(dc_store *s, dc_record_list *out)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT " RECORD_COLUMNS " FROM objects WHERE kind = 'intent'"
                          " AND state IN ('accepted', 'activated') ORDER BY row");
    if (st == NULL)
        return DC_STORE;
    return dc__sq_read_records(s, st, out);
}

dc_status dc__sq_zones(dc_store *s, dc_record_list *out)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " RECORD_COLUMNS
                                         " FROM objects WHERE kind = 'zone' ORDER BY row");
    if (st == NULL)
        return DC_STORE;
    return dc__sq_read_records(s, st, out);
}

/* ---- audit ---- */

dc_status dc__sq_verify_rows(dc_store *s, int (*each)(void *, const char *, const uint8_t *),
                             void *ctx, dc_error *err)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " RECORD_COLUMNS " FROM objects ORDER BY row");
    if (st == NULL)
        return dc__sq_db_error(s, err, "objects");
    dc_status rc = DC_OK;
    int64_t volumes = 0;
    sqlite3_stmt *box = dc__sq_prepare(
        s, "SELECT lon0, lon1, lat0, lat1, alt0, alt1, t0, t1 FROM volume_boxes WHERE id = ?");
    while (rc == DC_OK && sqlite3_step(st) == SQLITE_ROW) {
        dc_record r;
        char ref[192];
        snprintf(ref, sizeof ref, "%s/%s/%s", (const char *)sqlite3_column_text(st, 1),
                 (const char *)sqlite3_column_text(st, 2),
                 (const char *)sqlite3_column_text(st, 3));
        uint8_t digest[DC_HASH_BYTES];
        if (dc__sq_read_record(st, &r) != DC_OK) {
            dc_record_clear(&r);
            memset(digest, 0, sizeof digest); /* unreadable: matches no audit entry */
        } else {
            dc_store_object_digest(s, &r, digest);
            /* The spatial index must say what the volumes say, or a lookup
             * could hide a conflict. */
            for (size_t i = 0; i < r.object.volume_count; i++, volumes++) {
                double want[8];
                box_row(&r.object.volumes[i], want);
                sqlite3_reset(box);
                sqlite3_bind_int64(box, 1, (sqlite3_int64)DC_INDEX_ID(r.row, i));
                int ok = sqlite3_step(box) == SQLITE_ROW;
                for (int k = 0; ok && k < 8; k++) {
                    double got = sqlite3_column_double(box, k);
                    double slack = 1e-6 * (fabs(want[k]) + 1.0);
                    ok = k % 2 == 0 ? got <= want[k] && got >= want[k] - slack
                                    : got >= want[k] && got <= want[k] + slack;
                }
                if (!ok)
                    digest[0] ^= 0xff; /* reported as a changed row */
            }
        }
        dc_record_clear(&r);
        if (each(ctx, ref, digest) != 0)
            break;
    }
    dc__sq_release(s, st);
    dc__sq_release(s, box);
    st = dc__sq_prepare(s, "SELECT count(*) FROM volume_boxes");
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) != volumes)
        rc = dc_error_set(err, DC_CONFLICT, "volume_boxes", DC_NO_POSITION,
                          "the spatial index holds %lld boxes for %lld volumes",
                          (long long)sqlite3_column_int64(st, 0), (long long)volumes);
    dc__sq_release(s, st);
    return rc;
}

/* ---- direct-line messages ---- */

dc_status dc__sq_object_set_state(dc_store *s, dc_object_kind kind, const char *owner,
                                  const char *id, dc_state state, dc_time_us now)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "UPDATE objects SET state = ?, updated = ? WHERE kind = ? AND owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, dc_state_name(state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, dc_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, id, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(dc__sq_db(s)) == 0)
        rc = DC_NOT_FOUND;
    dc__sq_release(s, st);
    return rc;
}
