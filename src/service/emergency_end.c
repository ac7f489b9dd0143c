/* emergency_end.c - the use cases of an emergency after its declaration (docs/EMERGENCIES.md):
 * renewed, ended by its declarer, expired when not renewed, the hazards it held given back; the
 * declarations and their counts as stored, and an object as a reader sees it (its typed state) */
#include "service_internal.h"
#include "deconflict/party_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dc_status store_failed(dc_error *err)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store failed; nothing was changed");
}

void dc_service_emergency_watch(dc_service *svc, const dc_object *o)
{
    if (svc->monitor == NULL)
        return;
    pthread_mutex_lock(&svc->monitor_lock);
    dc_monitor_remove_emergency(svc->monitor, o->owner, o->id);
    if (dc_monitor_add_emergency_object(svc->monitor, o) != DC_OK)
        fprintf(stderr, "deconflictd: emergency %s/%s is not watched\n", o->owner, o->id);
    pthread_mutex_unlock(&svc->monitor_lock);
}

void dc__service_emergency_unwatch(dc_service *svc, const char *owner, const char *id)
{
    if (svc->monitor == NULL)
        return;
    pthread_mutex_lock(&svc->monitor_lock);
    dc_monitor_remove_emergency(svc->monitor, owner, id);
    pthread_mutex_unlock(&svc->monitor_lock);
}

/* ---- ending ---- */

struct release_run {
    dc_service *svc;
    const char *emergency_ref;
    const char *why;
    dc_time_us now;
    dc_status rc;
};

/* A hazard given back: its owner told (a notice), its row and the release audited. */
static int released(void *ctx, const char *owner, const char *id)
{
    struct release_run *r = ctx;
    char ref[192], t[40];
    dc_object_ref(DC_KIND_HAZARD, owner, id, ref, sizeof ref);
    dc__emergency_time_text(r->now, t);
    json_t *notice =
        json_pack("{s:{s:s,s:s},s:s,s:s,s:s,s:s}", "object", "kind", "hazard", "id", id, "action",
                  "released", "reason", "emergency", "why", r->why, "time", t);
    char *text = json_dumps(notice, JSON_COMPACT);
    int64_t nid = 0;
    r->rc = text ? dc_store_inbox_add(r->svc->store, DC_INBOX_NOTICES, owner, text, r->now, &nid)
                 : DC_NOMEM;
    free(text);
    json_decref(notice);
    if (r->rc == DC_OK)
        r->rc =
            dc__emergency_audit_row(r->svc, "server", DC_KIND_HAZARD, owner, id, owner, "released");
    if (r->rc == DC_OK)
        r->rc = dc_service_audit(r->svc, 1, "server", "hazard.release", ref, owner,
                                 json_pack("{s:s,s:s,s:I}", "emergency", r->emergency_ref, "why",
                                           r->why, "notice", (json_int_t)nid),
                                 NULL);
    return r->rc != DC_OK;
}

/* End an emergency in the open write transaction: its objects ended (typed), the hazards it held
 * given back with a notice, the change recorded. `why` is "ended", "expired" or "withdrawn". */
static dc_status end_in_transaction(dc_service *svc, dc_emergency *e, const char *actor,
                                    const char *why, dc_time_us now, dc_audit_record *out)
{
    char ref[192];
    dc_object_ref(DC_KIND_INTENT, e->owner, e->id, ref, sizeof ref);
    dc_status rc =
        dc_store_object_set_state(svc->store, DC_KIND_INTENT, e->owner, e->id, DC_STATE_ENDED, now);
    if (rc == DC_NOT_FOUND)
        rc = DC_OK; /* deleted as an intent: the declaration still ends */
    if (rc == DC_OK && e->has_crew) {
        rc = dc_store_object_set_state(svc->store, DC_KIND_SITE, e->owner, e->id, DC_STATE_ENDED,
                                       now);
        if (rc == DC_NOT_FOUND)
            rc = DC_OK;
    }
    if (rc == DC_OK)
        rc = dc__emergency_audit_row(svc, actor, DC_KIND_INTENT, e->owner, e->id, "", why);
    if (rc == DC_OK && e->has_crew)
        rc = dc__emergency_audit_row(svc, actor, DC_KIND_SITE, e->owner, e->id, "", why);
    struct release_run run = {svc, ref, why, now, DC_OK};
    if (rc == DC_OK)
        rc = dc_store_suspensions_release(svc->store, ref, now, released, &run);
    if (rc == DC_OK)
        rc = run.rc;
    e->active = 0;
    dc_copy_text(e->state, sizeof e->state, why);
    if (rc == DC_OK)
        rc = dc_store_emergency_put(svc->store, e);
    if (rc == DC_OK)
        rc = dc_store_emergency_count(svc->store, e->owner, why, 1);
    char action[32];
    snprintf(action, sizeof action, "emergency.%s", strcmp(why, "expired") == 0 ? "expire" : "end");
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, actor, action, ref, "", json_pack("{s:s}", "why", why), out);
    return rc;
}

