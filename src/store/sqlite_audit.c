/* sqlite_audit.c - the audit chain in the SQLite store: append, checkpoint, walks by object */
#include "sqlite_internal.h"

dc_status dc__sq_audit_append(dc_store *s, dc_audit_record *r,
                              const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    r->seq = 1;
    memset(r->prev_hash, 0, sizeof r->prev_hash);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == DC_HASH_BYTES) {
        r->seq = sqlite3_column_int64(st, 0) + 1;
        memcpy(r->prev_hash, sqlite3_column_blob(st, 1), DC_HASH_BYTES);
    }
    dc__sq_release(s, st);
    dc_status rc = dc_audit_seal(r, sk);
    if (rc != DC_OK)
        return rc;
    st = dc__sq_prepare(s, "INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, r->seq);
    sqlite3_bind_int64(st, 2, r->time);
    sqlite3_bind_text(st, 3, r->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, r->recipients, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, r->detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 8, r->prev_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 9, r->hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    /* an unsigned record (a later checkpoint vouches for it) stores no signature: 64 zero bytes
     * were a fifth of an alert's record */
    sqlite3_bind_blob(st, 10, r->signature, dc_audit_signed(r) ? DC_SIGNATURE_BYTES : 0,
                      SQLITE_TRANSIENT);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    if (rc == DC_OK) {
        dc__sq(s)->tx_head_seq = r->seq;
        memcpy(dc__sq(s)->tx_head_hash, r->hash, DC_HASH_BYTES);
    }
    return rc;
}

dc_status dc__sq_audit_checkpoint(dc_store *s, const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT * FROM audit ORDER BY seq DESC LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    dc_audit_record r;
    int found = sqlite3_step(st) == SQLITE_ROW;
    dc_status rc = found ? dc__sq_read_audit(st, &r) : DC_OK;
    dc__sq_release(s, st);
    if (rc != DC_OK || !found || dc_audit_signed(&r))
        return rc;
    if ((rc = dc_audit_seal(&r, sk)) != DC_OK)
        return rc;
    st = dc__sq_prepare(s, "UPDATE audit SET signature = ? WHERE seq = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_blob(st, 1, r.signature, DC_SIGNATURE_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r.seq);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

void dc__sq_column_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t size)
{
    memset(out, 0, size);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    const void *b = sqlite3_column_blob(st, col);
    if (b != NULL)
        memcpy(out, b, n < size ? n : size);
    if (n != size) /* a blob of the wrong length can never verify */
        out[0] ^= 0x5a;
}

/* One audit row into a record, with damaged fields made to fail verification. */
dc_status dc__sq_read_audit(sqlite3_stmt *st, dc_audit_record *r)
{
    DC_AUDIT_RECORD_CLEAR(r);
    r->seq = sqlite3_column_int64(st, 0);
    r->time = sqlite3_column_int64(st, 1);
    dc_copy_text(r->actor, sizeof r->actor, (const char *)sqlite3_column_text(st, 2));
    dc_copy_text(r->action, sizeof r->action, (const char *)sqlite3_column_text(st, 3));
    dc_copy_text(r->object, sizeof r->object, (const char *)sqlite3_column_text(st, 4));
    dc_copy_text(r->recipients, sizeof r->recipients, (const char *)sqlite3_column_text(st, 5));
    dc_copy_text(r->detail, sizeof r->detail, (const char *)sqlite3_column_text(st, 6));
    /* A text longer than its field was not written by this server. */
    for (int c = 2; c <= 6; c++) {
        size_t limits[] = {0,
                           0,
                           sizeof r->actor,
                           sizeof r->action,
                           sizeof r->object,
                           sizeof r->recipients,
                           sizeof r->detail};
        if ((size_t)sqlite3_column_bytes(st, c) >= limits[c])
            r->detail[0] ^= 1;
    }
    dc__sq_column_blob(st, 7, r->prev_hash, DC_HASH_BYTES);
    dc__sq_column_blob(st, 8, r->hash, DC_HASH_BYTES);
    if (sqlite3_column_bytes(st, 9) == 0)
        memset(r->signature, 0, DC_SIGNATURE_BYTES); /* unsigned, stored as no bytes */
    else
        dc__sq_column_blob(st, 9, r->signature, DC_SIGNATURE_BYTES);
    return DC_OK;
}

/* The runs of seqs the audit_by_run_object index is divided into (migration 8). */
#define AUDIT_RUN_BITS 16

/* The first and last run holding records; 0 and -1 when there are none. */
static dc_status audit_runs(dc_store *s, int64_t *first, int64_t *last)
{
    *first = 0;
    *last = -1;
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT min(seq), max(seq) FROM audit");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *first = sqlite3_column_int64(st, 0) >> AUDIT_RUN_BITS;
        *last = sqlite3_column_int64(st, 1) >> AUDIT_RUN_BITS;
    }
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_audit_walk(dc_store *s, const char *object,
                            int (*each)(void *, const dc_audit_record *), void *ctx)
{
    return dc__sq_audit_walk_after(s, object, 0, each, ctx);
}

dc_status dc__sq_audit_walk_after(dc_store *s, const char *object, int64_t after,
                                  int (*each)(void *, const dc_audit_record *), void *ctx)
{
    int64_t first = 0, last = 0;
    if (object == NULL)
        last = 0;
    else if (audit_runs(s, &first, &last) != DC_OK)
        return DC_STORE;
    if (first < (after >> AUDIT_RUN_BITS))
        first = after >> AUDIT_RUN_BITS;
    /* by object: the records about it and those of list reads naming it among others, merged
     * by seq within each run */
    sqlite3_stmt *st = dc__sq_prepare(
        s, object ? "SELECT * FROM audit WHERE (seq >> 16) = ?1 AND object = ?2 AND seq > ?3"
                    " UNION ALL SELECT a.* FROM audit_names n JOIN audit a ON a.seq = n.seq"
                    " WHERE n.object = ?2 AND n.seq >= (?1 << 16) AND n.seq < ((?1 + 1) << 16)"
                    " AND n.seq > ?3 ORDER BY 1"
                  : "SELECT * FROM audit WHERE seq > ?3 ORDER BY seq");
    if (st == NULL)
        return DC_STORE;
    dc_audit_record *r = dc_malloc(sizeof *r);
    if (r == NULL) {
        dc__sq_release(s, st);
        return DC_NOMEM;
    }
    int step = SQLITE_DONE, stop = 0;
    for (int64_t run = first; !stop && run <= last; run++) {
        sqlite3_reset(st);
        if (object != NULL) {
            sqlite3_bind_int64(st, 1, run);
            sqlite3_bind_text(st, 2, object, -1, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(st, 3, after);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            dc__sq_read_audit(st, r);
            if (each(ctx, r) != 0) {
                stop = 1;
                break;
            }
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            break;
    }
    dc_free(r);
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_audit_names(dc_store *s, int64_t seq, const char *const *objects, size_t n)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "INSERT OR IGNORE INTO audit_names(seq, object) VALUES (?, ?)");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_text(st, 2, objects[i], -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    dc__sq_release(s, st);
    return rc;
}
