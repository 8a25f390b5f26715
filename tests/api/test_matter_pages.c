/*
 * test_matter_pages.c - the resident-matter pages against a real server, as
 * a browser without JavaScript uses them: the portal's form posted as
 * multipart/form-data (libcurl's mime API) with a photo, 303 to the
 * tracking page, which shows the state and the phone masked; an invalid
 * submission answered with the form again, the error beside the field and
 * nothing saved; the QR code (well-formed SVG, read with expat; 404 for a
 * code that names no matter); the console's queue and a matter's page for
 * staff, 404 for a clerk of another community; the action forms (CSRF
 * field) moving the matter through its states, and the resident's rating.
 *
 * The catalog's handling units do not exist in the test tree, so matters
 * land in the root unit: the administrator (every role) handles them, and
 * assigning one to 甲社区 puts it in clerka's scope, not clerkb's.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

#include <expat.h>

static struct test_server srv;
static struct client clerka, clerkb, admin, resident;
static char csrf_a[128], csrf_b[128], csrf_admin[128];
static char code[32]; /* of the matter the first test submits */
static long long mid; /* its id */

#define PHONE "13812345678"

/* A 1x1 PNG. */
static const unsigned char png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
    0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

/* ---- helpers ---- */

static void page_login(struct client *c, const char *login, const char *password, char *csrf,
                       size_t size)
{
    struct response r = {0};

    client_init(c, &srv);
    c->omit_csrf = true; /* pages send the form field, as a browser does */
    post_form(c, &r, "/login", "login", login, "password", password, NULL);
    assert_status(&r, 303);
    client_get(c, &r, "/console");
    assert_status(&r, 200);
    csrf_of(r.body, csrf, size);
    response_release(&r);
}

struct sink {
    struct strbuf body;
    char location[256];
    char type[128];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct sink *k = arg;
    strbuf_add(&k->body, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct sink *k = arg;
    size_t len = size * n;
    char *dst = NULL;
    size_t skip = 0;

    if (len > 9 && strncasecmp(p, "Location:", 9) == 0)
        dst = k->location, skip = 9;
    else if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0)
        dst = k->type, skip = 13;
    if (dst) {
        while (skip < len && p[skip] == ' ')
            skip++;
        while (len > skip && (p[len - 1] == '\r' || p[len - 1] == '\n'))
            len--;
        snprintf(dst, dst == k->type ? sizeof(k->type) : sizeof(k->location), "%.*s",
                 (int)(len - skip), p + skip);
    }
    return size * n;
}

/*
 * POSTs /submit as multipart/form-data: pairs of name, value (NULL ends);
 * with 'photo' a PNG file part named "photo". Returns the status; *body
 * (malloc'd) the page, location the Location header.
 */
static long submit(bool photo, char **body, char *location, size_t lsize, ...)
{
    CURL *curl = curl_easy_init();
    curl_mime *mime = curl_mime_init(curl);
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    struct sink k = {STRBUF_INIT, "", ""};
    char url[256];
    const char *name;
    long status = 0;
    va_list ap;

    va_start(ap, lsize);
    while ((name = va_arg(ap, const char *))) {
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, name);
        curl_mime_data(part, va_arg(ap, const char *), CURL_ZERO_TERMINATED);
    }
    va_end(ap);
    if (photo) {
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, "photo");
        curl_mime_filename(part, "现场.png");
        curl_mime_type(part, "image/png");
        curl_mime_data(part, (const char *)png, sizeof(png));
    }
    snprintf(url, sizeof(url), "%s/submit", srv.base);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &k);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_mime_free(mime);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    *body = strbuf_detach(&k.body, NULL);
    snprintf(location, lsize, "%s", k.location);
    return status;
}

/* How many matters the administrator's JSON queue lists. */
static size_t matter_total(void)
{
    return list_count(&admin, "/api/v1/matters?limit=200");
}

