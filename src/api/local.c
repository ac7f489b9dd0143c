/* local.c - deconflictd's routes answered in this process: the server's state over a store,
 * without HTTP, its streams or its upkeep threads */
#include "api_internal.h"
#include "deconflict/server.h"

#include <stdlib.h>
#include <string.h>

struct dc_local_api {
    dc_api api;
};

dc_status dc_local_api_open(const char *db, char operator_key[64], dc_local_api **out,
                            dc_error *err)
{
    *out = NULL;
    dc_local_api *l = calloc(1, sizeof *l);
    if (l == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    dc__heavy_init(&l->api.heavy, 0); /* one request at a time: nothing to share */
    dc_store *store = NULL;
    dc_status rc = dc_audit_init();
    if (rc != DC_OK)
        rc = dc_error_set(err, rc, "", DC_NO_POSITION, "no hash for the audit");
    if (rc == DC_OK)
        rc = dc_store_open(db, &store, err);
    if (rc == DC_OK && (rc = dc_service_init(&l->api.svc, store, err)) != DC_OK)
        dc_store_close(store);
    char key[DC_KEY_TEXT_MAX];
    if (rc == DC_OK &&
        (dc_party_key_new(key) != DC_OK || dc_party_key_hash(key, l->api.operator_hash) != DC_OK))
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "no randomness for a key");
    dc_monitor_config mc = dc_monitor_config_default();
    if (rc == DC_OK && dc_monitor_new(&mc, &l->api.svc.monitor) != DC_OK)
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (rc != DC_OK) {
        dc_local_api_close(l);
        return rc;
    }
    dc_copy_text(operator_key, 64, key);
    l->api.body_limit = DC_API_BODY_LIMIT_DEFAULT;
    dc_retention retention;
    dc_retention_default(db, &retention);
    l->api.svc.alert_episode_us = dc_retention_episode_us(&retention);
    *out = l;
    return DC_OK;
}

static const char *no_query(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

dc_status dc_local_api_call(dc_local_api *l, const char *method, const char *path, const char *key,
                            const char *body, int *status, char **answer)
{
    *answer = NULL;
    *status = 0;
    char authorization[128] = "";
    if (key != NULL)
        snprintf(authorization, sizeof authorization, "Bearer %s", key);
    dc_api_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.body = body != NULL ? body : "";
    req.body_length = strlen(req.body);
    req.query = no_query;
    dc__api_authenticate(&l->api, key != NULL ? authorization : NULL, &req);
    dc_api_response res;
    memset(&res, 0, sizeof res);
    if (!dc__api_path_valid(path))
        dc_api_problem(&res, 400, DC_INVALID, NULL, "the path holds a byte no route can hold");
    else
        dc_api_handle(&l->api, &req, &res);
    *status = res.status;
    int has_body = res.json != NULL || res.text != NULL;
    if (res.json != NULL) {
        *answer = json_dumps(res.json, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(res.json);
    } else if (res.text != NULL) {
        *answer = res.text;
        res.text = NULL;
    }
    free(res.text);
    return has_body && *answer == NULL ? DC_NOMEM : DC_OK;
}

void dc_local_api_close(dc_local_api *l)
{
    if (l == NULL)
        return;
    dc__heavy_destroy(&l->api.heavy);
    dc_monitor_free(l->api.svc.monitor);
    dc_store *store = l->api.svc.store;
    dc_service_destroy(&l->api.svc);
    dc_store_close(store);
    free(l);
}
