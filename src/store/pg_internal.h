/* pg_internal.h - what the PostgreSQL backend's files share: the store's connection pool, how a
 * statement is run with its parameters, and how a row's columns are read (pg.c holds them) */
#ifndef DECONFLICT_PG_INTERNAL_H
#define DECONFLICT_PG_INTERNAL_H

#include "deconflict/party.h"
#include "deconflict/store.h"
#include "store_internal.h"

#include <assert.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statements are prepared once per connection (named by their text's hash) and kept: a kept
 * statement is one round trip, where PQexecParams is a parse and plan every time. */
#define PG_KEPT_STATEMENTS 160

/* Statements that travel with a connection's next round trip (pg_pipeline.c) at most, and answers
 * of reads made ahead kept at most. */
#define PG_QUEUED 24
#define PG_ANSWERS 8
#define PG_PARAMS_MAX 24

/* A statement waiting for the connection's next round trip, with copies of its text and
 * parameters (the caller's may be gone by then); after it, an answer kept for the same read. */
struct pg_queued {
    char *sql;
    char *bytes; /* the parameters' values, end to end */
    int n;
    const char *values[PG_PARAMS_MAX];
    int lengths[PG_PARAMS_MAX];
    int formats[PG_PARAMS_MAX];
    int role; /* enum pg_role (pg_pipeline.c) */
    PGresult *answer;
};

struct pg_connection {
    PGconn *conn;
    struct pg_kept {
        uint64_t hash;
        char name[24];
    } kept[PG_KEPT_STATEMENTS];
    size_t kept_count;
    struct pg_queued queued[PG_QUEUED];
    size_t queued_count;
    struct pg_queued answers[PG_ANSWERS];
    size_t answer_count;
    int unread; /* a ROLLBACK was sent and its answer not yet read */
};

/* One connection per transaction in flight; more than the server's workers would never be used
 * at once. Beyond PG_POOL a transaction waits for one. */
#define PG_POOL 24

/* Every write transaction of every instance takes this transaction-scoped advisory lock first:
 * writes are serialised across instances exactly as SQLite serialises them within one (its one
 * writer), so that a write's re-check of its candidates under the lock sees every commit before
 * it, and the audit chain has one head. See docs/ARCHITECTURE.md, "More than one instance". */
#define PG_WRITE_LOCK INT64_C(0x6465636f6e666c01)

typedef struct dc_pg {
    dc_store base; /* first: a dc_store * is a dc_pg * of this backend */
    char *conninfo;
    char *key_path; /* the signing key's file (--key-file); NULL: none was given */
    char token[20]; /* names this process's notices, which its own listener passes over */
    int migrated;   /* the schema is in place: a write reads the audit head with its lock */
    struct pg_connection pool[PG_POOL];
    int busy[PG_POOL];
    pthread_mutex_t pool_lock;
    pthread_cond_t freed;
    /* what other instances' commits tell this one (pg_events.c) */
    pthread_mutex_t events_lock;
    pthread_t listener;
    int listening, stopping;
    void (*on_event)(void *ctx, const char *what);
    void *event_ctx;
    /* the monitor's lease (pg_cluster.c): a session advisory lock on a connection of its own */
    pthread_mutex_t lease_lock;
    PGconn *lease_conn;
    int lease_held;
} dc_pg;

/* The session advisory lock whose holder leads the monitor (service/cluster.c). */
#define PG_LEASE_LOCK INT64_C(0x6465636f6e666c02)

static inline dc_pg *dc__pg(dc_store *s)
{
    assert(s != NULL && s->ops == &dc__pg_ops);
    return (dc_pg *)s;
}

/* Every operation of the table (store_internal.h), as this backend implements it. */
#define DC__PG_DECLARE(need, name, params, args) dc_status dc__pg_##name params;
DC_STORE_OPS(DC__PG_DECLARE)
#undef DC__PG_DECLARE

/* ---- pg.c: parameters and statements ---- */

/* A statement's parameters, in order ($1, $2...): texts, or binary for bytea. Numbers are
 * formatted into the struct's own buffers. */
typedef struct dc_pg_params {
    int n;
    const char *values[PG_PARAMS_MAX];
    int lengths[PG_PARAMS_MAX];
    int formats[PG_PARAMS_MAX];
    char numbers[PG_PARAMS_MAX][32];
} dc_pg_params;

