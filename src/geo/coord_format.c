/* coord_format.c - write a point in each notation and read it back to its sender */
#include "geo_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *dc_notation_name(dc_notation notation)
{
    switch (notation) {
    case DC_NOTATION_DD:
        return "dd";
    case DC_NOTATION_DM:
        return "dm";
    case DC_NOTATION_DMS:
        return "dms";
    case DC_NOTATION_MGRS:
        return "mgrs";
    case DC_NOTATION_UTM:
        return "utm";
    }
    return "unknown";
}

dc_coord_style dc_coord_style_default(dc_notation notation)
{
    dc_coord_style s = {notation, DC_HEMISPHERE_SUFFIX, 5, 0};
    if (notation == DC_NOTATION_DD)
        s.hemisphere_style = DC_HEMISPHERE_SIGNED;
    return s;
}

/* One axis in DD/DM/DMS. Rounding is done once, on an integer count of the
 * smallest unit shown, so that 59.999" never prints as 60.00". */
static void format_axis(double value, int is_lat, dc_notation notation, dc_hemisphere_style style,
                        char *buf, size_t size)
{
    char hemi = is_lat ? (value < 0 ? 'S' : 'N') : (value < 0 ? 'W' : 'E');
    double mag = fabs(value);
    char body[40];
    int width = is_lat ? 2 : 3;
    if (notation == DC_NOTATION_DD) {
        if (style == DC_HEMISPHERE_SIGNED)
            snprintf(body, sizeof body, "%.7f", value);
        else
            snprintf(body, sizeof body, "%.7f", mag);
    } else if (notation == DC_NOTATION_DM) {
        long long t = llround(mag * 600000.0); /* 0.0001 minute */
        snprintf(body, sizeof body, "%0*lld\xC2\xB0%02lld.%04lld'", width, t / 600000,
                 (t % 600000) / 10000, t % 10000);
    } else {
        long long t = llround(mag * 360000.0); /* 0.01 second */
        snprintf(body, sizeof body, "%0*lld\xC2\xB0%02lld'%02lld.%02lld\"", width, t / 360000,
                 (t % 360000) / 6000, (t % 6000) / 100, t % 100);
    }
    if (style == DC_HEMISPHERE_PREFIX)
        snprintf(buf, size, "%c%s", hemi, body);
    else if (style == DC_HEMISPHERE_SUFFIX)
        snprintf(buf, size, "%s%c", body, hemi);
    else if (value < 0 && notation != DC_NOTATION_DD)
        snprintf(buf, size, "-%s", body);
    else
        snprintf(buf, size, "%s", body);
}

dc_status dc_coord_format(dc_point p, const dc_coord_style *style, char *buf, size_t size,
                          dc_error *err)
{
    if (!dc__point_valid(p))
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                            "point is not a valid WGS84 latitude/longitude");
    if (style == NULL || buf == NULL || size == 0)
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "no style or buffer");
    int written;
    switch (style->notation) {
    case DC_NOTATION_MGRS:
        return dc__mgrs_format(p, style->mgrs_digits, buf, size, err);
    case DC_NOTATION_UTM: {
        dc_utm utm;
        dc_status rc = dc_utm_from_point(p, &utm, err);
        if (rc != DC_OK)
            return rc;
        /* Never write a letter that reads two ways: band S is written as
         * N (same northing origin), and a southern point whose northing
         * would also fit band S gets its own band letter (C..M). */
        char letter = style->utm_band ? dc_mgrs_band_letter(p.lat) : utm.hemisphere;
        if (letter == 'S' && (style->utm_band || dc__utm_s_reads_as_band(&utm)))
            letter = style->utm_band ? 'N' : dc_mgrs_band_letter(p.lat);
        written = snprintf(buf, size, "%02d%c %.0f %.0f", utm.zone, letter,
                           floor(utm.easting + 0.5), floor(utm.northing + 0.5));
        break;
    }
    case DC_NOTATION_DD:
    case DC_NOTATION_DM:
    case DC_NOTATION_DMS: {
        char lat[48], lon[48];
        format_axis(p.lat, 1, style->notation, style->hemisphere_style, lat, sizeof lat);
        format_axis(p.lon, 0, style->notation, style->hemisphere_style, lon, sizeof lon);
        const char *sep = style->hemisphere_style == DC_HEMISPHERE_SIGNED ? ", " : " ";
        written = snprintf(buf, size, "%s%s%s", lat, sep, lon);
        break;
    }
    default:
        return dc_error_set(err, DC_INVALID, "notation", DC_NO_POSITION, "unknown notation");
    }
    if (written < 0 || (size_t)written >= size)
        return dc_error_set(err, DC_RANGE, "", DC_NO_POSITION, "buffer too small");
    return DC_OK;
}

dc_status dc_coord_readback_of(dc_point p, const dc_coord_info *info, dc_readback *out,
                               dc_error *err)
{
    if (info == NULL || out == NULL)
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "no coordinate info");
    memset(out, 0, sizeof *out);
    dc_coord_style own = dc_coord_style_default(info->notation);
    own.hemisphere_style = info->hemisphere_style;
    own.mgrs_digits = info->notation == DC_NOTATION_MGRS ? info->mgrs_digits : 5;
    own.utm_band = info->utm_band;
    dc_coord_style dd = dc_coord_style_default(DC_NOTATION_DD);
    dc_coord_style mgrs = dc_coord_style_default(DC_NOTATION_MGRS);
    mgrs.mgrs_digits = own.mgrs_digits;
    out->notation = info->notation;
    dc_status rc = dc_coord_format(p, &dd, out->dd, sizeof out->dd, err);
    if (rc != DC_OK)
        return rc;
    rc = dc_coord_format(p, &own, out->own, sizeof out->own, err);
    if (rc != DC_OK)
        return rc;
    if (dc_coord_format(p, &mgrs, out->mgrs, sizeof out->mgrs, NULL) != DC_OK)
        out->mgrs[0] = '\0'; /* polar cap: no MGRS without UPS */
    return DC_OK;
}

dc_status dc_coord_readback(const char *text, dc_point *out, dc_readback *readback, dc_error *err)
{
    dc_coord_info info;
    dc_point p;
    dc_status rc = dc_coord_parse(text, &p, &info, err);
    if (rc != DC_OK)
        return rc;
    rc = dc_coord_readback_of(p, &info, readback, err);
    if (rc == DC_OK && out != NULL)
        *out = p;
    return rc;
}
