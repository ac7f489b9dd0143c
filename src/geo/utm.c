/* utm.c - UTM zones (with the Norway and Svalbard exceptions) through PROJ's transverse Mercator */
#include "deconflict/geo.h"
#include "geo_internal.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>

/* One PROJ context and operation per call: PROJ objects are not thread-safe
 * and creating one for "+proj=utm" costs about 35 us, which is nothing at the
 * API edge where coordinates are parsed. The geometry of the engine works in
 * a local tangent plane (enu.c), not in UTM. */
static dc_status tm_transform(int zone, int forward, double in_x, double in_y, double *out_x,
                              double *out_y, dc_error *err)
{
    char def[64];
    snprintf(def, sizeof def, "+proj=utm +zone=%d +ellps=WGS84", zone);
    PJ_CONTEXT *ctx = proj_context_create();
    if (ctx == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "PROJ context");
    proj_log_level(ctx, PJ_LOG_NONE);
    dc_status rc = DC_OK;
    PJ *tm = proj_create(ctx, def);
    if (tm == NULL) {
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "PROJ cannot create UTM zone %d",
                          zone);
        goto done;
    }
    PJ_COORD c = forward ? proj_coord(proj_torad(in_x), proj_torad(in_y), 0, 0)
                         : proj_coord(in_x, in_y, 0, 0);
    PJ_COORD r = proj_trans(tm, forward ? PJ_FWD : PJ_INV, c);
    if (proj_errno(tm) != 0 || !isfinite(r.xy.x) || !isfinite(r.xy.y)) {
        rc = dc_error_set(err, DC_RANGE, "", DC_NO_POSITION, "outside the domain of UTM zone %d",
                          zone);
        goto done;
    }
    if (forward) {
        *out_x = r.xy.x;
        *out_y = r.xy.y;
    } else {
        *out_x = proj_todeg(r.lp.lam);
        *out_y = proj_todeg(r.lp.phi);
    }
done:
    proj_destroy(tm);
    proj_context_destroy(ctx);
    return rc;
}

int dc__point_valid(dc_point p)
{
    return isfinite(p.lat) && isfinite(p.lon) && p.lat >= -90.0 && p.lat <= 90.0 &&
           p.lon >= -180.0 && p.lon <= 180.0;
}

dc_status dc_point_validate(dc_point p)
{
    if (!isfinite(p.lat) || !isfinite(p.lon))
        return DC_INVALID;
    return dc__point_valid(p) ? DC_OK : DC_RANGE;
}

static const char band_letters[] = "CDEFGHJKLMNPQRSTUVWX";

char dc_mgrs_band_letter(double lat)
{
    if (!(lat >= -80.0 && lat < 84.0))
        return 0;
    int band = (int)floor((lat + 80.0) / 8.0);
    if (band > 19)
        band = 19; /* X spans 72..84 */
    return band_letters[band];
}

int dc__band_index(char letter)
{
    for (int i = 0; band_letters[i] != '\0'; i++)
        if (band_letters[i] == letter)
            return i;
    return -1;
}

void dc__band_latitudes(int band, double *south, double *north)
{
    *south = -80.0 + 8.0 * band;
    *north = band == 19 ? 84.0 : *south + 8.0;
}

int dc__standard_zone(dc_point p)
{
    double lon = p.lon >= 180.0 ? p.lon - 360.0 : p.lon;
    int zone = (int)floor((lon + 180.0) / 6.0) + 1;
    if (zone > 60)
        zone = 60;
    char band = dc_mgrs_band_letter(p.lat);
    if (band == 'V' && lon >= 3.0 && lon < 12.0)
        zone = 32;
    if (band == 'X' && lon >= 0.0 && lon < 42.0) {
        if (lon < 9.0)
            zone = 31;
        else if (lon < 21.0)
            zone = 33;
        else if (lon < 33.0)
            zone = 35;
        else
            zone = 37;
    }
    return zone;
}

double dc__zone_central_meridian(int zone)
{
    return -183.0 + 6.0 * zone;
}

void dc__zone_longitudes(int zone, int band, double *west, double *east)
{
    *west = -180.0 + 6.0 * (zone - 1);
    *east = *west + 6.0;
    if (band == dc__band_index('V')) {
        if (zone == 31)
            *east = 3.0;
        else if (zone == 32)
            *west = 3.0;
    } else if (band == dc__band_index('X') && zone >= 31 && zone <= 37) {
        static const double west_x[] = {0, 0, 9, 0, 21, 0, 33};
        static const double east_x[] = {9, 0, 21, 0, 33, 0, 42};
        *west = west_x[zone - 31];
        *east = east_x[zone - 31];
    }
}

