/* airspace.h - national airspace from land outlines: each country's land and its territorial sea,
 * split at the median line where two countries' seas meet (docs/SCENARIOS.md, "Airspace") */
#ifndef DECONFLICT_AIRSPACE_H
#define DECONFLICT_AIRSPACE_H

#include "deconflict/status.h"

#define DC_NAUTICAL_MILE_M 1852.0
#define DC_TERRITORIAL_SEA_NM 12.0 /* UNCLOS article 3: the most a state may claim */

typedef struct dc_airspace_options {
    /* the territorial sea's breadth (nautical miles, 0 to 24): 12 by default */
    double territorial_sea_nm;
    /* features (by their "name" property) that get no sea: their extent stays "land". At most
     * 16; NULL-terminated, or NULL for the default {"Antarctica"} (no state's: Antarctic Treaty).
     */
    const char *const *no_sea;
    /* land is cut in tiles this many degrees wide (1 to 30, default 5) before it is buffered on
     * each tile's own azimuthal equidistant plane: the plane's scale error grows with the
     * square of the distance from its centre (0.1 % at 400 km) */
    double tile_deg;
} dc_airspace_options;

/* The options' defaults (12 NM, Antarctica without sea, 5 degree tiles). Cannot fail. */
void dc_airspace_defaults(dc_airspace_options *options);

typedef struct dc_airspace_stats {
    size_t countries;    /* features read */
    size_t with_sea;     /* of them given a territorial sea */
    size_t median_pairs; /* pairs of countries whose seas meet: split at the median */
    size_t vertices_in, vertices_out;
    double seconds;                   /* wall-clock time of the build */
    double buffer_s, median_s, cut_s; /* of it: buffering, median splits, the cut and writing */
} dc_airspace_stats;

/* From a GeoJSON FeatureCollection of countries' land (Polygon or MultiPolygon features, holes
 * allowed, longitudes within [-180, 180]: web/borders.mjs's world-land.geojson), one of their
 * national airspace: each feature's land, plus the sea within territorial_sea_nm of it that is
 * closer to its land than to any other feature's land and is no other feature's land. Properties
 * are kept; each feature gains "extent" ("airspace", or "land" for a feature of options->no_sea),
 * "territorial_sea_nm" and "method". Features without geometry are dropped.
 * *out is the collection as JSON text (dc_free it); *stats (may be NULL) what was done.
 * DC_INVALID (not such a collection: err->field the JSON pointer), DC_RANGE (an option out of
 * range), DC_NOMEM, DC_INTERNAL (GEOS or PROJ failed: err->message says which). Nothing is
 * written to *out on failure. */
dc_status dc_airspace_build(const char *land, size_t length, const dc_airspace_options *options,
                            char **out, dc_airspace_stats *stats, dc_error *err);

#endif
