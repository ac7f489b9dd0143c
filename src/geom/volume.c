/* volume.c - building and validating 4D volumes (polygon or circle outlines) */
#include "geom_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void geos_message(const char *fmt, void *userdata)
{
    dc_geom *geom = userdata;
    dc_copy_text(geom->last_error, sizeof geom->last_error, fmt);
}

dc_status dc_geom_new(dc_geom **out)
{
    *out = NULL;
    dc_geom *geom = dc_calloc(1, sizeof *geom);
    if (geom == NULL)
        return DC_NOMEM;
    geom->geos = GEOS_init_r();
    if (geom->geos == NULL) {
        dc_free(geom);
        return DC_NOMEM;
    }
    GEOSContext_setErrorMessageHandler_r(geom->geos, geos_message, geom);
    GEOSContext_setNoticeMessageHandler_r(geom->geos, NULL, NULL);
    *out = geom;
    return DC_OK;
}

void dc_geom_free(dc_geom *geom)
{
    if (geom == NULL)
        return;
    GEOS_finish_r(geom->geos);
    dc_free(geom);
}

double dc__wrap180(double degrees)
{
    double d = fmod(degrees + 180.0, 360.0);
    if (d <= 0.0)
        d += 360.0;
    return d - 180.0;
}

double dc__ground_from_plane(double plane_m)
{
    double r = plane_m / DC__EARTH_RADIUS_M;
    if (r >= 1.0)
        return HUGE_VAL;
    return DC__EARTH_RADIUS_M * asin(r) * 1.005 + 1.0;
}

dc_status dc__check_bands(double altitude_lower, double altitude_upper, dc_time_us time_start,
                          dc_time_us time_end, dc_error *err)
{
    if (!isfinite(altitude_lower) || altitude_lower < DC_ALTITUDE_MIN_M ||
        altitude_lower > DC_ALTITUDE_MAX_M)
        return dc_error_set(err, DC_RANGE, "altitude_lower", DC_NO_POSITION,
                            "altitude_lower must be a number of metres within %.0f..%.0f",
                            DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M);
    if (!isfinite(altitude_upper) || altitude_upper < DC_ALTITUDE_MIN_M ||
        altitude_upper > DC_ALTITUDE_MAX_M)
        return dc_error_set(err, DC_RANGE, "altitude_upper", DC_NO_POSITION,
                            "altitude_upper must be a number of metres within %.0f..%.0f",
                            DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M);
    if (altitude_lower > altitude_upper)
        return dc_error_set(err, DC_INVALID, "altitude_upper", DC_NO_POSITION,
                            "altitude_upper (%.1f m) is below altitude_lower (%.1f m)",
                            altitude_upper, altitude_lower);
    /* a window that cannot be written back (RFC 3339) would be stored as an empty string */
    if (!dc_time_in_range(time_start))
        return dc_error_set(err, DC_RANGE, "time_start", DC_NO_POSITION,
                            "time_start must be within 1970-01-01T00:00:00Z .. "
                            "9999-12-31T23:59:59.999999Z");
    if (!dc_time_in_range(time_end))
        return dc_error_set(err, DC_RANGE, "time_end", DC_NO_POSITION,
                            "time_end must be within 1970-01-01T00:00:00Z .. "
                            "9999-12-31T23:59:59.999999Z");
    if (time_start >= time_end)
        return dc_error_set(err, DC_INVALID, "time_end", DC_NO_POSITION,
                            "time_end must be after time_start (the window is [start, end))");
    return DC_OK;
}

static dc_status check_vertex(dc_point p, size_t index, dc_error *err)
{
    if (!isfinite(p.lat) || !isfinite(p.lon))
        return dc_error_set(err, DC_INVALID, "outline_polygon/vertices", DC_NO_POSITION,
                            "vertex %zu is not a number", index);
    if (p.lat < -90.0 || p.lat > 90.0 || p.lon < -180.0 || p.lon > 180.0)
        return dc_error_set(err, DC_RANGE, "outline_polygon/vertices", DC_NO_POSITION,
                            "vertex %zu (%.7f, %.7f) is not a WGS84 latitude/longitude", index,
                            p.lat, p.lon);
    if (fabs(p.lat) > DC_VOLUME_MAX_LATITUDE)
        return dc_error_set(err, DC_RANGE, "outline_polygon/vertices", DC_NO_POSITION,
                            "vertex %zu at latitude %.4f is beyond ±%.0f°, where volumes "
                            "are not supported",
                            index, p.lat, DC_VOLUME_MAX_LATITUDE);
    return DC_OK;
}

