/* server.c - deconflictd's HTTP side: libmicrohttpd, authentication, limits, logging, shutdown */
#include "deconflict/server.h"

#include "api_internal.h"
#include "deconflict/party_admin.h"
#include "deconflict/scenario.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char dc_server_usage[] =
    "usage: deconflictd [--listen HOST:PORT] [--db FILE] [--operator-key-file FILE]\n"
    "                   [--body-limit BYTES] [--threads N] [--timeout SECONDS] [--borders FILE]\n"
    "                   [--web DIR] [--probe-limit N] [--probe-window SECONDS]\n"
    "                   [--new-aircraft-per-minute N] [--new-aircraft-alert N]\n"
    "                   [--rate-writes R/B] [--rate-messages R/B] [--rate-reports R/B]\n"
    "                   [--establish-seconds S] [--quiet] [--json]\n"
    "                   [--work-budget UNITS] [--connections-per-address N]\n"
    "                   [--header-timeout SECONDS] [--body-timeout SECONDS]\n"
    "                   [--retain KIND=DURATION]... [--archive DIR] [--archive-period DURATION]\n"
    "                   [--archive-batch N] [--check quick|full|none] [--check-seconds S]\n"
    "\n"
    "Serves the Deconflict HTTP/JSON API (docs/openapi.yaml) over a SQLite store.\n"
    "  --listen             address to listen on (default 127.0.0.1:8080; env DECONFLICT_LISTEN)\n"
    "  --db                 the store file, created if missing (default deconflict.db; env DECONFLICT_DB)\n"
    "  --operator-key-file  the operator's key, created if missing (default operator.key;\n"
    "                       env DECONFLICT_OPERATOR_KEY_FILE); it manages parties\n"
    "  --body-limit         largest request body in bytes (default 1048576)\n"
    "  --threads            worker threads (default: 4 per core, at least 8)\n"
    "  --timeout            seconds a connection may idle (default 30)\n"
    "  --borders            more zones for the live monitor, e.g. build/borders/world.geojson\n"
    "  --web DIR            serve the operations picture (web/dist) at /\n"
    "  --probe-limit N      more than N hazards refused over protected sites ...\n"
    "  --probe-window S     ... within S seconds alert the operator (default 5 in 600)\n"
    "  --new-aircraft-per-minute N  new aircraft one party may start a minute; past it their\n"
    "                       reports are refused and the operator alerted (default 200)\n"
    "  --new-aircraft-alert N  more new aircraft than N from one party in a minute alert the\n"
    "                       operator, refused or not (default 50)\n"
    "  --rate-writes R/B    each party's writes (object PUT/DELETE, grants): R a second,\n"
    "                       bursts of B (default 50/500); past it 429 with Retry-After\n"
    "  --rate-messages R/B  each party's messages sent (default 5/50)\n"
    "  --rate-reports R/B   each party's position reports, counted one by one\n"
    "                       (default 5000/50000); `deconflict party limits` sets a party's own\n"
    "  --establish-seconds S  a track must report plausibly for S seconds (and 3 reports)\n"
    "                       before it is told of other parties' aircraft (default 30)\n"
    "  --work-budget UNITS  the engine work one submission may cost before it is refused with\n"
    "                       422 (default 250000; docs/RELIABILITY.md)\n"
    "  --connections-per-address N  open connections one client address may hold (default 32;\n"
    "                       0: no limit, e.g. behind a proxy that limits them itself)\n"
    "  --header-timeout S   a request's line and headers must be in within S seconds of the\n"
    "                       connection's start or its previous answer (default 10)\n"
    "  --body-timeout S     its body within S seconds of its headers (default 30)\n"
    "  --quiet              no request log\n"
    "  --json               once listening, one JSON line on standard output: listen, port\n"
    "                       (the one bound: --listen HOST:0 picks a free one), url, store, its\n"
    "                       check, operator_key_file, operator_key (created or read), threads,\n"
    "                       archive, version; everything else stays on standard error\n"
    "  --retain KIND=DURATION  how long rows stay in the store before they move to the archive;\n"
    "                       KIND audit (default 1d), alerts (1h), notices (7d), messages (7d,\n"
    "                       acknowledged; unacknowledged ten times as long), objects (ended or\n"
    "                       withdrawn: 1d), or all; DURATION 90s, 10m, 1h, 30d or forever\n"
    "  --archive DIR        archive segments (default: the store's file name + .archive)\n"
    "  --archive-period D   one segment per period (default 1d, aligned on UTC)\n"
    "  --archive-batch N    rows of each kind moved per transaction (default 1000)\n"
    "  --check LEVEL        the store is checked before it is served: quick (default: SQLite's\n"
    "                       quick_check, the newest 1,000 audit records, the published head),\n"
    "                       full (integrity_check and every audit record in the store), none\n"
    "                       (sizes and the head only)\n"
    "  --check-seconds S    quick_check stops after S seconds and the store is served with a\n"
    "                       note (default 30)\n"
    "Logs one line per request on standard error. SIGTERM or SIGINT: stop accepting,\n"
    "finish the requests in flight, exit 0.\n"
    "Exit status: 0 stopped on a signal; 1 could not start; 2 bad usage; 3 the store was refused\n"
    "at start (damaged, truncated, empty, or behind the head it published: the reason on\n"
    "standard error; docs/RELIABILITY.md).\n";

const dc_rate dc_rate_defaults[DC_RATE_CLASSES] = {
    {DC_RATE_WRITES_PER_S, DC_RATE_WRITES_BURST},
    {DC_RATE_MESSAGES_PER_S, DC_RATE_MESSAGES_BURST},
    {DC_RATE_REPORTS_PER_S, DC_RATE_REPORTS_BURST},
};

static int rate_arg(const char *text, dc_rate *out)
{
    return dc_rate_parse(text, out);
}

