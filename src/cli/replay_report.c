/* replay_report.c - `deconflict replay`'s drawing (SVG) and its self-contained report (HTML) */
#include "replay_report.h"

#include <math.h>
#include <string.h>

static const char *const track_colours[] = {"#c62828", "#1565c0", "#2e7d32", "#6a1b9a"};
static const char *const border_colours[] = {"#e65100", "#5d4037", "#00838f", "#ad1457"};
static const char *const border_dashes[] = {"", "6 3", "2 3", "8 3 2 3"};

void dc__replay_clock(dc_time_us t, char *buf, size_t size)
{
    char full[32];
    if (t == 0 || dc_time_format(t, full, sizeof full) != DC_OK) {
        snprintf(buf, size, "-");
        return;
    }
    /* hh:mm:ss and tenths, rounded: the table's precision */
    long long tenths = (long long)llround((double)(t % (86400 * DC_US_PER_S)) / 100000.0);
    snprintf(buf, size, "%02lld:%02lld:%02lld.%lldZ", tenths / 36000 % 24, tenths / 600 % 60,
             tenths / 10 % 60, tenths % 10);
}

/* Text for XML and HTML: the five characters that could end or open markup. */
static void escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* ---- SVG ---- */

struct frame {
    dc_enu_frame plane; /* touching the north-west corner */
    double scale;       /* px per metre */
    double width, height;
    dc_point focus;
};

static void to_px(const struct frame *f, dc_point p, double *x, double *y)
{
    double mx = 0, my = 0;
    dc_enu_forward(&f->plane, p, &mx, &my);
    *x = mx * f->scale;
    *y = -my * f->scale;
}

/* The tracks' extent within 15 km of the first entry (or the middle of the first track), padded,
 * at most 900 px either way. */
static int make_frame(const struct replay_run *run, struct frame *f)
{
    f->focus = run->reports[0][run->report_counts[0] / 2].position;
    int found = 0;
    for (size_t t = 0; t < run->track_count && !found; t++)
        for (size_t b = 0; b < run->border_count && !found; b++)
            if (replay_result(run, t, b)->episode_count > 0) {
                f->focus = replay_result(run, t, b)->episodes[0].entry_point;
                found = 1;
            }
    double lat0 = 90, lat1 = -90, lon0 = 180, lon1 = -180;
    for (size_t t = 0; t < run->track_count; t++)
        for (size_t i = 0; i < run->report_counts[t]; i++) {
            dc_point p = run->reports[t][i].position;
            double d;
            if (dc_geodesic_inverse(f->focus, p, &d, NULL) != DC_OK || d > 15000)
                continue;
            lat0 = fmin(lat0, p.lat);
            lat1 = fmax(lat1, p.lat);
            lon0 = fmin(lon0, p.lon);
            lon1 = fmax(lon1, p.lon);
        }
    if (lat0 > lat1) {
        lat0 = lat1 = f->focus.lat;
        lon0 = lon1 = f->focus.lon;
    }
    double pad = 0.03, w_m, h_m;
    if (dc_enu_frame_init((dc_point){fmin(lat1 + pad, 89), fmax(lon0 - pad, -180)}, &f->plane) !=
            DC_OK ||
        dc_enu_forward(&f->plane, (dc_point){fmax(lat0 - pad, -89), fmin(lon1 + pad, 180)}, &w_m,
                       &h_m) != DC_OK)
        return -1;
    h_m = -h_m;
    f->scale = 900.0 / w_m;
    f->width = 900;
    f->height = h_m * f->scale;
    if (f->height > 900) {
        f->scale = 900.0 / h_m;
        f->height = 900;
        f->width = w_m * f->scale;
    }
    return 0;
}

