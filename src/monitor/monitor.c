/* monitor.c - live tracks: plausibility checks, velocity, zone crossings and entry prediction,
 * alert levels */
#include "monitor_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Drop the zones removed since the grid was built from a list of them. */
static size_t active_only(const dc_monitor *m, uint32_t *zones, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (m->zones[zones[i]].active)
            zones[k++] = zones[i];
    return k;
}

static size_t active_events(const dc_monitor *m, struct zone_event *ev, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (m->zones[ev[i].zone].active)
            ev[k++] = ev[i];
    return k;
}

dc_monitor_config dc_monitor_config_default(void)
{
    dc_monitor_config c = {300, 60, 30, 10, 9260, 304.8, 120, 1029, -500, 30000, 3,
                           30,  0,  0,  60, 50,   5,     20,  5000, 0.25, 180};
    return c;
}

size_t dc_alert_recipients(const dc_alert *a, const char *out[2])
{
    size_t n = 0;
    if (a->kind == DC_ALERT_NEW_AIRCRAFT || a->kind == DC_ALERT_CLOCK) {
        out[0] = "operator";
        return 1;
    }
    /* another party's aircraft is disclosed only through a track that has been established:
     * invented aircraft placed beside it learn nothing */
    if (a->kind == DC_ALERT_SEPARATION && !a->established && strcmp(a->other_party, a->party) != 0)
        return 0;
    out[n++] = a->party;
    if (a->kind == DC_ALERT_EMERGENCY)
        return n; /* the declarer learns nothing of who flies near its emergency */
    if (a->kind == DC_ALERT_ZONE &&
        (a->level == DC_LEVEL_WARNING || a->level == DC_LEVEL_INCURSION) &&
        strcmp(a->zone_owner, a->party) != 0)
        out[n++] = a->zone_owner;
    return n;
}

void dc_alert_list_clear(dc_alert_list *l)
{
    if (l == NULL)
        return;
    dc_free(l->items);
    memset(l, 0, sizeof *l);
}

void dc_crossing_list_clear(dc_crossing_list *l)
{
    if (l == NULL)
        return;
    dc_free(l->items);
    memset(l, 0, sizeof *l);
}

dc_alert *dc__push_alert(dc_alert_list *l)
{
    if (l == NULL)
        return NULL;
    dc_alert *items = dc_grow(l->items, &l->capacity, l->count, sizeof *items, 16);
    if (items == NULL)
        return NULL;
    l->items = items;
    dc_alert *a = &l->items[l->count++];
    memset(a, 0, sizeof *a);
    return a;
}

dc_status dc_monitor_new(const dc_monitor_config *config, dc_monitor **out)
{
    *out = NULL;
    dc_monitor_config c = config ? *config : dc_monitor_config_default();
    if (!(c.lookahead_s > 0 && c.warning_s >= 0 && c.repeat_s > 0 && c.hold_s >= 0 &&
          c.separation_h_m > 0 && c.separation_v_m > 0 && c.track_timeout_s > 0 &&
          c.max_speed_mps > 0 && c.altitude_min_m < c.altitude_max_m && c.lookahead_s <= 3600 &&
          c.max_speed_mps <= 10000 && c.establish_s >= 0 && c.establish_s <= 3600 &&
          c.establish_reports <= 1000 && c.freeze_s > 0 && c.freeze_speed_mps >= 0 &&
          c.reacquire_reports >= 1 && c.reacquire_reports <= 1000 && c.reacquire_s >= 0 &&
          c.reacquire_m >= 0 && c.reacquire_fraction >= 0 && c.reacquire_turn_s >= 0))
        return DC_INVALID;
    dc_monitor *m = dc_calloc(1, sizeof *m);
    if (m == NULL)
        return DC_NOMEM;
    m->config = c;
    m->track_names = (struct name_index){.size = sizeof(struct track),
                                         .first = offsetof(struct track, party),
                                         .first_size = DC_ID_MAX,
                                         .second = offsetof(struct track, aircraft),
                                         .second_size = sizeof m->tracks->aircraft};
    m->intent_names = (struct name_index){.size = sizeof(struct watched_intent),
                                          .first = offsetof(struct watched_intent, owner),
                                          .first_size = DC_ID_MAX,
                                          .second = offsetof(struct watched_intent, id),
                                          .second_size = DC_ID_MAX};
    *out = m;
    return DC_OK;
}

