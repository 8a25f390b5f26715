/*
 * replay.c - runs a fuzz target over files, without libFuzzer.
 *
 * Linked with one fuzz_*.c into build/asan/fuzz/<target> by `make
 * fuzz-replay`, so that the corpus is replayed under ASan and UBSan with the
 * ordinary compiler. Each argument is a file or a directory of files; with
 * none, the target replays fuzz/corpus/<its own name>/ (what `make check`
 * runs from the top of the tree). Each input replayed prints a TAP line, so
 * the test runner counts it; a crash stops the process and counts as a
 * failure.
 * (Built with clang -fsanitize=fuzzer, libFuzzer brings its own main and
 * this file is left out.)
 */
#include "core/compat.h"

#include <dirent.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t replayed;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, alloc = 0;

    if (!f) {
        perror(path);
        return -1;
    }
    for (;;) {
        size_t n;
        if (len == alloc) {
            alloc = alloc ? 2 * alloc : 4096;
            buf = realloc(buf, alloc);
            if (!buf) {
                fclose(f);
                return -1;
            }
        }
        n = fread(buf + len, 1, alloc - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    /* An exact-size copy, so that ASan sees any read past the input. */
    {
        unsigned char *exact = malloc(len ? len : 1);
        if (!exact) {
            free(buf);
            return -1;
        }
        if (len)
            memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        printf("ok %zu - %s\n", ++replayed, path);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int failed = 0;
    char fallback[512];
    char *default_args[2];

    if (argc < 2) {
        const char *name = strrchr(argv[0], '/');
        snprintf(fallback, sizeof(fallback), "fuzz/corpus/%s", name ? name + 1 : argv[0]);
        default_args[0] = argv[0];
        default_args[1] = fallback;
        argv = default_args;
        argc = 2;
    }

    for (int i = 1; i < argc; i++) {
        struct stat st;
        DIR *d;
        struct dirent *e;

        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= run_file(argv[i]) != 0;
            count++;
            continue;
        }
        if (!(d = opendir(argv[i]))) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            failed |= run_file(path) != 0;
            count++;
        }
        closedir(d);
    }
    printf("# %s: %zu inputs replayed%s\n", argv[0], count, failed ? ", some unreadable" : "");
    if (count == 0) {
        printf("not ok %zu - no input found\n", replayed + 1);
        failed = 1;
    }
    return failed;
}
