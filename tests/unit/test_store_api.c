/* test_store_api.c - the store interface over a temporary SQLite file: the backend chosen by the
 * location, parties, objects and who may read them, candidates (the in-memory index against the
 * R*Tree, and after a rollback), grants, notices, messages, the disclosure ledger and probing,
 * and the transaction each call requires */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../support/temp_store.h"

#include "deconflict/party.h"
#include "deconflict/store.h"
#include "../../src/store/store_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S INT64_C(1000000)
#define T0 (INT64_C(1764547200) * S) /* 2025-12-01T00:00:00Z */
#define HOUR (3600 * S)

struct fixture {
    temp_store t;
};

static int setup(void **state)
{
    return temp_store_fixture_open(state, sizeof(struct fixture), "store-api");
}

static int teardown(void **state)
{
    return temp_store_fixture_remove(state);
}

/* An object of one circle (radius m around lat, lon; 0..500 m; hours h0..h1 after T0). The
 * record points at `v`, which the caller keeps and clears. */
static void make(dc_record *r, dc_volume *v, dc_object_kind kind, const char *owner, const char *id,
                 double lat, double lon, double radius, int h0, int h1)
{
    memset(r, 0, sizeof *r);
    dc_point c = {lat, lon};
    assert_int_equal(
        dc_volume_init_circle(c, radius, 0, 500, T0 + h0 * HOUR, T0 + h1 * HOUR, v, NULL), DC_OK);
    r->object.kind = kind;
    snprintf(r->object.owner, sizeof r->object.owner, "%s", owner);
    snprintf(r->object.id, sizeof r->object.id, "%s", id);
    r->object.state = DC_STATE_ACCEPTED;
    r->object.version = 1;
    r->object.volumes = v;
    r->object.volume_count = 1;
    r->body = "{}";
    r->created = r->updated = T0;
}

static void put(dc_store *s, dc_record *r)
{
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_object_put(s, r), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
}

/* The rows dc_store_candidates returns for `o`, in a read transaction, "," separated ids. */
static void candidate_ids(dc_store *s, const dc_object *o, char *out, size_t size)
{
    dc_record_list list = {0};
    dc_candidate_stamps stamps = {0}, of = {0};
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_candidates(s, o, &list), DC_OK);
    assert_int_equal(dc_store_candidate_stamps(s, o, &stamps), DC_OK);
    dc_store_rollback(s);
    assert_int_equal(dc_candidate_stamps_of(&list, &of), DC_OK);
    assert_true(dc_candidate_stamps_equal(&stamps, &of));
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < list.count; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "",
                                 list.items[i].object.id);
    dc_record_list_clear(&list);
    dc_candidate_stamps_clear(&stamps);
    dc_candidate_stamps_clear(&of);
}

static void test_backend_by_location(void **state)
{
    (void)state;
    dc_store *s = (dc_store *)&s; /* not NULL: a refusal must set it to NULL */
    dc_error err;
    /* a PostgreSQL URI opens the PostgreSQL backend: here nothing listens (port 1) */
    assert_int_equal(dc_store_open("postgresql://dc:secret@127.0.0.1:1/dc", &s, &err), DC_STORE);
    assert_null(s);
    assert_null(strstr(err.message, "secret")); /* a password is never echoed */
    assert_non_null(strstr(err.message, "PostgreSQL"));
    assert_int_equal(dc_store_open("postgres://127.0.0.1:1/dc", &s, &err), DC_STORE);
    assert_null(s);
    struct stat st;
    assert_int_not_equal(stat("postgres:", &st), 0); /* nothing was created for it */
    assert_int_equal(dc_store_open(":memory:", &s, &err), DC_OK);
    assert_non_null(s);
    dc_store_close(s);
}

