/* test_store_chain.c - the audit chain, emergencies and retention through the store interface, on
 * whichever backend temp_store.h gives (PostgreSQL with DC_TEST_PG_ADMIN): the chain is the same
 * bytes as an SQLite store's, walks by object find the records naming it (across pages), the
 * hazards an emergency held come back in the order they were suspended, and the rows due for the
 * archive are exactly those runs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../support/temp_store.h"

#include "deconflict/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S INT64_C(1000000)
#define T0 (INT64_C(1764547200) * S) /* 2025-12-01T00:00:00Z */
#define HOUR (3600 * S)

struct fixture {
    temp_store t;
    uint8_t pk[DC_PUBLIC_KEY_BYTES], sk[DC_SECRET_KEY_BYTES];
};

static int setup(void **state)
{
    if (temp_store_fixture_open(state, sizeof(struct fixture), "store-chain") != 0)
        return -1;
    struct fixture *f = *state;
    return dc_audit_keypair(f->pk, f->sk) == DC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    return temp_store_fixture_remove(state);
}

/* ---- the audit chain ---- */

static int64_t append(dc_store *s, dc_time_us t, const char *object, const char *detail,
                      const uint8_t *sk)
{
    dc_audit_record *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->time = t;
    snprintf(r->actor, sizeof r->actor, "server");
    snprintf(r->action, sizeof r->action, "alert");
    snprintf(r->object, sizeof r->object, "%s", object);
    snprintf(r->recipients, sizeof r->recipients, "red,blue");
    snprintf(r->detail, sizeof r->detail, "%s", detail);
    assert_int_equal(dc_store_audit_append(s, r, sk), DC_OK);
    int64_t seq = r->seq;
    free(r);
    return seq;
}

struct walked {
    dc_audit_record *items;
    size_t count, capacity, stop_after;
    dc_store *store; /* when set, each record is looked up again from inside the walk */
};

static int keep_record(void *ctx, const dc_audit_record *r)
{
    struct walked *w = ctx;
    if (w->count == w->capacity) {
        w->capacity = w->capacity ? w->capacity * 2 : 64;
        w->items = realloc(w->items, w->capacity * sizeof *w->items);
        assert_non_null(w->items);
    }
    w->items[w->count++] = *r;
    if (w->store != NULL) {
        /* a callback may use the store: the walk's own reading must survive it */
        dc_emergency e;
        assert_int_equal(dc_store_emergency_get(w->store, "nobody", "none", &e), DC_NOT_FOUND);
    }
    return w->stop_after != 0 && w->count >= w->stop_after;
}

static void walk(dc_store *s, const char *object, int64_t after, struct walked *out)
{
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_audit_walk_after(s, object, after, keep_record, out), DC_OK);
    dc_store_rollback(s);
}

