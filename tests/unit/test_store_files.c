/* test_store_files.c - the files beside a store: the head file survives a torn append and refuses
 * a damaged record, compacts to its last head; key and head files are 0600 under umask 000; the
 * start-up check reads the head and a short chain */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../src/store/store_internal.h"
#include "deconflict/store.h"
#include "deconflict/store_check.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
    char dir[64], path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dc-files-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/store.db.head", f->dir);
    *state = f;
    return dc_audit_init() == DC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int ignored = system(cmd);
    (void)ignored;
    free(f);
    return 0;
}

static void hash_of(int64_t seq, uint8_t hash[DC_HASH_BYTES])
{
    memset(hash, (int)(seq & 0xff), DC_HASH_BYTES);
    hash[0] = 0xd0;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_head_last_wins(void **state)
{
    struct fixture *f = *state;
    int fd = -1;
    uint8_t h[DC_HASH_BYTES];
    dc_head head;
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_NOT_FOUND);
    for (int64_t seq = 1; seq <= 5; seq++) {
        hash_of(seq, h);
        assert_int_equal(dc__head_append(&fd, f->path, seq, h), DC_OK);
    }
    close(fd);
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_OK);
    assert_int_equal(head.seq, 5);
    hash_of(5, h);
    assert_memory_equal(head.hash, h, DC_HASH_BYTES);
    assert_int_equal(head.torn, 0);
}

/* a power cut during an append leaves part of a record: the one before is the head, and the next
 * append lands on a record boundary */
static void test_head_torn_tail(void **state)
{
    struct fixture *f = *state;
    int fd = -1;
    uint8_t h[DC_HASH_BYTES];
    for (int64_t seq = 1; seq <= 3; seq++) {
        hash_of(seq, h);
        assert_int_equal(dc__head_append(&fd, f->path, seq, h), DC_OK);
    }
    close(fd);
    fd = -1;
    int raw = open(f->path, O_WRONLY | O_APPEND);
    assert_true(raw >= 0);
    assert_int_equal(write(raw, "DCH1\0\0\0\0\4\0\0", 11), 11);
    close(raw);
    dc_head head;
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_OK);
    assert_int_equal(head.seq, 3);
    assert_int_equal(head.torn, 1);
    hash_of(4, h);
    assert_int_equal(dc__head_append(&fd, f->path, 4, h), DC_OK);
    close(fd);
    assert_int_equal(file_size(f->path), 4 * 64);
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_OK);
    assert_int_equal(head.seq, 4);
    assert_int_equal(head.torn, 0);
}

/* a whole last record whose checksum fails is skipped (a torn sector); one before it is damage */
static void test_head_damaged(void **state)
{
    struct fixture *f = *state;
    int fd = -1;
    uint8_t h[DC_HASH_BYTES];
    for (int64_t seq = 1; seq <= 3; seq++) {
        hash_of(seq, h);
        assert_int_equal(dc__head_append(&fd, f->path, seq, h), DC_OK);
    }
    close(fd);
    int raw = open(f->path, O_RDWR);
    uint8_t byte = 0;
    assert_int_equal(pread(raw, &byte, 1, 2 * 64 + 20), 1);
    byte ^= 1;
    assert_int_equal(pwrite(raw, &byte, 1, 2 * 64 + 20), 1);
    dc_head head;
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_OK);
    assert_int_equal(head.seq, 2);
    assert_int_equal(head.torn, 1);
    assert_int_equal(pread(raw, &byte, 1, 64 + 20), 1); /* the middle one too */
    byte ^= 1;
    assert_int_equal(pwrite(raw, &byte, 1, 64 + 20), 1);
    close(raw);
    dc_error err;
    assert_int_equal(dc__head_read(f->path, &head, &err), DC_STORE);
    assert_non_null(strstr(err.message, "no valid record"));
}

/* past its size limit the file is rewritten to the newest head alone */
static void test_head_compacts(void **state)
{
    struct fixture *f = *state;
    int fd = -1;
    uint8_t h[DC_HASH_BYTES];
    int64_t seq;
    off_t largest = 0;
    for (seq = 1; seq <= 5000; seq++) {
        hash_of(seq, h);
        assert_int_equal(dc__head_append(&fd, f->path, seq, h), DC_OK);
        off_t size = file_size(f->path);
        if (size > largest)
            largest = size;
    }
    if (fd >= 0)
        close(fd);
    assert_true(largest <= 4096 * 64);
    assert_true(file_size(f->path) < 5000 * 64);
    dc_head head;
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_OK);
    assert_int_equal(head.seq, 5000);
}

static void test_private_under_umask(void **state)
{
    struct fixture *f = *state;
    mode_t old = umask(0);
    char db[160], key[170];
    snprintf(db, sizeof db, "%s/store.db", f->dir);
    snprintf(key, sizeof key, "%s.key", db);
    dc_store *store = NULL;
    dc_error err;
    assert_int_equal(dc_store_open(db, &store, &err), DC_OK);
    uint8_t pk[DC_PUBLIC_KEY_BYTES], sk[DC_SECRET_KEY_BYTES];
    assert_int_equal(dc_store_begin(store, 1), DC_OK);
    assert_int_equal(dc_store_server_key(store, pk, sk), DC_OK);
    dc_audit_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.action, sizeof r.action, "test");
    snprintf(r.detail, sizeof r.detail, "{}");
    assert_int_equal(dc_store_audit_append(store, &r, sk), DC_OK);
    assert_int_equal(dc_store_commit(store), DC_OK);
    umask(old);
    static const char *const suffixes[] = {"", "-wal", "-shm", ".key", ".head"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[200];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    dc_head head;
    assert_int_equal(dc__head_read(f->path, &head, NULL), DC_OK);
    assert_int_equal(head.seq, r.seq);
    assert_memory_equal(head.hash, r.hash, DC_HASH_BYTES);
    /* another key file beside the store: refused, never used to sign */
    uint8_t other_pk[DC_PUBLIC_KEY_BYTES], other_sk[DC_SECRET_KEY_BYTES];
    assert_int_equal(dc_audit_keypair(other_pk, other_sk), DC_OK);
    assert_int_equal(unlink(key), 0);
    assert_int_equal(dc__key_file_write(key, other_sk, NULL), DC_OK);
    assert_int_equal(dc_store_begin(store, 1), DC_OK);
    assert_int_equal(dc_store_server_key(store, pk, sk), DC_FORBIDDEN);
    assert_int_equal(unlink(key), 0);
    assert_int_equal(dc_store_server_key(store, pk, sk), DC_NOT_FOUND);
    dc_store_rollback(store);
    dc_store_close(store);
    /* the check: the head is in the chain; a head further on is refused */
    dc_store_check_report report;
    assert_int_equal(dc_store_check(db, DC_CHECK_FULL, 10, &report, &err), DC_OK);
    assert_int_equal(report.head_seq, r.seq);
    assert_int_equal(report.chain_checked, 1);
    int fd = -1;
    assert_int_equal(dc__head_append(&fd, f->path, r.seq + 1, r.hash), DC_OK);
    close(fd);
    assert_int_equal(dc_store_check(db, DC_CHECK_QUICK, 10, &report, &err), DC_STORE);
    assert_non_null(strstr(err.message, "behind the head"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_head_last_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_compacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_under_umask, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
