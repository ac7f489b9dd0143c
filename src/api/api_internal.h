/* api_internal.h - what the files of src/api share: request decoding, JSON encoding, the server
 * state */
#ifndef DECONFLICT_API_INTERNAL_H
#define DECONFLICT_API_INTERNAL_H

#include "deconflict/disclosure.h"
#include "deconflict/ident.h"
#include "deconflict/party.h"
#include "deconflict/retention.h"
#include "deconflict/service.h"
#include "deconflict/store.h"

#include <jansson.h>

/* Largest request body, and the published limits of one object (docs/RELIABILITY.md): an
 * operational intent in ASTM F3548 is a few volumes to a few hundred (a route's legs), each
 * outline tens to hundreds of vertices; national borders are the zones that need thousands.
 * Past a limit the submission is refused with 422 before its coordinates are read. */
#define DC_API_BODY_LIMIT_DEFAULT (1024 * 1024)
#define DC_API_MAX_VOLUMES 200
#define DC_API_MAX_LEGS 500
#define DC_API_MAX_WAYPOINTS (DC_API_MAX_LEGS + 1)
#define DC_API_MAX_OUTLINE_VERTICES 1000                  /* intents, hazards, sites */
#define DC_API_MAX_ZONE_OUTLINE_VERTICES 10000            /* zones: DC_VOLUME_MAX_VERTICES */
#define DC_API_MAX_OBJECT_VERTICES 20000                  /* all outlines of one object */
#define DC_API_WORK_BUDGET_DEFAULT DC_WORK_BUDGET_DEFAULT /* service.h */
/* A response echoes at most this many read-backs; the rest are counted (readback_omitted). */
#define DC_API_MAX_READBACKS 100

/* Decode a PUT body for an object of `kind`. On failure the JSON pointer of
 * the offending member is in err->field and the status says why (DC_INVALID
 * malformed / unknown field, DC_RANGE, DC_AMBIGUOUS coordinates, ...). */
dc_status dc_api_decode_submission(dc_geom *geom, dc_object_kind kind, const char *body,
                                   size_t length, dc_submission *out, dc_error *err);
void dc_api_submission_clear(dc_submission *submission);

/* The body readers get: the object with its volumes in decimal degrees,
 * and the members of `extra` (a route, a site's label and place). NULL when
 * a volume's time cannot be written (outside DC_TIME_MIN_US..DC_TIME_MAX_US;
 * never for volumes built from a request) or memory runs out. */
json_t *dc_api_object_json(const dc_object *object, int is_public, const char *hazard_kind,
                           json_t *extra);

#include "deconflict/monitor.h"
#include "deconflict/sensor.h"

/* A batch of position reports (a JSON array, or NDJSON: one object a line)
 * of `party`. On failure err->field is the pointer ("/3/time"; NDJSON lines
 * count from 0 like array items). *out is allocated (dc_free). */
#define DC_API_MAX_REPORTS 10000
dc_status dc_api_decode_reports(const char *body, size_t length, const char *party, dc_report **out,
                                size_t *count, dc_error *err);

/* A batch of sensor track updates of `party`'s sensors, as position reports are batched: the
 * sensor's track number, time, position, optional altitude and velocity, stated accuracy
 * (<= DC_SENSOR_ACCURACY_MAX_M); any identity member is refused. *out is allocated (dc_free). */
dc_status dc_api_decode_sensor_reports(const char *body, size_t length, const char *party,
                                       dc_sensor_report **out, size_t *count, dc_error *err);

/* Store `alerts` (their recipients' copies, one audit record each) in one transaction with what
 * `extra` writes (may be NULL), then wake the alert streams; *delivered counts the alerts told
 * to somebody. DC_OK or the failure (nothing stored). */
struct dc_api;
dc_status dc__api_publish_alerts(struct dc_api *api, const dc_alert_list *alerts,
                                 dc_status (*extra)(struct dc_api *api, void *ctx), void *ctx,
                                 size_t *delivered);

/* A parsed "area" (south,west,north,east) and "from"/"to" query. */
dc_status dc_api_parse_area(const char *area, const char *from, const char *to, dc_box4 *out,
                            dc_error *err);

/* ---- the server's state and one request, as the handlers see them ---- */

#include <pthread.h>

typedef struct dc_api dc_api;
typedef struct dc_fair dc_fair;
#define DC_CURSOR_SECRET_BYTES 32

/* Each party's token buckets (fair.c), sized once: a party cannot grow them. DC_OK, DC_INVALID (a
 * rate not positive, a burst under 1), DC_NOMEM, DC_INTERNAL. */
dc_status dc__fair_new(const dc_rate defaults[DC_RATE_CLASSES], dc_fair **out);
void dc__fair_free(dc_fair *fair); /* NULL is a no-op */
/* The bucket `party` has for class `c`: its override where set, else the default. */
void dc__fair_rate(const dc_fair *fair, const dc_rate overrides[DC_RATE_CLASSES], dc_rate_class c,
                   dc_rate *out);
