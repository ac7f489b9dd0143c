/* server_config.c - deconflictd's configuration: its usage, the defaults, the flags, the
 * address to listen on */
#include "server_internal.h"

#include "deconflict/party_admin.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char dc_server_usage[] =
    "usage: deconflictd [--listen HOST:PORT] [--db FILE|URI] [--key-file FILE]\n"
    "                   [--operator-key-file FILE]\n"
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
    "  --db                 the store file, created if missing (default deconflict.db; env DECONFLICT_DB),\n"
    "                       or a PostgreSQL URI (postgresql://...) that several instances share\n"
    "  --key-file           the server's signing key, created if missing (default: the store file\n"
    "                       + .key; env DECONFLICT_KEY_FILE); for a PostgreSQL store required, and\n"
    "                       the same file for every instance\n"
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

static void config_defaults(dc_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = getenv("DECONFLICT_LISTEN") ? getenv("DECONFLICT_LISTEN") : "127.0.0.1:8080";
    c->db = getenv("DECONFLICT_DB") ? getenv("DECONFLICT_DB") : "deconflict.db";
    c->key_file = getenv("DECONFLICT_KEY_FILE");
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
}

/* What is settled once every flag is read: retention needs --db, whose archive directory it
 * follows by default. */
struct later {
    const char *retain[DC_RETAIN_COUNT * 4];
    size_t retain_count;
    const char *archive;
    dc_time_us period;
    size_t batch;
};

/* An unsigned flag's value `v` in lo..hi into *out: 1, or 0 for anything else. */
static int unsigned_arg(const char *v, unsigned long lo, unsigned long hi, unsigned *out)
{
    char *end = NULL;
    if (v[0] == '-')
        return 0;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || *end != '\0' || n < lo || n > hi)
        return 0;
    *out = (unsigned)n;
    return 1;
}

/* The flags whose values are text, a level or a duration: 1 when `a` is one and `v` suits it. */
static int text_option(dc_server_config *c, struct later *l, const char *a, const char *v)
{
    char *end = NULL;
    if (strcmp(a, "--listen") == 0)
        c->listen = v;
    else if (strcmp(a, "--db") == 0)
        c->db = v;
    else if (strcmp(a, "--operator-key-file") == 0)
        c->operator_key_file = v;
    else if (strcmp(a, "--key-file") == 0)
        c->key_file = v;
    else if (strcmp(a, "--borders") == 0)
        c->borders = v;
    else if (strcmp(a, "--web") == 0)
        c->web = v;
    else if (strcmp(a, "--retain") == 0 && l->retain_count < sizeof l->retain / sizeof l->retain[0])
        l->retain[l->retain_count++] = v;
    else if (strcmp(a, "--archive") == 0 && v[0] != '\0')
        l->archive = v;
    else if (strcmp(a, "--archive-period") == 0 && dc_duration_parse(v, &l->period) == DC_OK &&
             l->period > 0)
        ;
    else if (strcmp(a, "--archive-batch") == 0 && (l->batch = strtoul(v, &end, 10), *end == '\0') &&
             l->batch >= 1 && l->batch <= 100000)
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
    else
        return 0;
    return 1;
}

/* The flags whose values are numbers within bounds: 1 when `a` is one and `v` suits it. */
static int number_option(dc_server_config *c, const char *a, const char *v)
{
    char *end = NULL;
    unsigned n = 0;
    if (strcmp(a, "--probe-limit") == 0 && unsigned_arg(v, 1, INT_MAX, &n))
        c->probe_limit = (int)n;
    else if (strcmp(a, "--probe-window") == 0 && unsigned_arg(v, 1, INT_MAX, &n))
        c->probe_window_s = (int)n;
    else if (strcmp(a, "--new-aircraft-per-minute") == 0)
        return unsigned_arg(v, 1, 1000000, &c->new_aircraft_per_minute);
    else if (strcmp(a, "--new-aircraft-alert") == 0)
        return unsigned_arg(v, 1, 1000000, &c->new_aircraft_alert);
    else if (strcmp(a, "--establish-seconds") == 0)
        return unsigned_arg(v, 0, 3600, &c->establish_s);
    else if (strcmp(a, "--body-limit") == 0 &&
             (c->body_limit = strtoul(v, &end, 10), *end == '\0') && c->body_limit >= 1024)
        ;
    else if (strcmp(a, "--threads") == 0)
        return unsigned_arg(v, 1, 256, &c->threads);
    else if (strcmp(a, "--work-budget") == 0 &&
             (c->work_budget = strtoull(v, &end, 10), *end == '\0' && v[0] != '-') &&
             c->work_budget >= 1)
        ;
    else if (strcmp(a, "--connections-per-address") == 0)
        return unsigned_arg(v, 0, 1000, &c->connections_per_address);
    else if (strcmp(a, "--header-timeout") == 0)
        return unsigned_arg(v, 1, 3600, &c->header_timeout_s);
    else if (strcmp(a, "--body-timeout") == 0)
        return unsigned_arg(v, 1, 3600, &c->body_timeout_s);
    else if (strcmp(a, "--check-seconds") == 0)
        return unsigned_arg(v, 1, 86400, &c->check_seconds);
    else if (strcmp(a, "--timeout") == 0)
        return unsigned_arg(v, 1, UINT_MAX, &c->timeout_s);
    else
        return 0;
    return 1;
}

dc_status dc_server_config_parse(int argc, char **argv, dc_server_config *c, dc_error *err)
{
    config_defaults(c);
    struct later l;
    memset(&l, 0, sizeof l);
    l.period = (dc_time_us)DC_ARCHIVE_PERIOD_DEFAULT_S * 1000000;
    l.batch = DC_ARCHIVE_BATCH_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            c->quiet = 1;
            continue;
        }
        if (v == NULL)
            return dc_error_set(err, DC_INVALID, a, DC_NO_POSITION,
                                "%s needs a value or is unknown", a);
        if (!text_option(c, &l, a, v) && !number_option(c, a, v))
            return dc_error_set(err, DC_INVALID, a, DC_NO_POSITION, "bad option %s %s", a, v);
        i++;
    }
    dc_retention_default(c->db, &c->retention);
    /* a shared store keeps its rows in the database (storage.c): no archive beside a file */
    int shared = dc_store_location_shared(c->db);
    if (shared && (l.retain_count > 0 || l.archive != NULL))
        return dc_error_set(err, DC_UNSUPPORTED, l.archive ? "--archive" : "--retain",
                            DC_NO_POSITION,
                            "a PostgreSQL store keeps every row: --retain and --archive are for an"
                            " SQLite store");
    if (shared) {
        for (int k = 0; k < DC_RETAIN_COUNT; k++)
            c->retention.retain[k] = 0;
        c->retention.archive_dir[0] = '\0';
    }
    for (size_t k = 0; k < l.retain_count; k++) {
        dc_status rc = dc_retention_parse(l.retain[k], &c->retention, err);
        if (rc != DC_OK)
            return rc;
    }
    if (l.archive != NULL)
        dc_copy_text(c->retention.archive_dir, sizeof c->retention.archive_dir, l.archive);
    c->retention.period = l.period;
    c->retention.batch = l.batch;
    return DC_OK;
}

/* server_internal.h */
dc_status dc__server_parse_listen(const char *text, struct sockaddr_storage *addr, dc_error *err)
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
