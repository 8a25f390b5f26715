/*
 * test_webhook.c - the webhook module's pure parts: the HMAC-SHA256 and the
 * request signature (RFC 4231 vectors), the event type matcher and its
 * checks, URL checks and the request body.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "modules/webhook/webhook.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <sodium.h>

static void test_webhook_hmac__rfc4231(void **state)
{
    static const char data2[] = "what do ya want for nothing?";
    static const char data6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    unsigned char key6[131];
    char hex[WEBHOOK_HMAC_HEX_LEN];

    (void)state;
    assert_true(sodium_init() >= 0);
    /* Test case 2: a key shorter than the block. */
    webhook_hmac_hex("Jefe", 4, data2, strlen(data2), hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 6: a key longer than the block (hashed first). */
    memset(key6, 0xaa, sizeof(key6));
    webhook_hmac_hex(key6, sizeof(key6), data6, strlen(data6), hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_webhook_signature__timestamp_dot_body(void **state)
{
    const char *body = "{\"id\":7}";
    char sig[WEBHOOK_SIGNATURE_LEN], hex[WEBHOOK_HMAC_HEX_LEN];
    const char *signed_text = "1764381600.{\"id\":7}";

    (void)state;
    webhook_signature("Jefe", 1764381600, body, strlen(body), sig);
    webhook_hmac_hex("Jefe", 4, signed_text, strlen(signed_text), hex);
    assert_int_equal(strncmp(sig, "sha256=", 7), 0);
    assert_string_equal(sig + 7, hex);
    assert_int_equal(strlen(sig), 7 + 64);
    /* Another secret, another signature. */
    {
        char other[WEBHOOK_SIGNATURE_LEN];
        webhook_signature("Jefe2", 1764381600, body, strlen(body), other);
        assert_string_not_equal(sig, other);
    }
}

static void test_webhook_type_matches__table(void **state)
{
    static const struct {
        const char *events, *type;
        bool want;
    } cases[] = {
        {"matter.notify", "matter.notify", true},
        {"matter.notify", "matter.notified", false},
        {"matter.notify", "matter", false},
        {"matter.*", "matter.notify", true},
        {"matter.*", "matter.a.b", true},
        {"matter.*", "matter", false},
        {"matter.*", "matters.notify", false},
        {"case.*,unit.created", "unit.created", true},
        {"case.*, unit.created", "unit.created", true},
        {"case.*,unit.created", "unit.updated", false},
        {"case.*,unit.created", "case.mediation.overdue", true},
        {"*", "anything.at.all", true},
        {"unit.created", "", false},
        {"", "unit.created", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (webhook_type_matches(cases[i].events, cases[i].type) != cases[i].want)
            fail_msg("\"%s\" matching \"%s\" should be %s", cases[i].events, cases[i].type,
                     cases[i].want ? "true" : "false");
    }
}

static void test_webhook_events_normalise__table(void **state)
{
    static const struct {
        const char *in, *want; /* want NULL: refused */
    } cases[] = {
        {"matter.notify", "matter.notify"},
        {" matter.notify , case.* ", "matter.notify,case.*"},
        {"*", "*"},
        {"unit_x.created-1", "unit_x.created-1"},
        {"", NULL},
        {",", NULL},
        {"matter.notify,", NULL},
        {"Matter.notify", NULL},
        {"matter..notify", NULL},
        {".notify", NULL},
        {"matter.", NULL},
        {"matter*", NULL},
        {"*.notify", NULL},
        {"matter.*.x", NULL},
        {".*", NULL},
        {"matter notify", NULL},
    };
    struct arena *a = arena_new();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec = {0};
        const char *out = NULL;
        int rc = webhook_events_normalise(a, cases[i].in, "events", &out, &ec);
        if (cases[i].want) {
            if (rc != 0)
                fail_msg("\"%s\" refused: %s", cases[i].in, ec.message);
            assert_string_equal(out, cases[i].want);
        } else {
            if (rc != ERR_INVALID)
                fail_msg("\"%s\" accepted", cases[i].in);
            assert_string_equal(ec.field, "events");
        }
    }
    arena_free(a);
}

static void test_webhook_url_check__table(void **state)
{
    static const struct {
        const char *url;
        bool ok;
    } cases[] = {
        {"http://127.0.0.1:8080/hook", true}, {"https://sms.example.cn/api/notify?x=1", true},
        {"HTTPS://example.cn/", true},        {"ftp://example.cn/", false},
        {"file:///etc/passwd", false},        {"gopher://x/", false},
        {"example.cn/hook", false},           {"http://", false},
        {"http://exa mple.cn/", false},       {"", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec = {0};
        int rc = webhook_url_check(cases[i].url, "url", &ec);
        if ((rc == 0) != cases[i].ok)
            fail_msg("\"%s\" should be %s", cases[i].url, cases[i].ok ? "accepted" : "refused");
        if (rc < 0) {
            assert_int_equal(rc, ERR_INVALID);
            assert_string_equal(ec.field, "url");
        }
    }
}

static void test_webhook_body__shape(void **state)
{
    /* 2026-11-29T10:00:00+08:00 is 02:00:00 UTC. */
    char *body = webhook_body(42, "matter.notify", 1795917600000LL,
                              "{\"code\":\"CX-1\",\"state\":\"replied\"}");

    (void)state;
    assert_non_null(body);
    assert_string_equal(body, "{\"id\":42,\"type\":\"matter.notify\",\"at\":\"2026-11-29T10:00:00+"
                              "08:00\",\"data\":{\"code\":\"CX-1\",\"state\":\"replied\"}}");
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_hmac__rfc4231),
        cmocka_unit_test(test_webhook_signature__timestamp_dot_body),
        cmocka_unit_test(test_webhook_type_matches__table),
        cmocka_unit_test(test_webhook_events_normalise__table),
        cmocka_unit_test(test_webhook_url_check__table),
        cmocka_unit_test(test_webhook_body__shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
