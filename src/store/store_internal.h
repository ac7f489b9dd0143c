/* store_internal.h - what every store backend shares: how an alert is stored once for all its
 * recipients, and a repetition as the change from its episode's first alert */
#ifndef DECONFLICT_STORE_INTERNAL_H
#define DECONFLICT_STORE_INTERNAL_H

#include "deconflict/status.h"

#include <stddef.h>

/* The stored form of one alert told to `n` recipients, `texts[k]` being what recipient k reads
 * (a JSON object each). *common gets the members every copy has alike; extras[k] the members
 * only copy k has (NULL when none). Texts are kept byte for byte when all copies are the same.
 * Everything returned is the caller's (dc_free). DC_INVALID when a text is not a JSON object,
 * DC_NOMEM. */
dc_status dc__alert_split(const char *const *texts, size_t n, char **common, char **extras);

/* A JSON merge patch (RFC 7396) turning `base` into `target` (both JSON object texts): what a
 * repetition stores. *patch is the caller's (dc_free). DC_INVALID, DC_NOMEM. */
dc_status dc__alert_patch(const char *base, const char *target, char **patch);

/* What a recipient reads: `base` with `patch` applied (patch NULL: base as it is), then the
 * members of `extra` (may be NULL) added. *text is the caller's (dc_free). DC_INVALID when a
 * stored text is not a JSON object, DC_NOMEM. */
dc_status dc__alert_text(const char *base, const char *patch, const char *extra, char **text);

#endif
