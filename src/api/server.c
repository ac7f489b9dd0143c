/* server.c - deconflictd: the operator's key, the start (store, service, monitor, threads,
 * libmicrohttpd), serving until a signal, and the orderly stop */
#include "server_internal.h"

#include "deconflict/party_admin.h"
#include "deconflict/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The operator key: read, or created (mode 0600) on first start. */
static dc_status operator_key(const char *path, uint8_t hash[DC_HASH_BYTES], int *created,
                              dc_error *err)
{
    char key[DC_KEY_TEXT_MAX + 8] = {0};
    FILE *f = fopen(path, "r");
    *created = f == NULL && errno == ENOENT;
    if (f == NULL && *created) {
        if (dc_party_key_new(key) != DC_OK)
            return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "no randomness for a key");
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || fchmod(fd, 0600) != 0 ||
            write(fd, key, strlen(key)) != (ssize_t)strlen(key) || write(fd, "\n", 1) != 1 ||
            fsync(fd) != 0) {
            if (fd >= 0)
                close(fd);
            return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION,
                                "cannot create %s", path);
        }
        close(fd);
    } else if (f != NULL) {
        struct stat st;
        /* a key others can read is no one's key: made private, or refused */
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0 &&
            fchmod(fileno(f), st.st_mode & 0600) != 0) {
            fclose(f);
            return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION,
                                "%s is readable by others (mode %03o) and cannot be made private",
                                path, (unsigned)(st.st_mode & 0777));
        }
        if (fgets(key, sizeof key, f) == NULL)
            key[0] = '\0';
        fclose(f);
        key[strcspn(key, "\r\n")] = '\0';
    } else {
        return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION, "cannot read %s",
                            path);
    }
    if (dc_party_key_hash(key, hash) != DC_OK)
        return dc_error_set(err, DC_INVALID, "operator-key-file", DC_NO_POSITION,
                            "%s does not hold a key (dck_...)", path);
    return DC_OK;
}

static void alerts_published(void *ctx)
{
    dc__streams_wake(ctx, DC_STREAM_ALERTS, 0);
}

static void alerts_counted(void *ctx, const char *kind, unsigned long long copies)
{
    dc__metrics_alerts(ctx, kind, copies);
}

static void notice_counted(void *ctx)
{
    dc__metrics_notice(ctx);
}

/* What another instance committed (a shared store): streams wake for alerts, the picture is fed
 * its reports and objects. */
static void store_event(void *ctx, const char *what)
{
    dc_api *api = ctx;
    if (strncmp(what, "dc_alerts", 9) == 0 || strncmp(what, "dc_messages", 11) == 0 ||
        strncmp(what, "dc_notices", 10) == 0 || what[0] == '\0')
        dc__streams_wake(api, DC_STREAM_ALERTS, 0);
    dc_service_cluster_event(&api->svc, what);
}

/* Over a shared store: the picture fed from its report log, and what other instances commit
 * heard as it happens. The instance's name is unique among them: host, process, and chance. */
static dc_status join_cluster(struct server *s, dc_error *err)
{
    dc_service *svc = &s->api.svc;
    if (!dc_store_shared(svc->store))
        return DC_OK;
    char host[64] = "", instance[96];
    gethostname(host, sizeof host - 1);
    uint32_t chance = randombytes_random();
    snprintf(instance, sizeof instance, "%s:%ld:%08x", host, (long)getpid(), chance);
    if (dc_service_cluster_start(svc, instance) != DC_OK ||
        dc_store_watch(svc->store, store_event, &s->api) != DC_OK)
        return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION,
                            "cannot follow the shared store's report log");
    fprintf(stderr, "deconflictd: sharing the store with other instances as %s\n", instance);
    return DC_OK;
}

/* The store and the use cases' state over it, with the limits the configuration sets. */
static dc_status open_service(struct server *s, dc_error *err)
{
    const dc_server_config *config = s->config;
    dc_store *store = NULL;
    dc_status rc = dc_store_open_keyed(config->db, config->key_file, &store, err);
    if (rc != DC_OK)
        return rc;
    rc = dc_service_init(&s->api.svc, store, err);
    if (rc != DC_OK) {
        int shared = dc_store_shared(store);
        dc_store_close(store);
        char why[sizeof err->message];
        dc_copy_text(why, sizeof why, err->message);
        if (shared && config->key_file == NULL)
            return dc_error_set(err, rc, "key-file", DC_NO_POSITION,
                                "a PostgreSQL store needs --key-file: the signing key's file,"
                                " the same for every instance");
        if (config->key_file != NULL)
            return dc_error_set(err, rc, "", DC_NO_POSITION, "%s: %s", config->key_file, why);
        return dc_error_set(err, rc, "", DC_NO_POSITION, "%s.key: %s", config->db, why);
    }
    s->api.svc.work_budget = config->work_budget;
    s->api.svc.events =
        (dc_service_events){alerts_published, alerts_counted, notice_counted, &s->api};
    s->api.svc.probe_limit = config->probe_limit;
    s->api.svc.probe_window_s = config->probe_window_s;
    s->api.svc.alert_episode_us = dc_retention_episode_us(&config->retention);
    /* and one for list cursors: a cursor names a place in one party's list to the server only */
    crypto_generichash(s->api.cursor_secret, sizeof s->api.cursor_secret,
                       (const unsigned char *)"list-cursor", 11, s->api.svc.secret_key,
                       crypto_generichash_KEYBYTES_MAX);
    return DC_OK;
}

