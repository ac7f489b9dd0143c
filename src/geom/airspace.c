/* airspace.c - national airspace from land outlines: land plus territorial sea, split at the
 * median between neighbours (docs/SCENARIOS.md, "Airspace").
 *
 * Method, for each country C of the land file:
 *  1. Buffer. C's land is cut in tiles of tile_deg (small islands are one piece), each piece is
 *     buffered by the territorial sea on its own azimuthal equidistant plane (PROJ, WGS84, centred
 *     on the piece), brought back to longitude and latitude and the pieces are united: the union
 *     of the pieces' buffers is the buffer of their union. A buffer that crosses the antimeridian
 *     is folded back into [-180, 180].
 *  2. Median. Where C's buffer and a neighbour N's overlap off both lands, each sea component of
 *     the overlap is split by the Voronoi diagram of both coasts' vertices (densified to about a
 *     kilometre, on the component's own azimuthal plane): a cell whose site is N's coast goes to
 *     N. This is "closer to this country's land than to the other's" with an error of the order of
 *     spacing^2 / (8 x distance): metres at a few nautical miles.
 *  3. Airspace = buffer - every other country's land - the parts of overlaps closer to others.
 * Straight lines between the returned vertices stand for arcs and medians: a buffer's arc is
 * drawn with 8 segments a quarter circle, at most 107 m inside the true arc at 12 NM. */
#include "deconflict/airspace.h"

#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <proj.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SITE_SPACING_DEG 0.01 /* about 1.1 km of latitude between the coast's Voronoi sites */
#define SLIVER_DEG2 1e-8      /* an overlap component smaller than this (about 0.1 km^2) is noise */
#define QUADRANT_SEGMENTS 8
#define DEG_M 111320.0 /* metres per degree of latitude, near enough for choosing envelopes */

struct country {
    json_t *feature; /* borrowed from the input document */
    GEOSGeometry *land, *buffer;
    GEOSGeometry **losses; /* parts of the buffer that are another's: land or closer to it */
    size_t loss_count, loss_capacity;
    double sea_m;
    double land_box[4], box[4]; /* xmin, ymin, xmax, ymax of the land; of the buffer */
};

struct builder {
    GEOSContextHandle_t g;
    PJ_CONTEXT *pj;
    double tile_deg;
    struct country *countries;
    size_t count;
    size_t pairs;
    char message[200]; /* GEOS's or PROJ's last complaint */
};

static void geos_message(const char *message, void *userdata)
{
    struct builder *b = userdata;
    snprintf(b->message, sizeof b->message, "%s", message);
}

static int box_of(struct builder *b, const GEOSGeometry *g, double box[4])
{
    if (GEOSisEmpty_r(b->g, g) != 0)
        return 0;
    return GEOSGeom_getExtent_r(b->g, g, &box[0], &box[1], &box[2], &box[3]) == 1;
}

static int boxes_meet(const double a[4], const double b[4])
{
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/* g (taken), made valid if it is not: a polygon whose rings cross after a projection or a clip
 * would fail the next overlay. NULL on failure. */
static GEOSGeometry *valid(struct builder *b, GEOSGeometry *g)
{
    if (g == NULL || GEOSisValid_r(b->g, g) == 1)
        return g;
    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(b->g);
    GEOSGeometry *fixed = NULL;
    if (params != NULL &&
        GEOSMakeValidParams_setMethod_r(b->g, params, GEOS_MAKE_VALID_STRUCTURE) &&
        GEOSMakeValidParams_setKeepCollapsed_r(b->g, params, 0))
        fixed = GEOSMakeValidWithParams_r(b->g, g, params);
    if (params != NULL)
        GEOSMakeValidParams_destroy_r(b->g, params);
    GEOSGeom_destroy_r(b->g, g);
    return fixed;
}

/* ---- reading the land ---- */

static GEOSGeometry *ring_of(struct builder *b, const json_t *ring)
{
    size_t n = json_array_size(ring);
    if (n < 4)
        return NULL;
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(b->g, (unsigned)n, 2);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(ring, i);
        double x = json_number_value(json_array_get(p, 0));
        double y = json_number_value(json_array_get(p, 1));
        if (!json_is_number(json_array_get(p, 0)) || !json_is_number(json_array_get(p, 1)) ||
            !(fabs(x) <= 180) || !(fabs(y) <= 90)) {
            GEOSCoordSeq_destroy_r(b->g, s);
            return NULL;
        }
        GEOSCoordSeq_setXY_r(b->g, s, (unsigned)i, x, y);
    }
    double x0, y0, x1, y1;
    GEOSCoordSeq_getXY_r(b->g, s, 0, &x0, &y0);
    GEOSCoordSeq_getXY_r(b->g, s, (unsigned)n - 1, &x1, &y1);
    if (x0 != x1 || y0 != y1) {
        GEOSCoordSeq_destroy_r(b->g, s);
        return NULL;
    }
    return GEOSGeom_createLinearRing_r(b->g, s);
}

