/* verify.c - the audit chain re-walked through the archive and the store, checked against the
 * store's rows and the receipts writers kept (audit_verify.h). Read only: one read transaction.
 *
 * The chain is one sequence from record 1: the archive's segments hold its older part, in order,
 * each segment chained to the one before by its final digest, and the store's audit table the
 * rest. A record out of sequence, a broken link, a hash or signature that does not hold, an
 * unsigned tail that no signed record vouches for, a receipt whose record differs, an object row
 * that is not what its last audited write recorded, an object written and never deleted whose row
 * is gone: each is a finding, told as found, and the walk goes on. */
#include "deconflict/audit_verify.h"

#include "deconflict/archive.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *dc_audit_problem_name(dc_audit_problem_kind kind)
{
    static const char *const names[] = {
#define DC_AUDIT_PROBLEM_NAME(name, text) text,
        DC_AUDIT_PROBLEM_MAP(DC_AUDIT_PROBLEM_NAME)
#undef DC_AUDIT_PROBLEM_NAME
    };
    return (size_t)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

struct verify {
    const dc_audit_verify_options *options;
    uint8_t public_key[DC_PUBLIC_KEY_BYTES];
    uint8_t prev[DC_HASH_BYTES];
    int64_t expected_seq;
    size_t records, problems, objects, signed_records, archived_records;
    int64_t uncovered; /* first unsigned record since the last signed one, or 0 */
    json_t *digests;   /* object ref -> last written digest hex, or null once deleted */
    json_t *archived;  /* object ref -> digest hex of the row the archive holds */
    const char *where; /* "segment 3" or "the store" */
    int64_t segment;   /* the segment being read, 0 in the store */
    dc_audit_receipt *receipts;
    size_t receipt_count;
};

static void tell(struct verify *v, dc_audit_problem_kind kind, int is_note, int64_t seq,
                 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void tell(struct verify *v, dc_audit_problem_kind kind, int is_note, int64_t seq,
                 const char *fmt, va_list ap)
{
    dc_audit_problem p;
    p.kind = kind;
    p.is_note = is_note;
    p.seq = seq;
    p.segment = v->segment;
    vsnprintf(p.detail, sizeof p.detail, fmt, ap);
    if (!is_note)
        v->problems++;
    if (v->options->on_problem != NULL)
        v->options->on_problem(v->options->ctx, &p);
}

/* A fault found, about record `seq` (0: no one record). */
static void problem(struct verify *v, dc_audit_problem_kind kind, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct verify *v, dc_audit_problem_kind kind, int64_t seq, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tell(v, kind, 0, seq, fmt, ap);
    va_end(ap);
}

/* Something to know that is no fault (an append in progress). */
static void note(struct verify *v, dc_audit_problem_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct verify *v, dc_audit_problem_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tell(v, kind, 1, 0, fmt, ap);
    va_end(ap);
}

static void archive_problem(void *ctx, const char *message)
{
    problem(ctx, DC_AUDIT_SEGMENT_CONTENT, 0, "%s", message);
}

/* A receipt against the chain's record of its seq: as issued, or a problem naming it; the
 * caller is told where it was found and whether it holds. */
static void check_receipt(struct verify *v, const dc_audit_receipt *rc, const dc_audit_record *r,
                          int intact)
{
    int held = 0;
    if (!intact)
        problem(v, DC_AUDIT_RECEIPT_ALTERED, rc->seq,
                "receipt %s (seq %lld): the chain's record %lld (in %s) was altered", rc->label,
                (long long)rc->seq, (long long)r->seq, v->where);
    else if (memcmp(rc->hash, r->hash, DC_HASH_BYTES) != 0)
        problem(v, DC_AUDIT_RECEIPT_REPLACED, rc->seq,
                "receipt %s (seq %lld): the chain's record %lld (in %s) is not the one"
                " receipted: altered or replaced",
                rc->label, (long long)rc->seq, (long long)r->seq, v->where);
    else if (rc->has_signature && crypto_sign_verify_detached(rc->signature, rc->hash,
                                                              DC_HASH_BYTES, v->public_key) != 0)
        problem(v, DC_AUDIT_RECEIPT_SIGNATURE, rc->seq,
                "receipt %s (seq %lld): its signature is not the server key's", rc->label,
                (long long)rc->seq);
    else
        held = 1;
    if (v->options->on_receipt != NULL)
        v->options->on_receipt(v->options->ctx, rc, v->where, held);
}

/* One record of the chain, wherever it is kept: it must be the next in sequence and link to the
 * one before. The link is checked on its own: a record taken out of the middle leaves every
 * signature valid, and only the next record's prev_hash shows the gap. */
static int check_record(void *ctx, const dc_audit_record *r)
{
    struct verify *v = ctx;
    v->records++;
    if (r->seq < v->expected_seq)
        problem(v, DC_AUDIT_RECORD_ORDER, r->seq,
                "record %lld in %s is repeated or out of order (record %lld was due)",
                (long long)r->seq, v->where, (long long)v->expected_seq);
    else if (r->seq > v->expected_seq)
        problem(v, DC_AUDIT_RECORDS_MISSING, r->seq,
                "records %lld to %lld are missing before %s's record %lld",
                (long long)v->expected_seq, (long long)r->seq - 1, v->where, (long long)r->seq);
    if (memcmp(r->prev_hash, v->prev, DC_HASH_BYTES) != 0)
        problem(v, DC_AUDIT_RECORD_LINK, r->seq,
                "record %lld in %s does not chain to the record before it", (long long)r->seq,
                v->where);
    dc_error err;
    int intact = dc_audit_check(r, v->public_key, &err) == DC_OK;
    if (!intact) /* err.field: "hash" (its fields altered) or "signature" */
        problem(v,
                strcmp(err.field, "hash") == 0 ? DC_AUDIT_RECORD_HASH : DC_AUDIT_RECORD_SIGNATURE,
                r->seq, "%s (in %s)", err.message, v->where);
    if (dc_audit_signed(r)) {
        v->signed_records++;
        v->uncovered = 0;
    } else if (v->uncovered == 0) {
        v->uncovered = r->seq;
    }
    /* receipts are sorted by seq: those of this record are found by bisection */
    size_t lo = 0, hi = v->receipt_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->receipts[mid].seq < r->seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < v->receipt_count && v->receipts[i].seq == r->seq; i++) {
        dc_audit_receipt *rc = &v->receipts[i];
        if (rc->found)
            continue;
        rc->found = 1;
        check_receipt(v, rc, r, intact);
    }
    memcpy(v->prev, r->hash, DC_HASH_BYTES);
    if (r->seq >= v->expected_seq) /* a record repeated or moved back leaves the count as it is */
        v->expected_seq = r->seq + 1;
    size_t n = strlen(r->action);
    if (n > 4 && strcmp(r->action + n - 4, ".put") == 0) {
        json_t *detail = json_loads(r->detail, 0, NULL);
        const char *digest = json_string_value(json_object_get(detail, "digest"));
        json_object_set_new(v->digests, r->object, digest ? json_string(digest) : json_null());
        json_decref(detail);
    } else if (n > 7 && strcmp(r->action + n - 7, ".delete") == 0) {
        json_object_set_new(v->digests, r->object, json_null());
    }
    return 0;
}

static int archived_row(void *ctx, const dc_archived *item)
{
    struct verify *v = ctx;
    if (item->kind == DC_RETAIN_AUDIT) {
        v->archived_records++;
        return check_record(ctx, item->audit);
    }
    if (item->kind == DC_RETAIN_OBJECTS) {
        char hex[2 * DC_HASH_BYTES + 1];
        dc_hex(item->object_digest, DC_HASH_BYTES, hex);
        json_object_set_new(v->archived, item->object_ref, json_string(hex));
    }
    return 0;
}

static int check_row(void *ctx, const char *ref, const uint8_t *digest)
{
    struct verify *v = ctx;
    v->objects++;
    char hex[2 * DC_HASH_BYTES + 1];
    dc_hex(digest, DC_HASH_BYTES, hex);
    json_t *want = json_object_get(v->digests, ref);
    if (want == NULL || !json_is_string(want))
        problem(v, DC_AUDIT_OBJECT_UNAUDITED, 0, "object %s has no write in the audit log", ref);
    else if (strcmp(json_string_value(want), hex) != 0)
        problem(v, DC_AUDIT_OBJECT_ALTERED, 0,
                "object %s differs from what its last audited write recorded", ref);
    json_object_set_new(v->digests, ref, json_false()); /* seen */
    return 0;
}

int dc_audit_segment_collect(void *ctx, const dc_segment *g)
{
    dc_audit_segment_list *l = ctx;
    dc_segment *grown = dc_grow(l->items, &l->capacity, l->count, sizeof *grown, 16);
    if (grown == NULL)
        return 1;
    l->items = grown;
    l->items[l->count++] = *g;
    return 0;
}

/* Segment files in `dir` by number: names[n] for n in 1..*max (NULL where none). */
static char **segment_files(struct verify *v, const char *dir, int64_t *max)
{
    *max = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    struct dirent *e;
    size_t cap = 0;
    char **names = NULL;
    while ((e = readdir(d)) != NULL) {
        int64_t n = dc_archive_file_number(e->d_name);
        if (n <= 0 || n > 10000000)
            continue;
        if ((size_t)n >= cap) {
            size_t grown_cap = cap ? cap : 64;
            while (grown_cap <= (size_t)n)
                grown_cap *= 2;
            char **grown = dc_realloc(names, grown_cap * sizeof *grown);
            if (grown == NULL)
                break;
            memset(grown + cap, 0, (grown_cap - cap) * sizeof *grown);
            names = grown;
            cap = grown_cap;
        }
        size_t len = strlen(e->d_name);
        if (names[n] != NULL) {
            v->segment = n;
            problem(v, DC_AUDIT_SEGMENT_DUPLICATE, 0, "two files for segment %lld: %s and %s",
                    (long long)n, names[n], e->d_name);
            v->segment = 0;
        } else if ((names[n] = dc_malloc(len + 1)) != NULL)
            memcpy(names[n], e->d_name, len + 1);
        if (n > *max)
            *max = n;
    }
    closedir(d);
    return names;
}

static const dc_segment *find_listed(const dc_audit_segment_list *l, int64_t n)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].number == n)
            return &l->items[i];
    return NULL;
}

