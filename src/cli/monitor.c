/* monitor.c - `deconflict monitor FILE.csv`: run recorded tracks through the live monitor, offline
 */
#include "cli.h"
#include "deconflict/scenario.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict monitor [--zones FILE.geojson]... [--party NAME] [--json] [--repetitions] FILE.csv|-\n"
    "\n"
    "Feeds recorded position reports (the CSV columns of shared/data/tracks) through\n"
    "the live monitor in order: implausible, duplicate and out-of-order reports are\n"
    "flagged with their reason; zone crossings are reported at their exact time on\n"
    "the path between reports; zone alerts (advisory, warning, incursion) and\n"
    "separation alerts between the file's aircraft are printed as they would be sent.\n"
    "- reads the CSV from standard input. Times in the text are to the tenth of a\n"
    "second (exact in --json).\n"
    "  --zones        zones to watch (scenario GeoJSON; build/borders/world.geojson has\n"
    "                 every Natural Earth country); repeatable\n"
    "  --party        the reporting party (default: recorded)\n"
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
    json_t *j =
        json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:o,s:[f,f],s:f}", "time", t, "kind",
                  a->kind == DC_ALERT_ZONE ? "zone" : "separation", "repetition", a->repetition,
                  "level", dc_alert_level_name(a->level), "party", a->party, "aircraft",
                  a->aircraft, "time_to_event_s",
                  isfinite(a->time_to_event_s) ? json_real(a->time_to_event_s) : json_null(),
                  "position", a->position.lat, a->position.lon, "altitude_m", a->altitude_m);
    if (a->kind == DC_ALERT_ZONE) {
        json_object_set_new(j, "zone_owner", json_string(a->zone_owner));
        json_object_set_new(j, "zone_id", json_string(a->zone_id));
    } else {
        json_object_set_new(j, "other_party", json_string(a->other_party));
        json_object_set_new(j, "other_aircraft", json_string(a->other_aircraft));
        json_object_set_new(j, "cpa_horizontal_m", json_real(a->cpa_horizontal_m));
        json_object_set_new(j, "cpa_vertical_m", json_real(a->cpa_vertical_m));
    }
    return j;
}

