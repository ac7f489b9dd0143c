/* candidates.c - objects' volumes in an in-memory space-time index, and the candidates of a
 * proposal */
#include "deconflict/engine.h"

#include <stdlib.h>

dc_status dc_index_add_object(dc_index *index, uint64_t number, const dc_object *o)
{
    if (o->volume_count >= ((size_t)1 << DC_INDEX_VOLUME_BITS))
        return DC_RANGE;
    for (size_t i = 0; i < o->volume_count; i++) {
        dc_box4 box;
        dc_volume_box(&o->volumes[i], &box);
        dc_status rc = dc_index_insert(index, DC_INDEX_ID(number, i), &box);
        if (rc != DC_OK) {
            while (i-- > 0)
                dc_index_remove(index, DC_INDEX_ID(number, i));
            return rc;
        }
    }
    return DC_OK;
}

dc_status dc_index_remove_object(dc_index *index, uint64_t number, const dc_object *o)
{
    dc_status result = DC_OK;
    for (size_t i = 0; i < o->volume_count; i++)
        if (dc_index_remove(index, DC_INDEX_ID(number, i)) != DC_OK)
            result = DC_NOT_FOUND;
    return result;
}

dc_status dc_index_candidate_objects(dc_index *index, const dc_object *proposed,
                                     dc_id_list *scratch, dc_id_list *out)
{
    out->count = 0;
    for (size_t i = 0; i < proposed->volume_count; i++) {
        dc_box4 box;
        dc_volume_box(&proposed->volumes[i], &box);
        dc_status rc = dc_index_query(index, &box, scratch);
        if (rc != DC_OK)
            return rc;
        if (out->capacity < out->count + scratch->count) {
            size_t cap = (out->count + scratch->count) * 2;
            uint64_t *ids = dc_realloc(out->ids, cap * sizeof *ids);
            if (ids == NULL)
                return DC_NOMEM;
            out->ids = ids;
            out->capacity = cap;
        }
        for (size_t k = 0; k < scratch->count; k++)
            out->ids[out->count++] = scratch->ids[k] >> DC_INDEX_VOLUME_BITS;
    }
    dc_id_list_sort_unique(out);
    return DC_OK;
}
