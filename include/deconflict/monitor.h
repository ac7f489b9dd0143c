/* monitor.h - live tracks: plausibility, zone entry prediction and crossings, separation
 * (CPA/TCPA), alert levels */
#ifndef DECONFLICT_MONITOR_H
#define DECONFLICT_MONITOR_H

#include "deconflict/engine.h"

#include <stdint.h>

typedef struct dc_monitor_config {
    double lookahead_s;     /* straight-line prediction horizon (300; at most 3,600) */
    double warning_s;       /* entry or loss sooner than this is a warning (60) */
    double repeat_s;        /* repeat a persisting alert this often (30) */
    double hold_s;          /* a lower level must persist this long to be announced (10) */
    double separation_h_m;  /* 5 NM = 9,260 m */
    double separation_v_m;  /* 1,000 ft = 304.8 m */
    double track_timeout_s; /* drop a track not updated for this long (120) */
    double max_speed_mps;   /* faster is implausible: Mach 3 = 1,029 m/s (at most 10,000) */
    double altitude_min_m, altitude_max_m; /* -500 .. 30,000 */
    /* A track is established (and may disclose another party's aircraft to its owner) after
     * this many trusted reports received over at least this long (3 over 30 s); an untrusted
     * report starts it afresh. */
    unsigned establish_reports;
    double establish_s;
    /* New aircraft one party may start per minute of receipt (0: no limit); past it their
     * reports are refused (DC_REPORT_TOO_MANY_NEW) and the operator alerted once a minute. */
    unsigned new_aircraft_per_minute;
    /* More new aircraft than this in a minute (accepted or not) alert the operator, once a minute
     * (0: only when the limit above refuses one). */
    unsigned new_aircraft_alert;
    /* A position repeated for freeze_s (60) while the reported ground speed is at least
     * freeze_speed_mps (50) is frozen: the track's position is unreliable. */
    double freeze_s, freeze_speed_mps;
    /* Re-acquiring an unreliable track takes reacquire_reports (5) consecutive reports moving as
     * their reported speed says, over reacquire_s (20), whose first lies within reacquire_m
     * (5,000) + reacquire_fraction (0.25) of the distance flown of where the last reliable state
     * dead-reckons to; within reacquire_turn_s (180) of the last reliable state, when it may
     * have turned any way, within 1.25 times the distance it could have flown. Where a sensor
     * track has identified the aircraft (dc_monitor_ingest_sensor), it decides instead: a report
     * within its accuracy gate re-acquires at once (and a jump it sees is believed), one beyond
     * it is never believed (docs/SENSORS.md). */
    unsigned reacquire_reports;
    double reacquire_s, reacquire_m, reacquire_fraction, reacquire_turn_s;
} dc_monitor_config;

/* Defaults as listed above. */
dc_monitor_config dc_monitor_config_default(void);

/* One position report. Optional quantities are NAN when absent. */
typedef struct dc_report {
    char party[DC_ID_MAX];
    char aircraft[16]; /* ICAO 24-bit address (hex) or, without one, the callsign */
    char callsign[16];
    dc_time_us time;
    dc_point position;
    double altitude_m;
    double ground_speed_mps;
    double track_deg;
    double vertical_rate_mps;
    char intent[DC_ID_MAX]; /* the reporting party's intent this aircraft flies, or "" */
    dc_time_us received;    /* when the service got it (its clock, not the sender's); 0: `time` */
} dc_report;

typedef enum dc_report_verdict {
    DC_REPORT_ACCEPTED,
    DC_REPORT_DUPLICATE,            /* same time as the last one: ignored */
    DC_REPORT_OUT_OF_ORDER,         /* older than the track's last report: rejected */
    DC_REPORT_STALE,                /* older than the timeout behind the newest report seen */
    DC_REPORT_IMPLAUSIBLE_JUMP,     /* reaching it needs more than max_speed */
    DC_REPORT_IMPLAUSIBLE_ALTITUDE, /* outside altitude_min..max */
    DC_REPORT_INVALID,              /* NaN or out-of-range position or time */
    DC_REPORT_IMPLAUSIBLE_SPEED,    /* a ground speed or vertical rate above max_speed */
    DC_REPORT_TOO_MANY_NEW,         /* a new aircraft past its party's new_aircraft_per_minute */
    DC_REPORT_FROZEN,     /* the same position for freeze_s while the reported ground speed says
                             it moves: the track's position is unreliable */
    DC_REPORT_UNRELIABLE, /* not believed: the track's position is unreliable until consistent
                             reports re-acquire it (see dc_monitor_config.reacquire_*) */
    DC_REPORT_FUTURE /* dated more than DC_MONITOR_MAX_FUTURE_S after it was received: believed,
                        it would make every other party's reports stale; the operator is told
                        (DC_ALERT_CLOCK, once a minute a party) */
} dc_report_verdict;

