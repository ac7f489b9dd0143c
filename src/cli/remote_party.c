/* remote_party.c - `deconflict party add|list|show|rotate|revoke --server URL`: the operator's
 * party management through a running server's API, with the operator key */
#include "cli.h"
#include "http.h"

#include <stdlib.h>
#include <string.h>

struct remote {
    char server[1024];
    char key[256];
    int json;
};

static void print_doc(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text != NULL)
        puts(text);
    free(text);
}

/* One request; 0 with the response kept in `r` when its status is `expect`, else 1 with the
 * refusal printed. */
static int call(const struct remote *rm, const char *what, const char *method, const char *path,
                json_t *body, long expect, dc_cli_http *r)
{
    if (dc_cli_http_call(rm->server, method, path, rm->key, body, r) != 0) {
        fprintf(stderr, "deconflict party %s: %s\n", what, r->error);
        return 1;
    }
    if (r->status != expect || r->json == NULL) {
        char why[640];
        dc_cli_http_refusal(r, why, sizeof why);
        fprintf(stderr, "deconflict party %s: %s %s%s: %s\n", what, method, rm->server, path, why);
        dc_cli_http_clear(r);
        return 1;
    }
    return 0;
}

static void print_party(json_t *p)
{
    /* "key" is the key's state, or in an answer that issues one the key itself */
    const char *key = json_string_value(json_object_get(p, "key"));
    key = key != NULL && strcmp(key, "revoked") == 0 ? "revoked" : "active";
    printf("%-20s notation %-4s priority ceiling %3lld  key %-7s created %s\n",
           json_string_value(json_object_get(p, "name")),
           json_string_value(json_object_get(p, "notation")),
           (long long)json_integer_value(json_object_get(p, "priority_ceiling")), key,
           json_is_string(json_object_get(p, "created"))
               ? json_string_value(json_object_get(p, "created"))
               : "-");
}

static int add(const struct remote *rm, const char *name, const char *notation, const char *ceiling)
{
    json_t *body = json_pack("{s:s}", "name", name);
    if (notation != NULL)
        json_object_set_new(body, "notation", json_string(notation));
    if (ceiling != NULL) {
        char *end = NULL;
        long v = strtol(ceiling, &end, 10);
        if (end == ceiling || *end != '\0') {
            fprintf(stderr,
                    "deconflict party add: --priority-ceiling is a whole number, not "
                    "'%s'\n",
                    ceiling);
            json_decref(body);
            return 2;
        }
        json_object_set_new(body, "priority_ceiling", json_integer(v));
    }
    dc_cli_http r;
    int rc = call(rm, "add", "POST", "/v1/parties", body, 201, &r);
    json_decref(body);
    if (rc != 0)
        return rc;
    if (rm->json) {
        print_doc(r.json);
    } else {
        print_party(r.json);
        printf("key: %s\n(shown this once: give it to %s; `deconflict party rotate` issues "
               "another)\n",
               json_string_value(json_object_get(r.json, "key")), name);
    }
    dc_cli_http_clear(&r);
    return 0;
}

/* rotate (POST) or revoke (DELETE) NAME's key, or show (GET) NAME. */
static int one(const struct remote *rm, const char *what, const char *name)
{
    char segment[200], path[256];
    dc_cli_http_segment(name, segment, sizeof segment);
    int show = strcmp(what, "show") == 0;
    snprintf(path, sizeof path, "/v1/parties/%s%s", segment, show ? "" : "/key");
    const char *method = show ? "GET" : strcmp(what, "rotate") == 0 ? "POST" : "DELETE";
    dc_cli_http r;
    if (call(rm, what, method, path, NULL, 200, &r) != 0)
        return 1;
    if (rm->json) {
        print_doc(r.json);
    } else {
        print_party(r.json);
        json_t *key = json_object_get(r.json, "key");
        if (strcmp(what, "rotate") == 0)
            printf("key: %s\n(shown this once; the old key no longer works)\n",
                   json_string_value(key));
        else if (strcmp(what, "revoke") == 0)
            printf("%s's key is revoked: it no longer works (`deconflict party rotate` issues a "
                   "new one)\n",
                   name);
        json_t *receipt = json_object_get(r.json, "receipt");
        if (json_is_object(receipt))
            printf("audit record %lld\n",
                   (long long)json_integer_value(json_object_get(receipt, "seq")));
    }
    dc_cli_http_clear(&r);
    return 0;
}

/* Every party, page after page as the server gives them (its `next`). */
static int list(const struct remote *rm)
{
    char path[1024] = "/v1/parties";
    json_t *all = json_array();
    int status = 0;
    for (int pages = 0; status == 0 && pages < 100000; pages++) {
        dc_cli_http r;
        if (dc_cli_http_call(rm->server, "GET", path, rm->key, NULL, &r) != 0) {
            fprintf(stderr, "deconflict party list: %s\n", r.error);
            status = 1;
            break;
        }
        if (r.status == 405 || r.status == 404) {
            fprintf(stderr,
                    "deconflict party list: the server at %s does not list parties (GET "
                    "/v1/parties answers %ld); `deconflict party list --db FILE` reads its store\n",
                    rm->server, r.status);
            dc_cli_http_clear(&r);
            status = 1;
            break;
        }
        json_t *items = json_object_get(r.json, "items");
        if (r.status != 200 || !json_is_array(items)) {
            char why[640];
            dc_cli_http_refusal(&r, why, sizeof why);
            fprintf(stderr, "deconflict party list: GET %s%s: %s\n", rm->server, path, why);
            dc_cli_http_clear(&r);
            status = 1;
            break;
        }
        json_array_extend(all, items);
        const char *next = json_string_value(json_object_get(r.json, "next"));
        int more = next != NULL && next[0] != '\0' && strlen(next) < sizeof path;
        if (more && strncmp(next, rm->server, strlen(rm->server)) == 0)
            next += strlen(rm->server); /* an absolute `next` on this server */
        if (more)
            snprintf(path, sizeof path, "%s", next);
        dc_cli_http_clear(&r);
        if (!more)
            break;
    }
    if (status == 0) {
        if (rm->json) {
            json_t *doc = json_pack("{s:O}", "items", all);
            print_doc(doc);
            json_decref(doc);
        } else {
            size_t i;
            json_t *p;
            json_array_foreach(all, i, p) print_party(p);
            printf("%zu %s\n", DC_CLI_PLURAL(json_array_size(all), "party", "parties"));
        }
    }
    json_decref(all);
    return status;
}

int dc_cli_party_remote(const char *command, const char *server, const char *key_file,
                        const char *name, const char *notation, const char *ceiling, int json)
{
    struct remote rm = {.json = json};
    char why[512];
    if (dc_cli_http_server(server, rm.server, sizeof rm.server, why, sizeof why) != 0 ||
        dc_cli_operator_key(key_file, rm.key, sizeof rm.key, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict party %s: %s\n", command, why);
        return 2;
    }
    int is_list = strcmp(command, "list") == 0;
    if (is_list != (name == NULL)) {
        fprintf(stderr, "deconflict party %s: %s\n", command,
                is_list ? "list takes no NAME" : "NAME is required");
        return 2;
    }
    if (strcmp(command, "add") == 0 || strcmp(command, "create") == 0)
        return add(&rm, name, notation, ceiling);
    if (is_list)
        return list(&rm);
    if (strcmp(command, "rotate") == 0 || strcmp(command, "revoke") == 0 ||
        strcmp(command, "show") == 0)
        return one(&rm, command, name);
    fprintf(stderr,
            "deconflict party %s: not through --server (add, list, show, rotate, revoke are)\n",
            command);
    return 2;
}
