/* archive.c - archive segments: gzip'd NDJSON, one file per period, chained and signed
 *
 * A segment is a file of JSON lines, appended one gzip member per batch of rows (zlib reads
 * the members as one stream). Its lines are:
 *   {"checkpoint":{...},"signature":hex}   first, and after every batch; the last one of a
 *                                          closed segment says "closed":true
 *   {"audit":{seq, time, actor, action, object, recipients, detail, prev_hash, hash, signature}}
 *   {"alert":{id, time, body, copies:[{to, extra?}]}}   as every recipient read it
 *   {"notice":{id, time, to, body}}  {"message":{id, time, from, to, body, acknowledged}}
 *   {"object":{row, kind, owner, id, version, state, priority, public, admitted, body,
 *              volumes (base64 of dc_volume_pack), created, updated, digest}}
 * Every line is folded into a running BLAKE2b digest, d = H(d | length | line), which starts
 * from H("deconflict-archive-v1" | segment number | the previous segment's final digest). A
 * checkpoint states the segment's number, how many lines precede it and their digest, the
 * previous segment's digest, the audit chain before the segment (seq and hash; 0 and zeros at
 * its start) and after its last record, whether it closes the segment, and the signing key; the
 * server signs all of that with its Ed25519 key. So a segment verifies on its own (its first
 * record links to the chain's hash it states, its last record's hash is signed, every line is
 * under a signature) and as part of the whole: segment N states N and N-1's final digest, so a
 * missing, reordered, renamed or altered segment breaks either a signature or a link, and the
 * audit records go on from one segment to the next and into the live store.
 *
 * Appending is exact: the live store commits each segment's length and digest in the same
 * transaction that deletes the archived rows; a write that never committed is cut off before the
 * next (dc_archive_write), so a crash between the two loses no row and duplicates none.
 * Compression: gzip level 3 (level 6 took twice the time for 4 % fewer bytes on alerts).
 */
#include "deconflict/archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define ARCHIVE_FORMAT "deconflict-archive-v1"
#define GZIP_LEVEL 3
#define LINE_FLAGS (JSON_COMPACT)

static const char *const retained_names[DC_RETAIN_COUNT] = {"audit", "alerts", "notices",
                                                            "messages", "objects"};
/* the line's member name per kind */
static const char *const line_names[DC_RETAIN_COUNT] = {"audit", "alert", "notice", "message",
                                                        "object"};

const char *dc_retained_name(dc_retained kind)
{
    return (unsigned)kind < DC_RETAIN_COUNT ? retained_names[kind] : "unknown";
}

dc_status dc_retained_parse(const char *name, size_t length, dc_retained *out)
{
    for (int k = 0; k < DC_RETAIN_COUNT; k++)
        if (strlen(retained_names[k]) == length && strncmp(name, retained_names[k], length) == 0) {
            *out = (dc_retained)k;
            return DC_OK;
        }
    return DC_INVALID;
}

int64_t dc_archive_file_number(const char *name)
{
    static const char prefix[] = "segment-";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return 0;
    int64_t n = 0;
    const char *p = name + sizeof prefix - 1;
    for (; *p >= '0' && *p <= '9' && n < INT64_C(100000000000); p++)
        n = n * 10 + (*p - '0');
    return *p == '-' ? n : 0;
}

/* ---- digests and checkpoints ---- */

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    crypto_generichash_update(st, b, sizeof b);
}

static void digest_start(int64_t number, const uint8_t prev_segment[DC_HASH_BYTES],
                         uint8_t out[DC_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DC_HASH_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)ARCHIVE_FORMAT, strlen(ARCHIVE_FORMAT));
    put_u64(&st, (uint64_t)number);
    crypto_generichash_update(&st, prev_segment, DC_HASH_BYTES);
    crypto_generichash_final(&st, out, DC_HASH_BYTES);
}

static void digest_fold(uint8_t digest[DC_HASH_BYTES], const char *line, size_t length)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DC_HASH_BYTES);
    crypto_generichash_update(&st, digest, DC_HASH_BYTES);
    put_u64(&st, length);
    crypto_generichash_update(&st, (const uint8_t *)line, length);
    crypto_generichash_final(&st, digest, DC_HASH_BYTES);
}

