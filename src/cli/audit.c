/* audit.c - `deconflict audit verify|who-saw`: re-walk the chain; answer who was told about an
 * object */
#include "audit_cli.h"
#include "cli.h"
#include "deconflict/store.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: deconflict audit verify --db FILE [--archive DIR] [--public-key HEX]\n"
    "                               [--receipt SEQ:HASH[:SIGNATURE]]... [--receipts FILE...]\n"
    "                               [--json]\n"
    "       deconflict audit verify --segment FILE [--public-key HEX] [--json]\n"
    "       deconflict audit who-saw OBJECT --db FILE [--archive DIR] [--json]\n"
    "\n"
    "verify   re-walks the audit chain from its first record, through every archive\n"
    "         segment (--archive, default FILE.archive) and on into the store: every\n"
    "         record's hash over its fields and the previous hash, every record\n"
    "         linked to the one before it (a record removed, repeated or moved is\n"
    "         named even where every signature holds), every Ed25519 signature (by\n"
    "         the store's server key, or the --public-key you pinned from a receipt\n"
    "         or /v1/health), that every unsigned record (alerts) has a signed one\n"
    "         after it, the sequence without gaps; every segment's lines against its\n"
    "         signed checkpoints, each segment linked to the one before (a missing,\n"
    "         reordered, renamed or altered segment is named) and to what the store\n"
    "         committed of it; and every object row against the digest its last\n"
    "         write recorded (an archived object against its archived row), and the\n"
    "         spatial index against the volumes. --receipt checks that a receipt a\n"
    "         party holds is in the chain as it was issued. --receipts reads the\n"
    "         receipts a party kept, as the server returned them: files of JSON, each\n"
    "         a receipt ({\"seq\", \"hash\", \"signature\"}), a write's whole answer\n"
    "         (its \"receipt\" member), an array of these, or one per line; every\n"
    "         receipt must be in the chain with the same hash and a valid signature,\n"
    "         and each one that is not (its record removed or altered) is named by\n"
    "         file, position and seq. Exit 0 when all holds, 1 with each problem\n"
    "         listed otherwise.\n"
    "         --segment verifies one segment file on its own: its lines, its\n"
    "         checkpoints' signatures (by --public-key, else by the key it names:\n"
    "         compare that with the server's), its records' chain from the hash it\n"
    "         starts from to the one it ends on.\n"
    "who-saw  lists every party that was told anything about OBJECT (as audit\n"
    "         records name it: kind/owner/id, e.g. intent/russia/su24-1), in the\n"
    "         archive and the store: notices of conflicts, reads through a grant,\n"
    "         alerts, with when and what. For a party (party/NAME): what the\n"
    "         operator did to it (keys issued and revoked, priority ceilings).\n"
    "--json   one JSON document on standard output, with the exit status as without it.\n"
    "         verify: ok, the figures of the text (records, signatures, archived_records,\n"
    "         segments, objects, receipts_checked, public_key, head), receipts (each\n"
    "         with where it was found and as_issued), notes, problem_count and problems,\n"
    "         each {kind, seq (the record at fault, if one), segment (if in one),\n"
    "         detail}; kinds: record_order, records_missing, record_link, record_hash,\n"
    "         record_signature, records_unsigned, receipt_altered, receipt_replaced,\n"
    "         receipt_signature, receipt_removed, object_unaudited, object_altered,\n"
    "         object_missing, index_mismatch, segment_missing, segment_duplicate,\n"
    "         segment_uncommitted, segment_unclosed, segment_unreadable,\n"
    "         segment_renamed, segment_link, segment_mismatch, segment_content,\n"
    "         store_unreadable. who-saw: object, owner, parties (others told), and\n"
    "         disclosures {time, seq, action, recipients, actor, list, detail}.\n"
    "         A store that cannot be opened or read (exit 2): the reason on standard\n"
    "         error and no document.\n";

struct receipt {
    int64_t seq;
    uint8_t hash[DC_HASH_BYTES], signature[DC_SIGNATURE_BYTES];
    int has_signature, found;
    char label[160]; /* where it came from: "--receipt 3" or "alice.json #2" */
};

