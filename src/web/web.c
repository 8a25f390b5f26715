/*
 * web.c - the page layer: assets (embedded or, with --dev, from disk),
 * layouts and the common page context, error pages, flash messages, and the
 * /static/ route.
 *
 * Everything loaded from assets/ lives in one snapshot: the compiled
 * templates and the static files with their hashes. Without --dev there is
 * one snapshot for the life of the server and no lock is taken. With --dev a
 * request first stats the files under assets/ and, if any changed, builds a
 * new snapshot; snapshots are reference-counted under a mutex, so a request
 * still rendering with the old one keeps it until it is done.
 */
#include "core/compat.h"
#include "web/web.h"
#include "core/access.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "web/template.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#define HTML_TYPE        "text/html; charset=utf-8"
#define FLASH_COOKIE     "fazhi_flash"
#define FLASH_TEXT_MAX   200
#define ASSET_FILE_MAX   (8u << 20)
#define ASSET_WALK_DEPTH 8
#define HASH_HEX         16 /* of SHA-256, in asset URLs and ETags */
#define IMMUTABLE        "public, max-age=31536000, immutable"

/* The office this deployment serves, as the pages name it. */
#define SITE_OFFICE  "城西街道办事处"
#define SITE_CONSOLE "法治工作平台"
#define SITE_PORTAL  "智慧城西"

/* ================================================================
 * The navigation
 * ================================================================ */

/*
 * The sections of the console and the portal. An entry is added with the
 * pages it leads to (cases, disclosure, the report, the resident services
 * come with their modules), so that no link leads nowhere. roles: any of
 * them admits (0: every signed-in user).
 */
struct nav_item {
    const char *href, *label;
    unsigned roles;
};

static const struct nav_item console_nav[] = {
    {"/console", "工作台", 0},
    {"/console/ledger", "台账", 0},
    /* resident matters: MATTER_READ_ROLES of modules/matter/matter.h */
    {"/console/matters", "事项办理",
     ROLE_STAFF | ROLE_LEADER | ROLE_OFFICER | ROLE_MEDIATOR | ROLE_ADVISER},
    {"/console/units", "组织与人员", 0},
    {"/console/report", "年度报告", ROLE_STAFF | ROLE_LEADER},
    {"/console/admin", "系统管理", ROLE_ADMIN},
};

static const struct nav_item portal_nav[] = {
    {"/", "首页", 0},
    {"/submit", "反映事项", 0},
    {"/track", "进度查询", 0},
};

/* ================================================================
 * Snapshots of assets/
 * ================================================================ */

struct asset {
    char *name; /* relative to static/: "app.css" */
    const char *data;
    size_t len;
    const char *type;
    char hash[HASH_HEX + 1];
    char etag[HASH_HEX + 3];
    char *url; /* "/static/app.css?v=HASH" */
    char *key; /* "app_css": its member of the "static" context object */
};

struct snapshot {
    unsigned refs;
    struct template_set *templates;
    struct asset *assets; /* sorted by name */
    size_t nassets;
    char **owned; /* file contents read from disk */
    size_t nowned;
    uint64_t fingerprint;
};

/* A file of assets/, from the program or from disk. */
struct src_file {
    char *rel;  /* "templates/login.html" */
    char *path; /* for messages: "assets/templates/login.html" */
    const char *data;
    size_t len;
    char *owned;
    struct timespec mtime;
    off_t size;
};

struct src_list {
    struct src_file *f;
    size_t n, cap;
};

static struct {
    bool started, dev;
    char *dir;
    web_user_fn describe_user;
    web_actor_fn actor_label;
    pthread_mutex_t lock;
    struct snapshot *cur;
    bool failed; /* --dev: the files as they are now do not load */
    uint64_t failed_fp;
    char failed_msg[ERR_MESSAGE_MAX];
    unsigned char flash_key[crypto_auth_KEYBYTES];
} web = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        abort();
    return p;
}

static void src_list_free(struct src_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->f[i].rel);
        free(l->f[i].path);
        free(l->f[i].owned);
    }
    free(l->f);
    memset(l, 0, sizeof(*l));
}

static struct src_file *src_add(struct src_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->f = realloc(l->f, l->cap * sizeof(*l->f));
        if (!l->f)
            abort();
    }
    memset(&l->f[l->n], 0, sizeof(l->f[0]));
    return &l->f[l->n++];
}