static void draw_border(FILE *out, const struct frame *f, const dc_border *border, size_t b)
{
    fprintf(out,
            "<path fill=\"%s\" fill-opacity=\"%.2f\" fill-rule=\"evenodd\" stroke=\"%s\" "
            "stroke-width=\"1.8\" stroke-dasharray=\"%s\" d=\"",
            border_colours[b % 4], b == 0 ? 0.18 : 0.0, border_colours[b % 4],
            border_dashes[b % 4]);
    for (size_t r = 0; r < border->ring_count; r++) {
        int near = 0;
        for (size_t i = 0; i < border->sizes[r] && !near; i++)
            near = fabs(border->rings[r][i].lat - f->focus.lat) < 3 &&
                   fabs(border->rings[r][i].lon - f->focus.lon) < 4;
        if (!near)
            continue;
        for (size_t i = 0; i < border->sizes[r]; i++) {
            double x, y;
            to_px(f, border->rings[r][i], &x, &y);
            fprintf(out, "%c%.1f %.1f", i ? 'L' : 'M', x, y);
        }
        fprintf(out, "Z");
    }
    fprintf(out, "\"/>\n");
}

static void draw_track(FILE *out, const struct frame *f, const struct replay_run *run, size_t t)
{
    const char *c = track_colours[t % 4];
    const dc_report *reports = run->reports[t];
    size_t count = run->report_counts[t];
    /* the stays inside each border, under the track in the border's colour */
    for (size_t b = 0; b < run->border_count; b++) {
        const dc_replay_result *r = replay_result(run, t, b);
        for (size_t e = 0; e < r->episode_count; e++) {
            const dc_replay_episode *ep = &r->episodes[e];
            double x, y;
            to_px(f, ep->entry_point, &x, &y);
            fprintf(out,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" "
                    "stroke-opacity=\"0.45\" points=\"%.1f,%.1f ",
                    border_colours[b % 4], 10 - 3 * (int)(b % 3), x, y);
            for (size_t i = 0; i < count; i++)
                if (reports[i].time > ep->entry && reports[i].time < ep->exit) {
                    to_px(f, reports[i].position, &x, &y);
                    fprintf(out, "%.1f,%.1f ", x, y);
                }
            to_px(f, ep->exit_point, &x, &y);
            fprintf(out, "%.1f,%.1f\"/>\n", x, y);
        }
    }
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", c);
    for (size_t i = 0; i < count; i++) {
        double x, y;
        to_px(f, reports[i].position, &x, &y);
        fprintf(out, "%.1f,%.1f ", x, y);
    }
    fprintf(out, "\"/>\n");
    /* a time tick at the first report of each 30 s */
    for (size_t i = 1; i < count; i++) {
        if (reports[i].time / (30 * DC_US_PER_S) == reports[i - 1].time / (30 * DC_US_PER_S))
            continue;
        double x, y;
        char when[32];
        to_px(f, reports[i].position, &x, &y);
        dc__replay_clock(reports[i].time, when, sizeof when);
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/><text x=\"%.1f\" "
                "y=\"%.1f\" fill=\"%s\" font-size=\"10\">%.8s</text>\n",
                x, y, c, x + 4, y - 4, c, when);
    }
    for (size_t b = 0; b < run->border_count; b++) {
        const dc_replay_result *r = replay_result(run, t, b);
        /* entry and exit times against the first border; the key gives the others */
        for (size_t e = 0; b == 0 && e < r->episode_count; e++) {
            const dc_replay_episode *ep = &r->episodes[e];
            double x0, y0, x1, y1;
            char a[32], z[32];
            to_px(f, ep->entry_point, &x0, &y0);
            to_px(f, ep->exit_point, &x1, &y1);
            dc__replay_clock(ep->entry, a, sizeof a);
            dc__replay_clock(ep->exit, z, sizeof z);
            fprintf(
                out,
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-weight=\"bold\">in %.10s</text>\n"
                "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-weight=\"bold\">out %.10s</text>\n",
                x0 + 6, y0 + 14, c, a, x1 + 6, y1 - 8, c, z);
        }
        /* a path that never enters: a dashed line to where it came nearest */
        if (r->episode_count == 0 && isfinite(r->closest.distance_m)) {
            double x0, y0, x1, y1;
            to_px(f, r->closest.aircraft, &x0, &y0);
            to_px(f, r->closest.border, &x1, &y1);
            fprintf(out,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-dasharray=\"3 2\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                    "fill=\"none\" stroke=\"%s\"/>\n",
                    x0, y0, x1, y1, border_colours[b % 4], x1, y1, border_colours[b % 4]);
            if (b == 0)
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"11\">%.2f km</text>\n",
                        (x0 + x1) / 2 + 6, (y0 + y1) / 2 + 4, c, r->closest.distance_m / 1000);
        }
    }
}

