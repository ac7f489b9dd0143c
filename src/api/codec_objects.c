/* codec_objects.c - a PUT body into an intent, hazard, zone or site (a dc_submission) */
#include "codec_internal.h"
#include "deconflict/object_build.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        return dc__codec_fail(d, DC_INVALID, "/version",
                              "the object's current version, an integer >= 0");
    out->version = json_integer_value(version);
    out->has_version = 1;
    return DC_OK;
}

/* A site's outline_polygon: its positions (read back) into *pts (dc_free) and, normalised, into
 * *norm (the body's echo). */
static dc_status site_outline(struct decoder *d, json_t *poly, dc_point **pts, size_t *count,
                              json_t *norm)
{
    static const char *const pf[] = {"vertices", NULL};
    dc_status rc =
        dc__codec_members_of(d, poly, "/outline_polygon", "{\"vertices\": [position, ...]}", pf);
    if (rc != DC_OK)
        return rc;
    json_t *vertices = json_object_get(poly, "vertices");
    size_t n = json_array_size(vertices);
    if (!json_is_array(vertices) || n > DC_VOLUME_MAX_VERTICES)
        return dc__codec_fail(d, DC_INVALID, "/outline_polygon/vertices",
                              "a list of at most %d positions", DC_VOLUME_MAX_VERTICES);
    *pts = dc_malloc((n ? n : 1) * sizeof **pts);
    if (*pts == NULL)
        return DC_NOMEM;
    for (size_t i = 0; rc == DC_OK && i < n; i++) {
        char pv[64];
        snprintf(pv, sizeof pv, "/outline_polygon/vertices/%zu", i);
        rc = dc__codec_decode_point(d, json_array_get(vertices, i), pv, &(*pts)[i]);
        if (rc == DC_OK)
            json_array_append_new(
                norm, json_pack("{s:f,s:f}", "lat", (*pts)[i].lat, "lng", (*pts)[i].lon));
    }
    *count = n;
    return rc;
}

/* The site's place as its body echoes it: {"location"} or {"outline_polygon"}, the radius, the
 * label. */
static json_t *site_place(const dc_site_parts *parts, json_t *norm, const char *label)
{
    json_t *place = parts->location != NULL
                        ? json_pack("{s:{s:f,s:f}}", "location", "lat", parts->location->lat, "lng",
                                    parts->location->lon)
                        : json_pack("{s:{s:O}}", "outline_polygon", "vertices", norm);
    json_object_set_new(place, "radius", json_real(parts->radius_m));
    if (label != NULL)
        json_object_set_new(place, "label", json_string(label));
    return place;
}

