/* metrics.c - what /metrics tells the operator, in Prometheus' text format: requests (status class
 * and time to answer, event streams apart: a stream open for an hour is not a slow request),
 * streams, alerts and notices delivered, position reports by verdict, live tracks, objects, and
 * the store (storage.c) and emergencies (emergency.c). Counters are atomic: a request never waits
 * for another to count it. */
#include "api_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The alert kinds as the API names them, then the operator's own kinds; the last counts any
 * other. */
static const char *const alert_kinds[DC_API_ALERT_KINDS] = {
    "zone",           "separation",          "conformance", "new_aircraft", "implausible_clock",
    "emergency_area", "position_unreliable", "sensor",      "probing",      "mapping",
    "other"};

static const char *const stream_kinds[DC_API_STREAM_KINDS] = {"alerts", "tracks"};

static const double bounds[DC_API_DURATION_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1,    5};

static void add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void dc__metrics_request(dc_api *api, int status, double seconds, int stream)
{
    dc_api_counters *c = &api->counters;
    if (status >= 100 && status < 600)
        add(&c->requests_by_class[status / 100], 1);
    if (stream)
        return; /* its time is the stream's life (dc__metrics_stream), not an answer's */
    for (int b = 0; b < DC_API_DURATION_BUCKETS; b++)
        if (seconds <= bounds[b]) {
            add(&c->duration_buckets[b], 1);
            break;
        }
    add(&c->duration_count, 1);
    add(&c->duration_sum_us, (uint64_t)(seconds * 1e6));
}

void dc__metrics_stream(dc_api *api, int kind, int opened, double seconds)
{
    int k = kind == DC_STREAM_TRACKS ? 1 : 0;
    dc_api_counters *c = &api->counters;
    if (opened) {
        add(&c->streams_open[k], 1);
        add(&c->streams_total[k], 1);
    } else {
        __atomic_fetch_sub(&c->streams_open[k], 1, __ATOMIC_RELAXED);
        add(&c->stream_us[k], (uint64_t)(seconds * 1e6));
    }
}

void dc__metrics_alerts(dc_api *api, const char *kind, uint64_t copies)
{
    int k = DC_API_ALERT_KINDS - 1;
    for (int i = 0; kind != NULL && i < DC_API_ALERT_KINDS - 1; i++)
        if (strcmp(kind, alert_kinds[i]) == 0)
            k = i;
    add(&api->counters.alerts[k], copies);
}

void dc__metrics_notice(dc_api *api)
{
    add(&api->counters.notices, 1);
}

void dc__metrics_report(dc_api *api, dc_report_verdict verdict)
{
    unsigned v = (unsigned)verdict;
    add(&api->counters.reports[v < DC_API_VERDICTS ? v : DC_API_VERDICTS - 1], 1);
}

/* Append to the growing text; 0, or -1 when memory ran out. */
struct text {
    char *buf;
    size_t used, cap;
};

