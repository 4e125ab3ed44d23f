/* Unit tests: DISTDIR's rule (-d, $DISTDIR, portageq, the default) and
 * its creation. GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distdir.h"
#include "tmpdir.h"

START_TEST(find_order)
{
	char path[1024], bin[512], *d, *path0 = strdup(getenv("PATH"));
	struct dk_err e;
	FILE *f;

	setenv("DISTDIR", "/from/env", 1);
	ck_assert_str_eq(d = distdir_find("/from/arg", &e), "/from/arg");
	free(d);
	ck_assert_str_eq(d = distdir_find(NULL, &e), "/from/env");
	free(d);
	/* portage's answer when $DISTDIR is unset or empty */
	snprintf(bin, sizeof bin, "%s/bin", tmpdir);
	ck_assert_int_eq(mkdir(bin, 0755), 0);
	snprintf(path, sizeof path, "%s/portageq", bin);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("#!/bin/sh\n[ \"$1\" = distdir ] && echo /from/portageq\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
	setenv("PATH", bin, 1);
	setenv("DISTDIR", "", 1);
	ck_assert_str_eq(d = distdir_find(NULL, &e), "/from/portageq");
	free(d);
	unsetenv("DISTDIR");
	ck_assert_str_eq(d = distdir_find(NULL, &e), "/from/portageq");
	free(d);
	setenv("PATH", "/nonexistent", 1);
	ck_assert_str_eq(d = distdir_find(NULL, &e), "/var/cache/distfiles");
	free(d);
	setenv("PATH", path0, 1);	/* the teardown's rm */
	free(path0);
}
END_TEST

START_TEST(ready)
{
	char dir[1024], file[1024];
	struct dk_err e;
	struct stat st;
	FILE *f;

	snprintf(dir, sizeof dir, "%s/a/b/distfiles", tmpdir);
	ck_assert_int_eq(distdir_ready(dir, &e), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(distdir_ready(dir, &e), 0);
	snprintf(file, sizeof file, "%s/plain", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fclose(f);
	ck_assert_int_eq(distdir_ready(file, &e), -1);
	ck_assert_msg(strstr(e.msg, "not a directory") != NULL, "%s", e.msg);
	snprintf(dir, sizeof dir, "%s/plain/sub", tmpdir);
	ck_assert_int_eq(distdir_ready(dir, &e), -1);
	ck_assert_msg(strncmp(e.msg, "DISTDIR ", 8) == 0, "%s", e.msg);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		find_order,
		ready,
	};

	return run_suite("distdir", tests, sizeof tests / sizeof *tests);
}
