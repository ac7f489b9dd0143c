/* serve.c - `deconflict serve` (and deconflictd): configure from flags and environment, then serve
 */
#include "cli.h"
#include "deconflict/server.h"
#include "deconflict/store_check.h"

#include <string.h>

int dc_cli_serve(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const char *program = slash ? slash + 1 : argv[0];
    if (strcmp(program, "serve") == 0)
        program = "deconflict serve";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(dc_server_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0)
            return dc_cli_print_version(program);
    }
    dc_server_config config;
    dc_error err;
    if (dc_server_config_parse(argc, argv, &config, &err) != DC_OK) {
        fprintf(stderr, "%s: %s\n%s", program, err.message, dc_server_usage);
        return 2;
    }
    /* a store that cannot be trusted is refused before anything opens it: exit 3, distinct from
     * any other failure to start, so that a supervisor does not restart into it */
    dc_store_check_report report;
    if (dc_store_check(config.db, config.check_level, config.check_seconds, &report, &err) !=
        DC_OK) {
        fprintf(stderr, "%s: store refused: %s\n", program, err.message);
        return 3;
    }
    if (report.new_store)
        fprintf(stderr, "%s: no store at %s: a new one is created\n", program, config.db);
    else
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
    if (dc_server_run(&config, &err) != DC_OK) {
        fprintf(stderr, "%s: %s: %s\n", program, dc_status_name(err.status), err.message);
        return 1;
    }
    return 0;
}
