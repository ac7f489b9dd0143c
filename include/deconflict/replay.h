/* replay.h - recorded tracks measured against borders: crossings, closest approach, position
 * uncertainty, and digests both parties of a dispute can check */
#ifndef DECONFLICT_REPLAY_H
#define DECONFLICT_REPLAY_H

#include "deconflict/monitor.h"

#include <stdint.h>

/* SHA-256 in lower-case hex, with its terminator. */
#define DC_SHA256_HEX 65

/* The SHA-256 of `length` bytes as hex into out. Can't fail. */
void dc_sha256_hex(const void *bytes, size_t length, char out[DC_SHA256_HEX]);

struct dc__border_index;

/* A border: the outline of an area (outer rings and holes alike, read by the even-odd rule, edges
 * straight in latitude/longitude as the monitor draws them), with what a report must say of it. */
typedef struct dc_border {
    char name[DC_ID_MAX]; /* a feature's name property, the selected name, or the file's name */
    char file[128];       /* the file's name without its directory, or "" */
    char source[256];     /* where it came from (a "source" property, the title, or the file) */
    char licence[128];    /* a "licence"/"license" property, else "not stated in the file" */
    char sha256[DC_SHA256_HEX]; /* of the bytes it was read from */
    size_t bytes;
    size_t ring_count, vertex_count;
    dc_point **rings;
    size_t *sizes;
    struct dc__border_index *index; /* private: the edges on the monitor's grid */
} dc_border;

/* Read a border from GeoJSON text (RFC 7946): a Polygon, MultiPolygon, GeometryCollection,
 * Feature or FeatureCollection; every polygon of it, holes included, is part of the border.
 * Features whose "kind" property is not "zone" (the other objects of a scenario file, see
 * docs/SCENARIOS.md) and geometries that are not polygons are left out. With `select`, only
 * features one of whose name properties (owner, name, NAME, ADMIN, A3, ISO_A3, id) equals it, case
 * and spaces/hyphens aside ("Turkey", "turkey", "TUR"). `file_name` names the border when nothing
 * in the text does. Rings must be closed, of at least 4 valid positions, enclosing an area.
 * DC_OK; DC_INVALID (not JSON, or a malformed geometry: the JSON pointer in err->field);
 * DC_NOT_FOUND (no polygon, or none selected); DC_NOMEM. *out is empty on failure; on success it
 * owns its arrays (dc_border_clear). */
dc_status dc_border_parse(const char *text, size_t length, const char *file_name,
                          const char *select, dc_border *out, dc_error *err);

/* dc_border_parse on a file's bytes; DC_NOT_FOUND also when it cannot be read. */
dc_status dc_border_load(const char *path, const char *select, dc_border *out, dc_error *err);

void dc_border_clear(dc_border *border); /* NULL and an empty border are no-ops */

/* Whether p lies inside the border. Can't fail. */
int dc_border_contains(const dc_border *border, dc_point p);

/* The least distance (m) from p to the border's outline, within `max_m`, and the nearest point of
 * the outline (may be NULL). The distance is measured on the plane tangent to the ellipsoid at p
 * (0.01 % within 10 km). DC_OK; DC_NOT_FOUND when no edge lies within max_m. */
dc_status dc_border_distance(const dc_border *border, dc_point p, double max_m, double *distance_m,
                             dc_point *nearest);

/* How a replay is measured. */
typedef struct dc_replay_params {
    double sigma_m;    /* horizontal position error, 1 σ per axis (east, north); 0: none */
    uint32_t samples;  /* Monte Carlo draws when sigma_m > 0 (1..1,000,000; default 2,000) */
    uint64_t seed;     /* of the draws (default 1): the same seed draws the same errors */
    double work_limit; /* units one measurement may spend (DC_REPLAY_WORK_MAX); 0: no limit */
} dc_replay_params;

dc_replay_params dc_replay_params_default(void);

/* One stay inside the border, between an entry and an exit on the path interpolated between
 * reports (straight in latitude/longitude, at the times of the reports in between). */
typedef struct dc_replay_episode {
    dc_time_us entry, exit;
    dc_point entry_point, exit_point;
    int inside_at_start, inside_at_end; /* the recording begins or ends inside */
    double depth_m;                     /* greatest distance to the outline, sampled every second */
    dc_point deepest;
    double inside_m; /* distance flown inside (geodesic, between one-second samples; fewer, evenly
                        spaced, over a track longer than a day) */
    dc_time_us advisory, warning; /* the monitor's first advisory and warning before it, or 0 */
} dc_replay_episode;

/* The least distance from a path to a border, on the ellipsoid (geodesic). */
typedef struct dc_replay_approach {
    double distance_m;
    dc_time_us time;
    dc_point aircraft, border; /* the path's point then, and the outline's nearest point */
} dc_replay_approach;

