/* worker.c - a background thread of the server that works in passes, sleeping between them, until
 * it is stopped: the archiver (storage.c) and the expiry of emergencies (emergency.c) */
#include "api_internal.h"

#include <string.h>
#include <time.h>

void dc__worker_init(dc__worker *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
}

dc_status dc__worker_start(dc__worker *w, void *(*main)(void *), void *arg)
{
    if (pthread_create(&w->thread, NULL, main, arg) != 0)
        return DC_INTERNAL;
    w->started = 1;
    return DC_OK;
}

int dc__worker_pause(dc__worker *w, dc_time_us us)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = (long long)until.tv_nsec + (long long)(us % 1000000) * 1000;
    until.tv_sec += (time_t)(us / 1000000) + (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&w->lock);
    if (!w->closing)
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
    int closing = w->closing;
    pthread_mutex_unlock(&w->lock);
    return closing;
}

void dc__worker_stop(dc__worker *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->closing = 1;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        w->started = 0;
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
}
