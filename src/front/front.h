/* front.h - what both programs (deconflict and deconflictd) share: the server's front end, the
 * version, reading inputs and data files, the --json form. Neither src/cli nor src/api reaches
 * into the other; both reach here. */
#ifndef DECONFLICT_FRONT_H
#define DECONFLICT_FRONT_H

#include <jansson.h>
#include <stddef.h>

/* `deconflict serve` and deconflictd: configure from flags and environment, check the store,
 * serve. The process exit status: 0 stopped on a signal, 1 could not start, 2 bad usage, 3 the
 * store was refused. */
int dc_cli_serve(int argc, char **argv);

/* A --json document on standard output, indented, members in order; the reference is taken. */
void dc_cli_print_json(json_t *doc);

/* "0.1.0 (git v0.1-12-gabc)": the project version and, when built from git, `git describe`. */
const char *dc_cli_version(void);
int dc_cli_print_version(const char *program); /* "PROGRAM VERSION" on standard output; 0 */

/* The whole of a file, or of standard input for "-", NUL-terminated (free() it). 0, or -1 with
 * the reason in `why`. */
int dc_cli_read_input(const char *path, char **text, size_t *length, char *why, size_t why_size);
const char *dc_cli_input_name(const char *path); /* "standard input" for "-" */

/* 0 when a store file is at `path`, or `path` is a database server's URI (PostgreSQL); else -1
 * with "PROGRAM: no store at PATH" on standard error: a command that only reads a store must not
 * create an empty one by opening a wrong path. */
int dc_cli_store_present(const char *program, const char *path);

/* A file of the Natural Earth borders (`make borders`), wherever the program runs from:
 * $DECONFLICT_BORDERS, then beside the build tree or the installation, then the source tree it
 * was built from. 0 with the path in `out`, or -1 (`dc_cli_borders_hint` says what to do). */
int dc_cli_borders_file(const char *name, char *out, size_t size);
extern const char dc_cli_borders_hint[];

#endif
