/* service.h - the use cases, one function each, whatever front end calls them: the HTTP server
 * (src/api), the CLI (`deconflict check` over a temporary store) and tests. Each runs its own
 * transactions over the store interface: candidates, the engine's decision, the disclosure
 * policy's notices, the write with its audit record, the live monitor's update. A front end
 * decodes its input, calls one of these and encodes the outcome; it decides nothing. */
#ifndef DECONFLICT_SERVICE_H
#define DECONFLICT_SERVICE_H

#include "deconflict/disclosure.h"
#include "deconflict/engine.h"
#include "deconflict/geo.h"
#include "deconflict/monitor.h"
#include "deconflict/store.h"

#include <jansson.h>
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
    /* over a shared store: the picture fed from the store's report log, the monitor's lease
     * (cluster.c); NULL for a store this process alone uses */
    struct dc_cluster *cluster;
    /* submissions waiting for their part under the write lock, done together in one write
     * transaction by whichever of their threads commits next (write_group.c) */
    pthread_mutex_t group_lock;
    pthread_cond_t group_done;
    struct dc_locked_work *group_queue, **group_tail;
    int group_writing;
} dc_service;

/* Fill `svc` for `store` (open, not in a transaction): the server's signing key (created on
 * first use) and the secrets derived from it, the monitor's lock, the defaults of the limits
 * (the caller may change them before the first use case). `svc->monitor` stays NULL until the
 * caller sets one. DC_OK, or DC_STORE / DC_NOT_FOUND / DC_FORBIDDEN from dc_store_server_key
 * with the reason in err, and `svc` zeroed (dc_service_destroy does nothing). */
dc_status dc_service_init(dc_service *svc, dc_store *store, dc_error *err);
/* Release what dc_service_init made (not the store, not the monitor); a zeroed `svc`: nothing. */
void dc_service_destroy(dc_service *svc);

/* The time now (UTC, microseconds): what every use case stamps. */
dc_time_us dc_service_now(void);

/* The opaque key of a conflict with another object as it stands: a MAC (BLAKE2b keyed with the
 * service's secret) of kind/owner/id@version, so that it names the object to the service only. */
void dc_service_conflict_key(const dc_service *svc, const dc_object *other, char out[40]);

/* Append an audit record in the transaction open on svc->store: signed (every write, whose record
 * is its writer's receipt), or with `signed_` 0 chained unsigned (the alerts of a batch of
 * reports, vouched for by the checkpoint signed before the batch commits). Takes `detail` (a JSON
 * object, may be NULL: "{}"). `out` may be NULL. DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc_service_audit(dc_service *svc, int signed_, const char *actor, const char *action,
                           const char *object, const char *recipients, json_t *detail,
                           dc_audit_record *out);

/* Store an alert for `recipient` and its audit record about `object`; takes `alert`. */
dc_status dc_service_alert_party(dc_service *svc, const char *recipient, const char *object,
                                 json_t *alert, dc_time_us now);

/* ---- disclosure of a submission's conflicts (disclose.c) ---- */

/* Tell the submitter of `o` (in `notices_out`, and in its inbox when accepted) and, when
 * accepted, each counterpart (its inbox) what the disclosure policy lets each learn of every
 * conflict in `result`; keep the ledger, the probing tracker and their alerts; audit each
 * disclosure. `ref` names `o`; `*accepted` is the engine's decision. DC_OK, DC_STORE,
 * DC_NOMEM. */
dc_status dc_service_disclose_conflicts(dc_service *svc, const dc_object *o, const char *ref,
                                        const dc_check_result *result, int *accepted,
                                        json_t *notices_out);

/* An intent, hazard or zone as a party submits it. */
typedef struct dc_submission {
    dc_object object; /* id/owner/kind set by the caller; volumes owned here */
    int64_t version;  /* the version the client believes current (0: new) */
    int has_version;
    int is_public;        /* zones */
    char hazard_kind[24]; /* hazards */
    int64_t from_message; /* hazards: the direct-line message its coordinates came from, or 0 */
    size_t accept_count;
    char (*accept_keys)[40]; /* conflict keys the submitter accepts */
    json_t *route;           /* members for the body: {"route": ...}, a site's place; or NULL */
    json_t *readbacks;       /* [{pointer, input, notation, own, dd, mgrs}] */
} dc_submission;

