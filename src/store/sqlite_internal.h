/* sqlite_internal.h - what the SQLite backend's files share: the store's connections, its kept
 * statements, and the helpers every operation's file calls (sqlite.c holds them) */
#ifndef DECONFLICT_SQLITE_INTERNAL_H
#define DECONFLICT_SQLITE_INTERNAL_H

#include "deconflict/party.h"
#include "deconflict/store.h"
#include "store_internal.h"

#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct dc_sqlite {
    dc_store base;            /* first: a dc_store * is a dc_sqlite * of this backend */
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
    /* The in-memory candidate index (sqlite_index.c; NULL: candidates from the R*Tree), its
     * queries' shared scratch under index_lock, and the rows the open write transaction changed
     * in it (put back from the table if it rolls back). */
    dc_index *index;
    pthread_mutex_t index_lock;
    dc_id_list index_hits;
    struct dc_sq_touched {
        int64_t row, volumes;
    } * touched;
    size_t touched_count, touched_capacity;
} dc_sqlite;

static inline dc_sqlite *dc__sq(dc_store *s)
{
    assert(s != NULL && s->ops == &dc__sqlite_ops);
    return (dc_sqlite *)s;
}

/* Every operation of the table (store_internal.h), as this backend implements it. */
#define DC__SQ_DECLARE(need, name, params, args) dc_status dc__sq_##name params;
DC_STORE_OPS(DC__SQ_DECLARE)
#undef DC__SQ_DECLARE

/* ---- sqlite.c ---- */

/* The connection the calling thread's store calls run on: its transaction's, or the writer's
 * outside any transaction (opening, migrations, dc_store_reclaim under `lock`). */
sqlite3 *dc__sq_db(dc_store *s);
/* A statement for sql, ready to bind: kept from an earlier call or prepared now. Hand it back
 * with dc__sq_release(). NULL if SQLite refuses the SQL. */
sqlite3_stmt *dc__sq_prepare(dc_store *s, const char *sql);
/* Done with a statement from dc__sq_prepare(): a kept one is reset for the next call (which also
 * ends its read of the database), any other finalized. NULL is a no-op. */
void dc__sq_release(dc_store *s, sqlite3_stmt *st);
/* SQL without parameters or rows. DC_OK or DC_STORE. */
dc_status dc__sq_exec(dc_store *s, const char *sql);
/* One statement taking one integer and returning no rows. DC_OK or DC_STORE. */
dc_status dc__sq_exec_int64(dc_store *s, const char *sql, int64_t value);
/* DC_STORE with SQLite's message about `what` in err. */
dc_status dc__sq_db_error(dc_store *s, dc_error *err, const char *what);
/* A read-only connection of the pool for work outside any transaction (the archiver's reads,
 * the size report), waiting while every one is in use; NULL if SQLite cannot open one. Hand it
 * back with dc__sq_release_reader. */
struct connection *dc__sq_acquire_reader(dc_sqlite *s);
void dc__sq_release_reader(dc_sqlite *s, struct connection *c);

/* ---- sqlite_schema.c ---- */

/* Create and migrate the schema, on the writer, in one transaction. DC_STORE with the reason. */
dc_status dc__sq_migrate(dc_store *s, dc_error *err);

/* ---- sqlite_objects.c ---- */

#define RECORD_COLUMNS                                                                             \
    "row, kind, owner, id, version, state, priority, public, body, volumes, admitted, created,"    \
    " updated, volume_count, emergency"

/* A text column copied (NULL reads as ""), the caller's (dc_free); NULL when out of memory. */
char *dc__sq_copy_text(const unsigned char *text);
/* A record from a row selected with RECORD_COLUMNS. DC_STORE when the row contradicts itself,
 * DC_NOMEM; *r holds what was read either way (dc_record_clear). */
dc_status dc__sq_read_record(sqlite3_stmt *st, dc_record *r);
/* Every row the statement yields, appended to `out`; releases it. DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc__sq_read_records(dc_store *s, sqlite3_stmt *st, dc_record_list *out);
/* Time as the R*Tree keeps it: hours since 2000-01-01. */
double dc__sq_hours(dc_time_us t);
/* Remove the boxes of an object's volumes. DC_OK or DC_STORE. */
dc_status dc__sq_remove_boxes(dc_store *s, int64_t row, int64_t volumes);

/* ---- sqlite_index.c ---- */

/* Build the candidate index from the table (on open, or when switched on), replacing any.
 * DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc__sq_index_build(dc_sqlite *s);
/* In a write transaction: enter an object's boxes under `row`, or take `volumes` boxes of the
 * row out; each notes the row as touched, so that a rollback puts it back. No-ops without an
 * index. DC_OK, DC_NOMEM, DC_INVALID (a box the index refuses). */
dc_status dc__sq_index_put(dc_sqlite *s, int64_t row, const dc_object *o);
dc_status dc__sq_index_drop(dc_sqlite *s, int64_t row, int64_t volumes);
dc_status dc__sq_index_touch(dc_sqlite *s, int64_t row, int64_t volumes);
/* When a write transaction has ended (under the write lock): forget the touched rows after a
 * commit, put them back from the table after a rollback. Can't fail (an index that cannot be
 * repaired is dropped: the R*Tree answers). */
void dc__sq_index_settle(dc_sqlite *s, int committed);
/* The rows with a box overlapping a volume box of `proposed`, sorted, each once, appended to
 * rows. DC_UNSUPPORTED when there is no index (search the R*Tree), DC_NOMEM. */
dc_status dc__sq_index_rows(dc_sqlite *s, const dc_object *proposed, dc_id_list *rows);
/* Switch the index on (built now) or off. Call outside any transaction. DC_OK, DC_STORE,
 * DC_NOMEM. */
dc_status dc__sq_candidate_index(dc_store *s, int on);

/* ---- sqlite_audit.c ---- */

/* A blob column into `size` bytes; one of the wrong length is made unable to verify. */
void dc__sq_column_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t size);
/* One row of `SELECT * FROM audit` as a record, a damaged field made to fail its check (check.c
 * reads the tail of a store it has not opened as a dc_store this way). Can't fail. */
dc_status dc__sq_read_audit(sqlite3_stmt *st, dc_audit_record *r);

#endif
