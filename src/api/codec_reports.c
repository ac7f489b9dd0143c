/* codec_reports.c - batches of position reports and sensor track updates from JSON or NDJSON, and
 * alerts into JSON */
#include "codec_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A speed: m/s as a number, or {"value", "units": "M/S"|"KT"|"FT/MIN"}
 * (knots and feet per minute converted here, at the edge). */
static dc_status decode_speed(struct decoder *d, json_t *v, const char *pointer, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return DC_OK;
    }
    static const char *const fields[] = {"value", "units", NULL};
    dc_status rc = dc__codec_members_of(
        d, v, pointer, "a speed in m/s, or {\"value\", \"units\": \"M/S\"|\"KT\"|\"FT/MIN\"}",
        fields);
    if (rc != DC_OK)
        return rc;
    json_t *value = json_object_get(v, "value");
    const char *units = json_string_value(json_object_get(v, "units"));
    if (!json_is_number(value))
        return dc__codec_fail(d, DC_INVALID, pointer, "\"value\" must be a number");
    double x = json_number_value(value);
    if (units == NULL || strcmp(units, "M/S") == 0)
        *out = x;
    else if (strcmp(units, "KT") == 0)
        *out = x * 1852.0 / 3600.0;
    else if (strcmp(units, "FT/MIN") == 0)
        *out = x * 0.3048 / 60.0;
    else
        return dc__codec_fail(d, DC_INVALID, pointer,
                              "units must be \"M/S\", \"KT\" or \"FT/MIN\"");
    return DC_OK;
}

static dc_status decode_report(struct decoder *d, json_t *v, const char *pointer, const char *party,
                               dc_report *out)
{
    static const char *const fields[] = {
        "aircraft",     "callsign", "time",          "position", "altitude",
        "ground_speed", "track",    "vertical_rate", "intent",   NULL};
    char p[96];
    dc_status rc = dc__codec_members_of(d, v, pointer, "a position report is an object", fields);
    if (rc != DC_OK)
        return rc;
    memset(out, 0, sizeof *out);
    dc_copy_text(out->party, sizeof out->party, party);
    /* Names other parties' pages show (separation alerts): the grammar of ident.h, upper case. */
    char name[DC_AIRCRAFT_MAX];
    dc_error why;
    json_t *callsign = json_object_get(v, "callsign");
    if (dc_ident_aircraft(json_string_value(json_object_get(v, "aircraft")), name, &why) != DC_OK) {
        dc__codec_pointer_to(p, sizeof p, pointer, "aircraft");
        return dc__codec_fail(d, DC_INVALID, p, "%s", why.message);
    }
    dc_copy_text(out->aircraft, sizeof out->aircraft, name);
    if (callsign != NULL && dc_ident_callsign(json_string_value(callsign), name, &why) != DC_OK) {
        dc__codec_pointer_to(p, sizeof p, pointer, "callsign");
        return dc__codec_fail(d, DC_INVALID, p, "%s", why.message);
    }
    dc_copy_text(out->callsign, sizeof out->callsign, callsign ? name : "");
    json_t *intent = json_object_get(v, "intent");
    if (intent != NULL && dc_ident_object_id(json_string_value(intent), NULL) != DC_OK) {
        dc__codec_pointer_to(p, sizeof p, pointer, "intent");
        return dc__codec_fail(d, DC_INVALID, p,
                              "the id of the caller's intent this aircraft flies");
    }
    dc_copy_text(out->intent, sizeof out->intent, intent ? json_string_value(intent) : "");
    static const char *const required[] = {"time", "position", "altitude"};
    for (int i = 0; i < 3; i++)
        if (json_object_get(v, required[i]) == NULL) {
            dc__codec_pointer_to(p, sizeof p, pointer, required[i]);
            return dc__codec_fail(d, DC_INVALID, p, "required");
        }
    dc__codec_pointer_to(p, sizeof p, pointer, "time");
    if ((rc = dc__codec_decode_time(d, json_object_get(v, "time"), p, &out->time)) != DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "position");
    if ((rc = dc__codec_decode_point(d, json_object_get(v, "position"), p, &out->position)) !=
        DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "altitude");
    if ((rc = dc__codec_decode_metres(d, json_object_get(v, "altitude"), p, &out->altitude_m)) !=
        DC_OK)
        return rc;
    out->ground_speed_mps = out->track_deg = out->vertical_rate_mps = NAN;
    json_t *gs = json_object_get(v, "ground_speed"), *trk = json_object_get(v, "track"),
           *vr = json_object_get(v, "vertical_rate");
    dc__codec_pointer_to(p, sizeof p, pointer, "ground_speed");
    if (gs != NULL && (rc = decode_speed(d, gs, p, &out->ground_speed_mps)) != DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "vertical_rate");
    if (vr != NULL && (rc = decode_speed(d, vr, p, &out->vertical_rate_mps)) != DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "track");
    if (trk != NULL) {
        if (!json_is_number(trk) || json_number_value(trk) < 0 || json_number_value(trk) >= 360)
            return dc__codec_fail(d, DC_RANGE, p,
                                  "degrees clockwise from true north, 0 <= track < 360");
        out->track_deg = json_number_value(trk);
    }
    if ((gs == NULL) != (trk == NULL))
        return dc__codec_fail(d, DC_INVALID, pointer, "ground_speed and track go together");
    if (gs != NULL && (!isfinite(out->ground_speed_mps) || out->ground_speed_mps < 0)) {
        dc__codec_pointer_to(p, sizeof p, pointer, "ground_speed");
        return dc__codec_fail(d, DC_RANGE, p, "a speed >= 0");
    }
    return DC_OK;
}

