/* messages.c - the direct line: messages between parties, read back in each one's notation */
#include "api_internal.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the direct line ---- */

int dc__api_notation_of(const char *name, dc_notation *out)
{
    return dc_service_notation_of(name, out);
}

void dc__api_post_message(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    static const char *const fields[] = {"to", "text", "coordinates", NULL};
    if (!dc__api_fair_admit(api, req, DC_RATE_MESSAGES, 1, res))
        return;
    json_t *root = dc__api_parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *to = json_string_value(json_object_get(root, "to"));
    const char *text = json_string_value(json_object_get(root, "text"));
    json_t *coords = json_object_get(root, "coordinates");
    /* not an array: no coordinates, which the service refuses as such */
    size_t n = json_array_size(coords);
    const char **texts = dc_calloc(n + 1, sizeof *texts);
    dc_message_sent sent;
    dc_error err;
    if (texts == NULL) {
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        json_decref(root);
        return;
    }
    for (size_t i = 0; i < n; i++)
        texts[i] = json_string_value(json_array_get(coords, i));
    if (dc_service_message_send(&api->svc, req->party.name, to, text, texts, n, &sent, &err) !=
        DC_OK) {
        dc__api_service_failure(res, &err);
    } else {
        res->status = 201;
        res->json = json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)sent.id, "to", to, "readback",
                              sent.readbacks, "receipt", dc_api_receipt_json(&sent.receipt));
    }
    dc_free(texts);
    json_decref(root);
}

void dc__api_list_messages(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "messages", "", &page, res) != 0)
        return;
    dc_message_page got;
    dc_error err;
    if (dc_service_messages(&api->svc, req->party.name, req->party.notation, page.after, page.limit,
                            &got, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:s,s:o}", "notation", req->party.notation, "items", got.items);
    if (got.more)
        dc__page_next(api, req, "messages", "", NULL, got.last, NULL, &page, res);
}

void dc__api_acknowledge_message(dc_api *api, const dc_api_request *req, int64_t id,
                                 dc_api_response *res)
{
    static const char *const fields[] = {"digest", NULL};
    json_t *root = dc__api_parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *digest = json_string_value(json_object_get(root, "digest"));
    dc_audit_record write;
    dc_error err;
    if (dc_service_message_acknowledge(&api->svc, req->party.name, req->party.notation, id, digest,
                                       &write, &err) != DC_OK) {
        dc__api_service_failure(res, &err);
    } else {
        res->status = 200;
        res->json = json_pack("{s:I,s:b,s:o}", "id", (json_int_t)id, "acknowledged", 1, "receipt",
                              dc_api_receipt_json(&write));
    }
    json_decref(root);
}
