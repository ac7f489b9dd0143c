/* handlers.c - the routes of deconflictd: translate HTTP requests into store transactions and
 * engine decisions */
#include "api_internal.h"
#include "deconflict/party_admin.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

dc_time_us dc_api_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (dc_time_us)t.tv_sec * DC_US_PER_S + t.tv_nsec / 1000;
}

static void bad_input(dc_api_response *res, const dc_error *err)
{
    char pointer[128];
    const char *f = err->field;
    /* library fields are bare names ("area"); request members are pointers */
    if (f[0] != '\0' && f[0] != '/')
        snprintf(pointer, sizeof pointer, "/%s", f);
    else
        dc_copy_text(pointer, sizeof pointer, f);
    int http = err->status == DC_NOMEM ? 500 : err->status == DC_LIMIT ? 422 : 400;
    dc_api_problem(res, http, err->status, pointer, err->message);
}

static void store_failure(dc_api_response *res)
{
    dc_api_problem(res, 500, DC_STORE, NULL, "the store failed; nothing was changed");
}

/* ---- fair use ---- */

static dc_time_us monotonic_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (dc_time_us)t.tv_sec * DC_US_PER_S + t.tv_nsec / 1000;
}

/* Whether the party may spend `n` of class `c` now: 1, or 0 with the answer in `res` (429 and
 * Retry-After; 422 for a batch larger than the whole bucket, which waiting would never admit).
 * Asked before anything is decoded further or written, so that a refused request changes
 * nothing. */
int dc__api_fair_admit(dc_api *api, const dc_api_request *req, dc_rate_class c, double n,
                       dc_api_response *res)
{
    static const char *const what[] = {"writes", "messages", "position reports"};
    if (api->fair == NULL)
        return 1;
    long wait_s =
        dc__fair_take(api->fair, req->party.name, req->party.limits, c, n, monotonic_us());
    if (wait_s == 0)
        return 1;
    dc_rate rate;
    dc__fair_rate(api->fair, req->party.limits, c, &rate);
    char detail[192];
    if (wait_s < 0) {
        snprintf(detail, sizeof detail,
                 "%.0f %s in one request exceed the %.0f you may send at once", n, what[c],
                 rate.burst);
        dc_api_problem(res, 422, DC_LIMIT, NULL, detail);
        return 0;
    }
    snprintf(detail, sizeof detail,
             "%s limited to %g a second in bursts of %.0f for this party: retry in %ld s", what[c],
             rate.per_s, rate.burst, wait_s);
    dc_api_problem(res, 429, DC_BUSY, NULL, detail);
    /* its own type: a client tells waiting from a refused request without reading prose */
    json_object_set_new(res->json, "type", json_string("/problems/rate-limited"));
    json_object_set_new(res->json, "title", json_string("Too many requests"));
    json_object_set_new(res->json, "retry_after_s", json_integer(wait_s));
    res->retry_after_s = (int)wait_s;
    return 0;
}

/* ---- audit helpers ---- */

static dc_status append_audit(dc_api *api, const uint8_t *secret_key, const char *actor,
                              const char *action, const char *object, const char *recipients,
                              json_t *detail, dc_audit_record *out)
{
    /* cleared to its detail's first byte, which is what is read before written (audit.h) */
    /* cppcheck-suppress uninitvar */
    dc_audit_record local, *r = out ? out : &local;
    DC_AUDIT_RECORD_CLEAR(r);
    r->time = dc_api_now();
    dc_copy_text(r->actor, sizeof r->actor, actor);
    dc_copy_text(r->action, sizeof r->action, action);
    dc_copy_text(r->object, sizeof r->object, object);
    dc_copy_text(r->recipients, sizeof r->recipients, recipients);
    if (detail != NULL) {
        char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
        dc_copy_text(r->detail, sizeof r->detail, text ? text : "{}");
        free(text);
        json_decref(detail);
    } else {
        snprintf(r->detail, sizeof r->detail, "{}");
    }
    return dc_store_audit_append(api->svc.store, r, secret_key);
}

/* A signed record: every write, whose record is its writer's receipt. */
dc_status dc_api_audit(dc_api *api, const char *actor, const char *action, const char *object,
                       const char *recipients, json_t *detail, dc_audit_record *out)
{
    return append_audit(api, api->svc.secret_key, actor, action, object, recipients, detail, out);
}

/* A record in bulk (the alerts of a batch of reports): chained unsigned,
 * vouched for by the checkpoint signed before the batch commits. */
static dc_status audit_bulk(dc_api *api, const char *actor, const char *action, const char *object,
                            const char *recipients, json_t *detail)
{
    return append_audit(api, NULL, actor, action, object, recipients, detail, NULL);
}

json_t *dc_api_receipt_json(const dc_audit_record *r)
{
    char hash[2 * DC_HASH_BYTES + 1], sig[2 * DC_SIGNATURE_BYTES + 1];
    dc_hex(r->hash, DC_HASH_BYTES, hash);
    dc_hex(r->signature, DC_SIGNATURE_BYTES, sig);
    return json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)r->seq, "hash", hash, "signature", sig);
}

/* ---- objects ---- */

static int kind_of_collection(const char *name, size_t len, dc_object_kind *kind)
{
    static const struct {
        const char *name;
        dc_object_kind kind;
    } collections[] = {{"intents", DC_KIND_INTENT},
                       {"hazards", DC_KIND_HAZARD},
                       {"zones", DC_KIND_ZONE},
                       {"sites", DC_KIND_SITE}};
    for (size_t i = 0; i < 4; i++)
        if (strlen(collections[i].name) == len && strncmp(name, collections[i].name, len) == 0) {
            *kind = collections[i].kind;
            return 1;
        }
    return 0;
}

/* Whether volume `v` lies where one of a message's coordinates (its stored body) said: its outline
 * covers the coordinate, or its centre (a circle's; a polygon's bounding cap's) is within
 * DC_API_READBACK_TOLERANCE_M of it, or within the side of the MGRS square it was written as,
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
        double tolerance = DC_API_READBACK_TOLERANCE_M, distance = 0;
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

/* The read-backs a response echoes: the first DC_API_MAX_READBACKS, and how many were left out.
 * Each costs ~150 bytes for a coordinate of ~20, so echoing them all multiplied a large body
 * twentyfold; the first ones let the sender check its notation, the stored object has the rest. */
static void set_readbacks(json_t *doc, json_t *readbacks)
{
    size_t n = json_array_size(readbacks);
    if (n <= DC_API_MAX_READBACKS) {
        json_object_set(doc, "readback", readbacks);
        return;
    }
    json_t *first = json_array();
    for (size_t i = 0; i < DC_API_MAX_READBACKS; i++)
        json_array_append(first, json_array_get(readbacks, i));
    json_object_set_new(doc, "readback", first);
    json_object_set_new(doc, "readback_omitted",
                        json_integer((json_int_t)(n - DC_API_MAX_READBACKS)));
}

/* What a submission must satisfy before and again at its write, in the transaction that is open:
 * its own earlier version is the one it names, its
 * direct-line message is confirmed and its volumes lie where the message said, and its key and
 * priority ceiling stand. 0 with *existing filled (*have_existing) when all hold; otherwise -1
 * with the answer in `res`, the transaction rolled back and *existing empty. */
static int admit_submission(dc_api *api, const dc_api_request *req, const dc_submission *sub,
                            dc_object *o, dc_record *existing, int *have_existing,
                            dc_api_response *res)
{
    /* an object is (kind, owner, id): another party's object under this id, visible or not,
     * is another object, and never stops this party from using the id (no squatting) */
    *have_existing = 0;
    dc_status rc = dc_store_object_get(api->svc.store, o->kind, o->owner, o->id, existing);
    *have_existing = rc == DC_OK;
    if (rc == DC_NOT_FOUND)
        rc = DC_OK;
    if (rc != DC_OK) {
        dc_store_rollback(api->svc.store);
        store_failure(res);
        return -1;
    }
    int64_t current = *have_existing ? existing->object.version : 0;
    char detail[256];
    if (*have_existing && existing->object.emergency != DC_EMERGENCY_NONE) {
        dc_api_problem(res, 409, DC_CONFLICT, NULL,
                       "this id names an emergency: renew or end it under /v1/emergencies");
        goto refused;
    }
    if (dc__api_preconditions(req, *have_existing ? current : -1, 0, res) != 0)
        goto refused;
    /* If-Match that held names the current version as "version" in the body would */
    int versioned = sub->has_version || req->if_match != NULL;
    if ((*have_existing && (!versioned || (sub->has_version && sub->version != current))) ||
        (!*have_existing && sub->has_version && sub->version != 0)) {
        snprintf(detail, sizeof detail,
                 *have_existing ? "the object is at version %lld; send it as \"version\" (or "
                                  "If-Match: \"%lld\")"
                                : "the object does not exist (version %lld)",
                 (long long)current, (long long)current);
        dc_api_problem(res, 409, DC_STALE, "/version", detail);
        goto refused;
    }
    if (sub->from_message > 0) {
        /* coordinates from the direct line only once their read-back was confirmed, and only
         * where they said */
        dc_message m;
        int ok = dc_store_message_get(api->svc.store, sub->from_message, &m) == DC_OK;
        int mine = ok && (strcmp(m.sender, o->owner) == 0 || strcmp(m.recipient, o->owner) == 0);
        int confirmed = mine && m.acknowledged;
        size_t astray = confirmed ? volume_off_message(o, m.body) : 0;
        if (ok)
            dc_free(m.body);
        if (astray > 0) {
            snprintf(detail, sizeof detail,
                     "volume %zu lies outside what message %lld said: it covers none of the "
                     "message's coordinates and its centre is farther than %.0f m (or the "
                     "coordinate's MGRS square) from each",
                     astray - 1, (long long)sub->from_message, DC_API_READBACK_TOLERANCE_M);
            dc_api_problem(res, 400, DC_INVALID, "/from_message", detail);
            goto refused;
        }
        if (!confirmed) {
            dc_api_problem(res, mine ? 409 : 404, mine ? DC_CONFLICT : DC_NOT_FOUND,
                           "/from_message",
                           mine ? "the message's coordinates have not been confirmed by read-back"
                                : "no such message between you and another party");
            goto refused;
        }
    }
    /* The submitter as this transaction sees it: a key revoked or a ceiling lowered since the
     * request was authenticated applies now. */
    dc_party submitter;
    memset(&submitter, 0, sizeof submitter);
    rc = dc_store_party_get(api->svc.store, o->owner, &submitter);
    if (rc != DC_OK || !submitter.key_active || o->priority > submitter.priority_ceiling) {
        snprintf(detail, sizeof detail,
                 "priority %d is above your ceiling of %d; the operator grants higher ones",
                 o->priority, submitter.priority_ceiling);
        if (rc != DC_OK && rc != DC_NOT_FOUND)
            store_failure(res);
        else if (rc != DC_OK || !submitter.key_active)
            dc_api_problem(res, 401, DC_FORBIDDEN, NULL, "this key has been revoked");
        else
            dc_api_problem(res, 403, DC_FORBIDDEN, "/priority", detail);
        goto refused;
    }
    /* a zone restricts intents and hazards up to its owner's ceiling, no higher: without it any
     * party could make any airspace replan whatever the priorities the operator granted */
    if (o->kind == DC_KIND_ZONE)
        o->priority = submitter.priority_ceiling;
    return 0;
refused:
    dc_store_rollback(api->svc.store);
    if (*have_existing)
        dc_record_clear(existing);
    *have_existing = 0;
    return -1;
}