dc_status dc__project_outline(const dc_enu_frame *frame, const dc_volume *v, int circle_segments,
                              double **xy, size_t *points)
{
    *xy = NULL;
    *points = 0;
    size_t n = v->outline == DC_OUTLINE_POLYGON ? v->vertex_count : (size_t)circle_segments;
    double *ring = dc_malloc((n + 1) * 2 * sizeof *ring);
    if (ring == NULL)
        return DC_NOMEM;
    if (v->outline == DC_OUTLINE_POLYGON) {
        for (size_t i = 0; i < n; i++) {
            if (dc_enu_forward(frame, v->vertices[i], &ring[2 * i], &ring[2 * i + 1]) != DC_OK) {
                dc_free(ring);
                return DC_RANGE;
            }
        }
    } else {
        double cx, cy;
        if (dc_enu_forward(frame, v->center, &cx, &cy) != DC_OK) {
            dc_free(ring);
            return DC_RANGE;
        }
        /* Circumscribed: every edge lies outside the circle. */
        double r = v->radius_m / cos(M_PI / circle_segments);
        for (size_t i = 0; i < n; i++) {
            double a = 2.0 * M_PI * (double)i / circle_segments;
            ring[2 * i] = cx + r * cos(a);
            ring[2 * i + 1] = cy + r * sin(a);
        }
    }
    ring[2 * n] = ring[0];
    ring[2 * n + 1] = ring[1];
    *xy = ring;
    *points = n + 1;
    return DC_OK;
}

GEOSGeometry *dc__geos_polygon(dc_geom *geom, const double *xy, size_t points)
{
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(geom->geos, xy, (unsigned)points, 0, 0);
    if (seq == NULL)
        return NULL;
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(geom->geos, seq);
    if (ring == NULL)
        return NULL; /* GEOS took the sequence */
    return GEOSGeom_createPolygon_r(geom->geos, ring, NULL, 0);
}

/* The frame a polygon is judged in: centred on the mean of its vertices,
 * longitudes unwrapped around the first so the antimeridian is ordinary. */
static dc_status polygon_frame(const dc_point *v, size_t n, dc_enu_frame *frame, dc_error *err)
{
    double lat = 0, dlon = 0, lon_min = 0, lon_max = 0;
    for (size_t i = 0; i < n; i++) {
        double d = dc__wrap180(v[i].lon - v[0].lon);
        lat += v[i].lat;
        dlon += d;
        lon_min = fmin(lon_min, d);
        lon_max = fmax(lon_max, d);
    }
    if (lon_max - lon_min >= 180.0)
        return dc_error_set(err, DC_RANGE, "outline_polygon", DC_NO_POSITION,
                            "outline spans %.1f degrees of longitude; split it (at most %.0f km "
                            "from its centre)",
                            lon_max - lon_min, DC_VOLUME_MAX_RADIUS_M / 1000);
    dc_point origin = {lat / (double)n, dc__wrap180(v[0].lon + dlon / (double)n)};
    return dc_enu_frame_init(origin, frame);
}

dc_status dc__polygon_reach(const dc_point *v, size_t n, double *out, dc_error *err)
{
    dc_enu_frame frame;
    dc_status rc = polygon_frame(v, n, &frame, err);
    double reach = 0;
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        double x, y;
        if (dc_enu_forward(&frame, v[i], &x, &y) != DC_OK)
            rc = dc_error_set(err, DC_RANGE, "outline_polygon", DC_NO_POSITION,
                              "outline is larger than a hemisphere");
        else
            reach = fmax(reach, hypot(x, y));
    }
    if (rc == DC_OK)
        *out = dc__ground_from_plane(reach);
    return rc;
}

