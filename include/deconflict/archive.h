/* archive.h - append-only archive segments: what left the live store, in order, signed, readable
 * and verifiable on their own and as one chain with the live store */
#ifndef DECONFLICT_ARCHIVE_H
#define DECONFLICT_ARCHIVE_H

#include "deconflict/audit.h"
#include "deconflict/status.h"

#include <stddef.h>
#include <stdint.h>

/* What the live store keeps for a while and then archives (retention.h). */
typedef enum dc_retained {
    DC_RETAIN_AUDIT,
    DC_RETAIN_ALERTS,
    DC_RETAIN_NOTICES,
    DC_RETAIN_MESSAGES,
    DC_RETAIN_OBJECTS, /* ended and withdrawn objects */
    DC_RETAIN_COUNT
} dc_retained;

/* "audit", "alerts", "notices", "messages", "objects". Never NULL. */
const char *dc_retained_name(dc_retained kind);
/* The kind of that name. DC_INVALID. */
dc_status dc_retained_parse(const char *name, size_t length, dc_retained *out);

/* One segment as far as it is committed: the live store keeps this row, the segment file keeps
 * the same figures in its signed checkpoints. Bytes past `bytes` in the file are an append that
 * never committed; the next append cuts them off. */
typedef struct dc_segment {
    int64_t number; /* 1, 2, ... in chain order */
    char file[128]; /* name in the archive directory */
    dc_time_us opened, updated;
    int closed;                          /* its period is over: nothing more will be appended */
    int64_t bytes;                       /* committed length of the file (compressed) */
    int64_t lines;                       /* lines in it, checkpoints included */
    uint8_t digest[DC_HASH_BYTES];       /* running digest of every line (see archive.c) */
    uint8_t prev_segment[DC_HASH_BYTES]; /* the previous segment's final digest, or zeros */
    /* the audit chain: before the segment (seq 0 and zeros at the start of the chain), and
     * after its last archived record; equal when it holds none */
    int64_t chain_before_seq, chain_seq;
    uint8_t chain_before_hash[DC_HASH_BYTES], chain_hash[DC_HASH_BYTES];
    int64_t rows[DC_RETAIN_COUNT]; /* rows of each kind in it */
} dc_segment;

/* A row on its way out of the live store, as the store reads it (dc_store_expired). Pointers are
 * valid during the callback only. */
typedef struct dc_expired {
    dc_retained kind;
    int64_t key;     /* seq, id or object row: what dc_store_expired_remove takes */
    int64_t check;   /* what must not have changed for the row to go: an object's version, a
                        message's acknowledgement; 0 otherwise */
    dc_time_us time; /* written (an object: last changed) */
    const dc_audit_record *audit; /* DC_RETAIN_AUDIT */
    /* DC_RETAIN_ALERTS: what every recipient reads, and what each alone adds (NULL: nothing);
     * DC_RETAIN_NOTICES: body and the one recipient; DC_RETAIN_MESSAGES: body, sender,
     * recipient, acknowledged (check) */
    const char *body;
    const char *sender;
    size_t copies;
    const char *const *recipients;
    const char *const *extras;
    /* DC_RETAIN_OBJECTS: the row's columns and the digest its audited write recorded */
    const char *object_kind, *owner, *id, *state, *admitted;
    int64_t version;
    int priority, is_public;
    const uint8_t *volumes;
    size_t volumes_size;
    dc_time_us created;
    const uint8_t *digest;
} dc_expired;

/* ---- writing ---- */

/* Lines on their way to a segment: the open `last`, or a new one after it (the first when
 * `last` is NULL) when it is closed, which begins with a checkpoint signed with `secret_key` that
 * states where the chain stands. A new segment is named after the period of `period_us` that
 * holds `now`. DC_NOMEM, DC_INTERNAL (signing). */
typedef struct dc_archive_batch dc_archive_batch;
dc_status dc_archive_batch_new(const dc_segment *last, dc_time_us now, dc_time_us period_us,
                               const uint8_t public_key[DC_PUBLIC_KEY_BYTES],
                               const uint8_t secret_key[DC_SECRET_KEY_BYTES],
                               dc_archive_batch **out);
void dc_archive_batch_free(dc_archive_batch *batch); /* NULL is a no-op */

/* Add a row. An audit record must carry the chain on: the next seq, linked to the one before, its
 * hash and signature the server key's (`public_key`), so that the archive never signs a chain
 * that was changed in the live store: DC_CONFLICT with the reason in err otherwise, and the
 * batch is unchanged. DC_NOMEM. */
dc_status dc_archive_add(dc_archive_batch *batch, const dc_expired *row,
                         const uint8_t public_key[DC_PUBLIC_KEY_BYTES], dc_error *err);

/* Rows added so far. */
size_t dc_archive_batch_rows(const dc_archive_batch *batch);

/* Append the batch to its segment in `dir`, closed by a checkpoint signed with `secret_key`
 * (`closing`: the segment's last), and sync it to disk; *out is the segment as it then stands,
 * for the caller to commit with the removal of the rows (dc_store_segment_save). The file is
 * first cut back to the committed length: an append that never committed is gone. DC_STORE
 * with the reason in err (I/O, or a file shorter than committed: the archive was damaged),
 * DC_NOMEM. No partial write survives a failure: the committed length stays the truth. */
dc_status dc_archive_write(dc_archive_batch *batch, const char *dir, int closing, dc_segment *out,
                           dc_error *err);

/* ---- reading and verifying ---- */

/* What reading a segment yields, line by line. */
typedef struct dc_archived {
    dc_retained kind;
    int64_t line;                 /* 1-based */
    const dc_audit_record *audit; /* DC_RETAIN_AUDIT */
    const char *object_ref;       /* DC_RETAIN_OBJECTS: "intent/a/x" */
    const uint8_t *object_digest; /* ... and the digest of the row archived */
} dc_archived;

/* Read and verify the segment at `path`, at most `limit` bytes of it (-1: all): every line
 * against the running digest, every checkpoint's signature (by `public_key`, or by the key the
 * segment names when NULL: then the caller must compare that key with the server's), the audit
 * records chained within it from its start; a segment must end on a checkpoint. `row` is called
 * for every archived row, `problem` for every fault found (reading goes on where it can). *out
 * is the segment as its last valid checkpoint states it (number, digests, chain ends, rows).
 * DC_OK when the file could be read (faults or not: count the problems), DC_STORE when it
 * cannot be opened. */
dc_status dc_archive_read(const char *path, int64_t limit,
                          const uint8_t public_key[DC_PUBLIC_KEY_BYTES],
                          int (*row)(void *ctx, const dc_archived *item),
                          void (*problem)(void *ctx, const char *message), void *ctx,
                          dc_segment *out, uint8_t signer[DC_PUBLIC_KEY_BYTES]);

/* The number in a segment file's name ("segment-000042-....ndjson.gz"), or 0. */
int64_t dc_archive_file_number(const char *name);

#endif
