/* emergency.c - the routes of emergencies: declare, renew, end; who nearby is told; hazards held
 * and released; the expiry that runs by itself (docs/EMERGENCIES.md) */
#include "api_internal.h"
#include "deconflict/party_admin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How far around an emergency parties are told when the declarer does not say, and at most. */
#define ALERT_DISTANCE_DEFAULT_M 10000.0
#define ALERT_DISTANCE_MAX_M 100000.0
/* A downed crew's position: a disc no hazard may cover. */
#define CREW_RADIUS_MIN_M 10.0
#define CREW_RADIUS_MAX_M 5000.0
#define CREW_CEILING_M 30000.0
/* The expiry pass runs this often: an emergency ends at most this late past its validity. */
#define EXPIRY_PERIOD_MS 1000

struct dc_api_emergency {
    dc__worker worker;
};

static void time_text(dc_time_us t, char out[40])
{
    if (dc_time_format(t, out, 40) != DC_OK)
        out[0] = '\0';
}

static void store_failure(dc_api_response *res)
{
    dc_api_problem(res, 500, DC_STORE, NULL, "the store failed; nothing was changed");
}

/* The {id} of /v1/emergencies/{id}[/renew]: a valid object id, or 400. */
static int id_in_path(const dc_api_request *req, char id[DC_ID_MAX], dc_api_response *res)
{
    const char *p = req->path + strlen("/v1/emergencies/");
    size_t n = strcspn(p, "/");
    dc_error why;
    if (n == 0 || n >= DC_ID_MAX) {
        dc_api_problem(res, 400, DC_INVALID, NULL, "an emergency id is 1 to 63 characters");
        return -1;
    }
    memcpy(id, p, n);
    id[n] = '\0';
    if (dc_ident_object_id(id, &why) != DC_OK) {
        dc_api_problem(res, 400, DC_INVALID, NULL, why.message);
        return -1;
    }
    return 0;
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

/* The emergency's members taken out of the body; the rest is an intent's body. */
struct declaration {
    dc_emergency_kind kind;
    int64_t validity_s;
    double alert_distance_m;
    int has_crew;
    dc_point crew;
    double crew_radius_m;
};

static int refuse_member(json_t *root, const char *name, dc_api_response *res)
{
    if (json_object_get(root, name) == NULL)
        return 0;
    char pointer[48], detail[160];
    snprintf(pointer, sizeof pointer, "/%s", name);
    snprintf(detail, sizeof detail,
             "an emergency has no \"%s\": it goes whatever it overlaps, and it is renewed, not "
             "versioned",
             name);
    dc_api_problem(res, 400, DC_INVALID, pointer, detail);
    return -1;
}

/* Take the declaration's own members out of `root`; 0, or -1 with the answer in res. */
static int take_declaration(json_t *root, struct declaration *d, dc_api_response *res)
{
    memset(d, 0, sizeof *d);
    d->alert_distance_m = ALERT_DISTANCE_DEFAULT_M;
    if (!json_is_object(root)) {
        dc_api_problem(res, 400, DC_INVALID, "", "the body must be a JSON object");
        return -1;
    }
    static const char *const not_here[] = {"priority", "state", "accept_conflicts", "version"};
    for (size_t i = 0; i < sizeof not_here / sizeof not_here[0]; i++)
        if (refuse_member(root, not_here[i], res) != 0)
            return -1;
    json_t *kind = json_object_get(root, "kind");
    if (!json_is_string(kind) || dc_emergency_parse(json_string_value(kind), &d->kind) != DC_OK ||
        d->kind == DC_EMERGENCY_NONE) {
        dc_api_problem(res, 400, DC_INVALID, "/kind",
                       "one of search_and_rescue, medical_evacuation, aircraft_in_distress");
        return -1;
    }
    json_t *validity = json_object_get(root, "validity_s");
    if (!json_is_integer(validity) || json_integer_value(validity) < DC_EMERGENCY_VALIDITY_S_MIN ||
        json_integer_value(validity) > DC_EMERGENCY_VALIDITY_S_MAX) {
        dc_api_problem(res, 400, json_is_integer(validity) ? DC_RANGE : DC_INVALID, "/validity_s",
                       "required: how long the declaration holds before it must be renewed, "
                       "whole seconds within 1..86400 (and within your grant)");
        return -1;
    }
    d->validity_s = json_integer_value(validity);
    json_t *distance = json_object_get(root, "alert_distance_m");
    if (distance != NULL) {
        double m = json_number_value(distance);
        if (!json_is_number(distance) || !(m >= 0 && m <= ALERT_DISTANCE_MAX_M)) {
            dc_api_problem(res, 400, json_is_number(distance) ? DC_RANGE : DC_INVALID,
                           "/alert_distance_m", "metres within 0..100000");
            return -1;
        }
        d->alert_distance_m = m;
    }
    json_t *crew = json_object_get(root, "last_known_position");
    if (crew != NULL) {
        json_t *pos = json_object_get(crew, "position"),
               *radius = json_object_get(crew, "radius_m");
        dc_coord_info info;
        dc_error err;
        if (!json_is_object(crew) || json_object_size(crew) != (radius != NULL ? 2u : 1u) ||
            !json_is_string(pos)) {
            dc_api_problem(res, 400, DC_INVALID, "/last_known_position",
                           "{\"position\": a coordinate as text, \"radius_m\": metres}");
            return -1;
        }
        if (dc_coord_parse(json_string_value(pos), &d->crew, &info, &err) != DC_OK) {
            dc_api_problem(res, 400, err.status, "/last_known_position/position", err.message);
            return -1;
        }
        d->crew_radius_m = radius != NULL ? json_number_value(radius) : 500.0;
        if ((radius != NULL && !json_is_number(radius)) ||
            !(d->crew_radius_m >= CREW_RADIUS_MIN_M && d->crew_radius_m <= CREW_RADIUS_MAX_M)) {
            dc_api_problem(res, 400, DC_RANGE, "/last_known_position/radius_m",
                           "metres within 10..5000");
            return -1;
        }
        d->has_crew = 1;
    }
    static const char *const ours[] = {"kind", "validity_s", "alert_distance_m",
                                       "last_known_position"};
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        json_object_del(root, ours[i]);
    return 0;
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
static dc_status parties_near(dc_api *api, dc_geom *geom, const dc_object *o,
                              const struct declaration *d, const dc_volume *crew,
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
        rc = dc_store_candidates(api->svc.store, &proxy, &list);
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
    if (rc == DC_OK && api->svc.monitor != NULL) {
        pthread_mutex_lock(&api->svc.monitor_lock);
        dc_monitor_each_track(api->svc.monitor, near_track, s);
        pthread_mutex_unlock(&api->svc.monitor_lock);
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

/* ---- declaring ---- */

static json_t *emergency_json(const dc_emergency *e)
{
    char declared[40], expires[40];
    time_text(e->declared, declared);
    time_text(e->expires, expires);
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:f}", "id", e->id, "party", e->owner, "kind",
                  dc_emergency_name(e->kind), "state", e->active ? "active" : e->state, "declared",
                  declared, "expires", expires, "validity_s", (json_int_t)e->validity_s, "renewals",
                  (json_int_t)e->renewals, "alert_distance_m", e->alert_distance_m);
    if (e->has_crew)
        json_object_set_new(j, "last_known_position",
                            json_pack("{s:f,s:f,s:f}", "lat", e->crew.lat, "lng", e->crew.lon,
                                      "radius_m", e->crew_radius_m));
    return j;
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
    time_text(now, t);
    time_text(s0, t0);
    time_text(s1, t1);
    time_text(e->expires, exp);
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
static dc_status alert_near(dc_api *api, const struct near_set *near, const dc_emergency *e,
                            const dc_object *o, dc_time_us now)
{
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < near->count; i++) {
        char ref[200];
        snprintf(ref, sizeof ref, "emergency/%s/%s/%s", near->items[i].name, e->owner, e->id);
        rc = dc_service_alert_party(&api->svc, near->items[i].name, ref,
                                    emergency_alert(e, o, near->items[i].crew, now), now);
    }
    return rc;
}

/* Every change of a stored row is a "<kind>.put" with the row's digest (`deconflict audit verify`
 * holds each row to its last one), also when only its typed state moved. */
static dc_status audit_row(dc_api *api, const char *actor, dc_object_kind kind, const char *owner,
                           const char *id, const char *recipients, const char *why)
{
    dc_record rec;
    dc_status rc = dc_store_object_get(api->svc.store, kind, owner, id, &rec);
    if (rc == DC_NOT_FOUND)
        return DC_OK;
    if (rc != DC_OK)
        return rc;
    uint8_t digest[DC_HASH_BYTES];
    char hex[2 * DC_HASH_BYTES + 1], ref[192], action[32];
    rc = dc_store_object_digest(api->svc.store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, hex);
        dc_object_ref(kind, owner, id, ref, sizeof ref);
        snprintf(action, sizeof action, "%s.put", dc_kind_name(kind));
        rc = dc_service_audit(&api->svc, 1, actor, action, ref, recipients,
                              json_pack("{s:I,s:s,s:s,s:s}", "version",
                                        (json_int_t)rec.object.version, "state",
                                        dc_state_name(rec.object.state), "digest", hex, "why", why),
                              NULL);
    }
    dc_record_clear(&rec);
    return rc;
}

/* Hold each hazard the engine says must: a typed state change, its suspension recorded, its
 * owner's notice sent by the disclosure (notices.c), a record of the change. */
static dc_status suspend_hazards(dc_api *api, const dc_check_result *r, const char *emergency_ref,
                                 const char *declarer, dc_time_us now, int64_t *suspended)
{
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < r->conflict_count; i++) {
        const dc_conflict *c = &r->conflicts[i];
        if (c->resolution != DC_RESOLUTION_HOLDS)
            continue;
        const dc_object *h = c->other;
        char ref[192], t0[40], t1[40];
        dc_object_ref(h->kind, h->owner, h->id, ref, sizeof ref);
        time_text(c->time_start, t0);
        time_text(c->time_end, t1);
        rc = dc_store_suspension_add(api->svc.store, h->owner, h->id, emergency_ref, h->state, now);
        if (rc == DC_OK && h->state != DC_STATE_SUSPENDED)
            rc = dc_store_object_set_state(api->svc.store, DC_KIND_HAZARD, h->owner, h->id,
                                           DC_STATE_SUSPENDED, now);
        if (rc == DC_OK)
            rc = dc_service_audit(&api->svc, 1, "server", "hazard.suspend", ref, h->owner,
                                  json_pack("{s:s,s:s,s:s,s:s}", "emergency", emergency_ref,
                                            "previous_state", dc_state_name(h->state), "time_start",
                                            t0, "time_end", t1),
                                  NULL);
        if (rc == DC_OK)
            rc = audit_row(api, "server", DC_KIND_HAZARD, h->owner, h->id, h->owner, "suspended");
        if (rc == DC_OK)
            rc = dc_store_emergency_count(api->svc.store, declarer, "suspended", 1);
        ++*suspended;
    }
    return rc;
}