/* A batch: a JSON array, or one JSON object a line (NDJSON). *items is NULL on failure (err). */
static dc_status batch_items(const char *body, size_t length, const char *what, json_t **out,
                             dc_error *err)
{
    json_t *items = NULL;
    size_t skip = 0;
    while (skip < length &&
           (body[skip] == ' ' || body[skip] == '\n' || body[skip] == '\r' || body[skip] == '\t'))
        skip++;
    json_error_t jerr;
    dc_status rc = DC_OK;
    if (skip < length && body[skip] == '[') {
        items = json_loadb(body, length, JSON_REJECT_DUPLICATES, &jerr);
        if (items == NULL)
            rc = dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                              "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                              jerr.text);
    } else { /* NDJSON */
        items = json_array();
        size_t at = 0, line = 0;
        while (rc == DC_OK && at < length) {
            size_t end = at;
            while (end < length && body[end] != '\n')
                end++;
            size_t len = end - at;
            while (len > 0 && (body[at + len - 1] == '\r' || body[at + len - 1] == ' '))
                len--;
            if (len > 0) {
                json_t *item = json_loadb(body + at, len, JSON_REJECT_DUPLICATES, &jerr);
                if (item == NULL)
                    rc = dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                                      "malformed JSON on line %zu: %s", line + 1, jerr.text);
                else
                    json_array_append_new(items, item);
            }
            at = end + 1;
            line++;
        }
    }
    size_t n = json_array_size(items);
    if (rc == DC_OK && n == 0)
        rc = dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "no %s", what);
    if (rc == DC_OK && n > DC_API_MAX_REPORTS)
        rc = dc_error_set(err, DC_RANGE, "", DC_NO_POSITION, "%zu %s; at most %d a batch", n, what,
                          DC_API_MAX_REPORTS);
    if (rc != DC_OK) {
        json_decref(items);
        items = NULL;
    }
    *out = items;
    return rc;
}

/* A batch (a JSON array, or NDJSON) of `what`, each item decoded by `each` into an array of
 * `size`-byte items: position reports and sensor updates alike. */
typedef dc_status (*item_decoder)(struct decoder *d, json_t *v, const char *pointer,
                                  const char *party, void *out);

static dc_status decode_batch(const char *body, size_t length, const char *what, const char *party,
                              size_t size, item_decoder each, void **out, size_t *count,
                              dc_error *err)
{
    *out = NULL;
    *count = 0;
    struct decoder d = {NULL, err, NULL};
    json_t *items = NULL;
    dc_status rc = batch_items(body, length, what, &items, err);
    size_t n = json_array_size(items);
    char *decoded = rc == DC_OK ? dc_calloc(n ? n : 1, size) : NULL;
    if (rc == DC_OK && decoded == NULL)
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        char p[32];
        snprintf(p, sizeof p, "/%zu", i);
        rc = each(&d, json_array_get(items, i), p, party, decoded + i * size);
    }
    json_decref(items);
    if (rc != DC_OK) {
        dc_free(decoded);
        return rc;
    }
    *out = decoded;
    *count = n;
    return DC_OK;
}

