/* store.h - where parties, objects, grants, notices and the audit log live; one interface, any
 * backend */
#ifndef DECONFLICT_STORE_H
#define DECONFLICT_STORE_H

#include "deconflict/archive.h"
#include "deconflict/audit.h"
#include "deconflict/engine.h"
#include "deconflict/index.h"

/* An opened store. Every call between dc_store_begin and dc_store_commit/
 * dc_store_rollback runs in one serializable transaction. Write transactions
 * run one at a time (callers on other threads wait in begin); read
 * transactions (write = 0) run beside them and each other, each on a snapshot
 * of the last commit before it, and must not write. A thread has at most one
 * transaction open, and ends it on the thread that began it.
 * A store a round trip away may send a write whose result nobody reads with the
 * transaction's next statement: its failure is then reported by the next call,
 * or by the commit at the latest (DC_STORE), and nothing of the transaction is
 * committed. */
typedef struct dc_store dc_store;

/* Open (creating and migrating as needed) the store at `location`. The location chooses the
 * backend: a file path (or ":memory:") is an SQLite store; a "postgresql://" or "postgres://"
 * URI (any libpq connection URI: several hosts, target_session_attrs=read-write) a PostgreSQL
 * store, shared by every instance given it (docs/ARCHITECTURE.md). DC_STORE with the reason in
 * err (never the URI: it may hold a password), DC_NOMEM. */
dc_status dc_store_open(const char *location, dc_store **out, dc_error *err);
/* The same with the file of the server's signing key named: instead of <file>.key for an SQLite
 * store; for a PostgreSQL store it is required by dc_store_server_key (DC_NOT_FOUND without), and
 * every instance of a deployment must be given the same file (the first creates it). */
dc_status dc_store_open_keyed(const char *location, const char *key_path, dc_store **out,
                              dc_error *err);
/* The backend's name: "sqlite" or "postgresql". */
const char *dc_store_backend(const dc_store *store);
/* Call `on_event(ctx, what)` from a thread of the store's own whenever a commit (of any process,
 * this one's included) stored what streams wait for ("dc_alerts", "dc_notices", "dc_messages",
 * "dc_reports") or changed an object ("dc_objects:zone/owner/id"; "dc_objects:" for more than
 * could be named: read them all), and with "" after the store lost and regained its database
 * (something may have been missed).
 * Outside any transaction; at most one callback (DC_INVALID for a second); `on_event` NULL stops
 * the calls (none is made after it returns). DC_OK, DC_UNSUPPORTED (a backend one process owns:
 * nothing else commits), DC_STORE. */
dc_status dc_store_watch(dc_store *store, void (*on_event)(void *ctx, const char *what), void *ctx);
void dc_store_close(dc_store *store); /* NULL is a no-op */

dc_status dc_store_begin(dc_store *store, int write);
/* A write transaction whose commit is not synced to disk: a power cut may undo it whole (never
 * tear it), until the next synced commit carries it to disk. Only for work that is safe to lose
 * and redo: the archiver's removal of rows it has archived, which commits the segment's length
 * with them (retention.c). DC_STORE. */
dc_status dc_store_begin_unsynced(dc_store *store);
dc_status dc_store_commit(dc_store *store);
void dc_store_rollback(dc_store *store);

/* The server's signing key pair, created on first use. The public key is in the store; the
 * secret key in a file beside it, <location>.key (mode 0600), never in the database (a store
 * that still held it has it moved out when opened: docs/SECURITY.md). DC_NOT_FOUND when the
 * store names a key and the key file is missing, DC_FORBIDDEN when the key file holds another
 * key than the store names (or is readable by others and cannot be made private), DC_STORE when
 * it is damaged or cannot be written, DC_INTERNAL. */
dc_status dc_store_server_key(dc_store *store, uint8_t public_key[DC_PUBLIC_KEY_BYTES],
                              uint8_t secret_key[DC_SECRET_KEY_BYTES]);
/* The server's public key alone (what verifying needs). DC_NOT_FOUND before the first key,
 * DC_STORE. */
dc_status dc_store_public_key(dc_store *store, uint8_t public_key[DC_PUBLIC_KEY_BYTES]);

/* ---- parties ---- */
/* What a party may do at a sustained rate, each class a token bucket (api/fair.c): writes
 * (object PUT and DELETE, grants), messages sent, position reports (counted one by one). */
