/* test_write_group.c - writes that commit together (src/service/write_group.c), on a real store
 * (SQLite, and PostgreSQL in the _pg copy): parts queued behind a running group are done
 * together; a part sees what the parts before it in its group wrote; one part failing having
 * written rolls its whole group back (the parts before it are told their writes did not commit,
 * the parts after it run in the next group), while a part that wrote nothing stands; and the audit
 * chain verifies after all of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../support/temp_store.h"
#include "../../src/service/service_internal.h"

#include "deconflict/audit_verify.h"
#include "deconflict/service.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct fixture {
    temp_store t;
    dc_service svc;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    dc_error err;
    if (f == NULL || temp_store_open(&f->t, "group") != 0 ||
        dc_service_init(&f->svc, f->t.store, &err) != DC_OK)
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

/* What a part does under the write lock, and what it saw. */
enum part_kind { WRITE, WRITE_THEN_FAIL, READ_ONLY };

struct part {
    dc_service *svc;
    enum part_kind kind;
    const char *party;    /* the party it adds (WRITE, WRITE_THEN_FAIL) */
    const char *look_for; /* READ_ONLY: the party it looks for */
    int wait_for_queue;   /* hold its group until this many parts wait behind it */
    int saw;              /* READ_ONLY: whether it found look_for */
    dc_locked_work work;
    dc_status status;
    pthread_t thread;
};

static size_t queued(dc_service *svc)
{
    pthread_mutex_lock(&svc->group_lock);
    size_t n = 0;
    for (const dc_locked_work *w = svc->group_queue; w != NULL; w = w->next)
        n++;
    pthread_mutex_unlock(&svc->group_lock);
    return n;
}

/* Wait (10 s at most) until n parts are queued: 1 when they are. */
static int until_queued(dc_service *svc, size_t n)
{
    for (int i = 0; i < 20000 && queued(svc) < n; i++)
        usleep(500);
    return queued(svc) >= n;
}

static void wait_until_queued(dc_service *svc, size_t n)
{
    assert_true(until_queued(svc, n));
}

/* Wait until a group is being written. */
static void wait_until_writing(dc_service *svc)
{
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&svc->group_lock);
        int writing = svc->group_writing;
        pthread_mutex_unlock(&svc->group_lock);
        if (writing)
            return;
        usleep(500);
    }
    fail_msg("no group was written");
}

static dc_locked_outcome run_part(dc_service *svc, void *ctx)
{
    struct part *p = ctx;
    if (p->wait_for_queue > 0) /* the test fails below if they never came */
        (void)until_queued(svc, (size_t)p->wait_for_queue);
    if (p->kind == READ_ONLY) {
        p->saw = dc_store_party_exists(svc->store, p->look_for) == DC_OK;
        return DC_LOCKED_NOTHING;
    }
    uint8_t key_hash[DC_HASH_BYTES] = {0}; /* its own: a key is one party's */
    memcpy(key_hash, p->party, strlen(p->party) < DC_HASH_BYTES ? strlen(p->party) : DC_HASH_BYTES);
    if (dc_store_party_add(svc->store, p->party, key_hash, dc_service_now()) != DC_OK ||
        dc_service_audit(svc, 1, "test", "party.add", p->party, "", NULL, NULL) != DC_OK)
        return DC_LOCKED_ABORT;
    return p->kind == WRITE_THEN_FAIL ? DC_LOCKED_ABORT : DC_LOCKED_WROTE;
}

static void *part_thread(void *arg)
{
    struct part *p = arg;
    p->work = (dc_locked_work){.run = run_part, .ctx = p};
    p->status = dc__service_write_together(p->svc, &p->work);
    return NULL;
}

static void start(struct part *p)
{
    assert_int_equal(pthread_create(&p->thread, NULL, part_thread, p), 0);
}

static void join(struct part *p)
{
    assert_int_equal(pthread_join(p->thread, NULL), 0);
}

static int exists(struct fixture *f, const char *party)
{
    assert_int_equal(dc_store_begin(f->t.store, 0), DC_OK);
    int found = dc_store_party_exists(f->t.store, party) == DC_OK;
    dc_store_rollback(f->t.store);
    return found;
}