void dc_monitor_free(dc_monitor *m)
{
    if (m == NULL)
        return;
    dc__zone_grid_free(&m->grid);
    for (size_t i = 0; i < m->zone_count; i++)
        dc_free(m->zones[i].admitted);
    dc_free(m->zones);
    for (size_t i = 0; i < m->track_count; i++)
        dc_free(m->tracks[i].zones);
    dc_free(m->tracks);
    dc_free(m->pairs);
    dc_free(m->spare_pairs);
    dc__intents_free(m);
    dc__sensors_free(m);
    dc__assoc_free(&m->assoc);
    dc_free(m->track_names.slots);
    dc_free(m->intent_names.slots);
    dc_free(m->starts);
    dc_free(m);
}

size_t dc_monitor_zones_at(const dc_monitor *m, dc_point p, const char **ids, size_t max)
{
    uint32_t zones[MAX_INSIDE];
    size_t n = active_only(m, zones,
                           dc__zones_at(&m->grid, p, zones, max < MAX_INSIDE ? max : MAX_INSIDE));
    for (size_t i = 0; i < n; i++)
        ids[i] = m->zones[zones[i]].id;
    return n;
}

static void track_view(const struct track *t, dc_track_view *v)
{
    memset(v, 0, sizeof *v);
    dc_copy_text(v->aircraft, sizeof v->aircraft, t->aircraft);
    v->time = t->time;
    v->position = t->pos;
    v->altitude_m = t->alt;
    v->ground_speed_mps = t->has_velocity ? hypot(t->ve, t->vn) : NAN;
    v->track_deg = t->has_velocity ? fmod(atan2(t->ve, t->vn) * 180 / M_PI + 360, 360) : NAN;
    v->change = t->change;
    v->live = t->live;
}

void dc_monitor_tracks(const dc_monitor *m, const char *party,
                       void (*each)(void *, const dc_track_view *), void *ctx)
{
    for (size_t i = 0; i < m->track_count; i++) {
        const struct track *t = &m->tracks[i];
        if (!t->live || strcmp(t->party, party) != 0)
            continue;
        dc_track_view v;
        track_view(t, &v);
        each(ctx, &v);
    }
}

uint64_t dc_monitor_changes(const dc_monitor *m)
{
    return m->changes;
}

void dc_monitor_track_changes(const dc_monitor *m, const char *party, uint64_t after,
                              void (*each)(void *, const dc_track_view *), void *ctx)
{
    for (size_t i = 0; i < m->track_count; i++) {
        const struct track *t = &m->tracks[i];
        if (t->change <= after || (!t->live && after == 0) || strcmp(t->party, party) != 0)
            continue;
        dc_track_view v;
        track_view(t, &v);
        each(ctx, &v);
    }
}

size_t dc_monitor_track_count(const dc_monitor *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->track_count; i++)
        n += (size_t)m->tracks[i].live;
    return n;
}

dc_status dc_monitor_add_zone(dc_monitor *m, const char *owner, const char *id,
                              const dc_point *const *rings, const size_t *sizes, size_t ring_count,
                              const char (*admitted)[DC_ID_MAX], size_t admitted_count)
{
    if (owner == NULL || id == NULL || ring_count == 0)
        return DC_INVALID;
    for (size_t r = 0; r < ring_count; r++) {
        if (sizes[r] < 3)
            return DC_INVALID;
        for (size_t i = 0; i < sizes[r]; i++)
            if (dc_point_validate(rings[r][i]) != DC_OK)
                return DC_INVALID;
    }
    struct zone *zones = dc_grow(m->zones, &m->zone_capacity, m->zone_count, sizeof *zones, 64);
    if (zones == NULL)
        return DC_NOMEM;
    m->zones = zones;
    struct zone *z = &m->zones[m->zone_count];
    memset(z, 0, sizeof *z);
    z->active = 1;
    dc_copy_text(z->owner, sizeof z->owner, owner);
    dc_copy_text(z->id, sizeof z->id, id);
    if (admitted_count > 0) {
        z->admitted = dc_calloc(admitted_count, sizeof *z->admitted);
        if (z->admitted == NULL)
            return DC_NOMEM;
        memcpy(z->admitted, admitted, admitted_count * sizeof *z->admitted);
        z->admitted_count = admitted_count;
    }
    dc_status rc = dc__zone_grid_add(&m->grid, (uint32_t)m->zone_count, rings, sizes, ring_count);
    if (rc != DC_OK) {
        dc_free(z->admitted);
        return rc;
    }
    m->zone_count++;
    return DC_OK;
}

/* A zone and an emergency area are different objects even under one (owner, id). */
static dc_status remove_area(dc_monitor *m, const char *owner, const char *id, int emergency)
{
    dc_status rc = DC_NOT_FOUND;
    for (size_t i = 0; i < m->zone_count; i++)
        if (m->zones[i].active && m->zones[i].emergency == emergency &&
            strcmp(m->zones[i].owner, owner) == 0 && strcmp(m->zones[i].id, id) == 0) {
            m->zones[i].active = 0;
            rc = DC_OK;
        }
    return rc;
}

