/* sqlite_emergency.c - emergency declarations, the hazards they suspend, and their counts, in the
 * SQLite store */
#include "sqlite_internal.h"

static dc_status step_done(dc_store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return DC_STORE;
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_emergency_put(dc_store *s, const dc_emergency *e)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "INSERT OR REPLACE INTO emergencies(owner, id, kind, state, declared, expires,"
           " validity_s, alert_distance_m, renewals, crew_lat, crew_lon, crew_radius_m)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, e->owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, e->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, dc_emergency_name(e->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->active ? "active" : e->state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, e->declared);
    sqlite3_bind_int64(st, 6, e->expires);
    sqlite3_bind_int64(st, 7, e->validity_s);
    sqlite3_bind_double(st, 8, e->alert_distance_m);
    sqlite3_bind_int64(st, 9, e->renewals);
    if (e->has_crew) {
        sqlite3_bind_double(st, 10, e->crew.lat);
        sqlite3_bind_double(st, 11, e->crew.lon);
        sqlite3_bind_double(st, 12, e->crew_radius_m);
    }
    return step_done(s, st);
}

#define EMERGENCY_COLUMNS                                                                          \
    "owner, id, kind, state, declared, expires, validity_s, alert_distance_m, renewals,"           \
    " crew_lat, crew_lon, crew_radius_m"

static dc_status read_emergency(sqlite3_stmt *st, dc_emergency *e)
{
    memset(e, 0, sizeof *e);
    dc_copy_text(e->owner, sizeof e->owner, (const char *)sqlite3_column_text(st, 0));
    dc_copy_text(e->id, sizeof e->id, (const char *)sqlite3_column_text(st, 1));
    if (dc_emergency_parse((const char *)sqlite3_column_text(st, 2), &e->kind) != DC_OK)
        return DC_STORE;
    dc_copy_text(e->state, sizeof e->state, (const char *)sqlite3_column_text(st, 3));
    e->active = strcmp(e->state, "active") == 0;
    e->declared = sqlite3_column_int64(st, 4);
    e->expires = sqlite3_column_int64(st, 5);
    e->validity_s = sqlite3_column_int64(st, 6);
    e->alert_distance_m = sqlite3_column_double(st, 7);
    e->renewals = sqlite3_column_int64(st, 8);
    e->has_crew = sqlite3_column_type(st, 9) != SQLITE_NULL;
    e->crew.lat = sqlite3_column_double(st, 9);
    e->crew.lon = sqlite3_column_double(st, 10);
    e->crew_radius_m = sqlite3_column_double(st, 11);
    return DC_OK;
}

