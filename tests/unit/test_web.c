/*
 * test_web.c - the page layer (web/web.c) end to end, in process: the real
 * HTTP server on a free port with test page handlers, no database, libcurl
 * as the client. Covers /static/ (types, ETag, 304, caching), pages in
 * their layout, error pages, the sign-in redirect, form errors, flash
 * messages across a redirect, and --dev reloading from a folder on disk.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/server.h"
#include "web/template.h"
#include "web/web.h"

/* ---- the server under test ---- */

static int test_auth(struct http_request *req, struct principal *out, struct err_ctx *ec)
{
    const char *session = http_cookie(req, "fazhi_session");

    (void)ec;
    memset(out, 0, sizeof(*out));
    if (!session || strcmp(session, "s1") != 0)
        return 0;
    out->user_id = 7;
    out->roles = ROLE_STAFF;
    snprintf(out->login, sizeof(out->login), "lihua");
    snprintf(out->unit_path, sizeof(out->unit_path), "/1/");
    snprintf(out->csrf_token, sizeof(out->csrf_token), "csrf-7");
    req->via_cookie = true;
    return 1;
}

static int describe(struct http_request *req, json_t *user, struct err_ctx *ec)
{
    (void)req;
    (void)ec;
    json_object_set_new(user, "display", json_string("李华"));
    json_object_set_new(user, "unit", json_string("城西街道综治办"));
    return 0;
}

/* GET /home: the portal's home page */
static int h_home(struct http_request *req, struct err_ctx *ec)
{
    return web_render(req, 200, "portal/home", json_pack("{s:s}", "title", "首页"), ec);
}

/* GET /secret: a page for signed-in users, checked by the handler */
static int h_secret(struct http_request *req, struct err_ctx *ec)
{
    if (access_require(req->principal, ROLE_ADMIN, NULL, ec) < 0)
        return web_error_page(req, ec);
    return web_render(req, 200, "error", NULL, ec);
}

/* GET /missing: a record that is not there */
static int h_missing(struct http_request *req, struct err_ctx *ec)
{
    err_set(ec, ERR_NOT_FOUND, NULL, "事项不存在");
    return web_error_page(req, ec);
}

/* GET /broken: a fault, whose detail stays in the log */
static int h_broken(struct http_request *req, struct err_ctx *ec)
{
    err_set(ec, ERR_DB, NULL, "数据库故障");
    err_detail(ec, "SQLITE_CORRUPT secret detail");
    return web_error_page(req, ec);
}

/* POST /login  login=...&password=...  -> 303 /home with a flash | 422 the form */
static int h_login(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"login", NULL};
    struct http_form *f;
    json_t *ctx;
    int rc = http_form_body(req, &f, ec);

    if (rc < 0)
        return rc;
    if (strcmp(http_form_get(f, "login") ? http_form_get(f, "login") : "", "lihua") == 0) {
        web_flash(req, WEB_FLASH_SUCCESS, "欢迎回来，<李华>");
        return web_redirect_see_other(req, http_form_get(f, "next"));
    }
    ctx = json_pack("{s:s}", "title", "登录");
    web_form_values(ctx, f, keep);
    err_set(ec, ERR_INVALID, "login", "登录名不存在");
    return web_render_invalid(req, "login", ctx, ec);
}

static const struct http_route test_routes[] = {
    {"GET", "/home", h_home, HTTP_PUBLIC, 0},
    {"GET", "/secret", h_secret, HTTP_PUBLIC, 0},
    {"GET", "/missing", h_missing, HTTP_PUBLIC, 0},
    {"GET", "/broken", h_broken, HTTP_PUBLIC, 0},
    {"POST", "/login", h_login, HTTP_PUBLIC | HTTP_NO_CSRF, 0},
};

static struct http_server *start_server(void)
{
    static const struct http_route_table test_table = {test_routes, ARRAY_SIZE(test_routes)};
    struct http_route_table tables[2] = {test_table, web_routes};
    struct web_config wcfg = {0};
    struct http_server_config cfg = {0};
    struct http_server *srv = NULL;
    struct err_ctx ec;

