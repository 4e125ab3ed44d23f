/* dk-releases: the bump list from kernel.org's releases.json and the
 * dist-kernel packages of a gentoo.git checkout. GPL-2.0-only. */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fetch.h"
#include "prog.h"
#include "releases.h"

#define DEFAULT_URL "https://www.kernel.org/releases.json"

static const char synopsis[] =
    "usage: dk-releases [-aq] [-C DIR] [-p CAT/PN]... [-u URL | FILE | -]\n";

static const struct prog_opt options[] = {
	{ 'a', "all", NULL, "a line for every series: SERIES TREE UPSTREAM MONIKER STATE [eol]" },
	{ 'C', "directory", "DIR", "the gentoo.git checkout (default .)" },
	{ 'p', "package", "CAT/PN", "a package to compare (default gentoo-kernel and vanilla-kernel)" },
	{ 'q', "quiet", NULL, "no notes on standard error" },
	{ 'u', "url", "URL", "releases.json's URL (default " DEFAULT_URL ")" },
	{ 0 }
};

struct opts {
	int all, quiet, url_given;
	const char *dir, *url, *file;
	const char **pkgs;
	size_t npkgs;
};

/* Reads all of fd into b. Returns 0 or -1 with errno set. */
static int
read_all(int fd, struct buf *b)
{
	for (;;) {
		ssize_t n;

		if (buf_grow(b, 65536) < 0)
			return -1;
		n = read(fd, b->s + b->len, b->cap - b->len - 1);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->s[b->len] = '\0';
	}
	if (!b->s && buf_adds(b, "") < 0)
		return -1;
	return 0;
}

/* Fetches url into b through lib/fetch (a scratch directory of its own). */
static int
fetch_url(const char *url, struct buf *b, struct dk_err *e)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL, *path = NULL;
	char *const urls[] = { (char *)url };
	struct fetch_job job = { 0 };
	struct fetch_opts o = { 0 };
	int fd, rc = -1;

	if (asprintf(&dir, "%s/dk-releases.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return dk_errf(e, NULL, 0, "out of memory");
	if (!mkdtemp(dir)) {
		dk_syserrf(e, dir, 0, "cannot make a temporary directory");
		free(dir);
		return -1;
	}
	job.name = "releases.json";
	job.urls = urls;
	job.nurls = 1;
	o.distdir = dir;
	o.jobs = 1;
	o.per_host = 1;
	o.stall_secs = 30;
	o.backoff_ms = 500;
	o.tries = 3;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		dk_errf(e, NULL, 0, "cannot start libcurl");
		goto out;
	}
	if (fetch_run(&job, 1, &o, e) < 0)
		goto out;
	if (job.state != FETCH_DONE) {
		dk_errf(e, NULL, 0, "%s", job.err[0] ? job.err : url);
		goto out;
	}
	if (asprintf(&path, "%s/releases.json", dir) < 0) {
		dk_errf(e, NULL, 0, "out of memory");
		goto out;
	}
	if ((fd = open(path, O_RDONLY)) < 0 || read_all(fd, b) < 0) {
		dk_syserrf(e, url, 0, "cannot read what was fetched");
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	if (path)
		unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	curl_global_cleanup();
	return rc;
}

/* The text of releases.json as o names it; its name for messages in *name. */
static int
load_text(const struct opts *o, struct buf *b, const char **name, struct dk_err *e)
{
	int fd;

	if (o->file && strcmp(o->file, "-") == 0) {
		*name = "<stdin>";
		if (isatty(0))
			dk_warn("reading releases.json from standard input; end with ^D");
		if (read_all(0, b) < 0)
			return dk_syserrf(e, *name, 0, "cannot read");
		return 0;
	}
	if (o->file) {
		*name = o->file;
		if ((fd = open(o->file, O_RDONLY)) < 0)
			return dk_syserrf(e, o->file, 0, "cannot open");
		if (read_all(fd, b) < 0) {
			close(fd);
			return dk_syserrf(e, o->file, 0, "cannot read");
		}
		close(fd);
		return 0;
	}
	*name = o->url;
	return fetch_url(o->url, b, e);
}

static const char *const state_name[] = {
	[SERIES_DUE] = "due", [SERIES_CURRENT] = "current", [SERIES_NEW] = "new", [SERIES_ABSENT] = "absent",
	[SERIES_GONE] = "gone",
};

/* The bump list (or with -a every series) into out, notes on stderr. */
static int
report(const struct opts *o, const struct series_plan *plan, struct buf *out)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct series_row *r = &plan->v[i];

		if (o->all) {
			if (buf_printf(out, "%s %s %s %s %s%s\n", r->series, r->tree ? r->tree : "-",
			    r->up ? r->up->version : "-", r->up ? r->up->moniker : "-", state_name[r->state],
			    r->up && r->up->eol ? " eol" : "") < 0)
				return -1;
		} else if (r->state == SERIES_DUE && buf_printf(out, "%s %s\n", r->tree, r->up->version) < 0) {
			return -1;
		}
		if (o->quiet)
			continue;
		if (r->state == SERIES_NEW)
			dk_warn("%s: new upstream series (%s %s), not in the tree", r->series, r->up->moniker,
			    r->up->version);
		else if (r->state == SERIES_ABSENT && !r->up->eol)
			dk_warn("%s: upstream %s series (%s), not in the tree", r->series, r->up->moniker,
			    r->up->version);
		else if (r->state == SERIES_ABSENT)
			continue;
		else if (r->state == SERIES_GONE)
			dk_warn("%s: not on upstream's list (end of life?): the tree has %s", r->series, r->tree);
		else if (r->up->eol)
			dk_warn("%s: end of life upstream: %s is its last release", r->series, r->up->version);
	}
	return 0;
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	struct prog p = { .synopsis = synopsis, .opts = options };
	int c;

	prog_init(&p, argv[0]);
	while ((c = prog_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'a': o->all = 1; break;
		case 'C': o->dir = optarg; break;
		case 'p':
			if (!(o->pkgs = realloc(o->pkgs, (o->npkgs + 1) * sizeof *o->pkgs)))
				dk_die(DK_FAIL, "out of memory");
			o->pkgs[o->npkgs++] = optarg;
			break;
		case 'q': o->quiet = 1; break;
		case 'u': o->url = optarg, o->url_given = 1; break;
		default: prog_usage(&p);
		}
	}
	if (argc - optind > 1)
		prog_usagef(&p, "one releases.json at most");
	if (argc - optind == 1 && o->url_given)
		prog_usagef(&p, "-u and a file exclude each other");
	if (argc - optind == 1)
		o->file = argv[optind];
}

