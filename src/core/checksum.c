/*
 * checksum.c - resident ID numbers, unified social credit codes, phone
 * numbers: the check digits of GB 11643 and GB 32100, and masking.
 *
 * Pure functions over bytes: no allocation, no locale (isdigit and toupper
 * depend on it), so the same input gives the same answer in every process.
 */
#include "core/compat.h"
#include "core/checksum.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* ================================================================
 * Resident ID number (GB 11643-1999)
 * ================================================================ */

/* The first two digits: provinces, autonomous regions and municipalities
 * (GB/T 2260), plus 81/82/83, the codes of the residence permits of Hong
 * Kong, Macao and Taiwan residents. */
static bool province_valid(int code)
{
    static const unsigned char codes[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                          35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                          53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
    for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
        if (codes[i] == code)
            return true;
    return false;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* date_valid() stops at 1900; ID numbers of people born before it exist. */
static bool birth_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int max;

    if (y < 1800 || m < 1 || m > 12 || d < 1)
        return false;
    max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

enum checksum_status checksum_resident_id(const char *s, const struct date *today, char *norm)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char checks[] = "10X98765432";
    struct date now;
    int sum = 0, y, m, d;
    char last;

    if (!s || strlen(s) != CHECKSUM_ID_LEN)
        return CHECKSUM_LENGTH;
    for (int i = 0; i < 17; i++)
        if (!is_digit(s[i]))
            return CHECKSUM_CHARSET;
    last = upper(s[17]);
    if (!is_digit(last) && last != 'X')
        return CHECKSUM_CHARSET;
    if (!province_valid(digits(s, 2)))
        return CHECKSUM_AREA;
    y = digits(s + 6, 4);
    m = digits(s + 10, 2);
    d = digits(s + 12, 2);
    if (!today) {
        now = date_of_instant(time_now_ms());
        today = &now;
    }
    if (!birth_valid(y, m, d) || (int64_t)y * 10000 + m * 100 + d >
                                     (int64_t)today->year * 10000 + today->month * 100 + today->day)
        return CHECKSUM_DATE;
    for (int i = 0; i < 17; i++)
        sum += (s[i] - '0') * weights[i];
    if (checks[sum % 11] != last)
        return CHECKSUM_CHECK;
    if (norm) {
        memcpy(norm, s, 17);
        norm[17] = last;
        norm[18] = '\0';
    }
    return CHECKSUM_OK;
}

bool checksum_resident_id_valid(const char *s)
{
    return checksum_resident_id(s, NULL, NULL) == CHECKSUM_OK;
}

int checksum_resident_id_check(const char *s, const char *field, char *norm, struct err_ctx *ec)
{
    switch (checksum_resident_id(s, NULL, norm)) {
    case CHECKSUM_OK:
        return 0;
    case CHECKSUM_LENGTH:
        return err_set(ec, ERR_INVALID, field, "身份证号码应为 18 位");
    case CHECKSUM_CHARSET:
        return err_set(ec, ERR_INVALID, field, "身份证号码前 17 位应为数字，最后一位为数字或 X");
    case CHECKSUM_AREA:
        return err_set(ec, ERR_INVALID, field, "身份证号码的地区码无效");
    case CHECKSUM_DATE:
        return err_set(ec, ERR_INVALID, field, "身份证号码中的出生日期无效");
    case CHECKSUM_CHECK:
        break;
    }
    return err_set(ec, ERR_INVALID, field, "身份证号码校验位不正确");
}

int checksum_resident_id_info(const char *id, struct date *birth, char *gender)
{
    if (!id || strlen(id) != CHECKSUM_ID_LEN)
        return -1;
    for (int i = 0; i < 17; i++)
        if (!is_digit(id[i]))
            return -1;
    if (birth)
        *birth = (struct date){digits(id + 6, 4), digits(id + 10, 2), digits(id + 12, 2)};
    if (gender)
        *gender = (id[16] - '0') % 2 ? 'M' : 'F';
    return 0;
}

/* ================================================================
 * Unified social credit code (GB 32100-2015)
 * ================================================================ */

static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int uscc_value(char c)
{
    const char *p = c ? strchr(uscc_charset, c) : NULL;
    return p ? (int)(p - uscc_charset) : -1;
}

enum checksum_status checksum_uscc(const char *s, char *norm)
{
    static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    char code[CHECKSUM_ID_LEN + 1];
    int sum = 0;

    if (!s || strlen(s) != CHECKSUM_ID_LEN)
        return CHECKSUM_LENGTH;
    for (int i = 0; i < CHECKSUM_ID_LEN; i++) {
        code[i] = upper(s[i]);
        if (uscc_value(code[i]) < 0)
            return CHECKSUM_CHARSET;
    }
    code[CHECKSUM_ID_LEN] = '\0';
    for (int i = 2; i < 8; i++)
        if (!is_digit(code[i]))
            return CHECKSUM_AREA;
    for (int i = 0; i < 17; i++)
        sum += uscc_value(code[i]) * weights[i];
    if (uscc_charset[(31 - sum % 31) % 31] != code[17])
        return CHECKSUM_CHECK;
    if (norm)
        memcpy(norm, code, sizeof(code));
    return CHECKSUM_OK;
}

bool checksum_uscc_valid(const char *s)
{
    return checksum_uscc(s, NULL) == CHECKSUM_OK;
}

int checksum_uscc_check(const char *s, const char *field, char *norm, struct err_ctx *ec)
{
    switch (checksum_uscc(s, norm)) {
    case CHECKSUM_OK:
        return 0;
    case CHECKSUM_LENGTH:
        return err_set(ec, ERR_INVALID, field, "统一社会信用代码应为 18 位");
    case CHECKSUM_CHARSET:
        return err_set(ec, ERR_INVALID, field,
                       "统一社会信用代码只能含数字和大写字母（不含 I、O、S、V、Z）");
    case CHECKSUM_AREA:
    case CHECKSUM_DATE:
        return err_set(ec, ERR_INVALID, field, "统一社会信用代码第 3 至 8 位应为行政区划码");
    case CHECKSUM_CHECK:
        break;
    }
    return err_set(ec, ERR_INVALID, field, "统一社会信用代码校验位不正确");
}

/* ================================================================
 * Telephone numbers
 * ================================================================ */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

bool checksum_phone_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    const char *dash;

    if (n == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9' && all_digits(s, n))
        return true;
    if (n == 0 || s[0] != '0')
        return false;
    dash = strchr(s, '-');
    if (dash) {
        size_t area = (size_t)(dash - s), local = n - area - 1;
        return (area == 3 || area == 4) && (local == 7 || local == 8) && all_digits(s, area) &&
               all_digits(dash + 1, local);
    }
    /* Without the dash, 3 + 7 up to 4 + 8 digits. */
    return n >= 10 && n <= 12 && all_digits(s, n);
}

int checksum_phone_check(const char *s, const char *field, struct err_ctx *ec)
{
    if (checksum_phone_valid(s))
        return 0;
    return err_set(ec, ERR_INVALID, field,
                   "电话号码应为 11 位手机号码，或区号加 7 到 8 位号码（如 010-12345678）");
}

/* ================================================================
 * Masking
 * ================================================================ */

/* Keeps 'head' leading and 'tail' trailing bytes of s and stars the rest;
 * when the value is too short for that, keeps at most its last 4 (none when
 * it has 4 or fewer). */
static void mask_keep(const char *s, size_t head, size_t tail, char *out, size_t size)
{
    size_t n = s ? strlen(s) : 0;

    if (!size)
        return;
    if (n <= head + tail) {
        head = 0;
        tail = n > 4 ? 4 : 0;
    }
    for (size_t i = 0; i < n && i + 1 < size; i++)
        out[i] = i < head || i >= n - tail ? s[i] : '*';
    out[n < size ? n : size - 1] = '\0';
}

void checksum_mask_resident_id(const char *s, char *out, size_t size)
{
    if (s && strlen(s) == CHECKSUM_ID_LEN)
        mask_keep(s, 6, 4, out, size);
    else
        mask_keep(s, 0, 4, out, size);
}

void checksum_mask_uscc(const char *s, char *out, size_t size)
{
    if (s && strlen(s) == CHECKSUM_ID_LEN)
        mask_keep(s, 8, 2, out, size);
    else
        mask_keep(s, 0, 4, out, size);
}

void checksum_mask_phone(const char *s, char *out, size_t size)
{
    const char *dash = s ? strchr(s, '-') : NULL;

    if (dash && strlen(dash + 1) > 4)
        mask_keep(s, (size_t)(dash - s) + 1, 4, out, size);
    else if (s && strlen(s) >= 10 && !dash)
        mask_keep(s, 3, 4, out, size);
    else
        mask_keep(s, 0, 4, out, size);
}
