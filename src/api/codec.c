/* codec.c - JSON requests into objects (with coordinate read-backs) and objects into JSON */
#include "api_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct decoder {
    dc_geom *geom;
    dc_error *err;
    json_t *readbacks; /* NULL: no read-backs (position reports need none) */
};

/* The JSON pointer of `member` under `base` (formatted for every field of every report, so no
 * snprintf: it was a sixth of the time of a batch of position reports). Truncates to fit. */
static void pointer_to(char *out, size_t size, const char *base, const char *member)
{
    size_t b = strlen(base), m = strlen(member);
    if (b > size - 1)
        b = size - 1;
    memcpy(out, base, b);
    size_t room = size - 1 - b;
    if (room > 0) {
        out[b++] = '/';
        room--;
    }
    if (m > room)
        m = room;
    memcpy(out + b, member, m);
    out[b + m] = '\0';
}
static dc_status fail(struct decoder *d, dc_status status, const char *pointer, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static dc_status fail(struct decoder *d, dc_status status, const char *pointer, const char *fmt,
                      ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return dc_error_set(d->err, status, pointer, DC_NO_POSITION, "%s", message);
}

/* Members not in `allowed` are refused: a misspelt field must not quietly
 * become a default. */
static dc_status only_members(struct decoder *d, json_t *obj, const char *pointer,
                              const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        int known = 0;
        for (int i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            char p[160];
            snprintf(p, sizeof p, "%s/%.60s", pointer, key);
            return fail(d, DC_INVALID, p, "unknown field '%.60s'", key);
        }
    }
    return DC_OK;
}

/* An object with only the `allowed` members; anything else is refused
 * with the form expected (`shape`). */
static dc_status members_of(struct decoder *d, json_t *v, const char *pointer, const char *shape,
                            const char *const *allowed)
{
    if (!json_is_object(v))
        return fail(d, DC_INVALID, pointer, "%s", shape);
    return only_members(d, v, pointer, allowed);
}

/* A coordinate: a string in any notation dc_coord_parse accepts, or
 * {"lat": .., "lng": ..} in decimal degrees. Each is read back. */
static dc_status decode_point(struct decoder *d, json_t *v, const char *pointer, dc_point *out)
{
    dc_readback rb;
    dc_point p;
    const char *input;
    char numeric[64];
    if (json_is_string(v)) {
        input = json_string_value(v);
        dc_error inner;
        if (d->readbacks == NULL) {
            if (dc_coord_parse(input, out, NULL, &inner) != DC_OK)
                return fail(d, inner.status, pointer, "%s", inner.message);
            return DC_OK;
        }
        if (dc_coord_readback(input, &p, &rb, &inner) != DC_OK)
            return fail(d, inner.status, pointer, "%s", inner.message);
    } else if (json_is_object(v)) {
        static const char *const fields[] = {"lat", "lng", NULL};
        dc_status rc = only_members(d, v, pointer, fields);
        if (rc != DC_OK)
            return rc;
        json_t *lat = json_object_get(v, "lat"), *lng = json_object_get(v, "lng");
        if (!json_is_number(lat) || !json_is_number(lng))
            return fail(
                d, DC_INVALID, pointer,
                "a position is {\"lat\": degrees, \"lng\": degrees} or a coordinate string");
        p = (dc_point){json_number_value(lat), json_number_value(lng)};
        if (dc_point_validate(p) != DC_OK)
            return fail(d, DC_RANGE, pointer,
                        "latitude %.7g / longitude %.7g is not a WGS84 position", p.lat, p.lon);
        if (d->readbacks == NULL) {
            *out = p;
            return DC_OK;
        }
        dc_coord_info info = {DC_NOTATION_DD, DC_HEMISPHERE_SIGNED, 0, 0, 0, 0};
        dc_coord_readback_of(p, &info, &rb, NULL);
        snprintf(numeric, sizeof numeric, "%.9g, %.9g", p.lat, p.lon);
        input = numeric;
    } else {
        return fail(d, DC_INVALID, pointer,
                    "a position is a coordinate string or {\"lat\", \"lng\"}");
    }
    json_array_append_new(d->readbacks,
                          json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "pointer", pointer, "input", input,
                                    "notation", dc_notation_name(rb.notation), "readback", rb.own,
                                    "dd", rb.dd, "mgrs", rb.mgrs));
    *out = p;
    return DC_OK;
}

/* A length in metres: a number, or {"value": n, "units": "M"|"FT",
 * "reference": "W84"} as ASTM F3548 writes altitudes. Feet are converted
 * here, at the edge, and nowhere else. */
static dc_status decode_metres(struct decoder *d, json_t *v, const char *pointer, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return DC_OK;
    }
    static const char *const fields[] = {"value", "units", "reference", NULL};
    dc_status rc = members_of(
        d, v, pointer, "a number of metres, or {\"value\", \"units\": \"M\"|\"FT\"}", fields);
    if (rc != DC_OK)
        return rc;
    json_t *value = json_object_get(v, "value");
    const char *units = json_string_value(json_object_get(v, "units"));
    const char *ref = json_string_value(json_object_get(v, "reference"));
    if (!json_is_number(value))
        return fail(d, DC_INVALID, pointer, "\"value\" must be a number");
    if (ref != NULL && strcmp(ref, "W84") != 0)
        return fail(d, DC_INVALID, pointer,
                    "only the WGS84 ellipsoid (\"W84\") is a reference here");
    double x = json_number_value(value);
    if (units == NULL || strcmp(units, "M") == 0)
        *out = x;
    else if (strcmp(units, "FT") == 0)
        *out = x * 0.3048;
    else
        return fail(d, DC_INVALID, pointer, "units must be \"M\" or \"FT\"");
    return DC_OK;
}

static dc_status decode_time(struct decoder *d, json_t *v, const char *pointer, dc_time_us *out)
{
    const char *text = json_string_value(v);
    if (json_is_object(v)) {
        static const char *const fields[] = {"value", "format", NULL};
        dc_status rc = only_members(d, v, pointer, fields);
        if (rc != DC_OK)
            return rc;
        text = json_string_value(json_object_get(v, "value"));
        const char *format = json_string_value(json_object_get(v, "format"));
        if (json_object_get(v, "format") != NULL && (format == NULL || strcmp(format, "RFC3339")))
            return fail(d, DC_INVALID, pointer, "the only time format is \"RFC3339\"");
    }
    if (text == NULL)
        return fail(d, DC_INVALID, pointer, "an RFC 3339 UTC time");
    dc_error inner;
    if (dc_time_parse(text, out, &inner) != DC_OK)
        return fail(d, inner.status, pointer, "%s", inner.message);
    return DC_OK;
}

