/* separation.c - predicted losses of separation between live tracks: closest approach of every
 * pair that may meet, found through a grid of the tracks' swept paths */
#include "monitor_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dc_cpa(double dx, double dy, double dvx, double dvy, double horizon_s, double *tcpa,
            double *distance)
{
    double v2 = dvx * dvx + dvy * dvy;
    double t = v2 > 0 ? -(dx * dvx + dy * dvy) / v2 : 0;
    if (t < 0)
        t = 0;
    if (t > horizon_s)
        t = horizon_s;
    *tcpa = t;
    *distance = hypot(dx + dvx * t, dy + dvy * t);
}

/* Earliest time in [0, T] at which both separations are lost, or -1. */
static double loss_time(const double d[3], const double v[3], double dh, double dv, double horizon)
{
    double lo = 0, hi = horizon;
    /* horizontal: |d + v t|^2 < dh^2 */
    double a = v[0] * v[0] + v[1] * v[1], b = 2 * (d[0] * v[0] + d[1] * v[1]),
           cc = d[0] * d[0] + d[1] * d[1] - dh * dh;
    if (a == 0) {
        if (cc >= 0)
            return -1;
    } else {
        double disc = b * b - 4 * a * cc;
        if (disc <= 0)
            return -1;
        double s = sqrt(disc);
        lo = max2(lo, (-b - s) / (2 * a));
        hi = min2(hi, (-b + s) / (2 * a));
    }
    /* vertical: |d + v t| < dv */
    if (v[2] == 0) {
        if (fabs(d[2]) >= dv)
            return -1;
    } else {
        double t1 = (-dv - d[2]) / v[2], t2 = (dv - d[2]) / v[2];
        lo = max2(lo, min2(t1, t2));
        hi = min2(hi, max2(t1, t2));
    }
    return lo < hi ? lo : -1;
}

#define WGS84_A 6378137.0
#define WGS84_E2 (1.0 / 298.257223563 * (2.0 - 1.0 / 298.257223563))

/* A track extrapolated to the cycle's time, in earth-centred coordinates
 * with its own east and north: a pair's relative state is then a few dot
 * products, with no trigonometry per pair. Horizontal offsets are chords of
 * the surface (shorter than arcs by d^3/24R^2: 2 cm at 100 km); vertical
 * ones are differences of altitude. */
struct kin {
    double p[3], east[3], north[3], v[3]; /* m, unit, unit, m/s */
    double alt, vu;
};

static void kinematics_at(const struct track *t, dc_time_us now, struct kin *k, dc_point *where,
                          double *sin_lat, double *cos_lat)
{
    double dt = (double)(now - t->time) / DC_US_PER_S;
    dc_point at = dc__offset_point(t->pos, t->ve * dt, t->vn * dt);
    double la = at.lat * M_PI / 180, lo = at.lon * M_PI / 180;
    double sl = sin(la), cl = cos(la), so = sin(lo), co = cos(lo);
    double up[3];
    dc_enu_axes(sl, cl, so, co, k->east, k->north, up);
    /* on the WGS84 ellipsoid, not a sphere: a sphere's distances are up to 0.5 % off (46 m at
     * 5 NM), enough to call a pair 9,259 m apart separated */
    double n = WGS84_A / sqrt(1.0 - WGS84_E2 * sl * sl);
    k->p[0] = n * cl * co;
    k->p[1] = n * cl * so;
    k->p[2] = n * (1.0 - WGS84_E2) * sl;
    for (int i = 0; i < 3; i++)
        k->v[i] = t->ve * k->east[i] + t->vn * k->north[i];
    k->alt = t->alt + t->vu * dt;
    k->vu = t->vu;
    *where = at;
    *sin_lat = sl;
    *cos_lat = cl;
}

static void kinematics(const struct track *t, dc_time_us now, struct kin *k)
{
    dc_point at;
    double sin_lat, cos_lat;
    kinematics_at(t, now, k, &at, &sin_lat, &cos_lat);
}

/* Relative state of b seen from a, in a's east/north/up. */
static void relative_kin(const struct kin *a, const struct kin *b, double d[3], double v[3])
{
    double dp[3] = {b->p[0] - a->p[0], b->p[1] - a->p[1], b->p[2] - a->p[2]};
    double dv[3] = {b->v[0] - a->v[0], b->v[1] - a->v[1], b->v[2] - a->v[2]};
    d[0] = dp[0] * a->east[0] + dp[1] * a->east[1];
    d[1] = dp[0] * a->north[0] + dp[1] * a->north[1] + dp[2] * a->north[2];
    d[2] = b->alt - a->alt;
    v[0] = dv[0] * a->east[0] + dv[1] * a->east[1];
    v[1] = dv[0] * a->north[0] + dv[1] * a->north[1] + dv[2] * a->north[2];
    v[2] = b->vu - a->vu;
}

