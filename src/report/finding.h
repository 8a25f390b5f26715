/*
 * finding.h - findings: what the data says is wrong, proposed as text for
 * the shortcomings section (存在的问题和不足) of a report.
 *
 * A finding is one zh-CN sentence a clerk may paste into the report ("2022年
 * 路面巡逻700次累计1050500公里，平均每次约1500公里，明显超出合理范围（每次不超过
 * 200公里），请核实台账记录。"), a stable code ("ledger.implausible"), a
 * severity, the module that found it, and the records it rests on: up to
 * FINDING_RECORDS_MAX of them by type, id, title and date, the number of all
 * of them, and a link listing them all when there are more.
 *
 * Modules find their own findings over a unit's subtree and a period through
 * the 'findings' hook of struct module (modules/module.h), called with a
 * struct metric_query (the connection inside the caller's read, the caller,
 * the subtree and the period), exactly as their metrics are; they append to
 * a struct finding_list. Like report/metric.h, this knows nothing of modules,
 * units or HTTP.
 *
 * Strings and arrays live in the list's arena.
 */
#ifndef FAZHI_REPORT_FINDING_H
#define FAZHI_REPORT_FINDING_H

#include <jansson.h>

#include "core/err.h"
#include "report/metric.h"

struct arena;

#define FINDING_RECORDS_MAX 20 /* records named on a finding; the rest by count and link */

/* Ordered: a list sorts the most severe first. */
enum finding_severity { FINDING_NOTICE, FINDING_WARNING, FINDING_SERIOUS };

/* One record a finding rests on. */
struct finding_record {
    const char *type;  /* "ledger_entry", "person", "unit" */
    int64_t id;        /* its id in that module */
    const char *title; /* what a list shows of it */
    const char *date;  /* "YYYY-MM-DD", or NULL */
    const char *href;  /* its page in the console, or NULL */
};

struct finding {
    const char *code; /* "ledger.implausible": dot-separated, stable */
    enum finding_severity severity;
    const char *module; /* "ledger" */
    const char *text;   /* the proposed sentence, zh-CN */
    json_t *subject;    /* what it is about, for programs ({"kind","counter"}), or NULL; owned */
    struct finding_record *records; /* at most FINDING_RECORDS_MAX */
    size_t nrecords;
    int64_t records_total;    /* how many records it rests on in all (>= nrecords) */
    const char *records_href; /* a list of them all, or NULL */
};

struct finding_list {
    struct arena *arena;
    struct finding *items;
    size_t n, cap;
};

/* A finding list whose strings live in 'a'. */
void finding_list_init(struct finding_list *l, struct arena *a);

/* Frees the subjects (JSON) of the list's findings. */
void finding_list_release(struct finding_list *l);

/* Appends a finding with the sentence printf-style; its records are added
 * with finding_record_add(). Returns it (valid until the next finding_add). */
struct finding *finding_add(struct finding_list *l, const char *code,
                            enum finding_severity severity, const char *module, const char *fmt,
                            ...) FZ_PRINTF(5, 6);

/* Names a record on 'f' (strings copied): counted in records_total, and
 * kept while fewer than FINDING_RECORDS_MAX are. */
void finding_record_add(struct finding_list *l, struct finding *f, const char *type, int64_t id,
                        const char *title, const char *date, const char *href);

/* Sorts the list: most severe first, then in the order found (stable). */
void finding_list_sort(struct finding_list *l);

/* "serious", "warning", "notice"; and in words: 严重, 警示, 提示. */
const char *finding_severity_code(enum finding_severity s);
const char *finding_severity_label(enum finding_severity s);

/* {"code","severity","severity_label","module","text","subject"?,"records":[{"type","id",
 * "title","date"?,"href"?}],"records_total","records_href"?}: a new reference. */
json_t *finding_json(const struct finding *f);

/*
 * A module's findings over q's subtree and period (see above): appends to
 * 'out'. Returns 0 or a negative enum err.
 */
typedef int (*finding_fn)(struct metric_query *q, struct finding_list *out, struct err_ctx *ec);

/* About a number for a sentence: 'v' rounded to three significant digits,
 * as an integer when at least 100 ("1500" for 1500.71), else with up to two
 * decimals ("12.3"). */
void finding_approx(double v, char *buf, size_t size);

#endif
