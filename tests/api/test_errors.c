/*
 * test_errors.c - bad requests get a clear error and change nothing.
 *
 * One table of bad requests, one cmocka case each: the status, the JSON
 * error shape {"error":{"code","message","field"}} with the field at fault,
 * Content-Type application/json, the security headers, never a 500; and the
 * audit log and the unit list are the same after the request as before.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

static struct test_server srv;
static struct client admin;

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    server_stop(&srv);
    return 0;
}

/* A unit body with the code "dup-x", a name and a type, plus 'extra' members. */
#define UNIT_BODY(extra) "{\"code\":\"dup-x\",\"name\":\"部门\",\"type\":\"department\"," extra "}"

struct bad_request {
    const char *name;
    const char *method;
    const char *path;
    const char *content_type; /* NULL: none */
    const char *body;         /* "%lld" in it becomes the root id; NULL: none */
    size_t big_body;          /* if not 0: a body of this many bytes instead */
    long status;
    const char *code;
    const char *field; /* NULL: not checked */
    const char *allow; /* for 405: a method the Allow header must list */
    bool chunked;      /* send the body with Transfer-Encoding: chunked */
};

static const struct bad_request cases[] = {
    {"test_request__unknown_path", "GET", "/api/v1/no-such-thing", NULL, NULL, 0, 404, "not_found",
     NULL, NULL, false},
    {"test_request__wrong_method", "PUT", "/api/v1/units", "application/json", "{}", 0, 405,
     "method_not_allowed", NULL, "POST", false},
    {"test_request__wrong_method_on_item", "DELETE", "/api/v1/units/1", NULL, NULL, 0, 405,
     "method_not_allowed", NULL, "GET", false},
    {"test_request__body_over_1mib", "POST", "/api/v1/units", "application/json", NULL,
     1024 * 1024 + 1, 413, "too_large", NULL, NULL, false},
    {"test_request__chunked_body_over_1mib", "POST", "/api/v1/units", "application/json", NULL,
     1024 * 1024 + 1, 413, "too_large", NULL, NULL, true},
    {"test_request__json_as_text_plain", "POST", "/api/v1/units", "text/plain",
     UNIT_BODY("\"parent_id\":%lld"), 0, 415, "unsupported_media_type", NULL, NULL, false},
    {"test_request__json_without_content_type", "POST", "/api/v1/units", NULL,
     UNIT_BODY("\"parent_id\":%lld"), 0, 415, "unsupported_media_type", NULL, NULL, false},
    {"test_request__form_instead_of_json", "POST", "/api/v1/units",
     "application/x-www-form-urlencoded", "code=dup-x&name=x&type=department&parent_id=1", 0, 415,
     "unsupported_media_type", NULL, NULL, false},
    {"test_json__malformed", "POST", "/api/v1/units", "application/json", "{\"code\": \"x\",", 0,
     400, "bad_request", NULL, NULL, false},
    {"test_json__empty_body", "POST", "/api/v1/units", "application/json", "", 0, 400,
     "bad_request", NULL, NULL, false},
    {"test_json__array_body", "POST", "/api/v1/units", "application/json", "[{\"code\":\"dup-x\"}]",
     0, 400, "bad_request", NULL, NULL, false},
    {"test_json__string_body", "POST", "/api/v1/units", "application/json", "\"unit\"", 0, 400,
     "bad_request", NULL, NULL, false},
    {"test_json__trailing_garbage", "POST", "/api/v1/units", "application/json",
     UNIT_BODY("\"parent_id\":%lld") " {}", 0, 400, "bad_request", NULL, NULL, false},
    {"test_json__invalid_utf8", "POST", "/api/v1/units", "application/json",
     UNIT_BODY("\"parent_id\":%lld, \"x\":\"\xff\xfe\""), 0, 400, "bad_request", NULL, NULL, false},
    {"test_json__invalid_utf8_in_known_field", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"utf\",\"name\":\"\xe4\xb8\",\"type\":\"department\",\"parent_id\":%lld}", 0, 400,
     "bad_request", NULL, NULL, false},
    {"test_json__unknown_field", "POST", "/api/v1/units", "application/json",
     UNIT_BODY("\"parent_id\":%lld,\"colour\":\"red\""), 0, 422, "invalid", "colour", NULL, false},
    {"test_json__missing_required_field", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"miss\",\"type\":\"department\",\"parent_id\":%lld}", 0, 422, "invalid", "name",
     NULL, false},
    {"test_json__null_required_field", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"miss\",\"name\":null,\"type\":\"department\",\"parent_id\":%lld}", 0, 422,
     "invalid", "name", NULL, false},
    {"test_json__wrong_type_int", "POST", "/api/v1/units", "application/json",
     UNIT_BODY("\"parent_id\":\"%lld\""), 0, 422, "invalid", "parent_id", NULL, false},
    {"test_json__wrong_type_text", "POST", "/api/v1/units", "application/json",
     "{\"code\":42,\"name\":\"部门\",\"type\":\"department\",\"parent_id\":%lld}", 0, 422,
     "invalid", "code", NULL, false},
    {"test_json__float_for_int", "POST", "/api/v1/units", "application/json",
     UNIT_BODY("\"parent_id\":1.5"), 0, 422, "invalid", "parent_id", NULL, false},
    {"test_json__control_character", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"ctl\",\"name\":\"a\\u0001b\",\"type\":\"department\",\"parent_id\":%lld}", 0, 422,
     "invalid", "name", NULL, false},
    {"test_json__nul_in_string", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"nul\",\"name\":\"a\\u0000b\",\"type\":\"department\",\"parent_id\":%lld}", 0, 400,
     "bad_request", NULL, NULL, false},
    {"test_units__bad_type", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"badtype\",\"name\":\"部门\",\"type\":\"palace\",\"parent_id\":%lld}", 0, 422,
     "invalid", "type", NULL, false},
    {"test_units__bad_code", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"has space\",\"name\":\"部门\",\"type\":\"department\",\"parent_id\":%lld}", 0,
     422, "invalid", "code", NULL, false},
    {"test_units__unknown_parent", "POST", "/api/v1/units", "application/json",
     UNIT_BODY("\"parent_id\":987654"), 0, 422, "invalid", "parent_id", NULL, false},
    {"test_units__duplicate_code", "POST", "/api/v1/units", "application/json",
     "{\"code\":\"ca\",\"name\":\"重复\",\"type\":\"department\",\"parent_id\":%lld}", 0, 409,
     "conflict", "code", NULL, false},
    {"test_users__duplicate_login", "POST", "/api/v1/users", "application/json",
     "{\"login\":\"clerka\",\"name\":\"重复\",\"unit_id\":%lld,\"roles\":[\"staff\"],"
     "\"password\":\"Dup-pass-1234\"}",
     0, 409, "conflict", "login", NULL, false},
    {"test_users__unknown_role", "POST", "/api/v1/users", "application/json",
     "{\"login\":\"newbie\",\"name\":\"新人\",\"unit_id\":%lld,\"roles\":[\"king\"],"
     "\"password\":\"Newbie-pass-1234\"}",
     0, 422, "invalid", "roles", NULL, false},
    {"test_users__short_password", "POST", "/api/v1/users", "application/json",
     "{\"login\":\"newbie\",\"name\":\"新人\",\"unit_id\":%lld,\"roles\":[\"staff\"],"
     "\"password\":\"short\"}",
     0, 422, "invalid", "password", NULL, false},
    {"test_path__id_not_a_number", "GET", "/api/v1/units/abc", NULL, NULL, 0, 404, "not_found",
     NULL, NULL, false},
    {"test_path__id_zero", "GET", "/api/v1/units/0", NULL, NULL, 0, 404, "not_found", NULL, NULL,
     false},
    {"test_path__id_negative", "GET", "/api/v1/units/-1", NULL, NULL, 0, 404, "not_found", NULL,
     NULL, false},
    {"test_path__id_overflow", "GET", "/api/v1/units/99999999999999999999", NULL, NULL, 0, 404,
     "not_found", NULL, NULL, false},
    {"test_path__id_absent", "GET", "/api/v1/units/987654", NULL, NULL, 0, 404, "not_found", NULL,
     NULL, false},
    {"test_path__id_with_suffix", "GET", "/api/v1/units/1x", NULL, NULL, 0, 404, "not_found", NULL,
     NULL, false},
    {"test_path__encoded_slash", "GET", "/api/v1/units/1%2F2", NULL, NULL, 0, 404, "not_found",
     NULL, NULL, false},
    {"test_query__limit_not_a_number", "GET", "/api/v1/audit?limit=abc", NULL, NULL, 0, 400,
     "bad_request", "limit", NULL, false},
    {"test_query__limit_too_large", "GET", "/api/v1/audit?limit=100000", NULL, NULL, 0, 400,
     "bad_request", "limit", NULL, false},
    {"test_query__limit_zero", "GET", "/api/v1/audit?limit=0", NULL, NULL, 0, 400, "bad_request",
     "limit", NULL, false},
    {"test_query__after_negative", "GET", "/api/v1/audit?after=-5", NULL, NULL, 0, 400,
     "bad_request", "after", NULL, false},
    {"test_query__bad_escape", "GET", "/api/v1/audit?entity=%zz", NULL, NULL, 0, 400, "bad_request",
     NULL, NULL, false},
};

