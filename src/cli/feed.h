/* feed.h - `deconflict feed`: what a receiver serves (SBS-1/BaseStation text, readsb's
 * aircraft.json) turned into position reports, SI units, one aircraft's state kept between lines */
#ifndef DECONFLICT_CLI_FEED_H
#define DECONFLICT_CLI_FEED_H

#include "deconflict/ident.h"
#include "deconflict/time.h"

#include <stddef.h>
#include <stdint.h>

#define DC_FEED_FT_M 0.3048              /* feet to metres (altitudes) */
#define DC_FEED_KT_MPS (1852.0 / 3600.0) /* knots to metres a second (ground speed) */
#define DC_FEED_FPM_MPS (0.3048 / 60.0)  /* feet a minute to metres a second (vertical rate) */

/* A velocity older than this beside a position is not the aircraft's any more (seconds). */
#define DC_FEED_VELOCITY_MAX_AGE_S 30
/* An aircraft not heard for this long is forgotten (seconds). */
#define DC_FEED_FORGET_S 600
/* At most this many aircraft remembered at once: a receiver hears a few thousand. */
#define DC_FEED_MAX_AIRCRAFT 65536

/* One position report as the server takes it: SI units, NAN for what is unknown. */
typedef struct dc_feed_report {
    char aircraft[DC_AIRCRAFT_MAX]; /* the ICAO 24-bit address, 6 hex digits, upper case */
    char callsign[DC_AIRCRAFT_MAX]; /* "" when none was heard */
    dc_time_us time;
    double lat, lon, altitude_m;
    double ground_speed_mps, track_deg, vertical_rate_mps;
} dc_feed_report;

/* What the parser saw, counted. */
typedef struct dc_feed_counts {
    uint64_t lines;     /* SBS lines, or aircraft.json entries */
    uint64_t malformed; /* not what the format says (each counted, never fatal) */
    uint64_t ignored;   /* well formed but no report: other messages, non-ICAO, no altitude */
    uint64_t stale;     /* a position not newer than the aircraft's last one */
    uint64_t positions; /* reports made */
} dc_feed_counts;

typedef struct dc_feed_state dc_feed_state;

/* clock: 1 to date each report by the message's own time (SBS "date/time generated", taken as
 * UTC; readsb's "now" - "seen_pos"), 0 by the time it was received. NULL when out of memory. */
dc_feed_state *dc_feed_state_new(int message_clock);
void dc_feed_state_free(dc_feed_state *s);
const dc_feed_counts *dc_feed_state_counts(const dc_feed_state *s);

typedef void (*dc_feed_emit)(void *ctx, const dc_feed_report *r);

/* One SBS-1 line (without its newline; a trailing CR is allowed), received at `received`:
 * MSG,1 sets the callsign, MSG,4 the velocity, MSG,5/7 the altitude, MSG,3 makes a report with
 * them (emitted). Everything else is counted. */
void dc_feed_sbs_line(dc_feed_state *s, const char *line, size_t length, dc_time_us received,
                      dc_feed_emit emit, void *ctx);

/* A readsb/dump1090 aircraft.json document: each aircraft with a position newer than its last
 * one is a report (emitted). 0, or -1 when the document is not an aircraft.json at all. */
int dc_feed_aircraft_json(dc_feed_state *s, const char *text, size_t length, dc_time_us received,
                          dc_feed_emit emit, void *ctx);

#endif
