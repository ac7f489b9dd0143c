/* status.h - the one status enum of the library and the caller-owned error detail */
#ifndef DECONFLICT_STATUS_H
#define DECONFLICT_STATUS_H

#include <stddef.h>

/* Every public function returns one of these. The text is the generic
 * meaning; the specific reason goes into a dc_error the caller passes. */
#define DC_STATUS_MAP(XX)                                                                          \
    XX(OK, "ok")                                                                                   \
    XX(NOMEM, "out of memory")                                                                     \
    XX(INVALID, "invalid input")                                                                   \
    XX(AMBIGUOUS, "ambiguous input")                                                               \
    XX(RANGE, "out of range")                                                                      \
    XX(UNSUPPORTED, "not supported")                                                               \
    XX(CONFLICT, "conflict")                                                                       \
    XX(NOT_FOUND, "not found")                                                                     \
    XX(FORBIDDEN, "forbidden")                                                                     \
    XX(STALE, "stale version")                                                                     \
    XX(STORE, "storage error")                                                                     \
    XX(INTERNAL, "internal error")                                                                 \
    XX(LIMIT, "over a published limit")                                                            \
    XX(BUSY, "busy: try again later")

typedef enum dc_status {
#define DC__STATUS_ENUM(name, text) DC_##name,
    DC_STATUS_MAP(DC__STATUS_ENUM)
#undef DC__STATUS_ENUM
        DC__STATUS_COUNT
} dc_status;

/* The generic text of a status ("out of range"). Never NULL. */
const char *dc_strerror(dc_status status);

/* The status's name as it appears in the enum without prefix ("RANGE").
 * Stable: used in CLI output, test catalogues and problem types. */
const char *dc_status_name(dc_status status);

#define DC_NO_POSITION ((size_t)-1)

/* Detail of a failure, owned by the caller. `field` names what was wrong
 * (a JSON pointer in the API, "latitude" in a coordinate), `position` is the
 * byte offset in the text that was being read, or DC_NO_POSITION. */
typedef struct dc_error {
    dc_status status;
    size_t position;
    char field[96];
    char message[256];
} dc_error;

/* Clear an error to DC_OK. `err` may be NULL. */
void dc_error_clear(dc_error *err);

/* Record a failure in `err` (which may be NULL) and return `status`, so that
 * a function can fail with `return dc_error_set(err, DC_RANGE, ...)`.
 * The message is printf-formatted and truncated to fit. */
dc_status dc_error_set(dc_error *err, dc_status status, const char *field, size_t position,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Allocation used throughout the library; failures become DC_NOMEM. */
void *dc_malloc(size_t size);
void *dc_calloc(size_t count, size_t size);
void *dc_realloc(void *ptr, size_t size);
void dc_free(void *ptr);

/* Copy text into a fixed field: at most size - 1 bytes, always terminated;
 * NULL copies as "". snprintf(dst, size, "%s", src) costs ~500
 * instructions, most of an ingested report's copying (bench/ingest). */
void dc_copy_text(char *dst, size_t size, const char *src);

/* Room for one more item in a growing array of `count` items: when count
 * has reached *capacity, the array doubles (from `initial`). Returns the
 * array, perhaps moved, or NULL with the array and *capacity unchanged. */
void *dc_grow(void *items, size_t *capacity, size_t count, size_t item_size, size_t initial);

#endif