/* Take `n` tokens from the party's bucket of class `c` at monotonic time `now`: 0 when taken;
 * else nothing is taken and the result is the seconds until they would be there (rounded up,
 * at least 1), or -1 when `n` exceeds the bucket's size (it never will). Can't fail. */
long dc__fair_take(dc_fair *fair, const char *party, const dc_rate overrides[DC_RATE_CLASSES],
                   dc_rate_class c, double n, dc_time_us now);
/* ---- heavy work, a few requests at a time (heavy.c) ---- */
/* A submission whose body is larger than this is heavy (about 500 vertices and up). */
#define DC_API_HEAVY_BODY (16 * 1024)
typedef struct dc__heavy {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    unsigned slots, busy; /* slots 0: not limited */
} dc__heavy;

/* ---- what /metrics counts (metrics.c) ---- */
#define DC_API_DURATION_BUCKETS 12
#define DC_API_ALERT_KINDS 11
#define DC_API_STREAM_KINDS 2
#define DC_API_VERDICTS 16
typedef struct dc_api_counters {
    uint64_t requests_by_class[6]; /* 1xx..5xx */
    uint64_t duration_buckets[DC_API_DURATION_BUCKETS], duration_count, duration_sum_us;
    uint64_t streams_open[DC_API_STREAM_KINDS], streams_total[DC_API_STREAM_KINDS];
    uint64_t stream_us[DC_API_STREAM_KINDS];
    uint64_t alerts[DC_API_ALERT_KINDS], notices, reports[DC_API_VERDICTS];
} dc_api_counters;

struct dc_api {
    dc_service svc; /* the use cases' state (service.h) */
    uint8_t operator_hash[DC_HASH_BYTES];
    size_t body_limit;
    dc_api_counters counters;       /* what /metrics counts (metrics.c) */
    dc__heavy heavy;                /* heavy work's slots (heavy.c) */
    void *streams;                  /* server.c's waiting streams */
    struct dc_api_storage *storage; /* the archiver and the store's figures (storage.c) */
    struct dc_fair *fair;           /* each party's buckets (fair.c); NULL: no limits */
    uint8_t cursor_secret[DC_CURSOR_SECRET_BYTES]; /* MACs of list cursors (pages.c) */
    struct dc_api_emergency *emergency;            /* the expiry of emergencies (emergency.c) */
};

#define DC_API_QUERY_MAX 16

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
    const char *if_match;      /* header, or NULL */
    const char *if_none_match; /* header, or NULL */
    const char *accept;        /* header, or NULL */
    /* the names of the query's parameters, in order; query_count counts past the array */
    const char *query_names[DC_API_QUERY_MAX];
    size_t query_count;
} dc_api_request;

typedef struct dc_api_response {
    int status;
    json_t *json; /* owned; serialised by the server */
    char *text;   /* or a text body (owned) */
    const char *content_type;
    char location[160];
    int retry_after_s; /* > 0: a Retry-After header (429, 503) */
    char next[1024];   /* a list's next page (path and query): a Link rel="next" header */
    char allow[48];    /* 405: the Allow header */
    char etag[32];     /* an object's version as an entity tag ("3"): the ETag header */
    int stream;        /* an event stream: DC_STREAM_ALERTS (after stream_after) or _TRACKS */
    int64_t stream_after;
    char stream_party[DC_ID_MAX];
} dc_api_response;

enum { DC_STREAM_ALERTS = 1, DC_STREAM_TRACKS = 2 };

/* ---- the track stream (tracks.c) ---- */
#define DC_TRACK_BATCH_MAX 2000 /* tracks in one event: a stream holds one event at most */
#define DC_TRACK_TICK_MS 500    /* a stream's batches come at most this often (and more at once) */
#define DC_TRACK_STREAMS_MAX 4  /* track streams one party may hold open: 429 past it */

/* Where one track stream is: the change number its caller has seen up to (its own tracks). */
typedef struct dc__track_cursor {
    uint64_t after; /* the last change of the caller's tracks sent */
    uint64_t seen;  /* the monitor's change number at the last batch */
    int started, more, snapshotting;
} dc__track_cursor;

/* A track as GET /v1/tracks and the stream show it; NULL when out of memory. */
json_t *dc__track_json(const dc_track_view *t);
/* The monitor's change number now (under its lock). */
uint64_t dc__track_changes_now(dc_api *api);
/* The next batch of `party`'s stream as one Server-Sent Event in *event (malloc, *length bytes):
 * the snapshot first, then the changes after `cur` (none: *event NULL). Advances `cur`. DC_OK,
 * DC_NOMEM. */