/* Words of `text` on lines of at most `width` characters, from y down; returns the next y. */
static double wrapped(FILE *out, const char *text, size_t width, double y)
{
    while (*text) {
        size_t n = strlen(text) > width ? width : strlen(text);
        while (n < strlen(text) && n > width / 4 && text[n] != ' ')
            n--;
        fprintf(out, "<text x=\"20\" y=\"%.0f\" font-size=\"10\" fill=\"#555\">", y);
        char line[128];
        snprintf(line, sizeof line, "%.*s", (int)n, text);
        escaped(out, line);
        fputs("</text>\n", out);
        text += n;
        while (*text == ' ')
            text++;
        y += 13;
    }
    return y;
}

static double key_track(FILE *out, const struct replay_run *run, size_t t, double y)
{
    fprintf(out, "<rect y=\"%.0f\" width=\"14\" height=\"4\" fill=\"%s\"/>", y,
            track_colours[t % 4]);
    fprintf(out, "<text x=\"20\" y=\"%.0f\" font-size=\"11\">", y + 5);
    escaped(out, run->tracks[t].name);
    fputs("</text>\n", out);
    y += 18;
    for (size_t b = 0; b < run->border_count; b++) {
        const dc_replay_result *r = replay_result(run, t, b);
        char line[160];
        if (r->episode_count == 0)
            snprintf(line, sizeof line, "never enters, %.2f km off", r->closest.distance_m / 1000);
        else
            snprintf(line, sizeof line, "%.1f s, %.0f m deep, %.2f km",
                     (double)(r->episodes[0].exit - r->episodes[0].entry) / DC_US_PER_S,
                     r->episodes[0].depth_m, r->episodes[0].inside_m / 1000);
        /* the border's name on a line of its own: names are long, figures short */
        fprintf(out, "<text x=\"20\" y=\"%.0f\" font-size=\"11\" fill=\"%s\">", y,
                border_colours[b % 4]);
        escaped(out, run->borders[b].name);
        fprintf(out, ":</text>\n<text x=\"28\" y=\"%.0f\" font-size=\"11\" fill=\"%s\">", y + 14,
                border_colours[b % 4]);
        escaped(out, line);
        fputs("</text>\n", out);
        y += 28;
        if (r->has_uncertainty) {
            snprintf(line, sizeof line, "P(inside) %.2f at %.0f m", r->uncertainty.p_inside,
                     r->uncertainty.sigma_m);
            fprintf(out, "<text x=\"28\" y=\"%.0f\" font-size=\"11\" fill=\"%s\">", y,
                    border_colours[b % 4]);
            escaped(out, line);
            fputs("</text>\n", out);
            y += 14;
        }
    }
    return y + 8;
}

static double key_border(FILE *out, const dc_border *border, size_t b, double y)
{
    fprintf(out,
            "<line x1=\"0\" x2=\"14\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2.5\" "
            "stroke-dasharray=\"%s\"/><text x=\"20\" y=\"%.0f\" font-size=\"11\" "
            "font-weight=\"bold\" fill=\"%s\">",
            y, y, border_colours[b % 4], border_dashes[b % 4], y + 4, border_colours[b % 4]);
    escaped(out, border->name);
    fputs("</text>\n", out);
    y = wrapped(out, border->source, 44, y + 18);
    char licence[160];
    snprintf(licence, sizeof licence, "licence: %s", border->licence);
    return wrapped(out, licence, 44, y) + 6;
}

