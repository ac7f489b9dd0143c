/* server_internal.h - what deconflictd's own files share: the request's state (request.c), the
 * read deadlines (watch.c), the event streams (streams.c), the configuration (server_config.c)
 * and the start and stop (server.c) */
#ifndef DECONFLICT_SERVER_INTERNAL_H
#define DECONFLICT_SERVER_INTERNAL_H

#include "api_internal.h"
#include "deconflict/server.h"

#include <microhttpd.h>
#include <sys/socket.h>
#include <time.h>

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
    int ready, started; /* the lock is made; the sweeper runs */
    unsigned header_timeout_s, body_timeout_s;
    unsigned long shut; /* connections shut down for a deadline (logged at exit) */
};

struct server {
    dc_api api;
    const dc_server_config *config;
    struct watchlist watch;
};

/* ---- the request plumbing (request.c): libmicrohttpd's callbacks ---- */
void *dc__server_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
enum MHD_Result dc__server_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload,
                                      size_t *upload_size, void **state);
void dc__server_on_completed(void *cls, struct MHD_Connection *conn, void **state,
                             enum MHD_RequestTerminationCode why);

/* What every answer carries (request.c): the page's policy or the API's. */
enum dc__answer { DC_ANSWER_API, DC_ANSWER_PAGE };
void dc__server_security_headers(struct MHD_Response *r, enum dc__answer kind);
/* Queue `res` as the answer to `rq` (its JSON serialised and released). MHD_NO when libmicrohttpd
 * cannot take it. */
enum MHD_Result dc__server_send(struct MHD_Connection *conn, struct request *rq,
                                dc_api_response *res);

/* ---- read deadlines (watch.c) ---- */
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback; `cls` is the watchlist. */
void dc__watch_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                             enum MHD_ConnectionNotificationCode code);
/* The connection's request moved on to `phase`: its deadline starts now. */
void dc__watch_phase(struct server *s, struct MHD_Connection *conn, enum watch_phase phase);
/* Start the sweeper thread of `w` (zeroed by the caller): 0, or -1 when no thread can be made
 * (the list is then unwatched and dc__watch_stop still releases it). */
int dc__watch_start(struct watchlist *w, unsigned header_timeout_s, unsigned body_timeout_s);
/* Stop the sweeper (when started) and release the list (when made); says how many connections
 * it shut. */
void dc__watch_stop(struct watchlist *w);

/* ---- event streams (streams.c) ---- */
/* Make api->streams and start its heartbeat: DC_OK, DC_NOMEM, DC_INTERNAL (no thread; the hub is
 * made and dc__streams_free releases it). */
dc_status dc__streams_start(dc_api *api);
/* Resume the waiting streams of `kind` (0: every kind), `heartbeat`: with a heartbeat due. */
void dc__streams_wake(dc_api *api, int kind, int heartbeat);
/* The server is stopping: every stream ends, the suspended ones are resumed to say so. */
void dc__streams_close(dc_api *api);
/* Stop the heartbeat and release the hub (after the daemon has stopped). NULL hub: nothing. */
void dc__streams_free(dc_api *api);
/* Answer `rq` with the event stream `res` asks for (or 429 past DC_TRACK_STREAMS_MAX). */
enum MHD_Result dc__stream_start(struct MHD_Connection *conn, dc_api *api, struct request *rq,
                                 dc_api_response *res);

/* ---- configuration (server_config.c) ---- */
/* "127.0.0.1:8080", "[::1]:8080", ":8080" (all IPv4 interfaces) into `addr`. DC_INVALID with the
 * reason in err. */
dc_status dc__server_parse_listen(const char *text, struct sockaddr_storage *addr, dc_error *err);

#endif