/* What a bad request must not change. */
struct counts {
    size_t audit, units;
    int64_t last_audit_id;
};

static void take_counts(struct counts *c)
{
    json_t *all = audit_all(&admin);
    json_t *last = json_array_get(all, json_array_size(all) - 1);

    c->audit = json_array_size(all);
    c->last_audit_id = json_int_member(last, "id");
    c->units = unit_count(&admin);
    json_decref(all);
}

/* 'tmpl' with each "%lld" replaced by the root unit's id, into sb. */
static void fill_body(struct strbuf *sb, const char *tmpl)
{
    const char *p;

    while ((p = strstr(tmpl, "%lld"))) {
        strbuf_add(sb, tmpl, (size_t)(p - tmpl));
        strbuf_addf(sb, "%lld", (long long)srv.root_id);
        tmpl = p + 4;
    }
    strbuf_adds(sb, tmpl);
}

static const char *const chunked_header[] = {"Transfer-Encoding: chunked", NULL};
static const char *const expect_header[] = {"Expect: 100-continue", NULL};

static void run_case(void **state)
{
    const struct bad_request *t = *state;
    struct response r = {0};
    struct counts before, after;
    struct strbuf body = STRBUF_INIT;
    const char *const *extra = NULL;
    char *big = NULL;
    const char *send = NULL;
    size_t len = 0;

    take_counts(&before);
    if (t->big_body) {
        /* A well-formed JSON object, just too long. */
        big = malloc(t->big_body);
        assert_non_null(big);
        memset(big, ' ', t->big_body);
        memcpy(big, "{\"code\":\"big\",\"name\":\"", 22);
        memcpy(big + t->big_body - 2, "\"}", 2);
        for (size_t i = 22; i < t->big_body - 2; i++)
            big[i] = 'a';
        send = big;
        len = t->big_body;
    } else if (t->body) {
        fill_body(&body, t->body);
        send = body.buf;
        len = body.len;
    }
    if (t->chunked)
        extra = chunked_header;
    else if (t->big_body)
        /* As curl and most clients do for big bodies: the server answers 413
         * before any of it is sent. (Without it, the server's early reply
         * and close can reach the client as a reset; see README.md.) */
        extra = expect_header;
    client_request(&admin, t->method, t->path, t->content_type, send, len, extra, &r);
    free(big);
    strbuf_release(&body);
    if (r.status >= 500)
        harness_note("a server error for bad input: %ld %s\n", r.status, r.body);
    assert_error(&r, t->status, t->code, t->field);
    if (t->allow) {
        const char *allow = response_header(&r, "Allow");
        if (!allow || !strstr(allow, t->allow) || strstr(allow, t->method)) {
            harness_note("Allow: %s (want it to list %s, not %s)\n", allow ? allow : "(none)",
                         t->allow, t->method);
            fail();
        }
    }
    response_release(&r);

    /* The server still works, and nothing changed. */
    take_counts(&after);
    assert_int_equal(after.audit, before.audit);
    assert_int_equal(after.last_audit_id, before.last_audit_id);
    assert_int_equal(after.units, before.units);
}

