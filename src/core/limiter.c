/*
 * limiter.c - failures by key in a fixed table (see limiter.h).
 */
#include "core/compat.h"
#include "core/limiter.h"

#include <sodium.h>

uint64_t limiter_key(char kind, const char *s)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    uint64_t k;

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)&kind, 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)s, strlen(s));
    crypto_hash_sha256_final(&st, h);
    memcpy(&k, h, sizeof(k));
    return k ? k : 1;
}

/* The slot of 'key', claiming the stalest of a few candidates when absent.
 * Called with the lock held. */
static struct limiter_slot *slot_of(struct limiter *l, uint64_t key, int64_t now)
{
    struct limiter_slot *victim = NULL;

    for (size_t i = 0; i < 8; i++) {
        struct limiter_slot *s = &l->slots[(key + i) % LIMITER_SLOTS];
        if (s->key == key)
            return s;
        if (!victim || (s->key == 0 && victim->key != 0) ||
            (s->key != 0 && victim->key != 0 && s->locked_until_ms <= now &&
             s->window_start_ms < victim->window_start_ms))
            victim = s;
    }
    *victim = (struct limiter_slot){key, now, 0, 0};
    return victim;
}

bool limiter_locked(struct limiter *l, uint64_t key, int64_t now, int64_t changed_at_ms)
{
    struct limiter_slot *s;
    bool locked;

    pthread_mutex_lock(&l->lock);
    s = slot_of(l, key, now);
    if (s->locked_until_ms > now && s->locked_until_ms - l->lock_ms < changed_at_ms) {
        s->locked_until_ms = 0;
        s->failures = 0;
        s->window_start_ms = now;
    }
    locked = s->locked_until_ms > now;
    pthread_mutex_unlock(&l->lock);
    return locked;
}

void limiter_fail(struct limiter *l, uint64_t key, int max, int64_t now)
{
    struct limiter_slot *s;

    pthread_mutex_lock(&l->lock);
    s = slot_of(l, key, now);
    if (now - s->window_start_ms > l->window_ms) {
        s->window_start_ms = now;
        s->failures = 0;
    }
    if (++s->failures >= max)
        s->locked_until_ms = now + l->lock_ms;
    pthread_mutex_unlock(&l->lock);
}

void limiter_clear(struct limiter *l, uint64_t key, int64_t now)
{
    struct limiter_slot *s;

    pthread_mutex_lock(&l->lock);
    s = slot_of(l, key, now);
    s->failures = 0;
    s->locked_until_ms = 0;
    pthread_mutex_unlock(&l->lock);
}
