/*
 * access.c - roles and unit scope.
 */
#include "core/compat.h"
#include "core/access.h"
#include "core/str.h"

static const struct {
    unsigned bit;
    const char *code, *label;
} roles[] = {
    {ROLE_STAFF, "staff", "工作人员"},     {ROLE_OFFICER, "officer", "执法人员"},
    {ROLE_MEDIATOR, "mediator", "调解员"}, {ROLE_ADVISER, "adviser", "法律顾问"},
    {ROLE_LEADER, "leader", "领导"},       {ROLE_ADMIN, "admin", "系统管理员"},
};

int role_parse_list(const char *s, unsigned *out)
{
    unsigned mask = 0;
    const char *p = s;

    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
            if (strlen(roles[i].code) == n && strncmp(p, roles[i].code, n) == 0) {
                mask |= roles[i].bit;
                found = true;
            }
        }
        if (!found)
            return -1;
        p += n;
        if (*p == ',')
            p++;
    }
    if (!mask)
        return -1;
    *out = mask;
    return 0;
}

void role_format_list(unsigned mask, char *buf, size_t size)
{
    size_t n = 0;

    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
        if (!(mask & roles[i].bit))
            continue;
        int m = snprintf(buf + n, size - n, "%s%s", n ? "," : "", roles[i].code);
        if (m < 0 || (size_t)m >= size - n)
            return;
        n += (size_t)m;
    }
}

const char *role_code(unsigned role)
{
    for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
        if (roles[i].bit == role)
            return roles[i].code;
    return "";
}

const char *role_label(unsigned role)
{
    for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
        if (roles[i].bit == role)
            return roles[i].label;
    return "";
}

bool access_has_role(const struct principal *p, unsigned any_of)
{
    if (!p)
        return false;
    if (p->roles & ROLE_ADMIN)
        return true;
    return any_of == 0 || (p->roles & any_of) != 0;
}

bool access_in_scope(const struct principal *p, const char *unit_path)
{
    return p && p->unit_path[0] && unit_path && str_starts_with(unit_path, p->unit_path);
}

int access_require(const struct principal *p, unsigned any_of, const char *unit_path,
                   struct err_ctx *ec)
{
    if (!p)
        return err_set(ec, ERR_UNAUTHENTICATED, NULL, "请先登录");
    if (!access_has_role(p, any_of))
        return err_set(ec, ERR_FORBIDDEN, NULL, "当前角色无权执行此操作");
    if (unit_path && !access_in_scope(p, unit_path))
        return err_set(ec, ERR_FORBIDDEN, "unit", "该单位不在您的管辖范围内");
    return 0;
}

bool access_sees_personal_ids(const struct principal *p)
{
    /* access_has_role() counts admin as holding every role. */
    return p && access_has_role(p, ROLE_OFFICER | ROLE_MEDIATOR);
}

void access_actor(const struct principal *p, char *buf, size_t size)
{
    if (!p)
        snprintf(buf, size, "system");
    else if (p->actor[0])
        snprintf(buf, size, "%s", p->actor);
    else if (p->user_id)
        snprintf(buf, size, "user:%lld", (long long)p->user_id);
    else
        snprintf(buf, size, "token:%lld", (long long)p->token_id);
}

int access_require_root_admin(const struct principal *p, const char *what, struct err_ctx *ec)
{
    const char *path = p ? p->unit_path : "";
    const char *second = *path ? strchr(path + 1, '/') : NULL;
    int rc = access_require(p, ROLE_ADMIN, NULL, ec);

    if (rc < 0)
        return rc;
    if (strcmp(path, "/") != 0 && !(second && second[1] == '\0'))
        return err_set(ec, ERR_FORBIDDEN, NULL, "只有根单位的系统管理员可以%s", what);
    return 0;
}
