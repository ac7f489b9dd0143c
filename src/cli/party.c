/* party.c - `deconflict party create|rotate|revoke|ceiling|emergency|show`: the operator's party
 * management on the store file, as `deconflict audit` works on it (a running server sees each
 * change at its next request) */
#include "cli.h"
#include "deconflict/party_admin.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict party add NAME --server URL [--notation dd|dm|dms|mgrs|utm]\n"
    "                            [--priority-ceiling N] [--operator-key-file FILE] [--json]\n"
    "       deconflict party list --server URL [--operator-key-file FILE] [--json]\n"
    "       deconflict party show|rotate|revoke NAME --server URL [--operator-key-file FILE]\n"
    "                            [--json]\n"
    "   or, on the store file (the server's --db; it may be running), or a PostgreSQL store\n"
    "   with --key-file FILE (the servers' signing key; default $DECONFLICT_KEY_FILE):\n"
    "       deconflict party add|create NAME --db FILE [--notation dd|dm|dms|mgrs|utm]\n"
    "                               [--priority-ceiling N] [--json]\n"
    "       deconflict party list --db FILE [--json]\n"
    "       deconflict party rotate|revoke|show NAME --db FILE [--json]\n"
    "       deconflict party ceiling NAME N --db FILE [--json]\n"
    "       deconflict party emergency NAME --area-km2 A --validity-s S --db FILE [--json]\n"
    "       deconflict party limits NAME --db FILE [--writes R/B|default]\n"
    "                               [--messages R/B|default] [--reports R/B|default] [--json]\n"
    "\n"
    "The operator's hand on parties. With --server, through the running server's API with the\n"
    "operator key: --operator-key-file FILE (deconflictd prints where its key is when it\n"
    "starts), else the key itself in $DC_OPERATOR_KEY. With --db, through the store file. Each\n"
    "change is one transaction with its signed audit record (actor operator, object\n"
    "party/NAME), the same either way.\n"
    "add      a new party and its key, printed once; its priority ceiling is N\n"
    "         (default 10); `create` is the same\n"
    "list     every party: notation, priority ceiling, whether its key is active\n"
    "rotate   a new key for NAME, printed once; the old key stops working at once\n"
    "revoke   NAME's key stops working at once; `rotate` issues a new one\n"
    "ceiling  the highest priority NAME's intents and hazards may have, 0..100\n"
    "show     NAME's notation, priority ceiling, emergency grant and counts, whether its key\n"
    "         is active, its limits\n"
    "limits   NAME's own fair-use buckets: R a second in bursts of B, for writes (object\n"
    "         PUT/DELETE, grants), messages sent, position reports (each counted);\n"
    "         `default` goes back to the server's (--rate-*); classes not named keep theirs.\n"
    "         A running server applies them at NAME's next request\n"
    "emergency  NAME may declare emergencies of at most A km2 a volume, valid S s before\n"
    "         renewal (0 and 0: none)\n"
    "--json   one JSON document on standard output (the party; its key when one is issued)\n"
    "Exit 0 when done, 1 when refused (the reason on standard error), 2 for a usage error.\n";

/* --json: the party (and a key issued, an audit record) as one document instead of text */
static int as_json;

static json_t *party_doc(const dc_party *p)
{
    json_t *limits = json_object();
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        const dc_rate *l = &p->limits[c];
        json_object_set_new(limits, dc_rate_class_name((dc_rate_class)c),
                            l->per_s > 0 || l->burst > 0
                                ? json_pack("{s:f,s:f}", "per_s", l->per_s, "burst", l->burst)
                                : json_null());
    }
    json_t *doc = json_pack("{s:s,s:s,s:i,s:s,s:o}", "name", p->name, "notation", p->notation,
                            "priority_ceiling", p->priority_ceiling, "key",
                            p->key_active ? "active" : "revoked", "limits", limits);
    if (p->emergency_validity_s > 0)
        json_object_set_new(doc, "emergency",
                            json_pack("{s:f,s:I}", "max_area_km2", p->emergency_area_km2,
                                      "max_validity_s", (json_int_t)p->emergency_validity_s));
    return doc;
}

static void print_doc(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(doc);
}