/* The same records with the same key: the same chain, byte for byte, as an SQLite store's. */
static void test_chain_same_as_sqlite(void **state)
{
    struct fixture *f = *state;
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/dc-chain-sqlite-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/store.db", dir);
    dc_store *reference = NULL;
    dc_error err;
    assert_int_equal(dc_store_open(path, &reference, &err), DC_OK);
    dc_store *both[2] = {f->t.store, reference};
    for (int b = 0; b < 2; b++) {
        assert_int_equal(dc_store_begin(both[b], 1), DC_OK);
        for (int i = 0; i < 7; i++)
            append(both[b], T0 + i * S, i % 2 ? "intent/red/x" : "", "{\"n\":\"é\"}",
                   i % 3 == 2 ? f->sk : NULL);
        /* the last (7th) was unsigned: the checkpoint signs it */
        assert_int_equal(dc_store_audit_checkpoint(both[b], f->sk), DC_OK);
        assert_int_equal(dc_store_audit_checkpoint(both[b], f->sk), DC_OK); /* signed: no-op */
        assert_int_equal(dc_store_commit(both[b]), DC_OK);
    }
    struct walked w[2] = {{0}, {0}};
    walk(f->t.store, NULL, 0, &w[0]);
    walk(reference, NULL, 0, &w[1]);
    assert_int_equal(w[0].count, 7);
    assert_int_equal(w[1].count, 7);
    uint8_t prev[DC_HASH_BYTES] = {0};
    for (size_t i = 0; i < 7; i++) {
        const dc_audit_record *a = &w[0].items[i], *b = &w[1].items[i];
        assert_int_equal(a->seq, (int64_t)i + 1);
        assert_int_equal(a->time, b->time);
        assert_string_equal(a->object, b->object);
        assert_string_equal(a->detail, b->detail);
        assert_memory_equal(a->prev_hash, prev, DC_HASH_BYTES);
        assert_memory_equal(a->hash, b->hash, DC_HASH_BYTES);
        assert_memory_equal(a->signature, b->signature, DC_SIGNATURE_BYTES);
        assert_int_equal(dc_audit_signed(a), i % 3 == 2 || i == 6);
        assert_int_equal(dc_audit_check(a, f->pk, &err), DC_OK);
        memcpy(prev, a->hash, DC_HASH_BYTES);
    }
    free(w[0].items);
    free(w[1].items);
    dc_store_close(reference);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* By object: the records about it and those naming it among others, in seq order (a record both
 * about it and naming it comes twice, on either backend), from any seq, stopping when told; a
 * walk of more records than one page reads is whole. */
static void test_walk_by_object(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    const char *x = "intent/red/x", *both[] = {"intent/red/x", "intent/blue/y"};
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    for (int i = 1; i <= 600; i++) {
        /* 1..511 about x; 512 about x and naming it; 513..600 list reads naming x and y */
        int64_t seq = append(s, T0 + i * S, i <= 512 ? x : "", "{}", i % 100 == 0 ? f->sk : NULL);
        assert_int_equal(seq, i);
        if (i >= 512)
            assert_int_equal(dc_store_audit_names(s, seq, both, 2), DC_OK);
    }
    assert_int_equal(dc_store_audit_names(s, 600, both, 2), DC_OK); /* again: ignored */
    assert_int_equal(append(s, T0 + 601 * S, "", "{}", f->sk), 601);
    assert_int_equal(dc_store_commit(s), DC_OK);

    struct walked w = {0};
    w.store = s;
    walk(s, x, 0, &w);
    assert_int_equal(w.count, 601);
    for (size_t i = 0; i < w.count; i++) {
        int64_t want = i < 512 ? (int64_t)i + 1 : (int64_t)i; /* 512 twice */
        assert_int_equal(w.items[i].seq, want);
    }
    free(w.items);

    memset(&w, 0, sizeof w);
    walk(s, "intent/blue/y", 550, &w);
    assert_int_equal(w.count, 50);
    assert_int_equal(w.items[0].seq, 551);
    free(w.items);

    memset(&w, 0, sizeof w);
    walk(s, "intent/blue/none", 0, &w);
    assert_int_equal(w.count, 0);
    free(w.items);

    memset(&w, 0, sizeof w);
    w.stop_after = 3;
    walk(s, NULL, 598, &w);
    assert_int_equal(w.count, 3);
    assert_int_equal(w.items[2].seq, 601);
    free(w.items);

    memset(&w, 0, sizeof w);
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_audit_walk(s, NULL, keep_record, &w), DC_OK);
    dc_store_rollback(s);
    assert_int_equal(w.count, 601);
    free(w.items);
}

/* ---- emergencies ---- */

static dc_emergency declaration(const char *owner, const char *id, int crew, dc_time_us expires)
{
    dc_emergency e;
    memset(&e, 0, sizeof e);
    snprintf(e.owner, sizeof e.owner, "%s", owner);
    snprintf(e.id, sizeof e.id, "%s", id);
    e.kind = DC_EMERGENCY_SEARCH_AND_RESCUE;
    e.active = 1;
    e.declared = T0;
    e.expires = expires;
    e.validity_s = 3600;
    e.alert_distance_m = 1852.25;
    e.has_crew = crew;
    e.crew.lat = 41.0123456789012;
    e.crew.lon = 36.0000000001;
    e.crew_radius_m = crew ? 250.5 : 0;
    return e;
}

