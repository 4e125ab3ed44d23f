/* Unit tests: dirs_make. GPL-2.0-only. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dirs.h"
#include "tmpdir.h"

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

START_TEST(make_parents)
{
	struct dk_err e;
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s/a/b//c/", tmpdir);
	ck_assert_msg(dirs_make(p, 0750, &e) == 0, "%s", e.msg);
	ck_assert(is_dir(p));
	snprintf(p, sizeof p, "%s/a/b", tmpdir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0750 & ~umask(022));
	umask(022);
	/* again: nothing to do, no error */
	snprintf(p, sizeof p, "%s/a/b//c/", tmpdir);
	ck_assert_int_eq(dirs_make(p, 0755, &e), 0);
}
END_TEST

START_TEST(any_length)
{
	struct dk_err e;
	static char p[8192];
	size_t n;

	n = (size_t)snprintf(p, sizeof p, "%s", tmpdir);
	/* past PATH_MAX: each mkdir gets less than it, the whole more */
	while (n + 12 < 6000)
		n += (size_t)snprintf(p + n, sizeof p - n, "/%s", "dddddddddd");
	ck_assert_msg(dirs_make(p, 0755, &e) == 0, "%s", e.msg);
}
END_TEST

START_TEST(refuses)
{
	struct dk_err e;
	char p[512];
	FILE *fp;

	snprintf(p, sizeof p, "%s/file", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fclose(fp);
	/* a file where a directory should be: named, ENOTDIR */
	ck_assert_int_eq(dirs_make(p, 0755, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "file: cannot make directory: Not a directory"));
	snprintf(p, sizeof p, "%s/file/sub", tmpdir);
	ck_assert_int_eq(dirs_make(p, 0755, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/file: cannot make directory"));
	ck_assert_int_eq(dirs_make("", 0755, &e), -1);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = { make_parents, any_length, refuses };

	return run_suite("dirs", tests, sizeof tests / sizeof *tests);
}
