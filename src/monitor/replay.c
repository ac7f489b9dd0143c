/* replay.c - a recorded track measured against a border: stays inside, closest approach, and how
 * far the answer moves under a stated position error
 *
 * One walk along the path does all of it. The path runs straight in latitude/longitude between
 * the reports the live monitor accepts, crossing the border where the monitor's grid says it
 * does, so a replay's entry and exit are the monitor's crossings to the microsecond. Depth is the
 * distance to the outline at one-second samples inside (and at the reports); the closest approach
 * of a path that never enters is found on those samples and then refined on the ellipsoid
 * (geodesic distance, golden-section search over time and along the nearest edge).
 *
 * Uncertainty: the true path is taken to be the recorded one displaced by one horizontal error
 * vector, bivariate normal with σ per axis, common to the whole recording. A sensor's bias and a
 * tracker's smoothing correlate errors over a pass of a minute; drawing an independent error per
 * report instead would make "was it ever inside" a question about the noise (more reports, more
 * chances to stray in) rather than about the aircraft. The same walk is repeated on `samples`
 * displaced copies (splitmix64, Box-Muller, `seed`); P(inside) is the fraction that enter, and
 * entry, exit, time inside and depth are given as 2.5/50/97.5 % quantiles over those that do.
 * For a border straight over the displacement's reach this is Φ(depth/σ) (tests/unit/test_replay.c
 * checks it against that closed form).
 */
#include "deconflict/replay.h"
#include "monitor_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FAR_M 2.0e7 /* farther than any two points on earth: "no limit" for a nearest edge */
#define GOLDEN 0.6180339887498949

dc_replay_params dc_replay_params_default(void)
{
    return (dc_replay_params){0, 2000, 1, 0};
}

void dc_replay_result_clear(dc_replay_result *r)
{
    if (r == NULL)
        return;
    dc_free(r->episodes);
    memset(r, 0, sizeof *r);
}

/* The path as measured: accepted reports' times and positions, each displaced by the same error
 * (shift_lat/lon per report, since a metre is not the same angle at every latitude). */
struct path {
    size_t count;
    dc_time_us *time;
    dc_point *at;    /* recorded */
    double *per_lat; /* m per degree at each report */
    double *per_lon;
    double east, north; /* the displacement, m */
};

static dc_point path_point(const struct path *p, size_t i)
{
    return (dc_point){p->at[i].lat + p->north / p->per_lat[i],
                      p->at[i].lon + p->east / p->per_lon[i]};
}

static dc_point lerp(dc_point a, dc_point b, double t)
{
    return (dc_point){a.lat + (b.lat - a.lat) * t, a.lon + (b.lon - a.lon) * t};
}

/* The path's point at time t (within its span). */
static dc_point point_at(const struct path *p, dc_time_us t)
{
    size_t i = 0;
    while (i + 2 < p->count && p->time[i + 1] <= t)
        i++;
    if (p->count == 1 || t <= p->time[0])
        return path_point(p, 0);
    if (t >= p->time[i + 1])
        return path_point(p, i + 1);
    double f = (double)(t - p->time[i]) / (double)(p->time[i + 1] - p->time[i]);
    return lerp(path_point(p, i), path_point(p, i + 1), f);
}

static double depth_at(const struct zone_grid *g, dc_point q)
{
    struct zone_nearest n;
    return dc__zone_nearest(g, q, FAR_M, &n) ? n.distance_m : 0;
}

/* What one walk gathers: the stays (when `episodes` is wanted) or just their summary. */
struct walk {
    dc_replay_episode *episodes;
    size_t count, capacity;
    int want_episodes, want_distance;
    int entered;
    dc_time_us first_entry, last_exit, inside_us;
    double depth_m;
    double *work_left; /* the measurement's budget (params->work_limit), or NULL: unlimited */
};