typedef enum dc_rate_class {
    DC_RATE_WRITES,
    DC_RATE_MESSAGES,
    DC_RATE_REPORTS,
    DC_RATE_CLASSES
} dc_rate_class;

/* A bucket's refill rate (per second) and size; 0 in either: the server's default. */
typedef struct dc_rate {
    double per_s, burst;
} dc_rate;
#define DC_RATE_MIN_PER_S 0.001 /* a rate's range; a burst's is 1..DC_RATE_MAX */
#define DC_RATE_MAX 1e9

typedef struct dc_party {
    char name[DC_ID_MAX];
    char notation[8];     /* preferred read-back: dd, dms, mgrs, utm */
    int priority_ceiling; /* the highest priority its submissions may claim (operator's grant) */
    int key_active;       /* 0 once the operator revoked its key (until a new one is issued) */
    dc_time_us created;
    dc_rate limits[DC_RATE_CLASSES]; /* the operator's overrides; 0: the server's defaults */
    /* the operator's emergency grant: the largest outline (km^2, each volume) and the longest
     * validity (s) of one declaration or renewal; 0 when it may declare none */
    double emergency_area_km2;
    int64_t emergency_validity_s;
} dc_party;

/* A new party with its key's hash and the default priority ceiling
 * (DC_PRIORITY_CEILING_DEFAULT). DC_CONFLICT if the name is taken, DC_STORE. */
dc_status dc_store_party_add(dc_store *store, const char *name,
                             const uint8_t key_hash[DC_HASH_BYTES], dc_time_us now);
/* The party whose key (not revoked) has this hash. DC_NOT_FOUND, DC_STORE. */
dc_status dc_store_party_by_key(dc_store *store, const uint8_t key_hash[DC_HASH_BYTES],
                                dc_party *out);
/* Calls `each` for every party by name; a non-zero return stops the walk with DC_CONFLICT.
 * DC_OK, DC_STORE. */
dc_status dc_store_parties(dc_store *store, int (*each)(void *ctx, const dc_party *party),
                           void *ctx);
/* The party of that name, whatever the state of its key. DC_NOT_FOUND, DC_STORE. */
dc_status dc_store_party_get(dc_store *store, const char *name, dc_party *out);
/* Set the party's rate overrides (0 clears one: the server's default). DC_NOT_FOUND, DC_STORE. */
dc_status dc_store_party_set_limits(dc_store *store, const char *name,
                                    const dc_rate limits[DC_RATE_CLASSES]);
dc_status dc_store_party_exists(dc_store *store, const char *name); /* DC_OK or DC_NOT_FOUND */
dc_status dc_store_party_set_notation(dc_store *store, const char *name, const char *notation);
/* Replace the party's key by the one of `key_hash` (the old one stops working at once; a revoked
 * key is replaced too). DC_NOT_FOUND, DC_STORE. */
dc_status dc_store_party_set_key(dc_store *store, const char *name,
                                 const uint8_t key_hash[DC_HASH_BYTES]);
/* Revoke the party's key: no key of it authenticates until dc_store_party_set_key. DC_NOT_FOUND,
 * DC_STORE. */
dc_status dc_store_party_revoke_key(dc_store *store, const char *name);
/* The highest priority the party may submit (the caller checks the range). DC_NOT_FOUND,
 * DC_STORE. */
dc_status dc_store_party_set_ceiling(dc_store *store, const char *name, int priority_ceiling);

/* ---- objects ---- */
/* An object as stored. The record owns everything it points to. */
typedef struct dc_record {
    int64_t row; /* store's own number, stable while the object exists */
    dc_object object;
    int is_public; /* zones: visible to every party */
    char *body;    /* the object as JSON, as readers get it */
    dc_time_us created, updated;
} dc_record;

typedef struct dc_record_list {
    size_t count, capacity;
    dc_record *items;
} dc_record_list;

void dc_record_clear(dc_record *record);
void dc_record_list_clear(dc_record_list *list);

/* The owner's object of that kind and id. DC_NOT_FOUND. */
dc_status dc_store_object_get(dc_store *store, dc_object_kind kind, const char *owner,
                              const char *id, dc_record *out);

/* Another party's object of that kind and id that `viewer` may read
 * (granted, or a public zone); DC_NOT_FOUND otherwise, whether or not one
 * exists. */
