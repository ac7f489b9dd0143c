/* sqlite_parties.c - parties, their keys, limits and grants in the SQLite store */
#include "sqlite_internal.h"

dc_status dc__sq_party_add(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES],
                           dc_time_us now)
{
    if (dc__sq_party_exists(s, name) == DC_OK)
        return DC_CONFLICT;
    sqlite3_stmt *st =
        dc__sq_prepare(s, "INSERT INTO parties(name, key_hash, created, priority_ceiling)"
                          " VALUES (?, ?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, key_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, DC_PRIORITY_CEILING_DEFAULT);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

#define PARTY_COLUMNS                                                                              \
    "name, notation, priority_ceiling, key_revoked, created, key_hash, writes_per_s,"              \
    " writes_burst, messages_per_s, messages_burst, reports_per_s, reports_burst,"                 \
    " emergency_area_km2, emergency_validity_s"

static void read_party(sqlite3_stmt *st, dc_party *out)
{
    memset(out, 0, sizeof *out);
    dc_copy_text(out->name, sizeof out->name, (const char *)sqlite3_column_text(st, 0));
    dc_copy_text(out->notation, sizeof out->notation, (const char *)sqlite3_column_text(st, 1));
    out->priority_ceiling = sqlite3_column_int(st, 2);
    out->key_active = sqlite3_column_int(st, 3) == 0;
    out->created = sqlite3_column_int64(st, 4);
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        /* NULL (no override) reads as 0: the server's default */
        out->limits[c].per_s = sqlite3_column_double(st, 6 + 2 * c);
        out->limits[c].burst = sqlite3_column_double(st, 7 + 2 * c);
    }
    out->emergency_area_km2 = sqlite3_column_double(st, 12);
    out->emergency_validity_s = sqlite3_column_int64(st, 13);
}

dc_status dc__sq_party_by_key(dc_store *s, const uint8_t key_hash[DC_HASH_BYTES], dc_party *out)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " PARTY_COLUMNS
                                         " FROM parties WHERE key_hash = ? AND key_revoked = 0");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_blob(st, 1, key_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    dc_status rc = DC_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 5) == DC_HASH_BYTES &&
        dc_party_key_equal(sqlite3_column_blob(st, 5), key_hash)) {
        read_party(st, out);
        rc = DC_OK;
    }
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_party_get(dc_store *s, const char *name, dc_party *out)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " PARTY_COLUMNS " FROM parties WHERE name = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW ? DC_OK : step == SQLITE_DONE ? DC_NOT_FOUND : DC_STORE;
    if (rc == DC_OK)
        read_party(st, out);
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_parties(dc_store *s, int (*each)(void *ctx, const dc_party *party), void *ctx)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " PARTY_COLUMNS " FROM parties ORDER BY name");
    if (st == NULL)
        return DC_STORE;
    int step;
    dc_status rc = DC_OK;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_party p;
        read_party(st, &p);
        if (each(ctx, &p) != 0)
            rc = DC_CONFLICT;
    }
    if (rc == DC_OK && step != SQLITE_DONE)
        rc = DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

/* Run an UPDATE of one party bound as (value..., name): DC_NOT_FOUND when no such party. */
static dc_status party_update(dc_store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return DC_STORE;
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(dc__sq_db(s)) == 0)
        rc = DC_NOT_FOUND;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_party_set_key(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES])
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "UPDATE parties SET key_hash = ?, key_revoked = 0 WHERE name = ?");
    if (st != NULL) {
        sqlite3_bind_blob(st, 1, key_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}

dc_status dc__sq_party_revoke_key(dc_store *s, const char *name)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "UPDATE parties SET key_revoked = 1 WHERE name = ?");
    if (st != NULL)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return party_update(s, st);
}

dc_status dc__sq_party_set_ceiling(dc_store *s, const char *name, int priority_ceiling)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "UPDATE parties SET priority_ceiling = ? WHERE name = ?");
    if (st != NULL) {
        sqlite3_bind_int(st, 1, priority_ceiling);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}

dc_status dc__sq_party_set_limits(dc_store *s, const char *name,
                                  const dc_rate limits[DC_RATE_CLASSES])
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "UPDATE parties SET writes_per_s = ?, writes_burst = ?,"
                          " messages_per_s = ?, messages_burst = ?, reports_per_s = ?,"
                          " reports_burst = ? WHERE name = ?");
    if (st != NULL) {
        for (int c = 0; c < DC_RATE_CLASSES; c++) {
            /* 0 is stored as NULL: no override, whatever the server's default becomes */
            if (limits[c].per_s > 0)
                sqlite3_bind_double(st, 1 + 2 * c, limits[c].per_s);
            if (limits[c].burst > 0)
                sqlite3_bind_double(st, 2 + 2 * c, limits[c].burst);
        }
        sqlite3_bind_text(st, 7, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}

dc_status dc__sq_party_exists(dc_store *s, const char *name)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT 1 FROM parties WHERE name = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_NOT_FOUND;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_party_set_notation(dc_store *s, const char *name, const char *notation)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "UPDATE parties SET notation = ? WHERE name = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, notation, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(dc__sq_db(s)) == 0)
        rc = DC_NOT_FOUND;
    dc__sq_release(s, st);
    return rc;
}

static dc_status grant_statement(dc_store *s, const char *sql, const char *grantor,
                                 const char *grantee, dc_object_kind kind, dc_time_us now,
                                 int *changed_or_found)
{
    sqlite3_stmt *st = dc__sq_prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, grantor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, grantee, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, dc_kind_name(kind), -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 4)
        sqlite3_bind_int64(st, 4, now);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_DONE || step == SQLITE_ROW ? DC_OK : DC_STORE;
    *changed_or_found =
        step == SQLITE_ROW || (step == SQLITE_DONE && sqlite3_changes(dc__sq_db(s)) > 0 &&
                               strncmp(sql, "SELECT", 6) != 0);
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_grant_add(dc_store *s, const char *grantor, const char *grantee,
                           dc_object_kind kind, dc_time_us now)
{
    int changed = 0;
    dc_status rc = grant_statement(s,
                                   "INSERT OR IGNORE INTO grants(grantor, grantee, kind, created)"
                                   " VALUES (?, ?, ?, ?)",
                                   grantor, grantee, kind, now, &changed);
    return rc != DC_OK ? rc : changed ? DC_OK : DC_CONFLICT;
}

dc_status dc__sq_grant_remove(dc_store *s, const char *grantor, const char *grantee,
                              dc_object_kind kind)
{
    int changed = 0;
    dc_status rc =
        grant_statement(s, "DELETE FROM grants WHERE grantor = ? AND grantee = ? AND kind = ?",
                        grantor, grantee, kind, 0, &changed);
    return rc != DC_OK ? rc : changed ? DC_OK : DC_NOT_FOUND;
}

dc_status dc__sq_grant_exists(dc_store *s, const char *grantor, const char *grantee,
                              dc_object_kind kind)
{
    int found = 0;
    dc_status rc =
        grant_statement(s, "SELECT 1 FROM grants WHERE grantor = ? AND grantee = ? AND kind = ?",
                        grantor, grantee, kind, 0, &found);
    return rc != DC_OK ? rc : found ? DC_OK : DC_NOT_FOUND;
}

dc_status dc__sq_party_set_emergency(dc_store *s, const char *name, double area_km2,
                                     int64_t validity_s)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "UPDATE parties SET emergency_area_km2 = ?, emergency_validity_s = ? WHERE name = ?");
    if (st != NULL) {
        sqlite3_bind_double(st, 1, area_km2);
        sqlite3_bind_int64(st, 2, validity_s);
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}