static void test_parties(void **state)
{
    struct fixture *f = *state;
    uint8_t h1[DC_HASH_BYTES], h2[DC_HASH_BYTES];
    char key[DC_KEY_TEXT_MAX];
    dc_party_key_new(key);
    dc_party_key_hash(key, h1);
    dc_party_key_new(key);
    dc_party_key_hash(key, h2);
    dc_party p;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_party_add(f->t.store, "a", h1, T0), DC_OK);
    assert_int_equal(dc_store_party_add(f->t.store, "a", h2, T0), DC_CONFLICT);
    assert_int_equal(dc_store_party_exists(f->t.store, "a"), DC_OK);
    assert_int_equal(dc_store_party_exists(f->t.store, "b"), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_by_key(f->t.store, h1, &p), DC_OK);
    assert_string_equal(p.name, "a");
    assert_int_equal(p.priority_ceiling, DC_PRIORITY_CEILING_DEFAULT);
    assert_true(p.key_active);
    assert_int_equal(dc_store_party_by_key(f->t.store, h2, &p), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_revoke_key(f->t.store, "a"), DC_OK);
    assert_int_equal(dc_store_party_by_key(f->t.store, h1, &p), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_get(f->t.store, "a", &p), DC_OK);
    assert_false(p.key_active);
    assert_int_equal(dc_store_party_set_key(f->t.store, "a", h2), DC_OK);
    assert_int_equal(dc_store_party_by_key(f->t.store, h2, &p), DC_OK);
    assert_int_equal(dc_store_party_by_key(f->t.store, h1, &p), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_set_ceiling(f->t.store, "a", 3), DC_OK);
    assert_int_equal(dc_store_party_set_notation(f->t.store, "a", "mgrs"), DC_OK);
    dc_rate limits[DC_RATE_CLASSES] = {{2, 5}, {0, 0}, {100, 0}};
    assert_int_equal(dc_store_party_set_limits(f->t.store, "a", limits), DC_OK);
    assert_int_equal(dc_store_party_get(f->t.store, "a", &p), DC_OK);
    assert_int_equal(p.priority_ceiling, 3);
    assert_string_equal(p.notation, "mgrs");
    assert_true(p.limits[DC_RATE_WRITES].per_s == 2 && p.limits[DC_RATE_WRITES].burst == 5);
    assert_true(p.limits[DC_RATE_MESSAGES].per_s == 0 && p.limits[DC_RATE_REPORTS].burst == 0);
    assert_true(p.limits[DC_RATE_REPORTS].per_s == 100);
    /* a name that is no party: NOT_FOUND from every update, nothing created */
    assert_int_equal(dc_store_party_set_ceiling(f->t.store, "nobody", 3), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_revoke_key(f->t.store, "nobody"), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_set_notation(f->t.store, "nobody", "dd"), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_get(f->t.store, "nobody", &p), DC_NOT_FOUND);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
}

