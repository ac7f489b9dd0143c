/* serve.c - `deconflict serve` (and deconflictd): configure from flags and environment, then serve
 */
#include "front.h"
#include "deconflict/server.h"
#include "deconflict/store_check.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* --json: what a supervisor or a script needs to reach the server, once it listens */
struct started {
    const dc_server_config *config;
    const dc_store_check_report *report;
};

static json_t *check_json(const dc_server_config *config, const dc_store_check_report *report)
{
    if (report->new_store)
        return json_pack("{s:b}", "new_store", 1);
    return json_pack("{s:b,s:s,s:b,s:I,s:f,s:I,s:I,s:I,s:b,s:s}", "new_store", 0, "level",
                     config->check_level == DC_CHECK_FULL    ? "integrity_check"
                     : config->check_level == DC_CHECK_QUICK ? "quick_check"
                                                             : "none",
                     "complete", report->complete, "pages", (json_int_t)report->pages, "seconds",
                     report->seconds, "audit_records_to", (json_int_t)report->chain_last,
                     "audit_records_checked", (json_int_t)report->chain_checked, "published_head",
                     (json_int_t)report->head_seq, "torn_record_skipped", report->head_torn,
                     "notes", report->notes);
}

static void print_started(void *ctx, const dc_server_listening *facts)
{
    const struct started *s = ctx;
    json_t *doc = json_pack("{s:s,s:i}", "listen", facts->listen, "port", (int)facts->port);
    /* a URL only where the address names a host: ":8080" is every interface */
    const char *colon = strrchr(facts->listen, ':');
    if (colon != NULL && colon > facts->listen) {
        char url[300];
        snprintf(url, sizeof url, "http://%.*s:%u", (int)(colon - facts->listen), facts->listen,
                 facts->port);
        json_object_set_new(doc, "url", json_string(url));
    }
    json_object_update_new(
        doc,
        json_pack("{s:s,s:o,s:s,s:s,s:i,s:s,s:s}", "store", facts->db, "store_check",
                  check_json(s->config, s->report), "operator_key_file", facts->operator_key_file,
                  "operator_key", facts->operator_key_created ? "created" : "read", "threads",
                  (int)facts->threads, "archive", facts->archive_dir, "version", dc_cli_version()));
    char *line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line != NULL)
        printf("%s\n", line);
    fflush(stdout); /* a reader waits for this line: it must not sit in a buffer */
    free(line);
    json_decref(doc);
}

int dc_cli_serve(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const char *program = slash ? slash + 1 : argv[0];
    if (strcmp(program, "serve") == 0)
        program = "deconflict serve";
    int json = 0, kept = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(dc_server_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0)
            return dc_cli_print_version(program);
    }
    /* --json is this program's, not the server's configuration: taken out before that is read */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    dc_server_config config;
    dc_error err;
    if (dc_server_config_parse(argc, argv, &config, &err) != DC_OK) {
        fprintf(stderr, "%s: %s\n%s", program, err.message, dc_server_usage);
        return 2;
    }
    /* a store that cannot be trusted is refused before anything opens it: exit 3, distinct from
     * any other failure to start, so that a supervisor does not restart into it. A PostgreSQL
     * store is the database's to keep whole; its audit chain is verified by `deconflict audit
     * verify` as any store's. */
    dc_store_check_report report;
    memset(&report, 0, sizeof report);
    char shown[512];
    dc_store_location_text(config.db, shown, sizeof shown);
    if (dc_store_location_shared(config.db)) {
        snprintf(report.notes, sizeof report.notes, "PostgreSQL: checked by the database");
        fprintf(stderr, "%s: store %s (PostgreSQL, shared)\n", program, shown);
    } else if (dc_store_check(config.db, config.check_level, config.check_seconds, &report, &err) !=
               DC_OK) {
        fprintf(stderr, "%s: store refused: %s\n", program, err.message);
        return 3;
    } else if (report.new_store) {
        fprintf(stderr, "%s: no store at %s: a new one is created\n", program, config.db);
    } else {
        fprintf(stderr,
                "%s: store %s checked (%s%s, %lld pages in %.2f s; audit records to %lld, %lld"
                " checked; published head %lld%s)%s%s\n",
                program, config.db,
                config.check_level == DC_CHECK_FULL    ? "integrity_check"
                : config.check_level == DC_CHECK_QUICK ? "quick_check"
                                                       : "no page check",
                report.complete ? "" : ", incomplete", (long long)report.pages, report.seconds,
                (long long)report.chain_last, (long long)report.chain_checked,
                (long long)report.head_seq, report.head_torn ? ", a torn last record skipped" : "",
                report.notes[0] ? ": " : "", report.notes);
    }
    struct started started = {&config, &report};
    if (json) {
        config.on_listening = print_started;
        config.listening_ctx = &started;
    }
    if (dc_server_run(&config, &err) != DC_OK) {
        fprintf(stderr, "%s: %s: %s\n", program, dc_status_name(err.status), err.message);
        return 1;
    }
    return 0;
}
