/* alert_view.c - an alert as each of its recipients may read it: the disclosure policy's grid for
 * another party's aircraft, a sensor's picture as its owner and the aircraft's owner may learn it
 * (docs/SENSORS.md, DESIGN.md rule 5) */
#include "deconflict/disclosure.h"
#include "deconflict/service.h"

#include <math.h>
#include <string.h>

/* What a sensor's picture tells (docs/SENSORS.md, "What each party learns"). Its owner learns
 * the state of its own sensor track and, identified or disputed, the party: "a cooperating
 * aircraft of party X"; X's aircraft, callsign and intent only under X's "intent" grant
 * (identity_granted). X, told of a dispute, learns where the sensor sees its aircraft on the
 * disclosure grid and its own reported position beside it. A zone's owner told of an identified
 * aircraft from a sensor's picture learns its party, and its aircraft under the same grant. */
static void sensor_fields(const dc_alert *a, const char *recipient, json_t *j)
{
    static const char *const states[] = {"tentative", "identified", "unidentified", "disputed"};
    const char *state = (unsigned)a->sensor_state < 4 ? states[a->sensor_state] : "tentative";
    json_object_set_new(j, "sensor",
                        json_pack("{s:s,s:s,s:s}", "party", a->sensor_party, "track",
                                  a->sensor_track, "state", state));
    int own = strcmp(recipient, a->party) == 0 || strcmp(recipient, "operator") == 0;
    json_t *track = json_object_get(j, "track");
    if (a->kind == DC_ALERT_ZONE) {
        json_object_set_new(j, "unidentified", json_boolean(a->unidentified));
        if (!own && !a->unidentified && !a->identity_granted)
            json_object_set_new(track, "aircraft", json_string(""));
        return;
    }
    if (a->other_party[0] == '\0')
        return; /* unidentified: nobody's */
    int party_itself = strcmp(recipient, a->other_party) == 0;
    int full = party_itself || a->identity_granted || strcmp(recipient, "operator") == 0;
    json_t *who = json_pack("{s:s}", "party", a->other_party);
    if (full) {
        json_object_set_new(who, "aircraft", json_string(a->other_aircraft));
        json_object_set_new(who, "callsign", json_string(a->other_callsign));
        json_object_set_new(who, "intent", json_string(a->intent_id));
    }
    json_object_set_new(j, "identified", who);
    if (party_itself && strcmp(recipient, a->sensor_party) != 0) {
        /* the sensor's picture of one's own aircraft: the sensor's owner's data, coarsened */
        dc_point at = a->position;
        double alt = a->altitude_m;
        dc_disclosure_position(&at, &alt);
        json_object_set_new(track, "position",
                            json_pack("{s:f,s:f}", "lat", at.lat, "lng", at.lon));
        json_object_set_new(track, "altitude_m", json_real(alt));
        json_object_set_new(track, "resolution_m", json_real(DC_DISCLOSE_CELL_M));
        json_object_set_new(j, "reported",
                            json_pack("{s:f,s:f}", "lat", a->entry.lat, "lng", a->entry.lon));
        json_object_set_new(j, "apart_m", json_real(dc_disclosure_distance(a->cpa_horizontal_m)));
    }
}

