/* coord.c - `deconflict coord`: detect, convert and read back coordinates */
#include "cli.h"
#include "deconflict/geo.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: deconflict coord [--to FORMAT] [--json] [TEXT... | -]\n"
    "\n"
    "Reads one WGS84 coordinate in any notation below and prints what was\n"
    "recognised and every equivalent form. Arguments are joined with spaces.\n"
    "With no TEXT, or -, reads one coordinate per line from standard input and\n"
    "writes one result per line; errors go to standard error with the line\n"
    "number, and the exit status is 1 if any line was refused.\n"
    "\n"
    "  --to FORMAT   print only this form: dd, dm, dms, mgrs, mgrs0..mgrs5, utm\n"
    "  --json        one JSON document: an object for TEXT, an array (one object a line,\n"
    "                with \"line\") for standard input; a refused one has \"error\"\n"
    "\n"
    "Notations (latitude first unless hemisphere letters say otherwise):\n"
    "  decimal degrees      33.3, 44.4    -33.3 44.4    33.3N 44.4E    N33.3 E44.4\n"
    "                       A pair without letters is latitude, longitude; one\n"
    "                       whose first number exceeds 90 is refused as ambiguous.\n"
    "  degrees, minutes     33 18.5 N 44 24.25 E      33\xC2\xB0"
    "18.5'N 44\xC2\xB0"
    "24.25'E\n"
    "  deg, min, seconds    33\xC2\xB0"
    "18'30\"N 44\xC2\xB0"
    "24'15\"E    33d18m30sN 44d24m15sE\n"
    "                       33:18:30N 44:24:15E       N33 18 30 E44 24 15\n"
    "                       These need N/S/E/W letters; minutes and seconds are below 60.\n"
    "  MGRS                 38SMB4414084706   38S MB 44140 84706   38SMB48\n"
    "                       0 to 5 digit pairs: 100 km, 10 km, 1 km, 100 m, 10 m, 1 m;\n"
    "                       the point is the centre of the square, whose size is shown.\n"
    "  UTM                  38N 444141 3684706  (zone, N or S hemisphere, easting,\n"
    "                       northing in metres). A latitude band letter is accepted\n"
    "                       (38S read as band S is refused as ambiguous when the\n"
    "                       northing fits band S: write 38N).\n"
    "\n"
    "MGRS and UTM cover 80S..84N. Polar UPS grids are not supported: give\n"
    "polar points in degrees. WGS84 only.\n";

struct format_choice {
    int all;
    dc_coord_style style;
};

static int parse_format(const char *name, struct format_choice *out)
{
    out->all = 0;
    if (strcmp(name, "dd") == 0)
        out->style = dc_coord_style_default(DC_NOTATION_DD);
    else if (strcmp(name, "dm") == 0)
        out->style = dc_coord_style_default(DC_NOTATION_DM);
    else if (strcmp(name, "dms") == 0)
        out->style = dc_coord_style_default(DC_NOTATION_DMS);
    else if (strcmp(name, "utm") == 0)
        out->style = dc_coord_style_default(DC_NOTATION_UTM);
    else if (strncmp(name, "mgrs", 4) == 0 &&
             (name[4] == '\0' || (name[4] >= '0' && name[4] <= '5' && name[5] == '\0'))) {
        out->style = dc_coord_style_default(DC_NOTATION_MGRS);
        if (name[4] != '\0')
            out->style.mgrs_digits = name[4] - '0';
    } else
        return -1;
    return 0;
}

static void report_error(const char *where, const char *text, const dc_error *err)
{
    fprintf(stderr, "%s%s: %s\n", where, dc_status_name(err->status), err->message);
    if (err->position != DC_NO_POSITION && where[0] == '\0') {
        fprintf(stderr, "  %s\n  %*s^\n", text, (int)err->position, "");
    }
}

static void print_all(const char *text, dc_point p, const dc_coord_info *info)
{
    static const dc_notation order[] = {DC_NOTATION_DD, DC_NOTATION_DM, DC_NOTATION_DMS,
                                        DC_NOTATION_MGRS, DC_NOTATION_UTM};
    printf("input     %s\n", text);
    printf("notation  %s", dc_notation_name(info->notation));
    if (info->notation == DC_NOTATION_MGRS)
        printf(" (the centre of a %.0f m square)", info->cell_m);
    printf("\n");
    dc_readback rb;
    if (dc_coord_readback_of(p, info, &rb, NULL) == DC_OK)
        printf("readback  %s\n", rb.own);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        dc_coord_style style = dc_coord_style_default(order[i]);
        char buf[DC_COORD_TEXT_MAX];
        dc_error err;
        if (dc_coord_format(p, &style, buf, sizeof buf, &err) == DC_OK)
            printf("%-9s %s\n", dc_notation_name(order[i]), buf);
        else
            printf("%-9s (%s)\n", dc_notation_name(order[i]), err.message);
    }
}

