/* csv.c - recorded position reports from CSV (the columns of shared/data/tracks), converted to SI
 * at the edge */
#include "deconflict/monitor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FT_TO_M 0.3048
#define KT_TO_MPS (1852.0 / 3600.0)

static const char *const columns[] = {"time_utc", "icao24", "callsign",       "lat",
                                      "lon",      "alt_ft", "groundspeed_kt", "track_deg"};

static double number_or_nan(const char *cell, int *ok)
{
    if (cell[0] == '\0')
        return NAN;
    char *end = NULL;
    double v = strtod(cell, &end);
    if (end == cell || *end != '\0' || !isfinite(v))
        *ok = 0;
    return v;
}

/* The longest line read: a row of the format is under 200 bytes. */
#define LINE_MAX_BYTES 1024

/* The next line of `f` into `line` without its "\n" or "\r\n": 1, or 0 at the end, or -1 for a
 * line that cannot be read as the text it looks like (with *why set): longer than LINE_MAX_BYTES
 * (fgets would hand on its rest as a line of its own), holding a NUL (every string function would
 * stop there and drop the rest) or a carriage return anywhere but at its end (a header followed by
 * "\rjunk" would pass as the header). */
static int next_line(FILE *f, char line[LINE_MAX_BYTES + 2], const char **why)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n == LINE_MAX_BYTES + 1) {
            *why = "a line longer than 1024 bytes";
            return -1;
        }
        line[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return 0;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n > LINE_MAX_BYTES) {
        *why = "a line longer than 1024 bytes";
        return -1;
    }
    line[n] = '\0';
    if (memchr(line, '\0', n) != NULL) {
        *why = "a NUL byte";
        return -1;
    }
    if (memchr(line, '\r', n) != NULL) {
        *why = "a carriage return inside a line";
        return -1;
    }
    return 1;
}

/* The reports of an open CSV stream named `path` in messages; closes it. */
static dc_status read_csv(FILE *f, const char *path, const char *party, dc_report **out,
                          size_t *count, dc_error *err)
{
    char line[LINE_MAX_BYTES + 2];
    const char *why = NULL;
    dc_status rc = DC_OK;
    int got = next_line(f, line, &why);
    if (got == 0)
        rc = dc_error_set(err, DC_INVALID, "", 1, "%s is empty", path);
    else if (got < 0)
        rc = dc_error_set(err, DC_INVALID, "", 1, "%s line 1: %s", path, why);
    char expect[256] = "";
    for (size_t i = 0; i < 8; i++)
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s%s", i ? "," : "",
                 columns[i]);
    if (rc == DC_OK && strcmp(line, expect) != 0)
        rc = dc_error_set(err, DC_INVALID, "", 1, "%s: line 1 must be the header %s", path, expect);
    size_t cap = 0, n = 0;
    dc_report *reports = NULL;
    long lineno = 1;
    while (rc == DC_OK && (got = next_line(f, line, &why)) != 0) {
        lineno++;
        if (got < 0) {
            rc = dc_error_set(err, DC_INVALID, "", (size_t)lineno, "%s line %ld: %s", path, lineno,
                              why);
            break;
        }
        if (line[0] == '\0')
            continue;
        char *cells[8];
        int k = 0;
        char *p = line;
        for (; k < 8 && p != NULL; k++) {
            cells[k] = p;
            p = strchr(p, ',');
            if (p != NULL)
                *p++ = '\0';
        }
        if (k != 8 || p != NULL) {
            rc = dc_error_set(err, DC_INVALID, "", (size_t)lineno,
                              "%s line %ld: 8 columns expected", path, lineno);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            dc_report *grown = dc_realloc(reports, cap * sizeof *grown);
            if (grown == NULL) {
                rc = dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
                break;
            }
            reports = grown;
        }
        dc_report *r = &reports[n];
        memset(r, 0, sizeof *r);
        dc_copy_text(r->party, sizeof r->party, party);
        dc_copy_text(r->aircraft, sizeof r->aircraft, cells[1][0] ? cells[1] : cells[2]);
        dc_copy_text(r->callsign, sizeof r->callsign, cells[2]);
        int ok = dc_time_parse(cells[0], &r->time, NULL) == DC_OK;
        r->position.lat = number_or_nan(cells[3], &ok);
        r->position.lon = number_or_nan(cells[4], &ok);
        r->altitude_m = number_or_nan(cells[5], &ok) * FT_TO_M;
        r->ground_speed_mps = number_or_nan(cells[6], &ok) * KT_TO_MPS;
        r->track_deg = number_or_nan(cells[7], &ok);
        r->vertical_rate_mps = NAN;
        if (!ok) {
            rc = dc_error_set(err, DC_INVALID, "", (size_t)lineno, "%s line %ld: a malformed value",
                              path, lineno);
            break;
        }
        n++;
    }
    fclose(f);
    if (rc != DC_OK) {
        dc_free(reports);
        return rc;
    }
    *out = reports;
    *count = n;
    return DC_OK;
}

dc_status dc_tracks_csv_read(const char *path, const char *party, dc_report **out, size_t *count,
                             dc_error *err)
{
    *out = NULL;
    *count = 0;
    /* "-" is standard input, read through a stream of its own (read_csv closes what it reads) */
    int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : -1;
    FILE *f = fd >= 0 ? fdopen(fd, "r") : strcmp(path, "-") == 0 ? NULL : fopen(path, "r");
    if (f == NULL && fd >= 0)
        close(fd);
    if (f == NULL)
        return dc_error_set(err, DC_NOT_FOUND, "", DC_NO_POSITION, "cannot read %s", path);
    return read_csv(f, path, party, out, count, err);
}

dc_status dc_tracks_csv_parse(const char *text, size_t length, const char *name, const char *party,
                              dc_report **out, size_t *count, dc_error *err)
{
    *out = NULL;
    *count = 0;
    if (length == 0)
        return dc_error_set(err, DC_INVALID, "", 1, "%s is empty", name);
    /* the text read as the file would be: one parser, one set of messages */
    FILE *f = fmemopen((void *)text, length, "r");
    if (f == NULL)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "out of memory");
    return read_csv(f, name, party, out, count, err);
}

/* A stable order by time: position in the file breaks ties, so one aircraft's reports of one
 * second keep their order and a file ordered aircraft by aircraft reads as its sorted copy. */
struct timed {
    dc_time_us time;
    size_t at;
};

static int by_time(const void *a, const void *b)
{
    const struct timed *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

dc_status dc_reports_sort_by_time(dc_report *reports, size_t count)
{
    if (count < 2)
        return DC_OK;
    struct timed *keys = dc_calloc(count, sizeof *keys);
    dc_report *copy = dc_calloc(count, sizeof *copy);
    if (keys == NULL || copy == NULL) {
        dc_free(keys);
        dc_free(copy);
        return DC_NOMEM;
    }
    for (size_t i = 0; i < count; i++)
        keys[i] = (struct timed){reports[i].time, i};
    qsort(keys, count, sizeof *keys, by_time);
    for (size_t i = 0; i < count; i++)
        copy[i] = reports[keys[i].at];
    memcpy(reports, copy, count * sizeof *copy);
    dc_free(keys);
    dc_free(copy);
    return DC_OK;
}