/* Walk every segment in order, the chain going on through them; *last is the last segment as its
 * checkpoints state it (number 0 when none). */
static void verify_archive(struct verify *v, const char *dir, const dc_audit_segment_list *listed,
                           dc_segment *last)
{
    memset(last, 0, sizeof *last);
    int64_t max = 0;
    char **files = segment_files(v, dir, &max);
    int64_t listed_max = listed->count ? listed->items[listed->count - 1].number : 0;
    if (max < listed_max)
        max = listed_max;
    uint8_t prev_final[DC_HASH_BYTES] = {0};
    int prev_open = 0;
    for (int64_t n = 1; n <= max; n++) {
        const dc_segment *store = find_listed(listed, n);
        const char *name = files != NULL ? files[n] : NULL;
        char where[64];
        snprintf(where, sizeof where, "segment %lld", (long long)n);
        v->where = where;
        v->segment = n;
        if (name == NULL) {
            if (store != NULL)
                problem(v, DC_AUDIT_SEGMENT_MISSING, 0, "segment %lld (%s) is missing from %s",
                        (long long)n, store->file, dir);
            else
                problem(v, DC_AUDIT_SEGMENT_MISSING, 0,
                        "segment %lld is missing from %s (segments up to %lld are there)",
                        (long long)n, dir, (long long)max);
            continue;
        }
        if (store == NULL && n == listed_max + 1 && n == max) {
            note(v, DC_AUDIT_SEGMENT_UNCOMMITTED,
                 "%s was begun but never committed (the server cuts it off on its next pass)",
                 name);
            continue;
        }
        if (store == NULL)
            problem(v, DC_AUDIT_SEGMENT_UNCOMMITTED, 0, "%s is not a segment the store committed",
                    name);
        if (prev_open)
            problem(v, DC_AUDIT_SEGMENT_UNCLOSED, 0,
                    "segment %lld follows segment %lld, which was never closed", (long long)n,
                    (long long)n - 1);
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat info;
        int64_t limit = store != NULL ? store->bytes : -1;
        if (store != NULL && stat(path, &info) == 0 && info.st_size > store->bytes)
            note(v, DC_AUDIT_SEGMENT_TAIL,
                 "%s has %lld bytes past what the store committed (an append in progress or"
                 " interrupted; the server cuts them off): not read",
                 name, (long long)(info.st_size - store->bytes));
        dc_segment got;
        if (dc_archive_read(path, limit, v->public_key, archived_row, archive_problem, v, &got,
                            NULL) != DC_OK) {
            problem(v, DC_AUDIT_SEGMENT_UNREADABLE, 0, "%s cannot be read", path);
            continue;
        }
        if (got.number != n)
            problem(v, DC_AUDIT_SEGMENT_RENAMED, 0,
                    "%s holds segment %lld: a segment was renamed or put out of order", name,
                    (long long)got.number);
        if (memcmp(got.prev_segment, prev_final, DC_HASH_BYTES) != 0)
            problem(v, DC_AUDIT_SEGMENT_LINK, 0,
                    "%s does not follow segment %lld: a segment is missing, moved or altered", name,
                    (long long)n - 1);
        if (store != NULL &&
            (got.lines != store->lines || memcmp(got.digest, store->digest, DC_HASH_BYTES) != 0 ||
             got.chain_seq != store->chain_seq))
            problem(v, DC_AUDIT_SEGMENT_MISMATCH, 0,
                    "%s is not what the store committed of it (%lld lines, chain to %lld;"
                    " the store says %lld lines, chain to %lld)",
                    name, (long long)got.lines, (long long)got.chain_seq, (long long)store->lines,
                    (long long)store->chain_seq);
        memcpy(prev_final, got.digest, DC_HASH_BYTES);
        prev_open = !got.closed;
        *last = got;
    }
    for (int64_t n = 0; files != NULL && n <= max; n++)
        dc_free(files[n]);
    dc_free(files);
}

