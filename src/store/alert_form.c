/* alert_form.c - an alert stored once: what its copies share, what each alone reads, and a
 * repetition as a JSON merge patch (RFC 7396) to its episode's first alert
 *
 * Before this, every copy of every alert was a full JSON document: 260 bytes, twice for a zone
 * alert (the aircraft's owner and the zone's), and a repetition every 30 s of an incursion that
 * lasts an hour stored the same document 120 times over with a new time and position. Here a
 * copy costs the recipient's name and the members only it sees (a zone alert's predicted entry
 * goes to the aircraft's owner alone), and a repetition costs the members that changed (its
 * number, time, position: ~90 bytes). Reading puts the document back member for member, in the
 * order it was written: jansson keeps insertion order, a patched member keeps its place and a
 * recipient's own members come last, as dc_service_alert_json writes them. Numbers are re-encoded
 * with 12 significant digits, which is how alert texts are written (codec.c), so a repetition
 * reads back byte for byte.
 */
#include "store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

/* jansson allocates with malloc; what we hand out comes from dc_malloc. */
static char *dump(const json_t *value)
{
    char *text = json_dumps(value, FORM_FLAGS);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    char *out = dc_malloc(n + 1);
    if (out != NULL)
        memcpy(out, text, n + 1);
    free(text);
    return out;
}

static char *copy(const char *text)
{
    size_t n = strlen(text);
    char *out = dc_malloc(n + 1);
    if (out != NULL)
        memcpy(out, text, n + 1);
    return out;
}

static json_t *load_object(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

char *dc__alert_recipients_join(const char *const *recipients, size_t n)
{
    size_t size = 1;
    for (size_t k = 0; k < n; k++)
        size += strlen(recipients[k]) + 1;
    char *text = dc_malloc(size);
    if (text == NULL)
        return NULL;
    size_t at = 0;
    text[0] = '\0';
    for (size_t k = 0; k < n; k++)
        at += (size_t)snprintf(text + at, size - at, "%s%s", k ? "," : "", recipients[k]);
    return text;
}

dc_status dc__alert_split(const char *const *texts, size_t n, char **common, char **extras)
{
    *common = NULL;
    for (size_t k = 0; k < n; k++)
        extras[k] = NULL;
    if (n == 0)
        return DC_INVALID;
    int same = 1;
    for (size_t k = 1; k < n; k++)
        same = same && strcmp(texts[k], texts[0]) == 0;
    if (same) {
        *common = copy(texts[0]);
        return *common != NULL ? DC_OK : DC_NOMEM;
    }
    json_t **views = dc_calloc(n, sizeof *views);
    json_t *shared = json_object();
    dc_status rc = views != NULL && shared != NULL ? DC_OK : DC_NOMEM;
    for (size_t k = 0; rc == DC_OK && k < n; k++)
        if ((views[k] = load_object(texts[k])) == NULL)
            rc = DC_INVALID;
    const char *key;
    json_t *value;
    if (rc == DC_OK)
        json_object_foreach(views[0], key, value)
        {
            int everywhere = 1;
            for (size_t k = 1; everywhere && k < n; k++)
                everywhere = json_equal(json_object_get(views[k], key), value);
            if (everywhere && json_object_set(shared, key, value) != 0)
                rc = DC_NOMEM;
        }
    for (size_t k = 0; rc == DC_OK && k < n; k++) {
        json_t *own = json_object();
        json_object_foreach(views[k], key, value) if (json_object_get(shared, key) == NULL)
            json_object_set(own, key, value);
        if (own != NULL && json_object_size(own) > 0 && (extras[k] = dump(own)) == NULL)
            rc = DC_NOMEM;
        if (own == NULL)
            rc = DC_NOMEM;
        json_decref(own);
    }
    if (rc == DC_OK && (*common = dump(shared)) == NULL)
        rc = DC_NOMEM;
    for (size_t k = 0; views != NULL && k < n; k++)
        json_decref(views[k]);
    dc_free(views);
    json_decref(shared);
    if (rc != DC_OK) {
        dc_free(*common);
        *common = NULL;
        for (size_t k = 0; k < n; k++) {
            dc_free(extras[k]);
            extras[k] = NULL;
        }
    }
    return rc;
}

/* The merge patch from `base` to `target` (objects), or NULL when they are equal. */
static json_t *diff(json_t *base, json_t *target)
{
    json_t *patch = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(target, key, value)
    {
        json_t *was = json_object_get(base, key);
        if (was != NULL && json_is_object(was) && json_is_object(value)) {
            json_t *inner = diff(was, value);
            if (inner != NULL)
                json_object_set_new(patch, key, inner);
        } else if (was == NULL || !json_equal(was, value)) {
            json_object_set(patch, key, value);
        }
    }
    json_object_foreach(base, key, value) if (json_object_get(target, key) == NULL)
        json_object_set_new(patch, key, json_null());
    if (json_object_size(patch) == 0) {
        json_decref(patch);
        return NULL;
    }
    return patch;
}

dc_status dc__alert_patch(const char *base, const char *target, char **out)
{
    *out = NULL;
    json_t *b = load_object(base), *t = load_object(target);
    dc_status rc = b != NULL && t != NULL ? DC_OK : DC_INVALID;
    json_t *patch = rc == DC_OK ? diff(b, t) : NULL;
    if (rc == DC_OK) {
        *out = patch != NULL ? dump(patch) : copy("{}");
        rc = *out != NULL ? DC_OK : DC_NOMEM;
    }
    json_decref(patch);
    json_decref(b);
    json_decref(t);
    return rc;
}

static void apply(json_t *target, json_t *patch)
{
    const char *key;
    json_t *value;
    json_object_foreach(patch, key, value)
    {
        json_t *was = json_object_get(target, key);
        if (json_is_null(value))
            json_object_del(target, key);
        else if (json_is_object(value) && was != NULL && json_is_object(was))
            apply(was, value);
        else
            json_object_set(target, key, value);
    }
}

dc_status dc__alert_text(const char *base, const char *patch, const char *extra, char **text)
{
    *text = NULL;
    if (patch == NULL && extra == NULL) {
        *text = copy(base);
        return *text != NULL ? DC_OK : DC_NOMEM;
    }
    json_t *doc = load_object(base);
    json_t *p = patch != NULL ? load_object(patch) : NULL;
    json_t *e = extra != NULL ? load_object(extra) : NULL;
    dc_status rc = doc != NULL && (patch == NULL || p != NULL) && (extra == NULL || e != NULL)
                       ? DC_OK
                       : DC_INVALID;
    if (rc == DC_OK) {
        if (p != NULL)
            apply(doc, p);
        if (e != NULL)
            json_object_update(doc, e);
        *text = dump(doc);
        rc = *text != NULL ? DC_OK : DC_NOMEM;
    }
    json_decref(doc);
    json_decref(p);
    json_decref(e);
    return rc;
}

size_t dc__alert_recipients(char *text, const char *out[8])
{
    size_t n = 0;
    for (char *p = text; *p != '\0' && n < 8;) {
        size_t len = strcspn(p, ",");
        out[n++] = p;
        if (p[len] == '\0')
            break;
        p[len] = '\0';
        p += len + 1;
    }
    return n;
}