/* The id of the newest matter of the administrator's queue page. */
static long long newest_id(void)
{
    struct response r = {0};
    const char *p;
    long long id;

    client_get(&admin, &r, "/console/matters");
    assert_status(&r, 200);
    p = strstr(r.body, "href=\"/console/matters/");
    assert_non_null(p);
    id = strtoll(p + strlen("href=\"/console/matters/"), NULL, 10);
    response_release(&r);
    return id;
}

/* POSTs an action form of matter mid as c, with its csrf field. */
static long act(struct client *c, const char *csrf, const char *transition, struct response *r,
                const char *name, const char *value)
{
    char path[96];
    snprintf(path, sizeof(path), "/console/matters/%lld/%s", mid, transition);
    return post_form(c, r, path, "csrf_token", csrf, name, value, NULL);
}

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    page_login(&clerka, CLERKA_LOGIN, CLERK_PASSWORD, csrf_a, sizeof(csrf_a));
    page_login(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD, csrf_b, sizeof(csrf_b));
    page_login(&admin, ADMIN_LOGIN, ADMIN_PASSWORD, csrf_admin, sizeof(csrf_admin));
    client_init(&resident, &srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&clerka);
    client_release(&clerkb);
    client_release(&admin);
    client_release(&resident);
    server_stop(&srv);
    return 0;
}

/* ---- the portal ---- */

static void test_submit_form(void **state)
{
    struct response r = {0};
    (void)state;

    client_get(&resident, &r, "/submit");
    assert_status(&r, 200);
    assert_contains(r.body, "enctype=\"multipart/form-data\"");
    assert_contains(r.body, "<select id=\"type\" name=\"type\"");
    assert_contains(r.body, "<option value=\"complaint\"");
    /* every type's fields, grouped (app.js shows the chosen one's only) */
    assert_contains(r.body, "data-type-fields=\"complaint\"");
    assert_contains(r.body, "data-type-fields=\"safety\"");
    assert_contains(r.body, "name=\"attribute[category]\"");
    /* A list of several choices is checkboxes under the field's one name. */
    assert_contains(r.body,
                    "<input type=\"checkbox\" name=\"attribute[topics]\" value=\"traffic\">");
    assert_contains(r.body, "type=\"datetime-local\"");
    assert_contains(r.body, "accept=\"image/jpeg,image/png\" capture=\"environment\"");
    /* the location needs JavaScript: hidden without it */
    assert_contains(r.body, "data-geo hidden");
    /* anonymous: no session, no token field */
    assert_lacks(r.body, "name=\"csrf_token\"");
    response_release(&r);
}

static void test_submit_without_js(void **state)
{
    struct response r = {0};
    char *body, loc[256], want[64];
    size_t before = matter_total();
    (void)state;

    assert_int_equal(submit(true, &body, loc, sizeof(loc), "type", "complaint",
                            "attribute[category]", "noise", "attribute[occurred_on]", "",
                            "attribute[hazard]", "", "description", "夜间施工噪声扰民，持续到凌晨",
                            "address", "城西路 12 号", "phone", PHONE, "name", "李女士", NULL),
                     303);
    free(body);
    assert_true(str_starts_with(loc, "/track/CX-"));
    assert_non_null(strstr(loc, "?new=1"));
    snprintf(code, sizeof(code), "%.*s", (int)strcspn(loc + 7, "?"), loc + 7);
    assert_int_equal(strlen(code), 12);
    assert_int_equal(matter_total(), before + 1);

    client_get(&resident, &r, "%s", loc);
    assert_status(&r, 200);
    assert_contains(r.body, code);
    assert_contains(r.body, "请保存查询码");
    snprintf(want, sizeof(want), "src=\"/track/%s/qr.svg\"", code);
    assert_contains(r.body, want);
    assert_contains(r.body, "aria-current=\"step\">已提交</li>");
    assert_contains(r.body, "138****5678");
    assert_lacks(r.body, PHONE);
    assert_lacks(r.body, "李女士");      /* the public view has no name */
    assert_contains(r.body, "噪声扰民"); /* the attribute, by its option's name */
    assert_contains(r.body, "src=\"/media/");
    assert_contains(r.body, "data-track-events=\"/api/v1/track/");
    response_release(&r);
    mid = newest_id();
    assert_true(mid > 0);
}

