/* party.h - parties' API keys (shown once, stored as hashes) and who may read what */
#ifndef DECONFLICT_PARTY_H
#define DECONFLICT_PARTY_H

#include "deconflict/audit.h"
#include "deconflict/engine.h"

/* "dck_" + 43 base64url characters of 256 random bits, and the terminator. */
#define DC_KEY_TEXT_MAX 48

/* The highest priority a party may give its intents and hazards until the operator grants it
 * more (or less): priorities 0..10 are everyday traffic; above that, precedence over others is
 * the operator's to give, not a party's to claim. */
#define DC_PRIORITY_CEILING_DEFAULT 10

/* A new random key. DC_OK or DC_INTERNAL (no randomness). */
dc_status dc_party_key_new(char text[DC_KEY_TEXT_MAX]);

/* The hash a store keeps instead of the key: BLAKE2b-256 of the text.
 * DC_INVALID for text that is not a key's shape (so garbage never reaches
 * a lookup). */
dc_status dc_party_key_hash(const char *text, uint8_t out[DC_HASH_BYTES]);

/* Constant-time equality of two key hashes: 1 or 0. */
int dc_party_key_equal(const uint8_t a[DC_HASH_BYTES], const uint8_t b[DC_HASH_BYTES]);

/* Whether `name` may name a party: 1..63 of [A-Za-z0-9._-]. */
int dc_party_name_valid(const char *name);

/* Whether `name` is reserved, whatever its case: "operator" and "server" (actors in the audit
 * log), "me" (/v1/parties/me), and any name made only of dots ("." and ".." in a path). 1 or 0. */
int dc_party_name_reserved(const char *name);

/* How a party may see an object (DESIGN.md rule 3). */
typedef enum dc_visibility {
    DC_VISIBLE_NONE,    /* only through notices on its own objects */
    DC_VISIBLE_OWN,     /* its own: read and write */
    DC_VISIBLE_GRANTED, /* another's, shared with it by a grant: read, audited */
    DC_VISIBLE_PUBLIC   /* a public zone */
} dc_visibility;

/* `granted` says whether the owner granted `viewer` this kind of object. */
dc_visibility dc_visibility_of(const char *viewer, const char *owner, dc_object_kind kind,
                               int is_public, int granted);

#endif
