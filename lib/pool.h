/* dk: scheduling targets onto a pool of hosts: each host serves some
 * groups (arches), runs up to jobs targets at once, a target that asks
 * for a retry goes to another host of its group when there is one, and a
 * cancel stops handing out work. The work itself is a callback, so the
 * scheduling is tested with fake runs (t/unit/pool.c). GPL-2.0-only. */
#ifndef DK_POOL_H
#define DK_POOL_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

enum pool_outcome { POOL_OK, POOL_FAILED, POOL_RETRY };

struct pool_target {
	size_t group;		/* which hosts may run it */
	int attempts;		/* runs started so far */
	size_t last_host;	/* where the last attempt ran */
	int state;		/* 0 waiting, 1 running, 2 done */
	enum pool_outcome outcome;	/* when done */
	void *data;		/* the caller's */
};

/* A running attempt, as the status callback sees it. */
struct pool_slot {
	size_t host;
	struct pool_target *t;	/* NULL: idle */
	time_t start;
};

struct pool {
	size_t nhosts;
	int jobs;		/* per host */
	int retries;		/* a target is run at most 1 + retries times */
	/* Whether host serves group. */
	int (*serves)(void *ctx, size_t host, size_t group);
	/* Runs one attempt of t on host in slot (no lock held). */
	enum pool_outcome (*run)(void *ctx, size_t host, struct pool_slot *slot, struct pool_target *t);
	/* A target is done (called with the pool's lock held: keep it short). */
	void (*done)(void *ctx, struct pool_target *t);
	/* About once a second while targets run (lock held), may be NULL. */
	void (*tick)(void *ctx, const struct pool_slot *slots, size_t n);
	void *ctx;
	volatile sig_atomic_t *cancel;	/* nonzero: start nothing more */
};

/* Runs targets t[0..n) on the pool until each is done or the run is
 * cancelled; a target whose group no host serves is done at once with
 * POOL_FAILED without a run. Returns the number of targets done with
 * POOL_OK, or -1 with e set (no threads). */
long pool_run(struct pool *p, struct pool_target *t, size_t n, struct dk_err *e);

#endif