dc_status dc__track_batch(dc_api *api, const char *party, dc__track_cursor *cur, char **event,
                          size_t *length);

/* ---- pages of a list (pages.c) ---- */
#define DC_PAGE_DEFAULT 100
#define DC_PAGE_MAX 1000

typedef struct dc_page {
    size_t limit;        /* DC_PAGE_DEFAULT unless the query's `limit` says */
    int has_cursor;      /* a cursor was sent: the page starts after its key */
    int64_t after;       /* its key, for lists ordered by number (row, id, seq) */
    char key[DC_ID_MAX]; /* its key as text (lists ordered by name: tracks) */
} dc_page;

/* The page the request asks of `list` ("messages", "audit"...) under `filter` ("" or what the
 * list is filtered by, e.g. the audit's object): 0, or -1 with a 400 problem in `res` for a limit
 * out of 1..DC_PAGE_MAX or a cursor not given to this party for this list and filter. */
int dc__page_parse(const dc_api *api, const dc_api_request *req, const char *list,
                   const char *filter, dc_page *out, dc_api_response *res);
/* More remain after the page that ended at `after` (or `text_key` when not NULL): set `next` in
 * res->json and res->next, with the cursor and the query parameters named in `params` (NULL
 * ended) as the request had them. Can't fail; res->json must be an object. */
void dc__page_next(const dc_api *api, const dc_api_request *req, const char *list,
                   const char *filter, const char *const *params, int64_t after,
                   const char *text_key, const dc_page *page, dc_api_response *res);

/* ---- HTTP's conventions (protocol.c) ---- */

/* Fill `res` with an RFC 9457 problem: type "/problems/<name>", named by the HTTP status where it
 * alone says what failed (401, 403, 404, 405, 406, 412, 413, 414, 415, 429, 431), else by
 * `status`; each type resolves to its documentation (dc__api_problem_page). */
void dc_api_problem(dc_api_response *res, int http_status, dc_status status, const char *pointer,
                    const char *detail);
/* GET /problems (all) and /problems/{name} (one, 404 for none): an HTML page. */
void dc__api_problem_page(const dc_api_request *req, dc_api_response *res);
/* 405 with the Allow header: `allowed` is "GET, PUT"...; HEAD is added where GET is. */
void dc__api_method_not_allowed(dc_api_response *res, const char *allowed);
/* Whether every query parameter is one of `allowed` (space-separated names; NULL or "": none),
 * each once: 0, or -1 with a 400 in `res`. */
int dc__api_query_allowed(const dc_api_request *req, const char *allowed, dc_api_response *res);
/* Which representation the Accept header asks of a route that has JSON and (`has_geojson`)
 * GeoJSON: 0 JSON (also with no Accept), 1 GeoJSON, or -1 with 406 in `res` (geojson.c). */
int dc__api_negotiate(const dc_api_request *req, int has_geojson, dc_api_response *res);
/* Rewrite a 200 answer holding an object, or a list of them ({"items": [...], "next"}), or of
 * tracks (`tracks`), as a GeoJSON Feature or FeatureCollection (geojson.c). */
void dc__api_as_geojson(int tracks, dc_api_response *res);
/* The ETag of an object at `version`. */
void dc__api_etag(dc_api_response *res, int64_t version);
/* Whether If-Match / If-None-Match hold for an object at `version` (-1: there is none): 0, or -1
 * with 412 (or 400 for a header that holds no entity tags) in `res`; `reading` (GET): a failed
 * If-None-Match is 304 with the ETag and no body. */
int dc__api_preconditions(const dc_api_request *req, int64_t version, int reading,
                          dc_api_response *res);

/* A write's receipt as its writer gets it: seq, hash and signature (hex). */
json_t *dc_api_receipt_json(const dc_audit_record *record);

/* Heavy work's slots (heavy.c): slots 0 limits nothing. Take a slot, waiting for one: 0, or -1
 * with 503 (Retry-After) in `res` after a long wait. */
void dc__heavy_init(dc__heavy *heavy, unsigned slots);
void dc__heavy_destroy(dc__heavy *heavy);
int dc__heavy_enter(dc__heavy *heavy, dc_api_response *res);
void dc__heavy_leave(dc__heavy *heavy);

/* Counting (metrics.c; none can fail). A request answered with `status` after `seconds`, or
 * an event stream (`stream`: its time is not an answer's); a stream of DC_STREAM_* `kind` opened
 * or, after `seconds`, closed; `copies` of an alert of the API's `kind` ("zone", "probing"...);
 * a notice stored; a position report's verdict. */
void dc__metrics_request(dc_api *api, int status, double seconds, int stream);
void dc__metrics_stream(dc_api *api, int kind, int opened, double seconds);
void dc__metrics_alerts(dc_api *api, const char *kind, uint64_t copies);
void dc__metrics_notice(dc_api *api);
void dc__metrics_report(dc_api *api, dc_report_verdict verdict);
/* GET /metrics: the text. */
void dc__metrics_page(dc_api *api, dc_api_response *res);