static dc_status validate_ring(dc_geom *geom, const double *xy, size_t n, const dc_enu_frame *frame,
                               dc_error *err)
{
    /* Spikes: the ring doubles back on itself at a vertex (an angle under
     * 0.05°); GEOS may call such a ring valid, but it encloses nothing there. */
    for (size_t i = 0; i < n; i++) {
        size_t p = (i + n - 1) % n, q = (i + 1) % n;
        double ax = xy[2 * p] - xy[2 * i], ay = xy[2 * p + 1] - xy[2 * i + 1];
        double bx = xy[2 * q] - xy[2 * i], by = xy[2 * q + 1] - xy[2 * i + 1];
        double angle = fabs(atan2(ax * by - ay * bx, ax * bx + ay * by));
        if (angle < 1e-3)
            return dc_error_set(err, DC_INVALID, "outline_polygon/vertices", DC_NO_POSITION,
                                "spike at vertex %zu: the outline turns back on itself", i);
    }
    GEOSGeometry *poly = dc__geos_polygon(geom, xy, n + 1);
    if (poly == NULL)
        return dc_error_set(err, DC_INVALID, "outline_polygon", DC_NO_POSITION,
                            "outline is not a ring: %s", geom->last_error);
    char *reason = NULL;
    GEOSGeometry *where = NULL;
    char valid = GEOSisValidDetail_r(geom->geos, poly, 0, &reason, &where);
    dc_status rc = DC_OK;
    if (valid != 1) {
        double x = 0, y = 0;
        dc_point at = frame->origin;
        if (where != NULL && GEOSGeomGetX_r(geom->geos, where, &x) == 1 &&
            GEOSGeomGetY_r(geom->geos, where, &y) == 1)
            dc_enu_inverse(frame, x, y, &at);
        rc = dc_error_set(err, DC_INVALID, "outline_polygon", DC_NO_POSITION,
                          "outline is not a simple polygon: %s near %.7f, %.7f",
                          reason ? reason : "invalid", at.lat, at.lon);
    }
    GEOSFree_r(geom->geos, reason);
    GEOSGeom_destroy_r(geom->geos, where);
    GEOSGeom_destroy_r(geom->geos, poly);
    return rc;
}

