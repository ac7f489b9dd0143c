/* monitor.c - `deconflict monitor FILE.csv`: run recorded tracks through the live monitor, offline
 */
#include "cli.h"
#include "deconflict/scenario.h"
#include "deconflict/sensor.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict monitor [--zones FILE.geojson]... [--party NAME] [--admit ZONES]...\n"
    "                          [--sensor FILE.csv [--sensor-party NAME] [--sensor-accuracy M]]\n"
    "                          [--json] [--repetitions] FILE.csv|-\n"
    "\n"
    "Feeds recorded position reports (the CSV columns of shared/data/tracks; - reads\n"
    "standard input) through the live monitor in time order (the file is sorted by\n"
    "time, stably: a file ordered aircraft by aircraft reads as its sorted copy), and\n"
    "runs a last cycle at the end of the input: implausible, duplicate and out-of-order reports are\n"
    "flagged with their reason; zone crossings are reported at their exact time on\n"
    "the path between reports; zone alerts (advisory, warning, incursion) and\n"
    "separation alerts between the file's aircraft are printed as they would be sent.\n"
    "Times in the text are to the tenth of a second (exact in --json).\n"
    "  --zones        zones to watch (scenario GeoJSON; build/borders/world.geojson has\n"
    "                 every Natural Earth country); repeatable\n"
    "  --party        the reporting party (default: recorded)\n"
    "  --admit        zones (ids or owners, comma-separated; all; none) that admit the\n"
    "                 party: no zone alert there; repeatable. Default: the zones each\n"
    "                 aircraft's first and last report lie in (its departure and\n"
    "                 destination), so that only the airspace it overflies alerts\n"
    "  --sensor       what a party's sensor saw, in the same columns (the icao24 or\n"
    "                 callsign column holds the sensor's own track number, no identity):\n"
    "                 each update is associated with the cooperative tracks and called\n"
    "                 identified, unidentified or disputed (docs/SENSORS.md)\n"
    "  --sensor-party the sensor's owner (default: sensor)\n"
    "  --sensor-accuracy  its stated horizontal accuracy, metres 1 sigma (default 100)\n"
    "  --repetitions  also print the repetitions of persisting alerts\n"
    "  --json         one JSON document\n";

static void time_text(dc_time_us t, char *buf)
{
    if (dc_time_format(t, buf, 32) != DC_OK)
        snprintf(buf, 32, "?");
}

/* One precision for the whole column: the tenth of a second, rounded (exact in --json). */
static void column_time(dc_time_us t, char *buf)
{
    const dc_time_us tenth = DC_US_PER_S / 10;
    dc_time_us r = t >= 0 ? (t + tenth / 2) / tenth : -((-t + tenth / 2) / tenth);
    dc_time_us seconds = r >= 0 ? r / 10 : -((-r + 9) / 10);
    int tenths = (int)(r - seconds * 10);
    char whole[32];
    if (dc_time_format(seconds * DC_US_PER_S, whole, sizeof whole) != DC_OK) {
        snprintf(buf, 32, "?");
        return;
    }
    whole[strcspn(whole, "Z")] = '\0';
    snprintf(buf, 32, "%s.%dZ", whole, tenths);
}

/* " in 12 s", or how it stands when the event is now (inside, at the CPA) or unknown. */
static void lead_text(const dc_alert *a, char *buf, size_t size)
{
    if (!isfinite(a->time_to_event_s) || a->time_to_event_s < 0)
        snprintf(buf, size, "%s", "");
    else if (a->time_to_event_s < 0.5)
        snprintf(buf, size, "%s", a->kind == DC_ALERT_ZONE ? ", inside now" : ", now");
    else
        snprintf(buf, size, " in %.0f s", a->time_to_event_s);
}

