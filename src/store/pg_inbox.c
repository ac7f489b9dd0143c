/* pg_inbox.c - what each party was told in the PostgreSQL store: notices, alerts stored once per
 * episode (alert_form.c), and direct-line messages, as sqlite_inbox.c keeps them */
#include "pg_internal.h"

/* A size_t limit as SQL's: beyond INT64_MAX (SIZE_MAX, say) no limit, as SQLite reads the
 * negative number it becomes there. */
static int64_t row_limit(size_t limit)
{
    return limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
}

/* ---- notices and alerts ---- */

/* The base an alert of episode `key` may be stored against: its id and body, if the episode has
 * one still open at `now`; *base = 0 otherwise. *body is the caller's. */
static dc_status episode_base(dc_store *s, const char *key, dc_time_us now, int64_t *base,
                              char **body)
{
    *base = 0;
    *body = NULL;
    dc_pg_params p = {0};
    dc__pg_text(&p, key);
    dc__pg_int(&p, now);
    PGresult *r = dc__pg_run(s,
                             "SELECT l.id, l.body FROM alert_episodes e JOIN alert_log l"
                             " ON l.id = e.base AND l.episode = 0"
                             " WHERE e.key = $1 AND e.until >= $2",
                             &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    if (PQntuples(r) > 0) {
        *body = dc__pg_copy_text(r, 0, 1);
        *base = *body != NULL ? dc__pg_get_int(r, 0, 0) : 0;
        rc = *body != NULL ? DC_OK : DC_NOMEM;
    }
    PQclear(r);
    return rc;
}

/* The alert's log row: what every copy reads (in full, or as the patch to episode `base`). */
static dc_status alert_log_add(dc_store *s, int64_t base, const char *episode_key,
                               dc_time_us episode_us, const char *recipients, const char *body,
                               dc_time_us now, int64_t *id)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, now);
    dc__pg_int(&p, base);
    /* a first alert of an episode is its repetitions' base until then */
    if (base == 0 && episode_key != NULL)
        dc__pg_int(&p, now + episode_us);
    else
        dc__pg_text(&p, NULL);
    dc__pg_text(&p, recipients);
    dc__pg_text(&p, body);
    PGresult *r = dc__pg_run(s,
                             "INSERT INTO alert_log(created, episode, until, recipients, body)"
                             " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                             &p);
    if (r == NULL)
        return DC_STORE;
    *id = dc__pg_get_int(r, 0, 0);
    PQclear(r);
    return DC_OK;
}

/* Each recipient's copy of alert `id`, in one statement: the first `n` (1..8) of the eight
 * (recipient, extra) pairs, the rest bound as NULL. */
static dc_status alert_copies_add(dc_store *s, int64_t id, const char *const *recipients,
                                  char *const *extras, size_t n)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, id);
    dc__pg_int(&p, (int64_t)n);
    for (size_t k = 0; k < 8; k++) {
        dc__pg_text(&p, k < n ? recipients[k] : NULL);
        dc__pg_text(&p, k < n ? extras[k] : NULL);
    }
    return dc__pg_exec(
        s,
        "INSERT INTO alert_inbox(recipient, id, extra) SELECT c.recipient, $1::bigint, c.extra"
        " FROM (VALUES (1, $3::text, $4::text), (2, $5, $6), (3, $7, $8),"
        " (4, $9, $10), (5, $11, $12), (6, $13, $14), (7, $15, $16), (8, $17, $18))"
        " AS c(k, recipient, extra) WHERE c.k <= $2::integer",
        &p);
}

/* Alert `id` is the base of episode `key` until `until` (an episode closed before is replaced). */
static dc_status episode_open(dc_store *s, const char *key, int64_t id, dc_time_us until)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, key);
    dc__pg_int(&p, id);
    dc__pg_int(&p, until);
    return dc__pg_exec(s,
                       "INSERT INTO alert_episodes(key, base, until) VALUES ($1, $2, $3)"
                       " ON CONFLICT(key) DO UPDATE SET base = excluded.base,"
                       " until = excluded.until",
                       &p);
}

