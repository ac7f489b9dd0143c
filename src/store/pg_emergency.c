/* pg_emergency.c - emergency declarations, the hazards they suspend, and their counts, in the
 * PostgreSQL store
 *
 * As sqlite_emergency.c, statement for statement. Texts order bytewise (the schema's COLLATE
 * "C", as SQLite's BINARY), and the hazards an emergency releases come in the order they were
 * suspended (`added`, as SQLite's rowid), since each becomes a notice and an audit record in that
 * order.
 */
#include "pg_internal.h"

dc_status dc__pg_emergency_put(dc_store *s, const dc_emergency *e)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, e->owner);
    dc__pg_text(&p, e->id);
    dc__pg_text(&p, dc_emergency_name(e->kind));
    dc__pg_text(&p, e->active ? "active" : e->state);
    dc__pg_int(&p, e->declared);
    dc__pg_int(&p, e->expires);
    dc__pg_int(&p, e->validity_s);
    dc__pg_real(&p, e->alert_distance_m);
    dc__pg_int(&p, e->renewals);
    if (e->has_crew) {
        dc__pg_real(&p, e->crew.lat);
        dc__pg_real(&p, e->crew.lon);
        dc__pg_real(&p, e->crew_radius_m);
    } else {
        for (int k = 0; k < 3; k++)
            dc__pg_text(&p, NULL);
    }
    return dc__pg_exec(
        s,
        "INSERT INTO emergencies(owner, id, kind, state, declared, expires, validity_s,"
        " alert_distance_m, renewals, crew_lat, crew_lon, crew_radius_m)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (owner, id) DO UPDATE SET kind = excluded.kind, state = excluded.state,"
        " declared = excluded.declared, expires = excluded.expires,"
        " validity_s = excluded.validity_s, alert_distance_m = excluded.alert_distance_m,"
        " renewals = excluded.renewals, crew_lat = excluded.crew_lat,"
        " crew_lon = excluded.crew_lon, crew_radius_m = excluded.crew_radius_m",
        &p);
}

#define EMERGENCY_COLUMNS                                                                          \
    "owner, id, kind, state, declared, expires, validity_s, alert_distance_m, renewals,"           \
    " crew_lat, crew_lon, crew_radius_m"

static dc_status read_emergency(const PGresult *res, int i, dc_emergency *e)
{
    memset(e, 0, sizeof *e);
    dc_copy_text(e->owner, sizeof e->owner, dc__pg_get_text(res, i, 0));
    dc_copy_text(e->id, sizeof e->id, dc__pg_get_text(res, i, 1));
    if (dc_emergency_parse(dc__pg_get_text(res, i, 2), &e->kind) != DC_OK)
        return DC_STORE;
    dc_copy_text(e->state, sizeof e->state, dc__pg_get_text(res, i, 3));
    e->active = strcmp(e->state, "active") == 0;
    e->declared = dc__pg_get_int(res, i, 4);
    e->expires = dc__pg_get_int(res, i, 5);
    e->validity_s = dc__pg_get_int(res, i, 6);
    e->alert_distance_m = dc__pg_get_real(res, i, 7);
    e->renewals = dc__pg_get_int(res, i, 8);
    e->has_crew = !dc__pg_is_null(res, i, 9);
    e->crew.lat = dc__pg_get_real(res, i, 9);
    e->crew.lon = dc__pg_get_real(res, i, 10);
    e->crew_radius_m = dc__pg_get_real(res, i, 11);
    return DC_OK;
}

dc_status dc__pg_emergency_get(dc_store *s, const char *owner, const char *id, dc_emergency *out)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, owner);
    dc__pg_text(&p, id);
    PGresult *res = dc__pg_run(
        s, "SELECT " EMERGENCY_COLUMNS " FROM emergencies WHERE owner = $1 AND id = $2", &p);
    if (res == NULL)
        return DC_STORE;
    dc_status rc = PQntuples(res) == 1 ? read_emergency(res, 0, out) : DC_NOT_FOUND;
    PQclear(res);
    return rc;
}

dc_status dc__pg_emergencies(dc_store *s, const char *owner, int active_only, dc_time_us expired_at,
                             int (*each)(void *ctx, const dc_emergency *emergency), void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, owner);
    dc__pg_int(&p, active_only != 0);
    dc__pg_int(&p, expired_at);
    PGresult *res = dc__pg_run(s,
                               "SELECT " EMERGENCY_COLUMNS " FROM emergencies"
                               " WHERE ($1::text IS NULL OR owner = $1)"
                               " AND ($2::integer = 0 OR state = 'active')"
                               " AND ($3::bigint = 0 OR expires <= $3)"
                               " ORDER BY owner, id",
                               &p);
    if (res == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < PQntuples(res); i++) {
        dc_emergency e;
        rc = read_emergency(res, i, &e);
        if (rc == DC_OK && each(ctx, &e) != 0)
            break;
    }
    PQclear(res);
    return rc;
}

dc_status dc__pg_suspension_add(dc_store *s, const char *hazard_owner, const char *hazard_id,
                                const char *emergency, dc_state prior, dc_time_us now)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, hazard_owner);
    dc__pg_text(&p, hazard_id);
    dc__pg_text(&p, emergency);
    dc__pg_text(&p, dc_state_name(prior));
    dc__pg_int(&p, now);
    /* a hazard held by two emergencies goes back to what it was before the first */
    return dc__pg_exec(
        s,
        "INSERT INTO suspensions(hazard_owner, hazard_id, emergency, prior, created)"
        " VALUES ($1, $2, $3, coalesce((SELECT prior FROM suspensions WHERE hazard_owner = $1"
        " AND hazard_id = $2 ORDER BY emergency LIMIT 1), $4), $5)"
        " ON CONFLICT DO NOTHING",
        &p);
}