static void test_submit_errors(void **state)
{
    char *body, loc[256];
    size_t before = matter_total();
    (void)state;

    /* no description: the form again, the error beside it, the rest kept */
    assert_int_equal(submit(false, &body, loc, sizeof(loc), "type", "complaint",
                            "attribute[category]", "noise", "description", "", "address",
                            "城西路 99 号", "phone", PHONE, NULL),
                     422);
    assert_contains(body, "<p class=\"field-error\" id=\"description-error\">");
    assert_contains(body, "aria-invalid=\"true\"");
    assert_contains(body, "class=\"form-error-summary\" role=\"alert\"");
    assert_contains(body, "value=\"城西路 99 号\"");
    assert_contains(body, "<option value=\"complaint\" data-description=");
    assert_contains(body, "selected>问题反映</option>");
    free(body);
    /* a bad phone */
    assert_int_equal(submit(false, &body, loc, sizeof(loc), "type", "complaint",
                            "attribute[category]", "noise", "description", "路灯不亮", "phone",
                            "12", NULL),
                     422);
    assert_contains(body, "id=\"phone-error\"");
    assert_contains(body, ">路灯不亮</textarea>");
    free(body);
    /* a required attribute of the chosen type missing: beside that field */
    assert_int_equal(submit(false, &body, loc, sizeof(loc), "type", "complaint", "description",
                            "路灯不亮", "phone", PHONE, NULL),
                     422);
    assert_contains(body, "id=\"attr-complaint-category-error\"");
    free(body);
    assert_int_equal(matter_total(), before);
}

/* The portal's form ignores a session: a signed-in clerk's post (no CSRF
 * field) submits as an anonymous resident; a post from another site's page
 * is refused and saves nothing. */
static void test_submit_session_and_origin(void **state)
{
    struct response r = {0};
    const char *const evil[] = {"Origin: http://evil.example", NULL};
    const char *body = "type=consultation&description=%E5%92%A8%E8%AF%A2&phone=13812345678";
    size_t before = matter_total();
    (void)state;

    post_form(&clerka, &r, "/submit", "type", "consultation", "description", "咨询低保申请条件",
              "phone", PHONE, NULL);
    assert_status(&r, 303);
    assert_true(str_starts_with(response_header(&r, "Location"), "/track/CX-"));
    assert_int_equal(matter_total(), before + 1);
    client_request(&resident, "POST", "/submit", "application/x-www-form-urlencoded", body,
                   strlen(body), evil, &r);
    assert_int_equal(r.status, 403);
    assert_int_equal(matter_total(), before + 1);
    response_release(&r);
}

/* The XML of the QR code: well-formed, an <svg> root with one <path>. */
struct svg_check {
    int elements, paths;
    char root[16];
};

static void XMLCALL svg_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    struct svg_check *x = arg;
    (void)attrs;
    if (x->elements++ == 0)
        snprintf(x->root, sizeof(x->root), "%s", name);
    if (strcmp(name, "path") == 0)
        x->paths++;
}

static void test_qr(void **state)
{
    struct response r = {0};
    struct svg_check x = {0};
    XML_Parser p;
    (void)state;

    client_get(&resident, &r, "/track/%s/qr.svg", code);
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"), "image/svg+xml");
    p = XML_ParserCreate("UTF-8");
    XML_SetUserData(p, &x);
    XML_SetElementHandler(p, svg_start, NULL);
    if (XML_Parse(p, r.body, (int)r.len, 1) != XML_STATUS_OK)
        fail_msg("qr.svg is not well-formed XML: %s", XML_ErrorString(XML_GetErrorCode(p)));
    XML_ParserFree(p);
    assert_string_equal(x.root, "svg");
    assert_int_equal(x.paths, 1);
    assert_contains(r.body, "viewBox=\"0 0 ");
    assert_contains(r.body, "M4 4h7v1h-7z"); /* the finder pattern's top row */

    client_get(&resident, &r, "/track/CX-0000-0000/qr.svg");
    assert_int_equal(r.status, 404);
    client_get(&resident, &r, "/track/nonsense/qr.svg");
    assert_int_equal(r.status, 404);
    client_get(&resident, &r, "/track/CX-0000-0000");
    assert_int_equal(r.status, 404);
    response_release(&r);
}

