/* emergencies.c - the use case of declaring an emergency (docs/EMERGENCIES.md): the declarer's
 * grant, the engine's decision against what is in force, the hazards it holds, who nearby is
 * told, the write with its audit records and the monitor told */
#include "emergency_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A downed crew's position: a disc no hazard may cover, up to this altitude. */
#define CREW_CEILING_M 30000.0

void dc__emergency_time_text(dc_time_us t, char out[40])
{
    if (dc_time_format(t, out, 40) != DC_OK)
        out[0] = '\0';
}

static dc_status store_failed(dc_error *err)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store failed; nothing was changed");
}

/* Area of a volume's outline, m^2 (a polygon in its tangent plane at the first vertex). */
static double outline_area_m2(const dc_volume *v)
{
    if (v->outline == DC_OUTLINE_CIRCLE)
        return M_PI * v->radius_m * v->radius_m;
    dc_enu_frame f;
    if (v->vertex_count < 3 || dc_enu_frame_init(v->vertices[0], &f) != DC_OK)
        return INFINITY;
    double sum = 0, x0 = 0, y0 = 0, xp = 0, yp = 0;
    for (uint32_t i = 0; i < v->vertex_count; i++) {
        double x, y;
        if (dc_enu_forward(&f, v->vertices[i], &x, &y) != DC_OK)
            return INFINITY;
        if (i == 0) {
            x0 = x;
            y0 = y;
        } else {
            sum += xp * y - x * yp;
        }
        xp = x;
        yp = y;
    }
    sum += xp * y0 - x0 * yp;
    return fabs(sum) / 2;
}

/* The time span of an object's volumes. */
static void span_of(const dc_object *o, dc_time_us *t0, dc_time_us *t1)
{
    *t0 = o->volumes[0].time_start;
    *t1 = o->volumes[0].time_end;
    for (size_t i = 1; i < o->volume_count; i++) {
        if (o->volumes[i].time_start < *t0)
            *t0 = o->volumes[i].time_start;
        if (o->volumes[i].time_end > *t1)
            *t1 = o->volumes[i].time_end;
    }
}

/* ---- who is near ---- */

/* The emergency's volumes grown by `distance_m` sideways, every altitude, from `from` (or their
 * own start, if earlier) to their end: what "near" means. */
static dc_status near_volumes(dc_geom *geom, const dc_object *o, double distance_m, dc_time_us from,
                              dc_volume **out)
{
    dc_volume *v = dc_calloc(o->volume_count, sizeof *v);
    if (v == NULL)
        return DC_NOMEM;
    dc_status rc = DC_OK;
    dc_error err;
    for (size_t i = 0; rc == DC_OK && i < o->volume_count; i++) {
        const dc_volume *e = &o->volumes[i];
        dc_time_us t0 = e->time_start < from ? e->time_start : from;
        if (e->outline == DC_OUTLINE_CIRCLE || distance_m <= 0) {
            rc = e->outline == DC_OUTLINE_CIRCLE
                     ? dc_volume_init_circle(e->center, e->radius_m + distance_m, DC_ALTITUDE_MIN_M,
                                             DC_ALTITUDE_MAX_M, t0, e->time_end, &v[i], &err)
                     : dc_volume_copy(e, &v[i]);
        } else {
            rc = dc_volume_buffer(geom, e, distance_m, &v[i], &err);
        }
        if (rc == DC_OK) {
            v[i].altitude_lower = DC_ALTITUDE_MIN_M;
            v[i].altitude_upper = DC_ALTITUDE_MAX_M;
            v[i].time_start = t0;
            v[i].time_end = e->time_end;
        }
    }
    if (rc != DC_OK) {
        for (size_t i = 0; i < o->volume_count; i++)
            dc_volume_clear(&v[i]);
        dc_free(v);
        return rc;
    }
    *out = v;
    return DC_OK;
}

/* Parties told of an emergency: each once, and whether it may learn the crew's position. */
struct near_party {
    char name[DC_ID_MAX];
    int crew; /* a hazard or a track of it near the downed crew */
};

