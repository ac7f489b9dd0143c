/* replay_json.c - a replay as one JSON document with the digest of its results, the same from the
 * command line and the server */
#include "deconflict/replay.h"
#include "deconflict/time.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The document's wording of the method; docs/SCENARIOS.md explains it at length. */
static const char error_model[] =
    "the recorded path displaced by one horizontal error vector, bivariate normal with sigma_m per "
    "axis (east, north), common to the whole recording";

/* x rounded to a multiple of q, or null when not a number: the digest must not hang on the last
 * bits of a double, which differ between compilers' optimisations. */
static json_t *rounded(double x, double q)
{
    return isfinite(x) ? json_real(round(x / q) * q) : json_null();
}

static json_t *point(dc_point p)
{
    return json_pack("[o,o]", rounded(p.lat, 1e-7), rounded(p.lon, 1e-7));
}

static json_t *instant(dc_time_us t)
{
    char text[32];
    if (t == 0 || dc_time_format(t, text, sizeof text) != DC_OK)
        return json_null();
    return json_string(text);
}

static json_t *lead(dc_time_us alert, dc_time_us entry)
{
    return alert ? rounded((double)(entry - alert) / DC_US_PER_S, 1e-3) : json_null();
}

static json_t *crossing(const dc_replay_episode *e)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o,s:o}", "entry",
                     instant(e->entry), "exit", instant(e->exit), "duration_s",
                     rounded((double)(e->exit - e->entry) / DC_US_PER_S, 1e-3), "max_depth_m",
                     rounded(e->depth_m, 0.1), "distance_inside_m", rounded(e->inside_m, 0.1),
                     "entry_point", point(e->entry_point), "exit_point", point(e->exit_point),
                     "deepest_point", point(e->deepest), "inside_at_start", e->inside_at_start,
                     "inside_at_end", e->inside_at_end, "first_advisory", instant(e->advisory),
                     "first_warning", instant(e->warning), "advisory_lead_s",
                     lead(e->advisory, e->entry), "warning_lead_s", lead(e->warning, e->entry));
}

static json_t *span(dc_replay_interval v, double q)
{
    return json_pack("{s:o,s:o,s:o}", "lo", rounded(v.lo, q), "median", rounded(v.median, q), "hi",
                     rounded(v.hi, q));
}

/* An interval of seconds after `start`, as instants. */
static json_t *span_of_times(dc_replay_interval v, dc_time_us start)
{
    double at[3] = {v.lo, v.median, v.hi};
    json_t *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = isfinite(at[i]) ? instant(start + (dc_time_us)llround(at[i] * 1000) * 1000)
                               : json_null();
    return json_pack("{s:o,s:o,s:o}", "lo", t[0], "median", t[1], "hi", t[2]);
}

static json_t *uncertainty(const dc_replay_uncertainty *u)
{
    dc_time_us start = u->start;
    return json_pack(
        "{s:o,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "sigma_m", rounded(u->sigma_m, 0.1), "samples",
        (json_int_t)u->samples, "seed", (json_int_t)u->seed, "entered", (json_int_t)u->entered,
        "p_inside", rounded(u->p_inside, 1e-4), "p_inside_se", rounded(u->p_inside_se, 1e-4),
        "entry", span_of_times(u->entry_s, start), "exit", span_of_times(u->exit_s, start),
        "duration_s", span(u->duration_s, 1e-3), "depth_m", span(u->depth_m, 0.1));
}

static json_t *approach(const dc_replay_approach *a)
{
    if (!isfinite(a->distance_m))
        return json_null();
    return json_pack("{s:o,s:o,s:o,s:o}", "distance_m", rounded(a->distance_m, 0.1), "time",
                     instant(a->time), "aircraft", point(a->aircraft), "border", point(a->border));
}

static json_t *result(const dc_replay_result *r, size_t t, size_t b)
{
    json_t *crossings = json_array();
    for (size_t e = 0; e < r->episode_count; e++)
        json_array_append_new(crossings, crossing(&r->episodes[e]));
    return json_pack("{s:I,s:I,s:o,s:o,s:o}", "track", (json_int_t)t, "border", (json_int_t)b,
                     "crossings", crossings, "closest_approach",
                     r->episode_count ? json_null() : approach(&r->closest), "uncertainty",
                     r->has_uncertainty ? uncertainty(&r->uncertainty) : json_null());
}

