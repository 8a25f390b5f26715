/*
 * banned.h - functions that must not be used in fazhi.
 *
 * Each is either unbounded (strcpy, strcat, sprintf, gets), hides errors
 * (atoi) or keeps hidden state (strtok). Using one is a compile error that
 * names the function. Use the strbuf and str_* helpers of core/str.h, snprintf
 * and str_to_int64 instead. Included last by compat.h, after the system
 * headers that declare them.
 */
#ifndef FAZHI_BANNED_H
#define FAZHI_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)

#endif
