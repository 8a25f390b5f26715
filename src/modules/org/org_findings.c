/*
 * org_findings.c - what the registers say is wrong (report/finding.h).
 *
 * Officers are the live people of the subtree tagged ORG_OFFICER_TAG
 * (执法人员), the tag the registers give enforcement staff (the people
 * register has no role of its own). On the period's last day:
 *
 *   org.uncertified   officers holding no live enforcement certificate valid
 *                     that day (valid_from <= day <= valid_to), whatever
 *                     its field: the seed's "持证执法人员偏少". One finding
 *                     naming every such officer, with how many of all the
 *                     officers are certified. A warning.
 *   org.expiring      officers whose valid certificates all end within
 *                     ORG_EXPIRING_DAYS after that day: renewals to
 *                     prepare. A notice.
 */
#include "core/compat.h"
#include "modules/org/org.h"

#include "core/arena.h"
#include "core/str.h"
#include "modules/org/org_internal.h"
#include "report/finding.h"
#include "store/store.h"

#define ORG_OFFICER_TAG "执法人员"

struct officer {
    int64_t id;
    const char *name, *unit_name;
    const char *valid_to; /* the latest end of a certificate valid on the day, or NULL */
};

/* "2022-12-31" -> "2022年12月31日". */
static const char *date_words(struct arena *a, const char *d)
{
    return arena_printf(a, "%.4s年%d月%d日", d, (d[5] - '0') * 10 + (d[6] - '0'),
                        (d[8] - '0') * 10 + (d[9] - '0'));
}

int org_findings(struct metric_query *q, struct finding_list *out, struct err_ctx *ec)
{
    char upper[UNIT_PATH_MAX + 2], limit[TIME_DATE_LEN];
    const char *day = q->period.to;
    struct store_stmt *st;
    struct officer *list = NULL;
    size_t n = 0, cap = 0, uncertified = 0, expiring = 0;
    int rc;

    org_path_upper(q->unit_path, upper, sizeof(upper));
    org_date_add(day, ORG_EXPIRING_DAYS, limit);
    if ((rc = store_query(q->conn, &st, ec,
                          "SELECT pe.id, pe.name, u.name, (SELECT max(c.valid_to) "
                          "FROM certificates c WHERE c.person_id = pe.id "
                          "AND c.deleted_at_ms IS NULL AND c.valid_from <= $3 "
                          "AND c.valid_to >= $3) FROM people pe JOIN units u ON u.id = pe.unit_id "
                          "WHERE pe.deleted_at_ms IS NULL AND u.path >= $1 AND u.path < $2 "
                          "AND (',' || pe.tags || ',') LIKE $4 ORDER BY u.path, pe.id",
                          "tttt", q->unit_path, upper, day, "%," ORG_OFFICER_TAG ",%")) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        struct officer *o;
        if (n == cap) {
            struct officer *grown;
            cap = cap ? 2 * cap : 16;
            grown = arena_calloc(q->arena, cap, sizeof(*grown));
            if (n)
                memcpy(grown, list, n * sizeof(*grown));
            list = grown;
        }
        o = &list[n++];
        o->id = store_col_int(st, 0);
        o->name = arena_strdup(q->arena, store_col_text(st, 1));
        o->unit_name = arena_strdup(q->arena, store_col_text(st, 2));
        o->valid_to = store_col_text(st, 3) ? arena_strdup(q->arena, store_col_text(st, 3)) : NULL;
        if (!o->valid_to)
            uncertified++;
        else if (strcmp(o->valid_to, limit) <= 0)
            expiring++;
    }
    store_done(st);
    if (rc < 0)
        return rc;

    if (uncertified) {
        struct strbuf names = STRBUF_INIT;
        struct finding *f;
        size_t shown = 0;

        for (size_t i = 0; i < n; i++) {
            if (list[i].valid_to)
                continue;
            if (shown < FINDING_RECORDS_MAX) {
                if (shown)
                    strbuf_adds(&names, "、");
                strbuf_adds(&names, list[i].name);
            }
            shown++;
        }
        if (shown > FINDING_RECORDS_MAX)
            strbuf_adds(&names, "等");
        f = finding_add(out, "org.uncertified", FINDING_WARNING, "org",
                        "截至%s，执法人员%zu人中持有有效执法证的仅%zu人，%zu人（%s）未取得有效执法"
                        "证，持证执法人员偏少。",
                        date_words(q->arena, day), n, n - uncertified, uncertified,
                        names.buf ? names.buf : "");
        strbuf_release(&names);
        f->subject = json_pack("{s:s, s:I, s:I}", "date", day, "officers", (json_int_t)n,
                               "certified", (json_int_t)(n - uncertified));
        f->records_href = "/console/people?q=" ORG_OFFICER_TAG;
        for (size_t i = 0; i < n; i++)
            if (!list[i].valid_to)
                finding_record_add(out, f, "person", list[i].id, list[i].name, NULL, NULL);
    }
    if (expiring) {
        struct finding *f = finding_add(out, "org.expiring", FINDING_NOTICE, "org",
                                        "%zu名执法人员的执法证将在%s后%d天内到期，请及时办理换证。",
                                        expiring, date_words(q->arena, day), ORG_EXPIRING_DAYS);
        f->subject = json_pack("{s:s, s:s}", "date", day, "until", limit);
        for (size_t i = 0; i < n; i++)
            if (list[i].valid_to && strcmp(list[i].valid_to, limit) <= 0)
                finding_record_add(out, f, "person", list[i].id, list[i].name, list[i].valid_to,
                                   NULL);
    }
    return 0;
}