/* The outline of a volume: the volume itself in the flat form, its "volume" member in ASTM
 * F3548's Volume4D ({"volume": Volume3D, "time_start", "time_end"}), where an absent outline may
 * also be written null. NULL for none, with *shape_pointer set either way. */
static json_t *volume_shape(json_t *v, const char *pointer, char *shape_pointer, size_t size)
{
    json_t *inner = json_object_get(v, "volume");
    if (inner == NULL) {
        dc_copy_text(shape_pointer, size, pointer);
        return v;
    }
    pointer_to(shape_pointer, size, pointer, "volume");
    return inner;
}

static json_t *outline_of(json_t *shape, const char *name)
{
    json_t *o = json_object_get(shape, name);
    return json_is_null(o) ? NULL : o;
}

static dc_status decode_volume(struct decoder *d, json_t *v, const char *pointer, dc_volume *out)
{
    static const char *const flat[] = {"outline_polygon",
                                       "outline_circle",
                                       "altitude_lower",
                                       "altitude_upper",
                                       "time_start",
                                       "time_end",
                                       NULL};
    static const char *const volume4d[] = {"volume", "time_start", "time_end", NULL};
    static const char *const volume3d[] = {"outline_polygon", "outline_circle", "altitude_lower",
                                           "altitude_upper", NULL};
    char p[192], sp[192];
    int nested = json_is_object(v) && json_object_get(v, "volume") != NULL;
    dc_status rc = members_of(d, v, pointer, "a volume is an object", nested ? volume4d : flat);
    if (rc != DC_OK)
        return rc;
    json_t *shape = volume_shape(v, pointer, sp, sizeof sp);
    if (nested && (rc = members_of(d, shape, sp,
                                   "a Volume3D: {\"outline_polygon\" or \"outline_circle\", "
                                   "\"altitude_lower\", \"altitude_upper\"}",
                                   volume3d)) != DC_OK)
        return rc;
    double lo, hi;
    dc_time_us t0, t1;
    static const char *const bands[] = {"altitude_lower", "altitude_upper", "time_start",
                                        "time_end"};
    for (int i = 0; i < 4 && rc == DC_OK; i++) {
        json_t *member = json_object_get(i < 2 ? shape : v, bands[i]);
        pointer_to(p, sizeof p, i < 2 ? sp : pointer, bands[i]);
        if (member == NULL)
            return fail(d, DC_INVALID, p, "required");
        rc = i == 0   ? decode_metres(d, member, p, &lo)
             : i == 1 ? decode_metres(d, member, p, &hi)
             : i == 2 ? decode_time(d, member, p, &t0)
                      : decode_time(d, member, p, &t1);
    }
    if (rc != DC_OK)
        return rc;
    json_t *poly = nested ? outline_of(shape, "outline_polygon")
                          : json_object_get(v, "outline_polygon"),
           *circle =
               nested ? outline_of(shape, "outline_circle") : json_object_get(v, "outline_circle");
    const char *time_pointer = pointer;
    pointer = sp; /* the outline's and altitudes' members are the shape's */
    if ((poly == NULL) == (circle == NULL))
        return fail(d, DC_INVALID, pointer, "exactly one of outline_polygon and outline_circle");
    dc_error inner;
    dc_error_clear(&inner);
    if (circle != NULL) {
        pointer_to(p, sizeof p, pointer, "outline_circle");
        static const char *const cf[] = {"center", "radius", NULL};
        if ((rc = members_of(d, circle, p, "{\"center\": position, \"radius\": metres}", cf)) !=
            DC_OK)
            return rc;
        dc_point c;
        double r;
        char pc[200], pr[200];
        pointer_to(pc, sizeof pc, p, "center");
        pointer_to(pr, sizeof pr, p, "radius");
        if (json_object_get(circle, "center") == NULL || json_object_get(circle, "radius") == NULL)
            return fail(d, DC_INVALID, p, "center and radius are required");
        if ((rc = decode_point(d, json_object_get(circle, "center"), pc, &c)) != DC_OK ||
            (rc = decode_metres(d, json_object_get(circle, "radius"), pr, &r)) != DC_OK)
            return rc;
        rc = dc_volume_init_circle(c, r, lo, hi, t0, t1, out, &inner);
    } else {
        pointer_to(p, sizeof p, pointer, "outline_polygon");
        static const char *const pf[] = {"vertices", NULL};
        if ((rc = members_of(d, poly, p, "{\"vertices\": [position, ...]}", pf)) != DC_OK)
            return rc;
        json_t *vertices = json_object_get(poly, "vertices");
        size_t n = json_array_size(vertices);
        pointer_to(p, sizeof p, pointer, "outline_polygon/vertices");
        if (!json_is_array(vertices))
            return fail(d, DC_INVALID, p, "a list of positions");
        if (n > DC_VOLUME_MAX_VERTICES + 1)
            return fail(d, DC_RANGE, p, "%zu vertices; at most %d", n, DC_VOLUME_MAX_VERTICES);
        dc_point *pts = dc_malloc((n ? n : 1) * sizeof *pts);
        if (pts == NULL)
            return DC_NOMEM;
        for (size_t i = 0; i < n && rc == DC_OK; i++) {
            char pv[220];
            snprintf(pv, sizeof pv, "%s/%zu", p, i);
            rc = decode_point(d, json_array_get(vertices, i), pv, &pts[i]);
        }
        if (rc != DC_OK) {
            dc_free(pts);
            return rc; /* a vertex failed: already reported with its pointer */
        }
        rc = dc_volume_init_polygon(d->geom, pts, n, lo, hi, t0, t1, out, &inner);
        dc_free(pts);
    }
    if (rc != DC_OK) {
        /* map the library's field onto the request's member */
        const char *f = inner.field;
        if (strncmp(f, "time", 4) == 0)
            pointer_to(p, sizeof p, time_pointer, f);
        else if (strncmp(f, "altitude", 8) == 0)
            pointer_to(p, sizeof p, pointer, f);
        else if (strncmp(f, "outline_polygon/vertices", 24) == 0)
            pointer_to(p, sizeof p, pointer, "outline_polygon/vertices");
        else
            pointer_to(p, sizeof p, pointer, f[0] ? f : "");
        return fail(d, rc, p, "%s", inner.message);
    }
    return DC_OK;
}

