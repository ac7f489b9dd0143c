/* replay_report.h - what `deconflict replay` measured, as the drawing and the report see it */
#ifndef DECONFLICT_CLI_REPLAY_REPORT_H
#define DECONFLICT_CLI_REPLAY_REPORT_H

#include "deconflict/replay.h"

#include <stdio.h>

#define REPLAY_MAX 8

struct replay_run {
    size_t track_count, border_count;
    dc_replay_track tracks[REPLAY_MAX];
    dc_report *reports[REPLAY_MAX];
    size_t report_counts[REPLAY_MAX];
    dc_border borders[REPLAY_MAX];
    dc_replay_params params;
    dc_replay_result results[REPLAY_MAX * REPLAY_MAX]; /* track-major */
    char *json;                                        /* dc_replay_encode's document */
    char digest[DC_SHA256_HEX];
    char command[2048]; /* how to run it again, with the files' names */
};

static inline const dc_replay_result *replay_result(const struct replay_run *run, size_t t,
                                                    size_t b)
{
    return &run->results[t * run->border_count + b];
}

/* The tracks over every border's outline near them, with a key. Returns 0, or -1 if writing
 * failed. */
int dc__replay_svg(FILE *out, const struct replay_run *run);

/* One self-contained HTML page: the findings, the drawing, the uncertainty, the method, the inputs'
 * digests, the borders' sources and licences, the command to re-run and the result's digest.
 * Returns 0, or -1 if the file cannot be written. */
int dc__replay_report(const char *path, const struct replay_run *run);

/* "16.8 s" style helpers shared by the table and the report. */
void dc__replay_clock(dc_time_us t, char *buf, size_t size); /* hh:mm:ss.s */

#endif
