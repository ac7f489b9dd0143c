/* workload.c - random but realistic intents (drone operations, routed flights) for tests and
 * benchmarks */
#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint64_t workload_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

double workload_uniform(uint64_t *s)
{
    return (double)(workload_rng(s) >> 11) / 9007199254740992.0;
}

static double between(uint64_t *s, double a, double b)
{
    return a + (b - a) * workload_uniform(s);
}

static dc_point random_point(const workload_params *p, uint64_t *s)
{
    dc_point corner;
    dc_geodesic_direct(p->center, 0, between(s, -0.5, 0.5) * p->size_km * 1000, &corner, NULL);
    dc_point out;
    dc_geodesic_direct(corner, 90, between(s, -0.5, 0.5) * p->size_km * 1000, &out, NULL);
    return out;
}

static dc_time_us random_time(const workload_params *p, uint64_t *s, double minus_hours)
{
    double h = between(s, 0, fmax(0.01, p->hours - minus_hours));
    return p->start + (dc_time_us)(h * 3600.0 * DC_US_PER_S);
}

/* A drone operation: a circle or a small polygon, 0.5-5 km across, 10-60 min. */
static dc_status drone_volume(dc_geom *geom, const workload_params *p, uint64_t *s, dc_volume *v)
{
    dc_point c = random_point(p, s);
    double across = between(s, 500, 5000);
    double minutes = between(s, 10, 60);
    dc_time_us t0 = random_time(p, s, minutes / 60.0);
    dc_time_us t1 = t0 + (dc_time_us)(minutes * 60 * DC_US_PER_S);
    double top = between(s, 60, 400);
    if (workload_rng(s) % 2 == 0)
        return dc_volume_init_circle(c, across / 2, 0, top, t0, t1, v, NULL);
    int n = 4 + (int)(workload_rng(s) % 5);
    dc_point ring[8];
    double turn = between(s, 0, 360);
    for (int i = 0; i < n; i++)
        dc_geodesic_direct(c, turn + 360.0 * i / n, across / 2 * between(s, 0.6, 1.0), &ring[i],
                           NULL);
    return dc_volume_init_polygon(geom, ring, (size_t)n, 0, top, t0, t1, v, NULL);
}

/* A flight: a route of 50-500 km over 1-3 h with a waypoint every ~25 km. */
static dc_status flight_volumes(const workload_params *p, uint64_t *s, dc_volume **out,
                                size_t *count)
{
    double km = between(s, p->flight_km_min, p->flight_km_max);
    double hours = between(s, 1, 3);
    int legs = (int)fmax(2, ceil(km / 25.0));
    dc_waypoint w[64];
    if (legs > 63)
        legs = 63;
    dc_point at = random_point(p, s);
    double heading = between(s, 0, 360);
    dc_time_us t = random_time(p, s, hours);
    double cruise = workload_rng(s) % 4 == 0 ? between(s, 150, 1500) : between(s, 3000, 11000);
    for (int i = 0; i <= legs; i++) {
        double climb = fmin(1.0, fmin(i, legs - i) / 2.0);
        w[i] = (dc_waypoint){at, 300 + (cruise - 300) * climb, t};
        heading += between(s, -20, 20);
        dc_geodesic_direct(at, heading, km * 1000 / legs, &at, NULL);
        t += (dc_time_us)(hours * 3600 / legs * DC_US_PER_S);
    }
    dc_volume *v = dc_calloc((size_t)legs, sizeof *v);
    if (v == NULL)
        return DC_NOMEM;
    dc_route_buffers buf = {between(s, 500, 2000), 150, 120 * DC_US_PER_S};
    dc_status rc = dc_route_sweep(w, (size_t)legs + 1, &buf, v, NULL);
    if (rc != DC_OK) {
        dc_free(v);
        return rc;
    }
    *out = v;
    *count = (size_t)legs;
    return DC_OK;
}

