/* index.c - space-time index of 4D volumes: a hashed longitude/latitude grid with time buckets
 *
 * Design. A box is entered in every (cell, time bucket) it covers: cells of
 * cell_deg × cell_deg (0.25° by default: 28 km × 22 km at 36° N) and buckets
 * of 30 minutes. Only non-empty cell-buckets exist, in a hash table keyed by
 * (column, row, bucket), so the grid costs nothing over empty sea or empty
 * hours and longitude wraps naturally at the antimeridian (columns modulo
 * 360/cell_deg). A box covering more than max_cells cell-buckets (a country-
 * sized zone, a day-long hazard) goes to a short list that every query
 * scans instead, which bounds memory per volume.
 *
 * Why a grid and not an R-tree: the workload is many small, similar boxes
 * (drone operations of 0.5-5 km and 10-60 min, route legs of tens of km
 * over an hour) and churn (intents come and go all day). A grid makes
 * insert and remove O(cells) with no rebalancing, and a query touches a
 * handful of buckets. Measured by bench/strategic on 1,000,000 volumes over
 * 1,000 km × 1,000 km × 24 h (docs/PERFORMANCE.md, 2 cores):
 *
 *   cell  bucket  build   bytes/vol  check p50  p99     lookup share
 *   0.1°  30 min  1.66 s  219        0.013 ms  0.514   28 %
 *   0.25° 30 min  0.90 s  156        0.015 ms  0.471   25 %
 *   0.5°  30 min  0.61 s  142        0.022 ms  0.537   33 %
 *   0.25° 15/60   1.11/0.73 s 176/148  0.016   0.468/0.504
 *
 * The check is dominated by the exact geometry of real conflicts, not by
 * the lookup; 0.25° / 30 min balances build time, memory and latency.
 *
 * Each query deduplicates with a per-slot stamp, so a box listed in several
 * buckets is reported once, and checks the exact box overlap.
 */
#include "deconflict/index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint64_t id;
    dc_box4 box;
    uint32_t stamp;
    uint32_t oversize; /* index in the oversize list + 1, or 0 */
    uint32_t live;     /* 0 once removed (the slot waits on the free list) */
};

struct bucket {
    uint32_t *slots;
    uint32_t count, capacity;
};

/* Open addressing u64 -> u32 with backward-shift deletion (no tombstones). */
struct map {
    uint64_t *keys;
    uint32_t *values;
    uint8_t *used;
    size_t capacity, count;
};