/* Spend `units` of the walk's budget: DC_LIMIT once it is spent. */
static dc_status spend(struct walk *w, double units)
{
    if (w->work_left == NULL)
        return DC_OK;
    *w->work_left -= units;
    return *w->work_left < 0 ? DC_LIMIT : DC_OK;
}

static dc_status open_stay(struct walk *w, dc_time_us t, dc_point at, int at_start)
{
    if (!w->entered)
        w->first_entry = t;
    w->entered = 1;
    if (!w->want_episodes)
        return DC_OK;
    dc_replay_episode *grown = dc_grow(w->episodes, &w->capacity, w->count, sizeof *grown, 4);
    if (grown == NULL)
        return DC_NOMEM;
    w->episodes = grown;
    dc_replay_episode *e = &w->episodes[w->count++];
    memset(e, 0, sizeof *e);
    e->entry = t;
    e->entry_point = at;
    e->deepest = at;
    e->inside_at_start = at_start;
    return DC_OK;
}

static void close_stay(struct walk *w, dc_time_us entry, dc_time_us t, dc_point at, int at_end)
{
    w->last_exit = t;
    w->inside_us += t - entry;
    if (!w->want_episodes)
        return;
    dc_replay_episode *e = &w->episodes[w->count - 1];
    e->exit = t;
    e->exit_point = at;
    e->inside_at_end = at_end;
}

/* A point inside the current stay: deeper? farther flown? */
static void inside_sample(struct walk *w, const struct zone_grid *g, dc_point q, dc_point *prev)
{
    double d = depth_at(g, q);
    if (d > w->depth_m)
        w->depth_m = d;
    if (!w->want_episodes)
        return;
    dc_replay_episode *e = &w->episodes[w->count - 1];
    if (d > e->depth_m) {
        e->depth_m = d;
        e->deepest = q;
    }
    if (w->want_distance) {
        double step;
        if (dc_geodesic_inverse(*prev, q, &step, NULL) == DC_OK)
            e->inside_m += step;
        *prev = q;
    }
}

/* Walk the (displaced) path once. */
/* Samples along a whole path, at most: a recorded flight of a day at one a second. A track's
 * reports may lie years apart (the CSV is the caller's), and a sample a second across such a gap
 * was hundreds of millions of samples on a request thread, and a step count past INT_MAX (found by
 * fuzz_request). */
#define PATH_SAMPLES_MAX 86400.0

/* The spacing of the samples along `p`, in seconds: one, or more over a path longer than a day. */
static double sample_spacing_s(const struct path *p)
{
    double duration_s = (double)(p->time[p->count - 1] - p->time[0]) / DC_US_PER_S;
    return duration_s > PATH_SAMPLES_MAX ? duration_s / PATH_SAMPLES_MAX : 1.0;
}

static dc_status walk_path(const struct zone_grid *g, const struct path *p, struct walk *w)
{
    dc_point a = path_point(p, 0), prev = a;
    uint32_t zones[4];
    int inside = dc__zones_at(g, a, zones, 4) > 0;
    dc_time_us entry = p->time[0];
    dc_status rc = inside ? open_stay(w, entry, a, 1) : DC_OK;
    double spacing_s = sample_spacing_s(p);
    if (inside)
        inside_sample(w, g, a, &prev);
    for (size_t i = 0; rc == DC_OK && i + 1 < p->count; i++) {
        dc_point b = path_point(p, i + 1);
        dc_time_us t0 = p->time[i], t1 = p->time[i + 1];
        struct zone_event ev[MAX_EVENTS];
        size_t ne = dc__zone_events(g, a, b, ev, MAX_EVENTS);
        /* one-second samples (fewer over a day) for depth and distance, interleaved with the
         * crossings in order */
        int steps = (int)ceil((double)(t1 - t0) / DC_US_PER_S / spacing_s);
        steps = steps < 1 ? 1 : steps;
        size_t k = 0;
        for (int s = 1; s <= steps && rc == DC_OK; s++) {
            double f = (double)s / steps;
            rc = spend(w, inside ? DC_REPLAY_WORK_INSIDE : 1);
            for (; k < ne && ev[k].t <= f && rc == DC_OK; k++) {
                /* the monitor's rounding of a crossing's time, so the two agree exactly */
                dc_time_us t = t0 + (dc_time_us)((double)(t1 - t0) * ev[k].t);
                dc_point at = lerp(a, b, ev[k].t);
                if (inside) {
                    if (w->want_distance && w->want_episodes)
                        inside_sample(w, g, at, &prev);
                    close_stay(w, entry, t, at, 0);
                } else {
                    entry = t;
                    rc = open_stay(w, t, at, 0);
                    prev = at;
                }
                inside = !inside;
            }
            if (inside && rc == DC_OK)
                inside_sample(w, g, lerp(a, b, f), &prev);
        }
        a = b;
    }
    if (rc == DC_OK && inside)
        close_stay(w, entry, p->time[p->count - 1], a, 1);
    return rc;
}

