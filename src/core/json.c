/*
 * json.c - member readers with field-naming errors, and serialisation.
 */
#include "core/compat.h"
#include "core/json.h"
#include "core/arena.h"
#include "core/str.h"

int json_field_text(json_t *obj, const char *key, bool required, size_t max_chars, const char **out,
                    struct err_ctx *ec)
{
    json_t *v = json_object_get(obj, key);
    const char *s;
    size_t len;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return err_set(ec, ERR_INVALID, key, "缺少必填项");
        return 0;
    }
    if (!json_is_string(v))
        return err_set(ec, ERR_INVALID, key, "应为文本");
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 && required)
        return err_set(ec, ERR_INVALID, key, "不能为空");
    if (!str_is_clean_utf8(s, len))
        return err_set(ec, ERR_INVALID, key, "含有不允许的控制字符");
    if (str_utf8_len(s) > max_chars)
        return err_set(ec, ERR_INVALID, key, "不能超过 %zu 个字", max_chars);
    *out = s;
    return 0;
}

int json_field_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, bool *present, struct err_ctx *ec)
{
    json_t *v = json_object_get(obj, key);
    json_int_t n;

    if (present)
        *present = false;
    if (!v || json_is_null(v)) {
        if (required)
            return err_set(ec, ERR_INVALID, key, "缺少必填项");
        return 0;
    }
    if (!json_is_integer(v))
        return err_set(ec, ERR_INVALID, key, "应为整数");
    n = json_integer_value(v);
    if (n < min || n > max)
        return err_set(ec, ERR_INVALID, key, "应在 %lld 到 %lld 之间", (long long)min,
                       (long long)max);
    *out = n;
    if (present)
        *present = true;
    return 0;
}

int json_field_bool(json_t *obj, const char *key, bool required, bool *out, bool *present,
                    struct err_ctx *ec)
{
    json_t *v = json_object_get(obj, key);

    if (present)
        *present = false;
    if (!v || json_is_null(v)) {
        if (required)
            return err_set(ec, ERR_INVALID, key, "缺少必填项");
        return 0;
    }
    if (!json_is_boolean(v))
        return err_set(ec, ERR_INVALID, key, "应为 true 或 false");
    *out = json_is_true(v);
    if (present)
        *present = true;
    return 0;
}

int json_fields_allowed(json_t *obj, const char *const *allowed, struct err_ctx *ec)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        (void)v;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0)
                ok = true;
        if (!ok)
            return err_set(ec, ERR_INVALID, key, "不支持的字段");
    }
    return 0;
}

char *json_dump_arena(struct arena *a, const json_t *v)
{
    char *s, *copy;

    if (!v)
        return NULL;
    s = json_dumps(v, JSON_COMPACT);
    if (!s)
        return NULL;
    copy = arena_strdup(a, s);
    free(s);
    return copy;
}

json_t *json_text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}