static void chain_verifies(struct fixture *f)
{
    dc_audit_verify_options options;
    memset(&options, 0, sizeof options);
    char archive[96];
    snprintf(archive, sizeof archive, "%s/archive", f->t.dir); /* none: it does not exist */
    options.archive_dir = archive;
    dc_audit_verify_report report;
    dc_error err;
    assert_int_equal(dc_audit_verify_store(f->t.store, &options, &report, &err), DC_OK);
    assert_int_equal(report.problems, 0);
    assert_true(report.records > 0);
}

/* Three parts behind a running one: done together, the last seeing the first's write. */
static void test_parts_waiting_commit_together(void **state)
{
    struct fixture *f = *state;
    struct part first = {.svc = &f->svc, .kind = WRITE, .party = "first", .wait_for_queue = 3};
    struct part a = {.svc = &f->svc, .kind = WRITE, .party = "alpha"};
    struct part b = {.svc = &f->svc, .kind = WRITE, .party = "bravo"};
    struct part c = {.svc = &f->svc, .kind = READ_ONLY, .look_for = "alpha"};
    start(&first);
    wait_until_writing(&f->svc); /* its group runs: the others queue behind it */
    start(&a);
    wait_until_queued(&f->svc, 1);
    start(&b);
    wait_until_queued(&f->svc, 2);
    start(&c);
    join(&first);
    join(&a);
    join(&b);
    join(&c);
    assert_int_equal(first.status, DC_OK);
    assert_int_equal(a.status, DC_OK);
    assert_int_equal(b.status, DC_OK);
    assert_int_equal(c.status, DC_OK);
    assert_true(c.saw); /* alpha's write, not yet committed, in the same transaction */
    assert_true(exists(f, "first") && exists(f, "alpha") && exists(f, "bravo"));
    chain_verifies(f);
}

/* A part failing having written: the part before it in its group is not committed and is told
 * so; one that wrote nothing stands; the part after it runs in the next group and commits. */
static void test_failure_rolls_back_its_group(void **state)
{
    struct fixture *f = *state;
    struct part first = {.svc = &f->svc, .kind = WRITE, .party = "first", .wait_for_queue = 4};
    struct part before = {.svc = &f->svc, .kind = WRITE, .party = "before"};
    struct part reader = {.svc = &f->svc, .kind = READ_ONLY, .look_for = "before"};
    struct part bad = {.svc = &f->svc, .kind = WRITE_THEN_FAIL, .party = "bad"};
    struct part after = {.svc = &f->svc, .kind = WRITE, .party = "after"};
    start(&first);
    wait_until_writing(&f->svc);
    struct part *queue[] = {&before, &reader, &bad, &after};
    for (size_t i = 0; i < 4; i++) {
        start(queue[i]);
        wait_until_queued(&f->svc, i + 1);
    }
    join(&first);
    for (size_t i = 0; i < 4; i++)
        join(queue[i]);
    assert_int_equal(first.status, DC_OK);
    assert_int_equal(before.status, DC_STORE);
    assert_int_equal(reader.status, DC_OK);
    assert_true(reader.saw);
    assert_int_equal(bad.status, DC_STORE);
    assert_int_equal(after.status, DC_OK);
    assert_true(exists(f, "first"));
    assert_false(exists(f, "before"));
    assert_false(exists(f, "bad"));
    assert_true(exists(f, "after"));
    /* the chain goes on from the last committed record: no gap where the group was */
    struct part later = {.svc = &f->svc, .kind = WRITE, .party = "later"};
    start(&later);
    join(&later);
    assert_int_equal(later.status, DC_OK);
    chain_verifies(f);
}

/* Many threads at once: every write committed exactly once, the chain whole. */
static void test_many_threads(void **state)
{
    struct fixture *f = *state;
    enum { N = 24 };
    struct part parts[N];
    char names[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "party%02d", i);
        parts[i] = (struct part){.svc = &f->svc, .kind = WRITE, .party = names[i]};
        start(&parts[i]);
    }
    for (int i = 0; i < N; i++) {
        join(&parts[i]);
        assert_int_equal(parts[i].status, DC_OK);
        assert_true(exists(f, names[i]));
    }
    chain_verifies(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parts_waiting_commit_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_rolls_back_its_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
