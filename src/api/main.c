/* main.c - deconflictd: the server binary, the same program as `deconflict serve` */
#include "../front/front.h"

int main(int argc, char **argv)
{
    return dc_cli_serve(argc, argv);
}
