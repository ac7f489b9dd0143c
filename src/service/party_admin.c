/* party_admin.c - the operator's use cases for parties: each one store transaction that changes
 * the party and appends its signed audit record, or changes nothing */
#include "deconflict/party_admin.h"

#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static dc_time_us now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (dc_time_us)t.tv_sec * DC_US_PER_S + t.tv_nsec / 1000;
}

int dc_party_admin_notation_valid(const char *notation)
{
    static const char *const notations[] = {"dd", "dm", "dms", "mgrs", "utm"};
    for (size_t i = 0; notation != NULL && i < sizeof notations / sizeof notations[0]; i++)
        if (strcmp(notation, notations[i]) == 0)
            return 1;
    return 0;
}

/* A name a new party may take: also not reserved. Existing parties are named by any valid name,
 * so that one created before a name was reserved can still lose its key. */
static dc_status check_name(const char *name, int for_new_party, dc_error *err)
{
    if (!dc_party_name_valid(name))
        return dc_error_set(err, DC_INVALID, "name", DC_NO_POSITION,
                            "a party name is 1 to 63 of A-Z a-z 0-9 . _ -");
    if (for_new_party && dc_party_name_reserved(name))
        return dc_error_set(err, DC_INVALID, "name", DC_NO_POSITION,
                            "'%s' is reserved: operator, server, me (in any case) and names made "
                            "only of dots",
                            name);
    return DC_OK;
}

static dc_status check_ceiling(int ceiling, dc_error *err)
{
    if (ceiling < DC_PRIORITY_MIN || ceiling > DC_PRIORITY_MAX)
        return dc_error_set(err, DC_RANGE, "priority_ceiling", DC_NO_POSITION,
                            "a priority ceiling is an integer within %d..%d", DC_PRIORITY_MIN,
                            DC_PRIORITY_MAX);
    return DC_OK;
}

/* A new key and the hash the store keeps of it. */
static dc_status issue_key(char key[DC_KEY_TEXT_MAX], uint8_t hash[DC_HASH_BYTES], dc_error *err)
{
    if (dc_party_key_new(key) != DC_OK || dc_party_key_hash(key, hash) != DC_OK)
        return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "no randomness for a key");
    return DC_OK;
}

/* The change's record, signed: it is the receipt. `detail` is a JSON object's text. */
static dc_status record(dc_store *store, const uint8_t *secret_key, const char *actor,
                        const char *action, const char *name, const char *detail,
                        dc_audit_record *out)
{
    memset(out, 0, sizeof *out);
    out->time = now_us();
    dc_copy_text(out->actor, sizeof out->actor, actor);
    dc_copy_text(out->action, sizeof out->action, action);
    snprintf(out->object, sizeof out->object, "party/%s", name);
    dc_copy_text(out->recipients, sizeof out->recipients, name);
    dc_copy_text(out->detail, sizeof out->detail, detail);
    return dc_store_audit_append(store, out, secret_key);
}

/* Commit when rc is DC_OK, else roll back; the reason of a failure into err. A key issued by a
 * transaction that did not commit is wiped: it never worked. */
static dc_status end(dc_store *store, dc_status rc, const char *name, dc_party_admin_result *out,
                     dc_error *err)
{
    if (rc == DC_OK && dc_store_commit(store) == DC_OK)
        return DC_OK;
    if (rc == DC_OK)
        rc = DC_STORE; /* the commit failed and rolled back */
    else
        dc_store_rollback(store);
    sodium_memzero(out->key, sizeof out->key);
    if (rc == DC_NOT_FOUND)
        return dc_error_set(err, rc, "name", DC_NO_POSITION, "no party '%s'", name);
    if (rc == DC_CONFLICT || rc == DC_INVALID || rc == DC_RANGE)
        return rc; /* err set where it was found */
    return dc_error_set(err, rc, "", DC_NO_POSITION, "the store failed (%s); nothing was changed",
                        dc_status_name(rc));
}

dc_status dc_party_admin_create(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                const char *actor, const char *name, const char *notation,
                                int priority_ceiling, dc_party_admin_result *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    int ceiling = priority_ceiling < 0 ? DC_PRIORITY_CEILING_DEFAULT : priority_ceiling;
    uint8_t hash[DC_HASH_BYTES];
    dc_status rc = check_name(name, 1, err);
    if (rc == DC_OK && notation != NULL && !dc_party_admin_notation_valid(notation))
        rc = dc_error_set(err, DC_INVALID, "notation", DC_NO_POSITION,
                          "one of dd, dm, dms, mgrs, utm");
    if (rc == DC_OK)
        rc = check_ceiling(ceiling, err);
    if (rc == DC_OK)
        rc = issue_key(out->key, hash, err);
    if (rc != DC_OK)
        return rc;
    if (dc_store_begin(store, 1) != DC_OK)
        return end(store, DC_STORE, name, out, err);
    rc = dc_store_party_add(store, name, hash, now_us());
    if (rc == DC_CONFLICT)
        dc_error_set(err, rc, "name", DC_NO_POSITION, "a party named '%s' exists", name);
    if (rc == DC_OK && notation != NULL)
        rc = dc_store_party_set_notation(store, name, notation);
    if (rc == DC_OK && ceiling != DC_PRIORITY_CEILING_DEFAULT)
        rc = dc_store_party_set_ceiling(store, name, ceiling);
    if (rc == DC_OK)
        rc = dc_store_party_get(store, name, &out->party);
    if (rc == DC_OK) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "{\"notation\":\"%s\",\"party\":\"%s\",\"priority_ceiling\":%d}",
                 out->party.notation, name, ceiling);
        rc = record(store, secret_key, actor, "party.create", name, detail, &out->receipt);
    }
    return end(store, rc, name, out, err);
}

