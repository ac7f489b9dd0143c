/* sensors.c - POST /v1/sensor-tracks: what a party's sensors see, associated with every party's
 * cooperative tracks (docs/SENSORS.md). Batched, limited and charged like position reports; what
 * each party is told follows the disclosure policy (src/service/alert_view.c), and each dispute is
 * written to the audit with both parties' positions for the operator (DESIGN.md rules 3, 6, 8). */
#include "api_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The alerts of one batch and the update each came from (its stated accuracy goes to the audit). */
struct batch {
    const dc_sensor_report *reports;
    dc_alert_list alerts;
    size_t *from; /* alert index -> report index */
    size_t from_capacity;
};

static int note_origin(struct batch *b, size_t first, size_t report)
{
    if (b->alerts.count > b->from_capacity) {
        size_t *grown = dc_realloc(b->from, b->alerts.capacity * sizeof *grown);
        if (grown == NULL)
            return -1;
        b->from = grown;
        b->from_capacity = b->alerts.capacity;
    }
    for (size_t i = first; i < b->alerts.count; i++)
        b->from[i] = report;
    return 0;
}

/* Whether the party identified lets `viewer` learn its aircraft's identity: its "intent" grant,
 * the grant that shows it the intents those aircraft fly. */
static dc_status resolve_grants(dc_api *api, dc_alert_list *alerts)
{
    return dc_service_identity_grants(&api->svc, alerts);
}

static json_t *point_json(dc_point p)
{
    return json_pack("{s:f,s:f}", "lat", p.lat, "lng", p.lon);
}

/* "Did it cross?": each dispute, once, with the sensor's and the party's positions to the metre.
 * It is about both parties' secrets (the sensor's picture, the aircraft's report), so it names
 * neither as recipient and is no party's object: the operator reads it, GET /v1/audit?object=
 * dispute/server/<sensor party>/<track number>, or `deconflict audit` on the store. */
static dc_status audit_disputes(dc_api *api, void *ctx)
{
    const struct batch *b = ctx;
    dc_status rc = DC_OK;
    for (size_t i = 0; rc == DC_OK && i < b->alerts.count; i++) {
        const dc_alert *a = &b->alerts.items[i];
        if (a->kind != DC_ALERT_SENSOR || a->sensor_state != DC_SENSOR_DISPUTED ||
            strcmp(a->party, a->other_party) != 0)
            continue; /* the party's copy: one record a dispute */
        const dc_sensor_report *r = &b->reports[b->from[i]];
        char when[32], object[192];
        if (dc_time_format(a->time, when, sizeof when) != DC_OK)
            continue;
        snprintf(object, sizeof object, "dispute/server/%s/%s", a->sensor_party, a->sensor_track);
        json_t *sensor = json_pack("{s:s,s:s,s:s,s:o,s:f}", "party", a->sensor_party, "track",
                                   a->sensor_track, "time", when, "position",
                                   point_json(a->position), "accuracy_m", r->accuracy_m);
        if (sensor != NULL && isfinite(a->altitude_m))
            json_object_set_new(sensor, "altitude_m", json_real(a->altitude_m));
        json_t *detail =
            json_pack("{s:o,s:{s:s,s:s,s:o},s:f}", "sensor", sensor, "reported", "party",
                      a->other_party, "aircraft", a->other_aircraft, "position",
                      point_json(a->entry), "apart_m", a->cpa_horizontal_m);
        if (detail == NULL)
            return DC_NOMEM;
        rc = dc_service_audit(&api->svc, 1, "server", "sensor.dispute", object, "operator", detail,
                              NULL);
    }
    return rc;
}

/* Ingest the batch under the monitor's lock; what each update did goes to `flagged` or `states`. */
static dc_status ingest(dc_api *api, struct batch *b, size_t count, json_t *flagged, json_t *states,
                        size_t *accepted)
{
    dc_time_us received = dc_service_now();
    dc_status rc = DC_OK;
    pthread_mutex_lock(&api->svc.monitor_lock);
    for (size_t i = 0; rc == DC_OK && i < count; i++) {
        const dc_sensor_report *r = &b->reports[i];
        const char *why = NULL;
        dc_sensor_state state = DC_SENSOR_TENTATIVE;
        size_t first = b->alerts.count;
        if (r->time > received + (dc_time_us)DC_MONITOR_MAX_FUTURE_S * DC_US_PER_S) {
            why = "in_the_future";
        } else {
            dc_status s = dc_monitor_ingest_sensor(api->svc.monitor, r, &state, &b->alerts);
            if (s == DC_CONFLICT)
                why = "out_of_order";
            else if (s == DC_INVALID)
                why = "invalid";
            else
                rc = s;
        }
        if (rc == DC_OK && note_origin(b, first, i) != 0)
            rc = DC_NOMEM;
        if (rc != DC_OK)
            break;
        if (why != NULL) {
            json_array_append_new(flagged, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)i,
                                                     "track_number", r->track, "reason", why));
            continue;
        }
        ++*accepted;
        json_object_set_new(states, r->track, json_string(dc_sensor_state_name(state)));
    }
    pthread_mutex_unlock(&api->svc.monitor_lock);
    return rc;
}

void dc__api_post_sensor_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_sensor_report *reports = NULL;
    size_t count = 0;
    dc_error err = {0};
    if (dc_api_decode_sensor_reports(req->body, req->body_length, req->party.name, &reports, &count,
                                     &err) != DC_OK) {
        int http = err.status == DC_NOMEM ? 500 : err.status == DC_LIMIT ? 422 : 400;
        dc_api_problem(res, http, err.status, err.field, err.message);
        return;
    }
    if (!dc__api_fair_admit(api, req, DC_RATE_REPORTS, (double)count, res)) {
        dc_free(reports);
        return;
    }
    struct batch b = {.reports = reports};
    json_t *flagged = json_array(), *states = json_object();
    size_t accepted = 0, delivered = 0;
    dc_status rc = ingest(api, &b, count, flagged, states, &accepted);
    if (rc == DC_OK)
        rc = resolve_grants(api, &b.alerts);
    if (rc == DC_OK)
        rc = dc__api_publish_alerts(api, &b.alerts, audit_disputes, &b, &delivered);
    if (rc != DC_OK) {
        json_decref(flagged);
        json_decref(states);
        dc_api_problem(res, 500, DC_STORE, NULL, "the store failed; nothing was changed");
    } else {
        res->status = 200;
        res->json = json_pack("{s:I,s:I,s:o,s:o,s:I}", "received", (json_int_t)count, "accepted",
                              (json_int_t)accepted, "flagged", flagged, "states", states, "alerts",
                              (json_int_t)delivered);
    }
    dc_free(b.from);
    dc_alert_list_clear(&b.alerts);
    dc_free(reports);
}
