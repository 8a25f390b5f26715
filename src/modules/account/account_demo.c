/*
 * account_demo.c - the accounts of the demo data set (modules/demo.h): an
 * administrator, a leader, a community clerk and an enforcement officer of
 * 城西街道, with known passwords that `fazhi demo` prints. Few on purpose:
 * each password costs an argon2id hash (~0.1 s), done before the unit of
 * work as account.h asks.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "modules/account/account.h"
#include "modules/demo.h"
#include "modules/org/org.h"
#include "store/store.h"

static const struct {
    const char *login, *password, *name, *unit, *role_label;
    unsigned roles;
} accounts[] = {
    {"admin", "Admin-demo-2022", "系统管理员", "chengxi", "系统管理员", ROLE_ADMIN},
    {"leader", "Leader-demo-2022", "街道领导", "chengxi", "领导", ROLE_LEADER},
    {"clerk", "Clerk-demo-2022", "城西社区工作人员", "chengxi-sq1", "工作人员", ROLE_STAFF},
    {"officer", "Officer-demo-2022", "执法队员", "chengxi-zfd", "执法人员",
     ROLE_OFFICER | ROLE_STAFF},
};

#define NACCOUNTS ARRAY_SIZE(accounts)

struct account_demo {
    const struct demo_params *p;
    struct arena *a;
    char hashes[NACCOUNTS][ACCOUNT_HASH_LEN];
    char units[NACCOUNTS][DEMO_NAME_MAX];
};

static int create_users(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct account_demo *d = arg;
    int rc;

    for (size_t i = 0; i < NACCOUNTS; i++) {
        struct user_new in = {accounts[i].login, accounts[i].name, 0, accounts[i].roles,
                              d->hashes[i]};
        struct unit u;
        int64_t id;
        if ((rc = org_unit_by_code(c, d->a, accounts[i].unit, &u, ec)) < 0)
            return rc;
        in.unit_id = u.id;
        snprintf(d->units[i], sizeof(d->units[i]), "%s", u.name);
        if ((rc = account_user_create(c, d->a, d->p->actor, &in, &id, ec)) < 0)
            return rc;
    }
    return 0;
}

int account_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec)
{
    struct account_demo d = {.p = p, .a = arena_new()};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < NACCOUNTS; i++)
        rc = account_password_hash(accounts[i].password, "password", d.hashes[i], ec);
    if (rc == 0)
        rc = store_write(s, create_users, &d, ec);
    for (size_t i = 0; rc == 0 && i < NACCOUNTS && p->accounts && *p->naccounts < DEMO_ACCOUNTS_MAX;
         i++) {
        struct demo_account *out = &p->accounts[(*p->naccounts)++];
        snprintf(out->login, sizeof(out->login), "%s", accounts[i].login);
        snprintf(out->password, sizeof(out->password), "%s", accounts[i].password);
        snprintf(out->name, sizeof(out->name), "%s", accounts[i].name);
        snprintf(out->role, sizeof(out->role), "%s", accounts[i].role_label);
        snprintf(out->unit, sizeof(out->unit), "%s", d.units[i]);
    }
    arena_free(d.a);
    return rc;
}
