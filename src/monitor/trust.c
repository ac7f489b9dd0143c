/* trust.c - positions not believed: a frozen position or an implausible jump starts an episode of
 * unreliable position, told to the track's owner; the track is believed again only through a run
 * of consistent reports that lies where its last reliable state could have brought it, or, where
 * a sensor track has identified the aircraft, only where the sensor sees it (docs/SENSORS.md,
 * "Positions not believed") */
#include "monitor_internal.h"

#include <math.h>
#include <string.h>

static double seconds(dc_time_us a, dc_time_us b)
{
    return (double)(a - b) / DC_US_PER_S;
}

static dc_status tell_owner(struct track *t, dc_alert_level level, dc_time_us time,
                            dc_alert_list *alerts)
{
    if (alerts == NULL)
        return DC_OK;
    dc_alert *a = dc__push_alert(alerts);
    if (a == NULL)
        return DC_NOMEM;
    a->kind = DC_ALERT_POSITION_UNRELIABLE;
    a->level = level;
    dc__fill_track_fields(a, t); /* the last position believed */
    a->time = time;
    a->time_to_event_s = seconds(time, t->ref_time); /* how long since it was reliable */
    return DC_OK;
}

static dc_status start_episode(struct track *t, const dc_report *r, dc_alert_list *alerts)
{
    t->unreliable = 1;
    t->trusted = 0;
    t->established = 0;
    /* the last reliable state is the current position when it was fresh */
    t->ref_time = t->fresh_since;
    t->ref_pos = t->pos;
    t->ref_ve = t->ve;
    t->ref_vn = t->vn;
    t->ref_has_velocity = t->has_velocity;
    t->cand_count = 0;
    return tell_owner(t, DC_LEVEL_WARNING, r->time, alerts);
}

static int moving(const dc_monitor_config *c, const dc_report *r)
{
    return isfinite(r->ground_speed_mps) && r->ground_speed_mps >= c->freeze_speed_mps &&
           c->freeze_speed_mps > 0;
}

int dc__trust_check(dc_monitor *m, struct track *t, const dc_report *r, dc_report_verdict *verdict,
                    dc_alert_list *alerts, dc_status *rc)
{
    const dc_monitor_config *c = &m->config;
    double age = seconds(r->time, t->fresh_since), east, north;
    dc__local_offset(t->pos, r->position, &east, &north);
    double dist = hypot(east, north);
    if (dist == 0 && moving(c, r) && age >= c->freeze_s)
        *verdict = DC_REPORT_FROZEN;
    else if (dist > c->max_speed_mps * age + 50.0 && dc__sensor_agrees(m, t, r) <= 0)
        *verdict = DC_REPORT_IMPLAUSIBLE_JUMP; /* 50 m: position noise */
    else /* plausible, or a jump a sensor sees the aircraft make: the earlier position was wrong */
        return 0;
    *rc = start_episode(t, r, alerts);
    if (*verdict == DC_REPORT_IMPLAUSIBLE_JUMP) { /* the jump may be the first of a good run */
        t->cand_pos = t->cand_first_pos = r->position;
        t->cand_fresh = t->cand_first = r->time;
        t->cand_count = 1;
    }
    return 1;
}

/* Whether r continues the candidate run: within max_speed of its last position, and the run as a
 * whole has moved as far as the reported speed says since it began (within a quarter, and 500 m
 * of noise; measured over the run, not a step: receivers hand on positions in bursts). */
static int continues(const dc_monitor_config *c, const struct track *t, const dc_report *r,
                     double dist)
{
    double dt = seconds(r->time, t->cand_fresh);
    if (dist > c->max_speed_mps * dt + 50.0)
        return 0;
    if (!isfinite(r->ground_speed_mps))
        return 1;
    double east, north, run = seconds(r->time, t->cand_first);
    dc__local_offset(t->cand_first_pos, r->position, &east, &north);
    double expect = r->ground_speed_mps * run;
    return fabs(hypot(east, north) - expect) <= 0.25 * expect + 500.0;
}

/* Whether the run's latest position is where the last reliable state could have gone by then. */
static int dead_reckons(const dc_monitor_config *c, const struct track *t)
{
    double elapsed = seconds(t->cand_fresh, t->ref_time);
    double east, north;
    dc__local_offset(t->ref_pos, t->cand_pos, &east, &north);
    double speed = hypot(t->ref_ve, t->ref_vn), flown = speed * elapsed;
    /* within a few minutes an aircraft may have turned any way: anywhere it could have flown */
    if (!t->ref_has_velocity || elapsed <= c->reacquire_turn_s)
        return hypot(east, north) <=
               (t->ref_has_velocity ? 1.25 * flown : c->max_speed_mps * elapsed) + c->reacquire_m;
    /* the dead-reckoned point may lie hundreds of km on: along the great circle, not a plane */
    dc_point predicted;
    dc_geodesic_direct(t->ref_pos, atan2(t->ref_ve, t->ref_vn) * 180 / M_PI, flown, &predicted,
                       NULL);
    double miss = 0;
    if (dc_geodesic_inverse(predicted, t->cand_pos, &miss, NULL) != DC_OK)
        return 0;
    return miss <= c->reacquire_m + c->reacquire_fraction * flown;
}

static int believed_again(struct track *t, const dc_report *r, dc_report_verdict *verdict,
                          dc_alert_list *alerts, dc_status *rc)
{
    t->unreliable = 0;
    t->cand_count = 0;
    *verdict = DC_REPORT_ACCEPTED;
    *rc = tell_owner(t, DC_LEVEL_CLEAR, r->time, alerts);
    return *rc == DC_OK;
}

int dc__trust_reacquire(dc_monitor *m, struct track *t, const dc_report *r,
                        dc_report_verdict *verdict, dc_alert_list *alerts, dc_status *rc)
{
    const dc_monitor_config *c = &m->config;
    *rc = DC_OK;
    *verdict = DC_REPORT_UNRELIABLE;
    int seen = dc__sensor_agrees(m, t, r);
    if (seen < 0) { /* the sensor sees it elsewhere: however consistent, not believed */
        t->cand_count = 0;
        return 0;
    }
    if (seen > 0) /* where the sensor sees it: believed at once */
        return believed_again(t, r, verdict, alerts, rc);
    if (t->cand_count == 0 || r->time <= t->cand_fresh) {
        t->cand_pos = t->cand_first_pos = r->position;
        t->cand_fresh = t->cand_first = r->time;
        t->cand_count = 1;
        return 0;
    }
    double east, north;
    dc__local_offset(t->cand_pos, r->position, &east, &north);
    double dist = hypot(east, north);
    if (dist == 0) {
        /* a repeat: the run waits, unless the position is frozen */
        if (moving(c, r) && seconds(r->time, t->cand_fresh) >= c->freeze_s)
            t->cand_count = 0;
        return 0;
    }
    if (!continues(c, t, r, dist)) {
        t->cand_pos = t->cand_first_pos = r->position;
        t->cand_fresh = t->cand_first = r->time;
        t->cand_count = 1;
        return 0;
    }
    t->cand_pos = r->position;
    t->cand_fresh = r->time;
    t->cand_count++;
    if (t->cand_count < c->reacquire_reports || seconds(r->time, t->cand_first) < c->reacquire_s ||
        !dead_reckons(c, t))
        return 0;
    return believed_again(t, r, verdict, alerts, rc);
}
