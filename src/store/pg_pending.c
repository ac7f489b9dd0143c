/* pg_pending.c - TRANSITIONAL, removed before issue 15 is resolved: the PostgreSQL operations not
 * written yet, each answering DC_UNSUPPORTED so that the backend links while its files are filled
 * in. Whoever writes an operation deletes its function here. */
#include "pg_internal.h"

/* ---- audit (pg_audit.c) ---- */

dc_status dc__pg_audit_append(dc_store *s, dc_audit_record *record,
                              const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    (void)s;
    (void)record;
    (void)sk;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_audit_checkpoint(dc_store *s, const uint8_t sk[DC_SECRET_KEY_BYTES])
{
    (void)s;
    (void)sk;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_audit_walk(dc_store *s, const char *object,
                            int (*each)(void *ctx, const dc_audit_record *record), void *ctx)
{
    (void)s;
    (void)object;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_audit_walk_after(dc_store *s, const char *object, int64_t after,
                                  int (*each)(void *ctx, const dc_audit_record *record), void *ctx)
{
    (void)s;
    (void)object;
    (void)after;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_audit_names(dc_store *s, int64_t seq, const char *const *objects, size_t n)
{
    (void)s;
    (void)seq;
    (void)objects;
    (void)n;
    return DC_UNSUPPORTED;
}

/* ---- emergencies (pg_emergency.c) ---- */

dc_status dc__pg_emergency_put(dc_store *s, const dc_emergency *emergency)
{
    (void)s;
    (void)emergency;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_emergency_get(dc_store *s, const char *owner, const char *id, dc_emergency *out)
{
    (void)s;
    (void)owner;
    (void)id;
    (void)out;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_emergencies(dc_store *s, const char *owner, int active_only, dc_time_us expired_at,
                             int (*each)(void *ctx, const dc_emergency *emergency), void *ctx)
{
    (void)s;
    (void)owner;
    (void)active_only;
    (void)expired_at;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_suspension_add(dc_store *s, const char *hazard_owner, const char *hazard_id,
                                const char *emergency, dc_state prior, dc_time_us now)
{
    (void)s;
    (void)hazard_owner;
    (void)hazard_id;
    (void)emergency;
    (void)prior;
    (void)now;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_suspensions_release(dc_store *s, const char *emergency, dc_time_us now,
                                     int (*each)(void *ctx, const char *owner, const char *id),
                                     void *ctx)
{
    (void)s;
    (void)emergency;
    (void)now;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_suspending(dc_store *s, int (*each)(void *ctx, const char *emergency), void *ctx)
{
    (void)s;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_suspended_by(dc_store *s, const char *hazard_owner, const char *hazard_id,
                              char *out, size_t size)
{
    (void)s;
    (void)hazard_owner;
    (void)hazard_id;
    (void)out;
    (void)size;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_emergency_count(dc_store *s, const char *party, const char *what, int64_t n)
{
    (void)s;
    (void)party;
    (void)what;
    (void)n;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_emergency_counts(dc_store *s, const char *party,
                                  int (*each)(void *ctx, const char *party, const char *what,
                                              int64_t n),
                                  void *ctx)
{
    (void)s;
    (void)party;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

/* ---- retention and sizes (pg_retention.c) ---- */

dc_status dc__pg_expired(dc_store *s, dc_retained kind, dc_time_us now, dc_time_us cutoff,
                         size_t limit, int (*each)(void *ctx, const dc_expired *row), void *ctx)
{
    (void)s;
    (void)kind;
    (void)now;
    (void)cutoff;
    (void)limit;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_expired_remove(dc_store *s, dc_retained kind, const int64_t *keys,
                                const int64_t *checks, size_t count)
{
    (void)s;
    (void)kind;
    (void)keys;
    (void)checks;
    (void)count;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_segment_last(dc_store *s, dc_segment *out)
{
    (void)s;
    (void)out;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_segments(dc_store *s, int (*each)(void *ctx, const dc_segment *segment), void *ctx)
{
    (void)s;
    (void)each;
    (void)ctx;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_segment_save(dc_store *s, const dc_segment *segment)
{
    (void)s;
    (void)segment;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_stats_read(dc_store *s, dc_store_stats *out)
{
    (void)s;
    (void)out;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_size_sample(dc_store *s, dc_time_us now, int64_t live_bytes, int64_t archive_bytes)
{
    (void)s;
    (void)now;
    (void)live_bytes;
    (void)archive_bytes;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_size_growth(dc_store *s, dc_time_us now, dc_time_us over, double *live_bytes_per_s,
                             double *total_bytes_per_s)
{
    (void)s;
    (void)now;
    (void)over;
    (void)live_bytes_per_s;
    (void)total_bytes_per_s;
    return DC_UNSUPPORTED;
}

dc_status dc__pg_reclaim(dc_store *s, int64_t max_pages, int64_t *freed_pages)
{
    (void)s;
    (void)max_pages;
    (void)freed_pages;
    return DC_UNSUPPORTED;
}