static void test_objects_and_visibility(void **state)
{
    struct fixture *f = *state;
    dc_volume v[3];
    dc_record a, z, got;
    make(&a, &v[0], DC_KIND_INTENT, "a", "x", 36.0, 37.0, 1000, 0, 1);
    make(&z, &v[1], DC_KIND_ZONE, "a", "zone", 36.0, 37.0, 5000, 0, 24);
    z.is_public = 0;
    put(f->t.store, &a);
    put(f->t.store, &z);
    assert_true(a.row > 0 && z.row > a.row);
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_object_get(f->t.store, DC_KIND_INTENT, "a", "x", &got), DC_OK);
    assert_int_equal(got.row, a.row);
    assert_string_equal(got.body, "{}");
    assert_int_equal(got.object.volume_count, 1);
    dc_record_clear(&got);
    assert_int_equal(dc_store_object_get(f->t.store, DC_KIND_INTENT, "b", "x", &got), DC_NOT_FOUND);
    /* b reads neither a's intent nor its private zone; a's own objects are not "visible" */
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_INTENT, "x", "b", &got),
                     DC_NOT_FOUND);
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_ZONE, "zone", "b", &got),
                     DC_NOT_FOUND);
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_INTENT, "x", "a", &got),
                     DC_NOT_FOUND);
    dc_record_list list = {0};
    assert_int_equal(dc_store_object_list(f->t.store, DC_KIND_INTENT, "b", NULL, &list), DC_OK);
    assert_int_equal(list.count, 0);
    int64_t counts[DC_KIND_COUNT];
    assert_int_equal(dc_store_object_counts(f->t.store, counts), DC_OK);
    assert_int_equal(counts[DC_KIND_INTENT], 1);
    assert_int_equal(counts[DC_KIND_ZONE], 1);
    dc_store_rollback(f->t.store);

    /* a grant of intents opens a's intents to b, not its zones; a public zone is everyone's */
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_grant_add(f->t.store, "a", "b", DC_KIND_INTENT, T0), DC_OK);
    assert_int_equal(dc_store_grant_add(f->t.store, "a", "b", DC_KIND_INTENT, T0), DC_CONFLICT);
    assert_int_equal(dc_store_grant_exists(f->t.store, "a", "b", DC_KIND_INTENT), DC_OK);
    assert_int_equal(dc_store_grant_exists(f->t.store, "a", "b", DC_KIND_ZONE), DC_NOT_FOUND);
    assert_int_equal(dc_store_grant_exists(f->t.store, "b", "a", DC_KIND_INTENT), DC_NOT_FOUND);
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_INTENT, "x", "b", &got), DC_OK);
    assert_string_equal(got.object.owner, "a");
    dc_record_clear(&got);
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_ZONE, "zone", "b", &got),
                     DC_NOT_FOUND);
    z.is_public = 1;
    assert_int_equal(dc_store_object_put(f->t.store, &z), DC_OK);
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_ZONE, "zone", "c", &got), DC_OK);
    dc_record_clear(&got);
    /* lists by area: inside it, and far from it */
    dc_box4 near = {37.0, 37.01, 36.0, 36.01, 0, 100, T0, T0 + HOUR};
    dc_box4 far = {10.0, 10.01, 10.0, 10.01, 0, 100, T0, T0 + HOUR};
    assert_int_equal(dc_store_object_list(f->t.store, DC_KIND_INTENT, "b", &near, &list), DC_OK);
    assert_int_equal(list.count, 1);
    dc_record_list_clear(&list);
    assert_int_equal(dc_store_object_list(f->t.store, DC_KIND_INTENT, "b", &far, &list), DC_OK);
    assert_int_equal(list.count, 0);
    assert_int_equal(dc_store_object_page(f->t.store, DC_KIND_INTENT, "b", NULL, a.row, 10, &list),
                     DC_OK);
    assert_int_equal(list.count, 0); /* nothing after its own row */
    /* revoked: b reads nothing of a's again */
    assert_int_equal(dc_store_grant_remove(f->t.store, "a", "b", DC_KIND_INTENT), DC_OK);
    assert_int_equal(dc_store_grant_remove(f->t.store, "a", "b", DC_KIND_INTENT), DC_NOT_FOUND);
    assert_int_equal(dc_store_object_visible(f->t.store, DC_KIND_INTENT, "x", "b", &got),
                     DC_NOT_FOUND);
    assert_int_equal(dc_store_object_delete(f->t.store, DC_KIND_INTENT, "a", "x"), DC_OK);
    assert_int_equal(dc_store_object_delete(f->t.store, DC_KIND_INTENT, "a", "x"), DC_NOT_FOUND);
    assert_int_equal(dc_store_object_get(f->t.store, DC_KIND_INTENT, "a", "x", &got), DC_NOT_FOUND);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    for (int i = 0; i < 2; i++)
        dc_volume_clear(&v[i]);
}