dc_status dc_store_object_visible(dc_store *store, dc_object_kind kind, const char *id,
                                  const char *viewer, dc_record *out);

/* Insert or replace (same kind, owner, id) the object with its volumes and
 * body; sets record->row. */
dc_status dc_store_object_put(dc_store *store, dc_record *record);
dc_status dc_store_object_delete(dc_store *store, dc_object_kind kind, const char *owner,
                                 const char *id); /* DC_NOT_FOUND */

/* Objects in force (accepted, activated, nonconforming; every zone) with a
 * volume whose box overlaps a volume box of `proposed`, excluding the
 * proposed object itself. Appends to *out. */
dc_status dc_store_candidates(dc_store *store, const dc_object *proposed, dc_record_list *out);

/* A hint, first thing in a transaction: the reads of admitting `proposed` follow (its current
 * version, dc_store_object_get; its owner, dc_store_party_get; and its candidates,
 * dc_store_candidates in a read transaction, dc_store_candidate_stamps in a write one). A store a
 * round trip away sends them with the transaction's first one and answers them as they come; one
 * in the process does nothing. Nothing is read until they are asked for. DC_OK. */
dc_status dc_store_prefetch(dc_store *store, const dc_object *proposed);

/* What a candidate set looked like: each object's row and version and when it was last written.
 * A write re-reads these under the write lock to learn, without loading any geometry, whether
 * the candidates it decided against outside the lock are still those in force (same rows, same
 * versions, none added). `updated` and `created` tell apart an object deleted and made anew in
 * the same row at the same version. */
typedef struct dc_candidate_stamp {
    int64_t row, version;
    dc_time_us created, updated;
} dc_candidate_stamp;

typedef struct dc_candidate_stamps {
    size_t count, capacity;
    dc_candidate_stamp *items; /* by row */
} dc_candidate_stamps;

void dc_candidate_stamps_clear(dc_candidate_stamps *stamps); /* frees; NULL is a no-op */

/* The stamps of what dc_store_candidates would return for `proposed` now, by row. Replaces
 * *out's contents. DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc_store_candidate_stamps(dc_store *store, const dc_object *proposed,
                                    dc_candidate_stamps *out);

/* Whether two stamp lists name the same objects at the same versions. */
int dc_candidate_stamps_equal(const dc_candidate_stamps *a, const dc_candidate_stamps *b);

/* The stamps of a candidate list as dc_store_candidates returned it. DC_OK, DC_NOMEM. */
dc_status dc_candidate_stamps_of(const dc_record_list *candidates, dc_candidate_stamps *out);

/* The objects of `kind` that `viewer` may read (own, granted, public
 * zones), optionally only those overlapping `box` (NULL for all). */
dc_status dc_store_object_list(dc_store *store, dc_object_kind kind, const char *viewer,
                               const dc_box4 *box, dc_record_list *out);

/* One page of dc_store_object_list, in the store's row order (stable while an object exists;
 * new objects come after): at most `limit` records with row > after_row, appended to *out.
 * DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc_store_object_page(dc_store *store, dc_object_kind kind, const char *viewer,
                               const dc_box4 *box, int64_t after_row, size_t limit,
                               dc_record_list *out);

/* Number of objects of each kind. */
dc_status dc_store_object_counts(dc_store *store, int64_t counts[DC_KIND_COUNT]);

/* ---- grants ---- */
dc_status dc_store_grant_add(dc_store *store, const char *grantor, const char *grantee,
                             dc_object_kind kind, dc_time_us now); /* DC_CONFLICT if present */
dc_status dc_store_grant_remove(dc_store *store, const char *grantor, const char *grantee,
                                dc_object_kind kind); /* DC_NOT_FOUND */
dc_status dc_store_grant_exists(dc_store *store, const char *grantor, const char *grantee,
                                dc_object_kind kind); /* DC_OK or DC_NOT_FOUND */

/* ---- notices and alerts: what each party was told ---- */
typedef enum dc_inbox { DC_INBOX_NOTICES, DC_INBOX_ALERTS } dc_inbox;

/* One notice, or one alert for one recipient (as dc_store_alert_add with no episode). */
dc_status dc_store_inbox_add(dc_store *store, dc_inbox box, const char *recipient, const char *body,
                             dc_time_us now, int64_t *id);