/* What a checkpoint says; its signature is over checkpoint_hash() of these. */
struct checkpoint {
    int64_t segment, lines, chain_before_seq, chain_seq;
    uint8_t digest[DC_HASH_BYTES], prev_segment[DC_HASH_BYTES];
    uint8_t chain_before_hash[DC_HASH_BYTES], chain_hash[DC_HASH_BYTES];
    int closed;
    dc_time_us time;
    uint8_t key[DC_PUBLIC_KEY_BYTES];
};

static void checkpoint_hash(const struct checkpoint *c, uint8_t out[DC_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DC_HASH_BYTES);
    static const char domain[] = "deconflict-archive-checkpoint-v1";
    crypto_generichash_update(&st, (const uint8_t *)domain, sizeof domain - 1);
    put_u64(&st, (uint64_t)c->segment);
    put_u64(&st, (uint64_t)c->lines);
    crypto_generichash_update(&st, c->digest, DC_HASH_BYTES);
    crypto_generichash_update(&st, c->prev_segment, DC_HASH_BYTES);
    put_u64(&st, (uint64_t)c->chain_before_seq);
    crypto_generichash_update(&st, c->chain_before_hash, DC_HASH_BYTES);
    put_u64(&st, (uint64_t)c->chain_seq);
    crypto_generichash_update(&st, c->chain_hash, DC_HASH_BYTES);
    put_u64(&st, (uint64_t)c->closed);
    put_u64(&st, (uint64_t)c->time);
    crypto_generichash_update(&st, c->key, DC_PUBLIC_KEY_BYTES);
    crypto_generichash_final(&st, out, DC_HASH_BYTES);
}

static json_t *hex_json(const uint8_t *bytes, size_t len)
{
    char text[2 * DC_SIGNATURE_BYTES + 1];
    dc_hex(bytes, len, text);
    return json_string(text);
}

/* ---- writing ---- */

struct dc_archive_batch {
    dc_segment state; /* as it will stand once written */
    int fresh;        /* a new segment: its file starts with this batch */
    char *text;       /* the lines, each ending in '\n' */
    size_t length, capacity;
    size_t rows;
    uint8_t public_key[DC_PUBLIC_KEY_BYTES], secret_key[DC_SECRET_KEY_BYTES];
};

static dc_status append_line(dc_archive_batch *b, json_t *line)
{
    char *text = json_dumps(line, LINE_FLAGS);
    json_decref(line);
    if (text == NULL)
        return DC_NOMEM;
    size_t n = strlen(text);
    if (b->length + n + 1 > b->capacity) {
        size_t cap = b->capacity ? b->capacity : 64 * 1024;
        while (cap < b->length + n + 1)
            cap *= 2;
        char *grown = dc_realloc(b->text, cap);
        if (grown == NULL) {
            free(text);
            return DC_NOMEM;
        }
        b->text = grown;
        b->capacity = cap;
    }
    memcpy(b->text + b->length, text, n);
    b->text[b->length + n] = '\n';
    b->length += n + 1;
    digest_fold(b->state.digest, text, n);
    b->state.lines++;
    free(text);
    return DC_OK;
}

/* The checkpoint line that vouches for every line of the batch's segment so far. */
static dc_status add_checkpoint(dc_archive_batch *b, int closed, dc_time_us now)
{
    struct checkpoint c;
    memset(&c, 0, sizeof c);
    c.segment = b->state.number;
    c.lines = b->state.lines;
    memcpy(c.digest, b->state.digest, DC_HASH_BYTES);
    memcpy(c.prev_segment, b->state.prev_segment, DC_HASH_BYTES);
    c.chain_before_seq = b->state.chain_before_seq;
    memcpy(c.chain_before_hash, b->state.chain_before_hash, DC_HASH_BYTES);
    c.chain_seq = b->state.chain_seq;
    memcpy(c.chain_hash, b->state.chain_hash, DC_HASH_BYTES);
    c.closed = closed;
    c.time = now;
    memcpy(c.key, b->public_key, DC_PUBLIC_KEY_BYTES);
    uint8_t h[DC_HASH_BYTES], sig[DC_SIGNATURE_BYTES];
    checkpoint_hash(&c, h);
    if (crypto_sign_detached(sig, NULL, h, DC_HASH_BYTES, b->secret_key) != 0)
        return DC_INTERNAL;
    json_t *line = json_pack(
        "{s:{s:s,s:I,s:I,s:o,s:o,s:I,s:o,s:I,s:o,s:b,s:I,s:o},s:o}", "checkpoint", "format",
        ARCHIVE_FORMAT, "segment", (json_int_t)c.segment, "lines", (json_int_t)c.lines, "digest",
        hex_json(c.digest, DC_HASH_BYTES), "prev_segment", hex_json(c.prev_segment, DC_HASH_BYTES),
        "chain_before_seq", (json_int_t)c.chain_before_seq, "chain_before_hash",
        hex_json(c.chain_before_hash, DC_HASH_BYTES), "chain_seq", (json_int_t)c.chain_seq,
        "chain_hash", hex_json(c.chain_hash, DC_HASH_BYTES), "closed", closed, "time",
        (json_int_t)c.time, "key", hex_json(c.key, DC_PUBLIC_KEY_BYTES), "signature",
        hex_json(sig, DC_SIGNATURE_BYTES));
    return line != NULL ? append_line(b, line) : DC_NOMEM;
}

