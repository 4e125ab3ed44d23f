/* dk-build: build kernel binary packages in containers on a pool of Docker
 * engines, through the Engine API: options, configuration, every check,
 * the pool run, the results. GPL-2.0-only. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "build.h"
#include "datadir.h"
#include "diff.h"
#include "dirs.h"
#include "dkconfig.h"
#include "engine.h"
#include "hash.h"
#include "image.h"
#include "lines.h"
#include "pool.h"
#include "prog.h"
#include "signkey.h"
#include "tree.h"

static const char synopsis[] =
	"usage: dk-build [-nqR] [-c file] [-d diff] [-j jobs] [-k key] [-L logdir] [-r retries]\n"
	"                [-T duration] [--allow-empty] [--keep-containers] [target ...]\n"
	"       dk-build [-c file] config\n"
	"       dk-build [-c file] status\n"
	"       dk-build [-a] [-c file] prune\n";

enum { OPT_ALLOW_EMPTY = PROG_LONG, OPT_KEEP };

static const struct prog_opt opts[] = {
	{ 'a', "all", NULL, "prune: every dk image and the build cache, not only replaced ones" },
	{ OPT_ALLOW_EMPTY, "allow-empty", NULL, "build even when local.diff is empty" },
	{ 'c', "config", "FILE", "the configuration (default $XDG_CONFIG_HOME/dk/config.yaml)" },
	{ 'd', "diff", "FILE", "local.diff to apply (default local_diff:)" },
	{ 'j', "jobs", "N", "containers at once per engine (1-64)" },
	{ OPT_KEEP, "keep-containers", NULL, "keep the containers after the build" },
	{ 'k', "key", "FILE", "the module-signing key (default signing_key:)" },
	{ 'L', "logdir", "DIR", "where the build logs go (default logdir:)" },
	{ 'n', "dry-run", NULL, "make every check, build nothing" },
	{ 'q', "quiet", NULL, "no status block on a terminal" },
	{ 'R', "refresh-deps", NULL, "rebuild the deps images with a new gentoo.git snapshot" },
	{ 'r', "retries", "N", "retries after a kernel panic (0-100)" },
	{ 'T', "timeout", "DURATION", "end a container running longer (e.g. 90m, 8h; 0: none)" },
	{ 0 },
};

static const struct prog_alias aliases[] = {
	{ 'K', NULL, OPT_KEEP },
	{ 0 },
};

struct host {
	char *url;
	struct engine en;
	int up;			/* engine_open worked */
	int steve;		/* /dev/steve exists there */
	char why[1024];		/* why it is not usable */
	pthread_mutex_t images;	/* one image build at a time per host */
};

/* What an arch's images are on one host, decided by the checks. */
struct deps_state {
	int refresh;		/* build it anew (and refresh the snapshot) */
	char snapshot[65];	/* the commit the deps image holds */
	struct buf delta;	/* snapshot..base, for the kernel image */
	int ready;		/* ensured in this run */
	char tag[128];
	char *id;
};

struct target {
	char *name;
	const struct dkc_arch *arch;
	size_t ai;		/* index of arch */
	int deps;		/* build-ARCH-kernel-deps */
	char *pkg, *series;
	struct pool_target pt;
	char last[160];		/* its log's last line, for the status */
	char *paths;		/* collected packages */
	int kept;		/* failed, but the kernel packages were kept */
	long start;		/* this attempt's offset in the log */
	const char *why;	/* of a retry: "panic", "timeout" */
};

/* The whole run: options, configuration, hosts, targets. */
struct run {
	/* options */
	const char *cfgfile, *diff_opt, *key_opt, *logdir_opt;
	long jobs, retries, timeout;
	int all, dry, quiet, refresh, allow_empty, keep;
	/* configuration */
	struct config raw;
	struct dkconfig cfg;
	char datadir[PATH_MAX];
	struct buf df_deps, df_kernel;	/* the templates */
	/* inputs of kernel targets */
	char *diff, *key, *logdir;
	char base[65];		/* the diff's base commit */
	int no_tree;		/* repo is no git checkout: no snapshot, no delta */
	char diffsum[65];
	char *snapshot_tar;	/* git archive of base, made once */
	pthread_mutex_t snap_mu;
	/* hosts, pools, targets */
	struct host *hosts;
	size_t nhosts;
	size_t **pool;		/* per arch: host indices, usable ones */
	size_t *npool;
	struct deps_state *ds;	/* [arch * nhosts + host] */
	struct target *t;
	size_t nt;
	volatile sig_atomic_t cancelled;
	int tty, status_lines, problems;
	pthread_mutex_t problem_mu;	/* the checks' lines whole, their count right */
	int diff_empty;
};

#define DS(r, ai, h) (&(r)->ds[(ai) * (r)->nhosts + (h)])

static void
problem(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct run *r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->problem_mu);
	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	r->problems++;
	pthread_mutex_unlock(&r->problem_mu);
}

/* ---- options, configuration, targets ---- */

static int
is_mode(const char *s)
{
	return !strcmp(s, "config") || !strcmp(s, "status") || !strcmp(s, "prune") || !strcmp(s, "prune-all");
}