/* Geodesic distance from q to the edge `seg` at its nearest point (golden section along it: the
 * distance from a point to a short edge has one minimum). */
static double to_edge(const struct segment *s, dc_point q, dc_point *on)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 60 && hi - lo > 1e-12; i++) {
        double m1 = hi - GOLDEN * (hi - lo), m2 = lo + GOLDEN * (hi - lo), d1, d2;
        dc_geodesic_inverse(
            q, (dc_point){s->y0 + (s->y1 - s->y0) * m1, s->x0 + (s->x1 - s->x0) * m1}, &d1, NULL);
        dc_geodesic_inverse(
            q, (dc_point){s->y0 + (s->y1 - s->y0) * m2, s->x0 + (s->x1 - s->x0) * m2}, &d2, NULL);
        if (d1 <= d2)
            hi = m2;
        else
            lo = m1;
    }
    double u = (lo + hi) / 2, d;
    *on = (dc_point){s->y0 + (s->y1 - s->y0) * u, s->x0 + (s->x1 - s->x0) * u};
    dc_geodesic_inverse(q, *on, &d, NULL);
    return d;
}

/* The geodesic distance from the path at time t to the border, and the two points. */
static double approach_at(const struct zone_grid *g, const struct path *p, double t_us,
                          dc_point *aircraft, dc_point *border)
{
    *aircraft = point_at(p, (dc_time_us)llround(t_us));
    struct zone_nearest n;
    if (!dc__zone_nearest(g, *aircraft, FAR_M, &n))
        return INFINITY;
    return to_edge(&g->segs[n.seg], *aircraft, border);
}

/* Within this distance of the border a nearest-edge search looks at a few cells only. */
#define NEAR_M 50000.0

/* The nearest to the border of the path's samples (sample_spacing_s apart) whose distance is at
 * most max_m, into *best and *best_t when nearer than *best. A search's cost grows with the square
 * of the distance it must look (in 0.25 degree cells): a track approaching from thousands of km
 * away took minutes (fuzz_request). So a full search (max_m FAR_M) skips every sample that cannot
 * be nearer than the best so far: the distance to the border changes no faster than the aircraft
 * moves (a 1 % and 1 m margin for the cells' flat-earth distances). */
