/* route.c - sweep a route (waypoints with times) into one capsule-shaped 4D volume per leg */
#include "geom_internal.h"

#include <math.h>
#include <string.h>

/* Half-circle ends with this many edges. The polygon circumscribes the
 * true buffer (edges tangent to the circle), so the swept volume never
 * under-covers: at 6 edges it reaches 3.5 % beyond the buffer at worst. */
#define CAP_SEGMENTS 6

static dc_status check_waypoint(const dc_waypoint *w, size_t i, dc_error *err)
{
    dc_status rc = dc_point_validate(w->position);
    if (rc != DC_OK)
        return dc_error_set(err, rc, "waypoints/position", DC_NO_POSITION,
                            "waypoint %zu is not a WGS84 latitude/longitude", i);
    if (fabs(w->position.lat) > DC_VOLUME_MAX_LATITUDE)
        return dc_error_set(err, DC_RANGE, "waypoints/position", DC_NO_POSITION,
                            "waypoint %zu at latitude %.4f is beyond ±%.0f°", i, w->position.lat,
                            DC_VOLUME_MAX_LATITUDE);
    if (!isfinite(w->altitude_m) || w->altitude_m < DC_ALTITUDE_MIN_M ||
        w->altitude_m > DC_ALTITUDE_MAX_M)
        return dc_error_set(err, DC_RANGE, "waypoints/altitude", DC_NO_POSITION,
                            "waypoint %zu altitude must be within %.0f..%.0f m", i,
                            DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M);
    return DC_OK;
}

