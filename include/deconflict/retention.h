/* retention.h - how long each kind of row stays in the live store, and the pass that moves older
 * rows to the archive in bounded batches */
#ifndef DECONFLICT_RETENTION_H
#define DECONFLICT_RETENTION_H

#include "deconflict/store.h"

/* The defaults (docs/RELIABILITY.md gives the reasons): the live store answers the API for as
 * long as an operation needs it; the archive keeps the evidence for as long as a dispute may
 * last, which is the operator's to decide (segments are never deleted by the server). */
#define DC_RETAIN_AUDIT_DEFAULT_S (24 * 3600)        /* receipts and GET /v1/audit: a day */
#define DC_RETAIN_ALERTS_DEFAULT_S (3600)            /* a stream client's catch-up: an hour */
#define DC_RETAIN_NOTICES_DEFAULT_S (7 * 24 * 3600)  /* a replan's notices: a week */
#define DC_RETAIN_MESSAGES_DEFAULT_S (7 * 24 * 3600) /* acknowledged direct-line messages */
#define DC_RETAIN_OBJECTS_DEFAULT_S (24 * 3600)      /* an ended or withdrawn object: a day */
#define DC_ARCHIVE_PERIOD_DEFAULT_S (24 * 3600)      /* one segment a UTC day */
#define DC_ARCHIVE_BATCH_DEFAULT 1000                /* rows of a kind per transaction */

typedef struct dc_retention {
    dc_time_us retain[DC_RETAIN_COUNT]; /* how long a row stays live; 0: for ever */
    dc_time_us period;                  /* one archive segment per period */
    size_t batch;                       /* rows of each kind per pass (one transaction) */
    char archive_dir[1024];
} dc_retention;

/* The defaults above, with the archive in "<db>.archive". Can't fail. */
void dc_retention_default(const char *db, dc_retention *out);

/* A duration: an integer with s, m, h or d ("90s", "1m", "30d"), or "forever" (0). DC_INVALID. */
dc_status dc_duration_parse(const char *text, dc_time_us *out);

/* Apply one "KIND=DURATION" (kind audit, alerts, notices, messages, objects, or all). DC_INVALID
 * with the reason in err; `out` is unchanged then. */
dc_status dc_retention_parse(const char *spec, dc_retention *out, dc_error *err);

/* How long an alert episode's first alert may serve as its repetitions' base (half the alerts'
 * retention, at most 10 minutes, at least 1 second): dc_store_alert_add's episode_us. */
dc_time_us dc_retention_episode_us(const dc_retention *retention);

typedef struct dc_retention_result {
    int64_t moved[DC_RETAIN_COUNT]; /* rows archived by this pass */
    int64_t segment;                /* the segment written, or 0 */
    int closed;                     /* the pass closed a segment whose period is over */
    int more;                       /* rows are still due: call again soon */
    dc_time_us locked_us;           /* how long it held the store's write lock */
} dc_retention_result;

/* One pass at `now`: close the open segment if its period is over; otherwise read at most
 * `batch` rows of each kind that are due (on the store's read connection: no request waits),
 * append them to the open segment with a signed checkpoint and sync it, then delete them in one
 * write transaction that also commits the segment's new length. A crash anywhere loses no row and
 * duplicates none: what was appended but not committed is cut off by the next pass. Rows changed
 * since they were read make the pass roll back (*out->more is set: try again). DC_OK; DC_CONFLICT
 * when the live audit chain does not verify where it is to be archived (nothing of it is
 * archived, the rest goes on: the chain is never re-signed as it is); DC_STORE (the archive or
 * the store failed; the reason in err), DC_NOMEM. */
dc_status dc_retention_pass(dc_store *store, const dc_retention *retention,
                            const uint8_t public_key[DC_PUBLIC_KEY_BYTES],
                            const uint8_t secret_key[DC_SECRET_KEY_BYTES], dc_time_us now,
                            dc_retention_result *out, dc_error *err);

#endif
