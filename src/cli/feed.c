/* feed.c - `deconflict feed`: a receiver's picture (SBS-1 on TCP 30003, or readsb's aircraft.json)
 * posted to a server as the party's position reports or sensor updates. Two threads: one reads
 * the source (and reconnects), one posts; between them a bounded queue that drops its oldest
 * report when the server is slower than the sky, so the source is never held up by the server
 * and the server is never sent a backlog it cannot take. */
#include "cli.h"
#include "feed.h"
#include "http.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 500           /* reports a request at most ... */
#define BATCH_PERIOD_US 1000000 /* ... and one request a second when fewer are waiting */
#define READ_BYTES 65536 /* an SBS line is ~120 bytes: a buffer without a newline is no SBS */
#define DRAIN_S 10       /* on stop, what is queued still goes for this long */
#define HTTP_TIMEOUT_S 30

static const char help[] =
    "usage: deconflict feed --server URL --key-file FILE [--sensor [--accuracy M]]\n"
    "                       [--interval S] [--once] [--clock message|received] [--queue N]\n"
    "                       [--stats S] [--duration S] [--json] SOURCE\n"
    "\n"
    "Posts what a receiver hears to the server at URL as the party whose key is in FILE:\n"
    "position reports (POST /v1/tracks), or with --sensor sensor track updates (POST\n"
    "/v1/sensor-tracks: the ICAO address becomes the sensor's track number; no callsign or\n"
    "other identity is sent). SOURCE is\n"
    "  sbs://HOST:PORT   the SBS-1/BaseStation text of dump1090/readsb (port 30003):\n"
    "                    MSG,3 gives a position, MSG,4 the velocity, MSG,1 the callsign,\n"
    "                    MSG,5/7 the altitude; one report each time a position arrives.\n"
    "                    The connection is made again, with back-off (0.5 s doubling to\n"
    "                    30 s), whenever it drops or cannot be made.\n"
    "  FILE or URL       readsb's aircraft.json (a path, or http(s)://.../aircraft.json),\n"
    "                    read every --interval S (default 1); positions not newer than an\n"
    "                    aircraft's last are not sent again. --once reads it once and exits.\n"
    "Units: the receiver's feet (altitude), knots (ground speed) and feet a minute\n"
    "(vertical rate) are converted here; the server is sent metres and metres a second.\n"
    "Reports go in batches: one request a second, or as soon as 500 are waiting. The\n"
    "source is never held up by the server: reports wait in a queue of --queue N (default\n"
    "20000); when it is full the oldest is dropped and counted. A 429 is honoured (its\n"
    "Retry-After), a server that is down or failing is retried with back-off; a batch the\n"
    "server refuses (400, 422) is counted refused and not sent again.\n"
    "  --sensor       post sensor track updates instead of position reports\n"
    "  --accuracy M   the sensor's stated horizontal accuracy, metres 1 sigma (default 100)\n"
    "  --clock        date each report by the message's own time (message: SBS's date and\n"
    "                 time generated, read as UTC - run dump1090 with TZ=UTC; readsb's now -\n"
    "                 seen_pos) or by when it was received here (received; the default for\n"
    "                 sbs://, since dump1090 writes local time)\n"
    "  --stats S      what was received, posted, dropped and refused, on standard error\n"
    "                 every S seconds (default 10), and at the end\n"
    "  --json         the same as one JSON line on standard output each time\n"
    "  --duration S   stop after S seconds (default: until SIGINT or SIGTERM)\n"
    "On stop, what is queued is still posted for up to 10 s. Exit 0 when stopped, 1 when\n"
    "the server cannot be reached at start or refuses the key (401/403, at any time), or\n"
    "--once could not read its source; 2 for a usage error.\n";

enum source_kind { SOURCE_SBS, SOURCE_JSON_FILE, SOURCE_JSON_URL };

