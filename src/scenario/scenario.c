/* scenario.c - read parties' intents, hazards and zones from a GeoJSON FeatureCollection */
#include "deconflict/scenario.h"

#include "deconflict/object_build.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Properties a feature may carry; anything else is refused so that a typo
 * ("altitude_uper") cannot silently mean "default". A zone built from Natural Earth says what it
 * is ("extent": land or airspace, "territorial_sea_nm", "method"): read, not used. */
static const char *const known_properties[] = {
    "id",       "kind",        "owner",          "priority",           "state",
    "version",  "admitted",    "altitude_lower", "altitude_upper",     "time_start",
    "time_end", "radius",      "waypoint_times", "waypoint_altitudes", "buffers",
    "name",     "description", "source",         "hazard_kind",        "label",
    "licence",  "extent",      "method",         "territorial_sea_nm", NULL};

struct reader {
    dc_geom *geom;
    dc_error *err;
    char path[96]; /* JSON pointer of the feature being read */
};

static dc_status fail(struct reader *r, dc_status status, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static dc_status fail(struct reader *r, dc_status status, const char *member, const char *fmt, ...)
{
    char field[96], message[256];
    snprintf(field, sizeof field, "%s%s%s", r->path, member[0] ? "/" : "", member);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return dc_error_set(r->err, status, field, DC_NO_POSITION, "%s: %s", field, message);
}

/* A failure from a library call: keep its message, prefix the place. */
static dc_status relay(struct reader *r, dc_status status, const char *member,
                       const dc_error *inner)
{
    char member_path[96];
    snprintf(member_path, sizeof member_path, "%s%s%s", member,
             inner->field[0] && member[0] ? "/" : "", inner->field);
    return fail(r, status, member_path, "%s", inner->message);
}

static dc_status get_time(struct reader *r, json_t *props, const char *name, dc_time_us *out)
{
    json_t *v = json_object_get(props, name);
    if (!json_is_string(v))
        return fail(r, DC_INVALID, name, "required, an RFC 3339 UTC time");
    dc_error inner;
    if (dc_time_parse(json_string_value(v), out, &inner) != DC_OK)
        return relay(r, DC_INVALID, name, &inner);
    return DC_OK;
}

static dc_status get_number(struct reader *r, json_t *props, const char *name, double fallback,
                            int required, double *out)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL && !required) {
        *out = fallback;
        return DC_OK;
    }
    if (!json_is_number(v))
        return fail(r, DC_INVALID, name, "required, a number");
    *out = json_number_value(v);
    return DC_OK;
}

/* A volume's altitude band and time window from a feature's properties. */
static dc_status get_bands(struct reader *r, json_t *props, double *lo, double *hi, dc_time_us *t0,
                           dc_time_us *t1)
{
    dc_status rc = get_number(r, props, "altitude_lower", DC_ALTITUDE_MIN_M, 1, lo);
    if (rc == DC_OK)
        rc = get_number(r, props, "altitude_upper", DC_ALTITUDE_MAX_M, 1, hi);
    if (rc == DC_OK)
        rc = get_time(r, props, "time_start", t0);
    if (rc == DC_OK)
        rc = get_time(r, props, "time_end", t1);
    return rc;
}

static dc_status get_position(struct reader *r, json_t *pos, const char *member, dc_point *out)
{
    if (!json_is_array(pos) || json_array_size(pos) < 2 || json_array_size(pos) > 3 ||
        !json_is_number(json_array_get(pos, 0)) || !json_is_number(json_array_get(pos, 1)))
        return fail(r, DC_INVALID, member, "a GeoJSON position [longitude, latitude]");
    dc_point p = {json_number_value(json_array_get(pos, 1)),
                  json_number_value(json_array_get(pos, 0))};
    if (dc_point_validate(p) != DC_OK)
        return fail(r, DC_RANGE, member, "[%g, %g] is not a WGS84 [longitude, latitude]", p.lon,
                    p.lat);
    *out = p;
    return DC_OK;
}