/* A 95 % interval and its median, over the draws that enter. */
typedef struct dc_replay_interval {
    double lo, median, hi; /* 2.5 %, 50 %, 97.5 % quantiles */
} dc_replay_interval;

/* Uncertainty of a crossing under a position error (method in docs/SCENARIOS.md): the recorded
 * path displaced by one horizontal error vector drawn from a bivariate normal of σ per axis,
 * common to the whole recording, `samples` times from a splitmix64 generator seeded with `seed`,
 * normals by Box-Muller. */
typedef struct dc_replay_uncertainty {
    double sigma_m;
    uint32_t samples;
    uint64_t seed;
    dc_time_us start;   /* the first report's time, which entry_s and exit_s count from */
    uint32_t entered;   /* draws whose path is inside at some time */
    double p_inside;    /* entered / samples */
    double p_inside_se; /* its standard error, sqrt(p (1 - p) / samples) */
    dc_replay_interval entry_s, exit_s; /* first entry and last exit, s after the first report */
    dc_replay_interval duration_s;      /* total time inside */
    dc_replay_interval depth_m;         /* greatest depth */
} dc_replay_uncertainty;

/* One track measured against one border. */
typedef struct dc_replay_result {
    size_t episode_count;
    dc_replay_episode *episodes;
    dc_replay_approach closest; /* when no episode: the path's closest approach to the border */
    int has_uncertainty;
    dc_replay_uncertainty uncertainty;
} dc_replay_result;

/* The work one replay request may spend, in units of about 20 ns of a Release build's time on
 * the test machine: a step along a path outside the border is one unit, a sample inside it (its
 * depth measured) 300 (docs/PERFORMANCE.md). About two seconds of a request thread. */
#define DC_REPLAY_WORK_MAX 1.0e8
#define DC_REPLAY_WORK_INSIDE 300.0

/* Measure `reports` (one aircraft, in time order, as dc_tracks_csv_read gives them) against the
 * border: each stay inside (entry, exit, depth, distance inside, and the alerts the live monitor
 * would have sent before it, with its default configuration); without a stay, the closest approach;
 * with params->sigma_m > 0, the uncertainty. `params` may be NULL (no uncertainty).
 * DC_OK; DC_INVALID (no reports, reports out of time order, a parameter out of range: err says
 * which); DC_LIMIT (past params->work_limit); DC_NOMEM. On success *out owns its arrays
 * (dc_replay_result_clear); on failure it is empty. */
dc_status dc_replay_measure(const dc_border *border, const dc_report *reports, size_t count,
                            const dc_replay_params *params, dc_replay_result *out, dc_error *err);

void dc_replay_result_clear(dc_replay_result *result); /* NULL is a no-op */

/* The SHA-256 of a file's bytes, and how many. DC_OK or DC_NOT_FOUND (cannot read), DC_NOMEM. */
dc_status dc_sha256_file(const char *path, char out[DC_SHA256_HEX], size_t *bytes, dc_error *err);

/* A recorded track as a replay names it. */
typedef struct dc_replay_track {
    char name[128]; /* the file's name without its directory: digests, not paths, identify it */
    char sha256[DC_SHA256_HEX];
    size_t bytes;
    char aircraft[16];
    size_t report_count;
} dc_replay_track;

/* The whole replay as one JSON document: the method and its parameters, every border (name,
 * source, licence, SHA-256) and track (name, SHA-256), and for each track and border (results
 * track-major: results[t * border_count + b]) the crossings, closest approach and uncertainty.
 * Numbers are rounded (0.1 m, 1 ms, 1e-7 degree, 1e-4 probability) so that builds and machines
 * agree; the last member, "result_sha256", is the SHA-256 of the document's compact encoding
 * without it, and is also written to `digest`. Anyone holding the same files re-runs the replay
 * and compares that digest. *json is indented text (dc_free). DC_OK, DC_NOMEM. */
dc_status dc_replay_encode(const dc_replay_track *tracks, size_t track_count,
                           const dc_border *borders, size_t border_count,
                           const dc_replay_params *params, const dc_replay_result *results,
                           char **json, char digest[DC_SHA256_HEX], dc_error *err);

/* The one replay both front ends run: every track (`reports[t]`, `report_counts[t]` of them, in
 * time order) measured against every border (dc_replay_measure, into results[t * border_count +
 * b], which the caller clears with dc_replay_result_clear whatever the outcome), then encoded
 * (dc_replay_encode into *json and `digest`). The same files and parameters give the same
 * digest whoever runs it. DC_OK; else dc_replay_measure's or dc_replay_encode's failure with
 * *failed_track the track it was measuring (track_count when encoding failed). */
dc_status dc_replay_run(const dc_replay_track *tracks, dc_report *const *reports,
                        const size_t *report_counts, size_t track_count, const dc_border *borders,
                        size_t border_count, const dc_replay_params *params,
                        dc_replay_result *results, char **json, char digest[DC_SHA256_HEX],
                        size_t *failed_track, dc_error *err);

#endif
