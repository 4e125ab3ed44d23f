/* Unit tests: pkgdir (listing and picking ebuilds by PMS version).
 * GPL-2.0-only. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkgdir.h"
#include "tmpdir.h"

static char top[] = "/tmp/dk-unit.XXXXXX";
static char dir[300];

static void
touch(const char *name)
{
	char p[400];
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	ck_assert_int_ge(fd = open(p, O_WRONLY | O_CREAT, 0644), 0);
	close(fd);
}

static void
setup(void)
{
	const char *names[] = {
		"gentoo-kernel-6.1.4.ebuild", "gentoo-kernel-6.1.40-r1.ebuild",
		"gentoo-kernel-6.1.4-r2.ebuild", "gentoo-kernel-6.1.4-r10.ebuild",
		"gentoo-kernel-6.1.4_p1.ebuild", "gentoo-kernel-6.1.4-r1.ebuild",
		"gentoo-kernel-bin-6.1.4.ebuild", "Manifest", "metadata.xml",
		"gentoo-kernel.ebuild", "gentoo-kernel-6.1.5.ebuild.orig",
	};
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(dir, sizeof dir, "%s/gentoo-kernel", top);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	for (i = 0; i < sizeof names / sizeof *names; i++)
		touch(names[i]);
}

static void
teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(top, "/tmp/dk-unit.XXXXXX");
}

START_TEST(lists_by_version)
{
	static const char *want[] = { "6.1.4", "6.1.4-r1", "6.1.4-r2", "6.1.4-r10", "6.1.4_p1", "6.1.40-r1" };
	struct pkgdir pd;
	struct dk_err e;
	size_t i;

	ck_assert_int_eq(pkgdir_load(&pd, dir, &e), 0);
	ck_assert_str_eq(pd.pn, "gentoo-kernel");
	ck_assert_uint_eq(pd.n, 6);
	for (i = 0; i < pd.n; i++)
		ck_assert_str_eq(pd.ebuilds[i].pvr, want[i]);
	ck_assert_str_eq(pd.ebuilds[3].file, "gentoo-kernel-6.1.4-r10.ebuild");
	ck_assert_str_eq(pd.ebuilds[3].pv, "6.1.4");
	pkgdir_free(&pd);
}
END_TEST

START_TEST(picks_by_pms)
{
	struct pkgdir pd;
	struct dk_err e;
	char *p;

	ck_assert_int_eq(pkgdir_load(&pd, dir, &e), 0);
	ck_assert_str_eq(pkgdir_pick(&pd, "6.1.4")->file, "gentoo-kernel-6.1.4-r10.ebuild");
	ck_assert_str_eq(pkgdir_pick(&pd, "6.1.4-r1")->file, "gentoo-kernel-6.1.4-r1.ebuild");
	ck_assert_str_eq(pkgdir_pick(&pd, "6.1.40")->file, "gentoo-kernel-6.1.40-r1.ebuild");
	ck_assert_str_eq(pkgdir_pick(&pd, "6.1.4_p1")->file, "gentoo-kernel-6.1.4_p1.ebuild");
	ck_assert_ptr_null(pkgdir_pick(&pd, "6.1.40-r2"));
	ck_assert_ptr_null(pkgdir_pick(&pd, "6.1.5"));
	ck_assert_ptr_null(pkgdir_pick(&pd, "6.1"));
	p = pkgdir_path(&pd, "x.ebuild");
	ck_assert_str_eq(p + strlen(top), "/gentoo-kernel/x.ebuild");
	free(p);
	pkgdir_free(&pd);
}
END_TEST

START_TEST(dot_and_errors)
{
	struct pkgdir pd;
	struct dk_err e;
	char cwd[400], *p;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(pkgdir_load(&pd, ".", &e), 0);
	ck_assert_str_eq(pd.pn, "gentoo-kernel");
	ck_assert_uint_eq(pd.n, 6);
	p = pkgdir_path(&pd, "a.ebuild");
	ck_assert_str_eq(p, "./a.ebuild");
	free(p);
	pkgdir_free(&pd);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_int_eq(pkgdir_load(&pd, "/nonexistent/gentoo-kernel", &e), -1);
	ck_assert_str_eq(e.msg, "/nonexistent/gentoo-kernel: cannot open package directory: No such file or directory");
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		lists_by_version,
		picks_by_pms,
		dot_and_errors,
	};

	return run_suite_with("pkgdir", tests, sizeof tests / sizeof *tests, setup, teardown);
}
