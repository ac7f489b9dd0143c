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

#endif