struct near_set {
    struct near_party *items;
    size_t count, capacity;
    const char *declarer;
    const dc_volume *near; /* grown emergency volumes */
    size_t near_count;
    const dc_volume *crew_near; /* the crew's disc grown likewise, or NULL */
    dc_time_us now;
    dc_status rc;
};

static void note_party(struct near_set *s, const char *party, int crew)
{
    if (strcmp(party, s->declarer) == 0 || strcmp(party, "operator") == 0)
        return;
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->items[i].name, party) == 0) {
            s->items[i].crew |= crew;
            return;
        }
    struct near_party *grown = dc_grow(s->items, &s->capacity, s->count, sizeof *grown, 8);
    if (grown == NULL) {
        s->rc = DC_NOMEM;
        return;
    }
    s->items = grown;
    dc_copy_text(s->items[s->count].name, DC_ID_MAX, party);
    s->items[s->count++].crew = crew;
}

static void near_track(void *ctx, const char *party, const dc_track_view *t)
{
    struct near_set *s = ctx;
    int inside = 0, crew = 0;
    for (size_t i = 0; !inside && i < s->near_count; i++)
        dc_volume_contains(&s->near[i], t->position, t->altitude_m, s->now, &inside);
    if (s->crew_near != NULL)
        dc_volume_contains(s->crew_near, t->position, t->altitude_m, s->now, &crew);
    if (inside || crew)
        note_party(s, party, crew);
}

/* Every party with an object in force, a zone or a live track within the emergency's alert
 * distance (exactly: a grown outline against each volume, not boxes), the declarer aside. */
static dc_status parties_near(dc_service *svc, dc_geom *geom, const dc_object *o,
                              const dc_emergency_declaration *d, const dc_volume *crew,
                              struct near_set *s)
{
    dc_volume *near = NULL, crew_near;
    memset(&crew_near, 0, sizeof crew_near);
    dc_record_list list = {0};
    dc_error err;
    dc_status rc = near_volumes(geom, o, d->alert_distance_m, s->now, &near);
    if (rc == DC_OK && crew != NULL)
        rc = dc_volume_init_circle(crew->center, crew->radius_m + d->alert_distance_m,
                                   DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M,
                                   crew->time_start < s->now ? crew->time_start : s->now,
                                   crew->time_end, &crew_near, &err);
    dc_object proxy = *o;
    proxy.volumes = near;
    if (rc == DC_OK)
        rc = dc_store_candidates(svc->store, &proxy, &list);
    for (size_t k = 0; rc == DC_OK && k < list.count; k++) {
        const dc_object *c = &list.items[k].object;
        int hit = 0, crew_hit = 0;
        for (size_t i = 0; rc == DC_OK && !hit && i < o->volume_count; i++)
            for (size_t j = 0; rc == DC_OK && !hit && j < c->volume_count; j++)
                rc = dc_volume_conflicts(geom, &near[i], &c->volumes[j], &hit);
        for (size_t j = 0; rc == DC_OK && crew != NULL && c->kind == DC_KIND_HAZARD && !crew_hit &&
                           j < c->volume_count;
             j++)
            rc = dc_volume_conflicts(geom, &crew_near, &c->volumes[j], &crew_hit);
        if (rc == DC_OK && (hit || crew_hit))
            note_party(s, c->owner, crew_hit);
    }
    s->near = near;
    s->near_count = o->volume_count;
    s->crew_near = crew != NULL ? &crew_near : NULL;
    if (rc == DC_OK && svc->monitor != NULL) {
        pthread_mutex_lock(&svc->monitor_lock);
        dc_monitor_each_track(svc->monitor, near_track, s);
        pthread_mutex_unlock(&svc->monitor_lock);
    }
    if (rc == DC_OK)
        rc = s->rc;
    for (size_t i = 0; near != NULL && i < o->volume_count; i++)
        dc_volume_clear(&near[i]);
    dc_free(near);
    s->near = NULL;
    s->crew_near = NULL;
    dc_record_list_clear(&list);
    return rc;
}

