/* pg_objects.c - objects in the PostgreSQL store: rows, their boxes under the n-D GiST index,
 * candidates and what each party may read
 *
 * A search by box is one statement whatever the number of volumes: the boxes go as arrays,
 * unnested and crossed with the three longitude shifts (a box past the antimeridian compares
 * modulo 360, as dc_box4_overlaps does), each pair an index probe with &&& and an exact recheck
 * on the double columns (the index's float4 boxes are rounded outwards: a superset).
 */
#include "pg_internal.h"

#include <inttypes.h>
#include <math.h>

#define EPOCH_2000_US "946684800000000"
#define HOURS(t) "((" t " - " EPOCH_2000_US ")::float8 / 3600e6)"

/* The rows of objects with a box overlapping one of the boxes $1..$8 (arrays). */
#define ROWS_IN_BOXES                                                                                         \
    "SELECT v.row FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[],"                        \
    " $5::float8[], $6::float8[], $7::bigint[], $8::bigint[])"                                                \
    " AS q(lon0, lon1, lat0, lat1, alt0, alt1, t0, t1)"                                                       \
    " CROSS JOIN unnest('{-360,0,360}'::float8[]) AS sh(d)"                                                   \
    " JOIN volume_boxes v ON v.box OPERATOR(&&&) ST_MakeLine("                                                \
    "ST_MakePoint(q.lon0 + sh.d, q.lat0, q.alt0, " HOURS(                                                     \
        "q.t0") "),"                                                                                          \
                " ST_MakePoint(q.lon1 + sh.d, q.lat1, q.alt1, " HOURS(                                        \
                    "q.t1") "))"                                                                              \
                            " AND v.lon0 <= q.lon1 + sh.d AND v.lon1 >= q.lon0 + sh.d AND v.lat0 <= q.lat1"   \
                            " AND v.lat1 >= q.lat0 AND v.alt0 <= q.alt1 AND v.alt1 >= q.alt0 AND v.t0 < q.t1" \
                            " AND v.t1 > q.t0"

/* In force (a suspended hazard keeps its place, engine.c), and not the proposed object ($9..$11)
 * itself. */
#define CANDIDATE_WHERE                                                                            \
    "(kind = 'zone' OR state IN ('accepted', 'activated', 'nonconforming', 'suspended'))"          \
    " AND NOT (kind = $9 AND owner = $10 AND id = $11)"

/* What `viewer` ($9) may read of another's: its own, public zones, what it was granted. */
#define VISIBLE_TO(viewer)                                                                         \
    "(owner = " viewer " OR (kind = 'zone' AND public = 1) OR owner IN (SELECT grantor FROM"       \
    " grants WHERE grantee = " viewer " AND grants.kind = objects.kind))"

dc_status dc__pg_read_record(const PGresult *res, int i, dc_record *r)
{
    memset(r, 0, sizeof *r);
    r->row = dc__pg_get_int(res, i, 0);
    dc_copy_text(r->object.owner, sizeof r->object.owner, dc__pg_get_text(res, i, 2));
    dc_copy_text(r->object.id, sizeof r->object.id, dc__pg_get_text(res, i, 3));
    r->object.version = dc__pg_get_int(res, i, 4);
    r->object.priority = (int)dc__pg_get_int(res, i, 6);
    r->is_public = (int)dc__pg_get_int(res, i, 7);
    r->created = dc__pg_get_int(res, i, 11);
    r->updated = dc__pg_get_int(res, i, 12);
    r->body = dc__pg_copy_text(res, i, 8);
    size_t size = 0;
    uint8_t *blob = r->body != NULL ? dc__pg_copy_blob(res, i, 9, &size) : NULL;
    if (blob == NULL)
        return DC_NOMEM;
    dc_status rc = dc__record_fill(r, dc__pg_get_text(res, i, 1), dc__pg_get_text(res, i, 5),
                                   dc__pg_get_text(res, i, 14), blob, size,
                                   dc__pg_get_int(res, i, 13), dc__pg_get_text(res, i, 10));
    dc_free(blob);
    return rc;
}