dc_status dc_party_admin_rotate_key(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                    const char *actor, const char *name, dc_party_admin_result *out,
                                    dc_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t hash[DC_HASH_BYTES];
    dc_status rc = check_name(name, 0, err);
    if (rc == DC_OK)
        rc = issue_key(out->key, hash, err);
    if (rc != DC_OK)
        return rc;
    if (dc_store_begin(store, 1) != DC_OK)
        return end(store, DC_STORE, name, out, err);
    dc_party before;
    rc = dc_store_party_get(store, name, &before);
    if (rc == DC_OK)
        rc = dc_store_party_set_key(store, name, hash);
    if (rc == DC_OK)
        rc = dc_store_party_get(store, name, &out->party);
    if (rc == DC_OK)
        rc = record(store, secret_key, actor, "party.key_rotate", name,
                    before.key_active ? "{\"previous_key\":\"active\"}"
                                      : "{\"previous_key\":\"revoked\"}",
                    &out->receipt);
    return end(store, rc, name, out, err);
}

dc_status dc_party_admin_revoke_key(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                    const char *actor, const char *name, dc_party_admin_result *out,
                                    dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_status rc = check_name(name, 0, err);
    if (rc != DC_OK)
        return rc;
    if (dc_store_begin(store, 1) != DC_OK)
        return end(store, DC_STORE, name, out, err);
    dc_party before;
    rc = dc_store_party_get(store, name, &before);
    if (rc == DC_OK && !before.key_active)
        rc = dc_error_set(err, DC_CONFLICT, "name", DC_NO_POSITION,
                          "the key of '%s' is revoked already", name);
    if (rc == DC_OK)
        rc = dc_store_party_revoke_key(store, name);
    if (rc == DC_OK)
        rc = dc_store_party_get(store, name, &out->party);
    if (rc == DC_OK)
        rc = record(store, secret_key, actor, "party.key_revoke", name, "{}", &out->receipt);
    return end(store, rc, name, out, err);
}

dc_status dc_party_admin_set_ceiling(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                     const char *actor, const char *name, int priority_ceiling,
                                     dc_party_admin_result *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_status rc = check_name(name, 0, err);
    if (rc == DC_OK)
        rc = check_ceiling(priority_ceiling, err);
    if (rc != DC_OK)
        return rc;
    if (dc_store_begin(store, 1) != DC_OK)
        return end(store, DC_STORE, name, out, err);
    dc_party before;
    rc = dc_store_party_get(store, name, &before);
    if (rc == DC_OK)
        rc = dc_store_party_set_ceiling(store, name, priority_ceiling);
    if (rc == DC_OK)
        rc = dc_store_party_get(store, name, &out->party);
    if (rc == DC_OK) {
        char detail[96];
        out->previous_ceiling = before.priority_ceiling;
        snprintf(detail, sizeof detail, "{\"previous\":%d,\"priority_ceiling\":%d}",
                 before.priority_ceiling, priority_ceiling);
        rc =
            record(store, secret_key, actor, "party.priority_ceiling", name, detail, &out->receipt);
    }
    return end(store, rc, name, out, err);
}

const char *dc_rate_class_name(dc_rate_class c)
{
    static const char *const names[] = {"writes", "messages", "reports"};
    return (unsigned)c < DC_RATE_CLASSES ? names[c] : "?";
}

/* The overrides as a JSON object's text: {"writes":"R/B",...}, "default" where none is set. */
static void limits_text(const dc_rate limits[DC_RATE_CLASSES], char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "{");
    for (int c = 0; c < DC_RATE_CLASSES && n < size; c++) {
        char rate[24] = "default", burst[24] = "default";
        if (limits[c].per_s > 0)
            snprintf(rate, sizeof rate, "%g", limits[c].per_s);
        if (limits[c].burst > 0)
            snprintf(burst, sizeof burst, "%g", limits[c].burst);
        n += (size_t)snprintf(out + n, size - n, "%s\"%s\":\"%s/%s\"", c ? "," : "",
                              dc_rate_class_name((dc_rate_class)c), rate, burst);
    }
    if (n < size)
        snprintf(out + n, size - n, "}");
}

