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

/* Copies the newest ebuild of version old in pd to PN-new.ebuild and
 * prints the new path. Returns DK_OK or DK_FAIL (reason printed). */
static int
copy(const struct pkgdir *pd, const char *old, const char *new, const struct copy_opts *co)
{
	const struct pkgdir_ebuild *from;
	char *src = NULL, *dst = NULL, *name = NULL;
	struct buf in = { 0 }, out = { 0 }, have = { 0 };
	struct dk_err e;
	struct stat st;
	size_t i;
	int rc = DK_FAIL;

	if (!(from = pkgdir_pick(pd, old))) {
		for (i = 0; i < pd->n; i++)
			buf_printf(&have, " %s", pd->ebuilds[i].pvr);
		dk_warn("%s: no ebuild of %s %s; versions there:%s", pd->dir, pd->pn, old,
		    have.len ? buf_str(&have) : " none");
		buf_free(&have);
		return DK_FAIL;
	}
	if (!(name = malloc(strlen(pd->pn) + strlen(new) + 9)))
		dk_die(DK_FAIL, "out of memory");
	sprintf(name, "%s-%s.ebuild", pd->pn, new);
	if (!(src = pkgdir_path(pd, from->file)) || !(dst = pkgdir_path(pd, name)))
		dk_die(DK_FAIL, "out of memory");
	if (!co->force && lstat(dst, &st) == 0) {
		dk_warn("%s: exists (-f overwrites it)", dst);
		goto out;
	}
	if (stat(src, &st) < 0) {
		dk_syserrf(&e, src, 0, "cannot stat");
		dk_perr(&e);
		goto out;
	}
	if (read_file(src, &in, &e) < 0 || bump_ebuild(src, in.s, in.len, &co->bump, &out, &e) < 0) {
		dk_perr(&e);
		goto out;
	}
	if (co->dry) {
		dk_warn("would copy %s to %s", src, dst);
	} else {
		dk_warn("copying %s to %s", src, dst);
		if (atomic_write(dst, out.s, out.len, st.st_mode & 07777, &e) < 0) {
			dk_perr(&e);
			goto out;
		}
	}
	printf("%s\n", dst);
	rc = DK_OK;
out:
	free(name);
	free(src);
	free(dst);
	buf_free(&in);
	buf_free(&out);
	return rc;
}

/* Checks an OLD or NEW version operand; prints why it is bad. */
static int
good_version(const char *where, long line, const char *v)
{
	if (version_valid(v))
		return 1;
	if (where)
		dk_warn("%s:%ld: %s: not a valid version", where, line, v);
	else
		dk_warn("%s: not a valid version", v);
	return 0;
}

struct pair {
	char *old, *new;
};

/* Reads "OLD NEW" lines from stdin (blank lines and # comments skipped),
 * all of them checked before anything is copied. */
static int
read_pairs(struct pair **pairs, size_t *n)
{
	struct lines l;
	struct dk_err e;
	size_t cap = 0;
	int bad = 0;

	*pairs = NULL;
	*n = 0;
	prog_input(&l, "OLD NEW pairs");
	while (lines_next_data(&l, &e) >= 0) {
		char *f[3], *save = NULL, *s = l.line;
		int nf = 0;

		while (nf < 3 && (f[nf] = strtok_r(s, " \t\r", &save)))
			s = NULL, nf++;
		if (nf != 2) {
			dk_warn("%s:%ld: want \"OLD NEW\", got \"%s\"", l.name, l.lineno, f[0]);
			bad = 1;
			continue;
		}
		if (!good_version(l.name, l.lineno, f[0]) || !good_version(l.name, l.lineno, f[1])) {
			bad = 1;
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(*pairs = realloc(*pairs, cap * sizeof **pairs)))
				dk_die(DK_FAIL, "out of memory");
		}
		if (!((*pairs)[*n].old = strdup(f[0])) || !((*pairs)[*n].new = strdup(f[1])))
			dk_die(DK_FAIL, "out of memory");
		(*n)++;
	}
	lines_free(&l);
	if (e.msg[0]) {
		dk_perr(&e);
		return -1;
	}
	if (!bad && *n == 0) {
		dk_warn("<stdin>: no \"OLD NEW\" lines");
		return -1;
	}
	return bad ? -1 : 0;
}

static int
tree(const char *dir, const char *old, const char *new, const struct copy_opts *o)
{
	struct pkgdir pd;
	struct pair *pairs = NULL;
	struct dk_err e;
	size_t n = 0, i;
	int rc = DK_OK;

	if (old && (!good_version(NULL, 0, old) || !good_version(NULL, 0, new)))
		return DK_FAIL;
	if (!old && read_pairs(&pairs, &n) < 0)
		rc = DK_FAIL;
	else if (pkgdir_load(&pd, dir, &e) < 0) {
		dk_perr(&e);
		rc = DK_FAIL;
	} else {
		if (old)
			rc = copy(&pd, old, new, o);
		for (i = 0; i < n; i++)
			if (copy(&pd, pairs[i].old, pairs[i].new, o) != DK_OK)
				rc = DK_FAIL;
		pkgdir_free(&pd);
	}
	for (i = 0; i < n; i++) {
		free(pairs[i].old);
		free(pairs[i].new);
	}
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