void dc__relative(const struct track *a, const struct track *b, dc_time_us now, double d[3],
                  double v[3])
{
    struct kin ka, kb;
    kinematics(a, now, &ka);
    kinematics(b, now, &kb);
    relative_kin(&ka, &kb, d, v);
}

/* ---- the grid of swept paths ----
 *
 * Each track's path over the look-ahead, padded by half the separation, is a box in latitude,
 * longitude and altitude, filed in every cell it touches. Two tracks are tested where their boxes
 * overlap and in one cell only: the first cell both touch, the one where on every axis one of the
 * two boxes begins. Cells are larger than most boxes: filing a path costs a lookup per cell, while
 * rejecting an unrelated pair by its box costs a few comparisons on data already in cache
 * (docs/PERFORMANCE.md has the measurements behind the sizes). */

#define CELL_DEG 1.0
#define COLS 360 /* 360 / CELL_DEG */
#define ROWS 180
#define BAND_M 6000.0
#define STEP_M 100.0   /* tracks are filed bottom up by 100 m steps */
#define POLAR_DEG 80.0 /* boxes reaching further towards a pole cover every longitude */

struct sweep {
    double lon0, lon1, lat0, lat1, z0, z1; /* degrees, metres; lon1 may pass 180 */
    int32_t c0, c1, r0, r1, b0, b1;        /* cells; c unwrapped (c1 may pass COLS) */
    int32_t s0, s1;                        /* altitude in steps of STEP_M */
    int ring;                              /* every longitude: near a pole */
};

static int32_t cell_of(double v, double origin, double size)
{
    return (int32_t)floor((v - origin) / size);
}

/* The altitudes t's box spans: now, and at the end of the look-ahead, padded by half the vertical
 * separation. */
static void z_span(const dc_monitor_config *cfg, const struct track *t, dc_time_us now, double *z0,
                   double *z1)
{
    double dt = (double)(now - t->time) / DC_US_PER_S;
    double a = t->alt + t->vu * dt, b = a + t->vu * cfg->lookahead_s, pad = cfg->separation_v_m / 2;
    *z0 = min2(a, b) - pad;
    *z1 = max2(a, b) + pad;
}

/* The box of t's path from p0 (where it is now; sin0, cos0 of its latitude) over the look-ahead. */
static void sweep_of(const dc_monitor_config *cfg, const struct track *t, dc_time_us now,
                     dc_point p0, double sin0, double cos0, struct sweep *s)
{
    double T = cfg->lookahead_s;
    dc_point p1 = dc__offset_point_cos(p0, t->ve * T, t->vn * T, cos0);
    /* The pair test flies each track straight in earth-centred space; this box runs straight in
     * latitude and longitude. The two part by up to L^2 (1 + tan lat) / 2R over a path of length L
     * (320 m over 75 km at 36 N), so the box is widened by that much besides half the separation:
     * without it, pairs whose loss begins at the edge were missed. */
    double L2 = (t->ve * t->ve + t->vn * t->vn) * T * T, sin_max, cos_max;
    if (max2(fabs(p0.lat), fabs(p1.lat)) >= 85.0) { /* capped: tan 85 is already 11 */
        sin_max = sin(85.0 * M_PI / 180);
        cos_max = cos(85.0 * M_PI / 180);
    } else if (fabs(p0.lat) >= fabs(p1.lat)) {
        sin_max = fabs(sin0);
        cos_max = cos0;
    } else { /* p1 is further from the equator, by d radians (< 0.05): angle addition, and the
              * sine and cosine of d by their series (to 1e-11) instead of two more calls */
        double d = (p1.lat - p0.lat) * M_PI / 180, d2 = d * d;
        double sd = d * (1 - d2 / 6 * (1 - d2 / 20)), cd = 1 - d2 / 2 * (1 - d2 / 12);
        sin_max = fabs(sin0 * cd + cos0 * sd);
        cos_max = cos0 * cd - sin0 * sd;
    }
    double margin = L2 * (1 + sin_max / cos_max) / (2 * EARTH_R) + 50;
    double pad_lat = (cfg->separation_h_m / 2 + margin) / EARTH_R * 180 / M_PI;
    double pad_lon = pad_lat / max2(0.05, cos_max);
    double lon0 = min2(p0.lon, p1.lon), lon1 = max2(p0.lon, p1.lon);
    if (lon1 - lon0 > 180) { /* across the antimeridian: take the short way */
        double tmp = lon0;
        lon0 = lon1;
        lon1 = tmp + 360;
    }
    s->lat0 = min2(p0.lat, p1.lat) - pad_lat;
    s->lat1 = max2(p0.lat, p1.lat) + pad_lat;
    s->ring = s->lat1 > POLAR_DEG || s->lat0 < -POLAR_DEG || lon1 - lon0 + 2 * pad_lon >= 90;
    if (s->ring) {
        s->lat0 = s->lat0 < -POLAR_DEG ? -90 : s->lat0;
        s->lat1 = s->lat1 > POLAR_DEG ? 90 : s->lat1;
        s->lon0 = -180;
        s->lon1 = 180;
        s->c0 = 0;
        s->c1 = COLS - 1;
    } else {
        s->lon0 = lon0 - pad_lon;
        s->lon1 = lon1 + pad_lon;
        s->c0 = cell_of(s->lon0, -180, CELL_DEG);
        s->c1 = cell_of(s->lon1, -180, CELL_DEG);
    }
    s->r0 = cell_of(max2(s->lat0, -90), -90, CELL_DEG);
    s->r1 = cell_of(min2(s->lat1, 90), -90, CELL_DEG);
    s->r1 = s->r1 < ROWS ? s->r1 : ROWS - 1;
    z_span(cfg, t, now, &s->z0, &s->z1);
    s->b0 = cell_of(s->z0, 0, BAND_M);
    s->b1 = cell_of(s->z1, 0, BAND_M);
    s->s0 = cell_of(s->z0, 0, STEP_M);
    s->s1 = cell_of(s->z1, 0, STEP_M);
}