static dc_status report_item(struct decoder *d, json_t *v, const char *pointer, const char *party,
                             void *out)
{
    return decode_report(d, v, pointer, party, out);
}

dc_status dc_api_decode_reports(const char *body, size_t length, const char *party, dc_report **out,
                                size_t *count, dc_error *err)
{
    void *items = NULL;
    dc_status rc = decode_batch(body, length, "position reports", party, sizeof **out, report_item,
                                &items, count, err);
    *out = items;
    return rc;
}

/* What a sensor's picture tells (docs/SENSORS.md, "What each party learns"). Its owner learns
 * the state of its own sensor track and, identified or disputed, the party: "a cooperating
 * aircraft of party X"; X's aircraft, callsign and intent only under X's "intent" grant
 * (identity_granted). X, told of a dispute, learns where the sensor sees its aircraft on the
 * disclosure grid and its own reported position beside it. A zone's owner told of an identified
 * aircraft from a sensor's picture learns its party, and its aircraft under the same grant. */
static void sensor_fields(const dc_alert *a, const char *recipient, json_t *j)
{
    static const char *const states[] = {"tentative", "identified", "unidentified", "disputed"};
    const char *state = (unsigned)a->sensor_state < 4 ? states[a->sensor_state] : "tentative";
    json_object_set_new(j, "sensor",
                        json_pack("{s:s,s:s,s:s}", "party", a->sensor_party, "track",
                                  a->sensor_track, "state", state));
    int own = strcmp(recipient, a->party) == 0 || strcmp(recipient, "operator") == 0;
    json_t *track = json_object_get(j, "track");
    if (a->kind == DC_ALERT_ZONE) {
        json_object_set_new(j, "unidentified", json_boolean(a->unidentified));
        if (!own && !a->unidentified && !a->identity_granted)
            json_object_set_new(track, "aircraft", json_string(""));
        return;
    }
    if (a->other_party[0] == '\0')
        return; /* unidentified: nobody's */
    int party_itself = strcmp(recipient, a->other_party) == 0;
    int full = party_itself || a->identity_granted || strcmp(recipient, "operator") == 0;
    json_t *who = json_pack("{s:s}", "party", a->other_party);
    if (full) {
        json_object_set_new(who, "aircraft", json_string(a->other_aircraft));
        json_object_set_new(who, "callsign", json_string(a->other_callsign));
        json_object_set_new(who, "intent", json_string(a->intent_id));
    }
    json_object_set_new(j, "identified", who);
    if (party_itself && strcmp(recipient, a->sensor_party) != 0) {
        /* the sensor's picture of one's own aircraft: the sensor's owner's data, coarsened */
        dc_point at = a->position;
        double alt = a->altitude_m;
        dc_disclosure_position(&at, &alt);
        json_object_set_new(track, "position",
                            json_pack("{s:f,s:f}", "lat", at.lat, "lng", at.lon));
        json_object_set_new(track, "altitude_m", json_real(alt));
        json_object_set_new(track, "resolution_m", json_real(DC_DISCLOSE_CELL_M));
        json_object_set_new(j, "reported",
                            json_pack("{s:f,s:f}", "lat", a->entry.lat, "lng", a->entry.lon));
        json_object_set_new(j, "apart_m", json_real(dc_disclosure_distance(a->cpa_horizontal_m)));
    }
}

