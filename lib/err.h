/* dk: error messages kept by the library for the programs to print. GPL-2.0-only. */
#ifndef DK_ERR_H
#define DK_ERR_H

#include <stddef.h>

/* The one message format (style.md): "[file:line: ]message[: strerror]".
 * The library fills it; the program prefixes "prog: " and prints it. */
struct dk_err {
	char msg[1024];
};

/* Sets e to "file:line: fmt..." (no file when file is NULL, no line when
 * line is 0); e may be NULL. Always returns -1, so "return dk_errf(...)". */
int dk_errf(struct dk_err *e, const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* As dk_errf, with ": strerror(errno)" appended (errno as on entry). */
int dk_syserrf(struct dk_err *e, const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The program name used in messages; set once by main. */
extern const char *dk_prog;

#endif