static uint64_t cell_key(int32_t c, int32_t r, int32_t b)
{
    uint32_t col = (uint32_t)(((c % COLS) + COLS) % COLS);
    return ((uint64_t)(uint32_t)b << 32) | ((uint64_t)(uint32_t)r << 16) | col;
}

/* The cells in use, numbered densely in order of first use: key -> number by open addressing,
 * the table kept at most half full. */
struct cell_table {
    uint64_t *keys;
    uint32_t *numbers; /* UINT32_MAX: empty */
    size_t capacity, count;
    uint64_t *key_of; /* by number */
    size_t key_capacity;
};

static void cell_table_free(struct cell_table *ct)
{
    dc_free(ct->keys);
    dc_free(ct->numbers);
    dc_free(ct->key_of);
}

static dc_status cell_table_resize(struct cell_table *ct, size_t capacity)
{
    uint64_t *keys = dc_malloc(capacity * sizeof *keys);
    uint32_t *numbers = dc_malloc(capacity * sizeof *numbers);
    if (keys == NULL || numbers == NULL) {
        dc_free(keys);
        dc_free(numbers);
        return DC_NOMEM;
    }
    memset(numbers, 0xff, capacity * sizeof *numbers);
    for (size_t n = 0; n < ct->count; n++) {
        size_t j = dc__mix64(ct->key_of[n]) & (capacity - 1);
        while (numbers[j] != UINT32_MAX)
            j = (j + 1) & (capacity - 1);
        keys[j] = ct->key_of[n];
        numbers[j] = (uint32_t)n;
    }
    dc_free(ct->keys);
    dc_free(ct->numbers);
    ct->keys = keys;
    ct->numbers = numbers;
    ct->capacity = capacity;
    return DC_OK;
}

/* The number of the cell `key`, given one if new. DC_OK or DC_NOMEM. */
static dc_status cell_number(struct cell_table *ct, uint64_t key, uint32_t *number)
{
    size_t mask = ct->capacity - 1, j = dc__mix64(key) & mask;
    while (ct->numbers[j] != UINT32_MAX) {
        if (ct->keys[j] == key) {
            *number = ct->numbers[j];
            return DC_OK;
        }
        j = (j + 1) & mask;
    }
    uint64_t *key_of = dc_grow(ct->key_of, &ct->key_capacity, ct->count, sizeof *key_of, 1024);
    if (key_of == NULL)
        return DC_NOMEM;
    ct->key_of = key_of;
    key_of[ct->count] = key;
    ct->keys[j] = key;
    ct->numbers[j] = (uint32_t)ct->count;
    *number = (uint32_t)ct->count++;
    if (ct->count * 2 > ct->capacity)
        return cell_table_resize(ct, ct->capacity * 2);
    return DC_OK;
}

/* The tracks filed in one cell, gathered: their boxes, on which axes each box began in an earlier
 * cell, and their kinematics. Besides the exact (double) kinematics, floats relative to the cell
 * for a first test that is branch-free and rounded outwards: it never rejects a pair the exact
 * test would accept, and rejects most pairs whose boxes meet. One array per field, so that the
 * loop over a cell's pairs reads them in runs. */
/* Fields: the box (degrees east of the cell's west edge and north of its south edge, metres
 * above the band's floor); earth-centred position from the cell's first track (m) and velocity
 * (m/s); east and north; altitude above the band's floor (m) and vertical rate (m/s); and scratch
 * for the relative states of one track's hits. */
