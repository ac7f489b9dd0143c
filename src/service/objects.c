/* objects.c - the use cases of intents, hazards, zones and sites: submit (decide, disclose,
 * write, audit, watch), withdraw, read and list */
#include "deconflict/geo.h"
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How often a write finds its candidates changed since it decided, and tries again, before it
 * answers DC_BUSY: each attempt is a whole decision, and only a busy neighbourhood changes under
 * it. */
#define SUBMIT_ATTEMPTS 4

static dc_status store_failed(dc_error *err)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store failed; nothing was changed");
}

void dc_submit_outcome_clear(dc_submit_outcome *out)
{
    free(out->body);
    json_decref(out->notices);
    memset(out, 0, sizeof *out);
}

/* Whether volume `v` lies where one of a message's coordinates (its stored body) said: its outline
 * covers the coordinate, or its centre (a circle's; a polygon's bounding cap's) is within
 * DC_READBACK_TOLERANCE_M of it, or within the side of the MGRS square it was written as,
 * whichever is larger: a square's text names the whole square. */
static int volume_on_message(const dc_volume *v, json_t *coords)
{
    dc_point centre = v->outline == DC_OUTLINE_CIRCLE ? v->center : v->bound_center;
    for (size_t i = 0; i < json_array_size(coords); i++) {
        json_t *c = json_array_get(coords, i);
        dc_point p = {json_number_value(json_object_get(c, "lat")),
                      json_number_value(json_object_get(c, "lng"))};
        int inside = 0;
        if (dc_volume_contains(v, p, v->altitude_lower, v->time_start, &inside) == DC_OK && inside)
            return 1;
        dc_point parsed;
        dc_coord_info info;
        double tolerance = DC_READBACK_TOLERANCE_M, distance = 0;
        if (dc_coord_parse(json_string_value(json_object_get(c, "original")), &parsed, &info,
                           NULL) == DC_OK &&
            info.cell_m > tolerance)
            tolerance = info.cell_m;
        if (dc_geodesic_inverse(centre, p, &distance, NULL) == DC_OK && distance <= tolerance)
            return 1;
    }
    return 0;
}

/* The first volume (counted from 1) of `o` that lies off every coordinate of the message, or 0. */
static size_t volume_off_message(const dc_object *o, const char *message_body)
{
    json_t *body = json_loads(message_body, 0, NULL);
    json_t *coords = json_object_get(body, "coordinates");
    size_t astray = 0;
    for (size_t i = 0; astray == 0 && i < o->volume_count; i++)
        if (!volume_on_message(&o->volumes[i], coords))
            astray = i + 1;
    json_decref(body);
    return astray;
}

/* Coordinates from the direct line only once their read-back was confirmed, and only where they
 * said. */
static dc_status check_from_message(dc_service *svc, const dc_submission *sub, const dc_object *o,
                                    dc_error *err)
{
    dc_message m;
    int ok = dc_store_message_get(svc->store, sub->from_message, &m) == DC_OK;
    int mine = ok && (strcmp(m.sender, o->owner) == 0 || strcmp(m.recipient, o->owner) == 0);
    int confirmed = mine && m.acknowledged;
    size_t astray = confirmed ? volume_off_message(o, m.body) : 0;
    if (ok)
        dc_free(m.body);
    if (astray > 0)
        return dc_error_set(err, DC_INVALID, "/from_message", DC_NO_POSITION,
                            "volume %zu lies outside what message %lld said: it covers none of "
                            "the message's coordinates and its centre is farther than %.0f m (or "
                            "the coordinate's MGRS square) from each",
                            astray - 1, (long long)sub->from_message, DC_READBACK_TOLERANCE_M);
    if (!confirmed)
        return mine ? dc_error_set(err, DC_CONFLICT, "/from_message", DC_NO_POSITION,
                                   "the message's coordinates have not been confirmed by read-back")
                    : dc_error_set(err, DC_NOT_FOUND, "/from_message", DC_NO_POSITION,
                                   "no such message between you and another party");
    return DC_OK;
}

/* The submitter as this transaction sees it: a key revoked or a ceiling lowered since the request
 * was authenticated applies now. A zone restricts intents and hazards up to its owner's ceiling,
 * no higher: without it any party could make any airspace replan whatever the priorities the
 * operator granted. */