struct verify {
    uint8_t public_key[DC_PUBLIC_KEY_BYTES];
    uint8_t prev[DC_HASH_BYTES];
    int64_t expected_seq;
    size_t records, problems, objects, signed_records, archived_records;
    int64_t uncovered; /* first unsigned record since the last signed one, or 0 */
    json_t *digests;   /* object ref -> last written digest hex, or null once deleted */
    json_t *archived;  /* object ref -> digest hex of the row the archive holds */
    const char *where; /* "segment 3" or "the store" */
    int64_t segment;   /* the segment being read, 0 in the store */
    json_t *json;      /* --json: the document being filled in (problems, notes, receipts) */
    struct receipt *receipts;
    size_t receipt_count;
};

/* A fault found: a FAIL line, or with --json {kind, seq (of the record, when one is at fault),
 * segment (when in one), detail}. The kinds are listed in the help. */
static void problem(struct verify *v, const char *kind, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct verify *v, const char *kind, int64_t seq, const char *fmt, ...)
{
    v->problems++;
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (v->json == NULL) {
        printf("FAIL %s\n", detail);
        return;
    }
    json_t *p = json_pack("{s:s}", "kind", kind);
    if (seq > 0)
        json_object_set_new(p, "seq", json_integer(seq));
    if (v->segment > 0)
        json_object_set_new(p, "segment", json_integer(v->segment));
    json_object_set_new(p, "detail", json_string(detail));
    json_array_append_new(json_object_get(v->json, "problems"), p);
}

/* Something to know that is no fault (an append in progress): a note line, or in "notes". */
static void note(struct verify *v, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct verify *v, const char *kind, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (v->json == NULL)
        printf("note: %s\n", detail);
    else
        json_array_append_new(json_object_get(v->json, "notes"),
                              json_pack("{s:s,s:I,s:s}", "kind", kind, "segment",
                                        (json_int_t)v->segment, "detail", detail));
}

static void archive_problem(void *ctx, const char *message)
{
    problem(ctx, "segment_content", 0, "%s", message);
}

/* A receipt against the chain's record of its seq: as issued, or a problem naming it; with
 * --json each receipt is listed, where it was found and whether it holds. */
static void check_receipt(struct verify *v, const struct receipt *rc, const dc_audit_record *r,
                          int intact)
{
    int held = 0;
    if (!intact)
        problem(v, "receipt_altered", rc->seq,
                "receipt %s (seq %lld): the chain's record %lld (in %s) was altered", rc->label,
                (long long)rc->seq, (long long)r->seq, v->where);
    else if (memcmp(rc->hash, r->hash, DC_HASH_BYTES) != 0)
        problem(v, "receipt_replaced", rc->seq,
                "receipt %s (seq %lld): the chain's record %lld (in %s) is not the one"
                " receipted: altered or replaced",
                rc->label, (long long)rc->seq, (long long)r->seq, v->where);
    else if (rc->has_signature && crypto_sign_verify_detached(rc->signature, rc->hash,
                                                              DC_HASH_BYTES, v->public_key) != 0)
        problem(v, "receipt_signature", rc->seq,
                "receipt %s (seq %lld): its signature is not the server key's", rc->label,
                (long long)rc->seq);
    else
        held = 1;
    if (v->json != NULL)
        json_array_append_new(json_object_get(v->json, "receipts"),
                              json_pack("{s:s,s:I,s:s,s:b}", "receipt", rc->label, "seq",
                                        (json_int_t)rc->seq, "in", v->where, "as_issued", held));
    else if (held)
        printf("receipt %s (seq %lld): in %s, as issued\n", rc->label, (long long)rc->seq,
               v->where);
}

/* One record of the chain, wherever it is kept: it must be the next in sequence and link to the
 * one before. The link is checked on its own: a record taken out of the middle leaves every
 * signature valid, and only the next record's prev_hash shows the gap. */
