/* dk-build: build kernel binary packages in containers on a pool of Docker
 * engines, through the Engine API: options, configuration, every check,
 * the pool run, the results. GPL-2.0-only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "brun.h"
#include "dkconfig.h"
#include "image.h"
#include "lines.h"
#include "prog.h"

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

/* What the program keeps besides the run: options, the configuration,
 * the terminal's status block. */
struct prog_run {
	const char *cfgfile, *diff_opt, *key_opt, *logdir_opt;
	long jobs, retries, timeout;
	int all, dry, quiet;
	struct config raw;
	struct dkconfig cfg;
	char *diff, *key, *logdir;
	struct brun r;
	int tty, status_lines;	/* status_lines: under the pool's lock */
};

/* ---- options, configuration, targets ---- */

static int
is_mode(const char *s)
{
	return !strcmp(s, "config") || !strcmp(s, "status") || !strcmp(s, "prune") || !strcmp(s, "prune-all");
}

/* Options, also after a mode word ("prune -a" as "-a prune"). */
static void
options(struct prog_run *pr, int *argc, char ***argv)
{
	struct prog p = { .synopsis = synopsis, .opts = opts, .aliases = aliases };
	int c, modes = 0;

	prog_init(&p, (*argv)[0]);
	pr->jobs = pr->retries = pr->timeout = -1;
	for (;;) {
		while ((c = prog_getopt(&p, *argc, *argv)) != -1) {
			switch (c) {
			case 'a': pr->all = 1; break;
			case 'c': pr->cfgfile = optarg; break;
			case 'd': pr->diff_opt = optarg; break;
			case 'j': pr->jobs = prog_number("--jobs", optarg, 1, 64); break;
			case OPT_KEEP: pr->r.keep = 1; break;
			case 'k': pr->key_opt = optarg; break;
			case 'L': pr->logdir_opt = optarg; break;
			case 'n': pr->dry = 1; break;
			case 'q': pr->quiet = 1; break;
			case 'R': pr->r.refresh = 1; break;
			case 'r': pr->retries = prog_number("--retries", optarg, 0, 100); break;
			case 'T':
				if (dkconfig_duration(optarg, &pr->timeout) < 0)
					prog_usagef(&p, "--timeout: '%s' is not a duration (e.g. 90m, 8h; 0: none)", optarg);
				break;
			case OPT_ALLOW_EMPTY: pr->r.allow_empty = 1; break;
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
configure(struct prog_run *pr)
{
	struct buf probs = { 0 };
	struct dk_err e;

	if (config_load(&pr->raw, pr->cfgfile, &e) < 0)
		dk_die(DK_FAIL, "%s", e.msg);
	if (dkconfig_decode(&pr->cfg, &pr->raw, &probs, &e) < 0) {
		for (char *s = probs.s, *nl; s && *s; s = nl + 1) {
			nl = strchr(s, '\n');
			fprintf(stderr, "%s: %.*s\n", dk_prog, (int)(nl - s), s);
		}
		exit(DK_FAIL);
	}
	if (pr->jobs > 0)
		pr->cfg.jobs = pr->jobs;
	if (pr->retries >= 0)
		pr->cfg.retries = pr->retries;
	if (pr->timeout >= 0)
		pr->cfg.timeout = pr->timeout;
	pr->diff = config_path(pr->diff_opt ? pr->diff_opt : pr->cfg.local_diff);
	pr->key = config_path(pr->key_opt ? pr->key_opt : pr->cfg.signing_key);
	pr->logdir = config_path(pr->logdir_opt ? pr->logdir_opt : pr->cfg.logdir);
	if (!pr->diff || !pr->key || !pr->logdir)
		dk_die(DK_FAIL, "out of memory");
	pr->r.cfg = &pr->cfg;
	pr->r.diff = pr->diff;
	pr->r.key = pr->key;
	pr->r.logdir = pr->logdir;
}

static void __attribute__((noreturn))
bad_target(const struct dkconfig *c, const char *name)
{
	char q[DK_QUOTE_MAX];
	size_t i;

	/* a target read from a pipe may be any garbage: quote 80 bytes */
	fprintf(stderr, "%s: unknown target '%s'; the valid forms are:\n"
		"  ARCH-PKG-SERIES (e.g. amd64-gentoo-kernel-6.6), build-ARCH-kernel-deps, config, status, prune\n"
		"  ARCH:", dk_prog, dk_quote(q, sizeof q, name, strlen(name)));
	for (i = 0; i < c->narches; i++)
		fprintf(stderr, " %s", c->arches[i].name);
	fputs("\n  PKG:", stderr);
	for (i = 0; c->packages[i]; i++)
		fprintf(stderr, " %s", c->packages[i]);
	fputs("\n  SERIES: MAJOR.MINOR, e.g. 6.6\n", stderr);
	exit(DK_USAGE);
}

static void
add_target(struct brun *r, const char *name)
{
	int ret = brun_add_target(r, name);

	if (ret == -2)
		dk_die(DK_FAIL, "out of memory");
	if (ret < 0)
		bad_target(r->cfg, name);
}

/* The targets: operands, or one per line on stdin; duplicates once. Every
 * name is checked before anything else is done. */
static void
read_targets(struct brun *r, int argc, char **argv)
{
	struct dk_err e = { "" };
	struct lines l;
	int i;

	for (i = 0; i < argc; i++)
		add_target(r, argv[i]);
	if (argc)
		return;
	prog_input(&l, "targets");
	while (lines_next_data(&l, &e) >= 0)
		add_target(r, l.line);
	lines_free(&l);
	if (e.msg[0])
		dk_die(DK_FAIL, "%s", e.msg);
}

/* ---- what the run shows ---- */

static void
on_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", dk_prog, msg);
}

static void
on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	dk_warn("%s", msg);
}

/* Clears the status block (the pool's lock held). */
static void
status_clear(struct prog_run *pr)
{
	if (pr->tty && pr->status_lines)
		fprintf(stderr, "\033[%dA\033[J", pr->status_lines);
	pr->status_lines = 0;
}

static void
on_result(void *ctx, const struct brun_target *t, int ok, const char *log)
{
	struct prog_run *pr = ctx;

	status_clear(pr);
	if (ok)
		printf("%s ok%s%s\n", t->name, t->paths ? " " : "", t->paths ? t->paths : "");
	else
		printf("%s failed %s\n", t->name, log);
	fflush(stdout);
}

/* The live block on a terminal: one line per running container. */
static void
on_status(void *ctx, const struct brun *r, const struct pool_slot *slots, size_t n)
{
	struct prog_run *pr = ctx;
	time_t now = time(NULL);
	size_t i;
	int lines = 0;

	if (!pr->tty)
		return;
	if (pr->status_lines)
		fprintf(stderr, "\033[%dA", pr->status_lines);
	for (i = 0; i < n; i++) {
		const struct brun_target *t = slots[i].t ? slots[i].t->data : NULL;

		if (!t)
			continue;
		fprintf(stderr, "\033[K%-32s %-28.28s %4lds  %.60s\n", t->name, r->hosts[slots[i].host].url,
			(long)(now - slots[i].start), t->last);
		lines++;
	}
	for (; lines < pr->status_lines; lines++)
		fputs("\033[K\n", stderr);
	fflush(stderr);
	pr->status_lines = lines;
}

/* ---- the modes ---- */

/* Checks, then (unless -n) the build: the exit status. */
static int
do_build(struct prog_run *pr)
{
	struct brun_signals sig;
	struct dk_err e;
	long ok = 0;
	int ret;

	pr->tty = !pr->quiet && isatty(2);
	if (brun_signals_start(&sig, &pr->r.cancelled) < 0)
		dk_die(DK_FAIL, "cannot start a thread");
	ret = brun_check(&pr->r) ? DK_FAIL : DK_OK;
	if (ret == DK_OK && !pr->dry && !pr->r.cancelled) {
		ok = brun_build(&pr->r, &e);
		status_clear(pr);
		if (ok < 0)
			dk_die(DK_FAIL, "%s", e.msg);
		ret = (size_t)ok == pr->r.nt ? DK_OK : DK_FAIL;
	}
	brun_signals_stop(&sig);
	if (pr->r.cancelled) {
		dk_warn("interrupted");
		ret = 130;
	}
	return ret;
}

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

static int
do_status(struct brun *r)
{
	size_t i, j;
	int bad = 0;

	if (brun_open(r, NULL) < 0)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->nhosts; i++) {
		struct brun_host *h = &r->hosts[i];
		struct brun_status st;
		struct dk_err e;
		char sz[32];

		if (!h->up) {
			printf("%s unreachable\n", h->url);
			dk_warn("%s", h->why);
			bad = 1;
			continue;
		}
		printf("%s ok %s %s\n", h->url, h->en.version, h->en.arch);
		if (brun_status(&h->en, r->cfg->label, &st, &e) < 0) {
			dk_perr(&e);
			bad = 1;
			continue;
		}
		for (j = 0; j < st.nc; j++)
			printf("  container %s %s %s %llds\n", st.c[j].target, st.c[j].id, st.c[j].state, st.c[j].age);
		for (j = 0; j < st.ni; j++) {
			human(st.im[j].size, sz, sizeof sz);
			printf("  image %s %s\n", st.im[j].name, sz);
		}
		brun_status_free(&st);
	}
	return bad ? DK_FAIL : DK_OK;
}

static int
do_prune(struct brun *r, int all)
{
	struct image_pruned pr;
	struct dk_err e;
	char sz[32];
	size_t i;
	int bad = 0;

	if (brun_open(r, NULL) < 0)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < r->nhosts; i++) {
		if (!r->hosts[i].up) {
			dk_warn("%s", r->hosts[i].why);
			bad = 1;
		} else if (image_prune(&r->hosts[i].en, r->cfg->label, all, &pr, &e) < 0) {
			dk_perr(&e);
			bad = 1;
		} else {
			human(pr.freed, sz, sizeof sz);
			printf("%s pruned %zu containers %zu images %s\n", r->hosts[i].url, pr.containers, pr.images, sz);
		}
	}
	return bad ? DK_FAIL : DK_OK;
}

