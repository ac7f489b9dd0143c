/* streams.c - deconflictd's event streams: alerts and tracks as Server-Sent Events, suspended
 * between batches, woken by publication and by a heartbeat */
#include "server_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- alert and track streams (Server-Sent Events) ----
 * An alert stream's reader sends the party's stored alerts after the last id it
 * sent; with nothing to send it suspends its connection, which frees the
 * worker thread. Publishing alerts resumes every waiting alert stream, and so does
 * a heartbeat every 15 s (a comment line, which also finds closed clients). A track
 * stream's reader sends a batch of the party's track changes (tracks.c) at most
 * every DC_TRACK_TICK_MS: a tick resumes the waiting track streams, so that a burst
 * of reports is one batch, not one per request. */

struct stream {
    struct MHD_Connection *conn;
    dc_api *api;
    char party[DC_ID_MAX];
    int kind; /* DC_STREAM_ALERTS or DC_STREAM_TRACKS */
    int64_t after;
    dc__track_cursor tracks;
    struct timespec batched; /* when the last track batch was made */
    struct timespec opened;  /* for /metrics: how long streams stay open */
    char *pending;           /* formatted events not yet handed to MHD */
    size_t length, sent;
    int waiting, heartbeat_due;
    struct stream *next;
};

struct streams {
    pthread_mutex_t lock;
    struct stream *waiting;
    int closing;
    pthread_t heartbeat;
    int started; /* the heartbeat thread runs */
    pthread_cond_t stop;
};

/* server_internal.h */
void dc__streams_wake(dc_api *api, int kind, int heartbeat)
{
    struct streams *hub = api->streams;
    if (hub == NULL)
        return; /* an alert published before the server listens: no stream to wake */
    pthread_mutex_lock(&hub->lock);
    for (struct stream *st = hub->waiting; st != NULL; st = st->next) {
        if (st->waiting && (kind == 0 || st->kind == kind)) {
            st->waiting = 0;
            st->heartbeat_due |= heartbeat;
            MHD_resume_connection(st->conn);
        }
    }
    pthread_mutex_unlock(&hub->lock);
}

static void *heartbeat_main(void *arg)
{
    dc_api *api = arg;
    struct streams *hub = api->streams;
    pthread_mutex_lock(&hub->lock);
    const int ticks_per_heartbeat = 15000 / DC_TRACK_TICK_MS;
    for (int tick = 1; !hub->closing; tick++) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += DC_TRACK_TICK_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!hub->closing && pthread_cond_timedwait(&hub->stop, &hub->lock, &until) != ETIMEDOUT)
            ; /* woken early (spuriously): the tick is still due */
        if (hub->closing)
            break;
        pthread_mutex_unlock(&hub->lock);
        if (tick % ticks_per_heartbeat == 0)
            dc__streams_wake(api, 0, 1);
        else
            dc__streams_wake(api, DC_STREAM_TRACKS, 0);
        pthread_mutex_lock(&hub->lock);
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

static int format_event(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    (void)created;
    struct stream *st = ctx;
    size_t need = strlen(body) + 64;
    char *grown = realloc(st->pending, st->length + need);
    if (grown == NULL)
        return 1;
    st->pending = grown;
    st->length += (size_t)snprintf(st->pending + st->length, need,
                                   "id: %lld\nevent: alert\ndata: %s\n\n", (long long)id, body);
    st->after = id;
    return 0;
}

