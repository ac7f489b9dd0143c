/* test_engine.c - the deconfliction rules, and the indexed engine against brute force on 2,000
 * objects */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/engine.h"
#include "../support/workload.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H (3600 * DC_US_PER_S)
static const dc_time_us T0 = INT64_C(1448355840) * DC_US_PER_S;

static int setup(void **state)
{
    dc_geom *g;
    assert_int_equal(dc_geom_new(&g), DC_OK);
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    dc_geom_free(*state);
    return 0;
}

static dc_object object(const char *id, dc_object_kind kind, const char *owner, int priority,
                        const dc_volume *v)
{
    dc_object o;
    memset(&o, 0, sizeof o);
    snprintf(o.id, sizeof o.id, "%s", id);
    snprintf(o.owner, sizeof o.owner, "%s", owner);
    o.kind = kind;
    o.priority = priority;
    o.state = DC_STATE_ACCEPTED;
    o.version = 3;
    o.volume_count = 1;
    o.volumes = v;
    return o;
}

static void test_rules(void **state)
{
    dc_geom *g = *state;
    dc_volume here, there;
    assert_int_equal(
        dc_volume_init_circle((dc_point){35.9, 36.0}, 3000, 0, 3000, T0, T0 + H, &here, NULL),
        DC_OK);
    assert_int_equal(
        dc_volume_init_circle((dc_point){35.91, 36.01}, 3000, 1000, 5000, T0, T0 + H, &there, NULL),
        DC_OK);

    dc_object proposed = object("ru-1", DC_KIND_INTENT, "russia", 5, &here);
    dc_object higher = object("tr-1", DC_KIND_INTENT, "turkey", 6, &there);
    dc_object equal = object("us-1", DC_KIND_HAZARD, "us", 5, &there);
    dc_object lower = object("sy-1", DC_KIND_INTENT, "syria", 1, &there);
    dc_object own = object("ru-2", DC_KIND_INTENT, "russia", 9, &there);
    dc_object withdrawn = object("tr-2", DC_KIND_INTENT, "turkey", 9, &there);
    withdrawn.state = DC_STATE_WITHDRAWN;
    dc_object earlier_self = object("ru-1", DC_KIND_INTENT, "russia", 9, &there);
    dc_object same_id_other_party = object("ru-1", DC_KIND_INTENT, "turkey", 9, &there);
    char admitted[1][DC_ID_MAX] = {"us"};
    dc_object zone = object("tr-airspace", DC_KIND_ZONE, "turkey", DC_PRIORITY_MAX, &there);
    zone.admitted = (const char(*)[DC_ID_MAX])admitted;
    zone.admitted_count = 1;

    const dc_object *all[] = {&higher,    &equal,        &lower, &own,
                              &withdrawn, &earlier_self, &zone,  &same_id_other_party};
    dc_check_result r;
    assert_int_equal(dc_engine_check(g, &proposed, NULL, all, 8, &r, NULL), DC_OK);
    assert_false(r.accepted);
    /* own, withdrawn and its own earlier version do not count; another party's object with
     * the same id does, like any other (sorted by owner, kind, id) */
    assert_int_equal(r.conflict_count, 5);
    assert_string_equal(r.conflicts[0].other->id, "sy-1");
    assert_int_equal(r.conflicts[0].resolution, DC_RESOLUTION_OTHER_REPLANS);
    assert_string_equal(r.conflicts[1].other->id, "ru-1");
    assert_string_equal(r.conflicts[1].other->owner, "turkey");
    assert_int_equal(r.conflicts[1].resolution, DC_RESOLUTION_BLOCKS);
    assert_string_equal(r.conflicts[2].other->id, "tr-1");
    assert_int_equal(r.conflicts[2].resolution, DC_RESOLUTION_BLOCKS);
    assert_int_equal(r.conflicts[2].reason, DC_REASON_HIGHER_PRIORITY);
    assert_string_equal(r.conflicts[3].other->id, "tr-airspace");
    assert_int_equal(r.conflicts[3].reason, DC_REASON_ZONE);
    assert_string_equal(r.conflicts[4].other->id, "us-1");
    assert_int_equal(r.conflicts[4].resolution, DC_RESOLUTION_BLOCKS);
    assert_int_equal(r.conflicts[4].reason, DC_REASON_EQUAL_PRIORITY);
    /* the overlap is the common altitude band and window */
    assert_true(r.conflicts[4].overlap.parts[0].altitude_lower == 1000);
    assert_true(r.conflicts[4].overlap.parts[0].altitude_upper == 3000);
    assert_true(r.conflicts[4].time_start == T0 && r.conflicts[4].time_end == T0 + H);
    dc_check_result_clear(&r);

    /* accepting the equal-priority conflict: only at the version shown */
    dc_accepted_conflict stale = {"us", "us-1", 2, DC_KIND_HAZARD},
                         shown = {"us", "us-1", 3, DC_KIND_HAZARD},
                         other_kind = {"us", "us-1", 3, DC_KIND_INTENT};
    dc_check_options wrong_kind = {0, 1, &other_kind};
    const dc_object *only_equal[] = {&equal};
    assert_int_equal(dc_engine_check(g, &proposed, &wrong_kind, only_equal, 1, &r, NULL), DC_OK);
    assert_false(r.accepted); /* an acceptance names the kind as well as owner and id */
    dc_check_result_clear(&r);
    dc_check_options opt = {0, 1, &stale};
    const dc_object *just_equal[] = {&equal};
    assert_int_equal(dc_engine_check(g, &proposed, &opt, just_equal, 1, &r, NULL), DC_OK);
    assert_false(r.accepted);
    dc_check_result_clear(&r);
    opt.accept = &shown;
    assert_int_equal(dc_engine_check(g, &proposed, &opt, just_equal, 1, &r, NULL), DC_OK);
    assert_true(r.accepted);
    assert_int_equal(r.conflicts[0].resolution, DC_RESOLUTION_ACCEPTED);
    dc_check_result_clear(&r);
    /* accepting cannot override a higher priority or a zone */
    dc_accepted_conflict override[] = {{"turkey", "tr-1", 3, DC_KIND_INTENT},
                                       {"turkey", "tr-airspace", 3, DC_KIND_ZONE}};
    dc_check_options opt2 = {0, 2, override};
    const dc_object *blockers[] = {&higher, &zone};
    assert_int_equal(dc_engine_check(g, &proposed, &opt2, blockers, 2, &r, NULL), DC_OK);
    assert_false(r.accepted);
    dc_check_result_clear(&r);

    /* own conflicts on request, never blocking; admitted party passes the zone */
    dc_check_options with_own = {1, 0, NULL};
    const dc_object *mine[] = {&own};
    assert_int_equal(dc_engine_check(g, &proposed, &with_own, mine, 1, &r, NULL), DC_OK);
    assert_true(r.accepted);
    assert_int_equal(r.conflict_count, 1);
    assert_int_equal(r.conflicts[0].resolution, DC_RESOLUTION_OWN);
    dc_check_result_clear(&r);
    dc_object us_flight = object("us-2", DC_KIND_INTENT, "us", 0, &here);
    const dc_object *only_zone[] = {&zone};
    assert_int_equal(dc_engine_check(g, &us_flight, NULL, only_zone, 1, &r, NULL), DC_OK);
    assert_true(r.accepted);
    assert_int_equal(r.conflict_count, 0);
    dc_check_result_clear(&r);

    /* a malformed proposal is refused with the field */
    dc_object bad = proposed;
    bad.priority = 101;
    dc_error err;
    assert_int_equal(dc_engine_check(g, &bad, NULL, all, 7, &r, &err), DC_INVALID);
    assert_string_equal(err.field, "priority");
    bad = proposed;
    bad.volume_count = 0;
    assert_int_equal(dc_engine_check(g, &bad, NULL, all, 7, &r, &err), DC_INVALID);
    assert_string_equal(err.field, "volumes");
}

