/* store_internal.h - what every store backend shares: the table of operations behind store.h, the
 * transaction each operation requires, how an alert is stored once for all its recipients, and a
 * repetition as the change from its episode's first alert */
#ifndef DECONFLICT_STORE_INTERNAL_H
#define DECONFLICT_STORE_INTERNAL_H

#include "deconflict/audit.h"
#include "deconflict/status.h"
#include "deconflict/store.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the backend table ----
 * store.c defines every dc_store_* of store.h as one indirect call through the opened store's
 * table, after asserting the transaction the operation needs; a backend (sqlite.c) fills the
 * table with its own functions, of the same signatures. A new backend is a new table and a
 * location scheme in dc_store_open: no caller changes. */

/* What an operation needs of the calling thread's transaction on the store:
 *   DC__TX_WRITE  a write transaction (dc_store_begin(s, 1) or dc_store_begin_unsynced);
 *   DC__TX_READ   a transaction of either kind;
 *   DC__TX_NONE   none at all (the operation takes the store's lock or a reader itself);
 *   DC__TX_ANY    either (reads that serve verification tools before any transaction). */
typedef enum dc__tx_need { DC__TX_ANY, DC__TX_NONE, DC__TX_READ, DC__TX_WRITE } dc__tx_need;

/* XX(need, name, parameters, arguments): every operation returning dc_status whose first
 * parameter is the store `s`. */