dc_status dc_server_config_parse(int argc, char **argv, dc_server_config *c, dc_error *err)
{
    memset(c, 0, sizeof *c);
    c->listen = getenv("DECONFLICT_LISTEN") ? getenv("DECONFLICT_LISTEN") : "127.0.0.1:8080";
    c->db = getenv("DECONFLICT_DB") ? getenv("DECONFLICT_DB") : "deconflict.db";
    c->operator_key_file = getenv("DECONFLICT_OPERATOR_KEY_FILE")
                               ? getenv("DECONFLICT_OPERATOR_KEY_FILE")
                               : "operator.key";
    c->body_limit = DC_API_BODY_LIMIT_DEFAULT;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* More workers than cores: a worker computing a large submission holds only its own
     * connections, and the others still get their share of the cores (docs/RELIABILITY.md). */
    c->threads = cores > 0 ? 4 * (unsigned)cores : 8;
    if (c->threads < 8)
        c->threads = 8;
    c->timeout_s = 30;
    c->probe_limit = 5;
    c->probe_window_s = 600;
    c->new_aircraft_per_minute = 200;
    c->new_aircraft_alert = 50;
    c->establish_s = 30;
    c->work_budget = DC_API_WORK_BUDGET_DEFAULT;
    c->connections_per_address = 32;
    c->header_timeout_s = 10;
    c->body_timeout_s = 30;
    for (int k = 0; k < DC_RATE_CLASSES; k++)
        c->rates[k] = dc_rate_defaults[k];
    c->check_level = DC_CHECK_QUICK;
    c->check_seconds = 30;
    /* retention is settled once --db is known: the archive's default directory follows it */
    const char *retain[DC_RETAIN_COUNT * 4];
    size_t retain_count = 0;
    const char *archive = NULL;
    dc_time_us period = (dc_time_us)DC_ARCHIVE_PERIOD_DEFAULT_S * 1000000;
    size_t batch = DC_ARCHIVE_BATCH_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--quiet") == 0) {
            c->quiet = 1;
            continue;
        }
        if (v == NULL)
            return dc_error_set(err, DC_INVALID, a, DC_NO_POSITION,
                                "%s needs a value or is unknown", a);
        if (strcmp(a, "--listen") == 0)
            c->listen = v;
        else if (strcmp(a, "--db") == 0)
            c->db = v;
        else if (strcmp(a, "--operator-key-file") == 0)
            c->operator_key_file = v;
        else if (strcmp(a, "--borders") == 0)
            c->borders = v;
        else if (strcmp(a, "--web") == 0)
            c->web = v;
        else if (strcmp(a, "--retain") == 0 && retain_count < sizeof retain / sizeof retain[0])
            retain[retain_count++] = v;
        else if (strcmp(a, "--archive") == 0 && v[0] != '\0')
            archive = v;
        else if (strcmp(a, "--archive-period") == 0 && dc_duration_parse(v, &period) == DC_OK &&
                 period > 0)
            ;
        else if (strcmp(a, "--archive-batch") == 0 &&
                 (batch = strtoul(v, &end, 10), *end == '\0') && batch >= 1 && batch <= 100000)
            ;
        else if (strcmp(a, "--probe-limit") == 0 &&
                 (c->probe_limit = (int)strtol(v, &end, 10), *end == '\0') && c->probe_limit >= 1)
            ;
        else if (strcmp(a, "--probe-window") == 0 &&
                 (c->probe_window_s = (int)strtol(v, &end, 10), *end == '\0') &&
                 c->probe_window_s >= 1)
            ;
        else if (strcmp(a, "--new-aircraft-per-minute") == 0 &&
                 (c->new_aircraft_per_minute = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->new_aircraft_per_minute >= 1 && c->new_aircraft_per_minute <= 1000000)
            ;
        else if (strcmp(a, "--new-aircraft-alert") == 0 &&
                 (c->new_aircraft_alert = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->new_aircraft_alert >= 1 && c->new_aircraft_alert <= 1000000)
            ;
        else if (strcmp(a, "--establish-seconds") == 0 &&
                 (c->establish_s = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->establish_s <= 3600)
            ;
        else if (strcmp(a, "--body-limit") == 0 &&
                 (c->body_limit = strtoul(v, &end, 10), *end == '\0') && c->body_limit >= 1024)
            ;
        else if (strcmp(a, "--threads") == 0 &&
                 (c->threads = (unsigned)strtoul(v, &end, 10), *end == '\0') && c->threads >= 1 &&
                 c->threads <= 256)
            ;
        else if (strcmp(a, "--work-budget") == 0 &&
                 (c->work_budget = strtoull(v, &end, 10), *end == '\0' && v[0] != '-') &&
                 c->work_budget >= 1)
            ;
        else if (strcmp(a, "--connections-per-address") == 0 &&
                 (c->connections_per_address = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->connections_per_address <= 1000)
            ;
        else if (strcmp(a, "--header-timeout") == 0 &&
                 (c->header_timeout_s = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->header_timeout_s >= 1 && c->header_timeout_s <= 3600)
            ;
        else if (strcmp(a, "--body-timeout") == 0 &&
                 (c->body_timeout_s = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->body_timeout_s >= 1 && c->body_timeout_s <= 3600)
            ;
        else if (strcmp(a, "--rate-writes") == 0 && rate_arg(v, &c->rates[DC_RATE_WRITES]))
            ;
        else if (strcmp(a, "--rate-messages") == 0 && rate_arg(v, &c->rates[DC_RATE_MESSAGES]))
            ;
        else if (strcmp(a, "--rate-reports") == 0 && rate_arg(v, &c->rates[DC_RATE_REPORTS]))
            ;
        else if (strcmp(a, "--check") == 0 && strcmp(v, "quick") == 0)
            c->check_level = DC_CHECK_QUICK;
        else if (strcmp(a, "--check") == 0 && strcmp(v, "full") == 0)
            c->check_level = DC_CHECK_FULL;
        else if (strcmp(a, "--check") == 0 && strcmp(v, "none") == 0)
            c->check_level = DC_CHECK_NONE;
        else if (strcmp(a, "--check-seconds") == 0 &&
                 (c->check_seconds = (unsigned)strtoul(v, &end, 10), *end == '\0') &&
                 c->check_seconds >= 1 && c->check_seconds <= 86400)
            ;
        else if (strcmp(a, "--timeout") == 0 &&
                 (c->timeout_s = (unsigned)strtoul(v, &end, 10), *end == '\0') && c->timeout_s >= 1)
            ;
        else
            return dc_error_set(err, DC_INVALID, a, DC_NO_POSITION, "bad option %s %s", a, v);
        i++;
    }
    dc_retention_default(c->db, &c->retention);
    for (size_t k = 0; k < retain_count; k++) {
        dc_status rc = dc_retention_parse(retain[k], &c->retention, err);
        if (rc != DC_OK)
            return rc;
    }
    if (archive != NULL)
        dc_copy_text(c->retention.archive_dir, sizeof c->retention.archive_dir, archive);
    c->retention.period = period;
    c->retention.batch = batch;
    return DC_OK;
}

/* The operator key: read, or created (mode 0600) on first start. */
static dc_status operator_key(const char *path, uint8_t hash[DC_HASH_BYTES], int *created,
                              dc_error *err)
{
    char key[DC_KEY_TEXT_MAX + 8] = {0};
    FILE *f = fopen(path, "r");
    *created = f == NULL && errno == ENOENT;
    if (f == NULL && *created) {
        if (dc_party_key_new(key) != DC_OK)
            return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "no randomness for a key");
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || fchmod(fd, 0600) != 0 ||
            write(fd, key, strlen(key)) != (ssize_t)strlen(key) || write(fd, "\n", 1) != 1 ||
            fsync(fd) != 0) {
            if (fd >= 0)
                close(fd);
            return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION,
                                "cannot create %s", path);
        }
        close(fd);
    } else if (f != NULL) {
        struct stat st;
        /* a key others can read is no one's key: made private, or refused */
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0 &&
            fchmod(fileno(f), st.st_mode & 0600) != 0) {
            fclose(f);
            return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION,
                                "%s is readable by others (mode %03o) and cannot be made private",
                                path, (unsigned)(st.st_mode & 0777));
        }
        if (fgets(key, sizeof key, f) == NULL)
            key[0] = '\0';
        fclose(f);
        key[strcspn(key, "\r\n")] = '\0';
    } else {
        return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION, "cannot read %s",
                            path);
    }
    if (dc_party_key_hash(key, hash) != DC_OK)
        return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION,
                            "%s does not hold a key (dck_...)", path);
    return DC_OK;
}

