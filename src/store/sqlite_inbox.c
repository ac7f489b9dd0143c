/* sqlite_inbox.c - what each party was told and learned in the SQLite store: notices, alerts
 * stored once per episode, direct-line messages, the disclosure ledger and probing records */
#include "sqlite_internal.h"

/* ---- notices and alerts: what a party was told, oldest first ---- */

/* The base an alert of episode `key` may be stored against: its id and body, if the episode has
 * one still open at `now`; *base = 0 otherwise. *body is the caller's. */
static dc_status episode_base(dc_store *s, const char *key, dc_time_us now, int64_t *base,
                              char **body)
{
    *base = 0;
    *body = NULL;
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT l.id, l.body FROM alert_episodes e JOIN alert_log l"
                          " ON l.id = e.base AND l.episode = 0"
                          " WHERE e.key = ? AND e.until >= ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    int step = sqlite3_step(st);
    dc_status rc = step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
    if (step == SQLITE_ROW) {
        *body = dc__sq_copy_text(sqlite3_column_text(st, 1));
        *base = sqlite3_column_int64(st, 0);
        if (*body == NULL) {
            *base = 0;
            rc = DC_NOMEM;
        }
    }
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_alert_add(dc_store *s, const char *episode_key, dc_time_us episode_us,
                           const char *const *recipients, const char *const *texts, size_t n,
                           dc_time_us now, int64_t *id)
{
    *id = 0;
    if (n == 0 || n > 8)
        return DC_INVALID;
    char *common = NULL, *extras[8] = {NULL}, *patch = NULL, *base_body = NULL;
    char *joined = dc__alert_recipients_join(recipients, n);
    dc_status rc = joined != NULL ? dc__alert_split(texts, n, &common, extras) : DC_NOMEM;
    int64_t base = 0;
    if (rc == DC_OK && episode_key != NULL)
        rc = episode_base(s, episode_key, now, &base, &base_body);
    if (rc == DC_OK && base != 0)
        rc = dc__alert_patch(base_body, common, &patch);
    sqlite3_stmt *st = rc == DC_OK
                           ? dc__sq_prepare(s, "INSERT INTO alert_log(created, episode, until,"
                                               " recipients, body) VALUES (?, ?, ?, ?, ?)")
                           : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    if (rc == DC_OK) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, base);
        if (base == 0 && episode_key != NULL)
            sqlite3_bind_int64(st, 3, now + episode_us);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_text(st, 4, joined, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, base != 0 ? patch : common, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
        if (rc == DC_OK)
            *id = sqlite3_last_insert_rowid(dc__sq_db(s));
        dc__sq_release(s, st);
    }
    st = rc == DC_OK
             ? dc__sq_prepare(s, "INSERT INTO alert_inbox(recipient, id, extra) VALUES (?, ?, ?)")
             : NULL;
    if (rc == DC_OK && st == NULL)
        rc = DC_STORE;
    for (size_t k = 0; rc == DC_OK && k < n; k++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, recipients[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, *id);
        if (extras[k] != NULL)
            sqlite3_bind_text(st, 3, extras[k], -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
        rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    }
    dc__sq_release(s, st);
    if (rc == DC_OK && base == 0 && episode_key != NULL) {
        st = dc__sq_prepare(s, "INSERT INTO alert_episodes(key, base, until) VALUES (?, ?, ?)"
                               " ON CONFLICT(key) DO UPDATE SET base = excluded.base,"
                               " until = excluded.until");
        if (st == NULL)
            rc = DC_STORE;
        else {
            sqlite3_bind_text(st, 1, episode_key, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, *id);
            sqlite3_bind_int64(st, 3, now + episode_us);
            rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
            dc__sq_release(s, st);
        }
    }
    dc_free(joined);
    dc_free(common);
    dc_free(patch);
    dc_free(base_body);
    for (size_t k = 0; k < n; k++)
        dc_free(extras[k]);
    if (rc != DC_OK)
        *id = 0;
    return rc;
}

dc_status dc__sq_inbox_add(dc_store *s, dc_inbox box, const char *recipient, const char *body,
                           dc_time_us now, int64_t *id)
{
    if (box == DC_INBOX_ALERTS) {
        int64_t local = 0;
        dc_status rc = dc__sq_alert_add(s, NULL, 0, &recipient, &body, 1, now, &local);
        if (id != NULL)
            *id = local;
        return rc;
    }
    sqlite3_stmt *st =
        dc__sq_prepare(s, "INSERT INTO notices(recipient, body, created) VALUES (?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    if (rc == DC_OK && id != NULL)
        *id = sqlite3_last_insert_rowid(dc__sq_db(s));
    dc__sq_release(s, st);
    return rc;
}

/* A recipient's alerts as it reads them: each copy's text put back from the shared body, the
 * episode's base when it is a repetition, and the recipient's own members. */
static dc_status alert_inbox(dc_store *s, const char *recipient, int64_t after, size_t limit,
                             int (*each)(void *, int64_t, const char *, dc_time_us), void *ctx)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "SELECT i.id, i.extra, l.created, l.episode, l.body, b.body FROM alert_inbox i"
           " JOIN alert_log l ON l.id = i.id LEFT JOIN alert_log b ON b.id = l.episode"
           " AND l.episode != 0 WHERE i.recipient = ? AND i.id > ? ORDER BY i.id LIMIT ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    dc_status rc = DC_OK;
    int step;
    while (rc == DC_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *extra = (const char *)sqlite3_column_text(st, 1);
        const char *body = (const char *)sqlite3_column_text(st, 4);
        const char *base = (const char *)sqlite3_column_text(st, 5);
        int patched = sqlite3_column_int64(st, 3) != 0;
        char *text = NULL;
        /* a repetition whose base is gone (never, while the archive keeps bases as long as
         * their episode: see dc_store_expired) still says what it stored */
        rc = dc__alert_text(patched ? (base != NULL ? base : "{}") : body, patched ? body : NULL,
                            extra, &text);
        if (rc == DC_INVALID) {
            rc = DC_OK; /* a row that is not JSON: skipped, as unparsable notices are */
            continue;
        }
        if (rc == DC_OK &&
            each(ctx, sqlite3_column_int64(st, 0), text, sqlite3_column_int64(st, 2)) != 0) {
            dc_free(text);
            break;
        }
        dc_free(text);
    }
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_inbox(dc_store *s, dc_inbox box, const char *recipient, int64_t after,
                       size_t limit, int (*each)(void *, int64_t, const char *, dc_time_us),
                       void *ctx)
{
    if (box == DC_INBOX_ALERTS)
        return alert_inbox(s, recipient, after, limit, each, ctx);
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT id, body, created FROM notices WHERE recipient = ? AND id > ?"
                          " ORDER BY id LIMIT ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (each(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                 sqlite3_column_int64(st, 2)) != 0)
            break;
    dc__sq_release(s, st);
    return DC_OK;
}

dc_status dc__sq_inbox_last(dc_store *s, dc_inbox box, const char *recipient, int64_t *id)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, box == DC_INBOX_ALERTS
                              ? "SELECT coalesce(max(id), 0) FROM alert_inbox WHERE recipient = ?"
                              : "SELECT coalesce(max(id), 0) FROM notices WHERE recipient = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, recipient, -1, SQLITE_TRANSIENT);
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_STORE;
    *id = rc == DC_OK ? sqlite3_column_int64(st, 0) : 0;
    dc__sq_release(s, st);
    return rc;
}

static void read_message(sqlite3_stmt *st, dc_message *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    dc_copy_text(m->sender, sizeof m->sender, (const char *)sqlite3_column_text(st, 1));
    dc_copy_text(m->recipient, sizeof m->recipient, (const char *)sqlite3_column_text(st, 2));
    m->body = dc__sq_copy_text(sqlite3_column_text(st, 3));
    m->created = sqlite3_column_int64(st, 4);
    m->acknowledged = sqlite3_column_int(st, 5);
}

dc_status dc__sq_message_add(dc_store *s, const char *sender, const char *recipient,
                             const char *body, dc_time_us now, int64_t *id)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "INSERT INTO messages(sender, recipient, body, created) VALUES (?, ?, ?, ?)");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, sender, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, recipient, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    *id = sqlite3_last_insert_rowid(dc__sq_db(s));
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_message_get(dc_store *s, int64_t id, dc_message *out)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "SELECT id, sender, recipient, body, created, acknowledged FROM messages WHERE id = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, id);
    dc_status rc = sqlite3_step(st) == SQLITE_ROW ? DC_OK : DC_NOT_FOUND;
    if (rc == DC_OK)
        read_message(st, out);
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_messages(dc_store *s, const char *party,
                          int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    return dc__sq_messages_page(s, party, 0, SIZE_MAX / 2, each, ctx);
}

