/*
 * main.c - the fazhi command line: one program, a table of subcommands.
 *
 * Every subcommand takes its options from flags with environment fall-backs
 * (FAZHI_DB, FAZHI_LISTEN, FAZHI_THREADS, FAZHI_LOG_LEVEL, FAZHI_DEV). A
 * usage error (an unknown option, a bad value, a missing argument) prints one
 * line and exits with status 2; a failure of the work itself exits with 1.
 *
 * Commands that change data act as the "cli" principal: every role, the
 * whole tree (whoever can run the program on the database file can do
 * anything anyway), and their changes are audited as "cli:<user>".
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "http/server.h"
#include "http/sse.h"
#include "modules/account/account.h"
#include "modules/account/account_http.h"
#include "modules/cases/cases.h"
#include "modules/cases/cases_http.h"
#include "modules/demo.h"
#include "modules/findings/findings_http.h"
#include "modules/ledger/ledger.h"
#include "modules/ledger/ledger_http.h"
#include "modules/matter/matter_http.h"
#include "modules/metrics/metrics.h"
#include "modules/metrics/metrics_http.h"
#include "modules/open311/open311.h"
#include "modules/org/org.h"
#include "modules/org/org_http.h"
#include "modules/report/annual.h"
#include "modules/report/annual_pages.h"
#include "modules/webhook/webhook.h"
#include "modules/webhook/webhook_http.h"
#include "report/report.h"
#include "store/blob.h"
#include "store/store.h"
#include "web/web.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <sodium.h>
#include <signal.h>
#include <unistd.h>

#ifndef FAZHI_VERSION
#define FAZHI_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2

/* The modules of this build, in the order their routes are registered. */
/* clang-format off */
static const struct module *const modules[] = {
    &org_module,
    &account_module,
    &ledger_module,
    &metrics_module,
    &findings_module,
    &report_module,
    &cases_module,
    &matter_module,
    &webhook_module,
    &open311_module,
};
/* clang-format on */

struct cmd {
    const char *name; /* "user add" */
    int (*run)(int argc, char **argv);
    const char *args;    /* synopsis after the name */
    const char *summary; /* one line, zh-CN */
    const char *help;    /* the options, zh-CN */
};

static const struct cmd *current;

/* ================================================================
 * Options
 * ================================================================ */

#define OPT_DB_HELP "  --db PATH          数据库文件（环境变量 FAZHI_DB，默认 fazhi.db）\n"

static FZ_NORETURN void usage_error(const char *fmt, ...) FZ_PRINTF(1, 2);

static void usage_error(const char *fmt, ...)
{
    char msg[512];
    size_t n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    /* One line: what is wrong, then where the usage is. */
    fprintf(stderr, "fazhi %s: %s（用法：fazhi %s --help）\n", current->name, msg, current->name);
    exit(EXIT_USAGE);
}

static void print_help(const struct cmd *c)
{
    printf("用法：fazhi %s %s\n\n%s\n", c->name, c->args, c->summary);
    if (c->help && *c->help)
        printf("\n选项：\n%s", c->help);
}

struct opts {
    const char *db;
    const char *listen;
    const char *name, *unit, *role, *code, *type, *parent;
    const char *from, *to;            /* metrics: a period as dates */
    const char *format, *output;      /* report */
    const char *shortcomings, *plans; /* report: files of free text */
    const char *events;               /* webhook add */
    const char *files;                /* serve: the photo store */
    const char *trusted_proxy;        /* serve */
    bool password_stdin;
    bool secret_stdin; /* webhook add */
    bool dev;          /* serve: templates and static files from assets/ on disk */
    int64_t threads;
    int64_t max_batch;
    int64_t seed, scale;          /* demo */
    int64_t year, quarter, month; /* metrics, findings, report */
    int64_t webhook_retry_ms;     /* serve */
    int64_t submit_limit;         /* serve; -1 when not given */
};

enum {
    OPT_DB = 256,
    OPT_LISTEN,
    OPT_THREADS,
    OPT_MAX_BATCH,
    OPT_NAME,
    OPT_UNIT,
    OPT_ROLE,
    OPT_CODE,
    OPT_TYPE,
    OPT_PARENT,
    OPT_PASSWORD_STDIN,
    OPT_LOG_LEVEL,
    OPT_DEV,
    OPT_SEED,
    OPT_SCALE,
    OPT_YEAR,
    OPT_QUARTER,
    OPT_MONTH,
    OPT_FROM,
    OPT_TO,
    OPT_FORMAT,
    OPT_OUTPUT,
    OPT_SHORTCOMINGS,
    OPT_PLANS,
    OPT_EVENTS,
    OPT_SECRET_STDIN,
    OPT_WEBHOOK_RETRY_MS,
    OPT_FILES,
    OPT_TRUSTED_PROXY,
    OPT_SUBMIT_LIMIT,
    OPT_HELP,
};

/* Options that take text, and the member of struct opts it goes to. */
static const struct {
    int code;
    size_t off;
} text_opts[] = {
    {OPT_DB, offsetof(struct opts, db)},
    {OPT_LISTEN, offsetof(struct opts, listen)},
    {OPT_NAME, offsetof(struct opts, name)},
    {OPT_UNIT, offsetof(struct opts, unit)},
    {OPT_ROLE, offsetof(struct opts, role)},
    {OPT_CODE, offsetof(struct opts, code)},
    {OPT_TYPE, offsetof(struct opts, type)},
    {OPT_PARENT, offsetof(struct opts, parent)},
    {OPT_FROM, offsetof(struct opts, from)},
    {OPT_TO, offsetof(struct opts, to)},
    {OPT_FORMAT, offsetof(struct opts, format)},
    {OPT_OUTPUT, offsetof(struct opts, output)},
    {OPT_SHORTCOMINGS, offsetof(struct opts, shortcomings)},
    {OPT_PLANS, offsetof(struct opts, plans)},
    {OPT_EVENTS, offsetof(struct opts, events)},
    {OPT_FILES, offsetof(struct opts, files)},
    {OPT_TRUSTED_PROXY, offsetof(struct opts, trusted_proxy)},
};

/* Options that take an integer, its member, its range and what it is. */
static const struct {
    int code;
    size_t off;
    int64_t min, max;
    const char *what;
} int_opts[] = {
    {OPT_THREADS, offsetof(struct opts, threads), 1, 256, "1 到 256 的整数"},
    {OPT_MAX_BATCH, offsetof(struct opts, max_batch), 1, 10000, "1 到 10000 的整数"},
    {OPT_SEED, offsetof(struct opts, seed), 0, INT64_MAX, "非负整数"},
    {OPT_SCALE, offsetof(struct opts, scale), 1, DEMO_SCALE_MAX, "1 到 500 的整数"},
    {OPT_YEAR, offsetof(struct opts, year), 1900, 9998, "四位年份"},
    {OPT_QUARTER, offsetof(struct opts, quarter), 1, 4, "1 到 4"},
    {OPT_MONTH, offsetof(struct opts, month), 1, 12, "1 到 12"},
    {OPT_SUBMIT_LIMIT, offsetof(struct opts, submit_limit), 0, 1000000, "非负整数"},
    {OPT_WEBHOOK_RETRY_MS, offsetof(struct opts, webhook_retry_ms), 1, 600000,
     "1 到 600000 的整数（毫秒）"},
};

/*
 * Parses the options 'allowed' (a string of OPT_* codes as chars offset by
 * OPT_DB, so each command lists what it takes) and leaves the positional
 * arguments in argv[optind..]. Exits on --help or a usage error.
 */
