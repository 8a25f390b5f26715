/*
 * test_open311.c - Open311 GeoReport v2 under /open311/v2/ (docs/open311.md),
 * against a real server, with libcurl: every endpoint in JSON and in XML
 * (XML read back with expat: well-formed, with the spec's element names and
 * values), a request submitted with percent-encoded attribute[...] keys and
 * found again with its attributes stored, a multivaluelist and an inactive
 * type (added to the catalog table in the file), media_url of a photo,
 * Open311's status following the workflow driven through the JSON API
 * (accept, assign, start, resolve, the resident's rate and reopen, reject),
 * the filters, the 90-day default window (matters backdated in the database
 * file), the 1,000 cap (1,001 requests posted 16 at a time), the spec's
 * errors in both formats, and the request shapes of FixMyStreet's Open311
 * client (perllib/Open311.pm) replayed unchanged.
 *
 * The matter types are the shipped catalog (conf/matter-types.json); its
 * handling units do not exist here, so every matter goes to the root unit
 * "测试街道". The cap case posts 1,001 "suggestion" matters and runs last;
 * the other cases count only what they filter by id or service_code.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"
#include "store/store.h"

#include <expat.h>
#include <math.h>
#include <regex.h>
#include <time.h>

#define STAFF_LOGIN    "o311staff"
#define STAFF_PASSWORD "Staff-pass-2024"
#define PHONE          "13800138000"
#define FORM_CT        "application/x-www-form-urlencoded; charset=utf-8"
#define JSON_CT        "application/json; charset=utf-8"
#define XML_CT         "text/xml; charset=utf-8"
#define XML_DECL       "<?xml version=\"1.0\" encoding=\"utf-8\"?>"

static struct test_server srv;
static struct client admin, staff, anon;
static char api_key[128];

/* ================================================================
 * Helpers: forms, XML, errors
 * ================================================================ */

/* "n1=v1&n2=v2" from NULL-terminated pairs, names and values both
 * percent-encoded (attribute[category] goes out as attribute%5Bcategory%5D,
 * as a browser or LWP sends it). Malloc'd. */
static char *form(const char *name, ...)
{
    CURL *curl = curl_easy_init();
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    va_list ap;
    bool first = true;

    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        char *en = curl_easy_escape(curl, n, 0), *ev = curl_easy_escape(curl, v, 0);
        fprintf(f, "%s%s=%s", first ? "" : "&", en, ev);
        curl_free(en);
        curl_free(ev);
        first = false;
    }
    va_end(ap);
    fclose(f);
    curl_easy_cleanup(curl);
    return out;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POSTs a form body to /open311/v2/requests.EXT without credentials. */
static long post_request(const char *ext, char *body, const char *content_type, struct response *r)
{
    char path[64];
    long status;

    snprintf(path, sizeof(path), "/open311/v2/requests.%s", ext);
    status = client_request(&anon, "POST", path, content_type, body, strlen(body), NULL, r);
    free(body);
    return status;
}

/* A well-formed complaint with attribute[category]=noise; the new id. */
static char *complaint_form(const char *description)
{
    return form("api_key", api_key, "jurisdiction_id", "fazhi.test", "service_code", "complaint",
                "lat", "31.2304", "long", "121.4737", "address_string", "中山路1号", "phone", PHONE,
                "first_name", "芳", "last_name", "王", "email", "wang@example.com", "device_id",
                "dev-1", "description", description, "attribute[category]", "noise", NULL);
}

static int64_t id_of_reply(const struct response *r)
{
    json_t *first = json_array_get(r->json, 0);
    const char *id = json_str_member(first, "service_request_id");

    assert_non_null(id);
    return strtoll(id, NULL, 10);
}

static int64_t submit_complaint(const char *description)
{
    struct response r = {0};
    int64_t id;

    post_request("json", complaint_form(description), FORM_CT, &r);
    assert_status(&r, 200);
    id = id_of_reply(&r);
    assert_true(id > 0);
    response_release(&r);
    return id;
}

/* The XML of a reply as (path, text) pairs: "service_requests/request/status"
 * -> "open", one per element, in document order. */
struct xml_node {
    char *path, *text;
};

struct xml_doc {
    struct xml_node *nodes;
    size_t n, cap;
    char path[512];
    char *text;
    size_t text_len;
    bool ok;
};

static void XMLCALL xml_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct xml_doc *d = ud;
    size_t len = strlen(d->path);

    (void)attrs;
    snprintf(d->path + len, sizeof(d->path) - len, "%s%s", len ? "/" : "", name);
    d->text_len = 0;
    d->text[0] = '\0';
}

static void XMLCALL xml_chars(void *ud, const XML_Char *s, int len)
{
    struct xml_doc *d = ud;

    d->text = realloc(d->text, d->text_len + (size_t)len + 1);
    memcpy(d->text + d->text_len, s, (size_t)len);
    d->text_len += (size_t)len;
    d->text[d->text_len] = '\0';
}

static void XMLCALL xml_end(void *ud, const XML_Char *name)
{
    struct xml_doc *d = ud;
    char *slash;

    (void)name;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->nodes = realloc(d->nodes, d->cap * sizeof(*d->nodes));
    }
    d->nodes[d->n].path = strdup(d->path);
    d->nodes[d->n].text = strdup(d->text);
    d->n++;
    d->text_len = 0;
    d->text[0] = '\0';
    slash = strrchr(d->path, '/');
    if (slash)
        *slash = '\0';
    else
        d->path[0] = '\0';
}

/* Parses an XML reply: the declaration, well-formedness, Content-Type. */
static void xml_parse(const struct response *r, struct xml_doc *d)
{
    XML_Parser p = XML_ParserCreate("UTF-8");

    memset(d, 0, sizeof(*d));
    d->text = calloc(1, 1);
    assert_string_equal(response_header(r, "Content-Type"), XML_CT);
    assert_true(str_starts_with(r->body, XML_DECL));
    XML_SetUserData(p, d);
    XML_SetElementHandler(p, xml_start, xml_end);
    XML_SetCharacterDataHandler(p, xml_chars);
    d->ok = XML_Parse(p, r->body, (int)r->len, 1) == XML_STATUS_OK;
    if (!d->ok)
        harness_note("not well-formed XML (%s at line %lu): %s",
                     XML_ErrorString(XML_GetErrorCode(p)),
                     (unsigned long)XML_GetCurrentLineNumber(p), r->body);
    XML_ParserFree(p);
    assert_true(d->ok);
}

static void xml_release(struct xml_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->nodes[i].path);
        free(d->nodes[i].text);
    }
    free(d->nodes);
    free(d->text);
    memset(d, 0, sizeof(*d));
}

static size_t xml_count(const struct xml_doc *d, const char *path)
{
    size_t n = 0;

    for (size_t i = 0; i < d->n; i++)
        n += strcmp(d->nodes[i].path, path) == 0;
    return n;
}

/* The text of the k-th element at 'path', or NULL. */
static const char *xml_text(const struct xml_doc *d, const char *path, size_t k)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->nodes[i].path, path) == 0 && k-- == 0)
            return d->nodes[i].text;
    return NULL;
}

/* The index among the requests of a reply of the one with that id. */
static size_t xml_request_index(const struct xml_doc *d, int64_t id)
{
    char want[32];
    size_t n = xml_count(d, "service_requests/request/service_request_id");

    snprintf(want, sizeof(want), "%lld", (long long)id);
    for (size_t i = 0; i < n; i++)
        if (strcmp(xml_text(d, "service_requests/request/service_request_id", i), want) == 0)
            return i;
    harness_note("request %s not in the XML reply", want);
    fail();
    return 0;
}