/* Every row of `res` appended to *out as records; clears res. */
static dc_status read_records(PGresult *res, dc_record_list *out)
{
    if (res == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < PQntuples(res); i++) {
        dc_record *items = dc_grow(out->items, &out->capacity, out->count, sizeof *items, 16);
        if (items == NULL) {
            rc = DC_NOMEM;
            break;
        }
        out->items = items;
        rc = dc__pg_read_record(res, i, &out->items[out->count]);
        if (rc == DC_OK)
            out->count++;
        else
            dc_record_clear(&out->items[out->count]);
    }
    PQclear(res);
    return rc;
}

static dc_status one_record(PGresult *res, dc_record *out)
{
    if (res == NULL)
        return DC_STORE;
    dc_status rc = PQntuples(res) == 0 ? DC_NOT_FOUND : dc__pg_read_record(res, 0, out);
    if (rc != DC_OK && rc != DC_NOT_FOUND)
        dc_record_clear(out);
    PQclear(res);
    return rc;
}

dc_status dc__pg_object_get(dc_store *s, dc_object_kind kind, const char *owner, const char *id,
                            dc_record *out)
{
    memset(out, 0, sizeof *out);
    dc_pg_params p = {0};
    dc__pg_text(&p, dc_kind_name(kind));
    dc__pg_text(&p, owner);
    dc__pg_text(&p, id);
    return one_record(dc__pg_run(s,
                                 "SELECT " PG_RECORD_COLUMNS " FROM objects"
                                 " WHERE kind = $1 AND owner = $2 AND id = $3",
                                 &p),
                      out);
}

dc_status dc__pg_object_visible(dc_store *s, dc_object_kind kind, const char *id,
                                const char *viewer, dc_record *out)
{
    memset(out, 0, sizeof *out);
    dc_pg_params p = {0};
    dc__pg_text(&p, dc_kind_name(kind));
    dc__pg_text(&p, id);
    dc__pg_text(&p, viewer);
    return one_record(dc__pg_run(s,
                                 "SELECT " PG_RECORD_COLUMNS " FROM objects"
                                 " WHERE kind = $1 AND id = $2 AND owner <> $3"
                                 " AND " VISIBLE_TO("$3") " ORDER BY owner LIMIT 1",
                                 &p),
                      out);
}

/* ---- boxes as array parameters ---- */

/* The eight arrays of a set of boxes, as PostgreSQL array literals. */
struct box_arrays {
    char *text[8];
};

static void box_arrays_clear(struct box_arrays *a)
{
    for (int k = 0; k < 8; k++)
        dc_free(a->text[k]);
}

static dc_status box_arrays_of(const dc_box4 *boxes, size_t n, struct box_arrays *a)
{
    memset(a, 0, sizeof *a);
    size_t size = n * 26 + 3;
    for (int k = 0; k < 8; k++) {
        a->text[k] = dc_malloc(size);
        if (a->text[k] == NULL) {
            box_arrays_clear(a);
            return DC_NOMEM;
        }
        size_t at = 0;
        a->text[k][at++] = '{';
        for (size_t i = 0; i < n; i++) {
            const dc_box4 *b = &boxes[i];
            const double v[6] = {b->lon_min, b->lon_max, b->lat_min,
                                 b->lat_max, b->alt_min, b->alt_max};
            const char *sep = i ? "," : "";
            if (k < 6)
                at += (size_t)snprintf(a->text[k] + at, size - at, "%s%.17g", sep, v[k]);
            else
                at += (size_t)snprintf(a->text[k] + at, size - at, "%s%" PRId64, sep,
                                       k == 6 ? b->t_min : b->t_max);
        }
        snprintf(a->text[k] + at, size - at, "}");
    }
    return DC_OK;
}

static void add_arrays(dc_pg_params *p, const struct box_arrays *a)
{
    for (int k = 0; k < 8; k++)
        dc__pg_text(p, a->text[k]);
}

