/* api_internal.h - what the files of src/api share: request decoding, JSON encoding, the server
 * state */
#ifndef DECONFLICT_API_INTERNAL_H
#define DECONFLICT_API_INTERNAL_H

#include "deconflict/party.h"
#include "deconflict/store.h"

#include <jansson.h>

/* Largest request body, number of volumes and of waypoints accepted. */
#define DC_API_BODY_LIMIT_DEFAULT (1024 * 1024)
#define DC_API_MAX_VOLUMES 1000
#define DC_API_MAX_WAYPOINTS 2000

/* An intent, hazard or zone as a party submits it. */
typedef struct dc_submission {
    dc_object object; /* id/owner/kind set by the caller; volumes owned here */
    int64_t version;  /* the version the client believes current (0: new) */
    int has_version;
    int is_public;        /* zones */
    char hazard_kind[24]; /* hazards */
    int64_t from_message; /* hazards: the direct-line message its coordinates came from, or 0 */
    size_t accept_count;
    char (*accept_keys)[40]; /* conflict keys the submitter accepts */
    json_t *route;           /* members for the body: {"route": ...}, a site's place; or NULL */
    json_t *readbacks;       /* [{pointer, input, notation, own, dd, mgrs}] */
} dc_submission;

/* Decode a PUT body for an object of `kind`. On failure the JSON pointer of
 * the offending member is in err->field and the status says why (DC_INVALID
 * malformed / unknown field, DC_RANGE, DC_AMBIGUOUS coordinates, ...). */
dc_status dc_api_decode_submission(dc_geom *geom, dc_object_kind kind, const char *body,
                                   size_t length, dc_submission *out, dc_error *err);
void dc_api_submission_clear(dc_submission *submission);

/* The body readers get: the object with its volumes in decimal degrees,
 * and the members of `extra` (a route, a site's label and place). */
json_t *dc_api_object_json(const dc_object *object, int is_public, const char *hazard_kind,
                           json_t *extra);

/* Volumes (or overlap parts) as a GeoJSON MultiPolygon. */
json_t *dc_api_overlap_geojson(const dc_overlap *overlap);

#include "deconflict/monitor.h"

/* A batch of position reports (a JSON array, or NDJSON: one object a line)
 * of `party`. On failure err->field is the pointer ("/3/time"; NDJSON lines
 * count from 0 like array items). *out is allocated (dc_free). */
#define DC_API_MAX_REPORTS 10000
dc_status dc_api_decode_reports(const char *body, size_t length, const char *party, dc_report **out,
                                size_t *count, dc_error *err);

/* An alert as its recipient reads it. */
json_t *dc_api_alert_json(const dc_alert *alert, const char *recipient);

/* The opaque key of a conflict with another object as it stands. */
void dc_api_conflict_key(const dc_object *other, char out[40]);

/* A parsed "area" (south,west,north,east) and "from"/"to" query. */
dc_status dc_api_parse_area(const char *area, const char *from, const char *to, dc_box4 *out,
                            dc_error *err);

#endif

/* ---- the server's state and one request, as the handlers see them ---- */

#include <pthread.h>

/* Hazards refused over sites, per party, for the probing alert. */
#define DC_API_MAX_PROBED 256
struct probe {
    char party[DC_ID_MAX];
    size_t count;
    dc_time_us times[64];
};

typedef struct dc_api dc_api;
struct dc_api {
    dc_store *store;
    uint8_t public_key[DC_PUBLIC_KEY_BYTES];
    uint8_t secret_key[DC_SECRET_KEY_BYTES];
    uint8_t operator_hash[DC_HASH_BYTES];
    size_t body_limit;
    pthread_mutex_t metrics_lock;
    uint64_t requests_by_class[6]; /* 1xx..5xx */
    uint64_t duration_buckets[12]; /* request durations, see server.c */
    double duration_sum_s;
    dc_monitor *monitor; /* live tracks, under monitor_lock */
    pthread_mutex_t monitor_lock;
    void (*alerts_published)(struct dc_api *api); /* wakes the alert streams */
    void *streams;                                /* server.c's waiting streams */
    int probe_limit;                              /* more refusals over sites than this ... */
    int probe_window_s; /* ... within this many seconds: a probing alert */
    pthread_mutex_t probe_lock;
    struct probe probes[DC_API_MAX_PROBED];
    size_t probe_count;
};

typedef struct dc_api_request {
    const char *method;
    const char *path;
    const char *body;
    size_t body_length;
    const char *(*query)(void *ctx, const char *name);
    void *query_ctx;
    int is_operator;
    int authenticated;
    dc_party party;
    const char *last_event_id; /* header, or NULL */
} dc_api_request;

typedef struct dc_api_response {
    int status;
    json_t *json; /* owned; serialised by the server */
    char *text;   /* or a text body (owned) */
    const char *content_type;
    char location[160];
    int stream; /* an event stream of the party's alerts after stream_after */
    int64_t stream_after;
    char stream_party[DC_ID_MAX];
} dc_api_response;

/* Fill `res` with an RFC 9457 problem: type "/problems/<status name>". */
void dc_api_problem(dc_api_response *res, int http_status, dc_status status, const char *pointer,
                    const char *detail);

/* The routes. Each fills `res`. */
void dc_api_handle(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* POST /v1/replays (replay.c). */
void dc__api_post_replay(dc_api *api, const dc_api_request *req, dc_api_response *res);
