/* files.c - the files beside a store: private modes, the signing key file, the published head
 *
 * Every file the store writes is its owner's alone (0600), whatever the umask: it is created
 * with open(2)'s mode and then fchmod(2)-ed, because open's mode passes through the umask (which
 * may take bits away but never adds them) and fchmod does not; a file found looser is tightened.
 *
 * The head file (<db>.head) is what the store has published: after each synced commit that
 * appended audit records, one 64-byte record is appended and fdatasync-ed before the commit
 * returns (and so before any receipt is answered):
 *     "DCH1" | 4 zero bytes | seq (8, little-endian) | hash (32) | BLAKE2b-128 of the 48 before
 * Append-only rather than rewritten: one append costs one fdatasync, a rewrite by rename costs
 * three syncs (the file, the rename's directory, and the old file's unlink). A power cut can tear
 * only the last record, which a reader skips (its checksum fails) for the one before: that
 * record's commit was never answered. Past HEAD_COMPACT_BYTES the file is rewritten to its last
 * record, atomically (a temporary file synced, renamed over, the directory synced).
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_RECORD_BYTES 64
#define HEAD_COMPACT_BYTES (HEAD_RECORD_BYTES * 4096)

static const char key_magic[] = "deconflict-signing-key-1 ";

int dc__file_create_private(const char *path, int exclusive)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
    int fd = open(path, flags, 0600);
    if (fd < 0)
        return -1;
    if (fchmod(fd, 0600) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

dc_status dc__file_tighten(const char *path, int *was_mode)
{
    struct stat st;
    *was_mode = -1;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? DC_NOT_FOUND : DC_STORE;
    if ((st.st_mode & 077) == 0)
        return DC_OK;
    *was_mode = (int)(st.st_mode & 0777);
    return chmod(path, st.st_mode & 0700 & ~0111u) == 0 ? DC_OK : DC_FORBIDDEN;
}

dc_status dc__dir_sync(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return DC_STORE;
    dc_status rc = fsync(fd) == 0 ? DC_OK : DC_STORE;
    close(fd);
    return rc;
}

static dc_status write_all(int fd, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return DC_STORE;
        p += n;
        size -= (size_t)n;
    }
    return DC_OK;
}

dc_status dc__file_replace(const char *path, const void *data, size_t size)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return DC_INVALID;
    unlink(tmp); /* a leftover of an interrupted replace */
    int fd = dc__file_create_private(tmp, 1);
    if (fd < 0)
        return DC_STORE;
    dc_status rc = write_all(fd, data, size);
    if (rc == DC_OK && fsync(fd) != 0)
        rc = DC_STORE;
    close(fd);
    if (rc == DC_OK && rename(tmp, path) != 0)
        rc = DC_STORE;
    if (rc != DC_OK)
        unlink(tmp);
    return rc == DC_OK ? dc__dir_sync(path) : rc;
}

/* ---- the signing key file ---- */

dc_status dc__key_file_read(const char *path, uint8_t sk[DC_SECRET_KEY_BYTES], dc_error *err)
{
    char text[sizeof key_magic + 2 * DC_SECRET_KEY_BYTES + 8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dc_error_set(err, errno == ENOENT ? DC_NOT_FOUND : DC_STORE, "", DC_NO_POSITION,
                            "cannot read the signing key %s: %s", path, strerror(errno));
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 && fchmod(fd, st.st_mode & 0600) != 0) {
        close(fd);
        return dc_error_set(err, DC_FORBIDDEN, "", DC_NO_POSITION,
                            "the signing key %s is readable by others (mode %03o) and cannot be"
                            " made private: refused",
                            path, (unsigned)(st.st_mode & 0777));
    }
    n = read(fd, text, sizeof text - 1);
    close(fd);
    size_t magic = sizeof key_magic - 1;
    if (n < 0)
        n = 0;
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    if (strlen(text) != magic + 2 * DC_SECRET_KEY_BYTES || memcmp(text, key_magic, magic) != 0 ||
        dc_unhex(text + magic, sk, DC_SECRET_KEY_BYTES) != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "%s is not a signing key file (damaged?)", path);
    return DC_OK;
}

