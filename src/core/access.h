/*
 * access.h - who is asking, and the one access check.
 *
 * A principal is the authenticated caller of a request or a CLI run: a user
 * (through a session cookie) or an API token, with a set of roles and a unit
 * of the organisation tree. It sees that unit's subtree. Units carry a
 * materialised path ("/1/4/12/": the ids from the root down, each followed
 * by '/'), so "unit U is in scope of principal P" is a prefix test that SQL
 * can also do with an index: path >= P.path AND path < P.path || '~'.
 *
 * Every handler calls access_require() (or, for lists, filters by
 * principal->unit_path) before it touches data: the role and scope rules live
 * here and nowhere else.
 */
#ifndef FAZHI_CORE_ACCESS_H
#define FAZHI_CORE_ACCESS_H

#include "core/err.h"

/* The roles of DESIGN.md; a user holds one or more. */
enum role {
    ROLE_STAFF = 1u << 0,    /* 工作人员: records ledgers, handles matters */
    ROLE_OFFICER = 1u << 1,  /* 执法人员: certified enforcement officer */
    ROLE_MEDIATOR = 1u << 2, /* 调解员 */
    ROLE_ADVISER = 1u << 3,  /* 法律顾问 */
    ROLE_LEADER = 1u << 4,   /* 领导: sees everything in scope, approves, signs off */
    ROLE_ADMIN = 1u << 5,    /* 系统管理员: users, units, catalogs */
};

#define ROLE_ALL 0x3fu

/*
 * An event of this type ends the live streams opened with the credential its
 * payload names: {"user_id":N} (every session of the user), {"session_id":N}
 * or {"token_id":N}. It is recorded with unit path "" and topic
 * ACCESS_REVOKED_TOPIC, so that it is in no subscriber's scope and never
 * replayed, in the same unit of work as the change that revokes: a user
 * disabled or given another password, roles or unit; a session ended; an
 * API token revoked.
 */
#define ACCESS_REVOKED_EVENT "auth.revoked"
#define ACCESS_REVOKED_TOPIC "internal:auth"
#define UNIT_PATH_MAX        256
#define ACTOR_MAX            48

struct principal {
    int64_t user_id;    /* the user, or 0 for an API token without one */
    int64_t token_id;   /* the API token used, or 0 */
    int64_t session_id; /* the session used, or 0 */
    unsigned roles;     /* enum role bits */
    int64_t unit_id;
    char unit_path[UNIT_PATH_MAX];
    char login[64];        /* user login or token name, for logs */
    char actor[ACTOR_MAX]; /* the audit actor: "user:12", "token:3", "cli:root" */
    char csrf_token[64];   /* of the session; "" for tokens */
    int64_t expires_at_ms; /* when the session ends; 0 for tokens */
};

/* Parses "staff,leader" into role bits; returns 0, or -1 naming no known role. */
int role_parse_list(const char *s, unsigned *out);

/* Writes the role names of 'roles', comma-separated, into buf. */
void role_format_list(unsigned roles, char *buf, size_t size);

/* The English code and the Chinese name of one role bit. */
const char *role_code(unsigned role);
const char *role_label(unsigned role);

/* True if 'p' holds any of the roles in 'any_of' (admin holds every role). */
bool access_has_role(const struct principal *p, unsigned any_of);

/* True if the unit with materialised path 'unit_path' is in p's subtree. */
bool access_in_scope(const struct principal *p, const char *unit_path);

/*
 * The access check. Fails with ERR_UNAUTHENTICATED when p is NULL,
 * ERR_FORBIDDEN when p holds none of 'any_of' (0 = any authenticated caller),
 * and, when unit_path is not NULL, ERR_FORBIDDEN if that unit is outside p's
 * scope. Handlers reading one record by id report a scope failure as
 * ERR_NOT_FOUND instead, so that records outside scope are not disclosed.
 */
int access_require(const struct principal *p, unsigned any_of, const char *unit_path,
                   struct err_ctx *ec);

/*
 * access_require() for what only an administrator of the whole deployment
 * may do (catalogs, webhooks): ROLE_ADMIN placed at a root unit ("/N/"), or
 * the CLI ("/"). ERR_FORBIDDEN otherwise: "只有根单位的系统管理员可以<what>".
 */
int access_require_root_admin(const struct principal *p, const char *what, struct err_ctx *ec);

/*
 * True when p may see personal identity numbers and phone numbers in full
 * (resident ID, unified social credit code of a person's business, phone).
 * The rule: admin, officer and mediator do - officers and mediators serve
 * documents on people and must identify them; the administrator maintains
 * the registers. Staff, adviser and leader see them masked
 * (core/checksum.h), and so does an API token holding none of those roles.
 * NULL (anonymous, or the audit log) sees them masked.
 */
bool access_sees_personal_ids(const struct principal *p);

/* Writes the audit actor of p: p->actor when set, else "user:12" or
 * "token:3", or "system" for NULL. */
void access_actor(const struct principal *p, char *buf, size_t size);

#endif