#define DC_STORE_OPS(XX)                                                                           \
    XX(DC__TX_WRITE, server_key,                                                                   \
       (dc_store * s, uint8_t pk[DC_PUBLIC_KEY_BYTES], uint8_t sk[DC_SECRET_KEY_BYTES]),           \
       (s, pk, sk))                                                                                \
    XX(DC__TX_ANY, public_key, (dc_store * s, uint8_t pk[DC_PUBLIC_KEY_BYTES]), (s, pk))           \
    XX(DC__TX_WRITE, party_add,                                                                    \
       (dc_store * s, const char *name, const uint8_t key_hash[DC_HASH_BYTES], dc_time_us now),    \
       (s, name, key_hash, now))                                                                   \
    XX(DC__TX_READ, party_by_key,                                                                  \
       (dc_store * s, const uint8_t key_hash[DC_HASH_BYTES], dc_party *out), (s, key_hash, out))   \
    XX(DC__TX_READ, parties,                                                                       \
       (dc_store * s, int (*each)(void *ctx, const dc_party *party), void *ctx), (s, each, ctx))   \
    XX(DC__TX_READ, party_get, (dc_store * s, const char *name, dc_party *out), (s, name, out))    \
    XX(DC__TX_WRITE, party_set_limits,                                                             \
       (dc_store * s, const char *name, const dc_rate limits[DC_RATE_CLASSES]), (s, name, limits)) \
    XX(DC__TX_READ, party_exists, (dc_store * s, const char *name), (s, name))                     \
    XX(DC__TX_WRITE, party_set_notation, (dc_store * s, const char *name, const char *notation),   \
       (s, name, notation))                                                                        \
    XX(DC__TX_WRITE, party_set_key,                                                                \
       (dc_store * s, const char *name, const uint8_t key_hash[DC_HASH_BYTES]),                    \
       (s, name, key_hash))                                                                        \
    XX(DC__TX_WRITE, party_revoke_key, (dc_store * s, const char *name), (s, name))                \
    XX(DC__TX_WRITE, party_set_ceiling, (dc_store * s, const char *name, int priority_ceiling),    \
       (s, name, priority_ceiling))                                                                \
    XX(DC__TX_WRITE, party_set_emergency,                                                          \
       (dc_store * s, const char *name, double area_km2, int64_t validity_s),                      \
       (s, name, area_km2, validity_s))                                                            \
    XX(DC__TX_READ, object_get,                                                                    \
       (dc_store * s, dc_object_kind kind, const char *owner, const char *id, dc_record *out),     \
       (s, kind, owner, id, out))                                                                  \
    XX(DC__TX_READ, object_visible,                                                                \
       (dc_store * s, dc_object_kind kind, const char *id, const char *viewer, dc_record *out),    \
       (s, kind, id, viewer, out))                                                                 \
    XX(DC__TX_WRITE, object_put, (dc_store * s, dc_record * record), (s, record))                  \
    XX(DC__TX_WRITE, object_delete,                                                                \
       (dc_store * s, dc_object_kind kind, const char *owner, const char *id),                     \
       (s, kind, owner, id))                                                                       \
    XX(DC__TX_READ, candidates, (dc_store * s, const dc_object *proposed, dc_record_list *out),    \
       (s, proposed, out))                                                                         \
    XX(DC__TX_READ, candidate_stamps,                                                              \
       (dc_store * s, const dc_object *proposed, dc_candidate_stamps *out), (s, proposed, out))    \
    XX(DC__TX_READ, object_list,                                                                   \
       (dc_store * s, dc_object_kind kind, const char *viewer, const dc_box4 *box,                 \
        dc_record_list *out),                                                                      \
       (s, kind, viewer, box, out))                                                                \
    XX(DC__TX_READ, object_page,                                                                   \
       (dc_store * s, dc_object_kind kind, const char *viewer, const dc_box4 *box,                 \
        int64_t after_row, size_t limit, dc_record_list *out),                                     \
       (s, kind, viewer, box, after_row, limit, out))                                              \
    XX(DC__TX_READ, object_counts, (dc_store * s, int64_t counts[DC_KIND_COUNT]), (s, counts))     \
    XX(DC__TX_WRITE, object_set_state,                                                             \
       (dc_store * s, dc_object_kind kind, const char *owner, const char *id, dc_state state,      \
        dc_time_us now),                                                                           \
       (s, kind, owner, id, state, now))                                                           \
    XX(DC__TX_WRITE, grant_add,                                                                    \
       (dc_store * s, const char *grantor, const char *grantee, dc_object_kind kind,               \
        dc_time_us now),                                                                           \
       (s, grantor, grantee, kind, now))                                                           \
    XX(DC__TX_WRITE, grant_remove,                                                                 \
       (dc_store * s, const char *grantor, const char *grantee, dc_object_kind kind),              \
       (s, grantor, grantee, kind))                                                                \
    XX(DC__TX_READ, grant_exists,                                                                  \
       (dc_store * s, const char *grantor, const char *grantee, dc_object_kind kind),              \
       (s, grantor, grantee, kind))                                                                \
    XX(DC__TX_WRITE, inbox_add,                                                                    \
       (dc_store * s, dc_inbox box, const char *recipient, const char *body, dc_time_us now,       \
        int64_t *id),                                                                              \
       (s, box, recipient, body, now, id))                                                         \
    XX(DC__TX_WRITE, alert_add,                                                                    \
       (dc_store * s, const char *episode_key, dc_time_us episode_us,                              \
        const char *const *recipients, const char *const *texts, size_t n, dc_time_us now,         \
        int64_t *id),                                                                              \
       (s, episode_key, episode_us, recipients, texts, n, now, id))                                \
    XX(DC__TX_READ, inbox,                                                                         \
       (dc_store * s, dc_inbox box, const char *recipient, int64_t after, size_t limit,            \
        int (*each)(void *ctx, int64_t id, const char *body, dc_time_us created), void *ctx),      \
       (s, box, recipient, after, limit, each, ctx))                                               \
    XX(DC__TX_READ, inbox_last, (dc_store * s, dc_inbox box, const char *recipient, int64_t *id),  \
       (s, box, recipient, id))                                                                    \
    XX(DC__TX_READ, disclosure_spent,                                                              \
       (dc_store * s, const char *viewer, const char *object, int64_t day, double *area_m2,        \
        int *mapped),                                                                              \
       (s, viewer, object, day, area_m2, mapped))                                                  \
    XX(DC__TX_WRITE, disclosure_charge,                                                            \
       (dc_store * s, const char *viewer, const char *object, int64_t day, double area_m2,         \
        int mapped),                                                                               \
       (s, viewer, object, day, area_m2, mapped))                                                  \
    XX(DC__TX_WRITE, site_refusal_add,                                                             \
       (dc_store * s, const char *party, const char *site, dc_time_us now, dc_time_us since,       \
        int64_t *in_window),                                                                       \
       (s, party, site, now, since, in_window))                                                    \
    XX(DC__TX_READ, probed_sites,                                                                  \
       (dc_store * s, const char *party, dc_time_us since, int64_t limit,                          \
        int (*each)(void *ctx, const char *site), void *ctx),                                      \
       (s, party, since, limit, each, ctx))                                                        \
    XX(DC__TX_READ, zones, (dc_store * s, dc_record_list * out), (s, out))                         \
    XX(DC__TX_READ, flying_intents, (dc_store * s, dc_record_list * out), (s, out))                \
    XX(DC__TX_WRITE, message_add,                                                                  \
       (dc_store * s, const char *sender, const char *recipient, const char *body, dc_time_us now, \
        int64_t *id),                                                                              \
       (s, sender, recipient, body, now, id))                                                      \
    XX(DC__TX_READ, message_get, (dc_store * s, int64_t id, dc_message * out), (s, id, out))       \
    XX(DC__TX_READ, messages,                                                                      \
       (dc_store * s, const char *party, int (*each)(void *ctx, const dc_message *m), void *ctx),  \
       (s, party, each, ctx))                                                                      \
    XX(DC__TX_READ, messages_page,                                                                 \
       (dc_store * s, const char *party, int64_t after, size_t limit,                              \
        int (*each)(void *ctx, const dc_message *m), void *ctx),                                   \
       (s, party, after, limit, each, ctx))                                                        \
    XX(DC__TX_WRITE, message_acknowledge, (dc_store * s, int64_t id), (s, id))                     \
    XX(DC__TX_WRITE, audit_append,                                                                 \
       (dc_store * s, dc_audit_record * record, const uint8_t sk[DC_SECRET_KEY_BYTES]),            \
       (s, record, sk))                                                                            \
    XX(DC__TX_WRITE, audit_checkpoint, (dc_store * s, const uint8_t sk[DC_SECRET_KEY_BYTES]),      \
       (s, sk))                                                                                    \
    XX(DC__TX_READ, audit_walk,                                                                    \
       (dc_store * s, const char *object, int (*each)(void *ctx, const dc_audit_record *record),   \
        void *ctx),                                                                                \
       (s, object, each, ctx))                                                                     \
    XX(DC__TX_READ, audit_walk_after,                                                              \
       (dc_store * s, const char *object, int64_t after,                                           \
        int (*each)(void *ctx, const dc_audit_record *record), void *ctx),                         \
       (s, object, after, each, ctx))                                                              \
    XX(DC__TX_WRITE, audit_names,                                                                  \
       (dc_store * s, int64_t seq, const char *const *objects, size_t n), (s, seq, objects, n))    \
    XX(DC__TX_READ, verify_rows,                                                                   \
       (dc_store * s,                                                                              \
        int (*each)(void *ctx, const char *object_ref, const uint8_t digest[DC_HASH_BYTES]),       \
        void *ctx, dc_error *err),                                                                 \
       (s, each, ctx, err))                                                                        \
    XX(DC__TX_NONE, expired,                                                                       \
       (dc_store * s, dc_retained kind, dc_time_us now, dc_time_us cutoff, size_t limit,           \
        int (*each)(void *ctx, const dc_expired *row), void *ctx),                                 \
       (s, kind, now, cutoff, limit, each, ctx))                                                   \
    XX(DC__TX_WRITE, expired_remove,                                                               \
       (dc_store * s, dc_retained kind, const int64_t *keys, const int64_t *checks, size_t count), \
       (s, kind, keys, checks, count))                                                             \
    XX(DC__TX_WRITE, alert_episodes_prune, (dc_store * s, dc_time_us now), (s, now))               \
    XX(DC__TX_READ, segment_last, (dc_store * s, dc_segment * out), (s, out))                      \
    XX(DC__TX_READ, segments,                                                                      \
       (dc_store * s, int (*each)(void *ctx, const dc_segment *segment), void *ctx),               \
       (s, each, ctx))                                                                             \
    XX(DC__TX_WRITE, segment_save, (dc_store * s, const dc_segment *segment), (s, segment))        \
    XX(DC__TX_NONE, stats_read, (dc_store * s, dc_store_stats * out), (s, out))                    \
    XX(DC__TX_WRITE, size_sample,                                                                  \
       (dc_store * s, dc_time_us now, int64_t live_bytes, int64_t archive_bytes),                  \
       (s, now, live_bytes, archive_bytes))                                                        \
    XX(DC__TX_READ, size_growth,                                                                   \
       (dc_store * s, dc_time_us now, dc_time_us over, double *live_bytes_per_s,                   \
        double *total_bytes_per_s),                                                                \
       (s, now, over, live_bytes_per_s, total_bytes_per_s))                                        \
    XX(DC__TX_NONE, reclaim, (dc_store * s, int64_t max_pages, int64_t * freed_pages),             \
       (s, max_pages, freed_pages))                                                                \
    XX(DC__TX_WRITE, emergency_put, (dc_store * s, const dc_emergency *emergency), (s, emergency)) \
    XX(DC__TX_READ, emergency_get,                                                                 \
       (dc_store * s, const char *owner, const char *id, dc_emergency *out), (s, owner, id, out))  \
    XX(DC__TX_READ, emergencies,                                                                   \
       (dc_store * s, const char *owner, int active_only, dc_time_us expired_at,                   \
        int (*each)(void *ctx, const dc_emergency *emergency), void *ctx),                         \
       (s, owner, active_only, expired_at, each, ctx))                                             \
    XX(DC__TX_WRITE, suspension_add,                                                               \
       (dc_store * s, const char *hazard_owner, const char *hazard_id, const char *emergency,      \
        dc_state prior, dc_time_us now),                                                           \
       (s, hazard_owner, hazard_id, emergency, prior, now))                                        \
    XX(DC__TX_WRITE, suspensions_release,                                                          \
       (dc_store * s, const char *emergency, dc_time_us now,                                       \
        int (*each)(void *ctx, const char *owner, const char *id), void *ctx),                     \
       (s, emergency, now, each, ctx))                                                             \
    XX(DC__TX_READ, suspending,                                                                    \
       (dc_store * s, int (*each)(void *ctx, const char *emergency), void *ctx), (s, each, ctx))   \
    XX(DC__TX_READ, suspended_by,                                                                  \
       (dc_store * s, const char *hazard_owner, const char *hazard_id, char *out, size_t size),    \
       (s, hazard_owner, hazard_id, out, size))                                                    \
    XX(DC__TX_WRITE, emergency_count,                                                              \
       (dc_store * s, const char *party, const char *what, int64_t n), (s, party, what, n))        \
    XX(DC__TX_READ, emergency_counts,                                                              \
       (dc_store * s, const char *party,                                                           \
        int (*each)(void *ctx, const char *party, const char *what, int64_t n), void *ctx),        \
       (s, party, each, ctx))

