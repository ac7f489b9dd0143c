/* fuzz_time.c - libFuzzer target: the RFC 3339 parser (dc_time_parse) never crashes; what it
 * accepts is in range, formats back to the same instant, and agrees with the C library's timegm
 * on the fields it read */
#define _GNU_SOURCE /* timegm */
#include "deconflict/time.h"
#include "fuzz_common.h"

#include <time.h>

/* The instant the text names, computed apart from the parser: the fields are where RFC 3339 puts
 * them (the parser accepted it), timegm does the calendar. */
static dc_time_us instant_of(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = atoi(text) - 1900;
    tm.tm_mon = atoi(text + 5) - 1;
    tm.tm_mday = atoi(text + 8);
    tm.tm_hour = atoi(text + 11);
    tm.tm_min = atoi(text + 14);
    tm.tm_sec = atoi(text + 17);
    int64_t secs = (int64_t)timegm(&tm);
    const char *p = text + 19;
    int64_t micro = 0, scale = 100000;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            micro += scale > 0 ? (*p - '0') * scale : 0;
    if (*p == '+' || *p == '-') {
        int64_t offset = atoi(p + 1) * 3600 + atoi(p + 4) * 60;
        secs -= *p == '-' ? -offset : offset;
    }
    return secs * DC_US_PER_S + micro;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char *text = fuzz_text(data, size);
    if (text == NULL)
        return 0;
    dc_time_us t = -1, before = -1;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc = dc_time_parse(text, &t, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        FUZZ_CHECK(rc == DC_INVALID || rc == DC_RANGE);
        FUZZ_CHECK(t == before); /* *out untouched */
        free(text);
        return 0;
    }
    FUZZ_CHECK(dc_time_in_range(t));
    FUZZ_CHECK(instant_of(text) == t);
    char out[32];
    FUZZ_CHECK(dc_time_format(t, out, sizeof out) == DC_OK);
    dc_time_us again = -1;
    FUZZ_CHECK(dc_time_parse(out, &again, &err) == DC_OK);
    FUZZ_CHECK(again == t);
    /* The canonical form is a fixed point. */
    char twice[32];
    FUZZ_CHECK(dc_time_format(again, twice, sizeof twice) == DC_OK && strcmp(out, twice) == 0);
    free(text);
    return 0;
}
