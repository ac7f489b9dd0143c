/* time.h - UTC instants in microseconds, and RFC 3339 at the edges */
#ifndef DECONFLICT_TIME_H
#define DECONFLICT_TIME_H

#include "deconflict/status.h"

#include <stdint.h>

/* Microseconds since 1970-01-01T00:00:00Z, leap seconds not counted (POSIX). */
typedef int64_t dc_time_us;

#define DC_US_PER_S INT64_C(1000000)

/* Parse an RFC 3339 date-time: "2015-11-24T09:24:00Z", with optional
 * fraction (up to microseconds) and a Z or ±hh:mm offset. Years 1970..9999.
 * DC_INVALID with the byte position for anything else (no local times,
 * no leap second 60, no trailing text). */
dc_status dc_time_parse(const char *text, dc_time_us *out, dc_error *err);

/* Write "YYYY-MM-DDThh:mm:ss[.ffffff]Z" (fraction only when non-zero).
 * buf needs 32 bytes. DC_RANGE outside years 1970..9999 or if buf is short. */
dc_status dc_time_format(dc_time_us t, char *buf, size_t size);

#endif
