/* pg_audit.c - the audit chain in the PostgreSQL store: append, checkpoint, walks by object
 *
 * The chain is the SQLite store's byte for byte (sqlite_audit.c): the same seq, prev_hash and
 * seal, an unsigned record stored with an empty signature, so that `audit verify` and receipts
 * verify alike whichever backend wrote them. Its one head needs no lock of its own: every write
 * transaction holds the cluster's write lock (pg.c), so the last record read here is the last
 * one committed by any instance. Walks read a page of records at a time (a whole chain does not
 * fit one result) and call back only once the page is read: a callback may use the store.
 */
#include "pg_internal.h"

#include <stddef.h>

/* Records a walk reads per statement. */
#define WALK_PAGE 512

void dc__pg_column_blob(const PGresult *res, int i, int col, uint8_t *out, size_t size)
{
    memset(out, 0, size);
    size_t n = 0;
    uint8_t *blob = dc__pg_copy_blob(res, i, col, &n);
    if (blob != NULL)
        memcpy(out, blob, n < size ? n : size);
    dc_free(blob);
    if (blob == NULL || n != size)
        out[0] ^= 0x5a;
}

void dc__pg_read_audit(const PGresult *res, int i, dc_audit_record *r)
{
    DC_AUDIT_RECORD_CLEAR(r);
    r->seq = dc__pg_get_int(res, i, 0);
    r->time = dc__pg_get_int(res, i, 1);
    dc_copy_text(r->actor, sizeof r->actor, dc__pg_get_text(res, i, 2));
    dc_copy_text(r->action, sizeof r->action, dc__pg_get_text(res, i, 3));
    dc_copy_text(r->object, sizeof r->object, dc__pg_get_text(res, i, 4));
    dc_copy_text(r->recipients, sizeof r->recipients, dc__pg_get_text(res, i, 5));
    dc_copy_text(r->detail, sizeof r->detail, dc__pg_get_text(res, i, 6));
    /* A text longer than its field was not written by this server. */
    const size_t limits[] = {sizeof r->actor, sizeof r->action, sizeof r->object,
                             sizeof r->recipients, sizeof r->detail};
    for (int c = 2; c <= 6; c++)
        if ((size_t)PQgetlength(res, i, c) >= limits[c - 2])
            r->detail[0] ^= 1;
    dc__pg_column_blob(res, i, 7, r->prev_hash, DC_HASH_BYTES);
    dc__pg_column_blob(res, i, 8, r->hash, DC_HASH_BYTES);
    /* no bytes: "\\x" in bytea's hex output ("" in the older escape output) */
    const char *signature = dc__pg_get_text(res, i, 9);
    if (signature[0] == '\0' || strcmp(signature, "\\x") == 0)
        memset(r->signature, 0, DC_SIGNATURE_BYTES); /* unsigned, stored as no bytes */
    else
        dc__pg_column_blob(res, i, 9, r->signature, DC_SIGNATURE_BYTES);
}

dc_status dc__pg_head_of(const PGresult *res, int64_t *next_seq, uint8_t prev_hash[DC_HASH_BYTES])
{
    *next_seq = 1;
    memset(prev_hash, 0, DC_HASH_BYTES);
    if (PQntuples(res) != 1)
        return DC_OK;
    size_t n = 0;
    uint8_t *hash = dc__pg_copy_blob(res, 0, 1, &n);
    if (hash == NULL)
        return DC_NOMEM;
    /* a head whose hash is damaged starts nothing: as SQLite, the append then collides */
    if (n == DC_HASH_BYTES) {
        *next_seq = dc__pg_get_int(res, 0, 0) + 1;
        memcpy(prev_hash, hash, DC_HASH_BYTES);
    }
    dc_free(hash);
    return DC_OK;
}

dc_status dc__pg_audit_append(dc_store *s, dc_audit_record *r,
                              const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    /* known to the write transaction without a round trip, but for a transaction that has yet
     * to send anything */
    if (!dc__pg_head(s, &r->seq, r->prev_hash)) {
        PGresult *res = dc__pg_run(s, PG_AUDIT_HEAD, NULL);
        if (res == NULL)
            return DC_STORE;
        dc_status rc = dc__pg_head_of(res, &r->seq, r->prev_hash);
        PQclear(res);
        if (rc != DC_OK)
            return rc;
    }
    dc_status rc = dc_audit_seal(r, sk);
    if (rc != DC_OK)
        return rc;
    dc_pg_params p = {0};
    dc__pg_int(&p, r->seq);
    dc__pg_int(&p, r->time);
    dc__pg_text(&p, r->actor);
    dc__pg_text(&p, r->action);
    dc__pg_text(&p, r->object);
    dc__pg_text(&p, r->recipients);
    dc__pg_text(&p, r->detail);
    dc__pg_blob(&p, r->prev_hash, DC_HASH_BYTES);
    dc__pg_blob(&p, r->hash, DC_HASH_BYTES);
    /* an unsigned record (a later checkpoint vouches for it) stores no signature */
    dc__pg_blob(&p, r->signature, dc_audit_signed(r) ? DC_SIGNATURE_BYTES : 0);
    rc = dc__pg_exec(s,
                     "INSERT INTO audit(" PG_AUDIT_COLUMNS ")"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                     &p);
    if (rc == DC_OK)
        dc__pg_head_set(s, r->seq + 1, r->hash);
    return rc;
}

