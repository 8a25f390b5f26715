/*
 * people.c - the people of the registers: rules and SQL.
 *
 * A person is a resident, an officer, a mediator, an adviser, a member of a
 * group: many have no account. The resident ID number and the phone are
 * validated here (core/checksum.h), stored in full and normalised, and
 * leave the module only through org_person_json(), which masks them for
 * viewers that do not need them. Audit entries are written with a NULL
 * viewer, so the audit log (read by leaders too) holds masked numbers only.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/checksum.h"
#include "core/json.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

#define PEOPLE_FROM " FROM people pe JOIN units pu ON pu.id = pe.unit_id "
#define NOTES_MAX   500
#define TAG_MAX     20

void people_from_row(struct store_stmt *st, int col, struct arena *a, struct person *out)
{
    out->id = store_col_int(st, col);
    out->unit_id = store_col_int(st, col + 1);
    out->unit_path = arena_strdup(a, store_col_text(st, col + 2));
    out->name = arena_strdup(a, store_col_text(st, col + 3));
    out->unit_code = arena_strdup(a, store_col_text(st, col + 4));
    out->unit_name = arena_strdup(a, store_col_text(st, col + 5));
    out->gender = arena_strdup(a, store_col_text(st, col + 6));
    out->phone = arena_strdup(a, store_col_text(st, col + 7));
    out->id_number = arena_strdup(a, store_col_text(st, col + 8));
    out->tags = arena_strdup(a, store_col_text(st, col + 9));
    out->notes = arena_strdup(a, store_col_text(st, col + 10));
    out->created_at_ms = store_col_int(st, col + 11);
    out->updated_at_ms = store_col_int(st, col + 12);
    if (!out->tags)
        out->tags = "";
}

int org_person_get(struct store_conn *c, struct arena *a, int64_t id, struct person *out,
                   struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    rc = store_query(c, &st, ec,
                     "SELECT " PEOPLE_COLUMNS PEOPLE_FROM
                     "WHERE pe.id = $1 AND pe.deleted_at_ms IS NULL",
                     "i", id);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        people_from_row(st, 0, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(ec, ERR_NOT_FOUND, "person_id", "人员不存在");
    }
    store_done(st);
    return rc;
}

json_t *people_tags_json(const char *tags)
{
    json_t *arr = json_array();

    for (const char *p = tags; p && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(arr, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return arr;
}

json_t *org_person_json(const struct person *p, const struct principal *viewer)
{
    bool full = access_sees_personal_ids(viewer);
    char created[TIME_INSTANT_LEN], updated[TIME_INSTANT_LEN];
    char phone[CHECKSUM_PHONE_MAX + 8], id_number[CHECKSUM_ID_LEN + 8];
    json_t *o = json_object();

    time_format_instant(p->created_at_ms, created, sizeof(created));
    time_format_instant(p->updated_at_ms, updated, sizeof(updated));
    if (p->phone && !full)
        checksum_mask_phone(p->phone, phone, sizeof(phone));
    if (p->id_number && !full)
        checksum_mask_resident_id(p->id_number, id_number, sizeof(id_number));
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "name", json_text_or_null(p->name));
    json_object_set_new(o, "unit",
                        json_pack("{s:I, s:o, s:o}", "id", (json_int_t)p->unit_id, "code",
                                  json_text_or_null(p->unit_code), "name",
                                  json_text_or_null(p->unit_name)));
    json_object_set_new(o, "gender", json_text_or_null(p->gender));
    json_object_set_new(o, "phone", json_text_or_null(!p->phone ? NULL : full ? p->phone : phone));
    json_object_set_new(o, "id_number",
                        json_text_or_null(!p->id_number ? NULL
                                          : full        ? p->id_number
                                                        : id_number));
    json_object_set_new(o, "masked", json_boolean(!full));
    json_object_set_new(o, "tags", people_tags_json(p->tags));
    json_object_set_new(o, "notes", json_text_or_null(p->notes));
    json_object_set_new(o, "created_at", json_string(created));
    json_object_set_new(o, "updated_at", json_string(updated));
    return o;
}

/* ================================================================
 * Validation
 * ================================================================ */

