/*
 * test_multipart.c - multipart/form-data: the boundary parameter and the
 * body parser (src/http/parse.c), with bodies shaped as curl and chromium
 * send them and every kind of malformed one.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "http/parse.h"

/* ---- parse_multipart_boundary ---- */

static const struct {
    const char *ct;
    const char *want; /* NULL: refused */
} boundary_cases[] = {
    {"multipart/form-data; boundary=----WebKitFormBoundaryx8Hk3Q2Z",
     "----WebKitFormBoundaryx8Hk3Q2Z"},
    {"multipart/form-data;boundary=abc", "abc"},
    {"Multipart/Form-Data; BOUNDARY=abc", "abc"},
    {"multipart/form-data; charset=utf-8; boundary=\"a b:c\"", "a b:c"},
    {"multipart/form-data; boundary=\"q\\\"\"", NULL}, /* '"' is no bchar */
    {"multipart/form-data; boundary = abc ", "abc"},
    {"multipart/form-data; boundary=\"abc\"; x=1", "abc"},
    {"multipart/form-data", NULL},
    {"multipart/form-data; boundary=", NULL},
    {"multipart/form-data; boundary=\"\"", NULL},
    {"multipart/form-data; boundary=\"abc \"", NULL}, /* ends in a space */
    {"multipart/form-data; boundary=a@b", NULL},
    {"multipart/form-data; boundary=abc; boundary=abc", NULL},
    {"multipart/form-data; boundary=\"abc", NULL},
    {"multipart/form-data; boundary=abc junk", NULL},
    {"multipart/form-data boundary=abc", NULL},
    {"multipart; boundary=abc", NULL},
    /* 70 characters, then 71. */
    {"multipart/form-data; boundary="
     "0123456789012345678901234567890123456789012345678901234567890123456789",
     "0123456789012345678901234567890123456789012345678901234567890123456789"},
    {"multipart/form-data; boundary="
     "01234567890123456789012345678901234567890123456789012345678901234567890",
     NULL},
};

static void test_parse_multipart_boundary__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(boundary_cases); i++) {
        char buf[PARSE_BOUNDARY_MAX + 1];
        int rc = parse_multipart_boundary(boundary_cases[i].ct, buf, sizeof(buf));
        if (boundary_cases[i].want == NULL) {
            if (rc != -1)
                fail_msg("case %zu (%s): accepted as \"%s\"", i, boundary_cases[i].ct, buf);
        } else if (rc != 0 || strcmp(buf, boundary_cases[i].want) != 0) {
            fail_msg("case %zu (%s): rc %d", i, boundary_cases[i].ct, rc);
        }
    }
    assert_int_equal(parse_multipart_boundary(NULL, (char[8]){0}, 8), -1);
}

static void test_parse_multipart_boundary__small_buffer(void **state)
{
    char buf[4];

    (void)state;
    assert_int_equal(parse_multipart_boundary("multipart/form-data; boundary=abc", buf, 4), 0);
    assert_string_equal(buf, "abc");
    assert_int_equal(parse_multipart_boundary("multipart/form-data; boundary=abcd", buf, 4), -1);
}

/* ---- parse_multipart ---- */

/* Parses a body given as a byte array (it may hold NUL). */
static int parse(struct arena *a, const char *body, size_t n, const char *boundary,
                 struct parse_parts *out, struct err_ctx *ec)
{
    /* An exact-size copy, so that ASan sees a read past the end. */
    char *copy = arena_alloc(a, n ? n : 1);
    memcpy(copy, body, n);
    err_clear(ec);
    return parse_multipart(a, copy, n, boundary, out, ec);
}

#define PARSE(a, lit, b, out, ec) parse((a), (lit), sizeof(lit) - 1, (b), (out), (ec))

/* What `curl -F title=居民照片 -F photo=@a.png` sends. */
static const char curl_body[] =
    "--------------------------d74496d66958873e\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n"
    "\r\n"
    "居民照片\r\n"
    "--------------------------d74496d66958873e\r\n"
    "Content-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n"
    "--------------------------d74496d66958873e--\r\n";