/* How often a write finds its candidates changed since it decided, and tries again, before it
 * answers 503: each attempt is a whole decision, and only a busy neighbourhood changes under it. */
#define PUT_ATTEMPTS 4

/* A submission is decided in three steps so that no store lock is held while geometry is
 * computed (DESIGN.md: "heavy geometry runs outside any store-wide lock"): under a short read
 * transaction its checks and its candidates; with no lock the engine's decision; under the write
 * lock the checks again, and a re-read of the candidates' stamps (rows, versions, write times,
 * no geometry). The write proceeds only if they are the ones decided against; otherwise it
 * decides again. So two conflicting submissions still cannot both be accepted: the second to
 * take the write lock sees the first among its candidates and starts over. */
static void put_object_decided(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                               const char *id, dc_api_response *res);

static void put_object(dc_api *api, const dc_api_request *req, dc_object_kind kind, const char *id,
                       dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    int heavy = req->body_length > DC_API_HEAVY_BODY;
    if (heavy && dc__heavy_enter(&api->heavy, res) != 0)
        return;
    put_object_decided(api, req, kind, id, res);
    if (heavy)
        dc__heavy_leave(&api->heavy);
}

static void put_object_decided(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                               const char *id, dc_api_response *res)
{
    dc_geom *geom = NULL;
    dc_submission sub;
    dc_error err = {0};
    if (dc_geom_new(&geom) != DC_OK) {
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        return;
    }
    if (dc_api_decode_submission(geom, kind, req->body, req->body_length, &sub, &err) != DC_OK) {
        bad_input(res, &err);
        dc_geom_free(geom);
        return;
    }
    dc_object *o = &sub.object;
    dc_copy_text(o->id, sizeof o->id, id);
    dc_copy_text(o->owner, sizeof o->owner, req->party.name);
    char ref[192];
    dc_object_ref(kind, o->owner, o->id, ref, sizeof ref);
    /* Readers get the object as declared; a site is deconflicted against its keep-out disc
     * (disclosure.h), which alone is stored for candidate search. */
    json_t *declared = dc_api_object_json(o, sub.is_public, sub.hazard_kind, sub.route);
    const dc_volume *declared_volumes = o->volumes;
    dc_volume keepout;
    memset(&keepout, 0, sizeof keepout);

    dc_record existing;
    dc_record_list candidates = {0};
    dc_candidate_stamps decided = {0}, now_stamps = {0};
    dc_check_result result = {0};
    dc_accepted_conflict *accepted = NULL;
    json_t *notices_out = json_array();
    int have_existing = 0;
    dc_status rc;
    memset(&existing, 0, sizeof existing);
    if (kind == DC_KIND_SITE) {
        double radius = json_number_value(json_object_get(sub.route, "radius"));
        if (dc_disclosure_site_keepout(api->svc.site_secret, o->owner, o->id, &o->volumes[0],
                                       radius, &keepout) != DC_OK) {
            dc_api_problem(res, 400, DC_RANGE, "/radius",
                           "the site is too large to protect: split it into smaller sites");
            goto done;
        }
        o->volumes = &keepout;
    }
    for (int attempt = 0;; attempt++) {
        if (attempt == PUT_ATTEMPTS) {
            dc_api_problem(res, 503, DC_BUSY, NULL,
                           "the objects around this one kept changing while it was checked; "
                           "nothing was written: send it again");
            res->retry_after_s = 1;
            goto done;
        }
        /* 1. checks and candidates, under a read transaction */
        if (dc_store_begin(api->svc.store, 0) != DC_OK) {
            store_failure(res);
            goto done;
        }
        if (admit_submission(api, req, &sub, o, &existing, &have_existing, res) != 0)
            goto done;
        if (have_existing)
            dc_record_clear(&existing);
        have_existing = 0;
        rc = dc_store_candidates(api->svc.store, o, &candidates);
        if (rc == DC_OK)
            rc = dc_candidate_stamps_of(&candidates, &decided);
        dc_store_rollback(api->svc.store); /* a read: nothing to commit */
        if (rc != DC_OK) {
            store_failure(res);
            goto done;
        }
        /* 2. the decision, with no lock held */
        const dc_object **cands = dc_calloc(candidates.count + 1, sizeof *cands);
        accepted = dc_calloc(sub.accept_count + 1, sizeof *accepted);
        if (cands == NULL || accepted == NULL) {
            dc_free(cands);
            dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
            goto done;
        }
        size_t accept_n = 0;
        for (size_t i = 0; i < candidates.count; i++) {
            cands[i] = &candidates.items[i].object;
            char key[40];
            dc_api_conflict_key(api->svc.conflict_key_secret, cands[i], key);
            for (size_t k = 0; k < sub.accept_count; k++)
                if (strcmp(key, sub.accept_keys[k]) == 0 && accept_n < sub.accept_count) {
                    snprintf(accepted[accept_n].owner, DC_ID_MAX, "%s", cands[i]->owner);
                    snprintf(accepted[accept_n].object_id, DC_ID_MAX, "%s", cands[i]->id);
                    accepted[accept_n].kind = cands[i]->kind;
                    accepted[accept_n++].version = cands[i]->version;
                }
        }
        dc_check_options options = {0, accept_n, accepted};
        uint64_t work = 0;
        dc_engine_work(o, &options, cands, candidates.count, &work);
        if (work > api->svc.work_budget) {
            dc_free(cands);
            char detail[256];
            snprintf(detail, sizeof detail,
                     "checking this object against what it may touch costs %llu units of work; "
                     "at most %llu: use fewer or simpler outlines (a convex outline costs the "
                     "sum of the vertices, two others their product)",
                     (unsigned long long)work, (unsigned long long)api->svc.work_budget);
            dc_api_problem(res, 422, DC_LIMIT, "/volumes", detail);
            goto done;
        }
        rc = dc_engine_check(geom, o, &options, cands, candidates.count, &result, &err);
        dc_free(cands);
        if (rc != DC_OK) {
            if (rc == DC_INVALID)
                bad_input(res, &err);
            else
                dc_api_problem(res, 500, rc, NULL, err.message);
            goto done;
        }
        /* 3. the write, if nothing it was decided against has changed */
        if (dc_store_begin(api->svc.store, 1) != DC_OK) {
            store_failure(res);
            goto done;
        }
        if (admit_submission(api, req, &sub, o, &existing, &have_existing, res) != 0)
            goto done;
        if (dc_store_candidate_stamps(api->svc.store, o, &now_stamps) != DC_OK) {
            dc_store_rollback(api->svc.store);
            store_failure(res);
            goto done;
        }
        if (dc_candidate_stamps_equal(&decided, &now_stamps))
            break;
        dc_store_rollback(api->svc.store);
        if (have_existing)
            dc_record_clear(&existing);
        have_existing = 0;
        dc_check_result_clear(&result);
        dc_record_list_clear(&candidates);
        dc_free(accepted);
        accepted = NULL;
    }
    o->version = (have_existing ? existing.object.version : 0) + 1;
    /* What the submitter and each counterpart are told: the disclosure policy's answer,
     * audited (notices.c). It may refuse a hazard near a site its owner has been probing. */
    dc_time_us now = dc_api_now();
    int decision = result.accepted;
    rc = dc_api_disclose_conflicts(api, o, ref, &result, &decision, notices_out);
    result.accepted = decision;
    if (rc != DC_OK) {
        dc_store_rollback(api->svc.store);
        store_failure(res);
        goto done;
    }
    if (!result.accepted) {
        /* Nothing is written but the disclosures just made. */
        dc_api_audit(api, o->owner, "refused", ref, "",
                     json_pack("{s:s}", "kind", dc_kind_name(kind)), NULL);
        if (dc_store_commit(api->svc.store) != DC_OK) {
            store_failure(res);
            goto done;
        }
        dc_api_problem(res, 409, DC_CONFLICT, NULL,
                       "the object conflicts with objects it must yield to; see notices");
        json_object_set(res->json, "notices", notices_out);
        set_readbacks(res->json, sub.readbacks);
        goto done;
    }
    dc_record rec;
    memset(&rec, 0, sizeof rec);
    rec.object = *o;
    rec.is_public = sub.is_public;
    rec.created = have_existing ? existing.created : now;
    rec.updated = now;
    json_object_set_new(declared, "version", json_integer(o->version));
    rec.body = json_dumps(declared, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    uint8_t digest[DC_HASH_BYTES];
    char digest_hex[2 * DC_HASH_BYTES + 1];
    dc_audit_record write;
    rc = rec.body ? dc_store_object_put(api->svc.store, &rec) : DC_NOMEM;
    if (rc == DC_OK)
        rc = dc_store_object_digest(api->svc.store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, digest_hex);
        char action[32];
        snprintf(action, sizeof action, "%s.put", dc_kind_name(kind));
        json_t *detail = json_pack("{s:I,s:s,s:s}", "version", (json_int_t)o->version, "state",
                                   dc_state_name(o->state), "digest", digest_hex);
        if (sub.from_message > 0) /* where its coordinates came from, for whoever asks later */
            json_object_set_new(detail, "from_message", json_integer(sub.from_message));
        rc = dc_api_audit(api, o->owner, action, ref, "", detail, &write);
    }
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        free(rec.body);
        store_failure(res);
        goto done;
    }
    if ((kind == DC_KIND_ZONE || kind == DC_KIND_INTENT) && api->svc.monitor != NULL) {
        pthread_mutex_lock(&api->svc.monitor_lock);
        if (kind == DC_KIND_ZONE) {
            dc_monitor_remove_zone(api->svc.monitor, o->owner, o->id);
            dc_monitor_add_zone_object(api->svc.monitor, o);
        } else if (dc_monitor_watch_intent(api->svc.monitor, o) != DC_OK) {
            fprintf(stderr, "deconflictd: out of memory: intent %s/%s is not watched\n", o->owner,
                    o->id);
        }
        pthread_mutex_unlock(&api->svc.monitor_lock);
    }
    res->status = have_existing ? 200 : 201;
    dc__api_etag(res, o->version);
    res->json = json_loads(rec.body, 0, NULL);
    free(rec.body);
    json_object_set_new(res->json, "receipt", dc_api_receipt_json(&write));
    json_object_set(res->json, "notices", notices_out);
    set_readbacks(res->json, sub.readbacks);
    snprintf(res->location, sizeof res->location, "/v1/%ss/%s", dc_kind_name(kind), id);
