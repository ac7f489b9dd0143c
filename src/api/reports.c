/* reports.c - position reports in, the alerts they raise out, and the tracks a party may see */
#include "api_internal.h"
#include "routes.h"
#include "deconflict/party_admin.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- live tracks and alerts ---- */

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

static dc_status alerts_out(const dc_alert_list *alerts, struct alert_out **out)
{
    *out = dc_calloc(alerts->count ? alerts->count : 1, sizeof **out);
    if (*out == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < alerts->count; i++) {
        const dc_alert *a = &alerts->items[i];
        struct alert_out *o = &(*out)[i];
        o->n = dc_alert_recipients(a, o->to);
        /* the audit record names what the alert discloses: another party's aircraft, for a
         * separation alert, so that who-saw on that track names its viewers */
        if ((a->kind == DC_ALERT_SEPARATION || a->kind == DC_ALERT_SENSOR) &&
            a->other_party[0] != '\0' && strcmp(a->other_party, a->party) != 0)
            snprintf(o->ref, sizeof o->ref, "track/%s/%s", a->other_party, a->other_aircraft);
        else if (a->kind == DC_ALERT_NEW_AIRCRAFT || a->kind == DC_ALERT_CLOCK)
            snprintf(o->ref, sizeof o->ref, "party/%s", a->party);
        else
            snprintf(o->ref, sizeof o->ref, "track/%s/%s", a->party, a->aircraft);
        snprintf(o->episode, sizeof o->episode, "%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", (int)a->kind,
                 dc_alert_level_name(a->level), a->party, a->aircraft, a->zone_owner, a->zone_id,
                 a->other_party, a->other_aircraft, a->intent_id, a->sensor_party, a->sensor_track);
        for (size_t k = 0; k < o->n; k++) {
            json_t *body = dc_api_alert_json(a, o->to[k]);
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

/* The monitor found a report outside the intent it flies: the intent becomes nonconforming
 * (versioned, audited) if it is still under way as stored; *changed says whether it was, and
 * only then is the alert delivered. */
static dc_status mark_nonconforming(dc_api *api, const dc_alert *a, int *changed)
{
    *changed = 0;
    dc_record rec;
    dc_status rc =
        dc_store_object_get(api->svc.store, DC_KIND_INTENT, a->party, a->intent_id, &rec);
    if (rc == DC_NOT_FOUND)
        return DC_OK;
    if (rc != DC_OK)
        return rc;
    if (rec.object.state != DC_STATE_ACCEPTED && rec.object.state != DC_STATE_ACTIVATED) {
        dc_record_clear(&rec);
        return DC_OK;
    }
    rec.object.state = DC_STATE_NONCONFORMING;
    rec.object.version++;
    json_t *body = json_loads(rec.body, 0, NULL);
    json_object_set_new(body, "state", json_string("nonconforming"));
    json_object_set_new(body, "version", json_integer(rec.object.version));
    free(rec.body);
    rec.body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(body);
    rec.updated = dc_service_now();
    uint8_t digest[DC_HASH_BYTES];
    char hex[2 * DC_HASH_BYTES + 1], ref[192];
    dc_object_ref(DC_KIND_INTENT, a->party, a->intent_id, ref, sizeof ref);
    rc = rec.body != NULL ? dc_store_object_put(api->svc.store, &rec) : DC_NOMEM;
    if (rc == DC_OK)
        rc = dc_store_object_digest(api->svc.store, &rec, digest);
    if (rc == DC_OK) {
        dc_hex(digest, DC_HASH_BYTES, hex);
        rc = dc_service_audit(&api->svc, 1, "server", "intent.put", ref, a->party,
                              json_pack("{s:I,s:s,s:s}", "version", (json_int_t)rec.object.version,
                                        "state", "nonconforming", "digest", hex),
                              NULL);
    }
    dc_record_clear(&rec);
    *changed = rc == DC_OK;
    return rc;
}

/* Store each alert for each of its recipients, and one audit record per alert naming them all
 * (DESIGN.md 6: who was told what) with the ids of their copies. A conformance alert first makes
 * its intent nonconforming, and is dropped if the intent is no longer under way. */
static dc_status deliver_alerts(dc_api *api, const dc_alert_list *alerts, struct alert_out *out,
                                size_t *delivered)
{
    dc_time_us now = dc_service_now();
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < alerts->count; i++) {
        struct alert_out *o = &out[i];
        if (alerts->items[i].kind == DC_ALERT_CONFORMANCE) {
            int changed = 0;
            rc = mark_nonconforming(api, &alerts->items[i], &changed);
            if (rc != DC_OK || !changed)
                continue;
        }
        if (o->n == 0)
            continue;
        /* one alert for all its recipients, under one id; a repetition (its level held, its
         * number past 0) as the change from its episode's first alert */
        json_t *ids = json_array();
        int64_t id = 0;
        rc = dc_store_alert_add(api->svc.store, o->episode, api->svc.alert_episode_us,
                                (const char *const *)o->to, (const char *const *)o->text, o->n, now,
                                &id);
        for (size_t k = 0; rc == DC_OK && k < o->n; k++)
            json_array_append_new(ids, json_integer(id));
        if (rc == DC_OK) {
            dc_service_alerts_counted(&api->svc,
                                      json_string_value(json_object_get(o->detail, "kind")), o->n);
            json_object_set_new(o->detail, "alerts", ids);
            ids = NULL;
            rc = dc_service_audit(&api->svc, 0, "server", "alert", o->ref, o->recipients, o->detail,
                                  NULL);
            o->detail = NULL; /* dc_service_audit took it */
            ++*delivered;
        }
        json_decref(ids);
    }
    return rc;
}

dc_status dc__api_publish_alerts(dc_api *api, const dc_alert_list *alerts,
                                 dc_status (*extra)(dc_api *api, void *ctx), void *ctx,
                                 size_t *delivered)
{
    *delivered = 0;
    if (alerts->count == 0 && extra == NULL)
        return DC_OK;
    struct alert_out *out = NULL;
    dc_status rc = alerts_out(alerts, &out);
    if (rc == DC_OK) {
        if (dc_store_begin(api->svc.store, 1) != DC_OK)
            rc = DC_STORE;
        if (rc == DC_OK)
            rc = deliver_alerts(api, alerts, out, delivered);
        if (rc == DC_OK && extra != NULL)
            rc = extra(api, ctx);
        if (rc == DC_OK)
            rc = dc_store_audit_checkpoint(api->svc.store, api->svc.secret_key);
        if (dc_store_finish(api->svc.store, rc) != DC_OK)
            rc = DC_STORE;
        if (rc == DC_OK && *delivered > 0)
            dc_service_alerts_published(&api->svc);
    }
    alerts_out_free(out, alerts->count);
    return rc;
}

void dc__api_post_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_report *reports = NULL;
    size_t count = 0;
    dc_error err = {0};
    if (dc_api_decode_reports(req->body, req->body_length, req->party.name, &reports, &count,
                              &err) != DC_OK) {
        dc__api_bad_input(res, &err);
        return;
    }
    if (!dc__api_fair_admit(api, req, DC_RATE_REPORTS, (double)count, res)) {
        dc_free(reports);
        return;
    }
    dc_alert_list alerts = {0};
    json_t *flagged = json_array();
    size_t accepted = 0;
    dc_time_us latest = 0;
    dc_status rc = DC_OK;
    dc_time_us received = dc_service_now();
    pthread_mutex_lock(&api->svc.monitor_lock);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        dc_report_verdict v;
        reports[i].received = received;
        rc = dc_monitor_ingest(api->svc.monitor, &reports[i], &v, &alerts, NULL);
        if (rc == DC_OK)
            dc__metrics_report(api, v);
        if (v == DC_REPORT_ACCEPTED) {
            accepted++;
            latest = reports[i].time > latest ? reports[i].time : latest;
        } else {
            json_array_append_new(flagged, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)i,
                                                     "aircraft", reports[i].aircraft, "reason",
                                                     dc_report_verdict_name(v)));
        }
    }
    if (rc == DC_OK && latest > 0)
        rc = dc_monitor_separation(api->svc.monitor, latest, &alerts, NULL);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    size_t delivered = 0;
    if (rc == DC_OK)
        rc = dc__api_publish_alerts(api, &alerts, NULL, NULL, &delivered);
    if (rc != DC_OK) {
        json_decref(flagged);
        dc__api_store_failure(res);
    } else {
        res->status = 200;
        res->json =
            json_pack("{s:I,s:I,s:o,s:I}", "received", (json_int_t)count, "accepted",
                      (json_int_t)accepted, "flagged", flagged, "alerts", (json_int_t)delivered);
    }
    dc_alert_list_clear(&alerts);
    dc_free(reports);
}

