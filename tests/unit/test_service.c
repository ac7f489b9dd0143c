/* test_service.c - each use case of the service layer over a temporary SQLite store, no HTTP:
 * DESIGN.md rules 1-6 as the service decides them (who is refused, who is told what, what is
 * audited), grants, the direct line, position reports raising an alert and the conformance change
 * they record as a typed update, an emergency declared and ended */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../support/temp_store.h"

#include "deconflict/party_admin.h"
#include "deconflict/service.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S INT64_C(1000000)
#define HERE ((dc_point){41.0, 29.0})

struct fixture {
    temp_store t;
    dc_service svc;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "service") != 0)
        return -1;
    dc_error err;
    if (dc_service_init(&f->svc, f->t.store, &err) != DC_OK)
        return -1;
    dc_monitor_config config = dc_monitor_config_default();
    if (dc_monitor_new(&config, &f->svc.monitor) != DC_OK)
        return -1;
    /* the parties: ceilings 1..10; "red" may declare emergencies */
    static const char *const names[] = {"red", "blue", "green"};
    for (int i = 0; i < 3; i++) {
        dc_party_admin_result r;
        if (dc_party_admin_create(f->t.store, f->svc.secret_key, "operator", names[i], "dd", 10, &r,
                                  &err) != DC_OK)
            return -1;
    }
    dc_party_admin_result r;
    if (dc_party_admin_set_emergency(f->t.store, f->svc.secret_key, "operator", "red", 1000.0, 3600,
                                     &r, &err) != DC_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dc_monitor_free(f->svc.monitor);
    dc_service_destroy(&f->svc);
    temp_store_remove(&f->t);
    free(f);
    return 0;
}

/* One object to submit: a disc of `radius_m` at `at`, 0..3000 m, from a minute ago for an hour. */
struct sub {
    dc_volume volume;
    dc_submission s;
    json_t *declared;
    char (*keys)[40];
};

static void sub_init(struct sub *x, dc_object_kind kind, const char *owner, const char *id,
                     int priority, dc_point at, double radius_m)
{
    memset(x, 0, sizeof *x);
    dc_time_us now = dc_service_now();
    dc_error err;
    assert_int_equal(dc_volume_init_circle(at, radius_m, 0, 3000, now - 60 * S, now + 3600 * S,
                                           &x->volume, &err),
                     DC_OK);
    dc_object *o = &x->s.object;
    dc_copy_text(o->id, sizeof o->id, id);
    dc_copy_text(o->owner, sizeof o->owner, owner);
    o->kind = kind;
    o->priority = priority;
    o->state = DC_STATE_ACCEPTED;
    o->volume_count = 1;
    o->volumes = &x->volume;
    x->declared = json_pack("{s:s,s:s,s:s,s:i}", "id", id, "kind", dc_kind_name(kind), "owner",
                            owner, "priority", priority);
}

static void sub_accept(struct sub *x, const char *key)
{
    x->keys = calloc(1, sizeof *x->keys);
    dc_copy_text(x->keys[0], 40, key);
    x->s.accept_keys = x->keys;
    x->s.accept_count = 1;
}

static void sub_clear(struct sub *x)
{
    dc_volume_clear(&x->volume);
    json_decref(x->declared);
    free(x->keys);
}

/* Submit as a front end would; the outcome's status, *out kept for the caller (cleared by it). */
static dc_status submit(struct fixture *f, struct sub *x, dc_submit_outcome *out)
{
    dc_geom *geom = NULL;
    assert_int_equal(dc_geom_new(&geom), DC_OK);
    dc_submit_request rq = {&x->s, x->declared, NULL, NULL, 0};
    dc_error err;
    dc_status rc = dc_service_submit(&f->svc, geom, &rq, out, &err);
    dc_geom_free(geom);
    return rc;
}

