/* sqlite.c - the embedded store: SQLite in WAL mode, group commit, a pool of readers; opening,
 * transactions, kept statements and the signing key
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
 *                and the engine decides exactly. Time is in hours since 2000-01-01. Lists
 *                by area search it; candidates search the in-memory index (sqlite_index.c),
 *                which holds the same boxes exactly and is faster at 1M volumes.
 *   grants       grantor lets grantee read its objects of a kind
 *   notices      what each party was told, as JSON
 *   audit        the hash chain (see audit.c)
 * An acknowledged write survives a power cut: its commit is answered only once the log holding
 * it has been synced (group commit, see make_durable; a store that is not a plain file uses
 * SQLite's synchronous=FULL instead). Writers take the database lock at BEGIN IMMEDIATE on the one
 * writing connection; a read transaction runs on a read-only connection of a pool and sees the last
 * commit before it, never waiting for a writer. Migrations are numbered
 * steps applied in order inside one transaction; schema_version records the last.
 * Nothing in store.h depends on any of this: store.c calls this backend through dc__sqlite_ops.
 *
 * The backend's files: sqlite.c (this), sqlite_schema.c (migrations), sqlite_objects.c (objects,
 * boxes, candidates, visibility), sqlite_index.c (the in-memory candidate index kept beside the
 * R*Tree), sqlite_parties.c (parties, grants), sqlite_inbox.c (notices, alerts, messages, the
 * disclosure ledger), sqlite_audit.c, sqlite_retention.c (archive, sizes), sqlite_emergency.c,
 * and check.c (start-up check, backup, restore).
 */
#include "sqlite_internal.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The calling thread's transaction: which store, on which connection. A thread has at most one
 * transaction open (a second begin on the same thread would wait for itself). */
static _Thread_local struct {
    const dc_sqlite *store;
    struct connection *conn;
} current;

/* The connection the calling thread's store calls run on: its transaction's, or the writer's
 * outside any transaction (opening, migrations, dc_store_reclaim under `lock`). */
static struct connection *conn(dc_sqlite *s)
{
    return current.store == s && current.conn != NULL ? current.conn : &s->writer;
}

sqlite3 *dc__sq_db(dc_store *store)
{
    return conn(dc__sq(store))->db;
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
struct connection *dc__sq_acquire_reader(dc_sqlite *s)
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

void dc__sq_release_reader(dc_sqlite *s, struct connection *c)
{
    pthread_mutex_lock(&s->pool_lock);
    s->reader_busy[c - s->readers] = 0;
    pthread_cond_signal(&s->reader_freed);
    pthread_mutex_unlock(&s->pool_lock);
}

dc_status dc__sq_db_error(dc_store *store, dc_error *err, const char *what)
{
    dc_sqlite *s = dc__sq(store);
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "%s: %s", what,
                        sqlite3_errmsg(conn(s)->db));
}

