/* tracks.c - a party's live tracks as JSON, and the batches of the track stream
 *
 * GET /v1/tracks/stream sends, on each connection, a snapshot of the caller's live tracks and
 * then, at most every DC_TRACK_TICK_MS, the tracks changed since: reported (in `tracks`) or timed
 * out (in `gone`). What a batch holds is read from the monitor when it is due, never queued: a
 * slow reader gets the latest positions later, not a growing backlog, and a stream holds at most
 * one batch of DC_TRACK_BATCH_MAX tracks (`more` says another follows at once). A batch holds
 * exactly what GET /v1/tracks would list to the same caller (its own aircraft, DESIGN.md rule
 * 3), and a stream says nothing when only other parties' tracks changed: the monitor's change
 * numbers, which count every party's reports, never leave the server. */
#include "api_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *dc__track_json(const dc_track_view *t)
{
    char when[32];
    if (dc_time_format(t->time, when, sizeof when) != DC_OK)
        return NULL; /* reports are refused outside the formatter's range: none is here */
    json_t *j =
        json_pack("{s:s,s:s,s:{s:f,s:f},s:f}", "aircraft", t->aircraft, "time", when, "position",
                  "lat", t->position.lat, "lng", t->position.lon, "altitude_m", t->altitude_m);
    if (j != NULL && isfinite(t->ground_speed_mps)) {
        json_object_set_new(j, "ground_speed_mps", json_real(t->ground_speed_mps));
        json_object_set_new(j, "track_deg", json_real(t->track_deg));
    }
    return j;
}

struct changes {
    dc_track_view *items;
    size_t count, capacity;
    int failed;
};

static void collect(void *ctx, const dc_track_view *t)
{
    struct changes *c = ctx;
    if (c->failed)
        return;
    if (c->count == c->capacity) {
        size_t grown = c->capacity ? 2 * c->capacity : 256;
        dc_track_view *more = dc_realloc(c->items, grown * sizeof *more);
        if (more == NULL) {
            c->failed = 1;
            return;
        }
        c->items = more;
        c->capacity = grown;
    }
    c->items[c->count++] = *t;
}

static int by_change(const void *a, const void *b)
{
    uint64_t x = ((const dc_track_view *)a)->change, y = ((const dc_track_view *)b)->change;
    return x < y ? -1 : x > y;
}

uint64_t dc__track_changes_now(dc_api *api)
{
    pthread_mutex_lock(&api->svc.monitor_lock);
    uint64_t n = dc_monitor_changes(api->svc.monitor);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    return n;
}

dc_status dc__track_batch(dc_api *api, const char *party, dc__track_cursor *cur, char **event,
                          size_t *length)
{
    *event = NULL;
    *length = 0;
    struct changes c = {0};
    pthread_mutex_lock(&api->svc.monitor_lock);
    uint64_t now = dc_monitor_changes(api->svc.monitor);
    dc_monitor_track_changes(api->svc.monitor, party, cur->after, collect, &c);
    pthread_mutex_unlock(&api->svc.monitor_lock);
    if (c.failed) {
        dc_free(c.items);
        return DC_NOMEM;
    }
    int first = !cur->started;
    cur->seen = now;
    if (c.count == 0 && !first) {
        cur->more = 0;
        dc_free(c.items);
        return DC_OK;
    }
    if (c.count > 1)
        qsort(c.items, c.count, sizeof *c.items, by_change);
    size_t n = c.count < DC_TRACK_BATCH_MAX ? c.count : DC_TRACK_BATCH_MAX;
    json_t *tracks = json_array(), *gone = json_array();
    for (size_t i = 0; i < n; i++) {
        if (c.items[i].live)
            json_array_append_new(tracks, dc__track_json(&c.items[i]));
        else
            json_array_append_new(gone, json_string(c.items[i].aircraft));
    }
    cur->more = c.count > n;
    if (n > 0)
        cur->after = c.items[n - 1].change;
    else
        cur->after = now; /* an empty snapshot: nothing of this party before now */
    cur->started = 1;
    json_t *body = json_pack("{s:o,s:o,s:b,s:b}", "tracks", tracks, "gone", gone, "snapshot",
                             first || cur->snapshotting, "more", cur->more);
    /* a snapshot in several batches: each says so, the last with more false */
    cur->snapshotting = (first || cur->snapshotting) && cur->more;
    dc_free(c.items);
    char *data =
        body != NULL
            ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
            : NULL;
    json_decref(body);
    if (data == NULL)
        return DC_NOMEM;
    size_t need = strlen(data) + 32;
    *event = malloc(need);
    if (*event == NULL) {
        free(data);
        return DC_NOMEM;
    }
    *length = (size_t)snprintf(*event, need, "event: tracks\ndata: %s\n\n", data);
    free(data);
    return DC_OK;
}
