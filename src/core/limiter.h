/*
 * limiter.h - counting failures by key, and locking a key out for a while.
 *
 * A limiter is a fixed table of slots (no allocation, bounded memory under
 * any load): a key is the hash of a kind and a text (limiter_key('a',
 * address)); its failures count within a window, and reaching the maximum
 * locks the key for a period. When the table is full the stalest unlocked
 * one of a few candidate slots is reused, so a flood of new keys forgets old
 * counts rather than growing, but not lockouts (a locked slot is reused only
 * when every candidate is locked). Asking whether a key is locked claims no
 * slot. The counters live in this process only.
 *
 * Users: the failed-login limiter (modules/account), and the tracking-code
 * guard of resident matters (modules/matter), where a key is a client
 * address and a failure a code that names no matter.
 */
#ifndef FAZHI_CORE_LIMITER_H
#define FAZHI_CORE_LIMITER_H

#include <pthread.h>

#define LIMITER_SLOTS 4096

struct limiter_slot {
    uint64_t key; /* 0 = free */
    int64_t window_start_ms;
    int64_t locked_until_ms;
    int failures;
};

struct limiter {
    pthread_mutex_t lock;
    int64_t window_ms; /* failures older than this are forgotten */
    int64_t lock_ms;   /* how long a key stays locked */
    struct limiter_slot slots[LIMITER_SLOTS];
};

/* A static limiter: static struct limiter l = LIMITER_INIT(window, lock); */
#define LIMITER_INIT(window, lock_for)                                                             \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (window), (lock_for),                                           \
        {                                                                                          \
            {                                                                                      \
                0                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* The key of a text of one kind ('u' a login, 'a' an address, ...); never 0. */
uint64_t limiter_key(char kind, const char *s);

/*
 * The key of a client address: an IPv4 address whole (also written as
 * ::ffff:a.b.c.d), an IPv6 address by its /64 (a host can take any address
 * of its network), anything else by its text.
 */
uint64_t limiter_address_key(char kind, const char *address);

/*
 * True while 'key' is locked at 'now'. A lock set before 'changed_at_ms'
 * (when the thing locked was changed since, e.g. an account's password was
 * reset) is lifted; pass 0 when that does not apply.
 */
bool limiter_locked(struct limiter *l, uint64_t key, int64_t now, int64_t changed_at_ms);

/* Counts a failure; the max-th within the window locks the key. */
void limiter_fail(struct limiter *l, uint64_t key, int max, int64_t now);

/* Forgets the key's failures and lock (after a success). */
void limiter_clear(struct limiter *l, uint64_t key, int64_t now);

#endif
