/* disclose.c - what each party is told of a submission's conflicts: the disclosure policy applied,
 * its ledger kept, probing, tiling and mapping alerted, every disclosure audited */
#include "deconflict/service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A party with this many hazards in force around a new site has tiled the area: it is told
 * that some must replan, not which, so the one over the site does not stand out. */
#define TILING_HAZARDS 20
#define TILING_AREA_M 10000.0

/* A time as RFC 3339, or "" should it not format (it always does within the volume limits). */
static void time_text(dc_time_us t, char out[40])
{
    if (dc_time_format(t, out, 40) != DC_OK)
        out[0] = '\0';
}

static const char *level_name(const dc_disclosure *d)
{
    return d->level == DC_DISCLOSE_GEOMETRY ? "geometry" : "window";
}

static const char *limit_name(const dc_disclosure *d)
{
    return d->reason == DC_DISCLOSE_BUDGET_SPENT ? "budget_spent" : "probe_too_large";
}

static json_t *box_ring(const dc_disclosed_box *b, int as_points)
{
    double lon[5] = {b->lon_min, b->lon_max, b->lon_max, b->lon_min, b->lon_min};
    double lat[5] = {b->lat_min, b->lat_min, b->lat_max, b->lat_max, b->lat_min};
    json_t *ring = json_array();
    for (int i = 0; i < (as_points ? 4 : 5); i++) {
        double x = lon[i] > 180 ? lon[i] - 360 : lon[i];
        json_array_append_new(ring, as_points ? json_pack("{s:f,s:f}", "lat", lat[i], "lng", x)
                                              : json_pack("[f,f]", x, lat[i]));
    }
    return ring;
}

/* The disclosed part of a notice: the window, and the geometry when the policy allows it. */
static void add_disclosure(json_t *n, const dc_disclosure *d)
{
    char t0[40], t1[40];
    time_text(d->time_start, t0);
    time_text(d->time_end, t1);
    json_object_set_new(n, "time_start", json_string(t0));
    json_object_set_new(n, "time_end", json_string(t1));
    json_object_set_new(n, "disclosed", json_string(level_name(d)));
    if (d->level != DC_DISCLOSE_GEOMETRY) {
        json_object_set_new(n, "disclosure_limit", json_string(limit_name(d)));
        return;
    }
    json_t *polys = json_array();
    for (size_t k = 0; k < d->box_count; k++)
        json_array_append_new(polys, json_pack("[o]", box_ring(&d->boxes[k], 0)));
    json_object_set_new(n, "altitude_lower", json_real(d->altitude_lower));
    json_object_set_new(n, "altitude_upper", json_real(d->altitude_upper));
    json_object_set_new(n, "overlap",
                        json_pack("{s:s,s:o}", "type", "MultiPolygon", "coordinates", polys));
    json_object_set_new(n, "resolution_m", json_real(DC_DISCLOSE_CELL_M));
}

dc_status dc_service_alert_party(dc_service *svc, const char *recipient, const char *object,
                                 json_t *alert, dc_time_us now)
{
    char *text = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    int64_t id = 0;
    dc_status rc = text ? dc_store_inbox_add(svc->store, DC_INBOX_ALERTS, recipient, text, now, &id)
                        : DC_NOMEM;
    free(text);
    if (rc == DC_OK)
        dc_service_alerts_counted(svc, json_string_value(json_object_get(alert, "kind")), 1);
    if (rc == DC_OK)
        rc = dc_service_audit(
            svc, 1, "server", "alert", object, recipient,
            json_pack("{s:I,s:O}", "alert", (json_int_t)id, "kind", json_object_get(alert, "kind")),
            NULL);
    json_decref(alert);
    return rc;
}

struct disclosure_run {
    dc_service *svc;
    const dc_object *o;
    const char *ref;
    dc_time_us now;
    json_t *notices_out;
    int accepted;
    json_t *site_refusals; /* site owner -> {"window": [t0, t1], "escalated": bool} */
    json_t *tiling;        /* parties that tiled around a new site -> true */
};

