/* codec_volume4d.c - volumes (flat, or ASTM F3548's Volume4D) and routes from a request's JSON */
#include "codec_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    dc__codec_pointer_to(shape_pointer, size, pointer, "volume");
    return inner;
}

static json_t *outline_of(json_t *shape, const char *name)
{
    json_t *o = json_object_get(shape, name);
    return json_is_null(o) ? NULL : o;
}

dc_status dc__codec_decode_volume(struct decoder *d, json_t *v, const char *pointer, dc_volume *out)
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
    dc_status rc =
        dc__codec_members_of(d, v, pointer, "a volume is an object", nested ? volume4d : flat);
    if (rc != DC_OK)
        return rc;
    json_t *shape = volume_shape(v, pointer, sp, sizeof sp);
    if (nested &&
        (rc = dc__codec_members_of(d, shape, sp,
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
        dc__codec_pointer_to(p, sizeof p, i < 2 ? sp : pointer, bands[i]);
        if (member == NULL)
            return dc__codec_fail(d, DC_INVALID, p, "required");
        rc = i == 0   ? dc__codec_decode_metres(d, member, p, &lo)
             : i == 1 ? dc__codec_decode_metres(d, member, p, &hi)
             : i == 2 ? dc__codec_decode_time(d, member, p, &t0)
                      : dc__codec_decode_time(d, member, p, &t1);
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
        return dc__codec_fail(d, DC_INVALID, pointer,
                              "exactly one of outline_polygon and outline_circle");
    dc_error inner;
    dc_error_clear(&inner);
    if (circle != NULL) {
        dc__codec_pointer_to(p, sizeof p, pointer, "outline_circle");
        static const char *const cf[] = {"center", "radius", NULL};
        if ((rc = dc__codec_members_of(d, circle, p, "{\"center\": position, \"radius\": metres}",
                                       cf)) != DC_OK)
            return rc;
        dc_point c;
        double r;
        char pc[200], pr[200];
        dc__codec_pointer_to(pc, sizeof pc, p, "center");
        dc__codec_pointer_to(pr, sizeof pr, p, "radius");
        if (json_object_get(circle, "center") == NULL || json_object_get(circle, "radius") == NULL)
            return dc__codec_fail(d, DC_INVALID, p, "center and radius are required");
        if ((rc = dc__codec_decode_point(d, json_object_get(circle, "center"), pc, &c)) != DC_OK ||
            (rc = dc__codec_decode_metres(d, json_object_get(circle, "radius"), pr, &r)) != DC_OK)
            return rc;
        rc = dc_volume_init_circle(c, r, lo, hi, t0, t1, out, &inner);
    } else {
        dc__codec_pointer_to(p, sizeof p, pointer, "outline_polygon");
        static const char *const pf[] = {"vertices", NULL};
        if ((rc = dc__codec_members_of(d, poly, p, "{\"vertices\": [position, ...]}", pf)) != DC_OK)
            return rc;
        json_t *vertices = json_object_get(poly, "vertices");
        size_t n = json_array_size(vertices);
        dc__codec_pointer_to(p, sizeof p, pointer, "outline_polygon/vertices");
        if (!json_is_array(vertices))
            return dc__codec_fail(d, DC_INVALID, p, "a list of positions");
        if (n > DC_VOLUME_MAX_VERTICES + 1)
            return dc__codec_fail(d, DC_RANGE, p, "%zu vertices; at most %d", n,
                                  DC_VOLUME_MAX_VERTICES);
        dc_point *pts = dc_malloc((n ? n : 1) * sizeof *pts);
        if (pts == NULL)
            return DC_NOMEM;
        for (size_t i = 0; i < n && rc == DC_OK; i++) {
            char pv[220];
            snprintf(pv, sizeof pv, "%s/%zu", p, i);
            rc = dc__codec_decode_point(d, json_array_get(vertices, i), pv, &pts[i]);
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
            dc__codec_pointer_to(p, sizeof p, time_pointer, f);
        else if (strncmp(f, "altitude", 8) == 0)
            dc__codec_pointer_to(p, sizeof p, pointer, f);
        else if (strncmp(f, "outline_polygon/vertices", 24) == 0)
            dc__codec_pointer_to(p, sizeof p, pointer, "outline_polygon/vertices");
        else
            dc__codec_pointer_to(p, sizeof p, pointer, f[0] ? f : "");
        return dc__codec_fail(d, rc, p, "%s", inner.message);
    }
    return DC_OK;
}

dc_status dc__codec_decode_route(struct decoder *d, json_t *route, dc_volume **vols, size_t *count,
                                 json_t **normalised)
{
    static const char *const fields[] = {"waypoints", "buffers", NULL};
    dc_status rc = dc__codec_members_of(d, route, "/route",
                                        "{\"waypoints\": [...], \"buffers\": {...}}", fields);
    if (rc != DC_OK)
        return rc;
    json_t *wps = json_object_get(route, "waypoints"), *buffers = json_object_get(route, "buffers");
    size_t n = json_array_size(wps);
    if (!json_is_array(wps) || n < 2)
        return dc__codec_fail(d, DC_INVALID, "/route/waypoints", "at least 2 waypoints");
    if (n > DC_API_MAX_WAYPOINTS)
        return dc__codec_fail(d, DC_LIMIT, "/route/waypoints", "%zu waypoints; at most %d", n,
                              DC_API_MAX_WAYPOINTS);
    static const char *const bf[] = {"lateral", "vertical", "time", NULL};
    if ((rc = dc__codec_members_of(d, buffers, "/route/buffers",
                                   "{\"lateral\": m, \"vertical\": m, \"time\": s}", bf)) != DC_OK)
        return rc;
    dc_route_buffers buf = {0, 0, 0};
    double seconds = 0;
    json_t *b;
    if ((b = json_object_get(buffers, "lateral")) == NULL ||
        (rc = dc__codec_decode_metres(d, b, "/route/buffers/lateral", &buf.lateral_m)) != DC_OK)
        return rc ? rc : dc__codec_fail(d, DC_INVALID, "/route/buffers/lateral", "required");
    if ((b = json_object_get(buffers, "vertical")) == NULL ||
        (rc = dc__codec_decode_metres(d, b, "/route/buffers/vertical", &buf.vertical_m)) != DC_OK)
        return rc ? rc : dc__codec_fail(d, DC_INVALID, "/route/buffers/vertical", "required");
    b = json_object_get(buffers, "time");
    if (!json_is_number(b))
        return dc__codec_fail(d, DC_INVALID, "/route/buffers/time", "seconds, required");
    seconds = json_number_value(b);
    if (!isfinite(seconds) || seconds < 0 || seconds > 86400)
        return dc__codec_fail(d, DC_RANGE, "/route/buffers/time", "seconds within 0..86400");
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
        if ((rc = dc__codec_members_of(d, wp, p, "{\"position\", \"altitude\", \"time\"}", wf)) !=
            DC_OK)
            break;
        json_t *pos = json_object_get(wp, "position"), *alt = json_object_get(wp, "altitude"),
               *t = json_object_get(wp, "time");
        if (pos == NULL || alt == NULL || t == NULL) {
            rc = dc__codec_fail(d, DC_INVALID, p, "position, altitude and time are required");
            break;
        }
        dc__codec_pointer_to(q, sizeof q, p, "position");
        if ((rc = dc__codec_decode_point(d, pos, q, &w[i].position)) != DC_OK)
            break;
        dc__codec_pointer_to(q, sizeof q, p, "altitude");
        if ((rc = dc__codec_decode_metres(d, alt, q, &w[i].altitude_m)) != DC_OK)
            break;
        dc__codec_pointer_to(q, sizeof q, p, "time");
        if ((rc = dc__codec_decode_time(d, t, q, &w[i].time)) != DC_OK)
            break;
        char ts[32];
        if ((rc = dc_time_format(w[i].time, ts, sizeof ts)) != DC_OK) {
            rc = dc__codec_fail(d, rc, q, "a time this server cannot write back");
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
            rc = dc__codec_fail(d, rc, p, "%s", inner.message);
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
