/* test_geoconvert_oracle.c - agreement with GeographicLib's GeoConvert on random and edge points */
#include "deconflict/geo.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* GeoConvert is an independent implementation (Karney's Krüger series and
 * its own MGRS lettering), so agreement here is evidence, not tautology.
 * Points: uniform over the sphere, plus zone edges, band edges, the Norway
 * and Svalbard exceptions and both polar caps, where MGRS needs UPS, which
 * Deconflict refuses (DC_UNSUPPORTED): those are checked for the refusal. */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static dc_point *make_points(size_t n, size_t *count)
{
    dc_point *pts = calloc(n + 2000, sizeof *pts);
    size_t k = 0;
    /* Edges first: just inside and outside every zone and band boundary. */
    static const double eps[] = {-1e-7, 0.0, 1e-7};
    for (int z = 0; z < 60; z++)
        for (int e = 0; e < 3; e++)
            pts[k++] = (dc_point){-79.0 + uniform() * 162.0,
                                  -180.0 + 6.0 * z + eps[e] + (z == 0 && e == 0 ? 1e-6 : 0)};
    for (int b = 1; b < 20; b++)
        for (int e = 0; e < 3; e++)
            pts[k++] = (dc_point){-80.0 + 8.0 * b + eps[e], -180.0 + uniform() * 360.0};
    /* Norway: 56..64 N, 0..12 E; Svalbard: 72..84 N, 0..42 E. */
    for (int i = 0; i < 300; i++)
        pts[k++] = (dc_point){56.0 + uniform() * 8.0, uniform() * 12.0};
    for (int i = 0; i < 400; i++)
        pts[k++] = (dc_point){72.0 + uniform() * 12.0, uniform() * 42.0};
    static const double svalbard_edges[] = {9.0, 21.0, 33.0, 42.0, 3.0, 12.0};
    for (int i = 0; i < 6; i++)
        for (int e = 0; e < 3; e++)
            pts[k++] = (dc_point){i < 4 ? 72.0 + uniform() * 11.9 : 56.0 + uniform() * 7.9,
                                  svalbard_edges[i] + eps[e]};
    /* Polar caps and the UTM limits themselves. */
    for (int i = 0; i < 200; i++)
        pts[k++] = (dc_point){84.0 + uniform() * 6.0, -180.0 + uniform() * 360.0};
    for (int i = 0; i < 200; i++)
        pts[k++] = (dc_point){-90.0 + uniform() * 10.0, -180.0 + uniform() * 360.0};
    pts[k++] = (dc_point){84.0, 10.0};
    pts[k++] = (dc_point){83.9999999, 10.0};
    pts[k++] = (dc_point){-80.0, 10.0};
    pts[k++] = (dc_point){-80.0000001, 10.0};
    /* The rest uniform over the sphere (area-uniform latitude). */
    while (k < n) {
        double lat = asin(2.0 * uniform() - 1.0) * 180.0 / M_PI;
        pts[k++] = (dc_point){lat, -180.0 + uniform() * 360.0};
    }
    *count = k;
    return pts;
}

/* Run GeoConvert with `args` on the points (or the given lines) and
 * return its output lines. */
