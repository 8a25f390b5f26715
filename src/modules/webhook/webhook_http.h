/*
 * webhook_http.h - the webhook module: the administrators' JSON API for
 * webhooks and their delivery log (see webhook_http.c, webhook.h).
 */
#ifndef FAZHI_MODULES_WEBHOOK_WEBHOOK_HTTP_H
#define FAZHI_MODULES_WEBHOOK_WEBHOOK_HTTP_H

#include "modules/module.h"

extern const struct module webhook_module;

#endif
