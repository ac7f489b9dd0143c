/* pg_pipeline.c - statements that travel together: a transaction's round trips, fewer
 *
 * Every round trip to PostgreSQL is a wait on both sides, and a write holds the cluster's write
 * lock through each of its own (docs/PERFORMANCE.md, "Where a PUT's time goes"). So a statement
 * whose answer nobody waits for does not travel alone: a transaction's BEGIN and its lock, a write
 * whose rows are not wanted, the notifications of a commit, and the reads an operation will make
 * shortly (dc_store_prefetch) wait on their connection, and go with the next statement that is
 * waited for, in one libpq pipeline. A failure among them fails that round trip, as it would have
 * failed the statement itself: the transaction is aborted and its caller rolls back.
 *
 * An answer read ahead is kept for the identical read (same text, same parameters, byte for byte)
 * when it comes, and forgotten as soon as the transaction writes anything: until then nothing
 * could have changed it (a write transaction holds the write lock; a read one reads one
 * snapshot). */
#include "pg_internal.h"

#include <inttypes.h>

static void queued_clear(struct pg_queued *q)
{
    dc_free(q->sql);
    dc_free(q->bytes);
    PQclear(q->answer);
    memset(q, 0, sizeof *q);
}

static size_t param_size(const dc_pg_params *p, int i)
{
    if (p->values[i] == NULL)
        return 0;
    return p->formats[i] ? (size_t)p->lengths[i] : strlen(p->values[i]) + 1;
}

int dc__pg_queue(struct pg_connection *c, const char *sql, const dc_pg_params *p, int role)
{
    static const dc_pg_params none = {0};
    if (p == NULL)
        p = &none;
    assert(c->queued_count < PG_QUEUED);
    struct pg_queued *q = &c->queued[c->queued_count];
    memset(q, 0, sizeof *q);
    size_t n = strlen(sql) + 1, total = 0;
    for (int i = 0; i < p->n; i++)
        total += param_size(p, i);
    q->sql = dc_malloc(n);
    q->bytes = dc_malloc(total ? total : 1);
    if (q->sql == NULL || q->bytes == NULL) {
        queued_clear(q);
        return 0;
    }
    memcpy(q->sql, sql, n);
    size_t at = 0;
    for (int i = 0; i < p->n; i++) {
        size_t size = param_size(p, i);
        q->values[i] = p->values[i] == NULL ? NULL : q->bytes + at;
        if (size > 0)
            memcpy(q->bytes + at, p->values[i], size);
        at += size;
        q->lengths[i] = p->lengths[i];
        q->formats[i] = p->formats[i];
    }
    q->n = p->n;
    q->role = role;
    c->queued_count++;
    return 1;
}

/* Whether q is the statement `sql` with the parameters `p`, byte for byte. */
static int same_statement(const struct pg_queued *q, const char *sql, const dc_pg_params *p)
{
    int n = p != NULL ? p->n : 0;
    if (q->n != n || strcmp(q->sql, sql) != 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if ((q->values[i] == NULL) != (p->values[i] == NULL) || q->formats[i] != p->formats[i])
            return 0;
        if (q->values[i] == NULL)
            continue;
        size_t size = param_size(p, i);
        size_t queued = q->formats[i] ? (size_t)q->lengths[i] : strlen(q->values[i]) + 1;
        if (queued != size || memcmp(q->values[i], p->values[i], size) != 0)
            return 0;
    }
    return 1;
}

PGresult *dc__pg_take_answer(struct pg_connection *c, const char *sql, const dc_pg_params *p)
{
    for (size_t i = 0; i < c->answer_count; i++)
        if (same_statement(&c->answers[i], sql, p)) {
            PGresult *r = c->answers[i].answer;
            c->answers[i].answer = NULL;
            queued_clear(&c->answers[i]);
            c->answers[i] = c->answers[--c->answer_count];
            memset(&c->answers[c->answer_count], 0, sizeof c->answers[0]);
            return r;
        }
    return NULL;
}

int dc__pg_answer_queued(const struct pg_connection *c, const char *sql, const dc_pg_params *p)
{
    for (size_t i = 0; i < c->queued_count; i++)
        if (c->queued[i].role == PG_ANSWER && same_statement(&c->queued[i], sql, p))
            return 1;
    return 0;
}

void dc__pg_forget_answers(struct pg_connection *c)
{
    for (size_t i = 0; i < c->answer_count; i++)
        queued_clear(&c->answers[i]);
    c->answer_count = 0;
    /* reads ahead not yet sent are sent still (their place in the pipeline costs little) but
     * their answers are not kept */
    for (size_t i = 0; i < c->queued_count; i++)
        if (c->queued[i].role == PG_ANSWER)
            c->queued[i].role = PG_CHECKED;
}

void dc__pg_forget_queued(struct pg_connection *c)
{
    for (size_t i = 0; i < c->queued_count; i++)
        queued_clear(&c->queued[i]);
    c->queued_count = 0;
}

int dc__pg_begin_queued(const struct pg_connection *c)
{
    return c->queued_count > 0 && c->queued[0].role == PG_BEGIN;
}

void dc__pg_settle(struct pg_connection *c)
{
    if (!c->unread)
        return;
    c->unread = 0;
    if (c->conn == NULL)
        return;
    for (PGresult *r; (r = PQgetResult(c->conn)) != NULL;)
        PQclear(r);
}

/* The connection can no longer be trusted to be in step with its server: closed, to be made
 * anew when its slot is next taken. */