/* The engine's decision on one emergency object, against what is in force around it. */
static dc_status decide(dc_api *api, dc_geom *geom, const dc_object *o, dc_record_list *cands,
                        dc_check_result *out, dc_error *err)
{
    dc_status rc = dc_store_candidates(api->svc.store, o, cands);
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

/* The refusal of a declaration its party is not granted; counted, for the operator. */
static void refuse_grant(dc_api *api, const char *party, dc_api_response *res, const char *pointer,
                         const char *detail)
{
    dc_store_rollback(api->svc.store);
    if (dc_store_begin(api->svc.store, 1) == DC_OK) {
        dc_status rc = dc_store_emergency_count(api->svc.store, party, "refused", 1);
        dc_store_finish(api->svc.store, rc);
    }
    dc_api_problem(res, 403, DC_FORBIDDEN, pointer, detail);
}

/* Everything a declaration holds while it is written, freed in one place. */
struct declare_run {
    dc_geom *geom;
    dc_submission sub;
    int have_sub;
    json_t *root, *notices, *body;
    dc_volume crew;
    dc_record_list cands, crew_cands;
    dc_check_result result, crew_result;
    struct near_set near;
};

static void declare_run_clear(struct declare_run *r)
{
    json_decref(r->root);
    json_decref(r->notices);
    json_decref(r->body);
    dc_record_list_clear(&r->cands);
    dc_record_list_clear(&r->crew_cands);
    dc_check_result_clear(&r->result);
    dc_check_result_clear(&r->crew_result);
    dc_free(r->near.items);
    if (r->have_sub)
        dc_api_submission_clear(&r->sub);
    dc_geom_free(r->geom);
}

/* Write one emergency object (intent or crew site) as readers get it, at the next version. */
static dc_status write_object(dc_api *api, dc_object *o, json_t *body, const dc_record *existing,
                              dc_time_us now)
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
    dc_status rc = rec.body ? dc_store_object_put(api->svc.store, &rec) : DC_NOMEM;
    free(rec.body);
    return rc;
}

