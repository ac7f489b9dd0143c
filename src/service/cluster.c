/* cluster.c - one live picture across instances sharing a store (PostgreSQL; issue 15)
 *
 * A position report acknowledged by any instance is first appended to the store's one ordered
 * log (dc_store_report_append, committed before the answer). Every instance feeds its own
 * picture from that log, in the log's order and with the time each batch was received, so every
 * picture is the same and a loss of separation between an aircraft reported to A and one
 * reported to B is seen by all; an instance answers its own batches' verdicts from its picture,
 * and serves track streams from it.
 *
 * Exactly one instance leads (the store's lease: a PostgreSQL session advisory lock): it alone
 * publishes the alerts. The others keep the alerts their picture raised, by batch, until the
 * store says the leader published past them (monitor_lease.published_through, written in the
 * transaction that publishes, so a publication is never half done). When the leader's process
 * dies, its session ends, the lock passes within one lease tick to another instance, which
 * publishes what it kept past published_through and goes on: no acknowledged report is lost, and
 * no alert is published twice (at most the tick's in-flight one, were the old leader still
 * alive but cut off from the database). A new instance rebuilds its picture by replaying the
 * log's last DC_CLUSTER_REPLAY_S seconds (a track not reported for 120 s is dropped anyway)
 * before it answers reports or takes the lease.
 *
 * Objects written through other instances reach this picture through the store's
 * notifications (dc_store_watch, "dc_objects:kind/owner/id"): the feeder reads each one and
 * watches it as the instance that wrote it does.
 */
#include "service_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DC_CLUSTER_REPLAY_S 300
#define LEASE_TICK_US 300000
#define PRUNE_EVERY_US INT64_C(60000000)
#define LOG_KEEP_US INT64_C(900000000)
#define OUTCOMES 256
#define ANSWER_WAIT_S 10
#define BATCH_MAGIC 0x44435242u /* "DCRB" */

struct outcome {
    int64_t seq;
    size_t count, accepted, alerts;
    dc_report_verdict *verdicts;
};

struct pending {
    int64_t seq;
    dc_alert_list alerts;
};

struct dc_cluster {
    dc_service *svc;
    char instance[96];
    pthread_t thread;
    int running;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t changed;
    int stop, wake;
    int64_t applied; /* the last batch this picture holds */
    int caught_up, leader;
    int64_t published; /* published_through, as last read */
    char (*objects)[192];
    size_t object_count, object_capacity;
    int objects_all;
    int alerts_heard; /* another instance published alerts: read published_through again */
    struct outcome outcomes[OUTCOMES];
    size_t outcome_next;
    struct pending *pending;
    size_t pending_count, pending_capacity;
};

/* ---- a batch as the log holds it: the reports as this build lays them out ---- */

struct batch_header {
    uint32_t magic, report_size, count, reserved;
};

static uint8_t *encode(const dc_report *reports, size_t count, size_t *size)
{
    *size = sizeof(struct batch_header) + count * sizeof *reports;
    uint8_t *data = dc_malloc(*size);
    if (data == NULL)
        return NULL;
    struct batch_header h = {BATCH_MAGIC, (uint32_t)sizeof *reports, (uint32_t)count, 0};
    memcpy(data, &h, sizeof h);
    if (count > 0)
        memcpy(data + sizeof h, reports, count * sizeof *reports);
    return data;
}

/* The reports of a batch (dc_free), or NULL: another build's layout, damaged, out of memory. */
static dc_report *decode(const uint8_t *data, size_t size, size_t *count)
{
    struct batch_header h;
    if (size < sizeof h)
        return NULL;
    memcpy(&h, data, sizeof h);
    if (h.magic != BATCH_MAGIC || h.report_size != sizeof(dc_report) ||
        size != sizeof h + (size_t)h.count * sizeof(dc_report))
        return NULL;
    dc_report *reports = dc_calloc(h.count ? h.count : 1, sizeof *reports);
    if (reports != NULL && h.count > 0)
        memcpy(reports, data + sizeof h, (size_t)h.count * sizeof *reports);
    *count = h.count;
    return reports;
}

/* ---- the picture ---- */