/* What reaches the handlers. libmicrohttpd answers by itself, in HTML, a request line or headers
 * that do not fit a connection's memory; ours sit well inside it, so that a request between the
 * two is refused here, as problem+json (docs/SECURITY-INPUT.md). */
#define DC_SERVER_URI_MAX 4096
#define DC_SERVER_HEADERS_MAX 16384
#define DC_SERVER_CONNECTION_MEMORY ((size_t)64 * 1024)

struct request {
    char *body;
    size_t length, capacity;
    int too_large;
    int started;     /* the access handler has seen this request */
    size_t uri_size; /* the request target as sent, query included */
    int nul_escape;  /* it holds %00, or a raw NUL: what follows would be cut off */
    struct timespec start;
    char party[DC_ID_MAX];
    char method[8];
    char path[160];
    int status;
    int stream; /* answered with an event stream */
};

/* ---- read deadlines ----
 * libmicrohttpd 0.9.75 times a connection out only when it has been idle (--timeout): one byte
 * every few seconds keeps a half-sent request open for ever, and it calls no callback between a
 * request line and the end of its headers, where a deadline could be checked. So each connection
 * is watched from its start (MHD_OPTION_NOTIFY_CONNECTION): its request line and headers must be
 * in within --header-timeout of its start or of its previous answer, its body within
 * --body-timeout of its headers. A thread looks every 250 ms and shuts down (shutdown(2), never
 * close: the descriptor stays libmicrohttpd's) the socket of a connection past its deadline;
 * libmicrohttpd then sees the end of the stream and closes it as any other. The entry leaves
 * the list in the close notification, which libmicrohttpd sends before it closes the
 * descriptor, and the list's lock is held around each shutdown: a descriptor shut down is never
 * one already reused by another connection. An answer being written (an alert stream) has no
 * deadline. */
enum watch_phase { WATCH_HEADERS, WATCH_BODY, WATCH_ANSWERING };

struct connection_watch {
    struct connection_watch *prev, *next;
    int fd;
    enum watch_phase phase;
    struct timespec since;
};

struct watchlist {
    pthread_mutex_t lock;
    pthread_cond_t stop_cond;
    int stop;
    struct connection_watch *head;
    pthread_t sweeper;
    unsigned header_timeout_s, body_timeout_s;
    unsigned long shut; /* connections shut down for a deadline (logged at exit) */
};

struct server {
    dc_api api;
    const dc_server_config *config;
    struct watchlist watch;
};

static void watch_phase(struct server *s, struct MHD_Connection *conn, enum watch_phase phase);

