/* dk: the ebuilds of one package directory, by version. GPL-2.0-only. */
#ifndef DK_PKGDIR_H
#define DK_PKGDIR_H

#include <stddef.h>

#include "err.h"

struct pkgdir_ebuild {
	char *file;	/* "gentoo-kernel-6.6.30-r1.ebuild" */
	char *pv;	/* "6.6.30" */
	char *pvr;	/* "6.6.30-r1" ("6.6.30" for r0) */
};

struct pkgdir {
	char *dir;	/* as given, for messages and joined paths */
	char *pn;	/* the package name: the directory's own name */
	struct pkgdir_ebuild *ebuilds;	/* oldest first, by PMS order */
	size_t n;
};

/* Lists the PN-PVR.ebuild files of dir (other names are ignored).
 * Returns 0 or -1 with e set. */
int pkgdir_load(struct pkgdir *pd, const char *dir, struct dk_err *e);
/* The newest ebuild whose version is v, or v-rN when v has no revision
 * (PMS order: "6.1.4" never matches "6.1.40"), or NULL. */
const struct pkgdir_ebuild *pkgdir_pick(const struct pkgdir *pd, const char *v);
/* dir "/" name, malloc'ed (NULL when out of memory). */
char *pkgdir_path(const struct pkgdir *pd, const char *name);
/* Frees what pkgdir_load made. */
void pkgdir_free(struct pkgdir *pd);

#endif
