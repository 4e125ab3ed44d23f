/* ebuild-copy: copy an ebuild to a new version the way a bump needs it.
 * GPL-2.0-only. */
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "bump.h"
#include "lines.h"
#include "pkgdir.h"
#include "prog.h"
#include "version.h"

static const char synopsis[] =
    "usage: ebuild-copy [-D date] [-k mode] [-y year] < old > new\n"
    "       ebuild-copy [-fn] [-D date] [-k mode] [-y year] pkgdir old new\n"
    "       ebuild-copy [-fn] [-D date] [-k mode] [-y year] pkgdir < pairs\n";

static const struct prog_opt opts[] = {
	{ 'D', "date", "DATE", "SHA256SUM_DATE to set, YYYYMMDD (default today, UTC)" },
	{ 'f', "force", NULL, "overwrite an existing PN-NEW.ebuild" },
	{ 'k', "keywords", "MODE", "testing (default: stable arches to ~arch) or keep" },
	{ 'n', "dry-run", NULL, "say what would be copied, write nothing" },
	{ 'y', "year", "YEAR", "copyright year (default this year, UTC)" },
	{ 0 }
};

/* What the options ask of the tree form. */
struct copy_opts {
	int force, dry;
	struct bump_opts bump;
};

/* One copy to make: from the newest ebuild of old to PN-new.ebuild. */
struct pair {
	char *old, *new;
	long line;		/* of stdin, 0 for operands */
	char *src, *dst;	/* set by plan() */
};

/* Prints a problem of the pair's line (or of the operands). */
#define pair_problem(p, fmt, ...) \
	((p)->line ? dk_problem("<stdin>:%ld: " fmt, (p)->line, __VA_ARGS__) : dk_problem(fmt, __VA_ARGS__))

/* Finds what pair p copies in pd and checks it can be made; prints why
 * not. Returns 0 or -1. Nothing is written. */
static int
plan(const struct pkgdir *pd, struct pair *p, const struct copy_opts *co)
{
	const struct pkgdir_ebuild *from;
	struct buf have = { 0 };
	char *name, q[DK_QUOTE_MAX];
	struct stat st;
	size_t i;

	if (!(from = pkgdir_pick(pd, p->old))) {
		for (i = 0; i < pd->n && have.len < 400; i++)
			buf_printf(&have, " %s", pd->ebuilds[i].pvr);
		pair_problem(p, "%s: no ebuild of %s %s; versions there:%s%s", pd->dir, pd->pn,
		    dk_quote(q, sizeof q, p->old, strlen(p->old)),
		    have.len ? buf_str(&have) : " none", i < pd->n ? " ..." : "");
		buf_free(&have);
		return -1;
	}
	if (!(name = malloc(strlen(pd->pn) + strlen(p->new) + 9)))
		dk_die(DK_FAIL, "out of memory");
	sprintf(name, "%s-%s.ebuild", pd->pn, p->new);
	if (!(p->src = pkgdir_path(pd, from->file)) || !(p->dst = pkgdir_path(pd, name)))
		dk_die(DK_FAIL, "out of memory");
	free(name);
	if (!co->force && lstat(p->dst, &st) == 0) {
		pair_problem(p, "%s: exists (-f overwrites it)", p->dst);
		return -1;
	}
	return 0;
}

/* Makes the copy plan() found and prints the new path. Returns DK_OK or
 * DK_FAIL (reason printed). */
static int
copy(const struct pair *p, const struct copy_opts *co)
{
	struct buf in = { 0 }, out = { 0 };
	struct dk_err e;
	struct stat st;
	int rc = DK_FAIL;

	if (stat(p->src, &st) < 0) {
		dk_syserrf(&e, p->src, 0, "cannot stat");
		dk_perr(&e);
		goto out;
	}
	if (read_file(p->src, &in, &e) < 0 || bump_ebuild(p->src, in.s, in.len, &co->bump, &out, &e) < 0) {
		dk_perr(&e);
		goto out;
	}
	if (co->dry) {
		dk_warn("would copy %s to %s", p->src, p->dst);
	} else {
		dk_warn("copying %s to %s", p->src, p->dst);
		if (atomic_write(p->dst, out.s, out.len, st.st_mode & 07777, &e) < 0) {
			dk_perr(&e);
			goto out;
		}
	}
	printf("%s\n", p->dst);
	rc = DK_OK;
out:
	buf_free(&in);
	buf_free(&out);
	return rc;
}

/* Checks an OLD or NEW version of p; prints why it is bad. */
static int
good_version(const struct pair *p, const char *v)
{
	char q[DK_QUOTE_MAX];

	if (version_valid(v))
		return 1;
	pair_problem(p, "%s: not a valid version", dk_quote(q, sizeof q, v, strlen(v)));
	return 0;
}

/* Reads "OLD NEW" lines from stdin (blank lines and # comments skipped),
 * all of them checked before anything is copied; at most
 * DK_PROBLEMS_SHOWN problems are printed, then how many more. */
