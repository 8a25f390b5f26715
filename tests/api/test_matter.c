/*
 * test_matter.c - resident matters through the real server: the catalog,
 * anonymous submission, the whole workflow seen live on the resident's
 * tracking stream and replayed after a reconnect, scope after assignment,
 * photos (kept by content, refused when too big, too many, or not an
 * image whatever their name), bad input refused with nothing written, the
 * staff's queue filters, and conflicts.
 */
#include "core/compat.h"

#include <ctype.h>
#include <dirent.h>

#include "harness.h"

static struct test_server srv;
static struct client admin, clerka, clerkb, anon;

static int group_setup(void **state)
{
    (void)state;
    harness_serve_args((const char *const[]){"--trusted-proxy", "127.0.0.1", NULL});
    server_start(&srv);
    client_init(&admin, &srv);
    client_init(&clerka, &srv);
    client_init(&clerkb, &srv);
    client_init(&anon, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    client_login_ok(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerka);
    client_release(&clerkb);
    client_release(&anon);
    server_stop(&srv);
    harness_serve_args(NULL);
    return 0;
}

/* ---- helpers ---- */

static json_t *complaint(const char *description)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "type", "complaint", "description",
                     description, "address", "城西社区 3 栋楼下", "phone", "13912345678",
                     "attributes", "category", "noise");
}

/* Submits anonymously; returns the tracking code (static buffer) and the id. */
static const char *submit(const char *description, int64_t *id)
{
    static char code[32];
    struct response r = {0};

    client_send(&anon, "POST", "/api/v1/matters", complaint(description), &r);
    assert_status(&r, 201);
    snprintf(code, sizeof(code), "%s", json_str_member(r.json, "code"));
    if (id) {
        struct response l = {0};
        client_get(&admin, &l, "/api/v1/matters?q=%s&limit=1", "");
        /* the newest matter in the admin's scope is this one */
        *id = json_int_member(json_array_get(response_items(&l), 0), "id");
        assert_string_equal(json_str_member(json_array_get(response_items(&l), 0), "description"),
                            description);
        /* Staff never see the tracking code: only the resident can rate. */
        assert_null(json_object_get(json_array_get(response_items(&l), 0), "code"));
        assert_lacks(l.body, code);
        response_release(&l);
    }
    response_release(&r);
    return code;
}

static long act(struct client *c, int64_t id, const char *transition, json_t *body,
                struct response *r)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/matters/%lld/actions/%s", (long long)id, transition);
    return client_send(c, "POST", path, body ? body : json_object(), r);
}

static int64_t matter_rows(void)
{
    struct response r = {0};
    int64_t n = 0;

    for (int64_t cursor = 0;;) {
        client_get(&admin, &r, "/api/v1/matters?limit=200&cursor=%lld", (long long)cursor);
        assert_status(&r, 200);
        n += (int64_t)json_array_size(response_items(&r));
        if (json_is_null(json_object_get(r.json, "next_cursor")))
            break;
        cursor = json_int_member(r.json, "next_cursor");
    }
    response_release(&r);
    return n;
}

/* How many files the server's photo store holds (DB.files/xx/...). */
static size_t stored_files(void)
{
    char dir[300];
    size_t n = 0;
    DIR *top, *sub;
    struct dirent *e, *f;

    snprintf(dir, sizeof(dir), "%s.files", srv.db);
    top = opendir(dir);
    assert_non_null(top);
    while ((e = readdir(top)) != NULL) {
        char path[600];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (!(sub = opendir(path)))
            continue;
        while ((f = readdir(sub)) != NULL)
            n += f->d_name[0] != '.';
        closedir(sub);
    }
    closedir(top);
    return n;
}

/* A multipart/form-data body. */
struct part {
    const char *name, *filename, *type;
    const void *data;
    size_t len;
};

#define BOUNDARY "fazhiTestBoundary7MA4YWxkTrZu0gW"