struct feed {
    /* options */
    const char *source;
    enum source_kind kind;
    char host[256], port[16];
    char server[1024], key[256], party[128];
    int sensor, json, once, message_clock;
    double accuracy_m, interval_s, stats_s, duration_s;
    size_t queue_max;
    /* the queue and everything counted, under `lock` */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    dc_feed_report *ring;
    size_t head, count;
    dc_feed_counts parsed;
    uint64_t connections, source_errors, queued, dropped, posted, flagged, refused, batches,
        rate_limited, server_errors, unsent;
    int connected;
    /* set once, read by all (under `lock`) */
    int stop, reader_done, fatal, source_failed;
    dc_time_us drain_until;
};

static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
    (void)sig;
    signalled = 1;
}

static dc_time_us now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (dc_time_us)ts.tv_sec * DC_US_PER_S + ts.tv_nsec / 1000;
}

static int flag(struct feed *f, const int *which)
{
    pthread_mutex_lock(&f->lock);
    int v = *which;
    pthread_mutex_unlock(&f->lock);
    return v;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("deconflict feed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Sleep `s` seconds in steps, ending early when the feed stops (reader) or when its drain time
 * is over (poster: what is queued still goes after a stop). */
static void nap(struct feed *f, double s, int poster)
{
    dc_time_us until = now_us() + (dc_time_us)(s * 1e6);
    for (;;) {
        pthread_mutex_lock(&f->lock);
        int over = poster ? f->stop && now_us() >= f->drain_until : f->stop;
        pthread_mutex_unlock(&f->lock);
        dc_time_us left = until - now_us();
        if (over || left <= 0)
            return;
        struct timespec ts = {0, (long)(left < 100000 ? left : 100000) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- the queue ---- */

static void push(void *ctx, const dc_feed_report *r)
{
    struct feed *f = ctx;
    pthread_mutex_lock(&f->lock);
    if (f->count == f->queue_max) {
        f->head = (f->head + 1) % f->queue_max; /* the oldest goes: the newest matter most */
        f->count--;
        f->dropped++;
    }
    f->ring[(f->head + f->count) % f->queue_max] = *r;
    f->count++;
    f->queued++;
    if (f->count >= BATCH_MAX)
        pthread_cond_signal(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

static void stop_feed(struct feed *f, int fatal)
{
    pthread_mutex_lock(&f->lock);
    if (!f->stop)
        f->drain_until = fatal ? 0 : now_us() + (dc_time_us)DRAIN_S * DC_US_PER_S;
    if (fatal)
        f->drain_until = f->fatal = 1;
    f->stop = 1;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}

/* ---- posting ---- */

static json_t *report_json(const struct feed *f, const dc_feed_report *r)
{
    char when[32];
    if (dc_time_format(r->time, when, sizeof when) != DC_OK)
        return NULL;
    json_t *j = f->sensor ? json_pack("{s:s}", "track_number", r->aircraft)
                          : json_pack("{s:s}", "aircraft", r->aircraft);
    if (!f->sensor && r->callsign[0] != '\0')
        json_object_set_new(j, "callsign", json_string(r->callsign));
    json_object_set_new(j, "time", json_string(when));
    json_object_set_new(j, "position", json_pack("{s:f,s:f}", "lat", r->lat, "lng", r->lon));
    json_object_set_new(j, "altitude", json_real(r->altitude_m));
    if (isfinite(r->ground_speed_mps)) {
        json_object_set_new(j, "ground_speed", json_real(r->ground_speed_mps));
        json_object_set_new(j, "track", json_real(r->track_deg));
        if (!f->sensor && isfinite(r->vertical_rate_mps))
            json_object_set_new(j, "vertical_rate", json_real(r->vertical_rate_mps));
    }
    if (f->sensor)
        json_object_set_new(j, "accuracy", json_real(f->accuracy_m));
    return j;
}

/* What the server made of a batch it answered: 0 done (posted or refused), 1 to send again
 * after *wait_s, -1 fatal (the key). */
static int answered(struct feed *f, const dc_cli_http *r, size_t n, double *wait_s, int *outage)
{
    char why[640];
    if (r->status == 200) {
        json_int_t accepted = json_integer_value(json_object_get(r->json, "accepted"));
        size_t flagged = json_array_size(json_object_get(r->json, "flagged"));
        pthread_mutex_lock(&f->lock);
        f->posted += (uint64_t)accepted;
        f->flagged += flagged;
        f->batches++;
        pthread_mutex_unlock(&f->lock);
        return 0;
    }
    if (r->status == 429 || r->status == 503 || r->status >= 500) {
        pthread_mutex_lock(&f->lock);
        if (r->status == 429)
            f->rate_limited++;
        else
            f->server_errors++;
        pthread_mutex_unlock(&f->lock);
        if (r->status == 429 || r->retry_after_s > 0) {
            *wait_s = r->retry_after_s > 0 ? r->retry_after_s : 1;
        } else if (!*outage) {
            dc_cli_http_refusal(r, why, sizeof why);
            say("the server failed a batch (%s); sending it again with back-off", why);
            *outage = 1;
        }
        return 1;
    }
    dc_cli_http_refusal(r, why, sizeof why);
    if (r->status == 401 || r->status == 403) {
        say("the server refuses the key: %s", why);
        return -1;
    }
    pthread_mutex_lock(&f->lock);
    f->refused += n;
    pthread_mutex_unlock(&f->lock);
    say("the server refused a batch of %zu: %s", n, why);
    return 0;
}

static void send_batch(struct feed *f, const dc_feed_report *batch, size_t n)
{
    json_t *body = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = report_json(f, &batch[i]);
        if (j != NULL)
            json_array_append_new(body, j);
    }
    const char *path = f->sensor ? "/v1/sensor-tracks" : "/v1/tracks";
    double backoff = 0.5;
    int outage = 0;
    for (;;) {
        dc_cli_http r;
        double wait_s = backoff;
        int rc;
        if (dc_cli_http_call_within(f->server, "POST", path, f->key, body, HTTP_TIMEOUT_S, &r) !=
            0) {
            pthread_mutex_lock(&f->lock);
            f->server_errors++;
            pthread_mutex_unlock(&f->lock);
            if (!outage)
                say("%s; keeping the newest %zu reports and trying again with back-off", r.error,
                    f->queue_max);
            outage = 1;
            rc = 1;
        } else {
            rc = answered(f, &r, n, &wait_s, &outage);
            if (rc == 0 && outage)
                say("the server at %s answers again", f->server);
        }
        dc_cli_http_clear(&r);
        if (rc < 0)
            stop_feed(f, 1);
        if (rc <= 0)
            break;
        pthread_mutex_lock(&f->lock);
        int over = f->stop && now_us() >= f->drain_until;
        if (over)
            f->unsent += n;
        pthread_mutex_unlock(&f->lock);
        if (over)
            break;
        nap(f, wait_s, 1);
        backoff = backoff * 2 < 30 ? backoff * 2 : 30;
    }
    json_decref(body);
}

static void *poster(void *arg)
{
    struct feed *f = arg;
    dc_feed_report *batch = malloc(BATCH_MAX * sizeof *batch);
    dc_time_us next = now_us() + BATCH_PERIOD_US;
    for (int done = 0; batch != NULL && !done;) {
        pthread_mutex_lock(&f->lock);
        /* a batch when 500 wait or a second has passed; after a stop, at once */
        while (f->count < BATCH_MAX && now_us() < next &&
               !(f->stop && (f->count > 0 || f->reader_done))) {
            struct timespec until = {(time_t)(next / DC_US_PER_S),
                                     (long)(next % DC_US_PER_S) * 1000};
            pthread_cond_timedwait(&f->wake, &f->lock, &until);
        }
        size_t n = f->count < BATCH_MAX ? f->count : BATCH_MAX;
        for (size_t i = 0; i < n; i++)
            batch[i] = f->ring[(f->head + i) % f->queue_max];
        f->head = (f->head + n) % f->queue_max;
        f->count -= n;
        int stopping = f->stop, fatal = f->fatal;
        /* after a stop the queue drains, and ends at the drain time or once the reader is done */
        done = fatal || (stopping && (f->reader_done && f->count == 0 && n == 0)) ||
               (stopping && now_us() >= f->drain_until);
        if (done)
            f->unsent += n + f->count;
        pthread_mutex_unlock(&f->lock);
        next = now_us() + BATCH_PERIOD_US;
        if (n > 0 && !done)
            send_batch(f, batch, n);
    }
    free(batch);
    return NULL;
}

/* ---- the source ---- */

static int connect_to(const char *host, const char *port, char *why, size_t size)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        snprintf(why, size, "%s", gai_strerror(g));
        return -1;
    }
    int fd = -1, err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        err = errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            socklen_t len = sizeof err;
            if (poll(&p, 1, 5000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
                err == 0)
                break;
            if (err == EINPROGRESS)
                err = ETIMEDOUT;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(why, size, "%s", strerror(err));
    return fd;
}

static void parsed(struct feed *f, const dc_feed_state *s)
{
    pthread_mutex_lock(&f->lock);
    f->parsed = *dc_feed_state_counts(s);
    pthread_mutex_unlock(&f->lock);
}

/* One connection to an SBS source, read until it drops or the feed stops: 1 when it delivered
 * something (the back-off starts again), 0 when not, -1 when none was made. */
static int sbs_session(struct feed *f, dc_feed_state *s, char *buf, size_t size)
{
    char why[256];
    int fd = connect_to(f->host, f->port, why, sizeof why);
    if (fd < 0) {
        pthread_mutex_lock(&f->lock);
        uint64_t errors = f->source_errors++;
        pthread_mutex_unlock(&f->lock);
        if (errors == 0 || f->connections > 0)
            say("cannot connect to %s: %s (trying again with back-off)", f->source, why);
        return -1;
    }
    pthread_mutex_lock(&f->lock);
    uint64_t n = f->connections++;
    f->connected = 1;
    pthread_mutex_unlock(&f->lock);
    say("%s %s", n == 0 ? "connected to" : "reconnected to", f->source);
    size_t have = 0;
    int delivered = 0, skipping = 0, closed = 0;
    while (!flag(f, &f->stop) && !closed) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, 200);
        if (ready <= 0)
            continue;
        ssize_t got = read(fd, buf + have, size - have);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            say("%s %s", got == 0 ? "the source closed the connection:" : "the source failed:",
                got == 0 ? f->source : strerror(errno));
            break;
        }
        delivered = 1;
        have += (size_t)got;
        dc_time_us received = now_us();
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            if (!skipping)
                dc_feed_sbs_line(s, buf + start, i - start, received, push, f);
            skipping = 0;
            start = i + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == size) { /* no newline in a whole buffer: not SBS; skip to the next line */
            dc_feed_sbs_line(s, "overlong", 8, received, push, f);
            skipping = 1;
            have = 0;
        }
        parsed(f, s);
    }
    close(fd);
    pthread_mutex_lock(&f->lock);
    f->connected = 0;
    pthread_mutex_unlock(&f->lock);
    return delivered;
}

/* One read of an aircraft.json: 0, or -1 (said once per run of failures). */
static int json_poll(struct feed *f, dc_feed_state *s, int *failing)
{
    char why[600] = "";
    char *text = NULL;
    size_t length = 0;
    dc_cli_http r = {0};
    int rc = 0;
    if (f->kind == SOURCE_JSON_URL) {
        rc = dc_cli_http_call_within(f->source, "GET", "", NULL, NULL, HTTP_TIMEOUT_S, &r);
        if (rc != 0)
            snprintf(why, sizeof why, "%s", r.error);
        else if (r.status != 200)
            snprintf(why, sizeof why, "HTTP %ld", r.status), rc = -1;
        text = r.body;
        length = r.length;
    } else {
        rc = dc_cli_read_input(f->source, &text, &length, why, sizeof why);
    }
    if (rc == 0 && dc_feed_aircraft_json(s, text, length, now_us(), push, f) != 0) {
        snprintf(why, sizeof why, "not an aircraft.json (no \"aircraft\" list)");
        rc = -1;
    }
    if (f->kind == SOURCE_JSON_URL)
        dc_cli_http_clear(&r);
    else
        free(text);
    pthread_mutex_lock(&f->lock);
    if (rc != 0)
        f->source_errors++;
    else
        f->connections += !f->connected, f->connected = 1;
    pthread_mutex_unlock(&f->lock);
    if (rc != 0 && !*failing)
        say("cannot read %s: %s%s", f->source, why, f->once ? "" : " (trying again)");
    if (rc == 0 && *failing)
        say("%s reads again", f->source);
    *failing = rc != 0;
    parsed(f, s);
    return rc;
}

static void *reader(void *arg)
{
    struct feed *f = arg;
    dc_feed_state *s = dc_feed_state_new(f->message_clock);
    char *buf = malloc(READ_BYTES);
    double backoff = 0.5;
    int failing = 0;
    while (s != NULL && buf != NULL && !flag(f, &f->stop)) {
        if (f->kind == SOURCE_SBS) {
            int rc = sbs_session(f, s, buf, READ_BYTES);
            backoff = rc > 0 ? 0.5 : (backoff * 2 < 30 ? backoff * 2 : 30);
            if (!flag(f, &f->stop))
                nap(f, backoff, 0);
            continue;
        }
        dc_time_us start = now_us();
        int rc = json_poll(f, s, &failing);
        if (f->once) {
            pthread_mutex_lock(&f->lock);
            f->source_failed = rc != 0;
            pthread_mutex_unlock(&f->lock);
            break;
        }
        double spent = (double)(now_us() - start) / 1e6;
        nap(f, rc == 0 ? f->interval_s - spent : backoff, 0);
        backoff = rc == 0 ? 0.5 : (backoff * 2 < 30 ? backoff * 2 : 30);
    }
    pthread_mutex_lock(&f->lock);
    f->reader_done = 1;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
    free(buf);
    dc_feed_state_free(s);
    return NULL;
}

/* ---- what was done ---- */

static void stats(struct feed *f, dc_time_us started, int final)
{
    pthread_mutex_lock(&f->lock);
    struct feed c = *f; /* the counters at one instant */
    pthread_mutex_unlock(&f->lock);
    double elapsed = (double)(now_us() - started) / 1e6;
    const char *state = c.kind == SOURCE_SBS ? (c.connected ? "connected" : "disconnected")
                                             : (c.connected ? "read" : "not read");
    fprintf(stderr,
            "deconflict feed: %s%.0f s: source %s (%llu connection%s, %llu error%s); received "
            "%llu %s (%llu malformed, %llu ignored, %llu not newer) -> %llu reports; posted "
            "%llu (%llu flagged by the server), refused %llu, dropped %llu, waiting %zu, "
            "unsent %llu; %llu rate-limited, %llu server errors\n",
            final ? "stopped after " : "", elapsed, state,
            DC_CLI_PLURAL((unsigned long long)c.connections, "", "s"),
            DC_CLI_PLURAL((unsigned long long)c.source_errors, "", "s"),
            (unsigned long long)c.parsed.lines, c.kind == SOURCE_SBS ? "lines" : "aircraft entries",
            (unsigned long long)c.parsed.malformed, (unsigned long long)c.parsed.ignored,
            (unsigned long long)c.parsed.stale, (unsigned long long)c.parsed.positions,
            (unsigned long long)c.posted, (unsigned long long)c.flagged,
            (unsigned long long)c.refused, (unsigned long long)c.dropped, c.count,
            (unsigned long long)c.unsent, (unsigned long long)c.rate_limited,
            (unsigned long long)c.server_errors);
    if (!f->json)
        return;
    char when[32];
    dc_time_format(now_us(), when, sizeof when);
    json_t *j = json_pack(
        "{s:s,s:f,s:b,s:{s:s,s:s,s:b,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I},s:I,s:I,s:I,s:I,s:I,s:I,"
        "s:I,s:I,s:I}",
        "time", when, "elapsed_s", elapsed, "final", final, "source", "kind",
        c.kind == SOURCE_SBS ? "sbs" : "aircraft.json", "state", state, "connected", c.connected,
        "connections", (json_int_t)c.connections, "errors", (json_int_t)c.source_errors, "received",
        "lines", (json_int_t)c.parsed.lines, "malformed", (json_int_t)c.parsed.malformed, "ignored",
        (json_int_t)c.parsed.ignored, "not_newer", (json_int_t)c.parsed.stale, "reports",
        (json_int_t)c.parsed.positions, "queued", (json_int_t)c.queued, "waiting",
        (json_int_t)c.count, "posted", (json_int_t)c.posted, "flagged", (json_int_t)c.flagged,
        "refused", (json_int_t)c.refused, "dropped", (json_int_t)c.dropped, "unsent",
        (json_int_t)c.unsent, "rate_limited", (json_int_t)c.rate_limited, "server_errors",
        (json_int_t)c.server_errors);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL) {
        puts(text);
        fflush(stdout);
    }
    free(text);
    json_decref(j);
}

