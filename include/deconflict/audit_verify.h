/* audit_verify.h - re-walking a store's audit chain, through its archive and into the store,
 * against its rows and the receipts its writers kept (DESIGN.md rule 6): `deconflict audit
 * verify` and a restore's check call this and print what it finds */
#ifndef DECONFLICT_AUDIT_VERIFY_H
#define DECONFLICT_AUDIT_VERIFY_H

#include "deconflict/audit.h"
#include "deconflict/store.h"

#include <stddef.h>

/* What can be wrong (and, as notes, what is worth knowing without being wrong), each with the
 * name `--json` documents show. */
#define DC_AUDIT_PROBLEM_MAP(XX)                                                                   \
    XX(RECORD_ORDER, "record_order")                                                               \
    XX(RECORDS_MISSING, "records_missing")                                                         \
    XX(RECORD_LINK, "record_link")                                                                 \
    XX(RECORD_HASH, "record_hash")                                                                 \
    XX(RECORD_SIGNATURE, "record_signature")                                                       \
    XX(RECORDS_UNSIGNED, "records_unsigned")                                                       \
    XX(RECEIPT_ALTERED, "receipt_altered")                                                         \
    XX(RECEIPT_REPLACED, "receipt_replaced")                                                       \
    XX(RECEIPT_SIGNATURE, "receipt_signature")                                                     \
    XX(RECEIPT_REMOVED, "receipt_removed")                                                         \
    XX(OBJECT_UNAUDITED, "object_unaudited")                                                       \
    XX(OBJECT_ALTERED, "object_altered")                                                           \
    XX(OBJECT_MISSING, "object_missing")                                                           \
    XX(INDEX_MISMATCH, "index_mismatch")                                                           \
    XX(SEGMENT_MISSING, "segment_missing")                                                         \
    XX(SEGMENT_DUPLICATE, "segment_duplicate")                                                     \
    XX(SEGMENT_UNCOMMITTED, "segment_uncommitted")                                                 \
    XX(SEGMENT_UNCLOSED, "segment_unclosed")                                                       \
    XX(SEGMENT_UNREADABLE, "segment_unreadable")                                                   \
    XX(SEGMENT_RENAMED, "segment_renamed")                                                         \
    XX(SEGMENT_LINK, "segment_link")                                                               \
    XX(SEGMENT_MISMATCH, "segment_mismatch")                                                       \
    XX(SEGMENT_CONTENT, "segment_content")                                                         \
    XX(SEGMENT_TAIL, "segment_tail")                                                               \
    XX(STORE_UNREADABLE, "store_unreadable")

typedef enum dc_audit_problem_kind {
#define DC_AUDIT_PROBLEM_ENUM(name, text) DC_AUDIT_##name,
    DC_AUDIT_PROBLEM_MAP(DC_AUDIT_PROBLEM_ENUM)
#undef DC_AUDIT_PROBLEM_ENUM
} dc_audit_problem_kind;

/* "record_link"...; "unknown" for a value outside the enum. Can't fail. */
const char *dc_audit_problem_name(dc_audit_problem_kind kind);

/* One finding: a problem, or a note (`is_note`: no fault, e.g. an append in progress). */
typedef struct dc_audit_problem {
    dc_audit_problem_kind kind;
    int is_note;
    int64_t seq;     /* the record at fault, 0 when no one record is */
    int64_t segment; /* the archive segment it is in, 0 in the store */
    char detail[1024];
} dc_audit_problem;

/* A receipt a writer kept: checked against the chain's record of its seq. */
typedef struct dc_audit_receipt {
    int64_t seq;
    uint8_t hash[DC_HASH_BYTES], signature[DC_SIGNATURE_BYTES];
    int has_signature;
    int found;       /* set by the walk once the record of its seq is met */
    char label[160]; /* where it came from: "--receipt 3" or "alice.json #2" */
} dc_audit_receipt;

typedef struct dc_audit_verify_options {
    const char *archive_dir;    /* the archive's segments (may not exist: none) */
    const uint8_t *public_key;  /* pinned (DC_PUBLIC_KEY_BYTES), or NULL: the store's own */
    dc_audit_receipt *receipts; /* sorted by seq; `found` is set on each met */
    size_t receipt_count;
    /* each finding as it is found (NULL: only counted) */
    void (*on_problem)(void *ctx, const dc_audit_problem *problem);
    /* each receipt once settled: `in` names where its record was ("segment 3", "the store"),
     * NULL when none was (removed); `as_issued` whether it holds (NULL: not told) */
    void (*on_receipt)(void *ctx, const dc_audit_receipt *receipt, const char *in, int as_issued);
    void *ctx;
} dc_audit_verify_options;

typedef struct dc_audit_verify_report {
    size_t records, signed_records, archived_records, objects, problems; /* notes not counted */
    int64_t segments;                                                    /* the last one's number */
    uint8_t public_key[DC_PUBLIC_KEY_BYTES];                             /* the key checked with */
    uint8_t head[DC_HASH_BYTES]; /* the last record's hash */
} dc_audit_verify_report;

/* Walk the archive's segments in order and then the store's audit table as one chain (sequence,
 * links, hashes, signatures; every unsigned record vouched for by a later signed one), check each
 * receipt against its record, each live object row against its last audited write, and that
 * every object written and never deleted still has its row or its archived one. One read
 * transaction of `store` (open, none in progress): nothing is written. DC_OK with the findings
 * told and counted in *out (out->problems 0: the chain holds); DC_NOT_FOUND when the store holds
 * no server key and none is pinned, DC_STORE when no transaction can be begun, DC_NOMEM; the
 * reason in err. */
dc_status dc_audit_verify_store(dc_store *store, const dc_audit_verify_options *options,
                                dc_audit_verify_report *out, dc_error *err);

/* The archive's segments as the store committed them, in order: a dc_store_segments callback
 * over a dc_audit_segment_list (free `items` with dc_free). 0, or 1 when out of memory. */
typedef struct dc_audit_segment_list {
    dc_segment *items;
    size_t count, capacity;
} dc_audit_segment_list;
int dc_audit_segment_collect(void *ctx, const dc_segment *segment);

#endif
