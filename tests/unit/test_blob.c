/*
 * test_blob.c - the content-addressed file store (src/store/blob.c) and the
 * image sniffer it is used with (src/core/media.c).
 *
 * Each store test gets a fresh directory under /tmp, removed afterwards.
 */
#include "core/compat.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/media.h"
#include "store/blob.h"

/* sha256("hello\n") */
#define HELLO_SHA256 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

/* A minimal PNG: signature, IHDR (1x1, 8-bit grey), IDAT, IEND. */
static const unsigned char tiny_png[] = {
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
    0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x08,
    0xD7, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0xE2, 0x21, 0xBC, 0x33, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
};

struct fixture {
    char dir[64];   /* the temporary directory */
    char store[96]; /* DIR/blobs: created by blob_store_open */
    struct blob_store *bs;
};

static void remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    while (d && (e = readdir(d)) != NULL) {
        char sub[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

/* The number of entries of 'dir' other than . and .. (-1 if unreadable). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err_ctx ec;

    err_clear(&ec);
    snprintf(f->dir, sizeof(f->dir), "/tmp/fazhi-blob-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->store, sizeof(f->store), "%s/blobs", f->dir);
    if (blob_store_open(f->store, &f->bs, &ec) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    blob_store_free(f->bs);
    remove_tree(f->dir);
    free(f);
    return 0;
}

/* ---- blob store ---- */

static void test_blob_store_open__creates_private_dir(void **state)
{
    struct fixture *f = *state;
    struct blob_store *again = NULL;
    struct err_ctx ec;
    struct stat st;
    char file[160];

    assert_int_equal(stat(f->store, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    /* Opening an existing store is fine; a file in the way is not. */
    err_clear(&ec);
    assert_int_equal(blob_store_open(f->store, &again, &ec), 0);
    blob_store_free(again);
    snprintf(file, sizeof(file), "%s/plain", f->dir);
    fclose(fopen(file, "w"));
    err_clear(&ec);
    assert_int_equal(blob_store_open(file, &again, &ec), ERR_IO);
    assert_null(again);
    assert_true(ec.message[0] != '\0');
}

static void test_blob_put__twice_same_name_one_file(void **state)
{
    struct fixture *f = *state;
    char hex1[BLOB_NAME_LEN + 1], hex2[BLOB_NAME_LEN + 1], path[256], sub[160];
    struct err_ctx ec;
    struct stat st;

    err_clear(&ec);
    assert_int_equal(blob_put(f->bs, "hello\n", 6, hex1, &ec), 0);
    assert_string_equal(hex1, HELLO_SHA256);
    snprintf(sub, sizeof(sub), "%s/58", f->store);
    snprintf(path, sizeof(path), "%s/%s", sub, HELLO_SHA256);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 6);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(blob_put(f->bs, "hello\n", 6, hex2, &ec), 0);
    assert_string_equal(hex1, hex2);
    /* One file, no temporary left behind, one subdirectory. */
    assert_int_equal(count_entries(sub), 1);
    assert_int_equal(count_entries(f->store), 1);
}

static void test_blob_get__round_trip(void **state)
{
    struct fixture *f = *state;
    struct arena *a = arena_new();
    char hex[BLOB_NAME_LEN + 1];
    const void *data;
    size_t len;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(blob_put(f->bs, tiny_png, sizeof(tiny_png), hex, &ec), 0);
    assert_int_equal(blob_get(f->bs, hex, a, &data, &len, &ec), 0);
    assert_int_equal(len, sizeof(tiny_png));
    assert_memory_equal(data, tiny_png, len);
    /* An empty blob is a blob too. */
    assert_int_equal(blob_put(f->bs, "", 0, hex, &ec), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(blob_get(f->bs, hex, a, &data, &len, &ec), 0);
    assert_int_equal(len, 0);
    arena_free(a);
}

static void test_blob_get__bad_names_not_found(void **state)
{
    static const char *const bad[] = {
        "",
        "abc",
        "../../../../etc/passwd",
        "5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03", /* upper case */
        HELLO_SHA256 "0",                                                   /* 65 chars */
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be0",  /* 63 */
        "58/../../5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e8",
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be0g",
    };
    struct fixture *f = *state;
    struct arena *a = arena_new();
    char hex[BLOB_NAME_LEN + 1];
    const void *data = "x";
    size_t len = 1;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(blob_put(f->bs, "hello\n", 6, hex, &ec), 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err_clear(&ec);
        if (blob_get(f->bs, bad[i], a, &data, &len, &ec) != ERR_NOT_FOUND)
            fail_msg("name %zu (%s) not refused", i, bad[i]);
        assert_null(data);
        assert_int_equal(len, 0);
    }
    err_clear(&ec);
    assert_int_equal(blob_get(f->bs, NULL, a, &data, &len, &ec), ERR_NOT_FOUND);
    /* Well-formed, but nothing stored under it. */
    err_clear(&ec);
    assert_int_equal(blob_get(f->bs,
                              "0000000000000000000000000000000000000000000000000000000000000000", a,
                              &data, &len, &ec),
                     ERR_NOT_FOUND);
    assert_true(blob_name_ok(HELLO_SHA256));
    assert_false(blob_name_ok("../" HELLO_SHA256));
    arena_free(a);
}

/* ---- media sniffing ---- */

/* Writes 'data' to DIR/name and reads it back, as an upload would arrive. */
static size_t through_file(const struct fixture *f, const char *name, const void *data, size_t len,
                           unsigned char *buf, size_t size)
{
    char path[160];
    FILE *fp;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    n = fread(buf, 1, size, fp);
    fclose(fp);
    return n;
}

static void test_media_image_type__by_content_not_name(void **state)
{
    static const char text[] = "这不是图片，只是一个文本文件。\n";
    struct fixture *f = *state;
    unsigned char buf[256];
    size_t n;

    n = through_file(f, "photo.exe", tiny_png, sizeof(tiny_png), buf, sizeof(buf));
    assert_string_equal(media_image_type(buf, n), "image/png");
    n = through_file(f, "x.jpg", text, sizeof(text) - 1, buf, sizeof(buf));
    assert_null(media_image_type(buf, n));
}

static void test_media_image_type__table(void **state)
{
    static const struct {
        const char *data;
        size_t len;
        const char *want;
    } cases[] = {
        {"\xFF\xD8\xFF\xE0\x00\x10JFIF", 10, "image/jpeg"},
        {"\xFF\xD8\xFF", 3, "image/jpeg"},
        {"\xFF\xD8", 2, NULL},
        {"\xFF\xD8\xFE", 3, NULL},
        {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "image/png"},
        {"\x89PNG\r\n\x1a\n\0\0\0\rIHD", 15, NULL},    /* cut short */
        {"\x89PNG\r\n\x1a\n\0\0\0\rIDAT", 16, NULL},   /* not IHDR first */
        {"\x89PNG\r\n\x1a\n\0\0\0\x0eIHDR", 16, NULL}, /* IHDR is 13 bytes */
        {"\x89PNG\n\x1a\n\0\0\0\rIHDRx", 16, NULL},    /* line ends converted */
        {"GIF89a", 6, NULL},
        {"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", 41, NULL},
        {"", 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *got = media_image_type(cases[i].data, cases[i].len);
        if (cases[i].want ? !got || strcmp(got, cases[i].want) != 0 : got != NULL)
            fail_msg("case %zu: %s", i, got ? got : "NULL");
    }
    assert_null(media_image_type(NULL, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blob_store_open__creates_private_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_put__twice_same_name_one_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_get__round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_get__bad_names_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_media_image_type__by_content_not_name, setup,
                                        teardown),
        cmocka_unit_test(test_media_image_type__table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
