/* test_object_build.c - the one object builder: a scenario file's feature and the API body that
 * says the same thing (as `deconflict load` sends it) give the same object, or the same refusal */
#include "../../src/api/api_internal.h"
#include "deconflict/object_build.h"
#include "deconflict/scenario.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *latlng(json_t *position)
{
    return json_pack("{s:O,s:O}", "lat", json_array_get(position, 1), "lng",
                     json_array_get(position, 0));
}

static json_t *bands(json_t *props)
{
    return json_pack(
        "{s:O,s:O,s:O,s:O}", "altitude_lower", json_object_get(props, "altitude_lower"),
        "altitude_upper", json_object_get(props, "altitude_upper"), "time_start",
        json_object_get(props, "time_start"), "time_end", json_object_get(props, "time_end"));
}

/* The API body of one feature's object, written independently of both decoders. */
static json_t *api_body(json_t *feature)
{
    json_t *props = json_object_get(feature, "properties");
    json_t *geometry = json_object_get(feature, "geometry");
    json_t *coords = json_object_get(geometry, "coordinates");
    const char *kind = json_string_value(json_object_get(props, "kind"));
    const char *type = json_string_value(json_object_get(geometry, "type"));
    if (strcmp(kind, "site") == 0)
        return json_pack("{s:o,s:O,s:O,s:O}", "location", latlng(coords), "radius",
                         json_object_get(props, "radius"), "time_start",
                         json_object_get(props, "time_start"), "time_end",
                         json_object_get(props, "time_end"));
    json_t *body = json_object();
    if (strcmp(kind, "zone") == 0)
        json_object_set(body, "admitted", json_object_get(props, "admitted"));
    else
        json_object_set(body, "priority", json_object_get(props, "priority"));
    if (strcmp(kind, "hazard") == 0)
        json_object_set(body, "hazard_kind", json_object_get(props, "hazard_kind"));
    if (strcmp(type, "LineString") == 0) {
        json_t *waypoints = json_array();
        for (size_t i = 0; i < json_array_size(coords); i++)
            json_array_append_new(
                waypoints,
                json_pack("{s:o,s:O,s:O}", "position", latlng(json_array_get(coords, i)),
                          "altitude",
                          json_array_get(json_object_get(props, "waypoint_altitudes"), i), "time",
                          json_array_get(json_object_get(props, "waypoint_times"), i)));
        json_object_set_new(body, "route",
                            json_pack("{s:o,s:O}", "waypoints", waypoints, "buffers",
                                      json_object_get(props, "buffers")));
        return body;
    }
    json_t *volume = bands(props);
    if (strcmp(type, "Point") == 0) {
        json_object_set_new(volume, "outline_circle",
                            json_pack("{s:o,s:O}", "center", latlng(coords), "radius",
                                      json_object_get(props, "radius")));
    } else {
        json_t *vertices = json_array(), *ring = json_array_get(coords, 0);
        for (size_t i = 0; i < json_array_size(ring); i++)
            json_array_append_new(vertices, latlng(json_array_get(ring, i)));
        json_object_set_new(volume, "outline_polygon", json_pack("{s:o}", "vertices", vertices));
    }
    json_object_set_new(body, "volumes", json_pack("[o]", volume));
    return body;
}

static void same_volume(const dc_volume *a, const dc_volume *b)
{
    assert_int_equal(a->outline, b->outline);
    assert_int_equal(a->vertex_count, b->vertex_count);
    for (uint32_t i = 0; i < a->vertex_count; i++) {
        assert_true(fabs(a->vertices[i].lat - b->vertices[i].lat) < 1e-9);
        assert_true(fabs(a->vertices[i].lon - b->vertices[i].lon) < 1e-9);
    }
    assert_true(fabs(a->center.lat - b->center.lat) < 1e-9);
    assert_true(fabs(a->center.lon - b->center.lon) < 1e-9);
    assert_true(fabs(a->radius_m - b->radius_m) < 1e-6);
    assert_true(fabs(a->altitude_lower - b->altitude_lower) < 1e-6);
    assert_true(fabs(a->altitude_upper - b->altitude_upper) < 1e-6);
    assert_int_equal(a->time_start, b->time_start);
    assert_int_equal(a->time_end, b->time_end);
}