/* Watch (or stop watching) `ref` as it now stands in the store. */
static void sync_object(dc_service *svc, const char *ref)
{
    char kind_name[16], owner[DC_ID_MAX], id[DC_ID_MAX];
    dc_object_kind kind;
    if (sscanf(ref, "%15[^/]/%63[^/]/%63s", kind_name, owner, id) != 3 ||
        dc_kind_parse(kind_name, &kind) != DC_OK ||
        (kind != DC_KIND_ZONE && kind != DC_KIND_INTENT))
        return;
    dc_record r = {0};
    dc_status rc = DC_STORE;
    if (dc_store_begin(svc->store, 0) == DC_OK) {
        rc = dc_store_object_get(svc->store, kind, owner, id, &r);
        dc_store_rollback(svc->store);
    }
    if (rc == DC_STORE)
        return; /* the database is away: the next notice, or a restart, brings it */
    if (rc == DC_NOT_FOUND) {
        dc_copy_text(r.object.owner, sizeof r.object.owner, owner);
        dc_copy_text(r.object.id, sizeof r.object.id, id);
        r.object.kind = kind;
    }
    dc_state st = r.object.state;
    int gone = rc == DC_NOT_FOUND || (kind == DC_KIND_INTENT && st != DC_STATE_ACCEPTED &&
                                      st != DC_STATE_ACTIVATED && st != DC_STATE_NONCONFORMING);
    dc__service_tell_monitor(svc, &r.object, gone);
    if (kind == DC_KIND_INTENT && !gone && r.object.emergency != DC_EMERGENCY_NONE)
        dc_service_emergency_watch(svc, &r.object);
    else if (kind == DC_KIND_INTENT)
        dc__service_emergency_unwatch(svc, owner, id);
    dc_record_clear(&r);
}

/* Read every zone and flying intent again (a notice was too big to name them). */
static void sync_all(dc_service *svc)
{
    dc_record_list all = {0};
    if (dc_store_begin(svc->store, 0) != DC_OK)
        return;
    dc_status rc = dc_store_zones(svc->store, &all);
    if (rc == DC_OK)
        rc = dc_store_flying_intents(svc->store, &all);
    dc_store_rollback(svc->store);
    for (size_t i = 0; rc == DC_OK && i < all.count; i++)
        dc__service_tell_monitor(svc, &all.items[i].object, 0);
    dc_record_list_clear(&all);
}

static void sync_objects(dc_cluster *c)
{
    pthread_mutex_lock(&c->lock);
    char(*objects)[192] = c->objects;
    size_t count = c->object_count;
    int all = c->objects_all;
    c->objects = NULL;
    c->object_count = c->object_capacity = 0;
    c->objects_all = 0;
    pthread_mutex_unlock(&c->lock);
    if (all)
        sync_all(c->svc);
    for (size_t i = 0; i < count; i++)
        sync_object(c->svc, objects[i]);
    dc_free(objects);
}

static void keep_outcome(dc_cluster *c, int64_t seq, const dc_report_verdict *verdicts,
                         size_t count, size_t accepted, size_t alerts)
{
    struct outcome *o = &c->outcomes[c->outcome_next++ % OUTCOMES];
    dc_free(o->verdicts);
    *o = (struct outcome){seq, count, accepted, alerts,
                          dc_calloc(count ? count : 1, sizeof *verdicts)};
    if (o->verdicts != NULL && count > 0)
        memcpy(o->verdicts, verdicts, count * sizeof *verdicts);
}

static dc_status keep_pending(dc_cluster *c, int64_t seq, dc_alert_list *alerts)
{
    struct pending *grown =
        dc_grow(c->pending, &c->pending_capacity, c->pending_count, sizeof *grown, 16);
    if (grown == NULL)
        return DC_NOMEM;
    c->pending = grown;
    c->pending[c->pending_count++] = (struct pending){seq, *alerts};
    *alerts = (dc_alert_list){0};
    return DC_OK;
}

static dc_status publish_now(dc_cluster *c, int64_t seq, dc_alert_list *alerts, size_t *delivered);

/* How many of `alerts` publication would tell somebody (what a follower answers for its batch;
 * the leader answers what it told). */
