/* time.h - UTC instants in microseconds, and RFC 3339 at the edges */
#ifndef DECONFLICT_TIME_H
#define DECONFLICT_TIME_H

#include "deconflict/status.h"

#include <stdint.h>

/* Microseconds since 1970-01-01T00:00:00Z, leap seconds not counted (POSIX). */
typedef int64_t dc_time_us;

#define DC_US_PER_S INT64_C(1000000)

/* The instants this library reads and writes: 1970-01-01T00:00:00Z up to
 * 9999-12-31T23:59:59.999999Z, UTC. The upper end is the last instant
 * RFC 3339's four-digit year can write; the lower the epoch (nothing is
 * planned in the past). Every time accepted is in this range, so every time
 * stored can be written back. */
#define DC_TIME_MIN_US INT64_C(0)
#define DC_TIME_MAX_US INT64_C(253402300799999999)

/* Whether `t` lies in [DC_TIME_MIN_US, DC_TIME_MAX_US]: 1 or 0. */
int dc_time_in_range(dc_time_us t);

/* Parse an RFC 3339 date-time: "2015-11-24T09:24:00Z", with optional
 * fraction (up to microseconds) and a Z or ±hh:mm offset. DC_INVALID with
 * the byte position for anything malformed (no local times, no leap second
 * 60, no trailing text); DC_RANGE for a field out of range or an instant
 * that, once the offset is applied, falls outside DC_TIME_MIN_US ..
 * DC_TIME_MAX_US ("9999-12-31T23:59:59-23:59" is in the year 10000 UTC).
 * *out is untouched on failure. */
dc_status dc_time_parse(const char *text, dc_time_us *out, dc_error *err);

/* Write "YYYY-MM-DDThh:mm:ss[.ffffff]Z" (fraction only when non-zero).
 * buf needs 32 bytes. DC_RANGE for an instant outside DC_TIME_MIN_US ..
 * DC_TIME_MAX_US or a short buf; then buf holds "" (when size > 0), never
 * stale bytes. */
dc_status dc_time_format(dc_time_us t, char *buf, size_t size);

#endif
