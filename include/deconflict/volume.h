/* volume.h - ASTM F3548 Volume4D: validated outlines, altitude bands, time windows; routes swept
 * into volumes; intersection */
#ifndef DECONFLICT_VOLUME_H
#define DECONFLICT_VOLUME_H

#include "deconflict/geo.h"
#include "deconflict/time.h"

#include <stdint.h>

/* Limits of what a single volume may be. Beyond ±85° the tangent-plane
 * geometry degrades and the grids used at the edges do not reach. */
#define DC_VOLUME_MAX_VERTICES 10000
#define DC_VOLUME_MAX_LATITUDE 85.0
#define DC_VOLUME_MAX_RADIUS_M 1500000.0 /* larger areas are split into several volumes */
#define DC_ALTITUDE_MIN_M -1000.0
#define DC_ALTITUDE_MAX_M 100000.0

/* Geometry context: owns a GEOS handle. Not thread-safe; one per thread.
 * Everything here that needs GEOS takes one. */
typedef struct dc_geom dc_geom;

/* DC_OK or DC_NOMEM. *out is NULL on failure. Free with dc_geom_free. */
dc_status dc_geom_new(dc_geom **out);
void dc_geom_free(dc_geom *geom); /* NULL is a no-op */

typedef enum dc_outline_kind { DC_OUTLINE_POLYGON, DC_OUTLINE_CIRCLE } dc_outline_kind;

/* A 4D volume. Time is half-open [time_start, time_end); altitudes (m) are
 * closed. The outline is a polygon ring (counter-clockwise seen from above,
 * no closing repeat, vertices owned by the volume) or a circle.
 * `bound_center`/`bound_radius_m` is a cap that contains the outline: for a
 * circle the circle itself; it lets a check discard far pairs cheaply. */
typedef struct dc_volume {
    dc_outline_kind outline;
    uint8_t convex; /* polygon outline is convex (set by the constructors) */
    uint32_t vertex_count;
    dc_point *vertices;
    dc_point center; /* circle centre */
    double radius_m; /* circle radius */
    dc_point bound_center;
    double bound_radius_m;
    double altitude_lower, altitude_upper;
    dc_time_us time_start, time_end;
} dc_volume;

/* Build a polygon volume from `count` WGS84 vertices (a closing repeat of
 * the first is dropped). Validates through GEOS: 3..10,000 distinct
 * vertices, no repeated consecutive vertex, a valid simple ring, no spike,
 * latitudes within ±85°, bounding radius ≤ 1,500 km; altitudes finite,
 * within -1,000..100,000 m and lower ≤ upper; time_start < time_end.
 * The ring is stored counter-clockwise. On failure returns DC_INVALID or
 * DC_RANGE (DC_NOMEM) with the field ("outline_polygon/vertices/3",
 * "altitude_lower", "time_end", ...) in `err`, and *out is zeroed.
 * On success free with dc_volume_clear. */
dc_status dc_volume_init_polygon(dc_geom *geom, const dc_point *vertices, size_t count,
                                 double altitude_lower, double altitude_upper,
                                 dc_time_us time_start, dc_time_us time_end, dc_volume *out,
                                 dc_error *err);

/* Build a circle volume. Radius in (0, 1,500 km]; the circle must stay
 * within ±85°. Failures as above. Nothing to free, but dc_volume_clear is
 * harmless. */
dc_status dc_volume_init_circle(dc_point center, double radius_m, double altitude_lower,
                                double altitude_upper, dc_time_us time_start, dc_time_us time_end,
                                dc_volume *out, dc_error *err);

/* The polygon volume grown by distance_m on every side (GEOS buffer in the
 * polygon's tangent plane, round corners), validated like any polygon.
 * DC_INVALID for a circle or a bad distance; failures of the result as
 * dc_volume_init_polygon. */
dc_status dc_volume_buffer(dc_geom *geom, const dc_volume *polygon, double distance_m,
                           dc_volume *out, dc_error *err);

/* Whether a position (WGS84 point, altitude m, time) lies inside the
 * volume: time in [start, end), altitude in the closed band, and inside
 * the outline (circle by geodesic distance; polygon in its tangent plane).
 * Writes 1 or 0. DC_OK, or DC_INVALID for a bad point. */
dc_status dc_volume_contains(const dc_volume *volume, dc_point position, double altitude_m,
                             dc_time_us time, int *inside);