/* Options, also after a mode word ("prune -a" as "-a prune"). */
static void
options(struct run *r, int *argc, char ***argv)
{
	struct prog p = { .synopsis = synopsis, .opts = opts, .aliases = aliases };
	int c, modes = 0;

	prog_init(&p, (*argv)[0]);
	r->jobs = r->retries = r->timeout = -1;
	for (;;) {
		while ((c = prog_getopt(&p, *argc, *argv)) != -1) {
			switch (c) {
			case 'a': r->all = 1; break;
			case 'c': r->cfgfile = optarg; break;
			case 'd': r->diff_opt = optarg; break;
			case 'j': r->jobs = prog_number("--jobs", optarg, 1, 64); break;
			case OPT_KEEP: r->keep = 1; break;
			case 'k': r->key_opt = optarg; break;
			case 'L': r->logdir_opt = optarg; break;
			case 'n': r->dry = 1; break;
			case 'q': r->quiet = 1; break;
			case 'R': r->refresh = 1; break;
			case 'r': r->retries = prog_number("--retries", optarg, 0, 100); break;
			case 'T':
				if (dkconfig_duration(optarg, &r->timeout) < 0)
					prog_usagef(&p, "--timeout: '%s' is not a duration (e.g. 90m, 8h; 0: none)", optarg);
				break;
			case OPT_ALLOW_EMPTY: r->allow_empty = 1; break;
			default: prog_usage(&p);
			}
		}
		if (modes++ || optind >= *argc || !is_mode((*argv)[optind]) || optind + 1 >= *argc)
			break;
		/* the mode word first, then its options: move it to the end */
		{
			char *m = (*argv)[optind];

			memmove(&(*argv)[optind], &(*argv)[optind + 1], (size_t)(*argc - optind - 1) * sizeof **argv);
			(*argv)[*argc - 1] = m;
		}
	}
	*argc -= optind;
	*argv += optind;
	if (*argc > 1 && is_mode((*argv)[0]))
		prog_usagef(&p, "%s takes no targets", (*argv)[0]);
}

/* Loads and checks the configuration; options override it. */
static void
configure(struct run *r)
{
	struct buf probs = { 0 };
	struct dk_err e;

	if (config_load(&r->raw, r->cfgfile, &e) < 0)
		dk_die(DK_FAIL, "%s", e.msg);
	if (dkconfig_decode(&r->cfg, &r->raw, &probs, &e) < 0) {
		for (char *s = probs.s, *nl; s && *s; s = nl + 1) {
			nl = strchr(s, '\n');
			fprintf(stderr, "%s: %.*s\n", dk_prog, (int)(nl - s), s);
		}
		exit(DK_FAIL);
	}
	if (r->jobs > 0)
		r->cfg.jobs = r->jobs;
	if (r->retries >= 0)
		r->cfg.retries = r->retries;
	if (r->timeout >= 0)
		r->cfg.timeout = r->timeout;
	r->diff = config_path(r->diff_opt ? r->diff_opt : r->cfg.local_diff);
	r->key = config_path(r->key_opt ? r->key_opt : r->cfg.signing_key);
	r->logdir = config_path(r->logdir_opt ? r->logdir_opt : r->cfg.logdir);
	if (!r->diff || !r->key || !r->logdir)
		dk_die(DK_FAIL, "out of memory");
}

/* Parses name into t: 0, or -1 when it is no known form. */
static int
parse_target(const struct run *r, const char *name, struct target *t)
{
	struct dkc_target dt;
	int ret;

	memset(t, 0, sizeof *t);
	if ((ret = dkconfig_target(&r->cfg, name, &dt)) == -2)
		dk_die(DK_FAIL, "out of memory");
	if (ret < 0)
		return -1;
	t->arch = dt.arch;
	t->deps = dt.deps;
	t->pkg = dt.pkg;
	t->series = dt.series;
	t->ai = (size_t)(dt.arch - r->cfg.arches);
	t->pt.group = t->ai;
	if (!(t->name = strdup(name)))
		dk_die(DK_FAIL, "out of memory");
	return 0;
}

static void __attribute__((noreturn))
bad_target(const struct run *r, const char *name)
{
	char q[DK_QUOTE_MAX];
	size_t i;

	/* a target read from a pipe may be any garbage: quote 80 bytes */
	fprintf(stderr, "%s: unknown target '%s'; the valid forms are:\n"
		"  ARCH-PKG-SERIES (e.g. amd64-gentoo-kernel-6.6), build-ARCH-kernel-deps, config, status, prune\n"
		"  ARCH:", dk_prog, dk_quote(q, sizeof q, name, strlen(name)));
	for (i = 0; i < r->cfg.narches; i++)
		fprintf(stderr, " %s", r->cfg.arches[i].name);
	fputs("\n  PKG:", stderr);
	for (i = 0; r->cfg.packages[i]; i++)
		fprintf(stderr, " %s", r->cfg.packages[i]);
	fputs("\n  SERIES: MAJOR.MINOR, e.g. 6.6\n", stderr);
	exit(DK_USAGE);
}

/* The targets: operands, or one per line on stdin; duplicates once. */
static void
read_targets(struct run *r, int argc, char **argv, char ***names, size_t *n)
{
	size_t cap = 0, i;
	struct lines l;
	struct dk_err e = { "" };

	for (i = 0; i < (size_t)argc || (argc == 0 && !i); i++) {
		const char *s = argc ? argv[i] : NULL;

		if (!s) {
			prog_input(&l, "targets");
			while (lines_next_data(&l, &e) >= 0) {
				if (*n + 1 >= cap && !(*names = realloc(*names, (cap = cap * 2 + 16) * sizeof **names)))
					dk_die(DK_FAIL, "out of memory");
				(*names)[(*n)++] = strdup(l.line);
			}
			lines_free(&l);
			if (e.msg[0])
				dk_die(DK_FAIL, "%s", e.msg);
			break;
		}
		if (*n + 1 >= cap && !(*names = realloc(*names, (cap = cap * 2 + 16) * sizeof **names)))
			dk_die(DK_FAIL, "out of memory");
		(*names)[(*n)++] = strdup(s);
	}
	(void)r;
}

/* ---- hosts ---- */

static size_t
host_index(struct run *r, const char *url)
{
	size_t i;

	for (i = 0; i < r->nhosts; i++)
		if (!strcmp(r->hosts[i].url, url))
			return i;
	if (!(r->hosts = realloc(r->hosts, (r->nhosts + 1) * sizeof *r->hosts)))
		dk_die(DK_FAIL, "out of memory");
	memset(&r->hosts[i], 0, sizeof r->hosts[i]);
	if (!(r->hosts[i].url = strdup(url)))
		dk_die(DK_FAIL, "out of memory");
	pthread_mutex_init(&r->hosts[i].images, NULL);
	return r->nhosts++;
}

struct opener {
	struct run *r;
	struct host *h;
};

