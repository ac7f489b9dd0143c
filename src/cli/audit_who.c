/* audit_who.c - `deconflict audit who-saw OBJECT`: every party the audit chain says was told
 * about an object, what and when, from the archive on into the store */
#include "audit_cli.h"
#include "deconflict/audit_verify.h"
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct who {
    json_t *parties;
    json_t *disclosures; /* --json: one object a disclosure; NULL for text */
    size_t lines;
    char owner[DC_ID_MAX]; /* the object's own party: not a disclosure to tell */
};

static json_t *recipients_json(const char *recipients)
{
    json_t *list = json_array();
    char copy[512];
    dc_copy_text(copy, sizeof copy, recipients);
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
        json_array_append_new(list, json_string(p));
    return list;
}

/* The record as --json gives it: its detail as the JSON it is, or as text when it is not. */
static json_t *disclosure_json(const dc_audit_record *r, const char *time, int about_party)
{
    json_t *detail = json_loads(r->detail, JSON_DECODE_ANY, NULL);
    json_t *d = json_pack("{s:s,s:I,s:s,s:o}", "time", time, "seq", (json_int_t)r->seq, "action",
                          r->action, "recipients", recipients_json(r->recipients));
    if (about_party)
        json_object_set_new(d, "actor", json_string(r->actor));
    if (strncmp(r->object, "list/", 5) == 0)
        json_object_set_new(d, "list", json_string(r->object + 5));
    json_object_set_new(d, "detail", detail != NULL ? detail : json_string(r->detail));
    return d;
}

static int print_disclosure(void *ctx, const dc_audit_record *r)
{
    struct who *w = ctx;
    /* notices, reads through a grant, and alerts (another party's aircraft in a separation
     * alert is audited under that aircraft's track); and a party's own record: what the operator
     * did to it (a key issued or revoked, a ceiling) */
    int about_party = strncmp(r->action, "party.", 6) == 0;
    if (r->recipients[0] == '\0' ||
        (strcmp(r->action, "notice") != 0 && strcmp(r->action, "read") != 0 &&
         strcmp(r->action, "message.read") != 0 && strcmp(r->action, "alert") != 0 && !about_party))
        return 0;
    char t[32];
    if (dc_time_format(r->time, t, sizeof t) != DC_OK)
        snprintf(t, sizeof t, "?"); /* a record's time the chain vouches for, whatever it is */
    if (w->disclosures != NULL)
        json_array_append_new(w->disclosures, disclosure_json(r, t, about_party));
    else if (about_party)
        printf("%s  %-12s %s by %s, seq %lld  %s\n", t, r->recipients, r->action, r->actor,
               (long long)r->seq, r->detail);
    else if (strncmp(r->object, "list/", 5) == 0)
        printf("%s  %-12s %-7s seq %lld  one read of %s naming it among others\n", t, r->recipients,
               r->action, (long long)r->seq, r->object + 5);
    else
        printf("%s  %-12s %-7s seq %lld  %s\n", t, r->recipients, r->action, (long long)r->seq,
               r->detail);
    char copy[sizeof r->recipients];
    dc_copy_text(copy, sizeof copy, r->recipients);
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
        if (strcmp(p, w->owner) != 0)
            json_object_set_new(w->parties, p, json_true());
    w->lines++;
    return 0;
}

struct who_archive {
    struct who *who;
    const char *object;
};

static int who_archived(void *ctx, const dc_archived *item)
{
    struct who_archive *w = ctx;
    if (item->kind != DC_RETAIN_AUDIT)
        return 0;
    if (strcmp(item->audit->object, w->object) == 0)
        return print_disclosure(w->who, item->audit);
    if (strncmp(item->audit->object, "list/", 5) != 0)
        return 0;
    /* a list read: one record naming every object it disclosed (its index stays in the store) */
    json_t *detail = json_loads(item->audit->detail, 0, NULL);
    json_t *names = json_object_get(detail, "objects");
    int named = 0;
    for (size_t i = 0; !named && i < json_array_size(names); i++)
        named = json_is_string(json_array_get(names, i)) &&
                strcmp(json_string_value(json_array_get(names, i)), w->object) == 0;
    json_decref(detail);
    return named ? print_disclosure(w->who, item->audit) : 0;
}

static void who_problem(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "deconflict audit: %s (run 'audit verify')\n", message);
}

static void print_parties(struct who *w, const char *object)
{
    const char *party;
    json_t *value;
    if (w->disclosures != NULL) {
        json_t *names = json_array();
        json_object_foreach(w->parties, party, value)
            json_array_append_new(names, json_string(party));
        dc_cli_print_json(json_pack("{s:s,s:s?,s:o,s:O}", "object", object, "owner",
                                    w->owner[0] ? w->owner : NULL, "parties", names, "disclosures",
                                    w->disclosures));
        return;
    }
    printf("parties:");
    json_object_foreach(w->parties, party, value) printf(" %s", party);
    printf("%s\n", json_object_size(w->parties) ? "" : " (none)");
}

int dc_cli_audit_who_saw(const char *db, const char *archive_dir, const char *object, int json)
{
    if (dc_cli_store_present("deconflict audit", db) != 0)
        return 2;
    dc_store *store;
    dc_error err;
    if (dc_store_open(db, &store, &err) != DC_OK) {
        fprintf(stderr, "deconflict audit: %s\n", err.message);
        return 2;
    }
    struct who w = {json_object(), json ? json_array() : NULL, 0, ""};
    const char *owner = strchr(object, '/');
    if (owner != NULL)
        snprintf(w.owner, sizeof w.owner, "%.*s", (int)strcspn(owner + 1, "/"), owner + 1);
    /* the archive first, oldest segment first, as far as the store committed each; then the
     * store: one chain, in order */
    dc_audit_segment_list listed = {0};
    dc_store_begin(store, 0);
    dc_status rc = dc_store_segments(store, dc_audit_segment_collect, &listed);
    dc_store_rollback(store);
    char dir[1100];
    dc_cli_audit_archive_dir(db, archive_dir, dir, sizeof dir);
    struct who_archive wa = {&w, object};
    for (size_t i = 0; rc == DC_OK && i < listed.count; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, listed.items[i].file);
        dc_segment got;
        if (dc_archive_read(path, listed.items[i].bytes, NULL, who_archived, who_problem, &wa, &got,
                            NULL) != DC_OK)
            fprintf(stderr, "deconflict audit: %s cannot be read: its records are not listed\n",
                    path);
    }
    dc_free(listed.items);
    dc_store_begin(store, 0);
    if (rc == DC_OK)
        rc = dc_store_audit_walk(store, object, print_disclosure, &w);
    dc_store_rollback(store);
    /* --json gives the whole answer or none: a half one would read as complete */
    if (rc != DC_OK)
        fprintf(stderr, "deconflict audit: the audit records of %s cannot be read\n", db);
    if (rc == DC_OK || !json)
        print_parties(&w, object);
    json_decref(w.parties);
    json_decref(w.disclosures);
    dc_store_close(store);
    return rc == DC_OK ? 0 : 2;
}
