/* test_session.c - the front ends' service calls over a real SQLite store (session.c) and the
 * audit chain's verification as a library (audit_verify.h) */
#include "deconflict/audit_verify.h"
#include "deconflict/party.h"
#include "deconflict/service.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/temp_store.h"

struct fixture {
    temp_store t;
    dc_service svc;
    uint8_t alice_hash[DC_HASH_BYTES];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL || temp_store_open(&f->t, "session") != 0)
        return -1;
    dc_error err;
    if (dc_service_init(&f->svc, f->t.store, &err) != DC_OK)
        return -1;
    char key[DC_KEY_TEXT_MAX + 1];
    if (dc_party_key_new(key) != DC_OK || dc_party_key_hash(key, f->alice_hash) != DC_OK)
        return -1;
    dc_status rc = dc_store_begin(f->t.store, 1);
    if (rc == DC_OK)
        rc = dc_store_party_add(f->t.store, "alice", f->alice_hash, dc_service_now());
    if (dc_store_finish(f->t.store, rc) != DC_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dc_service_destroy(&f->svc);
    temp_store_remove(&f->t);
    free(f);
    return 0;
}

static void authenticate_finds_the_key_holder_only(void **state)
{
    struct fixture *f = *state;
    dc_party p;
    memset(&p, 0, sizeof p);
    assert_int_equal(dc_service_authenticate(&f->svc, f->alice_hash, &p), DC_OK);
    assert_string_equal(p.name, "alice");
    uint8_t other[DC_HASH_BYTES];
    memcpy(other, f->alice_hash, sizeof other);
    other[0] ^= 1;
    dc_party untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    assert_int_equal(dc_service_authenticate(&f->svc, other, &untouched), DC_NOT_FOUND);
    assert_int_equal((unsigned char)untouched.name[0], 0x5a); /* left as it was */
}

static int count_entry(void *ctx, int64_t id, const char *body, dc_time_us created)
{
    (void)id;
    (void)body;
    (void)created;
    (*(int *)ctx)++;
    return 0;
}

static void inbox_page_reads_after_and_within_limit(void **state)
{
    struct fixture *f = *state;
    int64_t ids[3];
    assert_int_equal(dc_store_begin(f->t.store, 1), DC_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dc_store_inbox_add(f->t.store, DC_INBOX_ALERTS, "alice", "{\"n\":1}",
                                            dc_service_now(), &ids[i]),
                         DC_OK);
    assert_int_equal(dc_store_commit(f->t.store), DC_OK);
    int seen = 0;
    assert_int_equal(
        dc_service_inbox_page(&f->svc, DC_INBOX_ALERTS, "alice", 0, 2, count_entry, &seen), DC_OK);
    assert_int_equal(seen, 2);
    seen = 0;
    assert_int_equal(
        dc_service_inbox_page(&f->svc, DC_INBOX_ALERTS, "alice", ids[1], 10, count_entry, &seen),
        DC_OK);
    assert_int_equal(seen, 1);
    seen = 0;
    assert_int_equal(
        dc_service_inbox_page(&f->svc, DC_INBOX_ALERTS, "bob", 0, 10, count_entry, &seen), DC_OK);
    assert_int_equal(seen, 0); /* another party's inbox is not alice's */
}

/* What a verification found, kept for the test to look at. */
struct findings {
    size_t problems, notes, receipts_held, receipts_failed;
    dc_audit_problem_kind last;
};

static void on_problem(void *ctx, const dc_audit_problem *p)
{
    struct findings *s = ctx;
    if (p->is_note) {
        s->notes++;
        return;
    }
    s->problems++;
    s->last = p->kind;
}

static void on_receipt(void *ctx, const dc_audit_receipt *r, const char *in, int as_issued)
{
    (void)r;
    (void)in;
    struct findings *s = ctx;
    if (as_issued)
        s->receipts_held++;
    else
        s->receipts_failed++;
}

static dc_status verify(struct fixture *f, const uint8_t *pinned, dc_audit_receipt *receipts,
                        size_t count, struct findings *s, dc_audit_verify_report *report)
{
    char archive[160];
    snprintf(archive, sizeof archive, "%s/store.db.archive", f->t.dir);
    memset(s, 0, sizeof *s);
    dc_audit_verify_options o = {archive, pinned, receipts, count, on_problem, on_receipt, s};
    dc_error err;
    return dc_audit_verify_store(f->t.store, &o, report, &err);
}

static void shared_record_checks_parties_and_verifies(void **state)
{
    struct fixture *f = *state;
    const char *nobody[] = {"alice", "nobody"};
    dc_audit_record r;
    assert_int_equal(dc_service_record_shared(&f->svc, "alice", "replay", "replay/alice/x", nobody,
                                              2, json_pack("{s:i}", "n", 1), &r),
                     DC_NOT_FOUND);
    struct findings s;
    dc_audit_verify_report report;
    assert_int_equal(verify(f, NULL, NULL, 0, &s, &report), DC_OK);
    assert_int_equal(report.records, 0); /* the refused one wrote nothing */
    const char *alice[] = {"alice"};
    assert_int_equal(dc_service_record_shared(&f->svc, "alice", "replay", "replay/alice/x", alice,
                                              1, json_pack("{s:i}", "n", 1), &r),
                     DC_OK);
    assert_string_equal(r.recipients, "alice");
    /* the record holds, and a receipt as issued is found as issued */
    dc_audit_receipt receipts[2];
    memset(receipts, 0, sizeof receipts);
    receipts[0].seq = r.seq;
    memcpy(receipts[0].hash, r.hash, DC_HASH_BYTES);
    memcpy(receipts[0].signature, r.signature, DC_SIGNATURE_BYTES);
    receipts[0].has_signature = 1;
    snprintf(receipts[0].label, sizeof receipts[0].label, "issued");
    receipts[1].seq = r.seq + 5; /* a receipt of a record the chain does not hold */
    snprintf(receipts[1].label, sizeof receipts[1].label, "removed");
    assert_int_equal(verify(f, NULL, receipts, 2, &s, &report), DC_OK);
    assert_int_equal(report.records, 1);
    assert_int_equal(report.signed_records, 1);
    assert_memory_equal(report.head, r.hash, DC_HASH_BYTES);
    assert_int_equal(s.receipts_held, 1);
    assert_int_equal(s.receipts_failed, 1);
    assert_int_equal(report.problems, 1);
    assert_int_equal(s.last, DC_AUDIT_RECEIPT_REMOVED);
    assert_string_equal(dc_audit_problem_name(s.last), "receipt_removed");
    /* against another key, the record's signature fails */
    uint8_t other_pk[DC_PUBLIC_KEY_BYTES], other_sk[DC_SECRET_KEY_BYTES];
    assert_int_equal(dc_audit_keypair(other_pk, other_sk), DC_OK);
    assert_int_equal(verify(f, other_pk, NULL, 0, &s, &report), DC_OK);
    assert_int_equal(report.problems, 1);
    assert_int_equal(s.last, DC_AUDIT_RECORD_SIGNATURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(authenticate_finds_the_key_holder_only, setup, teardown),
        cmocka_unit_test_setup_teardown(inbox_page_reads_after_and_within_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_record_checks_parties_and_verifies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