/* Two results are the same: same other objects, resolutions and overlaps,
 * vertex for vertex. */
static int same_result(const dc_check_result *a, const dc_check_result *b)
{
    if (a->accepted != b->accepted || a->conflict_count != b->conflict_count)
        return 0;
    for (size_t i = 0; i < a->conflict_count; i++) {
        const dc_conflict *x = &a->conflicts[i], *y = &b->conflicts[i];
        if (x->other != y->other || x->resolution != y->resolution ||
            x->overlap.part_count != y->overlap.part_count)
            return 0;
        for (size_t k = 0; k < x->overlap.part_count; k++) {
            const dc_volume *p = &x->overlap.parts[k], *q = &y->overlap.parts[k];
            if (p->vertex_count != q->vertex_count || p->time_start != q->time_start ||
                p->altitude_lower != q->altitude_lower ||
                memcmp(p->vertices, q->vertices, p->vertex_count * sizeof *p->vertices) != 0)
                return 0;
        }
    }
    return 1;
}

/* An object is (kind, owner, id): whatever the kinds, another party's object bearing the
 * proposed object's id is decided like any other, and only the proposer's own earlier version
 * of the very same object is skipped. */
static void test_same_id_never_switches_deconfliction_off(void **state)
{
    dc_geom *g = *state;
    dc_volume v;
    assert_int_equal(
        dc_volume_init_circle((dc_point){35.9, 36.0}, 3000, 0, 3000, T0, T0 + H, &v, NULL), DC_OK);
    static const struct {
        dc_object_kind proposed, stored;
        dc_resolution expected;
    } pairs[] = {
        {DC_KIND_INTENT, DC_KIND_INTENT, DC_RESOLUTION_BLOCKS},
        {DC_KIND_HAZARD, DC_KIND_SITE, DC_RESOLUTION_BLOCKS},
        {DC_KIND_INTENT, DC_KIND_ZONE, DC_RESOLUTION_BLOCKS},
        {DC_KIND_HAZARD, DC_KIND_INTENT, DC_RESOLUTION_BLOCKS},
        {DC_KIND_ZONE, DC_KIND_INTENT, DC_RESOLUTION_OTHER_REPLANS},
        {DC_KIND_SITE, DC_KIND_HAZARD, DC_RESOLUTION_OTHER_REPLANS},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        dc_object mine = object("patrol-1", pairs[i].proposed, "b", 5, &v);
        dc_object theirs = object("patrol-1", pairs[i].stored, "a", 5, &v);
        const dc_object *c[] = {&theirs};
        dc_check_result r;
        assert_int_equal(dc_engine_check(g, &mine, NULL, c, 1, &r, NULL), DC_OK);
        assert_int_equal(r.conflict_count, 1);
        assert_int_equal(r.conflicts[0].resolution, pairs[i].expected);
        dc_check_result_clear(&r);
        /* the same owner and id but another kind is another object too */
        dc_object own_other_kind = object("patrol-1", pairs[i].stored, "b", 5, &v);
        const dc_object *o[] = {&own_other_kind};
        dc_check_options with_own = {1, 0, NULL};
        assert_int_equal(dc_engine_check(g, &mine, &with_own, o, 1, &r, NULL), DC_OK);
        if (pairs[i].proposed != pairs[i].stored && pairs[i].stored != DC_KIND_ZONE &&
            pairs[i].proposed != DC_KIND_ZONE)
            assert_int_equal(r.conflict_count, 1);
        dc_check_result_clear(&r);
        /* and the proposer's own earlier version of this object is not a conflict */
        dc_object earlier = object("patrol-1", pairs[i].proposed, "b", 5, &v);
        const dc_object *e[] = {&earlier};
        assert_int_equal(dc_engine_check(g, &mine, &with_own, e, 1, &r, NULL), DC_OK);
        assert_int_equal(r.conflict_count, 0);
        dc_check_result_clear(&r);
    }
    dc_volume_clear(&v);
}

