/*
 * test_cli.c - the fazhi command line: exit statuses (2 for usage, 1 for a
 * failure of the work), help, version, the FAZHI_DB fall-back, migrations,
 * and a password change seen by the running server.
 */
#include "core/compat.h"
#include "api/harness.h"

#include <sys/stat.h>

static struct test_server srv;

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_stop(&srv);
    return 0;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Expects exit status 2 with a message on stderr and nothing on stdout. */
static void expect_usage_error(const char *const *argv)
{
    struct cli_result r = {0};

    cli_run(&srv, &r, NULL, NULL, argv);
    if (r.status != 2 || !*r.err) {
        harness_note("%s ...: want exit 2 and a message; got %d\nstdout: %s\nstderr: %s\n",
                     argv[0] ? argv[0] : "(none)", r.status, r.out, r.err);
        cli_result_release(&r);
        fail();
    }
    cli_result_release(&r);
}

static void test_cli__no_command_is_usage_error(void **state)
{
    struct cli_result r = {0};

    (void)state;
    cli_run(&srv, &r, NULL, NULL, (const char *const[]){NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "serve")); /* says what there is */
    cli_result_release(&r);
}

static void test_cli__unknown_command(void **state)
{
    struct cli_result r = {0};

    (void)state;
    cli(&srv, &r, NULL, "bogus");
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "bogus"));
    assert_string_equal(r.out, "");
    cli_result_release(&r);
}

static void test_cli__usage_errors(void **state)
{
    (void)state;
    expect_usage_error((const char *const[]){"serve", "--bogus", NULL});
    expect_usage_error((const char *const[]){"serve", "--threads", "abc", NULL});
    expect_usage_error((const char *const[]){"serve", "--threads", "0", NULL});
    expect_usage_error((const char *const[]){"serve", "--threads", NULL});
    expect_usage_error((const char *const[]){"serve", "extra", NULL});
    expect_usage_error((const char *const[]){"user", "add", NULL});
    expect_usage_error(
        (const char *const[]){"user", "add", "x", "--db", srv.db, NULL}); /* no --unit */
    expect_usage_error((const char *const[]){"user", NULL});
    expect_usage_error((const char *const[]){"apikey", "revoke", "abc", "--db", srv.db, NULL});
    expect_usage_error((const char *const[]){"unit", "list", "--log-level", "loud", NULL});
}

static void test_cli__serve_on_busy_port_fails(void **state)
{
    struct cli_result r = {0};
    char listen[64], port[16];

    (void)state;
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", srv.port);
    snprintf(port, sizeof(port), "%u", srv.port);
    cli(&srv, &r, NULL, "serve", "--db", srv.db, "--listen", listen);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, port));
    cli_result_release(&r);
}

/* The photo store is opened before listening: a directory that cannot be
 * made stops serve with status 1 naming it, and the default sits beside
 * the database. */
static void test_cli__serve_needs_its_photo_store(void **state)
{
    struct cli_result r = {0};
    char files[256];
    struct stat st;

    (void)state;
    snprintf(files, sizeof(files), "%s/api.db/photos", srv.dir); /* under a file */
    cli(&srv, &r, NULL, "serve", "--db", srv.db, "--listen", "127.0.0.1:0", "--files", files);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, files));
    cli_result_release(&r);
    snprintf(files, sizeof(files), "%s.files", srv.db);
    assert_int_equal(stat(files, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void test_cli__help_lists_commands(void **state)
{
    static const char *const commands[] = {
        "serve",        "migrate",    "unit add",      "unit list", "user add",     "user passwd",
        "user disable", "apikey add", "apikey revoke", "backup",    "audit verify", "version"};
    struct cli_result r = {0};

    (void)state;
    cli(&srv, &r, NULL, "help");
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (!strstr(r.out, commands[i]))
            fail_msg("fazhi help does not list '%s'", commands[i]);
    cli(&srv, &r, NULL, "user", "add", "--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--unit"));
    cli_result_release(&r);
}

static void test_cli__unknown_unit_named(void **state)
{
    struct cli_result r = {0};

    (void)state;
    cli(&srv, &r, NULL, "user", "add", "x", "--unit", "nope", "--db", srv.db);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "nope"));
    /* Nothing was created. */
    cli(&srv, &r, NULL, "user", "list", "--db", srv.db);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "\tx\t"));
    cli_result_release(&r);
}

