/* paths.c - what the commands read: a file or standard input, and data files found from wherever
 * the program is run (never a path relative to the working directory) */
#include "front.h"
#include "deconflict/store.h"
#include "deconflict/status.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DC_CLI_INPUT_MAX ((size_t)1 << 30)

int dc_cli_read_input(const char *path, char **text, size_t *length, char *why, size_t why_size)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    *text = NULL;
    *length = 0;
    if (f == NULL) {
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0 || n < cap) {
            if (feof(f) || ferror(f))
                break;
            continue;
        }
        char *bigger = cap < DC_CLI_INPUT_MAX ? realloc(buf, cap * 2 + 1) : NULL;
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int failed = buf == NULL || ferror(f);
    if (!is_stdin)
        fclose(f);
    if (failed) {
        snprintf(why, why_size, "cannot read %s: %s", is_stdin ? "standard input" : path,
                 buf == NULL ? "larger than 1 GiB or out of memory" : "read error");
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *length = n;
    return 0;
}

const char *dc_cli_input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The directory of the running program (Linux), with no trailing slash; "" when unknown. */
static void program_dir(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
        *slash = '\0';
        snprintf(out, size, "%s", self);
    }
}

int dc_cli_borders_file(const char *name, char *out, size_t size)
{
    char dir[PATH_MAX];
    const char *env = getenv("DECONFLICT_BORDERS");
    if (env != NULL && env[0] != '\0') {
        snprintf(out, size, "%s/%s", env, name);
        return readable(out) ? 0 : -1;
    }
    program_dir(dir, sizeof dir);
    /* build/<config>/deconflict beside build/borders; an installed bin/ beside share/ */
    const char *const patterns[] = {"%s/../borders/%s", "%s/../share/deconflict/borders/%s"};
    for (size_t i = 0; dir[0] != '\0' && i < sizeof patterns / sizeof *patterns; i++) {
        snprintf(out, size, patterns[i], dir, name);
        if (readable(out))
            return 0;
    }
    snprintf(out, size, "%s/build/borders/%s", DC_SOURCE_DIR, name);
    if (readable(out))
        return 0;
    snprintf(out, size, "%s/borders/%s", DC_INSTALL_DATADIR, name);
    return readable(out) ? 0 : -1;
}

const char dc_cli_borders_hint[] =
    "no borders found: give --borders FILE, or set DECONFLICT_BORDERS to a directory of them "
    "(`make borders` writes build/borders/world.geojson)";

int dc_cli_store_present(const char *program, const char *path)
{
    /* a database server's store is never created by a wrong path: opening it says whether it
     * answers */
    if (dc_store_location_shared(path))
        return 0;
    struct stat info;
    if (stat(path, &info) == 0 && S_ISREG(info.st_mode))
        return 0;
    fprintf(stderr, "%s: no store at %s\n", program, path);
    return -1;
}