dc_status dc_service_emergency_end(dc_service *svc, const char *party, const char *id,
                                   dc_emergency *out, dc_audit_record *receipt, dc_error *err)
{
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_emergency_get(svc->store, party, id, out);
    if (rc == DC_OK && !out->active)
        rc = DC_NOT_FOUND;
    if (rc == DC_OK)
        rc = end_in_transaction(svc, out, party, "ended", dc_service_now(), receipt);
    if (rc == DC_NOT_FOUND) {
        dc_store_rollback(svc->store);
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION,
                            "no emergency of yours in force by this id");
    }
    if (dc_store_finish(svc->store, rc) != DC_OK)
        return store_failed(err);
    dc__service_emergency_unwatch(svc, out->owner, out->id);
    return DC_OK;
}

/* ---- renewing ---- */

/* The validity asked beyond the party's grant: refused, and counted for the operator. */
static dc_status refuse_renewal(dc_service *svc, const char *party, int64_t validity_s,
                                int64_t granted_s, int named, dc_error *err)
{
    dc_store_rollback(svc->store);
    if (dc_store_begin(svc->store, 1) == DC_OK)
        dc_store_finish(svc->store, dc_store_emergency_count(svc->store, party, "refused", 1));
    return dc_error_set(err, DC_FORBIDDEN, named ? "/validity_s" : "", DC_NO_POSITION,
                        "validity %lld s is longer than your grant of %lld s",
                        (long long)validity_s, (long long)granted_s);
}

dc_status dc_service_emergency_renew(dc_service *svc, const char *party, const char *id,
                                     int64_t validity_s, dc_emergency *out,
                                     dc_audit_record *receipt, dc_error *err)
{
    if (validity_s != 0 &&
        (validity_s < DC_EMERGENCY_VALIDITY_S_MIN || validity_s > DC_EMERGENCY_VALIDITY_S_MAX))
        return dc_error_set(err, DC_RANGE, "/validity_s", DC_NO_POSITION,
                            "whole seconds within 1..86400");
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    dc_party p;
    dc_status rc = dc_store_emergency_get(svc->store, party, id, out);
    if (rc == DC_OK && !out->active)
        rc = DC_NOT_FOUND;
    if (rc == DC_NOT_FOUND) {
        dc_store_rollback(svc->store);
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION,
                            "no emergency of yours in force by this id (an expired one is "
                            "declared again)");
    }
    if (rc == DC_OK)
        rc = dc_store_party_get(svc->store, party, &p);
    int64_t wanted = validity_s > 0 ? validity_s : out->validity_s;
    if (rc == DC_OK && wanted > p.emergency_validity_s)
        return refuse_renewal(svc, party, wanted, p.emergency_validity_s, validity_s > 0, err);
    out->expires = dc_service_now() + wanted * DC_US_PER_S;
    out->validity_s = wanted;
    out->renewals++;
    char ref[192], expires[40];
    dc_object_ref(DC_KIND_INTENT, out->owner, out->id, ref, sizeof ref);
    dc__emergency_time_text(out->expires, expires);
    if (rc == DC_OK)
        rc = dc_store_emergency_put(svc->store, out);
    if (rc == DC_OK)
        rc = dc_store_emergency_count(svc->store, out->owner, "renewed", 1);
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, out->owner, "emergency.renew", ref, "",
                              json_pack("{s:s,s:I,s:I}", "expires", expires, "validity_s",
                                        (json_int_t)wanted, "renewals", (json_int_t)out->renewals),
                              receipt);
    if (dc_store_finish(svc->store, rc) != DC_OK)
        return store_failed(err);
    return DC_OK;
}

/* ---- reading ---- */

dc_status dc_service_emergencies(dc_service *svc, const char *owner,
                                 int (*each)(void *ctx, const dc_emergency *e), void *ctx,
                                 dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_emergencies(svc->store, owner, 0, 0, each, ctx);
    dc_store_rollback(svc->store);
    return rc == DC_OK ? DC_OK : store_failed(err);
}

dc_status dc_service_emergency_counts(dc_service *svc, const char *party, dc_party *grant,
                                      int (*each)(void *ctx, const char *party, const char *what,
                                                  int64_t n),
                                      void *ctx, dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = party != NULL ? dc_store_party_get(svc->store, party, grant) : DC_OK;
    if (rc == DC_OK)
        rc = dc_store_emergency_counts(svc->store, party, each, ctx);
    dc_store_rollback(svc->store);
    if (rc == DC_NOT_FOUND)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "no such party");
    return rc == DC_OK ? DC_OK : store_failed(err);
}

void dc_service_object_overlay(dc_service *svc, const dc_record *r, json_t *body)
{
    if (body == NULL || r->object.kind == DC_KIND_ZONE || r->object.kind == DC_KIND_SITE)
        return;
    /* typed changes (suspended, released, an emergency ended) are not written into the body */
    json_object_set_new(body, "state", json_string(dc_state_name(r->object.state)));
    if (r->object.state != DC_STATE_SUSPENDED || dc_store_begin(svc->store, 0) != DC_OK)
        return;
    char by[512];
    if (dc_store_suspended_by(svc->store, r->object.owner, r->object.id, by, sizeof by) == DC_OK)
        json_object_set_new(body, "suspended_by", json_string(by));
    dc_store_rollback(svc->store);
}

