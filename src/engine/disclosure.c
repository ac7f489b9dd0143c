/* disclosure.c - the one disclosure policy: quantised overlaps, a budget per viewer and object,
 * displaced keep-out discs for sites, coarsened aircraft (see disclosure.h, docs/SECURITY.md) */
#include "deconflict/disclosure.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#define M_PER_DEG_LAT 110574.0 /* the shortest degree of latitude (at the equator) */
#define M_PER_DEG_MEAN 111320.0
#define PI 3.14159265358979323846
/* The grid's base step: 1/200 degree, 553 m of latitude at least. Longitude steps are this times
 * a power of two, so grids chosen at different latitudes nest and two disclosures of one place
 * on different grids never combine into a finer one. */
#define BASE_STEP_DEG 0.005

static double lon_step_deg(double lat_max_abs)
{
    double c = cos(lat_max_abs * PI / 180.0);
    double step = BASE_STEP_DEG;
    while (step * M_PER_DEG_MEAN * c < DC_DISCLOSE_CELL_M && step < 360.0)
        step *= 2;
    return step;
}

static dc_time_us floor_to(dc_time_us t, dc_time_us step)
{
    dc_time_us q = t / step;
    if (t % step != 0 && t < 0)
        q--;
    return q * step;
}

static dc_time_us ceil_to(dc_time_us t, dc_time_us step)
{
    dc_time_us f = floor_to(t, step);
    return f == t ? t : f + step;
}

static double box_area_m2(const dc_disclosed_box *b)
{
    double mid = (b->lat_min + b->lat_max) / 2 * PI / 180.0;
    return (b->lat_max - b->lat_min) * M_PER_DEG_MEAN * (b->lon_max - b->lon_min) * M_PER_DEG_MEAN *
           cos(mid);
}

/* A box of (lon, lat) snapped outwards to the grid. */
static void snap(dc_disclosed_box *b)
{
    b->lat_min = floor(b->lat_min / BASE_STEP_DEG) * BASE_STEP_DEG;
    b->lat_max = ceil(b->lat_max / BASE_STEP_DEG) * BASE_STEP_DEG;
    if (b->lat_max <= b->lat_min)
        b->lat_max = b->lat_min + BASE_STEP_DEG;
    double step = lon_step_deg(fmax(fabs(b->lat_min), fabs(b->lat_max)));
    b->lon_min = floor(b->lon_min / step) * step;
    b->lon_max = ceil(b->lon_max / step) * step;
    if (b->lon_max <= b->lon_min)
        b->lon_max = b->lon_min + step;
}

/* Area of a volume's outline: a circle's exactly, a polygon's by the shoelace formula on an
 * equirectangular plane about its bounding centre (within a percent at the sizes that matter). */
static double outline_area_m2(const dc_volume *v)
{
    if (v->outline == DC_OUTLINE_CIRCLE)
        return PI * v->radius_m * v->radius_m;
    double lat0 = v->bound_center.lat, lon0 = v->bound_center.lon;
    double kx = M_PER_DEG_MEAN * cos(lat0 * PI / 180.0), sum = 0;
    for (uint32_t i = 0; i < v->vertex_count; i++) {
        const dc_point *a = &v->vertices[i], *b = &v->vertices[(i + 1) % v->vertex_count];
        double ax = remainder(a->lon - lon0, 360.0) * kx, ay = (a->lat - lat0) * M_PER_DEG_MEAN;
        double bx = remainder(b->lon - lon0, 360.0) * kx, by = (b->lat - lat0) * M_PER_DEG_MEAN;
        sum += ax * by - bx * ay;
    }
    return fabs(sum) / 2;
}

static int too_large_to_probe(const dc_object *o)
{
    for (size_t i = 0; i < o->volume_count; i++) {
        const dc_volume *v = &o->volumes[i];
        if (v->time_end - v->time_start > (dc_time_us)DC_DISCLOSE_PROBE_DURATION_S * DC_US_PER_S ||
            outline_area_m2(v) > DC_DISCLOSE_PROBE_AREA_M2)
            return 1;
    }
    return 0;
}

int64_t dc_disclosure_day(dc_time_us t)
{
    return floor_to(t, (dc_time_us)86400 * DC_US_PER_S) / ((dc_time_us)86400 * DC_US_PER_S);
}

