/* grants.c - the use cases of what a party shares and how it reads: grants given and revoked
 * (audited, the grantee named as told), a party's own notation, the parties as stored */
#include "deconflict/party_admin.h"
#include "deconflict/service.h"

#include <stdio.h>
#include <string.h>

static dc_status store_failed(dc_error *err)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store failed; nothing was changed");
}

/* One grant given (add) or revoked, in one transaction with its signed audit record. */
static dc_status change_grant(dc_service *svc, int add, const char *grantor, const char *grantee,
                              dc_object_kind kind, dc_audit_record *receipt, dc_error *err)
{
    if (!dc_party_name_valid(grantee))
        return dc_error_set(err, DC_INVALID, "/grantee", DC_NO_POSITION, "the party to share with");
    if ((unsigned)kind >= DC_KIND_COUNT)
        return dc_error_set(err, DC_INVALID, "/kind", DC_NO_POSITION,
                            "one of intent, hazard, zone");
    if (strcmp(grantee, grantor) == 0)
        return dc_error_set(err, DC_INVALID, "/grantee", DC_NO_POSITION,
                            "a party cannot grant to itself");
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_party_exists(svc->store, grantee);
    if (rc == DC_OK)
        rc = add ? dc_store_grant_add(svc->store, grantor, grantee, kind, dc_service_now())
                 : dc_store_grant_remove(svc->store, grantor, grantee, kind);
    char ref[192];
    snprintf(ref, sizeof ref, "grant/%s/%s/%s", grantor, grantee, dc_kind_name(kind));
    if (rc == DC_OK)
        rc = dc_service_audit(svc, 1, grantor, add ? "grant" : "revoke", ref, grantee, NULL,
                              receipt);
    if (rc == DC_NOT_FOUND || rc == DC_CONFLICT) {
        dc_store_rollback(svc->store);
        return rc == DC_CONFLICT
                   ? dc_error_set(err, DC_CONFLICT, "", DC_NO_POSITION, "that grant exists already")
                   : dc_error_set(err, DC_NOT_FOUND, "/grantee", DC_NO_POSITION,
                                  add ? "no such party" : "no such grant");
    }
    if (dc_store_finish(svc->store, rc) != DC_OK)
        return store_failed(err);
    return DC_OK;
}

dc_status dc_service_grant(dc_service *svc, const char *grantor, const char *grantee,
                           dc_object_kind kind, dc_audit_record *receipt, dc_error *err)
{
    return change_grant(svc, 1, grantor, grantee, kind, receipt, err);
}

dc_status dc_service_revoke(dc_service *svc, const char *grantor, const char *grantee,
                            dc_object_kind kind, dc_audit_record *receipt, dc_error *err)
{
    return change_grant(svc, 0, grantor, grantee, kind, receipt, err);
}

dc_status dc_service_set_notation(dc_service *svc, const char *party, const char *notation,
                                  dc_error *err)
{
    if (notation == NULL || !dc_party_admin_notation_valid(notation))
        return dc_error_set(err, DC_INVALID, "/notation", DC_NO_POSITION,
                            "one of dd, dm, dms, mgrs, utm");
    if (dc_store_begin(svc->store, 1) != DC_OK)
        return store_failed(err);
    if (dc_store_finish(svc->store, dc_store_party_set_notation(svc->store, party, notation)) !=
        DC_OK)
        return store_failed(err);
    return DC_OK;
}

dc_status dc_service_party_get(dc_service *svc, const char *name, dc_party *out, dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_party_get(svc->store, name, out);
    dc_store_rollback(svc->store); /* a read: nothing to commit */
    if (rc == DC_NOT_FOUND)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "no such party");
    return rc == DC_OK ? DC_OK : store_failed(err);
}

dc_status dc_service_parties(dc_service *svc, int (*each)(void *ctx, const dc_party *p), void *ctx,
                             dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_parties(svc->store, each, ctx);
    dc_store_rollback(svc->store);
    /* DC_CONFLICT: `each` stopped the walk, which is not a failure */
    return rc == DC_OK || rc == DC_CONFLICT ? DC_OK : store_failed(err);
}
