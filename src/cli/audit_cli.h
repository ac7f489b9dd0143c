/* audit_cli.h - what `deconflict audit verify` and `audit who-saw` share */
#ifndef DECONFLICT_AUDIT_CLI_H
#define DECONFLICT_AUDIT_CLI_H

#include "deconflict/store.h"

#include <stddef.h>

/* --archive DIR as given, else DB.archive (none for a database server's store). */
void dc_cli_audit_archive_dir(const char *db, const char *given, char *out, size_t size);

/* `audit who-saw OBJECT`: 0, or 2 when the store or its records cannot be read. */
int dc_cli_audit_who_saw(const char *db, const char *archive_dir, const char *object, int json);

#endif
