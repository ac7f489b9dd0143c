/* party_admin.h - the operator's use cases for parties: create one, issue it a new key, revoke its
 * key, grant it a priority ceiling; each one store transaction with its audit record */
#ifndef DECONFLICT_PARTY_ADMIN_H
#define DECONFLICT_PARTY_ADMIN_H

#include "deconflict/party.h"
#include "deconflict/store.h"

/* What a use case did: the party as it now stands, the key when one was issued (shown this once;
 * "" otherwise), and the signed audit record of the change, which is its receipt. */
typedef struct dc_party_admin_result {
    dc_party party;
    char key[DC_KEY_TEXT_MAX];
    int previous_ceiling; /* dc_party_admin_set_ceiling: the ceiling it replaced */
    dc_audit_record receipt;
} dc_party_admin_result;

/* Every function below runs one write transaction on `store` (which must not be in one), appends
 * one audit record signed with `secret_key` naming `actor` ("operator") as the actor, the object
 * "party/<name>" and the party as recipient, and commits; on failure nothing is written. The
 * reason goes to err, with err->field naming the input at fault ("name", "notation",
 * "priority_ceiling"). Common statuses: DC_INVALID (a malformed or reserved name),
 * DC_NOT_FOUND (no such party), DC_STORE. */

/* A new party `name` with its preferred read-back `notation` (dd, dm, dms, mgrs, utm; NULL: dd)
 * and `priority_ceiling` (DC_PRIORITY_MIN..DC_PRIORITY_MAX; negative:
 * DC_PRIORITY_CEILING_DEFAULT), and a new key. Action "party.create". Also DC_RANGE (ceiling),
 * DC_CONFLICT (the name is taken), DC_INTERNAL (no randomness for the key). */
dc_status dc_party_admin_create(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                const char *actor, const char *name, const char *notation,
                                int priority_ceiling, dc_party_admin_result *out, dc_error *err);

/* A new key for the party; the old one (or a revoked one) stops authenticating when this commits.
 * Action "party.key_rotate". Also DC_INTERNAL (no randomness). */
dc_status dc_party_admin_rotate_key(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                    const char *actor, const char *name, dc_party_admin_result *out,
                                    dc_error *err);

/* Revoke the party's key: no request authenticates as it until a new key is issued. Its objects
 * stay. Action "party.key_revoke". Also DC_CONFLICT (already revoked). */
dc_status dc_party_admin_revoke_key(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                    const char *actor, const char *name, dc_party_admin_result *out,
                                    dc_error *err);

/* The highest priority the party's intents and hazards may claim from now on (objects already
 * accepted keep theirs; an update must fit). Action "party.priority_ceiling". Also DC_RANGE
 * (outside DC_PRIORITY_MIN..DC_PRIORITY_MAX). */
dc_status dc_party_admin_set_ceiling(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                     const char *actor, const char *name, int priority_ceiling,
                                     dc_party_admin_result *out, dc_error *err);

/* The party's own token buckets (fair use), for each class c with set[c]: limits[c] replaces
 * its override, 0 in a field clearing it (the server's default, --rate-*). A running server
 * applies it at the party's next request. Action "party.limits", detail the overrides before and
 * after. Also DC_RANGE (a rate outside DC_RATE_MIN_PER_S..DC_RATE_MAX or a burst outside
 * 1..DC_RATE_MAX, other than 0). */
dc_status dc_party_admin_set_limits(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                    const char *actor, const char *name,
                                    const dc_rate limits[DC_RATE_CLASSES],
                                    const int set[DC_RATE_CLASSES], dc_party_admin_result *out,
                                    dc_error *err);

/* The name of a rate class as the API and the CLI write it: writes, messages, reports. */
const char *dc_rate_class_name(dc_rate_class c);

/* "RATE/BURST" (per second / bucket size, decimal numbers: "5/50", "0.5/10") into *out: 1, or 0
 * for anything else (out untouched): RATE in DC_RATE_MIN_PER_S..DC_RATE_MAX, BURST in
 * 1..DC_RATE_MAX. */
int dc_rate_parse(const char *text, dc_rate *out);

/* What the party may declare as an emergency (docs/EMERGENCIES.md): each volume's outline at most
 * `area_km2` (0 < .. <= DC_EMERGENCY_AREA_KM2_MAX), each declaration or renewal valid at most
 * `validity_s` (DC_EMERGENCY_VALIDITY_S_MIN..DC_EMERGENCY_VALIDITY_S_MAX); both 0 withdraws the
 * grant (emergencies in force run until they end or expire). Action "party.emergency_grant".
 * Also DC_RANGE (err->field "max_area_km2" or "max_validity_s"). */
#define DC_EMERGENCY_AREA_KM2_MAX 100000.0
#define DC_EMERGENCY_VALIDITY_S_MIN 1
#define DC_EMERGENCY_VALIDITY_S_MAX 86400
dc_status dc_party_admin_set_emergency(dc_store *store,
                                       const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                       const char *actor, const char *name, double area_km2,
                                       int64_t validity_s, dc_party_admin_result *out,
                                       dc_error *err);

/* Whether `notation` names a read-back notation: dd, dm, dms, mgrs, utm. 1 or 0. */
int dc_party_admin_notation_valid(const char *notation);

#endif