/* The emergency's outlines as a GeoJSON MultiPolygon (a circle as a 64-gon around it). */
static json_t *area_geojson(const dc_object *o)
{
    json_t *polys = json_array();
    for (size_t k = 0; k < o->volume_count; k++) {
        const dc_volume *v = &o->volumes[k];
        json_t *ring = json_array();
        size_t n = v->outline == DC_OUTLINE_CIRCLE ? 64 : v->vertex_count;
        for (size_t i = 0; i <= n; i++) {
            dc_point p = v->outline == DC_OUTLINE_POLYGON ? v->vertices[i % n] : v->center;
            if (v->outline == DC_OUTLINE_CIRCLE)
                dc_geodesic_direct(v->center, 360.0 * (double)(i % n) / (double)n,
                                   v->radius_m / cos(M_PI / 64), &p, NULL);
            json_array_append_new(
                ring, json_pack("[f,f]", round(p.lon * 1e7) / 1e7, round(p.lat * 1e7) / 1e7));
        }
        json_array_append_new(polys, json_pack("[o]", ring));
    }
    return json_pack("{s:s,s:o}", "type", "MultiPolygon", "coordinates", polys);
}

/* The alert every nearby party reads: who declared what, where and when. The crew's exact
 * position only to those whose hazards or aircraft are near it (they are the ones who could hit
 * it); never who else was told. */
static json_t *emergency_alert(const dc_emergency *e, const dc_object *o, int crew, dc_time_us now)
{
    char t[40], t0[40], t1[40], exp[40];
    dc_time_us s0, s1;
    span_of(o, &s0, &s1);
    dc__emergency_time_text(now, t);
    dc__emergency_time_text(s0, t0);
    dc__emergency_time_text(s1, t1);
    dc__emergency_time_text(e->expires, exp);
    json_t *area = area_geojson(o);
    json_t *a =
        json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:o*,s:s,s:s,s:s,s:f,s:s}", "kind", "emergency",
                  "level", "emergency", "time", t, "emergency", "party", e->owner, "id", e->id,
                  "kind", dc_emergency_name(e->kind), "area", area, "time_start", t0, "time_end",
                  t1, "expires", exp, "alert_distance_m", e->alert_distance_m, "action",
                  "hold fire and keep clear of the area; a notice follows when it ends");
    if (crew && e->has_crew)
        json_object_set_new(a, "last_known_position",
                            json_pack("{s:f,s:f,s:f}", "lat", e->crew.lat, "lng", e->crew.lon,
                                      "radius_m", e->crew_radius_m));
    return a;
}

/* The disclosure record of one emergency alert is under the recipient's name, not the
 * declarer's: a party reads every audit record about its own objects, and the list of who was
 * told would show it who is near (an emergency must not be a way to find others). */
static dc_status alert_near(dc_service *svc, const struct near_set *near, const dc_emergency *e,
                            const dc_object *o, dc_time_us now)
{
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < near->count; i++) {
        char ref[200];
        snprintf(ref, sizeof ref, "emergency/%s/%s/%s", near->items[i].name, e->owner, e->id);
        rc = dc_service_alert_party(svc, near->items[i].name, ref,
                                    emergency_alert(e, o, near->items[i].crew, now), now);
    }
    return rc;
}

dc_status dc__emergency_audit_row(dc_service *svc, const char *actor, dc_object_kind kind,
                                  const char *owner, const char *id, const char *recipients,
                                  const char *why)
{
    dc_record rec;
    dc_status rc = dc_store_object_get(svc->store, kind, owner, id, &rec);
    if (rc == DC_NOT_FOUND)
        return DC_OK;
    if (rc != DC_OK)
        return rc;
    uint8_t digest[DC_HASH_BYTES];
    char hex[2 * DC_HASH_BYTES + 1], ref[192], action[32];
    rc = dc_store_object_digest(svc->store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, hex);
        dc_object_ref(kind, owner, id, ref, sizeof ref);
        snprintf(action, sizeof action, "%s.put", dc_kind_name(kind));
        rc = dc_service_audit(svc, 1, actor, action, ref, recipients,
                              json_pack("{s:I,s:s,s:s,s:s}", "version",
                                        (json_int_t)rec.object.version, "state",
                                        dc_state_name(rec.object.state), "digest", hex, "why", why),
                              NULL);
    }
    dc_record_clear(&rec);
    return rc;
}