static char *multipart(const struct part *parts, size_t n, size_t *len)
{
    size_t cap = 1024;
    char *out;

    for (size_t i = 0; i < n; i++)
        cap += parts[i].len + 256;
    out = malloc(cap);
    assert_non_null(out);
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        *len += (size_t)snprintf(out + *len, cap - *len,
                                 "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"",
                                 parts[i].name);
        if (parts[i].filename)
            *len +=
                (size_t)snprintf(out + *len, cap - *len, "; filename=\"%s\"", parts[i].filename);
        if (parts[i].type)
            *len += (size_t)snprintf(out + *len, cap - *len, "\r\nContent-Type: %s", parts[i].type);
        *len += (size_t)snprintf(out + *len, cap - *len, "\r\n\r\n");
        memcpy(out + *len, parts[i].data, parts[i].len);
        *len += parts[i].len;
        *len += (size_t)snprintf(out + *len, cap - *len, "\r\n");
    }
    *len += (size_t)snprintf(out + *len, cap - *len, "--" BOUNDARY "--\r\n");
    return out;
}

static long post_multipart(struct client *c, const struct part *parts, size_t n, struct response *r)
{
    size_t len;
    char *body = multipart(parts, n, &len);
    long status = client_request(c, "POST", "/api/v1/matters",
                                 "multipart/form-data; boundary=" BOUNDARY, body, len, NULL, r);
    free(body);
    return status;
}

#define TEXT(n, v)                                                                                 \
    {                                                                                              \
        (n), NULL, NULL, (v), sizeof(v) - 1                                                        \
    }

/* A real 1x1 PNG, then arbitrary bytes to make it unique. */
static const unsigned char png_1x1[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
    0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const unsigned char jpeg_head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',
                                          'I',  'F',  0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
                                          0x00, 0x01, 0x00, 0x00, 0xff, 0xd9};

/* ---- tests ---- */

static void test_types__public_catalog(void **state)
{
    struct response r = {0};
    json_t *complaint_type;
    (void)state;

    client_get(&anon, &r, "/api/v1/matter-types");
    assert_status(&r, 200);
    assert_true(json_array_size(response_items(&r)) >= 5);
    complaint_type = json_find(response_items(&r), "code", "complaint");
    assert_non_null(complaint_type);
    assert_string_equal(json_str_member(complaint_type, "name"), "问题反映");
    assert_int_equal(json_int_member(complaint_type, "deadline_days"), 5);
    assert_non_null(json_find(json_object_get(complaint_type, "fields"), "code", "category"));
    response_release(&r);
}

static void test_submit__anonymous_gets_a_code_and_a_masked_view(void **state)
{
    struct response r = {0}, t = {0};
    const char *code;
    char lower[32];
    json_t *m;
    (void)state;

    client_send(&anon, "POST", "/api/v1/matters", complaint("楼下烧烤摊油烟很大"), &r);
    assert_status(&r, 201);
    code = json_str_member(r.json, "code");
    assert_non_null(code);
    assert_int_equal(strlen(code), 12);
    assert_memory_equal(code, "CX-", 3);
    assert_string_equal(json_str_member(r.json, "track_url"),
                        (snprintf(lower, sizeof(lower), "/track/%s", code), lower));
    m = json_object_get(r.json, "matter");
    assert_string_equal(json_str_member(m, "state"), "submitted");
    assert_string_equal(json_str_member(m, "state_label"), "已提交");
    assert_string_equal(json_str_member(m, "phone"), "139****5678");
    assert_non_null(json_str_member(m, "due_on"));
    assert_null(json_object_get(m, "name"));
    assert_int_equal(json_array_size(json_object_get(m, "history")), 1);

    /* Tracking by the code as a person might type it. */
    snprintf(lower, sizeof(lower), "%s", code);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    client_get(&anon, &t, "/api/v1/track/%s", lower);
    assert_status(&t, 200);
    assert_string_equal(json_str_member(t.json, "code"), code);
    assert_string_equal(json_str_member(t.json, "phone"), "139****5678");
    assert_lacks(t.body, "13912345678");
    client_get(&anon, &t, "/api/v1/track/CX-0000-0000");
    assert_error(&t, 404, "not_found", "code");
    response_release(&r);
    response_release(&t);
}

