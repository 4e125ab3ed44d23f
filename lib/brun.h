/* dk: one dk-build run: its targets, the engines they run on, every
 * check before the long work, the images each target needs and the pool
 * run of the containers. The run prints nothing: problems, notes, results
 * and the live status go to callbacks the program fills (struct brun_ui).
 * One struct brun holds all of a run's state (git's struct apply_state).
 * GPL-2.0-only. */
#ifndef DK_BRUN_H
#define DK_BRUN_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "dkconfig.h"
#include "engine.h"
#include "err.h"
#include "pool.h"

struct brun_host {
	char *url;
	struct engine en;
	int up;			/* engine_open worked */
	int steve;		/* /dev/steve exists there */
	char why[1024];		/* why it is not usable */
	pthread_mutex_t images;	/* one image build at a time per host */
};

struct brun_target {
	char *name;
	const struct dkc_arch *arch;
	size_t ai;		/* index of arch */
	int deps;		/* build-ARCH-kernel-deps */
	char *pkg, *series;
	struct pool_target pt;
	char last[160];		/* its log's last line, for the status */
	char *paths;		/* collected packages (of a deps target: its images) */
	int kept;		/* failed, but the kernel packages were kept */
	long start;		/* this attempt's offset in the log */
	const char *why;	/* of a retry: "panic", "timeout" */
};

struct brun;

/* What the program shows of a run; every callback may be NULL. */
struct brun_ui {
	/* A check failed: one line without "prog: " (the run's lock is held,
	 * so lines stay whole). */
	void (*problem)(void *ctx, const char *msg);
	/* A note; the run goes on. */
	void (*caution)(void *ctx, const char *msg);
	/* t is done (ok or not), its log at log (the pool's lock is held). */
	void (*result)(void *ctx, const struct brun_target *t, int ok, const char *log);
	/* About once a second while containers run (the pool's lock held):
	 * slots[i].t->data is a struct brun_target, slots[i].host indexes
	 * r->hosts. */
	void (*status)(void *ctx, const struct brun *r, const struct pool_slot *slots, size_t n);
	void *ctx;
};

struct brun_deps;

struct brun {
	/* set by the caller before brun_check */
	const struct dkconfig *cfg;
	const char *diff, *key, *logdir;	/* local.diff, the signing key, LOGDIR */
	int refresh;		/* -R: every deps image anew */
	int allow_empty;	/* an empty local.diff is no problem */
	int keep;		/* keep the containers */
	struct brun_ui ui;
	volatile sig_atomic_t cancelled;	/* set (by a signal): stop */
	/* the run's */
	struct buf df_deps, df_kernel;	/* the Dockerfile templates */
	char base[65];		/* the diff's base commit */
	int no_tree;		/* repo is no git checkout: no snapshot, no delta */
	char diffsum[65];
	int diff_empty;
	char *snapshot_tar;	/* git archive of base, made once */
	pthread_mutex_t snap_mu;
	struct brun_host *hosts;
	size_t nhosts;
	size_t **pool;		/* per arch: the usable hosts' indices */
	size_t *npool;
	struct brun_deps *ds;	/* per arch and host */
	struct brun_target *t;
	size_t nt;
	int problems;
	pthread_mutex_t problem_mu;
};

/* Makes r empty, with cfg (read, not owned). */
void brun_init(struct brun *r, const struct dkconfig *cfg);
/* Frees what r holds, closing its engines and removing its snapshot. */
void brun_free(struct brun *r);

/* Parses name ("amd64-gentoo-kernel-6.6", "build-amd64-kernel-deps")
 * into t. Returns 0, -1 when it is no known form, -2 when out of memory. */
int brun_target_parse(const struct dkconfig *c, const char *name, struct brun_target *t);
/* Adds target name to r, once however often it is named. Returns 0, -1
 * when it is no known form, -2 when out of memory. */
int brun_add_target(struct brun *r, const char *name);

/* What the checks of r's targets cover: a pure plan from the targets. */
struct brun_plan {
	int *arches;		/* [narches]: an arch some target builds on */
	int *refresh;		/* [narches]: its deps image asked for anew */
	int kernel;		/* some kernel target: key, diff, BINPKGROOT */
	char **dirs;		/* directories to be writable, NULL-terminated */
	char **what;		/* what each is: "LOGDIR", "BINPKGROOT" */
	const char *templates[3];	/* Dockerfiles to read, NULL-terminated */
};
/* The plan of r's targets (r->t, r->cfg, r->logdir). 0 or -1 (ENOMEM). */
int brun_plan(const struct brun *r, struct brun_plan *p);
/* Frees what p holds. */
void brun_plan_free(struct brun_plan *p);

/* Opens the engines of the arches marked in arches (NULL: the configured
 * ones: set by the file or environment, else the default once), all at
 * once, and makes each arch's pool: the hosts that answered with the
 * right arch (a host's why says why not). 0 or -1 (ENOMEM). */
int brun_open(struct brun *r, const int *arches);
/* Every check for all of r's targets, local ones while the engines are
 * opened, then on each engine at once: each problem goes to ui.problem.
 * Returns the number of problems (0: the build may start). */
int brun_check(struct brun *r);
/* Runs r's targets on the pool (after brun_check found nothing): each
 * result goes to ui.result. Returns the number done ok, or -1 with e
 * set. */
long brun_build(struct brun *r, struct dk_err *e);

/* The environment of kernel target t's container: PKG, POST_PKGS, the
 * package directories, then the config's env. NULL-terminated, malloc'ed
 * (cfg_strv_free), or NULL when out of memory. */
char **brun_container_env(const struct dkconfig *c, const struct brun_target *t);
/* The log of target name in logdir, malloc'ed, or NULL (ENOMEM). */
char *brun_log_path(const char *logdir, const char *name);
/* From patch(1)'s output out (a dry run that failed): the file and the
 * hunk it names, "FILE: Hunk #1 FAILED at 3." into msg (size n). */
void brun_patch_complaint(const char *out, char *msg, size_t n);

/* What an engine holds of dk's: its containers and images. */
struct brun_container {
	const char *target, *id, *state;	/* in the engine's answer */
	long long age;		/* seconds */
};
struct brun_image {
	const char *name;	/* the first tag, else the id */
	unsigned long long size;
};
struct brun_status {
	struct cfg_node cs, is;	/* the engine's answers */
	struct brun_container *c;
	size_t nc;
	struct brun_image *im;
	size_t ni;
};
/* Reads the lists of containers cs and images is (the engine's JSON)
 * into st, ages taken at now; st owns cs and is afterwards, also after a
 * failure (brun_status_free). 0 or -1 (ENOMEM). */
int brun_status_parse(struct cfg_node *cs, struct cfg_node *is, time_t now, struct brun_status *st);
/* Asks en for its containers and images with label into st. 0 or -1. */
int brun_status(struct engine *en, const char *label, struct brun_status *st, struct dk_err *e);
/* Frees what st holds. */
void brun_status_free(struct brun_status *st);

/* SIGINT, SIGTERM and SIGHUP only set *flag: they are blocked in every
 * thread and one thread waits for them, so that the checks and the build
 * end cleanly and remove their containers. Start before any other thread. */
struct brun_signals {
	pthread_t th;
	volatile sig_atomic_t *flag;
};
/* Starts the wait. 0 or -1 (no thread). */
int brun_signals_start(struct brun_signals *s, volatile sig_atomic_t *flag);
/* Ends the wait (the signals stay blocked). */
void brun_signals_stop(struct brun_signals *s);

#endif
