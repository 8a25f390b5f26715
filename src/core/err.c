/*
 * err.c - error records: set once where the failure is understood.
 */
#include "core/compat.h"
#include "core/err.h"

void err_clear(struct err_ctx *ec)
{
    if (!ec)
        return;
    ec->code = ERR_OK;
    ec->field[0] = ec->message[0] = ec->detail[0] = '\0';
}

int err_set(struct err_ctx *ec, enum err code, const char *field, const char *fmt, ...)
{
    if (!ec)
        return code;
    if (ec->code != ERR_OK)
        return ec->code;
    ec->code = code;
    snprintf(ec->field, sizeof(ec->field), "%s", field ? field : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ec->message, sizeof(ec->message), fmt, ap);
        va_end(ap);
    } else {
        snprintf(ec->message, sizeof(ec->message), "%s", err_default_message(code));
    }
    ec->detail[0] = '\0';
    return code;
}

int err_detail(struct err_ctx *ec, const char *fmt, ...)
{
    va_list ap;

    if (!ec)
        return ERR_INTERNAL;
    va_start(ap, fmt);
    vsnprintf(ec->detail, sizeof(ec->detail), fmt, ap);
    va_end(ap);
    return ec->code;
}

static const struct {
    enum err code;
    const char *name;
    const char *message;
} err_table[] = {
    {ERR_OK, "ok", "成功"},
    {ERR_BAD_REQUEST, "bad_request", "请求格式不正确"},
    {ERR_INVALID, "invalid", "输入内容不符合要求"},
    {ERR_UNAUTHENTICATED, "unauthenticated", "请先登录"},
    {ERR_FORBIDDEN, "forbidden", "没有权限执行此操作"},
    {ERR_NOT_FOUND, "not_found", "未找到所请求的内容"},
    {ERR_METHOD, "method_not_allowed", "不支持该请求方法"},
    {ERR_CONFLICT, "conflict", "当前状态不允许此操作"},
    {ERR_TOO_LARGE, "too_large", "提交的内容过大"},
    {ERR_MEDIA_TYPE, "unsupported_media_type", "不支持该内容类型"},
    {ERR_RATE_LIMIT, "rate_limited", "尝试次数过多，请稍后再试"},
    {ERR_IO, "io_error", "读写失败，请稍后再试"},
    {ERR_DB, "database_error", "数据库暂时不可用，请稍后再试"},
    {ERR_NOMEM, "out_of_memory", "服务器资源不足，请稍后再试"},
    {ERR_INTERNAL, "internal", "服务器内部错误"},
    {ERR_UNAVAILABLE, "unavailable", "服务暂时不可用，请稍后再试"},
};

const char *err_code_name(enum err code)
{
    for (size_t i = 0; i < ARRAY_SIZE(err_table); i++)
        if (err_table[i].code == code)
            return err_table[i].name;
    return "internal";
}

const char *err_default_message(enum err code)
{
    for (size_t i = 0; i < ARRAY_SIZE(err_table); i++)
        if (err_table[i].code == code)
            return err_table[i].message;
    return "服务器内部错误";
}
