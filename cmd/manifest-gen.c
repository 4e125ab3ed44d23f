/* manifest-gen: fetch what is missing, hash, write Manifest DIST entries.
 * GPL-2.0-only. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "atomic.h"
#include "buf.h"
#include "distdir.h"
#include "fetch.h"
#include "hash.h"
#include "lines.h"
#include "manifest.h"
#include "pkgsrc.h"
#include "prog.h"
#include "sha256sums.h"
#include "srcuri.h"

#define DEFAULT_KEYRING "/usr/share/openpgp-keys/kernel.org.asc"

static const char synopsis[] =
	"usage: manifest-gen [-cflqu] [-d DISTDIR] [-j N] [-K KEYRING] [-M FILE] [-t SECONDS]\n"
	"                    [--mirror URL] [--no-verify-sig] [EBUILD | PKGDIR | -] ...\n";

enum { OPT_MIRROR = PROG_LONG, OPT_NO_VERIFY_SIG };

static const struct prog_opt opts[] = {
	{ 'c', "check", NULL, "check DISTDIR against the Manifest, a line per file" },
	{ 'd', "distdir", "DISTDIR", "where the distfiles are (default $DISTDIR, portageq distdir, /var/cache/distfiles)" },
	{ 'f', "force", NULL, "fetch and hash again what the Manifest has; take changed files" },
	{ 'j', "jobs", "N", "transfers at once, 1 to 64 (default 4)" },
	{ 'K', "keyring", "KEYRING", "OpenPGP keyring for sha256sums.asc" },
	{ 'l', "list", NULL, "print the fetch list and stop" },
	{ 'M', "thirdpartymirrors", "FILE", "expand mirror:// with this thirdpartymirrors file" },
	{ 'q', "quiet", NULL, "no progress line and no notes" },
	{ 't', "timeout", "SECONDS", "stall and connect timeout (default 30)" },
	{ 'u', "update", NULL, "rewrite PKGDIR/Manifest in place" },
	{ OPT_MIRROR, "mirror", "URL", "a distfiles mirror to try first (repeatable; not GENTOO_MIRRORS)" },
	{ OPT_NO_VERIFY_SIG, "no-verify-sig", NULL, "skip the sha256sums.asc checks, with a warning" },
	{ 0 }
};

/* -m was a mirror, -S "skip signatures": -m is git's and pkgdev's message,
 * -S their signing. */
static const struct prog_alias aliases[] = {
	{ 'm', NULL, OPT_MIRROR },
	{ 'S', NULL, OPT_NO_VERIFY_SIG },
	{ 0 }
};

/* A package: its directory, its distfiles and its old Manifest. */
struct pkg {
	char *dir;
	int whole;		/* every ebuild of dir read: -u may drop unused entries */
	struct srcuri_list files;
	struct manifest m;
	char *mpath;
	int loaded;
};

/* How a distfile's entry comes about. */
enum how { HOW_LOCAL, HOW_KEPT, HOW_FETCH };

/* One distfile of the run, whichever packages want it. */
struct distfile {
	struct srcuri_file src;			/* its name and upstream URLs */
	const struct manifest_entry *expect;	/* the old entry, if any */
	enum how how;
	int sig;		/* in a directory that a sha256sums.asc covers */
	int asc;		/* is such a sha256sums.asc */
	int have;		/* r holds its digests */
	struct hash_result r;
	char **urls;		/* mirrors first, then upstream */
	size_t nurls;
};

/* What one repository root gives every package under it: the eclass
 * directory and the thirdpartymirrors, read once. */
struct tree {
	char *root;		/* NULL: packages outside any repository */
	char *eclassdir;	/* NULL: none */
	struct srcuri_mirrors mirrors;	/* its profiles/thirdpartymirrors */
	int own;		/* mirrors is read; else -M or the built-in ones */
};

/* The options. */
struct gen_opts {
	int check, force, list, quiet, nosig, update;
	const char *distdir, *keyring, *mirrors_file;
	int jobs;
	long stall;
	char **mirrors;
	size_t nmirrors;
};

/* The whole state of a run, passed down from main. */
struct gen {
	struct gen_opts opt;
	struct pkg *pkgs;
	size_t npkgs;
	struct srcuri_list all;		/* while reading: every package's files, merged */
	struct distfile *files;		/* then: one per distfile, in first-seen order */
	size_t nfiles;
	struct tree *trees;
	size_t ntrees;
	struct srcuri_mirrors given;	/* -M, or the built-in mirrors for fetch lists */
	int have_given;
	char *mirrors_env;		/* GENTOO_MIRRORS, split in place */
};