dc_status dc_monitor_remove_zone(dc_monitor *m, const char *owner, const char *id)
{
    return remove_area(m, owner, id, 0);
}

dc_status dc_monitor_remove_emergency(dc_monitor *m, const char *owner, const char *id)
{
    return remove_area(m, owner, id, 1);
}

dc_status dc_monitor_add_zone_object(dc_monitor *m, const dc_object *zone)
{
    dc_point circle[64];
    const dc_point **rings = dc_calloc(zone->volume_count + 1, sizeof *rings);
    size_t *sizes = dc_calloc(zone->volume_count + 1, sizeof *sizes);
    dc_point *circles = dc_calloc(64 * (zone->volume_count + 1), sizeof *circles);
    dc_status rc = rings && sizes && circles ? DC_OK : DC_NOMEM;
    for (size_t i = 0; rc == DC_OK && i < zone->volume_count; i++) {
        const dc_volume *v = &zone->volumes[i];
        if (v->outline == DC_OUTLINE_POLYGON) {
            rings[i] = v->vertices;
            sizes[i] = v->vertex_count;
        } else {
            for (int k = 0; k < 64; k++)
                dc_geodesic_direct(v->center, 360.0 * k / 64, v->radius_m / cos(M_PI / 64),
                                   &circle[k], NULL);
            memcpy(&circles[64 * i], circle, sizeof circle);
            rings[i] = &circles[64 * i];
            sizes[i] = 64;
        }
    }
    if (rc == DC_OK)
        rc = dc_monitor_add_zone(m, zone->owner, zone->id, rings, sizes, zone->volume_count,
                                 zone->admitted, zone->admitted_count);
    dc_free(rings);
    dc_free(sizes);
    dc_free(circles);
    return rc;
}

dc_status dc_monitor_add_emergency_object(dc_monitor *m, const dc_object *emergency)
{
    dc_object area = *emergency;
    area.admitted_count = 0; /* its owner only */
    size_t before = m->zone_count;
    dc_status rc = dc_monitor_add_zone_object(m, &area);
    if (rc == DC_OK && m->zone_count > before)
        m->zones[m->zone_count - 1].emergency = 1;
    return rc;
}

void dc_monitor_each_track(const dc_monitor *m,
                           void (*each)(void *ctx, const char *party, const dc_track_view *track),
                           void *ctx)
{
    for (size_t i = 0; i < m->track_count; i++) {
        const struct track *t = &m->tracks[i];
        if (!t->live)
            continue;
        dc_track_view v;
        memset(&v, 0, sizeof v);
        dc_copy_text(v.aircraft, sizeof v.aircraft, t->aircraft);
        v.time = t->time;
        v.position = t->pos;
        v.altitude_m = t->alt;
        v.ground_speed_mps = t->has_velocity ? hypot(t->ve, t->vn) : NAN;
        v.track_deg = t->has_velocity ? fmod(atan2(t->ve, t->vn) * 180 / M_PI + 360, 360) : NAN;
        each(ctx, t->party, &v);
    }
}

static int admits(const struct zone *z, const char *party)
{
    if (strcmp(z->owner, party) == 0)
        return 1;
    for (size_t i = 0; i < z->admitted_count; i++)
        if (strcmp(z->admitted[i], party) == 0)
            return 1;
    return 0;
}

static struct level_state *zone_state(struct track *t, uint32_t zone)
{
    for (size_t i = 0; i < t->zone_count; i++)
        if (t->zones[i].key == zone)
            return &t->zones[i];
    struct level_state *z = dc_grow(t->zones, &t->zone_capacity, t->zone_count, sizeof *z, 4);
    if (z == NULL)
        return NULL;
    t->zones = z;
    struct level_state *s = &t->zones[t->zone_count++];
    memset(s, 0, sizeof *s);
    s->key = zone;
    return s;
}

/* The level machine shared by zone and separation alerts: a rise is
 * announced at once, a fall only once it has held for hold_s, and a level
 * above clear is repeated every repeat_s. Returns 1 with *repetition set
 * when an alert is due. */
static int step_level(const dc_monitor_config *c, struct level_state *s, dc_alert_level level,
                      dc_time_us now, int *repetition)
{
    dc_time_us repeat = (dc_time_us)(c->repeat_s * DC_US_PER_S),
               hold = (dc_time_us)(c->hold_s * DC_US_PER_S);
    if (level > s->level) {
        s->level = level;
        s->since = s->last_emit = now;
        s->repetition = 0;
        s->pending = level;
        *repetition = 0;
        return 1;
    }
    if (level < s->level) {
        if (s->pending != level) {
            s->pending = level;
            s->pending_since = now;
        }
        if (now - s->pending_since >= hold) {
            s->level = level;
            s->since = s->last_emit = now;
            s->repetition = 0;
            *repetition = 0;
            return 1;
        }
    } else {
        s->pending = level;
    }
    if (s->level != DC_LEVEL_CLEAR && now - s->last_emit >= repeat) {
        s->last_emit = now;
        *repetition = ++s->repetition;
        return 1;
    }
    return 0;
}