static dc_status check_submitter(dc_service *svc, dc_object *o, dc_error *err)
{
    dc_party submitter;
    memset(&submitter, 0, sizeof submitter);
    dc_status rc = dc_store_party_get(svc->store, o->owner, &submitter);
    if (rc != DC_OK && rc != DC_NOT_FOUND)
        return store_failed(err);
    if (rc != DC_OK || !submitter.key_active)
        return dc_error_set(err, DC_FORBIDDEN, "authorization", DC_NO_POSITION,
                            "this key has been revoked");
    if (o->priority > submitter.priority_ceiling)
        return dc_error_set(err, DC_FORBIDDEN, "/priority", DC_NO_POSITION,
                            "priority %d is above your ceiling of %d; the operator grants higher "
                            "ones",
                            o->priority, submitter.priority_ceiling);
    if (o->kind == DC_KIND_ZONE)
        o->priority = submitter.priority_ceiling;
    return DC_OK;
}

/* What a submission must satisfy before and again at its write, in the transaction that is open:
 * its own earlier version is the one it names, its direct-line message is confirmed and its
 * volumes lie where the message said, and its key and priority ceiling stand. DC_OK with
 * *existing filled (*have_existing) when all hold; otherwise the failure (the transaction left
 * open: the caller ends it) and *existing empty. An object is (kind, owner, id): another party's
 * object under this id, visible or not, is another object, and never stops this party from using
 * the id. */
static dc_status admit(dc_service *svc, const dc_submit_request *rq, dc_object *o,
                       dc_record *existing, int *have_existing, dc_error *err)
{
    const dc_submission *sub = rq->submission;
    dc_status rc = dc_store_object_get(svc->store, o->kind, o->owner, o->id, existing);
    *have_existing = rc == DC_OK;
    if (rc != DC_OK && rc != DC_NOT_FOUND) {
        rc = store_failed(err);
        goto refused;
    }
    int64_t current = *have_existing ? existing->object.version : 0;
    if (*have_existing && existing->object.emergency != DC_EMERGENCY_NONE) {
        rc = dc_error_set(err, DC_CONFLICT, "", DC_NO_POSITION,
                          "this id names an emergency: renew or end it under /v1/emergencies");
        goto refused;
    }
    if (rq->check != NULL &&
        (rc = rq->check(rq->check_ctx, *have_existing ? current : -1)) != DC_OK) {
        dc_error_set(err, rc, "", DC_NO_POSITION, "the version condition does not hold");
        goto refused;
    }
    int versioned = sub->has_version || rq->version_named;
    if ((*have_existing && (!versioned || (sub->has_version && sub->version != current))) ||
        (!*have_existing && sub->has_version && sub->version != 0)) {
        rc = *have_existing
                 ? dc_error_set(err, DC_STALE, "/version", DC_NO_POSITION,
                                "the object is at version %lld; send it as \"version\" "
                                "(or If-Match: \"%lld\")",
                                (long long)current, (long long)current)
                 : dc_error_set(err, DC_STALE, "/version", DC_NO_POSITION,
                                "the object does not exist (version %lld)", (long long)current);
        goto refused;
    }
    if (sub->from_message > 0 && (rc = check_from_message(svc, sub, o, err)) != DC_OK)
        goto refused;
    if ((rc = check_submitter(svc, o, err)) != DC_OK)
        goto refused;
    return DC_OK;
refused:
    if (*have_existing)
        dc_record_clear(existing);
    *have_existing = 0;
    return rc;
}

/* One decision: what the submitter accepts among the candidates (by their opaque conflict keys),
 * the work it would cost against the budget, and the engine's answer. */