/* A problem that fails the run; all are counted before exiting, the
 * first ten printed. */
#define err_add(...) dk_problem(__VA_ARGS__)

static void
note(void *arg, const char *msg)
{
	const struct gen *g = arg;

	if (!g->opt.quiet)
		dk_warn("%s", msg);
}

static struct pkg *
pkg_get(struct gen *g, const char *dir, int whole)
{
	size_t i;
	struct pkg *p;

	for (i = 0; i < g->npkgs; i++)
		if (!strcmp(g->pkgs[i].dir, dir)) {
			g->pkgs[i].whole |= whole;
			return &g->pkgs[i];
		}
	if (!(p = realloc(g->pkgs, (g->npkgs + 1) * sizeof *p)))
		dk_die(DK_FAIL, "out of memory");
	g->pkgs = p;
	p = &g->pkgs[g->npkgs++];
	memset(p, 0, sizeof *p);
	if (!(p->dir = strdup(dir)) || asprintf(&p->mpath, "%s/Manifest", dir) < 0)
		dk_die(DK_FAIL, "out of memory");
	p->whole = whole;
	return p;
}

/* Adds file f (from a package's list) to the run's list. */
static int
union_add(struct gen *g, const struct srcuri_file *f, struct dk_err *e)
{
	size_t i;

	if (srcuri_add(&g->all, f->name, NULL, NULL, e) < 0)
		return -1;
	for (i = 0; i < f->nurls; i++)
		if (srcuri_add(&g->all, f->name, f->urls[i], NULL, e) < 0)
			return -1;
	return 0;
}

/* The mirrors of -M, else the built-in ones: read once. */
static const struct srcuri_mirrors *
mirrors_given(struct gen *g)
{
	struct dk_err e;

	if (g->have_given)
		return &g->given;
	if (g->opt.mirrors_file ? srcuri_mirrors_load(&g->given, g->opt.mirrors_file, &e) < 0 :
	    srcuri_mirrors_builtin(&g->given, &e) < 0)
		dk_die(DK_FAIL, "%s", e.msg);
	g->have_given = 1;
	return &g->given;
}

/* What the repository around pkgdir gives its packages, read the first
 * time a package of that repository is seen. */