static dc_status submit_simple(struct fixture *f, dc_object_kind kind, const char *owner,
                               const char *id, int priority, dc_point at, double radius_m)
{
    struct sub x;
    sub_init(&x, kind, owner, id, priority, at, radius_m);
    dc_submit_outcome out;
    dc_status rc = submit(f, &x, &out);
    dc_submit_outcome_clear(&out);
    sub_clear(&x);
    return rc;
}

static int count_item(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    (void)id;
    (void)created;
    json_t *items = ctx;
    json_array_append_new(items, json_loads(body, 0, NULL));
    return 0;
}

/* What `party` was told in `box`, oldest first (owned). */
static json_t *inbox_of(struct fixture *f, dc_inbox box, const char *party)
{
    json_t *items = json_array();
    dc_error err;
    assert_int_equal(dc_service_inbox(&f->svc, box, party, 0, 1000, count_item, items, &err),
                     DC_OK);
    return items;
}

static dc_status read_as(struct fixture *f, dc_object_kind kind, const char *reader, const char *id,
                         dc_record *out)
{
    dc_error err;
    dc_record r;
    dc_status rc = dc_service_read(&f->svc, kind, reader, id, &r, &err);
    if (rc == DC_OK && out != NULL)
        *out = r;
    else if (rc == DC_OK)
        dc_record_clear(&r);
    return rc;
}

/* ---- rule 1: deconfliction on submit ---- */

static void test_lower_priority_accepted_other_told(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "blue", "b1", 2, HERE, 2000), DC_OK);
    json_t *before = inbox_of(f, DC_INBOX_NOTICES, "blue");
    struct sub x;
    sub_init(&x, DC_KIND_INTENT, "red", "r1", 5, HERE, 1000);
    dc_submit_outcome out;
    assert_int_equal(submit(f, &x, &out), DC_OK);
    assert_true(out.accepted);
    assert_int_equal(out.version, 1);
    assert_true(json_array_size(out.notices) >= 1); /* the submitter hears of the conflict */
    assert_non_null(strstr(out.body, "\"version\":1"));
    dc_submit_outcome_clear(&out);
    sub_clear(&x);
    json_t *after = inbox_of(f, DC_INBOX_NOTICES, "blue");
    /* the lower-priority object's owner is told to replan */
    assert_int_equal(json_array_size(after), json_array_size(before) + 1);
    json_decref(before);
    json_decref(after);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "r1", NULL), DC_OK);
}

static void test_higher_priority_refuses_and_changes_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "blue", "blue-plan", 8, HERE, 2000), DC_OK);
    json_t *before = inbox_of(f, DC_INBOX_NOTICES, "blue");
    struct sub x;
    sub_init(&x, DC_KIND_INTENT, "red", "r1", 3, HERE, 1000);
    dc_submit_outcome out;
    assert_int_equal(submit(f, &x, &out), DC_CONFLICT);
    assert_false(out.accepted);
    assert_true(json_array_size(out.notices) >= 1);
    /* a notice names the conflict by an opaque key, never the other object's id (one no hex
     * key can spell: the key is a MAC, in which any two hex digits may appear) */
    char *text = json_dumps(out.notices, 0);
    assert_null(strstr(text, "blue-plan"));
    free(text);
    dc_submit_outcome_clear(&out);
    sub_clear(&x);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "r1", NULL), DC_NOT_FOUND);
    json_t *after = inbox_of(f, DC_INBOX_NOTICES, "blue");
    /* a refused submission tells the other side nothing */
    assert_int_equal(json_array_size(after), json_array_size(before));
    json_decref(before);
    json_decref(after);
}

