/* fuzz_sbs.c - libFuzzer target: `deconflict feed`'s parsers of what a receiver sends (SBS-1 lines,
 * readsb's aircraft.json; src/cli/feed_parse.c) never crash; every report they make names a 6-hex
 * ICAO address, a WGS84 position, a finite altitude and an RFC 3339 time, with a callsign of the
 * grammar or none; and each SBS line is counted once at most (malformed, ignored, not newer or a
 * report) */
#include "deconflict/ident.h"
#include "feed.h"
#include "fuzz_common.h"

#include <ctype.h>
#include <math.h>

static void check_report(void *ctx, const dc_feed_report *r)
{
    (void)ctx;
    FUZZ_CHECK(strlen(r->aircraft) == 6);
    for (size_t i = 0; i < 6; i++)
        FUZZ_CHECK(isxdigit((unsigned char)r->aircraft[i]) &&
                   !islower((unsigned char)r->aircraft[i]));
    char again[DC_AIRCRAFT_MAX];
    FUZZ_CHECK(r->callsign[0] == '\0' || dc_ident_callsign(r->callsign, again, NULL) == DC_OK);
    FUZZ_CHECK(r->lat >= -90 && r->lat <= 90 && r->lon >= -180 && r->lon <= 180);
    FUZZ_CHECK(isfinite(r->altitude_m));
    FUZZ_CHECK(dc_time_in_range(r->time));
    FUZZ_CHECK(isnan(r->ground_speed_mps) == isnan(r->track_deg));
    FUZZ_CHECK(isnan(r->track_deg) || (r->track_deg >= 0 && r->track_deg < 360));
    FUZZ_CHECK(isnan(r->ground_speed_mps) || r->ground_speed_mps >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fuzz_text(data, size);
    FUZZ_CHECK(text != NULL);
    for (int clock = 0; clock < 2; clock++) {
        dc_feed_state *s = dc_feed_state_new(clock);
        FUZZ_CHECK(s != NULL);
        size_t at = 0;
        while (at < size) {
            size_t end = at;
            while (end < size && text[end] != '\n')
                end++;
            dc_feed_sbs_line(s, text + at, end - at, (dc_time_us)at * DC_US_PER_S, check_report,
                             NULL);
            at = end + 1;
        }
        const dc_feed_counts *c = dc_feed_state_counts(s);
        FUZZ_CHECK(c->positions + c->malformed + c->ignored + c->stale <= c->lines);
        dc_feed_state_free(s);
    }
    dc_feed_state *s = dc_feed_state_new(1);
    FUZZ_CHECK(s != NULL);
    if (dc_feed_aircraft_json(s, text, size, 1700000000 * DC_US_PER_S, check_report, NULL) == 0) {
        const dc_feed_counts *c = dc_feed_state_counts(s);
        FUZZ_CHECK(c->positions + c->malformed + c->ignored + c->stale == c->lines);
    }
    dc_feed_state_free(s);
    free(text);
    return 0;
}