static void test_headers__on_every_reply(void **state)
{
    struct response r = {0};
    struct client anon;

    (void)state;
    client_init(&anon, &srv);
    client_get(&anon, &r, "/healthz");
    assert_status(&r, 200);
    assert_security_headers(&r);
    assert_string_equal(json_str_member(r.json, "status"), "ok");
    client_get(&anon, &r, "/api/v1/units");
    assert_error(&r, 401, "unauthenticated", NULL);
    client_get(&admin, &r, "/api/v1/units");
    assert_status(&r, 200);
    assert_security_headers(&r);
    assert_non_null(strstr(response_header(&r, "Content-Type"), "application/json"));
    client_release(&anon);
    response_release(&r);
}

static void test_request__keep_alive(void **state)
{
    struct response r = {0};
    long connects = -1;

    (void)state;
    /* Replies, errors included, leave the connection open for the next. */
    client_get(&admin, &r, "/api/v1/units");
    assert_status(&r, 200);
    client_get(&admin, &r, "/api/v1/units/abc");
    assert_error(&r, 404, "not_found", NULL);
    client_get(&admin, &r, "/api/v1/units");
    assert_status(&r, 200);
    curl_easy_getinfo(admin.curl, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 0);
    response_release(&r);
}

static void test_json__content_type_with_charset_accepted(void **state)
{
    struct response r = {0};
    char body[256], code[64];
    size_t before = unit_count(&admin);

    (void)state;
    unique_name("charset", code, sizeof(code));
    snprintf(body, sizeof(body),
             "{\"code\":\"%s\",\"name\":\"字符集部门\",\"type\":\"department\",\"parent_id\":%lld}",
             code, (long long)srv.root_id);
    client_request(&admin, "POST", "/api/v1/units", "Application/JSON; charset=utf-8", body,
                   strlen(body), NULL, &r);
    assert_status(&r, 201);
    assert_string_equal(json_str_member(r.json, "name"), "字符集部门");
    assert_int_equal(unit_count(&admin), before + 1);
    response_release(&r);
}

static void test_request__unauthenticated_write_changes_nothing(void **state)
{
    struct response r = {0};
    struct client anon;
    char body[256];
    size_t before = unit_count(&admin);

    (void)state;
    client_init(&anon, &srv);
    snprintf(body, sizeof(body),
             "{\"code\":\"anon\",\"name\":\"匿名\",\"type\":\"department\",\"parent_id\":%lld}",
             (long long)srv.root_id);
    client_request(&anon, "POST", "/api/v1/units", "application/json", body, strlen(body), NULL,
                   &r);
    assert_error(&r, 401, "unauthenticated", NULL);
    assert_int_equal(unit_count(&admin), before);
    client_release(&anon);
    response_release(&r);
}

int main(void)
{
    struct CMUnitTest tests[ARRAY_SIZE(cases) + 4];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        tests[n++] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_headers__on_every_reply);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_request__keep_alive);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_json__content_type_with_charset_accepted);
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test(test_request__unauthenticated_write_changes_nothing);
    return harness_done(
        _cmocka_run_group_tests("test_errors", tests, n, group_setup, group_teardown));
}