/* The boxes of an object's volumes (dc_free); NULL when out of memory. */
static dc_box4 *object_boxes(const dc_object *o)
{
    dc_box4 *boxes = dc_calloc(o->volume_count ? o->volume_count : 1, sizeof *boxes);
    for (size_t i = 0; boxes != NULL && i < o->volume_count; i++)
        dc_volume_box(&o->volumes[i], &boxes[i]);
    return boxes;
}

/* A query over the boxes of `o` ($1..$8) and its kind, owner and id ($9..$11). */
static PGresult *run_for_object(dc_store *s, const char *sql, const dc_object *o, dc_status *rc)
{
    dc_box4 *boxes = object_boxes(o);
    struct box_arrays a;
    *rc = boxes != NULL ? box_arrays_of(boxes, o->volume_count, &a) : DC_NOMEM;
    dc_free(boxes);
    if (*rc != DC_OK)
        return NULL;
    dc_pg_params p = {0};
    add_arrays(&p, &a);
    dc__pg_text(&p, dc_kind_name(o->kind));
    dc__pg_text(&p, o->owner);
    dc__pg_text(&p, o->id);
    PGresult *r = dc__pg_run(s, sql, &p);
    box_arrays_clear(&a);
    if (r == NULL)
        *rc = DC_STORE;
    return r;
}

dc_status dc__pg_candidates(dc_store *s, const dc_object *proposed, dc_record_list *out)
{
    dc_status rc;
    PGresult *r =
        run_for_object(s,
                       "SELECT " PG_RECORD_COLUMNS " FROM objects WHERE row IN (" ROWS_IN_BOXES
                       ") AND " CANDIDATE_WHERE " ORDER BY row",
                       proposed, &rc);
    return rc == DC_OK ? read_records(r, out) : rc;
}

dc_status dc__pg_candidate_stamps(dc_store *s, const dc_object *proposed, dc_candidate_stamps *out)
{
    out->count = 0;
    dc_status rc;
    PGresult *r =
        run_for_object(s,
                       "SELECT row, version, created, updated FROM objects"
                       " WHERE row IN (" ROWS_IN_BOXES ") AND " CANDIDATE_WHERE " ORDER BY row",
                       proposed, &rc);
    for (int i = 0; rc == DC_OK && i < PQntuples(r); i++)
        rc = dc__candidate_stamp_push(
            out, (dc_candidate_stamp){dc__pg_get_int(r, i, 0), dc__pg_get_int(r, i, 1),
                                      dc__pg_get_int(r, i, 2), dc__pg_get_int(r, i, 3)});
    PQclear(r);
    return rc;
}

/* ---- writes ---- */

/* The row, its boxes and the removal of boxes it no longer has, in one statement: the write
 * lock is held for every round trip of a write (docs/PERFORMANCE.md). The boxes kept are updated
 * in place and the ones past the new count deleted: two sets of ids that never meet, as the
 * parts of one statement must not touch the same row. */
#define PUT_OBJECT                                                                                         \
    "WITH o AS (INSERT INTO objects(kind, owner, id, version, state, priority, public, body,"              \
    " volumes, admitted, created, updated, volume_count, emergency)"                                       \
    " VALUES ($9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"                        \
    " ON CONFLICT(kind, owner, id) DO UPDATE SET version = excluded.version,"                              \
    " emergency = excluded.emergency, state = excluded.state, priority = excluded.priority,"               \
    " public = excluded.public, body = excluded.body, volumes = excluded.volumes,"                         \
    " admitted = excluded.admitted, updated = excluded.updated,"                                           \
    " volume_count = excluded.volume_count RETURNING row),"                                                \
    " gone AS (DELETE FROM volume_boxes WHERE row = (SELECT row FROM o)"                                   \
    " AND id >= ((SELECT row FROM o) << $23::int) + $21::bigint),"                                         \
    " boxes AS (INSERT INTO volume_boxes(id, row, lon0, lon1, lat0, lat1, alt0, alt1, t0, t1, box)"        \
    " SELECT ((SELECT row FROM o) << $23::int) + (q.n - 1), (SELECT row FROM o), q.lon0, q.lon1,"          \
    " q.lat0, q.lat1, q.alt0, q.alt1, q.t0, q.t1, ST_MakeLine(ST_MakePoint(q.lon0, q.lat0,"                \
    " q.alt0, " HOURS("q.t0") "), ST_MakePoint(q.lon1, q.lat1, q.alt1, " HOURS(                            \
        "q.t1") "))"                                                                                       \
                " FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[], $5::float8[],"       \
                " $6::float8[], $7::bigint[], $8::bigint[])"                                               \
                " WITH ORDINALITY AS q(lon0, lon1, lat0, lat1, alt0, alt1, t0, t1, n)"                     \
                " ON CONFLICT (id) DO UPDATE SET lon0 = excluded.lon0, lon1 = excluded.lon1,"              \
                " lat0 = excluded.lat0, lat1 = excluded.lat1, alt0 = excluded.alt0, alt1 = excluded.alt1," \
                " t0 = excluded.t0, t1 = excluded.t1, box = excluded.box)"                                 \
                " SELECT row FROM o"

