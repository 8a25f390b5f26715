/*
 * harness.c - the real server, the CLI, an HTTP client and an SSE reader for
 * the API tests (see harness.h).
 *
 * Children are started with posix_spawn, never fork: the test process has
 * threads (SSE readers) and runs under AddressSanitizer, where a fork of a
 * threaded process is asking for trouble.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ================================================================
 * Bookkeeping
 * ================================================================ */

#define MAX_DIRS 8

static char kept_dirs[MAX_DIRS][128];
static size_t ndirs;
static struct test_server *started[MAX_DIRS]; /* to stop any left running */
static bool outside_failure;
static bool curl_ready;

void harness_note(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    for (const char *p = sb.buf; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        print_error("# %.*s\n", (int)(len > 1000 ? 1000 : len), p);
        p += len + (nl ? 1 : 0);
    }
    strbuf_release(&sb);
}

void harness_note_failure(void)
{
    outside_failure = true;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Readers not closed yet: a failed test may leave one behind. */
#define MAX_READERS 32
static struct sse_reader *open_readers[MAX_READERS];

int harness_done(int failures)
{
    bool failed = failures != 0 || outside_failure;
    const char *keep = getenv("FAZHI_TEST_KEEP");

    for (size_t i = 0; i < MAX_READERS; i++)
        sse_close(open_readers[i]);
    /* A group setup that failed half-way leaves its server to us. */
    for (size_t i = 0; i < ndirs; i++) {
        if (started[i] && started[i]->pid) {
            kill(started[i]->pid, SIGKILL);
            waitpid(started[i]->pid, NULL, 0);
            started[i]->pid = 0;
            failed = true;
        }
    }
    for (size_t i = 0; i < ndirs; i++) {
        if (failed || (keep && *keep))
            fprintf(stderr, "# kept for inspection: %s\n", kept_dirs[i]);
        else
            nftw(kept_dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (failed) {
        /* A failed case jumped out past its clean-up: skip the leak report
         * of the exit, which would bury the failure under its own noise. */
        fflush(stdout);
        fflush(stderr);
        _exit(1);
    }
    if (curl_ready)
        curl_global_cleanup();
    return 0;
}

/* ================================================================
 * Spawning children
 * ================================================================ */

static const char *fazhi_bin(void)
{
    const char *b = getenv("FAZHI_BIN");
    return b && *b ? b : "build/asan/fazhi";
}

/* environ without FAZHI_*, plus 'extra'; a malloc'd array of borrowed strings. */
static char **child_env(const char *const *extra)
{
    size_t n = 0, m = 0, k = 0;
    char **env;

    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    env = calloc(n + m + 1, sizeof(*env));
    assert_non_null(env);
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "FAZHI_", 6) != 0)
            env[k++] = environ[i];
    for (size_t i = 0; i < m; i++)
        env[k++] = (char *)extra[i];
    env[k] = NULL;
    return env;
}

/* argv for posix_spawn: the program, then 'args'; a malloc'd array. */
static char **child_argv(const char *prog, const char *const *args)
{
    size_t n = 0;
    char **argv;

    while (args[n])
        n++;
    argv = calloc(n + 2, sizeof(*argv));
    assert_non_null(argv);
    argv[0] = (char *)prog;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    return argv;
}

static int wait_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* Waits for 'pid' up to timeout_ms; returns its status or -1 on time-out. */
static int wait_child(pid_t pid, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int st;

    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return wait_status(st);
        if (r < 0 && errno != EINTR)
            return -2;
        if (now_ms() > deadline)
            return -1;
        sleep_ms(10);
    }
}

static void describe_argv(struct strbuf *sb, const char *const *argv)
{
    strbuf_adds(sb, "fazhi");
    for (size_t i = 0; argv[i]; i++) {
        strbuf_addch(sb, ' ');
        strbuf_adds(sb, argv[i]);
    }
}