dc_status dc_volume_init_polygon(dc_geom *geom, const dc_point *vertices, size_t count,
                                 double altitude_lower, double altitude_upper,
                                 dc_time_us time_start, dc_time_us time_end, dc_volume *out,
                                 dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_status rc = dc__check_bands(altitude_lower, altitude_upper, time_start, time_end, err);
    if (rc != DC_OK)
        return rc;
    if (vertices == NULL || count == 0)
        return dc_error_set(err, DC_INVALID, "outline_polygon/vertices", DC_NO_POSITION,
                            "outline has no vertices");
    size_t n = count;
    if (n > 1 && vertices[0].lat == vertices[n - 1].lat && vertices[0].lon == vertices[n - 1].lon)
        n--; /* closing repeat */
    if (n > DC_VOLUME_MAX_VERTICES)
        return dc_error_set(err, DC_RANGE, "outline_polygon/vertices", DC_NO_POSITION,
                            "outline has %zu vertices; at most %d", n, DC_VOLUME_MAX_VERTICES);
    for (size_t i = 0; i < n; i++) {
        rc = check_vertex(vertices[i], i, err);
        if (rc != DC_OK)
            return rc;
        size_t prev = (i + n - 1) % n;
        if (n > 1 && vertices[i].lat == vertices[prev].lat &&
            dc__wrap180(vertices[i].lon - vertices[prev].lon) == 0.0)
            return dc_error_set(err, DC_INVALID, "outline_polygon/vertices", DC_NO_POSITION,
                                "vertex %zu repeats vertex %zu", i, prev);
    }
    if (n < 3)
        return dc_error_set(err, DC_INVALID, "outline_polygon/vertices", DC_NO_POSITION,
                            "outline needs at least 3 distinct vertices, has %zu", n);
    dc_enu_frame frame;
    rc = polygon_frame(vertices, n, &frame, err);
    if (rc != DC_OK)
        return rc;
    double *xy = dc_malloc((n + 1) * 2 * sizeof *xy);
    dc_point *copy = dc_malloc(n * sizeof *copy);
    if (xy == NULL || copy == NULL) {
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        goto fail;
    }
    double reach = 0, area2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (dc_enu_forward(&frame, vertices[i], &xy[2 * i], &xy[2 * i + 1]) != DC_OK) {
            rc = dc_error_set(err, DC_RANGE, "outline_polygon", DC_NO_POSITION,
                              "outline is larger than a hemisphere");
            goto fail;
        }
        reach = fmax(reach, hypot(xy[2 * i], xy[2 * i + 1]));
    }
    xy[2 * n] = xy[0];
    xy[2 * n + 1] = xy[1];
    double bound = dc__ground_from_plane(reach);
    if (bound > DC_VOLUME_MAX_RADIUS_M) {
        rc = dc_error_set(err, DC_RANGE, "outline_polygon", DC_NO_POSITION,
                          "outline reaches %.0f km from its centre; at most %.0f km: split it",
                          bound / 1000, DC_VOLUME_MAX_RADIUS_M / 1000);
        goto fail;
    }
    rc = validate_ring(geom, xy, n, &frame, err);
    if (rc != DC_OK)
        goto fail;
    for (size_t i = 0; i < n; i++)
        area2 += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
    /* Convex when every turn goes the same way as the ring as a whole. */
    int convex = 1;
    for (size_t i = 0; i < n && convex; i++) {
        size_t j = (i + 1) % n, k = (i + 2) % n;
        double turn = (xy[2 * j] - xy[2 * i]) * (xy[2 * k + 1] - xy[2 * j + 1]) -
                      (xy[2 * j + 1] - xy[2 * i + 1]) * (xy[2 * k] - xy[2 * j]);
        convex = (turn > 0) == (area2 > 0);
    }
    for (size_t i = 0; i < n; i++)
        copy[i] = area2 > 0 ? vertices[i] : vertices[n - 1 - i];
    dc_free(xy);
    out->outline = DC_OUTLINE_POLYGON;
    out->convex = (uint8_t)convex;
    out->vertex_count = (uint32_t)n;
    out->vertices = copy;
    out->bound_center = frame.origin;
    out->bound_radius_m = bound;
    out->altitude_lower = altitude_lower;
    out->altitude_upper = altitude_upper;
    out->time_start = time_start;
    out->time_end = time_end;
    return DC_OK;
fail:
    dc_free(xy);
    dc_free(copy);
    return rc;
}

dc_status dc_volume_init_circle(dc_point center, double radius_m, double altitude_lower,
                                double altitude_upper, dc_time_us time_start, dc_time_us time_end,
                                dc_volume *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    dc_status rc = dc__check_bands(altitude_lower, altitude_upper, time_start, time_end, err);
    if (rc != DC_OK)
        return rc;
    rc = dc_point_validate(center);
    if (rc != DC_OK)
        return dc_error_set(err, rc, "outline_circle/center", DC_NO_POSITION,
                            "circle centre is not a WGS84 latitude/longitude");
    if (!isfinite(radius_m) || radius_m <= 0.0 || radius_m > DC_VOLUME_MAX_RADIUS_M)
        return dc_error_set(err, DC_RANGE, "outline_circle/radius", DC_NO_POSITION,
                            "circle radius must be more than 0 and at most %.0f m",
                            DC_VOLUME_MAX_RADIUS_M);
    /* 1° of latitude is at least 110.5 km anywhere. */
    if (fabs(center.lat) + radius_m / 110500.0 > DC_VOLUME_MAX_LATITUDE)
        return dc_error_set(err, DC_RANGE, "outline_circle", DC_NO_POSITION,
                            "circle reaches beyond ±%.0f° latitude, where volumes are not "
                            "supported",
                            DC_VOLUME_MAX_LATITUDE);
    out->outline = DC_OUTLINE_CIRCLE;
    out->center = center;
    out->radius_m = radius_m;
    out->bound_center = center;
    out->bound_radius_m = radius_m;
    out->altitude_lower = altitude_lower;
    out->altitude_upper = altitude_upper;
    out->time_start = time_start;
    out->time_end = time_end;
    return DC_OK;
}