static void test_equal_priority_needs_the_shown_key(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "blue", "b1", 5, HERE, 2000), DC_OK);
    struct sub x;
    sub_init(&x, DC_KIND_INTENT, "red", "r1", 5, HERE, 1000);
    dc_submit_outcome out;
    assert_int_equal(submit(f, &x, &out), DC_CONFLICT);
    const char *key = NULL;
    for (size_t i = 0; key == NULL && i < json_array_size(out.notices); i++)
        key = json_string_value(json_object_get(json_array_get(out.notices, i), "conflict_key"));
    assert_non_null(key);
    char shown[40];
    dc_copy_text(shown, sizeof shown, key);
    dc_submit_outcome_clear(&out);
    /* a key not shown accepts nothing */
    sub_accept(&x, "00000000000000000000000000000000");
    assert_int_equal(submit(f, &x, &out), DC_CONFLICT);
    dc_submit_outcome_clear(&out);
    free(x.keys);
    sub_accept(&x, shown);
    assert_int_equal(submit(f, &x, &out), DC_OK);
    dc_submit_outcome_clear(&out);
    sub_clear(&x);
}

static void test_version_and_withdraw(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r1", 5, HERE, 1000), DC_OK);
    /* a rewrite must name the version it replaces */
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r1", 5, HERE, 900), DC_STALE);
    dc_audit_record receipt;
    dc_error err;
    /* another party's object is not its to withdraw, nor to learn of */
    dc_status rc =
        dc_service_withdraw(&f->svc, DC_KIND_INTENT, "blue", "r1", NULL, NULL, &receipt, &err);
    assert_true(rc == DC_NOT_FOUND || rc == DC_FORBIDDEN);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "r1", NULL), DC_OK);
    assert_int_equal(
        dc_service_withdraw(&f->svc, DC_KIND_INTENT, "red", "r1", NULL, NULL, &receipt, &err),
        DC_OK);
    assert_true(receipt.seq > 0);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "r1", NULL), DC_NOT_FOUND);
}

static void test_zone_refuses_whatever_the_priority(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_ZONE, "blue", "z1", 1, HERE, 5000), DC_OK);
    /* not admitted: refused at the highest priority there is */
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r1", 10, HERE, 500), DC_CONFLICT);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "r1", NULL), DC_NOT_FOUND);
    /* outside it: accepted */
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r2", 10, (dc_point){50.0, 10.0}, 500),
                     DC_OK);
}

/* ---- rule 2: hazards vs sites ---- */

static void test_hazard_over_site_refused_site_owner_told(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_SITE, "blue", "blue-camp", 1, HERE, 500), DC_OK);
    json_t *before = inbox_of(f, DC_INBOX_ALERTS, "blue"),
           *nb = inbox_of(f, DC_INBOX_NOTICES, "blue");
    struct sub x;
    sub_init(&x, DC_KIND_HAZARD, "red", "h1", 5, HERE, 3000);
    dc_copy_text(x.s.hazard_kind, sizeof x.s.hazard_kind, "artillery");
    dc_submit_outcome out;
    assert_int_equal(submit(f, &x, &out), DC_CONFLICT);
    /* the hazard's owner learns that a site of blue lies inside, not where */
    char *text = json_dumps(out.notices, 0);
    assert_non_null(strstr(text, "blue"));
    assert_null(strstr(text, "blue-camp"));
    free(text);
    dc_submit_outcome_clear(&out);
    sub_clear(&x);
    assert_int_equal(read_as(f, DC_KIND_HAZARD, "red", "h1", NULL), DC_NOT_FOUND);
    json_t *after = inbox_of(f, DC_INBOX_ALERTS, "blue"),
           *na = inbox_of(f, DC_INBOX_NOTICES, "blue");
    /* the site's owner is told of the hazard (it must move) */
    assert_true(json_array_size(after) + json_array_size(na) >
                json_array_size(before) + json_array_size(nb));
    json_decref(before);
    json_decref(after);
    json_decref(nb);
    json_decref(na);
}

/* ---- rule 3: need to know, grants ---- */

static int audit_has(struct fixture *f, const char *viewer, const char *object, const char *actor,
                     const char *action)
{
    dc_audit_page page;
    dc_error err;
    assert_int_equal(dc_service_audit_of(&f->svc, viewer, 0, object, 0, 1000, &page, &err), DC_OK);
    int found = 0;
    for (size_t i = 0; i < json_array_size(page.items); i++) {
        json_t *r = json_array_get(page.items, i);
        found |= strcmp(json_string_value(json_object_get(r, "actor")), actor) == 0 &&
                 strcmp(json_string_value(json_object_get(r, "action")), action) == 0;
    }
    json_decref(page.items);
    return found;
}

