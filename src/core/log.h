/*
 * log.h - one line per event, to stderr.
 *
 * Format: "2026-03-01T09:30:00.123+08:00 INFO  <message>". Each line is
 * written with one write(2), so lines of concurrent threads never interleave.
 * The level is set once at start-up (--log-level or FAZHI_LOG_LEVEL).
 */
#ifndef FAZHI_CORE_LOG_H
#define FAZHI_CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Sets the lowest level written. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "debug", "info", "warn", "error", "off"; returns 0 or -1. */
int log_parse_level(const char *s, enum log_level *out);

void log_write(enum log_level level, const char *fmt, ...) FZ_PRINTF(2, 3);

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
