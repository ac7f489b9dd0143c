/* test_store.c - an alert stored once reads back byte for byte for each recipient, repetitions
 * included; the archiving pass moves exactly the rows due and the segments verify; an append that
 * never committed is cut off and its rows go again, once */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/retention.h"
#include "deconflict/store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S INT64_C(1000000)
#define T0 (INT64_C(1764547200) * S) /* 2025-12-01T00:00:00Z */

struct fixture {
    char dir[64], db[128];
    dc_store *store;
    uint8_t pk[DC_PUBLIC_KEY_BYTES], sk[DC_SECRET_KEY_BYTES];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dc-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->db, sizeof f->db, "%s/store.db", f->dir);
    dc_error err;
    if (dc_audit_init() != DC_OK || dc_store_open(f->db, &f->store, &err) != DC_OK)
        return -1;
    dc_store_begin(f->store, 1);
    dc_status rc = dc_store_server_key(f->store, f->pk, f->sk);
    dc_store_commit(f->store);
    *state = f;
    return rc == DC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dc_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int ignored = system(cmd);
    (void)ignored;
    free(f);
    return 0;
}

struct read_back {
    int64_t ids[64];
    char *texts[64];
    size_t count;
};

static int keep(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    (void)created;
    struct read_back *r = ctx;
    r->ids[r->count] = id;
    r->texts[r->count] = strdup(body);
    r->count++;
    return 0;
}

static void read_inbox(dc_store *store, const char *party, struct read_back *out)
{
    memset(out, 0, sizeof *out);
    dc_store_begin(store, 0);
    assert_int_equal(dc_store_inbox(store, DC_INBOX_ALERTS, party, 0, 64, keep, out), DC_OK);
    dc_store_commit(store);
}

static void forget(struct read_back *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->texts[i]);
}

/* A zone alert's two views (the aircraft's owner also reads the predicted entry), then
 * repetitions whose time and position change: each recipient reads exactly what it was sent. */
static void test_alert_stored_once(void **state)
{
    struct fixture *f = *state;
    const char *who[2] = {"red", "blue"};
    char owner[20][512], zone[20][512];
    int64_t ids[20];
    dc_store_begin(f->store, 1);
    for (int i = 0; i < 20; i++) {
        /* as codec.c writes them: jansson, 12 significant digits */
        char t[32];
        snprintf(t, sizeof t, "2025-12-01T00:%02d:%02dZ", i / 2, (i % 2) * 30);
        json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:f,s:{s:s,s:s,s:{s:f,s:f},s:f},s:{s:s,s:s}}",
                              "kind", "zone", "level", "warning", "repetition", i, "time", t,
                              "time_to_event_s", 55.0 - i, "track", "party", "red", "aircraft",
                              "r1", "position", "lat", 36.1, "lng", 37.0 + 0.0123 * i, "altitude_m",
                              5000.0, "zone", "owner", "blue", "id", "box");
        char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        snprintf(zone[i], sizeof zone[i], "%s", text);
        free(text);
        json_object_set_new(j, "entry", json_pack("{s:f,s:f}", "lat", 36.1, "lng", 37.33));
        text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        snprintf(owner[i], sizeof owner[i], "%s", text);
        free(text);
        json_decref(j);
        const char *texts[2] = {owner[i], zone[i]};
        assert_int_equal(dc_store_alert_add(f->store, "zone|warning|red|r1|blue|box", 600 * S, who,
                                            texts, 2, T0 + i * 30 * S, &ids[i]),
                         DC_OK);
        assert_true(i == 0 || ids[i] > ids[i - 1]);
    }
    /* an alert for one party alone, as notices.c stores its own */
    const char *op = "operator", *text = "{\"kind\":\"probing\",\"site\":\"site/blue/s\"}";
    int64_t one;
    assert_int_equal(dc_store_alert_add(f->store, NULL, 0, &op, &text, 1, T0, &one), DC_OK);
    dc_store_commit(f->store);
    struct read_back red, blue, oper;
    read_inbox(f->store, "red", &red);
    read_inbox(f->store, "blue", &blue);
    read_inbox(f->store, "operator", &oper);
    assert_int_equal(red.count, 20);
    assert_int_equal(blue.count, 20);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(red.ids[i], ids[i]);
        assert_int_equal(blue.ids[i], ids[i]); /* one id for all its recipients */
        assert_string_equal(red.texts[i], owner[i]);
        assert_string_equal(blue.texts[i], zone[i]);
    }
    assert_int_equal(oper.count, 1);
    assert_string_equal(oper.texts[0], text);
    int64_t last = 0;
    dc_store_begin(f->store, 0);
    dc_store_inbox_last(f->store, DC_INBOX_ALERTS, "blue", &last);
    dc_store_commit(f->store);
    assert_int_equal(last, ids[19]);
    forget(&red);
    forget(&blue);
    forget(&oper);
    /* stored once: one row an alert; a repetition as what changed, far smaller than its text */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT (SELECT count(*) FROM alert_log),"
                                        " (SELECT max(length(body)) FROM alert_log WHERE episode"
                                        " != 0), (SELECT count(*) FROM alert_inbox)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 21);
    assert_true(sqlite3_column_int(st, 1) < (int)strlen(zone[19]) / 2);
    assert_int_equal(sqlite3_column_int(st, 2), 41);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void append_record(struct fixture *f, dc_time_us t, int sign, int64_t *seq)
{
    dc_audit_record r;
    memset(&r, 0, sizeof r);
    r.time = t;
    snprintf(r.actor, sizeof r.actor, "server");
    snprintf(r.action, sizeof r.action, "alert");
    snprintf(r.object, sizeof r.object, "track/red/r1");
    snprintf(r.recipients, sizeof r.recipients, "red,blue");
    snprintf(r.detail, sizeof r.detail, "{}");
    assert_int_equal(dc_store_audit_append(f->store, &r, sign ? f->sk : NULL), DC_OK);
    *seq = r.seq;
}

