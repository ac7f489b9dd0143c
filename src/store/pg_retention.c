/* pg_retention.c - what leaves the PostgreSQL store for the archive, the archive's segments, the
 * store's size and age
 *
 * The rows due are those sqlite_retention.c hands over, in the same order and the same runs;
 * there a reader walks the table and stops at the first row too young, here one statement per
 * call selects exactly the rows that walk would take (outside any transaction, as its readers
 * run: each statement is one snapshot), and the callbacks run once it is read. The audit chain
 * alone is read a page at a time, since how far a run reaches is known only by walking it.
 * Sizes are PostgreSQL's own (pg_total_relation_size by table, pg_database_size); free pages
 * are autovacuum's to reuse, so reclaiming is nothing to do here.
 */
#include "pg_internal.h"

#include <stddef.h>

/* Audit records read per statement while looking for the end of a run. */
#define AUDIT_PAGE 1000

/* Keep one record in as many bytes as its detail needs: a run holds hundreds of alerts' records
 * of a hundred bytes, each record's capacity sized for the largest list read. */
static dc_audit_record *compact_copy(const dc_audit_record *full)
{
    size_t used = offsetof(dc_audit_record, detail) + strlen(full->detail) + 1;
    dc_audit_record *r = dc_malloc(used);
    if (r != NULL)
        memcpy(r, full, used);
    return r;
}

struct audit_run {
    dc_audit_record **records;
    size_t count, capacity, signed_end;
};

/* Read records after `after` into *run until one is too young, the chain's head is reached or
 * `limit` is passed on a signed one: *done when the run cannot go further. */
static dc_status audit_page(dc_store *s, int64_t after, dc_time_us cutoff, size_t limit, size_t cap,
                            struct audit_run *run, dc_audit_record *full, int *done)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, after);
    dc__pg_int(&p, AUDIT_PAGE);
    PGresult *res = dc__pg_run(s,
                               "SELECT " PG_AUDIT_COLUMNS " FROM audit WHERE seq > $1"
                               " AND seq < (SELECT max(seq) FROM audit) ORDER BY seq LIMIT $2",
                               &p);
    if (res == NULL)
        return DC_STORE;
    int n = PQntuples(res);
    *done = n < AUDIT_PAGE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < n; i++) {
        if (run->count >= cap || dc__pg_get_int(res, i, 1) >= cutoff) {
            *done = 1;
            break;
        }
        dc_audit_record **grown =
            dc_grow(run->records, &run->capacity, run->count, sizeof *run->records, 256);
        if (grown == NULL) {
            rc = DC_NOMEM;
            break;
        }
        run->records = grown;
        dc__pg_read_audit(res, i, full);
        run->records[run->count] = compact_copy(full);
        if (run->records[run->count] == NULL) {
            rc = DC_NOMEM;
            break;
        }
        run->count++;
        if (dc_audit_signed(full)) {
            run->signed_end = run->count;
            if (run->count >= limit) {
                *done = 1;
                break;
            }
        }
    }
    PQclear(res);
    return rc;
}

/* Audit records go in runs that end on a signed one: read them first, then hand over. */
static dc_status expired_audit(dc_store *s, dc_time_us cutoff, size_t limit,
                               int (*each)(void *, const dc_expired *), void *ctx)
{
    /* a run of unsigned records is one batch of reports' alerts: far below this */
    size_t cap = limit * 20 + 1000;
    struct audit_run run = {NULL, 0, 0, 0};
    dc_audit_record *full = dc_malloc(sizeof *full);
    dc_status rc = full != NULL ? DC_OK : DC_NOMEM;
    for (int done = 0; rc == DC_OK && !done;)
        rc = audit_page(s, run.count > 0 ? run.records[run.count - 1]->seq : 0, cutoff, limit, cap,
                        &run, full, &done);
    for (size_t i = 0; rc == DC_OK && i < run.signed_end; i++) {
        dc_expired e;
        memset(&e, 0, sizeof e);
        e.kind = DC_RETAIN_AUDIT;
        e.key = run.records[i]->seq;
        e.time = run.records[i]->time;
        e.audit = run.records[i];
        if (each(ctx, &e) != 0)
            break;
    }
    for (size_t i = 0; i < run.count; i++)
        dc_free(run.records[i]);
    dc_free(run.records);
    dc_free(full);
    return rc;
}