static dc_status decode_route(struct decoder *d, json_t *route, dc_volume **vols, size_t *count,
                              json_t **normalised)
{
    static const char *const fields[] = {"waypoints", "buffers", NULL};
    dc_status rc =
        members_of(d, route, "/route", "{\"waypoints\": [...], \"buffers\": {...}}", fields);
    if (rc != DC_OK)
        return rc;
    json_t *wps = json_object_get(route, "waypoints"), *buffers = json_object_get(route, "buffers");
    size_t n = json_array_size(wps);
    if (!json_is_array(wps) || n < 2)
        return fail(d, DC_INVALID, "/route/waypoints", "at least 2 waypoints");
    if (n > DC_API_MAX_WAYPOINTS)
        return fail(d, DC_LIMIT, "/route/waypoints", "%zu waypoints; at most %d", n,
                    DC_API_MAX_WAYPOINTS);
    static const char *const bf[] = {"lateral", "vertical", "time", NULL};
    if ((rc = members_of(d, buffers, "/route/buffers",
                         "{\"lateral\": m, \"vertical\": m, \"time\": s}", bf)) != DC_OK)
        return rc;
    dc_route_buffers buf = {0, 0, 0};
    double seconds = 0;
    json_t *b;
    if ((b = json_object_get(buffers, "lateral")) == NULL ||
        (rc = decode_metres(d, b, "/route/buffers/lateral", &buf.lateral_m)) != DC_OK)
        return rc ? rc : fail(d, DC_INVALID, "/route/buffers/lateral", "required");
    if ((b = json_object_get(buffers, "vertical")) == NULL ||
        (rc = decode_metres(d, b, "/route/buffers/vertical", &buf.vertical_m)) != DC_OK)
        return rc ? rc : fail(d, DC_INVALID, "/route/buffers/vertical", "required");
    b = json_object_get(buffers, "time");
    if (!json_is_number(b))
        return fail(d, DC_INVALID, "/route/buffers/time", "seconds, required");
    seconds = json_number_value(b);
    if (!isfinite(seconds) || seconds < 0 || seconds > 86400)
        return fail(d, DC_RANGE, "/route/buffers/time", "seconds within 0..86400");
    buf.time_us = (dc_time_us)(seconds * DC_US_PER_S);
    dc_waypoint *w = dc_calloc(n, sizeof *w);
    if (w == NULL)
        return DC_NOMEM;
    json_t *norm_wps = json_array();
    static const char *const wf[] = {"position", "altitude", "time", NULL};
    for (size_t i = 0; i < n && rc == DC_OK; i++) {
        char p[96], q[112];
        json_t *wp = json_array_get(wps, i);
        snprintf(p, sizeof p, "/route/waypoints/%zu", i);
        if ((rc = members_of(d, wp, p, "{\"position\", \"altitude\", \"time\"}", wf)) != DC_OK)
            break;
        json_t *pos = json_object_get(wp, "position"), *alt = json_object_get(wp, "altitude"),
               *t = json_object_get(wp, "time");
        if (pos == NULL || alt == NULL || t == NULL) {
            rc = fail(d, DC_INVALID, p, "position, altitude and time are required");
            break;
        }
        pointer_to(q, sizeof q, p, "position");
        if ((rc = decode_point(d, pos, q, &w[i].position)) != DC_OK)
            break;
        pointer_to(q, sizeof q, p, "altitude");
        if ((rc = decode_metres(d, alt, q, &w[i].altitude_m)) != DC_OK)
            break;
        pointer_to(q, sizeof q, p, "time");
        if ((rc = decode_time(d, t, q, &w[i].time)) != DC_OK)
            break;
        char ts[32];
        if ((rc = dc_time_format(w[i].time, ts, sizeof ts)) != DC_OK) {
            rc = fail(d, rc, q, "a time this server cannot write back");
            break;
        }
        json_array_append_new(norm_wps, json_pack("{s:{s:f,s:f},s:f,s:s}", "position", "lat",
                                                  w[i].position.lat, "lng", w[i].position.lon,
                                                  "altitude", w[i].altitude_m, "time", ts));
    }
    if (rc == DC_OK) {
        *vols = dc_calloc(n - 1, sizeof **vols);
        if (*vols == NULL)
            rc = DC_NOMEM;
    }
    if (rc == DC_OK) {
        dc_error inner;
        rc = dc_route_sweep(w, n, &buf, *vols, &inner);
        if (rc != DC_OK) {
            dc_free(*vols);
            *vols = NULL;
            char p[96];
            snprintf(p, sizeof p, "/route/%s", inner.field);
            rc = fail(d, rc, p, "%s", inner.message);
        } else {
            *count = n - 1;
            *normalised =
                json_pack("{s:{s:o,s:{s:f,s:f,s:f}}}", "route", "waypoints", norm_wps, "buffers",
                          "lateral", buf.lateral_m, "vertical", buf.vertical_m, "time", seconds);
            norm_wps = NULL;
        }
    }
    json_decref(norm_wps);
    dc_free(w);
    return rc;
}

void dc_api_submission_clear(dc_submission *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->object.volume_count; i++)
        dc_volume_clear((dc_volume *)&s->object.volumes[i]);
    dc_free((void *)s->object.volumes);
    dc_free((void *)s->object.admitted);
    dc_free(s->accept_keys);
    json_decref(s->route);
    json_decref(s->readbacks);
    memset(s, 0, sizeof *s);
}

/* A protected site: a point or a polygon, a protection radius and a
 * validity window; its volume is the protected area at every altitude. */
/* "version": the version the writer last saw, for optimistic concurrency. */
static dc_status decode_version(struct decoder *d, json_t *root, dc_submission *out)
{
    json_t *version = json_object_get(root, "version");
    if (version == NULL)
        return DC_OK;
    if (!json_is_integer(version) || json_integer_value(version) < 0)
        return fail(d, DC_INVALID, "/version", "the object's current version, an integer >= 0");
    out->version = json_integer_value(version);
    out->has_version = 1;
    return DC_OK;
}

