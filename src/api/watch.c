/* watch.c - deconflictd's read deadlines: a request's headers and body must arrive in time, or
 * its connection is shut down (the why is at struct watchlist, server_internal.h) */
#include "server_internal.h"

#include <stdio.h>
#include <stdlib.h>

void dc__watch_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
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
void dc__watch_phase(struct server *s, struct MHD_Connection *conn, enum watch_phase phase)
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

int dc__watch_start(struct watchlist *w, unsigned header_timeout_s, unsigned body_timeout_s)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->stop_cond, NULL);
    w->ready = 1;
    w->header_timeout_s = header_timeout_s;
    w->body_timeout_s = body_timeout_s;
    w->started = pthread_create(&w->sweeper, NULL, sweeper_main, w) == 0;
    return w->started ? 0 : -1;
}

void dc__watch_stop(struct watchlist *w)
{
    if (!w->ready)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = 1;
        pthread_cond_broadcast(&w->stop_cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->sweeper, NULL);
        if (w->shut > 0)
            fprintf(stderr, "deconflictd: %lu connections shut down past their read deadline\n",
                    w->shut);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->stop_cond);
    w->ready = 0;
}
