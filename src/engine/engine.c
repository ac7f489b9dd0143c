/* engine.c - the deconfliction decision: which candidates conflict with a proposed object, and who
 * yields */
#include "deconflict/engine.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"intent", "hazard", "zone", "site"};
static const char *const state_names[] = {"proposed",  "accepted",      "activated", "ended",
                                          "withdrawn", "nonconforming", "suspended"};
static const char *const resolution_names[] = {"blocks", "accepted", "other_replans",
                                               "own",    "holds",    "told"};
static const char *const reason_names[] = {
    "zone", "higher_priority", "equal_priority", "lower_priority",
    "own",  "protected_site",  "emergency"};
static const char *const emergency_names[] = {"", "search_and_rescue", "medical_evacuation",
                                              "aircraft_in_distress"};

const char *dc_kind_name(dc_object_kind kind)
{
    return (unsigned)kind < DC_KIND_COUNT ? kind_names[kind] : "unknown";
}

const char *dc_state_name(dc_state state)
{
    return (unsigned)state < DC_STATE_COUNT ? state_names[state] : "unknown";
}

const char *dc_resolution_name(dc_resolution resolution)
{
    return (unsigned)resolution < 6 ? resolution_names[resolution] : "unknown";
}

const char *dc_reason_name(dc_conflict_reason reason)
{
    return (unsigned)reason < 7 ? reason_names[reason] : "unknown";
}

const char *dc_emergency_name(dc_emergency_kind kind)
{
    return (unsigned)kind < DC_EMERGENCY_COUNT ? emergency_names[kind] : "unknown";
}

dc_status dc_emergency_parse(const char *name, dc_emergency_kind *out)
{
    for (int i = 0; name != NULL && i < DC_EMERGENCY_COUNT; i++)
        if (strcmp(name, emergency_names[i]) == 0) {
            *out = (dc_emergency_kind)i;
            return DC_OK;
        }
    return DC_INVALID;
}

dc_status dc_kind_parse(const char *name, dc_object_kind *out)
{
    for (int i = 0; name != NULL && i < DC_KIND_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (dc_object_kind)i;
            return DC_OK;
        }
    return DC_INVALID;
}

dc_status dc_state_parse(const char *name, dc_state *out)
{
    for (int i = 0; name != NULL && i < DC_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (dc_state)i;
            return DC_OK;
        }
    return DC_INVALID;
}

int dc_zone_admits(const dc_object *zone, const char *party)
{
    if (strcmp(zone->owner, party) == 0)
        return 1;
    for (size_t i = 0; i < zone->admitted_count; i++)
        if (strcmp(zone->admitted[i], party) == 0)
            return 1;
    return 0;
}

void dc_check_result_clear(dc_check_result *result)
{
    if (result == NULL)
        return;
    for (size_t i = 0; i < result->conflict_count; i++)
        dc_overlap_clear(&result->conflicts[i].overlap);
    dc_free(result->conflicts);
    memset(result, 0, sizeof *result);
}

/* One object is (kind, owner, id): another party's id, or another kind's, never matches. */
static int same_object(const dc_object *a, const dc_object *b)
{
    return a->kind == b->kind && strcmp(a->owner, b->owner) == 0 && strcmp(a->id, b->id) == 0;
}

/* Whether `c` stands in the way of `p`. A hazard an emergency holds (suspended) keeps its place
 * against ordinary objects: it goes back into force when the emergency ends, and nothing accepted
 * meanwhile may conflict with it then. An emergency passes it: it is held already. */
static int in_force(const dc_object *p, const dc_object *c)
{
    if (c->state == DC_STATE_SUSPENDED)
        return p->emergency == DC_EMERGENCY_NONE;
    return c->kind == DC_KIND_ZONE || c->state == DC_STATE_ACCEPTED ||
           c->state == DC_STATE_ACTIVATED || c->state == DC_STATE_NONCONFORMING;
}

