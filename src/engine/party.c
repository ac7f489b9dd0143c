/* party.c - API keys of parties and the need-to-know rule */
#include "deconflict/party.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

dc_status dc_party_key_new(char text[DC_KEY_TEXT_MAX])
{
    if (dc_audit_init() != DC_OK)
        return DC_INTERNAL;
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, "dck_", 4);
    sodium_bin2base64(text + 4, DC_KEY_TEXT_MAX - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return DC_OK;
}

dc_status dc_party_key_hash(const char *text, uint8_t out[DC_HASH_BYTES])
{
    if (text == NULL || strncmp(text, "dck_", 4) != 0 || strlen(text) != 47)
        return DC_INVALID;
    for (size_t i = 4; i < 47; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return DC_INVALID;
    }
    crypto_generichash(out, DC_HASH_BYTES, (const unsigned char *)text, 47, NULL, 0);
    return DC_OK;
}

int dc_party_key_equal(const uint8_t a[DC_HASH_BYTES], const uint8_t b[DC_HASH_BYTES])
{
    return sodium_memcmp(a, b, DC_HASH_BYTES) == 0;
}

int dc_party_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= DC_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int dc_party_name_reserved(const char *name)
{
    static const char *const reserved[] = {"operator", "server", "me"};
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return 1;
    size_t dots = strspn(name, ".");
    return dots > 0 && name[dots] == '\0';
}

dc_visibility dc_visibility_of(const char *viewer, const char *owner, dc_object_kind kind,
                               int is_public, int granted)
{
    if (strcmp(viewer, owner) == 0)
        return DC_VISIBLE_OWN;
    if (granted)
        return DC_VISIBLE_GRANTED;
    if (kind == DC_KIND_ZONE && is_public)
        return DC_VISIBLE_PUBLIC;
    return DC_VISIBLE_NONE;
}
