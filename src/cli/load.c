/* load.c - `deconflict load SCENARIO --server URL`: a scenario file (docs/SCENARIOS.md) into a
 * running server through its API, as its parties would submit it: parties, their airspace from
 * the Natural Earth borders, grants, messages read back and acknowledged, then every zone,
 * intent, hazard and site in file order */
#include "cli.h"
#include "deconflict/scenario.h"
#include "deconflict/server.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: deconflict load SCENARIO --server URL [--operator-key-file FILE] [--keys FILE]\n"
    "                       [--borders DIR] [--json]\n"
    "\n"
    "Loads a scenario (a scenario.geojson, a directory holding one, or - for standard\n"
    "input; the format is docs/SCENARIOS.md) into the running server at URL through its\n"
    "API, as each party would: the file is checked whole first, and nothing is sent if\n"
    "it is malformed. Then, in order:\n"
    "  parties   each party the scenario names that has no key in --keys is created with\n"
    "            the operator key (--operator-key-file FILE, else $DC_OPERATOR_KEY); its\n"
    "            notation is set as the scenario says\n"
    "  borders   each country's airspace (\"borders\": Natural Earth 10m, from --borders DIR,\n"
    "            default: the build's or the installation's, or $DECONFLICT_BORDERS)\n"
    "  grants    who shares which kind of object with whom\n"
    "  messages  sent, read back and acknowledged by the recipient when the scenario says\n"
    "  objects   every feature in file order (features of one id are one object), each\n"
    "            accepted or refused as the server decides, with what its owner was told\n"
    "  --keys FILE  the parties' keys, JSON {\"party\": \"key\"}: read, and the keys of the\n"
    "            parties created written back (mode 0600). Without it new keys are printed.\n"
    "  --json    one JSON document: every step with its HTTP status and the server's answer\n"
    "Exit 0 all accepted, 1 something refused or failed (each said), 2 unusable input.\n";

struct loader {
    char server[1024];
    char operator_key[256];
    int have_operator;
    const char *operator_file;
    const char *keys_file;
    const char *borders_dir;
    const char *folder; /* where the scenario is, for nothing but messages */
    json_t *keys;       /* party -> key */
    json_t *created;    /* parties created now */
    json_t *steps;      /* what was done, for --json */
    json_t *messages;   /* hazard id -> message id (then_hazard) */
    int json;
    size_t accepted, refused, failed;
    dc_local_api *local; /* `deconflict check`: the server's routes in this process */
};