static void test_read_through_grant_audited(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "blue", "b1", 5, HERE, 1000), DC_OK);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "b1", NULL), DC_NOT_FOUND);
    dc_audit_record receipt;
    dc_error err;
    assert_int_equal(dc_service_grant(&f->svc, "blue", "red", DC_KIND_INTENT, &receipt, &err),
                     DC_OK);
    assert_true(receipt.seq > 0);
    /* twice is refused, and to oneself, and to nobody */
    assert_int_equal(dc_service_grant(&f->svc, "blue", "red", DC_KIND_INTENT, &receipt, &err),
                     DC_CONFLICT);
    assert_int_equal(dc_service_grant(&f->svc, "blue", "blue", DC_KIND_INTENT, &receipt, &err),
                     DC_INVALID);
    assert_string_equal(err.field, "/grantee");
    assert_int_equal(dc_service_grant(&f->svc, "blue", "nobody", DC_KIND_INTENT, &receipt, &err),
                     DC_NOT_FOUND);
    dc_record r;
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "b1", &r), DC_OK);
    assert_string_equal(r.object.owner, "blue");
    dc_record_clear(&r);
    /* blue, the owner, sees who read it */
    assert_true(audit_has(f, "blue", "intent/blue/b1", "red", "read"));
    /* green, neither owner nor reader, sees none of it */
    assert_false(audit_has(f, "green", "intent/blue/b1", "red", "read"));
    assert_int_equal(dc_service_revoke(&f->svc, "blue", "red", DC_KIND_INTENT, &receipt, &err),
                     DC_OK);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "b1", NULL), DC_NOT_FOUND);
    assert_int_equal(dc_service_revoke(&f->svc, "blue", "red", DC_KIND_INTENT, &receipt, &err),
                     DC_NOT_FOUND);
    assert_string_equal(err.field, "/grantee");
}

static void test_list_shows_only_what_may_be_read(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "blue", "b1", 5, HERE, 1000), DC_OK);
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r1", 5, (dc_point){50.0, 10.0}, 1000),
                     DC_OK);
    dc_record_list list = {0};
    int more = 0;
    dc_error err;
    assert_int_equal(
        dc_service_list(&f->svc, DC_KIND_INTENT, "red", NULL, 0, 100, &list, &more, &err), DC_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].object.id, "r1");
    dc_record_list_clear(&list);
}

static void test_set_notation(void **state)
{
    struct fixture *f = *state;
    dc_error err;
    assert_int_equal(dc_service_set_notation(&f->svc, "red", "mgrs", &err), DC_OK);
    dc_party p;
    assert_int_equal(dc_service_party_get(&f->svc, "red", &p, &err), DC_OK);
    assert_string_equal(p.notation, "mgrs");
    assert_int_equal(dc_service_set_notation(&f->svc, "red", "wgs", &err), DC_INVALID);
    assert_string_equal(err.field, "/notation");
    assert_int_equal(dc_service_party_get(&f->svc, "red", &p, &err), DC_OK);
    assert_string_equal(p.notation, "mgrs");
    assert_int_equal(dc_service_party_get(&f->svc, "nobody", &p, &err), DC_NOT_FOUND);
}

/* ---- rule 4: coordinates read back; the direct line ---- */