static int
read_pairs(struct pair **pairs, size_t *n)
{
	struct lines l;
	struct dk_err e;
	size_t cap = 0;
	ssize_t len;

	*pairs = NULL;
	*n = 0;
	prog_input(&l, "OLD NEW pairs");
	while ((len = lines_next_data(&l, &e)) >= 0) {
		struct pair p = { .line = l.lineno };
		char *f[3], *save = NULL, *s = l.line, q[DK_QUOTE_MAX];
		int nf = 0;

		dk_quote(q, sizeof q, l.line, (size_t)len);	/* before strtok cuts it */
		while (nf < 3 && (f[nf] = strtok_r(s, " \t\r", &save)))
			s = NULL, nf++;
		if (nf != 2) {
			pair_problem(&p, "want \"OLD NEW\", got \"%s\"", q);
			continue;
		}
		if (!good_version(&p, f[0]) || !good_version(&p, f[1]))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(*pairs = realloc(*pairs, cap * sizeof **pairs)))
				dk_die(DK_FAIL, "out of memory");
		}
		if (!(p.old = strdup(f[0])) || !(p.new = strdup(f[1])))
			dk_die(DK_FAIL, "out of memory");
		(*pairs)[(*n)++] = p;
	}
	lines_free(&l);
	if (e.msg[0]) {
		dk_perr(&e);
		return -1;
	}
	if (!dk_nproblems && *n == 0) {
		dk_warn("<stdin>: no \"OLD NEW\" lines");
		return -1;
	}
	return dk_nproblems ? -1 : 0;
}

static int
tree(const char *dir, const char *old, const char *new, const struct copy_opts *o)
{
	struct pkgdir pd;
	struct pair *pairs = NULL, one = { 0 };
	struct dk_err e;
	size_t n = 0, i;
	int rc = DK_OK;

	if (old) {
		one.old = (char *)old;
		one.new = (char *)new;
		if (!good_version(&one, old) + !good_version(&one, new))
			return DK_FAIL;
		pairs = &one;
		n = 1;
	} else if (read_pairs(&pairs, &n) < 0) {
		rc = DK_FAIL;
	}
	if (rc == DK_OK && pkgdir_load(&pd, dir, &e) < 0) {
		dk_perr(&e);
		rc = DK_FAIL;
	} else if (rc == DK_OK) {
		/* every pair checked before the first copy and line of output */
		for (i = 0; i < n; i++)
			plan(&pd, &pairs[i], o);
		if (dk_nproblems)
			rc = DK_FAIL;
		for (i = 0; i < n && rc == DK_OK; i++)
			if (copy(&pairs[i], o) != DK_OK)
				rc = DK_FAIL;
		pkgdir_free(&pd);
	}
	dk_problems();
	for (i = 0; i < n; i++) {
		if (pairs != &one) {
			free(pairs[i].old);
			free(pairs[i].new);
		}
		free(pairs[i].src);
		free(pairs[i].dst);
	}
	if (pairs != &one)
		free(pairs);
	return rc;
}

static int
filter(const struct bump_opts *o)
{
	struct buf in = { 0 }, out = { 0 };
	struct dk_err e;
	int rc = DK_OK;

	if (read_file("-", &in, &e) < 0 || bump_ebuild("<stdin>", buf_str(&in), in.len, o, &out, &e) < 0) {
		dk_perr(&e);
		rc = DK_FAIL;
	} else
		fwrite(out.s, 1, out.len, stdout);
	buf_free(&in);
	buf_free(&out);
	return rc;
}

int
main(int argc, char *argv[])
{
	static char year[8], date[16];
	struct copy_opts o = { .bump = { 0, year, date } };
	struct prog p = { .synopsis = synopsis, .opts = opts };
	time_t now = time(NULL);
	struct tm tm;
	int c, rc;

	prog_init(&p, argv[0]);
	gmtime_r(&now, &tm);
	strftime(year, sizeof year, "%Y", &tm);
	strftime(date, sizeof date, "%Y%m%d", &tm);
	while ((c = prog_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'D':
			if (!bump_date_valid(optarg))
				prog_usagef(&p, "--date: '%s' is not a date (YYYYMMDD)", optarg);
			o.bump.date = optarg;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'k':
			if (!strcmp(optarg, "keep"))
				o.bump.keep_keywords = 1;
			else if (!strcmp(optarg, "testing"))
				o.bump.keep_keywords = 0;
			else
				prog_usagef(&p, "--keywords: want keep or testing, not '%s'", optarg);
			break;
		case 'n':
			o.dry = 1;
			break;
		case 'y':
			if (!bump_year_valid(optarg))
				prog_usagef(&p, "--year: '%s' is not a year (YYYY)", optarg);
			o.bump.year = optarg;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	atomic_cleanup_on_signals();
	if (argc == 0 && !o.force && !o.dry)
		rc = filter(&o.bump);
	else if (argc == 1 || argc == 3)
		rc = tree(argv[0], argc == 3 ? argv[1] : NULL, argc == 3 ? argv[2] : NULL, &o);
	else
		prog_usage(&p);
	if (dk_close_stdout() != DK_OK)
		rc = DK_FAIL;
	return rc;
}
