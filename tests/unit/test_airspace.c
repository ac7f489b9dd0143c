/* test_airspace.c - national airspace from land: 12 NM of sea beyond the coast and not 14, a strait
 * narrower than 24 NM split at the median, neighbours' land never taken, a sea folded across the
 * antimeridian; and Natural Earth's world as `make borders` builds it (the Strait of Dover, the
 * sea off Rome) */
#include "deconflict/airspace.h"
#include "deconflict/geo.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NM DC_NAUTICAL_MILE_M

/* Whether p lies in a GeoJSON MultiPolygon (even-odd over every ring): independent of GEOS. */
static int inside(const json_t *geometry, dc_point p)
{
    const json_t *polygons = json_object_get(geometry, "coordinates");
    int in = 0;
    for (size_t i = 0; i < json_array_size(polygons); i++) {
        const json_t *rings = json_array_get(polygons, i);
        for (size_t r = 0; r < json_array_size(rings); r++) {
            const json_t *ring = json_array_get(rings, r);
            size_t n = json_array_size(ring);
            for (size_t k = 0, j = n - 1; k < n; j = k++) {
                double xk = json_number_value(json_array_get(json_array_get(ring, k), 0));
                double yk = json_number_value(json_array_get(json_array_get(ring, k), 1));
                double xj = json_number_value(json_array_get(json_array_get(ring, j), 0));
                double yj = json_number_value(json_array_get(json_array_get(ring, j), 1));
                if ((yk > p.lat) != (yj > p.lat) &&
                    p.lon < (xj - xk) * (p.lat - yk) / (yj - yk) + xk)
                    in = !in;
            }
        }
    }
    return in;
}