done:
    if (have_existing)
        dc_record_clear(&existing);
    dc_free(accepted);
    json_decref(notices_out);
    dc_check_result_clear(&result);
    dc_record_list_clear(&candidates);
    dc_candidate_stamps_clear(&decided);
    dc_candidate_stamps_clear(&now_stamps);
    json_decref(declared);
    o->volumes = declared_volumes;
    dc_volume_clear(&keepout);
    dc_api_submission_clear(&sub);
    dc_geom_free(geom);
}

/* Reading another party's object through a grant is a disclosure. */
static dc_status audit_read(dc_api *api, const char *reader, const dc_record *r)
{
    char ref[192];
    dc_object_ref(r->object.kind, r->object.owner, r->object.id, ref, sizeof ref);
    return dc_api_audit(api, reader, "read", ref, reader,
                        json_pack("{s:I}", "version", (json_int_t)r->object.version), NULL);
}

static void get_object(dc_api *api, const dc_api_request *req, dc_object_kind kind, const char *id,
                       dc_api_response *res)
{
    dc_record r;
    json_t *body = NULL;
    /* Reading one's own object is not audited: a read transaction, beside the writer. */
    if (dc_store_begin(api->svc.store, 0) != DC_OK) {
        store_failure(res);
        return;
    }
    dc_status rc = dc_store_object_get(api->svc.store, kind, req->party.name, id, &r);
    if (rc == DC_OK) {
        body = json_loads(r.body, 0, NULL);
        dc__api_emergency_overlay(api, &r, body);
        dc_record_clear(&r);
    }
    dc_store_rollback(api->svc.store);
    if (rc == DC_NOT_FOUND) {
        /* Another party's, public or through a grant: a read through a grant is audited, in the
         * same transaction as the read. */
        if (dc_store_begin(api->svc.store, 1) != DC_OK) {
            store_failure(res);
            return;
        }
        rc = dc_store_object_visible(api->svc.store, kind, id, req->party.name, &r);
        if (rc == DC_OK) {
            if (dc_store_grant_exists(api->svc.store, r.object.owner, req->party.name, kind) ==
                DC_OK)
                rc = audit_read(api, req->party.name, &r);
            if (rc == DC_OK) {
                body = json_loads(r.body, 0, NULL);
                dc__api_emergency_overlay(api, &r, body);
            }
            dc_record_clear(&r);
        }
        if (rc == DC_OK && dc_store_commit(api->svc.store) != DC_OK)
            rc = DC_STORE;
        if (rc != DC_OK)
            dc_store_rollback(api->svc.store);
    }
    if (rc == DC_OK) {
        json_int_t version = json_integer_value(json_object_get(body, "version"));
        res->status = 200;
        res->json = body;
        dc__api_etag(res, version);
        dc__api_preconditions(req, version, 1, res); /* 304 or 412 in `res` when one fails */
        return;
    }
    json_decref(body);
    if (rc == DC_NOT_FOUND)
        dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such object");
    else
        store_failure(res);
}

static void delete_object(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                          const char *id, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
        return;
    }
    dc_record r;
    if (req->if_match != NULL || req->if_none_match != NULL) {
        int64_t version = -1;
        if (dc_store_object_get(api->svc.store, kind, req->party.name, id, &r) == DC_OK) {
            version = r.object.version;
            dc_record_clear(&r);
        }
        if (dc__api_preconditions(req, version, 0, res) != 0) {
            dc_store_rollback(api->svc.store);
            return;
        }
    }
    dc_status rc = dc_store_object_delete(api->svc.store, kind, req->party.name, id);
    if (rc == DC_NOT_FOUND) {
        int visible =
            dc_store_object_visible(api->svc.store, kind, id, req->party.name, &r) == DC_OK;
        if (visible)
            dc_record_clear(&r);
        dc_store_rollback(api->svc.store);
        if (visible)
            dc_api_problem(res, 403, DC_FORBIDDEN, NULL, "this object belongs to another party");
        else
            dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such object");
        return;
    }
    char ref[192], action[32];
    dc_object_ref(kind, req->party.name, id, ref, sizeof ref);
    snprintf(action, sizeof action, "%s.delete", dc_kind_name(kind));
    dc_audit_record write;
    if (rc == DC_OK)
        rc = dc_api_audit(api, req->party.name, action, ref, "", NULL, &write);
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        store_failure(res);
        return;
    }
    if ((kind == DC_KIND_ZONE || kind == DC_KIND_INTENT) && api->svc.monitor != NULL) {
        pthread_mutex_lock(&api->svc.monitor_lock);
        if (kind == DC_KIND_ZONE)
            dc_monitor_remove_zone(api->svc.monitor, req->party.name, id);
        else
            dc_monitor_unwatch_intent(api->svc.monitor, req->party.name, id);
        pthread_mutex_unlock(&api->svc.monitor_lock);
    }
    res->status = 200;
    res->json = json_pack("{s:s,s:s,s:o}", "id", id, "deleted", "true", "receipt",
                          dc_api_receipt_json(&write));
}

/* One audit record for a list read that disclosed others' objects through grants (`names`,
 * `versions`): it names them all and is indexed under each, so that `audit who-saw` and the
 * audit of each object find it. Nothing when none was disclosed. */
static dc_status audit_list_read(dc_api *api, const char *reader, const char *action,
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
        rc = append_audit(api, NULL, reader, action, object, reader, detail, r);
        detail = NULL; /* append_audit took it */
    }
    for (size_t i = 0; rc == DC_OK && i < n; i++)
        refs[i] = json_string_value(json_array_get(names, i));
    if (rc == DC_OK)
        rc = dc_store_audit_names(api->svc.store, r->seq, refs, n);
    json_decref(detail);
    dc_free(refs);
    dc_free(r);
    return rc;
}

static void list_objects(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                         dc_api_response *res)
{
    static const char *const params[] = {"area", "from", "to", NULL};
    const char *area = req->query(req->query_ctx, "area"),
               *from = req->query(req->query_ctx, "from"), *to = req->query(req->query_ctx, "to");
    dc_box4 box;
    dc_error err;
    dc_page page;
    char list[16];
    snprintf(list, sizeof list, "%ss", dc_kind_name(kind));
    int filtered = area != NULL || from != NULL || to != NULL;
    if (filtered && dc_api_parse_area(area, from, to, &box, &err) != DC_OK) {
        bad_input(res, &err);
        return;
    }
    if (dc__page_parse(api, req, list, "", &page, res) != 0)
        return;
    dc_record_list records = {0};
    if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
        return;
    }
    dc_status rc =
        dc_store_object_page(api->svc.store, kind, req->party.name, filtered ? &box : NULL,
                             page.after, page.limit + 1, &records);
    size_t shown = records.count > page.limit ? page.limit : records.count;
    json_t *items = json_array(), *names = json_array(), *versions = json_array();
    for (size_t i = 0; rc == DC_OK && i < shown; i++) {
        const dc_record *r = &records.items[i];
        if (strcmp(r->object.owner, req->party.name) != 0 &&
            dc_store_grant_exists(api->svc.store, r->object.owner, req->party.name, kind) ==
                DC_OK) {
            char ref[192];
            dc_object_ref(r->object.kind, r->object.owner, r->object.id, ref, sizeof ref);
            json_array_append_new(names, json_string(ref));
            json_array_append_new(versions, json_integer((json_int_t)r->object.version));
        }
        json_t *body = json_loads(r->body, 0, NULL);
        dc__api_emergency_overlay(api, r, body);
        json_array_append_new(items, body);
    }
    /* reads through grants are disclosures: one record for the page, naming each object */
    if (rc == DC_OK)
        rc = audit_list_read(api, req->party.name, "read", list, names,
                             json_pack("{s:o}", "versions", versions));
    else
        json_decref(versions);
    json_decref(names);
    int64_t last = shown > 0 ? records.items[shown - 1].row : 0;
    int more = records.count > page.limit;
    dc_record_list_clear(&records);
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        json_decref(items);
        store_failure(res);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", items);
    if (more)
        dc__page_next(api, req, list, "", params, last, NULL, &page, res);
}

/* ---- parties, grants, notices, audit ---- */