/* ---- options and the run ---- */

static int number_arg(const char *name, const char *text, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "deconflict feed: %s is a number from %g to %g, not '%s'\n", name, lo, hi,
                text);
        return -1;
    }
    *out = v;
    return 0;
}

/* sbs://HOST:PORT (HOST may be [v6]), an http(s) URL, or a path. 0, or -1 (said). */
static int source_of(struct feed *f, const char *text)
{
    f->source = text;
    if (strncmp(text, "http://", 7) == 0 || strncmp(text, "https://", 8) == 0) {
        f->kind = SOURCE_JSON_URL;
        return 0;
    }
    if (strncmp(text, "sbs://", 6) != 0) {
        f->kind = SOURCE_JSON_FILE;
        if (strstr(text, "://") == NULL)
            return 0;
        fprintf(stderr,
                "deconflict feed: SOURCE is sbs://HOST:PORT, an aircraft.json URL "
                "(http:// or https://) or a file, not '%s'\n",
                text);
        return -1;
    }
    f->kind = SOURCE_SBS;
    const char *h = text + 6, *colon = strrchr(h, ':');
    size_t hn = colon ? (size_t)(colon - h) : 0;
    if (hn > 1 && h[0] == '[' && h[hn - 1] == ']')
        h++, hn -= 2;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (colon == NULL || hn == 0 || hn >= sizeof f->host || end == colon + 1 || *end != '\0' ||
        port < 1 || port > 65535) {
        fprintf(stderr,
                "deconflict feed: an SBS source is sbs://HOST:PORT (dump1090 and readsb "
                "serve it on port 30003), not '%s'\n",
                text);
        return -1;
    }
    memcpy(f->host, h, hn);
    f->host[hn] = '\0';
    snprintf(f->port, sizeof f->port, "%ld", port);
    return 0;
}