/* Columns of the alerts due: the alert, its episode's first alert (NULL: none, or gone), and one
 * row per copy that has members of its own. */
enum { AL_ID, AL_CREATED, AL_EPISODE, AL_RECIPIENTS, AL_BODY, AL_BASE, AL_TO, AL_EXTRA };

/* One alert as the archive takes it: rows first..last of `res` are its copies' rows. */
static dc_status hand_alert(const PGresult *res, int first, int last,
                            int (*each)(void *, const dc_expired *), void *ctx, int *stop)
{
    const char *body = dc__pg_get_text(res, first, AL_BODY);
    char *text = NULL, *recipients = dc__pg_copy_text(res, first, AL_RECIPIENTS);
    if (recipients == NULL)
        return DC_NOMEM;
    dc_status rc;
    if (dc__pg_get_int(res, first, AL_EPISODE) != 0) {
        const char *base =
            dc__pg_is_null(res, first, AL_BASE) ? "{}" : dc__pg_get_text(res, first, AL_BASE);
        rc = dc__alert_text(base, body, NULL, &text);
    } else {
        rc = dc__alert_text(body, NULL, NULL, &text);
    }
    if (rc == DC_INVALID) {
        rc = DC_OK; /* what was stored, as stored: the archive keeps even a damaged row */
        text = dc__pg_copy_text(res, first, AL_BODY);
        if (text == NULL)
            rc = DC_NOMEM;
    }
    const char *to[8], *extras[8] = {NULL};
    size_t n = dc__alert_recipients(recipients, to);
    for (size_t k = 0; k < n; k++)
        for (int i = first; i <= last && extras[k] == NULL; i++)
            if (!dc__pg_is_null(res, i, AL_TO) &&
                strcmp(dc__pg_get_text(res, i, AL_TO), to[k]) == 0)
                extras[k] = dc__pg_get_text(res, i, AL_EXTRA);
    if (rc == DC_OK) {
        dc_expired e;
        memset(&e, 0, sizeof e);
        e.kind = DC_RETAIN_ALERTS;
        e.key = dc__pg_get_int(res, first, AL_ID);
        e.time = dc__pg_get_int(res, first, AL_CREATED);
        e.body = text;
        e.copies = n;
        e.recipients = to;
        e.extras = extras;
        *stop = each(ctx, &e) != 0;
    }
    dc_free(text);
    dc_free(recipients);
    return rc;
}

static dc_status expired_alerts(dc_store *s, dc_time_us cutoff, size_t limit,
                                int (*each)(void *, const dc_expired *), void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, cutoff);
    dc__pg_int(&p, (int64_t)limit);
    /* an episode's first alert stays while a repetition may still be stored against it; the
     * first alert too young ends the walk (it is selected, and stops it) */
    PGresult *res = dc__pg_run(
        s,
        "SELECT a.id, a.created, a.episode, a.recipients, a.body, b.body, i.recipient, i.extra"
        " FROM (SELECT id, created, episode, recipients, body FROM alert_log"
        " WHERE created >= $1 OR NOT (episode = 0 AND until IS NOT NULL AND until >= $1)"
        " ORDER BY id LIMIT $2) a"
        " LEFT JOIN alert_log b ON a.episode <> 0 AND b.id = a.episode"
        " LEFT JOIN alert_inbox i ON i.id = a.id AND i.extra IS NOT NULL"
        " ORDER BY a.id, i.recipient",
        &p);
    if (res == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    int rows = PQntuples(res), stop = 0;
    for (int first = 0, last; rc == DC_OK && !stop && first < rows; first = last + 1) {
        if (dc__pg_get_int(res, first, AL_CREATED) >= cutoff)
            break;
        int64_t id = dc__pg_get_int(res, first, AL_ID);
        for (last = first; last + 1 < rows && dc__pg_get_int(res, last + 1, AL_ID) == id; last++)
            ;
        rc = hand_alert(res, first, last, each, ctx, &stop);
    }
    PQclear(res);
    return rc;
}

