/* handlers.c - the route table of deconflictd and what its handlers share: who may call each
 * route, the method's handler, and HTTP's answers to the service's failures */
#include "api_internal.h"
#include "routes.h"
#include "deconflict/party_admin.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void dc__api_bad_input(dc_api_response *res, const dc_error *err)
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

void dc__api_store_failure(dc_api_response *res)
{
    dc_api_problem(res, 500, DC_STORE, NULL, "the store failed; nothing was changed");
}

/* A service's failure as HTTP: the status says which answer, err->field the member at fault (a
 * JSON pointer; "authorization" for the credential itself: 401). */
void dc__api_service_failure(dc_api_response *res, const dc_error *err)
{
    int http;
    switch (err->status) {
    case DC_INVALID:
    case DC_RANGE:
    case DC_AMBIGUOUS:
    case DC_UNSUPPORTED:
        http = 400;
        break;
    case DC_CONFLICT:
    case DC_STALE:
        http = 409;
        break;
    case DC_NOT_FOUND:
        http = 404;
        break;
    case DC_FORBIDDEN:
        http = strcmp(err->field, "authorization") == 0 ? 401 : 403;
        break;
    case DC_LIMIT:
        http = 422;
        break;
    case DC_BUSY:
        http = 503;
        res->retry_after_s = 1;
        break;
    default:
        http = 500;
    }
    char pointer[sizeof err->field + 1] = "";
    if (err->field[0] == '/')
        dc_copy_text(pointer, sizeof pointer, err->field);
    else if (err->field[0] != '\0' && http != 401) /* library fields are bare names ("area") */
        snprintf(pointer, sizeof pointer, "/%s", err->field);
    dc_api_problem(res, http, err->status, pointer[0] ? pointer : NULL, err->message);
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

json_t *dc_api_receipt_json(const dc_audit_record *r)
{
    char hash[2 * DC_HASH_BYTES + 1], sig[2 * DC_SIGNATURE_BYTES + 1];
    dc_hex(r->hash, DC_HASH_BYTES, hash);
    dc_hex(r->signature, DC_SIGNATURE_BYTES, sig);
    return json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)r->seq, "hash", hash, "signature", sig);
}

/* ---- parties, grants, notices, audit ---- */

json_t *dc__api_parse_body(const dc_api_request *req, dc_api_response *res,
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

static void health(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)req;
    /* a load balancer routes around an instance that cannot reach its store */
    if (dc_service_store_reachable(&api->svc) != DC_OK) {
        dc_api_problem(res, 503, DC_STORE, NULL, "this instance cannot reach its store");
        res->retry_after_s = 1;
        return;
    }
    /* nor to one whose live picture lacks reports acknowledged elsewhere: just started, it is
     * still replaying the shared log (service/cluster.c) */
    if (dc_service_cluster_ready(&api->svc) != DC_OK) {
        dc_api_problem(res, 503, DC_BUSY, NULL,
                       "this instance is still rebuilding its live picture from the shared store");
        res->retry_after_s = 1;
        return;
    }
    char pk[2 * DC_PUBLIC_KEY_BYTES + 1];
    dc_hex(api->svc.public_key, DC_PUBLIC_KEY_BYTES, pk);
    res->status = 200;
    int shared = dc_store_shared(api->svc.store);
    res->json = json_pack("{s:s,s:s,s:s,s:s}", "status", "ok", "audit_public_key", pk, "store",
                          dc_store_backend(api->svc.store), "monitor",
                          !shared                                ? "alone"
                          : dc_service_cluster_leader(&api->svc) ? "leader"
                                                                 : "follower");
}

static void metrics(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)req;
    dc__metrics_page(api, res);
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
    dc__api_notation_of(req->party.notation, &notation);
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
    dc__api_list_tracks(api, req, res);
    if (geo)
        dc__api_as_geojson(1, res);
}

static void problem_page(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    dc__api_problem_page(req, res);
}