// clang-format off
enum {
    F_X0, F_X1, F_Y0, F_Y1, F_Z0, F_Z1,
    F_PX, F_PY, F_PZ, F_VX, F_VY, F_VZ,
    F_EX, F_EY, F_NX, F_NY, F_NZ,
    F_ALT, F_VU,
    F_DX, F_DY, F_DZ, F_WX, F_WY, F_WZ, F_DA, F_DU,
    F_COUNT
};
// clang-format on

struct cell_batch {
    size_t capacity;
    float *f[F_COUNT];
    uint32_t *later; /* bit 0 longitude, 1 latitude, 2 altitude */
    int32_t *step0, *step1;
    uint32_t *track, *hits;
    uint8_t *meets; /* padded by 8 */
    struct kin *kin;
};

static void cell_batch_free(struct cell_batch *cb)
{
    for (size_t i = 0; i < F_COUNT; i++)
        dc_free(cb->f[i]);
    dc_free(cb->later);
    dc_free(cb->step0);
    dc_free(cb->step1);
    dc_free(cb->track);
    dc_free(cb->hits);
    dc_free(cb->meets);
    dc_free(cb->kin);
    memset(cb, 0, sizeof *cb);
}

static dc_status cell_batch_reserve(struct cell_batch *cb, size_t count)
{
    if (count <= cb->capacity)
        return DC_OK;
    cell_batch_free(cb);
    size_t cap = count * 2;
    int ok = 1;
    for (size_t i = 0; i < F_COUNT; i++)
        ok &= (cb->f[i] = dc_malloc(cap * sizeof(float))) != NULL;
    cb->later = dc_malloc(cap * sizeof *cb->later);
    cb->step0 = dc_malloc(cap * sizeof *cb->step0);
    cb->step1 = dc_malloc(cap * sizeof *cb->step1);
    cb->track = dc_malloc(cap * sizeof *cb->track);
    cb->hits = dc_malloc(cap * sizeof *cb->hits);
    cb->meets = dc_malloc(cap + 8);
    cb->kin = dc_malloc(cap * sizeof *cb->kin);
    if (!ok || !cb->later || !cb->step0 || !cb->step1 || !cb->track || !cb->hits || !cb->meets ||
        !cb->kin) {
        cell_batch_free(cb);
        return DC_NOMEM;
    }
    cb->capacity = cap;
    return DC_OK;
}

/* v as a float no greater (below) or no smaller (above): moved by more than a float's rounding
 * (2^-24 of v) before it is rounded. */
static float below(double v)
{
    return (float)(v - (fabs(v) * 1e-6 + 1e-6));
}

static float above(double v)
{
    return (float)(v + (fabs(v) * 1e-6 + 1e-6));
}

static void gather(struct cell_batch *cb, size_t x, const struct sweep *s, const struct kin *k,
                   uint32_t track, uint64_t key)
{
    int32_t col = (int32_t)(key & 0xffff), r = (int32_t)((key >> 16) & 0xffff),
            b = (int32_t)(uint32_t)(key >> 32);
    uint32_t later = (r != s->r0 ? 2u : 0u) | (b != s->b0 ? 4u : 0u);
    float **f = cb->f;
    if (s->ring) { /* begins in every column, so pairs with it are tested in each (and deduplicated)
                    */
        f[F_X0][x] = -1e9f;
        f[F_X1][x] = 1e9f;
    } else {
        int32_t cu = s->c0 + (((col - s->c0) % COLS) + COLS) % COLS; /* this column, unwrapped */
        double west = cu * CELL_DEG - 180;
        f[F_X0][x] = below(s->lon0 - west);
        f[F_X1][x] = above(s->lon1 - west);
        later |= cu != s->c0 ? 1u : 0u;
    }
    double south = r * CELL_DEG - 90, floor_m = b * BAND_M;
    f[F_Y0][x] = below(s->lat0 - south);
    f[F_Y1][x] = above(s->lat1 - south);
    f[F_Z0][x] = below(s->z0 - floor_m);
    f[F_Z1][x] = above(s->z1 - floor_m);
    const struct kin *first = x == 0 ? k : &cb->kin[0];
    for (int i = 0; i < 3; i++) {
        f[F_PX + i][x] = (float)(k->p[i] - first->p[i]);
        f[F_VX + i][x] = (float)k->v[i];
        f[F_NX + i][x] = (float)k->north[i];
    }
    f[F_EX][x] = (float)k->east[0];
    f[F_EY][x] = (float)k->east[1];
    f[F_ALT][x] = (float)(k->alt - floor_m);
    f[F_VU][x] = (float)k->vu;
    cb->kin[x] = *k;
    cb->later[x] = later;
    cb->step0[x] = s->s0;
    cb->step1[x] = s->s1;
    cb->track[x] = track;
}

