/* temp_store.h - a store in a directory of its own under /tmp for a unit test, and its removal */
#ifndef DECONFLICT_TEMP_STORE_H
#define DECONFLICT_TEMP_STORE_H

#include "deconflict/store.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct temp_store {
    char dir[64], db[128];
    dc_store *store;
} temp_store;

/* Open a new store in /tmp/dc-<name>-XXXXXX: 0, or -1 (nothing left behind but the directory). */
static inline int temp_store_open(temp_store *t, const char *name)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/dc-%s-XXXXXX", name);
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->db, sizeof t->db, "%s/store.db", t->dir);
    dc_error err;
    return dc_audit_init() == DC_OK && dc_store_open(t->db, &t->store, &err) == DC_OK ? 0 : -1;
}

/* Close the store and remove its directory. */
static inline void temp_store_remove(temp_store *t)
{
    dc_store_close(t->store);
    t->store = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
    int ignored = system(cmd);
    (void)ignored;
}

#endif