/* What `mine`'s owner may learn of `theirs` (named `theirs_ref`) through conflict `c`: the
 * policy's answer on today's ledger, charged to it; the first refusal past the budget tells
 * the object's owner and the operator that it is being mapped. */
static dc_status disclose(struct disclosure_run *run, const dc_object *mine,
                          const dc_object *theirs, const char *theirs_ref, const dc_conflict *c,
                          dc_disclosure *d)
{
    dc_service *svc = run->svc;
    if (strcmp(mine->owner, theirs->owner) == 0)
        return dc_disclosure_of_conflict(mine, c, 0, d); /* one's own: no ledger */
    int64_t day = dc_disclosure_day(run->now);
    double spent = 0;
    int mapped = 0;
    dc_status rc =
        dc_store_disclosure_spent(svc->store, mine->owner, theirs_ref, day, &spent, &mapped);
    if (rc == DC_OK)
        rc = dc_disclosure_of_conflict(mine, c, spent, d);
    /* a zone as large as a state's airspace is not a probe; a zone that spends the budget is */
    int mapping = rc == DC_OK && !mapped && d->level == DC_DISCLOSE_WINDOW &&
                  !(mine->kind == DC_KIND_ZONE && d->reason == DC_DISCLOSE_PROBE_TOO_LARGE);
    if (rc == DC_OK)
        rc = dc_store_disclosure_charge(svc->store, mine->owner, theirs_ref, day, d->area_m2,
                                        mapping);
    if (rc != DC_OK || !mapping)
        return rc;
    char t[40];
    time_text(run->now, t);
    const char *to[] = {theirs->owner, "operator"};
    for (int i = 0; rc == DC_OK && i < 2; i++)
        rc = dc_service_alert_party(svc, to[i], theirs_ref,
                                    json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s}", "kind",
                                              "mapping", "level", "warning", "time", t, "party",
                                              mine->owner, "object", "kind",
                                              dc_kind_name(theirs->kind), "owner", theirs->owner,
                                              "id", theirs->id, "why", limit_name(d)),
                                    run->now);
    return rc;
}

/* Store a notice for `recipient` (refused submissions store none: the submitter has it in the
 * response), audit what it disclosed, and hand it to the response when `out` is given. */
static dc_status deliver(struct disclosure_run *run, const char *recipient, const char *about_ref,
                         json_t *notice, int store, json_t *out)
{
    dc_service *svc = run->svc;
    int64_t nid = 0;
    dc_status rc = DC_OK;
    if (store) {
        char *text = json_dumps(notice, JSON_COMPACT | JSON_REAL_PRECISION(12));
        rc = text
                 ? dc_store_inbox_add(svc->store, DC_INBOX_NOTICES, recipient, text, run->now, &nid)
                 : DC_NOMEM;
        free(text);
        if (rc == DC_OK) {
            json_object_set_new(notice, "id", json_integer(nid));
            dc_service_notice_counted(svc);
        }
    }
    json_t *detail = json_pack("{s:O*,s:O*}", "action", json_object_get(notice, "action"),
                               "disclosed", json_object_get(notice, "disclosed"));
    if (nid > 0)
        json_object_set_new(detail, "notice", json_integer(nid));
    /* What was shown, as a digest, not as geometry: the audit of an object is read by its owner,
     * who must not learn through it what the notice told the other party (its own object's
     * overlap with the other's). The recipient, holding the notice, can prove it was this one. */
    char *shown = json_dumps(notice, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    if (shown != NULL) {
        uint8_t h[32];
        char hex[65];
        crypto_generichash(h, sizeof h, (const unsigned char *)shown, strlen(shown), NULL, 0);
        dc_hex(h, sizeof h, hex);
        json_object_set_new(detail, "shown", json_string(hex));
        free(shown);
    }
    if (rc == DC_OK && about_ref != NULL)
        rc = dc_service_audit(svc, 1, "server", "notice", about_ref, recipient, detail, NULL);
    else
        json_decref(detail);
    if (out != NULL)
        json_array_append(out, notice);
    json_decref(notice);
    return rc;
}

static json_t *notice_head(const dc_object *mine, const char *party, dc_object_kind kind,
                           const char *action, const char *reason)
{
    return json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:s,s:s}", "object", "kind",
                     dc_kind_name(mine->kind), "id", mine->id, "counterpart", "party", party,
                     "kind", dc_kind_name(kind), "action", action, "reason", reason);
}