static void
finish(struct prog_run *pr)
{
	brun_free(&pr->r);
	free(pr->diff);
	free(pr->key);
	free(pr->logdir);
	dkconfig_free(&pr->cfg);
	config_free(&pr->raw);
}

int
main(int argc, char *argv[])
{
	struct prog_run pr = { 0 };
	const char *mode;
	int ret;

	brun_init(&pr.r, NULL);
	pr.r.ui = (struct brun_ui){ on_problem, on_warn, on_result, on_status, &pr };
	options(&pr, &argc, &argv);
	configure(&pr);
	mode = argc == 1 && is_mode(argv[0]) ? argv[0] : NULL;
	if (mode && !strcmp(mode, "config")) {
		ret = dkconfig_dump(&pr.raw, stdout) < 0 ? DK_FAIL : DK_OK;
		finish(&pr);
		return dk_close_stdout() != DK_OK ? DK_FAIL : ret;
	}
	if (!mode)
		read_targets(&pr.r, argc, argv);
	if (!mode && pr.r.nt == 0) {
		fputs(synopsis, stderr);
		return DK_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		dk_die(DK_FAIL, "cannot start libcurl");
	if (mode && !strcmp(mode, "status"))
		ret = do_status(&pr.r);
	else if (mode)
		ret = do_prune(&pr.r, pr.all || !strcmp(mode, "prune-all"));
	else
		ret = do_build(&pr);
	finish(&pr);
	curl_global_cleanup();
	if (dk_close_stdout() != DK_OK && ret == DK_OK)
		ret = DK_FAIL;
	return ret;
}