/* After the walk: what was written and never deleted must still have its row, live or archived;
 * every receipt must have met its record. */
static void settle(struct verify *v)
{
    const char *ref;
    json_t *value;
    json_object_foreach(v->digests, ref, value)
    {
        if (!json_is_string(value))
            continue;
        const char *archived = json_string_value(json_object_get(v->archived, ref));
        if (archived == NULL || strcmp(archived, json_string_value(value)) != 0)
            problem(v, DC_AUDIT_OBJECT_MISSING, 0,
                    "object %s was written and never deleted, but its row is gone", ref);
    }
    for (size_t i = 0; i < v->receipt_count; i++) {
        dc_audit_receipt *r = &v->receipts[i];
        if (r->found)
            continue;
        problem(v, DC_AUDIT_RECEIPT_REMOVED, r->seq,
                "receipt %s (seq %lld): no record of that seq in the archive or the store: removed",
                r->label, (long long)r->seq);
        if (v->options->on_receipt != NULL)
            v->options->on_receipt(v->options->ctx, r, NULL, 0);
    }
}

/* The walk itself, inside the caller's read transaction. */
static void walk(struct verify *v, dc_store *store, dc_audit_verify_report *out)
{
    dc_audit_segment_list listed = {0};
    if (dc_store_segments(store, dc_audit_segment_collect, &listed) != DC_OK)
        problem(v, DC_AUDIT_STORE_UNREADABLE, 0,
                "the store's list of archive segments cannot be read");
    dc_segment last;
    verify_archive(v, v->options->archive_dir, &listed, &last);
    dc_free(listed.items);
    v->where = "the store";
    v->segment = 0;
    if (dc_store_audit_walk(store, NULL, check_record, v) != DC_OK)
        problem(v, DC_AUDIT_STORE_UNREADABLE, 0, "the audit table cannot be read");
    if (v->uncovered != 0)
        problem(v, DC_AUDIT_RECORDS_UNSIGNED, v->uncovered,
                "records %lld to %lld are unsigned and no signed record follows to vouch for them",
                (long long)v->uncovered, (long long)v->expected_seq - 1);
    dc_error err;
    dc_error_clear(&err);
    if (dc_store_verify_rows(store, check_row, v, &err) != DC_OK)
        problem(v, err.status == DC_CONFLICT ? DC_AUDIT_INDEX_MISMATCH : DC_AUDIT_STORE_UNREADABLE,
                0, "%s", err.message);
    settle(v);
    out->records = v->records;
    out->signed_records = v->signed_records;
    out->archived_records = v->archived_records;
    out->objects = v->objects;
    out->problems = v->problems;
    out->segments = last.number;
    memcpy(out->public_key, v->public_key, sizeof out->public_key);
    memcpy(out->head, v->prev, sizeof out->head);
}

dc_status dc_audit_verify_store(dc_store *store, const dc_audit_verify_options *options,
                                dc_audit_verify_report *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    struct verify v;
    memset(&v, 0, sizeof v);
    v.options = options;
    v.expected_seq = 1;
    v.receipts = options->receipts;
    v.receipt_count = options->receipt_count;
    v.digests = json_object();
    v.archived = json_object();
    dc_status rc = DC_OK;
    if (v.digests == NULL || v.archived == NULL)
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    else if (dc_store_begin(store, 0) != DC_OK)
        rc = dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store cannot be read");
    if (rc == DC_OK) {
        if (options->public_key != NULL)
            memcpy(v.public_key, options->public_key, sizeof v.public_key);
        else if (dc_store_public_key(store, v.public_key) != DC_OK)
            rc = dc_error_set(err, DC_NOT_FOUND, "public_key", DC_NO_POSITION,
                              "no server key in the store");
        if (rc == DC_OK)
            walk(&v, store, out);
        dc_store_rollback(store); /* verify changes nothing */
    }
    json_decref(v.digests);
    json_decref(v.archived);
    return rc;
}