static dc_status decide(dc_service *svc, dc_geom *geom, const dc_submission *sub,
                        const dc_object *o, const dc_record_list *candidates,
                        dc_check_result *result, dc_error *err)
{
    const dc_object **cands = dc_calloc(candidates->count + 1, sizeof *cands);
    dc_accepted_conflict *accepted = dc_calloc(sub->accept_count + 1, sizeof *accepted);
    dc_status rc = DC_OK;
    if (cands == NULL || accepted == NULL) {
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        goto done;
    }
    size_t accept_n = 0;
    for (size_t i = 0; i < candidates->count; i++) {
        cands[i] = &candidates->items[i].object;
        char key[40];
        dc_service_conflict_key(svc, cands[i], key);
        for (size_t k = 0; k < sub->accept_count; k++)
            if (strcmp(key, sub->accept_keys[k]) == 0 && accept_n < sub->accept_count) {
                dc_copy_text(accepted[accept_n].owner, DC_ID_MAX, cands[i]->owner);
                dc_copy_text(accepted[accept_n].object_id, DC_ID_MAX, cands[i]->id);
                accepted[accept_n].kind = cands[i]->kind;
                accepted[accept_n++].version = cands[i]->version;
            }
    }
    dc_check_options options = {0, accept_n, accepted};
    uint64_t work = 0;
    dc_engine_work(o, &options, cands, candidates->count, &work);
    if (work > svc->work_budget) {
        rc = dc_error_set(err, DC_LIMIT, "/volumes", DC_NO_POSITION,
                          "checking this object against what it may touch costs %llu units of "
                          "work; at most %llu: use fewer or simpler outlines (a convex outline "
                          "costs the sum of the vertices, two others their product)",
                          (unsigned long long)work, (unsigned long long)svc->work_budget);
        goto done;
    }
    rc = dc_engine_check(geom, o, &options, cands, candidates->count, result, err);
    if (rc != DC_OK)
        err->status = rc;
done:
    dc_free(cands);
    dc_free(accepted);
    return rc;
}

/* The live monitor watches zones and the intents being flown as they are written. */
void dc__service_tell_monitor(dc_service *svc, const dc_object *o, int withdrawn)
{
    if ((o->kind != DC_KIND_ZONE && o->kind != DC_KIND_INTENT) || svc->monitor == NULL)
        return;
    pthread_mutex_lock(&svc->monitor_lock);
    if (o->kind == DC_KIND_ZONE) {
        dc_monitor_remove_zone(svc->monitor, o->owner, o->id);
        if (!withdrawn && dc_monitor_add_zone_object(svc->monitor, o) != DC_OK)
            fprintf(stderr, "deconflict: out of memory: zone %s/%s is not watched\n", o->owner,
                    o->id);
    } else if (withdrawn) {
        dc_monitor_unwatch_intent(svc->monitor, o->owner, o->id);
    } else if (dc_monitor_watch_intent(svc->monitor, o) != DC_OK) {
        fprintf(stderr, "deconflict: out of memory: intent %s/%s is not watched\n", o->owner,
                o->id);
    }
    pthread_mutex_unlock(&svc->monitor_lock);
}

/* The accepted object written with its signed audit record, in the open write transaction. */
static dc_status write_accepted(dc_service *svc, const dc_submit_request *rq, const dc_object *o,
                                const char *ref, const dc_record *existing, int have_existing,
                                dc_submit_outcome *out, dc_error *err)
{
    const dc_submission *sub = rq->submission;
    dc_time_us now = dc_service_now();
    dc_record rec;
    memset(&rec, 0, sizeof rec);
    rec.object = *o;
    rec.is_public = sub->is_public;
    rec.created = have_existing ? existing->created : now;
    rec.updated = now;
    json_object_set_new(rq->declared, "version", json_integer(o->version));
    rec.body =
        json_dumps(rq->declared, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    uint8_t digest[DC_HASH_BYTES];
    char digest_hex[2 * DC_HASH_BYTES + 1];
    dc_status rc = rec.body ? dc_store_object_put(svc->store, &rec) : DC_NOMEM;
    if (rc == DC_OK)
        rc = dc_store_object_digest(svc->store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, digest_hex);
        char action[32];
        snprintf(action, sizeof action, "%s.put", dc_kind_name(o->kind));
        json_t *detail = json_pack("{s:I,s:s,s:s}", "version", (json_int_t)o->version, "state",
                                   dc_state_name(o->state), "digest", digest_hex);
        if (sub->from_message > 0) /* where its coordinates came from, for whoever asks later */
            json_object_set_new(detail, "from_message", json_integer(sub->from_message));
        rc = dc_service_audit(svc, 1, o->owner, action, ref, "", detail, &out->receipt);
    }
    if (rc != DC_OK) {
        free(rec.body);
        return rc == DC_NOMEM ? dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory")
                              : store_failed(err);
    }
    out->body = rec.body;
    return DC_OK;
}

/* Nothing is written of a refused submission but the disclosures just made and its audit. */
static dc_status record_refusal(dc_service *svc, const dc_object *o, const char *ref, dc_error *err)
{
    dc_status rc = dc_service_audit(svc, 1, o->owner, "refused", ref, "",
                                    json_pack("{s:s}", "kind", dc_kind_name(o->kind)), NULL);
    return rc != DC_OK ? store_failed(err) : DC_OK;
}

