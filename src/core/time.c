/* time.c - RFC 3339 UTC instants <-> microseconds since the epoch */
#include "deconflict/time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int64_t days_from_civil(int64_t y, int m, int d)
{
    /* Proleptic Gregorian day count (Howard Hinnant's derivation). */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int read_digits(const char *s, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++) {
        if (!isdigit((unsigned char)s[*i]))
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

static dc_status bad(dc_error *err, size_t pos, const char *what)
{
    return dc_error_set(err, DC_INVALID, "time", pos,
                        "%s (expected RFC 3339 like 2015-11-24T09:24:00Z)", what);
}

dc_status dc_time_parse(const char *text, dc_time_us *out, dc_error *err)
{
    if (text == NULL || out == NULL)
        return bad(err, DC_NO_POSITION, "no time given");
    size_t i = 0;
    int y, mo, d, h, mi, s;
    if (read_digits(text, &i, 4, &y) || text[i++] != '-')
        return bad(err, 0, "malformed year");
    if (read_digits(text, &i, 2, &mo) || text[i++] != '-')
        return bad(err, 5, "malformed month");
    if (read_digits(text, &i, 2, &d) || (text[i] != 'T' && text[i] != 't'))
        return bad(err, 8, "malformed day or missing 'T'");
    i++;
    if (read_digits(text, &i, 2, &h) || text[i++] != ':')
        return bad(err, 11, "malformed hour");
    if (read_digits(text, &i, 2, &mi) || text[i++] != ':')
        return bad(err, 14, "malformed minute");
    if (read_digits(text, &i, 2, &s))
        return bad(err, 17, "malformed second");
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 59)
        return dc_error_set(err, DC_RANGE, "time", 0, "date or time field out of range in '%.40s'",
                            text);
    int64_t micro = 0;
    if (text[i] == '.') {
        i++;
        int digits = 0;
        while (isdigit((unsigned char)text[i])) {
            if (digits < 6)
                micro = micro * 10 + (text[i] - '0');
            else if (text[i] != '0')
                return bad(err, i, "precision finer than a microsecond");
            digits++;
            i++;
        }
        if (digits == 0)
            return bad(err, i, "empty fraction of a second");
        for (; digits < 6; digits++)
            micro *= 10;
    }
    int64_t offset_s = 0;
    if (text[i] == 'Z' || text[i] == 'z') {
        i++;
    } else if (text[i] == '+' || text[i] == '-') {
        int sign = text[i] == '-' ? -1 : 1;
        int oh, om;
        i++;
        if (read_digits(text, &i, 2, &oh) || text[i++] != ':' || read_digits(text, &i, 2, &om) ||
            oh > 23 || om > 59)
            return bad(err, i, "malformed UTC offset");
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return bad(err, i, "missing time zone (Z or an offset)");
    }
    if (text[i] != '\0')
        return bad(err, i, "trailing text after the time");
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset_s;
    dc_time_us t = secs * DC_US_PER_S + micro;
    if (!dc_time_in_range(t))
        return dc_error_set(err, DC_RANGE, "time", 0,
                            "'%.40s' is outside 1970-01-01T00:00:00Z .. "
                            "9999-12-31T23:59:59.999999Z once its offset is applied",
                            text);
    *out = t;
    return DC_OK;
}

int dc_time_in_range(dc_time_us t)
{
    return t >= DC_TIME_MIN_US && t <= DC_TIME_MAX_US;
}

dc_status dc_time_format(dc_time_us t, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return DC_RANGE;
    buf[0] = '\0'; /* a caller that ignores a failure still writes no stale bytes */
    if (!dc_time_in_range(t))
        return DC_RANGE;
    int64_t secs = t >= 0 ? t / DC_US_PER_S : -((-t + DC_US_PER_S - 1) / DC_US_PER_S);
    int64_t micro = t - secs * DC_US_PER_S;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int w;
    if (micro != 0)
        w = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (int)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)micro);
    else
        w = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(rem / 3600),
                     (int)(rem / 60 % 60), (int)(rem % 60));
    if (w < 0 || (size_t)w >= size) {
        buf[0] = '\0';
        return DC_RANGE;
    }
    return DC_OK;
}