/* Called with the request target as sent, before libmicrohttpd decodes it in place (after which
 * a %00 has cut the C string it hands on: "/v1/intents/alias%00x" would read as ".../alias").
 * The request's state starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct request *rq = calloc(1, sizeof *rq);
    if (rq == NULL)
        return NULL; /* on_request makes one */
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    dc_copy_text(rq->method, sizeof rq->method, "-");
    dc_copy_text(rq->path, sizeof rq->path, "-");
    rq->uri_size = strlen(uri);
    for (const char *p = strchr(uri, '%'); p != NULL; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0')
            rq->nul_escape = 1;
    return rq;
}

/* Whether the request line held a raw NUL byte in its target, which on_uri's strlen stopped at.
 * libmicrohttpd hands on `url` and `version` as pointers into the request line it read, the
 * target from `url` up to the space before `version`; a target longer than the text on_uri saw
 * went on past a NUL. Pointers that are not so placed (HTTP/0.9 has no version) say nothing. */
static int raw_nul(const char *url, const char *version, size_t seen)
{
    uintptr_t u = (uintptr_t)url, v = (uintptr_t)version;
    if (v <= u || v - u > DC_SERVER_CONNECTION_MEMORY)
        return 0;
    return v - u - 1 != seen;
}

/* The headers that decide how a body is framed and read, and their total size. */
struct header_scan {
    size_t bytes;
    int content_length, transfer_encoding, content_type;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct header_scan *h = cls;
    h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    h->content_length += strcasecmp(key, "Content-Length") == 0;
    h->transfer_encoding += strcasecmp(key, "Transfer-Encoding") == 0;
    h->content_type += strcasecmp(key, "Content-Type") == 0;
    return MHD_YES;
}

/* Whether `ctype` is `type`, alone or with "; charset=utf-8" (any case, optionally quoted). */
static int media_type_is(const char *ctype, const char *type)
{
    size_t n = strlen(type);
    if (ctype == NULL || strncasecmp(ctype, type, n) != 0)
        return 0;
    const char *p = ctype + n;
    p += strspn(p, " \t");
    if (*p == '\0')
        return 1;
    if (*p++ != ';')
        return 0;
    p += strspn(p, " \t");
    if (strncasecmp(p, "charset=", 8) != 0)
        return 0;
    p += 8;
    if (strncasecmp(p, "utf-8", 5) == 0)
        p += 5;
    else if (strncasecmp(p, "\"utf-8\"", 7) == 0)
        p += 7;
    else
        return 0;
    p += strspn(p, " \t");
    return *p == '\0';
}

/* Batches of position reports and of sensor track updates may come one object a line. */
static int takes_ndjson(const char *url)
{
    return strcmp(url, "/v1/tracks") == 0 || strcmp(url, "/v1/sensor-tracks") == 0;
}

/* The path as decoded: only the bytes of names and ids, and '/'. Nothing the API serves needs
 * more, and a byte a handler does not expect cannot reach one. */
int dc__api_path_valid(const char *path)
{
    for (const char *p = path; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '/'))
            return 0;
    return path[0] == '/';
}

/* What is wrong with a request before its body is read, as problem+json in `res`; 0 when
 * nothing is. A refusal here is sent at once and the connection closed: with its framing in
 * doubt, nothing after it on the connection can be trusted to be a request. */
static int refuse_early(struct MHD_Connection *conn, const char *method, const char *url,
                        const struct request *rq, dc_api_response *res)
{
    struct header_scan h = {0, 0, 0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    char detail[160];
    if (rq->uri_size > DC_SERVER_URI_MAX) {
        snprintf(detail, sizeof detail, "the request target has %zu bytes; at most %d",
                 rq->uri_size, DC_SERVER_URI_MAX);
        dc_api_problem(res, 414, DC_RANGE, NULL, detail);
    } else if (h.bytes > DC_SERVER_HEADERS_MAX) {
        snprintf(detail, sizeof detail, "the headers have %zu bytes; at most %d", h.bytes,
                 DC_SERVER_HEADERS_MAX);
        dc_api_problem(res, 431, DC_RANGE, NULL, detail);
    } else if (h.content_length > 1 || h.transfer_encoding > 1 || h.content_type > 1) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "Content-Length, Transfer-Encoding and Content-Type may each be sent once");
    } else if (h.content_length == 1 && h.transfer_encoding == 1) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "Content-Length and Transfer-Encoding together: which one frames the body?");
    } else if (te != NULL && strcasecmp(te, "chunked") != 0) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "the only transfer coding accepted is Transfer-Encoding: chunked");
    } else if (rq->nul_escape) {
        dc_api_problem(res, 400, DC_INVALID, NULL, "the URL holds a NUL byte (raw or as %00)");
    } else if (!dc__api_path_valid(url)) {
        dc_api_problem(res, 400, DC_INVALID, NULL,
                       "a path holds only A-Z a-z 0-9 . _ - and /, once percent-decoded");
    } else if ((te != NULL || (cl != NULL && strcmp(cl, "0") != 0)) &&
               !media_type_is(ctype, "application/json") &&
               !(strcmp(method, "POST") == 0 && takes_ndjson(url) &&
                 media_type_is(ctype, "application/x-ndjson"))) {
        snprintf(detail, sizeof detail, "a body is application/json%s, not %.60s",
                 takes_ndjson(url) ? " or application/x-ndjson" : "", ctype ? ctype : "unlabelled");
        dc_api_problem(res, 415, DC_UNSUPPORTED, NULL, detail);
    } else {
        return 0;
    }
    return 1;
}