/* One submission on its way: what it was decided against, and what its part under the write lock
 * (submit_locked) found and wrote. */
struct submission {
    const dc_submit_request *rq;
    dc_object *o;
    const char *ref;
    dc_record_list candidates;
    dc_check_result result;
    dc_candidate_stamps decided;
    dc_submit_outcome *out;
    dc_error *err;
    dc_status rc; /* the part's answer (DC_OK: accepted) */
    int changed;  /* the candidates changed since the decision: decide again */
};

/* Step 1 and 2 of a submission: its checks and candidates under a read transaction, then the
 * decision with no lock held. */
static dc_status decide_outside(dc_service *svc, dc_geom *geom, struct submission *sub)
{
    dc_record existing;
    int have_existing = 0;
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(sub->err);
    (void)dc_store_prefetch(svc->store, sub->o);
    dc_status rc = admit(svc, sub->rq, sub->o, &existing, &have_existing, sub->err);
    if (have_existing)
        dc_record_clear(&existing);
    if (rc == DC_OK) {
        rc = dc_store_candidates(svc->store, sub->o, &sub->candidates);
        if (rc == DC_OK)
            rc = dc_candidate_stamps_of(&sub->candidates, &sub->decided);
        if (rc != DC_OK)
            rc = store_failed(sub->err);
    }
    dc_store_rollback(svc->store); /* a read: nothing to commit */
    if (rc != DC_OK)
        return rc;
    return decide(svc, geom, sub->rq->submission, sub->o, &sub->candidates, &sub->result, sub->err);
}

/* Step 3, under the write lock (write_group.c): the checks again, and if nothing decided against
 * has changed, the disclosures and the write (or the refusal's audit). */
static dc_locked_outcome submit_locked(dc_service *svc, void *ctx)
{
    struct submission *sub = ctx;
    dc_object *o = sub->o;
    dc_record existing;
    int have_existing = 0;
    dc_candidate_stamps now_stamps = {0};
    dc_locked_outcome outcome = DC_LOCKED_NOTHING;
    (void)dc_store_prefetch(svc->store, o);
    sub->rc = admit(svc, sub->rq, o, &existing, &have_existing, sub->err);
    if (sub->rc != DC_OK)
        /* a refusal wrote nothing; a failed read aborted the transaction */
        return sub->rc == DC_STORE ? DC_LOCKED_ABORT : DC_LOCKED_NOTHING;
    if (dc_store_candidate_stamps(svc->store, o, &now_stamps) != DC_OK) {
        sub->rc = store_failed(sub->err);
        outcome = DC_LOCKED_ABORT;
        goto done;
    }
    if (!dc_candidate_stamps_equal(&sub->decided, &now_stamps)) {
        sub->changed = 1;
        goto done;
    }
    o->version = (have_existing ? existing.object.version : 0) + 1;
    sub->out->version = o->version;
    sub->out->replaced = have_existing;
    /* What the submitter and each counterpart are told: the disclosure policy's answer, audited.
     * It may refuse a hazard near a site its owner has been probing. */
    int decision = sub->result.accepted;
    outcome = DC_LOCKED_WROTE;
    if (dc_service_disclose_conflicts(svc, o, sub->ref, &sub->result, &decision,
                                      sub->out->notices) != DC_OK)
        sub->rc = store_failed(sub->err);
    else if (!decision)
        sub->rc = record_refusal(svc, o, sub->ref, sub->err) == DC_OK
                      ? dc_error_set(sub->err, DC_CONFLICT, "", DC_NO_POSITION,
                                     "the object conflicts with objects it must yield to; see "
                                     "notices")
                      : DC_STORE;
    else
        sub->rc =
            write_accepted(svc, sub->rq, o, sub->ref, &existing, have_existing, sub->out, sub->err);
    if (sub->rc != DC_OK && sub->rc != DC_CONFLICT)
        outcome = DC_LOCKED_ABORT;
done:
    if (have_existing)
        dc_record_clear(&existing);
    dc_candidate_stamps_clear(&now_stamps);
    return outcome;
}

static void submission_reset(struct submission *sub)
{
    dc_check_result_clear(&sub->result);
    dc_record_list_clear(&sub->candidates);
    dc_candidate_stamps_clear(&sub->decided);
    sub->changed = 0;
}

