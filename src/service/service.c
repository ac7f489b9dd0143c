/* service.c - the state the use cases share: the server's signing key and the secrets derived
 * from it, and what the front end asked to hear of */
#include "deconflict/service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_PROBE_LIMIT 5
#define DEFAULT_PROBE_WINDOW_S 600

dc_status dc_service_init(dc_service *svc, dc_store *store, dc_error *err)
{
    memset(svc, 0, sizeof *svc);
    svc->store = store;
    svc->probe_limit = DEFAULT_PROBE_LIMIT;
    svc->probe_window_s = DEFAULT_PROBE_WINDOW_S;
    svc->work_budget = DC_WORK_BUDGET_DEFAULT;
    dc_status key = dc_store_begin(store, 1);
    if (key == DC_OK)
        key = dc_store_server_key(store, svc->public_key, svc->secret_key);
    if (key == DC_OK)
        key = dc_store_commit(store);
    else
        dc_store_rollback(store);
    if (key != DC_OK) {
        memset(svc, 0, sizeof *svc); /* nothing to destroy */
        return dc_error_set(err, key == DC_NOT_FOUND || key == DC_FORBIDDEN ? key : DC_STORE, "",
                            DC_NO_POSITION, "cannot read or create the signing key: %s",
                            key == DC_NOT_FOUND   ? "the store names a key and the file is missing"
                            : key == DC_FORBIDDEN ? "it is another store's key, or readable by"
                                                    " others and not ours to make private"
                                                  : "damaged or unwritable");
    }
    /* secrets of the disclosure policy, derived from the signing key so that they survive a
     * restart and never leave the service: one for conflict keys, one for site keep-outs */
    crypto_generichash(svc->conflict_key_secret, sizeof svc->conflict_key_secret,
                       (const unsigned char *)"conflict-key", 12, svc->secret_key,
                       crypto_generichash_KEYBYTES_MAX);
    crypto_generichash(svc->site_secret, sizeof svc->site_secret,
                       (const unsigned char *)"site-keepout", 12, svc->secret_key,
                       crypto_generichash_KEYBYTES_MAX);
    pthread_mutex_init(&svc->monitor_lock, NULL);
    pthread_mutex_init(&svc->group_lock, NULL);
    pthread_cond_init(&svc->group_done, NULL);
    svc->group_tail = &svc->group_queue;
    return DC_OK;
}

void dc_service_destroy(dc_service *svc)
{
    if (svc->store == NULL)
        return; /* never initialised, or its init failed */
    pthread_mutex_destroy(&svc->monitor_lock);
    pthread_mutex_destroy(&svc->group_lock);
    pthread_cond_destroy(&svc->group_done);
    sodium_memzero(svc->secret_key, sizeof svc->secret_key);
    sodium_memzero(svc->conflict_key_secret, sizeof svc->conflict_key_secret);
    sodium_memzero(svc->site_secret, sizeof svc->site_secret);
}

void dc_service_alerts_published(const dc_service *svc)
{
    if (svc->events.alerts_published != NULL)
        svc->events.alerts_published(svc->events.ctx);
}

void dc_service_alerts_counted(const dc_service *svc, const char *kind, unsigned long long copies)
{
    if (svc->events.alerts_counted != NULL)
        svc->events.alerts_counted(svc->events.ctx, kind, copies);
}

void dc_service_notice_counted(const dc_service *svc)
{
    if (svc->events.notice_counted != NULL)
        svc->events.notice_counted(svc->events.ctx);
}

dc_time_us dc_service_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (dc_time_us)t.tv_sec * DC_US_PER_S + t.tv_nsec / 1000;
}

void dc_service_conflict_key(const dc_service *svc, const dc_object *other, char out[40])
{
    char text[256];
    snprintf(text, sizeof text, "%s/%s/%s@%lld", dc_kind_name(other->kind), other->owner, other->id,
             (long long)other->version);
    uint8_t h[16];
    /* keyed: without the service's secret a key cannot be recomputed from a guessed id */
    crypto_generichash(h, sizeof h, (const unsigned char *)text, strlen(text),
                       svc->conflict_key_secret, sizeof svc->conflict_key_secret);
    dc_hex(h, sizeof h, out);
}

dc_status dc_service_audit(dc_service *svc, int signed_, const char *actor, const char *action,
                           const char *object, const char *recipients, json_t *detail,
                           dc_audit_record *out)
{
    /* cleared to its detail's first byte, which is what is read before written (audit.h) */
    /* cppcheck-suppress uninitvar */
    dc_audit_record local, *r = out ? out : &local;
    DC_AUDIT_RECORD_CLEAR(r);
    r->time = dc_service_now();
    dc_copy_text(r->actor, sizeof r->actor, actor);
    dc_copy_text(r->action, sizeof r->action, action);
    dc_copy_text(r->object, sizeof r->object, object);
    dc_copy_text(r->recipients, sizeof r->recipients, recipients);
    if (detail != NULL) {
        char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
        dc_copy_text(r->detail, sizeof r->detail, text ? text : "{}");
        free(text);
        json_decref(detail);
    } else {
        snprintf(r->detail, sizeof r->detail, "{}");
    }
    return dc_store_audit_append(svc->store, r, signed_ ? svc->secret_key : NULL);
}