struct names {
    char text[512];
};

static int name_emergency(void *ctx, const dc_emergency *e)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%s/%s:%s", used ? "," : "", e->owner, e->id,
             e->state);
    return 0;
}

static int name_count(void *ctx, const char *party, const char *what, int64_t count)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%s.%s=%lld", used ? "," : "", party, what,
             (long long)count);
    return 0;
}

static int name_one(void *ctx, const char *emergency)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%s", used ? "," : "", emergency);
    return 0;
}

static const char *listed(dc_store *s, const char *owner, int active_only, dc_time_us expired_at,
                          struct names *n)
{
    memset(n, 0, sizeof *n);
    assert_int_equal(dc_store_emergencies(s, owner, active_only, expired_at, name_emergency, n),
                     DC_OK);
    return n->text;
}

/* Declarations read back exactly, listed by owner then id in byte order ("B" before "a"), by
 * owner, active and expired; counts add up. */
static void test_emergencies_and_counts(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    dc_emergency a1 = declaration("a", "e1", 1, T0 + HOUR), b1 = declaration("B", "e1", 0, T0);
    dc_emergency a2 = declaration("a", "E2", 0, T0 + 2 * HOUR);
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_emergency_put(s, &a1), DC_OK);
    assert_int_equal(dc_store_emergency_put(s, &b1), DC_OK);
    assert_int_equal(dc_store_emergency_put(s, &a2), DC_OK);
    a2.active = 0;
    snprintf(a2.state, sizeof a2.state, "ended");
    a2.renewals = 2;
    assert_int_equal(dc_store_emergency_put(s, &a2), DC_OK); /* replaces */
    assert_int_equal(dc_store_emergency_count(s, "a", "declared", 1), DC_OK);
    assert_int_equal(dc_store_emergency_count(s, "a", "declared", 2), DC_OK);
    assert_int_equal(dc_store_emergency_count(s, "B", "refused", 1), DC_OK);
    assert_int_equal(dc_store_emergency_count(s, "a", "Ended", 1), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);

    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    dc_emergency got;
    assert_int_equal(dc_store_emergency_get(s, "a", "e1", &got), DC_OK);
    assert_string_equal(got.state, "active");
    assert_true(got.active && got.has_crew);
    assert_int_equal(got.kind, DC_EMERGENCY_SEARCH_AND_RESCUE);
    assert_int_equal(got.expires, T0 + HOUR);
    assert_true(got.crew.lat == a1.crew.lat && got.crew.lon == a1.crew.lon);
    assert_true(got.crew_radius_m == 250.5 && got.alert_distance_m == 1852.25);
    assert_int_equal(dc_store_emergency_get(s, "a", "E2", &got), DC_OK);
    assert_true(!got.active && !got.has_crew && got.renewals == 2);
    assert_string_equal(got.state, "ended");
    assert_int_equal(dc_store_emergency_get(s, "a", "nope", &got), DC_NOT_FOUND);

    struct names n;
    assert_string_equal(listed(s, NULL, 0, 0, &n), "B/e1:active,a/E2:ended,a/e1:active");
    assert_string_equal(listed(s, "a", 0, 0, &n), "a/E2:ended,a/e1:active");
    assert_string_equal(listed(s, NULL, 1, 0, &n), "B/e1:active,a/e1:active");
    assert_string_equal(listed(s, NULL, 1, T0 + 1, &n), "B/e1:active");
    assert_string_equal(listed(s, "nobody", 0, 0, &n), "");

    memset(&n, 0, sizeof n);
    assert_int_equal(dc_store_emergency_counts(s, NULL, name_count, &n), DC_OK);
    assert_string_equal(n.text, "B.refused=1,a.Ended=1,a.declared=3");
    memset(&n, 0, sizeof n);
    assert_int_equal(dc_store_emergency_counts(s, "a", name_count, &n), DC_OK);
    assert_string_equal(n.text, "a.Ended=1,a.declared=3");
    dc_store_rollback(s);
}

/* A hazard held by two emergencies keeps the state it had before the first; released by one it
 * stays held by the other. */