static json_t *parse_body(const dc_api_request *req, dc_api_response *res,
                          const char *const *fields)
{
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_length, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        char detail[256];
        snprintf(detail, sizeof detail,
                 root ? "the body must be a JSON object"
                      : "malformed JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        dc_api_problem(res, 400, DC_INVALID, "", detail);
        json_decref(root);
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        int known = 0;
        for (int i = 0; fields[i] && !known; i++)
            known = strcmp(key, fields[i]) == 0;
        if (!known) {
            char pointer[96], detail[128];
            snprintf(pointer, sizeof pointer, "/%.60s", key);
            snprintf(detail, sizeof detail, "unknown field '%.60s'", key);
            dc_api_problem(res, 400, DC_INVALID, pointer, detail);
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

static const char *const notations[] = {"dd", "dm", "dms", "mgrs", "utm", NULL};

/* ---- parties, as the operator manages them ---- */

/* A party as the operator sees it (never its key, which is shown once, when issued). */
static json_t *party_json(const dc_party *p)
{
    char t[32];
    json_t *created =
        dc_time_format(p->created, t, sizeof t) == DC_OK ? json_string(t) : json_null();
    json_t *limits = json_object();
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        /* null: the server's default (deconflictd --rate-*) */
        json_t *one = json_object();
        const dc_rate *l = &p->limits[c];
        json_object_set_new(one, "per_s", l->per_s > 0 ? json_real(l->per_s) : json_null());
        json_object_set_new(one, "burst", l->burst > 0 ? json_real(l->burst) : json_null());
        json_object_set_new(limits, dc_rate_class_name((dc_rate_class)c), one);
    }
    return json_pack("{s:s,s:s,s:i,s:s,s:o,s:o}", "name", p->name, "notation", p->notation,
                     "priority_ceiling", p->priority_ceiling, "key",
                     p->key_active ? "active" : "revoked", "created", created, "limits", limits);
}

/* "limits": {"writes": {"per_s": R, "burst": B} or null, ...}: the classes named change, null
 * (or a null member) going back to the server's default. 0, or -1 with a 400 in `res`. */
static int limits_of(json_t *value, dc_rate limits[DC_RATE_CLASSES], int set[DC_RATE_CLASSES],
                     dc_api_response *res)
{
    memset(limits, 0, DC_RATE_CLASSES * sizeof *limits);
    memset(set, 0, DC_RATE_CLASSES * sizeof *set);
    if (!json_is_object(value)) {
        dc_api_problem(res, 400, DC_INVALID, "/limits",
                       "an object: {\"writes\"|\"messages\"|\"reports\": {\"per_s\": number, "
                       "\"burst\": number} or null}");
        return -1;
    }
    const char *key;
    json_t *one;
    json_object_foreach(value, key, one)
    {
        int c = 0;
        while (c < DC_RATE_CLASSES && strcmp(key, dc_rate_class_name((dc_rate_class)c)) != 0)
            c++;
        char pointer[96];
        snprintf(pointer, sizeof pointer, "/limits/%.60s", key);
        if (c == DC_RATE_CLASSES) {
            dc_api_problem(res, 400, DC_INVALID, pointer, "one of writes, messages, reports");
            return -1;
        }
        set[c] = 1;
        if (json_is_null(one))
            continue;
        json_t *r = json_object_get(one, "per_s"), *b = json_object_get(one, "burst");
        if (!json_is_object(one) || json_object_size(one) != (size_t)((r != NULL) + (b != NULL)) ||
            (r != NULL && !json_is_null(r) && !json_is_number(r)) ||
            (b != NULL && !json_is_null(b) && !json_is_number(b))) {
            dc_api_problem(res, 400, DC_INVALID, pointer,
                           "{\"per_s\": number or null, \"burst\": number or null}");
            return -1;
        }
        limits[c].per_s = json_is_number(r) ? json_number_value(r) : 0;
        limits[c].burst = json_is_number(b) ? json_number_value(b) : 0;
        if (limits[c].per_s < 0 || limits[c].burst < 0) {
            dc_api_problem(res, 400, DC_RANGE, pointer, "rates and bursts are positive");
            return -1;
        }
    }
    return 0;
}

/* A refused party-admin use case: what went wrong, and nothing changed. `in_path` says the name
 * came from the URL, not the body (so no pointer names it). */
static void party_admin_failure(dc_api_response *res, dc_status rc, const dc_error *err,
                                int in_path)
{
    if (rc == DC_NOT_FOUND)
        dc_api_problem(res, 404, rc, NULL, err->message);
    else if (rc == DC_CONFLICT)
        dc_api_problem(res, 409, rc, in_path ? NULL : "/name", err->message);
    else if ((rc == DC_INVALID || rc == DC_RANGE) && !(in_path && strcmp(err->field, "name") == 0))
        bad_input(res, err);
    else if (rc == DC_INVALID || rc == DC_RANGE)
        dc_api_problem(res, 400, rc, NULL, err->message);
    else
        dc_api_problem(res, 500, rc, NULL, err->message);
}

/* The result of a use case: the party, the key when one was issued, the receipt. */
static void party_admin_done(dc_api_response *res, int status, const dc_party_admin_result *r)
{
    res->status = status;
    res->json = party_json(&r->party);
    if (r->key[0] != '\0')
        json_object_set_new(res->json, "key", json_string(r->key));
    json_object_set_new(res->json, "receipt", dc_api_receipt_json(&r->receipt));
}

/* A priority ceiling from a body member: an integer in range, or 400 naming it. */
static int ceiling_of(json_t *value, int *out, dc_api_response *res)
{
    json_int_t v = json_integer_value(value);
    if (!json_is_integer(value) || v < DC_PRIORITY_MIN || v > DC_PRIORITY_MAX) {
        char detail[96];
        snprintf(detail, sizeof detail, "an integer within %d..%d", DC_PRIORITY_MIN,
                 DC_PRIORITY_MAX);
        dc_api_problem(res, 400, json_is_integer(value) ? DC_RANGE : DC_INVALID,
                       "/priority_ceiling", detail);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static void create_party(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"name", "notation", "priority_ceiling", NULL};
    json_t *root = parse_body(req, res, fields);
    if (root == NULL)
        return;
    json_t *name = json_object_get(root, "name"), *notation = json_object_get(root, "notation"),
           *ceiling = json_object_get(root, "priority_ceiling");
    int priority_ceiling = -1; /* the default */
    dc_party_admin_result r;
    dc_error err;
    if (!json_is_string(name)) {
        dc_api_problem(res, 400, DC_INVALID, "/name", "1 to 63 of A-Z a-z 0-9 . _ -");
    } else if (notation != NULL && !json_is_string(notation)) {
        dc_api_problem(res, 400, DC_INVALID, "/notation", "one of dd, dm, dms, mgrs, utm");
    } else if (ceiling == NULL || ceiling_of(ceiling, &priority_ceiling, res) == 0) {
        dc_status rc = dc_party_admin_create(api->svc.store, api->svc.secret_key, "operator",
                                             json_string_value(name), json_string_value(notation),
                                             priority_ceiling, &r, &err);
        if (rc == DC_OK)
            party_admin_done(res, 201, &r);
        else
            party_admin_failure(res, rc, &err, 0);
        sodium_memzero(r.key, sizeof r.key);
    }
    json_decref(root);
}

/* The {name} of /v1/parties/{name}[/...]: a valid party name, or 400. */
int dc__api_party_in_path(const dc_api_request *req, char name[DC_ID_MAX], dc_api_response *res)
{
    const char *p = req->path + strlen("/v1/parties/");
    size_t n = strcspn(p, "/");
    if (n > 0 && n < DC_ID_MAX) {
        memcpy(name, p, n);
        name[n] = '\0';
        if (dc_party_name_valid(name))
            return 0;
    }
    dc_api_problem(res, 400, DC_INVALID, NULL, "a party name is 1 to 63 of A-Z a-z 0-9 . _ -");
    return -1;
}

/* The key routes take no body, or an empty JSON object. */
static int no_body(const dc_api_request *req, dc_api_response *res)
{
    static const char *const none[] = {NULL};
    if (req->body_length == 0)
        return 0;
    json_t *root = parse_body(req, res, none);
    json_decref(root);
    return root == NULL ? -1 : 0;
}

struct party_page {
    json_t *items;
    const dc_page *page;
    size_t seen;
    char last[DC_ID_MAX]; /* the name the page ends at */
};

static int add_party(void *ctx, const dc_party *p)
{
    struct party_page *pp = ctx;
    if (pp->page->has_cursor && strcmp(p->name, pp->page->key) <= 0)
        return 0;
    if (++pp->seen > pp->page->limit)
        return 1; /* one past the page: there is a next one */
    json_array_append_new(pp->items, party_json(p));
    dc_copy_text(pp->last, sizeof pp->last, p->name);
    return 0;
}

/* GET /v1/parties (the operator): every party by name, a page at a time. */
static void list_parties(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "parties", "", &page, res) != 0)
        return;
    struct party_page pp = {json_array(), &page, 0, ""};
    dc_status rc = dc_store_begin(api->svc.store, 0);
    if (rc == DC_OK) {
        rc = dc_store_parties(api->svc.store, add_party, &pp);
        dc_store_rollback(api->svc.store);
    }
    if (rc != DC_OK && rc != DC_CONFLICT) { /* DC_CONFLICT: the walk stopped past the page */
        json_decref(pp.items);
        store_failure(res);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", pp.items);
    if (pp.seen > page.limit)
        dc__page_next(api, req, "parties", "", NULL, 0, pp.last, &page, res);
}

static void get_party(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    char name[DC_ID_MAX];
    dc_party p;
    if (dc__api_party_in_path(req, name, res) != 0)
        return;
    if (dc_store_begin(api->svc.store, 0) != DC_OK) {
        store_failure(res);
        return;
    }
    dc_status rc = dc_store_party_get(api->svc.store, name, &p);
    dc_store_commit(api->svc.store);
    if (rc == DC_OK) {
        res->status = 200;
        res->json = party_json(&p);
    } else if (rc == DC_NOT_FOUND) {
        dc_api_problem(res, 404, rc, NULL, "no such party");
    } else {
        store_failure(res);
    }
}

static void set_party(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"priority_ceiling", "limits", NULL};
    char name[DC_ID_MAX];
    if (dc__api_party_in_path(req, name, res) != 0)
        return;
    json_t *root = parse_body(req, res, fields);
    if (root == NULL)
        return;
    json_t *ceiling = json_object_get(root, "priority_ceiling"),
           *limits = json_object_get(root, "limits");
    int priority_ceiling = 0, set[DC_RATE_CLASSES];
    dc_rate rates[DC_RATE_CLASSES];
    dc_party_admin_result r;
    dc_error err;
    if (ceiling == NULL && limits == NULL) {
        dc_api_problem(res, 400, DC_INVALID, "/priority_ceiling",
                       "priority_ceiling or limits is required");
    } else if (ceiling != NULL && limits != NULL) {
        /* two use cases, two receipts: one change a request */
        dc_api_problem(res, 400, DC_INVALID, "/limits",
                       "priority_ceiling and limits are changed by separate requests");
    } else if (limits != NULL) {
        if (limits_of(limits, rates, set, res) == 0) {
            dc_status rc = dc_party_admin_set_limits(api->svc.store, api->svc.secret_key,
                                                     "operator", name, rates, set, &r, &err);
            if (rc == DC_OK)
                party_admin_done(res, 200, &r);
            else
                party_admin_failure(res, rc, &err, 1);
        }
    } else if (ceiling_of(ceiling, &priority_ceiling, res) == 0) {
        dc_status rc = dc_party_admin_set_ceiling(api->svc.store, api->svc.secret_key, "operator",
                                                  name, priority_ceiling, &r, &err);
        if (rc == DC_OK) {
            party_admin_done(res, 200, &r);
            json_object_set_new(res->json, "previous_priority_ceiling",
                                json_integer(r.previous_ceiling));
        } else {
            party_admin_failure(res, rc, &err, 1);
        }
    }
    json_decref(root);
}

/* A key rotated or revoked: the same request, another use case. */
static void change_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res,
                             dc_status (*change)(dc_store *, const uint8_t *, const char *,
                                                 const char *, dc_party_admin_result *, dc_error *))
{
    char name[DC_ID_MAX];
    dc_party_admin_result r;
    dc_error err;
    if (dc__api_party_in_path(req, name, res) != 0 || no_body(req, res) != 0)
        return;
    dc_status rc = change(api->svc.store, api->svc.secret_key, "operator", name, &r, &err);
    if (rc == DC_OK)
        party_admin_done(res, 200, &r);
    else
        party_admin_failure(res, rc, &err, 1);
    sodium_memzero(r.key, sizeof r.key); /* a new key leaves only in the response */
}

static void rotate_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    change_party_key(api, req, res, dc_party_admin_rotate_key);
}

static void revoke_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    change_party_key(api, req, res, dc_party_admin_revoke_key);
}

static void set_me(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"notation", NULL};
    json_t *root = parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *notation = json_string_value(json_object_get(root, "notation"));
    int ok = 0;
    for (int i = 0; notation && notations[i] && !ok; i++)
        ok = strcmp(notation, notations[i]) == 0;
    if (!ok) {
        dc_api_problem(res, 400, DC_INVALID, "/notation", "one of dd, dm, dms, mgrs, utm");
    } else if (dc_store_begin(api->svc.store, 1) != DC_OK ||
               dc_store_party_set_notation(api->svc.store, req->party.name, notation) != DC_OK ||
               dc_store_commit(api->svc.store) != DC_OK) {
        dc_store_rollback(api->svc.store);
        store_failure(res);
    } else {
        res->status = 200;
        res->json = json_pack("{s:s,s:s}", "name", req->party.name, "notation", notation);
    }
    json_decref(root);
}

