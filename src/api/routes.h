/* routes.h - the handlers of src/api's routes, one file per resource, and what they share; each
 * decodes a request, calls the service (service.h), encodes the answer */
#ifndef DECONFLICT_API_ROUTES_H
#define DECONFLICT_API_ROUTES_H

#include "api_internal.h"

/* ---- shared answers (handlers.c): a library error, a store failure, a service's failure as HTTP;
 * a JSON body with only `fields` (NULL ended), or NULL with 400 in res ---- */
void dc__api_bad_input(dc_api_response *res, const dc_error *err);
void dc__api_store_failure(dc_api_response *res);
json_t *dc__api_parse_body(const dc_api_request *req, dc_api_response *res,
                           const char *const *fields);
void dc__api_service_failure(dc_api_response *res, const dc_error *err);

/* ---- objects (objects.c) ---- */
int dc__api_kind_of_collection(const char *name, size_t len, dc_object_kind *kind);
void dc__api_get_object(dc_api *api, const dc_api_request *req, dc_object_kind kind, const char *id,
                        dc_api_response *res);
void dc__api_delete_object(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                           const char *id, dc_api_response *res);
void dc__api_list_objects(dc_api *api, const dc_api_request *req, dc_object_kind kind,
                          dc_api_response *res);
void dc__api_put_object(dc_api *api, const dc_api_request *req, dc_object_kind kind, const char *id,
                        dc_api_response *res);

/* ---- parties and grants (parties.c) ---- */
void dc__api_create_party(dc_api *api, const dc_api_request *req, dc_api_response *res);
int dc__api_no_body(const dc_api_request *req, dc_api_response *res);
void dc__api_list_parties(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_get_party(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_set_party(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_rotate_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_revoke_party_key(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_set_me(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_change_grant(dc_api *api, const dc_api_request *req, int add, dc_api_response *res);
void dc__api_grant_h(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_revoke_h(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* ---- notices, alerts and the audit (inbox.c) ---- */
int dc__api_parse_after(const char *text, int64_t *out);
void dc__api_list_notices(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_list_alerts(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_stream_alerts(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_list_audit(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* ---- position reports, alerts, tracks (reports.c) ---- */
void dc__api_post_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_stream_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_list_tracks(dc_api *api, const dc_api_request *req, dc_api_response *res);

/* ---- the direct line (messages.c) ---- */
int dc__api_notation_of(const char *name, dc_notation *out);
void dc__api_post_message(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_list_messages(dc_api *api, const dc_api_request *req, dc_api_response *res);
void dc__api_acknowledge_message(dc_api *api, const dc_api_request *req, int64_t id,
                                 dc_api_response *res);

#endif