/* Both searches return the same candidates: in force only, the proposal itself left out. */
static void test_candidates_both_searches(void **state)
{
    struct fixture *f = *state;
    dc_volume v[6];
    dc_record r[5];
    make(&r[0], &v[0], DC_KIND_INTENT, "a", "near", 36.0, 37.0, 1000, 0, 2);
    make(&r[1], &v[1], DC_KIND_INTENT, "b", "later", 36.0, 37.0, 1000, 5, 6);
    make(&r[2], &v[2], DC_KIND_INTENT, "b", "gone", 36.0, 37.0, 1000, 0, 2);
    r[2].object.state = DC_STATE_WITHDRAWN;
    make(&r[3], &v[3], DC_KIND_HAZARD, "c", "held", 36.001, 37.0, 800, 0, 2);
    r[3].object.state = DC_STATE_SUSPENDED;
    make(&r[4], &v[4], DC_KIND_INTENT, "c", "far", 38.0, 39.0, 1000, 0, 2);
    for (int i = 0; i < 5; i++)
        put(f->t.store, &r[i]);
    dc_record p;
    make(&p, &v[5], DC_KIND_INTENT, "a", "near", 36.0005, 37.0, 1000, 1, 3);
    char with_index[256], with_rtree[256];
    candidate_ids(f->t.store, &p.object, with_index, sizeof with_index);
    assert_string_equal(with_index, "held"); /* "near" is the proposal's own earlier version */
    /* SQLite has two searches (its R*Tree and the in-memory index), which must agree; PostgreSQL
     * one, its GiST index (answered above) */
    dc_status two = dc__store_candidate_index(f->t.store, 0);
    assert_int_equal(two, dc_store_shared(f->t.store) ? DC_UNSUPPORTED : DC_OK);
    candidate_ids(f->t.store, &p.object, with_rtree, sizeof with_rtree);
    assert_string_equal(with_rtree, with_index);
    if (two == DC_OK)
        assert_int_equal(dc__store_candidate_index(f->t.store, 1), DC_OK);
    snprintf(p.object.id, sizeof p.object.id, "other");
    candidate_ids(f->t.store, &p.object, with_index, sizeof with_index);
    assert_string_equal(with_index, "near,held");

    /* stamps name versions: another version of a candidate is a different set */
    dc_candidate_stamps before = {0}, after = {0};
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_candidate_stamps(f->t.store, &p.object, &before), DC_OK);
    dc_store_rollback(f->t.store);
    r[0].object.version = 2;
    r[0].updated = T0 + S;
    put(f->t.store, &r[0]);
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_candidate_stamps(f->t.store, &p.object, &after), DC_OK);
    dc_store_rollback(f->t.store);
    assert_int_equal(before.count, 2);
    assert_false(dc_candidate_stamps_equal(&before, &after));
    dc_candidate_stamps_clear(&before);
    dc_candidate_stamps_clear(&after);
    for (int i = 0; i < 6; i++)
        dc_volume_clear(&v[i]);
}

/* A write rolled back leaves the in-memory index as the table is: a put, a move and a delete. */
static void test_index_after_rollback(void **state)
{
    struct fixture *f = *state;
    dc_volume v[4];
    dc_record here, moved, fresh, probe;
    make(&here, &v[0], DC_KIND_INTENT, "a", "here", 36.0, 37.0, 1000, 0, 2);
    put(f->t.store, &here);
    make(&probe, &v[1], DC_KIND_INTENT, "p", "probe", 36.0, 37.0, 1000, 0, 2);
    make(&moved, &v[2], DC_KIND_INTENT, "a", "here", 40.0, 41.0, 1000, 0, 2);
    make(&fresh, &v[3], DC_KIND_INTENT, "b", "fresh", 36.0, 37.0, 1000, 0, 2);
    char ids[128];
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_object_put(f->t.store, &moved), DC_OK);
    assert_int_equal(dc_store_object_put(f->t.store, &fresh), DC_OK);
    dc_record_list list = {0};
    assert_int_equal(dc_store_candidates(f->t.store, &probe.object, &list), DC_OK);
    assert_int_equal(list.count, 1); /* the transaction sees its own writes */
    assert_string_equal(list.items[0].object.id, "fresh");
    dc_record_list_clear(&list);
    dc_store_rollback(f->t.store);
    candidate_ids(f->t.store, &probe.object, ids, sizeof ids);
    assert_string_equal(ids, "here");

    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_object_delete(f->t.store, DC_KIND_INTENT, "a", "here"), DC_OK);
    dc_store_rollback(f->t.store);
    candidate_ids(f->t.store, &probe.object, ids, sizeof ids);
    assert_string_equal(ids, "here");
    /* and committed, the delete is gone from both */
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_object_delete(f->t.store, DC_KIND_INTENT, "a", "here"), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    candidate_ids(f->t.store, &probe.object, ids, sizeof ids);
    assert_string_equal(ids, "");
    /* a store opened again builds its index from the table */
    put(f->t.store, &fresh);
    dc_store_close(f->t.store);
    dc_error err;
    assert_int_equal(dc_store_open(f->t.db, &f->t.store, &err), DC_OK);
    candidate_ids(f->t.store, &probe.object, ids, sizeof ids);
    assert_string_equal(ids, "fresh");
    for (int i = 0; i < 4; i++)
        dc_volume_clear(&v[i]);
}