static int options(struct feed *f, int argc, char **argv, const char **server, const char **key)
{
    const char *clock = NULL, *source = NULL;
    int accuracy_given = 0;
    double queue = 20000;
    f->accuracy_m = 100;
    f->interval_s = 1;
    f->stats_s = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc, rc = 0;
        if (strcmp(a, "--json") == 0)
            f->json = 1;
        else if (strcmp(a, "--sensor") == 0)
            f->sensor = 1;
        else if (strcmp(a, "--once") == 0)
            f->once = 1;
        else if (strcmp(a, "--server") == 0 && has)
            *server = argv[++i];
        else if (strcmp(a, "--key-file") == 0 && has)
            *key = argv[++i];
        else if (strcmp(a, "--clock") == 0 && has)
            clock = argv[++i];
        else if (strcmp(a, "--accuracy") == 0 && has)
            rc = number_arg(a, argv[++i], 0.1, 5000, &f->accuracy_m), accuracy_given = 1;
        else if (strcmp(a, "--interval") == 0 && has)
            rc = number_arg(a, argv[++i], 0.1, 3600, &f->interval_s);
        else if (strcmp(a, "--stats") == 0 && has)
            rc = number_arg(a, argv[++i], 0.1, 86400, &f->stats_s);
        else if (strcmp(a, "--duration") == 0 && has)
            rc = number_arg(a, argv[++i], 0.1, 1e9, &f->duration_s);
        else if (strcmp(a, "--queue") == 0 && has)
            rc = number_arg(a, argv[++i], BATCH_MAX, 1e7, &queue);
        else if ((a[0] != '-' || a[1] == '\0') && source == NULL)
            source = a;
        else {
            fprintf(stderr, "deconflict feed: unexpected '%s'\n%s", a, help);
            return -1;
        }
        if (rc != 0)
            return -1;
    }
    f->queue_max = (size_t)queue;
    if (source == NULL || *key == NULL) {
        fprintf(stderr, "deconflict feed: %s is required\n%s",
                source == NULL ? "SOURCE" : "--key-file FILE (the party's key)", help);
        return -1;
    }
    if (accuracy_given && !f->sensor) {
        fprintf(stderr, "deconflict feed: --accuracy is a sensor's: give --sensor too\n");
        return -1;
    }
    if (source_of(f, source) != 0)
        return -1;
    f->message_clock = f->kind != SOURCE_SBS;
    if (clock != NULL && strcmp(clock, "message") != 0 && strcmp(clock, "received") != 0) {
        fprintf(stderr, "deconflict feed: --clock is message or received, not '%s'\n", clock);
        return -1;
    }
    if (clock != NULL)
        f->message_clock = strcmp(clock, "message") == 0;
    return 0;
}