static double elapsed_s(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static const char *query_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result query_name(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    (void)value;
    dc_api_request *req = cls;
    if (req->query_count < DC_API_QUERY_MAX)
        req->query_names[req->query_count] = key;
    req->query_count++;
    return req->query_count > DC_API_QUERY_MAX ? MHD_NO : MHD_YES;
}

/* ---- headers on every answer ----
 * The page holds a party's key and shows strings other parties wrote (labels, messages, aircraft),
 * so the browser is told to run nothing but the page's own files: no inline script or style, no
 * eval, markup only through Trusted Types' default policy (web/src/policy.js lets through Leaflet's
 * few constant strings), fetches only to this origin, never inside another site's frame. An API
 * answer opened on its own renders nothing and runs nothing. libmicrohttpd's own refusals
 * (docs/SECURITY-INPUT.md) go out before any callback and carry none of this. */
static const char page_policy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; "
    "trusted-types default";
static const char api_policy[] =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

enum answer { ANSWER_API, ANSWER_PAGE };

static void add_security_headers(struct MHD_Response *r, enum answer kind)
{
    MHD_add_response_header(r, "Content-Security-Policy",
                            kind == ANSWER_PAGE ? page_policy : api_policy);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    /* frame-ancestors' older form, for browsers that predate it */
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    /* API answers hold a party's data: kept by no cache. The page's files hold none, and are
     * revalidated so that a new build is seen at once. */
    MHD_add_response_header(r, "Cache-Control", kind == ANSWER_PAGE ? "no-cache" : "no-store");
}

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
    pthread_cond_t stop;
};