static void nearest_sample(const struct zone_grid *g, const struct path *p, double spacing_s,
                           double max_m, double *best, dc_time_us *best_t)
{
    dc_point last = {0, 0};
    double last_d = NAN; /* at `last`, from a full search */
    for (size_t i = 0; i < p->count; i++) {
        dc_point a = path_point(p, i), b = i + 1 < p->count ? path_point(p, i + 1) : a;
        dc_time_us t0 = p->time[i], span = i + 1 < p->count ? p->time[i + 1] - t0 : 0;
        int steps = span > 0 ? (int)ceil((double)span / DC_US_PER_S / spacing_s) : 1;
        for (int s = 0; s < steps; s++) {
            dc_point q = lerp(a, b, (double)s / steps);
            double moved;
            if (!isnan(last_d) && dc_geodesic_inverse(last, q, &moved, NULL) == DC_OK &&
                last_d - 1.01 * moved - 1.0 > *best)
                continue;
            struct zone_nearest n;
            double d = dc__zone_nearest(g, q, max_m, &n) ? n.distance_m : INFINITY;
            if (max_m >= FAR_M) {
                last = q;
                last_d = d;
            }
            if (d < *best) {
                *best = d;
                /* in floating point: span * s overflows for a span of years */
                *best_t = t0 + (dc_time_us)llround((double)span * s / steps);
            }
        }
    }
}

/* The closest approach: the nearest sample, among those within NEAR_M when there are any (the
 * same sample as over all of them), then refined within a sample's spacing either side. */
static void closest_approach(const struct zone_grid *g, const struct path *p,
                             dc_replay_approach *out)
{
    double best = INFINITY;
    dc_time_us best_t = p->time[0];
    double spacing_s = sample_spacing_s(p);
    nearest_sample(g, p, spacing_s, NEAR_M, &best, &best_t);
    if (!isfinite(best))
        nearest_sample(g, p, spacing_s, FAR_M, &best, &best_t);
    out->distance_m = NAN;
    if (!isfinite(best))
        return;
    double reach = spacing_s * DC_US_PER_S;
    double lo = (double)best_t - reach, hi = (double)best_t + reach;
    lo = lo < (double)p->time[0] ? (double)p->time[0] : lo;
    hi = hi > (double)p->time[p->count - 1] ? (double)p->time[p->count - 1] : hi;
    dc_point a, b;
    for (int i = 0; i < 60 && hi - lo > 1; i++) {
        double m1 = hi - GOLDEN * (hi - lo), m2 = lo + GOLDEN * (hi - lo);
        if (approach_at(g, p, m1, &a, &b) <= approach_at(g, p, m2, &a, &b))
            hi = m2;
        else
            lo = m1;
    }
    double t = (lo + hi) / 2;
    out->distance_m = approach_at(g, p, t, &out->aircraft, &out->border);
    out->time = (dc_time_us)llround(t);
}

/* Draws of the error: splitmix64 (Steele, Lea, Flood 2014), standard normals by Box-Muller. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void normal_pair(uint64_t *state, double *z1, double *z2)
{
    double u1 = ((double)(splitmix64(state) >> 11) + 1) / 9007199254740992.0; /* (0, 1] */
    double u2 = (double)(splitmix64(state) >> 11) / 9007199254740992.0;
    double r = sqrt(-2 * log(u1));
    *z1 = r * cos(2 * M_PI * u2);
    *z2 = r * sin(2 * M_PI * u2);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantiles of n sorted values, interpolated between order statistics. */
static double quantile(const double *v, size_t n, double q)
{
    double at = q * (double)(n - 1);
    size_t i = (size_t)at;
    return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * (at - (double)i) : v[n - 1];
}

static dc_replay_interval interval(double *v, size_t n)
{
    if (n == 0)
        return (dc_replay_interval){NAN, NAN, NAN};
    qsort(v, n, sizeof *v, by_value);
    return (dc_replay_interval){quantile(v, n, 0.025), quantile(v, n, 0.5), quantile(v, n, 0.975)};
}

