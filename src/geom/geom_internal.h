/* geom_internal.h - what the files of src/geom share: the GEOS context and plane helpers */
#ifndef DECONFLICT_GEOM_INTERNAL_H
#define DECONFLICT_GEOM_INTERNAL_H

#include "deconflict/volume.h"

#include <geos_c.h>

struct dc_geom {
    GEOSContextHandle_t geos;
    char last_error[256]; /* GEOS's own message, for DC_INTERNAL details */
};

#define DC__EARTH_RADIUS_M 6371008.8

/* Longitude difference folded into (-180, 180]. */
double dc__wrap180(double degrees);

/* Ground distance (m) that a plane distance from the frame origin can at
 * most stand for, with margin: the orthographic plane shrinks distances. */
double dc__ground_from_plane(double plane_m);

/* How far (m, on the ground) the farthest of a polygon's `n` vertices lies from the centre
 * dc_volume_init_polygon measures outlines from: what DC_VOLUME_MAX_RADIUS_M bounds. DC_RANGE
 * (in err) for an outline that spans 180 degrees of longitude or more, or a hemisphere. */
dc_status dc__polygon_reach(const dc_point *vertices, size_t n, double *out, dc_error *err);

/* Project the outline of `v` into `frame` as a closed ring of x,y pairs
 * (first point repeated at the end). Circles become circumscribed
 * `circle_segments`-gons. *xy is allocated (dc_free); *points counts the
 * ring including the repeat. DC_OK, DC_NOMEM, DC_RANGE (beyond horizon). */
dc_status dc__project_outline(const dc_enu_frame *frame, const dc_volume *v, int circle_segments,
                              double **xy, size_t *points);

/* A GEOS polygon from a closed ring of x,y pairs; NULL on failure. */
GEOSGeometry *dc__geos_polygon(dc_geom *geom, const double *xy, size_t points);

/* The altitude/time rules shared by every volume constructor. */
dc_status dc__check_bands(double altitude_lower, double altitude_upper, dc_time_us time_start,
                          dc_time_us time_end, dc_error *err);

#endif
