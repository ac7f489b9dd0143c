/* objects.c - the routes of intents, hazards, zones and sites: decode, call the service, encode */
#include "api_internal.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- objects ---- */

int dc__api_kind_of_collection(const char *name, size_t len, dc_object_kind *kind)
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

/* HTTP's If-Match / If-None-Match as the service's condition on an object's version: the answer
 * (412, or 400 for a header that names no entity tag) is kept for the response. */
struct preconditions {
    const dc_api_request *req;
    dc_api_response *res;
    int failed;
};

static dc_status preconditions_hold(void *ctx, int64_t current)
{
    struct preconditions *p = ctx;
    if (dc__api_preconditions(p->req, current, 0, p->res) == 0)
        return DC_OK;
    p->failed = 1;
    return DC_STALE;
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
        dc__api_bad_input(res, &err);
        dc_geom_free(geom);
        return;
    }
    dc_object *o = &sub.object;
    dc_copy_text(o->id, sizeof o->id, id);
    dc_copy_text(o->owner, sizeof o->owner, req->party.name);
    struct preconditions pre = {req, res, 0};
    dc_submit_request rq = {&sub, dc_api_object_json(o, sub.is_public, sub.hazard_kind, sub.route),
                            preconditions_hold, &pre, req->if_match != NULL};
    dc_submit_outcome out;
    dc_status rc = rq.declared != NULL
                       ? dc_service_submit(&api->svc, geom, &rq, &out, &err)
                       : dc_error_set(&err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc == DC_OK) {
        res->status = out.replaced ? 200 : 201;
        dc__api_etag(res, out.version);
        res->json = json_loads(out.body, 0, NULL);
        json_object_set_new(res->json, "receipt", dc_api_receipt_json(&out.receipt));
        json_object_set(res->json, "notices", out.notices);
        set_readbacks(res->json, sub.readbacks);
        snprintf(res->location, sizeof res->location, "/v1/%ss/%s", dc_kind_name(kind), id);
    } else if (!pre.failed) {
        dc__api_service_failure(res, &err);
        if (rc == DC_CONFLICT && json_array_size(out.notices) > 0) {
            json_object_set(res->json, "notices", out.notices);
            set_readbacks(res->json, sub.readbacks);
        }
    }
    if (rq.declared != NULL)
        dc_submit_outcome_clear(&out);
    json_decref(rq.declared);
    dc_api_submission_clear(&sub);
    dc_geom_free(geom);
}

void dc__api_get_object(dc_api *api, const dc_api_request *req, dc_object_kind kind, const char *id,
                        dc_api_response *res)
{
    dc_record r;
    dc_error err;
    if (dc_service_read(&api->svc, kind, req->party.name, id, &r, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
        return;
    }
    json_t *body = json_loads(r.body, 0, NULL);
    dc__api_emergency_overlay(api, &r, body);
    dc_record_clear(&r);
    json_int_t version = json_integer_value(json_object_get(body, "version"));
    res->status = 200;
    res->json = body;
    dc__api_etag(res, version);
    dc__api_preconditions(req, version, 1, res); /* 304 or 412 in `res` when one fails */
}

void dc__api_delete_object(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                           const char *id, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    struct preconditions pre = {req, res, 0};
    int conditional = req->if_match != NULL || req->if_none_match != NULL;
    dc_audit_record write;
    dc_error err;
    if (dc_service_withdraw(&api->svc, kind, req->party.name, id,
                            conditional ? preconditions_hold : NULL, &pre, &write, &err) != DC_OK) {
        if (!pre.failed)
            dc__api_service_failure(res, &err);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:s,s:s,s:o}", "id", id, "deleted", "true", "receipt",
                          dc_api_receipt_json(&write));
}

void dc__api_list_objects(dc_api *api, const dc_api_request *req, dc_object_kind kind,
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
        dc__api_bad_input(res, &err);
        return;
    }
    if (dc__page_parse(api, req, list, "", &page, res) != 0)
        return;
    dc_record_list records = {0};
    int more = 0;
    if (dc_service_list(&api->svc, kind, req->party.name, filtered ? &box : NULL, page.after,
                        page.limit, &records, &more, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < records.count; i++) {
        json_t *body = json_loads(records.items[i].body, 0, NULL);
        dc__api_emergency_overlay(api, &records.items[i], body);
        json_array_append_new(items, body);
    }
    int64_t last = records.count > 0 ? records.items[records.count - 1].row : 0;
    dc_record_list_clear(&records);
    res->status = 200;
    res->json = json_pack("{s:o}", "items", items);
    if (more)
        dc__page_next(api, req, list, "", params, last, NULL, &page, res);
}

static void put_object_decided(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                               const char *id, dc_api_response *res);

void dc__api_put_object(dc_api *api, const dc_api_request *req, dc_object_kind kind, const char *id,
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