static void *
open_one(void *arg)
{
	struct opener *o = arg;
	struct dk_err e;

	o->h->en.cancel = &o->r->cancelled;
	o->h->en.connect_timeout = 10;
	if (engine_open(&o->h->en, o->h->url, o->r->cfg.ssh[0] ? o->r->cfg.ssh : NULL, &e) == 0)
		o->h->up = 1;
	else
		snprintf(o->h->why, sizeof o->h->why, "%s", e.msg);
	return NULL;
}

/* Runs fn on every host with want[i] set, all at once, so that a slow or
 * unreachable one delays nothing. */
static void
each_host(struct run *r, const int *want, void *(*fn)(void *))
{
	pthread_t *th = calloc(r->nhosts + 1, sizeof *th);
	struct opener *o = calloc(r->nhosts + 1, sizeof *o);
	int *started = calloc(r->nhosts + 1, sizeof *started);
	size_t i;

	if (!th || !o || !started)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->nhosts; i++) {
		o[i].r = r;
		o[i].h = &r->hosts[i];
		if (want[i] && pthread_create(&th[i], NULL, fn, &o[i]) == 0)
			started[i] = 1;
		else if (want[i])
			fn(&o[i]);
	}
	for (i = 0; i < r->nhosts; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	free(th);
	free(o);
	free(started);
}

/* Opens the hosts of the arches marked in arches (NULL: the configured
 * ones: set by the file or environment, else the default once) and makes
 * each arch's pool: the hosts that answered with the right arch. */
static void
open_hosts(struct run *r, const int *arches)
{
	size_t i, j, k;
	int *want, any = 0;

	for (i = 0; i < r->cfg.narches; i++)
		any |= r->cfg.arches[i].hosts_set;
	r->pool = calloc(r->cfg.narches + 1, sizeof *r->pool);
	r->npool = calloc(r->cfg.narches + 1, sizeof *r->npool);
	if (!r->pool || !r->npool)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->cfg.narches; i++) {
		const struct dkc_arch *a = &r->cfg.arches[i];

		if (arches ? !arches[i] : any && !a->hosts_set)
			continue;
		for (j = 0; a->hosts[j]; j++)
			host_index(r, a->hosts[j]);
	}
	if (!(want = calloc(r->nhosts + 1, sizeof *want)))
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->nhosts; i++)
		want[i] = 1;
	each_host(r, want, open_one);
	free(want);
	for (i = 0; i < r->cfg.narches; i++) {
		const struct dkc_arch *a = &r->cfg.arches[i];

		if (!(r->pool[i] = calloc(r->nhosts + 1, sizeof **r->pool)))
			dk_die(DK_FAIL, "out of memory");
		for (j = 0; a->hosts[j] && (!arches || arches[i]); j++) {
			size_t h = host_index(r, a->hosts[j]);
			int match = !a->engine_arch[0];

			for (k = 0; a->engine_arch[k] && r->hosts[h].up; k++)
				match |= !strcmp(a->engine_arch[k], r->hosts[h].en.arch);
			if (r->hosts[h].up && match)
				r->pool[i][r->npool[i]++] = h;
			else if (r->hosts[h].up && !strstr(r->hosts[h].why, "engine is"))
				snprintf(r->hosts[h].why, sizeof r->hosts[h].why, "%s: engine is %s, not %s",
					r->hosts[h].url, r->hosts[h].en.arch, a->engine_arch[0]);
		}
	}
}

/* ---- images ---- */

/* The checks of arch ai on host h: stage, devices, the deps image's
 * state and the delta its snapshot needs. */
static void
check_images(struct run *r, struct host *h, size_t ai, struct deps_state *ds, int refresh)
{
	const struct dkc_arch *a = &r->cfg.arches[ai];
	struct engine_image im = { 0 }, st = { 0 };
	struct image_store p;
	char stage[128];
	struct dk_err e;
	long long age;

	if (image_stage(&h->en, a->stage, a->name, r->cfg.label, stderr, stage, &e) < 0 ||
	    engine_image_inspect(&h->en, stage, &st, &e) < 0) {
		problem(r, "%s: %s", a->name, e.msg);
		return;
	}
	if (!a->devices[0] && r->cfg.steve == DKC_STEVE_OFF) {
		h->steve = 0;	/* nothing to look for */
	} else if (build_probe_devices(&h->en, stage, r->cfg.label, a->devices, r->cfg.steve != DKC_STEVE_OFF, &e) == 0) {
		h->steve = r->cfg.steve != DKC_STEVE_OFF;
	} else if (r->cfg.steve == DKC_STEVE_AUTO && strstr(e.msg, "/dev/steve") &&
		   (!a->devices[0] || build_probe_devices(&h->en, stage, r->cfg.label, a->devices, 0, &e) == 0)) {
		h->steve = 0;	/* builds take MAKEOPTS from the engine's CPU count */
	} else {
		problem(r, "%s: devices %s: %s", h->url, a->devices[0] || r->cfg.steve == DKC_STEVE_ON ? "" : "(none)",
			e.msg);
		engine_image_free(&st);
		return;
	}
	if (image_deps_recipe(&r->cfg, a, stage, st.id, buf_str(&r->df_deps), r->base, NULL, &p) < 0)
		dk_die(DK_FAIL, "out of memory");
	if (image_tag(&p.r, ds->tag, &e) < 0 || engine_image_inspect(&h->en, ds->tag, &im, &e) < 0) {
		problem(r, "%s: %s", a->name, e.msg);
		goto out;
	}
	age = im.id ? (long long)time(NULL) - im.created : 0;
	ds->refresh = refresh || r->refresh || !im.id || (!r->no_tree && age > r->cfg.deps_max_age);
	if (!ds->refresh) {
		const char *snap = cfg_str(cfg_member(&im.labels, "dk.snapshot"));

		if (r->no_tree) {
			snprintf(ds->snapshot, sizeof ds->snapshot, "%s", snap ? snap : "");
		} else if (!snap || strlen(snap) != 40 || tree_has(r->cfg.repo, snap, &e) != 1) {
			ds->refresh = 1;	/* a snapshot this tree does not know: make a new one */
		} else {
			snprintf(ds->snapshot, sizeof ds->snapshot, "%s", snap);
			if (tree_delta(r->cfg.repo, ds->snapshot, r->base, &ds->delta, &e) < 0)
				problem(r, "%s: %s", a->name, e.msg);
		}
	}
	if (ds->refresh && r->no_tree)
		problem(r, "%s: %s: %s deps image %s: %s is no git checkout to make a snapshot from (config key repo)",
			a->name, h->url, im.id ? "cannot refresh the" : "no", ds->tag, r->cfg.repo);
	else if (ds->refresh)
		snprintf(ds->snapshot, sizeof ds->snapshot, "%s", r->base);
out:
	image_store_free(&p);
	engine_image_free(&im);
	engine_image_free(&st);
}

