/* dk: lines for a caller's log. GPL-2.0-only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "log.h"

int
log_line(FILE *log, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, ret;

	if (!log)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	ret = fputs(dk_prog, log) < 0 || fputs(": ", log) < 0 || fputs(s, log) < 0 || fputc('\n', log) < 0 ||
		fflush(log) != 0 ? -1 : 0;
	free(s);
	return ret;
}
