/* pg_schema.c - the PostgreSQL store's tables, as numbered migrations applied in order
 *
 * The tables are the SQLite store's (sqlite_schema.c, its migrations folded into one), in
 * PostgreSQL's types: times are bigint microseconds since 1970 as there, blobs bytea. What
 * differs:
 *   volume_boxes  each volume's box twice: exactly (double columns, times in microseconds) and as
 *                 a PostGIS n-D box (x longitude, y latitude, z altitude, m hours since 2000) under
 *                 a GiST index, which finds candidates; the exact columns recheck them.
 *   report_log    every position report acknowledged by any instance, in one order: the monitor
 *                 leader reads it, a new leader replays it (service/cluster.c).
 *   monitor_lease who leads the monitor, and the last report whose alerts it published.
 *   suspensions   `added` numbers them as SQLite's rowid does: an emergency's end gives its
 *                 hazards back (a notice and a record each) in the order they were suspended.
 * Every text column compares bytewise (COLLATE "C"), as SQLite's do: lists ordered by owner and
 * id come out in the same order from both stores, whatever the database's locale. */
#include "pg_internal.h"

static const char *const migrations[] = {
    /* 1 */
    "CREATE EXTENSION IF NOT EXISTS postgis;"
    "CREATE TABLE server_key(id integer PRIMARY KEY CHECK (id = 1), public_key bytea NOT NULL);"
    "CREATE TABLE parties(name text COLLATE \"C\" PRIMARY KEY, key_hash bytea NOT NULL UNIQUE,"
    " notation text COLLATE \"C\" NOT NULL DEFAULT 'dd', created bigint NOT NULL,"
    " priority_ceiling integer NOT NULL DEFAULT 10, key_revoked integer NOT NULL DEFAULT 0,"
    " writes_per_s double precision, writes_burst double precision,"
    " messages_per_s double precision, messages_burst double precision,"
    " reports_per_s double precision, reports_burst double precision,"
    " emergency_area_km2 double precision NOT NULL DEFAULT 0,"
    " emergency_validity_s bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE objects(row bigserial PRIMARY KEY, kind text COLLATE \"C\" NOT NULL, owner text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL, version bigint NOT NULL, state text COLLATE \"C\" NOT NULL, priority integer NOT NULL,"
    " public integer NOT NULL DEFAULT 0, body text COLLATE \"C\" NOT NULL, volumes bytea NOT NULL,"
    " admitted text COLLATE \"C\" NOT NULL DEFAULT '', volume_count integer NOT NULL DEFAULT 0,"
    " created bigint NOT NULL, updated bigint NOT NULL, emergency text COLLATE \"C\" NOT NULL DEFAULT '',"
    " UNIQUE(kind, owner, id));"
    "CREATE INDEX objects_by_id ON objects(kind, id);"
    "CREATE TABLE volume_boxes(id bigint PRIMARY KEY, row bigint NOT NULL,"
    " lon0 double precision NOT NULL, lon1 double precision NOT NULL,"
    " lat0 double precision NOT NULL, lat1 double precision NOT NULL,"
    " alt0 double precision NOT NULL, alt1 double precision NOT NULL,"
    " t0 bigint NOT NULL, t1 bigint NOT NULL, box geometry NOT NULL);"
    "CREATE INDEX volume_boxes_by_row ON volume_boxes(row);"
    "CREATE INDEX volume_boxes_nd ON volume_boxes USING gist (box gist_geometry_ops_nd);"
    "CREATE TABLE grants(grantor text COLLATE \"C\" NOT NULL, grantee text COLLATE \"C\" NOT NULL, kind text COLLATE \"C\" NOT NULL,"
    " created bigint NOT NULL, PRIMARY KEY(grantor, grantee, kind));"
    "CREATE INDEX grants_by_grantee ON grants(grantee, kind);"
    "CREATE TABLE notices(id bigserial PRIMARY KEY, recipient text COLLATE \"C\" NOT NULL, body text COLLATE \"C\" NOT NULL,"
    " created bigint NOT NULL);"
    "CREATE INDEX notices_by_recipient ON notices(recipient, id);"
    "CREATE TABLE audit(seq bigint PRIMARY KEY, time bigint NOT NULL, actor text COLLATE \"C\" NOT NULL,"
    " action text COLLATE \"C\" NOT NULL, object text COLLATE \"C\" NOT NULL, recipients text COLLATE \"C\" NOT NULL, detail text COLLATE \"C\" NOT NULL,"
    " prev_hash bytea NOT NULL, hash bytea NOT NULL, signature bytea NOT NULL);"
    "CREATE INDEX audit_by_object ON audit(object, seq);"
    "CREATE TABLE audit_names(seq bigint NOT NULL, object text COLLATE \"C\" NOT NULL,"
    " PRIMARY KEY (seq, object));"
    "CREATE INDEX audit_names_by_object ON audit_names(object, seq);"
    "CREATE TABLE messages(id bigserial PRIMARY KEY, sender text COLLATE \"C\" NOT NULL,"
    " recipient text COLLATE \"C\" NOT NULL, body text COLLATE \"C\" NOT NULL, created bigint NOT NULL,"
    " acknowledged integer NOT NULL DEFAULT 0);"
    "CREATE INDEX messages_by_sender ON messages(sender, id);"
    "CREATE INDEX messages_by_recipient ON messages(recipient, id);"
    "CREATE TABLE disclosures(viewer text COLLATE \"C\" NOT NULL, object text COLLATE \"C\" NOT NULL, day bigint NOT NULL,"
    " area_m2 double precision NOT NULL DEFAULT 0, notices integer NOT NULL DEFAULT 0,"
    " mapped integer NOT NULL DEFAULT 0, PRIMARY KEY(viewer, object, day));"
    "CREATE INDEX disclosures_by_day ON disclosures(day);"
    "CREATE TABLE site_refusals(party text COLLATE \"C\" NOT NULL, site text COLLATE \"C\" NOT NULL, time bigint NOT NULL);"
    "CREATE INDEX site_refusals_by_party ON site_refusals(party, site, time);"
    "CREATE INDEX site_refusals_by_time ON site_refusals(time);"
    "CREATE TABLE alert_log(id bigserial PRIMARY KEY, created bigint NOT NULL,"
    " episode bigint NOT NULL DEFAULT 0, until bigint, recipients text COLLATE \"C\" NOT NULL,"
    " body text COLLATE \"C\" NOT NULL);"
    "CREATE TABLE alert_inbox(recipient text COLLATE \"C\" NOT NULL, id bigint NOT NULL, extra text COLLATE \"C\","
    " PRIMARY KEY(recipient, id));"
    "CREATE TABLE alert_episodes(key text COLLATE \"C\" PRIMARY KEY, base bigint NOT NULL,"
    " until bigint NOT NULL);"
    "CREATE TABLE archive_segments(number bigint PRIMARY KEY, file text COLLATE \"C\" NOT NULL,"
    " opened bigint NOT NULL, updated bigint NOT NULL, closed bigint NOT NULL,"
    " bytes bigint NOT NULL, lines bigint NOT NULL, digest bytea NOT NULL,"
    " prev_segment bytea NOT NULL, chain_before_seq bigint NOT NULL,"
    " chain_before_hash bytea NOT NULL, chain_seq bigint NOT NULL, chain_hash bytea NOT NULL,"
    " audit_rows bigint NOT NULL, alert_rows bigint NOT NULL, notice_rows bigint NOT NULL,"
    " message_rows bigint NOT NULL, object_rows bigint NOT NULL);"
    "CREATE TABLE size_samples(time bigint PRIMARY KEY, live_bytes bigint NOT NULL,"
    " archive_bytes bigint NOT NULL);"
    "CREATE TABLE emergencies(owner text COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, kind text COLLATE \"C\" NOT NULL,"
    " state text COLLATE \"C\" NOT NULL, declared bigint NOT NULL, expires bigint NOT NULL,"
    " validity_s bigint NOT NULL, alert_distance_m double precision NOT NULL,"
    " renewals bigint NOT NULL, crew_lat double precision, crew_lon double precision,"
    " crew_radius_m double precision, PRIMARY KEY(owner, id));"
    "CREATE INDEX emergencies_by_expiry ON emergencies(state, expires);"
    "CREATE TABLE suspensions(hazard_owner text COLLATE \"C\" NOT NULL, hazard_id text COLLATE \"C\" NOT NULL,"
    " emergency text COLLATE \"C\" NOT NULL, prior text COLLATE \"C\" NOT NULL, created bigint NOT NULL,"
    " added bigserial NOT NULL, PRIMARY KEY(hazard_owner, hazard_id, emergency));"
    "CREATE INDEX suspensions_by_emergency ON suspensions(emergency);"
    "CREATE TABLE emergency_counts(party text COLLATE \"C\" NOT NULL, what text COLLATE \"C\" NOT NULL, n bigint NOT NULL,"
    " PRIMARY KEY(party, what));"
    "CREATE TABLE report_log(seq bigserial PRIMARY KEY, origin text COLLATE \"C\" NOT NULL,"
    " received bigint NOT NULL, reports bytea NOT NULL);"
    "CREATE INDEX report_log_by_received ON report_log(received);"
    "CREATE TABLE monitor_lease(id integer PRIMARY KEY CHECK (id = 1),"
    " leader text COLLATE \"C\" NOT NULL, published_through bigint NOT NULL,"
    " since bigint NOT NULL);",
};