static void period_name(dc_time_us start, char out[32])
{
    time_t t = (time_t)(start / 1000000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)start);
}

dc_status dc_archive_batch_new(const dc_segment *last, dc_time_us now, dc_time_us period_us,
                               const uint8_t pk[DC_PUBLIC_KEY_BYTES],
                               const uint8_t sk[DC_SECRET_KEY_BYTES], dc_archive_batch **out)
{
    *out = NULL;
    dc_archive_batch *b = dc_calloc(1, sizeof *b);
    if (b == NULL)
        return DC_NOMEM;
    memcpy(b->public_key, pk, DC_PUBLIC_KEY_BYTES);
    memcpy(b->secret_key, sk, DC_SECRET_KEY_BYTES);
    if (last != NULL && !last->closed) {
        b->state = *last;
        *out = b;
        return DC_OK;
    }
    dc_segment *s = &b->state;
    s->number = last != NULL ? last->number + 1 : 1;
    if (last != NULL) {
        memcpy(s->prev_segment, last->digest, DC_HASH_BYTES);
        s->chain_before_seq = s->chain_seq = last->chain_seq;
        memcpy(s->chain_before_hash, last->chain_hash, DC_HASH_BYTES);
        memcpy(s->chain_hash, last->chain_hash, DC_HASH_BYTES);
    }
    dc_time_us start = period_us > 0 ? now - ((now % period_us) + period_us) % period_us : now;
    char when[32];
    period_name(start, when);
    snprintf(s->file, sizeof s->file, "segment-%06lld-%s.ndjson.gz", (long long)s->number, when);
    s->opened = now;
    digest_start(s->number, s->prev_segment, s->digest);
    b->fresh = 1;
    dc_status rc = add_checkpoint(b, 0, now);
    if (rc != DC_OK) {
        dc_archive_batch_free(b);
        return rc;
    }
    *out = b;
    return DC_OK;
}

void dc_archive_batch_free(dc_archive_batch *b)
{
    if (b == NULL)
        return;
    dc_free(b->text);
    sodium_memzero(b->secret_key, sizeof b->secret_key);
    dc_free(b);
}

size_t dc_archive_batch_rows(const dc_archive_batch *b)
{
    return b->rows;
}

static json_t *audit_json(const dc_audit_record *r)
{
    json_t *sig = dc_audit_signed(r) ? hex_json(r->signature, DC_SIGNATURE_BYTES) : json_string("");
    return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "seq", (json_int_t)r->seq, "time",
                     (json_int_t)r->time, "actor", r->actor, "action", r->action, "object",
                     r->object, "recipients", r->recipients, "detail", r->detail, "prev_hash",
                     hex_json(r->prev_hash, DC_HASH_BYTES), "hash",
                     hex_json(r->hash, DC_HASH_BYTES), "signature", sig);
}

