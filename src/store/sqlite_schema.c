/* sqlite_schema.c - the SQLite store's tables, as numbered migrations applied in order */
#include "sqlite_internal.h"

static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE server_key(id INTEGER PRIMARY KEY CHECK (id = 1), public_key BLOB NOT NULL,"
    " secret_key BLOB NOT NULL);"
    "CREATE TABLE parties(name TEXT PRIMARY KEY, key_hash BLOB NOT NULL UNIQUE,"
    " notation TEXT NOT NULL DEFAULT 'dd', created INTEGER NOT NULL);"
    "CREATE TABLE objects(row INTEGER PRIMARY KEY, kind TEXT NOT NULL, owner TEXT NOT NULL,"
    " id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL, priority INTEGER NOT NULL,"
    " public INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL, volumes BLOB NOT NULL,"
    " admitted TEXT NOT NULL DEFAULT '', volume_count INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    " UNIQUE(kind, owner, id));"
    "CREATE INDEX objects_by_id ON objects(kind, id);"
    "CREATE VIRTUAL TABLE volume_boxes USING rtree(id, lon0, lon1, lat0, lat1, alt0, alt1, t0, t1);"
    "CREATE TABLE grants(grantor TEXT NOT NULL, grantee TEXT NOT NULL, kind TEXT NOT NULL,"
    " created INTEGER NOT NULL, PRIMARY KEY(grantor, grantee, kind));"
    "CREATE TABLE notices(id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, body TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE INDEX notices_by_recipient ON notices(recipient, id);"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT NOT NULL, recipients TEXT NOT NULL, detail TEXT NOT NULL,"
    " prev_hash BLOB NOT NULL, hash BLOB NOT NULL, signature BLOB NOT NULL);"
    "CREATE INDEX audit_by_object ON audit(object, seq);",
    /* 2: live alerts, each party's own */
    "CREATE TABLE alerts(id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, body TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE INDEX alerts_by_recipient ON alerts(recipient, id);",
    /* 3: the direct line between two parties */
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, sender TEXT NOT NULL, recipient TEXT NOT NULL,"
    " body TEXT NOT NULL, created INTEGER NOT NULL, acknowledged INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX messages_by_sender ON messages(sender, id);"
    "CREATE INDEX messages_by_recipient ON messages(recipient, id);",
    /* 4: what the operator grants each party: a priority ceiling (10 is
     * DC_PRIORITY_CEILING_DEFAULT as it was when this step was written), and a key it can revoke */
    "ALTER TABLE parties ADD COLUMN priority_ceiling INTEGER NOT NULL DEFAULT 10;"
    "ALTER TABLE parties ADD COLUMN key_revoked INTEGER NOT NULL DEFAULT 0;",
    /* 5: what each party has learned of each other party's object (area, per UTC day: the
     * disclosure budget), and the hazards each party had refused over each site (probing) */
    "CREATE TABLE disclosures(viewer TEXT NOT NULL, object TEXT NOT NULL, day INTEGER NOT NULL,"
    " area_m2 REAL NOT NULL DEFAULT 0, notices INTEGER NOT NULL DEFAULT 0,"
    " mapped INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(viewer, object, day));"
    "CREATE INDEX disclosures_by_day ON disclosures(day);"
    "CREATE TABLE site_refusals(party TEXT NOT NULL, site TEXT NOT NULL, time INTEGER NOT NULL);"
    "CREATE INDEX site_refusals_by_party ON site_refusals(party, site, time);"
    "CREATE INDEX site_refusals_by_time ON site_refusals(time);",
    /* 6: an alert stored once for all its recipients (alert_form.c): alert_log holds what every
     * copy reads, in full (episode 0) or as a merge patch to the episode's first alert (episode
     * = that alert's id); alert_inbox holds each recipient's copy: its id, shared by every
     * recipient so that Last-Event-ID names one alert, and the members only it reads; a first
     * alert is a repetition's base until `until`. AUTOINCREMENT: once old alerts are archived,
     * ids must still never go back. The alerts table's rows become one-recipient alerts under
     * their own ids. */
    "CREATE TABLE alert_log(id INTEGER PRIMARY KEY AUTOINCREMENT, created INTEGER NOT NULL,"
    " episode INTEGER NOT NULL DEFAULT 0, until INTEGER, recipients TEXT NOT NULL,"
    " body TEXT NOT NULL);"
    "CREATE TABLE alert_inbox(recipient TEXT NOT NULL, id INTEGER NOT NULL, extra TEXT,"
    " PRIMARY KEY(recipient, id)) WITHOUT ROWID;"
    "CREATE TABLE alert_episodes(key TEXT PRIMARY KEY, base INTEGER NOT NULL,"
    " until INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO alert_log(id, created, episode, until, recipients, body)"
    " SELECT id, created, 0, NULL, recipient, body FROM alerts ORDER BY id;"
    "INSERT INTO alert_inbox(recipient, id, extra) SELECT recipient, id, NULL FROM alerts;"
    "DROP TABLE alerts;",
    /* 7: the archive's segments as far as each is committed (archive.h: bytes past `bytes` in
     * a file never committed), and the sizes of the live store and the archive over the last
     * day, for the rate of growth */
    "CREATE TABLE archive_segments(number INTEGER PRIMARY KEY, file TEXT NOT NULL,"
    " opened INTEGER NOT NULL, updated INTEGER NOT NULL, closed INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, lines INTEGER NOT NULL, digest BLOB NOT NULL,"
    " prev_segment BLOB NOT NULL, chain_before_seq INTEGER NOT NULL,"
    " chain_before_hash BLOB NOT NULL, chain_seq INTEGER NOT NULL, chain_hash BLOB NOT NULL,"
    " audit_rows INTEGER NOT NULL, alert_rows INTEGER NOT NULL, notice_rows INTEGER NOT NULL,"
    " message_rows INTEGER NOT NULL, object_rows INTEGER NOT NULL);"
    "CREATE TABLE size_samples(time INTEGER PRIMARY KEY, live_bytes INTEGER NOT NULL,"
    " archive_bytes INTEGER NOT NULL);",
    /* 8: audit records by object within runs of 65,536 seqs (AUDIT_RUN_BITS). By object alone,
     * the oldest records the archiver deletes lay on a page of each object's run all over the
     * index, and their deletion was two thirds of the archiver's hold of the lock; by run, they lie
     * together at the index's start (docs/PERFORMANCE.md). A walk by object probes each run. */
    "DROP INDEX audit_by_object;"
    "CREATE INDEX audit_by_run_object ON audit(seq >> 16, object, seq);",
    /* 9 (fair use): the operator's per-party rates (NULL: the server's default), and the objects
     * a list read disclosed, one row each, so that a walk by object finds the one record naming
     * them all (the record's detail, under the chain, is the truth; this is its index) */
    "ALTER TABLE parties ADD COLUMN writes_per_s REAL;"
    "ALTER TABLE parties ADD COLUMN writes_burst REAL;"
    "ALTER TABLE parties ADD COLUMN messages_per_s REAL;"
    "ALTER TABLE parties ADD COLUMN messages_burst REAL;"
    "ALTER TABLE parties ADD COLUMN reports_per_s REAL;"
    "ALTER TABLE parties ADD COLUMN reports_burst REAL;"
    "CREATE TABLE audit_names(seq INTEGER NOT NULL, object TEXT NOT NULL,"
    " PRIMARY KEY (seq, object)) WITHOUT ROWID;"
    "CREATE INDEX audit_names_by_object ON audit_names(object, seq);",
    /* 10 (emergencies): what the operator lets a party declare (0: nothing), which objects are
     * emergencies, each declaration's validity, the hazards each holds suspended (and the state
     * to give back), and how often each party declared, renewed, suspended (the operator's
     * view of whoever uses emergencies to push others aside) */
    "ALTER TABLE parties ADD COLUMN emergency_area_km2 REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE parties ADD COLUMN emergency_validity_s INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE objects ADD COLUMN emergency TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE emergencies(owner TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,"
    " state TEXT NOT NULL, declared INTEGER NOT NULL, expires INTEGER NOT NULL,"
    " validity_s INTEGER NOT NULL, alert_distance_m REAL NOT NULL, renewals INTEGER NOT NULL,"
    " crew_lat REAL, crew_lon REAL, crew_radius_m REAL, PRIMARY KEY(owner, id));"
    "CREATE INDEX emergencies_by_expiry ON emergencies(state, expires);"
    "CREATE TABLE suspensions(hazard_owner TEXT NOT NULL, hazard_id TEXT NOT NULL,"
    " emergency TEXT NOT NULL, prior TEXT NOT NULL, created INTEGER NOT NULL,"
    " PRIMARY KEY(hazard_owner, hazard_id, emergency));"
    "CREATE INDEX suspensions_by_emergency ON suspensions(emergency);"
    "CREATE TABLE emergency_counts(party TEXT NOT NULL, what TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(party, what)) WITHOUT ROWID;",
};

dc_status dc__sq_migrate(dc_store *s, dc_error *err)
{
    if (dc__sq_exec(s, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)") !=
        DC_OK)
        return dc__sq_db_error(s, err, "schema_version");
    if (dc__sq_exec(s, "BEGIN IMMEDIATE") != DC_OK)
        return dc__sq_db_error(s, err, "begin migration");
    sqlite3_stmt *st = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(dc__sq_db(s), "SELECT max(version) FROM schema_version", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    int target = (int)(sizeof migrations / sizeof migrations[0]);
    if (version > target) {
        dc__sq_exec(s, "ROLLBACK");
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the database has schema version %d; this build knows up to %d",
                            version, target);
    }
    for (int v = version; v < target; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", v + 1);
        if (dc__sq_exec(s, migrations[v]) != DC_OK || dc__sq_exec(s, sql) != DC_OK) {
            dc_status rc = dc__sq_db_error(s, err, "migration");
            dc__sq_exec(s, "ROLLBACK");
            return rc;
        }
    }
    if (dc__sq_exec(s, "COMMIT") != DC_OK)
        return dc__sq_db_error(s, err, "commit migration");
    return DC_OK;
}
