/* audit.c - `deconflict audit verify|who-saw`: re-walk the chain; answer who was told about an
 * object */
#include "cli.h"
#include "deconflict/store.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict audit verify --db FILE [--public-key HEX]\n"
    "       deconflict audit who-saw OBJECT --db FILE\n"
    "\n"
    "verify   re-walks the audit chain: every record's hash over its fields and\n"
    "         the previous hash, every Ed25519 signature (by the store's server key,\n"
    "         or the --public-key you pinned from a receipt or /v1/health), that\n"
    "         every unsigned record (alerts) has a signed one after it, the\n"
    "         sequence without gaps, and every object row against the digest its\n"
    "         last write recorded (and the spatial index against the volumes).\n"
    "         Exit 0 when all holds, 1 with each problem listed otherwise.\n"
    "who-saw  lists every party that was told anything about OBJECT (as audit\n"
    "         records name it: kind/owner/id, e.g. intent/russia/su24-1): notices\n"
    "         of conflicts and reads through a grant, with when and what. For a\n"
    "         party (party/NAME): what the operator did to it (keys issued and\n"
    "         revoked, priority ceilings).\n";

struct verify {
    uint8_t public_key[DC_PUBLIC_KEY_BYTES];
    uint8_t prev[DC_HASH_BYTES];
    int64_t expected_seq;
    size_t records, problems, objects, signed_records;
    int64_t uncovered; /* first unsigned record since the last signed one, or 0 */
    json_t *digests;   /* object ref -> last written digest hex, or null once deleted */
};