/* Growable volume list of one object. */
struct volumes {
    dc_volume *items;
    size_t count, capacity;
};

static dc_volume *next_volume(struct volumes *v)
{
    dc_volume *items = dc_grow(v->items, &v->capacity, v->count, sizeof *items, 4);
    if (items == NULL)
        return NULL;
    v->items = items;
    return &v->items[v->count];
}

static dc_status read_polygon(struct reader *r, json_t *rings, const char *member, json_t *props,
                              struct volumes *out)
{
    if (!json_is_array(rings) || json_array_size(rings) == 0)
        return fail(r, DC_INVALID, member, "a polygon needs its rings");
    if (json_array_size(rings) > 1)
        return fail(r, DC_INVALID, member,
                    "polygons with holes are not volumes: give the outer ring only");
    json_t *ring = json_array_get(rings, 0);
    size_t n = json_array_size(ring);
    if (!json_is_array(ring) || n > DC_VOLUME_MAX_VERTICES + 1)
        return fail(r, DC_RANGE, member, "a ring of at most %d positions", DC_VOLUME_MAX_VERTICES);
    double lo, hi;
    dc_time_us t0, t1;
    dc_status rc = get_bands(r, props, &lo, &hi, &t0, &t1);
    if (rc != DC_OK)
        return rc;
    dc_point *pts = dc_malloc((n ? n : 1) * sizeof *pts);
    if (pts == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < n && rc == DC_OK; i++) {
        char m[64];
        snprintf(m, sizeof m, "%s/0/%zu", member, i);
        rc = get_position(r, json_array_get(ring, i), m, &pts[i]);
    }
    dc_volume *v = rc == DC_OK ? next_volume(out) : NULL;
    if (rc == DC_OK && v == NULL)
        rc = DC_NOMEM;
    if (rc == DC_OK) {
        dc_error inner;
        rc = dc_volume_init_polygon(r->geom, pts, n, lo, hi, t0, t1, v, &inner);
        if (rc != DC_OK)
            rc = relay(r, rc,
                       strstr(inner.field, "altitude") || strstr(inner.field, "time") ? "properties"
                                                                                      : member,
                       &inner);
        else
            out->count++;
    }
    dc_free(pts);
    return rc;
}

static dc_status read_circle(struct reader *r, json_t *geometry, json_t *props, struct volumes *out)
{
    dc_point c;
    double radius, lo, hi;
    dc_time_us t0, t1;
    dc_status rc =
        get_position(r, json_object_get(geometry, "coordinates"), "geometry/coordinates", &c);
    if (rc == DC_OK)
        rc = get_number(r, props, "radius", 0, 1, &radius);
    if (rc == DC_OK)
        rc = get_bands(r, props, &lo, &hi, &t0, &t1);
    if (rc != DC_OK)
        return rc;
    dc_volume *v = next_volume(out);
    if (v == NULL)
        return DC_NOMEM;
    dc_error inner;
    rc = dc_volume_init_circle(c, radius, lo, hi, t0, t1, v, &inner);
    if (rc != DC_OK)
        return relay(r, rc, "properties", &inner);
    out->count++;
    return DC_OK;
}

