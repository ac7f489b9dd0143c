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

/* Exact planar decision. Circles are handled through distances so that the
 * decision does not depend on how a circle is approximated. */
static dc_status plane_conflict(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                                int *conflict)
{
    *conflict = 0;
    if (a->outline == DC_OUTLINE_CIRCLE && b->outline == DC_OUTLINE_CIRCLE) {
        double d;
        dc_status rc = dc_geodesic_inverse(a->center, b->center, &d, NULL);
        if (rc != DC_OK)
            return DC_INTERNAL;
        *conflict = d < a->radius_m + b->radius_m;
        return DC_OK;
    }
    const dc_volume *circle = a->outline == DC_OUTLINE_CIRCLE ? a
                              : b->outline == DC_OUTLINE_CIRCLE ? b
                                                                 : NULL;
    dc_enu_frame frame;
    dc_status rc = dc_enu_frame_init(circle ? circle->center : pair_midpoint(a, b), &frame);
    if (rc != DC_OK)
        return DC_INTERNAL;
    double *xa = NULL, *xb = NULL;
    size_t na = 0, nb = 0;
    GEOSGeometry *ga = NULL, *gb = NULL;
    if (circle != NULL) {
        const dc_volume *poly = circle == a ? b : a;
        rc = dc__project_outline(&frame, poly, 0, &xa, &na);
        if (rc != DC_OK)
            goto done;
        ga = dc__geos_polygon(geom, xa, na);
        gb = GEOSGeom_createPointFromXY_r(geom->geos, 0.0, 0.0);
        double d;
        if (ga == NULL || gb == NULL || GEOSDistance_r(geom->geos, ga, gb, &d) != 1) {
            rc = DC_INTERNAL;
            goto done;
        }
        *conflict = d < circle->radius_m;
    } else {
        rc = dc__project_outline(&frame, a, 0, &xa, &na);
        if (rc == DC_OK)
            rc = dc__project_outline(&frame, b, 0, &xb, &nb);
        if (rc != DC_OK)
            goto done;
        ga = dc__geos_polygon(geom, xa, na);
        gb = dc__geos_polygon(geom, xb, nb);
        if (ga == NULL || gb == NULL) {
            rc = DC_INTERNAL;
            goto done;
        }
        char hit = GEOSIntersects_r(geom->geos, ga, gb);
        if (hit == 1)
            hit = GEOSTouches_r(geom->geos, ga, gb) == 1 ? 0 : 1; /* area, not contact */
        if (hit == 2) {
            rc = DC_INTERNAL;
            goto done;
        }
        *conflict = hit;
    }
done:
    if (rc == DC_RANGE)
        rc = DC_OK; /* beyond each other's horizon: no contact */
    GEOSGeom_destroy_r(geom->geos, ga);
    GEOSGeom_destroy_r(geom->geos, gb);
    dc_free(xa);
    dc_free(xb);
    return rc;
}

dc_status dc_volume_conflicts(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                              int *conflict)
{
    *conflict = 0;
    if (!bands_overlap(a, b) || caps_apart(a, b))
        return DC_OK;
    return plane_conflict(geom, a, b, conflict);
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

/* One polygon part of a GEOS result as a volume (exterior ring only: a hole
 * in an overlap is reported as covered, which errs on the safe side). */
static dc_status part_volume(dc_geom *geom, const dc_enu_frame *frame, const GEOSGeometry *poly,
                             const dc_volume *a, const dc_volume *b, dc_volume *out)
{
    memset(out, 0, sizeof *out);
    const GEOSGeometry *ring = GEOSGetExteriorRing_r(geom->geos, poly);
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(geom->geos, ring) : NULL;
    unsigned size = 0;
    if (seq == NULL || GEOSCoordSeq_getSize_r(geom->geos, seq, &size) != 1 || size < 4)
        return DC_INTERNAL;
    double *xy = dc_malloc(size * 2 * sizeof *xy);
    dc_point *vertices = dc_malloc((size - 1) * sizeof *vertices);
    if (xy == NULL || vertices == NULL) {
        dc_free(xy);
        dc_free(vertices);
        return DC_NOMEM;
    }
    GEOSCoordSeq_copyToBuffer_r(geom->geos, seq, xy, 0, 0);
    double area2 = 0, cx = 0, cy = 0, reach = 0;
    for (unsigned i = 0; i + 1 < size; i++) {
        area2 += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
        cx += xy[2 * i];
        cy += xy[2 * i + 1];
    }
    cx /= size - 1;
    cy /= size - 1;
    for (unsigned i = 0; i + 1 < size; i++) {
        unsigned k = area2 > 0 ? i : size - 2 - i;
        dc_enu_inverse(frame, xy[2 * k], xy[2 * k + 1], &vertices[i]);
        reach = fmax(reach, hypot(xy[2 * k] - cx, xy[2 * k + 1] - cy) + hypot(cx, cy));
    }
    dc_free(xy);
    out->outline = DC_OUTLINE_POLYGON;
    out->vertex_count = size - 1;
    out->vertices = vertices;
    dc_enu_inverse(frame, cx, cy, &out->bound_center);
    out->bound_radius_m = dc__ground_from_plane(reach);
    out->altitude_lower = fmax(a->altitude_lower, b->altitude_lower);
    out->altitude_upper = fmin(a->altitude_upper, b->altitude_upper);
    out->time_start = a->time_start > b->time_start ? a->time_start : b->time_start;
    out->time_end = a->time_end < b->time_end ? a->time_end : b->time_end;
    return DC_OK;
}

dc_status dc_volume_intersect(dc_geom *geom, const dc_volume *a, const dc_volume *b,
                              dc_overlap *out)
{
    memset(out, 0, sizeof *out);
    int conflict = 0;
    dc_status rc = dc_volume_conflicts(geom, a, b, &conflict);
    if (rc != DC_OK || !conflict)
        return rc;
    dc_enu_frame frame;
    if (dc_enu_frame_init(pair_midpoint(a, b), &frame) != DC_OK)
        return DC_INTERNAL;
    double *xa = NULL, *xb = NULL;
    size_t na = 0, nb = 0;
    GEOSGeometry *ga = NULL, *gb = NULL, *gi = NULL;
    rc = dc__project_outline(&frame, a, OVERLAP_CIRCLE_SEGMENTS, &xa, &na);
    if (rc == DC_OK)
        rc = dc__project_outline(&frame, b, OVERLAP_CIRCLE_SEGMENTS, &xb, &nb);
    if (rc != DC_OK)
        goto done;
    ga = dc__geos_polygon(geom, xa, na);
    gb = dc__geos_polygon(geom, xb, nb);
    gi = ga && gb ? GEOSIntersection_r(geom->geos, ga, gb) : NULL;
    if (gi == NULL) {
        rc = DC_INTERNAL;
        goto done;
    }
    int parts = GEOSGetNumGeometries_r(geom->geos, gi);
    out->parts = dc_calloc((size_t)(parts > 0 ? parts : 1), sizeof *out->parts);
    if (out->parts == NULL) {
        rc = DC_NOMEM;
        goto done;
    }
    for (int i = 0; i < parts; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(geom->geos, gi, i);
        if (GEOSGeomTypeId_r(geom->geos, part) != GEOS_POLYGON)
            continue; /* slivers of contact carry no area */
        double area = 0;
        GEOSArea_r(geom->geos, part, &area);
        if (area <= 0)
            continue;
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
    if (rc != DC_OK)
        dc_overlap_clear(out);
    return rc;
}