static dc_status decode_site(struct decoder *d, json_t *root, dc_submission *out)
{
    static const char *const fields[] = {"version", "label",      "location", "outline_polygon",
                                         "radius",  "time_start", "time_end", NULL};
    dc_status rc = only_members(d, root, "", fields);
    if (rc != DC_OK)
        return rc;
    if ((rc = decode_version(d, root, out)) != DC_OK)
        return rc;
    const char *label = json_string_value(json_object_get(root, "label"));
    if (json_object_get(root, "label") != NULL && (label == NULL || strlen(label) > 200))
        return fail(d, DC_INVALID, "/label", "a text of at most 200 bytes");
    json_t *location = json_object_get(root, "location"),
           *poly = json_object_get(root, "outline_polygon");
    if ((location == NULL) == (poly == NULL))
        return fail(d, DC_INVALID, "", "exactly one of \"location\" and \"outline_polygon\"");
    if (json_object_get(root, "radius") == NULL)
        return fail(d, DC_INVALID, "/radius", "required: metres of protection around the site");
    double radius;
    dc_time_us t0, t1;
    if ((rc = decode_metres(d, json_object_get(root, "radius"), "/radius", &radius)) != DC_OK)
        return rc;
    if (!isfinite(radius) || radius < 0 || radius > 100000 || (location != NULL && radius <= 0))
        return fail(d, DC_RANGE, "/radius", "metres within 0..100000 (more than 0 around a point)");
    if (json_object_get(root, "time_start") == NULL || json_object_get(root, "time_end") == NULL)
        return fail(d, DC_INVALID,
                    json_object_get(root, "time_start") ? "/time_end" : "/time_start", "required");
    if ((rc = decode_time(d, json_object_get(root, "time_start"), "/time_start", &t0)) != DC_OK ||
        (rc = decode_time(d, json_object_get(root, "time_end"), "/time_end", &t1)) != DC_OK)
        return rc;
    dc_volume *v = dc_calloc(1, sizeof *v);
    if (v == NULL)
        return DC_NOMEM;
    out->object.volumes = v;
    dc_error inner;
    dc_error_clear(&inner);
    json_t *place;
    if (location != NULL) {
        dc_point c;
        if ((rc = decode_point(d, location, "/location", &c)) != DC_OK)
            return rc;
        rc = dc_volume_init_circle(c, radius, DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M, t0, t1, v,
                                   &inner);
        place = json_pack("{s:{s:f,s:f}}", "location", "lat", c.lat, "lng", c.lon);
    } else {
        static const char *const pf[] = {"vertices", NULL};
        if ((rc = members_of(d, poly, "/outline_polygon", "{\"vertices\": [position, ...]}", pf)) !=
            DC_OK)
            return rc;
        json_t *vertices = json_object_get(poly, "vertices");
        size_t n = json_array_size(vertices);
        if (!json_is_array(vertices) || n > DC_VOLUME_MAX_VERTICES)
            return fail(d, DC_INVALID, "/outline_polygon/vertices",
                        "a list of at most %d positions", DC_VOLUME_MAX_VERTICES);
        dc_point *pts = dc_malloc((n ? n : 1) * sizeof *pts);
        json_t *norm = json_array();
        for (size_t i = 0; pts && rc == DC_OK && i < n; i++) {
            char pv[64];
            snprintf(pv, sizeof pv, "/outline_polygon/vertices/%zu", i);
            rc = decode_point(d, json_array_get(vertices, i), pv, &pts[i]);
            if (rc == DC_OK)
                json_array_append_new(norm,
                                      json_pack("{s:f,s:f}", "lat", pts[i].lat, "lng", pts[i].lon));
        }
        if (pts == NULL)
            rc = DC_NOMEM;
        dc_volume outline;
        if (rc == DC_OK)
            rc = dc_volume_init_polygon(d->geom, pts, n, DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M, t0,
                                        t1, &outline, &inner);
        if (rc == DC_OK) {
            rc = radius > 0 ? dc_volume_buffer(d->geom, &outline, radius, v, &inner)
                            : dc_volume_copy(&outline, v);
            dc_volume_clear(&outline);
        }
        dc_free(pts);
        place = json_pack("{s:{s:o}}", "outline_polygon", "vertices", norm);
        if (rc != DC_OK && inner.status == DC_OK) {
            json_decref(place);
            return rc;
        }
    }
    if (rc != DC_OK) {
        json_decref(place);
        char p[96];
        snprintf(p, sizeof p, "/%s",
                 strncmp(inner.field, "time", 4) == 0 ? inner.field
                 : location                           ? "radius"
                                                      : "outline_polygon");
        return fail(d, rc, p, "%s", inner.message);
    }
    out->object.volume_count = 1;
    out->object.state = DC_STATE_ACCEPTED;
    json_object_set_new(place, "radius", json_real(radius));
    if (label != NULL)
        json_object_set_new(place, "label", json_string(label));
    out->route = place; /* the site's own description, merged into its body */
    return DC_OK;
}

static const char *const hazard_kinds[] = {"live_fire", "strike",   "demolition",
                                           "launch",    "spraying", NULL};

static dc_status decode_header(struct decoder *d, dc_object_kind kind, json_t *root,
                               dc_submission *out)
{
    static const char *const intent_fields[] = {"version", "priority", "state", "accept_conflicts",
                                                "volumes", "route",    NULL};
    static const char *const hazard_fields[] = {"version",          "priority",     "state",
                                                "accept_conflicts", "volumes",      "route",
                                                "hazard_kind",      "from_message", NULL};
    static const char *const zone_fields[] = {"version", "volumes", "public", "admitted", NULL};
    dc_status rc = only_members(d, root, "",
                                kind == DC_KIND_ZONE     ? zone_fields
                                : kind == DC_KIND_HAZARD ? hazard_fields
                                                         : intent_fields);
    if (rc != DC_OK)
        return rc;
    dc_object *o = &out->object;
    if ((rc = decode_version(d, root, out)) != DC_OK)
        return rc;
    json_t *priority = json_object_get(root, "priority");
    if (priority != NULL &&
        (!json_is_integer(priority) || json_integer_value(priority) < DC_PRIORITY_MIN ||
         json_integer_value(priority) > DC_PRIORITY_MAX))
        return fail(d, DC_RANGE, "/priority", "an integer within %d..%d", DC_PRIORITY_MIN,
                    DC_PRIORITY_MAX);
    o->priority = priority ? (int)json_integer_value(priority) : 0;
    o->state = DC_STATE_ACCEPTED;
    json_t *state = json_object_get(root, "state");
    if (state != NULL) {
        dc_state st;
        if (!json_is_string(state) || dc_state_parse(json_string_value(state), &st) != DC_OK ||
            (st != DC_STATE_ACCEPTED && st != DC_STATE_ACTIVATED && st != DC_STATE_ENDED))
            return fail(d, DC_INVALID, "/state", "one of accepted, activated, ended");
        o->state = st;
    }
    if (kind == DC_KIND_HAZARD) {
        const char *hk = json_string_value(json_object_get(root, "hazard_kind"));
        int ok = 0;
        for (int i = 0; hk != NULL && hazard_kinds[i] != NULL; i++)
            ok |= strcmp(hk, hazard_kinds[i]) == 0;
        if (!ok)
            return fail(d, DC_INVALID, "/hazard_kind",
                        "one of live_fire, strike, demolition, launch, spraying");
        dc_copy_text(out->hazard_kind, sizeof out->hazard_kind, hk);
        json_t *msg = json_object_get(root, "from_message");
        if (msg != NULL && (!json_is_integer(msg) || json_integer_value(msg) <= 0))
            return fail(d, DC_INVALID, "/from_message",
                        "the id of a confirmed direct-line message");
        out->from_message = msg ? json_integer_value(msg) : 0;
    }
    json_t *accept = json_object_get(root, "accept_conflicts");
    if (accept != NULL) {
        size_t n = json_array_size(accept);
        if (!json_is_array(accept) || n > 1000)
            return fail(d, DC_INVALID, "/accept_conflicts", "a list of conflict keys from notices");
        out->accept_keys = dc_calloc(n ? n : 1, sizeof *out->accept_keys);
        if (out->accept_keys == NULL)
            return DC_NOMEM;
        for (size_t i = 0; i < n; i++) {
            const char *key = json_string_value(json_array_get(accept, i));
            if (key == NULL || strlen(key) != 32) {
                char p[64];
                snprintf(p, sizeof p, "/accept_conflicts/%zu", i);
                return fail(d, DC_INVALID, p,
                            "a conflict key as a notice gives it (32 hex digits)");
            }
            dc_copy_text(out->accept_keys[i], sizeof out->accept_keys[i], key);
        }
        out->accept_count = n;
    }
    if (kind == DC_KIND_ZONE) {
        json_t *pub = json_object_get(root, "public");
        if (pub != NULL && !json_is_boolean(pub))
            return fail(d, DC_INVALID, "/public", "true or false");
        out->is_public = pub == NULL || json_is_true(pub);
        json_t *adm = json_object_get(root, "admitted");
        size_t n = json_array_size(adm);
        if (adm != NULL && (!json_is_array(adm) || n > 1000))
            return fail(d, DC_INVALID, "/admitted", "a list of party names");
        char(*list)[DC_ID_MAX] = dc_calloc(n ? n : 1, sizeof *list);
        if (list == NULL)
            return DC_NOMEM;
        o->admitted = (const char(*)[DC_ID_MAX])list;
        for (size_t i = 0; i < n; i++) {
            const char *party = json_string_value(json_array_get(adm, i));
            if (!dc_party_name_valid(party)) {
                char p[64];
                snprintf(p, sizeof p, "/admitted/%zu", i);
                return fail(d, DC_INVALID, p, "a party name");
            }
            snprintf(list[i], DC_ID_MAX, "%s", party);
            o->admitted_count = i + 1;
        }
    }
    return DC_OK;
}