static dc_status read_route(struct reader *r, json_t *geometry, json_t *props, struct volumes *out)
{
    json_t *coords = json_object_get(geometry, "coordinates");
    json_t *times = json_object_get(props, "waypoint_times");
    json_t *alts = json_object_get(props, "waypoint_altitudes");
    json_t *buffers = json_object_get(props, "buffers");
    size_t n = json_array_size(coords);
    if (n < 2)
        return fail(r, DC_INVALID, "geometry/coordinates", "a route needs at least 2 positions");
    if (!json_is_array(times) || json_array_size(times) != n)
        return fail(r, DC_INVALID, "properties/waypoint_times",
                    "one RFC 3339 time per position (%zu)", n);
    if (!json_is_array(alts) || json_array_size(alts) != n)
        return fail(r, DC_INVALID, "properties/waypoint_altitudes",
                    "one altitude in metres per position (%zu)", n);
    if (!json_is_object(buffers))
        return fail(r, DC_INVALID, "properties/buffers",
                    "required: {\"lateral\": m, \"vertical\": m, \"time\": s}");
    dc_route_buffers buf;
    double seconds;
    dc_status rc = get_number(r, buffers, "lateral", 0, 1, &buf.lateral_m);
    if (rc == DC_OK)
        rc = get_number(r, buffers, "vertical", 0, 1, &buf.vertical_m);
    if (rc == DC_OK)
        rc = get_number(r, buffers, "time", 0, 1, &seconds);
    if (rc != DC_OK)
        return rc;
    if (!isfinite(seconds) || seconds < 0 || seconds > 86400)
        return fail(r, DC_RANGE, "properties/buffers/time", "seconds within 0..86400");
    buf.time_us = (dc_time_us)(seconds * DC_US_PER_S);
    dc_waypoint *w = dc_calloc(n, sizeof *w);
    if (w == NULL)
        return DC_NOMEM;
    for (size_t i = 0; i < n && rc == DC_OK; i++) {
        char m[64];
        snprintf(m, sizeof m, "geometry/coordinates/%zu", i);
        rc = get_position(r, json_array_get(coords, i), m, &w[i].position);
        json_t *t = json_array_get(times, i), *a = json_array_get(alts, i);
        dc_error inner;
        snprintf(m, sizeof m, "properties/waypoint_times/%zu", i);
        if (rc == DC_OK && (!json_is_string(t) ||
                            dc_time_parse(json_string_value(t), &w[i].time, &inner) != DC_OK))
            rc = fail(r, DC_INVALID, m, "an RFC 3339 UTC time");
        snprintf(m, sizeof m, "properties/waypoint_altitudes/%zu", i);
        if (rc == DC_OK && !json_is_number(a))
            rc = fail(r, DC_INVALID, m, "an altitude in metres");
        if (rc == DC_OK)
            w[i].altitude_m = json_number_value(a);
    }
    if (rc == DC_OK && out->capacity < out->count + n - 1) {
        size_t cap = out->count + n - 1;
        dc_volume *items = dc_realloc(out->items, cap * sizeof *items);
        if (items == NULL) {
            rc = DC_NOMEM;
        } else {
            out->items = items;
            out->capacity = cap;
        }
    }
    if (rc == DC_OK) {
        dc_error inner;
        rc = dc_route_sweep(w, n, &buf, &out->items[out->count], &inner);
        if (rc != DC_OK)
            rc = relay(r, rc, "properties", &inner);
        else
            out->count += n - 1;
    }
    dc_free(w);
    return rc;
}

static dc_status read_geometry(struct reader *r, json_t *feature, json_t *props,
                               struct volumes *out)
{
    json_t *geometry = json_object_get(feature, "geometry");
    const char *type = json_string_value(json_object_get(geometry, "type"));
    if (type == NULL)
        return fail(r, DC_INVALID, "geometry", "a GeoJSON geometry is required");
    json_t *coords = json_object_get(geometry, "coordinates");
    if (strcmp(type, "Polygon") == 0)
        return read_polygon(r, coords, "geometry/coordinates", props, out);
    if (strcmp(type, "MultiPolygon") == 0) {
        for (size_t i = 0; i < json_array_size(coords); i++) {
            char m[64];
            snprintf(m, sizeof m, "geometry/coordinates/%zu", i);
            dc_status rc = read_polygon(r, json_array_get(coords, i), m, props, out);
            if (rc != DC_OK)
                return rc;
        }
        return json_array_size(coords)
                   ? DC_OK
                   : fail(r, DC_INVALID, "geometry/coordinates", "empty MultiPolygon");
    }
    if (strcmp(type, "Point") == 0)
        return read_circle(r, geometry, props, out);
    if (strcmp(type, "LineString") == 0)
        return read_route(r, geometry, props, out);
    return fail(r, DC_INVALID, "geometry/type",
                "'%s' is not a volume: use Polygon, MultiPolygon, "
                "Point (with radius) or LineString (a route)",
                type);
}