/* Checks an Open311 JSON error: the status, [{"code","description"}] with
 * code the status, the description naming 'param' first when not NULL. */
#define assert_o311_error(r, status, param) o311_error_at((r), (status), (param), __LINE__)
static void o311_error_at(const struct response *r, long status, const char *param, int line)
{
    json_t *e;
    char prefix[128];

    if (r->status != status || !json_is_array(r->json) || json_array_size(r->json) < 1) {
        harness_note("line %d: want %ld and an Open311 error, got %ld: %s", line, status, r->status,
                     r->body);
        fail();
    }
    assert_string_equal(response_header(r, "Content-Type"), JSON_CT);
    assert_null(strstr(r->body, "\"error\""));
    e = json_array_get(r->json, 0);
    assert_true(json_is_integer(json_object_get(e, "code")));
    assert_int_equal(json_int_member(e, "code"), status);
    assert_non_null(json_str_member(e, "description"));
    if (param) {
        snprintf(prefix, sizeof(prefix), "%s：", param);
        if (!str_starts_with(json_str_member(e, "description"), prefix)) {
            harness_note("line %d: want a description naming %s, got %s", line, param, r->body);
            fail();
        }
    }
    assert_security_headers(r);
}

#define assert_o311_xml_error(r, status, param) o311_xml_error_at((r), (status), (param), __LINE__)
static void o311_xml_error_at(const struct response *r, long status, const char *param, int line)
{
    struct xml_doc d;
    char code[16], prefix[128];

    if (r->status != status) {
        harness_note("line %d: want %ld, got %ld: %s", line, status, r->status, r->body);
        fail();
    }
    xml_parse(r, &d);
    snprintf(code, sizeof(code), "%ld", status);
    assert_true(xml_count(&d, "errors/error") >= 1);
    assert_string_equal(xml_text(&d, "errors/error/code", 0), code);
    assert_non_null(xml_text(&d, "errors/error/description", 0));
    if (param) {
        snprintf(prefix, sizeof(prefix), "%s：", param);
        if (!str_starts_with(xml_text(&d, "errors/error/description", 0), prefix)) {
            harness_note("line %d: want a description naming %s, got %s", line, param, r->body);
            fail();
        }
    }
    xml_release(&d);
}

/* True if 's' is "YYYY-MM-DDThh:mm:ss+08:00". */
static bool is_w3c_cst(const char *s)
{
    regex_t re;
    bool ok;

    assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+08:00$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    ok = s && regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* GET requests/{id}.json: the one request (a new reference). */
static json_t *get_request(int64_t id)
{
    struct response r = {0};
    json_t *one;

    client_get(&anon, &r, "/open311/v2/requests/%lld.json?jurisdiction_id=fazhi.test",
               (long long)id);
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"), JSON_CT);
    assert_true(json_is_array(r.json));
    assert_int_equal(json_array_size(r.json), 1);
    one = json_incref(json_array_get(r.json, 0));
    response_release(&r);
    return one;
}

/* A staff action through the JSON API; 'fields' is owned (may be NULL). */
static void act(int64_t id, const char *transition, json_t *fields)
{
    struct response r = {0};
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/matters/%lld/actions/%s", (long long)id, transition);
    client_send(&staff, "POST", path, fields ? fields : json_object(), &r);
    assert_status(&r, 200);
    response_release(&r);
}

/* Runs statements on the live database file through the store interface,
 * as a second process would (WAL: the server sees the change on its next
 * read). */
static int exec_script(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return store_exec_script(c, arg, ec);
}

static void db_exec(const char *sql)
{
    struct store *db;
    struct err_ctx ec;

    err_clear(&ec);
    if (store_open(srv.db, NULL, &db, &ec) < 0 ||
        store_write(db, exec_script, (void *)sql, &ec) < 0) {
        harness_note("%s: %s %s", sql, ec.message, ec.detail);
        fail();
    }
    store_free(db);
}

struct code_read {
    int64_t id;
    char *out;
    size_t size;
};

static int read_code(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct code_read *r = arg;
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT code FROM matters WHERE case_id = $1", "i", r->id);

    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1)
        snprintf(r->out, r->size, "%s", store_col_text(st, 0));
    store_done(st);
    return rc < 0 ? rc : 0;
}

/* The tracking code of a matter: the resident's alone (staff views never
 * show it), so it is read from the database file, as the resident would
 * read it from the SMS the notification webhook sends. */
static void tracking_code(int64_t id, char *out, size_t size)
{
    struct code_read r = {id, out, size};
    struct store *db;
    struct err_ctx ec;

    err_clear(&ec);
    out[0] = '\0';
    assert_int_equal(store_open(srv.db, NULL, &db, &ec), 0);
    assert_int_equal(store_read(db, read_code, &r, &ec), 0);
    store_free(db);
    assert_true(str_starts_with(out, "CX-"));
}

/* True if a list reply holds a request with that id. */
static bool lists(const json_t *list, int64_t id)
{
    char want[32];

    snprintf(want, sizeof(want), "%lld", (long long)id);
    return json_find(list, "service_request_id", want) != NULL;
}

/* ================================================================
 * Setup
 * ================================================================ */

/* An API token from `fazhi apikey add` (the CLI, on the live database). */
static void apikey_add(const char *role, char *out, size_t size)
{
    struct cli_result cr = {0};
    char name[64];

    unique_name("open311", name, sizeof(name));
    assert_int_equal(cli(&srv, &cr, NULL, "apikey", "add", name, "--db", srv.db, "--role", role,
                         "--unit", "root"),
                     0);
    last_line(cr.out, out, size);
    assert_true(strlen(out) >= 32);
    cli_result_release(&cr);
}

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    create_user(&admin, STAFF_LOGIN, srv.root_id, "staff", STAFF_PASSWORD);
    client_init(&staff, &srv);
    client_login_ok(&staff, STAFF_LOGIN, STAFF_PASSWORD);
    client_init(&anon, &srv);
    apikey_add("staff", api_key, sizeof(api_key));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&anon);
    client_release(&staff);
    client_release(&admin);
    server_stop(&srv);
    return 0;
}

/* ================================================================
 * Discovery and services
 * ================================================================ */

static void test_open311__discovery(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    json_t *ep;

    (void)state;
    client_get(&anon, &r, "/open311/v2/discovery.json");
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"), JSON_CT);
    assert_string_equal(response_header(&r, "Access-Control-Allow-Origin"), "*");
    assert_true(is_w3c_cst(json_str_member(r.json, "changeset")));
    assert_non_null(json_str_member(r.json, "contact"));
    assert_non_null(json_str_member(r.json, "key_service"));
    ep = json_array_get(json_object_get(r.json, "endpoints"), 0);
    assert_string_equal(json_str_member(ep, "specification"),
                        "http://wiki.open311.org/GeoReport_v2");
    assert_string_equal(json_str_member(ep, "type"), "production");
    assert_true(str_starts_with(json_str_member(ep, "url"), srv.base));
    assert_true(strstr(json_str_member(ep, "url"), "/open311/v2") != NULL);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ep, "formats"), 0)),
                        "text/xml");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ep, "formats"), 1)),
                        "application/json");

    client_get(&anon, &r, "/open311/v2/discovery.xml");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_true(is_w3c_cst(xml_text(&d, "discovery/changeset", 0)));
    assert_string_equal(xml_text(&d, "discovery/endpoints/endpoint/specification", 0),
                        "http://wiki.open311.org/GeoReport_v2");
    assert_int_equal(xml_count(&d, "discovery/endpoints/endpoint/formats/format"), 2);
    assert_string_equal(xml_text(&d, "discovery/endpoints/endpoint/formats/format", 1),
                        "application/json");
    xml_release(&d);
    response_release(&r);
}