void dc_api_submission_clear(dc_submission *submission); /* the decoder's (src/api/codec.c) */

/* ---- objects: submit, withdraw, read (objects.c) ---- */

/* A hazard taken from a direct-line message must lie where the message said: each volume covers
 * one of its coordinates or is centred within this many metres of one (or within the side of the
 * MGRS square the coordinate was written as, when larger). */
#define DC_READBACK_TOLERANCE_M 50.0

/* A submission as the service decides it. The front end decoded `submission` (kind, owner and id
 * set) and encoded `declared`, the object as readers will get it without its "version". `check`,
 * when not NULL, is the front end's own condition on the version the object is at (HTTP's
 * If-Match), called in each transaction with the current version (-1 when there is none): a
 * status other than DC_OK refuses the submission with that status. `version_named`: the caller
 * named the version it replaces through `check` (If-Match held) rather than "version". */
typedef struct dc_submit_request {
    dc_submission *submission;
    json_t *declared;
    dc_status (*check)(void *ctx, int64_t current);
    void *check_ctx;
    int version_named;
} dc_submit_request;

typedef struct dc_submit_outcome {
    int accepted;            /* written (DC_OK); 0 with DC_CONFLICT: refused, `notices` say why */
    int replaced;            /* it replaced an earlier version (HTTP 200, not 201) */
    int64_t version;         /* the version written */
    char *body;              /* accepted: the object as stored (free()) */
    dc_audit_record receipt; /* accepted: the write's signed audit record */
    json_t *notices;         /* what the submitter is told of each conflict (an array; owned) */
} dc_submit_outcome;

void dc_submit_outcome_clear(dc_submit_outcome *out);

/* Decide and, if accepted, write a submission (DESIGN.md rules 1-4): its version and direct-line
 * read-back checked, its submitter's key and ceiling as they stand, its candidates, the engine's
 * decision with no lock held, the disclosure policy's notices, the write with its audit record,
 * the live monitor told. No store lock is held while geometry is computed; the write proceeds only
 * if the candidates decided against are still those in force, else it decides again (DC_BUSY
 * after a few tries). Statuses, with err->field the JSON pointer at fault: DC_OK (accepted),
 * DC_CONFLICT (refused: out->notices; or "" an emergency's id, "/from_message" unconfirmed),
 * DC_STALE ("/version"), DC_NOT_FOUND ("/from_message"), DC_FORBIDDEN ("/priority" above the
 * ceiling; "authorization": the key was revoked), DC_INVALID, DC_RANGE ("/radius"), DC_LIMIT
 * ("/volumes": over the work budget), DC_BUSY, DC_STORE, DC_NOMEM, or what `check` returned. */
dc_status dc_service_submit(dc_service *svc, dc_geom *geom, const dc_submit_request *request,
                            dc_submit_outcome *out, dc_error *err);

/* Withdraw `owner`'s object: deleted, audited (*receipt), the monitor told. `check` as for
 * submit (NULL: none). DC_OK, DC_NOT_FOUND, DC_FORBIDDEN (another party's object the owner can
 * see), DC_STORE, or what `check` returned. */
dc_status dc_service_withdraw(dc_service *svc, dc_object_kind kind, const char *owner,
                              const char *id, dc_status (*check)(void *ctx, int64_t current),
                              void *check_ctx, dc_audit_record *receipt, dc_error *err);

/* The object of `kind` and `id` as `reader` may read it: its own, or another party's through a
 * grant (audited as a disclosure, in the same transaction) or public. DC_OK, DC_NOT_FOUND
 * (whether or not another's exists), DC_STORE. */
dc_status dc_service_read(dc_service *svc, dc_object_kind kind, const char *reader, const char *id,
                          dc_record *out, dc_error *err);

/* One page of the objects of `kind` `reader` may read (dc_store_object_page), the reads through
 * grants audited in one record naming each. *more: more remain after it. DC_OK, DC_STORE,
 * DC_NOMEM. */
dc_status dc_service_list(dc_service *svc, dc_object_kind kind, const char *reader,
                          const dc_box4 *box, int64_t after_row, size_t limit, dc_record_list *out,
                          int *more, dc_error *err);