/* Resumes the waiting streams of `kind` (0: every kind). */
static void wake_streams(dc_api *api, int kind, int heartbeat)
{
    struct streams *hub = api->streams;
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

static void alerts_published(void *ctx)
{
    wake_streams(ctx, DC_STREAM_ALERTS, 0);
}

static void alerts_counted(void *ctx, const char *kind, unsigned long long copies)
{
    dc__metrics_alerts(ctx, kind, copies);
}

static void notice_counted(void *ctx)
{
    dc__metrics_notice(ctx);
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
            wake_streams(api, 0, 1);
        else
            wake_streams(api, DC_STREAM_TRACKS, 0);
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
        if (dc_store_begin(st->api->svc.store, 0) == DC_OK) {
            dc_store_inbox(st->api->svc.store, DC_INBOX_ALERTS, st->party, st->after, 100,
                           format_event, st);
            dc_store_commit(st->api->svc.store);
        }
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
    dc__metrics_stream(st->api, st->kind, 0, elapsed_s(&st->opened));
    free(st->pending);
    free(st);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct request *rq,
                                     dc_api_response *res);

static enum MHD_Result start_stream(struct MHD_Connection *conn, dc_api *api, struct request *rq,
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
        return send_response(conn, rq, res);
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
    add_security_headers(r, ANSWER_API);
    rq->status = 200;
    enum MHD_Result ok = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct request *rq,
                                     dc_api_response *res)
{
    char *text = res->text;
    if (text == NULL && res->json != NULL)
        text = json_dumps(res->json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (text == NULL) {
        text = strdup("{}");
        res->content_type = "application/json";
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type",
                            res->content_type ? res->content_type : "application/json");
    add_security_headers(r, ANSWER_API);
    if (res->location[0] != '\0' && res->status == 201)
        MHD_add_response_header(r, "Location", res->location);
    if (res->allow[0] != '\0')
        MHD_add_response_header(r, "Allow", res->allow);
    if (res->etag[0] != '\0')
        MHD_add_response_header(r, "ETag", res->etag);
    if (res->status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    if (res->next[0] != '\0') {
        char link[sizeof res->next + 16];
        snprintf(link, sizeof link, "<%s>; rel=\"next\"", res->next);
        MHD_add_response_header(r, "Link", link);
    }
    if (res->retry_after_s > 0) {
        char seconds[24];
        snprintf(seconds, sizeof seconds, "%d", res->retry_after_s);
        MHD_add_response_header(r, "Retry-After", seconds);
    }
    rq->status = res->status;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    json_decref(res->json);
    return ok;
}

void dc__api_authenticate(dc_api *api, const char *authorization, dc_api_request *req)
{
    uint8_t hash[DC_HASH_BYTES];
    if (authorization == NULL || strncmp(authorization, "Bearer ", 7) != 0 ||
        dc_party_key_hash(authorization + 7, hash) != DC_OK)
        return;
    if (dc_party_key_equal(hash, api->operator_hash)) {
        req->authenticated = req->is_operator = 1;
        snprintf(req->party.name, sizeof req->party.name, "operator");
        return;
    }
    if (dc_store_begin(api->svc.store, 0) != DC_OK)
        return;
    if (dc_store_party_by_key(api->svc.store, hash, &req->party) == DC_OK)
        req->authenticated = 1;
    dc_store_commit(api->svc.store);
}

/* The type a file of the page is served as, by its extension; browsers are told not to guess
 * (nosniff), so an unknown one is only ever downloaded. */
static const char *static_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".mjs", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json"},
                 {".geojson", "application/geo+json"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".csv", "text/csv; charset=utf-8"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* The operations picture: files under --web, for anyone (they hold no data; the page asks the
 * API with the party's key). Paths are plain names only. 1 when this answered the request (the
 * file, or 404 for a path under the page that names no file), 0 when the API is to. */
static int serve_static(struct server *s, struct MHD_Connection *conn, const char *url,
                        struct request *rq, enum MHD_Result *result)
{
    if (s->config->web == NULL || strncmp(url, "/v1/", 4) == 0 || strcmp(url, "/metrics") == 0 ||
        strcmp(url, "/problems") == 0 || strncmp(url, "/problems/", 10) == 0)
        return 0;
    const char *name = strcmp(url, "/") == 0 ? "/index.html" : url;
    int plain = name[0] == '/';
    for (const char *p = name + 1; plain && *p; p++)
        plain = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '.' || *p == '-' || *p == '_' || *p == '/') &&
                !(p[0] == '.' && p[1] == '.');
    char path[512];
    int n = snprintf(path, sizeof path, "%s%s", s->config->web, name);
    FILE *f = plain && n > 0 && (size_t)n < sizeof path ? fopen(path, "rb") : NULL;
    struct stat st;
    char *data = NULL;
    /* a directory opens too; only a regular file is a page's file */
    if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        data = malloc((size_t)st.st_size + 1);
        if (data != NULL && fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
            free(data);
            data = NULL;
        }
    }
    if (f != NULL)
        fclose(f);
    if (data == NULL) {
        dc_api_response res;
        memset(&res, 0, sizeof res);
        dc_api_problem(&res, 404, DC_NOT_FOUND, NULL, "no such file of the operations picture");
        *result = send_response(conn, rq, &res);
        return 1;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer((size_t)st.st_size, data, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", static_type(name));
    add_security_headers(r, ANSWER_PAGE);
    rq->status = 200;
    *result = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    struct server *s = cls;
    struct request *rq = *state;
    if (rq == NULL) {
        rq = calloc(1, sizeof *rq);
        if (rq == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &rq->start);
        *state = rq;
    }
    if (!rq->started) {
        rq->started = 1;
        dc_copy_text(rq->method, sizeof rq->method, method);
        dc_copy_text(rq->path, sizeof rq->path, url);
        rq->nul_escape |= raw_nul(url, version, rq->uri_size);
        dc_api_response early;
        memset(&early, 0, sizeof early);
        if (refuse_early(conn, method, url, rq, &early))
            return send_response(conn, rq, &early);
        /* Refuse an announced oversize body before reading it. libmicrohttpd has checked that
         * Content-Length is digits only and fits 64 bits. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl != NULL && strtoull(cl, NULL, 10) > s->config->body_limit)
            rq->too_large = 1;
        watch_phase(s, conn, WATCH_BODY);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!rq->too_large && rq->length + *upload_size <= s->config->body_limit) {
            if (rq->length + *upload_size + 1 > rq->capacity) {
                size_t cap = (rq->length + *upload_size + 1) * 2;
                if (cap > s->config->body_limit + 1)
                    cap = s->config->body_limit + 1;
                char *grown = realloc(rq->body, cap);
                if (grown == NULL)
                    return MHD_NO;
                rq->body = grown;
                rq->capacity = cap;
            }
            memcpy(rq->body + rq->length, upload, *upload_size);
            rq->length += *upload_size;
            rq->body[rq->length] = '\0';
        } else {
            rq->too_large = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    watch_phase(s, conn, WATCH_ANSWERING);
    dc_api_response res;
    memset(&res, 0, sizeof res);
    enum MHD_Result served;
    int head = strcmp(method, "HEAD") == 0;
    if ((head || strcmp(method, "GET") == 0) && serve_static(s, conn, url, rq, &served))
        return served;
    if (rq->too_large) {
        char detail[96];
        snprintf(detail, sizeof detail, "the body exceeds %zu bytes", s->config->body_limit);
        dc_api_problem(&res, 413, DC_RANGE, NULL, detail);
        return send_response(conn, rq, &res);
    }
    dc_api_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = rq->body ? rq->body : "";
    req.body_length = rq->length;
    req.query = query_arg;
    req.query_ctx = conn;
    req.last_event_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    req.if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match");
    req.if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    req.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_name, &req);
    dc__api_authenticate(&s->api,
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"), &req);
    if (req.authenticated)
        dc_copy_text(rq->party, sizeof rq->party, req.party.name);
    dc_api_handle(&s->api, &req, &res);
    if (res.stream && !head)
        return start_stream(conn, &s->api, rq, &res);
    if (res.stream) { /* HEAD of a stream: its headers, and no events */
        res.text = strdup("");
        res.content_type = "text/event-stream";
    }
    return send_response(conn, rq, &res);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)why;
    struct server *s = cls;
    struct request *rq = *state;
    watch_phase(s, conn, WATCH_HEADERS); /* the next request's deadline starts now */
    if (rq == NULL)
        return;
    double seconds = elapsed_s(&rq->start);
    dc__metrics_request(&s->api, rq->status, seconds, rq->stream);
    if (!s->config->quiet) {
        fprintf(stderr, "%s %s party=%s status=%d us=%.0f\n", rq->method, rq->path,
                rq->party[0] ? rq->party : "-", rq->status, seconds * 1e6);
    }
    free(rq->body);
    free(rq);
    *state = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct watchlist *w = cls;
    struct connection_watch *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = info != NULL ? calloc(1, sizeof *c) : NULL;
        if (c == NULL)
            return; /* unwatched: the idle timeout still applies */
        c->fd = info->connect_fd;
        c->phase = WATCH_HEADERS;
        clock_gettime(CLOCK_MONOTONIC, &c->since);
        pthread_mutex_lock(&w->lock);
        c->next = w->head;
        if (w->head != NULL)
            w->head->prev = c;
        w->head = c;
        pthread_mutex_unlock(&w->lock);
        *socket_context = c;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c != NULL) {
        pthread_mutex_lock(&w->lock);
        if (c->prev != NULL)
            c->prev->next = c->next;
        else
            w->head = c->next;
        if (c->next != NULL)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&w->lock);
        free(c);
        *socket_context = NULL;
    }
}

/* The connection's request moved on: its body is being read, it is being answered, or it was
 * answered and the next request's deadline starts. */
static void watch_phase(struct server *s, struct MHD_Connection *conn, enum watch_phase phase)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct connection_watch *c = info != NULL ? info->socket_context : NULL;
    if (c == NULL)
        return;
    pthread_mutex_lock(&s->watch.lock);
    c->phase = phase;
    clock_gettime(CLOCK_MONOTONIC, &c->since);
    pthread_mutex_unlock(&s->watch.lock);
}

