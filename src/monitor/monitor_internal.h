/* monitor_internal.h - what the files of src/monitor share */
#ifndef DECONFLICT_MONITOR_INTERNAL_H
#define DECONFLICT_MONITOR_INTERNAL_H

#include "deconflict/monitor.h"

struct segment {
    double x0, y0, x1, y1; /* lon, lat */
    uint32_t zone;
};

/* A zone's edges in one cell, as the cell keeps them: its own copy, so that testing a cell's edges
 * reads a few runs of memory (the shared array of edges, read by index, made zone events wait on
 * memory), and one array per field, so that a path is tested against two edges at a time. */
struct cell_zone {
    uint32_t zone;
    uint8_t center_inside;
    uint32_t seg_count, seg_capacity;
    double *x0, *y0, *dx, *dy; /* lon, lat of each edge's start; to its end (one allocation) */
    uint32_t *ids;             /* in zone_grid.segs */
};

struct cell {
    uint32_t count, capacity;
    struct cell_zone *entries;
};

struct zone_grid {
    struct cell *cells; /* COLS * ROWS, allocated with the first zone */
    uint64_t *edged;    /* a bit per cell: it has edges (most have none; the bits fit in cache) */
    struct segment *segs;
    size_t seg_count, seg_capacity;
};

struct zone_event {
    double t; /* along the path, 0..1 */
    uint32_t zone;
    uint32_t seg;
};

dc_status dc__zone_grid_add(struct zone_grid *g, uint32_t zone, const dc_point *const *rings,
                            const size_t *sizes, size_t ring_count);
void dc__zone_grid_free(struct zone_grid *g);

/* The zones containing p (at most max). */
size_t dc__zones_at(const struct zone_grid *g, dc_point p, uint32_t *zones, size_t max);

/* Boundary crossings on the straight lat/lon path a->b, ordered by t. */
size_t dc__zone_events(const struct zone_grid *g, dc_point a, dc_point b, struct zone_event *events,
                       size_t max);

/* The edge of the grid nearest a point: its distance (m, on the plane tangent at the point), which
 * edge (in zone_grid.segs) and where along it (0..1). */
struct zone_nearest {
    double distance_m;
    uint32_t seg;
    double t;
};

/* The nearest edge to p within max_m, of any zone. Returns 1, or 0 (none so near). */
int dc__zone_nearest(const struct zone_grid *g, dc_point p, double max_m, struct zone_nearest *out);

/* Metres per degree of latitude and of longitude at a latitude, on the ellipsoid. */
void dc__metres_per_degree(double lat, double *per_lat, double *per_lon);

struct dc_border;
/* A border's edges on a grid of their own (border.c), for the replay measurement; NULL if empty. */
const struct zone_grid *dc__border_grid(const struct dc_border *border);

/* ---- what monitor.c and separation.c share ---- */

#define EARTH_R 6371008.8
#define MAX_INSIDE 16
#define MAX_EVENTS 256

struct level_state {
    uint64_t key; /* zone index, or the pair's two track indices + 1 */
    dc_alert_level level, pending;
    dc_time_us since, last_emit, pending_since;
    int repetition;
    /* separation: sides (1: a, 2: b) not told at the last emission because their own track was
     * not yet established; told at once when it is (in the struct's padding: no larger) */
    uint8_t untold;
};

struct track {
    /* first what a separation cycle reads of every track, together in one cache line */
    dc_time_us time;
    dc_point pos;
    double alt;
    double ve, vn, vu; /* m/s */
    int live;
    int has_velocity;
    char party[DC_ID_MAX];
    char aircraft[16];
    uint32_t inside[MAX_INSIDE];
    size_t inside_count;
    struct level_state *zones;
    size_t zone_count, zone_capacity;
    /* establishment: trusted reports in a row, and when the first of them was received */
    unsigned trusted;
    dc_time_us trusted_since;
    int established;
    /* the position's age: when the current position was first reported (a receiver that loses
     * an aircraft's position repeats the last one; it is as old as its first report) */
    dc_time_us fresh_since;
    /* an episode of unreliable position (trust.c): the last reliable state, for dead reckoning,
     * and the candidate run of consistent reports that may re-acquire the track */
    int unreliable;
    dc_time_us ref_time;
    dc_point ref_pos;
    double ref_ve, ref_vn;
    int ref_has_velocity;
    dc_point cand_pos, cand_first_pos;
    dc_time_us cand_fresh, cand_first;
    unsigned cand_count;
    uint64_t change; /* the monitor's change number when it was last reported or timed out */
    /* what its owner may grant others to learn (a sensor's owner identifying it): the callsign
     * and the intent it flies, as last reported */
    char callsign[16];
    char intent[DC_ID_MAX];
    uint32_t cell, slot; /* its place in the association grid (sensor.c): cell index + 1 */
    uint32_t sensor;     /* the sensor track (index + 1) that last identified it (sensor.c) */
};

