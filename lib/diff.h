/* dk: unified diffs as git diff writes them: parsing, checking, and a dry
 * run of applying them to a directory. GPL-2.0-only. */
#ifndef DK_DIFF_H
#define DK_DIFF_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* One line of a hunk body. s points into diff.text after the '+', '-' or
 * ' ' and len includes the newline, unless "\ No newline at end of file"
 * followed the line. */
struct diff_line {
	char kind;		/* ' ', '-' or '+' */
	const char *s;
	size_t len;
};

struct diff_hunk {
	long old_start, old_count, new_start, new_count;
	long line;		/* the diff's line of the "@@" header */
	struct diff_line *lines;
	size_t nlines;
};

enum diff_kind { DIFF_MODIFY, DIFF_ADD, DIFF_DELETE, DIFF_RENAME, DIFF_COPY };

struct diff_file {
	char *old_path, *new_path;	/* prefix stripped; NULL for /dev/null */
	enum diff_kind kind;
	long line;			/* the diff's line where the file starts */
	long added, removed;
	struct diff_hunk *hunks;
	size_t nhunks;
};

struct diff {
	char *name;		/* for messages: a file name, "<stdin>"… */
	char *text;		/* the diff, unchanged, NUL-terminated (a copy) */
	size_t len;
	struct diff_file *files;
	size_t nfiles;
	long added, removed;
};

/* Parses text (len bytes) as a unified diff named name in messages. Rejects
 * an empty diff, binary files, hunks whose line counts disagree with their
 * headers (truncated diffs), and absolute paths or paths with "..". Returns
 * 0, or -1 with e set to "name:line: message". */
int diff_parse(struct diff *d, const char *name, const char *text, size_t len, struct dk_err *e);
/* Frees what diff_parse made. */
void diff_free(struct diff *d);

/* Checks that every path lies under one of the n prefixes ("CAT" or
 * "CAT/PN"). Returns 0, or -1 with e naming the first path outside. */
int diff_check_limits(const struct diff *d, char *const prefixes[], size_t n, struct dk_err *e);

/* Dry-runs applying d to the directory tree, exact context as git apply
 * (hunks may move, never fuzz), writing nothing. Returns 0, or -1 with e
 * naming the first hunk that fails: its diff line, file and line. */
int diff_check_apply(const struct diff *d, const char *tree, struct dk_err *e);

/* The package ("CAT/PN") path lies in, into out (at least as long as path
 * + 1); returns 0, or -1 when path is not inside a package directory. */
int diff_package_of(const char *path, char *out);
/* Number of distinct packages d touches. */
size_t diff_npackages(const struct diff *d);
/* The packages d touches ("CAT/PN", first seen first) into a malloc'ed
 * array of n malloc'ed strings. Returns 0 or -1 (ENOMEM). */
int diff_packages(const struct diff *d, char ***pkgs, size_t *n);
/* Appends the per-package table to out: a line per package, "CAT/PN" then
 * "+VER" per ebuild added, "-VER" per ebuild removed, "VER" per ebuild
 * changed (each in PMS version order) and the package-relative name of
 * every other file changed; a line with the path for each file outside
 * packages. Returns 0 or -1 (ENOMEM). */
int diff_table(const struct diff *d, struct buf *out);

/* The SHA-256 of the diff text as 64 lower-case hex digits into hex[65].
 * Returns 0, or -1 with e set. */
int diff_sha256(const struct diff *d, char hex[65], struct dk_err *e);

#endif