/* PUT /v1/emergencies/{id}: declare (or declare again, replacing the area). */
static void put_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    char id[DC_ID_MAX], ref[192], crew_ref[192], detail[256];
    struct declaration d;
    struct declare_run r;
    memset(&r, 0, sizeof r);
    dc_error err;
    if (id_in_path(req, id, res) != 0)
        return;
    json_error_t jerr;
    r.root = json_loadb(req->body, req->body_length, JSON_REJECT_DUPLICATES, &jerr);
    if (r.root == NULL) {
        dc_api_problem(res, 400, DC_INVALID, "", "malformed JSON");
        return;
    }
    if (take_declaration(r.root, &d, res) != 0 || dc_geom_new(&r.geom) != DC_OK) {
        if (res->status == 0)
            dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        declare_run_clear(&r);
        return;
    }
    char *rest = json_dumps(r.root, JSON_COMPACT);
    dc_status rc =
        rest ? dc_api_decode_submission(r.geom, DC_KIND_INTENT, rest, strlen(rest), &r.sub, &err)
             : DC_NOMEM;
    free(rest);
    r.have_sub = rc == DC_OK;
    if (rc != DC_OK) {
        dc_api_problem(res,
                       rc == DC_NOMEM   ? 500
                       : rc == DC_LIMIT ? 422
                                        : 400,
                       rc, err.field[0] ? err.field : NULL,
                       rc == DC_NOMEM ? "out of memory" : err.message);
        declare_run_clear(&r);
        return;
    }
    dc_object *o = &r.sub.object;
    dc_copy_text(o->id, sizeof o->id, id);
    dc_copy_text(o->owner, sizeof o->owner, req->party.name);
    o->emergency = d.kind;
    o->priority = DC_PRIORITY_MAX;
    o->state = DC_STATE_ACTIVATED;
    dc_object_ref(DC_KIND_INTENT, o->owner, id, ref, sizeof ref);
    dc_object_ref(DC_KIND_SITE, o->owner, id, crew_ref, sizeof crew_ref);
    dc_time_us now = dc_service_now(), t0, t1;
    span_of(o, &t0, &t1);
    if (t1 <= now) {
        dc_api_problem(res, 400, DC_RANGE, "/volumes", "the emergency's volumes have all ended");
        declare_run_clear(&r);
        return;
    }
    dc_object crew_site;
    memset(&crew_site, 0, sizeof crew_site);
    if (d.has_crew) {
        if (dc_volume_init_circle(d.crew, d.crew_radius_m, 0, CREW_CEILING_M, t0, t1, &r.crew,
                                  &err) != DC_OK) {
            dc_api_problem(res, 400, DC_RANGE, "/last_known_position", err.message);
            declare_run_clear(&r);
            return;
        }
        crew_site = *o;
        crew_site.kind = DC_KIND_SITE;
        crew_site.volume_count = 1;
        crew_site.volumes = &r.crew;
    }
    r.body = dc_api_object_json(o, 0, NULL, r.sub.route);
    r.notices = json_array();
    if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
        declare_run_clear(&r);
        return;
    }
    /* the grant as this transaction sees it */
    dc_party p;
    rc = dc_store_party_get(api->svc.store, o->owner, &p);
    if (rc != DC_OK || !p.key_active) {
        dc_store_rollback(api->svc.store);
        if (rc == DC_OK || rc == DC_NOT_FOUND)
            dc_api_problem(res, 401, DC_FORBIDDEN, NULL, "this key has been revoked");
        else
            store_failure(res);
        declare_run_clear(&r);
        return;
    }
    if (p.emergency_validity_s <= 0) {
        refuse_grant(api, o->owner, res, NULL,
                     "your party is not granted emergencies; the operator grants them");
        declare_run_clear(&r);
        return;
    }
    if (d.validity_s > p.emergency_validity_s) {
        snprintf(detail, sizeof detail, "validity %lld s is longer than your grant of %lld s",
                 (long long)d.validity_s, (long long)p.emergency_validity_s);
        refuse_grant(api, o->owner, res, "/validity_s", detail);
        declare_run_clear(&r);
        return;
    }
    for (size_t i = 0; i < o->volume_count; i++) {
        double km2 = outline_area_m2(&o->volumes[i]) / 1e6;
        if (km2 > p.emergency_area_km2) {
            char pointer[32];
            snprintf(pointer, sizeof pointer, "/volumes/%zu", i);
            snprintf(detail, sizeof detail, "volume %zu covers %.1f km2; your grant is %.1f km2", i,
                     km2, p.emergency_area_km2);
            refuse_grant(api, o->owner, res, r.sub.route ? "/route" : pointer, detail);
            declare_run_clear(&r);
            return;
        }
    }
    dc_record existing, existing_site;
    int have_existing = 0, have_site = 0;
    rc = dc_store_object_get(api->svc.store, DC_KIND_INTENT, o->owner, id, &existing);
    have_existing = rc == DC_OK;
    if (rc == DC_NOT_FOUND)
        rc = DC_OK;
    if (rc == DC_OK && have_existing && existing.object.emergency == DC_EMERGENCY_NONE) {
        dc_record_clear(&existing);
        dc_store_rollback(api->svc.store);
        dc_api_problem(res, 409, DC_CONFLICT, NULL,
                       "an ordinary intent of yours has this id: declare the emergency under "
                       "another");
        declare_run_clear(&r);
        return;
    }
    if (rc == DC_OK) {
        rc = dc_store_object_get(api->svc.store, DC_KIND_SITE, o->owner, id, &existing_site);
        have_site = rc == DC_OK;
        if (rc == DC_NOT_FOUND)
            rc = DC_OK;
    }
    /* a declaration checks what is in force now, its candidates read in this transaction: a
     * rare write, so it decides under the lock rather than retrying */
    if (rc == DC_OK)
        rc = decide(api, r.geom, o, &r.cands, &r.result, &err);
    if (rc == DC_OK && d.has_crew)
        rc = decide(api, r.geom, &crew_site, &r.crew_cands, &r.crew_result, &err);
    int accepted = 1;
    if (rc == DC_OK)
        rc = dc_service_disclose_conflicts(&api->svc, o, ref, &r.result, &accepted, r.notices);
    if (rc == DC_OK && d.has_crew)
        rc = dc_service_disclose_conflicts(&api->svc, &crew_site, crew_ref, &r.crew_result,
                                           &accepted, r.notices);
    r.near.declarer = o->owner;
    r.near.now = now;
    if (rc == DC_OK)
        rc = parties_near(api, r.geom, o, &d, d.has_crew ? &r.crew : NULL, &r.near);
    int64_t suspended = 0;
    if (rc == DC_OK)
        rc = suspend_hazards(api, &r.result, ref, o->owner, now, &suspended);
    if (rc == DC_OK && d.has_crew)
        rc = suspend_hazards(api, &r.crew_result, ref, o->owner, now, &suspended);
    if (rc == DC_OK)
        rc = write_object(api, o, r.body, have_existing ? &existing : NULL, now);
    if (rc == DC_OK && d.has_crew) {
        json_t *site_body = json_pack("{s:s,s:s,s:{s:f,s:f},s:f}", "id", id, "label",
                                      "last known position of a downed crew", "location", "lat",
                                      d.crew.lat, "lng", d.crew.lon, "radius", d.crew_radius_m);
        rc = write_object(api, &crew_site, site_body, have_site ? &existing_site : NULL, now);
        json_decref(site_body);
    } else if (rc == DC_OK && have_site) {
        rc = dc_store_object_set_state(api->svc.store, DC_KIND_SITE, o->owner, id, DC_STATE_ENDED,
                                       now);
    }
    dc_emergency e;
    memset(&e, 0, sizeof e);
    dc_copy_text(e.owner, sizeof e.owner, o->owner);
    dc_copy_text(e.id, sizeof e.id, id);
    e.kind = d.kind;
    e.active = 1;
    e.declared = now;
    e.expires = now + d.validity_s * DC_US_PER_S;
    e.validity_s = d.validity_s;
    e.alert_distance_m = d.alert_distance_m;
    e.has_crew = d.has_crew;
    e.crew = d.crew;
    e.crew_radius_m = d.crew_radius_m;
    if (rc == DC_OK)
        rc = audit_row(api, o->owner, DC_KIND_INTENT, o->owner, id, "", "declared");
    if (rc == DC_OK && (d.has_crew || have_site))
        rc = audit_row(api, o->owner, DC_KIND_SITE, o->owner, id, "", "declared");
    if (rc == DC_OK)
        rc = dc_store_emergency_put(api->svc.store, &e);
    if (rc == DC_OK)
        rc = alert_near(api, &r.near, &e, o, now);
    if (rc == DC_OK)
        rc = dc_store_emergency_count(api->svc.store, o->owner, "declared", 1);
    dc_audit_record write;
    char expires[40];
    time_text(e.expires, expires);
    if (rc == DC_OK)
        rc =
            dc_service_audit(&api->svc, 1, o->owner, "emergency.declare", ref, "",
                             json_pack("{s:s,s:I,s:s,s:I,s:b,s:I}", "kind",
                                       dc_emergency_name(d.kind), "version", (json_int_t)o->version,
                                       "expires", expires, "validity_s", (json_int_t)d.validity_s,
                                       "crew", d.has_crew, "suspended", (json_int_t)suspended),
                             &write);
    if (have_existing)
        dc_record_clear(&existing);
    if (have_site)
        dc_record_clear(&existing_site);
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        if (rc == DC_INVALID)
            dc_api_problem(res, 400, rc, err.field[0] ? err.field : NULL, err.message);
        else
            store_failure(res);
        declare_run_clear(&r);
        return;
    }
    if (api->svc.monitor != NULL) {
        pthread_mutex_lock(&api->svc.monitor_lock);
        dc_monitor_remove_emergency(api->svc.monitor, o->owner, id);
        if (dc_monitor_add_emergency_object(api->svc.monitor, o) != DC_OK)
            fprintf(stderr, "deconflictd: emergency %s is not watched\n", ref);
        pthread_mutex_unlock(&api->svc.monitor_lock);
    }
    if (r.near.count > 0)
        dc_service_alerts_published(&api->svc);
    res->status = have_existing ? 200 : 201;
    res->json = json_deep_copy(r.body);
    json_object_set_new(res->json, "declaration", emergency_json(&e));
    json_object_set_new(res->json, "receipt", dc_api_receipt_json(&write));
    json_object_set(res->json, "notices", r.notices);
    snprintf(res->location, sizeof res->location, "/v1/emergencies/%s", id);
    declare_run_clear(&r);
}