static void lost(struct pg_connection *c)
{
    PQfinish(c->conn);
    c->conn = NULL;
    c->kept_count = 0;
}

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (const char *p = sql; *p; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
    return h;
}

/* A statement on its way: by the name it is kept under on the connection, prepared in the same
 * pipeline just before it when it is new there (a statement may name a table an earlier one of
 * the pipeline creates), or unnamed once the connection keeps as many as it may. */
struct outgoing {
    const char *sql;
    int n;
    const char *const *values;
    const int *lengths, *formats;
    const char *name; /* NULL: unnamed */
    uint64_t hash;
    int prepared_here;
};

static const char *kept_lookup(const struct pg_connection *c, uint64_t hash)
{
    for (size_t i = 0; i < c->kept_count; i++)
        if (c->kept[i].hash == hash)
            return c->kept[i].name;
    return NULL;
}

static void kept_remove(struct pg_connection *c, uint64_t hash)
{
    for (size_t i = 0; i < c->kept_count; i++)
        if (c->kept[i].hash == hash) {
            c->kept[i] = c->kept[--c->kept_count];
            return;
        }
}

static int send_one(struct pg_connection *c, struct outgoing *o)
{
    o->hash = sql_hash(o->sql);
    o->name = kept_lookup(c, o->hash);
    o->prepared_here = 0;
    if (o->name == NULL && c->kept_count < PG_KEPT_STATEMENTS) {
        struct pg_kept *k = &c->kept[c->kept_count++];
        k->hash = o->hash;
        snprintf(k->name, sizeof k->name, "dc%016" PRIx64, o->hash);
        o->name = k->name;
        o->prepared_here = 1;
        if (!PQsendPrepare(c->conn, o->name, o->sql, o->n, NULL))
            return 0;
    }
    return o->name != NULL
               ? PQsendQueryPrepared(c->conn, o->name, o->n, o->values, o->lengths, o->formats, 0)
               : PQsendQueryParams(c->conn, o->sql, o->n, NULL, o->values, o->lengths, o->formats,
                                   0);
}

/* One statement's answer in the pipeline: its result (NULL when the connection was lost), the
 * end of its results consumed. */
static PGresult *next_answer(struct pg_connection *c)
{
    PGresult *r = PQgetResult(c->conn);
    if (r == NULL)
        return NULL;
    PGresult *end = PQgetResult(c->conn);
    if (end != NULL) { /* more than one result for one statement: never sent by this store */
        PQclear(end);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int good(const PGresult *r)
{
    ExecStatusType status = PQresultStatus(r);
    return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

int dc__pg_send_and_read(struct pg_connection *c, const char *sql, const dc_pg_params *p,
                         PGresult **last, void (*on_head)(const PGresult *head))
{
    static const dc_pg_params none = {0};
    if (p == NULL)
        p = &none;
    *last = NULL;
    if (c->conn == NULL) {
        dc__pg_forget_queued(c);
        return 0;
    }
    size_t count = c->queued_count + (sql != NULL);
    struct outgoing out[PG_QUEUED + 1];
    for (size_t i = 0; i < c->queued_count; i++) {
        const struct pg_queued *q = &c->queued[i];
        out[i] = (struct outgoing){q->sql, q->n, q->values, q->lengths, q->formats, NULL, 0, 0};
    }
    if (sql != NULL)
        out[count - 1] =
            (struct outgoing){sql, p->n, p->values, p->lengths, p->formats, NULL, 0, 0};
    if (!PQenterPipelineMode(c->conn)) {
        dc__pg_forget_queued(c);
        lost(c);
        return 0;
    }
    int sent = 1;
    for (size_t i = 0; i < count && sent; i++)
        sent = send_one(c, &out[i]);
    if (!sent || !PQpipelineSync(c->conn)) {
        dc__pg_forget_queued(c);
        lost(c);
        return 0;
    }
    int ok = 1;
    for (size_t i = 0; i < count; i++) {
        if (out[i].prepared_here) {
            PGresult *prepared = next_answer(c);
            if (prepared == NULL) {
                dc__pg_forget_queued(c);
                lost(c);
                return 0;
            }
            if (!good(prepared)) /* never made on the server: prepared again next time */
                kept_remove(c, out[i].hash);
            PQclear(prepared);
        }
        PGresult *r = next_answer(c);
        if (r == NULL) {
            dc__pg_forget_queued(c);
            lost(c);
            return 0;
        }
        int done = good(r);
        ok = ok && done;
        if (i == c->queued_count) { /* the statement waited for */
            if (done)
                *last = r;
            else
                PQclear(r);
            continue;
        }
        struct pg_queued *q = &c->queued[i];
        if (done && q->role == PG_HEAD && on_head != NULL)
            on_head(r);
        if (done && q->role == PG_ANSWER && c->answer_count < PG_ANSWERS) {
            q->answer = r;
            c->answers[c->answer_count++] = *q;
            memset(q, 0, sizeof *q);
        } else {
            PQclear(r);
        }
    }
    dc__pg_forget_queued(c);
    PGresult *sync = PQgetResult(c->conn);
    int synced = sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || !PQexitPipelineMode(c->conn)) {
        PQclear(*last);
        *last = NULL;
        lost(c);
        return 0;
    }
    if (!ok) { /* a statement before the last failed: so does the round trip */
        PQclear(*last);
        *last = NULL;
    }
    return ok;
}
