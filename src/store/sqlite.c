/* sqlite.c - the embedded store: SQLite in WAL mode with synchronous=FULL, R*Tree for candidates
 *
 * Layout (schema version 1):
 *   server_key   the Ed25519 key pair that signs audit records
 *   parties      name, BLAKE2b hash of the API key (never the key), preferred notation, the
 *                priority ceiling the operator granted, whether the key is revoked (4)
 *   objects      one row per (kind, owner, id): version, state, priority, the body readers get
 *                (JSON) and the volumes (dc_volume_pack, concatenated)
 *   volume_boxes R*Tree of every volume's box; the rowid is DC_INDEX_ID(object row, volume),
 *                so a hit names its object without a join. Coordinates are 32-bit floats,
 *                which SQLite rounds outwards: boxes only grow, candidates are a superset,
 *                and the engine decides exactly. Time is in hours since 2000-01-01.
 *   grants       grantor lets grantee read its objects of a kind
 *   notices      what each party was told, as JSON
 *   audit        the hash chain (see audit.c)
 * An acknowledged write survives a power cut: its commit is answered only once the log holding
 * it has been synced (group commit, see make_durable; a store that is not a plain file uses
 * SQLite's synchronous=FULL instead). Writers take the database lock at BEGIN IMMEDIATE on the one
 * writing connection; a read transaction runs on a read-only connection of a pool and sees the last
 * commit before it, never waiting for a writer. Migrations are numbered
 * steps applied in order inside one transaction; schema_version records the last.
 * Nothing in store.h depends on any of this.
 */
#include "deconflict/party.h"
#include "deconflict/store.h"
#include "store_internal.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define EPOCH_2000_US INT64_C(946684800000000)
#define US_PER_HOUR 3600000000.0

/* Statements are prepared once and kept: preparing them per call was a quarter of the server's
 * time for a batch of position reports (docs/PERFORMANCE.md). A kept statement still in use when
 * its SQL is asked for again (a walk calling back into the store) is not shared: a fresh one is
 * prepared beside it. Statements belong to their connection. */
#define KEPT_STATEMENTS 96

struct kept_statement {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *st;
    int busy;
};

/* One SQLite connection with the statements prepared on it. */
struct connection {
    sqlite3 *db;
    struct kept_statement kept[KEPT_STATEMENTS];
    size_t kept_count;
};

/* Read transactions run on read-only connections of their own: in WAL mode each reads the last
 * commit before it began, without waiting for the writer or making it wait. With one connection
 * for all, every request (its authentication included) queued behind whatever write held the
 * lock — the archiver's deletions, a batch of reports — and a small read's p99 followed the
 * longest write (docs/PERFORMANCE.md). A request holds at most one connection, so more readers
 * than the server's workers would never be used at once; beyond READERS a read waits for one. */
#define READERS 16

struct dc_store {
    struct connection writer; /* write transactions, one at a time, under `lock` */
    pthread_mutex_t lock;
    int unsynced; /* the transaction's commit is not synced (dc_store_begin_unsynced) */
    struct connection readers[READERS]; /* opened on first use */
    int reader_busy[READERS];
    pthread_mutex_t pool_lock;
    pthread_cond_t reader_freed;
    char *location;
    /* the files beside it (files.c): the signing key, the published head; NULL for a store that
     * is not a plain file */
    char *key_path, *head_path;
    /* the newest audit record of the open transaction: published once a sync of the log has
     * carried it to disk */
    int64_t tx_head_seq;
    uint8_t tx_head_hash[DC_HASH_BYTES];
    /* Group commit of the head (see make_durable): the newest committed head under
     * latest_lock; the file, and how far it is synced, under head_lock. */
    pthread_mutex_t latest_lock, head_lock;
    int64_t latest_seq, synced_seq;
    uint8_t latest_hash[DC_HASH_BYTES];
    int head_fd;
    dc_status head_status; /* DC_STORE once an append of the head failed */
    /* Group commit of the log (make_durable): write commits are numbered under `lock`; the log is
     * synced, by one thread for all commits so far, under head_lock, through our own descriptor
     * of the -wal (a sync is of the file, whichever descriptor asks). */
    int group_commit; /* 1 for a plain file: synchronous=NORMAL and make_durable */
    int64_t committed_no, durable_no;
    char *wal_path;
    int wal_fd;
};

/* The calling thread's transaction: which store, on which connection. A thread has at most one
 * transaction open (a second begin on the same thread would wait for itself). */
static _Thread_local struct {
    const dc_store *store;
    struct connection *conn;
} current;

/* The connection the calling thread's store calls run on: its transaction's, or the writer's
 * outside any transaction (opening, migrations, dc_store_reclaim under `lock`). */
static struct connection *conn(dc_store *s)
{
    return current.store == s && current.conn != NULL ? current.conn : &s->writer;
}

static void close_connection(struct connection *c)
{
    for (size_t i = 0; i < c->kept_count; i++) {
        sqlite3_finalize(c->kept[i].st);
        dc_free(c->kept[i].sql);
    }
    c->kept_count = 0;
    sqlite3_close(c->db);
    c->db = NULL;
}

/* A read-only connection of the pool, opened if it is the first use of its slot; waits while
 * every one is in use. NULL if SQLite cannot open one. */
static struct connection *acquire_reader(dc_store *s)
{
    pthread_mutex_lock(&s->pool_lock);
    int slot = -1;
    for (;;) {
        for (int i = 0; i < READERS && slot < 0; i++)
            if (!s->reader_busy[i])
                slot = i;
        if (slot >= 0)
            break;
        pthread_cond_wait(&s->reader_freed, &s->pool_lock);
    }
    s->reader_busy[slot] = 1;
    pthread_mutex_unlock(&s->pool_lock);
    struct connection *c = &s->readers[slot];
    if (c->db == NULL) {
        if (sqlite3_open_v2(s->location, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
            sqlite3_close(c->db);
            c->db = NULL;
        } else {
            sqlite3_busy_timeout(c->db, 10000);
        }
    }
    if (c->db == NULL) {
        pthread_mutex_lock(&s->pool_lock);
        s->reader_busy[slot] = 0;
        pthread_cond_signal(&s->reader_freed);
        pthread_mutex_unlock(&s->pool_lock);
        return NULL;
    }
    return c;
}

static void release_reader(dc_store *s, struct connection *c)
{
    pthread_mutex_lock(&s->pool_lock);
    s->reader_busy[c - s->readers] = 0;
    pthread_cond_signal(&s->reader_freed);
    pthread_mutex_unlock(&s->pool_lock);
}

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

static dc_status db_error(dc_store *s, dc_error *err, const char *what)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "%s: %s", what,
                        sqlite3_errmsg(conn(s)->db));
}

static dc_status exec(dc_store *s, const char *sql)
{
    return sqlite3_exec(conn(s)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? DC_OK : DC_STORE;
}

static dc_status migrate(dc_store *s, dc_error *err)
{
    if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)") != DC_OK)
        return db_error(s, err, "schema_version");
    if (exec(s, "BEGIN IMMEDIATE") != DC_OK)
        return db_error(s, err, "begin migration");
    sqlite3_stmt *st = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(s->writer.db, "SELECT max(version) FROM schema_version", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    int target = (int)(sizeof migrations / sizeof migrations[0]);
    if (version > target) {
        exec(s, "ROLLBACK");
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the database has schema version %d; this build knows up to %d",
                            version, target);
    }
    for (int v = version; v < target; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", v + 1);
        if (exec(s, migrations[v]) != DC_OK || exec(s, sql) != DC_OK) {
            dc_status rc = db_error(s, err, "migration");
            exec(s, "ROLLBACK");
            return rc;
        }
    }
    if (exec(s, "COMMIT") != DC_OK)
        return db_error(s, err, "commit migration");
    return DC_OK;
}

static char *path_with(const char *location, const char *suffix)
{
    size_t a = strlen(location), b = strlen(suffix);
    char *p = dc_malloc(a + b + 1);
    if (p != NULL) {
        memcpy(p, location, a);
        memcpy(p + a, suffix, b + 1);
    }
    return p;
}

/* A plain file path, as opposed to ":memory:", "" (a temporary store) or a "file:" URI: the
 * store's side files go beside it. */
static int is_plain_file(const char *location)
{
    return location[0] != '\0' && strcmp(location, ":memory:") != 0 &&
           strncmp(location, "file:", 5) != 0;
}

/* The database and its log made private before SQLite opens them. A new database is created here
 * with mode 0600 (umask-proof, see files.c) rather than by SQLite, which would make it 0644; the
 * -wal and -shm SQLite creates take the database file's mode, whatever the umask (its unix VFS
 * fchmods them to it), so they are private too. An existing looser file is tightened. */
static dc_status private_files(const char *location, dc_error *err)
{
    int fd = dc__file_create_private(location, 1);
    if (fd >= 0) {
        close(fd);
        return DC_OK;
    }
    static const char *const suffixes[] = {"", "-wal", "-shm", ".key", ".head"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[4096];
        int was = -1;
        snprintf(path, sizeof path, "%s%s", location, suffixes[i]);
        if (dc__file_tighten(path, &was) == DC_FORBIDDEN)
            return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                                "%s is readable by others (mode %03o) and cannot be made private:"
                                " refused",
                                path, (unsigned)was);
    }
    return DC_OK;
}

static dc_status move_key_out(dc_store *s, dc_error *err);

dc_status dc_store_open(const char *location, dc_store **out, dc_error *err)
{
    *out = NULL;
    dc_store *s = dc_calloc(1, sizeof *s);
    if (s == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    s->head_fd = -1;
    s->wal_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->latest_lock, NULL);
    pthread_mutex_init(&s->head_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->reader_freed, NULL);
    if (is_plain_file(location)) {
        dc_status rc = private_files(location, err);
        s->key_path = path_with(location, ".key");
        s->head_path = path_with(location, ".head");
        s->wal_path = path_with(location, "-wal");
        s->group_commit = 1;
        if (rc == DC_OK && (s->key_path == NULL || s->head_path == NULL || s->wal_path == NULL))
            rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        if (rc != DC_OK) {
            dc_store_close(s);
            return rc;
        }
    }
    if (sqlite3_open_v2(location, &s->writer.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        dc_status rc = db_error(s, err, location);
        dc_store_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->writer.db, 10000);
    size_t location_len = strlen(location);
    s->location = dc_malloc(location_len + 1);
    if (s->location == NULL) {
        dc_store_close(s);
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    }
    memcpy(s->location, location, location_len + 1);
    dc_status rc = DC_OK;
    /* A new file gives freed pages back a few at a time (dc_store_reclaim); this must be said
     * before the first table exists. An older file keeps reusing its free pages, and shrinks only
     * with an offline VACUUM. The log is cut back to 64 MiB after a checkpoint. */
    if (exec(s, "PRAGMA auto_vacuum=INCREMENTAL") != DC_OK ||
        exec(s, "PRAGMA journal_size_limit=67108864") != DC_OK)
        rc = db_error(s, err, "pragmas");
    if (rc == DC_OK && (exec(s, "PRAGMA journal_mode=WAL") != DC_OK ||
                        exec(s, s->group_commit ? "PRAGMA synchronous=NORMAL"
                                                : "PRAGMA synchronous=FULL") != DC_OK ||
                        exec(s, "PRAGMA foreign_keys=ON") != DC_OK))
        rc = db_error(s, err, "pragmas");
    if (rc == DC_OK)
        rc = migrate(s, err);
    if (rc == DC_OK)
        rc = move_key_out(s, err);
    if (rc != DC_OK) {
        dc_store_close(s);
        return rc;
    }
    *out = s;
    return DC_OK;
}

void dc_store_close(dc_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < READERS; i++)
        close_connection(&s->readers[i]);
    close_connection(&s->writer);
    if (s->head_fd >= 0)
        close(s->head_fd);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    dc_free(s->wal_path);
    pthread_mutex_destroy(&s->latest_lock);
    pthread_mutex_destroy(&s->head_lock);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->reader_freed);
    dc_free(s->location);
    dc_free(s->key_path);
    dc_free(s->head_path);
    dc_free(s);
}

