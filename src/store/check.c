/* check.c - a store checked before it is served; its online backup and verified restore
 *
 * Faults a start-up check meets (docs/RELIABILITY.md, "Storage you can trust"), and what
 * catches each:
 *   - a 0-byte file: never ours (a new store has its first page at once);
 *   - a truncated file: shorter than the page count its header states, read before SQLite
 *     opens it (SQLite would read the missing pages as absent rows);
 *   - bytes flipped in a page: quick_check (page structure, every b-tree, the free list),
 *     rtreecheck() for the spatial index's nodes, and for a flip inside the newest audit
 *     records' text, their hashes;
 *   - a -wal flipped, truncated or deleted after acknowledged writes: SQLite replays the log
 *     only up to the first frame whose checksum fails, and silently, so the store opens whole
 *     but short. The head file (files.c) says how far the chain had been acknowledged: a chain
 *     without that record (same seq, same hash) is refused.
 * quick_check is bounded by a progress handler (a few seconds per GB: docs/PERFORMANCE.md); when
 * it runs out of time the store is served with a note, because refusing a large healthy store
 * after a restart would make the service's availability hostage to its size: --check full runs
 * integrity_check without a limit.
 */
#include "deconflict/audit.h"
#include "deconflict/store_check.h"
#include "sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TAIL_RECORDS 1000

static void note(dc_store_check_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(dc_store_check_report *r, const char *fmt, ...)
{
    size_t used = strlen(r->notes);
    if (used + 3 >= sizeof r->notes)
        return;
    if (used > 0) {
        memcpy(r->notes + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes + used, sizeof r->notes - used, fmt, ap);
    va_end(ap);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The file as bytes, before SQLite sees it: empty, not a database, or shorter than it says. */
static dc_status check_file(const char *location, const struct stat *st, dc_store_check_report *out,
                            dc_error *err)
{
    if (!S_ISREG(st->st_mode))
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is not a regular file: refused", location);
    if (st->st_size == 0)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is an empty (0-byte) file, which this server never leaves (a new"
                            " store is written at once): refused, not served as a new store."
                            " Restore it from a backup, or remove it to start an empty store",
                            location);
    uint8_t header[100];
    int fd = open(location, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, header, sizeof header, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION, "cannot read %s: %s", location,
                            strerror(errno));
    if (n < (ssize_t)sizeof header || memcmp(header, "SQLite format 3", 16) != 0)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is not an SQLite database (its header is %s): refused", location,
                            n < (ssize_t)sizeof header ? "cut short" : "damaged");
    uint32_t page_size = (uint32_t)header[16] << 8 | header[17];
    if (page_size == 1)
        page_size = 65536;
    if (page_size < 512 || (page_size & (page_size - 1)) != 0)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s: its header's page size (%u) is damaged: refused", location,
                            page_size);
    /* the header's page count holds when its change counter and version-valid-for agree */
    uint32_t pages = be32(header + 28);
    int valid = pages > 0 && be32(header + 24) == be32(header + 92);
    out->pages = (int64_t)(st->st_size / page_size);
    if (st->st_size % page_size != 0 || (valid && (int64_t)pages * page_size > st->st_size))
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is truncated: %lld bytes, where its header states %u pages of %u"
                            " bytes (%lld): refused",
                            location, (long long)st->st_size, valid ? pages : 0, page_size,
                            (long long)(valid ? (int64_t)pages * page_size : 0));
    return DC_OK;
}

static int out_of_time(void *deadline)
{
    return now_s() > *(double *)deadline;
}

