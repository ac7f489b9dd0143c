/* geo.h - unambiguous WGS84 coordinates: parse, format, read back; geodesics; local tangent plane
 */
#ifndef DECONFLICT_GEO_H
#define DECONFLICT_GEO_H

#include "deconflict/status.h"

/* A WGS84 position in degrees: latitude in [-90, 90], longitude in [-180, 180]. */
typedef struct dc_point {
    double lat;
    double lon;
} dc_point;

typedef enum dc_notation {
    DC_NOTATION_DD,   /* decimal degrees            33.3, 44.4 / 33.3N 44.4E     */
    DC_NOTATION_DM,   /* degrees, decimal minutes   33°18.0'N 44°24.0'E          */
    DC_NOTATION_DMS,  /* degrees, minutes, seconds  33°18'00"N 44°24'00"E        */
    DC_NOTATION_MGRS, /* military grid reference    38SMB4414084706              */
    DC_NOTATION_UTM   /* zone+hemisphere E N        38N 444141 3684706           */
} dc_notation;

/* How hemispheres were (or are to be) written for DD, DM and DMS. */
typedef enum dc_hemisphere_style {
    DC_HEMISPHERE_SIGNED, /* -33.3, 44.4            */
    DC_HEMISPHERE_PREFIX, /* S33.3 E44.4            */
    DC_HEMISPHERE_SUFFIX  /* 33.3S 44.4E            */
} dc_hemisphere_style;

/* What the parser learnt about the text, so a read-back can answer in the
 * sender's own notation. */
typedef struct dc_coord_info {
    dc_notation notation;
    dc_hemisphere_style hemisphere_style;
    int lon_first;   /* the text gave longitude before latitude */
    int mgrs_digits; /* MGRS: digits per axis, 0..5 (100 km .. 1 m) */
    double cell_m;   /* MGRS: side of the designated square in metres; else 0 */
    int utm_band;    /* UTM: the text used a latitude band letter, not N/S */
} dc_coord_info;

/* Longest text any formatter here writes, with its terminator. */
#define DC_COORD_TEXT_MAX 64

/* Parse one coordinate in any accepted notation (see `deconflict coord
 * --help`). On success writes the WGS84 point to *out (for MGRS the centre
 * of the square) and, when `info` is not NULL, what was recognised.
 * Returns DC_OK; DC_INVALID (malformed text, trailing junk, NaN/Inf),
 * DC_AMBIGUOUS (order or hemisphere cannot be told, odd MGRS digits),
 * DC_RANGE (latitude/longitude/minutes/seconds/zone/easting/northing out of
 * range), DC_UNSUPPORTED (polar UPS grid); details and the byte position in
 * `err`. *out is left untouched on failure. Thread-safe. */
dc_status dc_coord_parse(const char *text, dc_point *out, dc_coord_info *info, dc_error *err);

/* How to write a point. `mgrs_digits` (0..5) is used for MGRS only. */
typedef struct dc_coord_style {
    dc_notation notation;
    dc_hemisphere_style hemisphere_style; /* DD/DM/DMS */
    int mgrs_digits;
    int utm_band; /* UTM: write the latitude band letter instead of N/S */
} dc_coord_style;

/* The canonical style of a notation: signed DD with 7 decimals, suffix
 * letters for DM (0.0001') and DMS (0.01"), MGRS at 1 m, UTM with N/S. */
dc_coord_style dc_coord_style_default(dc_notation notation);

/* Write `p` into buf (size >= DC_COORD_TEXT_MAX is always enough).
 * Returns DC_OK; DC_INVALID for a NaN or out-of-range point or a bad style;
 * DC_UNSUPPORTED for MGRS/UTM outside 80°S..84°N (UPS is not supported);
 * DC_RANGE when buf is too small. */
dc_status dc_coord_format(dc_point p, const dc_coord_style *style, char *buf, size_t size,
                          dc_error *err);

/* A point echoed back to its sender: in the sender's notation and style,
 * plus decimal degrees and MGRS (at the sender's MGRS precision if it used
 * MGRS, else 1 m). `mgrs` is empty when the point lies in a polar cap. */
typedef struct dc_readback {
    dc_notation notation;
    char own[DC_COORD_TEXT_MAX];
    char dd[DC_COORD_TEXT_MAX];
    char mgrs[DC_COORD_TEXT_MAX];
} dc_readback;

/* Fill *out for `p` as parsed with `info`. Returns DC_OK or DC_INVALID
 * (NaN/out-of-range point). */