void dc__fill_track_fields(dc_alert *a, const struct track *t)
{
    dc_copy_text(a->party, sizeof a->party, t->party);
    dc_copy_text(a->aircraft, sizeof a->aircraft, t->aircraft);
    a->time = t->time;
    a->position = t->pos;
    a->altitude_m = t->alt;
    a->established = t->established;
}

struct due_zone {
    uint32_t zone;
    double tte; /* s to entry; 0 inside */
    dc_point entry;
    dc_alert_level level;
};

/* Crossing a zone's edge on a path: the zone joins the set of zones the
 * path is inside (returns 1, entering) or leaves it (returns 0). */
static int cross(uint32_t *member, size_t *count, uint32_t zone)
{
    for (size_t j = 0; j < *count; j++)
        if (member[j] == zone) {
            member[j] = member[--*count];
            return 0;
        }
    member[(*count)++] = zone;
    return 1;
}

/* Levels for every zone that matters to this track now, and alerts due. */
dc_status dc__zone_alerts(dc_monitor *m, struct track *t, dc_alert_list *alerts)
{
    const dc_monitor_config *c = &m->config;
    struct due_zone due[64];
    size_t n = 0;
    for (size_t i = 0; i < t->inside_count && n < 64; i++)
        if (!admits(&m->zones[t->inside[i]], t->party))
            due[n++] = (struct due_zone){t->inside[i], 0, t->pos, DC_LEVEL_INCURSION};
    if (t->has_velocity && t->ve * t->ve + t->vn * t->vn > 1.0) {
        dc_point end = dc__offset_point(t->pos, t->ve * c->lookahead_s, t->vn * c->lookahead_s);
        struct zone_event ev[MAX_EVENTS];
        size_t ne = active_events(m, ev, dc__zone_events(&m->grid, t->pos, end, ev, MAX_EVENTS));
        uint32_t member[MAX_INSIDE + MAX_EVENTS];
        size_t nm = t->inside_count;
        memcpy(member, t->inside, nm * sizeof *member);
        for (size_t k = 0; k < ne; k++) {
            if (!cross(member, &nm, ev[k].zone))
                continue; /* leaving */
            int seen = 0;
            for (size_t j = 0; j < n; j++)
                seen |= due[j].zone == ev[k].zone;
            if (seen || admits(&m->zones[ev[k].zone], t->party) || n == 64)
                continue;
            double tte = ev[k].t * c->lookahead_s;
            dc_point entry = dc__offset_point(t->pos, t->ve * tte, t->vn * tte);
            due[n++] = (struct due_zone){
                ev[k].zone, tte, entry, tte <= c->warning_s ? DC_LEVEL_WARNING : DC_LEVEL_ADVISORY};
        }
    }
    /* zones with a state not in `due` are now clear */
    for (size_t i = 0; i < t->zone_count; i++) {
        if (!m->zones[t->zones[i].key].active)
            continue;
        int listed = 0;
        for (size_t j = 0; j < n; j++)
            listed |= due[j].zone == t->zones[i].key;
        if (!listed && t->zones[i].level != DC_LEVEL_CLEAR && n < 64)
            due[n++] = (struct due_zone){(uint32_t)t->zones[i].key, 0, t->pos, DC_LEVEL_CLEAR};
    }
    for (size_t j = 0; j < n; j++) {
        struct level_state *s = zone_state(t, due[j].zone);
        if (s == NULL)
            return DC_NOMEM;
        int repetition;
        if (!step_level(c, s, due[j].level, t->time, &repetition) || alerts == NULL)
            continue;
        dc_alert *a = dc__push_alert(alerts);
        if (a == NULL)
            return DC_NOMEM;
        a->kind = m->zones[due[j].zone].emergency ? DC_ALERT_EMERGENCY : DC_ALERT_ZONE;
        a->level = s->level;
        a->repetition = repetition;
        a->time_to_event_s = s->level == DC_LEVEL_INCURSION ? 0 : due[j].tte;
        dc__fill_track_fields(a, t);
        const struct zone *z = &m->zones[due[j].zone];
        dc_copy_text(a->zone_owner, sizeof a->zone_owner, z->owner);
        dc_copy_text(a->zone_id, sizeof a->zone_id, z->id);
        a->entry = due[j].entry;
    }
    return DC_OK;
}