int dc__replay_svg(FILE *out, const struct replay_run *run)
{
    struct frame f;
    if (make_frame(run, &f) != 0)
        return -1;
    double key_w = 300, W = f.width + key_w + 20, H = fmax(f.height, 560) + 40;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, sans-serif\" "
            "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#f4f1ea\"/>\n"
            "<g transform=\"translate(20,20)\">\n<clipPath id=\"map\"><rect width=\"%.1f\" "
            "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#map)\"><rect width=\"%.1f\" "
            "height=\"%.1f\" fill=\"#ffffff\"/>\n",
            W, H, W, H, f.width, f.height, f.width, f.height);
    for (size_t b = 0; b < run->border_count; b++)
        draw_border(out, &f, &run->borders[b], b);
    fprintf(out, "<text x=\"8\" y=\"18\" fill=\"%s\" font-weight=\"bold\">", border_colours[0]);
    escaped(out, run->borders[0].name);
    fputs(" airspace</text>\n", out);
    for (size_t t = 0; t < run->track_count; t++)
        draw_track(out, &f, run, t);
    fprintf(out, "</g>\n<rect width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
            f.width, f.height);
    /* scale bar: a round number of km about a fifth of the width */
    double target = f.width / 5 / f.scale / 1000, km = pow(10, floor(log10(target)));
    km *= km * 5 <= target ? 5 : km * 2 <= target ? 2 : 1;
    fprintf(out,
            "<g transform=\"translate(12,%.1f)\"><rect width=\"%.1f\" height=\"6\" "
            "fill=\"#333\"/><text y=\"-4\">%g km</text></g>\n",
            f.height - 16, km * 1000 * f.scale, km);
    fprintf(out,
            "<g transform=\"translate(%.1f,30)\"><path d=\"M0 -18 L7 8 L0 3 L-7 8 Z\" "
            "fill=\"#333\"/><text x=\"-4\" y=\"22\" font-weight=\"bold\">N</text></g>\n",
            f.width - 24);
    fprintf(out, "<g transform=\"translate(%.1f,0)\"><text font-weight=\"bold\">Replay</text>\n",
            f.width + 16);
    double y = 22;
    for (size_t t = 0; t < run->track_count; t++)
        y = key_track(out, run, t, y);
    fprintf(out, "<text y=\"%.0f\" font-weight=\"bold\">Borders</text>\n", y + 4);
    y += 22;
    for (size_t b = 0; b < run->border_count; b++)
        y = key_border(out, &run->borders[b], b, y);
    fprintf(out,
            "<text y=\"%.0f\" font-size=\"10\" fill=\"#555\">Dots every 30 s, times UTC</text>"
            "</g>\n</g></svg>\n",
            y + 8);
    return ferror(out) ? -1 : 0;
}

/* ---- HTML ---- */

static const char style[] =
    "body{font-family:'DejaVu Sans',sans-serif;max-width:1240px;margin:24px auto;color:#222}"
    "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #bbb;padding:3px 8px;"
    "text-align:left;font-size:13px}th{background:#eee}code{font-size:12px}"
    "td.n{text-align:right}h1{font-size:22px}h2{font-size:17px;margin-top:24px}"
    "p.digest{background:#f4f1ea;padding:8px;border:1px solid #ccc}"
    "figure{margin:0}figure svg{max-width:100%;height:auto}";

static void findings(FILE *out, const struct replay_run *run)
{
    fputs("<table><tr><th>track</th><th>border</th><th>entry</th><th>exit</th><th>duration</th>"
          "<th>greatest depth</th><th>flown inside</th><th>warned before entry</th>"
          "<th>closest approach (never inside)</th></tr>\n",
          out);
    for (size_t t = 0; t < run->track_count; t++)
        for (size_t b = 0; b < run->border_count; b++) {
            const dc_replay_result *r = replay_result(run, t, b);
            size_t rows = r->episode_count ? r->episode_count : 1;
            for (size_t e = 0; e < rows; e++) {
                fputs("<tr><td>", out);
                escaped(out, run->tracks[t].name);
                fputs("</td><td>", out);
                escaped(out, run->borders[b].name);
                fputs("</td>", out);
                if (r->episode_count == 0) {
                    char when[32];
                    dc__replay_clock(r->closest.time, when, sizeof when);
                    fprintf(out,
                            "<td colspan=\"6\">never enters</td><td>%.0f m at %s, aircraft "
                            "%.5f, %.5f; border %.5f, %.5f</td></tr>\n",
                            r->closest.distance_m, when, r->closest.aircraft.lat,
                            r->closest.aircraft.lon, r->closest.border.lat, r->closest.border.lon);
                    continue;
                }
                const dc_replay_episode *ep = &r->episodes[e];
                char a[32], z[32];
                dc__replay_clock(ep->entry, a, sizeof a);
                dc__replay_clock(ep->exit, z, sizeof z);
                fprintf(
                    out,
                    "<td>%s%s</td><td>%s%s</td><td class=\"n\">%.1f s</td><td "
                    "class=\"n\">%.0f m</td><td class=\"n\">%.2f km</td><td>",
                    a, ep->inside_at_start ? " (start)" : "", z, ep->inside_at_end ? " (end)" : "",
                    (double)(ep->exit - ep->entry) / DC_US_PER_S, ep->depth_m, ep->inside_m / 1000);
                if (ep->advisory)
                    fprintf(out, "advisory %.0f s",
                            (double)(ep->entry - ep->advisory) / DC_US_PER_S);
                if (ep->warning)
                    fprintf(out, ", warning %.0f s",
                            (double)(ep->entry - ep->warning) / DC_US_PER_S);
                fputs("</td><td></td></tr>\n", out);
            }
        }
    fputs("</table>\n", out);
}