dc_status dc_store_begin(dc_store *s, int write)
{
    assert(current.store == NULL); /* one transaction per thread */
    if (!write) {
        struct connection *c = acquire_reader(s);
        if (c == NULL)
            return DC_STORE;
        if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            release_reader(s, c);
            return DC_STORE;
        }
        current.store = s;
        current.conn = c;
        return DC_OK;
    }
    pthread_mutex_lock(&s->lock);
    if (sqlite3_exec(s->writer.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&s->lock);
        return DC_STORE;
    }
    current.store = s;
    current.conn = &s->writer;
    return DC_OK;
}

dc_status dc_store_begin_unsynced(dc_store *s)
{
    assert(current.store == NULL);
    pthread_mutex_lock(&s->lock);
    if ((!s->group_commit && exec(s, "PRAGMA synchronous=NORMAL") != DC_OK) ||
        exec(s, "BEGIN IMMEDIATE") != DC_OK) {
        if (!s->group_commit)
            exec(s, "PRAGMA synchronous=FULL");
        pthread_mutex_unlock(&s->lock);
        return DC_STORE;
    }
    current.store = s;
    current.conn = &s->writer;
    s->unsynced = 1;
    return DC_OK;
}

/* Every transaction after an unsynced one is synced again, and its sync carries the unsynced
 * one's pages to disk with its own. Call on the writer, with `lock` held. */