static dc_status record_crossings(dc_monitor *m, const struct track *t, dc_point from,
                                  dc_time_us t0, const dc_report *r, dc_crossing_list *out)
{
    struct zone_event ev[MAX_EVENTS];
    size_t ne = active_events(m, ev, dc__zone_events(&m->grid, from, r->position, ev, MAX_EVENTS));
    uint32_t member[MAX_INSIDE + MAX_EVENTS];
    size_t nm = t->inside_count;
    memcpy(member, t->inside, nm * sizeof *member);
    for (size_t k = 0; k < ne; k++) {
        int entering = cross(member, &nm, ev[k].zone);
        if (out == NULL)
            continue;
        dc_crossing *items = dc_grow(out->items, &out->capacity, out->count, sizeof *items, 16);
        if (items == NULL)
            return DC_NOMEM;
        out->items = items;
        dc_crossing *c = &out->items[out->count++];
        memset(c, 0, sizeof *c);
        dc_copy_text(c->party, sizeof c->party, r->party);
        dc_copy_text(c->aircraft, sizeof c->aircraft, r->aircraft);
        const struct zone *z = &m->zones[ev[k].zone];
        dc_copy_text(c->zone_owner, sizeof c->zone_owner, z->owner);
        dc_copy_text(c->zone_id, sizeof c->zone_id, z->id);
        c->entering = entering;
        c->time = t0 + (dc_time_us)((double)(r->time - t0) * ev[k].t);
        double e, n;
        dc__local_offset(from, r->position, &e, &n);
        c->position = dc__offset_point(from, e * ev[k].t, n * ev[k].t);
    }
    return DC_OK;
}

/* A report not believed: its track, if any, must earn trust afresh. */
static void distrust(dc_monitor *m, const dc_report *r)
{
    struct track *t = dc__name_find(&m->track_names, m->tracks, r->party, r->aircraft);
    if (t != NULL) {
        t->trusted = 0;
        t->established = 0;
    }
}

/* The party's watch entry, added on first sight; NULL when out of memory. */
static struct party_starts *watch_of(dc_monitor *m, const char *party)
{
    for (size_t i = 0; i < m->start_count; i++)
        if (strcmp(m->starts[i].party, party) == 0)
            return &m->starts[i];
    struct party_starts *grown =
        dc_grow(m->starts, &m->start_capacity, m->start_count, sizeof *grown, 8);
    if (grown == NULL)
        return NULL;
    m->starts = grown;
    struct party_starts *p = &m->starts[m->start_count++];
    memset(p, 0, sizeof *p);
    dc_copy_text(p->party, sizeof p->party, party);
    p->alerted_at = p->clock_alerted_minute = INT64_MIN;
    return p;
}

/* An alert to the operator about the party of report `r`. NULL without a list or memory. */
static dc_alert *operator_alert(dc_alert_list *alerts, dc_alert_kind kind, const dc_report *r)
{
    dc_alert *a = dc__push_alert(alerts);
    if (a == NULL)
        return NULL;
    a->kind = kind;
    a->level = DC_LEVEL_WARNING;
    a->time = r->time;
    dc_copy_text(a->party, sizeof a->party, r->party);
    dc_copy_text(a->aircraft, sizeof a->aircraft, r->aircraft);
    a->position = r->position;
    a->altitude_m = r->altitude_m;
    return a;
}

/* Whether `party` may start one more aircraft: a token bucket of new_aircraft_per_minute refilled
 * over a minute of receipt (a sliding limit: no minute boundary to burst across). More than
 * new_aircraft_alert within a minute, or a refusal, alerts the operator, at most once a minute.
 * DC_OK (see *allowed) or DC_NOMEM. */
static dc_status may_start(dc_monitor *m, const dc_report *r, dc_time_us received, int *allowed,
                           dc_alert_list *alerts)
{
    *allowed = 1;
    double limit = m->config.new_aircraft_per_minute, alert_at = m->config.new_aircraft_alert;
    if (limit == 0 && alert_at == 0)
        return DC_OK;
    struct party_starts *p = watch_of(m, r->party);
    if (p == NULL)
        return DC_NOMEM;
    if (p->last == 0) {
        p->tokens = limit;
        p->alert_tokens = alert_at;
        p->last = received;
    } else if (received > p->last) {
        double minutes = (double)(received - p->last) / (60.0 * DC_US_PER_S);
        p->tokens = fmin(limit, p->tokens + minutes * limit);
        p->alert_tokens = fmin(alert_at, p->alert_tokens + minutes * alert_at);
        p->last = received;
    }
    if (p->tokens >= limit && p->alert_tokens >= alert_at)
        p->burst = 0; /* quiet again: a new episode starts */
    p->burst++;
    *allowed = limit == 0 || p->tokens >= 1;
    if (*allowed && limit > 0)
        p->tokens -= 1;
    if (alert_at > 0)
        p->alert_tokens -= 1;
    int burst = !*allowed || (alert_at > 0 && p->alert_tokens < 0);
    if (!burst || (p->alerted_at != INT64_MIN && received - p->alerted_at < 60 * DC_US_PER_S))
        return DC_OK;
    dc_alert *a = operator_alert(alerts, DC_ALERT_NEW_AIRCRAFT, r);
    if (a == NULL)
        return alerts == NULL ? DC_OK : DC_NOMEM;
    p->alerted_at = received;
    a->new_aircraft = p->burst;
    return DC_OK;
}