#define DC__STORE_OP_MEMBER(need, name, params, args) dc_status(*name) params;

/* A backend: its operations, and how a store of it is opened and ended. */
typedef struct dc_store_ops {
    const char *backend; /* "sqlite" */
    dc_status (*open)(const char *location, dc_store **out, dc_error *err);
    /* the same with the signing key's file named (NULL: the backend's default, if it has one) */
    dc_status (*open_keyed)(const char *location, const char *key_path, dc_store **out,
                            dc_error *err);
    void (*close)(dc_store *s);
    dc_status (*begin)(dc_store *s, int write);
    dc_status (*begin_unsynced)(dc_store *s);
    dc_status (*commit)(dc_store *s);
    void (*rollback)(dc_store *s);
    /* Search candidates in an in-memory index (1) or the backend's own (0); NULL when the backend
     * has only one. Outside any transaction. */
    dc_status (*candidate_index)(dc_store *s, int on);
    /* dc_store_prefetch; NULL: nothing to gain (the store is in the process) */
    dc_status (*prefetch)(dc_store *s, const dc_object *proposed);
    /* Other instances' commits as they happen (dc_store_watch), the report log and the
     * monitor's lease (store.h, "more than one instance"); NULL: one process is all. */
    dc_status (*watch)(dc_store *s, void (*on_event)(void *ctx, const char *what), void *ctx);
    dc_status (*report_append)(dc_store *s, const char *origin, const void *data, size_t size,
                               dc_time_us received, int64_t *seq);
    dc_status (*report_read)(dc_store *s, int64_t after, size_t limit,
                             int (*each)(void *ctx, int64_t seq, const char *origin,
                                         dc_time_us received, const void *data, size_t size),
                             void *ctx);
    dc_status (*report_bounds)(dc_store *s, dc_time_us since, int64_t *before, int64_t *newest);
    dc_status (*report_prune)(dc_store *s, dc_time_us before);
    dc_status (*lease)(dc_store *s, const char *instance, int *leader);
    dc_status (*published_get)(dc_store *s, int64_t *seq);
    dc_status (*published_set)(dc_store *s, const char *instance, int64_t seq, dc_time_us now);
    DC_STORE_OPS(DC__STORE_OP_MEMBER)
} dc_store_ops;

