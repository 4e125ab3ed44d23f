/* Unit tests: lib/gpkg, on packages made by t/mkgpkg.sh (run from the
 * top directory, as t/run.sh does). GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpkg.h"
#include "tmpdir.h"

static char path[512];

/* Makes tmpdir/file with mkgpkg.sh under the given environment. */
static const char *
make(const char *env, const char *file, const char *cpf)
{
	char cmd[1024];

	snprintf(path, sizeof path, "%s/%s", tmpdir, file);
	snprintf(cmd, sizeof cmd, "env %s t/mkgpkg.sh %s %s", env, path, cpf);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	return path;
}

START_TEST(valid_packages)
{
	const char *comps[] = { "MKGPKG_COMP=xz", "MKGPKG_COMP=zst", "MKGPKG_COMP=none", "MKGPKG_COMP=gz" };
	struct gpkg_info info;
	struct dk_err e;
	size_t i;

	for (i = 0; i < 4; i++) {
		const char *p = make(comps[i], "gentoo-kernel-6.6.31-1.gpkg.tar", "sys-kernel/gentoo-kernel-6.6.31");

		ck_assert_msg(gpkg_check(p, &info, &e) == 0, "%s: %s", comps[i], e.msg);
		ck_assert_str_eq(info.dir, "gentoo-kernel-6.6.31-1");
		ck_assert_str_eq(info.pf, "gentoo-kernel-6.6.31");
		ck_assert_str_eq(info.category, "sys-kernel");
		ck_assert_int_eq(info.manifest_signed, 0);
		ck_assert_int_gt(info.size, 2048);
		gpkg_info_free(&info);
	}
}
END_TEST

START_TEST(broken_packages)
{
	struct gpkg_info info;
	struct dk_err e;
	const char *p;
	char want[1024];
	FILE *f;

	p = make("MKGPKG_BREAK=missing-image", "k-1.0-1.gpkg.tar", "sys-kernel/k-1.0");
	ck_assert_int_eq(gpkg_check(p, &info, &e), -1);
	snprintf(want, sizeof want, "%s: member k-1.0-1/Manifest: lists image.tar.xz, which the package lacks", p);
	/* the image is missing, but its DATA line names it first */
	ck_assert_msg(!strcmp(e.msg, want) || strstr(e.msg, "image.tar* missing"), "%s", e.msg);

	p = make("MKGPKG_BREAK=wrong-hash", "k-1.0-1.gpkg.tar", "sys-kernel/k-1.0");
	ck_assert_int_eq(gpkg_check(p, &info, &e), -1);
	snprintf(want, sizeof want, "%s: member k-1.0-1/image.tar.xz: SHA512 does not match the Manifest", p);
	ck_assert_str_eq(e.msg, want);

	p = make("MKGPKG_BREAK=dotdot", "k-1.0-1.gpkg.tar", "sys-kernel/k-1.0");
	ck_assert_int_eq(gpkg_check(p, &info, &e), -1);
	snprintf(want, sizeof want, "%s: member k-1.0-1/../evil: unsafe path", p);
	ck_assert_str_eq(e.msg, want);

	p = make("MKGPKG_BREAK=extra", "k-1.0-1.gpkg.tar", "sys-kernel/k-1.0");
	ck_assert_int_eq(gpkg_check(p, &info, &e), -1);
	snprintf(want, sizeof want, "%s: member k-1.0-1/README: not a GLEP 78 member", p);
	ck_assert_str_eq(e.msg, want);

	p = make("", "k-1.0-1.gpkg.tar", "sys-kernel/k-1.0");
	ck_assert_int_eq(truncate(p, 1200), 0);
	ck_assert_int_eq(gpkg_check(p, &info, &e), -1);
	snprintf(want, sizeof want, "%s: truncated in member k-1.0-1/metadata.tar.xz", p);
	ck_assert_str_eq(e.msg, want);

	/* not a tar at all */
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs("hello\n", f);
	fclose(f);
	ck_assert_int_eq(gpkg_check(p, &info, &e), -1);
	snprintf(want, sizeof want, "%s: truncated: no end-of-archive block", p);
	ck_assert_str_eq(e.msg, want);
}
END_TEST

START_TEST(names)
{
	struct gpkg_name n;
	struct dk_err e;

	ck_assert_int_eq(gpkg_parse_name("/b/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar", &n, &e), 0);
	ck_assert_str_eq(n.pf, "gentoo-kernel-6.6.31");
	ck_assert_str_eq(n.pn, "gentoo-kernel");
	ck_assert_str_eq(n.pv, "6.6.31");
	ck_assert_str_eq(n.pr, "r0");
	ck_assert_str_eq(n.series, "6.6");
	ck_assert_str_eq(n.buildid, "1");
	gpkg_name_free(&n);
	ck_assert_int_eq(gpkg_parse_name("gentoo-kernel-5.10.255_p3-r1.gpkg.tar", &n, &e), 0);
	ck_assert_str_eq(n.pf, "gentoo-kernel-5.10.255_p3-r1");
	ck_assert_str_eq(n.pv, "5.10.255_p3");
	ck_assert_str_eq(n.pr, "r1");
	ck_assert_str_eq(n.series, "5.10");
	ck_assert_ptr_null(n.buildid);
	gpkg_name_free(&n);
	ck_assert_int_eq(gpkg_parse_name("vanilla-kernel-6.10_rc7-12.gpkg.tar", &n, &e), 0);
	ck_assert_str_eq(n.pn, "vanilla-kernel");
	ck_assert_str_eq(n.series, "6.10");
	ck_assert_str_eq(n.buildid, "12");
	gpkg_name_free(&n);
	ck_assert_int_eq(gpkg_parse_name("x/foo.tar", &n, &e), -1);
	ck_assert_str_eq(e.msg, "x/foo.tar: not a .gpkg.tar file name");
	ck_assert_int_eq(gpkg_parse_name("gentoo-kernel.gpkg.tar", &n, &e), -1);
	ck_assert_str_eq(e.msg, "gentoo-kernel.gpkg.tar: no PF[-BUILDID] with a valid version in the file name");
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		valid_packages,
		broken_packages,
		names,
	};

	return run_suite("gpkg", tests, sizeof tests / sizeof *tests);
}
