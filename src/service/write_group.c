/* write_group.c - writes that commit together (group commit)
 *
 * Over a store a round trip away, a write's time under the cluster-wide write lock is made of
 * waits: each statement, then the commit's fsync (docs/PERFORMANCE.md, "Where a PUT's time
 * goes"). Writes queued one behind the other on the lock would each pay them all. Here the
 * threads with a part to do under the lock queue it instead; the first to find no group running
 * takes every part waiting, runs them one after the other in one write transaction, commits once,
 * and wakes their threads with the outcome. A part sees everything the parts before it wrote, as
 * it would have seen their commits, so a conflict between two of a group is found exactly as
 * between two transactions. One part failing having written rolls the group back: the others'
 * writes are then not committed, and they are told so (their callers answer that nothing was
 * changed). Parts not yet run when that happens wait for the next group.
 */
#include "service_internal.h"

/* Parts one group runs at most: a bound on the wait of its first. */
#define GROUP_MAX 64

/* Run the parts of `batch` (counted: n) in one write transaction and set each one's outcome;
 * parts a failure left unrun go back to the queue's front. Called without group_lock. Returns
 * the status the parts that ran get. */
static dc_status run_group(dc_service *svc, dc_locked_work *batch, dc_locked_work **unrun)
{
    *unrun = NULL;
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return DC_STORE;
    int aborted = 0;
    dc_locked_work *w = batch;
    for (; w != NULL && !aborted; w = w->next) {
        w->outcome = w->run(svc, w->ctx);
        w->ran = 1;
        aborted = w->outcome == DC_LOCKED_ABORT;
    }
    *unrun = w;
    if (aborted) {
        dc_store_rollback(svc->store);
        return DC_STORE;
    }
    return dc_store_commit(svc->store) == DC_OK ? DC_OK : DC_STORE;
}

dc_status dc__service_write_together(dc_service *svc, dc_locked_work *w)
{
    w->outcome = DC_LOCKED_NOTHING;
    w->ran = w->finished = 0;
    w->status = DC_STORE;
    w->next = NULL;
    pthread_mutex_lock(&svc->group_lock);
    *svc->group_tail = w;
    svc->group_tail = &w->next;
    while (!w->finished) {
        if (svc->group_writing) {
            pthread_cond_wait(&svc->group_done, &svc->group_lock);
            continue;
        }
        /* this thread commits the next group: every part waiting, its own among them */
        svc->group_writing = 1;
        dc_locked_work *batch = svc->group_queue, *last = batch;
        for (int n = 1; n < GROUP_MAX && last->next != NULL; n++)
            last = last->next;
        svc->group_queue = last->next;
        if (svc->group_queue == NULL)
            svc->group_tail = &svc->group_queue;
        last->next = NULL;
        pthread_mutex_unlock(&svc->group_lock);

        dc_locked_work *unrun = NULL;
        dc_status rc = run_group(svc, batch, &unrun);

        pthread_mutex_lock(&svc->group_lock);
        for (dc_locked_work *x = batch, *next; x != unrun; x = next) {
            next = x->next;
            x->next = NULL;
            x->finished = 1;
            /* a part that wrote nothing stands whatever became of the group */
            x->status = x->ran && x->outcome == DC_LOCKED_NOTHING ? DC_OK : rc;
        }
        if (unrun != NULL) { /* back to the front, in their order */
            dc_locked_work *tail = unrun;
            while (tail->next != NULL)
                tail = tail->next;
            tail->next = svc->group_queue;
            if (svc->group_queue == NULL)
                svc->group_tail = &tail->next;
            svc->group_queue = unrun;
        }
        svc->group_writing = 0;
        pthread_cond_broadcast(&svc->group_done);
    }
    pthread_mutex_unlock(&svc->group_lock);
    return w->status;
}
