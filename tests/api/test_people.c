/*
 * test_people.c - people and their registers over HTTP: masking of resident
 * ID and phone numbers by role, exact search by ID number, scope (a clerk
 * of community A neither sees nor writes community B's people), paging,
 * validation errors that name their field and change nothing, officers with
 * certificates valid on a date and flagged when expiring, legal-literate
 * residents by year, mediators, advisers, and groups with their members in
 * the order a report prints them.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

static struct test_server srv;
static struct client admin, clerka, clerkb, officer, leader;

static int group_setup(void **state)
{
    char login[64];

    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    client_init(&clerkb, &srv);
    client_login_ok(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD);
    unique_name("officer", login, sizeof(login));
    create_user(&admin, login, srv.root_id, "officer", "Officer-pass-1");
    client_init(&officer, &srv);
    client_login_ok(&officer, login, "Officer-pass-1");
    unique_name("leader", login, sizeof(login));
    create_user(&admin, login, srv.root_id, "leader", "Leader-pass-1");
    client_init(&leader, &srv);
    client_login_ok(&leader, login, "Leader-pass-1");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerka);
    client_release(&clerkb);
    client_release(&officer);
    client_release(&leader);
    server_stop(&srv);
    return 0;
}

/* ================================================================
 * Helpers
 * ================================================================ */

/* A valid resident ID number, distinct for each n (sequence n, born
 * 1985-03-12 in Beijing's Chaoyang district); odd n is a man. */
static const char *make_id(int n, char *out)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;

    snprintf(out, 19, "11010519850312%03d", n % 1000);
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
    return out;
}

static int id_seq = 100;

/* Creates a person as 'c' in 'unit' (more members in 'extra', taken);
 * returns the id. */
static int64_t make_person(struct client *c, int64_t unit, const char *name, json_t *extra)
{
    struct response r = {0};
    json_t *body = json_pack("{s:s, s:I}", "name", name, "unit_id", (json_int_t)unit);
    int64_t id;

    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    client_send(c, "POST", "/api/v1/people", body, &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_true(id > 0);
    response_release(&r);
    return id;
}

/* 'tmpl' with its "%lld" replaced by id, into buf (no non-literal format). */
static const char *pathf(char *buf, size_t size, const char *tmpl, long long id)
{
    const char *at = strstr(tmpl, "%lld");
    char num[24];

    snprintf(num, sizeof(num), "%lld", id);
    if (!at)
        snprintf(buf, size, "%s", tmpl);
    else
        snprintf(buf, size, "%.*s%s%s", (int)(at - tmpl), tmpl, num, at + 4);
    return buf;
}

static long send_to(struct client *c, const char *method, struct response *r, json_t *body,
                    const char *tmpl, long long id)
{
    char path[160];
    return client_send(c, method, pathf(path, sizeof(path), tmpl, id), body, r);
}

static long del(struct client *c, struct response *r, const char *tmpl, long long id)
{
    char path[160];
    return client_request(c, "DELETE", pathf(path, sizeof(path), tmpl, id), NULL, NULL, 0, NULL, r);
}

/* Copies 'tmpl' into out with its first "%s" replaced by a and its second
 * by b (a printf without a non-literal format). */
static void fill(char *out, size_t size, const char *tmpl, const char *a, const char *b)
{
    struct strbuf sb = STRBUF_INIT;
    const char *args[2] = {a, b};
    int n = 0;

    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 's' && n < 2) {
            strbuf_adds(&sb, args[n++]);
            p++;
        } else {
            strbuf_addch(&sb, *p);
        }
    }
    snprintf(out, size, "%s", sb.buf);
    strbuf_release(&sb);
}

/* How many people the admin sees (below 200 in these tests). */
static size_t people_count(void)
{
    return list_count(&admin, "/api/v1/people?limit=200");
}