dc_status dc__sq_exec(dc_store *store, const char *sql)
{
    dc_sqlite *s = dc__sq(store);
    return sqlite3_exec(conn(s)->db, sql, NULL, NULL, NULL) == SQLITE_OK ? DC_OK : DC_STORE;
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

/* Whether a store searches candidates in memory (sqlite_index.c) rather than in its R*Tree from
 * the start; 1 since bench/candidates.c measured it at 1M volumes (docs/PERFORMANCE.md). */
#define CANDIDATE_INDEX 1

static dc_status move_key_out(dc_sqlite *s, dc_error *err);
static void sq_close(dc_store *store);

/* Release the writer's lock, which this thread must hold. */
static void unlock_writer(dc_sqlite *s)
{
    int held = pthread_mutex_unlock(&s->lock) == 0;
    assert(held && "the store's write lock released by a thread that does not hold it");
    (void)held;
}

/* Fields set before anything can fail, so that sq_close can take any half-opened store. */
static dc_sqlite *sq_new(void)
{
    dc_sqlite *s = dc_calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->base.ops = &dc__sqlite_ops;
    s->head_fd = -1;
    s->wal_fd = -1;
    /* An error-checking mutex: unlocking it on a thread that does not hold it fails, which the
     * asserts below turn into an abort (a write transaction ended on another thread than the one
     * that began it, or ended twice). */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&s->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_mutex_init(&s->latest_lock, NULL);
    pthread_mutex_init(&s->head_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_mutex_init(&s->index_lock, NULL);
    pthread_cond_init(&s->reader_freed, NULL);
    return s;
}

/* The files beside the store, and its connection to the database. */
static dc_status sq_files(dc_sqlite *s, const char *location, dc_error *err)
{
    if (is_plain_file(location)) {
        dc_status rc = private_files(location, err);
        s->key_path = path_with(location, ".key");
        s->head_path = path_with(location, ".head");
        s->wal_path = path_with(location, "-wal");
        s->group_commit = 1;
        if (rc == DC_OK && (s->key_path == NULL || s->head_path == NULL || s->wal_path == NULL))
            rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        if (rc != DC_OK)
            return rc;
    }
    if (sqlite3_open_v2(location, &s->writer.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK)
        return dc__sq_db_error(&s->base, err, location);
    sqlite3_busy_timeout(s->writer.db, 10000);
    s->location = path_with(location, "");
    if (s->location == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    return DC_OK;
}

static dc_status sq_open_keyed(const char *location, const char *key_path, dc_store **out,
                               dc_error *err)
{
    *out = NULL;
    dc_sqlite *s = sq_new();
    if (s == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    dc_store *store = &s->base;
    dc_status rc = sq_files(s, location, err);
    if (rc == DC_OK && key_path != NULL) { /* --key-file: the key elsewhere than <file>.key */
        dc_free(s->key_path);
        s->key_path = path_with(key_path, "");
        if (s->key_path == NULL)
            rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    }
    /* A new file gives freed pages back a few at a time (dc_store_reclaim); this must be said
     * before the first table exists. An older file keeps reusing its free pages, and shrinks only
     * with an offline VACUUM. The log is cut back to 64 MiB after a checkpoint. */
    if (rc == DC_OK && (dc__sq_exec(store, "PRAGMA auto_vacuum=INCREMENTAL") != DC_OK ||
                        dc__sq_exec(store, "PRAGMA journal_size_limit=67108864") != DC_OK))
        rc = dc__sq_db_error(store, err, "pragmas");
    if (rc == DC_OK && (dc__sq_exec(store, "PRAGMA journal_mode=WAL") != DC_OK ||
                        dc__sq_exec(store, s->group_commit ? "PRAGMA synchronous=NORMAL"
                                                           : "PRAGMA synchronous=FULL") != DC_OK ||
                        dc__sq_exec(store, "PRAGMA foreign_keys=ON") != DC_OK))
        rc = dc__sq_db_error(store, err, "pragmas");
    if (rc == DC_OK)
        rc = dc__sq_migrate(store, err);
    if (rc == DC_OK)
        rc = move_key_out(s, err);
    if (rc == DC_OK && CANDIDATE_INDEX && dc__sq_index_build(s) != DC_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                          "%s: the candidate index cannot be built from the R*Tree", location);
    if (rc != DC_OK) {
        sq_close(store);
        return rc;
    }
    *out = store;
    return DC_OK;
}

static dc_status sq_open(const char *location, dc_store **out, dc_error *err)
{
    return sq_open_keyed(location, NULL, out, err);
}

static void sq_close(dc_store *store)
{
    if (store == NULL)
        return;
    dc_sqlite *s = dc__sq(store);
    assert(current.store != s); /* no transaction of any thread's is left open */
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
    pthread_mutex_destroy(&s->index_lock);
    dc_index_free(s->index);
    dc_id_list_clear(&s->index_hits);
    dc_free(s->touched);
    pthread_cond_destroy(&s->reader_freed);
    dc_free(s->location);
    dc_free(s->key_path);
    dc_free(s->head_path);
    dc_free(s);
}

static dc_status sq_begin(dc_store *store, int write)
{
    dc_sqlite *s = dc__sq(store);
    assert(current.store == NULL); /* one transaction per thread */
    if (!write) {
        struct connection *c = dc__sq_acquire_reader(s);
        if (c == NULL)
            return DC_STORE;
        if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            dc__sq_release_reader(s, c);
            return DC_STORE;
        }
        current.store = s;
        current.conn = c;
        return DC_OK;
    }
    pthread_mutex_lock(&s->lock);
    if (sqlite3_exec(s->writer.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        unlock_writer(s);
        return DC_STORE;
    }
    current.store = s;
    current.conn = &s->writer;
    return DC_OK;
}

static dc_status sq_begin_unsynced(dc_store *store)
{
    dc_sqlite *s = dc__sq(store);
    assert(current.store == NULL);
    pthread_mutex_lock(&s->lock);
    if ((!s->group_commit && dc__sq_exec(store, "PRAGMA synchronous=NORMAL") != DC_OK) ||
        dc__sq_exec(store, "BEGIN IMMEDIATE") != DC_OK) {
        if (!s->group_commit)
            dc__sq_exec(store, "PRAGMA synchronous=FULL");
        unlock_writer(s);
        return DC_STORE;
    }
    current.store = s;
    current.conn = &s->writer;
    s->unsynced = 1;
    return DC_OK;
}

/* Every transaction after an unsynced one is synced again, and its sync carries the unsynced
 * one's pages to disk with its own. Call on the writer, with `lock` held. */
static void end_unsynced(dc_sqlite *s)
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
static int64_t committed(dc_sqlite *s, int ok)
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
static dc_status sync_log(dc_sqlite *s)
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
static dc_status make_durable(dc_sqlite *s, int64_t no)
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
static dc_status end_transaction(dc_sqlite *s, const char *sql)
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
        dc__sq_release_reader(s, c);
        return rc;
    }
    int ok = rc == DC_OK && strcmp(sql, "COMMIT") == 0;
    dc__sq_index_settle(s, ok);
    int64_t no = committed(s, ok);
    int wait = !s->unsynced; /* an unsynced commit is carried by the next sync */
    end_unsynced(s);
    unlock_writer(s);
    if (wait && make_durable(s, no) != DC_OK)
        rc = DC_STORE;
    return rc;
}

static dc_status sq_commit(dc_store *store)
{
    return end_transaction(dc__sq(store), "COMMIT");
}

static void sq_rollback(dc_store *store)
{
    dc_sqlite *s = dc__sq(store);
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
 * with dc__sq_release(). NULL if SQLite refuses the SQL. */
sqlite3_stmt *dc__sq_prepare(dc_store *store, const char *sql)
{
    dc_sqlite *s = dc__sq(store);
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

/* Done with a statement from dc__sq_prepare(): a kept one is reset for the next call (which also
 * ends its read of the database), any other finalized. */
void dc__sq_release(dc_store *store, sqlite3_stmt *st)
{
    dc_sqlite *s = dc__sq(store);
    if (st == NULL)
        return;
    struct connection *c = conn(s);
    /* a statement ends on the connection it was prepared on: one kept past its transaction's end
     * (a walk's callback ending the transaction) would be reset on another */
    assert(sqlite3_db_handle(st) == c->db);
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
static dc_status move_key_out(dc_sqlite *s, dc_error *err)
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
    if (dc__sq_exec(&s->base, "PRAGMA secure_delete=ON") != DC_OK ||
        dc__sq_exec(&s->base, "UPDATE server_key SET secret_key = x'' WHERE id = 1") != DC_OK) {
        rc = dc__sq_db_error(&s->base, err, "moving the signing key out of the store");
    }
    dc__sq_exec(&s->base, "PRAGMA secure_delete=OFF");
    if (rc == DC_OK)
        sqlite3_wal_checkpoint_v2(s->writer.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return rc;
}

dc_status dc__sq_public_key(dc_store *store, uint8_t pk[DC_PUBLIC_KEY_BYTES])
{
    dc_sqlite *s = dc__sq(store);
    sqlite3_stmt *st = dc__sq_prepare(&s->base, "SELECT public_key FROM server_key WHERE id = 1");
    if (st == NULL)
        return DC_STORE;
    dc_status rc = DC_NOT_FOUND;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == DC_PUBLIC_KEY_BYTES) {
        memcpy(pk, sqlite3_column_blob(st, 0), DC_PUBLIC_KEY_BYTES);
        rc = DC_OK;
    }
    dc__sq_release(&s->base, st);
    return rc;
}

dc_status dc__sq_server_key(dc_store *store, uint8_t pk[DC_PUBLIC_KEY_BYTES],
                            uint8_t sk[DC_SECRET_KEY_BYTES])
{
    dc_sqlite *s = dc__sq(store);
    if (dc_audit_init() != DC_OK)
        return DC_INTERNAL;
    dc_status rc = dc__sq_public_key(&s->base, pk);
    if (rc == DC_STORE)
        return rc;
    if (s->key_path == NULL) {
        /* a store with no file beside it (":memory:") keeps its key in memory only */
        return rc == DC_OK ? DC_NOT_FOUND : dc_audit_keypair(pk, sk) == DC_OK ? DC_OK : DC_INTERNAL;
    }
    int stored = rc == DC_OK;
    rc = dc__key_pair(s->key_path, stored, pk, sk);
    if (rc != DC_OK || stored)
        return rc;
    sqlite3_stmt *st = dc__sq_prepare(
        &s->base, "INSERT INTO server_key(id, public_key, secret_key) VALUES (1, ?, x'')");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_blob(st, 1, pk, DC_PUBLIC_KEY_BYTES, SQLITE_TRANSIENT);
    rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(&s->base, st);
    return rc;
}

const dc_store_ops dc__sqlite_ops = {.backend = "sqlite",
                                     .open = sq_open,
                                     .open_keyed = sq_open_keyed,
                                     .close = sq_close,
                                     .begin = sq_begin,
                                     .begin_unsynced = sq_begin_unsynced,
                                     .commit = sq_commit,
                                     .rollback = sq_rollback,
                                     .candidate_index = dc__sq_candidate_index,
#define DC__SQ_OP(need, name, params, args) .name = dc__sq_##name,
                                     DC_STORE_OPS(DC__SQ_OP)
#undef DC__SQ_OP
};