/* Which stored objects are in force: accepted, activated and nonconforming block; proposed, ended
 * and withdrawn do not. */
/* A zone's authority is its priority (its owner's ceiling): it restricts objects up to it, and
 * one of a higher priority passes; an admitted party passes whatever its priority. */
static void test_zone_authority(void **state)
{
    dc_geom *g = *state;
    dc_volume v;
    assert_int_equal(
        dc_volume_init_circle((dc_point){35.9, 36.0}, 3000, 0, 3000, T0, T0 + H, &v, NULL), DC_OK);
    dc_object zone = object("restricted", DC_KIND_ZONE, "a", 10, &v);
    static const struct {
        int priority, conflict;
    } cases[] = {{0, 1}, {10, 1}, {11, 0}, {100, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_object mine = object("mine", DC_KIND_INTENT, "b", cases[i].priority, &v);
        const dc_object *c[] = {&zone};
        dc_check_result r;
        assert_int_equal(dc_engine_check(g, &mine, NULL, c, 1, &r, NULL), DC_OK);
        assert_int_equal(r.conflict_count, (size_t)cases[i].conflict);
        assert_int_equal(r.accepted, !cases[i].conflict);
        dc_check_result_clear(&r);
        /* and a new zone makes only those it has authority over replan */
        const dc_object *m[] = {&mine};
        assert_int_equal(dc_engine_check(g, &zone, NULL, m, 1, &r, NULL), DC_OK);
        assert_int_equal(r.conflict_count, (size_t)cases[i].conflict);
        dc_check_result_clear(&r);
    }
    dc_volume_clear(&v);
}

/* An emergency goes over everything of other parties, but a zone stays a zone (told, never
 * overridden by priority), a site meets hazards only, nothing new is accepted over it, and a
 * suspended hazard is not in force. */
static void test_emergency(void **state)
{
    dc_geom *g = *state;
    dc_volume v;
    assert_int_equal(
        dc_volume_init_circle((dc_point){35.9, 36.0}, 3000, 0, 3000, T0, T0 + H, &v, NULL), DC_OK);
    dc_object sar = object("sar", DC_KIND_INTENT, "ru", 0, &v);
    sar.emergency = DC_EMERGENCY_SEARCH_AND_RESCUE;
    dc_object fire = object("fire", DC_KIND_HAZARD, "us", 100, &v);
    dc_object flight = object("flight", DC_KIND_INTENT, "tr", 100, &v);
    dc_object zone = object("zone", DC_KIND_ZONE, "tr", 100, &v);
    dc_object site = object("site", DC_KIND_SITE, "tr", 0, &v);
    dc_object own = object("own", DC_KIND_HAZARD, "ru", 100, &v);
    dc_object other = object("other-sar", DC_KIND_INTENT, "tr", 0, &v);
    other.emergency = DC_EMERGENCY_MEDICAL_EVACUATION;
    const dc_object *c[] = {&fire, &flight, &other, &own, &site, &zone};
    dc_check_result r;
    assert_int_equal(dc_engine_check(g, &sar, NULL, c, 6, &r, NULL), DC_OK);
    assert_true(r.accepted);
    assert_int_equal(r.conflict_count, 4); /* not the site, not its own hazard */
    for (size_t i = 0; i < r.conflict_count; i++) {
        const dc_conflict *k = &r.conflicts[i];
        if (k->other == &fire)
            assert_int_equal(k->resolution, DC_RESOLUTION_HOLDS);
        else if (k->other == &flight)
            assert_int_equal(k->resolution, DC_RESOLUTION_OTHER_REPLANS);
        else if (k->other == &zone)
            assert_true(k->resolution == DC_RESOLUTION_TOLD && k->reason == DC_REASON_ZONE);
        else
            assert_true(k->other == &other && k->resolution == DC_RESOLUTION_TOLD);
    }
    dc_check_result_clear(&r);
    /* nothing new over it, whatever its priority */
    const dc_object *e[] = {&sar};
    assert_int_equal(dc_engine_check(g, &fire, NULL, e, 1, &r, NULL), DC_OK);
    assert_false(r.accepted);
    assert_int_equal(r.conflicts[0].reason, DC_REASON_EMERGENCY);
    dc_check_result_clear(&r);
    /* a zone admitting the declarer: no conflict */
    char admitted[1][DC_ID_MAX] = {"ru"};
    zone.admitted = (const char(*)[DC_ID_MAX])admitted;
    zone.admitted_count = 1;
    const dc_object *z[] = {&zone};
    assert_int_equal(dc_engine_check(g, &sar, NULL, z, 1, &r, NULL), DC_OK);
    assert_int_equal(r.conflict_count, 0);
    dc_check_result_clear(&r);
    /* an emergency crew site holds hazards; one already held (suspended) it passes */
    dc_object crew = object("sar", DC_KIND_SITE, "ru", 0, &v);
    crew.emergency = DC_EMERGENCY_SEARCH_AND_RESCUE;
    dc_object held = fire;
    held.state = DC_STATE_SUSPENDED;
    const dc_object *h[] = {&fire, &held, &flight};
    assert_int_equal(dc_engine_check(g, &crew, NULL, h, 3, &r, NULL), DC_OK);
    assert_int_equal(r.conflict_count, 1);
    assert_int_equal(r.conflicts[0].resolution, DC_RESOLUTION_HOLDS);
    dc_check_result_clear(&r);
    /* ... but against an ordinary object a held hazard keeps its place: it comes back */
    dc_object beside = flight;
    snprintf(beside.id, sizeof beside.id, "beside");
    snprintf(beside.owner, sizeof beside.owner, "tr");
    const dc_object *kept[] = {&held};
    assert_int_equal(dc_engine_check(g, &beside, NULL, kept, 1, &r, NULL), DC_OK);
    assert_int_equal(r.conflict_count, 1);
    dc_check_result_clear(&r);
    /* only intents and sites can be emergencies */
    fire.emergency = DC_EMERGENCY_AIRCRAFT_IN_DISTRESS;
    dc_error err;
    assert_int_equal(dc_engine_check(g, &fire, NULL, e, 1, &r, &err), DC_INVALID);
    assert_string_equal(dc_state_name(DC_STATE_SUSPENDED), "suspended");
    dc_volume_clear(&v);
}

static void test_states_in_force(void **state)
{
    dc_geom *g = *state;
    dc_volume v;
    assert_int_equal(
        dc_volume_init_circle((dc_point){35.9, 36.0}, 3000, 0, 3000, T0, T0 + H, &v, NULL), DC_OK);
    static const struct {
        dc_state state;
        int blocks;
    } cases[] = {{DC_STATE_ACCEPTED, 1}, {DC_STATE_ACTIVATED, 1}, {DC_STATE_NONCONFORMING, 1},
                 {DC_STATE_PROPOSED, 0}, {DC_STATE_ENDED, 0},     {DC_STATE_WITHDRAWN, 0}};
    dc_object mine = object("mine", DC_KIND_INTENT, "b", 5, &v);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dc_object theirs = object("theirs", DC_KIND_INTENT, "a", 9, &v);
        theirs.state = cases[i].state;
        const dc_object *c[] = {&theirs};
        dc_check_result r;
        assert_int_equal(dc_engine_check(g, &mine, NULL, c, 1, &r, NULL), DC_OK);
        if (r.accepted == cases[i].blocks)
            fail_msg("a %s intent %s", dc_state_name(cases[i].state),
                     cases[i].blocks ? "did not block" : "blocked");
        dc_check_result_clear(&r);
    }
    dc_volume_clear(&v);
}

