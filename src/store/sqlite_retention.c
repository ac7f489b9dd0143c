/* sqlite_retention.c - what leaves the SQLite store for the archive, the archive's segments, the
 * store's size and age, and giving free pages back */
#include "sqlite_internal.h"

#include <sys/stat.h>

static sqlite3_stmt *reader_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Audit records go in runs that end on a signed one: read them first, then hand over. */
static dc_status expired_audit(sqlite3 *db, dc_time_us cutoff, size_t limit,
                               int (*each)(void *, const dc_expired *), void *ctx)
{
    sqlite3_stmt *st =
        reader_prepare(db, "SELECT * FROM audit WHERE seq < (SELECT max(seq) FROM audit)"
                           " ORDER BY seq LIMIT ?");
    if (st == NULL)
        return DC_STORE;
    /* a run of unsigned records is one batch of reports' alerts: far below this */
    size_t cap = limit * 20 + 1000, count = 0, capacity = 0, signed_end = 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)cap);
    /* each record held in as many bytes as its detail needs: a record's capacity is sized for
     * the largest list read, and a run holds hundreds of alerts' records of a hundred bytes */
    dc_audit_record **records = NULL, *full = dc_malloc(sizeof *full);
    dc_status rc = full != NULL ? DC_OK : DC_NOMEM;
    int step = SQLITE_DONE;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 1) >= cutoff)
            break;
        dc_audit_record **grown = dc_grow(records, &capacity, count, sizeof *records, 256);
        if (grown == NULL) {
            rc = DC_NOMEM;
            break;
        }
        records = grown;
        dc__sq_read_audit(st, full);
        size_t used = offsetof(dc_audit_record, detail) + strlen(full->detail) + 1;
        records[count] = dc_malloc(used);
        if (records[count] == NULL) {
            rc = DC_NOMEM;
            break;
        }
        memcpy(records[count], full, used);
        count++;
        if (dc_audit_signed(records[count - 1])) {
            signed_end = count;
            if (count >= limit)
                break;
        }
    }
    if (rc == DC_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = DC_STORE;
    sqlite3_finalize(st);
    for (size_t i = 0; rc == DC_OK && i < signed_end; i++) {
        dc_expired e;
        memset(&e, 0, sizeof e);
        e.kind = DC_RETAIN_AUDIT;
        e.key = records[i]->seq;
        e.time = records[i]->time;
        e.audit = records[i];
        if (each(ctx, &e) != 0)
            break;
    }
    for (size_t i = 0; i < count; i++)
        dc_free(records[i]);
    dc_free(records);
    dc_free(full);
    return rc;
}