static void test_open311__services(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    json_t *complaint, *consultation;
    size_t n;

    (void)state;
    client_get(&anon, &r, "/open311/v2/services.json?jurisdiction_id=fazhi.test");
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"), JSON_CT);
    assert_true(json_is_array(r.json));
    n = json_array_size(r.json);
    assert_int_equal(n, 6);
    complaint = json_find(r.json, "service_code", "complaint");
    assert_non_null(complaint);
    assert_string_equal(json_str_member(complaint, "service_name"), "问题反映");
    assert_true(json_is_true(json_object_get(complaint, "metadata")));
    assert_string_equal(json_str_member(complaint, "type"), "realtime");
    assert_string_equal(json_str_member(complaint, "keywords"), "环境卫生,占道经营,噪声,设施");
    assert_string_equal(json_str_member(complaint, "group"), "城市管理");
    assert_non_null(json_str_member(complaint, "description"));
    consultation = json_find(r.json, "service_code", "consultation");
    assert_true(json_is_false(json_object_get(consultation, "metadata")));

    client_get(&anon, &r, "/open311/v2/services.xml");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "services/service"), n);
    assert_string_equal(xml_text(&d, "services/service/service_code", 0), "complaint");
    assert_string_equal(xml_text(&d, "services/service/metadata", 0), "true");
    assert_string_equal(xml_text(&d, "services/service/type", 0), "realtime");
    assert_string_equal(xml_text(&d, "services/service/group", 0), "城市管理");
    assert_string_equal(xml_text(&d, "services/service/metadata", 4), "false");
    xml_release(&d);
    response_release(&r);
}

static void test_open311__service_definition(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    json_t *attrs, *category, *when, *noise = NULL, *v;
    size_t i;

    (void)state;
    client_get(&anon, &r, "/open311/v2/services/complaint.json?jurisdiction_id=fazhi.test");
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"), JSON_CT);
    assert_string_equal(json_str_member(r.json, "service_code"), "complaint");
    attrs = json_object_get(r.json, "attributes");
    assert_int_equal(json_array_size(attrs), 2);
    category = json_array_get(attrs, 0);
    assert_true(json_is_true(json_object_get(category, "variable")));
    assert_string_equal(json_str_member(category, "code"), "category");
    assert_string_equal(json_str_member(category, "datatype"), "singlevaluelist");
    assert_true(json_is_true(json_object_get(category, "required")));
    assert_true(json_is_null(json_object_get(category, "datatype_description")));
    assert_int_equal(json_int_member(category, "order"), 1);
    assert_string_equal(json_str_member(category, "description"), "问题类别");
    json_array_foreach(json_object_get(category, "values"), i, v)
    {
        if (strcmp(json_str_member(v, "key"), "noise") == 0)
            noise = v;
    }
    assert_non_null(noise);
    assert_string_equal(json_str_member(noise, "name"), "噪声扰民");
    when = json_array_get(attrs, 1);
    assert_string_equal(json_str_member(when, "datatype"), "datetime");
    assert_true(json_is_false(json_object_get(when, "required")));
    assert_int_equal(json_int_member(when, "order"), 2);
    assert_non_null(json_str_member(when, "datatype_description"));
    assert_null(json_object_get(when, "values"));

    client_get(&anon, &r, "/open311/v2/services/complaint.xml");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_definition/service_code", 0), "complaint");
    assert_int_equal(xml_count(&d, "service_definition/attributes/attribute"), 2);
    assert_string_equal(xml_text(&d, "service_definition/attributes/attribute/variable", 0),
                        "true");
    assert_string_equal(xml_text(&d, "service_definition/attributes/attribute/required", 1),
                        "false");
    assert_string_equal(
        xml_text(&d, "service_definition/attributes/attribute/datatype_description", 0), "");
    assert_int_equal(xml_count(&d, "service_definition/attributes/attribute/values/value"), 6);
    assert_string_equal(xml_text(&d, "service_definition/attributes/attribute/values/value/key", 3),
                        "noise");
    assert_string_equal(
        xml_text(&d, "service_definition/attributes/attribute/values/value/name", 3), "噪声扰民");
    xml_release(&d);

    /* A type without fields has an empty definition. */
    client_get(&anon, &r, "/open311/v2/services/consultation.json");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "attributes")), 0);

    /* Unknown services: 404 in the spec's shape, in the format asked. */
    client_get(&anon, &r, "/open311/v2/services/nosuch.json");
    assert_o311_error(&r, 404, "service_code");
    client_get(&anon, &r, "/open311/v2/services/nosuch.xml");
    assert_o311_xml_error(&r, 404, "service_code");
    response_release(&r);
}

/*
 * The shipped catalog has no multivaluelist and no inactive type: one of
 * each is added to matter_types in the file, as an administrator's edit of
 * the catalog would (types are read at each request).
 */
