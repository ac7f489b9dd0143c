/* inbox.c - the use cases of what a party was told and may look up: its notices and alerts, and
 * the audit records about an object that it may see */
#include "deconflict/service.h"

#include <stdio.h>
#include <string.h>

static dc_status store_failed(dc_error *err)
{
    return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "the store failed; nothing was changed");
}

dc_status dc_service_inbox(dc_service *svc, dc_inbox box, const char *party, int64_t after,
                           size_t limit, int (*each)(void *, int64_t, const char *, dc_time_us),
                           void *ctx, dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_inbox(svc->store, box, party, after, limit, each, ctx);
    dc_store_rollback(svc->store); /* a read: nothing to commit */
    return rc == DC_OK ? DC_OK : store_failed(err);
}

dc_status dc_service_inbox_last(dc_service *svc, dc_inbox box, const char *party, int64_t *id,
                                dc_error *err)
{
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return store_failed(err);
    dc_status rc = dc_store_inbox_last(svc->store, box, party, id);
    dc_store_rollback(svc->store);
    return rc == DC_OK ? DC_OK : store_failed(err);
}

struct audit_view {
    json_t *items;
    const char *viewer; /* NULL: everything (operator or the object's owner) */
    const char *object; /* the object asked about */
    size_t limit, seen;
    int64_t last; /* the seq of the page's last record */
};

static int recipients_include(const char *list, const char *party)
{
    size_t n = strlen(party);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, party, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static int collect_audit(void *ctx, const dc_audit_record *r)
{
    struct audit_view *v = ctx;
    if (v->viewer != NULL && strcmp(r->actor, v->viewer) != 0 &&
        !recipients_include(r->recipients, v->viewer))
        return 0;
    if (++v->seen > v->limit)
        return 1;
    v->last = r->seq;
    char t[32], hash[2 * DC_HASH_BYTES + 1];
    /* the record is shown whatever its time; an unwritable one is null, not a guess */
    json_t *time = dc_time_format(r->time, t, sizeof t) == DC_OK ? json_string(t) : json_null();
    dc_hex(r->hash, DC_HASH_BYTES, hash);
    json_t *detail = json_loads(r->detail, 0, NULL);
    const char *object = r->object;
    if (strcmp(r->object, v->object) != 0 && detail != NULL) {
        /* a list read naming this object among others: the others are not the asker's to
         * see, so it is shown as the read of this object, with the list and how many it named */
        json_t *summary =
            json_pack("{s:s,s:I}", "list", r->object, "objects",
                      (json_int_t)json_array_size(json_object_get(detail, "objects")));
        json_decref(detail);
        detail = summary;
        object = v->object;
    }
    json_array_append_new(v->items,
                          json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:o,s:s}", "seq", (json_int_t)r->seq,
                                    "time", time, "actor", r->actor, "action", r->action, "object",
                                    object, "recipients", r->recipients, "detail",
                                    detail ? detail : json_object(), "hash", hash));
    return 0;
}

dc_status dc_service_audit_of(dc_service *svc, const char *viewer, int is_operator,
                              const char *object, int64_t after, size_t limit, dc_audit_page *out,
                              dc_error *err)
{
    memset(out, 0, sizeof *out);
    /* A party sees every record about its own objects, and elsewhere only what it did or was
     * told. */
    char own_prefix[96];
    size_t kind_len = strcspn(object, "/");
    snprintf(own_prefix, sizeof own_prefix, "/%s/", viewer);
    int owns = !is_operator && strncmp(object + kind_len, own_prefix, strlen(own_prefix)) == 0;
    struct audit_view v = {json_array(), is_operator || owns ? NULL : viewer, object, limit, 0, 0};
    if (dc_store_begin(svc->store, 0) != DC_OK) {
        json_decref(v.items);
        return store_failed(err);
    }
    dc_status rc = DC_OK;
    if (!is_operator && !owns && strncmp(object, "site/", 5) == 0) {
        /* a site is never named to anyone but its owner and those it granted its sites to, not
         * even by what one was told of it */
        char owner[DC_ID_MAX];
        snprintf(owner, sizeof owner, "%.*s", (int)strcspn(object + 5, "/"), object + 5);
        rc = dc_store_grant_exists(svc->store, owner, viewer, DC_KIND_SITE);
        if (rc == DC_NOT_FOUND) {
            dc_store_rollback(svc->store);
            out->items = v.items;
            return DC_OK;
        }
    }
    if (rc == DC_OK)
        rc = dc_store_audit_walk_after(svc->store, object, after, collect_audit, &v);
    dc_store_rollback(svc->store);
    if (rc != DC_OK) {
        json_decref(v.items);
        return store_failed(err);
    }
    out->items = v.items;
    out->more = v.seen > limit;
    out->last = v.last;
    return DC_OK;
}