/* A report dated past its receipt: the operator hears of the party's clock once a minute. */
static dc_status clock_ahead(dc_monitor *m, const dc_report *r, dc_alert_list *alerts)
{
    struct party_starts *p = watch_of(m, r->party);
    if (p == NULL)
        return DC_NOMEM;
    dc_time_us minute = r->received / (60 * DC_US_PER_S);
    if (p->clock_alerted_minute == minute || alerts == NULL)
        return DC_OK;
    dc_alert *a = operator_alert(alerts, DC_ALERT_CLOCK, r);
    if (a == NULL)
        return DC_NOMEM;
    p->clock_alerted_minute = minute;
    a->time_to_event_s = (double)(r->time - r->received) / DC_US_PER_S; /* how far ahead */
    return DC_OK;
}

/* A report refused before its track is looked at: malformed, implausible in itself, from the
 * future or older than any live track: 1 with *verdict (and *rc, an alert's failure). */
static int refused_outright(dc_monitor *m, const dc_report *r, dc_report_verdict *verdict,
                            dc_alert_list *alerts, dc_status *rc)
{
    const dc_monitor_config *c = &m->config;
    if (dc_point_validate(r->position) != DC_OK || r->time <= 0 || r->aircraft[0] == '\0') {
        *verdict = DC_REPORT_INVALID;
        return 1;
    }
    if (!isfinite(r->altitude_m) || r->altitude_m < c->altitude_min_m ||
        r->altitude_m > c->altitude_max_m) {
        *verdict = DC_REPORT_IMPLAUSIBLE_ALTITUDE;
        distrust(m, r);
        return 1;
    }
    if ((isfinite(r->ground_speed_mps) && r->ground_speed_mps > c->max_speed_mps) ||
        (isfinite(r->vertical_rate_mps) && fabs(r->vertical_rate_mps) > c->max_speed_mps)) {
        *verdict = DC_REPORT_IMPLAUSIBLE_SPEED;
        distrust(m, r);
        return 1;
    }
    if (r->received != 0 &&
        r->time > r->received + (dc_time_us)DC_MONITOR_MAX_FUTURE_S * DC_US_PER_S) {
        *verdict = DC_REPORT_FUTURE;
        distrust(m, r);
        *rc = clock_ahead(m, r, alerts);
        return 1;
    }
    if (r->time < m->newest - (dc_time_us)(c->track_timeout_s * DC_US_PER_S)) {
        *verdict = DC_REPORT_STALE;
        return 1;
    }
    return 0;
}

/* The track's velocity: as reported, else from its last position when that is recent, held to
 * the plausible. Derived from two reports a few milliseconds apart, a velocity can be mostly
 * noise: it is held as reported ones are (and the separation grid's boxes with it). */
static void update_velocity(const dc_monitor_config *c, struct track *t, const dc_report *r,
                            int had_position, double dt, double east, double north)
{
    if (isfinite(r->ground_speed_mps) && isfinite(r->track_deg)) {
        double a = r->track_deg * M_PI / 180;
        t->ve = r->ground_speed_mps * sin(a);
        t->vn = r->ground_speed_mps * cos(a);
        t->has_velocity = 1;
    } else if (had_position && dt > 0 && dt <= 60) {
        t->ve = east / dt;
        t->vn = north / dt;
        t->has_velocity = 1;
    } else {
        t->has_velocity = 0;
    }
    t->vu = isfinite(r->vertical_rate_mps)       ? r->vertical_rate_mps
            : had_position && dt > 0 && dt <= 60 ? (r->altitude_m - t->alt) / dt
                                                 : 0;
    double speed = hypot(t->ve, t->vn);
    if (speed > c->max_speed_mps) {
        t->ve *= c->max_speed_mps / speed;
        t->vn *= c->max_speed_mps / speed;
    }
    t->vu = max2(-c->max_speed_mps, min2(c->max_speed_mps, t->vu));
}