static dc_status uncertainty(const struct zone_grid *g, struct path *p,
                             const dc_replay_params *params, double *work_left,
                             dc_replay_uncertainty *out)
{
    uint32_t n = params->samples;
    double *v = dc_malloc((size_t)n * 4 * sizeof *v);
    if (v == NULL)
        return DC_NOMEM;
    double *entry = v, *exit = v + n, *duration = v + 2 * (size_t)n, *depth = v + 3 * (size_t)n;
    uint64_t state = params->seed;
    uint32_t entered = 0;
    dc_status rc = DC_OK;
    for (uint32_t i = 0; i < n && rc == DC_OK; i++) {
        double z1, z2;
        normal_pair(&state, &z1, &z2);
        p->east = params->sigma_m * z1;
        p->north = params->sigma_m * z2;
        struct walk w = {0};
        w.work_left = work_left;
        rc = walk_path(g, p, &w);
        if (rc == DC_OK && w.entered) {
            entry[entered] = (double)(w.first_entry - p->time[0]) / DC_US_PER_S;
            exit[entered] = (double)(w.last_exit - p->time[0]) / DC_US_PER_S;
            duration[entered] = (double)w.inside_us / DC_US_PER_S;
            depth[entered] = w.depth_m;
            entered++;
        }
    }
    p->east = p->north = 0;
    if (rc == DC_OK) {
        out->sigma_m = params->sigma_m;
        out->samples = n;
        out->seed = params->seed;
        out->start = p->time[0];
        out->entered = entered;
        out->p_inside = (double)entered / n;
        out->p_inside_se = sqrt(out->p_inside * (1 - out->p_inside) / n);
        out->entry_s = interval(entry, entered);
        out->exit_s = interval(exit, entered);
        out->duration_s = interval(duration, entered);
        out->depth_m = interval(depth, entered);
    }
    dc_free(v);
    return rc;
}

/* The monitor's view of the recording: which reports it accepts, and the first advisory and
 * warning before each entry (cleared when the track is clear again). */
static dc_status run_monitor(const dc_border *border, const dc_report *reports, size_t count,
                             unsigned char *accepted, dc_time_us *advisory, dc_time_us *warning)
{
    dc_monitor *m;
    dc_status rc = dc_monitor_new(NULL, &m);
    if (rc != DC_OK)
        return rc;
    rc = dc_monitor_add_zone(m, "border", "border", (const dc_point *const *)border->rings,
                             border->sizes, border->ring_count, NULL, 0);
    dc_alert_list alerts = {0};
    dc_time_us adv = 0, warn = 0;
    for (size_t i = 0; i < count && rc == DC_OK; i++) {
        dc_report r = reports[i];
        dc_copy_text(r.party, sizeof r.party, "replay");
        dc_report_verdict v;
        alerts.count = 0;
        rc = dc_monitor_ingest(m, &r, &v, &alerts, NULL);
        accepted[i] = v == DC_REPORT_ACCEPTED;
        for (size_t k = 0; k < alerts.count; k++) {
            const dc_alert *a = &alerts.items[k];
            if (a->repetition == 0 && a->level == DC_LEVEL_ADVISORY && adv == 0)
                adv = a->time;
            if (a->repetition == 0 && a->level == DC_LEVEL_WARNING && warn == 0)
                warn = a->time;
            if (a->level == DC_LEVEL_CLEAR)
                adv = warn = 0;
        }
        advisory[i] = adv;
        warning[i] = warn;
    }
    dc_alert_list_clear(&alerts);
    dc_monitor_free(m);
    return rc;
}

static dc_status fill_path(const dc_report *reports, size_t count, const unsigned char *accepted,
                           struct path *p)
{
    memset(p, 0, sizeof *p);
    p->time = dc_malloc(count * sizeof *p->time);
    p->at = dc_malloc(count * sizeof *p->at);
    p->per_lat = dc_malloc(count * sizeof *p->per_lat);
    p->per_lon = dc_malloc(count * sizeof *p->per_lon);
    if (!p->time || !p->at || !p->per_lat || !p->per_lon)
        return DC_NOMEM;
    for (size_t i = 0; i < count; i++) {
        if (!accepted[i])
            continue;
        p->time[p->count] = reports[i].time;
        p->at[p->count] = reports[i].position;
        dc__metres_per_degree(reports[i].position.lat, &p->per_lat[p->count],
                              &p->per_lon[p->count]);
        p->count++;
    }
    return DC_OK;
}

