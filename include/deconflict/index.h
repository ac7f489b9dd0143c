/* index.h - space-time index of 4D volume boxes: insert, remove, query candidates */
#ifndef DECONFLICT_INDEX_H
#define DECONFLICT_INDEX_H

#include "deconflict/volume.h"

#include <stdint.h>

typedef struct dc_index dc_index;

/* Tuning; zero fields take the defaults (see index.c for the figures
 * behind them). */
typedef struct dc_index_config {
    double cell_deg;      /* grid cell side in degrees (default 0.25) */
    dc_time_us bucket_us; /* time bucket length (default 30 min) */
    uint32_t max_cells;   /* a box covering more cell-buckets is kept in a
                             list scanned by every query (default 64) */
} dc_index_config;

/* A growable list of ids, owned by the caller; reuse it across queries.
 * Free with dc_id_list_clear. */
typedef struct dc_id_list {
    uint64_t *ids;
    size_t count, capacity;
} dc_id_list;

void dc_id_list_clear(dc_id_list *list); /* frees; NULL is a no-op */

/* Sort ascending and drop repeats. Can't fail. */
void dc_id_list_sort_unique(dc_id_list *list);

/* DC_OK, DC_NOMEM, DC_INVALID (a config field out of range). */
dc_status dc_index_new(const dc_index_config *config, dc_index **out);
void dc_index_free(dc_index *index); /* NULL is a no-op */

/* Add `id` with its box. DC_CONFLICT if the id is already present,
 * DC_INVALID for a box with NaN or inverted bounds, DC_NOMEM (the index is
 * unchanged). The box is copied. */
dc_status dc_index_insert(dc_index *index, uint64_t id, const dc_box4 *box);

/* DC_OK or DC_NOT_FOUND. */
dc_status dc_index_remove(dc_index *index, uint64_t id);

/* Replace `out`'s contents with the ids whose boxes overlap `box` under
 * dc_box4_overlaps, each once, in no particular order. DC_OK, DC_NOMEM.
 * Queries use scratch space in the index: one thread at a time. */
dc_status dc_index_query(dc_index *index, const dc_box4 *box, dc_id_list *out);

/* Number of ids, and bytes held by the index (its own allocations). */
size_t dc_index_count(const dc_index *index);
size_t dc_index_memory(const dc_index *index);

#endif