static const char *submitter_action(dc_resolution r)
{
    switch (r) {
    case DC_RESOLUTION_BLOCKS:
        return "refused";
    case DC_RESOLUTION_ACCEPTED:
        return "accepted_conflict";
    case DC_RESOLUTION_OTHER_REPLANS:
        return "counterpart_must_replan";
    case DC_RESOLUTION_HOLDS:
        return "counterpart_must_hold";
    case DC_RESOLUTION_TOLD:
        return "counterpart_told";
    default:
        return "own_conflict";
    }
}

/* A conflict between two objects that are not a hazard and a site. */
static dc_status ordinary_conflict(struct disclosure_run *run, const dc_conflict *c,
                                   const char *other_ref)
{
    const dc_object *o = run->o, *other = c->other;
    dc_disclosure d;
    dc_status rc = disclose(run, o, other, other_ref, c, &d);
    if (rc != DC_OK)
        return rc;
    json_t *mine = notice_head(o, other->owner, other->kind, submitter_action(c->resolution),
                               dc_reason_name(c->reason));
    char key[40];
    dc_service_conflict_key(run->svc, other, key);
    json_object_set_new(mine, "conflict_key", json_string(key));
    add_disclosure(mine, &d);
    rc = deliver(run, o->owner, c->resolution == DC_RESOLUTION_OWN ? NULL : other_ref, mine,
                 run->accepted, run->notices_out);
    if (rc != DC_OK || !run->accepted ||
        (c->resolution != DC_RESOLUTION_OTHER_REPLANS && c->resolution != DC_RESOLUTION_ACCEPTED &&
         c->resolution != DC_RESOLUTION_HOLDS && c->resolution != DC_RESOLUTION_TOLD))
        return rc;
    rc = disclose(run, other, o, run->ref, c, &d);
    if (rc != DC_OK)
        return rc;
    const char *action = c->resolution == DC_RESOLUTION_OTHER_REPLANS ? "replan"
                         : c->resolution == DC_RESOLUTION_HOLDS       ? "hold"
                         : c->resolution == DC_RESOLUTION_TOLD        ? "emergency_declared"
                                                               : "conflict_accepted_by_counterpart";
    json_t *theirs = notice_head(other, o->owner, o->kind, action, dc_reason_name(c->reason));
    if (o->emergency != DC_EMERGENCY_NONE) {
        json_object_set_new(theirs, "emergency", json_string(dc_emergency_name(o->emergency)));
        /* a zone stays a zone: its owner is told, entry is not granted */
        if (other->kind == DC_KIND_ZONE)
            json_object_set_new(theirs, "entry", json_string("not_granted"));
        if (c->resolution == DC_RESOLUTION_HOLDS)
            json_object_set_new(theirs, "until",
                                json_string("the emergency ends, is withdrawn or expires "
                                            "unrenewed; a notice releases it"));
    }
    dc_service_conflict_key(run->svc, o, key);
    json_object_set_new(theirs, "conflict_key", json_string(key));
    add_disclosure(theirs, &d);
    return deliver(run, other->owner, run->ref, theirs, 1, NULL);
}

/* A hazard refused over a site: one more refusal of this party over this site in the window.
 * Passing the limit alerts the site's owner and the operator, once; past it the party is told
 * no more than that a site of that party lies in the area. */