static size_t told(const dc_alert_list *alerts)
{
    size_t n = 0;
    for (size_t i = 0; i < alerts->count; i++) {
        const char *to[2];
        n += dc_alert_recipients(&alerts->items[i], to) > 0;
    }
    return n;
}

/* A batch of the log as read, applied once the read transaction has ended: the leader publishes
 * its alerts as it applies it, in a write transaction of its own, which cannot begin on this
 * thread while the read is open. */
struct batch {
    int64_t seq;
    char origin[96];
    dc_time_us received;
    uint8_t *data;
    size_t size;
};

struct feed {
    struct batch *batches;
    size_t count, capacity;
};

/* One batch of the log through this picture. */
static void apply(dc_cluster *c, int64_t seq, const char *origin, dc_time_us received,
                  const void *data, size_t size)
{
    dc_service *svc = c->svc;
    size_t count = 0;
    dc_report *reports = decode(data, size, &count);
    dc_report_verdict *verdicts = reports ? dc_calloc(count ? count : 1, sizeof *verdicts) : NULL;
    dc_alert_list alerts = {0};
    size_t accepted = 0;
    if (verdicts != NULL) {
        dc_time_us latest = 0;
        dc_status rc = DC_OK;
        pthread_mutex_lock(&svc->monitor_lock);
        for (size_t i = 0; rc == DC_OK && i < count; i++) {
            reports[i].received = received;
            rc = dc_monitor_ingest(svc->monitor, &reports[i], &verdicts[i], &alerts, NULL);
            if (rc == DC_OK && verdicts[i] == DC_REPORT_ACCEPTED) {
                accepted++;
                latest = reports[i].time > latest ? reports[i].time : latest;
            }
        }
        if (rc == DC_OK && latest > 0)
            dc_monitor_separation(svc->monitor, latest, &alerts, NULL);
        pthread_mutex_unlock(&svc->monitor_lock);
    } else {
        fprintf(stderr, "deconflictd: report batch %lld cannot be read by this build: skipped\n",
                (long long)seq);
    }
    pthread_mutex_lock(&c->lock);
    int leader = c->leader && c->pending_count == 0;
    int64_t published = c->published;
    pthread_mutex_unlock(&c->lock);
    /* the leader publishes as it goes (kept alerts first, in order: lease_tick); a batch it
     * cannot publish now is kept like a follower's */
    size_t raised = told(&alerts);
    if (leader && alerts.count > 0 && seq > published &&
        publish_now(c, seq, &alerts, &raised) == DC_OK)
        dc_alert_list_clear(&alerts);
    pthread_mutex_lock(&c->lock);
    if (alerts.count > 0 && seq > c->published && keep_pending(c, seq, &alerts) != DC_OK)
        fprintf(stderr, "deconflictd: out of memory: the alerts of report batch %lld are lost\n",
                (long long)seq);
    if (strcmp(origin, c->instance) == 0)
        keep_outcome(c, seq, verdicts, verdicts ? count : 0, accepted, raised);
    c->applied = seq;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    dc_alert_list_clear(&alerts);
    dc_free(verdicts);
    dc_free(reports);
}

static int keep_batch(void *ctx, int64_t seq, const char *origin, dc_time_us received,
                      const void *data, size_t size)
{
    struct feed *f = ctx;
    struct batch *grown = dc_grow(f->batches, &f->capacity, f->count, sizeof *grown, 16);
    uint8_t *copy = dc_malloc(size ? size : 1);
    if (grown == NULL || copy == NULL) {
        if (grown != NULL)
            f->batches = grown;
        dc_free(copy);
        return 1; /* the batches before it are applied; this one is read again next time */
    }
    f->batches = grown;
    memcpy(copy, data, size);
    struct batch *b = &f->batches[f->count++];
    *b = (struct batch){.seq = seq, .received = received, .data = copy, .size = size};
    dc_copy_text(b->origin, sizeof b->origin, origin);
    return 0;
}