/* One alert told to `n` (1..8) distinct recipients, `texts[k]` being what recipients[k] reads (a
 * JSON object; numbers with at most 12 significant digits, as the store may re-encode them).
 * Stored once: what the copies share, and for each recipient only what it alone reads. When
 * `episode_key` is not NULL (it names the aircraft, the zone or pair, and the level), an alert
 * of an episode begun at most `episode_us` ago is stored as the change from the episode's first
 * alert; otherwise it begins an episode. Sets *id, the alert's id for every recipient (ids only
 * grow, archived or not). DC_OK, DC_INVALID (n, or a text not a JSON object), DC_STORE,
 * DC_NOMEM. */
dc_status dc_store_alert_add(dc_store *store, const char *episode_key, dc_time_us episode_us,
                             const char *const *recipients, const char *const *texts, size_t n,
                             dc_time_us now, int64_t *id);
/* Calls `each` for the recipient's entries with id > after, oldest first
 * (at most `limit`), each alert as that recipient reads it; `each` returns non-zero to stop. */
dc_status dc_store_inbox(dc_store *store, dc_inbox box, const char *recipient, int64_t after,
                         size_t limit,
                         int (*each)(void *ctx, int64_t id, const char *body, dc_time_us created),
                         void *ctx);
/* The recipient's newest id (0 when none). */
dc_status dc_store_inbox_last(dc_store *store, dc_inbox box, const char *recipient, int64_t *id);

/* ---- the disclosure ledger (disclosure.h) and probing ---- */

/* The area `viewer` has been shown of `object` ("intent/a/x") on UTC `day`, and whether it has
 * been reported as mapping it. Zeroes when nothing was. DC_OK or DC_STORE. */
dc_status dc_store_disclosure_spent(dc_store *store, const char *viewer, const char *object,
                                    int64_t day, double *area_m2, int *mapped);
/* Add a disclosure of `area_m2` (0 for a time window only) to the ledger, marking it mapped when
 * `mapped`; days before yesterday are pruned. DC_OK or DC_STORE. */
dc_status dc_store_disclosure_charge(dc_store *store, const char *viewer, const char *object,
                                     int64_t day, double area_m2, int mapped);

/* Record a hazard of `party` refused over `site` ("site/o/x") at `now`; prunes every record
 * older than `since` and returns how many of this party's refusals over this site remain.
 * DC_OK or DC_STORE. */
dc_status dc_store_site_refusal_add(dc_store *store, const char *party, const char *site,
                                    dc_time_us now, dc_time_us since, int64_t *in_window);
/* Calls `each` for every site over which `party` had more than `limit` hazards refused since
 * `since`; `each` returns non-zero to stop. DC_OK or DC_STORE. */
dc_status dc_store_probed_sites(dc_store *store, const char *party, dc_time_us since, int64_t limit,
                                int (*each)(void *ctx, const char *site), void *ctx);

/* Every zone of every party (for the live monitor). */
dc_status dc_store_zones(dc_store *store, dc_record_list *out);

/* Every intent accepted or activated: those whose flights the monitor watches for conformance.
 * DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc_store_flying_intents(dc_store *store, dc_record_list *out);

/* ---- direct-line messages ---- */
typedef struct dc_message {
    int64_t id;
    char sender[DC_ID_MAX], recipient[DC_ID_MAX];
    char *body; /* JSON: text and the coordinates as sent (owned; dc_free) */
    dc_time_us created;
    int acknowledged;
} dc_message;

dc_status dc_store_message_add(dc_store *store, const char *sender, const char *recipient,
                               const char *body, dc_time_us now, int64_t *id);
dc_status dc_store_message_get(dc_store *store, int64_t id, dc_message *out); /* DC_NOT_FOUND */
/* The party's messages, sent or received, oldest first. */
dc_status dc_store_messages(dc_store *store, const char *party,
                            int (*each)(void *ctx, const dc_message *m), void *ctx);
/* One page of them: at most `limit` with id > after, oldest first. DC_OK, DC_STORE. */
dc_status dc_store_messages_page(dc_store *store, const char *party, int64_t after, size_t limit,
                                 int (*each)(void *ctx, const dc_message *m), void *ctx);
dc_status dc_store_message_acknowledge(dc_store *store, int64_t id);

