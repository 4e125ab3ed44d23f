/* dk: error messages. GPL-2.0-only. */
#include <errno.h>
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