/* The end of a decoding: the parsed document released, and on failure nothing half-made left. */
static dc_status submission_done(json_t *root, dc_status rc, dc_submission *out, dc_error *err)
{
    json_decref(root);
    if (rc == DC_NOMEM)
        dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc != DC_OK)
        dc_api_submission_clear(out);
    return rc;
}

/* The published limits of one object, checked on the parsed document before any coordinate is
 * read: reading one costs far more than counting it, and a refused body must cost little. */
static dc_status check_limits(struct decoder *d, dc_object_kind kind, json_t *root)
{
    size_t per_outline =
        kind == DC_KIND_ZONE ? DC_API_MAX_ZONE_OUTLINE_VERTICES : DC_API_MAX_OUTLINE_VERTICES;
    if (kind == DC_KIND_SITE) {
        json_t *vertices = json_object_get(json_object_get(root, "outline_polygon"), "vertices");
        size_t n = json_array_size(vertices);
        if (n > per_outline + 1)
            return fail(d, DC_LIMIT, "/outline_polygon/vertices", "%zu vertices; at most %zu", n,
                        per_outline);
        return DC_OK;
    }
    json_t *waypoints = json_object_get(json_object_get(root, "route"), "waypoints");
    if (json_array_size(waypoints) > DC_API_MAX_WAYPOINTS)
        return fail(d, DC_LIMIT, "/route/waypoints", "%zu legs; at most %d",
                    json_array_size(waypoints) - 1, DC_API_MAX_LEGS);
    json_t *volumes = json_object_get(root, "volumes");
    size_t count = json_array_size(volumes), total = 0;
    if (count > DC_API_MAX_VOLUMES)
        return fail(d, DC_LIMIT, "/volumes", "%zu volumes; at most %d", count, DC_API_MAX_VOLUMES);
    for (size_t i = 0; i < count; i++) {
        json_t *vol = json_array_get(volumes, i);
        int nested = json_object_get(vol, "volume") != NULL;
        json_t *vertices = json_object_get(
            json_object_get(nested ? json_object_get(vol, "volume") : vol, "outline_polygon"),
            "vertices");
        size_t n = json_array_size(vertices);
        if (n > per_outline + 1) { /* the closing repeat is allowed */
            char p[96];
            snprintf(p, sizeof p, "/volumes/%zu%s/outline_polygon/vertices", i,
                     nested ? "/volume" : "");
            return fail(d, DC_LIMIT, p, "%zu vertices; at most %zu for %s", n, per_outline,
                        kind == DC_KIND_ZONE ? "a zone" : "an intent or hazard");
        }
        total += n;
    }
    if (total > DC_API_MAX_OBJECT_VERTICES)
        return fail(d, DC_LIMIT, "/volumes", "%zu vertices in all; at most %d", total,
                    DC_API_MAX_OBJECT_VERTICES);
    return DC_OK;
}

