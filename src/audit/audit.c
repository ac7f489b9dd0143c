/* audit.c - hash-chained, signed audit records and object row digests (libsodium)
 *
 * Each record's hash is BLAKE2b-256 over a canonical encoding of all its
 * fields (each length-prefixed, so no field can bleed into the next)
 * followed by the previous record's hash; the first record chains to 32
 * zero bytes. The server signs the hash of every write with Ed25519 and
 * hands the (seq, hash, signature) to the writer as its receipt; records
 * written in bulk (alerts) are signed at checkpoints instead: a party holding a
 * receipt can later prove that the log it sees still contains its write,
 * even against an operator who rewrote the whole chain with a new key.
 * Object rows are covered by the digest recorded in their latest write.
 */
#include "deconflict/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

dc_status dc_audit_init(void)
{
    return sodium_init() >= 0 ? DC_OK : DC_INTERNAL;
}

dc_status dc_audit_keypair(uint8_t pk[DC_PUBLIC_KEY_BYTES], uint8_t sk[DC_SECRET_KEY_BYTES])
{
    return crypto_sign_keypair(pk, sk) == 0 ? DC_OK : DC_INTERNAL;
}

static void put_field(crypto_generichash_state *st, const void *data, size_t len)
{
    uint8_t prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (uint8_t)((uint64_t)len >> (8 * i));
    crypto_generichash_update(st, prefix, sizeof prefix);
    crypto_generichash_update(st, data, len);
}

static void put_int(crypto_generichash_state *st, int64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    put_field(st, b, sizeof b);
}

static void put_text(crypto_generichash_state *st, const char *s, size_t max)
{
    put_field(st, s, strnlen(s, max));
}

static void record_hash(const dc_audit_record *r, uint8_t out[DC_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DC_HASH_BYTES);
    put_text(&st, "deconflict-audit-v1", 32);
    put_int(&st, r->seq);
    put_int(&st, r->time);
    put_text(&st, r->actor, sizeof r->actor);
    put_text(&st, r->action, sizeof r->action);
    put_text(&st, r->object, sizeof r->object);
    put_text(&st, r->recipients, sizeof r->recipients);
    put_text(&st, r->detail, sizeof r->detail);
    put_field(&st, r->prev_hash, DC_HASH_BYTES);
    crypto_generichash_final(&st, out, DC_HASH_BYTES);
}

dc_status dc_audit_seal(dc_audit_record *r, const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    record_hash(r, r->hash);
    if (sk == NULL) {
        memset(r->signature, 0, DC_SIGNATURE_BYTES);
        return DC_OK;
    }
    return crypto_sign_detached(r->signature, NULL, r->hash, DC_HASH_BYTES, sk) == 0 ? DC_OK
                                                                                     : DC_INTERNAL;
}

dc_status dc_audit_check(const dc_audit_record *r, const uint8_t pk[DC_PUBLIC_KEY_BYTES],
                         dc_error *err)
{
    uint8_t expect[DC_HASH_BYTES];
    record_hash(r, expect);
    if (sodium_memcmp(expect, r->hash, DC_HASH_BYTES) != 0)
        return dc_error_set(err, DC_CONFLICT, "hash", DC_NO_POSITION,
                            "record %lld: its fields do not match its hash", (long long)r->seq);
    if (dc_audit_signed(r) &&
        crypto_sign_verify_detached(r->signature, r->hash, DC_HASH_BYTES, pk) != 0)
        return dc_error_set(err, DC_CONFLICT, "signature", DC_NO_POSITION,
                            "record %lld: the signature is not the server key's",
                            (long long)r->seq);
    return DC_OK;
}

int dc_audit_signed(const dc_audit_record *r)
{
    static const uint8_t none[DC_SIGNATURE_BYTES];
    return memcmp(r->signature, none, DC_SIGNATURE_BYTES) != 0;
}

dc_status dc_audit_object_digest(const char *kind, const char *owner, const char *id,
                                 int64_t version, const char *state, int priority, const char *body,
                                 const void *volumes, size_t volumes_len,
                                 uint8_t out[DC_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DC_HASH_BYTES);
    put_text(&st, "deconflict-object-v1", 32);
    put_text(&st, kind, 64);
    put_text(&st, owner, 256);
    put_text(&st, id, 256);
    put_int(&st, version);
    put_text(&st, state, 64);
    put_int(&st, priority);
    put_field(&st, body, strlen(body));
    put_field(&st, volumes, volumes_len);
    crypto_generichash_final(&st, out, DC_HASH_BYTES);
    return DC_OK;
}

void dc_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

dc_status dc_unhex(const char *hex, uint8_t *out, size_t len)
{
    size_t bin_len = 0;
    if (hex == NULL || strlen(hex) != 2 * len ||
        sodium_hex2bin(out, len, hex, 2 * len, NULL, &bin_len, NULL) != 0 || bin_len != len)
        return DC_INVALID;
    return DC_OK;
}
