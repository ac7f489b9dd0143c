/* zones.c - zone outlines on a latitude/longitude grid: point-in-zone and boundary crossings along
 * a path
 *
 * Each zone's edges are filed in the 0.25° cells they pass through. For every
 * cell a zone touches (edges in it, or the cell lying inside the zone) the
 * grid also keeps whether the cell's centre is inside, found once by a
 * scanline over the zone's edges. A point's inside-ness then needs only the
 * edges of its own cell: inside(point) = inside(centre) XOR the parity of
 * edges crossed between centre and point. A path's crossings come from the
 * edges of the cells along it. Edges are straight in latitude/longitude, as
 * Natural Earth draws them; the antimeridian is a boundary of no zone.
 */
#include "monitor_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CELL_DEG 0.25
#define COLS 1440
#define ROWS 720

static uint32_t cell_key(int col, int row)
{
    return (uint32_t)row * COLS + (uint32_t)col;
}

/* Truncation, not floor(): they differ only below zero, which clamps to the first cell either way
 * (and floor is a call into libm). Coordinates are valid, so never beyond int. */
static int col_of(double lon)
{
    int c = (int)((lon + 180.0) / CELL_DEG);
    return c < 0 ? 0 : c >= COLS ? COLS - 1 : c;
}

static int row_of(double lat)
{
    int r = (int)((lat + 90.0) / CELL_DEG);
    return r < 0 ? 0 : r >= ROWS ? ROWS - 1 : r;
}

/* The entry of `zone` in cell `key`, created on demand. */
static struct cell_zone *cell_entry(struct zone_grid *g, uint32_t key, uint32_t zone)
{
    struct cell *c = &g->cells[key];
    for (uint32_t i = 0; i < c->count; i++)
        if (c->entries[i].zone == zone)
            return &c->entries[i];
    if (c->count == c->capacity) {
        uint32_t cap = c->capacity ? c->capacity * 2 : 2;
        struct cell_zone *e = dc_realloc(c->entries, cap * sizeof *e);
        if (e == NULL)
            return NULL;
        c->entries = e;
        c->capacity = cap;
    }
    struct cell_zone *e = &c->entries[c->count++];
    memset(e, 0, sizeof *e);
    e->zone = zone;
    return e;
}

static int add_segment_ref(struct zone_grid *g, uint32_t key, struct cell_zone *e, uint32_t seg)
{
    if (e->seg_count == e->seg_capacity) {
        uint32_t cap = e->seg_capacity ? e->seg_capacity * 2 : 4;
        double *block = dc_malloc(cap * (4 * sizeof(double) + sizeof(uint32_t)));
        if (block == NULL)
            return -1;
        double *x0 = block, *y0 = x0 + cap, *dx = y0 + cap, *dy = dx + cap;
        uint32_t *ids = (uint32_t *)(dy + cap);
        if (e->seg_count > 0) {
            memcpy(x0, e->x0, e->seg_count * sizeof *x0);
            memcpy(y0, e->y0, e->seg_count * sizeof *y0);
            memcpy(dx, e->dx, e->seg_count * sizeof *dx);
            memcpy(dy, e->dy, e->seg_count * sizeof *dy);
            memcpy(ids, e->ids, e->seg_count * sizeof *ids);
        }
        dc_free(e->x0);
        e->x0 = x0;
        e->y0 = y0;
        e->dx = dx;
        e->dy = dy;
        e->ids = ids;
        e->seg_capacity = cap;
    }
    const struct segment *from = &g->segs[seg];
    uint32_t k = e->seg_count++;
    e->x0[k] = from->x0;
    e->y0[k] = from->y0;
    e->dx[k] = from->x1 - from->x0;
    e->dy[k] = from->y1 - from->y0;
    e->ids[k] = seg;
    g->edged[key >> 6] |= UINT64_C(1) << (key & 63);
    return 0;
}

static int has_edges(const struct zone_grid *g, uint32_t key)
{
    return (int)(g->edged[key >> 6] >> (key & 63) & 1);
}

/* Does segment a-b touch the axis-aligned box? (Liang-Barsky clip.) */
static int segment_hits_box(double ax, double ay, double bx, double by, double x0, double y0,
                            double x1, double y1)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
        } else {
            double t = q[i] / p[i];
            if (p[i] < 0) {
                if (t > t1)
                    return 0;
                if (t > t0)
                    t0 = t;
            } else {
                if (t < t0)
                    return 0;
                if (t < t1)
                    t1 = t;
            }
        }
    }
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