static void change_grant(dc_api *api, const dc_api_request *req, int add, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    static const char *const fields[] = {"grantee", "kind", NULL};
    json_t *root = parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *grantee = json_string_value(json_object_get(root, "grantee"));
    const char *kind_name = json_string_value(json_object_get(root, "kind"));
    dc_object_kind kind;
    if (!dc_party_name_valid(grantee)) {
        dc_api_problem(res, 400, DC_INVALID, "/grantee", "the party to share with");
    } else if (kind_name == NULL || dc_kind_parse(kind_name, &kind) != DC_OK) {
        dc_api_problem(res, 400, DC_INVALID, "/kind", "one of intent, hazard, zone");
    } else if (strcmp(grantee, req->party.name) == 0) {
        dc_api_problem(res, 400, DC_INVALID, "/grantee", "a party cannot grant to itself");
    } else if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
    } else {
        dc_status rc = dc_store_party_exists(api->svc.store, grantee);
        if (rc == DC_OK)
            rc = add ? dc_store_grant_add(api->svc.store, req->party.name, grantee, kind,
                                          dc_api_now())
                     : dc_store_grant_remove(api->svc.store, req->party.name, grantee, kind);
        char ref[192];
        snprintf(ref, sizeof ref, "grant/%s/%s/%s", req->party.name, grantee, kind_name);
        dc_audit_record write;
        if (rc == DC_OK)
            rc = dc_api_audit(api, req->party.name, add ? "grant" : "revoke", ref, grantee, NULL,
                              &write);
        if (rc == DC_NOT_FOUND || rc == DC_CONFLICT) {
            dc_store_rollback(api->svc.store);
            if (rc == DC_CONFLICT)
                dc_api_problem(res, 409, DC_CONFLICT, NULL, "that grant exists already");
            else
                dc_api_problem(res, 404, DC_NOT_FOUND, "/grantee",
                               add ? "no such party" : "no such grant");
        } else if (dc_store_finish(api->svc.store, rc) != DC_OK) {
            store_failure(res);
        } else {
            res->status = add ? 201 : 200;
            res->json =
                json_pack("{s:s,s:s,s:s,s:o}", "grantor", req->party.name, "grantee", grantee,
                          "kind", kind_name, "receipt", dc_api_receipt_json(&write));
        }
    }
    json_decref(root);
}

static int collect_notice(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    json_t *n = json_loads(body, 0, NULL);
    if (n == NULL)
        return 0;
    char t[32];
    json_object_set_new(n, "id", json_integer(id));
    /* the store's own clock wrote it: it formats, but a time that did not would be null */
    json_object_set_new(
        n, "created", dc_time_format(created, t, sizeof t) == DC_OK ? json_string(t) : json_null());
    json_array_append_new(ctx, n);
    return 0;
}

/* An id from a query parameter or header: decimal digits only (no sign, no blanks), at most
 * INT64_MAX; absent is 0. -1 for anything else: strtoll would saturate an overflow to a valid
 * id, and skip blanks and a sign. */
static int parse_after(const char *text, int64_t *out)
{
    int64_t v = 0;
    if (text != NULL && text[0] == '\0')
        return -1;
    for (const char *p = text; p != NULL && *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

struct inbox_page {
    json_t *items;
    size_t limit, seen;
    int64_t last; /* the id of the page's last item */
    int (*collect)(void *, int64_t, const char *, dc_time_us);
};

/* Collects the page's items; the one past the limit only says that more remain. */
static int inbox_item(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    struct inbox_page *p = ctx;
    if (++p->seen > p->limit)
        return 1;
    p->last = id;
    return p->collect(p->items, id, body, created);
}

/* A party's inbox (notices or alerts), oldest first: a page after the cursor, or after the id in
 * `param` (the older way to ask, kept: a cursor and it together are refused). */
static void list_inbox(dc_api *api, const dc_api_request *req, dc_api_response *res, dc_inbox box,
                       const char *param, const char *what,
                       int (*collect)(void *, int64_t, const char *, dc_time_us))
{
    int64_t after = 0;
    const char *list = box == DC_INBOX_ALERTS ? "alerts" : "notices";
    dc_page page;
    const char *given = req->query(req->query_ctx, param);
    if (parse_after(given, &after) != 0) {
        char pointer[16], detail[64];
        snprintf(pointer, sizeof pointer, "/%s", param);
        snprintf(detail, sizeof detail, "%s id (integer >= 0)", what);
        dc_api_problem(res, 400, DC_INVALID, pointer, detail);
        return;
    }
    if (dc__page_parse(api, req, list, "", &page, res) != 0)
        return;
    if (page.has_cursor && given != NULL) {
        char detail[64];
        snprintf(detail, sizeof detail, "either a cursor or %s, not both", param);
        dc_api_problem(res, 400, DC_INVALID, "/cursor", detail);
        return;
    }
    if (page.has_cursor)
        after = page.after;
    struct inbox_page p = {json_array(), page.limit, 0, 0, collect};
    if (dc_store_begin(api->svc.store, 0) != DC_OK ||
        dc_store_inbox(api->svc.store, box, req->party.name, after, page.limit + 1, inbox_item,
                       &p) != DC_OK) {
        dc_store_rollback(api->svc.store);
        json_decref(p.items);
        store_failure(res);
        return;
    }
    dc_store_commit(api->svc.store);
    res->status = 200;
    res->json = json_pack("{s:o}", "items", p.items);
    if (p.seen > page.limit)
        dc__page_next(api, req, list, "", NULL, p.last, NULL, &page, res);
}

static void list_notices(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    list_inbox(api, req, res, DC_INBOX_NOTICES, "after", "a notice", collect_notice);
}

struct audit_view {
    json_t *items;
    const char *viewer; /* NULL: everything (operator or the object's owner) */
    const char *object; /* the object asked about */
    size_t limit, seen;
    int64_t last; /* the seq of the page's last record */
};

static int recipients_include(const char *list, const char *party)
{
    size_t n = strlen(party);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, party, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static int collect_audit(void *ctx, const dc_audit_record *r)
{
    struct audit_view *v = ctx;
    if (v->viewer != NULL && strcmp(r->actor, v->viewer) != 0 &&
        !recipients_include(r->recipients, v->viewer))
        return 0;
    if (++v->seen > v->limit)
        return 1;
    v->last = r->seq;
    char t[32], hash[2 * DC_HASH_BYTES + 1];
    /* the record is shown whatever its time; an unwritable one is null, not a guess */
    json_t *time = dc_time_format(r->time, t, sizeof t) == DC_OK ? json_string(t) : json_null();
    dc_hex(r->hash, DC_HASH_BYTES, hash);
    json_t *detail = json_loads(r->detail, 0, NULL);
    const char *object = r->object;
    if (strcmp(r->object, v->object) != 0 && detail != NULL) {
        /* a list read naming this object among others: the others are not the asker's to
         * see, so it is shown as the read of this object, with the list and how many it named */
        json_t *summary =
            json_pack("{s:s,s:I}", "list", r->object, "objects",
                      (json_int_t)json_array_size(json_object_get(detail, "objects")));
        json_decref(detail);
        detail = summary;
        object = v->object;
    }
    json_array_append_new(v->items,
                          json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:o,s:s}", "seq", (json_int_t)r->seq,
                                    "time", time, "actor", r->actor, "action", r->action, "object",
                                    object, "recipients", r->recipients, "detail",
                                    detail ? detail : json_object(), "hash", hash));
    return 0;
}

static void list_audit(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const params[] = {"object", NULL};
    const char *object = req->query(req->query_ctx, "object");
    /* the bytes of the names an audit record is about (kinds, parties, ids, digests): the
     * answer echoes it, and a byte that is not UTF-8 would leave nothing to answer with */
    static const char object_bytes[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789._-/";
    if (object == NULL || object[0] == '\0' || strlen(object) > 190 ||
        object[strspn(object, object_bytes)] != '\0') {
        dc_api_problem(res, 400, DC_INVALID, "/object",
                       "object=<kind>/<owner>/<id>, as audit records name it");
        return;
    }
    dc_page page;
    if (dc__page_parse(api, req, "audit", object, &page, res) != 0)
        return;
    /* A party sees every record about its own objects, and elsewhere only
     * what it did or was told. */
    char own_prefix[96];
    size_t kind_len = strcspn(object, "/");
    snprintf(own_prefix, sizeof own_prefix, "/%s/", req->party.name);
    int owns = !req->is_operator && strncmp(object + kind_len, own_prefix, strlen(own_prefix)) == 0;
    struct audit_view v = {
        json_array(), req->is_operator || owns ? NULL : req->party.name, object, page.limit, 0, 0};
    if (!req->is_operator && !owns && strncmp(object, "site/", 5) == 0) {
        /* a site is never named to anyone but its owner and those it granted its
         * sites to, not even by what one was told of it */
        char owner[DC_ID_MAX];
        snprintf(owner, sizeof owner, "%.*s", (int)strcspn(object + 5, "/"), object + 5);
        int granted = 0;
        if (dc_store_begin(api->svc.store, 0) == DC_OK) {
            granted = dc_store_grant_exists(api->svc.store, owner, req->party.name, DC_KIND_SITE) ==
                      DC_OK;
            dc_store_commit(api->svc.store);
        }
        if (!granted) {
            res->status = 200;
            res->json = json_pack("{s:s,s:o}", "object", object, "items", v.items);
            return;
        }
    }
    if (dc_store_begin(api->svc.store, 0) != DC_OK ||
        dc_store_audit_walk_after(api->svc.store, object, page.after, collect_audit, &v) != DC_OK) {
        dc_store_rollback(api->svc.store);
        json_decref(v.items);
        store_failure(res);
        return;
    }
    dc_store_commit(api->svc.store);
    res->status = 200;
    res->json = json_pack("{s:s,s:o}", "object", object, "items", v.items);
    if (v.seen > page.limit)
        dc__page_next(api, req, "audit", object, params, v.last, NULL, &page, res);
}

static void health(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)req;
    char pk[2 * DC_PUBLIC_KEY_BYTES + 1];
    dc_hex(api->svc.public_key, DC_PUBLIC_KEY_BYTES, pk);
    res->status = 200;
    res->json = json_pack("{s:s,s:s}", "status", "ok", "audit_public_key", pk);
}

static void metrics(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)req;
    dc__metrics_page(api, res);
}

/* ---- live tracks and alerts ---- */

/* An alert ready to store: each recipient's copy as JSON text and what its audit record says,
 * built before the store is locked (it was a third of the time the store was held). */
struct alert_out {
    size_t n;
    const char *to[2];
    char *text[2];
    json_t *detail; /* kind, level, repetition; the copies' ids join it once stored */
    char ref[128];
    char recipients[2 * DC_ID_MAX + 2];
    char episode[384]; /* what repetitions of this alert share: aircraft, zone or pair, level */
};

static void alerts_out_free(struct alert_out *out, size_t count)
{
    for (size_t i = 0; out != NULL && i < count; i++) {
        for (size_t k = 0; k < out[i].n; k++)
            free(out[i].text[k]);
        json_decref(out[i].detail);
    }
    dc_free(out);
}