/* The live monitor, watching the --borders zones and what the store holds. */
static dc_status open_monitor(struct server *s, dc_error *err)
{
    const dc_server_config *config = s->config;
    dc_monitor_config monitor_config = dc_monitor_config_default();
    monitor_config.new_aircraft_per_minute = config->new_aircraft_per_minute;
    monitor_config.new_aircraft_alert = config->new_aircraft_alert;
    monitor_config.establish_s = config->establish_s;
    if (dc_monitor_new(&monitor_config, &s->api.svc.monitor) != DC_OK)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    if (config->borders != NULL) {
        size_t zones = 0;
        dc_status rc =
            dc_scenario_load_zone_outlines(config->borders, s->api.svc.monitor, &zones, err);
        if (rc != DC_OK)
            return rc;
        fprintf(stderr, "deconflictd: watching %zu zones from %s\n", zones, config->borders);
    }
    /* the monitor starts with what the store holds: zones to watch, intents being flown */
    return dc_service_monitor_restore(&s->api.svc, err);
}

/* Everything the first request needs: the operator's key, the service, the rate limits, the
 * streams, the monitor, the archiver and the expiry of emergencies. */
static dc_status server_open(struct server *s, int *key_created, dc_error *err)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* one core kept for the small requests (heavy.c), at least one slot */
    dc__heavy_init(&s->api.heavy, cores > 2 ? (unsigned)cores - 1 : 1);
    dc_status rc =
        operator_key(s->config->operator_key_file, s->api.operator_hash, key_created, err);
    if (rc == DC_OK)
        rc = open_service(s, err);
    if (rc == DC_OK && dc__fair_new(s->config->rates, &s->api.fair) != DC_OK)
        rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "no memory for the rate limits");
    if (rc == DC_OK && dc__streams_start(&s->api) != DC_OK)
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "cannot start the event streams");
    if (rc == DC_OK)
        rc = open_monitor(s, err);
    if (rc == DC_OK)
        rc = join_cluster(s, err);
    if (rc == DC_OK && dc__api_storage_start(&s->api, &s->config->retention) != DC_OK)
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "cannot start the archiver");
    if (rc == DC_OK && dc__api_emergency_start(&s->api) != DC_OK)
        rc = dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION,
                          "cannot start the expiry of emergencies");
    return rc;
}

/* libmicrohttpd's daemon on `addr`, or NULL with the reason in err. */
static struct MHD_Daemon *server_listen(struct server *s, const struct sockaddr_storage *addr,
                                        dc_error *err)
{
    const dc_server_config *config = s->config;
    /* poll, not epoll: libmicrohttpd 0.9.75 quiesces an epoll thread pool by removing the listen
     * socket from each worker's epoll set while the worker may be removing it too, and panics
     * when the second removal fails ("Failed to remove listen FD from epoll set", seen at
     * SIGTERM under load). poll keeps no such state; at our connection limit (1,000 across the
     * pool) it costs nothing measurable (docs/PERFORMANCE.md). */
    unsigned flags =
        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (addr->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, dc__server_on_request, s, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)addr, MHD_OPTION_THREAD_POOL_SIZE, config->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, config->timeout_s, MHD_OPTION_CONNECTION_LIMIT, 1000u,
        MHD_OPTION_NOTIFY_COMPLETED, dc__server_on_completed, s, MHD_OPTION_URI_LOG_CALLBACK,
        dc__server_on_uri, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, DC_SERVER_CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_CONNECTION, dc__watch_on_connection, &s->watch,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->connections_per_address, MHD_OPTION_END);
    if (d == NULL)
        dc_error_set(err, DC_INVALID, "listen", DC_NO_POSITION, "cannot listen on %s",
                     config->listen);
    return d;
}

