/* http.h - the CLI's client of a running deconflictd (libcurl) */
#ifndef DECONFLICT_CLI_HTTP_H
#define DECONFLICT_CLI_HTTP_H

#include <jansson.h>
#include <stddef.h>

typedef struct dc_cli_http {
    long status; /* the HTTP status; 0 when no response came */
    char *body;  /* the response body, NUL-terminated (or NULL) */
    size_t length;
    json_t *json;      /* the body as JSON, or NULL */
    char error[512];   /* why no response came, or what a refusal said */
    int retry_after_s; /* the Retry-After header's seconds (429, 503); 0 when none */
} dc_cli_http;

/* A server URL as given (--server): http:// or https://, no trailing slash kept. 0, or -1 with
 * the reason in `why`. */
int dc_cli_http_server(const char *text, char *out, size_t size, char *why, size_t why_size);

/* METHOD server+path with `key` as the bearer (NULL: none) and `body` as JSON (NULL: none).
 * 0 when a response came (any status), -1 when none did (out->error says why). */
int dc_cli_http_call(const char *server, const char *method, const char *path, const char *key,
                     json_t *body, dc_cli_http *out);
void dc_cli_http_clear(dc_cli_http *r);

/* dc_cli_http_call with at most `timeout_s` seconds for the whole exchange (a feed must not wait
 * 300 s on a stalled server while its source keeps sending). */
int dc_cli_http_call_within(const char *server, const char *method, const char *path,
                            const char *key, json_t *body, long timeout_s, dc_cli_http *out);

/* The HTTP client's process-wide start, before any thread calls it. 0, or -1. */
int dc_cli_http_init(void);

/* "401 unauthorized: the key is not known" from a problem+json response, or the status. */
void dc_cli_http_refusal(const dc_cli_http *r, char *out, size_t size);

/* The operator key: from `file` (--operator-key-file), else $DC_OPERATOR_KEY. 0, or -1 with the
 * reason in `why`. */
int dc_cli_operator_key(const char *file, char *key, size_t size, char *why, size_t why_size);

/* A party or path name as one URL path segment (party names are A-Z a-z 0-9 . _ -; anything else
 * is percent-encoded). */
void dc_cli_http_segment(const char *name, char *out, size_t size);

#endif