/* ---- ending ---- */

struct release_run {
    dc_api *api;
    const char *emergency_ref;
    const char *why;
    dc_time_us now;
    dc_status rc;
};

static int released(void *ctx, const char *owner, const char *id)
{
    struct release_run *r = ctx;
    char ref[192], t[40];
    dc_object_ref(DC_KIND_HAZARD, owner, id, ref, sizeof ref);
    time_text(r->now, t);
    json_t *notice =
        json_pack("{s:{s:s,s:s},s:s,s:s,s:s,s:s}", "object", "kind", "hazard", "id", id, "action",
                  "released", "reason", "emergency", "why", r->why, "time", t);
    char *text = json_dumps(notice, JSON_COMPACT);
    int64_t nid = 0;
    r->rc = text
                ? dc_store_inbox_add(r->api->svc.store, DC_INBOX_NOTICES, owner, text, r->now, &nid)
                : DC_NOMEM;
    free(text);
    json_decref(notice);
    if (r->rc == DC_OK)
        r->rc = audit_row(r->api, "server", DC_KIND_HAZARD, owner, id, owner, "released");
    if (r->rc == DC_OK)
        r->rc = dc_service_audit(&r->api->svc, 1, "server", "hazard.release", ref, owner,
                                 json_pack("{s:s,s:s,s:I}", "emergency", r->emergency_ref, "why",
                                           r->why, "notice", (json_int_t)nid),
                                 NULL);
    return r->rc != DC_OK;
}

