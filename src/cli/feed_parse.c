/* feed_parse.c - SBS-1/BaseStation lines and readsb's aircraft.json into position reports. The
 * text comes from a receiver on the network: every field is checked, a bad line is counted and
 * skipped, and one aircraft's state (callsign, velocity, altitude) is kept between its messages
 * because SBS sends them apart. Feet and knots become metres and metres a second here. */
#include "feed.h"

#include "deconflict/status.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SBS_FIELDS 22
#define NO_TIME INT64_MIN

struct aircraft {
    uint32_t key; /* the address + 1; 0: an empty slot */
    char callsign[DC_AIRCRAFT_MAX];
    double ground_speed_mps, track_deg, vertical_rate_mps;
    dc_time_us velocity_time; /* NO_TIME: no velocity heard */
    double altitude_m;
    dc_time_us altitude_time;
    dc_time_us last_position; /* the newest report's time */
    dc_time_us heard;         /* when its last message was received */
};

struct dc_feed_state {
    struct aircraft *slots;
    size_t capacity, used;
    dc_time_us pruned; /* when a full table was last pruned (received clock) */
    int message_clock;
    dc_feed_counts counts;
};

dc_feed_state *dc_feed_state_new(int message_clock)
{
    dc_feed_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->capacity = 1024;
    s->slots = calloc(s->capacity, sizeof *s->slots);
    if (s->slots == NULL) {
        free(s);
        return NULL;
    }
    s->message_clock = message_clock;
    return s;
}

void dc_feed_state_free(dc_feed_state *s)
{
    if (s != NULL)
        free(s->slots);
    free(s);
}

const dc_feed_counts *dc_feed_state_counts(const dc_feed_state *s)
{
    return &s->counts;
}

static size_t slot_of(const struct aircraft *slots, size_t capacity, uint32_t key)
{
    size_t i = (key * 2654435761u) & (capacity - 1);
    while (slots[i].key != 0 && slots[i].key != key)
        i = (i + 1) & (capacity - 1);
    return i;
}

/* The table again at `capacity`, without the aircraft not heard since `forget_before`. */
static int rebuild(dc_feed_state *s, size_t capacity, dc_time_us forget_before)
{
    struct aircraft *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return -1;
    size_t used = 0;
    for (size_t i = 0; i < s->capacity; i++) {
        const struct aircraft *a = &s->slots[i];
        if (a->key == 0 || a->heard < forget_before)
            continue;
        slots[slot_of(slots, capacity, a->key)] = *a;
        used++;
    }
    free(s->slots);
    s->slots = slots;
    s->capacity = capacity;
    s->used = used;
    return 0;
}

/* The aircraft's state, new when first heard; NULL when the table is full of aircraft heard in
 * the last DC_FEED_FORGET_S (or out of memory): the message is then ignored. */
static struct aircraft *aircraft(dc_feed_state *s, uint32_t address, dc_time_us received)
{
    uint32_t key = address + 1;
    size_t i = slot_of(s->slots, s->capacity, key);
    if (s->slots[i].key == key) {
        s->slots[i].heard = received;
        return &s->slots[i];
    }
    if (2 * (s->used + 1) > s->capacity) {
        /* full of aircraft heard lately: pruning again at once would only cost */
        if (s->capacity >= 2 * DC_FEED_MAX_AIRCRAFT && received - s->pruned < DC_US_PER_S)
            return NULL;
        s->pruned = received;
        dc_time_us forget = received - (dc_time_us)DC_FEED_FORGET_S * DC_US_PER_S;
        size_t grown = s->capacity < 2 * DC_FEED_MAX_AIRCRAFT ? s->capacity * 2 : s->capacity;
        if (rebuild(s, grown, forget) != 0 || 2 * (s->used + 1) > s->capacity)
            return NULL;
        i = slot_of(s->slots, s->capacity, key);
    }
    struct aircraft *a = &s->slots[i];
    memset(a, 0, sizeof *a);
    a->key = key;
    a->velocity_time = a->altitude_time = a->last_position = NO_TIME;
    a->ground_speed_mps = a->track_deg = a->vertical_rate_mps = a->altitude_m = NAN;
    a->heard = received;
    s->used++;
    return a;
}