int cli_run(const struct test_server *s, struct cli_result *r, const char *input,
            const char *const *env, const char *const *argv)
{
    posix_spawn_file_actions_t fa;
    int in[2], out[2], err[2];
    struct strbuf ob = STRBUF_INIT, eb = STRBUF_INIT;
    char **cargv, **cenv;
    pid_t pid;
    int rc, open_fds = 2;
    int64_t deadline = now_ms() + 60000;

    cli_result_release(r);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (s && s->dir[0])
        posix_spawn_file_actions_addchdir_np(&fa, s->dir);
    cargv = child_argv(fazhi_bin(), argv);
    cenv = child_env(env);
    rc = posix_spawn(&pid, fazhi_bin(), &fa, NULL, cargv, cenv);
    posix_spawn_file_actions_destroy(&fa);
    free(cargv);
    free(cenv);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        fail_msg("cannot run %s: %s (set FAZHI_BIN)", fazhi_bin(), strerror(rc));
    }

    /* The input is one short line: it fits the pipe, write it and close. */
    if (input && write(in[1], input, strlen(input)) < 0)
        harness_note("writing the CLI's stdin: %s\n", strerror(errno));
    close(in[1]);

    while (open_fds > 0 && now_ms() < deadline) {
        struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
        if (poll(p, 2, 200) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            char buf[4096];
            ssize_t n;
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(p[i].fd, buf, sizeof(buf));
            if (n > 0) {
                strbuf_add(i == 0 ? &ob : &eb, buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(p[i].fd);
                if (i == 0)
                    out[0] = -1;
                else
                    err[0] = -1;
                open_fds--;
            }
        }
    }
    if (out[0] >= 0)
        close(out[0]);
    if (err[0] >= 0)
        close(err[0]);
    r->status = wait_child(pid, 5000);
    if (r->status == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    r->out = strbuf_detach(&ob, NULL);
    r->err = strbuf_detach(&eb, NULL);
    if (r->status < 0) {
        struct strbuf d = STRBUF_INIT;
        describe_argv(&d, argv);
        harness_note("%s did not finish in time\n", d.buf);
        strbuf_release(&d);
    }
    return r->status;
}

void cli_result_release(struct cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
    r->status = 0;
}

void last_line(const char *text, char *buf, size_t size)
{
    const char *end = text + strlen(text), *start;

    while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(buf, size, "%.*s", (int)(end - start), start);
}

/* Runs a setup command that must succeed; prints its output otherwise. */
static void cli_must(const struct test_server *s, const char *input, const char *const *argv)
{
    struct cli_result r = {0};

    if (cli_run(s, &r, input, NULL, argv) != 0) {
        struct strbuf d = STRBUF_INIT;
        describe_argv(&d, argv);
        harness_note("setup step failed (exit %d): %s\nstdout: %s\nstderr: %s\n", r.status, d.buf,
                     r.out ? r.out : "", r.err ? r.err : "");
        strbuf_release(&d);
        cli_result_release(&r);
        fail();
    }
    cli_result_release(&r);
}

/* ================================================================
 * The server
 * ================================================================ */

void server_print_log(const struct test_server *s, int lines)
{
    FILE *f = fopen(s->log, "r");
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    const char *start;

    if (!f) {
        harness_note("(no server log at %s)\n", s->log);
        return;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    start = sb.buf + sb.len;
    while (start > sb.buf && lines >= 0) {
        start--;
        if (*start == '\n' && start + 1 < sb.buf + sb.len)
            lines--;
    }
    if (*start == '\n')
        start++;
    harness_note("---- server log %s (tail) ----\n", s->log);
    for (const char *p = start; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        harness_note("  %.*s\n", (int)len, p);
        p += len + (nl ? 1 : 0);
    }
    strbuf_release(&sb);
}

/* The port from the "(port N)" line of the log, or 0 while it is not there. */
static unsigned log_port(const struct test_server *s)
{
    FILE *f = fopen(s->log, "r");
    char line[4096];
    unsigned port = 0;

    if (!f)
        return 0;
    while (!port && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "(port ");
        if (p) {
            long v = strtol(p + 6, NULL, 10);
            if (v > 0 && v < 65536)
                port = (unsigned)v;
        }
    }
    fclose(f);
    return port;
}

/* Fails the test with the log tail if the server exited. */
static void check_alive(struct test_server *s, const char *when)
{
    int st;
    pid_t r = waitpid(s->pid, &st, WNOHANG);

    if (r == s->pid) {
        s->pid = 0;
        harness_note("fazhi serve exited %s with status %d\n", when, wait_status(st));
        server_print_log(s, 40);
        fail();
    }
}

/* Reads the ids of the setup units from `fazhi unit list`. */
static void read_unit_ids(struct test_server *s)
{
    struct cli_result r = {0};

    cli(s, &r, NULL, "unit", "list", "--db", s->db);
    assert_int_equal(r.status, 0);
    for (const char *p = r.out; p && *p;) {
        const char *nl = strchr(p, '\n');
        char line[512], *tab;
        long long id;
        snprintf(line, sizeof(line), "%.*s", (int)(nl ? nl - p : (ptrdiff_t)strlen(p)), p);
        p = nl ? nl + 1 : p + strlen(p);
        id = strtoll(line, &tab, 10);
        if (id <= 0 || *tab != '\t')
            continue;
        if (str_starts_with(tab + 1, "root\t"))
            s->root_id = id;
        else if (str_starts_with(tab + 1, "ca\t"))
            s->ca_id = id;
        else if (str_starts_with(tab + 1, "cb\t"))
            s->cb_id = id;
    }
    cli_result_release(&r);
    if (!s->root_id || !s->ca_id || !s->cb_id)
        fail_msg("`fazhi unit list` does not show the units root, ca and cb");
}

/* The type of the root unit server_start() creates (server_start_rooted). */
static const char *harness_root_type = "subdistrict";

/* When set, server_start() builds its database with `fazhi demo` and these
 * arguments instead of its units and users (server_start_demo). */
static const char *const *harness_demo_args;

/* Options added to `fazhi serve` (harness_serve_args). */
static const char *const *harness_extra_serve_args;

void harness_serve_args(const char *const *args)
{
    harness_extra_serve_args = args;
}

static void server_spawn(struct test_server *s);

void server_start(struct test_server *s)
{
    const char *admin_pw = ADMIN_PASSWORD "\n", *clerk_pw = CLERK_PASSWORD "\n";

    memset(s, 0, sizeof(*s));
    if (!curl_ready) {
        assert_int_equal(curl_global_init(CURL_GLOBAL_ALL), CURLE_OK);
        curl_ready = true;
    }
    s->bin = fazhi_bin();
    if (access(s->bin, X_OK) != 0)
        fail_msg("no fazhi binary at %s (set FAZHI_BIN, or run make asan)", s->bin);
    snprintf(s->dir, sizeof(s->dir), "/tmp/fazhi-api-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    if (ndirs < MAX_DIRS) {
        started[ndirs] = s;
        snprintf(kept_dirs[ndirs++], sizeof(kept_dirs[0]), "%s", s->dir);
    }
    snprintf(s->db, sizeof(s->db), "%s/api.db", s->dir);
    snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);

    if (harness_demo_args) {
        const char *argv_demo[16] = {"demo", "--db", s->db};
        size_t n = 3;
        for (size_t i = 0; harness_demo_args[i] && n + 1 < ARRAY_SIZE(argv_demo); i++)
            argv_demo[n++] = harness_demo_args[i];
        cli_must(s, NULL, argv_demo);
    } else {
        cli_must(s, NULL,
                 (const char *const[]){"unit", "add", "--db", s->db, "--code", "root", "--name",
                                       "测试街道", "--type", harness_root_type, NULL});
        cli_must(s, NULL,
                 (const char *const[]){"unit", "add", "--db", s->db, "--code", "ca", "--name",
                                       "甲社区", "--type", "community", "--parent", "root", NULL});
        cli_must(s, NULL,
                 (const char *const[]){"unit", "add", "--db", s->db, "--code", "cb", "--name",
                                       "乙社区", "--type", "community", "--parent", "root", NULL});
        cli_must(s, admin_pw,
                 (const char *const[]){"user", "add", ADMIN_LOGIN, "--db", s->db, "--unit", "root",
                                       "--role", "admin", "--password-stdin", NULL});
        cli_must(s, clerk_pw,
                 (const char *const[]){"user", "add", CLERKA_LOGIN, "--db", s->db, "--unit", "ca",
                                       "--role", "staff", "--password-stdin", NULL});
        cli_must(s, clerk_pw,
                 (const char *const[]){"user", "add", CLERKB_LOGIN, "--db", s->db, "--unit", "cb",
                                       "--role", "staff", "--password-stdin", NULL});
        read_unit_ids(s);
    }
    server_spawn(s);
}