static dc_status alerts_out(const dc_alert_list *alerts, struct alert_out **out)
{
    *out = dc_calloc(alerts->count ? alerts->count : 1, sizeof **out);
    if (*out == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < alerts->count; i++) {
        const dc_alert *a = &alerts->items[i];
        struct alert_out *o = &(*out)[i];
        o->n = dc_alert_recipients(a, o->to);
        /* the audit record names what the alert discloses: another party's aircraft, for a
         * separation alert, so that who-saw on that track names its viewers */
        if ((a->kind == DC_ALERT_SEPARATION || a->kind == DC_ALERT_SENSOR) &&
            a->other_party[0] != '\0' && strcmp(a->other_party, a->party) != 0)
            snprintf(o->ref, sizeof o->ref, "track/%s/%s", a->other_party, a->other_aircraft);
        else if (a->kind == DC_ALERT_NEW_AIRCRAFT || a->kind == DC_ALERT_CLOCK)
            snprintf(o->ref, sizeof o->ref, "party/%s", a->party);
        else
            snprintf(o->ref, sizeof o->ref, "track/%s/%s", a->party, a->aircraft);
        snprintf(o->episode, sizeof o->episode, "%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", (int)a->kind,
                 dc_alert_level_name(a->level), a->party, a->aircraft, a->zone_owner, a->zone_id,
                 a->other_party, a->other_aircraft, a->intent_id, a->sensor_party, a->sensor_track);
        for (size_t k = 0; k < o->n; k++) {
            json_t *body = dc_api_alert_json(a, o->to[k]);
            o->text[k] =
                json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
            size_t used = strlen(o->recipients);
            snprintf(o->recipients + used, sizeof o->recipients - used, "%s%s", k > 0 ? "," : "",
                     o->to[k]);
            if (o->detail == NULL)
                o->detail = json_pack("{s:O,s:O,s:O}", "kind", json_object_get(body, "kind"),
                                      "level", json_object_get(body, "level"), "repetition",
                                      json_object_get(body, "repetition"));
            json_decref(body);
            if (o->text[k] == NULL || o->detail == NULL) {
                o->n = k + 1;
                return DC_NOMEM;
            }
        }
    }
    return DC_OK;
}

/* The monitor found a report outside the intent it flies: the intent becomes nonconforming
 * (versioned, audited) if it is still under way as stored; *changed says whether it was, and
 * only then is the alert delivered. */
static dc_status mark_nonconforming(dc_api *api, const dc_alert *a, int *changed)
{
    *changed = 0;
    dc_record rec;
    dc_status rc =
        dc_store_object_get(api->svc.store, DC_KIND_INTENT, a->party, a->intent_id, &rec);
    if (rc == DC_NOT_FOUND)
        return DC_OK;
    if (rc != DC_OK)
        return rc;
    if (rec.object.state != DC_STATE_ACCEPTED && rec.object.state != DC_STATE_ACTIVATED) {
        dc_record_clear(&rec);
        return DC_OK;
    }
    rec.object.state = DC_STATE_NONCONFORMING;
    rec.object.version++;
    json_t *body = json_loads(rec.body, 0, NULL);
    json_object_set_new(body, "state", json_string("nonconforming"));
    json_object_set_new(body, "version", json_integer(rec.object.version));
    free(rec.body);
    rec.body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(body);
    rec.updated = dc_api_now();
    uint8_t digest[DC_HASH_BYTES];
    char hex[2 * DC_HASH_BYTES + 1], ref[192];
    dc_object_ref(DC_KIND_INTENT, a->party, a->intent_id, ref, sizeof ref);
    rc = rec.body != NULL ? dc_store_object_put(api->svc.store, &rec) : DC_NOMEM;
    if (rc == DC_OK)
        rc = dc_store_object_digest(api->svc.store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, hex);
        rc = dc_api_audit(api, "server", "intent.put", ref, a->party,
                          json_pack("{s:I,s:s,s:s}", "version", (json_int_t)rec.object.version,
                                    "state", "nonconforming", "digest", hex),
                          NULL);
    }
    dc_record_clear(&rec);
    *changed = rc == DC_OK;
    return rc;
}

/* Store each alert for each of its recipients, and one audit record per alert naming them all
 * (DESIGN.md 6: who was told what) with the ids of their copies. A conformance alert first makes
 * its intent nonconforming, and is dropped if the intent is no longer under way. */
static dc_status deliver_alerts(dc_api *api, const dc_alert_list *alerts, struct alert_out *out,
                                size_t *delivered)
{
    dc_time_us now = dc_api_now();
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < alerts->count; i++) {
        struct alert_out *o = &out[i];
        if (alerts->items[i].kind == DC_ALERT_CONFORMANCE) {
            int changed = 0;
            rc = mark_nonconforming(api, &alerts->items[i], &changed);
            if (rc != DC_OK || !changed)
                continue;
        }
        if (o->n == 0)
            continue;
        /* one alert for all its recipients, under one id; a repetition (its level held, its
         * number past 0) as the change from its episode's first alert */
        json_t *ids = json_array();
        int64_t id = 0;
        rc = dc_store_alert_add(api->svc.store, o->episode, api->svc.alert_episode_us,
                                (const char *const *)o->to, (const char *const *)o->text, o->n, now,
                                &id);
        for (size_t k = 0; rc == DC_OK && k < o->n; k++)
            json_array_append_new(ids, json_integer(id));
        if (rc == DC_OK) {
            dc_service_alerts_counted(&api->svc,
                                      json_string_value(json_object_get(o->detail, "kind")), o->n);
            json_object_set_new(o->detail, "alerts", ids);
            ids = NULL;
            rc = audit_bulk(api, "server", "alert", o->ref, o->recipients, o->detail);
            o->detail = NULL; /* audit_bulk took it */
            ++*delivered;
        }
        json_decref(ids);
    }
    return rc;
}

dc_status dc__api_publish_alerts(dc_api *api, const dc_alert_list *alerts,
                                 dc_status (*extra)(dc_api *api, void *ctx), void *ctx,
                                 size_t *delivered)
{
    *delivered = 0;
    if (alerts->count == 0 && extra == NULL)
        return DC_OK;
    struct alert_out *out = NULL;
    dc_status rc = alerts_out(alerts, &out);
    if (rc == DC_OK) {
        if (dc_store_begin(api->svc.store, 1) != DC_OK)
            rc = DC_STORE;
        if (rc == DC_OK)
            rc = deliver_alerts(api, alerts, out, delivered);
        if (rc == DC_OK && extra != NULL)
            rc = extra(api, ctx);
        if (rc == DC_OK)
            rc = dc_store_audit_checkpoint(api->svc.store, api->svc.secret_key);
        if (dc_store_finish(api->svc.store, rc) != DC_OK)
            rc = DC_STORE;
        if (rc == DC_OK && *delivered > 0)
            dc_service_alerts_published(&api->svc);
    }
    alerts_out_free(out, alerts->count);
    return rc;
}

static void post_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_report *reports = NULL;
    size_t count = 0;
    dc_error err = {0};
    if (dc_api_decode_reports(req->body, req->body_length, req->party.name, &reports, &count,
                              &err) != DC_OK) {
        bad_input(res, &err);
        return;
    }
    if (!dc__api_fair_admit(api, req, DC_RATE_REPORTS, (double)count, res)) {
        dc_free(reports);
        return;
    }
    dc_alert_list alerts = {0};
    json_t *flagged = json_array();
    size_t accepted = 0;
    dc_time_us latest = 0;
    dc_status rc = DC_OK;
    dc_time_us received = dc_api_now();
    pthread_mutex_lock(&api->svc.monitor_lock);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        dc_report_verdict v;
        reports[i].received = received;
        rc = dc_monitor_ingest(api->svc.monitor, &reports[i], &v, &alerts, NULL);
        if (rc == DC_OK)
            dc__metrics_report(api, v);
        if (v == DC_REPORT_ACCEPTED) {
            accepted++;
            latest = reports[i].time > latest ? reports[i].time : latest;
        } else {
            json_array_append_new(flagged, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)i,
                                                     "aircraft", reports[i].aircraft, "reason",
                                                     dc_report_verdict_name(v)));
        }
    }
    if (rc == DC_OK && latest > 0)
        rc = dc_monitor_separation(api->svc.monitor, latest, &alerts, NULL);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    size_t delivered = 0;
    if (rc == DC_OK)
        rc = dc__api_publish_alerts(api, &alerts, NULL, NULL, &delivered);
    if (rc != DC_OK) {
        json_decref(flagged);
        store_failure(res);
    } else {
        res->status = 200;
        res->json =
            json_pack("{s:I,s:I,s:o,s:I}", "received", (json_int_t)count, "accepted",
                      (json_int_t)accepted, "flagged", flagged, "alerts", (json_int_t)delivered);
    }
    dc_alert_list_clear(&alerts);
    dc_free(reports);
}

static int collect_alert(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    (void)created;
    json_t *a = json_loads(body, 0, NULL);
    if (a == NULL)
        return 0;
    json_object_set_new(a, "id", json_integer(id));
    json_array_append_new(ctx, a);
    return 0;
}

static void list_alerts(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    list_inbox(api, req, res, DC_INBOX_ALERTS, "since", "an alert", collect_alert);
}

static void stream_alerts(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    int64_t after = 0;
    if (req->last_event_id != NULL) {
        if (parse_after(req->last_event_id, &after) != 0) {
            dc_api_problem(res, 400, DC_INVALID, NULL, "Last-Event-ID must be an alert id");
            return;
        }
    } else if (dc_store_begin(api->svc.store, 0) != DC_OK ||
               dc_store_inbox_last(api->svc.store, DC_INBOX_ALERTS, req->party.name, &after) !=
                   DC_OK) {
        dc_store_rollback(api->svc.store);
        store_failure(res);
        return;
    } else {
        dc_store_commit(api->svc.store);
    }
    res->status = 200;
    res->stream = DC_STREAM_ALERTS;
    res->stream_after = after;
    dc_copy_text(res->stream_party, sizeof res->stream_party, req->party.name);
}

/* The caller's live tracks as Server-Sent Events (tracks.c): a snapshot on each connection, then
 * the changes. A reconnecting client needs the picture as it is now, so there is nothing to
 * resume: a Last-Event-ID is refused rather than silently ignored. */
static void stream_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    if (req->last_event_id != NULL) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "the track stream starts with a snapshot of your live tracks on each "
                       "connection: send no Last-Event-ID");
        return;
    }
    res->status = 200;
    res->stream = DC_STREAM_TRACKS;
    dc_copy_text(res->stream_party, sizeof res->stream_party, req->party.name);
}

/* ---- the direct line ---- */

static int notation_of(const char *name, dc_notation *out)
{
    static const struct {
        const char *name;
        dc_notation notation;
    } map[] = {{"dd", DC_NOTATION_DD},
               {"dm", DC_NOTATION_DM},
               {"dms", DC_NOTATION_DMS},
               {"mgrs", DC_NOTATION_MGRS},
               {"utm", DC_NOTATION_UTM}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].name) == 0) {
            *out = map[i].notation;
            return 0;
        }
    return -1;
}

/* A message as `viewer` sees it: every coordinate read back in the viewer's
 * notation next to the sender's text. The recipient confirms with the
 * digest of what it was shown: BLAKE2b-256 (hex) of the read-backs, one a
 * line, joined by "\n" (docs/openapi.yaml). */