dc_status workload_object(dc_geom *geom, const workload_params *p, uint64_t *s, int n, dc_object *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "new-%d", n);
    snprintf(o->owner, sizeof o->owner, "p%d", (int)(workload_rng(s) % (uint64_t)p->parties));
    o->kind = workload_rng(s) % 8 == 0 ? DC_KIND_HAZARD : DC_KIND_INTENT;
    o->priority = (int)(workload_rng(s) % 3);
    o->state = DC_STATE_ACCEPTED;
    o->version = 1;
    dc_volume *v = NULL;
    size_t count = 0;
    dc_status rc;
    if (workload_uniform(s) < p->drone_share) {
        v = dc_calloc(1, sizeof *v);
        if (v == NULL)
            return DC_NOMEM;
        rc = drone_volume(geom, p, s, v);
        count = 1;
    } else {
        rc = flight_volumes(p, s, &v, &count);
    }
    if (rc != DC_OK) {
        dc_free(v);
        return rc;
    }
    o->volumes = v;
    o->volume_count = count;
    return DC_OK;
}

void workload_object_clear(dc_object *o)
{
    for (size_t i = 0; i < o->volume_count; i++)
        dc_volume_clear((dc_volume *)&o->volumes[i]);
    dc_free((void *)o->volumes);
    memset(o, 0, sizeof *o);
}

dc_status workload_generate(dc_geom *geom, const workload_params *p, uint64_t seed, workload *w)
{
    memset(w, 0, sizeof *w);
    uint64_t s = seed ? seed : 1;
    size_t vol_cap = p->volumes + 64, obj_cap = p->volumes + 1;
    w->volumes = dc_calloc(vol_cap, sizeof *w->volumes);
    w->objects = dc_calloc(obj_cap, sizeof *w->objects);
    w->volume_owner = dc_calloc(vol_cap, sizeof *w->volume_owner);
    w->admitted = dc_calloc(1, sizeof *w->admitted);
    if (!w->volumes || !w->objects || !w->volume_owner || !w->admitted) {
        workload_free(w);
        return DC_NOMEM;
    }
    snprintf(w->admitted[0], DC_ID_MAX, "p0");
    while (w->volume_count < p->volumes) {
        dc_object o;
        int n = (int)w->object_count;
        dc_status rc;
        if (n < p->zones) {
            memset(&o, 0, sizeof o);
            dc_volume *z = dc_calloc(1, sizeof *z);
            if (z == NULL)
                rc = DC_NOMEM;
            else
                rc = dc_volume_init_circle(
                    random_point(p, &s), between(&s, 2000, 15000), 0, 20000, p->start,
                    p->start + (dc_time_us)(p->hours * 3600 * DC_US_PER_S), z, NULL);
            o.kind = DC_KIND_ZONE;
            o.priority = DC_PRIORITY_MAX; /* a state's airspace: its authority is unlimited */
            snprintf(o.owner, sizeof o.owner, "p%d", n % p->parties);
            o.volumes = z;
            o.volume_count = 1;
            o.admitted = (const char(*)[DC_ID_MAX])w->admitted;
            o.admitted_count = n % 2;
        } else {
            rc = workload_object(geom, p, &s, n, &o);
        }
        if (rc != DC_OK) {
            workload_free(w);
            return rc;
        }
        snprintf(o.id, sizeof o.id, "obj-%07d", n);
        o.version = 1;
        /* vol_cap leaves room for the longest route (63 legs) past the target */
        for (size_t i = 0; i < o.volume_count; i++) {
            w->volumes[w->volume_count + i] = o.volumes[i];
            w->volume_owner[w->volume_count + i] = (uint32_t)n;
        }
        dc_free((void *)o.volumes);
        o.volumes = &w->volumes[w->volume_count];
        w->volume_count += o.volume_count;
        w->objects[w->object_count++] = o;
    }
    return DC_OK;
}

void workload_free(workload *w)
{
    for (size_t i = 0; i < w->volume_count; i++)
        dc_volume_clear(&w->volumes[i]);
    dc_free(w->volumes);
    dc_free(w->objects);
    dc_free(w->volume_owner);
    dc_free(w->admitted);
    memset(w, 0, sizeof *w);
}
