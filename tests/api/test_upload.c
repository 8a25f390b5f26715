/*
 * test_upload.c - file uploads end to end: multipart/form-data posted with
 * libcurl's mime API, a per-route body limit, the CSRF token read from a
 * multipart field, and the photo stored by content hash.
 *
 * No module has an upload route yet, so this binary runs the HTTP server in
 * process (http_server_start) with a small route table of its own, the way
 * tests/unit/test_http_server.c does, instead of `fazhi serve`: the server,
 * router, request parsing and limits are the real ones.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/log.h"
#include "core/media.h"
#include "core/str.h"
#include "http/server.h"
#include "store/blob.h"

#include <ftw.h>
#include <sodium.h>
#include <unistd.h>

#define MIB ((size_t)1024 * 1024)

static struct http_server *server;
static struct blob_store *blobs;
static char blob_dir[64];
static char base[64];

/* Bearer "good": a program; cookie fazhi_session=s1: a browser session
   whose CSRF token is "csrf-7". */
static int test_auth(struct http_request *req, struct principal *out, struct err_ctx *ec)
{
    const char *authz = http_header(req, "Authorization");
    const char *session = http_cookie(req, "fazhi_session");

    memset(out, 0, sizeof(*out));
    snprintf(out->unit_path, sizeof(out->unit_path), "/1/");
    if (authz) {
        if (strcmp(authz, "Bearer good") != 0)
            return err_set(ec, ERR_UNAUTHENTICATED, "Authorization", "令牌无效");
        out->token_id = 3;
        out->roles = ROLE_STAFF;
        return 1;
    }
    if (session && strcmp(session, "s1") == 0) {
        out->user_id = 7;
        out->roles = ROLE_STAFF;
        snprintf(out->csrf_token, sizeof(out->csrf_token), "csrf-7");
        req->via_cookie = true;
        return 1;
    }
    return 0;
}

/*
 * Takes a form with a "title" and "photo" files: stores each photo that is
 * an image by its content and answers what it saw:
 * {"title","files":[{"filename","declared","sniffed","len","blob"}],"empty":N}
 * where "empty" counts the files of the field "none" (a file input left empty).
 */
static int h_photos(struct http_request *req, struct err_ctx *ec)
{
    const struct http_file *files, *none;
    struct http_form *f;
    json_t *list = json_array();
    size_t n, nnone;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0) {
        json_decref(list);
        return rc;
    }
    n = http_form_files(f, "photo", &files);
    nnone = http_form_files(f, "none", &none);
    for (size_t i = 0; i < n; i++) {
        const char *type = media_image_type(files[i].data, files[i].len);
        char hex[BLOB_NAME_LEN + 1] = "";
        if (!type) {
            json_decref(list);
            return err_set(ec, ERR_INVALID, "photo", "“%s”不是 JPEG 或 PNG 图片",
                           files[i].filename);
        }
        if ((rc = blob_put(blobs, files[i].data, files[i].len, hex, ec)) < 0) {
            json_decref(list);
            return rc;
        }
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:I, s:s}", "filename", files[i].filename,
                                        "declared", files[i].content_type, "sniffed", type, "len",
                                        (json_int_t)files[i].len, "blob", hex));
    }
    return http_reply_json(req, 200,
                           json_pack("{s:s?, s:o, s:I}", "title", http_form_get(f, "title"),
                                     "files", list, "empty", (json_int_t)nnone));
}

