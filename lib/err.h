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

/* Room dk_quote needs: 80 bytes, each escaped as \xNN, and "...". */
#define DK_QUOTE_MAX (80 * 4 + 8)

/* Quotes at most 80 bytes of s (n bytes long) into dst for a message:
 * bytes that are not printable ASCII become \xNN, "..." marks a cut.
 * Returns dst, always NUL-terminated (cap >= DK_QUOTE_MAX). */
const char *dk_quote(char *dst, size_t cap, const void *s, size_t n);

/* Parses a whole decimal number from min to max, all of s; returns 0, or
 * -1 with errno EINVAL (not a number) or ERANGE (out of range). */
int dk_parse_number(const char *s, long long min, long long max, long long *out);

/* The program name used in messages; set once by main. */
extern const char *dk_prog;

#endif