/* ---- trust.c: positions not believed ---- */

/* Whether t's report r (a repeat of t's position, or a move of `dist` metres over the position's
 * age) shows a frozen position or an implausible jump: if so the track starts an episode of
 * unreliable position (its owner told) and *verdict says why. Returns 1 when r is not believed. */
int dc__trust_check(dc_monitor *m, struct track *t, const dc_report *r, dc_report_verdict *verdict,
                    dc_alert_list *alerts, dc_status *rc);
/* r for a track in an episode: 1 when it re-acquires the track (the episode ends, its owner told),
 * else 0 with *verdict set. */
int dc__trust_reacquire(dc_monitor *m, struct track *t, const dc_report *r,
                        dc_report_verdict *verdict, dc_alert_list *alerts, dc_status *rc);

/* Whether the sensor track that last identified t (still identified as t, updated within
 * DC__SENSOR_FRESH_S of r) sees t where r puts it: 1 when r lies within the sensor's accuracy gate
 * of the sensor's position moved along its velocity to r's time (and within 600 m of its
 * altitude, if it states one), -1 when beyond, 0 when no sensor track sees t. */
#define DC__SENSOR_FRESH_S 30.0
int dc__sensor_agrees(const dc_monitor *m, const struct track *t, const dc_report *r);

/* What the monitor watches of each party: new aircraft started in the current minute of
 * receipt, and whether the operator has been told this minute of a burst or of reports dated in
 * the future. */
struct party_starts {
    char party[DC_ID_MAX];
    /* token buckets refilled continuously over a minute of receipt: `tokens` for starting an
     * aircraft (new_aircraft_per_minute), `alert_tokens` for the operator's alert level */
    double tokens, alert_tokens;
    dc_time_us last;       /* receipt time the buckets were last refilled to */
    unsigned burst;        /* aircraft started or refused since the buckets were last full */
    dc_time_us alerted_at; /* the last burst alert (INT64_MIN: none) */
    dc_time_us clock_alerted_minute;
};

struct zone {
    int active; /* 0 once removed (its edges stay in the grid, ignored) */
    char owner[DC_ID_MAX];
    char id[DC_ID_MAX];
    char (*admitted)[DC_ID_MAX];
    size_t admitted_count;
    int emergency; /* an emergency area: DC_ALERT_EMERGENCY, its owner not told */
};

/* Items named by two strings (a party and an aircraft, an owner and an intent), found by an
 * open-addressing table of index + 1, rebuilt when half full. Items are never removed. */
struct name_index {
    uint32_t *slots;
    size_t capacity;
    size_t size;              /* of an item */
    size_t first, first_size; /* where its first name lies in it, and its room */
    size_t second, second_size;
};

/* The slot of (first, second) among `items`: holding its index + 1, or empty (0). The index must
 * have room (dc__name_reserve). */
uint32_t *dc__name_slot(const struct name_index *ix, const void *items, const char *first,
                        const char *second);
/* The item named so, or NULL. */
void *dc__name_find(const struct name_index *ix, void *items, const char *first,
                    const char *second);
/* Room for one more than `count` items. DC_OK or DC_NOMEM. */
dc_status dc__name_reserve(struct name_index *ix, const void *items, size_t count);
/* A new item named (first, second), zeroed but for its names, appended to `items` (*count of
 * them in *capacity, grown from `initial`) and indexed. Returns the array, perhaps moved, with
 * the item last; NULL, with nothing changed, when out of memory. */
void *dc__name_add(struct name_index *ix, void *items, size_t *count, size_t *capacity,
                   size_t initial, const char *first, const char *second);

/* An intent being flown, as the conformance monitor keeps it (kept, unwatched, once seen). */
struct watched_intent {
    char owner[DC_ID_MAX];
    char id[DC_ID_MAX];
    int watched;
    dc_volume *volumes;
    size_t volume_count;
};

struct sensor_track;

