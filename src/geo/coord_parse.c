/* coord_parse.c - read a coordinate in any accepted notation, refusing anything that could be
 * misread */
#include "geo_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The text is first classified by shape: MGRS (zone, band, square letters,
 * digits), UTM (zone+letter, easting, northing), else degrees. Degrees are
 * lexed into numbers, unit marks, hemisphere letters and separators, split
 * into two components, and each component read as D, D M or D M S.
 * Every refusal names the problem and where in the text it was found. */

#define MAX_TOKENS 32
#define COORD_TEXT_LIMIT 256

enum token_kind { T_NUMBER, T_DEG, T_MIN, T_SEC, T_COLON, T_HEMI, T_SEP };

struct token {
    enum token_kind kind;
    size_t pos;
    double value;     /* T_NUMBER */
    int has_fraction; /* T_NUMBER */
    int has_sign;     /* T_NUMBER: explicit + or - */
    int negative;     /* T_NUMBER */
    char hemi;        /* T_HEMI: N S E W */
};

static dc_status fail(dc_error *err, dc_status status, const char *field, size_t pos,
                      const char *what)
{
    return dc_error_set(err, status, field, pos, "%s", what);
}

/* Unit marks in UTF-8: degree, masculine ordinal (often typed for degree),
 * prime, double prime, and the curly quotes word processors substitute. */
static size_t match_mark(const char *s, enum token_kind *kind)
{
    static const struct {
        const char *text;
        enum token_kind kind;
    } marks[] = {
        {"\xC2\xB0", T_DEG},     {"\xC2\xBA", T_DEG},
        {"\xE2\x80\xB2", T_MIN}, {"\xE2\x80\x99", T_MIN},
        {"\xE2\x80\xB3", T_SEC}, {"\xE2\x80\x9D", T_SEC},
        {"''", T_SEC},           {"'", T_MIN},
        {"\"", T_SEC},           {":", T_COLON},
    };
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
        size_t len = strlen(marks[k].text);
        if (strncmp(s, marks[k].text, len) == 0) {
            *kind = marks[k].kind;
            return len;
        }
    }
    return 0;
}