/* The gentoo.git snapshot, made once per run. */
static int
snapshot_tar(struct run *r, struct dk_err *e)
{
	int fd, ret = 0;

	pthread_mutex_lock(&r->snap_mu);
	if (!r->snapshot_tar) {
		char *p = NULL;

		if (asprintf(&p, "%s/.dk-gentoo.XXXXXX", r->logdir) < 0 || (fd = mkstemp(p)) < 0) {
			ret = dk_syserrf(e, r->logdir, 0, "cannot create the snapshot");
			free(p);
		} else {
			close(fd);
			if ((ret = tree_archive(r->cfg.repo, r->base, p, e)) < 0) {
				unlink(p);
				free(p);
			} else {
				r->snapshot_tar = p;
			}
		}
	}
	pthread_mutex_unlock(&r->snap_mu);
	return ret;
}

/* The deps image of arch ai on host hi: reused, or built (refreshing the
 * snapshot) as the checks decided. Host's image lock held. */
static int
ensure_deps(struct run *r, size_t hi, size_t ai, FILE *log, struct dk_err *e)
{
	struct deps_state *ds = DS(r, ai, hi);
	struct host *h = &r->hosts[hi];
	const struct dkc_arch *a = &r->cfg.arches[ai];
	struct engine_image st = { 0 }, im = { 0 };
	char stage[128], *cache = NULL, name[160];
	struct image_store p = { 0 };
	int ret = -1;

	if (ds->ready) {
		fprintf(log, "dk-build: %s: reusing image %s\n", h->url, ds->tag);
		return 0;
	}
	if (image_stage(&h->en, a->stage, a->name, r->cfg.label, log, stage, e) < 0 ||
	    engine_image_inspect(&h->en, stage, &st, e) < 0)
		goto out;
	if (!ds->refresh) {
		fprintf(log, "dk-build: %s: reusing image %s (snapshot %.12s)\n", h->url, ds->tag, ds->snapshot);
	} else {
		snprintf(name, sizeof name, "deps-%s", a->name);
		if (snapshot_tar(r, e) < 0 || image_newest(&h->en, name, &cache, e) < 0)
			goto out;
		if (image_deps_recipe(&r->cfg, a, stage, st.id, buf_str(&r->df_deps), r->base, r->snapshot_tar, &p) < 0 ||
		    asprintf(&p.hints[0], "CACHE=%s", cache ? cache : stage) < 0)
			dk_die(DK_FAIL, "out of memory");
		fprintf(log, "dk-build: %s: building image %s (snapshot %.12s)\n", h->url, ds->tag, r->base);
		fflush(log);
		if (image_build(&h->en, &p.r, ds->tag, r->cfg.label, r->logdir, log, e) < 0)
			goto out;
		buf_reset(&ds->delta);
	}
	if (engine_image_inspect(&h->en, ds->tag, &im, e) < 0)
		goto out;
	if (!im.id) {
		dk_errf(e, NULL, 0, "%s: image %s vanished", h->url, ds->tag);
		goto out;
	}
	free(ds->id);
	ds->id = im.id;
	im.id = NULL;
	ds->ready = 1;
	ret = 0;
out:
	free(cache);
	image_store_free(&p);
	engine_image_free(&st);
	engine_image_free(&im);
	return ret;
}

/* The kernel image of target t on host hi into tag. */
static int
ensure_kernel(struct run *r, size_t hi, struct target *t, FILE *log, char tag[128], struct dk_err *e)
{
	struct host *h = &r->hosts[hi];
	struct engine_image im = { 0 };
	struct image_store p;
	int ret = -1;

	pthread_mutex_lock(&h->images);
	if (ensure_deps(r, hi, t->ai, log, e) < 0)
		goto out;
	{
		struct deps_state *ds = DS(r, t->ai, hi);

		if (image_kernel_recipe(&r->cfg, t->arch, ds->tag, ds->id, buf_str(&r->df_kernel), ds->snapshot,
			r->no_tree ? ds->snapshot : r->base, r->diffsum, r->diff, buf_str(&ds->delta), &p) < 0)
			dk_die(DK_FAIL, "out of memory");
	}
	if (image_tag(&p.r, tag, e) < 0 || engine_image_inspect(&h->en, tag, &im, e) < 0)
		goto free;
	if (im.id) {
		fprintf(log, "dk-build: %s: reusing image %s\n", h->url, tag);
		ret = 0;
	} else {
		fprintf(log, "dk-build: %s: building image %s\n", h->url, tag);
		fflush(log);
		ret = image_build(&h->en, &p.r, tag, r->cfg.label, r->logdir, log, e);
	}
free:
	image_store_free(&p);
	engine_image_free(&im);
out:
	pthread_mutex_unlock(&h->images);
	return ret;
}

/* ---- checks: every one before any long work ---- */