/* Ends the transaction as `rc` says: commits when it is DC_OK (DC_STORE
 * if the commit fails, which rolls back), rolls back otherwise and returns
 * rc. */
dc_status dc_store_finish(dc_store *store, dc_status rc);

/* ---- audit ---- */
/* Append: fills seq, time (if 0) and prev_hash, seals with the key (or
 * leaves it unsigned for a later checkpoint when the key is NULL), stores. */
dc_status dc_store_audit_append(dc_store *store, dc_audit_record *record,
                                const uint8_t secret_key[DC_SECRET_KEY_BYTES]);
/* A checkpoint: signs the chain's last record if it is unsigned, so that it
 * vouches for every record before it. Call before committing records
 * appended unsigned. */
dc_status dc_store_audit_checkpoint(dc_store *store, const uint8_t secret_key[DC_SECRET_KEY_BYTES]);
/* Calls `each` for every record, in order, or those about `object` when not
 * NULL. `each` returns non-zero to stop. */
dc_status dc_store_audit_walk(dc_store *store, const char *object,
                              int (*each)(void *ctx, const dc_audit_record *record), void *ctx);

/* The same from the first record with seq > after. By object, a walk also yields the records
 * that name it among others (dc_store_audit_names). */
dc_status dc_store_audit_walk_after(dc_store *store, const char *object, int64_t after,
                                    int (*each)(void *ctx, const dc_audit_record *record),
                                    void *ctx);
/* Index record `seq` (appended in this transaction, its detail naming them) under each of
 * `objects`, so that a walk by any one of them finds it. DC_OK, DC_STORE. */
dc_status dc_store_audit_names(dc_store *store, int64_t seq, const char *const *objects, size_t n);

/* The row digest of a stored object, as recorded in its audit entries. */
dc_status dc_store_object_digest(dc_store *store, const dc_record *record,
                                 uint8_t out[DC_HASH_BYTES]);

/* Calls `each` for every stored object with its recomputed digest, and
 * reports boxes in the spatial index that do not match the volumes. */
dc_status dc_store_verify_rows(dc_store *store,
                               int (*each)(void *ctx, const char *object_ref,
                                           const uint8_t digest[DC_HASH_BYTES]),
                               void *ctx, dc_error *err);

/* ---- retention: rows past their time leave for the archive (retention.h, archive.h) ----
 * The readers below run on the store's own read connection, outside any transaction and without
 * waiting for one (a snapshot of what is committed); the writers inside a write transaction. */

/* Calls `each` for at most about `limit` rows of `kind` that may leave the live store at `now`
 * with `cutoff` = now - its retention, oldest first:
 *   audit     records written before cutoff, never the newest (the chain's head stays live), a
 *             batch ending on a signed record so that every archived record is under a
 *             signature the archiver checks (it may pass `limit` to reach one);
 *   alerts    written before cutoff; the first alert of an episode only once the episode is
 *             closed (dc_store_alert_add), since its repetitions are stored against it;
 *   notices   written before cutoff, never the newest (ids must never go back);
 *   messages  acknowledged and written before cutoff, or unacknowledged and older than ten times
 *             the retention; never the newest;
 *   objects   ended or withdrawn, last changed before cutoff, with the digest of the row.
 * `each` returns non-zero to stop. DC_OK, DC_STORE, DC_NOMEM. */
dc_status dc_store_expired(dc_store *store, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                           size_t limit, int (*each)(void *ctx, const dc_expired *row), void *ctx);
/* Delete those rows (keys and checks as dc_store_expired gave them), in a write transaction.
 * DC_STALE when any is gone or changed since (the caller rolls back and tries again later),
 * DC_STORE. */
dc_status dc_store_expired_remove(dc_store *store, dc_retained kind, const int64_t *keys,
                                  const int64_t *checks, size_t count);
/* Forget alert episodes closed before `now`: none can have a repetition stored against it any
 * more. DC_OK or DC_STORE. */
dc_status dc_store_alert_episodes_prune(dc_store *store, dc_time_us now);

/* The newest archive segment. DC_NOT_FOUND when none, DC_STORE. */
dc_status dc_store_segment_last(dc_store *store, dc_segment *out);
/* Every segment, oldest first; `each` returns non-zero to stop. DC_OK or DC_STORE. */
dc_status dc_store_segments(dc_store *store, int (*each)(void *ctx, const dc_segment *segment),
                            void *ctx);