/* Every backend's store begins with this: the first member of its own struct. */
struct dc_store {
    const dc_store_ops *ops;
};

/* The SQLite backend (sqlite.c): a location that is a file path, "" or ":memory:". */
extern const dc_store_ops dc__sqlite_ops;
/* The PostgreSQL backend (pg.c): a location that is a "postgresql://" or "postgres://" URI. */
extern const dc_store_ops dc__pg_ops;

/* Whether the calling thread has a transaction open on `s`, and of which kind (1: write). For
 * backends' own asserts. */
int dc__store_in_transaction(const dc_store *s, int write);

/* Switch the store's candidate search to an in-memory index (1) or the backend's own (0), for
 * benchmarks that compare them (bench/candidates.c). Call outside any transaction. DC_OK,
 * DC_UNSUPPORTED (the backend has one search only), DC_STORE, DC_NOMEM. */
dc_status dc__store_candidate_index(dc_store *s, int on);

/* ---- helpers every backend uses ---- */

/* An object's volumes packed one after the other (dc_volume_pack): *size bytes, the caller's
 * (dc_free). NULL when out of memory. */
uint8_t *dc__pack_volumes(const dc_object *o, size_t *size);
/* The admitted parties as one comma-separated text, the caller's (dc_free); NULL when out of
 * memory. */