static int
read_template(struct run *r, const char *name, struct buf *b)
{
	char p[PATH_MAX * 2];
	struct dk_err e;

	if (r->cfg.dockerfiles && *r->cfg.dockerfiles)
		snprintf(p, sizeof p, "%s/%s", r->cfg.dockerfiles, name);
	else if (dk_datadir(NULL, r->datadir, sizeof r->datadir, &e) == 0)
		snprintf(p, sizeof p, "%s/docker/%s", r->datadir, name);
	else {
		problem(r, "%s: %s", name, e.msg);
		return -1;
	}
	if (read_file(p, b, &e) < 0) {
		problem(r, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* A directory that must be creatable and writable. */
static void
check_dir(struct run *r, const char *dir, const char *what)
{
	struct dk_err e;

	if (dirs_make(dir, 0755, &e) < 0)
		problem(r, "%s (%s)", e.msg, what);
	else if (access(dir, W_OK) < 0)
		problem(r, "%s: %s: %s", dir, what, strerror(errno));
}

/* The signing key, the dk-keygen -c checks. */
static void
check_key(struct run *r)
{
	struct signkey_report rep = { 0 };
	struct dk_err e;
	size_t i;

	if (signkey_check(r->key, time(NULL), &rep, &e) < 0) {
		problem(r, "%s (signing key)", e.msg);
		return;
	}
	for (i = 0; i < rep.nproblems; i++)
		problem(r, "%s: signing key: %s", r->key, rep.problems[i]);
	for (i = 0; i < rep.nwarnings; i++)
		dk_warn("%s: signing key: %s", r->key, rep.warnings[i]);
	signkey_report_free(&rep);
}

/* local.diff: text, inside the tree, not empty unless allowed; its
 * digest keys the kernel image. */
static void
check_diff(struct run *r)
{
	struct buf b = { 0 };
	struct hash_result h;
	struct diff d;
	struct dk_err e;

	if (read_file(r->diff, &b, &e) < 0) {
		problem(r, "%s (local.diff)", e.msg);
		return;
	}
	r->diff_empty = !b.len;
	if (!b.len && !r->allow_empty)
		problem(r, "%s: local.diff is empty: the build would run on the tree's old version "
			"(--allow-empty to build it anyway)", r->diff);
	else if (b.len && diff_parse(&d, r->diff, b.s, b.len, &e) < 0)
		problem(r, "%s", e.msg);
	else if (b.len)
		diff_free(&d);
	buf_free(&b);
	if (hash_file(r->diff, HASH_SHA256, &h, &e) < 0)
		problem(r, "%s", e.msg);
	else
		memcpy(r->diffsum, h.sha256, 65);
}

/* Per host: the stage image, the devices, the deps image's state. */
static void *
check_host(void *arg)
{
	struct opener *o = arg;
	struct run *r = o->r;
	size_t hi = (size_t)(o->h - r->hosts), ai, k;

	for (ai = 0; ai < r->cfg.narches; ai++) {
		int used = 0, wanted = 0, refresh = 0;

		for (k = 0; k < r->npool[ai] && !used; k++)
			used = r->pool[ai][k] == hi;
		for (k = 0; k < r->nt; k++) {
			wanted |= r->t[k].ai == ai;
			refresh |= r->t[k].ai == ai && r->t[k].deps;
		}
		if (used && wanted)
			check_images(r, o->h, ai, DS(r, ai, hi), refresh);
	}
	return NULL;
}

struct opening {
	struct run *r;
	const int *arches;
};

static void *
open_bg(void *arg)
{
	struct opening *o = arg;

	open_hosts(o->r, o->arches);
	return NULL;
}

/* Every check for all targets, one line per problem; 0 or exit status. */
static int
check_all(struct run *r)
{
	int *arches = calloc(r->cfg.narches + 1, sizeof *arches), kernel = 0, *want, opening;
	struct opening o;
	pthread_t th;
	size_t i, ai;

	if (!arches)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->nt; i++) {
		arches[r->t[i].ai] = 1;
		kernel |= !r->t[i].deps;
	}
	/* the engines answer while the local checks run */
	o.r = r;
	o.arches = arches;
	opening = pthread_create(&th, NULL, open_bg, &o) == 0;
	check_dir(r, r->logdir, "LOGDIR");
	for (ai = 0; ai < r->cfg.narches; ai++) {
		char d[PATH_MAX];

		snprintf(d, sizeof d, "%s/%s/kernel", r->cfg.binpkgroot, r->cfg.arches[ai].name);
		if (arches[ai] && kernel)
			check_dir(r, d, "BINPKGROOT");
	}
	read_template(r, "Dockerfile.deps", &r->df_deps);
	if (kernel) {
		read_template(r, "Dockerfile.kernel", &r->df_kernel);
		check_key(r);
		check_diff(r);
	}
	{
		struct dk_err e;

		if (!tree_is_repo(r->cfg.repo))
			r->no_tree = 1;	/* local.diff applies to the deps image's snapshot as it is */
		else if (tree_commit(r->cfg.repo, r->cfg.base, r->base, &e) < 0)
			problem(r, "%s", e.msg);
		else if (kernel && r->diffsum[0] && r->problems == 0 && !r->diff_empty &&
			 tree_check_diff(r->cfg.repo, r->base, r->diff, r->logdir, &e) < 0)
			problem(r, "%s", e.msg);
	}
	if (opening)
		pthread_join(th, NULL);
	else
		open_hosts(r, arches);
	for (ai = 0; ai < r->cfg.narches; ai++) {
		if (!arches[ai] || r->npool[ai])
			continue;
		for (i = 0; r->cfg.arches[ai].hosts[i]; i++) {
			struct host *h = &r->hosts[host_index(r, r->cfg.arches[ai].hosts[i])];

			problem(r, "no usable %s host: %s", r->cfg.arches[ai].name, h->why[0] ? h->why : h->url);
		}
		if (!r->cfg.arches[ai].hosts[0])
			problem(r, "no %s hosts configured", r->cfg.arches[ai].name);
	}
	for (i = 0; i < r->nhosts; i++)
		if (!r->hosts[i].up)
			dk_warn("not used: %s", r->hosts[i].why);
	free(arches);
	if (r->problems)
		return DK_FAIL;
	/* on the engines, all at once */
	if (!(r->ds = calloc(r->cfg.narches * r->nhosts + 1, sizeof *r->ds)) ||
	    !(want = calloc(r->nhosts + 1, sizeof *want)))
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->nhosts; i++)
		want[i] = r->hosts[i].up;
	each_host(r, want, check_host);
	free(want);
	return r->problems ? DK_FAIL : DK_OK;
}


/* ---- the build ---- */

static char *
log_path(const struct run *r, const struct target *t)
{
	char *p;

	if (asprintf(&p, "%s/%s.log", r->logdir, t->name) < 0)
		dk_die(DK_FAIL, "out of memory");
	return p;
}

static void
on_line(void *ctx, const char *s)
{
	struct target *t = ctx;

	snprintf(t->last, sizeof t->last, "%s", s);	/* a torn line only shows on the status */
}

/* The container of kernel target t on host hi. */
static char **
container_env(struct run *r, struct target *t)
{
	char *const *post = dkconfig_post(t->arch, t->series);
	size_t n = 0, i;
	struct buf pp = { 0 };
	char **env;

	while (r->cfg.env[n])
		n++;
	if (!(env = calloc(n + 5, sizeof *env)))
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; post[i]; i++)
		buf_printf(&pp, "%s%s", i ? " " : "", post[i]);
	if (asprintf(&env[0], "PKG=<sys-kernel/%s-%s.9999", t->pkg, t->series) < 0 ||
	    asprintf(&env[1], "POST_PKGS=%s", buf_str(&pp)) < 0 || asprintf(&env[2], "DK_PKGDIR=%s", r->cfg.pkgdir) < 0 ||
	    asprintf(&env[3], "DK_KERNEL_PKGDIR=%s.kernel", r->cfg.pkgdir) < 0)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < n; i++)
		if (!(env[4 + i] = strdup(r->cfg.env[i])))
			dk_die(DK_FAIL, "out of memory");
	buf_free(&pp);
	return env;
}

