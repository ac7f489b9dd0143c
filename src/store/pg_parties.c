/* pg_parties.c - parties, their keys, limits and grants, the disclosure ledger and the probing
 * records in the PostgreSQL store (as sqlite_parties.c and sqlite_inbox.c keep them) */
#include "pg_internal.h"

#include <math.h>

/* SQLite binds a NaN as NULL: the same here, so that a NOT NULL column refuses it on both
 * backends alike instead of PostgreSQL alone storing it. */
static void real_or_null(dc_pg_params *p, double value)
{
    if (isnan(value))
        dc__pg_text(p, NULL);
    else
        dc__pg_real(p, value);
}

/* Rows a command changed (an UPDATE's, an INSERT's, a DELETE's). */
static int64_t changed_rows(const PGresult *r)
{
    return strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* Run an UPDATE of one party: DC_NOT_FOUND when no such party. */
static dc_status party_update(dc_store *s, const char *sql, const dc_pg_params *p)
{
    PGresult *r = dc__pg_run(s, sql, p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = changed_rows(r) > 0 ? DC_OK : DC_NOT_FOUND;
    PQclear(r);
    return rc;
}

dc_status dc__pg_party_add(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES],
                           dc_time_us now)
{
    dc_status rc = dc__pg_party_exists(s, name);
    if (rc == DC_OK)
        return DC_CONFLICT;
    if (rc != DC_NOT_FOUND)
        return rc;
    dc_pg_params p = {0};
    dc__pg_text(&p, name);
    dc__pg_blob(&p, key_hash, DC_HASH_BYTES);
    dc__pg_int(&p, now);
    dc__pg_int(&p, DC_PRIORITY_CEILING_DEFAULT);
    /* a key hash already taken fails the insert (UNIQUE): DC_STORE, as in SQLite */
    return dc__pg_exec(s,
                       "INSERT INTO parties(name, key_hash, created, priority_ceiling)"
                       " VALUES ($1, $2, $3, $4)",
                       &p);
}

#define PARTY_COLUMNS                                                                              \
    "name, notation, priority_ceiling, key_revoked, created, key_hash, writes_per_s,"              \
    " writes_burst, messages_per_s, messages_burst, reports_per_s, reports_burst,"                 \
    " emergency_area_km2, emergency_validity_s"

static void read_party(const PGresult *r, int row, dc_party *out)
{
    memset(out, 0, sizeof *out);
    dc_copy_text(out->name, sizeof out->name, dc__pg_get_text(r, row, 0));
    dc_copy_text(out->notation, sizeof out->notation, dc__pg_get_text(r, row, 1));
    out->priority_ceiling = (int)dc__pg_get_int(r, row, 2);
    out->key_active = dc__pg_get_int(r, row, 3) == 0;
    out->created = dc__pg_get_int(r, row, 4);
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        /* NULL (no override) reads as 0: the server's default */
        out->limits[c].per_s = dc__pg_get_real(r, row, 6 + 2 * c);
        out->limits[c].burst = dc__pg_get_real(r, row, 7 + 2 * c);
    }
    out->emergency_area_km2 = dc__pg_get_real(r, row, 12);
    out->emergency_validity_s = dc__pg_get_int(r, row, 13);
}

dc_status dc__pg_party_by_key(dc_store *s, const uint8_t key_hash[DC_HASH_BYTES], dc_party *out)
{
    dc_pg_params p = {0};
    dc__pg_blob(&p, key_hash, DC_HASH_BYTES);
    PGresult *r = dc__pg_run(
        s, "SELECT " PARTY_COLUMNS " FROM parties WHERE key_hash = $1 AND key_revoked = 0", &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_NOT_FOUND;
    if (PQntuples(r) > 0) {
        /* the index found it; the comparison that admits a key takes constant time */
        size_t n = 0;
        uint8_t *stored = dc__pg_copy_blob(r, 0, 5, &n);
        if (stored == NULL)
            rc = DC_NOMEM;
        else if (n == DC_HASH_BYTES && dc_party_key_equal(stored, key_hash)) {
            read_party(r, 0, out);
            rc = DC_OK;
        }
        dc_free(stored);
    }
    PQclear(r);
    return rc;
}

dc_status dc__pg_party_get(dc_store *s, const char *name, dc_party *out)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, name);
    PGresult *r = dc__pg_run(s, "SELECT " PARTY_COLUMNS " FROM parties WHERE name = $1", &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = PQntuples(r) > 0 ? DC_OK : DC_NOT_FOUND;
    if (rc == DC_OK)
        read_party(r, 0, out);
    PQclear(r);
    return rc;
}