static json_t *row_json(const dc_expired *row)
{
    const char *body = row->body != NULL ? row->body : "";
    switch (row->kind) {
    case DC_RETAIN_AUDIT:
        return audit_json(row->audit);
    case DC_RETAIN_ALERTS: {
        json_t *copies = json_array();
        for (size_t k = 0; k < row->copies; k++) {
            json_t *c = json_pack("{s:s}", "to", row->recipients[k]);
            if (row->extras != NULL && row->extras[k] != NULL)
                json_object_set_new(c, "extra", json_string(row->extras[k]));
            json_array_append_new(copies, c);
        }
        return json_pack("{s:I,s:I,s:s,s:o}", "id", (json_int_t)row->key, "time",
                         (json_int_t)row->time, "body", body, "copies", copies);
    }
    case DC_RETAIN_NOTICES:
        return json_pack("{s:I,s:I,s:s,s:s}", "id", (json_int_t)row->key, "time",
                         (json_int_t)row->time, "to", row->recipients[0], "body", body);
    case DC_RETAIN_MESSAGES:
        return json_pack("{s:I,s:I,s:s,s:s,s:s,s:b}", "id", (json_int_t)row->key, "time",
                         (json_int_t)row->time, "from", row->sender, "to", row->recipients[0],
                         "body", body, "acknowledged", row->check != 0);
    case DC_RETAIN_OBJECTS: {
        size_t size = sodium_base64_encoded_len(row->volumes_size, sodium_base64_VARIANT_ORIGINAL);
        char *volumes = dc_malloc(size);
        if (volumes == NULL)
            return NULL;
        sodium_bin2base64(volumes, size, row->volumes, row->volumes_size,
                          sodium_base64_VARIANT_ORIGINAL);
        json_t *j = json_pack(
            "{s:I,s:s,s:s,s:s,s:I,s:s,s:i,s:b,s:s,s:s,s:s,s:I,s:I,s:o}", "row",
            (json_int_t)row->key, "kind", row->object_kind, "owner", row->owner, "id", row->id,
            "version", (json_int_t)row->version, "state", row->state, "priority", row->priority,
            "public", row->is_public, "admitted", row->admitted ? row->admitted : "", "body", body,
            "volumes", volumes, "created", (json_int_t)row->created, "updated",
            (json_int_t)row->time, "digest", hex_json(row->digest, DC_HASH_BYTES));
        dc_free(volumes);
        return j;
    }
    default:
        return NULL;
    }
}

dc_status dc_archive_add(dc_archive_batch *b, const dc_expired *row,
                         const uint8_t pk[DC_PUBLIC_KEY_BYTES], dc_error *err)
{
    if ((unsigned)row->kind >= DC_RETAIN_COUNT)
        return dc_error_set(err, DC_INVALID, "kind", DC_NO_POSITION, "no such kind of row");
    if (row->kind == DC_RETAIN_AUDIT) {
        const dc_audit_record *r = row->audit;
        if (r->seq != b->state.chain_seq + 1)
            return dc_error_set(err, DC_CONFLICT, "audit", DC_NO_POSITION,
                                "audit record %lld follows %lld in the live store: not archived",
                                (long long)r->seq, (long long)b->state.chain_seq);
        if (sodium_memcmp(r->prev_hash, b->state.chain_hash, DC_HASH_BYTES) != 0)
            return dc_error_set(err, DC_CONFLICT, "audit", DC_NO_POSITION,
                                "audit record %lld does not chain to the record before it:"
                                " not archived",
                                (long long)r->seq);
        dc_status ok = dc_audit_check(r, pk, err);
        if (ok != DC_OK)
            return ok;
    }
    json_t *inner = row_json(row);
    if (inner == NULL)
        return DC_NOMEM;
    json_t *line = json_object();
    if (line == NULL || json_object_set_new(line, line_names[row->kind], inner) != 0) {
        json_decref(line);
        return DC_NOMEM;
    }
    dc_segment before = b->state;
    size_t length = b->length;
    dc_status rc = append_line(b, line);
    if (rc != DC_OK) {
        b->state = before;
        b->length = length;
        return rc;
    }
    if (row->kind == DC_RETAIN_AUDIT) {
        b->state.chain_seq = row->audit->seq;
        memcpy(b->state.chain_hash, row->audit->hash, DC_HASH_BYTES);
    }
    b->state.rows[row->kind]++;
    b->rows++;
    return DC_OK;
}

/* One gzip member holding `length` bytes of `text`; *out is dc_malloc'd. */
static dc_status gzip_member(const char *text, size_t length, uint8_t **out, size_t *out_length)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return DC_NOMEM;
    size_t cap = deflateBound(&z, (uLong)length) + 64;
    uint8_t *buf = dc_malloc(cap);
    if (buf == NULL) {
        deflateEnd(&z);
        return DC_NOMEM;
    }
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)length;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int zr = deflate(&z, Z_FINISH);
    *out_length = cap - z.avail_out;
    deflateEnd(&z);
    if (zr != Z_STREAM_END) {
        dc_free(buf);
        return DC_NOMEM;
    }
    *out = buf;
    return DC_OK;
}