typedef void (*handler)(dc_api *api, const dc_api_request *req, dc_api_response *res);

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
    {"/v1/parties", ACCESS_OPERATOR, dc__api_list_parties, dc__api_create_party, NULL, NULL,
     "limit cursor"},
    {"/v1/audit", ACCESS_EITHER, dc__api_list_audit, NULL, NULL, NULL, "object limit cursor"},
    {"/v1/alerts", ACCESS_EITHER, dc__api_list_alerts, NULL, NULL, NULL, "since limit cursor"},
    {"/v1/parties/me", ACCESS_PARTY, whoami, NULL, dc__api_set_me, NULL, NULL},
    {"/v1/coordinates", ACCESS_PARTY, format_coordinates, NULL, NULL, NULL, "lat lng"},
    {"/v1/notices", ACCESS_PARTY, dc__api_list_notices, NULL, NULL, NULL, "after limit cursor"},
    {"/v1/tracks", ACCESS_PARTY, get_tracks, dc__api_post_tracks, NULL, NULL, "limit cursor"},
    {"/v1/alerts/stream", ACCESS_PARTY, dc__api_stream_alerts, NULL, NULL, NULL, NULL},
    {"/v1/tracks/stream", ACCESS_PARTY, dc__api_stream_tracks, NULL, NULL, NULL, NULL},
    {"/v1/sensor-tracks", ACCESS_PARTY, NULL, dc__api_post_sensor_tracks, NULL, NULL, NULL},
    {"/v1/messages", ACCESS_PARTY, dc__api_list_messages, dc__api_post_message, NULL, NULL,
     "limit cursor"},
    {"/v1/grants", ACCESS_PARTY, NULL, dc__api_grant_h, NULL, dc__api_revoke_h, NULL},
    {"/v1/replays", ACCESS_PARTY, NULL, dc__api_post_replay, NULL, NULL, NULL},
    /* after /v1/parties/me, which no party can be named */
    {"/v1/parties/{name}", ACCESS_OPERATOR, dc__api_get_party, NULL, dc__api_set_party, NULL, NULL},
    {"/v1/parties/{name}/key", ACCESS_OPERATOR, NULL, dc__api_rotate_party_key, NULL,
     dc__api_revoke_party_key, NULL},
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
               dc__api_kind_of_collection(p + 4, strlen(p + 4), &kind);
    if (dc__api_query_allowed(req, list ? "area from to limit cursor" : NULL, res) != 0)
        return;
    if (strncmp(p, "/v1/messages/", 13) == 0) {
        char *end = NULL;
        long long id = strtoll(p + 13, &end, 10);
        if (end == p + 13 || strcmp(end, "/ack") != 0 || id <= 0)
            dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such route");
        else if (post)
            dc__api_acknowledge_message(api, req, id, res);
        else
            dc__api_method_not_allowed(res, "POST");
        return;
    }
    if (strcmp(p, "/v1/grants") == 0) {
        if (post || del)
            dc__api_change_grant(api, req, post, res);
        else
            dc__api_method_not_allowed(res, "POST, DELETE");
        return;
    }
    if (strncmp(p, "/v1/", 4) == 0) {
        const char *name = p + 4, *slash = strchr(name, '/');
        size_t len = slash ? (size_t)(slash - name) : strlen(name);
        if (dc__api_kind_of_collection(name, len, &kind)) {
            int geo = get ? dc__api_negotiate(req, 1, res) : 0;
            if (geo < 0)
                return;
            if (slash == NULL) {
                if (get)
                    dc__api_list_objects(api, req, kind, res);
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
                dc__api_put_object(api, req, kind, id, res);
            else if (get)
                dc__api_get_object(api, req, kind, id, res);
            else if (del)
                dc__api_delete_object(api, req, kind, id, res);
            else
                dc__api_method_not_allowed(res, "GET, PUT, DELETE");
            if (geo)
                dc__api_as_geojson(0, res);
            return;
        }
    }
    dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such route");
}