void server_restart(struct test_server *s)
{
    char old[224];

    server_stop(s);
    /* The new log: the port is read from its first "(port N)" line. */
    snprintf(old, sizeof(old), "%s.%d", s->log, 1);
    rename(s->log, old);
    server_spawn(s);
}

/* Starts `fazhi serve` on s->db and waits until /healthz answers. */
static void server_spawn(struct test_server *s)
{
    static const char *const serve_env[] = {"FAZHI_LOG_LEVEL=info", NULL};
    /* Tests submit many matters from one address: no submission limit
       unless a test asks for one (harness_serve_args comes after). */
    const char *serve_argv[24] = {
        "serve", "--db", s->db, "--listen", "127.0.0.1:0", "--threads", "2", "--submit-limit", "0"};
    size_t nargs = 9;
    posix_spawn_file_actions_t fa;
    char **argv, **env;
    struct client probe;
    struct response r = {0};
    int64_t deadline;
    int rc;

    for (size_t i = 0; harness_extra_serve_args && harness_extra_serve_args[i] &&
                       nargs + 1 < ARRAY_SIZE(serve_argv);
         i++)
        serve_argv[nargs++] = harness_extra_serve_args[i];
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addchdir_np(&fa, s->dir);
    argv = child_argv(s->bin, serve_argv);
    env = child_env(serve_env);
    rc = posix_spawn(&s->pid, s->bin, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(env);
    if (rc != 0)
        fail_msg("cannot start %s serve: %s", s->bin, strerror(rc));

    deadline = now_ms() + 15000;
    while (!(s->port = log_port(s))) {
        check_alive(s, "before listening");
        if (now_ms() > deadline) {
            server_print_log(s, 40);
            server_stop(s);
            fail_msg("fazhi serve logged no \"(port N)\" line within 15 s");
        }
        sleep_ms(20);
    }
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%u", s->port);

    client_init(&probe, s);
    deadline = now_ms() + 15000;
    while (client_get(&probe, &r, "/healthz") != 200) {
        check_alive(s, "before /healthz answered");
        if (now_ms() > deadline) {
            server_print_log(s, 40);
            client_release(&probe);
            response_release(&r);
            server_stop(s);
            fail_msg("GET /healthz did not answer 200 within 15 s (last status %ld)", r.status);
        }
        sleep_ms(50);
    }
    response_release(&r);
    client_release(&probe);
}

void server_stop(struct test_server *s)
{
    int status;

    if (!s->pid)
        return;
    kill(s->pid, SIGTERM);
    status = wait_child(s->pid, 10000);
    if (status == -1) {
        harness_note("fazhi serve did not exit within 10 s of SIGTERM\n");
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
    if (status != 0) {
        harness_note_failure();
        harness_note("fazhi serve exited with status %d after SIGTERM (want 0)\n", status);
        server_print_log(s, 60);
        fail();
    }
}

/* ================================================================
 * HTTP client
 * ================================================================ */

void client_init(struct client *c, const struct test_server *s)
{
    memset(c, 0, sizeof(*c));
    c->srv = s;
    c->curl = curl_easy_init();
    assert_non_null(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_COOKIEFILE, ""); /* the cookie engine, in memory */
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
}

void client_release(struct client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    memset(c, 0, sizeof(*c));
}

void response_release(struct response *r)
{
    free(r->body);
    json_decref(r->json);
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    memset(r, 0, sizeof(*r));
}

struct sink {
    struct strbuf body;
    struct response *r;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    strbuf_add(&k->body, data, size * nmemb);
    return size * nmemb;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    struct response *r = k->r;
    size_t n = size * nmemb, name_len, vstart, vend;
    const char *colon;

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a 100 Continue): keep only the final headers. */
        for (size_t i = 0; i < r->nheaders; i++) {
            free(r->names[i]);
            free(r->values[i]);
        }
        r->nheaders = 0;
        return n;
    }
    colon = memchr(data, ':', n);
    if (!colon || r->nheaders == RESPONSE_MAX_HEADERS)
        return n;
    name_len = (size_t)(colon - data);
    vstart = name_len + 1;
    vend = n;
    while (vstart < vend && (data[vstart] == ' ' || data[vstart] == '\t'))
        vstart++;
    while (vend > vstart &&
           (data[vend - 1] == '\r' || data[vend - 1] == '\n' || data[vend - 1] == ' '))
        vend--;
    r->names[r->nheaders] = strndup(data, name_len);
    r->values[r->nheaders] = strndup(data + vstart, vend - vstart);
    r->nheaders++;
    return n;
}

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