dc_status dc_service_submit(dc_service *svc, dc_geom *geom, const dc_submit_request *rq,
                            dc_submit_outcome *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    out->notices = json_array();
    dc_object *o = &rq->submission->object;
    char ref[192];
    dc_object_ref(o->kind, o->owner, o->id, ref, sizeof ref);
    /* A site is deconflicted against its keep-out disc (disclosure.h), which alone is stored for
     * candidate search; readers get it as declared. */
    const dc_volume *declared_volumes = o->volumes;
    dc_volume keepout;
    memset(&keepout, 0, sizeof keepout);
    struct submission sub;
    memset(&sub, 0, sizeof sub);
    sub.rq = rq;
    sub.o = o;
    sub.ref = ref;
    sub.out = out;
    sub.err = err;
    dc_status rc = DC_OK;
    if (out->notices == NULL) {
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        goto done;
    }
    if (o->kind == DC_KIND_SITE) {
        double radius = json_number_value(json_object_get(rq->submission->route, "radius"));
        if (dc_disclosure_site_keepout(svc->site_secret, o->owner, o->id, &o->volumes[0], radius,
                                       &keepout) != DC_OK) {
            rc = dc_error_set(err, DC_RANGE, "/radius", DC_NO_POSITION,
                              "the site is too large to protect: split it into smaller sites");
            goto done;
        }
        o->volumes = &keepout;
    }
    for (int attempt = 0;; attempt++) {
        if (attempt == SUBMIT_ATTEMPTS) {
            rc = dc_error_set(err, DC_BUSY, "", DC_NO_POSITION,
                              "the objects around this one kept changing while it was checked; "
                              "nothing was written: send it again");
            break;
        }
        if ((rc = decide_outside(svc, geom, &sub)) != DC_OK)
            break;
        dc_locked_work work = {.run = submit_locked, .ctx = &sub};
        if (dc__service_write_together(svc, &work) != DC_OK) {
            /* not committed: whatever it wrote, and what it was told, is void */
            free(out->body);
            out->body = NULL;
            json_array_clear(out->notices);
            rc = store_failed(err);
            break;
        }
        if (!sub.changed) {
            rc = sub.rc;
            break;
        }
        submission_reset(&sub);
    }
    if (rc == DC_OK) {
        out->accepted = 1;
        dc__service_tell_monitor(svc, o, 0);
    }
done:
    submission_reset(&sub);
    o->volumes = declared_volumes;
    dc_volume_clear(&keepout);
    return rc;
}

dc_status dc_service_withdraw(dc_service *svc, dc_object_kind kind, const char *owner,
                              const char *id, dc_status (*check)(void *ctx, int64_t current),
                              void *check_ctx, dc_audit_record *receipt, dc_error *err)
{
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    dc_record r;
    dc_status rc;
    if (check != NULL) {
        int64_t version = -1;
        if (dc_store_object_get(svc->store, kind, owner, id, &r) == DC_OK) {
            version = r.object.version;
            dc_record_clear(&r);
        }
        if ((rc = check(check_ctx, version)) != DC_OK) {
            dc_store_rollback(svc->store);
            return dc_error_set(err, rc, "", DC_NO_POSITION, "the version condition does not hold");
        }
    }
    rc = dc_store_object_delete(svc->store, kind, owner, id);
    if (rc == DC_NOT_FOUND) {
        int visible = dc_store_object_visible(svc->store, kind, id, owner, &r) == DC_OK;
        if (visible)
            dc_record_clear(&r);
        dc_store_rollback(svc->store);
        return visible ? dc_error_set(err, DC_FORBIDDEN, "", DC_NO_POSITION,
                                      "this object belongs to another party")
                       : dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "no such object");
    }
    char ref[192], action[32];
    dc_object_ref(kind, owner, id, ref, sizeof ref);
    snprintf(action, sizeof action, "%s.delete", dc_kind_name(kind));
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, owner, action, ref, "", NULL, receipt);
    if (dc_store_finish(svc->store, rc) != DC_OK)
        return store_failed(err);
    dc_object gone;
    memset(&gone, 0, sizeof gone);
    gone.kind = kind;
    dc_copy_text(gone.owner, sizeof gone.owner, owner);
    dc_copy_text(gone.id, sizeof gone.id, id);
    dc__service_tell_monitor(svc, &gone, 1);
    return DC_OK;
}

