/* intersect.c - do two 4D volumes conflict, and what is their overlap */
#include "geom_internal.h"

#include <math.h>
#include <string.h>

#define OVERLAP_CIRCLE_SEGMENTS 64

static int bands_overlap(const dc_volume *a, const dc_volume *b)
{
    return a->time_start < b->time_end && b->time_start < a->time_end &&
           a->altitude_lower <= b->altitude_upper && b->altitude_lower <= a->altitude_upper;
}

/* A chord is never longer than the arc, so caps whose centres are a chord
 * of r1 + r2 apart cannot meet: a cheap, safe rejection. */
static int caps_apart(const dc_volume *a, const dc_volume *b)
{
    double pa[3], pb[3];
    if (dc_point_ecef(a->bound_center, pa) != DC_OK || dc_point_ecef(b->bound_center, pb) != DC_OK)
        return 0;
    double d2 = 0;
    for (int k = 0; k < 3; k++)
        d2 += (pa[k] - pb[k]) * (pa[k] - pb[k]);
    double r = a->bound_radius_m + b->bound_radius_m;
    return d2 >= r * r;
}

static dc_point pair_midpoint(const dc_volume *a, const dc_volume *b)
{
    double dlon = dc__wrap180(b->bound_center.lon - a->bound_center.lon);
    dc_point mid = {(a->bound_center.lat + b->bound_center.lat) / 2.0,
                    dc__wrap180(a->bound_center.lon + dlon / 2.0)};
    return mid;
}

/* Exact decision for outlines with a circle, through distances, so that it
 * does not depend on how a circle is approximated. */
static dc_status circle_conflict(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                                 int *conflict)
{
    *conflict = 0;
    if (a->outline == DC_OUTLINE_CIRCLE && b->outline == DC_OUTLINE_CIRCLE) {
        double d;
        if (dc_geodesic_inverse(a->center, b->center, &d, NULL) != DC_OK)
            return DC_INTERNAL;
        *conflict = d < a->radius_m + b->radius_m;
        return DC_OK;
    }
    const dc_volume *circle = a->outline == DC_OUTLINE_CIRCLE ? a : b;
    const dc_volume *poly = circle == a ? b : a;
    dc_enu_frame frame;
    if (dc_enu_frame_init(circle->center, &frame) != DC_OK)
        return DC_INTERNAL;
    double *xy = NULL;
    size_t n = 0;
    dc_status rc = dc__project_outline(&frame, poly, 0, &xy, &n);
    if (rc == DC_RANGE)
        return DC_OK; /* beyond each other's horizon */
    if (rc != DC_OK)
        return rc;
    GEOSGeometry *gp = dc__geos_polygon(geom, xy, n);
    GEOSGeometry *gc = GEOSGeom_createPointFromXY_r(geom->geos, 0.0, 0.0);
    double d;
    if (gp == NULL || gc == NULL || GEOSDistance_r(geom->geos, gp, gc, &d) != 1)
        rc = DC_INTERNAL;
    else
        *conflict = d < circle->radius_m;
    GEOSGeom_destroy_r(geom->geos, gp);
    GEOSGeom_destroy_r(geom->geos, gc);
    dc_free(xy);
    return rc;
}

void dc_overlap_clear(dc_overlap *overlap)
{
    if (overlap == NULL)
        return;
    for (size_t i = 0; i < overlap->part_count; i++)
        dc_volume_clear(&overlap->parts[i]);
    dc_free(overlap->parts);
    overlap->parts = NULL;
    overlap->part_count = 0;
}

/* An overlap ring (closed x,y pairs in `frame`) as a polygon volume with
 * the common altitude band and time window. */
static dc_status ring_volume(const dc_enu_frame *frame, const double *xy, size_t size,
                             const dc_volume *a, const dc_volume *b, dc_volume *out)
{
    memset(out, 0, sizeof *out);
    if (size < 4)
        return DC_INTERNAL;
    dc_point *vertices = dc_malloc((size - 1) * sizeof *vertices);
    if (vertices == NULL)
        return DC_NOMEM;
    double area2 = 0, cx = 0, cy = 0, reach = 0;
    for (size_t i = 0; i + 1 < size; i++) {
        area2 += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
        cx += xy[2 * i];
        cy += xy[2 * i + 1];
    }
    cx /= (double)(size - 1);
    cy /= (double)(size - 1);
    for (size_t i = 0; i + 1 < size; i++) {
        size_t k = area2 > 0 ? i : size - 2 - i;
        dc_enu_inverse(frame, xy[2 * k], xy[2 * k + 1], &vertices[i]);
        reach = fmax(reach, hypot(xy[2 * k] - cx, xy[2 * k + 1] - cy) + hypot(cx, cy));
    }
    out->outline = DC_OUTLINE_POLYGON;
    out->convex = 1;
    out->vertex_count = (uint32_t)(size - 1);
    out->vertices = vertices;
    dc_enu_inverse(frame, cx, cy, &out->bound_center);
    out->bound_radius_m = dc__ground_from_plane(reach);
    out->altitude_lower = fmax(a->altitude_lower, b->altitude_lower);
    out->altitude_upper = fmin(a->altitude_upper, b->altitude_upper);
    out->time_start = a->time_start > b->time_start ? a->time_start : b->time_start;
    out->time_end = a->time_end < b->time_end ? a->time_end : b->time_end;
    return DC_OK;
}

