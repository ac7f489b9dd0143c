/* protocol.c - what every answer shares with HTTP's conventions, whichever route gives it: a
 * problem's type names the failure (by the HTTP status where that alone says what went wrong,
 * else by the library's status) and resolves to a page that documents it; 405 says what is
 * allowed; entity tags are versions, and If-Match / If-None-Match are preconditions on them; a
 * route refuses query parameters it does not read, as a body refuses unknown members. */
#include "api_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A problem type: its name in "/problems/<name>", its title, and what a client does about it.
 * The first rows are named by their HTTP status; the rest by the library's status (dc_status). */
struct problem_type {
    const char *name;
    int http;         /* the HTTP status that alone names it, or 0 */
    dc_status status; /* the library status it stands for otherwise */
    const char *title;
    const char *text;
};

static const struct problem_type types[] = {
    {"unauthorized", 401, DC_FORBIDDEN, "Unauthorized",
     "The request has no key, or one the server does not know or has revoked. Send "
     "\"Authorization: Bearer &lt;your key&gt;\" with the key the operator gave your party."},
    {"forbidden", 403, DC_FORBIDDEN, "Forbidden",
     "The key is known but may not do this: an operator-only route, another party's object, a "
     "priority above your ceiling."},
    {"not-found", 404, DC_NOT_FOUND, "Not found",
     "No such route, or no object of this id that you may see. Another party's object you have "
     "no grant for is not found, never forbidden: its existence is not disclosed."},
    {"method-not-allowed", 405, DC_INVALID, "Method not allowed",
     "The route exists but not with this method; the Allow header lists those it takes."},
    {"not-acceptable", 406, DC_UNSUPPORTED, "Not acceptable",
     "The Accept header admits none of the representations this route has: application/json "
     "(and application/geo+json for objects and tracks)."},
    {"precondition-failed", 412, DC_STALE, "Precondition failed",
     "If-Match or If-None-Match did not hold: the object is at another version (its ETag), "
     "exists where none was wanted, or does not exist. Read it again and decide."},
    {"too-large", 413, DC_RANGE, "Content too large",
     "The body is longer than the server's limit (--body-limit). Split the request."},
    {"target-too-long", 414, DC_RANGE, "Request target too long",
     "The path and query are longer than the server reads."},
    {"unsupported-media-type", 415, DC_UNSUPPORTED, "Unsupported media type",
     "A body is application/json (position reports and sensor tracks also application/x-ndjson)."},
    {"rate-limited", 429, DC_BUSY, "Too many requests",
     "Your party has used its bucket of this kind of request. Wait the Retry-After seconds; the "
     "operator sets each party's rates."},
    {"headers-too-large", 431, DC_RANGE, "Request header fields too large",
     "The headers are longer than the server reads."},
    {"invalid", 0, DC_INVALID, "Invalid input",
     "The request is malformed: bad JSON, an unknown member or query parameter, a value of the "
     "wrong type or form. `pointer` names the member; nothing was changed."},
    {"ambiguous", 0, DC_AMBIGUOUS, "Ambiguous input",
     "A coordinate could be read more than one way (which is latitude, which hemisphere). Write "
     "it with hemisphere letters or in decimal degrees; nothing was changed."},
    {"range", 0, DC_RANGE, "Out of range",
     "A value is outside what it may be: a latitude past 90, a time window that ends before it "
     "starts, an altitude out of bounds. `pointer` names it; nothing was changed."},
    {"unsupported", 0, DC_UNSUPPORTED, "Not supported",
     "The request asks for something this server does not do."},
    {"conflict", 0, DC_CONFLICT, "Conflict",
     "The object conflicts with objects it must yield to (the notices say which, as far as you "
     "may know), or the state of what you address does not allow this."},
    {"stale", 0, DC_STALE, "Stale version",
     "The version you sent is not the object's current one: read it, then send it again with "
     "its version (or If-Match)."},
    {"limit", 0, DC_LIMIT, "Over a published limit",
     "The request exceeds a published limit (vertices, volumes, legs, work to check it, a batch "
     "larger than your bucket). Use smaller or simpler parts; nothing was changed."},
    {"busy", 0, DC_BUSY, "Busy: try again later",
     "The server could not finish this now (the objects around yours kept changing while it "
     "was checked). Nothing was written: send it again after Retry-After."},
    {"store", 0, DC_STORE, "Storage error",
     "The server's store failed. Nothing was changed; the operator has the server's log."},
    {"nomem", 0, DC_NOMEM, "Out of memory", "The server ran out of memory; nothing was changed."},
    {"internal", 0, DC_INTERNAL, "Internal error",
     "The server failed in a way it should not; nothing was changed."},
};

