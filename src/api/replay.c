/* replay.c - POST /v1/replays: a party's replay computed by the server on the files it sends,
 * answered with the result document and a signed audit record both sides can check
 *
 * The files travel as text, byte for byte, so that their SHA-256 here is the one `sha256sum`
 * gives at either party, and the result digest is the one `deconflict replay --json` prints on
 * the same files with the same names and parameters. The record names the inputs' and the result's
 * digests, never the tracks themselves; it is about "replay/<party>/<id>" and goes to the parties
 * the caller names in share_with, so the audit rules decide who reads it: the caller, those it
 * shared it with, the operator.
 */
#include "api_internal.h"
#include "deconflict/replay.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A replay runs on a request thread: fewer inputs and draws than the command line allows. */
#define MAX_TRACKS 4
#define MAX_BORDERS 4
#define MAX_SHARE 8
#define MAX_SAMPLES 10000

struct replay_request {
    size_t track_count, border_count, share_count;
    dc_replay_track tracks[MAX_TRACKS];
    dc_report *reports[MAX_TRACKS];
    size_t report_counts[MAX_TRACKS];
    dc_border borders[MAX_BORDERS];
    dc_replay_params params;
    const char *share[MAX_SHARE];
    dc_replay_result results[MAX_TRACKS * MAX_BORDERS];
};

static void request_clear(struct replay_request *q)
{
    for (size_t t = 0; t < q->track_count; t++)
        dc_free(q->reports[t]);
    for (size_t b = 0; b < q->border_count; b++)
        dc_border_clear(&q->borders[b]);
    for (size_t i = 0; i < MAX_TRACKS * MAX_BORDERS; i++)
        dc_replay_result_clear(&q->results[i]);
}

static dc_status only_members(json_t *object, const char *const *allowed, const char *where,
                              dc_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value)
    {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL)
            return dc_error_set(err, DC_INVALID, where, DC_NO_POSITION, "unknown member %.40s",
                                key);
    }
    return DC_OK;
}

/* A member that must be a string of 1..max bytes (or may be absent when optional). */
static dc_status text_member(json_t *object, const char *name, size_t max, int optional,
                             const char *where, const char **out, dc_error *err)
{
    json_t *v = json_object_get(object, name);
    char field[64];
    snprintf(field, sizeof field, "%s/%s", where, name);
    *out = NULL;
    if (v == NULL && optional)
        return DC_OK;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return dc_error_set(err, DC_INVALID, field, DC_NO_POSITION, "a string of 1 to %zu bytes",
                            max);
    *out = json_string_value(v);
    return DC_OK;
}

static dc_status decode_track(json_t *item, size_t t, struct replay_request *q, dc_error *err)
{
    static const char *const allowed[] = {"name", "csv", NULL};
    char where[32];
    snprintf(where, sizeof where, "/tracks/%zu", t);
    const char *name, *csv;
    dc_status rc = json_is_object(item) ? only_members(item, allowed, where, err)
                                        : dc_error_set(err, DC_INVALID, where, DC_NO_POSITION,
                                                       "a track is {name, csv}");
    if (rc == DC_OK)
        rc = text_member(item, "name", 127, 0, where, &name, err);
    if (rc == DC_OK)
        rc = text_member(item, "csv", 1 << 24, 0, where, &csv, err);
    if (rc != DC_OK)
        return rc;
    size_t length = json_string_length(json_object_get(item, "csv"));
    dc_error csv_err = {0};
    rc = dc_tracks_csv_parse(csv, length, name, "replay", &q->reports[t], &q->report_counts[t],
                             &csv_err);
    q->track_count = t + 1;
    if (rc == DC_OK && q->report_counts[t] == 0)
        rc = dc_error_set(&csv_err, DC_INVALID, "", DC_NO_POSITION, "%s has no reports", name);
    if (rc != DC_OK) {
        char field[48];
        snprintf(field, sizeof field, "%s/csv", where);
        return dc_error_set(err, rc, field, DC_NO_POSITION, "%s", csv_err.message);
    }
    dc_replay_track *track = &q->tracks[t];
    dc_copy_text(track->name, sizeof track->name, name);
    dc_sha256_hex(csv, length, track->sha256);
    track->bytes = length;
    dc_copy_text(track->aircraft, sizeof track->aircraft, q->reports[t][0].aircraft);
    track->report_count = q->report_counts[t];
    return DC_OK;
}