/* Feed the picture every batch after the last; 1 if there may be more. */
static int feed(dc_cluster *c)
{
    struct feed f = {0};
    pthread_mutex_lock(&c->lock);
    int64_t after = c->applied;
    pthread_mutex_unlock(&c->lock);
    if (dc_store_begin(c->svc->store, 0) != DC_OK)
        return 0;
    dc_status rc = dc_store_report_read(c->svc->store, after, 200, keep_batch, &f);
    dc_store_rollback(c->svc->store);
    for (size_t i = 0; i < f.count; i++) {
        apply(c, f.batches[i].seq, f.batches[i].origin, f.batches[i].received, f.batches[i].data,
              f.batches[i].size);
        dc_free(f.batches[i].data);
    }
    dc_free(f.batches);
    return rc == DC_OK && f.count > 0;
}

/* ---- publishing: the leader alone ---- */

struct publish_mark {
    dc_cluster *c;
    int64_t seq;
};

/* In the publishing transaction: refuse a batch already published (by a leader before), else
 * note it published. */
static dc_status mark_published(dc_service *svc, void *ctx)
{
    struct publish_mark *m = ctx;
    int64_t through = 0;
    dc_status rc = dc_store_published_get(svc->store, &through);
    if (rc == DC_OK && through >= m->seq)
        return DC_STALE;
    return rc == DC_OK
               ? dc_store_published_set(svc->store, m->c->instance, m->seq, dc_service_now())
               : rc;
}

/* Publish the alerts of batch `seq` unless a leader did already (DC_STALE, nothing told):
 * *delivered counts those told. DC_OK, DC_STALE, or the failure (nothing told). */
static dc_status publish_now(dc_cluster *c, int64_t seq, dc_alert_list *alerts, size_t *delivered)
{
    struct publish_mark m = {c, seq};
    dc_status rc = dc_service_publish_alerts(c->svc, alerts, mark_published, &m, delivered);
    if (rc == DC_OK || rc == DC_STALE) {
        pthread_mutex_lock(&c->lock);
        if (seq > c->published)
            c->published = seq;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
    }
    return rc;
}

/* Publish what this instance kept, oldest first; stops at the first failure (tried again next
 * tick). */
static void publish_pending(dc_cluster *c)
{
    for (;;) {
        pthread_mutex_lock(&c->lock);
        if (c->pending_count == 0 || !c->leader) {
            pthread_mutex_unlock(&c->lock);
            return;
        }
        struct pending p = c->pending[0];
        pthread_mutex_unlock(&c->lock);
        struct publish_mark m = {c, p.seq};
        size_t delivered = 0;
        dc_status rc = dc_service_publish_alerts(c->svc, &p.alerts, mark_published, &m, &delivered);
        if (rc != DC_OK && rc != DC_STALE)
            return;
        pthread_mutex_lock(&c->lock);
        memmove(c->pending, c->pending + 1, (c->pending_count - 1) * sizeof *c->pending);
        c->pending_count--;
        if (p.seq > c->published)
            c->published = p.seq;
        pthread_mutex_unlock(&c->lock);
        dc_alert_list_clear(&p.alerts);
    }
}

/* Forget kept alerts the leader has published. */
static void drop_published(dc_cluster *c, int64_t through)
{
    pthread_mutex_lock(&c->lock);
    if (through > c->published)
        c->published = through;
    pthread_cond_broadcast(&c->changed);
    size_t keep = 0;
    for (size_t i = 0; i < c->pending_count; i++) {
        if (c->pending[i].seq <= c->published)
            dc_alert_list_clear(&c->pending[i].alerts);
        else
            c->pending[keep++] = c->pending[i];
    }
    c->pending_count = keep;
    pthread_mutex_unlock(&c->lock);
}

/* What the store says the leader published through; kept alerts before it are dropped. */
static void read_published(dc_cluster *c)
{
    int64_t through = 0;
    if (dc_store_begin(c->svc->store, 0) != DC_OK)
        return;
    if (dc_store_published_get(c->svc->store, &through) == DC_OK)
        drop_published(c, through);
    dc_store_rollback(c->svc->store);
}

