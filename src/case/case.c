/*
 * case.c - the case workflow engine: checks of a transition, its writes
 * (state, history, audit, event) in the caller's unit of work, due dates,
 * and the overdue and due-soon lists. See case.h.
 */
#include "core/compat.h"
#include "case/case.h"
#include "core/arena.h"
#include "core/calendar.h"
#include "core/json.h"
#include "core/str.h"
#include "store/store.h"

#include <inttypes.h>

/* ---- the type's tables ---- */

const struct case_state *case_state_find(const struct case_type *t, const char *code)
{
    for (const struct case_state *s = t->states; code && s && s->code; s++)
        if (strcmp(s->code, code) == 0)
            return s;
    return NULL;
}

const struct case_transition *case_transition_find(const struct case_type *t, const char *name)
{
    for (const struct case_transition *x = t->transitions; name && x && x->name; x++)
        if (strcmp(x->name, name) == 0)
            return x;
    return NULL;
}

int case_type_check(const struct case_type *t, struct err_ctx *ec)
{
    if (!t || !t->code || !t->name || !t->states || !t->transitions ||
        strlen(t->code) >= CASE_TYPE_MAX)
        return err_set(ec, ERR_INTERNAL, NULL, "案件类型定义不完整");
    for (const struct case_state *s = t->states; s->code; s++) {
        if (strlen(s->code) >= CASE_STATE_MAX || !s->label)
            return err_set(ec, ERR_INTERNAL, NULL, "案件类型 %s：状态 %s 定义有误", t->code,
                           s->code);
        if (case_state_find(t, s->code) != s)
            return err_set(ec, ERR_INTERNAL, NULL, "案件类型 %s：状态 %s 重复", t->code, s->code);
    }
    for (const struct case_transition *x = t->transitions; x->name; x++) {
        if (!x->label || !case_state_find(t, x->to) || (x->from && !case_state_find(t, x->from)) ||
            (!x->from && x->unit_field))
            return err_set(ec, ERR_INTERNAL, NULL, "案件类型 %s：操作 %s 的状态未定义", t->code,
                           x->name);
        /* A name may repeat with other 'from' states, never with the same. */
        for (const struct case_transition *y = t->transitions; y != x; y++)
            if (strcmp(y->name, x->name) == 0 &&
                ((!y->from && !x->from) || (y->from && x->from && !strcmp(y->from, x->from))))
                return err_set(ec, ERR_INTERNAL, NULL, "案件类型 %s：操作 %s 重复", t->code,
                               x->name);
    }
    for (const struct case_deadline *d = t->deadlines; d && d->start; d++) {
        if (!case_transition_find(t, d->start) || d->days <= 0 || d->extension_days < 0 ||
            (d->extension && !case_transition_find(t, d->extension)))
            return err_set(ec, ERR_INTERNAL, NULL, "案件类型 %s：期限规则 %s 定义有误", t->code,
                           d->start);
        for (const char *const *s = d->stops; s && *s; s++)
            if (!case_state_find(t, *s))
                return err_set(ec, ERR_INTERNAL, NULL, "案件类型 %s：期限规则 %s 的状态 %s 未定义",
                               t->code, d->start, *s);
    }
    return 0;
}

static const char *state_label(const struct case_type *t, const char *code)
{
    const struct case_state *s = case_state_find(t, code);
    return s ? s->label : code;
}

/* The transition 'name' from state 'from' (NULL: an opening one). */
static const struct case_transition *transition_from(const struct case_type *t, const char *name,
                                                     const char *from)
{
    for (const struct case_transition *x = t->transitions; x->name; x++) {
        if (name && strcmp(x->name, name) != 0)
            continue;
        if ((!from && !x->from) || (from && x->from && strcmp(from, x->from) == 0))
            return x;
    }
    return NULL;
}

