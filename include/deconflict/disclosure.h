/* disclosure.h - the one policy for what a party may learn of another party's object or aircraft
 *
 * Every notice and alert that tells a party (the viewer) something about another party's object
 * is shaped here, and nowhere else (DESIGN.md rule 3, docs/SECURITY.md):
 *   - geometry only where it overlaps the viewer's own object (the engine's overlap is already
 *     clipped so), quantised outwards to a published grid (DC_DISCLOSE_CELL_M horizontally,
 *     DC_DISCLOSE_ALT_M vertically, DC_DISCLOSE_TIME_S in time);
 *   - within a cumulative budget of disclosed area per (viewer, object, UTC day); past it, and
 *     for a viewer's object larger than a probe limit, only the party, kind and time window;
 *   - a protected site is deconflicted against a keep-out disc that contains its protected area
 *     and whose centre is displaced by a secret, per-site offset of 1.5 to 2.5 protection radii,
 *     so that no sequence of accepted and refused hazards locates it better than its radius;
 *   - another party's aircraft is told coarsened to what avoiding it needs.
 * Pure: no I/O, no globals; the ledger of what was spent lives in the caller's store.
 */
#ifndef DECONFLICT_DISCLOSURE_H
#define DECONFLICT_DISCLOSURE_H

#include "deconflict/engine.h"

/* The published resolution and limits. */
#define DC_DISCLOSE_CELL_M 500.0                 /* horizontal grid, at least, everywhere */
#define DC_DISCLOSE_TIME_S 60                    /* time grid */
#define DC_DISCLOSE_ALT_M 100.0                  /* altitude grid */
#define DC_DISCLOSE_BUDGET_M2 400.0e6            /* 400 km² per (viewer, object) per day */
#define DC_DISCLOSE_PROBE_AREA_M2 10000.0e6      /* a viewer's volume above 10,000 km² ... */
#define DC_DISCLOSE_PROBE_DURATION_S (24 * 3600) /* ... or 24 h: window only */
#define DC_DISCLOSE_MAX_BOXES 16                 /* more overlap parts: one box for all */
#define DC_DISCLOSE_SITE_MIN_RADIUS_M 500.0      /* the least a site is displaced by */
#define DC_DISCLOSE_SECRET_BYTES 32
#define DC_DISCLOSE_TRACK_M 500.0     /* another aircraft's relative position, rounded */
#define DC_DISCLOSE_TRACK_ALT_M 30.48 /* ... its relative height, to 100 ft */

typedef enum dc_disclosure_level {
    DC_DISCLOSE_GEOMETRY, /* quantised overlap boxes, altitude band and window */
    DC_DISCLOSE_WINDOW    /* only the counterpart party, its kind and the time window */
} dc_disclosure_level;

typedef enum dc_disclosure_reason {
    DC_DISCLOSE_WITHIN_BUDGET,
    DC_DISCLOSE_BUDGET_SPENT,   /* the viewer has learned its day's budget of this object */
    DC_DISCLOSE_PROBE_TOO_LARGE /* the viewer's own object is larger than the probe limits */
} dc_disclosure_reason;

/* A box on the disclosure grid, degrees (lon_max may exceed 180 across the antimeridian). */
typedef struct dc_disclosed_box {
    double lon_min, lon_max, lat_min, lat_max;
} dc_disclosed_box;

typedef struct dc_disclosure {
    dc_disclosure_level level;
    dc_disclosure_reason reason;
    dc_time_us time_start, time_end;       /* outwards to the minute */
    double altitude_lower, altitude_upper; /* outwards to DC_DISCLOSE_ALT_M (GEOMETRY only) */
    size_t box_count;                      /* 0 for WINDOW */
    dc_disclosed_box boxes[DC_DISCLOSE_MAX_BOXES];
    double area_m2; /* charged to the (viewer, object, day) ledger; 0 for WINDOW */
} dc_disclosure;

/* What `viewer_object`'s owner may be told of the conflict `c` (whose overlap lies inside
 * viewer_object), given the area already spent on that counterpart object today. The caller
 * adds out->area_m2 to its ledger; a BUDGET_SPENT disclosure is the caller's cue to tell the
 * object's owner and the operator, once a day, that the viewer is mapping it. Can't fail for a
 * conflict the engine produced: DC_OK, or DC_INVALID for a negative `spent_m2`. */
dc_status dc_disclosure_of_conflict(const dc_object *viewer_object, const dc_conflict *c,
                                    double spent_m2, dc_disclosure *out);

/* The UTC day number of a time: the ledger's period. */
int64_t dc_disclosure_day(dc_time_us t);

/* The keep-out volume a site is deconflicted against: a circle containing the whole protected
 * volume `site` (built from the owner's outline and radius), centred at a secret offset of 1.5
 * to 2.5 times the larger of radius_m, the protected area's own bounding radius and
 * DC_DISCLOSE_SITE_MIN_RADIUS_M from it (so that the keep-out's
 * centre, all that refusals can trace, is at least 1.5 radii from the site) in a direction and
 * length derived from `secret` and the site's owner and id (stable across versions, so repeating
 * versions averages nothing out). Same altitudes and window as `site`. DC_OK, DC_INVALID
 * (radius out of range), DC_RANGE (the keep-out would pass the volume limits). */
dc_status dc_disclosure_site_keepout(const uint8_t secret[DC_DISCLOSE_SECRET_BYTES],
                                     const char *owner, const char *id, const dc_volume *site,
                                     double radius_m, dc_volume *out);

/* A relative position (east, north, up: metres) of another aircraft rounded to what avoiding
 * it needs: DC_DISCLOSE_TRACK_M horizontally, DC_DISCLOSE_TRACK_ALT_M vertically. */
void dc_disclosure_relative(double *east_m, double *north_m, double *up_m);

/* Another party's aircraft position as a zone's owner is told it: the centre of its cell on the
 * disclosure grid (>= 500 m), its altitude to 100 ft. */
void dc_disclosure_position(dc_point *position, double *altitude_m);

/* A distance rounded down to the track grid: a closest approach is never shown larger than it
 * is. */
double dc_disclosure_distance(double metres);

#endif