/* Record a segment as it now stands (commit it with the removal of its rows). DC_OK, DC_STORE. */
dc_status dc_store_segment_save(dc_store *store, const dc_segment *segment);

/* The live store's size and age, by kind. */
typedef struct dc_store_stats {
    int64_t file_bytes, free_bytes, wal_bytes;
    int64_t bytes[DC_RETAIN_COUNT + 1]; /* tables and indexes of each kind; the rest last */
    int64_t rows[DC_RETAIN_COUNT];      /* objects: all of them */
    dc_time_us oldest[DC_RETAIN_COUNT]; /* the oldest row kept (objects: the oldest ended or
                                           withdrawn one's last change); 0 when none */
} dc_store_stats;
/* Measure it (every page is read: seconds for gigabytes; on the read connection, so no request
 * waits for it). DC_OK, DC_STORE. */
dc_status dc_store_stats_read(dc_store *store, dc_store_stats *out);

/* Note the sizes at `now` (a write transaction; samples older than a day are dropped), and read
 * the growth from the newest sample at least `over` before the newest one (the oldest, in a
 * younger store) to the newest: bytes a second of the live store, and of the live store and the
 * archive together; 0 with fewer than two samples. DC_OK, DC_STORE. */
dc_status dc_store_size_sample(dc_store *store, dc_time_us now, int64_t live_bytes,
                               int64_t archive_bytes);
dc_status dc_store_size_growth(dc_store *store, dc_time_us now, dc_time_us over,
                               double *live_bytes_per_s, double *total_bytes_per_s);

/* Give free pages back to the file system when they are more than half the file (at most
 * `max_pages` at a time; a file made before auto_vacuum only reuses them). Takes the store's lock
 * itself: call outside a transaction. *freed_pages says how many pages went. DC_OK, DC_STORE. */
dc_status dc_store_reclaim(dc_store *store, int64_t max_pages, int64_t *freed_pages);

/* ---- emergencies (docs/EMERGENCIES.md) ---- */

/* Set a party's emergency grant (0, 0: none). DC_NOT_FOUND, DC_STORE. */
dc_status dc_store_party_set_emergency(dc_store *store, const char *name, double area_km2,
                                       int64_t validity_s);

/* One declaration: the emergency object is the owner's intent of the same id (and its downed
 * crew, when declared, the owner's site of that id). */
typedef struct dc_emergency {
    char owner[DC_ID_MAX], id[DC_ID_MAX];
    dc_emergency_kind kind;
    int active;     /* 0 once ended, withdrawn or expired */
    char state[12]; /* "active", "ended", "expired" */
    dc_time_us declared, expires;
    int64_t validity_s, renewals;
    double alert_distance_m;
    int has_crew;
    dc_point crew;
    double crew_radius_m;
} dc_emergency;

/* Insert or replace the declaration of (owner, id). DC_OK, DC_STORE. */
dc_status dc_store_emergency_put(dc_store *store, const dc_emergency *emergency);
/* DC_OK, DC_NOT_FOUND, DC_STORE. */
dc_status dc_store_emergency_get(dc_store *store, const char *owner, const char *id,
                                 dc_emergency *out);
/* Calls `each` for the declarations of `owner` (NULL: every party), only the active ones when
 * `active_only`, and among those only the ones expired by `expired_at` when it is > 0; `each`
 * returns non-zero to stop. DC_OK, DC_STORE. */
dc_status dc_store_emergencies(dc_store *store, const char *owner, int active_only,
                               dc_time_us expired_at,
                               int (*each)(void *ctx, const dc_emergency *emergency), void *ctx);

/* A typed change of an object's state (a hazard suspended or released, an emergency ended): the
 * stored body is left as it is, the version too (its owner's next write names it); `updated`
 * moves so that a decision taken against the old state is taken again. DC_NOT_FOUND,
 * DC_STORE. */
dc_status dc_store_object_set_state(dc_store *store, dc_object_kind kind, const char *owner,
                                    const char *id, dc_state state, dc_time_us now);

/* The hazard is held by `emergency` ("intent/o/x"); `prior` is the state it goes back to once no
 * emergency holds it (taken from an earlier suspension when it has one). DC_OK, DC_STORE. */
dc_status dc_store_suspension_add(dc_store *store, const char *hazard_owner, const char *hazard_id,
                                  const char *emergency, dc_state prior, dc_time_us now);
