/* fuzz_common.h - what every libFuzzer target shares: the input as text, and the rule that a
 * refusal says why */
#ifndef DECONFLICT_FUZZ_COMMON_H
#define DECONFLICT_FUZZ_COMMON_H

#include "deconflict/status.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a terminated copy (malloc'd, so ASan sees a read past `size`), or NULL. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return NULL;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* A broken invariant: say which, then abort so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A refusal is a non-OK status that names itself in `err` and carries a message. */
static inline void fuzz_check_refusal(dc_status rc, const dc_error *err)
{
    FUZZ_CHECK(rc != DC_OK && rc < DC__STATUS_COUNT);
    FUZZ_CHECK(err->status == rc);
    FUZZ_CHECK(err->message[0] != '\0');
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    FUZZ_CHECK(memchr(err->field, '\0', sizeof err->field) != NULL);
}

#endif
