/*
 * test_limiter.c - the failure limiter: lockouts survive a flood of new
 * keys, asking claims nothing, and addresses are keyed by client network.
 */
#include "core/compat.h"
#include "core/limiter.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <stdlib.h>

#define WINDOW_MS (15 * 60 * 1000)
#define LOCK_MS   (15 * 60 * 1000)
#define MAX       5
#define T0        ((int64_t)1700000000000)

static struct limiter *limiter_new_for_test(void)
{
    struct limiter *l = calloc(1, sizeof(*l));

    assert_non_null(l);
    pthread_mutex_init(&l->lock, NULL);
    l->window_ms = WINDOW_MS;
    l->lock_ms = LOCK_MS;
    return l;
}

static void limiter_free_for_test(struct limiter *l)
{
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static size_t used_slots(const struct limiter *l)
{
    size_t n = 0;

    for (size_t i = 0; i < LIMITER_SLOTS; i++)
        n += l->slots[i].key != 0;
    return n;
}

static void test_limiter__lock_survives_a_flood(void **state)
{
    struct limiter *l = limiter_new_for_test();
    uint64_t locked[32];
    char text[32];

    (void)state;
    for (size_t k = 0; k < ARRAY_SIZE(locked); k++) {
        snprintf(text, sizeof(text), "attacker-%zu", k);
        locked[k] = limiter_address_key('a', text);
        for (int i = 0; i < MAX; i++)
            limiter_fail(l, locked[k], MAX, T0);
        assert_true(limiter_locked(l, locked[k], T0 + 1, 0));
    }
    /* 10,000 other keys, each failing twice, later than the locks (their
       windows are newer): the table overflows many times over. */
    for (int i = 0; i < 10000; i++) {
        int64_t now = T0 + 1000 + i;
        snprintf(text, sizeof(text), "flood-%d", i);
        limiter_fail(l, limiter_key('a', text), MAX, now);
        limiter_fail(l, limiter_key('a', text), MAX, now);
    }
    for (size_t k = 0; k < ARRAY_SIZE(locked); k++)
        assert_true(limiter_locked(l, locked[k], T0 + 20000, 0));
    /* The lock still ends when it should. */
    assert_false(limiter_locked(l, locked[0], T0 + LOCK_MS + 1, 0));
    limiter_free_for_test(l);
}

static void test_limiter__asking_claims_nothing(void **state)
{
    struct limiter *l = limiter_new_for_test();
    char text[32];

    (void)state;
    for (int i = 0; i < 10000; i++) {
        snprintf(text, sizeof(text), "who-%d", i);
        assert_false(limiter_locked(l, limiter_key('a', text), T0 + i, 0));
        limiter_clear(l, limiter_key('u', text), T0 + i);
    }
    assert_int_equal(used_slots(l), 0);
    /* A failure does claim one. */
    limiter_fail(l, limiter_key('a', "x"), MAX, T0);
    assert_int_equal(used_slots(l), 1);
    limiter_free_for_test(l);
}

static void test_limiter__changed_lifts_the_lock(void **state)
{
    struct limiter *l = limiter_new_for_test();
    uint64_t k = limiter_key('u', "alice");

    (void)state;
    for (int i = 0; i < MAX; i++)
        limiter_fail(l, k, MAX, T0);
    assert_true(limiter_locked(l, k, T0 + 10, 0));
    assert_true(limiter_locked(l, k, T0 + 10, T0 - 5));
    assert_false(limiter_locked(l, k, T0 + 10, T0 + 5)); /* password reset after the lock */
    limiter_free_for_test(l);
}

static void test_limiter__address_key(void **state)
{
    (void)state;
    /* One /64: one key, however the address is written. */
    assert_true(limiter_address_key('a', "2001:db8:1:2::1") ==
                limiter_address_key('a', "2001:db8:1:2:ffff:eeee:dddd:cccc"));
    assert_true(limiter_address_key('a', "2001:db8:1:2::1") ==
                limiter_address_key('a', "2001:0db8:0001:0002:0:0:0:9"));
    /* Another /64, another key. */
    assert_true(limiter_address_key('a', "2001:db8:1:2::1") !=
                limiter_address_key('a', "2001:db8:1:3::1"));
    /* IPv4: the whole address; the mapped form is the same client. */
    assert_true(limiter_address_key('a', "192.0.2.1") != limiter_address_key('a', "192.0.2.2"));
    assert_true(limiter_address_key('a', "192.0.2.1") ==
                limiter_address_key('a', "::ffff:192.0.2.1"));
    /* The kind is part of the key; a non-address is keyed by its text. */
    assert_true(limiter_address_key('a', "192.0.2.1") != limiter_address_key('m', "192.0.2.1"));
    assert_true(limiter_address_key('a', "-") == limiter_key('a', "-"));
    assert_true(limiter_address_key('a', "2001:db8::1") != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limiter__lock_survives_a_flood),
        cmocka_unit_test(test_limiter__asking_claims_nothing),
        cmocka_unit_test(test_limiter__changed_lifts_the_lock),
        cmocka_unit_test(test_limiter__address_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
