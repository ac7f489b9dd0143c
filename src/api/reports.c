/* reports.c - position reports in, the alerts they raise out, and the tracks a party may see */
#include "api_internal.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- live tracks and alerts ---- */

/* The front end's `extra` for the service's: the same write, with the server's state. */
struct publish_extra {
    dc_api *api;
    dc_status (*extra)(dc_api *api, void *ctx);
    void *ctx;
};

static dc_status publish_extra(dc_service *svc, void *ctx)
{
    (void)svc;
    struct publish_extra *e = ctx;
    return e->extra(e->api, e->ctx);
}

dc_status dc__api_publish_alerts(dc_api *api, const dc_alert_list *alerts,
                                 dc_status (*extra)(dc_api *api, void *ctx), void *ctx,
                                 size_t *delivered)
{
    struct publish_extra e = {api, extra, ctx};
    return dc_service_publish_alerts(&api->svc, alerts, extra ? publish_extra : NULL, &e,
                                     delivered);
}

void dc__api_post_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_report *reports = NULL;
    size_t count = 0;
    dc_error err = {0};
    if (dc_api_decode_reports(req->body, req->body_length, req->party.name, &reports, &count,
                              &err) != DC_OK) {
        dc__api_bad_input(res, &err);
        return;
    }
    if (!dc__api_fair_admit(api, req, DC_RATE_REPORTS, (double)count, res)) {
        dc_free(reports);
        return;
    }
    dc_report_verdict *verdicts = dc_calloc(count ? count : 1, sizeof *verdicts);
    dc_positions_outcome out = {0};
    dc_status rc =
        verdicts != NULL
            ? dc_service_report_positions(&api->svc, reports, count, verdicts, &out, &err)
            : dc_error_set(&err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    json_t *flagged = json_array();
    for (size_t i = 0; i < out.ingested; i++) {
        dc__metrics_report(api, verdicts[i]);
        if (verdicts[i] != DC_REPORT_ACCEPTED)
            json_array_append_new(flagged, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)i,
                                                     "aircraft", reports[i].aircraft, "reason",
                                                     dc_report_verdict_name(verdicts[i])));
    }
    if (rc != DC_OK) {
        json_decref(flagged);
        dc__api_service_failure(res, &err);
    } else {
        res->status = 200;
        res->json = json_pack("{s:I,s:I,s:o,s:I}", "received", (json_int_t)count, "accepted",
                              (json_int_t)out.accepted, "flagged", flagged, "alerts",
                              (json_int_t)out.alerts);
    }
    dc_free(verdicts);
    dc_free(reports);
}

/* The caller's live tracks as Server-Sent Events (tracks.c): a snapshot on each connection, then
 * the changes. A reconnecting client needs the picture as it is now, so there is nothing to
 * resume: a Last-Event-ID is refused rather than silently ignored. */
void dc__api_stream_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    (void)api;
    if (req->last_event_id != NULL) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "the track stream starts with a snapshot of your live tracks on each "
                       "connection: send no Last-Event-ID");
        return;
    }
    res->status = 200;
    res->stream = DC_STREAM_TRACKS;
    dc_copy_text(res->stream_party, sizeof res->stream_party, req->party.name);
}

static void add_track(void *ctx, const dc_track_view *t)
{
    json_t *j = dc__track_json(t);
    if (j != NULL)
        json_array_append_new(ctx, j);
}

static int by_aircraft(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "aircraft")),
               *y = json_string_value(json_object_get(*(json_t *const *)b, "aircraft"));
    return strcmp(x, y);
}

/* The party's live tracks by aircraft name: a name is the key of the track, so a page continues
 * after the last name shown whatever aircraft appeared or went meanwhile. */
void dc__api_list_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res)
{
    dc_page page;
    if (dc__page_parse(api, req, "tracks", "", &page, res) != 0)
        return;
    json_t *all = json_array();
    pthread_mutex_lock(&api->svc.monitor_lock);
    dc_monitor_tracks(api->svc.monitor, req->party.name, add_track, all);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    size_t n = json_array_size(all);
    json_t **sorted = dc_malloc((n ? n : 1) * sizeof *sorted);
    if (sorted == NULL) {
        json_decref(all);
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(all, i);
    qsort(sorted, n, sizeof *sorted, by_aircraft);
    json_t *items = json_array();
    size_t more = 0;
    const char *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(sorted[i], "aircraft"));
        if (page.has_cursor && strcmp(name, page.key) <= 0)
            continue;
        if (json_array_size(items) == page.limit) {
            more = 1;
            break;
        }
        json_array_append(items, sorted[i]);
        last = name;
    }
    res->status = 200;
    res->json = json_pack("{s:o}", "items", items);
    if (more)
        dc__page_next(api, req, "tracks", "", NULL, 0, last, &page, res);
    dc_free(sorted);
    json_decref(all);
}