static void end_unsynced(dc_store *s)
{
    if (s->unsynced) {
        if (!s->group_commit)
            sqlite3_exec(s->writer.db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        s->unsynced = 0;
    }
}

/* After a write transaction ends, under the store's lock: with group commit, number the commit
 * and note its newest audit record as the newest head committed (an unsynced commit too: the
 * next sync of the log carries it). 0 when nothing was committed or there is no group commit. */
static int64_t committed(dc_store *s, int ok)
{
    int64_t seq = ok ? s->tx_head_seq : 0;
    s->tx_head_seq = 0;
    if (!ok || !s->group_commit)
        return 0;
    if (seq > 0) {
        pthread_mutex_lock(&s->latest_lock);
        if (seq > s->latest_seq) {
            s->latest_seq = seq;
            memcpy(s->latest_hash, s->tx_head_hash, DC_HASH_BYTES);
        }
        pthread_mutex_unlock(&s->latest_lock);
    }
    int64_t no = s->committed_no + 1;
    __atomic_store_n(&s->committed_no, no, __ATOMIC_RELEASE);
    return no;
}

/* Sync the log through our own descriptor of it, reopened should the file have been replaced
 * (SQLite keeps it while a connection is open; this is not where a lost write should hide). */
static dc_status sync_log(dc_store *s)
{
    struct stat st;
    if (s->wal_fd >= 0 && (fstat(s->wal_fd, &st) != 0 || st.st_nlink == 0)) {
        close(s->wal_fd);
        s->wal_fd = -1;
    }
    if (s->wal_fd < 0)
        s->wal_fd = open(s->wal_path, O_RDONLY | O_CLOEXEC);
    if (s->wal_fd < 0 || fdatasync(s->wal_fd) != 0)
        return DC_STORE;
    return DC_OK;
}

/* Commit `no` is answered only once it is on disk, and the head it carries published: group
 * commit, outside the store's lock. The first thread to come syncs the log for every commit made
 * so far, then appends and syncs the newest head; meanwhile the next transactions run under
 * `lock`, and a thread whose commit a sync already covered returns at once. With a sync (of the
 * -wal, then of the head file) per commit under the lock, a write cost two flushes of the disk,
 * each alone, and PUT throughput fell by a quarter to two thirds (docs/PERFORMANCE.md). The log's
 * sync comes first: a published head promises that its records are on disk. A failed append of
 * the head leaves the file at an older head, which the store still contains: start-up checks
 * less, never wrongly; it is not fatal to a commit already durable. */
static dc_status make_durable(dc_store *s, int64_t no)
{
    if (no <= 0)
        return DC_OK;
    dc_status rc = DC_OK;
    pthread_mutex_lock(&s->head_lock);
    if (s->durable_no < no) {
        /* every commit counted here has written its frames: the sync below carries them */
        int64_t upto = __atomic_load_n(&s->committed_no, __ATOMIC_ACQUIRE);
        uint8_t hash[DC_HASH_BYTES];
        pthread_mutex_lock(&s->latest_lock);
        int64_t newest = s->latest_seq;
        memcpy(hash, s->latest_hash, DC_HASH_BYTES);
        pthread_mutex_unlock(&s->latest_lock);
        rc = sync_log(s);
        if (rc == DC_OK) {
            s->durable_no = upto;
            if (newest > s->synced_seq) {
                if (dc__head_append(&s->head_fd, s->head_path, newest, hash) == DC_OK)
                    s->synced_seq = newest;
                else
                    s->head_status = DC_STORE;
            }
        }
    }
    pthread_mutex_unlock(&s->head_lock);
    return rc;
}

/* End the calling thread's transaction with `sql` (COMMIT or ROLLBACK) and hand its connection
 * back; a write's commit is made durable after the store's lock is released. DC_STORE if SQLite
 * refused (a refused COMMIT is rolled back), there was none, or the log could not be synced. */
static dc_status end_transaction(dc_store *s, const char *sql)
{
    if (current.store != s)
        return DC_STORE;
    struct connection *c = current.conn;
    current.store = NULL;
    current.conn = NULL;
    dc_status rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? DC_OK : DC_STORE;
    if (rc != DC_OK)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    if (c != &s->writer) {
        release_reader(s, c);
        return rc;
    }
    int64_t no = committed(s, rc == DC_OK && strcmp(sql, "COMMIT") == 0);
    int wait = !s->unsynced; /* an unsynced commit is carried by the next sync */
    end_unsynced(s);
    pthread_mutex_unlock(&s->lock);
    if (wait && make_durable(s, no) != DC_OK)
        rc = DC_STORE;
    return rc;
}

dc_status dc_store_commit(dc_store *s)
{
    return end_transaction(s, "COMMIT");
}

dc_status dc_store_finish(dc_store *s, dc_status rc)
{
    if (rc == DC_OK)
        return dc_store_commit(s);
    dc_store_rollback(s);
    return rc;
}

void dc_store_rollback(dc_store *s)
{
    if (current.store == s)
        end_transaction(s, "ROLLBACK");
}

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (const char *p = sql; *p; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
    return h;
}

/* A statement for sql, ready to bind: kept from an earlier call or prepared now. Hand it back
 * with release(). NULL if SQLite refuses the SQL. */
static sqlite3_stmt *prepare(dc_store *s, const char *sql)
{
    struct connection *c = conn(s);
    uint64_t h = sql_hash(sql);
    for (size_t i = 0; i < c->kept_count; i++) {
        struct kept_statement *k = &c->kept[i];
        if (!k->busy && k->hash == h && strcmp(k->sql, sql) == 0) {
            k->busy = 1;
            return k->st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;
    size_t len = strlen(sql);
    char *copy = c->kept_count < KEPT_STATEMENTS ? dc_malloc(len + 1) : NULL;
    if (copy != NULL) {
        memcpy(copy, sql, len + 1);
        c->kept[c->kept_count++] = (struct kept_statement){h, copy, st, 1};
    }
    return st;
}

/* Done with a statement from prepare(): a kept one is reset for the next call (which also ends
 * its read of the database), any other finalized. */
static void release(dc_store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    struct connection *c = conn(s);
    for (size_t i = 0; i < c->kept_count; i++)
        if (c->kept[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            c->kept[i].busy = 0;
            return;
        }
    sqlite3_finalize(st);
}

/* Before the key file, the secret lay in server_key.secret_key. It is written out to the key
 * file (0600) and blanked in the row; secure_delete overwrites the freed bytes in the page rather
 * than leaving them in free space, and a checkpoint that truncates the log takes the old page's
 * copy out of the -wal. Backups taken before remain what they were. */
static dc_status move_key_out(dc_store *s, dc_error *err)
{
    if (s->key_path == NULL)
        return DC_OK;
    sqlite3_stmt *st = NULL;
    uint8_t sk[DC_SECRET_KEY_BYTES], held[DC_SECRET_KEY_BYTES];
    int found = 0;
    if (sqlite3_prepare_v2(s->writer.db, "SELECT secret_key FROM server_key WHERE id = 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == DC_SECRET_KEY_BYTES) {
        memcpy(sk, sqlite3_column_blob(st, 0), DC_SECRET_KEY_BYTES);
        found = 1;
    }
    sqlite3_finalize(st);
    if (!found)
        return DC_OK;
    dc_status rc = dc__key_file_read(s->key_path, held, err);
    if (rc == DC_NOT_FOUND)
        rc = dc__key_file_write(s->key_path, sk, err);
    else if (rc == DC_OK && sodium_memcmp(held, sk, DC_SECRET_KEY_BYTES) != 0)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                          "%s holds a signing key, and the store another: refused (move one away)",
                          s->key_path);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(held, sizeof held);
    if (rc != DC_OK)
        return rc;
    if (exec(s, "PRAGMA secure_delete=ON") != DC_OK ||
        exec(s, "UPDATE server_key SET secret_key = x'' WHERE id = 1") != DC_OK) {
        rc = db_error(s, err, "moving the signing key out of the store");
    }
    exec(s, "PRAGMA secure_delete=OFF");
    if (rc == DC_OK)
        sqlite3_wal_checkpoint_v2(s->writer.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return rc;
}

dc_status dc_store_public_key(dc_store *s, uint8_t pk[DC_PUBLIC_KEY_BYTES])
{
    sqlite3_stmt *st = prepare(s, "SELECT public_key FROM server_key WHERE id = 1");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == DC_PUBLIC_KEY_BYTES) {
        memcpy(pk, sqlite3_column_blob(st, 0), DC_PUBLIC_KEY_BYTES);
        rc = DC_OK;
    }
    release(s, st);
    return rc;
}

/* A secret key and the public key it must belong to. */
static int key_pair_matches(const uint8_t sk[DC_SECRET_KEY_BYTES],
                            const uint8_t pk[DC_PUBLIC_KEY_BYTES])
{
    uint8_t derived[DC_PUBLIC_KEY_BYTES];
    return crypto_sign_ed25519_sk_to_pk(derived, sk) == 0 &&
           sodium_memcmp(derived, pk, DC_PUBLIC_KEY_BYTES) == 0;
}

dc_status dc_store_server_key(dc_store *s, uint8_t pk[DC_PUBLIC_KEY_BYTES],
                              uint8_t sk[DC_SECRET_KEY_BYTES])
{
    dc_error err;
    if (dc_audit_init() != DC_OK)
        return DC_INTERNAL;
    dc_status rc = dc_store_public_key(s, pk);
    if (rc == DC_STORE)
        return rc;
    if (s->key_path == NULL) {
        /* a store with no file beside it (":memory:") keeps its key in memory only */
        return rc == DC_OK ? DC_NOT_FOUND : dc_audit_keypair(pk, sk) == DC_OK ? DC_OK : DC_INTERNAL;
    }
    if (rc == DC_OK) {
        rc = dc__key_file_read(s->key_path, sk, &err);
        if (rc == DC_OK && !key_pair_matches(sk, pk))
            rc = DC_FORBIDDEN; /* another store's key: it would sign a chain as someone else */
        if (rc != DC_OK)
            sodium_memzero(sk, DC_SECRET_KEY_BYTES);
        return rc;
    }
    /* A new store: a key file already there (a store restored or rebuilt beside its key) is
     * kept, else a new pair is made; the file is written before the row, so that a row never
     * names a key that is nowhere. */
    rc = dc__key_file_read(s->key_path, sk, &err);
    if (rc == DC_OK)
        rc = crypto_sign_ed25519_sk_to_pk(pk, sk) == 0 ? DC_OK : DC_STORE;
    else if (rc == DC_NOT_FOUND)
        rc = dc_audit_keypair(pk, sk) == DC_OK ? dc__key_file_write(s->key_path, sk, &err)
                                               : DC_INTERNAL;
    if (rc != DC_OK)
        return rc;
    sqlite3_stmt *st =
        prepare(s, "INSERT INTO server_key(id, public_key, secret_key) VALUES (1, ?, x'')");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_blob(st, 1, pk, DC_PUBLIC_KEY_BYTES, SQLITE_TRANSIENT);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc;
}

/* ---- parties ---- */

dc_status dc_store_party_add(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES],
                             dc_time_us now)
{
    if (dc_store_party_exists(s, name) == DC_OK)
        return DC_CONFLICT;
    sqlite3_stmt *st = prepare(s, "INSERT INTO parties(name, key_hash, created, priority_ceiling)"
                                  " VALUES (?, ?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, key_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, DC_PRIORITY_CEILING_DEFAULT);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
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

dc_status dc_store_party_by_key(dc_store *s, const uint8_t key_hash[DC_HASH_BYTES], dc_party *out)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT " PARTY_COLUMNS " FROM parties WHERE key_hash = ? AND key_revoked = 0");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_blob(st, 1, key_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
    dc_status rc = DC_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 5) == DC_HASH_BYTES &&
        dc_party_key_equal(sqlite3_column_blob(st, 5), key_hash)) {
        read_party(st, out);
        rc = DC_OK;
    }
    release(s, st);
    return rc;
}

dc_status dc_store_party_get(dc_store *s, const char *name, dc_party *out)
{
    sqlite3_stmt *st = prepare(s, "SELECT " PARTY_COLUMNS " FROM parties WHERE name = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW ? DC_OK : step == SQLITE_DONE ? DC_NOT_FOUND : DC_STORE;
    if (rc == DC_OK)
        read_party(st, out);
    release(s, st);
    return rc;
}

dc_status dc_store_parties(dc_store *s, int (*each)(void *ctx, const dc_party *party), void *ctx)
{
    sqlite3_stmt *st = prepare(s, "SELECT " PARTY_COLUMNS " FROM parties ORDER BY name");
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
    release(s, st);
    return rc;
}

/* Run an UPDATE of one party bound as (value..., name): DC_NOT_FOUND when no such party. */
static dc_status party_update(dc_store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return DC_STORE;
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(conn(s)->db) == 0)
        rc = DC_NOT_FOUND;
    release(s, st);
    return rc;
}

dc_status dc_store_party_set_key(dc_store *s, const char *name,
                                 const uint8_t key_hash[DC_HASH_BYTES])
{
    sqlite3_stmt *st =
        prepare(s, "UPDATE parties SET key_hash = ?, key_revoked = 0 WHERE name = ?");
    if (st != NULL) {
        sqlite3_bind_blob(st, 1, key_hash, DC_HASH_BYTES, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}

dc_status dc_store_party_revoke_key(dc_store *s, const char *name)
{
    sqlite3_stmt *st = prepare(s, "UPDATE parties SET key_revoked = 1 WHERE name = ?");
    if (st != NULL)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return party_update(s, st);
}

dc_status dc_store_party_set_ceiling(dc_store *s, const char *name, int priority_ceiling)
{
    sqlite3_stmt *st = prepare(s, "UPDATE parties SET priority_ceiling = ? WHERE name = ?");
    if (st != NULL) {
        sqlite3_bind_int(st, 1, priority_ceiling);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}

dc_status dc_store_party_set_limits(dc_store *s, const char *name,
                                    const dc_rate limits[DC_RATE_CLASSES])
{
    sqlite3_stmt *st = prepare(s, "UPDATE parties SET writes_per_s = ?, writes_burst = ?,"
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

dc_status dc_store_party_exists(dc_store *s, const char *name)
{
    sqlite3_stmt *st = prepare(s, "SELECT 1 FROM parties WHERE name = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_NOT_FOUND;
    release(s, st);
    return rc;
}

dc_status dc_store_party_set_notation(dc_store *s, const char *name, const char *notation)
{
    sqlite3_stmt *st = prepare(s, "UPDATE parties SET notation = ? WHERE name = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, notation, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(conn(s)->db) == 0)
        rc = DC_NOT_FOUND;
    release(s, st);
    return rc;
}

/* One statement taking one integer and returning no rows. DC_OK or DC_STORE. */
static dc_status exec_int64(dc_store *s, const char *sql, int64_t value)
{
    sqlite3_stmt *st = prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, value);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc;
}

/* ---- disclosure ledger and probing ---- */

dc_status dc_store_disclosure_spent(dc_store *s, const char *viewer, const char *object,
                                    int64_t day, double *area_m2, int *mapped)
{
    *area_m2 = 0;
    *mapped = 0;
    sqlite3_stmt *st = prepare(
        s, "SELECT area_m2, mapped FROM disclosures WHERE viewer = ? AND object = ? AND day = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, viewer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, day);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *area_m2 = sqlite3_column_double(st, 0);
        *mapped = sqlite3_column_int(st, 1);
    }
    release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

dc_status dc_store_disclosure_charge(dc_store *s, const char *viewer, const char *object,
                                     int64_t day, double area_m2, int mapped)
{
    /* days before yesterday are no budget's concern: the ledger stays two days long */
    int ok = exec_int64(s, "DELETE FROM disclosures WHERE day < ?", day - 1) == DC_OK;
    sqlite3_stmt *st =
        prepare(s, "INSERT INTO disclosures(viewer, object, day, area_m2, notices, mapped)"
                   " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(viewer, object, day) DO UPDATE SET"
                   " area_m2 = area_m2 + excluded.area_m2, notices = notices + 1,"
                   " mapped = max(mapped, excluded.mapped)");
    if (!ok || st == NULL) {
        release(s, st);
        return DC_STORE;
    }
    sqlite3_bind_text(st, 1, viewer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, day);
    sqlite3_bind_double(st, 4, area_m2);
    sqlite3_bind_int(st, 5, mapped != 0);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc;
}

dc_status dc_store_site_refusal_add(dc_store *s, const char *party, const char *site,
                                    dc_time_us now, dc_time_us since, int64_t *in_window)
{
    *in_window = 0;
    int ok = exec_int64(s, "DELETE FROM site_refusals WHERE time < ?", since) == DC_OK;
    sqlite3_stmt *add = ok ? prepare(s, "INSERT INTO site_refusals(party, site, time)"
                                        " VALUES (?, ?, ?)")
                           : NULL;
    if (add == NULL)
        return DC_STORE;
    sqlite3_bind_text(add, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(add, 2, site, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(add, 3, now);
    ok = sqlite3_step(add) == SQLITE_DONE;
    release(s, add);
    sqlite3_stmt *count = ok ? prepare(s, "SELECT count(*) FROM site_refusals"
                                          " WHERE party = ? AND site = ? AND time >= ?")
                             : NULL;
    if (count == NULL)
        return DC_STORE;
    sqlite3_bind_text(count, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(count, 2, site, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(count, 3, since);
    dc_status rc = sqlite3_step(count) == SQLITE_ROW ? DC_OK : DC_STORE;
    if (rc == DC_OK)
        *in_window = sqlite3_column_int64(count, 0);
    release(s, count);
    return rc;
}

dc_status dc_store_probed_sites(dc_store *s, const char *party, dc_time_us since, int64_t limit,
                                int (*each)(void *ctx, const char *site), void *ctx)
{
    sqlite3_stmt *st = prepare(s, "SELECT site FROM site_refusals WHERE party = ? AND time >= ?"
                                  " GROUP BY site HAVING count(*) > ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, limit);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (each(ctx, (const char *)sqlite3_column_text(st, 0)) != 0)
            break;
    release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

/* ---- objects ---- */

void dc_object_ref(dc_object_kind kind, const char *owner, const char *id, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s", dc_kind_name(kind), owner, id);
}

void dc_record_clear(dc_record *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->object.volume_count; i++)
        dc_volume_clear((dc_volume *)&r->object.volumes[i]);
    dc_free((void *)r->object.volumes);
    dc_free((void *)r->object.admitted);
    dc_free(r->body);
    memset(r, 0, sizeof *r);
}

void dc_record_list_clear(dc_record_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        dc_record_clear(&list->items[i]);
    dc_free(list->items);
    memset(list, 0, sizeof *list);
}

static char *copy_text(const unsigned char *text)
{
    size_t n = text ? strlen((const char *)text) : 0;
    char *out = dc_malloc(n + 1);
    if (out != NULL) {
        memcpy(out, text ? (const char *)text : "", n);
        out[n] = '\0';
    }
    return out;
}

#define RECORD_COLUMNS                                                                                   \
    "row, kind, owner, id, version, state, priority, public, body, volumes, admitted, created, updated," \
    " volume_count, emergency"

/* A record from a row selected with RECORD_COLUMNS. */
static dc_status read_record(sqlite3_stmt *st, dc_record *r)
{
    memset(r, 0, sizeof *r);
    dc_object *o = &r->object;
    r->row = sqlite3_column_int64(st, 0);
    if (dc_kind_parse((const char *)sqlite3_column_text(st, 1), &o->kind) != DC_OK ||
        dc_state_parse((const char *)sqlite3_column_text(st, 5), &o->state) != DC_OK)
        return DC_STORE;
    dc_copy_text(o->owner, sizeof o->owner, (const char *)sqlite3_column_text(st, 2));
    dc_copy_text(o->id, sizeof o->id, (const char *)sqlite3_column_text(st, 3));
    o->version = sqlite3_column_int64(st, 4);
    o->priority = sqlite3_column_int(st, 6);
    r->is_public = sqlite3_column_int(st, 7);
    r->body = copy_text(sqlite3_column_text(st, 8));
    r->created = sqlite3_column_int64(st, 11);
    r->updated = sqlite3_column_int64(st, 12);
    if (r->body == NULL)
        return DC_NOMEM;
    const uint8_t *blob = sqlite3_column_blob(st, 9);
    size_t size = (size_t)sqlite3_column_bytes(st, 9), at = 0, count = 0, cap = 0;
    dc_volume *vols = NULL;
    while (at < size) {
        if (count == cap) {
            cap = cap ? cap * 2 : 4;
            dc_volume *grown = dc_realloc(vols, cap * sizeof *grown);
            if (grown == NULL) {
                o->volumes = vols;
                o->volume_count = count;
                return DC_NOMEM;
            }
            vols = grown;
        }
        size_t used = 0;
        if (dc_volume_unpack(blob + at, size - at, &vols[count], &used) != DC_OK) {
            o->volumes = vols;
            o->volume_count = count;
            return DC_STORE;
        }
        count++;
        at += used;
    }
    o->volumes = vols;
    o->volume_count = count;
    if ((int64_t)count != sqlite3_column_int64(st, 13))
        return DC_STORE; /* the row contradicts itself */
    if (dc_emergency_parse((const char *)sqlite3_column_text(st, 14), &o->emergency) != DC_OK)
        return DC_STORE;
    const char *adm = (const char *)sqlite3_column_text(st, 10);
    if (adm != NULL && adm[0] != '\0') {
        size_t n = 1;
        for (const char *p = adm; *p; p++)
            n += *p == ',';
        char(*list)[DC_ID_MAX] = dc_calloc(n, sizeof *list);
        if (list == NULL)
            return DC_NOMEM;
        size_t k = 0;
        for (const char *p = adm; k < n; k++) {
            size_t len = strcspn(p, ",");
            snprintf(list[k], DC_ID_MAX, "%.*s", (int)(len < DC_ID_MAX ? len : DC_ID_MAX - 1), p);
            p += len + (p[len] == ',');
        }
        o->admitted = (const char(*)[DC_ID_MAX])list;
        o->admitted_count = n;
    }
    return DC_OK;
}

static dc_status one_record(dc_store *s, sqlite3_stmt *st, dc_record *out)
{
    if (st == NULL)
        return DC_STORE;
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW    ? read_record(st, out)
                   : step == SQLITE_DONE ? DC_NOT_FOUND
                                         : DC_STORE;
    if (rc != DC_OK && step == SQLITE_ROW)
        dc_record_clear(out);
    release(s, st);
    return rc;
}

dc_status dc_store_object_get(dc_store *s, dc_object_kind kind, const char *owner, const char *id,
                              dc_record *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prepare(s, "SELECT " RECORD_COLUMNS
                                  " FROM objects WHERE kind = ? AND owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, dc_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    return one_record(s, st, out);
}

#define VISIBLE_TO_VIEWER                                                                          \
    "(owner = :viewer OR (kind = 'zone' AND public = 1) OR owner IN (SELECT grantor FROM grants "  \
    "WHERE grantee = :viewer AND grants.kind = objects.kind))"

dc_status dc_store_object_visible(dc_store *s, dc_object_kind kind, const char *id,
                                  const char *viewer, dc_record *out)
{
    memset(out, 0, sizeof *out);
    /* INDEXED BY: left alone, the planner orders by owner through the
     * unique index and reads every object of the kind. */
    sqlite3_stmt *st =
        prepare(s, "SELECT " RECORD_COLUMNS " FROM objects INDEXED BY objects_by_id"
                   " WHERE kind = :kind AND id = :id AND owner != :viewer AND " VISIBLE_TO_VIEWER
                   " ORDER BY owner LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"), dc_kind_name(kind), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":viewer"), viewer, -1,
                      SQLITE_TRANSIENT);
    return one_record(s, st, out);
}

static double hours(dc_time_us t)
{
    return (double)(t - EPOCH_2000_US) / US_PER_HOUR;
}

static char *admitted_text(const dc_object *o)
{
    size_t n = 1;
    for (size_t i = 0; i < o->admitted_count; i++)
        n += strlen(o->admitted[i]) + 1;
    char *text = dc_malloc(n);
    if (text == NULL)
        return NULL;
    text[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < o->admitted_count; i++)
        at += (size_t)snprintf(text + at, n - at, "%s%s", i ? "," : "", o->admitted[i]);
    return text;
}

static uint8_t *pack_volumes(const dc_object *o, size_t *size)
{
    size_t total = 0;
    for (size_t i = 0; i < o->volume_count; i++)
        total += dc_volume_packed_size(&o->volumes[i]);
    uint8_t *blob = dc_malloc(total ? total : 1);
    if (blob == NULL)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < o->volume_count; i++) {
        dc_volume_pack(&o->volumes[i], blob + at, total - at);
        at += dc_volume_packed_size(&o->volumes[i]);
    }
    *size = total;
    return blob;
}

/* Remove the boxes of an object's volumes. R*Tree finds rows by id only by
 * equality (a range of ids is a full scan), so each id is named. */
static dc_status remove_boxes(dc_store *s, int64_t row, int64_t volumes)
{
    sqlite3_stmt *st = prepare(s, "DELETE FROM volume_boxes WHERE id = ?");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int64_t i = 0; rc == DC_OK && i < volumes; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)DC_INDEX_ID(row, i));
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    release(s, st);
    return rc;
}

/* The row and volume count of an object, or DC_NOT_FOUND. */
static dc_status find_row(dc_store *s, dc_object_kind kind, const char *owner, const char *id,
                          int64_t *row, int64_t *volumes)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT row, volume_count FROM objects WHERE kind = ? AND owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, dc_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW ? DC_OK : step == SQLITE_DONE ? DC_NOT_FOUND : DC_STORE;
    if (rc == DC_OK) {
        *row = sqlite3_column_int64(st, 0);
        *volumes = sqlite3_column_int64(st, 1);
    }
    release(s, st);
    return rc;
}

dc_status dc_store_object_put(dc_store *s, dc_record *r)
{
    const dc_object *o = &r->object;
    if (o->volume_count >= ((size_t)1 << DC_INDEX_VOLUME_BITS))
        return DC_RANGE;
    size_t blob_size = 0;
    uint8_t *blob = pack_volumes(o, &blob_size);
    char *admitted = admitted_text(o);
    dc_status rc = blob && admitted ? DC_OK : DC_NOMEM;
    int64_t old_row = 0, old_volumes = 0;
    if (rc == DC_OK) {
        rc = find_row(s, o->kind, o->owner, o->id, &old_row, &old_volumes);
        if (rc == DC_OK)
            rc = remove_boxes(s, old_row, old_volumes);
        else if (rc == DC_NOT_FOUND)
            rc = DC_OK;
    }
    sqlite3_stmt *st = NULL;
    if (rc == DC_OK)
        st = prepare(
            s, "INSERT INTO objects(kind, owner, id, version, state, priority, public, body,"
               " volumes, admitted, created, updated, volume_count, emergency)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
               " ON CONFLICT(kind, owner, id) DO UPDATE SET version = excluded.version,"
               " emergency = excluded.emergency,"
               " state = excluded.state, priority = excluded.priority, public = excluded.public,"
               " body = excluded.body, volumes = excluded.volumes, admitted = excluded.admitted,"
               " updated = excluded.updated, volume_count = excluded.volume_count RETURNING row");
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_text(st, 1, dc_kind_name(o->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, o->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, o->version);
        sqlite3_bind_text(st, 5, dc_state_name(o->state), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, o->priority);
        sqlite3_bind_int(st, 7, r->is_public);
        sqlite3_bind_text(st, 8, r->body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 9, blob, (int)blob_size, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 10, admitted, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 11, r->created);
        sqlite3_bind_int64(st, 12, r->updated);
        sqlite3_bind_int64(st, 13, (sqlite3_int64)o->volume_count);
        sqlite3_bind_text(st, 14, dc_emergency_name(o->emergency), -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            r->row = sqlite3_column_int64(st, 0);
        else
            rc = DC_STORE;
        release(s, st);
    }
    dc_free(blob);
    dc_free(admitted);
    st = rc == DC_OK ? prepare(s, "INSERT INTO volume_boxes VALUES (?,?,?,?,?,?,?,?,?)") : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    for (size_t i = 0; rc == DC_OK && i < o->volume_count; i++) {
        dc_box4 b;
        dc_volume_box(&o->volumes[i], &b);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)DC_INDEX_ID(r->row, i));
        double v[8] = {b.lon_min, b.lon_max, b.lat_min,      b.lat_max,
                       b.alt_min, b.alt_max, hours(b.t_min), hours(b.t_max)};
        for (int k = 0; k < 8; k++)
            sqlite3_bind_double(st, k + 2, v[k]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = DC_STORE;
    }
    release(s, st);
    return rc;
}

dc_status dc_store_object_delete(dc_store *s, dc_object_kind kind, const char *owner,
                                 const char *id)
{
    int64_t row, volumes;
    dc_status rc = find_row(s, kind, owner, id, &row, &volumes);
    if (rc != DC_OK)
        return rc;
    sqlite3_stmt *st = prepare(s, "DELETE FROM objects WHERE row = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, row);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc == DC_OK ? remove_boxes(s, row, volumes) : rc;
}

static dc_status list_push(dc_record_list *list, dc_record **slot)
{
    dc_record *items = dc_grow(list->items, &list->capacity, list->count, sizeof *items, 16);
    if (items == NULL)
        return DC_NOMEM;
    list->items = items;
    *slot = &list->items[list->count];
    return DC_OK;
}

/* Rows of the objects with a box overlapping `b`, appended to rows (with
 * repeats). Longitudes compare modulo 360: one query per shift, since the
 * R*Tree cannot use an OR of ranges (it would scan every box). */
static dc_status rows_in_box(dc_store *s, const dc_box4 *b, dc_id_list *rows)
{
    sqlite3_stmt *st = prepare(
        s,
        "SELECT id FROM volume_boxes WHERE lon0 <= ?2 AND lon1 >= ?1 AND lat0 <= ?4 AND lat1 >= ?3"
        " AND alt0 <= ?6 AND alt1 >= ?5 AND t0 < ?8 AND t1 > ?7");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int shift = -360; rc == DC_OK && shift <= 360; shift += 360) {
        double v[8] = {b->lon_min + shift, b->lon_max + shift, b->lat_min,      b->lat_max,
                       b->alt_min,         b->alt_max,         hours(b->t_min), hours(b->t_max)};
        sqlite3_reset(st);
        for (int k = 0; k < 8; k++)
            sqlite3_bind_double(st, k + 1, v[k]);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            uint64_t *ids = dc_grow(rows->ids, &rows->capacity, rows->count, sizeof *ids, 64);
            if (ids == NULL) {
                rc = DC_NOMEM;
                break;
            }
            rows->ids = ids;
            rows->ids[rows->count++] =
                (uint64_t)sqlite3_column_int64(st, 0) >> DC_INDEX_VOLUME_BITS;
        }
        if (rc == DC_OK && step != SQLITE_DONE)
            rc = DC_STORE;
    }
    release(s, st);
    return rc;
}

/* Text parameters of a query, by name (":viewer"); a NULL name ends the list. */
struct binding {
    const char *name, *value;
};

/* Load the listed rows that pass `where`, appending them to *out. */
static dc_status load_rows(dc_store *s, const dc_id_list *rows, const char *where,
                           const struct binding *binds, dc_record_list *out)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " RECORD_COLUMNS " FROM objects WHERE row = :row AND %s",
             where);
    sqlite3_stmt *st = prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < rows->count; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":row"),
                           (sqlite3_int64)rows->ids[i]);
        for (const struct binding *b = binds; b && b->name; b++)
            sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, b->name), b->value, -1,
                              SQLITE_TRANSIENT);
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            continue;
        dc_record *slot;
        rc = step == SQLITE_ROW ? list_push(out, &slot) : DC_STORE;
        if (rc == DC_OK) {
            rc = read_record(st, slot);
            if (rc == DC_OK)
                out->count++;
            else
                dc_record_clear(slot);
        }
    }
    release(s, st);
    return rc;
}

/* The rows whose boxes overlap a box of `proposed`, each once, in order. */
static dc_status candidate_rows(dc_store *s, const dc_object *proposed, dc_id_list *rows)
{
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < proposed->volume_count; i++) {
        dc_box4 b;
        dc_volume_box(&proposed->volumes[i], &b);
        rc = rows_in_box(s, &b, rows);
    }
    dc_id_list_sort_unique(rows);
    return rc;
}