static json_t *message_view(const dc_message *m, const char *notation_name, char digest[65])
{
    json_t *body = json_loads(m->body, 0, NULL);
    dc_notation notation = DC_NOTATION_DD;
    notation_of(notation_name, &notation);
    dc_coord_style style = dc_coord_style_default(notation);
    json_t *coords = json_array();
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    json_t *sent = json_object_get(body, "coordinates");
    for (size_t i = 0; i < json_array_size(sent); i++) {
        json_t *c = json_array_get(sent, i);
        dc_point p = {json_number_value(json_object_get(c, "lat")),
                      json_number_value(json_object_get(c, "lng"))};
        char own[DC_COORD_TEXT_MAX] = "", dd[DC_COORD_TEXT_MAX] = "", mgrs[DC_COORD_TEXT_MAX] = "";
        if (dc_coord_format(p, &style, own, sizeof own, NULL) !=
            DC_OK) /* polar: no grid, degrees then */
            dc_coord_format(p, &(dc_coord_style){DC_NOTATION_DD, DC_HEMISPHERE_SIGNED, 5, 0}, own,
                            sizeof own, NULL);
        dc_coord_style dds = dc_coord_style_default(DC_NOTATION_DD),
                       ms = dc_coord_style_default(DC_NOTATION_MGRS);
        dc_coord_format(p, &dds, dd, sizeof dd, NULL);
        dc_coord_format(p, &ms, mgrs, sizeof mgrs, NULL);
        if (i > 0)
            crypto_generichash_update(&h, (const unsigned char *)"\n", 1);
        crypto_generichash_update(&h, (const unsigned char *)own, strlen(own));
        json_array_append_new(coords, json_pack("{s:O,s:s,s:s,s:s,s:s}", "original",
                                                json_object_get(c, "original"), "readback", own,
                                                "notation", notation_name, "dd", dd, "mgrs", mgrs));
    }
    uint8_t d[32];
    crypto_generichash_final(&h, d, 32);
    dc_hex(d, 32, digest);
    char t[32];
    json_t *time = dc_time_format(m->created, t, sizeof t) == DC_OK ? json_string(t) : json_null();
    json_t *out =
        json_pack("{s:I,s:s,s:s,s:o,s:O,s:o,s:b}", "id", (json_int_t)m->id, "from", m->sender, "to",
                  m->recipient, "time", time, "text", json_object_get(body, "text"), "coordinates",
                  coords, "acknowledged", m->acknowledged);
    json_decref(body);
    return out;
}

static void post_message(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"to", "text", "coordinates", NULL};
    if (!dc__api_fair_admit(api, req, DC_RATE_MESSAGES, 1, res))
        return;
    json_t *root = parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *to = json_string_value(json_object_get(root, "to"));
    const char *text = json_string_value(json_object_get(root, "text"));
    json_t *coords = json_object_get(root, "coordinates");
    size_t n = json_array_size(coords);
    json_t *stored = NULL, *readbacks = json_array();
    if (!dc_party_name_valid(to) || strcmp(to, req->party.name) == 0) {
        dc_api_problem(res, 400, DC_INVALID, "/to",
                       "the one party the message is for (not oneself)");
    } else if (text == NULL || strlen(text) > 4000) {
        dc_api_problem(res, 400, DC_INVALID, "/text", "a text of at most 4,000 bytes");
    } else if (!json_is_array(coords) || n == 0 || n > 100) {
        dc_api_problem(res, 400, DC_INVALID, "/coordinates",
                       "1 to 100 coordinates, each in any notation");
    } else {
        stored = json_array();
        for (size_t i = 0; i < n; i++) {
            const char *c = json_string_value(json_array_get(coords, i));
            char pointer[32];
            snprintf(pointer, sizeof pointer, "/coordinates/%zu", i);
            dc_point p;
            dc_readback rb;
            dc_error err;
            if (c == NULL || dc_coord_readback(c, &p, &rb, &err) != DC_OK) {
                dc_api_problem(res, 400, c ? err.status : DC_INVALID, pointer,
                               c ? err.message : "a coordinate in any notation, as text");
                json_decref(stored);
                stored = NULL;
                break;
            }
            json_array_append_new(
                stored, json_pack("{s:s,s:f,s:f}", "original", c, "lat", p.lat, "lng", p.lon));
            json_array_append_new(readbacks, json_pack("{s:s,s:s,s:s,s:s}", "input", c, "readback",
                                                       rb.own, "dd", rb.dd, "mgrs", rb.mgrs));
        }
    }
    if (stored != NULL) {
        json_t *body = json_pack("{s:s,s:o}", "text", text, "coordinates", stored);
        char *btext = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
        json_decref(body);
        int64_t id = 0;
        dc_audit_record write;
        dc_status rc = dc_store_begin(api->svc.store, 1);
        if (rc == DC_OK)
            rc = dc_store_party_exists(api->svc.store, to);
        if (rc == DC_OK)
            rc =
                dc_store_message_add(api->svc.store, req->party.name, to, btext, dc_api_now(), &id);
        char ref[64];
        snprintf(ref, sizeof ref, "message/%lld", (long long)id);
        if (rc == DC_OK)
            rc = dc_api_audit(api, req->party.name, "message", ref, to,
                              json_pack("{s:I}", "coordinates", (json_int_t)n), &write);
        if (rc == DC_NOT_FOUND) {
            dc_store_rollback(api->svc.store);
            dc_api_problem(res, 404, DC_NOT_FOUND, "/to", "no such party");
        } else if (dc_store_finish(api->svc.store, rc) != DC_OK) {
            store_failure(res);
        } else {
            res->status = 201;
            res->json = json_pack("{s:I,s:s,s:O,s:o}", "id", (json_int_t)id, "to", to, "readback",
                                  readbacks, "receipt", dc_api_receipt_json(&write));
        }
        free(btext);
    }
    json_decref(readbacks);
    json_decref(root);
}

struct message_list {
    json_t *items;
    const char *notation;
    const char *viewer;
    size_t limit, seen;
    int64_t last;                   /* the id of the page's last message */
    json_t *read;                   /* "message/<id>" of each message the viewer received */
    crypto_generichash_state shown; /* over the digests of what it was shown of them */
};

static int collect_message(void *ctx, const dc_message *m)
{
    struct message_list *l = ctx;
    if (++l->seen > l->limit)
        return 1;
    l->last = m->id;
    char digest[65];
    json_array_append_new(l->items, message_view(m, l->notation, digest));
    if (strcmp(m->recipient, l->viewer) == 0) {
        char ref[64];
        snprintf(ref, sizeof ref, "message/%lld", (long long)m->id);
        json_array_append_new(l->read, json_string(ref));
        crypto_generichash_update(&l->shown, (const unsigned char *)digest, 64);
    }
    return 0;
}

static void list_messages(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "messages", "", &page, res) != 0)
        return;
    struct message_list l;
    memset(&l, 0, sizeof l);
    l.items = json_array();
    l.notation = req->party.notation;
    l.viewer = req->party.name;
    l.limit = page.limit;
    l.read = json_array();
    crypto_generichash_init(&l.shown, NULL, 0, 32);
    dc_status rc = dc_store_begin(api->svc.store, 1);
    if (rc == DC_OK)
        rc = dc_store_messages_page(api->svc.store, req->party.name, page.after, page.limit + 1,
                                    collect_message, &l);
    if (rc == DC_OK && json_array_size(l.read) > 0) {
        /* one record for the page: the messages read, and a digest of the read-backs shown
         * (each message's own digest, in order), which acknowledgements are checked against */
        uint8_t h[32];
        char hex[65];
        crypto_generichash_final(&l.shown, h, sizeof h);
        dc_hex(h, sizeof h, hex);
        rc = audit_list_read(api, req->party.name, "message.read", "messages", l.read,
                             json_pack("{s:s}", "shown", hex));
    }
    json_decref(l.read);
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        json_decref(l.items);
        store_failure(res);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:s,s:o}", "notation", req->party.notation, "items", l.items);
    if (l.seen > page.limit)
        dc__page_next(api, req, "messages", "", NULL, l.last, NULL, &page, res);
}

static void acknowledge_message(dc_api *api, const dc_api_request *req, int64_t id,
                                dc_api_response *res)
{
    static const char *const fields[] = {"digest", NULL};
    json_t *root = parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *digest = json_string_value(json_object_get(root, "digest"));
    dc_message m;
    memset(&m, 0, sizeof m);
    if (digest == NULL || strlen(digest) != 64) {
        dc_api_problem(res, 400, DC_INVALID, "/digest",
                       "the BLAKE2b-256 (hex) of the read-backs you were shown");
    } else if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
    } else if (dc_store_message_get(api->svc.store, id, &m) != DC_OK ||
               strcmp(m.recipient, req->party.name) != 0) {
        dc_store_rollback(api->svc.store);
        dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such message for you");
    } else {
        char expected[65];
        json_decref(message_view(&m, req->party.notation, expected));
        char ref[64];
        snprintf(ref, sizeof ref, "message/%lld", (long long)id);
        if (strcmp(expected, digest) != 0) {
            /* a wrong read-back is itself worth recording */
            dc_api_audit(api, req->party.name, "message.ack_refused", ref, "",
                         json_pack("{s:s}", "digest", digest), NULL);
            dc_store_commit(api->svc.store);
            dc_api_problem(
                res, 409, DC_CONFLICT, "/digest",
                "the digest does not match the read-backs shown to you; read them again");
        } else {
            dc_audit_record write;
            json_t *n = json_pack("{s:s,s:I,s:s,s:s}", "action", "message_acknowledged", "message",
                                  (json_int_t)id, "by", req->party.name, "digest", digest);
            char *text = json_dumps(n, JSON_COMPACT);
            json_decref(n);
            dc_status rc = dc_store_message_acknowledge(api->svc.store, id);
            if (rc == DC_OK)
                rc = dc_store_inbox_add(api->svc.store, DC_INBOX_NOTICES, m.sender, text,
                                        dc_api_now(), NULL);
            if (rc == DC_OK)
                rc = dc_api_audit(api, req->party.name, "message.ack", ref, m.sender,
                                  json_pack("{s:s}", "digest", digest), &write);
            free(text);
            if (dc_store_finish(api->svc.store, rc) != DC_OK) {
                store_failure(res);
            } else {
                res->status = 200;
                res->json = json_pack("{s:I,s:b,s:o}", "id", (json_int_t)id, "acknowledged", 1,
                                      "receipt", dc_api_receipt_json(&write));
            }
        }
    }
    dc_free(m.body);
    json_decref(root);
}

static void add_track(void *ctx, const dc_track_view *t)
{
    json_t *j = dc__track_json(t);
    if (j != NULL)
        json_array_append_new(ctx, j);
}

static int by_aircraft(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "aircraft")),
               *y = json_string_value(json_object_get(*(json_t *const *)b, "aircraft"));
    return strcmp(x, y);
}

/* The party's live tracks by aircraft name: a name is the key of the track, so a page continues
 * after the last name shown whatever aircraft appeared or went meanwhile. */