/* The members after x that may lose separation with x, tested here (the pair's first common cell),
 * into hits. The float test asks for the boxes to meet, and for the closest horizontal approach
 * and the closest vertical approach within the look-ahead to be both (separately) inside the
 * separations sep_h and sep_v, which the caller has widened for the floats' roundings. */
static size_t meeting(struct cell_batch *cb, size_t x, size_t count, float sep_h, float sep_v,
                      float horizon)
{
    /* first the boxes and the cell, over every member after x */
    const float *restrict X0 = cb->f[F_X0], *restrict X1 = cb->f[F_X1], *restrict Y0 = cb->f[F_Y0],
                          *restrict Y1 = cb->f[F_Y1], *restrict Z0 = cb->f[F_Z0],
                          *restrict Z1 = cb->f[F_Z1];
    const uint32_t *restrict LATER = cb->later;
    uint8_t *restrict meets = cb->meets;
    const float x0 = X0[x], x1 = X1[x], y0 = Y0[x], y1 = Y1[x], z0 = Z0[x], z1 = Z1[x];
    const uint32_t later = LATER[x];
    /* members come bottom up: those starting a step above x's top are all above x */
    size_t lo = x + 1, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cb->step0[mid] <= cb->step1[x])
            lo = mid + 1;
        else
            hi = mid;
    }
    count = lo;
    for (size_t y = x + 1; y < count; y++)
        meets[y] = ((later & LATER[y]) == 0) & (x0 <= X1[y]) & (X0[y] <= x1) & (y0 <= Y1[y]) &
                   (Y0[y] <= y1) & (z0 <= Z1[y]) & (Z0[y] <= z1);
    size_t n = 0, at = x + 1;
    for (; at + 8 <= count; at += 8) { /* eight flags (0 or 1) at a time, one step per flag set */
        uint64_t word;
        memcpy(&word, &meets[at], 8);
        for (; word != 0; word &= word - 1)
            cb->hits[n++] = (uint32_t)(at + ((unsigned)__builtin_ctzll(word) >> 3));
    }
    for (; at < count; at++) {
        cb->hits[n] = (uint32_t)at;
        n += meets[at];
    }
    /* then closest approach, of those only */
    const float *restrict PX = cb->f[F_PX], *restrict PY = cb->f[F_PY], *restrict PZ = cb->f[F_PZ],
                          *restrict VX = cb->f[F_VX], *restrict VY = cb->f[F_VY],
                          *restrict VZ = cb->f[F_VZ], *restrict ALT = cb->f[F_ALT],
                          *restrict VU = cb->f[F_VU];
    uint32_t *restrict hits = cb->hits;
    const float px = PX[x], py = PY[x], pz = PZ[x], vx = VX[x], vy = VY[x], vz = VZ[x],
                ex = cb->f[F_EX][x], ey = cb->f[F_EY][x], nx = cb->f[F_NX][x], ny = cb->f[F_NY][x],
                nz = cb->f[F_NZ][x], alt = ALT[x], vu = VU[x];
    const float h2 = sep_h * sep_h;
    float *restrict DX = cb->f[F_DX], *restrict DY = cb->f[F_DY], *restrict DZ = cb->f[F_DZ],
                    *restrict WX = cb->f[F_WX], *restrict WY = cb->f[F_WY],
                    *restrict WZ = cb->f[F_WZ], *restrict DA = cb->f[F_DA],
                    *restrict DU = cb->f[F_DU];
    for (size_t h = 0; h < n; h++) { /* gathered into runs, so the test below takes four at once */
        uint32_t y = hits[h];
        DX[h] = PX[y] - px;
        DY[h] = PY[y] - py;
        DZ[h] = PZ[y] - pz;
        WX[h] = VX[y] - vx;
        WY[h] = VY[y] - vy;
        WZ[h] = VZ[y] - vz;
        DA[h] = ALT[y] - alt;
        DU[h] = VU[y] - vu;
    }
    for (size_t h = 0; h < n; h++) {
        float de = DX[h] * ex + DY[h] * ey, dn = DX[h] * nx + DY[h] * ny + DZ[h] * nz;
        float we = WX[h] * ex + WY[h] * ey, wn = WX[h] * nx + WY[h] * ny + WZ[h] * nz;
        float t = -(de * we + dn * wn) / (we * we + wn * wn + 1e-9f);
        t = t > 0.0f ? t : 0.0f;
        t = t < horizon ? t : horizon;
        float he = de + we * t, hn = dn + wn * t;
        float a = DA[h], b = a + DU[h] * horizon, fa = fabsf(a), fb = fabsf(b);
        float vmin = fa < fb ? fa : fb;
        vmin = a * b <= 0 ? 0.0f : vmin;
        meets[h] = (he * he + hn * hn < h2) & (vmin < sep_v);
    }
    size_t kept = 0;
    for (size_t h = 0; h < n; h++) {
        hits[kept] = hits[h];
        kept += meets[h];
    }
    return kept;
}