static dc_status decode_border(json_t *item, size_t b, struct replay_request *q, dc_error *err)
{
    static const char *const allowed[] = {"file", "geojson", "select", "name", "licence", NULL};
    char where[32];
    snprintf(where, sizeof where, "/borders/%zu", b);
    const char *file, *geojson, *select, *name, *licence;
    dc_status rc = json_is_object(item) ? only_members(item, allowed, where, err)
                                        : dc_error_set(err, DC_INVALID, where, DC_NO_POSITION,
                                                       "a border is {file, geojson, ...}");
    if (rc == DC_OK)
        rc = text_member(item, "file", 127, 0, where, &file, err);
    if (rc == DC_OK)
        rc = text_member(item, "geojson", 1 << 26, 0, where, &geojson, err);
    if (rc == DC_OK)
        rc = text_member(item, "select", DC_ID_MAX - 1, 1, where, &select, err);
    if (rc == DC_OK)
        rc = text_member(item, "name", DC_ID_MAX - 1, 1, where, &name, err);
    if (rc == DC_OK)
        rc = text_member(item, "licence", 127, 1, where, &licence, err);
    if (rc != DC_OK)
        return rc;
    dc_error geo_err = {0};
    rc = dc_border_parse(geojson, json_string_length(json_object_get(item, "geojson")), file,
                         select, &q->borders[b], &geo_err);
    if (rc != DC_OK) {
        /* the pointer into the GeoJSON text, under the member that carried it */
        char field[96];
        snprintf(field, sizeof field, "%s/geojson%s", where, geo_err.field);
        return dc_error_set(err, rc == DC_NOMEM ? DC_NOMEM : DC_INVALID, field, DC_NO_POSITION,
                            "%s", geo_err.message);
    }
    q->border_count = b + 1;
    if (name != NULL)
        dc_copy_text(q->borders[b].name, sizeof q->borders[b].name, name);
    if (licence != NULL)
        dc_copy_text(q->borders[b].licence, sizeof q->borders[b].licence, licence);
    return DC_OK;
}

static dc_status decode_params(json_t *root, struct replay_request *q, dc_error *err)
{
    q->params = dc_replay_params_default();
    json_t *sigma = json_object_get(root, "sigma_m"), *samples = json_object_get(root, "samples"),
           *seed = json_object_get(root, "seed"), *share = json_object_get(root, "share_with");
    if (sigma != NULL) {
        if (!json_is_number(sigma) || json_number_value(sigma) < 0 ||
            json_number_value(sigma) > 100000)
            return dc_error_set(err, DC_RANGE, "/sigma_m", DC_NO_POSITION, "metres, 0 to 100,000");
        q->params.sigma_m = json_number_value(sigma);
    }
    if (samples != NULL) {
        if (!json_is_integer(samples) || json_integer_value(samples) < 1 ||
            json_integer_value(samples) > MAX_SAMPLES)
            return dc_error_set(err, DC_RANGE, "/samples", DC_NO_POSITION, "an integer, 1 to %d",
                                MAX_SAMPLES);
        q->params.samples = (uint32_t)json_integer_value(samples);
    }
    if (seed != NULL) {
        if (!json_is_integer(seed) || json_integer_value(seed) < 0)
            return dc_error_set(err, DC_RANGE, "/seed", DC_NO_POSITION, "an integer, 0 or more");
        q->params.seed = (uint64_t)json_integer_value(seed);
    }
    if (share != NULL && (!json_is_array(share) || json_array_size(share) > MAX_SHARE))
        return dc_error_set(err, DC_INVALID, "/share_with", DC_NO_POSITION,
                            "an array of at most %d party names", MAX_SHARE);
    for (size_t i = 0; i < json_array_size(share); i++) {
        const char *party = json_string_value(json_array_get(share, i));
        if (party == NULL || party[0] == '\0' || strlen(party) >= DC_ID_MAX ||
            strchr(party, ',') != NULL) {
            char field[32];
            snprintf(field, sizeof field, "/share_with/%zu", i);
            return dc_error_set(err, DC_INVALID, field, DC_NO_POSITION, "a party's name");
        }
        q->share[q->share_count++] = party;
    }
    return DC_OK;
}

static dc_status decode(json_t *root, struct replay_request *q, dc_error *err)
{
    static const char *const allowed[] = {"tracks", "borders",    "sigma_m", "samples",
                                          "seed",   "share_with", NULL};
    if (!json_is_object(root))
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION,
                            "a replay is {tracks, borders, sigma_m, samples, seed, share_with}");
    dc_status rc = only_members(root, allowed, "", err);
    json_t *tracks = json_object_get(root, "tracks"), *borders = json_object_get(root, "borders");
    if (rc == DC_OK && (!json_is_array(tracks) || json_array_size(tracks) == 0 ||
                        json_array_size(tracks) > MAX_TRACKS))
        rc = dc_error_set(err, DC_INVALID, "/tracks", DC_NO_POSITION,
                          "1 to %d tracks: [{name, csv}]", MAX_TRACKS);
    if (rc == DC_OK && (!json_is_array(borders) || json_array_size(borders) == 0 ||
                        json_array_size(borders) > MAX_BORDERS))
        rc = dc_error_set(err, DC_INVALID, "/borders", DC_NO_POSITION,
                          "1 to %d borders: [{file, geojson, select, name, licence}]", MAX_BORDERS);
    if (rc == DC_OK)
        rc = decode_params(root, q, err);
    for (size_t t = 0; rc == DC_OK && t < json_array_size(tracks); t++)
        rc = decode_track(json_array_get(tracks, t), t, q, err);
    for (size_t b = 0; rc == DC_OK && b < json_array_size(borders); b++)
        rc = decode_border(json_array_get(borders, b), b, q, err);
    return rc;
}