/* Hold each hazard the engine says must: a typed state change, its suspension recorded, its
 * owner's notice sent by the disclosure (disclose.c), a record of the change. */
static dc_status suspend_hazards(dc_service *svc, const dc_check_result *r,
                                 const char *emergency_ref, const char *declarer, dc_time_us now,
                                 int64_t *suspended)
{
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < r->conflict_count; i++) {
        const dc_conflict *c = &r->conflicts[i];
        if (c->resolution != DC_RESOLUTION_HOLDS)
            continue;
        const dc_object *h = c->other;
        char ref[192], t0[40], t1[40];
        dc_object_ref(h->kind, h->owner, h->id, ref, sizeof ref);
        dc__emergency_time_text(c->time_start, t0);
        dc__emergency_time_text(c->time_end, t1);
        rc = dc_store_suspension_add(svc->store, h->owner, h->id, emergency_ref, h->state, now);
        if (rc == DC_OK && h->state != DC_STATE_SUSPENDED)
            rc = dc_store_object_set_state(svc->store, DC_KIND_HAZARD, h->owner, h->id,
                                           DC_STATE_SUSPENDED, now);
        if (rc == DC_OK)
            rc = dc_service_audit(svc, 1, "server", "hazard.suspend", ref, h->owner,
                                  json_pack("{s:s,s:s,s:s,s:s}", "emergency", emergency_ref,
                                            "previous_state", dc_state_name(h->state), "time_start",
                                            t0, "time_end", t1),
                                  NULL);
        if (rc == DC_OK)
            rc = dc__emergency_audit_row(svc, "server", DC_KIND_HAZARD, h->owner, h->id, h->owner,
                                         "suspended");
        if (rc == DC_OK)
            rc = dc_store_emergency_count(svc->store, declarer, "suspended", 1);
        ++*suspended;
    }
    return rc;
}

/* The engine's decision on one emergency object, against what is in force around it. */
static dc_status decide(dc_service *svc, dc_geom *geom, const dc_object *o, dc_record_list *cands,
                        dc_check_result *out, dc_error *err)
{
    dc_status rc = dc_store_candidates(svc->store, o, cands);
    const dc_object **list = rc == DC_OK ? dc_calloc(cands->count + 1, sizeof *list) : NULL;
    if (rc == DC_OK && list == NULL)
        rc = DC_NOMEM;
    for (size_t i = 0; rc == DC_OK && i < cands->count; i++)
        list[i] = &cands->items[i].object;
    dc_check_options options = {0, 0, NULL};
    if (rc == DC_OK)
        rc = dc_engine_check(geom, o, &options, list, cands->count, out, err);
    dc_free(list);
    return rc;
}

/* Write one emergency object (intent or crew site) as readers get it, at the next version. */
static dc_status write_object(dc_service *svc, dc_object *o, json_t *body,
                              const dc_record *existing, dc_time_us now)
{
    dc_record rec;
    memset(&rec, 0, sizeof rec);
    o->version = (existing != NULL ? existing->object.version : 0) + 1;
    json_object_set_new(body, "version", json_integer(o->version));
    json_object_set_new(body, "emergency", json_string(dc_emergency_name(o->emergency)));
    rec.object = *o;
    rec.created = existing != NULL ? existing->created : now;
    rec.updated = now;
    rec.body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    dc_status rc = rec.body ? dc_store_object_put(svc->store, &rec) : DC_NOMEM;
    free(rec.body);
    return rc;
}

void dc_emergency_outcome_clear(dc_emergency_outcome *out)
{
    json_decref(out->body);
    json_decref(out->notices);
    memset(out, 0, sizeof *out);
}

void dc_service_emergency_object(const dc_emergency_declaration *d)
{
    dc_object *o = &d->submission->object;
    o->emergency = d->kind;
    o->priority = DC_PRIORITY_MAX;
    o->state = DC_STATE_ACTIVATED;
}