dc_status dc__key_file_write(const char *path, const uint8_t sk[DC_SECRET_KEY_BYTES], dc_error *err)
{
    char text[sizeof key_magic + 2 * DC_SECRET_KEY_BYTES + 8];
    size_t magic = sizeof key_magic - 1;
    memcpy(text, key_magic, magic);
    dc_hex(sk, DC_SECRET_KEY_BYTES, text + magic);
    size_t len = magic + 2 * DC_SECRET_KEY_BYTES;
    text[len++] = '\n';
    /* exclusive: an existing key is never overwritten (it may sign a chain elsewhere) */
    int fd = dc__file_create_private(path, 1);
    dc_status rc = fd < 0 ? DC_STORE : write_all(fd, text, len);
    if (rc == DC_OK && fsync(fd) != 0)
        rc = DC_STORE;
    if (fd >= 0)
        close(fd);
    sodium_memzero(text, sizeof text);
    if (rc == DC_OK)
        rc = dc__dir_sync(path);
    else if (fd >= 0)
        unlink(path);
    if (rc != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "cannot write the signing key %s: %s", path, strerror(errno));
    return DC_OK;
}

/* ---- the published head ---- */

static void head_encode(int64_t seq, const uint8_t hash[DC_HASH_BYTES],
                        uint8_t out[HEAD_RECORD_BYTES])
{
    memset(out, 0, HEAD_RECORD_BYTES);
    memcpy(out, "DCH1", 4);
    for (int i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)((uint64_t)seq >> (8 * i));
    memcpy(out + 16, hash, DC_HASH_BYTES);
    crypto_generichash(out + 48, 16, out, 48, NULL, 0);
}

static int head_decode(const uint8_t in[HEAD_RECORD_BYTES], dc_head *out)
{
    uint8_t check[16];
    crypto_generichash(check, sizeof check, in, 48, NULL, 0);
    if (memcmp(in, "DCH1", 4) != 0 || sodium_memcmp(check, in + 48, sizeof check) != 0)
        return 0;
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
        seq |= (uint64_t)in[8 + i] << (8 * i);
    if (seq == 0 || seq > (uint64_t)INT64_MAX)
        return 0;
    out->seq = (int64_t)seq;
    memcpy(out->hash, in + 16, DC_HASH_BYTES);
    return 1;
}

dc_status dc__head_read(const char *path, dc_head *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? DC_NOT_FOUND
                   : dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                                  "cannot read the head file %s: %s", path, strerror(errno));
    struct stat st;
    dc_status rc = fstat(fd, &st) == 0 ? DC_OK : DC_STORE;
    int64_t records = rc == DC_OK ? (int64_t)st.st_size / HEAD_RECORD_BYTES : 0;
    out->torn = rc == DC_OK && st.st_size % HEAD_RECORD_BYTES != 0;
    /* from the end: the last whole record whose checksum holds; only the last may be torn */
    for (int64_t i = records - 1; rc == DC_OK && i >= 0 && out->seq == 0; i--) {
        uint8_t record[HEAD_RECORD_BYTES];
        if (pread(fd, record, sizeof record, (off_t)(i * HEAD_RECORD_BYTES)) != HEAD_RECORD_BYTES) {
            rc = DC_STORE;
            break;
        }
        if (!head_decode(record, out)) {
            if (i < records - 1 || out->torn)
                break; /* a damaged record before the last: the file is not ours to trust */
            out->torn = 1;
        }
    }
    close(fd);
    if (rc != DC_OK)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION, "cannot read the head file %s",
                            path);
    if (out->seq == 0 && st.st_size > 0)
        return dc_error_set(err, DC_STORE, "", DC_NO_POSITION,
                            "the head file %s (%lld bytes) holds no valid record: damaged", path,
                            (long long)st.st_size);
    return out->seq == 0 ? DC_NOT_FOUND : DC_OK;
}

