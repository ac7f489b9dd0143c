/* pages.c - one pagination convention for every list: `limit`, an opaque `cursor`, a `next` link
 *
 * A cursor is base64url of (list, key, MAC): the key is where the page ended (a row, an id, a
 * seq, or an aircraft's name), and the MAC (BLAKE2b-128, keyed with a secret derived from the
 * server's signing key) covers the list, the key, the party it was given to and the list's
 * filter (the audit's object). So a client cannot write a cursor, nor move one to another list,
 * another filter or another party: a key the server did not hand to this caller is refused, and
 * the lists themselves only ever hold what the caller may read, whatever the key. */
#include "api_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MAC_BYTES 16
#define KEY_MAX DC_ID_MAX

/* The MAC of one cursor as `party` holds it. */
static void cursor_mac(const dc_api *api, const char *party, const char *list, const char *filter,
                       const uint8_t *head, size_t head_len, uint8_t mac[MAC_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, api->cursor_secret, sizeof api->cursor_secret, MAC_BYTES);
    const char *parts[] = {party, list, filter};
    for (size_t i = 0; i < 3; i++) {
        /* length-prefixed, so that no two (party, list, filter) run together alike */
        uint8_t len = (uint8_t)strnlen(parts[i], 255);
        crypto_generichash_update(&st, &len, 1);
        crypto_generichash_update(&st, (const unsigned char *)parts[i], len);
    }
    crypto_generichash_update(&st, head, head_len);
    crypto_generichash_final(&st, mac, MAC_BYTES);
}

/* Decimal digits only, 1..DC_PAGE_MAX. */
static int limit_of(const char *text, size_t *out)
{
    size_t v = 0;
    if (text == NULL || text[0] == '\0' || strlen(text) > 4)
        return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (size_t)(*p - '0');
    }
    if (v < 1 || v > DC_PAGE_MAX)
        return -1;
    *out = v;
    return 0;
}

int dc__page_parse(const dc_api *api, const dc_api_request *req, const char *list,
                   const char *filter, dc_page *out, dc_api_response *res)
{
    memset(out, 0, sizeof *out);
    out->limit = DC_PAGE_DEFAULT;
    const char *limit = req->query(req->query_ctx, "limit"),
               *cursor = req->query(req->query_ctx, "cursor");
    if (limit != NULL && limit_of(limit, &out->limit) != 0) {
        char detail[96];
        snprintf(detail, sizeof detail, "limit is an integer from 1 to %d (default %d)",
                 DC_PAGE_MAX, DC_PAGE_DEFAULT);
        dc_api_problem(res, 400, DC_RANGE, "/limit", detail);
        return -1;
    }
    if (cursor == NULL)
        return 0;
    uint8_t raw[2 + KEY_MAX + MAC_BYTES], mac[MAC_BYTES];
    size_t len = 0;
    int ok = strlen(cursor) <= 2 * sizeof raw &&
             sodium_base642bin(raw, sizeof raw, cursor, strlen(cursor), NULL, &len, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
             len >= 2 + MAC_BYTES && (raw[0] == 1 || raw[0] == 2) &&
             raw[1] == len - 2 - MAC_BYTES && raw[1] <= KEY_MAX - 1;
    if (ok) {
        cursor_mac(api, req->party.name, list, filter, raw, 2 + (size_t)raw[1], mac);
        ok = sodium_memcmp(mac, raw + 2 + raw[1], MAC_BYTES) == 0;
    }
    if (ok) {
        memcpy(out->key, raw + 2, raw[1]);
        out->key[raw[1]] = '\0';
        /* a numeric key is written in decimal by this file: anything else was never ours */
        if (raw[0] == 1) {
            char *end = NULL;
            out->after = strtoll(out->key, &end, 10);
            ok = *end == '\0' && out->after > 0;
        }
    }
    if (!ok) {
        dc_api_problem(res, 400, DC_INVALID, "/cursor",
                       "not a cursor this list gave you: send the `next` link as it came, or no "
                       "cursor for the first page");
        return -1;
    }
    out->has_cursor = 1;
    return 0;
}

/* `text` percent-encoded for a query value: unreserved characters as they are. */
static void query_escape(const char *text, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 4 < size; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
}

void dc__page_next(const dc_api *api, const dc_api_request *req, const char *list,
                   const char *filter, const char *const *params, int64_t after,
                   const char *text_key, const dc_page *page, dc_api_response *res)
{
    uint8_t raw[2 + KEY_MAX + MAC_BYTES];
    char number[24];
    snprintf(number, sizeof number, "%lld", (long long)after);
    const char *key = text_key != NULL ? text_key : number;
    size_t key_len = strnlen(key, KEY_MAX - 1);
    raw[0] = text_key != NULL ? 2 : 1;
    raw[1] = (uint8_t)key_len;
    memcpy(raw + 2, key, key_len);
    cursor_mac(api, req->party.name, list, filter, raw, 2 + key_len, raw + 2 + key_len);
    char cursor[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(cursor, sizeof cursor, raw, 2 + key_len + MAC_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    /* the list's own filters go along, so that the next page is of the same list */
    size_t n = (size_t)snprintf(res->next, sizeof res->next, "%s?", req->path);
    for (size_t i = 0; params != NULL && params[i] != NULL && n < sizeof res->next; i++) {
        const char *v = req->query(req->query_ctx, params[i]);
        if (v == NULL)
            continue;
        char escaped[600];
        query_escape(v, escaped, sizeof escaped);
        n += (size_t)snprintf(res->next + n, sizeof res->next - n, "%s=%s&", params[i], escaped);
    }
    if (n < sizeof res->next)
        snprintf(res->next + n, sizeof res->next - n, "limit=%zu&cursor=%s", page->limit, cursor);
    json_object_set_new(res->json, "next", json_string(res->next));
}