/* A site: one feature, a Point or a Polygon's outer ring, built by the rule the API's sites
 * follow (object_build.h): the same site refused or built the same whichever door it came in by. */
static dc_status read_site(struct reader *r, json_t *feature, json_t *props, struct volumes *out)
{
    if (out->count > 0)
        return fail(r, DC_INVALID, "properties/id", "a site is one feature");
    json_t *geometry = json_object_get(feature, "geometry");
    const char *type = json_string_value(json_object_get(geometry, "type"));
    json_t *coords = json_object_get(geometry, "coordinates");
    int point = type != NULL && strcmp(type, "Point") == 0;
    if (!point && (type == NULL || strcmp(type, "Polygon") != 0))
        return fail(r, DC_INVALID, "geometry/type", "a site is a Point or a Polygon");
    dc_site_parts parts = {NULL, NULL, 0, 0, 0, 0};
    dc_status rc = get_number(r, props, "radius", 0, 0, &parts.radius_m);
    if (rc == DC_OK)
        rc = get_time(r, props, "time_start", &parts.time_start);
    if (rc == DC_OK)
        rc = get_time(r, props, "time_end", &parts.time_end);
    dc_point c, *pts = NULL;
    json_t *ring = json_array_get(coords, 0);
    size_t n = json_array_size(ring);
    if (rc == DC_OK && point && (rc = get_position(r, coords, "geometry/coordinates", &c)) == DC_OK)
        parts.location = &c;
    else if (rc == DC_OK && !point) {
        if (json_array_size(coords) != 1 || n > DC_VOLUME_MAX_VERTICES + 1)
            return fail(r, DC_INVALID, "geometry/coordinates",
                        "one ring (no holes) of at most %d positions", DC_VOLUME_MAX_VERTICES);
        pts = dc_malloc((n ? n : 1) * sizeof *pts);
        rc = pts == NULL ? DC_NOMEM : DC_OK;
        for (size_t i = 0; rc == DC_OK && i < n; i++) {
            char m[64];
            snprintf(m, sizeof m, "geometry/coordinates/0/%zu", i);
            rc = get_position(r, json_array_get(ring, i), m, &pts[i]);
        }
        parts.outline = pts;
        parts.outline_count = n;
    }
    dc_volume *v = rc == DC_OK ? next_volume(out) : NULL;
    if (rc == DC_OK && v == NULL)
        rc = DC_NOMEM;
    dc_error inner;
    dc_error_clear(&inner);
    if (rc == DC_OK && (rc = dc_site_build(r->geom, &parts, v, &inner)) == DC_OK)
        out->count++;
    else if (rc != DC_OK && inner.status != DC_OK)
        rc = fail(r, rc,
                  strcmp(inner.field, "outline") == 0 || strcmp(inner.field, "location") == 0
                      ? "geometry/coordinates"
                  : strcmp(inner.field, "radius") == 0 ? "properties/radius"
                                                       : "properties",
                  "%s", inner.message);
    dc_free(pts);
    return rc;
}