dc_status dc__sq_emergency_get(dc_store *s, const char *owner, const char *id, dc_emergency *out)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " EMERGENCY_COLUMNS
                                         " FROM emergencies WHERE owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW    ? read_emergency(st, out)
                   : step == SQLITE_DONE ? DC_NOT_FOUND
                                         : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_emergencies(dc_store *s, const char *owner, int active_only, dc_time_us expired_at,
                             int (*each)(void *ctx, const dc_emergency *emergency), void *ctx)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT " EMERGENCY_COLUMNS " FROM emergencies"
                                         " WHERE (?1 IS NULL OR owner = ?1)"
                                         " AND (?2 = 0 OR state = 'active')"
                                         " AND (?3 = 0 OR expires <= ?3) ORDER BY owner, id");
    if (st == NULL)
        return DC_STORE;
    if (owner != NULL)
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, active_only != 0);
    sqlite3_bind_int64(st, 3, expired_at);
    dc_status rc = DC_OK;
    int step;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_emergency e;
        rc = read_emergency(st, &e);
        if (rc == DC_OK && each(ctx, &e) != 0)
            break;
    }
    if (rc == DC_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_suspension_add(dc_store *s, const char *hazard_owner, const char *hazard_id,
                                const char *emergency, dc_state prior, dc_time_us now)
{
    /* a hazard held by two emergencies goes back to what it was before the first */
    sqlite3_stmt *st = dc__sq_prepare(
        s, "INSERT OR IGNORE INTO suspensions(hazard_owner, hazard_id, emergency, prior, created)"
           " VALUES (?1, ?2, ?3, coalesce((SELECT prior FROM suspensions WHERE hazard_owner = ?1"
           " AND hazard_id = ?2 LIMIT 1), ?4), ?5)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, hazard_owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, hazard_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, emergency, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, dc_state_name(prior), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    return step_done(s, st);
}

struct held {
    char owner[DC_ID_MAX], id[DC_ID_MAX];
    dc_state prior;
};

dc_status dc__sq_suspensions_release(dc_store *s, const char *emergency, dc_time_us now,
                                     int (*each)(void *ctx, const char *owner, const char *id),
                                     void *ctx)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "DELETE FROM suspensions WHERE emergency = ?"
                                         " RETURNING hazard_owner, hazard_id, prior");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, emergency, -1, SQLITE_TRANSIENT);
    struct held *list = NULL;
    size_t count = 0, capacity = 0;
    dc_status rc = DC_OK;
    int step;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct held *grown = dc_grow(list, &capacity, count, sizeof *grown, 8);
        if (grown == NULL) {
            rc = DC_NOMEM;
            break;
        }
        list = grown;
        dc_copy_text(list[count].owner, DC_ID_MAX, (const char *)sqlite3_column_text(st, 0));
        dc_copy_text(list[count].id, DC_ID_MAX, (const char *)sqlite3_column_text(st, 1));
        if (dc_state_parse((const char *)sqlite3_column_text(st, 2), &list[count].prior) != DC_OK)
            rc = DC_STORE;
        count++;
    }
    if (rc == DC_OK && step != SQLITE_DONE)
        rc = DC_STORE;
    dc__sq_release(s, st);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        char others[8];
        rc = dc__sq_suspended_by(s, list[i].owner, list[i].id, others, sizeof others);
        if (rc != DC_OK || others[0] != '\0')
            continue; /* another emergency still holds it */
        st = dc__sq_prepare(s, "UPDATE objects SET state = ?, updated = ? WHERE kind = 'hazard'"
                               " AND owner = ? AND id = ? AND state = 'suspended'");
        if (st == NULL) {
            rc = DC_STORE;
            break;
        }
        sqlite3_bind_text(st, 1, dc_state_name(list[i].prior), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, list[i].owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, list[i].id, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        int changed = rc == DC_OK && sqlite3_changes(dc__sq_db(s)) > 0;
        dc__sq_release(s, st);
        if (changed && each(ctx, list[i].owner, list[i].id) != 0)
            break;
    }
    dc_free(list);
    return rc;
}

dc_status dc__sq_suspending(dc_store *s, int (*each)(void *ctx, const char *emergency), void *ctx)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT DISTINCT emergency FROM suspensions ORDER BY emergency");
    if (st == NULL)
        return DC_STORE;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (each(ctx, (const char *)sqlite3_column_text(st, 0)) != 0)
            break;
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_suspended_by(dc_store *s, const char *hazard_owner, const char *hazard_id,
                              char *out, size_t size)
{
    out[0] = '\0';
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT emergency FROM suspensions WHERE hazard_owner = ?"
                                         " AND hazard_id = ? ORDER BY emergency");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, hazard_owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, hazard_id, -1, SQLITE_TRANSIENT);
    int step;
    size_t used = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && used + 1 < size) {
        int n = snprintf(out + used, size - used, "%s%s", used ? "," : "",
                         (const char *)sqlite3_column_text(st, 0));
        used = n < 0 || (size_t)n >= size - used ? size - 1 : used + (size_t)n;
    }
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_emergency_count(dc_store *s, const char *party, const char *what, int64_t n)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "INSERT INTO emergency_counts(party, what, n) VALUES (?, ?, ?)"
                          " ON CONFLICT(party, what) DO UPDATE SET n = n + excluded.n");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, what, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, n);
    return step_done(s, st);
}

dc_status dc__sq_emergency_counts(dc_store *s, const char *party,
                                  int (*each)(void *ctx, const char *party, const char *what,
                                              int64_t n),
                                  void *ctx)
{
    sqlite3_stmt *st = dc__sq_prepare(s, "SELECT party, what, n FROM emergency_counts"
                                         " WHERE ?1 IS NULL OR party = ?1 ORDER BY party, what");
    if (st == NULL)
        return DC_STORE;
    if (party != NULL)
        sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (each(ctx, (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2)) != 0)
            break;
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}