/* Which of those rows are candidates: in force (a suspended hazard keeps its place, engine.c),
 * and not the proposed object itself. Equalities, not `state IN (...)`: SQLite builds an IN
 * list's ephemeral table on every run of the statement, and this one runs once per candidate
 * row, under the write lock when the stamps are re-read (two thirds of a small write's time
 * with fifty candidates). */
#define CANDIDATE_WHERE                                                                            \
    "(kind = 'zone' OR state = 'accepted' OR state = 'activated' OR state = 'nonconforming'"       \
    " OR state = 'suspended') AND NOT (kind = :kind AND owner = :owner AND id = :id)"

dc_status dc_store_candidates(dc_store *s, const dc_object *proposed, dc_record_list *out)
{
    dc_id_list rows = {0};
    dc_status rc = candidate_rows(s, proposed, &rows);
    struct binding binds[] = {{":kind", dc_kind_name(proposed->kind)},
                              {":owner", proposed->owner},
                              {":id", proposed->id},
                              {NULL, NULL}};
    if (rc == DC_OK)
        rc = load_rows(s, &rows, CANDIDATE_WHERE, binds, out);
    dc_id_list_clear(&rows);
    return rc;
}

void dc_candidate_stamps_clear(dc_candidate_stamps *stamps)
{
    if (stamps == NULL)
        return;
    dc_free(stamps->items);
    memset(stamps, 0, sizeof *stamps);
}