static int tag_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Trims, checks and lower-cases (ASCII) each tag, drops duplicates, sorts:
 * "a,b" into *out, "" for none. */
static int tags_normalise(struct arena *a, const char *const *tags, size_t n, const char **out,
                          struct err_ctx *ec)
{
    char **list;
    struct strbuf sb = STRBUF_INIT;
    size_t kept = 0;

    if (n > PEOPLE_MAX_TAGS)
        return err_set(ec, ERR_INVALID, "tags", "标签不能超过 %d 个", PEOPLE_MAX_TAGS);
    list = arena_calloc(a, n + 1, sizeof(*list));
    for (size_t i = 0; i < n; i++) {
        const char *s = tags[i];
        size_t len;
        char *t;

        while (*s == ' ')
            s++;
        len = strlen(s);
        while (len && s[len - 1] == ' ')
            len--;
        if (!len)
            return err_set(ec, ERR_INVALID, "tags", "标签不能为空");
        t = arena_strndup(a, s, len);
        if (!str_is_clean_utf8(t, len) || strpbrk(t, ",\t\r\n"))
            return err_set(ec, ERR_INVALID, "tags", "标签不能含逗号或控制字符");
        if (str_utf8_len(t) > TAG_MAX)
            return err_set(ec, ERR_INVALID, "tags", "每个标签不能超过 %d 个字", TAG_MAX);
        for (char *q = t; *q; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q - 'A' + 'a');
        list[i] = t;
    }
    qsort(list, n, sizeof(*list), tag_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(list[i], list[i - 1]) == 0)
            continue;
        if (kept++)
            strbuf_addch(&sb, ',');
        strbuf_adds(&sb, list[i]);
    }
    *out = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return 0;
}

/* Applies the members set in 'in' to 'pe', checking each; then makes the
 * gender agree with the resident ID number, which encodes it. */
static int person_apply(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct person_input *in, struct person *pe, struct err_ctx *ec)
{
    struct unit unit;
    int rc;

    if (in->set_name) {
        if ((rc = org_check_text(in->name, 50, "name", "姓名", ec)) < 0)
            return rc;
        pe->name = in->name;
    }
    if (in->set_unit) {
        if ((rc = org_placement_unit(c, a, p, in->unit_id, "unit_id", &unit, ec)) < 0)
            return rc;
        pe->unit_id = unit.id;
        pe->unit_path = unit.path;
        pe->unit_code = unit.code;
        pe->unit_name = unit.name;
    }
    if (in->set_gender) {
        if (in->gender && strcmp(in->gender, "male") != 0 && strcmp(in->gender, "female") != 0)
            return err_set(ec, ERR_INVALID, "gender", "性别应为 male（男）或 female（女）");
        pe->gender = in->gender;
    }
    if (in->set_phone) {
        if (in->phone && (rc = checksum_phone_check(in->phone, "phone", ec)) < 0)
            return rc;
        pe->phone = in->phone;
    }
    if (in->set_id_number) {
        char norm[CHECKSUM_ID_LEN + 1];
        if (in->id_number &&
            (rc = checksum_resident_id_check(in->id_number, "id_number", norm, ec)) < 0)
            return rc;
        pe->id_number = in->id_number ? arena_strdup(a, norm) : NULL;
    }
    if (in->set_tags && (rc = tags_normalise(a, in->tags, in->ntags, &pe->tags, ec)) < 0)
        return rc;
    if (in->set_notes) {
        if (in->notes && (!str_is_clean_utf8(in->notes, strlen(in->notes)) ||
                          str_utf8_len(in->notes) > NOTES_MAX))
            return err_set(ec, ERR_INVALID, "notes", "备注不能超过 %d 个字", NOTES_MAX);
        pe->notes = in->notes && *in->notes ? in->notes : NULL;
    }
    if (pe->id_number) {
        char g;
        const char *derived;
        checksum_resident_id_info(pe->id_number, NULL, &g);
        derived = g == 'M' ? "male" : "female";
        if (in->set_gender && in->gender && strcmp(in->gender, derived) != 0)
            return err_set(ec, ERR_INVALID, "gender", "性别与身份证号码不符");
        pe->gender = derived;
    }
    return 0;
}

