/* store.c - `deconflict store stats|backup|restore`: the live store's size by kind, its oldest
 * rows, the archive and the rate of growth; a backup while it serves; a verified restore */
#include "cli.h"
#include "deconflict/store.h"
#include "deconflict/store_check.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char help[] =
    "usage: deconflict store stats --db FILE [--archive DIR] [--json]\n"
    "       deconflict store backup DB OUT [--json]\n"
    "       deconflict store restore BACKUP DB [--archive DIR] [--json]\n"
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
    "--json one JSON document on standard output. stats: every figure of the text in\n"
    "       bytes, seconds and bytes a second, named as /metrics names them\n"
    "       (store_file_bytes, store_bytes, store_rows, store_oldest_seconds,\n"
    "       archive_segments, archive_bytes, archive_rows,\n"
    "       store_growth_bytes_per_second), with the oldest rows' times. backup: the\n"
    "       paths written, the copy's bytes, integrity_check, audit_records_to.\n"
    "       restore: the paths, the backup's bytes, integrity_check, the audit verify\n"
    "       document of the staged copy, audit_records_to and what was given up.\n"
    "       Refused or unreadable: the reason (and a failed verify's problems) on\n"
    "       standard error, no document.\n"
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

/* What `store stats` measured, for the text and for --json alike. */
struct measured {
    const char *db;
    char dir[1100];
    dc_time_us now;
    dc_store_stats st;
    struct archive_sum a;
    double live[3], total[3]; /* growth over the last minute, hour, day, bytes a second */
};

static const char *const periods[3] = {"minute", "hour", "day"};

static const char *kind_name(int k)
{
    return k < DC_RETAIN_COUNT ? dc_retained_name((dc_retained)k) : "other";
}

static json_t *time_or_null(dc_time_us t)
{
    char text[40];
    return t > 0 && dc_time_format(t, text, sizeof text) == DC_OK ? json_string(text) : json_null();
}

static void stats_json(const struct measured *m)
{
    json_t *bytes = json_object(), *rows = json_object(), *oldest = json_object(),
           *age = json_object(), *archived = json_object(), *growth = json_object();
    for (int k = 0; k <= DC_RETAIN_COUNT; k++) {
        json_object_set_new(bytes, kind_name(k), json_integer(m->st.bytes[k]));
        if (k == DC_RETAIN_COUNT)
            continue;
        json_object_set_new(rows, kind_name(k), json_integer(m->st.rows[k]));
        json_object_set_new(oldest, kind_name(k), time_or_null(m->st.oldest[k]));
        json_object_set_new(age, kind_name(k),
                            m->st.oldest[k] > 0
                                ? json_real((double)(m->now - m->st.oldest[k]) / 1e6)
                                : json_null());
        json_object_set_new(archived, kind_name(k), json_integer(m->a.rows[k]));
    }
    for (int i = 0; i < 3; i++)
        json_object_set_new(growth, periods[i],
                            json_pack("{s:f,s:f}", "live", m->live[i], "total", m->total[i]));
    json_t *newest = json_null();
    if (m->a.count > 0) {
        const dc_segment *g = &m->a.newest;
        newest = json_pack("{s:s,s:I,s:b,s:I,s:o,s:f}", "file", g->file, "segment",
                           (json_int_t)g->number, "closed", g->closed, "audit_records_to",
                           (json_int_t)g->chain_seq, "updated", time_or_null(g->updated),
                           "updated_seconds_ago", (double)(m->now - g->updated) / 1e6);
    }
    dc_cli_print_json(json_pack(
        "{s:s,s:o,s:{s:I,s:I,s:I},s:o,s:o,s:o,s:o,s:s,s:I,s:I,s:I,s:o,s:o,s:o}", "store", m->db,
        "measured", time_or_null(m->now), "store_file_bytes", "file", (json_int_t)m->st.file_bytes,
        "free", (json_int_t)m->st.free_bytes, "wal", (json_int_t)m->st.wal_bytes, "store_bytes",
        bytes, "store_rows", rows, "store_oldest", oldest, "store_oldest_seconds", age, "archive",
        m->dir, "archive_segments", (json_int_t)m->a.count, "archive_open_segments",
        (json_int_t)m->a.open, "archive_bytes", (json_int_t)m->a.bytes, "archive_rows", archived,
        "archive_newest", newest, "store_growth_bytes_per_second", growth));
}

