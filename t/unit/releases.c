/* Unit tests: kernel versions, releases.json and the series join.
 * GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "releases.h"
#include "tmpdir.h"

START_TEST(versions)
{
	static const char *const good[] = { "6.18", "6.18.2", "5.10.255_p3", "6.10_rc7", "4.19.94-r1" };
	static const char *const bad[] = { "", "6", "6.18.x", "next-20261130", "7.4-rc2", "6.18.2-gentoo",
		"6..18", "v6.18" };
	char *s;

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(kver_valid(good[i]), "%s should be valid", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!kver_valid(bad[i]), "%s should be invalid", bad[i]);
	ck_assert_str_eq(s = kver_series("5.10.255_p3"), "5.10");
	free(s);
	ck_assert_str_eq(s = kver_series("7.3"), "7.3");
	free(s);
	ck_assert_ptr_null(kver_series("7.x"));
}
END_TEST

static const char json[] =
    "{\"releases\": [\n"
    " {\"iseol\": false, \"version\": \"7.4-rc2\", \"moniker\": \"mainline\"},\n"
    " {\"iseol\": true, \"version\": \"7.2.11\", \"moniker\": \"stable\"},\n"
    " {\"iseol\": false, \"version\": \"6.18.3\", \"moniker\": \"longterm\"},\n"
    " {\"iseol\": false, \"version\": \"7.3\", \"moniker\": \"stable\"},\n"
    " {\"version\": \"next-20261130\", \"moniker\": \"linux-next\"}\n"
    "]}\n";

START_TEST(parse)
{
	struct releases r;
	struct dk_err e;

	ck_assert_int_eq(releases_parse(&r, "r.json", json, sizeof json - 1, &e), 0);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.v[0].series, "7.2");
	ck_assert_int_eq(r.v[0].eol, 1);
	ck_assert_int_eq(r.v[0].line, 3);
	ck_assert_str_eq(r.v[1].moniker, "longterm");
	ck_assert_str_eq(r.v[2].series, "7.3");
	ck_assert_int_eq(r.v[2].eol, 0);
	releases_free(&r);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "{\"releases\": [{\"version\": \"7.x\", \"moniker\": \"stable\"}]}",
		  "r.json:1:27: releases[0].version: '7.x' is not a kernel version" },
		{ "{\"releases\": [{\"moniker\": \"stable\"}]}", "r.json:1:15: releases[0]: no \"version\"" },
		{ "{\"releases\": [{\"version\": \"7.2.1\", \"moniker\": \"stable\", \"iseol\": \"yes\"}]}",
		  "r.json:1:66: releases[0].iseol: expected true or false" },
		{ "{\"latest_stable\": {}}", "r.json:1: no \"releases\" list" },
		{ "[]", "r.json:1: not kernel.org's releases.json: expected an object" },
	};
	struct releases r;
	struct dk_err e;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ck_assert_int_eq(releases_parse(&r, "r.json", cases[i].text, strlen(cases[i].text), &e), -1);
		ck_assert_str_eq(e.msg, cases[i].msg);
		ck_assert_uint_eq(r.n, 0);
	}
	ck_assert_int_eq(releases_parse(&r, "r.json", "{\"releases\": [", 14, &e), -1);
	ck_assert_msg(strncmp(e.msg, "r.json:", 7) == 0, "%s", e.msg);
}
END_TEST

static void
ebuild(const char *pn, const char *pv)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, pn);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s-%s.ebuild", tmpdir, pn, pn, pv);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
}

START_TEST(join)
{
	struct series_plan plan = { 0 };
	struct releases r;
	struct dk_err e;
	char dir[512];

	ebuild("gentoo-kernel", "6.18.1");
	ebuild("gentoo-kernel", "6.18.1_p2");
	ebuild("gentoo-kernel", "6.18.10");
	ebuild("gentoo-kernel", "6.6.9");
	ebuild("gentoo-kernel", "7.2.9-r1");
	ebuild("vanilla-kernel", "7.2.11");
	ebuild("vanilla-kernel", "6.18.9999");
	snprintf(dir, sizeof dir, "%s/gentoo-kernel", tmpdir);
	ck_assert_int_eq(series_add_pkgdir(&plan, dir, &e), 0);
	snprintf(dir, sizeof dir, "%s/vanilla-kernel", tmpdir);
	ck_assert_int_eq(series_add_pkgdir(&plan, dir, &e), 0);
	ck_assert_int_eq(releases_parse(&r, "r.json", json, sizeof json - 1, &e), 0);
	ck_assert_int_eq(series_join(&plan, &r, &e), 0);
	ck_assert_uint_eq(plan.n, 4);
	ck_assert_str_eq(plan.v[0].series, "6.6");
	ck_assert_int_eq(plan.v[0].state, SERIES_GONE);
	ck_assert_str_eq(plan.v[1].tree, "6.18.10");
	ck_assert_int_eq(plan.v[1].state, SERIES_CURRENT);
	ck_assert_str_eq(plan.v[2].tree, "7.2.11");
	ck_assert_int_eq(plan.v[2].state, SERIES_CURRENT);
	ck_assert_str_eq(plan.v[3].series, "7.3");
	ck_assert_int_eq(plan.v[3].state, SERIES_NEW);
	series_free(&plan);
	releases_free(&r);

	snprintf(dir, sizeof dir, "%s/nothing", tmpdir);
	ck_assert_int_eq(series_add_pkgdir(&plan, dir, &e), -1);
	series_free(&plan);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		versions,
		parse,
		parse_errors,
		join,
	};

	return run_suite("releases", tests, sizeof tests / sizeof *tests);
}