static void test_message_send_read_acknowledge(void **state)
{
    struct fixture *f = *state;
    dc_message_sent sent;
    dc_error err;
    const char *ambiguous[] = {"95.5 10.0"};
    dc_status rc =
        dc_service_message_send(&f->svc, "red", "blue", "hold", ambiguous, 1, &sent, &err);
    assert_int_equal(rc, err.status);
    assert_true(err.status == DC_AMBIGUOUS || err.status == DC_INVALID || err.status == DC_RANGE);
    assert_string_equal(err.field, "/coordinates/0");
    assert_int_equal(dc_service_message_send(&f->svc, "red", "red", "x", ambiguous, 1, &sent, &err),
                     DC_INVALID);
    assert_string_equal(err.field, "/to");
    const char *coords[] = {"41.0 N 29.0 E", NULL};
    assert_int_equal(dc_service_message_send(&f->svc, "red", "blue", "x", coords, 2, &sent, &err),
                     DC_INVALID);
    assert_string_equal(err.field, "/coordinates/1");
    assert_int_equal(dc_service_message_send(&f->svc, "red", "nobody", "x", coords, 1, &sent, &err),
                     DC_NOT_FOUND);
    assert_int_equal(
        dc_service_message_send(&f->svc, "red", "blue", "hold fire", coords, 1, &sent, &err),
        DC_OK);
    /* the sender reads its coordinate back in its notation, in degrees and in MGRS */
    json_t *rb = json_array_get(sent.readbacks, 0);
    assert_non_null(json_string_value(json_object_get(rb, "mgrs")));
    assert_non_null(json_string_value(json_object_get(rb, "dd")));
    int64_t id = sent.id;
    json_decref(sent.readbacks);
    dc_message_page page;
    assert_int_equal(dc_service_messages(&f->svc, "blue", "dd", 0, 10, &page, &err), DC_OK);
    assert_int_equal(json_array_size(page.items), 1);
    json_decref(page.items);
    assert_true(audit_has(f, "blue", "message/1", "blue", "message.read"));
    dc_audit_record receipt;
    char wrong[65];
    memset(wrong, 'a', 64);
    wrong[64] = '\0';
    assert_int_equal(
        dc_service_message_acknowledge(&f->svc, "blue", "dd", id, wrong, &receipt, &err),
        DC_CONFLICT);
    /* only its recipient confirms it */
    assert_int_equal(
        dc_service_message_acknowledge(&f->svc, "green", "dd", id, wrong, &receipt, &err),
        DC_NOT_FOUND);
    dc_message m;
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_message_get(f->t.store, id, &m), DC_OK);
    dc_store_rollback(f->t.store);
    char digest[65];
    json_decref(dc_service_message_view(&m, "dd", digest));
    dc_free(m.body);
    json_t *before = inbox_of(f, DC_INBOX_NOTICES, "red");
    assert_int_equal(
        dc_service_message_acknowledge(&f->svc, "blue", "dd", id, digest, &receipt, &err), DC_OK);
    json_t *after = inbox_of(f, DC_INBOX_NOTICES, "red");
    assert_int_equal(json_array_size(after), json_array_size(before) + 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(after, json_array_size(after) - 1), "action")),
                        "message_acknowledged");
    json_decref(before);
    json_decref(after);
}

/* ---- rule 5: alerts; a conformance change as a typed update ---- */

