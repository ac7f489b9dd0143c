/* border.c - a border from any RFC 7946 GeoJSON (polygons, multipolygons, features, collections),
 * on the monitor's zone grid for inside tests, crossings and distances */
#include "deconflict/replay.h"
#include "monitor_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct dc__border_index {
    struct zone_grid grid;
};

void dc_sha256_hex(const void *bytes, size_t length, char out[DC_SHA256_HEX])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, bytes, length);
    sodium_bin2hex(out, DC_SHA256_HEX, digest, sizeof digest);
}

/* Properties that may name an area, in the order a name is taken from them. */
static const char *const name_keys[] = {"name", "NAME", "ADMIN", "owner", "A3", "ISO_A3", "id"};

/* Equal but for case, and spaces, underscores and hyphens alike ("Saudi Arabia" is saudi-arabia).
 */
static int same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
        x = x == ' ' || x == '_' ? '-' : x;
        y = y == ' ' || y == '_' ? '-' : y;
        if (x != y)
            return 0;
        if (x == '\0')
            return 1;
    }
}

static const char *text_of(json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

struct reader {
    dc_border *out;
    size_t ring_capacity;
    const char *select;
    json_t *first_props; /* of the first feature taken */
    int found;
    dc_error *err;
};

static dc_status add_ring(struct reader *r, json_t *ring, const char *where)
{
    size_t n = json_array_size(ring);
    if (!json_is_array(ring) || n < 4)
        return dc_error_set(r->err, DC_INVALID, where, DC_NO_POSITION,
                            "a ring needs at least 4 positions, the last repeating the first");
    dc_point *points = dc_calloc(n, sizeof *points);
    if (points == NULL)
        return dc_error_set(r->err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    dc_status rc = DC_OK;
    for (size_t k = 0; k < n && rc == DC_OK; k++) {
        json_t *pos = json_array_get(ring, k);
        json_t *lon = json_array_get(pos, 0), *lat = json_array_get(pos, 1);
        dc_point p = {json_number_value(lat), json_number_value(lon)};
        if (!json_is_number(lon) || !json_is_number(lat) || dc_point_validate(p) != DC_OK) {
            char field[96];
            snprintf(field, sizeof field, "%s/%zu", where, k);
            rc = dc_error_set(r->err, DC_INVALID, field, DC_NO_POSITION,
                              "a position is [longitude, latitude] in degrees");
        }
        points[k] = p;
    }
    if (rc == DC_OK && (points[0].lat != points[n - 1].lat || points[0].lon != points[n - 1].lon))
        rc = dc_error_set(r->err, DC_INVALID, where, DC_NO_POSITION,
                          "a ring must end where it begins");
    /* twice the signed area (shoelace, in degrees): zero for a ring that bounds nothing */
    double area = 0;
    for (size_t k = 0; rc == DC_OK && k + 1 < n; k++)
        area += points[k].lon * points[k + 1].lat - points[k + 1].lon * points[k].lat;
    if (rc == DC_OK && area == 0)
        rc = dc_error_set(r->err, DC_INVALID, where, DC_NO_POSITION, "a ring must enclose an area");
    dc_border *b = r->out;
    if (rc == DC_OK) {
        dc_point **rings = dc_grow(b->rings, &r->ring_capacity, b->ring_count, sizeof *rings, 8);
        size_t cap = r->ring_capacity;
        size_t *sizes = rings ? dc_realloc(b->sizes, cap * sizeof *sizes) : NULL;
        if (rings != NULL)
            b->rings = rings;
        if (sizes == NULL)
            rc = dc_error_set(r->err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
        else
            b->sizes = sizes;
    }
    if (rc != DC_OK) {
        dc_free(points);
        return rc;
    }
    b->rings[b->ring_count] = points;
    b->sizes[b->ring_count++] = n - 1; /* the closing repeat is implied */
    b->vertex_count += n - 1;
    return DC_OK;
}

static dc_status add_polygon(struct reader *r, json_t *rings, const char *where)
{
    if (!json_is_array(rings) || json_array_size(rings) == 0)
        return dc_error_set(r->err, DC_INVALID, where, DC_NO_POSITION,
                            "a polygon is an array of rings");
    for (size_t i = 0; i < json_array_size(rings); i++) {
        char field[96];
        snprintf(field, sizeof field, "%s/%zu", where, i);
        dc_status rc = add_ring(r, json_array_get(rings, i), field);
        if (rc != DC_OK)
            return rc;
    }
    r->found = 1;
    return DC_OK;
}

static dc_status add_geometry(struct reader *r, json_t *geometry, const char *where, int depth)
{
    const char *type = text_of(geometry, "type");
    json_t *coords = json_object_get(geometry, "coordinates");
    char field[96];
    snprintf(field, sizeof field, "%s/coordinates", where);
    if (type == NULL)
        return dc_error_set(r->err, DC_INVALID, where, DC_NO_POSITION, "a geometry needs a type");
    if (strcmp(type, "Polygon") == 0)
        return add_polygon(r, coords, field);
    if (strcmp(type, "MultiPolygon") == 0) {
        if (!json_is_array(coords))
            return dc_error_set(r->err, DC_INVALID, field, DC_NO_POSITION,
                                "a MultiPolygon is an array of polygons");
        for (size_t i = 0; i < json_array_size(coords); i++) {
            char poly[96];
            snprintf(poly, sizeof poly, "%s/%zu", field, i);
            dc_status rc = add_polygon(r, json_array_get(coords, i), poly);
            if (rc != DC_OK)
                return rc;
        }
        return DC_OK;
    }
    if (strcmp(type, "GeometryCollection") == 0 && depth < 4) {
        json_t *members = json_object_get(geometry, "geometries");
        for (size_t i = 0; i < json_array_size(members); i++) {
            char member[96];
            snprintf(member, sizeof member, "%s/geometries/%zu", where, i);
            dc_status rc = add_geometry(r, json_array_get(members, i), member, depth + 1);
            if (rc != DC_OK)
                return rc;
        }
    }
    return DC_OK; /* points and lines bound no area */
}

static int selected(const struct reader *r, json_t *props)
{
    const char *kind = text_of(props, "kind");
    if (kind != NULL && strcmp(kind, "zone") != 0)
        return 0;
    if (r->select == NULL)
        return 1;
    for (size_t i = 0; i < sizeof name_keys / sizeof *name_keys; i++) {
        const char *name = text_of(props, name_keys[i]);
        if (name != NULL && same_name(name, r->select))
            return 1;
    }
    return 0;
}

static dc_status add_feature(struct reader *r, json_t *feature, const char *where)
{
    json_t *props = json_object_get(feature, "properties");
    if (!selected(r, props))
        return DC_OK;
    json_t *geometry = json_object_get(feature, "geometry");
    if (json_is_null(geometry) || geometry == NULL)
        return DC_OK;
    char field[96];
    snprintf(field, sizeof field, "%s/geometry", where);
    int had = r->found;
    dc_status rc = add_geometry(r, geometry, field, 0);
    if (rc == DC_OK && !had && r->found)
        r->first_props = props;
    return rc;
}

/* What the border is called and where it came from: the first feature taken, then the
 * collection, then the file. */
static void describe(dc_border *b, json_t *root, json_t *props, const char *file_name,
                     const char *select)
{
    const char *base = file_name ? strrchr(file_name, '/') : NULL;
    base = base ? base + 1 : file_name ? file_name : "border";
    dc_copy_text(b->file, sizeof b->file, file_name ? base : "");
    const char *name = NULL;
    for (size_t i = 0; name == NULL && i < sizeof name_keys / sizeof *name_keys; i++)
        name = text_of(props, name_keys[i]);
    if (name == NULL)
        name = text_of(root, "name");
    if (name == NULL)
        name = select;
    if (name != NULL) {
        dc_copy_text(b->name, sizeof b->name, name);
    } else {
        size_t n = strcspn(base, ".");
        snprintf(b->name, sizeof b->name, "%.*s", (int)(n ? n : strlen(base)), base);
    }
    const char *source = text_of(props, "source");
    source = source ? source : text_of(root, "source");
    source = source ? source : text_of(root, "title");
    dc_copy_text(b->source, sizeof b->source, source ? source : base);
    const char *licence = text_of(props, "licence");
    licence = licence ? licence : text_of(props, "license");
    licence = licence ? licence : text_of(root, "licence");
    licence = licence ? licence : text_of(root, "license");
    dc_copy_text(b->licence, sizeof b->licence, licence ? licence : "not stated in the file");
}

dc_status dc_border_parse(const char *text, size_t length, const char *file_name,
                          const char *select, dc_border *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, length, 0, &jerr);
    if (root == NULL)
        return dc_error_set(err, DC_INVALID, "", jerr.position, "%s: not JSON: %s",
                            file_name ? file_name : "border", jerr.text);
    struct reader r = {out, 0, select, NULL, 0, err};
    const char *type = text_of(root, "type");
    dc_status rc = DC_OK;
    if (type != NULL && strcmp(type, "FeatureCollection") == 0) {
        json_t *features = json_object_get(root, "features");
        if (!json_is_array(features))
            rc = dc_error_set(err, DC_INVALID, "/features", DC_NO_POSITION,
                              "a FeatureCollection needs an array of features");
        for (size_t i = 0; rc == DC_OK && i < json_array_size(features); i++) {
            char where[32];
            snprintf(where, sizeof where, "/features/%zu", i);
            rc = add_feature(&r, json_array_get(features, i), where);
        }
    } else if (type != NULL && strcmp(type, "Feature") == 0) {
        rc = add_feature(&r, root, "");
    } else if (type != NULL && select == NULL) {
        rc = add_geometry(&r, root, "", 0);
    } else if (type == NULL) {
        rc = dc_error_set(err, DC_INVALID, "/type", DC_NO_POSITION, "GeoJSON needs a type");
    }
    if (rc == DC_OK && !r.found)
        rc = dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION,
                          "no Polygon or MultiPolygon%s%s in %s", select ? " named " : "",
                          select ? select : "", file_name ? file_name : "the text");
    if (rc == DC_OK) {
        describe(out, root, r.first_props, file_name, select);
        dc_sha256_hex(text, length, out->sha256);
        out->bytes = length;
        out->index = dc_calloc(1, sizeof *out->index);
        rc = out->index
                 ? dc__zone_grid_add(&out->index->grid, 0, (const dc_point *const *)out->rings,
                                     out->sizes, out->ring_count)
                 : DC_NOMEM;
        if (rc == DC_NOMEM)
            dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    }
    json_decref(root);
    if (rc != DC_OK)
        dc_border_clear(out);
    return rc;
}

/* A file's bytes (dc_free). */
static dc_status read_file(const char *path, char **text, size_t *length, dc_error *err)
{
    *text = NULL;
    *length = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "cannot read %s", path);
    size_t capacity = 0;
    dc_status rc = DC_OK;
    for (;;) {
        char *grown = dc_grow(*text, &capacity, *length, 1, 1 << 16);
        if (grown == NULL) {
            rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory reading %s", path);
            break;
        }
        *text = grown;
        size_t got = fread(*text + *length, 1, capacity - *length, f);
        *length += got;
        if (got == 0)
            break;
    }
    if (rc == DC_OK && ferror(f))
        rc = dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "cannot read %s", path);
    fclose(f);
    if (rc != DC_OK) {
        dc_free(*text);
        *text = NULL;
        *length = 0;
    }
    return rc;
}