static GEOSGeometry *polygon_of(struct builder *b, const json_t *rings)
{
    size_t n = json_array_size(rings);
    if (n == 0 || n > 100000)
        return NULL;
    GEOSGeometry **holes = n > 1 ? calloc(n - 1, sizeof *holes) : NULL;
    GEOSGeometry *shell = ring_of(b, json_array_get(rings, 0));
    int ok = shell != NULL && (n == 1 || holes != NULL);
    for (size_t i = 1; ok && i < n; i++)
        ok = (holes[i - 1] = ring_of(b, json_array_get(rings, i))) != NULL;
    GEOSGeometry *polygon = NULL;
    if (ok)
        polygon = GEOSGeom_createPolygon_r(b->g, shell, holes, (unsigned)(n - 1));
    if (polygon == NULL) {
        if (shell != NULL)
            GEOSGeom_destroy_r(b->g, shell);
        for (size_t i = 0; holes != NULL && i + 1 < n; i++)
            if (holes[i] != NULL)
                GEOSGeom_destroy_r(b->g, holes[i]);
    }
    free(holes);
    return polygon;
}

/* A feature's land as one valid (multi)polygon; NULL if its geometry is not one. */
static GEOSGeometry *land_of(struct builder *b, const json_t *geometry, size_t *vertices)
{
    const char *type = json_string_value(json_object_get(geometry, "type"));
    const json_t *coordinates = json_object_get(geometry, "coordinates");
    if (type == NULL || !json_is_array(coordinates))
        return NULL;
    int multi = strcmp(type, "MultiPolygon") == 0;
    if (!multi && strcmp(type, "Polygon") != 0)
        return NULL;
    size_t n = multi ? json_array_size(coordinates) : 1;
    GEOSGeometry **parts = calloc(n ? n : 1, sizeof *parts);
    if (parts == NULL)
        return NULL;
    size_t made = 0;
    for (; made < n; made++) {
        const json_t *rings = multi ? json_array_get(coordinates, made) : coordinates;
        if ((parts[made] = polygon_of(b, rings)) == NULL)
            break;
        for (size_t r = 0; r < json_array_size(rings); r++)
            *vertices += json_array_size(json_array_get(rings, r));
    }
    GEOSGeometry *land = NULL;
    if (made == n && n > 0)
        land = GEOSGeom_createCollection_r(b->g, GEOS_MULTIPOLYGON, parts, (unsigned)n);
    if (land == NULL)
        for (size_t i = 0; i < made; i++)
            GEOSGeom_destroy_r(b->g, parts[i]);
    free(parts);
    if (land != NULL && GEOSisValid_r(b->g, land) != 1) {
        /* rings of Natural Earth that touch themselves: the zero buffer is their area; an
         * outline with no area at this scale (the Vatican's) is widened by about 10 m */
        GEOSGeometry *fixed = GEOSBuffer_r(b->g, land, 0, QUADRANT_SEGMENTS);
        if (fixed != NULL && GEOSisEmpty_r(b->g, fixed) == 1) {
            GEOSGeom_destroy_r(b->g, fixed);
            GEOSGeometry *outline = GEOSBoundary_r(b->g, land);
            fixed = outline ? GEOSBuffer_r(b->g, outline, 1e-4, 2) : NULL;
            if (outline != NULL)
                GEOSGeom_destroy_r(b->g, outline);
        }
        GEOSGeom_destroy_r(b->g, land);
        land = fixed;
    }
    return land;
}

/* ---- planes ---- */

/* An azimuthal equidistant plane (PROJ, WGS84) and the longitude it is centred on. */
struct plane {
    PJ *p;
    double lon0;
};

static int plane_at(struct builder *b, double lon, double lat, struct plane *out)
{
    char definition[160];
    snprintf(definition, sizeof definition,
             "+proj=aeqd +lat_0=%.9f +lon_0=%.9f +ellps=WGS84 +units=m", lat, lon);
    out->p = proj_create(b->pj, definition);
    out->lon0 = lon;
    if (out->p == NULL)
        snprintf(b->message, sizeof b->message, "PROJ: %s",
                 proj_context_errno_string(b->pj, proj_context_errno(b->pj)));
    return out->p != NULL;
}

static int to_plane(double *x, double *y, void *userdata)
{
    const struct plane *plane = userdata;
    PJ_COORD c = proj_trans(plane->p, PJ_FWD, proj_coord(proj_torad(*x), proj_torad(*y), 0, 0));
    *x = c.xy.x;
    *y = c.xy.y;
    return isfinite(*x) && isfinite(*y);
}