static dc_status count_refusal(struct disclosure_run *run, const char *site_owner,
                               const char *site_ref, int *escalated)
{
    dc_service *svc = run->svc;
    dc_time_us since = run->now - (dc_time_us)svc->probe_window_s * DC_US_PER_S;
    int64_t n = 0;
    dc_status rc =
        dc_store_site_refusal_add(svc->store, run->o->owner, site_ref, run->now, since, &n);
    *escalated = n > svc->probe_limit;
    if (rc != DC_OK || n != (int64_t)svc->probe_limit + 1)
        return rc;
    char t[40], party_ref[96];
    time_text(run->now, t);
    snprintf(party_ref, sizeof party_ref, "party/%s", run->o->owner);
    rc = dc_service_alert_party(svc, site_owner, site_ref,
                                json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "kind", "probing",
                                          "level", "warning", "time", t, "party", run->o->owner,
                                          "refused_hazards", (json_int_t)n, "window_s",
                                          (json_int_t)svc->probe_window_s, "site", site_ref),
                                run->now);
    if (rc == DC_OK)
        rc = dc_service_alert_party(
            svc, "operator", party_ref,
            json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "kind", "probing", "level", "warning",
                      "time", t, "party", run->o->owner, "refused_hazards", (json_int_t)n,
                      "window_s", (json_int_t)svc->probe_window_s, "site_owner", site_owner),
            run->now);
    return rc;
}

/* The hazard's owner is told, per party, that a site of that party lies in its area: the
 * window while it is not probing, only the party once it is. */
static void note_site_refusal(struct disclosure_run *run, const char *site_owner,
                              const char *site_ref, dc_time_us t0, dc_time_us t1, int escalated)
{
    json_t *r = json_object_get(run->site_refusals, site_owner);
    if (r == NULL) {
        r = json_pack("{s:I,s:I,s:b,s:s}", "t0", (json_int_t)t0, "t1", (json_int_t)t1, "escalated",
                      escalated, "site", site_ref);
        json_object_set_new(run->site_refusals, site_owner, r);
        return;
    }
    if (t0 < json_integer_value(json_object_get(r, "t0")))
        json_object_set_new(r, "t0", json_integer(t0));
    if (t1 > json_integer_value(json_object_get(r, "t1")))
        json_object_set_new(r, "t1", json_integer(t1));
    if (escalated)
        json_object_set_new(r, "escalated", json_true());
}

/* A hazard over a site (either submitted). The site's owner learns the hazard as the policy
 * allows (where it overlaps the keep-out, quantised), so that it can move; the hazard's owner
 * only that a site of that party lies inside its area, and when. */
static dc_status site_conflict(struct disclosure_run *run, const dc_conflict *c,
                               const char *other_ref)
{
    const dc_object *o = run->o;
    const dc_object *hazard = o->kind == DC_KIND_SITE ? c->other : o;
    const dc_object *site = o->kind == DC_KIND_SITE ? o : c->other;
    const char *hazard_ref = o->kind == DC_KIND_SITE ? other_ref : run->ref;
    const char *site_ref = o->kind == DC_KIND_SITE ? run->ref : other_ref;
    if (o->kind == DC_KIND_SITE && json_object_get(run->tiling, hazard->owner) != NULL)
        return DC_OK; /* a tiling: told of as a whole in detect_tiling, so that no audit record
                         of one of its hazards stands out as the one over the site */
    dc_disclosure d;
    dc_status rc = disclose(run, site, hazard, hazard_ref, c, &d);
    if (rc != DC_OK)
        return rc;
    json_t *to_site =
        notice_head(site, hazard->owner, DC_KIND_HAZARD,
                    o->kind == DC_KIND_SITE ? "hazard_over_new_site" : "hazard_refused_over_site",
                    "protected_site");
    add_disclosure(to_site, &d);
    json_object_del(to_site, "overlap");
    if (d.level == DC_DISCLOSE_GEOMETRY) {
        json_t *vols = json_array();
        char t0[40], t1[40];
        time_text(d.time_start, t0);
        time_text(d.time_end, t1);
        for (size_t k = 0; k < d.box_count; k++)
            json_array_append_new(vols,
                                  json_pack("{s:{s:o},s:f,s:f,s:s,s:s}", "outline_polygon",
                                            "vertices", box_ring(&d.boxes[k], 1), "altitude_lower",
                                            d.altitude_lower, "altitude_upper", d.altitude_upper,
                                            "time_start", t0, "time_end", t1));
        json_object_set_new(to_site, "hazard_volumes", vols);
    }
    rc = deliver(run, site->owner, hazard_ref, to_site, 1,
                 o->kind == DC_KIND_SITE ? run->notices_out : NULL);
    if (rc != DC_OK)
        return rc;
    if (o->kind == DC_KIND_HAZARD) {
        int escalated = 0;
        rc = count_refusal(run, site->owner, site_ref, &escalated);
        note_site_refusal(run, site->owner, site_ref, d.time_start, d.time_end, escalated);
        return rc;
    }
    /* a new site: the existing hazard's owner is told at once */
    json_t *n = notice_head(hazard, site->owner, DC_KIND_SITE, "replan", "protected_site");
    char t0[40], t1[40];
    time_text(d.time_start, t0);
    time_text(d.time_end, t1);
    json_object_set_new(n, "time_start", json_string(t0));
    json_object_set_new(n, "time_end", json_string(t1));
    json_object_set_new(n, "disclosed", json_string("window"));
    return deliver(run, hazard->owner, site_ref, n, 1, NULL);
}

