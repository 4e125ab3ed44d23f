/* dk: lines for a log the caller opened (a target's build log): the
 * library prints nothing of its own, it only adds to a stream it was
 * handed. GPL-2.0-only. */
#ifndef DK_LOG_H
#define DK_LOG_H

#include <stdio.h>

/* Appends "PROG: fmt..." and a newline to log (NULL: nothing), flushed
 * so that a reader of the file sees it at once. Returns 0, or -1 when
 * the line could not be made or written. */
int log_line(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
