/* main.c - deconflictd: the server binary */
#include "deconflict/server.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(dc_server_usage, stdout);
            return 0;
        }
    dc_server_config config;
    dc_error err;
    if (dc_server_config_parse(argc, argv, &config, &err) != DC_OK) {
        fprintf(stderr, "deconflictd: %s\n%s", err.message, dc_server_usage);
        return 2;
    }
    if (dc_server_run(&config, &err) != DC_OK) {
        fprintf(stderr, "deconflictd: %s: %s\n", dc_status_name(err.status), err.message);
        return 1;
    }
    return 0;
}
