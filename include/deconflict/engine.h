/* engine.h - deconfliction decisions: objects of parties, conflicts, and who must yield */
#ifndef DECONFLICT_ENGINE_H
#define DECONFLICT_ENGINE_H

#include "deconflict/volume.h"

#include <stdint.h>

#define DC_ID_MAX 64

typedef enum dc_object_kind {
    DC_KIND_INTENT,
    DC_KIND_HAZARD,
    DC_KIND_ZONE,
    DC_KIND_SITE
} dc_object_kind;
#define DC_KIND_COUNT 4

typedef enum dc_state {
    DC_STATE_PROPOSED,
    DC_STATE_ACCEPTED,
    DC_STATE_ACTIVATED,
    DC_STATE_ENDED,
    DC_STATE_WITHDRAWN,
    DC_STATE_NONCONFORMING,
    DC_STATE_SUSPENDED /* a hazard held while an emergency overlaps it (emergency.h) */
} dc_state;
#define DC_STATE_COUNT 7

/* What an emergency is (docs/EMERGENCIES.md). An object with one is accepted whatever it
 * overlaps, but it never grants entry to a zone: the zone's owner is told, nothing more. */
typedef enum dc_emergency_kind {
    DC_EMERGENCY_NONE,
    DC_EMERGENCY_SEARCH_AND_RESCUE,
    DC_EMERGENCY_MEDICAL_EVACUATION,
    DC_EMERGENCY_AIRCRAFT_IN_DISTRESS
} dc_emergency_kind;
#define DC_EMERGENCY_COUNT 4

#define DC_PRIORITY_MIN 0
#define DC_PRIORITY_MAX 100

/* An intent, hazard or zone of one party. The engine only reads objects;
 * whoever builds one owns its arrays. Zones use `admitted` (the parties
 * allowed in besides the owner); intents and hazards use state/priority. */
typedef struct dc_object {
    char id[DC_ID_MAX];
    dc_object_kind kind;
    char owner[DC_ID_MAX];
    int priority;
    dc_state state;
    int64_t version;
    size_t volume_count;
    const dc_volume *volumes;
    size_t admitted_count;
    const char (*admitted)[DC_ID_MAX];
    dc_emergency_kind emergency; /* intents and sites: DC_EMERGENCY_NONE unless declared one */
} dc_object;

/* A conflict the submitter has been shown and accepts: the other object at
 * the version it was shown (ASTM F3548's key). */
typedef struct dc_accepted_conflict {
    char owner[DC_ID_MAX];
    char object_id[DC_ID_MAX];
    int64_t version;
    dc_object_kind kind;
} dc_accepted_conflict;

typedef struct dc_check_options {
    int include_own; /* also report conflicts with the owner's own objects (never blocking) */
    size_t accept_count;
    const dc_accepted_conflict *accept;
} dc_check_options;

typedef enum dc_resolution {
    DC_RESOLUTION_BLOCKS,        /* the proposed object is refused because of this one */
    DC_RESOLUTION_ACCEPTED,      /* equal priority, accepted by the submitter as shown */
    DC_RESOLUTION_OTHER_REPLANS, /* the other object yields: its owner is told to replan */
    DC_RESOLUTION_OWN,           /* the submitter's own object: for information */
    DC_RESOLUTION_HOLDS,         /* an emergency over a hazard: the hazard is suspended */
    DC_RESOLUTION_TOLD           /* nobody yields, the other's owner is told (an emergency in a
                                    zone: the zone stands and grants no entry) */
} dc_resolution;

typedef enum dc_conflict_reason {
    DC_REASON_ZONE,            /* a zone the submitter is not admitted to (or a new zone) */
    DC_REASON_HIGHER_PRIORITY, /* the other object has higher priority */
    DC_REASON_EQUAL_PRIORITY,
    DC_REASON_LOWER_PRIORITY,
    DC_REASON_OWN,
    DC_REASON_PROTECTED_SITE, /* a hazard over another party's protected site */
    DC_REASON_EMERGENCY       /* one of the two is an emergency */
} dc_conflict_reason;

/* One other object in conflict with the proposed one: every overlap of any
 * of their volumes, gathered. `other` points into the caller's candidates. */
typedef struct dc_conflict {
    const dc_object *other;
    dc_resolution resolution;
    dc_conflict_reason reason;
    dc_overlap overlap;
    dc_time_us time_start, time_end; /* span of the overlap parts */
} dc_conflict;

typedef struct dc_check_result {
    int accepted; /* 1 when no conflict blocks */
    size_t conflict_count;
    dc_conflict *conflicts; /* sorted by the other object's owner, kind, id */
} dc_check_result;