/* "当前状态为「已受理」，可执行：答复、延期" */
static int illegal(const struct case_type *t, const char *state, struct err_ctx *ec)
{
    char allowed[ERR_MESSAGE_MAX] = "";
    size_t len = 0;

    for (const struct case_transition *x = t->transitions; x->name; x++) {
        bool seen = false;
        if (!x->from || strcmp(x->from, state) != 0)
            continue;
        for (const struct case_transition *y = t->transitions; y != x; y++)
            seen |= y->from && strcmp(y->from, state) == 0 && strcmp(y->label, x->label) == 0;
        if (seen)
            continue;
        int w = snprintf(allowed + len, sizeof(allowed) - len, "%s%s", len ? "、" : "", x->label);
        if (w < 0 || (size_t)w >= sizeof(allowed) - len)
            break;
        len += (size_t)w;
    }
    if (len == 0)
        return err_set(ec, ERR_CONFLICT, "transition", "当前状态为「%s」，不能再办理",
                       state_label(t, state));
    return err_set(ec, ERR_CONFLICT, "transition", "当前状态为「%s」，可执行：%s",
                   state_label(t, state), allowed);
}

/* A field counts as given when present, not null and not an empty string. */
static bool field_given(json_t *obj, const char *name)
{
    json_t *v = obj ? json_object_get(obj, name) : NULL;
    if (!v || json_is_null(v))
        return false;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    return true;
}

/* Role, certification and required fields of x. */
static int check_actor(const struct case_actor *who, const struct case_transition *x,
                       json_t *fields, struct err_ctx *ec)
{
    if (!who || !who->p)
        return err_set(ec, ERR_UNAUTHENTICATED, NULL, "请先登录");
    if (x->roles && !access_has_role(who->p, x->roles))
        return err_set(ec, ERR_FORBIDDEN, NULL, "无权执行「%s」", x->label);
    if (x->certified_officer && !(who->certified && who->certified(who->certified_arg, who->p)))
        return err_set(ec, ERR_FORBIDDEN, NULL, "「%s」须由持有执法证件的执法人员办理", x->label);
    for (const char *const *r = x->required; r && *r; r++)
        if (!field_given(fields, *r))
            return err_set(ec, ERR_INVALID, *r, "执行「%s」须填写 %s", x->label, *r);
    return 0;
}

/* ---- due dates ---- */

static bool in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static int add_days(enum case_days kind, struct date from, int n, struct date *out,
                    struct err_ctx *ec)
{
    const struct calendar *cal = calendar_default(ec);
    if (!cal)
        return ec ? (int)ec->code : ERR_INTERNAL;
    if (kind == CASE_WORKING_DAYS)
        return calendar_add_working_days(cal, from, n, out, ec);
    return calendar_add_days(cal, from, n, out, ec);
}

/* The rule's number of days for a case with 'data': see days_field. */
static int rule_days(const struct case_deadline *r, json_t *data)
{
    json_t *v = r->days_field && data ? json_object_get(data, r->days_field) : NULL;
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    return n >= 1 && n <= 366 ? (int)n : r->days;
}

/* The due date after taking x at 'today': *due (buffer of TIME_DATE_LEN,
 * "" for none) and *extended are updated in place. */
static int next_due(const struct case_type *t, const struct case_transition *x, struct date today,
                    json_t *data, char *due, bool *extended, struct err_ctx *ec)
{
    const struct case_state *to = case_state_find(t, x->to);
    struct date d;
    int rc;

    for (const struct case_deadline *r = t->deadlines; r && r->start; r++) {
        if (r->extension && strcmp(r->extension, x->name) == 0 && r->extension_days > 0) {
            if (*extended)
                return err_set(ec, ERR_CONFLICT, "transition", "期限已延长过一次，不能再次延长");
            if (!due[0])
                return err_set(ec, ERR_CONFLICT, "transition", "期限未开始计算，不能延长");
            if (date_parse(due, &d) != 0)
                return err_set(ec, ERR_INTERNAL, "due_on", "案件期限日期有误");
            if ((rc = add_days(r->kind, d, r->extension_days, &d, ec)) < 0)
                return rc;
            date_format(&d, due, TIME_DATE_LEN);
            *extended = true;
        }
        if (strcmp(r->start, x->name) == 0) {
            if ((rc = add_days(r->kind, today, rule_days(r, data), &d, ec)) < 0)
                return rc;
            date_format(&d, due, TIME_DATE_LEN);
            *extended = false;
        }
        if (due[0] && (r->stops ? in_list(r->stops, x->to) : (to && to->terminal)))
            due[0] = '\0';
    }
    if (to && to->terminal)
        due[0] = '\0';
    return 0;
}

/* ---- reading ---- */

