/* pg_events.c - what other instances' commits tell this one: LISTEN on a connection of its own
 *
 * A write transaction that stored an alert, a notice, a message or position reports notifies its
 * channel with its commit (pg.c); PostgreSQL delivers the notification to every listening
 * session once the commit is visible, so a stream woken by it reads what was committed. When the
 * listening connection is lost, it is re-established (every 500 ms while PostgreSQL is away) and
 * the callback told "" since notifications sent meanwhile are gone: the streams look for
 * themselves.
 */
#include "pg_internal.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

static PGconn *listen_connect(dc_pg *s)
{
    PGconn *c = PQconnectdb(s->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "LISTEN dc_alerts; LISTEN dc_notices; LISTEN dc_messages;"
                            " LISTEN dc_reports; LISTEN dc_objects");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int stopping(dc_pg *s)
{
    pthread_mutex_lock(&s->events_lock);
    int stop = s->stopping;
    pthread_mutex_unlock(&s->events_lock);
    return stop;
}

static void *listener_main(void *arg)
{
    dc_pg *s = arg;
    PGconn *c = NULL;
    int lost = 0;
    while (!stopping(s)) {
        if (c == NULL) {
            c = listen_connect(s);
            if (c == NULL) {
                lost = 1;
                nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL);
                continue;
            }
            if (lost)
                s->on_event(s->event_ctx, "");
            lost = 0;
        }
        /* a bounded wait, so that close is noticed */
        struct pollfd fd = {.fd = PQsocket(c), .events = POLLIN};
        int n = poll(&fd, 1, 250);
        if (n < 0 && errno != EINTR)
            n = 0;
        if (n > 0 && PQconsumeInput(c) == 0) {
            PQfinish(c);
            c = NULL;
            lost = 1;
            continue;
        }
        PGnotify *note;
        while ((note = PQnotifies(c)) != NULL) {
            /* "channel", or "dc_objects:<ref>" for another process's object ("" when it wrote
             * too many to name); this process's own objects are passed over */
            char what[256];
            const char *ref = strchr(note->extra, ' ');
            size_t token_length = ref != NULL ? (size_t)(ref - note->extra) : 0;
            int own = ref != NULL && token_length == strlen(s->token) &&
                      strncmp(note->extra, s->token, token_length) == 0;
            snprintf(what, sizeof what, "%s%s%s", note->relname, ref != NULL ? ":" : "",
                     ref != NULL ? ref + 1 : "");
            if (!own)
                s->on_event(s->event_ctx, what);
            PQfreemem(note);
        }
        if (PQstatus(c) != CONNECTION_OK) {
            PQfinish(c);
            c = NULL;
            lost = 1;
        }
    }
    PQfinish(c);
    return NULL;
}

dc_status dc__pg_watch(dc_store *store, void (*on_event)(void *ctx, const char *what), void *ctx)
{
    dc_pg *s = dc__pg(store);
    if (on_event == NULL) { /* stop: no call back after this returns */
        dc__pg_events_stop(s);
        return DC_OK;
    }
    if (s->listening)
        return DC_INVALID;
    s->on_event = on_event;
    s->event_ctx = ctx;
    if (pthread_create(&s->listener, NULL, listener_main, s) != 0)
        return DC_STORE;
    s->listening = 1;
    return DC_OK;
}

void dc__pg_events_stop(dc_pg *s)
{
    if (!s->listening)
        return;
    pthread_mutex_lock(&s->events_lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->events_lock);
    pthread_join(s->listener, NULL);
    s->listening = 0;
}