struct found {
    struct conflict *items;
    size_t count, capacity;
};

static dc_status found_add(struct found *f, uint32_t i, uint32_t j, double loss_s)
{
    struct conflict *items = dc_grow(f->items, &f->capacity, f->count, sizeof *items, 256);
    if (items == NULL)
        return DC_NOMEM;
    f->items = items;
    f->items[f->count++] = (struct conflict){i < j ? i : j, i < j ? j : i, loss_s};
    return DC_OK;
}

/* The exact test of tracks i < j: both separations lost at once within the look-ahead. */
static double pair_loss(const dc_monitor_config *c, const struct kin *ki, const struct kin *kj)
{
    double d[3], v[3];
    relative_kin(ki, kj, d, v);
    return loss_time(d, v, c->separation_h_m, c->separation_v_m, c->lookahead_s);
}

/* The stable permutation that sorts keys (each below 2^key_bits): a radix sort, 11 bits a pass,
 * through tmp (n items). */
static void radix_order(const uint64_t *keys, size_t n, unsigned key_bits, uint32_t *order,
                        uint32_t *tmp)
{
    uint32_t *src = order, *dst = tmp;
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    for (unsigned shift = 0; shift < key_bits; shift += 11) {
        size_t counts[2048] = {0};
        for (size_t i = 0; i < n; i++)
            counts[(keys[src[i]] >> shift) & 2047]++;
        size_t at = 0;
        for (size_t d = 0; d < 2048; d++) {
            size_t k = counts[d];
            counts[d] = at;
            at += k;
        }
        for (size_t i = 0; i < n; i++)
            dst[counts[(keys[src[i]] >> shift) & 2047]++] = src[i];
        uint32_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != order)
        memcpy(order, src, n * sizeof *order);
}

static unsigned bits_for(size_t n)
{
    unsigned bits = 1;
    while (((size_t)1 << bits) < n)
        bits++;
    return bits;
}

/* Sort by (a, b) and drop repeats (a ring box meets the same track in several columns). */
static dc_status sort_conflicts(struct found *f, size_t n_tracks)
{
    unsigned bits = bits_for(n_tracks);
    uint64_t *keys = dc_malloc((f->count ? f->count : 1) * sizeof *keys);
    uint32_t *order = dc_malloc((f->count ? f->count : 1) * sizeof *order);
    uint32_t *tmp = dc_malloc((f->count ? f->count : 1) * sizeof *tmp);
    struct conflict *sorted = dc_malloc((f->count ? f->count : 1) * sizeof *sorted);
    dc_status rc = keys && order && tmp && sorted ? DC_OK : DC_NOMEM;
    for (size_t i = 0; rc == DC_OK && i < f->count; i++)
        keys[i] = (uint64_t)f->items[i].a << bits | f->items[i].b;
    if (rc == DC_OK)
        radix_order(keys, f->count, 2 * bits, order, tmp);
    size_t kept = 0;
    for (size_t i = 0; rc == DC_OK && i < f->count; i++) {
        const struct conflict *c = &f->items[order[i]];
        if (kept == 0 || c->a != sorted[kept - 1].a || c->b != sorted[kept - 1].b)
            sorted[kept++] = *c;
    }
    if (rc == DC_OK) {
        dc_free(f->items);
        f->items = sorted;
        f->count = kept;
        f->capacity = kept ? kept : 1;
        sorted = NULL;
    }
    dc_free(keys);
    dc_free(order);
    dc_free(tmp);
    dc_free(sorted);
    return rc;
}

static dc_status all_pairs(const dc_monitor *m, const struct kin *kins, struct found *f,
                           size_t *examined)
{
    for (size_t i = 0; i < m->track_count; i++)
        for (size_t j = i + 1; j < m->track_count; j++) {
            if (!m->tracks[i].live || !m->tracks[j].live)
                continue;
            ++*examined;
            double loss = pair_loss(&m->config, &kins[i], &kins[j]);
            if (loss >= 0 && found_add(f, (uint32_t)i, (uint32_t)j, loss) != DC_OK)
                return DC_NOMEM;
        }
    return DC_OK;
}

/* The pairs that meet within each cell of the grid, as `start` and `members` file the tracks by
 * cell: each cell's kinematics gathered into `cb`, then compared pair by pair. */