#define CASE_COLS                                                                                  \
    "c.id, c.type, c.unit_id, u.path, c.state, c.opened_at_ms, c.due_on, c.extended, "             \
    "c.closed_at_ms, c.data, c.version FROM cases c JOIN units u ON u.id = c.unit_id "

static void read_row(struct store_stmt *st, struct arena *a, struct case_rec *r)
{
    const char *due = store_col_text(st, 6);

    r->id = store_col_int(st, 0);
    r->type = arena_strdup(a, store_col_text(st, 1));
    r->unit_id = store_col_int(st, 2);
    r->unit_path = arena_strdup(a, store_col_text(st, 3));
    r->state = arena_strdup(a, store_col_text(st, 4));
    r->opened_at_ms = store_col_int(st, 5);
    r->due_on = due ? arena_strdup(a, due) : NULL;
    r->extended = store_col_int(st, 7) != 0;
    r->closed_at_ms = store_col_is_null(st, 8) ? 0 : store_col_int(st, 8);
    r->data = arena_strdup(a, store_col_text(st, 9));
    r->version = store_col_int(st, 10);
}

int case_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
             struct case_rec *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    if (!p)
        return err_set(ec, ERR_UNAUTHENTICATED, NULL, "请先登录");
    rc = store_query(c, &st, ec, "SELECT " CASE_COLS "WHERE c.id = $1", "i", id);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1)
        read_row(st, a, out);
    store_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0 || !access_in_scope(p, out->unit_path))
        return err_set(ec, ERR_NOT_FOUND, NULL, "案件不存在");
    return 0;
}

