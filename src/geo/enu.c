/* enu.c - local east-north-up tangent plane: orthographic projection of the ellipsoid onto it */
#include "geo_internal.h"

#include <math.h>

#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define WGS84_B (WGS84_A * (1.0 - WGS84_F))
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))

static void to_ecef(dc_point p, double xyz[3])
{
    double lat = p.lat * M_PI / 180.0, lon = p.lon * M_PI / 180.0;
    double s = sin(lat), c = cos(lat);
    double n = WGS84_A / sqrt(1.0 - WGS84_E2 * s * s);
    xyz[0] = n * c * cos(lon);
    xyz[1] = n * c * sin(lon);
    xyz[2] = n * (1.0 - WGS84_E2) * s;
}

dc_status dc_point_ecef(dc_point p, double xyz[3])
{
    dc_status rc = dc_point_validate(p);
    if (rc == DC_OK)
        to_ecef(p, xyz);
    return rc;
}

/* Surface ECEF point to latitude/longitude: on the surface the geodetic
 * latitude follows in closed form from the normal direction. */
static void from_ecef_surface(const double xyz[3], dc_point *out)
{
    double pxy = hypot(xyz[0], xyz[1]);
    out->lat = atan2(xyz[2], pxy * (1.0 - WGS84_E2)) * 180.0 / M_PI;
    out->lon = atan2(xyz[1], xyz[0]) * 180.0 / M_PI;
}

void dc_enu_axes(double sl, double cl, double so, double co, double east[3], double north[3],
                 double up[3])
{
    if (east != NULL) {
        east[0] = -so;
        east[1] = co;
        east[2] = 0;
    }
    if (north != NULL) {
        north[0] = -sl * co;
        north[1] = -sl * so;
        north[2] = cl;
    }
    if (up != NULL) {
        up[0] = cl * co;
        up[1] = cl * so;
        up[2] = sl;
    }
}

dc_status dc_enu_frame_init(dc_point origin, dc_enu_frame *out)
{
    if (!dc__point_valid(origin) || out == NULL)
        return DC_INVALID;
    double lat = origin.lat * M_PI / 180.0, lon = origin.lon * M_PI / 180.0;
    double sl = sin(lat), cl = cos(lat), so = sin(lon), co = cos(lon);
    out->origin = origin;
    dc_enu_axes(sl, cl, so, co, out->east, out->north, out->up);
    to_ecef(origin, out->origin_ecef);
    return DC_OK;
}

dc_status dc_enu_forward(const dc_enu_frame *frame, dc_point p, double *east_m, double *north_m)
{
    if (!dc__point_valid(p))
        return DC_INVALID;
    double xyz[3];
    to_ecef(p, xyz);
    double d[3] = {xyz[0] - frame->origin_ecef[0], xyz[1] - frame->origin_ecef[1],
                   xyz[2] - frame->origin_ecef[2]};
    /* Beyond the horizon the projection folds back over itself. */
    double normal = xyz[0] * frame->up[0] + xyz[1] * frame->up[1] + xyz[2] * frame->up[2];
    if (normal <= 0.0)
        return DC_RANGE;
    *east_m = d[0] * frame->east[0] + d[1] * frame->east[1] + d[2] * frame->east[2];
    *north_m = d[0] * frame->north[0] + d[1] * frame->north[1] + d[2] * frame->north[2];
    return DC_OK;
}

dc_status dc_enu_inverse(const dc_enu_frame *frame, double east_m, double north_m, dc_point *out)
{
    if (!isfinite(east_m) || !isfinite(north_m) || out == NULL)
        return DC_INVALID;
    /* P(u) = O + e*E + n*N + u*U; solve x²/a² + y²/a² + z²/b² = 1 for the
     * root nearest the plane (the visible side). */
    double base[3],
        w[3] = {1.0 / (WGS84_A * WGS84_A), 1.0 / (WGS84_A * WGS84_A), 1.0 / (WGS84_B * WGS84_B)};
    for (int k = 0; k < 3; k++)
        base[k] = frame->origin_ecef[k] + east_m * frame->east[k] + north_m * frame->north[k];
    double qa = 0, qb = 0, qc = -1.0;
    for (int k = 0; k < 3; k++) {
        qa += w[k] * frame->up[k] * frame->up[k];
        qb += 2.0 * w[k] * base[k] * frame->up[k];
        qc += w[k] * base[k] * base[k];
    }
    double disc = qb * qb - 4.0 * qa * qc;
    if (disc < 0.0)
        return DC_RANGE;
    double u = (-qb + sqrt(disc)) / (2.0 * qa);
    double xyz[3];
    for (int k = 0; k < 3; k++)
        xyz[k] = base[k] + u * frame->up[k];
    from_ecef_surface(xyz, out);
    return DC_OK;
}
