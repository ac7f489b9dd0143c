/* alerts.c - the use cases of position reports: a batch ingested by the live monitor, the alerts
 * it raises stored for each recipient with one audit record each, and a conformance change
 * recorded on the intent it concerns */
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An alert ready to store: each recipient's copy as JSON text and what its audit record says,
 * built before the store is locked (it was a third of the time the store was held). */
struct alert_out {
    size_t n;
    const char *to[2];
    char *text[2];
    json_t *detail; /* kind, level, repetition; the copies' ids join it once stored */
    char ref[128];
    char recipients[2 * DC_ID_MAX + 2];
    char episode[384]; /* what repetitions of this alert share: aircraft, zone or pair, level */
};

static void alerts_out_free(struct alert_out *out, size_t count)
{
    for (size_t i = 0; out != NULL && i < count; i++) {
        for (size_t k = 0; k < out[i].n; k++)
            free(out[i].text[k]);
        json_decref(out[i].detail);
    }
    dc_free(out);
}

/* The audit record names what the alert discloses: another party's aircraft, for a separation
 * alert, so that who-saw on that track names its viewers. */
static void alert_ref(const dc_alert *a, char *ref, size_t size)
{
    if ((a->kind == DC_ALERT_SEPARATION || a->kind == DC_ALERT_SENSOR) &&
        a->other_party[0] != '\0' && strcmp(a->other_party, a->party) != 0)
        snprintf(ref, size, "track/%s/%s", a->other_party, a->other_aircraft);
    else if (a->kind == DC_ALERT_NEW_AIRCRAFT || a->kind == DC_ALERT_CLOCK)
        snprintf(ref, size, "party/%s", a->party);
    else
        snprintf(ref, size, "track/%s/%s", a->party, a->aircraft);
}

static dc_status alerts_out(const dc_alert_list *alerts, struct alert_out **out)
{
    *out = dc_calloc(alerts->count ? alerts->count : 1, sizeof **out);
    if (*out == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < alerts->count; i++) {
        const dc_alert *a = &alerts->items[i];
        struct alert_out *o = &(*out)[i];
        o->n = dc_alert_recipients(a, o->to);
        alert_ref(a, o->ref, sizeof o->ref);
        snprintf(o->episode, sizeof o->episode, "%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", (int)a->kind,
                 dc_alert_level_name(a->level), a->party, a->aircraft, a->zone_owner, a->zone_id,
                 a->other_party, a->other_aircraft, a->intent_id, a->sensor_party, a->sensor_track);
        for (size_t k = 0; k < o->n; k++) {
            json_t *body = dc_service_alert_json(a, o->to[k]);
            o->text[k] =
                json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
            size_t used = strlen(o->recipients);
            snprintf(o->recipients + used, sizeof o->recipients - used, "%s%s", k > 0 ? "," : "",
                     o->to[k]);
            if (o->detail == NULL)
                o->detail = json_pack("{s:O,s:O,s:O}", "kind", json_object_get(body, "kind"),
                                      "level", json_object_get(body, "level"), "repetition",
                                      json_object_get(body, "repetition"));
            json_decref(body);
            if (o->text[k] == NULL || o->detail == NULL) {
                o->n = k + 1;
                return DC_NOMEM;
            }
        }
    }
    return DC_OK;
}

/* The stored body of `rec` after its typed state and version changed: every member as stored but
 * the two the object owns, which are written from the object, never patched as text. */
static dc_status body_of(dc_record *rec)
{
    json_t *body = json_loads(rec->body, 0, NULL);
    if (body == NULL)
        return DC_STORE; /* a row the store wrote and cannot read back */
    json_object_set_new(body, "state", json_string(dc_state_name(rec->object.state)));
    json_object_set_new(body, "version", json_integer(rec->object.version));
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(body);
    if (text == NULL)
        return DC_NOMEM;
    free(rec->body);
    rec->body = text;
    return DC_OK;
}

/* In the open transaction: `owner`'s intent `id`, if it is one of the states `from` (a mask of
 * 1 << dc_state), becomes `to` at the next version, written with its audit record signed
 * by `actor`; *changed says whether it did. */
static dc_status set_state(dc_service *svc, const char *actor, const char *owner, const char *id,
                           unsigned from, dc_state to, int *changed)
{
    *changed = 0;
    dc_record rec;
    dc_status rc = dc_store_object_get(svc->store, DC_KIND_INTENT, owner, id, &rec);
    if (rc == DC_NOT_FOUND)
        return DC_OK;
    if (rc != DC_OK)
        return rc;
    if ((from & (1u << rec.object.state)) == 0) {
        dc_record_clear(&rec);
        return DC_OK;
    }
    rec.object.state = to;
    rec.object.version++;
    rec.updated = dc_service_now();
    uint8_t digest[DC_HASH_BYTES];
    char hex[2 * DC_HASH_BYTES + 1], ref[192];
    dc_object_ref(DC_KIND_INTENT, owner, id, ref, sizeof ref);
    rc = body_of(&rec);
    if (rc == DC_OK)
        rc = dc_store_object_put(svc->store, &rec);
    if (rc == DC_OK)
        rc = dc_store_object_digest(svc->store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, hex);
        rc = dc_service_audit(svc, 1, actor, "intent.put", ref, owner,
                              json_pack("{s:I,s:s,s:s}", "version", (json_int_t)rec.object.version,
                                        "state", dc_state_name(to), "digest", hex),
                              NULL);
    }
    dc_record_clear(&rec);
    *changed = rc == DC_OK;
    return rc;
}