/* Deep copy. DC_OK or DC_NOMEM (*out zeroed). */
dc_status dc_volume_copy(const dc_volume *src, dc_volume *out);

/* Free the vertices and zero the volume. NULL is a no-op. */
void dc_volume_clear(dc_volume *volume);

/* Bounding box in (longitude, latitude, altitude, time). When the volume
 * crosses the antimeridian, lon_max exceeds 180 (lon_min stays in
 * [-180, 180)): intervals are compared modulo 360. */
typedef struct dc_box4 {
    double lon_min, lon_max, lat_min, lat_max;
    double alt_min, alt_max;
    dc_time_us t_min, t_max; /* [t_min, t_max) */
} dc_box4;

/* Can't fail for a volume built by the init functions. */
dc_status dc_volume_box(const dc_volume *volume, dc_box4 *out);

/* Whether two boxes overlap under the volume rules (half-open time, closed
 * altitude, longitudes modulo 360). Can't fail. */
int dc_box4_overlaps(const dc_box4 *a, const dc_box4 *b);

/* ---- intersection --------------------------------------------------------- */

/* The overlap of two volumes: one or more outline parts (each a polygon
 * volume with the common altitude band and time window). Parts are owned. */
typedef struct dc_overlap {
    size_t part_count;
    dc_volume *parts;
} dc_overlap;

/* Overlaps smaller than this (1 dm²) are contact, not conflict: outlines
 * that share an edge or a corner, up to floating-point noise. */
#define DC_MIN_OVERLAP_AREA_M2 0.01

/* Whether a and b conflict: time windows overlap (half-open), altitude bands
 * overlap (closed) and outlines share more than DC_MIN_OVERLAP_AREA_M2 of
 * area in the tangent plane centred on the pair (outlines that only touch
 * do not conflict). Convex outlines are intersected by clipping, others
 * through GEOS; a circle against a polygon is decided by exact distance.
 * Writes 1 or 0 to *conflict. DC_OK, DC_NOMEM, DC_INTERNAL (GEOS). */
dc_status dc_volume_conflicts(dc_geom *geom, const dc_volume *a, const dc_volume *b, int *conflict);

/* As dc_volume_conflicts, and when they conflict the overlap volume(s):
 * the intersection outline (circles approximated by circumscribed 64-gons
 * for the outline only; the decision is exact), common altitudes and time.
 * *out has part_count 0 when they do not conflict. Free with
 * dc_overlap_clear. */
dc_status dc_volume_intersect(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                              dc_overlap *out);
void dc_overlap_clear(dc_overlap *overlap); /* NULL is a no-op */

/* ---- storage form ---------------------------------------------------------- */

/* A volume as bytes (fixed little-endian layout, version-tagged) for a
 * store. dc_volume_packed_size tells the size; dc_volume_pack writes it
 * (DC_RANGE if size is short). dc_volume_unpack reads one volume from the
 * front of `bytes`, sets *used, and allocates its vertices; DC_INVALID for
 * bytes that are not a packed volume. */
size_t dc_volume_packed_size(const dc_volume *volume);
dc_status dc_volume_pack(const dc_volume *volume, uint8_t *bytes, size_t size);
dc_status dc_volume_unpack(const uint8_t *bytes, size_t size, dc_volume *out, size_t *used);

/* ---- routes ---------------------------------------------------------------- */

typedef struct dc_waypoint {
    dc_point position;
    double altitude_m;
    dc_time_us time;
} dc_waypoint;

typedef struct dc_route_buffers {
    double lateral_m;   /* each side of the path, > 0 */
    double vertical_m;  /* above and below, >= 0 */
    dc_time_us time_us; /* before and after each leg's window, >= 0 */
} dc_route_buffers;

/* Sweep a route of `count` waypoints (>= 2, strictly increasing times) into
 * count - 1 polygon volumes, one per leg: the geodesic leg buffered by
 * `lateral_m` (a capsule whose round ends circumscribe the true buffer), the
 * altitudes of its ends widened by `vertical_m`, its time window widened by
 * `time_us`. `out` must hold count - 1 volumes; on failure none are left
 * allocated. DC_INVALID/DC_RANGE with the field ("waypoints/3/time") in err,
 * DC_NOMEM. */
dc_status dc_route_sweep(const dc_waypoint *waypoints, size_t count,
                         const dc_route_buffers *buffers, dc_volume *out, dc_error *err);

#endif
