/* fuzz_scenario.c - libFuzzer target: the scenario GeoJSON loader (dc_scenario_parse, as
 * `deconflict check` and `deconflict load` read a file) never crashes or leaks; a refusal says why
 * and hands back nothing; every object it accepts is well formed */
#include "deconflict/scenario.h"
#include "deconflict/time.h"
#include "fuzz_common.h"

#include <math.h>

static dc_geom *geom;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 262144)
        return 0;
    if (geom == NULL && dc_geom_new(&geom) != DC_OK)
        abort();
    dc_scenario s;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc = dc_scenario_parse(geom, (const char *)data, size, &s, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        FUZZ_CHECK(s.object_count == 0 && s.objects == NULL && s.title == NULL);
        return 0;
    }
    for (size_t i = 0; i < s.object_count; i++) {
        const dc_object *o = &s.objects[i];
        FUZZ_CHECK(o->id[0] != '\0' && o->owner[0] != '\0');
        FUZZ_CHECK(memchr(o->id, '\0', sizeof o->id) && memchr(o->owner, '\0', sizeof o->owner));
        FUZZ_CHECK(o->volume_count >= 1 && o->volumes != NULL);
        for (size_t k = 0; k < o->volume_count; k++) {
            const dc_volume *v = &o->volumes[k];
            FUZZ_CHECK(dc_time_in_range(v->time_start) && dc_time_in_range(v->time_end));
            FUZZ_CHECK(v->time_start < v->time_end);
            FUZZ_CHECK(isfinite(v->altitude_lower) && v->altitude_lower <= v->altitude_upper);
            if (v->outline == DC_OUTLINE_CIRCLE) {
                FUZZ_CHECK(dc_point_validate(v->center) == DC_OK && v->radius_m > 0);
            } else {
                FUZZ_CHECK(v->vertex_count >= 3);
                for (uint32_t j = 0; j < v->vertex_count; j++)
                    FUZZ_CHECK(dc_point_validate(v->vertices[j]) == DC_OK);
            }
        }
    }
    dc_scenario_free(&s);
    return 0;
}