/* End an emergency in the open write transaction: its objects ended (typed), the hazards it held
 * given back with a notice, the change recorded. `why` is "ended", "expired" or "withdrawn". */
static dc_status end_in_transaction(dc_api *api, dc_emergency *e, const char *actor,
                                    const char *why, dc_time_us now, dc_audit_record *out)
{
    char ref[192];
    dc_object_ref(DC_KIND_INTENT, e->owner, e->id, ref, sizeof ref);
    dc_status rc = dc_store_object_set_state(api->svc.store, DC_KIND_INTENT, e->owner, e->id,
                                             DC_STATE_ENDED, now);
    if (rc == DC_NOT_FOUND)
        rc = DC_OK; /* deleted as an intent: the declaration still ends */
    if (rc == DC_OK && e->has_crew) {
        rc = dc_store_object_set_state(api->svc.store, DC_KIND_SITE, e->owner, e->id,
                                       DC_STATE_ENDED, now);
        if (rc == DC_NOT_FOUND)
            rc = DC_OK;
    }
    if (rc == DC_OK)
        rc = audit_row(api, actor, DC_KIND_INTENT, e->owner, e->id, "", why);
    if (rc == DC_OK && e->has_crew)
        rc = audit_row(api, actor, DC_KIND_SITE, e->owner, e->id, "", why);
    struct release_run run = {api, ref, why, now, DC_OK};
    if (rc == DC_OK)
        rc = dc_store_suspensions_release(api->svc.store, ref, now, released, &run);
    if (rc == DC_OK)
        rc = run.rc;
    e->active = 0;
    dc_copy_text(e->state, sizeof e->state, why);
    if (rc == DC_OK)
        rc = dc_store_emergency_put(api->svc.store, e);
    if (rc == DC_OK)
        rc = dc_store_emergency_count(api->svc.store, e->owner, why, 1);
    char action[32];
    snprintf(action, sizeof action, "emergency.%s", strcmp(why, "expired") == 0 ? "expire" : "end");
    if (rc == DC_OK)
        rc = dc_service_audit(&api->svc, 1, actor, action, ref, "", json_pack("{s:s}", "why", why),
                              out);
    return rc;
}

static void unwatch(dc_api *api, const char *owner, const char *id)
{
    if (api->svc.monitor == NULL)
        return;
    pthread_mutex_lock(&api->svc.monitor_lock);
    dc_monitor_remove_emergency(api->svc.monitor, owner, id);
    pthread_mutex_unlock(&api->svc.monitor_lock);
}

/* DELETE /v1/emergencies/{id}: the emergency is over. */
static void end_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    char id[DC_ID_MAX];
    if (id_in_path(req, id, res) != 0)
        return;
    if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
        return;
    }
    dc_emergency e;
    dc_audit_record write;
    dc_status rc = dc_store_emergency_get(api->svc.store, req->party.name, id, &e);
    if (rc == DC_OK && !e.active)
        rc = DC_NOT_FOUND;
    if (rc == DC_OK)
        rc = end_in_transaction(api, &e, req->party.name, "ended", dc_service_now(), &write);
    if (rc == DC_NOT_FOUND) {
        dc_store_rollback(api->svc.store);
        dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no emergency of yours in force by this id");
        return;
    }
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        store_failure(res);
        return;
    }
    unwatch(api, e.owner, e.id);
    res->status = 200;
    res->json = emergency_json(&e);
    json_object_set_new(res->json, "receipt", dc_api_receipt_json(&write));
}