long client_request(struct client *c, const char *method, const char *path,
                    const char *content_type, const char *body, size_t body_len,
                    const char *const *headers, struct response *r)
{
    struct sink k = {STRBUF_INIT, r};
    struct curl_slist *h = NULL;
    char url[2048], line[512];
    CURLcode cc;
    size_t i;

    response_release(r);
    snprintf(url, sizeof(url), "%s%s", c->srv->base, path);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    if (body) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    /* No "Expect: 100-continue" unless the caller asks for it. */
    for (i = 0; headers && headers[i]; i++)
        if (strncasecmp(headers[i], "Expect:", 7) == 0)
            break;
    if (!headers || !headers[i])
        h = curl_slist_append(h, "Expect:");
    if (content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", content_type);
        h = curl_slist_append(h, line);
    } else if (body) {
        h = curl_slist_append(h, "Content-Type:");
    }
    if (c->bearer[0]) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", c->bearer);
        h = curl_slist_append(h, line);
    }
    if (c->csrf[0] && !c->omit_csrf && unsafe_method(method)) {
        snprintf(line, sizeof(line), "X-CSRF-Token: %s", c->csrf);
        h = curl_slist_append(h, line);
    }
    for (i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &k);

    cc = curl_easy_perform(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    r->body = strbuf_detach(&k.body, &r->len);
    if (cc != CURLE_OK) {
        harness_note("%s %s: %s\n", method, path, curl_easy_strerror(cc));
        r->status = 0;
        return 0;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
    r->json = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    return r->status;
}

long client_get(struct client *c, struct response *r, const char *fmt, ...)
{
    char path[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return client_request(c, "GET", path, NULL, NULL, 0, NULL, r);
}

long client_send(struct client *c, const char *method, const char *path, json_t *body,
                 struct response *r)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    long status;

    json_decref(body);
    status = client_request(c, method, path, text ? "application/json" : NULL, text,
                            text ? strlen(text) : 0, NULL, r);
    free(text);
    return status;
}

long client_login(struct client *c, const char *login, const char *password, struct response *r)
{
    long status = client_send(c, "POST", "/api/v1/session",
                              json_pack("{s:s, s:s}", "login", login, "password", password), r);
    const char *csrf;

    if (status == 201 && (csrf = json_str_member(r->json, "csrf_token"))) {
        snprintf(c->csrf, sizeof(c->csrf), "%s", csrf);
        c->user_id = json_int_member(json_object_get(r->json, "user"), "id");
    }
    return status;
}

void client_login_ok(struct client *c, const char *login, const char *password)
{
    struct response r = {0};

    client_login(c, login, password, &r);
    if (r.status != 201 || !c->csrf[0]) {
        harness_note("login as %s: status %ld, body %s\n", login, r.status, r.body);
        response_release(&r);
        fail();
    }
    response_release(&r);
}

const char *response_header_n(const struct response *r, const char *name, size_t n)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->names[i], name) == 0 && n-- == 0)
            return r->values[i];
    return NULL;
}