dc_status dc__pg_alert_add(dc_store *s, const char *episode_key, dc_time_us episode_us,
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
    if (rc == DC_OK)
        rc = alert_log_add(s, base, episode_key, episode_us, joined, base != 0 ? patch : common,
                           now, id);
    if (rc == DC_OK)
        rc = alert_copies_add(s, *id, recipients, extras, n);
    if (rc == DC_OK && base == 0 && episode_key != NULL)
        rc = episode_open(s, episode_key, *id, now + episode_us);
    if (rc == DC_OK)
        dc__pg_note_event(s, "dc_alerts");
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

dc_status dc__pg_inbox_add(dc_store *s, dc_inbox box, const char *recipient, const char *body,
                           dc_time_us now, int64_t *id)
{
    if (box == DC_INBOX_ALERTS) {
        int64_t local = 0;
        dc_status rc = dc__pg_alert_add(s, NULL, 0, &recipient, &body, 1, now, &local);
        if (id != NULL)
            *id = local;
        return rc;
    }
    dc_pg_params p = {0};
    dc__pg_text(&p, recipient);
    dc__pg_text(&p, body);
    dc__pg_int(&p, now);
    PGresult *r = dc__pg_run(
        s, "INSERT INTO notices(recipient, body, created) VALUES ($1, $2, $3) RETURNING id", &p);
    if (r == NULL)
        return DC_STORE;
    if (id != NULL)
        *id = dc__pg_get_int(r, 0, 0);
    PQclear(r);
    dc__pg_note_event(s, "dc_notices");
    return DC_OK;
}

/* A recipient's alerts as it reads them: each copy's text put back from the shared body, the
 * episode's base when it is a repetition, and the recipient's own members. */
static dc_status alert_inbox(dc_store *s, const char *recipient, int64_t after, size_t limit,
                             int (*each)(void *, int64_t, const char *, dc_time_us), void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, recipient);
    dc__pg_int(&p, after);
    dc__pg_int(&p, row_limit(limit));
    PGresult *r = dc__pg_run(
        s,
        "SELECT i.id, i.extra, l.created, l.episode, l.body, b.body FROM alert_inbox i"
        " JOIN alert_log l ON l.id = i.id LEFT JOIN alert_log b ON b.id = l.episode"
        " AND l.episode <> 0 WHERE i.recipient = $1 AND i.id > $2 ORDER BY i.id LIMIT $3",
        &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < PQntuples(r); i++) {
        const char *extra = dc__pg_is_null(r, i, 1) ? NULL : dc__pg_get_text(r, i, 1);
        const char *body = dc__pg_get_text(r, i, 4);
        const char *base = dc__pg_is_null(r, i, 5) ? NULL : dc__pg_get_text(r, i, 5);
        int patched = dc__pg_get_int(r, i, 3) != 0;
        char *text = NULL;
        /* a repetition whose base is gone (never, while the archive keeps bases as long as
         * their episode: see dc_store_expired) still says what it stored */
        rc = dc__alert_text(patched ? (base != NULL ? base : "{}") : body, patched ? body : NULL,
                            extra, &text);
        if (rc == DC_INVALID) {
            rc = DC_OK; /* a row that is not JSON: skipped, as unparsable notices are */
            continue;
        }
        int stop =
            rc == DC_OK && each(ctx, dc__pg_get_int(r, i, 0), text, dc__pg_get_int(r, i, 2)) != 0;
        dc_free(text);
        if (stop)
            break;
    }
    PQclear(r);
    return rc;
}

dc_status dc__pg_inbox(dc_store *s, dc_inbox box, const char *recipient, int64_t after,
                       size_t limit, int (*each)(void *, int64_t, const char *, dc_time_us),
                       void *ctx)
{
    if (box == DC_INBOX_ALERTS)
        return alert_inbox(s, recipient, after, limit, each, ctx);
    dc_pg_params p = {0};
    dc__pg_text(&p, recipient);
    dc__pg_int(&p, after);
    dc__pg_int(&p, row_limit(limit));
    PGresult *r = dc__pg_run(s,
                             "SELECT id, body, created FROM notices WHERE recipient = $1"
                             " AND id > $2 ORDER BY id LIMIT $3",
                             &p);
    if (r == NULL)
        return DC_STORE;
    for (int i = 0; i < PQntuples(r); i++)
        if (each(ctx, dc__pg_get_int(r, i, 0), dc__pg_get_text(r, i, 1), dc__pg_get_int(r, i, 2)) !=
            0)
            break;
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_inbox_last(dc_store *s, dc_inbox box, const char *recipient, int64_t *id)
{
    *id = 0;
    dc_pg_params p = {0};
    dc__pg_text(&p, recipient);
    PGresult *r = dc__pg_run(
        s,
        box == DC_INBOX_ALERTS ? "SELECT coalesce(max(id), 0) FROM alert_inbox WHERE recipient = $1"
                               : "SELECT coalesce(max(id), 0) FROM notices WHERE recipient = $1",
        &p);
    if (r == NULL)
        return DC_STORE;
    *id = dc__pg_get_int(r, 0, 0);
    PQclear(r);
    return DC_OK;
}

dc_status dc__pg_alert_episodes_prune(dc_store *s, dc_time_us now)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, now);
    return dc__pg_exec(s, "DELETE FROM alert_episodes WHERE until < $1", &p);
}