static void test_parse_multipart__curl(void **state)
{
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;

    (void)state;
    assert_int_equal(PARSE(a, curl_body, "------------------------d74496d66958873e", &p, &ec), 0);
    assert_int_equal(p.count, 2);
    assert_string_equal(p.items[0].name, "title");
    assert_null(p.items[0].filename);
    assert_null(p.items[0].content_type);
    assert_string_equal(p.items[0].data, "居民照片");
    assert_int_equal(p.items[0].len, strlen("居民照片"));
    assert_string_equal(p.items[1].name, "photo");
    assert_string_equal(p.items[1].filename, "a.png");
    assert_string_equal(p.items[1].content_type, "image/png");
    /* The CRLF before the delimiter belongs to the delimiter. */
    assert_int_equal(p.items[1].len, 16);
    assert_memory_equal(p.items[1].data, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    arena_free(a);
}

/* What chromium sends for a form with a token, a file input left empty and
 * a textarea (its line breaks are CRLF). */
static const char chromium_body[] =
    "------WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB\r\n"
    "Content-Disposition: form-data; name=\"csrf_token\"\r\n"
    "\r\n"
    "tok-1\r\n"
    "------WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB\r\n"
    "Content-Disposition: form-data; name=\"photo\"; filename=\"\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "\r\n"
    "------WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB\r\n"
    "Content-Disposition: form-data; name=\"notes\"\r\n"
    "\r\n"
    "第一行\r\n第二行\r\n"
    "------WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB\r\n"
    "Content-Disposition: form-data; name=\"photo2\"; filename=\"张三 \\\"证件\\\".jpg\"\r\n"
    "Content-Type: image/jpeg\r\n"
    "\r\n"
    "\xff\xd8\xff\xe0"
    "\r\n"
    "------WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB--\r\n";

static void test_parse_multipart__chromium(void **state)
{
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;

    (void)state;
    assert_int_equal(PARSE(a, chromium_body, "----WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB", &p, &ec), 0);
    assert_int_equal(p.count, 4);
    assert_string_equal(p.items[0].data, "tok-1");
    /* The empty file input: a filename "" and no bytes. */
    assert_string_equal(p.items[1].filename, "");
    assert_int_equal(p.items[1].len, 0);
    assert_string_equal(p.items[2].data, "第一行\r\n第二行");
    assert_string_equal(p.items[3].filename, "张三 \"证件\".jpg");
    assert_int_equal(p.items[3].len, 4);
    assert_memory_equal(p.items[3].data, "\xff\xd8\xff\xe0", 4);
    arena_free(a);
}

/* Binary data holding CR LF, "--", the boundary without its tail and the
 * boundary followed by other characters; a preamble and an epilogue. */
static const char binary_body[] = "this is the preamble\r\n--a b:c is not a delimiter here\r\n"
                                  "--a b:c\r\n"
                                  "content-disposition: FORM-DATA; NAME=bin; filename=x.bin\r\n"
                                  "X-Ignored: yes\r\n"
                                  "Content-Transfer-Encoding: binary\r\n"
                                  "\r\n"
                                  "\r\n--\r\n--a b\r\n--a b:cX\r\n\0\r\n\r\n--a b:\r"
                                  "\r\n--a b:c  \t\r\n"
                                  "Content-Disposition: form-data; name=\"empty\"\r\n"
                                  "\r\n"
                                  "\r\n--a b:c--\r\n"
                                  "this is the epilogue\r\n--a b:c\r\ngarbage";

static void test_parse_multipart__binary_and_quoted_boundary(void **state)
{
    static const char want[] = "\r\n--\r\n--a b\r\n--a b:cX\r\n\0\r\n\r\n--a b:\r";
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;
    char boundary[PARSE_BOUNDARY_MAX + 1];

    (void)state;
    assert_int_equal(parse_multipart_boundary("multipart/form-data; boundary=\"a b:c\"", boundary,
                                              sizeof(boundary)),
                     0);
    assert_int_equal(PARSE(a, binary_body, boundary, &p, &ec), 0);
    assert_int_equal(p.count, 2);
    assert_string_equal(p.items[0].name, "bin");
    assert_string_equal(p.items[0].filename, "x.bin");
    assert_int_equal(p.items[0].len, sizeof(want) - 1);
    assert_memory_equal(p.items[0].data, want, sizeof(want) - 1);
    assert_string_equal(p.items[1].name, "empty");
    assert_string_equal(p.items[1].data, "");
    arena_free(a);
}

static void test_parse_multipart__filename_star(void **state)
{
    static const char body[] =
        "--b\r\n"
        "Content-Disposition: form-data; name=\"f\"; filename=\"fallback.png\";"
        " filename*=UTF-8''%E7%85%A7%E7%89%87.png\r\n"
        "\r\n"
        "x\r\n"
        "--b--";
    static const char bad_charset[] = "--b\r\n"
                                      "Content-Disposition: form-data; name=\"f\"; "
                                      "filename*=ISO-8859-1''%E9.png\r\n"
                                      "\r\n"
                                      "x\r\n"
                                      "--b--";
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;

    (void)state;
    assert_int_equal(PARSE(a, body, "b", &p, &ec), 0);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].filename, "照片.png");
    assert_int_equal(PARSE(a, bad_charset, "b", &p, &ec), ERR_BAD_REQUEST);
    assert_string_equal(ec.field, "f");
    arena_free(a);
}

