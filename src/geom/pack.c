/* pack.c - volumes as bytes for a store: a fixed, versioned, little-endian layout */
#include "geom_internal.h"

#include <math.h>
#include <string.h>

#define PACK_VERSION 1
#define HEADER_BYTES 4  /* version, outline, convex, reserved */
#define FIXED_DOUBLES 8 /* center lat/lon, radius, bound lat/lon/radius, altitudes */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_double(uint8_t *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    put_u64(p, v);
}

static double get_double(const uint8_t *p)
{
    uint64_t v = get_u64(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

size_t dc_volume_packed_size(const dc_volume *v)
{
    return HEADER_BYTES + 4 + 8 * FIXED_DOUBLES + 16 + 16 * (size_t)v->vertex_count;
}

dc_status dc_volume_pack(const dc_volume *v, uint8_t *b, size_t size)
{
    if (size < dc_volume_packed_size(v))
        return DC_RANGE;
    b[0] = PACK_VERSION;
    b[1] = (uint8_t)v->outline;
    b[2] = v->convex;
    b[3] = 0;
    for (int i = 0; i < 4; i++)
        b[4 + i] = (uint8_t)(v->vertex_count >> (8 * i));
    uint8_t *p = b + 8;
    double fixed[FIXED_DOUBLES] = {v->center.lat,       v->center.lon,       v->radius_m,
                                   v->bound_center.lat, v->bound_center.lon, v->bound_radius_m,
                                   v->altitude_lower,   v->altitude_upper};
    for (int i = 0; i < FIXED_DOUBLES; i++, p += 8)
        put_double(p, fixed[i]);
    put_u64(p, (uint64_t)v->time_start);
    put_u64(p + 8, (uint64_t)v->time_end);
    p += 16;
    for (uint32_t i = 0; i < v->vertex_count; i++, p += 16) {
        put_double(p, v->vertices[i].lat);
        put_double(p + 8, v->vertices[i].lon);
    }
    return DC_OK;
}

dc_status dc_volume_unpack(const uint8_t *b, size_t size, dc_volume *out, size_t *used)
{
    memset(out, 0, sizeof *out);
    if (size < HEADER_BYTES + 4 + 8 * FIXED_DOUBLES + 16 || b[0] != PACK_VERSION || b[1] > 1)
        return DC_INVALID;
    uint32_t n = 0;
    for (int i = 0; i < 4; i++)
        n |= (uint32_t)b[4 + i] << (8 * i);
    dc_volume v;
    memset(&v, 0, sizeof v);
    v.outline = (dc_outline_kind)b[1];
    v.convex = b[2];
    v.vertex_count = n;
    if (n > DC_VOLUME_MAX_VERTICES || (v.outline == DC_OUTLINE_POLYGON && n < 3) ||
        (v.outline == DC_OUTLINE_CIRCLE && n != 0))
        return DC_INVALID;
    size_t need = HEADER_BYTES + 4 + 8 * FIXED_DOUBLES + 16 + 16 * (size_t)n;
    if (size < need)
        return DC_INVALID;
    const uint8_t *p = b + 8;
    double f[FIXED_DOUBLES];
    for (int i = 0; i < FIXED_DOUBLES; i++, p += 8)
        f[i] = get_double(p);
    v.center = (dc_point){f[0], f[1]};
    v.radius_m = f[2];
    v.bound_center = (dc_point){f[3], f[4]};
    v.bound_radius_m = f[5];
    v.altitude_lower = f[6];
    v.altitude_upper = f[7];
    v.time_start = (dc_time_us)get_u64(p);
    v.time_end = (dc_time_us)get_u64(p + 8);
    p += 16;
    if (n > 0) {
        v.vertices = dc_malloc(n * sizeof *v.vertices);
        if (v.vertices == NULL)
            return DC_NOMEM;
        for (uint32_t i = 0; i < n; i++, p += 16)
            v.vertices[i] = (dc_point){get_double(p), get_double(p + 8)};
    }
    *out = v;
    *used = need;
    return DC_OK;
}
