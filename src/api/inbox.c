/* inbox.c - the routes of what a party was told: notices, alerts (listed and streamed), the audit
 */
#include "api_internal.h"
#include "routes.h"

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
    dc_error err;
    if (dc_service_inbox(&api->svc, box, req->party.name, after, page.limit + 1, inbox_item, &p,
                         &err) != DC_OK) {
        json_decref(p.items);
        dc__api_service_failure(res, &err);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", p.items);
    if (p.seen > page.limit)
        dc__page_next(api, req, list, "", NULL, p.last, NULL, &page, res);
}

void dc__api_list_notices(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    list_inbox(api, req, res, DC_INBOX_NOTICES, "after", "a notice", collect_notice);
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
    dc_audit_page got;
    dc_error err;
    if (dc_service_audit_of(&api->svc, req->party.name, req->is_operator, object, page.after,
                            page.limit, &got, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:s,s:o}", "object", object, "items", got.items);
    if (got.more)
        dc__page_next(api, req, "audit", object, params, got.last, NULL, &page, res);
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
    } else {
        dc_error err;
        if (dc_service_inbox_last(&api->svc, DC_INBOX_ALERTS, req->party.name, &after, &err) !=
            DC_OK) {
            dc__api_service_failure(res, &err);
            return;
        }
    }
    res->status = 200;
    res->stream = DC_STREAM_ALERTS;
    res->stream_after = after;
    dc_copy_text(res->stream_party, sizeof res->stream_party, req->party.name);
}
