/* replay.c - `deconflict replay`: each crossing of recorded tracks into a zone, measured, tabled
 * and drawn */
#include "cli.h"
#include "deconflict/scenario.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict replay --tracks FILE.csv [--tracks FILE.csv ...] (--zone FILE.geojson | --country NAME)\n"
    "                         [--borders FILE.geojson] [--svg OUT.svg] [--json]\n"
    "\n"
    "Runs recorded tracks (the CSV columns of shared/data/tracks) through the live\n"
    "monitor against one zone and reports, for each track, every crossing into it:\n"
    "entry and exit time (exact on the path between reports), duration, greatest\n"
    "depth inside, distance flown inside, and the advisory and warning Deconflict\n"
    "would have sent before the entry. Several --tracks (two accounts of one event)\n"
    "are reported side by side, and --svg draws them over the zone's outline.\n"
    "  --zone      a scenario GeoJSON; its first zone (all its polygons) is used\n"
    "  --country   a country of Natural Earth 10m by name (turkey, syria, ...), from\n"
    "              --borders (default build/borders/world.geojson)\n";

struct episode {
    dc_time_us entry, exit, advisory, warning;
    dc_point entry_point, exit_point;
    double depth_m, inside_m;
};

struct track_run {
    const char *file;
    char aircraft[16];
    dc_report *reports;
    size_t count;
    struct episode *episodes;
    size_t episode_count;
};

/* Distance (m) from p to the outline's nearest edge. */
static double boundary_distance(const dc_zone_outline *z, dc_point p)
{
    double best = INFINITY;
    dc_enu_frame here;
    if (dc_enu_frame_init(p, &here) != DC_OK)
        return best;
    for (size_t r = 0; r < z->ring_count; r++)
        for (size_t i = 0; i < z->sizes[r]; i++) {
            dc_point a = z->rings[r][i], b = z->rings[r][(i + 1) % z->sizes[r]];
            if (fabs(a.lat - p.lat) > 1 || fabs(a.lon - p.lon) > 1.5)
                continue;
            double ax, ay, bx, by;
            dc_enu_forward(&here, a, &ax, &ay);
            dc_enu_forward(&here, b, &bx, &by);
            double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            best = fmin(best, hypot(ax + dx * t, ay + dy * t));
        }
    return best;
}

static dc_point lerp(dc_point a, dc_point b, double t)
{
    return (dc_point){a.lat + (b.lat - a.lat) * t, a.lon + (b.lon - a.lon) * t};
}

/* Depth and distance inside between entry and exit, sampled every second
 * on the path between reports. */
static void measure(const dc_zone_outline *z, const struct track_run *t, struct episode *e)
{
    dc_point prev = e->entry_point;
    e->depth_m = 0;
    e->inside_m = 0;
    for (size_t i = 0; i + 1 < t->count; i++) {
        const dc_report *a = &t->reports[i], *b = &t->reports[i + 1];
        if (b->time <= e->entry || a->time >= e->exit)
            continue;
        double span = (double)(b->time - a->time) / DC_US_PER_S;
        int steps = (int)ceil(span);
        for (int k = 1; k <= steps; k++) {
            dc_time_us tk = a->time + (dc_time_us)((double)(b->time - a->time) * k / steps);
            if (tk <= e->entry || tk >= e->exit)
                continue;
            dc_point p = lerp(a->position, b->position, (double)k / steps);
            double d;
            dc_geodesic_inverse(prev, p, &d, NULL);
            e->inside_m += d;
            e->depth_m = fmax(e->depth_m, boundary_distance(z, p));
            prev = p;
        }
    }
    double d;
    dc_geodesic_inverse(prev, e->exit_point, &d, NULL);
    e->inside_m += d;
}