/* A person 'id' for a change by p: ERR_NOT_FOUND naming "id" when none or
 * outside scope; ERR_FORBIDDEN when p may not write people. */
static int person_for_change(struct store_conn *c, struct arena *a, const struct principal *p,
                             int64_t id, struct person *out, struct err_ctx *ec)
{
    int rc = org_person_get(c, a, id, out, ec);

    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, out->unit_path))) {
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "id", "人员不存在");
    }
    if (rc < 0)
        return rc;
    return access_require(p, ORG_WRITE_ROLES, out->unit_path, ec);
}

static int id_number_taken(struct err_ctx *ec)
{
    err_clear(ec);
    return err_set(ec, ERR_CONFLICT, "id_number", "该身份证号码已有人员登记");
}

/* ================================================================
 * Writes
 * ================================================================ */

int people_create(struct store_conn *c, struct arena *a, const struct principal *p,
                  const struct person_input *in, int64_t *id, struct err_ctx *ec)
{
    struct person pe = {.tags = ""}, created;
    int64_t now = time_now_ms();
    int rc;

    if ((rc = access_require(p, ORG_WRITE_ROLES, NULL, ec)) < 0)
        return rc;
    if (!in->set_name || !in->name)
        return err_set(ec, ERR_INVALID, "name", "缺少必填项");
    if (!in->set_unit)
        return err_set(ec, ERR_INVALID, "unit_id", "缺少必填项");
    if ((rc = person_apply(c, a, p, in, &pe, ec)) < 0)
        return rc;
    rc = store_query_int(
        c, id, ec,
        "INSERT INTO people (unit_id, name, gender, phone, id_number, tags, notes, "
        "created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
        "RETURNING id",
        "itttttti", pe.unit_id, pe.name, pe.gender, pe.phone, pe.id_number, pe.tags, pe.notes, now);
    if (rc == ERR_CONFLICT)
        return id_number_taken(ec);
    if (rc < 0)
        return rc;
    if ((rc = org_person_get(c, a, *id, &created, ec)) < 0)
        return rc;
    return org_audit(c, a, p, "create", "person", *id, created.unit_id, NULL,
                     org_person_json(&created, NULL), ec);
}

int people_update(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                  const struct person_input *in, struct err_ctx *ec)
{
    struct person before, pe, after;
    int rc;

    if ((rc = person_for_change(c, a, p, id, &before, ec)) < 0)
        return rc;
    pe = before;
    if ((rc = person_apply(c, a, p, in, &pe, ec)) < 0)
        return rc;
    rc = store_exec(c, ec,
                    "UPDATE people SET unit_id = $1, name = $2, gender = $3, phone = $4, "
                    "id_number = $5, tags = $6, notes = $7, updated_at_ms = $8 WHERE id = $9",
                    "ittttttii", pe.unit_id, pe.name, pe.gender, pe.phone, pe.id_number, pe.tags,
                    pe.notes, time_now_ms(), id);
    if (rc == ERR_CONFLICT)
        return id_number_taken(ec);
    if (rc < 0)
        return rc;
    if ((rc = org_person_get(c, a, id, &after, ec)) < 0)
        return rc;
    return org_audit(c, a, p, "update", "person", id, after.unit_id, org_person_json(&before, NULL),
                     org_person_json(&after, NULL), ec);
}

