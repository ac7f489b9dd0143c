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
    {"load", dc_cli_load, "load a scenario into a running server"},
    {"feed", dc_cli_feed, "post a receiver's SBS-1 or aircraft.json feed to a server"},
    {"audit", dc_cli_audit, "verify the audit chain; who saw an object"},
    {"party", dc_cli_party, "add, list and revoke parties (on a server or a store file)"},
    {"airspace", dc_cli_airspace,
     "national airspace (land and territorial sea) from land outlines"},
    {"store", dc_cli_store, "the store's size by kind, its oldest rows, the archive, its growth"},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: deconflict COMMAND [ARGS]\n"
                 "       deconflict help [COMMAND]\n"
                 "       deconflict --version\n\ncommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'deconflict help COMMAND' or 'deconflict COMMAND --help' explains a command;\n"
                 "every command takes --json for one JSON document on standard output, and\n"
                 "'-' for standard input where it reads a file.\n");
}

static int find(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(name, commands[i].name) == 0)
            return (int)i;
    return -1;
}

static int unknown(const char *name)
{
    fprintf(stderr, "deconflict: unknown command '%s'\n", name);
    usage(stderr);
    return 2;
}

/* The command's help, whatever else its line says. */
static int command_help(int i)
{
    char name[16], flag[] = "--help";
    snprintf(name, sizeof name, "%s", commands[i].name);
    char *args[] = {name, flag, NULL};
    return commands[i].run(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *word = argv[1];
    if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(word, "--version") == 0 || strcmp(word, "version") == 0)
        return dc_cli_print_version("deconflict");
    if (strcmp(word, "help") == 0) {
        if (argc == 2) {
            usage(stdout);
            return 0;
        }
        int i = find(argv[2]);
        return i < 0 ? unknown(argv[2]) : command_help(i);
    }
    int i = find(word);
    if (i < 0)
        return unknown(word);
    /* -h/--help anywhere before "--" is help, never a value to parse (`coord -h` is no
     * coordinate); --version likewise */
    for (int k = 2; k < argc && strcmp(argv[k], "--") != 0; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0)
            return command_help(i);
        if (strcmp(argv[k], "--version") == 0)
            return dc_cli_print_version("deconflict");
    }
    return commands[i].run(argc - 1, argv + 1);
}
