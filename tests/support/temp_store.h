/* temp_store.h - a store in a directory of its own under /tmp for a unit test, and its removal.
 * With DC_TEST_PG_ADMIN set (a libpq URI of a database a superuser may create databases from, as
 * the postgres test fixture gives), the store is a new PostgreSQL database of that cluster
 * instead, dropped again by temp_store_remove: the same tests run against both backends. */
#ifndef DECONFLICT_TEMP_STORE_H
#define DECONFLICT_TEMP_STORE_H

#include "deconflict/store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct temp_store {
    char dir[64], db[512], key[128], pg_name[64];
    dc_store *store;
} temp_store;

/* Run one statement on the admin database: 0, or -1. */
static inline int temp_store_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("DC_TEST_PG_ADMIN"));
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "temp_store: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return ok ? 0 : -1;
}

/* The admin URI with its database name replaced by `name`. */
static inline void temp_store_pg_uri(const char *admin, const char *name, char *out, size_t size)
{
    const char *slash = strstr(admin, "://");
    slash = slash != NULL ? strchr(slash + 3, '/') : NULL;
    size_t host_len = slash != NULL ? (size_t)(slash - admin) : strlen(admin);
    const char *query = slash != NULL ? strchr(slash, '?') : NULL;
    snprintf(out, size, "%.*s/%s%s", (int)host_len, admin, name, query != NULL ? query : "");
}

/* Open a new store in /tmp/dc-<name>-XXXXXX: 0, or -1 (nothing left behind but the directory). */
static inline int temp_store_open(temp_store *t, const char *name)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/dc-%s-XXXXXX", name);
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->db, sizeof t->db, "%s/store.db", t->dir);
    snprintf(t->key, sizeof t->key, "%s/server.key", t->dir);
    t->pg_name[0] = '\0';
    const char *admin = getenv("DC_TEST_PG_ADMIN");
    if (admin != NULL && admin[0] != '\0') {
        snprintf(t->pg_name, sizeof t->pg_name, "dc_unit_%ld_%s", (long)getpid(),
                 strrchr(t->dir, '-') + 1);
        for (char *p = t->pg_name; *p; p++)
            *p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->pg_name);
        if (temp_store_admin(sql) != 0)
            return -1;
        temp_store_pg_uri(admin, t->pg_name, t->db, sizeof t->db);
    }
    dc_error err;
    if (dc_audit_init() != DC_OK)
        return -1;
    if (dc_store_open_keyed(t->db, t->pg_name[0] ? t->key : NULL, &t->store, &err) != DC_OK) {
        fprintf(stderr, "temp_store: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* Close the store and remove its directory (and its database). */
static inline void temp_store_remove(temp_store *t)
{
    dc_store_close(t->store);
    t->store = NULL;
    if (t->pg_name[0] != '\0') {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->pg_name);
        (void)temp_store_admin(sql);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
    int ignored = system(cmd);
    (void)ignored;
}

/* A cmocka fixture of `size` bytes whose first member is a temp_store, opened: 0, or -1. */
static inline int temp_store_fixture_open(void **state, size_t size, const char *name)
{
    temp_store *t = calloc(1, size);
    if (t == NULL || temp_store_open(t, name) != 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

/* Its removal. */
static inline int temp_store_fixture_remove(void **state)
{
    temp_store_remove(*state);
    free(*state);
    return 0;
}

#endif