dc_status dc_api_decode_submission(dc_geom *geom, dc_object_kind kind, const char *body,
                                   size_t length, dc_submission *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    out->object.kind = kind;
    struct decoder d = {geom, err, json_array()};
    out->readbacks = d.readbacks;
    json_error_t jerr;
    json_t *root = json_loadb(body, length, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        dc_api_submission_clear(out);
        return dc_error_set(err, DC_INVALID, "", (size_t)jerr.position,
                            "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                            jerr.text);
    }
    if (json_is_object(root) && check_limits(&d, kind, root) != DC_OK)
        return submission_done(root, DC_LIMIT, out, err);
    if (kind == DC_KIND_SITE) {
        dc_status rc = json_is_object(root)
                           ? decode_site(&d, root, out)
                           : fail(&d, DC_INVALID, "", "the body must be a JSON object");
        return submission_done(root, rc, out, err);
    }
    dc_status rc = json_is_object(root)
                       ? decode_header(&d, kind, root, out)
                       : fail(&d, DC_INVALID, "", "the body must be a JSON object");
    json_t *volumes = json_object_get(root, "volumes"), *route = json_object_get(root, "route");
    if (rc == DC_OK && (volumes == NULL) == (route == NULL || kind == DC_KIND_ZONE))
        rc = fail(&d, DC_INVALID, "",
                  kind == DC_KIND_ZONE ? "\"volumes\" is required"
                                       : "exactly one of \"volumes\" and \"route\"");
    if (rc == DC_OK && volumes != NULL) {
        size_t n = json_array_size(volumes);
        if (!json_is_array(volumes) || n == 0)
            rc = fail(&d, DC_INVALID, "/volumes", "a non-empty list of volumes");
        else if (n > DC_API_MAX_VOLUMES)
            rc = fail(&d, DC_LIMIT, "/volumes", "%zu volumes; at most %d", n, DC_API_MAX_VOLUMES);
        dc_volume *vols = rc == DC_OK ? dc_calloc(n, sizeof *vols) : NULL;
        if (rc == DC_OK && vols == NULL)
            rc = DC_NOMEM;
        out->object.volumes = vols;
        for (size_t i = 0; rc == DC_OK && i < n; i++) {
            char p[32];
            snprintf(p, sizeof p, "/volumes/%zu", i);
            rc = decode_volume(&d, json_array_get(volumes, i), p, &vols[i]);
            if (rc == DC_OK)
                out->object.volume_count = i + 1;
        }
    } else if (rc == DC_OK) {
        dc_volume *vols = NULL;
        size_t count = 0;
        rc = decode_route(&d, route, &vols, &count, &out->route);
        out->object.volumes = vols;
        out->object.volume_count = count;
    }
    return submission_done(root, rc, out, err);
}

/* NULL when a time cannot be written (never for a volume built from a request) */
static json_t *volume_json(const dc_volume *v)
{
    char t0[32], t1[32];
    if (dc_time_format(v->time_start, t0, sizeof t0) != DC_OK ||
        dc_time_format(v->time_end, t1, sizeof t1) != DC_OK)
        return NULL;
    json_t *out = json_pack("{s:f,s:f,s:s,s:s}", "altitude_lower", v->altitude_lower,
                            "altitude_upper", v->altitude_upper, "time_start", t0, "time_end", t1);
    if (v->outline == DC_OUTLINE_CIRCLE) {
        json_object_set_new(out, "outline_circle",
                            json_pack("{s:{s:f,s:f},s:f}", "center", "lat", v->center.lat, "lng",
                                      v->center.lon, "radius", v->radius_m));
    } else {
        json_t *vertices = json_array();
        for (uint32_t i = 0; i < v->vertex_count; i++)
            json_array_append_new(vertices, json_pack("{s:f,s:f}", "lat",
                                                      round(v->vertices[i].lat * 1e9) / 1e9, "lng",
                                                      round(v->vertices[i].lon * 1e9) / 1e9));
        json_object_set_new(out, "outline_polygon", json_pack("{s:o}", "vertices", vertices));
    }
    return out;
}

json_t *dc_api_object_json(const dc_object *o, int is_public, const char *hazard_kind,
                           json_t *extra)
{
    json_t *vols = json_array();
    for (size_t i = 0; i < o->volume_count; i++) {
        json_t *v = volume_json(&o->volumes[i]);
        if (v == NULL) {
            json_decref(vols);
            return NULL;
        }
        json_array_append_new(vols, v);
    }
    json_t *out = json_pack("{s:s,s:s,s:s,s:I}", "id", o->id, "kind", dc_kind_name(o->kind),
                            "owner", o->owner, "version", (json_int_t)o->version);
    if (o->kind == DC_KIND_SITE) {
        /* a site has neither priority nor admitted parties */
    } else if (o->kind == DC_KIND_ZONE) {
        json_t *adm = json_array();
        for (size_t i = 0; i < o->admitted_count; i++)
            json_array_append_new(adm, json_string(o->admitted[i]));
        json_object_set_new(out, "public", json_boolean(is_public));
        json_object_set_new(out, "admitted", adm);
    } else {
        json_object_set_new(out, "state", json_string(dc_state_name(o->state)));
        json_object_set_new(out, "priority", json_integer(o->priority));
    }
    if (hazard_kind != NULL && hazard_kind[0] != '\0')
        json_object_set_new(out, "hazard_kind", json_string(hazard_kind));
    if (extra != NULL)
        json_object_update(out, extra); /* {"route": ...}, or a site's label, radius and place */
    json_object_set_new(out, "volumes", vols);
    return out;
}

json_t *dc_api_overlap_geojson(const dc_overlap *ov)
{
    json_t *polys = json_array();
    for (size_t k = 0; k < ov->part_count; k++) {
        json_t *ring = json_array();
        const dc_volume *v = &ov->parts[k];
        for (uint32_t i = 0; i <= v->vertex_count; i++) {
            const dc_point *p = &v->vertices[i % v->vertex_count];
            json_array_append_new(
                ring, json_pack("[f,f]", round(p->lon * 1e7) / 1e7, round(p->lat * 1e7) / 1e7));
        }
        json_array_append_new(polys, json_pack("[o]", ring));
    }
    return json_pack("{s:s,s:o}", "type", "MultiPolygon", "coordinates", polys);
}

dc_status dc_api_parse_area(const char *area, const char *from, const char *to, dc_box4 *out,
                            dc_error *err)
{
    double s = -90, w = -180, n = 90, e = 180;
    if (area != NULL) {
        char *end = NULL;
        const char *p = area;
        double v[4];
        for (int i = 0; i < 4; i++) {
            v[i] = strtod(p, &end);
            if (end == p || !isfinite(v[i]) || (i < 3 && *end != ',') || (i == 3 && *end != '\0'))
                return dc_error_set(err, DC_INVALID, "area", DC_NO_POSITION,
                                    "area is south,west,north,east in decimal degrees");
            p = end + 1;
        }
        s = v[0], w = v[1], n = v[2], e = v[3];
        if (s < -90 || n > 90 || s > n || w < -180 || w > 180 || e < -180 || e > 180)
            return dc_error_set(
                err, DC_RANGE, "area", DC_NO_POSITION,
                "area must have south <= north within ±90 and west/east within ±180");
        if (e < w)
            e += 360; /* across the antimeridian */
    }
    dc_time_us t0 = INT64_MIN / 2, t1 = INT64_MAX / 2;
    /* The time parser's own status (malformed or out of range) and message, under the
     * parameter's name: the caller's problem type follows the status in err. */
    dc_status rc = from != NULL ? dc_time_parse(from, &t0, err) : DC_OK;
    if (rc != DC_OK) {
        snprintf(err->field, sizeof err->field, "from");
        return rc;
    }
    rc = to != NULL ? dc_time_parse(to, &t1, err) : DC_OK;
    if (rc != DC_OK) {
        snprintf(err->field, sizeof err->field, "to");
        return rc;
    }
    if (t0 >= t1)
        return dc_error_set(err, DC_INVALID, "to", DC_NO_POSITION, "\"to\" must be after \"from\"");
    *out = (dc_box4){w, e, s, n, DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M, t0, t1};
    return DC_OK;
}

/* A speed: m/s as a number, or {"value", "units": "M/S"|"KT"|"FT/MIN"}
 * (knots and feet per minute converted here, at the edge). */
static dc_status decode_speed(struct decoder *d, json_t *v, const char *pointer, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return DC_OK;
    }
    static const char *const fields[] = {"value", "units", NULL};
    dc_status rc =
        members_of(d, v, pointer,
                   "a speed in m/s, or {\"value\", \"units\": \"M/S\"|\"KT\"|\"FT/MIN\"}", fields);
    if (rc != DC_OK)
        return rc;
    json_t *value = json_object_get(v, "value");
    const char *units = json_string_value(json_object_get(v, "units"));
    if (!json_is_number(value))
        return fail(d, DC_INVALID, pointer, "\"value\" must be a number");
    double x = json_number_value(value);
    if (units == NULL || strcmp(units, "M/S") == 0)
        *out = x;
    else if (strcmp(units, "KT") == 0)
        *out = x * 1852.0 / 3600.0;
    else if (strcmp(units, "FT/MIN") == 0)
        *out = x * 0.3048 / 60.0;
    else
        return fail(d, DC_INVALID, pointer, "units must be \"M/S\", \"KT\" or \"FT/MIN\"");
    return DC_OK;
}