static void say(const struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct loader *l, const char *fmt, ...)
{
    if (l->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* A call answered in this process, as dc_cli_http_call answers it over HTTP. */
static int local_call(dc_local_api *local, const char *method, const char *path, const char *key,
                      json_t *body, dc_cli_http *r)
{
    memset(r, 0, sizeof *r);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    int status = 0;
    if ((body != NULL && text == NULL) ||
        dc_local_api_call(local, method, path, key, text, &status, &r->body) != DC_OK) {
        free(text);
        snprintf(r->error, sizeof r->error, "out of memory");
        return -1;
    }
    free(text);
    r->status = status;
    r->length = r->body != NULL ? strlen(r->body) : 0;
    r->json = r->body != NULL ? json_loads(r->body, 0, NULL) : NULL;
    if (r->status >= 400)
        dc_copy_text(r->error, sizeof r->error,
                     json_string_value(json_object_get(r->json, "detail")));
    return 0;
}

/* One step of the load, recorded; 0 when its status is one of those expected. */
static int step(struct loader *l, const char *what, const char *party, const char *method,
                const char *path, json_t *body, long expect, long also, dc_cli_http *r)
{
    const char *key =
        party != NULL ? json_string_value(json_object_get(l->keys, party)) : l->operator_key;
    int rc = l->local ? local_call(l->local, method, path, key, body, r)
                      : dc_cli_http_call(l->server, method, path, key, body, r);
    json_t *s = json_pack("{s:s,s:s,s:s}", "step", what, "method", method, "path", path);
    if (party != NULL)
        json_object_set_new(s, "party", json_string(party));
    json_object_set_new(s, "status", json_integer(rc == 0 ? r->status : 0));
    if (rc != 0)
        json_object_set_new(s, "error", json_string(r->error));
    else if (r->json != NULL && !(json_is_object(r->json) && json_object_get(r->json, "key")))
        json_object_set(s, "response", r->json); /* never a key in the record */
    json_array_append_new(l->steps, s);
    if (rc != 0) {
        fprintf(stderr, "deconflict load: %s: %s\n", what, r->error);
        return -1;
    }
    if (r->status != expect && r->status != also) {
        char why[640];
        dc_cli_http_refusal(r, why, sizeof why);
        fprintf(stderr, "deconflict load: %s: %s %s: %s\n", what, method, path, why);
        return -1;
    }
    return 0;
}

/* ---- parties ---- */

static int need_operator(struct loader *l)
{
    char why[512];
    if (l->have_operator || l->local != NULL)
        return 0;
    if (dc_cli_operator_key(l->operator_file, l->operator_key, sizeof l->operator_key, why,
                            sizeof why) != 0) {
        fprintf(stderr, "deconflict load: a party must be created: %s\n", why);
        return -1;
    }
    l->have_operator = 1;
    return 0;
}

static int party(struct loader *l, const char *name, const char *notation)
{
    dc_cli_http r;
    char what[128];
    snprintf(what, sizeof what, "party %s", name);
    if (json_object_get(l->keys, name) == NULL) {
        if (need_operator(l) != 0)
            return -1;
        json_t *body = json_pack("{s:s}", "name", name);
        if (notation != NULL)
            json_object_set_new(body, "notation", json_string(notation));
        int rc = step(l, what, NULL, "POST", "/v1/parties", body, 201, 201, &r);
        json_decref(body);
        if (rc != 0) {
            if (r.status == 409)
                fprintf(stderr,
                        "deconflict load: party %s exists on the server and %s has no key for "
                        "it: `deconflict party rotate %s --server URL` issues one (add it to the "
                        "file)\n",
                        name, l->keys_file ? l->keys_file : "(no --keys)", name);
            dc_cli_http_clear(&r);
            return -1;
        }
        json_object_set(l->keys, name, json_object_get(r.json, "key"));
        json_object_set(l->created, name, json_object_get(r.json, "key"));
        dc_cli_http_clear(&r);
        say(l, "   party %s: created\n", name);
    } else {
        /* a key from the file must still be the party's, and be that party's: another's would
         * submit the scenario's objects in the wrong name */
        int rc = step(l, what, name, "GET", "/v1/parties/me", NULL, 200, 200, &r);
        const char *whose = rc == 0 ? json_string_value(json_object_get(r.json, "name")) : NULL;
        if (rc == 0 && (whose == NULL || strcmp(whose, name) != 0)) {
            fprintf(stderr, "deconflict load: the key for %s in %s is %s's\n", name, l->keys_file,
                    whose ? whose : "no party");
            rc = -1;
        }
        dc_cli_http_clear(&r);
        if (rc != 0)
            return -1;
        say(l, "   party %s: key from %s\n", name, l->keys_file);
    }
    if (notation != NULL) {
        json_t *body = json_pack("{s:s}", "notation", notation);
        int rc = step(l, what, name, "PUT", "/v1/parties/me", body, 200, 200, &r);
        json_decref(body);
        dc_cli_http_clear(&r);
        return rc;
    }
    return 0;
}

/* Every party the scenario names: its "parties" first (with their notation), then any owner,
 * border country, grantor or grantee, sender or recipient not among them. */
static int parties(struct loader *l, json_t *root)
{
    json_t *meta = json_object_get(root, "deconflict"), *p, *one;
    const char *name;
    size_t i;
    json_object_foreach(json_object_get(meta, "parties"), name, p)
    {
        if (party(l, name, json_string_value(json_object_get(p, "notation"))) != 0)
            return -1;
    }
    json_t *others = json_array();
    json_array_foreach(json_object_get(meta, "borders"), i, one)
        json_array_append(others, json_object_get(one, "country"));
    json_array_foreach(json_object_get(meta, "grants"), i, one)
    {
        json_array_append(others, json_object_get(one, "grantor"));
        json_array_append(others, json_object_get(one, "grantee"));
    }
    json_array_foreach(json_object_get(meta, "messages"), i, one)
    {
        json_array_append(others, json_object_get(one, "from"));
        json_array_append(others, json_object_get(one, "to"));
    }
    json_array_foreach(json_object_get(root, "features"), i, one)
        json_array_append(others, json_object_get(json_object_get(one, "properties"), "owner"));
    int rc = 0;
    json_array_foreach(others, i, one)
    {
        const char *n = json_string_value(one);
        if (rc == 0 && n != NULL && json_object_get(l->keys, n) == NULL)
            rc = party(l, n, NULL);
    }
    json_decref(others);
    return rc;
}

/* ---- the parties' airspace ---- */

static json_t *polygon_volume(json_t *ring, const char *t0, const char *t1, double lo, double hi)
{
    json_t *vertices = json_array(), *pt;
    size_t i, n = json_array_size(ring);
    json_array_foreach(ring, i, pt)
    {
        if (i + 1 == n && n > 1 && json_equal(pt, json_array_get(ring, 0)))
            break; /* GeoJSON closes its rings; the API's outline is open */
        json_array_append_new(vertices, json_pack("{s:O,s:O}", "lat", json_array_get(pt, 1), "lng",
                                                  json_array_get(pt, 0)));
    }
    return json_pack("{s:{s:o},s:f,s:f,s:s,s:s}", "outline_polygon", "vertices", vertices,
                     "altitude_lower", lo, "altitude_upper", hi, "time_start", t0, "time_end", t1);
}

static int border(struct loader *l, json_t *b)
{
    const char *country = json_string_value(json_object_get(b, "country"));
    char file[PATH_MAX], name[128], why[256];
    if (country == NULL) {
        fprintf(stderr, "deconflict load: a border without its \"country\"\n");
        return -1;
    }
    snprintf(name, sizeof name, "%s.geojson", country);
    int found =
        l->borders_dir != NULL
            ? (snprintf(file, sizeof file, "%s/%s", l->borders_dir, name), access(file, R_OK) == 0)
            : dc_cli_borders_file(name, file, sizeof file) == 0;
    char *text = NULL;
    size_t length;
    if (!found || dc_cli_read_input(file, &text, &length, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict load: the border of %s: %s\n", country,
                found ? why : dc_cli_borders_hint);
        return -1;
    }
    json_t *fc = json_loadb(text, length, 0, NULL);
    free(text);
    json_t *feature = json_array_get(json_object_get(fc, "features"), 0);
    json_t *props = json_object_get(feature, "properties"),
           *geometry = json_object_get(feature, "geometry");
    const char *t0 = json_string_value(json_object_get(props, "time_start"));
    const char *t1 = json_string_value(json_object_get(props, "time_end"));
    const char *type = json_string_value(json_object_get(geometry, "type"));
    json_t *coords = json_object_get(geometry, "coordinates");
    if (t0 == NULL || t1 == NULL || type == NULL || !json_is_array(coords)) {
        fprintf(stderr, "deconflict load: %s is not a border of `make borders`\n", file);
        json_decref(fc);
        return -1;
    }
    json_t *volumes = json_array(), *poly;
    json_t *polys =
        strcmp(type, "MultiPolygon") == 0 ? json_incref(coords) : json_pack("[O]", coords);
    size_t i, vertices = 0;
    json_array_foreach(polys, i, poly)
    {
        json_t *v = polygon_volume(json_array_get(poly, 0), t0, t1, 0, 20000);
        vertices +=
            json_array_size(json_object_get(json_object_get(v, "outline_polygon"), "vertices"));
        json_array_append_new(volumes, v);
    }
    json_t *body =
        json_pack("{s:o,s:O}", "volumes", volumes, "admitted",
                  json_object_get(b, "admitted") ? json_object_get(b, "admitted") : json_array());
    char path[256], what[160];
    snprintf(path, sizeof path, "/v1/zones/%s-airspace", country);
    snprintf(what, sizeof what, "zone %s/%s-airspace", country, country);
    dc_cli_http r;
    int rc = step(l, what, country, "PUT", path, body, 201, 200, &r);
    if (rc == 0) {
        char admitted[512] = "";
        json_t *a;
        json_array_foreach(json_object_get(body, "admitted"), i, a)
            snprintf(admitted + strlen(admitted), sizeof admitted - strlen(admitted), "%s%s",
                     i ? ", " : "", json_string_value(a));
        say(l, "   %s declares its airspace (Natural Earth 10m, %zu vertices), admitting %s: %ld\n",
            country, vertices, admitted[0] ? admitted : "no one", r.status);
        l->accepted++;
    }
    dc_cli_http_clear(&r);
    json_decref(body);
    json_decref(polys);
    json_decref(fc);
    return rc;
}

static int grant(struct loader *l, json_t *g)
{
    const char *grantor = json_string_value(json_object_get(g, "grantor"));
    const char *grantee = json_string_value(json_object_get(g, "grantee"));
    const char *kind = json_string_value(json_object_get(g, "kind"));
    if (grantor == NULL || grantee == NULL || kind == NULL) {
        fprintf(stderr, "deconflict load: a grant is {\"grantor\", \"grantee\", \"kind\"}\n");
        return -1;
    }
    json_t *body = json_pack("{s:s,s:s}", "grantee", grantee, "kind", kind);
    char what[160];
    snprintf(what, sizeof what, "grant %s -> %s (%s)", grantor, grantee, kind);
    dc_cli_http r;
    int rc = step(l, what, grantor, "POST", "/v1/grants", body, 201, 200, &r);
    if (rc == 0)
        say(l, "   %s shares its %ss with %s: %ld\n", grantor, kind, grantee, r.status);
    dc_cli_http_clear(&r);
    json_decref(body);
    return rc;
}

/* The recipient's read-back of a message, as it acknowledges it: BLAKE2b-256 of the read-backs,
 * one a line (the API's digest). */
static int acknowledge(struct loader *l, const char *to, json_int_t id, json_t *readbacks)
{
    crypto_generichash_state h;
    unsigned char digest[32];
    char hex[65], path[96], what[96];
    size_t i;
    json_t *rb;
    crypto_generichash_init(&h, NULL, 0, sizeof digest);
    json_array_foreach(readbacks, i, rb)
    {
        const char *t = json_string_value(rb);
        if (i > 0)
            crypto_generichash_update(&h, (const unsigned char *)"\n", 1);
        crypto_generichash_update(&h, (const unsigned char *)(t ? t : ""), t ? strlen(t) : 0);
    }
    crypto_generichash_final(&h, digest, sizeof digest);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    json_t *body = json_pack("{s:s}", "digest", hex);
    snprintf(path, sizeof path, "/v1/messages/%lld/ack", (long long)id);
    snprintf(what, sizeof what, "%s acknowledges message %lld", to, (long long)id);
    dc_cli_http r;
    int rc = step(l, what, to, "POST", path, body, 200, 201, &r);
    if (rc == 0)
        say(l, "   %s confirms the read-back (digest %.12s...): %ld\n", to, hex, r.status);
    dc_cli_http_clear(&r);
    json_decref(body);
    return rc;
}

static int message(struct loader *l, json_t *m)
{
    const char *from = json_string_value(json_object_get(m, "from"));
    const char *to = json_string_value(json_object_get(m, "to"));
    json_t *body =
        json_pack("{s:s,s:O,s:O}", "to", to ? to : "", "text",
                  json_object_get(m, "text") ? json_object_get(m, "text") : json_string(""),
                  "coordinates", json_object_get(m, "coordinates"));
    if (from == NULL || to == NULL || body == NULL) {
        json_decref(body);
        fprintf(stderr, "deconflict load: a message is {\"from\", \"to\", \"text\", "
                        "\"coordinates\"}\n");
        return -1;
    }
    char what[160];
    snprintf(what, sizeof what, "message %s -> %s", from, to);
    dc_cli_http r;
    int rc = step(l, what, from, "POST", "/v1/messages", body, 201, 200, &r);
    json_decref(body);
    json_int_t id = rc == 0 ? json_integer_value(json_object_get(r.json, "id")) : 0;
    dc_cli_http_clear(&r);
    if (rc != 0)
        return rc;
    /* what the recipient reads: its own notation's read-back of each coordinate */
    rc = step(l, what, to, "GET", "/v1/messages", NULL, 200, 200, &r);
    json_t *item, *readbacks = json_array();
    size_t i;
    json_array_foreach(rc == 0 ? json_object_get(r.json, "items") : NULL, i, item)
    {
        if (json_integer_value(json_object_get(item, "id")) != id)
            continue;
        json_t *c;
        size_t k;
        json_array_foreach(json_object_get(item, "coordinates"), k, c)
            json_array_append(readbacks, json_object_get(c, "readback"));
    }
    dc_cli_http_clear(&r);
    if (rc == 0) {
        char *sent = json_dumps(json_object_get(m, "coordinates"), JSON_COMPACT);
        char *read = json_dumps(readbacks, JSON_COMPACT);
        say(l, "   %s -> %s over the direct line: %s; %s reads %s\n", from, to, sent, to, read);
        free(sent);
        free(read);
    }
    if (rc == 0 && json_is_true(json_object_get(m, "acknowledge")))
        rc = acknowledge(l, to, id, readbacks);
    const char *hazard = json_string_value(json_object_get(m, "then_hazard"));
    if (rc == 0 && hazard != NULL)
        json_object_set_new(l->messages, hazard, json_integer(id));
    json_decref(readbacks);
    return rc;
}

/* ---- the objects ---- */

/* A position of the API from a GeoJSON one, or the scenario's text for it ("position_text"). */
static json_t *position(json_t *lonlat, json_t *text)
{
    if (json_is_string(text))
        return json_incref(text);
    return json_pack("{s:O,s:O}", "lat", json_array_get(lonlat, 1), "lng",
                     json_array_get(lonlat, 0));
}

static json_t *number_or(json_t *props, const char *name, double fallback)
{
    json_t *v = json_object_get(props, name);
    return json_is_number(v) ? json_incref(v) : json_real(fallback);
}

/* The volumes one feature adds (Polygon, MultiPolygon, Point with radius). */
static void feature_volumes(json_t *feature, json_t *text, json_t *out)
{
    json_t *props = json_object_get(feature, "properties"),
           *geometry = json_object_get(feature, "geometry");
    const char *type = json_string_value(json_object_get(geometry, "type"));
    json_t *coords = json_object_get(geometry, "coordinates");
    json_t *bands = json_pack(
        "{s:o,s:o,s:O,s:O}", "altitude_lower",
        number_or(props, "altitude_lower", DC_ALTITUDE_MIN_M), "altitude_upper",
        number_or(props, "altitude_upper", DC_ALTITUDE_MAX_M), "time_start",
        json_object_get(props, "time_start"), "time_end", json_object_get(props, "time_end"));
    if (strcmp(type, "Point") == 0) {
        json_t *v = json_pack("{s:{s:o,s:O}}", "outline_circle", "center", position(coords, text),
                              "radius", json_object_get(props, "radius"));
        json_object_update(v, bands);
        json_array_append_new(out, v);
    } else {
        json_t *polys =
            strcmp(type, "MultiPolygon") == 0 ? json_incref(coords) : json_pack("[O]", coords);
        json_t *poly;
        size_t i;
        json_array_foreach(polys, i, poly)
        {
            json_t *v = polygon_volume(json_array_get(poly, 0), "", "", 0, 0);
            json_object_update(v, bands);
            json_array_append_new(out, v);
        }
        json_decref(polys);
    }
    json_decref(bands);
}

static json_t *route_of(json_t *feature)
{
    json_t *props = json_object_get(feature, "properties");
    json_t *coords = json_object_get(json_object_get(feature, "geometry"), "coordinates");
    json_t *times = json_object_get(props, "waypoint_times"),
           *alts = json_object_get(props, "waypoint_altitudes");
    json_t *waypoints = json_array(), *c;
    size_t i;
    json_array_foreach(coords, i, c) json_array_append_new(
        waypoints, json_pack("{s:o,s:O,s:O}", "position", position(c, NULL), "altitude",
                             json_array_get(alts, i), "time", json_array_get(times, i)));
    return json_pack("{s:o,s:O}", "waypoints", waypoints, "buffers",
                     json_object_get(props, "buffers"));
}

/* The API body of the object made of `features` (one id), as scenario.c reads them. */
static json_t *object_body(json_t *features, json_t *text, json_int_t from_message,
                           const char **why)
{
    json_t *first = json_array_get(features, 0), *props = json_object_get(first, "properties");
    json_t *geometry = json_object_get(first, "geometry");
    const char *kind = json_string_value(json_object_get(props, "kind"));
    const char *type = json_string_value(json_object_get(geometry, "type"));
    json_t *body = json_object();
    if (strcmp(kind, "site") == 0) {
        if (json_array_size(features) != 1) {
            *why = "a site is one feature";
            json_decref(body);
            return NULL;
        }
        if (strcmp(type, "Point") == 0)
            json_object_set_new(body, "location",
                                position(json_object_get(geometry, "coordinates"), text));
        else
            json_object_set_new(
                body, "outline_polygon",
                json_object_get(
                    polygon_volume(json_array_get(json_object_get(geometry, "coordinates"), 0), "",
                                   "", 0, 0),
                    "outline_polygon"));
        json_object_set_new(body, "radius", number_or(props, "radius", 0));
        json_object_set(body, "time_start", json_object_get(props, "time_start"));
        json_object_set(body, "time_end", json_object_get(props, "time_end"));
        if (json_object_get(props, "label"))
            json_object_set(body, "label", json_object_get(props, "label"));
        return body;
    }
    if (strcmp(kind, "zone") == 0) {
        json_object_set_new(body, "admitted",
                            json_object_get(props, "admitted")
                                ? json_incref(json_object_get(props, "admitted"))
                                : json_array());
    } else {
        json_t *priority = json_object_get(props, "priority");
        json_object_set_new(body, "priority", priority ? json_incref(priority) : json_integer(0));
        if (json_object_get(props, "state"))
            json_object_set(body, "state", json_object_get(props, "state"));
    }
    if (strcmp(kind, "hazard") == 0) {
        json_t *hk = json_object_get(props, "hazard_kind");
        json_object_set_new(body, "hazard_kind", hk ? json_incref(hk) : json_string("strike"));
        if (from_message > 0)
            json_object_set_new(body, "from_message", json_integer(from_message));
    }
    if (strcmp(type, "LineString") == 0) {
        if (json_array_size(features) != 1 || strcmp(kind, "zone") == 0) {
            *why = "a route (LineString) is an intent's or a hazard's only feature";
            json_decref(body);
            return NULL;
        }
        json_object_set_new(body, "route", route_of(first));
        return body;
    }
    json_t *volumes = json_array(), *f;
    size_t i;
    json_array_foreach(features, i, f)
    {
        const char *t = json_string_value(json_object_get(json_object_get(f, "geometry"), "type"));
        if (strcmp(t, "LineString") == 0) {
            *why = "a route (LineString) is an intent's or a hazard's only feature";
            json_decref(volumes);
            json_decref(body);
            return NULL;
        }
        feature_volumes(f, text, volumes);
    }
    json_object_set_new(body, "volumes", volumes);
    return body;
}

static void told(struct loader *l, const char *owner, json_t *notices)
{
    json_t *n;
    size_t i;
    json_array_foreach(notices, i, n)
    {
        json_t *other = json_object_get(n, "counterpart");
        const char *kind = json_string_value(json_object_get(other, "kind"));
        int vowel = kind != NULL && strchr("aeiou", kind[0]) != NULL;
        say(l, "      told %s: %s because of %s %s of %s (%s), %s .. %s\n", owner,
            json_string_value(json_object_get(n, "action")), vowel ? "an" : "a", kind,
            json_string_value(json_object_get(other, "party")),
            json_string_value(json_object_get(n, "reason")),
            json_string_value(json_object_get(n, "time_start")),
            json_string_value(json_object_get(n, "time_end")));
    }
}

static int object(struct loader *l, json_t *features, json_t *meta)
{
    json_t *props = json_object_get(json_array_get(features, 0), "properties");
    const char *kind = json_string_value(json_object_get(props, "kind"));
    const char *id = json_string_value(json_object_get(props, "id"));
    const char *owner = json_string_value(json_object_get(props, "owner"));
    json_t *text = json_object_get(json_object_get(meta, "position_text"), id);
    const char *why = NULL;
    json_t *body =
        object_body(features, text, json_integer_value(json_object_get(l->messages, id)), &why);
    if (body == NULL) {
        fprintf(stderr, "deconflict load: %s %s: %s\n", kind, id, why);
        l->failed++;
        return -1;
    }
    char path[256], seg[200], what[200];
    dc_cli_http_segment(id, seg, sizeof seg);
    snprintf(path, sizeof path, "/v1/%ss/%s", kind, seg);
    snprintf(what, sizeof what, "%s %s/%s", kind, owner, id);
    dc_cli_http r;
    /* a refusal (409) is the scenario's outcome, not the load's failure */
    int rc = step(l, what, owner, "PUT", path, body, 201, 409, &r);
    json_decref(body);
    if (rc != 0) {
        l->failed++;
        dc_cli_http_clear(&r);
        return -1;
    }
    int refused = r.status == 409;
    if (refused)
        l->refused++;
    else
        l->accepted++;
    say(l, "   %s submits %s %s: %s\n", owner, kind, id, refused ? "REFUSED" : "accepted");
    told(l, owner, json_object_get(r.json, "notices"));
    dc_cli_http_clear(&r);
    return 0;
}

/* Features grouped by id, in the order each id first appears (scenario.c's objects). */
static int objects(struct loader *l, json_t *root)
{
    json_t *groups = json_object(), *order = json_array(), *f;
    size_t i;
    json_array_foreach(json_object_get(root, "features"), i, f)
    {
        const char *id = json_string_value(json_object_get(json_object_get(f, "properties"), "id"));
        json_t *g = json_object_get(groups, id);
        if (g == NULL) {
            g = json_array();
            json_object_set_new(groups, id, g);
            json_array_append_new(order, json_string(id));
        }
        json_array_append(g, f);
    }
    json_t *id;
    json_array_foreach(order, i, id)
        object(l, json_object_get(groups, json_string_value(id)),
               json_object_get(root, "deconflict")); /* each said; the next still goes */
    json_decref(groups);
    json_decref(order);
    return 0;
}

/* ---- keys and the run ---- */

static int read_keys(struct loader *l)
{
    l->keys = json_object();
    if (l->keys_file == NULL || access(l->keys_file, F_OK) != 0)
        return 0; /* a file to create */
    json_error_t e;
    json_t *doc = json_load_file(l->keys_file, 0, &e);
    const char *name;
    json_t *key;
    int ok = json_is_object(doc);
    json_object_foreach(doc, name, key) ok &= json_is_string(key);
    if (!ok) {
        fprintf(stderr, "deconflict load: --keys %s is not {\"party\": \"key\", ...}%s%s\n",
                l->keys_file, doc == NULL ? ": " : "", doc == NULL ? e.text : "");
        json_decref(doc);
        return -1;
    }
    json_object_update(l->keys, doc);
    json_decref(doc);
    return 0;
}

/* The keys back to their file, readable by its owner only, whole or not at all. */
static int write_keys(struct loader *l)
{
    if (l->keys_file == NULL || json_object_size(l->created) == 0)
        return 0;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", l->keys_file, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    char *text = json_dumps(l->keys, JSON_INDENT(1) | JSON_SORT_KEYS);
    int ok = fd >= 0 && text != NULL && fchmod(fd, 0600) == 0 &&
             write(fd, text, strlen(text)) == (ssize_t)strlen(text) && write(fd, "\n", 1) == 1 &&
             fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    ok = ok && rename(tmp, l->keys_file) == 0;
    free(text);
    if (!ok) {
        unlink(tmp);
        fprintf(stderr, "deconflict load: cannot write the keys to %s\n", l->keys_file);
        return -1;
    }
    return 0;
}

/* The scenario's text: SCENARIO, SCENARIO/scenario.geojson, or standard input. */
static char *scenario_text(const char *arg, size_t *length)
{
    char path[PATH_MAX], why[512];
    struct stat st;
    snprintf(path, sizeof path, "%s", arg);
    if (strcmp(arg, "-") != 0 && stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(path, sizeof path, "%s/scenario.geojson", arg);
    char *text = NULL;
    if (dc_cli_read_input(path, &text, length, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict load: %s\n", why);
        return NULL;
    }
    /* checked whole, as `deconflict check` reads it, before anything is sent */
    dc_geom *geom = NULL;
    dc_scenario sc;
    dc_error err;
    dc_status rc = dc_geom_new(&geom);
    if (rc == DC_OK)
        rc = dc_scenario_parse(geom, text, *length, &sc, &err);
    if (rc == DC_OK)
        dc_scenario_free(&sc);
    dc_geom_free(geom);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict load: %s: %s: %s (nothing was sent)\n", dc_cli_input_name(path),
                dc_status_name(rc), rc == DC_NOMEM ? "out of memory" : err.message);
        free(text);
        return NULL;
    }
    return text;
}

static int run(struct loader *l, json_t *root)
{
    json_t *meta = json_object_get(root, "deconflict"), *one;
    size_t i;
    const char *title = json_string_value(json_object_get(root, "title"));
    say(l, "== %s\n", title ? title : "(untitled scenario)");
    if (parties(l, root) != 0)
        return -1;
    json_array_foreach(json_object_get(meta, "borders"), i, one) if (border(l, one) != 0) return -1;
    json_array_foreach(json_object_get(meta, "grants"), i, one) if (grant(l, one) != 0) return -1;
    json_array_foreach(json_object_get(meta, "messages"), i,
                       one) if (message(l, one) != 0) return -1;
    return objects(l, root);
}

static int load_and_report(struct loader *l, const char *scenario)
{
    size_t length;
    char *text = scenario_text(scenario, &length);
    json_t *root = text ? json_loadb(text, length, 0, NULL) : NULL;
    free(text);
    if (root == NULL || read_keys(l) != 0) {
        json_decref(root);
        json_decref(l->keys);
        return 2;
    }
    l->created = json_object();
    l->steps = json_array();
    l->messages = json_object();
    int rc = run(l, root);
    if (write_keys(l) != 0)
        rc = -1;
    if (l->json) {
        json_t *doc = json_pack(
            "{s:O?,s:s,s:I,s:I,s:I,s:O,s:o}", "scenario", json_object_get(root, "title"), "server",
            l->local ? "(in this process)" : l->server, "accepted", (json_int_t)l->accepted,
            "refused", (json_int_t)l->refused, "failed", (json_int_t)(l->failed + (rc != 0)),
            "parties_created", l->keys_file ? json_null() : l->created, "steps", l->steps);
        if (l->keys_file != NULL) {
            json_t *names = json_array();
            const char *name;
            json_t *k;
            json_object_foreach(l->created, name, k)
                json_array_append_new(names, json_string(name));
            json_object_set_new(doc, "parties_created", names);
            json_object_set_new(doc, "keys_file", json_string(l->keys_file));
        }
        char *out = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        if (out != NULL)
            puts(out);
        free(out);
        json_decref(doc);
    } else {
        const char *name;
        json_t *k;
        if (l->keys_file == NULL && l->local == NULL)
            json_object_foreach(l->created, name, k)
                printf("   key of %s: %s (shown once)\n", name, json_string_value(k));
        else if (l->keys_file != NULL && json_object_size(l->created) > 0)
            printf("   keys of the new parties: %s\n", l->keys_file);
        printf("%zu accepted, %zu refused, %zu failed\n", l->accepted, l->refused,
               l->failed + (rc != 0));
        json_decref(l->steps);
    }
    int status = rc != 0 || l->failed > 0 || l->refused > 0 ? 1 : 0;
    json_decref(root);
    json_decref(l->keys);
    json_decref(l->created);
    json_decref(l->messages);
    sodium_memzero(l->operator_key, sizeof l->operator_key);
    return status;
}

int dc_cli_load(int argc, char **argv)
{
    struct loader l = {0};
    const char *server = NULL, *scenario = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            l.json = 1;
        } else if (strcmp(a, "--server") == 0 && has) {
            server = argv[++i];
        } else if (strcmp(a, "--operator-key-file") == 0 && has) {
            l.operator_file = argv[++i];
        } else if (strcmp(a, "--keys") == 0 && has) {
            l.keys_file = argv[++i];
        } else if (strcmp(a, "--borders") == 0 && has) {
            l.borders_dir = argv[++i];
        } else if ((a[0] != '-' || a[1] == '\0') && scenario == NULL) {
            scenario = a;
        } else {
            fprintf(stderr, "deconflict load: unexpected '%s'\n%s", a, help);
            return 2;
        }
    }
    char why[512];
    if (scenario == NULL) {
        fprintf(stderr, "deconflict load: SCENARIO is required\n%s", help);
        return 2;
    }
    if (dc_cli_http_server(server, l.server, sizeof l.server, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict load: %s\n", why);
        return 2;
    }
    return load_and_report(&l, scenario);
}

int dc_cli_check_in_process(const char *scenario, int json, const char *borders_dir)
{
    char dir[] = "/tmp/deconflict-check-XXXXXX", db[64];
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "deconflict check: no temporary directory: %s\n", strerror(errno));
        return 2;
    }
    snprintf(db, sizeof db, "%s/check.db", dir);
    struct loader l = {0};
    l.json = json;
    l.borders_dir = borders_dir;
    dc_error err;
    char operator_key[64];
    int status = 2;
    if (dc_local_api_open(db, operator_key, &l.local, &err) != DC_OK) {
        fprintf(stderr, "deconflict check: %s\n", err.message);
    } else {
        dc_copy_text(l.operator_key, sizeof l.operator_key, operator_key);
        status = load_and_report(&l, scenario);
    }
    dc_local_api_close(l.local);
    sodium_memzero(operator_key, sizeof operator_key);
    static const char *const files[] = {"check.db",     "check.db-wal",  "check.db-shm",
                                        "check.db.key", "check.db.head", NULL};
    for (int i = 0; files[i] != NULL; i++) {
        char path[96];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return status;
}
