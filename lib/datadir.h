/* dk: where the installed data (Dockerfile templates, contrib scripts)
 * is, found relative to the program so that any PREFIX or DESTDIR works
 * without a rebuild. GPL-2.0-only. */
#ifndef DK_DATADIR_H
#define DK_DATADIR_H

#include <stddef.h>

#include "err.h"

/* The data directory of the program at exe (NULL: this one, from
 * /proc/self/exe), into out (size n): BINDIR/../share/dk when it exists,
 * else the build tree's contrib/ beside cmd/ (or asan/cmd/), so an
 * uninstalled program finds it too. Returns 0, or -1 with e set when
 * neither exists. */
int dk_datadir(const char *exe, char *out, size_t n, struct dk_err *e);

#endif
