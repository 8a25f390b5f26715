/*
 * annual.h - the annual report of a unit (年度报告) as the console keeps it:
 * the free text of its sections (不足及原因, 工作思路) and the versions a
 * leader signed off.
 *
 * The report itself is conf/reports/fazhi-annual.md built with report/
 * (report_build()) over the unit's subtree and year, its leading group read
 * with the org module. A signed-off version freezes what was shown: the
 * Markdown, the HTML of its blocks and every metric's value, so that the
 * version reads the same after the records change; annual_changes() lists
 * the metrics whose value differs now.
 *
 * Writes are one unit of work each, audited ("report_text", "report_version").
 */
#ifndef FAZHI_MODULES_REPORT_ANNUAL_H
#define FAZHI_MODULES_REPORT_ANNUAL_H

#include <stdint.h>

#include "core/access.h"
#include "core/err.h"
#include "modules/org/org.h"
#include "report/report.h"

struct arena;
struct store_conn;

/* Who may read a report, edit its free text, sign it off. */
#define ANNUAL_READ_ROLES (ROLE_STAFF | ROLE_OFFICER | ROLE_LEADER)
#define ANNUAL_EDIT_ROLES (ROLE_STAFF | ROLE_LEADER)
#define ANNUAL_SIGN_ROLES ROLE_LEADER

#define ANNUAL_TEXT_MAX 20000 /* bytes of one free-text block */
#define ANNUAL_NOTE_MAX 500

/* The free-text blocks: "shortcomings", "plans". */
bool annual_block_valid(const char *block);

struct annual_texts {
    const char *shortcomings, *plans;            /* NULL while not written */
    int64_t shortcomings_version, plans_version; /* 0 while not written */
};

/* The free text of unit_id's report for 'year' (no scope check). */
int annual_texts_get(struct store_conn *c, struct arena *a, int64_t unit_id, int year,
                     struct annual_texts *out, struct err_ctx *ec);

/*
 * Saves 'text' as 'block' of the report of 'unit' (in p's scope; the caller
 * read it) for 'year'. 'expected' is the version the editor saw (0: none
 * yet); another is ERR_CONFLICT naming "version". Audited.
 */
int annual_text_save(struct store_conn *c, struct arena *a, const struct principal *p,
                     const struct unit *unit, int year, const char *block, const char *text,
                     int64_t expected, struct err_ctx *ec);

/* The leading-group block of a report (a report_group_fn): 'arg' is a
 * struct annual_group_arg. A unit without a group prints none. */
struct annual_group_arg {
    struct store_conn *c;
    int64_t unit_id;
    const char *on; /* the date the members serve on: the period's last day */
};
int annual_leading_group(void *arg, struct arena *a, struct report_group *out, struct err_ctx *ec);

/* A report built: the document and the metrics it names with their values. */
struct annual_report {
    struct unit unit;
    struct metric_period period;
    struct report_doc *doc;
    struct annual_texts texts;
    const struct metric **metrics;
    struct metric_value *values;
    size_t nmetrics;
};

/*
 * Builds the report of unit 'unit_id' (0: p's own) for 'year' from the
 * template REPORT_TEMPLATE_ANNUAL over 'reg', inside the caller's read: ERR_NOT_FOUND naming "unit"
 * for a unit outside p's scope.
 */
int annual_build(struct store_conn *c, struct arena *a, const struct metric_registry *reg,
                 const struct principal *p, int64_t unit_id, int year, struct annual_report *out,
                 struct err_ctx *ec);

/* {"name": {"label","text","value"}} of r's metrics: a new reference. */
json_t *annual_values_json(const struct annual_report *r);

struct annual_version {
    int64_t id, unit_id;
    int year;
    const char *title, *markdown, *html, *metrics; /* metrics: JSON text */
    int64_t signed_by;
    const char *signed_by_name;
    int64_t signed_at_ms;
    const char *note;
};

/*
 * Signs off the report of unit 'unit_id' for 'year' as it is now (built in
 * this unit of work): stores its Markdown, HTML blocks and metric values.
 * ERR_FORBIDDEN unless p is a leader (or administrator). *id gets the
 * version. Audited.
 */
int annual_sign(struct store_conn *c, struct arena *a, const struct metric_registry *reg,
                const struct principal *p, int64_t unit_id, int year, const char *note, int64_t *id,
                struct err_ctx *ec);

/* The version 'id' of unit_id's report for 'year'; ERR_NOT_FOUND when there
 * is none (the caller checked the unit's scope). */
int annual_version_get(struct store_conn *c, struct arena *a, int64_t unit_id, int year, int64_t id,
                       struct annual_version *out, struct err_ctx *ec);

/* The versions of unit_id's report for 'year', newest first (without their text). */
int annual_versions_list(struct store_conn *c, struct arena *a, int64_t unit_id, int year,
                         struct annual_version **out, size_t *n, struct err_ctx *ec);

struct annual_change {
    const char *name, *label, *then, *now;
};

/*
 * The metrics of frozen version 'v' whose text differs now (evaluated in
 * this read over v's unit and year for p), in the order the version lists
 * them.
 */
int annual_changes(struct store_conn *c, struct arena *a, const struct metric_registry *reg,
                   const struct principal *p, const struct annual_version *v,
                   struct annual_change **out, size_t *n, struct err_ctx *ec);

struct store;
struct table;

/*
 * The statistics workbook of `fazhi report --format xlsx`, inside the
 * caller's read: one sheet "YYYY年指标" in 't', a row per registered metric
 * (指标, 指标代码, 计量单位, in name order) and, for the unit 'unit_code' and
 * then each unit directly below it that lived during the year (in order of
 * creation), two columns: the year and the year before ("城西街道 2022年",
 * "城西街道 2021年（上年）"). Counts and sums are exact number cells (sums
 * with the metric's decimals), rates the percentage with one decimal, "—"
 * for a rate over nothing. ERR_INVALID naming "--unit" for an unknown code.
 */
int annual_workbook(struct store_conn *c, struct arena *a, const struct principal *p,
                    const char *unit_code, int year, struct table *t, struct err_ctx *ec);

/* annual_workbook() in one read of 's', written as XLSX to 'path'. */
int annual_workbook_write(struct store *s, const struct principal *p, const char *unit_code,
                          int year, const char *path, struct err_ctx *ec);

#endif
