/*
 * limiter.c - failures by key in a fixed table (see limiter.h).
 */
#include "core/compat.h"
#include "core/limiter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

#define CANDIDATES 8

static uint64_t key_of(char kind, const void *data, size_t len)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    uint64_t k;

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)&kind, 1);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, h);
    memcpy(&k, h, sizeof(k));
    return k ? k : 1;
}

uint64_t limiter_key(char kind, const char *s)
{
    return key_of(kind, s, strlen(s));
}

uint64_t limiter_address_key(char kind, const char *address)
{
    /* A tag byte, then the bytes that name the client: "4" and the IPv4
       address, or "6" and the /64 of an IPv6 one (one customer's network:
       a host picks any of its 2^64 addresses at will). */
    unsigned char buf[1 + sizeof(struct in6_addr)];
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, address, &a4) == 1) {
        buf[0] = '4';
        memcpy(buf + 1, &a4, 4);
        return key_of(kind, buf, 5);
    }
    if (inet_pton(AF_INET6, address, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            buf[0] = '4';
            memcpy(buf + 1, &a6.s6_addr[12], 4);
            return key_of(kind, buf, 5);
        }
        buf[0] = '6';
        memcpy(buf + 1, a6.s6_addr, 8);
        return key_of(kind, buf, 9);
    }
    return limiter_key(kind, address); /* not an address ("-"): the text */
}

static struct limiter_slot *candidate(struct limiter *l, uint64_t key, size_t i)
{
    return &l->slots[(key + i) % LIMITER_SLOTS];
}

/* The slot of 'key', or NULL. Called with the lock held. */
static struct limiter_slot *slot_find(struct limiter *l, uint64_t key)
{
    for (size_t i = 0; i < CANDIDATES; i++) {
        struct limiter_slot *s = candidate(l, key, i);
        if (s->key == key)
            return s;
    }
    return NULL;
}

/*
 * The slot of 'key', claiming one of its candidates when absent: a free
 * one, else the unlocked one with the oldest window. A locked slot is taken
 * only when all are locked (the one whose lock ends first), so that a flood
 * of new keys cannot erase a lockout. Called with the lock held.
 */
static struct limiter_slot *slot_claim(struct limiter *l, uint64_t key, int64_t now)
{
    struct limiter_slot *s = slot_find(l, key), *free_slot = NULL, *unlocked = NULL, *locked = NULL;

    if (s)
        return s;
    for (size_t i = 0; i < CANDIDATES && !free_slot; i++) {
        s = candidate(l, key, i);
        if (s->key == 0)
            free_slot = s;
        else if (s->locked_until_ms <= now) {
            if (!unlocked || s->window_start_ms < unlocked->window_start_ms)
                unlocked = s;
        } else if (!locked || s->locked_until_ms < locked->locked_until_ms) {
            locked = s;
        }
    }
    s = free_slot ? free_slot : unlocked ? unlocked : locked;
    *s = (struct limiter_slot){key, now, 0, 0};
    return s;
}

bool limiter_locked(struct limiter *l, uint64_t key, int64_t now, int64_t changed_at_ms)
{
    struct limiter_slot *s;
    bool locked = false;

    pthread_mutex_lock(&l->lock);
    s = slot_find(l, key); /* asking claims nothing */
    if (s) {
        if (s->locked_until_ms > now && s->locked_until_ms - l->lock_ms < changed_at_ms) {
            s->locked_until_ms = 0;
            s->failures = 0;
            s->window_start_ms = now;
        }
        locked = s->locked_until_ms > now;
    }
    pthread_mutex_unlock(&l->lock);
    return locked;
}

void limiter_fail(struct limiter *l, uint64_t key, int max, int64_t now)
{
    struct limiter_slot *s;

    pthread_mutex_lock(&l->lock);
    s = slot_claim(l, key, now);
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

    (void)now;
    pthread_mutex_lock(&l->lock);
    s = slot_find(l, key); /* nothing to forget for an unknown key */
    if (s) {
        s->failures = 0;
        s->locked_until_ms = 0;
    }
    pthread_mutex_unlock(&l->lock);
}