dc_status dc_volume_copy(const dc_volume *src, dc_volume *out)
{
    *out = *src;
    out->vertices = NULL;
    if (src->vertex_count > 0) {
        out->vertices = dc_malloc(src->vertex_count * sizeof *out->vertices);
        if (out->vertices == NULL) {
            memset(out, 0, sizeof *out);
            return DC_NOMEM;
        }
        memcpy(out->vertices, src->vertices, src->vertex_count * sizeof *out->vertices);
    }
    return DC_OK;
}

void dc_volume_clear(dc_volume *volume)
{
    if (volume == NULL)
        return;
    dc_free(volume->vertices);
    memset(volume, 0, sizeof *volume);
}

dc_status dc_volume_box(const dc_volume *v, dc_box4 *out)
{
    double lat_min, lat_max, lon_min, lon_max;
    if (v->outline == DC_OUTLINE_CIRCLE) {
        double dlat = v->radius_m / 110500.0;
        double coslat = cos((fabs(v->center.lat) + dlat) * M_PI / 180.0);
        double dlon = fmin(180.0, v->radius_m / (111000.0 * coslat) * 1.01);
        lat_min = v->center.lat - dlat;
        lat_max = v->center.lat + dlat;
        lon_min = v->center.lon - dlon;
        lon_max = v->center.lon + dlon;
    } else {
        /* Unwrapped around the first vertex; edges are short enough
         * (straight in the plane) that the vertices bound them, except
         * for the bulge of long east-west edges, covered by a margin. */
        double base = v->vertices[0].lon;
        lat_min = lat_max = v->vertices[0].lat;
        lon_min = lon_max = base;
        for (uint32_t i = 1; i < v->vertex_count; i++) {
            double lon = base + dc__wrap180(v->vertices[i].lon - base);
            lat_min = fmin(lat_min, v->vertices[i].lat);
            lat_max = fmax(lat_max, v->vertices[i].lat);
            lon_min = fmin(lon_min, lon);
            lon_max = fmax(lon_max, lon);
        }
        /* A straight edge in a tangent plane follows (nearly) a great
         * circle, which bows poleward of the straight line in degrees by at
         * most span²/16 radians (span in radians); twice that as margin. */
        double span = (lon_max - lon_min) * M_PI / 180.0;
        double margin = 1e-6 + span * span / 8.0 * 180.0 / M_PI;
        lat_min -= margin;
        lat_max += margin;
        lon_min -= 2.0 * margin;
        lon_max += 2.0 * margin;
    }
    if (lon_min < -180.0) {
        lon_min += 360.0;
        lon_max += 360.0;
    } else if (lon_min >= 180.0) {
        lon_min -= 360.0;
        lon_max -= 360.0;
    }
    out->lon_min = lon_min;
    out->lon_max = lon_max;
    out->lat_min = lat_min;
    out->lat_max = lat_max;
    out->alt_min = v->altitude_lower;
    out->alt_max = v->altitude_upper;
    out->t_min = v->time_start;
    out->t_max = v->time_end;
    return DC_OK;
}

static int lon_overlap(double a0, double a1, double b0, double b1)
{
    for (int shift = -1; shift <= 1; shift++)
        if (a0 <= b1 + 360.0 * shift && b0 + 360.0 * shift <= a1)
            return 1;
    return 0;
}

int dc_box4_overlaps(const dc_box4 *a, const dc_box4 *b)
{
    return a->t_min < b->t_max && b->t_min < a->t_max && a->alt_min <= b->alt_max &&
           b->alt_min <= a->alt_max && a->lat_min <= b->lat_max && b->lat_min <= a->lat_max &&
           lon_overlap(a->lon_min, a->lon_max, b->lon_min, b->lon_max);
}