int people_delete(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                  struct err_ctx *ec)
{
    struct person before;
    int64_t held, now = time_now_ms();
    int rc;

    if ((rc = person_for_change(c, a, p, id, &before, ec)) < 0)
        return rc;
    /* A register row must name a live person: the registers are deleted
     * first, each with its own audit entry, rather than disappearing with
     * the person. */
    rc = store_query_int(
        c, &held, ec,
        "SELECT (SELECT COUNT(*) FROM certificates WHERE person_id = $1 AND deleted_at_ms IS NULL)"
        " + (SELECT COUNT(*) FROM legal_literates WHERE person_id = $1 AND deleted_at_ms IS NULL)"
        " + (SELECT COUNT(*) FROM mediators WHERE person_id = $1 AND deleted_at_ms IS NULL)"
        " + (SELECT COUNT(*) FROM advisers WHERE person_id = $1 AND deleted_at_ms IS NULL)"
        " + (SELECT COUNT(*) FROM group_members WHERE person_id = $1 AND deleted_at_ms IS NULL)",
        "i", id);
    if (rc < 0)
        return rc;
    if (held > 0)
        return err_set(ec, ERR_CONFLICT, "id",
                       "该人员还有 %lld 条登记（执法证、法律明白人、调解员、法律顾问或小组成员），"
                       "请先删除这些登记",
                       (long long)held);
    rc = store_exec(c, ec, "UPDATE people SET deleted_at_ms = $1, updated_at_ms = $1 WHERE id = $2",
                    "ii", now, id);
    if (rc < 0)
        return rc;
    return org_audit(c, a, p, "delete", "person", id, before.unit_id,
                     org_person_json(&before, NULL), NULL, ec);
}

/* ================================================================
 * Reads
 * ================================================================ */

/* The exact-number search has its own statement, so that the index on
 * id_number serves it (an "OR $6 = ''" would hide the index). */
#define PEOPLE_LIST_BASE                                                                           \
    "SELECT " PEOPLE_COLUMNS PEOPLE_FROM                                                           \
    "WHERE pe.deleted_at_ms IS NULL AND pu.path >= $1 AND pu.path < $2 AND pe.id > $3 "            \
    "AND ($4 = '' OR pe.name LIKE $4 ESCAPE '\\') "                                                \
    "AND ($5 = '' OR (',' || pe.tags || ',') LIKE $5 ESCAPE '\\') "

int people_list(struct store_conn *c, struct arena *a, const struct principal *p,
                const struct person_filter *f, struct person **items, size_t *n, bool *more,
                struct err_ctx *ec)
{
    struct store_stmt *st;
    struct person *list;
    struct unit unit;
    const char *path = p->unit_path, *q = "", *tag = "";
    char upper[UNIT_PATH_MAX + 2];
    size_t count = 0;
    int rc;

    if (f->unit_id) {
        rc = org_unit_get(c, a, f->unit_id, &unit, ec);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, unit.path))) {
            err_clear(ec);
            return err_set(ec, ERR_INVALID, "unit", "单位不存在或不在您的管辖范围内");
        }
        if (rc < 0)
            return rc;
        path = unit.path;
    }
    org_path_upper(path, upper, sizeof(upper));
    if (f->q && *f->q)
        q = org_like_pattern(a, "%", f->q, "%");
    if (f->tag && *f->tag) {
        char *t = org_like_pattern(a, "%,", f->tag, ",%");
        for (char *x = t; *x; x++)
            if (*x >= 'A' && *x <= 'Z')
                *x = (char)(*x - 'A' + 'a');
        tag = t;
    }
    if (f->id_number)
        rc = store_query(c, &st, ec,
                         PEOPLE_LIST_BASE "AND pe.id_number = $6 ORDER BY pe.id LIMIT $7",
                         "ttittti", path, upper, f->after_id, q, tag, f->id_number, f->limit + 1);
    else
        rc = store_query(c, &st, ec, PEOPLE_LIST_BASE "ORDER BY pe.id LIMIT $6", "ttitti", path,
                         upper, f->after_id, q, tag, f->limit + 1);
    if (rc < 0)
        return rc;
    list = arena_calloc(a, (size_t)f->limit + 1, sizeof(*list));
    while ((rc = store_step(st, ec)) == 1)
        people_from_row(st, 0, a, &list[count++]);
    store_done(st);
    if (rc < 0)
        return rc;
    *more = count > (size_t)f->limit;
    *n = *more ? (size_t)f->limit : count;
    *items = list;
    return 0;
}