static void test_suspensions(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    const char *e1 = "intent/a/e1", *e2 = "intent/B/e2";
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h1", e1, DC_STATE_ACTIVATED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h1", e2, DC_STATE_SUSPENDED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h1", e2, DC_STATE_SUSPENDED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h2", e1, DC_STATE_ACCEPTED, T0), DC_OK);
    char by[64];
    assert_int_equal(dc_store_suspended_by(s, "red", "h1", by, sizeof by), DC_OK);
    assert_string_equal(by, "intent/B/e2,intent/a/e1");
    assert_int_equal(dc_store_suspended_by(s, "red", "h1", by, 16), DC_OK);
    assert_string_equal(by, "intent/B/e2,int"); /* cut to the room given */
    assert_int_equal(dc_store_suspended_by(s, "red", "none", by, sizeof by), DC_OK);
    assert_string_equal(by, "");
    struct names n;
    memset(&n, 0, sizeof n);
    assert_int_equal(dc_store_suspending(s, name_one, &n), DC_OK);
    assert_string_equal(n.text, "intent/B/e2,intent/a/e1");
    /* no hazard object is stored: nothing is given back, the suspensions go */
    memset(&n, 0, sizeof n);
    assert_int_equal(dc_store_suspensions_release(s, e2, T0 + S, NULL, &n), DC_OK);
    assert_int_equal(dc_store_suspended_by(s, "red", "h1", by, sizeof by), DC_OK);
    assert_string_equal(by, "intent/a/e1");
    assert_int_equal(dc_store_commit(s), DC_OK);
}

static int name_hazard(void *ctx, const char *owner, const char *id)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%s/%s", used ? "," : "", owner, id);
    return 0;
}

static void put_hazard(dc_store *s, const char *id, dc_state state)
{
    dc_record r;
    dc_volume v;
    memset(&r, 0, sizeof r);
    dc_point c = {41.0, 36.0};
    assert_int_equal(dc_volume_init_circle(c, 1000, 0, 500, T0, T0 + HOUR, &v, NULL), DC_OK);
    r.object.kind = DC_KIND_HAZARD;
    snprintf(r.object.owner, sizeof r.object.owner, "red");
    snprintf(r.object.id, sizeof r.object.id, "%s", id);
    r.object.state = state;
    r.object.version = 1;
    r.object.volumes = &v;
    r.object.volume_count = 1;
    r.body = "{}";
    r.created = r.updated = T0;
    assert_int_equal(dc_store_object_put(s, &r), DC_OK);
    dc_volume_clear(&v);
}

static void expect_state(dc_store *s, const char *id, dc_state state, dc_time_us updated)
{
    dc_record r;
    assert_int_equal(dc_store_object_get(s, DC_KIND_HAZARD, "red", id, &r), DC_OK);
    assert_int_equal(r.object.state, state);
    assert_int_equal(r.updated, updated);
    dc_record_clear(&r);
}

/* Released, the hazards no other emergency holds get back the state they had before the first
 * (if they are still suspended), passed on in the order they were suspended. */
static void test_release_gives_back_in_order(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    const char *e = "intent/a/e", *other = "intent/a/other";
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    const char *ids[] = {"h3", "h1", "h2", "h4"};
    for (int i = 0; i < 4; i++)
        put_hazard(s, ids[i], i == 3 ? DC_STATE_ACCEPTED : DC_STATE_SUSPENDED);
    assert_int_equal(dc_store_suspension_add(s, "red", "h3", other, DC_STATE_ACTIVATED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h3", e, DC_STATE_SUSPENDED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h1", e, DC_STATE_ACCEPTED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h2", e, DC_STATE_ACCEPTED, T0), DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h2", "intent/z/z", DC_STATE_ACCEPTED, T0),
                     DC_OK);
    assert_int_equal(dc_store_suspension_add(s, "red", "h4", e, DC_STATE_ACCEPTED, T0), DC_OK);
    struct names n;
    memset(&n, 0, sizeof n);
    assert_int_equal(dc_store_suspensions_release(s, other, T0 + S, name_hazard, &n), DC_OK);
    assert_string_equal(n.text, ""); /* e still holds h3 */
    assert_int_equal(dc_store_suspensions_release(s, e, T0 + 2 * S, name_hazard, &n), DC_OK);
    assert_string_equal(n.text, "red/h3,red/h1"); /* h2 held by z/z; h4 no longer suspended */
    expect_state(s, "h3", DC_STATE_ACTIVATED, T0 + 2 * S); /* its state before the first */
    expect_state(s, "h1", DC_STATE_ACCEPTED, T0 + 2 * S);
    expect_state(s, "h2", DC_STATE_SUSPENDED, T0);
    expect_state(s, "h4", DC_STATE_ACCEPTED, T0);
    assert_int_equal(dc_store_commit(s), DC_OK);
}