/* 0..DC_PRIORITY_MAX in decimal digits only, or -1. */
static int ceiling_arg(const char *text)
{
    int v = 0;
    if (text == NULL || text[0] == '\0' || strlen(text) > 3)
        return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v <= DC_PRIORITY_MAX ? v : -1;
}

static void print_party(const dc_party *p)
{
    if (as_json) {
        print_doc(party_doc(p));
        return;
    }
    printf("party %s: notation %s, priority ceiling %d, key %s\n", p->name, p->notation,
           p->priority_ceiling, p->key_active ? "active" : "revoked");
    printf("limits:");
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        const dc_rate *l = &p->limits[c];
        if (l->per_s > 0 || l->burst > 0)
            printf(" %s %g/%g", dc_rate_class_name((dc_rate_class)c), l->per_s > 0 ? l->per_s : 0,
                   l->burst > 0 ? l->burst : 0);
        else
            printf(" %s default", dc_rate_class_name((dc_rate_class)c));
    }
    printf(" (0: the server's default)\n");
    if (p->emergency_validity_s > 0)
        printf("emergencies: at most %g km2 a volume, valid %lld s before renewal\n",
               p->emergency_area_km2, (long long)p->emergency_validity_s);
    else
        printf("emergencies: not granted\n");
}

/* `party limits`: the classes named on the command line, "default" clearing one. */
static int limits(dc_store *store, const char *name, const char *const values[DC_RATE_CLASSES])
{
    dc_rate rates[DC_RATE_CLASSES];
    int set[DC_RATE_CLASSES];
    memset(rates, 0, sizeof rates);
    for (int c = 0; c < DC_RATE_CLASSES; c++) {
        set[c] = values[c] != NULL;
        if (set[c] && strcmp(values[c], "default") != 0 && !dc_rate_parse(values[c], &rates[c])) {
            fprintf(stderr,
                    "deconflict party: --%s is RATE/BURST (e.g. 5/50: 5 a second, bursts of 50)"
                    " or default, not '%s'\n",
                    dc_rate_class_name((dc_rate_class)c), values[c]);
            return 2;
        }
    }
    uint8_t public_key[DC_PUBLIC_KEY_BYTES], secret_key[DC_SECRET_KEY_BYTES];
    dc_status rc = dc_store_begin(store, 1);
    if (rc == DC_OK) {
        rc = dc_store_server_key(store, public_key, secret_key);
        rc = dc_store_finish(store, rc);
    }
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict party: the store's signing key cannot be read\n");
        return 1;
    }
    dc_party_admin_result *r = dc_malloc(sizeof *r);
    dc_error err;
    rc = r == NULL
             ? DC_NOMEM
             : dc_party_admin_set_limits(store, secret_key, "operator", name, rates, set, r, &err);
    sodium_memzero(secret_key, sizeof secret_key);
    if (rc == DC_OK && as_json) {
        json_t *doc = party_doc(&r->party);
        json_object_set_new(doc, "audit_record", json_integer(r->receipt.seq));
        print_doc(doc);
    } else if (rc == DC_OK) {
        print_party(&r->party);
        printf("audit record %lld\n", (long long)r->receipt.seq);
    } else {
        fprintf(stderr, "deconflict party: %s: %s\n", dc_status_name(rc),
                r == NULL ? "out of memory" : err.message);
    }
    dc_free(r);
    return rc == DC_OK ? 0 : 1;
}

static int print_count(void *ctx, const char *party, const char *what, int64_t n)
{
    (void)ctx;
    printf("emergencies %s by %s: %lld\n", what, party, (long long)n);
    return 0;
}

/* A non-negative decimal number (the whole text), or -1. */
static double number_arg(const char *text)
{
    char *end = NULL;
    errno = 0;
    double v = text != NULL && text[0] != '\0' ? strtod(text, &end) : -1;
    return end == NULL || *end != '\0' || errno != 0 || !isfinite(v) || v < 0 ? -1 : v;
}

