/* cli.h - the subcommands of the deconflict program */
#ifndef DECONFLICT_CLI_H
#define DECONFLICT_CLI_H

#include <stdio.h>

/* Each returns the process exit status: 0 success, 1 a refused input,
 * 2 a usage error. */
int dc_cli_coord(int argc, char **argv);
int dc_cli_check(int argc, char **argv);
int dc_cli_serve(int argc, char **argv);
int dc_cli_audit(int argc, char **argv);
int dc_cli_monitor(int argc, char **argv);
int dc_cli_replay(int argc, char **argv);
int dc_cli_party(int argc, char **argv);
int dc_cli_store(int argc, char **argv);

/* `deconflict audit verify --db DB [--archive DIR]` as a step of another command (a restore):
 * 0 when the chain, the archive and the rows hold, 1 with the problems printed, 2 when the store
 * cannot be read. */
int dc_cli_audit_verify(const char *db, const char *archive);

#endif
