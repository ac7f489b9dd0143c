/* heavy.c - at most a few requests do heavy work at once: decoding and deciding a large
 * submission, measuring a replay. Each is bounded alone (body limit, work budget, replay work
 * limit), but on 2 cores two connections looping on them held both cores, and every other party's
 * small request queued for CPU behind them: charlie's p99 in it_pathological went from 20 ms to
 * 500 ms once the machine had other work too. A request past the threshold waits for a slot,
 * asleep; the small ones keep the remaining core. */
#include "api_internal.h"

#include <errno.h>
#include <time.h>

/* Waiting longer than this for a slot is answered 503 with Retry-After: the heavy requests ahead
 * are someone's flood, and the client may come back. */
#define HEAVY_WAIT_S 10

void dc__heavy_init(dc__heavy *h, unsigned slots)
{
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->freed, NULL);
    h->slots = slots;
    h->busy = 0;
}

void dc__heavy_destroy(dc__heavy *h)
{
    if (h->slots == 0)
        return;
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->freed);
}

int dc__heavy_enter(dc__heavy *h, dc_api_response *res)
{
    if (h->slots == 0) /* not limited (a test's or a fuzz target's dc_api) */
        return 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += HEAVY_WAIT_S;
    pthread_mutex_lock(&h->lock);
    int rc = 0;
    while (h->busy >= h->slots && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&h->freed, &h->lock, &until);
    int entered = h->busy < h->slots;
    if (entered)
        h->busy++;
    pthread_mutex_unlock(&h->lock);
    if (entered)
        return 0;
    dc_api_problem(res, 503, DC_BUSY, NULL,
                   "large submissions and replays are taken a few at a time, and others came "
                   "first: send it again");
    res->retry_after_s = HEAVY_WAIT_S;
    return -1;
}

void dc__heavy_leave(dc__heavy *h)
{
    if (h->slots == 0)
        return;
    pthread_mutex_lock(&h->lock);
    h->busy--;
    pthread_cond_signal(&h->freed);
    pthread_mutex_unlock(&h->lock);
}