/* The audit log's length as the admin sees it. */
static size_t audit_len(void)
{
    json_t *all = audit_all(&admin);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

/* ================================================================
 * Masking
 * ================================================================ */

static void test_people__numbers_masked_by_role(void **state)
{
    struct response r = {0};
    int64_t id;

    (void)state;
    client_send(&clerka, "POST", "/api/v1/people",
                json_pack("{s:s, s:I, s:s, s:s, s:[s,s]}", "name", "张三", "unit_id",
                          (json_int_t)srv.ca_id, "id_number", "110105198001041234", "phone",
                          "13812345678", "tags", "网格员", "Volunteer"),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    /* The clerk who typed them sees them masked, like every staff member. */
    assert_string_equal(json_str_member(r.json, "id_number"), "110105********1234");
    assert_string_equal(json_str_member(r.json, "phone"), "138****5678");
    assert_true(json_is_true(json_object_get(r.json, "masked")));
    assert_string_equal(json_str_member(r.json, "gender"), "male"); /* from the ID */
    assert_null(strstr(r.body, "110105198001041234"));
    assert_null(strstr(r.body, "13812345678"));

    client_get(&clerka, &r, "/api/v1/people/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "id_number"), "110105********1234");
    assert_null(strstr(r.body, "13812345678"));
    client_get(&leader, &r, "/api/v1/people/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "id_number"), "110105********1234");
    assert_string_equal(json_str_member(r.json, "phone"), "138****5678");

    client_get(&admin, &r, "/api/v1/people/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "id_number"), "110105198001041234");
    assert_string_equal(json_str_member(r.json, "phone"), "13812345678");
    assert_true(json_is_false(json_object_get(r.json, "masked")));
    client_get(&officer, &r, "/api/v1/people/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "id_number"), "110105198001041234");
    assert_string_equal(json_str_member(r.json, "phone"), "13812345678");

    /* Lists mask too; tags come back normalised. */
    client_get(&clerka, &r, "/api/v1/people?id_number=110105198001041234");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_null(strstr(r.body, "110105198001041234"));
    {
        json_t *tags = json_object_get(json_array_get(response_items(&r), 0), "tags");
        assert_int_equal(json_array_size(tags), 2);
        assert_string_equal(json_string_value(json_array_get(tags, 0)), "volunteer");
        assert_string_equal(json_string_value(json_array_get(tags, 1)), "网格员");
    }

    /* The audit log keeps masked numbers only (leaders read it). */
    {
        json_t *all = audit_all(&admin);
        char *text = json_dumps(all, JSON_COMPACT);
        assert_null(strstr(text, "110105198001041234"));
        assert_null(strstr(text, "13812345678"));
        assert_non_null(strstr(text, "110105********1234"));
        free(text);
        json_decref(all);
    }
    response_release(&r);
}

static void test_people__search_by_exact_id_number(void **state)
{
    struct response r = {0};
    char idn[19], other[19], lower[19];
    int64_t id;

    (void)state;
    make_id(id_seq++, idn);
    make_id(id_seq++, other);
    id = make_person(&clerka, srv.ca_id, "李四", json_pack("{s:s}", "id_number", idn));
    make_person(&clerka, srv.ca_id, "王五", json_pack("{s:s}", "id_number", other));

    client_get(&admin, &r, "/api/v1/people?id_number=%s", idn);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_int_equal(json_int_member(json_array_get(response_items(&r), 0), "id"), id);
    client_get(&clerka, &r, "/api/v1/people?id_number=%s", idn);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);

    /* A lowercase x is the same number. */
    assert_string_equal(make_id(8, lower), "11010519850312008X");
    make_person(&admin, srv.ca_id, "赵六", json_pack("{s:s}", "id_number", "11010519850312008x"));
    client_get(&admin, &r, "/api/v1/people?id_number=11010519850312008x");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_string_equal(json_str_member(json_array_get(response_items(&r), 0), "id_number"),
                        "11010519850312008X");

    /* Another community's clerk does not find it; a bad number is an error. */
    client_get(&clerkb, &r, "/api/v1/people?id_number=%s", idn);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 0);
    client_get(&admin, &r, "/api/v1/people?id_number=110105198001041235");
    assert_error(&r, 400, "bad_request", "id_number");
    assert_non_null(strstr(r.body, "身份证号码校验位不正确"));
    response_release(&r);
}

/* ================================================================
 * Scope
 * ================================================================ */

static void test_people__other_community_is_invisible(void **state)
{
    struct response r = {0};
    char idn[19];
    int64_t id = make_person(&clerka, srv.ca_id, "甲社区居民",
                             json_pack("{s:s}", "id_number", make_id(id_seq++, idn)));
    size_t count = people_count(), audits = audit_len();
    char query[64];

    (void)state;
    client_get(&clerkb, &r, "/api/v1/people/%lld", (long long)id);
    assert_error(&r, 404, "not_found", "id");
    assert_null(strstr(r.body, "甲社区居民"));
    send_to(&clerkb, "PATCH", &r, json_pack("{s:s}", "name", "改名"), "/api/v1/people/%lld", id);
    assert_error(&r, 404, "not_found", "id");
    del(&clerkb, &r, "/api/v1/people/%lld", id);
    assert_error(&r, 404, "not_found", "id");
    client_get(&clerkb, &r, "/api/v1/people?limit=200");
    assert_status(&r, 200);
    assert_null(strstr(r.body, "甲社区居民"));
    snprintf(query, sizeof(query), "/api/v1/people?unit=%lld", (long long)srv.ca_id);
    client_get(&clerkb, &r, "%s", query);
    assert_error(&r, 422, "invalid", "unit");
    /* Nor may B place people in A, or move A's people to B. */
    client_send(&clerkb, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "越权", "unit_id", (json_int_t)srv.ca_id), &r);
    assert_error(&r, 422, "invalid", "unit_id");
    send_to(&clerka, "PATCH", &r, json_pack("{s:I}", "unit_id", (json_int_t)srv.cb_id),
            "/api/v1/people/%lld", id);
    assert_error(&r, 422, "invalid", "unit_id");
    /* Nor reach A's registers through the person. */
    client_get(&clerkb, &r, "/api/v1/people/%lld/certificates", (long long)id);
    assert_error(&r, 404, "not_found", "id");
    send_to(&clerkb, "POST", &r,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", "X1", "authority", "某局", "field",
                      "城管", "valid_from", "2024-01-01", "valid_to", "2025-01-01"),
            "/api/v1/people/%lld/certificates", id);
    assert_error(&r, 404, "not_found", "id");
    client_send(&clerkb, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)id, "community_unit_id",
                          (json_int_t)srv.cb_id, "trained_on", "2022-03-01"),
                &r);
    assert_error(&r, 422, "invalid", "person_id");

    assert_int_equal(people_count(), count);
    assert_int_equal(audit_len(), audits);
    client_get(&clerka, &r, "/api/v1/people/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "name"), "甲社区居民");
    assert_int_equal(json_int_member(json_object_get(r.json, "unit"), "id"), srv.ca_id);
    response_release(&r);
}

static void test_people__roles_without_write_are_refused(void **state)
{
    struct response r = {0};
    size_t count = people_count();

    (void)state;
    client_send(&officer, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "执法录入", "unit_id", (json_int_t)srv.ca_id), &r);
    assert_error(&r, 403, "forbidden", NULL);
    assert_int_equal(people_count(), count);
    response_release(&r);
}