static dc_status validate(const dc_object *o, dc_error *err)
{
    if (o->id[0] == '\0' || memchr(o->id, '\0', DC_ID_MAX) == NULL)
        return dc_error_set(err, DC_INVALID, "id", DC_NO_POSITION,
                            "object id is empty or too long");
    if (o->owner[0] == '\0' || memchr(o->owner, '\0', DC_ID_MAX) == NULL)
        return dc_error_set(err, DC_INVALID, "owner", DC_NO_POSITION, "object has no owner");
    if ((unsigned)o->kind >= DC_KIND_COUNT)
        return dc_error_set(err, DC_INVALID, "kind", DC_NO_POSITION, "unknown object kind");
    if (o->priority < DC_PRIORITY_MIN || o->priority > DC_PRIORITY_MAX)
        return dc_error_set(err, DC_INVALID, "priority", DC_NO_POSITION,
                            "priority must be within %d..%d", DC_PRIORITY_MIN, DC_PRIORITY_MAX);
    if (o->volume_count == 0 || o->volumes == NULL)
        return dc_error_set(err, DC_INVALID, "volumes", DC_NO_POSITION, "object has no volumes");
    if ((unsigned)o->emergency >= DC_EMERGENCY_COUNT ||
        (o->emergency != DC_EMERGENCY_NONE && o->kind != DC_KIND_INTENT && o->kind != DC_KIND_SITE))
        return dc_error_set(err, DC_INVALID, "emergency", DC_NO_POSITION,
                            "only an intent or a site may be an emergency");
    return DC_OK;
}

/* When either is an emergency: an emergency goes whatever it overlaps, except that a zone stays a
 * zone (its owner is told, entry is not granted: the live monitor still alerts the flight), and
 * sites still meet hazards only. -1 when the two cannot conflict. */
static int classify_emergency(const dc_object *p, const dc_object *c, const dc_check_options *opt,
                              dc_resolution *res, dc_conflict_reason *why)
{
    const dc_object *e = p->emergency != DC_EMERGENCY_NONE ? p : c;
    const dc_object *x = e == p ? c : p;
    if (x->kind == DC_KIND_ZONE) {
        if (dc_zone_admits(x, e->owner))
            return -1;
        *why = DC_REASON_ZONE;
        *res = DC_RESOLUTION_TOLD;
        return 0;
    }
    if ((p->kind == DC_KIND_SITE || c->kind == DC_KIND_SITE) &&
        !(p->kind == DC_KIND_HAZARD || c->kind == DC_KIND_HAZARD))
        return -1; /* a site meets hazards only, emergency or not */
    if (strcmp(p->owner, c->owner) == 0) {
        if (!opt->include_own)
            return -1;
        *why = DC_REASON_OWN;
        *res = DC_RESOLUTION_OWN;
        return 0;
    }
    *why = DC_REASON_EMERGENCY;
    if (p != e)
        *res = DC_RESOLUTION_BLOCKS; /* nothing new over an emergency in force */
    else if (x->emergency != DC_EMERGENCY_NONE)
        *res = DC_RESOLUTION_TOLD; /* two emergencies: both go, both know */
    else
        *res = x->kind == DC_KIND_HAZARD ? DC_RESOLUTION_HOLDS : DC_RESOLUTION_OTHER_REPLANS;
    return 0;
}

/* How the proposed object and a candidate relate, or -1 when they cannot
 * conflict under the rules. */