char *dc__admitted_text(const dc_object *o);
/* The rest of a record read from a backend's row (its row, owner, id, version, priority, public,
 * body and times set by the caller): kind and state by name, the volumes unpacked from their
 * blob (which must hold `volume_count`), the emergency kind, the admitted parties from their
 * text. DC_STORE when the row contradicts itself, DC_NOMEM; what was read stays in *r either way
 * (dc_record_clear). */
dc_status dc__record_fill(dc_record *r, const char *kind, const char *state, const char *emergency,
                          const uint8_t *blob, size_t size, int64_t volume_count,
                          const char *admitted);
/* Append one stamp. DC_OK, DC_NOMEM. */
dc_status dc__candidate_stamp_push(dc_candidate_stamps *out, dc_candidate_stamp stamp);

/* The recipients of one alert as stored: "a,b,c", the caller's (dc_free); NULL when out of
 * memory. */
char *dc__alert_recipients_join(const char *const *recipients, size_t n);

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

/* The recipients of an alert as stored (comma-separated, at most 8), pointing into `text`, which
 * is cut up. Can't fail: the count. */
size_t dc__alert_recipients(char *text, const char *out[8]);

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
/* The signing key pair of a store whose key file is `path`. `stored`: the store names public key
 * `pk`, and the file must hold its secret (DC_FORBIDDEN when it holds another's, DC_NOT_FOUND
 * when there is none). Otherwise (a new store) the file's key is taken, or a new pair made and
 * its file written, and `pk` set: the caller stores it. DC_OK, DC_STORE, DC_INTERNAL. */
dc_status dc__key_pair(const char *path, int stored, uint8_t pk[DC_PUBLIC_KEY_BYTES],
                       uint8_t sk[DC_SECRET_KEY_BYTES]);

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