dc_status dc_volume_buffer(dc_geom *geom, const dc_volume *poly, double distance_m, dc_volume *out,
                           dc_error *err)
{
    memset(out, 0, sizeof *out);
    if (poly->outline != DC_OUTLINE_POLYGON || !isfinite(distance_m) || distance_m <= 0)
        return dc_error_set(err, DC_INVALID, "radius", DC_NO_POSITION,
                            "a polygon and a distance above 0");
    dc_enu_frame frame;
    if (dc_enu_frame_init(poly->bound_center, &frame) != DC_OK)
        return dc_error_set(err, DC_INVALID, "outline_polygon", DC_NO_POSITION,
                            "no frame for the outline");
    double *xy = NULL;
    size_t n = 0;
    dc_status rc = dc__project_outline(&frame, poly, 0, &xy, &n);
    if (rc != DC_OK)
        return dc_error_set(err, rc, "outline_polygon", DC_NO_POSITION,
                            "the outline cannot be projected");
    GEOSGeometry *g = dc__geos_polygon(geom, xy, n);
    GEOSGeometry *b = g ? GEOSBuffer_r(geom->geos, g, distance_m, 8) : NULL;
    const GEOSGeometry *ring = b ? GEOSGetExteriorRing_r(geom->geos, b) : NULL;
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(geom->geos, ring) : NULL;
    unsigned size = 0;
    rc = seq && GEOSCoordSeq_getSize_r(geom->geos, seq, &size) == 1 && size >= 4 ? DC_OK
                                                                                 : DC_INTERNAL;
    double *bxy = rc == DC_OK ? dc_malloc(size * 2 * sizeof *bxy) : NULL;
    dc_point *pts = rc == DC_OK ? dc_malloc(size * sizeof *pts) : NULL;
    if (rc == DC_OK && (bxy == NULL || pts == NULL))
        rc = DC_NOMEM;
    if (rc == DC_OK) {
        GEOSCoordSeq_copyToBuffer_r(geom->geos, seq, bxy, 0, 0);
        for (unsigned i = 0; i < size && rc == DC_OK; i++)
            if (dc_enu_inverse(&frame, bxy[2 * i], bxy[2 * i + 1], &pts[i]) != DC_OK)
                rc = DC_RANGE;
    }
    if (rc == DC_OK)
        rc = dc_volume_init_polygon(geom, pts, size, poly->altitude_lower, poly->altitude_upper,
                                    poly->time_start, poly->time_end, out, err);
    else
        dc_error_set(err, rc, "outline_polygon", DC_NO_POSITION, "the buffered outline failed");
    GEOSGeom_destroy_r(geom->geos, g);
    GEOSGeom_destroy_r(geom->geos, b);
    dc_free(xy);
    dc_free(bxy);
    dc_free(pts);
    return rc;
}

dc_status dc_volume_contains(const dc_volume *v, dc_point p, double altitude_m, dc_time_us time,
                             int *inside)
{
    *inside = 0;
    if (dc_point_validate(p) != DC_OK || !isfinite(altitude_m))
        return DC_INVALID;
    if (time < v->time_start || time >= v->time_end || altitude_m < v->altitude_lower ||
        altitude_m > v->altitude_upper)
        return DC_OK;
    double d;
    dc_geodesic_inverse(v->bound_center, p, &d, NULL);
    if (d > v->bound_radius_m)
        return DC_OK;
    if (v->outline == DC_OUTLINE_CIRCLE) {
        dc_geodesic_inverse(v->center, p, &d, NULL);
        *inside = d <= v->radius_m;
        return DC_OK;
    }
    dc_enu_frame frame;
    double px, py;
    if (dc_enu_frame_init(p, &frame) != DC_OK || dc_enu_forward(&frame, p, &px, &py) != DC_OK)
        return DC_INVALID;
    int in = 0;
    double x0 = 0, y0 = 0;
    for (uint32_t i = 0; i <= v->vertex_count; i++) {
        double x, y;
        if (dc_enu_forward(&frame, v->vertices[i % v->vertex_count], &x, &y) != DC_OK)
            return DC_OK; /* beyond the horizon: far outside */
        if (i > 0 && (y0 > py) != (y > py) && px < (x - x0) * (py - y0) / (y - y0) + x0)
            in ^= 1;
        x0 = x;
        y0 = y;
    }
    *inside = in;
    return DC_OK;
}
