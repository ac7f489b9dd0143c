/* store.c - the store interface: each dc_store_* of store.h checks the transaction it needs and
 * calls the opened store's backend; what no backend needs to know (records, stamps, digests)
 *
 * The dispatch is one indirect call and one thread-local read per operation, against a
 * statement's step of microseconds: it does not show in bench/api.sh (docs/PERFORMANCE.md). The
 * transaction asserts are invariants callers must keep: a thread has at most one transaction
 * and ends it itself; it writes only in a write transaction, and reads only in one (outside a
 * transaction there is no snapshot and no lock). They stay on in the Debug build `make test`
 * uses; NDEBUG builds drop them.
 */
#include "store_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* The calling thread's transaction, as the interface saw it begin. */
static _Thread_local struct {
    const dc_store *store;
    int write;
} tx;

int dc__store_in_transaction(const dc_store *s, int write)
{
    return tx.store == s && (!write || tx.write);
}

#ifndef NDEBUG
/* Whether the calling thread may call an operation needing `need` on `s` now. */
static int tx_allows(const dc_store *s, dc__tx_need need)
{
    switch (need) {
    case DC__TX_WRITE:
        return tx.store == s && tx.write;
    case DC__TX_READ:
        return tx.store == s;
    case DC__TX_NONE:
        return tx.store != s;
    default:
        return 1;
    }
}
#endif

