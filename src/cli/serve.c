/* serve.c - `deconflict serve` (and deconflictd): configure from flags and environment, then serve
 */
#include "cli.h"
#include "deconflict/server.h"

#include <string.h>

int dc_cli_serve(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const char *program = slash ? slash + 1 : argv[0];
    if (strcmp(program, "serve") == 0)
        program = "deconflict serve";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(dc_server_usage, stdout);
            return 0;
        }
    dc_server_config config;
    dc_error err;
    if (dc_server_config_parse(argc, argv, &config, &err) != DC_OK) {
        fprintf(stderr, "%s: %s\n%s", program, err.message, dc_server_usage);
        return 2;
    }
    if (dc_server_run(&config, &err) != DC_OK) {
        fprintf(stderr, "%s: %s: %s\n", program, dc_status_name(err.status), err.message);
        return 1;
    }
    return 0;
}
