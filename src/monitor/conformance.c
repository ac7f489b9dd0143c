/* conformance.c - intents being flown: a report naming one of its party's intents and lying
 * outside every volume of it makes the intent nonconforming, once */
#include "monitor_internal.h"

#include <string.h>

static void intent_clear(struct watched_intent *w)
{
    for (size_t i = 0; i < w->volume_count; i++)
        dc_volume_clear(&w->volumes[i]);
    dc_free(w->volumes);
    w->volumes = NULL;
    w->volume_count = 0;
    w->watched = 0;
}

void dc__intents_free(dc_monitor *m)
{
    for (size_t i = 0; i < m->intent_count; i++)
        intent_clear(&m->intents[i]);
    dc_free(m->intents);
    m->intents = NULL;
    m->intent_count = m->intent_capacity = 0;
}

void dc_monitor_unwatch_intent(dc_monitor *m, const char *owner, const char *id)
{
    struct watched_intent *w = dc__name_find(&m->intent_names, m->intents, owner, id);
    if (w != NULL)
        intent_clear(w);
}

dc_status dc_monitor_watch_intent(dc_monitor *m, const dc_object *intent)
{
    dc_monitor_unwatch_intent(m, intent->owner, intent->id);
    if (intent->kind != DC_KIND_INTENT ||
        (intent->state != DC_STATE_ACCEPTED && intent->state != DC_STATE_ACTIVATED))
        return DC_OK;
    struct watched_intent *w =
        dc__name_find(&m->intent_names, m->intents, intent->owner, intent->id);
    if (w == NULL) { /* first seen: a new entry, kept from now on */
        struct watched_intent *grown =
            dc__name_add(&m->intent_names, m->intents, &m->intent_count, &m->intent_capacity, 16,
                         intent->owner, intent->id);
        if (grown == NULL)
            return DC_NOMEM;
        m->intents = grown;
        w = &m->intents[m->intent_count - 1];
    }
    w->volumes = dc_calloc(intent->volume_count ? intent->volume_count : 1, sizeof *w->volumes);
    if (w->volumes == NULL)
        return DC_NOMEM;
    for (; w->volume_count < intent->volume_count; w->volume_count++)
        if (dc_volume_copy(&intent->volumes[w->volume_count], &w->volumes[w->volume_count]) !=
            DC_OK) {
            intent_clear(w);
            return DC_NOMEM;
        }
    w->watched = 1;
    return DC_OK;
}

dc_status dc__conformance(dc_monitor *m, const struct track *t, const dc_report *r,
                          dc_alert_list *alerts)
{
    if (r->intent[0] == '\0')
        return DC_OK;
    struct watched_intent *w = dc__name_find(&m->intent_names, m->intents, r->party, r->intent);
    if (w == NULL || !w->watched)
        return DC_OK; /* not an intent of this party being flown: nothing to conform to */
    int inside = 0;
    for (size_t i = 0; i < w->volume_count && !inside; i++)
        dc_volume_contains(&w->volumes[i], r->position, r->altitude_m, r->time, &inside);
    if (inside)
        return DC_OK;
    if (alerts != NULL) {
        dc_alert *a = dc__push_alert(alerts);
        if (a == NULL)
            return DC_NOMEM;
        a->kind = DC_ALERT_CONFORMANCE;
        a->level = DC_LEVEL_NONCONFORMING;
        dc__fill_track_fields(a, t);
        dc_copy_text(a->intent_id, sizeof a->intent_id, w->id);
    }
    /* told once: the intent is nonconforming from now on, no longer flown as planned */
    intent_clear(w);
    return DC_OK;
}