static dc_status expired_inbox(dc_store *s, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                               size_t limit, int (*each)(void *, const dc_expired *), void *ctx)
{
    /* an unacknowledged message stays ten times as long: it may still be waiting for its
     * read-back */
    dc_time_us unacknowledged = now - 10 * (now - cutoff);
    dc_pg_params p = {0};
    dc__pg_int(&p, (int64_t)limit);
    PGresult *res;
    if (kind == DC_RETAIN_NOTICES) {
        res = dc__pg_run(s,
                         "SELECT id, recipient, body, created, '', 0 FROM notices"
                         " WHERE id < (SELECT max(id) FROM notices) ORDER BY id LIMIT $1",
                         &p);
    } else {
        /* the first message too young ends the walk: it is selected, and stops it */
        dc__pg_int(&p, cutoff);
        dc__pg_int(&p, unacknowledged);
        res = dc__pg_run(s,
                         "SELECT id, recipient, body, created, sender, acknowledged FROM messages"
                         " WHERE id < (SELECT max(id) FROM messages)"
                         " AND (created >= $2 OR acknowledged <> 0 OR created < $3)"
                         " ORDER BY id LIMIT $1",
                         &p);
    }
    if (res == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(res); i++) {
        dc_time_us created = dc__pg_get_int(res, i, 3);
        if (created >= cutoff)
            break;
        const char *to = dc__pg_get_text(res, i, 1);
        dc_expired e;
        memset(&e, 0, sizeof e);
        e.kind = kind;
        e.key = dc__pg_get_int(res, i, 0);
        e.check = dc__pg_get_int(res, i, 5);
        e.time = created;
        e.body = dc__pg_get_text(res, i, 2);
        e.sender = dc__pg_get_text(res, i, 4);
        e.copies = 1;
        e.recipients = &to;
        if (each(ctx, &e) != 0)
            break;
    }
    PQclear(res);
    return DC_OK;
}

/* One ended or withdrawn object as the archive takes it; a row that cannot be read stays for
 * `audit verify` to report (*handed 0). */
static dc_status hand_object(dc_store *s, const PGresult *res, int i,
                             int (*each)(void *, const dc_expired *), void *ctx, int *stop)
{
    dc_record r;
    uint8_t digest[DC_HASH_BYTES];
    if (dc__pg_read_record(res, i, &r) != DC_OK || dc_store_object_digest(s, &r, digest) != DC_OK) {
        dc_record_clear(&r);
        return DC_OK;
    }
    size_t size = 0;
    uint8_t *volumes = dc__pg_copy_blob(res, i, 9, &size);
    if (volumes == NULL) {
        dc_record_clear(&r);
        return DC_NOMEM;
    }
    dc_expired e;
    memset(&e, 0, sizeof e);
    e.kind = DC_RETAIN_OBJECTS;
    e.key = r.row;
    e.check = r.object.version;
    e.time = r.updated;
    e.created = r.created;
    e.body = r.body;
    e.object_kind = dc__pg_get_text(res, i, 1);
    e.owner = r.object.owner;
    e.id = r.object.id;
    e.state = dc__pg_get_text(res, i, 5);
    e.version = r.object.version;
    e.priority = r.object.priority;
    e.is_public = r.is_public;
    e.admitted = dc__pg_get_text(res, i, 10);
    e.volumes = volumes;
    e.volumes_size = size;
    e.digest = digest;
    *stop = each(ctx, &e) != 0;
    dc_free(volumes);
    dc_record_clear(&r);
    return DC_OK;
}

