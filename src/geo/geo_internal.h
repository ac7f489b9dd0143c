/* geo_internal.h - helpers shared by the coordinate files of src/geo */
#ifndef DECONFLICT_GEO_INTERNAL_H
#define DECONFLICT_GEO_INTERNAL_H

#include "deconflict/geo.h"

int dc__point_valid(dc_point p);
int dc__band_index(char letter); /* 'C'..'X' -> 0..19, else -1 */
void dc__band_latitudes(int band, double *south, double *north);
int dc__standard_zone(dc_point p);
double dc__zone_central_meridian(int zone);
void dc__zone_longitudes(int zone, int band, double *west, double *east);

/* Whether "ZZS easting northing" would also read as latitude band S
 * (32..40 N): the hemisphere letter S is then ambiguous. */
int dc__utm_s_reads_as_band(const dc_utm *utm);

/* MGRS text <-> point; parse reports positions relative to `text`. */
dc_status dc__mgrs_parse(const char *text, dc_point *out, dc_coord_info *info, dc_error *err);
dc_status dc__mgrs_format(dc_point p, int digits, char *buf, size_t size, dc_error *err);

#endif