static void test_parse_multipart__empty_form(void **state)
{
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;

    (void)state;
    /* A form without fields: chromium sends the close delimiter alone. */
    assert_int_equal(PARSE(a, "--b--\r\n", "b", &p, &ec), 0);
    assert_int_equal(p.count, 0);
    arena_free(a);
}

/* Malformed bodies: each is ERR_BAD_REQUEST with a message. */
static const struct {
    const char *name, *body, *field;
} bad_cases[] = {
    {"empty body", "", ""},
    {"no delimiter", "hello", ""},
    {"missing final boundary",
     "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nvalue\r\n--b\r\n", ""},
    {"missing final boundary after data",
     "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nvalue", "t"},
    {"truncated close delimiter",
     "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nvalue\r\n--b", "t"},
    {"truncated header", "--b\r\nContent-Disposition: form-data; name=\"t\"\r\nContent-Ty", "t"},
    {"truncated before the empty line", "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n",
     "t"},
    {"bad utf-8 in a text field",
     "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n\xff\xfe\r\n--b--", "t"},
    {"control character in a text field",
     "--b\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\na\x01\r\n--b--", "t"},
    {"bare LF in headers", "--b\r\nContent-Disposition: form-data; name=\"t\"\n\r\nv\r\n--b--", ""},
    {"bare CR in headers", "--b\r\nContent-Disposition: form-data;\r name=\"t\"\r\n\r\nv\r\n--b--",
     ""},
    {"LF-only body", "--b\nContent-Disposition: form-data; name=\"t\"\n\nv\n--b--\n", ""},
    {"folded header", "--b\r\nContent-Disposition: form-data;\r\n name=\"t\"\r\n\r\nv\r\n--b--",
     ""},
    {"no headers", "--b\r\n\r\nv\r\n--b--", ""},
    {"no Content-Disposition", "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", ""},
    {"two Content-Dispositions",
     "--b\r\nContent-Disposition: form-data; name=\"t\"\r\nContent-Disposition: form-data; "
     "name=\"u\"\r\n\r\nv\r\n--b--",
     "t"},
    {"not form-data", "--b\r\nContent-Disposition: attachment; name=\"t\"\r\n\r\nv\r\n--b--", ""},
    {"no name", "--b\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nv\r\n--b--", ""},
    {"two names", "--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nv\r\n--b--", "a"},
    {"unterminated quote", "--b\r\nContent-Disposition: form-data; name=\"t\r\n\r\nv\r\n--b--", ""},
    {"name not utf-8", "--b\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nv\r\n--b--",
     ""},
    {"filename not utf-8",
     "--b\r\nContent-Disposition: form-data; name=f; filename=\"\xc3\x28\"\r\n\r\nv\r\n--b--", "f"},
    {"header without colon", "--b\r\nContent-Disposition form-data\r\n\r\nv\r\n--b--", ""},
    {"base64 transfer encoding",
     "--b\r\nContent-Disposition: form-data; name=f; filename=a\r\nContent-Transfer-Encoding: "
     "base64\r\n\r\nAAAA\r\n--b--",
     "f"},
};

static void test_parse_multipart__malformed(void **state)
{
    struct arena *a = arena_new();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        struct parse_parts p;
        struct err_ctx ec;
        int rc = parse(a, bad_cases[i].body, strlen(bad_cases[i].body), "b", &p, &ec);
        if (rc != ERR_BAD_REQUEST || !ec.message[0] || strcmp(ec.field, bad_cases[i].field) != 0)
            fail_msg("case %zu (%s): rc %d field \"%s\" message \"%s\"", i, bad_cases[i].name, rc,
                     ec.field, ec.message);
    }
    arena_free(a);
}