static dc_status expired_objects(dc_store *s, dc_time_us cutoff, size_t limit,
                                 int (*each)(void *, const dc_expired *), void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, cutoff);
    dc__pg_int(&p, (int64_t)limit);
    PGresult *res = dc__pg_run(s,
                               "SELECT " PG_RECORD_COLUMNS " FROM objects"
                               " WHERE state IN ('ended', 'withdrawn') AND updated < $1"
                               " ORDER BY updated, row LIMIT $2",
                               &p);
    if (res == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    int stop = 0;
    for (int i = 0; rc == DC_OK && !stop && i < PQntuples(res); i++)
        rc = hand_object(s, res, i, each, ctx, &stop);
    PQclear(res);
    return rc;
}

dc_status dc__pg_expired(dc_store *s, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                         size_t limit, int (*each)(void *, const dc_expired *), void *ctx)
{
    switch (kind) {
    case DC_RETAIN_AUDIT:
        return expired_audit(s, cutoff, limit, each, ctx);
    case DC_RETAIN_ALERTS:
        return expired_alerts(s, cutoff, limit, each, ctx);
    case DC_RETAIN_NOTICES:
    case DC_RETAIN_MESSAGES:
        return expired_inbox(s, kind, now, cutoff, limit, each, ctx);
    case DC_RETAIN_OBJECTS:
        return expired_objects(s, cutoff, limit, each, ctx);
    default:
        return DC_INVALID;
    }
}

/* Rows a statement changed: DC_STALE unless exactly `expected`. */
static dc_status changed_exactly(dc_store *s, const char *sql, const dc_pg_params *p,
                                 int64_t expected)
{
    PGresult *res = dc__pg_run(s, sql, p);
    if (res == NULL)
        return DC_STORE;
    int64_t changed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return changed == expected ? DC_OK : DC_STALE;
}

/* A one-row delete by key (and check): DC_STALE unless exactly that row went. */
static dc_status delete_one(dc_store *s, const char *sql, int64_t key, const int64_t *check)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, key);
    if (check != NULL)
        dc__pg_int(&p, *check);
    return changed_exactly(s, sql, &p, 1);
}

static dc_status remove_alert(dc_store *s, int64_t id)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, id);
    PGresult *res = dc__pg_run(s, "SELECT recipients FROM alert_log WHERE id = $1", &p);
    if (res == NULL)
        return DC_STORE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DC_STALE;
    }
    char *recipients = dc__pg_copy_text(res, 0, 0);
    PQclear(res);
    if (recipients == NULL)
        return DC_NOMEM;
    const char *to[8];
    size_t n = dc__alert_recipients(recipients, to);
    dc_status rc = DC_OK;
    for (size_t k = 0; rc == DC_OK && k < n; k++) {
        dc_pg_params q = {0};
        dc__pg_text(&q, to[k]);
        dc__pg_int(&q, id);
        rc = dc__pg_exec(s, "DELETE FROM alert_inbox WHERE recipient = $1 AND id = $2", &q);
    }
    dc_free(recipients);
    return rc == DC_OK ? delete_one(s, "DELETE FROM alert_log WHERE id = $1", id, NULL) : rc;
}

static dc_status remove_object(dc_store *s, int64_t row, int64_t version)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, row);
    dc__pg_int(&p, version);
    PGresult *res = dc__pg_run(s,
                               "SELECT volume_count FROM objects WHERE row = $1 AND version = $2"
                               " AND state IN ('ended', 'withdrawn')",
                               &p);
    if (res == NULL)
        return DC_STORE;
    int found = PQntuples(res) == 1;
    PQclear(res);
    if (!found)
        return DC_STALE;
    dc_status rc = delete_one(s, "DELETE FROM objects WHERE row = $1", row, NULL);
    dc_pg_params q = {0};
    dc__pg_int(&q, row);
    return rc == DC_OK ? dc__pg_exec(s, "DELETE FROM volume_boxes WHERE row = $1", &q) : rc;
}