static void test_open311__multivaluelist_and_inactive(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    json_t *attr, *kinds;
    int64_t id;

    (void)state;
    db_exec(
        "INSERT INTO matter_types (code, name, description, group_name, keywords, unit_code, "
        "deadline_days, fields, active, position) VALUES ('o311multi', '多选测试', '多选', "
        "'测试', '多选', '', 3, '[{\"code\":\"kinds\",\"datatype\":\"multivaluelist\","
        "\"required\":true,\"description\":\"类别\",\"order\":1,\"values\":[{\"key\":\"a\","
        "\"name\":\"甲\"},{\"key\":\"b\",\"name\":\"乙\"},{\"key\":\"c\",\"name\":\"丙\"}]},"
        "{\"code\":\"count\",\"datatype\":\"number\",\"required\":false,\"description\":\"数量\","
        "\"order\":2}]', 1, 90), ('o311gone', '已停用', '', '', '', '', 3, '[]', 0, 91)");

    client_get(&anon, &r, "/open311/v2/services/o311multi.json");
    assert_status(&r, 200);
    attr = json_array_get(json_object_get(r.json, "attributes"), 0);
    assert_string_equal(json_str_member(attr, "datatype"), "multivaluelist");
    assert_int_equal(json_array_size(json_object_get(attr, "values")), 3);
    assert_non_null(json_str_member(attr, "datatype_description"));
    client_get(&anon, &r, "/open311/v2/services/o311multi.xml");
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_definition/attributes/attribute/datatype", 1),
                        "number");
    xml_release(&d);

    /* attribute[kinds][]=a&attribute[kinds][]=c, brackets percent-encoded. */
    post_request("json",
                 form("api_key", api_key, "service_code", "o311multi", "address_string", "x",
                      "phone", PHONE, "description", "多选", "attribute[kinds][]", "a",
                      "attribute[kinds][]", "c", "attribute[count]", "2.5", NULL),
                 FORM_CT, &r);
    assert_status(&r, 200);
    id = id_of_reply(&r);
    client_get(&staff, &r, "/api/v1/matters/%lld", (long long)id);
    assert_status(&r, 200);
    kinds =
        json_object_get(json_object_get(json_object_get(r.json, "matter"), "attributes"), "kinds");
    assert_int_equal(json_array_size(kinds), 2);
    assert_string_equal(json_string_value(json_array_get(kinds, 0)), "a");
    assert_string_equal(json_string_value(json_array_get(kinds, 1)), "c");
    assert_true(
        fabs(json_number_value(json_object_get(
                 json_object_get(json_object_get(r.json, "matter"), "attributes"), "count")) -
             2.5) < 1e-9);

    post_request("json",
                 form("api_key", api_key, "service_code", "o311multi", "address_string", "x",
                      "phone", PHONE, "attribute[kinds][]", "a", "attribute[kinds][]", "z", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "attribute[kinds]");
    post_request("json",
                 form("api_key", api_key, "service_code", "o311multi", "address_string", "x",
                      "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "attribute[kinds]");

    /* An inactive type is not offered, has no definition, takes nothing. */
    client_get(&anon, &r, "/open311/v2/services.json");
    assert_null(json_find(r.json, "service_code", "o311gone"));
    assert_non_null(json_find(r.json, "service_code", "o311multi"));
    client_get(&anon, &r, "/open311/v2/services/o311gone.json");
    assert_o311_error(&r, 404, "service_code");
    post_request("xml",
                 form("api_key", api_key, "service_code", "o311gone", "address_string", "x",
                      "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_xml_error(&r, 404, "service_code");
    response_release(&r);
}

/* ================================================================
 * Service requests
 * ================================================================ */

static void test_open311__post_then_get(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    json_t *one, *first;
    int64_t id, xid;
    size_t k;
    char path[96], code[32];

    (void)state;
    post_request("json", complaint_form("夜间施工噪声扰民"), FORM_CT, &r);
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"), JSON_CT);
    assert_true(json_is_array(r.json));
    assert_int_equal(json_array_size(r.json), 1);
    first = json_array_get(r.json, 0);
    assert_true(json_is_string(json_object_get(first, "service_request_id")));
    id = id_of_reply(&r);
    assert_true(id > 0);
    assert_non_null(json_str_member(first, "service_notice"));
    assert_true(json_is_null(json_object_get(first, "account_id")));
    assert_null(json_object_get(first, "token")); /* realtime: the id, no token */

    one = get_request(id);
    snprintf(path, sizeof(path), "%lld", (long long)id);
    assert_string_equal(json_str_member(one, "service_request_id"), path);
    assert_string_equal(json_str_member(one, "status"), "open");
    assert_string_equal(json_str_member(one, "service_code"), "complaint");
    assert_string_equal(json_str_member(one, "service_name"), "问题反映");
    assert_string_equal(json_str_member(one, "description"), "夜间施工噪声扰民");
    assert_string_equal(json_str_member(one, "agency_responsible"), "测试街道");
    assert_non_null(json_str_member(one, "service_notice"));
    assert_string_equal(json_str_member(one, "address"), "中山路1号");
    assert_true(json_is_real(json_object_get(one, "lat")));
    assert_true(fabs(json_real_value(json_object_get(one, "lat")) - 31.2304) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(one, "long")) - 121.4737) < 1e-9);
    assert_true(is_w3c_cst(json_str_member(one, "requested_datetime")));
    assert_true(is_w3c_cst(json_str_member(one, "updated_datetime")));
    assert_true(is_w3c_cst(json_str_member(one, "expected_datetime")));
    assert_true(strstr(json_str_member(one, "expected_datetime"), "T23:59:59+08:00") != NULL);
    assert_true(json_is_null(json_object_get(one, "media_url")));
    assert_true(json_is_null(json_object_get(one, "address_id")));
    assert_true(json_is_null(json_object_get(one, "zipcode")));
    json_decref(one);

    /* The attributes had their effect: the matter holds the category. */
    client_get(&staff, &r, "/api/v1/matters/%lld", (long long)id);
    assert_status(&r, 200);
    first = json_object_get(r.json, "matter");
    assert_string_equal(json_str_member(json_object_get(first, "attributes"), "category"), "noise");
    assert_string_equal(json_str_member(first, "source"), "open311");
    assert_string_equal(json_str_member(first, "name"), "王芳");
    assert_null(json_object_get(first, "code")); /* the resident's alone */
    tracking_code(id, code, sizeof(code));

    /* No personal data and no tracking code, in either format. */
    client_get(&anon, &r, "/open311/v2/requests/%lld.json", (long long)id);
    assert_lacks(r.body, PHONE);
    assert_lacks(r.body, "王芳");
    assert_lacks(r.body, code);
    client_get(&anon, &r, "/open311/v2/requests/%lld.xml", (long long)id);
    assert_status(&r, 200);
    assert_lacks(r.body, PHONE);
    assert_lacks(r.body, code);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "service_requests/request"), 1);
    assert_string_equal(xml_text(&d, "service_requests/request/service_request_id", 0), path);
    assert_string_equal(xml_text(&d, "service_requests/request/status", 0), "open");
    assert_string_equal(xml_text(&d, "service_requests/request/lat", 0), "31.2304");
    assert_string_equal(xml_text(&d, "service_requests/request/long", 0), "121.4737");
    assert_string_equal(xml_text(&d, "service_requests/request/zipcode", 0), "");
    xml_release(&d);

    /* POST in XML: the same reply as a <service_requests> document. */
    post_request("xml", complaint_form("垃圾清运不及时 <b>&</b>"), FORM_CT, &r);
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "service_requests/request"), 1);
    xid = strtoll(xml_text(&d, "service_requests/request/service_request_id", 0), NULL, 10);
    assert_true(xid > id);
    assert_non_null(xml_text(&d, "service_requests/request/service_notice", 0));
    assert_string_equal(xml_text(&d, "service_requests/request/account_id", 0), "");
    assert_int_equal(xml_count(&d, "service_requests/request/token"), 0);
    xml_release(&d);
    /* ... and text with XML specials comes back escaped and intact. */
    client_get(&anon, &r, "/open311/v2/requests/%lld.xml", (long long)xid);
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_requests/request/description", 0),
                        "垃圾清运不及时 <b>&</b>");
    xml_release(&d);

    /* The list in both formats finds both. */
    client_get(&anon, &r, "/open311/v2/requests.json?service_request_id=%lld,%lld", (long long)id,
               (long long)xid);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 2);
    client_get(&anon, &r, "/open311/v2/requests.xml?service_request_id=%lld,%lld", (long long)id,
               (long long)xid);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "service_requests/request"), 2);
    k = xml_request_index(&d, id);
    assert_string_equal(xml_text(&d, "service_requests/request/service_code", k), "complaint");
    xml_release(&d);

    /* Tokens: the token of a request is its id. */
    client_get(&anon, &r, "/open311/v2/tokens/%lld.json", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(json_array_get(r.json, 0), "service_request_id"), path);
    assert_string_equal(json_str_member(json_array_get(r.json, 0), "token"), path);
    client_get(&anon, &r, "/open311/v2/tokens/%lld.xml", (long long)id);
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_requests/request/token", 0), path);
    assert_string_equal(xml_text(&d, "service_requests/request/service_request_id", 0), path);
    xml_release(&d);
    client_get(&anon, &r, "/open311/v2/tokens/999999.json");
    assert_o311_error(&r, 404, "token");
    client_get(&anon, &r, "/open311/v2/tokens/x.xml");
    assert_o311_xml_error(&r, 404, "token");

    /* Unknown requests. */
    client_get(&anon, &r, "/open311/v2/requests/999999.json");
    assert_o311_error(&r, 404, "service_request_id");
    client_get(&anon, &r, "/open311/v2/requests/abc.xml");
    assert_o311_xml_error(&r, 404, "service_request_id");
    response_release(&r);
}