dc_status dc__pg_object_put(dc_store *s, dc_record *r)
{
    const dc_object *o = &r->object;
    assert(o->owner[0] != '\0' && o->id[0] != '\0' && r->body != NULL);
    assert(o->volume_count == 0 || o->volumes != NULL);
    assert(o->admitted_count == 0 || o->admitted != NULL);
    if (o->volume_count >= ((size_t)1 << DC_INDEX_VOLUME_BITS))
        return DC_RANGE;
    size_t blob_size = 0;
    uint8_t *blob = dc__pack_volumes(o, &blob_size);
    char *admitted = dc__admitted_text(o);
    dc_box4 *boxes = object_boxes(o);
    struct box_arrays a = {0};
    dc_status rc = blob && admitted && boxes ? box_arrays_of(boxes, o->volume_count, &a) : DC_NOMEM;
    if (rc == DC_OK) {
        dc_pg_params p = {0};
        add_arrays(&p, &a);
        dc__pg_text(&p, dc_kind_name(o->kind));
        dc__pg_text(&p, o->owner);
        dc__pg_text(&p, o->id);
        dc__pg_int(&p, o->version);
        dc__pg_text(&p, dc_state_name(o->state));
        dc__pg_int(&p, o->priority);
        dc__pg_int(&p, r->is_public);
        dc__pg_text(&p, r->body);
        dc__pg_blob(&p, blob, blob_size);
        dc__pg_text(&p, admitted);
        dc__pg_int(&p, r->created);
        dc__pg_int(&p, r->updated);
        dc__pg_int(&p, (int64_t)o->volume_count);
        dc__pg_text(&p, dc_emergency_name(o->emergency));
        dc__pg_int(&p, DC_INDEX_VOLUME_BITS);
        PGresult *res = dc__pg_run(s, PUT_OBJECT, &p);
        if (res != NULL && PQntuples(res) == 1)
            r->row = dc__pg_get_int(res, 0, 0);
        else
            rc = DC_STORE;
        PQclear(res);
    }
    box_arrays_clear(&a);
    dc_free(boxes);
    dc_free(blob);
    dc_free(admitted);
    if (rc == DC_OK)
        dc__pg_note_object(s, o->kind, o->owner, o->id);
    return rc;
}

dc_status dc__pg_object_delete(dc_store *s, dc_object_kind kind, const char *owner, const char *id)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, dc_kind_name(kind));
    dc__pg_text(&p, owner);
    dc__pg_text(&p, id);
    PGresult *r = dc__pg_run(s,
                             "WITH gone AS (DELETE FROM objects WHERE kind = $1 AND owner = $2"
                             " AND id = $3 RETURNING row), boxes AS (DELETE FROM volume_boxes"
                             " WHERE row IN (SELECT row FROM gone))"
                             " SELECT count(*) FROM gone",
                             &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = dc__pg_get_int(r, 0, 0) > 0 ? DC_OK : DC_NOT_FOUND;
    PQclear(r);
    if (rc == DC_OK)
        dc__pg_note_object(s, kind, owner, id);
    return rc;
}

