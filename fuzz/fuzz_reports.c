/* fuzz_reports.c - libFuzzer target: the position-report batch decoder of POST /v1/tracks
 * (dc_api_decode_reports: a JSON array or NDJSON) never crashes or leaks; a refusal says why and
 * hands back nothing; what it accepts is well formed, and the reports written back as a JSON array
 * and as NDJSON decode to the same reports */
#include "../src/api/api_internal.h"
#include "deconflict/time.h"
#include "fuzz_common.h"

#include <math.h>

static int same_number(double a, double b)
{
    return isnan(a) ? isnan(b) : a == b;
}

/* A report as a client would send it again, in SI units. */
static json_t *report_json(const dc_report *r)
{
    char t[32];
    FUZZ_CHECK(dc_time_format(r->time, t, sizeof t) == DC_OK);
    json_t *o =
        json_pack("{s:s,s:s,s:{s:f,s:f},s:f}", "aircraft", r->aircraft, "time", t, "position",
                  "lat", r->position.lat, "lng", r->position.lon, "altitude", r->altitude_m);
    FUZZ_CHECK(o != NULL);
    if (r->callsign[0] != '\0')
        json_object_set_new(o, "callsign", json_string(r->callsign));
    if (r->intent[0] != '\0')
        json_object_set_new(o, "intent", json_string(r->intent));
    if (!isnan(r->ground_speed_mps))
        json_object_set_new(o, "ground_speed", json_real(r->ground_speed_mps));
    if (!isnan(r->track_deg))
        json_object_set_new(o, "track", json_real(r->track_deg));
    if (!isnan(r->vertical_rate_mps))
        json_object_set_new(o, "vertical_rate", json_real(r->vertical_rate_mps));
    return o;
}

static void check_same(const dc_report *a, const dc_report *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(strcmp(a[i].party, b[i].party) == 0);
        FUZZ_CHECK(strcmp(a[i].aircraft, b[i].aircraft) == 0);
        FUZZ_CHECK(strcmp(a[i].callsign, b[i].callsign) == 0);
        FUZZ_CHECK(strcmp(a[i].intent, b[i].intent) == 0);
        FUZZ_CHECK(a[i].time == b[i].time);
        FUZZ_CHECK(a[i].position.lat == b[i].position.lat);
        FUZZ_CHECK(a[i].position.lon == b[i].position.lon);
        FUZZ_CHECK(a[i].altitude_m == b[i].altitude_m);
        FUZZ_CHECK(same_number(a[i].ground_speed_mps, b[i].ground_speed_mps));
        FUZZ_CHECK(same_number(a[i].track_deg, b[i].track_deg));
        FUZZ_CHECK(same_number(a[i].vertical_rate_mps, b[i].vertical_rate_mps));
    }
}

static void decode_again(const char *text, const dc_report *reports, size_t count)
{
    dc_report *again = NULL;
    size_t n = 0;
    dc_error err;
    dc_status rc = dc_api_decode_reports(text, strlen(text), "party", &again, &n, &err);
    if (rc != DC_OK)
        fprintf(stderr, "written back, refused: %s at %s\n", err.message, err.field);
    FUZZ_CHECK(rc == DC_OK && n == count);
    check_same(reports, again, n);
    dc_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 262144)
        return 0;
    dc_report *reports = (dc_report *)&reports; /* must come back NULL on failure */
    size_t count = 7;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc = dc_api_decode_reports((const char *)data, size, "party", &reports, &count, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        FUZZ_CHECK(reports == NULL && count == 0);
        return 0;
    }
    FUZZ_CHECK(count >= 1 && count <= DC_API_MAX_REPORTS);
    json_t *array = json_array();
    for (size_t i = 0; i < count; i++) {
        const dc_report *r = &reports[i];
        FUZZ_CHECK(strcmp(r->party, "party") == 0 && r->aircraft[0] != '\0');
        FUZZ_CHECK(dc_time_in_range(r->time));
        FUZZ_CHECK(dc_point_validate(r->position) == DC_OK);
        FUZZ_CHECK(isfinite(r->altitude_m));
        FUZZ_CHECK(isnan(r->ground_speed_mps) == isnan(r->track_deg));
        FUZZ_CHECK(isnan(r->ground_speed_mps) ||
                   (isfinite(r->ground_speed_mps) && r->ground_speed_mps >= 0));
        FUZZ_CHECK(isnan(r->track_deg) || (r->track_deg >= 0 && r->track_deg < 360));
        FUZZ_CHECK(isnan(r->vertical_rate_mps) || isfinite(r->vertical_rate_mps));
        json_array_append_new(array, report_json(r));
    }
    char *text = json_dumps(array, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    decode_again(text, reports, count);
    free(text);
    /* NDJSON: one report a line, CRLF between them */
    size_t cap = 64, len = 0;
    char *nd = malloc(cap);
    FUZZ_CHECK(nd != NULL);
    for (size_t i = 0; i < count; i++) {
        char *line = json_dumps(json_array_get(array, i), JSON_COMPACT);
        FUZZ_CHECK(line != NULL);
        size_t n = strlen(line);
        if (len + n + 3 > cap) {
            cap = (len + n + 3) * 2;
            nd = realloc(nd, cap);
            FUZZ_CHECK(nd != NULL);
        }
        memcpy(nd + len, line, n);
        len += n;
        memcpy(nd + len, "\r\n", 3);
        len += 2;
        free(line);
    }
    decode_again(nd, reports, count);
    free(nd);
    json_decref(array);
    dc_free(reports);
    return 0;
}