struct chain {
    int64_t next;
    size_t rows[DC_RETAIN_COUNT], problems;
};

static int walk_archived(void *ctx, const dc_archived *item)
{
    struct chain *c = ctx;
    c->rows[item->kind]++;
    if (item->kind == DC_RETAIN_AUDIT) {
        assert_int_equal(item->audit->seq, c->next);
        c->next++;
    }
    return 0;
}

static int walk_live(void *ctx, const dc_audit_record *r)
{
    struct chain *c = ctx;
    assert_int_equal(r->seq, c->next);
    c->next++;
    return 0;
}

static void count_problem(void *ctx, const char *message)
{
    struct chain *c = ctx;
    c->problems++;
    print_message("%s\n", message);
}

struct listed {
    dc_segment items[16];
    size_t count;
};

static int list(void *ctx, const dc_segment *g)
{
    struct listed *l = ctx;
    if (l->count < 16)
        l->items[l->count++] = *g;
    return 0;
}

/* Every audit record once, in order, across the segments (as far as committed) and the store. */
static void check_whole(struct fixture *f, const char *dir, int64_t records)
{
    struct listed l = {.count = 0};
    dc_store_begin(f->store, 0);
    assert_int_equal(dc_store_segments(f->store, list, &l), DC_OK);
    dc_store_commit(f->store);
    struct chain c = {.next = 1};
    for (size_t i = 0; i < l.count; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, l.items[i].file);
        dc_segment got;
        assert_int_equal(dc_archive_read(path, l.items[i].bytes, f->pk, walk_archived,
                                         count_problem, &c, &got, NULL),
                         DC_OK);
        assert_int_equal(got.number, l.items[i].number);
        assert_memory_equal(got.digest, l.items[i].digest, DC_HASH_BYTES);
    }
    dc_store_begin(f->store, 0);
    assert_int_equal(dc_store_audit_walk(f->store, NULL, walk_live, &c), DC_OK);
    dc_store_commit(f->store);
    assert_int_equal(c.problems, 0);
    assert_int_equal(c.next, records + 1);
}

struct adding {
    dc_archive_batch *batch;
    const uint8_t *pk;
    int64_t added;
};

static int add_row(void *ctx, const dc_expired *row)
{
    struct adding *a = ctx;
    assert_int_equal(dc_archive_add(a->batch, row, a->pk, NULL), DC_OK);
    a->added++;
    return 0;
}

/* Records go in runs ending on a signed one; the newest stays; an uncommitted append is cut off
 * and its rows archived again, once. */
