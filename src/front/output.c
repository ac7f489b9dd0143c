/* output.c - the one form of a command's --json document on standard output */
#include "front.h"

#include <stdlib.h>

void dc_cli_print_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text != NULL)
        puts(text);
    free(text);
    json_decref(doc);
}