void dc__pg_text(dc_pg_params *p, const char *text); /* NULL: SQL NULL */
void dc__pg_int(dc_pg_params *p, int64_t value);
void dc__pg_real(dc_pg_params *p, double value); /* exactly: 17 significant digits */
void dc__pg_blob(dc_pg_params *p, const void *data, size_t size);

/* Run `sql` with `p` (may be NULL) on the calling thread's transaction's connection (or, outside
 * one, a connection of the pool held for the call): a result with rows or a command's, or NULL
 * when PostgreSQL refused it (the transaction is then aborted: the caller rolls back). PQclear
 * it. */
PGresult *dc__pg_run(dc_store *s, const char *sql, const dc_pg_params *p);
/* Several statements without parameters, in the calling thread's transaction (migrations).
 * NULL when refused. */
PGresult *dc__pg_run_script(dc_store *s, const char *sql);
/* PostgreSQL's message about the transaction's last failure ("" outside one). */
const char *dc__pg_last_error(dc_store *s);
/* The same for a statement whose rows are not wanted. DC_OK or DC_STORE. */
dc_status dc__pg_exec(dc_store *s, const char *sql, const dc_pg_params *p);

/* Column readers of a row (NULL reads as 0, "" or nothing). */
int64_t dc__pg_get_int(const PGresult *r, int row, int col);
double dc__pg_get_real(const PGresult *r, int row, int col);
const char *dc__pg_get_text(const PGresult *r, int row, int col);
int dc__pg_is_null(const PGresult *r, int row, int col);
/* A bytea column as a new buffer (dc_free), its length in *size; NULL when out of memory. */
uint8_t *dc__pg_copy_blob(const PGresult *r, int row, int col, size_t *size);
/* A text column copied (dc_free); NULL when out of memory. */
char *dc__pg_copy_text(const PGresult *r, int row, int col);

/* The calling thread's transaction stored something the other instances' streams wait for (an
 * alert, a notice, a message): its commit notifies them (pg_events.c). */
void dc__pg_note_event(dc_store *s, const char *channel);
/* The calling thread's write transaction changed this object: the other instances' monitors are
 * told with its commit (channel dc_objects, the object's reference as payload). */
#define PG_OBJECT_NOTES 32
void dc__pg_note_object(dc_store *s, dc_object_kind kind, const char *owner, const char *id);

/* ---- pg_pipeline.c: statements that travel together ---- */

/* What a queued statement is: checked only (its failure fails the round trip), the transaction's
 * BEGIN (a lost connection found then may be made anew, nothing having happened yet), a read
 * ahead whose answer is kept, or the audit chain's head read with the write lock. */
enum pg_role { PG_CHECKED, PG_BEGIN, PG_ANSWER, PG_HEAD };

/* Queue `sql` with copies of `p` (may be NULL) for the connection's next round trip; 0 when out
 * of memory. The queue must have room (PG_QUEUED). */
int dc__pg_queue(struct pg_connection *c, const char *sql, const dc_pg_params *p, int role);
/* One round trip: the queued statements, then `sql` (NULL: none) whose result goes to *last.
 * Answers of PG_ANSWER statements are kept, the PG_HEAD one given to on_head. 1 when every
 * statement succeeded; 0 otherwise (the connection is closed when it can no longer be trusted).
 * The queue is empty after it either way. */
int dc__pg_send_and_read(struct pg_connection *c, const char *sql, const dc_pg_params *p,
                         PGresult **last, void (*on_head)(const PGresult *head));
/* The answer kept for exactly this read (PQclear it), or NULL; whether one is queued. */
PGresult *dc__pg_take_answer(struct pg_connection *c, const char *sql, const dc_pg_params *p);
int dc__pg_answer_queued(const struct pg_connection *c, const char *sql, const dc_pg_params *p);
/* Answers kept, and those still to come, are forgotten (the transaction wrote). */
void dc__pg_forget_answers(struct pg_connection *c);
/* Drop the queue unsent. */
void dc__pg_forget_queued(struct pg_connection *c);
/* Whether the queue starts with its transaction's BEGIN: nothing of it has been sent yet. */
int dc__pg_begin_queued(const struct pg_connection *c);
/* Read the answer of a ROLLBACK sent without waiting, if one is outstanding. */
void dc__pg_settle(struct pg_connection *c);

