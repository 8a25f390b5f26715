/*
 * cases.c - the cases module's rules: the registry of case types, the
 * labelled deadline lists and the overdue watcher (see cases.h).
 */
#include "core/compat.h"
#include "modules/cases/cases.h"

#include <pthread.h>
#include <time.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/str.h"
#include "modules/org/org.h"
#include "store/store.h"

static const struct case_type *types[CASES_TYPES_MAX];
static size_t ntypes;

int cases_type_register(const struct case_type *t, struct err_ctx *ec)
{
    int rc;

    if ((rc = case_type_check(t, ec)) < 0)
        return rc;
    if (cases_type_find(t->code))
        return err_set(ec, ERR_CONFLICT, "type", "案件类型 %s 已登记", t->code);
    if (ntypes == CASES_TYPES_MAX)
        return err_set(ec, ERR_INTERNAL, "type", "案件类型过多（最多 %d 种）", CASES_TYPES_MAX);
    types[ntypes++] = t;
    return 0;
}

const struct case_type *cases_type_find(const char *code)
{
    for (size_t i = 0; code && i < ntypes; i++)
        if (strcmp(types[i]->code, code) == 0)
            return types[i];
    return NULL;
}

void cases_types_reset(void)
{
    ntypes = 0;
}

struct date cases_today(void)
{
    return date_of_instant(time_now_ms());
}

int64_t cases_days_until(const char *due_on, struct date today)
{
    struct date d;

    if (!due_on || date_parse(due_on, &d) != 0)
        return 0;
    return date_to_days(&d) - date_to_days(&today);
}

int cases_list(struct store_conn *c, struct arena *a, const char *scope_path, struct date today,
               int days, struct cases_item **out, size_t *n, struct err_ctx *ec)
{
    struct case_rec *recs;
    struct cases_item *items;
    struct unit u = {0};
    size_t count;
    int rc;

    rc = days < 0 ? case_overdue(c, a, scope_path, today, &recs, &count, ec)
                  : case_due_soon(c, a, scope_path, today, days, &recs, &count, ec);
    if (rc < 0)
        return rc;
    items = arena_calloc(a, count ? count : 1, sizeof(*items));
    for (size_t i = 0; i < count; i++) {
        struct cases_item *it = &items[i];
        const struct case_type *t = cases_type_find(recs[i].type);
        const struct case_state *s = t ? case_state_find(t, recs[i].state) : NULL;
        int64_t left = cases_days_until(recs[i].due_on, today);

        it->rec = recs[i];
        it->type_name = t ? t->name : recs[i].type;
        it->state_label = s ? s->label : recs[i].state;
        /* Rows come by due date, so one unit's rows are often together. */
        if (u.id != recs[i].unit_id && (rc = org_unit_get(c, a, recs[i].unit_id, &u, ec)) < 0)
            return rc;
        it->unit_name = u.name;
        it->days = days < 0 ? -left : left;
    }
    *out = items;
    *n = count;
    return 0;
}

json_t *cases_item_json(const struct cases_item *it, bool overdue)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:{s:I, s:s}, s:s?, s:I}", "id",
                     (json_int_t)it->rec.id, "type", it->rec.type, "type_name", it->type_name,
                     "state", it->rec.state, "state_label", it->state_label, "unit", "id",
                     (json_int_t)it->rec.unit_id, "name", it->unit_name ? it->unit_name : "",
                     "due_on", it->rec.due_on, overdue ? "days_over" : "days_left",
                     (json_int_t)it->days);
}

/* ================================================================
 * The overdue watcher
 * ================================================================ */

struct cases_watch {
    struct store *s;
    int64_t period_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

struct mark_op {
    struct date today;
    int count;
};

static int mark_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct mark_op *m = arg;

    return case_mark_overdue(c, m->today, &m->count, ec);
}

static void mark_once(struct cases_watch *w)
{
    struct mark_op m = {.today = cases_today()};
    struct err_ctx ec;

    err_clear(&ec);
    if (store_write(w->s, mark_fn, &m, &ec) < 0)
        log_warn("case overdue check failed: %s", ec.message);
    else if (m.count > 0)
        log_info("case overdue: %d case(s) announced", m.count);
}

static void *watch_main(void *arg)
{
    struct cases_watch *w = arg;
    struct timespec until;

    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        mark_once(w);
        pthread_mutex_lock(&w->lock);
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(w->period_ms / 1000);
        until.tv_nsec += (long)(w->period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
            ; /* woken without stop: wait on to the same instant */
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int cases_watch_start(struct store *s, int64_t period_ms, struct cases_watch **out,
                      struct err_ctx *ec)
{
    struct cases_watch *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;

    if (!w)
        return err_set(ec, ERR_NOMEM, NULL, "内存不足");
    w->s = s;
    w->period_ms = period_ms > 0 ? period_ms : 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return err_set(ec, ERR_INTERNAL, NULL, "无法启动到期检查线程");
    }
    *out = w;
    return 0;
}

void cases_watch_stop(struct cases_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