static dc_status stamp_push(dc_candidate_stamps *out, dc_candidate_stamp stamp)
{
    dc_candidate_stamp *items = dc_grow(out->items, &out->capacity, out->count, sizeof *items, 16);
    if (items == NULL)
        return DC_NOMEM;
    out->items = items;
    out->items[out->count++] = stamp;
    return DC_OK;
}

dc_status dc_store_candidate_stamps(dc_store *s, const dc_object *proposed,
                                    dc_candidate_stamps *out)
{
    out->count = 0;
    dc_id_list rows = {0};
    dc_status rc = candidate_rows(s, proposed, &rows);
    sqlite3_stmt *st = rc == DC_OK ? prepare(s, "SELECT version, created, updated FROM objects"
                                                " WHERE row = :row AND " CANDIDATE_WHERE)
                                   : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    for (size_t i = 0; rc == DC_OK && i < rows.count; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":row"),
                           (sqlite3_int64)rows.ids[i]);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"),
                          dc_kind_name(proposed->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":owner"), proposed->owner, -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":id"), proposed->id, -1,
                          SQLITE_TRANSIENT);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = stamp_push(out, (dc_candidate_stamp){
                                     (int64_t)rows.ids[i], sqlite3_column_int64(st, 0),
                                     sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)});
        else if (step != SQLITE_DONE)
            rc = DC_STORE;
    }
    release(s, st);
    dc_id_list_clear(&rows);
    return rc;
}

dc_status dc_candidate_stamps_of(const dc_record_list *candidates, dc_candidate_stamps *out)
{
    out->count = 0;
    dc_status rc = DC_OK;
    /* dc_store_candidates returns its records by row, as the stamps are kept */
    for (size_t i = 0; rc == DC_OK && i < candidates->count; i++) {
        const dc_record *r = &candidates->items[i];
        rc = stamp_push(out,
                        (dc_candidate_stamp){r->row, r->object.version, r->created, r->updated});
    }
    return rc;
}

int dc_candidate_stamps_equal(const dc_candidate_stamps *a, const dc_candidate_stamps *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        const dc_candidate_stamp *x = &a->items[i], *y = &b->items[i];
        if (x->row != y->row || x->version != y->version || x->created != y->created ||
            x->updated != y->updated)
            return 0;
    }
    return 1;
}

/* Every row the statement yields, appended to `out`; releases it. */
static dc_status read_records(dc_store *s, sqlite3_stmt *st, dc_record_list *out)
{
    dc_status rc = DC_OK;
    int step = SQLITE_DONE;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_record *slot;
        rc = list_push(out, &slot);
        if (rc == DC_OK) {
            rc = read_record(st, slot);
            if (rc == DC_OK)
                out->count++;
            else
                dc_record_clear(slot);
        }
    }
    if (rc == DC_OK && step != SQLITE_DONE)
        rc = DC_STORE;
    release(s, st);
    return rc;
}

dc_status dc_store_object_list(dc_store *s, dc_object_kind kind, const char *viewer,
                               const dc_box4 *box, dc_record_list *out)
{
    char where[512];
    snprintf(where, sizeof where, "kind = '%s' AND " VISIBLE_TO_VIEWER, dc_kind_name(kind));
    if (box != NULL) {
        dc_id_list rows = {0};
        dc_status rc = rows_in_box(s, box, &rows);
        dc_id_list_sort_unique(&rows);
        struct binding binds[] = {{":viewer", viewer}, {NULL, NULL}};
        if (rc == DC_OK)
            rc = load_rows(s, &rows, where, binds, out);
        dc_id_list_clear(&rows);
        return rc;
    }
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT " RECORD_COLUMNS " FROM objects WHERE %s ORDER BY owner, id",
             where);
    sqlite3_stmt *st = prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":viewer"), viewer, -1,
                      SQLITE_TRANSIENT);
    return read_records(s, st, out);
}

dc_status dc_store_object_page(dc_store *s, dc_object_kind kind, const char *viewer,
                               const dc_box4 *box, int64_t after_row, size_t limit,
                               dc_record_list *out)
{
    char where[512];
    snprintf(where, sizeof where, "kind = '%s' AND " VISIBLE_TO_VIEWER, dc_kind_name(kind));
    struct binding binds[] = {{":viewer", viewer}, {NULL, NULL}};
    if (box != NULL) {
        dc_id_list rows = {0};
        dc_status rc = rows_in_box(s, box, &rows);
        dc_id_list_sort_unique(&rows);
        /* only rows past the cursor; visibility drops some, so the page is cut after loading */
        size_t keep = 0;
        for (size_t i = 0; rc == DC_OK && i < rows.count; i++)
            if ((int64_t)rows.ids[i] > after_row)
                rows.ids[keep++] = rows.ids[i];
        rows.count = keep;
        size_t before = out->count;
        if (rc == DC_OK)
            rc = load_rows(s, &rows, where, binds, out);
        dc_id_list_clear(&rows);
        while (rc == DC_OK && out->count > before + limit)
            dc_record_clear(&out->items[--out->count]);
        return rc;
    }
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT " RECORD_COLUMNS " FROM objects WHERE %s AND row > :after ORDER BY row"
             " LIMIT :limit",
             where);
    sqlite3_stmt *st = prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":viewer"), viewer, -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after"), after_row);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), (sqlite3_int64)limit);
    return read_records(s, st, out);
}

dc_status dc_store_object_counts(dc_store *s, int64_t counts[DC_KIND_COUNT])
{
    for (int k = 0; k < DC_KIND_COUNT; k++)
        counts[k] = 0;
    sqlite3_stmt *st = prepare(s, "SELECT kind, count(*) FROM objects GROUP BY kind");
    if (st == NULL)
        return DC_STORE;
    while (sqlite3_step(st) == SQLITE_ROW) {
        dc_object_kind k;
        if (dc_kind_parse((const char *)sqlite3_column_text(st, 0), &k) == DC_OK)
            counts[k] = sqlite3_column_int64(st, 1);
    }
    release(s, st);
    return DC_OK;
}

/* ---- grants ---- */

static dc_status grant_statement(dc_store *s, const char *sql, const char *grantor,
                                 const char *grantee, dc_object_kind kind, dc_time_us now,
                                 int *changed_or_found)
{
    sqlite3_stmt *st = prepare(s, sql);
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
        step == SQLITE_ROW ||
        (step == SQLITE_DONE && sqlite3_changes(conn(s)->db) > 0 && strncmp(sql, "SELECT", 6) != 0);
    release(s, st);
    return rc;
}