dc_status dc__pg_object_set_state(dc_store *s, dc_object_kind kind, const char *owner,
                                  const char *id, dc_state state, dc_time_us now)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, dc_state_name(state));
    dc__pg_int(&p, now);
    dc__pg_text(&p, dc_kind_name(kind));
    dc__pg_text(&p, owner);
    dc__pg_text(&p, id);
    PGresult *r = dc__pg_run(
        s, "UPDATE objects SET state = $1, updated = $2 WHERE kind = $3 AND owner = $4 AND id = $5",
        &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = strcmp(PQcmdTuples(r), "0") == 0 ? DC_NOT_FOUND : DC_OK;
    PQclear(r);
    if (rc == DC_OK)
        dc__pg_note_object(s, kind, owner, id);
    return rc;
}

/* ---- lists ---- */

/* A list of `kind` visible to `viewer`: every one by owner and id (`by_name`), or by row after
 * `after_row`, at most `limit`; only those in `box` when not NULL. */
static dc_status list(dc_store *s, dc_object_kind kind, const char *viewer, const dc_box4 *box,
                      int by_name, int64_t after_row, size_t limit, dc_record_list *out)
{
    dc_pg_params p = {0};
    struct box_arrays a;
    dc_status rc = box_arrays_of(box != NULL ? box : &(dc_box4){0}, 1, &a);
    if (rc != DC_OK)
        return rc;
    add_arrays(&p, &a);
    dc__pg_text(&p, viewer);
    dc__pg_text(&p, dc_kind_name(kind));
    dc__pg_int(&p, after_row);
    dc__pg_int(&p, limit < (size_t)INT64_MAX ? (int64_t)limit : INT64_MAX);
    dc__pg_int(&p, box != NULL);
    dc__pg_int(&p, by_name);
    /* one text for every form: $13 whether the box applies, $14 the order */
    PGresult *r = dc__pg_run(
        s,
        "SELECT " PG_RECORD_COLUMNS " FROM objects WHERE kind = $10 AND " VISIBLE_TO(
            "$9") " AND ($13 = 0 OR row IN (" ROWS_IN_BOXES ")) AND row > $11"
                  " ORDER BY CASE WHEN $14 = 1 THEN owner END, CASE WHEN $14 = 1 THEN id END, row"
                  " LIMIT $12",
        &p);
    box_arrays_clear(&a);
    return read_records(r, out);
}

dc_status dc__pg_object_list(dc_store *s, dc_object_kind kind, const char *viewer,
                             const dc_box4 *box, dc_record_list *out)
{
    return list(s, kind, viewer, box, box == NULL, INT64_MIN, SIZE_MAX, out);
}

dc_status dc__pg_object_page(dc_store *s, dc_object_kind kind, const char *viewer,
                             const dc_box4 *box, int64_t after_row, size_t limit,
                             dc_record_list *out)
{
    return list(s, kind, viewer, box, 0, after_row, limit, out);
}