dc_status dc_utm_in_zone(dc_point p, int zone, char hemisphere, dc_utm *out, dc_error *err)
{
    if (!dc__point_valid(p))
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                            "point is not a valid WGS84 latitude/longitude");
    if (zone < 1 || zone > 60 || (hemisphere != 'N' && hemisphere != 'S'))
        return dc_error_set(err, DC_INVALID, "zone", DC_NO_POSITION,
                            "UTM zone must be 1..60 with hemisphere N or S");
    if (p.lat < -80.0 || p.lat > 84.0)
        return dc_error_set(err, DC_UNSUPPORTED, "latitude", DC_NO_POSITION,
                            "latitude %.7f is in a polar cap (UTM covers 80S..84N; "
                            "UPS is not supported)",
                            p.lat);
    double e, n;
    dc_status rc = tm_transform(zone, 1, p.lon, p.lat, &e, &n, err);
    if (rc != DC_OK)
        return rc;
    out->zone = zone;
    out->hemisphere = hemisphere;
    out->easting = e + 0.0; /* PROJ applies the 500 km false easting */
    out->northing = hemisphere == 'S' ? n + 10000000.0 : n;
    return DC_OK;
}

dc_status dc_utm_from_point(dc_point p, dc_utm *out, dc_error *err)
{
    if (!dc__point_valid(p))
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                            "point is not a valid WGS84 latitude/longitude");
    if (p.lat < -80.0 || p.lat >= 84.0)
        return dc_error_set(err, DC_UNSUPPORTED, "latitude", DC_NO_POSITION,
                            "latitude %.7f is in a polar cap (UTM covers 80S..84N; "
                            "UPS is not supported)",
                            p.lat);
    return dc_utm_in_zone(p, dc__standard_zone(p), p.lat < 0.0 ? 'S' : 'N', out, err);
}

dc_status dc_utm_to_point(const dc_utm *utm, dc_point *out, dc_error *err)
{
    if (utm->zone < 1 || utm->zone > 60)
        return dc_error_set(err, DC_RANGE, "zone", DC_NO_POSITION, "UTM zone %d is not in 1..60",
                            utm->zone);
    if (utm->hemisphere != 'N' && utm->hemisphere != 'S')
        return dc_error_set(err, DC_INVALID, "hemisphere", DC_NO_POSITION,
                            "UTM hemisphere must be N or S");
    if (!isfinite(utm->easting) || utm->easting < 100000.0 || utm->easting > 900000.0)
        return dc_error_set(err, DC_RANGE, "easting", DC_NO_POSITION,
                            "easting %.1f m is outside the zone's valid band "
                            "(100000..900000 m)",
                            utm->easting);
    /* GeographicLib's bands: a little past 84 N and 80 S, since squares and
     * cells that straddle the grid's limits are still written in UTM. */
    double n_min = utm->hemisphere == 'N' ? 0.0 : 1000000.0;
    double n_max = utm->hemisphere == 'N' ? 9600000.0 : 10000000.0;
    if (!isfinite(utm->northing) || utm->northing < n_min || utm->northing > n_max)
        return dc_error_set(err, DC_RANGE, "northing", DC_NO_POSITION,
                            "northing %.1f m is outside the valid band of the "
                            "%s hemisphere (%.0f..%.0f m)",
                            utm->northing, utm->hemisphere == 'N' ? "northern" : "southern", n_min,
                            n_max);
    double y = utm->hemisphere == 'S' ? utm->northing - 10000000.0 : utm->northing;
    double lon, lat;
    dc_status rc = tm_transform(utm->zone, 0, utm->easting, y, &lon, &lat, err);
    if (rc != DC_OK)
        return rc;
    /* The grid ends at 80 S and 84 N; a point past it (or the centre of a
     * square that straddles it) belongs to UPS, which is not supported. */
    if (lat < -80.0 || lat >= 84.0)
        return dc_error_set(err, DC_RANGE, "northing", DC_NO_POSITION,
                            "the point falls at latitude %.7f, outside the UTM "
                            "grid (80S..84N); give it in degrees",
                            lat);
    if (lon < -180.0)
        lon += 360.0;
    if (lon > 180.0)
        lon -= 360.0;
    out->lat = lat;
    out->lon = lon;
    return DC_OK;
}

int dc__utm_s_reads_as_band(const dc_utm *utm)
{
    dc_utm as_band = *utm;
    as_band.hemisphere = 'N';
    dc_point q = {0, 0}; /* set on DC_OK; GCC's Release build cannot see it */
    return dc_utm_to_point(&as_band, &q, NULL) == DC_OK && q.lat >= 32.0 && q.lat < 40.0;
}
