/* messages.c - the use cases of the direct line: a message sent with its coordinates read back,
 * a party's messages read (audited, with a digest of what it was shown), a read-back confirmed */
#include "deconflict/geo.h"
#include "deconflict/party_admin.h"
#include "deconflict/service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_TEXT_MAX 4000
#define MESSAGE_COORDS_MAX 100

static dc_status store_failed(dc_error *err)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store failed; nothing was changed");
}

int dc_service_notation_of(const char *name, dc_notation *out)
{
    static const struct {
        const char *name;
        dc_notation notation;
    } map[] = {{"dd", DC_NOTATION_DD},
               {"dm", DC_NOTATION_DM},
               {"dms", DC_NOTATION_DMS},
               {"mgrs", DC_NOTATION_MGRS},
               {"utm", DC_NOTATION_UTM}};
    for (size_t i = 0; name != NULL && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].name) == 0) {
            *out = map[i].notation;
            return 0;
        }
    return -1;
}

json_t *dc_service_message_view(const dc_message *m, const char *notation_name, char digest[65])
{
    json_t *body = json_loads(m->body, 0, NULL);
    dc_notation notation = DC_NOTATION_DD;
    dc_service_notation_of(notation_name, &notation);
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
        if (dc_coord_format(p, &style, own, sizeof own, NULL) != DC_OK) /* polar: no grid */
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

/* The message's body as stored (each coordinate as sent and where it lies) and the read-backs its
 * sender is shown; DC_OK or the coordinate at fault. */
static dc_status message_body(const char *text, const char *const *coords, size_t n, char **body,
                              json_t *readbacks, dc_error *err)
{
    json_t *stored = json_array();
    for (size_t i = 0; i < n; i++) {
        char pointer[32];
        snprintf(pointer, sizeof pointer, "/coordinates/%zu", i);
        dc_point p;
        dc_readback rb;
        dc_error why;
        if (coords[i] == NULL || dc_coord_readback(coords[i], &p, &rb, &why) != DC_OK) {
            json_decref(stored);
            return dc_error_set(err, coords[i] ? why.status : DC_INVALID, pointer, DC_NO_POSITION,
                                "%s",
                                coords[i] ? why.message : "a coordinate in any notation, as text");
        }
        json_array_append_new(
            stored, json_pack("{s:s,s:f,s:f}", "original", coords[i], "lat", p.lat, "lng", p.lon));
        json_array_append_new(readbacks,
                              json_pack("{s:s,s:s,s:s,s:s}", "input", coords[i], "readback", rb.own,
                                        "dd", rb.dd, "mgrs", rb.mgrs));
    }
    json_t *doc = json_pack("{s:s,s:o}", "text", text, "coordinates", stored);
    *body = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(doc);
    return *body != NULL ? DC_OK : dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
}

dc_status dc_service_message_send(dc_service *svc, const char *sender, const char *recipient,
                                  const char *text, const char *const *coords, size_t n,
                                  dc_message_sent *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!dc_party_name_valid(recipient) || strcmp(recipient, sender) == 0)
        return dc_error_set(err, DC_INVALID, "/to", DC_NO_POSITION,
                            "the one party the message is for (not oneself)");
    if (text == NULL || strlen(text) > MESSAGE_TEXT_MAX)
        return dc_error_set(err, DC_INVALID, "/text", DC_NO_POSITION,
                            "a text of at most 4,000 bytes");
    if (n == 0 || n > MESSAGE_COORDS_MAX)
        return dc_error_set(err, DC_INVALID, "/coordinates", DC_NO_POSITION,
                            "1 to 100 coordinates, each in any notation");
    char *body = NULL;
    out->readbacks = json_array();
    dc_status rc = message_body(text, coords, n, &body, out->readbacks, err);
    if (rc != DC_OK)
        goto failed;
    rc = dc_store_begin(svc->store, 1);
    if (rc == DC_OK)
        rc = dc_store_party_exists(svc->store, recipient);
    if (rc == DC_OK)
        rc = dc_store_message_add(svc->store, sender, recipient, body, dc_service_now(), &out->id);
    char ref[64];
    snprintf(ref, sizeof ref, "message/%lld", (long long)out->id);
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, sender, "message", ref, recipient,
                              json_pack("{s:I}", "coordinates", (json_int_t)n), &out->receipt);
    if (rc == DC_NOT_FOUND) {
        dc_store_rollback(svc->store);
        rc = dc_error_set(err, DC_NOT_FOUND, "/to", DC_NO_POSITION, "no such party");
    } else if (dc_store_finish(svc->store, rc) != DC_OK) {
        rc = store_failed(err);
    }