/* Longitudes come back within 180 degrees of the centre, past the antimeridian if need be: the
 * outline stays whole, for the fold. */
static int from_plane(double *x, double *y, void *userdata)
{
    const struct plane *plane = userdata;
    PJ_COORD c = proj_trans(plane->p, PJ_INV, proj_coord(*x, *y, 0, 0));
    double lon = proj_todeg(c.lp.lam);
    if (lon - plane->lon0 > 180)
        lon -= 360;
    else if (lon - plane->lon0 < -180)
        lon += 360;
    *x = lon;
    *y = proj_todeg(c.lp.phi);
    return isfinite(*x) && isfinite(*y);
}

/* `piece` buffered by `metres` on the plane centred at its envelope's centre; lon/lat. */
static GEOSGeometry *buffer_piece(struct builder *b, const GEOSGeometry *piece, double metres)
{
    double box[4];
    if (!box_of(b, piece, box))
        return NULL;
    struct plane p;
    if (!plane_at(b, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, &p))
        return NULL;
    GEOSGeometry *flat = GEOSGeom_transformXY_r(b->g, piece, to_plane, &p);
    GEOSGeometry *wide = flat ? GEOSBuffer_r(b->g, flat, metres, QUADRANT_SEGMENTS) : NULL;
    GEOSGeometry *back = wide ? valid(b, GEOSGeom_transformXY_r(b->g, wide, from_plane, &p)) : NULL;
    if (flat != NULL)
        GEOSGeom_destroy_r(b->g, flat);
    if (wide != NULL)
        GEOSGeom_destroy_r(b->g, wide);
    proj_destroy(p.p);
    return back;
}

/* A growing list of geometries, united at the end. */
struct pile {
    GEOSGeometry **items;
    size_t count, capacity;
};

static int pile_add(struct pile *pile, GEOSGeometry *g)
{
    if (g == NULL)
        return 0;
    GEOSGeometry **grown = dc_grow(pile->items, &pile->capacity, pile->count, sizeof *grown, 16);
    if (grown == NULL)
        return 0;
    pile->items = grown;
    pile->items[pile->count++] = g;
    return 1;
}

static void pile_clear(struct builder *b, struct pile *pile)
{
    for (size_t i = 0; i < pile->count; i++)
        GEOSGeom_destroy_r(b->g, pile->items[i]);
    dc_free(pile->items);
    memset(pile, 0, sizeof *pile);
}

/* The union of the pile (emptied); an empty polygon for an empty pile; NULL on failure. */
static GEOSGeometry *pile_union(struct builder *b, struct pile *pile)
{
    GEOSGeometry *all = GEOSGeom_createCollection_r(b->g, GEOS_GEOMETRYCOLLECTION, pile->items,
                                                    (unsigned)pile->count);
    if (all == NULL) {
        pile_clear(b, pile);
        return NULL;
    }
    dc_free(pile->items); /* the collection owns them now */
    memset(pile, 0, sizeof *pile);
    GEOSGeometry *u = GEOSUnaryUnion_r(b->g, all);
    GEOSGeom_destroy_r(b->g, all);
    return u;
}

static GEOSGeometry *rectangle(struct builder *b, double x0, double y0, double x1, double y1)
{
    return GEOSGeom_createRectangle_r(b->g, x0, y0, x1, y1);
}

static int shift_x(double *x, double *y, void *userdata)
{
    (void)y;
    *x += *(const double *)userdata;
    return 1;
}

/* A buffer that crosses the antimeridian, folded back: what lies east of 180 moves by -360 and
 * what lies west of -180 by +360. */
static GEOSGeometry *fold(struct builder *b, GEOSGeometry *g)
{
    double box[4];
    if (!box_of(b, g, box) || (box[0] >= -180 && box[2] <= 180))
        return g;
    static const double spans[3][3] = {{-180, 180, 0}, {180, 540, -360}, {-540, -180, 360}};
    struct pile pile = {0};
    int ok = 1;
    for (int i = 0; ok && i < 3; i++) {
        GEOSGeometry *r = rectangle(b, spans[i][0], -90, spans[i][1], 90);
        GEOSGeometry *part = r ? GEOSIntersection_r(b->g, g, r) : NULL;
        if (r != NULL)
            GEOSGeom_destroy_r(b->g, r);
        double shift = spans[i][2];
        if (part != NULL && shift != 0) {
            GEOSGeometry *moved = GEOSGeom_transformXY_r(b->g, part, shift_x, &shift);
            GEOSGeom_destroy_r(b->g, part);
            part = moved;
        }
        ok = pile_add(&pile, part);
    }
    GEOSGeom_destroy_r(b->g, g);
    if (!ok) {
        pile_clear(b, &pile);
        return NULL;
    }
    return pile_union(b, &pile);
}

