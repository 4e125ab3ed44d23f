/* dk: making directories, the one helper every program that lays files
 * out (packages, logs, uploads to file://) uses. GPL-2.0-only. */
#ifndef DK_DIRS_H
#define DK_DIRS_H

#include <sys/types.h>

#include "err.h"

/* Makes path and every missing parent, as mkdir -p, new ones with mode
 * (before the umask); any length. Returns 0 when path is a directory at
 * the end, or -1 with e naming the part that failed (ENOTDIR when a part
 * exists and is not a directory). */
int dirs_make(const char *path, mode_t mode, struct dk_err *e);

#endif