/* quick_check or integrity_check; the first problems it lists go into err. */
static dc_status check_pages(sqlite3 *db, const char *location, dc_check_level level,
                             double seconds, dc_store_check_report *out, dc_error *err)
{
    double start = now_s(), deadline = start + seconds;
    if (level == DC_CHECK_QUICK)
        sqlite3_progress_handler(db, 10000, out_of_time, &deadline);
    sqlite3_stmt *st = NULL;
    const char *sql =
        level == DC_CHECK_FULL ? "PRAGMA integrity_check(5)" : "PRAGMA quick_check(5)";
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    char found[200] = "";
    int problems = 0;
    while (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        rc = SQLITE_OK;
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line != NULL && strcmp(line, "ok") != 0) {
            if (problems++ == 0)
                snprintf(found, sizeof found, "%s", line);
        }
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    char why[160];
    snprintf(why, sizeof why, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_progress_handler(db, 0, NULL, NULL);
    out->seconds = now_s() - start;
    out->complete = rc == SQLITE_OK;
    if (rc == SQLITE_INTERRUPT) {
        note(out,
             "quick_check stopped after %.0f s, the store not wholly checked (run with"
             " --check full)",
             seconds);
        return DC_OK;
    }
    if (rc != SQLITE_OK)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is damaged: SQLite cannot read it (%s): refused", location, why);
    if (problems > 0)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is damaged: %s finds %d problem%s, first: %s: refused", location,
                            level == DC_CHECK_FULL ? "integrity_check" : "quick_check", problems,
                            problems == 1 ? "" : "s", found);
    return DC_OK;
}

/* The R*Tree keeps its nodes as blobs, which quick_check and integrity_check read as opaque
 * values: a flipped coordinate there would hide a candidate from every lookup, and a conflict
 * with it. rtreecheck() reads every node: parents containing their children, the rowid and parent
 * maps agreeing (0.5 s for 100,000 intents). */
static dc_status check_index(sqlite3 *db, const char *location, dc_error *err)
{
    sqlite3_stmt *st = NULL;
    dc_status rc = DC_OK;
    if (sqlite3_prepare_v2(db, "SELECT rtreecheck('volume_boxes')", -1, &st, NULL) != SQLITE_OK)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s: its spatial index cannot be checked (%s): refused", location,
                            sqlite3_errmsg(db));
    int step = sqlite3_step(st);
    const char *result = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (result == NULL || strcmp(result, "ok") != 0)
        rc = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                          "%s is damaged: its spatial index (volume_boxes) %s%.120s: refused",
                          location, result ? "fails rtreecheck: " : "cannot be read: ",
                          result ? result : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* The newest records of the chain (all of it: limit 0), each against its hash, its signature
 * and the one before it. */
static dc_status check_chain(sqlite3 *db, const char *location, int64_t limit,
                             dc_store_check_report *out, dc_error *err)
{
    uint8_t pk[DC_PUBLIC_KEY_BYTES];
    sqlite3_stmt *st = NULL;
    int have_key = 0;
    if (sqlite3_prepare_v2(db, "SELECT public_key FROM server_key WHERE id = 1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == DC_PUBLIC_KEY_BYTES) {
        memcpy(pk, sqlite3_column_blob(st, 0), DC_PUBLIC_KEY_BYTES);
        have_key = 1;
    }
    sqlite3_finalize(st);
    st = NULL;
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT * FROM audit WHERE seq > (SELECT coalesce(max(seq), 0) FROM audit) - %lld"
             " ORDER BY seq",
             (long long)(limit > 0 ? limit : INT64_MAX / 2));
    dc_audit_record *r = dc_malloc(sizeof *r);
    if (r == NULL)
        return DC_NOMEM;
    dc_status status = DC_OK;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    uint8_t prev[DC_HASH_BYTES];
    int64_t prev_seq = 0;
    while (status == DC_OK && rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        rc = SQLITE_OK;
        dc__sq_read_audit(st, r);
        dc_error why;
        if (!have_key)
            status = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                                  "%s holds audit records but no server key: refused", location);
        else if (prev_seq > 0 &&
                 (r->seq != prev_seq + 1 || sodium_memcmp(r->prev_hash, prev, DC_HASH_BYTES) != 0))
            status = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                                  "%s is damaged: audit record %lld does not follow record %lld:"
                                  " refused",
                                  location, (long long)r->seq, (long long)prev_seq);
        else if (dc_audit_check(r, pk, &why) != DC_OK)
            status = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION, "%s is damaged: %s: refused",
                                  location, why.message);
        memcpy(prev, r->hash, DC_HASH_BYTES);
        prev_seq = r->seq;
        out->chain_checked++;
    }
    out->chain_last = prev_seq;
    if (status == DC_OK && rc != SQLITE_DONE && rc != SQLITE_OK)
        status = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                              "%s is damaged: its audit records cannot be read (%s): refused",
                              location, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    dc_free(r);
    return status;
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t seq, uint8_t *blob, size_t blob_size)
{
    sqlite3_stmt *st = NULL;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, seq);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            value = sqlite3_column_int64(st, 0);
            if (blob != NULL && (size_t)sqlite3_column_bytes(st, 1) == blob_size)
                memcpy(blob, sqlite3_column_blob(st, 1), blob_size);
        }
    }
    sqlite3_finalize(st);
    return value;
}

