/* version.c - the version both programs print (generated at build time by cmake/version.cmake) */
#include "front.h"
#include "dc_version.h"

#include <string.h>

const char *dc_cli_version(void)
{
    return DC_VERSION_TEXT;
}

int dc_cli_print_version(const char *program)
{
    printf("%s %s\n", program, DC_VERSION_TEXT);
    return 0;
}