static const struct tree *
tree_for(struct gen *g, const char *pkgdir)
{
	char *root = pkgsrc_repo_root(pkgdir), *path = NULL;
	struct tree *t;
	struct stat st;
	struct dk_err e;
	size_t i;

	for (i = 0; i < g->ntrees; i++)
		if (root ? g->trees[i].root && !strcmp(g->trees[i].root, root) : !g->trees[i].root) {
			free(root);
			return &g->trees[i];
		}
	if (!(t = realloc(g->trees, (g->ntrees + 1) * sizeof *t)))
		dk_die(DK_FAIL, "out of memory");
	g->trees = t;
	t = &g->trees[g->ntrees++];
	memset(t, 0, sizeof *t);
	t->root = root;
	if (root && asprintf(&t->eclassdir, "%s/eclass", root) >= 0 &&
	    (stat(t->eclassdir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		free(t->eclassdir);
		t->eclassdir = NULL;
	}
	/* -M wins over every repository's own list */
	if (!g->opt.mirrors_file && root && asprintf(&path, "%s/profiles/thirdpartymirrors", root) >= 0 &&
	    access(path, R_OK) == 0) {
		if (srcuri_mirrors_load(&t->mirrors, path, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
		t->own = 1;
	}
	free(path);
	return t;
}

/* The mirrors a package of tree t expands mirror:// with. */
static const struct srcuri_mirrors *
tree_mirrors(struct gen *g, const struct tree *t)
{
	return t->own ? &t->mirrors : mirrors_given(g);
}

static void
add_ebuild(struct gen *g, struct pkg *p, const char *path)
{
	const struct tree *t = tree_for(g, p->dir);
	struct srcuri_list one = { 0 };
	struct dk_err e;
	size_t i;

	if (pkgsrc_ebuild(path, t->eclassdir, tree_mirrors(g, t), &one, note, g, &e) < 0) {
		err_add("%s", e.msg);
	} else {
		for (i = 0; i < one.n; i++) {
			struct srcuri_file *f = &one.v[i];
			size_t k;

			if (srcuri_add(&p->files, f->name, NULL, NULL, &e) < 0)
				dk_die(DK_FAIL, "%s", e.msg);
			for (k = 0; k < f->nurls; k++)
				if (srcuri_add(&p->files, f->name, f->urls[k], NULL, &e) < 0)
					dk_die(DK_FAIL, "%s", e.msg);
			if (union_add(g, f, &e) < 0)
				dk_die(DK_FAIL, "%s", e.msg);
		}
	}
	srcuri_free(&one);
}

static int
ebuild_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 7 && !strcmp(d->d_name + n - 7, ".ebuild") && d->d_name[0] != '.';
}

static void
add_pkgdir(struct gen *g, const char *dir)
{
	struct dirent **ents;
	struct pkg *p;
	int n, i;

	n = scandir(dir, &ents, ebuild_name, alphasort);
	if (n < 0) {
		err_add("%s: cannot read: %s", dir, strerror(errno));
		return;
	}
	if (n == 0)
		err_add("%s: no ebuilds in it", dir);
	p = pkg_get(g, dir, 1);
	for (i = 0; i < n; i++) {
		char *path;

		if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0)
			dk_die(DK_FAIL, "out of memory");
		add_ebuild(g, p, path);
		free(path);
		free(ents[i]);
	}
	free(ents);
}

static char *
dir_of(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

/* Reads a fetch list ("NAME URL [URL...]") from stdin. */
static void
add_stdin(struct gen *g)
{
	struct pkg *p = pkg_get(g, ".", 0);
	struct lines l;
	struct dk_err e;
	ssize_t n;

	prog_input(&l, "a fetch list (NAME URL...)");
	while ((n = lines_next_data(&l, &e)) >= 0) {
		char *w, *save = NULL, *name, q[DK_QUOTE_MAX];
		struct srcuri_file *f;

		if (!(name = strtok_r(l.line, " \t\r", &save)))
			continue;	/* a lone CR */
		if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
			err_add("<stdin>:%ld: '%s' is not a file name: want NAME URL [URL...]", l.lineno,
				dk_quote(q, sizeof q, name, strlen(name)));
			continue;
		}
		if (srcuri_add(&p->files, name, NULL, NULL, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
		while ((w = strtok_r(NULL, " \t\r", &save))) {
			if (!strstr(w, "://")) {
				err_add("<stdin>:%ld: '%s' is not a URL", l.lineno, dk_quote(q, sizeof q, w, strlen(w)));
				break;
			}
			if (srcuri_add(&p->files, name, w, mirrors_given(g), &e) < 0) {
				err_add("<stdin>:%ld: %s", l.lineno, e.msg);
				break;
			}
		}
		f = srcuri_find(&p->files, name);
		if (union_add(g, f, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
	}
	if (e.msg[0])
		err_add("%s", e.msg);
	lines_free(&l);
}

static void
add_operand(struct gen *g, const char *arg)
{
	struct stat st;

	if (!strcmp(arg, "-")) {
		add_stdin(g);
		return;
	}
	if (stat(arg, &st) < 0) {
		err_add("%s: %s", arg, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		add_pkgdir(g, arg);
	} else {
		char *dir = dir_of(arg);

		/* -u writes the Manifest of the whole package */
		if (g->opt.update)
			add_pkgdir(g, dir);
		else
			add_ebuild(g, pkg_get(g, dir, 0), arg);
		free(dir);
	}
}

/* The directory part of a URL ("https://host/a/b/" for .../b/x). */
static size_t
url_dirlen(const char *url)
{
	const char *s = strrchr(url, '/');

	return s ? (size_t)(s - url + 1) : 0;
}

static int
is_sha256sums(const struct srcuri_file *f)
{
	size_t i, d;

	for (i = 0; i < f->nurls; i++) {
		d = url_dirlen(f->urls[i]);
		if (d && !strcmp(f->urls[i] + d, "sha256sums.asc"))
			return 1;
	}
	return 0;
}

/* 1 when some URL of f lies in a directory of a sha256sums.asc URL. */
static int
in_sig_dir(const struct gen *g, const struct srcuri_file *f)
{
	size_t i, j, k;

	for (i = 0; i < g->nfiles; i++) {
		if (!g->files[i].asc)
			continue;
		for (j = 0; j < g->files[i].src.nurls; j++) {
			const char *a = g->files[i].src.urls[j];
			size_t d = url_dirlen(a);

			for (k = 0; k < f->nurls; k++)
				if (url_dirlen(f->urls[k]) == d && !strncmp(f->urls[k], a, d))
					return 1;
		}
	}
	return 0;
}

/* GENTOO_MIRRORS / --mirror first, as portage does: the mirrors' distfiles
 * use the filename-hash layout (BLAKE2B of the name, first 8 bits), and
 * the flat one is tried after it. */
static void
build_urls(const struct gen_opts *opt, struct distfile *w)
{
	const struct srcuri_file *f = &w->src;
	size_t i, n = 0;

	w->urls = calloc(2 * opt->nmirrors + f->nurls + 1, sizeof(char *));
	if (!w->urls)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < opt->nmirrors; i++) {
		struct hash_set h;
		struct hash_result r;
		const char *m = opt->mirrors[i];
		size_t ml = strlen(m);

		while (ml > 0 && m[ml - 1] == '/')
			ml--;
		if (hash_init(&h, HASH_BLAKE2B, NULL) < 0 || hash_update(&h, f->name, strlen(f->name), NULL) < 0
		    || hash_final(&h, &r, NULL) < 0)
			dk_die(DK_FAIL, "cannot hash a file name");
		if (asprintf(&w->urls[n++], "%.*s/distfiles/%.2s/%s", (int)ml, m, r.blake2b, f->name) < 0
		    || asprintf(&w->urls[n++], "%.*s/distfiles/%s", (int)ml, m, f->name) < 0)
			dk_die(DK_FAIL, "out of memory");
	}
	for (i = 0; i < f->nurls; i++)
		if (!(w->urls[n++] = strdup(f->urls[i])))
			dk_die(DK_FAIL, "out of memory");
	w->nurls = n;
}

static void
load_manifests(struct gen *g)
{
	struct dk_err e;
	size_t i, j;

	for (i = 0; i < g->npkgs; i++) {
		struct pkg *p = &g->pkgs[i];

		/* a bare fetch list has a Manifest only for -u and -c */
		if (!strcmp(p->dir, ".") && !p->whole && !g->opt.update && !g->opt.check)
			continue;
		if (manifest_load(&p->m, p->mpath, 1, &e) < 0) {
			err_add("%s", e.msg);
			continue;
		}
		p->loaded = 1;
	}
	for (i = 0; i < g->nfiles; i++)
		for (j = 0; j < g->npkgs && !g->files[i].expect; j++)
			if (srcuri_find(&g->pkgs[j].files, g->files[i].src.name))
				g->files[i].expect = manifest_find(&g->pkgs[j].m, "DIST", g->files[i].src.name);
}

static int
name_cmp(const void *a, const void *b)
{
	const struct distfile *const *x = a, *const *y = b;

	return strcmp((*x)->src.name, (*y)->src.name);
}

/* The distfiles sorted by name, as the Manifest lists them. */
static struct distfile **
sorted_files(const struct gen *g)
{
	struct distfile **ix = calloc(g->nfiles + 1, sizeof *ix);
	size_t i;

	if (!ix)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g->nfiles; i++)
		ix[i] = &g->files[i];
	qsort(ix, g->nfiles, sizeof *ix, name_cmp);
	return ix;
}

/* The distfile called name, or NULL. */
static struct distfile *
file_find(const struct gen *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++)
		if (!strcmp(g->files[i].src.name, name))
			return &g->files[i];
	return NULL;
}

static char *
distpath(const struct gen *g, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", g->opt.distdir, name) < 0)
		dk_die(DK_FAIL, "out of memory");
	return p;
}

/* -c: a line per file, exit 1 on any bad one. */
static int
check_distdir(const struct gen *g)
{
	struct distfile **ix = sorted_files(g);
	size_t k;
	int bad = 0;

	for (k = 0; k < g->nfiles; k++) {
		const struct distfile *w = ix[k];
		const char *name = w->src.name;
		char *path = distpath(g, name);
		struct hash_result r;
		struct dk_err e;
		struct stat st;
		char why[256];

		if (!w->expect) {
			printf("%s not in Manifest\n", name);
			bad = 1;
		} else if (stat(path, &st) < 0) {
			printf("%s missing\n", name);
			bad = 1;
		} else if (hash_file(path, HASH_MANIFEST, &r, &e) < 0) {
			printf("%s unreadable: %s\n", name, e.msg);
			bad = 1;
		} else {
			manifest_entry_diff(w->expect, &r, why, sizeof why);
			printf("%s %s\n", name, why);
			bad |= strcmp(why, "ok") != 0;
		}
		free(path);
	}
	free(ix);
	return bad;
}

static void
classify(struct gen *g)
{
	size_t i;

	for (i = 0; i < g->nfiles; i++) {
		struct distfile *w = &g->files[i];
		const char *name = w->src.name;
		char *path = distpath(g, name);
		unsigned which = HASH_MANIFEST | (w->sig || w->asc ? HASH_SHA256 : 0);
		struct dk_err e;
		struct stat st;
		char why[256];

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			w->how = HOW_LOCAL;
			if (hash_file(path, which, &w->r, &e) < 0) {
				err_add("%s", e.msg);
			} else if (w->expect && !manifest_entry_matches(w->expect, &w->r) && !g->opt.force) {
				manifest_entry_diff(w->expect, &w->r, why, sizeof why);
				err_add("%s: %s (the Manifest's entry differs; -f takes the new file)", path, why);
			} else {
				w->have = 1;
			}
		} else if (w->expect && !g->opt.force) {
			/* as portage: "existing digests for files that do not
			 * exist in DISTDIR are assumed"; re-downloading a
			 * 150 MB tarball to confirm its entry is -f's job */
			w->how = HOW_KEPT;
		} else {
			w->how = HOW_FETCH;
		}
		free(path);
	}
}

static void
progress(void *arg, const struct fetch_progress *p)
{
	double mib = (double)p->bytes / 1048576.0;

	(void)arg;
	fprintf(stderr, "\r%s: %zu/%zu files, %.1f MiB, %.1f MiB/s", dk_prog, p->done, p->total, mib,
		p->rate / 1048576.0);
	if (p->expect > p->bytes && p->rate > 0) {
		long eta = (long)((double)(p->expect - p->bytes) / p->rate);

		fprintf(stderr, ", ETA %ld:%02ld", eta / 60, eta % 60);
	}
	fputs("\033[K", stderr);
}

static void
fetch_missing(struct gen *g)
{
	struct fetch_job *jobs = calloc(g->nfiles + 1, sizeof *jobs);
	struct distfile **map = calloc(g->nfiles + 1, sizeof *map);
	struct fetch_opts o = { 0 };
	struct dk_err e;
	size_t i, n = 0;
	int rc;

	if (!jobs || !map)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g->nfiles; i++) {
		struct distfile *w = &g->files[i];

		if (w->how != HOW_FETCH)
			continue;
		build_urls(&g->opt, w);
		jobs[n].name = w->src.name;
		jobs[n].urls = w->urls;
		jobs[n].nurls = w->nurls;
		jobs[n].hashes = HASH_MANIFEST | (w->sig || w->asc ? HASH_SHA256 : 0);
		if (w->expect) {
			jobs[n].have_expect = 1;
			jobs[n].expect_size = w->expect->size;
			jobs[n].expect_blake2b = w->expect->blake2b;
			jobs[n].expect_sha512 = w->expect->sha512;
		}
		map[n++] = w;
	}
	if (n > 0) {
		o.distdir = g->opt.distdir;
		o.jobs = g->opt.jobs;
		o.per_host = 2;
		o.stall_secs = g->opt.stall;
		o.backoff_ms = 1000;
		o.tries = 3;
		o.force = g->opt.force;
		/* as wget, portage's fetcher, takes it through OpenSSL */
		if (getenv("SSL_CERT_FILE") && *getenv("SSL_CERT_FILE"))
			o.cafile = getenv("SSL_CERT_FILE");
		if (!g->opt.quiet && isatty(2))
			o.progress = progress;
		rc = fetch_run(jobs, n, &o, &e);
		if (o.progress)
			fputc('\n', stderr);
		if (rc < 0)
			err_add("%s", e.msg);
		for (i = 0; i < n; i++) {
			if (jobs[i].state == FETCH_DONE) {
				map[i]->r = jobs[i].result;
				map[i]->have = 1;
			} else {
				err_add("%s", jobs[i].err);
			}
		}
	}
	free(jobs);
	free(map);
}

/* kernel.org's signed checksums: every sha256sums.asc read here must carry
 * a good signature, and every file read here from a directory it covers
 * must be listed in one with the same SHA256. Files whose old Manifest
 * entry stands unread were checked when that entry was made. */
static void
check_signatures(struct gen *g)
{
	struct buf *texts = calloc(g->nfiles + 1, sizeof *texts);
	int *good = calloc(g->nfiles + 1, sizeof *good);
	size_t i, j, k, u;

	if (!texts || !good)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g->nfiles; i++) {
		char *path;
		struct dk_err e;

		if (!g->files[i].asc || !g->files[i].have)
			continue;
		path = distpath(g, g->files[i].src.name);
		if (sha256sums_verify(path, g->opt.keyring, &texts[i], &e) < 0) {
			err_add("%s", e.msg);
			/* a bad one fetched just now must not pass as present later */
			if (g->files[i].how == HOW_FETCH)
				unlink(path);
		} else
			good[i] = 1;
		free(path);
	}
	for (i = 0; i < g->nfiles; i++) {
		const struct srcuri_file *f = &g->files[i].src;
		int listed = 0, covered = 0, bad = 0, failed = 0;

		if (!g->files[i].sig || !g->files[i].have)
			continue;
		for (j = 0; j < g->nfiles && !bad; j++) {
			if (!g->files[j].asc || !g->files[j].have)
				continue;
			for (u = 0; u < f->nurls && !bad; u++) {
				size_t d = url_dirlen(f->urls[u]);
				int same = 0;
				char hex[65];

				for (k = 0; k < g->files[j].src.nurls; k++)
					same |= url_dirlen(g->files[j].src.urls[k]) == d && !strncmp(g->files[j].src.urls[k], f->urls[u], d);
				if (!same)
					continue;
				/* its own failure is reported: no second guess here */
				if (!good[j]) {
					failed = 1;
					continue;
				}
				covered = 1;
				if (!sha256sums_lookup(buf_str(&texts[j]), f->urls[u] + d, hex))
					continue;
				listed = 1;
				if (strcmp(hex, g->files[i].r.sha256)) {
					char *path = distpath(g, f->name);

					err_add("%s: SHA256 differs from %s in the signed %s%s", path,
						f->urls[u] + d, g->files[j].src.name,
						g->files[i].how == HOW_FETCH ? ": removed" : "");
					/* fetched just now: gone, so the next run fetches again */
					if (g->files[i].how == HOW_FETCH)
						unlink(path);
					free(path);
					bad = 1;
				}
			}
		}
		if (bad)
			continue;
		if (!covered && failed)
			continue;
		if (!covered && !(g->files[i].expect && manifest_entry_matches(g->files[i].expect, &g->files[i].r)))
			err_add("%s: no sha256sums.asc verified in this run covers it (an old dated one is only"
				" in the Manifest: was SHA256SUM_DATE bumped?)", f->name);
		else if (covered && !listed)
			err_add("%s: not listed in the verified sha256sums.asc", f->name);
	}
	for (i = 0; i < g->nfiles; i++)
		buf_free(&texts[i]);
	free(texts);
	free(good);
}

/* The Manifest entry of distfile w: its old line when unchanged. */
static int
set_entry(struct manifest *m, struct distfile *w, struct dk_err *e)
{
	struct manifest_entry *me;

	if (w->how == HOW_KEPT || (w->expect && manifest_entry_matches(w->expect, &w->r))) {
		me = manifest_find(m, "DIST", w->src.name);
		if (me) {
			me->used = 1;
			return 0;
		}
		/* only in another package's Manifest: same digests */
		w->r.size = w->expect->size;
		snprintf(w->r.blake2b, sizeof w->r.blake2b, "%s", w->expect->blake2b ? w->expect->blake2b : "");
		snprintf(w->r.sha512, sizeof w->r.sha512, "%s", w->expect->sha512 ? w->expect->sha512 : "");
	}
	return manifest_set_dist(m, w->src.name, &w->r, e);
}

static int
write_stdout(struct gen *g)
{
	struct manifest m = { 0 };
	struct buf out = { 0 };
	struct dk_err e;
	size_t i;

	for (i = 0; i < g->nfiles; i++) {
		const struct manifest_entry *x = g->files[i].expect;

		if (g->files[i].how == HOW_KEPT || (x && manifest_entry_matches(x, &g->files[i].r))) {
			struct buf line = { 0 };

			/* the old line, verbatim, through the parser */
			if (buf_printf(&line, "%s\n", x->line ? x->line : "") < 0
			    || manifest_parse(&m, "Manifest", buf_str(&line), line.len, &e) < 0)
				dk_die(DK_FAIL, "%s", e.msg);
			buf_free(&line);
		} else if (set_entry(&m, &g->files[i], &e) < 0) {
			dk_die(DK_FAIL, "%s", e.msg);
		}
	}
	if (manifest_format(&m, &out) < 0)
		dk_die(DK_FAIL, "out of memory");
	fwrite(out.s ? out.s : "", 1, out.len, stdout);
	buf_free(&out);
	manifest_free(&m);
	return dk_close_stdout();
}

static int
write_manifests(struct gen *g)
{
	struct dk_err e;
	size_t i, j;
	int rc = DK_OK;

	for (i = 0; i < g->npkgs; i++) {
		struct pkg *p = &g->pkgs[i];
		struct buf old = { 0 }, out = { 0 };

		for (j = 0; j < p->m.n; j++)
			p->m.v[j].used = 0;
		for (j = 0; j < p->files.n; j++) {
			struct distfile *f = file_find(g, p->files.v[j].name);

			if (set_entry(&p->m, f, &e) < 0)
				dk_die(DK_FAIL, "%s", e.msg);
		}
		if (p->whole)
			manifest_prune_dist(&p->m);
		if (manifest_format(&p->m, &out) < 0)
			dk_die(DK_FAIL, "out of memory");
		if (read_file(p->mpath, &old, &e) == 0 && old.len == out.len && !memcmp(buf_str(&old), buf_str(&out), out.len)) {
			/* unchanged: leave the file and its time alone */
		} else if (p->m.n == 0 && access(p->mpath, F_OK) < 0) {
			/* no distfiles and no Manifest: nothing to write */
		} else if (atomic_write(p->mpath, out.s ? out.s : "", out.len, 0644, &e) < 0) {
			dk_perr(&e);
			rc = DK_FAIL;
		}
		buf_free(&old);
		buf_free(&out);
	}
	return rc;
}

/* Frees what the run built, so the sanitizer build sees no leak. */
static void
gen_free(struct gen *g)
{
	size_t i, j;

	for (i = 0; i < g->npkgs; i++) {
		free(g->pkgs[i].dir);
		free(g->pkgs[i].mpath);
		srcuri_free(&g->pkgs[i].files);
		manifest_free(&g->pkgs[i].m);
	}
	free(g->pkgs);
	for (i = 0; i < g->nfiles; i++) {
		struct distfile *f = &g->files[i];

		for (j = 0; j < f->nurls; j++)
			free(f->urls[j]);
		free(f->urls);
		for (j = 0; j < f->src.nurls; j++)
			free(f->src.urls[j]);
		free(f->src.urls);
		free(f->src.name);
	}
	free(g->files);
	srcuri_free(&g->all);
	for (i = 0; i < g->ntrees; i++) {
		free(g->trees[i].root);
		free(g->trees[i].eclassdir);
		if (g->trees[i].own)
			srcuri_mirrors_free(&g->trees[i].mirrors);
	}
	free(g->trees);
	if (g->have_given)
		srcuri_mirrors_free(&g->given);
	free(g->opt.mirrors);
	free(g->mirrors_env);
	free((char *)g->opt.distdir);	/* distdir_find's */
}

/* The run's list becomes one distfile each: the list's strings move. */
static void
make_files(struct gen *g)
{
	size_t i;

	if (!(g->files = calloc(g->all.n + 1, sizeof *g->files)))
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g->all.n; i++)
		g->files[i].src = g->all.v[i];
	g->nfiles = g->all.n;
	free(g->all.v);
	free(g->all.idx);
	memset(&g->all, 0, sizeof g->all);
	for (i = 0; i < g->nfiles; i++)
		g->files[i].asc = is_sha256sums(&g->files[i].src);
	for (i = 0; i < g->nfiles; i++)
		g->files[i].sig = !g->files[i].asc && in_sig_dir(g, &g->files[i].src);
}