static json_t *alert_json(const dc_alert *a)
{
    char t[32];
    time_text(a->time, t);
    json_t *j = json_pack(
        "{s:s,s:s,s:i,s:s,s:s,s:s,s:o,s:[f,f],s:f}", "time", t, "kind", dc_alert_kind_name(a->kind),
        "repetition", a->repetition, "level", dc_alert_level_name(a->level), "party", a->party,
        "aircraft", a->aircraft, "time_to_event_s",
        isfinite(a->time_to_event_s) ? json_real(a->time_to_event_s) : json_null(), "position",
        a->position.lat, a->position.lon, "altitude_m", a->altitude_m);
    if (a->kind == DC_ALERT_ZONE) {
        json_object_set_new(j, "zone_owner", json_string(a->zone_owner));
        json_object_set_new(j, "zone_id", json_string(a->zone_id));
    }
    if (a->sensor_track[0] != '\0') {
        json_object_set_new(j, "sensor",
                            json_pack("{s:s,s:s,s:s}", "party", a->sensor_party, "track",
                                      a->sensor_track, "state",
                                      dc_sensor_state_name(a->sensor_state)));
        json_object_set_new(j, "unidentified", json_boolean(a->unidentified));
    }
    if (a->kind == DC_ALERT_SENSOR) {
        json_object_set_new(j, "other_party", json_string(a->other_party));
        json_object_set_new(j, "other_aircraft", json_string(a->other_aircraft));
        json_object_set_new(j, "other_position", json_pack("[f,f]", a->entry.lat, a->entry.lon));
        json_object_set_new(j, "apart_m", json_real(a->cpa_horizontal_m));
    } else if (a->kind == DC_ALERT_SEPARATION) {
        json_object_set_new(j, "other_party", json_string(a->other_party));
        json_object_set_new(j, "other_aircraft", json_string(a->other_aircraft));
        json_object_set_new(j, "cpa_horizontal_m", json_real(a->cpa_horizontal_m));
        json_object_set_new(j, "cpa_vertical_m", json_real(a->cpa_vertical_m));
    }
    return j;
}

struct run {
    int json, repetitions;
    json_t *flagged, *alerts, *crossings;
    size_t verdicts[16];
};

static void print_alert(struct run *run, const dc_alert *a)
{
    if (a->repetition > 0 && !run->repetitions)
        return;
    if (run->json) {
        json_array_append_new(run->alerts, alert_json(a));
        return;
    }
    char at[32], lead[32];
    column_time(a->time, at);
    lead_text(a, lead, sizeof lead);
    if (a->kind == DC_ALERT_ZONE)
        printf("%s  %-8s %-9s zone %s/%s%s%s%s%s%s\n", at, a->aircraft,
               dc_alert_level_name(a->level), a->zone_owner, a->zone_id,
               a->repetition ? " (repeated)" : "", lead,
               a->sensor_track[0] ? " (seen by sensor " : "", a->sensor_party,
               a->sensor_track[0] ? (a->unidentified ? ", unidentified)" : ")") : "");
    else if (a->kind == DC_ALERT_SEPARATION)
        printf("%s  %-8s %-9s separation with %s/%s: CPA %.0f m, %.0f m vertically%s\n", at,
               a->aircraft, dc_alert_level_name(a->level), a->other_party, a->other_aircraft,
               a->cpa_horizontal_m, a->cpa_vertical_m, lead);
    else if (a->kind == DC_ALERT_SENSOR)
        printf("%s  to %-8s sensor %s/%s %s%s%s%s (sensor %.4f, %.4f; reported %.4f, %.4f: %.0f m "
               "apart)\n",
               at, a->party, a->sensor_party, a->sensor_track,
               dc_sensor_state_name(a->sensor_state), a->other_party[0] ? " as " : "",
               a->other_party, a->other_party[0] ? "'s aircraft" : "", a->position.lat,
               a->position.lon, a->entry.lat, a->entry.lon, a->cpa_horizontal_m);
    else
        printf("%s  %-8s %-9s %s (%.4f, %.4f)\n", at, a->aircraft, dc_alert_level_name(a->level),
               dc_alert_kind_name(a->kind), a->position.lat, a->position.lon);
}