/* Decide on `proposed` against the candidates the caller supplies (from an
 * index or a store; the engine fetches nothing). Rules (DESIGN.md):
 * candidates of other parties in state accepted/activated/nonconforming
 * count, and zones the proposer is not admitted to; a zone blocks objects up
 * to its own priority (its authority: the ceiling its owner was granted),
 * whatever their priority below it; higher priority blocks; equal priority blocks unless named
 * with its current version in options->accept; lower priority yields.
 * An object is (kind, owner, id): only a candidate that is the proposed
 * object itself (the submitter's earlier version) is ignored; another
 * party's object, or another kind, with the same id counts like any other. A proposed zone makes
 * every conflicting object of a non-admitted party yield. Sites (protected ground locations)
 * conflict with other parties' hazards only, and always win: a hazard over a site is refused, a new
 * site makes the hazard over it yield. An emergency (object->emergency) blocks every ordinary
 * intent and hazard of another party over it; a proposed emergency is never blocked: intents
 * of other parties over it replan, hazards hold (DC_RESOLUTION_HOLDS), another emergency and a
 * zone not admitting its party are told (DC_RESOLUTION_TOLD; the zone still applies to the
 * flight, and an emergency's zone-like priority never passes a zone). An emergency site, like any
 * site, meets hazards only. On success *out holds the decision; free with
 * dc_check_result_clear. DC_INVALID (the proposed object is malformed, with
 * the field in err), DC_NOMEM, DC_INTERNAL (GEOS). */
dc_status dc_engine_check(dc_geom *geom, const dc_object *proposed, const dc_check_options *options,
                          const dc_object *const *candidates, size_t candidate_count,
                          dc_check_result *out, dc_error *err);

void dc_check_result_clear(dc_check_result *result); /* NULL is a no-op */

/* What dc_engine_check would cost for these candidates, in vertex units, before paying it: for
 * each pair of volumes it would intersect (their boxes overlap, the candidate counts), n + m
 * when either outline is convex (a convex boundary crosses another at most twice per edge of the
 * other) and n * m otherwise (two simple outlines can cross that many times, and the exact
 * overlap then has as many parts); a circle counts as DC_ENGINE_CIRCLE_VERTICES. The server
 * refuses a submission whose work exceeds its budget before computing anything. Pure;
 * saturates at UINT64_MAX; returns DC_OK. */
#define DC_ENGINE_CIRCLE_VERTICES 64
dc_status dc_engine_work(const dc_object *proposed, const dc_check_options *options,
                         const dc_object *const *candidates, size_t candidate_count, uint64_t *out);

/* ---- candidates from an in-memory index (library and CLI; the server
 * asks its store instead) ------------------------------------------------ */

#include "deconflict/index.h"

/* Index ids are (object number << 20 | volume number): an object has at most
 * 2^20 volumes and numbers are the caller's (an array position, a row id). */
#define DC_INDEX_VOLUME_BITS 20
#define DC_INDEX_ID(object_number, volume)                                                         \
    (((uint64_t)(object_number) << DC_INDEX_VOLUME_BITS) | (uint64_t)(volume))

/* Enter every volume of `object` under `object_number`. On failure none
 * remain. DC_OK, DC_NOMEM, DC_CONFLICT (number in use), DC_RANGE (too many
 * volumes). */
dc_status dc_index_add_object(dc_index *index, uint64_t object_number, const dc_object *object);

/* Remove what dc_index_add_object entered. DC_OK or DC_NOT_FOUND. */
dc_status dc_index_remove_object(dc_index *index, uint64_t object_number, const dc_object *object);

/* The numbers of the objects with a volume whose box overlaps a volume box
 * of `proposed`, each once, ascending, in `out`. `scratch` is reused
 * between calls. DC_OK or DC_NOMEM. */
dc_status dc_index_candidate_objects(dc_index *index, const dc_object *proposed,
                                     dc_id_list *scratch, dc_id_list *out);

/* Whether `party` may be inside `zone` (its owner or admitted). */
int dc_zone_admits(const dc_object *zone, const char *party);

const char *dc_kind_name(dc_object_kind kind);            /* "intent", "hazard", "zone", "site" */
const char *dc_state_name(dc_state state);                /* "accepted", ... */
const char *dc_resolution_name(dc_resolution resolution); /* "blocks", ... */
const char *dc_reason_name(dc_conflict_reason reason);    /* "zone", ... */
const char *dc_emergency_name(dc_emergency_kind kind);    /* "search_and_rescue", ... "" */

/* Parse the names above. DC_OK or DC_INVALID. */
dc_status dc_kind_parse(const char *name, dc_object_kind *out);
dc_status dc_state_parse(const char *name, dc_state *out);
/* "search_and_rescue", "medical_evacuation", "aircraft_in_distress"; "" is DC_EMERGENCY_NONE. */
dc_status dc_emergency_parse(const char *name, dc_emergency_kind *out);

#endif