#define DC_MONITOR_MAX_FUTURE_S 60

const char *dc_report_verdict_name(dc_report_verdict verdict);

typedef enum dc_alert_kind {
    DC_ALERT_ZONE,
    DC_ALERT_SEPARATION,
    DC_ALERT_CONFORMANCE,  /* a track outside every volume of the intent it flies */
    DC_ALERT_NEW_AIRCRAFT, /* to the operator: a burst of new aircraft from one party */
    DC_ALERT_CLOCK,        /* to the operator: a party's reports are dated in the future */
    DC_ALERT_EMERGENCY,    /* a track predicted to enter (or inside) another party's emergency
                              area: levels as a zone's, told to the track's owner alone */
    DC_ALERT_POSITION_UNRELIABLE, /* to the track's owner: its reported position is not believed
                                     (an implausible jump, or frozen while the reported speed says
                                     it moves); WARNING when it starts, CLEAR when re-acquired */
    DC_ALERT_SENSOR               /* to a sensor's owner: what its sensor track is (sensor.h) */
} dc_alert_kind;

const char *dc_alert_kind_name(dc_alert_kind kind);

typedef enum dc_alert_level {
    DC_LEVEL_CLEAR,
    DC_LEVEL_ADVISORY,     /* event predicted within the look-ahead */
    DC_LEVEL_WARNING,      /* within warning_s */
    DC_LEVEL_INCURSION,    /* zones: inside */
    DC_LEVEL_LOSS,         /* separation: lost now */
    DC_LEVEL_NONCONFORMING /* conformance: outside the intent, once */
} dc_alert_level;

const char *dc_alert_level_name(dc_alert_level level);

/* A live warning about one track (and a zone, or another track). */
typedef struct dc_alert {
    dc_alert_kind kind;
    dc_alert_level level;
    int repetition;         /* 0 when the level is new, then 1, 2, ... */
    dc_time_us time;        /* of the report that raised it */
    double time_to_event_s; /* to entry or CPA; 0 when inside or lost */
    char party[DC_ID_MAX];  /* the track's owner */
    char aircraft[16];
    dc_point position;
    double altitude_m;
    /* zone alerts */
    char zone_owner[DC_ID_MAX];
    char zone_id[DC_ID_MAX];
    dc_point entry; /* predicted (or actual) entry point */
    /* separation alerts: the other aircraft and the closest approach */
    char other_party[DC_ID_MAX];
    char other_aircraft[16];
    double cpa_horizontal_m, cpa_vertical_m;
    double relative_east_m, relative_north_m, relative_up_m; /* other minus own, now */
    /* conformance alerts: the intent (of the track's owner) it left */
    char intent_id[DC_ID_MAX];
    int established; /* the track has been established (see dc_monitor_config) */
    /* sensor alerts (and zone alerts from a sensor track): the sensor's owner and track number,
     * the state (dc_sensor_state); the party and aircraft identified go in other_party and
     * other_aircraft, the party's reported position in `entry` for a dispute */
    char sensor_party[DC_ID_MAX];
    char sensor_track[16];
    int sensor_state;
    /* a sensor alert to the sensor's owner: the callsign and intent (intent_id) the identified
     * aircraft last reported; the caller sets identity_granted when the identified party grants
     * the recipient other than itself its aircraft's identity (the API: an "intent" grant), and
     * only then are aircraft, callsign and intent told to another party */
    char other_callsign[16];
    int identity_granted;
    int unidentified;      /* a zone alert about an aircraft nobody reports */
    unsigned new_aircraft; /* new-aircraft alerts: started within the minute, refused or not */
} dc_alert;

/* Who is told (DESIGN.md rule 5): the track's owner always; a zone's owner of
 * a warning or incursion in its zone (the track's identity and position, no
 * more); each side of a separation pair gets its own alert, and only once its own track is
 * established when the other aircraft is another party's (DESIGN.md rule 3); new-aircraft and
 * clock alerts go to the operator alone. Writes at most 2 parties (pointers into the alert, or
 * "operator") and returns how many, 0 when nobody may be told. Can't fail. */
