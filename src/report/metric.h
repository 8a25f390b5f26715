/*
 * metric.h - the metric registry: every figure a report can print.
 *
 * A metric is a named figure ("study.lecture.attendance",
 * "mediation.success.rate") that a module computes over its own records for
 * a unit's subtree and a period. Modules declare their metrics in a static
 * table (struct module's 'metrics', modules/module.h); the registry gathers
 * those tables, refuses a name given twice, and evaluates metrics inside the
 * caller's read, so that every figure of one report comes from one snapshot.
 * The names are those of conf/figures-2022.tsv; report templates name them
 * in placeholders ({{mediation.success.rate | pct}}).
 *
 * Three kinds of figure:
 *   - count: how many records (entries, people, units);
 *   - sum:   the sum of a value over records, exact, as an integer scaled by
 *            10^scale (1050.5 km at scale 3 is 1050500; money in fen is
 *            scale 2);
 *   - rate:  a numerator over a denominator (1223 of 1229), kept as both
 *            integers; the percentage is derived, rounded to one decimal
 *            half away from zero (99.5), and undefined when the denominator
 *            is 0.
 *
 * Periods are inclusive ranges of local dates (China Standard Time): a year,
 * a quarter, a month, or any range. The registry knows nothing of modules,
 * units or HTTP: a metric's callbacks receive a struct metric_query with the
 * connection, the caller, the subtree (unit id and materialised path) and
 * the period, and must filter their records by all of them.
 *
 * Strings and arrays returned through a query live in its arena.
 */
#ifndef FAZHI_REPORT_METRIC_H
#define FAZHI_REPORT_METRIC_H

#include <jansson.h>

#include "core/access.h"
#include "core/err.h"
#include "core/time.h"

struct arena;
struct store_conn;

#define METRIC_NAME_MAX    64  /* bytes of a name */
#define METRIC_SCALE_MAX   6   /* decimal places of a sum */
#define METRIC_RECORDS_MAX 500 /* records one call may list */

/* ================================================================
 * Periods
 * ================================================================ */

enum metric_period_kind {
    METRIC_PERIOD_YEAR,
    METRIC_PERIOD_QUARTER,
    METRIC_PERIOD_MONTH,
    METRIC_PERIOD_RANGE
};

struct metric_period {
    enum metric_period_kind kind;
    char from[TIME_DATE_LEN]; /* "YYYY-MM-DD", inclusive */
    char to[TIME_DATE_LEN];   /* inclusive; never before 'from' */
};

/* The calendar year 'year' (1900..9999); ERR_INVALID naming "year" otherwise. */
int metric_period_year(int year, struct metric_period *out, struct err_ctx *ec);

/* Quarter 1..4 of 'year'; ERR_INVALID naming "year" or "quarter". */
int metric_period_quarter(int year, int quarter, struct metric_period *out, struct err_ctx *ec);

/* Month 1..12 of 'year'; ERR_INVALID naming "year" or "month". */
int metric_period_month(int year, int month, struct metric_period *out, struct err_ctx *ec);

/*
 * The days 'from' to 'to', both "YYYY-MM-DD" and inclusive. ERR_INVALID
 * naming "from" or "to" for a date that is not real (or outside the years
 * 1900..9999), and naming "to" when it falls before 'from'.
 */
int metric_period_range(const char *from, const char *to, struct metric_period *out,
                        struct err_ctx *ec);

/*
 * The period of the same length just before 'p', for the change against it:
 * the previous year, quarter or month for those kinds (2022 -> 2021, Q1 2022
 * -> Q4 2021, March -> February, whatever its number of days), otherwise the
 * same number of days ending the day before p->from. A period reaching
 * before the year 1900 is clamped there.
 */
void metric_period_previous(const struct metric_period *p, struct metric_period *out);

/* The period in words: "2022年", "2022年第一季度", "2022年3月",
 * "2022年1月5日至2022年2月1日". */
void metric_period_label(const struct metric_period *p, char *buf, size_t size);

/* ================================================================
 * Values and their text
 * ================================================================ */

enum metric_kind { METRIC_COUNT, METRIC_SUM, METRIC_RATE };

struct metric_value {
    /*
     * count: the number; sum: scaled by 10^(the metric's scale); rate: the
     * percentage in tenths (995 is 99.5%), meaningful only when 'defined'.
     */
    int64_t value;
    int64_t numerator, denominator; /* rates only; 0 otherwise */
    bool defined;                   /* false only for a rate over 0 */
};

/* A rate from its parts: value = 1000 * num / den rounded half away from
 * zero; undefined when den is 0. */
struct metric_value metric_rate(int64_t numerator, int64_t denominator);

/*
 * Writes a scaled integer as exact decimal text without trailing fractional
 * zeros: (1050500000, 3) -> "1050500", (10505, 1) -> "1050.5",
 * (-5, 2) -> "-0.05".
 */
void metric_decimal_format(int64_t scaled, int scale, char *buf, size_t size);