void assert_status_at(const struct response *r, long status, const char *file, int line)
{
    if (r->status != status) {
        harness_note("status %ld, want %ld; body: %s\n", r->status, status, r->body ? r->body : "");
        _fail(file, line);
    }
}

void assert_security_headers_at(const struct response *r, const char *file, int line)
{
    const char *csp = response_header(r, "Content-Security-Policy");
    const char *xcto = response_header(r, "X-Content-Type-Options");
    const char *rp = response_header(r, "Referrer-Policy");

    if (!csp || !strstr(csp, "frame-ancestors") || !xcto || strcasecmp(xcto, "nosniff") != 0 ||
        !rp || !*rp) {
        harness_note("security headers missing (status %ld): Content-Security-Policy=%s, "
                     "X-Content-Type-Options=%s, Referrer-Policy=%s\n",
                     r->status, csp ? csp : "(none)", xcto ? xcto : "(none)", rp ? rp : "(none)");
        _fail(file, line);
    }
}

void assert_error_at(const struct response *r, long status, const char *code, const char *field,
                     const char *file, int line)
{
    const char *ct = response_header(r, "Content-Type");
    json_t *e = json_object_get(r->json, "error");
    json_t *jcode = json_object_get(e, "code"), *jmsg = json_object_get(e, "message");
    json_t *jfield = json_object_get(e, "field");
    const char *got_field = json_is_string(jfield) ? json_string_value(jfield) : "";
    const char *why = NULL;

    if (r->status != status)
        why = "status";
    else if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        why = "Content-Type is not application/json";
    else if (!json_is_object(e))
        why = "body is not {\"error\":{...}}";
    else if (!json_is_string(jcode) || strcmp(json_string_value(jcode), code) != 0)
        why = "error.code";
    else if (!json_is_string(jmsg) || !*json_string_value(jmsg))
        why = "error.message missing or empty";
    else if (!jfield || !(json_is_string(jfield) || json_is_null(jfield)))
        why = "error.field missing";
    else if (field && strcmp(got_field, field) != 0)
        why = "error.field";
    if (why) {
        harness_note("%s: want %ld %s field=%s; got status %ld, Content-Type %s, body %s\n", why,
                     status, code, field ? field : "(any)", r->status, ct ? ct : "(none)",
                     r->body ? r->body : "");
        _fail(file, line);
    }
    assert_security_headers_at(r, file, line);
}

