/* volume_json.h - volumes and overlaps as GeoJSON (jansson), shared by the front ends: the
 * server's notices and the CLI's `check --json` show an overlap the same way */
#ifndef DECONFLICT_VOLUME_JSON_H
#define DECONFLICT_VOLUME_JSON_H

#include "deconflict/engine.h"

#include <jansson.h>

/* An overlap's parts as a GeoJSON MultiPolygon, positions rounded to 1e-7 degree (about 1 cm);
 * a new reference, NULL when memory runs out. */
json_t *dc_overlap_geojson(const dc_overlap *overlap);

#endif