/* ---- 1. the buffer ---- */

static GEOSGeometry *buffer_country(struct builder *b, const struct country *c)
{
    struct pile pile = {0};
    int parts = GEOSGetNumGeometries_r(b->g, c->land), ok = parts >= 0;
    for (int k = 0; ok && k < parts; k++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(b->g, c->land, k);
        double box[4];
        if (!box_of(b, part, box))
            continue;
        double t = b->tile_deg;
        if (box[2] - box[0] <= t && box[3] - box[1] <= t) {
            ok = pile_add(&pile, buffer_piece(b, part, c->sea_m));
            continue;
        }
        for (double x = floor(box[0] / t) * t; ok && x < box[2]; x += t)
            for (double y = floor(box[1] / t) * t; ok && y < box[3]; y += t) {
                GEOSGeometry *piece = valid(b, GEOSClipByRect_r(b->g, part, x, y, x + t, y + t));
                ok = piece != NULL;
                if (ok && GEOSisEmpty_r(b->g, piece) == 0)
                    ok = pile_add(&pile, buffer_piece(b, piece, c->sea_m));
                if (piece != NULL)
                    GEOSGeom_destroy_r(b->g, piece);
            }
    }
    if (!ok) {
        pile_clear(b, &pile);
        return NULL;
    }
    GEOSGeometry *u = pile_union(b, &pile);
    return u ? fold(b, u) : NULL;
}

/* ---- 2. the median ---- */

/* The Voronoi sites of `land` near `box` (expanded by `reach` metres): its boundary's vertices,
 * densified, on plane p, each labelled `label` (user data). Appended to `sites`. */
static int add_sites(struct builder *b, const GEOSGeometry *land, const double box[4], double reach,
                     struct plane *p, intptr_t label, struct pile *sites)
{
    double c = cos(fmax(fabs(box[1]), fabs(box[3])) * M_PI / 180);
    double dlat = reach / DEG_M, dlon = reach / (DEG_M * fmax(c, 0.05));
    GEOSGeometry *near =
        GEOSClipByRect_r(b->g, land, box[0] - dlon, box[1] - dlat, box[2] + dlon, box[3] + dlat);
    GEOSGeometry *dense = near ? GEOSDensify_r(b->g, near, SITE_SPACING_DEG) : NULL;
    GEOSGeometry *points = dense ? GEOSGeom_extractUniquePoints_r(b->g, dense) : NULL;
    int ok = points != NULL, n = ok ? GEOSGetNumGeometries_r(b->g, points) : 0;
    for (int i = 0; ok && i < n; i++) {
        double x, y;
        ok = GEOSGeomGetX_r(b->g, GEOSGetGeometryN_r(b->g, points, i), &x) == 1 &&
             GEOSGeomGetY_r(b->g, GEOSGetGeometryN_r(b->g, points, i), &y) == 1 &&
             to_plane(&x, &y, p);
        GEOSGeometry *site = ok ? GEOSGeom_createPointFromXY_r(b->g, x, y) : NULL;
        if (site != NULL)
            GEOSGeom_setUserData_r(b->g, site, (void *)label);
        ok = ok && pile_add(sites, site);
    }
    if (near != NULL)
        GEOSGeom_destroy_r(b->g, near);
    if (dense != NULL)
        GEOSGeom_destroy_r(b->g, dense);
    if (points != NULL)
        GEOSGeom_destroy_r(b->g, points);
    return ok;
}

/* The cells of a Voronoi diagram whose site (the nearest site to the cell's centroid: the cell's
 * own) is labelled 1, united; on plane coordinates. */
static GEOSGeometry *cells_of_second(struct builder *b, const GEOSGeometry *diagram,
                                     GEOSSTRtree *tree)
{
    struct pile pile = {0};
    int n = GEOSGetNumGeometries_r(b->g, diagram), ok = n >= 0;
    for (int i = 0; ok && i < n; i++) {
        const GEOSGeometry *cell = GEOSGetGeometryN_r(b->g, diagram, i);
        GEOSGeometry *centre = GEOSGetCentroid_r(b->g, cell);
        const GEOSGeometry *site = centre ? GEOSSTRtree_nearest_r(b->g, tree, centre) : NULL;
        ok = site != NULL;
        if (ok && (intptr_t)GEOSGeom_getUserData_r(b->g, site) == 1)
            ok = pile_add(&pile, GEOSGeom_clone_r(b->g, cell));
        if (centre != NULL)
            GEOSGeom_destroy_r(b->g, centre);
    }
    if (!ok) {
        pile_clear(b, &pile);
        return NULL;
    }
    return pile_union(b, &pile);
}

