/* diff-export: write local.diff, the tree changes the build images apply,
 * checked first. GPL-2.0-only. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "diff.h"
#include "lines.h"
#include "prog.h"
#include "spawn.h"

static const char synopsis[] =
	"usage: diff-export [-Is] [-b BASE] [-C DIR] [-o FILE] [-p CAT/PKG] [-t TREE]\n"
	"       diff-export [-Is] [-o FILE] [-p CAT/PKG] [-t TREE] -\n";

static const struct prog_opt opts[] = {
	{ 'b', "base", "BASE", "the commit or branch to diff against (default origin)" },
	{ 'C', "directory", "DIR", "the gentoo.git checkout (default .)" },
	{ 'I', "digest", NULL, "print only the diff's SHA-256 digest" },
	{ 'o', "output", "FILE", "write the diff to FILE (atomically), not stdout" },
	{ 'p', "package", "CAT/PKG", "every path must be in CAT/PKG (repeatable)" },
	{ 's', "summary", NULL, "print the ebuilds added and removed per package" },
	{ 't', "tree", "TREE", "prove that the diff applies to directory TREE" },
	{ 0 }
};

/* ^C while -o is being written: the old file stays, the new one goes. */
static void
on_signal(int sig)
{
	const char *tmp = atomic_pending();

	if (tmp)
		unlink(tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A relative GIT_DIR or GIT_WORK_TREE means the caller's directory, not
 * the -C one git is run in. */
static void
absolute_env(const char *name)
{
	const char *v = getenv(name);
	char *abs;

	if (!v || !*v || *v == '/' || !(abs = realpath(v, NULL)))
		return;
	setenv(name, abs, 1);
	free(abs);
}

/* Runs git in dir; its output in out. Returns its exit status, or -1 with
 * e set; on failure e holds git's first line of complaint. */
static int
git(const char *dir, char *const argv[], struct buf *out, struct dk_err *e)
{
	struct buf err = { 0 };
	int r = spawn_run(argv, dir, NULL, out, &err, e);

	if (r > 0) {
		size_t n = strcspn(buf_str(&err), "\n");

		dk_errf(e, NULL, 0, "%s %s: %.*s", argv[0], argv[1], (int)n,
			n ? buf_str(&err) : "failed");
	}
	buf_free(&err);
	return r;
}

/* The commit of base (or of origin, else origin/HEAD) into id[72]
 * (SHA-1 or SHA-256 object names). */
static int
resolve_base(const char *dir, const char **base, char id[72], struct dk_err *e)
{
	const char *tries[] = { *base, NULL };
	struct buf out = { 0 }, spec = { 0 };
	size_t i;
	int r = -1;

	if (!*base) {
		tries[0] = "origin";
		tries[1] = "origin/HEAD";
	}
	{
		char *argv[] = { "git", "rev-parse", "--git-dir", NULL };

		if (git(dir, argv, &out, e) != 0)
			goto done;
	}
	for (i = 0; i < 2 && tries[i]; i++) {
		char *argv[] = { "git", "rev-parse", "--verify", "--quiet", NULL, NULL };
		struct dk_err ignored;

		buf_reset(&spec);
		buf_reset(&out);
		buf_printf(&spec, "%s^{commit}", tries[i]);
		argv[4] = spec.s;
		size_t n;

		if (spawn_run(argv, dir, NULL, &out, NULL, &ignored) == 0 &&
		    (n = strcspn(buf_str(&out), "\n")) >= 40 && n < 72) {
			memcpy(id, out.s, n);
			id[n] = '\0';
			*base = tries[i];
			r = 0;
			goto done;
		}
	}
	if (*base)
		dk_errf(e, NULL, 0, "base %s: no such commit", *base);
	else
		dk_errf(e, NULL, 0, "neither origin nor origin/HEAD exists: give the base with -b");
done:
	buf_free(&out);
	buf_free(&spec);
	return r;
}

/* A new ebuild not yet added to git is missing from the diff without a
 * word from git diff: warn about every untracked file in the packages the
 * diff touches. */
static void
warn_untracked(const char *dir, const struct diff *d)
{
	struct buf out = { 0 };
	struct dk_err e;
	char **pkgs, **argv;
	size_t n, i, k = 0;
	const char *p;

	if (diff_packages(d, &pkgs, &n) < 0 || !(argv = calloc(n + 8, sizeof *argv))) {
		if (pkgs)
			for (i = 0; i < n; i++)
				free(pkgs[i]);
		free(pkgs);
		return;
	}
	argv[k++] = "git";
	argv[k++] = "ls-files";
	argv[k++] = "-z";
	argv[k++] = "--full-name";
	argv[k++] = "--others";
	argv[k++] = "--exclude-standard";
	argv[k++] = "--";
	for (i = 0; i < n; i++) {
		char *spec = NULL;

		if (asprintf(&spec, ":(top,literal)%s", pkgs[i]) < 0)
			spec = NULL;
		free(pkgs[i]);
		pkgs[i] = spec;
		if (spec)
			argv[k++] = spec;
	}
	if (n && spawn_run(argv, dir, NULL, &out, NULL, &e) == 0)
		for (p = buf_str(&out); p < buf_str(&out) + out.len; p += strlen(p) + 1)
			dk_warn("warning: %s is not tracked by git: not in the diff", p);
	for (i = 0; i < n; i++)
		free(pkgs[i]);
	free(pkgs);
	free(argv);
	buf_free(&out);
}

int
main(int argc, char *argv[])
{
	const char *base = NULL, *dir = NULL, *outpath = NULL, *tree = NULL;
	char **limits = NULL, hex[65], id[72];
	size_t nlimits = 0;
	int c, digest = 0, table = 0, from_stdin = 0, status = DK_FAIL;
	struct buf text = { 0 }, name = { 0 }, tab = { 0 };
	struct diff d = { 0 };
	struct dk_err e;
	struct prog p = { .synopsis = synopsis, .opts = opts };

	prog_init(&p, argv[0]);
	if (!(limits = calloc((size_t)argc, sizeof *limits)))
		dk_die(DK_FAIL, "out of memory");
	while ((c = prog_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 'C': dir = optarg; break;
		case 'I': digest = 1; break;
		case 'o': outpath = optarg; break;
		case 'p': limits[nlimits++] = optarg; break;
		case 's': table = 1; break;
		case 't': tree = optarg; break;
		}
	}
	if (argc - optind > 1 || (argc - optind == 1 && strcmp(argv[optind], "-")))
		prog_usage(&p);
	from_stdin = argc - optind == 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (from_stdin && (base || dir))
		prog_usagef(&p, "--base and --directory name a checkout: not with -");
	if (digest && table)
		prog_usagef(&p, "--digest and --summary exclude each other");

	if (from_stdin) {
		buf_adds(&name, "<stdin>");
		if (read_file("-", &text, &e) < 0)
			goto fail;
	} else {
		char *gargv[] = { "git", "diff", "--no-color", "--no-ext-diff", "--no-textconv",
			"--no-relative", "--src-prefix=a/", "--dst-prefix=b/", id, "--", NULL };

		struct stat st;

		/* Else git's chdir fails as "cannot run git". */
		if (dir && stat(dir, &st) < 0)
			dk_die(DK_FAIL, "%s: %s", dir, strerror(errno));
		if (dir && !S_ISDIR(st.st_mode))
			dk_die(DK_FAIL, "%s: %s", dir, strerror(ENOTDIR));
		if (dir) {
			absolute_env("GIT_DIR");
			absolute_env("GIT_WORK_TREE");
		}
		if (resolve_base(dir, &base, id, &e) < 0 || git(dir, gargv, &text, &e) != 0)
			goto fail;
		buf_printf(&name, "git diff %s", base);
	}
	if (diff_parse(&d, name.s, text.s ? text.s : "", text.len, &e) < 0 ||
	    (nlimits && diff_check_limits(&d, limits, nlimits, &e) < 0) ||
	    (tree && diff_check_apply(&d, tree, &e) < 0) ||
	    diff_sha256(&d, hex, &e) < 0 ||
	    (outpath && atomic_write(outpath, d.text, d.len, 0644, &e) < 0))
		goto fail;
	if (digest) {
		printf("%s\n", hex);
	} else if (table) {
		if (diff_table(&d, &tab) < 0)
			dk_die(DK_FAIL, "out of memory");
		fwrite(tab.s, 1, tab.len, stdout);
	} else if (!outpath) {
		fwrite(d.text, 1, d.len, stdout);
	}
	if (!from_stdin)
		warn_untracked(dir, &d);
	/* the summary says it worked: only once stdout is known written */
	if ((status = dk_close_stdout()) == DK_OK && !digest)
		fprintf(stderr, "%zu files, %zu packages, +%ld -%ld, sha256 %s\n",
			d.nfiles, diff_npackages(&d), d.added, d.removed, hex);
	goto done;
fail:
	dk_perr(&e);
done:
	diff_free(&d);
	buf_free(&text);
	buf_free(&name);
	buf_free(&tab);
	free(limits);
	return status;
}