static void uncertainty_table(FILE *out, const struct replay_run *run)
{
    const dc_replay_params *p = &run->params;
    fprintf(out,
            "<h2>Position uncertainty, &sigma; = %.0f m</h2>\n<table><tr><th>track</th>"
            "<th>border</th><th>P(inside at all)</th><th>entry (95 %%)</th><th>exit (95 %%)</th>"
            "<th>duration (95 %%)</th><th>depth (95 %%)</th></tr>\n",
            p->sigma_m);
    for (size_t t = 0; t < run->track_count; t++)
        for (size_t b = 0; b < run->border_count; b++) {
            const dc_replay_uncertainty *u = &replay_result(run, t, b)->uncertainty;
            fputs("<tr><td>", out);
            escaped(out, run->tracks[t].name);
            fputs("</td><td>", out);
            escaped(out, run->borders[b].name);
            fprintf(out, "</td><td class=\"n\">%.3f &plusmn; %.3f (%u of %u)</td>", u->p_inside,
                    u->p_inside_se, u->entered, u->samples);
            if (u->entered == 0) {
                fputs("<td colspan=\"4\">no draw enters</td></tr>\n", out);
                continue;
            }
            char e0[32], e1[32], x0[32], x1[32];
            dc__replay_clock(u->start + (dc_time_us)llround(u->entry_s.lo * 1e6), e0, sizeof e0);
            dc__replay_clock(u->start + (dc_time_us)llround(u->entry_s.hi * 1e6), e1, sizeof e1);
            dc__replay_clock(u->start + (dc_time_us)llround(u->exit_s.lo * 1e6), x0, sizeof x0);
            dc__replay_clock(u->start + (dc_time_us)llround(u->exit_s.hi * 1e6), x1, sizeof x1);
            fprintf(out,
                    "<td>%s &ndash; %s</td><td>%s &ndash; %s</td><td class=\"n\">%.1f &ndash; "
                    "%.1f s (median %.1f)</td><td class=\"n\">%.0f &ndash; %.0f m (median "
                    "%.0f)</td></tr>\n",
                    e0, e1, x0, x1, u->duration_s.lo, u->duration_s.hi, u->duration_s.median,
                    u->depth_m.lo, u->depth_m.hi, u->depth_m.median);
        }
    fprintf(out,
            "</table>\n<p>Method: the recorded path is the best estimate; the true path is taken "
            "to be it displaced by one horizontal error vector, normal with &sigma; = %.0f m per "
            "axis (east, north), common to the whole recording (a sensor's bias and a tracker's "
            "smoothing make errors over one pass strongly correlated). Monte Carlo: %u draws "
            "from splitmix64 seeded with %llu, normals by Box-Muller; each displaced path is "
            "measured as the recorded one. P(inside at all) is the fraction of draws that "
            "enter (&plusmn; one standard error); intervals are the 2.5 and 97.5 %% quantiles "
            "over the draws that enter. Where the border is straight within a few &sigma;, "
            "P = &Phi;(depth / &sigma;).</p>\n",
            p->sigma_m, p->samples, (unsigned long long)p->seed);
}

