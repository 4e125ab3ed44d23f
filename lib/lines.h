/* dk: reading text input: lines of any length with their numbers, and
 * whole files. GPL-2.0-only. */
#ifndef DK_LINES_H
#define DK_LINES_H

#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct lines {
	FILE *fp;
	const char *name;	/* for messages: the file name, or "<stdin>" */
	long lineno;		/* number of the line last returned */
	char *line;		/* the line, NUL-terminated, newline removed */
	size_t cap;
};

/* Starts reading fp, naming it name in messages. */
void lines_init(struct lines *l, FILE *fp, const char *name);
/* Reads the next line into l->line; returns its length (>= 0), or -1 at
 * the end of input or on a read error (then e->msg is set; it is empty at
 * a clean end). */
ssize_t lines_next(struct lines *l, struct dk_err *e);
/* As lines_next, for line-oriented input (pairs, targets, fetch lists):
 * skips blank lines and lines whose first non-blank is '#', and trims the
 * blanks around the line it returns; l->lineno stays the file's. */
ssize_t lines_next_data(struct lines *l, struct dk_err *e);
/* Frees the line buffer (does not close fp). */
void lines_free(struct lines *l);

/* Reads all of path ("-" = stdin, which may be a pipe) into b; a path that
 * is not a regular file (a FIFO, a device, a directory) is refused without
 * blocking. Returns 0 or -1 with e set. */
int read_file(const char *path, struct buf *b, struct dk_err *e);

#endif