/* "code" names of the kinds, as the API writes them: "count", "sum", "rate". */
const char *metric_kind_code(enum metric_kind kind);

/* ================================================================
 * Metrics
 * ================================================================ */

struct metric;
struct metric_cache;

/* What a metric is evaluated over. */
struct metric_query {
    struct store_conn *conn; /* inside the caller's store_read (or store_write) */
    struct arena *arena;
    const struct principal *principal; /* the caller; the unit is in its scope */
    int64_t unit_id;                   /* the root of the subtree */
    const char *unit_path;             /* its materialised path, "/1/4/" */
    struct metric_period period;
    struct metric_cache *cache; /* per query: see metric_query_cache() */
};

/*
 * A slot of memory shared by the metrics of one query under 'key' (any
 * address the module owns), zeroed on first use: a module computes
 * what all its metrics need once (the ledger reads its totals once) and
 * every metric of the module reads from it. *fresh is true the first time.
 */
void *metric_query_cache(struct metric_query *q, const void *key, size_t size, bool *fresh);

/* One record behind a figure. */
struct metric_record {
    const char *type; /* what it is: "ledger_entry", "legal_literate", "unit" */
    int64_t id;       /* its id in that module */
    const char *date; /* the date that placed it in the period, "YYYY-MM-DD" */
    int64_t unit_id;  /* the unit it belongs to */
    const char *unit_code, *unit_name;
    const char *title; /* what a list shows of it */
    bool has_value;    /* a sum: the record's part of it */
    int64_t value;     /* scaled as the metric's value */
    const char *href;  /* its page in the console, or NULL */
};

/*
 * Computes m over q into *out. Returns 0 or a negative enum err.
 */
typedef int (*metric_compute_fn)(const struct metric *m, struct metric_query *q,
                                 struct metric_value *out, struct err_ctx *ec);

/*
 * Lists the records behind m over q, in the module's order (newest first),
 * at most 'limit' (1..METRIC_RECORDS_MAX) into an arena array; *more tells
 * whether there were others.
 */
typedef int (*metric_records_fn)(const struct metric *m, struct metric_query *q, size_t limit,
                                 struct metric_record **items, size_t *n, bool *more,
                                 struct err_ctx *ec);

struct metric {
    const char *name;  /* "study.lecture.attendance": dot-separated [a-z][a-z0-9_]* parts */
    const char *label; /* 法治讲座受训人次 */
    const char *unit;  /* what the value counts: 次, 人次, 公里, 元, % */
    enum metric_kind kind;
    int scale; /* sums: decimal places of the value (0..METRIC_SCALE_MAX); else 0 */
    metric_compute_fn compute;
    metric_records_fn records; /* may be NULL: no list behind the figure */
    const void *arg;           /* the module's own description of the metric */
};

/*
 * The metric's value as text: counts as integers, sums with
 * metric_decimal_format(), rates as a percentage with exactly one decimal
 * ("99.5", "100.0"); "—" for an undefined rate.
 */
void metric_format(const struct metric *m, const struct metric_value *v, char *buf, size_t size);

/* {"name","label","unit","kind","value","text","numerator","denominator"}:
 * value a JSON number (null for an undefined rate); numerator and
 * denominator only for rates. A new reference. */
json_t *metric_value_json(const struct metric *m, const struct metric_value *v);

/* {"type","id","date","unit":{"id","code","name"},"title","value"?,"href"?}. */
json_t *metric_record_json(const struct metric *m, const struct metric_record *r);

/* ================================================================
 * The registry
 * ================================================================ */

struct metric_registry;

/* An empty registry; the caller frees it with metric_registry_free(). */
struct metric_registry *metric_registry_new(void);
void metric_registry_free(struct metric_registry *r);

/*
 * Adds the 'n' metrics of 'table' (which must outlive the registry).
 * Checks every one first and adds none on a fault: ERR_INVALID naming the
 * metric for a malformed name, an empty label or unit, no compute callback,
 * or a scale out of range; ERR_CONFLICT for a name already registered or
 * given twice in the table.
 */
int metric_registry_add(struct metric_registry *r, const struct metric *table, size_t n,
                        struct err_ctx *ec);

/* The metric named 'name', or NULL. */
const struct metric *metric_registry_find(const struct metric_registry *r, const char *name);

/* How many metrics, and the i-th in name order. */
size_t metric_registry_count(const struct metric_registry *r);
const struct metric *metric_registry_at(const struct metric_registry *r, size_t i);

/* One metric's value in an evaluation of all. */
struct metric_result {
    const struct metric *metric;
    struct metric_value value;
};

/*
 * Computes every metric of 'r' over 'q', in name order, into an arena array
 * of metric_registry_count(r). The first failure stops it.
 */
int metric_evaluate_all(const struct metric_registry *r, struct metric_query *q,
                        struct metric_result **out, struct err_ctx *ec);

/* Computes one metric over 'q'; a fresh cache when q->cache is NULL. */
int metric_evaluate(const struct metric *m, struct metric_query *q, struct metric_value *out,
                    struct err_ctx *ec);

#endif
