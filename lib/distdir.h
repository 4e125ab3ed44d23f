/* dk: DISTDIR, found as portage and pkgdev find it. GPL-2.0-only. */
#ifndef DK_DISTDIR_H
#define DK_DISTDIR_H

#include "err.h"

/* The distfiles directory, malloc'ed: arg (a -d option) when not NULL,
 * else $DISTDIR when set and not empty, else what "portageq distdir"
 * prints (when portage is there), else /var/cache/distfiles. Returns NULL
 * with e set only when out of memory. */
char *distdir_find(const char *arg, struct dk_err *e);
/* Makes dir ready to receive files: created with its parents (mode 0755,
 * as pkgdev does) when missing, then checked to be a writable directory.
 * Returns 0, or -1 with e set to one line: "DISTDIR dir: ...". */
int distdir_ready(const char *dir, struct dk_err *e);

#endif
