/*
 * test_arena.c - region allocation and clean-ups.
 */
#include "core/compat.h"
#include "core/arena.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static int cleanup_order[4];
static int cleanup_count;

static void record_cleanup(void *p)
{
    cleanup_order[cleanup_count++] = *(int *)p;
}

static void test_arena_alloc__aligned_and_distinct(void **state)
{
    struct arena *a = arena_new();
    char *prev = NULL;

    (void)state;
    for (int i = 0; i < 1000; i++) {
        char *p = arena_alloc(a, (size_t)(i % 37) + 1);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_ptr_not_equal(p, prev);
        memset(p, 0xab, (size_t)(i % 37) + 1); /* ASan catches overlap or overrun */
        prev = p;
    }
    arena_free(a);
}

static void test_arena_alloc__big_blocks(void **state)
{
    struct arena *a = arena_new();
    char *small = arena_alloc(a, 10);
    char *big = arena_alloc(a, 100000);
    char *small2 = arena_alloc(a, 10);

    (void)state;
    memset(big, 1, 100000);
    /* The big piece does not waste the current block: the next small piece
     * follows the first one. */
    assert_ptr_equal(small2, small + 16);
    assert_true(arena_used(a) >= 100020);
    arena_free(a);
}

static void test_arena_strdup__copies(void **state)
{
    struct arena *a = arena_new();
    char buf[] = "城西街道";
    char *s = arena_strdup(a, buf);

    (void)state;
    buf[0] = 'x';
    assert_string_equal(s, "城西街道");
    assert_null(arena_strdup(a, NULL));
    assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(arena_printf(a, "%d-%s", 42, "x"), "42-x");
    arena_free(a);
}

static void test_arena_on_free__runs_newest_first(void **state)
{
    struct arena *a = arena_new();
    static int one = 1, two = 2, three = 3;

    (void)state;
    cleanup_count = 0;
    arena_on_free(a, record_cleanup, &one);
    arena_on_free(a, record_cleanup, &two);
    arena_on_free(a, record_cleanup, &three);
    assert_int_equal(cleanup_count, 0);
    arena_free(a);
    assert_int_equal(cleanup_count, 3);
    assert_int_equal(cleanup_order[0], 3);
    assert_int_equal(cleanup_order[2], 1);
}

static void test_arena_calloc__zeroed(void **state)
{
    struct arena *a = arena_new();
    int *v = arena_calloc(a, 100, sizeof(int));

    (void)state;
    for (int i = 0; i < 100; i++)
        assert_int_equal(v[i], 0);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc__aligned_and_distinct),
        cmocka_unit_test(test_arena_alloc__big_blocks),
        cmocka_unit_test(test_arena_strdup__copies),
        cmocka_unit_test(test_arena_on_free__runs_newest_first),
        cmocka_unit_test(test_arena_calloc__zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