struct texts {
    int64_t ids[16];
    char bodies[16][64];
    size_t count;
};

static int keep_text(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    (void)created;
    struct texts *t = ctx;
    t->ids[t->count] = id;
    snprintf(t->bodies[t->count], sizeof t->bodies[0], "%s", body);
    t->count++;
    return 0;
}

static void test_notices(void **state)
{
    struct fixture *f = *state;
    int64_t id[4], last = -1;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_NOTICES, "a", "{\"n\":1}", T0, &id[0]),
                     DC_OK);
    assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_NOTICES, "b", "{\"n\":2}", T0, &id[1]),
                     DC_OK);
    assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_NOTICES, "a", "{\"n\":3}", T0, &id[2]),
                     DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_true(id[0] < id[1] && id[1] < id[2]);
    struct texts t = {0};
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_inbox(f->t.store, DC_INBOX_NOTICES, "a", 0, 10, keep_text, &t),
                     DC_OK);
    assert_int_equal(t.count, 2); /* b's notice is not a's */
    assert_string_equal(t.bodies[0], "{\"n\":1}");
    assert_string_equal(t.bodies[1], "{\"n\":3}");
    memset(&t, 0, sizeof t);
    assert_int_equal(dc_store_inbox(f->t.store, DC_INBOX_NOTICES, "a", id[0], 10, keep_text, &t),
                     DC_OK);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.ids[0], id[2]);
    memset(&t, 0, sizeof t);
    assert_int_equal(dc_store_inbox(f->t.store, DC_INBOX_NOTICES, "a", 0, 1, keep_text, &t), DC_OK);
    assert_int_equal(t.count, 1);
    assert_int_equal(dc_store_inbox_last(f->t.store, DC_INBOX_NOTICES, "a", &last), DC_OK);
    assert_int_equal(last, id[2]);
    assert_int_equal(dc_store_inbox_last(f->t.store, DC_INBOX_NOTICES, "nobody", &last), DC_OK);
    assert_int_equal(last, 0);
    dc_store_rollback(f->t.store);
    /* an alert to nine recipients is refused whole */
    const char *to[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    const char *texts[9] = {"{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}"};
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_alert_add(f->t.store, NULL, 0, to, texts, 9, T0, &id[3]), DC_INVALID);
    assert_int_equal(id[3], 0);
    assert_int_equal(dc_store_inbox_last(f->t.store, DC_INBOX_ALERTS, "a", &last), DC_OK);
    assert_int_equal(last, 0);
    dc_store_rollback(f->t.store);
}

struct seen {
    int64_t ids[8];
    int acknowledged[8];
    size_t count;
};

static int keep_message(void *ctx, const dc_message *m)
{
    struct seen *s = ctx;
    s->ids[s->count] = m->id;
    s->acknowledged[s->count] = m->acknowledged;
    s->count++;
    return 0;
}

static void test_messages(void **state)
{
    struct fixture *f = *state;
    int64_t m1, m2, m3;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_message_add(f->t.store, "a", "b", "{\"text\":\"hi\"}", T0, &m1),
                     DC_OK);
    assert_int_equal(dc_store_message_add(f->t.store, "c", "d", "{}", T0, &m2), DC_OK);
    assert_int_equal(dc_store_message_add(f->t.store, "b", "a", "{}", T0 + S, &m3), DC_OK);
    assert_int_equal(dc_store_message_acknowledge(f->t.store, m1), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    dc_message m;
    struct seen seen = {0};
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_message_get(f->t.store, m1, &m), DC_OK);
    assert_string_equal(m.sender, "a");
    assert_string_equal(m.recipient, "b");
    assert_string_equal(m.body, "{\"text\":\"hi\"}");
    assert_int_equal(m.acknowledged, 1);
    dc_free(m.body);
    assert_int_equal(dc_store_message_get(f->t.store, m3 + 100, &m), DC_NOT_FOUND);
    /* a's: the one it sent and the one it received, never c's to d */
    assert_int_equal(dc_store_messages(f->t.store, "a", keep_message, &seen), DC_OK);
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.ids[0], m1);
    assert_int_equal(seen.ids[1], m3);
    assert_int_equal(seen.acknowledged[1], 0);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(dc_store_messages_page(f->t.store, "a", m1, 10, keep_message, &seen), DC_OK);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.ids[0], m3);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(dc_store_messages_page(f->t.store, "a", 0, 1, keep_message, &seen), DC_OK);
    assert_int_equal(seen.count, 1);
    dc_store_rollback(f->t.store);
}

