/* Unit tests: the suite runner, and a fresh temporary directory per test
 * (Check fixture).
 * GPL-2.0-only. */
#ifndef DK_T_TMPDIR_H
#define DK_T_TMPDIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[] = "/tmp/dk-unit.XXXXXX";

static void __attribute__((unused))
tmpdir_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void __attribute__((unused))
tmpdir_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/dk-unit.XXXXXX");
}

/* Runs the tests of one suite, each between setup and teardown; returns
 * main's status. */
static int __attribute__((unused))
run_suite_with(const char *name, const TTest *const tests[], size_t n,
	void (*setup)(void), void (*teardown)(void))
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Runs the tests of one suite, each in a fresh tmpdir. */
static int __attribute__((unused))
run_suite(const char *name, const TTest *const tests[], size_t n)
{
	return run_suite_with(name, tests, n, tmpdir_setup, tmpdir_teardown);
}

/* The gentoo.git corpus (t/data/README) from DK_CORPUS, or NULL when it is
 * not set: the repository does not hold it. */
static const char *__attribute__((unused))
corpus_dir(void)
{
	const char *c = getenv("DK_CORPUS");

	return c && *c ? c : NULL;
}

/* Runs tests, then ctests, which read the corpus, in one suite. Without
 * DK_CORPUS the corpus tests are left out with one "skip" line, which
 * t/run.sh counts (in CI, where nothing may skip, they run and fail). */
static int __attribute__((unused))
run_suite_corpus(const char *name, const TTest *const tests[], size_t n,
	const TTest *const ctests[], size_t cn)
{
	const TTest *all[64];
	size_t k = 0;
	const char *ci = getenv("CI");

	if (n + cn > sizeof all / sizeof *all) {
		fprintf(stderr, "%s: more than %zu tests: raise the limit in tmpdir.h\n", name,
		    sizeof all / sizeof *all);
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++)
		all[k++] = tests[i];
	if (corpus_dir() || (ci && !strcmp(ci, "true"))) {
		for (size_t i = 0; i < cn; i++)
			all[k++] = ctests[i];
	} else {
		printf("skip %s: %zu corpus tests: no corpus: set DK_CORPUS to the gentoo.git "
		    "kernel-package corpus (t/data/README), e.g. make check DK_CORPUS=/path/to/corpus\n",
		    name, cn);
		fflush(stdout);
	}
	return run_suite(name, all, k);
}

#endif