/* ---- fields ---- */

/* The ICAO address: exactly 6 hex digits. */
static int address_of(const char *text, size_t n, uint32_t *out)
{
    if (n != 6)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)text[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* A number filling the field: 1, 0 when the field is empty, -1 when it is something else. */
static int number_of(const char *text, size_t n, double *out)
{
    char buf[48];
    if (n == 0)
        return 0;
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!(isdigit((unsigned char)buf[i]) || strchr("+-.eE", buf[i]) != NULL))
            return -1; /* no "nan", "inf" or hex floats from a receiver */
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + n || !isfinite(v))
        return -1;
    *out = v;
    return 1;
}

/* "2019/11/03" and "09:28:10.000" as UTC. 0, or -1. */
static int sbs_time(const char *date, size_t dn, const char *tod, size_t tn, dc_time_us *out)
{
    char text[48];
    if (dn != 10 || date[4] != '/' || date[7] != '/' || tn < 8 || tn > 15)
        return -1;
    snprintf(text, sizeof text, "%.4s-%.2s-%.2sT%.*sZ", date, date + 5, date + 8, (int)tn, tod);
    dc_error err;
    return dc_time_parse(text, out, &err) == DC_OK ? 0 : -1;
}

static int callsign_of(const char *text, size_t n, char out[DC_AIRCRAFT_MAX])
{
    char buf[32];
    while (n > 0 && text[n - 1] == ' ')
        n--;
    while (n > 0 && text[0] == ' ')
        text++, n--;
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    dc_error err;
    return dc_ident_callsign(buf, out, &err) == DC_OK ? 0 : -1;
}

static void address_text(uint32_t address, char out[DC_AIRCRAFT_MAX])
{
    snprintf(out, DC_AIRCRAFT_MAX, "%06X", (unsigned)address & 0xFFFFFFu);
}

static int position_ok(double lat, double lon)
{
    return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && !(lat == 0 && lon == 0);
}

static double track_of(double deg)
{
    double t = fmod(deg, 360.0);
    return t < 0 ? t + 360.0 : t;
}

/* A report from the aircraft's state at position time `t`, emitted when newer than its last. */
static void report(dc_feed_state *s, struct aircraft *a, dc_time_us t, double lat, double lon,
                   double alt_m, dc_feed_emit emit, void *ctx)
{
    if (a->last_position != NO_TIME && t <= a->last_position) {
        s->counts.stale++;
        return;
    }
    dc_feed_report r;
    memset(&r, 0, sizeof r);
    address_text(a->key - 1, r.aircraft);
    memcpy(r.callsign, a->callsign, sizeof r.callsign);
    r.time = t;
    r.lat = lat;
    r.lon = lon;
    r.altitude_m = alt_m;
    r.ground_speed_mps = r.track_deg = r.vertical_rate_mps = NAN;
    if (a->velocity_time != NO_TIME &&
        llabs(t - a->velocity_time) <= (dc_time_us)DC_FEED_VELOCITY_MAX_AGE_S * DC_US_PER_S) {
        r.ground_speed_mps = a->ground_speed_mps;
        r.track_deg = a->track_deg;
        r.vertical_rate_mps = a->vertical_rate_mps;
    }
    a->last_position = t;
    s->counts.positions++;
    emit(ctx, &r);
}

/* ---- SBS-1 ---- */

struct fields {
    const char *at[SBS_FIELDS];
    size_t len[SBS_FIELDS];
    size_t count;
};

static int split(const char *line, size_t length, struct fields *f)
{
    f->count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= length; i++) {
        if (i < length && line[i] != ',')
            continue;
        if (f->count == SBS_FIELDS)
            return -1;
        f->at[f->count] = line + start;
        f->len[f->count++] = i - start;
        start = i + 1;
    }
    return 0;
}

static int field_is(const struct fields *f, size_t i, const char *word)
{
    return i < f->count && f->len[i] == strlen(word) && memcmp(f->at[i], word, f->len[i]) == 0;
}

