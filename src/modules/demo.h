/*
 * demo.h - what the modules share to build the demo data set
 * (`fazhi demo`): the parameters, a seeded random generator, exact splits
 * of a total, the working-day calendar and the names of the subdistricts.
 *
 * The data set is the Chengxi subdistrict (城西街道, code "chengxi") of the
 * 2022 report, with its 2021 for year-on-year change; --scale N builds N
 * subdistricts of the same mix under one district. Each module builds its
 * part in its modules/<name>/<name>_demo.c, run in module order through the
 * `demo` hook of struct module (org first: the others look units up by the
 * codes demo_unit_code() makes).
 *
 * Determinism: every random choice comes from a demo_rng seeded from the
 * run's seed and a stream key (subdistrict, year, kind, ...), never from
 * rand() or the clock, so one seed gives the same records whatever order
 * the parts are built in. Only the instants of creation (created_at_ms,
 * audit times) and the certificates made to expire soon after today (so
 * that the register shows them) follow the clock.
 */
#ifndef FAZHI_MODULES_DEMO_H
#define FAZHI_MODULES_DEMO_H

#include "core/access.h"
#include "core/err.h"
#include "core/time.h"

struct module;
struct store;

#define DEMO_SCALE_MAX    500
#define DEMO_ACCOUNTS_MAX 8
#define DEMO_CODE_MAX     48
#define DEMO_NAME_MAX     96

/* A demo account, filled by the account module for the command to print. */
struct demo_account {
    char login[32];
    char password[32];
    char name[64];
    char role[32]; /* Chinese */
    char unit[DEMO_NAME_MAX];
};

struct demo_params {
    uint64_t seed;
    int scale;                     /* subdistricts to build, 1..DEMO_SCALE_MAX */
    const struct principal *actor; /* who the records are created by (the CLI) */
    /* Filled by the hooks for the command to print (the hooks get the
     * parameters const; the accounts are the one thing they hand back). */
    struct demo_account *accounts; /* DEMO_ACCOUNTS_MAX slots */
    size_t *naccounts;
};

/* The two years of records: 2022 (the report's) and 2021 (year-on-year). */
#define DEMO_YEAR      2022
#define DEMO_PREV_YEAR 2021

/* ---- random numbers (splitmix64) ---- */

struct demo_rng {
    uint64_t state;
};

/* A generator for stream (a, b) of 'seed': independent streams for each
 * subdistrict, year and kind, so parts do not depend on each other. */
void demo_rng_init(struct demo_rng *r, uint64_t seed, uint64_t a, uint64_t b);
uint64_t demo_rng_next(struct demo_rng *r);

/* A uniform integer in [lo, hi] (lo <= hi). */
int64_t demo_rng_range(struct demo_rng *r, int64_t lo, int64_t hi);

/* One of n items, uniformly: an index in [0, n). */
size_t demo_rng_pick(struct demo_rng *r, size_t n);

/*
 * Splits 'total' into n parts, each at least 'min', that sum to 'total'
 * exactly: each part gets min, then the rest in proportion to random
 * weights in [100 - jitter, 100 + jitter] (percent), the remainder of the
 * rounding one unit at a time from a random start. No part exceeds 'max'
 * (the excess moves to parts below it); max < 0: no bound. Returns -1 when
 * it cannot be done (n * min > total, or n * max < total).
 */
int demo_split(struct demo_rng *r, int64_t total, size_t n, int64_t min, int64_t max, int jitter,
               int64_t *out);

/* ---- the calendar (conf/cn-holidays.tsv) ---- */

/* Takes the process-wide core calendar (core/calendar.h) and checks that it
 * covers DEMO_PREV_YEAR and DEMO_YEAR; ERR_INTERNAL when it is bad or does
 * not. The two functions below are thin wrappers over it. */
int demo_calendar_load(struct err_ctx *ec);

/* True when local day 'days' (since 1970-01-01) is a working day: a weekday
 * not declared off, or a weekend day declared a working day; in a year the
 * calendar does not cover (the demo's 2019-2020 certificates), a weekday. */
bool demo_working_day(int64_t days);

/* The working days of 'year' (month 1..12, or 0 for the whole year), as
 * days since 1970-01-01 in order; returns how many (at most 'max'). */
size_t demo_working_days(int year, int month, int64_t *out, size_t max);

/*
 * 'n' dates ("YYYY-MM-DD" into out[i][TIME_DATE_LEN]) on the working days
 * of 'year', in order: distinct days when there are enough of them, the
 * days spread over the whole year.
 */
void demo_dates(struct demo_rng *r, int year, size_t n, char (*out)[TIME_DATE_LEN]);

/* ---- names ---- */

/* The code and Chinese name of subdistrict i (0: chengxi, 城西街道). */
void demo_subdistrict(size_t i, char *code, size_t csize, char *name, size_t nsize);

/* The code of a unit of subdistrict 'sd': "chengxi-sfs". */
void demo_unit_code(const char *sd, const char *suffix, char *buf, size_t size);

/* A plausible Chinese personal name; *female gets its gender. */
void demo_person_name(struct demo_rng *r, char *buf, size_t size, bool *female);

/* ---- the driver ---- */

/*
 * Builds the data set into 's' (which must hold no unit yet: ERR_CONFLICT
 * otherwise) by running the demo hook of each of the 'n' modules in order.
 */
int demo_run(struct store *s, const struct module *const *modules, size_t n,
             const struct demo_params *p, struct err_ctx *ec);

#endif
