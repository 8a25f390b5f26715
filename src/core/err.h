/*
 * err.h - the one error style of fazhi.
 *
 * A function that can fail returns int: 0 on success, a negative enum err on
 * failure, and fills the struct err_ctx its caller passed in. The message is
 * for a person (zh-CN), set once where the failure is understood, together
 * with the name of the input field at fault, if any. Exactly one function,
 * http_error_status() in http/, turns an enum err into an HTTP status.
 */
#ifndef FAZHI_CORE_ERR_H
#define FAZHI_CORE_ERR_H

#include <stdarg.h>

enum err {
    ERR_OK = 0,
    ERR_BAD_REQUEST = -1,     /* malformed input: bad JSON, bad query syntax */
    ERR_INVALID = -2,         /* well-formed but a field's value is not acceptable */
    ERR_UNAUTHENTICATED = -3, /* no or bad credentials */
    ERR_FORBIDDEN = -4,       /* authenticated, but role or scope does not allow it */
    ERR_NOT_FOUND = -5,
    ERR_METHOD = -6,      /* the path exists, the method does not */
    ERR_CONFLICT = -7,    /* state does not allow it, or a unique value exists */
    ERR_TOO_LARGE = -8,   /* body or upload over the limit */
    ERR_MEDIA_TYPE = -9,  /* content type not accepted */
    ERR_RATE_LIMIT = -10, /* too many attempts */
    ERR_IO = -11,         /* file or socket failure */
    ERR_DB = -12,         /* database failure that is not the caller's fault */
    ERR_NOMEM = -13,
    ERR_INTERNAL = -14,
    ERR_UNAVAILABLE = -15, /* shutting down, or a resource is closed */
};

#define ERR_FIELD_MAX   64
#define ERR_MESSAGE_MAX 256
#define ERR_DETAIL_MAX  256

struct err_ctx {
    enum err code;
    char field[ERR_FIELD_MAX];     /* the input field at fault, or "" */
    char message[ERR_MESSAGE_MAX]; /* for a person, zh-CN */
    char detail[ERR_DETAIL_MAX];   /* for the log: technical detail, or "" */
};

/* Clears 'ec' to "no error". */
void err_clear(struct err_ctx *ec);

/*
 * Records an error and returns 'code', so that a failing function can end
 * with `return err_set(ec, ERR_INVALID, "date", "日期格式应为 YYYY-MM-DD");`.
 * 'field' may be NULL. 'ec' may be NULL, in which case only the code is
 * returned. The first error set wins until err_clear(): an error reported
 * from deep inside keeps its precise message when an outer caller adds a
 * vaguer one.
 */
int err_set(struct err_ctx *ec, enum err code, const char *field, const char *fmt, ...)
    FZ_PRINTF(4, 5);

/* Adds a technical detail for the log to an error already set; returns ec->code. */
int err_detail(struct err_ctx *ec, const char *fmt, ...) FZ_PRINTF(2, 3);

/* A stable machine-readable name for the code: "invalid", "not_found", ... */
const char *err_code_name(enum err code);

/* A generic zh-CN message for the code, used when none was set. */
const char *err_default_message(enum err code);

#endif
