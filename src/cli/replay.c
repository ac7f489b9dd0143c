/* replay.c - `deconflict replay`: recorded tracks against one or more borders, measured by the
 * library (src/monitor/replay.c), tabled, drawn and reported */
#include "cli.h"
#include "replay_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict replay --tracks FILE.csv [--tracks FILE.csv ...]\n"
    "                         (--zone FILE.geojson [--name NAME] [--licence TEXT] | --country NAME) ...\n"
    "                         [--borders FILE.geojson] [--sigma METRES [--samples N] [--seed N]]\n"
    "                         [--svg OUT.svg] [--report OUT.html] [--json]\n"
    "\n"
    "Measures recorded tracks (the CSV columns of shared/data/tracks) against each\n"
    "border given: every stay inside (entry and exit, exact on the path between\n"
    "reports; duration; greatest depth; distance flown inside; the advisory and\n"
    "warning the live monitor would have sent before the entry), and for a track\n"
    "that never enters, its closest approach (geodesic: how near, when, where).\n"
    "Several --tracks (accounts of one event) and several borders give a table\n"
    "track x border.\n"
    "  --zone      any GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection\n"
    "              (RFC 7946; holes count); every polygon of it is the border\n"
    "  --name      names the last --zone (default: its name property, or the file)\n"
    "  --licence   states the last --zone's licence (default: its licence property)\n"
    "  --country   a country of Natural Earth 10m by name (Turkey, syria, TUR...),\n"
    "              from --borders (default: world.geojson of $DECONFLICT_BORDERS, else\n"
    "              of the build's or the installation's borders, whatever the directory)\n"
    "  --tracks -  reads that track from standard input (once)\n"
    "  --sigma     horizontal position error, metres (1 sigma per axis): gives the\n"
    "              probability each track was inside at all and 95 % intervals of\n"
    "              entry, exit, duration and depth (Monte Carlo: the whole path\n"
    "              displaced by one normal error; --samples draws, default 2000,\n"
    "              from --seed, default 1)\n"
    "  --svg       draws the tracks over every border, each in the key\n"
    "  --report    writes one self-contained HTML page: findings, drawing, method,\n"
    "              the inputs' SHA-256 digests, sources and licences, the command to\n"
    "              re-run, and the digest of the result to compare\n"
    "  --json      the result document (with result_sha256) instead of the table\n";