static void inputs(FILE *out, const struct replay_run *run)
{
    fputs("<h2>Inputs</h2>\n<table><tr><th>input</th><th>file</th><th>bytes</th>"
          "<th>SHA-256</th><th>source</th><th>licence</th></tr>\n",
          out);
    for (size_t t = 0; t < run->track_count; t++) {
        fputs("<tr><td>track ", out);
        escaped(out, run->tracks[t].aircraft);
        fputs("</td><td>", out);
        escaped(out, run->tracks[t].name);
        fprintf(out,
                "</td><td class=\"n\">%zu</td><td><code>%s</code></td><td>%zu reports</td>"
                "<td></td></tr>\n",
                run->tracks[t].bytes, run->tracks[t].sha256, run->tracks[t].report_count);
    }
    for (size_t b = 0; b < run->border_count; b++) {
        const dc_border *border = &run->borders[b];
        fputs("<tr><td>border ", out);
        escaped(out, border->name);
        fprintf(out, " (%zu rings, %zu vertices)</td><td>", border->ring_count,
                border->vertex_count);
        escaped(out, border->file);
        fprintf(out, "</td><td class=\"n\">%zu</td><td><code>%s</code></td><td>", border->bytes,
                border->sha256);
        escaped(out, border->source);
        fputs("</td><td>", out);
        escaped(out, border->licence);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* The result document, readable by a program from the page; "</" cannot end the script. */
static void embedded(FILE *out, const char *json)
{
    fputs("<script type=\"application/json\" id=\"replay-result\">\n", out);
    for (const char *s = json; *s; s++) {
        if (s[0] == '<' && s[1] == '/')
            fputs("<\\", out);
        else
            fputc(*s, out);
    }
    fputs("\n</script>\n", out);
}

int dc__replay_report(const char *path, const struct replay_run *run)
{
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return -1;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Replay: ",
          out);
    for (size_t t = 0; t < run->track_count; t++) {
        fputs(t ? ", " : "", out);
        escaped(out, run->tracks[t].name);
    }
    fprintf(out,
            "</title>\n<style>%s</style></head><body>\n<h1>Replay: %zu account%s against "
            "%zu border%s</h1>\n",
            style, run->track_count, run->track_count == 1 ? "" : "s", run->border_count,
            run->border_count == 1 ? "" : "s");
    fprintf(out,
            "<p class=\"digest\">Result SHA-256: <code id=\"result-sha256\">%s</code><br>Anyone "
            "holding the same files (digests below) runs the command under <a href=\"#rerun\">"
            "Re-run</a> and must get this digest.</p>\n<h2>Findings</h2>\n",
            run->digest);
    findings(out, run);
    fputs("<figure>\n", out);
    int rc = dc__replay_svg(out, run);
    fputs("</figure>\n", out);
    if (run->params.sigma_m > 0)
        uncertainty_table(out, run);
    fputs("<h2>Method</h2>\n<p>The path runs straight in latitude/longitude between the reports "
          "the live monitor accepts (implausible jumps, speeds and altitudes are left out); "
          "entry and exit are exact on it. Depth is the distance to the border's outline at "
          "one-second samples inside. Distance flown inside is geodesic (WGS84) between those "
          "samples. The closest approach of a path that never enters is geodesic, refined by "
          "golden-section search over time and along the nearest edge of the outline. Warnings "
          "are those the live monitor sends with its default configuration (look-ahead 300 s, "
          "warning 60 s). Borders are read as GeoJSON (RFC 7946), every ring by the even-odd "
          "rule.</p>\n",
          out);
    inputs(out, run);
    fputs("<h2 id=\"rerun\">Re-run</h2>\n<pre>deconflict replay ", out);
    escaped(out, run->command);
    fputs(" --json</pre>\n<p>prints the result document; its <code>result_sha256</code> is the "
          "digest above. The document is also in this page (script "
          "<code>replay-result</code>).</p>\n",
          out);
    embedded(out, run->json);
    fputs("</body></html>\n", out);
    if (ferror(out))
        rc = -1;
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}
