/*
 * embedded.h - the files of conf/ compiled into the program.
 *
 * Catalogs and templates ship in conf/ as data, and the program must run
 * from any directory without them beside it, so `tools/embed.c files`
 * turns every file under conf/ into build/gen/embedded.c at build time.
 * Names are the paths relative to conf/ ("ledger-kinds.json",
 * "reports/annual.md"). Each file's bytes are followed by a NUL that 'len'
 * does not count, so text files can be handed to string parsers as they are.
 */
#ifndef FAZHI_CORE_EMBEDDED_H
#define FAZHI_CORE_EMBEDDED_H

struct embedded_file {
    const char *name; /* path relative to conf/ */
    const char *data; /* len bytes, then a NUL */
    size_t len;
};

/* Every embedded file, sorted by name. */
extern const struct embedded_file embedded_files[];
extern const size_t embedded_files_count;

/* The embedded file with this name, or NULL. */
const struct embedded_file *embedded_file_find(const char *name);

#endif