static dc_status read_header(struct reader *r, json_t *props, dc_object *o,
                             char (**admitted)[DC_ID_MAX])
{
    const char *key;
    json_t *value;
    json_object_foreach(props, key, value)
    {
        int known = 0;
        for (int i = 0; known_properties[i] != NULL; i++)
            known |= strcmp(key, known_properties[i]) == 0;
        if (!known) {
            char m[96];
            snprintf(m, sizeof m, "properties/%.60s", key);
            return fail(r, DC_INVALID, m, "unknown property");
        }
    }
    const char *id = json_string_value(json_object_get(props, "id"));
    const char *owner = json_string_value(json_object_get(props, "owner"));
    const char *kind = json_string_value(json_object_get(props, "kind"));
    const char *state = json_string_value(json_object_get(props, "state"));
    if (id == NULL || id[0] == '\0' || strlen(id) >= DC_ID_MAX)
        return fail(r, DC_INVALID, "properties/id", "a non-empty string of fewer than %d bytes",
                    DC_ID_MAX);
    if (owner == NULL || owner[0] == '\0' || strlen(owner) >= DC_ID_MAX)
        return fail(r, DC_INVALID, "properties/owner", "the owning party, a non-empty string");
    memset(o, 0, sizeof *o);
    dc_copy_text(o->id, sizeof o->id, id);
    dc_copy_text(o->owner, sizeof o->owner, owner);
    if (kind == NULL || dc_kind_parse(kind, &o->kind) != DC_OK)
        return fail(r, DC_INVALID, "properties/kind", "one of intent, hazard, zone");
    o->state = DC_STATE_ACCEPTED;
    if (state != NULL && dc_state_parse(state, &o->state) != DC_OK)
        return fail(r, DC_INVALID, "properties/state",
                    "one of proposed, accepted, activated, ended, withdrawn, nonconforming");
    json_t *priority = json_object_get(props, "priority");
    dc_error rule;
    if (priority != NULL && (!json_is_integer(priority) ||
                             dc_priority_check(json_integer_value(priority), &rule) != DC_OK))
        return fail(r, DC_RANGE, "properties/priority", "an integer within %d..%d", DC_PRIORITY_MIN,
                    DC_PRIORITY_MAX);
    /* a zone in a scenario file is declared data (a state's airspace): its authority, without a
     * stated priority, is unlimited; the server gives a zone its owner's ceiling instead */
    o->priority = priority                  ? (int)json_integer_value(priority)
                  : o->kind == DC_KIND_ZONE ? DC_PRIORITY_MAX
                                            : 0;
    json_t *version = json_object_get(props, "version");
    o->version = json_is_integer(version) ? json_integer_value(version) : 1;
    json_t *adm = json_object_get(props, "admitted");
    if (adm != NULL) {
        if (o->kind != DC_KIND_ZONE || !json_is_array(adm))
            return fail(r, DC_INVALID, "properties/admitted", "a list of parties, for zones only");
        size_t n = json_array_size(adm);
        *admitted = dc_calloc(n ? n : 1, sizeof **admitted);
        if (*admitted == NULL)
            return DC_NOMEM;
        for (size_t i = 0; i < n; i++) {
            const char *party = json_string_value(json_array_get(adm, i));
            if (party == NULL || strlen(party) >= DC_ID_MAX) {
                char m[64];
                snprintf(m, sizeof m, "properties/admitted/%zu", i);
                return fail(r, DC_INVALID, m, "a party name");
            }
            snprintf((*admitted)[i], DC_ID_MAX, "%s", party);
        }
        o->admitted_count = n;
    }
    return DC_OK;
}

void dc_scenario_free(dc_scenario *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->object_count; i++) {
        dc_object *o = &s->objects[i];
        for (size_t k = 0; k < o->volume_count; k++)
            dc_volume_clear((dc_volume *)&o->volumes[k]);
        dc_free((void *)o->volumes);
        dc_free((void *)o->admitted);
    }
    dc_free(s->objects);
    dc_free(s->title);
    memset(s, 0, sizeof *s);
}

static dc_object *find_object(dc_scenario *s, const char *id)
{
    for (size_t i = 0; i < s->object_count; i++)
        if (strcmp(s->objects[i].id, id) == 0)
            return &s->objects[i];
    return NULL;
}