    err_clear(&ec);
    wcfg.describe_user = describe;
    if (web_start(&wcfg, &ec) < 0)
        fail_msg("web_start: %s", ec.message);
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.version = "test";
    cfg.auth = test_auth;
    cfg.tables = tables;
    cfg.ntables = 2;
    if (http_server_start(&cfg, &srv, &ec) < 0)
        fail_msg("start: %s %s", ec.message, ec.detail);
    return srv;
}

/* ---- a small libcurl client ---- */

struct reply {
    long status;
    char body[65536];
    size_t body_len;
    char headers[4096];
    size_t headers_len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg, bool header)
{
    struct reply *r = arg;
    char *buf = header ? r->headers : r->body;
    size_t *len = header ? &r->headers_len : &r->body_len;
    size_t cap = header ? sizeof(r->headers) : sizeof(r->body);
    size_t k = size * n;

    if (*len + k >= cap)
        k = cap - 1 - *len;
    memcpy(buf + *len, p, k);
    *len += k;
    buf[*len] = '\0';
    return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    return collect(p, size, n, arg, false);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    return collect(p, size, n, arg, true);
}

static struct reply *request(unsigned port, const char *method, const char *path,
                             const char *header, const char *body)
{
    static struct reply r;
    char url[512];
    struct curl_slist *hl = NULL;
    CURL *c = curl_easy_init();

    memset(&r, 0, sizeof(r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    if (header)
        hl = curl_slist_append(hl, header);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(c) != CURLE_OK)
        r.status = -1;
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return &r;
}

static bool has(const char *text, const char *part)
{
    return strcasestr(text, part) != NULL;
}

/* The value of a response header (up to the line end) into buf. */
static void header_value(const struct reply *r, const char *name, char *buf, size_t size)
{
    const char *p = strcasestr(r->headers, name);
    size_t n;

    buf[0] = '\0';
    if (!p)
        return;
    p += strlen(name);
    p += strspn(p, ": ");
    n = strcspn(p, "\r\n");
    snprintf(buf, size, "%.*s", (int)n, p);
}

/* ---- tests ---- */

static void test_web_static(void **state)
{
    struct http_server *srv = start_server();
    unsigned port = http_server_port(srv);
    struct reply *r;
    char etag[64], hdr[128], path[128];

    (void)state;
    r = request(port, "GET", "/static/app.css", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_true(has(r->headers, "Content-Type: text/css; charset=utf-8"));
    assert_true(has(r->headers, "Cache-Control: no-cache"));
    assert_true(has(r->body, "font-family"));
    header_value(r, "ETag", etag, sizeof(etag));
    assert_int_equal(strlen(etag), 18); /* "16 hex" */

    /* revalidation */
    snprintf(hdr, sizeof(hdr), "If-None-Match: W/\"x\", %s", etag);
    r = request(port, "GET", "/static/app.css", hdr, NULL);
    assert_int_equal(r->status, 304);
    assert_int_equal(r->body_len, 0);
    r = request(port, "GET", "/static/app.css", "If-None-Match: \"0000000000000000\"", NULL);
    assert_int_equal(r->status, 200);

    /* the versioned URL the layouts build is cached for a year */
    snprintf(path, sizeof(path), "/static/app.css?v=%.16s", etag + 1);
    r = request(port, "GET", path, NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_true(has(r->headers, "Cache-Control: public, max-age=31536000, immutable"));
    r = request(port, "GET", "/static/app.css?v=old", NULL, NULL);
    assert_true(has(r->headers, "Cache-Control: no-cache"));

    r = request(port, "GET", "/static/app.js", NULL, NULL);
    assert_true(has(r->headers, "Content-Type: text/javascript; charset=utf-8"));
    r = request(port, "GET", "/static/favicon.svg", NULL, NULL);
    assert_true(has(r->headers, "Content-Type: image/svg+xml"));
    r = request(port, "GET", "/static/nope.css", NULL, NULL);
    assert_int_equal(r->status, 404);
    r = request(port, "GET", "/static/..%2Ftemplates%2Flogin.html", NULL, NULL);
    assert_int_equal(r->status, 404);
    http_server_stop(srv);
    web_stop();
}

static void test_web_pages(void **state)
{
    struct http_server *srv = start_server();
    unsigned port = http_server_port(srv);
    struct reply *r;

    (void)state;
    r = request(port, "GET", "/home", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_true(has(r->headers, "Content-Type: text/html; charset=utf-8"));
    assert_true(has(r->headers, "Content-Security-Policy: default-src 'self'"));
    assert_true(has(r->body, "<title>首页 - 智慧城西 - 城西街道办事处</title>"));

    /* not signed in: a GET goes to the sign-in page and comes back */
    r = request(port, "GET", "/secret", NULL, NULL);
    assert_int_equal(r->status, 303);
    assert_true(has(r->headers, "Location: /login?next=/secret"));

    /* signed in without the role: a 403 page in the console layout */
    r = request(port, "GET", "/secret", "Cookie: fazhi_session=s1", NULL);
    assert_int_equal(r->status, 403);
    assert_true(has(r->body, "<h1 id=\"error-title\">无权访问</h1>"));
    assert_true(has(r->body, "当前角色无权执行此操作"));
    assert_true(has(r->body, "<span class=\"account-name\">李华</span>"));
    assert_true(has(r->body, "<span class=\"account-unit\">城西街道综治办</span>"));
    assert_true(has(r->body, "value=\"csrf-7\""));

    r = request(port, "GET", "/missing", NULL, NULL);
    assert_int_equal(r->status, 404);
    assert_true(has(r->body, "事项不存在"));
    assert_true(has(r->body, "class=\"layout-portal\""));

    r = request(port, "GET", "/broken", NULL, NULL);
    assert_int_equal(r->status, 500);
    assert_true(has(r->body, "服务器内部错误"));
    assert_false(has(r->body, "SQLITE_CORRUPT"));
    http_server_stop(srv);
    web_stop();
}

static void test_web_form_and_flash(void **state)
{
    struct http_server *srv = start_server();
    unsigned port = http_server_port(srv);
    struct reply *r;
    char cookie[512], hdr[600];

    (void)state;
    /* a bad value: the form again, 422, with the value and the error */
    r = request(port, "POST", "/login", NULL, "login=%3Cwho%3E&password=x");
    assert_int_equal(r->status, 422);
    assert_true(has(r->body, "value=\"&lt;who&gt;\""));
    assert_true(has(r->body, "<p class=\"field-error\" id=\"login-error\">登录名不存在</p>"));
    assert_false(has(r->body, "value=\"x\"")); /* the password is never echoed */

    /* success: 303 to the local next=, with a flash cookie */
    r = request(port, "POST", "/login", NULL, "login=lihua&next=%2Fhome");
    assert_int_equal(r->status, 303);
    assert_true(has(r->headers, "Location: /home"));
    header_value(r, "Set-Cookie", cookie, sizeof(cookie));
    assert_true(str_starts_with(cookie, "fazhi_flash=s."));
    *strchr(cookie, ';') = '\0';

    /* the next page shows it, escaped, and clears it */
    snprintf(hdr, sizeof(hdr), "Cookie: %s", cookie);
    r = request(port, "GET", "/home", hdr, NULL);
    assert_int_equal(r->status, 200);
    assert_true(has(r->body, "<p class=\"flash flash-success\">欢迎回来，&lt;李华&gt;</p>"));
    assert_true(has(r->headers, "Set-Cookie: fazhi_flash=; Path=/; Max-Age=0; HttpOnly"));

    /* a cookie that was not signed here shows nothing */
    r = request(port, "GET", "/home", "Cookie: fazhi_flash=e.%E5%81%87.00", NULL);
    assert_false(has(r->body, "flash-error"));
    cookie[strlen(cookie) - 1] ^= 1;
    snprintf(hdr, sizeof(hdr), "Cookie: %s", cookie);
    r = request(port, "GET", "/home", hdr, NULL);
    assert_false(has(r->body, "flash-success"));

    /* next= that leaves the site goes to "/" */
    r = request(port, "POST", "/login", NULL, "login=lihua&next=%2F%2Fevil.example");
    assert_int_equal(r->status, 303);
    assert_true(has(r->headers, "Location: /\r\n"));
    r = request(port, "POST", "/login", NULL, "login=lihua&next=https%3A%2F%2Fevil.example");
    assert_true(has(r->headers, "Location: /\r\n"));
    http_server_stop(srv);
    web_stop();
}

static void test_web_local_path(void **state)
{
    (void)state;
    assert_true(web_local_path("/"));
    assert_true(web_local_path("/console/cases?page=2"));
    assert_false(web_local_path(NULL));
    assert_false(web_local_path(""));
    assert_false(web_local_path("//evil.example"));
    assert_false(web_local_path("/\\evil.example"));
    assert_false(web_local_path("/a\\b"));
    assert_false(web_local_path("/a\r\nSet-Cookie: x"));
    assert_false(web_local_path("https://evil.example"));
    assert_false(web_local_path("console"));
}

/* ---- --dev: a folder on disk, reloaded when a file changes ---- */

static void write_file(const char *dir, const char *rel, const char *text, time_t mtime)
{
    char path[512];
    FILE *f;
    struct timespec times[2];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    /* a distinct mtime: edits within one clock tick must still count */
    times[0].tv_sec = times[1].tv_sec = mtime;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static char *dev_render(const char *page)
{
    struct web_page pg = {0};
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec;

    pg.page = page;
    err_clear(&ec);
    if (web_render_page(&pg, &out, &ec) < 0)
        fail_msg("render %s: %s", page, ec.message);
    return strbuf_detach(&out, NULL);
}

static void test_web_dev_reload(void **state)
{
    char dir[] = "/tmp/fazhi-web-XXXXXX", sub[600];
    struct web_config cfg = {0};
    struct err_ctx ec;
    char *html;

    (void)state;
    web_stop(); /* in case a failed test above left it started */
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/templates", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/templates/layout", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/static", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_file(dir, "templates/layout/console.html", "<main>{{{content_html}}}</main>", 1000);
    write_file(dir, "templates/page.html", "<p>一</p>", 1000);
    write_file(dir, "static/app.css", "p{}", 1000);
    write_file(dir, "templates/.page.html.swp", "{{", 1000); /* editor leftovers are skipped */

    cfg.dev = true;
    cfg.assets_dir = dir;
    err_clear(&ec);
    assert_int_equal(web_start(&cfg, &ec), 0);
    html = dev_render("page");
    assert_string_equal(html, "<main><p>一</p></main>");
    free(html);

    /* an edit shows on the next render, no restart */
    write_file(dir, "templates/page.html", "<p>二</p>", 2000);
    html = dev_render("page");
    assert_string_equal(html, "<main><p>二</p></main>");
    free(html);

    /* a broken edit keeps the last good templates; a new file is picked up */
    write_file(dir, "templates/page.html", "<p>\n{{#x}}</p>", 3000);
    html = dev_render("page");
    assert_string_equal(html, "<main><p>二</p></main>");
    free(html);
    write_file(dir, "templates/page.html", "<p>三</p>{{>more}}", 4000);
    write_file(dir, "templates/more.html", "<i>新</i>", 4000);
    html = dev_render("page");
    assert_string_equal(html, "<main><p>三</p><i>新</i></main>");
    free(html);
    web_stop();

    /* at start-up a broken template is an error naming file and line */
    write_file(dir, "templates/more.html", "<a href={{u}}>", 5000);
    err_clear(&ec);
    assert_int_equal(web_start(&cfg, &ec), ERR_INVALID);
    snprintf(sub, sizeof(sub), "%s/templates/more.html:1: 属性值须加引号", dir);
    if (!strstr(ec.message, sub))
        fail_msg("message: %s", ec.message);

    /* no such folder */
    cfg.assets_dir = "/nonexistent/fazhi-assets";
    err_clear(&ec);
    assert_int_equal(web_start(&cfg, &ec), ERR_IO);

    snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
    assert_int_equal(system(sub), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_web_static),         cmocka_unit_test(test_web_pages),
        cmocka_unit_test(test_web_form_and_flash), cmocka_unit_test(test_web_local_path),
        cmocka_unit_test(test_web_dev_reload),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
