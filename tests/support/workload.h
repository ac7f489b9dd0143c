/* workload.h - random but realistic intents (drone operations, routed flights) for tests and
 * benchmarks */
#ifndef DECONFLICT_WORKLOAD_H
#define DECONFLICT_WORKLOAD_H

#include "deconflict/engine.h"

#include <stdint.h>

typedef struct workload_params {
    dc_point center;                     /* of the square region */
    double size_km;                      /* side of the region */
    dc_time_us start;                    /* of the period */
    double hours;                        /* length of the period */
    size_t volumes;                      /* stop once this many volumes exist */
    double drone_share;                  /* fraction of objects that are drone operations */
    int parties;                         /* owners "p0".."pN-1" */
    int zones;                           /* restricted zones among the objects */
    double flight_km_min, flight_km_max; /* route lengths */
} workload_params;

typedef struct workload {
    size_t object_count, volume_count;
    dc_object *objects;
    dc_volume *volumes;     /* objects[i].volumes points in here */
    uint32_t *volume_owner; /* volume index -> object index */
    char (*admitted)[DC_ID_MAX];
} workload;

/* Deterministic for a seed. DC_OK or DC_NOMEM/DC_INTERNAL. */
dc_status workload_generate(dc_geom *geom, const workload_params *params, uint64_t seed,
                            workload *out);

/* One more object like those of the workload (id "new-<n>"), for checks.
 * Its volumes are allocated; free with workload_object_clear. */
dc_status workload_object(dc_geom *geom, const workload_params *params, uint64_t *rng, int n,
                          dc_object *out);
void workload_object_clear(dc_object *object);

void workload_free(workload *w);

uint64_t workload_rng(uint64_t *state);
double workload_uniform(uint64_t *state);

#endif