static int check_record(void *ctx, const dc_audit_record *r)
{
    struct verify *v = ctx;
    v->records++;
    if (r->seq < v->expected_seq)
        problem(v, "record_order", r->seq,
                "record %lld in %s is repeated or out of order (record %lld was due)",
                (long long)r->seq, v->where, (long long)v->expected_seq);
    else if (r->seq > v->expected_seq)
        problem(v, "records_missing", r->seq,
                "records %lld to %lld are missing before %s's record %lld",
                (long long)v->expected_seq, (long long)r->seq - 1, v->where, (long long)r->seq);
    if (memcmp(r->prev_hash, v->prev, DC_HASH_BYTES) != 0)
        problem(v, "record_link", r->seq,
                "record %lld in %s does not chain to the record before it", (long long)r->seq,
                v->where);
    dc_error err;
    int intact = dc_audit_check(r, v->public_key, &err) == DC_OK;
    if (!intact) /* err.field: "hash" (its fields altered) or "signature" */
        problem(v, strcmp(err.field, "hash") == 0 ? "record_hash" : "record_signature", r->seq,
                "%s (in %s)", err.message, v->where);
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
        struct receipt *rc = &v->receipts[i];
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
        problem(v, "object_unaudited", 0, "object %s has no write in the audit log", ref);
    else if (strcmp(json_string_value(want), hex) != 0)
        problem(v, "object_altered", 0,
                "object %s differs from what its last audited write recorded", ref);
    json_object_set_new(v->digests, ref, json_false()); /* seen */
    return 0;
}

/* ---- the archive, segment by segment ---- */

int dc_cli_audit_list_segment(void *ctx, const dc_segment *g)
{
    struct dc_cli_listed *l = ctx;
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
            problem(v, "segment_duplicate", 0, "two files for segment %lld: %s and %s",
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

static const dc_segment *find_listed(const struct dc_cli_listed *l, int64_t n)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].number == n)
            return &l->items[i];
    return NULL;
}

/* Walk every segment in order, the chain going on through them; *last is the last segment as its
 * checkpoints state it (number 0 when none). */