dc_status dc__pg_object_counts(dc_store *s, int64_t counts[DC_KIND_COUNT])
{
    for (int k = 0; k < DC_KIND_COUNT; k++)
        counts[k] = 0;
    PGresult *r = dc__pg_run(s, "SELECT kind, count(*) FROM objects GROUP BY kind", NULL);
    if (r == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(r); i++) {
        dc_object_kind k;
        if (dc_kind_parse(dc__pg_get_text(r, i, 0), &k) == DC_OK)
            counts[k] = dc__pg_get_int(r, i, 1);
    }
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_flying_intents(dc_store *s, dc_record_list *out)
{
    return read_records(dc__pg_run(s,
                                   "SELECT " PG_RECORD_COLUMNS " FROM objects WHERE kind = 'intent'"
                                   " AND state IN ('accepted', 'activated') ORDER BY row",
                                   NULL),
                        out);
}

dc_status dc__pg_zones(dc_store *s, dc_record_list *out)
{
    return read_records(
        dc__pg_run(s, "SELECT " PG_RECORD_COLUMNS " FROM objects WHERE kind = 'zone' ORDER BY row",
                   NULL),
        out);
}

/* ---- verification ---- */

/* Whether the stored boxes of record `r` (rows of `boxes` from *at on, by id) are its volumes'
 * boxes exactly; moves *at past them. */
static int boxes_match(const dc_record *r, const PGresult *boxes, int *at)
{
    int ok = 1;
    for (size_t i = 0; i < r->object.volume_count; i++) {
        int k = *at;
        if (k >= PQntuples(boxes) ||
            dc__pg_get_int(boxes, k, 0) != (int64_t)DC_INDEX_ID(r->row, i)) {
            ok = 0;
            continue;
        }
        (*at)++;
        dc_box4 b;
        dc_volume_box(&r->object.volumes[i], &b);
        const double want[6] = {b.lon_min, b.lon_max, b.lat_min, b.lat_max, b.alt_min, b.alt_max};
        for (int c = 0; c < 6; c++)
            ok &= dc__pg_get_real(boxes, k, 1 + c) == want[c];
        ok &= dc__pg_get_int(boxes, k, 7) == b.t_min && dc__pg_get_int(boxes, k, 8) == b.t_max;
        /* and the indexed geometry is the exact box */
        ok &= strcmp(dc__pg_get_text(boxes, k, 9), "t") == 0;
    }
    return ok;
}

dc_status dc__pg_verify_rows(dc_store *s, int (*each)(void *, const char *, const uint8_t *),
                             void *ctx, dc_error *err)
{
    PGresult *objects =
        dc__pg_run(s, "SELECT " PG_RECORD_COLUMNS " FROM objects ORDER BY row", NULL);
    PGresult *boxes =
        objects != NULL
            ? dc__pg_run(s,
                         "SELECT id, lon0, lon1, lat0, lat1, alt0, alt1, t0, t1,"
                         " ST_AsEWKB(box) = ST_AsEWKB(ST_MakeLine(ST_MakePoint(lon0,"
                         " lat0, alt0, " HOURS("t0") "), ST_MakePoint(lon1, lat1,"
                                                     " alt1, " HOURS(
                                                         "t1") "))) FROM volume_boxes ORDER BY id",
                         NULL)
            : NULL;
    if (boxes == NULL) {
        PQclear(objects);
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "objects: %s", dc__pg_last_error(s));
    }
    int at = 0;
    int64_t volumes = 0;
    for (int i = 0; i < PQntuples(objects); i++) {
        dc_record r;
        char ref[192];
        snprintf(ref, sizeof ref, "%s/%s/%s", dc__pg_get_text(objects, i, 1),
                 dc__pg_get_text(objects, i, 2), dc__pg_get_text(objects, i, 3));
        uint8_t digest[DC_HASH_BYTES];
        if (dc__pg_read_record(objects, i, &r) != DC_OK) {
            memset(digest, 0, sizeof digest); /* unreadable: matches no audit entry */
        } else {
            dc_store_object_digest(s, &r, digest);
            /* the index must say what the volumes say, or a lookup could hide a conflict */
            while (at < PQntuples(boxes) &&
                   dc__pg_get_int(boxes, at, 0) < (int64_t)DC_INDEX_ID(r.row, 0))
                at++;
            if (!boxes_match(&r, boxes, &at))
                digest[0] ^= 0xff; /* reported as a changed row */
            volumes += (int64_t)r.object.volume_count;
        }
        dc_record_clear(&r);
        if (each(ctx, ref, digest) != 0)
            break;
    }
    dc_status rc = DC_OK;
    if (PQntuples(boxes) != volumes)
        rc = dc_error_set(err, DC_CONFLICT, "volume_boxes", DC_NO_POSITION,
                          "the spatial index holds %d boxes for %lld volumes", PQntuples(boxes),
                          (long long)volumes);
    PQclear(objects);
    PQclear(boxes);
    return rc;
}
