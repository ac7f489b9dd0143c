/* store_internal.h - what every store backend shares: how an alert is stored once for all its
 * recipients, and a repetition as the change from its episode's first alert */
#ifndef DECONFLICT_STORE_INTERNAL_H
#define DECONFLICT_STORE_INTERNAL_H

#include "deconflict/audit.h"
#include "deconflict/status.h"

#include <stddef.h>
#include <stdint.h>

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

/* One row of `SELECT * FROM audit` as a record, a damaged field made to fail its check
 * (sqlite.c). Can't fail. */
struct sqlite3_stmt;
dc_status dc__store_read_audit(struct sqlite3_stmt *st, dc_audit_record *r);

/* ---- files beside the store (files.c) ---- */

/* Create (exclusive: only if absent; else truncate) a file of mode 0600 whatever the umask: an
 * open descriptor, or -1 with errno. */
int dc__file_create_private(const char *path, int exclusive);
/* Take group and other bits off an existing file; *was_mode is its mode before, or -1 when it
 * was already private. DC_OK, DC_NOT_FOUND (no file), DC_FORBIDDEN (chmod refused: not ours),
 * DC_STORE. */
dc_status dc__file_tighten(const char *path, int *was_mode);
/* Sync the directory holding `path`, so that a name created or renamed there survives. */
dc_status dc__dir_sync(const char *path);
/* Replace `path` by `data` atomically: a 0600 temporary file synced, renamed over it, the
 * directory synced. DC_STORE. */
dc_status dc__file_replace(const char *path, const void *data, size_t size);

/* The Ed25519 secret key in its file (<db>.key). Read: DC_NOT_FOUND, DC_FORBIDDEN (readable by
 * others and not ours to tighten), DC_STORE (damaged). Write: never over an existing file;
 * DC_STORE. */
dc_status dc__key_file_read(const char *path, uint8_t sk[DC_SECRET_KEY_BYTES], dc_error *err);
dc_status dc__key_file_write(const char *path, const uint8_t sk[DC_SECRET_KEY_BYTES],
                             dc_error *err);

/* The last head the store published (<db>.head): the seq and hash of its newest audit record
 * at a synced commit. */
typedef struct dc_head {
    int64_t seq;
    uint8_t hash[DC_HASH_BYTES];
    int torn; /* a last record was torn (a power cut during its append) and skipped */
} dc_head;
/* DC_OK, DC_NOT_FOUND (no file, or an empty one), DC_STORE (unreadable, or no valid record). */
dc_status dc__head_read(const char *path, dc_head *out, dc_error *err);
/* Append one head and fdatasync it; *fd is opened on first use (-1 before), closed and reset
 * when the file is compacted. DC_STORE. */
dc_status dc__head_append(int *fd, const char *path, int64_t seq,
                          const uint8_t hash[DC_HASH_BYTES]);
/* The file made to hold this one head alone, atomically (restore, backup). DC_STORE. */
dc_status dc__head_write(const char *path, int64_t seq, const uint8_t hash[DC_HASH_BYTES]);

#endif