/* What the record keeps: the digests, not the data. */
static json_t *record_detail(const struct replay_request *q, const char *digest)
{
    json_t *tracks = json_array(), *borders = json_array();
    for (size_t t = 0; t < q->track_count; t++)
        json_array_append_new(tracks, json_string(q->tracks[t].sha256));
    for (size_t b = 0; b < q->border_count; b++)
        json_array_append_new(borders, json_string(q->borders[b].sha256));
    return json_pack("{s:s,s:o,s:o,s:f,s:I,s:I}", "result_sha256", digest, "tracks", tracks,
                     "borders", borders, "sigma_m", q->params.sigma_m, "samples",
                     (json_int_t)q->params.samples, "seed", (json_int_t)q->params.seed);
}

/* Append the signed record of the replay, the caller's receipt, in one transaction with the
 * check that every party shared with exists. */
static dc_status record(dc_api *api, const dc_api_request *req, const struct replay_request *q,
                        const char *object, const char *digest, dc_audit_record *out)
{
    return dc_service_record_shared(&api->svc, req->party.name, "replay", object, q->share,
                                    q->share_count, record_detail(q, digest), out);
}

struct dc__api_replay_request {
    json_t *root; /* the tracks' names and the parties shared with point into it */
    struct replay_request q;
};

void dc__api_replay_request_free(dc__api_replay_request *r)
{
    if (r == NULL)
        return;
    request_clear(&r->q);
    json_decref(r->root);
    dc_free(r);
}

dc_status dc__api_replay_decode(const char *body, size_t length, dc__api_replay_request **out,
                                dc_error *err)
{
    *out = NULL;
    dc__api_replay_request *r = dc_calloc(1, sizeof *r);
    if (r == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    json_error_t jerr;
    r->root = json_loadb(body, length, 0, &jerr);
    dc_status rc =
        r->root ? decode(r->root, &r->q, err)
                : dc_error_set(err, DC_INVALID, "", jerr.position, "not JSON: %s", jerr.text);
    if (rc != DC_OK) {
        dc__api_replay_request_free(r);
        return rc;
    }
    *out = r;
    return DC_OK;
}

static void replay_measured(dc_api *api, const dc_api_request *req, dc_api_response *res);

void dc__api_post_replay(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    /* a write (its signed record), and seconds of a request thread at most: counted as one */
    if (!dc__api_fair_admit(api, req, DC_RATE_WRITES, 1, res))
        return;
    if (dc__heavy_enter(&api->heavy, res) != 0)
        return;
    replay_measured(api, req, res);
    dc__heavy_leave(&api->heavy);
}

static void replay_measured(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc__api_replay_request *r = NULL;
    dc_error err = {0};
    dc_status rc = dc__api_replay_decode(req->body, req->body_length, &r, &err);
    struct replay_request *q = r != NULL ? &r->q : NULL;
    /* each measurement within its share of the request's work: a day-long track and many draws
     * were minutes of a request thread (found by fuzz_request) */
    if (rc == DC_OK)
        q->params.work_limit = DC_REPLAY_WORK_MAX / (double)(q->track_count * q->border_count);
    char *json = NULL, digest[DC_SHA256_HEX];
    size_t failed = 0;
    if (rc == DC_OK)
        rc = dc_replay_run(q->tracks, q->reports, q->report_counts, q->track_count, q->borders,
                           q->border_count, &q->params, q->results, &json, digest, &failed, &err);
    if (rc != DC_OK) {
        /* a library's field is a bare name ("sigma"); a request's a pointer */
        char pointer[112];
        snprintf(pointer, sizeof pointer, "%s%s", err.field[0] && err.field[0] != '/' ? "/" : "",
                 err.field);
        dc_api_problem(res,
                       rc == DC_NOMEM   ? 500
                       : rc == DC_LIMIT ? 422
                                        : 400,
                       rc, pointer, err.message);
    } else {
        char object[DC_ID_MAX + 32];
        dc_audit_record write;
        snprintf(object, sizeof object, "replay/%s/%.24s", req->party.name, digest);
        rc = record(api, req, q, object, digest, &write);
        if (rc == DC_NOT_FOUND) {
            dc_api_problem(res, 404, DC_NOT_FOUND, "/share_with", "no such party");
        } else if (rc != DC_OK) {
            dc_api_problem(res, 500, DC_STORE, NULL, "the store failed; nothing was recorded");
        } else {
            res->status = 201;
            res->json =
                json_pack("{s:s,s:s,s:o,s:o}", "object", object, "result_sha256", digest, "result",
                          json_loads(json, 0, NULL), "receipt", dc_api_receipt_json(&write));
        }
    }
    dc_free(json);
    dc__api_replay_request_free(r);
}