/* The result as JSON: every form (or the one asked for), or the error. */
static json_t *convert_json(const char *text, const struct format_choice *fmt)
{
    static const dc_notation order[] = {DC_NOTATION_DD, DC_NOTATION_DM, DC_NOTATION_DMS,
                                        DC_NOTATION_MGRS, DC_NOTATION_UTM};
    dc_point p;
    dc_coord_info info;
    dc_error err;
    json_t *out = json_pack("{s:s}", "input", text);
    if (dc_coord_parse(text, &p, &info, &err) != DC_OK) {
        json_t *e =
            json_pack("{s:s,s:s}", "status", dc_status_name(err.status), "message", err.message);
        if (err.position != DC_NO_POSITION)
            json_object_set_new(e, "column", json_integer((json_int_t)err.position + 1));
        json_object_set_new(out, "error", e);
        return out;
    }
    json_object_set_new(out, "notation", json_string(dc_notation_name(info.notation)));
    if (info.notation == DC_NOTATION_MGRS)
        json_object_set_new(out, "cell_m", json_real(info.cell_m));
    json_object_set_new(out, "lat", json_real(p.lat));
    json_object_set_new(out, "lon", json_real(p.lon));
    dc_readback rb;
    if (dc_coord_readback_of(p, &info, &rb, NULL) == DC_OK)
        json_object_set_new(out, "readback", json_string(rb.own));
    json_t *forms = json_object();
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        dc_coord_style style = fmt->all ? dc_coord_style_default(order[i]) : fmt->style;
        char buf[DC_COORD_TEXT_MAX];
        if (!fmt->all && style.notation != order[i])
            continue;
        json_object_set_new(forms, dc_notation_name(order[i]),
                            dc_coord_format(p, &style, buf, sizeof buf, &err) == DC_OK
                                ? json_string(buf)
                                : json_pack("{s:s}", "error", err.message));
    }
    json_object_set_new(out, "forms", forms);
    return out;
}

static void print_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(doc);
}

/* Convert one text; returns 0 or 1. */
static int convert(const char *text, const struct format_choice *fmt, const char *where)
{
    dc_point p;
    dc_coord_info info;
    dc_error err;
    if (dc_coord_parse(text, &p, &info, &err) != DC_OK) {
        report_error(where, text, &err);
        return 1;
    }
    if (fmt->all) {
        print_all(text, p, &info);
        return 0;
    }
    char buf[DC_COORD_TEXT_MAX];
    if (dc_coord_format(p, &fmt->style, buf, sizeof buf, &err) != DC_OK) {
        report_error(where, text, &err);
        return 1;
    }
    printf("%s\n", buf);
    return 0;
}

/* Standard input with --json: one array, an object a line; errors also on standard error. */
static int batch_json(const struct format_choice *fmt)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int failed = 0;
    json_t *all = json_array();
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        json_t *one = json_pack("{s:I}", "line", (json_int_t)lineno),
               *result = convert_json(line, fmt);
        json_object_update(one, result);
        json_decref(result);
        json_t *e = json_object_get(one, "error");
        if (e != NULL) {
            failed = 1;
            fprintf(stderr, "line %ld: %s: %s\n", lineno,
                    json_string_value(json_object_get(e, "status")),
                    json_string_value(json_object_get(e, "message")));
        }
        json_array_append_new(all, one);
    }
    free(line);
    print_json(all);
    return failed;
}

int dc_cli_coord(int argc, char **argv)
{
    struct format_choice fmt = {1, dc_coord_style_default(DC_NOTATION_DD)};
    int first = 1, json = 0;
    while (first < argc && argv[first][0] == '-' && argv[first][1] == '-') {
        if (strcmp(argv[first], "--help") == 0) {
            fputs(help, stdout);
            return 0;
        }
        if (strcmp(argv[first], "--json") == 0) {
            json = 1;
            first++;
            continue;
        }
        if (strcmp(argv[first], "--to") == 0 && first + 1 < argc) {
            if (parse_format(argv[first + 1], &fmt) != 0) {
                fprintf(stderr, "deconflict coord: unknown format '%s'\n", argv[first + 1]);
                return 2;
            }
            first += 2;
            continue;
        }
        if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        }
        fprintf(stderr, "deconflict coord: unknown option '%s'\n%s", argv[first], help);
        return 2;
    }
    if (first + 1 == argc && strcmp(argv[first], "-") == 0)
        first = argc; /* "-": standard input, as with no TEXT */
    if (first < argc) {
        char text[512];
        size_t used = 0;
        text[0] = '\0';
        for (int i = first; i < argc; i++) {
            int w =
                snprintf(text + used, sizeof text - used, "%s%s", i > first ? " " : "", argv[i]);
            if (w < 0 || (size_t)w >= sizeof text - used) {
                fprintf(stderr, "deconflict coord: coordinate text too long\n");
                return 1;
            }
            used += (size_t)w;
        }
        if (json) {
            json_t *doc = convert_json(text, &fmt);
            json_t *e = json_object_get(doc, "error");
            if (e != NULL)
                fprintf(stderr, "%s: %s\n", json_string_value(json_object_get(e, "status")),
                        json_string_value(json_object_get(e, "message")));
            int refused = e != NULL;
            print_json(doc);
            return refused;
        }
        return convert(text, &fmt, "");
    }
    if (json)
        return batch_json(&fmt);
    /* One coordinate per line; in this mode a result is one line. */
    if (fmt.all)
        fmt.all = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int failed = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char where[48];
        snprintf(where, sizeof where, "line %ld: ", lineno);
        if (convert(line, &fmt, where) != 0) {
            failed = 1;
            printf("\n"); /* keep output lines aligned with input lines */
        }
    }
    free(line);
    fflush(stdout);
    return failed;
}