/* The chain must hold the head last published: the record of that seq, with that hash, in the
 * store or as the last record of an archive segment. */
static dc_status check_head(sqlite3 *db, const char *location, const dc_head *head, dc_error *err)
{
    uint8_t hash[DC_HASH_BYTES] = {0};
    char want[2 * DC_HASH_BYTES + 1];
    dc_hex(head->hash, DC_HASH_BYTES, want);
    int64_t last = scalar(db, "SELECT max(seq) FROM audit WHERE ?1 = ?1", 0, NULL, 0);
    int64_t archived =
        scalar(db, "SELECT max(chain_seq) FROM archive_segments WHERE ?1 = ?1", 0, NULL, 0);
    if (last < head->seq && archived < head->seq)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s is behind the head it published: its audit chain ends at record"
                            " %lld, but record %lld (%.16s...) was acknowledged. Acknowledged"
                            " writes were lost (a damaged or missing -wal?): refused",
                            location, (long long)(last > archived ? last : archived),
                            (long long)head->seq, want);
    int64_t found =
        scalar(db, "SELECT seq, hash FROM audit WHERE seq = ?", head->seq, hash, DC_HASH_BYTES);
    if (found < 0)
        found = scalar(db, "SELECT chain_seq, chain_hash FROM archive_segments WHERE chain_seq = ?",
                       head->seq, hash, DC_HASH_BYTES);
    if (found < 0)
        return DC_OK; /* archived inside a segment: `audit verify` walks the archive */
    if (sodium_memcmp(hash, head->hash, DC_HASH_BYTES) != 0)
        return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                            "%s diverges from the head it published: its record %lld is not the"
                            " one acknowledged (%.16s...): refused",
                            location, (long long)head->seq, want);
    return DC_OK;
}

static void tighten(const char *location, const char *suffix, dc_store_check_report *out)
{
    char path[4096];
    int was = -1;
    snprintf(path, sizeof path, "%s%s", location, suffix);
    dc_status rc = dc__file_tighten(path, &was);
    if (was >= 0)
        note(out, rc == DC_OK ? "%s was mode %03o, made 0600" : "%s is mode %03o and not ours",
             path, (unsigned)was);
}

