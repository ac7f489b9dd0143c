/* fuzz_csv.c - libFuzzer target: the recorded tracks' CSV reader (dc_tracks_csv_parse, as the CLI's
 * replay and POST /v1/replays call it) never crashes; what it accepts has one report per data line
 * of the text, and written back as CSV reads back to the same reports */
#include "deconflict/monitor.h"
#include "deconflict/time.h"
#include "fuzz_common.h"

#include <math.h>

/* Data lines as a reader of the format counts them: lines after the header, '\r' stripped, empty
 * ones skipped. Counted apart from the parser so that a line it splits or cuts shows. */
static size_t data_lines(const char *text, size_t size)
{
    size_t lines = 0, at = 0, index = 0;
    while (at < size) {
        size_t end = at;
        while (end < size && text[end] != '\n')
            end++;
        size_t len = end - at;
        while (len > 0 && text[at + len - 1] == '\r')
            len--;
        if (index > 0 && len > 0)
            lines++;
        index++;
        at = end + 1;
    }
    return lines;
}

static int same_number(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(a));
}

static void put_number(char **p, size_t *room, double v, double scale)
{
    int w = isnan(v) ? snprintf(*p, *room, ",") : snprintf(*p, *room, ",%.17g", v / scale);
    *p += w;
    *room -= (size_t)w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    dc_report *reports = NULL;
    size_t count = 0;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc =
        dc_tracks_csv_parse((const char *)data, size, "fuzz.csv", "party", &reports, &count, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        FUZZ_CHECK(reports == NULL && count == 0);
        return 0;
    }
    FUZZ_CHECK(count == data_lines((const char *)data, size));
    /* Written back in the same columns (SI converted to feet and knots again). */
    size_t cap = 128 + count * 256, room = cap;
    char *csv = malloc(cap), *p = csv;
    FUZZ_CHECK(csv != NULL);
    int w = snprintf(p, room, "time_utc,icao24,callsign,lat,lon,alt_ft,groundspeed_kt,track_deg\n");
    p += w;
    room -= (size_t)w;
    for (size_t i = 0; i < count; i++) {
        const dc_report *r = &reports[i];
        char t[32];
        FUZZ_CHECK(dc_time_format(r->time, t, sizeof t) == DC_OK);
        FUZZ_CHECK(strchr(r->aircraft, ',') == NULL && strchr(r->callsign, ',') == NULL);
        w = snprintf(p, room, "%s,%s,%s", t, r->aircraft, r->callsign);
        p += w;
        room -= (size_t)w;
        put_number(&p, &room, r->position.lat, 1);
        put_number(&p, &room, r->position.lon, 1);
        put_number(&p, &room, r->altitude_m, 0.3048);
        put_number(&p, &room, r->ground_speed_mps, 1852.0 / 3600.0);
        put_number(&p, &room, r->track_deg, 1);
        w = snprintf(p, room, "\n");
        p += w;
        room -= (size_t)w;
    }
    dc_report *again = NULL;
    size_t again_count = 0;
    rc = dc_tracks_csv_parse(csv, (size_t)(p - csv), "again.csv", "party", &again, &again_count,
                             &err);
    FUZZ_CHECK(rc == DC_OK && again_count == count);
    for (size_t i = 0; i < count; i++) {
        const dc_report *a = &reports[i], *b = &again[i];
        FUZZ_CHECK(a->time == b->time);
        FUZZ_CHECK(strcmp(a->aircraft, b->aircraft) == 0 && strcmp(a->callsign, b->callsign) == 0);
        FUZZ_CHECK(same_number(a->position.lat, b->position.lat));
        FUZZ_CHECK(same_number(a->position.lon, b->position.lon));
        FUZZ_CHECK(same_number(a->altitude_m, b->altitude_m));
        FUZZ_CHECK(same_number(a->ground_speed_mps, b->ground_speed_mps));
        FUZZ_CHECK(same_number(a->track_deg, b->track_deg));
    }
    dc_free(again);
    dc_free(reports);
    free(csv);
    return 0;
}