/* A matter with a photo (the JSON API's multipart form): its media_url is
 * the photo's absolute /media/<sha256> URL, and it answers with the image. */
static void test_open311__media_url(void **state)
{
    static const unsigned char png_head[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                               0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    unsigned char png[256];
    CURL *curl = curl_easy_init();
    curl_mime *mime = curl_mime_init(curl);
    curl_mimepart *part;
    struct response r = {0};
    char url[256], prefix[128];
    const char *media;
    long status = 0;
    json_t *one;
    static const char *const fields[][2] = {
        {"type", "complaint"},
        {"description", "占道经营，附照片"},
        {"address", "解放路 8 号"},
        {"phone", PHONE},
        {"attribute[category]", "street_vending"},
    };

    (void)state;
    memset(png, 0x5a, sizeof(png));
    memcpy(png, png_head, sizeof(png_head));
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        part = curl_mime_addpart(mime);
        curl_mime_name(part, fields[i][0]);
        curl_mime_data(part, fields[i][1], CURL_ZERO_TERMINATED);
    }
    part = curl_mime_addpart(mime);
    curl_mime_name(part, "photo");
    curl_mime_filename(part, "stall.png");
    curl_mime_type(part, "image/png");
    curl_mime_data(part, (const char *)png, sizeof(png));
    snprintf(url, sizeof(url), "%s/api/v1/matters", srv.base);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_mime_free(mime);
    curl_easy_cleanup(curl);
    assert_int_equal(status, 201);

    /* The newest complaint is that one. */
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint");
    assert_status(&r, 200);
    one = json_array_get(r.json, 0);
    assert_string_equal(json_str_member(one, "description"), "占道经营，附照片");
    media = json_str_member(one, "media_url");
    assert_non_null(media);
    snprintf(prefix, sizeof(prefix), "%s/media/", srv.base);
    assert_true(str_starts_with(media, prefix));
    assert_int_equal(strlen(media + strlen(prefix)), 64);
    snprintf(url, sizeof(url), "%s", media + strlen(srv.base));
    client_get(&anon, &r, "%s", url);
    assert_status(&r, 200);
    assert_int_equal(r.len, sizeof(png));
    assert_memory_equal(r.body, png, sizeof(png));

    /* Behind a proxy that ends TLS, the URL is https. */
    {
        const char *const hdr[] = {"X-Forwarded-Proto: https", "Host: fazhi.example.gov.cn", NULL};
        client_request(&anon, "GET", "/open311/v2/requests.json?service_code=complaint", NULL, NULL,
                       0, hdr, &r);
        assert_status(&r, 200);
        assert_true(str_starts_with(json_str_member(json_array_get(r.json, 0), "media_url"),
                                    "https://fazhi.example.gov.cn/media/"));
    }
    response_release(&r);
}

/* A request with only address_id, and one with only address_string and no
 * description: both valid in Open311. */
static void test_open311__optional_location_and_description(void **state)
{
    struct response r = {0};
    json_t *one;
    int64_t id;

    (void)state;
    post_request("json",
                 form("api_key", api_key, "service_code", "suggestion", "address_id", "545483",
                      "phone", PHONE, "description", "建议增设公交站", NULL),
                 FORM_CT, &r);
    assert_status(&r, 200);
    one = get_request(id_of_reply(&r));
    assert_string_equal(json_str_member(one, "address"), "545483");
    assert_true(json_is_null(json_object_get(one, "lat")));
    json_decref(one);

    /* A question about one's own affairs is accepted but never listed
       publicly, not even by its id (the catalog's "public": false). */
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "address_string", "x",
                      "phone", PHONE, "description", "低保申请需要哪些材料", NULL),
                 FORM_CT, &r);
    assert_status(&r, 200);
    id = id_of_reply(&r);
    client_get(&anon, &r, "/open311/v2/requests/%lld.json", (long long)id);
    assert_o311_error(&r, 404, "service_request_id");
    client_get(&anon, &r, "/open311/v2/requests.json?service_request_id=%lld", (long long)id);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 0);
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=consultation");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 0);
    assert_lacks(r.body, "低保");

    post_request("json",
                 form("api_key", api_key, "service_code", "suggestion", "address_string",
                      "人民广场", "phone", PHONE, "media_url", "https://example.com/a.jpg", NULL),
                 FORM_CT, &r);
    assert_status(&r, 200);
    id = id_of_reply(&r);
    one = get_request(id);
    assert_true(str_starts_with(json_str_member(one, "description"), "意见建议"));
    assert_non_null(strstr(json_str_member(one, "description"), "https://example.com/a.jpg"));
    json_decref(one);

    /* Every argument in the query string, none in the body (as some
       clients send a POST) works too. */
    {
        char *q = form("api_key", api_key, "service_code", "suggestion", "lat", "31.2", "long",
                       "121.4", "phone", PHONE, "description", "query only", NULL);
        char path[1024];
        snprintf(path, sizeof(path), "/open311/v2/requests.json?%s", q);
        free(q);
        client_request(&anon, "POST", path, FORM_CT, "", 0, NULL, &r);
        assert_status(&r, 200);
        assert_true(id_of_reply(&r) > id);
    }
    response_release(&r);
}

static void test_open311__status_follows_the_workflow(void **state)
{
    struct response r = {0};
    json_t *one;
    int64_t id, rejected, reopened;
    char code[32];

    (void)state;
    id = submit_complaint("路灯不亮");
    act(id, "accept", NULL);
    act(id, "assign", json_pack("{s:I}", "unit_id", (json_int_t)srv.ca_id));
    act(id, "start", NULL);
    one = get_request(id);
    assert_string_equal(json_str_member(one, "status"), "open");
    assert_string_equal(json_str_member(one, "status_notes"), "办理中");
    assert_string_equal(json_str_member(one, "agency_responsible"), "甲社区");
    json_decref(one);

    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint&status=open");
    assert_true(lists(r.json, id));
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint&status=closed");
    assert_false(lists(r.json, id));

    /* Resolved is Open311's closed ("it has been resolved"). */
    act(id, "resolve", json_pack("{s:s}", "reply", "已更换灯泡"));
    one = get_request(id);
    assert_string_equal(json_str_member(one, "status"), "closed");
    assert_string_equal(json_str_member(one, "status_notes"), "已更换灯泡");
    json_decref(one);
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint&status=closed");
    assert_true(lists(r.json, id));
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint&status=open");
    assert_false(lists(r.json, id));
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint&status=open,closed");
    assert_true(lists(r.json, id));

    /* The resident rates it: closed stays closed, the reply stays. */
    tracking_code(id, code, sizeof(code));
    {
        char path[96];
        snprintf(path, sizeof(path), "/api/v1/track/%s/rate", code);
        client_send(&anon, "POST", path, json_pack("{s:i}", "rating", 5), &r);
        assert_status(&r, 200);
    }
    one = get_request(id);
    assert_string_equal(json_str_member(one, "status"), "closed");
    assert_string_equal(json_str_member(one, "status_notes"), "已更换灯泡");
    json_decref(one);
    client_get(&anon, &r, "/open311/v2/requests.xml?service_code=complaint&status=closed");
    {
        struct xml_doc d;
        xml_parse(&r, &d);
        assert_string_equal(
            xml_text(&d, "service_requests/request/status", xml_request_index(&d, id)), "closed");
        xml_release(&d);
    }

    /* Rejected is closed, with the reason as the notes. */
    rejected = submit_complaint("重复反映");
    act(rejected, "reject", json_pack("{s:s}", "reason", "已合并到其他事项"));
    one = get_request(rejected);
    assert_string_equal(json_str_member(one, "status"), "closed");
    assert_string_equal(json_str_member(one, "status_notes"), "已合并到其他事项");
    json_decref(one);

    /* A resolved matter the resident reopens is open again. */
    reopened = submit_complaint("井盖松动");
    act(reopened, "accept", NULL);
    act(reopened, "assign", json_pack("{s:I}", "unit_id", (json_int_t)srv.root_id));
    act(reopened, "start", NULL);
    act(reopened, "resolve", json_pack("{s:s}", "reply", "已加固"));
    one = get_request(reopened);
    assert_string_equal(json_str_member(one, "status"), "closed");
    json_decref(one);
    tracking_code(reopened, code, sizeof(code));
    {
        char path[96];
        snprintf(path, sizeof(path), "/api/v1/track/%s/reopen", code);
        client_send(&anon, "POST", path, json_pack("{s:s}", "reason", "仍然松动"), &r);
        assert_status(&r, 200);
    }
    one = get_request(reopened);
    assert_string_equal(json_str_member(one, "status"), "open");
    json_decref(one);
    response_release(&r);
}

