/* session.c - the front ends' reads and small writes over the store, each its own transaction:
 * who a key is, a page of an inbox, the monitor's start, counts, identity grants, a shared
 * record, the archive's figures. A front end never opens a transaction itself (issue 14). */
#include "deconflict/service.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

dc_status dc_service_authenticate(dc_service *svc, const uint8_t key_hash[DC_HASH_BYTES],
                                  dc_party *out)
{
    assert(svc != NULL && svc->store != NULL && key_hash != NULL && out != NULL);
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    dc_party found;
    dc_status rc = dc_store_party_by_key(svc->store, key_hash, &found);
    dc_store_rollback(svc->store); /* a read: nothing to commit */
    if (rc == DC_OK)
        *out = found;
    return rc;
}

dc_status dc_service_inbox_page(
    dc_service *svc, dc_inbox box, const char *recipient, int64_t after, size_t limit,
    int (*each)(void *ctx, int64_t id, const char *body, dc_time_us created), void *ctx)
{
    assert(svc != NULL && svc->store != NULL && recipient != NULL && each != NULL);
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    dc_status rc = dc_store_inbox(svc->store, box, recipient, after, limit, each, ctx);
    dc_store_rollback(svc->store);
    /* the walk stopped by its reader is the reader's choice, not the store's failure */
    return rc == DC_CONFLICT ? DC_OK : rc;
}

/* Give the monitor every object one of the store's lists holds. */
static dc_status restore_list(dc_service *svc, dc_status (*list)(dc_store *, dc_record_list *),
                              dc_status (*give)(dc_monitor *, const dc_object *), const char *what,
                              dc_error *err)
{
    dc_record_list records = {0};
    dc_status rc = DC_OK;
    if (dc_store_begin(svc->store, 0) != DC_OK || list(svc->store, &records) != DC_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot read the %s", what);
    dc_store_rollback(svc->store);
    for (size_t i = 0; rc == DC_OK && i < records.count; i++) {
        dc_status given = give(svc->monitor, &records.items[i].object);
        if (given != DC_OK)
            rc = dc_error_set(err, given, "", DC_NO_POSITION, "cannot watch the %s: %s", what,
                              dc_status_name(given));
    }
    dc_record_list_clear(&records);
    return rc;
}

dc_status dc_service_monitor_restore(dc_service *svc, dc_error *err)
{
    assert(svc != NULL && svc->store != NULL && svc->monitor != NULL);
    /* the monitor's lock is not taken: this runs before any use case can reach the monitor */
    dc_status rc = restore_list(svc, dc_store_zones, dc_monitor_add_zone_object, "zones", err);
    if (rc == DC_OK)
        rc = restore_list(svc, dc_store_flying_intents, dc_monitor_watch_intent, "intents", err);
    return rc;
}

dc_status dc_service_object_counts(dc_service *svc, int64_t counts[DC_KIND_COUNT])
{
    assert(svc != NULL && svc->store != NULL && counts != NULL);
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    int64_t read[DC_KIND_COUNT] = {0};
    dc_status rc = dc_store_object_counts(svc->store, read);
    dc_store_rollback(svc->store);
    if (rc == DC_OK)
        memcpy(counts, read, sizeof read);
    return rc;
}

dc_status dc_service_identity_grants(dc_service *svc, dc_alert_list *alerts)
{
    assert(svc != NULL && svc->store != NULL && alerts != NULL);
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < alerts->count; i++) {
        dc_alert *a = &alerts->items[i];
        const char *owner = a->kind == DC_ALERT_SENSOR ? a->other_party : a->party;
        const char *viewer = a->kind == DC_ALERT_SENSOR ? a->party : a->zone_owner;
        if (a->sensor_track[0] == '\0' || a->unidentified || owner[0] == '\0' ||
            viewer[0] == '\0' || strcmp(owner, viewer) == 0)
            continue;
        /* the grant that shows the viewer the intents those aircraft fly shows who they are */
        dc_status g = dc_store_grant_exists(svc->store, owner, viewer, DC_KIND_INTENT);
        if (g == DC_OK)
            a->identity_granted = 1;
        else if (g != DC_NOT_FOUND)
            rc = g;
    }
    dc_store_rollback(svc->store);
    return rc;
}

dc_status dc_service_record_shared(dc_service *svc, const char *actor, const char *action,
                                   const char *object, const char *const *share, size_t share_count,
                                   json_t *detail, dc_audit_record *out)
{
    assert(svc != NULL && svc->store != NULL && (share_count == 0 || share != NULL));
    char recipients[sizeof out->recipients] = "";
    for (size_t i = 0; i < share_count; i++)
        snprintf(recipients + strlen(recipients), sizeof recipients - strlen(recipients), "%s%s",
                 i ? "," : "", share[i]);
    dc_status rc = dc_store_begin(svc->store, 1);
    for (size_t i = 0; rc == DC_OK && i < share_count; i++)
        rc = dc_store_party_exists(svc->store, share[i]);
    if (rc == DC_OK) {
        rc = dc_service_audit(svc, 1, actor, action, object, recipients, detail, out);
        detail = NULL; /* taken */
    }
    json_decref(detail);
    if (rc == DC_NOT_FOUND) {
        dc_store_rollback(svc->store);
        return rc;
    }
    return dc_store_finish(svc->store, rc);
}

static int add_segment(void *ctx, const dc_segment *g)
{
    dc_service_archive_figures *sum = ctx;
    sum->segments++;
    sum->bytes += g->bytes;
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        sum->rows[k] += g->rows[k];
    return 0;
}

dc_status dc_service_archive_figures_note(dc_service *svc, dc_time_us now, int64_t live_bytes,
                                          dc_time_us over, dc_service_archive_figures *out)
{
    assert(svc != NULL && svc->store != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    dc_status rc = dc_store_begin(svc->store, 1);
    if (rc != DC_OK)
        return rc;
    rc = dc_store_segments(svc->store, add_segment, out);
    if (rc == DC_OK)
        rc = dc_store_size_sample(svc->store, now, live_bytes, out->bytes);
    if (rc == DC_OK)
        rc = dc_store_size_growth(svc->store, now, over, &out->live_growth, &out->total_growth);
    rc = dc_store_finish(svc->store, rc);
    if (rc != DC_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

dc_status dc_service_store_reachable(dc_service *svc)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return DC_STORE;
    dc_store_rollback(svc->store);
    return DC_OK;
}