dc_status dc__pg_parties(dc_store *s, int (*each)(void *ctx, const dc_party *party), void *ctx)
{
    /* by name byte for byte, as SQLite orders text, whatever the database's collation */
    PGresult *r =
        dc__pg_run(s, "SELECT " PARTY_COLUMNS " FROM parties ORDER BY name COLLATE \"C\"", NULL);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < PQntuples(r); i++) {
        dc_party party;
        read_party(r, i, &party);
        if (each(ctx, &party) != 0)
            rc = DC_CONFLICT;
    }
    PQclear(r);
    return rc;
}

dc_status dc__pg_party_set_key(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES])
{
    dc_pg_params p = {0};
    dc__pg_blob(&p, key_hash, DC_HASH_BYTES);
    dc__pg_text(&p, name);
    return party_update(s, "UPDATE parties SET key_hash = $1, key_revoked = 0 WHERE name = $2", &p);
}

dc_status dc__pg_party_revoke_key(dc_store *s, const char *name)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, name);
    return party_update(s, "UPDATE parties SET key_revoked = 1 WHERE name = $1", &p);
}

dc_status dc__pg_party_set_ceiling(dc_store *s, const char *name, int priority_ceiling)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, priority_ceiling);
    dc__pg_text(&p, name);
    return party_update(s, "UPDATE parties SET priority_ceiling = $1 WHERE name = $2", &p);
}

dc_status dc__pg_party_set_limits(dc_store *s, const char *name,
                                  const dc_rate limits[DC_RATE_CLASSES])
{
    dc_pg_params p = {0};
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        /* 0 is stored as NULL: no override, whatever the server's default becomes */
        if (limits[c].per_s > 0)
            dc__pg_real(&p, limits[c].per_s);
        else
            dc__pg_text(&p, NULL);
        if (limits[c].burst > 0)
            dc__pg_real(&p, limits[c].burst);
        else
            dc__pg_text(&p, NULL);
    }
    dc__pg_text(&p, name);
    return party_update(s,
                        "UPDATE parties SET writes_per_s = $1, writes_burst = $2,"
                        " messages_per_s = $3, messages_burst = $4, reports_per_s = $5,"
                        " reports_burst = $6 WHERE name = $7",
                        &p);
}

dc_status dc__pg_party_exists(dc_store *s, const char *name)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, name);
    PGresult *r = dc__pg_run(s, "SELECT 1 FROM parties WHERE name = $1", &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = PQntuples(r) > 0 ? DC_OK : DC_NOT_FOUND;
    PQclear(r);
    return rc;
}

dc_status dc__pg_party_set_notation(dc_store *s, const char *name, const char *notation)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, notation);
    dc__pg_text(&p, name);
    return party_update(s, "UPDATE parties SET notation = $1 WHERE name = $2", &p);
}

dc_status dc__pg_party_set_emergency(dc_store *s, const char *name, double area_km2,
                                     int64_t validity_s)
{
    dc_pg_params p = {0};
    real_or_null(&p, area_km2);
    dc__pg_int(&p, validity_s);
    dc__pg_text(&p, name);
    return party_update(
        s, "UPDATE parties SET emergency_area_km2 = $1, emergency_validity_s = $2 WHERE name = $3",
        &p);
}

/* ---- grants ---- */

/* Run a grant's statement bound as (grantor, grantee, kind[, now]): *hits is the rows it changed
 * or found. */
