/* manifest-gen: fetch what is missing, hash, write Manifest DIST entries.
 * GPL-2.0-only. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
#include "fetch.h"
#include "hash.h"
#include "lines.h"
#include "manifest.h"
#include "pkgsrc.h"
#include "prog.h"
#include "sha256sums.h"
#include "srcuri.h"

#define DEFAULT_KEYRING "/usr/share/openpgp-keys/kernel.org.asc"
#define DEFAULT_DISTDIR "/var/cache/distfiles"

static void
usage(void)
{
	printf("usage: manifest-gen [-cflqSu] [-d DISTDIR] [-j N] [-K KEYRING] [-M MIRRORS] [-m URL] "
		"[-t SECONDS] [EBUILD | PKGDIR | -] ...\n"
		"       manifest-gen -h | -V\n");
}

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

/* One distfile across all packages (indexed like all.v). */
struct want {
	const struct manifest_entry *expect;	/* the old entry, if any */
	enum how how;
	int sig;		/* in a directory that a sha256sums.asc covers */
	int asc;		/* is such a sha256sums.asc */
	int have;		/* r holds its digests */
	struct hash_result r;
	char **urls;		/* mirrors first, then upstream */
	size_t nurls;
};

static struct {
	int check, force, list, quiet, nosig, update;
	const char *distdir, *keyring, *mirrors_file;
	int jobs;
	long stall;
	char **mirrors;
	size_t nmirrors;
} opt;

static struct pkg *pkgs;
static size_t npkgs;
static struct srcuri_list all;
static struct want *wants;
static int nerrors;

/* A problem that fails the run; all are reported before exiting. */
#define err_add(...) (dk_warn(__VA_ARGS__), nerrors++)

static void
note(void *arg, const char *msg)
{
	(void)arg;
	if (!opt.quiet)
		dk_warn("%s", msg);
}

static struct pkg *
pkg_get(const char *dir, int whole)
{
	size_t i;
	struct pkg *p;

	for (i = 0; i < npkgs; i++)
		if (!strcmp(pkgs[i].dir, dir)) {
			pkgs[i].whole |= whole;
			return &pkgs[i];
		}
	if (!(p = realloc(pkgs, (npkgs + 1) * sizeof *p)))
		dk_die(DK_FAIL, "out of memory");
	pkgs = p;
	p = &pkgs[npkgs++];
	memset(p, 0, sizeof *p);
	if (!(p->dir = strdup(dir)) || asprintf(&p->mpath, "%s/Manifest", dir) < 0)
		dk_die(DK_FAIL, "out of memory");
	p->whole = whole;
	return p;
}

/* Adds file f (from a package's list) to the union list. */
static int
union_add(const struct srcuri_file *f, struct dk_err *e)
{
	size_t i;

	if (srcuri_add(&all, f->name, NULL, NULL, e) < 0)
		return -1;
	for (i = 0; i < f->nurls; i++)
		if (srcuri_add(&all, f->name, f->urls[i], NULL, e) < 0)
			return -1;
	return 0;
}

static struct srcuri_mirrors mirrors;
static char *mirrors_env;	/* GENTOO_MIRRORS, split in place */