static void test_report_outside_intent_alerts_and_marks_nonconforming(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r1", 5, HERE, 1000), DC_OK);
    dc_report reports[2];
    memset(reports, 0, sizeof reports);
    dc_time_us now = dc_service_now();
    for (int i = 0; i < 2; i++) {
        dc_copy_text(reports[i].party, sizeof reports[i].party, "red");
        dc_copy_text(reports[i].aircraft, sizeof reports[i].aircraft, "ABC123");
        dc_copy_text(reports[i].intent, sizeof reports[i].intent, "r1");
        reports[i].time = now - (1 - i) * S;
        reports[i].position = (dc_point){41.2, 29.0}; /* 22 km north of the intent */
        reports[i].altitude_m = 1000;
        reports[i].ground_speed_mps = 0;
        reports[i].track_deg = 0;
    }
    dc_report_verdict verdicts[2];
    dc_positions_outcome out;
    dc_error err;
    assert_int_equal(dc_service_report_positions(&f->svc, reports, 2, verdicts, &out, &err), DC_OK);
    assert_int_equal(out.ingested, 2);
    assert_true(out.alerts >= 1);
    json_t *alerts = inbox_of(f, DC_INBOX_ALERTS, "red");
    int conformance = 0;
    for (size_t i = 0; i < json_array_size(alerts); i++)
        conformance |= strcmp(json_string_value(json_object_get(json_array_get(alerts, i), "kind")),
                              "conformance") == 0;
    assert_true(conformance);
    json_decref(alerts);
    dc_record r;
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "r1", &r), DC_OK);
    assert_int_equal(r.object.state, DC_STATE_NONCONFORMING);
    assert_int_equal(r.object.version, 2);
    json_t *body = json_loads(r.body, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(body, "version")), 2);
    json_decref(body);
    dc_record_clear(&r);
    /* a second time changes nothing: it is no longer under way */
    int changed = 1;
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    assert_int_equal(dc_service_record_nonconforming(&f->svc, "red", "r1", &changed), DC_OK);
    assert_false(changed);
    assert_int_equal(dc_service_record_nonconforming(&f->svc, "red", "none", &changed), DC_OK);
    assert_false(changed);
    dc_store_rollback(f->t.store);
    assert_true(audit_has(f, "red", "intent/red/r1", "server", "intent.put"));
}

/* ---- rule 6: every write, notice, grant and read through a grant in one signed chain ---- */

struct chain {
    const uint8_t *public_key;
    uint8_t prev[DC_HASH_BYTES];
    size_t count, bad, unlinked;
    int last_signed;
    char actions[1024];
};

static int walk_chain(void *ctx, const dc_audit_record *r)
{
    struct chain *c = ctx;
    dc_error err;
    if (dc_audit_check(r, c->public_key, &err) != DC_OK)
        c->bad++;
    if (c->count > 0 && memcmp(r->prev_hash, c->prev, DC_HASH_BYTES) != 0)
        c->unlinked++;
    memcpy(c->prev, r->hash, DC_HASH_BYTES);
    c->last_signed = dc_audit_signed(r);
    c->count++;
    size_t used = strlen(c->actions);
    snprintf(c->actions + used, sizeof c->actions - used, "%s ", r->action);
    return 0;
}

static void test_audit_chain_records_every_use_case(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "blue", "b1", 2, HERE, 2000), DC_OK);
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r1", 5, HERE, 1000), DC_OK);
    dc_audit_record receipt;
    dc_error err;
    assert_int_equal(dc_service_grant(&f->svc, "blue", "green", DC_KIND_INTENT, &receipt, &err),
                     DC_OK);
    assert_int_equal(read_as(f, DC_KIND_INTENT, "green", "b1", NULL), DC_OK);
    const char *coords[] = {"41 N 29 E"};
    dc_message_sent sent;
    assert_int_equal(dc_service_message_send(&f->svc, "red", "blue", "x", coords, 1, &sent, &err),
                     DC_OK);
    json_decref(sent.readbacks);
    struct chain c = {f->svc.public_key, {0}, 0, 0, 0, 0, ""};
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    assert_int_equal(dc_store_audit_walk(f->t.store, NULL, walk_chain, &c), DC_OK);
    dc_store_rollback(f->t.store);
    assert_true(c.count >= 6);
    assert_int_equal(c.bad, 0);
    assert_int_equal(c.unlinked, 0);
    assert_true(c.last_signed);
    static const char *const expected[] = {"intent.put ", "notice ", "grant ", "read ", "message "};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_non_null(strstr(c.actions, expected[i]));
}

/* ---- emergencies ---- */

