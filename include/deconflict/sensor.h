/* sensor.h - what a party's sensors see (radar or passive: no identity), associated with every
 * party's cooperative tracks: identified, unidentified or disputed (docs/SENSORS.md) */
#ifndef DECONFLICT_SENSOR_H
#define DECONFLICT_SENSOR_H

#include "deconflict/monitor.h"

#include <stddef.h>

typedef struct dc_sensor_report {
    char party[DC_ID_MAX]; /* the sensor's owner */
    char track[16];        /* the sensor's own track number */
    dc_time_us time;
    dc_point position;
    double altitude_m;                  /* NAN when the sensor gives none */
    double ground_speed_mps, track_deg; /* NAN when absent */
    double accuracy_m;                  /* stated horizontal accuracy, 1 sigma (m), > 0 */
} dc_sensor_report;

typedef enum dc_sensor_state {
    DC_SENSOR_TENTATIVE,    /* fewer than M of its last N updates agree on anything yet */
    DC_SENSOR_IDENTIFIED,   /* a cooperating aircraft, within the accuracy gate */
    DC_SENSOR_UNIDENTIFIED, /* no cooperating aircraft near it */
    DC_SENSOR_DISPUTED      /* a party reports this aircraft, but beyond the sensor's accuracy */
} dc_sensor_state;

const char *dc_sensor_state_name(dc_sensor_state state);

/* Take one sensor update. Association (docs/SENSORS.md): each update is gated against every live,
 * believed cooperative track extrapolated to its time; the nearest in the accuracy gate
 * (DC_SENSOR_GATE_SIGMA combined sigmas, the cooperative track's DC_SENSOR_COOP_SIGMA_M) is a
 * hit, else the nearest in the dispute gate (DC_SENSOR_DISPUTE_M, velocity within
 * DC_SENSOR_DISPUTE_MPS) is a dispute, else a miss. A state is confirmed by M of the last N
 * updates (DC_SENSOR_M of DC_SENSOR_N). On a change of state the sensor's owner gets a
 * DC_ALERT_SENSOR alert (the party identified, and its aircraft; the disclosure policy decides
 * what is sent on); a dispute also goes to the reporting party, with both positions (position:
 * the sensor's, entry: the party's). A sensor track identified or disputed as party X's predicted
 * to enter a zone that does not admit X raises zone alerts for X (told with the time to entry)
 * and the zone's owner; one unidentified, for the zone's owner, marked unidentified. The
 * sensor's owner is told of its own track (aircraft: its track number), the party identified of
 * its aircraft. DC_OK, DC_INVALID (a bad value, an accuracy above DC_SENSOR_ACCURACY_MAX_M),
 * DC_CONFLICT (not newer than the sensor track's last update), DC_NOMEM; nothing changes but on
 * DC_OK. */
dc_status dc_monitor_ingest_sensor(dc_monitor *monitor, const dc_sensor_report *report,
                                   dc_sensor_state *state, dc_alert_list *alerts);

/* One update's association alone, changing nothing, for tests and benchmarks: *kind 0 miss, 1 hit
 * (within the accuracy gate), 2 dispute; *track the cooperative track's index in insertion order
 * (SIZE_MAX on a miss). Through the monitor's grid of tracks, or (brute_force) every track: the
 * two give the same answer. DC_OK or DC_INVALID. */
dc_status dc_monitor_sensor_associate(const dc_monitor *monitor, const dc_sensor_report *report,
                                      int brute_force, int *kind, size_t *track);

#define DC_SENSOR_GATE_SIGMA 4.0
#define DC_SENSOR_COOP_SIGMA_M 50.0
#define DC_SENSOR_DISPUTE_M 20000.0
#define DC_SENSOR_DISPUTE_MPS 50.0
#define DC_SENSOR_M 3
#define DC_SENSOR_N 5
/* The largest stated accuracy taken (m, 1 sigma): the accuracy gate is DC_SENSOR_GATE_SIGMA times
 * it, and a wider gate would identify aircraft the sensor does not see (a probe). */
#define DC_SENSOR_ACCURACY_MAX_M 5000.0

#endif
