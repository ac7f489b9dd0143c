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

/* What a position report and a sensor update both hold: when (RFC 3339) and where (any
 * notation), each failure naming its member. */
static dc_status decode_when_where(struct decoder *d, json_t *v, const char *pointer,
                                   dc_time_us *time, dc_point *position)
{
    char p[96];
    dc_status rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "time");
    if ((rc = dc__codec_decode_time(d, json_object_get(v, "time"), p, time)) != DC_OK)
        return rc;
    dc__codec_pointer_to(p, sizeof p, pointer, "position");
    return dc__codec_decode_point(d, json_object_get(v, "position"), p, position);
}

/* The track over the ground (`trk`, may be NULL), which comes with a ground speed (`gs`) or not
 * at all. */
static dc_status decode_track(struct decoder *d, json_t *gs, json_t *trk, const char *pointer,
                              double *track_deg)
{
    char p[96];
    dc__codec_pointer_to(p, sizeof p, pointer, "track");
    if (trk != NULL) {
        if (!json_is_number(trk) || json_number_value(trk) < 0 || json_number_value(trk) >= 360)
            return dc__codec_fail(d, DC_RANGE, p,
                                  "degrees clockwise from true north, 0 <= track < 360");
        *track_deg = json_number_value(trk);
    }
    if ((gs == NULL) != (trk == NULL))
        return dc__codec_fail(d, DC_INVALID, pointer, "ground_speed and track go together");
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
    if ((rc = decode_when_where(d, v, pointer, &out->time, &out->position)) != DC_OK)
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
    if ((rc = decode_track(d, gs, trk, pointer, &out->track_deg)) != DC_OK)
        return rc;
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
    if ((rc = decode_when_where(d, v, pointer, &out->time, &out->position)) != DC_OK)
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
    if ((rc = decode_track(d, gs, trk, pointer, &out->track_deg)) != DC_OK)
        return rc;
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
