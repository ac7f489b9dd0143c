/* pg_cluster.c - what several instances share beyond the tables: the one ordered log of position
 * reports and the monitor's lease (service/cluster.c uses both)
 *
 * The log's order is the order of commits: every append runs under the write lock (pg.c), so a
 * batch's seq is taken, and committed, after every earlier one's. The lease is a session
 * advisory lock held on a connection of its own: PostgreSQL releases it when that session ends,
 * which is when the holder's process dies (its socket closes) or loses the database.
 */
#include "pg_internal.h"

dc_status dc__pg_report_append(dc_store *s, const char *origin, const void *data, size_t size,
                               dc_time_us received, int64_t *seq)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, origin);
    dc__pg_int(&p, received);
    dc__pg_blob(&p, data, size);
    PGresult *r = dc__pg_run(
        s, "INSERT INTO report_log(origin, received, reports) VALUES ($1, $2, $3) RETURNING seq",
        &p);
    if (r == NULL || PQntuples(r) != 1) {
        PQclear(r);
        return DC_STORE;
    }
    *seq = dc__pg_get_int(r, 0, 0);
    PQclear(r);
    dc__pg_note_event(s, "dc_reports");
    return DC_OK;
}

dc_status dc__pg_report_read(dc_store *s, int64_t after, size_t limit,
                             int (*each)(void *ctx, int64_t seq, const char *origin,
                                         dc_time_us received, const void *data, size_t size),
                             void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, after);
    dc__pg_int(&p, (int64_t)limit);
    PGresult *r = dc__pg_run(s,
                             "SELECT seq, origin, received, reports FROM report_log WHERE seq > $1"
                             " ORDER BY seq LIMIT $2",
                             &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < PQntuples(r); i++) {
        size_t size = 0;
        uint8_t *data = dc__pg_copy_blob(r, i, 3, &size);
        if (data == NULL) {
            rc = DC_NOMEM;
            break;
        }
        int stop = each(ctx, dc__pg_get_int(r, i, 0), dc__pg_get_text(r, i, 1),
                        dc__pg_get_int(r, i, 2), data, size);
        dc_free(data);
        if (stop)
            break;
    }
    PQclear(r);
    return rc;
}

dc_status dc__pg_report_bounds(dc_store *s, dc_time_us since, int64_t *before, int64_t *newest)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, since);
    PGresult *r =
        dc__pg_run(s,
                   "SELECT (SELECT coalesce(min(seq), 0) FROM report_log"
                   " WHERE received >= $1), (SELECT coalesce(max(seq), 0) FROM report_log)",
                   &p);
    if (r == NULL)
        return DC_STORE;
    int64_t first = dc__pg_get_int(r, 0, 0);
    *newest = dc__pg_get_int(r, 0, 1);
    *before = first > 0 ? first - 1 : *newest;
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_report_prune(dc_store *s, dc_time_us before)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, before);
    return dc__pg_exec(s, "DELETE FROM report_log WHERE received < $1", &p);
}

dc_status dc__pg_published_get(dc_store *s, int64_t *seq)
{
    PGresult *r = dc__pg_run(s, "SELECT published_through FROM monitor_lease WHERE id = 1", NULL);
    if (r == NULL)
        return DC_STORE;
    *seq = PQntuples(r) == 1 ? dc__pg_get_int(r, 0, 0) : 0;
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_published_set(dc_store *s, const char *instance, int64_t seq, dc_time_us now)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, instance);
    dc__pg_int(&p, seq);
    dc__pg_int(&p, now);
    /* `since` moves only when the leader changes */
    return dc__pg_exec(s,
                       "INSERT INTO monitor_lease(id, leader, published_through, since)"
                       " VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET"
                       " since = CASE WHEN monitor_lease.leader = excluded.leader"
                       " THEN monitor_lease.since ELSE excluded.since END,"
                       " leader = excluded.leader,"
                       " published_through = greatest(monitor_lease.published_through,"
                       " excluded.published_through)",
                       &p);
}

/* One statement on the lease's connection: its single value, or NULL when the session is gone. */
static char *lease_query(dc_pg *s, const char *sql)
{
    PGresult *r = PQexec(s->lease_conn, sql);
    char *value = NULL;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        const char *v = PQgetvalue(r, 0, 0);
        size_t n = strlen(v) + 1;
        value = dc_malloc(n);
        if (value != NULL)
            memcpy(value, v, n);
    }
    PQclear(r);
    return value;
}

dc_status dc__pg_lease(dc_store *store, const char *instance, int *leader)
{
    dc_pg *s = dc__pg(store);
    (void)instance;
    pthread_mutex_lock(&s->lease_lock);
    if (s->lease_conn != NULL && PQstatus(s->lease_conn) != CONNECTION_OK) {
        PQfinish(s->lease_conn); /* the session, and the lock with it, is gone */
        s->lease_conn = NULL;
        s->lease_held = 0;
    }
    if (s->lease_conn == NULL) {
        s->lease_conn = PQconnectdb(s->conninfo);
        if (PQstatus(s->lease_conn) != CONNECTION_OK) {
            PQfinish(s->lease_conn);
            s->lease_conn = NULL;
        }
    }
    dc_status rc = DC_OK;
    if (s->lease_conn == NULL) {
        rc = DC_STORE;
    } else if (s->lease_held) {
        /* still holding it: the session must still be alive to say so */
        char *alive = lease_query(s, "SELECT 1");
        if (alive == NULL) {
            PQfinish(s->lease_conn);
            s->lease_conn = NULL;
            s->lease_held = 0;
            rc = DC_STORE;
        }
        dc_free(alive);
    } else {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%lld)", (long long)PG_LEASE_LOCK);
        char *got = lease_query(s, sql);
        s->lease_held = got != NULL && strcmp(got, "t") == 0;
        if (got == NULL)
            rc = DC_STORE;
        dc_free(got);
    }
    *leader = s->lease_held;
    pthread_mutex_unlock(&s->lease_lock);
    return rc;
}

void dc__pg_lease_close(dc_pg *s)
{
    pthread_mutex_lock(&s->lease_lock);
    PQfinish(s->lease_conn); /* ending the session releases the lock at once */
    s->lease_conn = NULL;
    s->lease_held = 0;
    pthread_mutex_unlock(&s->lease_lock);
}