static int add_loss(struct country *c, GEOSGeometry *g)
{
    if (g == NULL)
        return 0;
    struct pile pile = {c->losses, c->loss_count, c->loss_capacity};
    int ok = pile_add(&pile, g);
    c->losses = pile.items;
    c->loss_count = pile.count;
    c->loss_capacity = pile.capacity;
    return ok;
}

/* One sea component of the overlap of a's and z's buffers: the part closer to z's land is a's
 * loss, the rest z's. */
static int split_component(struct builder *b, struct country *a, struct country *z,
                           const GEOSGeometry *component)
{
    double box[4];
    if (!box_of(b, component, box))
        return 1;
    struct plane plane, *p = &plane;
    if (!plane_at(b, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, p))
        return 0;
    /* a site farther than the sea's breadth from every point of the component is nobody's
     * nearest: the component lies within the sea of both */
    double reach = fmax(a->sea_m, z->sea_m) + 2000;
    struct pile sites = {0};
    int ok = add_sites(b, a->land, box, reach, p, 0, &sites) &&
             add_sites(b, z->land, box, reach, p, 1, &sites);
    GEOSSTRtree *tree = ok ? GEOSSTRtree_create_r(b->g, 10) : NULL;
    for (size_t i = 0; tree != NULL && i < sites.count; i++)
        GEOSSTRtree_insert_r(b->g, tree, sites.items[i], sites.items[i]);
    GEOSGeometry *flat = tree ? GEOSGeom_transformXY_r(b->g, component, to_plane, p) : NULL;
    GEOSGeometry *cloud = flat ? GEOSGeom_createCollection_r(b->g, GEOS_MULTIPOINT, sites.items,
                                                             (unsigned)sites.count)
                               : NULL;
    GEOSGeometry *diagram = cloud ? GEOSVoronoiDiagram_r(b->g, cloud, flat, 0, 0) : NULL;
    GEOSGeometry *near_z = diagram ? cells_of_second(b, diagram, tree) : NULL;
    GEOSGeometry *back =
        near_z ? valid(b, GEOSGeom_transformXY_r(b->g, near_z, from_plane, p)) : NULL;
    /* cut from the component as it was read: the partition's outer edges stay exact */
    GEOSGeometry *z_side = back ? GEOSIntersection_r(b->g, back, component) : NULL;
    GEOSGeometry *a_side = z_side ? GEOSDifference_r(b->g, component, z_side) : NULL;
    ok = a_side != NULL && add_loss(a, z_side) && add_loss(z, a_side);
    if (!ok && a_side == NULL && z_side != NULL)
        GEOSGeom_destroy_r(b->g, z_side);
    GEOSGeometry *owned[] = {back, near_z, diagram, flat};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        if (owned[i] != NULL)
            GEOSGeom_destroy_r(b->g, owned[i]);
    if (tree != NULL)
        GEOSSTRtree_destroy_r(b->g, tree);
    if (cloud != NULL)
        GEOSGeom_destroy_r(b->g, cloud); /* and the sites it took */
    else
        pile_clear(b, &sites);
    if (cloud != NULL)
        dc_free(sites.items);
    proj_destroy(p->p);
    return ok;
}

/* `g` less what of `land` lies within box. NULL on failure; g is kept. */
static GEOSGeometry *less_land(struct builder *b, const GEOSGeometry *g, const GEOSGeometry *land,
                               const double box[4])
{
    GEOSGeometry *near = valid(b, GEOSClipByRect_r(b->g, land, box[0] - 0.01, box[1] - 0.01,
                                                   box[2] + 0.01, box[3] + 0.01));
    GEOSGeometry *rest = near ? GEOSDifference_r(b->g, g, near) : NULL;
    if (near != NULL)
        GEOSGeom_destroy_r(b->g, near);
    return rest;
}

/* Where a's and z's seas meet off both lands, the median splits them. */
static int split_pair(struct builder *b, struct country *a, struct country *z)
{
    double box[4] = {fmax(a->box[0], z->box[0]), fmax(a->box[1], z->box[1]),
                     fmin(a->box[2], z->box[2]), fmin(a->box[3], z->box[3])};
    GEOSGeometry *ca = valid(b, GEOSClipByRect_r(b->g, a->buffer, box[0], box[1], box[2], box[3]));
    GEOSGeometry *cz = valid(b, GEOSClipByRect_r(b->g, z->buffer, box[0], box[1], box[2], box[3]));
    GEOSGeometry *both = ca && cz ? GEOSIntersection_r(b->g, ca, cz) : NULL;
    GEOSGeometry *off_a = both ? less_land(b, both, a->land, box) : NULL;
    GEOSGeometry *sea = off_a ? less_land(b, off_a, z->land, box) : NULL;
    int ok = sea != NULL, n = ok ? GEOSGetNumGeometries_r(b->g, sea) : 0, split = 0;
    for (int i = 0; ok && i < n; i++) {
        const GEOSGeometry *component = GEOSGetGeometryN_r(b->g, sea, i);
        double area = 0;
        if (GEOSGeomTypeId_r(b->g, component) != GEOS_POLYGON ||
            GEOSArea_r(b->g, component, &area) != 1 || area < SLIVER_DEG2)
            continue;
        ok = split_component(b, a, z, component);
        split = 1;
    }
    b->pairs += (size_t)split;
    GEOSGeometry *owned[] = {ca, cz, both, off_a, sea};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        if (owned[i] != NULL)
            GEOSGeom_destroy_r(b->g, owned[i]);
    return ok;
}