static void print_crossing(struct run *run, const dc_crossing *c)
{
    char ct[32];
    if (run->json)
        time_text(c->time, ct);
    else
        column_time(c->time, ct);
    if (run->json)
        json_array_append_new(run->crossings,
                              json_pack("{s:s,s:s,s:s,s:s,s:b,s:[f,f]}", "time", ct, "aircraft",
                                        c->aircraft, "zone_owner", c->zone_owner, "zone_id",
                                        c->zone_id, "entering", c->entering, "position",
                                        c->position.lat, c->position.lon));
    else
        printf("%s  %-8s %s %s (%.4f, %.4f)\n", ct, c->aircraft, c->entering ? "enters" : "leaves",
               c->zone_owner, c->position.lat, c->position.lon);
}

static void print_verdict(struct run *run, const dc_report *r, size_t line, dc_report_verdict v)
{
    if (v < sizeof run->verdicts / sizeof *run->verdicts)
        run->verdicts[v]++;
    if (v == DC_REPORT_ACCEPTED)
        return;
    char t[32];
    if (run->json)
        time_text(r->time, t);
    else
        column_time(r->time, t);
    if (run->json)
        json_array_append_new(run->flagged, json_pack("{s:I,s:s,s:s,s:s}", "line", (json_int_t)line,
                                                      "time", t, "aircraft", r->aircraft, "reason",
                                                      dc_report_verdict_name(v)));
    else
        printf("%s  %-8s line %zu flagged: %s\n", t, r->aircraft, line, dc_report_verdict_name(v));
}

static int admit_at(dc_monitor *m, dc_point p, const char *party)
{
    const char *ids[16];
    size_t n = dc_monitor_zones_at(m, p, ids, 16);
    char id[16][DC_ID_MAX];
    for (size_t z = 0; z < n; z++)
        dc_copy_text(id[z], DC_ID_MAX, ids[z]); /* the strings belong to the zones they name */
    for (size_t z = 0; z < n; z++)
        if (dc_monitor_admit(m, id[z], party, NULL) != DC_OK)
            return -1;
    return 0;
}

/* Each aircraft's first and last report (in time order): the zones there, its departure and
 * destination, admit it. */
static int admit_route_ends(dc_monitor *m, const dc_report *reports, size_t count,
                            const char *party)
{
    struct ends {
        const char *aircraft;
        size_t first, last;
    } *ends = dc_calloc(count + 1, sizeof *ends);
    size_t n = 0;
    if (ends == NULL)
        return -1;
    for (size_t i = 0; i < count; i++) {
        size_t k = n;
        while (k > 0 && strcmp(ends[k - 1].aircraft, reports[i].aircraft) != 0)
            k--;
        if (k == 0)
            ends[n++] = (struct ends){reports[i].aircraft, i, i};
        else
            ends[k - 1].last = i;
    }
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        if (admit_at(m, reports[ends[k].first].position, party) != 0 ||
            admit_at(m, reports[ends[k].last].position, party) != 0)
            rc = -1;
    dc_free(ends);
    return rc;
}

/* --admit values: "all", "none" or zones, comma-separated. */
static int admit_listed(dc_monitor *m, const char *const *lists, size_t count, const char *party)
{
    for (size_t l = 0; l < count; l++) {
        char buf[1024];
        dc_copy_text(buf, sizeof buf, lists[l]);
        for (char *save = NULL, *z = strtok_r(buf, ",", &save); z != NULL;
             z = strtok_r(NULL, ",", &save)) {
            size_t matched = 0;
            if (strcmp(z, "none") == 0)
                continue;
            if (dc_monitor_admit(m, strcmp(z, "all") == 0 ? NULL : z, party, &matched) != DC_OK)
                return -1;
            if (matched == 0)
                fprintf(stderr, "deconflict monitor: --admit %s names no zone\n", z);
        }
    }
    return 0;
}

struct sensor_input {
    dc_report *reports;
    size_t count;
    const char *party;
    double accuracy_m;
};