/* ================================================================
 * Validation
 * ================================================================ */

static void test_people__bad_input_names_field_and_changes_nothing(void **state)
{
    char ca[32], female[19];
    const struct {
        const char *body, *field, *message;
    } cases[] = {
        {"{\"unit_id\":%s}", "name", NULL},
        {"{\"name\":\"\",\"unit_id\":%s}", "name", NULL},
        {"{\"name\":\"甲\\n乙\",\"unit_id\":%s}", "name", NULL},
        {"{\"name\":\"无单位\"}", "unit_id", NULL},
        {"{\"name\":\"坏单位\",\"unit_id\":999999}", "unit_id", NULL},
        {"{\"name\":\"坏单位\",\"unit_id\":\"ca\"}", "unit_id", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"id_number\":\"110105198001041235\"}", "id_number",
         "身份证号码校验位不正确"},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"id_number\":\"110105194902301234\"}", "id_number",
         "身份证号码中的出生日期无效"},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"id_number\":\"1101051980010412\"}", "id_number",
         "身份证号码应为 18 位"},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"id_number\":\"\"}", "id_number", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"id_number\":110105198001041234}", "id_number", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"phone\":\"12345\"}", "phone", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"phone\":\"+8613812345678\"}", "phone", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"gender\":\"m\"}", "gender", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"gender\":\"male\",\"id_number\":\"%s\"}", "gender",
         "性别与身份证号码不符"},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"tags\":\"网格员\"}", "tags", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"tags\":[\"\"]}", "tags", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"tags\":[\"a,b\"]}", "tags", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"tags\":[1]}", "tags", NULL},
        {"{\"name\":\"甲\",\"unit_id\":%s,\"nickname\":\"小甲\"}", "nickname", NULL},
    };
    struct response r = {0};
    size_t count, audits;
    int64_t id;
    char path[64];

    (void)state;
    snprintf(ca, sizeof(ca), "%lld", (long long)srv.ca_id);
    make_id(id_seq + (id_seq % 2 ? 1 : 0), female); /* an even sequence: a woman */
    id_seq += 2;
    id = make_person(&clerka, srv.ca_id, "原样", json_pack("{s:s}", "phone", "010-12345678"));
    count = people_count();
    audits = audit_len();
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char body[512];
        fill(body, sizeof(body), cases[i].body, ca, female);
        client_request(&clerka, "POST", "/api/v1/people", "application/json", body, strlen(body),
                       NULL, &r);
        assert_error(&r, 422, "invalid", cases[i].field);
        if (cases[i].message && !strstr(r.body, cases[i].message)) {
            harness_note("case %zu: want message %s, got %s\n", i, cases[i].message, r.body);
            fail();
        }
        /* The same mistakes in a change leave the person as it was. */
        if (strstr(cases[i].body, "\"name\":\"甲\"")) {
            snprintf(path, sizeof(path), "/api/v1/people/%lld", (long long)id);
            client_request(&clerka, "PATCH", path, "application/json", body, strlen(body), NULL,
                           &r);
            assert_error(&r, 422, "invalid", cases[i].field);
        }
    }
    assert_int_equal(people_count(), count);
    assert_int_equal(audit_len(), audits);
    client_get(&admin, &r, "/api/v1/people/%lld", (long long)id);
    assert_string_equal(json_str_member(r.json, "name"), "原样");
    assert_string_equal(json_str_member(r.json, "phone"), "010-12345678");
    assert_true(json_is_null(json_object_get(r.json, "id_number")));
    response_release(&r);
}