static dc_status lex(const char *text, struct token *tokens, size_t *count, dc_error *err)
{
    size_t n = 0, i = 0;
    while (text[i] != '\0') {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\t') {
            i++;
            continue;
        }
        if (n == MAX_TOKENS)
            return fail(err, DC_INVALID, "coordinate", i, "too many parts in the coordinate");
        struct token *t = &tokens[n];
        memset(t, 0, sizeof *t);
        t->pos = i;
        enum token_kind mark;
        size_t mark_len = match_mark(text + i, &mark);
        if (isdigit(c) || ((c == '-' || c == '+') && isdigit((unsigned char)text[i + 1])) ||
            (c == '.' && isdigit((unsigned char)text[i + 1]))) {
            t->kind = T_NUMBER;
            t->has_sign = c == '-' || c == '+';
            t->negative = c == '-';
            if (t->has_sign)
                i++;
            double v = 0;
            size_t int_digits = 0;
            while (isdigit((unsigned char)text[i])) {
                v = v * 10 + (text[i++] - '0');
                if (++int_digits > 12)
                    return fail(err, DC_RANGE, "coordinate", t->pos, "number has too many digits");
            }
            if (text[i] == '.') {
                i++;
                t->has_fraction = 1;
                if (!isdigit((unsigned char)text[i]))
                    return fail(err, DC_INVALID, "coordinate", i,
                                "a decimal point must be followed by digits");
                double scale = 0.1;
                size_t frac_digits = 0;
                while (isdigit((unsigned char)text[i])) {
                    if (++frac_digits <= 15)
                        v += (text[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
            }
            if (text[i] == '.')
                return fail(err, DC_INVALID, "coordinate", i, "a number has two decimal points");
            if (text[i] == 'e' || text[i] == 'E') {
                if (isdigit((unsigned char)text[i + 1]) || text[i + 1] == '-' || text[i + 1] == '+')
                    return fail(err, DC_INVALID, "coordinate", i,
                                "exponent notation is not accepted in coordinates");
            }
            t->value = v;
        } else if (mark_len > 0) {
            t->kind = mark;
            i += mark_len;
        } else if (c == ',' || c == ';' || c == '/') {
            t->kind = T_SEP;
            i++;
        } else if (isalpha(c)) {
            size_t word = i;
            while (isalpha((unsigned char)text[word]))
                word++;
            size_t wlen = word - i;
            if ((wlen == 3 && strncasecmp(text + i, "nan", 3) == 0) ||
                (wlen == 3 && strncasecmp(text + i, "inf", 3) == 0) ||
                (wlen == 8 && strncasecmp(text + i, "infinity", 8) == 0))
                return fail(err, DC_INVALID, "coordinate", i,
                            "NaN and infinity are not coordinates");
            char u = (char)toupper(c);
            int after_number = n > 0 && tokens[n - 1].kind == T_NUMBER &&
                               tokens[n - 1].pos + 1 <= i && !isspace((unsigned char)text[i - 1]);
            /* d, m and s as unit letters (33d18m00s): lower-case d and m are
             * never hemispheres; lower-case s is seconds only straight after
             * a number that follows an m-marked minute. */
            if (c == 'd' && after_number) {
                t->kind = T_DEG;
            } else if (c == 'm' && after_number) {
                t->kind = T_MIN;
            } else if (c == 's' && after_number && n >= 2 && tokens[n - 2].kind == T_MIN) {
                t->kind = T_SEC;
            } else if ((u == 'N' || u == 'S' || u == 'E' || u == 'W') &&
                       !isalpha((unsigned char)text[i + 1])) {
                t->kind = T_HEMI;
                t->hemi = u;
            } else {
                return dc_error_set(err, DC_INVALID, "coordinate", i, "unexpected '%.*s'",
                                    (int)(wlen > 12 ? 12 : wlen), text + i);
            }
            i++;
        } else {
            return dc_error_set(err, DC_INVALID, "coordinate", i, "unexpected character '%c'",
                                isprint(c) ? c : '?');
        }
        n++;
    }
    *count = n;
    return DC_OK;
}

struct component {
    double value; /* degrees, signed */
    int numbers;  /* 1 = D, 2 = D M, 3 = D M S */
    char hemi;    /* 0 or N S E W */
    size_t pos;   /* first token */
};

/* Read tokens [from, to) (hemisphere letters excluded) as D, D M or D M S. */
static dc_status read_component(const struct token *t, size_t from, size_t to, char hemi,
                                const char *axis_name, struct component *out, dc_error *err)
{
    const struct token *numbers[3];
    int count = 0, colons = 0, marks = 0;
    size_t pos = from < to ? t[from].pos : 0;
    if (from >= to)
        return dc_error_set(err, DC_INVALID, axis_name, hemi ? 0 : 0, "%s has no number",
                            axis_name);
    for (size_t k = from; k < to; k++) {
        switch (t[k].kind) {
        case T_NUMBER:
            if (count == 3)
                return fail(err, DC_INVALID, axis_name, t[k].pos,
                            "more than degrees, minutes and seconds in one component");
            if (k > from && t[k - 1].kind == T_NUMBER && colons > 0)
                return fail(err, DC_INVALID, axis_name, t[k].pos, "mixed ':' and space separators");
            numbers[count++] = &t[k];
            break;
        case T_DEG:
        case T_MIN:
        case T_SEC: {
            int expected = t[k].kind == T_DEG ? 1 : t[k].kind == T_MIN ? 2 : 3;
            if (k == from || t[k - 1].kind != T_NUMBER)
                return fail(err, DC_INVALID, axis_name, t[k].pos, "unit mark without a number");
            if (colons > 0)
                return fail(err, DC_INVALID, axis_name, t[k].pos, "mixed ':' and unit marks");
            if (expected != count)
                return fail(err, DC_INVALID, axis_name, t[k].pos,
                            expected == 1 ? "degree mark out of place"
                            : expected == 2
                                ? "minute mark out of place (minutes must follow degrees)"
                                : "second mark out of place (seconds must follow minutes)");
            marks++;
            break;
        }
        case T_COLON:
            if (k == from || t[k - 1].kind != T_NUMBER || k + 1 >= to || t[k + 1].kind != T_NUMBER)
                return fail(err, DC_INVALID, axis_name, t[k].pos,
                            "':' must stand between two numbers");
            if (marks > 0)
                return fail(err, DC_INVALID, axis_name, t[k].pos, "mixed ':' and unit marks");
            if (count > 1 && colons == 0)
                return fail(err, DC_INVALID, axis_name, t[k].pos, "mixed ':' and space separators");
            colons++;
            break;
        default:
            return fail(err, DC_INVALID, axis_name, t[k].pos,
                        "unexpected separator inside a component");
        }
    }
    if (count == 0)
        return fail(err, DC_INVALID, axis_name, pos, "component has no number");
    for (int k = 0; k < count; k++) {
        if (k > 0 && numbers[k]->has_sign)
            return fail(err, DC_INVALID, axis_name, numbers[k]->pos,
                        "only degrees may carry a sign");
        if (k + 1 < count && numbers[k]->has_fraction)
            return fail(err, DC_INVALID, axis_name, numbers[k]->pos,
                        "only the last number of a component may have a fraction");
    }
    if (hemi && numbers[0]->has_sign)
        return fail(err, DC_INVALID, axis_name, numbers[0]->pos,
                    "a sign and a hemisphere letter on the same value");
    if (count >= 2 && numbers[1]->value >= 60.0)
        return fail(err, DC_RANGE, axis_name, numbers[1]->pos, "minutes must be below 60");
    if (count == 3 && numbers[2]->value >= 60.0)
        return fail(err, DC_RANGE, axis_name, numbers[2]->pos, "seconds must be below 60");
    double v = numbers[0]->value;
    if (count >= 2)
        v += numbers[1]->value / 60.0;
    if (count == 3)
        v += numbers[2]->value / 3600.0;
    if (numbers[0]->negative || hemi == 'S' || hemi == 'W')
        v = -v;
    out->value = v;
    out->numbers = count;
    out->hemi = hemi;
    out->pos = pos;
    return DC_OK;
}

static int is_lat_letter(char h)
{
    return h == 'N' || h == 'S';
}

/* Bare numbers: only "lat lon" in decimal degrees can stand without letters. The token where
 * the second number starts into *second. */
static dc_status split_bare(const struct token *t, size_t n, size_t *second, dc_error *err)
{
    size_t numbers = 0;
    for (size_t k = 0; k < n; k++)
        if (t[k].kind == T_NUMBER && ++numbers == 2)
            *second = k;
    if (numbers < 2)
        return fail(err, DC_INVALID, "coordinate", 0,
                    "a coordinate needs both latitude and longitude");
    if (numbers > 2)
        return fail(err, DC_AMBIGUOUS, "coordinate", 0,
                    "more than two numbers without N/S/E/W letters: degrees-"
                    "minutes(-seconds) cannot be told apart; add hemisphere letters");
    return DC_OK;
}

/* How a point in degrees was written: its notation by the numbers of a component. */
static void degrees_info(int numbers, dc_hemisphere_style style, int lon_first, dc_coord_info *info)
{
    memset(info, 0, sizeof *info);
    info->notation = numbers == 1   ? DC_NOTATION_DD
                     : numbers == 2 ? DC_NOTATION_DM
                                    : DC_NOTATION_DMS;
    info->hemisphere_style = style;
    info->lon_first = lon_first;
}

static dc_status parse_degrees(const char *text, dc_point *out, dc_coord_info *info, dc_error *err)
{
    struct token t[MAX_TOKENS];
    size_t n = 0;
    dc_status rc = lex(text, t, &n, err);
    if (rc != DC_OK)
        return rc;
    if (n == 0)
        return fail(err, DC_INVALID, "coordinate", 0, "empty coordinate");

    size_t seps = 0, sep_at = 0, hemis = 0, hemi_at[3] = {0};
    for (size_t k = 0; k < n; k++) {
        if (t[k].kind == T_SEP) {
            if (++seps > 1)
                return fail(err, DC_INVALID, "coordinate", t[k].pos,
                            "more than one separator between latitude and longitude");
            sep_at = k;
        } else if (t[k].kind == T_HEMI) {
            if (hemis == 2)
                return fail(err, DC_INVALID, "coordinate", t[k].pos,
                            "more than two hemisphere letters");
            hemi_at[hemis++] = k;
        }
    }

    /* Split into two components [a0,a1) and [b0,b1), letters excluded. */
    size_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    char ha = 0, hb = 0;
    dc_hemisphere_style style = DC_HEMISPHERE_SIGNED;
    if (hemis == 1)
        return fail(err, DC_AMBIGUOUS, "coordinate", t[hemi_at[0]].pos,
                    "a hemisphere letter on one component but not the other");
    if (hemis == 2) {
        if (hemi_at[0] == 0) { /* prefix: N33 18 E44 24 */
            style = DC_HEMISPHERE_PREFIX;
            ha = t[0].hemi;
            hb = t[hemi_at[1]].hemi;
            a0 = 1;
            a1 = hemi_at[1];
            b0 = hemi_at[1] + 1;
            b1 = n;
            if (seps && sep_at + 1 == hemi_at[1])
                a1 = sep_at;
            else if (seps)
                return fail(err, DC_INVALID, "coordinate", t[sep_at].pos, "separator out of place");
        } else { /* suffix: 33 18 N 44 24 E */
            style = DC_HEMISPHERE_SUFFIX;
            ha = t[hemi_at[0]].hemi;
            hb = t[hemi_at[1]].hemi;
            a0 = 0;
            a1 = hemi_at[0];
            b0 = hemi_at[0] + 1;
            b1 = hemi_at[1];
            if (seps && sep_at == hemi_at[0] + 1)
                b0 = sep_at + 1;
            else if (seps)
                return fail(err, DC_INVALID, "coordinate", t[sep_at].pos, "separator out of place");
            if (hemi_at[1] + 1 != n)
                return fail(err, DC_INVALID, "coordinate", t[hemi_at[1] + 1].pos,
                            "trailing text after the coordinate");
        }
        if (is_lat_letter(ha) == is_lat_letter(hb))
            return fail(err, DC_INVALID, "coordinate", t[hemi_at[1]].pos,
                        is_lat_letter(ha)
                            ? "mixed hemispheres: both components are latitude (N/S)"
                            : "mixed hemispheres: both components are longitude (E/W)");
    } else if (seps) {
        a0 = 0;
        a1 = sep_at;
        b0 = sep_at + 1;
        b1 = n;
    } else {
        size_t second = 0;
        rc = split_bare(t, n, &second, err);
        if (rc != DC_OK)
            return rc;
        a0 = 0;
        a1 = second;
        b0 = second;
        b1 = n;
    }

    struct component ca, cb;
    rc = read_component(t, a0, a1, ha, "first component", &ca, err);
    if (rc == DC_OK)
        rc = read_component(t, b0, b1, hb, "second component", &cb, err);
    if (rc != DC_OK)
        return rc;
    if (ca.numbers != cb.numbers)
        return fail(err, DC_INVALID, "coordinate", cb.pos,
                    "latitude and longitude are written in different notations");
    if (hemis == 0 && ca.numbers > 1)
        return fail(err, DC_AMBIGUOUS, "coordinate", 0,
                    "degrees-minutes(-seconds) without N/S/E/W letters cannot be "
                    "told from other notations; add hemisphere letters");
    int lon_first = hemis == 2 && !is_lat_letter(ha);
    if (hemis == 0 && fabs(ca.value) > 90.0)
        return dc_error_set(err, DC_AMBIGUOUS, "coordinate", ca.pos,
                            "first number %.7g exceeds 90, so it cannot be a latitude: "
                            "is longitude first? add N/S/E/W",
                            ca.value);
    const struct component *lat = lon_first ? &cb : &ca;
    const struct component *lon = lon_first ? &ca : &cb;
    if (fabs(lat->value) > 90.0)
        return dc_error_set(err, DC_RANGE, "latitude", lat->pos,
                            "latitude %.7g is beyond 90 degrees", lat->value);
    if (fabs(lon->value) > 180.0)
        return dc_error_set(err, DC_RANGE, "longitude", lon->pos,
                            "longitude %.7g is beyond 180 degrees", lon->value);
    out->lat = lat->value;
    out->lon = lon->value;
    if (info != NULL)
        degrees_info(ca.numbers, style, lon_first, info);
    return DC_OK;
}

/* UTM: "37N 304500 3975500" (zone, N/S or a latitude band letter, E, N). */
static int looks_like_utm(const char *s)
{
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    size_t d = 0;
    while (isdigit((unsigned char)s[i + d]))
        d++;
    if (d < 1 || d > 2)
        return 0;
    i += d;
    while (s[i] == ' ')
        i++;
    if (!isalpha((unsigned char)s[i]) || isalpha((unsigned char)s[i + 1]))
        return 0;
    i++;
    if (s[i] != ' ')
        return 0;
    int numbers = 0;
    while (s[i] != '\0') {
        while (s[i] == ' ' || s[i] == ',')
            i++;
        if (s[i] == '\0')
            break;
        if (!isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '+')
            return 0;
        while (s[i] != '\0' && s[i] != ' ' && s[i] != ',')
            i++;
        numbers++;
    }
    return numbers == 2;
}

static dc_status read_metres(const char *s, size_t *i, const char *field, double *out,
                             dc_error *err)
{
    while (s[*i] == ' ' || s[*i] == ',')
        (*i)++;
    size_t start = *i;
    char *end = NULL;
    if (!isdigit((unsigned char)s[start]))
        return fail(err, DC_RANGE, field, start,
                    "UTM easting and northing must be positive metres");
    double v = strtod(s + start, &end);
    size_t stop = (size_t)(end - s);
    for (size_t k = start; k < stop; k++)
        if (!isdigit((unsigned char)s[k]) && s[k] != '.')
            return fail(err, DC_INVALID, field, k, "malformed number");
    if (s[stop] != '\0' && s[stop] != ' ' && s[stop] != ',')
        return fail(err, DC_INVALID, field, stop, "malformed number");
    *out = v;
    *i = stop;
    return DC_OK;
}

static dc_status parse_utm(const char *text, dc_point *out, dc_coord_info *info, dc_error *err)
{
    size_t i = 0;
    while (text[i] == ' ')
        i++;
    size_t zone_pos = i;
    int zone = 0;
    while (isdigit((unsigned char)text[i]))
        zone = zone * 10 + (text[i++] - '0');
    if (zone < 1 || zone > 60)
        return fail(err, DC_RANGE, "zone", zone_pos, "UTM zone must be 1..60");
    while (text[i] == ' ')
        i++;
    size_t letter_pos = i;
    char letter = (char)toupper((unsigned char)text[i++]);
    dc_utm utm = {zone, 'N', 0, 0};
    while (text[i] == ' ')
        i++;
    size_t easting_pos = i, northing_pos;
    dc_status rc = read_metres(text, &i, "easting", &utm.easting, err);
    while (text[i] == ' ' || text[i] == ',')
        i++;
    northing_pos = i;
    if (rc == DC_OK)
        rc = read_metres(text, &i, "northing", &utm.northing, err);
    if (rc != DC_OK)
        return rc;
    int band = dc__band_index(letter);
    int used_band = 0;
    dc_point p;
    if (letter == 'N') {
        utm.hemisphere = 'N';
    } else if (letter == 'S') {
        /* "38S" is the southern hemisphere to some and band S (32..40 N) to
         * others. Refuse when the band reading gives a point inside band S. */
        if (dc__utm_s_reads_as_band(&utm))
            return fail(err, DC_AMBIGUOUS, "hemisphere", letter_pos,
                        "'S' may mean the southern hemisphere or latitude band S "
                        "(32..40 N), and this northing fits band S; write the "
                        "band as N for the north, or give the point in MGRS or degrees");
        utm.hemisphere = 'S';
    } else if (band >= 0) {
        utm.hemisphere = band < 10 ? 'S' : 'N';
        used_band = 1;
    } else {
        return fail(err, DC_INVALID, "hemisphere", letter_pos,
                    "UTM zone must be followed by N, S or a latitude band letter C..X");
    }
    rc = dc_utm_to_point(&utm, &p, err);
    if (rc != DC_OK) {
        if (err != NULL && err->position == DC_NO_POSITION)
            err->position = strcmp(err->field, "easting") == 0 ? easting_pos : northing_pos;
        return rc;
    }
    if (used_band) {
        double south, north;
        dc__band_latitudes(band, &south, &north);
        if (p.lat < south - 1e-7 || p.lat >= north + 1e-7)
            return dc_error_set(err, DC_INVALID, "northing", letter_pos,
                                "the northing puts the point at latitude %.4f, outside "
                                "band %c (%.0f..%.0f)",
                                p.lat, letter, south, north);
    }
    *out = p;
    if (info != NULL) {
        memset(info, 0, sizeof *info);
        info->notation = DC_NOTATION_UTM;
        info->utm_band = used_band;
    }
    return DC_OK;
}

/* MGRS: zone digits, then a letter followed by two letters (spaces allowed). */
static int looks_like_mgrs(const char *s)
{
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    size_t zone_digits = 0;
    while (isdigit((unsigned char)s[i + zone_digits]))
        zone_digits++;
    /* Without a zone only the polar bands start an MGRS reference. */
    if (zone_digits == 0 && strchr("ABYZabyz", s[i]) == NULL)
        return 0;
    i += zone_digits;
    int letters = 0;
    for (; s[i] != '\0' && letters < 3; i++) {
        if (s[i] == ' ')
            continue;
        if (!isalpha((unsigned char)s[i]))
            return 0;
        letters++;
    }
    if (letters < 3)
        return 0;
    /* Zone, band and square letters followed by nothing or a digit is an
     * MGRS reference, junk or not: the MGRS reader explains what is wrong. */
    while (s[i] == ' ')
        i++;
    return s[i] == '\0' || isdigit((unsigned char)s[i]);
}

/* Positions are byte offsets (for programs); people count characters, so
 * the message gets the column in UTF-8 characters, added in this one place. */
static void annotate_column(const char *text, dc_error *err)
{
    if (err == NULL || err->position == DC_NO_POSITION)
        return;
    size_t column = 1;
    for (size_t i = 0; i < err->position && text[i] != '\0'; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            column++;
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used, " (column %zu)", column);
}

dc_status dc_coord_parse(const char *text, dc_point *out, dc_coord_info *info, dc_error *err)
{
    dc_error_clear(err);
    if (text == NULL || out == NULL)
        return dc_error_set(err, DC_INVALID, "coordinate", DC_NO_POSITION, "no coordinate given");
    size_t len = strnlen(text, COORD_TEXT_LIMIT + 1);
    if (len > COORD_TEXT_LIMIT)
        return dc_error_set(err, DC_INVALID, "coordinate", COORD_TEXT_LIMIT,
                            "coordinate text longer than %d bytes", COORD_TEXT_LIMIT);
    /* Control characters and tabs normalised away by nobody: refuse them. */
    char buf[COORD_TEXT_LIMIT + 1];
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c != '\0' && c < 0x20 && c != '\t')
            return fail(err, DC_INVALID, "coordinate", i, "control character in coordinate");
        buf[i] = c == '\t' ? ' ' : (char)c;
    }
    /* Trailing blanks are not junk. */
    while (len > 0 && buf[len - 1] == ' ')
        buf[--len] = '\0';
    dc_point p;
    dc_status rc;
    if (looks_like_mgrs(buf))
        rc = dc__mgrs_parse(buf, &p, info, err);
    else if (looks_like_utm(buf))
        rc = parse_utm(buf, &p, info, err);
    else
        rc = parse_degrees(buf, &p, info, err);
    if (rc == DC_OK)
        *out = p;
    else
        annotate_column(buf, err);
    return rc;
}