dc_status dc__zone_grid_add(struct zone_grid *g, uint32_t zone, const dc_point *const *rings,
                            const size_t *sizes, size_t ring_count)
{
    if (g->cells == NULL) {
        g->cells = dc_calloc((size_t)COLS * ROWS, sizeof *g->cells);
        g->edged = dc_calloc((size_t)COLS * ROWS / 64 + 1, sizeof *g->edged);
        if (g->cells == NULL || g->edged == NULL) {
            dc_free(g->cells);
            dc_free(g->edged);
            g->cells = NULL;
            g->edged = NULL;
            return DC_NOMEM;
        }
    }
    double lat_min = 90, lat_max = -90;
    for (size_t r = 0; r < ring_count; r++) {
        for (size_t i = 0; i < sizes[r]; i++) {
            dc_point a = rings[r][i], b = rings[r][(i + 1) % sizes[r]];
            if (a.lat == b.lat && a.lon == b.lon)
                continue;
            struct segment *grown =
                dc_grow(g->segs, &g->seg_capacity, g->seg_count, sizeof *grown, 4096);
            if (grown == NULL)
                return DC_NOMEM;
            g->segs = grown;
            uint32_t id = (uint32_t)g->seg_count++;
            g->segs[id] = (struct segment){a.lon, a.lat, b.lon, b.lat, zone};
            lat_min = min2(lat_min, min2(a.lat, b.lat));
            lat_max = max2(lat_max, max2(a.lat, b.lat));
            int c0 = col_of(min2(a.lon, b.lon)), c1 = col_of(max2(a.lon, b.lon));
            int r0 = row_of(min2(a.lat, b.lat)), r1 = row_of(max2(a.lat, b.lat));
            for (int row = r0; row <= r1; row++)
                for (int col = c0; col <= c1; col++) {
                    double x0 = -180 + col * CELL_DEG, y0 = -90 + row * CELL_DEG;
                    if (!segment_hits_box(a.lon, a.lat, b.lon, b.lat, x0, y0, x0 + CELL_DEG,
                                          y0 + CELL_DEG))
                        continue;
                    struct cell_zone *e = cell_entry(g, cell_key(col, row), zone);
                    if (e == NULL || add_segment_ref(g, cell_key(col, row), e, id) != 0)
                        return DC_NOMEM;
                }
        }
    }
    /* Scanline at each row's centre latitude: which cell centres are inside. */
    int r0 = row_of(lat_min), r1 = row_of(lat_max);
    double *xs = NULL;
    size_t xcap = 0;
    dc_status rc = DC_OK;
    for (int row = r0; row <= r1 && rc == DC_OK; row++) {
        double y = -90 + (row + 0.5) * CELL_DEG;
        size_t n = 0;
        for (size_t r = 0; r < ring_count && rc == DC_OK; r++)
            for (size_t i = 0; i < sizes[r]; i++) {
                dc_point a = rings[r][i], b = rings[r][(i + 1) % sizes[r]];
                if ((a.lat > y) == (b.lat > y))
                    continue;
                if (n == xcap) {
                    xcap = xcap ? xcap * 2 : 64;
                    double *grown = dc_realloc(xs, xcap * sizeof *grown);
                    if (grown == NULL) {
                        rc = DC_NOMEM;
                        break;
                    }
                    xs = grown;
                }
                xs[n++] = a.lon + (y - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            }
        if (n > 1)
            qsort(xs, n, sizeof *xs, cmp_double);
        for (size_t k = 0; rc == DC_OK && k + 1 < n; k += 2) {
            /* centres x with xs[k] < x < xs[k+1] are inside */
            int c0 = (int)ceil((xs[k] + 180.0) / CELL_DEG - 0.5);
            int c1 = (int)floor((xs[k + 1] + 180.0) / CELL_DEG - 0.5);
            for (int col = c0 < 0 ? 0 : c0; col <= c1 && col < COLS; col++) {
                struct cell_zone *e = cell_entry(g, cell_key(col, row), zone);
                if (e == NULL)
                    rc = DC_NOMEM;
                else
                    e->center_inside = 1;
            }
        }
    }
    dc_free(xs);
    return rc;
}

void dc__zone_grid_free(struct zone_grid *g)
{
    if (g->cells != NULL)
        for (size_t i = 0; i < (size_t)COLS * ROWS; i++) {
            for (uint32_t k = 0; k < g->cells[i].count; k++)
                dc_free(g->cells[i].entries[k].x0); /* the block of all its arrays */
            dc_free(g->cells[i].entries);
        }
    dc_free(g->cells);
    dc_free(g->edged);
    dc_free(g->segs);
    memset(g, 0, sizeof *g);
}

/* Proper intersection of p-q with edge k of e: parameter along p-q in *t. */
static inline int intersect(double px, double py, double qx, double qy, const struct cell_zone *e,
                            uint32_t k, double *t)
{
    double rx = qx - px, ry = qy - py, sx = e->dx[k], sy = e->dy[k];
    double denom = rx * sy - ry * sx;
    if (denom == 0)
        return 0;
    double ux = e->x0[k] - px, uy = e->y0[k] - py;
    double nt = ux * sy - uy * sx, nu = ux * ry - uy * rx;
    /* most edges miss: settled without dividing when the quotients are clearly outside [0, 1]
     * (a sign apart, or larger by more than any rounding); the rest as before */
    double reach = fabs(denom) * (1 + 1e-9);
    if (nt * denom < 0 || nu * denom < 0 || fabs(nt) > reach || fabs(nu) > reach)
        return 0;
    double tt = nt / denom, uu = nu / denom;
    /* half-open on the edge so a path through a vertex counts one edge */
    if (tt < 0 || tt > 1 || uu < 0 || uu >= 1)
        return 0;
    *t = tt;
    return 1;
}

#define CHUNK 64

/* Which of e's edges first.. (at most CHUNK) p-q may cross, into out: intersect()'s first test,
 * with the same products, looser bounds and no branches, over two edges at a time. An edge it
 * drops, intersect() would too; most edges are dropped here. Returns how many. */
static size_t may_cross(const struct cell_zone *e, uint32_t first, double px, double py, double qx,
                        double qy, uint32_t out[CHUNK])
{
    const double *restrict X0 = e->x0, *restrict Y0 = e->y0, *restrict DX = e->dx,
                           *restrict DY = e->dy;
    uint32_t end = e->seg_count - first > CHUNK ? first + CHUNK : e->seg_count;
    double rx = qx - px, ry = qy - py;
    double slack[CHUNK]; /* >= 0: may cross (a minimum, not a comparison: GCC 12 vectorizes that) */
    for (uint32_t k = first; k < end; k++) {
        double denom = rx * DY[k] - ry * DX[k];
        double ux = X0[k] - px, uy = Y0[k] - py;
        double nt = ux * DY[k] - uy * DX[k], nu = ux * ry - uy * rx;
        double reach = fabs(denom) * (1 + 1e-6), tol = 1e-6 * denom * denom;
        double s1 = nt * denom + tol, s2 = nu * denom + tol, s3 = reach - fabs(nt),
               s4 = reach - fabs(nu);
        double lo12 = s1 < s2 ? s1 : s2, lo34 = s3 < s4 ? s3 : s4;
        slack[k - first] = lo12 < lo34 ? lo12 : lo34;
    }
    size_t n = 0;
    for (uint32_t k = first; k < end; k++) {
        out[n] = k;
        n += slack[k - first] >= 0;
    }
    return n;
}

size_t dc__zones_at(const struct zone_grid *g, dc_point p, uint32_t *zones, size_t max)
{
    if (g->cells == NULL)
        return 0;
    int col = col_of(p.lon), row = row_of(p.lat);
    const struct cell *c = &g->cells[cell_key(col, row)];
    double cx = -180 + (col + 0.5) * CELL_DEG, cy = -90 + (row + 0.5) * CELL_DEG;
    size_t n = 0;
    for (uint32_t i = 0; i < c->count && n < max; i++) {
        const struct cell_zone *e = &c->entries[i];
        int inside = e->center_inside;
        for (uint32_t first = 0; first < e->seg_count; first += CHUNK) {
            uint32_t maybe[CHUNK];
            size_t m = may_cross(e, first, cx, cy, p.lon, p.lat, maybe);
            for (size_t j = 0; j < m; j++) {
                double t;
                if (intersect(cx, cy, p.lon, p.lat, e, maybe[j], &t))
                    inside ^= 1;
            }
        }
        if (inside)
            zones[n++] = e->zone;
    }
    return n;
}

static int by_t(const void *a, const void *b)
{
    const struct zone_event *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t ? 1 : (x->seg > y->seg) - (x->seg < y->seg);
}

size_t dc__zone_events(const struct zone_grid *g, dc_point a, dc_point b, struct zone_event *events,
                       size_t max)
{
    if (g->cells == NULL || max == 0)
        return 0;
    int r0 = row_of(min2(a.lat, b.lat)), r1 = row_of(max2(a.lat, b.lat));
    size_t n = 0;
    for (int row = r0; row <= r1; row++) {
        /* the columns the path crosses within this row's band of latitude,
         * widened by a hair so that rounding cannot drop a cell the path
         * only grazes */
        double lon0 = min2(a.lon, b.lon), lon1 = max2(a.lon, b.lon);
        if (r0 != r1) {
            double y0 = max2(-90 + row * CELL_DEG, min2(a.lat, b.lat));
            double y1 = min2(-90 + (row + 1) * CELL_DEG, max2(a.lat, b.lat));
            double x0 = a.lon + (b.lon - a.lon) * (y0 - a.lat) / (b.lat - a.lat);
            double x1 = a.lon + (b.lon - a.lon) * (y1 - a.lat) / (b.lat - a.lat);
            lon0 = max2(lon0, min2(x0, x1) - 1e-9);
            lon1 = min2(lon1, max2(x0, x1) + 1e-9);
        }
        for (int col = col_of(lon0), c1 = col_of(lon1); col <= c1; col++) {
            if (!has_edges(g, cell_key(col, row)))
                continue;
            const struct cell *c = &g->cells[cell_key(col, row)];
            for (uint32_t i = 0; i < c->count; i++) {
                const struct cell_zone *e = &c->entries[i];
                for (uint32_t first = 0; first < e->seg_count && n < max; first += CHUNK) {
                    uint32_t maybe[CHUNK];
                    size_t m = may_cross(e, first, a.lon, a.lat, b.lon, b.lat, maybe);
                    for (size_t j = 0; j < m && n < max; j++) {
                        double t;
                        if (!intersect(a.lon, a.lat, b.lon, b.lat, e, maybe[j], &t))
                            continue;
                        /* an edge filed in several cells is found once per cell */
                        uint32_t id = e->ids[maybe[j]];
                        int seen = 0;
                        for (size_t k = 0; k < n && !seen; k++)
                            seen = events[k].seg == id;
                        if (!seen)
                            events[n++] = (struct zone_event){t, e->zone, id};
                    }
                }
            }
        }
    }
    if (n > 1)
        qsort(events, n, sizeof *events, by_t);
    return n;
}

/* Metres per degree of latitude and of longitude on the ellipsoid at a latitude (the meridional
 * and prime-vertical radii): the tangent plane there, to 0.01 % within 10 km. */
void dc__metres_per_degree(double lat, double *per_lat, double *per_lon)
{
    const double a = 6378137.0, e2 = 6.69437999014e-3;
    double s = sin(lat * M_PI / 180), w = sqrt(1 - e2 * s * s);
    *per_lat = a * (1 - e2) / (w * w * w) * M_PI / 180;
    *per_lon = a / w * cos(lat * M_PI / 180) * M_PI / 180;
}

/* The nearer of *best and cell key's nearest edge to p, on the plane at p scaled by kx, ky (m per
 * degree). */
static void nearest_in_cell(const struct zone_grid *g, uint32_t key, dc_point p, double kx,
                            double ky, struct zone_nearest *best)
{
    const struct cell *c = &g->cells[key];
    for (uint32_t i = 0; i < c->count; i++) {
        const struct cell_zone *e = &c->entries[i];
        for (uint32_t k = 0; k < e->seg_count; k++) {
            double ax = (e->x0[k] - p.lon) * kx, ay = (e->y0[k] - p.lat) * ky;
            double dx = e->dx[k] * kx, dy = e->dy[k] * ky, len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double d = hypot(ax + dx * t, ay + dy * t);
            if (d < best->distance_m)
                *best = (struct zone_nearest){d, e->ids[k], t};
        }
    }
}

int dc__zone_nearest(const struct zone_grid *g, dc_point p, double max_m, struct zone_nearest *out)
{
    *out = (struct zone_nearest){INFINITY, 0, 0};
    if (g->cells == NULL)
        return 0;
    double ky, kx;
    dc__metres_per_degree(p.lat, &ky, &kx);
    int col = col_of(p.lon), row = row_of(p.lat);
    /* rings of cells around p's: after ring k every edge not yet seen lies beyond the ring, at
     * least k cells away, whose narrowest side is the one nearest the pole */
    for (int k = 0; k < ROWS; k++) {
        for (int r = row - k; r <= row + k; r++) {
            if (r < 0 || r >= ROWS)
                continue;
            int step = (r == row - k || r == row + k) ? 1 : 2 * k;
            for (int c = col - k; c <= col + k; c += step) {
                if (c < 0 || c >= COLS || !has_edges(g, cell_key(c, r)))
                    continue;
                nearest_in_cell(g, cell_key(c, r), p, kx, ky, out);
            }
        }
        double pole_lat = fmin(89.0, fabs(p.lat) + (k + 1) * CELL_DEG), per_lat, per_lon;
        dc__metres_per_degree(pole_lat, &per_lat, &per_lon);
        double reach = k * CELL_DEG * fmin(per_lat, per_lon);
        if (out->distance_m <= reach || reach > max_m)
            break;
    }
    return out->distance_m <= max_m;
}
