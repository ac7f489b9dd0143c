/* service_internal.h - what the use cases' files share beyond service.h: how the live monitor is
 * told of an object, and the position reports' path over a shared store (cluster.c) */
#ifndef DECONFLICT_SERVICE_INTERNAL_H
#define DECONFLICT_SERVICE_INTERNAL_H

#include "deconflict/service.h"
#include "emergency_internal.h"

/* The monitor watches zone or intent `o` as written (`gone`: withdrawn, ended, deleted: no
 * more). Takes the monitor's lock; nothing when there is no monitor. */
void dc__service_tell_monitor(dc_service *svc, const dc_object *o, int gone);
/* The monitor stops watching the emergency of owner/id. */
void dc__service_emergency_unwatch(dc_service *svc, const char *owner, const char *id);

/* dc_service_report_positions when the store is shared (cluster.c). */
dc_status dc__service_cluster_report(dc_service *svc, dc_report *reports, size_t count,
                                     dc_report_verdict *verdicts, dc_positions_outcome *out,
                                     dc_error *err);

/* ---- write_group.c: writes that commit together ----
 * A use case's part under the write lock, run by whichever thread commits the next group: each
 * group is one write transaction (one lock, one commit, one fsync) for the parts of every
 * thread that was waiting. A part sees the writes of the parts before it in its group, as it would
 * have seen their commits. */
typedef enum dc_locked_outcome {
    DC_LOCKED_NOTHING, /* wrote nothing (refused, or to be decided again): the group goes on */
    DC_LOCKED_WROTE,   /* wrote: stands or falls with the group's commit */
    DC_LOCKED_ABORT    /* failed having written, or the store failed: the group is rolled back */
} dc_locked_outcome;

typedef struct dc_locked_work {
    /* in the open write transaction; must neither commit nor roll back */
    dc_locked_outcome (*run)(dc_service *svc, void *ctx);
    void *ctx;
    /* filled by the group */
    dc_locked_outcome outcome;
    int ran, finished;
    dc_status status; /* what dc__service_write_together returns */
    struct dc_locked_work *next;
} dc_locked_work;

/* Run w->run in the next group and wait for the group's end. DC_OK: it ran, and what it wrote (if
 * anything) is committed. DC_STORE: its writes, if any, are not (the group's transaction could
 * not begin or commit, or another part failed): w->ran tells whether it ran at all. */
dc_status dc__service_write_together(dc_service *svc, dc_locked_work *w);

#endif