static void test_people__update_delete_and_conflicts(void **state)
{
    struct response r = {0};
    char a[19], b[19];
    int64_t pa, pb, cert;
    size_t count;

    (void)state;
    make_id(id_seq++, a);
    make_id(id_seq++, b);
    pa = make_person(&clerka, srv.ca_id, "钱七",
                     json_pack("{s:s, s:s}", "id_number", a, "phone", "0755-1234567"));
    pb = make_person(&clerka, srv.ca_id, "孙八", json_pack("{s:s}", "id_number", b));

    send_to(&clerka, "PATCH", &r,
            json_pack("{s:s, s:[s,s,s], s:n, s:s}", "name", "钱七七", "tags", "B", " a ", "b",
                      "phone", "notes", "第二网格"),
            "/api/v1/people/%lld", pa);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "name"), "钱七七");
    assert_int_equal(json_array_size(json_object_get(r.json, "tags")), 2);
    assert_true(json_is_null(json_object_get(r.json, "phone")));
    assert_string_equal(json_str_member(r.json, "notes"), "第二网格");

    /* One live person per ID number. */
    send_to(&clerka, "PATCH", &r, json_pack("{s:s}", "id_number", a), "/api/v1/people/%lld", pb);
    assert_error(&r, 409, "conflict", "id_number");
    client_send(&clerka, "POST", "/api/v1/people",
                json_pack("{s:s, s:I, s:s}", "name", "重号", "unit_id", (json_int_t)srv.ca_id,
                          "id_number", a),
                &r);
    assert_error(&r, 409, "conflict", "id_number");

    /* A person on a register is not deleted under it. */
    send_to(&clerka, "POST", &r,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", "DEL-1", "authority", "区城管局",
                      "field", "城市管理", "valid_from", "2024-01-01", "valid_to", "2026-01-01"),
            "/api/v1/people/%lld/certificates", pa);
    assert_status(&r, 201);
    cert = json_int_member(r.json, "id");
    count = people_count();
    del(&clerka, &r, "/api/v1/people/%lld", pa);
    assert_error(&r, 409, "conflict", "id");
    assert_int_equal(people_count(), count);
    del(&clerka, &r, "/api/v1/certificates/%lld", cert);
    assert_status(&r, 204);
    del(&clerka, &r, "/api/v1/people/%lld", pa);
    assert_status(&r, 204);
    assert_int_equal(people_count(), count - 1);
    client_get(&clerka, &r, "/api/v1/people/%lld", (long long)pa);
    assert_error(&r, 404, "not_found", "id");
    del(&clerka, &r, "/api/v1/people/%lld", pa);
    assert_error(&r, 404, "not_found", "id");
    /* Deleted: its number no longer found, and free for a new record. */
    client_get(&admin, &r, "/api/v1/people?id_number=%s", a);
    assert_int_equal(json_array_size(response_items(&r)), 0);
    make_person(&clerka, srv.ca_id, "钱七（重新登记）", json_pack("{s:s}", "id_number", a));
    response_release(&r);
}

static void test_people__paging_and_filters(void **state)
{
    struct response r = {0};
    char tag[32], next[32] = "";
    int64_t ids[5];
    size_t seen = 0;

    (void)state;
    unique_name("batch", tag, sizeof(tag));
    for (int i = 0; i < 5; i++)
        ids[i] = make_person(&clerka, srv.ca_id, i == 3 ? "欧阳分页" : "分页人",
                             json_pack("{s:[s]}", "tags", tag));
    for (int page = 0; page < 5; page++) {
        json_t *items;
        client_get(&clerka, &r, "/api/v1/people?tag=%s&limit=2%s%s", tag, next[0] ? "&cursor=" : "",
                   next);
        assert_status(&r, 200);
        items = response_items(&r);
        for (size_t i = 0; i < json_array_size(items); i++)
            assert_int_equal(json_int_member(json_array_get(items, i), "id"), ids[seen++]);
        if (json_is_null(json_object_get(r.json, "next_cursor")))
            break;
        assert_int_equal(json_array_size(items), 2);
        snprintf(next, sizeof(next), "%s", json_str_member(r.json, "next_cursor"));
    }
    assert_int_equal(seen, 5);
    client_get(&clerka, &r, "/api/v1/people?tag=%s&q=%%E6%%AC%%A7%%E9%%98%%B3", tag); /* 欧阳 */
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_int_equal(json_int_member(json_array_get(response_items(&r), 0), "id"), ids[3]);
    client_get(&clerka, &r, "/api/v1/people?q=%%25"); /* '%' is a character, not a wildcard */
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 0);
    client_get(&clerka, &r, "/api/v1/people?cursor=abc");
    assert_error(&r, 400, "bad_request", "cursor");
    client_get(&clerka, &r, "/api/v1/people?limit=0");
    assert_error(&r, 400, "bad_request", "limit");
    client_get(&clerka, &r, "/api/v1/people?unit=999999");
    assert_error(&r, 422, "invalid", "unit");
    response_release(&r);
}