dc_status dc_store_grant_add(dc_store *s, const char *grantor, const char *grantee,
                             dc_object_kind kind, dc_time_us now)
{
    int changed = 0;
    dc_status rc = grant_statement(s,
                                   "INSERT OR IGNORE INTO grants(grantor, grantee, kind, created)"
                                   " VALUES (?, ?, ?, ?)",
                                   grantor, grantee, kind, now, &changed);
    return rc != DC_OK ? rc : changed ? DC_OK : DC_CONFLICT;
}

dc_status dc_store_grant_remove(dc_store *s, const char *grantor, const char *grantee,
                                dc_object_kind kind)
{
    int changed = 0;
    dc_status rc =
        grant_statement(s, "DELETE FROM grants WHERE grantor = ? AND grantee = ? AND kind = ?",
                        grantor, grantee, kind, 0, &changed);
    return rc != DC_OK ? rc : changed ? DC_OK : DC_NOT_FOUND;
}

dc_status dc_store_grant_exists(dc_store *s, const char *grantor, const char *grantee,
                                dc_object_kind kind)
{
    int found = 0;
    dc_status rc =
        grant_statement(s, "SELECT 1 FROM grants WHERE grantor = ? AND grantee = ? AND kind = ?",
                        grantor, grantee, kind, 0, &found);
    return rc != DC_OK ? rc : found ? DC_OK : DC_NOT_FOUND;
}

/* ---- notices and alerts: what a party was told, oldest first ---- */

static char *join_recipients(const char *const *recipients, size_t n)
{
    size_t size = 1;
    for (size_t k = 0; k < n; k++)
        size += strlen(recipients[k]) + 1;
    char *text = dc_malloc(size);
    if (text == NULL)
        return NULL;
    size_t at = 0;
    text[0] = '\0';
    for (size_t k = 0; k < n; k++)
        at += (size_t)snprintf(text + at, size - at, "%s%s", k ? "," : "", recipients[k]);
    return text;
}

/* The base an alert of episode `key` may be stored against: its id and body, if the episode has
 * one still open at `now`; *base = 0 otherwise. *body is the caller's. */
static dc_status episode_base(dc_store *s, const char *key, dc_time_us now, int64_t *base,
                              char **body)
{
    *base = 0;
    *body = NULL;
    sqlite3_stmt *st = prepare(s, "SELECT l.id, l.body FROM alert_episodes e JOIN alert_log l"
                                  " ON l.id = e.base AND l.episode = 0"
                                  " WHERE e.key = ? AND e.until >= ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    if (step == SQLITE_ROW) {
        *body = copy_text(sqlite3_column_text(st, 1));
        *base = sqlite3_column_int64(st, 0);
        if (*body == NULL) {
            *base = 0;
            rc = DC_NOMEM;
        }
    }
    release(s, st);
    return rc;
}

dc_status dc_store_alert_add(dc_store *s, const char *episode_key, dc_time_us episode_us,
                             const char *const *recipients, const char *const *texts, size_t n,
                             dc_time_us now, int64_t *id)
{
    *id = 0;
    if (n == 0 || n > 8)
        return DC_INVALID;
    char *common = NULL, *extras[8] = {NULL}, *patch = NULL, *base_body = NULL;
    char *joined = join_recipients(recipients, n);
    dc_status rc = joined != NULL ? dc__alert_split(texts, n, &common, extras) : DC_NOMEM;
    int64_t base = 0;
    if (rc == DC_OK && episode_key != NULL)
        rc = episode_base(s, episode_key, now, &base, &base_body);
    if (rc == DC_OK && base != 0)
        rc = dc__alert_patch(base_body, common, &patch);
    sqlite3_stmt *st = rc == DC_OK ? prepare(s, "INSERT INTO alert_log(created, episode, until,"
                                                " recipients, body) VALUES (?, ?, ?, ?, ?)")
                                   : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, base);
        if (base == 0 && episode_key != NULL)
            sqlite3_bind_int64(st, 3, now + episode_us);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_text(st, 4, joined, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, base != 0 ? patch : common, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        if (rc == DC_OK)
            *id = sqlite3_last_insert_rowid(conn(s)->db);
        release(s, st);
    }
    st = rc == DC_OK ? prepare(s, "INSERT INTO alert_inbox(recipient, id, extra) VALUES (?, ?, ?)")
                     : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    for (size_t k = 0; rc == DC_OK && k < n; k++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, recipients[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, *id);
        if (extras[k] != NULL)
            sqlite3_bind_text(st, 3, extras[k], -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    release(s, st);
    if (rc == DC_OK && base == 0 && episode_key != NULL) {
        st = prepare(s, "INSERT INTO alert_episodes(key, base, until) VALUES (?, ?, ?)"
                        " ON CONFLICT(key) DO UPDATE SET base = excluded.base,"
                        " until = excluded.until");
        if (st == NULL)
            rc = DC_STORE;
        else {
            sqlite3_bind_text(st, 1, episode_key, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, *id);
            sqlite3_bind_int64(st, 3, now + episode_us);
            rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
            release(s, st);
        }
    }
    dc_free(joined);
    dc_free(common);
    dc_free(patch);
    dc_free(base_body);
    for (size_t k = 0; k < n; k++)
        dc_free(extras[k]);
    if (rc != DC_OK)
        *id = 0;
    return rc;
}

dc_status dc_store_inbox_add(dc_store *s, dc_inbox box, const char *recipient, const char *body,
                             dc_time_us now, int64_t *id)
{
    if (box == DC_INBOX_ALERTS) {
        int64_t local = 0;
        dc_status rc = dc_store_alert_add(s, NULL, 0, &recipient, &body, 1, now, &local);
        if (id != NULL)
            *id = local;
        return rc;
    }
    sqlite3_stmt *st = prepare(s, "INSERT INTO notices(recipient, body, created) VALUES (?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && id != NULL)
        *id = sqlite3_last_insert_rowid(conn(s)->db);
    release(s, st);
    return rc;
}

/* A recipient's alerts as it reads them: each copy's text put back from the shared body, the
 * episode's base when it is a repetition, and the recipient's own members. */
static dc_status alert_inbox(dc_store *s, const char *recipient, int64_t after, size_t limit,
                             int (*each)(void *, int64_t, const char *, dc_time_us), void *ctx)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT i.id, i.extra, l.created, l.episode, l.body, b.body FROM alert_inbox i"
                   " JOIN alert_log l ON l.id = i.id LEFT JOIN alert_log b ON b.id = l.episode"
                   " AND l.episode != 0 WHERE i.recipient = ? AND i.id > ? ORDER BY i.id LIMIT ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    dc_status rc = DC_OK;
    int step;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *extra = (const char *)sqlite3_column_text(st, 1);
        const char *body = (const char *)sqlite3_column_text(st, 4);
        const char *base = (const char *)sqlite3_column_text(st, 5);
        int patched = sqlite3_column_int64(st, 3) != 0;
        char *text = NULL;
        /* a repetition whose base is gone (never, while the archive keeps bases as long as
         * their episode: see dc_store_expired) still says what it stored */
        rc = dc__alert_text(patched ? (base != NULL ? base : "{}") : body, patched ? body : NULL,
                            extra, &text);
        if (rc == DC_INVALID) {
            rc = DC_OK; /* a row that is not JSON: skipped, as unparsable notices are */
            continue;
        }
        if (rc == DC_OK &&
            each(ctx, sqlite3_column_int64(st, 0), text, sqlite3_column_int64(st, 2)) != 0) {
            dc_free(text);
            break;
        }
        dc_free(text);
    }
    release(s, st);
    return rc;
}

dc_status dc_store_inbox(dc_store *s, dc_inbox box, const char *recipient, int64_t after,
                         size_t limit, int (*each)(void *, int64_t, const char *, dc_time_us),
                         void *ctx)
{
    if (box == DC_INBOX_ALERTS)
        return alert_inbox(s, recipient, after, limit, each, ctx);
    sqlite3_stmt *st =
        prepare(s, "SELECT id, body, created FROM notices WHERE recipient = ? AND id > ?"
                   " ORDER BY id LIMIT ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (each(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                 sqlite3_column_int64(st, 2)) != 0)
            break;
    release(s, st);
    return DC_OK;
}

dc_status dc_store_inbox_last(dc_store *s, dc_inbox box, const char *recipient, int64_t *id)
{
    sqlite3_stmt *st =
        prepare(s, box == DC_INBOX_ALERTS
                       ? "SELECT coalesce(max(id), 0) FROM alert_inbox WHERE recipient = ?"
                       : "SELECT coalesce(max(id), 0) FROM notices WHERE recipient = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_STORE;
    *id = rc == DC_OK ? sqlite3_column_int64(st, 0) : 0;
    release(s, st);
    return rc;
}

dc_status dc_store_flying_intents(dc_store *s, dc_record_list *out)
{
    sqlite3_stmt *st = prepare(s, "SELECT " RECORD_COLUMNS " FROM objects WHERE kind = 'intent'"
                                  " AND state IN ('accepted', 'activated') ORDER BY row");
    if (st == NULL)
        return DC_STORE;
    return read_records(s, st, out);
}

dc_status dc_store_zones(dc_store *s, dc_record_list *out)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT " RECORD_COLUMNS " FROM objects WHERE kind = 'zone' ORDER BY row");
    if (st == NULL)
        return DC_STORE;
    return read_records(s, st, out);
}

/* ---- audit ---- */

dc_status dc_store_audit_append(dc_store *s, dc_audit_record *r,
                                const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    sqlite3_stmt *st = prepare(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    r->seq = 1;
    memset(r->prev_hash, 0, sizeof r->prev_hash);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == DC_HASH_BYTES) {
        r->seq = sqlite3_column_int64(st, 0) + 1;
        memcpy(r->prev_hash, sqlite3_column_blob(st, 1), DC_HASH_BYTES);
    }
    release(s, st);
    dc_status rc = dc_audit_seal(r, sk);
    if (rc != DC_OK)
        return rc;
    st = prepare(s, "INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)");
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
    release(s, st);
    if (rc == DC_OK) {
        s->tx_head_seq = r->seq;
        memcpy(s->tx_head_hash, r->hash, DC_HASH_BYTES);
    }
    return rc;
}

static dc_status read_audit(sqlite3_stmt *st, dc_audit_record *r);

dc_status dc_store_audit_checkpoint(dc_store *s, const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    sqlite3_stmt *st = prepare(s, "SELECT * FROM audit ORDER BY seq DESC LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    dc_audit_record r;
    int found = sqlite3_step(st) == SQLITE_ROW;
    dc_status rc = found ? read_audit(st, &r) : DC_OK;
    release(s, st);
    if (rc != DC_OK || !found || dc_audit_signed(&r))
        return rc;
    if ((rc = dc_audit_seal(&r, sk)) != DC_OK)
        return rc;
    st = prepare(s, "UPDATE audit SET signature = ? WHERE seq = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_blob(st, 1, r.signature, DC_SIGNATURE_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r.seq);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc;
}

static void column_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t size)
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
static dc_status read_audit(sqlite3_stmt *st, dc_audit_record *r)
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
    column_blob(st, 7, r->prev_hash, DC_HASH_BYTES);
    column_blob(st, 8, r->hash, DC_HASH_BYTES);
    if (sqlite3_column_bytes(st, 9) == 0)
        memset(r->signature, 0, DC_SIGNATURE_BYTES); /* unsigned, stored as no bytes */
    else
        column_blob(st, 9, r->signature, DC_SIGNATURE_BYTES);
    return DC_OK;
}

dc_status dc__store_read_audit(sqlite3_stmt *st, dc_audit_record *r)
{
    return read_audit(st, r);
}

/* The runs of seqs the audit_by_run_object index is divided into (migration 8). */
#define AUDIT_RUN_BITS 16

/* The first and last run holding records; 0 and -1 when there are none. */
static dc_status audit_runs(dc_store *s, int64_t *first, int64_t *last)
{
    *first = 0;
    *last = -1;
    sqlite3_stmt *st = prepare(s, "SELECT min(seq), max(seq) FROM audit");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *first = sqlite3_column_int64(st, 0) >> AUDIT_RUN_BITS;
        *last = sqlite3_column_int64(st, 1) >> AUDIT_RUN_BITS;
    }
    release(s, st);
    return rc;
}

