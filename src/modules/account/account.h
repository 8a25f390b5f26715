/*
 * account.h - users, passwords, browser sessions, API tokens, login limits.
 *
 * Passwords are argon2id strings (libsodium crypto_pwhash_str, interactive
 * limits). Hashing takes ~0.1 s and 64 MiB on purpose, so it is never done
 * inside a unit of work (it would stall the single writer): callers hash
 * first with account_password_hash(), then write.
 *
 * Session and API tokens are 256 random bits, given to the client once and
 * stored only as their SHA-256, so a copy of the database does not let
 * anyone in. Sessions last ACCOUNT_SESSION_TTL_MS from login; disabling a
 * user or changing a password ends the user's sessions at once.
 *
 * Failed logins are limited in memory, per account (5 in 15 minutes) and per
 * client address (20 in 15 minutes); a locked key answers ERR_RATE_LIMIT for
 * 15 minutes even for the right password. The counters are per process: with
 * several instances on PostgreSQL the limit is per instance. An account lock
 * is lifted when an administrator changes the account afterwards (a password
 * reset, with `fazhi user passwd` or the API).
 */
#ifndef FAZHI_MODULES_ACCOUNT_H
#define FAZHI_MODULES_ACCOUNT_H

#include <jansson.h>

#include "core/access.h"
#include "core/err.h"

struct arena;
struct store;
struct store_conn;

#define ACCOUNT_SESSION_COOKIE "fazhi_session"
#define ACCOUNT_SESSION_TTL_MS (12LL * 3600 * 1000)
#define ACCOUNT_TOKEN_LEN      64  /* buffer size for a session or API token */
#define ACCOUNT_HASH_LEN       128 /* buffer size for an argon2id string */

struct user {
    int64_t id;
    const char *login;
    const char *name;
    int64_t unit_id;
    const char *unit_code, *unit_name, *unit_path;
    unsigned roles;
    bool disabled;
    int64_t created_at_ms, updated_at_ms;
};

struct user_new {
    const char *login;
    const char *name;
    int64_t unit_id;
    unsigned roles;
    const char *password_hash; /* from account_password_hash() */
};

/* A change to a user; only the members marked set are applied. */
struct user_change {
    const char *name;          /* NULL: unchanged */
    const char *password_hash; /* NULL: unchanged */
    bool set_roles, set_disabled, set_unit;
    unsigned roles;
    bool disabled;
    int64_t unit_id;
};

struct api_token {
    int64_t id;
    const char *name, *prefix;
    unsigned roles;
    int64_t unit_id;
    const char *unit_code;
    const char *created_by;
    int64_t created_at_ms, revoked_at_ms;
};

/* ---- passwords ---- */

/*
 * Checks the password policy (8 to 128 bytes, not all one character class
 * for short ones) and hashes it into out[ACCOUNT_HASH_LEN]. ERR_INVALID
 * naming 'field' when the policy is not met.
 */
int account_password_hash(const char *password, const char *field, char *out, struct err_ctx *ec);

/* ---- users (inside store_read / store_write callbacks) ---- */

/* Checks and creates a user, with its audit entry. p must be an admin whose
 * scope holds the unit. */
int account_user_create(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct user_new *in, int64_t *id, struct err_ctx *ec);

int account_user_get(struct store_conn *c, struct arena *a, int64_t id, struct user *out,
                     struct err_ctx *ec);
int account_user_by_login(struct store_conn *c, struct arena *a, const char *login,
                          struct user *out, struct err_ctx *ec);

/* Users whose unit is in p's scope, by login; *items is an arena array. */
int account_user_list(struct store_conn *c, struct arena *a, const struct principal *p,
                      struct user **items, size_t *n, struct err_ctx *ec);

/* Applies a change, with its audit entry; ends the user's sessions when the
 * password changes or the user is disabled. */
int account_user_update(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, const struct user_change *ch, struct err_ctx *ec);

/* A user as JSON (no password hash). */
json_t *account_user_json(const struct user *u);

/* ---- sessions ---- */

struct login_result {
    struct user user;
    int64_t session_id;
    char token[ACCOUNT_TOKEN_LEN]; /* for the cookie; shown once */
    char csrf[ACCOUNT_TOKEN_LEN];
    int64_t expires_at_ms;
};

/*
 * Checks the limits, verifies the password and opens a session. Fails with
 * ERR_RATE_LIMIT when the account or address is locked and ERR_UNAUTHENTICATED
 * ("用户名或密码错误", the same for an unknown login) otherwise.
 */
int account_login(struct store *s, struct arena *a, const char *login, const char *password,
                  const char *client_ip, struct login_result *out, struct err_ctx *ec);

/* Ends the session p was authenticated by. */
int account_logout(struct store *s, const struct principal *p, struct err_ctx *ec);

/*
 * Resolves credentials to a principal. 'bearer' (an API token) wins over
 * 'session_token' (the cookie); either may be NULL. Returns 1 with *out
 * filled, 0 for no (or a stale) session cookie, ERR_UNAUTHENTICATED for an
 * unknown or revoked API token, or another negative enum err.
 */
int account_authenticate(struct store *s, const char *session_token, const char *bearer,
                         struct principal *out, struct err_ctx *ec);

/* ---- API tokens (inside callbacks) ---- */

/* Creates a token for 'roles' at 'unit_id'; the token text goes to
 * token_out[ACCOUNT_TOKEN_LEN] and is never stored. */
int account_token_create(struct store_conn *c, struct arena *a, const struct principal *p,
                         const char *name, unsigned roles, int64_t unit_id, char *token_out,
                         int64_t *id, struct err_ctx *ec);

int account_token_list(struct store_conn *c, struct arena *a, const struct principal *p,
                       struct api_token **items, size_t *n, struct err_ctx *ec);

/* Revokes token 'id' (ERR_NOT_FOUND when unknown or outside p's scope). */
int account_token_revoke(struct store_conn *c, struct arena *a, const struct principal *p,
                         int64_t id, struct err_ctx *ec);

json_t *account_token_json(const struct api_token *t);

struct demo_params;

/* The module's demo hook (account_demo.c, modules/demo.h): the demo
 * accounts, handed back in p->accounts for the command to print. */
int account_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec);

/* Roles as a JSON array of codes, and back ("roles" field errors). */
json_t *account_roles_json(unsigned roles);
int account_roles_from_json(json_t *v, const char *field, unsigned *out, struct err_ctx *ec);

#endif