json_t *dc_service_alert_json(const dc_alert *a, const char *recipient)
{
    char t[32];
    if (dc_time_format(a->time, t, sizeof t) != DC_OK)
        return NULL;
    /* the API's published names (two differ from the monitor's: dc_alert_kind_name) */
    static const char *const kinds[] = {
        "zone",           "separation",          "conformance", "new_aircraft", "implausible_clock",
        "emergency_area", "position_unreliable", "sensor"};
    if ((unsigned)a->kind >= sizeof kinds / sizeof kinds[0])
        return NULL;
    /* another party's aircraft in one's zone: on the disclosure grid, not to the metre */
    dc_point at = a->position;
    double alt = a->altitude_m;
    int others = strcmp(recipient, a->party) != 0 && strcmp(recipient, "operator") != 0;
    if (others)
        dc_disclosure_position(&at, &alt);
    json_t *j =
        json_pack("{s:s,s:s,s:i,s:s,s:f,s:{s:s,s:s,s:{s:f,s:f},s:f}}", "kind", kinds[a->kind],
                  "level", dc_alert_level_name(a->level), "repetition", a->repetition, "time", t,
                  "time_to_event_s", a->time_to_event_s, "track", "party", a->party, "aircraft",
                  a->aircraft, "position", "lat", at.lat, "lng", at.lon, "altitude_m", alt);
    if (others)
        json_object_set_new(json_object_get(j, "track"), "resolution_m",
                            json_real(DC_DISCLOSE_CELL_M));
    if (a->sensor_track[0] != '\0')
        sensor_fields(a, recipient, j);
    if (a->kind == DC_ALERT_SENSOR) {
        /* nothing more: sensor_fields said it all */
    } else if (a->kind == DC_ALERT_ZONE) {
        json_object_set_new(j, "zone",
                            json_pack("{s:s,s:s}", "owner", a->zone_owner, "id", a->zone_id));
        /* the zone's owner learns identity and position in or near its zone, nothing more */
        if (strcmp(recipient, a->party) == 0 && a->level != DC_LEVEL_INCURSION &&
            a->level != DC_LEVEL_CLEAR)
            json_object_set_new(j, "entry",
                                json_pack("{s:f,s:f}", "lat", a->entry.lat, "lng", a->entry.lon));
    } else if (a->kind == DC_ALERT_EMERGENCY) {
        /* only the track's owner is told: its own aircraft, the emergency it is about to enter */
        json_object_set_new(j, "emergency",
                            json_pack("{s:s,s:s}", "party", a->zone_owner, "id", a->zone_id));
        if (a->level != DC_LEVEL_INCURSION && a->level != DC_LEVEL_CLEAR)
            json_object_set_new(j, "entry",
                                json_pack("{s:f,s:f}", "lat", a->entry.lat, "lng", a->entry.lon));
    } else if (a->kind == DC_ALERT_NEW_AIRCRAFT) {
        json_object_set_new(j, "party", json_string(a->party));
        json_object_set_new(j, "new_aircraft", json_integer(a->new_aircraft));
        json_object_set_new(j, "window_s", json_integer(60));
    } else if (a->kind == DC_ALERT_CLOCK) {
        json_object_set_new(j, "party", json_string(a->party));
        json_object_set_new(j, "ahead_s", json_real(a->time_to_event_s));
    } else if (a->kind == DC_ALERT_CONFORMANCE) {
        json_object_set_new(j, "intent",
                            json_pack("{s:s,s:s}", "id", a->intent_id, "state", "nonconforming"));
    } else {
        /* another party's aircraft: as coarse as avoiding it allows (disclosure.h) */
        double e = a->relative_east_m, n = a->relative_north_m, u = a->relative_up_m;
        double h = a->cpa_horizontal_m, v = a->cpa_vertical_m;
        int coarse = strcmp(a->other_party, a->party) != 0;
        if (coarse) {
            dc_disclosure_relative(&e, &n, &u);
            h = dc_disclosure_distance(h);
            v = floor(v / DC_DISCLOSE_TRACK_ALT_M) * DC_DISCLOSE_TRACK_ALT_M;
        }
        json_object_set_new(j, "other",
                            json_pack("{s:s,s:s,s:{s:f,s:f,s:f},s:f}", "party", a->other_party,
                                      "aircraft", a->other_aircraft, "relative", "east_m", e,
                                      "north_m", n, "up_m", u, "resolution_m",
                                      coarse ? DC_DISCLOSE_TRACK_M : 0.0));
        json_object_set_new(j, "cpa", json_pack("{s:f,s:f}", "horizontal_m", h, "vertical_m", v));
    }
    return j;
}