/* ---- direct-line messages ---- */

#define MESSAGE_COLUMNS "id, sender, recipient, body, created, acknowledged"

/* A message from row `i`; DC_NOMEM when its body cannot be copied (m->body NULL). */
static dc_status read_message(const PGresult *r, int i, dc_message *m)
{
    memset(m, 0, sizeof *m);
    m->id = dc__pg_get_int(r, i, 0);
    dc_copy_text(m->sender, sizeof m->sender, dc__pg_get_text(r, i, 1));
    dc_copy_text(m->recipient, sizeof m->recipient, dc__pg_get_text(r, i, 2));
    m->body = dc__pg_copy_text(r, i, 3);
    m->created = dc__pg_get_int(r, i, 4);
    m->acknowledged = (int)dc__pg_get_int(r, i, 5);
    return m->body != NULL ? DC_OK : DC_NOMEM;
}

dc_status dc__pg_message_add(dc_store *s, const char *sender, const char *recipient,
                             const char *body, dc_time_us now, int64_t *id)
{
    *id = 0;
    dc_pg_params p = {0};
    dc__pg_text(&p, sender);
    dc__pg_text(&p, recipient);
    dc__pg_text(&p, body);
    dc__pg_int(&p, now);
    PGresult *r = dc__pg_run(s,
                             "INSERT INTO messages(sender, recipient, body, created)"
                             " VALUES ($1, $2, $3, $4) RETURNING id",
                             &p);
    if (r == NULL)
        return DC_STORE;
    *id = dc__pg_get_int(r, 0, 0);
    PQclear(r);
    dc__pg_note_event(s, "dc_messages");
    return DC_OK;
}

dc_status dc__pg_message_get(dc_store *s, int64_t id, dc_message *out)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, id);
    PGresult *r = dc__pg_run(s, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE id = $1", &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = PQntuples(r) > 0 ? read_message(r, 0, out) : DC_NOT_FOUND;
    PQclear(r);
    return rc;
}

dc_status dc__pg_messages(dc_store *s, const char *party,
                          int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    return dc__pg_messages_page(s, party, 0, SIZE_MAX / 2, each, ctx);
}

dc_status dc__pg_messages_page(dc_store *s, const char *party, int64_t after, size_t limit,
                               int (*each)(void *ctx, const dc_message *m), void *ctx)
{
    dc_pg_params p = {0};
    dc__pg_text(&p, party);
    dc__pg_int(&p, after);
    dc__pg_int(&p, row_limit(limit));
    PGresult *r = dc__pg_run(s,
                             "SELECT " MESSAGE_COLUMNS " FROM messages"
                             " WHERE (sender = $1 OR recipient = $1) AND id > $2"
                             " ORDER BY id LIMIT $3",
                             &p);
    if (r == NULL)
        return DC_STORE;
    dc_status rc = DC_OK;
    for (int i = 0; rc == DC_OK && i < PQntuples(r); i++) {
        dc_message m;
        rc = read_message(r, i, &m);
        int stop = rc == DC_OK && each(ctx, &m) != 0;
        dc_free(m.body);
        if (stop)
            break;
    }
    PQclear(r);
    return rc;
}

dc_status dc__pg_message_acknowledge(dc_store *s, int64_t id)
{
    dc_pg_params p = {0};
    dc__pg_int(&p, id);
    return dc__pg_exec(s, "UPDATE messages SET acknowledged = 1 WHERE id = $1", &p);
}