static void test_open311__filters(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    int64_t a, b, c;
    char start[64], end[64];
    time_t now = time(NULL);
    struct tm tm;
    size_t i;
    json_t *v;

    (void)state;
    a = submit_complaint("过滤一");
    b = submit_complaint("过滤二");
    post_request("json",
                 form("api_key", api_key, "service_code", "safety", "lat", "31.1", "long", "121.1",
                      "phone", PHONE, "description", "燃气味", "attribute[hazard]", "gas", NULL),
                 FORM_CT, &r);
    assert_status(&r, 200);
    c = id_of_reply(&r);

    /* service_request_id overrides every other argument, even bad ones. */
    client_get(&anon, &r,
               "/open311/v2/requests.json?service_request_id=%lld,%%20%lld,nope,999999"
               "&service_code=nosuch&status=bogus&start_date=bogus",
               (long long)a, (long long)c);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 2);
    assert_true(lists(r.json, a) && lists(r.json, c) && !lists(r.json, b));
    /* Newest first. */
    assert_string_equal(json_str_member(json_array_get(r.json, 0), "service_code"), "safety");

    /* service_code, comma-separated. */
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=safety");
    assert_status(&r, 200);
    assert_true(lists(r.json, c) && !lists(r.json, a));
    json_array_foreach(r.json, i, v)
    {
        assert_string_equal(json_str_member(v, "service_code"), "safety");
    }
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=safety,complaint");
    assert_true(lists(r.json, c) && lists(r.json, a) && lists(r.json, b));
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=nosuch");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 0);

    /* A window around now, in UTC and in +08:00 (the '+' encoded). */
    gmtime_r(&(time_t){now - 3600}, &tm);
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
    gmtime_r(&(time_t){now + 3600}, &tm);
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", &tm);
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=%s&end_date=%s", start, end);
    assert_status(&r, 200);
    assert_true(lists(r.json, a) && lists(r.json, c));
    /* A window that ended an hour ago holds none of them. */
    gmtime_r(&(time_t){now - 7200}, &tm);
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
    gmtime_r(&(time_t){now - 3600}, &tm);
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", &tm);
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=%s&end_date=%s", start, end);
    assert_status(&r, 200);
    assert_false(lists(r.json, a));
    /* Local dates: start_date today, with an offset written +08:00. */
    {
        time_t cst = now + 8 * 3600;
        gmtime_r(&cst, &tm);
        strftime(start, sizeof(start), "%Y-%m-%dT00:00:00%%2B08:00", &tm);
        strftime(end, sizeof(end), "%Y-%m-%d", &tm);
    }
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=%s&end_date=%s", start, end);
    assert_status(&r, 200);
    assert_true(lists(r.json, a));
    /* An unencoded '+' (decoded as a space) is still read as +08:00. */
    {
        char plain[64];
        time_t cst = now + 8 * 3600;
        gmtime_r(&cst, &tm);
        strftime(plain, sizeof(plain), "%Y-%m-%dT00:00:00+08:00", &tm);
        client_get(&anon, &r, "/open311/v2/requests.json?start_date=%s", plain);
        assert_status(&r, 200);
        assert_true(lists(r.json, a));
    }

    /* XML lists use the same filters. */
    client_get(&anon, &r, "/open311/v2/requests.xml?service_code=safety&status=open");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_true(xml_count(&d, "service_requests/request") >= 1);
    assert_string_equal(xml_text(&d, "service_requests/request/service_code", 0), "safety");
    assert_string_equal(xml_text(&d, "service_requests/request/status", 0), "open");
    xml_release(&d);

    /* Bad arguments: 400 naming them, in both formats. */
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=yesterday");
    assert_o311_error(&r, 400, "start_date");
    client_get(&anon, &r, "/open311/v2/requests.json?end_date=2022-02-30");
    assert_o311_error(&r, 400, "end_date");
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=2022-03-01T09:30:00");
    assert_o311_error(&r, 400, "start_date"); /* a time needs its zone */
    client_get(
        &anon, &r,
        "/open311/v2/requests.xml?start_date=2022-03-02T00:00:00Z&end_date=2022-03-01T00:00:00Z");
    assert_o311_xml_error(&r, 400, "start_date");
    client_get(
        &anon, &r,
        "/open311/v2/requests.json?start_date=2022-01-01T00:00:00Z&end_date=2022-06-01T00:00:00Z");
    assert_o311_error(&r, 400, "end_date"); /* more than 90 days */
    client_get(&anon, &r, "/open311/v2/requests.json?status=pending");
    assert_o311_error(&r, 400, "status");
    client_get(&anon, &r, "/open311/v2/requests.xml?status=pending");
    assert_o311_xml_error(&r, 400, "status");
    response_release(&r);
}

/* Moves a matter's submission into the past in the database file, as the
 * demo data set records old matters (the server reads it on its next read). */
static void backdate(int64_t id, int64_t days)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "UPDATE matters SET submitted_at_ms = submitted_at_ms - %lld, updated_at_ms = "
             "updated_at_ms - %lld WHERE case_id = %lld",
             (long long)days * 86400000, (long long)days * 86400000, (long long)id);
    db_exec(sql);
}

