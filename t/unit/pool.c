/* Unit tests: pool (scheduling onto hosts, -j per host, retries on
 * another host, cancel) with fake run functions. GPL-2.0-only. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "tmpdir.h"

/* The fake: host h serves groups by a bit mask; run records where each
 * attempt ran and answers from a script. */
struct fake {
	unsigned serve[4];	/* bit g: host serves group g */
	pthread_mutex_t mu;
	int running[4], most[4];	/* at once per host */
	int ran_on[16][8];	/* target, attempt -> host + 1 */
	enum pool_outcome (*answer)(struct fake *f, size_t host, struct pool_target *t);
	int done;
	volatile sig_atomic_t cancel;
	int cancel_after;	/* runs, 0: never */
	int runs;
};

static int
serves(void *ctx, size_t host, size_t group)
{
	struct fake *f = ctx;

	return (f->serve[host] >> group) & 1;
}

static enum pool_outcome
run(void *ctx, size_t host, struct pool_slot *slot, struct pool_target *t)
{
	struct fake *f = ctx;
	size_t ti = (size_t)(long)t->data;
	enum pool_outcome o;

	ck_assert_ptr_eq(slot->t, t);
	ck_assert_uint_eq(slot->host, host);
	pthread_mutex_lock(&f->mu);
	f->running[host]++;
	if (f->running[host] > f->most[host])
		f->most[host] = f->running[host];
	f->ran_on[ti][t->attempts - 1] = (int)host + 1;
	if (f->cancel_after && ++f->runs >= f->cancel_after)
		f->cancel = 1;
	pthread_mutex_unlock(&f->mu);
	usleep(20000);
	o = f->answer ? f->answer(f, host, t) : POOL_OK;
	pthread_mutex_lock(&f->mu);
	f->running[host]--;
	pthread_mutex_unlock(&f->mu);
	return o;
}

static void
done(void *ctx, struct pool_target *t)
{
	struct fake *f = ctx;

	ck_assert_int_eq(t->state, 2);
	f->done++;
}

static struct pool
pool_of(struct fake *f, size_t nhosts, int jobs, int retries)
{
	struct pool p = { .nhosts = nhosts, .jobs = jobs, .retries = retries, .serves = serves, .run = run,
		.done = done, .ctx = f, .cancel = &f->cancel };

	pthread_mutex_init(&f->mu, NULL);
	return p;
}

static void
targets(struct pool_target *t, size_t n, size_t group)
{
	size_t i;

	memset(t, 0, n * sizeof *t);
	for (i = 0; i < n; i++) {
		t[i].group = group;
		t[i].data = (void *)(long)i;
	}
}

START_TEST(schedules_all)
{
	struct fake f = { .serve = { 1, 1 } };
	struct pool p = pool_of(&f, 2, 2, 0);
	struct pool_target t[8];
	struct dk_err e;
	int on[2] = { 0 };
	size_t i;

	targets(t, 8, 0);
	ck_assert_int_eq(pool_run(&p, t, 8, &e), 8);
	ck_assert_int_eq(f.done, 8);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(t[i].attempts, 1);
		on[f.ran_on[i][0] - 1]++;
	}
	ck_assert_int_gt(on[0], 0);
	ck_assert_int_gt(on[1], 0);
	/* -j 2: never more than two at once on a host, and two did run */
	ck_assert_int_eq(f.most[0], 2);
	ck_assert_int_le(f.most[1], 2);
}
END_TEST

START_TEST(groups)
{
	/* host 0 serves group 0 only, host 1 group 1 only, none group 2 */
	struct fake f = { .serve = { 1, 2 } };
	struct pool p = pool_of(&f, 2, 1, 0);
	struct pool_target t[5];
	struct dk_err e;

	targets(t, 5, 0);
	t[1].group = t[3].group = 1;
	t[4].group = 2;
	ck_assert_int_eq(pool_run(&p, t, 5, &e), 4);
	ck_assert_int_eq(f.ran_on[0][0], 1);
	ck_assert_int_eq(f.ran_on[1][0], 2);
	ck_assert_int_eq(f.ran_on[2][0], 1);
	ck_assert_int_eq(f.ran_on[3][0], 2);
	ck_assert_int_eq(t[4].state, 2);
	ck_assert_int_eq(t[4].outcome, POOL_FAILED);
	ck_assert_int_eq(t[4].attempts, 0);
	ck_assert_int_eq(f.done, 5);
}
END_TEST

static enum pool_outcome
retry_first(struct fake *f, size_t host, struct pool_target *t)
{
	(void)f, (void)host;
	return t->attempts == 1 ? POOL_RETRY : POOL_OK;
}

START_TEST(retry_elsewhere)
{
	struct fake f = { .serve = { 1, 1 }, .answer = retry_first };
	struct pool p = pool_of(&f, 2, 1, 1);
	struct pool_target t[1];
	struct dk_err e;

	targets(t, 1, 0);
	ck_assert_int_eq(pool_run(&p, t, 1, &e), 1);
	ck_assert_int_eq(t[0].attempts, 2);
	ck_assert_int_ne(f.ran_on[0][0], f.ran_on[0][1]);
}
END_TEST

START_TEST(retry_same_host_alone)
{
	struct fake f = { .serve = { 1 }, .answer = retry_first };
	struct pool p = pool_of(&f, 1, 1, 3);
	struct pool_target t[1];
	struct dk_err e;

	targets(t, 1, 0);
	ck_assert_int_eq(pool_run(&p, t, 1, &e), 1);
	ck_assert_int_eq(t[0].attempts, 2);
	ck_assert_int_eq(f.ran_on[0][1], 1);
}
END_TEST

static enum pool_outcome
always_retry(struct fake *f, size_t host, struct pool_target *t)
{
	(void)f, (void)host, (void)t;
	return POOL_RETRY;
}

START_TEST(retries_bounded)
{
	struct fake f = { .serve = { 1, 1 }, .answer = always_retry };
	struct pool p = pool_of(&f, 2, 1, 2);
	struct pool_target t[1];
	struct dk_err e;

	targets(t, 1, 0);
	ck_assert_int_eq(pool_run(&p, t, 1, &e), 0);
	ck_assert_int_eq(t[0].attempts, 3);
	ck_assert_int_eq(t[0].outcome, POOL_FAILED);
	ck_assert_int_eq(f.done, 1);
}
END_TEST

START_TEST(cancel)
{
	struct fake f = { .serve = { 1 }, .cancel_after = 2 };
	struct pool p = pool_of(&f, 1, 1, 0);
	struct pool_target t[6];
	struct dk_err e;
	size_t i, ran = 0;

	targets(t, 6, 0);
	ck_assert_int_eq(pool_run(&p, t, 6, &e), 2);
	for (i = 0; i < 6; i++)
		ran += t[i].attempts;
	ck_assert_uint_eq(ran, 2);
	ck_assert_int_eq(t[5].state, 0);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = { schedules_all, groups, retry_elsewhere, retry_same_host_alone, retries_bounded,
		cancel };

	return run_suite("pool", tests, sizeof tests / sizeof tests[0]);
}