static dc_sensor_report sensor_report(const struct sensor_input *in, const dc_report *r)
{
    dc_sensor_report s;
    memset(&s, 0, sizeof s);
    dc_copy_text(s.party, sizeof s.party, in->party);
    dc_copy_text(s.track, sizeof s.track, r->aircraft);
    s.time = r->time;
    s.position = r->position;
    s.altitude_m = r->altitude_m;
    s.ground_speed_mps = r->ground_speed_mps;
    s.track_deg = r->track_deg;
    s.accuracy_m = in->accuracy_m;
    return s;
}

/* Every report in time order (cooperative before sensor at one time), a separation cycle each
 * 5 s of report time and one at the end. */
static int feed(struct run *run, dc_monitor *m, const dc_report *reports, const size_t *lines,
                size_t count, const struct sensor_input *sensor)
{
    dc_alert_list alerts = {0};
    dc_crossing_list crossings = {0};
    dc_time_us last_cycle = 0, last_time = 0;
    int status = 0;
    size_t i = 0, k = 0, total = count + sensor->count;
    for (size_t step = 0; step <= total && status == 0; step++) {
        dc_time_us now = last_time;
        if (step < total &&
            (k == sensor->count || (i < count && reports[i].time <= sensor->reports[k].time))) {
            dc_report_verdict v = DC_REPORT_ACCEPTED;
            if (dc_monitor_ingest(m, &reports[i], &v, &alerts, &crossings) != DC_OK)
                status = 2;
            print_verdict(run, &reports[i], lines[i], v);
            now = reports[i++].time;
        } else if (step < total) {
            dc_sensor_report s = sensor_report(sensor, &sensor->reports[k]);
            dc_sensor_state state;
            if (dc_monitor_ingest_sensor(m, &s, &state, &alerts) == DC_NOMEM)
                status = 2;
            now = sensor->reports[k++].time;
        }
        last_time = now;
        /* the end of the input is a cycle: a snapshot's separations are found there */
        if (status == 0 && total > 0 && (step == total || now - last_cycle >= 5 * DC_US_PER_S)) {
            if (dc_monitor_separation(m, now, &alerts, NULL) != DC_OK)
                status = 2;
            last_cycle = now;
        }
        for (size_t c = 0; c < crossings.count; c++)
            print_crossing(run, &crossings.items[c]);
        for (size_t c = 0; c < alerts.count; c++)
            print_alert(run, &alerts.items[c]);
        alerts.count = 0;
        crossings.count = 0;
    }
    dc_alert_list_clear(&alerts);
    dc_crossing_list_clear(&crossings);
    return status;
}

static void finish(struct run *run, const char *path, size_t count)
{
    size_t kinds = sizeof run->verdicts / sizeof *run->verdicts;
    if (run->json) {
        json_t *counts = json_object();
        for (size_t v = 0; v < kinds; v++)
            if (strcmp(dc_report_verdict_name((dc_report_verdict)v), "unknown") != 0)
                json_object_set_new(counts, dc_report_verdict_name((dc_report_verdict)v),
                                    json_integer((json_int_t)run->verdicts[v]));
        json_t *doc = json_pack("{s:s,s:I,s:o,s:O,s:O,s:O}", "file", path, "reports",
                                (json_int_t)count, "verdicts", counts, "flagged", run->flagged,
                                "crossings", run->crossings, "alerts", run->alerts);
        char *text =
            json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        puts(text);
        free(text);
        json_decref(doc);
        return;
    }
    printf("%zu %s: %zu accepted", DC_CLI_PLURAL(count, "report", "reports"),
           run->verdicts[DC_REPORT_ACCEPTED]);
    for (size_t v = 1; v < kinds; v++)
        if (run->verdicts[v])
            printf(", %zu %s", run->verdicts[v], dc_report_verdict_name((dc_report_verdict)v));
    printf("\n");
}