/* Every object of the example: the scenario loader's and the API decoder's are one. */
static void check_example(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/examples/%s/scenario.geojson", getenv("DC_SOURCE_DIR"), name);
    dc_geom *geom = NULL;
    assert_int_equal(dc_geom_new(&geom), DC_OK);
    dc_scenario scenario;
    dc_error err;
    assert_int_equal(dc_scenario_load(geom, path, &scenario, &err), DC_OK);
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    json_t *features = json_object_get(doc, "features");
    assert_int_equal(json_array_size(features), scenario.object_count); /* one feature each */
    for (size_t i = 0; i < scenario.object_count; i++) {
        const dc_object *o = &scenario.objects[i];
        json_t *doc_body = api_body(json_array_get(features, i));
        char *body = json_dumps(doc_body, JSON_COMPACT);
        json_decref(doc_body);
        dc_submission sub;
        dc_status rc = dc_api_decode_submission(geom, o->kind, body, strlen(body), &sub, &err);
        if (rc != DC_OK)
            fail_msg("%s/%s: %s at %s", name, o->id, err.message, err.field);
        assert_int_equal(sub.object.volume_count, o->volume_count);
        for (size_t k = 0; k < o->volume_count; k++)
            same_volume(&sub.object.volumes[k], &o->volumes[k]);
        if (o->kind != DC_KIND_SITE && o->kind != DC_KIND_ZONE)
            assert_int_equal(sub.object.priority, o->priority);
        dc_api_submission_clear(&sub);
        free(body);
    }
    json_decref(doc);
    dc_scenario_free(&scenario);
    dc_geom_free(geom);
}

static void examples_decode_alike(void **state)
{
    (void)state;
    check_example("su24-2015");
    check_example("al-bab-2017-02");
    check_example("direct-line-2017-01");
}

/* A site whose radius claims more than DC_SITE_RADIUS_MAX_M: both doors refuse it, alike. */
static void oversized_site_refused_alike(void **state)
{
    (void)state;
    static const char scenario_text[] =
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[37.52,36.37]},"
        "\"properties\":{\"id\":\"camp\",\"kind\":\"site\",\"owner\":\"turkey\","
        "\"radius\":250000,\"time_start\":\"2017-02-09T00:00:00Z\","
        "\"time_end\":\"2017-02-10T00:00:00Z\"}}]}";
    static const char body[] = "{\"location\":{\"lat\":36.37,\"lng\":37.52},\"radius\":250000,"
                               "\"time_start\":\"2017-02-09T00:00:00Z\","
                               "\"time_end\":\"2017-02-10T00:00:00Z\"}";
    dc_geom *geom = NULL;
    assert_int_equal(dc_geom_new(&geom), DC_OK);
    dc_scenario scenario;
    dc_error file_err, api_err;
    dc_status file_rc =
        dc_scenario_parse(geom, scenario_text, strlen(scenario_text), &scenario, &file_err);
    dc_submission sub;
    dc_status api_rc =
        dc_api_decode_submission(geom, DC_KIND_SITE, body, strlen(body), &sub, &api_err);
    assert_int_equal(file_rc, DC_RANGE);
    assert_int_equal(api_rc, DC_RANGE);
    /* the same rule's words; a scenario's message also says where in the file */
    assert_non_null(strstr(file_err.message, api_err.message));
    assert_non_null(strstr(file_err.field, "radius"));
    assert_string_equal(api_err.field, "/radius");
    /* at the bound, both build the same circle */
    dc_site_parts parts = {&(dc_point){36.37, 37.52}, NULL, 0, DC_SITE_RADIUS_MAX_M, 0, 1000000};
    dc_volume v;
    assert_int_equal(dc_site_build(geom, &parts, &v, &api_err), DC_OK);
    assert_true(fabs(v.radius_m - DC_SITE_RADIUS_MAX_M) < 1e-9);
    assert_true(v.altitude_lower <= DC_ALTITUDE_MIN_M && v.altitude_upper >= DC_ALTITUDE_MAX_M);
    dc_volume_clear(&v);
    parts.radius_m = 0; /* no protection around a point protects nothing */
    assert_int_equal(dc_site_build(geom, &parts, &v, &api_err), DC_RANGE);
    assert_string_equal(api_err.field, "radius");
    dc_geom_free(geom);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(examples_decode_alike),
        cmocka_unit_test(oversized_site_refused_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