static void from_program(struct src_list *l)
{
    for (size_t i = 0; i < web_asset_files_count; i++) {
        struct src_file *f;
        if (!web_asset_files[i].name[0])
            continue; /* the placeholder of an empty array */
        f = src_add(l);
        f->rel = xstrdup(web_asset_files[i].name);
        if (asprintf(&f->path, "assets/%s", f->rel) < 0)
            abort();
        f->data = web_asset_files[i].data;
        f->len = web_asset_files[i].len;
    }
}

/* Editor leftovers and hidden files are not assets. */
static bool skip_name(const char *n)
{
    size_t len = strlen(n);
    return n[0] == '.' || (len && n[len - 1] == '~') || (len > 4 && !strcmp(n + len - 4, ".swp"));
}

/* Lists the regular files under dir/rel (stat only; contents later). */
static int walk(const char *dir, const char *rel, int depth, struct src_list *l, struct err_ctx *ec)
{
    char *full;
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (asprintf(&full, "%s/%s", dir, rel) < 0)
        abort();
    if (!(d = opendir(full))) {
        rc = errno == ENOENT && depth == 0
                 ? 0 /* no static/ or templates/ folder: nothing there */
                 : err_set(ec, ERR_IO, NULL, "无法读取目录 %s：%s", full, strerror(errno));
        free(full);
        return rc;
    }
    while (rc == 0 && (e = readdir(d))) {
        char *child, *child_full;
        struct stat st;

        if (skip_name(e->d_name))
            continue;
        if (asprintf(&child, "%s/%s", rel, e->d_name) < 0 ||
            asprintf(&child_full, "%s/%s", full, e->d_name) < 0)
            abort();
        if (stat(child_full, &st) < 0) {
            /* gone since readdir(), or a dangling link: not an asset */
        } else if (S_ISDIR(st.st_mode) && depth < ASSET_WALK_DEPTH) {
            rc = walk(dir, child, depth + 1, l, ec);
        } else if (S_ISREG(st.st_mode)) {
            struct src_file *f = src_add(l);
            f->rel = child;
            f->path = child_full;
            f->mtime = st.st_mtim;
            f->size = st.st_size;
            continue;
        }
        free(child);
        free(child_full);
    }
    closedir(d);
    free(full);
    return rc;
}

static int list_disk(struct src_list *l, struct err_ctx *ec)
{
    if (walk(web.dir, "templates", 0, l, ec) < 0 || walk(web.dir, "static", 0, l, ec) < 0)
        return ec->code;
    return 0;
}

/* What changes when a file under assets/ is edited, added or removed. */
static uint64_t fingerprint(const struct src_list *l)
{
    uint64_t sum = l->n * 0x9e3779b97f4a7c15ull;

    for (size_t i = 0; i < l->n; i++) {
        const struct src_file *f = &l->f[i];
        uint64_t h = 0xcbf29ce484222325ull;
        int64_t nums[3] = {(int64_t)f->mtime.tv_sec, (int64_t)f->mtime.tv_nsec, (int64_t)f->size};
        for (const char *p = f->rel; *p; p++)
            h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
        for (size_t k = 0; k < sizeof(nums); k++)
            h = (h ^ ((const unsigned char *)nums)[k]) * 0x100000001b3ull;
        sum += h; /* a sum: the order readdir() gives does not matter */
    }
    return sum;
}

static int read_file(struct src_file *f, struct err_ctx *ec)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    size_t got = 0;

    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return err_set(ec, ERR_IO, NULL, "无法读取 %s：%s", f->path, strerror(errno));
    }
    if ((size_t)st.st_size > ASSET_FILE_MAX) {
        close(fd);
        return err_set(ec, ERR_IO, NULL, "%s 超过 %u 字节", f->path, ASSET_FILE_MAX);
    }
    f->owned = malloc((size_t)st.st_size + 1);
    if (!f->owned)
        abort();
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, f->owned + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    f->owned[got] = '\0';
    f->data = f->owned;
    f->len = got;
    return 0;
}

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".json", "application/json; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int by_asset_name(const void *a, const void *b)
{
    return strcmp(((const struct asset *)a)->name, ((const struct asset *)b)->name);
}

static void snapshot_free(struct snapshot *s)
{
    if (!s)
        return;
    template_set_free(s->templates);
    for (size_t i = 0; i < s->nassets; i++) {
        free(s->assets[i].name);
        free(s->assets[i].url);
        free(s->assets[i].key);
    }
    for (size_t i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->assets);
    free(s);
}