/* ---- retention ---- */

struct due {
    int64_t keys[64], checks[64];
    dc_time_us times[64];
    size_t count;
    uint8_t digest[DC_HASH_BYTES];
};

static int keep_due(void *ctx, const dc_expired *row)
{
    struct due *d = ctx;
    if (row->kind == DC_RETAIN_AUDIT)
        assert_int_equal(row->audit->seq, row->key);
    d->keys[d->count] = row->key;
    d->checks[d->count] = row->check;
    d->times[d->count] = row->time;
    d->count++;
    return 0;
}

/* An ended object as the archive takes it: its columns, and the digest its writes recorded. */
static int keep_object(void *ctx, const dc_expired *row)
{
    struct due *d = ctx;
    assert_string_equal(row->object_kind, "hazard");
    assert_string_equal(row->state, "ended");
    assert_string_equal(row->owner, "red");
    assert_string_equal(row->body, "{\"id\":\"h\"}");
    assert_int_equal(row->created, T0);
    assert_true(row->volumes_size > 0);
    memcpy(d->digest, row->digest, DC_HASH_BYTES);
    return keep_due(ctx, row);
}

static void expire(dc_store *s, dc_time_us now, dc_time_us cutoff, size_t limit, struct due *d)
{
    memset(d, 0, sizeof *d);
    assert_int_equal(dc_store_expired(s, DC_RETAIN_AUDIT, now, cutoff, limit, keep_due, d), DC_OK);
}

/* Audit records leave in runs ending on a signed one, never the newest; their removal is a run of
 * consecutive seqs, refused (DC_STALE) once they are gone or when not consecutive. */
static void test_audit_runs_due(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    for (int i = 0; i < 50; i++)
        append(s, T0 + i * S, "", "{}", i % 10 == 9 ? f->sk : NULL);
    assert_int_equal(dc_store_commit(s), DC_OK);
    struct due d;
    expire(s, T0 + 40 * S, T0 + 30 * S, 15, &d); /* 1..30 due; 15 reaches the signed 20th */
    assert_int_equal(d.count, 20);
    assert_int_equal(d.keys[19], 20);
    assert_int_equal(d.times[0], T0);
    expire(s, T0 + 40 * S, T0 + 35 * S, 100, &d); /* 31..35 have no signed record after them */
    assert_int_equal(d.count, 30);
    expire(s, T0 + 500 * S, T0 + 500 * S, 1000, &d); /* the head (50) stays, and 41..49 with it */
    assert_int_equal(d.count, 40);
    expire(s, T0, T0, 10, &d);
    assert_int_equal(d.count, 0);

    expire(s, T0 + 40 * S, T0 + 30 * S, 15, &d);
    int64_t gap[2] = {1, 3};
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_expired_remove(s, DC_RETAIN_AUDIT, gap, d.checks, 2), DC_STALE);
    dc_store_rollback(s);
    assert_int_equal(dc_store_begin_unsynced(s), DC_OK);
    assert_int_equal(dc_store_expired_remove(s, DC_RETAIN_AUDIT, d.keys, d.checks, d.count), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_expired_remove(s, DC_RETAIN_AUDIT, d.keys, d.checks, d.count),
                     DC_STALE);
    dc_store_rollback(s);

    dc_store_stats st;
    assert_int_equal(dc_store_stats_read(s, &st), DC_OK);
    assert_int_equal(st.rows[DC_RETAIN_AUDIT], 30);
    assert_int_equal(st.oldest[DC_RETAIN_AUDIT], T0 + 20 * S);
    assert_int_equal(st.rows[DC_RETAIN_NOTICES], 0);
    assert_int_equal(st.oldest[DC_RETAIN_NOTICES], 0);
    assert_true(st.bytes[DC_RETAIN_AUDIT] > 0 && st.file_bytes > st.bytes[DC_RETAIN_AUDIT]);
    expire(s, T0 + 500 * S, T0 + 500 * S, 1000, &d);
    assert_int_equal(d.count, 20); /* 21..40 */
    assert_int_equal(d.keys[0], 21);
}

