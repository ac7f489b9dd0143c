/* test_coord_catalogue.c - every malformed coordinate of tests/data/coord_malformed.tsv is refused
 * as catalogued */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "deconflict/geo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dc_status status_by_name(const char *name)
{
    for (int s = 0; s < DC__STATUS_COUNT; s++)
        if (strcmp(dc_status_name((dc_status)s), name) == 0)
            return (dc_status)s;
    fail_msg("unknown status name '%s' in catalogue", name);
    return DC_INTERNAL;
}

static void test_catalogue(void **state)
{
    (void)state;
    const char *dir = getenv("DC_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/coord_malformed.tsv", dir ? dir : ".");
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char line[1024];
    int cases = 0, failures = 0, lineno = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *fields[4] = {0};
        char *cursor = line;
        for (int k = 0; k < 4; k++) {
            fields[k] = cursor;
            char *tab = cursor ? strchr(cursor, '\t') : NULL;
            if (tab != NULL) {
                *tab = '\0';
                cursor = tab + 1;
            } else {
                cursor = NULL;
            }
        }
        if (fields[3] == NULL)
            fail_msg("catalogue line %d needs 4 tab-separated fields", lineno);
        cases++;
        dc_status expected = status_by_name(fields[1]);
        dc_point p = {123.0, 456.0};
        dc_error err;
        dc_status got = dc_coord_parse(fields[0], &p, NULL, &err);
        int ok = got == expected && strstr(err.message, fields[2]) != NULL && p.lat == 123.0 &&
                 p.lon == 456.0;
        /* The catalogue gives columns in characters; err.position is bytes. */
        size_t column = 0;
        if (err.position != DC_NO_POSITION) {
            column = 1;
            for (size_t i = 0; i < err.position && fields[0][i] != '\0'; i++)
                if (((unsigned char)fields[0][i] & 0xC0) != 0x80)
                    column++;
        }
        if (ok && strcmp(fields[3], "-") != 0)
            ok = column == strtoul(fields[3], NULL, 10);
        if (!ok) {
            failures++;
            fprintf(stderr,
                    "line %d '%s': expected %s '%s' at column %s, got %s '%s' at column %zu\n",
                    lineno, fields[0], fields[1], fields[2], fields[3], dc_status_name(got),
                    got == DC_OK ? "" : err.message, column);
        }
    }
    fclose(f);
    printf("coordinate catalogue: %d malformed inputs, %d mismatches\n", cases, failures);
    assert_true(cases >= 40);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_catalogue)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