/* What the site's owner is told of a party's tiling around its new site: which of the party's
 * hazards lie near (ids and windows, not their shapes), stored once and audited alike under every
 * one of them. */
static dc_status tiling_to_site_owner(struct disclosure_run *run, const char *party,
                                      const dc_record_list *near)
{
    const dc_object *site = run->o;
    json_t *ids = json_array();
    for (size_t i = 0; i < near->count; i++) {
        const dc_object *h = &near->items[i].object;
        if (h->kind == DC_KIND_HAZARD && strcmp(h->owner, party) == 0)
            json_array_append_new(ids, json_string(h->id));
    }
    json_t *n = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:s,s:s,s:s,s:o}", "object", "kind", "site",
                          "id", site->id, "counterpart", "party", party, "kind", "hazard", "action",
                          "tiling_around_new_site", "reason", "protected_site", "disclosed",
                          "party", "hazards", ids);
    char *text = n ? json_dumps(n, JSON_COMPACT) : NULL;
    int64_t nid = 0;
    dc_status rc = text ? dc_store_inbox_add(run->svc->store, DC_INBOX_NOTICES, site->owner, text,
                                             run->now, &nid)
                        : DC_NOMEM;
    free(text);
    json_decref(n);
    for (size_t i = 0; rc == DC_OK && i < near->count; i++) {
        const dc_object *h = &near->items[i].object;
        if (h->kind != DC_KIND_HAZARD || strcmp(h->owner, party) != 0)
            continue;
        char ref[192];
        dc_object_ref(h->kind, h->owner, h->id, ref, sizeof ref);
        rc = dc_service_audit(
            run->svc, 1, "server", "notice", ref, site->owner,
            json_pack("{s:s,s:I}", "action", "tiling_around_new_site", "notice", (json_int_t)nid),
            NULL);
    }
    return rc;
}

/* The parties with at least TILING_HAZARDS hazards in force around a new site: each is reported
 * to the site's owner and the operator, and told once that some of its hazards there must
 * replan, without which. */