static int classify(const dc_object *p, const dc_object *c, const dc_check_options *opt,
                    dc_resolution *res, dc_conflict_reason *why)
{
    if (same_object(p, c) || !in_force(p, c))
        return -1; /* only the submitter's own earlier version of this very object */
    if (p->emergency != DC_EMERGENCY_NONE || c->emergency != DC_EMERGENCY_NONE)
        return classify_emergency(p, c, opt, res, why);
    int same_owner = strcmp(p->owner, c->owner) == 0;
    if (p->kind == DC_KIND_SITE || c->kind == DC_KIND_SITE) {
        /* only hazards threaten sites; a site always wins */
        const dc_object *other = p->kind == DC_KIND_SITE ? c : p;
        if (other->kind != DC_KIND_HAZARD || (p->kind == DC_KIND_SITE && c->kind == DC_KIND_SITE))
            return -1;
        if (same_owner) {
            if (!opt->include_own)
                return -1;
            *why = DC_REASON_OWN;
            *res = DC_RESOLUTION_OWN;
            return 0;
        }
        *why = DC_REASON_PROTECTED_SITE;
        *res = p->kind == DC_KIND_SITE ? DC_RESOLUTION_OTHER_REPLANS : DC_RESOLUTION_BLOCKS;
        return 0;
    }
    if (p->kind == DC_KIND_ZONE || c->kind == DC_KIND_ZONE) {
        if (p->kind == DC_KIND_ZONE && c->kind == DC_KIND_ZONE)
            return -1; /* zones do not conflict with zones */
        const dc_object *zone = p->kind == DC_KIND_ZONE ? p : c;
        const dc_object *mover = p->kind == DC_KIND_ZONE ? c : p;
        /* a zone's priority is its authority (its owner's ceiling): higher priorities pass */
        if (dc_zone_admits(zone, mover->owner) || mover->priority > zone->priority)
            return -1;
        *why = DC_REASON_ZONE;
        *res = p->kind == DC_KIND_ZONE ? DC_RESOLUTION_OTHER_REPLANS : DC_RESOLUTION_BLOCKS;
        return 0;
    }
    if (same_owner) {
        if (!opt->include_own)
            return -1;
        *why = DC_REASON_OWN;
        *res = DC_RESOLUTION_OWN;
        return 0;
    }
    if (c->priority > p->priority) {
        *why = DC_REASON_HIGHER_PRIORITY;
        *res = DC_RESOLUTION_BLOCKS;
    } else if (c->priority < p->priority) {
        *why = DC_REASON_LOWER_PRIORITY;
        *res = DC_RESOLUTION_OTHER_REPLANS;
    } else {
        *why = DC_REASON_EQUAL_PRIORITY;
        *res = DC_RESOLUTION_BLOCKS;
        for (size_t i = 0; i < opt->accept_count; i++)
            if (opt->accept[i].kind == c->kind && strcmp(opt->accept[i].object_id, c->id) == 0 &&
                strcmp(opt->accept[i].owner, c->owner) == 0 && opt->accept[i].version == c->version)
                *res = DC_RESOLUTION_ACCEPTED;
    }
    return 0;
}

/* All overlaps between the volumes of two objects, gathered into one. */
static dc_status overlap_objects(dc_geom *geom, const dc_object *a, const dc_object *b,
                                 dc_overlap *out, dc_time_us *t0, dc_time_us *t1)
{
    memset(out, 0, sizeof *out);
    size_t capacity = 0;
    for (size_t i = 0; i < a->volume_count; i++) {
        for (size_t j = 0; j < b->volume_count; j++) {
            dc_overlap pair;
            dc_status rc = dc_volume_intersect(geom, &a->volumes[i], &b->volumes[j], &pair);
            if (rc != DC_OK) {
                dc_overlap_clear(out);
                return rc;
            }
            for (size_t k = 0; k < pair.part_count; k++) {
                dc_volume *parts =
                    dc_grow(out->parts, &capacity, out->part_count, sizeof *parts, 4);
                if (parts == NULL) {
                    dc_overlap_clear(&pair);
                    dc_overlap_clear(out);
                    return DC_NOMEM;
                }
                out->parts = parts;
                const dc_volume *v = &pair.parts[k];
                if (out->part_count == 0 || v->time_start < *t0)
                    *t0 = v->time_start;
                if (out->part_count == 0 || v->time_end > *t1)
                    *t1 = v->time_end;
                out->parts[out->part_count++] = *v; /* ownership moves */
            }
            dc_free(pair.parts);
        }
    }
    return DC_OK;
}