static dc_status read_feature(struct reader *r, json_t *feature, dc_scenario *s, size_t *capacity)
{
    json_t *props = json_object_get(feature, "properties");
    if (!json_is_object(feature) || !json_is_object(props))
        return fail(r, DC_INVALID, "properties", "each feature needs its properties");
    dc_object header;
    char(*admitted)[DC_ID_MAX] = NULL;
    dc_status rc = read_header(r, props, &header, &admitted);
    dc_object *o = rc == DC_OK ? find_object(s, header.id) : NULL;
    if (rc == DC_OK && o != NULL && (o->kind != header.kind || strcmp(o->owner, header.owner) != 0))
        rc = fail(r, DC_INVALID, "properties/id",
                  "'%s' was already given with another kind or owner", header.id);
    if (rc == DC_OK && o == NULL) {
        dc_object *objects = dc_grow(s->objects, capacity, s->object_count, sizeof *objects, 16);
        if (objects == NULL)
            rc = DC_NOMEM;
        else
            s->objects = objects;
        if (rc == DC_OK) {
            o = &s->objects[s->object_count++];
            *o = header;
            o->admitted = (const char(*)[DC_ID_MAX])admitted;
            admitted = NULL;
        }
    }
    dc_free(admitted);
    if (rc != DC_OK)
        return rc;
    struct volumes v = {(dc_volume *)o->volumes, o->volume_count, o->volume_count};
    rc = o->kind == DC_KIND_SITE ? read_site(r, feature, props, &v)
                                 : read_geometry(r, feature, props, &v);
    o->volumes = v.items;
    o->volume_count = v.count;
    return rc;
}

dc_status dc_scenario_parse(dc_geom *geom, const char *text, size_t length, dc_scenario *out,
                            dc_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return dc_error_set(err, DC_INVALID, "", (size_t)jerr.position,
                            "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                            jerr.text);
    struct reader r = {geom, err, ""};
    dc_status rc = DC_OK;
    json_t *features = json_object_get(root, "features");
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type == NULL || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features))
        rc = fail(&r, DC_INVALID, "type", "a scenario is a GeoJSON FeatureCollection");
    const char *title = json_string_value(json_object_get(root, "title"));
    if (rc == DC_OK && title != NULL) {
        size_t n = strlen(title);
        out->title = dc_malloc(n + 1);
        if (out->title == NULL)
            rc = DC_NOMEM;
        else
            memcpy(out->title, title, n + 1);
    }
    size_t capacity = 0;
    for (size_t i = 0; rc == DC_OK && i < json_array_size(features); i++) {
        snprintf(r.path, sizeof r.path, "/features/%zu", i);
        rc = read_feature(&r, json_array_get(features, i), out, &capacity);
    }
    for (size_t i = 0; rc == DC_OK && i < out->object_count; i++)
        if (out->objects[i].volume_count == 0)
            rc = dc_error_set(err, DC_INVALID, "/features", DC_NO_POSITION,
                              "object %s has no volume", out->objects[i].id);
    json_decref(root);
    if (rc == DC_NOMEM)
        dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc != DC_OK)
        dc_scenario_free(out);
    return rc;
}

dc_status dc_scenario_load(dc_geom *geom, const char *path, dc_scenario *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "cannot read %s", path);
    size_t cap = 1 << 16, len = 0;
    char *buf = dc_malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *grown = dc_realloc(buf, cap * 2);
            if (grown == NULL) {
                dc_free(buf);
                buf = NULL;
            } else {
                buf = grown;
                cap *= 2;
            }
        }
    }
    fclose(f);
    if (buf == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory reading %s", path);
    dc_status rc = dc_scenario_parse(geom, buf, len, out, err);
    dc_free(buf);
    return rc;
}