static dc_status sweep_leg(const dc_waypoint *a, const dc_waypoint *b, const dc_route_buffers *buf,
                           size_t leg, dc_volume *out, dc_error *err)
{
    double s, azi;
    dc_point mid;
    if (dc_geodesic_inverse(a->position, b->position, &s, &azi) != DC_OK ||
        dc_geodesic_direct(a->position, azi, s / 2.0, &mid, NULL) != DC_OK)
        return dc_error_set(err, DC_INVALID, "waypoints", DC_NO_POSITION,
                            "leg %zu cannot be measured", leg);
    if (s / 2.0 + buf->lateral_m > DC_VOLUME_MAX_RADIUS_M)
        return dc_error_set(err, DC_RANGE, "waypoints", DC_NO_POSITION,
                            "leg %zu is %.0f km long; legs up to %.0f km are swept: add waypoints",
                            leg, s / 1000, 2 * DC_VOLUME_MAX_RADIUS_M / 1000);
    /* Centred on the geodesic's midpoint, the geodesic projects to (very
     * nearly) a straight line through the origin. */
    dc_enu_frame frame;
    double ax, ay, bx, by;
    if (dc_enu_frame_init(mid, &frame) != DC_OK ||
        dc_enu_forward(&frame, a->position, &ax, &ay) != DC_OK ||
        dc_enu_forward(&frame, b->position, &bx, &by) != DC_OK)
        return dc_error_set(err, DC_RANGE, "waypoints", DC_NO_POSITION,
                            "leg %zu cannot be projected", leg);
    double len = hypot(bx - ax, by - ay);
    double ux = len > 1e-6 ? (bx - ax) / len : 1.0, uy = len > 1e-6 ? (by - ay) / len : 0.0;
    double heading = atan2(uy, ux);
    double r = buf->lateral_m, r_out = r / cos(M_PI / (2.0 * CAP_SEGMENTS));
    dc_point *v = dc_malloc(2 * (CAP_SEGMENTS + 2) * sizeof *v);
    if (v == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    size_t n = 0;
    double reach = 0;
    /* Counter-clockwise: around B from its right side to its left, then A. */
    for (int end = 0; end < 2; end++) {
        double cx = end == 0 ? bx : ax, cy = end == 0 ? by : ay;
        double start = heading - M_PI / 2.0 + end * M_PI;
        for (int j = 0; j <= CAP_SEGMENTS + 1; j++) {
            double angle, radius;
            if (j == 0 || j == CAP_SEGMENTS + 1) {
                angle = start + (j == 0 ? 0.0 : M_PI);
                radius = r;
            } else {
                angle = start + (j - 0.5) * M_PI / CAP_SEGMENTS;
                radius = r_out;
            }
            double x = cx + radius * cos(angle), y = cy + radius * sin(angle);
            reach = fmax(reach, hypot(x, y));
            if (dc_enu_inverse(&frame, x, y, &v[n]) != DC_OK ||
                fabs(v[n].lat) > DC_VOLUME_MAX_LATITUDE) {
                dc_free(v);
                return dc_error_set(err, DC_RANGE, "waypoints", DC_NO_POSITION,
                                    "leg %zu with its buffer reaches beyond ±%.0f°", leg,
                                    DC_VOLUME_MAX_LATITUDE);
            }
            n++;
        }
    }
    /* The leg's own midpoint is not where a polygon's reach is measured from: a leg just within
     * the bound from there could be stored as a volume that, read back and sent again, is refused
     * (fuzz_submission found one reaching 1,507 km). The rule of every polygon decides. */
    double bound = 0;
    dc_status rc = dc__polygon_reach(v, n, &bound, err);
    if (rc != DC_OK)
        rc = dc_error_set(err, DC_RANGE, "waypoints", DC_NO_POSITION,
                          "leg %zu with its buffer cannot be measured as an outline", leg);
    else if (bound > DC_VOLUME_MAX_RADIUS_M)
        rc = dc_error_set(err, DC_RANGE, "waypoints", DC_NO_POSITION,
                          "leg %zu with its buffer reaches %.0f km from its centre; at most %.0f "
                          "km: add waypoints",
                          leg, bound / 1000, DC_VOLUME_MAX_RADIUS_M / 1000);
    if (rc != DC_OK) {
        dc_free(v);
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->outline = DC_OUTLINE_POLYGON;
    out->convex = 1; /* a capsule */
    out->vertex_count = (uint32_t)n;
    out->vertices = v;
    out->bound_center = mid;
    out->bound_radius_m = dc__ground_from_plane(reach);
    out->altitude_lower =
        fmax(DC_ALTITUDE_MIN_M, fmin(a->altitude_m, b->altitude_m) - buf->vertical_m);
    out->altitude_upper =
        fmin(DC_ALTITUDE_MAX_M, fmax(a->altitude_m, b->altitude_m) + buf->vertical_m);
    out->time_start = a->time - buf->time_us;
    out->time_end = b->time + buf->time_us;
    return DC_OK;
}

dc_status dc_route_sweep(const dc_waypoint *waypoints, size_t count,
                         const dc_route_buffers *buffers, dc_volume *out, dc_error *err)
{
    if (waypoints == NULL || count < 2)
        return dc_error_set(err, DC_INVALID, "waypoints", DC_NO_POSITION,
                            "a route needs at least 2 waypoints");
    if (buffers == NULL || !isfinite(buffers->lateral_m) || buffers->lateral_m <= 0.0 ||
        buffers->lateral_m > 100000.0)
        return dc_error_set(err, DC_RANGE, "buffers/lateral", DC_NO_POSITION,
                            "lateral buffer must be more than 0 and at most 100000 m");
    if (!isfinite(buffers->vertical_m) || buffers->vertical_m < 0.0 ||
        buffers->vertical_m > 10000.0)
        return dc_error_set(err, DC_RANGE, "buffers/vertical", DC_NO_POSITION,
                            "vertical buffer must be within 0..10000 m");
    if (buffers->time_us < 0 || buffers->time_us > 24 * 3600 * DC_US_PER_S)
        return dc_error_set(err, DC_RANGE, "buffers/time", DC_NO_POSITION,
                            "time buffer must be within 0..24 h");
    for (size_t i = 0; i < count; i++) {
        dc_status rc = check_waypoint(&waypoints[i], i, err);
        if (rc != DC_OK)
            return rc;
        if (i > 0 && waypoints[i].time <= waypoints[i - 1].time)
            return dc_error_set(err, DC_INVALID, "waypoints/time", DC_NO_POSITION,
                                "waypoint %zu is not later than waypoint %zu", i, i - 1);
    }
    /* the time buffer widens the first and last legs' windows: they must stay writable */
    if (!dc_time_in_range(waypoints[0].time - buffers->time_us) ||
        !dc_time_in_range(waypoints[count - 1].time + buffers->time_us))
        return dc_error_set(err, DC_RANGE, "buffers/time", DC_NO_POSITION,
                            "the time buffer takes the route outside 1970-01-01T00:00:00Z .. "
                            "9999-12-31T23:59:59.999999Z");
    for (size_t i = 0; i + 1 < count; i++) {
        dc_status rc = sweep_leg(&waypoints[i], &waypoints[i + 1], buffers, i, &out[i], err);
        if (rc != DC_OK) {
            for (size_t k = 0; k < i; k++)
                dc_volume_clear(&out[k]);
            return rc;
        }
    }
    return DC_OK;
}
