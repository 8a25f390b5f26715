/*
 * blob.c - the content-addressed file store (see blob.h).
 *
 * Plain POSIX files: no SQLite here. Every path is built from the store's
 * directory and a name checked to be 64 lower-case hex characters, so no
 * input can name a file outside the store.
 */
#include "core/compat.h"
#include "store/blob.h"
#include "core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

struct blob_store {
    char *dir;
};

bool blob_name_ok(const char *hex)
{
    size_t i;

    if (!hex)
        return false;
    for (i = 0; i < BLOB_NAME_LEN; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return false;
    return hex[i] == '\0';
}

/* fsync of a directory: makes the entries created or renamed in it durable. */
static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* The directory that holds 'path' ("." for a bare name), for fsync_dir(). */
static char *parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n;
    char *p;

    if (!slash)
        return strdup(".");
    n = slash == path ? 1 : (size_t)(slash - path);
    p = malloc(n + 1);
    if (p) {
        memcpy(p, path, n);
        p[n] = '\0';
    }
    return p;
}

/* Creates 'dir' (0700) if it is missing, then makes its entry durable. */
static int ensure_dir(const char *dir, struct err_ctx *ec)
{
    struct stat st;

    if (mkdir(dir, 0700) == 0) {
        char *parent = parent_of(dir);
        int rc = parent ? fsync_dir(parent) : -1;
        free(parent);
        if (rc < 0)
            return err_set(ec, ERR_IO, NULL, "无法同步文件存储目录“%s”", dir),
                   err_detail(ec, "fsync parent of %s: %s", dir, strerror(errno));
        return 0;
    }
    if (errno != EEXIST)
        return err_set(ec, ERR_IO, NULL, "无法创建文件存储目录“%s”", dir),
               err_detail(ec, "mkdir %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(ec, ERR_IO, NULL, "文件存储路径“%s”不是目录", dir);
    return 0;
}

int blob_store_open(const char *dir, struct blob_store **out, struct err_ctx *ec)
{
    struct blob_store *bs;
    size_t n;
    int rc;

    *out = NULL;
    if (!dir || !*dir)
        return err_set(ec, ERR_INVALID, NULL, "未指定文件存储目录");
    if (sodium_init() < 0)
        return err_set(ec, ERR_INTERNAL, NULL, "libsodium 初始化失败");
    bs = calloc(1, sizeof(*bs));
    if (!bs || !(bs->dir = strdup(dir))) {
        free(bs);
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    }
    /* "dir/" and "dir" are the same store. */
    n = strlen(bs->dir);
    while (n > 1 && bs->dir[n - 1] == '/')
        bs->dir[--n] = '\0';
    if ((rc = ensure_dir(bs->dir, ec)) < 0) {
        blob_store_free(bs);
        return rc;
    }
    *out = bs;
    return 0;
}

void blob_store_free(struct blob_store *bs)
{
    if (!bs)
        return;
    free(bs->dir);
    free(bs);
}

/* Writes all of data to fd (short writes and EINTR retried). */
static int write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int blob_put(struct blob_store *bs, const void *data, size_t len, char hex[BLOB_NAME_LEN + 1],
             struct err_ctx *ec)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    char *sub = NULL, *path = NULL, *tmp = NULL;
    struct stat st;
    int fd = -1, rc = 0, saved;

    crypto_hash_sha256(hash, data, len);
    str_hex(hex, hash, sizeof(hash));
    if (asprintf(&sub, "%s/%.2s", bs->dir, hex) < 0) {
        sub = NULL;
        rc = err_set(ec, ERR_NOMEM, NULL, NULL);
        goto out;
    }
    if (asprintf(&path, "%s/%s", sub, hex) < 0 || asprintf(&tmp, "%s/.tmp-XXXXXX", sub) < 0) {
        rc = err_set(ec, ERR_NOMEM, NULL, NULL);
        goto out;
    }
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        goto out; /* the same bytes are stored already */
    if ((rc = ensure_dir(sub, ec)) < 0)
        goto out;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        saved = errno;
        free(tmp);
        tmp = NULL; /* nothing to remove */
        errno = saved;
        goto io;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
        goto io;
    if (close(fd) < 0) {
        fd = -1;
        goto io;
    }
    fd = -1;
    /* Atomic: a reader sees no file or the whole file. A concurrent put of
       the same bytes may have won the race; replacing its file is harmless. */
    if (rename(tmp, path) < 0)
        goto io;
    free(tmp);
    tmp = NULL;
    if (fsync_dir(sub) < 0)
        goto io;
    goto out;
io:
    saved = errno;
    rc = err_set(ec, ERR_IO, NULL, "无法保存上传的文件");
    err_detail(ec, "%s: %s", path, strerror(saved));
out:
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
    free(tmp);
    free(path);
    free(sub);
    return rc;
}

int blob_get(struct blob_store *bs, const char *hex, struct arena *a, const void **data,
             size_t *len, struct err_ctx *ec)
{
    char path[4096];
    struct stat st;
    unsigned char *buf;
    size_t got = 0;
    int fd;

    *data = NULL;
    *len = 0;
    if (!blob_name_ok(hex))
        return err_set(ec, ERR_NOT_FOUND, NULL, "文件不存在");
    if ((size_t)snprintf(path, sizeof(path), "%s/%.2s/%s", bs->dir, hex, hex) >= sizeof(path))
        return err_set(ec, ERR_IO, NULL, "文件存储路径过长");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return err_set(ec, ERR_NOT_FOUND, NULL, "文件不存在");
        return err_set(ec, ERR_IO, NULL, "无法读取文件"),
               err_detail(ec, "open %s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(ec, ERR_IO, NULL, "无法读取文件"), err_detail(ec, "%s: not a file", path);
    }
    buf = arena_alloc(a, (size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int saved = errno;
            close(fd);
            return err_set(ec, ERR_IO, NULL, "无法读取文件"),
                   err_detail(ec, "read %s: %s", path, r < 0 ? strerror(saved) : "short file");
        }
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}