static void *sweeper_main(void *arg)
{
    struct watchlist *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec now, wake;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (struct connection_watch *c = w->head; c != NULL; c = c->next) {
            double waited = (double)(now.tv_sec - c->since.tv_sec) +
                            (double)(now.tv_nsec - c->since.tv_nsec) / 1e9;
            double limit = c->phase == WATCH_HEADERS ? (double)w->header_timeout_s
                           : c->phase == WATCH_BODY  ? (double)w->body_timeout_s
                                                     : -1.0;
            if (limit > 0 && waited > limit) {
                shutdown(c->fd, SHUT_RDWR);
                c->phase = WATCH_ANSWERING; /* once */
                w->shut++;
            }
        }
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_nsec += 250 * 1000 * 1000;
        if (wake.tv_nsec >= 1000000000L) {
            wake.tv_sec++;
            wake.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->stop_cond, &w->lock, &wake);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* "127.0.0.1:8080", "[::1]:8080", ":8080" (all IPv4 interfaces). */
static dc_status parse_listen(const char *text, struct sockaddr_storage *addr, dc_error *err)
{
    memset(addr, 0, sizeof *addr);
    char host[64];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof host)
        return dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION,
                            "--listen is HOST:PORT, got '%s'", text);
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port > 65535)
        return dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION, "bad port in '%s'", text);
    if (host[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']')
            return dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION,
                                "bad IPv6 address in '%s'", text);
        host[n - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION,
                                "bad IPv6 address in '%s'", text);
        return DC_OK;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (host[0] == '\0')
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION, "bad IPv4 address in '%s'",
                            text);
    return DC_OK;
}

/* Give the monitor every object one of the store's lists holds. */
static dc_status monitor_from_store(dc_api *api, dc_status (*list)(dc_store *, dc_record_list *),
                                    dc_status (*give)(dc_monitor *, const dc_object *),
                                    const char *what, dc_error *err)
{
    dc_record_list records = {0};
    dc_status rc = DC_OK;
    if (dc_store_begin(api->svc.store, 0) != DC_OK || list(api->svc.store, &records) != DC_OK) {
        dc_store_rollback(api->svc.store);
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot read the %s", what);
    } else {
        dc_store_commit(api->svc.store);
    }
    for (size_t i = 0; rc == DC_OK && i < records.count; i++) {
        dc_status given = give(api->svc.monitor, &records.items[i].object);
        if (given != DC_OK)
            rc = dc_error_set(err, given, "", DC_NO_POSITION, "cannot watch the %s: %s", what,
                              dc_status_name(given));
    }
    dc_record_list_clear(&records);
    return rc;
}