/* Audit a read of other parties' objects through grants (`names`: their refs, an array; `extra`:
 * more detail, taken, may be NULL): one record naming them all, indexed under each so that
 * `audit who-saw` finds it; nothing when `names` is empty. In the open transaction. */
dc_status dc_service_audit_list_read(dc_service *svc, const char *reader, const char *action,
                                     const char *list, json_t *names, json_t *extra);

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

/* A signed record of `actor`'s `action` on `object` (a computation shared with the `share_count`
 * parties of `share`, who are its recipients: a replay), with `detail` (taken; NULL: "{}"), in one
 * write transaction with the check that each party shared with exists. DC_OK with the record,
 * the writer's receipt, in *out (may be NULL); DC_NOT_FOUND (a party shared with does not exist;
 * nothing written), DC_STORE, DC_NOMEM. */
dc_status dc_service_record_shared(dc_service *svc, const char *actor, const char *action,
                                   const char *object, const char *const *share, size_t share_count,
                                   json_t *detail, dc_audit_record *out);

/* The archive's figures and the store's growth, as storage.c's measurement shows them. */
typedef struct dc_service_archive_figures {
    int64_t segments, bytes, rows[DC_RETAIN_COUNT]; /* the archive's segments, summed */
    double live_growth, total_growth; /* bytes a second: the live store, and it with the archive */
} dc_service_archive_figures;

/* Sum the archive's segments, note the store's size at `now` (`live_bytes`) beside the archive's,
 * and read the growth over `over` back: one write transaction. DC_OK, DC_STORE (*out zeroed). */
dc_status dc_service_archive_figures_note(dc_service *svc, dc_time_us now, int64_t live_bytes,
                                          dc_time_us over, dc_service_archive_figures *out);
/* ---- grants and a party's own settings (grants.c) ---- */

/* `grantor` lets `grantee` read its objects of `kind` (dc_service_grant) or no longer
 * (dc_service_revoke): changed with its signed audit record (*receipt), naming the grantee as
 * told. Statuses, err->field the JSON pointer at fault: DC_OK; DC_INVALID ("/grantee": not a
 * party name, or the grantor itself; "/kind"); DC_NOT_FOUND ("/grantee": no such party, or to
 * revoke, no such grant); DC_CONFLICT (the grant exists already); DC_STORE. Nothing changes on
 * failure. */
dc_status dc_service_grant(dc_service *svc, const char *grantor, const char *grantee,
                           dc_object_kind kind, dc_audit_record *receipt, dc_error *err);
dc_status dc_service_revoke(dc_service *svc, const char *grantor, const char *grantee,
                            dc_object_kind kind, dc_audit_record *receipt, dc_error *err);

/* The notation `party` reads coordinates in ("dd", "dm", "dms", "mgrs", "utm"). DC_OK, DC_INVALID
 * ("/notation"), DC_STORE. */
dc_status dc_service_set_notation(dc_service *svc, const char *party, const char *notation,
                                  dc_error *err);

/* The party `name` as stored (*out). DC_OK, DC_NOT_FOUND, DC_STORE. */
dc_status dc_service_party_get(dc_service *svc, const char *name, dc_party *out, dc_error *err);

/* Every party by name to `each`, until it returns non-zero. DC_OK (also when `each` stopped it),
 * DC_STORE. */
dc_status dc_service_parties(dc_service *svc, int (*each)(void *ctx, const dc_party *p), void *ctx,
                             dc_error *err);

/* ---- the direct line (messages.c) ---- */

/* The notation named `name` (*out): 0, or -1 for none of dd, dm, dms, mgrs, utm. */
int dc_service_notation_of(const char *name, dc_notation *out);

/* Message `m` as `notation` reads it: each coordinate read back in that notation beside the
 * sender's text, and in *digest (hex) the BLAKE2b-256 of those read-backs, one a line, joined by
 * "\n": what its recipient confirms with. NULL when out of memory. */
json_t *dc_service_message_view(const dc_message *m, const char *notation, char digest[65]);

typedef struct dc_message_sent {
    int64_t id;
    json_t *readbacks;       /* [{input, readback, dd, mgrs}] as the sender is shown (owned) */
    dc_audit_record receipt; /* the write's signed audit record */
} dc_message_sent;