static void test_flow__every_state_live_on_the_tracking_stream(void **state)
{
    struct response r = {0};
    int64_t id;
    const char *code = submit("小区路灯坏了一个月", &id);
    char path[96], first_id[32];
    struct sse_reader *track, *staff, *replay;
    struct sse_event ev[16];
    char *text;
    size_t n;
    (void)state;

    snprintf(path, sizeof(path), "/api/v1/track/%s/events", code);
    track = sse_open_path(&anon, path, NULL);
    staff = sse_open(&clerka, NULL);
    /* The stream is open once the first change arrives on it. */
    assert_status((act(&admin, id, "accept", NULL, &r), &r), 200);
    assert_true(sse_wait_for(track, "\"state\":\"accepted\"", 10000));
    /* Assigned to community A: its clerk sees it from now on, B's does not. */
    act(&admin, id, "assign", json_pack("{s:I}", "unit_id", (json_int_t)srv.ca_id), &r);
    assert_status(&r, 200);
    assert_true(sse_wait_for(track, "\"state\":\"assigned\"", 10000));
    assert_true(sse_wait_for(staff, "case.matter.assign", 10000));
    client_get(&clerka, &r, "/api/v1/matters/%lld", (long long)id);
    assert_status(&r, 200);
    client_get(&clerkb, &r, "/api/v1/matters/%lld", (long long)id);
    assert_error(&r, 404, "not_found", NULL);
    /* The clerk of A takes it from there. */
    assert_status((act(&clerka, id, "start", NULL, &r), &r), 200);
    assert_true(sse_wait_for(track, "\"state\":\"in_progress\"", 10000));
    act(&clerka, id, "resolve", json_pack("{s:s}", "reply", "已更换路灯，感谢反映"), &r);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(json_object_get(r.json, "matter"), "state"), "resolved");
    assert_true(sse_wait_for(track, "已更换路灯，感谢反映", 10000));
    /* The resident rates it by the code. */
    client_send(&anon, "POST", (snprintf(path, sizeof(path), "/api/v1/track/%s/rate", code), path),
                json_pack("{s:i, s:s}", "rating", 5, "comment", "很快"), &r);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "state"), "closed");
    assert_true(sse_wait_for(track, "\"state\":\"closed\"", 10000));

    /* Only this matter's events, with no personal data. */
    text = sse_text(track);
    n = sse_parse(text, ev, 16);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(ev[i].type, "matter.changed");
        assert_non_null(strstr(ev[i].data, code));
        assert_null(strstr(ev[i].data, "13912345678"));
        assert_null(strstr(ev[i].data, "user:"));
    }
    snprintf(first_id, sizeof(first_id), "%lld", (long long)ev[0].id);
    sse_events_release(ev, n);
    free(text);
    sse_close(track);
    sse_close(staff);

    /* A reconnect after the first event replays the four after it. */
    snprintf(path, sizeof(path), "/api/v1/track/%s/events", code);
    replay = sse_open_path(&anon, path, first_id);
    assert_true(sse_wait_for(replay, "\"state\":\"closed\"", 10000));
    text = sse_text(replay);
    n = sse_parse(text, ev, 16);
    assert_int_equal(n, 4);
    {
        json_t *first = json_loads(ev[0].data, 0, NULL);
        assert_string_equal(json_str_member(first, "transition"), "assign");
        json_decref(first);
    }
    sse_events_release(ev, n);
    free(text);
    sse_close(replay);

    /* A stream of a code that does not exist is refused. */
    client_get(&anon, &r, "/api/v1/track/CX-ZZZZ-ZZZZ/events");
    assert_error(&r, 404, "not_found", "code");
    response_release(&r);

    /* The code is the resident's key: the server's log never holds it. (A
     * stream's line is written when the server notices it closed, so the
     * pattern looked for is that of the plain GET of the previous test.) */
    {
        FILE *log = fopen(srv.log, "r");
        char line[2048];
        bool seen_pattern = false;
        assert_non_null(log);
        while (fgets(line, sizeof(line), log)) {
            assert_lacks(line, code + 3); /* "7KQ2-9MWD" of "CX-7KQ2-9MWD" */
            seen_pattern |= strstr(line, "GET /api/v1/track/{code} ") != NULL;
        }
        fclose(log);
        assert_true(seen_pattern);
    }
}

