/* messages.c - the direct line: messages between parties, read back in each one's notation */
#include "api_internal.h"
#include "routes.h"
#include "deconflict/party_admin.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the direct line ---- */

int dc__api_notation_of(const char *name, dc_notation *out)
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
    dc__api_notation_of(notation_name, &notation);
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
            rc = dc_store_message_add(api->svc.store, req->party.name, to, btext, dc_service_now(),
                                      &id);
        char ref[64];
        snprintf(ref, sizeof ref, "message/%lld", (long long)id);
        if (rc == DC_OK)
            rc = dc_service_audit(&api->svc, 1, req->party.name, "message", ref, to,
                                  json_pack("{s:I}", "coordinates", (json_int_t)n), &write);
        if (rc == DC_NOT_FOUND) {
            dc_store_rollback(api->svc.store);
            dc_api_problem(res, 404, DC_NOT_FOUND, "/to", "no such party");
        } else if (dc_store_finish(api->svc.store, rc) != DC_OK) {
            dc__api_store_failure(res);
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

void dc__api_list_messages(dc_api *api, const dc_api_request *req, dc_api_response *res)
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
        rc = dc_service_audit_list_read(&api->svc, req->party.name, "message.read", "messages",
                                        l.read, json_pack("{s:s}", "shown", hex));
    }
    json_decref(l.read);
    if (dc_store_finish(api->svc.store, rc) != DC_OK) {
        json_decref(l.items);
        dc__api_store_failure(res);
        return;
    }
    res->status = 200;
    res->json = json_pack("{s:s,s:o}", "notation", req->party.notation, "items", l.items);
    if (l.seen > page.limit)
        dc__page_next(api, req, "messages", "", NULL, l.last, NULL, &page, res);
}

void dc__api_acknowledge_message(dc_api *api, const dc_api_request *req, int64_t id,
                                 dc_api_response *res)
{
    static const char *const fields[] = {"digest", NULL};
    json_t *root = dc__api_parse_body(req, res, fields);
    if (root == NULL)
        return;
    const char *digest = json_string_value(json_object_get(root, "digest"));
    dc_message m;
    memset(&m, 0, sizeof m);
    if (digest == NULL || strlen(digest) != 64) {
        dc_api_problem(res, 400, DC_INVALID, "/digest",
                       "the BLAKE2b-256 (hex) of the read-backs you were shown");
    } else if (dc_store_begin(api->svc.store, 1) != DC_OK) {
        dc__api_store_failure(res);
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
            dc_service_audit(&api->svc, 1, req->party.name, "message.ack_refused", ref, "",
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
                                        dc_service_now(), NULL);
            if (rc == DC_OK)
                rc = dc_service_audit(&api->svc, 1, req->party.name, "message.ack", ref, m.sender,
                                      json_pack("{s:s}", "digest", digest), &write);
            free(text);
            if (dc_store_finish(api->svc.store, rc) != DC_OK) {
                dc__api_store_failure(res);
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
