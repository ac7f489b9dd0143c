/* geodesic.c - distances and directions on the WGS84 ellipsoid through PROJ's geodesic API */
#include "geo_internal.h"

#include <geodesic.h>
#include <math.h>

#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)

/* geod_init is a few hundred nanoseconds of arithmetic; doing it per call
 * keeps this module free of globals and of initialisation order. */
dc_status dc_geodesic_inverse(dc_point a, dc_point b, double *distance_m, double *azimuth_deg)
{
    if (!dc__point_valid(a) || !dc__point_valid(b))
        return DC_INVALID;
    struct geod_geodesic g;
    geod_init(&g, WGS84_A, WGS84_F);
    double s12, azi1, azi2;
    geod_inverse(&g, a.lat, a.lon, b.lat, b.lon, &s12, &azi1, &azi2);
    if (distance_m != NULL)
        *distance_m = s12;
    if (azimuth_deg != NULL)
        *azimuth_deg = azi1;
    return DC_OK;
}

dc_status dc_geodesic_direct(dc_point a, double azimuth_deg, double distance_m, dc_point *out,
                             double *final_azimuth_deg)
{
    if (!dc__point_valid(a) || !isfinite(azimuth_deg) || !isfinite(distance_m) || out == NULL)
        return DC_INVALID;
    struct geod_geodesic g;
    geod_init(&g, WGS84_A, WGS84_F);
    double lat2, lon2, azi2;
    geod_direct(&g, a.lat, a.lon, azimuth_deg, distance_m, &lat2, &lon2, &azi2);
    out->lat = lat2;
    out->lon = lon2;
    if (final_azimuth_deg != NULL)
        *final_azimuth_deg = azi2;
    return DC_OK;
}