static int run_track(const dc_zone_outline *z, struct track_run *t)
{
    dc_monitor *m;
    if (dc_monitor_new(NULL, &m) != DC_OK)
        return -1;
    dc_monitor_add_zone(m, z->owner, z->id, (const dc_point *const *)z->rings, z->sizes,
                        z->ring_count, NULL, 0);
    dc_alert_list alerts = {0};
    dc_crossing_list crossings = {0};
    size_t cap = 0;
    dc_time_us advisory = 0, warning = 0;
    struct episode *open = NULL;
    for (size_t i = 0; i < t->count; i++) {
        dc_report_verdict v;
        alerts.count = crossings.count = 0;
        dc_monitor_ingest(m, &t->reports[i], &v, &alerts, &crossings);
        for (size_t k = 0; k < crossings.count; k++) {
            const dc_crossing *c = &crossings.items[k];
            if (c->entering) {
                if (t->episode_count == cap) {
                    cap = cap ? cap * 2 : 4;
                    t->episodes = realloc(t->episodes, cap * sizeof *t->episodes);
                }
                open = &t->episodes[t->episode_count++];
                memset(open, 0, sizeof *open);
                open->entry = c->time;
                open->entry_point = c->position;
                open->advisory = advisory;
                open->warning = warning;
                open->exit = 0;
            } else if (open != NULL) {
                open->exit = c->time;
                open->exit_point = c->position;
                open = NULL;
                advisory = warning = 0;
            }
        }
        for (size_t k = 0; k < alerts.count; k++) {
            const dc_alert *a = &alerts.items[k];
            if (a->repetition == 0 && a->level == DC_LEVEL_ADVISORY && advisory == 0)
                advisory = a->time;
            if (a->repetition == 0 && a->level == DC_LEVEL_WARNING && warning == 0)
                warning = a->time;
            if (a->level == DC_LEVEL_CLEAR)
                advisory = warning = 0;
        }
    }
    if (open != NULL) { /* still inside at the end of the recording */
        open->exit = t->reports[t->count - 1].time;
        open->exit_point = t->reports[t->count - 1].position;
    }
    for (size_t e = 0; e < t->episode_count; e++)
        measure(z, t, &t->episodes[e]);
    dc_alert_list_clear(&alerts);
    dc_crossing_list_clear(&crossings);
    dc_monitor_free(m);
    return 0;
}

static void when(dc_time_us t, char *buf)
{
    if (t == 0)
        snprintf(buf, 32, "-");
    else if (dc_time_format(t, buf, 32) != DC_OK)
        snprintf(buf, 32, "?"); /* outside what RFC 3339 writes: said, not guessed */
}

/* ---- SVG ---- */

struct frame {
    dc_enu_frame plane; /* touching the north-west corner */
    double scale;       /* px per metre */
    double width, height;
};

static void to_px(const struct frame *f, dc_point p, double *x, double *y)
{
    double mx, my;
    dc_enu_forward(&f->plane, p, &mx, &my);
    *x = mx * f->scale;
    *y = -my * f->scale;
}

static const char *const colours[] = {"#c62828", "#1565c0", "#2e7d32", "#6a1b9a"};