dc_status dc_server_run(const dc_server_config *config, dc_error *err)
{
    struct sockaddr_storage addr;
    dc_status rc = parse_listen(config->listen, &addr, err);
    if (rc != DC_OK)
        return rc;
    if (dc_audit_init() != DC_OK)
        return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "libsodium failed to start");
    /* Signals are taken by sigwait below, not by handlers in random threads: blocked before the
     * first thread starts, since every thread inherits the mask of the one that made it, and a
     * SIGTERM delivered to a thread that does not block it ends the process on the spot. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    struct server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    s->config = config;
    s->api.body_limit = config->body_limit;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* one core kept for the small requests (heavy.c), at least one slot */
    dc__heavy_init(&s->api.heavy, cores > 2 ? (unsigned)cores - 1 : 1);
    int key_created = 0;
    rc = operator_key(config->operator_key_file, s->api.operator_hash, &key_created, err);
    dc_store *store = NULL;
    if (rc == DC_OK)
        rc = dc_store_open(config->db, &store, err);
    if (rc == DC_OK) {
        rc = dc_service_init(&s->api.svc, store, err);
        if (rc != DC_OK) {
            dc_store_close(store);
            char why[sizeof err->message];
            dc_copy_text(why, sizeof why, err->message);
            dc_error_set(err, rc, "", DC_NO_POSITION, "%s.key: %s", config->db, why);
        }
    }
    if (rc == DC_OK) {
        s->api.svc.work_budget = config->work_budget;
        /* and one for list cursors: a cursor names a place in one party's list to the server
         * only */
        crypto_generichash(s->api.cursor_secret, sizeof s->api.cursor_secret,
                           (const unsigned char *)"list-cursor", 11, s->api.svc.secret_key,
                           crypto_generichash_KEYBYTES_MAX);
        if (dc__fair_new(config->rates, &s->api.fair) != DC_OK)
            rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "no memory for the rate limits");
    }
    struct streams hub;
    memset(&hub, 0, sizeof hub);
    pthread_mutex_init(&hub.lock, NULL);
    pthread_cond_init(&hub.stop, NULL);
    s->api.streams = &hub;
    s->api.svc.events =
        (dc_service_events){alerts_published, alerts_counted, notice_counted, &s->api};
    s->api.svc.probe_limit = config->probe_limit;
    s->api.svc.probe_window_s = config->probe_window_s;
    s->api.svc.alert_episode_us = dc_retention_episode_us(&config->retention);
    dc_monitor_config monitor_config = dc_monitor_config_default();
    monitor_config.new_aircraft_per_minute = config->new_aircraft_per_minute;
    monitor_config.new_aircraft_alert = config->new_aircraft_alert;
    monitor_config.establish_s = config->establish_s;
    if (rc == DC_OK)
        rc = dc_monitor_new(&monitor_config, &s->api.svc.monitor) == DC_OK
                 ? DC_OK
                 : dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc == DC_OK && config->borders != NULL) {
        size_t zones = 0;
        rc = dc_scenario_load_zone_outlines(config->borders, s->api.svc.monitor, &zones, err);
        if (rc == DC_OK)
            fprintf(stderr, "deconflictd: watching %zu zones from %s\n", zones, config->borders);
    }
    /* the monitor starts with what the store holds: zones to watch, intents being flown */
    if (rc == DC_OK)
        rc = monitor_from_store(&s->api, dc_store_zones, dc_monitor_add_zone_object, "zones", err);
    if (rc == DC_OK)
        rc = monitor_from_store(&s->api, dc_store_flying_intents, dc_monitor_watch_intent,
                                "intents", err);
    if (rc == DC_OK && dc__api_storage_start(&s->api, &config->retention) != DC_OK)
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "cannot start the archiver");
    if (rc == DC_OK && dc__api_emergency_start(&s->api) != DC_OK)
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION,
                          "cannot start the expiry of emergencies");
    int heartbeat_started =
        rc == DC_OK && pthread_create(&hub.heartbeat, NULL, heartbeat_main, &s->api) == 0;
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&s->watch.lock, NULL);
    pthread_cond_init(&s->watch.stop_cond, NULL);
    s->watch.header_timeout_s = config->header_timeout_s;
    s->watch.body_timeout_s = config->body_timeout_s;
    int sweeper_started =
        rc == DC_OK && pthread_create(&s->watch.sweeper, NULL, sweeper_main, &s->watch) == 0;
    struct MHD_Daemon *d = NULL;
    if (rc == DC_OK) {
        /* poll, not epoll: libmicrohttpd 0.9.75 quiesces an epoll thread pool by removing the
         * listen socket from each worker's epoll set while the worker may be removing it too,
         * and panics when the second removal fails ("Failed to remove listen FD from epoll
         * set", seen at SIGTERM under load). poll keeps no such state; at our connection limit
         * (1,000 across the pool) it costs nothing measurable (docs/PERFORMANCE.md). */
        unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME;
        if (addr.ss_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
            MHD_OPTION_THREAD_POOL_SIZE, config->threads, MHD_OPTION_CONNECTION_TIMEOUT,
            config->timeout_s, MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, DC_SERVER_CONNECTION_MEMORY,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s->watch,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->connections_per_address, MHD_OPTION_END);
        if (d == NULL)
            rc = dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION, "cannot listen on %s",
                              config->listen);
    }
    if (rc == DC_OK) {
        const union MHD_DaemonInfo *bound = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        size_t n = strlen(config->listen);
        int chosen = n >= 2 && strcmp(config->listen + n - 2, ":0") == 0 && bound != NULL;
        char port[32] = "";
        if (chosen) /* --listen HOST:0: the port the system chose */
            snprintf(port, sizeof port, " (port %u)", (unsigned)bound->port);
        fprintf(stderr, "deconflictd: listening on %s%s, store %s, %u threads\n", config->listen,
                port, config->db, config->threads);
        /* where the operator finds the key that manages parties (`deconflict party add`) */
        char where[PATH_MAX];
        const char *key_path =
            realpath(config->operator_key_file, where) ? where : config->operator_key_file;
        fprintf(stderr, "deconflictd: operator key %s in %s (mode 0600)\n",
                key_created ? "created" : "read", key_path);
        if (config->on_listening != NULL) {
            dc_server_listening facts = {
                config->listen,  bound != NULL ? bound->port : 0, config->db, key_path, key_created,
                config->threads, config->retention.archive_dir};
            config->on_listening(config->listening_ctx, &facts);
        }
        fprintf(stderr, "deconflictd: retention");
        for (int k = 0; k < DC_RETAIN_COUNT; k++) {
            dc_time_us keep = config->retention.retain[k];
            if (keep == 0)
                fprintf(stderr, " %s=forever", dc_retained_name((dc_retained)k));
            else
                fprintf(stderr, " %s=%llds", dc_retained_name((dc_retained)k),
                        (long long)(keep / 1000000));
        }
        fprintf(stderr, "; archive %s, a segment every %llds\n", config->retention.archive_dir,
                (long long)(config->retention.period / 1000000));
        int sig = 0;
        sigwait(&signals, &sig);
        fprintf(stderr, "deconflictd: signal %d: finishing requests in flight\n", sig);
        MHD_quiesce_daemon(d); /* no new connections */
        pthread_mutex_lock(&hub.lock);
        hub.closing = 1; /* streams end; suspended ones are resumed to say so */
        pthread_cond_broadcast(&hub.stop);
        pthread_mutex_unlock(&hub.lock);
        wake_streams(&s->api, 0, 0);
        MHD_stop_daemon(d); /* waits for the workers, and so for requests in flight */
    }
    if (sweeper_started) {
        pthread_mutex_lock(&s->watch.lock);
        s->watch.stop = 1;
        pthread_cond_broadcast(&s->watch.stop_cond);
        pthread_mutex_unlock(&s->watch.lock);
        pthread_join(s->watch.sweeper, NULL);
        if (s->watch.shut > 0)
            fprintf(stderr, "deconflictd: %lu connections shut down past their read deadline\n",
                    s->watch.shut);
    }
    pthread_mutex_destroy(&s->watch.lock);
    pthread_cond_destroy(&s->watch.stop_cond);
    if (d != NULL)
        fprintf(stderr, "deconflictd: stopped\n");
    if (heartbeat_started) {
        pthread_mutex_lock(&hub.lock);
        hub.closing = 1;
        pthread_cond_broadcast(&hub.stop);
        pthread_mutex_unlock(&hub.lock);
        pthread_join(hub.heartbeat, NULL);
    }
    dc__api_emergency_stop(&s->api); /* likewise */
    dc__api_storage_stop(&s->api);   /* its pass in flight ends before the store closes */
    dc_monitor_free(s->api.svc.monitor);
    dc__fair_free(s->api.fair);
    dc_service_destroy(&s->api.svc);
    dc__heavy_destroy(&s->api.heavy);
    pthread_mutex_destroy(&hub.lock);
    pthread_cond_destroy(&hub.stop);
    dc_store_close(s->api.svc.store);
    free(s);
    return rc;
}