static void stats_text(const struct measured *m)
{
    const dc_store_stats *st = &m->st;
    const struct archive_sum *a = &m->a;
    char a_text[32], b_text[32], c_text[32];
    size_text((double)st->file_bytes, a_text, sizeof a_text);
    size_text((double)st->free_bytes, b_text, sizeof b_text);
    size_text((double)st->wal_bytes, c_text, sizeof c_text);
    printf("live store %s: %s (%s of it free pages), write-ahead log %s\n", m->db, a_text, b_text,
           c_text);
    printf("  %-9s %12s %10s  %s\n", "kind", "rows", "bytes", "oldest kept");
    for (int k = 0; k <= DC_RETAIN_COUNT; k++) {
        char age[96];
        size_text((double)st->bytes[k], a_text, sizeof a_text);
        if (k == DC_RETAIN_COUNT) {
            printf("  %-9s %12s %10s\n", "other", "", a_text);
            continue;
        }
        age_text(st->oldest[k], m->now, age, sizeof age);
        printf("  %-9s %12lld %10s  %s%s\n", kind_name(k), (long long)st->rows[k], a_text, age,
               k == DC_RETAIN_OBJECTS && st->oldest[k] > 0 ? " (ended or withdrawn)" : "");
    }
    size_text((double)a->bytes, a_text, sizeof a_text);
    printf("archive %s: %lld segments (%lld open), %s; rows: %lld audit, %lld alerts, %lld"
           " notices, %lld messages, %lld objects\n",
           m->dir, (long long)a->count, (long long)a->open, a_text,
           (long long)a->rows[DC_RETAIN_AUDIT], (long long)a->rows[DC_RETAIN_ALERTS],
           (long long)a->rows[DC_RETAIN_NOTICES], (long long)a->rows[DC_RETAIN_MESSAGES],
           (long long)a->rows[DC_RETAIN_OBJECTS]);
    if (a->count > 0) {
        char when[96];
        age_text(a->newest.updated, m->now, when, sizeof when);
        printf("  newest: %s, %s, audit records up to %lld, last written %s\n", a->newest.file,
               a->newest.closed ? "closed" : "open", (long long)a->newest.chain_seq, when);
    }
    for (int i = 0; i < 3; i++) {
        double live = m->live[i];
        size_text(live < 0 ? -live : live, a_text, sizeof a_text);
        size_text(m->total[i], b_text, sizeof b_text);
        printf("growth over the last %s: live store %s%s/s, with the archive %s/s\n", periods[i],
               live < 0 ? "-" : "+", a_text, b_text);
    }
}

