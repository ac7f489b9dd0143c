/* pg.c - the PostgreSQL backend (issue 15): many deconflictd instances over one database
 *
 * A location that is a libpq URI ("postgresql://...", multi-host with target_session_attrs
 * included) opens this backend. Its tables mirror the SQLite store's (pg_schema.c), with two
 * differences that matter:
 *   - Every write transaction takes one transaction-scoped advisory lock (PG_WRITE_LOCK) before
 *     its first statement, in READ COMMITTED: each statement then sees every commit before the
 *     lock was granted, as SQLite's single writer does. Two conflicting submissions through two
 *     instances therefore cannot both be accepted: the second's re-check of its candidates' stamps
 *     under the lock sees the first (service/objects.c decides again). The audit chain has one
 *     head for the same reason. Read transactions are REPEATABLE READ READ ONLY: one snapshot.
 *   - Candidates come from a GiST index over each volume's 4-D box (PostGIS n-D, &&&), rechecked
 *     exactly on double columns; the engine decides every conflict itself.
 * A connection lost (PostgreSQL restarted, a standby promoted) is re-established when a
 * transaction next begins on it; libpq's multi-host URIs follow the new primary. The signing key
 * is a file every instance is given (--key-file), never in the database.
 *
 * Files: pg.c (this: pool, transactions, statements, key), pg_schema.c, pg_objects.c,
 * pg_parties.c, pg_inbox.c, pg_audit.c, pg_emergency.c, pg_retention.c, pg_events.c.
 */
#include "pg_internal.h"

#include <inttypes.h>
#include <sodium.h>

/* The calling thread's transaction: which store, on which connection of its pool. */
static _Thread_local struct {
    const dc_pg *store;
    int slot;
    int write;
    int events; /* bit per channel noted (dc__pg_note_event) */
    int ahead;  /* reading ahead: statements are queued, their answers kept (dc_store_prefetch) */
    /* the audit chain's head as this write transaction knows it: read with the lock, then
     * its own appends (nothing else can append while it holds the lock) */
    int head_known;
    int64_t head_seq;
    uint8_t head_hash[DC_HASH_BYTES];
    /* the objects it wrote, told to the other instances' monitors with its commit */
    char objects[PG_OBJECT_NOTES][192];
    int object_count, objects_overflow;
} current;

/* ---- the pool ---- */

static void forget_kept(struct pg_connection *c)
{
    c->kept_count = 0;
}

/* Connect the slot's connection if it has none or a broken one (PostgreSQL restarted, a standby
 * promoted: libpq's multi-host URI then finds the new primary). 1 when it is connected. */
static int connect_slot(dc_pg *s, int slot)
{
    struct pg_connection *c = &s->pool[slot];
    if (c->conn != NULL && PQstatus(c->conn) != CONNECTION_OK) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    if (c->conn == NULL) {
        forget_kept(c);
        c->conn = PQconnectdb(s->conninfo);
        if (PQstatus(c->conn) != CONNECTION_OK) {
            PQfinish(c->conn);
            c->conn = NULL;
        } else {
            PQclear(PQexec(c->conn, "SET client_min_messages = warning"));
        }
    }
    return c->conn != NULL;
}

/* A slot of the pool, connected (or reconnected: a restart or failover left it broken); waits
 * while every slot is busy. -1 when PostgreSQL cannot be reached. */
static int acquire(dc_pg *s)
{
    pthread_mutex_lock(&s->pool_lock);
    int slot = -1;
    for (;;) {
        for (int i = 0; i < PG_POOL && slot < 0; i++)
            if (!s->busy[i])
                slot = i;
        if (slot >= 0)
            break;
        pthread_cond_wait(&s->freed, &s->pool_lock);
    }
    s->busy[slot] = 1;
    pthread_mutex_unlock(&s->pool_lock);
    dc__pg_settle(&s->pool[slot]);
    if (!connect_slot(s, slot)) {
        pthread_mutex_lock(&s->pool_lock);
        s->busy[slot] = 0;
        pthread_cond_signal(&s->freed);
        pthread_mutex_unlock(&s->pool_lock);
        return -1;
    }
    return slot;
}