static json_t *method(const dc_replay_params *p)
{
    int mc = p != NULL && p->sigma_m > 0;
    return json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "path",
        "straight in latitude/longitude between the reports the live monitor accepts; crossings "
        "exact on it",
        "depth", "distance to the outline at one-second samples inside", "closest_approach",
        "geodesic (WGS84), refined by golden-section search over time and along the nearest edge",
        "sigma_m", rounded(mc ? p->sigma_m : 0, 0.1), "error_model",
        mc ? json_string(error_model) : json_null(), "monte_carlo",
        mc ? json_pack("{s:I,s:I,s:s,s:s}", "samples", (json_int_t)p->samples, "seed",
                       (json_int_t)p->seed, "generator", "splitmix64, normals by Box-Muller",
                       "intervals", "2.5/50/97.5 % quantiles over the draws that enter")
           : json_null(),
        "monitor", json_string("default configuration (look-ahead 300 s, warning 60 s)"),
        "software", json_string("deconflict replay"));
}

dc_status dc_replay_encode(const dc_replay_track *tracks, size_t track_count,
                           const dc_border *borders, size_t border_count,
                           const dc_replay_params *params, const dc_replay_result *results,
                           char **json, char digest[DC_SHA256_HEX], dc_error *err)
{
    *json = NULL;
    json_t *bs = json_array(), *ts = json_array(), *rs = json_array();
    for (size_t b = 0; b < border_count; b++)
        json_array_append_new(bs, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "name",
                                            borders[b].name, "source", borders[b].source, "licence",
                                            borders[b].licence, "sha256", borders[b].sha256,
                                            "bytes", (json_int_t)borders[b].bytes, "rings",
                                            (json_int_t)borders[b].ring_count, "vertices",
                                            (json_int_t)borders[b].vertex_count));
    for (size_t t = 0; t < track_count; t++)
        json_array_append_new(
            ts, json_pack("{s:s,s:s,s:I,s:s,s:I}", "name", tracks[t].name, "sha256",
                          tracks[t].sha256, "bytes", (json_int_t)tracks[t].bytes, "aircraft",
                          tracks[t].aircraft, "reports", (json_int_t)tracks[t].report_count));
    for (size_t t = 0; t < track_count; t++)
        for (size_t b = 0; b < border_count; b++) {
            json_array_append_new(rs, result(&results[t * border_count + b], t, b));
        }
    json_t *doc = json_pack("{s:o,s:o,s:o,s:o}", "method", method(params), "borders", bs, "tracks",
                            ts, "results", rs);
    const size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);
    char *compact = doc ? json_dumps(doc, flags | JSON_COMPACT) : NULL;
    dc_status rc = compact ? DC_OK : DC_NOMEM;
    if (rc == DC_OK) {
        dc_sha256_hex(compact, strlen(compact), digest);
        json_object_set_new(doc, "result_sha256", json_string(digest));
        char *pretty = json_dumps(doc, flags | JSON_INDENT(1));
        size_t n = pretty ? strlen(pretty) + 1 : 0;
        *json = pretty ? dc_malloc(n) : NULL;
        if (*json != NULL)
            memcpy(*json, pretty, n);
        else
            rc = DC_NOMEM;
        free(pretty);
    }
    free(compact);
    json_decref(doc);
    return rc == DC_OK ? DC_OK : dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
}

dc_status dc_replay_run(const dc_replay_track *tracks, dc_report *const *reports,
                        const size_t *report_counts, size_t track_count, const dc_border *borders,
                        size_t border_count, const dc_replay_params *params,
                        dc_replay_result *results, char **json, char digest[DC_SHA256_HEX],
                        size_t *failed_track, dc_error *err)
{
    *json = NULL;
    dc_status rc = DC_OK;
    for (size_t t = 0; rc == DC_OK && t < track_count; t++)
        for (size_t b = 0; rc == DC_OK && b < border_count; b++) {
            rc = dc_replay_measure(&borders[b], reports[t], report_counts[t], params,
                                   &results[t * border_count + b], err);
            *failed_track = t;
        }
    if (rc != DC_OK)
        return rc;
    *failed_track = track_count;
    return dc_replay_encode(tracks, track_count, borders, border_count, params, results, json,
                            digest, err);
}