static void test_flow__illegal_and_concurrent_changes_conflict(void **state)
{
    struct response r = {0};
    int64_t id, version;
    (void)state;

    submit("占道经营", &id);
    act(&admin, id, "resolve", json_pack("{s:s}", "reply", "答复"), &r);
    assert_error(&r, 409, "conflict", "transition");
    assert_contains(json_str_member(json_object_get(r.json, "error"), "message"), "已提交");
    act(&admin, id, "fly", NULL, &r);
    assert_error(&r, 422, "invalid", "transition");
    act(&admin, id, "reject", NULL, &r);
    assert_error(&r, 422, "invalid", "reason");
    client_get(&admin, &r, "/api/v1/matters/%lld", (long long)id);
    version = json_int_member(json_object_get(r.json, "matter"), "version");
    act(&admin, id, "accept", json_pack("{s:I}", "version", (json_int_t)version + 5), &r);
    assert_error(&r, 409, "conflict", "version");
    act(&admin, id, "accept", json_pack("{s:I}", "version", (json_int_t)version), &r);
    assert_status(&r, 200);
    /* Residents' steps are not staff actions. */
    act(&admin, id, "rate", json_pack("{s:i}", "rating", 5), &r);
    assert_error(&r, 422, "invalid", "transition");
    /* Staff actions need a session or a token. */
    act(&anon, id, "assign", json_pack("{s:I}", "unit_id", (json_int_t)srv.ca_id), &r);
    assert_error(&r, 401, "unauthenticated", NULL);
    response_release(&r);
}

static void test_submit__bad_input_names_the_field_and_writes_nothing(void **state)
{
    static const struct {
        const char *json;
        long status;
        const char *field;
    } cases[] = {
        {"{\"type\":\"complaint\",\"description\":\"x\",\"phone\":\"13912345678\","
         "\"attributes\":{\"category\":\"noise\"},\"colour\":1}",
         422, "colour"},
        {"{\"description\":\"x\",\"phone\":\"13912345678\"}", 422, "type"},
        {"{\"type\":\"nosuch\",\"description\":\"x\",\"phone\":\"13912345678\"}", 422, "type"},
        {"{\"type\":\"consultation\",\"description\":\"\",\"phone\":\"13912345678\"}", 422,
         "description"},
        {"{\"type\":\"consultation\",\"description\":\"x\",\"phone\":\"12345\"}", 422, "phone"},
        {"{\"type\":\"consultation\",\"description\":\"x\",\"phone\":\"13912345678\","
         "\"lat\":30.1}",
         422, "lon"},
        {"{\"type\":\"consultation\",\"description\":\"x\",\"phone\":\"13912345678\","
         "\"lat\":\"north\",\"lon\":120}",
         422, "lat"},
        {"{\"type\":\"complaint\",\"description\":\"x\",\"phone\":\"13912345678\"}", 422,
         "attribute[category]"},
        {"{\"type\":\"complaint\",\"description\":\"x\",\"phone\":\"13912345678\","
         "\"attributes\":{\"category\":\"ufo\"}}",
         422, "attribute[category]"},
        {"[1,2]", 400, ""},
        {"{\"type\":", 400, ""},
    };
    int64_t before = matter_rows();
    struct response r = {0};
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        client_request(&anon, "POST", "/api/v1/matters", "application/json", cases[i].json,
                       strlen(cases[i].json), NULL, &r);
        assert_error(&r, cases[i].status, cases[i].status == 400 ? "bad_request" : "invalid",
                     cases[i].field);
    }
    assert_int_equal(matter_rows(), before);
    response_release(&r);
}

/* A list of checkboxes repeats its field name in the form. */
static void test_submit__a_form_with_several_values_of_one_field(void **state)
{
    static const char form[] = "type=suggestion&description=%E5%BB%BA%E8%AE%AE&phone=13912345678"
                               "&attribute%5Btopics%5D=traffic&attribute%5Btopics%5D=security";
    static const char bad[] =
        "type=suggestion&description=x&phone=13912345678"
        "&attribute%5Btopics%5D%5B%5D=traffic&attribute%5Btopics%5D%5B%5D=ufo";
    struct response r = {0};
    json_t *topics;
    int64_t id;
    (void)state;

    client_request(&anon, "POST", "/api/v1/matters", "application/x-www-form-urlencoded", form,
                   strlen(form), NULL, &r);
    assert_status(&r, 201);
    client_get(&admin, &r, "/api/v1/matters?limit=1");
    id = json_int_member(json_array_get(response_items(&r), 0), "id");
    client_get(&admin, &r, "/api/v1/matters/%lld", (long long)id);
    topics =
        json_object_get(json_object_get(json_object_get(r.json, "matter"), "attributes"), "topics");
    assert_int_equal(json_array_size(topics), 2);
    assert_string_equal(json_string_value(json_array_get(topics, 0)), "traffic");
    assert_string_equal(json_string_value(json_array_get(topics, 1)), "security");
    client_request(&anon, "POST", "/api/v1/matters", "application/x-www-form-urlencoded", bad,
                   strlen(bad), NULL, &r);
    assert_error(&r, 422, "invalid", "attribute[topics]");
    response_release(&r);
}