/* Send `text` with `n` coordinates (`coords[i]` in any notation; NULL: not text) from `sender` to
 * `recipient`: stored with the coordinates as sent and where they lie, audited. Statuses,
 * err->field the pointer at fault: DC_OK (*out filled; json_decref its readbacks); DC_INVALID
 * ("/to": not a party name or the sender; "/text": NULL or over 4,000 bytes; "/coordinates": 0 or
 * over 100; "/coordinates/i": not text) or what dc_coord_readback says of coordinate i (its
 * pointer); DC_NOT_FOUND ("/to": no such party); DC_STORE; DC_NOMEM. Nothing changes on failure
 * and *out is zeroed. */
dc_status dc_service_message_send(dc_service *svc, const char *sender, const char *recipient,
                                  const char *text, const char *const *coords, size_t n,
                                  dc_message_sent *out, dc_error *err);

typedef struct dc_message_page {
    json_t *items; /* each message as the viewer reads it (dc_service_message_view; owned) */
    int more;      /* more remain after the page */
    int64_t last;  /* the id of the page's last message */
} dc_message_page;

/* One page of `viewer`'s messages, sent or received, with id > after, at most `limit`, each read
 * back in `notation`; the read of those it received audited in one record with the digest of
 * what it was shown. DC_OK (json_decref out->items), DC_STORE. */
dc_status dc_service_messages(dc_service *svc, const char *viewer, const char *notation,
                              int64_t after, size_t limit, dc_message_page *out, dc_error *err);

/* `party` confirms the read-back of message `id` it received with the digest of what it was
 * shown in `notation`: the message marked acknowledged, its sender told (a notice), audited
 * (*receipt). DC_OK; DC_INVALID ("/digest": not 64 hex digits); DC_NOT_FOUND (no such message
 * for this party); DC_CONFLICT ("/digest": not what it was shown; the refusal is audited);
 * DC_STORE. */
dc_status dc_service_message_acknowledge(dc_service *svc, const char *party, const char *notation,
                                         int64_t id, const char *digest, dc_audit_record *receipt,
                                         dc_error *err);

/* ---- what a party was told and may look up (inbox.c) ---- */

/* `party`'s notices or alerts (`box`) with id > after, oldest first, at most `limit`, each to
 * `each` (non-zero stops). DC_OK, DC_STORE. */
dc_status dc_service_inbox(dc_service *svc, dc_inbox box, const char *party, int64_t after,
                           size_t limit, int (*each)(void *, int64_t, const char *, dc_time_us),
                           void *ctx, dc_error *err);
/* The id of `party`'s last notice or alert (0: none) in *id. DC_OK, DC_STORE. */
dc_status dc_service_inbox_last(dc_service *svc, dc_inbox box, const char *party, int64_t *id,
                                dc_error *err);

typedef struct dc_audit_page {
    json_t *items; /* [{seq, time, actor, action, object, recipients, detail, hash}] (owned) */
    int more;      /* more remain after the page */
    int64_t last;  /* the seq of the page's last record */
} dc_audit_page;

/* The audit records about `object` ("kind/owner/id", as records name it) with seq > after, at
 * most `limit`, as `viewer` may see them: all of them for the operator (`is_operator`) and the
 * object's owner; otherwise only what the viewer did or was told, and nothing of another's site
 * without a grant of its sites. A record naming it among others (a list read) is shown as the
 * read of this object, the others counted, not named. DC_OK (json_decref out->items), DC_STORE. */
dc_status dc_service_audit_of(dc_service *svc, const char *viewer, int is_operator,
                              const char *object, int64_t after, size_t limit, dc_audit_page *out,
                              dc_error *err);

/* ---- position reports and the alerts they raise (alerts.c, alert_view.c) ---- */

/* Alert `a` as `recipient` may read it (the disclosure policy: another party's aircraft on the
 * disclosure grid, a sensor's picture as docs/SENSORS.md says each party learns it); NULL when
 * its time cannot be written or memory runs out. */
json_t *dc_service_alert_json(const dc_alert *a, const char *recipient);

/* Store `alerts` (their recipients' copies, one unsigned audit record each; a conformance alert
 * first records its intent nonconforming, and is dropped when the intent is no longer under way)
 * in one transaction with what `extra` writes (may be NULL), signed by a checkpoint, then wake
 * the alert streams. *delivered counts the alerts told to somebody. DC_OK, or DC_STORE / DC_NOMEM
 * / what `extra` returned, nothing stored. */