dc_status dc_monitor_ingest(dc_monitor *m, const dc_report *r, dc_report_verdict *verdict,
                            dc_alert_list *alerts, dc_crossing_list *crossings)
{
    const dc_monitor_config *c = &m->config;
    dc_time_us received = r->received != 0 ? r->received : r->time;
    dc_status checked = DC_OK;
    if (refused_outright(m, r, verdict, alerts, &checked))
        return checked;
    struct track *t = dc__name_find(&m->track_names, m->tracks, r->party, r->aircraft);
    double dt = 0, east = 0, north = 0;
    dc_status trc = DC_OK;
    int reacquired = 0;
    if (t != NULL && t->unreliable && r->time > t->time) {
        /* an unreliable track, timed out or not, is believed again only when re-acquired */
        if (!dc__trust_reacquire(m, t, r, verdict, alerts, &trc))
            return trc;
        t->live = 0; /* re-acquired: starts afresh where the consistent reports are */
        reacquired = 1;
    }
    if (t != NULL && !t->live) { /* timed out earlier: starts afresh */
        t->time = 0;
        t->inside_count = 0;
        if (!reacquired) /* its zone alerts stand: the same aircraft, believed again */
            t->zone_count = 0;
        t->has_velocity = 0;
        t->live = 1;
        t->trusted = 0;
        t->established = 0;
    } else if (t != NULL) {
        if (r->time == t->time) {
            *verdict = DC_REPORT_DUPLICATE;
            return DC_OK;
        }
        if (r->time < t->time) {
            *verdict = DC_REPORT_OUT_OF_ORDER;
            return DC_OK;
        }
        /* measured from the position's first report: a held position that catches up is a
         * move over the whole time it was held */
        dt = (double)(r->time - t->fresh_since) / DC_US_PER_S;
        dc__local_offset(t->pos, r->position, &east, &north);
        if (dc__trust_check(m, t, r, verdict, alerts, &trc))
            return trc;
    }
    if (t == NULL) {
        int allowed = 1;
        dc_status rc = may_start(m, r, received, &allowed, alerts);
        if (rc != DC_OK)
            return rc;
        if (!allowed) {
            *verdict = DC_REPORT_TOO_MANY_NEW;
            return DC_OK;
        }
        struct track *grown = dc__name_add(&m->track_names, m->tracks, &m->track_count,
                                           &m->track_capacity, 64, r->party, r->aircraft);
        if (grown == NULL)
            return DC_NOMEM;
        m->tracks = grown;
        t = &m->tracks[m->track_count - 1];
        t->live = 1;
    }
    *verdict = DC_REPORT_ACCEPTED;
    t->change = ++m->changes;
    if (r->time > m->newest)
        m->newest = r->time;
    dc_point from = t->pos;
    dc_time_us t0 = t->time;
    int had_position = t->time != 0;
    update_velocity(c, t, r, had_position, dt, east, north);
    if (had_position) {
        dc_status rc = record_crossings(m, t, from, t0, r, crossings);
        if (rc != DC_OK)
            return rc;
    }
    if (!had_position || r->position.lat != t->pos.lat || r->position.lon != t->pos.lon)
        t->fresh_since = r->time;
    t->time = r->time;
    t->pos = r->position;
    t->alt = r->altitude_m;
    dc_copy_text(t->callsign, sizeof t->callsign, r->callsign);
    dc_copy_text(t->intent, sizeof t->intent, r->intent);
    dc_status placed = dc__assoc_place(m, (uint32_t)(t - m->tracks));
    if (placed != DC_OK)
        return placed;
    if (t->trusted++ == 0)
        t->trusted_since = received;
    if (t->trusted >= c->establish_reports &&
        received - t->trusted_since >= (dc_time_us)(c->establish_s * DC_US_PER_S))
        t->established = 1;
    t->inside_count =
        active_only(m, t->inside, dc__zones_at(&m->grid, t->pos, t->inside, MAX_INSIDE));
    dc_status rc = dc__zone_alerts(m, t, alerts);
    return rc == DC_OK ? dc__conformance(m, t, r, alerts) : rc;
}

static dc_status separation_alert(dc_monitor *m, const struct track *own, const struct track *other,
                                  const struct level_state *s, int repetition, dc_time_us now,
                                  double tloss, dc_alert_list *alerts)
{
    dc_alert *a = dc__push_alert(alerts);
    if (a == NULL)
        return alerts == NULL ? DC_OK : DC_NOMEM;
    a->kind = DC_ALERT_SEPARATION;
    a->level = s->level;
    a->repetition = repetition;
    dc__fill_track_fields(a, own);
    a->time = now;
    dc_copy_text(a->other_party, sizeof a->other_party, other->party);
    dc_copy_text(a->other_aircraft, sizeof a->other_aircraft, other->aircraft);
    double d[3], v[3], tcpa, dist;
    dc__relative(own, other, now, d, v);
    dc_cpa(d[0], d[1], v[0], v[1], m->config.lookahead_s, &tcpa, &dist);
    a->time_to_event_s = tloss > 0 ? tloss : 0;
    a->cpa_horizontal_m = dist;
    a->cpa_vertical_m = fabs(d[2] + v[2] * tcpa);
    a->relative_east_m = d[0];
    a->relative_north_m = d[1];
    a->relative_up_m = d[2];
    return DC_OK;
}

