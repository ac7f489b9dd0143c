/* request.c - deconflictd's requests through libmicrohttpd: what is refused before a body is
 * read, the body, authentication, the page's files, the answer and its headers, the log line */
#include "server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Called with the request target as sent, before libmicrohttpd decodes it in place (after which
 * a %00 has cut the C string it hands on: "/v1/intents/alias%00x" would read as ".../alias").
 * The request's state starts here. */
void *dc__server_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct request *rq = calloc(1, sizeof *rq);
    if (rq == NULL)
        return NULL; /* on_request makes one */
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    dc_copy_text(rq->method, sizeof rq->method, "-");
    dc_copy_text(rq->path, sizeof rq->path, "-");
    rq->uri_size = strlen(uri);
    for (const char *p = strchr(uri, '%'); p != NULL; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0')
            rq->nul_escape = 1;
    return rq;
}

/* Whether the request line held a raw NUL byte in its target, which on_uri's strlen stopped at.
 * libmicrohttpd hands on `url` and `version` as pointers into the request line it read, the
 * target from `url` up to the space before `version`; a target longer than the text on_uri saw
 * went on past a NUL. Pointers that are not so placed (HTTP/0.9 has no version) say nothing. */
static int raw_nul(const char *url, const char *version, size_t seen)
{
    uintptr_t u = (uintptr_t)url, v = (uintptr_t)version;
    if (v <= u || v - u > DC_SERVER_CONNECTION_MEMORY)
        return 0;
    return v - u - 1 != seen;
}

/* The headers that decide how a body is framed and read, and their total size. */
struct header_scan {
    size_t bytes;
    int content_length, transfer_encoding, content_type;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct header_scan *h = cls;
    h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    h->content_length += strcasecmp(key, "Content-Length") == 0;
    h->transfer_encoding += strcasecmp(key, "Transfer-Encoding") == 0;
    h->content_type += strcasecmp(key, "Content-Type") == 0;
    return MHD_YES;
}

/* Whether `ctype` is `type`, alone or with "; charset=utf-8" (any case, optionally quoted). */
static int media_type_is(const char *ctype, const char *type)
{
    size_t n = strlen(type);
    if (ctype == NULL || strncasecmp(ctype, type, n) != 0)
        return 0;
    const char *p = ctype + n;
    p += strspn(p, " \t");
    if (*p == '\0')
        return 1;
    if (*p++ != ';')
        return 0;
    p += strspn(p, " \t");
    if (strncasecmp(p, "charset=", 8) != 0)
        return 0;
    p += 8;
    if (strncasecmp(p, "utf-8", 5) == 0)
        p += 5;
    else if (strncasecmp(p, "\"utf-8\"", 7) == 0)
        p += 7;
    else
        return 0;
    p += strspn(p, " \t");
    return *p == '\0';
}

/* Batches of position reports and of sensor track updates may come one object a line. */
static int takes_ndjson(const char *url)
{
    return strcmp(url, "/v1/tracks") == 0 || strcmp(url, "/v1/sensor-tracks") == 0;
}

/* The path as decoded: only the bytes of names and ids, and '/'. Nothing the API serves needs
 * more, and a byte a handler does not expect cannot reach one. */
int dc__api_path_valid(const char *path)
{
    for (const char *p = path; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '/'))
            return 0;
    return path[0] == '/';
}

/* What is wrong with a request before its body is read, as problem+json in `res`; 0 when
 * nothing is. A refusal here is sent at once and the connection closed: with its framing in
 * doubt, nothing after it on the connection can be trusted to be a request. */
static int refuse_early(struct MHD_Connection *conn, const char *method, const char *url,
                        const struct request *rq, dc_api_response *res)
{
    struct header_scan h = {0, 0, 0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    char detail[160];
    if (rq->uri_size > DC_SERVER_URI_MAX) {
        snprintf(detail, sizeof detail, "the request target has %zu bytes; at most %d",
                 rq->uri_size, DC_SERVER_URI_MAX);
        dc_api_problem(res, 414, DC_RANGE, NULL, detail);
    } else if (h.bytes > DC_SERVER_HEADERS_MAX) {
        snprintf(detail, sizeof detail, "the headers have %zu bytes; at most %d", h.bytes,
                 DC_SERVER_HEADERS_MAX);
        dc_api_problem(res, 431, DC_RANGE, NULL, detail);
    } else if (h.content_length > 1 || h.transfer_encoding > 1 || h.content_type > 1) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "Content-Length, Transfer-Encoding and Content-Type may each be sent once");
    } else if (h.content_length == 1 && h.transfer_encoding == 1) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "Content-Length and Transfer-Encoding together: which one frames the body?");
    } else if (te != NULL && strcasecmp(te, "chunked") != 0) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "the only transfer coding accepted is Transfer-Encoding: chunked");
    } else if (rq->nul_escape) {
        dc_api_problem(res, 400, DC_INVALID, NULL, "the URL holds a NUL byte (raw or as %00)");
    } else if (!dc__api_path_valid(url)) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "a path holds only A-Z a-z 0-9 . _ - and /, once percent-decoded");
    } else if ((te != NULL || (cl != NULL && strcmp(cl, "0") != 0)) &&
               !media_type_is(ctype, "application/json") &&
               !(strcmp(method, "POST") == 0 && takes_ndjson(url) &&
                 media_type_is(ctype, "application/x-ndjson"))) {
        snprintf(detail, sizeof detail, "a body is application/json%s, not %.60s",
                 takes_ndjson(url) ? " or application/x-ndjson" : "", ctype ? ctype : "unlabelled");
        dc_api_problem(res, 415, DC_UNSUPPORTED, NULL, detail);
    } else {
        return 0;
    }
    return 1;
}