static void parse_opts(int argc, char **argv, const int *allowed, size_t nallowed, struct opts *o)
{
    static const struct option all[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-batch", required_argument, NULL, OPT_MAX_BATCH},
        {"name", required_argument, NULL, OPT_NAME},
        {"unit", required_argument, NULL, OPT_UNIT},
        {"role", required_argument, NULL, OPT_ROLE},
        {"code", required_argument, NULL, OPT_CODE},
        {"type", required_argument, NULL, OPT_TYPE},
        {"parent", required_argument, NULL, OPT_PARENT},
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"dev", no_argument, NULL, OPT_DEV},
        {"seed", required_argument, NULL, OPT_SEED},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"year", required_argument, NULL, OPT_YEAR},
        {"quarter", required_argument, NULL, OPT_QUARTER},
        {"month", required_argument, NULL, OPT_MONTH},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"shortcomings", required_argument, NULL, OPT_SHORTCOMINGS},
        {"plans", required_argument, NULL, OPT_PLANS},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"secret-stdin", no_argument, NULL, OPT_SECRET_STDIN},
        {"webhook-retry-ms", required_argument, NULL, OPT_WEBHOOK_RETRY_MS},
        {"files", required_argument, NULL, OPT_FILES},
        {"trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY},
        {"submit-limit", required_argument, NULL, OPT_SUBMIT_LIMIT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *env;
    int c;

    memset(o, 0, sizeof(*o));
    o->db = (env = getenv("FAZHI_DB")) && *env ? env : "fazhi.db";
    o->listen = (env = getenv("FAZHI_LISTEN")) && *env ? env : "127.0.0.1:8080";
    if ((env = getenv("FAZHI_THREADS")) && *env && str_to_int64(env, 1, 256, &o->threads) < 0)
        usage_error("环境变量 FAZHI_THREADS 应为 1 到 256 的整数\n");
    if ((env = getenv("FAZHI_MAX_BATCH")) && *env && str_to_int64(env, 1, 10000, &o->max_batch) < 0)
        usage_error("环境变量 FAZHI_MAX_BATCH 应为 1 到 10000 的整数\n");
    o->dev = (env = getenv("FAZHI_DEV")) && strcmp(env, "1") == 0;
    o->files = (env = getenv("FAZHI_FILES")) && *env ? env : NULL;
    o->trusted_proxy = (env = getenv("FAZHI_TRUSTED_PROXY")) && *env ? env : NULL;
    o->submit_limit = -1;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:", all, NULL)) != -1) {
        bool ok = c == OPT_HELP || c == OPT_LOG_LEVEL;
        if (c == 'o') /* -o FILE is --output FILE */
            c = OPT_OUTPUT;
        for (size_t i = 0; i < nallowed; i++)
            ok |= allowed[i] == c;
        if (c == ':')
            usage_error("选项 '%s' 需要一个值\n", argv[optind - 1]);
        if (c == '?' && optopt)
            usage_error("未知选项 '-%c'\n", optopt);
        if (!ok)
            usage_error("未知选项 '%s'\n", argv[optind - 1]);
        for (size_t i = 0; i < ARRAY_SIZE(text_opts); i++)
            if (text_opts[i].code == c)
                *(const char **)((char *)o + text_opts[i].off) = optarg;
        for (size_t i = 0; i < ARRAY_SIZE(int_opts); i++) {
            if (int_opts[i].code != c ||
                str_to_int64(optarg, int_opts[i].min, int_opts[i].max,
                             (int64_t *)((char *)o + int_opts[i].off)) == 0)
                continue;
            for (size_t k = 0; all[k].name; k++)
                if (all[k].val == c)
                    usage_error("--%s 应为%s，而不是 '%s'\n", all[k].name, int_opts[i].what,
                                optarg);
        }
        switch (c) {
        case OPT_HELP:
            print_help(current);
            exit(0);
        case OPT_PASSWORD_STDIN:
            o->password_stdin = true;
            break;
        case OPT_SECRET_STDIN:
            o->secret_stdin = true;
            break;
        case OPT_DEV:
            o->dev = true;
            break;
        case OPT_LOG_LEVEL: {
            enum log_level level;
            if (log_parse_level(optarg, &level) < 0)
                usage_error("--log-level 应为 debug、info、warn、error 或 off\n");
            log_set_level(level);
            break;
        }
        }
    }
}

/* Exactly 'n' positional arguments must remain. */
static void want_args(int argc, char **argv, int n)
{
    if (argc - optind < n)
        usage_error("缺少参数\n");
    if (argc - optind > n)
        usage_error("多余的参数 '%s'\n", argv[optind + n]);
}

/* ================================================================
 * Shared steps
 * ================================================================ */

static int fail(const char *what, const struct err_ctx *ec)
{
    fprintf(stderr, "fazhi %s: %s%s%s%s%s\n", current->name, what, ec->message,
            ec->field[0] ? "（字段 " : "", ec->field, ec->field[0] ? "）" : "");
    if (ec->detail[0])
        fprintf(stderr, "  %s\n", ec->detail);
    return 1;
}

/* Opens and migrates the database; prints the error and returns NULL on failure. */
static struct store *open_db(const char *db, bool read_only, int max_batch)
{
    struct store_options opt = {.read_only = read_only, .max_batch = max_batch};
    struct err_ctx ec = {0};
    struct store *s;

    if (store_open(db, &opt, &s, &ec) < 0) {
        fail("无法打开数据库：", &ec);
        return NULL;
    }
    if (!read_only && store_migrate(s, NULL, &ec) < 0) {
        fail("数据库迁移失败：", &ec);
        store_free(s);
        return NULL;
    }
    for (size_t i = 0; !read_only && i < ARRAY_SIZE(modules); i++) {
        if (modules[i]->start && modules[i]->start(s, &ec) < 0) {
            fprintf(stderr, "fazhi %s: 模块 %s 启动失败：", current->name, modules[i]->name);
            fail("", &ec);
            store_free(s);
            return NULL;
        }
    }
    return s;
}

static void cli_principal(struct principal *p)
{
    const char *who = getenv("USER");

    memset(p, 0, sizeof(*p));
    p->roles = ROLE_ALL;
    snprintf(p->unit_path, sizeof(p->unit_path), "/");
    snprintf(p->login, sizeof(p->login), "cli");
    snprintf(p->actor, sizeof(p->actor), "cli:%s", who && *who ? who : "unknown");
}