static int write_svg(const char *path, const dc_zone_outline *z, struct track_run *runs,
                     size_t nruns)
{
    /* frame: the tracks' extent, at most 120 km across around the first crossing */
    double lat0 = 90, lat1 = -90, lon0 = 180, lon1 = -180;
    dc_point focus = runs[0].reports[runs[0].count / 2].position;
    for (size_t r = 0; r < nruns; r++)
        if (runs[r].episode_count > 0) {
            focus = runs[r].episodes[0].entry_point;
            break;
        }
    for (size_t r = 0; r < nruns; r++)
        for (size_t i = 0; i < runs[r].count; i++) {
            dc_point p = runs[r].reports[i].position;
            double d;
            dc_geodesic_inverse(focus, p, &d, NULL);
            if (d > 15000)
                continue;
            lat0 = fmin(lat0, p.lat);
            lat1 = fmax(lat1, p.lat);
            lon0 = fmin(lon0, p.lon);
            lon1 = fmax(lon1, p.lon);
        }
    double pad = 0.03;
    struct frame f;
    double w_m, h_m;
    if (dc_enu_frame_init((dc_point){lat1 + pad, lon0 - pad}, &f.plane) != DC_OK)
        return -1;
    dc_enu_forward(&f.plane, (dc_point){lat0 - pad, lon1 + pad}, &w_m, &h_m);
    h_m = -h_m;
    f.scale = 900.0 / w_m;
    f.width = 900;
    f.height = h_m * f.scale;
    if (f.height > 900) {
        f.scale = 900.0 / h_m;
        f.height = 900;
        f.width = w_m * f.scale;
    }
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return -1;
    double W = f.width + 260, H = f.height + 40;
    fprintf(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
        "font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">\n",
        W, H, W, H);
    fprintf(
        out,
        "<rect width=\"100%%\" height=\"100%%\" fill=\"#f4f1ea\"/>\n<g transform=\"translate(20,20)\">\n");
    fprintf(out, "<clipPath id=\"map\"><rect width=\"%.1f\" height=\"%.1f\"/></clipPath>\n",
            f.width, f.height);
    fprintf(out,
            "<g clip-path=\"url(#map)\"><rect width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\"/>\n",
            f.width, f.height);
    /* the zone: every ring near the frame, even-odd */
    fprintf(
        out,
        "<path fill=\"#ffe0b2\" fill-rule=\"evenodd\" stroke=\"#e65100\" stroke-width=\"1.5\" d=\"");
    for (size_t r = 0; r < z->ring_count; r++) {
        int near = 0;
        for (size_t i = 0; i < z->sizes[r] && !near; i++)
            near = fabs(z->rings[r][i].lat - focus.lat) < 3 &&
                   fabs(z->rings[r][i].lon - focus.lon) < 4;
        if (!near)
            continue;
        for (size_t i = 0; i < z->sizes[r]; i++) {
            double x, y;
            to_px(&f, z->rings[r][i], &x, &y);
            fprintf(out, "%c%.1f %.1f", i ? 'L' : 'M', x, y);
        }
        fprintf(out, "Z");
    }
    fprintf(out, "\"/>\n");
    fprintf(out,
            "<text x=\"8\" y=\"18\" fill=\"#e65100\" font-weight=\"bold\">%s airspace</text>\n",
            z->owner);
    for (size_t r = 0; r < nruns; r++) {
        const char *c = colours[r % 4];
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", c);
        for (size_t i = 0; i < runs[r].count; i++) {
            double x, y;
            to_px(&f, runs[r].reports[i].position, &x, &y);
            fprintf(out, "%.1f,%.1f ", x, y);
        }
        fprintf(out, "\"/>\n");
        /* a time tick at the first report of each 30 s */
        for (size_t i = 1; i < runs[r].count; i++) {
            const dc_report *rp = &runs[r].reports[i];
            if (rp->time / (30 * DC_US_PER_S) == runs[r].reports[i - 1].time / (30 * DC_US_PER_S))
                continue;
            double x, y;
            to_px(&f, rp->position, &x, &y);
            char t[32];
            if (dc_time_format(rp->time, t, sizeof t) != DC_OK)
                continue; /* no tick rather than a wrong one */
            fprintf(
                out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
                "fill=\"%s\" font-size=\"10\">%.8s</text>\n",
                x, y, c, x + 4, y - 4, c, t + 11);
        }
        /* the portion inside, highlighted, with entry and exit times */
        for (size_t e = 0; e < runs[r].episode_count; e++) {
            const struct episode *ep = &runs[r].episodes[e];
            double x0, y0, x1, y1;
            to_px(&f, ep->entry_point, &x0, &y0);
            fprintf(
                out,
                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"6\" stroke-opacity=\"0.6\" points=\"%.1f,%.1f ",
                c, x0, y0);
            for (size_t i = 0; i < runs[r].count; i++)
                if (runs[r].reports[i].time > ep->entry && runs[r].reports[i].time < ep->exit) {
                    double x, y;
                    to_px(&f, runs[r].reports[i].position, &x, &y);
                    fprintf(out, "%.1f,%.1f ", x, y);
                }
            to_px(&f, ep->exit_point, &x1, &y1);
            fprintf(out, "%.1f,%.1f\"/>\n", x1, y1);
            char a[32], b[32];
            when(ep->entry, a);
            when(ep->exit, b);
            fprintf(out,
                    "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-weight=\"bold\">in %.8s</text>\n",
                    x0 + 6, y0 + 14, c, a + 11);
            fprintf(
                out,
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-weight=\"bold\">out %.8s</text>\n",
                x1 + 6, y1 - 8, c, b + 11);
        }
    }
    fprintf(out, "</g>\n<rect width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
            f.width, f.height);
    /* scale bar: a round number of km about a fifth of the width */
    double target = f.width / 5 / f.scale / 1000, km = pow(10, floor(log10(target)));
    if (km * 5 <= target)
        km *= 5;
    else if (km * 2 <= target)
        km *= 2;
    double len = km * 1000 * f.scale;
    fprintf(out,
            "<g transform=\"translate(12,%.1f)\"><rect width=\"%.1f\" height=\"6\" fill=\"#333\"/>"
            "<text y=\"-4\">%g km</text></g>\n",
            f.height - 16, len, km);
    /* north arrow */
    fprintf(
        out,
        "<g transform=\"translate(%.1f,30)\"><path d=\"M0 -18 L7 8 L0 3 L-7 8 Z\" fill=\"#333\"/>"
        "<text x=\"-4\" y=\"22\" font-weight=\"bold\">N</text></g>\n",
        f.width - 24);
    /* legend */
    fprintf(out, "<g transform=\"translate(%.1f,0)\"><text font-weight=\"bold\">Replay</text>\n",
            f.width + 16);
    double y = 22;
    for (size_t r = 0; r < nruns; r++, y += 58) {
        const char *name =
            strrchr(runs[r].file, '/') ? strrchr(runs[r].file, '/') + 1 : runs[r].file;
        fprintf(
            out,
            "<rect y=\"%.0f\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"20\" y=\"%.0f\" font-size=\"11\">%.30s</text>\n",
            y, colours[r % 4], y + 5, name);
        if (runs[r].episode_count == 0)
            fprintf(out, "<text x=\"20\" y=\"%.0f\" font-size=\"11\">never enters</text>\n",
                    y + 20);
        else
            fprintf(out,
                    "<text x=\"20\" y=\"%.0f\" font-size=\"11\">inside %.1f s, %.2f km</text>"
                    "<text x=\"20\" y=\"%.0f\" font-size=\"11\">deepest %.0f m</text>\n",
                    y + 20,
                    (double)(runs[r].episodes[0].exit - runs[r].episodes[0].entry) / DC_US_PER_S,
                    runs[r].episodes[0].inside_m / 1000, y + 35, runs[r].episodes[0].depth_m);
    }
    /* the border's source, wrapped at words to the legend's width */
    fprintf(out, "<text y=\"%.0f\" font-size=\"10\" fill=\"#555\">Border:</text>\n", y + 10);
    y += 24;
    const char *src = z->source;
    while (*src) {
        size_t n = strlen(src) > 40 ? 40 : strlen(src);
        while (n < strlen(src) && n > 10 && src[n] != ' ')
            n--;
        fprintf(out, "<text y=\"%.0f\" font-size=\"10\" fill=\"#555\">%.*s</text>\n", y, (int)n,
                src);
        src += n;
        while (*src == ' ')
            src++;
        y += 13;
    }
    fprintf(
        out,
        "<text y=\"%.0f\" font-size=\"10\" fill=\"#555\">Dots every 30 s, times UTC</text></g>\n",
        y + 8);
    fprintf(out, "</g></svg>\n");
    fclose(out);
    return 0;
}

