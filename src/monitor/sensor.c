/* sensor.c - sensor tracks associated with the parties' cooperative tracks: gating, nearest
 * neighbour, M-of-N confirmation (docs/SENSORS.md) */
#include "deconflict/sensor.h"
#include "monitor_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum hit { MISS, HIT, DISPUTE };

struct sensor_track {
    char party[DC_ID_MAX];
    char id[16];
    struct track view; /* as a track: position, velocity, zone levels; party = who it is */
    uint8_t kinds[DC_SENSOR_N];
    uint32_t whom[DC_SENSOR_N]; /* the cooperative track (index + 1) of each hit or dispute */
    unsigned updates;
    dc_time_us last; /* the time of its latest update */
    dc_sensor_state state;
    uint32_t associated;           /* index + 1 */
    double accuracy_m, altitude_m; /* of its latest update (altitude NAN when not stated) */
};

const char *dc_sensor_state_name(dc_sensor_state s)
{
    static const char *const names[] = {"tentative", "identified", "unidentified", "disputed"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "unknown";
}

void dc__sensors_free(dc_monitor *m)
{
    for (size_t i = 0; i < m->sensor_count; i++)
        dc_free(m->sensors[i].view.zones);
    dc_free(m->sensors);
    dc_free(m->sensor_names.slots);
}

static int valid(const dc_sensor_report *r)
{
    return dc_point_validate(r->position) == DC_OK && r->time > 0 && r->party[0] != '\0' &&
           r->track[0] != '\0' && isfinite(r->accuracy_m) && r->accuracy_m > 0 &&
           r->accuracy_m <= DC_SENSOR_ACCURACY_MAX_M &&
           !(isfinite(r->ground_speed_mps) && r->ground_speed_mps > 1e4);
}

static struct sensor_track *sensor_of(dc_monitor *m, const dc_sensor_report *r)
{
    if (m->sensor_names.size == 0)
        m->sensor_names = (struct name_index){.size = sizeof(struct sensor_track),
                                              .first = offsetof(struct sensor_track, party),
                                              .first_size = DC_ID_MAX,
                                              .second = offsetof(struct sensor_track, id),
                                              .second_size = 16};
    struct sensor_track *s = dc__name_find(&m->sensor_names, m->sensors, r->party, r->track);
    if (s != NULL)
        return s;
    struct sensor_track *grown = dc__name_add(&m->sensor_names, m->sensors, &m->sensor_count,
                                              &m->sensor_capacity, 64, r->party, r->track);
    if (grown == NULL)
        return NULL;
    m->sensors = grown;
    return &m->sensors[m->sensor_count - 1];
}

/* The search for the nearest cooperative track: a hit within the accuracy gate, else a dispute
 * within the dispute gate moving alike; on equal distances the earlier track, whatever the order
 * tracks are visited in (the grid and all pairs agree). */
struct search {
    const dc_monitor *m;
    const dc_sensor_report *r;
    double ve, vn, gate, best_hit, best_dispute;
    int has_v;
    uint32_t hit, dispute; /* index + 1 */
};

static void consider(void *ctx, uint32_t i)
{
    struct search *q = ctx;
    const struct track *t = &q->m->tracks[i];
    if (!t->live || t->unreliable || t->time == 0)
        return;
    double dt = (double)(q->r->time - t->time) / DC_US_PER_S;
    if (fabs(dt) > DC__SENSOR_FRESH_S)
        return; /* too old to say where it is */
    double east, north;
    dc__local_offset(t->pos, q->r->position, &east, &north);
    if (t->has_velocity) {
        east -= t->ve * dt;
        north -= t->vn * dt;
    }
    double d = hypot(east, north);
    if (d > DC_SENSOR_DISPUTE_M)
        return;
    if (isfinite(q->r->altitude_m) && fabs(q->r->altitude_m - t->alt) > 600)
        return; /* another level: another aircraft */
    if (d <= q->gate) {
        if (d < q->best_hit || (d == q->best_hit && i + 1 < q->hit)) {
            q->best_hit = d;
            q->hit = i + 1;
        }
    } else if (q->has_v && t->has_velocity &&
               hypot(q->ve - t->ve, q->vn - t->vn) <= DC_SENSOR_DISPUTE_MPS &&
               (d < q->best_dispute || (d == q->best_dispute && i + 1 < q->dispute))) {
        q->best_dispute = d;
        q->dispute = i + 1;
    }
}

static enum hit associate(const dc_monitor *m, const dc_sensor_report *r, double ve, double vn,
                          int has_v, int brute_force, uint32_t *whom)
{
    struct search q = {m,
                       r,
                       ve,
                       vn,
                       DC_SENSOR_GATE_SIGMA * hypot(r->accuracy_m, DC_SENSOR_COOP_SIGMA_M),
                       INFINITY,
                       INFINITY,
                       has_v,
                       0,
                       0};
    if (brute_force) {
        for (size_t i = 0; i < m->track_count; i++)
            consider(&q, (uint32_t)i);
    } else {
        /* a track within the dispute gate of the update, once moved along its velocity for at
         * most 30 s, was placed at most this far away */
        double radius = DC_SENSOR_DISPUTE_M + 30 * m->config.max_speed_mps + 1;
        dc__assoc_near(m, r->position, radius, consider, &q);
    }
    *whom = q.hit ? q.hit : q.dispute;
    return q.hit ? HIT : q.dispute ? DISPUTE : MISS;
}

dc_status dc_monitor_sensor_associate(const dc_monitor *m, const dc_sensor_report *r,
                                      int brute_force, int *kind, size_t *track)
{
    if (!valid(r))
        return DC_INVALID;
    int has_v = isfinite(r->ground_speed_mps) && isfinite(r->track_deg);
    double ve = has_v ? r->ground_speed_mps * sin(r->track_deg * M_PI / 180) : 0;
    double vn = has_v ? r->ground_speed_mps * cos(r->track_deg * M_PI / 180) : 0;
    uint32_t whom = 0;
    *kind = (int)associate(m, r, ve, vn, has_v, brute_force, &whom);
    *track = whom ? whom - 1 : SIZE_MAX;
    return DC_OK;
}

/* M of the last N updates: identified or disputed as one track, or unidentified. */
static dc_sensor_state confirm(const struct sensor_track *s, uint32_t *whom)
{
    size_t n = s->updates < DC_SENSOR_N ? s->updates : DC_SENSOR_N;
    for (size_t i = 0; i < n; i++) {
        unsigned hits = 0, disputes = 0, misses = 0;
        for (size_t k = 0; k < n; k++) {
            hits += s->kinds[k] == HIT && s->whom[k] == s->whom[i];
            disputes += s->kinds[k] == DISPUTE && s->whom[k] == s->whom[i];
            misses += s->kinds[k] == MISS;
        }
        *whom = s->whom[i];
        if (s->kinds[i] == HIT && hits >= DC_SENSOR_M)
            return DC_SENSOR_IDENTIFIED;
        if (s->kinds[i] == DISPUTE && disputes >= DC_SENSOR_M)
            return DC_SENSOR_DISPUTED;
        if (s->kinds[i] == MISS && misses >= DC_SENSOR_M) {
            *whom = 0;
            return DC_SENSOR_UNIDENTIFIED;
        }
    }
    *whom = s->associated;
    return s->state;
}

static dc_status tell(dc_monitor *m, const struct sensor_track *s, const dc_sensor_report *r,
                      const char *to_party, dc_alert_list *alerts)
{
    if (alerts == NULL)
        return DC_OK;
    dc_alert *a = dc__push_alert(alerts);
    if (a == NULL)
        return DC_NOMEM;
    a->kind = DC_ALERT_SENSOR;
    a->level = s->state == DC_SENSOR_IDENTIFIED ? DC_LEVEL_ADVISORY : DC_LEVEL_WARNING;
    a->time = r->time;
    dc_copy_text(a->party, sizeof a->party, to_party);
    dc_copy_text(a->sensor_party, sizeof a->sensor_party, r->party);
    dc_copy_text(a->sensor_track, sizeof a->sensor_track, r->track);
    a->sensor_state = (int)s->state;
    a->position = r->position;
    a->altitude_m = r->altitude_m;
    /* the sensor's owner is told of its own sensor track; the party identified, of its aircraft */
    dc_copy_text(a->aircraft, sizeof a->aircraft, r->track);
    if (s->associated) {
        const struct track *t = &m->tracks[s->associated - 1];
        dc_copy_text(a->other_party, sizeof a->other_party, t->party);
        dc_copy_text(a->other_aircraft, sizeof a->other_aircraft, t->aircraft);
        dc_copy_text(a->other_callsign, sizeof a->other_callsign, t->callsign);
        dc_copy_text(a->intent_id, sizeof a->intent_id, t->intent);
        a->entry = t->pos; /* the party's own account, for a dispute */
        double east, north;
        dc__local_offset(t->pos, r->position, &east, &north);
        a->cpa_horizontal_m = hypot(east, north);
        if (strcmp(to_party, t->party) == 0)
            dc_copy_text(a->aircraft, sizeof a->aircraft, t->aircraft);
    }
    return DC_OK;
}

/* Zone alerts from the sensor's picture: for the party identified (or disputed), or, for an
 * aircraft nobody reports, for the zones' owners. */
static dc_status zone_picture(dc_monitor *m, struct sensor_track *s, const dc_sensor_report *r,
                              double ve, double vn, int has_v, dc_alert_list *alerts)
{
    struct track *v = &s->view;
    v->time = r->time;
    v->pos = r->position;
    v->alt = isfinite(r->altitude_m) ? r->altitude_m : 0;
    v->ve = ve;
    v->vn = vn;
    v->has_velocity = has_v;
    v->live = 1;
    const struct track *coop = s->associated ? &m->tracks[s->associated - 1] : NULL;
    dc_copy_text(v->party, sizeof v->party, coop ? coop->party : "");
    dc_copy_text(v->aircraft, sizeof v->aircraft, coop ? coop->aircraft : s->id);
    v->inside_count = dc__zones_at(&m->grid, v->pos, v->inside, MAX_INSIDE);
    size_t before = alerts ? alerts->count : 0;
    dc_status rc = dc__zone_alerts(m, v, alerts);
    for (size_t i = before; alerts != NULL && i < alerts->count; i++) {
        dc_alert *a = &alerts->items[i];
        dc_copy_text(a->sensor_party, sizeof a->sensor_party, r->party);
        dc_copy_text(a->sensor_track, sizeof a->sensor_track, r->track);
        a->sensor_state = (int)s->state;
        if (coop == NULL) { /* told to the zone's owner as the sensor's track */
            a->unidentified = 1;
            dc_copy_text(a->party, sizeof a->party, r->party);
        }
    }
    return rc;
}

dc_status dc_monitor_ingest_sensor(dc_monitor *m, const dc_sensor_report *r, dc_sensor_state *state,
                                   dc_alert_list *alerts)
{
    if (!valid(r))
        return DC_INVALID;
    struct sensor_track *s = sensor_of(m, r);
    if (s == NULL)
        return DC_NOMEM;
    if (s->updates > 0 && r->time <= s->last)
        return DC_CONFLICT; /* M of N counts updates in time order */
    s->last = r->time;
    s->accuracy_m = r->accuracy_m;
    s->altitude_m = r->altitude_m;
    int has_v = isfinite(r->ground_speed_mps) && isfinite(r->track_deg);
    double ve = has_v ? r->ground_speed_mps * sin(r->track_deg * M_PI / 180) : 0;
    double vn = has_v ? r->ground_speed_mps * cos(r->track_deg * M_PI / 180) : 0;
    dc_sensor_state before = s->state;
    uint32_t was = s->associated;
    /* While the aircraft identified is in an episode of unreliable position its reports are what
     * is in question, not the sensor's picture: the identity holds (trust.c asks the sensor). */
    if (!(s->state == DC_SENSOR_IDENTIFIED && m->tracks[s->associated - 1].unreliable)) {
        uint32_t whom = 0;
        enum hit kind = associate(m, r, ve, vn, has_v, 0, &whom);
        s->kinds[s->updates % DC_SENSOR_N] = (uint8_t)kind;
        s->whom[s->updates % DC_SENSOR_N] = whom;
        s->updates++;
        s->state = confirm(s, &s->associated);
    }
    *state = s->state;
    if (s->state == DC_SENSOR_IDENTIFIED)
        m->tracks[s->associated - 1].sensor = (uint32_t)(s - m->sensors) + 1;
    dc_status rc = DC_OK;
    if (s->state != DC_SENSOR_TENTATIVE && (s->state != before || s->associated != was)) {
        rc = tell(m, s, r, r->party, alerts);
        if (rc == DC_OK && s->state == DC_SENSOR_DISPUTED)
            rc = tell(m, s, r, m->tracks[s->associated - 1].party, alerts);
        if (s->associated != was)
            s->view.zone_count = 0; /* another aircraft: its own zone levels */
    }
    if (rc == DC_OK && s->state != DC_SENSOR_TENTATIVE)
        rc = zone_picture(m, s, r, ve, vn, has_v, alerts);
    return rc;
}

int dc__sensor_agrees(const dc_monitor *m, const struct track *t, const dc_report *r)
{
    if (t->sensor == 0 || t->sensor > m->sensor_count)
        return 0;
    const struct sensor_track *s = &m->sensors[t->sensor - 1];
    const struct track *seen = &s->view;
    double dt = (double)(r->time - seen->time) / DC_US_PER_S;
    if (s->state != DC_SENSOR_IDENTIFIED || s->associated != (uint32_t)(t - m->tracks) + 1 ||
        seen->time == 0 || fabs(dt) > DC__SENSOR_FRESH_S)
        return 0;
    double east, north;
    dc__local_offset(seen->pos, r->position, &east, &north);
    if (seen->has_velocity) {
        east -= seen->ve * dt;
        north -= seen->vn * dt;
    }
    if (isfinite(s->altitude_m) && fabs(s->altitude_m - r->altitude_m) > 600)
        return -1;
    double gate = DC_SENSOR_GATE_SIGMA * hypot(s->accuracy_m, DC_SENSOR_COOP_SIGMA_M);
    return hypot(east, north) <= gate ? 1 : -1;
}