static dc_status decode_report(struct decoder *d, json_t *v, const char *pointer, const char *party,
                               dc_report *out)
{
    static const char *const fields[] = {
        "aircraft",     "callsign", "time",          "position", "altitude",
        "ground_speed", "track",    "vertical_rate", "intent",   NULL};
    char p[96];
    dc_status rc = members_of(d, v, pointer, "a position report is an object", fields);
    if (rc != DC_OK)
        return rc;
    memset(out, 0, sizeof *out);
    dc_copy_text(out->party, sizeof out->party, party);
    /* Names other parties' pages show (separation alerts): the grammar of ident.h, upper case. */
    char name[DC_AIRCRAFT_MAX];
    dc_error why;
    json_t *callsign = json_object_get(v, "callsign");
    if (dc_ident_aircraft(json_string_value(json_object_get(v, "aircraft")), name, &why) != DC_OK) {
        pointer_to(p, sizeof p, pointer, "aircraft");
        return fail(d, DC_INVALID, p, "%s", why.message);
    }
    dc_copy_text(out->aircraft, sizeof out->aircraft, name);
    if (callsign != NULL && dc_ident_callsign(json_string_value(callsign), name, &why) != DC_OK) {
        pointer_to(p, sizeof p, pointer, "callsign");
        return fail(d, DC_INVALID, p, "%s", why.message);
    }
    dc_copy_text(out->callsign, sizeof out->callsign, callsign ? name : "");
    json_t *intent = json_object_get(v, "intent");
    if (intent != NULL && dc_ident_object_id(json_string_value(intent), NULL) != DC_OK) {
        pointer_to(p, sizeof p, pointer, "intent");
        return fail(d, DC_INVALID, p, "the id of the caller's intent this aircraft flies");
    }
    dc_copy_text(out->intent, sizeof out->intent, intent ? json_string_value(intent) : "");
    static const char *const required[] = {"time", "position", "altitude"};
    for (int i = 0; i < 3; i++)
        if (json_object_get(v, required[i]) == NULL) {
            pointer_to(p, sizeof p, pointer, required[i]);
            return fail(d, DC_INVALID, p, "required");
        }
    pointer_to(p, sizeof p, pointer, "time");
    if ((rc = decode_time(d, json_object_get(v, "time"), p, &out->time)) != DC_OK)
        return rc;
    pointer_to(p, sizeof p, pointer, "position");
    if ((rc = decode_point(d, json_object_get(v, "position"), p, &out->position)) != DC_OK)
        return rc;
    pointer_to(p, sizeof p, pointer, "altitude");
    if ((rc = decode_metres(d, json_object_get(v, "altitude"), p, &out->altitude_m)) != DC_OK)
        return rc;
    out->ground_speed_mps = out->track_deg = out->vertical_rate_mps = NAN;
    json_t *gs = json_object_get(v, "ground_speed"), *trk = json_object_get(v, "track"),
           *vr = json_object_get(v, "vertical_rate");
    pointer_to(p, sizeof p, pointer, "ground_speed");
    if (gs != NULL && (rc = decode_speed(d, gs, p, &out->ground_speed_mps)) != DC_OK)
        return rc;
    pointer_to(p, sizeof p, pointer, "vertical_rate");
    if (vr != NULL && (rc = decode_speed(d, vr, p, &out->vertical_rate_mps)) != DC_OK)
        return rc;
    pointer_to(p, sizeof p, pointer, "track");
    if (trk != NULL) {
        if (!json_is_number(trk) || json_number_value(trk) < 0 || json_number_value(trk) >= 360)
            return fail(d, DC_RANGE, p, "degrees clockwise from true north, 0 <= track < 360");
        out->track_deg = json_number_value(trk);
    }
    if ((gs == NULL) != (trk == NULL))
        return fail(d, DC_INVALID, pointer, "ground_speed and track go together");
    if (gs != NULL && (!isfinite(out->ground_speed_mps) || out->ground_speed_mps < 0)) {
        pointer_to(p, sizeof p, pointer, "ground_speed");
        return fail(d, DC_RANGE, p, "a speed >= 0");
    }
    return DC_OK;
}

/* A batch: a JSON array, or one JSON object a line (NDJSON). *items is NULL on failure (err). */
static dc_status batch_items(const char *body, size_t length, const char *what, json_t **out,
                             dc_error *err)
{
    json_t *items = NULL;
    size_t skip = 0;
    while (skip < length &&
           (body[skip] == ' ' || body[skip] == '\n' || body[skip] == '\r' || body[skip] == '\t'))
        skip++;
    json_error_t jerr;
    dc_status rc = DC_OK;
    if (skip < length && body[skip] == '[') {
        items = json_loadb(body, length, JSON_REJECT_DUPLICATES, &jerr);
        if (items == NULL)
            rc = dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                              "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                              jerr.text);
    } else { /* NDJSON */
        items = json_array();
        size_t at = 0, line = 0;
        while (rc == DC_OK && at < length) {
            size_t end = at;
            while (end < length && body[end] != '\n')
                end++;
            size_t len = end - at;
            while (len > 0 && (body[at + len - 1] == '\r' || body[at + len - 1] == ' '))
                len--;
            if (len > 0) {
                json_t *item = json_loadb(body + at, len, JSON_REJECT_DUPLICATES, &jerr);
                if (item == NULL)
                    rc = dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                                      "malformed JSON on line %zu: %s", line + 1, jerr.text);
                else
                    json_array_append_new(items, item);
            }
            at = end + 1;
            line++;
        }
    }
    size_t n = json_array_size(items);
    if (rc == DC_OK && n == 0)
        rc = dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "no %s", what);
    if (rc == DC_OK && n > DC_API_MAX_REPORTS)
        rc = dc_error_set(err, DC_RANGE, "", DC_NO_POSITION, "%zu %s; at most %d a batch", n, what,
                          DC_API_MAX_REPORTS);
    if (rc != DC_OK) {
        json_decref(items);
        items = NULL;
    }
    *out = items;
    return rc;
}

