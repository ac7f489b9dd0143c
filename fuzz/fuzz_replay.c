/* fuzz_replay.c - libFuzzer target: the body decoder of POST /v1/replays (dc__api_replay_decode:
 * the JSON, each track's CSV, each border's GeoJSON) never crashes or leaks, and a refusal says
 * why and names a member of the body */
#include "../src/api/api_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 262144)
        return 0;
    dc__api_replay_request *request = (dc__api_replay_request *)&request;
    dc_error err;
    dc_error_clear(&err);
    dc_status rc = dc__api_replay_decode((const char *)data, size, &request, &err);
    if (rc != DC_OK) {
        fuzz_check_refusal(rc, &err);
        FUZZ_CHECK(request == NULL);
        /* the pointer of a member, or "" for the whole body */
        FUZZ_CHECK(err.field[0] == '\0' || err.field[0] == '/');
        return 0;
    }
    FUZZ_CHECK(request != NULL);
    dc__api_replay_request_free(request);
    return 0;
}
