/* emergency_internal.h - what the emergency use cases' two files share (emergencies.c declares,
 * emergency_end.c renews, ends and expires) */
#ifndef DECONFLICT_EMERGENCY_INTERNAL_H
#define DECONFLICT_EMERGENCY_INTERNAL_H

#include "deconflict/service.h"

/* `t` as RFC 3339 text, or "" when it cannot be written. */
void dc__emergency_time_text(dc_time_us t, char out[40]);

/* Every change of a stored row is a "<kind>.put" with the row's digest (`deconflict audit verify`
 * holds each row to its last one), also when only its typed state moved: audit the row of `kind`
 * `owner`/`id` as it stands, `why` it changed, in the open transaction. DC_OK (also when there is
 * no such row), DC_STORE. */
dc_status dc__emergency_audit_row(dc_service *svc, const char *actor, dc_object_kind kind,
                                  const char *owner, const char *id, const char *recipients,
                                  const char *why);

/* The monitor watches `o`, an emergency's intent, in place of what it watched under its id. */
void dc_service_emergency_watch(dc_service *svc, const dc_object *o);

#endif