/* GENTOO_MIRRORS as portage reads it: empty means upstream only. */
static void
env_mirrors(struct gen *g)
{
	const char *gm = getenv("GENTOO_MIRRORS");
	char *save = NULL, *w;

	if (g->opt.nmirrors > 0 || !gm)
		return;
	if (!(g->mirrors_env = strdup(gm)))
		dk_die(DK_FAIL, "out of memory");
	for (w = strtok_r(g->mirrors_env, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		g->opt.mirrors = realloc(g->opt.mirrors, (g->opt.nmirrors + 1) * sizeof *g->opt.mirrors);
		if (!g->opt.mirrors)
			dk_die(DK_FAIL, "out of memory");
		g->opt.mirrors[g->opt.nmirrors++] = w;
	}
}

static void
options(struct gen_opts *opt, int argc, char *argv[])
{
	struct prog p = { .synopsis = synopsis, .opts = opts, .aliases = aliases };
	int c;

	prog_init(&p, argv[0]);
	opt->jobs = 4;
	opt->stall = 30;
	/* the variable verify-sig.eclass reads, so one setting serves both */
	opt->keyring = getenv("VERIFY_SIG_OPENPGP_KEY_PATH") && *getenv("VERIFY_SIG_OPENPGP_KEY_PATH") ?
	    getenv("VERIFY_SIG_OPENPGP_KEY_PATH") : DEFAULT_KEYRING;
	while ((c = prog_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'c': opt->check = 1; break;
		case 'd': opt->distdir = optarg; break;
		case 'f': opt->force = 1; break;
		case 'j': opt->jobs = (int)prog_number("--jobs", optarg, 1, 64); break;
		case 'K': opt->keyring = optarg; break;
		case 'l': opt->list = 1; break;
		case 'M': opt->mirrors_file = optarg; break;
		case OPT_MIRROR:
			opt->mirrors = realloc(opt->mirrors, (opt->nmirrors + 1) * sizeof *opt->mirrors);
			if (!opt->mirrors)
				dk_die(DK_FAIL, "out of memory");
			opt->mirrors[opt->nmirrors++] = optarg;
			break;
		case 'q': opt->quiet = 1; break;
		case OPT_NO_VERIFY_SIG: opt->nosig = 1; break;
		case 't': opt->stall = (long)prog_number("--timeout", optarg, 1, 86400); break;
		case 'u': opt->update = 1; break;
		}
	}
	if (opt->check + opt->list + opt->update > 1)
		prog_usagef(&p, "--check, --list and --update exclude each other");
	/* -d, $DISTDIR, portageq distdir, /var/cache/distfiles (lib/distdir) */
	{
		struct dk_err e;

		if (!(opt->distdir = distdir_find(opt->distdir, &e)))
			dk_die(DK_FAIL, "%s", e.msg);
	}
}

/* Reads the operands, fetches and checks, writes: an exit status. */
static int
generate(struct gen *g, int argc, char *argv[])
{
	size_t i;
	int rc;

	if (optind == argc)
		add_stdin(g);
	for (; optind < argc; optind++)
		add_operand(g, argv[optind]);
	if (dk_problems())
		return DK_FAIL;
	if (g->opt.list) {
		struct buf out = { 0 };

		if (srcuri_format(&g->all, &out) < 0)
			dk_die(DK_FAIL, "out of memory");
		fwrite(out.s ? out.s : "", 1, out.len, stdout);
		buf_free(&out);
		return dk_close_stdout();
	}
	make_files(g);
	load_manifests(g);
	if (dk_problems())
		return DK_FAIL;
	if (g->opt.check) {
		rc = check_distdir(g);
		return dk_close_stdout() || rc ? DK_FAIL : DK_OK;
	}
	{
		struct dk_err e;

		/* created as pkgdev does, or one line instead of one per file */
		if (distdir_ready(g->opt.distdir, &e) < 0) {
			dk_perr(&e);
			return DK_FAIL;
		}
	}
	classify(g);
	if (!dk_nproblems)
		fetch_missing(g);
	if (!dk_nproblems) {
		if (g->opt.nosig) {
			for (i = 0; i < g->nfiles; i++)
				if (g->files[i].asc) {
					dk_warn("signature checks skipped (--no-verify-sig): nothing verifies the kernel.org files");
					break;
				}
		} else {
			check_signatures(g);
		}
	}
	if (dk_problems()) {
		dk_warn("%d error%s: no Manifest written", dk_nproblems, dk_nproblems == 1 ? "" : "s");
		return DK_FAIL;
	}
	return g->opt.update ? write_manifests(g) : write_stdout(g);
}

int
main(int argc, char *argv[])
{
	struct gen g = { 0 };
	int rc;

	options(&g.opt, argc, argv);
	env_mirrors(&g);
	/* ^C leaves the old Manifest and resumable .part files, no temp file */
	atomic_cleanup_on_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		dk_die(DK_FAIL, "cannot start libcurl");
	rc = generate(&g, argc, argv);
	gen_free(&g);
	curl_global_cleanup();
	return rc;
}
