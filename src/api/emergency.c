/* emergency.c - the routes of emergencies: declare, renew, end; who nearby is told; hazards held
 * and released; the expiry that runs by itself (docs/EMERGENCIES.md) */
#include "api_internal.h"
#include "routes.h"
#include "deconflict/party_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static int take_declaration(json_t *root, dc_emergency_declaration *d, dc_api_response *res)
{
    memset(d, 0, sizeof *d);
    d->alert_distance_m = DC_EMERGENCY_ALERT_DISTANCE_DEFAULT_M;
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
        if (!json_is_number(distance) || !(m >= 0 && m <= DC_EMERGENCY_ALERT_DISTANCE_MAX_M)) {
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
        d->crew_radius_m =
            radius != NULL ? json_number_value(radius) : DC_EMERGENCY_CREW_RADIUS_DEFAULT_M;
        if ((radius != NULL && !json_is_number(radius)) ||
            !(d->crew_radius_m >= DC_EMERGENCY_CREW_RADIUS_MIN_M &&
              d->crew_radius_m <= DC_EMERGENCY_CREW_RADIUS_MAX_M)) {
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

/* The declaration's area decoded as an intent's submission: 0, or -1 with the answer in res. */
static int decode_area(dc_geom *geom, json_t *rest_doc, dc_submission *sub, dc_api_response *res)
{
    dc_error err = {0};
    char *rest = json_dumps(rest_doc, JSON_COMPACT);
    dc_status rc =
        rest ? dc_api_decode_submission(geom, DC_KIND_INTENT, rest, strlen(rest), sub, &err)
             : DC_NOMEM;
    free(rest);
    if (rc == DC_OK)
        return 0;
    dc_api_problem(res,
                   rc == DC_NOMEM   ? 500
                   : rc == DC_LIMIT ? 422
                                    : 400,
                   rc, rc != DC_NOMEM && err.field[0] ? err.field : NULL,
                   rc == DC_NOMEM ? "out of memory" : err.message);
    return -1;
}

/* PUT /v1/emergencies/{id}: declare (or declare again, replacing the area). */
static void put_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    char id[DC_ID_MAX];
    if (id_in_path(req, id, res) != 0)
        return;
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_length, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        dc_api_problem(res, 400, DC_INVALID, "", "malformed JSON");
        return;
    }
    dc_emergency_declaration d;
    dc_submission sub;
    dc_geom *geom = NULL;
    if (take_declaration(root, &d, res) != 0 || dc_geom_new(&geom) != DC_OK ||
        decode_area(geom, root, &sub, res) != 0) {
        if (res->status == 0)
            dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        json_decref(root);
        dc_geom_free(geom);
        return;
    }
    json_decref(root);
    dc_object *o = &sub.object;
    dc_copy_text(o->id, sizeof o->id, id);
    dc_copy_text(o->owner, sizeof o->owner, req->party.name);
    d.submission = &sub;
    dc_service_emergency_object(&d);
    d.declared = dc_api_object_json(o, 0, NULL, sub.route);
    dc_emergency_outcome out;
    dc_error err;
    dc_status rc = d.declared != NULL
                       ? dc_service_emergency_declare(&api->svc, geom, &d, &out, &err)
                       : dc_error_set(&err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc != DC_OK) {
        dc__api_service_failure(res, &err);
    } else {
        res->status = out.replaced ? 200 : 201;
        res->json = json_deep_copy(out.body);
        json_object_set_new(res->json, "declaration", emergency_json(&out.emergency));
        json_object_set_new(res->json, "receipt", dc_api_receipt_json(&out.receipt));
        json_object_set(res->json, "notices", out.notices);
        snprintf(res->location, sizeof res->location, "/v1/emergencies/%s", id);
        dc_emergency_outcome_clear(&out);
    }
    json_decref(d.declared);
    dc_api_submission_clear(&sub);
    dc_geom_free(geom);
}

/* ---- ending ---- */

/* DELETE /v1/emergencies/{id}: the emergency is over. */
static void end_emergency(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    char id[DC_ID_MAX];
    if (id_in_path(req, id, res) != 0)
        return;
    dc_emergency e;
    dc_audit_record write;
    dc_error err;
    if (dc_service_emergency_end(&api->svc, req->party.name, id, &e, &write, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
        return;
    }
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
    dc_emergency e;
    dc_audit_record write;
    dc_error err;
    /* a validity named as 0 is out of range, not "as long as before" */
    int64_t validity_s = validity != NULL && wanted == 0 ? -1 : (int64_t)wanted;
    if (dc_service_emergency_renew(&api->svc, req->party.name, id, validity_s, &e, &write, &err) !=
        DC_OK) {
        dc__api_service_failure(res, &err);
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
    dc_error err;
    if (dc_service_emergencies(&api->svc, req->is_operator ? NULL : req->party.name,
                               collect_emergency, items, &err) != DC_OK) {
        json_decref(items);
        dc__api_service_failure(res, &err);
        return;
    }
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
    dc_error err;
    if (dc_service_emergency_counts(&api->svc, name, &p, collect_count, counts, &err) != DC_OK) {
        json_decref(counts);
        dc__api_service_failure(res, &err);
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
    dc_service_object_overlay(&api->svc, r, body);
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
    dc_error err;
    dc_service_emergency_counts(&api->svc, NULL, NULL, metric_line, &m, &err);
    return m.n;
}

/* ---- expiry: an emergency not renewed ends by itself ---- */

static void expiry_pass(dc_api *api)
{
    size_t ended = 0;
    dc_status rc = dc_service_emergency_expire(&api->svc, &ended);
    if (rc != DC_OK)
        fprintf(stderr, "deconflictd: the emergency expiry pass failed (%s); it runs again\n",
                dc_status_name(rc));
}

static void *expiry_main(void *arg)
{
    dc_api *api = arg;
    /* wait first: the server's start belongs to the archiver's first measurement */
    while (!dc__worker_pause(&api->emergency->worker, EXPIRY_PERIOD_MS * INT64_C(1000)))
        expiry_pass(api);
    return NULL;
}

dc_status dc__api_emergency_start(dc_api *api)
{
    struct dc_api_emergency *st = dc_calloc(1, sizeof *st);
    if (st == NULL)
        return DC_NOMEM;
    dc__worker_init(&st->worker);
    api->emergency = st;
    /* the monitor watches what is in force from the start, as it does zones */
    if (dc_service_emergency_watch_all(&api->svc) != DC_OK)
        fprintf(stderr, "deconflictd: the emergencies in force could not be read to watch\n");
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