/* Audit records leave as a run of consecutive seqs: one range, so one statement. */
static dc_status remove_audit(dc_store *s, const int64_t *seqs, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (seqs[i] != seqs[0] + (int64_t)i)
            return DC_STALE;
    dc_pg_params p = {0};
    dc__pg_int(&p, seqs[0]);
    dc__pg_int(&p, seqs[count - 1]);
    dc_status rc =
        changed_exactly(s, "DELETE FROM audit WHERE seq >= $1 AND seq <= $2", &p, (int64_t)count);
    /* the archive keeps the records, their detail naming what each list read disclosed */
    if (rc == DC_OK)
        rc = dc__pg_exec(s, "DELETE FROM audit_names WHERE seq >= $1 AND seq <= $2", &p);
    return rc;
}

dc_status dc__pg_expired_remove(dc_store *s, dc_retained kind, const int64_t *keys,
                                const int64_t *checks, size_t count)
{
    if (kind == DC_RETAIN_AUDIT)
        return count > 0 ? remove_audit(s, keys, count) : DC_OK;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        switch (kind) {
        case DC_RETAIN_ALERTS:
            rc = remove_alert(s, keys[i]);
            break;
        case DC_RETAIN_NOTICES:
            rc = delete_one(s, "DELETE FROM notices WHERE id = $1", keys[i], NULL);
            break;
        case DC_RETAIN_MESSAGES:
            rc = delete_one(s, "DELETE FROM messages WHERE id = $1 AND acknowledged = $2", keys[i],
                            &checks[i]);
            break;
        case DC_RETAIN_OBJECTS:
            rc = remove_object(s, keys[i], checks[i]);
            break;
        default:
            rc = DC_INVALID;
        }
    }
    return rc;
}

/* ---- archive segments ---- */

#define SEGMENT_COLUMNS                                                                            \
    "number, file, opened, updated, closed, bytes, lines, digest, prev_segment,"                   \
    " chain_before_seq, chain_before_hash, chain_seq, chain_hash, audit_rows, alert_rows,"         \
    " notice_rows, message_rows, object_rows"

static void read_segment(const PGresult *res, int i, dc_segment *g)
{
    memset(g, 0, sizeof *g);
    g->number = dc__pg_get_int(res, i, 0);
    dc_copy_text(g->file, sizeof g->file, dc__pg_get_text(res, i, 1));
    g->opened = dc__pg_get_int(res, i, 2);
    g->updated = dc__pg_get_int(res, i, 3);
    g->closed = (int)dc__pg_get_int(res, i, 4);
    g->bytes = dc__pg_get_int(res, i, 5);
    g->lines = dc__pg_get_int(res, i, 6);
    dc__pg_column_blob(res, i, 7, g->digest, DC_HASH_BYTES);
    dc__pg_column_blob(res, i, 8, g->prev_segment, DC_HASH_BYTES);
    g->chain_before_seq = dc__pg_get_int(res, i, 9);
    dc__pg_column_blob(res, i, 10, g->chain_before_hash, DC_HASH_BYTES);
    g->chain_seq = dc__pg_get_int(res, i, 11);
    dc__pg_column_blob(res, i, 12, g->chain_hash, DC_HASH_BYTES);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        g->rows[k] = dc__pg_get_int(res, i, 13 + k);
}

dc_status dc__pg_segment_last(dc_store *s, dc_segment *out)
{
    PGresult *res = dc__pg_run(
        s, "SELECT " SEGMENT_COLUMNS " FROM archive_segments ORDER BY number DESC LIMIT 1", NULL);
    if (res == NULL)
        return DC_STORE;
    dc_status rc = PQntuples(res) == 1 ? DC_OK : DC_NOT_FOUND;
    if (rc == DC_OK)
        read_segment(res, 0, out);
    PQclear(res);
    return rc;
}

dc_status dc__pg_segments(dc_store *s, int (*each)(void *, const dc_segment *), void *ctx)
{
    PGresult *res =
        dc__pg_run(s, "SELECT " SEGMENT_COLUMNS " FROM archive_segments ORDER BY number", NULL);
    if (res == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(res); i++) {
        dc_segment g;
        read_segment(res, i, &g);
        if (each(ctx, &g) != 0)
            break;
    }
    PQclear(res);
    return DC_OK;
}