/* A location naming a database server rather than a file: PostgreSQL's URIs (issue 15). */
static int is_postgres(const char *location)
{
    return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

dc_status dc_store_open_keyed(const char *location, const char *key_path, dc_store **out,
                              dc_error *err)
{
    assert(out != NULL);
    *out = NULL;
    if (location == NULL)
        return dc_error_set(err, DC_INVALID, "", DC_NO_POSITION, "no store location");
    const dc_store_ops *ops = is_postgres(location) ? &dc__pg_ops : &dc__sqlite_ops;
    dc_status rc = ops->open_keyed(location, key_path, out, err);
    assert(rc != DC_OK || (*out)->ops == ops);
    return rc;
}

dc_status dc_store_open(const char *location, dc_store **out, dc_error *err)
{
    return dc_store_open_keyed(location, NULL, out, err);
}

const char *dc_store_backend(const dc_store *s)
{
    return s->ops->backend;
}

dc_status dc_store_watch(dc_store *s, void (*on_event)(void *ctx, const char *what), void *ctx)
{
    assert(s != NULL && tx.store != s);
    return s->ops->watch != NULL ? s->ops->watch(s, on_event, ctx) : DC_UNSUPPORTED;
}

void dc_store_close(dc_store *s)
{
    if (s == NULL)
        return;
    assert(tx.store != s); /* the closing thread's transaction would be left open */
    s->ops->close(s);
}

dc_status dc_store_begin(dc_store *s, int write)
{
    assert(s != NULL);
    assert(tx.store == NULL); /* one transaction per thread: a second would wait for itself */
    dc_status rc = s->ops->begin(s, write);
    if (rc == DC_OK) {
        tx.store = s;
        tx.write = write != 0;
    }
    return rc;
}

dc_status dc_store_begin_unsynced(dc_store *s)
{
    assert(s != NULL);
    assert(tx.store == NULL);
    dc_status rc = s->ops->begin_unsynced(s);
    if (rc == DC_OK) {
        tx.store = s;
        tx.write = 1;
    }
    return rc;
}

dc_status dc_store_commit(dc_store *s)
{
    assert(s != NULL);
    assert(tx.store == s); /* committing what this thread never began */
    tx.store = NULL;
    return s->ops->commit(s);
}

void dc_store_rollback(dc_store *s)
{
    assert(s != NULL);
    /* rolling back when nothing is open is allowed: error paths end whatever may be open */
    if (tx.store == s)
        tx.store = NULL;
    s->ops->rollback(s);
}

dc_status dc_store_finish(dc_store *s, dc_status rc)
{
    if (rc == DC_OK)
        return dc_store_commit(s);
    dc_store_rollback(s);
    return rc;
}

dc_status dc_store_prefetch(dc_store *s, const dc_object *proposed)
{
    assert(s != NULL && tx.store == s);
    return s->ops->prefetch != NULL ? s->ops->prefetch(s, proposed) : DC_OK;
}

dc_status dc__store_candidate_index(dc_store *s, int on)
{
    assert(s != NULL && tx.store != s);
    return s->ops->candidate_index != NULL ? s->ops->candidate_index(s, on) : DC_UNSUPPORTED;
}

/* Every operation: the transaction it needs asserted (the message names the call), then the
 * backend's. */
#define DC__STORE_DISPATCH(need, name, params, args)                                               \
    dc_status dc_store_##name params                                                               \
    {                                                                                              \
        assert(s != NULL);                                                                         \
        assert(tx_allows(s, need) && "dc_store_" #name ": wrong transaction for this call");       \
        return s->ops->name args;                                                                  \
    }
DC_STORE_OPS(DC__STORE_DISPATCH)
#undef DC__STORE_DISPATCH

/* ---- more than one instance ---- */

void dc_store_location_text(const char *location, char *out, size_t size)
{
    if (!is_postgres(location)) {
        snprintf(out, size, "%s", location);
        return;
    }
    const char *rest = strstr(location, "://") + 3;
    const char *at = strchr(rest, '@');
    const char *slash = strchr(rest, '/');
    if (at != NULL && (slash == NULL || at < slash))
        rest = at + 1; /* user and password are left out */
    size_t keep = strcspn(rest, "?");
    snprintf(out, size, "%.*s%.*s%s", (int)(strstr(location, "://") + 3 - location), location,
             (int)keep, rest, rest[keep] ? "?..." : "");
}

int dc_store_location_shared(const char *location)
{
    return location != NULL && is_postgres(location);
}

int dc_store_shared(const dc_store *s)
{
    return s->ops->report_append != NULL;
}

#define SHARED_OP(need, call)                                                                      \
    do {                                                                                           \
        assert(s != NULL);                                                                         \
        assert(tx_allows(s, need) && "a shared-store operation in the wrong transaction");         \
        if (!dc_store_shared(s))                                                                   \
            return DC_UNSUPPORTED;                                                                 \
        return s->ops->call;                                                                       \
    } while (0)

dc_status dc_store_report_append(dc_store *s, const char *origin, const void *data, size_t size,
                                 dc_time_us received, int64_t *seq)
{
    SHARED_OP(DC__TX_WRITE, report_append(s, origin, data, size, received, seq));
}

dc_status dc_store_report_read(dc_store *s, int64_t after, size_t limit,
                               int (*each)(void *ctx, int64_t seq, const char *origin,
                                           dc_time_us received, const void *data, size_t size),
                               void *ctx)
{
    SHARED_OP(DC__TX_READ, report_read(s, after, limit, each, ctx));
}

dc_status dc_store_report_bounds(dc_store *s, dc_time_us since, int64_t *before, int64_t *newest)
{
    SHARED_OP(DC__TX_READ, report_bounds(s, since, before, newest));
}

dc_status dc_store_report_prune(dc_store *s, dc_time_us before)
{
    SHARED_OP(DC__TX_WRITE, report_prune(s, before));
}

dc_status dc_store_lease(dc_store *s, const char *instance, int *leader)
{
    *leader = 0;
    SHARED_OP(DC__TX_NONE, lease(s, instance, leader));
}

dc_status dc_store_published_get(dc_store *s, int64_t *seq)
{
    SHARED_OP(DC__TX_READ, published_get(s, seq));
}

dc_status dc_store_published_set(dc_store *s, const char *instance, int64_t seq, dc_time_us now)
{
    SHARED_OP(DC__TX_WRITE, published_set(s, instance, seq, now));
}

void dc_object_ref(dc_object_kind kind, const char *owner, const char *id, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s", dc_kind_name(kind), owner, id);
}

void dc_record_clear(dc_record *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->object.volume_count; i++)
        dc_volume_clear((dc_volume *)&r->object.volumes[i]);
    dc_free((void *)r->object.volumes);
    dc_free((void *)r->object.admitted);
    dc_free(r->body);
    memset(r, 0, sizeof *r);
}

void dc_record_list_clear(dc_record_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        dc_record_clear(&list->items[i]);
    dc_free(list->items);
    memset(list, 0, sizeof *list);
}

char *dc__admitted_text(const dc_object *o)
{
    size_t n = 1;
    for (size_t i = 0; i < o->admitted_count; i++)
        n += strlen(o->admitted[i]) + 1;
    char *text = dc_malloc(n);
    if (text == NULL)
        return NULL;
    text[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < o->admitted_count; i++)
        at += (size_t)snprintf(text + at, n - at, "%s%s", i ? "," : "", o->admitted[i]);
    return text;
}

uint8_t *dc__pack_volumes(const dc_object *o, size_t *size)
{
    size_t total = 0;
    for (size_t i = 0; i < o->volume_count; i++)
        total += dc_volume_packed_size(&o->volumes[i]);
    uint8_t *blob = dc_malloc(total ? total : 1);
    if (blob == NULL)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < o->volume_count; i++) {
        dc_volume_pack(&o->volumes[i], blob + at, total - at);
        at += dc_volume_packed_size(&o->volumes[i]);
    }
    *size = total;
    return blob;
}