/* A batch (a JSON array, or NDJSON) of `what`, each item decoded by `each` into an array of
 * `size`-byte items: position reports and sensor updates alike. */
typedef dc_status (*item_decoder)(struct decoder *d, json_t *v, const char *pointer,
                                  const char *party, void *out);

static dc_status decode_batch(const char *body, size_t length, const char *what, const char *party,
                              size_t size, item_decoder each, void **out, size_t *count,
                              dc_error *err)
{
    *out = NULL;
    *count = 0;
    struct decoder d = {NULL, err, NULL};
    json_t *items = NULL;
    dc_status rc = batch_items(body, length, what, &items, err);
    size_t n = json_array_size(items);
    char *decoded = rc == DC_OK ? dc_calloc(n ? n : 1, size) : NULL;
    if (rc == DC_OK && decoded == NULL)
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        char p[32];
        snprintf(p, sizeof p, "/%zu", i);
        rc = each(&d, json_array_get(items, i), p, party, decoded + i * size);
    }
    json_decref(items);
    if (rc != DC_OK) {
        dc_free(decoded);
        return rc;
    }
    *out = decoded;
    *count = n;
    return DC_OK;
}

static dc_status report_item(struct decoder *d, json_t *v, const char *pointer, const char *party,
                             void *out)
{
    return decode_report(d, v, pointer, party, out);
}

dc_status dc_api_decode_reports(const char *body, size_t length, const char *party, dc_report **out,
                                size_t *count, dc_error *err)
{
    void *items = NULL;
    dc_status rc = decode_batch(body, length, "position reports", party, sizeof **out, report_item,
                                &items, count, err);
    *out = items;
    return rc;
}

/* One sensor update: what the sensor measured and its own track number, never an identity (no
 * aircraft, callsign, party or intent: an unknown member is refused like any other). */
static dc_status decode_sensor(struct decoder *d, json_t *v, const char *pointer, const char *party,
                               dc_sensor_report *out)
{
    static const char *const fields[] = {"track_number", "time",  "position", "altitude",
                                         "ground_speed", "track", "accuracy", NULL};
    char p[96];
    dc_status rc = members_of(d, v, pointer, "a sensor track update is an object", fields);
    if (rc != DC_OK)
        return rc;
    memset(out, 0, sizeof *out);
    dc_copy_text(out->party, sizeof out->party, party);
    static const char *const required[] = {"track_number", "time", "position", "accuracy"};
    for (int i = 0; i < 4; i++)
        if (json_object_get(v, required[i]) == NULL) {
            pointer_to(p, sizeof p, pointer, required[i]);
            return fail(d, DC_INVALID, p, "required");
        }
    char name[DC_AIRCRAFT_MAX];
    dc_error why;
    pointer_to(p, sizeof p, pointer, "track_number");
    if (dc_ident_aircraft(json_string_value(json_object_get(v, "track_number")), name, &why) !=
        DC_OK)
        return fail(d, DC_INVALID, p, "the sensor's own track number: 1 to 8 of A-Z a-z 0-9");
    dc_copy_text(out->track, sizeof out->track, name);
    pointer_to(p, sizeof p, pointer, "time");
    if ((rc = decode_time(d, json_object_get(v, "time"), p, &out->time)) != DC_OK)
        return rc;
    pointer_to(p, sizeof p, pointer, "position");
    if ((rc = decode_point(d, json_object_get(v, "position"), p, &out->position)) != DC_OK)
        return rc;
    out->altitude_m = out->ground_speed_mps = out->track_deg = NAN;
    json_t *alt = json_object_get(v, "altitude"), *gs = json_object_get(v, "ground_speed"),
           *trk = json_object_get(v, "track"), *acc = json_object_get(v, "accuracy");
    pointer_to(p, sizeof p, pointer, "altitude");
    if (alt != NULL && (rc = decode_metres(d, alt, p, &out->altitude_m)) != DC_OK)
        return rc;
    pointer_to(p, sizeof p, pointer, "accuracy");
    if (!json_is_number(acc) || !(json_number_value(acc) > 0) ||
        json_number_value(acc) > DC_SENSOR_ACCURACY_MAX_M)
        return fail(d, DC_RANGE, p, "the stated horizontal accuracy, metres 1 sigma, 0 < a <= %.0f",
                    DC_SENSOR_ACCURACY_MAX_M);
    out->accuracy_m = json_number_value(acc);
    pointer_to(p, sizeof p, pointer, "ground_speed");
    if (gs != NULL && (rc = decode_speed(d, gs, p, &out->ground_speed_mps)) != DC_OK)
        return rc;
    if (gs != NULL && (!isfinite(out->ground_speed_mps) || out->ground_speed_mps < 0 ||
                       out->ground_speed_mps > 1e4))
        return fail(d, DC_RANGE, p, "a speed, 0 <= speed <= 10,000 m/s");
    pointer_to(p, sizeof p, pointer, "track");
    if (trk != NULL) {
        if (!json_is_number(trk) || json_number_value(trk) < 0 || json_number_value(trk) >= 360)
            return fail(d, DC_RANGE, p, "degrees clockwise from true north, 0 <= track < 360");
        out->track_deg = json_number_value(trk);
    }
    if ((gs == NULL) != (trk == NULL))
        return fail(d, DC_INVALID, pointer, "ground_speed and track go together");
    return DC_OK;
}

static dc_status sensor_item(struct decoder *d, json_t *v, const char *pointer, const char *party,
                             void *out)
{
    return decode_sensor(d, v, pointer, party, out);
}

dc_status dc_api_decode_sensor_reports(const char *body, size_t length, const char *party,
                                       dc_sensor_report **out, size_t *count, dc_error *err)
{
    void *items = NULL;
    dc_status rc = decode_batch(body, length, "sensor track updates", party, sizeof **out,
                                sensor_item, &items, count, err);
    *out = items;
    return rc;
}