/* POST /v1/emergencies/{id}/renew: valid `validity_s` (or as long as before) from now. */
static void renew_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    char id[DC_ID_MAX];
    if (id_in_path(req, id, res) != 0)
        return;
    json_t *root =
        req->body_length > 0 ? json_loadb(req->body, req->body_length, 0, NULL) : json_object();
    json_t *validity = json_object_get(root, "validity_s");
    if (!json_is_object(root) || json_object_size(root) > (validity != NULL ? 1u : 0u) ||
        (validity != NULL && !json_is_integer(validity))) {
        json_decref(root);
        dc_api_problem(res, 400, DC_INVALID, validity ? "/validity_s" : "",
                       "{} or {\"validity_s\": whole seconds}");
        return;
    }
    json_int_t wanted = validity != NULL ? json_integer_value(validity) : 0;
    json_decref(root);
    if (validity != NULL &&
        (wanted < DC_EMERGENCY_VALIDITY_S_MIN || wanted > DC_EMERGENCY_VALIDITY_S_MAX)) {
        dc_api_problem(res, 400, DC_RANGE, "/validity_s", "whole seconds within 1..86400");
        return;
    }
    if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        store_failure(res);
        return;
    }
    dc_emergency e;
    dc_party p;
    dc_status rc = dc_store_emergency_get(api->svc.store, req->party.name, id, &e);
    if (rc == DC_OK && !e.active)
        rc = DC_NOT_FOUND;
    if (rc == DC_NOT_FOUND) {
        dc_store_rollback(api->svc.store);
        dc_api_problem(res, 404, DC_NOT_FOUND, NULL,
                       "no emergency of yours in force by this id (an expired one is declared "
                       "again)");
        return;
    }
    if (rc == DC_OK)
        rc = dc_store_party_get(api->svc.store, req->party.name, &p);
    int64_t validity_s = wanted > 0 ? (int64_t)wanted : e.validity_s;
    if (rc == DC_OK && validity_s > p.emergency_validity_s) {
        char detail[128];
        snprintf(detail, sizeof detail, "validity %lld s is longer than your grant of %lld s",
                 (long long)validity_s, (long long)p.emergency_validity_s);
        refuse_grant(api, req->party.name, res, validity ? "/validity_s" : NULL, detail);
        return;
    }
    dc_time_us now = dc_service_now();
    e.expires = now + validity_s * DC_US_PER_S;
    e.validity_s = validity_s;
    e.renewals++;
    char ref[192], expires[40];
    dc_object_ref(DC_KIND_INTENT, e.owner, e.id, ref, sizeof ref);
    time_text(e.expires, expires);
    dc_audit_record write;
    if (rc == DC_OK)
        rc = dc_store_emergency_put(api->svc.store, &e);
    if (rc == DC_OK)
        rc = dc_store_emergency_count(api->svc.store, e.owner, "renewed", 1);
    if (rc == DC_OK)
        rc = dc_service_audit(&api->svc, 1, e.owner, "emergency.renew", ref, "",
                              json_pack("{s:s,s:I,s:I}", "expires", expires, "validity_s",
                                        (json_int_t)validity_s, "renewals", (json_int_t)e.renewals),
                              &write);
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        store_failure(res);
        return;
    }
    res->status = 200;
    res->json = emergency_json(&e);
    json_object_set_new(res->json, "receipt", dc_api_receipt_json(&write));
}

static int collect_emergency(void *ctx, const dc_emergency *e)
{
    json_array_append_new(ctx, emergency_json(e));
    return 0;
}

/* GET /v1/emergencies: a party's own declarations; the operator's view of every party's. */
static void list_emergencies(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    json_t *items = json_array();
    if (dc_store_begin(api->svc.store, 0) != DC_OK ||
        dc_store_emergencies(api->svc.store, req->is_operator ? NULL : req->party.name, 0, 0,
                             collect_emergency, items) != DC_OK) {
        dc_store_rollback(api->svc.store);
        json_decref(items);
        store_failure(res);
        return;
    }
    dc_store_rollback(api->svc.store);
    res->status = 200;
    res->json = json_pack("{s:o}", "items", items);
}

/* ---- the operator's grant and view ---- */

static int collect_count(void *ctx, const char *party, const char *what, int64_t n)
{
    (void)party;
    json_object_set_new(ctx, what, json_integer(n));
    return 0;
}

static json_t *grant_json(const dc_party *p, json_t *counts)
{
    return json_pack("{s:s,s:f,s:I,s:o}", "party", p->name, "max_area_km2", p->emergency_area_km2,
                     "max_validity_s", (json_int_t)p->emergency_validity_s, "counts", counts);
}

/* GET /v1/parties/{name}/emergency: what the party may declare and what it has done. */
static void get_party_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    char name[DC_ID_MAX];
    if (dc__api_party_in_path(req, name, res) != 0)
        return;
    dc_party p;
    json_t *counts = json_object();
    dc_status rc = dc_store_begin(api->svc.store, 0);
    if (rc == DC_OK)
        rc = dc_store_party_get(api->svc.store, name, &p);
    if (rc == DC_OK)
        rc = dc_store_emergency_counts(api->svc.store, name, collect_count, counts);
    dc_store_rollback(api->svc.store);
    if (rc != DC_OK) {
        json_decref(counts);
        if (rc == DC_NOT_FOUND)
            dc_api_problem(res, 404, rc, NULL, "no such party");
        else
            store_failure(res);
        return;
    }
    res->status = 200;
    res->json = grant_json(&p, counts);
}