/* ---- 3. the airspace ---- */

static GEOSGeometry *airspace_of(struct builder *b, size_t i)
{
    struct country *c = &b->countries[i];
    if (c->sea_m == 0)
        return GEOSGeom_clone_r(b->g, c->land);
    struct pile gone = {c->losses, c->loss_count, c->loss_capacity};
    c->losses = NULL;
    c->loss_count = c->loss_capacity = 0;
    int ok = 1;
    for (size_t j = 0; ok && j < b->count; j++) {
        const struct country *o = &b->countries[j];
        if (j == i || !boxes_meet(c->box, o->land_box))
            continue;
        GEOSGeometry *near =
            valid(b, GEOSClipByRect_r(b->g, o->land, c->box[0] - 0.01, c->box[1] - 0.01,
                                      c->box[2] + 0.01, c->box[3] + 0.01));
        if (near != NULL && GEOSisEmpty_r(b->g, near) == 1) {
            GEOSGeom_destroy_r(b->g, near);
            continue;
        }
        ok = pile_add(&gone, near);
    }
    if (!ok) {
        pile_clear(b, &gone);
        return NULL;
    }
    GEOSGeometry *cut = pile_union(b, &gone);
    GEOSGeometry *airspace = cut ? GEOSDifference_r(b->g, c->buffer, cut) : NULL;
    if (cut != NULL)
        GEOSGeom_destroy_r(b->g, cut);
    return airspace;
}

/* ---- writing ---- */

/* A ring as GeoJSON positions rounded to 1e-7 degree (1 cm); JSON null for a ring that bounds no
 * area once rounded (a sliver of the overlays: readers refuse it); NULL on failure. */
