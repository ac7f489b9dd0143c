/* main.c - the deconflict command: dispatch to subcommands */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"coord", dc_cli_coord, "parse, convert and read back coordinates"},
    {"check", dc_cli_check, "check a scenario's intents, hazards and zones for conflicts"},
    {"monitor", dc_cli_monitor, "run recorded tracks through the live monitor"},
    {"replay", dc_cli_replay, "measure and draw recorded crossings of a zone"},
    {"serve", dc_cli_serve, "run the server (as deconflictd)"},
    {"audit", dc_cli_audit, "verify the audit chain; who saw an object"},
    {"party", dc_cli_party, "create parties; rotate or revoke their keys; grant priority ceilings"},
    {"store", dc_cli_store, "the store's size by kind, its oldest rows, the archive, its growth"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: deconflict COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'deconflict COMMAND --help' explains a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "deconflict: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