dc_status dc_store_check(const char *location, dc_check_level level, double seconds,
                         dc_store_check_report *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    if (location == NULL || location[0] == '\0' || seconds <= 0)
        return dc_error_set(err, DC_INVALID, "db", DC_NO_POSITION, "no store to check");
    char head_path[4096];
    snprintf(head_path, sizeof head_path, "%s.head", location);
    dc_head head;
    dc_status head_rc = dc__head_read(head_path, &head, err);
    if (head_rc == DC_STORE)
        return DC_STORE;
    out->head_seq = head_rc == DC_OK ? head.seq : 0;
    out->head_torn = head.torn;
    struct stat st;
    if (stat(location, &st) != 0) {
        if (errno != ENOENT)
            return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION, "cannot read %s: %s", location,
                                strerror(errno));
        if (head_rc == DC_OK)
            return dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                                "%s is missing, but %s says it published %lld audit records:"
                                " refused, not started as a new store. Restore it from a backup",
                                location, head_path, (long long)head.seq);
        out->new_store = 1;
        out->complete = 1;
        return DC_OK;
    }
    static const char *const suffixes[] = {"", "-wal", "-shm", ".key", ".head"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        tighten(location, suffixes[i], out);
    dc_status rc = check_file(location, &st, out, err);
    if (rc != DC_OK)
        return rc;
    sqlite3 *db = NULL;
    /* read-write, never create: a -wal is replayed (recovery) as the server would replay it */
    if (sqlite3_open_v2(location, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION, "cannot open %s: %s: refused",
                          location, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    /* a refused store keeps its -wal as found (the evidence); a served one is checkpointed by
     * the server soon enough */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (level != DC_CHECK_NONE)
        rc = check_pages(db, location, level, seconds, out, err);
    /* every store has had its tables since its first second: none means its log was lost */
    if (rc == DC_OK &&
        scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'audit' AND ?1 = ?1", 0, NULL,
               0) != 1)
        rc = dc_error_set(err, DC_STORE, "db", DC_NO_POSITION,
                          "%s holds no store (no audit table): its -wal was lost, or it is not"
                          " a Deconflict store: refused. Restore it from a backup, or remove it"
                          " to start an empty store",
                          location);
    if (rc == DC_OK && level != DC_CHECK_NONE)
        rc = check_index(db, location, err);
    if (rc == DC_OK && level != DC_CHECK_NONE)
        rc = check_chain(db, location, level == DC_CHECK_FULL ? 0 : TAIL_RECORDS, out, err);
    else if (rc == DC_OK)
        out->chain_last = scalar(db, "SELECT max(seq) FROM audit WHERE ?1 = ?1", 0, NULL, 0);
    if (out->chain_last < 0)
        out->chain_last = 0;
    if (rc == DC_OK && head_rc == DC_OK)
        rc = check_head(db, location, &head, err);
    else if (rc == DC_OK && out->chain_last > 0)
        note(out, "no head file: the head is published from the next write (a store from before"
                  " head files)");
    sqlite3_close(db);
    return rc;
}

/* ---- backup and restore ---- */

/* `from` copied into the file `to`, which must not exist: created 0600 first, so that SQLite
 * keeps that mode, then filled page by page with the backup API in one step (a consistent
 * snapshot: the read transaction lasts the whole copy, and a server's writes meanwhile go to its
 * -wal without restarting it). Then integrity_check on the copy, and its log folded in. */
static dc_status copy_store(const char *from, const char *to, int64_t *last_seq, dc_error *err)
{
    int fd = dc__file_create_private(to, 1);
    if (fd < 0)
        return dc_error_set(err, errno == EEXIST ? DC_CONFLICT : DC_STORE, "", DC_NO_POSITION,
                            "cannot create %s: %s", to, strerror(errno));
    close(fd);
    sqlite3 *src = NULL, *dst = NULL;
    dc_status rc = DC_OK;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot open %s: %s", from,
                          src ? sqlite3_errmsg(src) : "out of memory");
    if (rc == DC_OK && sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot open %s: %s", to,
                          dst ? sqlite3_errmsg(dst) : "out of memory");
    if (rc == DC_OK) {
        sqlite3_busy_timeout(src, 10000);
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        int step = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
        int done = b ? sqlite3_backup_finish(b) : SQLITE_ERROR;
        if (step != SQLITE_DONE || done != SQLITE_OK)
            rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot copy %s: %s", from,
                              sqlite3_errmsg(dst));
    }
    dc_store_check_report report;
    if (rc == DC_OK) {
        memset(&report, 0, sizeof report);
        rc = check_pages(dst, to, DC_CHECK_FULL, 1e9, &report, err);
    }
    if (rc == DC_OK)
        rc = check_chain(dst, to, TAIL_RECORDS, &report, err);
    if (rc == DC_OK) {
        *last_seq = report.chain_last;
        /* one file, no -wal beside it: what is renamed is the whole copy */
        if (sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
            SQLITE_OK)
            rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot checkpoint %s: %s", to,
                              sqlite3_errmsg(dst));
    }
    sqlite3_close(src);
    if (sqlite3_close(dst) != SQLITE_OK && rc == DC_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot close %s", to);
    if (rc == DC_OK) {
        fd = open(to, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0)
            rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot sync %s", to);
        if (fd >= 0)
            close(fd);
    }
    return rc;
}