/* Reads one line (without its newline) from stdin into buf. */
static int read_line(char *buf, size_t size)
{
    size_t n;

    if (!fgets(buf, (int)size, stdin))
        return -1;
    n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/*
 * The state of a data command: the cli principal, the options, and what the
 * unit of work or read produced. Every data command is "parse options, set
 * up a cli_work, cli_run() one callback, print".
 */
struct cli_work {
    struct arena *arena;
    struct principal p;
    struct opts *o;
    char **argv; /* the positional arguments */
    int64_t id;
    char text[256]; /* a token or password to print */
    const char *password_hash;
    /* Listings. */
    struct unit *units;
    struct user *users;
    struct api_token *tokens;
    struct webhook *webhooks;
    size_t n;
};

static void work_init(struct cli_work *w, struct opts *o, char **args)
{
    memset(w, 0, sizeof(*w));
    w->o = o;
    w->argv = args;
    w->arena = arena_new();
    cli_principal(&w->p);
}

/*
 * Opens the database, runs 'fn' as a unit of work (write) or a read, and
 * reports a failure with 'what'. Returns the exit status.
 */
static int cli_run(store_fn fn, struct cli_work *w, bool write, const char *what)
{
    struct err_ctx ec = {0};
    struct store *s = open_db(w->o->db, false, 0);
    int rc;

    if (!s)
        return 1;
    rc = write ? store_write(s, fn, w, &ec) : store_read(s, fn, w, &ec);
    store_free(s);
    return rc < 0 ? fail(what, &ec) : 0;
}

/* ================================================================
 * serve, migrate, backup, audit verify, version
 * ================================================================ */

/* The store's event hook of serve: the live hub, then a nudge to the webhook
 * dispatcher so that it looks for the new events at once. */
struct serve_hooks {
    struct sse_hub *hub;
    struct webhook_dispatch *webhooks;
};

static void serve_event_hook(const struct store_event_rec *ev, void *arg)
{
    struct serve_hooks *h = arg;

    sse_hub_publish(ev, h->hub);
    webhook_dispatch_wake(h->webhooks);
}

/*
 * Opens the store of uploaded files (residents' photos): --files DIR, or
 * FAZHI_FILES, else beside an SQLite database ("fazhi.db" -> "fazhi.db.files").
 * A PostgreSQL deployment names it: the files are not in the database.
 */
static int open_files(const struct opts *o, struct blob_store **out)
{
    const char *db = o->db;
    char dir[4096];
    struct err_ctx ec = {0};

    if (o->files) {
        snprintf(dir, sizeof(dir), "%s", o->files);
    } else {
        if (strncmp(db, "postgres", 8) == 0) {
            fprintf(stderr, "fazhi serve: 使用 PostgreSQL 时须用 --files 指定照片存放目录\n");
            return -1;
        }
        if (strncmp(db, "sqlite:", 7) == 0)
            db += 7;
        if ((size_t)snprintf(dir, sizeof(dir), "%s.files", db) >= sizeof(dir)) {
            fprintf(stderr, "fazhi serve: 数据库路径过长\n");
            return -1;
        }
    }
    if (blob_store_open(dir, out, &ec) < 0) {
        fail("无法打开照片存放目录：", &ec);
        return -1;
    }
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB,        OPT_LISTEN,        OPT_THREADS,
                                  OPT_MAX_BATCH, OPT_DEV,           OPT_WEBHOOK_RETRY_MS,
                                  OPT_FILES,     OPT_TRUSTED_PROXY, OPT_SUBMIT_LIMIT};
    struct webhook_dispatch_options wopt = {0};
    struct serve_hooks hooks = {0};
    struct http_route_table tables[2 * ARRAY_SIZE(modules) + 1];
    size_t ntables = 0;
    struct http_server_config cfg = {0};
    struct web_config wcfg = {0};
    struct http_server *srv = NULL;
    struct cases_watch *watch = NULL;
    struct webhook_dispatch *dispatch = NULL;
    struct blob_store *photos = NULL;
    struct err_ctx ec = {0};
    struct opts o;
    struct store *s = NULL;
    const char *what = NULL; /* the failure to report, after cleaning up */
    sigset_t sigs;
    int sig, status = 1;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);

    /*
     * glibc hands freed heap back to the kernel (madvise) whenever the top of
     * a thread's heap passes 128 KiB; with many threads allocating and
     * freeing per request, that costs a TLB shootdown on every core each
     * time (about a tenth of the writer's time under load). Keep up to
     * 64 MiB a heap instead.
     */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);

    /* Block the stop signals in every thread; main waits for them below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The calendar and the templates first: an error in either stops the
     * server before it listens. */
    if (!calendar_default(&ec))
        return fail("无法加载节假日日历：", &ec);
    wcfg.dev = o.dev;
    wcfg.describe_user = account_describe_user;
    wcfg.actor_label = account_actor_label;
    if (web_start(&wcfg, &ec) < 0)
        return fail("无法加载页面模板：", &ec);
    if (!(s = open_db(o.db, false, (int)o.max_batch)) || open_files(&o, &photos) < 0)
        goto out;
    matter_configure(&(struct matter_config){
        .photos = photos,
        .submit_limit = o.submit_limit < 0 ? MATTER_SUBMIT_LIMIT : (int)o.submit_limit});
    module_list_set(modules, ARRAY_SIZE(modules));
    if (module_metrics_init(&ec) < 0) {
        what = "指标注册失败：";
        goto out;
    }
    for (size_t i = 0; i < ARRAY_SIZE(modules); i++) {
        tables[ntables++] = modules[i]->routes;
        if (modules[i]->pages)
            tables[ntables++] = *modules[i]->pages;
    }
    tables[ntables++] = web_routes;
    cfg.listen = o.listen;
    cfg.threads = (int)o.threads;
    cfg.version = FAZHI_VERSION;
    cfg.store = s;
    cfg.auth = account_http_auth;
    cfg.page_error = web_error_page; /* HTTP_PAGE routes answer errors as pages */
    cfg.trusted_proxy = o.trusted_proxy;
    cfg.tables = tables;
    cfg.ntables = ntables;
    what = "无法启动服务：";
    if (http_server_start(&cfg, &srv, &ec) < 0)
        goto out;
    store_set_event_hook(s, sse_hub_publish, http_server_hub(srv));
    /* Overdue cases are announced at start and every 10 minutes after. */
    if (cases_watch_start(s, CASES_WATCH_PERIOD_MS, &watch, &ec) < 0)
        goto out;
    /* Webhooks: events delivered from the events table (modules/webhook). */
    wopt.retry_base_ms = o.webhook_retry_ms;
    wopt.version = FAZHI_VERSION;
    if (webhook_dispatch_start(s, &wopt, &dispatch, &ec) < 0)
        goto out;
    what = NULL;
    hooks.hub = http_server_hub(srv);
    hooks.webhooks = dispatch;
    store_set_event_hook(s, serve_event_hook, &hooks);
    log_info("fazhi %s serving http://%s (port %u), database %s", FAZHI_VERSION, o.listen,
             http_server_port(srv), o.db);

    while (sigwait(&sigs, &sig) != 0)
        ;
    log_info("signal %d: stopping", sig);
    status = 0;
out:
    if (dispatch) {
        /* Once set back, the hook no longer wakes the dispatcher. */
        store_set_event_hook(s, sse_hub_publish, http_server_hub(srv));
        webhook_dispatch_stop(dispatch);
    }
    cases_watch_stop(watch);
    if (srv)
        http_server_stop(srv);
    if (s) {
        store_set_event_hook(s, NULL, NULL);
        store_free(s);
    }
    matter_configure(NULL);
    if (photos)
        blob_store_free(photos);
    web_stop();
    report_pdf_shutdown(); /* the font caches of the console's PDF downloads */
    module_metrics_release();
    if (what)
        return fail(what, &ec);
    if (status == 0)
        log_info("stopped");
    return status;
}

static int cmd_migrate(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct store_options opt = {0};
    struct err_ctx ec = {0};
    struct opts o;
    struct store *s;
    int applied = 0, now = 0, latest = 0;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    if (store_open(o.db, &opt, &s, &ec) < 0)
        return fail("无法打开数据库：", &ec);
    if (store_migrate(s, &applied, &ec) < 0 || store_schema_version(s, &now, &latest, &ec) < 0) {
        store_free(s);
        return fail("数据库迁移失败：", &ec);
    }
    printf("已应用 %d 个迁移，当前版本 %d\n", applied, now);
    store_free(s);
    return 0;
}

static int cmd_backup(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct err_ctx ec = {0};
    struct opts o;
    struct store *s;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    if (access(o.db, R_OK) != 0) {
        fprintf(stderr, "fazhi backup: 数据库文件 %s 不存在或不可读\n", o.db);
        return 1;
    }
    if (!(s = open_db(o.db, true, 0)))
        return 1;
    rc = store_backup(s, argv[optind], &ec);
    store_free(s);
    if (rc < 0)
        return fail("备份失败：", &ec);
    printf("已备份到 %s\n", argv[optind]);
    return 0;
}