dc_status dc_sha256_file(const char *path, char out[DC_SHA256_HEX], size_t *bytes, dc_error *err)
{
    char *text;
    size_t length;
    dc_status rc = read_file(path, &text, &length, err);
    if (rc == DC_OK) {
        dc_sha256_hex(text, length, out);
        *bytes = length;
    }
    dc_free(text);
    return rc;
}

dc_status dc_border_load(const char *path, const char *select, dc_border *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    char *text;
    size_t length;
    dc_status rc = read_file(path, &text, &length, err);
    if (rc == DC_OK)
        rc = dc_border_parse(text, length, path, select, out, err);
    dc_free(text);
    return rc;
}

void dc_border_clear(dc_border *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->ring_count; i++)
        dc_free(b->rings[i]);
    dc_free(b->rings);
    dc_free(b->sizes);
    if (b->index != NULL)
        dc__zone_grid_free(&b->index->grid);
    dc_free(b->index);
    memset(b, 0, sizeof *b);
}

int dc_border_contains(const dc_border *b, dc_point p)
{
    uint32_t zones[4];
    return b->index != NULL && dc__zones_at(&b->index->grid, p, zones, 4) > 0;
}

dc_status dc_border_distance(const dc_border *b, dc_point p, double max_m, double *distance_m,
                             dc_point *nearest)
{
    struct zone_nearest n;
    if (b->index == NULL || !dc__zone_nearest(&b->index->grid, p, max_m, &n))
        return DC_NOT_FOUND;
    *distance_m = n.distance_m;
    if (nearest != NULL) {
        const struct segment *s = &b->index->grid.segs[n.seg];
        *nearest = (dc_point){s->y0 + (s->y1 - s->y0) * n.t, s->x0 + (s->x1 - s->x0) * n.t};
    }
    return DC_OK;
}

/* For the replay measurement beside this file. */
const struct zone_grid *dc__border_grid(const dc_border *b)
{
    return b->index ? &b->index->grid : NULL;
}