/* MSG,3: the position, with the altitude it carries (or the last one heard within 10 s). */
static int sbs_position(dc_feed_state *s, struct aircraft *a, const struct fields *f, dc_time_us t,
                        dc_feed_emit emit, void *ctx)
{
    double lat, lon, alt_ft;
    if (f->count < 16 || number_of(f->at[14], f->len[14], &lat) != 1 ||
        number_of(f->at[15], f->len[15], &lon) != 1 || !position_ok(lat, lon))
        return -1;
    int has_alt = number_of(f->at[11], f->len[11], &alt_ft);
    if (has_alt < 0)
        return -1;
    double alt_m = has_alt ? alt_ft * DC_FEED_FT_M : NAN;
    if (!has_alt && a->altitude_time != NO_TIME && llabs(t - a->altitude_time) <= 10 * DC_US_PER_S)
        alt_m = a->altitude_m;
    if (isnan(alt_m)) {
        s->counts.ignored++; /* a report needs its altitude */
        return 0;
    }
    report(s, a, t, lat, lon, alt_m, emit, ctx);
    return 0;
}

/* MSG,4: ground speed and track together, the vertical rate when given. */
static int sbs_velocity(struct aircraft *a, const struct fields *f, dc_time_us t)
{
    double gs, trk, vr = NAN;
    if (f->count < 17)
        return -1;
    int g = number_of(f->at[12], f->len[12], &gs), k = number_of(f->at[13], f->len[13], &trk);
    int v = number_of(f->at[16], f->len[16], &vr);
    if (g < 0 || k < 0 || v < 0 || g != k || (g && (gs < 0 || gs > 4000)))
        return -1;
    if (g) {
        a->ground_speed_mps = gs * DC_FEED_KT_MPS;
        a->track_deg = track_of(trk);
        a->vertical_rate_mps = v ? vr * DC_FEED_FPM_MPS : NAN;
        a->velocity_time = t;
    }
    return 0;
}

/* 0 handled, -1 malformed. */
static int sbs_message(dc_feed_state *s, const struct fields *f, dc_time_us received,
                       dc_feed_emit emit, void *ctx)
{
    if (f->count < 11 || f->len[1] != 1 || f->at[1][0] < '1' || f->at[1][0] > '8')
        return -1;
    int type = f->at[1][0] - '0';
    uint32_t address;
    if (f->len[4] > 0 && f->at[4][0] == '~') {
        s->counts.ignored++; /* a non-ICAO address (TIS-B, anonymous): no aircraft to name */
        return 0;
    }
    if (address_of(f->at[4], f->len[4], &address) != 0)
        return -1;
    dc_time_us t = received;
    if (s->message_clock && sbs_time(f->at[6], f->len[6], f->at[7], f->len[7], &t) != 0)
        return -1;
    if (type != 1 && type != 3 && type != 4 && type != 5 && type != 7) {
        s->counts.ignored++;
        return 0;
    }
    struct aircraft *a = aircraft(s, address, received);
    if (a == NULL) {
        s->counts.ignored++;
        return 0;
    }
    if (type == 1) {
        char cs[DC_AIRCRAFT_MAX];
        if (callsign_of(f->at[10], f->len[10], cs) != 0)
            return -1;
        memcpy(a->callsign, cs, sizeof cs);
        return 0;
    }
    if (type == 3)
        return sbs_position(s, a, f, t, emit, ctx);
    if (type == 4)
        return sbs_velocity(a, f, t);
    double alt_ft; /* 5, 7: an altitude alone */
    int has = f->count > 11 ? number_of(f->at[11], f->len[11], &alt_ft) : 0;
    if (has < 0)
        return -1;
    if (has) {
        a->altitude_m = alt_ft * DC_FEED_FT_M;
        a->altitude_time = t;
    }
    return 0;
}