static int show(dc_store *store, const char *name)
{
    dc_party p;
    dc_status rc = dc_store_begin(store, 0);
    if (rc == DC_OK) {
        rc = dc_store_party_get(store, name, &p);
        if (rc == DC_OK)
            print_party(&p);
        if (rc == DC_OK && !as_json)
            rc = dc_store_emergency_counts(store, name, print_count, NULL);
        dc_store_rollback(store);
    }
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict party: %s\n",
                rc == DC_NOT_FOUND ? "no such party" : "the store cannot be read");
        return 1;
    }
    return 0;
}

/* The use case the command names, with the server's signing key. */
static int change(dc_store *store, const char *command, const char *name, const char *notation,
                  int ceiling, double area_km2, double validity_s)
{
    uint8_t public_key[DC_PUBLIC_KEY_BYTES], secret_key[DC_SECRET_KEY_BYTES];
    dc_party_admin_result r;
    dc_error err;
    dc_status rc = dc_store_begin(store, 1);
    if (rc == DC_OK) {
        rc = dc_store_server_key(store, public_key, secret_key);
        rc = dc_store_finish(store, rc);
    }
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict party: the store's signing key cannot be read\n");
        return 1;
    }
    if (strcmp(command, "create") == 0)
        rc =
            dc_party_admin_create(store, secret_key, "operator", name, notation, ceiling, &r, &err);
    else if (strcmp(command, "rotate") == 0)
        rc = dc_party_admin_rotate_key(store, secret_key, "operator", name, &r, &err);
    else if (strcmp(command, "revoke") == 0)
        rc = dc_party_admin_revoke_key(store, secret_key, "operator", name, &r, &err);
    else if (strcmp(command, "emergency") == 0)
        rc = dc_party_admin_set_emergency(store, secret_key, "operator", name, area_km2,
                                          (int64_t)fmin(validity_s, 1e12), &r, &err);
    else
        rc = dc_party_admin_set_ceiling(store, secret_key, "operator", name, ceiling, &r, &err);
    sodium_memzero(secret_key, sizeof secret_key);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict party: %s: %s\n", dc_status_name(rc), err.message);
        return 1;
    }
    if (as_json) {
        json_t *doc = party_doc(&r.party);
        if (r.key[0] != '\0')
            json_object_set_new(doc, "issued_key", json_string(r.key));
        json_object_set_new(doc, "audit_record", json_integer(r.receipt.seq));
        print_doc(doc);
    } else {
        print_party(&r.party);
        if (r.key[0] != '\0')
            printf("key: %s\n", r.key);
        printf("audit record %lld\n", (long long)r.receipt.seq);
    }
    sodium_memzero(r.key, sizeof r.key);
    return 0;
}

static int list_one(void *ctx, const dc_party *p)
{
    if (ctx != NULL)
        json_array_append_new(ctx, party_doc(p));
    else
        printf("%-20s notation %-4s priority ceiling %3d  key %s\n", p->name, p->notation,
               p->priority_ceiling, p->key_active ? "active" : "revoked");
    return 0;
}

static int list_local(dc_store *store)
{
    json_t *items = as_json ? json_array() : NULL;
    dc_status rc = dc_store_begin(store, 0);
    if (rc == DC_OK) {
        rc = dc_store_parties(store, list_one, items);
        dc_store_rollback(store);
    }
    if (rc != DC_OK) {
        json_decref(items);
        fprintf(stderr, "deconflict party list: the store cannot be read\n");
        return 1;
    }
    if (items != NULL)
        print_doc(json_pack("{s:o}", "items", items));
    return 0;
}

