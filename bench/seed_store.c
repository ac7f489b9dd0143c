/* seed_store.c - fill a store with N intents of party "bench" (for the API benchmark), through the
 * store interface */
#include "deconflict/party.h"
#include "deconflict/store.h"

#include "../src/api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Intents are 1 km circles on a 100 x 100 grid 3 km apart (around 36 N 37 E),
 * one hour each, slot after slot: N of them never overlap one another.
 * Each is written with its audit record as the server writes it. */
int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_seed DB N   (prints the key of party 'bench')\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    dc_store *store;
    dc_error err;
    if (dc_store_open(argv[1], &store, &err) != DC_OK || dc_audit_init() != DC_OK) {
        fprintf(stderr, "bench_seed: %s\n", err.message);
        return 1;
    }
    uint8_t pk[DC_PUBLIC_KEY_BYTES], sk[DC_SECRET_KEY_BYTES], hash[DC_HASH_BYTES];
    char key[DC_KEY_TEXT_MAX];
    dc_party_key_new(key);
    dc_party_key_hash(key, hash);
    dc_store_begin(store, 1);
    dc_store_server_key(store, pk, sk);
    dc_time_us t0 = INT64_C(1893456000) * DC_US_PER_S; /* 2030-01-01 */
    if (dc_store_party_add(store, "bench", hash, t0) != DC_OK) {
        fprintf(stderr, "bench_seed: the store already has party 'bench'\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        long cell = i % 10000, slot = i / 10000;
        dc_point c = {36.0 + (cell / 100) * 0.027, 37.0 + (cell % 100) * 0.0335};
        dc_volume v;
        dc_volume_init_circle(c, 1000, 0, 500, t0 + slot * 3600 * DC_US_PER_S,
                              t0 + (slot + 1) * 3600 * DC_US_PER_S, &v, NULL);
        dc_record rec;
        memset(&rec, 0, sizeof rec);
        snprintf(rec.object.id, sizeof rec.object.id, "i-%ld", i);
        snprintf(rec.object.owner, sizeof rec.object.owner, "bench");
        rec.object.kind = DC_KIND_INTENT;
        rec.object.state = DC_STATE_ACCEPTED;
        rec.object.priority = 0;
        rec.object.version = 1;
        rec.object.volumes = &v;
        rec.object.volume_count = 1;
        rec.created = rec.updated = t0;
        json_t *body = dc_api_object_json(&rec.object, 0, NULL, NULL);
        rec.body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        json_decref(body);
        uint8_t digest[DC_HASH_BYTES];
        char hex[2 * DC_HASH_BYTES + 1];
        dc_audit_record r;
        memset(&r, 0, sizeof r);
        if (dc_store_object_put(store, &rec) != DC_OK ||
            dc_store_object_digest(store, &rec, digest) != DC_OK) {
            fprintf(stderr, "bench_seed: store failed at %ld\n", i);
            return 1;
        }
        dc_hex(digest, DC_HASH_BYTES, hex);
        r.time = t0;
        snprintf(r.actor, sizeof r.actor, "bench");
        snprintf(r.action, sizeof r.action, "intent.put");
        dc_object_ref(DC_KIND_INTENT, "bench", rec.object.id, r.object, sizeof r.object);
        snprintf(r.detail, sizeof r.detail,
                 "{\"digest\":\"%s\",\"state\":\"accepted\",\"version\":1}", hex);
        dc_store_audit_append(store, &r, sk);
        free(rec.body);
        dc_volume_clear(&v);
    }
    if (dc_store_commit(store) != DC_OK) {
        fprintf(stderr, "bench_seed: commit failed\n");
        return 1;
    }
    dc_store_close(store);
    printf("%s\n", key);
    return 0;
}