static double elapsed_s(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static const char *query_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result query_name(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    (void)value;
    dc_api_request *req = cls;
    if (req->query_count < DC_API_QUERY_MAX)
        req->query_names[req->query_count] = key;
    req->query_count++;
    return req->query_count > DC_API_QUERY_MAX ? MHD_NO : MHD_YES;
}

/* ---- headers on every answer ----
 * The page holds a party's key and shows strings other parties wrote (labels, messages, aircraft),
 * so the browser is told to run nothing but the page's own files: no inline script or style, no
 * eval, markup only through Trusted Types' default policy (web/src/policy.js lets through Leaflet's
 * few constant strings), fetches only to this origin, never inside another site's frame. An API
 * answer opened on its own renders nothing and runs nothing. libmicrohttpd's own refusals
 * (docs/SECURITY-INPUT.md) go out before any callback and carry none of this. */
static const char page_policy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; "
    "trusted-types default";
static const char api_policy[] =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void dc__server_security_headers(struct MHD_Response *r, enum dc__answer kind)
{
    MHD_add_response_header(r, "Content-Security-Policy",
                            kind == DC_ANSWER_PAGE ? page_policy : api_policy);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    /* frame-ancestors' older form, for browsers that predate it */
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    /* API answers hold a party's data: kept by no cache. The page's files hold none, and are
     * revalidated so that a new build is seen at once. */
    MHD_add_response_header(r, "Cache-Control", kind == DC_ANSWER_PAGE ? "no-cache" : "no-store");
}

enum MHD_Result dc__server_send(struct MHD_Connection *conn, struct request *rq,
                                dc_api_response *res)
{
    char *text = res->text;
    if (text == NULL && res->json != NULL)
        text = json_dumps(res->json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (text == NULL) {
        text = strdup("{}");
        res->content_type = "application/json";
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type",
                            res->content_type ? res->content_type : "application/json");
    dc__server_security_headers(r, DC_ANSWER_API);
    if (res->location[0] != '\0' && res->status == 201)
        MHD_add_response_header(r, "Location", res->location);
    if (res->allow[0] != '\0')
        MHD_add_response_header(r, "Allow", res->allow);
    if (res->etag[0] != '\0')
        MHD_add_response_header(r, "ETag", res->etag);
    if (res->status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    if (res->next[0] != '\0') {
        char link[sizeof res->next + 16];
        snprintf(link, sizeof link, "<%s>; rel=\"next\"", res->next);
        MHD_add_response_header(r, "Link", link);
    }
    if (res->retry_after_s > 0) {
        char seconds[24];
        snprintf(seconds, sizeof seconds, "%d", res->retry_after_s);
        MHD_add_response_header(r, "Retry-After", seconds);
    }
    rq->status = res->status;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    json_decref(res->json);
    return ok;
}

void dc__api_authenticate(dc_api *api, const char *authorization, dc_api_request *req)
{
    uint8_t hash[DC_HASH_BYTES];
    if (authorization == NULL || strncmp(authorization, "Bearer ", 7) != 0 ||
        dc_party_key_hash(authorization + 7, hash) != DC_OK)
        return;
    if (dc_party_key_equal(hash, api->operator_hash)) {
        req->authenticated = req->is_operator = 1;
        snprintf(req->party.name, sizeof req->party.name, "operator");
        return;
    }
    if (dc_service_authenticate(&api->svc, hash, &req->party) == DC_OK)
        req->authenticated = 1;
}

/* The type a file of the page is served as, by its extension; browsers are told not to guess
 * (nosniff), so an unknown one is only ever downloaded. */
static const char *static_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".mjs", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json"},
                 {".geojson", "application/geo+json"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".csv", "text/csv; charset=utf-8"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* The operations picture: files under --web, for anyone (they hold no data; the page asks the
 * API with the party's key). Paths are plain names only. 1 when this answered the request (the
 * file, or 404 for a path under the page that names no file), 0 when the API is to. */
static int serve_static(struct server *s, struct MHD_Connection *conn, const char *url,
                        struct request *rq, enum MHD_Result *result)
{
    if (s->config->web == NULL || strncmp(url, "/v1/", 4) == 0 || strcmp(url, "/metrics") == 0 ||
        strcmp(url, "/problems") == 0 || strncmp(url, "/problems/", 10) == 0)
        return 0;
    const char *name = strcmp(url, "/") == 0 ? "/index.html" : url;
    int plain = name[0] == '/';
    for (const char *p = name + 1; plain && *p; p++)
        plain = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '.' || *p == '-' || *p == '_' || *p == '/') &&
                !(p[0] == '.' && p[1] == '.');
    char path[512];
    int n = snprintf(path, sizeof path, "%s%s", s->config->web, name);
    FILE *f = plain && n > 0 && (size_t)n < sizeof path ? fopen(path, "rb") : NULL;
    struct stat st;
    char *data = NULL;
    /* a directory opens too; only a regular file is a page's file */
    if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        data = malloc((size_t)st.st_size + 1);
        if (data != NULL && fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
            free(data);
            data = NULL;
        }
    }
    if (f != NULL)
        fclose(f);
    if (data == NULL) {
        dc_api_response res;
        memset(&res, 0, sizeof res);
        dc_api_problem(&res, 404, DC_NOT_FOUND, NULL, "no such file of the operations picture");
        *result = dc__server_send(conn, rq, &res);
        return 1;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer((size_t)st.st_size, data, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", static_type(name));
    dc__server_security_headers(r, DC_ANSWER_PAGE);
    rq->status = 200;
    *result = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return 1;
}

enum MHD_Result dc__server_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload,
                                      size_t *upload_size, void **state)
{
    struct server *s = cls;
    struct request *rq = *state;
    if (rq == NULL) {
        rq = calloc(1, sizeof *rq);
        if (rq == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        *state = rq;
    }
    if (!rq->started) {
        rq->started = 1;
        dc_copy_text(rq->method, sizeof rq->method, method);
        dc_copy_text(rq->path, sizeof rq->path, url);
        rq->nul_escape |= raw_nul(url, version, rq->uri_size);
        dc_api_response early;
        memset(&early, 0, sizeof early);
        if (refuse_early(conn, method, url, rq, &early))
            return dc__server_send(conn, rq, &early);
        /* Refuse an announced oversize body before reading it. libmicrohttpd has checked that
         * Content-Length is digits only and fits 64 bits. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl != NULL && strtoull(cl, NULL, 10) > s->config->body_limit)
            rq->too_large = 1;
        dc__watch_phase(s, conn, WATCH_BODY);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!rq->too_large && rq->length + *upload_size <= s->config->body_limit) {
            if (rq->length + *upload_size + 1 > rq->capacity) {
                size_t cap = (rq->length + *upload_size + 1) * 2;
                if (cap > s->config->body_limit + 1)
                    cap = s->config->body_limit + 1;
                char *grown = realloc(rq->body, cap);
                if (grown == NULL)
                    return MHD_NO;
                rq->body = grown;
                rq->capacity = cap;
            }
            memcpy(rq->body + rq->length, upload, *upload_size);
            rq->length += *upload_size;
            rq->body[rq->length] = '\0';
        } else {
            rq->too_large = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    dc__watch_phase(s, conn, WATCH_ANSWERING);
    dc_api_response res;
    memset(&res, 0, sizeof res);
    enum MHD_Result served;
    int head = strcmp(method, "HEAD") == 0;
    if ((head || strcmp(method, "GET") == 0) && serve_static(s, conn, url, rq, &served))
        return served;
    if (rq->too_large) {
        char detail[96];
        snprintf(detail, sizeof detail, "the body exceeds %zu bytes", s->config->body_limit);
        dc_api_problem(&res, 413, DC_RANGE, NULL, detail);
        return dc__server_send(conn, rq, &res);
    }
    dc_api_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = rq->body ? rq->body : "";
    req.body_length = rq->length;
    req.query = query_arg;
    req.query_ctx = conn;
    req.last_event_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    req.if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match");
    req.if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    req.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_name, &req);
    dc__api_authenticate(&s->api,
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"), &req);
    if (req.authenticated)
        dc_copy_text(rq->party, sizeof rq->party, req.party.name);
    dc_api_handle(&s->api, &req, &res);
    if (res.stream && !head)
        return dc__stream_start(conn, &s->api, rq, &res);
    if (res.stream) { /* HEAD of a stream: its headers, and no events */
        res.text = strdup("");
        res.content_type = "text/event-stream";
    }
    return dc__server_send(conn, rq, &res);
}

void dc__server_on_completed(void *cls, struct MHD_Connection *conn, void **state,
                             enum MHD_RequestTerminationCode why)
{
    (void)why;
    struct server *s = cls;
    struct request *rq = *state;
    dc__watch_phase(s, conn, WATCH_HEADERS); /* the next request's deadline starts now */
    if (rq == NULL)
        return;
    double seconds = elapsed_s(&rq->start);
    dc__metrics_request(&s->api, rq->status, seconds, rq->stream);
    if (!s->config->quiet) {
        fprintf(stderr, "%s %s party=%s status=%d us=%.0f\n", rq->method, rq->path,
                rq->party[0] ? rq->party : "-", rq->status, seconds * 1e6);
    }
    free(rq->body);
    free(rq);
    *state = NULL;
}