static int list(struct store_conn *c, struct arena *a, const char *sql, const char *scope,
                const char *lo, const char *hi, struct case_rec **out, size_t *n,
                struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    rc = store_query(c, &st, ec, sql, "tttt", scope, arena_printf(a, "%s~", scope), lo, hi);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (*n == cap) {
            struct case_rec *bigger;
            cap = cap ? cap * 2 : 16;
            bigger = arena_calloc(a, cap, sizeof(*bigger));
            if (*n)
                memcpy(bigger, *out, *n * sizeof(*bigger));
            *out = bigger;
        }
        read_row(st, a, &(*out)[(*n)++]);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

#define LIST_SQL                                                                                   \
    "SELECT " CASE_COLS "WHERE u.path >= $1 AND u.path < $2 AND c.closed_at_ms IS NULL "           \
    "AND c.due_on IS NOT NULL AND c.due_on >= $3 AND c.due_on <= $4 ORDER BY c.due_on, c.id"

int case_overdue(struct store_conn *c, struct arena *a, const char *scope_path, struct date today,
                 struct case_rec **out, size_t *n, struct err_ctx *ec)
{
    char before[TIME_DATE_LEN];
    struct date d = date_from_days(date_to_days(&today) - 1);

    date_format(&d, before, sizeof(before));
    return list(c, a, LIST_SQL, scope_path, "0000-01-01", before, out, n, ec);
}

int case_due_soon(struct store_conn *c, struct arena *a, const char *scope_path, struct date today,
                  int days, struct case_rec **out, size_t *n, struct err_ctx *ec)
{
    char lo[TIME_DATE_LEN], hi[TIME_DATE_LEN];
    struct date end = date_from_days(date_to_days(&today) + (days < 0 ? 0 : days));

    date_format(&today, lo, sizeof(lo));
    date_format(&end, hi, sizeof(hi));
    return list(c, a, LIST_SQL, scope_path, lo, hi, out, n, ec);
}

int case_count_due(struct store_conn *c, const char *scope_path, struct date today, int days,
                   int64_t *overdue, int64_t *due_soon, struct err_ctx *ec)
{
    char lo[TIME_DATE_LEN], hi[TIME_DATE_LEN], upper[UNIT_PATH_MAX + 2];
    struct date end = date_from_days(date_to_days(&today) + (days < 0 ? 0 : days));
    struct store_stmt *st;
    int rc;

    date_format(&today, lo, sizeof(lo));
    date_format(&end, hi, sizeof(hi));
    snprintf(upper, sizeof(upper), "%s~", scope_path);
    rc = store_query(c, &st, ec,
                     "SELECT COALESCE(SUM(CASE WHEN c.due_on < $3 THEN 1 ELSE 0 END), 0), "
                     "COALESCE(SUM(CASE WHEN c.due_on >= $3 THEN 1 ELSE 0 END), 0) "
                     "FROM cases c JOIN units u ON u.id = c.unit_id "
                     "WHERE u.path >= $1 AND u.path < $2 AND c.closed_at_ms IS NULL "
                     "AND c.due_on IS NOT NULL AND c.due_on <= $4",
                     "tttt", scope_path, upper, lo, hi);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        *overdue = store_col_int(st, 0);
        *due_soon = store_col_int(st, 1);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

int case_history(struct store_conn *c, struct arena *a, int64_t id, struct case_step **out,
                 size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    rc = store_query(c, &st, ec,
                     "SELECT seq, transition, from_state, to_state, actor, at_ms, fields, note "
                     "FROM case_history WHERE case_id = $1 ORDER BY seq",
                     "i", id);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        struct case_step *s;
        const char *from = store_col_text(st, 2);
        if (*n == cap) {
            struct case_step *bigger;
            cap = cap ? cap * 2 : 16;
            bigger = arena_calloc(a, cap, sizeof(*bigger));
            if (*n)
                memcpy(bigger, *out, *n * sizeof(*bigger));
            *out = bigger;
        }
        s = &(*out)[(*n)++];
        s->seq = store_col_int(st, 0);
        s->transition = arena_strdup(a, store_col_text(st, 1));
        s->from_state = from ? arena_strdup(a, from) : NULL;
        s->to_state = arena_strdup(a, store_col_text(st, 3));
        s->actor = arena_strdup(a, store_col_text(st, 4));
        s->at_ms = store_col_int(st, 5);
        s->fields = arena_strdup(a, store_col_text(st, 6));
        s->note = arena_strdup(a, store_col_text(st, 7));
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

/* ---- writing ---- */

static json_t *snapshot(const char *state, const char *due, bool extended, int64_t version)
{
    return json_pack("{s:s, s:o, s:b, s:I}", "state", state, "due_on", json_text_or_null(due),
                     "extended", extended, "version", (json_int_t)version);
}

/* History, audit and event of one transition. */
static int record(struct store_conn *c, struct arena *a, const struct case_actor *who,
                  const struct case_type *t, const struct case_transition *x, int64_t id,
                  int64_t unit_id, const char *unit_path, const char *from, json_t *before,
                  json_t *after, json_t *fields, const char *note, int64_t now, struct err_ctx *ec)
{
    char actor[ACTOR_MAX], ids[24];
    const char *fields_text = fields ? json_dump_arena(a, fields) : "{}";
    json_t *payload;
    int rc;

    access_actor(who->p, actor, sizeof(actor));
    snprintf(ids, sizeof(ids), "%" PRId64, id);
    rc =
        store_exec(c, ec,
                   "INSERT INTO case_history (case_id, seq, transition, from_state, to_state, "
                   "actor, at_ms, fields, note) VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 "
                   "FROM case_history WHERE case_id = $1), $2, $3, $4, $5, $6, $7, $8)",
                   "ittttitt", id, x->name, from, x->to, actor, now, fields_text, note ? note : "");
    if (rc < 0)
        return rc;
    rc = store_audit(c,
                     &(struct audit_rec){.actor = actor,
                                         .action = x->name,
                                         .entity = arena_printf(a, "case.%s", t->code),
                                         .entity_id = ids,
                                         .unit_id = unit_id,
                                         .before = before ? json_dump_arena(a, before) : NULL,
                                         .after = json_dump_arena(a, after)},
                     ec);
    if (rc < 0)
        return rc;
    payload = json_pack("{s:I, s:s, s:s, s:o, s:O}", "id", (json_int_t)id, "type", t->code,
                        "transition", x->name, "from", json_text_or_null(from), "after", after);
    rc = store_event(c, arena_printf(a, "case.%s.%s", t->code, x->name), unit_path, NULL,
                     json_dump_arena(a, payload), ec);
    json_decref(payload);
    return rc;
}

/* The unit a transition with unit_field moves the case to: an open unit in
 * p's scope, else ERR_INVALID naming the field. */
static int move_target(struct store_conn *c, struct arena *a, const struct principal *p,
                       json_t *fields, const char *field, int64_t *unit_id, const char **unit_path,
                       struct err_ctx *ec)
{
    json_t *v = fields ? json_object_get(fields, field) : NULL;
    struct store_stmt *st;
    int rc;

    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return err_set(ec, ERR_INVALID, field, "请选择单位");
    rc = store_query(c, &st, ec, "SELECT path FROM units WHERE id = $1 AND closed_on IS NULL", "i",
                     (int64_t)json_integer_value(v));
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1 && access_in_scope(p, store_col_text(st, 0))) {
        *unit_id = (int64_t)json_integer_value(v);
        *unit_path = arena_strdup(a, store_col_text(st, 0));
    } else if (rc >= 0) {
        rc = err_set(ec, ERR_INVALID, field, "单位不存在或不在您的权限范围内");
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

int case_open(struct store_conn *c, struct arena *a, const struct case_actor *who,
              const struct case_type *t, int64_t unit_id, const char *unit_path,
              const char *transition, json_t *fields, const char *note, int64_t *id,
              struct err_ctx *ec)
{
    const struct case_transition *x;
    const struct case_state *to;
    char due[TIME_DATE_LEN] = "";
    bool extended = false;
    int64_t now;
    json_t *data, *after;
    int rc;

    if (fields && !json_is_object(fields))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "请求内容应为 JSON 对象");
    if ((rc = access_require(who ? who->p : NULL, 0, unit_path, ec)) < 0)
        return rc;
    x = transition_from(t, transition, NULL);
    if (!x)
        return err_set(ec, ERR_INVALID, "transition", "「%s」不能用于新建%s",
                       transition ? transition : "", t->name);
    if ((rc = check_actor(who, x, fields, ec)) < 0)
        return rc;
    now = who->now_ms ? who->now_ms : time_now_ms();
    if ((rc = next_due(t, x, date_of_instant(now), fields, due, &extended, ec)) < 0)
        return rc;
    to = case_state_find(t, x->to);
    data = fields ? json_deep_copy(fields) : json_object();
    rc = store_query_int(c, id, ec,
                         "INSERT INTO cases (type, unit_id, state, opened_at_ms, due_on, extended, "
                         "data, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) "
                         "RETURNING id",
                         "tititit", t->code, unit_id, x->to, now, due[0] ? due : NULL,
                         (int64_t)extended, json_dump_arena(a, data));
    json_decref(data);
    if (rc == ERR_NOT_FOUND)
        return err_set(ec, ERR_DB, NULL, "新建案件失败");
    if (rc < 0)
        return rc;
    if (to && to->terminal &&
        (rc = store_exec(c, ec, "UPDATE cases SET closed_at_ms = $1 WHERE id = $2", "ii", now,
                         *id)) < 0)
        return rc;
    after = snapshot(x->to, due[0] ? due : NULL, extended, 1);
    rc = record(c, a, who, t, x, *id, unit_id, unit_path, NULL, NULL, after, fields, note, now, ec);
    json_decref(after);
    return rc;
}

int case_take(struct store_conn *c, struct arena *a, const struct case_actor *who,
              const struct case_type *t, int64_t id, const char *transition, json_t *fields,
              int64_t expected_version, const char *note, struct case_rec *out, struct err_ctx *ec)
{
    const struct case_transition *x;
    const struct case_state *to;
    struct case_rec cur;
    char due[TIME_DATE_LEN] = "";
    bool extended;
    int64_t now, unit_id;
    const char *unit_path;
    json_t *data, *before, *after;
    const char *data_text;
    int rc;

    if (fields && !json_is_object(fields))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "请求内容应为 JSON 对象");
    if ((rc = case_get(c, a, who ? who->p : NULL, id, &cur, ec)) < 0)
        return rc;
    unit_id = cur.unit_id;
    unit_path = cur.unit_path;
    if (strcmp(cur.type, t->code) != 0)
        return err_set(ec, ERR_NOT_FOUND, NULL, "案件不存在");
    if (!transition || !case_transition_find(t, transition))
        return err_set(ec, ERR_INVALID, "transition", "%s没有「%s」这一操作", t->name,
                       transition ? transition : "");
    x = transition_from(t, transition, cur.state);
    if (!x)
        return illegal(t, cur.state, ec);
    if (expected_version > 0 && expected_version != cur.version)
        return err_set(ec, ERR_CONFLICT, "version", "案件已被他人修改，请刷新后重试");
    if ((rc = check_actor(who, x, fields, ec)) < 0)
        return rc;
    if (x->unit_field &&
        (rc = move_target(c, a, who->p, fields, x->unit_field, &unit_id, &unit_path, ec)) < 0)
        return rc;
    now = who->now_ms ? who->now_ms : time_now_ms();
    if (cur.due_on)
        snprintf(due, sizeof(due), "%s", cur.due_on);
    extended = cur.extended;

    data = json_loads(cur.data, 0, NULL);
    if (!json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    /* The days of a days_field are the case's as it was opened: a field of
     * this transition cannot change them. */
    rc = next_due(t, x, date_of_instant(now), data, due, &extended, ec);
    if (fields)
        json_object_update(data, fields);
    data_text = json_dump_arena(a, data);
    json_decref(data);
    if (rc < 0)
        return rc;
    to = case_state_find(t, x->to);
    rc = store_exec(c, ec,
                    "UPDATE cases SET state = $1, due_on = $2, extended = $3, data = $4, "
                    "closed_at_ms = $5, overdue_notified = CASE WHEN due_on = $2 THEN "
                    "overdue_notified ELSE 0 END, unit_id = $8, version = version + 1 "
                    "WHERE id = $6 AND version = $7",
                    "ttitniii", x->to, due[0] ? due : NULL, (int64_t)extended, data_text, id,
                    cur.version, unit_id);
    if (rc == 0)
        return err_set(ec, ERR_CONFLICT, "version", "案件已被他人修改，请刷新后重试");
    if (rc < 0)
        return rc;
    if (to && to->terminal &&
        (rc = store_exec(c, ec, "UPDATE cases SET closed_at_ms = $1 WHERE id = $2", "ii", now,
                         id)) < 0)
        return rc;
    before = snapshot(cur.state, cur.due_on, cur.extended, cur.version);
    after = snapshot(x->to, due[0] ? due : NULL, extended, cur.version + 1);
    rc = record(c, a, who, t, x, id, unit_id, unit_path, cur.state, before, after, fields, note,
                now, ec);
    json_decref(before);
    json_decref(after);
    if (rc < 0)
        return rc;
    if (out)
        return case_get(c, a, who->p, id, out, ec);
    return 0;
}

int case_mark_overdue(struct store_conn *c, struct date today, int *count, struct err_ctx *ec)
{
    char lo[TIME_DATE_LEN];
    struct store_stmt *st;
    int64_t ids[64];
    char types[64][CASE_TYPE_MAX], paths[64][UNIT_PATH_MAX], dues[64][TIME_DATE_LEN];
    int n = 0, total = 0, rc;

    date_format(&today, lo, sizeof(lo));
    /* In batches: the statement is finished before the writes. */
    for (;;) {
        n = 0;
        rc = store_query(c, &st, ec,
                         "SELECT c.id, c.type, u.path, c.due_on FROM cases c "
                         "JOIN units u ON u.id = c.unit_id WHERE c.due_on IS NOT NULL "
                         "AND c.due_on < $1 AND c.closed_at_ms IS NULL "
                         "AND c.overdue_notified = 0 ORDER BY c.id LIMIT 64",
                         "t", lo);
        if (rc < 0)
            return rc;
        while (n < 64 && (rc = store_step(st, ec)) == 1) {
            ids[n] = store_col_int(st, 0);
            snprintf(types[n], sizeof(types[n]), "%s", store_col_text(st, 1));
            snprintf(paths[n], sizeof(paths[n]), "%s", store_col_text(st, 2));
            snprintf(dues[n], sizeof(dues[n]), "%s", store_col_text(st, 3));
            n++;
        }
        store_done(st);
        if (rc < 0)
            return rc;
        for (int i = 0; i < n; i++) {
            char type[CASE_TYPE_MAX + 16], payload[128];
            snprintf(type, sizeof(type), "case.%s.overdue", types[i]);
            snprintf(payload, sizeof(payload), "{\"id\":%" PRId64 ",\"due_on\":\"%.10s\"}", ids[i],
                     dues[i]);
            if ((rc = store_exec(c, ec, "UPDATE cases SET overdue_notified = 1 WHERE id = $1", "i",
                                 ids[i])) < 0 ||
                (rc = store_event(c, type, paths[i], NULL, payload, ec)) < 0)
                return rc;
        }
        total += n;
        if (n < 64)
            break;
    }
    if (count)
        *count = total;
    return 0;
}
