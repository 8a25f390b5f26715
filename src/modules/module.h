/*
 * module.h - what a domain module contributes to the program.
 *
 * Each module folder (modules/<name>/) exports one struct module; main.c
 * lists them. Migrations are not listed here: every migrations/ folder of the
 * source tree is built into the program (store/store.h) and numbered in one
 * sequence. Later issues add metrics, demo generators, case types and ledger
 * kinds to this table.
 */
#ifndef FAZHI_MODULES_MODULE_H
#define FAZHI_MODULES_MODULE_H

#include "http/server.h"

struct store;

struct module {
    const char *name;
    struct http_route_table routes;
    /*
     * Called after the migrations, each time the program opens the database
     * for writing (serve, and the commands that change data): loads shipped
     * catalogs on first start, and the like. Must be idempotent. May be NULL.
     */
    int (*start)(struct store *s, struct err_ctx *ec);
};

#endif