static void list_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "tracks", "", &page, res) != 0)
        return;
    json_t *all = json_array();
    pthread_mutex_lock(&api->svc.monitor_lock);
    dc_monitor_tracks(api->svc.monitor, req->party.name, add_track, all);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    size_t n = json_array_size(all);
    json_t **sorted = dc_malloc((n ? n : 1) * sizeof *sorted);
    if (sorted == NULL) {
        json_decref(all);
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(all, i);
    qsort(sorted, n, sizeof *sorted, by_aircraft);
    json_t *items = json_array();
    size_t more = 0;
    const char *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(sorted[i], "aircraft"));
        if (page.has_cursor && strcmp(name, page.key) <= 0)
            continue;
        if (json_array_size(items) == page.limit) {
            more = 1;
            break;
        }
        json_array_append(items, sorted[i]);
        last = name;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", items);
    if (more)
        dc__page_next(api, req, "tracks", "", NULL, 0, last, &page, res);
    dc_free(sorted);
    json_decref(all);
}

static void whoami(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    res->status = 200;
    res->json = json_pack("{s:s,s:s,s:i}", "name", req->party.name, "notation", req->party.notation,
                          "priority_ceiling", req->party.priority_ceiling);
}

/* A position written as the API writes it for this party: the page shows
 * the cursor with the very formatter the API uses. */
static void format_coordinates(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    const char *lat = req->query(req->query_ctx, "lat"), *lng = req->query(req->query_ctx, "lng");
    char *e1 = NULL, *e2 = NULL;
    dc_point p = {lat ? strtod(lat, &e1) : NAN, lng ? strtod(lng, &e2) : NAN};
    if (lat == NULL || lng == NULL || *e1 || *e2 || dc_point_validate(p) != DC_OK) {
        dc_api_problem(res, 400, DC_INVALID, lat && *e1 == '\0' ? "/lng" : "/lat",
                       "lat and lng in decimal degrees");
        return;
    }
    dc_notation notation = DC_NOTATION_DD;
    notation_of(req->party.notation, &notation);
    dc_coord_info info = {
        notation, notation == DC_NOTATION_DD ? DC_HEMISPHERE_SIGNED : DC_HEMISPHERE_SUFFIX, 0, 5, 0,
        0};
    dc_readback rb;
    dc_coord_readback_of(p, &info, &rb, NULL);
    res->status = 200;
    res->json = json_pack("{s:s,s:s,s:s,s:s}", "notation", req->party.notation, "text", rb.own,
                          "dd", rb.dd, "mgrs", rb.mgrs);
}

/* ---- routing ---- */

static void get_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    int geo = dc__api_negotiate(req, 1, res);
    if (geo < 0)
        return;
    list_tracks(api, req, res);
    if (geo)
        dc__api_as_geojson(1, res);
}

static void problem_page(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    dc__api_problem_page(req, res);
}

typedef void (*handler)(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* Adapters for the grant handler's flag. */
static void grant_h(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    change_grant(api, req, 1, res);
}

static void revoke_h(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    change_grant(api, req, 0, res);
}

/* Who may call a route: anyone, the operator only, a party only, or either
 * (the operator reads audit and its own alerts). */
enum access { ACCESS_PUBLIC, ACCESS_OPERATOR, ACCESS_PARTY, ACCESS_EITHER };

/* A route: who may call it, its handler by method, and the query parameters its GET reads (the
 * other methods read none). */
static const struct route {
    const char *path;
    enum access access;
    handler get, post, put, del;
    const char *query;
} routes[] = {
    {"/v1/health", ACCESS_PUBLIC, health, NULL, NULL, NULL, NULL},
    {"/problems", ACCESS_PUBLIC, problem_page, NULL, NULL, NULL, NULL},
    {"/problems/{name}", ACCESS_PUBLIC, problem_page, NULL, NULL, NULL, NULL},
    {"/metrics", ACCESS_OPERATOR, metrics, NULL, NULL, NULL, NULL},
    {"/v1/parties", ACCESS_OPERATOR, list_parties, create_party, NULL, NULL, "limit cursor"},
    {"/v1/audit", ACCESS_EITHER, list_audit, NULL, NULL, NULL, "object limit cursor"},
    {"/v1/alerts", ACCESS_EITHER, list_alerts, NULL, NULL, NULL, "since limit cursor"},
    {"/v1/parties/me", ACCESS_PARTY, whoami, NULL, set_me, NULL, NULL},
    {"/v1/coordinates", ACCESS_PARTY, format_coordinates, NULL, NULL, NULL, "lat lng"},
    {"/v1/notices", ACCESS_PARTY, list_notices, NULL, NULL, NULL, "after limit cursor"},
    {"/v1/tracks", ACCESS_PARTY, get_tracks, post_tracks, NULL, NULL, "limit cursor"},
    {"/v1/alerts/stream", ACCESS_PARTY, stream_alerts, NULL, NULL, NULL, NULL},
    {"/v1/tracks/stream", ACCESS_PARTY, stream_tracks, NULL, NULL, NULL, NULL},
    {"/v1/sensor-tracks", ACCESS_PARTY, NULL, dc__api_post_sensor_tracks, NULL, NULL, NULL},
    {"/v1/messages", ACCESS_PARTY, list_messages, post_message, NULL, NULL, "limit cursor"},
    {"/v1/grants", ACCESS_PARTY, NULL, grant_h, NULL, revoke_h, NULL},
    {"/v1/replays", ACCESS_PARTY, NULL, dc__api_post_replay, NULL, NULL, NULL},
    /* after /v1/parties/me, which no party can be named */
    {"/v1/parties/{name}", ACCESS_OPERATOR, get_party, NULL, set_party, NULL, NULL},
    {"/v1/parties/{name}/key", ACCESS_OPERATOR, NULL, rotate_party_key, NULL, revoke_party_key,
     NULL},
};

/* Whether `path` is the route's: equal, but for a "{...}" segment of the route, which stands for
 * any one non-empty segment (its handler checks it). */
static int route_matches(const char *route, const char *path)
{
    while (*route != '\0' && *path != '\0') {
        if (*route == '{') {
            size_t n = strcspn(path, "/");
            if (n == 0)
                return 0;
            route += strcspn(route, "}");
            route += *route == '}';
            path += n;
        } else if (*route++ != *path++) {
            return 0;
        }
    }
    return *route == '\0' && *path == '\0';
}

static const char need_key[] = "send \"Authorization: Bearer <your key>\"";
static const char operator_only_parties[] =
    "the operator key only manages parties and reads audit and its alerts";

/* A fixed route: access, then the method's handler or 405 naming those allowed. */
static void serve_route(dc_api *api, const struct route *r, const dc_api_request *req,
                        dc_api_response *res)
{
    if (r->access != ACCESS_PUBLIC && !req->authenticated) {
        dc_api_problem(res, 401, DC_FORBIDDEN, NULL, need_key);
        return;
    }
    if (r->access == ACCESS_OPERATOR && !req->is_operator) {
        dc_api_problem(res, 403, DC_FORBIDDEN, NULL, "the operator key is needed");
        return;
    }
    if (r->access == ACCESS_PARTY && req->is_operator) {
        dc_api_problem(res, 403, DC_FORBIDDEN, NULL, operator_only_parties);
        return;
    }
    const char *names[] = {"GET", "POST", "PUT", "DELETE"};
    handler by_method[] = {r->get, r->post, r->put, r->del};
    char allowed[64] = "";
    for (int i = 0; i < 4; i++) {
        if (by_method[i] == NULL)
            continue;
        if (strcmp(req->method, names[i]) == 0) {
            if (dc__api_query_allowed(req, i == 0 ? r->query : NULL, res) == 0)
                by_method[i](api, req, res);
            return;
        }
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
                 allowed[0] ? ", " : "", names[i]);
    }
    dc__api_method_not_allowed(res, allowed);
}

void dc_api_handle(dc_api *api, const dc_api_request *given, dc_api_response *res)
{
    /* HEAD is GET without the body, which the server leaves out (RFC 9110 9.3.2) */
    dc_api_request as_get;
    const dc_api_request *req = given;
    if (strcmp(given->method, "HEAD") == 0) {
        as_get = *given;
        as_get.method = "GET";
        req = &as_get;
    }
    const char *p = req->path, *m = req->method;
    if (dc__api_emergency_route(api, req, res))
        return;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (route_matches(routes[i].path, p)) {
            serve_route(api, &routes[i], req, res);
            return;
        }
    int get = strcmp(m, "GET") == 0, put = strcmp(m, "PUT") == 0, post = strcmp(m, "POST") == 0,
        del = strcmp(m, "DELETE") == 0;
    if (!req->authenticated) {
        dc_api_problem(res, 401, DC_FORBIDDEN, NULL, need_key);
        return;
    }
    if (req->is_operator) {
        dc_api_problem(res, 403, DC_FORBIDDEN, NULL, operator_only_parties);
        return;
    }
    /* what follows reads no query parameter but a collection's GET */
    const char *slash_after = strncmp(p, "/v1/", 4) == 0 ? strchr(p + 4, '/') : NULL;
    dc_object_kind kind;
    int list = get && slash_after == NULL && strncmp(p, "/v1/", 4) == 0 &&
               kind_of_collection(p + 4, strlen(p + 4), &kind);
    if (dc__api_query_allowed(req, list ? "area from to limit cursor" : NULL, res) != 0)
        return;
    if (strncmp(p, "/v1/messages/", 13) == 0) {
        char *end = NULL;
        long long id = strtoll(p + 13, &end, 10);
        if (end == p + 13 || strcmp(end, "/ack") != 0 || id <= 0)
            dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such route");
        else if (post)
            acknowledge_message(api, req, id, res);
        else
            dc__api_method_not_allowed(res, "POST");
        return;
    }
    if (strcmp(p, "/v1/grants") == 0) {
        if (post || del)
            change_grant(api, req, post, res);
        else
            dc__api_method_not_allowed(res, "POST, DELETE");
        return;
    }
    if (strncmp(p, "/v1/", 4) == 0) {
        const char *name = p + 4, *slash = strchr(name, '/');
        size_t len = slash ? (size_t)(slash - name) : strlen(name);
        if (kind_of_collection(name, len, &kind)) {
            int geo = get ? dc__api_negotiate(req, 1, res) : 0;
            if (geo < 0)
                return;
            if (slash == NULL) {
                if (get)
                    list_objects(api, req, kind, res);
                else
                    dc__api_method_not_allowed(res, "GET");
                if (geo)
                    dc__api_as_geojson(0, res);
                return;
            }
            const char *id = slash + 1;
            dc_error why;
            if (dc_ident_object_id(id, &why) != DC_OK) {
                dc_api_problem(res, 400, DC_INVALID, NULL, why.message);
                return;
            }
            if (put)
                put_object(api, req, kind, id, res);
            else if (get)
                get_object(api, req, kind, id, res);
            else if (del)
                delete_object(api, req, kind, id, res);
            else
                dc__api_method_not_allowed(res, "GET, PUT, DELETE");
            if (geo)
                dc__api_as_geojson(0, res);
            return;
        }
    }
    dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such route");
}
