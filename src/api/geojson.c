/* geojson.c - objects and tracks as GeoJSON (RFC 7946), for clients that ask with
 * `Accept: application/geo+json`: what a GIS or a map library reads without knowing this API.
 * It rewrites the JSON answer the handlers built, so the two representations never disagree on
 * what a party may see: the GeoJSON holds exactly the members of the JSON, and a geometry. */
#include "api_internal.h"
#include "deconflict/geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A circle is drawn as this many geodesic points: 5.6 degrees apart, so the polygon lies within
 * 0.12 % of the radius inside the circle (a 1 km circle: 1.2 m). */
#define CIRCLE_POINTS 64

static json_t *position(double lat, double lng)
{
    /* 1e-7 degree is 1 cm: GeoJSON readers need no more */
    return json_pack("[f,f]", round(lng * 1e7) / 1e7, round(lat * 1e7) / 1e7);
}

/* The outline of a volume as served (outline_polygon or outline_circle) as one polygon's
 * coordinates (a closed, counter-clockwise ring, RFC 7946 3.1.6); NULL if it holds none. */
static json_t *outline_ring(json_t *volume)
{
    json_t *ring = json_array();
    json_t *circle = json_object_get(volume, "outline_circle");
    json_t *vertices = json_object_get(json_object_get(volume, "outline_polygon"), "vertices");
    if (circle != NULL) {
        json_t *c = json_object_get(circle, "center");
        dc_point centre = {json_number_value(json_object_get(c, "lat")),
                           json_number_value(json_object_get(c, "lng"))};
        double r = json_number_value(json_object_get(circle, "radius"));
        for (int i = 0; i <= CIRCLE_POINTS; i++) {
            dc_point p;
            /* clockwise azimuths from north, taken backwards: counter-clockwise on the map */
            double azimuth = 360.0 - 360.0 * (i % CIRCLE_POINTS) / CIRCLE_POINTS;
            if (dc_geodesic_direct(centre, azimuth, r, &p, NULL) != DC_OK) {
                json_decref(ring);
                return NULL;
            }
            json_array_append_new(ring, position(p.lat, p.lon));
        }
    } else if (json_array_size(vertices) >= 3) {
        size_t n = json_array_size(vertices);
        for (size_t i = 0; i <= n; i++) {
            json_t *v = json_array_get(vertices, i % n);
            json_array_append_new(ring, position(json_number_value(json_object_get(v, "lat")),
                                                 json_number_value(json_object_get(v, "lng"))));
        }
    } else {
        json_decref(ring);
        return NULL;
    }
    return json_pack("[o]", ring);
}

/* An object as a Feature: a MultiPolygon with one polygon per volume, in the volumes' order, and
 * every member of the object as properties (the volumes' altitudes and times among them). */
static json_t *object_feature(json_t *object)
{
    json_t *polygons = json_array();
    json_t *volumes = json_object_get(object, "volumes");
    size_t i;
    json_t *v;
    json_array_foreach(volumes, i, v)
    {
        json_t *polygon = outline_ring(v);
        if (polygon != NULL)
            json_array_append_new(polygons, polygon);
    }
    json_t *f = json_pack("{s:s,s:{s:s,s:o},s:O}", "type", "Feature", "geometry", "type",
                          "MultiPolygon", "coordinates", polygons, "properties", object);
    json_t *id = json_object_get(object, "id");
    if (json_is_string(id))
        json_object_set(f, "id", id);
    return f;
}

/* A track as a Feature: a Point (with its altitude, RFC 7946 3.1.1) and its members. */
static json_t *track_feature(json_t *track)
{
    json_t *p = json_object_get(track, "position");
    json_t *point = position(json_number_value(json_object_get(p, "lat")),
                             json_number_value(json_object_get(p, "lng")));
    json_t *alt = json_object_get(track, "altitude_m");
    if (json_is_number(alt))
        json_array_append_new(point, json_real(json_number_value(alt)));
    json_t *f = json_pack("{s:s,s:{s:s,s:o},s:O}", "type", "Feature", "geometry", "type", "Point",
                          "coordinates", point, "properties", track);
    json_t *id = json_object_get(track, "aircraft");
    if (json_is_string(id))
        json_object_set(f, "id", id);
    return f;
}

void dc__api_as_geojson(int tracks, dc_api_response *res)
{
    if (res->status != 200 && res->status != 201)
        return;
    json_t *(*feature)(json_t *) = tracks ? track_feature : object_feature;
    json_t *items = json_object_get(res->json, "items");
    json_t *out;
    if (json_is_array(items)) {
        json_t *features = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item) json_array_append_new(features, feature(item));
        out = json_pack("{s:s,s:o}", "type", "FeatureCollection", "features", features);
        /* the page's link is a foreign member (RFC 7946 6.1): the next page, in the same form */
        json_t *next = json_object_get(res->json, "next");
        if (next != NULL)
            json_object_set(out, "next", next);
    } else {
        out = feature(res->json);
    }
    if (out == NULL)
        return;
    json_decref(res->json);
    res->json = out;
    res->content_type = "application/geo+json";
}

/* One media range of an Accept header: its type and q (1 when absent). */
static int media_range(const char *text, size_t len, char *type, size_t size, double *q)
{
    size_t t = strcspn(text, ";");
    if (t > len)
        t = len;
    while (t > 0 && (text[t - 1] == ' ' || text[t - 1] == '\t'))
        t--;
    if (t == 0 || t >= size)
        return -1;
    memcpy(type, text, t);
    type[t] = '\0';
    *q = 1.0;
    const char *qp = text + t;
    while ((qp = strstr(qp, "q=")) != NULL && qp < text + len) {
        if (qp[-1] == ';' || qp[-1] == ' ') {
            *q = strtod(qp + 2, NULL);
            break;
        }
        qp += 2;
    }
    return 0;
}

int dc__api_negotiate(const dc_api_request *req, int has_geojson, dc_api_response *res)
{
    if (req->accept == NULL || req->accept[0] == '\0')
        return 0;
    /* q of each type as named, and of the wildcards that stand for both */
    double json_q = -1, geo_q = -1, any_q = -1;
    for (const char *p = req->accept; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        char type[96];
        double q;
        if (len > 0 && media_range(p, len, type, sizeof type, &q) == 0) {
            double *slot = strcasecmp(type, "application/json") == 0       ? &json_q
                           : strcasecmp(type, "application/geo+json") == 0 ? &geo_q
                           : strcmp(type, "*/*") == 0 || strcasecmp(type, "application/*") == 0
                               ? &any_q
                               : NULL;
            if (slot != NULL && q > *slot)
                *slot = q;
        }
        p += len;
    }
    double json = json_q >= 0 ? json_q : any_q, geo = geo_q >= 0 ? geo_q : any_q;
    /* GeoJSON when named and preferred; at equal q, when JSON comes only through a wildcard */
    if (has_geojson && geo_q > 0 && (geo > json || (geo == json && json_q < 0)))
        return 1;
    if (json > 0)
        return 0;
    dc_api_problem(res, 406, DC_UNSUPPORTED, NULL,
                   has_geojson ? "this route answers application/json or application/geo+json"
                               : "this route answers application/json");
    return -1;
}
