/* http.c - the CLI's client of a running deconflictd over libcurl: one request a call, JSON in
 * and out, bearer keys; the refusal's problem+json turned into one line */
#include "http.h"
#include "cli.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DC_CLI_RESPONSE_MAX ((size_t)256 << 20)

int dc_cli_http_server(const char *text, char *out, size_t size, char *why, size_t why_size)
{
    if (text == NULL || text[0] == '\0') {
        snprintf(why, why_size, "--server URL is required (e.g. http://127.0.0.1:8080)");
        return -1;
    }
    if (strncmp(text, "http://", 7) != 0 && strncmp(text, "https://", 8) != 0) {
        snprintf(why, why_size, "--server is a URL starting http:// or https://, not '%s'", text);
        return -1;
    }
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '/')
        n--;
    if (n + 1 > size || n <= 8) {
        snprintf(why, why_size, "--server '%s' is not a usable URL", text);
        return -1;
    }
    memcpy(out, text, n);
    out[n] = '\0';
    return 0;
}

struct sink {
    char *data;
    size_t length, capacity;
    int too_big;
};

static size_t collect(char *bytes, size_t size, size_t count, void *ctx)
{
    struct sink *s = ctx;
    size_t n = size * count;
    if (s->length + n + 1 > DC_CLI_RESPONSE_MAX) {
        s->too_big = 1;
        return 0; /* curl stops the transfer */
    }
    if (s->length + n + 1 > s->capacity) {
        size_t cap = s->capacity ? s->capacity : 16384;
        while (cap < s->length + n + 1)
            cap *= 2;
        char *bigger = realloc(s->data, cap);
        if (bigger == NULL)
            return 0;
        s->data = bigger;
        s->capacity = cap;
    }
    memcpy(s->data + s->length, bytes, n);
    s->length += n;
    s->data[s->length] = '\0';
    return n;
}

static int initialised;

int dc_cli_http_init(void)
{
    if (!initialised && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    initialised = 1;
    return 0;
}

/* "Retry-After: 5" (seconds; the HTTP-date form is not what deconflictd sends) */
static size_t header(char *bytes, size_t size, size_t count, void *ctx)
{
    size_t n = size * count;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(bytes, name, sizeof name - 1) == 0) {
        long v = 0;
        size_t i = sizeof name - 1;
        while (i < n && (bytes[i] == ' ' || bytes[i] == '\t'))
            i++;
        while (i < n && isdigit((unsigned char)bytes[i]) && v < 86400)
            v = v * 10 + (bytes[i++] - '0');
        *(int *)ctx = (int)(v < 86400 ? v : 86400);
    }
    return n;
}

int dc_cli_http_call(const char *server, const char *method, const char *path, const char *key,
                     json_t *body, dc_cli_http *out)
{
    return dc_cli_http_call_within(server, method, path, key, body, 300, out);
}

int dc_cli_http_call_within(const char *server, const char *method, const char *path,
                            const char *key, json_t *body, long timeout_s, dc_cli_http *out)
{
    memset(out, 0, sizeof *out);
    if (dc_cli_http_init() != 0) {
        snprintf(out->error, sizeof out->error, "the HTTP client cannot start");
        return -1;
    }
    CURL *curl = curl_easy_init();
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    size_t url_size = strlen(server) + strlen(path) + 1;
    char *url = malloc(url_size);
    struct curl_slist *headers = NULL;
    char auth[160];
    struct sink sink = {0};
    if (curl == NULL || url == NULL || (body != NULL && text == NULL)) {
        snprintf(out->error, sizeof out->error, "out of memory");
        curl_easy_cleanup(curl);
        free(url);
        free(text);
        return -1;
    }
    snprintf(url, url_size, "%s%s", server, path);
    headers = curl_slist_append(headers, "Accept: application/json, application/problem+json");
    if (text != NULL)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    if (key != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out->retry_after_s);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "deconflict-cli");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    if (text != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
    }
    CURLcode rc = curl_easy_perform(curl);
    int result = 0;
    if (rc != CURLE_OK) {
        snprintf(out->error, sizeof out->error, "cannot reach %s: %s", server,
                 sink.too_big ? "the response is larger than 256 MiB" : curl_easy_strerror(rc));
        free(sink.data);
        result = -1;
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = sink.data;
        out->length = sink.length;
        if (out->body != NULL)
            out->json = json_loadb(out->body, out->length, 0, NULL);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    free(text);
    return result;
}

void dc_cli_http_clear(dc_cli_http *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

void dc_cli_http_refusal(const dc_cli_http *r, char *out, size_t size)
{
    const char *title = json_string_value(json_object_get(r->json, "title"));
    const char *detail = json_string_value(json_object_get(r->json, "detail"));
    const char *pointer = json_string_value(json_object_get(r->json, "pointer"));
    if (r->status == 401)
        snprintf(out, size,
                 "401: the server does not know this key (a wrong, revoked or "
                 "other server's key?)");
    else if (detail != NULL || title != NULL)
        snprintf(out, size, "%ld %s%s%s%s%s", r->status, title ? title : "",
                 title && detail ? ": " : "", detail ? detail : "", pointer ? " at " : "",
                 pointer ? pointer : "");
    else
        snprintf(out, size, "%ld (%.120s)", r->status,
                 r->body != NULL && r->body[0] ? r->body : "no body");
}

int dc_cli_operator_key(const char *file, char *key, size_t size, char *why, size_t why_size)
{
    key[0] = '\0';
    if (file != NULL) {
        char *text = NULL;
        size_t n = 0;
        if (dc_cli_read_input(file, &text, &n, why, why_size) != 0)
            return -1;
        snprintf(key, size, "%s", text);
        free(text);
    } else if (getenv("DC_OPERATOR_KEY") != NULL) {
        snprintf(key, size, "%s", getenv("DC_OPERATOR_KEY"));
    } else {
        snprintf(why, why_size,
                 "the operator key is needed: --operator-key-file FILE (the "
                 "server prints where it is at start) or DC_OPERATOR_KEY");
        return -1;
    }
    size_t n = strlen(key);
    while (n > 0 && isspace((unsigned char)key[n - 1]))
        key[--n] = '\0';
    if (n == 0 || strchr(key, '\n') != NULL || strchr(key, '\r') != NULL) {
        snprintf(why, why_size, "%s does not hold one key on one line",
                 file ? file : "DC_OPERATOR_KEY");
        return -1;
    }
    return 0;
}

void dc_cli_http_segment(const char *name, char *out, size_t size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < size; p++) {
        if (isalnum(*p) || *p == '.' || *p == '_' || *p == '-')
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, size - n, "%%%02X", *p);
    }
    out[n] = '\0';
}
