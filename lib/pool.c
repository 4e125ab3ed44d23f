/* dk: the pool scheduler: one thread per host and job slot, one lock.
 * GPL-2.0-only. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

struct run {
	struct pool *p;
	struct pool_target *t;
	size_t n, ndone;
	struct pool_slot *slots;
	size_t nslots;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct worker {
	struct run *r;
	struct pool_slot *slot;
};

/* Whether another host than h could run t. */
static int
elsewhere(const struct run *r, const struct pool_target *t, size_t h)
{
	size_t i;

	for (i = 0; i < r->p->nhosts; i++)
		if (i != h && r->p->serves(r->p->ctx, i, t->group))
			return 1;
	return 0;
}

/* The next target host h may take (lock held), or NULL. A retry waits
 * for another host while one is busy with other work, but never forever:
 * when no other host serves the group, h takes it again. */
static struct pool_target *
pick(struct run *r, size_t h)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct pool_target *t = &r->t[i];

		if (t->state != 0 || !r->p->serves(r->p->ctx, h, t->group))
			continue;
		if (t->attempts && t->last_host == h && elsewhere(r, t, h))
			continue;
		return t;
	}
	return NULL;
}

static void
finish(struct run *r, struct pool_target *t, enum pool_outcome o)
{
	t->state = 2;
	t->outcome = o;
	r->ndone++;
	if (r->p->done)
		r->p->done(r->p->ctx, t);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct pool *p = r->p;

	pthread_mutex_lock(&r->mu);
	while (!(p->cancel && *p->cancel) && r->ndone < r->n) {
		struct pool_target *t = pick(r, w->slot->host);
		enum pool_outcome o;

		if (!t) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		t->state = 1;
		t->attempts++;
		t->last_host = w->slot->host;
		w->slot->t = t;
		w->slot->start = time(NULL);
		pthread_mutex_unlock(&r->mu);
		o = p->run(p->ctx, w->slot->host, w->slot, t);
		pthread_mutex_lock(&r->mu);
		w->slot->t = NULL;
		if (o == POOL_RETRY && t->attempts <= p->retries && !(p->cancel && *p->cancel))
			t->state = 0;
		else
			finish(r, t, o == POOL_RETRY ? POOL_FAILED : o);
		pthread_cond_broadcast(&r->cv);
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

long
pool_run(struct pool *p, struct pool_target *t, size_t n, struct dk_err *e)
{
	struct run r = { .p = p, .t = t, .n = n };
	struct worker *w = NULL;
	pthread_t *th = NULL;
	int *used = NULL;
	size_t i, j, started = 0;
	long ok = 0;
	int jobs = p->jobs > 0 ? p->jobs : 1;

	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (i = 0; i < n; i++) {
		int served = 0;

		for (j = 0; j < p->nhosts && !served; j++)
			served = p->serves(p->ctx, j, t[i].group);
		if (!served)
			finish(&r, &t[i], POOL_FAILED);
	}
	r.slots = calloc(p->nhosts * (size_t)jobs + 1, sizeof *r.slots);
	w = calloc(p->nhosts * (size_t)jobs + 1, sizeof *w);
	th = calloc(p->nhosts * (size_t)jobs + 1, sizeof *th);
	if (!r.slots || !w || !th) {
		dk_syserrf(e, NULL, 0, "pool");
		ok = -1;
		goto out;
	}
	/* which hosts get workers: decided before any starts (and takes work) */
	if (!(used = calloc(p->nhosts + 1, sizeof *used))) {
		dk_syserrf(e, NULL, 0, "pool");
		ok = -1;
		goto out;
	}
	for (i = 0; i < p->nhosts; i++)
		for (j = 0; j < n && !used[i]; j++)
			used[i] = t[j].state == 0 && p->serves(p->ctx, i, t[j].group);
	for (i = 0; i < p->nhosts; i++) {
		for (j = 0; used[i] && j < (size_t)jobs; j++) {
			struct pool_slot *s = &r.slots[r.nslots];

			s->host = i;
			w[r.nslots].r = &r;
			w[r.nslots].slot = s;
			if (pthread_create(&th[r.nslots], NULL, work, &w[r.nslots]) != 0)
				break;
			r.nslots++;
			started++;
		}
	}
	if (!started && r.ndone < n) {
		dk_errf(e, NULL, 0, "pool: cannot start a thread: %s", strerror(errno ? errno : EAGAIN));
		ok = -1;
		goto out;
	}
	pthread_mutex_lock(&r.mu);
	while (r.ndone < n && !(p->cancel && *p->cancel)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&r.cv, &r.mu, &ts);
		if (p->tick)
			p->tick(p->ctx, r.slots, r.nslots);
	}
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
out:
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; ok >= 0 && i < n; i++)
		ok += t[i].state == 2 && t[i].outcome == POOL_OK;
	free(used);
	free(r.slots);
	free(w);
	free(th);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return ok;
}