static void test_photos__kept_by_content_and_checked_by_content(void **state)
{
    struct response r = {0}, t = {0}, p = {0};
    const struct part good[] = {
        TEXT("type", "consultation"),
        TEXT("description", "门前排水沟堵塞，附照片"),
        TEXT("phone", "13700001111"),
        {"photo", "a.jpg", "image/jpeg", jpeg_head, sizeof(jpeg_head)},
        /* A PNG under another name and type is still a PNG. */
        {"photo", "setup.exe", "application/octet-stream", png_1x1, sizeof(png_1x1)},
    };
    json_t *photos;
    const char *url;
    int64_t before;
    (void)state;

    post_multipart(&anon, good, sizeof(good) / sizeof(good[0]), &r);
    assert_status(&r, 201);
    photos = json_object_get(json_object_get(r.json, "matter"), "photos");
    assert_int_equal(json_array_size(photos), 2);
    assert_string_equal(json_str_member(json_array_get(photos, 0), "content_type"), "image/jpeg");
    assert_string_equal(json_str_member(json_array_get(photos, 1), "content_type"), "image/png");
    url = json_str_member(json_array_get(photos, 1), "url");
    assert_int_equal(strlen(url), strlen("/media/") + 64);
    client_get(&anon, &p, "%s", url);
    assert_status(&p, 200);
    assert_string_equal(response_header(&p, "Content-Type"), "image/png");
    assert_int_equal(p.len, sizeof(png_1x1));
    assert_memory_equal(p.body, png_1x1, sizeof(png_1x1));
    client_get(&anon, &p, "/media/%064d", 0);
    assert_error(&p, 404, "not_found", NULL);
    client_get(&anon, &p, "/media/..%%2F..%%2Fapi.db");
    assert_int_equal(p.status, 404);

    before = matter_rows();
    {
        /* A good photo with a bad phone: refused, and the photo not kept. */
        size_t fresh_len = sizeof(png_1x1) + 4, files_before = stored_files();
        unsigned char *fresh = malloc(fresh_len);
        memcpy(fresh, png_1x1, sizeof(png_1x1));
        memcpy(fresh + sizeof(png_1x1), "only", 4); /* a content no earlier test stored */
        const struct part bad_phone[] = {
            TEXT("type", "consultation"),
            TEXT("description", "x"),
            TEXT("phone", "12345"),
            {"photo", "p.png", "image/png", fresh, fresh_len},
        };
        post_multipart(&anon, bad_phone, 4, &t);
        assert_error(&t, 422, "invalid", "phone");
        assert_int_equal(stored_files(), files_before);
        free(fresh);
    }
    {
        /* Text named like a photo. */
        const struct part fake[] = {
            TEXT("type", "consultation"),
            TEXT("description", "x"),
            TEXT("phone", "13700001111"),
            {"photo", "x.jpg", "image/jpeg", "GIF89a not really", 17},
        };
        post_multipart(&anon, fake, 4, &t);
        assert_error(&t, 422, "invalid", "photo");
        assert_contains(json_str_member(json_object_get(t.json, "error"), "message"), "JPEG");
    }
    {
        /* Six photos. */
        struct part six[9] = {TEXT("type", "consultation"), TEXT("description", "x"),
                              TEXT("phone", "13700001111")};
        for (int i = 3; i < 9; i++)
            six[i] = (struct part){"photo", "p.png", "image/png", png_1x1, sizeof(png_1x1)};
        post_multipart(&anon, six, 9, &t);
        assert_error(&t, 422, "invalid", "photo");
    }
    {
        /* One photo over 5 MB. */
        size_t big = 5u * 1024 * 1024 + 1;
        unsigned char *data = calloc(1, big);
        memcpy(data, png_1x1, sizeof(png_1x1));
        const struct part over[] = {
            TEXT("type", "consultation"),
            TEXT("description", "x"),
            TEXT("phone", "13700001111"),
            {"photo", "big.png", "image/png", data, big},
        };
        post_multipart(&anon, over, 4, &t);
        assert_error(&t, 422, "invalid", "photo");
        assert_contains(json_str_member(json_object_get(t.json, "error"), "message"), "5 MB");
        free(data);
    }
    assert_int_equal(matter_rows(), before);
    response_release(&r);
    response_release(&t);
    response_release(&p);
}