dc_status dc__pg_segment_save(dc_store *s, const dc_segment *g)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, g->number);
    dc__pg_text(&p, g->file);
    dc__pg_int(&p, g->opened);
    dc__pg_int(&p, g->updated);
    dc__pg_int(&p, g->closed);
    dc__pg_int(&p, g->bytes);
    dc__pg_int(&p, g->lines);
    dc__pg_blob(&p, g->digest, DC_HASH_BYTES);
    dc__pg_blob(&p, g->prev_segment, DC_HASH_BYTES);
    dc__pg_int(&p, g->chain_before_seq);
    dc__pg_blob(&p, g->chain_before_hash, DC_HASH_BYTES);
    dc__pg_int(&p, g->chain_seq);
    dc__pg_blob(&p, g->chain_hash, DC_HASH_BYTES);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        dc__pg_int(&p, g->rows[k]);
    return dc__pg_exec(
        s,
        "INSERT INTO archive_segments(" SEGMENT_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (number) DO UPDATE"
        " SET file = excluded.file, opened = excluded.opened, updated = excluded.updated,"
        " closed = excluded.closed, bytes = excluded.bytes, lines = excluded.lines,"
        " digest = excluded.digest, prev_segment = excluded.prev_segment,"
        " chain_before_seq = excluded.chain_before_seq,"
        " chain_before_hash = excluded.chain_before_hash, chain_seq = excluded.chain_seq,"
        " chain_hash = excluded.chain_hash, audit_rows = excluded.audit_rows,"
        " alert_rows = excluded.alert_rows, notice_rows = excluded.notice_rows,"
        " message_rows = excluded.message_rows, object_rows = excluded.object_rows",
        &p);
}

/* ---- size and age ---- */

/* The kind a table belongs to (its indexes and TOAST with it); DC_RETAIN_COUNT for the rest. */
static int kind_of_table(const char *table)
{
    static const struct {
        const char *prefix;
        dc_retained kind;
    } map[] = {{"audit", DC_RETAIN_AUDIT},     {"alert_", DC_RETAIN_ALERTS},
               {"notices", DC_RETAIN_NOTICES}, {"messages", DC_RETAIN_MESSAGES},
               {"objects", DC_RETAIN_OBJECTS}, {"volume_boxes", DC_RETAIN_OBJECTS}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(table, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].kind;
    return DC_RETAIN_COUNT;
}

/* The log written since the last checkpoint: what a crash would replay, as SQLite's -wal file
 * holds what its next checkpoint copies. 0 where the role may not read the control file. */
static int64_t wal_bytes(dc_store *s)
{
    PGresult *res = dc__pg_run(s,
                               "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::bigint"
                               " FROM pg_control_checkpoint()",
                               NULL);
    int64_t bytes = res != NULL && PQntuples(res) == 1 ? dc__pg_get_int(res, 0, 0) : 0;
    PQclear(res);
    return bytes;
}

dc_status dc__pg_stats_read(dc_store *s, dc_store_stats *out)
{
    memset(out, 0, sizeof *out);
    /* the store's own tables: those of the schema it was made in (PostGIS's beside them count
     * as the rest, as SQLite's own schema table does there) */
    PGresult *res = dc__pg_run(s,
                               "SELECT c.relname, pg_total_relation_size(c.oid),"
                               " pg_database_size(current_database()) FROM pg_class c"
                               " WHERE c.relkind = 'r' AND c.relnamespace ="
                               " (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
                               NULL);
    if (res == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(res); i++) {
        out->bytes[kind_of_table(dc__pg_get_text(res, i, 0))] += dc__pg_get_int(res, i, 1);
        out->file_bytes = dc__pg_get_int(res, i, 2);
    }
    PQclear(res);
    /* one statement: one snapshot for every count and age */
    res =
        dc__pg_run(s,
                   "SELECT (SELECT count(*) FROM audit), (SELECT count(*) FROM alert_log),"
                   " (SELECT count(*) FROM notices), (SELECT count(*) FROM messages),"
                   " (SELECT count(*) FROM objects), (SELECT time FROM audit ORDER BY seq LIMIT 1),"
                   " (SELECT created FROM alert_log ORDER BY id LIMIT 1),"
                   " (SELECT created FROM notices ORDER BY id LIMIT 1),"
                   " (SELECT created FROM messages ORDER BY id LIMIT 1),"
                   " (SELECT min(updated) FROM objects WHERE state IN ('ended', 'withdrawn'))",
                   NULL);
    if (res == NULL)
        return DC_STORE;
    for (int k = 0; k < DC_RETAIN_COUNT; k++) {
        out->rows[k] = dc__pg_get_int(res, 0, k);
        out->oldest[k] = dc__pg_get_int(res, 0, DC_RETAIN_COUNT + k);
    }
    PQclear(res);
    out->wal_bytes = wal_bytes(s);
    return DC_OK;
}

dc_status dc__pg_size_sample(dc_store *s, dc_time_us now, int64_t live_bytes, int64_t archive_bytes)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, now);
    dc__pg_int(&p, live_bytes);
    dc__pg_int(&p, archive_bytes);
    dc_status rc = dc__pg_exec(s,
                               "INSERT INTO size_samples(time, live_bytes, archive_bytes)"
                               " VALUES ($1, $2, $3) ON CONFLICT (time) DO UPDATE"
                               " SET live_bytes = excluded.live_bytes,"
                               " archive_bytes = excluded.archive_bytes",
                               &p);
    dc_pg_params q = {0};
    dc__pg_int(&q, now - INT64_C(86400000000));
    return rc == DC_OK ? dc__pg_exec(s, "DELETE FROM size_samples WHERE time < $1", &q) : rc;
}

