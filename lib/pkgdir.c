/* dk: the ebuilds of one package directory. GPL-2.0-only. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgdir.h"
#include "version.h"

static int
by_version(const void *a, const void *b)
{
	const struct pkgdir_ebuild *x = a, *y = b;
	int r = version_cmp(x->pvr, y->pvr);

	return r ? r : strcmp(x->file, y->file);
}

/* Adds name when it is PN-PVR.ebuild; 0, or -1 out of memory. */
static int
add(struct pkgdir *pd, const char *name, size_t *cap)
{
	size_t len = strlen(name);
	char *pf, *pn = NULL, *pv = NULL, *pr = NULL;
	struct pkgdir_ebuild *eb;
	int rc = -1;

	if (len <= 7 || strcmp(name + len - 7, ".ebuild") != 0)
		return 0;
	if (!(pf = strndup(name, len - 7)))
		return -1;
	if (version_split_pf(pf, &pn, &pv, &pr) < 0 || strcmp(pn, pd->pn) != 0) {
		rc = 0;
		goto out;
	}
	if (pd->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;

		if (!(eb = realloc(pd->ebuilds, ncap * sizeof *eb)))
			goto out;
		pd->ebuilds = eb;
		*cap = ncap;
	}
	eb = &pd->ebuilds[pd->n];
	eb->file = strdup(name);
	eb->pvr = strcmp(pr, "r0") ? malloc(strlen(pv) + strlen(pr) + 2) : strdup(pv);
	eb->pv = pv;
	if (!eb->file || !eb->pvr) {
		free(eb->file);
		free(eb->pvr);
		goto out;
	}
	if (strcmp(pr, "r0"))
		sprintf(eb->pvr, "%s-%s", pv, pr);
	pv = NULL;
	pd->n++;
	rc = 0;
out:
	free(pf);
	free(pn);
	free(pv);
	free(pr);
	return rc;
}

int
pkgdir_load(struct pkgdir *pd, const char *dir, struct dk_err *e)
{
	char real[PATH_MAX], *slash;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	memset(pd, 0, sizeof *pd);
	/* The name of "." or "sys-kernel/gentoo-kernel/" is the last part
	 * of the real path. */
	if (!realpath(dir, real))
		return dk_syserrf(e, dir, 0, "cannot open package directory");
	slash = strrchr(real, '/');
	if (!(pd->dir = strdup(dir)) || !(pd->pn = strdup(slash ? slash + 1 : real)))
		goto nomem;
	if (!(d = opendir(dir))) {
		dk_syserrf(e, dir, 0, "cannot open package directory");
		pkgdir_free(pd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if (!(de = readdir(d)))
			break;
		if (add(pd, de->d_name, &cap) < 0) {
			closedir(d);
			goto nomem;
		}
	}
	if (errno) {
		dk_syserrf(e, dir, 0, "cannot read package directory");
		closedir(d);
		pkgdir_free(pd);
		return -1;
	}
	closedir(d);
	if (pd->n)
		qsort(pd->ebuilds, pd->n, sizeof *pd->ebuilds, by_version);
	return 0;
nomem:
	dk_syserrf(e, dir, 0, "cannot list package directory");
	pkgdir_free(pd);
	return -1;
}

const struct pkgdir_ebuild *
pkgdir_pick(const struct pkgdir *pd, const char *v)
{
	char *base = version_strip_rev(v);
	int has_rev = base && strcmp(base, v) != 0;
	const struct pkgdir_ebuild *best = NULL;
	size_t i;

	free(base);
	/* Sorted oldest first: the last match is the newest. */
	for (i = 0; i < pd->n; i++)
		if (version_cmp(has_rev ? pd->ebuilds[i].pvr : pd->ebuilds[i].pv, v) == 0)
			best = &pd->ebuilds[i];
	return best;
}

char *
pkgdir_path(const struct pkgdir *pd, const char *name)
{
	size_t dl = strlen(pd->dir);
	int slash = dl && pd->dir[dl - 1] == '/';
	char *p = malloc(dl + strlen(name) + 2);

	if (p)
		sprintf(p, "%s%s%s", pd->dir, slash ? "" : "/", name);
	return p;
}

void
pkgdir_free(struct pkgdir *pd)
{
	size_t i;

	for (i = 0; i < pd->n; i++) {
		free(pd->ebuilds[i].file);
		free(pd->ebuilds[i].pv);
		free(pd->ebuilds[i].pvr);
	}
	free(pd->ebuilds);
	free(pd->dir);
	free(pd->pn);
	memset(pd, 0, sizeof *pd);
}
