/* dk: error messages. GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

const char *dk_prog = "dk";

static void
vset(struct dk_err *e, const char *file, long line, const char *fmt, va_list ap, int errnum)
{
	size_t n = 0;
	int r;

	if (!e)
		return;
	e->msg[0] = '\0';
	if (file && line > 0)
		r = snprintf(e->msg, sizeof e->msg, "%s:%ld: ", file, line);
	else if (file)
		r = snprintf(e->msg, sizeof e->msg, "%s: ", file);
	else
		r = 0;
	if (r > 0)
		n = (size_t)r < sizeof e->msg ? (size_t)r : sizeof e->msg - 1;
	r = vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof e->msg - n ? (size_t)r : sizeof e->msg - n - 1;
	if (errnum)
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
}

int
dk_errf(struct dk_err *e, const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(e, file, line, fmt, ap, 0);
	va_end(ap);
	return -1;
}

int
dk_syserrf(struct dk_err *e, const char *file, long line, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vset(e, file, line, fmt, ap, errnum ? errnum : EIO);
	va_end(ap);
	errno = errnum;
	return -1;
}

const char *
dk_quote(char *dst, size_t cap, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i, k = 0;

	if (cap == 0)
		return dst;
	for (i = 0; i < n && i < 80 && k + 9 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			dst[k++] = (char)p[i];
		else
			k += (size_t)snprintf(dst + k, cap - k, "\\x%02x", p[i]);
	}
	if (i < n && k + 4 <= cap) {
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k < cap ? k : cap - 1] = '\0';
	return dst;
}

int
dk_parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}