static dc_status pairs_in_cells(const dc_monitor *m, const struct cell_table *ct,
                                const uint32_t *start, const uint32_t *members,
                                const struct sweep *sweeps, const struct kin *kins,
                                const uint32_t *tracks, struct cell_batch *cb, struct found *f,
                                size_t *examined)
{
    /* float roundings stay below a metre over a few hundred kilometres; 10 m and 1 m of slack */
    const float sep_h = (float)m->config.separation_h_m + 10,
                sep_v = (float)m->config.separation_v_m + 1, horizon = (float)m->config.lookahead_s;
    dc_status rc = DC_OK;
    for (size_t cell = 0; rc == DC_OK && cell < ct->count; cell++) {
        uint32_t count = start[cell + 1] - start[cell];
        if (count < 2)
            continue;
        if ((rc = cell_batch_reserve(cb, count)) != DC_OK)
            break;
        const uint32_t *mem = &members[start[cell]];
        for (uint32_t x = 0; x < count; x++) {
            if (x + 4 < count) { /* scattered reads again */
                __builtin_prefetch(&sweeps[mem[x + 4]]);
                __builtin_prefetch(&kins[mem[x + 4]]);
                __builtin_prefetch((const char *)&kins[mem[x + 4]] + 64);
            }
            gather(cb, x, &sweeps[mem[x]], &kins[mem[x]], tracks[mem[x]], ct->key_of[cell]);
        }
        for (uint32_t x = 0; x < count && rc == DC_OK; x++) {
            size_t hits = meeting(cb, x, count, sep_h, sep_v, horizon);
            *examined += hits;
            for (size_t h = 0; h < hits && rc == DC_OK; h++) {
                /* seen from the track first in the monitor's order, as the all-pairs reference
                 * sees it, so that both make the same roundings */
                uint32_t y = cb->hits[h], first = cb->track[x] < cb->track[y] ? x : y;
                double loss = pair_loss(&m->config, &cb->kin[first], &cb->kin[first == x ? y : x]);
                if (loss >= 0)
                    rc = found_add(f, cb->track[x], cb->track[y], loss);
            }
        }
    }
    return rc;
}

/* Pairs within each cell: boxes and kinematics gathered first, so that the quadratic loop reads
 * only what one cell's tracks bring into cache. Tracks are taken in the order of the cell where
 * their boxes begin, so that a cell's members are gathered from a few runs of memory rather than
 * from anywhere among all the tracks. */
