/* fuzz_submission.c - libFuzzer target: the PUT body decoder of intents, hazards, sites and zones
 * (dc_api_decode_submission, routes included) never crashes or leaks; a refusal says why and leaves
 * nothing behind; what it accepts is well formed, encodes as the server writes it
 * (dc_api_object_json), and that encoding decodes again to the same volumes */
#include "../src/api/api_internal.h"
#include "deconflict/time.h"
#include "fuzz_common.h"

#include <math.h>

static dc_geom *geom;

static const dc_object_kind kinds[] = {DC_KIND_INTENT, DC_KIND_HAZARD, DC_KIND_SITE, DC_KIND_ZONE};

static void check_volume(const dc_volume *v)
{
    FUZZ_CHECK(dc_time_in_range(v->time_start) && dc_time_in_range(v->time_end));
    FUZZ_CHECK(v->time_start < v->time_end);
    FUZZ_CHECK(isfinite(v->altitude_lower) && isfinite(v->altitude_upper));
    FUZZ_CHECK(v->altitude_lower <= v->altitude_upper);
    if (v->outline == DC_OUTLINE_CIRCLE) {
        FUZZ_CHECK(dc_point_validate(v->center) == DC_OK);
        FUZZ_CHECK(isfinite(v->radius_m) && v->radius_m > 0);
        return;
    }
    FUZZ_CHECK(v->outline == DC_OUTLINE_POLYGON && v->vertex_count >= 3);
    for (uint32_t i = 0; i < v->vertex_count; i++)
        FUZZ_CHECK(dc_point_validate(v->vertices[i]) == DC_OK);
}

/* Volumes equal as the encoding can say them: times and altitudes exactly, positions to the
 * 1e-9 degree the encoding rounds vertices to. */
static void check_same_volume(const dc_volume *a, const dc_volume *b)
{
    FUZZ_CHECK(a->outline == b->outline);
    FUZZ_CHECK(a->time_start == b->time_start && a->time_end == b->time_end);
    FUZZ_CHECK(a->altitude_lower == b->altitude_lower && a->altitude_upper == b->altitude_upper);
    if (a->outline == DC_OUTLINE_CIRCLE) {
        FUZZ_CHECK(a->center.lat == b->center.lat && a->center.lon == b->center.lon);
        FUZZ_CHECK(a->radius_m == b->radius_m);
        return;
    }
    FUZZ_CHECK(a->vertex_count == b->vertex_count);
    for (uint32_t i = 0; i < a->vertex_count; i++) {
        FUZZ_CHECK(fabs(a->vertices[i].lat - b->vertices[i].lat) <= 1e-9);
        FUZZ_CHECK(fabs(a->vertices[i].lon - b->vertices[i].lon) <= 1e-9);
    }
}

/* The body a client would send to write the object again: its volumes and header as the server
 * encodes them (a site's volume is sent as a zone's: it is the protected area itself). */
static char *resubmission(const dc_submission *s, dc_object_kind *kind)
{
    json_t *doc = dc_api_object_json(&s->object, s->is_public, s->hazard_kind, s->route);
    FUZZ_CHECK(doc != NULL);
    json_t *body = json_object();
    json_object_set(body, "volumes", json_object_get(doc, "volumes"));
    *kind = s->object.kind;
    if (s->object.kind == DC_KIND_SITE) {
        *kind = DC_KIND_ZONE;
    } else if (s->object.kind == DC_KIND_ZONE) {
        json_object_set(body, "public", json_object_get(doc, "public"));
        json_object_set(body, "admitted", json_object_get(doc, "admitted"));
    } else {
        json_object_set(body, "priority", json_object_get(doc, "priority"));
        json_object_set(body, "state", json_object_get(doc, "state"));
        if (s->object.kind == DC_KIND_HAZARD)
            json_object_set(body, "hazard_kind", json_object_get(doc, "hazard_kind"));
    }
    char *text = json_dumps(body, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    json_decref(body);
    json_decref(doc);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    if (geom == NULL && dc_geom_new(&geom) != DC_OK)
        abort();
    dc_object_kind kind = kinds[data[0] % 4];
    dc_submission sub;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc =
        dc_api_decode_submission(geom, kind, (const char *)data + 1, size - 1, &sub, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        /* nothing half-made is handed back */
        FUZZ_CHECK(sub.object.volumes == NULL && sub.object.volume_count == 0);
        FUZZ_CHECK(sub.route == NULL && sub.readbacks == NULL && sub.accept_keys == NULL);
        FUZZ_CHECK(sub.object.admitted == NULL);
        return 0;
    }
    FUZZ_CHECK(sub.object.kind == kind);
    /* volumes, or a route's legs */
    FUZZ_CHECK(sub.object.volume_count >= 1 && sub.object.volume_count <= DC_API_MAX_LEGS);
    for (size_t i = 0; i < sub.object.volume_count; i++)
        check_volume(&sub.object.volumes[i]);
    FUZZ_CHECK(sub.object.priority >= DC_PRIORITY_MIN && sub.object.priority <= DC_PRIORITY_MAX);
    FUZZ_CHECK(json_is_array(sub.readbacks));
    for (size_t i = 0; i < sub.object.admitted_count; i++)
        FUZZ_CHECK(dc_party_name_valid(sub.object.admitted[i]));

    if (sub.object.volume_count > DC_API_MAX_VOLUMES) {
        /* a long route: its legs are more volumes than one body may send */
        dc_api_submission_clear(&sub);
        return 0;
    }
    dc_object_kind again_kind;
    char *body = resubmission(&sub, &again_kind);
    dc_submission again;
    rc = dc_api_decode_submission(geom, again_kind, body, strlen(body), &again, &err);
    if (rc != DC_OK)
        fprintf(stderr, "re-encoded body refused: %s at %s\n%.2000s\n", err.message, err.field,
                body);
    FUZZ_CHECK(rc == DC_OK);
    FUZZ_CHECK(again.object.volume_count == sub.object.volume_count);
    for (size_t i = 0; i < sub.object.volume_count; i++)
        check_same_volume(&sub.object.volumes[i], &again.object.volumes[i]);
    if (kind != DC_KIND_SITE) {
        FUZZ_CHECK(again.object.priority == sub.object.priority);
        FUZZ_CHECK(again.object.state == sub.object.state);
        FUZZ_CHECK(again.is_public == sub.is_public);
        FUZZ_CHECK(strcmp(again.hazard_kind, sub.hazard_kind) == 0);
        FUZZ_CHECK(again.object.admitted_count == sub.object.admitted_count);
        for (size_t i = 0; i < sub.object.admitted_count; i++)
            FUZZ_CHECK(strcmp(again.object.admitted[i], sub.object.admitted[i]) == 0);
    }
    free(body);
    dc_api_submission_clear(&again);
    dc_api_submission_clear(&sub);
    return 0;
}