/* ---- an independent reference: GEOS directly on the volumes, and the rules restated ---------
 * Not through dc_engine_check nor dc_volume_intersect: each pair of volumes is drawn in a flat
 * east/north frame (dc_enu), a circle as GEOS's buffer of its centre, and intersected by GEOS;
 * windows (half-open) and bands (closed) are compared here; DESIGN.md's rules are restated
 * below. Drawing a circle as a 128-gon and the frame's projection move an edge by well under
 * 10 m, so only clear cases are compared: an overlap above 2,000 m2 must be a conflict, volumes
 * more than 10 m apart must not be; anything between is borderline and left out. */
struct reference {
    GEOSContextHandle_t geos;
};

static GEOSGeometry *flat(struct reference *ref, const dc_enu_frame *f, const dc_volume *v)
{
    if (v->outline == DC_OUTLINE_CIRCLE) {
        double x, y;
        assert_int_equal(dc_enu_forward(f, v->center, &x, &y), DC_OK);
        GEOSGeometry *c = GEOSGeom_createPointFromXY_r(ref->geos, x, y);
        GEOSGeometry *disc = GEOSBuffer_r(ref->geos, c, v->radius_m, 32);
        GEOSGeom_destroy_r(ref->geos, c);
        return disc;
    }
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(ref->geos, v->vertex_count + 1, 2);
    for (uint32_t i = 0; i <= v->vertex_count; i++) {
        double x, y;
        assert_int_equal(dc_enu_forward(f, v->vertices[i % v->vertex_count], &x, &y), DC_OK);
        GEOSCoordSeq_setXY_r(ref->geos, seq, i, x, y);
    }
    return GEOSGeom_createPolygon_r(ref->geos, GEOSGeom_createLinearRing_r(ref->geos, seq), NULL,
                                    0);
}