dc_status dc_party_admin_set_limits(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                    const char *actor, const char *name,
                                    const dc_rate limits[DC_RATE_CLASSES],
                                    const int set[DC_RATE_CLASSES], dc_party_admin_result *out,
                                    dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_status rc = check_name(name, 0, err);
    for (int c = 0; rc == DC_OK && c < DC_RATE_CLASSES; c++) {
        double r = limits[c].per_s, b = limits[c].burst;
        if (set[c] && ((r != 0 && !(r >= DC_RATE_MIN_PER_S && r <= DC_RATE_MAX)) ||
                       (b != 0 && !(b >= 1 && b <= DC_RATE_MAX))))
            rc = dc_error_set(err, DC_RANGE,
                              c == DC_RATE_WRITES     ? "limits/writes"
                              : c == DC_RATE_MESSAGES ? "limits/messages"
                                                      : "limits/reports",
                              DC_NO_POSITION,
                              "%s: a rate is %g..%g a second and a burst 1..%g (0: the server's "
                              "default)",
                              dc_rate_class_name((dc_rate_class)c), DC_RATE_MIN_PER_S, DC_RATE_MAX,
                              DC_RATE_MAX);
    }
    if (rc != DC_OK)
        return rc;
    if (dc_store_begin(store, 1) != DC_OK)
        return end(store, DC_STORE, name, out, err);
    dc_party before;
    rc = dc_store_party_get(store, name, &before);
    dc_rate now[DC_RATE_CLASSES];
    for (int c = 0; c < DC_RATE_CLASSES; c++)
        now[c] = set[c] ? limits[c] : before.limits[c];
    if (rc == DC_OK)
        rc = dc_store_party_set_limits(store, name, now);
    if (rc == DC_OK)
        rc = dc_store_party_get(store, name, &out->party);
    if (rc == DC_OK) {
        char was[256], is[256], detail[560];
        limits_text(before.limits, was, sizeof was);
        limits_text(now, is, sizeof is);
        snprintf(detail, sizeof detail, "{\"limits\":%s,\"previous\":%s}", is, was);
        rc = record(store, secret_key, actor, "party.limits", name, detail, &out->receipt);
    }
    return end(store, rc, name, out, err);
}

int dc_rate_parse(const char *text, dc_rate *out)
{
    char *end = NULL;
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return 0;
    double per_s = strtod(text, &end);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return 0;
    double burst = strtod(end + 1, &end);
    if (*end != '\0' || !(per_s >= DC_RATE_MIN_PER_S && per_s <= DC_RATE_MAX) ||
        !(burst >= 1 && burst <= DC_RATE_MAX))
        return 0;
    out->per_s = per_s;
    out->burst = burst;
    return 1;
}

dc_status dc_party_admin_set_emergency(dc_store *store,
                                       const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                                       const char *actor, const char *name, double area_km2,
                                       int64_t validity_s, dc_party_admin_result *out,
                                       dc_error *err)
{
    memset(out, 0, sizeof *out);
    int none = area_km2 == 0 && validity_s == 0;
    dc_status rc = check_name(name, 0, err);
    if (rc == DC_OK && !none && !(area_km2 > 0 && area_km2 <= DC_EMERGENCY_AREA_KM2_MAX))
        rc = dc_error_set(err, DC_RANGE, "max_area_km2", DC_NO_POSITION,
                          "an area within (0, %.0f] km2, or 0 with max_validity_s 0 for none",
                          DC_EMERGENCY_AREA_KM2_MAX);
    if (rc == DC_OK && !none &&
        (validity_s < DC_EMERGENCY_VALIDITY_S_MIN || validity_s > DC_EMERGENCY_VALIDITY_S_MAX))
        rc = dc_error_set(err, DC_RANGE, "max_validity_s", DC_NO_POSITION,
                          "a validity within %d..%d s, or 0 with max_area_km2 0 for none",
                          DC_EMERGENCY_VALIDITY_S_MIN, DC_EMERGENCY_VALIDITY_S_MAX);
    if (rc != DC_OK)
        return rc;
    if (dc_store_begin(store, 1) != DC_OK)
        return end(store, DC_STORE, name, out, err);
    dc_party before;
    rc = dc_store_party_get(store, name, &before);
    if (rc == DC_OK)
        rc = dc_store_party_set_emergency(store, name, area_km2, validity_s);
    if (rc == DC_OK)
        rc = dc_store_party_get(store, name, &out->party);
    if (rc == DC_OK) {
        char detail[192];
        snprintf(detail, sizeof detail,
                 "{\"max_area_km2\":%.3f,\"max_validity_s\":%lld,\"previous\":{\"max_area_km2\":"
                 "%.3f,\"max_validity_s\":%lld}}",
                 area_km2, (long long)validity_s, before.emergency_area_km2,
                 (long long)before.emergency_validity_s);
        rc = record(store, secret_key, actor, "party.emergency_grant", name, detail, &out->receipt);
    }
    return end(store, rc, name, out, err);
}
