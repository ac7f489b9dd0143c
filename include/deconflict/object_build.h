/* object_build.h - the one builder of what every decoder makes: the HTTP API's bodies
 * (src/api/objects.c) and scenario files (src/scenario/scenario.c) read their own JSON into the
 * parts below and build the object here, so that the same content gives the same object or the
 * same refusal whichever door it came in by */
#ifndef DECONFLICT_OBJECT_BUILD_H
#define DECONFLICT_OBJECT_BUILD_H

#include "deconflict/engine.h"
#include "deconflict/volume.h"

/* A protected site's protection around its place, at most (DESIGN.md rule 2: a site's owner
 * states a radius; 100 km is a camp's or a city's, more is a claim on the region). */
#define DC_SITE_RADIUS_MAX_M 100000.0

/* A site as a decoder read it: a point (`location` not NULL) or an outline (`outline`,
 * `outline_count` positions, closing repeat allowed), protected within `radius_m` during
 * [time_start, time_end). */
typedef struct dc_site_parts {
    const dc_point *location;
    const dc_point *outline;
    size_t outline_count;
    double radius_m;
    dc_time_us time_start, time_end;
} dc_site_parts;

/* The site's one volume into *out (the caller's; dc_volume_clear it): the circle of radius_m
 * around its point, or its outline grown by radius_m, from DC_ALTITUDE_MIN_M to
 * DC_ALTITUDE_MAX_M (a site is protected at every altitude). On failure *out is untouched and
 * err->field names the part at fault, relative: "radius" (DC_RANGE: not within
 * 0..DC_SITE_RADIUS_MAX_M, or 0 around a point), "time_start"/"time_end" (the volume's time
 * rules), "location" or "outline" (DC_INVALID/DC_RANGE: neither or both given, a bad ring);
 * DC_NOMEM. */
dc_status dc_site_build(dc_geom *geom, const dc_site_parts *parts, dc_volume *out, dc_error *err);

/* Whether `priority` is one an intent, hazard or zone may state: DC_OK, or DC_RANGE with
 * err->field "priority". */
dc_status dc_priority_check(long long priority, dc_error *err);

#endif