static void asset_init(struct asset *a, const struct src_file *f)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];

    a->name = xstrdup(f->rel + strlen("static/"));
    a->data = f->data;
    a->len = f->len;
    a->type = content_type(a->name);
    crypto_hash_sha256(digest, (const unsigned char *)f->data, f->len);
    str_hex(hex, digest, sizeof(digest));
    memcpy(a->hash, hex, HASH_HEX);
    a->hash[HASH_HEX] = '\0';
    snprintf(a->etag, sizeof(a->etag), "\"%s\"", a->hash);
    if (asprintf(&a->url, "/static/%s?v=%s", a->name, a->hash) < 0)
        abort();
    a->key = xstrdup(a->name);
    for (char *p = a->key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
}

/*
 * Builds a snapshot from the files in 'l' (their contents move into it).
 * templates/NAME.html is template NAME; static/FILE is served as /static/FILE.
 */
static int snapshot_build(struct src_list *l, struct snapshot **out, struct err_ctx *ec)
{
    struct snapshot *s = calloc(1, sizeof(*s));
    struct template_source *ts = calloc(l->n ? l->n : 1, sizeof(*ts));
    size_t nts = 0;
    int rc;

    if (!s || !ts)
        abort();
    s->refs = 1;
    s->assets = calloc(l->n ? l->n : 1, sizeof(*s->assets));
    s->owned = calloc(l->n ? l->n : 1, sizeof(*s->owned));
    if (!s->assets || !s->owned)
        abort();
    s->fingerprint = fingerprint(l);
    for (size_t i = 0; i < l->n; i++) {
        struct src_file *f = &l->f[i];
        size_t len = strlen(f->rel);

        if (str_starts_with(f->rel, "templates/") && len > 15 &&
            strcmp(f->rel + len - 5, ".html") == 0) {
            f->rel[len - 5] = '\0'; /* the name: without folder and extension */
            ts[nts++] =
                (struct template_source){f->rel + strlen("templates/"), f->path, f->data, f->len};
        } else if (str_starts_with(f->rel, "static/") && len > 7 && !strchr(f->rel + 7, '/')) {
            /* flat: the route's {file} cannot hold a '/' */
            asset_init(&s->assets[s->nassets++], f);
        }
        if (f->owned) {
            s->owned[s->nowned++] = f->owned;
            f->owned = NULL;
        }
    }
    qsort(s->assets, s->nassets, sizeof(*s->assets), by_asset_name);
    rc = template_set_new(ts, nts, &s->templates, ec);
    free(ts);
    if (rc < 0) {
        snapshot_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int load_disk(struct src_list *l, struct snapshot **out, struct err_ctx *ec)
{
    for (size_t i = 0; i < l->n; i++)
        if (read_file(&l->f[i], ec) < 0)
            return ec->code;
    return snapshot_build(l, out, ec);
}

/*
 * The current snapshot, held until snapshot_release(). With --dev, reloads
 * first if a file changed; 'error' (may be NULL) gets the message of a
 * template error that keeps the files as they are now from loading, or "".
 */
static struct snapshot *snapshot_acquire(char *error, size_t size)
{
    struct src_list l = {0};
    struct err_ctx ec;
    struct snapshot *s;
    uint64_t fp;

    if (error && size)
        error[0] = '\0';
    if (!web.dev)
        return web.cur;
    pthread_mutex_lock(&web.lock);
    err_clear(&ec);
    if (list_disk(&l, &ec) == 0 && (fp = fingerprint(&l)) != web.cur->fingerprint &&
        !(web.failed && fp == web.failed_fp)) {
        if (load_disk(&l, &s, &ec) == 0) {
            if (--web.cur->refs == 0)
                snapshot_free(web.cur);
            web.cur = s;
            web.failed = false;
            log_info("web: assets/ 有改动，已重新加载");
        } else {
            web.failed = true;
            web.failed_fp = fp;
            snprintf(web.failed_msg, sizeof(web.failed_msg), "%s", ec.message);
            log_error("web: 重新加载 assets/ 失败：%s", ec.message);
        }
    }
    src_list_free(&l);
    if (error && size && web.failed)
        snprintf(error, size, "%s", web.failed_msg);
    s = web.cur;
    s->refs++;
    pthread_mutex_unlock(&web.lock);
    return s;
}

static void snapshot_release(struct snapshot *s)
{
    if (!web.dev || !s)
        return;
    pthread_mutex_lock(&web.lock);
    if (--s->refs == 0)
        snapshot_free(s);
    pthread_mutex_unlock(&web.lock);
}

static const struct asset *asset_find(const struct snapshot *s, const char *name)
{
    size_t lo = 0, hi = s->nassets;

    while (name && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, s->assets[mid].name);
        if (cmp == 0)
            return &s->assets[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int web_start(const struct web_config *cfg, struct err_ctx *ec)
{
    struct src_list l = {0};
    int rc;

    if (web.started)
        return err_set(ec, ERR_INTERNAL, NULL, "页面层已启动");
    if (sodium_init() < 0)
        return err_set(ec, ERR_INTERNAL, NULL, "libsodium 初始化失败");
    web.dev = cfg && cfg->dev;
    web.describe_user = cfg ? cfg->describe_user : NULL;
    web.actor_label = cfg ? cfg->actor_label : NULL;
    web.dir = xstrdup(cfg && cfg->assets_dir && *cfg->assets_dir ? cfg->assets_dir : "assets");
    web.failed = false;
    randombytes_buf(web.flash_key, sizeof(web.flash_key));
    if (web.dev) {
        struct stat st;
        if (stat(web.dir, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = err_set(ec, ERR_IO, NULL, "--dev 需要在项目目录中运行：找不到目录 %s", web.dir);
        else if ((rc = list_disk(&l, ec)) == 0)
            rc = load_disk(&l, &web.cur, ec);
    } else {
        from_program(&l);
        rc = snapshot_build(&l, &web.cur, ec);
    }
    src_list_free(&l);
    if (rc < 0) {
        free(web.dir);
        web.dir = NULL;
        return rc;
    }
    web.started = true;
    if (web.dev)
        log_info("web: --dev 模式，模板和静态文件从 %s/ 读取，改动后自动重新加载", web.dir);
    return 0;
}

void web_stop(void)
{
    if (!web.started)
        return;
    snapshot_free(web.cur);
    web.cur = NULL;
    free(web.dir);
    web.dir = NULL;
    web.started = false;
}

/* ================================================================
 * GET /static/{file}
 * ================================================================ */

/* True if the If-None-Match list names 'etag' ("*", weak or strong form). */
static bool etag_listed(const char *header, const char *etag)
{
    size_t n = strlen(etag);

    while (header && *header) {
        const char *end;
        header += strspn(header, " \t,");
        end = header + strcspn(header, ",");
        if (end - header == 1 && *header == '*')
            return true;
        if (str_starts_with(header, "W/"))
            header += 2;
        if ((size_t)(end - header) >= n && memcmp(header, etag, n) == 0 &&
            strspn(header + n, " \t") == (size_t)(end - header - (ptrdiff_t)n))
            return true;
        header = end;
    }
    return false;
}

/*
 * GET /static/{file}  -> 200 | 304 | 404
 * Cached for a year when ?v= carries the file's hash (the URLs the layouts
 * build), else revalidated with the ETag every time.
 */
static int handle_static(struct http_request *req, struct err_ctx *ec)
{
    struct snapshot *s = snapshot_acquire(NULL, 0);
    const struct asset *a = asset_find(s, http_param(req, "file"));
    const char *v = http_query(req, "v");
    const void *data;

    if (!a) {
        snapshot_release(s);
        return err_set(ec, ERR_NOT_FOUND, NULL, "文件不存在");
    }
    http_add_header(req, "ETag", a->etag);
    http_add_header(req, "Cache-Control", v && strcmp(v, a->hash) == 0 ? IMMUTABLE : "no-cache");
    if (etag_listed(http_header(req, "If-None-Match"), a->etag)) {
        snapshot_release(s);
        return http_reply_bytes(req, 304, NULL, "", 0);
    }
    /* A --dev snapshot may be replaced while the reply is being sent. */
    data = web.dev ? arena_memdup(req->arena, a->data, a->len) : a->data;
    http_reply_bytes(req, 200, a->type, data, a->len);
    snapshot_release(s);
    return 0;
}

static const struct http_route routes[] = {
    {"GET", "/static/{file}", handle_static, HTTP_PUBLIC, 0},
};

const struct http_route_table web_routes = {routes, ARRAY_SIZE(routes)};

/* ================================================================
 * The common context
 * ================================================================ */

static void set_str(json_t *obj, const char *key, const char *value)
{
    json_t *v = value ? json_string(value) : NULL;
    if (v)
        json_object_set_new(obj, key, v);
}

static json_t *user_object(const struct principal *p)
{
    json_t *u = json_object(), *roles = json_array(), *flags = json_object();
    struct strbuf text = STRBUF_INIT;

    set_str(u, "login", p->login);
    set_str(u, "display", p->login);
    set_str(u, "name", "");
    set_str(u, "unit", "");
    json_object_set_new(u, "id", json_integer(p->user_id));
    json_object_set_new(u, "unit_id", json_integer(p->unit_id));
    for (unsigned bit = 1; bit <= ROLE_ADMIN; bit <<= 1) {
        if (!(p->roles & bit))
            continue;
        json_array_append_new(
            roles, json_pack("{s:s, s:s}", "code", role_code(bit), "label", role_label(bit)));
        json_object_set_new(flags, role_code(bit), json_true());
        if (text.len)
            strbuf_adds(&text, "、");
        strbuf_adds(&text, role_label(bit));
    }
    json_object_set_new(u, "roles", roles);
    json_object_set_new(u, "role", flags);
    set_str(u, "roles_text", text.buf);
    strbuf_release(&text);
    return u;
}

/* The navigation of a layout; the entry with the longest href that is the
 * path or a folder above it is the current page. */
static json_t *nav_array(const char *layout, const struct principal *p, const char *path)
{
    const struct nav_item *items = console_nav;
    size_t n = ARRAY_SIZE(console_nav), best_len = 0;
    json_t *nav = json_array(), *best = NULL;

    if (strcmp(layout, "portal") == 0) {
        items = portal_nav;
        n = ARRAY_SIZE(portal_nav);
    } else if (!p) {
        return nav; /* the console shows no navigation before sign-in */
    }
    for (size_t i = 0; i < n; i++) {
        size_t hl = strlen(items[i].href);
        json_t *item;

        if (strcmp(layout, "console") == 0 && !access_has_role(p, items[i].roles))
            continue;
        /* "current" is always set, so that a layout's {{#current}} never
         * finds another frame's member of that name. */
        item = json_pack("{s:s, s:s, s:b}", "href", items[i].href, "label", items[i].label,
                         "current", 0);
        json_array_append_new(nav, item);
        if (path && hl > best_len &&
            (strcmp(path, items[i].href) == 0 ||
             (hl > 1 && str_starts_with(path, items[i].href) && path[hl] == '/'))) {
            best = item;
            best_len = hl;
        }
    }
    if (best)
        json_object_set_new(best, "current", json_true());
    return nav;
}

static json_t *common_context(const struct snapshot *s, const struct web_page *pg,
                              const char *layout)
{
    json_t *c = json_object(), *site = json_object(), *st = json_object(), *flash;
    struct date today = date_of_instant(time_now_ms());

    set_str(site, "office", SITE_OFFICE);
    set_str(site, "console_name", SITE_CONSOLE);
    set_str(site, "portal_name", SITE_PORTAL);
    json_object_set_new(site, "year", json_integer(today.year));
    json_object_set_new(c, "site", site);
    for (size_t i = 0; i < s->nassets; i++)
        set_str(st, s->assets[i].key, s->assets[i].url);
    json_object_set_new(c, "static", st);
    set_str(c, "layout", layout);
    set_str(c, "path", pg->path);
    json_object_set_new(c, "dev", json_boolean(web.dev));
    /* Members a layout tests are always set, false or "" when they do not
     * apply, so that a lookup never falls through to a page's member. */
    if (pg->user && pg->user_info)
        json_object_set(c, "user", pg->user_info);
    else if (pg->user)
        json_object_set_new(c, "user", user_object(pg->user));
    else
        json_object_set_new(c, "user", json_false());
    set_str(c, "csrf_token", pg->user && pg->csrf ? pg->user->csrf_token : "");
    json_object_set_new(c, "nav", nav_array(layout, pg->user, pg->path));
    /* The flash of the cookie, then any the page sets for itself. */
    flash = json_array();
    if (json_is_array(pg->flash))
        json_array_extend(flash, pg->flash);
    if (json_is_array(json_object_get(pg->ctx, "flash")))
        json_array_extend(flash, json_object_get(pg->ctx, "flash"));
    json_object_set_new(c, "flash", flash);
    return c;
}

/* The layout of a page: "portal" for portal/..., else "console"; ctx may say. */
static int choose_layout(const char *page, json_t *ctx, const char **out, struct err_ctx *ec)
{
    const char *want = json_string_value(json_object_get(ctx, "layout"));

    if (want) {
        if (strcmp(want, "portal") && strcmp(want, "console") && strcmp(want, "none"))
            return err_set(ec, ERR_INTERNAL, NULL, "未知的页面布局：%s", want);
        *out = strcmp(want, "portal") == 0 ? "portal"
               : strcmp(want, "none") == 0 ? "none"
                                           : "console";
        return 0;
    }
    *out = str_starts_with(page, "portal/") ? "portal" : "console";
    return 0;
}

static int render_with(const struct snapshot *s, const struct web_page *pg, struct strbuf *out,
                       struct err_ctx *ec)
{
    const char *layout = "console";
    json_t *frames[3], *common;
    struct strbuf body = STRBUF_INIT;
    char lname[32];
    int rc;

    if (pg->ctx && !json_is_object(pg->ctx))
        return err_set(ec, ERR_INTERNAL, NULL, "页面上下文须为 JSON 对象");
    if (choose_layout(pg->page, pg->ctx, &layout, ec) < 0)
        return ec->code;
    common = common_context(s, pg, layout);
    frames[0] = common;
    frames[1] = pg->ctx;
    if (strcmp(layout, "none") == 0) {
        rc = template_render(s->templates, pg->page, frames, pg->ctx ? 2 : 1, out, ec);
        json_decref(common);
        return rc;
    }
    strbuf_init(&body, 8192);
    rc = template_render(s->templates, pg->page, frames, pg->ctx ? 2 : 1, &body, ec);
    if (rc == 0) {
        /*
         * The page goes into the layout as a member named *_html: the one
         * kind of value a template may write unescaped. In the layout the
         * common context lies above the page's, so that a page's own "user"
         * or "nav" (a user admin page, say) cannot stand in for the
         * signed-in user's; "title" is the page's.
         */
        json_t *page_ctx = pg->ctx ? json_incref(pg->ctx) : json_object();
        frames[0] = page_ctx;
        frames[1] = common;
        frames[2] = json_pack("{s:s%}", "content_html", body.buf, body.len);
        snprintf(lname, sizeof(lname), "layout/%s", layout);
        rc = template_render(s->templates, lname, frames, 3, out, ec);
        json_decref(frames[2]);
        json_decref(page_ctx);
    }
    strbuf_release(&body);
    json_decref(common);
    return rc;
}

int web_render_page(const struct web_page *pg, struct strbuf *out, struct err_ctx *ec)
{
    struct snapshot *s;
    int rc;

    if (!web.started)
        return err_set(ec, ERR_INTERNAL, NULL, "页面层未启动");
    s = snapshot_acquire(NULL, 0);
    rc = render_with(s, pg, out, ec);
    snapshot_release(s);
    return rc;
}

/* ================================================================
 * Flash messages
 * ================================================================ */

static const char *const flash_kinds[] = {"success", "info", "error"};

static void flash_mac(const char *msg, size_t len, char hex[2 * crypto_auth_BYTES + 1])
{
    unsigned char tag[crypto_auth_BYTES];
    crypto_auth(tag, (const unsigned char *)msg, len, web.flash_key);
    str_hex(hex, tag, sizeof(tag));
}

void web_flash(struct http_request *req, enum web_flash_kind kind, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    char mac[2 * crypto_auth_BYTES + 1];
    struct strbuf v = STRBUF_INIT;
    size_t n = text ? strlen(text) : 0;

    if (!web.started || (unsigned)kind >= ARRAY_SIZE(flash_kinds) || n == 0)
        return;
    if (n > FLASH_TEXT_MAX) {
        n = FLASH_TEXT_MAX;
        while (n && ((unsigned char)text[n] & 0xc0) == 0x80)
            n--; /* not inside a UTF-8 sequence */
    }
    strbuf_addch(&v, "sie"[kind]);
    strbuf_addch(&v, '.');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_') {
            strbuf_addch(&v, c);
        } else {
            strbuf_addch(&v, '%');
            strbuf_addch(&v, hex[c >> 4]);
            strbuf_addch(&v, hex[c & 15]);
        }
    }
    flash_mac(v.buf, v.len, mac);
    strbuf_addch(&v, '.');
    strbuf_adds(&v, mac);
    http_set_cookie(req, FLASH_COOKIE, v.buf, -1);
    strbuf_release(&v);
}

static int unhex(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The flash message of the cookie as [{kind, text}], or NULL; clears it. */
static json_t *take_flash(struct http_request *req)
{
    const char *c = http_cookie(req, FLASH_COOKIE);
    const char *dot;
    char mac[2 * crypto_auth_BYTES + 1], text[3 * FLASH_TEXT_MAX + 1];
    size_t n = 0, body;
    int kind;

    if (!c || !*c)
        return NULL;
    http_set_cookie(req, FLASH_COOKIE, "", 0);
    dot = strrchr(c, '.');
    if (!dot || strlen(dot + 1) != 2 * crypto_auth_BYTES || c[1] != '.')
        return NULL;
    body = (size_t)(dot - c);
    flash_mac(c, body, mac);
    if (sodium_memcmp(mac, dot + 1, sizeof(mac) - 1) != 0)
        return NULL; /* not ours, or from before a restart */
    kind = c[0] == 's' ? 0 : c[0] == 'i' ? 1 : c[0] == 'e' ? 2 : -1;
    for (const char *p = c + 2; p < dot && n + 1 < sizeof(text); p++) {
        if (*p == '%' && p + 2 < dot && unhex(p[1]) >= 0 && unhex(p[2]) >= 0) {
            text[n++] = (char)(unhex(p[1]) * 16 + unhex(p[2]));
            p += 2;
        } else {
            text[n++] = *p;
        }
    }
    text[n] = '\0';
    if (kind < 0 || !n || !str_is_clean_utf8(text, n))
        return NULL;
    return json_pack("[{s:s, s:s}]", "kind", flash_kinds[kind], "text", text);
}

/* ================================================================
 * Pages
 * ================================================================ */

static json_t *request_user(struct http_request *req)
{
    json_t *u;
    struct err_ctx ec;

    if (!req->principal)
        return NULL;
    u = user_object(req->principal);
    err_clear(&ec);
    if (web.describe_user && web.describe_user(req, u, &ec) < 0)
        log_warn("web: 无法读取用户 %s 的资料：%s", req->principal->login, ec.message);
    return u;
}

/* --dev: the template error as the page, so the author sees it at once. */
static int dev_error_reply(struct http_request *req, const char *msg)
{
    struct strbuf sb = STRBUF_INIT;
    char *buf;
    size_t len;

    strbuf_adds(&sb, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                     "<title>模板错误</title></head><body><h1>模板错误</h1><pre>");
    template_escape_html(&sb, msg, strlen(msg));
    strbuf_adds(&sb, "</pre><p>改正模板文件后刷新本页即可（--dev 模式）。</p></body></html>\n");
    buf = strbuf_detach(&sb, &len);
    arena_on_free(req->arena, free, buf);
    return http_reply_bytes(req, 500, HTML_TYPE, buf, len);
}

int web_render(struct http_request *req, int status, const char *page, json_t *ctx,
               struct err_ctx *ec)
{
    struct web_page pg = {page, ctx, req->principal, req->via_cookie, req->path, NULL, NULL};
    char error[ERR_MESSAGE_MAX];
    struct strbuf out;
    struct snapshot *s;
    char *buf;
    size_t len;
    int rc;

    if (!web.started) {
        json_decref(ctx);
        return err_set(ec, ERR_INTERNAL, NULL, "页面层未启动");
    }
    s = snapshot_acquire(error, sizeof(error));
    if (error[0]) {
        snapshot_release(s);
        json_decref(ctx);
        return dev_error_reply(req, error);
    }
    pg.user_info = request_user(req);
    pg.flash = take_flash(req);
    strbuf_init(&out, 16384);
    rc = render_with(s, &pg, &out, ec);
    snapshot_release(s);
    json_decref(pg.user_info);
    json_decref(pg.flash);
    json_decref(ctx);
    if (rc < 0) {
        strbuf_release(&out);
        return rc;
    }
    buf = strbuf_detach(&out, &len);
    arena_on_free(req->arena, free, buf);
    return http_reply_bytes(req, status, HTML_TYPE, buf, len);
}

static const char *error_heading(int status)
{
    switch (status) {
    case 400:
        return "请求有误";
    case 401:
        return "请先登录";
    case 403:
        return "无权访问";
    case 404:
        return "页面不存在";
    case 405:
        return "不支持此操作";
    case 409:
        return "操作与当前状态冲突";
    case 413:
        return "提交的内容过大";
    case 415:
        return "提交的格式不受支持";
    case 422:
        return "提交的内容有误";
    case 429:
        return "操作过于频繁";
    case 503:
        return "服务暂不可用";
    default:
        return "服务器内部错误";
    }
}

static void percent_encode(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c)) {
            strbuf_addch(sb, c);
        } else {
            strbuf_addch(sb, '%');
            strbuf_addch(sb, hex[c >> 4]);
            strbuf_addch(sb, hex[c & 15]);
        }
    }
}

int web_error_page(struct http_request *req, struct err_ctx *ec)
{
    enum err code = ec->code != ERR_OK ? ec->code : ERR_INTERNAL;
    int status = http_error_status(code);
    const char *message = ec->message[0] ? ec->message : err_default_message(code);
    struct err_ctx rec;
    json_t *ctx;

    if (code == ERR_UNAUTHENTICATED &&
        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
        struct strbuf loc = STRBUF_INIT;
        char *s;
        strbuf_adds(&loc, WEB_LOGIN_PATH "?next=");
        percent_encode(&loc, req->path);
        s = arena_strdup(req->arena, loc.buf);
        strbuf_release(&loc);
        return web_redirect_see_other(req, s);
    }
    if (status >= 500) {
        log_error("web %s %s: %d %s: %s%s%s", req->method, http_log_path(req), status,
                  err_code_name(code), message, ec->detail[0] ? " | " : "", ec->detail);
        message = err_default_message(code); /* the detail of a fault is for the log */
        if (ec->message[0] && code == ERR_UNAVAILABLE)
            message = ec->message;
    }
    ctx = json_pack("{s:s, s:s, s:i, s:s, s:b, s:s}", "title", error_heading(status), "heading",
                    error_heading(status), "status", status, "message", message, "signin",
                    code == ERR_UNAUTHENTICATED, "layout", req->principal ? "console" : "portal");
    if (ctx && ec->field[0])
        set_str(ctx, "field", ec->field);
    err_clear(&rec);
    if (!ctx || web_render(req, status, "error", ctx, &rec) < 0) {
        log_error("web: 无法渲染错误页：%s", rec.message);
        return code; /* the server answers in JSON */
    }
    return 0;
}

int web_render_invalid(struct http_request *req, const char *page, json_t *ctx, struct err_ctx *ec)
{
    enum err code = ec->code != ERR_OK ? ec->code : ERR_INTERNAL;
    const char *message = ec->message[0] ? ec->message : err_default_message(code);
    json_t *errors;

    switch (code) {
    case ERR_BAD_REQUEST:
    case ERR_INVALID:
    case ERR_CONFLICT:
    case ERR_TOO_LARGE:
    case ERR_MEDIA_TYPE:
    case ERR_RATE_LIMIT:
    case ERR_UNAUTHENTICATED: /* a sign-in form: wrong password */
        break;
    default:
        json_decref(ctx);
        return web_error_page(req, ec);
    }
    if (!ctx)
        ctx = json_object();
    errors = json_object_get(ctx, "errors");
    if (!json_is_object(errors)) {
        errors = json_object();
        json_object_set_new(ctx, "errors", errors);
    }
    if (ec->field[0]) {
        set_str(errors, ec->field, message);
        set_str(ctx, "error", "请修改下面标出的项目后重新提交");
    } else {
        set_str(ctx, "error", message);
    }
    return web_render(req, http_error_status(code), page, ctx, ec);
}

void web_form_values(json_t *ctx, const struct http_form *form, const char *const *names)
{
    json_t *values;

    if (!json_is_object(ctx) || !form || !names)
        return;
    values = json_object_get(ctx, "form");
    if (!json_is_object(values)) {
        values = json_object();
        json_object_set_new(ctx, "form", values);
    }
    for (; *names; names++)
        set_str(values, *names, http_form_get(form, *names));
}

bool web_local_path(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/' || s[1] == '\\')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
            return false;
    return true;
}

int web_redirect_see_other(struct http_request *req, const char *location)
{
    return http_reply_redirect(req, 303, web_local_path(location) ? location : "/");
}

const char *web_actor_label(struct http_request *req, const char *actor)
{
    const char *label = actor && web.actor_label ? web.actor_label(req, actor) : NULL;
    return label ? label : actor ? actor : "";
}
