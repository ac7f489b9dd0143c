/* audit_cli.h - what `deconflict audit verify` and `audit who-saw` share */
#ifndef DECONFLICT_AUDIT_CLI_H
#define DECONFLICT_AUDIT_CLI_H

#include "deconflict/store.h"

#include <stddef.h>

/* The archive's segments as the store committed them, in order (dc_store_segments). */
struct dc_cli_listed {
    dc_segment *items;
    size_t count, capacity;
};
int dc_cli_audit_list_segment(void *ctx, const dc_segment *g);

/* --archive DIR as given, else DB.archive. */
void dc_cli_audit_archive_dir(const char *db, const char *given, char *out, size_t size);

/* `audit who-saw OBJECT`: 0, or 2 when the store or its records cannot be read. */
int dc_cli_audit_who_saw(const char *db, const char *archive_dir, const char *object, int json);

#endif