static json_t *ring_json(struct builder *b, const GEOSGeometry *ring, int outer, size_t *vertices)
{
    const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(b->g, ring);
    unsigned n = 0;
    char ccw = 0;
    if (s == NULL || GEOSCoordSeq_getSize_r(b->g, s, &n) != 1 ||
        GEOSCoordSeq_isCCW_r(b->g, s, &ccw) != 1)
        return NULL;
    json_t *out = json_array();
    /* RFC 7946: outer rings anticlockwise, holes clockwise */
    int reverse = (ccw != 0) != (outer != 0);
    double area = 0, px = 0, py = 0; /* twice the signed area, shoelace, in degrees */
    for (unsigned k = 0; out != NULL && k < n; k++) {
        double x, y;
        GEOSCoordSeq_getXY_r(b->g, s, reverse ? n - 1 - k : k, &x, &y);
        x = round(x * 1e7) / 1e7;
        y = round(y * 1e7) / 1e7;
        if (k > 0)
            area += px * y - x * py;
        px = x;
        py = y;
        json_t *pair = json_pack("[ff]", x, y);
        if (pair == NULL || json_array_append_new(out, pair) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    if (out != NULL && (n < 4 || fabs(area) < 1e-12)) {
        json_decref(out);
        return json_null();
    }
    *vertices += n;
    return out;
}

/* A polygon's rings; JSON null when its outer ring bounds no area; NULL on failure. */
static json_t *polygon_json(struct builder *b, const GEOSGeometry *polygon, size_t *vertices)
{
    json_t *rings = json_array();
    int holes = GEOSGetNumInteriorRings_r(b->g, polygon);
    json_t *shell = ring_json(b, GEOSGetExteriorRing_r(b->g, polygon), 1, vertices);
    if (json_is_null(shell)) {
        json_decref(rings);
        return shell;
    }
    int ok = rings != NULL && shell != NULL && json_array_append_new(rings, shell) == 0;
    for (int h = 0; ok && h < holes; h++) {
        json_t *hole = ring_json(b, GEOSGetInteriorRingN_r(b->g, polygon, h), 0, vertices);
        ok = hole != NULL && (json_is_null(hole) || json_array_append_new(rings, hole) == 0);
    }
    if (!ok) {
        json_decref(rings);
        return NULL;
    }
    return rings;
}

/* A MultiPolygon of every polygon in g (a collection of anything). */
static json_t *geometry_json(struct builder *b, const GEOSGeometry *g, size_t *vertices)
{
    json_t *polygons = json_array();
    int n = GEOSGetNumGeometries_r(b->g, g), ok = polygons != NULL && n >= 0;
    for (int i = 0; ok && i < n; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(b->g, g, i);
        if (GEOSGeomTypeId_r(b->g, part) != GEOS_POLYGON || GEOSisEmpty_r(b->g, part) == 1)
            continue;
        json_t *rings = polygon_json(b, part, vertices);
        ok = rings != NULL && (json_is_null(rings) || json_array_append_new(polygons, rings) == 0);
    }
    if (!ok) {
        json_decref(polygons);
        return NULL;
    }
    return json_pack("{s:s,s:o}", "type", "MultiPolygon", "coordinates", polygons);
}

static json_t *feature_json(struct builder *b, const struct country *c, const GEOSGeometry *g,
                            double sea_nm, size_t *vertices)
{
    json_t *properties = json_deep_copy(json_object_get(c->feature, "properties"));
    if (!json_is_object(properties)) {
        json_decref(properties);
        properties = json_object();
    }
    /* an outline with no area at this scale that lies in another's land (the Vatican in Italy):
     * as read, as before, overlapping it */
    int as_read = GEOSisEmpty_r(b->g, g) == 1;
    json_t *geometry = as_read ? json_deep_copy(json_object_get(c->feature, "geometry"))
                               : geometry_json(b, g, vertices);
    int sea = c->sea_m > 0 && !as_read;
    const char *method = sea       ? "land buffered geodesically, split at the median with "
                                     "neighbours (deconflict airspace; docs/SCENARIOS.md)"
                         : as_read ? "land as read: no area at this scale, within another's land"
                                   : "land only: no territorial sea";
    int ok =
        properties != NULL && geometry != NULL &&
        json_object_set_new(properties, "extent", json_string(sea ? "airspace" : "land")) == 0 &&
        json_object_set_new(properties, "territorial_sea_nm", json_real(sea ? sea_nm : 0)) == 0 &&
        json_object_set_new(properties, "method", json_string(method)) == 0;
    if (!ok) {
        json_decref(properties);
        json_decref(geometry);
        return NULL;
    }
    return json_pack("{s:s,s:o,s:o}", "type", "Feature", "properties", properties, "geometry",
                     geometry);
}

/* ---- the build ---- */

void dc_airspace_defaults(dc_airspace_options *options)
{
    static const char *const antarctica[] = {"Antarctica", NULL};
    options->territorial_sea_nm = DC_TERRITORIAL_SEA_NM;
    options->no_sea = antarctica;
    options->tile_deg = 5;
}

static void builder_free(struct builder *b)
{
    for (size_t i = 0; i < b->count; i++) {
        struct country *c = &b->countries[i];
        if (c->land != NULL)
            GEOSGeom_destroy_r(b->g, c->land);
        if (c->buffer != NULL)
            GEOSGeom_destroy_r(b->g, c->buffer);
        struct pile losses = {c->losses, c->loss_count, c->loss_capacity};
        pile_clear(b, &losses);
    }
    dc_free(b->countries);
    if (b->pj != NULL)
        proj_context_destroy(b->pj);
    if (b->g != NULL)
        GEOS_finish_r(b->g);
}

static int without_sea(const dc_airspace_options *o, const char *name)
{
    for (size_t i = 0; name != NULL && o->no_sea != NULL && o->no_sea[i] != NULL; i++)
        if (strcmp(o->no_sea[i], name) == 0)
            return 1;
    return 0;
}

/* The countries of the collection, their land read; features without geometry left out. */
static dc_status read_land(struct builder *b, json_t *features, const dc_airspace_options *o,
                           dc_airspace_stats *stats, dc_error *err)
{
    size_t n = json_array_size(features);
    b->countries = dc_calloc(n ? n : 1, sizeof *b->countries);
    if (b->countries == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(features, i);
        json_t *geometry = json_object_get(f, "geometry");
        if (!json_is_object(f))
            return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                                "/features/%zu is not a feature", i);
        if (geometry == NULL || json_is_null(geometry))
            continue;
        struct country *c = &b->countries[b->count++];
        c->feature = f;
        c->land = land_of(b, geometry, &stats->vertices_in);
        if (c->land == NULL || !box_of(b, c->land, c->land_box))
            return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                                "/features/%zu/geometry is not a polygon of longitudes and "
                                "latitudes (closed rings of at least 4 positions)",
                                i);
        const char *name =
            json_string_value(json_object_get(json_object_get(f, "properties"), "name"));
        c->sea_m = without_sea(o, name) ? 0 : o->territorial_sea_nm * DC_NAUTICAL_MILE_M;
    }
    return DC_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static dc_status build(struct builder *b, const dc_airspace_options *o, json_t *title, json_t **out,
                       dc_airspace_stats *stats)
{
    double t0 = now_s();
    for (size_t i = 0; i < b->count; i++) {
        struct country *c = &b->countries[i];
        memcpy(c->box, c->land_box, sizeof c->box);
        if (c->sea_m == 0)
            continue;
        stats->with_sea++;
        if ((c->buffer = buffer_country(b, c)) == NULL || !box_of(b, c->buffer, c->box))
            return DC_INTERNAL;
    }
    double t1 = now_s();
    stats->buffer_s = t1 - t0;
    for (size_t i = 0; i < b->count; i++)
        for (size_t j = i + 1; j < b->count; j++) {
            struct country *a = &b->countries[i], *z = &b->countries[j];
            if (a->sea_m > 0 && z->sea_m > 0 && boxes_meet(a->box, z->box) && !split_pair(b, a, z))
                return DC_INTERNAL;
        }
    double t2 = now_s();
    stats->median_s = t2 - t1;
    json_t *features = json_array();
    *out = json_pack("{s:s,s:O,s:s,s:o}", "type", "FeatureCollection", "title", title, "generator",
                     "deconflict airspace 1", "features", features);
    if (*out == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < b->count; i++) {
        GEOSGeometry *g = airspace_of(b, i);
        json_t *f =
            g ? feature_json(b, &b->countries[i], g, o->territorial_sea_nm, &stats->vertices_out)
              : NULL;
        if (g != NULL)
            GEOSGeom_destroy_r(b->g, g);
        if (f == NULL || json_array_append_new(features, f) != 0)
            return DC_INTERNAL;
    }
    stats->median_pairs = b->pairs;
    stats->cut_s = now_s() - t2;
    return DC_OK;
}

dc_status dc_airspace_build(const char *land, size_t length, const dc_airspace_options *options,
                            char **out, dc_airspace_stats *stats, dc_error *err)
{
    dc_airspace_options o;
    dc_airspace_defaults(&o);
    if (options != NULL)
        o = *options;
    size_t no_sea = 0;
    while (o.no_sea != NULL && o.no_sea[no_sea] != NULL && no_sea <= 16)
        no_sea++;
    if (!(o.territorial_sea_nm >= 0 && o.territorial_sea_nm <= 24) ||
        !(o.tile_deg >= 1 && o.tile_deg <= 30) || no_sea > 16)
        return dc_error_set(err, DC_RANGE, "options", DC_NO_POSITION,
                            "territorial sea 0-24 NM, tiles 1-30 degrees, at most 16 "
                            "countries without sea");
    if (land == NULL || out == NULL)
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "no land given");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dc_airspace_stats local = {0};
    json_error_t jerr;
    json_t *doc = json_loadb(land, length, 0, &jerr);
    json_t *features = json_object_get(doc, "features");
    if (doc == NULL || !json_is_array(features)) {
        json_decref(doc);
        return dc_error_set(err, DC_INVALID, doc ? "/features" : "", DC_NO_POSITION,
                            "not a GeoJSON FeatureCollection%s%s", doc ? "" : ": ",
                            doc ? "" : jerr.text);
    }
    struct builder b = {.tile_deg = o.tile_deg};
    b.g = GEOS_init_r();
    b.pj = proj_context_create();
    dc_status rc = b.g && b.pj ? DC_OK : DC_NOMEM;
    if (rc == DC_OK) {
        GEOSContext_setErrorMessageHandler_r(b.g, geos_message, &b);
        rc = read_land(&b, features, &o, &local, err);
    }
    local.countries = b.count;
    json_t *result = NULL;
    if (rc == DC_OK) {
        json_t *title = json_string("National airspace (land and territorial sea) from Natural "
                                    "Earth 10m land (world-atlas 2.0.2, public domain)");
        rc = title ? build(&b, &o, title, &result, &local) : DC_NOMEM;
        json_decref(title);
        if (rc == DC_INTERNAL)
            dc_error_set(err, rc, "", DC_NO_POSITION, "geometry failed: %s",
                         b.message[0] ? b.message : "no detail");
    }
    char *text = rc == DC_OK ? json_dumps(result, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    if (rc == DC_OK && text == NULL)
        rc = DC_NOMEM;
    json_decref(result);
    json_decref(doc);
    builder_free(&b);
    if (rc != DC_OK) {
        free(text);
        return rc;
    }
    /* the library's allocation, so that the caller frees it as it frees the rest */
    size_t size = strlen(text) + 1;
    *out = dc_malloc(size);
    if (*out != NULL)
        memcpy(*out, text, size);
    free(text);
    if (*out == NULL)
        return DC_NOMEM;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    local.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (stats != NULL)
        *stats = local;
    return DC_OK;
}