int dc_cli_monitor(int argc, char **argv)
{
    const char *zone_files[32], *path = NULL, *party = "recorded";
    size_t nzones = 0;
    int json = 0, repetitions = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(argv[i], "--zones") == 0 && i + 1 < argc && nzones < 32) {
            zone_files[nzones++] = argv[++i];
        } else if (strcmp(argv[i], "--party") == 0 && i + 1 < argc) {
            party = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--repetitions") == 0) {
            repetitions = 1;
        } else if ((argv[i][0] != '-' || argv[i][1] == '\0') && path == NULL) {
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
    size_t count = 0;
    if (dc_monitor_new(NULL, &m) != DC_OK)
        return 2;
    for (size_t z = 0; z < nzones; z++) {
        size_t added;
        if (dc_scenario_load_zone_outlines(zone_files[z], m, &added, &err) != DC_OK) {
            fprintf(stderr, "deconflict monitor: %s\n", err.message);
            dc_monitor_free(m);
            return 2;
        }
    }
    char *input = NULL, why[256];
    size_t length = 0;
    if (dc_cli_read_input(path, &input, &length, why, sizeof why) != 0) {
        fprintf(stderr, "deconflict monitor: %s\n", why);
        dc_monitor_free(m);
        return 2;
    }
    dc_status read =
        dc_tracks_csv_parse(input, length, dc_cli_input_name(path), party, &reports, &count, &err);
    free(input);
    if (read != DC_OK) {
        fprintf(stderr, "deconflict monitor: %s\n", err.message);
        dc_monitor_free(m);
        return 2;
    }
    dc_alert_list alerts = {0};
    dc_crossing_list crossings = {0};
    size_t verdicts[7] = {0};
    json_t *flagged = json_array(), *alert_out = json_array(), *crossing_out = json_array();
    dc_time_us last_cycle = 0;
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        dc_report_verdict v;
        size_t a0 = alerts.count, c0 = crossings.count;
        if (dc_monitor_ingest(m, &reports[i], &v, &alerts, &crossings) != DC_OK) {
            status = 2;
            break;
        }
        verdicts[v]++;
        char t[32];
        if (json)
            time_text(reports[i].time, t);
        else
            column_time(reports[i].time, t);
        if (v != DC_REPORT_ACCEPTED) {
            if (json)
                json_array_append_new(flagged,
                                      json_pack("{s:I,s:s,s:s,s:s}", "line", (json_int_t)(i + 2),
                                                "time", t, "aircraft", reports[i].aircraft,
                                                "reason", dc_report_verdict_name(v)));
            else
                printf("%s  %-8s line %zu flagged: %s\n", t, reports[i].aircraft, i + 2,
                       dc_report_verdict_name(v));
        }
        if (reports[i].time - last_cycle >= 5 * DC_US_PER_S) {
            dc_monitor_separation(m, reports[i].time, &alerts, NULL);
            last_cycle = reports[i].time;
        }
        for (size_t k = c0; k < crossings.count; k++) {
            const dc_crossing *c = &crossings.items[k];
            char ct[32];
            if (json)
                time_text(c->time, ct);
            else
                column_time(c->time, ct);
            if (json)
                json_array_append_new(
                    crossing_out,
                    json_pack("{s:s,s:s,s:s,s:s,s:b,s:[f,f]}", "time", ct, "aircraft", c->aircraft,
                              "zone_owner", c->zone_owner, "zone_id", c->zone_id, "entering",
                              c->entering, "position", c->position.lat, c->position.lon));
            else
                printf("%s  %-8s %s %s (%.4f, %.4f)\n", ct, c->aircraft,
                       c->entering ? "enters" : "leaves", c->zone_owner, c->position.lat,
                       c->position.lon);
        }
        for (size_t k = a0; k < alerts.count; k++) {
            const dc_alert *a = &alerts.items[k];
            if (a->repetition > 0 && !repetitions)
                continue;
            if (json) {
                json_array_append_new(alert_out, alert_json(a));
                continue;
            }
            char at[32], lead[32];
            column_time(a->time, at);
            lead_text(a, lead, sizeof lead);
            if (a->kind == DC_ALERT_ZONE)
                printf("%s  %-8s %-9s zone %s/%s%s%s\n", at, a->aircraft,
                       dc_alert_level_name(a->level), a->zone_owner, a->zone_id,
                       a->repetition ? " (repeated)" : "", lead);
            else
                printf("%s  %-8s %-9s separation with %s/%s: CPA %.0f m, %.0f m vertically%s\n", at,
                       a->aircraft, dc_alert_level_name(a->level), a->other_party,
                       a->other_aircraft, a->cpa_horizontal_m, a->cpa_vertical_m, lead);
        }
        /* printed or copied: the lists start again for the next report */
        alerts.count = 0;
        crossings.count = 0;
    }
    if (json) {
        json_t *counts = json_object();
        for (int v = 0; v < 7; v++)
            json_object_set_new(counts, dc_report_verdict_name((dc_report_verdict)v),
                                json_integer((json_int_t)verdicts[v]));
        json_t *doc = json_pack("{s:s,s:I,s:o,s:o,s:o,s:o}", "file", path, "reports",
                                (json_int_t)count, "verdicts", counts, "flagged", flagged,
                                "crossings", crossing_out, "alerts", alert_out);
        char *text =
            json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        puts(text);
        free(text);
        json_decref(doc);
    } else {
        json_decref(flagged);
        json_decref(alert_out);
        json_decref(crossing_out);
        printf("%zu %s: %zu accepted", DC_CLI_PLURAL(count, "report", "reports"),
               verdicts[DC_REPORT_ACCEPTED]);
        for (int v = 1; v < 7; v++)
            if (verdicts[v])
                printf(", %zu %s", verdicts[v], dc_report_verdict_name((dc_report_verdict)v));
        printf("\n");
    }
    dc_alert_list_clear(&alerts);
    dc_crossing_list_clear(&crossings);
    dc_free(reports);
    dc_monitor_free(m);
    return status;
}