dc_status dc__head_write(const char *path, int64_t seq, const uint8_t hash[DC_HASH_BYTES])
{
    uint8_t record[HEAD_RECORD_BYTES];
    head_encode(seq, hash, record);
    return dc__file_replace(path, record, sizeof record);
}

dc_status dc__head_append(int *fd, const char *path, int64_t seq, const uint8_t hash[DC_HASH_BYTES])
{
    uint8_t record[HEAD_RECORD_BYTES];
    head_encode(seq, hash, record);
    struct stat named, held;
    /* another process (a `deconflict party` beside the server) may have compacted the file,
     * renaming a new one over it: appends to the old one would be lost */
    if (*fd >= 0 && (stat(path, &named) != 0 || fstat(*fd, &held) != 0 ||
                     named.st_ino != held.st_ino || named.st_dev != held.st_dev)) {
        close(*fd);
        *fd = -1;
    }
    if (*fd < 0) {
        *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (*fd < 0 || fchmod(*fd, 0600) != 0)
            return DC_STORE;
    }
    struct stat st;
    if (fstat(*fd, &st) != 0)
        return DC_STORE;
    if (st.st_size + HEAD_RECORD_BYTES > HEAD_COMPACT_BYTES) {
        /* the new record alone, in place of the file; the old descriptor now names the unlinked
         * file, so it is reopened */
        dc_status rc = dc__file_replace(path, record, sizeof record);
        close(*fd);
        *fd = -1;
        return rc;
    }
    if (st.st_size % HEAD_RECORD_BYTES != 0 &&
        ftruncate(*fd, st.st_size - st.st_size % HEAD_RECORD_BYTES) != 0)
        return DC_STORE; /* a torn record from a power cut must not shift the ones after it */
    if (write_all(*fd, record, sizeof record) != DC_OK || fdatasync(*fd) != 0)
        return DC_STORE;
    return DC_OK;
}

/* A secret key and the public key it must belong to. */
static int key_pair_matches(const uint8_t sk[DC_SECRET_KEY_BYTES],
                            const uint8_t pk[DC_PUBLIC_KEY_BYTES])
{
    uint8_t derived[DC_PUBLIC_KEY_BYTES];
    return crypto_sign_ed25519_sk_to_pk(derived, sk) == 0 &&
           sodium_memcmp(derived, pk, DC_PUBLIC_KEY_BYTES) == 0;
}

dc_status dc__key_pair(const char *path, int stored, uint8_t pk[DC_PUBLIC_KEY_BYTES],
                       uint8_t sk[DC_SECRET_KEY_BYTES])
{
    dc_error err;
    dc_status rc;
    if (stored) {
        rc = dc__key_file_read(path, sk, &err);
        if (rc == DC_OK && !key_pair_matches(sk, pk))
            rc = DC_FORBIDDEN; /* another store's key: it would sign a chain as someone else */
        if (rc != DC_OK)
            sodium_memzero(sk, DC_SECRET_KEY_BYTES);
        return rc;
    }
    /* A new store: a key file already there (a store restored or rebuilt beside its key, or
     * another instance of a shared store first) is kept, else a new pair is made; the file is
     * written before the row, so that a row never names a key that is nowhere. */
    rc = dc__key_file_read(path, sk, &err);
    if (rc == DC_NOT_FOUND) {
        rc = dc_audit_keypair(pk, sk) == DC_OK ? dc__key_file_write(path, sk, &err) : DC_INTERNAL;
        if (rc == DC_STORE) /* written by another process meanwhile: that one is the key */
            rc = dc__key_file_read(path, sk, &err);
    }
    if (rc == DC_OK)
        rc = crypto_sign_ed25519_sk_to_pk(pk, sk) == 0 ? DC_OK : DC_STORE;
    return rc;
}
