/* test_store_inbox.c - what the store tells parties, on either backend (temp_store.h): alerts
 * stored once per episode read back byte for byte, episodes closing and pruned, each recipient's
 * own members; pages without a limit; parties and probed sites in byte order; a commit that
 * stored what streams wait for wakes another instance's watch (PostgreSQL) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../support/temp_store.h"

#include "deconflict/party.h"
#include "deconflict/store.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S INT64_C(1000000)
#define T0 (INT64_C(1764547200) * S) /* 2025-12-01T00:00:00Z */
#define EPISODE (600 * S)
#define KEY "zone|warning|red|r1|blue|box"

struct fixture {
    temp_store t;
};

static int setup(void **state)
{
    return temp_store_fixture_open(state, sizeof(struct fixture), "store-inbox");
}

static int teardown(void **state)
{
    return temp_store_fixture_remove(state);
}

/* One number the backend's own SQL answers about its tables (the same SQL on both): how the rows
 * are stored, which the interface does not show. -1 when the query fails. */
static int64_t scalar(const temp_store *t, const char *sql)
{
    int64_t value = -1;
    if (t->pg_name[0] != '\0') {
        PGconn *c = PQconnectdb(t->db);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            value = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return value;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
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
    assert_true(r->count < 64);
    r->ids[r->count] = id;
    r->texts[r->count] = strdup(body);
    r->count++;
    return 0;
}

static void forget(struct read_back *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->texts[i]);
    memset(r, 0, sizeof *r);
}

static void read_inbox(dc_store *store, dc_inbox box, const char *party, size_t limit,
                       struct read_back *out)
{
    memset(out, 0, sizeof *out);
    assert_int_equal(dc_store_begin(store, 0), DC_OK);
    assert_int_equal(dc_store_inbox(store, box, party, 0, limit, keep, out), DC_OK);
    dc_store_rollback(store);
}

/* A zone alert as codec.c writes it (jansson, 12 significant digits): repetition `i` moves on,
 * and the aircraft's owner also reads the predicted entry. */
static void zone_alert(int i, char *owner, char *zone, size_t size)
{
    char t[32];
    snprintf(t, sizeof t, "2025-12-01T00:%02d:%02dZ", i / 2, (i % 2) * 30);
    json_t *j =
        json_pack("{s:s,s:s,s:i,s:s,s:f,s:{s:s,s:s,s:{s:f,s:f},s:f},s:{s:s,s:s}}", "kind", "zone",
                  "level", "warning", "repetition", i, "time", t, "time_to_event_s", 55.0 - i,
                  "track", "party", "red", "aircraft", "r1", "position", "lat", 36.1, "lng",
                  37.0 + 0.0123 * i, "altitude_m", 5000.0, "zone", "owner", "blue", "id", "box");
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    snprintf(zone, size, "%s", text);
    free(text);
    json_object_set_new(j, "entry", json_pack("{s:f,s:f}", "lat", 36.1, "lng", 37.33));
    text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    snprintf(owner, size, "%s", text);
    free(text);
    json_decref(j);
}

static dc_status add_zone_alert(dc_store *s, int i, dc_time_us at, char owner[512], char zone[512],
                                int64_t *id)
{
    const char *who[2] = {"red", "blue"};
    zone_alert(i, owner, zone, 512);
    const char *texts[2] = {owner, zone};
    assert_int_equal(dc_store_begin(s, 1), DC_OK);
    dc_status rc = dc_store_alert_add(s, KEY, EPISODE, who, texts, 2, at, id);
    assert_int_equal(dc_store_finish(s, rc), rc);
    return rc;
}

/* Repetitions within the episode are stored as what changed, yet each recipient reads exactly
 * what it was sent, under one id for all. */