dc_status dc_store_object_digest(dc_store *s, const dc_record *r, uint8_t out[DC_HASH_BYTES])
{
    (void)s;
    size_t size = 0;
    uint8_t *blob = dc__pack_volumes(&r->object, &size);
    if (blob == NULL)
        return DC_NOMEM;
    char *admitted = dc__admitted_text(&r->object);
    if (admitted == NULL) {
        dc_free(blob);
        return DC_NOMEM;
    }
    /* Every column of the row is folded in, so that no byte of it can
     * change unnoticed: public, admitted and the two times as well. */
    size_t n = strlen(r->body) + strlen(admitted) + 64;
    char *text = dc_malloc(n);
    if (text == NULL) {
        dc_free(blob);
        dc_free(admitted);
        return DC_NOMEM;
    }
    snprintf(text, n, "%s\n%d\n%s\n%lld\n%lld", r->body, r->is_public, admitted,
             (long long)r->created, (long long)r->updated);
    dc_status rc = dc_audit_object_digest(
        dc_kind_name(r->object.kind), r->object.owner, r->object.id, r->object.version,
        dc_state_name(r->object.state), r->object.priority, text, blob, size, out);
    dc_free(text);
    dc_free(blob);
    dc_free(admitted);
    return rc;
}

void dc_candidate_stamps_clear(dc_candidate_stamps *stamps)
{
    if (stamps == NULL)
        return;
    dc_free(stamps->items);
    memset(stamps, 0, sizeof *stamps);
}

dc_status dc__candidate_stamp_push(dc_candidate_stamps *out, dc_candidate_stamp stamp)
{
    dc_candidate_stamp *items = dc_grow(out->items, &out->capacity, out->count, sizeof *items, 16);
    if (items == NULL)
        return DC_NOMEM;
    out->items = items;
    out->items[out->count++] = stamp;
    return DC_OK;
}

dc_status dc_candidate_stamps_of(const dc_record_list *candidates, dc_candidate_stamps *out)
{
    out->count = 0;
    dc_status rc = DC_OK;
    /* dc_store_candidates returns its records by row, as the stamps are kept */
    for (size_t i = 0; rc == DC_OK && i < candidates->count; i++) {
        const dc_record *r = &candidates->items[i];
        assert(i == 0 || candidates->items[i - 1].row < r->row);
        rc = dc__candidate_stamp_push(
            out, (dc_candidate_stamp){r->row, r->object.version, r->created, r->updated});
    }
    return rc;
}

int dc_candidate_stamps_equal(const dc_candidate_stamps *a, const dc_candidate_stamps *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        const dc_candidate_stamp *x = &a->items[i], *y = &b->items[i];
        if (x->row != y->row || x->version != y->version || x->created != y->created ||
            x->updated != y->updated)
            return 0;
    }
    return 1;
}

dc_status dc__record_fill(dc_record *r, const char *kind, const char *state, const char *emergency,
                          const uint8_t *blob, size_t size, int64_t volume_count,
                          const char *admitted)
{
    dc_object *o = &r->object;
    if (dc_kind_parse(kind, &o->kind) != DC_OK || dc_state_parse(state, &o->state) != DC_OK)
        return DC_STORE;
    size_t at = 0, count = 0, cap = 0;
    dc_volume *vols = NULL;
    dc_status rc = DC_OK;
    while (rc == DC_OK && at < size) {
        if (count == cap) {
            cap = cap ? cap * 2 : 4;
            dc_volume *grown = dc_realloc(vols, cap * sizeof *grown);
            if (grown == NULL) {
                rc = DC_NOMEM;
                break;
            }
            vols = grown;
        }
        size_t used = 0;
        rc =
            dc_volume_unpack(blob + at, size - at, &vols[count], &used) == DC_OK ? DC_OK : DC_STORE;
        if (rc == DC_OK) {
            count++;
            at += used;
        }
    }
    o->volumes = vols;
    o->volume_count = count;
    if (rc != DC_OK)
        return rc;
    if ((int64_t)count != volume_count)
        return DC_STORE; /* the row contradicts itself */
    if (dc_emergency_parse(emergency, &o->emergency) != DC_OK)
        return DC_STORE;
    if (admitted != NULL && admitted[0] != '\0') {
        size_t n = 1;
        for (const char *p = admitted; *p; p++)
            n += *p == ',';
        char(*list)[DC_ID_MAX] = dc_calloc(n, sizeof *list);
        if (list == NULL)
            return DC_NOMEM;
        size_t k = 0;
        for (const char *p = admitted; k < n; k++) {
            size_t len = strcspn(p, ",");
            snprintf(list[k], DC_ID_MAX, "%.*s", (int)(len < DC_ID_MAX ? len : DC_ID_MAX - 1), p);
            p += len + (p[len] == ',');
        }
        o->admitted = (const char(*)[DC_ID_MAX])list;
        o->admitted_count = n;
    }
    return DC_OK;
}
