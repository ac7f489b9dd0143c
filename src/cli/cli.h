/* cli.h - the subcommands of the deconflict program */
#ifndef DECONFLICT_CLI_H
#define DECONFLICT_CLI_H

#include "../front/front.h"

#include <jansson.h>
#include <stdio.h>

/* Each returns the process exit status: 0 success, 1 a refused input,
 * 2 a usage error. */
int dc_cli_coord(int argc, char **argv);
int dc_cli_check(int argc, char **argv);
int dc_cli_audit(int argc, char **argv);
int dc_cli_monitor(int argc, char **argv);
int dc_cli_replay(int argc, char **argv);
int dc_cli_party(int argc, char **argv);
int dc_cli_store(int argc, char **argv);

/* `deconflict audit verify --db DB [--archive DIR]` as a step of another command (a restore):
 * 0 when the chain, the archive and the rows hold, 1 with the problems printed, 2 when the store
 * cannot be read. With `report`, nothing is printed: *report is the --json document (NULL on 2). */
int dc_cli_audit_verify(const char *db, const char *archive, json_t **report);

int dc_cli_load(int argc, char **argv);
/* `deconflict check`: the scenario loaded as `load` loads it, into deconflictd's routes answered
 * in this process over a temporary store (local.c), so that each object is decided exactly as a
 * server decides it. The exit status of load: 0 all accepted, 1 something refused or failed, 2
 * unusable input. */
int dc_cli_check_in_process(const char *scenario, int json, const char *borders_dir);
int dc_cli_feed(int argc, char **argv);     /* feed.c: a receiver's feed to a server */
int dc_cli_airspace(int argc, char **argv); /* airspace.c: land to national airspace */

/* `deconflict party COMMAND --server URL`: add (create), list, show, rotate, revoke through the
 * API with the operator key (--operator-key-file or $DC_OPERATOR_KEY). Exit status as above. */
int dc_cli_party_remote(const char *command, const char *server, const char *key_file,
                        const char *name, const char *notation, const char *ceiling, int json);

/* "1 conflict", "2 conflicts": `singular` and `plural` after the count. */
#define DC_CLI_PLURAL(n, singular, plural) (n), ((n) == 1 ? (singular) : (plural))

#endif