void dc_feed_sbs_line(dc_feed_state *s, const char *line, size_t length, dc_time_us received,
                      dc_feed_emit emit, void *ctx)
{
    if (length > 0 && line[length - 1] == '\r')
        length--;
    if (length == 0)
        return; /* keep-alive blank lines */
    s->counts.lines++;
    struct fields f;
    if (memchr(line, '\0', length) != NULL || split(line, length, &f) != 0) {
        s->counts.malformed++;
        return;
    }
    if (field_is(&f, 0, "MSG")) {
        if (sbs_message(s, &f, received, emit, ctx) != 0)
            s->counts.malformed++;
        return;
    }
    /* BaseStation's other records: selection, id, new aircraft, status, clock */
    static const char *const others[] = {"SEL", "ID", "AIR", "STA", "CLK"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (field_is(&f, 0, others[i])) {
            s->counts.ignored++;
            return;
        }
    s->counts.malformed++;
}

/* ---- aircraft.json ---- */

static int json_number_or(json_t *o, const char *a, const char *b, double *out)
{
    json_t *v = json_object_get(o, a);
    if (v == NULL && b != NULL)
        v = json_object_get(o, b);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return 0;
    *out = json_number_value(v);
    return 1;
}

/* One entry: 0 handled, -1 malformed. */
static int json_entry(dc_feed_state *s, json_t *e, double now_s, dc_time_us received,
                      dc_feed_emit emit, void *ctx)
{
    const char *hex = json_string_value(json_object_get(e, "hex"));
    uint32_t address;
    if (hex == NULL)
        return -1;
    if (hex[0] == '~') {
        s->counts.ignored++;
        return 0;
    }
    if (address_of(hex, strlen(hex), &address) != 0)
        return -1;
    double lat, lon, seen_pos = 0, alt_ft, gs, trk, vr;
    int has_lat = json_number_or(e, "lat", NULL, &lat),
        has_lon = json_number_or(e, "lon", NULL, &lon);
    if (!has_lat || !has_lon) {
        s->counts.ignored++; /* heard, but no position yet */
        return 0;
    }
    if (!position_ok(lat, lon))
        return -1;
    json_number_or(e, "seen_pos", NULL, &seen_pos);
    /* "ground" is no altitude above the ellipsoid: the geometric one, or nothing */
    if (!json_number_or(e, "alt_baro", "altitude", &alt_ft) &&
        !json_number_or(e, "alt_geom", NULL, &alt_ft)) {
        s->counts.ignored++;
        return 0;
    }
    if (seen_pos < 0 || seen_pos > 3600)
        return -1;
    double base = s->message_clock && now_s > 0 ? now_s : (double)received / DC_US_PER_S;
    dc_time_us t = (dc_time_us)llround((base - seen_pos) * 1e6);
    if (!dc_time_in_range(t))
        return -1;
    struct aircraft *a = aircraft(s, address, received);
    if (a == NULL) {
        s->counts.ignored++;
        return 0;
    }
    char cs[DC_AIRCRAFT_MAX];
    const char *flight = json_string_value(json_object_get(e, "flight"));
    if (flight != NULL && callsign_of(flight, strlen(flight), cs) == 0)
        memcpy(a->callsign, cs, sizeof cs);
    if (json_number_or(e, "gs", "speed", &gs) && json_number_or(e, "track", NULL, &trk) &&
        gs >= 0 && gs <= 4000) {
        a->ground_speed_mps = gs * DC_FEED_KT_MPS;
        a->track_deg = track_of(trk);
        a->vertical_rate_mps = json_number_or(e, "baro_rate", "geom_rate", &vr) ||
                                       json_number_or(e, "vert_rate", NULL, &vr)
                                   ? vr * DC_FEED_FPM_MPS
                                   : NAN;
        a->velocity_time = t;
    }
    report(s, a, t, lat, lon, alt_ft * DC_FEED_FT_M, emit, ctx);
    return 0;
}

int dc_feed_aircraft_json(dc_feed_state *s, const char *text, size_t length, dc_time_us received,
                          dc_feed_emit emit, void *ctx)
{
    json_t *doc = json_loadb(text, length, 0, NULL);
    json_t *list = json_object_get(doc, "aircraft");
    if (!json_is_array(list)) {
        json_decref(doc);
        return -1;
    }
    double now_s = 0;
    json_number_or(doc, "now", NULL, &now_s);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        s->counts.lines++;
        if (!json_is_object(e) || json_entry(s, e, now_s, received, emit, ctx) != 0)
            s->counts.malformed++;
    }
    json_decref(doc);
    return 0;
}