static dc_status decode_site(struct decoder *d, json_t *root, dc_submission *out)
{
    static const char *const fields[] = {"version", "label",      "location", "outline_polygon",
                                         "radius",  "time_start", "time_end", NULL};
    dc_status rc = dc__codec_only_members(d, root, "", fields);
    if (rc == DC_OK)
        rc = decode_version(d, root, out);
    if (rc != DC_OK)
        return rc;
    const char *label = json_string_value(json_object_get(root, "label"));
    if (json_object_get(root, "label") != NULL && (label == NULL || strlen(label) > 200))
        return dc__codec_fail(d, DC_INVALID, "/label", "a text of at most 200 bytes");
    json_t *location = json_object_get(root, "location"),
           *poly = json_object_get(root, "outline_polygon");
    if ((location == NULL) == (poly == NULL))
        return dc__codec_fail(d, DC_INVALID, "",
                              "exactly one of \"location\" and \"outline_polygon\"");
    if (json_object_get(root, "radius") == NULL)
        return dc__codec_fail(d, DC_INVALID, "/radius",
                              "required: metres of protection around the site");
    dc_site_parts parts = {NULL, NULL, 0, 0, 0, 0};
    if ((rc = dc__codec_decode_metres(d, json_object_get(root, "radius"), "/radius",
                                      &parts.radius_m)) != DC_OK)
        return rc;
    if (json_object_get(root, "time_start") == NULL || json_object_get(root, "time_end") == NULL)
        return dc__codec_fail(d, DC_INVALID,
                              json_object_get(root, "time_start") ? "/time_end" : "/time_start",
                              "required");
    if ((rc = dc__codec_decode_time(d, json_object_get(root, "time_start"), "/time_start",
                                    &parts.time_start)) != DC_OK ||
        (rc = dc__codec_decode_time(d, json_object_get(root, "time_end"), "/time_end",
                                    &parts.time_end)) != DC_OK)
        return rc;
    dc_point c, *pts = NULL;
    json_t *norm = json_array();
    if (location != NULL && (rc = dc__codec_decode_point(d, location, "/location", &c)) == DC_OK)
        parts.location = &c;
    else if (location == NULL &&
             (rc = site_outline(d, poly, &pts, &parts.outline_count, norm)) == DC_OK)
        parts.outline = pts;
    dc_volume *v = rc == DC_OK ? dc_calloc(1, sizeof *v) : NULL;
    if (rc == DC_OK && v == NULL)
        rc = DC_NOMEM;
    dc_error built;
    dc_error_clear(&built);
    if (rc == DC_OK && (rc = dc_site_build(d->geom, &parts, v, &built)) != DC_OK &&
        built.status != DC_OK) {
        char p[96];
        snprintf(p, sizeof p, "/%s",
                 strcmp(built.field, "outline") == 0 ? "outline_polygon" : built.field);
        dc__codec_fail(d, rc, p, "%s", built.message);
    }
    if (rc == DC_OK) {
        out->object.volumes = v;
        out->object.volume_count = 1;
        out->object.state = DC_STATE_ACCEPTED;
        out->route = site_place(&parts, norm, label); /* merged into its body */
    } else {
        dc_free(v);
    }
    json_decref(norm);
    dc_free(pts);
    return rc;
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
    dc_status rc = dc__codec_only_members(d, root, "",
                                          kind == DC_KIND_ZONE     ? zone_fields
                                          : kind == DC_KIND_HAZARD ? hazard_fields
                                                                   : intent_fields);
    if (rc != DC_OK)
        return rc;
    dc_object *o = &out->object;
    if ((rc = decode_version(d, root, out)) != DC_OK)
        return rc;
    json_t *priority = json_object_get(root, "priority");
    dc_error rule;
    if (priority != NULL && (!json_is_integer(priority) ||
                             dc_priority_check(json_integer_value(priority), &rule) != DC_OK))
        return dc__codec_fail(d, DC_RANGE, "/priority", "an integer within %d..%d", DC_PRIORITY_MIN,
                              DC_PRIORITY_MAX);
    o->priority = priority ? (int)json_integer_value(priority) : 0;
    o->state = DC_STATE_ACCEPTED;
    json_t *state = json_object_get(root, "state");
    if (state != NULL) {
        dc_state st;
        if (!json_is_string(state) || dc_state_parse(json_string_value(state), &st) != DC_OK ||
            (st != DC_STATE_ACCEPTED && st != DC_STATE_ACTIVATED && st != DC_STATE_ENDED))
            return dc__codec_fail(d, DC_INVALID, "/state", "one of accepted, activated, ended");
        o->state = st;
    }
    if (kind == DC_KIND_HAZARD) {
        const char *hk = json_string_value(json_object_get(root, "hazard_kind"));
        int ok = 0;
        for (int i = 0; hk != NULL && hazard_kinds[i] != NULL; i++)
            ok |= strcmp(hk, hazard_kinds[i]) == 0;
        if (!ok)
            return dc__codec_fail(d, DC_INVALID, "/hazard_kind",
                                  "one of live_fire, strike, demolition, launch, spraying");
        dc_copy_text(out->hazard_kind, sizeof out->hazard_kind, hk);
        json_t *msg = json_object_get(root, "from_message");
        if (msg != NULL && (!json_is_integer(msg) || json_integer_value(msg) <= 0))
            return dc__codec_fail(d, DC_INVALID, "/from_message",
                                  "the id of a confirmed direct-line message");
        out->from_message = msg ? json_integer_value(msg) : 0;
    }
    json_t *accept = json_object_get(root, "accept_conflicts");
    if (accept != NULL) {
        size_t n = json_array_size(accept);
        if (!json_is_array(accept) || n > 1000)
            return dc__codec_fail(d, DC_INVALID, "/accept_conflicts",
                                  "a list of conflict keys from notices");
        out->accept_keys = dc_calloc(n ? n : 1, sizeof *out->accept_keys);
        if (out->accept_keys == NULL)
            return DC_NOMEM;
        for (size_t i = 0; i < n; i++) {
            const char *key = json_string_value(json_array_get(accept, i));
            if (key == NULL || strlen(key) != 32) {
                char p[64];
                snprintf(p, sizeof p, "/accept_conflicts/%zu", i);
                return dc__codec_fail(d, DC_INVALID, p,
                                      "a conflict key as a notice gives it (32 hex digits)");
            }
            dc_copy_text(out->accept_keys[i], sizeof out->accept_keys[i], key);
        }
        out->accept_count = n;
    }
    if (kind == DC_KIND_ZONE) {
        json_t *pub = json_object_get(root, "public");
        if (pub != NULL && !json_is_boolean(pub))
            return dc__codec_fail(d, DC_INVALID, "/public", "true or false");
        out->is_public = pub == NULL || json_is_true(pub);
        json_t *adm = json_object_get(root, "admitted");
        size_t n = json_array_size(adm);
        if (adm != NULL && (!json_is_array(adm) || n > 1000))
            return dc__codec_fail(d, DC_INVALID, "/admitted", "a list of party names");
        char(*list)[DC_ID_MAX] = dc_calloc(n ? n : 1, sizeof *list);
        if (list == NULL)
            return DC_NOMEM;
        o->admitted = (const char(*)[DC_ID_MAX])list;
        for (size_t i = 0; i < n; i++) {
            const char *party = json_string_value(json_array_get(adm, i));
            if (!dc_party_name_valid(party)) {
                char p[64];
                snprintf(p, sizeof p, "/admitted/%zu", i);
                return dc__codec_fail(d, DC_INVALID, p, "a party name");
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
            return dc__codec_fail(d, DC_LIMIT, "/outline_polygon/vertices",
                                  "%zu vertices; at most %zu", n, per_outline);
        return DC_OK;
    }
    json_t *waypoints = json_object_get(json_object_get(root, "route"), "waypoints");
    if (json_array_size(waypoints) > DC_API_MAX_WAYPOINTS)
        return dc__codec_fail(d, DC_LIMIT, "/route/waypoints", "%zu legs; at most %d",
                              json_array_size(waypoints) - 1, DC_API_MAX_LEGS);
    json_t *volumes = json_object_get(root, "volumes");
    size_t count = json_array_size(volumes), total = 0;
    if (count > DC_API_MAX_VOLUMES)
        return dc__codec_fail(d, DC_LIMIT, "/volumes", "%zu volumes; at most %d", count,
                              DC_API_MAX_VOLUMES);
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
            return dc__codec_fail(d, DC_LIMIT, p, "%zu vertices; at most %zu for %s", n,
                                  per_outline,
                                  kind == DC_KIND_ZONE ? "a zone" : "an intent or hazard");
        }
        total += n;
    }
    if (total > DC_API_MAX_OBJECT_VERTICES)
        return dc__codec_fail(d, DC_LIMIT, "/volumes", "%zu vertices in all; at most %d", total,
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
                           : dc__codec_fail(&d, DC_INVALID, "", "the body must be a JSON object");
        return submission_done(root, rc, out, err);
    }
    dc_status rc = json_is_object(root)
                       ? decode_header(&d, kind, root, out)
                       : dc__codec_fail(&d, DC_INVALID, "", "the body must be a JSON object");
    json_t *volumes = json_object_get(root, "volumes"), *route = json_object_get(root, "route");
    if (rc == DC_OK && (volumes == NULL) == (route == NULL || kind == DC_KIND_ZONE))
        rc = dc__codec_fail(&d, DC_INVALID, "",
                            kind == DC_KIND_ZONE ? "\"volumes\" is required"
                                                 : "exactly one of \"volumes\" and \"route\"");
    if (rc == DC_OK && volumes != NULL) {
        size_t n = json_array_size(volumes);
        if (!json_is_array(volumes) || n == 0)
            rc = dc__codec_fail(&d, DC_INVALID, "/volumes", "a non-empty list of volumes");
        else if (n > DC_API_MAX_VOLUMES)
            rc = dc__codec_fail(&d, DC_LIMIT, "/volumes", "%zu volumes; at most %d", n,
                                DC_API_MAX_VOLUMES);
        dc_volume *vols = rc == DC_OK ? dc_calloc(n, sizeof *vols) : NULL;
        if (rc == DC_OK && vols == NULL)
            rc = DC_NOMEM;
        out->object.volumes = vols;
        for (size_t i = 0; rc == DC_OK && i < n; i++) {
            char p[32];
            snprintf(p, sizeof p, "/volumes/%zu", i);
            rc = dc__codec_decode_volume(&d, json_array_get(volumes, i), p, &vols[i]);
            if (rc == DC_OK)
                out->object.volume_count = i + 1;
        }
    } else if (rc == DC_OK) {
        dc_volume *vols = NULL;
        size_t count = 0;
        rc = dc__codec_decode_route(&d, route, &vols, &count, &out->route);
        out->object.volumes = vols;
        out->object.volume_count = count;
    }
    return submission_done(root, rc, out, err);
}