static void test_episode_read_back(void **state)
{
    struct fixture *f = *state;
    char owner[12][512], zone[12][512];
    int64_t ids[12];
    for (int i = 0; i < 12; i++) {
        assert_int_equal(add_zone_alert(f->t.store, i, T0 + i * 30 * S, owner[i], zone[i], &ids[i]),
                         DC_OK);
        assert_true(i == 0 || ids[i] > ids[i - 1]);
    }
    struct read_back red, blue;
    read_inbox(f->t.store, DC_INBOX_ALERTS, "red", 64, &red);
    read_inbox(f->t.store, DC_INBOX_ALERTS, "blue", 64, &blue);
    assert_int_equal(red.count, 12);
    assert_int_equal(blue.count, 12);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(red.ids[i], ids[i]);
        assert_int_equal(blue.ids[i], ids[i]);
        assert_string_equal(red.texts[i], owner[i]);
        assert_string_equal(blue.texts[i], zone[i]);
    }
    forget(&red);
    forget(&blue);
    /* one base in full, the rest patches far smaller than a text; one copy a recipient */
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_log WHERE episode = 0"), 1);
    assert_int_equal(
        scalar(&f->t,
               "SELECT count(*) FROM alert_log WHERE episode = (SELECT min(id) FROM alert_log)"),
        11);
    assert_true(scalar(&f->t, "SELECT max(length(body)) FROM alert_log WHERE episode <> 0") <
                (int64_t)strlen(zone[11]) / 2);
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_inbox"), 24);
    /* after the last, a page from it is empty; a page of one is the first */
    int64_t last = 0;
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_inbox_last(f->t.store, DC_INBOX_ALERTS, "red", &last), DC_OK);
    assert_int_equal(last, ids[11]);
    assert_int_equal(dc_store_inbox(f->t.store, DC_INBOX_ALERTS, "red", last, 10, keep, &red),
                     DC_OK);
    assert_int_equal(red.count, 0);
    assert_int_equal(dc_store_inbox(f->t.store, DC_INBOX_ALERTS, "red", 0, 1, keep, &red), DC_OK);
    assert_int_equal(red.count, 1);
    assert_int_equal(red.ids[0], ids[0]);
    dc_store_rollback(f->t.store);
    forget(&red);
}

/* An episode is a base until `until` inclusive; after it an alert of the same key begins anew,
 * and pruning forgets only episodes closed before the time given. */
static void test_episode_closes(void **state)
{
    struct fixture *f = *state;
    char owner[4][512], zone[4][512];
    int64_t ids[4];
    assert_int_equal(add_zone_alert(f->t.store, 0, T0, owner[0], zone[0], &ids[0]), DC_OK);
    assert_int_equal(add_zone_alert(f->t.store, 1, T0 + EPISODE, owner[1], zone[1], &ids[1]),
                     DC_OK);
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_log WHERE episode = 0"), 1);
    assert_int_equal(add_zone_alert(f->t.store, 2, T0 + EPISODE + 1, owner[2], zone[2], &ids[2]),
                     DC_OK);
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_log WHERE episode = 0"), 2);
    /* the new episode's base is the third alert: the fourth is stored against it */
    assert_int_equal(add_zone_alert(f->t.store, 3, T0 + EPISODE + 2, owner[3], zone[3], &ids[3]),
                     DC_OK);
    assert_int_equal(scalar(&f->t, "SELECT max(episode) FROM alert_log"), ids[2]);
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_episodes"), 1);
    dc_time_us until = T0 + EPISODE + 1 + EPISODE;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_alert_episodes_prune(f->t.store, until), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_episodes"), 1);
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_alert_episodes_prune(f->t.store, until + 1), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_int_equal(scalar(&f->t, "SELECT count(*) FROM alert_episodes"), 0);
    struct read_back blue;
    read_inbox(f->t.store, DC_INBOX_ALERTS, "blue", 64, &blue);
    assert_int_equal(blue.count, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(blue.texts[i], zone[i]);
    forget(&blue);
}

/* Eight recipients, each with a member of its own; a text not an object refuses the alert; a
 * recipient named twice fails the store (both backends' primary key), and nothing is kept. */
/* A write the store refuses (DC_STORE), in the write transaction open: at once, or, sent later
 * (store.h), at the commit, which then commits nothing. Ends the transaction. */
static void refused_now_or_at_commit(dc_store *store, dc_status rc)
{
    if (rc == DC_OK) {
        assert_int_equal(dc_store_commit(store), DC_STORE);
    } else {
        assert_int_equal(rc, DC_STORE);
        dc_store_rollback(store);
    }
}

static void test_recipients(void **state)
{
    struct fixture *f = *state;
    const char *to[8] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"};
    char own[8][64];
    const char *texts[8];
    for (int k = 0; k < 8; k++) {
        snprintf(own[k], sizeof own[k], "{\"kind\":\"conflict\",\"mine\":%d}", k);
        texts[k] = own[k];
    }
    int64_t id = -1;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_alert_add(f->t.store, NULL, 0, to, texts, 8, T0, &id), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_true(id > 0);
    struct read_back r;
    for (int k = 0; k < 8; k++) {
        read_inbox(f->t.store, DC_INBOX_ALERTS, to[k], 64, &r);
        assert_int_equal(r.count, 1);
        assert_int_equal(r.ids[0], id);
        assert_string_equal(r.texts[0], own[k]);
        forget(&r);
    }
    const char *bad[2] = {"{}", "[1]"};
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_alert_add(f->t.store, NULL, 0, to, bad, 2, T0, &id), DC_INVALID);
    assert_int_equal(id, 0);
    dc_store_rollback(f->t.store);
    /* a write a store sends later (store.h) fails then: at the latest, the commit */
    const char *twice[2] = {"p0", "p0"};
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    refused_now_or_at_commit(f->t.store,
                             dc_store_alert_add(f->t.store, NULL, 0, twice, texts, 2, T0, &id));
    read_inbox(f->t.store, DC_INBOX_ALERTS, "p0", 64, &r);
    assert_int_equal(r.count, 1);
    forget(&r);
    /* a one-recipient alert through inbox_add reads back as stored */
    int64_t one = 0;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(
        dc_store_inbox_add(f->t.store, DC_INBOX_ALERTS, "p1", "{\"kind\":\"probing\"}", T0, &one),
        DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_true(one > id);
    read_inbox(f->t.store, DC_INBOX_ALERTS, "p1", 64, &r);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.texts[1], "{\"kind\":\"probing\"}");
    forget(&r);
}