static const struct problem_type *type_of(int http, dc_status status)
{
    size_t n = sizeof types / sizeof types[0];
    for (size_t i = 0; i < n; i++)
        if (types[i].http != 0 && types[i].http == http)
            return &types[i];
    for (size_t i = 0; i < n; i++)
        if (types[i].http == 0 && types[i].status == status)
            return &types[i];
    return &types[n - 1];
}

/* Whether `text` is UTF-8 that JSON can carry (jansson's own check). */
static int utf8_valid(const char *text)
{
    json_t *probe = json_string(text);
    json_decref(probe);
    return probe != NULL;
}

void dc_api_problem(dc_api_response *res, int http_status, dc_status status, const char *pointer,
                    const char *detail)
{
    const struct problem_type *t = type_of(http_status, status);
    char type[64];
    snprintf(type, sizeof type, "/problems/%s", t->name);
    json_decref(res->json);
    res->status = http_status;
    res->content_type = "application/problem+json";
    const char *text = detail ? detail : dc_strerror(status);
    char clean[512];
    /* a message may quote the input, and JSON holds only UTF-8: past the first byte that is not,
     * the answer would have had no body (found by fuzz_request) */
    if (!utf8_valid(text)) {
        dc_copy_text(clean, sizeof clean, text);
        for (char *c = clean; *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
        text = clean;
    }
    res->json = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title", t->title, "status",
                          http_status, "detail", text);
    if (pointer != NULL && utf8_valid(pointer))
        json_object_set_new(res->json, "pointer", json_string(pointer));
}

/* GET /problems and /problems/{name}: the documentation a problem's type resolves to. */
void dc__api_problem_page(const dc_api_request *req, dc_api_response *res)
{
    const char *name = strncmp(req->path, "/problems/", 10) == 0 ? req->path + 10 : NULL;
    size_t n = sizeof types / sizeof types[0], size = 4096;
    char *page = malloc(size);
    if (page == NULL) {
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        return;
    }
    size_t used = (size_t)snprintf(page, size,
                                   "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
                                   "<title>Deconflict problem types</title><h1>%s</h1>",
                                   name ? "Deconflict problem type" : "Deconflict problem types");
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (name != NULL && strcmp(name, types[i].name) != 0)
            continue;
        found = 1;
        char status[48] = "";
        if (types[i].http != 0)
            snprintf(status, sizeof status, " (HTTP %d)", types[i].http);
        int k = snprintf(page + used, size - used, "<h2 id=\"%s\">/problems/%s: %s%s</h2><p>%s</p>",
                         types[i].name, types[i].name, types[i].title, status, types[i].text);
        if (k < 0 || (size_t)k >= size - used) {
            size *= 2;
            char *grown = realloc(page, size);
            if (grown == NULL) {
                free(page);
                dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
                return;
            }
            page = grown;
            i--; /* write this one again into the larger page */
            continue;
        }
        used += (size_t)k;
    }
    if (!found) {
        free(page);
        dc_api_problem(res, 404, DC_NOT_FOUND, NULL, "no such problem type: see /problems");
        return;
    }
    res->status = 200;
    res->text = page;
    res->content_type = "text/html; charset=utf-8";
}

void dc__api_method_not_allowed(dc_api_response *res, const char *allowed)
{
    char detail[96];
    snprintf(detail, sizeof detail, "allowed: %s", allowed);
    dc_api_problem(res, 405, DC_INVALID, NULL, detail);
    /* where GET is, HEAD is too (dc_api_handle answers it as GET without the body) */
    const char *get = strstr(allowed, "GET");
    snprintf(res->allow, sizeof res->allow, "%s%s", allowed, get ? ", HEAD" : "");
}