/* One polygon part of a GEOS result (exterior ring only: a hole in an
 * overlap is reported as covered, which errs on the safe side). */
static dc_status part_volume(dc_geom *geom, const dc_enu_frame *frame, const GEOSGeometry *poly,
                             const dc_volume *a, const dc_volume *b, dc_volume *out)
{
    const GEOSGeometry *ring = GEOSGetExteriorRing_r(geom->geos, poly);
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(geom->geos, ring) : NULL;
    unsigned size = 0;
    if (seq == NULL || GEOSCoordSeq_getSize_r(geom->geos, seq, &size) != 1 || size < 4)
        return DC_INTERNAL;
    double *xy = dc_malloc(size * 2 * sizeof *xy);
    if (xy == NULL)
        return DC_NOMEM;
    GEOSCoordSeq_copyToBuffer_r(geom->geos, seq, xy, 0, 0);
    dc_status rc = ring_volume(frame, xy, size, a, b, out);
    out->convex = 0;
    dc_free(xy);
    return rc;
}

/* Intersection of two convex counter-clockwise rings (closed x,y pairs):
 * clip `a` by every edge of `b` (Sutherland-Hodgman). Exact for convex
 * outlines, which route legs, circles and most operation areas are, and a
 * few hundred flops where GEOS's general overlay allocates a graph.
 * *out is allocated with room for na + nb points; *points counts the
 * closed result (0 when empty). */
static dc_status convex_clip(const double *a, size_t na, const double *b, size_t nb, double **out,
                             size_t *points)
{
    size_t cap = na + nb + 2;
    double *cur = dc_malloc(cap * 2 * sizeof *cur), *next = dc_malloc(cap * 2 * sizeof *next);
    if (cur == NULL || next == NULL) {
        dc_free(cur);
        dc_free(next);
        return DC_NOMEM;
    }
    size_t n = na - 1; /* open ring */
    memcpy(cur, a, n * 2 * sizeof *cur);
    for (size_t e = 0; e + 1 < nb && n > 0; e++) {
        double ex = b[2 * e], ey = b[2 * e + 1];
        double dx = b[2 * e + 2] - ex, dy = b[2 * e + 3] - ey;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = (i + 1) % n;
            double px = cur[2 * i], py = cur[2 * i + 1], qx = cur[2 * j], qy = cur[2 * j + 1];
            double sp = dx * (py - ey) - dy * (px - ex), sq = dx * (qy - ey) - dy * (qx - ex);
            if (sp >= 0) {
                next[2 * m] = px;
                next[2 * m + 1] = py;
                m++;
            }
            if ((sp >= 0) != (sq >= 0) && m < cap - 1) {
                double t = sp / (sp - sq);
                next[2 * m] = px + t * (qx - px);
                next[2 * m + 1] = py + t * (qy - py);
                m++;
            }
        }
        double *swap = cur;
        cur = next;
        next = swap;
        n = m;
    }
    dc_free(next);
    if (n < 3) {
        dc_free(cur);
        *out = NULL;
        *points = 0;
        return DC_OK;
    }
    cur[2 * n] = cur[0];
    cur[2 * n + 1] = cur[1];
    *out = cur;
    *points = n + 1;
    return DC_OK;
}

static double ring_area(const double *xy, size_t points)
{
    double area2 = 0;
    for (size_t i = 0; i + 1 < points; i++)
        area2 += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
    return fabs(area2) / 2.0;
}

static int outline_convex(const dc_volume *v)
{
    return v->outline == DC_OUTLINE_CIRCLE || v->convex;
}

/* The planar overlap of two outlines in the frame centred on the pair:
 * one projection, one GEOS intersection. *area_out gets its area (m²);
 * when `out` is not NULL, the parts with area become overlap volumes. */
