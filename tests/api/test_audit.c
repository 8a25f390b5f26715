/*
 * test_audit.c - the audit log: what the API records, `fazhi audit verify`
 * on a live and on a tampered database, and `fazhi backup`.
 *
 * The last cases stop the server and edit the database file with SQLite
 * directly, as an insider with file access would; they run last.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

#include <ctype.h>
#include <sqlite3.h>
#include <unistd.h>

static struct test_server srv;
static struct client admin;
static char backup_path[256], backup2_path[256];

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    snprintf(backup_path, sizeof(backup_path), "%s/backup.db", srv.dir);
    snprintf(backup2_path, sizeof(backup2_path), "%s/backup2.db", srv.dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    server_stop(&srv);
    return 0;
}

/* True if 'text' holds the number 'n' on its own (not inside a longer one). */
static bool mentions_number(const char *text, int64_t n)
{
    char digits[32];
    size_t len = (size_t)snprintf(digits, sizeof(digits), "%lld", (long long)n);

    for (const char *p = text; (p = strstr(p, digits)); p++)
        if ((p == text || !isdigit((unsigned char)p[-1])) && !isdigit((unsigned char)p[len]))
            return true;
    return false;
}

/* The audit entry of 'entity' 'entity_id' with 'action', or NULL. */
static json_t *find_entry(json_t *all, const char *entity, int64_t entity_id, const char *action)
{
    char id[32];
    size_t i;
    json_t *e;

    snprintf(id, sizeof(id), "%lld", (long long)entity_id);
    json_array_foreach(all, i, e)
    {
        const char *en = json_str_member(e, "entity"), *eid = json_str_member(e, "entity_id");
        const char *ac = json_str_member(e, "action");
        if (en && eid && ac && strcmp(en, entity) == 0 && strcmp(eid, id) == 0 &&
            strcmp(ac, action) == 0)
            return e;
    }
    return NULL;
}