/* Everything a declaration holds while it is written, freed in one place. */
struct declare_run {
    dc_geom *geom;
    dc_object crew_site;
    dc_volume crew;
    dc_record_list cands, crew_cands;
    dc_check_result result, crew_result;
    struct near_set near;
    dc_record existing, existing_site;
    int have_existing, have_site;
    int64_t suspended;
    char ref[192], crew_ref[192];
};

static void declare_run_clear(struct declare_run *r)
{
    dc_record_list_clear(&r->cands);
    dc_record_list_clear(&r->crew_cands);
    dc_check_result_clear(&r->result);
    dc_check_result_clear(&r->crew_result);
    dc_free(r->near.items);
    if (r->have_existing)
        dc_record_clear(&r->existing);
    if (r->have_site)
        dc_record_clear(&r->existing_site);
}

/* The refusal of a declaration its party is not granted: nothing written but the count of it,
 * for the operator. */
static dc_status refuse_grant(dc_service *svc, const char *party, const char *pointer,
                              const char *detail, dc_error *err)
{
    dc_store_rollback(svc->store);
    if (dc_store_begin(svc->store, 1) == DC_OK)
        dc_store_finish(svc->store, dc_store_emergency_count(svc->store, party, "refused", 1));
    return dc_error_set(err, DC_FORBIDDEN, pointer, DC_NO_POSITION, "%s", detail);
}

/* The declarer's key and emergency grant as this transaction sees them; on a refusal the
 * transaction is rolled back. */
static dc_status check_grant(dc_service *svc, const dc_emergency_declaration *d, dc_error *err)
{
    const dc_object *o = &d->submission->object;
    char detail[256];
    dc_party p;
    dc_status rc = dc_store_party_get(svc->store, o->owner, &p);
    if (rc != DC_OK || !p.key_active) {
        dc_store_rollback(svc->store);
        return rc == DC_OK || rc == DC_NOT_FOUND
                   ? dc_error_set(err, DC_FORBIDDEN, "authorization", DC_NO_POSITION,
                                  "this key has been revoked")
                   : store_failed(err);
    }
    if (p.emergency_validity_s <= 0)
        return refuse_grant(svc, o->owner, "",
                            "your party is not granted emergencies; the operator grants them", err);
    if (d->validity_s > p.emergency_validity_s) {
        snprintf(detail, sizeof detail, "validity %lld s is longer than your grant of %lld s",
                 (long long)d->validity_s, (long long)p.emergency_validity_s);
        return refuse_grant(svc, o->owner, "/validity_s", detail, err);
    }
    for (size_t i = 0; i < o->volume_count; i++) {
        double km2 = outline_area_m2(&o->volumes[i]) / 1e6;
        if (km2 > p.emergency_area_km2) {
            char pointer[32];
            snprintf(pointer, sizeof pointer, "/volumes/%zu", i);
            snprintf(detail, sizeof detail, "volume %zu covers %.1f km2; your grant is %.1f km2", i,
                     km2, p.emergency_area_km2);
            return refuse_grant(svc, o->owner, d->submission->route ? "/route" : pointer, detail,
                                err);
        }
    }
    return DC_OK;
}

/* What the declaration replaces: an earlier declaration under this id (never an ordinary intent)
 * and its crew's site; on a failure the transaction is rolled back. */
static dc_status load_existing(dc_service *svc, const dc_object *o, struct declare_run *r,
                               dc_error *err)
{
    dc_status rc = dc_store_object_get(svc->store, DC_KIND_INTENT, o->owner, o->id, &r->existing);
    r->have_existing = rc == DC_OK;
    if (rc == DC_NOT_FOUND)
        rc = DC_OK;
    if (rc == DC_OK && r->have_existing && r->existing.object.emergency == DC_EMERGENCY_NONE) {
        dc_store_rollback(svc->store);
        return dc_error_set(err, DC_CONFLICT, "", DC_NO_POSITION,
                            "an ordinary intent of yours has this id: declare the emergency under "
                            "another");
    }
    if (rc == DC_OK) {
        rc = dc_store_object_get(svc->store, DC_KIND_SITE, o->owner, o->id, &r->existing_site);
        r->have_site = rc == DC_OK;
        if (rc == DC_NOT_FOUND)
            rc = DC_OK;
    }
    if (rc != DC_OK) {
        dc_store_rollback(svc->store);
        return store_failed(err);
    }
    return DC_OK;
}

