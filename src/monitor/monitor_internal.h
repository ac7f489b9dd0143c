/* monitor_internal.h - what the files of src/monitor share */
#ifndef DECONFLICT_MONITOR_INTERNAL_H
#define DECONFLICT_MONITOR_INTERNAL_H

#include "deconflict/monitor.h"

struct segment {
    double x0, y0, x1, y1; /* lon, lat */
    uint32_t zone;
};

struct cell_zone {
    uint32_t zone;
    uint8_t center_inside;
    uint32_t seg_count, seg_capacity;
    uint32_t *segs;
};

struct cell {
    uint32_t count, capacity;
    struct cell_zone *entries;
};

struct zone_grid {
    struct cell *cells; /* COLS * ROWS, allocated with the first zone */
    struct segment *segs;
    size_t seg_count, seg_capacity;
};

struct zone_event {
    double t; /* along the path, 0..1 */
    uint32_t zone;
    uint32_t seg;
};

dc_status dc__zone_grid_add(struct zone_grid *g, uint32_t zone, const dc_point *const *rings,
                            const size_t *sizes, size_t ring_count);
void dc__zone_grid_free(struct zone_grid *g);

/* The zones containing p (at most max). */
size_t dc__zones_at(const struct zone_grid *g, dc_point p, uint32_t *zones, size_t max);

/* Boundary crossings on the straight lat/lon path a->b, ordered by t. */
size_t dc__zone_events(const struct zone_grid *g, dc_point a, dc_point b, struct zone_event *events,
                       size_t max);

#endif