/* Tell where it listens, where the operator's key is, and what it keeps how long. */
static void announce(const dc_server_config *config, struct MHD_Daemon *d, int key_created)
{
    const union MHD_DaemonInfo *bound = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    size_t n = strlen(config->listen);
    int chosen = n >= 2 && strcmp(config->listen + n - 2, ":0") == 0 && bound != NULL;
    char port[32] = "";
    if (chosen) /* --listen HOST:0: the port the system chose */
        snprintf(port, sizeof port, " (port %u)", (unsigned)bound->port);
    char store[512];
    dc_store_location_text(config->db, store, sizeof store);
    fprintf(stderr, "deconflictd: listening on %s%s, store %s, %u threads\n", config->listen, port,
            store, config->threads);
    /* where the operator finds the key that manages parties (`deconflict party add`) */
    char where[PATH_MAX];
    const char *key_path =
        realpath(config->operator_key_file, where) ? where : config->operator_key_file;
    fprintf(stderr, "deconflictd: operator key %s in %s (mode 0600)\n",
            key_created ? "created" : "read", key_path);
    if (config->on_listening != NULL) {
        dc_server_listening facts = {
            config->listen,  bound != NULL ? bound->port : 0, store, key_path, key_created,
            config->threads, config->retention.archive_dir};
        config->on_listening(config->listening_ctx, &facts);
    }
    if (config->retention.archive_dir[0] == '\0') {
        fprintf(stderr, "deconflictd: retention: every row is kept in the shared store\n");
        return;
    }
    fprintf(stderr, "deconflictd: retention");
    for (int k = 0; k < DC_RETAIN_COUNT; k++) {
        dc_time_us keep = config->retention.retain[k];
        if (keep == 0)
            fprintf(stderr, " %s=forever", dc_retained_name((dc_retained)k));
        else
            fprintf(stderr, " %s=%llds", dc_retained_name((dc_retained)k),
                    (long long)(keep / 1000000));
    }
    fprintf(stderr, "; archive %s, a segment every %llds\n", config->retention.archive_dir,
            (long long)(config->retention.period / 1000000));
}

/* Release what server_open made, whatever it got to; the threads end before the store closes. */
static void server_close(struct server *s)
{
    if (s->api.svc.store != NULL)
        (void)dc_store_watch(s->api.svc.store, NULL, NULL); /* nothing calls back from here */
    dc_service_cluster_stop(&s->api.svc);
    dc__streams_free(&s->api);
    dc__api_emergency_stop(&s->api);
    dc__api_storage_stop(&s->api); /* its pass in flight ends before the store closes */
    dc_monitor_free(s->api.svc.monitor);
    dc__fair_free(s->api.fair);
    dc_store *store = s->api.svc.store;
    dc_service_destroy(&s->api.svc);
    dc__heavy_destroy(&s->api.heavy);
    dc_store_close(store);
}

dc_status dc_server_run(const dc_server_config *config, dc_error *err)
{
    struct sockaddr_storage addr;
    dc_status rc = dc__server_parse_listen(config->listen, &addr, err);
    if (rc != DC_OK)
        return rc;
    if (dc_audit_init() != DC_OK)
        return dc_error_set(err, DC_INTERNAL, "", DC_NO_POSITION, "libsodium failed to start");
    /* Signals are taken by sigwait below, not by handlers in random threads: blocked before the
     * first thread starts, since every thread inherits the mask of the one that made it, and a
     * SIGTERM delivered to a thread that does not block it ends the process on the spot. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    struct server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    s->config = config;
    s->api.body_limit = config->body_limit;
    int key_created = 0;
    rc = server_open(s, &key_created, err);
    signal(SIGPIPE, SIG_IGN);
    /* without its sweeper a connection is unwatched: the idle timeout still applies */
    if (rc == DC_OK)
        (void)dc__watch_start(&s->watch, config->header_timeout_s, config->body_timeout_s);
    struct MHD_Daemon *d = rc == DC_OK ? server_listen(s, &addr, err) : NULL;
    if (rc == DC_OK && d == NULL)
        rc = err->status;
    if (d != NULL) {
        announce(config, d, key_created);
        int sig = 0;
        sigwait(&signals, &sig);
        fprintf(stderr, "deconflictd: signal %d: finishing requests in flight\n", sig);
        MHD_quiesce_daemon(d); /* no new connections */
        dc__streams_close(&s->api);
        MHD_stop_daemon(d); /* waits for the workers, and so for requests in flight */
    }
    dc__watch_stop(&s->watch);
    if (d != NULL)
        fprintf(stderr, "deconflictd: stopped\n");
    server_close(s);
    free(s);
    return rc;
}