dc_status dc_service_publish_alerts(dc_service *svc, const dc_alert_list *alerts,
                                    dc_status (*extra)(dc_service *svc, void *ctx), void *ctx,
                                    size_t *delivered);

/* Record a conformance change, in the transaction open on svc->store: `owner`'s intent `id`, if
 * still under way as stored (accepted or activated), becomes nonconforming at its next version, a
 * typed change of its state written with its signed audit record; *changed says whether it was.
 * DC_OK (also when there is no such intent), DC_STORE, DC_NOMEM. */
dc_status dc_service_record_nonconforming(dc_service *svc, const char *owner, const char *id,
                                          int *changed);

typedef struct dc_positions_outcome {
    size_t ingested; /* reports the monitor took (verdicts[0..ingested) are set) */
    size_t accepted; /* of those, trusted: they moved their tracks */
    size_t alerts;   /* alerts stored and told to somebody */
} dc_positions_outcome;

/* A batch of `count` position reports (decoded, each of its sender; their `received` stamped
 * here) through the live monitor under its lock: `verdicts[i]` says whether report i was trusted;
 * the separation between tracks checked at the latest accepted time; every alert raised
 * published (dc_service_publish_alerts). DC_OK; DC_STORE (the alerts could not be stored: the
 * tracks moved nonetheless), DC_NOMEM, with err set. */
dc_status dc_service_report_positions(dc_service *svc, dc_report *reports, size_t count,
                                      dc_report_verdict *verdicts, dc_positions_outcome *out,
                                      dc_error *err);

/* ---- more than one instance over a shared store (cluster.c; docs/ARCHITECTURE.md) ---- */

typedef struct dc_cluster dc_cluster;

/* Feed the live monitor (svc->monitor, set) from the shared store's report log and stand for the
 * monitor's lease, as `instance` (a name unique among the instances, e.g. host:port:pid): from
 * now on dc_service_report_positions appends to the log and answers once this picture holds the
 * batch. DC_OK, DC_UNSUPPORTED (the store is not shared: nothing changes), DC_NOMEM,
 * DC_INTERNAL. */
dc_status dc_service_cluster_start(dc_service *svc, const char *instance);
/* Stop feeding and give the lease up; nothing when not started. */
void dc_service_cluster_stop(dc_service *svc);
/* What the store's watch told (dc_store_watch): new reports, objects changed elsewhere. */
void dc_service_cluster_event(dc_service *svc, const char *what);
/* Whether the store answers now (a read transaction begins): DC_OK or DC_STORE. */
dc_status dc_service_store_reachable(dc_service *svc);
/* Whether this instance publishes the monitor's alerts (1 when the store is not shared). */
int dc_service_cluster_leader(const dc_service *svc);
/* Whether this instance's picture holds the shared log's recent past yet (its replay at start is
 * done): DC_OK (also when the store is not shared), or DC_BUSY while it is still replaying. */
dc_status dc_service_cluster_ready(const dc_service *svc);

/* ---- emergencies (emergencies.c, emergency_end.c; docs/EMERGENCIES.md) ---- */

/* How far around an emergency parties are told when the declarer does not say, and at most. */
#define DC_EMERGENCY_ALERT_DISTANCE_DEFAULT_M 10000.0
#define DC_EMERGENCY_ALERT_DISTANCE_MAX_M 100000.0
/* A downed crew's position: a disc no hazard may cover, of a radius within these. */
#define DC_EMERGENCY_CREW_RADIUS_MIN_M 10.0
#define DC_EMERGENCY_CREW_RADIUS_MAX_M 5000.0
#define DC_EMERGENCY_CREW_RADIUS_DEFAULT_M 500.0

/* A declaration as its party made it: the area as an intent's submission (the front end decoded
 * it: kind, owner and id set) and the emergency's own terms. */
typedef struct dc_emergency_declaration {
    dc_submission *submission;
    json_t *declared; /* the object as readers get it without "version" (not taken) */
    dc_emergency_kind kind;
    int64_t validity_s;      /* DC_EMERGENCY_VALIDITY_S_MIN..MAX, and within the grant */
    double alert_distance_m; /* 0..DC_EMERGENCY_ALERT_DISTANCE_MAX_M */
    int has_crew;            /* a downed crew's last known position */
    dc_point crew;
    double crew_radius_m;
} dc_emergency_declaration;