static dc_status grid_pairs(const dc_monitor *m, dc_time_us now, struct found *f, size_t *examined)
{
    size_t n = m->track_count, live = 0, entries = 0;
    uint64_t *keys = dc_malloc((n ? n : 1) * sizeof *keys);
    uint32_t *order = dc_malloc((n ? n : 1) * sizeof *order), *by_place = NULL, *tmp = NULL,
             *tracks = NULL;
    int32_t *steps = dc_malloc((n ? n : 1) * sizeof *steps);
    struct sweep *sweeps = NULL;
    struct kin *kins = NULL;
    struct cell_table ct = {0};
    uint32_t *entry_cell = NULL, *entry_track = NULL, *start = NULL, *members = NULL;
    struct cell_batch cb = {0};
    dc_status rc = keys && order && steps ? cell_table_resize(&ct, 1024) : DC_NOMEM;
    /* the order: by the altitude step where a box begins (the pair loop relies on it), then by
     * where the track is, in cells */
    int32_t step_min = INT32_MAX, step_max = INT32_MIN;
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        if (!m->tracks[i].live)
            continue;
        double z0, z1;
        z_span(&m->config, &m->tracks[i], now, &z0, &z1);
        steps[live] = cell_of(z0, 0, STEP_M);
        step_min = steps[live] < step_min ? steps[live] : step_min;
        step_max = steps[live] > step_max ? steps[live] : step_max;
        order[live++] = (uint32_t)i;
    }
    if (live < 2) /* no pairs, and no range of steps */
        live = 0;
    for (size_t k = 0; k < live; k++) {
        dc_point p = m->tracks[order[k]].pos;
        uint64_t place = (uint64_t)cell_of(p.lat, -90, CELL_DEG) * COLS +
                         (uint64_t)(cell_of(p.lon, -180, CELL_DEG) % COLS);
        keys[k] = (uint64_t)(steps[k] - step_min) * ROWS * COLS + place;
    }
    if (rc == DC_OK) {
        by_place = dc_malloc((live ? live : 1) * sizeof *by_place);
        tmp = dc_malloc((live ? live : 1) * sizeof *tmp);
        tracks = dc_malloc((live ? live : 1) * sizeof *tracks);
        sweeps = dc_malloc((live ? live : 1) * sizeof *sweeps);
        kins = dc_malloc((live ? live : 1) * sizeof *kins);
        rc = by_place && tmp && tracks && sweeps && kins ? DC_OK : DC_NOMEM;
    }
    if (rc == DC_OK && live > 0)
        radix_order(keys, live, bits_for((size_t)(step_max - step_min + 1) * ROWS * COLS), by_place,
                    tmp);
    for (size_t k = 0; rc == DC_OK && k < live; k++) {
        if (k + 8 < live) /* the reads are scattered: ask for them early */
            __builtin_prefetch(&m->tracks[order[by_place[k + 8]]].time);
        const struct track *t = &m->tracks[order[by_place[k]]];
        dc_point at;
        double sin_lat, cos_lat;
        tracks[k] = order[by_place[k]];
        kinematics_at(t, now, &kins[k], &at, &sin_lat, &cos_lat);
        sweep_of(&m->config, t, now, at, sin_lat, cos_lat, &sweeps[k]);
        entries += (size_t)(sweeps[k].c1 - sweeps[k].c0 + 1) *
                   (size_t)(sweeps[k].r1 - sweeps[k].r0 + 1) *
                   (size_t)(sweeps[k].b1 - sweeps[k].b0 + 1);
    }
    dc_free(by_place);
    dc_free(tmp);
    if (rc == DC_OK) {
        entry_cell = dc_malloc((entries ? entries : 1) * sizeof *entry_cell);
        entry_track = dc_malloc((entries ? entries : 1) * sizeof *entry_track);
        members = dc_malloc((entries ? entries : 1) * sizeof *members);
        rc = entry_cell && entry_track && members ? DC_OK : DC_NOMEM;
    }
    /* file: the cell of every entry, then the entries grouped by cell (a counting sort) */
    size_t e = 0;
    for (size_t k = 0; rc == DC_OK && k < live; k++) {
        const struct sweep *s = &sweeps[k];
        for (int32_t b = s->b0; b <= s->b1 && rc == DC_OK; b++)
            for (int32_t r = s->r0; r <= s->r1 && rc == DC_OK; r++)
                for (int32_t c = s->c0; c <= s->c1 && rc == DC_OK; c++) {
                    rc = cell_number(&ct, cell_key(c, r, b), &entry_cell[e]);
                    entry_track[e++] = (uint32_t)k;
                }
    }
    if (rc == DC_OK) {
        start = dc_calloc(ct.count + 1, sizeof *start);
        rc = start ? DC_OK : DC_NOMEM;
    }
    if (rc == DC_OK) {
        for (size_t k = 0; k < e; k++)
            start[entry_cell[k] + 1]++;
        for (size_t k = 0; k < ct.count; k++)
            start[k + 1] += start[k];
        for (size_t k = 0; k < e; k++) /* start[cell] runs ahead while filling, then is restored */
            members[start[entry_cell[k]]++] = entry_track[k];
        for (size_t k = ct.count; k > 0; k--)
            start[k] = start[k - 1];
        start[0] = 0;
    }
    if (rc == DC_OK)
        rc = pairs_in_cells(m, &ct, start, members, sweeps, kins, tracks, &cb, f, examined);
    dc_free(steps);
    dc_free(sweeps);
    dc_free(keys);
    dc_free(order);
    dc_free(tracks);
    dc_free(kins);
    cell_table_free(&ct);
    dc_free(entry_cell);
    dc_free(entry_track);
    dc_free(start);
    dc_free(members);
    cell_batch_free(&cb);
    return rc;
}

dc_status dc__conflicts(const dc_monitor *m, dc_time_us now, int all, struct conflict **out,
                        size_t *count, size_t *examined)
{
    *out = NULL;
    *count = 0;
    size_t tests = 0;
    struct found f = {0};
    dc_status rc;
    if (all) {
        struct kin *kins = dc_malloc((m->track_count ? m->track_count : 1) * sizeof *kins);
        if (kins == NULL)
            return DC_NOMEM;
        for (size_t i = 0; i < m->track_count; i++)
            if (m->tracks[i].live)
                kinematics(&m->tracks[i], now, &kins[i]);
        rc = all_pairs(m, kins, &f, &tests);
        dc_free(kins);
    } else {
        rc = grid_pairs(m, now, &f, &tests);
    }
    if (rc == DC_OK)
        rc = sort_conflicts(&f, m->track_count);
    if (rc != DC_OK) {
        dc_free(f.items);
        return rc;
    }
    *out = f.items;
    *count = f.count;
    if (examined != NULL)
        *examined = tests;
    return DC_OK;
}

dc_status dc_monitor_conflict_pairs(dc_monitor *m, dc_time_us now, int brute_force,
                                    uint32_t **pairs, size_t *count)
{
    struct conflict *found;
    size_t n;
    *pairs = NULL;
    *count = 0;
    dc_status rc = dc__conflicts(m, now, brute_force, &found, &n, NULL);
    if (rc != DC_OK)
        return rc;
    uint32_t *out = dc_malloc((n ? n : 1) * 2 * sizeof *out);
    if (out == NULL) {
        dc_free(found);
        return DC_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = found[i].a;
        out[2 * i + 1] = found[i].b;
    }
    dc_free(found);
    *pairs = out;
    *count = n;
    return DC_OK;
}