static int cmd_audit_verify(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct err_ctx ec = {0};
    struct opts o;
    struct store *s;
    int64_t count = 0, bad = 0;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    if (access(o.db, R_OK) != 0) {
        fprintf(stderr, "fazhi audit verify: 数据库文件 %s 不存在或不可读\n", o.db);
        return 1;
    }
    if (!(s = open_db(o.db, true, 0)))
        return 1;
    rc = store_audit_verify(s, &count, &bad, &ec);
    store_free(s);
    if (rc < 0) {
        if (rc == ERR_CONFLICT)
            printf("审计日志校验失败：第一条异常记录 %lld：%s\n", (long long)bad, ec.message);
        else
            fail("无法读取审计日志：", &ec);
        return 1;
    }
    printf("审计日志完整：%lld 条记录，哈希链校验通过\n", (long long)count);
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    parse_opts(argc, argv, NULL, 0, &(struct opts){0});
    want_args(argc, argv, 0);
    printf("fazhi %s\n", FAZHI_VERSION);
    return 0;
}

/* ================================================================
 * unit add | list
 * ================================================================ */

static int do_unit_add(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    struct unit_new in = {w->o->code, w->o->name, w->o->type, 0};
    struct unit parent;
    int rc;

    if (w->o->parent) {
        rc = org_unit_by_code(c, w->arena, w->o->parent, &parent, ec);
        if (rc == ERR_NOT_FOUND) {
            err_clear(ec);
            return err_set(ec, ERR_INVALID, "--parent", "上级单位代码 %s 不存在", w->o->parent);
        }
        if (rc < 0)
            return rc;
        in.parent_id = parent.id;
    }
    return org_unit_create(c, w->arena, &w->p, &in, &w->id, ec);
}

static int cmd_unit_add(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_CODE, OPT_NAME, OPT_TYPE, OPT_PARENT};
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    if (!o.code || !o.name || !o.type)
        usage_error("需要 --code、--name 和 --type\n");
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_unit_add, &w, true, "无法创建单位：");
    if (rc == 0)
        printf("已创建单位 %s（编号 %lld）\n", o.code, (long long)w.id);
    arena_free(w.arena);
    return rc;
}

static int do_unit_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return org_unit_list(c, w->arena, &w->p, &w->units, &w->n, ec);
}

static int cmd_unit_list(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct cli_work w;
    struct opts o;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_unit_list, &w, false, "");
    if (rc == 0) {
        printf("编号\t代码\t类型\t名称\t路径\n");
        for (size_t i = 0; i < w.n; i++)
            printf("%lld\t%s\t%s\t%s\t%s\n", (long long)w.units[i].id, w.units[i].code,
                   org_unit_type_label(w.units[i].type), w.units[i].name, w.units[i].path);
    }
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * user add | list | passwd | disable
 * ================================================================ */

static int do_user_add(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    struct user_new in = {w->argv[0], w->o->name, 0, 0, w->password_hash};
    struct unit unit;
    int rc;

    rc = org_unit_by_code(c, w->arena, w->o->unit, &unit, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "--unit", "单位代码 %s 不存在", w->o->unit);
    }
    if (rc < 0)
        return rc;
    in.unit_id = unit.id;
    if (role_parse_list(w->o->role, &in.roles) < 0)
        return err_set(ec, ERR_INVALID, "--role",
                       "未知角色：可选 staff、officer、mediator、adviser、leader、admin");
    return account_user_create(c, w->arena, &w->p, &in, &w->id, ec);
}

/* The new password: from stdin, or generated (and printed afterwards). */
static int obtain_password(struct cli_work *w, bool from_stdin, char *hash)
{
    struct err_ctx ec = {0};

    if (from_stdin) {
        if (read_line(w->text, sizeof(w->text)) < 0) {
            fprintf(stderr, "fazhi %s: 标准输入中没有密码\n", current->name);
            return 1;
        }
    } else {
        static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (size_t i = 0; i < 12; i++)
            w->text[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
        w->text[12] = '\0';
    }
    if (account_password_hash(w->text, "password", hash, &ec) < 0)
        return fail("", &ec);
    w->password_hash = hash;
    return 0;
}

static int cmd_user_add(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_NAME, OPT_UNIT, OPT_ROLE, OPT_PASSWORD_STDIN};
    char hash[ACCOUNT_HASH_LEN];
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    if (!o.unit)
        usage_error("需要 --unit 单位代码\n");
    if (!o.name)
        o.name = argv[optind];
    if (!o.role)
        o.role = "staff";
    work_init(&w, &o, argv + optind);
    rc = obtain_password(&w, o.password_stdin, hash);
    if (rc == 0)
        rc = cli_run(do_user_add, &w, true, "无法创建用户：");
    if (rc == 0) {
        printf("已创建用户 %s（编号 %lld）\n", argv[optind], (long long)w.id);
        if (!o.password_stdin)
            printf("初始密码：%s\n", w.text);
    }
    arena_free(w.arena);
    return rc;
}

static int do_user_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return account_user_list(c, w->arena, &w->p, &w->users, &w->n, ec);
}

static int cmd_user_list(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct cli_work w;
    struct opts o;
    char roles[128];
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_user_list, &w, false, "");
    if (rc == 0) {
        printf("编号\t登录名\t姓名\t单位\t角色\t状态\n");
        for (size_t i = 0; i < w.n; i++) {
            const struct user *u = &w.users[i];
            role_format_list(u->roles, roles, sizeof(roles));
            printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)u->id, u->login, u->name, u->unit_code,
                   roles, u->disabled ? "已停用" : "正常");
        }
    }
    arena_free(w.arena);
    return rc;
}

/* Changes the user named argv[0] with w->password_hash or, without one, disables it. */
static int do_user_change(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    struct user_change ch = {0};
    struct user u;
    int rc;

    rc = account_user_by_login(c, w->arena, w->argv[0], &u, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "login", "用户 %s 不存在", w->argv[0]);
    }
    if (rc < 0)
        return rc;
    if (w->password_hash) {
        ch.password_hash = w->password_hash;
    } else {
        ch.set_disabled = true;
        ch.disabled = true;
    }
    return account_user_update(c, w->arena, &w->p, u.id, &ch, ec);
}

static int cmd_user_passwd(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_PASSWORD_STDIN};
    char hash[ACCOUNT_HASH_LEN];
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    work_init(&w, &o, argv + optind);
    rc = obtain_password(&w, o.password_stdin, hash);
    if (rc == 0)
        rc = cli_run(do_user_change, &w, true, "无法修改密码：");
    if (rc == 0) {
        printf("已修改用户 %s 的密码，其现有会话已失效\n", argv[optind]);
        if (!o.password_stdin)
            printf("新密码：%s\n", w.text);
    }
    arena_free(w.arena);
    return rc;
}

static int cmd_user_disable(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_user_change, &w, true, "无法停用用户：");
    if (rc == 0)
        printf("已停用用户 %s，其现有会话已失效\n", argv[optind]);
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * apikey add | list | revoke
 * ================================================================ */