/* Drop every suspension by `emergency`; each hazard no other emergency holds gets back its prior
 * state (if it is still suspended) and is passed to `each`. DC_OK, DC_STORE. */
dc_status dc_store_suspensions_release(dc_store *store, const char *emergency, dc_time_us now,
                                       int (*each)(void *ctx, const char *owner, const char *id),
                                       void *ctx);
/* Calls `each` once for every emergency that holds a hazard. DC_OK, DC_STORE. */
dc_status dc_store_suspending(dc_store *store, int (*each)(void *ctx, const char *emergency),
                              void *ctx);
/* Which emergencies hold this hazard, as "intent/o/x,...", into out (empty when none).
 * DC_OK, DC_STORE. */
dc_status dc_store_suspended_by(dc_store *store, const char *hazard_owner, const char *hazard_id,
                                char *out, size_t size);

/* Add n to the party's count of `what` ("declared", "renewed", "suspended", "ended",
 * "expired", "refused"). DC_OK, DC_STORE. */
dc_status dc_store_emergency_count(dc_store *store, const char *party, const char *what, int64_t n);
/* Calls `each` for every count, by party then what (`party` NULL: every party). DC_OK,
 * DC_STORE. */
dc_status dc_store_emergency_counts(dc_store *store, const char *party,
                                    int (*each)(void *ctx, const char *party, const char *what,
                                                int64_t n),
                                    void *ctx);

/* ---- more than one instance over one store (PostgreSQL; docs/ARCHITECTURE.md) ----
 * An SQLite store belongs to one process: each of these answers DC_UNSUPPORTED there. */

/* Whether `location` names a store on a database server that several instances share (a
 * PostgreSQL URI) rather than a file. */
int dc_store_location_shared(const char *location);
/* Whether the store is shared by several instances (it has a report log and a monitor lease). */
int dc_store_shared(const dc_store *store);
/* `location` as it may be shown: a PostgreSQL URI without its password (user info, and any query
 * parameters, which may hold one), a file path as it is. */
void dc_store_location_text(const char *location, char *out, size_t size);

/* Append a batch of position reports (opaque bytes, what service/cluster.c encodes) received by
 * `origin` at `received` to the one ordered log, in a write transaction: *seq is its place.
 * DC_OK, DC_STORE, DC_UNSUPPORTED. */
dc_status dc_store_report_append(dc_store *store, const char *origin, const void *data, size_t size,
                                 dc_time_us received, int64_t *seq);
/* Calls `each` for at most `limit` batches with seq > after, in order, in a read transaction;
 * `each` returns non-zero to stop. DC_OK, DC_STORE, DC_UNSUPPORTED. */
dc_status dc_store_report_read(dc_store *store, int64_t after, size_t limit,
                               int (*each)(void *ctx, int64_t seq, const char *origin,
                                           dc_time_us received, const void *data, size_t size),
                               void *ctx);
/* The seq before the first batch received at or after `since` (where a replay begins), and the
 * newest seq; in a read transaction. DC_OK, DC_STORE, DC_UNSUPPORTED. */
dc_status dc_store_report_bounds(dc_store *store, dc_time_us since, int64_t *before,
                                 int64_t *newest);
/* Forget batches received before `before` (write transaction). DC_OK, DC_STORE. */
dc_status dc_store_report_prune(dc_store *store, dc_time_us before);
/* Hold or take the monitor's lease for `instance`, outside any transaction: *leader says whether
 * this store holds it now. The lease is PostgreSQL's (a session advisory lock on a connection of
 * its own), so it passes when the holder's process dies. DC_OK, DC_STORE (the database is
 * unreachable: *leader 0), DC_UNSUPPORTED. */
dc_status dc_store_lease(dc_store *store, const char *instance, int *leader);
/* The last report batch whose alerts the leader published, and its noting (in the transaction
 * that publishes them, with the leader's name). DC_OK, DC_STORE, DC_UNSUPPORTED. */
dc_status dc_store_published_get(dc_store *store, int64_t *seq);
dc_status dc_store_published_set(dc_store *store, const char *instance, int64_t seq,
                                 dc_time_us now);

/* "intent/russia/<id>": how audit records name objects. */
void dc_object_ref(dc_object_kind kind, const char *owner, const char *id, char *out, size_t size);

#endif