size_t dc_alert_recipients(const dc_alert *alert, const char *out[2]);

typedef struct dc_alert_list {
    size_t count, capacity;
    dc_alert *items;
} dc_alert_list;
void dc_alert_list_clear(dc_alert_list *list);

/* A crossing of a zone boundary between two reports, at its exact time on
 * the path interpolated between them. */
typedef struct dc_crossing {
    char party[DC_ID_MAX];
    char aircraft[16];
    char zone_owner[DC_ID_MAX];
    char zone_id[DC_ID_MAX];
    int entering; /* 1 entry, 0 exit */
    dc_time_us time;
    dc_point position;
} dc_crossing;

typedef struct dc_crossing_list {
    size_t count, capacity;
    dc_crossing *items;
} dc_crossing_list;
void dc_crossing_list_clear(dc_crossing_list *list);

typedef struct dc_monitor dc_monitor;

/* DC_OK, DC_NOMEM, DC_INVALID (a config value out of range). */
dc_status dc_monitor_new(const dc_monitor_config *config, dc_monitor **out);
void dc_monitor_free(dc_monitor *monitor); /* NULL is a no-op */

/* Add a zone: rings of WGS84 points (outer rings and holes alike, read by
 * the even-odd rule; edges straight in latitude/longitude), any altitude.
 * `admitted` parties and the owner may be inside. Zones are added before
 * tracks are ingested. DC_OK, DC_NOMEM, DC_INVALID (a ring of < 3 points or
 * a bad point). The monitor copies everything. */
dc_status dc_monitor_add_zone(dc_monitor *monitor, const char *owner, const char *id,
                              const dc_point *const *rings, const size_t *ring_sizes,
                              size_t ring_count, const char (*admitted)[DC_ID_MAX],
                              size_t admitted_count);

/* Watch an emergency (an intent or site with object->emergency) like a zone that admits only its
 * owner: tracks of other parties predicted to enter it get DC_ALERT_EMERGENCY alerts (zone_owner
 * and zone_id name the emergency), and its owner is never told of them (an emergency must not
 * show its declarer other parties' aircraft). Removed with dc_monitor_remove_emergency. As
 * dc_monitor_add_zone_object. */
dc_status dc_monitor_add_emergency_object(dc_monitor *monitor, const dc_object *emergency);

/* Admit `party` to the zones whose id or owner is `zone` (NULL: every zone), as if listed in
 * their admitted parties; *matched (may be NULL) counts the zones named. DC_OK or DC_NOMEM. */
dc_status dc_monitor_admit(dc_monitor *monitor, const char *zone, const char *party,
                           size_t *matched);

/* Stop watching a zone (before adding its new version); an emergency area of the same owner and
 * id stays. DC_OK or DC_NOT_FOUND. */
dc_status dc_monitor_remove_zone(dc_monitor *monitor, const char *owner, const char *id);
/* Stop watching the emergency area (owner, id); a zone of the same owner and id stays.
 * DC_NOT_FOUND if there was none. */
dc_status dc_monitor_remove_emergency(dc_monitor *monitor, const char *owner, const char *id);

/* Add every zone of an object (its polygon volumes' outlines; circles are
 * approximated by 64-gons). */
dc_status dc_monitor_add_zone_object(dc_monitor *monitor, const dc_object *zone);

/* Watch an intent for conformance (DESIGN.md: a track outside every volume of its party's
 * activated intent is nonconforming). An accepted or activated intent is copied; a report of its
 * owner naming it (dc_report.intent) and lying outside all its volumes raises one
 * DC_ALERT_CONFORMANCE alert, level DC_LEVEL_NONCONFORMING, and the intent is no longer watched.
 * An intent in any other state (or another kind of object) is no longer watched. DC_OK or
 * DC_NOMEM (the intent is then not watched). */
dc_status dc_monitor_watch_intent(dc_monitor *monitor, const dc_object *intent);

/* Stop watching an intent (deleted). Can't fail. */
void dc_monitor_unwatch_intent(dc_monitor *monitor, const char *owner, const char *id);