static void problem(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct verify *v, const char *fmt, ...)
{
    v->problems++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int check_record(void *ctx, const dc_audit_record *r)
{
    struct verify *v = ctx;
    v->records++;
    if (r->seq != v->expected_seq)
        problem(v, "record %lld is out of sequence (a record is missing or renumbered)",
                (long long)r->seq);
    if (memcmp(r->prev_hash, v->prev, DC_HASH_BYTES) != 0)
        problem(v, "record %lld does not chain to the record before it", (long long)r->seq);
    dc_error err;
    if (dc_audit_check(r, v->public_key, &err) != DC_OK)
        problem(v, "%s", err.message);
    if (dc_audit_signed(r)) {
        v->signed_records++;
        v->uncovered = 0;
    } else if (v->uncovered == 0) {
        v->uncovered = r->seq;
    }
    memcpy(v->prev, r->hash, DC_HASH_BYTES);
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

static int check_row(void *ctx, const char *ref, const uint8_t *digest)
{
    struct verify *v = ctx;
    v->objects++;
    char hex[2 * DC_HASH_BYTES + 1];
    dc_hex(digest, DC_HASH_BYTES, hex);
    json_t *want = json_object_get(v->digests, ref);
    if (want == NULL || !json_is_string(want))
        problem(v, "object %s has no write in the audit log", ref);
    else if (strcmp(json_string_value(want), hex) != 0)
        problem(v, "object %s differs from what its last audited write recorded", ref);
    json_object_set_new(v->digests, ref, json_false()); /* seen */
    return 0;
}

static int verify(const char *db, const char *pinned)
{
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
    uint8_t sk[DC_SECRET_KEY_BYTES];
    int status = 0;
    dc_store_begin(store, 1);
    if (pinned != NULL) {
        if (dc_unhex(pinned, v.public_key, DC_PUBLIC_KEY_BYTES) != DC_OK) {
            fprintf(stderr, "deconflict audit: --public-key takes %d hex digits\n",
                    2 * DC_PUBLIC_KEY_BYTES);
            status = 2;
        }
    } else if (dc_store_server_key(store, v.public_key, sk) != DC_OK) {
        fprintf(stderr, "deconflict audit: no server key in %s\n", db);
        status = 2;
    }
    if (status == 0) {
        if (dc_store_audit_walk(store, NULL, check_record, &v) != DC_OK)
            problem(&v, "the audit table cannot be read");
        if (v.uncovered != 0)
            problem(
                &v,
                "records %lld to %lld are unsigned and no signed record follows to vouch for them",
                (long long)v.uncovered, (long long)v.expected_seq - 1);
        if (dc_store_verify_rows(store, check_row, &v, &err) != DC_OK)
            problem(&v, "%s", err.message);
        const char *ref;
        json_t *value;
        json_object_foreach(v.digests, ref, value) if (json_is_string(value))
            problem(&v, "object %s was written and never deleted, but its row is gone", ref);
        char pk[2 * DC_PUBLIC_KEY_BYTES + 1], head[2 * DC_HASH_BYTES + 1];
        dc_hex(v.public_key, DC_PUBLIC_KEY_BYTES, pk);
        dc_hex(v.prev, DC_HASH_BYTES, head);
        printf(
            "audit verify: %zu records (%zu signed), %zu objects, key %s, head %s: %s (%zu problems)\n",
            v.records, v.signed_records, v.objects, pk, head, v.problems ? "FAILED" : "OK",
            v.problems);
        status = v.problems ? 1 : 0;
    }
    dc_store_rollback(store); /* verify changes nothing */
    json_decref(v.digests);
    dc_store_close(store);
    return status;
}

struct who {
    json_t *parties;
    size_t lines;
    char owner[DC_ID_MAX]; /* the object's own party: not a disclosure to tell */
};

static int print_disclosure(void *ctx, const dc_audit_record *r)
{
    struct who *w = ctx;
    /* notices, reads through a grant, and alerts (another party's aircraft in a separation
     * alert is audited under that aircraft's track); and a party's own record: what the operator
     * did to it (a key issued or revoked, a ceiling) */
    int about_party = strncmp(r->action, "party.", 6) == 0;
    if (r->recipients[0] == '\0' ||
        (strcmp(r->action, "notice") != 0 && strcmp(r->action, "read") != 0 &&
         strcmp(r->action, "alert") != 0 && !about_party))
        return 0;
    char t[32];
    if (dc_time_format(r->time, t, sizeof t) != DC_OK)
        snprintf(t, sizeof t, "?"); /* a record's time the chain vouches for, whatever it is */
    if (about_party)
        printf("%s  %-12s %s by %s, seq %lld  %s\n", t, r->recipients, r->action, r->actor,
               (long long)r->seq, r->detail);
    else
        printf("%s  %-12s %-7s seq %lld  %s\n", t, r->recipients, r->action, (long long)r->seq,
               r->detail);
    char copy[sizeof r->recipients];
    dc_copy_text(copy, sizeof copy, r->recipients);
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
        if (strcmp(p, w->owner) != 0)
            json_object_set_new(w->parties, p, json_true());
    w->lines++;
    return 0;
}

static int who_saw(const char *db, const char *object)
{
    dc_store *store;
    dc_error err;
    if (dc_store_open(db, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict audit: %s\n", err.message);
        return 2;
    }
    struct who w = {json_object(), 0, ""};
    const char *owner = strchr(object, '/');
    if (owner != NULL)
        snprintf(w.owner, sizeof w.owner, "%.*s", (int)strcspn(owner + 1, "/"), owner + 1);
    dc_store_begin(store, 0);
    dc_status rc = dc_store_audit_walk(store, object, print_disclosure, &w);
    dc_store_rollback(store);
    printf("parties:");
    const char *party;
    json_t *value;
    json_object_foreach(w.parties, party, value) printf(" %s", party);
    printf("%s\n", json_object_size(w.parties) ? "" : " (none)");
    json_decref(w.parties);
    dc_store_close(store);
    return rc == DC_OK ? 0 : 2;
}

int dc_cli_audit(int argc, char **argv)
{
    const char *db = NULL, *pinned = NULL, *object = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc)
            pinned = argv[++i];
        else if (argv[i][0] != '-' && object == NULL)
            object = argv[i];
        else {
            fprintf(stderr, "deconflict audit: unexpected '%s'\n%s", argv[i], help);
            return 2;
        }
    }
    if (db == NULL) {
        fprintf(stderr, "deconflict audit: --db FILE is required\n");
        return 2;
    }
    if (strcmp(argv[1], "verify") == 0 && object == NULL)
        return verify(db, pinned);
    if (strcmp(argv[1], "who-saw") == 0 && object != NULL)
        return who_saw(db, object);
    fputs(help, stderr);
    return 2;
}