/* The routes. Each fills `res`. */
void dc_api_handle(dc_api *api, const dc_api_request *req, dc_api_response *res);
/* A background thread working in passes until stopped (worker.c). */
typedef struct dc__worker {
    pthread_t thread;
    pthread_mutex_t lock; /* closing */
    pthread_cond_t wake;
    int closing, started;
} dc__worker;
void dc__worker_init(dc__worker *w);
/* Run main(arg) on a new thread. DC_INTERNAL if none can be made. */
dc_status dc__worker_start(dc__worker *w, void *(*main)(void *), void *arg);
/* Sleep `us`, or less once stopped: whether to stop. Called by the worker's thread. */
int dc__worker_pause(dc__worker *w, dc_time_us us);
/* Stop the thread (it ends after its pass), wait for it, and release the worker. */
void dc__worker_stop(dc__worker *w);

/* The {name} of /v1/parties/{name}[/...] into `name`: 0, or -1 with a 400 in `res`. */
int dc__api_party_in_path(const dc_api_request *req, char name[DC_ID_MAX], dc_api_response *res);
/* Whether the party may spend `n` of its bucket `c` now: 1, or 0 with 429 (Retry-After) or 422 in
 * `res`. Asked before anything is decoded or written. */
int dc__api_fair_admit(dc_api *api, const dc_api_request *req, dc_rate_class c, double n,
                       dc_api_response *res);

/* What server.c does with a request before dc_api_handle, so that a test or a fuzz target can
 * drive the handlers as the server does. dc__api_authenticate: the party (or the operator) whose
 * key "Bearer <key>" in `authorization` (NULL: none) is, into req->party, req->authenticated and
 * req->is_operator; left unauthenticated otherwise. Can't fail. dc__api_path_valid: whether a
 * decoded path holds only the bytes a route can hold (A-Z a-z 0-9 . _ - /) and starts with '/';
 * any other is refused with 400 before the handlers. 1 or 0. */
void dc__api_authenticate(dc_api *api, const char *authorization, dc_api_request *req);
int dc__api_path_valid(const char *path);

/* ---- the live store's upkeep (storage.c) ----
 * A thread moves rows past their retention to the archive (dc_retention_pass), a bounded batch
 * at a time with pauses between, gives free pages back, and measures the store every minute;
 * /metrics shows the last measurement. */

/* Start it (retention may keep every kind for ever: then it only measures). DC_NOMEM,
 * DC_INTERNAL (no thread). */
dc_status dc__api_storage_start(dc_api *api, const dc_retention *retention);
/* Stop it and wait for its pass in flight. NULL-safe; a no-op when not started. */
void dc__api_storage_stop(dc_api *api);
/* The store's and the archive's figures in the Prometheus text format, into out (at most size
 * bytes, terminated); returns the length written. */
size_t dc__api_storage_metrics(dc_api *api, char *out, size_t size);

/* ---- emergencies (emergency.c) ---- */

/* Serve the request if its path is an emergency route (/v1/emergencies[/{id}[/renew]],
 * /v1/parties/{name}/emergency): 1 with `res` filled, else 0. */
int dc__api_emergency_route(dc_api *api, const dc_api_request *req, dc_api_response *res);
/* A suspended hazard's body as its reader gets it: "state" and "suspended_by" from the store. */
void dc__api_emergency_overlay(dc_api *api, const dc_record *record, json_t *body);
/* Load the emergencies in force into the monitor and start the expiry thread. DC_NOMEM,
 * DC_INTERNAL. */
dc_status dc__api_emergency_start(dc_api *api);
void dc__api_emergency_stop(dc_api *api); /* NULL-safe; a no-op when not started */
/* Counts per party in the Prometheus text format; returns the length written. */
size_t dc__api_emergency_metrics(dc_api *api, char *out, size_t size);

/* POST /v1/sensor-tracks (sensors.c). */
void dc__api_post_sensor_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* POST /v1/replays (replay.c). */
void dc__api_post_replay(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* Its body decoded: the tracks read from their CSV, the borders from their GeoJSON, the
 * parameters checked; nothing measured yet. DC_INVALID / DC_RANGE with the JSON pointer of the
 * member at fault in err->field, DC_NOMEM; *out is NULL on failure, else free it with
 * dc__api_replay_request_free (NULL is a no-op). */
typedef struct dc__api_replay_request dc__api_replay_request;
dc_status dc__api_replay_decode(const char *body, size_t length, dc__api_replay_request **out,
                                dc_error *err);
void dc__api_replay_request_free(dc__api_replay_request *request);

#endif /* DECONFLICT_API_INTERNAL_H */
