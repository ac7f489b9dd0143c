/* audit.h - the tamper-evident record: hash-chained entries, Ed25519 signatures, object digests */
#ifndef DECONFLICT_AUDIT_H
#define DECONFLICT_AUDIT_H

#include "deconflict/time.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DC_HASH_BYTES 32
#define DC_SIGNATURE_BYTES 64
/* A record's detail, with its terminating NUL: room for one list read naming a whole page of
 * objects (1,000 references of up to 6 + 63 + 64 + 2 bytes, quoted), the one record such a read
 * writes. Kept last in the record: copies and clears stop at the end of the text. */
#define DC_AUDIT_DETAIL_MAX (144 * 1024)
#define DC_PUBLIC_KEY_BYTES 32
#define DC_SECRET_KEY_BYTES 64

/* One append-only entry: who did what, who was told, when. `hash` chains
 * it to the entry before (BLAKE2b-256 over every field and prev_hash) and
 * `signature` is the server's Ed25519 signature of `hash`, or all zero on a
 * record covered by the next signed one (a checkpoint): through the chain,
 * a signature vouches for every record before it. Writes are signed, as
 * their receipts; alerts from a batch of track reports are chained unsigned
 * and the batch's last record is signed before it commits. */
typedef struct dc_audit_record {
    int64_t seq;
    dc_time_us time;
    char actor[64];       /* a party, "operator" or "server" */
    char action[32];      /* "intent.put", "notice", "grant", "read", ... */
    char object[192];     /* "intent/russia/<id>", or "" */
    char recipients[512]; /* parties told something, comma-separated, or "" */
    uint8_t prev_hash[DC_HASH_BYTES];
    uint8_t hash[DC_HASH_BYTES];
    uint8_t signature[DC_SIGNATURE_BYTES];
    char detail[DC_AUDIT_DETAIL_MAX]; /* JSON: version and row digest, notice summary, ... */
} dc_audit_record;

/* Clear a record up to and including the first byte of its detail: what a reader fills, without
 * writing the detail's whole capacity for every record read. Can't fail. */
#define DC_AUDIT_RECORD_CLEAR(r) memset((r), 0, offsetof(dc_audit_record, detail) + 1)

/* Initialise libsodium (idempotent, thread-safe). DC_OK or DC_INTERNAL. */
dc_status dc_audit_init(void);

/* A new Ed25519 key pair. DC_OK or DC_INTERNAL. */
dc_status dc_audit_keypair(uint8_t public_key[DC_PUBLIC_KEY_BYTES],
                           uint8_t secret_key[DC_SECRET_KEY_BYTES]);

/* Compute record->hash from its fields and prev_hash, then sign it, or
 * zero the signature when secret_key is NULL (a record a later checkpoint
 * covers). Can't fail once dc_audit_init succeeded. */
dc_status dc_audit_seal(dc_audit_record *record, const uint8_t secret_key[DC_SECRET_KEY_BYTES]);

/* DC_OK when record->hash matches its fields and prev_hash and the
 * signature, if any, is the key's; DC_CONFLICT with the reason in err
 * otherwise. An unsigned record passes here: whoever walks the chain must
 * see a signed record at or after it (dc_audit_signed). */
dc_status dc_audit_check(const dc_audit_record *record,
                         const uint8_t public_key[DC_PUBLIC_KEY_BYTES], dc_error *err);

/* Whether the record carries a signature (is a checkpoint). */
int dc_audit_signed(const dc_audit_record *record);

/* BLAKE2b-256 of an object row's fields, recorded in the audit entry of
 * every write so that a changed row is detected. */
dc_status dc_audit_object_digest(const char *kind, const char *owner, const char *id,
                                 int64_t version, const char *state, int priority, const char *body,
                                 const void *volumes, size_t volumes_len,
                                 uint8_t out[DC_HASH_BYTES]);

/* Lower-case hex of `len` bytes into `out` (2 * len + 1 bytes). */
void dc_hex(const uint8_t *bytes, size_t len, char *out);

/* Parse hex; DC_OK or DC_INVALID. */
dc_status dc_unhex(const char *hex, uint8_t *out, size_t len);

#endif