/* 1: clearly overlapping in space and time, 0: clearly not, -1: borderline. */
static int reference_overlap(struct reference *ref, const dc_object *a, const dc_object *b)
{
    int verdict = 0;
    for (size_t i = 0; i < a->volume_count; i++)
        for (size_t j = 0; j < b->volume_count; j++) {
            const dc_volume *u = &a->volumes[i], *w = &b->volumes[j];
            if (u->time_start >= w->time_end || w->time_start >= u->time_end ||
                u->altitude_lower > w->altitude_upper || w->altitude_lower > u->altitude_upper)
                continue;
            dc_point o = u->outline == DC_OUTLINE_CIRCLE ? u->center : u->vertices[0];
            dc_enu_frame f;
            assert_int_equal(dc_enu_frame_init(o, &f), DC_OK);
            double ox, oy;
            dc_point wo = w->outline == DC_OUTLINE_CIRCLE ? w->center : w->vertices[0];
            assert_int_equal(dc_enu_forward(&f, wo, &ox, &oy), DC_OK);
            if (hypot(ox, oy) > 400000)
                continue; /* far apart: no volume here is that large */
            GEOSGeometry *gu = flat(ref, &f, u), *gw = flat(ref, &f, w);
            double distance = 0, area = 0;
            GEOSDistance_r(ref->geos, gu, gw, &distance);
            if (distance == 0) {
                GEOSGeometry *x = GEOSIntersection_r(ref->geos, gu, gw);
                GEOSArea_r(ref->geos, x, &area);
                GEOSGeom_destroy_r(ref->geos, x);
            }
            GEOSGeom_destroy_r(ref->geos, gu);
            GEOSGeom_destroy_r(ref->geos, gw);
            if (area > 2000)
                return 1;
            if (distance <= 10)
                verdict = -1;
        }
    return verdict;
}

