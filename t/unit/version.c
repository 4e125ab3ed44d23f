/* Unit tests: PMS versions. GPL-2.0-only. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "tmpdir.h"

START_TEST(valid)
{
	static const char *const good[] = { "1", "6.1.4", "6.6.30_p1", "5.15.160-r1", "6.10_rc7",
		"1.0a", "1.0a_beta2_p3-r4", "1_alpha", "1.2_pre", "0.9999", "6.18.9999", "1.0_p" };
	static const char *const bad[] = { "", "a", "1.", ".1", "1..2", "1.0ab", "1_foo", "1-r",
		"1-r1-r2", "1.0_rc-1", "6.6.30-gentoo", "1.0-R1", "1 .0" };

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(version_valid(good[i]), "%s should be valid", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!version_valid(bad[i]), "%s should be invalid", bad[i]);
}
END_TEST

/* Each row: a < b (PMS 3.3 and its examples). */
START_TEST(ordering)
{
	static const char *const lt[][2] = {
		{ "6.1.4", "6.1.40" }, { "6.1.4", "6.1.4-r1" }, { "6.1.4-r1", "6.1.4-r2" },
		{ "6.1.40-r1", "6.1.41" }, { "6.6.30", "6.6.30_p1" }, { "6.6.30_p1", "6.6.30_p2" },
		{ "6.10_rc7", "6.10" }, { "6.10_rc7", "6.10_rc8" }, { "6.9.12", "6.10_rc1" },
		{ "1.0_alpha", "1.0_beta" }, { "1.0_beta", "1.0_pre" }, { "1.0_pre", "1.0_rc" },
		{ "1.0_rc", "1.0" }, { "1.0", "1.0_p" }, { "1.0", "1.0a" }, { "1.0a", "1.0b" },
		{ "1.0", "1.0.0" }, { "1.01", "1.1" }, { "1.010", "1.1" }, { "1.0_alpha", "1.0_alpha_p1" },
		{ "1.0_alpha_beta", "1.0_alpha" }, { "1.0_p1_alpha", "1.0_p1" }, { "1.2", "1.10" },
		{ "5.10.255", "5.10.255_p3" }, { "5.15.160-r1", "5.15.161" }, { "4.19.94", "4.19.94-r1" },
		{ "99999999999999999998", "99999999999999999999" }, { "1.0-r9", "1.0-r10" },
		{ "1_p", "1_p1" }, { "6.18.12", "6.18.9999" },
	};

	for (size_t i = 0; i < sizeof lt / sizeof *lt; i++) {
		ck_assert_msg(version_cmp(lt[i][0], lt[i][1]) < 0, "%s < %s", lt[i][0], lt[i][1]);
		ck_assert_msg(version_cmp(lt[i][1], lt[i][0]) > 0, "%s > %s", lt[i][1], lt[i][0]);
	}
	ck_assert_int_eq(version_cmp("1.0", "1.0-r0"), 0);
	ck_assert_int_eq(version_cmp("1.0_p0", "1.0_p"), 0);
	ck_assert_int_eq(version_cmp("01", "1"), 0);
	ck_assert_int_eq(version_cmp("6.6.30", "6.6.30"), 0);
}
END_TEST

START_TEST(split)
{
	char *pn, *pv, *pr, *s;

	ck_assert_int_eq(version_split_pf("gentoo-kernel-bin-5.10.112-r1", &pn, &pv, &pr), 0);
	ck_assert_str_eq(pn, "gentoo-kernel-bin");
	ck_assert_str_eq(pv, "5.10.112");
	ck_assert_str_eq(pr, "r1");
	free(pn), free(pv), free(pr);
	ck_assert_int_eq(version_split_pf("dist-kernel-5.10.255_p3", &pn, &pv, &pr), 0);
	ck_assert_str_eq(pn, "dist-kernel");
	ck_assert_str_eq(pv, "5.10.255_p3");
	ck_assert_str_eq(pr, "r0");
	free(pn), free(pv), free(pr);
	ck_assert_int_eq(version_split_pf("gentoo-kernel", &pn, &pv, &pr), -1);
	ck_assert_int_eq(version_split_pf("-1.0", &pn, &pv, &pr), -1);
	s = version_strip_rev("6.1.40-r1");
	ck_assert_str_eq(s, "6.1.40");
	free(s);
}
END_TEST

/* Every ebuild name in the corpus splits and sorts consistently. */
START_TEST(corpus_versions)
{
	static const char *const pkgs[] = { "sys-kernel/gentoo-kernel", "sys-kernel/vanilla-kernel",
		"sys-kernel/gentoo-kernel-bin", "sys-kernel/gentoo-sources", "virtual/dist-kernel" };
	const char *corpus = corpus_dir();
	int seen = 0;

	ck_assert_msg(corpus != NULL, "DK_CORPUS is not set (t/data/README)");
	for (size_t p = 0; p < sizeof pkgs / sizeof *pkgs; p++) {
		char dir[1024], *vers[64];
		int n = 0;
		DIR *d;
		struct dirent *de;

		snprintf(dir, sizeof dir, "%s/%s", corpus, pkgs[p]);
		ck_assert_ptr_nonnull(d = opendir(dir));
		while ((de = readdir(d))) {
			char *dot = strrchr(de->d_name, '.'), *pn, *pv, *pr;

			if (!dot || strcmp(dot, ".ebuild"))
				continue;
			*dot = '\0';
			ck_assert_msg(version_split_pf(de->d_name, &pn, &pv, &pr) == 0, "%s", de->d_name);
			ck_assert_str_eq(pn, strrchr(pkgs[p], '/') + 1);
			ck_assert(version_valid(pv));
			ck_assert_int_lt(n, 64);
			ck_assert_int_ge(asprintf(&vers[n], "%s%s%s", pv, strcmp(pr, "r0") ? "-" : "", strcmp(pr, "r0") ? pr : ""), 0);
			n++, seen++;
			free(pn), free(pv), free(pr);
		}
		closedir(d);
		/* a total order: antisymmetric and transitive on this set */
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++) {
				ck_assert_int_eq(version_cmp(vers[i], vers[j]) < 0, version_cmp(vers[j], vers[i]) > 0);
				for (int k = 0; k < n; k++)
					if (version_cmp(vers[i], vers[j]) < 0 && version_cmp(vers[j], vers[k]) < 0)
						ck_assert(version_cmp(vers[i], vers[k]) < 0);
			}
		for (int i = 0; i < n; i++)
			free(vers[i]);
	}
	ck_assert_int_ge(seen, 20);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		valid,
		ordering,
		split,
	};
	const TTest *const ctests[] = {
		corpus_versions,
	};

	return run_suite_corpus("version", tests, sizeof tests / sizeof *tests,
	    ctests, sizeof ctests / sizeof *ctests);
}