static const json_t *feature_named(const json_t *doc, const char *name)
{
    const json_t *features = json_object_get(doc, "features");
    for (size_t i = 0; i < json_array_size(features); i++) {
        const json_t *f = json_array_get(features, i);
        const char *n =
            json_string_value(json_object_get(json_object_get(f, "properties"), "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return f;
    }
    fail_msg("no feature %s", name);
    return NULL;
}

static int in_country(const json_t *doc, const char *name, dc_point p)
{
    return inside(json_object_get(feature_named(doc, name), "geometry"), p);
}

static dc_point moved(dc_point from, double azimuth_deg, double metres)
{
    dc_point to;
    assert_int_equal(dc_geodesic_direct(from, azimuth_deg, metres, &to, NULL), DC_OK);
    return to;
}

/* A rectangle of land as a feature. */
static void add_box(json_t *features, const char *name, double lon0, double lat0, double lon1,
                    double lat1)
{
    json_t *f =
        json_pack("{s:s,s:{s:s,s:s},s:{s:s,s:[[[ff][ff][ff][ff][ff]]]}}", "type", "Feature",
                  "properties", "name", name, "owner", name, "geometry", "type", "Polygon",
                  "coordinates", lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0);
    assert_non_null(f);
    json_array_append_new(features, f);
}

static json_t *build(json_t *land, const dc_airspace_options *o, dc_airspace_stats *stats)
{
    char *text = json_dumps(land, JSON_COMPACT), *out = NULL;
    dc_error err = {0};
    dc_status rc = dc_airspace_build(text, strlen(text), o, &out, stats, &err);
    free(text);
    if (rc != DC_OK)
        fail_msg("dc_airspace_build: %s %s", dc_strerror(rc), err.message);
    json_t *doc = json_loads(out, 0, NULL);
    dc_free(out);
    assert_non_null(doc);
    return doc;
}

/* Every ring of every feature built closed, of 4 positions or more, and bounding an area: what the
 * monitor's and the replay's readers take. Returns the features that say they are airspace. */
static size_t check_rings(const json_t *doc)
{
    const json_t *features = json_object_get(doc, "features");
    size_t airspace = 0;
    for (size_t i = 0; i < json_array_size(features); i++) {
        const json_t *f = json_array_get(features, i);
        const char *extent =
            json_string_value(json_object_get(json_object_get(f, "properties"), "extent"));
        airspace += extent != NULL && strcmp(extent, "airspace") == 0;
        const char *method =
            json_string_value(json_object_get(json_object_get(f, "properties"), "method"));
        if (method != NULL && strncmp(method, "land as read", 12) == 0)
            continue; /* the Vatican: Natural Earth's outline, as the land file has it */
        const json_t *polygons = json_object_get(json_object_get(f, "geometry"), "coordinates");
        for (size_t p = 0; p < json_array_size(polygons); p++)
            for (size_t r = 0; r < json_array_size(json_array_get(polygons, p)); r++) {
                const json_t *ring = json_array_get(json_array_get(polygons, p), r);
                size_t n = json_array_size(ring);
                assert_true(n >= 4);
                double area = 0;
                for (size_t k = 0; k + 1 < n; k++) {
                    const json_t *a = json_array_get(ring, k), *b = json_array_get(ring, k + 1);
                    area += json_number_value(json_array_get(a, 0)) *
                                json_number_value(json_array_get(b, 1)) -
                            json_number_value(json_array_get(b, 0)) *
                                json_number_value(json_array_get(a, 1));
                }
                if (area == 0)
                    fail_msg("feature %zu polygon %zu ring %zu bounds no area", i, p, r);
            }
    }
    return airspace;
}

/* Two countries 20 NM apart across a strait, one of them without sea, one astride the
 * antimeridian. */
#define STRAIT_M (20 * NM)
static void test_synthetic(void **state)
{
    (void)state;
    /* west's east coast at 9.8 E; east's west coast 20 NM further east along 40 N */
    dc_point west_coast = {40.0, 9.8};
    dc_point east_coast = moved(west_coast, 90, STRAIT_M);
    json_t *features = json_array();
    add_box(features, "West", 9.0, 39.5, 9.8, 40.5);
    add_box(features, "East", east_coast.lon, 39.5, east_coast.lon + 1, 40.5);
    add_box(features, "Polar", 20.0, 39.5, 20.5, 40.0);
    add_box(features, "Dateline", 179.7, -17.0, 180.0, -16.5);
    json_t *land = json_pack("{s:s,s:o}", "type", "FeatureCollection", "features", features);
    static const char *const no_sea[] = {"Polar", NULL};
    dc_airspace_options o;
    dc_airspace_defaults(&o);
    o.no_sea = no_sea;
    dc_airspace_stats stats;
    json_t *doc = build(land, &o, &stats);
    assert_int_equal(check_rings(doc), 3);
    assert_int_equal(stats.countries, 4);
    assert_int_equal(stats.with_sea, 3);
    assert_int_equal(stats.median_pairs, 1);

    /* the open sea: 10 NM off is inside, 14 NM off is not, west and north */
    dc_point open_coast = {40.0, 9.0}, north_coast = {40.5, 9.4};
    assert_true(in_country(doc, "West", moved(open_coast, 270, 10 * NM)));
    assert_false(in_country(doc, "West", moved(open_coast, 270, 14 * NM)));
    assert_true(in_country(doc, "West", moved(north_coast, 0, 10 * NM)));
    assert_false(in_country(doc, "West", moved(north_coast, 0, 14 * NM)));
    assert_true(in_country(doc, "West", moved(north_coast, 0, 11.8 * NM))); /* arcs: 107 m */
    /* the strait: split at the median (10 NM from each coast), to within half a nautical mile */
    for (double lat = 39.6; lat <= 40.4; lat += 0.2) {
        dc_point coast = {lat, 9.8};
        dc_point west_side = moved(coast, 90, 9.5 * NM), east_side = moved(coast, 90, 10.5 * NM);
        assert_true(in_country(doc, "West", west_side));
        assert_false(in_country(doc, "East", west_side));
        assert_true(in_country(doc, "East", east_side));
        assert_false(in_country(doc, "West", east_side));
    }
    /* land: its own, never the neighbour's */
    assert_true(in_country(doc, "West", (dc_point){40.0, 9.4}));
    assert_false(in_country(doc, "West", (dc_point){40.0, east_coast.lon + 0.01}));
    assert_true(in_country(doc, "East", (dc_point){40.0, east_coast.lon + 0.01}));
    /* no sea: the land alone, and said so */
    const json_t *polar = json_object_get(feature_named(doc, "Polar"), "properties");
    assert_string_equal(json_string_value(json_object_get(polar, "extent")), "land");
    assert_false(in_country(doc, "Polar", moved((dc_point){39.75, 20.5}, 90, 1 * NM)));
    const json_t *west = json_object_get(feature_named(doc, "West"), "properties");
    assert_string_equal(json_string_value(json_object_get(west, "extent")), "airspace");
    assert_true(json_number_value(json_object_get(west, "territorial_sea_nm")) == 12);
    /* across the antimeridian: 10 NM east of 180 is -179.8 or so, folded into range */
    dc_point beyond = moved((dc_point){-16.75, 180.0}, 90, 10 * NM);
    assert_true(beyond.lon < -179.5);
    assert_true(in_country(doc, "Dateline", beyond));
    assert_false(in_country(doc, "Dateline", moved((dc_point){-16.75, 180.0}, 90, 14 * NM)));
    json_decref(doc);
    json_decref(land);
}

static void test_refused(void **state)
{
    (void)state;
    char *out = NULL;
    dc_error err = {0};
    const char *bad =
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1]]]}}]}";
    assert_int_equal(dc_airspace_build(bad, strlen(bad), NULL, &out, NULL, &err), DC_INVALID);
    assert_string_equal(err.message, "/features/0/geometry is not a polygon of longitudes and "
                                     "latitudes (closed rings of at least 4 positions)");
    assert_null(out);
    assert_int_equal(dc_airspace_build("[1]", 3, NULL, &out, NULL, &err), DC_INVALID);
    dc_airspace_options o;
    dc_airspace_defaults(&o);
    o.territorial_sea_nm = 25;
    assert_int_equal(dc_airspace_build("{}", 2, &o, &out, NULL, &err), DC_RANGE);
    assert_null(out);
}