int
main(int argc, char **argv)
{
	static const char *const defaults[] = { "sys-kernel/gentoo-kernel", "sys-kernel/vanilla-kernel" };
	struct opts o = { .dir = ".", .url = DEFAULT_URL };
	struct series_plan plan = { 0 };
	struct releases rel = { 0 };
	struct buf text = { 0 }, out = { 0 };
	struct dk_err e;
	const char *name = NULL;
	int status = DK_OK;

	parse_args(&o, argc, argv);
	/* every problem is found, and nothing printed on stdout unless none */
	for (size_t i = 0; i < (o.npkgs ? o.npkgs : 2); i++) {
		const char *pkg = o.npkgs ? o.pkgs[i] : defaults[i];
		char *dir;

		if (asprintf(&dir, "%s/%s", o.dir, pkg) < 0)
			dk_die(DK_FAIL, "out of memory");
		if (series_add_pkgdir(&plan, dir, &e) < 0) {
			dk_perr(&e);
			status = DK_FAIL;
		}
		free(dir);
	}
	if (load_text(&o, &text, &name, &e) < 0 || releases_parse(&rel, name, text.s, text.len, &e) < 0) {
		dk_perr(&e);
		status = DK_FAIL;
	}
	if (status == DK_OK && (series_join(&plan, &rel, &e) < 0 || report(&o, &plan, &out) < 0))
		dk_die(DK_FAIL, "out of memory");
	if (status == DK_OK)
		fputs(buf_str(&out), stdout);
	series_free(&plan);
	releases_free(&rel);
	buf_free(&text);
	buf_free(&out);
	free(o.pkgs);
	if (dk_close_stdout() != DK_OK)
		status = DK_FAIL;
	return status;
}
