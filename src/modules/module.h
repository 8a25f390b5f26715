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

struct module {
    const char *name;
    struct http_route_table routes;
};

#endif