int dc_cli_replay(int argc, char **argv)
{
    const char *files[8], *zone_file = NULL, *country = NULL, *svg = NULL,
                          *borders = "build/borders/world.geojson";
    size_t nfiles = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(argv[i], "--tracks") == 0 && i + 1 < argc && nfiles < 8) {
            files[nfiles++] = argv[++i];
        } else if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc) {
            zone_file = argv[++i];
        } else if (strcmp(argv[i], "--country") == 0 && i + 1 < argc) {
            country = argv[++i];
        } else if (strcmp(argv[i], "--borders") == 0 && i + 1 < argc) {
            borders = argv[++i];
        } else if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) {
            svg = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "deconflict replay: unexpected '%s'\n%s", argv[i], help);
            return 2;
        }
    }
    if (nfiles == 0 || (zone_file == NULL) == (country == NULL)) {
        fputs(help, stderr);
        return 2;
    }
    dc_zone_outline zone;
    dc_error err;
    char slug[DC_ID_MAX];
    if (country != NULL) {
        size_t k = 0;
        for (const char *p = country; *p && k + 1 < sizeof slug; p++)
            slug[k++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : (*p == ' ' ? '-' : *p));
        slug[k] = '\0';
    }
    if (dc_scenario_zone_outline(zone_file ? zone_file : borders, country ? slug : NULL, &zone,
                                 &err) != DC_OK) {
        fprintf(stderr, "deconflict replay: %s\n", err.message);
        return 2;
    }
    struct track_run runs[8];
    memset(runs, 0, sizeof runs);
    int status = 0;
    for (size_t f = 0; f < nfiles && status == 0; f++) {
        runs[f].file = files[f];
        if (dc_tracks_csv_read(files[f], "replay", &runs[f].reports, &runs[f].count, &err) !=
                DC_OK ||
            runs[f].count == 0) {
            fprintf(stderr, "deconflict replay: %s\n",
                    runs[f].count == 0 && err.status == DC_OK ? "no reports" : err.message);
            status = 2;
            break;
        }
        dc_copy_text(runs[f].aircraft, sizeof runs[f].aircraft, runs[f].reports[0].aircraft);
        run_track(&zone, &runs[f]);
    }
    if (status == 0 && json) {
        json_t *tracks = json_array();
        for (size_t f = 0; f < nfiles; f++) {
            json_t *eps = json_array();
            for (size_t e = 0; e < runs[f].episode_count; e++) {
                const struct episode *ep = &runs[f].episodes[e];
                char a[32], b[32], ad[32], wa[32];
                when(ep->entry, a);
                when(ep->exit, b);
                when(ep->advisory, ad);
                when(ep->warning, wa);
                json_array_append_new(
                    eps,
                    json_pack(
                        "{s:s,s:s,s:f,s:f,s:f,s:s,s:s,s:o,s:o,s:[f,f],s:[f,f]}", "entry", a, "exit",
                        b, "duration_s", (double)(ep->exit - ep->entry) / DC_US_PER_S,
                        "max_depth_m", ep->depth_m, "distance_inside_m", ep->inside_m,
                        "first_advisory", ad, "first_warning", wa, "advisory_lead_s",
                        ep->advisory ? json_real((double)(ep->entry - ep->advisory) / DC_US_PER_S)
                                     : json_null(),
                        "warning_lead_s",
                        ep->warning ? json_real((double)(ep->entry - ep->warning) / DC_US_PER_S)
                                    : json_null(),
                        "entry_point", ep->entry_point.lat, ep->entry_point.lon, "exit_point",
                        ep->exit_point.lat, ep->exit_point.lon));
            }
            json_array_append_new(tracks, json_pack("{s:s,s:s,s:I,s:o}", "file", runs[f].file,
                                                    "aircraft", runs[f].aircraft, "reports",
                                                    (json_int_t)runs[f].count, "crossings", eps));
        }
        json_t *doc = json_pack("{s:{s:s,s:s,s:s},s:o,s:s?}", "zone", "owner", zone.owner, "id",
                                zone.id, "source", zone.source, "tracks", tracks, "svg", svg);
        char *text =
            json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        puts(text);
        free(text);
        json_decref(doc);
    } else if (status == 0) {
        printf("zone: %s (%s)\n", zone.owner, zone.source);
        printf("%-28s %-27s %-27s %9s %9s %10s  %s\n", "track", "entry", "exit", "duration",
               "depth", "inside", "alerts before entry");
        for (size_t f = 0; f < nfiles; f++) {
            const char *name =
                strrchr(runs[f].file, '/') ? strrchr(runs[f].file, '/') + 1 : runs[f].file;
            if (runs[f].episode_count == 0)
                printf("%-28.28s never enters\n", name);
            for (size_t e = 0; e < runs[f].episode_count; e++) {
                const struct episode *ep = &runs[f].episodes[e];
                char a[32], b[32];
                when(ep->entry, a);
                when(ep->exit, b);
                printf(
                    "%-28.28s %-27s %-27s %7.1f s %7.0f m %7.2f km  advisory %.0f s, warning %.0f s before\n",
                    name, a, b, (double)(ep->exit - ep->entry) / DC_US_PER_S, ep->depth_m,
                    ep->inside_m / 1000,
                    ep->advisory ? (double)(ep->entry - ep->advisory) / DC_US_PER_S : NAN,
                    ep->warning ? (double)(ep->entry - ep->warning) / DC_US_PER_S : NAN);
            }
        }
    }
    if (status == 0 && svg != NULL && write_svg(svg, &zone, runs, nfiles) != 0) {
        fprintf(stderr, "deconflict replay: cannot write %s\n", svg);
        status = 2;
    }
    for (size_t f = 0; f < nfiles; f++) {
        dc_free(runs[f].reports);
        free(runs[f].episodes);
    }
    dc_zone_outline_clear(&zone);
    return status;
}