struct border_spec {
    const char *file, *country, *name, *licence;
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int parse_count(const char *text, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || text[0] == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Appends " word" to the re-run command (quoted if it holds a space). */
static void command_add(struct replay_run *run, const char *word)
{
    size_t n = strlen(run->command);
    const char *q = strchr(word, ' ') ? "'" : "";
    snprintf(run->command + n, sizeof run->command - n, "%s%s%s%s", n ? " " : "", q, word, q);
}

static int load_borders(struct replay_run *run, const struct border_spec *specs, size_t count,
                        const char *world)
{
    for (size_t b = 0; b < count; b++) {
        dc_error err;
        dc_border *border = &run->borders[b];
        const char *file = specs[b].file ? specs[b].file : world;
        if (dc_border_load(file, specs[b].country, border, &err) != DC_OK) {
            fprintf(stderr, "deconflict replay: %s%s%s\n", err.message, err.field[0] ? " at " : "",
                    err.field);
            return -1;
        }
        run->border_count++;
        if (specs[b].name != NULL)
            dc_copy_text(border->name, sizeof border->name, specs[b].name);
        if (specs[b].licence != NULL)
            dc_copy_text(border->licence, sizeof border->licence, specs[b].licence);
        if (specs[b].country != NULL) {
            command_add(run, "--country");
            command_add(run, specs[b].country);
            command_add(run, "--borders");
        } else {
            command_add(run, "--zone");
        }
        command_add(run, base_name(file));
        if (specs[b].name != NULL) {
            command_add(run, "--name");
            command_add(run, specs[b].name);
        }
        if (specs[b].licence != NULL) {
            command_add(run, "--licence");
            command_add(run, specs[b].licence);
        }
    }
    return 0;
}

static int load_tracks(struct replay_run *run, const char *const *files, size_t count)
{
    for (size_t t = 0; t < count; t++) {
        dc_error err = {0};
        dc_replay_track *track = &run->tracks[t];
        char *text = NULL, why[256];
        size_t length = 0;
        if (dc_cli_read_input(files[t], &text, &length, why, sizeof why) != 0) {
            fprintf(stderr, "deconflict replay: %s\n", why);
            return -1;
        }
        /* the digest is of the bytes measured, standard input's as much as a file's */
        dc_sha256_hex(text, length, track->sha256);
        track->bytes = length;
        dc_status rc = dc_tracks_csv_parse(text, length, dc_cli_input_name(files[t]), "replay",
                                           &run->reports[t], &run->report_counts[t], &err);
        free(text);
        /* a recorded file is read in time order, whatever order it was written in */
        if (rc == DC_OK && dc_reports_sort_by_time(run->reports[t], run->report_counts[t]) != DC_OK)
            rc = dc_error_set(&err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        if (rc != DC_OK) {
            fprintf(stderr, "deconflict replay: %s\n", err.message);
            return -1;
        }
        run->track_count++;
        if (run->report_counts[t] == 0) {
            fprintf(stderr, "deconflict replay: no reports in %s\n", files[t]);
            return -1;
        }
        dc_copy_text(track->name, sizeof track->name,
                     strcmp(files[t], "-") == 0 ? "stdin" : base_name(files[t]));
        dc_copy_text(track->aircraft, sizeof track->aircraft, run->reports[t][0].aircraft);
        track->report_count = run->report_counts[t];
        command_add(run, "--tracks");
        command_add(run, track->name);
    }
    return 0;
}

static void print_table(const struct replay_run *run)
{
    const dc_replay_params *p = &run->params;
    for (size_t b = 0; b < run->border_count; b++)
        printf("border %zu: %s - %s (licence: %s; sha256 %.16s...)\n", b + 1, run->borders[b].name,
               run->borders[b].source, run->borders[b].licence, run->borders[b].sha256);
    char sigma[48] = "";
    if (p->sigma_m > 0)
        snprintf(sigma, sizeof sigma, "P(in) sigma %.0f m", p->sigma_m);
    printf("%-26s %-26s %-12s %-12s %9s %8s %9s  %-18s %s\n", "track", "border", "entry", "exit",
           "duration", "depth", "inside", sigma, p->sigma_m > 0 ? "95 % duration, depth" : "");
    for (size_t t = 0; t < run->track_count; t++)
        for (size_t b = 0; b < run->border_count; b++) {
            const dc_replay_result *r = replay_result(run, t, b);
            char un[160] = "";
            if (r->has_uncertainty) {
                const dc_replay_uncertainty *u = &r->uncertainty;
                snprintf(un, sizeof un, "%-18.3f", u->p_inside);
                if (u->entered > 0)
                    snprintf(un + strlen(un), sizeof un - strlen(un), " %.1f-%.1f s, %.0f-%.0f m",
                             u->duration_s.lo, u->duration_s.hi, u->depth_m.lo, u->depth_m.hi);
            }
            if (r->episode_count == 0) {
                char when[32] = "-";
                dc__replay_clock(r->closest.time, when, sizeof when);
                printf("%-26.26s %-26.26s never enters: closest %.0f m at %s (%.5f, %.5f) %*s%s\n",
                       run->tracks[t].name, run->borders[b].name, r->closest.distance_m, when,
                       r->closest.border.lat, r->closest.border.lon, r->has_uncertainty ? 2 : 0, "",
                       un);
            }
            for (size_t e = 0; e < r->episode_count; e++) {
                const dc_replay_episode *ep = &r->episodes[e];
                char a[32], x[32];
                dc__replay_clock(ep->entry, a, sizeof a);
                dc__replay_clock(ep->exit, x, sizeof x);
                printf("%-26.26s %-26.26s %-12s %-12s %7.1f s %6.0f m %6.2f km  %s\n",
                       run->tracks[t].name, run->borders[b].name, a, x,
                       (double)(ep->exit - ep->entry) / DC_US_PER_S, ep->depth_m,
                       ep->inside_m / 1000, e == 0 ? un : "");
            }
        }
    if (p->sigma_m > 0)
        printf("uncertainty: %u draws, seed %llu; the whole path displaced by one normal error "
               "of %.0f m per axis\n",
               p->samples, (unsigned long long)p->seed, p->sigma_m);
    printf("result sha256 %s\n", run->digest);
}

static void free_run(struct replay_run *run)
{
    for (size_t t = 0; t < run->track_count; t++)
        dc_free(run->reports[t]);
    for (size_t b = 0; b < run->border_count; b++)
        dc_border_clear(&run->borders[b]);
    for (size_t i = 0; i < REPLAY_MAX * REPLAY_MAX; i++)
        dc_replay_result_clear(&run->results[i]);
    dc_free(run->json);
}

/* Every track against every border, and the result document: 0, or 2 with the reason told. */
static int measure(struct replay_run *run)
{
    dc_error err;
    size_t failed_track = 0;
    if (dc_replay_run(run->tracks, run->reports, run->report_counts, run->track_count, run->borders,
                      run->border_count, &run->params, run->results, &run->json, run->digest,
                      &failed_track, &err) == DC_OK)
        return 0;
    if (failed_track < run->track_count)
        fprintf(stderr, "deconflict replay: %s: %s\n", run->tracks[failed_track].name, err.message);
    else
        fprintf(stderr, "deconflict replay: %s\n", err.message);
    return 2;
}

/* The result as the table or the document, and the plot and the report where asked: 0, or 2
 * when a file cannot be written. */
static int show(struct replay_run *run, int json, const char *svg, const char *report)
{
    int status = 0;
    if (json)
        puts(run->json);
    else
        print_table(run);
    if (status == 0 && svg != NULL) {
        FILE *out = fopen(svg, "w");
        int failed = out == NULL || dc__replay_svg(out, run) != 0;
        if (out != NULL && fclose(out) != 0)
            failed = 1;
        if (failed) {
            fprintf(stderr, "deconflict replay: cannot write %s\n", svg);
            status = 2;
        }
    }
    if (status == 0 && report != NULL && dc__replay_report(report, run) != 0) {
        fprintf(stderr, "deconflict replay: cannot write %s\n", report);
        status = 2;
    }
    if (status == 0 && report != NULL && !json)
        printf("report: %s\n", report);
    return status;
}

int dc_cli_replay(int argc, char **argv)
{
    const char *files[REPLAY_MAX], *svg = NULL, *report = NULL, *world = NULL;
    char found[4096];
    struct border_spec specs[REPLAY_MAX];
    size_t nfiles = 0, nspecs = 0;
    int json = 0, usage = 0;
    dc_replay_params params = dc_replay_params_default();
    for (int i = 1; i < argc && !usage; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(arg, "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(arg, "--json") == 0) {
            json = 1;
        } else if (value == NULL) {
            usage = 1;
        } else if (strcmp(arg, "--tracks") == 0 && nfiles < REPLAY_MAX) {
            files[nfiles++] = argv[++i];
        } else if ((strcmp(arg, "--zone") == 0 || strcmp(arg, "--country") == 0) &&
                   nspecs < REPLAY_MAX) {
            int zone = arg[2] == 'z';
            specs[nspecs++] =
                (struct border_spec){zone ? value : NULL, zone ? NULL : value, NULL, NULL};
            i++;
        } else if (strcmp(arg, "--name") == 0 && nspecs > 0) {
            specs[nspecs - 1].name = argv[++i];
        } else if (strcmp(arg, "--licence") == 0 && nspecs > 0) {
            specs[nspecs - 1].licence = argv[++i];
        } else if (strcmp(arg, "--borders") == 0) {
            world = argv[++i];
        } else if (strcmp(arg, "--svg") == 0) {
            svg = argv[++i];
        } else if (strcmp(arg, "--report") == 0) {
            report = argv[++i];
        } else if (strcmp(arg, "--sigma") == 0) {
            char *end = NULL;
            params.sigma_m = strtod(argv[++i], &end);
            usage = end == value || *end != '\0' || !isfinite(params.sigma_m) ||
                    params.sigma_m <= 0 || params.sigma_m > 100000;
        } else if (strcmp(arg, "--samples") == 0) {
            usage = parse_count(argv[++i], 1000000, &n) != 0 || n == 0;
            params.samples = (uint32_t)n;
        } else if (strcmp(arg, "--seed") == 0) {
            usage = parse_count(argv[++i], UINT64_MAX, &n) != 0;
            params.seed = n;
        } else {
            usage = 1;
        }
        if (usage)
            fprintf(stderr, "deconflict replay: unexpected or bad '%s'\n", arg);
    }
    if (usage || nfiles == 0 || nspecs == 0) {
        fputs(help, stderr);
        return 2;
    }
    size_t from_stdin = 0;
    for (size_t t = 0; t < nfiles; t++)
        from_stdin += strcmp(files[t], "-") == 0;
    if (from_stdin > 1) {
        fputs("deconflict replay: standard input (-) can be read once\n", stderr);
        return 2;
    }
    int needs_world = 0;
    for (size_t b = 0; b < nspecs; b++)
        needs_world |= specs[b].country != NULL;
    if (needs_world && world == NULL) {
        if (dc_cli_borders_file("world.geojson", found, sizeof found) != 0) {
            fprintf(stderr, "deconflict replay: --country: %s\n", dc_cli_borders_hint);
            return 2;
        }
        world = found;
    }
    struct replay_run *run = dc_calloc(1, sizeof *run);
    if (run == NULL) {
        fputs("deconflict replay: out of memory\n", stderr);
        return 2;
    }
    run->params = params;
    int status =
        load_tracks(run, files, nfiles) == 0 && load_borders(run, specs, nspecs, world) == 0 ? 0
                                                                                             : 2;
    if (status == 0 && params.sigma_m > 0) {
        char sigma[32], samples[16], seed[24];
        snprintf(sigma, sizeof sigma, "%g", params.sigma_m);
        snprintf(samples, sizeof samples, "%u", params.samples);
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)params.seed);
        const char *words[] = {"--sigma", sigma, "--samples", samples, "--seed", seed};
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            command_add(run, words[i]);
    }
    if (status == 0)
        status = measure(run);
    if (status == 0)
        status = show(run, json, svg, report);
    free_run(run);
    dc_free(run);
    return status;
}