static void remove_store_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* The last audit record of a store file: its seq (0 when none) and hash. */
static dc_status store_last_record(const char *path, int64_t *seq, uint8_t hash[DC_HASH_BYTES],
                                   uint8_t pk[DC_PUBLIC_KEY_BYTES])
{
    sqlite3 *db = NULL;
    *seq = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return DC_STORE;
    }
    int64_t last = scalar(db, "SELECT seq, hash FROM audit WHERE ?1 = ?1 ORDER BY seq DESC LIMIT 1",
                          0, hash, DC_HASH_BYTES);
    *seq = last > 0 ? last : 0;
    int64_t key = pk ? scalar(db, "SELECT id, public_key FROM server_key WHERE id = ?", 1, pk,
                              DC_PUBLIC_KEY_BYTES)
                     : 1;
    sqlite3_close(db);
    return key == 1 || *seq == 0 ? DC_OK : DC_STORE;
}

static dc_status copy_key(const char *from, const char *to, dc_error *err)
{
    uint8_t sk[DC_SECRET_KEY_BYTES];
    dc_status rc = dc__key_file_read(from, sk, err);
    if (rc == DC_OK)
        rc = dc__key_file_write(to, sk, err);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

dc_status dc_store_backup(const char *location, const char *out, int64_t *last_seq, dc_error *err)
{
    *last_seq = 0;
    char tmp[4096], key_from[4096], key_to[4096], head[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp)
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "path too long");
    snprintf(key_from, sizeof key_from, "%s.key", location);
    snprintf(key_to, sizeof key_to, "%s.key", out);
    snprintf(head, sizeof head, "%s.head", out);
    if (access(out, F_OK) == 0)
        return dc_error_set(err, DC_CONFLICT, "", DC_NO_POSITION,
                            "%s exists: a backup never overwrites a file", out);
    if (access(location, F_OK) != 0)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "no store at %s", location);
    remove_store_files(tmp); /* a leftover of an interrupted backup */
    dc_status rc = copy_store(location, tmp, last_seq, err);
    uint8_t hash[DC_HASH_BYTES];
    int64_t seq = 0;
    if (rc == DC_OK && store_last_record(tmp, &seq, hash, NULL) != DC_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot read %s", tmp);
    if (rc == DC_OK && access(key_from, F_OK) == 0 && access(key_to, F_OK) != 0)
        rc = copy_key(key_from, key_to, err);
    if (rc == DC_OK && seq > 0 && dc__head_write(head, seq, hash) != DC_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot write %s", head);
    if (rc == DC_OK && (rename(tmp, out) != 0 || dc__dir_sync(out) != DC_OK))
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot put the backup at %s: %s", out,
                          strerror(errno));
    if (rc != DC_OK)
        remove_store_files(tmp);
    return rc;
}

dc_status dc_store_restore_stage(const char *backup, const char *staged, dc_error *err)
{
    int64_t last = 0;
    remove_store_files(staged);
    char head[4096];
    snprintf(head, sizeof head, "%s.head", backup);
    dc_head published;
    /* a backup file damaged since it was taken: its own head says how far it went */
    dc_status rc = dc__head_read(head, &published, err);
    if (rc == DC_STORE)
        return rc;
    int have_head = rc == DC_OK;
    rc = copy_store(backup, staged, &last, err);
    if (rc == DC_OK && have_head) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(staged, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
            rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot open %s", staged);
        else
            rc = check_head(db, backup, &published, err);
        sqlite3_close(db);
    }
    if (rc != DC_OK)
        remove_store_files(staged);
    return rc;
}

/* Whether any other connection has the store open: a WAL store's connections keep a shared
 * lock on its -shm, and an exclusive transaction in exclusive locking mode cannot be had beside
 * them. */