/* The reports in time order, each with its line in the file (for the flags printed). */
static int read_sorted(const char *path, const char *party, dc_report **reports, size_t **lines,
                       size_t *count)
{
    dc_error err;
    if (dc_tracks_csv_read(path, party, reports, count, &err) != DC_OK) {
        fprintf(stderr, "deconflict monitor: %s\n", err.message);
        return -1;
    }
    /* the line rides in the report's receipt time while sorting: 0 is "not given" to the
     * monitor, so it is put back before ingesting */
    *lines = dc_calloc(*count + 1, sizeof **lines);
    if (*lines == NULL)
        return -1;
    for (size_t i = 0; i < *count; i++)
        (*reports)[i].received = (dc_time_us)i + 2;
    if (dc_reports_sort_by_time(*reports, *count) != DC_OK)
        return -1;
    for (size_t i = 0; i < *count; i++) {
        (*lines)[i] = (size_t)(*reports)[i].received;
        (*reports)[i].received = 0;
    }
    return 0;
}

int dc_cli_monitor(int argc, char **argv)
{
    const char *zone_files[32], *admit[32], *path = NULL, *party = "recorded", *sensor_path = NULL;
    struct sensor_input sensor = {NULL, 0, "sensor", 100};
    size_t nzones = 0, nadmit = 0;
    struct run run = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(argv[i], "--zones") == 0 && i + 1 < argc && nzones < 32) {
            zone_files[nzones++] = argv[++i];
        } else if (strcmp(argv[i], "--admit") == 0 && i + 1 < argc && nadmit < 32) {
            admit[nadmit++] = argv[++i];
        } else if (strcmp(argv[i], "--sensor") == 0 && i + 1 < argc) {
            sensor_path = argv[++i];
        } else if (strcmp(argv[i], "--sensor-party") == 0 && i + 1 < argc) {
            sensor.party = argv[++i];
        } else if (strcmp(argv[i], "--sensor-accuracy") == 0 && i + 1 < argc) {
            sensor.accuracy_m = strtod(argv[++i], NULL);
            if (!(sensor.accuracy_m > 0 && sensor.accuracy_m <= DC_SENSOR_ACCURACY_MAX_M)) {
                fprintf(stderr,
                        "deconflict monitor: --sensor-accuracy wants metres, > 0, <= 5000\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--party") == 0 && i + 1 < argc) {
            party = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            run.json = 1;
        } else if (strcmp(argv[i], "--repetitions") == 0) {
            run.repetitions = 1;
        } else if ((argv[i][0] != '-' || strcmp(argv[i], "-") == 0) && path == NULL) {
            path = argv[i];
        } else {
            fprintf(stderr, "deconflict monitor: unexpected '%s'\n%s", argv[i], help);
            return 2;
        }
    }
    if (path == NULL) {
        fputs(help, stderr);
        return 2;
    }
    dc_monitor *m;
    dc_error err;
    dc_report *reports = NULL;
    size_t count = 0, *lines = NULL;
    if (dc_monitor_new(NULL, &m) != DC_OK)
        return 2;
    int status = 0;
    for (size_t z = 0; z < nzones && status == 0; z++) {
        size_t added;
        if (dc_scenario_load_zone_outlines(zone_files[z], m, &added, &err) != DC_OK) {
            fprintf(stderr, "deconflict monitor: %s\n", err.message);
            status = 2;
        }
    }
    if (status == 0 && read_sorted(path, party, &reports, &lines, &count) != 0)
        status = 2;
    size_t *sensor_lines = NULL;
    if (status == 0 && sensor_path != NULL &&
        read_sorted(sensor_path, sensor.party, &sensor.reports, &sensor_lines, &sensor.count) != 0)
        status = 2;
    if (status == 0 && (nadmit > 0 ? admit_listed(m, admit, nadmit, party)
                                   : admit_route_ends(m, reports, count, party)) != 0)
        status = 2;
    if (status == 0) {
        run.flagged = json_array();
        run.alerts = json_array();
        run.crossings = json_array();
        status = feed(&run, m, reports, lines, count, &sensor);
        if (status == 0)
            finish(&run, path, count);
        json_decref(run.flagged);
        json_decref(run.alerts);
        json_decref(run.crossings);
    }
    dc_free(lines);
    dc_free(reports);
    dc_free(sensor_lines);
    dc_free(sensor.reports);
    dc_monitor_free(m);
    return status;
}