static int stats(const char *db, const char *archive, int json)
{
    if (dc_cli_store_present("deconflict store", db) != 0)
        return 2;
    dc_store *store;
    dc_error err;
    if (dc_store_open(db, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict store: %s\n", err.message);
        return 2;
    }
    struct measured *m = dc_calloc(1, sizeof *m);
    if (m == NULL) {
        fprintf(stderr, "deconflict store: out of memory\n");
        dc_store_close(store);
        return 2;
    }
    m->db = db;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->now = (dc_time_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    static const dc_time_us over[3] = {INT64_C(60000000), INT64_C(3600000000),
                                       INT64_C(86400000000)};
    dc_status rc = dc_store_stats_read(store, &m->st);
    if (rc == DC_OK && dc_store_begin(store, 0) == DC_OK) {
        rc = dc_store_segments(store, sum_segment, &m->a);
        for (int i = 0; rc == DC_OK && i < 3; i++)
            rc = dc_store_size_growth(store, m->now, over[i], &m->live[i], &m->total[i]);
        dc_store_rollback(store);
    }
    dc_store_close(store);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict store: cannot read %s\n", db);
        dc_free(m);
        return 2;
    }
    if (archive != NULL)
        snprintf(m->dir, sizeof m->dir, "%s", archive);
    else
        snprintf(m->dir, sizeof m->dir, "%s.archive", db);
    if (json)
        stats_json(m);
    else
        stats_text(m);
    dc_free(m);
    return 0;
}

static json_t *file_bytes(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 ? json_integer((json_int_t)info.st_size) : json_null();
}

static int backup(const char *db, const char *out, int json)
{
    dc_error err;
    int64_t last = 0;
    if (dc_store_backup(db, out, &last, &err) != DC_OK) {
        fprintf(stderr, "deconflict store backup: %s\n", err.message);
        return 1;
    }
    if (!json) {
        printf("backup of %s at %s: integrity_check ok, audit records to %lld\n", db, out,
               (long long)last);
        return 0;
    }
    char key[4200], head[4200];
    snprintf(key, sizeof key, "%s.key", out);
    snprintf(head, sizeof head, "%s.head", out);
    dc_cli_print_json(json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:I}", "store", db, "backup", out,
                                "bytes", file_bytes(out), "key", key, "head", head,
                                "integrity_check", "ok", "audit_records_to", (json_int_t)last));
    return 0;
}

/* A staged copy that did not verify: gone, and why on standard error (--json: each problem). */
static void refuse_staged(const char *staged, const char *backup_path, json_t *report, int verified)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(report, "problems"), i, p)
        fprintf(stderr, "FAIL %s\n", json_string_value(json_object_get(p, "detail")));
    fprintf(stderr, "deconflict store restore: %s does not verify (%s): nothing changed\n",
            backup_path, verified == 1 ? "above" : "its store cannot be read");
    char path[4200];
    static const char *const suffixes[] = {"", "-wal", "-shm", ".key"};
    for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
        snprintf(path, sizeof path, "%s%s", staged, suffixes[k]);
        remove(path);
    }
}

static int restore(const char *backup_path, const char *db, const char *archive, int json)
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
    json_t *report = NULL;
    int verified = dc_cli_audit_verify(staged, dir, json ? &report : NULL);
    if (verified != 0) {
        refuse_staged(staged, backup_path, report, verified);
        json_decref(report);
        return 1;
    }
    int64_t previous = 0, restored = 0;
    dc_status rc = dc_store_restore_install(staged, backup_path, db, &previous, &restored, &err);
    char key[4200];
    snprintf(key, sizeof key, "%s.key", staged);
    remove(key);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict store restore: %s: nothing changed\n", err.message);
        json_decref(report);
        return 1;
    }
    if (json) {
        char head[4200];
        snprintf(head, sizeof head, "%s.head", db);
        dc_cli_print_json(json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:I,s:I,s:I}", "store", db,
                                    "backup", backup_path, "bytes", file_bytes(db), "head", head,
                                    "archive", dir, "integrity_check", "ok", "verify", report,
                                    "audit_records_to", (json_int_t)restored, "previous_head",
                                    (json_int_t)previous, "given_up",
                                    (json_int_t)(previous > restored ? previous - restored : 0)));
        return 0;
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
    int json = 0;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--archive") == 0 && i + 1 < argc)
            archive = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] != '-' && positionals < 2)
            positional[positionals++] = argv[i];
        else {
            fprintf(stderr, "deconflict store: unexpected '%s'\n%s", argv[i], help);
            return 2;
        }
    }
    if (strcmp(argv[1], "backup") == 0 && positionals == 2 && db == NULL)
        return backup(positional[0], positional[1], json);
    if (strcmp(argv[1], "restore") == 0 && positionals == 2 && db == NULL)
        return restore(positional[0], positional[1], archive, json);
    if (strcmp(argv[1], "stats") != 0 || db == NULL || positionals > 0) {
        fputs(help, stderr);
        return 2;
    }
    return stats(db, archive, json);
}