/* PUT /v1/parties/{name}/emergency {"max_area_km2": A, "max_validity_s": S}. */
static void set_party_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    char name[DC_ID_MAX];
    if (dc__api_party_in_path(req, name, res) != 0)
        return;
    json_t *root = json_loadb(req->body, req->body_length, JSON_REJECT_DUPLICATES, NULL);
    json_t *area = json_object_get(root, "max_area_km2"),
           *validity = json_object_get(root, "max_validity_s");
    if (!json_is_object(root) || json_object_size(root) != 2 || !json_is_number(area) ||
        !json_is_integer(validity)) {
        const char *pointer = !json_is_number(area) ? "/max_area_km2" : "/max_validity_s";
        json_decref(root);
        dc_api_problem(res, 400, DC_INVALID, pointer,
                       "{\"max_area_km2\": km2, \"max_validity_s\": whole seconds} (0 and 0: "
                       "none)");
        return;
    }
    dc_party_admin_result r;
    dc_error err;
    dc_status rc = dc_party_admin_set_emergency(api->svc.store, api->svc.secret_key, "operator",
                                                name, json_number_value(area),
                                                (int64_t)json_integer_value(validity), &r, &err);
    json_decref(root);
    if (rc == DC_NOT_FOUND) {
        dc_api_problem(res, 404, rc, NULL, err.message);
    } else if (rc == DC_RANGE || rc == DC_INVALID) {
        char pointer[40];
        snprintf(pointer, sizeof pointer, "/%s", err.field);
        dc_api_problem(res, 400, rc, strcmp(err.field, "name") == 0 ? NULL : pointer, err.message);
    } else if (rc != DC_OK) {
        dc_api_problem(res, 500, rc, NULL, err.message);
    } else {
        res->status = 200;
        res->json = grant_json(&r.party, json_object());
        json_object_set_new(res->json, "receipt", dc_api_receipt_json(&r.receipt));
    }
}

/* ---- routing (handlers.c hands these paths over) ---- */

int dc__api_emergency_route(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    const char *p = req->path, *m = req->method;
    int get = strcmp(m, "GET") == 0, put = strcmp(m, "PUT") == 0, post = strcmp(m, "POST") == 0,
        del = strcmp(m, "DELETE") == 0;
    size_t plen = strlen(p);
    int party_grant = strncmp(p, "/v1/parties/", 12) == 0 && plen > 22 &&
                      strcmp(p + plen - 10, "/emergency") == 0 &&
                      strchr(p + 12, '/') == p + plen - 10;
    int collection = strcmp(p, "/v1/emergencies") == 0;
    int item = strncmp(p, "/v1/emergencies/", 16) == 0;
    if (!party_grant && !collection && !item)
        return 0;
    if (!req->authenticated) {
        dc_api_problem(res, 401, DC_FORBIDDEN, NULL, "send \"Authorization: Bearer <your key>\"");
        return 1;
    }
    if (dc__api_query_allowed(req, NULL, res) != 0)
        return 1;
    if (party_grant) {
        if (!req->is_operator)
            dc_api_problem(res, 403, DC_FORBIDDEN, NULL, "the operator key is needed");
        else if (get)
            get_party_emergency(api, req, res);
        else if (put)
            set_party_emergency(api, req, res);
        else
            dc__api_method_not_allowed(res, "GET, PUT");
        return 1;
    }
    if (collection) {
        if (get)
            list_emergencies(api, req, res);
        else
            dc__api_method_not_allowed(res, "GET");
        return 1;
    }
    if (req->is_operator) {
        dc_api_problem(res, 403, DC_FORBIDDEN, NULL,
                       "the operator grants emergencies; a party declares them");
        return 1;
    }
    const char *rest = p + 16, *slash = strchr(rest, '/');
    if (slash != NULL && strcmp(slash, "/renew") == 0) {
        if (post)
            renew_emergency(api, req, res);
        else
            dc__api_method_not_allowed(res, "POST");
    } else if (slash != NULL) {
        dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such route");
    } else if (put) {
        put_emergency(api, req, res);
    } else if (del) {
        end_emergency(api, req, res);
    } else {
        dc__api_method_not_allowed(res, "PUT, DELETE");
    }
    return 1;
}

/* A reader sees an intent or hazard as the store holds it: the body as its owner wrote it, the
 * state typed apart (and for a suspended hazard, which emergencies hold it). */
void dc__api_emergency_overlay(dc_api *api, const dc_record *r, json_t *body)
{
    if (body == NULL || r->object.kind == DC_KIND_ZONE || r->object.kind == DC_KIND_SITE)
        return;
    /* typed changes (suspended, released, an emergency ended) are not written into the body */
    json_object_set_new(body, "state", json_string(dc_state_name(r->object.state)));
    if (r->object.state != DC_STATE_SUSPENDED)
        return;
    char by[512];
    if (dc_store_suspended_by(api->svc.store, r->object.owner, r->object.id, by, sizeof by) ==
        DC_OK)
        json_object_set_new(body, "suspended_by", json_string(by));
}

/* ---- metrics ---- */

struct metrics_out {
    char *out;
    size_t size, n;
};

