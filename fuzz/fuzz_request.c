/* fuzz_request.c - libFuzzer target: whole requests through the router and every handler
 * (dc_api_handle) against one temporary SQLite store per process, in-process and as server.c
 * drives them (authentication, the path check, query arguments). No request gets a 5xx or an
 * answer without a body; a refused one (4xx) changes nothing in the store, but for a submission
 * refused over a conflict, which keeps only its disclosures and their audit.
 *
 * An input is an HTTP-like text:
 *     METHOD TARGET\n
 *     Header: value\n        (Authorization, Last-Event-ID; others ignored)
 *     \n
 *     body
 * "Authorization: Bearer alpha" (bravo, charlie, operator) stands for that party's key, which is
 * made afresh in every process; any other value is looked up as a key, as the server would. */
#include "../src/api/api_internal.h"
#include "deconflict/party_admin.h"
#include "fuzz_common.h"

#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

static dc_api api;
static sqlite3 *watcher; /* a connection of our own to the store file: what changed */
static char keys[4][DC_KEY_TEXT_MAX];
static const char *const names[4] = {"alpha", "bravo", "charlie", "operator"};
static char tables[32][64];
static size_t table_count;

/* Tables a submission refused over a conflict may write: its disclosures, as the design says. */
static int disclosure_table(const char *name)
{
    static const char *const allowed[] = {"audit",          "notices",   "disclosures",
                                          "site_refusals",  "alert_log", "alert_inbox",
                                          "alert_episodes", NULL};
    for (int i = 0; allowed[i] != NULL; i++)
        if (strcmp(name, allowed[i]) == 0)
            return 1;
    return 0;
}

struct digest {
    long long rows[32]; /* per table */
    unsigned char hash[32][crypto_generichash_BYTES];
};

