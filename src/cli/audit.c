/* audit.c - `deconflict audit verify|who-saw`: re-walk the chain; answer who was told about an
 * object */
#include "audit_cli.h"
#include "cli.h"
#include "deconflict/audit_verify.h"
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

/* What a verification found, as the command shows it: FAIL and note lines, or with --json the
 * document's problems, notes and receipts. */
struct printer {
    json_t *json;
    size_t problems;
};

static void print_problem(void *ctx, const dc_audit_problem *p)
{
    struct printer *pr = ctx;
    pr->problems += !p->is_note;
    if (pr->json == NULL) {
        printf(p->is_note ? "note: %s\n" : "FAIL %s\n", p->detail);
        return;
    }
    const char *name = dc_audit_problem_name(p->kind);
    if (p->is_note) {
        json_array_append_new(json_object_get(pr->json, "notes"),
                              json_pack("{s:s,s:I,s:s}", "kind", name, "segment",
                                        (json_int_t)p->segment, "detail", p->detail));
        return;
    }
    json_t *doc = json_pack("{s:s}", "kind", name);
    if (p->seq > 0)
        json_object_set_new(doc, "seq", json_integer(p->seq));
    if (p->segment > 0)
        json_object_set_new(doc, "segment", json_integer(p->segment));
    json_object_set_new(doc, "detail", json_string(p->detail));
    json_array_append_new(json_object_get(pr->json, "problems"), doc);
}

static void print_receipt(void *ctx, const dc_audit_receipt *r, const char *in, int as_issued)
{
    struct printer *pr = ctx;
    if (pr->json != NULL && in == NULL)
        json_array_append_new(json_object_get(pr->json, "receipts"),
                              json_pack("{s:s,s:I,s:n,s:b}", "receipt", r->label, "seq",
                                        (json_int_t)r->seq, "in", "as_issued", 0));
    else if (pr->json != NULL)
        json_array_append_new(json_object_get(pr->json, "receipts"),
                              json_pack("{s:s,s:I,s:s,s:b}", "receipt", r->label, "seq",
                                        (json_int_t)r->seq, "in", in, "as_issued", as_issued));
    else if (as_issued)
        printf("receipt %s (seq %lld): in %s, as issued\n", r->label, (long long)r->seq, in);
}

/* A fault of a segment read on its own (`--segment`). */
static void segment_problem(void *ctx, const char *message)
{
    dc_audit_problem p = {DC_AUDIT_SEGMENT_CONTENT, 0, 0, 0, ""};
    dc_copy_text(p.detail, sizeof p.detail, message);
    print_problem(ctx, &p);
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
    struct printer v = {NULL, 0};
    uint8_t key[DC_PUBLIC_KEY_BYTES], signer[DC_PUBLIC_KEY_BYTES];
    if (pinned != NULL && dc_unhex(pinned, key, DC_PUBLIC_KEY_BYTES) != DC_OK) {
        fprintf(stderr, "deconflict audit: --public-key takes %d hex digits\n",
                2 * DC_PUBLIC_KEY_BYTES);
        return 2;
    }
    v.json = json ? verify_doc() : NULL;
    dc_segment got;
    if (dc_archive_read(path, -1, pinned ? key : NULL, NULL, segment_problem, &v, &got, signer) !=
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

static int parse_receipt(const char *text, dc_audit_receipt *out)
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
    dc_audit_receipt *items;
    size_t count, capacity;
};

static dc_audit_receipt *receipt_slot(struct receipts *l)
{
    dc_audit_receipt *grown = dc_grow(l->items, &l->capacity, l->count, sizeof *grown, 64);
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
    dc_audit_receipt *r = receipt_slot(l);
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
    int64_t x = ((const dc_audit_receipt *)a)->seq, y = ((const dc_audit_receipt *)b)->seq;
    return (x > y) - (x < y);
}

void dc_cli_audit_archive_dir(const char *db, const char *given, char *out, size_t size)
{
    if (given != NULL)
        snprintf(out, size, "%s", given);
    else if (dc_store_location_shared(db))
        snprintf(out, size, "%s", ""); /* a shared store's archive is named by --archive only */
    else
        snprintf(out, size, "%s.archive", db);
}

/* The figures of a store's verification, as a line or as the document's members. */
static void print_report(const char *db, const char *dir, const dc_audit_verify_report *r,
                         size_t receipt_count, json_t *json)
{
    char pk[2 * DC_PUBLIC_KEY_BYTES + 1], head[2 * DC_HASH_BYTES + 1], shown[512];
    dc_store_location_text(db, shown, sizeof shown); /* a URI's password is never printed */
    db = shown;
    dc_hex(r->public_key, DC_PUBLIC_KEY_BYTES, pk);
    dc_hex(r->head, DC_HASH_BYTES, head);
    if (json != NULL) {
        json_object_update_new(
            json, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "store", db, "archive",
                            dir, "records", (json_int_t)r->records, "signatures",
                            (json_int_t)r->signed_records, "archived_records",
                            (json_int_t)r->archived_records, "segments", (json_int_t)r->segments,
                            "objects", (json_int_t)r->objects, "receipts_checked",
                            (json_int_t)receipt_count, "public_key", pk, "head", head));
        finish_doc(json, r->problems);
        return;
    }
    printf("audit verify: %zu records (%zu signed; %zu in %lld archive segments), %zu objects, key"
           " %s, head %s: %s (%zu problems)\n",
           r->records, r->signed_records, r->archived_records, (long long)r->segments, r->objects,
           pk, head, r->problems ? "FAILED" : "OK", r->problems);
}

static int verify(const char *db, const char *archive_dir, const char *pinned,
                  dc_audit_receipt *receipts, size_t receipt_count, json_t **report)
{
    if (report != NULL)
        *report = NULL;
    if (dc_cli_store_present("deconflict audit", db) != 0)
        return 2;
    uint8_t key[DC_PUBLIC_KEY_BYTES];
    if (pinned != NULL && dc_unhex(pinned, key, DC_PUBLIC_KEY_BYTES) != DC_OK) {
        fprintf(stderr, "deconflict audit: --public-key takes %d hex digits\n",
                2 * DC_PUBLIC_KEY_BYTES);
        return 2;
    }
    dc_store *store;
    dc_error err;
    if (dc_store_open(db, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict audit: %s\n", err.message);
        return 2;
    }
    char dir[1100];
    dc_cli_audit_archive_dir(db, archive_dir, dir, sizeof dir);
    struct printer pr = {report != NULL ? verify_doc() : NULL, 0};
    dc_audit_verify_options options = {
        dir, pinned != NULL ? key : NULL, receipts, receipt_count, print_problem, print_receipt,
        &pr};
    dc_audit_verify_report found;
    dc_status rc = dc_audit_verify_store(store, &options, &found, &err);
    dc_store_close(store);
    if (rc != DC_OK) {
        if (rc == DC_NOT_FOUND)
            fprintf(stderr, "deconflict audit: no server key in %s\n", db);
        else
            fprintf(stderr, "deconflict audit: %s\n", err.message);
        json_decref(pr.json);
        return 2;
    }
    print_report(db, dir, &found, receipt_count, pr.json);
    if (report != NULL)
        *report = pr.json;
    return found.problems ? 1 : 0;
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
            dc_audit_receipt *r = receipt_slot(&receipts);
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