/* The engine's decisions on the area and the crew's site, what each conflict's parties are told,
 * who is near, the hazards held. */
static dc_status decide_and_tell(dc_service *svc, const dc_emergency_declaration *d,
                                 struct declare_run *r, json_t *notices, dc_time_us now,
                                 dc_error *err)
{
    const dc_object *o = &d->submission->object;
    dc_status rc = decide(svc, r->geom, o, &r->cands, &r->result, err);
    if (rc == DC_OK && d->has_crew)
        rc = decide(svc, r->geom, &r->crew_site, &r->crew_cands, &r->crew_result, err);
    int accepted = 1;
    if (rc == DC_OK)
        rc = dc_service_disclose_conflicts(svc, o, r->ref, &r->result, &accepted, notices);
    if (rc == DC_OK && d->has_crew)
        rc = dc_service_disclose_conflicts(svc, &r->crew_site, r->crew_ref, &r->crew_result,
                                           &accepted, notices);
    r->near.declarer = o->owner;
    r->near.now = now;
    if (rc == DC_OK)
        rc = parties_near(svc, r->geom, o, d, d->has_crew ? &r->crew : NULL, &r->near);
    if (rc == DC_OK)
        rc = suspend_hazards(svc, &r->result, r->ref, o->owner, now, &r->suspended);
    if (rc == DC_OK && d->has_crew)
        rc = suspend_hazards(svc, &r->crew_result, r->ref, o->owner, now, &r->suspended);
    return rc;
}

/* The declaration written: its objects at their next versions (a crew's site no longer named
 * ended), their rows audited, the declaration stored, the parties near alerted, the declare
 * record (*receipt). */
static dc_status write_declaration(dc_service *svc, const dc_emergency_declaration *d,
                                   struct declare_run *r, dc_object *o, json_t *body,
                                   const dc_emergency *e, dc_audit_record *receipt)
{
    dc_time_us now = e->declared;
    dc_status rc = write_object(svc, o, body, r->have_existing ? &r->existing : NULL, now);
    if (rc == DC_OK && d->has_crew) {
        json_t *site_body = json_pack("{s:s,s:s,s:{s:f,s:f},s:f}", "id", o->id, "label",
                                      "last known position of a downed crew", "location", "lat",
                                      d->crew.lat, "lng", d->crew.lon, "radius", d->crew_radius_m);
        rc = write_object(svc, &r->crew_site, site_body, r->have_site ? &r->existing_site : NULL,
                          now);
        json_decref(site_body);
    } else if (rc == DC_OK && r->have_site) {
        rc = dc_store_object_set_state(svc->store, DC_KIND_SITE, o->owner, o->id, DC_STATE_ENDED,
                                       now);
    }
    if (rc == DC_OK)
        rc =
            dc__emergency_audit_row(svc, o->owner, DC_KIND_INTENT, o->owner, o->id, "", "declared");
    if (rc == DC_OK && (d->has_crew || r->have_site))
        rc = dc__emergency_audit_row(svc, o->owner, DC_KIND_SITE, o->owner, o->id, "", "declared");
    if (rc == DC_OK)
        rc = dc_store_emergency_put(svc->store, e);
    if (rc == DC_OK)
        rc = alert_near(svc, &r->near, e, o, now);
    if (rc == DC_OK)
        rc = dc_store_emergency_count(svc->store, o->owner, "declared", 1);
    char expires[40];
    dc__emergency_time_text(e->expires, expires);
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, o->owner, "emergency.declare", r->ref, "",
                              json_pack("{s:s,s:I,s:s,s:I,s:b,s:I}", "kind",
                                        dc_emergency_name(d->kind), "version",
                                        (json_int_t)o->version, "expires", expires, "validity_s",
                                        (json_int_t)d->validity_s, "crew", d->has_crew, "suspended",
                                        (json_int_t)r->suspended),
                              receipt);
    return rc;
}