struct dc_index {
    dc_index_config config;
    int columns, rows;
    struct slot *slots;
    size_t slot_count, slot_capacity;
    uint32_t *free_slots; /* capacity = slot_capacity */
    size_t free_count;
    struct map ids;   /* id -> slot */
    struct map cells; /* cell key -> bucket */
    struct bucket *buckets;
    size_t bucket_count, bucket_capacity;
    uint32_t *oversize;
    size_t oversize_count, oversize_capacity;
    uint32_t stamp;
    size_t bytes;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static int map_grow(struct map *m, size_t *bytes)
{
    size_t cap = m->capacity ? m->capacity * 2 : 1024;
    struct map n = {dc_calloc(cap, sizeof *n.keys), dc_calloc(cap, sizeof *n.values),
                    dc_calloc(cap, 1), cap, 0};
    if (n.keys == NULL || n.values == NULL || n.used == NULL) {
        dc_free(n.keys);
        dc_free(n.values);
        dc_free(n.used);
        return -1;
    }
    for (size_t i = 0; i < m->capacity; i++) {
        if (!m->used[i])
            continue;
        size_t j = mix(m->keys[i]) & (cap - 1);
        while (n.used[j])
            j = (j + 1) & (cap - 1);
        n.used[j] = 1;
        n.keys[j] = m->keys[i];
        n.values[j] = m->values[i];
        n.count++;
    }
    *bytes += cap * (sizeof *n.keys + sizeof *n.values + 1);
    *bytes -= m->capacity * (sizeof *m->keys + sizeof *m->values + 1);
    dc_free(m->keys);
    dc_free(m->values);
    dc_free(m->used);
    *m = n;
    return 0;
}

static uint32_t *map_find(const struct map *m, uint64_t key)
{
    if (m->capacity == 0)
        return NULL;
    size_t j = mix(key) & (m->capacity - 1);
    while (m->used[j]) {
        if (m->keys[j] == key)
            return &m->values[j];
        j = (j + 1) & (m->capacity - 1);
    }
    return NULL;
}

static int map_put(struct map *m, uint64_t key, uint32_t value, size_t *bytes)
{
    if ((m->count + 1) * 2 > m->capacity && map_grow(m, bytes) != 0)
        return -1;
    size_t j = mix(key) & (m->capacity - 1);
    while (m->used[j])
        j = (j + 1) & (m->capacity - 1);
    m->used[j] = 1;
    m->keys[j] = key;
    m->values[j] = value;
    m->count++;
    return 0;
}

static void map_erase(struct map *m, uint64_t key)
{
    size_t mask = m->capacity - 1, j = mix(key) & mask;
    while (m->used[j] && m->keys[j] != key)
        j = (j + 1) & mask;
    if (!m->used[j])
        return;
    /* Shift back later entries of the cluster that may sit at j. */
    size_t hole = j;
    for (size_t k = (j + 1) & mask; m->used[k]; k = (k + 1) & mask) {
        size_t home = mix(m->keys[k]) & mask;
        if (((k - home) & mask) >= ((k - hole) & mask)) {
            m->keys[hole] = m->keys[k];
            m->values[hole] = m->values[k];
            hole = k;
        }
    }
    m->used[hole] = 0;
    m->count--;
}

static void map_free(struct map *m)
{
    dc_free(m->keys);
    dc_free(m->values);
    dc_free(m->used);
}

void dc_id_list_clear(dc_id_list *list)
{
    if (list == NULL)
        return;
    dc_free(list->ids);
    memset(list, 0, sizeof *list);
}

static int ascending(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

void dc_id_list_sort_unique(dc_id_list *list)
{
    if (list->count < 2)
        return;
    qsort(list->ids, list->count, sizeof *list->ids, ascending);
    size_t n = 1;
    for (size_t i = 1; i < list->count; i++)
        if (list->ids[i] != list->ids[n - 1])
            list->ids[n++] = list->ids[i];
    list->count = n;
}

static int id_list_push(dc_id_list *list, uint64_t id)
{
    uint64_t *ids = dc_grow(list->ids, &list->capacity, list->count, sizeof *ids, 64);
    if (ids == NULL)
        return -1;
    list->ids = ids;
    list->ids[list->count++] = id;
    return 0;
}

dc_status dc_index_new(const dc_index_config *config, dc_index **out)
{
    *out = NULL;
    dc_index_config c = {0.25, 30 * 60 * DC_US_PER_S, 64};
    if (config != NULL) {
        if (config->cell_deg != 0)
            c.cell_deg = config->cell_deg;
        if (config->bucket_us != 0)
            c.bucket_us = config->bucket_us;
        if (config->max_cells != 0)
            c.max_cells = config->max_cells;
    }
    if (!(c.cell_deg >= 0.001 && c.cell_deg <= 90.0) || c.bucket_us < DC_US_PER_S)
        return DC_INVALID;
    dc_index *index = dc_calloc(1, sizeof *index);
    if (index == NULL)
        return DC_NOMEM;
    index->config = c;
    index->columns = (int)ceil(360.0 / c.cell_deg);
    index->rows = (int)ceil(180.0 / c.cell_deg);
    index->bytes = sizeof *index;
    *out = index;
    return DC_OK;
}

void dc_index_free(dc_index *index)
{
    if (index == NULL)
        return;
    for (size_t i = 0; i < index->bucket_count; i++)
        dc_free(index->buckets[i].slots);
    dc_free(index->buckets);
    dc_free(index->slots);
    dc_free(index->free_slots);
    dc_free(index->oversize);
    map_free(&index->ids);
    map_free(&index->cells);
    dc_free(index);
}

/* The cell-bucket ranges a box covers. */
struct span {
    int64_t c0, c1, r0, r1, b0, b1;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static struct span box_span(const dc_index *index, const dc_box4 *box)
{
    double cell = index->config.cell_deg;
    struct span s;
    s.c0 = (int64_t)floor((box->lon_min + 180.0) / cell);
    s.c1 = (int64_t)floor((box->lon_max + 180.0) / cell);
    if (s.c1 - s.c0 >= index->columns)
        s.c1 = s.c0 + index->columns - 1;
    s.r0 = (int64_t)floor((fmax(box->lat_min, -90.0) + 90.0) / cell);
    s.r1 = (int64_t)floor((fmin(box->lat_max, 90.0) + 90.0) / cell);
    s.b0 = floor_div(box->t_min, index->config.bucket_us);
    s.b1 = floor_div(box->t_max - 1, index->config.bucket_us); /* half-open */
    return s;
}

static uint64_t span_cells(const struct span *s)
{
    return (uint64_t)(s->c1 - s->c0 + 1) * (uint64_t)(s->r1 - s->r0 + 1) *
           (uint64_t)(s->b1 - s->b0 + 1);
}

static uint64_t cell_key(const dc_index *index, int64_t c, int64_t r, int64_t b)
{
    int64_t col = ((c % index->columns) + index->columns) % index->columns;
    return ((uint64_t)b << 32) ^ ((uint64_t)r << 16) ^ (uint64_t)col;
}

static int bucket_add(dc_index *index, uint64_t key, uint32_t slot)
{
    uint32_t *b = map_find(&index->cells, key);
    if (b == NULL) {
        if (index->bucket_count == index->bucket_capacity) {
            size_t cap = index->bucket_capacity ? index->bucket_capacity * 2 : 1024;
            struct bucket *nb = dc_realloc(index->buckets, cap * sizeof *nb);
            if (nb == NULL)
                return -1;
            index->bytes += (cap - index->bucket_capacity) * sizeof *nb;
            index->buckets = nb;
            index->bucket_capacity = cap;
        }
        if (map_put(&index->cells, key, (uint32_t)index->bucket_count, &index->bytes) != 0)
            return -1;
        index->buckets[index->bucket_count] = (struct bucket){NULL, 0, 0};
        b = map_find(&index->cells, key);
        index->bucket_count++;
    }
    struct bucket *bk = &index->buckets[*b];
    if (bk->count == bk->capacity) {
        uint32_t cap = bk->capacity ? bk->capacity * 2 : 4;
        uint32_t *ns = dc_realloc(bk->slots, cap * sizeof *ns);
        if (ns == NULL)
            return -1;
        index->bytes += (cap - bk->capacity) * sizeof *ns;
        bk->slots = ns;
        bk->capacity = cap;
    }
    bk->slots[bk->count++] = slot;
    return 0;
}

static void bucket_remove(dc_index *index, uint64_t key, uint32_t slot)
{
    uint32_t *b = map_find(&index->cells, key);
    if (b == NULL)
        return;
    struct bucket *bk = &index->buckets[*b];
    for (uint32_t i = 0; i < bk->count; i++) {
        if (bk->slots[i] == slot) {
            bk->slots[i] = bk->slots[--bk->count];
            return;
        }
    }
}

/* Visit every cell-bucket of a span (add or remove a slot). */
static int for_span(dc_index *index, const struct span *s, uint32_t slot, int add)
{
    for (int64_t b = s->b0; b <= s->b1; b++)
        for (int64_t r = s->r0; r <= s->r1; r++)
            for (int64_t c = s->c0; c <= s->c1; c++) {
                uint64_t key = cell_key(index, c, r, b);
                if (add) {
                    if (bucket_add(index, key, slot) != 0)
                        return -1;
                } else {
                    bucket_remove(index, key, slot);
                }
            }
    return 0;
}

static int box_valid(const dc_box4 *b)
{
    return isfinite(b->lon_min) && isfinite(b->lon_max) && isfinite(b->lat_min) &&
           isfinite(b->lat_max) && isfinite(b->alt_min) && isfinite(b->alt_max) &&
           b->lon_min <= b->lon_max && b->lat_min <= b->lat_max && b->alt_min <= b->alt_max &&
           b->t_min < b->t_max;
}

dc_status dc_index_insert(dc_index *index, uint64_t id, const dc_box4 *box)
{
    if (!box_valid(box))
        return DC_INVALID;
    if (map_find(&index->ids, id) != NULL)
        return DC_CONFLICT;
    uint32_t slot;
    if (index->free_count > 0) {
        slot = index->free_slots[--index->free_count];
    } else {
        if (index->slot_count == index->slot_capacity) {
            size_t cap = index->slot_capacity ? index->slot_capacity * 2 : 1024;
            /* The free list grows with the slots, so giving a slot back
             * never needs memory. */
            uint32_t *nf = dc_realloc(index->free_slots, cap * sizeof *nf);
            if (nf == NULL)
                return DC_NOMEM;
            index->free_slots = nf;
            struct slot *ns = dc_realloc(index->slots, cap * sizeof *ns);
            if (ns == NULL)
                return DC_NOMEM;
            index->bytes += (cap - index->slot_capacity) * (sizeof *ns + sizeof *nf);
            index->slots = ns;
            index->slot_capacity = cap;
        }
        slot = (uint32_t)index->slot_count++;
    }
    struct slot *sl = &index->slots[slot];
    sl->id = id;
    sl->box = *box;
    sl->stamp = 0;
    sl->oversize = 0;
    sl->live = 1;
    struct span s = box_span(index, box);
    int failed;
    if (span_cells(&s) > index->config.max_cells) {
        failed = 0;
        if (index->oversize_count == index->oversize_capacity) {
            size_t cap = index->oversize_capacity ? index->oversize_capacity * 2 : 16;
            uint32_t *no = dc_realloc(index->oversize, cap * sizeof *no);
            failed = no == NULL;
            if (!failed) {
                index->bytes += (cap - index->oversize_capacity) * sizeof *no;
                index->oversize = no;
                index->oversize_capacity = cap;
            }
        }
        if (!failed) {
            index->oversize[index->oversize_count++] = slot;
            sl->oversize = (uint32_t)index->oversize_count;
        }
    } else {
        failed = for_span(index, &s, slot, 1) != 0;
        if (failed)
            for_span(index, &s, slot, 0);
    }
    if (failed || map_put(&index->ids, id, slot, &index->bytes) != 0) {
        if (!failed && sl->oversize == 0)
            for_span(index, &s, slot, 0);
        else if (!failed)
            index->oversize_count--;
        sl->live = 0;
        if (slot + 1 == index->slot_count)
            index->slot_count--;
        else
            index->free_slots[index->free_count++] = slot;
        return DC_NOMEM;
    }
    return DC_OK;
}

dc_status dc_index_remove(dc_index *index, uint64_t id)
{
    uint32_t *found = map_find(&index->ids, id);
    if (found == NULL)
        return DC_NOT_FOUND;
    uint32_t slot = *found;
    struct slot *sl = &index->slots[slot];
    if (sl->oversize != 0) {
        uint32_t at = sl->oversize - 1;
        uint32_t last = index->oversize[--index->oversize_count];
        index->oversize[at] = last;
        index->slots[last].oversize = at + 1;
    } else {
        struct span s = box_span(index, &sl->box);
        for_span(index, &s, slot, 0);
    }
    map_erase(&index->ids, id);
    sl->live = 0;
    index->free_slots[index->free_count++] = slot;
    return DC_OK;
}

static int visit(dc_index *index, uint32_t slot, const dc_box4 *box, dc_id_list *out)
{
    struct slot *sl = &index->slots[slot];
    if (sl->stamp == index->stamp)
        return 0;
    sl->stamp = index->stamp;
    if (!dc_box4_overlaps(&sl->box, box))
        return 0;
    return id_list_push(out, sl->id);
}

dc_status dc_index_query(dc_index *index, const dc_box4 *box, dc_id_list *out)
{
    out->count = 0;
    if (!box_valid(box))
        return DC_OK;
    if (++index->stamp == 0) { /* wrapped: forget every old stamp */
        for (size_t i = 0; i < index->slot_count; i++)
            index->slots[i].stamp = 0;
        index->stamp = 1;
    }
    struct span s = box_span(index, box);
    if (span_cells(&s) > index->bucket_count + index->slot_count) {
        /* A query wider than the whole table: scanning every slot is cheaper. */
        for (size_t i = 0; i < index->slot_count; i++)
            if (index->slots[i].live && visit(index, (uint32_t)i, box, out) != 0)
                return DC_NOMEM;
        return DC_OK;
    }
    for (int64_t b = s.b0; b <= s.b1; b++)
        for (int64_t r = s.r0; r <= s.r1; r++)
            for (int64_t c = s.c0; c <= s.c1; c++) {
                uint32_t *bi = map_find(&index->cells, cell_key(index, c, r, b));
                if (bi == NULL)
                    continue;
                const struct bucket *bk = &index->buckets[*bi];
                for (uint32_t i = 0; i < bk->count; i++)
                    if (visit(index, bk->slots[i], box, out) != 0)
                        return DC_NOMEM;
            }
    for (size_t i = 0; i < index->oversize_count; i++)
        if (visit(index, index->oversize[i], box, out) != 0)
            return DC_NOMEM;
    return DC_OK;
}

size_t dc_index_count(const dc_index *index)
{
    return index->ids.count;
}

size_t dc_index_memory(const dc_index *index)
{
    return index->bytes;
}