static void release(dc_pg *s, int slot)
{
    pthread_mutex_lock(&s->pool_lock);
    s->busy[slot] = 0;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->pool_lock);
}

/* ---- statements ---- */

void dc__pg_text(dc_pg_params *p, const char *text)
{
    assert(p->n < PG_PARAMS_MAX);
    p->values[p->n] = text;
    p->lengths[p->n] = 0;
    p->formats[p->n] = 0;
    p->n++;
}

void dc__pg_int(dc_pg_params *p, int64_t value)
{
    assert(p->n < PG_PARAMS_MAX);
    snprintf(p->numbers[p->n], sizeof p->numbers[p->n], "%" PRId64, value);
    dc__pg_text(p, p->numbers[p->n]);
}

void dc__pg_real(dc_pg_params *p, double value)
{
    assert(p->n < PG_PARAMS_MAX);
    snprintf(p->numbers[p->n], sizeof p->numbers[p->n], "%.17g", value);
    dc__pg_text(p, p->numbers[p->n]);
}

void dc__pg_blob(dc_pg_params *p, const void *data, size_t size)
{
    assert(p->n < PG_PARAMS_MAX);
    p->values[p->n] = size ? data : "";
    p->lengths[p->n] = (int)size;
    p->formats[p->n] = 1;
    p->n++;
}

/* One statement alone on `c`, outside any transaction: the same pipeline of one. */
static PGresult *run_on(struct pg_connection *c, const char *sql, const dc_pg_params *p)
{
    PGresult *r = NULL;
    (void)dc__pg_send_and_read(c, sql, p, &r, NULL);
    return r;
}

/* What a statement may change: anything but a plain read. Answers read ahead are forgotten
 * before it runs. (A read misjudged a write only costs the answers.) */
static int may_write(const char *sql)
{
    static const char *const verbs[] = {"INSERT", "UPDATE",  "DELETE", "TRUNCATE",
                                        "MERGE",  "nextval", "setval"};
    if (strncmp(sql, "SELECT", 6) != 0 && strncmp(sql, "WITH", 4) != 0)
        return 1;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strstr(sql, verbs[i]) != NULL)
            return 1;
    return 0;
}

static void take_head(const PGresult *r)
{
    current.head_known = dc__pg_head_of(r, &current.head_seq, current.head_hash) == DC_OK;
}

/* One round trip on the calling thread's transaction: what is queued, then `sql` (may be NULL).
 * The transaction's first round trip finding its connection lost (PostgreSQL restarted, a standby
 * promoted) makes it anew and sends it again: nothing of the transaction had happened. */
static int round_trip(dc_pg *s, const char *sql, const dc_pg_params *p, PGresult **last)
{
    struct pg_connection *c = &s->pool[current.slot];
    int first = dc__pg_begin_queued(c);
    struct pg_queued again[PG_QUEUED];
    size_t again_count = 0;
    if (first) { /* kept to send again: the round trip empties the queue */
        for (size_t i = 0; i < c->queued_count; i++) {
            const struct pg_queued *q = &c->queued[i];
            dc_pg_params qp = {0};
            qp.n = q->n;
            for (int k = 0; k < q->n; k++) {
                qp.values[k] = q->values[k];
                qp.lengths[k] = q->lengths[k];
                qp.formats[k] = q->formats[k];
            }
            struct pg_connection holder = {0};
            if (!dc__pg_queue(&holder, q->sql, &qp, q->role))
                break;
            again[again_count++] = holder.queued[0];
        }
    }
    int ok = dc__pg_send_and_read(c, sql, p, last, take_head);
    if (!ok && first && again_count > 0 &&
        (c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK)) {
        if (c->conn != NULL) {
            PQfinish(c->conn);
            c->conn = NULL;
        }
        if (connect_slot(s, current.slot)) {
            for (size_t i = 0; i < again_count; i++) {
                c->queued[c->queued_count++] = again[i];
                memset(&again[i], 0, sizeof again[i]);
            }
            ok = dc__pg_send_and_read(c, sql, p, last, take_head);
        }
    }
    for (size_t i = 0; i < again_count; i++) {
        dc_free(again[i].sql);
        dc_free(again[i].bytes);
    }
    return ok;
}

