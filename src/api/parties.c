/* parties.c - the routes of parties (the operator's), a party's own settings and its grants */
#include "api_internal.h"
#include "routes.h"
#include "deconflict/party_admin.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        dc__api_bad_input(res, err);
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

void dc__api_create_party(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"name", "notation", "priority_ceiling", NULL};
    json_t *root = dc__api_parse_body(req, res, fields);
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
int dc__api_no_body(const dc_api_request *req, dc_api_response *res)
{
    static const char *const none[] = {NULL};
    if (req->body_length == 0)
        return 0;
    json_t *root = dc__api_parse_body(req, res, none);
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
void dc__api_list_parties(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "parties", "", &page, res) != 0)
        return;
    struct party_page pp = {json_array(), &page, 0, ""};
    dc_error err;
    if (dc_service_parties(&api->svc, add_party, &pp, &err) != DC_OK) {
        json_decref(pp.items);
        dc__api_service_failure(res, &err);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", pp.items);
    if (pp.seen > page.limit)
        dc__page_next(api, req, "parties", "", NULL, 0, pp.last, &page, res);
}

void dc__api_get_party(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    char name[DC_ID_MAX];
    dc_party p;
    if (dc__api_party_in_path(req, name, res) != 0)
        return;
    dc_error err;
    if (dc_service_party_get(&api->svc, name, &p, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
        return;
    }
    res->status = 200;
    res->json = party_json(&p);
}

void dc__api_set_party(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"priority_ceiling", "limits", NULL};
    char name[DC_ID_MAX];
    if (dc__api_party_in_path(req, name, res) != 0)
        return;
    json_t *root = dc__api_parse_body(req, res, fields);
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
    if (dc__api_party_in_path(req, name, res) != 0 || dc__api_no_body(req, res) != 0)
        return;
    dc_status rc = change(api->svc.store, api->svc.secret_key, "operator", name, &r, &err);
    if (rc == DC_OK)
        party_admin_done(res, 200, &r);
    else
        party_admin_failure(res, rc, &err, 1);
    sodium_memzero(r.key, sizeof r.key); /* a new key leaves only in the response */
}

void dc__api_rotate_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    change_party_key(api, req, res, dc_party_admin_rotate_key);
}

void dc__api_revoke_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    change_party_key(api, req, res, dc_party_admin_revoke_key);
}

void dc__api_set_me(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"notation", NULL};
    json_t *root = dc__api_parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *notation = json_string_value(json_object_get(root, "notation"));
    dc_error err;
    if (dc_service_set_notation(&api->svc, req->party.name, notation, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
    } else {
        res->status = 200;
        res->json = json_pack("{s:s,s:s}", "name", req->party.name, "notation", notation);
    }
    json_decref(root);
}

void dc__api_change_grant(dc_api *api, const dc_api_request *req, int add, dc_api_response *res)
{
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    static const char *const fields[] = {"grantee", "kind", NULL};
    json_t *root = dc__api_parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *grantee = json_string_value(json_object_get(root, "grantee"));
    const char *kind_name = json_string_value(json_object_get(root, "kind"));
    dc_object_kind kind = DC_KIND_COUNT; /* none: the service refuses it after the grantee */
    if (kind_name != NULL && dc_kind_parse(kind_name, &kind) != DC_OK)
        kind = DC_KIND_COUNT;
    dc_audit_record write;
    dc_error err;
    dc_status rc = add ? dc_service_grant(&api->svc, req->party.name, grantee, kind, &write, &err)
                       : dc_service_revoke(&api->svc, req->party.name, grantee, kind, &write, &err);
    if (rc != DC_OK) {
        dc__api_service_failure(res, &err);
    } else {
        res->status = add ? 201 : 200;
        res->json = json_pack("{s:s,s:s,s:s,s:o}", "grantor", req->party.name, "grantee", grantee,
                              "kind", kind_name, "receipt", dc_api_receipt_json(&write));
    }
    json_decref(root);
}

/* Adapters for the grant handler's flag. */
void dc__api_grant_h(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc__api_change_grant(api, req, 1, res);
}

void dc__api_revoke_h(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc__api_change_grant(api, req, 0, res);
}
