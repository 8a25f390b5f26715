/*
 * blob.h - uploaded files kept outside the database, named by content.
 *
 * A blob is a file DIR/ab/abcdef... named by the lower-case hex SHA-256 of
 * its bytes (its first two characters name the subdirectory, so that no
 * directory grows past a few thousand entries). The database stores the
 * name; the bytes never go through SQLite. The same bytes stored twice are
 * one file, and a name says what its file holds, so a file once written is
 * never changed.
 *
 * blob_put() is durable when it returns: the bytes go to a temporary file in
 * the same directory, which is fsync'd, renamed into place, and the directory
 * fsync'd (so is DIR when the subdirectory was new). A crash leaves either
 * no file or the whole file under its name, and at worst a ".tmp-" file to
 * remove. Files and directories are private to the server's user (0600,
 * 0700).
 *
 * A store holds no lock and no open descriptor: any number of threads may
 * call blob_put() and blob_get() on one store at once.
 */
#ifndef FAZHI_STORE_BLOB_H
#define FAZHI_STORE_BLOB_H

#include "core/arena.h"
#include "core/err.h"

struct blob_store;

/* Length of a blob's name: 64 lower-case hex characters (SHA-256). */
#define BLOB_NAME_LEN 64

/*
 * Opens the store in 'dir', creating that directory (mode 0700; its parent
 * must exist) when it is missing. ERR_IO naming the directory when it
 * cannot be created or is not a directory.
 */
int blob_store_open(const char *dir, struct blob_store **out, struct err_ctx *ec);

/* Frees the handle (the files stay). NULL is a no-op. */
void blob_store_free(struct blob_store *bs);

/*
 * Stores data[0..len) and writes its name (64 hex characters and a NUL)
 * into hex. A blob already present is left as it is. ERR_IO on a failed
 * write (disk full...), with no file left under the name.
 */
int blob_put(struct blob_store *bs, const void *data, size_t len, char hex[BLOB_NAME_LEN + 1],
             struct err_ctx *ec);

/*
 * Reads the blob named 'hex' into the arena: *data (followed by a NUL byte
 * not counted in *len) and *len. ERR_NOT_FOUND when there is none, and for
 * any name that is not 64 lower-case hex characters (so a name from a
 * request can never reach another path); ERR_IO when it cannot be read.
 */
int blob_get(struct blob_store *bs, const char *hex, struct arena *a, const void **data,
             size_t *len, struct err_ctx *ec);

/* True if 'hex' is a well-formed blob name (64 lower-case hex characters). */
bool blob_name_ok(const char *hex);

#endif