dc_status dc_scenario_load_zone_outlines(const char *path, dc_monitor *monitor, size_t *zones,
                                         dc_error *err)
{
    *zones = 0;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "%s: %s", path, jerr.text);
    json_t *features = json_object_get(root, "features");
    dc_status rc = json_is_array(features)
                       ? DC_OK
                       : dc_error_set(err, DC_INVALID, "/features", DC_NO_POSITION,
                                      "%s is not a FeatureCollection", path);
    for (size_t i = 0; rc == DC_OK && i < json_array_size(features); i++) {
        json_t *f = json_array_get(features, i), *props = json_object_get(f, "properties");
        if (strcmp(json_string_value(json_object_get(props, "kind"))
                       ? json_string_value(json_object_get(props, "kind"))
                       : "",
                   "zone") != 0)
            continue;
        const char *owner = json_string_value(json_object_get(props, "owner"));
        const char *id = json_string_value(json_object_get(props, "id"));
        json_t *geometry = json_object_get(f, "geometry");
        const char *type = json_string_value(json_object_get(geometry, "type"));
        json_t *coords = json_object_get(geometry, "coordinates");
        if (owner == NULL || id == NULL || type == NULL) {
            rc = dc_error_set(err, DC_INVALID, "/features", DC_NO_POSITION,
                              "feature %zu: a zone needs owner, id and geometry", i);
            break;
        }
        int multi = strcmp(type, "MultiPolygon") == 0;
        size_t polys = multi ? json_array_size(coords) : 1, nrings = 0;
        for (size_t p = 0; p < polys; p++)
            nrings += json_array_size(multi ? json_array_get(coords, p) : coords);
        dc_point **rings = dc_calloc(nrings + 1, sizeof *rings);
        size_t *sizes = dc_calloc(nrings + 1, sizeof *sizes);
        size_t at = 0;
        rc = rings && sizes ? DC_OK : DC_NOMEM;
        for (size_t p = 0; rc == DC_OK && p < polys; p++) {
            json_t *poly = multi ? json_array_get(coords, p) : coords;
            for (size_t r = 0; rc == DC_OK && r < json_array_size(poly); r++, at++) {
                json_t *ring = json_array_get(poly, r);
                size_t n = json_array_size(ring);
                if (n > 1)
                    n--; /* closing repeat */
                rings[at] = dc_calloc(n ? n : 1, sizeof **rings);
                if (rings[at] == NULL) {
                    rc = DC_NOMEM;
                    break;
                }
                sizes[at] = n;
                for (size_t k = 0; k < n; k++) {
                    json_t *pos = json_array_get(ring, k);
                    rings[at][k] = (dc_point){json_number_value(json_array_get(pos, 1)),
                                              json_number_value(json_array_get(pos, 0))};
                }
            }
        }
        json_t *adm = json_object_get(props, "admitted");
        size_t nadm = json_array_size(adm);
        char(*admitted)[DC_ID_MAX] = dc_calloc(nadm ? nadm : 1, sizeof *admitted);
        for (size_t k = 0; admitted && k < nadm; k++)
            snprintf(admitted[k], DC_ID_MAX, "%s",
                     json_string_value(json_array_get(adm, k))
                         ? json_string_value(json_array_get(adm, k))
                         : "");
        if (rc == DC_OK && admitted == NULL)
            rc = DC_NOMEM;
        if (rc == DC_OK &&
            dc_monitor_add_zone(monitor, owner, id, (const dc_point *const *)rings, sizes, at,
                                (const char(*)[DC_ID_MAX])admitted, nadm) != DC_OK)
            rc = dc_error_set(err, DC_INVALID, "/features", DC_NO_POSITION,
                              "feature %zu (%s): not a usable zone", i, id);
        else if (rc == DC_OK)
            (*zones)++;
        for (size_t k = 0; k < at; k++)
            dc_free(rings[k]);
        dc_free(rings);
        dc_free(sizes);
        dc_free(admitted);
    }
    json_decref(root);
    if (rc == DC_NOMEM)
        dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    return rc;
}