dc_status dc__pg_audit_checkpoint(dc_store *s, const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    PGresult *res =
        dc__pg_run(s, "SELECT " PG_AUDIT_COLUMNS " FROM audit ORDER BY seq DESC LIMIT 1", NULL);
    if (res == NULL)
        return DC_STORE;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DC_OK;
    }
    dc_audit_record *r = dc_malloc(sizeof *r);
    if (r == NULL) {
        PQclear(res);
        return DC_NOMEM;
    }
    dc__pg_read_audit(res, 0, r);
    PQclear(res);
    dc_status rc = dc_audit_signed(r) ? DC_NOT_FOUND : dc_audit_seal(r, sk);
    if (rc == DC_OK) {
        dc_pg_params p = {0};
        dc__pg_blob(&p, r->signature, DC_SIGNATURE_BYTES);
        dc__pg_int(&p, r->seq);
        rc = dc__pg_exec(s, "UPDATE audit SET signature = $1 WHERE seq = $2", &p);
    }
    dc_free(r);
    return rc == DC_NOT_FOUND ? DC_OK : rc; /* signed already: nothing to do */
}

dc_status dc__pg_audit_walk(dc_store *s, const char *object,
                            int (*each)(void *, const dc_audit_record *), void *ctx)
{
    return dc__pg_audit_walk_after(s, object, 0, each, ctx);
}

/* One page of the walk after seq `after`, ordered by seq. By object, the records about it and
 * those naming it among others (a record may be both, and then comes twice, as in SQLite). */
static PGresult *walk_page(dc_store *s, const char *object, int64_t after)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, after);
    dc__pg_int(&p, WALK_PAGE);
    if (object == NULL)
        return dc__pg_run(s,
                          "SELECT " PG_AUDIT_COLUMNS " FROM audit WHERE seq > $1"
                          " ORDER BY seq LIMIT $2",
                          &p);
    dc__pg_text(&p, object);
    return dc__pg_run(s,
                      "SELECT * FROM (SELECT " PG_AUDIT_COLUMNS " FROM audit"
                      " WHERE object = $3 AND seq > $1 UNION ALL SELECT a.seq, a.time, a.actor,"
                      " a.action, a.object, a.recipients, a.detail, a.prev_hash, a.hash,"
                      " a.signature FROM audit_names n JOIN audit a ON a.seq = n.seq"
                      " WHERE n.object = $3 AND n.seq > $1) w ORDER BY seq LIMIT $2",
                      &p);
}

dc_status dc__pg_audit_walk_after(dc_store *s, const char *object, int64_t after,
                                  int (*each)(void *, const dc_audit_record *), void *ctx)
{
    dc_audit_record *r = dc_malloc(sizeof *r);
    if (r == NULL)
        return DC_NOMEM;
    dc_status rc = DC_OK;
    for (int more = 1, stop = 0; more && !stop;) {
        PGresult *res = walk_page(s, object, after);
        if (res == NULL) {
            rc = DC_STORE;
            break;
        }
        int n = PQntuples(res), upto = n;
        more = n == WALK_PAGE;
        /* a full page may have cut a record's two copies apart: its last seq goes again next */
        if (more && object != NULL) {
            int64_t last = dc__pg_get_int(res, n - 1, 0);
            while (upto > 0 && dc__pg_get_int(res, upto - 1, 0) == last)
                upto--;
        }
        for (int i = 0; i < upto && !stop; i++) {
            dc__pg_read_audit(res, i, r);
            after = r->seq;
            stop = each(ctx, r) != 0;
        }
        PQclear(res);
    }
    dc_free(r);
    return rc;
}

dc_status dc__pg_audit_names(dc_store *s, int64_t seq, const char *const *objects, size_t n)
{
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        dc_pg_params p = {0};
        dc__pg_int(&p, seq);
        dc__pg_text(&p, objects[i]);
        rc = dc__pg_exec(s,
                         "INSERT INTO audit_names(seq, object) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING",
                         &p);
    }
    return rc;
}