/* What a finished container left (build_kernel_packages). */
static int
collect(struct run *r, size_t hi, struct target *t, const char *id, int code, struct dk_err *e)
{
	char dest[PATH_MAX];
	struct buf paths = { 0 };

	snprintf(dest, sizeof dest, "%s/%s/kernel", r->cfg.binpkgroot, t->arch->name);
	if (build_kernel_packages(&r->hosts[hi].en, id, r->cfg.pkgdir, code, dest, &paths, e) < 0) {
		buf_free(&paths);
		return -1;
	}
	free(t->paths);
	t->paths = buf_take(&paths);
	return 0;
}

/* One attempt of kernel target t on host hi. */
static enum pool_outcome
run_kernel(struct run *r, size_t hi, struct target *t, FILE *log, const char *lp)
{
	struct host *h = &r->hosts[hi];
	char image[128], name[256], *cmd[] = { "/bin/sh", "-c", r->cfg.run, NULL }, lab[2][200], *labels[3];
	char bind[PATH_MAX + 32], *binds[2] = { NULL }, *devs[66], dur[32];
	char **env = container_env(r, t);
	struct engine_spec sp = { .image = image, .cmd = cmd, .env = env, .labels = labels, .binds = binds,
		.devices = devs, .tmpfs = t->arch->tmpfs, .host_network = 1 };
	struct build_run b = { .en = &h->en, .spec = &sp, .name = name, .key = r->key, .log = log,
		.timeout = r->cfg.timeout, .stall = r->cfg.stall, .line = on_line, .line_ctx = t };
	enum pool_outcome out = POOL_FAILED;
	struct dk_err e = { "" }, e2;
	size_t i;

	snprintf(lab[0], sizeof lab[0], "%s=1", r->cfg.label);
	snprintf(lab[1], sizeof lab[1], "dk.target=%s", t->name);
	labels[0] = lab[0], labels[1] = lab[1], labels[2] = NULL;
	if (r->cfg.distcache && *r->cfg.distcache) {
		snprintf(bind, sizeof bind, "%s:/var/cache/distfiles", r->cfg.distcache);
		binds[0] = bind;
	}
	for (i = 0; t->arch->devices[i] && i < 64; i++)
		devs[i] = t->arch->devices[i];
	if (h->steve)
		devs[i++] = "/dev/steve";
	devs[i] = NULL;
	snprintf(name, sizeof name, "dk-%s-%ld-%d", t->name, (long)getpid(), t->pt.attempts);
	if (ensure_kernel(r, hi, t, log, image, &e) < 0 || build_container(&b, &e) < 0)
		goto fail;
	if (b.end != BUILD_EXITED) {
		build_duration(b.end == BUILD_TIMEOUT ? r->cfg.timeout : r->cfg.stall, dur);
		fprintf(log, "\ndk-build: %s: timed out after %s%s: container killed and removed\n", t->name, dur,
			b.end == BUILD_STALL ? " without output (stall:)" : " (timeout:)");
		dk_warn("%s: timed out after %s%s", t->name, dur, b.end == BUILD_STALL ? " without output" : "");
		out = r->cfg.retry_timeouts ? POOL_RETRY : POOL_FAILED;
		t->why = "timeout";
		goto done;
	}
	if (collect(r, hi, t, b.id, b.code, &e) < 0)
		goto fail;
	if (b.code == 0) {
		out = POOL_OK;
	} else if (t->paths && *t->paths) {
		/* the kernel was built and saved; a module after it failed */
		fprintf(log, "dk-build: %s: exit status %d after the kernel packages were saved: %s\n", t->name,
			b.code, t->paths);
		t->kept = 1;
	} else {
		int panic = build_log_has(lp, t->start, r->cfg.panic);

		fprintf(log, "dk-build: %s: exit status %d%s\n", t->name, b.code, panic ? " after a panic" : "");
		out = panic ? POOL_RETRY : POOL_FAILED;
		t->why = "panic";
	}
	goto done;
fail:
	if (r->cancelled)
		snprintf(e.msg, sizeof e.msg, "%s: interrupted", t->name);
	fprintf(log, "dk-build: %s\n", e.msg);
	if (!r->cancelled)
		dk_warn("%s: %s", t->name, e.msg);
done:
	if (b.id) {
		if (b.code < 0 || b.end != BUILD_EXITED)	/* it may still run */
			engine_kill(&h->en, b.id, &e2);
		if (!r->keep || r->cancelled)
			engine_remove(&h->en, b.id, &e2);
		else
			fprintf(log, "dk-build: kept container %.12s\n", b.id);
	}
	free(b.id);
	cfg_strv_free(env);
	return out;
}

/* A deps target: the deps image (with a fresh snapshot) on every usable
 * host of its arch. */
