/* store.c - `deconflict store stats|backup|restore`: the live store's size by kind, its oldest
 * rows, the archive and the rate of growth; a backup while it serves; a verified restore */
#include "cli.h"
#include "deconflict/store.h"
#include "deconflict/store_check.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char help[] =
    "usage: deconflict store stats --db FILE [--archive DIR]\n"
    "       deconflict store backup DB OUT\n"
    "       deconflict store restore BACKUP DB [--archive DIR]\n"
    "\n"
    "stats  the live store's size by kind (pages of its tables and indexes), its rows\n"
    "       and the oldest one kept of each kind; the archive's segments (--archive,\n"
    "       default FILE.archive), their bytes and rows; how fast the store and the\n"
    "       archive grew over the last minute, hour and day, from the sizes the server\n"
    "       notes every minute. Reads every page of the store: seconds for gigabytes;\n"
    "       the server keeps serving meanwhile.\n"
    "backup a consistent copy of the store DB at OUT (SQLite's online backup API: the\n"
    "       server keeps serving and writing meanwhile), checked with integrity_check,\n"
    "       mode 0600, put in place by rename; its signing key beside it (OUT.key) and\n"
    "       its head (OUT.head). Never overwrites OUT. The archive (DB.archive) is not\n"
    "       copied: it is append-only, copy its files as they are.\n"
    "restore the store at DB replaced by BACKUP: BACKUP is copied beside DB, checked\n"
    "       (integrity_check, and its head if it has one), its audit chain verified\n"
    "       with the archive (audit verify), and only then renamed over DB, with its\n"
    "       signing key and a head file naming its last record. Refused while a\n"
    "       server has DB open. Says how many published records the restore gives up.\n"
    "Exit 0 done, 1 refused (the reason on standard error), 2 bad usage.\n";

static void size_text(double bytes, char *out, size_t size)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(out, size, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
}

static void age_text(dc_time_us then, dc_time_us now, char *out, size_t size)
{
    char t[40];
    if (then <= 0) {
        snprintf(out, size, "-");
        return;
    }
    if (dc_time_format(then, t, sizeof t) != DC_OK)
        snprintf(t, sizeof t, "?");
    double s = (double)(now - then) / 1e6;
    if (s < 120)
        snprintf(out, size, "%s (%.0f s ago)", t, s);
    else if (s < 7200)
        snprintf(out, size, "%s (%.0f min ago)", t, s / 60);
    else if (s < 172800)
        snprintf(out, size, "%s (%.1f h ago)", t, s / 3600);
    else
        snprintf(out, size, "%s (%.1f days ago)", t, s / 86400);
}

struct archive_sum {
    int64_t count, bytes, rows[DC_RETAIN_COUNT], open;
    dc_segment newest;
};

static int sum_segment(void *ctx, const dc_segment *g)
{
    struct archive_sum *a = ctx;
    a->count++;
    a->bytes += g->bytes;
    a->open += !g->closed;
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        a->rows[k] += g->rows[k];
    a->newest = *g;
    return 0;
}