dc_status dc__pg_migrate(dc_store *s, dc_error *err)
{
    /* under the write lock: instances starting together migrate once, one after the other */
    if (dc_store_begin(s, 1) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "PostgreSQL: cannot begin the migration");
    dc_status rc =
        dc__pg_exec(s, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)", NULL);
    PGresult *r =
        rc == DC_OK ? dc__pg_run(s, "SELECT max(version) FROM schema_version", NULL) : NULL;
    int version = r != NULL ? (int)dc__pg_get_int(r, 0, 0) : 0;
    if (r == NULL)
        rc = DC_STORE;
    PQclear(r);
    int target = (int)(sizeof migrations / sizeof migrations[0]);
    if (rc == DC_OK && version > target) {
        dc_store_rollback(s);
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the database has schema version %d; this build knows up to %d",
                            version, target);
    }
    for (int v = version; rc == DC_OK && v < target; v++) {
        dc_pg_params p = {0};
        dc__pg_int(&p, v + 1);
        /* a migration is several statements: the simple protocol, not a prepared one */
        PGresult *m = dc__pg_run_script(s, migrations[v]);
        rc = m != NULL ? DC_OK : DC_STORE;
        PQclear(m);
        if (rc == DC_OK)
            rc = dc__pg_exec(s, "INSERT INTO schema_version VALUES ($1)", &p);
    }
    if (rc != DC_OK) {
        char why[200];
        dc_copy_text(why, sizeof why, dc__pg_last_error(s));
        dc_store_rollback(s);
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "PostgreSQL migration: %s", why);
    }
    if (dc_store_commit(s) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "PostgreSQL: the migration did not commit");
    return DC_OK;
}