/* What an expired row hands the archive, as one text: key, time, body, and each recipient with
 * what it alone reads. */
struct rows {
    char text[2048];
    int64_t keys[16], checks[16];
    size_t count;
};

static int keep_row(void *ctx, const dc_expired *row)
{
    struct rows *r = ctx;
    size_t used = strlen(r->text);
    used +=
        (size_t)snprintf(r->text + used, sizeof r->text - used, "%s%lld@%lld:%s:%s",
                         used ? "|" : "", (long long)row->key, (long long)((row->time - T0) / S),
                         row->body ? row->body : "", row->sender ? row->sender : "");
    for (size_t k = 0; k < row->copies; k++)
        used += (size_t)snprintf(r->text + used, sizeof r->text - used, ">%s%s", row->recipients[k],
                                 row->extras != NULL && row->extras[k] ? row->extras[k] : "");
    r->keys[r->count] = row->key;
    r->checks[r->count] = row->check;
    r->count++;
    return 0;
}

static const char *due_rows(dc_store *s, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                            struct rows *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(dc_store_expired(s, kind, now, cutoff, 10, keep_row, r), DC_OK);
    return r->text;
}

static dc_status remove_rows(dc_store *s, dc_retained kind, const struct rows *r)
{
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    dc_status rc = dc_store_expired_remove(s, kind, r->keys, r->checks, r->count);
    return dc_store_finish(s, rc);
}

/* Notices and messages (never the newest; an unacknowledged message stays ten retentions),
 * alerts (each copy's own members; an episode's first alert only once it is closed) and ended
 * objects with their digest: what each hands over, and their removal, refused once stale. */