/* ---- expiry: an emergency not renewed ends by itself ---- */

struct due {
    dc_emergency *items;
    size_t count, capacity;
};

static int collect_due(void *ctx, const dc_emergency *e)
{
    struct due *d = ctx;
    dc_emergency *grown = dc_grow(d->items, &d->capacity, d->count, sizeof *grown, 4);
    if (grown == NULL)
        return 1;
    d->items = grown;
    d->items[d->count++] = *e;
    return 0;
}

struct orphan {
    dc_service *svc;
    dc_time_us now;
    dc_status rc;
    int dry, found; /* dry: only find whether one is due */
};

/* A suspension whose emergency is no longer in force (its intent deleted or rewritten): the
 * hazard is given back. */
static int release_orphan(void *ctx, const char *emergency_ref)
{
    struct orphan *o = ctx;
    char owner[DC_ID_MAX], id[DC_ID_MAX];
    if (sscanf(emergency_ref, "intent/%63[^/]/%63s", owner, id) != 2)
        return 0;
    dc_emergency e;
    dc_record rec;
    int active = dc_store_emergency_get(o->svc->store, owner, id, &e) == DC_OK && e.active;
    int in_force = dc_store_object_get(o->svc->store, DC_KIND_INTENT, owner, id, &rec) == DC_OK;
    if (in_force) {
        in_force = rec.object.emergency != DC_EMERGENCY_NONE &&
                   rec.object.state != DC_STATE_ENDED && rec.object.state != DC_STATE_WITHDRAWN;
        dc_record_clear(&rec);
    }
    if (active && in_force)
        return 0;
    o->found = 1;
    if (o->dry)
        return 1;
    struct release_run run = {o->svc, emergency_ref, "ended", o->now, DC_OK};
    o->rc = dc_store_suspensions_release(o->svc->store, emergency_ref, o->now, released, &run);
    if (o->rc == DC_OK)
        o->rc = run.rc;
    return o->rc != DC_OK;
}

dc_status dc_service_emergency_expire(dc_service *svc, size_t *ended)
{
    *ended = 0;
    dc_time_us now = dc_service_now();
    struct due due = {0};
    /* most passes find nothing: they look under a read transaction, and take the write lock
     * (which the archiver and every write wait for) only when something is due */
    struct orphan look = {svc, now, DC_OK, 1, 0};
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    dc_status rc = dc_store_emergencies(svc->store, NULL, 1, now, collect_due, &due);
    if (rc == DC_OK && due.count == 0)
        rc = dc_store_suspending(svc->store, release_orphan, &look);
    dc_store_rollback(svc->store);
    int nothing = rc == DC_OK && due.count == 0 && !look.found;
    dc_free(due.items);
    memset(&due, 0, sizeof due);
    if (nothing)
        return DC_OK;
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return DC_STORE;
    rc = dc_store_emergencies(svc->store, NULL, 1, now, collect_due, &due);
    for (size_t i = 0; rc == DC_OK && i < due.count; i++)
        rc = end_in_transaction(svc, &due.items[i], "server", "expired", now, NULL);
    struct orphan orphan = {svc, now, DC_OK, 0, 0};
    if (rc == DC_OK)
        rc = dc_store_suspending(svc->store, release_orphan, &orphan);
    if (rc == DC_OK)
        rc = orphan.rc;
    rc = dc_store_finish(svc->store, rc);
    if (rc == DC_OK) {
        *ended = due.count;
        for (size_t i = 0; i < due.count; i++)
            dc__service_emergency_unwatch(svc, due.items[i].owner, due.items[i].id);
    }
    dc_free(due.items);
    return rc;
}

static int watch_active(void *ctx, const dc_emergency *e)
{
    dc_service *svc = ctx;
    dc_record rec;
    if (dc_store_object_get(svc->store, DC_KIND_INTENT, e->owner, e->id, &rec) != DC_OK)
        return 0;
    if (rec.object.emergency != DC_EMERGENCY_NONE &&
        dc_monitor_add_emergency_object(svc->monitor, &rec.object) != DC_OK)
        fprintf(stderr, "deconflictd: emergency %s/%s is not watched\n", e->owner, e->id);
    dc_record_clear(&rec);
    return 0;
}

dc_status dc_service_emergency_watch_all(dc_service *svc)
{
    if (svc->monitor == NULL)
        return DC_OK;
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    pthread_mutex_lock(&svc->monitor_lock);
    dc_status rc = dc_store_emergencies(svc->store, NULL, 1, 0, watch_active, svc);
    pthread_mutex_unlock(&svc->monitor_lock);
    dc_store_rollback(svc->store);
    return rc;
}