/* ---- pg_schema.c ---- */

/* Create and migrate the schema, in one transaction under the write lock (instances starting
 * together migrate once). DC_STORE with the reason. */
dc_status dc__pg_migrate(dc_store *s, dc_error *err);

/* ---- pg_objects.c ---- */

#define PG_RECORD_COLUMNS                                                                          \
    "row, kind, owner, id, version, state, priority, public, body, volumes, admitted, created,"    \
    " updated, volume_count, emergency"

/* A record from row `i` selected with PG_RECORD_COLUMNS. DC_STORE when the row contradicts
 * itself, DC_NOMEM; *r holds what was read either way (dc_record_clear). */
dc_status dc__pg_read_record(const PGresult *res, int i, dc_record *r);

/* ---- pg_audit.c ---- */

/* The chain's last record: read with the write lock at the start of every write transaction. */
#define PG_AUDIT_HEAD "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
/* The next record's seq and prev_hash from PG_AUDIT_HEAD's answer (seq 1 and zeros when the
 * chain is empty, or its head damaged: the append then collides, as in SQLite). DC_NOMEM. */
dc_status dc__pg_head_of(const PGresult *res, int64_t *next_seq, uint8_t prev_hash[DC_HASH_BYTES]);
/* pg.c: the head as the calling thread's write transaction knows it (the next seq and the
 * prev_hash of the next record): 1 when known, without a round trip; and after an append. */
int dc__pg_head(dc_store *s, int64_t *next_seq, uint8_t prev_hash[DC_HASH_BYTES]);
void dc__pg_head_set(dc_store *s, int64_t next_seq, const uint8_t prev_hash[DC_HASH_BYTES]);
/* pg.c: dc_store_prefetch: the reads of admitting `o` queued, their answers kept. */
dc_status dc__pg_prefetch(dc_store *s, const dc_object *o);

#define PG_AUDIT_COLUMNS                                                                           \
    "seq, time, actor, action, object, recipients, detail, prev_hash, hash, signature"

/* A record from row `i` selected with PG_AUDIT_COLUMNS; damaged fields (a text longer than its
 * field, a hash of another length) are made to fail verification, as the SQLite backend does.
 * Can't fail. */
void dc__pg_read_audit(const PGresult *res, int i, dc_audit_record *r);
/* A bytea column into exactly `size` bytes, as the SQLite backend reads one: what fits is copied,
 * and one of another length has its first byte flipped so that it can never verify (zeros would
 * read as "no signature", or as the chain's start). Can't fail. */
void dc__pg_column_blob(const PGresult *res, int i, int col, uint8_t *out, size_t size);

/* ---- pg_cluster.c: the report log and the monitor's lease ---- */

dc_status dc__pg_report_append(dc_store *s, const char *origin, const void *data, size_t size,
                               dc_time_us received, int64_t *seq);
dc_status dc__pg_report_read(dc_store *s, int64_t after, size_t limit,
                             int (*each)(void *ctx, int64_t seq, const char *origin,
                                         dc_time_us received, const void *data, size_t size),
                             void *ctx);
dc_status dc__pg_report_bounds(dc_store *s, dc_time_us since, int64_t *before, int64_t *newest);
dc_status dc__pg_report_prune(dc_store *s, dc_time_us before);
dc_status dc__pg_lease(dc_store *s, const char *instance, int *leader);
dc_status dc__pg_published_get(dc_store *s, int64_t *seq);
dc_status dc__pg_published_set(dc_store *s, const char *instance, int64_t seq, dc_time_us now);
/* Give the lease up and close its connection. */
void dc__pg_lease_close(dc_pg *s);

/* ---- pg_events.c ---- */

/* dc_store_watch: a listening thread calling back. DC_OK, DC_INVALID (set already), DC_STORE. */
dc_status dc__pg_watch(dc_store *s, void (*on_event)(void *ctx, const char *what), void *ctx);
/* Stop the listening thread, if one runs. */
void dc__pg_events_stop(dc_pg *s);

#endif