static dc_status write_all(int fd, const uint8_t *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return DC_STORE;
        data += n;
        length -= (size_t)n;
    }
    return DC_OK;
}

/* A segment's first append that never committed, made in another period, has another name:
 * the store never knew it, so it goes. */
static void remove_uncommitted(const char *dir, int64_t number, const char *keep)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (dc_archive_file_number(e->d_name) != number || strcmp(e->d_name, keep) == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

dc_status dc_archive_write(dc_archive_batch *b, const char *dir, int closing, dc_segment *out,
                           dc_error *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    dc_time_us now = (dc_time_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    dc_segment committed = b->state;
    int64_t committed_bytes = b->fresh ? 0 : b->state.bytes;
    dc_status rc = add_checkpoint(b, closing, now);
    if (rc != DC_OK)
        return dc_error_set(err, rc, "", DC_NO_POSITION, "cannot sign the checkpoint");
    uint8_t *gz = NULL;
    size_t gz_length = 0;
    if (gzip_member(b->text, b->length, &gz, &gz_length) != DC_OK)
        return dc_error_set(err, DC_NOMEM, "", DC_NO_POSITION, "cannot compress the batch");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, b->state.file);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        dc_free(gz);
        return dc_error_set(err, DC_STORE, "archive", DC_NO_POSITION, "cannot create %s: %s", dir,
                            strerror(errno));
    }
    /* the archive holds what the store held: as private, whatever the umask (files.c) */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    struct stat st;
    rc = fd >= 0 && fstat(fd, &st) == 0 && fchmod(fd, 0600) == 0 ? DC_OK : DC_STORE;
    if (rc != DC_OK)
        dc_error_set(err, DC_STORE, "archive", DC_NO_POSITION, "cannot open %s: %s", path,
                     strerror(errno));
    else if (st.st_size < committed_bytes)
        rc = dc_error_set(err, DC_STORE, "archive", DC_NO_POSITION,
                          "%s holds %lld bytes, the store committed %lld: the archive was"
                          " damaged; archiving stops",
                          path, (long long)st.st_size, (long long)committed_bytes);
    /* whatever lies past the committed length was written by an append that never committed */
    if (rc == DC_OK && (ftruncate(fd, committed_bytes) != 0 ||
                        lseek(fd, committed_bytes, SEEK_SET) != committed_bytes ||
                        write_all(fd, gz, gz_length) != DC_OK || fdatasync(fd) != 0))
        rc = dc_error_set(err, DC_STORE, "archive", DC_NO_POSITION, "cannot write %s: %s", path,
                          strerror(errno));
    if (fd >= 0)
        close(fd);
    dc_free(gz);
    if (rc == DC_OK && b->fresh)
        remove_uncommitted(dir, b->state.number, b->state.file);
    if (rc == DC_OK && b->fresh) {
        /* the new file's name must outlive a power cut as well as its bytes */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            rc = dc_error_set(err, DC_STORE, "archive", DC_NO_POSITION, "cannot sync %s", dir);
        if (dfd >= 0)
            close(dfd);
    }
    if (rc != DC_OK) {
        b->state = committed; /* as it was: the caller commits nothing */
        return rc;
    }
    b->state.bytes = committed_bytes + (int64_t)gz_length;
    b->state.closed = closing;
    b->state.updated = now;
    *out = b->state;
    return DC_OK;
}

/* ---- reading ---- */

struct reader {
    const uint8_t *pinned;
    uint8_t key[DC_PUBLIC_KEY_BYTES];
    int have_key;
    int (*row)(void *, const dc_archived *);
    void (*problem)(void *, const char *);
    void *ctx;
    dc_segment state;   /* as the lines read so far make it */
    dc_segment vouched; /* as the last valid checkpoint states it */
    int64_t line, vouched_line;
    int started, closed, stop, faults;
    const char *name;
};