/* ================================================================
 * Registers
 * ================================================================ */

static void test_officers__valid_on_and_expiring(void **state)
{
    struct response r = {0};
    char idn[19], num[32];
    int64_t pid, c1, c2;
    json_t *item, *certs;

    (void)state;
    unique_name("ZF", num, sizeof(num));
    pid = make_person(
        &clerka, srv.ca_id, "执法员甲",
        json_pack("{s:s, s:s}", "id_number", make_id(id_seq++, idn), "phone", "13900001111"));
    send_to(&clerka, "POST", &r,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", num, "authority", "区司法局", "field",
                      "综合行政执法", "valid_from", "2024-01-01", "valid_to", "2024-03-15"),
            "/api/v1/people/%lld/certificates", pid);
    assert_status(&r, 201);
    c1 = json_int_member(r.json, "id");
    send_to(&clerka, "POST", &r,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", num, "authority", "市交通局", "field",
                      "道路交通", "valid_from", "2023-01-01", "valid_to", "2025-12-31"),
            "/api/v1/people/%lld/certificates", pid);
    assert_status(&r, 201); /* the same number from another authority */
    c2 = json_int_member(r.json, "id");

    client_get(&clerka, &r, "/api/v1/officers?valid_on=2024-02-01");
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "valid_on"), "2024-02-01");
    item = NULL;
    for (size_t i = 0; i < json_array_size(response_items(&r)); i++)
        if (json_int_member(json_array_get(response_items(&r), i), "id") == pid)
            item = json_array_get(response_items(&r), i);
    assert_non_null(item);
    assert_true(json_is_true(json_object_get(item, "expiring_soon")));
    assert_string_equal(json_str_member(item, "phone"), "139****1111");
    certs = json_object_get(item, "certificates");
    assert_int_equal(json_array_size(certs), 2);
    assert_int_equal(json_int_member(json_array_get(certs, 0), "id"), c1); /* ends first */
    assert_true(json_is_true(json_object_get(json_array_get(certs, 0), "expiring_soon")));
    assert_true(json_is_false(json_object_get(json_array_get(certs, 1), "expiring_soon")));

    client_get(&clerka, &r, "/api/v1/officers?valid_on=2024-06-01");
    item = json_array_get(response_items(&r), 0);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_true(json_is_false(json_object_get(item, "expiring_soon")));
    certs = json_object_get(item, "certificates");
    assert_int_equal(json_array_size(certs), 1);
    assert_int_equal(json_int_member(json_array_get(certs, 0), "id"), c2);
    client_get(&clerka, &r, "/api/v1/officers?valid_on=2025-11-15");
    assert_true(
        json_is_true(json_object_get(json_array_get(response_items(&r), 0), "expiring_soon")));
    client_get(&clerka, &r, "/api/v1/officers?valid_on=2026-01-01");
    assert_int_equal(json_array_size(response_items(&r)), 0);
    client_get(&admin, &r, "/api/v1/officers?valid_on=2024-06-01&unit=%lld", (long long)srv.cb_id);
    assert_int_equal(json_array_size(response_items(&r)), 0);
    client_get(&admin, &r, "/api/v1/officers");
    assert_status(&r, 200); /* today */
    client_get(&clerkb, &r, "/api/v1/officers?valid_on=2024-02-01");
    assert_status(&r, 200);
    assert_null(strstr(r.body, "执法员甲"));
    client_get(&clerka, &r, "/api/v1/officers?valid_on=2024-02-30");
    assert_error(&r, 400, "bad_request", "valid_on");

    /* Certificate checks. */
    {
        const struct {
            json_t *body;
            long status;
            const char *field;
        } cases[] = {
            {json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", num, "authority", "区司法局", "field",
                       "x", "valid_from", "2024-01-01", "valid_to", "2024-12-31"),
             409, "number"},
            {json_pack("{s:s, s:s, s:s, s:s}", "authority", "区司法局", "field", "x", "valid_from",
                       "2024-01-01", "valid_to", "2024-12-31"),
             422, "number"},
            {json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", "N2", "authority", "区司法局",
                       "field", "x", "valid_from", "2024-06-01", "valid_to", "2024-05-31"),
             422, "valid_to"},
            {json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", "N2", "authority", "区司法局",
                       "field", "x", "valid_from", "2024/06/01", "valid_to", "2024-12-31"),
             422, "valid_from"},
            {json_pack("{s:s, s:s, s:s, s:s}", "number", "N2", "authority", "区司法局", "field",
                       "x", "valid_from", "2024-06-01"),
             422, "valid_to"},
            {json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "number", "N2", "authority", "区司法局",
                       "field", "x", "valid_from", "2024-06-01", "valid_to", "2024-12-31",
                       "person_id", (json_int_t)pid),
             422, "person_id"},
        };
        size_t audits = audit_len();
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
            send_to(&clerka, "POST", &r, cases[i].body, "/api/v1/people/%lld/certificates", pid);
            assert_error(&r, cases[i].status, cases[i].status == 409 ? "conflict" : "invalid",
                         cases[i].field);
        }
        send_to(&clerka, "PATCH", &r, json_pack("{s:s}", "valid_to", "2023-12-31"),
                "/api/v1/certificates/%lld", c1);
        assert_error(&r, 422, "invalid", "valid_to");
        send_to(&clerkb, "PATCH", &r, json_pack("{s:s}", "valid_to", "2030-12-31"),
                "/api/v1/certificates/%lld", c1);
        assert_error(&r, 404, "not_found", "id");
        assert_int_equal(audit_len(), audits);
        client_get(&clerka, &r, "/api/v1/people/%lld/certificates", (long long)pid);
        assert_int_equal(json_array_size(response_items(&r)), 2);
    }
    send_to(&clerka, "PATCH", &r, json_pack("{s:s}", "valid_to", "2024-12-31"),
            "/api/v1/certificates/%lld", c1);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "valid_to"), "2024-12-31");
    response_release(&r);
}