static int keep_site(void *ctx, const char *site)
{
    snprintf(ctx, 64, "%s", site);
    return 0;
}

static void test_ledger_and_probing(void **state)
{
    struct fixture *f = *state;
    double area = -1;
    int mapped = -1;
    int64_t n = 0;
    const int64_t day = 20000;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_disclosure_spent(f->t.store, "v", "intent/a/x", day, &area, &mapped),
                     DC_OK);
    assert_true(area == 0 && mapped == 0);
    assert_int_equal(dc_store_disclosure_charge(f->t.store, "v", "intent/a/x", day, 100, 0), DC_OK);
    assert_int_equal(dc_store_disclosure_charge(f->t.store, "v", "intent/a/x", day, 50, 1), DC_OK);
    assert_int_equal(dc_store_disclosure_charge(f->t.store, "w", "intent/a/x", day, 7, 0), DC_OK);
    assert_int_equal(dc_store_disclosure_spent(f->t.store, "v", "intent/a/x", day, &area, &mapped),
                     DC_OK);
    assert_true(area == 150 && mapped == 1);
    /* two days on, the old day is pruned from the ledger */
    assert_int_equal(dc_store_disclosure_charge(f->t.store, "v", "intent/a/y", day + 2, 1, 0),
                     DC_OK);
    assert_int_equal(dc_store_disclosure_spent(f->t.store, "v", "intent/a/x", day, &area, &mapped),
                     DC_OK);
    assert_true(area == 0 && mapped == 0);

    char site[64] = "";
    for (int i = 0; i < 3; i++)
        assert_int_equal(dc_store_site_refusal_add(f->t.store, "p", "site/o/s", T0 + i * S, T0, &n),
                         DC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(dc_store_site_refusal_add(f->t.store, "q", "site/o/s", T0, T0, &n), DC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(dc_store_probed_sites(f->t.store, "p", T0, 2, keep_site, site), DC_OK);
    assert_string_equal(site, "site/o/s");
    site[0] = '\0';
    assert_int_equal(dc_store_probed_sites(f->t.store, "p", T0, 3, keep_site, site), DC_OK);
    assert_string_equal(site, "");
    /* records older than the window are pruned when the next is added */
    assert_int_equal(
        dc_store_site_refusal_add(f->t.store, "p", "site/o/s", T0 + 10 * S, T0 + 2 * S, &n), DC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
}

/* The transaction each call needs is asserted: a write in a read transaction, a read with no
 * transaction, a second begin on one thread, each abort the (child) process. */
static void expect_abort(const char *db, int which)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dc_store *s;
        dc_error err;
        dc_party p;
        uint8_t hash[DC_HASH_BYTES] = {0};
        if (dc_store_open(db, &s, &err) != DC_OK)
            _exit(3);
        if (which == 0) {
            dc_store_begin(s, 0);
            dc_store_party_add(s, "x", hash, T0);
        } else if (which == 1) {
            dc_store_party_get(s, "x", &p);
        } else {
            dc_store_begin(s, 0);
            dc_store_begin(s, 0);
        }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_transaction_asserts(void **state)
{
#ifdef NDEBUG
    (void)state;
    skip();
#else
    struct fixture *f = *state;
    for (int which = 0; which < 3; which++)
        expect_abort(f->t.db, which);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_by_location),
        cmocka_unit_test_setup_teardown(test_parties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objects_and_visibility, setup, teardown),
        cmocka_unit_test_setup_teardown(test_candidates_both_searches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_after_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger_and_probing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_asserts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