static char **run_geoconvert(const char *args, const char *input_path, size_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "GeoConvert %s --input-file %s", args, input_path);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return NULL;
    char **lines = calloc(n, sizeof *lines);
    char buf[256];
    size_t i = 0;
    while (i < n && fgets(buf, sizeof buf, f) != NULL) {
        buf[strcspn(buf, "\r\n")] = '\0';
        lines[i++] = strdup(buf);
    }
    int status = pclose(f);
    if (i != n || status != 0) {
        fprintf(stderr, "GeoConvert %s: %zu of %zu lines, status %d\n", args, i, n, status);
        for (size_t j = 0; j < i; j++)
            free(lines[j]);
        free(lines);
        return NULL;
    }
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    if (lines == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* GeoConvert writes d for the degree sign; ours is U+00B0. */
static void ascii_degrees(const char *in, char *out, size_t size)
{
    size_t j = 0;
    for (size_t i = 0; in[i] != '\0' && j + 1 < size; i++) {
        if ((unsigned char)in[i] == 0xC2 && (unsigned char)in[i + 1] == 0xB0) {
            out[j++] = 'd';
            i++;
        } else {
            out[j++] = in[i];
        }
    }
    out[j] = '\0';
}

int main(int argc, char **argv)
{
    size_t want = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    size_t n = 0;
    dc_point *pts = make_points(want, &n);
    char points_path[] = "/tmp/dc_oracle_pointsXXXXXX";
    char mgrs_path[] = "/tmp/dc_oracle_mgrsXXXXXX";
    int fd = mkstemp(points_path);
    FILE *pf = fdopen(fd, "w");
    for (size_t i = 0; i < n; i++)
        fprintf(pf, "%.12f %.12f\n", pts[i].lat, pts[i].lon);
    fclose(pf);

    char **g_mgrs = run_geoconvert("-m -p 0", points_path, n);
    char **g_dms = run_geoconvert("-d -p 1", points_path, n);
    char **g_utm = run_geoconvert("-u -p 4", points_path, n);
    if (g_mgrs == NULL || g_dms == NULL || g_utm == NULL) {
        fprintf(stderr, "GeoConvert (geographiclib-tools) is needed for this test\n");
        return 1;
    }

    size_t failures = 0, mgrs_compared = 0, dms_compared = 0, utm_compared = 0, polar_refused = 0,
           roundtrips = 0;
    char **ours_mgrs = calloc(n, sizeof *ours_mgrs);
    for (size_t i = 0; i < n; i++) {
        dc_point p = pts[i];
        int polar = p.lat >= 84.0 || p.lat < -80.0;
        char buf[DC_COORD_TEXT_MAX], cmp[DC_COORD_TEXT_MAX];
        dc_error err;

        dc_coord_style dms = dc_coord_style_default(DC_NOTATION_DMS);
        if (dc_coord_format(p, &dms, buf, sizeof buf, &err) != DC_OK) {
            fprintf(stderr, "DMS format failed at %.12f %.12f: %s\n", p.lat, p.lon, err.message);
            failures++;
        } else {
            ascii_degrees(buf, cmp, sizeof cmp);
            dms_compared++;
            if (strcmp(cmp, g_dms[i]) != 0) {
                fprintf(stderr, "DMS differs at %.12f %.12f: ours %s, GeoConvert %s\n", p.lat,
                        p.lon, cmp, g_dms[i]);
                failures++;
            }
        }

        dc_coord_style mgrs = dc_coord_style_default(DC_NOTATION_MGRS);
        dc_status rc = dc_coord_format(p, &mgrs, buf, sizeof buf, &err);
        if (polar) {
            char g0 = g_mgrs[i][0];
            int geoconvert_ups = p.lat < 0 ? (g0 == 'A' || g0 == 'B') : (g0 == 'Y' || g0 == 'Z');
            if (rc != DC_UNSUPPORTED || !geoconvert_ups) {
                fprintf(stderr, "polar point %.12f %.12f: status %s, GeoConvert %s\n", p.lat, p.lon,
                        dc_status_name(rc), g_mgrs[i]);
                failures++;
            } else {
                polar_refused++;
            }
            continue;
        }
        if (rc != DC_OK) {
            fprintf(stderr, "MGRS format failed at %.12f %.12f: %s\n", p.lat, p.lon, err.message);
            failures++;
            continue;
        }
        mgrs_compared++;
        if (strcmp(buf, g_mgrs[i]) != 0) {
            fprintf(stderr, "MGRS differs at %.12f %.12f: ours %s, GeoConvert %s\n", p.lat, p.lon,
                    buf, g_mgrs[i]);
            failures++;
        }
        ours_mgrs[i] = strdup(buf);

        /* DD -> MGRS -> DD: the centre of the 1 m square is within half
         * the cell of the point on each grid axis. Within half a metre of
         * 84 N or 80 S the centre lies past the grid, which is refused. */
        dc_point back;
        if (p.lat > 84.0 - 1e-5 || p.lat < -80.0 + 1e-5) {
            dc_status brc = dc_coord_parse(buf, &back, NULL, &err);
            if (brc == DC_OK ? (back.lat < -80.0 || back.lat >= 84.0) : brc != DC_RANGE) {
                fprintf(stderr, "MGRS %s at the grid limit: %s\n", buf, dc_status_name(brc));
                failures++;
            } else {
                roundtrips++;
            }
            ours_mgrs[i][0] = brc == DC_OK ? ours_mgrs[i][0] : '\0';
            continue;
        }
        dc_coord_info info;
        dc_utm u0, u1;
        if (dc_coord_parse(buf, &back, &info, &err) != DC_OK ||
            dc_utm_from_point(p, &u0, NULL) != DC_OK ||
            dc_utm_in_zone(back, u0.zone, u0.hemisphere, &u1, NULL) != DC_OK ||
            fabs(u1.easting - u0.easting) > 0.5 + 1e-6 ||
            fabs(u1.northing - u0.northing) > 0.5 + 1e-6 || info.cell_m != 1.0) {
            fprintf(stderr, "MGRS round trip of %.12f %.12f via %s failed (%s)\n", p.lat, p.lon,
                    buf, err.message);
            failures++;
        } else {
            roundtrips++;
        }

        dc_utm utm;
        if (dc_utm_from_point(p, &utm, &err) != DC_OK) {
            failures++;
            continue;
        }
        int gzone;
        char ghemi;
        double ge, gn;
        if (sscanf(g_utm[i], "%d%c %lf %lf", &gzone, &ghemi, &ge, &gn) != 4 || gzone != utm.zone ||
            (ghemi == 'n') != (utm.hemisphere == 'N') || fabs(ge - utm.easting) > 0.001 ||
            fabs(gn - utm.northing) > 0.001) {
            fprintf(stderr, "UTM differs at %.12f %.12f: ours %02d%c %.4f %.4f, GeoConvert %s\n",
                    p.lat, p.lon, utm.zone, utm.hemisphere, utm.easting, utm.northing, g_utm[i]);
            failures++;
        } else {
            utm_compared++;
        }
    }

    /* Our MGRS strings parsed by GeoConvert and by us: the same centre. */
    fd = mkstemp(mgrs_path);
    pf = fdopen(fd, "w");
    size_t nm = 0;
    for (size_t i = 0; i < n; i++)
        if (ours_mgrs[i] != NULL && ours_mgrs[i][0] != '\0') {
            fprintf(pf, "%s\n", ours_mgrs[i]);
            nm++;
        }
    fclose(pf);
    char **g_back = run_geoconvert("-g -p 9", mgrs_path, nm);
    size_t parse_compared = 0, j = 0;
    for (size_t i = 0; g_back != NULL && i < n; i++) {
        if (ours_mgrs[i] == NULL || ours_mgrs[i][0] == '\0')
            continue;
        double glat, glon;
        dc_point ours;
        if (sscanf(g_back[j++], "%lf %lf", &glat, &glon) != 2 ||
            dc_coord_parse(ours_mgrs[i], &ours, NULL, NULL) != DC_OK) {
            failures++;
            continue;
        }
        double d;
        dc_geodesic_inverse(ours, (dc_point){glat, glon}, &d, NULL);
        if (d > 0.001) {
            fprintf(stderr, "MGRS %s: ours %.9f %.9f, GeoConvert %.9f %.9f (%.4f m)\n",
                    ours_mgrs[i], ours.lat, ours.lon, glat, glon, d);
            failures++;
        } else {
            parse_compared++;
        }
    }
    if (g_back == NULL)
        failures++;

    printf("GeoConvert oracle: %zu points; MGRS 1 m identical %zu, DMS 0.01\" identical %zu, "
           "UTM within 1 mm %zu, MGRS parse within 1 mm %zu, DD->MGRS->DD within half "
           "a cell %zu, polar points refused as UPS %zu; %zu failures\n",
           n, mgrs_compared, dms_compared, utm_compared, parse_compared, roundtrips, polar_refused,
           failures);
    for (size_t i = 0; i < n; i++)
        free(ours_mgrs[i]);
    free(ours_mgrs);
    free_lines(g_mgrs, n);
    free_lines(g_dms, n);
    free_lines(g_utm, n);
    free_lines(g_back, nm);
    free(pts);
    unlink(points_path);
    unlink(mgrs_path);
    return failures == 0 ? 0 : 1;
}