static int count_message(void *ctx, const dc_message *m)
{
    (void)m;
    (*(size_t *)ctx)++;
    return 0;
}

/* A limit beyond any count, SIZE_MAX included, is no limit. */
static void test_unlimited_pages(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    for (int i = 0; i < 5; i++) {
        int64_t id;
        assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_NOTICES, "a", "{}", T0, &id),
                         DC_OK);
        assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_ALERTS, "a", "{}", T0, &id),
                         DC_OK);
        assert_int_equal(dc_store_message_add(f->t.store, "a", "b", "{}", T0, &id), DC_OK);
    }
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    struct read_back r;
    read_inbox(f->t.store, DC_INBOX_NOTICES, "a", SIZE_MAX, &r);
    assert_int_equal(r.count, 5);
    forget(&r);
    read_inbox(f->t.store, DC_INBOX_ALERTS, "a", SIZE_MAX, &r);
    assert_int_equal(r.count, 5);
    forget(&r);
    size_t n = 0;
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_messages_page(f->t.store, "b", 0, SIZE_MAX, count_message, &n),
                     DC_OK);
    dc_store_rollback(f->t.store);
    assert_int_equal(n, 5);
}

struct names {
    char text[128];
    int stop_after;
    int seen;
};

static int keep_party(void *ctx, const dc_party *p)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%s", used ? "," : "", p->name);
    return ++n->seen == n->stop_after;
}

static int keep_site(void *ctx, const char *site)
{
    struct names *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s%s", used ? "," : "", site);
    return ++n->seen == n->stop_after;
}

/* Parties and probed sites come by name byte for byte (digits, upper case, lower case), whatever
 * the database's collation; a walk stopped by its callback says so (parties) or just ends. */
static void test_byte_order(void **state)
{
    struct fixture *f = *state;
    const char *names[4] = {"b", "a", "B", "9z"};
    char key[DC_KEY_TEXT_MAX];
    uint8_t hash[DC_HASH_BYTES];
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    for (int i = 0; i < 4; i++) {
        dc_party_key_new(key);
        dc_party_key_hash(key, hash);
        assert_int_equal(dc_store_party_add(f->t.store, names[i], hash, T0), DC_OK);
        for (int k = 0; k < 3; k++) {
            char site[32];
            int64_t n = 0;
            snprintf(site, sizeof site, "site/o/%s", names[i]);
            assert_int_equal(dc_store_site_refusal_add(f->t.store, "p", site, T0, T0, &n), DC_OK);
        }
    }
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    struct names seen = {0};
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_parties(f->t.store, keep_party, &seen), DC_OK);
    assert_string_equal(seen.text, "9z,B,a,b");
    memset(&seen, 0, sizeof seen);
    seen.stop_after = 2;
    assert_int_equal(dc_store_parties(f->t.store, keep_party, &seen), DC_CONFLICT);
    assert_string_equal(seen.text, "9z,B");
    memset(&seen, 0, sizeof seen);
    assert_int_equal(dc_store_probed_sites(f->t.store, "p", T0, 2, keep_site, &seen), DC_OK);
    assert_string_equal(seen.text, "site/o/9z,site/o/B,site/o/a,site/o/b");
    memset(&seen, 0, sizeof seen);
    seen.stop_after = 1;
    assert_int_equal(dc_store_probed_sites(f->t.store, "p", T0, 2, keep_site, &seen), DC_OK);
    assert_string_equal(seen.text, "site/o/9z");
    dc_store_rollback(f->t.store);
}

/* What a party's row keeps: rates cleared to the default read 0, the emergency grant, a key hash
 * another party holds refused by the store. */
