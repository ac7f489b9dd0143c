/* track_index.c - what the monitor's parts share: tracks and zones found by (party, name) in an
 * open-addressed index over their arrays, and offsets in metres on a local plane */
#include "monitor_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t name_hash(const char *first, const char *second)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (const char *p = first; *p; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
    h = (h ^ 0xff) * UINT64_C(1099511628211);
    for (const char *p = second; *p; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
    return h;
}

uint32_t *dc__name_slot(const struct name_index *ix, const void *items, const char *first,
                        const char *second)
{
    size_t mask = ix->capacity - 1, j = name_hash(first, second) & mask;
    while (ix->slots[j] != 0) {
        const char *item = (const char *)items + (size_t)(ix->slots[j] - 1) * ix->size;
        if (strcmp(item + ix->second, second) == 0 && strcmp(item + ix->first, first) == 0)
            break;
        j = (j + 1) & mask;
    }
    return &ix->slots[j];
}

void *dc__name_find(const struct name_index *ix, void *items, const char *first, const char *second)
{
    if (ix->capacity == 0)
        return NULL;
    uint32_t *slot = dc__name_slot(ix, items, first, second);
    return *slot ? (char *)items + (size_t)(*slot - 1) * ix->size : NULL;
}

dc_status dc__name_reserve(struct name_index *ix, const void *items, size_t count)
{
    if ((count + 1) * 2 <= ix->capacity)
        return DC_OK;
    size_t cap = ix->capacity ? ix->capacity * 2 : 1024;
    uint32_t *slots = dc_calloc(cap, sizeof *slots);
    if (slots == NULL)
        return DC_NOMEM;
    dc_free(ix->slots);
    ix->slots = slots;
    ix->capacity = cap;
    for (size_t i = 0; i < count; i++) {
        const char *item = (const char *)items + i * ix->size;
        *dc__name_slot(ix, items, item + ix->first, item + ix->second) = (uint32_t)i + 1;
    }
    return DC_OK;
}

void *dc__name_add(struct name_index *ix, void *items, size_t *count, size_t *capacity,
                   size_t initial, const char *first, const char *second)
{
    if (dc__name_reserve(ix, items, *count) != DC_OK)
        return NULL;
    char *grown = dc_grow(items, capacity, *count, ix->size, initial);
    if (grown == NULL)
        return NULL;
    char *item = grown + *count * ix->size;
    memset(item, 0, ix->size);
    dc_copy_text(item + ix->first, ix->first_size, first);
    dc_copy_text(item + ix->second, ix->second_size, second);
    ++*count;
    *dc__name_slot(ix, grown, item + ix->first, item + ix->second) = (uint32_t)*count;
    return grown;
}

void dc__local_offset(dc_point a, dc_point b, double *east, double *north)
{
    double dlon = b.lon - a.lon;
    if (dlon > 180)
        dlon -= 360;
    if (dlon < -180)
        dlon += 360;
    double lat = (a.lat + b.lat) / 2 * M_PI / 180;
    *east = dlon * M_PI / 180 * EARTH_R * cos(lat);
    *north = (b.lat - a.lat) * M_PI / 180 * EARTH_R;
}

dc_point dc__offset_point(dc_point p, double east, double north)
{
    return dc__offset_point_cos(p, east, north, cos(p.lat * M_PI / 180));
}

dc_point dc__offset_point_cos(dc_point p, double east, double north, double cos_lat)
{
    dc_point q = {p.lat + north / EARTH_R * 180 / M_PI,
                  p.lon + east / (EARTH_R * cos_lat) * 180 / M_PI};
    if (q.lon > 180)
        q.lon -= 360;
    if (q.lon < -180)
        q.lon += 360;
    if (q.lat > 89.9)
        q.lat = 89.9;
    if (q.lat < -89.9)
        q.lat = -89.9;
    return q;
}