/* The admin's queue with the newest matter 'id' ("独特词语甲乙丙"): a word
 * search, filters, paging. */
static void check_queue(int64_t id)
{
    struct response r = {0};
    json_t *items;

    client_get(&admin, &r, "/api/v1/matters?q=%s", "%E7%8B%AC%E7%89%B9%E8%AF%8D%E8%AF%AD");
    assert_status(&r, 200);
    items = response_items(&r);
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_int_member(json_array_get(items, 0), "id"), id);
    /* The staff view shows the phone per role: the admin sees it in full. */
    assert_string_equal(json_str_member(json_array_get(items, 0), "phone"), "13912345678");
    client_get(&admin, &r, "/api/v1/matters?state=submitted&type=complaint&open=1&limit=200");
    assert_status(&r, 200);
    assert_non_null(json_find(response_items(&r), "description", "独特词语甲乙丙"));
    client_get(&admin, &r, "/api/v1/matters?state=closed&q=%s",
               "%E7%8B%AC%E7%89%B9%E8%AF%8D%E8%AF%AD");
    assert_int_equal(json_array_size(response_items(&r)), 0);
    /* Paging: one at a time, newest first, no repeats. */
    client_get(&admin, &r, "/api/v1/matters?limit=1");
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_int_equal(json_int_member(json_array_get(response_items(&r), 0), "id"), id);
    assert_int_equal(json_int_member(r.json, "next_cursor"), id);
    client_get(&admin, &r, "/api/v1/matters?limit=1&cursor=%lld", (long long)id);
    assert_true(json_int_member(json_array_get(response_items(&r), 0), "id") < id);
    response_release(&r);
}

static void test_queue__filters_and_paging(void **state)
{
    struct response r = {0};
    int64_t id;
    (void)state;

    submit("独特词语甲乙丙", &id);
    /* The subdistrict's queue walked through its few units, then, with more
     * units than LIST_NARROW_SCOPE (8), through the cases newest first. */
    check_queue(id);
    for (int i = 0; i < 7; i++) {
        char unit_code[32];
        unique_name("mq", unit_code, sizeof(unit_code));
        client_send(&admin, "POST", "/api/v1/units",
                    json_pack("{s:s, s:s, s:s, s:I}", "code", unit_code, "name", "队列测试社区",
                              "type", "community", "parent_id", (json_int_t)srv.root_id),
                    &r);
        assert_status(&r, 201);
    }
    check_queue(id);
    /* A community clerk's queue: only the matter assigned to community A. */
    client_get(&clerka, &r, "/api/v1/matters?limit=200");
    assert_status(&r, 200);
    assert_true(json_array_size(response_items(&r)) >= 1);
    for (size_t i = 0; i < json_array_size(response_items(&r)); i++)
        assert_int_equal(
            json_int_member(json_object_get(json_array_get(response_items(&r), i), "unit"), "id"),
            srv.ca_id);
    /* A community clerk sees nothing of the subdistrict's queue. */
    client_get(&clerkb, &r, "/api/v1/matters?limit=200");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 0);
    /* Bad filters name the argument. */
    client_get(&admin, &r, "/api/v1/matters?state=lost");
    assert_error(&r, 400, "bad_request", "state");
    client_get(&admin, &r, "/api/v1/matters?from=2022-13-01");
    assert_error(&r, 400, "bad_request", "from");
    client_get(&admin, &r, "/api/v1/matters?limit=0");
    assert_error(&r, 400, "bad_request", "limit");
    client_get(&admin, &r, "/api/v1/matters?unit=999999");
    assert_error(&r, 404, "not_found", "unit");
    client_get(&anon, &r, "/api/v1/matters");
    assert_error(&r, 401, "unauthenticated", NULL);
    response_release(&r);
}