static dc_status expired_alerts(sqlite3 *db, dc_time_us cutoff, size_t limit,
                                int (*each)(void *, const dc_expired *), void *ctx)
{
    sqlite3_stmt *st = reader_prepare(
        db, "SELECT id, created, episode, until, recipients, body FROM alert_log ORDER BY id");
    sqlite3_stmt *base = reader_prepare(db, "SELECT body FROM alert_log WHERE id = ?");
    sqlite3_stmt *copy = reader_prepare(db, "SELECT extra FROM alert_inbox"
                                            " WHERE recipient = ? AND id = ?");
    dc_status rc = st != NULL && base != NULL && copy != NULL ? DC_OK : DC_STORE;
    size_t taken = 0;
    int step = SQLITE_DONE;
    while (rc == DC_OK && taken < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_time_us created = sqlite3_column_int64(st, 1);
        if (created >= cutoff)
            break;
        int64_t id = sqlite3_column_int64(st, 0), episode = sqlite3_column_int64(st, 2);
        /* an episode's first alert stays while a repetition may still be stored against it */
        if (episode == 0 && sqlite3_column_type(st, 3) != SQLITE_NULL &&
            sqlite3_column_int64(st, 3) >= cutoff)
            continue;
        char *text = NULL, *recipients = dc__sq_copy_text(sqlite3_column_text(st, 4));
        const char *body = (const char *)sqlite3_column_text(st, 5);
        if (recipients == NULL) {
            rc = DC_NOMEM;
            break;
        }
        if (episode != 0) {
            sqlite3_reset(base);
            sqlite3_bind_int64(base, 1, episode);
            const char *b = sqlite3_step(base) == SQLITE_ROW
                                ? (const char *)sqlite3_column_text(base, 0)
                                : "{}";
            rc = dc__alert_text(b, body, NULL, &text);
        } else {
            rc = dc__alert_text(body, NULL, NULL, &text);
        }
        if (rc == DC_INVALID) {
            rc = DC_OK; /* what was stored, as stored: the archive keeps even a damaged row */
            text = dc__sq_copy_text((const unsigned char *)body);
            if (text == NULL)
                rc = DC_NOMEM;
        }
        const char *to[8];
        char *extras[8] = {NULL};
        size_t n = dc__alert_recipients(recipients, to);
        for (size_t k = 0; rc == DC_OK && k < n; k++) {
            sqlite3_reset(copy);
            sqlite3_bind_text(copy, 1, to[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(copy, 2, id);
            if (sqlite3_step(copy) == SQLITE_ROW && sqlite3_column_type(copy, 0) != SQLITE_NULL &&
                (extras[k] = dc__sq_copy_text(sqlite3_column_text(copy, 0))) == NULL)
                rc = DC_NOMEM;
        }
        if (rc == DC_OK) {
            dc_expired e;
            memset(&e, 0, sizeof e);
            e.kind = DC_RETAIN_ALERTS;
            e.key = id;
            e.time = created;
            e.body = text;
            e.copies = n;
            e.recipients = to;
            e.extras = (const char *const *)extras;
            taken++;
            if (each(ctx, &e) != 0)
                taken = limit;
        }
        for (size_t k = 0; k < n; k++)
            dc_free(extras[k]);
        dc_free(text);
        dc_free(recipients);
    }
    if (rc == DC_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = DC_STORE;
    sqlite3_finalize(st);
    sqlite3_finalize(base);
    sqlite3_finalize(copy);
    return rc;
}

static dc_status expired_inbox(sqlite3 *db, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                               size_t limit, int (*each)(void *, const dc_expired *), void *ctx)
{
    sqlite3_stmt *st = reader_prepare(
        db, kind == DC_RETAIN_NOTICES
                ? "SELECT id, recipient, body, created, '', 0 FROM notices"
                  " WHERE id < (SELECT max(id) FROM notices) ORDER BY id"
                : "SELECT id, recipient, body, created, sender, acknowledged FROM messages"
                  " WHERE id < (SELECT max(id) FROM messages) ORDER BY id");
    if (st == NULL)
        return DC_STORE;
    /* an unacknowledged message stays ten times as long: it may still be waiting for its
     * read-back */
    dc_time_us unacknowledged = now - 10 * (now - cutoff);
    size_t taken = 0;
    int step;
    while (taken < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_time_us created = sqlite3_column_int64(st, 3);
        if (created >= cutoff)
            break;
        int acknowledged = sqlite3_column_int(st, 5);
        if (kind == DC_RETAIN_MESSAGES && !acknowledged && created >= unacknowledged)
            continue;
        const char *to = (const char *)sqlite3_column_text(st, 1);
        dc_expired e;
        memset(&e, 0, sizeof e);
        e.kind = kind;
        e.key = sqlite3_column_int64(st, 0);
        e.check = acknowledged;
        e.time = created;
        e.body = (const char *)sqlite3_column_text(st, 2);
        e.sender = (const char *)sqlite3_column_text(st, 4);
        e.copies = 1;
        e.recipients = &to;
        taken++;
        if (each(ctx, &e) != 0)
            break;
    }
    sqlite3_finalize(st);
    return DC_OK;
}

static dc_status expired_objects(dc_store *s, sqlite3 *db, dc_time_us cutoff, size_t limit,
                                 int (*each)(void *, const dc_expired *), void *ctx)
{
    sqlite3_stmt *st = reader_prepare(db, "SELECT " RECORD_COLUMNS " FROM objects"
                                          " WHERE state IN ('ended', 'withdrawn') AND updated < ?"
                                          " ORDER BY updated, row LIMIT ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, cutoff);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    dc_status rc = DC_OK;
    while (rc == DC_OK && sqlite3_step(st) == SQLITE_ROW) {
        dc_record r;
        uint8_t digest[DC_HASH_BYTES];
        /* a row that cannot be read stays for `audit verify` to report */
        if (dc__sq_read_record(st, &r) != DC_OK || dc_store_object_digest(s, &r, digest) != DC_OK) {
            dc_record_clear(&r);
            continue;
        }
        dc_expired e;
        memset(&e, 0, sizeof e);
        e.kind = DC_RETAIN_OBJECTS;
        e.key = r.row;
        e.check = r.object.version;
        e.time = r.updated;
        e.created = r.created;
        e.body = r.body;
        e.object_kind = (const char *)sqlite3_column_text(st, 1);
        e.owner = r.object.owner;
        e.id = r.object.id;
        e.state = (const char *)sqlite3_column_text(st, 5);
        e.version = r.object.version;
        e.priority = r.object.priority;
        e.is_public = r.is_public;
        e.admitted = (const char *)sqlite3_column_text(st, 10);
        e.volumes = sqlite3_column_blob(st, 9);
        e.volumes_size = (size_t)sqlite3_column_bytes(st, 9);
        e.digest = digest;
        int stop = each(ctx, &e);
        dc_record_clear(&r);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    return rc;
}

dc_status dc__sq_expired(dc_store *s, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                         size_t limit, int (*each)(void *, const dc_expired *), void *ctx)
{
    struct connection *c = dc__sq_acquire_reader(dc__sq(s));
    sqlite3 *db = c != NULL ? c->db : NULL;
    dc_status rc =
        db != NULL && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? DC_OK : DC_STORE;
    if (rc == DC_OK) {
        switch (kind) {
        case DC_RETAIN_AUDIT:
            rc = expired_audit(db, cutoff, limit, each, ctx);
            break;
        case DC_RETAIN_ALERTS:
            rc = expired_alerts(db, cutoff, limit, each, ctx);
            break;
        case DC_RETAIN_NOTICES:
        case DC_RETAIN_MESSAGES:
            rc = expired_inbox(db, kind, now, cutoff, limit, each, ctx);
            break;
        case DC_RETAIN_OBJECTS:
            rc = expired_objects(s, db, cutoff, limit, each, ctx);
            break;
        default:
            rc = DC_INVALID;
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (c != NULL)
        dc__sq_release_reader(dc__sq(s), c);
    return rc;
}

/* Run a one-row delete bound to (key[, check]): DC_STALE unless exactly that row went. */
static dc_status delete_one(dc_store *s, const char *sql, int64_t key, const int64_t *check)
{
    sqlite3_stmt *st = dc__sq_prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, key);
    if (check != NULL)
        sqlite3_bind_int64(st, 2, *check);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(dc__sq_db(s)) != 1)
        rc = DC_STALE;
    dc__sq_release(s, st);
    return rc;
}

static dc_status remove_alert(dc_store *s, int64_t id)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT recipients FROM alert_log WHERE id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    char *recipients = step == SQLITE_ROW ? dc__sq_copy_text(sqlite3_column_text(st, 0)) : NULL;
    dc__sq_release(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? DC_STALE : DC_STORE;
    if (recipients == NULL)
        return DC_NOMEM;
    const char *to[8];
    size_t n = dc__alert_recipients(recipients, to);
    st = dc__sq_prepare(s, "DELETE FROM alert_inbox WHERE recipient = ? AND id = ?");
    dc_status rc = st != NULL ? DC_OK : DC_STORE;
    for (size_t k = 0; rc == DC_OK && k < n; k++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, to[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    dc__sq_release(s, st);
    dc_free(recipients);
    return rc == DC_OK ? delete_one(s, "DELETE FROM alert_log WHERE id = ?", id, NULL) : rc;
}

static dc_status remove_object(dc_store *s, int64_t row, int64_t version)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT volume_count FROM objects WHERE row = ? AND version = ?"
                          " AND state IN ('ended', 'withdrawn')");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int64(st, 2, version);
    int step = sqlite3_step(st);
    int64_t volumes = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    dc__sq_release(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? DC_STALE : DC_STORE;
    dc_status rc = delete_one(s, "DELETE FROM objects WHERE row = ?", row, NULL);
    return rc == DC_OK ? dc__sq_remove_boxes(s, row, volumes) : rc;
}

/* Audit records leave as a run of consecutive seqs: one range, so one statement. */
static dc_status remove_audit(dc_store *s, const int64_t *seqs, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (seqs[i] != seqs[0] + (int64_t)i)
            return DC_STALE;
    sqlite3_stmt *st = dc__sq_prepare(s, "DELETE FROM audit WHERE seq >= ? AND seq <= ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, seqs[0]);
    sqlite3_bind_int64(st, 2, seqs[count - 1]);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && (size_t)sqlite3_changes(dc__sq_db(s)) != count)
        rc = DC_STALE;
    dc__sq_release(s, st);
    /* the archive keeps the records, their detail naming what each list read disclosed */
    if (rc == DC_OK)
        st = dc__sq_prepare(s, "DELETE FROM audit_names WHERE seq >= ? AND seq <= ?");
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_int64(st, 1, seqs[0]);
        sqlite3_bind_int64(st, 2, seqs[count - 1]);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        dc__sq_release(s, st);
    }
    return rc;
}

dc_status dc__sq_expired_remove(dc_store *s, dc_retained kind, const int64_t *keys,
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
            rc = delete_one(s, "DELETE FROM notices WHERE id = ?", keys[i], NULL);
            break;
        case DC_RETAIN_MESSAGES:
            rc = delete_one(s, "DELETE FROM messages WHERE id = ? AND acknowledged = ?", keys[i],
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

dc_status dc__sq_alert_episodes_prune(dc_store *s, dc_time_us now)
{
    return dc__sq_exec_int64(s, "DELETE FROM alert_episodes WHERE until < ?", now);
}

/* ---- archive segments ---- */

#define SEGMENT_COLUMNS                                                                            \
    "number, file, opened, updated, closed, bytes, lines, digest, prev_segment,"                   \
    " chain_before_seq, chain_before_hash, chain_seq, chain_hash, audit_rows, alert_rows,"         \
    " notice_rows, message_rows, object_rows"

static void read_segment(sqlite3_stmt *st, dc_segment *g)
{
    memset(g, 0, sizeof *g);
    g->number = sqlite3_column_int64(st, 0);
    dc_copy_text(g->file, sizeof g->file, (const char *)sqlite3_column_text(st, 1));
    g->opened = sqlite3_column_int64(st, 2);
    g->updated = sqlite3_column_int64(st, 3);
    g->closed = sqlite3_column_int(st, 4);
    g->bytes = sqlite3_column_int64(st, 5);
    g->lines = sqlite3_column_int64(st, 6);
    dc__sq_column_blob(st, 7, g->digest, DC_HASH_BYTES);
    dc__sq_column_blob(st, 8, g->prev_segment, DC_HASH_BYTES);
    g->chain_before_seq = sqlite3_column_int64(st, 9);
    dc__sq_column_blob(st, 10, g->chain_before_hash, DC_HASH_BYTES);
    g->chain_seq = sqlite3_column_int64(st, 11);
    dc__sq_column_blob(st, 12, g->chain_hash, DC_HASH_BYTES);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        g->rows[k] = sqlite3_column_int64(st, 13 + k);
}

dc_status dc__sq_segment_last(dc_store *s, dc_segment *out)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " SEGMENT_COLUMNS
                                         " FROM archive_segments ORDER BY number DESC LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW ? DC_OK : step == SQLITE_DONE ? DC_NOT_FOUND : DC_STORE;
    if (rc == DC_OK)
        read_segment(st, out);
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_segments(dc_store *s, int (*each)(void *, const dc_segment *), void *ctx)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT " SEGMENT_COLUMNS " FROM archive_segments ORDER BY number");
    if (st == NULL)
        return DC_STORE;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_segment g;
        read_segment(st, &g);
        if (each(ctx, &g) != 0)
            break;
    }
    dc__sq_release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

dc_status dc__sq_segment_save(dc_store *s, const dc_segment *g)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "INSERT OR REPLACE INTO archive_segments(" SEGMENT_COLUMNS
                                         ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, g->number);
    sqlite3_bind_text(st, 2, g->file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, g->opened);
    sqlite3_bind_int64(st, 4, g->updated);
    sqlite3_bind_int(st, 5, g->closed);
    sqlite3_bind_int64(st, 6, g->bytes);
    sqlite3_bind_int64(st, 7, g->lines);
    sqlite3_bind_blob(st, 8, g->digest, DC_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 9, g->prev_segment, DC_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 10, g->chain_before_seq);
    sqlite3_bind_blob(st, 11, g->chain_before_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 12, g->chain_seq);
    sqlite3_bind_blob(st, 13, g->chain_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        sqlite3_bind_int64(st, 14 + k, g->rows[k]);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

/* ---- size and age ---- */

/* The kind a table (or index, by its table) belongs to; DC_RETAIN_COUNT for the rest. */
static int kind_of_table(const char *table)
{
    static const struct {
        const char *prefix;
        dc_retained kind;
    } map[] = {{"audit", DC_RETAIN_AUDIT},     {"alert_", DC_RETAIN_ALERTS},
               {"notices", DC_RETAIN_NOTICES}, {"messages", DC_RETAIN_MESSAGES},
               {"objects", DC_RETAIN_OBJECTS}, {"volume_boxes", DC_RETAIN_OBJECTS}};
    for (size_t i = 0; table != NULL && i < sizeof map / sizeof map[0]; i++)
        if (strncmp(table, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].kind;
    return DC_RETAIN_COUNT;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = reader_prepare(db, sql);
    int64_t v = st != NULL && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
}

dc_status dc__sq_stats_read(dc_store *s, dc_store_stats *out)
{
    memset(out, 0, sizeof *out);
    struct connection *c = dc__sq_acquire_reader(dc__sq(s));
    sqlite3 *db = c != NULL ? c->db : NULL;
    dc_status rc =
        db != NULL && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? DC_OK : DC_STORE;
    sqlite3_stmt *st = rc == DC_OK
                           ? reader_prepare(db, "SELECT m.tbl_name, sum(d.pgsize) FROM dbstat d"
                                                " LEFT JOIN sqlite_schema m ON m.name = d.name"
                                                " GROUP BY d.name")
                           : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    while (rc == DC_OK && sqlite3_step(st) == SQLITE_ROW)
        out->bytes[kind_of_table((const char *)sqlite3_column_text(st, 0))] +=
            sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (rc == DC_OK) {
        int64_t page = scalar(db, "PRAGMA page_size");
        out->file_bytes = page * scalar(db, "PRAGMA page_count");
        out->free_bytes = page * scalar(db, "PRAGMA freelist_count");
        static const char *const counts[DC_RETAIN_COUNT] = {
            "SELECT count(*) FROM audit", "SELECT count(*) FROM alert_log",
            "SELECT count(*) FROM notices", "SELECT count(*) FROM messages",
            "SELECT count(*) FROM objects"};
        static const char *const oldest[DC_RETAIN_COUNT] = {
            "SELECT time FROM audit ORDER BY seq LIMIT 1",
            "SELECT created FROM alert_log ORDER BY id LIMIT 1",
            "SELECT created FROM notices ORDER BY id LIMIT 1",
            "SELECT created FROM messages ORDER BY id LIMIT 1",
            "SELECT min(updated) FROM objects WHERE state IN ('ended', 'withdrawn')"};
        for (int k = 0; k < DC_RETAIN_COUNT; k++) {
            out->rows[k] = scalar(db, counts[k]);
            out->oldest[k] = scalar(db, oldest[k]);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (c != NULL)
        dc__sq_release_reader(dc__sq(s), c);
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", dc__sq(s)->location);
    struct stat info;
    if (rc == DC_OK && stat(wal, &info) == 0)
        out->wal_bytes = (int64_t)info.st_size;
    return rc;
}

dc_status dc__sq_size_sample(dc_store *s, dc_time_us now, int64_t live_bytes, int64_t archive_bytes)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "INSERT OR REPLACE INTO size_samples(time, live_bytes,"
                                         " archive_bytes) VALUES (?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, live_bytes);
    sqlite3_bind_int64(st, 3, archive_bytes);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    st = rc == DC_OK ? dc__sq_prepare(s, "DELETE FROM size_samples WHERE time < ?") : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_int64(st, 1, now - INT64_C(86400000000));
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        dc__sq_release(s, st);
    }
    return rc;
}

dc_status dc__sq_size_growth(dc_store *s, dc_time_us now, dc_time_us over, double *live_per_s,
                             double *total_per_s)
{
    *live_per_s = *total_per_s = 0;
    /* the newest sample against the newest one at least `over` older (or, in a younger store,
     * the oldest) */
    sqlite3_stmt *st = dc__sq_prepare(
        s,
        "WITH b AS (SELECT * FROM size_samples WHERE time <= ?1 ORDER BY time DESC LIMIT 1),"
        " a AS (SELECT * FROM (SELECT * FROM size_samples WHERE time <= (SELECT time FROM b) - ?2"
        " ORDER BY time DESC LIMIT 1) UNION ALL SELECT * FROM (SELECT * FROM size_samples"
        " ORDER BY time LIMIT 1) LIMIT 1)"
        " SELECT a.time, a.live_bytes, a.archive_bytes, b.time, b.live_bytes, b.archive_bytes"
        " FROM a, b");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, over);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        double dt = (double)(sqlite3_column_int64(st, 3) - sqlite3_column_int64(st, 0)) / 1e6;
        int64_t live0 = sqlite3_column_int64(st, 1), live1 = sqlite3_column_int64(st, 4);
        int64_t all0 = live0 + sqlite3_column_int64(st, 2);
        int64_t all1 = live1 + sqlite3_column_int64(st, 5);
        if (dt > 0) {
            *live_per_s = (double)(live1 - live0) / dt;
            *total_per_s = (double)(all1 - all0) / dt;
        }
    }
    dc__sq_release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

static int64_t pragma_value(dc_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(dc__sq_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

dc_status dc__sq_reclaim(dc_store *s, int64_t max_pages, int64_t *freed)
{
    *freed = 0;
    pthread_mutex_lock(&dc__sq(s)->lock);
    dc_status rc = DC_OK;
    int64_t pages = pragma_value(s, "PRAGMA page_count");
    int64_t free_pages = pragma_value(s, "PRAGMA freelist_count");
    /* Free pages are reused by the next inserts (in the fleet soak a quarter of the file is
     * free at any time: what the archiver freed and ingest has not yet refilled): only a surplus
     * (retention shortened, a burst archived) is worth moving pages for. */
    if (pages > 0 && free_pages > 256 && free_pages * 2 > pages &&
        pragma_value(s, "PRAGMA auto_vacuum") == 2) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%lld)",
                 (long long)(free_pages < max_pages ? free_pages : max_pages));
        rc = dc__sq_exec(s, sql);
        if (rc == DC_OK)
            *freed = free_pages - pragma_value(s, "PRAGMA freelist_count");
    }
    /* The log is checkpointed every 1,000 pages by the commit that passes them and cut back to
     * journal_size_limit after; a forced checkpoint here held the lock for a whole log's copy. */
    pthread_mutex_unlock(&dc__sq(s)->lock);
    return rc;
}

/* ---- emergencies ---- */
