/*
 * log.c - leveled log lines with a China Standard Time stamp.
 */
#include "core/compat.h"
#include "core/log.h"
#include "core/time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <unistd.h>

static _Atomic int log_level = LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void log_set_level(enum log_level level)
{
    log_level = (int)level;
}

enum log_level log_get_level(void)
{
    return (enum log_level)log_level;
}

int log_parse_level(const char *s, enum log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char line[2048];
    size_t n;
    int m;
    va_list ap;

    if ((int)level < log_level || level >= LOG_OFF)
        return;
    time_format_instant(time_now_ms(), line, sizeof(line));
    n = strlen(line);
    m = snprintf(line + n, sizeof(line) - n, " %s ", level_names[level]);
    if (m > 0)
        n += (size_t)m;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2; /* truncated: keep the newline */
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nowhere left to report it */
    }
}