failed:
    free(body);
    if (rc != DC_OK) {
        json_decref(out->readbacks);
        memset(out, 0, sizeof *out);
    }
    return rc;
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
    json_array_append_new(l->items, dc_service_message_view(m, l->notation, digest));
    if (strcmp(m->recipient, l->viewer) == 0) {
        char ref[64];
        snprintf(ref, sizeof ref, "message/%lld", (long long)m->id);
        json_array_append_new(l->read, json_string(ref));
        crypto_generichash_update(&l->shown, (const unsigned char *)digest, 64);
    }
    return 0;
}

dc_status dc_service_messages(dc_service *svc, const char *viewer, const char *notation,
                              int64_t after, size_t limit, dc_message_page *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    struct message_list l;
    memset(&l, 0, sizeof l);
    l.items = json_array();
    l.notation = notation;
    l.viewer = viewer;
    l.limit = limit;
    l.read = json_array();
    crypto_generichash_init(&l.shown, NULL, 0, 32);
    dc_status rc = dc_store_begin(svc->store, 1);
    if (rc == DC_OK)
        rc = dc_store_messages_page(svc->store, viewer, after, limit + 1, collect_message, &l);
    if (rc == DC_OK && json_array_size(l.read) > 0) {
        /* one record for the page: the messages read, and a digest of the read-backs shown
         * (each message's own digest, in order), which acknowledgements are checked against */
        uint8_t h[32];
        char hex[65];
        crypto_generichash_final(&l.shown, h, sizeof h);
        dc_hex(h, sizeof h, hex);
        rc = dc_service_audit_list_read(svc, viewer, "message.read", "messages", l.read,
                                        json_pack("{s:s}", "shown", hex));
    }
    json_decref(l.read);
    if (dc_store_finish(svc->store, rc) != DC_OK) {
        json_decref(l.items);
        return store_failed(err);
    }
    out->items = l.items;
    out->more = l.seen > limit;
    out->last = l.last;
    return DC_OK;
}

/* The read-back confirmed: the message marked, its sender told (a notice), audited. */
static dc_status acknowledge(dc_service *svc, const char *party, const dc_message *m,
                             const char *digest, const char *ref, dc_audit_record *receipt)
{
    json_t *n = json_pack("{s:s,s:I,s:s,s:s}", "action", "message_acknowledged", "message",
                          (json_int_t)m->id, "by", party, "digest", digest);
    char *text = json_dumps(n, JSON_COMPACT);
    json_decref(n);
    dc_status rc = text != NULL ? dc_store_message_acknowledge(svc->store, m->id) : DC_NOMEM;
    if (rc == DC_OK)
        rc = dc_store_inbox_add(svc->store, DC_INBOX_NOTICES, m->sender, text, dc_service_now(),
                                NULL);
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, party, "message.ack", ref, m->sender,
                              json_pack("{s:s}", "digest", digest), receipt);
    free(text);
    return rc;
}

dc_status dc_service_message_acknowledge(dc_service *svc, const char *party, const char *notation,
                                         int64_t id, const char *digest, dc_audit_record *receipt,
                                         dc_error *err)
{
    if (digest == NULL || strlen(digest) != 64)
        return dc_error_set(err, DC_INVALID, "/digest", DC_NO_POSITION,
                            "the BLAKE2b-256 (hex) of the read-backs you were shown");
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    dc_message m;
    memset(&m, 0, sizeof m);
    if (dc_store_message_get(svc->store, id, &m) != DC_OK || strcmp(m.recipient, party) != 0) {
        dc_store_rollback(svc->store);
        dc_free(m.body);
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "no such message for you");
    }
    char expected[65], ref[64];
    json_decref(dc_service_message_view(&m, notation, expected));
    snprintf(ref, sizeof ref, "message/%lld", (long long)id);
    dc_status rc;
    if (strcmp(expected, digest) != 0) {
        /* a wrong read-back is itself worth recording */
        rc = dc_service_audit(svc, 1, party, "message.ack_refused", ref, "",
                              json_pack("{s:s}", "digest", digest), NULL);
        rc = dc_store_finish(svc->store, rc) != DC_OK
                 ? store_failed(err)
                 : dc_error_set(err, DC_CONFLICT, "/digest", DC_NO_POSITION,
                                "the digest does not match the read-backs shown to you; read "
                                "them again");
    } else if (dc_store_finish(svc->store, acknowledge(svc, party, &m, digest, ref, receipt)) !=
               DC_OK) {
        rc = store_failed(err);
    } else {
        rc = DC_OK;
    }
    dc_free(m.body);
    return rc;
}