static void fault(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fault(struct reader *r, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->faults++;
    if (r->problem != NULL) {
        char full[700];
        snprintf(full, sizeof full, "archive %s line %lld: %s", r->name, (long long)r->line, text);
        r->problem(r->ctx, full);
    }
}

static int hex_field(json_t *obj, const char *name, uint8_t *out, size_t len)
{
    const char *text = json_string_value(json_object_get(obj, name));
    return text != NULL && dc_unhex(text, out, len) == DC_OK;
}

static int64_t int_field(json_t *obj, const char *name)
{
    return json_integer_value(json_object_get(obj, name));
}

/* Whether the checkpoint line is valid: signed by the key and stating exactly what was read. */
static int on_checkpoint(struct reader *r, json_t *line)
{
    json_t *c = json_object_get(line, "checkpoint");
    struct checkpoint cp;
    memset(&cp, 0, sizeof cp);
    uint8_t sig[DC_SIGNATURE_BYTES];
    const char *format = json_string_value(json_object_get(c, "format"));
    int ok = json_is_object(c) && format != NULL && strcmp(format, ARCHIVE_FORMAT) == 0 &&
             hex_field(c, "digest", cp.digest, DC_HASH_BYTES) &&
             hex_field(c, "prev_segment", cp.prev_segment, DC_HASH_BYTES) &&
             hex_field(c, "chain_before_hash", cp.chain_before_hash, DC_HASH_BYTES) &&
             hex_field(c, "chain_hash", cp.chain_hash, DC_HASH_BYTES) &&
             hex_field(c, "key", cp.key, DC_PUBLIC_KEY_BYTES) &&
             hex_field(line, "signature", sig, DC_SIGNATURE_BYTES);
    if (!ok) {
        fault(r, "a checkpoint that cannot be read");
        return 0;
    }
    cp.segment = int_field(c, "segment");
    cp.lines = int_field(c, "lines");
    cp.chain_before_seq = int_field(c, "chain_before_seq");
    cp.chain_seq = int_field(c, "chain_seq");
    cp.closed = json_is_true(json_object_get(c, "closed"));
    cp.time = int_field(c, "time");
    if (!r->started) {
        /* the first line states the segment: everything after is measured against it */
        if (cp.lines != 0) {
            fault(r, "the segment does not begin with its signed header");
            return 0;
        }
        r->started = 1;
        r->state.number = cp.segment;
        memcpy(r->state.prev_segment, cp.prev_segment, DC_HASH_BYTES);
        r->state.chain_before_seq = r->state.chain_seq = cp.chain_before_seq;
        memcpy(r->state.chain_before_hash, cp.chain_before_hash, DC_HASH_BYTES);
        memcpy(r->state.chain_hash, cp.chain_before_hash, DC_HASH_BYTES);
        digest_start(cp.segment, cp.prev_segment, r->state.digest);
        r->state.opened = cp.time;
        if (r->pinned == NULL && !r->have_key) {
            memcpy(r->key, cp.key, DC_PUBLIC_KEY_BYTES);
            r->have_key = 1;
        }
    }
    uint8_t h[DC_HASH_BYTES];
    checkpoint_hash(&cp, h);
    const uint8_t *key = r->pinned != NULL ? r->pinned : r->key;
    if (crypto_sign_verify_detached(sig, h, DC_HASH_BYTES, key) != 0) {
        fault(r, "the checkpoint's signature is not the server key's");
        return 0;
    }
    if (cp.segment != r->state.number || cp.lines != r->state.lines ||
        sodium_memcmp(cp.digest, r->state.digest, DC_HASH_BYTES) != 0 ||
        sodium_memcmp(cp.prev_segment, r->state.prev_segment, DC_HASH_BYTES) != 0 ||
        cp.chain_before_seq != r->state.chain_before_seq ||
        sodium_memcmp(cp.chain_before_hash, r->state.chain_before_hash, DC_HASH_BYTES) != 0) {
        fault(r,
              "the lines before this checkpoint are not the ones it signed (%lld lines"
              " signed, %lld read): a line was changed, added, removed or moved",
              (long long)cp.lines, (long long)r->state.lines);
        return 0;
    }
    if (cp.chain_seq != r->state.chain_seq ||
        sodium_memcmp(cp.chain_hash, r->state.chain_hash, DC_HASH_BYTES) != 0) {
        fault(r,
              "the checkpoint signs the audit chain up to %lld, the segment holds it up to"
              " %lld",
              (long long)cp.chain_seq, (long long)r->state.chain_seq);
        return 0;
    }
    r->state.closed = cp.closed;
    r->state.updated = cp.time;
    return 1;
}

static dc_status audit_from_json(json_t *a, dc_audit_record *r)
{
    DC_AUDIT_RECORD_CLEAR(r);
    static const struct {
        const char *name;
        size_t offset, size;
    } texts[] = {
        {"actor", offsetof(dc_audit_record, actor), sizeof r->actor},
        {"action", offsetof(dc_audit_record, action), sizeof r->action},
        {"object", offsetof(dc_audit_record, object), sizeof r->object},
        {"recipients", offsetof(dc_audit_record, recipients), sizeof r->recipients},
        {"detail", offsetof(dc_audit_record, detail), sizeof r->detail},
    };
    r->seq = int_field(a, "seq");
    r->time = int_field(a, "time");
    int damaged = !json_is_integer(json_object_get(a, "seq"));
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *v = json_string_value(json_object_get(a, texts[i].name));
        /* a text that does not fit its field was not written by this server */
        if (v == NULL || strlen(v) >= texts[i].size)
            damaged = 1;
        dc_copy_text((char *)r + texts[i].offset, texts[i].size, v);
    }
    const char *sig = json_string_value(json_object_get(a, "signature"));
    if (!hex_field(a, "prev_hash", r->prev_hash, DC_HASH_BYTES) ||
        !hex_field(a, "hash", r->hash, DC_HASH_BYTES) || sig == NULL ||
        (sig[0] != '\0' && dc_unhex(sig, r->signature, DC_SIGNATURE_BYTES) != DC_OK))
        damaged = 1;
    if (damaged)
        r->hash[0] ^= 0x5a; /* can never verify */
    return damaged ? DC_INVALID : DC_OK;
}

