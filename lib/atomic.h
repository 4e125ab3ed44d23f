/* dk: writing files so that a failure or ^C leaves the old one. GPL-2.0-only. */
#ifndef DK_ATOMIC_H
#define DK_ATOMIC_H

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

/* A file being written in the target's directory: unnamed (O_TMPFILE)
 * where the file system has it, so a kill -9 leaves nothing, else under a
 * locked temporary name that the next atomic_open of the same target
 * removes once its writer is gone. */
struct atomic_file {
	char *path;	/* the final name */
	char *tmp;	/* the temporary name, NULL once committed or aborted */
	FILE *fp;	/* write the new contents here */
	int anon;	/* private: still unnamed */
};

/* Output files are regular files only: returns 1 when path is one, 0 when
 * it does not exist, or -1 with e set for a symbolic link or any other
 * kind of file (never followed). st (may be NULL) gets its lstat. */
int atomic_check_output(const char *path, struct stat *st, struct dk_err *e);
/* Opens a temporary file beside path for writing, after atomic_check_output
 * and removing stale temporary files of path. The new file gets the mode
 * of an existing path, else mode (umask applied unless exact is set).
 * Returns 0 or -1 with e set. */
int atomic_open(struct atomic_file *af, const char *path, mode_t mode, int exact, struct dk_err *e);
/* Flushes, fsyncs and renames the temporary file over path (checked
 * again: a regular file or none), then fsyncs the directory. On failure the temporary file is removed and path untouched.
 * Returns 0 or -1 with e set. */
int atomic_commit(struct atomic_file *af, struct dk_err *e);
/* Drops the temporary file; path is untouched. Safe to call twice. */
void atomic_abort(struct atomic_file *af);
/* Writes n bytes of data to path atomically (mode as for atomic_open).
 * Returns 0 or -1 with e set. */
int atomic_write(const char *path, const void *data, size_t n, mode_t mode, struct dk_err *e);
/* The temporary name currently open, if any, for a signal handler to
 * unlink (async-signal-safe to read). */
const char *atomic_pending(void);
/* Installs SIGHUP, SIGINT and SIGTERM handlers that remove the pending
 * temporary file, then die of the signal as before. */
void atomic_cleanup_on_signals(void);

#endif