static int stats(const char *db, const char *archive)
{
    dc_store *store;
    dc_error err;
    if (dc_store_open(db, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict store: %s\n", err.message);
        return 2;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    dc_time_us now = (dc_time_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    dc_store_stats st;
    struct archive_sum a;
    memset(&a, 0, sizeof a);
    double live[3] = {0}, total[3] = {0};
    static const dc_time_us over[3] = {INT64_C(60000000), INT64_C(3600000000),
                                       INT64_C(86400000000)};
    dc_status rc = dc_store_stats_read(store, &st);
    if (rc == DC_OK && dc_store_begin(store, 0) == DC_OK) {
        rc = dc_store_segments(store, sum_segment, &a);
        for (int i = 0; rc == DC_OK && i < 3; i++)
            rc = dc_store_size_growth(store, now, over[i], &live[i], &total[i]);
        dc_store_rollback(store);
    }
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict store: cannot read %s\n", db);
        dc_store_close(store);
        return 2;
    }
    char a_text[32], b_text[32], c_text[32];
    size_text((double)st.file_bytes, a_text, sizeof a_text);
    size_text((double)st.free_bytes, b_text, sizeof b_text);
    size_text((double)st.wal_bytes, c_text, sizeof c_text);
    printf("live store %s: %s (%s of it free pages), write-ahead log %s\n", db, a_text, b_text,
           c_text);
    printf("  %-9s %12s %10s  %s\n", "kind", "rows", "bytes", "oldest kept");
    for (int k = 0; k <= DC_RETAIN_COUNT; k++) {
        char age[96];
        size_text((double)st.bytes[k], a_text, sizeof a_text);
        if (k == DC_RETAIN_COUNT) {
            printf("  %-9s %12s %10s\n", "other", "", a_text);
            continue;
        }
        age_text(st.oldest[k], now, age, sizeof age);
        printf("  %-9s %12lld %10s  %s%s\n", dc_retained_name((dc_retained)k),
               (long long)st.rows[k], a_text, age,
               k == DC_RETAIN_OBJECTS && st.oldest[k] > 0 ? " (ended or withdrawn)" : "");
    }
    char dir[1100];
    if (archive != NULL)
        snprintf(dir, sizeof dir, "%s", archive);
    else
        snprintf(dir, sizeof dir, "%s.archive", db);
    size_text((double)a.bytes, a_text, sizeof a_text);
    printf("archive %s: %lld segments (%lld open), %s; rows: %lld audit, %lld alerts, %lld"
           " notices, %lld messages, %lld objects\n",
           dir, (long long)a.count, (long long)a.open, a_text, (long long)a.rows[DC_RETAIN_AUDIT],
           (long long)a.rows[DC_RETAIN_ALERTS], (long long)a.rows[DC_RETAIN_NOTICES],
           (long long)a.rows[DC_RETAIN_MESSAGES], (long long)a.rows[DC_RETAIN_OBJECTS]);
    if (a.count > 0) {
        char when[96];
        age_text(a.newest.updated, now, when, sizeof when);
        printf("  newest: %s, %s, audit records up to %lld, last written %s\n", a.newest.file,
               a.newest.closed ? "closed" : "open", (long long)a.newest.chain_seq, when);
    }
    static const char *const names[3] = {"minute", "hour", "day"};
    for (int i = 0; i < 3; i++) {
        size_text(live[i] < 0 ? -live[i] : live[i], a_text, sizeof a_text);
        size_text(total[i], b_text, sizeof b_text);
        printf("growth over the last %s: live store %s%s/s, with the archive %s/s\n", names[i],
               live[i] < 0 ? "-" : "+", a_text, b_text);
    }
    dc_store_close(store);
    return 0;
}

static int backup(const char *db, const char *out)
{
    dc_error err;
    int64_t last = 0;
    if (dc_store_backup(db, out, &last, &err) != DC_OK) {
        fprintf(stderr, "deconflict store backup: %s\n", err.message);
        return 1;
    }
    printf("backup of %s at %s: integrity_check ok, audit records to %lld\n", db, out,
           (long long)last);
    return 0;
}

static int restore(const char *backup_path, const char *db, const char *archive)
{
    char staged[4096], dir[4096];
    dc_error err;
    snprintf(staged, sizeof staged, "%s.restoring", db);
    if (archive != NULL)
        snprintf(dir, sizeof dir, "%s", archive);
    else
        snprintf(dir, sizeof dir, "%s.archive", db);
    if (dc_store_restore_stage(backup_path, staged, &err) != DC_OK) {
        fprintf(stderr, "deconflict store restore: %s: nothing changed\n", err.message);
        return 1;
    }
    /* the chain as `audit verify` walks it, with the archive the restored store will serve */
    int verified = dc_cli_audit_verify(staged, dir);
    if (verified != 0) {
        fprintf(stderr, "deconflict store restore: %s does not verify (above): nothing changed\n",
                backup_path);
        char path[4200];
        static const char *const suffixes[] = {"", "-wal", "-shm", ".key"};
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            snprintf(path, sizeof path, "%s%s", staged, suffixes[i]);
            remove(path);
        }
        return 1;
    }
    int64_t previous = 0, restored = 0;
    dc_status rc = dc_store_restore_install(staged, backup_path, db, &previous, &restored, &err);
    char key[4200];
    snprintf(key, sizeof key, "%s.key", staged);
    remove(key);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict store restore: %s: nothing changed\n", err.message);
        return 1;
    }
    printf("restored %s from %s: audit records to %lld", db, backup_path, (long long)restored);
    if (previous > restored)
        printf("; the replaced store had published records to %lld: %lld given up\n",
               (long long)previous, (long long)(previous - restored));
    else
        printf("\n");
    return 0;
}

int dc_cli_store(int argc, char **argv)
{
    const char *db = NULL, *archive = NULL, *positional[2] = {NULL, NULL};
    size_t positionals = 0;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--archive") == 0 && i + 1 < argc)
            archive = argv[++i];
        else if (argv[i][0] != '-' && positionals < 2)
            positional[positionals++] = argv[i];
        else {
            fprintf(stderr, "deconflict store: unexpected '%s'\n%s", argv[i], help);
            return 2;
        }
    }
    if (strcmp(argv[1], "backup") == 0 && positionals == 2 && db == NULL)
        return backup(positional[0], positional[1]);
    if (strcmp(argv[1], "restore") == 0 && positionals == 2 && db == NULL)
        return restore(positional[0], positional[1], archive);
    if (strcmp(argv[1], "stats") != 0 || db == NULL || positionals > 0) {
        fputs(help, stderr);
        return 2;
    }
    return stats(db, archive);
}