/* The key is the party's and the server answers: else a clear line and exit 1. */
static int check_server(struct feed *f)
{
    dc_cli_http r;
    char why[640];
    if (dc_cli_http_call_within(f->server, "GET", "/v1/parties/me", f->key, NULL, HTTP_TIMEOUT_S,
                                &r) != 0) {
        say("%s (is deconflictd running there?)", r.error);
        return -1;
    }
    const char *name = json_string_value(json_object_get(r.json, "name"));
    int ok = r.status == 200 && name != NULL;
    if (ok)
        snprintf(f->party, sizeof f->party, "%s", name);
    else {
        dc_cli_http_refusal(&r, why, sizeof why);
        say("%s: GET /v1/parties/me: %s", f->server, why);
    }
    dc_cli_http_clear(&r);
    return ok ? 0 : -1;
}

static int run(struct feed *f)
{
    pthread_t threads[2];
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old); /* the signals come to this thread only */
    int made = 0;
    if (pthread_create(&threads[0], NULL, reader, f) == 0)
        made++;
    if (made == 1 && pthread_create(&threads[1], NULL, poster, f) == 0)
        made++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (made < 2)
        stop_feed(f, 1);
    dc_time_us started = now_us(), next_stats = started + (dc_time_us)(f->stats_s * 1e6);
    while (made == 2 && !flag(f, &f->stop)) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        dc_time_us t = now_us();
        if (signalled || flag(f, &f->reader_done) ||
            (f->duration_s > 0 && t - started >= (dc_time_us)(f->duration_s * 1e6)))
            stop_feed(f, 0);
        if (t >= next_stats) {
            stats(f, started, 0);
            next_stats += (dc_time_us)(f->stats_s * 1e6);
        }
    }
    for (int i = 0; i < made; i++)
        pthread_join(threads[i], NULL);
    stats(f, started, 1);
    return made < 2 || f->fatal || f->source_failed ? 1 : 0;
}

