/* assoc.c - where the cooperative tracks are, for sensor association: a grid of 0.5 degree cells
 * in a hash table, each cell the indices of the tracks last reported in it. A track moves cell
 * when a report moves it; tracks are never removed (a timed-out one stays where it was and the
 * search skips it), so an index is stable. */
#include "monitor_internal.h"

#include <math.h>
#include <string.h>

#define CELL_DEG 0.5
#define LON_CELLS 720 /* 360 / CELL_DEG */
#define DEG_M (EARTH_R * M_PI / 180)

static int64_t cell_key(int64_t ilat, int64_t ilon)
{
    ilon %= LON_CELLS;
    if (ilon < 0)
        ilon += LON_CELLS;
    return ilat * LON_CELLS + ilon;
}

static int64_t key_of(dc_point p)
{
    return cell_key((int64_t)floor((p.lat + 90) / CELL_DEG),
                    (int64_t)floor((p.lon + 180) / CELL_DEG));
}

static size_t hash_of(int64_t key, size_t capacity)
{
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & (capacity - 1);
}

/* The cell of `key` (index + 1), or 0. */
static uint32_t find(const struct assoc_grid *g, int64_t key)
{
    if (g->slot_capacity == 0)
        return 0;
    for (size_t i = hash_of(key, g->slot_capacity);; i = (i + 1) & (g->slot_capacity - 1)) {
        uint32_t c = g->slots[i];
        if (c == 0 || g->cells[c - 1].key == key)
            return c;
    }
}

static dc_status rehash(struct assoc_grid *g, size_t capacity)
{
    uint32_t *slots = dc_calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return DC_NOMEM;
    for (size_t c = 0; c < g->cell_count; c++) {
        size_t i = hash_of(g->cells[c].key, capacity);
        while (slots[i] != 0)
            i = (i + 1) & (capacity - 1);
        slots[i] = (uint32_t)c + 1;
    }
    dc_free(g->slots);
    g->slots = slots;
    g->slot_capacity = capacity;
    return DC_OK;
}

static uint32_t add_cell(struct assoc_grid *g, int64_t key)
{
    if (2 * (g->cell_count + 1) > g->slot_capacity &&
        rehash(g, g->slot_capacity ? 2 * g->slot_capacity : 256) != DC_OK)
        return 0;
    struct assoc_cell *cells =
        dc_grow(g->cells, &g->cell_capacity, g->cell_count, sizeof *cells, 64);
    if (cells == NULL)
        return 0;
    g->cells = cells;
    memset(&cells[g->cell_count], 0, sizeof *cells);
    cells[g->cell_count].key = key;
    size_t i = hash_of(key, g->slot_capacity);
    while (g->slots[i] != 0)
        i = (i + 1) & (g->slot_capacity - 1);
    g->slots[i] = (uint32_t)++g->cell_count;
    return (uint32_t)g->cell_count;
}

dc_status dc__assoc_place(dc_monitor *m, uint32_t index)
{
    struct assoc_grid *g = &m->assoc;
    struct track *t = &m->tracks[index];
    int64_t key = key_of(t->pos);
    if (t->cell != 0 && g->cells[t->cell - 1].key == key)
        return DC_OK;
    uint32_t c = find(g, key);
    if (c == 0 && (c = add_cell(g, key)) == 0)
        return DC_NOMEM;
    struct assoc_cell *to = &g->cells[c - 1];
    if (to->count == to->capacity) {
        uint32_t *items = dc_grow(to->items, &to->capacity, to->count, sizeof *items, 8);
        if (items == NULL)
            return DC_NOMEM;
        to->items = items;
    }
    if (t->cell != 0) { /* out of its old cell: the last one takes its slot */
        struct assoc_cell *from = &g->cells[t->cell - 1];
        uint32_t moved = from->items[--from->count];
        from->items[t->slot] = moved;
        m->tracks[moved].slot = t->slot;
    }
    t->cell = c;
    t->slot = (uint32_t)to->count;
    to->items[to->count++] = index;
    return DC_OK;
}

void dc__assoc_near(const dc_monitor *m, dc_point p, double radius_m,
                    void (*each)(void *ctx, uint32_t index), void *ctx)
{
    const struct assoc_grid *g = &m->assoc;
    if (g->cell_count == 0)
        return;
    double dlat = radius_m / DEG_M;
    double lat0 = fmax(-90, p.lat - dlat), lat1 = fmin(90, p.lat + dlat);
    /* the offset's east uses the mean latitude's cosine: the smallest over the band is safe */
    double c = cos(fmax(fabs(lat0), fabs(lat1)) * M_PI / 180);
    double dlon = c > 1e-6 ? radius_m / (DEG_M * c) : 360;
    int64_t i0 = (int64_t)floor((lat0 + 90) / CELL_DEG),
            i1 = (int64_t)floor((lat1 + 90) / CELL_DEG);
    int64_t j0 = (int64_t)floor((p.lon - dlon + 180) / CELL_DEG),
            j1 = (int64_t)floor((p.lon + dlon + 180) / CELL_DEG);
    if (j1 - j0 + 1 >= LON_CELLS) {
        j0 = 0;
        j1 = LON_CELLS - 1;
    }
    for (int64_t i = i0; i <= i1; i++)
        for (int64_t j = j0; j <= j1; j++) {
            uint32_t k = find(g, cell_key(i, j));
            if (k == 0)
                continue;
            const struct assoc_cell *cell = &g->cells[k - 1];
            for (uint32_t s = 0; s < cell->count; s++)
                each(ctx, cell->items[s]);
        }
}

void dc__assoc_free(struct assoc_grid *g)
{
    for (size_t c = 0; c < g->cell_count; c++)
        dc_free(g->cells[c].items);
    dc_free(g->cells);
    dc_free(g->slots);
    memset(g, 0, sizeof *g);
}
