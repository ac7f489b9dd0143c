/* inbox.c - the routes of what a party was told: notices, alerts (listed and streamed), the audit
 */
#include "api_internal.h"
#include "routes.h"
#include "deconflict/party_admin.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int dc__api_parse_after(const char *text, int64_t *out)
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
    if (dc__api_parse_after(given, &after) != 0) {
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
        dc__api_store_failure(res);
        return;
    }
    dc_store_commit(api->svc.store);
    res->status = 200;
    res->json = json_pack("{s:o}", "items", p.items);
    if (p.seen > page.limit)
        dc__page_next(api, req, list, "", NULL, p.last, NULL, &page, res);
}

void dc__api_list_notices(dc_api *api, const dc_api_request *req, dc_api_response *res)
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

void dc__api_list_audit(dc_api *api, const dc_api_request *req, dc_api_response *res)
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
        dc__api_store_failure(res);
        return;
    }
    dc_store_commit(api->svc.store);
    res->status = 200;
    res->json = json_pack("{s:s,s:o}", "object", object, "items", v.items);
    if (v.seen > page.limit)
        dc__page_next(api, req, "audit", object, params, v.last, NULL, &page, res);
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

void dc__api_list_alerts(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    list_inbox(api, req, res, DC_INBOX_ALERTS, "since", "an alert", collect_alert);
}

void dc__api_stream_alerts(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    int64_t after = 0;
    if (req->last_event_id != NULL) {
        if (dc__api_parse_after(req->last_event_id, &after) != 0) {
            dc_api_problem(res, 400, DC_INVALID, NULL, "Last-Event-ID must be an alert id");
            return;
        }
    } else if (dc_store_begin(api->svc.store, 0) != DC_OK ||
               dc_store_inbox_last(api->svc.store, DC_INBOX_ALERTS, req->party.name, &after) !=
                   DC_OK) {
        dc_store_rollback(api->svc.store);
        dc__api_store_failure(res);
        return;
    } else {
        dc_store_commit(api->svc.store);
    }
    res->status = 200;
    res->stream = DC_STREAM_ALERTS;
    res->stream_after = after;
    dc_copy_text(res->stream_party, sizeof res->stream_party, req->party.name);
}