static int put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->used, t->cap - t->used, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        if ((size_t)n < t->cap - t->used) {
            t->used += (size_t)n;
            return 0;
        }
        char *grown = realloc(t->buf, t->cap * 2 + (size_t)n);
        if (grown == NULL)
            return -1;
        t->buf = grown;
        t->cap = t->cap * 2 + (size_t)n;
    }
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void requests(struct text *t, const dc_api_counters *c)
{
    family(t, "deconflict_requests_total", "counter",
           "HTTP requests by status class (event streams included).");
    for (int k = 1; k <= 5; k++)
        put(t, "deconflict_requests_total{class=\"%dxx\"} %llu\n", k,
            (unsigned long long)get(&c->requests_by_class[k]));
    family(t, "deconflict_request_duration_seconds", "histogram",
           "Time to answer a request; event streams are counted apart.");
    uint64_t cumulative = 0;
    for (int b = 0; b < DC_API_DURATION_BUCKETS; b++) {
        cumulative += get(&c->duration_buckets[b]);
        put(t, "deconflict_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[b],
            (unsigned long long)cumulative);
    }
    uint64_t count = get(&c->duration_count);
    put(t,
        "deconflict_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
        "deconflict_request_duration_seconds_sum %.6f\n"
        "deconflict_request_duration_seconds_count %llu\n",
        (unsigned long long)count, (double)get(&c->duration_sum_us) / 1e6,
        (unsigned long long)count);
    family(t, "deconflict_streams_open", "gauge", "Event streams open now, by kind.");
    for (int k = 0; k < DC_API_STREAM_KINDS; k++)
        put(t, "deconflict_streams_open{kind=\"%s\"} %llu\n", stream_kinds[k],
            (unsigned long long)get(&c->streams_open[k]));
    family(t, "deconflict_streams_total", "counter", "Event streams opened, by kind.");
    for (int k = 0; k < DC_API_STREAM_KINDS; k++)
        put(t, "deconflict_streams_total{kind=\"%s\"} %llu\n", stream_kinds[k],
            (unsigned long long)get(&c->streams_total[k]));
    family(t, "deconflict_stream_seconds_total", "counter",
           "Time event streams stayed open, once closed, by kind.");
    for (int k = 0; k < DC_API_STREAM_KINDS; k++)
        put(t, "deconflict_stream_seconds_total{kind=\"%s\"} %.3f\n", stream_kinds[k],
            (double)get(&c->stream_us[k]) / 1e6);
}

static void live(struct text *t, dc_api *api)
{
    const dc_api_counters *c = &api->counters;
    family(t, "deconflict_alerts_total", "counter", "Alerts delivered (each recipient's copy).");
    for (int k = 0; k < DC_API_ALERT_KINDS; k++)
        put(t, "deconflict_alerts_total{kind=\"%s\"} %llu\n", alert_kinds[k],
            (unsigned long long)get(&c->alerts[k]));
    family(t, "deconflict_notices_total", "counter", "Notices stored for a party.");
    put(t, "deconflict_notices_total %llu\n", (unsigned long long)get(&c->notices));
    family(t, "deconflict_track_reports_total", "counter", "Position reports, by verdict.");
    for (int v = 0; v < DC_API_VERDICTS; v++) {
        uint64_t n = get(&c->reports[v]);
        const char *name = dc_report_verdict_name((dc_report_verdict)v);
        if (n > 0 || v == DC_REPORT_ACCEPTED)
            put(t, "deconflict_track_reports_total{verdict=\"%s\"} %llu\n", name,
                (unsigned long long)n);
    }
    size_t tracks = 0;
    if (api->svc.monitor != NULL) {
        pthread_mutex_lock(&api->svc.monitor_lock);
        tracks = dc_monitor_track_count(api->svc.monitor);
        pthread_mutex_unlock(&api->svc.monitor_lock);
    }
    family(t, "deconflict_tracks_live", "gauge", "Aircraft the live monitor follows now.");
    put(t, "deconflict_tracks_live %zu\n", tracks);
}

void dc__metrics_page(dc_api *api, dc_api_response *res)
{
    int64_t counts[DC_KIND_COUNT] = {0};
    /* a store that cannot be read now shows zeros: the page is still worth serving */
    (void)dc_service_object_counts(&api->svc, counts);
    struct text t = {malloc(16384), 0, 16384};
    if (t.buf == NULL) {
        dc_api_problem(res, 500, DC_NOMEM, NULL, "out of memory");
        return;
    }
    t.buf[0] = '\0';
    requests(&t, &api->counters);
    live(&t, api);
    family(&t, "deconflict_objects", "gauge", "Stored objects by kind.");
    for (int k = 0; k < DC_KIND_SITE; k++) /* sites are never counted, not even here */
        put(&t, "deconflict_objects{kind=\"%s\"} %lld\n", dc_kind_name((dc_object_kind)k),
            (long long)counts[k]);
    /* the store's and the emergencies' families write into a fixed room: give them one */
    char room[12288];
    size_t n = dc__api_storage_metrics(api, room, sizeof room);
    n += dc__api_emergency_metrics(api, room + n, sizeof room - n);
    put(&t, "%.*s", (int)n, room);
    res->status = 200;
    res->text = t.buf;
    res->content_type = "text/plain; version=0.0.4";
}