/* assoc.c: the cooperative tracks by 0.5 degree cell, for sensor association */
struct assoc_cell {
    int64_t key;
    uint32_t *items; /* track indices */
    size_t count, capacity;
};
struct assoc_grid {
    struct assoc_cell *cells;
    size_t cell_count, cell_capacity;
    uint32_t *slots; /* open addressing by cell key: cell index + 1, 0 empty */
    size_t slot_capacity;
};
/* Put track `index` in the cell of its position (after a report moved it). DC_OK or DC_NOMEM. */
dc_status dc__assoc_place(dc_monitor *m, uint32_t index);
/* Calls `each` for every track placed within radius_m of p (and others nearby). */
void dc__assoc_near(const dc_monitor *m, dc_point p, double radius_m,
                    void (*each)(void *ctx, uint32_t index), void *ctx);
void dc__assoc_free(struct assoc_grid *grid);

/* Zone levels and alerts due for t (its party's admissions apply). DC_OK or DC_NOMEM. */
dc_status dc__zone_alerts(dc_monitor *m, struct track *t, dc_alert_list *alerts);
void dc__sensors_free(dc_monitor *m);

struct dc_monitor {
    dc_monitor_config config;
    struct zone_grid grid;
    struct zone *zones;
    size_t zone_count, zone_capacity;
    struct watched_intent *intents;
    size_t intent_count, intent_capacity;
    struct name_index intent_names; /* (owner, id) */
    struct track *tracks; /* never removed, only left to time out: an index names a track */
    size_t track_count, track_capacity;
    dc_time_us newest;
    uint64_t changes; /* tracks reported or timed out so far: what a track stream resumes from */
    struct level_state *pairs; /* separation states of pairs not clear, ordered by key */
    size_t pair_count, pairs_capacity;
    struct level_state *spare_pairs; /* the next cycle's, written while `pairs` is read */
    size_t spare_capacity;
    struct name_index track_names; /* (party, aircraft) */
    struct sensor_track *sensors;  /* sensor.c */
    size_t sensor_count, sensor_capacity;
    struct name_index sensor_names; /* (party, track) */
    struct assoc_grid assoc;        /* assoc.c */
    struct party_starts *starts;    /* a few parties: searched in order */
    size_t start_count, start_capacity;
};

/* A new alert at the end of the list (zeroed), or NULL when there is no list or no memory. */
dc_alert *dc__push_alert(dc_alert_list *list);
/* The alert's track: owner, aircraft, time and position of its last report. */
void dc__fill_track_fields(dc_alert *a, const struct track *t);

/* Conformance of t's last report r to the intent it names, if watched: an alert if outside.
 * DC_OK or DC_NOMEM. */
dc_status dc__conformance(dc_monitor *m, const struct track *t, const dc_report *r,
                          dc_alert_list *alerts);
/* Frees every watched intent. */
void dc__intents_free(dc_monitor *m);

/* Metres east/north from a to b on a local plane (fine below ~200 km). */
void dc__local_offset(dc_point a, dc_point b, double *east, double *north);

/* p moved by east/north metres on a local plane (fine below ~200 km). */
dc_point dc__offset_point(dc_point p, double east, double north);
/* The same, given the cosine of p's latitude. */
dc_point dc__offset_point_cos(dc_point p, double east, double north, double cos_lat);

/* A pair of live tracks (indices into the monitor's tracks, a < b) whose
 * separation is predicted lost within the look-ahead, and when: seconds
 * from now, 0 if lost already. */
/* fmin and fmax are calls into libm on x86-64 (for their NaN rules); the monitor's values are
 * never NaN. */
static inline double min2(double a, double b)
{
    return a < b ? a : b;
}

static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

static inline uint64_t dc__mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return x;
}

struct conflict {
    uint32_t a, b;
    double loss_s;
};

/* Every conflict among the live tracks at `now`, ordered by (a, b), through
 * the grid of swept paths (or, for reference, all pairs). *examined (may be
 * NULL) counts exact tests. *out is allocated (dc_free). DC_OK or DC_NOMEM. */
dc_status dc__conflicts(const dc_monitor *m, dc_time_us now, int all_pairs, struct conflict **out,
                        size_t *count, size_t *examined);

/* The relative state of b seen from a at `now`, in a's east/north/up:
 * position (m) and velocity (m/s). */
void dc__relative(const struct track *a, const struct track *b, dc_time_us now, double d[3],
                  double v[3]);

#endif