static dc_status detect_tiling(struct disclosure_run *run)
{
    const dc_object *site = run->o;
    const dc_volume *k = &site->volumes[0];
    dc_volume wide;
    dc_status rc =
        dc_volume_init_circle(k->center, k->radius_m + TILING_AREA_M, k->altitude_lower,
                              k->altitude_upper, k->time_start, k->time_end, &wide, NULL);
    if (rc != DC_OK)
        return DC_OK; /* a keep-out near the volume limits: no wider area to look in */
    dc_object around = *site;
    around.volumes = &wide;
    around.volume_count = 1;
    dc_record_list near = {0};
    rc = dc_store_candidates(run->svc->store, &around, &near);
    json_t *counts = json_object();
    for (size_t i = 0; rc == DC_OK && i < near.count; i++) {
        const dc_object *h = &near.items[i].object;
        if (h->kind != DC_KIND_HAZARD || strcmp(h->owner, site->owner) == 0)
            continue;
        json_t *n = json_object_get(counts, h->owner);
        json_object_set_new(counts, h->owner, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    const char *party;
    json_t *n;
    json_object_foreach(counts, party, n)
    {
        if (rc != DC_OK || json_integer_value(n) < TILING_HAZARDS)
            continue;
        json_object_set_new(run->tiling, party, json_true());
        char t[40];
        time_text(run->now, t);
        const char *to[] = {site->owner, "operator"};
        for (int i = 0; rc == DC_OK && i < 2; i++)
            rc = dc_service_alert_party(run->svc, to[i], run->ref,
                                        json_pack("{s:s,s:s,s:s,s:s,s:I,s:f}", "kind", "tiling",
                                                  "level", "warning", "time", t, "party", party,
                                                  "hazards", json_integer_value(n), "within_m",
                                                  TILING_AREA_M),
                                        run->now);
        /* one notice for the party, naming none of its hazards: which of them lies over the
         * site is exactly what a tiling is laid to learn */
        json_t *notice = json_pack(
            "{s:{s:s},s:{s:s,s:s},s:s,s:s,s:s,s:I,s:f,s:s}", "object", "kind", "hazard",
            "counterpart", "party", site->owner, "kind", "site", "action", "replan", "reason",
            "protected_site", "disclosed", "party", "hazards", json_integer_value(n), "within_m",
            TILING_AREA_M, "detail",
            "a protected site of this party lies near some of your hazards here; they are not "
            "named, as so many around one place look like a search for it: withdraw them or ask "
            "the operator");
        if (rc == DC_OK)
            rc = deliver(run, party, run->ref, notice, 1, NULL);
        else
            json_decref(notice);
        /* the site's owner: one notice for the tiling, and the same audit record under each of
         * its hazards near the site, over the keep-out or not */
        if (rc == DC_OK)
            rc = tiling_to_site_owner(run, party, &near);
    }
    json_decref(counts);
    dc_record_list_clear(&near);
    dc_volume_clear(&wide);
    return rc;
}

dc_status dc_service_disclose_conflicts(dc_service *svc, const dc_object *o, const char *ref,
                                        const dc_check_result *result, int *accepted,
                                        json_t *notices_out)
{
    struct disclosure_run run = {svc,         o,         ref,           dc_service_now(),
                                 notices_out, *accepted, json_object(), json_object()};
    dc_status rc = DC_OK;
    if (rc == DC_OK && o->kind == DC_KIND_SITE && o->emergency == DC_EMERGENCY_NONE)
        rc = detect_tiling(&run);
    for (size_t i = 0; rc == DC_OK && i < result->conflict_count; i++) {
        const dc_conflict *c = &result->conflicts[i];
        char other_ref[192];
        dc_object_ref(c->other->kind, c->other->owner, c->other->id, other_ref, sizeof other_ref);
        rc = c->reason == DC_REASON_PROTECTED_SITE ? site_conflict(&run, c, other_ref)
                                                   : ordinary_conflict(&run, c, other_ref);
    }
    const char *site_owner;
    json_t *r;
    json_object_foreach(run.site_refusals, site_owner, r)
    {
        if (rc != DC_OK)
            break;
        json_t *n = notice_head(o, site_owner, DC_KIND_SITE, "refused", "protected_site");
        if (json_is_true(json_object_get(r, "escalated"))) {
            json_object_set_new(n, "detail",
                                json_string("refused: a protected site of this party lies in "
                                            "this area"));
        } else {
            char t0[40], t1[40];
            time_text((dc_time_us)json_integer_value(json_object_get(r, "t0")), t0);
            time_text((dc_time_us)json_integer_value(json_object_get(r, "t1")), t1);
            json_object_set_new(n, "time_start", json_string(t0));
            json_object_set_new(n, "time_end", json_string(t1));
        }
        json_object_set_new(n, "disclosed", json_string("party"));
        rc = deliver(&run, o->owner, json_string_value(json_object_get(r, "site")), n, 0,
                     notices_out);
    }
    json_decref(run.site_refusals);
    json_decref(run.tiling);
    *accepted = run.accepted;
    return rc;
}