dc_status dc_service_record_nonconforming(dc_service *svc, const char *owner, const char *id,
                                          int *changed)
{
    unsigned under_way = (1u << DC_STATE_ACCEPTED) | (1u << DC_STATE_ACTIVATED);
    return set_state(svc, "server", owner, id, under_way, DC_STATE_NONCONFORMING, changed);
}

/* Store each alert for each of its recipients, and one audit record per alert naming them all
 * (DESIGN.md 6: who was told what) with the ids of their copies. A conformance alert first makes
 * its intent nonconforming, and is dropped if the intent is no longer under way. */
static dc_status deliver_alerts(dc_service *svc, const dc_alert_list *alerts, struct alert_out *out,
                                size_t *delivered)
{
    dc_time_us now = dc_service_now();
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < alerts->count; i++) {
        struct alert_out *o = &out[i];
        const dc_alert *a = &alerts->items[i];
        if (a->kind == DC_ALERT_CONFORMANCE) {
            int changed = 0;
            rc = dc_service_record_nonconforming(svc, a->party, a->intent_id, &changed);
            if (rc != DC_OK || !changed)
                continue;
        }
        if (o->n == 0)
            continue;
        /* one alert for all its recipients, under one id; a repetition (its level held, its
         * number past 0) as the change from its episode's first alert */
        int64_t id = 0;
        rc = dc_store_alert_add(svc->store, o->episode, svc->alert_episode_us,
                                (const char *const *)o->to, (const char *const *)o->text, o->n, now,
                                &id);
        if (rc != DC_OK)
            break;
        json_t *ids = json_array();
        for (size_t k = 0; k < o->n; k++)
            json_array_append_new(ids, json_integer(id));
        dc_service_alerts_counted(svc, json_string_value(json_object_get(o->detail, "kind")), o->n);
        json_object_set_new(o->detail, "alerts", ids);
        rc = dc_service_audit(svc, 0, "server", "alert", o->ref, o->recipients, o->detail, NULL);
        o->detail = NULL; /* dc_service_audit took it */
        ++*delivered;
    }
    return rc;
}

dc_status dc_service_publish_alerts(dc_service *svc, const dc_alert_list *alerts,
                                    dc_status (*extra)(dc_service *svc, void *ctx), void *ctx,
                                    size_t *delivered)
{
    *delivered = 0;
    if (alerts->count == 0 && extra == NULL)
        return DC_OK;
    struct alert_out *out = NULL;
    dc_status rc = alerts_out(alerts, &out);
    if (rc == DC_OK) {
        if (dc_store_begin(svc->store, 1) != DC_OK)
            rc = DC_STORE;
        if (rc == DC_OK)
            rc = deliver_alerts(svc, alerts, out, delivered);
        if (rc == DC_OK && extra != NULL)
            rc = extra(svc, ctx);
        if (rc == DC_OK)
            rc = dc_store_audit_checkpoint(svc->store, svc->secret_key);
        if (dc_store_finish(svc->store, rc) != DC_OK)
            rc = DC_STORE;
        if (rc == DC_OK && *delivered > 0)
            dc_service_alerts_published(svc);
    }
    alerts_out_free(out, alerts->count);
    return rc;
}

dc_status dc_service_report_positions(dc_service *svc, dc_report *reports, size_t count,
                                      dc_report_verdict *verdicts, dc_positions_outcome *out,
                                      dc_error *err)
{
    memset(out, 0, sizeof *out);
    if (svc->cluster != NULL) /* a shared store: through its one log (cluster.c) */
        return dc__service_cluster_report(svc, reports, count, verdicts, out, err);
    dc_alert_list alerts = {0};
    dc_time_us latest = 0, received = dc_service_now();
    dc_status rc = DC_OK;
    pthread_mutex_lock(&svc->monitor_lock);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        reports[i].received = received;
        verdicts[i] = DC_REPORT_ACCEPTED;
        rc = svc->monitor != NULL
                 ? dc_monitor_ingest(svc->monitor, &reports[i], &verdicts[i], &alerts, NULL)
                 : DC_INVALID;
        if (rc == DC_OK && verdicts[i] == DC_REPORT_ACCEPTED) {
            out->accepted++;
            latest = reports[i].time > latest ? reports[i].time : latest;
        }
    }
    if (rc == DC_OK && latest > 0)
        rc = dc_monitor_separation(svc->monitor, latest, &alerts, NULL);
    pthread_mutex_unlock(&svc->monitor_lock);
    out->ingested = rc == DC_OK ? count : 0;
    if (rc == DC_OK)
        rc = dc_service_publish_alerts(svc, &alerts, NULL, NULL, &out->alerts);
    dc_alert_list_clear(&alerts);
    if (rc == DC_NOMEM)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the store failed; nothing was changed");
    return DC_OK;
}