static dc_status grant_statement(dc_store *s, const char *sql, const char *grantor,
                                 const char *grantee, dc_object_kind kind, const dc_time_us *now,
                                 int64_t *hits)
{
    *hits = 0;
    dc_pg_params p = {0};
    dc__pg_text(&p, grantor);
    dc__pg_text(&p, grantee);
    dc__pg_text(&p, dc_kind_name(kind));
    if (now != NULL)
        dc__pg_int(&p, *now);
    PGresult *r = dc__pg_run(s, sql, &p);
    if (r == NULL)
        return DC_STORE;
    *hits = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : changed_rows(r);
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_grant_add(dc_store *s, const char *grantor, const char *grantee,
                           dc_object_kind kind, dc_time_us now)
{
    int64_t added = 0;
    dc_status rc = grant_statement(s,
                                   "INSERT INTO grants(grantor, grantee, kind, created)"
                                   " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                   grantor, grantee, kind, &now, &added);
    return rc != DC_OK ? rc : added > 0 ? DC_OK : DC_CONFLICT;
}

dc_status dc__pg_grant_remove(dc_store *s, const char *grantor, const char *grantee,
                              dc_object_kind kind)
{
    int64_t removed = 0;
    dc_status rc =
        grant_statement(s, "DELETE FROM grants WHERE grantor = $1 AND grantee = $2 AND kind = $3",
                        grantor, grantee, kind, NULL, &removed);
    return rc != DC_OK ? rc : removed > 0 ? DC_OK : DC_NOT_FOUND;
}

dc_status dc__pg_grant_exists(dc_store *s, const char *grantor, const char *grantee,
                              dc_object_kind kind)
{
    int64_t found = 0;
    dc_status rc =
        grant_statement(s, "SELECT 1 FROM grants WHERE grantor = $1 AND grantee = $2 AND kind = $3",
                        grantor, grantee, kind, NULL, &found);
    return rc != DC_OK ? rc : found > 0 ? DC_OK : DC_NOT_FOUND;
}

/* ---- disclosure ledger and probing ---- */

dc_status dc__pg_disclosure_spent(dc_store *s, const char *viewer, const char *object, int64_t day,
                                  double *area_m2, int *mapped)
{
    *area_m2 = 0;
    *mapped = 0;
    dc_pg_params p = {0};
    dc__pg_text(&p, viewer);
    dc__pg_text(&p, object);
    dc__pg_int(&p, day);
    PGresult *r = dc__pg_run(
        s, "SELECT area_m2, mapped FROM disclosures WHERE viewer = $1 AND object = $2 AND day = $3",
        &p);
    if (r == NULL)
        return DC_STORE;
    if (PQntuples(r) > 0) {
        *area_m2 = dc__pg_get_real(r, 0, 0);
        *mapped = (int)dc__pg_get_int(r, 0, 1);
    }
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_disclosure_charge(dc_store *s, const char *viewer, const char *object, int64_t day,
                                   double area_m2, int mapped)
{
    /* days before yesterday are no budget's concern: the ledger stays two days long */
    dc_pg_params before = {0};
    dc__pg_int(&before, day - 1);
    if (dc__pg_exec(s, "DELETE FROM disclosures WHERE day < $1", &before) != DC_OK)
        return DC_STORE;
    dc_pg_params p = {0};
    dc__pg_text(&p, viewer);
    dc__pg_text(&p, object);
    dc__pg_int(&p, day);
    real_or_null(&p, area_m2);
    dc__pg_int(&p, mapped != 0);
    return dc__pg_exec(s,
                       "INSERT INTO disclosures(viewer, object, day, area_m2, notices, mapped)"
                       " VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT(viewer, object, day) DO UPDATE"
                       " SET area_m2 = disclosures.area_m2 + excluded.area_m2,"
                       " notices = disclosures.notices + 1,"
                       " mapped = greatest(disclosures.mapped, excluded.mapped)",
                       &p);
}

dc_status dc__pg_site_refusal_add(dc_store *s, const char *party, const char *site, dc_time_us now,
                                  dc_time_us since, int64_t *in_window)
{
    *in_window = 0;
    dc_pg_params old = {0};
    dc__pg_int(&old, since);
    if (dc__pg_exec(s, "DELETE FROM site_refusals WHERE time < $1", &old) != DC_OK)
        return DC_STORE;
    dc_pg_params p = {0};
    dc__pg_text(&p, party);
    dc__pg_text(&p, site);
    dc__pg_int(&p, now);
    if (dc__pg_exec(s, "INSERT INTO site_refusals(party, site, time) VALUES ($1, $2, $3)", &p) !=
        DC_OK)
        return DC_STORE;
    dc_pg_params q = {0};
    dc__pg_text(&q, party);
    dc__pg_text(&q, site);
    dc__pg_int(&q, since);
    PGresult *r = dc__pg_run(s,
                             "SELECT count(*) FROM site_refusals"
                             " WHERE party = $1 AND site = $2 AND time >= $3",
                             &q);
    if (r == NULL)
        return DC_STORE;
    *in_window = dc__pg_get_int(r, 0, 0);
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_probed_sites(dc_store *s, const char *party, dc_time_us since, int64_t limit,
                              int (*each)(void *ctx, const char *site), void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, party);
    dc__pg_int(&p, since);
    dc__pg_int(&p, limit);
    /* by site byte for byte: the order SQLite's walk of its index gives */
    PGresult *r = dc__pg_run(s,
                             "SELECT site FROM site_refusals WHERE party = $1 AND time >= $2"
                             " GROUP BY site HAVING count(*) > $3 ORDER BY site COLLATE \"C\"",
                             &p);
    if (r == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(r); i++)
        if (each(ctx, dc__pg_get_text(r, i, 0)) != 0)
            break;
    PQclear(r);
    return DC_OK;
}