static void free_path(struct path *p)
{
    dc_free(p->time);
    dc_free(p->at);
    dc_free(p->per_lat);
    dc_free(p->per_lon);
}

/* The alerts the monitor had raised by the report before an entry. */
static void alerts_before(const dc_report *reports, size_t count, const dc_time_us *advisory,
                          const dc_time_us *warning, dc_replay_episode *e)
{
    for (size_t i = 0; i < count && reports[i].time < e->entry; i++) {
        e->advisory = advisory[i];
        e->warning = warning[i];
    }
}

dc_status dc_replay_measure(const dc_border *border, const dc_report *reports, size_t count,
                            const dc_replay_params *params, dc_replay_result *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    const struct zone_grid *g = border ? dc__border_grid(border) : NULL;
    if (g == NULL)
        return dc_error_set(err, DC_INVALID, "border", DC_NO_POSITION, "no border");
    if (count == 0)
        return dc_error_set(err, DC_INVALID, "reports", DC_NO_POSITION, "no reports");
    for (size_t i = 1; i < count; i++)
        if (reports[i].time < reports[i - 1].time)
            return dc_error_set(err, DC_INVALID, "reports", i,
                                "report %zu is older than the one before", i + 1);
    if (params != NULL &&
        (!isfinite(params->sigma_m) || params->sigma_m < 0 || params->sigma_m > 100000))
        return dc_error_set(err, DC_INVALID, "sigma", DC_NO_POSITION,
                            "σ must be 0..100,000 m, not %g", params->sigma_m);
    if (params != NULL && params->sigma_m > 0 &&
        (params->samples == 0 || params->samples > 1000000))
        return dc_error_set(err, DC_INVALID, "samples", DC_NO_POSITION,
                            "samples must be 1..1,000,000, not %u", params->samples);
    unsigned char *accepted = dc_calloc(count, 1);
    dc_time_us *advisory = dc_calloc(count, sizeof *advisory);
    dc_time_us *warning = dc_calloc(count, sizeof *warning);
    struct path p = {0};
    dc_status rc = accepted && advisory && warning ? DC_OK : DC_NOMEM;
    if (rc == DC_OK)
        rc = run_monitor(border, reports, count, accepted, advisory, warning);
    if (rc == DC_OK)
        rc = fill_path(reports, count, accepted, &p);
    if (rc == DC_OK && p.count == 0)
        rc = dc_error_set(err, DC_INVALID, "reports", DC_NO_POSITION,
                          "the monitor accepts none of the reports");
    double work_left = params != NULL ? params->work_limit : 0;
    struct walk w = {0};
    w.want_episodes = w.want_distance = 1;
    w.work_left = work_left > 0 ? &work_left : NULL;
    if (rc == DC_OK)
        rc = walk_path(g, &p, &w);
    out->episodes = w.episodes;
    out->episode_count = w.count;
    for (size_t e = 0; rc == DC_OK && e < w.count; e++)
        alerts_before(reports, count, advisory, warning, &out->episodes[e]);
    out->closest.distance_m = NAN;
    if (rc == DC_OK && w.count == 0)
        closest_approach(g, &p, &out->closest);
    if (rc == DC_OK && params != NULL && params->sigma_m > 0) {
        out->has_uncertainty = 1;
        rc = uncertainty(g, &p, params, w.work_left, &out->uncertainty);
    }
    free_path(&p);
    dc_free(accepted);
    dc_free(advisory);
    dc_free(warning);
    if (rc == DC_NOMEM)
        dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc == DC_LIMIT)
        dc_error_set(err, DC_LIMIT, "samples", DC_NO_POSITION,
                     "this measurement needs more than its share of the work limit (%.0f units):"
                     " fewer samples, tracks or borders, or a shorter recording",
                     params->work_limit);
    if (rc != DC_OK)
        dc_replay_result_clear(out);
    return rc;
}