static int ref_in_force(const dc_object *o)
{
    return o->kind == DC_KIND_ZONE || o->state == DC_STATE_ACCEPTED ||
           o->state == DC_STATE_ACTIVATED || o->state == DC_STATE_NONCONFORMING;
}

static int ref_admits(const dc_object *zone, const char *party)
{
    if (strcmp(zone->owner, party) == 0)
        return 1;
    for (size_t i = 0; i < zone->admitted_count; i++)
        if (strcmp(zone->admitted[i], party) == 0)
            return 1;
    return 0;
}

/* DESIGN.md rules 1 and 2 for one pair, restated: 0 no conflict, 1 a conflict that blocks the
 * proposal, 2 one that does not. */
static int reference_rule(const dc_object *p, const dc_object *c)
{
    if ((p->kind == c->kind && !strcmp(p->owner, c->owner) && !strcmp(p->id, c->id)) ||
        !ref_in_force(c))
        return 0;
    int mine = strcmp(p->owner, c->owner) == 0;
    if (p->kind == DC_KIND_SITE || c->kind == DC_KIND_SITE) {
        int hazard_and_site = (p->kind == DC_KIND_HAZARD && c->kind == DC_KIND_SITE) ||
                              (p->kind == DC_KIND_SITE && c->kind == DC_KIND_HAZARD);
        return !hazard_and_site || mine ? 0 : p->kind == DC_KIND_HAZARD ? 1 : 2;
    }
    if (p->kind == DC_KIND_ZONE && c->kind == DC_KIND_ZONE)
        return 0;
    if (p->kind == DC_KIND_ZONE)
        return ref_admits(p, c->owner) || c->priority > p->priority ? 0 : 2;
    if (c->kind == DC_KIND_ZONE)
        return ref_admits(c, p->owner) || p->priority > c->priority ? 0 : 1;
    if (mine)
        return 0;
    return c->priority >= p->priority ? 1 : 2; /* equal blocks: nothing accepted here */
}

