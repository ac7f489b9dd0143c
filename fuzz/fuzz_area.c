/* fuzz_area.c - libFuzzer target: the query of a listing (dc_api_parse_area: area, from, to) never
 * crashes; a box it accepts is well formed, a refusal names the parameter at fault */
#include "../src/api/api_internal.h"
#include "deconflict/time.h"
#include "fuzz_common.h"

#include <math.h>

/* The input is "area\nfrom\nto"; a first byte's low three bits say which are present, as a
 * query may omit any of them. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 512)
        return 0;
    unsigned present = data[0];
    char *text = fuzz_text(data + 1, size - 1);
    if (text == NULL)
        return 0;
    const char *part[3] = {NULL, NULL, NULL};
    char *p = text;
    for (int i = 0; i < 3 && p != NULL; i++) {
        char *nl = i < 2 ? strchr(p, '\n') : NULL;
        if (nl != NULL)
            *nl = '\0';
        part[i] = present & (1u << i) ? p : NULL;
        p = nl ? nl + 1 : NULL;
    }
    dc_box4 box;
    memset(&box, 0xA5, sizeof box);
    dc_box4 untouched = box;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc = dc_api_parse_area(part[0], part[1], part[2], &box, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        FUZZ_CHECK(strcmp(err.field, "area") == 0 || strcmp(err.field, "from") == 0 ||
                   strcmp(err.field, "to") == 0);
        FUZZ_CHECK(memcmp(&box, &untouched, sizeof box) == 0);
        free(text);
        return 0;
    }
    FUZZ_CHECK(box.lat_min >= -90 && box.lat_min <= box.lat_max && box.lat_max <= 90);
    FUZZ_CHECK(box.lon_min >= -180 && box.lon_min <= 180);
    FUZZ_CHECK(box.lon_max >= box.lon_min && box.lon_max <= box.lon_min + 360);
    FUZZ_CHECK(box.lon_max <= 540);
    FUZZ_CHECK(box.t_min < box.t_max);
    FUZZ_CHECK(part[1] == NULL || dc_time_in_range(box.t_min));
    FUZZ_CHECK(part[2] == NULL || dc_time_in_range(box.t_max));
    free(text);
    return 0;
}