/* Take one report. *verdict says whether it was trusted; only accepted
 * reports move the track. Zone alerts for this track (new levels and
 * repetitions) and a conformance alert are appended to `alerts`, crossings since its last report to
 * `crossings` (either may be NULL). DC_OK or DC_NOMEM. */
dc_status dc_monitor_ingest(dc_monitor *monitor, const dc_report *report,
                            dc_report_verdict *verdict, dc_alert_list *alerts,
                            dc_crossing_list *crossings);

/* Check every pair of live tracks at `now`: closest point of approach
 * under linear extrapolation over the look-ahead, through a 3D grid of swept
 * paths (never an all-pairs sweep). Appends separation alerts (one per
 * track of a pair, new levels and repetitions) and drops tracks older than
 * the timeout. *pairs_examined (may be NULL) counts exact CPA tests. */
dc_status dc_monitor_separation(dc_monitor *monitor, dc_time_us now, dc_alert_list *alerts,
                                size_t *pairs_examined);

/* The same pairs by brute force, for tests and benchmarks: every pair whose
 * predicted loss of separation falls within the look-ahead, as
 * (index, index) of the live tracks in insertion order, a < b. */
dc_status dc_monitor_conflict_pairs(dc_monitor *monitor, dc_time_us now, int brute_force,
                                    uint32_t **pairs, size_t *count);

size_t dc_monitor_track_count(const dc_monitor *monitor);

/* A live track as its owner sees it. */
typedef struct dc_track_view {
    char aircraft[16];
    dc_time_us time;
    dc_point position;
    double altitude_m;
    double ground_speed_mps, track_deg; /* NAN when unknown */
    uint64_t change; /* the monitor's change number of its last report or time-out */
    int live;        /* 0: timed out (only dc_monitor_track_changes passes such a track) */
} dc_track_view;

/* Calls `each` for every live track of `party`. Can't fail. */
void dc_monitor_tracks(const dc_monitor *monitor, const char *party,
                       void (*each)(void *ctx, const dc_track_view *track), void *ctx);

/* The monitor's latest change number: it grows by one whenever a report is accepted or a track
 * times out, whichever party's. Can't fail. */
uint64_t dc_monitor_changes(const dc_monitor *monitor);

/* Calls `each` for every track of `party` whose last change is after change number `after`:
 * reported since (live), or timed out since (live 0; a track timed out is passed only when
 * `after` > 0, to someone who may have seen it live). In no order. Can't fail. */
void dc_monitor_track_changes(const dc_monitor *monitor, const char *party, uint64_t after,
                              void (*each)(void *ctx, const dc_track_view *track), void *ctx);

/* Calls `each` for every live track of every party. Can't fail. */
void dc_monitor_each_track(const dc_monitor *monitor,
                           void (*each)(void *ctx, const char *party, const dc_track_view *track),
                           void *ctx);

/* The ids of the zones containing `p` (at most `max`, in no order); the
 * strings belong to the monitor. Returns how many. Can't fail. */
size_t dc_monitor_zones_at(const dc_monitor *monitor, dc_point p, const char **ids, size_t max);

/* Read recorded reports from a CSV with the columns of ../shared/data/tracks
 * (time_utc, icao24, callsign, lat, lon, alt_ft, groundspeed_kt, track_deg;
 * empty cells are absent values). Feet and knots are converted here. All
 * reports get `party`. The path "-" reads standard input. *out is allocated (dc_free). DC_NOT_FOUND
 * (cannot read), DC_INVALID (header or a line malformed: line number in err). */
dc_status dc_tracks_csv_read(const char *path, const char *party, dc_report **out, size_t *count,
                             dc_error *err);

/* Reports in time order, stably (equal times keep their order in the array). DC_OK or DC_NOMEM
 * (then unchanged). */
dc_status dc_reports_sort_by_time(dc_report *reports, size_t count);

/* The same from `length` bytes of text, `name` standing for the file in messages. DC_INVALID,
 * DC_NOMEM. */
dc_status dc_tracks_csv_parse(const char *text, size_t length, const char *name, const char *party,
                              dc_report **out, size_t *count, dc_error *err);

/* Closest point of approach of two straight tracks from their relative
 * position (m) and velocity (m/s) in a local plane: time (s, clamped to
 * [0, horizon]) and horizontal distance (m) there. Can't fail. */
void dc_cpa(double dx, double dy, double dvx, double dvy, double horizon_s, double *tcpa_s,
            double *distance_m);

#endif