static int do_apikey_add(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    struct unit unit;
    unsigned roles;
    int rc;

    if (w->o->unit) {
        rc = org_unit_by_code(c, w->arena, w->o->unit, &unit, ec);
    } else {
        /* Without --unit: the root of the tree. */
        int64_t root;
        rc = store_query_int(c, &root, ec,
                             "SELECT id FROM units WHERE parent_id IS NULL ORDER BY id", "");
        if (rc == ERR_NOT_FOUND) {
            err_clear(ec);
            return err_set(ec, ERR_INVALID, "--unit", "还没有任何单位，请先用 fazhi unit add 创建");
        }
        if (rc == 0)
            rc = org_unit_get(c, w->arena, root, &unit, ec);
    }
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "--unit", "单位代码 %s 不存在", w->o->unit);
    }
    if (rc < 0)
        return rc;
    if (role_parse_list(w->o->role, &roles) < 0)
        return err_set(ec, ERR_INVALID, "--role",
                       "未知角色：可选 staff、officer、mediator、adviser、leader、admin");
    return account_token_create(c, w->arena, &w->p, w->argv[0], roles, unit.id, w->text, &w->id,
                                ec);
}

static int cmd_apikey_add(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_UNIT, OPT_ROLE};
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    if (!o.role)
        o.role = "staff";
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_apikey_add, &w, true, "无法创建 API 令牌：");
    if (rc == 0) {
        printf("已创建 API 令牌 %s（编号 %lld），令牌只显示这一次：\n", argv[optind],
               (long long)w.id);
        printf("%s\n", w.text);
    }
    arena_free(w.arena);
    return rc;
}

static int do_apikey_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return account_token_list(c, w->arena, &w->p, &w->tokens, &w->n, ec);
}

static int cmd_apikey_list(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    char roles[128], created[TIME_INSTANT_LEN];
    struct cli_work w;
    struct opts o;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_apikey_list, &w, false, "");
    if (rc == 0) {
        printf("编号\t名称\t前缀\t角色\t单位\t创建时间\t状态\n");
        for (size_t i = 0; i < w.n; i++) {
            const struct api_token *t = &w.tokens[i];
            role_format_list(t->roles, roles, sizeof(roles));
            time_format_instant(t->created_at_ms, created, sizeof(created));
            printf("%lld\t%s\t%s…\t%s\t%s\t%s\t%s\n", (long long)t->id, t->name, t->prefix, roles,
                   t->unit_code, created, t->revoked_at_ms ? "已撤销" : "有效");
        }
    }
    arena_free(w.arena);
    return rc;
}

static int do_apikey_revoke(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return account_token_revoke(c, w->arena, &w->p, w->id, ec);
}

static int cmd_apikey_revoke(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    if (str_to_int64(argv[optind], 1, INT64_MAX, &w.id) < 0)
        usage_error("令牌编号应为正整数，而不是 '%s'\n", argv[optind]);
    rc = cli_run(do_apikey_revoke, &w, true, "无法撤销 API 令牌：");
    if (rc == 0)
        printf("已撤销 API 令牌 %lld\n", (long long)w.id);
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * webhook add | list | disable
 * ================================================================ */

static int do_webhook_add(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    struct webhook_new in = {w->o->name, w->argv[0], w->o->events,
                             w->o->secret_stdin ? w->text : NULL};
    char secret[WEBHOOK_SECRET_MAX + 1];
    int rc = webhook_create(c, w->arena, &w->p, &in, &w->id, secret, ec);

    if (rc == 0)
        snprintf(w->text, sizeof(w->text), "%s", secret);
    return rc;
}

static int cmd_webhook_add(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_NAME, OPT_EVENTS, OPT_SECRET_STDIN};
    struct opts o;
    struct cli_work w;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    if (!o.name || !o.events)
        usage_error("需要 --name 和 --events\n");
    work_init(&w, &o, argv + optind);
    if (o.secret_stdin && read_line(w.text, sizeof(w.text)) < 0) {
        fprintf(stderr, "fazhi %s: 标准输入中没有密钥\n", current->name);
        arena_free(w.arena);
        return 1;
    }
    rc = cli_run(do_webhook_add, &w, true, "无法创建 Webhook：");
    if (rc == 0) {
        printf("已创建 Webhook %s（编号 %lld）\n", o.name, (long long)w.id);
        if (!o.secret_stdin)
            printf("签名密钥只显示这一次：\n%s\n", w.text);
    }
    sodium_memzero(w.text, sizeof(w.text));
    arena_free(w.arena);
    return rc;
}

static int do_webhook_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return webhook_list(c, w->arena, &w->p, &w->webhooks, &w->n, ec);
}

static int cmd_webhook_list(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    char created[TIME_INSTANT_LEN];
    struct cli_work w;
    struct opts o;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    work_init(&w, &o, argv + optind);
    rc = cli_run(do_webhook_list, &w, false, "");
    if (rc == 0) {
        printf("编号\t名称\t地址\t事件类型\t已处理到事件\t创建时间\t状态\n");
        for (size_t i = 0; i < w.n; i++) {
            const struct webhook *h = &w.webhooks[i];
            time_format_instant(h->created_at_ms, created, sizeof(created));
            printf("%lld\t%s\t%s\t%s\t%lld\t%s\t%s\n", (long long)h->id, h->name, h->url, h->events,
                   (long long)h->cursor_event_id, created, h->active ? "启用" : "已停用");
        }
    }
    arena_free(w.arena);
    return rc;
}

static int do_webhook_disable(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return webhook_disable(c, w->arena, &w->p, w->id, ec);
}

static int cmd_webhook_disable(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct opts o;
    struct cli_work w;
    int64_t id;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 1);
    if (str_to_int64(argv[optind], 1, INT64_MAX, &id) < 0)
        usage_error("Webhook 编号应为正整数，而不是 '%s'\n", argv[optind]);
    work_init(&w, &o, argv + optind);
    w.id = id;
    rc = cli_run(do_webhook_disable, &w, true, "无法停用 Webhook：");
    if (rc == 0)
        printf("已停用 Webhook %lld\n", (long long)id);
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * ledger rebuild
 * ================================================================ */

static int do_ledger_rebuild(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cli_work *w = arg;
    return ledger_rebuild(c, w->p.actor, &w->id, ec);
}

static int cmd_ledger_rebuild(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB};
    struct opts o;
    struct cli_work w;
    int64_t start;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    work_init(&w, &o, argv + optind);
    start = time_mono_us();
    rc = cli_run(do_ledger_rebuild, &w, true, "无法重建台账汇总：");
    if (rc == 0)
        printf("已按 %lld 条台账记录重建汇总表（%.1f 秒）\n", (long long)w.id,
               (double)(time_mono_us() - start) / 1e6);
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * metrics
 * ================================================================ */

struct metrics_work {
    struct arena *arena;
    struct principal p;
    const char *unit_code;
    struct metric_period period;
    struct metric_result *results;
};

static int do_metrics(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct metrics_work *w = arg;
    struct metric_query q;
    struct unit unit;
    int rc;

    rc = org_unit_by_code(c, w->arena, w->unit_code, &unit, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "--unit", "单位代码 %s 不存在", w->unit_code);
    }
    if (rc < 0 ||
        (rc = org_metric_query(c, w->arena, &w->p, unit.id, &w->period, &unit, &q, ec)) < 0)
        return rc;
    return metric_evaluate_all(module_metrics(), &q, &w->results, ec);
}

/*
 * The period of --year [--quarter | --month], or of --from and --to when
 * 'ranges' allows them. Exits on a usage error.
 */
static void opts_period(const struct opts *o, bool ranges, struct metric_period *out)
{
    struct err_ctx ec = {0};
    int rc;

    if (ranges && (o->from || o->to)) {
        if (o->year || o->quarter || o->month)
            usage_error("--year、--quarter、--month 不能与 --from、--to 同时使用\n");
        rc = metric_period_range(o->from, o->to, out, &ec);
    } else if (!o->year) {
        usage_error(ranges ? "需要 --year，或 --from 与 --to\n" : "需要 --year 年度\n");
    } else if (o->quarter && o->month) {
        usage_error("--quarter 与 --month 不能同时使用\n");
    } else if (o->quarter) {
        rc = metric_period_quarter((int)o->year, (int)o->quarter, out, &ec);
    } else if (o->month) {
        rc = metric_period_month((int)o->year, (int)o->month, out, &ec);
    } else {
        rc = metric_period_year((int)o->year, out, &ec);
    }
    if (rc < 0)
        usage_error("%s\n", ec.message);
}