dc_status dc__pg_size_growth(dc_store *s, dc_time_us now, dc_time_us over, double *live_per_s,
                             double *total_per_s)
{
    *live_per_s = *total_per_s = 0;
    dc_pg_params p = {0};
    dc__pg_int(&p, now);
    dc__pg_int(&p, over);
    /* the newest sample against the newest one at least `over` older (or, in a younger store,
     * the oldest) */
    PGresult *res = dc__pg_run(
        s,
        "WITH b AS (SELECT * FROM size_samples WHERE time <= $1 ORDER BY time DESC LIMIT 1),"
        " a AS (SELECT time, live_bytes, archive_bytes FROM ((SELECT 0 AS pick, * FROM"
        " size_samples WHERE time <= (SELECT time FROM b) - $2 ORDER BY time DESC LIMIT 1)"
        " UNION ALL (SELECT 1, * FROM size_samples ORDER BY time LIMIT 1)) c"
        " ORDER BY pick LIMIT 1)"
        " SELECT a.time, a.live_bytes, a.archive_bytes, b.time, b.live_bytes, b.archive_bytes"
        " FROM a, b",
        &p);
    if (res == NULL)
        return DC_STORE;
    if (PQntuples(res) == 1) {
        double dt = (double)(dc__pg_get_int(res, 0, 3) - dc__pg_get_int(res, 0, 0)) / 1e6;
        int64_t live0 = dc__pg_get_int(res, 0, 1), live1 = dc__pg_get_int(res, 0, 4);
        int64_t all0 = live0 + dc__pg_get_int(res, 0, 2);
        int64_t all1 = live1 + dc__pg_get_int(res, 0, 5);
        if (dt > 0) {
            *live_per_s = (double)(live1 - live0) / dt;
            *total_per_s = (double)(all1 - all0) / dt;
        }
    }
    PQclear(res);
    return DC_OK;
}

dc_status dc__pg_reclaim(dc_store *s, int64_t max_pages, int64_t *freed_pages)
{
    (void)s;
    (void)max_pages;
    /* autovacuum makes dead rows' space reusable as it goes; giving pages back to the file
     * system (VACUUM FULL) would lock every table for its whole copy */
    *freed_pages = 0;
    return DC_OK;
}