dc_status dc__sq_messages_page(dc_store *s, const char *party, int64_t after, size_t limit,
                               int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    sqlite3_stmt *st = dc__sq_prepare(
        s, "SELECT id, sender, recipient, body, created, acknowledged FROM messages"
           " WHERE (sender = ?1 OR recipient = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        dc_message m;
        read_message(st, &m);
        int stop = each(ctx, &m);
        dc_free(m.body);
        if (stop)
            break;
    }
    dc__sq_release(s, st);
    return DC_OK;
}

dc_status dc__sq_message_acknowledge(dc_store *s, int64_t id)
{
    return dc__sq_exec_int64(s, "UPDATE messages SET acknowledged = 1 WHERE id = ?", id);
}

/* ---- retention: what leaves for the archive, read on a connection of the pool ---- */

dc_status dc__sq_exec_int64(dc_store *s, const char *sql, int64_t value)
{
    sqlite3_stmt *st = dc__sq_prepare(s, sql);
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_int64(st, 1, value);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

/* ---- disclosure ledger and probing ---- */

dc_status dc__sq_disclosure_spent(dc_store *s, const char *viewer, const char *object, int64_t day,
                                  double *area_m2, int *mapped)
{
    *area_m2 = 0;
    *mapped = 0;
    sqlite3_stmt *st = dc__sq_prepare(
        s, "SELECT area_m2, mapped FROM disclosures WHERE viewer = ? AND object = ? AND day = ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, viewer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, day);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *area_m2 = sqlite3_column_double(st, 0);
        *mapped = sqlite3_column_int(st, 1);
    }
    dc__sq_release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

dc_status dc__sq_disclosure_charge(dc_store *s, const char *viewer, const char *object, int64_t day,
                                   double area_m2, int mapped)
{
    /* days before yesterday are no budget's concern: the ledger stays two days long */
    int ok = dc__sq_exec_int64(s, "DELETE FROM disclosures WHERE day < ?", day - 1) == DC_OK;
    sqlite3_stmt *st = dc__sq_prepare(
        s, "INSERT INTO disclosures(viewer, object, day, area_m2, notices, mapped)"
           " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(viewer, object, day) DO UPDATE SET"
           " area_m2 = area_m2 + excluded.area_m2, notices = notices + 1,"
           " mapped = max(mapped, excluded.mapped)");
    if (!ok || st == NULL) {
        dc__sq_release(s, st);
        return DC_STORE;
    }
    sqlite3_bind_text(st, 1, viewer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, object, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, day);
    sqlite3_bind_double(st, 4, area_m2);
    sqlite3_bind_int(st, 5, mapped != 0);
    dc_status rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : DC_STORE;
    dc__sq_release(s, st);
    return rc;
}

dc_status dc__sq_site_refusal_add(dc_store *s, const char *party, const char *site, dc_time_us now,
                                  dc_time_us since, int64_t *in_window)
{
    *in_window = 0;
    int ok = dc__sq_exec_int64(s, "DELETE FROM site_refusals WHERE time < ?", since) == DC_OK;
    sqlite3_stmt *add = ok ? dc__sq_prepare(s, "INSERT INTO site_refusals(party, site, time)"
                                               " VALUES (?, ?, ?)")
                           : NULL;
    if (add == NULL)
        return DC_STORE;
    sqlite3_bind_text(add, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(add, 2, site, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(add, 3, now);
    ok = sqlite3_step(add) == SQLITE_DONE;
    dc__sq_release(s, add);
    sqlite3_stmt *count = ok ? dc__sq_prepare(s, "SELECT count(*) FROM site_refusals"
                                                 " WHERE party = ? AND site = ? AND time >= ?")
                             : NULL;
    if (count == NULL)
        return DC_STORE;
    sqlite3_bind_text(count, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(count, 2, site, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(count, 3, since);
    dc_status rc = sqlite3_step(count) == SQLITE_ROW ? DC_OK : DC_STORE;
    if (rc == DC_OK)
        *in_window = sqlite3_column_int64(count, 0);
    dc__sq_release(s, count);
    return rc;
}

dc_status dc__sq_probed_sites(dc_store *s, const char *party, dc_time_us since, int64_t limit,
                              int (*each)(void *ctx, const char *site), void *ctx)
{
    sqlite3_stmt *st =
        dc__sq_prepare(s, "SELECT site FROM site_refusals WHERE party = ? AND time >= ?"
                          " GROUP BY site HAVING count(*) > ?");
    if (st == NULL)
        return DC_STORE;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, limit);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (each(ctx, (const char *)sqlite3_column_text(st, 0)) != 0)
            break;
    dc__sq_release(s, st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DC_OK : DC_STORE;
}

/* ---- objects ---- */