static void lease_tick(dc_cluster *c, dc_time_us now, dc_time_us *next_prune)
{
    dc_service *svc = c->svc;
    int leader = 0;
    dc_status rc = dc_store_lease(svc->store, c->instance, &leader);
    pthread_mutex_lock(&c->lock);
    int was = c->leader;
    c->leader = rc == DC_OK && leader;
    pthread_mutex_unlock(&c->lock);
    if (c->leader != was)
        fprintf(stderr, "deconflictd: %s the live monitor's alerts (%s)\n",
                c->leader ? "now publishing" : "no longer publishing", c->instance);
    read_published(c);
    if (!c->leader)
        return;
    publish_pending(c);
    if (now >= *next_prune) {
        *next_prune = now + PRUNE_EVERY_US;
        if (dc_store_begin(svc->store, 1) == DC_OK)
            (void)dc_store_finish(svc->store, dc_store_report_prune(svc->store, now - LOG_KEEP_US));
    }
}

/* Where the picture starts: the log's last DC_CLUSTER_REPLAY_S seconds. */
static void start_position(dc_cluster *c, int64_t *newest)
{
    int64_t before = 0, through = 0;
    *newest = 0;
    for (;;) {
        if (dc_store_begin(c->svc->store, 0) == DC_OK) {
            dc_status rc = dc_store_report_bounds(
                c->svc->store, dc_service_now() - (dc_time_us)DC_CLUSTER_REPLAY_S * DC_US_PER_S,
                &before, newest);
            if (rc == DC_OK)
                rc = dc_store_published_get(c->svc->store, &through);
            dc_store_rollback(c->svc->store);
            if (rc == DC_OK)
                break;
        }
        pthread_mutex_lock(&c->lock);
        int stop = c->stop;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            return;
        usleep(200000); /* the database is away: the feed starts once it is back */
    }
    pthread_mutex_lock(&c->lock);
    c->applied = before;
    c->published = through;
    pthread_mutex_unlock(&c->lock);
}

static void *feeder_main(void *arg)
{
    dc_cluster *c = arg;
    int64_t start_newest = 0;
    start_position(c, &start_newest);
    dc_time_us next_lease = 0, next_prune = 0;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int stop = c->stop;
        c->wake = 0;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            break;
        sync_objects(c);
        int more = feed(c);
        pthread_mutex_lock(&c->lock);
        if (!c->caught_up && c->applied >= start_newest)
            c->caught_up = 1; /* the replay is done: answer reports, and stand for the lease */
        int caught_up = c->caught_up;
        pthread_mutex_unlock(&c->lock);
        dc_time_us now = dc_service_now();
        pthread_mutex_lock(&c->lock);
        int heard = c->alerts_heard;
        c->alerts_heard = 0;
        pthread_mutex_unlock(&c->lock);
        if (heard && !c->leader)
            read_published(c);
        if (caught_up && now >= next_lease) {
            lease_tick(c, now, &next_prune);
            next_lease = now + LEASE_TICK_US;
        }
        if (more)
            continue;
        pthread_mutex_lock(&c->lock);
        if (!c->wake && !c->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100 * 1000 * 1000;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&c->changed, &c->lock, &until);
        }
        pthread_mutex_unlock(&c->lock);
    }
    return NULL;
}

/* ---- what the rest of the service sees ---- */

dc_status dc_service_cluster_start(dc_service *svc, const char *instance)
{
    if (!dc_store_shared(svc->store) || svc->monitor == NULL)
        return DC_UNSUPPORTED;
    dc_cluster *c = dc_calloc(1, sizeof *c);
    if (c == NULL)
        return DC_NOMEM;
    c->svc = svc;
    dc_copy_text(c->instance, sizeof c->instance, instance);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    svc->cluster = c;
    if (pthread_create(&c->thread, NULL, feeder_main, c) != 0) {
        dc_service_cluster_stop(svc);
        return DC_INTERNAL;
    }
    c->running = 1;
    return DC_OK;
}