static void test_open311__default_window_is_90_days(void **state)
{
    struct response r = {0};
    int64_t old, older, recent;
    time_t now = time(NULL);
    char start[64], end[64];
    struct tm tm;
    json_t *one;

    (void)state;
    old = submit_complaint("八十九天前");
    older = submit_complaint("一百天前");
    recent = submit_complaint("今天");
    backdate(old, 89);
    backdate(older, 100);

    client_get(&anon, &r, "/open311/v2/requests.json?service_code=complaint");
    assert_status(&r, 200);
    assert_true(lists(r.json, recent));
    assert_true(lists(r.json, old));
    assert_false(lists(r.json, older));

    /* An explicit window reaches it; a start_date alone means 90 days
       from there; service_request_id ignores the window. */
    gmtime_r(&(time_t){now - 105 * 86400}, &tm);
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
    gmtime_r(&(time_t){now - 95 * 86400}, &tm);
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", &tm);
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=%s&end_date=%s", start, end);
    assert_status(&r, 200);
    assert_true(lists(r.json, older));
    assert_false(lists(r.json, recent));
    client_get(&anon, &r, "/open311/v2/requests.json?start_date=%s", start);
    assert_status(&r, 200);
    assert_true(lists(r.json, older) && lists(r.json, old));
    assert_false(lists(r.json, recent));
    client_get(&anon, &r, "/open311/v2/requests.json?end_date=%s", end);
    assert_status(&r, 200);
    assert_true(lists(r.json, older));
    assert_false(lists(r.json, old));
    client_get(&anon, &r, "/open311/v2/requests.json?service_request_id=%lld", (long long)older);
    assert_int_equal(json_array_size(r.json), 1);
    one = get_request(older);
    assert_string_equal(json_str_member(one, "description"), "一百天前");
    json_decref(one);
    response_release(&r);
}

