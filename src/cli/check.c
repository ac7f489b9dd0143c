/* check.c - `deconflict check FILE`: a scenario decided offline exactly as a server decides it */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: deconflict check [--json] [--borders DIR] SCENARIO|-\n"
    "\n"
    "Decides a scenario offline exactly as deconflictd would: the scenario is loaded\n"
    "as `deconflict load` loads it (parties, borders as zones, grants, direct-line\n"
    "messages, then every object in file order) into the server's own routes, run in\n"
    "this process over a temporary store that is removed afterwards. Prints each\n"
    "object's decision and what its owner was told of each conflict (the disclosure\n"
    "policy's notices). The file format is in docs/SCENARIOS.md; - reads standard\n"
    "input; SCENARIO may be a directory holding scenario.geojson.\n"
    "\n"
    "  --json         one JSON document: every step with the server's answer\n"
    "  --borders DIR  where the countries' borders are (default: the build's)\n"
    "\n"
    "Exit status: 0 all accepted, 1 something refused, 2 unreadable input.\n";

int dc_cli_check(int argc, char **argv)
{
    int json = 0;
    const char *path = NULL, *borders = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--borders") == 0 && i + 1 < argc) {
            borders = argv[++i];
        } else if ((argv[i][0] == '-' && argv[i][1] != '\0') || path != NULL) {
            fprintf(stderr, "deconflict check: unexpected '%s'\n%s", argv[i], help);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fputs(help, stderr);
        return 2;
    }
    return dc_cli_check_in_process(path, json, borders);
}