/* ================================================================
 * JSON helpers
 * ================================================================ */

int64_t json_int_member(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

const char *json_str_member(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

json_t *json_find(const json_t *items, const char *key, const char *value)
{
    size_t i;
    json_t *it;

    json_array_foreach(items, i, it)
    {
        const char *v = json_str_member(it, key);
        if (v && strcmp(v, value) == 0)
            return it;
    }
    return NULL;
}

json_t *response_items(const struct response *r)
{
    json_t *items = json_object_get(r->json, "items");
    if (!json_is_array(items)) {
        harness_note("no \"items\" array in: %s\n", r->body ? r->body : "");
        fail();
    }
    return items;
}

json_t *audit_all(struct client *c)
{
    struct response r = {0};
    json_t *all = json_array();
    long long after = 0;

    for (int pages = 0; pages < 1000; pages++) {
        json_t *items;
        long long next;
        client_get(c, &r, "/api/v1/audit?after=%lld&limit=500", after);
        assert_status(&r, 200);
        items = response_items(&r);
        json_array_extend(all, items);
        next = json_int_member(r.json, "next_after");
        if (json_array_size(items) == 0 || next == after)
            break;
        after = next;
    }
    response_release(&r);
    return all;
}

size_t unit_count(struct client *c)
{
    struct response r = {0};
    size_t n;

    client_get(c, &r, "/api/v1/units");
    assert_status(&r, 200);
    n = json_array_size(response_items(&r));
    response_release(&r);
    return n;
}

int64_t create_user(struct client *admin, const char *login, int64_t unit_id, const char *role,
                    const char *password)
{
    struct response r = {0};
    int64_t id;

    client_send(admin, "POST", "/api/v1/users",
                json_pack("{s:s, s:s, s:I, s:[s], s:s}", "login", login, "name", login, "unit_id",
                          (json_int_t)unit_id, "roles", role, "password", password),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_true(id > 0);
    response_release(&r);
    return id;
}

const char *unique_name(const char *prefix, char *buf, size_t size)
{
    static atomic_int counter;
    snprintf(buf, size, "%s-%d-%d", prefix, (int)getpid() % 100000, ++counter);
    return buf;
}

/* ================================================================
 * Server-Sent Events reader
 * ================================================================ */

static size_t sse_on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct sse_reader *s = arg;
    size_t n = size * nmemb;

    pthread_mutex_lock(&s->lock);
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (s->len + n + 1 > cap)
            cap *= 2;
        s->buf = realloc(s->buf, cap);
        s->cap = cap;
    }
    if (s->buf) {
        memcpy(s->buf + s->len, data, n);
        s->len += n;
        s->buf[s->len] = '\0';
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return s->buf ? n : 0;
}

static void *sse_run(void *arg)
{
    struct sse_reader *s = arg;
    int running = 1;
    CURLMsg *msg;
    int left;

    curl_multi_add_handle(s->multi, s->easy);
    while (running && !atomic_load(&s->stop)) {
        if (curl_multi_perform(s->multi, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(s->multi, NULL, 0, 100, NULL);
    }
    pthread_mutex_lock(&s->lock);
    while ((msg = curl_multi_info_read(s->multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            s->result = msg->data.result;
    s->finished = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    curl_multi_remove_handle(s->multi, s->easy);
    return NULL;
}

struct sse_reader *sse_open(struct client *c, const char *last_id)
{
    return sse_open_path(c, "/api/v1/events", last_id);
}

struct sse_reader *sse_open_path(struct client *c, const char *path, const char *last_id)
{
    struct sse_reader *s = calloc(1, sizeof(*s));
    struct curl_slist *cookies = NULL;
    char url[512], line[512];
    size_t slot;

    assert_non_null(s);
    for (slot = 0; slot < MAX_READERS && open_readers[slot]; slot++)
        ;
    assert_true(slot < MAX_READERS);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->easy = curl_easy_init();
    s->multi = curl_multi_init();
    assert_non_null(s->easy);
    assert_non_null(s->multi);
    snprintf(url, sizeof(url), "%s%s", c->srv->base, path);
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, sse_on_data);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    /* The client's cookies, copied into this handle's store. */
    curl_easy_getinfo(c->curl, CURLINFO_COOKIELIST, &cookies);
    for (struct curl_slist *p = cookies; p; p = p->next)
        curl_easy_setopt(s->easy, CURLOPT_COOKIELIST, p->data);
    curl_slist_free_all(cookies);
    s->headers = curl_slist_append(s->headers, "Accept: text/event-stream");
    if (c->bearer[0]) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", c->bearer);
        s->headers = curl_slist_append(s->headers, line);
    }
    if (last_id) {
        snprintf(line, sizeof(line), "Last-Event-ID: %s", last_id);
        s->headers = curl_slist_append(s->headers, line);
    }
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    assert_int_equal(pthread_create(&s->thread, NULL, sse_run, s), 0);
    open_readers[slot] = s;
    return s;
}

static bool sse_wait(struct sse_reader *s, const char *needle, int timeout_ms)
{
    struct timespec deadline;
    bool found;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    for (;;) {
        found = needle ? (s->buf && strstr(s->buf, needle)) : s->finished;
        if (found || (needle && s->finished))
            break;
        if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT) {
            found = needle ? (s->buf && strstr(s->buf, needle)) : s->finished;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

bool sse_wait_for(struct sse_reader *s, const char *needle, int timeout_ms)
{
    return sse_wait(s, needle, timeout_ms);
}

bool sse_wait_finished(struct sse_reader *s, int timeout_ms)
{
    return sse_wait(s, NULL, timeout_ms);
}

char *sse_text(struct sse_reader *s)
{
    char *copy;

    pthread_mutex_lock(&s->lock);
    copy = strdup(s->buf ? s->buf : "");
    pthread_mutex_unlock(&s->lock);
    return copy;
}

void sse_close(struct sse_reader *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < MAX_READERS; i++)
        if (open_readers[i] == s)
            open_readers[i] = NULL;
    atomic_store(&s->stop, true);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    curl_multi_cleanup(s->multi);
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->headers);
    free(s->buf);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

size_t sse_parse(const char *text, struct sse_event *out, size_t max)
{
    size_t n = 0;
    const char *p = text;

    while (n < max) {
        const char *end = strstr(p, "\n\n");
        struct strbuf data = STRBUF_INIT;
        struct sse_event ev = {0};
        bool has_data = false;

        if (!end)
            break;
        snprintf(ev.type, sizeof(ev.type), "message");
        for (const char *l = p; l < end;) {
            const char *nl = memchr(l, '\n', (size_t)(end - l));
            size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
            if (len >= 5 && memcmp(l, "data:", 5) == 0) {
                size_t skip = len > 5 && l[5] == ' ' ? 6 : 5;
                if (has_data)
                    strbuf_addch(&data, '\n');
                strbuf_add(&data, l + skip, len - skip);
                has_data = true;
            } else if (len >= 6 && memcmp(l, "event:", 6) == 0) {
                size_t skip = len > 6 && l[6] == ' ' ? 7 : 6;
                snprintf(ev.type, sizeof(ev.type), "%.*s", (int)(len - skip), l + skip);
            } else if (len >= 3 && memcmp(l, "id:", 3) == 0) {
                ev.id = strtoll(l + 3, NULL, 10);
            }
            l += len + 1;
        }
        p = end + 2;
        if (!has_data) {
            strbuf_release(&data);
            continue;
        }
        ev.data = strbuf_detach(&data, NULL);
        out[n++] = ev;
    }
    return n;
}

void sse_events_release(struct sse_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ev[i].data);
        ev[i].data = NULL;
    }
}

/* ================================================================
 * Added for the org tests
 * ================================================================ */

void server_start_rooted(struct test_server *s, const char *root_type)
{
    harness_root_type = root_type;
    server_start(s);
    harness_root_type = "subdistrict";
}

void server_start_demo(struct test_server *s, const char *const *demo_args)
{
    harness_demo_args = demo_args;
    server_start(s);
    harness_demo_args = NULL;
}

size_t list_count(struct client *c, const char *path)
{
    struct response r = {0};
    size_t n;

    client_get(c, &r, "%s", path);
    assert_status(&r, 200);
    n = json_array_size(response_items(&r));
    response_release(&r);
    return n;
}

/* ---- pages ---- */

/* "a=1&b=2" from NULL-terminated name, value pairs; values url-encoded. */
char *form_body(CURL *curl, va_list ap)
{
    char *out = calloc(1, 1);
    size_t len = 0;
    const char *name;

    while ((name = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);
        char *v = curl_easy_escape(curl, value, 0);
        size_t add = strlen(name) + strlen(v) + 2;
        out = realloc(out, len + add + 1);
        len += (size_t)snprintf(out + len, add + 1, "%s%s=%s", len ? "&" : "", name, v);
        curl_free(v);
    }
    return out;
}

/* POSTs a form (pairs of name, value; NULL ends) to 'path'. */
long post_form(struct client *c, struct response *r, const char *path, ...)
{
    va_list ap;
    char *body;
    long status;

    va_start(ap, path);
    body = form_body(c->curl, ap);
    va_end(ap);
    status = client_request(c, "POST", path, "application/x-www-form-urlencoded", body,
                            strlen(body), NULL, r);
    free(body);
    return status;
}

/* The value of the first csrf_token field in a page. */
void csrf_of(const char *html, char *out, size_t size)
{
    const char *p = strstr(html, "name=\"csrf_token\" value=\"");
    size_t n;

    assert_non_null(p);
    p += strlen("name=\"csrf_token\" value=\"");
    n = strcspn(p, "\"");
    snprintf(out, size, "%.*s", (int)n, p);
}