static void verify_archive(struct verify *v, const char *dir, const struct dc_cli_listed *listed,
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
                problem(v, "segment_missing", 0, "segment %lld (%s) is missing from %s",
                        (long long)n, store->file, dir);
            else
                problem(v, "segment_missing", 0,
                        "segment %lld is missing from %s (segments up to %lld are there)",
                        (long long)n, dir, (long long)max);
            continue;
        }
        if (store == NULL && n == listed_max + 1 && n == max) {
            note(v, "segment_uncommitted",
                 "%s was begun but never committed (the server cuts it off on its next pass)",
                 name);
            continue;
        }
        if (store == NULL)
            problem(v, "segment_uncommitted", 0, "%s is not a segment the store committed", name);
        if (prev_open)
            problem(v, "segment_unclosed", 0,
                    "segment %lld follows segment %lld, which was never closed", (long long)n,
                    (long long)n - 1);
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat info;
        int64_t limit = store != NULL ? store->bytes : -1;
        if (store != NULL && stat(path, &info) == 0 && info.st_size > store->bytes)
            note(v, "segment_tail",
                 "%s has %lld bytes past what the store committed (an append in progress or"
                 " interrupted; the server cuts them off): not read",
                 name, (long long)(info.st_size - store->bytes));
        dc_segment got;
        if (dc_archive_read(path, limit, v->public_key, archived_row, archive_problem, v, &got,
                            NULL) != DC_OK) {
            problem(v, "segment_unreadable", 0, "%s cannot be read", path);
            continue;
        }
        if (got.number != n)
            problem(v, "segment_renamed", 0,
                    "%s holds segment %lld: a segment was renamed or put out of order", name,
                    (long long)got.number);
        if (memcmp(got.prev_segment, prev_final, DC_HASH_BYTES) != 0)
            problem(v, "segment_link", 0,
                    "%s does not follow segment %lld: a segment is missing, moved or altered", name,
                    (long long)n - 1);
        if (store != NULL &&
            (got.lines != store->lines || memcmp(got.digest, store->digest, DC_HASH_BYTES) != 0 ||
             got.chain_seq != store->chain_seq))
            problem(v, "segment_mismatch", 0,
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

/* The --json document's start: every list present, empty when nothing is in it. */
static json_t *verify_doc(void)
{
    return json_pack("{s:b,s:[],s:[],s:[]}", "ok", 1, "problems", "notes", "receipts");
}

/* The document's problems last, after the figures they qualify. */
static void finish_doc(json_t *doc, size_t problems)
{
    json_object_set_new(doc, "ok", json_boolean(problems == 0));
    json_object_set_new(doc, "problem_count", json_integer((json_int_t)problems));
    json_t *list = json_incref(json_object_get(doc, "problems"));
    json_object_del(doc, "problems");
    json_object_set_new(doc, "problems", list);
}

static int verify_segment(const char *path, const char *pinned, int json)
{
    struct verify v;
    memset(&v, 0, sizeof v);
    uint8_t key[DC_PUBLIC_KEY_BYTES], signer[DC_PUBLIC_KEY_BYTES];
    if (pinned != NULL && dc_unhex(pinned, key, DC_PUBLIC_KEY_BYTES) != DC_OK) {
        fprintf(stderr, "deconflict audit: --public-key takes %d hex digits\n",
                2 * DC_PUBLIC_KEY_BYTES);
        return 2;
    }
    v.json = json ? verify_doc() : NULL;
    dc_segment got;
    if (dc_archive_read(path, -1, pinned ? key : NULL, NULL, archive_problem, &v, &got, signer) !=
        DC_OK) {
        fprintf(stderr, "deconflict audit: cannot read %s\n", path);
        json_decref(v.json);
        return 2;
    }
    char pk[2 * DC_PUBLIC_KEY_BYTES + 1], before[2 * DC_HASH_BYTES + 1],
        after[2 * DC_HASH_BYTES + 1];
    dc_hex(signer, DC_PUBLIC_KEY_BYTES, pk);
    dc_hex(got.chain_before_hash, DC_HASH_BYTES, before);
    dc_hex(got.chain_hash, DC_HASH_BYTES, after);
    if (json) {
        json_object_update_new(
            v.json,
            json_pack("{s:s,s:I,s:b,s:I,s:I,s:I,s:s,s:s,s:{s:I,s:I,s:I,s:I},s:s,s:b}", "file", path,
                      "segment", (json_int_t)got.number, "closed", got.closed, "lines",
                      (json_int_t)got.lines, "first_record", (json_int_t)got.chain_before_seq + 1,
                      "last_record", (json_int_t)got.chain_seq, "chained_from", before,
                      "chained_to", after, "rows", "alerts", (json_int_t)got.rows[DC_RETAIN_ALERTS],
                      "notices", (json_int_t)got.rows[DC_RETAIN_NOTICES], "messages",
                      (json_int_t)got.rows[DC_RETAIN_MESSAGES], "objects",
                      (json_int_t)got.rows[DC_RETAIN_OBJECTS], "signed_by", pk, "key_pinned",
                      pinned != NULL));
        json_object_del(v.json, "receipts");
        finish_doc(v.json, v.problems);
        dc_cli_print_json(v.json);
        return v.problems ? 1 : 0;
    }
    printf("segment %lld, %s: %lld lines; audit records %lld to %lld (chained from %s to %s);"
           " %lld alerts, %lld notices, %lld messages, %lld objects; signed by %s%s: %s (%zu"
           " problems)\n",
           (long long)got.number, got.closed ? "closed" : "open", (long long)got.lines,
           (long long)got.chain_before_seq + 1, (long long)got.chain_seq, before, after,
           (long long)got.rows[DC_RETAIN_ALERTS], (long long)got.rows[DC_RETAIN_NOTICES],
           (long long)got.rows[DC_RETAIN_MESSAGES], (long long)got.rows[DC_RETAIN_OBJECTS], pk,
           pinned ? " (pinned)" : " (as it names itself: compare with the server's)",
           v.problems ? "FAILED" : "OK", v.problems);
    return v.problems ? 1 : 0;
}

static int parse_receipt(const char *text, struct receipt *out)
{
    memset(out, 0, sizeof *out);
    char *end = NULL;
    long long seq = strtoll(text, &end, 10);
    if (end == text || *end != ':' || seq < 1)
        return -1;
    out->seq = seq;
    const char *hash = end + 1, *sig = strchr(hash, ':');
    char hex[2 * DC_HASH_BYTES + 1];
    size_t len = sig ? (size_t)(sig - hash) : strlen(hash);
    if (len != 2 * DC_HASH_BYTES)
        return -1;
    memcpy(hex, hash, len);
    hex[len] = '\0';
    if (dc_unhex(hex, out->hash, DC_HASH_BYTES) != DC_OK)
        return -1;
    if (sig != NULL) {
        if (dc_unhex(sig + 1, out->signature, DC_SIGNATURE_BYTES) != DC_OK)
            return -1;
        out->has_signature = 1;
    }
    return 0;
}

struct receipts {
    struct receipt *items;
    size_t count, capacity;
};

static struct receipt *receipt_slot(struct receipts *l)
{
    struct receipt *grown = dc_grow(l->items, &l->capacity, l->count, sizeof *grown, 64);
    if (grown == NULL)
        return NULL;
    l->items = grown;
    memset(&l->items[l->count], 0, sizeof *l->items);
    return &l->items[l->count++];
}

/* One receipt as the server returned it, or a write's answer holding one. */
static int receipt_from_json(json_t *doc, const char *label, struct receipts *l)
{
    json_t *inner = json_object_get(doc, "receipt");
    if (json_is_object(inner))
        doc = inner;
    json_t *seq = json_object_get(doc, "seq");
    const char *hash = json_string_value(json_object_get(doc, "hash"));
    const char *sig = json_string_value(json_object_get(doc, "signature"));
    struct receipt *r = receipt_slot(l);
    if (r == NULL)
        return -1;
    snprintf(r->label, sizeof r->label, "%s", label);
    if (!json_is_integer(seq) || json_integer_value(seq) < 1 || hash == NULL ||
        strlen(hash) != 2 * DC_HASH_BYTES || dc_unhex(hash, r->hash, DC_HASH_BYTES) != DC_OK ||
        (sig != NULL && (strlen(sig) != 2 * DC_SIGNATURE_BYTES ||
                         dc_unhex(sig, r->signature, DC_SIGNATURE_BYTES) != DC_OK))) {
        fprintf(stderr, "deconflict audit: %s is not a receipt (seq, hash, signature in hex)\n",
                label);
        return -1;
    }
    r->seq = (int64_t)json_integer_value(seq);
    r->has_signature = sig != NULL;
    return 0;
}

/* The receipts of one file: a JSON document (a receipt, an answer, or an array of them), or
 * one document per line. */
static int receipts_from_file(const char *path, struct receipts *l)
{
    json_error_t error;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    char label[160];
    int rc = 0, n = 0;
    if (doc != NULL) {
        if (json_is_array(doc)) {
            size_t i;
            json_t *item;
            json_array_foreach(doc, i, item)
            {
                snprintf(label, sizeof label, "%s #%d", path, ++n);
                if (receipt_from_json(item, label, l) != 0)
                    rc = -1;
            }
        } else {
            snprintf(label, sizeof label, "%s", path);
            rc = receipt_from_json(doc, label, l);
        }
        json_decref(doc);
        return rc;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "deconflict audit: cannot read %s\n", path);
        return -1;
    }
    char line[8192];
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        n++;
        snprintf(label, sizeof label, "%s line %d", path, n);
        json_t *item = json_loads(line, JSON_REJECT_DUPLICATES, &error);
        if (item == NULL) {
            fprintf(stderr, "deconflict audit: %s is not JSON: %s\n", label, error.text);
            rc = -1;
        } else {
            rc = receipt_from_json(item, label, l);
            json_decref(item);
        }
    }
    fclose(f);
    if (rc == 0 && n == 0) {
        fprintf(stderr, "deconflict audit: %s holds no receipt\n", path);
        rc = -1;
    }
    return rc;
}