static void test_legal_literates__by_year_and_community(void **state)
{
    struct response r = {0};
    int64_t p1 = make_person(&clerka, srv.ca_id, "明白人甲", NULL);
    int64_t p2 = make_person(&clerkb, srv.cb_id, "明白人乙", NULL);
    size_t audits;
    int64_t id;
    char query[96];

    (void)state;
    client_send(&clerka, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)p1, "community_unit_id",
                          (json_int_t)srv.ca_id, "trained_on", "2022-05-01"),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_string_equal(json_str_member(json_object_get(r.json, "community"), "name"), "甲社区");
    client_send(&clerkb, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)p2, "community_unit_id",
                          (json_int_t)srv.cb_id, "trained_on", "2021-11-20"),
                &r);
    assert_status(&r, 201);

    assert_int_equal(list_count(&admin, "/api/v1/legal-literates?year=2022"), 1);
    assert_int_equal(list_count(&admin, "/api/v1/legal-literates?year=2021"), 1);
    assert_int_equal(list_count(&admin, "/api/v1/legal-literates"), 2);
    /* Pages by id with a cursor, like every list. */
    client_get(&admin, &r, "/api/v1/legal-literates?limit=1");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_int_equal(json_int_member(json_array_get(response_items(&r), 0), "id"), id);
    snprintf(query, sizeof(query), "/api/v1/legal-literates?limit=1&cursor=%s",
             json_str_member(r.json, "next_cursor"));
    client_get(&admin, &r, "%s", query);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_true(json_int_member(json_array_get(response_items(&r), 0), "id") > id);
    assert_true(json_is_null(json_object_get(r.json, "next_cursor")));
    client_get(&admin, &r, "/api/v1/legal-literates?cursor=x");
    assert_error(&r, 400, "bad_request", "cursor");
    assert_int_equal(list_count(&clerka, "/api/v1/legal-literates"), 1);
    snprintf(query, sizeof(query), "/api/v1/legal-literates?year=2022&unit=%lld",
             (long long)srv.cb_id);
    assert_int_equal(list_count(&admin, query), 0);
    client_get(&clerkb, &r, "/api/v1/legal-literates/%lld", (long long)id);
    assert_error(&r, 404, "not_found", "id");

    audits = audit_len();
    client_send(&clerka, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)p1, "community_unit_id",
                          (json_int_t)srv.ca_id, "trained_on", "2022-06-01"),
                &r);
    assert_error(&r, 409, "conflict", "person_id");
    client_send(&admin, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)p2, "community_unit_id",
                          (json_int_t)srv.root_id, "trained_on", "2022-06-01"),
                &r);
    assert_error(&r, 422, "invalid", "community_unit_id");
    client_send(&clerka, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)p1, "community_unit_id",
                          (json_int_t)srv.ca_id, "trained_on", "2999-01-01"),
                &r);
    assert_error(&r, 422, "invalid", "trained_on");
    client_send(&clerka, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I}", "person_id", (json_int_t)p1, "community_unit_id",
                          (json_int_t)srv.ca_id),
                &r);
    assert_error(&r, 422, "invalid", "trained_on");
    client_send(&clerka, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)p1, "community_unit_id",
                          (json_int_t)srv.cb_id, "trained_on", "2022-06-01"),
                &r);
    assert_error(&r, 422, "invalid", "community_unit_id");
    client_get(&admin, &r, "/api/v1/legal-literates?year=22");
    assert_error(&r, 400, "bad_request", "year");
    send_to(&clerka, "PATCH", &r, json_pack("{s:I}", "person_id", (json_int_t)p2),
            "/api/v1/legal-literates/%lld", id);
    assert_error(&r, 422, "invalid", "person_id");
    assert_int_equal(audit_len(), audits);

    send_to(&clerka, "PATCH", &r, json_pack("{s:s}", "trained_on", "2023-01-10"),
            "/api/v1/legal-literates/%lld", id);
    assert_status(&r, 200);
    assert_int_equal(list_count(&admin, "/api/v1/legal-literates?year=2022"), 0);
    del(&clerka, &r, "/api/v1/legal-literates/%lld", id);
    assert_status(&r, 204);
    assert_int_equal(list_count(&admin, "/api/v1/legal-literates?year=2023"), 0);
    response_release(&r);
}