static int metric_line(void *ctx, const char *party, const char *what, int64_t n)
{
    struct metrics_out *m = ctx;
    if (m->n + 1 < m->size) {
        int w = snprintf(m->out + m->n, m->size - m->n,
                         "deconflict_emergencies_total{party=\"%s\",event=\"%s\"} %lld\n", party,
                         what, (long long)n);
        if (w > 0)
            m->n = m->n + (size_t)w < m->size ? m->n + (size_t)w : m->size - 1;
    }
    return 0;
}

size_t dc__api_emergency_metrics(dc_api *api, char *out, size_t size)
{
    struct metrics_out m = {out, size, 0};
    if (size == 0)
        return 0;
    out[0] = '\0';
    int w = snprintf(out, size,
                     "# HELP deconflict_emergencies_total Emergencies by party: declared, renewed, "
                     "suspended (hazards held), ended, expired, refused (no grant or past it).\n"
                     "# TYPE deconflict_emergencies_total counter\n");
    m.n = w > 0 && (size_t)w < size ? (size_t)w : 0;
    if (dc_store_begin(api->svc.store, 0) == DC_OK) {
        dc_store_emergency_counts(api->svc.store, NULL, metric_line, &m);
        dc_store_rollback(api->svc.store);
    }
    return m.n;
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
    dc_api *api;
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
    int active = dc_store_emergency_get(o->api->svc.store, owner, id, &e) == DC_OK && e.active;
    int in_force = dc_store_object_get(o->api->svc.store, DC_KIND_INTENT, owner, id, &rec) == DC_OK;
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
    struct release_run run = {o->api, emergency_ref, "ended", o->now, DC_OK};
    o->rc = dc_store_suspensions_release(o->api->svc.store, emergency_ref, o->now, released, &run);
    if (o->rc == DC_OK)
        o->rc = run.rc;
    return o->rc != DC_OK;
}

/* One pass: every declaration past its validity ends as "expired", every orphan suspension is
 * released. Returns how many ended. */
static size_t expiry_pass(dc_api *api)
{
    dc_time_us now = dc_service_now();
    struct due due = {0};
    /* most passes find nothing: they look under a read transaction, and take the write lock
     * (which the archiver and every write wait for) only when something is due */
    struct orphan look = {api, now, DC_OK, 1, 0};
    if (dc_store_begin(api->svc.store, 0) != DC_OK)
        return 0;
    dc_status rc = dc_store_emergencies(api->svc.store, NULL, 1, now, collect_due, &due);
    if (rc == DC_OK && due.count == 0)
        rc = dc_store_suspending(api->svc.store, release_orphan, &look);
    dc_store_rollback(api->svc.store);
    int nothing = rc == DC_OK && due.count == 0 && !look.found;
    dc_free(due.items);
    memset(&due, 0, sizeof due);
    if (nothing || dc_store_begin(api->svc.store, 1) != DC_OK)
        return 0;
    rc = dc_store_emergencies(api->svc.store, NULL, 1, now, collect_due, &due);
    for (size_t i = 0; rc == DC_OK && i < due.count; i++)
        rc = end_in_transaction(api, &due.items[i], "server", "expired", now, NULL);
    struct orphan orphan = {api, now, DC_OK, 0, 0};
    if (rc == DC_OK)
        rc = dc_store_suspending(api->svc.store, release_orphan, &orphan);
    if (rc == DC_OK)
        rc = orphan.rc;
    size_t ended = 0;
    if (dc_store_finish(api->svc.store, rc) == DC_OK) {
        ended = due.count;
        for (size_t i = 0; i < due.count; i++)
            unwatch(api, due.items[i].owner, due.items[i].id);
    } else {
        fprintf(stderr, "deconflictd: the emergency expiry pass failed (%s); it runs again\n",
                dc_status_name(rc));
    }
    dc_free(due.items);
    return ended;
}

static void *expiry_main(void *arg)
{
    dc_api *api = arg;
    /* wait first: the server's start belongs to the archiver's first measurement */
    while (!dc__worker_pause(&api->emergency->worker, EXPIRY_PERIOD_MS * INT64_C(1000)))
        expiry_pass(api);
    return NULL;
}

static int watch_active(void *ctx, const dc_emergency *e)
{
    dc_api *api = ctx;
    dc_record rec;
    if (dc_store_object_get(api->svc.store, DC_KIND_INTENT, e->owner, e->id, &rec) != DC_OK)
        return 0;
    if (rec.object.emergency != DC_EMERGENCY_NONE &&
        dc_monitor_add_emergency_object(api->svc.monitor, &rec.object) != DC_OK)
        fprintf(stderr, "deconflictd: emergency %s/%s is not watched\n", e->owner, e->id);
    dc_record_clear(&rec);
    return 0;
}

dc_status dc__api_emergency_start(dc_api *api)
{
    struct dc_api_emergency *st = dc_calloc(1, sizeof *st);
    if (st == NULL)
        return DC_NOMEM;
    dc__worker_init(&st->worker);
    api->emergency = st;
    /* the monitor watches what is in force from the start, as it does zones */
    if (api->svc.monitor != NULL && dc_store_begin(api->svc.store, 0) == DC_OK) {
        pthread_mutex_lock(&api->svc.monitor_lock);
        dc_store_emergencies(api->svc.store, NULL, 1, 0, watch_active, api);
        pthread_mutex_unlock(&api->svc.monitor_lock);
        dc_store_rollback(api->svc.store);
    }
    if (dc__worker_start(&st->worker, expiry_main, api) != DC_OK) {
        dc__api_emergency_stop(api);
        return DC_INTERNAL;
    }
    return DC_OK;
}

void dc__api_emergency_stop(dc_api *api)
{
    struct dc_api_emergency *st = api != NULL ? api->emergency : NULL;
    if (st == NULL)
        return;
    dc__worker_stop(&st->worker);
    api->emergency = NULL;
    dc_free(st);
}