static int cmd_metrics(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB,    OPT_UNIT, OPT_YEAR, OPT_QUARTER,
                                  OPT_MONTH, OPT_FROM, OPT_TO};
    struct metrics_work w = {0};
    struct err_ctx ec = {0};
    struct opts o;
    struct store *s;
    const char *db;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    if (!(w.unit_code = o.unit))
        usage_error("需要 --unit 单位代码\n");
    opts_period(&o, true, &w.period);
    db = o.db;

    module_list_set(modules, ARRAY_SIZE(modules));
    if (module_metrics_init(&ec) < 0)
        return fail("指标注册失败：", &ec);
    if (!(s = open_db(db, false, 0))) {
        module_metrics_release();
        return 1;
    }
    w.arena = arena_new();
    cli_principal(&w.p);
    rc = store_read(s, do_metrics, &w, &ec) < 0 ? fail("无法计算指标：", &ec) : 0;
    store_free(s);
    if (rc == 0) {
        /* The registry lists its metrics by name. */
        for (size_t i = 0; i < metric_registry_count(module_metrics()); i++) {
            char text[64];
            metric_format(w.results[i].metric, &w.results[i].value, text, sizeof(text));
            printf("%s\t%s\n", w.results[i].metric->name, text);
        }
    }
    module_metrics_release();
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * findings
 * ================================================================ */

struct findings_work {
    struct arena *arena;
    struct principal p;
    const char *unit_code;
    struct metric_period period;
    struct finding_list list;
};

static int do_findings(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct findings_work *w = arg;
    struct metric_query q;
    struct unit unit;
    int rc;

    finding_list_release(&w->list);
    finding_list_init(&w->list, w->arena);
    rc = org_unit_by_code(c, w->arena, w->unit_code, &unit, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "--unit", "单位代码 %s 不存在", w->unit_code);
    }
    if (rc < 0 ||
        (rc = org_metric_query(c, w->arena, &w->p, unit.id, &w->period, &unit, &q, ec)) < 0)
        return rc;
    return module_findings(&q, &w->list, ec);
}

/* Records a paragraph names; the rest are counted and linked. */
#define FINDINGS_CLI_RECORDS 5

/* One finding a paragraph: "【severity】sentence", then the records it rests on. */
static void print_finding(const struct finding *f)
{
    printf("【%s】%s\n", finding_severity_label(f->severity), f->text);
    printf("  依据（%s，共 %lld 条）：", f->code, (long long)f->records_total);
    for (size_t i = 0; i < f->nrecords && i < FINDINGS_CLI_RECORDS; i++)
        printf("%s%s#%lld%s%s", i ? "、" : "", f->records[i].title ? f->records[i].title : "",
               (long long)f->records[i].id, f->records[i].date ? " " : "",
               f->records[i].date ? f->records[i].date : "");
    if (f->records_total > FINDINGS_CLI_RECORDS)
        printf("等");
    printf("\n");
    if (f->records_href)
        printf("  全部记录：%s\n", f->records_href);
    printf("\n");
}

static int cmd_findings(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_UNIT, OPT_YEAR};
    struct findings_work w = {0};
    struct err_ctx ec = {0};
    struct opts o;
    struct store *s;
    const char *db;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    if (!(w.unit_code = o.unit))
        usage_error("需要 --unit 单位代码\n");
    opts_period(&o, false, &w.period);
    db = o.db;

    module_list_set(modules, ARRAY_SIZE(modules));
    if (!(s = open_db(db, false, 0)))
        return 1;
    w.arena = arena_new();
    finding_list_init(&w.list, w.arena);
    cli_principal(&w.p);
    rc = store_read(s, do_findings, &w, &ec) < 0 ? fail("无法生成问题清单：", &ec) : 0;
    store_free(s);
    if (rc == 0) {
        if (w.list.n == 0)
            printf("未发现问题。\n");
        for (size_t i = 0; i < w.list.n; i++)
            print_finding(&w.list.items[i]);
    }
    finding_list_release(&w.list);
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * report
 * ================================================================ */

struct report_work {
    struct arena *arena;
    struct principal p;
    const char *unit_code;
    struct metric_period period;
    int year;
    const struct report_template *tpl;
    const char *shortcomings, *plans;
    struct unit unit;
    struct report_doc *doc;
};

static int do_report(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct report_work *w = arg;
    struct report_params rp = {0};
    struct metric_query q;
    int rc;

    rc = org_unit_by_code(c, w->arena, w->unit_code, &w->unit, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "--unit", "单位代码 %s 不存在", w->unit_code);
    }
    if (rc < 0 ||
        (rc = org_metric_query(c, w->arena, &w->p, w->unit.id, &w->period, &w->unit, &q, ec)) < 0)
        return rc;
    /* Without --shortcomings / --plans, the text written in the console. */
    if (!w->shortcomings || !w->plans) {
        struct annual_texts t;
        if ((rc = annual_texts_get(c, w->arena, w->unit.id, w->year, &t, ec)) < 0)
            return rc;
        if (!w->shortcomings)
            w->shortcomings = t.shortcomings;
        if (!w->plans)
            w->plans = t.plans;
    }
    rp.q = &q;
    rp.unit_name = w->unit.name;
    rp.shortcomings = w->shortcomings;
    rp.plans = w->plans;
    rp.leading_group = annual_leading_group;
    rp.group_arg = &(struct annual_group_arg){c, w->unit.id, w->period.to};
    return report_build(w->tpl, &rp, &w->doc, ec);
}

/* The whole of file 'path' into 'a', or NULL (after a message). */
static char *read_text_file(struct arena *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb;
    char buf[4096], *out;
    size_t n;

    if (!f) {
        fprintf(stderr, "fazhi: 无法读取 %s：%s\n", path, strerror(errno));
        return NULL;
    }
    strbuf_init(&sb, sizeof(buf));
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    out = arena_strndup(a, sb.buf ? sb.buf : "", sb.len);
    strbuf_release(&sb);
    return out;
}

/* `fazhi report --format xlsx`: the statistics workbook (annual_workbook()). */
static int report_xlsx(const char *db, const char *unit_code, int year, const char *output)
{
    struct err_ctx ec = {0};
    struct principal p;
    struct store *s;
    int rc = 1;

    if (!output || strcmp(output, "-") == 0)
        usage_error("xlsx 格式需要 -o 输出文件\n");
    cli_principal(&p);
    module_list_set(modules, ARRAY_SIZE(modules));
    if (module_metrics_init(&ec) < 0)
        return fail("指标注册失败：", &ec);
    if ((s = open_db(db, false, 0))) {
        rc = annual_workbook_write(s, &p, unit_code, year, output, &ec) < 0
                 ? fail("无法生成统计表：", &ec)
                 : 0;
        store_free(s);
    }
    module_metrics_release();
    return rc;
}