static void test_cli__version_matches_server(void **state)
{
    struct cli_result r = {0};
    struct response h = {0};
    struct client c;
    char want[64];

    (void)state;
    cli(&srv, &r, NULL, "version");
    assert_int_equal(r.status, 0);
    client_init(&c, &srv);
    client_get(&c, &h, "/healthz");
    assert_status(&h, 200);
    assert_non_null(json_str_member(h.json, "version"));
    snprintf(want, sizeof(want), "fazhi %s\n", json_str_member(h.json, "version"));
    assert_string_equal(r.out, want);
    cli(&srv, &r, NULL, "--version");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, want);
    client_release(&c);
    response_release(&h);
    cli_result_release(&r);
}

static void test_cli__fazhi_db_environment(void **state)
{
    struct cli_result r = {0};
    char env[256];

    (void)state;
    snprintf(env, sizeof(env), "FAZHI_DB=%s", srv.db);
    cli_run(&srv, &r, NULL, (const char *const[]){env, NULL},
            (const char *const[]){"unit", "list", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\tca\t"));
    assert_non_null(strstr(r.out, "\tcb\t"));
    assert_non_null(strstr(r.out, "甲社区"));
    /* --db still wins over the environment. */
    snprintf(env, sizeof(env), "FAZHI_DB=%s/elsewhere.db", srv.dir);
    cli_run(&srv, &r, NULL, (const char *const[]){env, NULL},
            (const char *const[]){"unit", "list", "--db", srv.db, NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\tca\t"));
    cli_result_release(&r);
}

static void test_cli__migrate_is_idempotent(void **state)
{
    struct cli_result r = {0};
    char db[256], first[256], second[256];
    const char *p;
    long applied, version1, version2;

    (void)state;
    snprintf(db, sizeof(db), "%s/fresh.db", srv.dir);
    cli(&srv, &r, NULL, "migrate", "--db", db);
    assert_int_equal(r.status, 0);
    snprintf(first, sizeof(first), "%s", r.out);
    /* "已应用 N 个迁移，当前版本 V" */
    p = strstr(first, "已应用 ");
    assert_non_null(p);
    applied = strtol(p + strlen("已应用 "), NULL, 10);
    assert_true(applied >= 3);
    p = strstr(first, "版本 ");
    assert_non_null(p);
    version1 = strtol(p + strlen("版本 "), NULL, 10);
    /* Numbers are one sequence across the tree, with gaps between modules:
       the version is the highest, at least the count applied. */
    assert_true(version1 >= applied);

    cli(&srv, &r, NULL, "migrate", "--db", db);
    assert_int_equal(r.status, 0);
    snprintf(second, sizeof(second), "%s", r.out);
    p = strstr(second, "已应用 ");
    assert_non_null(p);
    assert_int_equal(strtol(p + strlen("已应用 "), NULL, 10), 0);
    p = strstr(second, "版本 ");
    assert_non_null(p);
    version2 = strtol(p + strlen("版本 "), NULL, 10);
    assert_int_equal(version2, version1);

    /* The running server's database is already current. */
    cli(&srv, &r, NULL, "migrate", "--db", srv.db);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "已应用 0 "));
    cli_result_release(&r);
}

static void test_cli__user_passwd_seen_by_server(void **state)
{
    struct cli_result r = {0};
    struct response resp = {0};
    struct client before, c;

    (void)state;
    client_init(&before, &srv);
    client_login_ok(&before, CLERKA_LOGIN, CLERK_PASSWORD);

    cli(&srv, &r, "Changed-pass-2025\n", "user", "passwd", CLERKA_LOGIN, "--password-stdin", "--db",
        srv.db);
    if (r.status != 0)
        harness_note("stderr: %s\n", r.err);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "Changed-pass-2025")); /* a password from stdin is not echoed */

    /* The running server sees the change at once. */
    client_get(&before, &resp, "/api/v1/session");
    assert_error(&resp, 401, "unauthenticated", NULL);
    client_init(&c, &srv);
    client_login(&c, CLERKA_LOGIN, CLERK_PASSWORD, &resp);
    assert_error(&resp, 401, "unauthenticated", "password");
    client_login(&c, CLERKA_LOGIN, "Changed-pass-2025", &resp);
    assert_status(&resp, 201);

    /* A user that does not exist is a failure of the work, not of usage. */
    cli(&srv, &r, "Another-pass-2025\n", "user", "passwd", "nobody-here", "--password-stdin",
        "--db", srv.db);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "nobody-here"));
    client_release(&before);
    client_release(&c);
    response_release(&resp);
    cli_result_release(&r);
}