static void test_mediators_and_advisers(void **state)
{
    struct response r = {0};
    int64_t m = make_person(&clerka, srv.ca_id, "调解员甲", NULL);
    int64_t lawyer = make_person(&admin, srv.root_id, "律师甲", NULL);
    int64_t id;
    char query[96];

    (void)state;
    client_send(&clerka, "POST", "/api/v1/mediators",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)m, "committee_unit_id",
                          (json_int_t)srv.ca_id, "from", "2021-01-01"),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_true(json_is_null(json_object_get(r.json, "to")));
    client_send(&clerka, "POST", "/api/v1/mediators",
                json_pack("{s:I, s:I, s:s, s:s}", "person_id", (json_int_t)m, "committee_unit_id",
                          (json_int_t)srv.ca_id, "from", "2021-01-01", "to", "2020-12-31"),
                &r);
    assert_error(&r, 422, "invalid", "to");
    client_send(&clerka, "POST", "/api/v1/mediators",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)m, "committee_unit_id",
                          (json_int_t)srv.cb_id, "from", "2021-01-01"),
                &r);
    assert_error(&r, 422, "invalid", "committee_unit_id");
    assert_int_equal(list_count(&clerka, "/api/v1/mediators?active_on=2022-01-01"), 1);
    assert_int_equal(list_count(&clerka, "/api/v1/mediators?active_on=2020-01-01"), 0);
    assert_int_equal(list_count(&clerkb, "/api/v1/mediators"), 0);
    send_to(&clerka, "PATCH", &r, json_pack("{s:s}", "to", "2021-12-31"), "/api/v1/mediators/%lld",
            id);
    assert_status(&r, 200);
    assert_int_equal(list_count(&clerka, "/api/v1/mediators?active_on=2022-01-01"), 0);

    /* An adviser registered at the subdistrict, serving community A. */
    client_send(&admin, "POST", "/api/v1/advisers",
                json_pack("{s:I, s:I, s:s, s:s, s:s}", "person_id", (json_int_t)lawyer, "unit_id",
                          (json_int_t)srv.ca_id, "firm", "某某律师事务所", "contract_from",
                          "2022-01-01", "contract_to", "2022-12-31"),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_int_equal(list_count(&clerka, "/api/v1/advisers?active_on=2022-07-01"), 1);
    assert_int_equal(list_count(&clerka, "/api/v1/advisers?active_on=2023-01-01"), 0);
    assert_int_equal(list_count(&clerkb, "/api/v1/advisers"), 0);
    snprintf(query, sizeof(query), "/api/v1/advisers?person=%lld", (long long)lawyer);
    assert_int_equal(list_count(&admin, query), 1);
    client_send(&admin, "POST", "/api/v1/advisers",
                json_pack("{s:I, s:s, s:s}", "person_id", (json_int_t)lawyer, "firm", "某所",
                          "contract_from", "2022-01-01"),
                &r);
    assert_error(&r, 422, "invalid", "contract_to");
    client_send(&admin, "POST", "/api/v1/advisers",
                json_pack("{s:I, s:s, s:s, s:s}", "person_id", (json_int_t)lawyer, "firm", "",
                          "contract_from", "2022-01-01", "contract_to", "2022-12-31"),
                &r);
    assert_error(&r, 422, "invalid", "firm");
    /* The clerk of A may not register the subdistrict's lawyer herself. */
    client_send(&clerka, "POST", "/api/v1/advisers",
                json_pack("{s:I, s:I, s:s, s:s, s:s}", "person_id", (json_int_t)lawyer, "unit_id",
                          (json_int_t)srv.ca_id, "firm", "某所", "contract_from", "2023-01-01",
                          "contract_to", "2023-12-31"),
                &r);
    assert_error(&r, 422, "invalid", "person_id");
    client_get(&clerka, &r, "/api/v1/advisers/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "firm"), "某某律师事务所");
    response_release(&r);
}

static void test_groups__leading_group_in_report_order(void **state)
{
    struct response r = {0};
    char code[64];
    int64_t office, group, lead, deputy, m1, m2, old;
    json_t *items;

    (void)state;
    unique_name("pab", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "平安办", "type",
                          "department", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    office = json_int_member(r.json, "id");
    client_send(&admin, "POST", "/api/v1/groups",
                json_pack("{s:s, s:I, s:I, s:s}", "name", "法治政府建设领导小组", "unit_id",
                          (json_int_t)srv.root_id, "office_unit_id", (json_int_t)office,
                          "established_on", "2020-03-01"),
                &r);
    assert_status(&r, 201);
    group = json_int_member(r.json, "id");
    assert_string_equal(json_str_member(json_object_get(r.json, "office"), "name"), "平安办");
    client_send(
        &admin, "POST", "/api/v1/groups",
        json_pack("{s:s, s:I}", "name", "法治政府建设领导小组", "unit_id", (json_int_t)srv.root_id),
        &r);
    assert_error(&r, 409, "conflict", "name");

    m1 = make_person(&admin, srv.root_id, "成员甲", NULL);
    lead = make_person(&admin, srv.root_id, "组长", NULL);
    m2 = make_person(&admin, srv.root_id, "成员乙", NULL);
    deputy = make_person(&admin, srv.root_id, "副组长", NULL);
    old = make_person(&admin, srv.root_id, "前任成员", NULL);
    {
        const struct {
            int64_t person;
            const char *position, *from, *to;
        } members[] = {
            {m1, "member", "2020-03-01", NULL},          {lead, "leader", "2021-01-01", NULL},
            {m2, "member", "2020-02-01", NULL},          {deputy, "deputy", "2020-03-01", NULL},
            {old, "member", "2020-03-01", "2021-12-31"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
            json_t *body = json_pack("{s:I, s:s, s:s}", "person_id", (json_int_t)members[i].person,
                                     "position", members[i].position, "from", members[i].from);
            if (members[i].to)
                json_object_set_new(body, "to", json_string(members[i].to));
            send_to(&admin, "POST", &r, body, "/api/v1/groups/%lld/members", group);
            assert_status(&r, 201);
        }
    }
    client_get(&admin, &r, "/api/v1/groups/%lld/members?active_on=2022-06-01", (long long)group);
    assert_status(&r, 200);
    items = response_items(&r);
    assert_int_equal(json_array_size(items), 4);
    assert_string_equal(json_str_member(json_array_get(items, 0), "position_label"), "组长");
    assert_string_equal(json_str_member(json_array_get(items, 1), "position_label"), "副组长");
    assert_int_equal(json_int_member(json_object_get(json_array_get(items, 2), "person"), "id"),
                     m2); /* members by date joined */
    assert_int_equal(json_int_member(json_object_get(json_array_get(items, 3), "person"), "id"),
                     m1);
    client_get(&admin, &r, "/api/v1/groups/%lld", (long long)group);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "members")), 5);

    send_to(&admin, "POST", &r,
            json_pack("{s:I, s:s, s:s}", "person_id", (json_int_t)m1, "position", "chair", "from",
                      "2022-01-01"),
            "/api/v1/groups/%lld/members", group);
    assert_error(&r, 422, "invalid", "position");
    send_to(&admin, "POST", &r,
            json_pack("{s:I, s:s}", "person_id", (json_int_t)m1, "position", "member"),
            "/api/v1/groups/%lld/members", group);
    assert_error(&r, 422, "invalid", "from");
    send_to(&admin, "POST", &r,
            json_pack("{s:I, s:s, s:s}", "person_id", (json_int_t)m1, "position", "member", "from",
                      "2022-01-01"),
            "/api/v1/groups/%lld/members", 999999);
    assert_error(&r, 404, "not_found", "id");
    /* The subdistrict's group is not community A's to see. */
    client_get(&clerka, &r, "/api/v1/groups/%lld", (long long)group);
    assert_error(&r, 404, "not_found", "id");
    client_get(&clerka, &r, "/api/v1/groups/%lld/members", (long long)group);
    assert_error(&r, 404, "not_found", "id");
    assert_int_equal(list_count(&clerka, "/api/v1/groups"), 0);
    del(&admin, &r, "/api/v1/groups/%lld", group);
    assert_error(&r, 409, "conflict", "id");
    send_to(&admin, "PATCH", &r, json_pack("{s:s}", "name", "法治建设领导小组"),
            "/api/v1/groups/%lld", group);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "name"), "法治建设领导小组");
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_people__numbers_masked_by_role),
        cmocka_unit_test(test_people__search_by_exact_id_number),
        cmocka_unit_test(test_people__other_community_is_invisible),
        cmocka_unit_test(test_people__roles_without_write_are_refused),
        cmocka_unit_test(test_people__bad_input_names_field_and_changes_nothing),
        cmocka_unit_test(test_people__update_delete_and_conflicts),
        cmocka_unit_test(test_people__paging_and_filters),
        cmocka_unit_test(test_officers__valid_on_and_expiring),
        cmocka_unit_test(test_legal_literates__by_year_and_community),
        cmocka_unit_test(test_mediators_and_advisers),
        cmocka_unit_test(test_groups__leading_group_in_report_order),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
