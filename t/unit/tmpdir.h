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

#endif