dc_status dc_disclosure_of_conflict(const dc_object *viewer_object, const dc_conflict *c,
                                    double spent_m2, dc_disclosure *out)
{
    memset(out, 0, sizeof *out);
    if (!(spent_m2 >= 0))
        return DC_INVALID;
    dc_time_us minute = (dc_time_us)DC_DISCLOSE_TIME_S * DC_US_PER_S;
    out->time_start = floor_to(c->time_start, minute);
    out->time_end = ceil_to(c->time_end, minute);
    out->level = DC_DISCLOSE_WINDOW;
    if (too_large_to_probe(viewer_object)) {
        out->reason = DC_DISCLOSE_PROBE_TOO_LARGE;
        return DC_OK;
    }
    size_t parts = c->overlap.part_count;
    double lo = INFINITY, hi = -INFINITY, area = 0;
    for (size_t k = 0; k < parts; k++) {
        dc_box4 b;
        dc_volume_box(&c->overlap.parts[k], &b);
        lo = fmin(lo, b.alt_min);
        hi = fmax(hi, b.alt_max);
        size_t slot = parts > DC_DISCLOSE_MAX_BOXES ? 0 : k;
        dc_disclosed_box *d = &out->boxes[slot];
        if (slot == k || k == 0) {
            *d = (dc_disclosed_box){b.lon_min, b.lon_max, b.lat_min, b.lat_max};
        } else {
            d->lon_min = fmin(d->lon_min, b.lon_min);
            d->lon_max = fmax(d->lon_max, b.lon_max);
            d->lat_min = fmin(d->lat_min, b.lat_min);
            d->lat_max = fmax(d->lat_max, b.lat_max);
        }
    }
    out->box_count = parts > DC_DISCLOSE_MAX_BOXES ? 1 : parts;
    for (size_t k = 0; k < out->box_count; k++) {
        snap(&out->boxes[k]);
        area += box_area_m2(&out->boxes[k]);
    }
    if (spent_m2 + area > DC_DISCLOSE_BUDGET_M2) {
        out->box_count = 0;
        out->reason = DC_DISCLOSE_BUDGET_SPENT;
        return DC_OK;
    }
    out->level = DC_DISCLOSE_GEOMETRY;
    out->reason = DC_DISCLOSE_WITHIN_BUDGET;
    out->area_m2 = area;
    out->altitude_lower = floor(lo / DC_DISCLOSE_ALT_M) * DC_DISCLOSE_ALT_M;
    out->altitude_upper = ceil(hi / DC_DISCLOSE_ALT_M) * DC_DISCLOSE_ALT_M;
    return DC_OK;
}

dc_status dc_disclosure_site_keepout(const uint8_t secret[DC_DISCLOSE_SECRET_BYTES],
                                     const char *owner, const char *id, const dc_volume *site,
                                     double radius_m, dc_volume *out)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(radius_m) || radius_m < 0)
        return DC_INVALID;
    /* direction and length from a MAC of the site's identity: the same for every version */
    crypto_generichash_state h;
    uint8_t mac[16];
    crypto_generichash_init(&h, secret, DC_DISCLOSE_SECRET_BYTES, sizeof mac);
    crypto_generichash_update(&h, (const unsigned char *)"site-keepout", 13);
    crypto_generichash_update(&h, (const unsigned char *)owner, strlen(owner) + 1);
    crypto_generichash_update(&h, (const unsigned char *)id, strlen(id) + 1);
    crypto_generichash_final(&h, mac, sizeof mac);
    uint64_t u1 = 0, u2 = 0;
    for (int i = 0; i < 8; i++) {
        u1 = u1 << 8 | mac[i];
        u2 = u2 << 8 | mac[8 + i];
    }
    double azimuth_deg = (double)(u1 >> 11) / 9007199254740992.0 * 360.0;
    dc_point base = site->outline == DC_OUTLINE_CIRCLE ? site->center : site->bound_center;
    double base_radius = site->outline == DC_OUTLINE_CIRCLE ? site->radius_m : site->bound_radius_m;
    /* scaled by the whole protected area, not only the radius around it: a polygon camp 10 km
     * across with radius 0 must not have its keep-out centred inside the camp */
    double scale = fmax(fmax(radius_m, base_radius), DC_DISCLOSE_SITE_MIN_RADIUS_M);
    double offset_m = scale * (1.5 + (double)(u2 >> 11) / 9007199254740992.0);
    dc_point centre;
    dc_status rc = dc_geodesic_direct(base, azimuth_deg, offset_m, &centre, NULL);
    if (rc != DC_OK)
        return rc;
    /* a margin for the circle drawn as a polygon in a tangent plane, so that the disc always
     * holds the whole protected area */
    double keepout_m = (base_radius + offset_m) * 1.01 + 10.0;
    return dc_volume_init_circle(centre, keepout_m, site->altitude_lower, site->altitude_upper,
                                 site->time_start, site->time_end, out, NULL);
}

void dc_disclosure_relative(double *east_m, double *north_m, double *up_m)
{
    *east_m = round(*east_m / DC_DISCLOSE_TRACK_M) * DC_DISCLOSE_TRACK_M;
    *north_m = round(*north_m / DC_DISCLOSE_TRACK_M) * DC_DISCLOSE_TRACK_M;
    *up_m = round(*up_m / DC_DISCLOSE_TRACK_ALT_M) * DC_DISCLOSE_TRACK_ALT_M;
}

void dc_disclosure_position(dc_point *position, double *altitude_m)
{
    double lat = (floor(position->lat / BASE_STEP_DEG) + 0.5) * BASE_STEP_DEG;
    double step = lon_step_deg(fabs(position->lat) + BASE_STEP_DEG);
    double lon = (floor(position->lon / step) + 0.5) * step;
    position->lat = fmax(-90.0, fmin(90.0, lat));
    position->lon = lon > 180.0 ? lon - 360.0 : lon;
    *altitude_m = round(*altitude_m / DC_DISCLOSE_TRACK_ALT_M) * DC_DISCLOSE_TRACK_ALT_M;
}

double dc_disclosure_distance(double metres)
{
    return floor(metres / DC_DISCLOSE_TRACK_M) * DC_DISCLOSE_TRACK_M;
}
