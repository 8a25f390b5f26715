/*
 * ledger_http.h - the ledger module's contribution: routes under
 * /api/v1/ledger/ (kinds, entries, totals, warnings, export, import, tracks)
 * and the start hook that loads the shipped catalog.
 */
#ifndef FAZHI_MODULES_LEDGER_HTTP_H
#define FAZHI_MODULES_LEDGER_HTTP_H

#include "modules/module.h"

extern const struct module ledger_module;

#endif