static int by_seq(const void *a, const void *b)
{
    int64_t x = ((const struct receipt *)a)->seq, y = ((const struct receipt *)b)->seq;
    return (x > y) - (x < y);
}

void dc_cli_audit_archive_dir(const char *db, const char *given, char *out, size_t size)
{
    if (given != NULL)
        snprintf(out, size, "%s", given);
    else
        snprintf(out, size, "%s.archive", db);
}

static int verify(const char *db, const char *archive_dir, const char *pinned,
                  struct receipt *receipts, size_t receipt_count, json_t **report)
{
    if (report != NULL)
        *report = NULL;
    if (dc_cli_store_present("deconflict audit", db) != 0)
        return 2;
    dc_store *store;
    dc_error err;
    if (dc_store_open(db, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict audit: %s\n", err.message);
        return 2;
    }
    struct verify v;
    memset(&v, 0, sizeof v);
    v.expected_seq = 1;
    v.digests = json_object();
    v.archived = json_object();
    v.receipts = receipts;
    v.receipt_count = receipt_count;
    v.json = report != NULL ? verify_doc() : NULL;
    int status = 0;
    dc_store_begin(store, 0);
    if (pinned != NULL) {
        if (dc_unhex(pinned, v.public_key, DC_PUBLIC_KEY_BYTES) != DC_OK) {
            fprintf(stderr, "deconflict audit: --public-key takes %d hex digits\n",
                    2 * DC_PUBLIC_KEY_BYTES);
            status = 2;
        }
    } else if (dc_store_public_key(store, v.public_key) != DC_OK) {
        fprintf(stderr, "deconflict audit: no server key in %s\n", db);
        status = 2;
    }
    if (status == 0) {
        char dir[1100];
        dc_cli_audit_archive_dir(db, archive_dir, dir, sizeof dir);
        struct dc_cli_listed listed = {0};
        if (dc_store_segments(store, dc_cli_audit_list_segment, &listed) != DC_OK)
            problem(&v, "store_unreadable", 0,
                    "the store's list of archive segments cannot be read");
        dc_segment last;
        verify_archive(&v, dir, &listed, &last);
        dc_free(listed.items);
        v.where = "the store";
        v.segment = 0;
        if (dc_store_audit_walk(store, NULL, check_record, &v) != DC_OK)
            problem(&v, "store_unreadable", 0, "the audit table cannot be read");
        if (v.uncovered != 0)
            problem(
                &v, "records_unsigned", v.uncovered,
                "records %lld to %lld are unsigned and no signed record follows to vouch for them",
                (long long)v.uncovered, (long long)v.expected_seq - 1);
        if (dc_store_verify_rows(store, check_row, &v, &err) != DC_OK)
            problem(&v, err.status == DC_CONFLICT ? "index_mismatch" : "store_unreadable", 0, "%s",
                    err.message);
        const char *ref;
        json_t *value;
        json_object_foreach(v.digests, ref, value) if (json_is_string(value))
        {
            const char *archived = json_string_value(json_object_get(v.archived, ref));
            if (archived == NULL || strcmp(archived, json_string_value(value)) != 0)
                problem(&v, "object_missing", 0,
                        "object %s was written and never deleted, but its row is gone", ref);
        }
        for (size_t i = 0; i < receipt_count; i++) {
            if (receipts[i].found)
                continue;
            problem(&v, "receipt_removed", receipts[i].seq,
                    "receipt %s (seq %lld): no record of that seq in the archive or the"
                    " store: removed",
                    receipts[i].label, (long long)receipts[i].seq);
            if (v.json != NULL)
                json_array_append_new(json_object_get(v.json, "receipts"),
                                      json_pack("{s:s,s:I,s:n,s:b}", "receipt", receipts[i].label,
                                                "seq", (json_int_t)receipts[i].seq, "in",
                                                "as_issued", 0));
        }
        char pk[2 * DC_PUBLIC_KEY_BYTES + 1], head[2 * DC_HASH_BYTES + 1];
        dc_hex(v.public_key, DC_PUBLIC_KEY_BYTES, pk);
        dc_hex(v.prev, DC_HASH_BYTES, head);
        if (v.json != NULL) {
            json_object_update_new(
                v.json,
                json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "store", db, "archive", dir,
                          "records", (json_int_t)v.records, "signatures",
                          (json_int_t)v.signed_records, "archived_records",
                          (json_int_t)v.archived_records, "segments", (json_int_t)last.number,
                          "objects", (json_int_t)v.objects, "receipts_checked",
                          (json_int_t)receipt_count, "public_key", pk, "head", head));
            finish_doc(v.json, v.problems);
        } else {
            printf("audit verify: %zu records (%zu signed; %zu in %lld archive segments), %zu"
                   " objects, key %s, head %s: %s (%zu problems)\n",
                   v.records, v.signed_records, v.archived_records, (long long)last.number,
                   v.objects, pk, head, v.problems ? "FAILED" : "OK", v.problems);
        }
        status = v.problems ? 1 : 0;
    }
    if (status == 2)
        json_decref(v.json);
    else if (report != NULL)
        *report = v.json;
    dc_store_rollback(store); /* verify changes nothing */
    json_decref(v.digests);
    json_decref(v.archived);
    dc_store_close(store);
    return status;
}