static void test_party_row(void **state)
{
    struct fixture *f = *state;
    char key[DC_KEY_TEXT_MAX];
    uint8_t hash[DC_HASH_BYTES];
    dc_party_key_new(key);
    dc_party_key_hash(key, hash);
    dc_rate limits[DC_RATE_CLASSES] = {{2.5, 10}, {0, 3}, {0.125, 0}};
    dc_party p;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_party_add(f->t.store, "a", hash, T0), DC_OK);
    assert_int_equal(dc_store_party_set_limits(f->t.store, "a", limits), DC_OK);
    assert_int_equal(dc_store_party_set_emergency(f->t.store, "a", 12.75, 3600), DC_OK);
    assert_int_equal(dc_store_party_set_emergency(f->t.store, "nobody", 1, 1), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_set_limits(f->t.store, "nobody", limits), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_get(f->t.store, "a", &p), DC_OK);
    assert_true(p.limits[0].per_s == 2.5 && p.limits[0].burst == 10);
    assert_true(p.limits[1].per_s == 0 && p.limits[1].burst == 3);
    assert_true(p.limits[2].per_s == 0.125 && p.limits[2].burst == 0);
    assert_true(p.emergency_area_km2 == 12.75);
    assert_int_equal(p.emergency_validity_s, 3600);
    assert_int_equal(p.created, T0);
    assert_string_equal(p.notation, "dd");
    assert_int_equal(p.priority_ceiling, DC_PRIORITY_CEILING_DEFAULT);
    assert_true(p.key_active);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    refused_now_or_at_commit(f->t.store, dc_store_party_add(f->t.store, "b", hash, T0));
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_party_exists(f->t.store, "b"), DC_NOT_FOUND);
    assert_int_equal(dc_store_party_by_key(f->t.store, hash, &p), DC_OK);
    assert_string_equal(p.name, "a");
    dc_store_rollback(f->t.store);
}

/* ---- another instance's watch ---- */

struct woken {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char seen[128];
};

static void on_event(void *ctx, const char *what)
{
    struct woken *w = ctx;
    pthread_mutex_lock(&w->lock);
    size_t used = strlen(w->seen);
    snprintf(w->seen + used, sizeof w->seen - used, "%s%s", used ? "," : "", what);
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

/* Wait (5 s at most) until `what` was seen; whether it was. */
static int wait_for(struct woken *w, const char *what)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&w->lock);
    while (strstr(w->seen, what) == NULL &&
           pthread_cond_timedwait(&w->changed, &w->lock, &until) == 0)
        ;
    int seen = strstr(w->seen, what) != NULL;
    pthread_mutex_unlock(&w->lock);
    return seen;
}

/* A notice, a message, an alert committed through one store wake a watch on another over the
 * same database, on its channel; an alert rolled back wakes nobody. SQLite: one process is all,
 * nothing to watch. */
static void test_commits_wake_watchers(void **state)
{
    struct fixture *f = *state;
    dc_store *other = NULL;
    dc_error err;
    assert_int_equal(dc_store_open(f->t.db, &other, &err), DC_OK);
    struct woken w = {.seen = ""};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.changed, NULL);
    dc_status rc = dc_store_watch(other, on_event, &w);
    if (rc == DC_UNSUPPORTED) {
        assert_string_equal(dc_store_backend(other), "sqlite");
        dc_store_close(other);
        skip();
    }
    assert_int_equal(rc, DC_OK);
    int64_t id;
    /* the watch listens from a thread of its own, some time after it returns: notices until one
     * is seen */
    int listening = 0;
    for (int i = 0; i < 50 && !listening; i++) {
        assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
        assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_NOTICES, "a", "{}", T0, &id),
                         DC_OK);
        assert_int_equal(dc_store_commit(f->t.store), DC_OK);
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        pthread_mutex_lock(&w.lock);
        listening = strstr(w.seen, "dc_notices") != NULL;
        pthread_mutex_unlock(&w.lock);
    }
    assert_true(listening);
    const char *to = "a", *text = "{}";
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_alert_add(f->t.store, NULL, 0, &to, &text, 1, T0, &id), DC_OK);
    dc_store_rollback(f->t.store);
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_message_add(f->t.store, "a", "b", "{}", T0, &id), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_true(wait_for(&w, "dc_messages"));
    pthread_mutex_lock(&w.lock);
    assert_null(strstr(w.seen, "dc_alerts"));
    pthread_mutex_unlock(&w.lock);
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_ALERTS, "a", "{}", T0, &id), DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    assert_true(wait_for(&w, "dc_alerts"));
    dc_store_close(other);
    pthread_cond_destroy(&w.changed);
    pthread_mutex_destroy(&w.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_episode_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_episode_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlimited_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_party_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commits_wake_watchers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
