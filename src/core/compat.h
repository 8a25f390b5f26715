/*
 * compat.h - the first include of every .c file in fazhi.
 *
 * It fixes the feature-test macros before any system header is read, so that
 * every translation unit sees the same declarations (POSIX.1-2008 plus the
 * GNU extensions we use: pipe2, accept4, memmem), then pulls in the few
 * headers nearly every file needs and the banned-function list.
 */
#ifndef FAZHI_COMPAT_H
#define FAZHI_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define FZ_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define FZ_UNUSED            __attribute__((unused))
#define FZ_NORETURN          __attribute__((noreturn))
#else
#define FZ_PRINTF(fmt, args)
#define FZ_UNUSED
#define FZ_NORETURN
#endif

#include "core/banned.h"

#endif
