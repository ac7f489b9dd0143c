/* airspace.c - `deconflict airspace LAND OUT`: national airspace (land and territorial sea) from
 * the Natural Earth land file `make borders` writes */
#include "cli.h"
#include "deconflict/airspace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict airspace [--territorial-sea-nm N] [--no-sea NAME]... [--tile-deg D]\n"
    "                           [--json] LAND OUT\n"
    "\n"
    "Each country of LAND (a GeoJSON FeatureCollection of land outlines, as\n"
    "build/borders/world-land.geojson; - for standard input) with its territorial sea:\n"
    "the sea within N nautical miles of its land (default 12, the most UNCLOS allows;\n"
    "some states claim less) that is closer to its land than to any other country's\n"
    "and is no other country's land, buffered on local azimuthal equidistant planes\n"
    "(WGS84) and split at the median between neighbours (docs/SCENARIOS.md). Written\n"
    "to OUT (- for standard output); each feature keeps its properties and says\n"
    "\"extent\": \"airspace\" (or \"land\"), \"territorial_sea_nm\" and \"method\".\n"
    "  --territorial-sea-nm N  the sea's breadth, 0 to 24 (default 12)\n"
    "  --no-sea NAME           a feature (its \"name\") without sea; repeatable, at most\n"
    "                          16; default Antarctica (no state's); --no-sea none: all\n"
    "  --tile-deg D            land cut in tiles of D degrees for the planes (default 5)\n"
    "  --json                  what was done as one JSON document on standard output\n"
    "                          (OUT must then be a file)\n"
    "Exit 0 done, 1 refused (the reason on standard error), 2 bad usage.\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "deconflict airspace: %s '%s'\n%s", what, arg, help);
    return 2;
}

static int number(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtod(text, &end);
    return end != text && *end == '\0' && errno == 0;
}

static int write_output(const char *path, const char *text)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "deconflict airspace: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "deconflict airspace: cannot write %s\n", path);
    return ok ? 0 : 1;
}

static int report(const char *out, const dc_airspace_stats *s, const dc_airspace_options *o,
                  int json)
{
    if (json) {
        dc_cli_print_json(json_pack(
            "{s:s,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f}", "file", out, "territorial_sea_nm",
            o->territorial_sea_nm, "countries", (json_int_t)s->countries, "with_sea",
            (json_int_t)s->with_sea, "median_pairs", (json_int_t)s->median_pairs, "vertices_in",
            (json_int_t)s->vertices_in, "vertices_out", (json_int_t)s->vertices_out, "seconds",
            s->seconds, "buffer_seconds", s->buffer_s, "median_seconds", s->median_s, "cut_seconds",
            s->cut_s));
        return 0;
    }
    /* the file may be standard output: the account goes to standard error */
    fprintf(stderr,
            "airspace: %zu countries, %zu with %.4g NM of territorial sea, %zu pairs split at "
            "the median, %zu vertices in, %zu out, %.1f s (buffers %.1f s, medians %.1f s, cut "
            "%.1f s) -> %s\n",
            s->countries, s->with_sea, o->territorial_sea_nm, s->median_pairs, s->vertices_in,
            s->vertices_out, s->seconds, s->buffer_s, s->median_s, s->cut_s, out);
    return 0;
}

int dc_cli_airspace(int argc, char **argv)
{
    dc_airspace_options o;
    dc_airspace_defaults(&o);
    const char *no_sea[17] = {NULL}, *paths[2] = {NULL, NULL};
    size_t no_sea_count = 0, path_count = 0;
    int json = 0, default_no_sea = 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help, stdout);
            return 0;
        }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--territorial-sea-nm") == 0 && v != NULL) {
            if (!number(v, &o.territorial_sea_nm))
                return usage_error("not a number:", v);
            i++;
        } else if (strcmp(a, "--tile-deg") == 0 && v != NULL) {
            if (!number(v, &o.tile_deg))
                return usage_error("not a number:", v);
            i++;
        } else if (strcmp(a, "--no-sea") == 0 && v != NULL) {
            default_no_sea = 0;
            if (strcmp(v, "none") != 0) {
                if (no_sea_count == 16)
                    return usage_error("more than 16 --no-sea, at", v);
                no_sea[no_sea_count++] = v;
            }
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option", a);
        } else if (path_count < 2) {
            paths[path_count++] = a;
        } else {
            return usage_error("one LAND and one OUT, not also", a);
        }
    }
    if (path_count != 2) {
        fprintf(stderr, "deconflict airspace: LAND and OUT are needed\n%s", help);
        return 2;
    }
    if (json && strcmp(paths[1], "-") == 0) {
        fprintf(stderr, "deconflict airspace: --json writes to standard output: OUT must be a "
                        "file\n");
        return 2;
    }
    if (!default_no_sea)
        o.no_sea = no_sea;
    char *land = NULL, why[300];
    size_t length = 0;
    if (dc_cli_read_input(paths[0], &land, &length, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict airspace: %s\n", why);
        return 2;
    }
    char *text = NULL;
    dc_airspace_stats stats;
    dc_error err = {0};
    dc_status rc = dc_airspace_build(land, length, &o, &text, &stats, &err);
    free(land);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict airspace: %s: %s%s%s\n", dc_cli_input_name(paths[0]),
                dc_strerror(rc), err.message[0] ? ": " : "", err.message);
        return 1;
    }
    int status = write_output(paths[1], text);
    dc_free(text);
    return status != 0 ? status : report(paths[1], &stats, &o, json);
}
