/* dk: one dk-build run: targets, engines, checks, images, the pool run.
 * GPL-2.0-only. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "brun.h"
#include "build.h"
#include "datadir.h"
#include "diff.h"
#include "dirs.h"
#include "hash.h"
#include "image.h"
#include "lines.h"
#include "log.h"
#include "signkey.h"
#include "tree.h"

/* Where the images keep gentoo.git (contrib/docker/Dockerfile.*). */
#define BRUN_TREE "/var/db/repos/gentoo"

/* What an arch's images are on one host, decided by the checks. */
struct brun_deps {
	int refresh;		/* build it anew (and refresh the snapshot) */
	char snapshot[65];	/* the commit the deps image holds */
	struct buf delta;	/* snapshot..base, for the kernel image */
	int ready;		/* ensured in this run */
	char tag[128];
	char *id;
};

#define DS(r, ai, h) (&(r)->ds[(ai) * (r)->nhosts + (h)])

/* A formatted string, malloc'ed, or NULL. */
static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static void problem(struct brun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void caution(struct brun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats a problem (counted: the run stops before the long work) or a
 * warning, and hands it to the program's callback. */
static void
say(struct brun *r, int is_problem, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	if (is_problem) {
		pthread_mutex_lock(&r->problem_mu);
		if (r->ui.problem)
			r->ui.problem(r->ui.ctx, s ? s : "out of memory");
		r->problems++;
		pthread_mutex_unlock(&r->problem_mu);
	} else if (r->ui.caution) {
		r->ui.caution(r->ui.ctx, s ? s : "out of memory");
	}
	free(s);
}

static void
problem(struct brun *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(r, 1, fmt, ap);
	va_end(ap);
}

static void
caution(struct brun *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(r, 0, fmt, ap);
	va_end(ap);
}

void
brun_init(struct brun *r, const struct dkconfig *cfg)
{
	memset(r, 0, sizeof *r);
	r->cfg = cfg;
	pthread_mutex_init(&r->snap_mu, NULL);
	pthread_mutex_init(&r->problem_mu, NULL);
}

static void
target_free(struct brun_target *t)
{
	free(t->name);
	free(t->pkg);
	free(t->series);
	free(t->paths);
}

void
brun_free(struct brun *r)
{
	size_t i;

	for (i = 0; i < r->nhosts; i++) {
		engine_close(&r->hosts[i].en);
		free(r->hosts[i].url);
		pthread_mutex_destroy(&r->hosts[i].images);
	}
	for (i = 0; r->ds && i < r->cfg->narches * r->nhosts; i++) {
		buf_free(&r->ds[i].delta);
		free(r->ds[i].id);
	}
	for (i = 0; r->pool && i < r->cfg->narches; i++)
		free(r->pool[i]);
	for (i = 0; i < r->nt; i++)
		target_free(&r->t[i]);
	if (r->snapshot_tar)
		unlink(r->snapshot_tar);
	free(r->snapshot_tar);
	free(r->ds);
	free(r->pool);
	free(r->npool);
	free(r->hosts);
	free(r->t);
	buf_free(&r->df_deps);
	buf_free(&r->df_kernel);
	pthread_mutex_destroy(&r->snap_mu);
	pthread_mutex_destroy(&r->problem_mu);
}

/* image_note onto the run's notes, or a log. */
static void
note_caution(void *ctx, const char *msg)
{
	caution(ctx, "%s", msg);
}

static void
note_log(void *ctx, const char *msg)
{
	log_line(ctx, "%s", msg);
}

/* ---- targets ---- */

int
brun_target_parse(const struct dkconfig *c, const char *name, struct brun_target *t)
{
	struct dkc_target dt;
	int ret;

	memset(t, 0, sizeof *t);
	if ((ret = dkconfig_target(c, name, &dt)) < 0)
		return ret;
	t->arch = dt.arch;
	t->deps = dt.deps;
	t->pkg = dt.pkg;
	t->series = dt.series;
	t->ai = (size_t)(dt.arch - c->arches);
	t->pt.group = t->ai;
	if (!(t->name = strdup(name))) {
		target_free(t);
		return -2;
	}
	return 0;
}

int
brun_add_target(struct brun *r, const char *name)
{
	struct brun_target *nt;
	size_t i;
	int ret;

	for (i = 0; i < r->nt; i++)
		if (!strcmp(r->t[i].name, name))
			return 0;
	if (!(nt = realloc(r->t, (r->nt + 1) * sizeof *r->t)))
		return -2;
	r->t = nt;
	if ((ret = brun_target_parse(r->cfg, name, &r->t[r->nt])) < 0)
		return ret;
	r->nt++;
	return 0;
}

/* ---- hosts ---- */

/* The index of url in r->hosts, added when new; (size_t)-1: ENOMEM. */
static size_t
host_index(struct brun *r, const char *url)
{
	struct brun_host *nh;
	size_t i;

	for (i = 0; i < r->nhosts; i++)
		if (!strcmp(r->hosts[i].url, url))
			return i;
	if (!(nh = realloc(r->hosts, (r->nhosts + 1) * sizeof *r->hosts)))
		return (size_t)-1;
	r->hosts = nh;
	memset(&r->hosts[i], 0, sizeof r->hosts[i]);
	if (!(r->hosts[i].url = strdup(url)))
		return (size_t)-1;
	pthread_mutex_init(&r->hosts[i].images, NULL);
	return r->nhosts++;
}

struct on_host {
	struct brun *r;
	struct brun_host *h;
};

static void *
open_one(void *arg)
{
	struct on_host *o = arg;
	struct dk_err e;

	o->h->en.cancel = &o->r->cancelled;
	o->h->en.connect_timeout = 10;
	if (engine_open(&o->h->en, o->h->url, o->r->cfg->ssh[0] ? o->r->cfg->ssh : NULL, &e) == 0)
		o->h->up = 1;
	else
		snprintf(o->h->why, sizeof o->h->why, "%s", e.msg);
	return NULL;
}

/* Runs fn on every host with want[i] set, all at once, so that a slow or
 * unreachable one delays nothing. 0 or -1 (ENOMEM). */
static int
each_host(struct brun *r, const int *want, void *(*fn)(void *))
{
	pthread_t *th = calloc(r->nhosts + 1, sizeof *th);
	struct on_host *o = calloc(r->nhosts + 1, sizeof *o);
	int *started = calloc(r->nhosts + 1, sizeof *started), ret = -1;
	size_t i;

	if (th && o && started) {
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
		ret = 0;
	}
	free(th);
	free(o);
	free(started);
	return ret;
}

/* Arch a's pool: its hosts that are up with the right arch. */
static void
make_pool(struct brun *r, size_t ai)
{
	const struct dkc_arch *a = &r->cfg->arches[ai];
	size_t j, k;

	for (j = 0; a->hosts[j]; j++) {
		size_t h = host_index(r, a->hosts[j]);	/* known: no allocation */
		int match = !a->engine_arch[0];

		for (k = 0; a->engine_arch[k] && r->hosts[h].up; k++)
			match |= !strcmp(a->engine_arch[k], r->hosts[h].en.arch);
		if (r->hosts[h].up && match)
			r->pool[ai][r->npool[ai]++] = h;
		else if (r->hosts[h].up && !strstr(r->hosts[h].why, "engine is"))
			snprintf(r->hosts[h].why, sizeof r->hosts[h].why, "%s: engine is %s, not %s", r->hosts[h].url,
				r->hosts[h].en.arch, a->engine_arch[0]);
	}
}

int
brun_open(struct brun *r, const int *arches)
{
	size_t i, j;
	int *want, any = 0, ret;

	for (i = 0; i < r->cfg->narches; i++)
		any |= r->cfg->arches[i].hosts_set;
	if (!(r->pool = calloc(r->cfg->narches + 1, sizeof *r->pool)) ||
	    !(r->npool = calloc(r->cfg->narches + 1, sizeof *r->npool)))
		return -1;
	for (i = 0; i < r->cfg->narches; i++) {
		const struct dkc_arch *a = &r->cfg->arches[i];

		if (arches ? !arches[i] : any && !a->hosts_set)
			continue;
		for (j = 0; a->hosts[j]; j++)
			if (host_index(r, a->hosts[j]) == (size_t)-1)
				return -1;
	}
	if (!(want = calloc(r->nhosts + 1, sizeof *want)))
		return -1;
	for (i = 0; i < r->nhosts; i++)
		want[i] = 1;
	ret = each_host(r, want, open_one);
	free(want);
	for (i = 0; ret == 0 && i < r->cfg->narches; i++) {
		if (!(r->pool[i] = calloc(r->nhosts + 1, sizeof **r->pool)))
			return -1;
		if (!arches || arches[i])
			make_pool(r, i);
	}
	return ret;
}

/* ---- the plan of the checks ---- */

int
brun_plan(const struct brun *r, struct brun_plan *p)
{
	size_t i, n = 0;

	memset(p, 0, sizeof *p);
	if (!(p->arches = calloc(r->cfg->narches + 1, sizeof *p->arches)) ||
	    !(p->refresh = calloc(r->cfg->narches + 1, sizeof *p->refresh)) ||
	    !(p->dirs = calloc(r->cfg->narches + 2, sizeof *p->dirs)) ||
	    !(p->what = calloc(r->cfg->narches + 2, sizeof *p->what)))
		goto nomem;
	for (i = 0; i < r->nt; i++) {
		p->arches[r->t[i].ai] = 1;
		p->refresh[r->t[i].ai] |= r->t[i].deps;
		p->kernel |= !r->t[i].deps;
	}
	if (!(p->dirs[n] = strdup(r->logdir)) || !(p->what[n++] = strdup("LOGDIR")))
		goto nomem;
	for (i = 0; p->kernel && i < r->cfg->narches; i++) {
		if (!p->arches[i])
			continue;
		if (!(p->dirs[n] = strf("%s/%s/kernel", r->cfg->binpkgroot, r->cfg->arches[i].name)) ||
		    !(p->what[n++] = strdup("BINPKGROOT")))
			goto nomem;
	}
	p->templates[0] = "Dockerfile.deps";
	p->templates[1] = p->kernel ? "Dockerfile.kernel" : NULL;
	return 0;
nomem:
	brun_plan_free(p);
	return -1;
}

void
brun_plan_free(struct brun_plan *p)
{
	cfg_strv_free(p->dirs);
	cfg_strv_free(p->what);
	free(p->arches);
	free(p->refresh);
	memset(p, 0, sizeof *p);
}

/* ---- checks ---- */

void
brun_patch_complaint(const char *out, char *msg, size_t n)
{
	/* GNU: "checking file F" then "Hunk #1 FAILED at 3."; busybox:
	 * "patching file F" then "Hunk 1 FAILED 1/1."; a missing file:
	 * "can't find file to patch" */
	static const char *const bad[] = { "FAILED", "can't find", "No such file", "No file to patch",
		"malformed", "Only garbage", "garbage", NULL };
	const char *s = out, *file = NULL, *last = NULL;
	size_t fl = 0, ll = 0, i;

	while (s && *s) {
		size_t l = strcspn(s, "\n");

		if (l && (!strncmp(s, "checking file ", 14) || !strncmp(s, "patching file ", 14))) {
			file = s + 14;
			fl = l - 14;
		} else if (l) {
			for (i = 0; bad[i]; i++)
				if (memmem(s, l, bad[i], strlen(bad[i])))
					break;
			if (bad[i]) {
				if (file)
					snprintf(msg, n, "%.*s: %.*s", (int)fl, file, (int)l, s);
				else
					snprintf(msg, n, "%.*s", (int)l, s);
				return;
			}
			last = s;
			ll = l;
		}
		s += l + (s[l] == '\n');
	}
	if (last)
		snprintf(msg, n, "%.*s", (int)ll, last);
	else
		snprintf(msg, n, "patch failed");
}

/* With no git tree, local.diff goes onto the deps image's snapshot as
 * it is: prove it applies there, before any image is built. */
static void
check_diff_on_image(struct brun *r, struct brun_host *h, const struct dkc_arch *a, const struct brun_deps *ds)
{
	struct buf out = { 0 };
	struct dk_err e;
	char why[512];
	int ret = build_probe_diff(&h->en, ds->tag, r->cfg->label, r->diff, BRUN_TREE, &out, &e);

	if (ret < 0) {
		problem(r, "%s: %s: local.diff %s: %s", a->name, h->url, r->diff, e.msg);
	} else if (ret == 1) {
		brun_patch_complaint(buf_str(&out), why, sizeof why);
		problem(r, "%s: %s: local.diff %s does not apply to the deps image's snapshot%s%.12s: %s", a->name,
			h->url, r->diff, ds->snapshot[0] ? " " : "", ds->snapshot, why);
	}
	buf_free(&out);
}

/* The devices of arch a on host h (with /dev/steve as configured); 0, or
 * -1 after a problem. */
static int
check_devices(struct brun *r, struct brun_host *h, const struct dkc_arch *a, const char *stage)
{
	int steve = r->cfg->steve != DKC_STEVE_OFF;
	struct dk_err e;

	if (!a->devices[0] && !steve) {
		h->steve = 0;	/* nothing to look for */
	} else if (build_probe_devices(&h->en, stage, r->cfg->label, a->devices, steve, &e) == 0) {
		h->steve = steve;
	} else if (r->cfg->steve == DKC_STEVE_AUTO && strstr(e.msg, "/dev/steve") &&
		   (!a->devices[0] || build_probe_devices(&h->en, stage, r->cfg->label, a->devices, 0, &e) == 0)) {
		h->steve = 0;	/* builds take MAKEOPTS from the engine's CPU count */
	} else {
		problem(r, "%s: devices %s: %s", h->url, a->devices[0] || r->cfg->steve == DKC_STEVE_ON ? "" : "(none)",
			e.msg);
		return -1;
	}
	return 0;
}

/* The checks of arch ai on host h: stage, devices, the deps image's
 * state, the delta its snapshot needs and (no tree) local.diff on it. */
static void
check_images(struct brun *r, struct brun_host *h, size_t ai, struct brun_deps *ds, int refresh, int kernel)
{
	const struct dkc_arch *a = &r->cfg->arches[ai];
	struct engine_image im = { 0 }, st = { 0 };
	struct image_store p = { 0 };
	char stage[128];
	struct dk_err e;
	long long age;

	if (image_stage(&h->en, a->stage, a->name, r->cfg->label, note_caution, r, stage, &e) < 0 ||
	    engine_image_inspect(&h->en, stage, &st, &e) < 0) {
		problem(r, "%s: %s", a->name, e.msg);
		return;
	}
	if (check_devices(r, h, a, stage) < 0)
		goto out;
	if (image_deps_recipe(r->cfg, a, stage, st.id, buf_str(&r->df_deps), r->base, NULL, &p) < 0) {
		problem(r, "%s: out of memory", a->name);
		goto out;
	}
	if (image_tag(&p.r, ds->tag, &e) < 0 || engine_image_inspect(&h->en, ds->tag, &im, &e) < 0) {
		problem(r, "%s: %s", a->name, e.msg);
		goto out;
	}
	age = im.id ? (long long)time(NULL) - im.created : 0;
	ds->refresh = refresh || r->refresh || !im.id || (!r->no_tree && age > r->cfg->deps_max_age);
	if (!ds->refresh) {
		const char *snap = cfg_str(cfg_member(&im.labels, "dk.snapshot"));

		if (r->no_tree) {
			snprintf(ds->snapshot, sizeof ds->snapshot, "%s", snap ? snap : "");
			if (kernel && !r->diff_empty)
				check_diff_on_image(r, h, a, ds);
		} else if (!snap || strlen(snap) != 40 || tree_has(r->cfg->repo, snap, &e) != 1) {
			ds->refresh = 1;	/* a snapshot this tree does not know: make a new one */
		} else {
			snprintf(ds->snapshot, sizeof ds->snapshot, "%s", snap);
			if (tree_delta(r->cfg->repo, ds->snapshot, r->base, &ds->delta, &e) < 0)
				problem(r, "%s: %s", a->name, e.msg);
		}
	}
	if (ds->refresh && r->no_tree)
		problem(r, "%s: %s: %s deps image %s: %s is no git checkout to make a snapshot from (config key repo)",
			a->name, h->url, im.id ? "cannot refresh the" : "no", ds->tag, r->cfg->repo);
	else if (ds->refresh)
		snprintf(ds->snapshot, sizeof ds->snapshot, "%s", r->base);
out:
	image_store_free(&p);
	engine_image_free(&im);
	engine_image_free(&st);
}

static void
read_template(struct brun *r, const char *name, struct buf *b)
{
	char dir[PATH_MAX], p[PATH_MAX * 2];
	struct dk_err e;

	if (r->cfg->dockerfiles && *r->cfg->dockerfiles)
		snprintf(p, sizeof p, "%s/%s", r->cfg->dockerfiles, name);
	else if (dk_datadir(NULL, dir, sizeof dir, &e) == 0)
		snprintf(p, sizeof p, "%s/docker/%s", dir, name);
	else {
		problem(r, "%s: %s", name, e.msg);
		return;
	}
	if (read_file(p, b, &e) < 0)
		problem(r, "%s", e.msg);
}

/* A directory that must be creatable and writable. */
static void
check_dir(struct brun *r, const char *dir, const char *what)
{
	struct dk_err e;

	if (dirs_make(dir, 0755, &e) < 0)
		problem(r, "%s (%s)", e.msg, what);
	else if (access(dir, W_OK) < 0)
		problem(r, "%s: %s: %s", dir, what, strerror(errno));
}

/* The signing key, the dk-keygen -c checks. */
static void
check_key(struct brun *r)
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
		caution(r, "%s: signing key: %s", r->key, rep.warnings[i]);
	signkey_report_free(&rep);
}

/* local.diff: text, inside the tree, not empty unless allowed; its
 * digest keys the kernel image. */
static void
check_diff(struct brun *r)
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

/* The tree: the diff's base commit, and local.diff applying to it. */
static void
check_tree(struct brun *r, int kernel)
{
	struct dk_err e;

	if (!tree_is_repo(r->cfg->repo))
		r->no_tree = 1;	/* local.diff applies to the deps image's snapshot as it is */
	else if (tree_commit(r->cfg->repo, r->cfg->base, r->base, &e) < 0)
		problem(r, "%s", e.msg);
	else if (kernel && r->diffsum[0] && r->problems == 0 && !r->diff_empty &&
		 tree_check_diff(r->cfg->repo, r->base, r->diff, r->logdir, &e) < 0)
		problem(r, "%s", e.msg);
}

/* Per host: the stage image, the devices, the deps image's state. */
static void *
check_host(void *arg)
{
	struct on_host *o = arg;
	struct brun *r = o->r;
	size_t hi = (size_t)(o->h - r->hosts), ai, k;

	for (ai = 0; ai < r->cfg->narches; ai++) {
		int used = 0, wanted = 0, refresh = 0, kernel = 0;

		for (k = 0; k < r->npool[ai] && !used; k++)
			used = r->pool[ai][k] == hi;
		for (k = 0; k < r->nt; k++) {
			wanted |= r->t[k].ai == ai;
			refresh |= r->t[k].ai == ai && r->t[k].deps;
			kernel |= r->t[k].ai == ai && !r->t[k].deps;
		}
		if (used && wanted)
			check_images(r, o->h, ai, DS(r, ai, hi), refresh, kernel);
	}
	return NULL;
}

struct opening {
	struct brun *r;
	const int *arches;
	int ret;
};

static void *
open_bg(void *arg)
{
	struct opening *o = arg;

	o->ret = brun_open(o->r, o->arches);
	return NULL;
}

/* The arches no host can serve, and the hosts that did not answer. */
static void
check_pools(struct brun *r, const int *arches)
{
	size_t i, ai;

	for (ai = 0; ai < r->cfg->narches; ai++) {
		const struct dkc_arch *a = &r->cfg->arches[ai];

		if (!arches[ai] || r->npool[ai])
			continue;
		for (i = 0; a->hosts[i]; i++) {
			struct brun_host *h = &r->hosts[host_index(r, a->hosts[i])];

			problem(r, "no usable %s host: %s", a->name, h->why[0] ? h->why : h->url);
		}
		if (!a->hosts[0])
			problem(r, "no %s hosts configured", a->name);
	}
	for (i = 0; i < r->nhosts; i++)
		if (!r->hosts[i].up)
			caution(r, "not used: %s", r->hosts[i].why);
}

int
brun_check(struct brun *r)
{
	struct brun_plan p;
	struct opening o = { .r = r };
	pthread_t th;
	int opening, *want;
	size_t i;

	if (brun_plan(r, &p) < 0) {
		problem(r, "out of memory");
		return r->problems;
	}
	/* the engines answer while the local checks run */
	o.arches = p.arches;
	opening = pthread_create(&th, NULL, open_bg, &o) == 0;
	for (i = 0; p.dirs[i]; i++)
		check_dir(r, p.dirs[i], p.what[i]);
	read_template(r, p.templates[0], &r->df_deps);
	if (p.templates[1])
		read_template(r, p.templates[1], &r->df_kernel);
	if (p.kernel) {
		check_key(r);
		check_diff(r);
	}
	check_tree(r, p.kernel);
	if (opening)
		pthread_join(th, NULL);
	else
		open_bg(&o);
	if (o.ret < 0)
		problem(r, "out of memory");
	else
		check_pools(r, p.arches);
	brun_plan_free(&p);
	if (r->problems)
		return r->problems;
	/* on the engines, all at once */
	if (!(r->ds = calloc(r->cfg->narches * r->nhosts + 1, sizeof *r->ds)) ||
	    !(want = calloc(r->nhosts + 1, sizeof *want))) {
		problem(r, "out of memory");
		return r->problems;
	}
	for (i = 0; i < r->nhosts; i++)
		want[i] = r->hosts[i].up;
	if (each_host(r, want, check_host) < 0)
		problem(r, "out of memory");
	free(want);
	return r->problems;
}

/* ---- images ---- */

/* The gentoo.git snapshot, made once per run. */
static int
snapshot_tar(struct brun *r, struct dk_err *e)
{
	int fd, ret = 0;

	pthread_mutex_lock(&r->snap_mu);
	if (!r->snapshot_tar) {
		char *p = NULL;

		if (!(p = strf("%s/.dk-gentoo.XXXXXX", r->logdir)) || (fd = mkstemp(p)) < 0) {
			ret = dk_syserrf(e, r->logdir, 0, "cannot create the snapshot");
			free(p);
		} else {
			close(fd);
			if ((ret = tree_archive(r->cfg->repo, r->base, p, e)) < 0) {
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
ensure_deps(struct brun *r, size_t hi, size_t ai, FILE *log, struct dk_err *e)
{
	struct brun_deps *ds = DS(r, ai, hi);
	struct brun_host *h = &r->hosts[hi];
	const struct dkc_arch *a = &r->cfg->arches[ai];
	struct engine_image st = { 0 }, im = { 0 };
	char stage[128], *cache = NULL, name[160];
	struct image_store p = { 0 };
	int ret = -1;

	if (ds->ready)
		return log_line(log, "%s: reusing image %s", h->url, ds->tag), 0;
	if (image_stage(&h->en, a->stage, a->name, r->cfg->label, note_log, log, stage, e) < 0 ||
	    engine_image_inspect(&h->en, stage, &st, e) < 0)
		goto out;
	if (!ds->refresh) {
		log_line(log, "%s: reusing image %s (snapshot %.12s)", h->url, ds->tag, ds->snapshot);
	} else {
		snprintf(name, sizeof name, "deps-%s", a->name);
		if (snapshot_tar(r, e) < 0 || image_newest(&h->en, name, &cache, e) < 0)
			goto out;
		if (image_deps_recipe(r->cfg, a, stage, st.id, buf_str(&r->df_deps), r->base, r->snapshot_tar, &p) < 0 ||
		    !(p.hints[0] = strf("CACHE=%s", cache ? cache : stage))) {
			dk_errf(e, NULL, 0, "%s: out of memory", ds->tag);
			goto out;
		}
		log_line(log, "%s: building image %s (snapshot %.12s)", h->url, ds->tag, r->base);
		if (image_build(&h->en, &p.r, ds->tag, r->cfg->label, r->logdir, log, e) < 0)
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
ensure_kernel(struct brun *r, size_t hi, struct brun_target *t, FILE *log, char tag[128], struct dk_err *e)
{
	struct brun_host *h = &r->hosts[hi];
	struct brun_deps *ds = DS(r, t->ai, hi);
	struct engine_image im = { 0 };
	struct image_store p = { 0 };
	int ret = -1;

	pthread_mutex_lock(&h->images);
	if (ensure_deps(r, hi, t->ai, log, e) < 0)
		goto out;
	if (image_kernel_recipe(r->cfg, t->arch, ds->tag, ds->id, buf_str(&r->df_kernel), ds->snapshot,
		r->no_tree ? ds->snapshot : r->base, r->diffsum, r->diff, buf_str(&ds->delta), &p) < 0) {
		dk_errf(e, NULL, 0, "%s: out of memory", t->name);
		goto out;
	}
	if (image_tag(&p.r, tag, e) < 0 || engine_image_inspect(&h->en, tag, &im, e) < 0)
		goto out;
	if (im.id) {
		log_line(log, "%s: reusing image %s", h->url, tag);
		ret = 0;
	} else {
		log_line(log, "%s: building image %s", h->url, tag);
		ret = image_build(&h->en, &p.r, tag, r->cfg->label, r->logdir, log, e);
	}
out:
	image_store_free(&p);
	engine_image_free(&im);
	pthread_mutex_unlock(&h->images);
	return ret;
}

/* ---- the build ---- */

char *
brun_log_path(const char *logdir, const char *name)
{
	return strf("%s/%s.log", logdir, name);
}

char **
brun_container_env(const struct dkconfig *c, const struct brun_target *t)
{
	char *const *post = dkconfig_post(t->arch, t->series);
	size_t n = 0, i;
	struct buf pp = { 0 };
	char **env;

	while (c->env[n])
		n++;
	if (!(env = calloc(n + 5, sizeof *env)))
		return NULL;
	for (i = 0; post[i]; i++)
		if (buf_printf(&pp, "%s%s", i ? " " : "", post[i]) < 0)
			goto nomem;
	/* each one only after the one before it: the list ends at a failure */
	if (!(env[0] = strf("PKG=<sys-kernel/%s-%s.9999", t->pkg, t->series)) ||
	    !(env[1] = strf("POST_PKGS=%s", buf_str(&pp))) || !(env[2] = strf("DK_PKGDIR=%s", c->pkgdir)) ||
	    !(env[3] = strf("DK_KERNEL_PKGDIR=%s.kernel", c->pkgdir)))
		goto nomem;
	for (i = 0; i < n; i++)
		if (!(env[4 + i] = strdup(c->env[i])))
			goto nomem;
	buf_free(&pp);
	return env;
nomem:
	buf_free(&pp);
	cfg_strv_free(env);
	return NULL;
}

static void
on_line(void *ctx, const char *s)
{
	struct brun_target *t = ctx;

	snprintf(t->last, sizeof t->last, "%s", s);	/* a torn line only shows on the status */
}

/* What a finished container left (build_kernel_packages). */
static int
collect(struct brun *r, size_t hi, struct brun_target *t, const char *id, int code, struct dk_err *e)
{
	char dest[PATH_MAX];
	struct buf paths = { 0 };

	snprintf(dest, sizeof dest, "%s/%s/kernel", r->cfg->binpkgroot, t->arch->name);
	if (build_kernel_packages(&r->hosts[hi].en, id, r->cfg->pkgdir, code, dest, &paths, e) < 0) {
		buf_free(&paths);
		return -1;
	}
	free(t->paths);
	t->paths = buf_take(&paths);
	return 0;
}

/* What an attempt's container did, once it ran: the outcome, or -1
 * with e set when its packages could not be collected. */
static int
judge(struct brun *r, size_t hi, struct brun_target *t, const struct build_run *b, FILE *log, const char *lp,
	struct dk_err *e)
{
	char dur[32];

	if (b->end != BUILD_EXITED) {
		build_duration(b->end == BUILD_TIMEOUT ? r->cfg->timeout : r->cfg->stall, dur);
		fputc('\n', log);
		log_line(log, "%s: timed out after %s%s: container killed and removed", t->name, dur,
			b->end == BUILD_STALL ? " without output (stall:)" : " (timeout:)");
		caution(r, "%s: timed out after %s%s", t->name, dur, b->end == BUILD_STALL ? " without output" : "");
		t->why = "timeout";
		return r->cfg->retry_timeouts ? POOL_RETRY : POOL_FAILED;
	}
	if (collect(r, hi, t, b->id, b->code, e) < 0)
		return -1;
	if (b->code == 0)
		return POOL_OK;
	if (t->paths && *t->paths) {
		/* the kernel was built and saved; a module after it failed */
		log_line(log, "%s: exit status %d after the kernel packages were saved: %s", t->name, b->code, t->paths);
		t->kept = 1;
		return POOL_FAILED;
	}
	{
		int panic = build_log_has(lp, t->start, r->cfg->panic);

		log_line(log, "%s: exit status %d%s", t->name, b->code, panic ? " after a panic" : "");
		t->why = "panic";
		return panic ? POOL_RETRY : POOL_FAILED;
	}
}

/* One attempt of kernel target t on host hi. */
static enum pool_outcome
run_kernel(struct brun *r, size_t hi, struct brun_target *t, FILE *log, const char *lp)
{
	struct brun_host *h = &r->hosts[hi];
	char image[128], name[256], *cmd[] = { "/bin/sh", "-c", r->cfg->run, NULL }, lab[2][200], *labels[3];
	char bind[PATH_MAX + 32], *binds[2] = { NULL }, *devs[66];
	char **env = brun_container_env(r->cfg, t);
	struct engine_spec sp = { .image = image, .cmd = cmd, .env = env, .labels = labels, .binds = binds,
		.devices = devs, .tmpfs = t->arch->tmpfs, .host_network = 1 };
	struct build_run b = { .en = &h->en, .spec = &sp, .name = name, .key = r->key, .log = log,
		.timeout = r->cfg->timeout, .stall = r->cfg->stall, .line = on_line, .line_ctx = t };
	int out = POOL_FAILED;
	struct dk_err e = { "" }, e2;
	size_t i;

	snprintf(lab[0], sizeof lab[0], "%s=1", r->cfg->label);
	snprintf(lab[1], sizeof lab[1], "dk.target=%s", t->name);
	labels[0] = lab[0], labels[1] = lab[1], labels[2] = NULL;
	if (r->cfg->distcache && *r->cfg->distcache) {
		snprintf(bind, sizeof bind, "%s:/var/cache/distfiles", r->cfg->distcache);
		binds[0] = bind;
	}
	for (i = 0; t->arch->devices[i] && i < 64; i++)
		devs[i] = t->arch->devices[i];
	if (h->steve)
		devs[i++] = "/dev/steve";
	devs[i] = NULL;
	snprintf(name, sizeof name, "dk-%s-%ld-%d", t->name, (long)getpid(), t->pt.attempts);
	if (!env)
		dk_errf(&e, NULL, 0, "out of memory");
	else if (ensure_kernel(r, hi, t, log, image, &e) == 0 && build_container(&b, &e) == 0 &&
		 (out = judge(r, hi, t, &b, log, lp, &e)) >= 0)
		goto done;
	out = POOL_FAILED;
	if (r->cancelled)
		snprintf(e.msg, sizeof e.msg, "%s: interrupted", t->name);
	log_line(log, "%s", e.msg);
	if (!r->cancelled)
		caution(r, "%s: %s", t->name, e.msg);
done:
	if (b.id) {
		if (b.code < 0 || b.end != BUILD_EXITED)	/* it may still run */
			engine_kill(&h->en, b.id, &e2);
		if (!r->keep || r->cancelled)
			engine_remove(&h->en, b.id, &e2);
		else
			log_line(log, "kept container %.12s", b.id);
	}
	free(b.id);
	cfg_strv_free(env);
	return (enum pool_outcome)out;
}

/* A deps target: the deps image (with a fresh snapshot) on every usable
 * host of its arch. */
static enum pool_outcome
run_deps(struct brun *r, struct brun_target *t, FILE *log)
{
	struct dk_err e = { "" };
	size_t i;
	int ret;

	for (i = 0; i < r->npool[t->ai]; i++) {
		size_t hi = r->pool[t->ai][i];
		struct brun_deps *ds = DS(r, t->ai, hi);
		char *p = NULL;

		pthread_mutex_lock(&r->hosts[hi].images);
		ret = ensure_deps(r, hi, t->ai, log, &e);
		pthread_mutex_unlock(&r->hosts[hi].images);
		if (ret == 0 && !(p = strf("%s%s%s", t->paths ? t->paths : "", t->paths ? " " : "", ds->tag)))
			ret = dk_errf(&e, NULL, 0, "out of memory");
		if (ret < 0) {
			log_line(log, "%s", e.msg);
			if (!r->cancelled)
				caution(r, "%s: %s", t->name, e.msg);
			return POOL_FAILED;
		}
		free(t->paths);
		t->paths = p;
	}
	return POOL_OK;
}

static enum pool_outcome
run_target(void *ctx, size_t hi, struct pool_slot *slot, struct pool_target *pt)
{
	struct brun *r = ctx;
	struct brun_target *t = pt->data;
	char *lp = brun_log_path(r->logdir, t->name);
	FILE *log = lp ? fopen(lp, pt->attempts > 1 ? "a" : "w") : NULL;
	enum pool_outcome o = POOL_FAILED;

	(void)slot;
	if (!log) {
		caution(r, "%s: cannot open: %s", lp ? lp : t->name, strerror(errno));
	} else {
		log_line(log, "%s: attempt %d on %s", t->name, pt->attempts, r->hosts[hi].url);
		t->start = ftell(log);
		o = t->deps ? run_deps(r, t, log) : run_kernel(r, hi, t, log, lp);
		if (o == POOL_RETRY && pt->attempts <= r->cfg->retries)
			log_line(log, "%s: %s: retrying (%d of %ld)", t->name, t->why, pt->attempts, r->cfg->retries);
		if (fclose(log) != 0)
			caution(r, "%s: cannot write: %s", lp, strerror(errno));
	}
	free(lp);
	return o;
}

static int
serves(void *ctx, size_t host, size_t group)
{
	struct brun *r = ctx;
	size_t i;

	for (i = 0; i < r->npool[group]; i++)
		if (r->pool[group][i] == host)
			return 1;
	return 0;
}

static void
done(void *ctx, struct pool_target *pt)
{
	struct brun *r = ctx;
	struct brun_target *t = pt->data;
	char *lp = brun_log_path(r->logdir, t->name);

	if (r->ui.result)
		r->ui.result(r->ui.ctx, t, pt->outcome == POOL_OK, lp ? lp : t->name);
	if (t->kept)
		caution(r, "%s: a module after the kernel failed; the kernel packages were kept: %s", t->name, t->paths);
	else if (pt->outcome != POOL_OK && !pt->attempts)
		caution(r, "%s: no usable %s host", t->name, t->arch->name);
	free(lp);
}

static void
tick(void *ctx, const struct pool_slot *slots, size_t n)
{
	struct brun *r = ctx;

	if (r->ui.status)
		r->ui.status(r->ui.ctx, r, slots, n);
}

long
brun_build(struct brun *r, struct dk_err *e)
{
	struct pool p = { .nhosts = r->nhosts, .jobs = (int)r->cfg->jobs, .retries = (int)r->cfg->retries,
		.serves = serves, .run = run_target, .done = done, .tick = tick, .ctx = r, .cancel = &r->cancelled };
	struct pool_target *pts = calloc(r->nt + 1, sizeof *pts);
	long ok;
	size_t i;

	if (!pts)
		return dk_errf(e, NULL, 0, "out of memory");
	for (i = 0; i < r->nt; i++) {
		pts[i] = r->t[i].pt;
		pts[i].data = &r->t[i];
	}
	ok = pool_run(&p, pts, r->nt, e);
	free(pts);
	return ok;
}

/* ---- status ---- */

static const char *
field(const struct cfg_node *n, const char *key)
{
	const char *s = cfg_str(cfg_member(n, key));

	return s ? s : "";
}

int
brun_status_parse(struct cfg_node *cs, struct cfg_node *is, time_t now, struct brun_status *st)
{
	size_t j;

	memset(st, 0, sizeof *st);
	st->cs = *cs;
	st->is = *is;
	memset(cs, 0, sizeof *cs);
	memset(is, 0, sizeof *is);
	if (st->cs.kind == CFG_LIST && !(st->c = calloc(st->cs.n + 1, sizeof *st->c)))
		return -1;
	if (st->is.kind == CFG_LIST && !(st->im = calloc(st->is.n + 1, sizeof *st->im)))
		return -1;
	for (j = 0; st->c && j < st->cs.n; j++) {
		const struct cfg_node *k = &st->cs.kids[j];
		const char *tn = cfg_str(cfg_get(k, "Labels", "dk.target", (char *)NULL));

		st->c[st->nc].target = tn ? tn : "?";
		st->c[st->nc].id = field(k, "Id");
		st->c[st->nc].state = field(k, "State");
		st->c[st->nc++].age = (long long)now - atoll(field(k, "Created"));
	}
	for (j = 0; st->im && j < st->is.n; j++) {
		const struct cfg_node *k = &st->is.kids[j], *tags = cfg_member(k, "RepoTags");

		st->im[st->ni].name = tags && tags->kind == CFG_LIST && tags->n && cfg_str(&tags->kids[0]) ?
			cfg_str(&tags->kids[0]) : field(k, "Id");
		st->im[st->ni++].size = strtoull(field(k, "Size"), NULL, 10);
	}
	return 0;
}

int
brun_status(struct engine *en, const char *label, struct brun_status *st, struct dk_err *e)
{
	struct cfg_node cs = { 0 }, is = { 0 };

	memset(st, 0, sizeof *st);
	if (engine_containers(en, label, &cs, e) < 0)
		return -1;
	if (engine_images(en, label, &is, e) < 0) {
		cfg_free(&cs);
		return -1;
	}
	if (brun_status_parse(&cs, &is, time(NULL), st) < 0) {
		brun_status_free(st);
		return dk_errf(e, NULL, 0, "%s: out of memory", en->url);
	}
	return 0;
}

void
brun_status_free(struct brun_status *st)
{
	cfg_free(&st->cs);
	cfg_free(&st->is);
	free(st->c);
	free(st->im);
	memset(st, 0, sizeof *st);
}

/* ---- signals ---- */

static void
signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);	/* ends the wait */
}

static void *
signals(void *arg)
{
	struct brun_signals *s = arg;
	sigset_t set;
	int sig;

	signal_set(&set);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			return NULL;
		*s->flag = 1;
	}
}

int
brun_signals_start(struct brun_signals *s, volatile sig_atomic_t *flag)
{
	sigset_t set;

	s->flag = flag;
	signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return pthread_create(&s->th, NULL, signals, s) == 0 ? 0 : -1;
}

void
brun_signals_stop(struct brun_signals *s)
{
	pthread_kill(s->th, SIGUSR1);
	pthread_join(s->th, NULL);
}