static void declaration_of(const dc_emergency_declaration *d, dc_time_us now, dc_emergency *e)
{
    const dc_object *o = &d->submission->object;
    memset(e, 0, sizeof *e);
    dc_copy_text(e->owner, sizeof e->owner, o->owner);
    dc_copy_text(e->id, sizeof e->id, o->id);
    e->kind = d->kind;
    e->active = 1;
    e->declared = now;
    e->expires = now + d->validity_s * DC_US_PER_S;
    e->validity_s = d->validity_s;
    e->alert_distance_m = d->alert_distance_m;
    e->has_crew = d->has_crew;
    e->crew = d->crew;
    e->crew_radius_m = d->crew_radius_m;
}

/* The crew's site: a disc from the ground up over the emergency's time span. */
static dc_status crew_site_of(const dc_emergency_declaration *d, struct declare_run *r,
                              dc_error *err)
{
    const dc_object *o = &d->submission->object;
    dc_time_us t0, t1;
    span_of(o, &t0, &t1);
    dc_error why;
    if (dc_volume_init_circle(d->crew, d->crew_radius_m, 0, CREW_CEILING_M, t0, t1, &r->crew,
                              &why) != DC_OK)
        return dc_error_set(err, DC_RANGE, "/last_known_position", DC_NO_POSITION, "%s",
                            why.message);
    r->crew_site = *o;
    r->crew_site.kind = DC_KIND_SITE;
    r->crew_site.volume_count = 1;
    r->crew_site.volumes = &r->crew;
    return DC_OK;
}

dc_status dc_service_emergency_declare(dc_service *svc, dc_geom *geom,
                                       const dc_emergency_declaration *d, dc_emergency_outcome *out,
                                       dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_object *o = &d->submission->object;
    dc_service_emergency_object(d);
    struct declare_run r;
    memset(&r, 0, sizeof r);
    r.geom = geom;
    dc_object_ref(DC_KIND_INTENT, o->owner, o->id, r.ref, sizeof r.ref);
    dc_object_ref(DC_KIND_SITE, o->owner, o->id, r.crew_ref, sizeof r.crew_ref);
    dc_time_us now = dc_service_now(), t0, t1;
    span_of(o, &t0, &t1);
    if (t1 <= now)
        return dc_error_set(err, DC_RANGE, "/volumes", DC_NO_POSITION,
                            "the emergency's volumes have all ended");
    dc_status rc = d->has_crew ? crew_site_of(d, &r, err) : DC_OK;
    if (rc != DC_OK)
        return rc;
    json_t *body = json_deep_copy(d->declared), *notices = json_array();
    if (body == NULL || notices == NULL)
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    else if (dc_store_begin(svc->store, 1) != DC_OK)
        rc = store_failed(err);
    else if ((rc = check_grant(svc, d, err)) == DC_OK &&
             (rc = load_existing(svc, o, &r, err)) == DC_OK) {
        /* a declaration checks what is in force now, its candidates read in this transaction: a
         * rare write, so it decides under the lock rather than retrying */
        dc_emergency e;
        declaration_of(d, now, &e);
        dc_error_clear(err);
        rc = decide_and_tell(svc, d, &r, notices, now, err);
        if (rc == DC_OK)
            rc = write_declaration(svc, d, &r, o, body, &e, &out->receipt);
        if (dc_store_finish(svc->store, rc) != DC_OK) {
            if (rc != DC_INVALID || err->status != DC_INVALID)
                rc = store_failed(err);
        } else {
            dc_service_emergency_watch(svc, o);
            if (r.near.count > 0)
                dc_service_alerts_published(svc);
            out->replaced = r.have_existing;
            out->emergency = e;
            out->body = body;
            out->notices = notices;
            body = notices = NULL;
        }
    }
    if (d->has_crew)
        dc_volume_clear(&r.crew);
    declare_run_clear(&r);
    json_decref(body);
    json_decref(notices);
    return rc;
}
