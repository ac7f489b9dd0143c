/* pg_pending.c - TRANSITIONAL, removed before issue 15 is resolved: the PostgreSQL operations not
 * written yet, each answering DC_UNSUPPORTED so that the backend links while its files are filled
 * in. Whoever writes an operation deletes its function here. */
#include "pg_internal.h"

/* ---- parties, grants, disclosure, probing (pg_parties.c) ---- */

dc_status dc__pg_party_add(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES],
                           dc_time_us now)
{
    (void)s;
    (void)name;
    (void)key_hash;
    (void)now;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_by_key(dc_store *s, const uint8_t key_hash[DC_HASH_BYTES], dc_party *out)
{
    (void)s;
    (void)key_hash;
    (void)out;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_parties(dc_store *s, int (*each)(void *ctx, const dc_party *party), void *ctx)
{
    (void)s;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_get(dc_store *s, const char *name, dc_party *out)
{
    (void)s;
    (void)name;
    (void)out;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_set_limits(dc_store *s, const char *name,
                                  const dc_rate limits[DC_RATE_CLASSES])
{
    (void)s;
    (void)name;
    (void)limits;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_exists(dc_store *s, const char *name)
{
    (void)s;
    (void)name;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_set_notation(dc_store *s, const char *name, const char *notation)
{
    (void)s;
    (void)name;
    (void)notation;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_set_key(dc_store *s, const char *name, const uint8_t key_hash[DC_HASH_BYTES])
{
    (void)s;
    (void)name;
    (void)key_hash;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_revoke_key(dc_store *s, const char *name)
{
    (void)s;
    (void)name;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_set_ceiling(dc_store *s, const char *name, int priority_ceiling)
{
    (void)s;
    (void)name;
    (void)priority_ceiling;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_party_set_emergency(dc_store *s, const char *name, double area_km2,
                                     int64_t validity_s)
{
    (void)s;
    (void)name;
    (void)area_km2;
    (void)validity_s;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_grant_add(dc_store *s, const char *grantor, const char *grantee,
                           dc_object_kind kind, dc_time_us now)
{
    (void)s;
    (void)grantor;
    (void)grantee;
    (void)kind;
    (void)now;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_grant_remove(dc_store *s, const char *grantor, const char *grantee,
                              dc_object_kind kind)
{
    (void)s;
    (void)grantor;
    (void)grantee;
    (void)kind;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_grant_exists(dc_store *s, const char *grantor, const char *grantee,
                              dc_object_kind kind)
{
    (void)s;
    (void)grantor;
    (void)grantee;
    (void)kind;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_disclosure_spent(dc_store *s, const char *viewer, const char *object, int64_t day,
                                  double *area_m2, int *mapped)
{
    (void)s;
    (void)viewer;
    (void)object;
    (void)day;
    (void)area_m2;
    (void)mapped;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_disclosure_charge(dc_store *s, const char *viewer, const char *object, int64_t day,
                                   double area_m2, int mapped)
{
    (void)s;
    (void)viewer;
    (void)object;
    (void)day;
    (void)area_m2;
    (void)mapped;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_site_refusal_add(dc_store *s, const char *party, const char *site, dc_time_us now,
                                  dc_time_us since, int64_t *in_window)
{
    (void)s;
    (void)party;
    (void)site;
    (void)now;
    (void)since;
    (void)in_window;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_probed_sites(dc_store *s, const char *party, dc_time_us since, int64_t limit,
                              int (*each)(void *ctx, const char *site), void *ctx)
{
    (void)s;
    (void)party;
    (void)since;
    (void)limit;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

/* ---- notices, alerts, messages (pg_inbox.c) ---- */

dc_status dc__pg_inbox_add(dc_store *s, dc_inbox box, const char *recipient, const char *body,
                           dc_time_us now, int64_t *id)
{
    (void)s;
    (void)box;
    (void)recipient;
    (void)body;
    (void)now;
    (void)id;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_alert_add(dc_store *s, const char *episode_key, dc_time_us episode_us,
                           const char *const *recipients, const char *const *texts, size_t n,
                           dc_time_us now, int64_t *id)
{
    (void)s;
    (void)episode_key;
    (void)episode_us;
    (void)recipients;
    (void)texts;
    (void)n;
    (void)now;
    (void)id;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_inbox(dc_store *s, dc_inbox box, const char *recipient, int64_t after,
                       size_t limit,
                       int (*each)(void *ctx, int64_t id, const char *body, dc_time_us created),
                       void *ctx)
{
    (void)s;
    (void)box;
    (void)recipient;
    (void)after;
    (void)limit;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_inbox_last(dc_store *s, dc_inbox box, const char *recipient, int64_t *id)
{
    (void)s;
    (void)box;
    (void)recipient;
    (void)id;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_message_add(dc_store *s, const char *sender, const char *recipient,
                             const char *body, dc_time_us now, int64_t *id)
{
    (void)s;
    (void)sender;
    (void)recipient;
    (void)body;
    (void)now;
    (void)id;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_message_get(dc_store *s, int64_t id, dc_message *out)
{
    (void)s;
    (void)id;
    (void)out;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_messages(dc_store *s, const char *party,
                          int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    (void)s;
    (void)party;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_messages_page(dc_store *s, const char *party, int64_t after, size_t limit,
                               int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    (void)s;
    (void)party;
    (void)after;
    (void)limit;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_message_acknowledge(dc_store *s, int64_t id)
{
    (void)s;
    (void)id;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_alert_episodes_prune(dc_store *s, dc_time_us now)
{
    (void)s;
    (void)now;
    return DC_UNSUPPORTED;
}
