/* mgrs.c - Military Grid Reference System (WGS84, "AA" lettering) over UTM; polar UPS refused */
#include "geo_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Column letters repeat every three zones; row letters repeat every 2,000 km
 * of northing and start five letters later in even zones. I and O are never
 * used, so that they cannot be misread as 1 and 0. */
static const char *const column_sets[3] = {"ABCDEFGH", "JKLMNPQR", "STUVWXYZ"};
static const char row_letters[] = "ABCDEFGHJKLMNPQRSTUV";

dc_status dc__mgrs_format(dc_point p, int digits, char *buf, size_t size, dc_error *err)
{
    if (digits < 0 || digits > 5)
        return dc_error_set(err, DC_INVALID, "precision", DC_NO_POSITION,
                            "MGRS precision must be 0..5 digit pairs");
    dc_utm utm;
    dc_status rc = dc_utm_from_point(p, &utm, err);
    if (rc != DC_OK)
        return rc;
    char band = dc_mgrs_band_letter(p.lat);
    long e = (long)floor(utm.easting);
    long n = (long)floor(utm.northing);
    int col = (int)(e / 100000);
    int row = (int)((n % 2000000) / 100000);
    if (utm.zone % 2 == 0)
        row = (row + 5) % 20;
    if (col < 1 || col > 8)
        return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "easting %ld outside the grid",
                            e);
    long div = 1;
    for (int i = digits; i < 5; i++)
        div *= 10;
    char square[8];
    snprintf(square, sizeof square, "%02d%c%c%c", utm.zone, band,
             column_sets[(utm.zone - 1) % 3][col - 1], row_letters[row]);
    int written = digits == 0 ? snprintf(buf, size, "%s", square)
                              : snprintf(buf, size, "%s%0*ld%0*ld", square, digits,
                                         (e % 100000) / div, digits, (n % 100000) / div);
    if (written < 0 || (size_t)written >= size)
        return dc_error_set(err, DC_RANGE, "", DC_NO_POSITION, "buffer too small for MGRS text");
    return DC_OK;
}

static int letter_index(const char *set, char c)
{
    const char *hit = strchr(set, c);
    return hit != NULL && c != '\0' ? (int)(hit - set) : -1;
}

/* The northing range a band covers inside a zone: parallels curve towards
 * the nearer pole, so the extremes lie at the central meridian or the zone
 * edge, and both are evaluated. */
static dc_status band_northings(int zone, int band, double *lo, double *hi, dc_error *err)
{
    double south, north, west, east;
    dc__band_latitudes(band, &south, &north);
    dc__zone_longitudes(zone, band, &west, &east);
    double cm = dc__zone_central_meridian(zone);
    double lons[3] = {cm, west, east - 1e-9};
    double lats[2] = {south, north - 1e-9};
    char hemisphere = band < 10 ? 'S' : 'N';
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
            if (lons[j] < west || lons[j] > east)
                continue;
            dc_utm utm;
            dc_point p = {lats[i], lons[j]};
            dc_status rc = dc_utm_in_zone(p, zone, hemisphere, &utm, err);
            if (rc != DC_OK)
                return rc;
            *lo = fmin(*lo, utm.northing);
            *hi = fmax(*hi, utm.northing);
        }
    }
    return DC_OK;
}

/* Digits from text[i] on: one run split in halves, or two space-separated runs of equal length,
 * into digits (*count of them, even, at most 10). */
static dc_status read_digits(const char *text, size_t i, char digits[16], size_t *count,
                             dc_error *err)
{
    size_t ndigits = 0, first_run = 0, runs = 0, digits_pos = i;
    while (text[i] != '\0') {
        if (text[i] == ' ' || text[i] == '\t') {
            i++;
            continue;
        }
        if (!isdigit((unsigned char)text[i]))
            return dc_error_set(err, DC_INVALID, "mgrs", i, "unexpected '%c' in MGRS digits",
                                text[i]);
        if (i == digits_pos || text[i - 1] == ' ' || text[i - 1] == '\t') {
            runs++;
            if (runs == 2)
                first_run = ndigits;
        }
        if (ndigits >= 10)
            return dc_error_set(err, DC_RANGE, "mgrs", i,
                                "more than 5 digit pairs: MGRS precision stops "
                                "at 1 m");
        digits[ndigits++] = text[i++];
    }
    if (runs > 2)
        return dc_error_set(err, DC_INVALID, "mgrs", digits_pos,
                            "MGRS digits must be one run or easting and northing");
    if (ndigits % 2 != 0)
        return dc_error_set(err, DC_AMBIGUOUS, "mgrs", digits_pos,
                            "MGRS has an odd number of digits (%zu): easting and "
                            "northing cannot be told apart",
                            ndigits);
    if (runs == 2 && first_run * 2 != ndigits)
        return dc_error_set(err, DC_INVALID, "mgrs", digits_pos,
                            "MGRS easting and northing have different numbers of "
                            "digits");
    *count = ndigits;
    return DC_OK;
}

/* Whether the square at (easting, northing) of side `cell` designates a point of the zone. */
static int square_in_zone(int zone, int band, double easting, double northing, double cell)
{
    /* Zones narrow towards the poles while the letters still run over
     * 100..900 km of easting: a square whose nearest edge to the central
     * meridian is outside the zone's longitudes designates no point of it. */
    double west, east;
    dc__zone_longitudes(zone, band, &west, &east);
    int inside = 0, evaluated = 0;
    for (int corner = 0; corner < 2 && !inside; corner++) {
        dc_utm nearest = {zone, band < 10 ? 'S' : 'N',
                          fmin(fmax(500000.0, easting), easting + cell), northing + corner * cell};
        dc_point edge;
        if (dc_utm_to_point(&nearest, &edge, NULL) == DC_OK) {
            evaluated = 1;
            inside = edge.lon >= west && edge.lon <= east;
        }
    }
    return !evaluated || inside;
}

