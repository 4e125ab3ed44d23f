/* dk: kernel.org's releases.json, and the bump list it gives against the
 * dist-kernel packages of a tree. GPL-2.0-only. */
#ifndef DK_RELEASES_H
#define DK_RELEASES_H

#include <stddef.h>

#include "err.h"

/* One stable or longterm release of releases.json (mainline and
 * linux-next have no series to bump and are left out). */
struct release {
	char *series;		/* "6.18" */
	char *version;		/* "6.18.2" ("6.19" for a series' first release) */
	char *moniker;		/* "stable" or "longterm" */
	int eol;		/* iseol: upstream ends the series with it */
	long line;		/* where it is in the file */
};

struct releases {
	struct release *v;
	size_t n;
};

/* What one series is, between the tree and upstream. */
enum series_state {
	SERIES_DUE,		/* upstream has a newer release: a bump */
	SERIES_CURRENT,		/* the tree has upstream's newest */
	SERIES_NEW,		/* upstream only, newer than every series of the tree */
	SERIES_ABSENT,		/* upstream only, older than the tree's newest */
	SERIES_GONE,		/* the tree only: not on upstream's list */
};

struct series_row {
	char *series;
	char *tree;			/* newest version in the tree, or NULL */
	const struct release *up;	/* upstream's, or NULL */
	enum series_state state;
};

struct series_plan {
	struct series_row *v;	/* by series, oldest first (PMS order) */
	size_t n;
};

/* Returns 1 if v is a kernel version as kernel.org and the dist-kernel
 * ebuilds spell it ("6.18", "6.18.2", "6.18.2_p1", "6.18.2-r1"), else 0. */
int kver_valid(const char *v);
/* The series "MAJOR.MINOR" of a kernel version, malloc'ed, or NULL. */
char *kver_series(const char *v);

/* Parses a releases.json text; file names it in messages. Every release
 * needs a version and a moniker; a stable or longterm one whose version
 * is not a kernel version is an error. Returns 0, or -1 with e set to
 * "file:line[:col]: message". */
int releases_parse(struct releases *r, const char *file, const char *text, size_t len, struct dk_err *e);
/* Frees what releases_parse made. */
void releases_free(struct releases *r);

/* Adds the ebuilds of the package directory dir (CAT/PN of a checkout) to
 * the tree side of plan: each series' newest version by PMS, live
 * (9999) ebuilds left out. A missing directory, or one without a versioned
 * ebuild, is an error naming it. Returns 0 or -1 with e set. */
int series_add_pkgdir(struct series_plan *plan, const char *dir, struct dk_err *e);
/* Joins upstream's releases to the tree's series and sets every row's
 * state; plan keeps pointers into r. Returns 0 or -1 (ENOMEM). */
int series_join(struct series_plan *plan, const struct releases *r, struct dk_err *e);
/* Frees the plan. */
void series_free(struct series_plan *plan);

#endif