json_t *dc_api_alert_json(const dc_alert *a, const char *recipient)
{
    char t[32];
    if (dc_time_format(a->time, t, sizeof t) != DC_OK)
        return NULL;
    /* the API's published names (two differ from the monitor's: dc_alert_kind_name) */
    static const char *const kinds[] = {
        "zone",           "separation",          "conformance", "new_aircraft", "implausible_clock",
        "emergency_area", "position_unreliable", "sensor"};
    if ((unsigned)a->kind >= sizeof kinds / sizeof kinds[0])
        return NULL;
    /* another party's aircraft in one's zone: on the disclosure grid, not to the metre */
    dc_point at = a->position;
    double alt = a->altitude_m;
    int others = strcmp(recipient, a->party) != 0 && strcmp(recipient, "operator") != 0;
    if (others)
        dc_disclosure_position(&at, &alt);
    json_t *j =
        json_pack("{s:s,s:s,s:i,s:s,s:f,s:{s:s,s:s,s:{s:f,s:f},s:f}}", "kind", kinds[a->kind],
                  "level", dc_alert_level_name(a->level), "repetition", a->repetition, "time", t,
                  "time_to_event_s", a->time_to_event_s, "track", "party", a->party, "aircraft",
                  a->aircraft, "position", "lat", at.lat, "lng", at.lon, "altitude_m", alt);
    if (others)
        json_object_set_new(json_object_get(j, "track"), "resolution_m",
                            json_real(DC_DISCLOSE_CELL_M));
    if (a->sensor_track[0] != '\0')
        sensor_fields(a, recipient, j);
    if (a->kind == DC_ALERT_SENSOR) {
        /* nothing more: sensor_fields said it all */
    } else if (a->kind == DC_ALERT_ZONE) {
        json_object_set_new(j, "zone",
                            json_pack("{s:s,s:s}", "owner", a->zone_owner, "id", a->zone_id));
        /* the zone's owner learns identity and position in or near its zone, nothing more */
        if (strcmp(recipient, a->party) == 0 && a->level != DC_LEVEL_INCURSION &&
            a->level != DC_LEVEL_CLEAR)
            json_object_set_new(j, "entry",
                                json_pack("{s:f,s:f}", "lat", a->entry.lat, "lng", a->entry.lon));
    } else if (a->kind == DC_ALERT_EMERGENCY) {
        /* only the track's owner is told: its own aircraft, the emergency it is about to enter */
        json_object_set_new(j, "emergency",
                            json_pack("{s:s,s:s}", "party", a->zone_owner, "id", a->zone_id));
        if (a->level != DC_LEVEL_INCURSION && a->level != DC_LEVEL_CLEAR)
            json_object_set_new(j, "entry",
                                json_pack("{s:f,s:f}", "lat", a->entry.lat, "lng", a->entry.lon));
    } else if (a->kind == DC_ALERT_NEW_AIRCRAFT) {
        json_object_set_new(j, "party", json_string(a->party));
        json_object_set_new(j, "new_aircraft", json_integer(a->new_aircraft));
        json_object_set_new(j, "window_s", json_integer(60));
    } else if (a->kind == DC_ALERT_CLOCK) {
        json_object_set_new(j, "party", json_string(a->party));
        json_object_set_new(j, "ahead_s", json_real(a->time_to_event_s));
    } else if (a->kind == DC_ALERT_CONFORMANCE) {
        json_object_set_new(j, "intent",
                            json_pack("{s:s,s:s}", "id", a->intent_id, "state", "nonconforming"));
    } else {
        /* another party's aircraft: as coarse as avoiding it allows (disclosure.h) */
        double e = a->relative_east_m, n = a->relative_north_m, u = a->relative_up_m;
        double h = a->cpa_horizontal_m, v = a->cpa_vertical_m;
        int coarse = strcmp(a->other_party, a->party) != 0;
        if (coarse) {
            dc_disclosure_relative(&e, &n, &u);
            h = dc_disclosure_distance(h);
            v = floor(v / DC_DISCLOSE_TRACK_ALT_M) * DC_DISCLOSE_TRACK_ALT_M;
        }
        json_object_set_new(j, "other",
                            json_pack("{s:s,s:s,s:{s:f,s:f,s:f},s:f}", "party", a->other_party,
                                      "aircraft", a->other_aircraft, "relative", "east_m", e,
                                      "north_m", n, "up_m", u, "resolution_m",
                                      coarse ? DC_DISCLOSE_TRACK_M : 0.0));
        json_object_set_new(j, "cpa", json_pack("{s:f,s:f}", "horizontal_m", h, "vertical_m", v));
    }
    return j;
}

/* One sensor update: what the sensor measured and its own track number, never an identity (no
 * aircraft, callsign, party or intent: an unknown member is refused like any other). */