static void on_line(struct reader *r, const char *text, size_t length)
{
    r->line++;
    if (r->closed) {
        fault(r, "a line after the segment was closed");
        r->closed = 0; /* said once */
    }
    json_error_t jerr;
    json_t *line = json_loadb(text, length, 0, &jerr);
    if (line == NULL || !json_is_object(line)) {
        fault(r, "not a JSON object");
        json_decref(line);
        if (r->started)
            digest_fold(r->state.digest, text, length);
        r->state.lines++;
        return;
    }
    int vouching = 0;
    if (json_object_get(line, "checkpoint") != NULL) {
        vouching = on_checkpoint(r, line);
    } else if (!r->started) {
        fault(r, "the segment does not begin with its signed header");
    } else {
        int kind = -1;
        for (int k = 0; k < DC_RETAIN_COUNT && kind < 0; k++)
            if (json_object_get(line, line_names[k]) != NULL)
                kind = k;
        json_t *inner = kind >= 0 ? json_object_get(line, line_names[kind]) : NULL;
        dc_archived item = {(dc_retained)(kind < 0 ? 0 : kind), r->line, NULL, NULL, NULL};
        if (kind < 0 || !json_is_object(inner)) {
            fault(r, "a line of no known kind");
        } else if (kind == DC_RETAIN_AUDIT) {
            dc_audit_record rec;
            if (audit_from_json(inner, &rec) != DC_OK)
                fault(r, "an audit record that cannot be read");
            if (rec.seq != r->state.chain_seq + 1)
                fault(r,
                      "audit record %lld where %lld was due (a record is missing, repeated"
                      " or out of order)",
                      (long long)rec.seq, (long long)r->state.chain_seq + 1);
            if (sodium_memcmp(rec.prev_hash, r->state.chain_hash, DC_HASH_BYTES) != 0)
                fault(r, "audit record %lld does not chain to the record before it",
                      (long long)rec.seq);
            dc_error err;
            if (dc_audit_check(&rec, r->pinned != NULL ? r->pinned : r->key, &err) != DC_OK)
                fault(r, "%s", err.message);
            r->state.chain_seq = rec.seq;
            memcpy(r->state.chain_hash, rec.hash, DC_HASH_BYTES);
            item.audit = &rec;
            if (r->row != NULL && !r->stop && r->row(r->ctx, &item) != 0)
                r->stop = 1;
        } else if (kind == DC_RETAIN_OBJECTS) {
            char ref[256];
            uint8_t digest[DC_HASH_BYTES];
            const char *k = json_string_value(json_object_get(inner, "kind"));
            const char *o = json_string_value(json_object_get(inner, "owner"));
            const char *i = json_string_value(json_object_get(inner, "id"));
            if (k == NULL || o == NULL || i == NULL ||
                !hex_field(inner, "digest", digest, DC_HASH_BYTES)) {
                fault(r, "an object that cannot be read");
            } else {
                snprintf(ref, sizeof ref, "%s/%s/%s", k, o, i);
                item.object_ref = ref;
                item.object_digest = digest;
                if (r->row != NULL && !r->stop && r->row(r->ctx, &item) != 0)
                    r->stop = 1;
            }
        } else if (r->row != NULL && !r->stop && r->row(r->ctx, &item) != 0) {
            r->stop = 1;
        }
        if (kind >= 0)
            r->state.rows[kind]++;
    }
    json_decref(line);
    if (r->started)
        digest_fold(r->state.digest, text, length);
    r->state.lines++;
    if (vouching) {
        /* the segment as it stands after its checkpoint line: what the next one links to */
        r->vouched = r->state;
        r->vouched_line = r->line;
        r->closed = r->state.closed;
    }
}