int dc_cli_party(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *command = argv[1], *db = NULL, *notation = NULL, *name = NULL, *value = NULL;
    const char *rates[DC_RATE_CLASSES] = {NULL, NULL, NULL};
    const char *area = NULL, *validity = NULL, *server = NULL, *key_file = NULL;
    const char *signing_key = getenv("DECONFLICT_KEY_FILE");
    int ceiling = -1, is_limits = strcmp(command, "limits") == 0;
    if (strcmp(command, "add") == 0)
        command = "create";
    as_json = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc) {
            signing_key = argv[++i];
        } else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc) {
            server = argv[++i];
        } else if (strcmp(argv[i], "--operator-key-file") == 0 && i + 1 < argc) {
            key_file = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (is_limits && strcmp(argv[i], "--writes") == 0 && i + 1 < argc) {
            rates[DC_RATE_WRITES] = argv[++i];
        } else if (is_limits && strcmp(argv[i], "--messages") == 0 && i + 1 < argc) {
            rates[DC_RATE_MESSAGES] = argv[++i];
        } else if (is_limits && strcmp(argv[i], "--reports") == 0 && i + 1 < argc) {
            rates[DC_RATE_REPORTS] = argv[++i];
        } else if (strcmp(argv[i], "--area-km2") == 0 && i + 1 < argc) {
            area = argv[++i];
        } else if (strcmp(argv[i], "--validity-s") == 0 && i + 1 < argc) {
            validity = argv[++i];
        } else if (strcmp(argv[i], "--notation") == 0 && i + 1 < argc) {
            notation = argv[++i];
        } else if (strcmp(argv[i], "--priority-ceiling") == 0 && i + 1 < argc) {
            value = argv[++i];
        } else if (argv[i][0] != '-' && name == NULL) {
            name = argv[i];
        } else if (argv[i][0] != '-' && value == NULL && strcmp(command, "ceiling") == 0) {
            value = argv[i];
        } else {
            fprintf(stderr, "deconflict party: unexpected '%s'\n%s", argv[i], help);
            return 2;
        }
    }
    int is_list = strcmp(command, "list") == 0;
    if (server != NULL || (db == NULL && key_file != NULL)) {
        if (db != NULL) {
            fputs("deconflict party: --server or --db, not both\n", stderr);
            return 2;
        }
        if (area != NULL || validity != NULL || is_limits ||
            (value != NULL && strcmp(command, "create") != 0)) {
            fprintf(stderr,
                    "deconflict party %s: with --server: add, list, show, rotate, "
                    "revoke; the rest with --db FILE\n",
                    argv[1]);
            return 2;
        }
        if (notation != NULL && strcmp(command, "create") != 0) {
            fputs("deconflict party: --notation is for add\n", stderr);
            return 2;
        }
        return dc_cli_party_remote(command, server, key_file, name, notation, value, as_json);
    }
    if (db == NULL) {
        fprintf(stderr,
                "deconflict party %s: --server URL (a running server) or --db FILE (its "
                "store) is required\n",
                argv[1]);
        return 2;
    }
    int known = strcmp(command, "create") == 0 || strcmp(command, "rotate") == 0 ||
                strcmp(command, "revoke") == 0 || strcmp(command, "ceiling") == 0 ||
                strcmp(command, "show") == 0 || is_limits || strcmp(command, "emergency") == 0 ||
                is_list;
    int is_emergency = strcmp(command, "emergency") == 0;
    int takes_value = strcmp(command, "create") == 0 || strcmp(command, "ceiling") == 0;
    if (!known || (name == NULL) != is_list || (value != NULL && !takes_value) ||
        (notation != NULL && strcmp(command, "create") != 0) ||
        (strcmp(command, "ceiling") == 0 && value == NULL) ||
        (is_emergency != (area != NULL) || is_emergency != (validity != NULL))) {
        fputs(help, stderr);
        return 2;
    }
    if (value != NULL && (ceiling = ceiling_arg(value)) < 0) {
        fprintf(stderr, "deconflict party: a priority ceiling is 0..%d, not '%s'\n",
                DC_PRIORITY_MAX, value);
        return 2;
    }
    double area_km2 = number_arg(area), validity_s = number_arg(validity);
    if (is_emergency && (area_km2 < 0 || validity_s < 0 || validity_s != floor(validity_s))) {
        fprintf(stderr, "deconflict party: --area-km2 is a number of km2, --validity-s a whole "
                        "number of seconds\n");
        return 2;
    }
    dc_store *store;
    dc_error err;
    if (dc_store_open_keyed(db, signing_key, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict party: %s\n", err.message);
        return 2;
    }
    int status = is_list                        ? list_local(store)
                 : strcmp(command, "show") == 0 ? show(store, name)
                 : is_limits
                     ? limits(store, name, rates)
                     : change(store, command, name, notation, ceiling, area_km2, validity_s);
    dc_store_close(store);
    return status;
}