static double since_s(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* The next batch of a track stream when it is due: the first at once, the rest of a batch
 * that was cut at once, new changes once a tick has passed since the last. */
static void next_track_batch(struct stream *st)
{
    dc__track_cursor *cur = &st->tracks;
    int due = !cur->started || cur->more ||
              (since_s(&st->batched) * 1000 >= DC_TRACK_TICK_MS * 0.8 &&
               dc__track_changes_now(st->api) != cur->seen);
    if (!due)
        return;
    clock_gettime(CLOCK_MONOTONIC, &st->batched);
    free(st->pending);
    st->pending = NULL;
    st->length = 0;
    if (dc__track_batch(st->api, st->party, cur, &st->pending, &st->length) != DC_OK)
        st->length = 0; /* out of memory: this batch is tried again at the next tick */
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    struct streams *hub = st->api->streams;
    if (st->sent == st->length && st->kind == DC_STREAM_TRACKS) {
        st->sent = st->length = 0;
        next_track_batch(st);
        if (st->length == 0 && st->heartbeat_due) {
            st->heartbeat_due = 0;
            return (ssize_t)snprintf(buf, max, ": heartbeat\n\n");
        }
    } else if (st->sent == st->length) {
        st->sent = st->length = 0;
        /* a store that cannot be read now sends nothing; the next wake tries again */
        (void)dc_service_inbox_page(&st->api->svc, DC_INBOX_ALERTS, st->party, st->after, 100,
                                    format_event, st);
        if (st->length == 0 && st->heartbeat_due) {
            st->heartbeat_due = 0;
            return (ssize_t)snprintf(buf, max, ": heartbeat\n\n");
        }
    }
    if (st->sent < st->length) {
        size_t n = st->length - st->sent < max ? st->length - st->sent : max;
        memcpy(buf, st->pending + st->sent, n);
        st->sent += n;
        return (ssize_t)n;
    }
    pthread_mutex_lock(&hub->lock);
    if (hub->closing) {
        pthread_mutex_unlock(&hub->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    st->waiting = 1;
    MHD_suspend_connection(st->conn);
    pthread_mutex_unlock(&hub->lock);
    return 0;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    struct streams *hub = st->api->streams;
    pthread_mutex_lock(&hub->lock);
    for (struct stream **at = &hub->waiting; *at != NULL; at = &(*at)->next)
        if (*at == st) {
            *at = st->next;
            break;
        }
    pthread_mutex_unlock(&hub->lock);
    dc__metrics_stream(st->api, st->kind, 0, since_s(&st->opened));
    free(st->pending);
    free(st);
}

enum MHD_Result dc__stream_start(struct MHD_Connection *conn, dc_api *api, struct request *rq,
                                 dc_api_response *res)
{
    struct stream *st = calloc(1, sizeof *st);
    if (st == NULL)
        return MHD_NO;
    st->conn = conn;
    st->api = api;
    st->kind = res->stream;
    st->after = res->stream_after;
    dc_copy_text(st->party, sizeof st->party, res->stream_party);
    struct streams *hub = api->streams;
    pthread_mutex_lock(&hub->lock);
    /* each track stream holds a batch: a party holds a few streams, not as many as it opens */
    int open = 0;
    for (struct stream *o = hub->waiting; o != NULL; o = o->next)
        open += o->kind == DC_STREAM_TRACKS && strcmp(o->party, st->party) == 0;
    if (st->kind == DC_STREAM_TRACKS && open >= DC_TRACK_STREAMS_MAX) {
        pthread_mutex_unlock(&hub->lock);
        free(st);
        char detail[96];
        snprintf(detail, sizeof detail, "at most %d track streams open at once",
                 DC_TRACK_STREAMS_MAX);
        dc_api_problem(res, 429, DC_BUSY, NULL, detail);
        res->retry_after_s = 5;
        return dc__server_send(conn, rq, res);
    }
    st->next = hub->waiting;
    hub->waiting = st;
    pthread_mutex_unlock(&hub->lock);
    clock_gettime(CLOCK_MONOTONIC, &st->opened);
    dc__metrics_stream(api, st->kind, 1, 0);
    rq->stream = 1;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                               stream_reader, st, stream_free);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    dc__server_security_headers(r, DC_ANSWER_API);
    rq->status = 200;
    enum MHD_Result ok = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ok;
}

dc_status dc__streams_start(dc_api *api)
{
    struct streams *hub = calloc(1, sizeof *hub);
    if (hub == NULL)
        return DC_NOMEM;
    pthread_mutex_init(&hub->lock, NULL);
    pthread_cond_init(&hub->stop, NULL);
    api->streams = hub;
    hub->started = pthread_create(&hub->heartbeat, NULL, heartbeat_main, api) == 0;
    return hub->started ? DC_OK : DC_INTERNAL;
}

void dc__streams_close(dc_api *api)
{
    struct streams *hub = api->streams;
    if (hub == NULL)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->closing = 1; /* streams end; suspended ones are resumed to say so */
    pthread_cond_broadcast(&hub->stop);
    pthread_mutex_unlock(&hub->lock);
    dc__streams_wake(api, 0, 0);
}

void dc__streams_free(dc_api *api)
{
    struct streams *hub = api->streams;
    if (hub == NULL)
        return;
    if (hub->started) {
        pthread_mutex_lock(&hub->lock);
        hub->closing = 1;
        pthread_cond_broadcast(&hub->stop);
        pthread_mutex_unlock(&hub->lock);
        pthread_join(hub->heartbeat, NULL);
    }
    pthread_mutex_destroy(&hub->lock);
    pthread_cond_destroy(&hub->stop);
    free(hub);
    api->streams = NULL;
}