typedef struct dc_emergency_outcome {
    int replaced;            /* it replaced an earlier declaration under this id */
    dc_emergency emergency;  /* the declaration as stored */
    json_t *body;            /* the area as stored (owned) */
    json_t *notices;         /* what the declarer is told of each conflict (owned) */
    dc_audit_record receipt; /* the declaration's signed audit record */
} dc_emergency_outcome;

void dc_emergency_outcome_clear(dc_emergency_outcome *out);

/* What an emergency's object is, set on the submission's object before the front end encodes
 * `declared`: the emergency's kind, the highest priority, activated. Can't fail. */
void dc_service_emergency_object(const dc_emergency_declaration *d);

/* Declare (or declare again, replacing the area): the declarer's key and grant as they stand,
 * the engine's decision against what is in force (an emergency goes whatever it overlaps; the
 * hazards it must hold are suspended, their owners told), the parties near it alerted (the crew's
 * position only to those near the crew), the write with its audit records, the monitor told.
 * Statuses, err->field the pointer at fault: DC_OK; DC_RANGE ("/volumes": all ended;
 * "/last_known_position"); DC_FORBIDDEN ("authorization": the key was revoked; "" no grant,
 * "/validity_s" or "/volumes/i" ("/route") past it: the refusal is counted); DC_CONFLICT (an
 * ordinary intent has this id); DC_INVALID (what the engine refused); DC_STORE; DC_NOMEM. */
dc_status dc_service_emergency_declare(dc_service *svc, dc_geom *geom,
                                       const dc_emergency_declaration *d, dc_emergency_outcome *out,
                                       dc_error *err);

/* `party` ends its emergency `id`: its objects ended (typed), the hazards it held given back with
 * a notice to each owner, audited (*receipt), the monitor told; *out the declaration as ended.
 * DC_OK, DC_NOT_FOUND (none of the party's in force by this id), DC_STORE. */
dc_status dc_service_emergency_end(dc_service *svc, const char *party, const char *id,
                                   dc_emergency *out, dc_audit_record *receipt, dc_error *err);

/* `party` renews its emergency `id` for `validity_s` from now (0: as long as before), audited.
 * DC_OK (*out as renewed); DC_RANGE ("/validity_s"); DC_NOT_FOUND (none in force: an expired
 * one is declared again); DC_FORBIDDEN ("/validity_s", or "" when not named: past the grant;
 * counted); DC_STORE. */
dc_status dc_service_emergency_renew(dc_service *svc, const char *party, const char *id,
                                     int64_t validity_s, dc_emergency *out,
                                     dc_audit_record *receipt, dc_error *err);

/* Every declaration of `owner` (NULL: every party's) to `each`. DC_OK, DC_STORE. */
dc_status dc_service_emergencies(dc_service *svc, const char *owner,
                                 int (*each)(void *ctx, const dc_emergency *e), void *ctx,
                                 dc_error *err);

/* What `party` (NULL: every party) did with emergencies, each count to `each`, and when a party
 * is named its grant (*grant, the party as stored). DC_OK, DC_NOT_FOUND (no such party),
 * DC_STORE. */
dc_status dc_service_emergency_counts(dc_service *svc, const char *party, dc_party *grant,
                                      int (*each)(void *ctx, const char *party, const char *what,
                                                  int64_t n),
                                      void *ctx, dc_error *err);

/* An intent's or hazard's `body` as a reader sees it: its typed state (a hazard suspended or
 * released, an emergency ended are not written into the body) and, suspended, which emergencies
 * hold it. Not in a transaction. Can't fail (what cannot be read is left out). */
void dc_service_object_overlay(dc_service *svc, const dc_record *r, json_t *body);

/* One pass of expiry: every declaration past its validity ends as "expired", every suspension
 * whose emergency is no longer in force is released; *ended counts the declarations ended.
 * DC_OK, DC_STORE (nothing changed; the next pass tries again). */
dc_status dc_service_emergency_expire(dc_service *svc, size_t *ended);

/* The monitor watches every emergency in force (at start). DC_OK, DC_STORE. */
dc_status dc_service_emergency_watch_all(dc_service *svc);

#endif