static void test_types__the_root_admin_routes_a_type_to_a_unit(void **state)
{
    struct response r = {0};
    int64_t id;
    (void)state;

    client_send(&admin, "PATCH", "/api/v1/matter-types/complaint",
                json_pack("{s:I, s:i}", "unit_id", (json_int_t)srv.ca_id, "deadline_days", 7), &r);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "unit_code"), "ca");
    assert_int_equal(json_int_member(r.json, "deadline_days"), 7);
    /* A complaint submitted now goes to community A: its clerk sees it. */
    submit("楼道堆放杂物", &id);
    client_get(&clerka, &r, "/api/v1/matters/%lld", (long long)id);
    assert_status(&r, 200);
    assert_int_equal(
        json_int_member(json_object_get(json_object_get(r.json, "matter"), "unit"), "id"),
        srv.ca_id);
    /* Refused: not an administrator, bad values, no such type or unit. */
    client_send(&clerka, "PATCH", "/api/v1/matter-types/complaint",
                json_pack("{s:i}", "deadline_days", 3), &r);
    assert_error(&r, 403, "forbidden", NULL);
    client_send(&admin, "PATCH", "/api/v1/matter-types/complaint",
                json_pack("{s:i}", "deadline_days", 0), &r);
    assert_error(&r, 422, "invalid", "deadline_days");
    client_send(&admin, "PATCH", "/api/v1/matter-types/complaint",
                json_pack("{s:i}", "unit_id", 999999), &r);
    assert_error(&r, 422, "invalid", "unit_id");
    client_send(&admin, "PATCH", "/api/v1/matter-types/complaint",
                json_pack("{s:s}", "colour", "red"), &r);
    assert_error(&r, 422, "invalid", "colour");
    client_send(&admin, "PATCH", "/api/v1/matter-types/nosuch",
                json_pack("{s:i}", "deadline_days", 3), &r);
    assert_error(&r, 404, "not_found", "type");
    /* Back to the root unit for the other tests. */
    client_send(&admin, "PATCH", "/api/v1/matter-types/complaint",
                json_pack("{s:I, s:i}", "unit_id", (json_int_t)srv.root_id, "deadline_days", 5),
                &r);
    assert_status(&r, 200);
    response_release(&r);
}

/* GET with an X-Forwarded-For header, as the proxy in front would send. */
static long get_via_proxy(const char *forwarded, struct response *r, const char *path)
{
    char line[128];

    snprintf(line, sizeof(line), "X-Forwarded-For: %s", forwarded);
    return client_request(&anon, "GET", path, NULL, NULL, 0, (const char *const[]){line, NULL}, r);
}

/* The server trusts 127.0.0.1 as its proxy (group_setup), so the residents
 * behind it are counted by X-Forwarded-For, each on their own. */
static void test_track__guessing_codes_is_slowed_down(void **state)
{
    struct response r = {0};
    char real[64], path[96];
    int misses = 0;
    (void)state;

    snprintf(real, sizeof(real), "/api/v1/track/%s", submit("最后一件", NULL));
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "/api/v1/track/CX-0000-%04d", i);
        get_via_proxy("203.0.113.7", &r, path);
        if (r.status == 429)
            break;
        assert_error(&r, 404, "not_found", "code");
        misses++;
    }
    assert_int_equal(misses, 20); /* then the address is locked */
    assert_error(&r, 429, "rate_limited", "code");
    /* That address is refused even a real code and its stream, whatever it
     * claims before the proxy's own entry. */
    get_via_proxy("203.0.113.7", &r, real);
    assert_error(&r, 429, "rate_limited", "code");
    get_via_proxy("198.51.100.1, 203.0.113.7", &r, real);
    assert_error(&r, 429, "rate_limited", "code");
    snprintf(path, sizeof(path), "%s/events", real);
    get_via_proxy("203.0.113.7", &r, path);
    assert_error(&r, 429, "rate_limited", "code");
    /* Another resident behind the same proxy, and the proxy itself, are not. */
    get_via_proxy("198.51.100.9", &r, real);
    assert_status(&r, 200);
    get_via_proxy("203.0.113.7, 198.51.100.9", &r, real);
    assert_status(&r, 200);
    client_get(&anon, &r, "%s", real);
    assert_status(&r, 200);
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types__public_catalog),
        cmocka_unit_test(test_submit__anonymous_gets_a_code_and_a_masked_view),
        cmocka_unit_test(test_flow__every_state_live_on_the_tracking_stream),
        cmocka_unit_test(test_flow__illegal_and_concurrent_changes_conflict),
        cmocka_unit_test(test_submit__bad_input_names_the_field_and_writes_nothing),
        cmocka_unit_test(test_submit__a_form_with_several_values_of_one_field),
        cmocka_unit_test(test_photos__kept_by_content_and_checked_by_content),
        cmocka_unit_test(test_queue__filters_and_paging),
        cmocka_unit_test(test_types__the_root_admin_routes_a_type_to_a_unit),
        cmocka_unit_test(test_track__guessing_codes_is_slowed_down),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