static void test_lookup(void **state)
{
    struct response r = {0};
    char lower[32], want[64];
    (void)state;

    client_get(&resident, &r, "/track");
    assert_status(&r, 200);
    assert_contains(r.body, "name=\"code\"");
    /* case and hyphens do not matter */
    for (size_t i = 0; code[i]; i++)
        lower[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
    lower[strlen(code)] = '\0';
    client_get(&resident, &r, "/track?code=%s", lower);
    assert_status(&r, 303);
    snprintf(want, sizeof(want), "/track/%s", code);
    assert_string_equal(response_header(&r, "Location"), want);
    client_get(&resident, &r, "/track?code=CX-0000-0000");
    assert_int_equal(r.status, 404);
    assert_contains(r.body, "id=\"code-error\"");
    client_get(&resident, &r, "/track?code=%%21%%21");
    assert_int_equal(r.status, 422);
    assert_contains(r.body, "id=\"code-error\"");
    response_release(&r);
}

/* ---- the console ---- */

static void test_console_queue_and_scope(void **state)
{
    struct response r = {0};
    char href[64];
    (void)state;

    snprintf(href, sizeof(href), "href=\"/console/matters/%lld\"", mid);
    client_get(&admin, &r, "/console/matters");
    assert_status(&r, 200);
    assert_contains(r.body, href);
    assert_contains(r.body, "夜间施工噪声扰民");
    assert_contains(r.body, "id=\"matter-counts\"");
    assert_contains(r.body, "data-live-refresh=\"case.matter.submit");
    {
        /* The header counts the work at hand, as the API lists it; the
           concluded states are links without a count. */
        char want[160];
        size_t submitted = list_count(&admin, "/api/v1/matters?state=submitted&limit=200");
        snprintf(want, sizeof(want),
                 "<span class=\"stat-value\">%zu</span> <span class=\"stat-label\">已提交</span>",
                 submitted);
        assert_true(submitted > 0);
        assert_contains(r.body, want);
        assert_contains(r.body, "<a href=\"/console/matters?state=closed\"><span "
                                "class=\"stat-label\">已评价</span>");
    }
    assert_lacks(r.body, code); /* the tracking code is the resident's */
    client_get(&admin, &r, "/console/matters?state=submitted&type=complaint&status=open");
    assert_status(&r, 200);
    assert_contains(r.body, href);
    client_get(&admin, &r, "/console/matters?state=closed");
    assert_status(&r, 200);
    assert_lacks(r.body, href);
    client_get(&admin, &r, "/console/matters?from=yesterday");
    assert_int_equal(r.status, 422);
    assert_contains(r.body, "id=\"f-from-error\"");

    client_get(&admin, &r, "/console/matters/%lld", mid);
    assert_status(&r, 200);
    assert_contains(r.body, "夜间施工噪声扰民");
    assert_contains(r.body, "李女士");
    assert_contains(r.body, PHONE); /* the administrator sees it in full (access.h) */
    assert_contains(r.body, "/accept\"");
    assert_contains(r.body, "/reject\"");
    assert_lacks(r.body, "/resolve\"");

    /* the root unit's matter is outside a community clerk's scope */
    client_get(&clerka, &r, "/console/matters/%lld", mid);
    assert_int_equal(r.status, 404);
    assert_lacks(r.body, "夜间施工噪声扰民");
    client_get(&clerka, &r, "/console/matters");
    assert_status(&r, 200);
    assert_lacks(r.body, href);

    /* the dashboard's section */
    client_get(&admin, &r, "/console");
    assert_status(&r, 200);
    assert_contains(r.body, "id=\"matters\"");
    assert_contains(r.body, "新提交");
    response_release(&r);
}

static void test_actions(void **state)
{
    struct response r = {0};
    char unit[32], path[64];
    (void)state;

    /* without the CSRF field: refused, nothing changes */
    snprintf(path, sizeof(path), "/console/matters/%lld/accept", mid);
    post_form(&admin, &r, path, "version", "1", NULL);
    assert_int_equal(r.status, 403);
    /* accept */
    act(&admin, csrf_admin, "accept", &r, "version", "");
    assert_status(&r, 303);
    snprintf(path, sizeof(path), "/console/matters/%lld", mid);
    assert_string_equal(response_header(&r, "Location"), path);
    client_get(&admin, &r, "%s", path);
    assert_contains(r.body, "已受理");
    assert_contains(r.body, "/assign\"");
    /* a second accept: the state no longer allows it */
    act(&admin, csrf_admin, "accept", &r, "version", "");
    assert_int_equal(r.status, 409);
    assert_contains(r.body, "form-error-summary");
    /* assign to 甲社区: clerka's now, not clerkb's */
    snprintf(unit, sizeof(unit), "%lld", (long long)srv.ca_id);
    act(&admin, csrf_admin, "assign", &r, "unit_id", unit);
    assert_status(&r, 303);
    client_get(&clerka, &r, "%s", path);
    assert_status(&r, 200);
    assert_contains(r.body, "已分派");
    assert_contains(r.body, "138****5678"); /* staff see the phone masked */
    assert_lacks(r.body, PHONE);
    /* The history names who acted (the admin's name is its login here),
     * and the resident as 群众; never an actor's id. */
    assert_contains(r.body, "<td>admin</td>");
    assert_contains(r.body, "<td>群众</td>");
    assert_lacks(r.body, "user:");
    client_get(&clerkb, &r, "%s", path);
    assert_int_equal(r.status, 404);
    act(&clerkb, csrf_b, "start", &r, "version", "");
    assert_int_equal(r.status, 404);
    /* start, then resolve: an empty reply is an error beside the field */
    act(&clerka, csrf_a, "start", &r, "version", "");
    assert_status(&r, 303);
    act(&clerka, csrf_a, "resolve", &r, "reply", "");
    assert_int_equal(r.status, 422);
    assert_contains(r.body, "id=\"reply-error\"");
    act(&clerka, csrf_a, "resolve", &r, "reply", "已责令施工单位夜间停工，并安排巡查。");
    assert_status(&r, 303);

    /* the resident sees it, then rates it through the form */
    client_get(&resident, &r, "/track/%s", code);
    assert_status(&r, 200);
    assert_contains(r.body, "aria-current=\"step\">已办结</li>");
    assert_contains(r.body, "已责令施工单位夜间停工");
    assert_contains(r.body, "name=\"rating\" value=\"5\"");
    assert_contains(r.body, "/reopen\"");
    snprintf(path, sizeof(path), "/track/%s/rate", code);
    post_form(&resident, &r, path, "rating", "9", NULL);
    assert_int_equal(r.status, 422);
    assert_contains(r.body, "id=\"rating-error\"");
    post_form(&resident, &r, path, "rating", "5", "comment", "处理及时", NULL);
    assert_status(&r, 303);
    client_get(&resident, &r, "/track/%s", code);
    assert_contains(r.body, "aria-current=\"step\">已评价</li>");
    assert_contains(r.body, "处理及时");
    assert_lacks(r.body, "name=\"rating\"");
    /* the staff page shows the rating and no more actions */
    client_get(&clerka, &r, "/console/matters/%lld", mid);
    assert_lacks(r.body, code); /* not even as the resident's audit actor */
    assert_contains(r.body, "<td>群众</td>");
    assert_contains(r.body, "5 星");
    assert_lacks(r.body, "id=\"actions-title\"");
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_form),
        cmocka_unit_test(test_submit_without_js),
        cmocka_unit_test(test_submit_errors),
        cmocka_unit_test(test_submit_session_and_origin),
        cmocka_unit_test(test_qr),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_console_queue_and_scope),
        cmocka_unit_test(test_actions),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
