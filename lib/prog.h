/* dk: the programs' half of the message format: printing and exit codes.
 * Included by cmd/ only; the library itself never prints or exits.
 * GPL-2.0-only. */
#ifndef DK_PROG_H
#define DK_PROG_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Exit codes of every program (documented in each page's EXIT STATUS). */
enum { DK_OK = 0, DK_FAIL = 1, DK_USAGE = 2 };

/* "prog: message" on stderr. */
static inline void __attribute__((format(printf, 1, 2), unused))
dk_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* "prog: message" on stderr, then exit(status). */
static inline void __attribute__((format(printf, 2, 3), noreturn, unused))
dk_die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* Prints a library error as "prog: message". */
static inline void __attribute__((unused))
dk_perr(const struct dk_err *e)
{
	fprintf(stderr, "%s: %s\n", dk_prog, e->msg[0] ? e->msg : "unknown error");
}

/* Sets dk_prog from argv[0]. */
static inline void __attribute__((unused))
dk_setprog(const char *argv0)
{
	const char *s = argv0 ? strrchr(argv0, '/') : NULL;

	dk_prog = s ? s + 1 : (argv0 ? argv0 : "dk");
}

/* Flushes and closes stdout, so "prog > /dev/full" fails: returns 0 or
 * prints the error and returns DK_FAIL. */
static inline int __attribute__((unused))
dk_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		dk_warn("write error: standard output: %s", strerror(errno ? errno : EIO));
		return DK_FAIL;
	}
	return DK_OK;
}

#endif