static enum pool_outcome
run_deps(struct run *r, struct target *t, FILE *log)
{
	struct dk_err e = { "" };
	size_t i;
	int ret;

	for (i = 0; i < r->npool[t->ai]; i++) {
		size_t hi = r->pool[t->ai][i];
		struct deps_state *ds = DS(r, t->ai, hi);

		pthread_mutex_lock(&r->hosts[hi].images);
		ret = ensure_deps(r, hi, t->ai, log, &e);
		pthread_mutex_unlock(&r->hosts[hi].images);
		if (ret < 0) {
			fprintf(log, "dk-build: %s\n", e.msg);
			if (!r->cancelled)
				dk_warn("%s: %s", t->name, e.msg);
			return POOL_FAILED;
		}
		{
			char *p = NULL;

			if (asprintf(&p, "%s%s%s", t->paths ? t->paths : "", t->paths ? " " : "", ds->tag) < 0)
				dk_die(DK_FAIL, "out of memory");
			free(t->paths);
			t->paths = p;
		}
	}
	return POOL_OK;
}

static enum pool_outcome
run_target(void *ctx, size_t hi, struct pool_slot *slot, struct pool_target *pt)
{
	struct run *r = ctx;
	struct target *t = pt->data;
	char *lp = log_path(r, t);
	FILE *log = fopen(lp, pt->attempts > 1 ? "a" : "w");
	enum pool_outcome o = POOL_FAILED;

	(void)slot;
	if (!log) {
		dk_warn("%s: cannot open: %s", lp, strerror(errno));
	} else {
		fprintf(log, "dk-build: %s: attempt %d on %s\n", t->name, pt->attempts, r->hosts[hi].url);
		fflush(log);
		t->start = ftell(log);
		o = t->deps ? run_deps(r, t, log) : run_kernel(r, hi, t, log, lp);
		if (o == POOL_RETRY && pt->attempts <= r->cfg.retries)
			fprintf(log, "dk-build: %s: %s: retrying (%d of %ld)\n", t->name, t->why, pt->attempts,
				r->cfg.retries);
		if (fclose(log) != 0)
			dk_warn("%s: cannot write: %s", lp, strerror(errno));
	}
	free(lp);
	return o;
}

static int
serves(void *ctx, size_t host, size_t group)
{
	struct run *r = ctx;
	size_t i;

	for (i = 0; i < r->npool[group]; i++)
		if (r->pool[group][i] == host)
			return 1;
	return 0;
}

/* Clears the status block (lock held). */
static void
status_clear(struct run *r)
{
	if (r->tty && r->status_lines)
		fprintf(stderr, "\033[%dA\033[J", r->status_lines);
	r->status_lines = 0;
}

static void
done(void *ctx, struct pool_target *pt)
{
	struct run *r = ctx;
	struct target *t = pt->data;
	char *lp = log_path(r, t);

	status_clear(r);
	if (pt->outcome == POOL_OK)
		printf("%s ok%s%s\n", t->name, t->paths ? " " : "", t->paths ? t->paths : "");
	else
		printf("%s failed %s\n", t->name, lp);
	if (t->kept)
		dk_warn("%s: a module after the kernel failed; the kernel packages were kept: %s", t->name, t->paths);
	else if (pt->outcome != POOL_OK && !pt->attempts)
		dk_warn("%s: no usable %s host", t->name, t->arch->name);
	fflush(stdout);
	free(lp);
}

/* The live block on a terminal: one line per running container. */
static void
tick(void *ctx, const struct pool_slot *slots, size_t n)
{
	struct run *r = ctx;
	time_t now = time(NULL);
	size_t i;
	int lines = 0;

	if (!r->tty)
		return;
	if (r->status_lines)
		fprintf(stderr, "\033[%dA", r->status_lines);
	for (i = 0; i < n; i++) {
		struct target *t = slots[i].t ? slots[i].t->data : NULL;

		if (!t)
			continue;
		fprintf(stderr, "\033[K%-32s %-28.28s %4lds  %.60s\n", t->name, r->hosts[slots[i].host].url,
			(long)(now - slots[i].start), t->last);
		lines++;
	}
	for (; lines < r->status_lines; lines++)
		fputs("\033[K\n", stderr);
	fflush(stderr);
	r->status_lines = lines;
}

static void *
signals(void *arg)
{
	struct run *r = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			return NULL;
		r->cancelled = 1;
	}
}

/* SIGINT, TERM and HUP only set r->cancelled (every thread blocks them;
 * one thread waits for them), so that the checks and the build end
 * cleanly and remove their containers. Before any other thread. */
static void
signals_start(struct run *r, pthread_t *th)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(th, NULL, signals, r) != 0)
		dk_die(DK_FAIL, "cannot start a thread");
}

static void
signals_stop(pthread_t th)
{
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
}

static int
build_all(struct run *r)
{
	struct pool p = { .nhosts = r->nhosts, .jobs = (int)r->cfg.jobs, .retries = (int)r->cfg.retries,
		.serves = serves, .run = run_target, .done = done, .tick = tick, .ctx = r, .cancel = &r->cancelled };
	struct pool_target *pts = calloc(r->nt + 1, sizeof *pts);
	struct dk_err e;
	long ok;
	size_t i;

	if (!pts)
		dk_die(DK_FAIL, "out of memory");
	r->tty = !r->quiet && isatty(2);
	for (i = 0; i < r->nt; i++) {
		pts[i] = r->t[i].pt;
		pts[i].data = &r->t[i];
	}
	ok = pool_run(&p, pts, r->nt, &e);
	status_clear(r);
	free(pts);
	if (ok < 0)
		dk_die(DK_FAIL, "%s", e.msg);
	if (r->cancelled)
		return 130;
	return (size_t)ok == r->nt ? DK_OK : DK_FAIL;
}

/* ---- status, prune ---- */

