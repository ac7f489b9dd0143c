/* fuzz_coord.c - libFuzzer target: the coordinate parser never crashes, and what it accepts
 * survives a round trip */
#include "deconflict/geo.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    if (size >= sizeof text)
        size = sizeof text - 1;
    memcpy(text, data, size);
    text[size] = '\0';

    dc_point p;
    dc_coord_info info;
    dc_error err;
    if (dc_coord_parse(text, &p, &info, &err) != DC_OK) {
        /* A refusal must say why. */
        if (err.message[0] == '\0' || err.status == DC_OK)
            abort();
        return 0;
    }
    if (!(p.lat >= -90.0 && p.lat <= 90.0 && p.lon >= -180.0 && p.lon <= 180.0))
        abort();
    /* What was accepted must read back, and the canonical DD must parse to
     * the same point within its 7 decimals. */
    dc_readback rb;
    if (dc_coord_readback_of(p, &info, &rb, &err) != DC_OK)
        abort();
    dc_point again;
    if (dc_coord_parse(rb.dd, &again, NULL, &err) != DC_OK)
        abort();
    if (fabs(again.lat - p.lat) > 1e-7 || fabs(again.lon - p.lon) > 1e-7)
        abort();
    /* The read-back in the sender's own notation parses too, to the same
     * point within what that notation can say (1 m MGRS / UTM, 0.01"). */
    dc_point own;
    if (dc_coord_parse(rb.own, &own, NULL, &err) != DC_OK)
        abort();
    double d = 0;
    dc_geodesic_inverse(p, own, &d, NULL);
    double allowed = info.notation == DC_NOTATION_MGRS ? info.cell_m : 1.5;
    if (d > allowed)
        abort();
    return 0;
}