dc_status dc_store_audit_walk(dc_store *s, const char *object,
                              int (*each)(void *, const dc_audit_record *), void *ctx)
{
    return dc_store_audit_walk_after(s, object, 0, each, ctx);
}

dc_status dc_store_audit_walk_after(dc_store *s, const char *object, int64_t after,
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
    sqlite3_stmt *st = prepare(
        s, object ? "SELECT * FROM audit WHERE (seq >> 16) = ?1 AND object = ?2 AND seq > ?3"
                    " UNION ALL SELECT a.* FROM audit_names n JOIN audit a ON a.seq = n.seq"
                    " WHERE n.object = ?2 AND n.seq >= (?1 << 16) AND n.seq < ((?1 + 1) << 16)"
                    " AND n.seq > ?3 ORDER BY 1"
                  : "SELECT * FROM audit WHERE seq > ?3 ORDER BY seq");
    if (st == NULL)
        return DC_STORE;
    dc_audit_record *r = dc_malloc(sizeof *r);
    if (r == NULL) {
        release(s, st);
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
            read_audit(st, r);
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
    release(s, st);
    return rc;
}

dc_status dc_store_audit_names(dc_store *s, int64_t seq, const char *const *objects, size_t n)
{
    sqlite3_stmt *st = prepare(s, "INSERT OR IGNORE INTO audit_names(seq, object) VALUES (?, ?)");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_text(st, 2, objects[i], -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    release(s, st);
    return rc;
}

dc_status dc_store_object_digest(dc_store *s, const dc_record *r, uint8_t out[DC_HASH_BYTES])
{
    (void)s;
    size_t size = 0;
    uint8_t *blob = pack_volumes(&r->object, &size);
    if (blob == NULL)
        return DC_NOMEM;
    char *admitted = admitted_text(&r->object);
    if (admitted == NULL) {
        dc_free(blob);
        return DC_NOMEM;
    }
    /* Every column of the row is folded in, so that no byte of it can
     * change unnoticed: public, admitted and the two times as well. */
    size_t n = strlen(r->body) + strlen(admitted) + 64;
    char *text = dc_malloc(n);
    if (text == NULL) {
        dc_free(blob);
        dc_free(admitted);
        return DC_NOMEM;
    }
    snprintf(text, n, "%s\n%d\n%s\n%lld\n%lld", r->body, r->is_public, admitted,
             (long long)r->created, (long long)r->updated);
    dc_status rc = dc_audit_object_digest(
        dc_kind_name(r->object.kind), r->object.owner, r->object.id, r->object.version,
        dc_state_name(r->object.state), r->object.priority, text, blob, size, out);
    dc_free(text);
    dc_free(blob);
    dc_free(admitted);
    return rc;
}

dc_status dc_store_verify_rows(dc_store *s, int (*each)(void *, const char *, const uint8_t *),
                               void *ctx, dc_error *err)
{
    sqlite3_stmt *st = prepare(s, "SELECT " RECORD_COLUMNS " FROM objects ORDER BY row");
    if (st == NULL)
        return db_error(s, err, "objects");
    dc_status rc = DC_OK;
    int64_t volumes = 0;
    sqlite3_stmt *box = prepare(
        s, "SELECT lon0, lon1, lat0, lat1, alt0, alt1, t0, t1 FROM volume_boxes WHERE id = ?");
    while (rc == DC_OK && sqlite3_step(st) == SQLITE_ROW) {
        dc_record r;
        char ref[192];
        snprintf(ref, sizeof ref, "%s/%s/%s", (const char *)sqlite3_column_text(st, 1),
                 (const char *)sqlite3_column_text(st, 2),
                 (const char *)sqlite3_column_text(st, 3));
        uint8_t digest[DC_HASH_BYTES];
        if (read_record(st, &r) != DC_OK) {
            dc_record_clear(&r);
            memset(digest, 0, sizeof digest); /* unreadable: matches no audit entry */
        } else {
            dc_store_object_digest(s, &r, digest);
            /* The spatial index must say what the volumes say, or a lookup
             * could hide a conflict. */
            for (size_t i = 0; i < r.object.volume_count; i++, volumes++) {
                dc_box4 b;
                dc_volume_box(&r.object.volumes[i], &b);
                double want[8] = {b.lon_min, b.lon_max, b.lat_min,      b.lat_max,
                                  b.alt_min, b.alt_max, hours(b.t_min), hours(b.t_max)};
                sqlite3_reset(box);
                sqlite3_bind_int64(box, 1, (sqlite3_int64)DC_INDEX_ID(r.row, i));
                int ok = sqlite3_step(box) == SQLITE_ROW;
                for (int k = 0; ok && k < 8; k++) {
                    double got = sqlite3_column_double(box, k);
                    double slack = 1e-6 * (fabs(want[k]) + 1.0);
                    ok = k % 2 == 0 ? got <= want[k] && got >= want[k] - slack
                                    : got >= want[k] && got <= want[k] + slack;
                }
                if (!ok)
                    digest[0] ^= 0xff; /* reported as a changed row */
            }
        }
        dc_record_clear(&r);
        if (each(ctx, ref, digest) != 0)
            break;
    }
    release(s, st);
    release(s, box);
    st = prepare(s, "SELECT count(*) FROM volume_boxes");
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) != volumes)
        rc = dc_error_set(err, DC_CONFLICT, "volume_boxes", DC_NO_POSITION,
                          "the spatial index holds %lld boxes for %lld volumes",
                          (long long)sqlite3_column_int64(st, 0), (long long)volumes);
    release(s, st);
    return rc;
}

/* ---- direct-line messages ---- */

static void read_message(sqlite3_stmt *st, dc_message *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    dc_copy_text(m->sender, sizeof m->sender, (const char *)sqlite3_column_text(st, 1));
    dc_copy_text(m->recipient, sizeof m->recipient, (const char *)sqlite3_column_text(st, 2));
    m->body = copy_text(sqlite3_column_text(st, 3));
    m->created = sqlite3_column_int64(st, 4);
    m->acknowledged = sqlite3_column_int(st, 5);
}