void dc_service_cluster_stop(dc_service *svc)
{
    dc_cluster *c = svc->cluster;
    if (c == NULL)
        return;
    if (c->running) {
        pthread_mutex_lock(&c->lock);
        c->stop = 1;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    for (size_t i = 0; i < OUTCOMES; i++)
        dc_free(c->outcomes[i].verdicts);
    for (size_t i = 0; i < c->pending_count; i++)
        dc_alert_list_clear(&c->pending[i].alerts);
    dc_free(c->pending);
    dc_free(c->objects);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    dc_free(c);
    svc->cluster = NULL;
}

void dc_service_cluster_event(dc_service *svc, const char *what)
{
    dc_cluster *c = svc->cluster;
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    if (strncmp(what, "dc_objects:", 11) == 0 && what[11] != '\0') {
        char(*grown)[192] =
            dc_grow(c->objects, &c->object_capacity, c->object_count, sizeof *grown, 16);
        if (grown != NULL) {
            c->objects = grown;
            dc_copy_text(c->objects[c->object_count++], sizeof grown[0], what + 11);
        } else {
            c->objects_all = 1;
        }
    } else if (strcmp(what, "dc_alerts") == 0) {
        c->alerts_heard = 1;
    } else if (strncmp(what, "dc_objects", 10) == 0 || what[0] == '\0') {
        c->objects_all = 1; /* unnamed objects, or notices missed while the database was away */
    }
    c->wake = 1;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

int dc_service_cluster_leader(const dc_service *svc)
{
    dc_cluster *c = svc->cluster;
    if (c == NULL)
        return 1; /* one instance alone leads */
    pthread_mutex_lock(&c->lock);
    int leader = c->leader;
    pthread_mutex_unlock(&c->lock);
    return leader;
}

dc_status dc_service_cluster_ready(const dc_service *svc)
{
    dc_cluster *c = svc->cluster;
    if (c == NULL)
        return DC_OK;
    pthread_mutex_lock(&c->lock);
    int ready = c->caught_up;
    pthread_mutex_unlock(&c->lock);
    return ready ? DC_OK : DC_BUSY;
}

/* dc_service_report_positions over a shared store: the batch into the log, then its verdicts as
 * this instance's picture gives them once fed up to it. */
dc_status dc__service_cluster_report(dc_service *svc, dc_report *reports, size_t count,
                                     dc_report_verdict *verdicts, dc_positions_outcome *out,
                                     dc_error *err)
{
    dc_cluster *c = svc->cluster;
    dc_time_us received = dc_service_now();
    for (size_t i = 0; i < count; i++)
        reports[i].received = received;
    size_t size = 0;
    uint8_t *data = encode(reports, count, &size);
    if (data == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    int64_t seq = 0;
    dc_status rc = dc_store_begin(svc->store, 1);
    if (rc == DC_OK)
        rc = dc_store_finish(svc->store, dc_store_report_append(svc->store, c->instance, data, size,
                                                                received, &seq));
    dc_free(data);
    if (rc != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the store failed; nothing was changed");
    /* acknowledged from here: the log holds it whatever becomes of this instance */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ANSWER_WAIT_S;
    pthread_mutex_lock(&c->lock);
    c->wake = 1;
    pthread_cond_broadcast(&c->changed);
    while (c->applied < seq && pthread_cond_timedwait(&c->changed, &c->lock, &until) != ETIMEDOUT)
        ;
    const struct outcome *o = NULL;
    for (size_t i = 0; i < OUTCOMES; i++)
        if (c->outcomes[i].seq == seq && c->outcomes[i].verdicts != NULL)
            o = &c->outcomes[i];
    if (o != NULL && o->count == count) {
        memcpy(verdicts, o->verdicts, count * sizeof *verdicts);
        out->ingested = count;
        out->accepted = o->accepted;
        out->alerts = o->alerts;
    }
    /* and, when it raised alerts, until the leader has published them: a client reading its
     * alerts (or an intent made nonconforming) after the answer finds them, as with one
     * instance. Bounded: a leader being replaced publishes them a little later. */
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    while (o != NULL && o->alerts > 0 && c->published < seq &&
           pthread_cond_timedwait(&c->changed, &c->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&c->lock);
    if (o == NULL)
        return dc_error_set(err, DC_BUSY, "", DC_NO_POSITION,
                            "the reports are stored and will be monitored, but their verdicts are"
                            " not known yet: do not send them again");
    return DC_OK;
}