static void test_open311__bad_requests(void **state)
{
    struct response r = {0};
    char revoked[128], path[64];
    int64_t token_id = 0, before_max;
    json_t *item;
    size_t i;

    (void)state;
    /* The newest request now, to check that no failure below creates one. */
    client_get(&anon, &r, "/open311/v2/requests.json");
    before_max =
        strtoll(json_str_member(json_array_get(r.json, 0), "service_request_id"), NULL, 10);

    /* api_key: missing, unknown, revoked: 403. */
    post_request("json",
                 form("service_code", "complaint", "lat", "1", "long", "2", "phone", PHONE,
                      "attribute[category]", "noise", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 403, "api_key");
    post_request("xml",
                 form("api_key", "fz_not-a-key", "service_code", "complaint", "lat", "1", "long",
                      "2", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_xml_error(&r, 403, "api_key");
    apikey_add("staff", revoked, sizeof(revoked));
    client_get(&admin, &r, "/api/v1/apikeys");
    json_array_foreach(response_items(&r), i, item)
    {
        if (str_starts_with(revoked, json_str_member(item, "prefix")))
            token_id = json_int_member(item, "id");
    }
    assert_true(token_id > 0);
    post_request("json",
                 form("api_key", revoked, "service_code", "suggestion", "address_string", "x",
                      "phone", PHONE, "description", "撤销前", NULL),
                 FORM_CT, &r);
    assert_status(&r, 200);
    before_max = id_of_reply(&r);
    snprintf(path, sizeof(path), "/api/v1/apikeys/%lld", (long long)token_id);
    client_request(&admin, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_status(&r, 204);
    post_request("json",
                 form("api_key", revoked, "service_code", "consultation", "address_string", "x",
                      "phone", PHONE, "description", "撤销后", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 403, "api_key");

    /* service_code: missing 400, unknown 404. */
    post_request("json", form("api_key", api_key, "lat", "1", "long", "2", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "service_code");
    post_request("xml", form("api_key", api_key, "lat", "1", "long", "2", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_xml_error(&r, 400, "service_code");
    post_request("json",
                 form("api_key", api_key, "service_code", "nosuch", "lat", "1", "long", "2",
                      "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 404, "service_code");

    /* Location: none, half, out of range. */
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "lat/long、address_string 或 address_id");
    post_request("xml",
                 form("api_key", api_key, "service_code", "consultation", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_xml_error(&r, 400, "lat/long、address_string 或 address_id");
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "lat", "31.2", "phone",
                      PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "long");
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "lat", "91", "long",
                      "121", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "lat");
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "lat", "31", "long",
                      "east", "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "long");

    /* fazhi needs a phone; a bad one is named too. */
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "address_string",
                      "人民广场", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "phone");
    post_request("xml",
                 form("api_key", api_key, "service_code", "consultation", "address_string",
                      "人民广场", "phone", "12345", NULL),
                 FORM_CT, &r);
    assert_o311_xml_error(&r, 400, "phone");

    /* Attributes: a required one missing, a value not in the list, a bad
       datetime, a number that is not one. */
    post_request("json",
                 form("api_key", api_key, "service_code", "complaint", "lat", "31", "long", "121",
                      "phone", PHONE, NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "attribute[category]");
    post_request("xml",
                 form("api_key", api_key, "service_code", "complaint", "lat", "31", "long", "121",
                      "phone", PHONE, "attribute[category]", "loud", NULL),
                 FORM_CT, &r);
    assert_o311_xml_error(&r, 400, "attribute[category]");
    post_request("json",
                 form("api_key", api_key, "service_code", "complaint", "lat", "31", "long", "121",
                      "phone", PHONE, "attribute[category]", "noise", "attribute[occurred_on]",
                      "last night", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "attribute[occurred_on]");
    post_request("json",
                 form("api_key", api_key, "service_code", "dispute", "lat", "31", "long", "121",
                      "phone", PHONE, "attribute[parties]", "many", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "attribute[parties]");
    /* Several faults at once are all reported. */
    post_request("json", form("api_key", api_key, "service_code", "complaint", NULL), FORM_CT, &r);
    assert_o311_error(&r, 400, NULL);
    assert_int_equal(json_array_size(r.json), 3); /* location, phone, attribute[category] */

    /* Not a form, a bad media_url. */
    post_request("json", strdup("{\"service_code\":\"complaint\"}"), "application/json", &r);
    assert_o311_error(&r, 400, NULL);
    post_request("json",
                 form("api_key", api_key, "service_code", "consultation", "address_string", "x",
                      "phone", PHONE, "media_url", "javascript:alert(1)", NULL),
                 FORM_CT, &r);
    assert_o311_error(&r, 400, "media_url");

    /* Nothing was created by any of them (the one before revocation aside). */
    client_get(&anon, &r, "/open311/v2/requests.json");
    assert_int_equal(
        strtoll(json_str_member(json_array_get(r.json, 0), "service_request_id"), NULL, 10),
        before_max);

    /* Paths: an unknown resource, an unknown extension, no extension, a
       POST to a read-only resource. */
    client_get(&anon, &r, "/open311/v2/nosuch.json");
    assert_o311_error(&r, 404, NULL);
    client_get(&anon, &r, "/open311/v2/services.html");
    assert_o311_xml_error(&r, 404, NULL);
    client_get(&anon, &r, "/open311/v2/services");
    assert_o311_xml_error(&r, 404, NULL);
    client_get(&anon, &r, "/open311/v2/requests/1.csv");
    assert_o311_xml_error(&r, 404, NULL);
    client_request(&anon, "POST", "/open311/v2/services.json", FORM_CT, "a=b", 3, NULL, &r);
    assert_o311_error(&r, 405, NULL);
    response_release(&r);
}

/* ================================================================
 * An existing client, unchanged
 * ================================================================ */

/*
 * FixMyStreet's Open311 client (mysociety/fixmystreet, perllib/Open311.pm):
 * the exact request shapes it sends, and what it reads of the replies.
 *   get_service_list:      GET  {endpoint}services.xml?jurisdiction_id=J
 *   get_service_meta_info: GET  {endpoint}services/{code}.xml?jurisdiction_id=J
 *   send_service_request:  POST {endpoint}requests.xml, an LWP form
 *       (application/x-www-form-urlencoded, no charset; URI's escaping:
 *       '+' for a space, %5B/%5D for brackets, UTF-8 bytes) of
 *       jurisdiction_id, api_key, then lat, long, email, description (a
 *       "title: / detail: / url: / Submitted via FixMyStreet" text),
 *       service_code, first_name, last_name, phone, media_url and
 *       attribute[NAME]; it reads request/service_request_id, else
 *       request/token and then tokens/{token}.xml.
 *   get_service_requests:  GET  {endpoint}requests.xml?service_request_id=A%2CB&jurisdiction_id=J
 * Errors are read as <errors><error><code/><description/>.
 * (The Ruby gem codeforamerica/open311 sends the same paths with
 * ?jurisdiction_id=, and GET requests/{id}.xml for one request.)
 */
static void test_open311__fixmystreet_client(void **state)
{
    static const char body_fmt[] =
        "jurisdiction_id=fazhi.test&api_key=%s&lat=31.2304&long=121.4737"
        "&email=resident%%40example.com"
        "&description=title%%3A++Loud+music+at+night%%0A%%0Adetail%%3A+Every+night+after+"
        "23%%3A00%%0A%%0Aurl%%3A+https%%3A%%2F%%2Ffms.example.org%%2Freport%%2F1%%0A%%0A"
        "Submitted+via+FixMyStreet%%0A"
        "&service_code=complaint&first_name=Fang&last_name=Wang&phone=%%2B8613800138000"
        "&media_url=https%%3A%%2F%%2Ffms.example.org%%2Fphoto%%2F1.jpeg"
        "&attribute%%5Bcategory%%5D=noise";
    const char *lwp_form_ct = "application/x-www-form-urlencoded";
    struct response r = {0};
    struct xml_doc d;
    char *body, id1[32], id2[32];
    size_t n;

    (void)state;
    client_get(&anon, &r, "/open311/v2/services.xml?jurisdiction_id=fazhi.test");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_true(xml_count(&d, "services/service") > 0);
    assert_string_equal(xml_text(&d, "services/service/service_code", 0), "complaint");
    xml_release(&d);

    client_get(&anon, &r, "/open311/v2/services/complaint.xml?jurisdiction_id=fazhi.test");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_definition/attributes/attribute/code", 0),
                        "category");
    xml_release(&d);

    n = snprintf(NULL, 0, body_fmt, api_key) + 1;
    body = malloc(n);
    snprintf(body, n, body_fmt, api_key);
    post_request("xml", body, lwp_form_ct, &r);
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "service_requests/request"), 1);
    snprintf(id1, sizeof(id1), "%s",
             xml_text(&d, "service_requests/request/service_request_id", 0));
    assert_true(strtoll(id1, NULL, 10) > 0);
    xml_release(&d);

    n = snprintf(NULL, 0, body_fmt, api_key) + 1;
    body = malloc(n);
    snprintf(body, n, body_fmt, api_key);
    post_request("xml", body, lwp_form_ct, &r);
    xml_parse(&r, &d);
    snprintf(id2, sizeof(id2), "%s",
             xml_text(&d, "service_requests/request/service_request_id", 0));
    xml_release(&d);

    client_get(&anon, &r,
               "/open311/v2/requests.xml?service_request_id=%s%%2C%s&jurisdiction_id=fazhi.test",
               id1, id2);
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "service_requests/request"), 2);
    assert_string_equal(xml_text(&d, "service_requests/request/status", 0), "open");
    assert_string_equal(xml_text(&d, "service_requests/request/service_code", 0), "complaint");
    assert_true(str_starts_with(xml_text(&d, "service_requests/request/description", 0),
                                "title:  Loud music at night\n\ndetail: Every night after 23:00"));
    xml_release(&d);

    client_get(&anon, &r, "/open311/v2/tokens/%s.xml?jurisdiction_id=fazhi.test", id1);
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_requests/request/service_request_id", 0), id1);
    xml_release(&d);

    client_get(&anon, &r, "/open311/v2/requests/%s.xml?jurisdiction_id=fazhi.test", id1);
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_string_equal(xml_text(&d, "service_requests/request/service_request_id", 0), id1);
    xml_release(&d);

    /* Its error path: a POST without a key answers 403 with <errors>. */
    post_request("xml", strdup("jurisdiction_id=fazhi.test&service_code=complaint"), lwp_form_ct,
                 &r);
    assert_o311_xml_error(&r, 403, "api_key");
    response_release(&r);
}

/* ================================================================
 * The 1,000 cap (last: it adds 1,001 requests)
 * ================================================================ */

#define BULK        1001
#define BULK_STREAM 16

/* POSTs 'count' suggestions, BULK_STREAM at a time; every one must be 200. */
static void post_many(size_t count)
{
    CURLM *multi = curl_multi_init();
    CURL *easy[BULK_STREAM] = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " FORM_CT);
    char url[256], *body = form("api_key", api_key, "service_code", "suggestion", "address_string",
                                "批量", "phone", PHONE, "description", "批量提交", NULL);
    size_t started = 0, done = 0, ok = 0;
    int running = 0;

    snprintf(url, sizeof(url), "%s/open311/v2/requests.json", srv.base);
    while (done < count) {
        CURLMsg *msg;
        int left;
        for (size_t i = 0; i < BULK_STREAM && started < count; i++) {
            if (easy[i])
                continue;
            easy[i] = curl_easy_init();
            curl_easy_setopt(easy[i], CURLOPT_URL, url);
            curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, h);
            curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
            curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (char *)(uintptr_t)i);
            curl_multi_add_handle(multi, easy[i]);
            started++;
        }
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 1000, NULL);
        while ((msg = curl_multi_info_read(multi, &left))) {
            char *priv;
            long status = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            ok += status == 200;
            curl_multi_remove_handle(multi, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            easy[(uintptr_t)priv] = NULL;
            done++;
        }
    }
    curl_multi_cleanup(multi);
    curl_slist_free_all(h);
    free(body);
    assert_int_equal(ok, count);
}

static void test_open311__at_most_1000(void **state)
{
    struct response r = {0};
    struct xml_doc d;
    int64_t prev = INT64_MAX;
    size_t i;
    json_t *v;

    (void)state;
    post_many(BULK);
    client_get(&anon, &r, "/open311/v2/requests.json?service_code=suggestion");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 1000);
    /* The newest thousand, newest first, each once. */
    json_array_foreach(r.json, i, v)
    {
        int64_t id = strtoll(json_str_member(v, "service_request_id"), NULL, 10);
        assert_true(id < prev);
        prev = id;
    }
    client_get(&anon, &r, "/open311/v2/requests.xml");
    assert_status(&r, 200);
    xml_parse(&r, &d);
    assert_int_equal(xml_count(&d, "service_requests/request"), 1000);
    xml_release(&d);
    client_get(&anon, &r, "/open311/v2/requests.json?status=open,closed");
    assert_int_equal(json_array_size(r.json), 1000);
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open311__discovery),
        cmocka_unit_test(test_open311__services),
        cmocka_unit_test(test_open311__service_definition),
        cmocka_unit_test(test_open311__multivaluelist_and_inactive),
        cmocka_unit_test(test_open311__post_then_get),
        cmocka_unit_test(test_open311__media_url),
        cmocka_unit_test(test_open311__optional_location_and_description),
        cmocka_unit_test(test_open311__status_follows_the_workflow),
        cmocka_unit_test(test_open311__filters),
        cmocka_unit_test(test_open311__default_window_is_90_days),
        cmocka_unit_test(test_open311__bad_requests),
        cmocka_unit_test(test_open311__fixmystreet_client),
        cmocka_unit_test(test_open311__at_most_1000),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