dc_status dc__mgrs_parse(const char *text, dc_point *out, dc_coord_info *info, dc_error *err)
{
    size_t i = 0;
    while (text[i] == ' ' || text[i] == '\t')
        i++;
    size_t start = i;
    int zone = 0;
    while (isdigit((unsigned char)text[i]) && i - start < 3)
        zone = zone * 10 + (text[i++] - '0');
    if (i == start) {
        if (strchr("ABYZ", toupper((unsigned char)text[i])) != NULL && text[i] != '\0')
            return dc_error_set(err, DC_UNSUPPORTED, "mgrs", i,
                                "polar MGRS (UPS, bands A/B/Y/Z) is not supported; "
                                "give the point in degrees");
        return dc_error_set(err, DC_INVALID, "mgrs", i, "MGRS must start with a zone number");
    }
    if (i - start > 2 || zone < 1 || zone > 60)
        return dc_error_set(err, DC_RANGE, "zone", start, "MGRS zone must be 1..60");
    while (text[i] == ' ')
        i++;
    char band_char = (char)toupper((unsigned char)text[i]);
    int band = dc__band_index(band_char);
    if (band < 0) {
        if (band_char != '\0' && strchr("ABYZ", band_char) != NULL)
            return dc_error_set(err, DC_UNSUPPORTED, "band", i,
                                "band %c is polar (UPS), which is not supported", band_char);
        return dc_error_set(err, DC_INVALID, "band", i,
                            "'%c' is not a latitude band letter C..X without I "
                            "and O",
                            band_char ? band_char : '?');
    }
    if (band == 19 && (zone == 32 || zone == 34 || zone == 36))
        return dc_error_set(err, DC_INVALID, "zone", start,
                            "zone %dX does not exist: Svalbard is covered by "
                            "zones 31X, 33X, 35X and 37X",
                            zone);
    size_t band_pos = i++;
    while (text[i] == ' ')
        i++;
    size_t square_pos = i;
    char col_char = (char)toupper((unsigned char)text[i]);
    char row_char = col_char ? (char)toupper((unsigned char)text[i + 1]) : '\0';
    if (!isalpha((unsigned char)col_char) || !isalpha((unsigned char)row_char))
        return dc_error_set(err, DC_INVALID, "square", i,
                            "MGRS needs two 100 km square letters after the band");
    int col = letter_index(column_sets[(zone - 1) % 3], col_char);
    if (col < 0)
        return dc_error_set(err, DC_INVALID, "square", i,
                            "100 km square column letter %c is not used in zone "
                            "%d (it uses %s)",
                            col_char, zone, column_sets[(zone - 1) % 3]);
    int row = letter_index(row_letters, row_char);
    if (row < 0)
        return dc_error_set(err, DC_INVALID, "square", i + 1,
                            "100 km square row letter %c is not used in MGRS "
                            "(A..V without I and O)",
                            row_char);
    i += 2;

    char digits[16];
    size_t ndigits = 0;
    dc_status rc = read_digits(text, i, digits, &ndigits, err);
    if (rc != DC_OK)
        return rc;
    int half = (int)ndigits / 2;
    double cell = 100000.0;
    long e_digits = 0, n_digits = 0;
    for (int k = 0; k < half; k++) {
        cell /= 10.0;
        e_digits = e_digits * 10 + (digits[k] - '0');
        n_digits = n_digits * 10 + (digits[half + k] - '0');
    }
    int row_index = zone % 2 == 0 ? (row + 15) % 20 : row; /* undo the even-zone shift */
    double easting = (col + 1) * 100000.0 + e_digits * cell;
    double northing_mod = row_index * 100000.0 + n_digits * cell;

    double lo, hi;
    rc = band_northings(zone, band, &lo, &hi, err);
    if (rc != DC_OK)
        return rc;
    /* The square's cell must overlap the band; rows repeat every 2,000 km
     * and a band is at most 1,335 km tall, so at most one cycle fits. */
    int found = 0;
    double northing = 0;
    for (int k = 0; k < 6 && !found; k++) {
        double n = northing_mod + k * 2000000.0;
        if (n + cell > lo && n < hi) {
            northing = n;
            found = 1;
        }
    }
    if (!found)
        return dc_error_set(err, DC_INVALID, "square", square_pos,
                            "100 km square %c%c does not lie in band %c of zone "
                            "%d",
                            col_char, row_char, band_char, zone);
    if (!square_in_zone(zone, band, easting, northing, cell))
        return dc_error_set(err, DC_INVALID, "square", square_pos,
                            "100 km square %c%c lies outside zone %d at this latitude", col_char,
                            row_char, zone);
    dc_utm utm = {zone, band < 10 ? 'S' : 'N', easting + cell / 2.0, northing + cell / 2.0};
    dc_point p;
    rc = dc_utm_to_point(&utm, &p, err);
    if (rc != DC_OK) {
        if (err != NULL)
            err->position = band_pos;
        return rc;
    }
    *out = p;
    if (info != NULL) {
        memset(info, 0, sizeof *info);
        info->notation = DC_NOTATION_MGRS;
        info->mgrs_digits = half;
        info->cell_m = cell;
    }
    return DC_OK;
}