/* The caller's live tracks as Server-Sent Events (tracks.c): a snapshot on each connection, then
 * the changes. A reconnecting client needs the picture as it is now, so there is nothing to
 * resume: a Last-Event-ID is refused rather than silently ignored. */
void dc__api_stream_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    if (req->last_event_id != NULL) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "the track stream starts with a snapshot of your live tracks on each "
                       "connection: send no Last-Event-ID");
        return;
    }
    res->status = 200;
    res->stream = DC_STREAM_TRACKS;
    dc_copy_text(res->stream_party, sizeof res->stream_party, req->party.name);
}

static void add_track(void *ctx, const dc_track_view *t)
{
    json_t *j = dc__track_json(t);
    if (j != NULL)
        json_array_append_new(ctx, j);
}

static int by_aircraft(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "aircraft")),
               *y = json_string_value(json_object_get(*(json_t *const *)b, "aircraft"));
    return strcmp(x, y);
}

/* The party's live tracks by aircraft name: a name is the key of the track, so a page continues
 * after the last name shown whatever aircraft appeared or went meanwhile. */
void dc__api_list_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "tracks", "", &page, res) != 0)
        return;
    json_t *all = json_array();
    pthread_mutex_lock(&api->svc.monitor_lock);
    dc_monitor_tracks(api->svc.monitor, req->party.name, add_track, all);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    size_t n = json_array_size(all);
    json_t **sorted = dc_malloc((n ? n : 1) * sizeof *sorted);
    if (sorted == NULL) {
        json_decref(all);
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(all, i);
    qsort(sorted, n, sizeof *sorted, by_aircraft);
    json_t *items = json_array();
    size_t more = 0;
    const char *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(sorted[i], "aircraft"));
        if (page.has_cursor && strcmp(name, page.key) <= 0)
            continue;
        if (json_array_size(items) == page.limit) {
            more = 1;
            break;
        }
        json_array_append(items, sorted[i]);
        last = name;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", items);
    if (more)
        dc__page_next(api, req, "tracks", "", NULL, 0, last, &page, res);
    dc_free(sorted);
    json_decref(all);
}