struct held {
    char owner[DC_ID_MAX], id[DC_ID_MAX];
    dc_state prior;
};

/* Give the hazard back its prior state if it is still suspended: 1 when it was, 0 when not, -1
 * when the store refused. */
static int give_back(dc_store *s, const struct held *h, dc_time_us now)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, dc_state_name(h->prior));
    dc__pg_int(&p, now);
    dc__pg_text(&p, h->owner);
    dc__pg_text(&p, h->id);
    PGresult *res = dc__pg_run(s,
                               "UPDATE objects SET state = $1, updated = $2 WHERE kind = 'hazard'"
                               " AND owner = $3 AND id = $4 AND state = 'suspended'",
                               &p);
    if (res == NULL)
        return -1;
    int changed = strtol(PQcmdTuples(res), NULL, 10) > 0;
    PQclear(res);
    return changed;
}

dc_status dc__pg_suspensions_release(dc_store *s, const char *emergency, dc_time_us now,
                                     int (*each)(void *ctx, const char *owner, const char *id),
                                     void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, emergency);
    PGresult *res = dc__pg_run(s,
                               "WITH gone AS (DELETE FROM suspensions WHERE emergency = $1"
                               " RETURNING hazard_owner, hazard_id, prior, added)"
                               " SELECT hazard_owner, hazard_id, prior FROM gone ORDER BY added",
                               &p);
    if (res == NULL)
        return DC_STORE;
    size_t count = (size_t)PQntuples(res);
    struct held *list = dc_calloc(count ? count : 1, sizeof *list);
    dc_status rc = list != NULL ? DC_OK : DC_NOMEM;
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        dc_copy_text(list[i].owner, DC_ID_MAX, dc__pg_get_text(res, (int)i, 0));
        dc_copy_text(list[i].id, DC_ID_MAX, dc__pg_get_text(res, (int)i, 1));
        if (dc_state_parse(dc__pg_get_text(res, (int)i, 2), &list[i].prior) != DC_OK)
            rc = DC_STORE;
    }
    PQclear(res);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        char others[8];
        rc = dc__pg_suspended_by(s, list[i].owner, list[i].id, others, sizeof others);
        if (rc != DC_OK || others[0] != '\0')
            continue; /* another emergency still holds it */
        int changed = give_back(s, &list[i], now);
        if (changed < 0)
            rc = DC_STORE;
        else if (changed && each(ctx, list[i].owner, list[i].id) != 0)
            break;
    }
    dc_free(list);
    return rc;
}

dc_status dc__pg_suspending(dc_store *s, int (*each)(void *ctx, const char *emergency), void *ctx)
{
    PGresult *res = dc__pg_run(s,
                               "SELECT DISTINCT emergency FROM suspensions"
                               " ORDER BY 1",
                               NULL);
    if (res == NULL)
        return DC_STORE;
    /* `each` may release what it is given (emergency_end.c): the result is read whole first */
    for (int i = 0; i < PQntuples(res); i++)
        if (each(ctx, dc__pg_get_text(res, i, 0)) != 0)
            break;
    PQclear(res);
    return DC_OK;
}

dc_status dc__pg_suspended_by(dc_store *s, const char *hazard_owner, const char *hazard_id,
                              char *out, size_t size)
{
    out[0] = '\0';
    dc_pg_params p = {0};
    dc__pg_text(&p, hazard_owner);
    dc__pg_text(&p, hazard_id);
    PGresult *res = dc__pg_run(s,
                               "SELECT emergency FROM suspensions WHERE hazard_owner = $1"
                               " AND hazard_id = $2 ORDER BY emergency",
                               &p);
    if (res == NULL)
        return DC_STORE;
    size_t used = 0;
    for (int i = 0; i < PQntuples(res) && used + 1 < size; i++) {
        int n =
            snprintf(out + used, size - used, "%s%s", used ? "," : "", dc__pg_get_text(res, i, 0));
        used = n < 0 || (size_t)n >= size - used ? size - 1 : used + (size_t)n;
    }
    PQclear(res);
    return DC_OK;
}

dc_status dc__pg_emergency_count(dc_store *s, const char *party, const char *what, int64_t n)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, party);
    dc__pg_text(&p, what);
    dc__pg_int(&p, n);
    return dc__pg_exec(
        s,
        "INSERT INTO emergency_counts(party, what, n) VALUES ($1, $2, $3)"
        " ON CONFLICT (party, what) DO UPDATE SET n = emergency_counts.n + excluded.n",
        &p);
}

dc_status dc__pg_emergency_counts(dc_store *s, const char *party,
                                  int (*each)(void *ctx, const char *party, const char *what,
                                              int64_t n),
                                  void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, party);
    PGresult *res = dc__pg_run(s,
                               "SELECT party, what, n FROM emergency_counts"
                               " WHERE $1::text IS NULL OR party = $1"
                               " ORDER BY party, what",
                               &p);
    if (res == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(res); i++)
        if (each(ctx, dc__pg_get_text(res, i, 0), dc__pg_get_text(res, i, 1),
                 dc__pg_get_int(res, i, 2)) != 0)
            break;
    PQclear(res);
    return DC_OK;
}
