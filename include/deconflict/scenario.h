/* scenario.h - a set of parties' objects as a GeoJSON FeatureCollection (docs/SCENARIOS.md) */
#ifndef DECONFLICT_SCENARIO_H
#define DECONFLICT_SCENARIO_H

#include "deconflict/engine.h"

/* Objects in file order; the scenario owns every array they point to. */
typedef struct dc_scenario {
    size_t object_count;
    dc_object *objects;
    char *title; /* the collection's "title", or NULL */
} dc_scenario;

/* Read a scenario from JSON text. Features with the same "id" are one
 * object with several volumes. On failure returns DC_INVALID/DC_RANGE with
 * the JSON pointer of the offending member in err->field (for example
 * "/features/3/properties/time_end"), DC_NOMEM; *out is empty. */
dc_status dc_scenario_parse(dc_geom *geom, const char *text, size_t length, dc_scenario *out,
                            dc_error *err);

/* dc_scenario_parse on a file; DC_NOT_FOUND if it cannot be read. */
dc_status dc_scenario_load(dc_geom *geom, const char *path, dc_scenario *out, dc_error *err);

void dc_scenario_free(dc_scenario *scenario); /* NULL is a no-op */

#include "deconflict/monitor.h"

/* Add the outlines of every zone feature of a GeoJSON file (rings and
 * holes, any size: web/borders.mjs's world.geojson) to a monitor, without
 * the volume rules. *zones counts them. DC_NOT_FOUND, DC_INVALID, DC_NOMEM. */
dc_status dc_scenario_load_zone_outlines(const char *path, dc_monitor *monitor, size_t *zones,
                                         dc_error *err);

#endif