static long long one_number(const char *sql)
{
    sqlite3_stmt *st = NULL;
    FUZZ_CHECK(sqlite3_prepare_v2(watcher, sql, -1, &st, NULL) == SQLITE_OK);
    FUZZ_CHECK(sqlite3_step(st) == SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Every row of every table, hashed: an update shows as well as an insert. The store stays small
 * (what the fuzzer manages to write), so this costs little. */
static void take_digest(struct digest *d)
{
    char sql[160];
    FUZZ_CHECK(sqlite3_exec(watcher, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
    for (size_t t = 0; t < table_count; t++) {
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", tables[t]);
        sqlite3_stmt *st = NULL;
        FUZZ_CHECK(sqlite3_prepare_v2(watcher, sql, -1, &st, NULL) == SQLITE_OK);
        crypto_generichash_state h;
        crypto_generichash_init(&h, NULL, 0, sizeof d->hash[t]);
        long long count = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            count++;
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const void *blob = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                int type = sqlite3_column_type(st, c);
                crypto_generichash_update(&h, (const unsigned char *)&type, sizeof type);
                crypto_generichash_update(&h, (const unsigned char *)&n, sizeof n);
                if (n > 0)
                    crypto_generichash_update(&h, blob, (unsigned long long)n);
            }
        }
        sqlite3_finalize(st);
        crypto_generichash_final(&h, d->hash[t], sizeof d->hash[t]);
        d->rows[t] = count;
    }
    FUZZ_CHECK(sqlite3_exec(watcher, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
}

/* The digest of the store as it stands, hashed again only when another connection has committed
 * since (sqlite's data_version says so): most requests write nothing, and hashing every table
 * twice a run was most of its time. */
static struct digest current;
static long long current_version = -1;

static void refresh_digest(void)
{
    long long version = one_number("PRAGMA data_version");
    if (version != current_version) {
        take_digest(&current);
        current_version = version;
    }
}

static void request_as(const char *method, const char *path, const char *who, const char *body,
                       int expect);

static const char *no_query(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

static char dir[64], db[96];

/* The store and its files go with the process. */
static void teardown(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    sqlite3_close(watcher);
    dc_store_close(api.svc.store);
    dc_monitor_free(api.svc.monitor);
    for (int i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void setup(void)
{
    /* in memory where there is a tmpfs: every write of the store is synced, and a disk would make
     * that most of the time of a run */
    snprintf(dir, sizeof dir, "%s/dc-fuzz-request-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    FUZZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/store.db", dir);
    atexit(teardown);
    dc_error err;
    FUZZ_CHECK(dc_audit_init() == DC_OK);
    dc_store *store = NULL;
    FUZZ_CHECK(dc_store_open(db, &store, &err) == DC_OK);
    FUZZ_CHECK(dc_service_init(&api.svc, store, &err) == DC_OK);
    FUZZ_CHECK(dc_party_key_new(keys[3]) == DC_OK);
    FUZZ_CHECK(dc_party_key_hash(keys[3], api.operator_hash) == DC_OK);
    api.body_limit = DC_API_BODY_LIMIT_DEFAULT;
    api.svc.work_budget = DC_API_WORK_BUDGET_DEFAULT;
    dc_retention retention;
    dc_retention_default(db, &retention);
    api.svc.alert_episode_us = dc_retention_episode_us(&retention);
    dc_monitor_config mc = dc_monitor_config_default();
    FUZZ_CHECK(dc_monitor_new(&mc, &api.svc.monitor) == DC_OK);
    for (int i = 0; i < 3; i++) {
        dc_party_admin_result r;
        FUZZ_CHECK(dc_party_admin_create(api.svc.store, api.svc.secret_key, "operator", names[i],
                                         i == 1 ? "mgrs" : NULL, -1, &r, &err) == DC_OK);
        memcpy(keys[i], r.key, sizeof keys[i]);
    }
    /* Something for every route to find: alpha's intent, zone and site, bravo's message to alpha,
     * a grant. */
    request_as("PUT", "/v1/intents/existing", "alpha",
               "{\"priority\":5,\"volumes\":[{\"outline_circle\":{\"center\":\"40N 29E\","
               "\"radius\":2000},\"altitude_lower\":0,\"altitude_upper\":3000,"
               "\"time_start\":\"2031-09-01T10:00:00Z\",\"time_end\":\"2031-09-01T11:00:00Z\"}]}",
               201);
    request_as("PUT", "/v1/zones/restricted", "alpha",
               "{\"admitted\":[\"charlie\"],\"volumes\":[{\"outline_polygon\":{\"vertices\":"
               "[\"41N 30E\",\"41N 30.2E\",\"41.2N 30.2E\",\"41.2N 30E\"]},\"altitude_lower\":0,"
               "\"altitude_upper\":10000,\"time_start\":\"2031-01-01T00:00:00Z\","
               "\"time_end\":\"2032-01-01T00:00:00Z\"}]}",
               201);
    request_as("PUT", "/v1/sites/unit", "alpha",
               "{\"location\":\"36.37N 37.52E\",\"radius\":500,\"time_start\":"
               "\"2031-09-01T00:00:00Z\",\"time_end\":\"2031-09-02T00:00:00Z\"}",
               201);
    request_as("POST", "/v1/messages", "bravo",
               "{\"to\":\"alpha\",\"text\":\"strike at\",\"coordinates\":[\"37SCA6750026200\"]}",
               201);
    request_as("POST", "/v1/grants", "alpha", "{\"grantee\":\"charlie\",\"kind\":\"intent\"}", 201);
    FUZZ_CHECK(sqlite3_open_v2(db, &watcher, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    FUZZ_CHECK(sqlite3_prepare_v2(watcher,
                                  "SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                  -1, &st, NULL) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW && table_count < 32)
        snprintf(tables[table_count++], sizeof tables[0], "%s",
                 (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static void response_clear(dc_api_response *res)
{
    json_decref(res->json);
    free(res->text);
    memset(res, 0, sizeof *res);
}

static void request_as(const char *method, const char *path, const char *who, const char *body,
                       int expect)
{
    dc_api_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.body = body;
    req.body_length = strlen(body);
    req.query = no_query;
    char auth[80];
    for (int i = 0; i < 4; i++)
        if (strcmp(who, names[i]) == 0)
            snprintf(auth, sizeof auth, "Bearer %s", keys[i]);
    dc__api_authenticate(&api, auth, &req);
    dc_api_response res;
    memset(&res, 0, sizeof res);
    dc_api_handle(&api, &req, &res);
    if (res.status != expect) {
        char *text = res.json ? json_dumps(res.json, 0) : NULL;
        fprintf(stderr, "setup: %s %s answered %d: %s\n", method, path, res.status,
                text ? text : "");
        abort();
    }
    response_clear(&res);
}

/* ---- one input as a request ---- */

struct query {
    size_t count;
    char *names[32], *values[32];
};

static const char *query_arg(void *ctx, const char *name)
{
    struct query *q = ctx;
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->names[i], name) == 0)
            return q->values[i];
    return NULL;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decoding in place, '+' as a space in a query (libmicrohttpd's). 0 when the text would
 * decode to a NUL, which the server refuses before any handler. */
static int unescape(char *s, int plus)
{
    char *out = s;
    for (char *p = s; *p != '\0'; p++) {
        if (*p == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
            *out = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
            p += 2;
            if (*out == '\0')
                return 0;
            out++;
        } else {
            *out++ = plus && *p == '+' ? ' ' : *p;
        }
    }
    *out = '\0';
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 262144)
        return 0;
    if (api.svc.store == NULL)
        setup();
    char *text = fuzz_text(data, size);
    if (text == NULL)
        return 0;
    /* The head ends at the first empty line; its lines hold no NUL (libmicrohttpd refuses one). */
    char *end = strstr(text, "\n\n");
    size_t head_length = end ? (size_t)(end - text) : strlen(text);
    const char *body = end ? end + 2 : text + size;
    size_t body_length = (size_t)(text + size - body);
    if (memchr(data, '\0', head_length) != NULL || head_length > 4096) {
        free(text);
        return 0;
    }
    text[head_length] = '\0';
    char *line_end = strchr(text, '\n');
    if (line_end != NULL)
        *line_end = '\0';
    char *method = text, *target = strchr(text, ' ');
    if (target == NULL) {
        free(text);
        return 0;
    }
    *target++ = '\0';
    const char *authorization = NULL, *last_event_id = NULL;
    char auth[80];
    for (char *h = line_end ? line_end + 1 : NULL; h != NULL && *h != '\0';) {
        char *next = strchr(h, '\n');
        if (next != NULL)
            *next++ = '\0';
        char *colon = strchr(h, ':');
        if (colon != NULL) {
            *colon = '\0';
            char *value = colon + 1 + strspn(colon + 1, " \t");
            if (strcasecmp(h, "Authorization") == 0) {
                authorization = value;
                for (int i = 0; i < 4; i++)
                    if (strcmp(value + (strncmp(value, "Bearer ", 7) == 0 ? 7 : 0), names[i]) ==
                        0) {
                        snprintf(auth, sizeof auth, "Bearer %s", keys[i]);
                        authorization = auth;
                    }
            } else if (strcasecmp(h, "Last-Event-ID") == 0) {
                last_event_id = value;
            }
        }
        h = next;
    }
    struct query q = {0};
    char *question = strchr(target, '?');
    if (question != NULL) {
        *question = '\0';
        for (char *arg = question + 1; arg != NULL && *arg != '\0' && q.count < 32;) {
            char *amp = strchr(arg, '&');
            if (amp != NULL)
                *amp++ = '\0';
            char *eq = strchr(arg, '=');
            if (eq != NULL)
                *eq++ = '\0';
            if (!unescape(arg, 1) || (eq != NULL && !unescape(eq, 1))) {
                free(text);
                return 0;
            }
            q.names[q.count] = arg;
            q.values[q.count++] = eq ? eq : "";
            arg = amp;
        }
    }
    /* What the server refuses before the handlers never reaches them. */
    if (!unescape(target, 0) || !dc__api_path_valid(target) || strlen(method) == 0 ||
        body_length > api.body_limit) {
        free(text);
        return 0;
    }

    dc_api_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = target;
    req.body = body;
    req.body_length = body_length;
    req.query = query_arg;
    req.query_ctx = &q;
    req.last_event_id = last_event_id;
    dc__api_authenticate(&api, authorization, &req);

    static struct digest before, after;
    refresh_digest();
    before = current;
    dc_api_response res;
    memset(&res, 0, sizeof res);
    dc_api_handle(&api, &req, &res);
    refresh_digest();
    after = current;

    char *answer = res.json ? json_dumps(res.json, JSON_COMPACT) : NULL;
    if (res.status >= 500 || res.status < 200 ||
        (answer == NULL && res.text == NULL && !res.stream))
        fprintf(stderr, "%s %s answered %d: %s\n", method, target, res.status,
                answer     ? answer
                : res.text ? res.text
                           : "(no body)");
    FUZZ_CHECK(res.status >= 200 && res.status < 500);
    FUZZ_CHECK(answer != NULL || res.text != NULL || res.stream);
    if (res.status >= 400) {
        /* a problem+json that says what it is */
        FUZZ_CHECK(json_is_string(json_object_get(res.json, "type")));
        FUZZ_CHECK(json_integer_value(json_object_get(res.json, "status")) == res.status);
        int refused = res.status == 409 && json_object_get(res.json, "notices") != NULL;
        for (size_t t = 0; t < table_count; t++) {
            int same = before.rows[t] == after.rows[t] &&
                       memcmp(before.hash[t], after.hash[t], sizeof before.hash[t]) == 0;
            if (!same && !(refused && disclosure_table(tables[t]))) {
                fprintf(stderr, "%s %s answered %d and changed table %s: %s\n", method, target,
                        res.status, tables[t], answer ? answer : "");
                abort();
            }
        }
    }
    free(answer);
    response_clear(&res);
    free(text);
    return 0;
}