/* A body of 'parts' text fields f0, f1, ... */
static char *many_parts(size_t parts, size_t *len)
{
    struct strbuf {
        char *p;
        size_t n;
    } sb = {malloc(parts * 64 + 16), 0};

    for (size_t i = 0; i < parts; i++)
        sb.n += (size_t)snprintf(
            sb.p + sb.n, 64, "--b\r\nContent-Disposition: form-data; name=f%zu\r\n\r\nv\r\n", i);
    sb.n += (size_t)snprintf(sb.p + sb.n, 16, "--b--\r\n");
    *len = sb.n;
    return sb.p;
}

static void test_parse_multipart__too_many_parts(void **state)
{
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;
    size_t len;
    char *body;

    (void)state;
    body = many_parts(PARSE_MULTIPART_MAX_PARTS, &len);
    assert_int_equal(parse(a, body, len, "b", &p, &ec), 0);
    assert_int_equal(p.count, PARSE_MULTIPART_MAX_PARTS);
    assert_string_equal(p.items[63].name, "f63");
    free(body);
    body = many_parts(PARSE_MULTIPART_MAX_PARTS + 1, &len);
    assert_int_equal(parse(a, body, len, "b", &p, &ec), ERR_BAD_REQUEST);
    assert_non_null(strstr(ec.message, "64"));
    free(body);
    arena_free(a);
}

static void test_parse_multipart__header_size_limit(void **state)
{
    struct arena *a = arena_new();
    size_t pad = PARSE_PART_HEADER_MAX;
    char *body = malloc(pad + 256);
    struct parse_parts p;
    struct err_ctx ec;
    int n;

    (void)state;
    n = snprintf(body, 256, "--b\r\nContent-Disposition: form-data; name=t\r\nX-Pad: ");
    memset(body + n, 'x', pad);
    n += (int)pad;
    n += snprintf(body + n, 64, "\r\n\r\nv\r\n--b--");
    assert_int_equal(parse(a, body, (size_t)n, "b", &p, &ec), ERR_BAD_REQUEST);
    assert_non_null(strstr(ec.message, "4096"));
    free(body);
    arena_free(a);
}

static void test_parse_multipart__no_boundary(void **state)
{
    struct arena *a = arena_new();
    struct parse_parts p;
    struct err_ctx ec;

    (void)state;
    assert_int_equal(PARSE(a, "--\r\n", "", &p, &ec), ERR_BAD_REQUEST);
    assert_int_equal(PARSE(a, "--b--", NULL, &p, &ec), ERR_BAD_REQUEST);
    arena_free(a);
}

/* Every prefix of a good body is refused or parsed, never read past. */
static void test_parse_multipart__every_prefix(void **state)
{
    struct arena *a = arena_new();

    (void)state;
    for (size_t n = 0; n < sizeof(chromium_body) - 1; n++) {
        struct parse_parts p;
        struct err_ctx ec;
        int rc = parse(a, chromium_body, n, "----WebKitFormBoundaryx8Hk3Q2ZcW1pL0aB", &p, &ec);
        /* Only the body without its last CRLF (the epilogue) still parses. */
        if (rc != (n >= sizeof(chromium_body) - 3 ? 0 : ERR_BAD_REQUEST))
            fail_msg("prefix of %zu bytes: rc %d", n, rc);
    }
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_multipart_boundary__table),
        cmocka_unit_test(test_parse_multipart_boundary__small_buffer),
        cmocka_unit_test(test_parse_multipart__curl),
        cmocka_unit_test(test_parse_multipart__chromium),
        cmocka_unit_test(test_parse_multipart__binary_and_quoted_boundary),
        cmocka_unit_test(test_parse_multipart__filename_star),
        cmocka_unit_test(test_parse_multipart__empty_form),
        cmocka_unit_test(test_parse_multipart__malformed),
        cmocka_unit_test(test_parse_multipart__too_many_parts),
        cmocka_unit_test(test_parse_multipart__header_size_limit),
        cmocka_unit_test(test_parse_multipart__no_boundary),
        cmocka_unit_test(test_parse_multipart__every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
