/* ident.c - the grammar of aircraft names, callsigns and object ids (ident.h) */
#include "deconflict/ident.h"

#include <string.h>

/* `text` upper-cased into `out` when it is 1 to 8 of A-Z a-z 0-9; else `out` is left empty.
 * 1 or 0. Checked byte by byte rather than with <ctype.h>, whose classes follow the locale. */
static int alnum8_upper(const char *text, char out[DC_AIRCRAFT_MAX])
{
    out[0] = '\0';
    if (text == NULL)
        return 0;
    size_t n = 0;
    for (; text[n] != '\0'; n++) {
        char c = text[n];
        if (n == DC_AIRCRAFT_MAX - 1)
            return 0;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
        out[n] = c;
    }
    if (n == 0)
        return 0;
    out[n] = '\0';
    return 1;
}

dc_status dc_ident_aircraft(const char *text, char out[DC_AIRCRAFT_MAX], dc_error *err)
{
    if (alnum8_upper(text, out))
        return DC_OK;
    out[0] = '\0';
    return dc_error_set(err, DC_INVALID, "aircraft", DC_NO_POSITION,
                        "the ICAO 24-bit address (6 hex digits) or, without one, the callsign "
                        "(1 to 8 of A-Z 0-9)");
}

dc_status dc_ident_callsign(const char *text, char out[DC_AIRCRAFT_MAX], dc_error *err)
{
    if (alnum8_upper(text, out))
        return DC_OK;
    out[0] = '\0';
    return dc_error_set(err, DC_INVALID, "callsign", DC_NO_POSITION,
                        "a callsign is 1 to 8 of A-Z 0-9");
}

static int id_byte(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

dc_status dc_ident_object_id(const char *text, dc_error *err)
{
    size_t n = text ? strlen(text) : 0;
    int ok = n > 0 && n < DC_ID_MAX && strspn(text, ".") < n;
    for (size_t i = 0; ok && i < n; i++)
        ok = id_byte(text[i]);
    if (!ok)
        return dc_error_set(err, DC_INVALID, "id", DC_NO_POSITION,
                            "an object id is 1 to %d of A-Z a-z 0-9 . _ -, not only dots",
                            DC_ID_MAX - 1);
    return DC_OK;
}
