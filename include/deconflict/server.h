/* server.h - deconflictd: the multi-party HTTP/JSON service over a store */
#ifndef DECONFLICT_SERVER_H
#define DECONFLICT_SERVER_H

#include "deconflict/retention.h"
#include "deconflict/status.h"
#include "deconflict/store.h"
#include "deconflict/store_check.h"

#include <stddef.h>

/* What a started server is: told once it listens, before the first request is answered. */
typedef struct dc_server_listening {
    const char *listen;            /* as configured */
    unsigned port;                 /* the port bound (the one chosen, for a port 0) */
    const char *db;                /* the store */
    const char *operator_key_file; /* its absolute path when it resolves */
    int operator_key_created;      /* 1: made now; 0: read */
    unsigned threads;
    const char *archive_dir;
} dc_server_listening;

typedef struct dc_server_config {
    const char *listen; /* "127.0.0.1:8080" (default), "[::1]:8080", ":8080" */
    const char *db;     /* store location: an SQLite file (default "deconflict.db") or a PostgreSQL
                           URI shared by several instances */
    const char *key_file;          /* the signing key's file: default <db>.key for an SQLite store;
                                      required for a PostgreSQL one, the same file for every instance */
    const char *operator_key_file; /* created with a new key if missing; default "operator.key" */
    size_t body_limit;             /* bytes; default 1 MiB */
    unsigned threads;              /* default: the number of cores */
    unsigned timeout_s;            /* per connection; default 30 */
    const char *borders;           /* zone outlines for the live monitor (GeoJSON), or NULL */
    const char *web;               /* directory of the web page served at /, or NULL */
    int probe_limit, probe_window_s;  /* probing alert: more than limit site refusals in window */
    unsigned new_aircraft_per_minute; /* per party; past it new aircraft are refused */
    unsigned new_aircraft_alert;      /* more in a minute alert the operator */
    unsigned establish_s;             /* a track discloses others' aircraft after this long (30) */
    unsigned long long work_budget;   /* engine work one submission may cost (dc_engine_work) */
    unsigned connections_per_address; /* open connections one client address may hold */
    unsigned header_timeout_s;        /* a request's line and headers must arrive within this */
    unsigned body_timeout_s;          /* and its body within this once the headers are in */
    dc_rate rates[DC_RATE_CLASSES];   /* each party's default buckets (--rate-writes, ...) */
    int quiet;                        /* no request log */
    dc_check_level check_level;       /* the store's check before serving (--check) */
    unsigned check_seconds;           /* quick_check's time limit (--check-seconds) */
    /* how long each kind stays in the store, where the archive goes (--retain, --archive,
     * --archive-period, --archive-batch; defaults in retention.h) */
    dc_retention retention;
    /* called once listening (NULL: not); `deconflict serve --json` prints it */
    void (*on_listening)(void *ctx, const dc_server_listening *facts);
    void *listening_ctx;
} dc_server_config;

/* Fill in defaults from DECONFLICT_LISTEN, DECONFLICT_DB,
 * DECONFLICT_OPERATOR_KEY_FILE, then parse flags (--listen, --db,
 * --operator-key-file, --body-limit, --threads, --timeout, --borders, --quiet, --retain,
 * --archive, --archive-period, --archive-batch).
 * DC_INVALID with the offending flag in err (help printed by the caller). */
dc_status dc_server_config_parse(int argc, char **argv, dc_server_config *out, dc_error *err);

/* Serve until SIGTERM or SIGINT, then stop taking connections, let the
 * requests in flight finish and return DC_OK. DC_STORE/DC_INVALID/DC_INTERNAL
 * when it cannot start (details in err). */
dc_status dc_server_run(const dc_server_config *config, dc_error *err);

/* Fair use per party, unless the operator set the party's own (deconflict party limits): a
 * token bucket per class, refilled at per_s up to burst. Writes are object PUTs and DELETEs and
 * grants; messages are those sent; reports are position reports, counted one by one. */
#define DC_RATE_WRITES_PER_S 50.0
#define DC_RATE_WRITES_BURST 500.0
#define DC_RATE_MESSAGES_PER_S 5.0
#define DC_RATE_MESSAGES_BURST 50.0
#define DC_RATE_REPORTS_PER_S 5000.0
#define DC_RATE_REPORTS_BURST 50000.0
extern const dc_rate dc_rate_defaults[DC_RATE_CLASSES];

extern const char dc_server_usage[];

/* ---- the API answered in this process (local.c) ----
 * deconflictd's routes over a store with no HTTP and no threads of its own: the same decoding,
 * service and encoding as the server's, so that `deconflict check` decides a scenario exactly as
 * a server would, and a test or fuzz target drives the handlers as the server does. */
typedef struct dc_local_api dc_local_api;

/* Open (creating) the store at `db` and the API over it, with an operator key made now
 * (operator_key). DC_STORE / DC_NOMEM with the reason in err. */
dc_status dc_local_api_open(const char *db, char operator_key[64], dc_local_api **out,
                            dc_error *err);
/* One request: METHOD path with "Authorization: Bearer <key>" (NULL: none) and a JSON `body`
 * (NULL: none). *status is the HTTP status, *answer the body (malloc, NUL-terminated; NULL when
 * there is none). DC_OK, DC_NOMEM. */
dc_status dc_local_api_call(dc_local_api *api, const char *method, const char *path,
                            const char *key, const char *body, int *status, char **answer);
void dc_local_api_close(dc_local_api *api); /* NULL is a no-op; the store file stays */

#endif