static void test_pass_and_torn_append(void **state)
{
    struct fixture *f = *state;
    int64_t seq = 0;
    dc_store_begin(f->store, 1);
    for (int i = 0; i < 50; i++)
        append_record(f, T0 + i * S, i % 10 == 9, &seq);
    dc_store_commit(f->store);
    dc_retention r;
    dc_retention_default(f->db, &r);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        r.retain[k] = 0;
    r.retain[DC_RETAIN_AUDIT] = 10 * S;
    r.batch = 15;
    r.period = 3600 * S;
    dc_retention_result res;
    dc_error err;
    /* at T0 + 40 s, records 1..30 are due; a batch of 15 reaches the signed 20th */
    assert_int_equal(dc_retention_pass(f->store, &r, f->pk, f->sk, T0 + 40 * S, &res, &err), DC_OK);
    assert_int_equal(res.moved[DC_RETAIN_AUDIT], 20);
    assert_int_equal(res.more, 1);
    check_whole(f, r.archive_dir, 50);

    /* an append that never committed: the rows the next pass takes, written and synced, and
     * then the process dies before the store commits */
    dc_segment last, torn;
    dc_store_begin(f->store, 0);
    assert_int_equal(dc_store_segment_last(f->store, &last), DC_OK);
    dc_store_commit(f->store);
    struct adding ctx = {NULL, f->pk, 0};
    assert_int_equal(dc_archive_batch_new(&last, T0 + 41 * S, r.period, f->pk, f->sk, &ctx.batch),
                     DC_OK);
    assert_int_equal(
        dc_store_expired(f->store, DC_RETAIN_AUDIT, T0 + 41 * S, T0 + 31 * S, 5, add_row, &ctx),
        DC_OK);
    assert_int_equal(ctx.added, 10); /* 21..30: the run up to the signed 30th */
    assert_int_equal(dc_archive_write(ctx.batch, r.archive_dir, 0, &torn, &err), DC_OK);
    dc_archive_batch_free(ctx.batch);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", r.archive_dir, last.file);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    assert_true(info.st_size > last.bytes); /* on disk, past what the store committed */
    check_whole(f, r.archive_dir, 50);      /* the store's view: nothing changed */

    /* the next pass cuts it off and archives those rows once */
    assert_int_equal(dc_retention_pass(f->store, &r, f->pk, f->sk, T0 + 41 * S, &res, &err), DC_OK);
    assert_int_equal(res.moved[DC_RETAIN_AUDIT], 10);
    check_whole(f, r.archive_dir, 50);
    /* records due up to 39, but 31..39 have no signed record after them before 40: they stay */
    assert_int_equal(dc_retention_pass(f->store, &r, f->pk, f->sk, T0 + 50 * S, &res, &err), DC_OK);
    assert_int_equal(res.moved[DC_RETAIN_AUDIT], 10); /* 31..40, 40 signed, written at 39 s */
    /* much later every record is due, but the newest stays live (the chain's head), and with it
     * 41..49, which only it vouches for */
    for (int i = 0; i < 5; i++)
        assert_int_equal(dc_retention_pass(f->store, &r, f->pk, f->sk, T0 + 500 * S, &res, &err),
                         DC_OK);
    check_whole(f, r.archive_dir, 50);
    dc_store_stats st;
    assert_int_equal(dc_store_stats_read(f->store, &st), DC_OK);
    assert_int_equal(st.rows[DC_RETAIN_AUDIT], 10);
    assert_int_equal(st.oldest[DC_RETAIN_AUDIT], T0 + 40 * S);
}

/* The live chain altered where it is to be archived: nothing of it is signed into the archive. */
static void test_altered_chain_not_archived(void **state)
{
    struct fixture *f = *state;
    int64_t seq = 0;
    dc_store_begin(f->store, 1);
    for (int i = 0; i < 10; i++)
        append_record(f, T0 + i * S, 1, &seq);
    dc_store_commit(f->store);
    /* record 4 rewritten, by a forger without the key */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE audit SET recipients = 'red' WHERE seq = 4", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    dc_retention r;
    dc_retention_default(f->db, &r);
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        r.retain[k] = 0;
    r.retain[DC_RETAIN_AUDIT] = 1 * S;
    dc_retention_result res;
    dc_error err;
    assert_int_equal(dc_retention_pass(f->store, &r, f->pk, f->sk, T0 + 100 * S, &res, &err),
                     DC_CONFLICT);
    assert_int_equal(res.moved[DC_RETAIN_AUDIT], 3); /* 1..3 went; 4 and after stay */
    assert_non_null(strstr(err.message, "record 4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alert_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pass_and_torn_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_chain_not_archived, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