static void
human(unsigned long long n, char *out, size_t size)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4)
		v /= 1024, i++;
	snprintf(out, size, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

static const char *
field(const struct cfg_node *n, const char *key)
{
	const char *s = cfg_str(cfg_member(n, key));

	return s ? s : "";
}

static int
do_status(struct run *r)
{
	time_t now = time(NULL);
	size_t i, j;
	int bad = 0;

	open_hosts(r, NULL);
	for (i = 0; i < r->nhosts; i++) {
		struct host *h = &r->hosts[i];
		struct cfg_node cs, is;
		struct dk_err e;

		if (!h->up) {
			printf("%s unreachable\n", h->url);
			dk_warn("%s", h->why);
			bad = 1;
			continue;
		}
		printf("%s ok %s %s\n", h->url, h->en.version, h->en.arch);
		if (engine_containers(&h->en, r->cfg.label, &cs, &e) < 0) {
			dk_perr(&e);
			bad = 1;
			continue;
		}
		if (engine_images(&h->en, r->cfg.label, &is, &e) < 0) {
			dk_perr(&e);
			cfg_free(&cs);
			bad = 1;
			continue;
		}
		for (j = 0; cs.kind == CFG_LIST && j < cs.n; j++) {
			const char *tn = cfg_str(cfg_get(&cs.kids[j], "Labels", "dk.target", (char *)NULL));

			printf("  container %s %s %s %llds\n", tn ? tn : "?", field(&cs.kids[j], "Id"),
				field(&cs.kids[j], "State"), (long long)now - atoll(field(&cs.kids[j], "Created")));
		}
		for (j = 0; is.kind == CFG_LIST && j < is.n; j++) {
			const struct cfg_node *tags = cfg_member(&is.kids[j], "RepoTags");
			char sz[32];

			human(strtoull(field(&is.kids[j], "Size"), NULL, 10), sz, sizeof sz);
			printf("  image %s %s\n", tags && tags->kind == CFG_LIST && tags->n && cfg_str(&tags->kids[0]) ?
				cfg_str(&tags->kids[0]) : field(&is.kids[j], "Id"), sz);
		}
		cfg_free(&cs);
		cfg_free(&is);
	}
	return bad ? DK_FAIL : DK_OK;
}

static int
prune_host(struct run *r, struct host *h, int all)
{
	struct image_pruned pr;
	struct dk_err e;
	char sz[32];

	if (image_prune(&h->en, r->cfg.label, all, &pr, &e) < 0) {
		dk_perr(&e);
		return -1;
	}
	human(pr.freed, sz, sizeof sz);
	printf("%s pruned %zu containers %zu images %s\n", h->url, pr.containers, pr.images, sz);
	return 0;
}

static int
do_prune(struct run *r, int all)
{
	size_t i;
	int bad = 0;

	open_hosts(r, NULL);
	for (i = 0; i < r->nhosts; i++) {
		if (!r->hosts[i].up) {
			dk_warn("%s", r->hosts[i].why);
			bad = 1;
		} else if (prune_host(r, &r->hosts[i], all) < 0) {
			bad = 1;
		}
	}
	return bad ? DK_FAIL : DK_OK;
}

static void
finish(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nhosts; i++) {
		engine_close(&r->hosts[i].en);
		free(r->hosts[i].url);
		pthread_mutex_destroy(&r->hosts[i].images);
	}
	for (i = 0; r->ds && i < r->cfg.narches * r->nhosts; i++) {
		buf_free(&r->ds[i].delta);
		free(r->ds[i].id);
	}
	for (i = 0; r->pool && i < r->cfg.narches; i++)
		free(r->pool[i]);
	for (i = 0; i < r->nt; i++) {
		free(r->t[i].name);
		free(r->t[i].pkg);
		free(r->t[i].series);
		free(r->t[i].paths);
	}
	if (r->snapshot_tar)
		unlink(r->snapshot_tar);
	free(r->snapshot_tar);
	free(r->ds);
	free(r->pool);
	free(r->npool);
	free(r->hosts);
	free(r->t);
	free(r->diff);
	free(r->key);
	free(r->logdir);
	buf_free(&r->df_deps);
	buf_free(&r->df_kernel);
	dkconfig_free(&r->cfg);
	config_free(&r->raw);
}

int
main(int argc, char *argv[])
{
	struct run r = { .snap_mu = PTHREAD_MUTEX_INITIALIZER, .problem_mu = PTHREAD_MUTEX_INITIALIZER };
	char **names = NULL;
	size_t nnames = 0, i, j;
	pthread_t sigthread;
	int ret;

	options(&r, &argc, &argv);
	configure(&r);
	if (argc == 1 && !strcmp(argv[0], "config")) {
		ret = dkconfig_dump(&r.raw, stdout) < 0 ? DK_FAIL : DK_OK;
		finish(&r);
		return dk_close_stdout() != DK_OK ? DK_FAIL : ret;
	}
	read_targets(&r, argc, argv, &names, &nnames);
	if (nnames == 0) {
		fputs(synopsis, stderr);
		return DK_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		dk_die(DK_FAIL, "cannot start libcurl");
	if (nnames == 1 && !strcmp(names[0], "status")) {
		ret = do_status(&r);
	} else if (nnames == 1 && (!strcmp(names[0], "prune") || !strcmp(names[0], "prune-all"))) {
		ret = do_prune(&r, r.all || !strcmp(names[0], "prune-all"));
	} else {
		if (!(r.t = calloc(nnames, sizeof *r.t)))
			dk_die(DK_FAIL, "out of memory");
		for (i = 0; i < nnames; i++) {
			for (j = 0; j < r.nt && strcmp(r.t[j].name, names[i]); j++)
				;
			if (j < r.nt)
				continue;
			if (parse_target(&r, names[i], &r.t[r.nt]) < 0)
				bad_target(&r, names[i]);
			r.nt++;
		}
		signals_start(&r, &sigthread);
		ret = check_all(&r);
		if (ret == DK_OK && !r.dry && !r.cancelled)
			ret = build_all(&r);
		signals_stop(sigthread);
		if (r.cancelled) {
			dk_warn("interrupted");
			ret = 130;
		}
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	finish(&r);
	curl_global_cleanup();
	if (dk_close_stdout() != DK_OK && ret == DK_OK)
		ret = DK_FAIL;
	return ret;
}