dc_status dc_archive_read(const char *path, int64_t limit, const uint8_t pk[DC_PUBLIC_KEY_BYTES],
                          int (*row)(void *, const dc_archived *),
                          void (*problem)(void *, const char *), void *ctx, dc_segment *out,
                          uint8_t signer[DC_PUBLIC_KEY_BYTES])
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return DC_STORE;
    struct reader r;
    memset(&r, 0, sizeof r);
    r.pinned = pk;
    r.row = row;
    r.problem = problem;
    r.ctx = ctx;
    const char *slash = strrchr(path, '/');
    r.name = slash ? slash + 1 : path;
    z_stream z;
    memset(&z, 0, sizeof z);
    dc_status rc = inflateInit2(&z, 15 + 32) == Z_OK ? DC_OK : DC_NOMEM;
    size_t in_cap = 64 * 1024, out_cap = 256 * 1024, line_cap = 4096, line_len = 0;
    uint8_t *in = dc_malloc(in_cap), *outbuf = dc_malloc(out_cap);
    char *line = dc_malloc(line_cap);
    if (in == NULL || outbuf == NULL || line == NULL)
        rc = DC_NOMEM;
    int64_t consumed = 0;
    int ended = 1, broken = 0;
    while (rc == DC_OK && !broken && !r.stop) {
        size_t want = in_cap;
        if (limit >= 0 && consumed + (int64_t)want > limit)
            want = (size_t)(limit - consumed);
        ssize_t got = want > 0 ? read(fd, in, want) : 0;
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        consumed += got;
        z.next_in = in;
        z.avail_in = (uInt)got;
        while (z.avail_in > 0 && !broken) {
            if (ended) {
                /* a new gzip member: one per append */
                inflateReset(&z);
                ended = 0;
            }
            z.next_out = outbuf;
            z.avail_out = (uInt)out_cap;
            int zr = inflate(&z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                r.line++;
                fault(&r, "the compressed data is damaged (%s)", z.msg ? z.msg : "zlib");
                broken = 1;
                break;
            }
            size_t n = out_cap - z.avail_out;
            for (size_t i = 0; i < n && rc == DC_OK; i++) {
                char ch = (char)outbuf[i];
                if (ch == '\n') {
                    on_line(&r, line, line_len);
                    line_len = 0;
                    continue;
                }
                if (line_len + 1 >= line_cap) {
                    char *grown = dc_realloc(line, line_cap * 2);
                    if (grown == NULL) {
                        rc = DC_NOMEM;
                        break;
                    }
                    line = grown;
                    line_cap *= 2;
                }
                line[line_len++] = ch;
            }
            if (zr == Z_STREAM_END)
                ended = 1;
            if (zr == Z_BUF_ERROR && n == 0)
                break;
        }
    }
    if (rc == DC_OK && !broken && !r.stop && (!ended || line_len > 0)) {
        r.line++;
        fault(&r, "the file ends inside a compressed member or a line: it was cut short");
    }
    if (rc == DC_OK && !r.stop && r.started && r.line > r.vouched_line)
        fault(&r, "%lld lines after the last checkpoint are vouched for by no signature",
              (long long)(r.line - r.vouched_line));
    if (rc == DC_OK && !r.started && !broken) {
        r.line++;
        fault(&r, "no signed header: not a segment");
    }
    inflateEnd(&z);
    dc_free(in);
    dc_free(outbuf);
    dc_free(line);
    close(fd);
    *out = r.vouched;
    out->bytes = consumed;
    const char *base = r.name;
    dc_copy_text(out->file, sizeof out->file, base);
    if (signer != NULL)
        memcpy(signer, pk != NULL ? pk : r.key, DC_PUBLIC_KEY_BYTES);
    return rc;
}
