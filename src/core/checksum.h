/*
 * checksum.h - the identity numbers of Chinese records: checking and masking.
 *
 *   - Resident ID number (居民身份证号码, GB 11643-1999): 18 characters, a
 *     6-digit area code, the birth date YYYYMMDD, a 3-digit sequence (odd for
 *     men, even for women) and a check character over ISO 7064 MOD 11-2.
 *   - Unified social credit code (统一社会信用代码, GB 32100-2015): 18
 *     characters over "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z),
 *     positions 3-8 the administrative division (digits), check character
 *     over MOD 31.
 *   - Mainland telephone numbers: a mobile 1[3-9] + 9 digits, or a landline
 *     0 + 2-3 digit area code, an optional '-', 7-8 digits.
 *
 * A number is stored in its normalised form (upper case: a lowercase 'x' of
 * an ID or lowercase letters of a code are accepted and upper-cased), so that
 * an exact search finds it whatever case was typed.
 *
 * Masking, for roles that do not need the full numbers (core/access.h,
 * access_sees_personal_ids):
 *   resident ID  110105********1234   first 6 (area) and last 4 kept
 *   credit code  91350200********3A   first 8 (issuer, type, area: what the
 *                                     code says about the registrant's kind
 *                                     and place) and the last 2 kept
 *   mobile       138****5678          first 3 and last 4 kept
 *   landline     010-****5678         area code and last 4 kept
 * Every masked form hides 8 (ID, code) or at least 4 (phone) characters and
 * keeps the length, so a person can still tell two numbers apart on a list
 * without the list disclosing either.
 *
 * Codes that fail the check are refused here; LEGAL.md notes that some USCCs
 * issued in practice fail it, and the enterprise register (a later issue)
 * lets an officer override that with a reason.
 */
#ifndef FAZHI_CORE_CHECKSUM_H
#define FAZHI_CORE_CHECKSUM_H

#include "core/err.h"
#include "core/time.h"

#define CHECKSUM_ID_LEN    18 /* resident ID and USCC alike */
#define CHECKSUM_PHONE_MAX 16 /* longest phone accepted: "0755-12345678" and NUL fit */

/* Why a number failed, so that the message can say what to fix. */
enum checksum_status {
    CHECKSUM_OK = 0,
    CHECKSUM_LENGTH,  /* not 18 characters */
    CHECKSUM_CHARSET, /* a character not allowed at its position */
    CHECKSUM_AREA,    /* area or division code that cannot be */
    CHECKSUM_DATE,    /* birth date not a real date, or in the future */
    CHECKSUM_CHECK,   /* the check character does not match */
};

/*
 * Checks resident ID number 's' as of local date 'today' (NULL: today in
 * China Standard Time). On CHECKSUM_OK, 'norm' (may be NULL; at least
 * CHECKSUM_ID_LEN + 1 bytes) gets the number with a lowercase 'x' upper-cased.
 * Birth years from 1800 are accepted (people born in the 19th century hold
 * valid numbers, as LEGAL.md's 440524188001010014 shows).
 */
enum checksum_status checksum_resident_id(const char *s, const struct date *today, char *norm);

/* True when 's' is a valid resident ID number today. */
bool checksum_resident_id_valid(const char *s);

/*
 * checksum_resident_id() as of today, reporting a failure as ERR_INVALID
 * naming 'field' with a Chinese message ("身份证号码校验位不正确", ...).
 * 'norm' as above.
 */
int checksum_resident_id_check(const char *s, const char *field, char *norm, struct err_ctx *ec);

/*
 * The birth date and sex encoded in a valid resident ID number: *gender is
 * 'M' (odd sequence) or 'F' (even). Returns 0, or -1 when 'id' is not a
 * well-formed 18-character number. Either out-parameter may be NULL.
 */
int checksum_resident_id_info(const char *id, struct date *birth, char *gender);

/* Checks unified social credit code 's'; 'norm' as for the resident ID
 * (the code upper-cased). */
enum checksum_status checksum_uscc(const char *s, char *norm);

/* True when 's' is a valid unified social credit code. */
bool checksum_uscc_valid(const char *s);

/* checksum_uscc() reporting a failure as ERR_INVALID naming 'field'. */
int checksum_uscc_check(const char *s, const char *field, char *norm, struct err_ctx *ec);

/* True for a mainland mobile (1[3-9]\d{9}) or landline (0\d{2,3}-?\d{7,8}). */
bool checksum_phone_valid(const char *s);

/* checksum_phone_valid() reporting a failure as ERR_INVALID naming 'field'. */
int checksum_phone_check(const char *s, const char *field, struct err_ctx *ec);

/*
 * The masked forms described above, written into out[size] (NUL-terminated,
 * truncated to fit). A value of an unexpected shape (as a legacy import
 * might hold) is masked all but its last 4 characters, and entirely when it
 * has 4 or fewer: masking never fails open.
 */
void checksum_mask_resident_id(const char *s, char *out, size_t size);
void checksum_mask_uscc(const char *s, char *out, size_t size);
void checksum_mask_phone(const char *s, char *out, size_t size);

#endif