/* Outside a transaction, a statement runs on a connection held for it alone (autocommit). In
 * one, it takes an answer read ahead if there is one, or travels with whatever is queued. */
PGresult *dc__pg_run(dc_store *store, const char *sql, const dc_pg_params *p)
{
    dc_pg *s = dc__pg(store);
    if (current.store != s) {
        int slot = acquire(s);
        if (slot < 0)
            return NULL;
        PGresult *r = run_on(&s->pool[slot], sql, p);
        release(s, slot);
        return r;
    }
    struct pg_connection *c = &s->pool[current.slot];
    if (current.ahead) {
        if (c->queued_count < PG_QUEUED && !may_write(sql))
            (void)dc__pg_queue(c, sql, p, PG_ANSWER);
        return NULL;
    }
    PGresult *r = dc__pg_take_answer(c, sql, p);
    if (r != NULL)
        return r;
    if (dc__pg_answer_queued(c, sql, p)) {
        (void)round_trip(s, NULL, NULL, &r);
        return dc__pg_take_answer(c, sql, p);
    }
    if (may_write(sql))
        dc__pg_forget_answers(c);
    (void)round_trip(s, sql, p, &r);
    return r;
}

PGresult *dc__pg_run_script(dc_store *store, const char *sql)
{
    dc_pg *s = dc__pg(store);
    assert(current.store == s);
    struct pg_connection *c = &s->pool[current.slot];
    PGresult *queued = NULL;
    if (c->queued_count > 0 && !round_trip(s, NULL, NULL, &queued))
        return NULL;
    dc__pg_forget_answers(c);
    if (c->conn == NULL)
        return NULL;
    PGresult *r = PQexec(c->conn, sql);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        PQclear(r);
        return NULL;
    }
    return r;
}

const char *dc__pg_last_error(dc_store *store)
{
    dc_pg *s = dc__pg(store);
    if (current.store != s || s->pool[current.slot].conn == NULL)
        return "";
    return PQerrorMessage(s->pool[current.slot].conn);
}

/* In a write transaction, a statement whose rows nobody wants waits for the next round trip;
 * its failure fails that one, and the commit at the latest. */
dc_status dc__pg_exec(dc_store *store, const char *sql, const dc_pg_params *p)
{
    dc_pg *s = dc__pg(store);
    if (current.store == s && current.write && !current.ahead) {
        struct pg_connection *c = &s->pool[current.slot];
        PGresult *flushed = NULL;
        if (c->queued_count == PG_QUEUED && !round_trip(s, NULL, NULL, &flushed))
            return DC_STORE;
        dc__pg_forget_answers(c);
        return dc__pg_queue(c, sql, p, PG_CHECKED) ? DC_OK : DC_NOMEM;
    }
    PGresult *r = dc__pg_run(store, sql, p);
    PQclear(r);
    return r != NULL ? DC_OK : DC_STORE;
}

/* ---- reading ahead, the audit head ---- */

dc_status dc__pg_prefetch(dc_store *store, const dc_object *o)
{
    if (current.store != dc__pg(store))
        return DC_OK;
    /* each read only queues its statement (dc__pg_run): what they fill stays empty */
    current.ahead = 1;
    dc_record existing;
    dc_party owner;
    dc__pg_object_get(store, o->kind, o->owner, o->id, &existing);
    dc__pg_party_get(store, o->owner, &owner);
    if (current.write) {
        dc_candidate_stamps stamps = {0};
        dc__pg_candidate_stamps(store, o, &stamps);
        dc_candidate_stamps_clear(&stamps);
    } else {
        dc_record_list candidates = {0};
        dc__pg_candidates(store, o, &candidates);
        dc_record_list_clear(&candidates);
    }
    current.ahead = 0;
    return DC_OK;
}

int dc__pg_head(dc_store *store, int64_t *seq, uint8_t hash[DC_HASH_BYTES])
{
    dc_pg *s = dc__pg(store);
    if (current.store != s || !current.head_known)
        return 0;
    *seq = current.head_seq;
    memcpy(hash, current.head_hash, DC_HASH_BYTES);
    return 1;
}