static void test_cli__user_add_password_from_stdin(void **state)
{
    struct cli_result r = {0};
    struct client c;

    (void)state;
    cli(&srv, &r, "short\n", "user", "add", "shorty", "--unit", "ca", "--password-stdin", "--db",
        srv.db);
    assert_int_equal(r.status, 1); /* the password policy */
    cli(&srv, &r, NULL, "user", "add", "nostdin", "--unit", "ca", "--password-stdin", "--db",
        srv.db);
    assert_int_equal(r.status, 1); /* nothing on stdin */
    cli(&srv, &r, "Cli-made-pass-1\n", "user", "add", "climade", "--unit", "cb", "--password-stdin",
        "--db", srv.db);
    assert_int_equal(r.status, 0);
    client_init(&c, &srv);
    client_login_ok(&c, "climade", "Cli-made-pass-1");
    client_release(&c);
    cli_result_release(&r);
}

static void test_cli__backup_refuses_the_live_database(void **state)
{
    struct cli_result r = {0};
    struct response resp = {0};
    struct client admin;
    struct stat before, after;
    char code[64];

    (void)state;
    /* The same file by another name (the CLI runs in the server's
     * directory): replacing it would cut the running server off from the
     * file, and everything it writes afterwards would be lost. */
    assert_int_equal(stat(srv.db, &before), 0);
    cli(&srv, &r, NULL, "backup", "--db", srv.db, "api.db");
    assert_int_equal(stat(srv.db, &after), 0);
    if (r.status != 1 || before.st_ino != after.st_ino)
        harness_note("fazhi backup onto its own database: exit %d, file %s\n%s%s\n", r.status,
                     before.st_ino == after.st_ino ? "kept" : "REPLACED", r.out, r.err);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(r.status, 1);

    /* And what the server writes still lands in the file. */
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    unique_name("kept", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "备份后", "type",
                          "department", "parent_id", (json_int_t)srv.root_id),
                &resp);
    assert_status(&resp, 201);
    cli(&srv, &r, NULL, "unit", "list", "--db", srv.db);
    assert_non_null(strstr(r.out, code));
    client_release(&admin);
    response_release(&resp);
    cli_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli__no_command_is_usage_error),
        cmocka_unit_test(test_cli__unknown_command),
        cmocka_unit_test(test_cli__usage_errors),
        cmocka_unit_test(test_cli__serve_on_busy_port_fails),
        cmocka_unit_test(test_cli__serve_needs_its_photo_store),
        cmocka_unit_test(test_cli__help_lists_commands),
        cmocka_unit_test(test_cli__unknown_unit_named),
        cmocka_unit_test(test_cli__version_matches_server),
        cmocka_unit_test(test_cli__fazhi_db_environment),
        cmocka_unit_test(test_cli__migrate_is_idempotent),
        cmocka_unit_test(test_cli__user_passwd_seen_by_server),
        cmocka_unit_test(test_cli__user_add_password_from_stdin),
        /* Last: if it fails, the server is cut off from its file. */
        cmocka_unit_test(test_cli__backup_refuses_the_live_database),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