static int cmd_report(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB,     OPT_UNIT,         OPT_YEAR, OPT_FORMAT,
                                  OPT_OUTPUT, OPT_SHORTCOMINGS, OPT_PLANS};
    struct report_work w = {0};
    struct report_template *tpl;
    const struct report_writer *writer = NULL;
    struct err_ctx ec = {0};
    struct strbuf out;
    struct opts o;
    struct store *s;
    const char *db, *format, *output, *sfile, *pfile;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    if (!(w.unit_code = o.unit))
        usage_error("需要 --unit 单位代码\n");
    opts_period(&o, false, &w.period);
    db = o.db;
    format = o.format ? o.format : "md";
    output = o.output;
    sfile = o.shortcomings;
    pfile = o.plans;
    if (strcmp(format, "xlsx") == 0)
        return report_xlsx(db, w.unit_code, (int)o.year, output);
    if (strcmp(format, "pdf") != 0 && strcmp(format, "docx") != 0 &&
        !(writer = report_writer_find(format)))
        usage_error("--format 应为 md、html、pdf、docx 或 xlsx，而不是 '%s'\n", format);

    w.arena = arena_new();
    cli_principal(&w.p);
    if ((sfile && !(w.shortcomings = read_text_file(w.arena, sfile))) ||
        (pfile && !(w.plans = read_text_file(w.arena, pfile)))) {
        arena_free(w.arena);
        return 1;
    }
    module_list_set(modules, ARRAY_SIZE(modules));
    if (module_metrics_init(&ec) < 0) {
        arena_free(w.arena);
        return fail("指标注册失败：", &ec);
    }
    if (report_template_load(REPORT_TEMPLATE_ANNUAL, module_metrics(), w.arena, &tpl, &ec) < 0) {
        module_metrics_release();
        arena_free(w.arena);
        return fail("无法加载报告模板：", &ec);
    }
    w.tpl = tpl;
    if (!(s = open_db(db, false, 0))) {
        module_metrics_release();
        arena_free(w.arena);
        return 1;
    }
    rc = store_read(s, do_report, &w, &ec) < 0 ? fail("无法生成报告：", &ec) : 0;
    store_free(s);
    if (rc == 0) {
        strbuf_init(&out, 16384);
        if (writer)
            writer->write(w.doc, &out);
        else if ((strcmp(format, "pdf") == 0 ? report_render_pdf(w.doc, &out, &ec)
                                             : report_render_docx(w.doc, &out, &ec)) < 0)
            rc = fail("无法生成报告：", &ec);
        if (strcmp(format, "pdf") == 0)
            report_pdf_shutdown();
        if (rc == 0 && (!output || strcmp(output, "-") == 0)) {
            fwrite(out.buf, 1, out.len, stdout);
        } else if (rc == 0) {
            FILE *f = fopen(output, "wb");
            if (!f || fwrite(out.buf, 1, out.len, f) != out.len) {
                fprintf(stderr, "fazhi: 无法写入 %s：%s\n", output, strerror(errno));
                rc = 1;
            }
            if (f && fclose(f) != 0 && rc == 0) {
                fprintf(stderr, "fazhi: 无法写入 %s：%s\n", output, strerror(errno));
                rc = 1;
            }
        }
        strbuf_release(&out);
    }
    module_metrics_release();
    arena_free(w.arena);
    return rc;
}

/* ================================================================
 * demo
 * ================================================================ */

#define DEMO_DEFAULT_SEED 2022

static int cmd_demo(int argc, char **argv)
{
    static const int allowed[] = {OPT_DB, OPT_SEED, OPT_SCALE};
    struct demo_account accounts[DEMO_ACCOUNTS_MAX];
    size_t naccounts = 0;
    struct demo_params dp = {0};
    struct err_ctx ec = {0};
    struct principal p;
    struct opts o;
    struct store *s;
    int64_t start;
    int rc;

    parse_opts(argc, argv, allowed, ARRAY_SIZE(allowed), &o);
    want_args(argc, argv, 0);
    cli_principal(&p);
    dp.seed = o.seed ? (uint64_t)o.seed : DEMO_DEFAULT_SEED;
    dp.scale = o.scale ? (int)o.scale : 1;
    dp.actor = &p;
    dp.accounts = accounts;
    dp.naccounts = &naccounts;
    if (!(s = open_db(o.db, false, 0)))
        return 1;
    start = time_mono_us();
    rc = demo_run(s, modules, ARRAY_SIZE(modules), &dp, &ec);
    store_free(s);
    if (rc < 0)
        return fail("无法生成演示数据：", &ec);
    printf("已生成演示数据：%d 个街道，2021、2022 两个年度（种子 %llu，用时 %.1f 秒）\n", dp.scale,
           (unsigned long long)dp.seed, (double)(time_mono_us() - start) / 1e6);
    printf("数据库：%s\n\n演示账号\n", o.db);
    for (size_t i = 0; i < naccounts; i++)
        printf("  %-8s  %-18s  %s（%s，%s）\n", accounts[i].login, accounts[i].password,
               accounts[i].name, accounts[i].role, accounts[i].unit);
    return 0;
}

/* ================================================================
 * The command table
 * ================================================================ */