dc_status dc_coord_readback_of(dc_point p, const dc_coord_info *info, dc_readback *out,
                               dc_error *err);

/* Parse `text` and read it back in one step: the dc_coord_readback. */
dc_status dc_coord_readback(const char *text, dc_point *out, dc_readback *readback, dc_error *err);

const char *dc_notation_name(dc_notation notation);

/* DC_OK for a WGS84 point; DC_INVALID for NaN/Inf; DC_RANGE for a latitude
 * beyond ±90 or a longitude beyond ±180. */
dc_status dc_point_validate(dc_point p); /* "dd", "dm", "dms", "mgrs", "utm" */

/* ---- UTM (through PROJ's transverse Mercator) ------------------------- */

typedef struct dc_utm {
    int zone;        /* 1..60 */
    char hemisphere; /* 'N' or 'S' */
    double easting;  /* metres, false easting 500 km */
    double northing; /* metres, false northing 10,000 km in the south */
} dc_utm;

/* The standard UTM zone of `p` (with the Norway and Svalbard exceptions)
 * and its coordinates. DC_UNSUPPORTED outside 80°S..84°N; DC_INVALID for a
 * NaN or out-of-range point; DC_INTERNAL if PROJ fails. */
dc_status dc_utm_from_point(dc_point p, dc_utm *out, dc_error *err);

/* `p` in a given zone (1..60) and hemisphere ('N'/'S'), e.g. to keep one
 * zone across a region. Same failures as dc_utm_from_point. */
dc_status dc_utm_in_zone(dc_point p, int zone, char hemisphere, dc_utm *out, dc_error *err);

/* The point of a UTM coordinate. DC_RANGE when zone, easting (100..900 km)
 * or northing (north 0..9,600 km, south 1,000..10,000 km) is outside the
 * zone's valid band or the point falls outside 80°S..84°N. */
dc_status dc_utm_to_point(const dc_utm *utm, dc_point *out, dc_error *err);

/* The MGRS latitude band letter of a latitude in [-80, 84), or 0. */
char dc_mgrs_band_letter(double lat);

/* ---- geodesics on WGS84 (PROJ's geodesic API) --------------------------- */

/* Distance (m) and initial azimuth (degrees clockwise from north, in
 * (-180, 180]) from a to b. Either output may be NULL. DC_INVALID for a
 * NaN or out-of-range point. */
dc_status dc_geodesic_inverse(dc_point a, dc_point b, double *distance_m, double *azimuth_deg);

/* The point at `distance_m` from `a` along initial azimuth `azimuth_deg`,
 * and the azimuth there (may be NULL). DC_INVALID for NaN input. */
dc_status dc_geodesic_direct(dc_point a, double azimuth_deg, double distance_m, dc_point *out,
                             double *final_azimuth_deg);

/* Earth-centred, earth-fixed coordinates (m) of a surface point.
 * DC_INVALID/DC_RANGE as dc_point_validate. */
dc_status dc_point_ecef(dc_point p, double xyz[3]);

/* ---- local east-north-up tangent plane --------------------------------- */

/* A tangent plane touching the ellipsoid at `origin`. Points of the
 * ellipsoid surface are projected orthogonally onto it: east/north in
 * metres. Scale error is (d/R)^2/2: 0.03 % at 100 km, 0.3 % at 300 km, so
 * frames are centred on the geometry they serve. */
typedef struct dc_enu_frame {
    dc_point origin;
    double east[3], north[3], up[3]; /* unit vectors in ECEF */
    double origin_ecef[3];
} dc_enu_frame;

/* DC_INVALID for a NaN or out-of-range origin. */
dc_status dc_enu_frame_init(dc_point origin, dc_enu_frame *out);

/* The unit east, north and up vectors in earth-centred coordinates at a latitude and longitude
 * given by their sines and cosines (any of the three may be NULL). Can't fail. */
void dc_enu_axes(double sin_lat, double cos_lat, double sin_lon, double cos_lon, double east[3],
                 double north[3], double up[3]);

/* Project a surface point. DC_RANGE when it lies on the far side of the
 * earth from the origin (more than 90° away), DC_INVALID for NaN. */
dc_status dc_enu_forward(const dc_enu_frame *frame, dc_point p, double *east_m, double *north_m);

/* The surface point that projects to (east, north). DC_RANGE when the plane
 * point lies beyond the ellipsoid's outline. */
dc_status dc_enu_inverse(const dc_enu_frame *frame, double east_m, double north_m, dc_point *out);

#endif
