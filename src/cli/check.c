/* check.c - `deconflict check FILE`: submit a scenario's objects in order, offline, and report
 * every conflict */
#include "cli.h"
#include "deconflict/scenario.h"
#include "deconflict/volume_json.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict check [--json] [--own] FILE.geojson|-\n"
    "\n"
    "Submits the scenario's objects in file order, as a server would: each\n"
    "intent or hazard is checked against the zones and the objects accepted\n"
    "before it; accepted ones are kept, refused ones reported. Prints every\n"
    "conflict: the two objects and owners, who yields and why, and the\n"
    "overlap's window and altitudes. The file format is in docs/SCENARIOS.md;\n"
    "- reads it from standard input.\n"
    "\n"
    "  --json   one JSON document (conflicts with their overlap as GeoJSON)\n"
    "  --own    also report conflicts between a party's own objects\n"
    "\n"
    "Exit status: 0 all accepted, 1 something refused, 2 unreadable input.\n";

static void overlap_box(const dc_conflict *c, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < c->overlap.part_count; k++) {
        *lo = fmin(*lo, c->overlap.parts[k].altitude_lower);
        *hi = fmax(*hi, c->overlap.parts[k].altitude_upper);
    }
}

static void print_conflict(const dc_object *o, const dc_conflict *c, json_t *list)
{
    char t0[32], t1[32];
    if (dc_time_format(c->time_start, t0, sizeof t0) != DC_OK)
        snprintf(t0, sizeof t0, "?"); /* cannot happen for parsed times; never stale bytes */
    if (dc_time_format(c->time_end, t1, sizeof t1) != DC_OK)
        snprintf(t1, sizeof t1, "?");
    double lo, hi;
    overlap_box(c, &lo, &hi);
    if (list != NULL) {
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:o}", "object", o->id,
                      "owner", o->owner, "kind", dc_kind_name(o->kind), "other", c->other->id,
                      "other_owner", c->other->owner, "other_kind", dc_kind_name(c->other->kind),
                      "resolution", dc_resolution_name(c->resolution), "reason",
                      dc_reason_name(c->reason), "time_start", t0, "time_end", t1, "altitude_lower",
                      lo, "altitude_upper", hi, "overlap", dc_overlap_geojson(&c->overlap)));
        return;
    }
    printf("  %-18s %-10s x %-18s %-10s %-14s %-16s %s..%s  %.0f..%.0f m\n", o->id, o->owner,
           c->other->id, c->other->owner, dc_resolution_name(c->resolution),
           dc_reason_name(c->reason), t0, t1, lo, hi);
}

int dc_cli_check(int argc, char **argv)
{
    int json = 0, own = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--own") == 0) {
            own = 1;
        } else if ((argv[i][0] == '-' && argv[i][1] != '\0') || path != NULL) {
            fprintf(stderr, "deconflict check: unexpected '%s'\n%s", argv[i], help);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fputs(help, stderr);
        return 2;
    }
    dc_geom *geom = NULL;
    dc_index *index = NULL;
    dc_scenario scenario;
    dc_error err;
    if (dc_geom_new(&geom) != DC_OK || dc_index_new(NULL, &index) != DC_OK) {
        fprintf(stderr, "deconflict check: out of memory\n");
        return 2;
    }
    char *input = NULL, why[256];
    size_t length = 0;
    if (dc_cli_read_input(path, &input, &length, why, sizeof why) != 0 ||
        dc_scenario_parse(geom, input, length, &scenario, &err) != DC_OK) {
        if (input == NULL)
            fprintf(stderr, "deconflict check: %s\n", why);
        else
            fprintf(stderr, "deconflict check: %s: %s: %s\n", dc_cli_input_name(path),
                    dc_status_name(err.status), err.message);
        free(input);
        dc_index_free(index);
        dc_geom_free(geom);
        return 2;
    }
    free(input);
    const dc_object **candidates = dc_calloc(scenario.object_count + 1, sizeof *candidates);
    dc_id_list scratch = {0}, numbers = {0};
    json_t *conflicts = json ? json_array() : NULL, *refused_ids = json ? json_array() : NULL;
    size_t refused = 0, accepted = 0, shown = 0;
    int status = 0;
    dc_check_options options = {own, 0, NULL};
    if (!json)
        printf("%s%s%zu %s\n", scenario.title ? scenario.title : "", scenario.title ? ": " : "",
               DC_CLI_PLURAL(scenario.object_count, "object", "objects"));
    for (size_t i = 0; i < scenario.object_count && status == 0; i++) {
        const dc_object *o = &scenario.objects[i];
        if (o->kind != DC_KIND_ZONE && o->state != DC_STATE_ACCEPTED &&
            o->state != DC_STATE_ACTIVATED && o->state != DC_STATE_NONCONFORMING)
            continue; /* not in force: nothing to check or keep */
        if (dc_index_candidate_objects(index, o, &scratch, &numbers) != DC_OK) {
            status = 2;
            break;
        }
        for (size_t k = 0; k < numbers.count; k++)
            candidates[k] = &scenario.objects[numbers.ids[k]];
        dc_check_result r;
        if (dc_engine_check(geom, o, &options, candidates, numbers.count, &r, &err) != DC_OK) {
            fprintf(stderr, "deconflict check: %s: %s\n", o->id, err.message);
            status = 2;
            break;
        }
        for (size_t k = 0; k < r.conflict_count; k++, shown++)
            print_conflict(o, &r.conflicts[k], conflicts);
        if (r.accepted) {
            accepted++;
            if (dc_index_add_object(index, i, o) != DC_OK)
                status = 2;
        } else {
            refused++;
            if (json)
                json_array_append_new(refused_ids, json_string(o->id));
            else
                printf("  -> %s (%s, %s) refused\n", o->id, dc_kind_name(o->kind), o->owner);
        }
        dc_check_result_clear(&r);
    }
    if (status == 0 && json) {
        json_t *doc = json_pack("{s:s?,s:I,s:I,s:o,s:o}", "scenario", scenario.title, "objects",
                                (json_int_t)scenario.object_count, "accepted", (json_int_t)accepted,
                                "refused", refused_ids, "conflicts", conflicts);
        char *text =
            json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        puts(text);
        free(text);
        json_decref(doc);
    } else {
        json_decref(conflicts);
        json_decref(refused_ids);
        if (status == 0)
            printf("%zu %s; %zu accepted, %zu refused\n",
                   DC_CLI_PLURAL(shown, "conflict", "conflicts"), accepted, refused);
    }
    if (status == 0 && refused > 0)
        status = 1;
    dc_free(candidates);
    dc_id_list_clear(&scratch);
    dc_id_list_clear(&numbers);
    dc_scenario_free(&scenario);
    dc_index_free(index);
    dc_geom_free(geom);
    return status;
}