void dc__pg_head_set(dc_store *store, int64_t seq, const uint8_t hash[DC_HASH_BYTES])
{
    dc_pg *s = dc__pg(store);
    if (current.store != s)
        return;
    current.head_known = 1;
    current.head_seq = seq;
    memcpy(current.head_hash, hash, DC_HASH_BYTES);
}

int dc__pg_is_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col);
}

int64_t dc__pg_get_int(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double dc__pg_get_real(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

const char *dc__pg_get_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

char *dc__pg_copy_text(const PGresult *r, int row, int col)
{
    const char *text = dc__pg_get_text(r, row, col);
    size_t n = strlen(text);
    char *out = dc_malloc(n + 1);
    if (out != NULL)
        memcpy(out, text, n + 1);
    return out;
}

uint8_t *dc__pg_copy_blob(const PGresult *r, int row, int col, size_t *size)
{
    size_t n = 0;
    unsigned char *raw = PQgetisnull(r, row, col)
                             ? NULL
                             : PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    uint8_t *out = dc_malloc(n ? n : 1);
    if (out != NULL && n > 0)
        memcpy(out, raw, n);
    PQfreemem(raw);
    *size = out != NULL ? n : 0;
    return out;
}

/* ---- transactions ---- */

static const char *const event_channels[] = {"dc_alerts", "dc_notices", "dc_messages",
                                             "dc_reports"};
#define EVENT_CHANNELS (sizeof event_channels / sizeof event_channels[0])

void dc__pg_note_event(dc_store *store, const char *channel)
{
    dc_pg *s = dc__pg(store);
    if (current.store != s)
        return;
    for (size_t i = 0; i < EVENT_CHANNELS; i++)
        if (strcmp(channel, event_channels[i]) == 0)
            current.events |= 1 << i;
}

void dc__pg_note_object(dc_store *store, dc_object_kind kind, const char *owner, const char *id)
{
    dc_pg *s = dc__pg(store);
    if (current.store != s)
        return;
    if (current.object_count == PG_OBJECT_NOTES) {
        current.objects_overflow = 1;
        return;
    }
    dc_object_ref(kind, owner, id, current.objects[current.object_count],
                  sizeof current.objects[0]);
    current.object_count++;
}

/* The notifications of the calling thread's write, queued before its COMMIT (delivered with the
 * commit, and only if it commits); 0 when out of memory. "<token> <ref>": the writer's own
 * listener passes over what it told its monitor itself; too many objects for one notice each:
 * "<token> " asks every monitor to read them all. */
static int queue_notifications(struct pg_connection *c, const char *token, int events)
{
    static const char notify[] = "SELECT pg_notify($1, $2)";
    int queued = 1;
    for (size_t i = 0; i < EVENT_CHANNELS && queued; i++)
        if (events & (1 << i)) {
            dc_pg_params p = {0};
            dc__pg_text(&p, event_channels[i]);
            dc__pg_text(&p, "");
            queued = c->queued_count < PG_QUEUED && dc__pg_queue(c, notify, &p, PG_CHECKED);
        }
    int n = current.objects_overflow ? 1 : current.object_count;
    for (int i = 0; i < n && queued; i++) {
        char payload[256];
        snprintf(payload, sizeof payload, "%s %s", token,
                 current.objects_overflow ? "" : current.objects[i]);
        dc_pg_params p = {0};
        dc__pg_text(&p, "dc_objects");
        dc__pg_text(&p, payload);
        queued = c->queued_count < PG_QUEUED && dc__pg_queue(c, notify, &p, PG_CHECKED);
    }
    return queued;
}

/* A transaction's BEGIN (and a write's lock, and the audit head read under it) wait for its first
 * statement: they cost no round trip of their own. */
static dc_status pg_begin(dc_store *store, int write)
{
    dc_pg *s = dc__pg(store);
    assert(current.store == NULL);
    int slot = acquire(s);
    if (slot < 0)
        return DC_STORE;
    struct pg_connection *c = &s->pool[slot];
    dc__pg_forget_queued(c);
    dc__pg_forget_answers(c);
    int queued;
    if (write) {
        dc_pg_params lock = {0};
        dc__pg_int(&lock, PG_WRITE_LOCK);
        queued = dc__pg_queue(c, "BEGIN ISOLATION LEVEL READ COMMITTED", NULL, PG_BEGIN) &&
                 dc__pg_queue(c, "SELECT pg_advisory_xact_lock($1)", &lock, PG_CHECKED) &&
                 (!s->migrated || dc__pg_queue(c, PG_AUDIT_HEAD, NULL, PG_HEAD));
    } else {
        queued = dc__pg_queue(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, PG_BEGIN);
    }
    if (!queued) {
        dc__pg_forget_queued(c);
        release(s, slot);
        return DC_NOMEM;
    }
    current.store = s;
    current.slot = slot;
    current.write = write != 0;
    current.events = 0;
    current.object_count = current.objects_overflow = 0;
    current.ahead = 0;
    current.head_known = 0;
    return DC_OK;
}

static dc_status pg_begin_unsynced(dc_store *store)
{
    /* PostgreSQL's own: this transaction's commit does not wait for its WAL to be flushed */
    dc_status rc = pg_begin(store, 1);
    if (rc == DC_OK && dc__pg_exec(store, "SET LOCAL synchronous_commit = off", NULL) != DC_OK) {
        dc_pg *s = dc__pg(store);
        dc__pg_forget_queued(&s->pool[current.slot]);
        release(s, current.slot);
        current.store = NULL;
        rc = DC_STORE;
    }
    return rc;
}

/* ROLLBACK is sent without waiting for its answer, which the connection's next user reads first
 * (dc__pg_settle): PostgreSQL ends the transaction, and releases its lock, as it arrives. A
 * transaction nothing of which was sent needs none. */
static void roll_back(struct pg_connection *c)
{
    int sent_nothing = dc__pg_begin_queued(c);
    dc__pg_forget_queued(c);
    dc__pg_forget_answers(c);
    if (sent_nothing || c->conn == NULL)
        return;
    if (PQsendQuery(c->conn, "ROLLBACK"))
        c->unread = 1;
    else
        dc__pg_settle(c);
}

static dc_status end_transaction(dc_pg *s, int commit)
{
    if (current.store != s)
        return DC_STORE;
    struct pg_connection *c = &s->pool[current.slot];
    dc_status rc = DC_OK;
    if (commit) {
        PGresult *r = NULL;
        if (!queue_notifications(c, s->token, current.events))
            rc = DC_NOMEM;
        else if (!round_trip(s, "COMMIT", NULL, &r))
            rc = DC_STORE;
        /* a COMMIT of an aborted transaction answers ROLLBACK: not committed */
        else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
            rc = DC_STORE;
        PQclear(r);
    }
    if (!commit || rc != DC_OK)
        roll_back(c);
    dc__pg_forget_answers(c);
    int slot = current.slot;
    current.store = NULL;
    release(s, slot);
    return rc;
}

static dc_status pg_commit(dc_store *store)
{
    return end_transaction(dc__pg(store), 1);
}

static void pg_rollback(dc_store *store)
{
    dc_pg *s = dc__pg(store);
    if (current.store == s)
        end_transaction(s, 0);
}

/* ---- open, close ---- */

static void pg_close(dc_store *store)
{
    if (store == NULL)
        return;
    dc_pg *s = dc__pg(store);
    assert(current.store != s);
    dc__pg_events_stop(s);
    dc__pg_lease_close(s);
    for (int i = 0; i < PG_POOL; i++)
        PQfinish(s->pool[i].conn);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_mutex_destroy(&s->events_lock);
    pthread_mutex_destroy(&s->lease_lock);
    pthread_cond_destroy(&s->freed);
    dc_free(s->conninfo);
    dc_free(s->key_path);
    dc_free(s);
}

static char *copy(const char *text)
{
    if (text == NULL)
        return NULL;
    size_t n = strlen(text) + 1;
    char *out = dc_malloc(n);
    if (out != NULL)
        memcpy(out, text, n);
    return out;
}

static dc_status pg_open_keyed(const char *location, const char *key_path, dc_store **out,
                               dc_error *err)
{
    *out = NULL;
    dc_pg *s = dc_calloc(1, sizeof *s);
    if (s == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    s->base.ops = &dc__pg_ops;
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_mutex_init(&s->events_lock, NULL);
    pthread_mutex_init(&s->lease_lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    s->conninfo = copy(location);
    s->key_path = copy(key_path);
    snprintf(s->token, sizeof s->token, "%08x%08x", randombytes_random(), randombytes_random());
    if (s->conninfo == NULL || (key_path != NULL && s->key_path == NULL)) {
        pg_close(&s->base);
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    }
    /* the first connection says why PostgreSQL cannot be reached (never the URI: it may hold a
     * password) */
    PGconn *probe = PQconnectdb(location);
    if (PQstatus(probe) != CONNECTION_OK) {
        char why[200];
        dc_copy_text(why, sizeof why, PQerrorMessage(probe));
        why[strcspn(why, "\n")] = '\0';
        PQfinish(probe);
        pg_close(&s->base);
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "PostgreSQL: %s", why);
    }
    PQfinish(probe);
    dc_status rc = dc__pg_migrate(&s->base, err);
    if (rc != DC_OK) {
        pg_close(&s->base);
        return rc;
    }
    s->migrated = 1;
    *out = &s->base;
    return DC_OK;
}

static dc_status pg_open(const char *location, dc_store **out, dc_error *err)
{
    return pg_open_keyed(location, NULL, out, err);
}

/* ---- the signing key: a file every instance is given, its public half in the database ---- */

dc_status dc__pg_public_key(dc_store *store, uint8_t pk[DC_PUBLIC_KEY_BYTES])
{
    PGresult *r = dc__pg_run(store, "SELECT public_key FROM server_key WHERE id = 1", NULL);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_NOT_FOUND;
    if (PQntuples(r) == 1) {
        size_t n = 0;
        uint8_t *blob = dc__pg_copy_blob(r, 0, 0, &n);
        if (blob != NULL && n == DC_PUBLIC_KEY_BYTES) {
            memcpy(pk, blob, n);
            rc = DC_OK;
        }
        dc_free(blob);
    }
    PQclear(r);
    return rc;
}

dc_status dc__pg_server_key(dc_store *store, uint8_t pk[DC_PUBLIC_KEY_BYTES],
                            uint8_t sk[DC_SECRET_KEY_BYTES])
{
    dc_pg *s = dc__pg(store);
    if (dc_audit_init() != DC_OK)
        return DC_INTERNAL;
    if (s->key_path == NULL)
        return DC_NOT_FOUND; /* a PostgreSQL store's key is a file its instances are given */
    dc_status rc = dc__pg_public_key(store, pk);
    if (rc == DC_STORE)
        return rc;
    /* the row is written under the write lock: instances starting together agree on one key */
    int stored = rc == DC_OK;
    rc = dc__key_pair(s->key_path, stored, pk, sk);
    if (rc != DC_OK || stored)
        return rc;
    dc_pg_params p = {0};
    dc__pg_blob(&p, pk, DC_PUBLIC_KEY_BYTES);
    return dc__pg_exec(store, "INSERT INTO server_key(id, public_key) VALUES (1, $1)", &p);
}

const dc_store_ops dc__pg_ops = {.backend = "postgresql",
                                 .open = pg_open,
                                 .open_keyed = pg_open_keyed,
                                 .close = pg_close,
                                 .begin = pg_begin,
                                 .begin_unsynced = pg_begin_unsynced,
                                 .commit = pg_commit,
                                 .rollback = pg_rollback,
                                 .candidate_index = NULL,
                                 .prefetch = dc__pg_prefetch,
                                 .watch = dc__pg_watch,
                                 .report_append = dc__pg_report_append,
                                 .report_read = dc__pg_report_read,
                                 .report_bounds = dc__pg_report_bounds,
                                 .report_prune = dc__pg_report_prune,
                                 .lease = dc__pg_lease,
                                 .published_get = dc__pg_published_get,
                                 .published_set = dc__pg_published_set,
#define DC__PG_OP(need, name, params, args) .name = dc__pg_##name,
                                 DC_STORE_OPS(DC__PG_OP)
#undef DC__PG_OP
};