/* Natural Earth's world as `make borders` builds it (build/borders/world.geojson). */
static void test_world(void **state)
{
    (void)state;
    const char *source = getenv("DC_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/build/borders/world.geojson", source ? source : ".");
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        fail_msg("%s: %s (make borders builds it)", path, jerr.text);
    /* every country but Antarctica (no sea) and the Vatican (no area at this scale) */
    assert_int_equal(check_rings(doc), json_array_size(json_object_get(doc, "features")) - 2);
    /* the Strait of Dover, 33 km from Dover to Cap Gris-Nez: England's side, then France's */
    dc_point dover = {51.114, 1.325}, gris_nez = {50.870, 1.583};
    double apart = 0, azimuth = 0;
    assert_int_equal(dc_geodesic_inverse(dover, gris_nez, &apart, &azimuth), DC_OK);
    int uk = 0, fr = 0, switched = 0;
    for (int k = 1; k < 20; k++) {
        dc_point p = moved(dover, azimuth, apart * k / 20);
        int in_uk = in_country(doc, "United Kingdom", p), in_fr = in_country(doc, "France", p);
        assert_false(in_uk && in_fr);
        assert_true(in_uk || in_fr); /* 18 NM wide: all of it someone's */
        uk += in_uk;
        fr += in_fr;
        if (in_fr && !switched) {
            switched = k;
            assert_true(k >= 8 && k <= 12); /* the median, about half way */
        }
        if (switched)
            assert_true(in_fr);
    }
    assert_true(uk >= 7 && fr >= 7);
    /* an airliner 5 NM off Fiumicino is over Italy; 30 NM off it is not */
    dc_point fiumicino = {41.77, 12.21};
    assert_true(in_country(doc, "Italy", moved(fiumicino, 250, 5 * NM)));
    assert_false(in_country(doc, "Italy", moved(fiumicino, 250, 30 * NM)));
    const json_t *italy = json_object_get(feature_named(doc, "Italy"), "properties");
    assert_string_equal(json_string_value(json_object_get(italy, "extent")), "airspace");
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_world),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
