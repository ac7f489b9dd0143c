/* codec.c - what the decoders share (members, coordinates with their read-backs, lengths,
 * times) and objects into JSON */
#include "codec_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The JSON pointer of `member` under `base` (formatted for every field of every report, so no
 * snprintf: it was a sixth of the time of a batch of position reports). Truncates to fit. */
void dc__codec_pointer_to(char *out, size_t size, const char *base, const char *member)
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
dc_status dc__codec_fail(struct decoder *d, dc_status status, const char *pointer, const char *fmt,
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
dc_status dc__codec_only_members(struct decoder *d, json_t *obj, const char *pointer,
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
            return dc__codec_fail(d, DC_INVALID, p, "unknown field '%.60s'", key);
        }
    }
    return DC_OK;
}

/* An object with only the `allowed` members; anything else is refused
 * with the form expected (`shape`). */
dc_status dc__codec_members_of(struct decoder *d, json_t *v, const char *pointer, const char *shape,
                               const char *const *allowed)
{
    if (!json_is_object(v))
        return dc__codec_fail(d, DC_INVALID, pointer, "%s", shape);
    return dc__codec_only_members(d, v, pointer, allowed);
}

/* A coordinate: a string in any notation dc_coord_parse accepts, or
 * {"lat": .., "lng": ..} in decimal degrees. Each is read back. */
dc_status dc__codec_decode_point(struct decoder *d, json_t *v, const char *pointer, dc_point *out)
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
                return dc__codec_fail(d, inner.status, pointer, "%s", inner.message);
            return DC_OK;
        }
        if (dc_coord_readback(input, &p, &rb, &inner) != DC_OK)
            return dc__codec_fail(d, inner.status, pointer, "%s", inner.message);
    } else if (json_is_object(v)) {
        static const char *const fields[] = {"lat", "lng", NULL};
        dc_status rc = dc__codec_only_members(d, v, pointer, fields);
        if (rc != DC_OK)
            return rc;
        json_t *lat = json_object_get(v, "lat"), *lng = json_object_get(v, "lng");
        if (!json_is_number(lat) || !json_is_number(lng))
            return dc__codec_fail(
                d, DC_INVALID, pointer,
                "a position is {\"lat\": degrees, \"lng\": degrees} or a coordinate string");
        p = (dc_point){json_number_value(lat), json_number_value(lng)};
        if (dc_point_validate(p) != DC_OK)
            return dc__codec_fail(d, DC_RANGE, pointer,
                                  "latitude %.7g / longitude %.7g is not a WGS84 position", p.lat,
                                  p.lon);
        if (d->readbacks == NULL) {
            *out = p;
            return DC_OK;
        }
        dc_coord_info info = {DC_NOTATION_DD, DC_HEMISPHERE_SIGNED, 0, 0, 0, 0};
        dc_coord_readback_of(p, &info, &rb, NULL);
        snprintf(numeric, sizeof numeric, "%.9g, %.9g", p.lat, p.lon);
        input = numeric;
    } else {
        return dc__codec_fail(d, DC_INVALID, pointer,
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
dc_status dc__codec_decode_metres(struct decoder *d, json_t *v, const char *pointer, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return DC_OK;
    }
    static const char *const fields[] = {"value", "units", "reference", NULL};
    dc_status rc = dc__codec_members_of(
        d, v, pointer, "a number of metres, or {\"value\", \"units\": \"M\"|\"FT\"}", fields);
    if (rc != DC_OK)
        return rc;
    json_t *value = json_object_get(v, "value");
    const char *units = json_string_value(json_object_get(v, "units"));
    const char *ref = json_string_value(json_object_get(v, "reference"));
    if (!json_is_number(value))
        return dc__codec_fail(d, DC_INVALID, pointer, "\"value\" must be a number");
    if (ref != NULL && strcmp(ref, "W84") != 0)
        return dc__codec_fail(d, DC_INVALID, pointer,
                              "only the WGS84 ellipsoid (\"W84\") is a reference here");
    double x = json_number_value(value);
    if (units == NULL || strcmp(units, "M") == 0)
        *out = x;
    else if (strcmp(units, "FT") == 0)
        *out = x * 0.3048;
    else
        return dc__codec_fail(d, DC_INVALID, pointer, "units must be \"M\" or \"FT\"");
    return DC_OK;
}

dc_status dc__codec_decode_time(struct decoder *d, json_t *v, const char *pointer, dc_time_us *out)
{
    const char *text = json_string_value(v);
    if (json_is_object(v)) {
        static const char *const fields[] = {"value", "format", NULL};
        dc_status rc = dc__codec_only_members(d, v, pointer, fields);
        if (rc != DC_OK)
            return rc;
        text = json_string_value(json_object_get(v, "value"));
        const char *format = json_string_value(json_object_get(v, "format"));
        if (json_object_get(v, "format") != NULL && (format == NULL || strcmp(format, "RFC3339")))
            return dc__codec_fail(d, DC_INVALID, pointer, "the only time format is \"RFC3339\"");
    }
    if (text == NULL)
        return dc__codec_fail(d, DC_INVALID, pointer, "an RFC 3339 UTC time");
    dc_error inner;
    if (dc_time_parse(text, out, &inner) != DC_OK)
        return dc__codec_fail(d, inner.status, pointer, "%s", inner.message);
    return DC_OK;
}

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