static dc_status plane_overlap(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                               double *area_out, dc_overlap *out)
{
    *area_out = 0;
    dc_enu_frame frame;
    if (dc_enu_frame_init(pair_midpoint(a, b), &frame) != DC_OK)
        return DC_INTERNAL;
    double *xa = NULL, *xb = NULL;
    size_t na = 0, nb = 0;
    GEOSGeometry *ga = NULL, *gb = NULL, *gi = NULL;
    dc_status rc = dc__project_outline(&frame, a, OVERLAP_CIRCLE_SEGMENTS, &xa, &na);
    if (rc == DC_OK)
        rc = dc__project_outline(&frame, b, OVERLAP_CIRCLE_SEGMENTS, &xb, &nb);
    if (rc == DC_RANGE) {
        rc = DC_OK; /* beyond each other's horizon */
        goto done;
    }
    if (rc != DC_OK)
        goto done;
    if (outline_convex(a) && outline_convex(b)) {
        double *ring = NULL;
        size_t points = 0;
        rc = convex_clip(xa, na, xb, nb, &ring, &points);
        if (rc == DC_OK && points > 0) {
            *area_out = ring_area(ring, points);
            if (out != NULL && *area_out > DC_MIN_OVERLAP_AREA_M2) {
                out->parts = dc_calloc(1, sizeof *out->parts);
                rc = out->parts == NULL ? DC_NOMEM
                                        : ring_volume(&frame, ring, points, a, b, out->parts);
                out->part_count = rc == DC_OK;
            }
        }
        dc_free(ring);
        goto done;
    }
    ga = dc__geos_polygon(geom, xa, na);
    gb = dc__geos_polygon(geom, xb, nb);
    if (ga == NULL || gb == NULL) {
        rc = DC_INTERNAL;
        goto done;
    }
    char hit = GEOSIntersects_r(geom->geos, ga, gb);
    if (hit == 2) {
        rc = DC_INTERNAL;
        goto done;
    }
    if (hit == 0)
        goto done;
    gi = GEOSIntersection_r(geom->geos, ga, gb);
    if (gi == NULL || GEOSArea_r(geom->geos, gi, area_out) != 1) {
        rc = DC_INTERNAL;
        goto done;
    }
    if (out == NULL || *area_out <= DC_MIN_OVERLAP_AREA_M2)
        goto done;
    int parts = GEOSGetNumGeometries_r(geom->geos, gi);
    out->parts = dc_calloc((size_t)(parts > 0 ? parts : 1), sizeof *out->parts);
    if (out->parts == NULL) {
        rc = DC_NOMEM;
        goto done;
    }
    for (int i = 0; i < parts; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(geom->geos, gi, i);
        double area = 0;
        if (GEOSGeomTypeId_r(geom->geos, part) != GEOS_POLYGON ||
            GEOSArea_r(geom->geos, part, &area) != 1 || area <= DC_MIN_OVERLAP_AREA_M2)
            continue; /* slivers of contact carry no area */
        rc = part_volume(geom, &frame, part, a, b, &out->parts[out->part_count]);
        if (rc != DC_OK)
            goto done;
        out->part_count++;
    }
done:
    GEOSGeom_destroy_r(geom->geos, ga);
    GEOSGeom_destroy_r(geom->geos, gb);
    GEOSGeom_destroy_r(geom->geos, gi);
    dc_free(xa);
    dc_free(xb);
    if (rc != DC_OK && out != NULL)
        dc_overlap_clear(out);
    return rc;
}

/* Outlines conflict when their interiors meet: contact along an edge or at
 * a point has no area and is not a conflict. */
static dc_status decide(dc_geom *geom, const dc_volume *a, const dc_volume *b, int *conflict,
                        dc_overlap *out)
{
    *conflict = 0;
    if (!bands_overlap(a, b) || caps_apart(a, b))
        return DC_OK;
    double area;
    if (a->outline == DC_OUTLINE_CIRCLE || b->outline == DC_OUTLINE_CIRCLE) {
        dc_status rc = circle_conflict(geom, a, b, conflict);
        if (rc != DC_OK || !*conflict || out == NULL)
            return rc;
        return plane_overlap(geom, a, b, &area, out);
    }
    dc_status rc = plane_overlap(geom, a, b, &area, out);
    *conflict = rc == DC_OK && area > DC_MIN_OVERLAP_AREA_M2;
    return rc;
}

dc_status dc_volume_conflicts(dc_geom *geom, const dc_volume *a, const dc_volume *b, int *conflict)
{
    return decide(geom, a, b, conflict, NULL);
}

dc_status dc_volume_intersect(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                              dc_overlap *out)
{
    memset(out, 0, sizeof *out);
    int conflict;
    return decide(geom, a, b, &conflict, out);
}