static void test_rows_due(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    int64_t id;
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(
            dc_store_inbox_add(s, DC_INBOX_NOTICES, "blue", "{\"n\":1}", T0 + i * S, &id), DC_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dc_store_message_add(s, "red", "blue", "{}", T0 + i * S, &id), DC_OK);
        if (i % 2 == 0)
            assert_int_equal(dc_store_message_acknowledge(s, id), DC_OK);
    }
    const char *to[] = {"red", "blue"};
    const char *first[] = {"{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2,\"c\":3}"};
    const char *again[] = {"{\"a\":1,\"b\":5}", "{\"a\":1,\"b\":5,\"c\":3}"};
    assert_int_equal(dc_store_alert_add(s, "k", 5 * S, to, first, 2, T0, &id), DC_OK);
    assert_int_equal(dc_store_alert_add(s, "k", 5 * S, to, again, 2, T0 + S, &id), DC_OK);
    assert_int_equal(dc_store_alert_add(s, NULL, 0, to + 1, again + 1, 1, T0 + 2 * S, &id), DC_OK);
    dc_volume v;
    dc_point c = {41.0, 36.0};
    assert_int_equal(dc_volume_init_circle(c, 1000, 0, 500, T0, T0 + HOUR, &v, NULL), DC_OK);
    dc_record o;
    memset(&o, 0, sizeof o);
    o.object.kind = DC_KIND_HAZARD;
    snprintf(o.object.owner, sizeof o.object.owner, "red");
    snprintf(o.object.id, sizeof o.object.id, "h");
    o.object.state = DC_STATE_ENDED;
    o.object.version = 3;
    o.object.volumes = &v;
    o.object.volume_count = 1;
    o.body = "{\"id\":\"h\"}";
    o.created = T0;
    o.updated = T0 + S;
    assert_int_equal(dc_store_object_put(s, &o), DC_OK);
    uint8_t digest[DC_HASH_BYTES];
    assert_int_equal(dc_store_object_digest(s, &o, digest), DC_OK);
    dc_volume_clear(&v);
    assert_int_equal(dc_store_commit(s), DC_OK);

    struct rows r;
    assert_string_equal(due_rows(s, DC_RETAIN_NOTICES, T0 + 9 * S, T0 + 2 * S, &r),
                        "1@0:{\"n\":1}:>blue|2@1:{\"n\":1}:>blue");
    assert_int_equal(remove_rows(s, DC_RETAIN_NOTICES, &r), DC_OK);
    assert_int_equal(remove_rows(s, DC_RETAIN_NOTICES, &r), DC_STALE);
    assert_string_equal(due_rows(s, DC_RETAIN_NOTICES, T0 + 9 * S, T0 + 9 * S, &r),
                        "3@2:{\"n\":1}:>blue");

    /* 5 s retention: the unacknowledged 2nd stays (until 50 s), the newest (4th) too */
    assert_string_equal(due_rows(s, DC_RETAIN_MESSAGES, T0 + 9 * S, T0 + 4 * S, &r),
                        "1@0:{}:red>blue|3@2:{}:red>blue");
    assert_true(r.checks[0] == 1 && r.checks[1] == 1);
    r.checks[1] = 0; /* as if it had been read before its acknowledgement */
    assert_int_equal(remove_rows(s, DC_RETAIN_MESSAGES, &r), DC_STALE);
    r.checks[1] = 1;
    assert_int_equal(remove_rows(s, DC_RETAIN_MESSAGES, &r), DC_OK);
    assert_string_equal(due_rows(s, DC_RETAIN_MESSAGES, T0 + 90 * S, T0 + 85 * S, &r),
                        "2@1:{}:red>blue");

    /* the episode's first alert stays while it is open (until 5 s) */
    assert_string_equal(due_rows(s, DC_RETAIN_ALERTS, T0 + 4 * S, T0 + 4 * S, &r),
                        "2@1:{\"a\":1,\"b\":5}:>red>blue{\"c\":3}|"
                        "3@2:{\"a\":1,\"b\":5,\"c\":3}:>blue");
    assert_int_equal(remove_rows(s, DC_RETAIN_ALERTS, &r), DC_OK);
    assert_string_equal(due_rows(s, DC_RETAIN_ALERTS, T0 + 9 * S, T0 + 6 * S, &r),
                        "1@0:{\"a\":1,\"b\":2}:>red>blue{\"c\":3}");
    assert_int_equal(remove_rows(s, DC_RETAIN_ALERTS, &r), DC_OK);
    assert_int_equal(remove_rows(s, DC_RETAIN_ALERTS, &r), DC_STALE);

    assert_string_equal(due_rows(s, DC_RETAIN_OBJECTS, T0 + 9 * S, T0 + S, &r), "");
    memset(&r, 0, sizeof r);
    struct due d = {.count = 0};
    assert_int_equal(
        dc_store_expired(s, DC_RETAIN_OBJECTS, T0 + 9 * S, T0 + 2 * S, 10, keep_object, &d), DC_OK);
    assert_int_equal(d.count, 1);
    assert_memory_equal(d.digest, digest, DC_HASH_BYTES);
    assert_int_equal(d.checks[0], 3);
    r.keys[0] = d.keys[0];
    r.checks[0] = 2; /* another version */
    r.count = 1;
    assert_int_equal(remove_rows(s, DC_RETAIN_OBJECTS, &r), DC_STALE);
    r.checks[0] = 3;
    assert_int_equal(remove_rows(s, DC_RETAIN_OBJECTS, &r), DC_OK);
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_object_get(s, DC_KIND_HAZARD, "red", "h", &o), DC_NOT_FOUND);
    dc_store_rollback(s);
}