static void test_engine_against_geos_reference(void **state)
{
    dc_geom *g = *state;
    workload_params p = {{35.9, 36.2}, 150, T0, 6, 0, 0.5, 6, 4, 20, 150};
    p.volumes = 3000;
    workload w;
    assert_int_equal(workload_generate(g, &p, 19, &w), DC_OK);
    struct reference ref = {GEOS_init_r()};
    const dc_object **all = calloc(w.object_count, sizeof *all);
    for (size_t i = 0; i < w.object_count; i++)
        all[i] = &w.objects[i];
    size_t compared = 0, conflicts = 0, borderline = 0, refused = 0;
    for (size_t i = 0; i < w.object_count; i += 3) {
        const dc_object *proposed = &w.objects[i];
        dc_check_result r;
        assert_int_equal(dc_engine_check(g, proposed, NULL, all, w.object_count, &r, NULL), DC_OK);
        int blocked = 0, unsure = 0;
        for (size_t j = 0; j < w.object_count; j++) {
            int rule = reference_rule(proposed, &w.objects[j]);
            int overlap = rule ? reference_overlap(&ref, proposed, &w.objects[j]) : 0;
            const dc_conflict *found = NULL;
            for (size_t k = 0; k < r.conflict_count; k++)
                if (r.conflicts[k].other == &w.objects[j])
                    found = &r.conflicts[k];
            if (overlap < 0) {
                borderline++;
                unsure |= rule == 1;
                continue;
            }
            if ((found != NULL) != (overlap == 1))
                fail_msg("%s against %s/%s: the engine says %s, GEOS %s", proposed->id,
                         w.objects[j].owner, w.objects[j].id, found ? "conflict" : "none",
                         overlap ? "overlap" : "apart");
            if (found != NULL) {
                conflicts++;
                if ((found->resolution == DC_RESOLUTION_BLOCKS) != (rule == 1))
                    fail_msg("%s against %s: the engine %s, the rules say %s", proposed->id,
                             w.objects[j].id, dc_resolution_name(found->resolution),
                             rule == 1 ? "blocks" : "does not block");
                blocked |= rule == 1;
            }
        }
        if (!unsure)
            assert_int_equal(r.accepted, !blocked);
        refused += !r.accepted;
        compared++;
        dc_check_result_clear(&r);
    }
    print_message("engine against GEOS directly: %zu proposals, %zu conflicts agree, %zu refused, "
                  "%zu borderline pairs left out\n",
                  compared, conflicts, refused, borderline);
    assert_true(conflicts > 100 && refused > 20);
    free(all);
    GEOS_finish_r(ref.geos);
    workload_free(&w);
}

static void test_indexed_equals_brute_force(void **state)
{
    dc_geom *g = *state;
    workload_params p = {{35.9, 36.2}, 150, T0, 6, 0, 0.5, 6, 4, 20, 150};
    workload w;
    /* 2,000 objects: as many volumes as that makes */
    p.volumes = 6000;
    assert_int_equal(workload_generate(g, &p, 7, &w), DC_OK);
    while (w.object_count > 2000)
        w.object_count--; /* objects past 2,000 stay allocated in w, unused */
    dc_index *index;
    assert_int_equal(dc_index_new(NULL, &index), DC_OK);
    for (size_t i = 0; i < w.object_count; i++)
        assert_int_equal(dc_index_add_object(index, i, &w.objects[i]), DC_OK);
    const dc_object **all = calloc(w.object_count, sizeof *all);
    const dc_object **cands = calloc(w.object_count, sizeof *cands);
    for (size_t i = 0; i < w.object_count; i++)
        all[i] = &w.objects[i];
    dc_id_list scratch = {0}, numbers = {0};
    size_t conflicts = 0, refused = 0, objects_checked = 0;
    dc_check_options opt = {1, 0, NULL};
    for (size_t i = 0; i < w.object_count; i++) {
        dc_object proposed = w.objects[i];
        assert_int_equal(dc_index_candidate_objects(index, &proposed, &scratch, &numbers), DC_OK);
        for (size_t k = 0; k < numbers.count; k++)
            cands[k] = &w.objects[numbers.ids[k]];
        dc_check_result indexed, brute;
        assert_int_equal(dc_engine_check(g, &proposed, &opt, cands, numbers.count, &indexed, NULL),
                         DC_OK);
        assert_int_equal(dc_engine_check(g, &proposed, &opt, all, w.object_count, &brute, NULL),
                         DC_OK);
        if (!same_result(&indexed, &brute))
            fail_msg("object %s: indexed %zu conflicts, brute force %zu", proposed.id,
                     indexed.conflict_count, brute.conflict_count);
        conflicts += brute.conflict_count;
        refused += !brute.accepted;
        objects_checked++;
        dc_check_result_clear(&indexed);
        dc_check_result_clear(&brute);
    }
    print_message(
        "engine: %zu objects (%zu volumes), indexed = brute force; %zu conflicts, %zu refused\n",
        objects_checked, w.volume_count, conflicts, refused);
    assert_int_equal(objects_checked, 2000);
    assert_true(conflicts > 500 && refused > 100); /* a workload that exercises the rules */
    dc_id_list_clear(&scratch);
    dc_id_list_clear(&numbers);
    free(all);
    free(cands);
    dc_index_free(index);
    workload_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_same_id_never_switches_deconfliction_off),
        cmocka_unit_test(test_states_in_force),
        cmocka_unit_test(test_zone_authority),
        cmocka_unit_test(test_emergency),
        cmocka_unit_test(test_indexed_equals_brute_force),
        cmocka_unit_test(test_engine_against_geos_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