dc_status dc_monitor_separation(dc_monitor *m, dc_time_us now, dc_alert_list *alerts,
                                size_t *examined)
{
    dc_time_us timeout = (dc_time_us)(m->config.track_timeout_s * DC_US_PER_S);
    for (size_t i = 0; i < m->track_count; i++)
        if (m->tracks[i].live && m->tracks[i].time < now - timeout) {
            m->tracks[i].live = 0;
            m->tracks[i].change = ++m->changes;
        }
    struct conflict *pairs = NULL;
    size_t count = 0;
    dc_status rc = dc__conflicts(m, now, 0, &pairs, &count, examined);
    if (rc != DC_OK)
        return rc;
    /* The pair states and the conflicts are both ordered by pair: one merge steps every known
     * pair, to its new level if in conflict now and towards clear otherwise, and keeps those not
     * yet clear. */
    /* into the spare array, kept from cycle to cycle (a fresh one was 17 MB of new pages at
     * 100,000 tracks), then the two swap */
    size_t need = m->pair_count + count + 1;
    if (need > m->spare_capacity) {
        struct level_state *grown = dc_malloc(need * 2 * sizeof *grown);
        if (grown == NULL) {
            dc_free(pairs);
            return DC_NOMEM;
        }
        dc_free(m->spare_pairs);
        m->spare_pairs = grown;
        m->spare_capacity = need * 2;
    }
    struct level_state *next = m->spare_pairs;
    const dc_monitor_config *c = &m->config;
    size_t known = 0, now_in = 0, kept = 0;
    while (rc == DC_OK && (known < m->pair_count || now_in < count)) {
        uint64_t key_known = known < m->pair_count ? m->pairs[known].key : UINT64_MAX;
        uint64_t key_now =
            now_in < count ? ((uint64_t)pairs[now_in].a + 1) << 32 | ((uint64_t)pairs[now_in].b + 1)
                           : UINT64_MAX;
        struct level_state s;
        dc_alert_level level = DC_LEVEL_CLEAR;
        double loss_s = -1;
        if (key_now <= key_known) {
            if (key_now == key_known) {
                s = m->pairs[known++];
            } else {
                memset(&s, 0, sizeof s);
                s.key = key_now;
            }
            loss_s = pairs[now_in++].loss_s;
            level = loss_s <= 0              ? DC_LEVEL_LOSS
                    : loss_s <= c->warning_s ? DC_LEVEL_WARNING
                                             : DC_LEVEL_ADVISORY;
        } else {
            s = m->pairs[known++];
        }
        int repetition;
        if (step_level(c, &s, level, now, &repetition)) {
            struct track *a = &m->tracks[(s.key >> 32) - 1],
                         *b = &m->tracks[(s.key & 0xffffffffu) - 1];
            rc = separation_alert(m, a, b, &s, repetition, now, loss_s, alerts);
            if (rc == DC_OK)
                rc = separation_alert(m, b, a, &s, repetition, now, loss_s, alerts);
            int cross = strcmp(a->party, b->party) != 0;
            s.untold =
                (uint8_t)((cross && !a->established ? 1 : 0) | (cross && !b->established ? 2 : 0));
        } else if (s.untold != 0 && s.level != DC_LEVEL_CLEAR) {
            /* a side whose alert nobody could be told (dc_alert_recipients) has just been
             * established: it hears now, not at the next repetition */
            struct track *a = &m->tracks[(s.key >> 32) - 1],
                         *b = &m->tracks[(s.key & 0xffffffffu) - 1];
            if ((s.untold & 1) && a->established) {
                rc = separation_alert(m, a, b, &s, s.repetition, now, loss_s, alerts);
                s.untold &= (uint8_t)~1u;
            }
            if (rc == DC_OK && (s.untold & 2) && b->established) {
                rc = separation_alert(m, b, a, &s, s.repetition, now, loss_s, alerts);
                s.untold &= (uint8_t)~2u;
            }
        }
        if (s.level != DC_LEVEL_CLEAR)
            next[kept++] = s;
    }
    if (rc == DC_OK) {
        m->spare_pairs = m->pairs;
        m->pairs = next;
        size_t capacity = m->pairs_capacity;
        m->pairs_capacity = m->spare_capacity;
        m->spare_capacity = capacity;
        m->pair_count = kept;
    }
    dc_free(pairs);
    return rc;
}
