/* fair.c - fair use per party: a token bucket per (party, class) for writes, messages and
 * position reports, in one fixed table that no party can grow
 *
 * Only authenticated parties reach a bucket, and parties exist only when the operator creates
 * them, so the table is keyed by party name and sized once: DC_FAIR_STRIPES stripes of
 * DC_FAIR_SLOTS slots. A stripe is chosen by a keyed hash of the name (SipHash with a key drawn
 * at start, so no name can be picked to land on another's stripe), and has its own mutex, held
 * for a few comparisons and one refill: requests of different parties rarely meet on a lock, and
 * never wait on the store or on each other's work. Past DC_FAIR_STRIPES * DC_FAIR_SLOTS parties
 * (4,096) a party whose stripe is full shares the stripe's spare bucket with the others there:
 * the service degrades towards a shared limit, it never allocates. */
#include "api_internal.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#define DC_FAIR_STRIPES 64
#define DC_FAIR_SLOTS 64

struct bucket {
    double tokens;
    dc_time_us last; /* monotonic; 0: never used (full) */
};

struct slot {
    char party[DC_ID_MAX];
    struct bucket buckets[DC_RATE_CLASSES];
};

struct stripe {
    pthread_mutex_t lock;
    size_t used;
    struct slot slots[DC_FAIR_SLOTS];
    struct slot spare; /* the parties of a full stripe */
};

struct dc_fair {
    dc_rate defaults[DC_RATE_CLASSES];
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
    struct stripe stripes[DC_FAIR_STRIPES];
};

dc_status dc__fair_new(const dc_rate defaults[DC_RATE_CLASSES], dc_fair **out)
{
    *out = NULL;
    for (int c = 0; c < DC_RATE_CLASSES; c++)
        if (!(defaults[c].per_s > 0) || !(defaults[c].burst >= 1))
            return DC_INVALID;
    if (sodium_init() < 0)
        return DC_INTERNAL;
    dc_fair *f = dc_malloc(sizeof *f);
    if (f == NULL)
        return DC_NOMEM;
    memset(f, 0, sizeof *f);
    memcpy(f->defaults, defaults, sizeof f->defaults);
    randombytes_buf(f->hash_key, sizeof f->hash_key);
    for (size_t i = 0; i < DC_FAIR_STRIPES; i++)
        pthread_mutex_init(&f->stripes[i].lock, NULL);
    *out = f;
    return DC_OK;
}

void dc__fair_free(dc_fair *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < DC_FAIR_STRIPES; i++)
        pthread_mutex_destroy(&f->stripes[i].lock);
    dc_free(f);
}

void dc__fair_rate(const dc_fair *f, const dc_rate overrides[DC_RATE_CLASSES], dc_rate_class c,
                   dc_rate *out)
{
    *out = f->defaults[c];
    if (overrides != NULL && overrides[c].per_s > 0)
        out->per_s = overrides[c].per_s;
    if (overrides != NULL && overrides[c].burst > 0)
        out->burst = overrides[c].burst;
}

/* The party's slot in its (locked) stripe: found, taken, or the spare. */
static struct slot *slot_of(struct stripe *st, const char *party)
{
    for (size_t i = 0; i < st->used; i++)
        if (strcmp(st->slots[i].party, party) == 0)
            return &st->slots[i];
    if (st->used == DC_FAIR_SLOTS)
        return &st->spare;
    struct slot *s = &st->slots[st->used++];
    dc_copy_text(s->party, sizeof s->party, party);
    return s;
}

long dc__fair_take(dc_fair *f, const char *party, const dc_rate overrides[DC_RATE_CLASSES],
                   dc_rate_class c, double n, dc_time_us now)
{
    dc_rate rate;
    dc__fair_rate(f, overrides, c, &rate);
    if (n > rate.burst)
        return -1;
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)party, strlen(party), f->hash_key);
    struct stripe *st = &f->stripes[h[0] % DC_FAIR_STRIPES];
    long wait_s = 0;
    pthread_mutex_lock(&st->lock);
    struct bucket *b = &slot_of(st, party)->buckets[c];
    if (b->last == 0) {
        b->tokens = rate.burst;
    } else if (now > b->last) {
        b->tokens += (double)(now - b->last) / DC_US_PER_S * rate.per_s;
    }
    /* an override lowered since: the bucket never holds more than it may */
    if (b->tokens > rate.burst)
        b->tokens = rate.burst;
    if (now > b->last)
        b->last = now;
    if (b->tokens >= n) {
        b->tokens -= n;
    } else {
        double s = ceil((n - b->tokens) / rate.per_s);
        wait_s = s < 1 ? 1 : s > 86400 ? 86400 : (long)s;
    }
    pthread_mutex_unlock(&st->lock);
    return wait_s;
}