static dc_status declare(struct fixture *f, const char *id, int64_t validity_s, double radius_m,
                         dc_emergency_outcome *out, dc_error *err)
{
    struct sub x;
    sub_init(&x, DC_KIND_INTENT, "red", id, 1, HERE, radius_m);
    dc_emergency_declaration d = {&x.s,
                                  NULL,
                                  DC_EMERGENCY_SEARCH_AND_RESCUE,
                                  validity_s,
                                  DC_EMERGENCY_ALERT_DISTANCE_DEFAULT_M,
                                  0,
                                  {0, 0},
                                  0};
    dc_service_emergency_object(&d);
    d.declared = x.declared;
    dc_geom *geom = NULL;
    assert_int_equal(dc_geom_new(&geom), DC_OK);
    dc_status rc = dc_service_emergency_declare(&f->svc, geom, &d, out, err);
    dc_geom_free(geom);
    sub_clear(&x);
    return rc;
}

static void test_emergency_declare_holds_hazard_and_end_releases(void **state)
{
    struct fixture *f = *state;
    struct sub h;
    sub_init(&h, DC_KIND_HAZARD, "blue", "h1", 5, HERE, 2000);
    dc_copy_text(h.s.hazard_kind, sizeof h.s.hazard_kind, "artillery");
    dc_submit_outcome so;
    assert_int_equal(submit(f, &h, &so), DC_OK);
    dc_submit_outcome_clear(&so);
    sub_clear(&h);
    dc_emergency_outcome out;
    dc_error err;
    /* past the grant: refused, nothing written */
    assert_int_equal(declare(f, "e1", 7200, 1000, &out, &err), DC_FORBIDDEN);
    assert_string_equal(err.field, "/validity_s");
    assert_int_equal(read_as(f, DC_KIND_INTENT, "red", "e1", NULL), DC_NOT_FOUND);
    json_t *before = inbox_of(f, DC_INBOX_ALERTS, "blue");
    assert_int_equal(declare(f, "e1", 600, 1000, &out, &err), DC_OK);
    assert_false(out.replaced);
    assert_true(out.emergency.active);
    dc_emergency_outcome_clear(&out);
    /* blue's hazard is held, and blue, near, is alerted */
    dc_record r;
    assert_int_equal(read_as(f, DC_KIND_HAZARD, "blue", "h1", &r), DC_OK);
    assert_int_equal(r.object.state, DC_STATE_SUSPENDED);
    dc_record_clear(&r);
    json_t *after = inbox_of(f, DC_INBOX_ALERTS, "blue");
    assert_int_equal(json_array_size(after), json_array_size(before) + 1);
    json_decref(before);
    json_decref(after);
    /* an ordinary intent's id is not an emergency's */
    assert_int_equal(submit_simple(f, DC_KIND_INTENT, "red", "r9", 5, (dc_point){50.0, 10.0}, 100),
                     DC_OK);
    assert_int_equal(declare(f, "r9", 600, 1000, &out, &err), DC_CONFLICT);
    dc_emergency e;
    dc_audit_record receipt;
    assert_int_equal(dc_service_emergency_renew(&f->svc, "red", "e1", 0, &e, &receipt, &err),
                     DC_OK);
    assert_int_equal(e.renewals, 1);
    assert_int_equal(dc_service_emergency_end(&f->svc, "blue", "e1", &e, &receipt, &err),
                     DC_NOT_FOUND);
    assert_int_equal(dc_service_emergency_end(&f->svc, "red", "e1", &e, &receipt, &err), DC_OK);
    assert_false(e.active);
    assert_int_equal(read_as(f, DC_KIND_HAZARD, "blue", "h1", &r), DC_OK);
    assert_int_not_equal(r.object.state, DC_STATE_SUSPENDED);
    dc_record_clear(&r);
    assert_int_equal(dc_service_emergency_end(&f->svc, "red", "e1", &e, &receipt, &err),
                     DC_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lower_priority_accepted_other_told, setup, teardown),
        cmocka_unit_test_setup_teardown(test_higher_priority_refuses_and_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_equal_priority_needs_the_shown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_and_withdraw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zone_refuses_whatever_the_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain_records_every_use_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hazard_over_site_refused_site_owner_told, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_through_grant_audited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_shows_only_what_may_be_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_notation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_send_read_acknowledge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_outside_intent_alerts_and_marks_nonconforming,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_emergency_declare_holds_hazard_and_end_releases, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