static const struct http_route upload_routes[] = {
    {"POST", "/photos", h_photos, 0, 0, HTTP_MAX_BODY_UPLOAD},
    {"POST", "/small", h_photos, 0, 0}, /* the server's default limit, 1 MiB */
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* What all bodies being read may hold at once in this test's server. */
#define BUDGET ((size_t)8 * 1024 * 1024)

static int group_setup(void **state)
{
    static const struct http_route_table table = {upload_routes, ARRAY_SIZE(upload_routes)};
    struct http_server_config cfg = {0};
    struct err_ctx ec;
    char store_dir[96];

    (void)state;
    log_set_level(LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    err_clear(&ec);
    snprintf(blob_dir, sizeof(blob_dir), "/tmp/fazhi-upload-XXXXXX");
    if (!mkdtemp(blob_dir))
        return -1;
    snprintf(store_dir, sizeof(store_dir), "%s/blobs", blob_dir);
    if (blob_store_open(store_dir, &blobs, &ec) < 0)
        return -1;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.workers = 4;
    cfg.version = "test";
    cfg.auth = test_auth;
    cfg.tables = &table;
    cfg.ntables = 1;
    cfg.body_budget = BUDGET;
    if (http_server_start(&cfg, &server, &ec) < 0) {
        harness_note("start: %s %s", ec.message, ec.detail);
        return -1;
    }
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", http_server_port(server));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    http_server_stop(server);
    blob_store_free(blobs);
    nftw(blob_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- a multipart client ---- */

struct reply {
    long status;
    char *body;
    size_t len;
    json_t *json;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t k = size * n;
    char *nb = realloc(r->body, r->len + k + 1);

    if (!nb)
        return 0;
    memcpy(nb + r->len, p, k);
    r->body = nb;
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static void reply_release(struct reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* One field of a form: a text field when filename is NULL. */
struct field {
    const char *name;
    const char *filename;
    const char *type;
    const void *data;
    size_t len;
};

/* POSTs the fields as multipart/form-data; 'headers' NULL-terminated or NULL. */
static void post_multipart(const char *path, const struct field *fields, size_t nfields,
                           const char *const *headers, struct reply *r)
{
    CURL *c = curl_easy_init();
    curl_mime *mime = curl_mime_init(c);
    struct curl_slist *hl = NULL;
    char url[128];

    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < nfields; i++) {
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, fields[i].name);
        curl_mime_data(part, fields[i].data, fields[i].len);
        if (fields[i].filename)
            curl_mime_filename(part, fields[i].filename);
        if (fields[i].type)
            curl_mime_type(part, fields[i].type);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->body)
        r->json = json_loads(r->body, 0, NULL);
    curl_slist_free_all(hl);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
}

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A PNG's first 16 bytes, then 'len' bytes in all of a pattern holding CR
 * LF and "--" (what the parser must not take for a delimiter). */
static unsigned char *fake_png(size_t len)
{
    static const unsigned char head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
                                         0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    static const char pattern[] = "\r\n--\r\n------WebKitFormBoundary\r\n\0";
    unsigned char *p = malloc(len);

    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)pattern[i % (sizeof(pattern) - 1)] ^ (unsigned char)(i >> 12);
    memcpy(p, head, sizeof(head));
    return p;
}

static void assert_error_reply(const struct reply *r, long status, const char *code,
                               const char *field)
{
    json_t *err = r->json ? json_object_get(r->json, "error") : NULL;

    if (r->status != status || !err || strcmp(json_str_member(err, "code"), code) != 0 ||
        (field && strcmp(json_str_member(err, "field"), field) != 0)) {
        harness_note("want %ld %s, got %ld %s", status, code, r->status, r->body ? r->body : "");
        fail();
    }
}

/* ---- cases ---- */

static void test_upload__photo_over_the_default_limit(void **state)
{
    size_t len = 3 * MIB + 17; /* over the server's 1 MiB, under the route's 26 MiB */
    unsigned char *png = fake_png(len), hash[crypto_hash_sha256_BYTES];
    char hex[BLOB_NAME_LEN + 1];
    const struct field fields[] = {
        {"title", NULL, NULL, "居民照片", strlen("居民照片")},
        {"photo", "正面 \"1\".png", "application/octet-stream", png, len},
        {"none", "", NULL, "", 0}, /* a file input left empty */
        {"photo", "背面.exe", NULL, png, 100000},
    };
    struct reply r;
    struct arena *a = arena_new();
    const void *stored;
    size_t stored_len;
    struct err_ctx ec;
    json_t *files;

    (void)state;
    post_multipart("/photos", fields, ARRAY_SIZE(fields), H("Authorization: Bearer good"), &r);
    if (r.status != 200) {
        harness_note("got %ld %s", r.status, r.body ? r.body : "");
        fail();
    }
    assert_string_equal(json_str_member(r.json, "title"), "居民照片");
    assert_int_equal(json_int_member(r.json, "empty"), 0);
    files = json_object_get(r.json, "files");
    assert_int_equal(json_array_size(files), 2);
    assert_string_equal(json_str_member(json_array_get(files, 0), "filename"), "正面 \"1\".png");
    assert_string_equal(json_str_member(json_array_get(files, 0), "declared"),
                        "application/octet-stream");
    assert_string_equal(json_str_member(json_array_get(files, 0), "sniffed"), "image/png");
    assert_int_equal(json_int_member(json_array_get(files, 0), "len"), len);
    assert_string_equal(json_str_member(json_array_get(files, 1), "filename"), "背面.exe");
    assert_string_equal(json_str_member(json_array_get(files, 1), "sniffed"), "image/png");
    assert_int_equal(json_int_member(json_array_get(files, 1), "len"), 100000);
    /* Stored under the SHA-256 of exactly the bytes sent. */
    crypto_hash_sha256(hash, png, len);
    str_hex(hex, hash, sizeof(hash));
    assert_string_equal(json_str_member(json_array_get(files, 0), "blob"), hex);
    err_clear(&ec);
    assert_int_equal(blob_get(blobs, hex, a, &stored, &stored_len, &ec), 0);
    assert_int_equal(stored_len, len);
    assert_memory_equal(stored, png, len);
    reply_release(&r);
    arena_free(a);
    free(png);
}

static void test_upload__over_the_route_limit_is_413(void **state)
{
    size_t big = HTTP_MAX_BODY_UPLOAD + 1024;
    unsigned char *png = fake_png(big);
    struct field photo = {"photo", "a.png", "image/png", png, big};
    struct reply r;

    (void)state;
    /* Over 26 MiB: refused from Content-Length, before the body is read. */
    post_multipart("/photos", &photo, 1, H("Authorization: Bearer good"), &r);
    assert_error_reply(&r, 413, "too_large", NULL);
    assert_non_null(
        strstr(json_str_member(json_object_get(r.json, "error"), "message"), "27262976"));
    reply_release(&r);
    /* 2 MiB is fine for /photos, over the 1 MiB default of /small. */
    photo.len = 2 * MIB;
    post_multipart("/small", &photo, 1, H("Authorization: Bearer good"), &r);
    assert_error_reply(&r, 413, "too_large", NULL);
    assert_non_null(
        strstr(json_str_member(json_object_get(r.json, "error"), "message"), "1048576"));
    reply_release(&r);
    post_multipart("/photos", &photo, 1, H("Authorization: Bearer good"), &r);
    assert_int_equal(r.status, 200);
    reply_release(&r);
    free(png);
}

static void test_upload__bodies_share_a_budget(void **state)
{
    size_t len = 10 * MIB; /* under the route's limit, over the whole budget */
    unsigned char *png = fake_png(len);
    struct field photo = {"photo", "a.png", "image/png", png, len};
    struct reply r;

    (void)state;
    post_multipart("/photos", &photo, 1, H("Authorization: Bearer good"), &r);
    assert_error_reply(&r, 503, "unavailable", NULL);
    reply_release(&r);
    /* Each finished request gives its share back: many in a row fit. */
    photo.len = 3 * MIB;
    for (int i = 0; i < 6; i++) {
        post_multipart("/photos", &photo, 1, H("Authorization: Bearer good"), &r);
        assert_int_equal(r.status, 200);
        reply_release(&r);
    }
    free(png);
}

static void test_upload__csrf_token_from_a_multipart_field(void **state)
{
    unsigned char *png = fake_png(4096);
    struct field fields[] = {
        {"csrf_token", NULL, NULL, "csrf-7", 6},
        {"title", NULL, NULL, "t", 1},
        {"photo", "a.png", "image/png", png, 4096},
    };
    struct reply r;

    (void)state;
    /* A browser session without the X-CSRF-Token header: the field counts. */
    post_multipart("/photos", fields, ARRAY_SIZE(fields), H("Cookie: fazhi_session=s1"), &r);
    if (r.status != 200) {
        harness_note("got %ld %s", r.status, r.body ? r.body : "");
        fail();
    }
    assert_int_equal(json_array_size(json_object_get(r.json, "files")), 1);
    reply_release(&r);
    fields[0].data = "csrf-8";
    post_multipart("/photos", fields, ARRAY_SIZE(fields), H("Cookie: fazhi_session=s1"), &r);
    assert_error_reply(&r, 403, "forbidden", "csrf_token");
    reply_release(&r);
    /* Without the field at all. */
    post_multipart("/photos", fields + 1, 2, H("Cookie: fazhi_session=s1"), &r);
    assert_error_reply(&r, 403, "forbidden", "csrf_token");
    reply_release(&r);
    free(png);
}

static void test_upload__bad_fields(void **state)
{
    const struct field bad_text[] = {{"title", NULL, NULL, "\xff\xfe", 2}};
    const struct field not_image[] = {{"photo", "x.jpg", "image/jpeg", "只是文本", 12}};
    struct reply r;

    (void)state;
    post_multipart("/photos", bad_text, 1, H("Authorization: Bearer good"), &r);
    assert_error_reply(&r, 400, "bad_request", "title");
    reply_release(&r);
    post_multipart("/photos", not_image, 1, H("Authorization: Bearer good"), &r);
    assert_error_reply(&r, 422, "invalid", "photo");
    reply_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload__photo_over_the_default_limit),
        cmocka_unit_test(test_upload__over_the_route_limit_is_413),
        cmocka_unit_test(test_upload__bodies_share_a_budget),
        cmocka_unit_test(test_upload__csrf_token_from_a_multipart_field),
        cmocka_unit_test(test_upload__bad_fields),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