static int keep_segment(void *ctx, const dc_segment *g)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%lld:%s:%lld", used ? "," : "",
             (long long)g->number, g->file, (long long)g->bytes);
    return 0;
}

/* Segments as saved (a save of the same number replaces it), the newest, every one in order. */
static void test_segments(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    dc_segment g, got;
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_segment_last(s, &got), DC_NOT_FOUND);
    dc_store_rollback(s);
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    for (int k = 1; k <= 3; k++) {
        memset(&g, 0, sizeof g);
        g.number = k;
        snprintf(g.file, sizeof g.file, "segment-%06d.ndjson.gz", k);
        g.opened = T0 + k * HOUR;
        g.updated = g.opened + S;
        g.bytes = 100 * k;
        g.lines = 10 * k;
        memset(g.digest, k, DC_HASH_BYTES);
        memset(g.prev_segment, k - 1, DC_HASH_BYTES);
        g.chain_before_seq = 7 * k;
        memset(g.chain_before_hash, 0x40 + k, DC_HASH_BYTES);
        g.chain_seq = 7 * k + 6;
        memset(g.chain_hash, 0x80 + k, DC_HASH_BYTES);
        for (int r = 0; r < DC_RETAIN_COUNT; r++)
            g.rows[r] = k * 10 + r;
        assert_int_equal(dc_store_segment_save(s, &g), DC_OK);
    }
    g.closed = 1;
    g.bytes = 999;
    assert_int_equal(dc_store_segment_save(s, &g), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_segment_last(s, &got), DC_OK);
    assert_memory_equal(&got, &g, sizeof g);
    struct names n;
    memset(&n, 0, sizeof n);
    assert_int_equal(dc_store_segments(s, keep_segment, &n), DC_OK);
    dc_store_rollback(s);
    assert_string_equal(n.text, "1:segment-000001.ndjson.gz:100,2:segment-000002.ndjson.gz:200,"
                                "3:segment-000003.ndjson.gz:999");
}

/* Growth from the newest sample back to the newest one at least `over` before it (the oldest in
 * a younger store); samples older than a day go. */
static void test_size_samples(void **state)
{
    struct fixture *f = *state;
    dc_store *s = f->t.store;
    double live = -1, total = -1;
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_size_growth(s, T0, 60 * S, &live, &total), DC_OK);
    dc_store_rollback(s);
    assert_true(live == 0 && total == 0);
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_size_sample(s, T0, 1000, 0), DC_OK);
    assert_int_equal(dc_store_size_sample(s, T0 + 60 * S, 1600, 100), DC_OK);
    assert_int_equal(dc_store_size_sample(s, T0 + 120 * S, 1900, 100), DC_OK);
    assert_int_equal(dc_store_size_sample(s, T0 + 120 * S, 2200, 100), DC_OK); /* replaces */
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_size_growth(s, T0 + 120 * S, 60 * S, &live, &total), DC_OK);
    assert_true(live == 10.0 && total == 10.0);
    assert_int_equal(dc_store_size_growth(s, T0 + 120 * S, 1000 * S, &live, &total), DC_OK);
    assert_true(live == 10.0 && total == 1300.0 / 120.0);
    assert_int_equal(dc_store_size_growth(s, T0 + 60 * S, 30 * S, &live, &total), DC_OK);
    assert_true(live == 10.0 && total == 700.0 / 60.0);
    dc_store_rollback(s);
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    assert_int_equal(dc_store_size_sample(s, T0 + 25 * HOUR, 5000, 0), DC_OK);
    assert_int_equal(dc_store_commit(s), DC_OK);
    assert_int_equal(dc_store_begin(s, 0), DC_OK);
    assert_int_equal(dc_store_size_growth(s, T0 + 25 * HOUR, 60 * S, &live, &total), DC_OK);
    dc_store_rollback(s);
    assert_true(live == 0 && total == 0); /* one sample left */
    int64_t freed = -1;
    assert_int_equal(dc_store_reclaim(s, 100, &freed), DC_OK);
    assert_true(freed >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_same_as_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_by_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emergencies_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suspensions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_gives_back_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_runs_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_samples, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