dc_status dc_store_message_add(dc_store *s, const char *sender, const char *recipient,
                               const char *body, dc_time_us now, int64_t *id)
{
    sqlite3_stmt *st =
        prepare(s, "INSERT INTO messages(sender, recipient, body, created) VALUES (?, ?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, sender, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    *id = sqlite3_last_insert_rowid(conn(s)->db);
    release(s, st);
    return rc;
}

dc_status dc_store_message_get(dc_store *s, int64_t id, dc_message *out)
{
    sqlite3_stmt *st = prepare(
        s, "SELECT id, sender, recipient, body, created, acknowledged FROM messages WHERE id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, id);
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_NOT_FOUND;
    if (rc == DC_OK)
        read_message(st, out);
    release(s, st);
    return rc;
}

dc_status dc_store_messages(dc_store *s, const char *party,
                            int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    return dc_store_messages_page(s, party, 0, SIZE_MAX / 2, each, ctx);
}

dc_status dc_store_messages_page(dc_store *s, const char *party, int64_t after, size_t limit,
                                 int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT id, sender, recipient, body, created, acknowledged FROM messages"
                   " WHERE (sender = ?1 OR recipient = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        dc_message m;
        read_message(st, &m);
        int stop = each(ctx, &m);
        dc_free(m.body);
        if (stop)
            break;
    }
    release(s, st);
    return DC_OK;
}

dc_status dc_store_message_acknowledge(dc_store *s, int64_t id)
{
    return exec_int64(s, "UPDATE messages SET acknowledged = 1 WHERE id = ?", id);
}

/* ---- retention: what leaves for the archive, read on a connection of the pool ---- */

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
        read_audit(st, full);
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

/* The recipients of a comma-separated list, pointing into `text` (which is cut up). */
static size_t split_recipients(char *text, const char *out[8])
{
    size_t n = 0;
    for (char *p = text; *p != '\0' && n < 8;) {
        size_t len = strcspn(p, ",");
        out[n++] = p;
        if (p[len] == '\0')
            break;
        p[len] = '\0';
        p += len + 1;
    }
    return n;
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
        char *text = NULL, *recipients = copy_text(sqlite3_column_text(st, 4));
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
            text = copy_text((const unsigned char *)body);
            if (text == NULL)
                rc = DC_NOMEM;
        }
        const char *to[8];
        char *extras[8] = {NULL};
        size_t n = split_recipients(recipients, to);
        for (size_t k = 0; rc == DC_OK && k < n; k++) {
            sqlite3_reset(copy);
            sqlite3_bind_text(copy, 1, to[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(copy, 2, id);
            if (sqlite3_step(copy) == SQLITE_ROW && sqlite3_column_type(copy, 0) != SQLITE_NULL &&
                (extras[k] = copy_text(sqlite3_column_text(copy, 0))) == NULL)
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
        if (read_record(st, &r) != DC_OK || dc_store_object_digest(s, &r, digest) != DC_OK) {
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

dc_status dc_store_expired(dc_store *s, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                           size_t limit, int (*each)(void *, const dc_expired *), void *ctx)
{
    struct connection *c = acquire_reader(s);
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
        release_reader(s, c);
    return rc;
}

/* Run a one-row delete bound to (key[, check]): DC_STALE unless exactly that row went. */
static dc_status delete_one(dc_store *s, const char *sql, int64_t key, const int64_t *check)
{
    sqlite3_stmt *st = prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, key);
    if (check != NULL)
        sqlite3_bind_int64(st, 2, *check);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(conn(s)->db) != 1)
        rc = DC_STALE;
    release(s, st);
    return rc;
}

static dc_status remove_alert(dc_store *s, int64_t id)
{
    sqlite3_stmt *st = prepare(s, "SELECT recipients FROM alert_log WHERE id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    char *recipients = step == SQLITE_ROW ? copy_text(sqlite3_column_text(st, 0)) : NULL;
    release(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? DC_STALE : DC_STORE;
    if (recipients == NULL)
        return DC_NOMEM;
    const char *to[8];
    size_t n = split_recipients(recipients, to);
    st = prepare(s, "DELETE FROM alert_inbox WHERE recipient = ? AND id = ?");
    dc_status rc = st != NULL ? DC_OK : DC_STORE;
    for (size_t k = 0; rc == DC_OK && k < n; k++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, to[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    release(s, st);
    dc_free(recipients);
    return rc == DC_OK ? delete_one(s, "DELETE FROM alert_log WHERE id = ?", id, NULL) : rc;
}

static dc_status remove_object(dc_store *s, int64_t row, int64_t version)
{
    sqlite3_stmt *st = prepare(s, "SELECT volume_count FROM objects WHERE row = ? AND version = ?"
                                  " AND state IN ('ended', 'withdrawn')");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int64(st, 2, version);
    int step = sqlite3_step(st);
    int64_t volumes = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    release(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? DC_STALE : DC_STORE;
    dc_status rc = delete_one(s, "DELETE FROM objects WHERE row = ?", row, NULL);
    return rc == DC_OK ? remove_boxes(s, row, volumes) : rc;
}

/* Audit records leave as a run of consecutive seqs: one range, so one statement. */
static dc_status remove_audit(dc_store *s, const int64_t *seqs, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (seqs[i] != seqs[0] + (int64_t)i)
            return DC_STALE;
    sqlite3_stmt *st = prepare(s, "DELETE FROM audit WHERE seq >= ? AND seq <= ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, seqs[0]);
    sqlite3_bind_int64(st, 2, seqs[count - 1]);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && (size_t)sqlite3_changes(conn(s)->db) != count)
        rc = DC_STALE;
    release(s, st);
    /* the archive keeps the records, their detail naming what each list read disclosed */
    if (rc == DC_OK)
        st = prepare(s, "DELETE FROM audit_names WHERE seq >= ? AND seq <= ?");
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_int64(st, 1, seqs[0]);
        sqlite3_bind_int64(st, 2, seqs[count - 1]);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        release(s, st);
    }
    return rc;
}

dc_status dc_store_expired_remove(dc_store *s, dc_retained kind, const int64_t *keys,
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

dc_status dc_store_alert_episodes_prune(dc_store *s, dc_time_us now)
{
    return exec_int64(s, "DELETE FROM alert_episodes WHERE until < ?", now);
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
    column_blob(st, 7, g->digest, DC_HASH_BYTES);
    column_blob(st, 8, g->prev_segment, DC_HASH_BYTES);
    g->chain_before_seq = sqlite3_column_int64(st, 9);
    column_blob(st, 10, g->chain_before_hash, DC_HASH_BYTES);
    g->chain_seq = sqlite3_column_int64(st, 11);
    column_blob(st, 12, g->chain_hash, DC_HASH_BYTES);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        g->rows[k] = sqlite3_column_int64(st, 13 + k);
}

dc_status dc_store_segment_last(dc_store *s, dc_segment *out)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT " SEGMENT_COLUMNS " FROM archive_segments ORDER BY number DESC LIMIT 1");
    if (st == NULL)
        return DC_STORE;
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW ? DC_OK : step == SQLITE_DONE ? DC_NOT_FOUND : DC_STORE;
    if (rc == DC_OK)
        read_segment(st, out);
    release(s, st);
    return rc;
}

dc_status dc_store_segments(dc_store *s, int (*each)(void *, const dc_segment *), void *ctx)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT " SEGMENT_COLUMNS " FROM archive_segments ORDER BY number");
    if (st == NULL)
        return DC_STORE;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        dc_segment g;
        read_segment(st, &g);
        if (each(ctx, &g) != 0)
            break;
    }
    release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

dc_status dc_store_segment_save(dc_store *s, const dc_segment *g)
{
    sqlite3_stmt *st = prepare(s, "INSERT OR REPLACE INTO archive_segments(" SEGMENT_COLUMNS
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
    release(s, st);
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

dc_status dc_store_stats_read(dc_store *s, dc_store_stats *out)
{
    memset(out, 0, sizeof *out);
    struct connection *c = acquire_reader(s);
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
        release_reader(s, c);
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", s->location);
    struct stat info;
    if (rc == DC_OK && stat(wal, &info) == 0)
        out->wal_bytes = (int64_t)info.st_size;
    return rc;
}

dc_status dc_store_size_sample(dc_store *s, dc_time_us now, int64_t live_bytes,
                               int64_t archive_bytes)
{
    sqlite3_stmt *st = prepare(s, "INSERT OR REPLACE INTO size_samples(time, live_bytes,"
                                  " archive_bytes) VALUES (?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, live_bytes);
    sqlite3_bind_int64(st, 3, archive_bytes);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    st = rc == DC_OK ? prepare(s, "DELETE FROM size_samples WHERE time < ?") : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_int64(st, 1, now - INT64_C(86400000000));
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        release(s, st);
    }
    return rc;
}

dc_status dc_store_size_growth(dc_store *s, dc_time_us now, dc_time_us over, double *live_per_s,
                               double *total_per_s)
{
    *live_per_s = *total_per_s = 0;
    /* the newest sample against the newest one at least `over` older (or, in a younger store,
     * the oldest) */
    sqlite3_stmt *st = prepare(
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
    release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

static int64_t pragma_value(dc_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(conn(s)->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

dc_status dc_store_reclaim(dc_store *s, int64_t max_pages, int64_t *freed)
{
    *freed = 0;
    pthread_mutex_lock(&s->lock);
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
        rc = exec(s, sql);
        if (rc == DC_OK)
            *freed = free_pages - pragma_value(s, "PRAGMA freelist_count");
    }
    /* The log is checkpointed every 1,000 pages by the commit that passes them and cut back to
     * journal_size_limit after; a forced checkpoint here held the lock for a whole log's copy. */
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- emergencies ---- */

dc_status dc_store_party_set_emergency(dc_store *s, const char *name, double area_km2,
                                       int64_t validity_s)
{
    sqlite3_stmt *st = prepare(
        s, "UPDATE parties SET emergency_area_km2 = ?, emergency_validity_s = ? WHERE name = ?");
    if (st != NULL) {
        sqlite3_bind_double(st, 1, area_km2);
        sqlite3_bind_int64(st, 2, validity_s);
        sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    }
    return party_update(s, st);
}

/* Run a statement that returns no row. */
static dc_status step_done(dc_store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return DC_STORE;
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc;
}

dc_status dc_store_emergency_put(dc_store *s, const dc_emergency *e)
{
    sqlite3_stmt *st =
        prepare(s, "INSERT OR REPLACE INTO emergencies(owner, id, kind, state, declared, expires,"
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

dc_status dc_store_emergency_get(dc_store *s, const char *owner, const char *id, dc_emergency *out)
{
    sqlite3_stmt *st =
        prepare(s, "SELECT " EMERGENCY_COLUMNS " FROM emergencies WHERE owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW    ? read_emergency(st, out)
                   : step == SQLITE_DONE ? DC_NOT_FOUND
                                         : DC_STORE;
    release(s, st);
    return rc;
}

dc_status dc_store_emergencies(dc_store *s, const char *owner, int active_only,
                               dc_time_us expired_at,
                               int (*each)(void *ctx, const dc_emergency *emergency), void *ctx)
{
    sqlite3_stmt *st = prepare(s, "SELECT " EMERGENCY_COLUMNS " FROM emergencies"
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
    release(s, st);
    return rc;
}

dc_status dc_store_object_set_state(dc_store *s, dc_object_kind kind, const char *owner,
                                    const char *id, dc_state state, dc_time_us now)
{
    sqlite3_stmt *st = prepare(
        s, "UPDATE objects SET state = ?, updated = ? WHERE kind = ? AND owner = ? AND id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, dc_state_name(state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, dc_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, id, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && sqlite3_changes(conn(s)->db) == 0)
        rc = DC_NOT_FOUND;
    release(s, st);
    return rc;
}

dc_status dc_store_suspension_add(dc_store *s, const char *hazard_owner, const char *hazard_id,
                                  const char *emergency, dc_state prior, dc_time_us now)
{
    /* a hazard held by two emergencies goes back to what it was before the first */
    sqlite3_stmt *st = prepare(
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

dc_status dc_store_suspensions_release(dc_store *s, const char *emergency, dc_time_us now,
                                       int (*each)(void *ctx, const char *owner, const char *id),
                                       void *ctx)
{
    sqlite3_stmt *st = prepare(s, "DELETE FROM suspensions WHERE emergency = ?"
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
    release(s, st);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        char others[8];
        rc = dc_store_suspended_by(s, list[i].owner, list[i].id, others, sizeof others);
        if (rc != DC_OK || others[0] != '\0')
            continue; /* another emergency still holds it */
        st = prepare(s, "UPDATE objects SET state = ?, updated = ? WHERE kind = 'hazard'"
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
        int changed = rc == DC_OK && sqlite3_changes(conn(s)->db) > 0;
        release(s, st);
        if (changed && each(ctx, list[i].owner, list[i].id) != 0)
            break;
    }
    dc_free(list);
    return rc;
}

dc_status dc_store_suspending(dc_store *s, int (*each)(void *ctx, const char *emergency), void *ctx)
{
    sqlite3_stmt *st = prepare(s, "SELECT DISTINCT emergency FROM suspensions ORDER BY emergency");
    if (st == NULL)
        return DC_STORE;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (each(ctx, (const char *)sqlite3_column_text(st, 0)) != 0)
            break;
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    release(s, st);
    return rc;
}

dc_status dc_store_suspended_by(dc_store *s, const char *hazard_owner, const char *hazard_id,
                                char *out, size_t size)
{
    out[0] = '\0';
    sqlite3_stmt *st = prepare(s, "SELECT emergency FROM suspensions WHERE hazard_owner = ?"
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
    release(s, st);
    return rc;
}

dc_status dc_store_emergency_count(dc_store *s, const char *party, const char *what, int64_t n)
{
    sqlite3_stmt *st = prepare(s, "INSERT INTO emergency_counts(party, what, n) VALUES (?, ?, ?)"
                                  " ON CONFLICT(party, what) DO UPDATE SET n = n + excluded.n");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, what, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, n);
    return step_done(s, st);
}

dc_status dc_store_emergency_counts(dc_store *s, const char *party,
                                    int (*each)(void *ctx, const char *party, const char *what,
                                                int64_t n),
                                    void *ctx)
{
    sqlite3_stmt *st = prepare(s, "SELECT party, what, n FROM emergency_counts"
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
    release(s, st);
    return rc;
}