static dc_status store_in_use(const char *location, dc_error *err)
{
    sqlite3 *db = NULL;
    if (access(location, F_OK) != 0)
        return DC_OK;
    if (sqlite3_open_v2(location, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return DC_OK; /* not a store SQLite can open: no server serves it */
    }
    int rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", NULL, NULL,
                          NULL);
    int busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
    sqlite3_close(db);
    return busy ? dc_error_set(err, DC_BUSY, "", DC_NO_POSITION,
                               "%s is open in another process (a server?): stop it first", location)
                : DC_OK;
}

/* Whether the key file at `path` holds the secret key of `pk` (then in sk). */
static int key_matches(const char *path, const uint8_t pk[DC_PUBLIC_KEY_BYTES],
                       uint8_t sk[DC_SECRET_KEY_BYTES])
{
    uint8_t derived[DC_PUBLIC_KEY_BYTES];
    dc_error why;
    return dc__key_file_read(path, sk, &why) == DC_OK &&
           crypto_sign_ed25519_sk_to_pk(derived, sk) == 0 &&
           sodium_memcmp(derived, pk, DC_PUBLIC_KEY_BYTES) == 0;
}

dc_status dc_store_restore_install(const char *staged, const char *backup, const char *location,
                                   int64_t *previous_head, int64_t *restored_head, dc_error *err)
{
    *previous_head = 0;
    *restored_head = 0;
    char head_path[4096], key_path[4096], backup_key[4096];
    snprintf(head_path, sizeof head_path, "%s.head", location);
    snprintf(key_path, sizeof key_path, "%s.key", location);
    snprintf(backup_key, sizeof backup_key, "%s.key", backup);
    dc_status rc = store_in_use(location, err);
    if (rc != DC_OK)
        return rc;
    dc_head was;
    if (dc__head_read(head_path, &was, NULL) == DC_OK)
        *previous_head = was.seq;
    uint8_t hash[DC_HASH_BYTES], pk[DC_PUBLIC_KEY_BYTES], sk[DC_SECRET_KEY_BYTES];
    memset(pk, 0, sizeof pk);
    int64_t seq = 0;
    if (store_last_record(staged, &seq, hash, pk) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot read %s", staged);
    *restored_head = seq;
    /* the key that signs the restored chain: the one beside the store if it is that key, else
     * the backup's (or, for a backup from before key files, the one opening the staged copy
     * moved out of its database), installed in its place */
    char staged_key[4096];
    snprintf(staged_key, sizeof staged_key, "%s.key", staged);
    const char *candidates[3] = {key_path, backup_key, staged_key};
    int found = -1;
    for (int i = 0; found < 0 && i < 3; i++)
        if (key_matches(candidates[i], pk, sk))
            found = i;
    if (found < 0 && !sodium_is_zero(pk, sizeof pk))
        rc = dc_error_set(err, DC_FORBIDDEN, "", DC_NO_POSITION,
                          "neither %s nor %s holds the key that signed the backup's chain:"
                          " refused",
                          key_path, backup_key);
    if (rc == DC_OK && found > 0) {
        char aside[4096];
        snprintf(aside, sizeof aside, "%s.replaced", key_path);
        if (access(key_path, F_OK) == 0 && rename(key_path, aside) != 0)
            rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot move %s aside", key_path);
        if (rc == DC_OK)
            rc = dc__key_file_write(key_path, sk, err);
    }
    sodium_memzero(sk, sizeof sk);
    if (rc != DC_OK)
        return rc;
    /* the old store's log belongs to the old file: replayed over the new one it would corrupt it,
     * so it goes before the rename; until the rename the old file stands as it was */
    char path[4096];
    snprintf(path, sizeof path, "%s-wal", location);
    unlink(path);
    snprintf(path, sizeof path, "%s-shm", location);
    unlink(path);
    if (rename(staged, location) != 0 || dc__dir_sync(location) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot put %s in place: %s", staged,
                            strerror(errno));
    if (seq > 0 && dc__head_write(head_path, seq, hash) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "restored, but cannot write %s: remove it before starting", head_path);
    if (seq == 0)
        unlink(head_path);
    return DC_OK;
}