int dc_cli_feed(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        }
    static struct feed f; /* the signal handler's flag aside, nothing is shared with it */
    memset(&f, 0, sizeof f);
    const char *server = NULL, *key_file = NULL;
    char why[512];
    if (options(&f, argc, argv, &server, &key_file) != 0)
        return 2;
    if (dc_cli_http_server(server, f.server, sizeof f.server, why, sizeof why) != 0 ||
        dc_cli_operator_key(key_file, f.key, sizeof f.key, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict feed: %s\n", why);
        return 2;
    }
    if (dc_cli_http_init() != 0) {
        say("the HTTP client cannot start");
        return 1;
    }
    if (check_server(&f) != 0) {
        sodium_memzero(f.key, sizeof f.key);
        return 1;
    }
    say("posting %s as %s to %s from %s", f.sensor ? "sensor track updates" : "position reports",
        f.party, f.server, f.source);
    f.ring = malloc(f.queue_max * sizeof *f.ring);
    if (f.ring == NULL) {
        say("out of memory for a queue of %zu", f.queue_max);
        return 1;
    }
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.wake, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signalled = 0;
    int status = run(&f);
    pthread_cond_destroy(&f.wake);
    pthread_mutex_destroy(&f.lock);
    free(f.ring);
    sodium_memzero(f.key, sizeof f.key);
    return status;
}