static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
    {"serve", cmd_serve, "[选项]",
     "启动 HTTP 服务（先自动应用数据库迁移），收到 SIGINT/SIGTERM 后平稳退出。",
     OPT_DB_HELP
     "  --listen ADDR:PORT 监听地址（环境变量 FAZHI_LISTEN，默认 127.0.0.1:8080）\n"
     "  --threads N        工作线程数（环境变量 FAZHI_THREADS，默认为 CPU 核数）\n"
     "  --max-batch N      一次组提交最多合并的写操作数（FAZHI_MAX_BATCH，默认 256；\n"
     "                     1 即每个写操作单独提交，仅用于性能对比）\n"
     "  --dev              开发模式：模板和静态文件从 assets/ 读取，改动后刷新即生效\n"
     "                     （须在项目目录中运行；环境变量 FAZHI_DEV=1）\n"
     "  --log-level LEVEL  日志级别：debug、info、warn、error、off（FAZHI_LOG_LEVEL）\n"
     "  --files DIR        居民上传照片的存放目录（FAZHI_FILES；默认为数据库文件名加 .files）\n"
     "  --submit-limit N   同一地址 15 分钟内匿名提交事项的上限（默认 30；0 为不限）\n"
     "  --trusted-proxy ADDR  前置反向代理的地址（FAZHI_TRUSTED_PROXY）：来自它的请求以\n"
     "                     X-Forwarded-For 中最后一个地址为客户端地址，按居民而非代理计数\n"
     "  --webhook-retry-ms N  Webhook 发送失败后第一次重试前等待的毫秒数（默认 2000，\n"
     "                     此后每次加倍，最长 10 分钟，最多尝试 8 次）\n"},
    {"migrate", cmd_migrate, "[选项]", "应用尚未应用的数据库迁移；任何一个失败则数据库保持原样。",
     OPT_DB_HELP},
    {"unit add", cmd_unit_add, "--code CODE --name NAME --type TYPE [--parent CODE]",
     "创建一个单位。类型：city、district、subdistrict、department、station、community、village。",
     OPT_DB_HELP "  --code CODE        单位代码（字母、数字、- 或 _）\n"
                 "  --name NAME        单位名称\n"
                 "  --type TYPE        单位类型\n"
                 "  --parent CODE      上级单位代码（第一个单位不需要）\n"},
    {"unit list", cmd_unit_list, "[选项]", "列出全部单位。", OPT_DB_HELP},
    {"user add", cmd_user_add,
     "LOGIN --unit CODE [--name NAME] [--role R[,R...]] [--password-stdin]",
     "创建用户。不加 --password-stdin 时生成并显示一个初始密码。",
     OPT_DB_HELP "  --unit CODE        所属单位代码\n"
                 "  --name NAME        姓名（默认同登录名）\n"
                 "  --role ROLES       "
                 "角色，逗号分隔：staff、officer、mediator、adviser、leader、admin（默认 staff）\n"
                 "  --password-stdin   从标准输入读取一行作为密码\n"},
    {"user list", cmd_user_list, "[选项]", "列出全部用户。", OPT_DB_HELP},
    {"user passwd", cmd_user_passwd, "LOGIN [--password-stdin]",
     "重设用户密码并使其现有会话失效。不加 --password-stdin 时生成并显示新密码。",
     OPT_DB_HELP "  --password-stdin   从标准输入读取一行作为新密码\n"},
    {"user disable", cmd_user_disable, "LOGIN", "停用用户并使其现有会话失效。", OPT_DB_HELP},
    {"apikey add", cmd_apikey_add, "NAME [--role R[,R...]] [--unit CODE]",
     "创建 API 令牌（用于 Authorization: Bearer），最后一行输出令牌，只显示这一次。",
     OPT_DB_HELP "  --role ROLES       令牌的角色（默认 staff）\n"
                 "  --unit CODE        令牌的单位范围（默认根单位）\n"},
    {"apikey list", cmd_apikey_list, "[选项]", "列出 API 令牌（不显示令牌本身）。", OPT_DB_HELP},
    {"apikey revoke", cmd_apikey_revoke, "ID", "撤销 API 令牌。", OPT_DB_HELP},
    {"webhook add", cmd_webhook_add, "URL --name NAME --events TYPES [--secret-stdin]",
     "创建 Webhook：发生订阅的事件时向 URL（http:// 或 https://）发送带签名的 POST 请求。"
     "不加 --secret-stdin 时生成签名密钥并显示这一次。",
     OPT_DB_HELP
     "  --name NAME        名称\n"
     "  --events TYPES     事件类型，逗号分隔：完整类型（matter.notify）、\n"
     "                     以 .* 结尾的前缀（case.*）或 *（全部）\n"
     "  --secret-stdin     从标准输入读取一行作为签名密钥（16 到 200 个可见 ASCII 字符）\n"},
    {"webhook list", cmd_webhook_list, "[选项]", "列出 Webhook（不显示密钥）。", OPT_DB_HELP},
    {"webhook disable", cmd_webhook_disable, "ID", "停用 Webhook。", OPT_DB_HELP},
    {"demo", cmd_demo, "[--db FILE] [--seed N] [--scale N]",
     "在新的空数据库中生成演示数据：江州市西城区城西街道的组织、人员和 2021、2022 年台账，"
     "2022 年数字与年度报告一致；最后列出演示账号和密码。",
     OPT_DB_HELP "  --seed N           随机种子（默认 2022）：同一种子生成同样的数据\n"
                 "  --scale N          生成 N 个街道（同样的构成，用于性能测试；默认 1）\n"},
    {"ledger rebuild", cmd_ledger_rebuild, "[选项]",
     "按台账明细重新计算台账汇总表；服务运行时也可执行。", OPT_DB_HELP},
    {"metrics", cmd_metrics,
     "--unit CODE (--year YYYY [--quarter N | --month N] | --from D --to D)",
     "计算某单位及其下级单位在一个期间内的全部报告指标，每行输出“指标名<TAB>数值”（按名称排序，"
     "比率为保留一位小数的百分数）。",
     OPT_DB_HELP "  --unit CODE        单位代码\n"
                 "  --year YYYY        年度\n"
                 "  --quarter N        该年度的第 N 季度（1-4）\n"
                 "  --month N          该年度的第 N 月（1-12）\n"
                 "  --from D --to D    起止日期 YYYY-MM-DD（含两端）\n"},
    {"findings", cmd_findings, "--unit CODE --year YYYY",
     "从数据中找出某单位及其下级单位在一个年度内的问题（数值明显不合理、往年常做今年未记录、"
     "执法人员未持有效执法证等），每条一段，可作为年度报告“存在的问题和不足”部分的参考文字，"
     "并列出所依据的记录。",
     OPT_DB_HELP "  --unit CODE        单位代码\n"
                 "  --year YYYY        年度\n"},
    {"report", cmd_report, "--unit CODE --year YYYY [--format md|html|pdf|docx|xlsx] [-o FILE]",
     "生成某单位某年度的法治政府建设情况报告（模板 conf/reports/fazhi-annual.md，数字均由台账计算；"
     "HTML 中每个数字链接到其明细记录；PDF 按党政机关公文格式 GB/T 9704-2012 排版；DOCX 可在 Word、"
     "LibreOffice 中继续编辑）。",
     OPT_DB_HELP "  --unit CODE        单位代码\n"
                 "  --year YYYY        年度\n"
                 "  --format F         md（默认）、html、pdf、docx 或 xlsx（指标统计表：\n"
                 "                     本单位及下一级单位的本年、上年数字，需 -o）\n"
                 "  -o, --output FILE  输出文件（默认标准输出）\n"
                 "  --shortcomings FILE  “不足及原因”一节的文字（默认控制台中填写的文字，\n"
                 "                     没有时为“（待填写）”）\n"
                 "  --plans FILE       “工作思路”一节的文字（同上）\n"},
    {"backup", cmd_backup, "FILE", "在服务运行时生成数据库的一致性副本。", OPT_DB_HELP},
    {"audit verify", cmd_audit_verify, "[选项]",
     "校验审计日志的哈希链：完整时退出码为 0，发现篡改或删除时为 1 并指出第一条异常记录。",
     OPT_DB_HELP},
    {"version", cmd_version, "", "显示版本。", ""},
    {"help", cmd_help, "[命令]", "显示帮助。", ""},
};

static void print_overview(FILE *out)
{
    fprintf(out, "fazhi %s：街道法治政府建设工作系统\n\n用法：fazhi 命令 [选项]\n\n命令：\n",
            FAZHI_VERSION);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n每个命令的选项：fazhi 命令 --help\n");
}

/* Finds the command named by argv[0] (and argv[1] for two-word commands);
 * *used gets how many words it took. */
static const struct cmd *find_cmd(int argc, char **argv, int *used)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const char *name = commands[i].name, *space = strchr(name, ' ');
        if (!space && strcmp(argv[0], name) == 0) {
            *used = 1;
            return &commands[i];
        }
        if (space && argc >= 2 && strlen(argv[0]) == (size_t)(space - name) &&
            strncmp(argv[0], name, (size_t)(space - name)) == 0 &&
            strcmp(argv[1], space + 1) == 0) {
            *used = 2;
            return &commands[i];
        }
    }
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    const struct cmd *c;
    int used;

    parse_opts(argc, argv, NULL, 0, &(struct opts){0});
    if (optind >= argc) {
        print_overview(stdout);
        return 0;
    }
    c = find_cmd(argc - optind, argv + optind, &used);
    if (!c)
        usage_error("没有命令 '%s'\n", argv[optind]);
    print_help(c);
    return 0;
}

int main(int argc, char **argv)
{
    const struct cmd *c;
    const char *env;
    enum log_level level;
    int used;

    if ((env = getenv("FAZHI_LOG_LEVEL")) && *env) {
        if (log_parse_level(env, &level) < 0) {
            fprintf(stderr,
                    "fazhi: 环境变量 FAZHI_LOG_LEVEL 应为 debug、info、warn、error 或 off\n");
            return EXIT_USAGE;
        }
        log_set_level(level);
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "fazhi: libsodium 初始化失败\n");
        return 1;
    }
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        argv[1] = "version";
    c = find_cmd(argc - 1, argv + 1, &used);
    if (!c) {
        /* A two-word command missing its second word gets its own hint. */
        fprintf(stderr, "fazhi: 没有命令 '%s%s%s'（fazhi help 列出全部命令）\n", argv[1],
                argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
        return EXIT_USAGE;
    }
    current = c;
    /* The command sees its own name as argv[0], then its arguments. */
    return c->run(argc - used, argv + used);
}