static dc_status decode_sensor(struct decoder *d, json_t *v, const char *pointer, const char *party,
                               dc_sensor_report *out)
{
    static const char *const fields[] = {"track_number", "time",  "position", "altitude",
                                         "ground_speed", "track", "accuracy", NULL};
    char p[96];
    dc_status rc =
        dc__codec_members_of(d, v, pointer, "a sensor track update is an object", fields);
    if (rc != DC_OK)
        return rc;
    memset(out, 0, sizeof *out);
    dc_copy_text(out->party, sizeof out->party, party);
    static const char *const required[] = {"track_number", "time", "position", "accuracy"};
    for (int i = 0; i < 4; i++)
        if (json_object_get(v, required[i]) == NULL) {
            dc__codec_pointer_to(p, sizeof p, pointer, required[i]);
            return dc__codec_fail(d, DC_INVALID, p, "required");
        }
    char name[DC_AIRCRAFT_MAX];
    dc_error why;
    dc__codec_pointer_to(p, sizeof p, pointer, "track_number");
    if (dc_ident_aircraft(json_string_value(json_object_get(v, "track_number")), name, &why) !=
        DC_OK)
        return dc__codec_fail(d, DC_INVALID, p,
                              "the sensor's own track number: 1 to 8 of A-Z a-z 0-9");
    dc_copy_text(out->track, sizeof out->track, name);
    dc__codec_pointer_to(p, sizeof p, pointer, "time");
    if ((rc = dc__codec_decode_time(d, json_object_get(v, "time"), p, &out->time)) != DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "position");
    if ((rc = dc__codec_decode_point(d, json_object_get(v, "position"), p, &out->position)) !=
        DC_OK)
        return rc;
    out->altitude_m = out->ground_speed_mps = out->track_deg = NAN;
    json_t *alt = json_object_get(v, "altitude"), *gs = json_object_get(v, "ground_speed"),
           *trk = json_object_get(v, "track"), *acc = json_object_get(v, "accuracy");
    dc__codec_pointer_to(p, sizeof p, pointer, "altitude");
    if (alt != NULL && (rc = dc__codec_decode_metres(d, alt, p, &out->altitude_m)) != DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "accuracy");
    if (!json_is_number(acc) || !(json_number_value(acc) > 0) ||
        json_number_value(acc) > DC_SENSOR_ACCURACY_MAX_M)
        return dc__codec_fail(d, DC_RANGE, p,
                              "the stated horizontal accuracy, metres 1 sigma, 0 < a <= %.0f",
                              DC_SENSOR_ACCURACY_MAX_M);
    out->accuracy_m = json_number_value(acc);
    dc__codec_pointer_to(p, sizeof p, pointer, "ground_speed");
    if (gs != NULL && (rc = decode_speed(d, gs, p, &out->ground_speed_mps)) != DC_OK)
        return rc;
    if (gs != NULL && (!isfinite(out->ground_speed_mps) || out->ground_speed_mps < 0 ||
                       out->ground_speed_mps > 1e4))
        return dc__codec_fail(d, DC_RANGE, p, "a speed, 0 <= speed <= 10,000 m/s");
    dc__codec_pointer_to(p, sizeof p, pointer, "track");
    if (trk != NULL) {
        if (!json_is_number(trk) || json_number_value(trk) < 0 || json_number_value(trk) >= 360)
            return dc__codec_fail(d, DC_RANGE, p,
                                  "degrees clockwise from true north, 0 <= track < 360");
        out->track_deg = json_number_value(trk);
    }
    if ((gs == NULL) != (trk == NULL))
        return dc__codec_fail(d, DC_INVALID, pointer, "ground_speed and track go together");
    return DC_OK;
}

static dc_status sensor_item(struct decoder *d, json_t *v, const char *pointer, const char *party,
                             void *out)
{
    return decode_sensor(d, v, pointer, party, out);
}

dc_status dc_api_decode_sensor_reports(const char *body, size_t length, const char *party,
                                       dc_sensor_report **out, size_t *count, dc_error *err)
{
    void *items = NULL;
    dc_status rc = decode_batch(body, length, "sensor track updates", party, sizeof **out,
                                sensor_item, &items, count, err);
    *out = items;
    return rc;
}