/* Reading another party's object through a grant is a disclosure. */
static dc_status audit_read(dc_service *svc, const char *reader, const dc_record *r)
{
    char ref[192];
    dc_object_ref(r->object.kind, r->object.owner, r->object.id, ref, sizeof ref);
    return dc_service_audit(svc, 1, reader, "read", ref, reader,
                            json_pack("{s:I}", "version", (json_int_t)r->object.version), NULL);
}

dc_status dc_service_read(dc_service *svc, dc_object_kind kind, const char *reader, const char *id,
                          dc_record *out, dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_object_get(svc->store, kind, reader, id, out);
    dc_store_rollback(svc->store);
    if (rc == DC_NOT_FOUND) {
        /* another party's, public or through a grant: a read through a grant is audited, in the
         * same transaction as the read */
        if (dc_store_begin(svc->store, 1) != DC_OK)
            return store_failed(err);
        rc = dc_store_object_visible(svc->store, kind, id, reader, out);
        if (rc == DC_OK &&
            dc_store_grant_exists(svc->store, out->object.owner, reader, kind) == DC_OK)
            rc = audit_read(svc, reader, out);
        if (rc == DC_OK && dc_store_commit(svc->store) != DC_OK)
            rc = DC_STORE;
        if (rc != DC_OK) {
            if (rc != DC_NOT_FOUND)
                dc_record_clear(out);
            dc_store_rollback(svc->store);
        }
    }
    if (rc == DC_NOT_FOUND)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "no such object");
    return rc == DC_OK ? DC_OK : store_failed(err);
}

dc_status dc_service_audit_list_read(dc_service *svc, const char *reader, const char *action,
                                     const char *list, json_t *names, json_t *extra)
{
    size_t n = json_array_size(names);
    if (n == 0) {
        json_decref(extra);
        return DC_OK;
    }
    json_t *detail = extra != NULL ? extra : json_object();
    json_object_set(detail, "objects", names);
    dc_audit_record *r = dc_malloc(sizeof *r);
    const char **refs = dc_malloc(n * sizeof *refs);
    dc_status rc = r != NULL && refs != NULL ? DC_OK : DC_NOMEM;
    if (rc == DC_OK) {
        char object[64];
        snprintf(object, sizeof object, "list/%s", list);
        rc = dc_service_audit(svc, 0, reader, action, object, reader, detail, r);
        detail = NULL; /* dc_service_audit took it */
    }
    for (size_t i = 0; rc == DC_OK && i < n; i++)
        refs[i] = json_string_value(json_array_get(names, i));
    if (rc == DC_OK)
        rc = dc_store_audit_names(svc->store, r->seq, refs, n);
    /* appended unsigned like a batch's alerts, so vouched for the same way before its commit: a
     * read was the chain's last record, unsigned, and `audit verify` failed on it until the next
     * write */
    if (rc == DC_OK)
        rc = dc_store_audit_checkpoint(svc->store, svc->secret_key);
    json_decref(detail);
    dc_free(refs);
    dc_free(r);
    return rc;
}

dc_status dc_service_list(dc_service *svc, dc_object_kind kind, const char *reader,
                          const dc_box4 *box, int64_t after_row, size_t limit, dc_record_list *out,
                          int *more, dc_error *err)
{
    *more = 0;
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_object_page(svc->store, kind, reader, box, after_row, limit + 1, out);
    *more = out->count > limit;
    if (*more) {
        dc_record_clear(&out->items[limit]);
        out->count = limit;
    }
    json_t *names = json_array(), *versions = json_array();
    for (size_t i = 0; rc == DC_OK && i < out->count; i++) {
        const dc_record *r = &out->items[i];
        if (strcmp(r->object.owner, reader) != 0 &&
            dc_store_grant_exists(svc->store, r->object.owner, reader, kind) == DC_OK) {
            char ref[192];
            dc_object_ref(r->object.kind, r->object.owner, r->object.id, ref, sizeof ref);
            json_array_append_new(names, json_string(ref));
            json_array_append_new(versions, json_integer((json_int_t)r->object.version));
        }
    }
    /* reads through grants are disclosures: one record for the page, naming each object */
    char list[16];
    snprintf(list, sizeof list, "%ss", dc_kind_name(kind));
    if (rc == DC_OK)
        rc = dc_service_audit_list_read(svc, reader, "read", list, names,
                                        json_pack("{s:o}", "versions", versions));
    else
        json_decref(versions);
    json_decref(names);
    if (dc_store_finish(svc->store, rc) != DC_OK) {
        dc_record_list_clear(out);
        return store_failed(err);
    }
    return DC_OK;
}