int dc__api_query_allowed(const dc_api_request *req, const char *allowed, dc_api_response *res)
{
    char detail[192];
    if (req->query_count > DC_API_QUERY_MAX) {
        snprintf(detail, sizeof detail, "at most %d query parameters", DC_API_QUERY_MAX);
        dc_api_problem(res, 400, DC_INVALID, NULL, detail);
        return -1;
    }
    for (size_t i = 0; i < req->query_count; i++) {
        const char *name = req->query_names[i];
        size_t len = strlen(name);
        int known = 0;
        for (const char *a = allowed ? allowed : ""; *a && !known;) {
            size_t w = strcspn(a, " ");
            known = w == len && strncmp(a, name, len) == 0;
            a += w + (a[w] == ' ');
        }
        for (size_t j = 0; known && j < i; j++)
            if (strcmp(req->query_names[j], name) == 0) {
                snprintf(detail, sizeof detail, "the query parameter '%.40s' is given twice", name);
                dc_api_problem(res, 400, DC_INVALID, NULL, detail);
                return -1;
            }
        if (!known) {
            if (allowed != NULL && allowed[0] != '\0')
                snprintf(detail, sizeof detail,
                         "unknown query parameter '%.40s': this route takes %s", name, allowed);
            else
                snprintf(detail, sizeof detail,
                         "unknown query parameter '%.40s': this route takes none", name);
            dc_api_problem(res, 400, DC_INVALID, NULL, detail);
            return -1;
        }
    }
    return 0;
}

void dc__api_etag(dc_api_response *res, int64_t version)
{
    snprintf(res->etag, sizeof res->etag, "\"%lld\"", (long long)version);
}

/* Whether the header's entity tags (`*`, or a list of "N") match `version` (-1: no object).
 * 1 match, 0 no match, -1 not a header this server's tags can be compared with. A weak tag
 * (W/"N") never matches strongly: this server gives none. */
static int tags_match(const char *header, int64_t version)
{
    const char *p = header;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strcmp(p, "*") == 0)
        return version >= 0;
    int any = 0, match = 0;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        int weak = strncmp(p, "W/", 2) == 0;
        if (weak)
            p += 2;
        if (*p != '"')
            return -1;
        char *end = NULL;
        long long v = strtoll(p + 1, &end, 10);
        if (end == p + 1 || *end != '"' || !isdigit((unsigned char)p[1]))
            return -1;
        match |= !weak && version >= 0 && v == version;
        any = 1;
        p = end + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '\0' && *p != ',')
            return -1;
    }
    return any ? match : -1;
}

int dc__api_preconditions(const dc_api_request *req, int64_t version, int reading,
                          dc_api_response *res)
{
    const char *which = NULL;
    int held = 1;
    if (req->if_match != NULL) {
        int m = tags_match(req->if_match, version);
        which = "If-Match";
        held = m == 1;
        if (m < 0) {
            dc_api_problem(res, 400, DC_INVALID, NULL,
                           "If-Match holds * or entity tags as this server gives them (\"3\")");
            return -1;
        }
    }
    if (held && req->if_none_match != NULL) {
        int m = tags_match(req->if_none_match, version);
        which = "If-None-Match";
        held = m == 0;
        if (m < 0) {
            dc_api_problem(res, 400, DC_INVALID, NULL,
                           "If-None-Match holds * or entity tags as this server gives them "
                           "(\"3\")");
            return -1;
        }
    }
    if (held)
        return 0;
    if (reading && strcmp(which, "If-None-Match") == 0) {
        /* a read of what the client already holds: 304, the tag and no body (RFC 9110 15.4.5) */
        json_decref(res->json);
        res->json = NULL;
        res->text = strdup("");
        res->status = 304;
        dc__api_etag(res, version);
        return -1;
    }
    char detail[160];
    if (version < 0)
        snprintf(detail, sizeof detail, "%s did not hold: there is no such object", which);
    else
        snprintf(detail, sizeof detail,
                 "%s did not hold: the object is at version %lld (ETag "
                 "\"%lld\")",
                 which, (long long)version, (long long)version);
    dc_api_problem(res, 412, DC_STALE, NULL, detail);
    if (version >= 0)
        dc__api_etag(res, version);
    return -1;
}
