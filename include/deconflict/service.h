/* service.h - the use cases, one function each, whatever front end calls them: the HTTP server
 * (src/api), the CLI (`deconflict check` over a temporary store) and tests. Each runs its own
 * transactions over the store interface: candidates, the engine's decision, the disclosure
 * policy's notices, the write with its audit record, the live monitor's update. A front end
 * decodes its input, calls one of these and encodes the outcome; it decides nothing. */
#ifndef DECONFLICT_SERVICE_H
#define DECONFLICT_SERVICE_H

#include "deconflict/disclosure.h"
#include "deconflict/monitor.h"
#include "deconflict/store.h"

#include <pthread.h>

#define DC_CONFLICT_KEY_SECRET_BYTES 32
/* The engine's work a submission may cost (dc_engine_work units), by default: 250,000 units is
 * at most ~1 s of GEOS in the worst case measured (two 500-vertex combs crossing at every
 * tooth) and ~10 ms for typical objects; deconflictd's --work-budget changes it. */
#define DC_WORK_BUDGET_DEFAULT 250000

/* What a front end wants to hear of as it happens (each may be NULL): alerts were stored and
 * streams should wake; `copies` of an alert of `kind` ("zone", "probing"...) were told; a notice
 * was stored. Called with no store transaction of the caller's thread open, or inside one, but
 * never with the monitor's lock held; they must not call back into the service. */
typedef struct dc_service_events {
    void (*alerts_published)(void *ctx);
    void (*alerts_counted)(void *ctx, const char *kind, unsigned long long copies);
    void (*notice_counted)(void *ctx);
    void *ctx;
} dc_service_events;

/* The state every use case shares. The front end fills it once (dc_service_init) before any use
 * case runs and does not change it after, but for the monitor, which use cases reach only under
 * monitor_lock. */
typedef struct dc_service {
    dc_store *store;
    uint8_t public_key[DC_PUBLIC_KEY_BYTES];
    uint8_t secret_key[DC_SECRET_KEY_BYTES];
    uint8_t conflict_key_secret[DC_CONFLICT_KEY_SECRET_BYTES]; /* derived from the signing key */
    uint8_t site_secret[DC_DISCLOSE_SECRET_BYTES];             /* site keep-outs, likewise */
    dc_monitor *monitor; /* live tracks, under monitor_lock; NULL: none watched */
    pthread_mutex_t monitor_lock;
    int probe_limit;      /* more refusals over sites than this ... */
    int probe_window_s;   /* ... within this many seconds: a probing alert */
    uint64_t work_budget; /* dc_engine_work units one submission may cost */
    /* a repetition is stored as the change from its episode's first alert when that began at
     * most this long ago (half the alerts' retention, at most 10 min: the archive keeps a
     * first alert until its episode can no longer refer to it) */
    int64_t alert_episode_us;
    dc_service_events events;
} dc_service;

/* Fill `svc` for `store` (open, not in a transaction): the server's signing key (created on
 * first use) and the secrets derived from it, the monitor's lock, the defaults of the limits
 * (the caller may change them before the first use case). `svc->monitor` stays NULL until the
 * caller sets one. DC_OK, or DC_STORE / DC_NOT_FOUND / DC_FORBIDDEN from dc_store_server_key
 * with the reason in err, and `svc` zeroed (dc_service_destroy does nothing). */
dc_status dc_service_init(dc_service *svc, dc_store *store, dc_error *err);
/* Release what dc_service_init made (not the store, not the monitor); a zeroed `svc`: nothing. */
void dc_service_destroy(dc_service *svc);

/* Tell the front end (service.h's events); for the use cases' own files. */
void dc_service_alerts_published(const dc_service *svc);
void dc_service_alerts_counted(const dc_service *svc, const char *kind, unsigned long long copies);
void dc_service_notice_counted(const dc_service *svc);

/* ---- the front ends' reads and small writes (src/service/session.c): each one transaction, so
 * that no front end opens one itself ---- */

#include "deconflict/audit.h"
#include "deconflict/party.h"
#include "deconflict/retention.h"

/* The party whose key hashes to `key_hash` (a read transaction), into *out: DC_OK, DC_NOT_FOUND
 * (no party holds it, or its key was revoked), DC_STORE. *out is untouched unless DC_OK. */
dc_status dc_service_authenticate(dc_service *svc, const uint8_t key_hash[DC_HASH_BYTES],
                                  dc_party *out);

/* Up to `limit` entries of `recipient`'s inbox `box` after id `after`, oldest first, each given to
 * `each` (non-zero stops the walk), in one read transaction. DC_OK, DC_STORE. */
dc_status dc_service_inbox_page(
    dc_service *svc, dc_inbox box, const char *recipient, int64_t after, size_t limit,
    int (*each)(void *ctx, int64_t id, const char *body, dc_time_us created), void *ctx);

/* Give svc->monitor (not NULL) what the store holds for it at start: every zone to watch and
 * every intent accepted or activated. DC_OK; DC_STORE when the store cannot be read, or the
 * monitor's refusal (DC_NOMEM, DC_INVALID), with what failed in err. */
dc_status dc_service_monitor_restore(dc_service *svc, dc_error *err);

/* How many objects of each kind the store holds (a read transaction); DC_OK or DC_STORE (counts
 * untouched). */
dc_status dc_service_object_counts(dc_service *svc, int64_t counts[DC_KIND_COUNT]);

/* Mark each alert of `alerts` about a sensor track whose identified aircraft's owner lets the
 * alert's viewer (the sensor's owner, or the zone's owner) learn its identity: that owner's
 * "intent" grant to the viewer (alert->identity_granted). One read transaction; DC_OK, DC_STORE
 * (the marks already made stay). */
dc_status dc_service_identity_grants(dc_service *svc, dc_alert_list *alerts);

/* Append `record` (actor, action, object, recipients, detail filled by the caller), signed with
 * the service's key, in one write transaction with the check that each of the `share_count`
 * parties of `share` exists: the record of a computation shared with them (a replay). DC_OK with
 * seq, time and hashes in *record; DC_NOT_FOUND (a party shared with does not exist; nothing
 * written), DC_STORE. */
dc_status dc_service_record_shared(dc_service *svc, const char *const *share, size_t share_count,
                                   dc_audit_record *record);

/* The archive's figures and the store's growth, as storage.c's measurement shows them. */
typedef struct dc_service_archive_figures {
    int64_t segments, bytes, rows[DC_RETAIN_COUNT]; /* the archive's segments, summed */
    double live_growth, total_growth; /* bytes a second: the live store, and it with the archive */
} dc_service_archive_figures;

/* Sum the archive's segments, note the store's size at `now` (`live_bytes`) beside the archive's,
 * and read the growth over `over` back: one write transaction. DC_OK, DC_STORE (*out zeroed). */
dc_status dc_service_archive_figures_note(dc_service *svc, dc_time_us now, int64_t live_bytes,
                                          dc_time_us over, dc_service_archive_figures *out);

#endif