static const struct srcuri_mirrors *
mirrors_for(const char *pkgdir)
{
	static int done;
	struct dk_err e;
	char *root, *path = NULL;

	if (done)
		return &mirrors;
	done = 1;
	if (opt.mirrors_file) {
		if (srcuri_mirrors_load(&mirrors, opt.mirrors_file, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
		return &mirrors;
	}
	root = pkgdir ? pkgsrc_repo_root(pkgdir) : NULL;
	if (root && asprintf(&path, "%s/profiles/thirdpartymirrors", root) >= 0 && access(path, R_OK) == 0) {
		if (srcuri_mirrors_load(&mirrors, path, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
	} else if (srcuri_mirrors_builtin(&mirrors, &e) < 0) {
		dk_die(DK_FAIL, "%s", e.msg);
	}
	free(path);
	free(root);
	return &mirrors;
}

static char *
eclass_dir(const char *pkgdir)
{
	char *root = pkgsrc_repo_root(pkgdir), *d = NULL;
	struct stat st;

	if (root && asprintf(&d, "%s/eclass", root) >= 0 && (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))) {
		free(d);
		d = NULL;
	}
	free(root);
	return d;
}

static void
add_ebuild(struct pkg *p, const char *path)
{
	char *ecdir = eclass_dir(p->dir);
	struct srcuri_list one = { 0 };
	struct dk_err e;
	size_t i;

	if (pkgsrc_ebuild(path, ecdir, mirrors_for(p->dir), &one, note, NULL, &e) < 0) {
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
			if (union_add(f, &e) < 0)
				dk_die(DK_FAIL, "%s", e.msg);
		}
	}
	srcuri_free(&one);
	free(ecdir);
}

static int
ebuild_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 7 && !strcmp(d->d_name + n - 7, ".ebuild") && d->d_name[0] != '.';
}

static void
add_pkgdir(const char *dir)
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
	p = pkg_get(dir, 1);
	for (i = 0; i < n; i++) {
		char *path;

		if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0)
			dk_die(DK_FAIL, "out of memory");
		add_ebuild(p, path);
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
add_stdin(void)
{
	struct pkg *p = pkg_get(".", 0);
	struct lines l;
	struct dk_err e;
	ssize_t n;

	lines_init(&l, stdin, "<stdin>");
	while ((n = lines_next(&l, &e)) >= 0) {
		char *w, *save = NULL, *name;
		struct srcuri_file *f;

		name = strtok_r(l.line, " \t", &save);
		if (!name || name[0] == '#')
			continue;
		if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
			err_add("<stdin>:%ld: '%s' is not a file name: want NAME URL [URL...]", l.lineno, name);
			continue;
		}
		if (srcuri_add(&p->files, name, NULL, NULL, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
		while ((w = strtok_r(NULL, " \t", &save))) {
			if (!strstr(w, "://")) {
				err_add("<stdin>:%ld: '%s' is not a URL", l.lineno, w);
				break;
			}
			if (srcuri_add(&p->files, name, w, mirrors_for(NULL), &e) < 0) {
				err_add("<stdin>:%ld: %s", l.lineno, e.msg);
				break;
			}
		}
		f = srcuri_find(&p->files, name);
		if (union_add(f, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
	}
	if (e.msg[0])
		err_add("%s", e.msg);
	lines_free(&l);
}

static void
add_operand(const char *arg)
{
	struct stat st;

	if (!strcmp(arg, "-")) {
		add_stdin();
		return;
	}
	if (stat(arg, &st) < 0) {
		err_add("%s: %s", arg, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		add_pkgdir(arg);
	} else {
		char *dir = dir_of(arg);

		/* -u writes the Manifest of the whole package */
		if (opt.update)
			add_pkgdir(dir);
		else
			add_ebuild(pkg_get(dir, 0), arg);
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
in_sig_dir(const struct srcuri_file *f)
{
	size_t i, j, k;

	for (i = 0; i < all.n; i++) {
		if (!wants[i].asc)
			continue;
		for (j = 0; j < all.v[i].nurls; j++) {
			const char *a = all.v[i].urls[j];
			size_t d = url_dirlen(a);

			for (k = 0; k < f->nurls; k++)
				if (url_dirlen(f->urls[k]) == d && !strncmp(f->urls[k], a, d))
					return 1;
		}
	}
	return 0;
}

/* GENTOO_MIRRORS / -m first, as portage does: the mirrors' distfiles
 * use the filename-hash layout (BLAKE2B of the name, first 8 bits), and
 * the flat one is tried after it. */
static void
build_urls(struct want *w, const struct srcuri_file *f)
{
	size_t i, n = 0;

	w->urls = calloc(2 * opt.nmirrors + f->nurls + 1, sizeof(char *));
	if (!w->urls)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < opt.nmirrors; i++) {
		struct hash_set h;
		struct hash_result r;
		const char *m = opt.mirrors[i];
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
load_manifests(void)
{
	struct dk_err e;
	size_t i, j;

	for (i = 0; i < npkgs; i++) {
		struct pkg *p = &pkgs[i];

		/* a bare fetch list has a Manifest only for -u and -c */
		if (!strcmp(p->dir, ".") && !p->whole && !opt.update && !opt.check)
			continue;
		if (manifest_load(&p->m, p->mpath, 1, &e) < 0) {
			err_add("%s", e.msg);
			continue;
		}
		p->loaded = 1;
	}
	for (i = 0; i < all.n; i++)
		for (j = 0; j < npkgs && !wants[i].expect; j++)
			if (srcuri_find(&pkgs[j].files, all.v[i].name))
				wants[i].expect = manifest_find(&pkgs[j].m, "DIST", all.v[i].name);
}

static int
name_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return strcmp(all.v[*x].name, all.v[*y].name);
}

/* Indexes of all.v sorted by name, as the Manifest lists them. */
static size_t *
sorted_index(void)
{
	size_t *ix = calloc(all.n + 1, sizeof *ix), i;

	if (!ix)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < all.n; i++)
		ix[i] = i;
	qsort(ix, all.n, sizeof *ix, name_cmp);
	return ix;
}

static char *
distpath(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", opt.distdir, name) < 0)
		dk_die(DK_FAIL, "out of memory");
	return p;
}

/* -c: a line per file, exit 1 on any bad one. */
static int
check_distdir(void)
{
	size_t *ix = sorted_index(), k;
	int bad = 0;

	for (k = 0; k < all.n; k++) {
		size_t i = ix[k];
		const char *name = all.v[i].name;
		char *path = distpath(name);
		struct hash_result r;
		struct dk_err e;
		struct stat st;
		char why[256];

		if (!wants[i].expect) {
			printf("%s not in Manifest\n", name);
			bad = 1;
		} else if (stat(path, &st) < 0) {
			printf("%s missing\n", name);
			bad = 1;
		} else if (hash_file(path, HASH_MANIFEST, &r, &e) < 0) {
			printf("%s unreadable: %s\n", name, e.msg);
			bad = 1;
		} else {
			manifest_entry_diff(wants[i].expect, &r, why, sizeof why);
			printf("%s %s\n", name, why);
			bad |= strcmp(why, "ok") != 0;
		}
		free(path);
	}
	free(ix);
	return bad;
}

static void
classify(void)
{
	size_t i;

	for (i = 0; i < all.n; i++) {
		struct want *w = &wants[i];
		const char *name = all.v[i].name;
		char *path = distpath(name);
		unsigned which = HASH_MANIFEST | (w->sig || w->asc ? HASH_SHA256 : 0);
		struct dk_err e;
		struct stat st;
		char why[256];

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			w->how = HOW_LOCAL;
			if (hash_file(path, which, &w->r, &e) < 0) {
				err_add("%s", e.msg);
			} else if (w->expect && !manifest_entry_matches(w->expect, &w->r) && !opt.force) {
				manifest_entry_diff(w->expect, &w->r, why, sizeof why);
				err_add("%s: %s (the Manifest's entry differs; -f takes the new file)", path, why);
			} else {
				w->have = 1;
			}
		} else if (w->expect && !opt.force) {
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
fetch_missing(void)
{
	struct fetch_job *jobs = calloc(all.n + 1, sizeof *jobs);
	size_t *map = calloc(all.n + 1, sizeof *map);
	struct fetch_opts o = { 0 };
	struct dk_err e;
	size_t i, n = 0;
	int rc;

	if (!jobs || !map)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < all.n; i++) {
		struct want *w = &wants[i];

		if (w->how != HOW_FETCH)
			continue;
		build_urls(w, &all.v[i]);
		jobs[n].name = all.v[i].name;
		jobs[n].urls = w->urls;
		jobs[n].nurls = w->nurls;
		jobs[n].hashes = HASH_MANIFEST | (w->sig || w->asc ? HASH_SHA256 : 0);
		if (w->expect) {
			jobs[n].have_expect = 1;
			jobs[n].expect_size = w->expect->size;
			jobs[n].expect_blake2b = w->expect->blake2b;
			jobs[n].expect_sha512 = w->expect->sha512;
		}
		map[n++] = i;
	}
	if (n > 0) {
		o.distdir = opt.distdir;
		o.jobs = opt.jobs;
		o.per_host = 2;
		o.stall_secs = opt.stall;
		o.backoff_ms = 1000;
		o.tries = 3;
		o.force = opt.force;
		/* as wget, portage's fetcher, takes it through OpenSSL */
		if (getenv("SSL_CERT_FILE") && *getenv("SSL_CERT_FILE"))
			o.cafile = getenv("SSL_CERT_FILE");
		if (!opt.quiet && isatty(2))
			o.progress = progress;
		rc = fetch_run(jobs, n, &o, &e);
		if (o.progress)
			fputc('\n', stderr);
		if (rc < 0)
			err_add("%s", e.msg);
		for (i = 0; i < n; i++) {
			if (jobs[i].state == FETCH_DONE) {
				wants[map[i]].r = jobs[i].result;
				wants[map[i]].have = 1;
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
check_signatures(void)
{
	struct buf *texts = calloc(all.n + 1, sizeof *texts);
	int *good = calloc(all.n + 1, sizeof *good);
	size_t i, j, k, u;

	if (!texts || !good)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < all.n; i++) {
		char *path;
		struct dk_err e;

		if (!wants[i].asc || !wants[i].have)
			continue;
		path = distpath(all.v[i].name);
		if (sha256sums_verify(path, opt.keyring, &texts[i], &e) < 0) {
			err_add("%s", e.msg);
			/* a bad one fetched just now must not pass as present later */
			if (wants[i].how == HOW_FETCH)
				unlink(path);
		} else
			good[i] = 1;
		free(path);
	}
	for (i = 0; i < all.n; i++) {
		const struct srcuri_file *f = &all.v[i];
		int listed = 0, covered = 0, bad = 0;

		if (!wants[i].sig || !wants[i].have)
			continue;
		for (j = 0; j < all.n && !bad; j++) {
			if (!good[j])
				continue;
			for (u = 0; u < f->nurls && !bad; u++) {
				size_t d = url_dirlen(f->urls[u]);
				int same = 0;
				char hex[65];

				for (k = 0; k < all.v[j].nurls; k++)
					same |= url_dirlen(all.v[j].urls[k]) == d && !strncmp(all.v[j].urls[k], f->urls[u], d);
				if (!same)
					continue;
				covered = 1;
				if (!sha256sums_lookup(buf_str(&texts[j]), f->urls[u] + d, hex))
					continue;
				listed = 1;
				if (strcmp(hex, wants[i].r.sha256)) {
					char *path = distpath(f->name);

					err_add("%s: SHA256 differs from %s in the signed %s%s", path,
						f->urls[u] + d, all.v[j].name,
						wants[i].how == HOW_FETCH ? ": removed" : "");
					/* fetched just now: gone, so the next run fetches again */
					if (wants[i].how == HOW_FETCH)
						unlink(path);
					free(path);
					bad = 1;
				}
			}
		}
		if (bad)
			continue;
		if (!covered && !(wants[i].expect && manifest_entry_matches(wants[i].expect, &wants[i].r)))
			err_add("%s: no sha256sums.asc verified in this run covers it (an old dated one is only"
				" in the Manifest: was SHA256SUM_DATE bumped?)", f->name);
		else if (covered && !listed)
			err_add("%s: not listed in the verified sha256sums.asc", f->name);
	}
	for (i = 0; i < all.n; i++)
		buf_free(&texts[i]);
	free(texts);
	free(good);
}

/* The Manifest entry of want i: its old line when unchanged. */
static int
set_entry(struct manifest *m, size_t i, struct dk_err *e)
{
	struct want *w = &wants[i];
	struct manifest_entry *me;

	if (w->how == HOW_KEPT || (w->expect && manifest_entry_matches(w->expect, &w->r))) {
		me = manifest_find(m, "DIST", all.v[i].name);
		if (me) {
			me->used = 1;
			return 0;
		}
		/* only in another package's Manifest: same digests */
		w->r.size = w->expect->size;
		snprintf(w->r.blake2b, sizeof w->r.blake2b, "%s", w->expect->blake2b ? w->expect->blake2b : "");
		snprintf(w->r.sha512, sizeof w->r.sha512, "%s", w->expect->sha512 ? w->expect->sha512 : "");
	}
	return manifest_set_dist(m, all.v[i].name, &w->r, e);
}

static int
write_stdout(void)
{
	struct manifest m = { 0 };
	struct buf out = { 0 };
	struct dk_err e;
	size_t i;

	for (i = 0; i < all.n; i++) {
		const struct manifest_entry *x = wants[i].expect;

		if (wants[i].how == HOW_KEPT || (x && manifest_entry_matches(x, &wants[i].r))) {
			struct buf line = { 0 };

			/* the old line, verbatim, through the parser */
			if (buf_printf(&line, "%s\n", x->line ? x->line : "") < 0
			    || manifest_parse(&m, "Manifest", buf_str(&line), line.len, &e) < 0)
				dk_die(DK_FAIL, "%s", e.msg);
			buf_free(&line);
		} else if (set_entry(&m, i, &e) < 0) {
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
write_manifests(void)
{
	struct dk_err e;
	size_t i, j;
	int rc = DK_OK;

	for (i = 0; i < npkgs; i++) {
		struct pkg *p = &pkgs[i];
		struct buf old = { 0 }, out = { 0 };

		for (j = 0; j < p->m.n; j++)
			p->m.v[j].used = 0;
		for (j = 0; j < p->files.n; j++) {
			struct srcuri_file *f = srcuri_find(&all, p->files.v[j].name);

			if (set_entry(&p->m, (size_t)(f - all.v), &e) < 0)
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
cleanup(void)
{
	size_t i, j;

	for (i = 0; i < npkgs; i++) {
		free(pkgs[i].dir);
		free(pkgs[i].mpath);
		srcuri_free(&pkgs[i].files);
		manifest_free(&pkgs[i].m);
	}
	free(pkgs);
	for (i = 0; wants && i < all.n; i++) {
		for (j = 0; j < wants[i].nurls; j++)
			free(wants[i].urls[j]);
		free(wants[i].urls);
	}
	free(wants);
	srcuri_free(&all);
	srcuri_mirrors_free(&mirrors);
	free(opt.mirrors);
	free(mirrors_env);
}

static int run(int argc, char *argv[]);

int
main(int argc, char *argv[])
{
	int rc = run(argc, argv);

	cleanup();
	curl_global_cleanup();
	return rc;
}

static int
run(int argc, char *argv[])
{
	const char *gm;
	int c, i, rc;
	char *end;

	dk_setprog(argv[0]);
	opt.jobs = 4;
	opt.stall = 30;
	/* the variable verify-sig.eclass reads, so one setting serves both */
	opt.keyring = getenv("VERIFY_SIG_OPENPGP_KEY_PATH") && *getenv("VERIFY_SIG_OPENPGP_KEY_PATH") ?
	    getenv("VERIFY_SIG_OPENPGP_KEY_PATH") : DEFAULT_KEYRING;
	while ((c = getopt(argc, argv, "cd:fhj:K:lM:m:qSt:uV")) != -1) {
		switch (c) {
		case 'c': opt.check = 1; break;
		case 'd': opt.distdir = optarg; break;
		case 'f': opt.force = 1; break;
		case 'h': usage(); return DK_OK;
		case 'j':
			errno = 0;
			opt.jobs = (int)strtol(optarg, &end, 10);
			if (errno || *end || opt.jobs < 1 || opt.jobs > 64) {
				dk_warn("-j: want a number from 1 to 64, not '%s'", optarg);
				return DK_USAGE;
			}
			break;
		case 'K': opt.keyring = optarg; break;
		case 'l': opt.list = 1; break;
		case 'M': opt.mirrors_file = optarg; break;
		case 'm':
			opt.mirrors = realloc(opt.mirrors, (opt.nmirrors + 1) * sizeof *opt.mirrors);
			if (!opt.mirrors)
				dk_die(DK_FAIL, "out of memory");
			opt.mirrors[opt.nmirrors++] = optarg;
			break;
		case 'q': opt.quiet = 1; break;
		case 'S': opt.nosig = 1; break;
		case 't':
			errno = 0;
			opt.stall = strtol(optarg, &end, 10);
			if (errno || *end || opt.stall < 1) {
				dk_warn("-t: want a number of seconds, not '%s'", optarg);
				return DK_USAGE;
			}
			break;
		case 'u': opt.update = 1; break;
		case 'V': printf("%s %s\n", dk_prog, DK_VERSION); return DK_OK;
		default:
			usage();
			return DK_USAGE;
		}
	}
	if (opt.check + opt.list + opt.update > 1) {
		dk_warn("-c, -l and -u exclude each other");
		usage();
		return DK_USAGE;
	}
	if (!opt.distdir)
		opt.distdir = getenv("DISTDIR") && *getenv("DISTDIR") ? getenv("DISTDIR") : DEFAULT_DISTDIR;
	/* GENTOO_MIRRORS as portage reads it: empty means upstream only */
	if (opt.nmirrors == 0 && (gm = getenv("GENTOO_MIRRORS"))) {
		char *copy = mirrors_env = strdup(gm), *save = NULL, *w;

		if (!copy)
			dk_die(DK_FAIL, "out of memory");
		for (w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
			opt.mirrors = realloc(opt.mirrors, (opt.nmirrors + 1) * sizeof *opt.mirrors);
			if (!opt.mirrors)
				dk_die(DK_FAIL, "out of memory");
			opt.mirrors[opt.nmirrors++] = w;
		}
	}
	/* ^C leaves the old Manifest and resumable .part files, no temp file */
	atomic_cleanup_on_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		dk_die(DK_FAIL, "cannot start libcurl");

	if (optind == argc)
		add_stdin();
	for (i = optind; i < argc; i++)
		add_operand(argv[i]);
	if (nerrors)
		return DK_FAIL;
	if (opt.list) {
		struct buf out = { 0 };

		if (srcuri_format(&all, &out) < 0)
			dk_die(DK_FAIL, "out of memory");
		fwrite(out.s ? out.s : "", 1, out.len, stdout);
		buf_free(&out);
		return dk_close_stdout();
	}
	if (!(wants = calloc(all.n + 1, sizeof *wants)))
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; (size_t)i < all.n; i++)
		wants[i].asc = is_sha256sums(&all.v[i]);
	for (i = 0; (size_t)i < all.n; i++)
		wants[i].sig = !wants[i].asc && in_sig_dir(&all.v[i]);
	load_manifests();
	if (nerrors)
		return DK_FAIL;
	if (opt.check) {
		rc = check_distdir();
		return dk_close_stdout() || rc ? DK_FAIL : DK_OK;
	}
	classify();
	if (!nerrors)
		fetch_missing();
	if (!nerrors) {
		if (opt.nosig) {
			for (i = 0; (size_t)i < all.n; i++)
				if (wants[i].asc) {
					dk_warn("signature checks skipped (-S): nothing verifies the kernel.org files");
					break;
				}
		} else {
			check_signatures();
		}
	}
	if (nerrors) {
		dk_warn("%d error%s: no Manifest written", nerrors, nerrors == 1 ? "" : "s");
		return DK_FAIL;
	}
	return opt.update ? write_manifests() : write_stdout();
}