static void test_audit__api_writes_are_recorded(void **state)
{
    struct response r = {0};
    struct client u;
    char code[64], login[64], actor[32], uactor[32], path[64];
    int64_t unit_id, user_id, prev = 0;
    json_t *all, *e, *after, *before;
    size_t i;

    (void)state;
    unique_name("audited", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "审计部门", "type",
                          "department", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    unit_id = json_int_member(r.json, "id");
    unique_name("auditee", login, sizeof(login));
    user_id = create_user(&admin, login, srv.ca_id, "staff", "Auditee-pass-1");
    client_init(&u, &srv);
    client_login_ok(&u, login, "Auditee-pass-1");
    snprintf(path, sizeof(path), "/api/v1/users/%lld", (long long)user_id);
    client_send(&admin, "PATCH", path, json_pack("{s:s}", "name", "改名后"), &r);
    assert_status(&r, 200);

    all = audit_all(&admin);
    snprintf(actor, sizeof(actor), "user:%lld", (long long)admin.user_id);
    snprintf(uactor, sizeof(uactor), "user:%lld", (long long)user_id);

    e = find_entry(all, "unit", unit_id, "create");
    assert_non_null(e);
    assert_string_equal(json_str_member(e, "actor"), actor);
    assert_true(json_is_null(json_object_get(e, "before")));
    assert_string_equal(json_str_member(json_object_get(e, "after"), "code"), code);
    assert_int_equal(json_int_member(e, "unit_id"), unit_id);

    e = find_entry(all, "user", user_id, "create");
    assert_non_null(e);
    assert_string_equal(json_str_member(e, "actor"), actor);
    assert_true(json_is_null(json_object_get(e, "before")));
    after = json_object_get(e, "after");
    assert_string_equal(json_str_member(after, "login"), login);
    assert_int_equal(json_int_member(e, "unit_id"), srv.ca_id);

    json_array_foreach(all, i, e)
    {
        const char *ac = json_str_member(e, "actor"), *act = json_str_member(e, "action");
        if (ac && act && strcmp(ac, uactor) == 0 && strcmp(act, "login") == 0)
            break;
    }
    assert_true(i < json_array_size(all));
    assert_string_equal(json_str_member(e, "entity"), "session");
    assert_string_equal(json_str_member(json_object_get(e, "after"), "client_ip"), "127.0.0.1");

    e = find_entry(all, "user", user_id, "update");
    assert_non_null(e);
    before = json_object_get(e, "before");
    after = json_object_get(e, "after");
    assert_string_equal(json_str_member(before, "name"), login);
    assert_string_equal(json_str_member(after, "name"), "改名后");

    /* In order, each with its chain hash, and no password hash anywhere. */
    json_array_foreach(all, i, e)
    {
        const char *h = json_str_member(e, "hash");
        assert_true(json_int_member(e, "id") > prev);
        prev = json_int_member(e, "id");
        assert_non_null(h);
        assert_int_equal(strlen(h), 64);
        assert_non_null(json_str_member(e, "at"));
    }
    {
        char *dump = json_dumps(all, 0);
        assert_null(strstr(dump, "argon2"));
        assert_null(strstr(dump, "Auditee-pass-1"));
        free(dump);
    }
    json_decref(all);
    client_release(&u);
    response_release(&r);
}

static void test_audit__entity_filter_and_paging(void **state)
{
    struct response r = {0};
    json_t *all, *e;
    size_t i, total;
    long long next;

    (void)state;
    client_get(&admin, &r, "/api/v1/audit?entity=unit&limit=500");
    assert_status(&r, 200);
    assert_true(json_array_size(response_items(&r)) >= 3); /* root, ca, cb from the CLI */
    json_array_foreach(response_items(&r), i, e)
    {
        assert_string_equal(json_str_member(e, "entity"), "unit");
    }
    /* Pages of one entry each walk the whole log without gaps or repeats. */
    all = audit_all(&admin);
    total = json_array_size(all);
    next = 0;
    for (i = 0; i < total; i++) {
        client_get(&admin, &r, "/api/v1/audit?after=%lld&limit=1", next);
        assert_status(&r, 200);
        assert_int_equal(json_array_size(response_items(&r)), 1);
        assert_int_equal(json_int_member(json_array_get(response_items(&r), 0), "id"),
                         json_int_member(json_array_get(all, i), "id"));
        next = json_int_member(r.json, "next_after");
    }
    client_get(&admin, &r, "/api/v1/audit?after=%lld&limit=1", next);
    assert_int_equal(json_array_size(response_items(&r)), 0);
    json_decref(all);
    response_release(&r);
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

#define CONCURRENT 24

static void test_audit__concurrent_writes_keep_chain(void **state)
{
    struct response r = {0};
    struct curl_slist *headers = NULL;
    CURL *h[CONCURRENT];
    char *bodies[CONCURRENT], url[256], line[256], prefix[32];
    json_t *all;
    size_t audit_before, units_before;
    CURLM *m;
    int running = 1;

    (void)state;
    /* An admin API token, so the requests need no cookie and no CSRF token. */
    client_send(&admin, "POST", "/api/v1/apikeys",
                json_pack("{s:s, s:[s], s:I}", "name", "并发令牌", "roles", "admin", "unit_id",
                          (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    snprintf(line, sizeof(line), "Authorization: Bearer %s", json_str_member(r.json, "token"));
    headers = curl_slist_append(headers, line);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    all = audit_all(&admin);
    audit_before = json_array_size(all);
    json_decref(all);
    units_before = unit_count(&admin);

    /* Many writers at once: the group commit batches them, and each must
     * still get its own entry in one unbroken chain. */
    unique_name("burst", prefix, sizeof(prefix));
    snprintf(url, sizeof(url), "%s/api/v1/units", srv.base);
    m = curl_multi_init();
    for (int i = 0; i < CONCURRENT; i++) {
        json_t *b = json_pack("{s:s, s:s, s:s, s:I}", "code", "", "name", "并发部门", "type",
                              "department", "parent_id", (json_int_t)srv.root_id);
        char code[64];
        snprintf(code, sizeof(code), "%s-%d", prefix, i);
        json_object_set_new(b, "code", json_string(code));
        bodies[i] = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        h[i] = curl_easy_init();
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 60L);
        curl_multi_add_handle(m, h[i]);
    }
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < CONCURRENT; i++) {
        long status = 0;
        curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &status);
        if (status != 201)
            harness_note("concurrent request %d: status %ld\n", i, status);
        assert_int_equal(status, 201);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
        free(bodies[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(headers);

    all = audit_all(&admin);
    /* One entry per unit, none lost or doubled. */
    assert_int_equal(json_array_size(all), audit_before + CONCURRENT);
    json_decref(all);
    assert_int_equal(unit_count(&admin), units_before + CONCURRENT);
    response_release(&r);
}

static void test_audit__verify_intact_while_running(void **state)
{
    struct cli_result cr = {0};
    json_t *all;

    (void)state;
    all = audit_all(&admin);
    cli(&srv, &cr, NULL, "audit", "verify", "--db", srv.db);
    if (cr.status != 0)
        harness_note("stdout: %s\nstderr: %s\n", cr.out, cr.err);
    assert_int_equal(cr.status, 0);
    assert_non_null(strstr(cr.out, "完整"));
    /* It checked every entry the API shows. */
    assert_true(mentions_number(cr.out, (int64_t)json_array_size(all)));
    json_decref(all);
    cli_result_release(&cr);
}

/* Sorted logins of the users table of the database at 'path'. */
static char *db_logins(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    struct strbuf sb = STRBUF_INIT;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT login FROM users ORDER BY login", -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        strbuf_addf(&sb, "%s\n", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return strbuf_detach(&sb, NULL);
}

static void test_backup__consistent_copy_while_running(void **state)
{
    struct cli_result cr = {0};
    struct response r = {0};
    struct strbuf api = STRBUF_INIT;
    char *copy;
    size_t i;
    json_t *u;

    (void)state;
    cli(&srv, &cr, NULL, "backup", "--db", srv.db, backup_path);
    if (cr.status != 0)
        harness_note("stderr: %s\n", cr.err);
    assert_int_equal(cr.status, 0);
    cli(&srv, &cr, NULL, "backup", "--db", srv.db, backup2_path);
    assert_int_equal(cr.status, 0);

    /* The copy opens and has the users the server shows (the API sorts by login). */
    client_get(&admin, &r, "/api/v1/users");
    assert_status(&r, 200);
    json_array_foreach(response_items(&r), i, u)
    {
        strbuf_addf(&api, "%s\n", json_str_member(u, "login"));
    }
    copy = db_logins(backup_path);
    assert_string_equal(copy, api.buf);
    free(copy);

    cli(&srv, &cr, NULL, "audit", "verify", "--db", backup_path);
    assert_int_equal(cr.status, 0);
    /* The server is unaffected. */
    client_get(&admin, &r, "/api/v1/session");
    assert_status(&r, 200);
    strbuf_release(&api);
    cli_result_release(&cr);
    response_release(&r);
}

/* Runs one statement; returns the SQLite result code. */
static int db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    return rc;
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Opens 'path' for writing, drops the audit log's append-only triggers
 * (after checking they refuse an edit) and returns the handle. */
static sqlite3 *open_without_triggers(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char names[8][128], sql[256];
    size_t n = 0;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    /* As shipped, the database refuses to edit or delete audit entries. */
    assert_int_not_equal(db_exec(db, "UPDATE audit_log SET actor = 'x' WHERE id = 1"), SQLITE_OK);
    assert_int_not_equal(db_exec(db, "DELETE FROM audit_log WHERE id = 1"), SQLITE_OK);

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = 'audit_log'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (n < 8 && sqlite3_step(st) == SQLITE_ROW)
        snprintf(names[n++], sizeof(names[0]), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "DROP TRIGGER \"%s\"", names[i]);
        assert_int_equal(db_exec(db, sql), SQLITE_OK);
    }
    return db;
}

static void expect_verify_names(const char *path, int64_t id, int64_t or_id)
{
    struct cli_result cr = {0};

    cli(&srv, &cr, NULL, "audit", "verify", "--db", path);
    if (cr.status != 1 ||
        !(mentions_number(cr.out, id) || mentions_number(cr.err, id) ||
          (or_id && (mentions_number(cr.out, or_id) || mentions_number(cr.err, or_id))))) {
        harness_note("want exit 1 naming entry %lld (or %lld); got %d\nstdout: %s\nstderr: "
                     "%s\n",
                     (long long)id, (long long)or_id, cr.status, cr.out, cr.err);
        cli_result_release(&cr);
        fail();
    }
    cli_result_release(&cr);
}

static void test_verify__detects_edited_entry(void **state)
{
    sqlite3 *db;
    int64_t id, count;
    char sql[256];

    (void)state;
    server_stop(&srv); /* must exit 0: a clean shutdown */
    db = open_without_triggers(srv.db);
    count = db_int(db, "SELECT COUNT(*) FROM audit_log");
    assert_true(count >= 5);
    snprintf(sql, sizeof(sql), "SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET %lld",
             (long long)count / 2);
    id = db_int(db, sql);
    snprintf(sql, sizeof(sql),
             "UPDATE audit_log SET after_json = '{\"tampered\":true}' WHERE id = %lld",
             (long long)id);
    assert_int_equal(db_exec(db, sql), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    expect_verify_names(srv.db, id, 0);
}

static void test_verify__detects_deleted_entry(void **state)
{
    struct cli_result cr = {0};
    sqlite3 *db;
    int64_t id, next, count;
    char sql[256];

    (void)state;
    if (access(backup_path, R_OK) != 0) {
        cli(&srv, &cr, NULL, "backup", "--db", srv.db, backup_path);
        cli_result_release(&cr);
    }
    db = open_without_triggers(backup_path);
    count = db_int(db, "SELECT COUNT(*) FROM audit_log");
    assert_true(count >= 5);
    snprintf(sql, sizeof(sql), "SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET %lld",
             (long long)count / 2);
    id = db_int(db, sql);
    snprintf(sql, sizeof(sql), "SELECT MIN(id) FROM audit_log WHERE id > %lld", (long long)id);
    next = db_int(db, sql);
    assert_true(next > id);
    snprintf(sql, sizeof(sql), "DELETE FROM audit_log WHERE id = %lld", (long long)id);
    assert_int_equal(db_exec(db, sql), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    expect_verify_names(backup_path, next, id);
}

static void test_verify__detects_removed_tail(void **state)
{
    struct cli_result cr = {0};
    sqlite3 *db;
    int64_t last, before_last;

    (void)state;
    if (access(backup2_path, R_OK) != 0) {
        cli(&srv, &cr, NULL, "backup", "--db", srv.db, backup2_path);
        cli_result_release(&cr);
    }
    db = open_without_triggers(backup2_path);
    last = db_int(db, "SELECT MAX(id) FROM audit_log");
    before_last = db_int(db, "SELECT MAX(id) FROM audit_log WHERE id < (SELECT MAX(id) FROM "
                             "audit_log)");
    assert_int_equal(
        db_exec(db, "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)"), SQLITE_OK);
    sqlite3_close(db);
    /* The chain that is left is intact; the head record knows it was longer. */
    expect_verify_names(backup2_path, last, before_last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit__api_writes_are_recorded),
        cmocka_unit_test(test_audit__entity_filter_and_paging),
        cmocka_unit_test(test_audit__concurrent_writes_keep_chain),
        cmocka_unit_test(test_audit__verify_intact_while_running),
        cmocka_unit_test(test_backup__consistent_copy_while_running),
        /* These stop the server: keep them last. */
        cmocka_unit_test(test_verify__detects_edited_entry),
        cmocka_unit_test(test_verify__detects_deleted_entry),
        cmocka_unit_test(test_verify__detects_removed_tail),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