static int by_other_object(const void *x, const void *y)
{
    const dc_object *a = ((const dc_conflict *)x)->other, *b = ((const dc_conflict *)y)->other;
    int c = strcmp(a->owner, b->owner);
    if (c == 0)
        c = (int)a->kind - (int)b->kind;
    return c != 0 ? c : strcmp(a->id, b->id);
}

static uint64_t outline_vertices(const dc_volume *v)
{
    return v->outline == DC_OUTLINE_CIRCLE ? DC_ENGINE_CIRCLE_VERTICES : v->vertex_count;
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

dc_status dc_engine_work(const dc_object *proposed, const dc_check_options *options,
                         const dc_object *const *candidates, size_t candidate_count, uint64_t *out)
{
    static const dc_check_options defaults = {0, 0, NULL};
    const dc_check_options *opt = options ? options : &defaults;
    uint64_t work = 0;
    for (size_t i = 0; i < candidate_count; i++) {
        const dc_object *c = candidates[i];
        dc_resolution res;
        dc_conflict_reason why;
        if (c == NULL || classify(proposed, c, opt, &res, &why) != 0)
            continue;
        for (size_t a = 0; a < proposed->volume_count; a++) {
            const dc_volume *va = &proposed->volumes[a];
            dc_box4 ba;
            dc_volume_box(va, &ba);
            for (size_t b = 0; b < c->volume_count; b++) {
                const dc_volume *vb = &c->volumes[b];
                dc_box4 bb;
                dc_volume_box(vb, &bb);
                if (!dc_box4_overlaps(&ba, &bb))
                    continue;
                uint64_t n = outline_vertices(va), m = outline_vertices(vb);
                int simple = va->outline == DC_OUTLINE_CIRCLE || vb->outline == DC_OUTLINE_CIRCLE ||
                             va->convex || vb->convex;
                uint64_t pair =
                    simple ? n + m : (n != 0 && m > UINT64_MAX / n ? UINT64_MAX : n * m);
                work = add_saturating(work, pair);
            }
        }
    }
    *out = work;
    return DC_OK;
}

dc_status dc_engine_check(dc_geom *geom, const dc_object *proposed, const dc_check_options *options,
                          const dc_object *const *candidates, size_t candidate_count,
                          dc_check_result *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    static const dc_check_options defaults = {0, 0, NULL};
    const dc_check_options *opt = options ? options : &defaults;
    dc_status rc = validate(proposed, err);
    if (rc != DC_OK)
        return rc;
    size_t capacity = 0;
    for (size_t i = 0; i < candidate_count; i++) {
        const dc_object *c = candidates[i];
        dc_resolution res;
        dc_conflict_reason why;
        if (c == NULL || classify(proposed, c, opt, &res, &why) != 0)
            continue;
        dc_conflict conflict = {c, res, why, {0, NULL}, 0, 0};
        rc = overlap_objects(geom, proposed, c, &conflict.overlap, &conflict.time_start,
                             &conflict.time_end);
        if (rc != DC_OK)
            goto fail;
        if (conflict.overlap.part_count == 0)
            continue;
        dc_conflict *grown =
            dc_grow(out->conflicts, &capacity, out->conflict_count, sizeof *grown, 8);
        if (grown == NULL) {
            dc_overlap_clear(&conflict.overlap);
            rc = DC_NOMEM;
            goto fail;
        }
        out->conflicts = grown;
        out->conflicts[out->conflict_count++] = conflict;
    }
    if (out->conflict_count > 1)
        qsort(out->conflicts, out->conflict_count, sizeof *out->conflicts, by_other_object);
    out->accepted = 1;
    for (size_t i = 0; i < out->conflict_count; i++)
        if (out->conflicts[i].resolution == DC_RESOLUTION_BLOCKS)
            out->accepted = 0;
    return DC_OK;
fail:
    dc_check_result_clear(out);
    return dc_error_set(err, rc, "", DC_NO_POSITION, "%s while checking conflicts",
                        dc_strerror(rc));
}