int dc_cli_audit_verify(const char *db, const char *archive, json_t **report)
{
    return verify(db, archive, NULL, NULL, 0, report);
}

int dc_cli_audit(int argc, char **argv)
{
    const char *db = NULL, *pinned = NULL, *object = NULL, *archive = NULL, *segment = NULL;
    struct receipts receipts = {0};
    int status = -1, json = 0;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; status < 0 && i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc)
            pinned = argv[++i];
        else if (strcmp(argv[i], "--archive") == 0 && i + 1 < argc)
            archive = argv[++i];
        else if (strcmp(argv[i], "--segment") == 0 && i + 1 < argc)
            segment = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--receipt") == 0 && i + 1 < argc) {
            struct receipt *r = receipt_slot(&receipts);
            if (r == NULL || parse_receipt(argv[++i], r) != 0) {
                fprintf(stderr, "deconflict audit: --receipt takes SEQ:HASH[:SIGNATURE] (hex)\n");
                status = 2;
            } else {
                snprintf(r->label, sizeof r->label, "--receipt %s", argv[i]);
            }
        } else if (strcmp(argv[i], "--receipts") == 0 && i + 1 < argc) {
            while (status < 0 && i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                if (receipts_from_file(argv[++i], &receipts) != 0)
                    status = 2;
        } else if (argv[i][0] != '-' && object == NULL)
            object = argv[i];
        else {
            fprintf(stderr, "deconflict audit: unexpected '%s'\n%s", argv[i], help);
            status = 2;
        }
    }
    if (status < 0 && strcmp(argv[1], "verify") == 0 && segment != NULL && db == NULL &&
        object == NULL)
        status = verify_segment(segment, pinned, json);
    if (status < 0 && db == NULL) {
        fprintf(stderr, "deconflict audit: --db FILE is required\n");
        status = 2;
    }
    if (status < 0 && strcmp(argv[1], "verify") == 0 && object == NULL && segment == NULL) {
        if (receipts.count > 0)
            qsort(receipts.items, receipts.count, sizeof *receipts.items, by_seq);
        json_t *doc = NULL;
        status = verify(db, archive, pinned, receipts.items, receipts.count, json ? &doc : NULL);
        if (doc != NULL)
            dc_cli_print_json(doc);
    }
    if (status < 0 && strcmp(argv[1], "who-saw") == 0 && object != NULL)
        status = dc_cli_audit_who_saw(db, archive, object, json);
    if (status < 0) {
        fputs(help, stderr);
        status = 2;
    }
    dc_free(receipts.items);
    return status;
}
