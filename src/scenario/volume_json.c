/* volume_json.c - volumes and overlaps as GeoJSON, for every front end that shows them */
#include "deconflict/volume_json.h"

#include <math.h>

json_t *dc_overlap_geojson(const dc_overlap *ov)
{
    json_t *polys = json_array();
    for (size_t k = 0; k < ov->part_count; k++) {
        json_t *ring = json_array();
        const dc_volume *v = &ov->parts[k];
        for (uint32_t i = 0; i <= v->vertex_count; i++) {
            const dc_point *p = &v->vertices[i % v->vertex_count];
            json_array_append_new(
                ring, json_pack("[f,f]", round(p->lon * 1e7) / 1e7, round(p->lat * 1e7) / 1e7));
        }
        json_array_append_new(polys, json_pack("[o]", ring));
    }
    return json_pack("{s:s,s:o}", "type", "MultiPolygon", "coordinates", polys);
}
