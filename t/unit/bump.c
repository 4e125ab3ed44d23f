/* Unit tests: bump (ekeyword ~all, copybump, SHA256SUM_DATE). GPL-2.0-only. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bump.h"
#include "tmpdir.h"

static struct buf out;

static void
setup(void)
{
	memset(&out, 0, sizeof out);
}

static void
teardown(void)
{
	buf_free(&out);
}

static const char *
kw(const char *in)
{
	buf_reset(&out);
	ck_assert_int_eq(bump_keywords_testing(in, strlen(in), &out), 0);
	return buf_str(&out);
}

static const char *
cr(const char *in, const char *year)
{
	buf_reset(&out);
	ck_assert_int_eq(bump_copyright(in, strlen(in), year, &out), 0);
	return buf_str(&out);
}

START_TEST(keywords_stable_to_testing)
{
	ck_assert_str_eq(kw("KEYWORDS=\"amd64 ~arm arm64 ~ppc64 ~x86\"\n"),
	    "KEYWORDS=\"~amd64 ~arm ~arm64 ~ppc64 ~x86\"\n");
	/* virtual/dist-kernel-5.4.109 */
	ck_assert_str_eq(kw("KEYWORDS=\"amd64 arm64 ~ppc64 x86\"\n"),
	    "KEYWORDS=\"~amd64 ~arm64 ~ppc64 ~x86\"\n");
	ck_assert_str_eq(kw("KEYWORDS='amd64 ~x86'\n"), "KEYWORDS=\"~amd64 ~x86\"\n");
	ck_assert_str_eq(kw("KEYWORDS=\"amd64\" # stable since 2024\n"),
	    "KEYWORDS=\"~amd64\" # stable since 2024\n");
	ck_assert_str_eq(kw("\tKEYWORDS=\"x86 amd64\"\n"), "\tKEYWORDS=\"~amd64 ~x86\"\n");
	ck_assert_str_eq(kw("KEYWORDS=\"amd64\""), "KEYWORDS=\"~amd64\"");
	/* the same word twice is one keyword, as in ekeyword's set */
	ck_assert_str_eq(kw("KEYWORDS=\"x86 x86\"\n"), "KEYWORDS=\"~x86\"\n");
}
END_TEST

START_TEST(keywords_kept)
{
	ck_assert_str_eq(kw("KEYWORDS=\"-* amd64 x86\"\n"), "KEYWORDS=\"-* ~amd64 ~x86\"\n");
	ck_assert_str_eq(kw("KEYWORDS=\"x86 ~* -* *\"\n"), "KEYWORDS=\"-* * ~* ~x86\"\n");
	ck_assert_str_eq(kw("KEYWORDS=\"amd64 -sparc x86\"\n"), "KEYWORDS=\"~amd64 -sparc ~x86\"\n");
	/* an arch that is also -arch is left alone */
	ck_assert_str_eq(kw("KEYWORDS=\"amd64 -amd64 x86\"\n"), "KEYWORDS=\"-amd64 amd64 ~x86\"\n");
}
END_TEST

START_TEST(keywords_sorted)
{
	ck_assert_str_eq(kw("KEYWORDS=\"~amd64-linux amd64 x86 ~x64-macos arm64 ~ppc64\"\n"),
	    "KEYWORDS=\"~amd64 ~arm64 ~ppc64 ~x86 ~amd64-linux ~x64-macos\"\n");
	ck_assert_str_eq(kw("KEYWORDS=\"~x86-linux amd64-linux\"\n"),
	    "KEYWORDS=\"~amd64-linux ~x86-linux\"\n");
}
END_TEST

START_TEST(keywords_untouched)
{
	const char *same[] = {
		"KEYWORDS=\"~x86  ~amd64\" # unsorted, but nothing changes\n",
		"KEYWORDS=\"\"\n",
		"KEYWORDS=''\n",
		"KEYWORDS=\"-* -amd64\"\n",
		"# KEYWORDS=\"amd64\"\n",
		"MY_KEYWORDS=\"amd64\"\n",
		"KEYWORDS=amd64\n",
		"KEYWORDS=\"amd64\n",
		"",
		"\n\n",
	};
	size_t i;

	for (i = 0; i < sizeof same / sizeof *same; i++)
		ck_assert_str_eq(kw(same[i]), same[i]);
	ck_assert_str_eq(kw("EAPI=8\n\nKEYWORDS=\"amd64 ~x86\"\nIUSE=\"debug\"\n"),
	    "EAPI=8\n\nKEYWORDS=\"~amd64 ~x86\"\nIUSE=\"debug\"\n");
}
END_TEST

START_TEST(copyright_years)
{
	ck_assert_str_eq(cr("# Copyright 2020-2025 Gentoo Authors\n# Distributed\n", "2026"),
	    "# Copyright 2020-2026 Gentoo Authors\n# Distributed\n");
	ck_assert_str_eq(cr("# Copyright 2026 Gentoo Authors\n", "2026"), "# Copyright 2026 Gentoo Authors\n");
	ck_assert_str_eq(cr("# Copyright 2020 Gentoo Authors\n", "2026"), "# Copyright 2020-2026 Gentoo Authors\n");
	ck_assert_str_eq(cr("# Copyright 2026-2026 Gentoo Authors\n", "2026"), "# Copyright 2026 Gentoo Authors\n");
	ck_assert_str_eq(cr("# Copyright 2020-2026 Gentoo Authors", "2026"), "# Copyright 2020-2026 Gentoo Authors");
}
END_TEST

START_TEST(copyright_foundation)
{
	ck_assert_str_eq(cr("# Copyright 1999-2024 Gentoo Foundation\n", "2026"),
	    "# Copyright 1999-2026 Gentoo Authors\n");
	ck_assert_str_eq(cr("# Copyright 2026 Gentoo Foundation\n", "2026"), "# Copyright 2026 Gentoo Authors\n");
}
END_TEST

START_TEST(copyright_line1_only)
{
	ck_assert_str_eq(cr("EAPI=8\n# Copyright 2020 Gentoo Foundation\n", "2026"),
	    "EAPI=8\n# Copyright 2020 Gentoo Foundation\n");
	ck_assert_str_eq(cr("# Copyright Gentoo Authors\n", "2026"), "# Copyright Gentoo Authors\n");
	ck_assert_str_eq(cr("", "2026"), "");
}
END_TEST

START_TEST(dates)
{
	ck_assert(bump_date_valid("20261125"));
	ck_assert(bump_date_valid("20240229"));
	ck_assert(!bump_date_valid("20230229"));
	ck_assert(!bump_date_valid("20260230"));
	ck_assert(!bump_date_valid("20261301"));
	ck_assert(!bump_date_valid("2026112"));
	ck_assert(!bump_date_valid("2026-11-25"));
	ck_assert(bump_year_valid("2026"));
	ck_assert(!bump_year_valid("26"));
	ck_assert(!bump_year_valid("202x"));
}
END_TEST

static const char *
sd(const char *in)
{
	struct dk_err e;

	buf_reset(&out);
	if (bump_sha256sum_date("x.ebuild", in, strlen(in), "20261125", &out, &e) < 0)
		ck_abort_msg("%s", e.msg);
	return buf_str(&out);
}

START_TEST(sha256sum_date)
{
	const char *same[] = {
		"EAPI=8\n",
		"# SHA256SUM_DATE=20260101\n",
		"src_unpack() {\n\tlocal SHA256SUM_DATE=20260101\n}\n",
	};
	size_t i;

	ck_assert_str_eq(sd("EAPI=8\nSHA256SUM_DATE=20260508\nSRC_URI=\"x-${SHA256SUM_DATE}.asc\"\n"),
	    "EAPI=8\nSHA256SUM_DATE=20261125\nSRC_URI=\"x-${SHA256SUM_DATE}.asc\"\n");
	ck_assert_str_eq(sd("SHA256SUM_DATE=\"20260508\" # kernel.org\n"),
	    "SHA256SUM_DATE=\"20261125\" # kernel.org\n");
	for (i = 0; i < sizeof same / sizeof *same; i++)
		ck_assert_str_eq(sd(same[i]), same[i]);
}
END_TEST

START_TEST(whole_ebuild)
{
	static const char in[] = "# Copyright 2020-2025 Gentoo Authors\n"
	    "EAPI=8\nSHA256SUM_DATE=20260508\nKEYWORDS=\"amd64 ~arm64\"\n";
	struct bump_opts o = { 0, "2026", "20261125" };
	struct dk_err e;

	ck_assert_int_eq(bump_ebuild("x.ebuild", in, strlen(in), &o, &out, &e), 0);
	ck_assert_str_eq(buf_str(&out), "# Copyright 2020-2026 Gentoo Authors\n"
	    "EAPI=8\nSHA256SUM_DATE=20261125\nKEYWORDS=\"~amd64 ~arm64\"\n");
	buf_reset(&out);
	o.keep_keywords = 1;
	o.year = NULL;
	o.date = NULL;
	ck_assert_int_eq(bump_ebuild("x.ebuild", in, strlen(in), &o, &out, &e), 0);
	ck_assert_str_eq(buf_str(&out), in);
}
END_TEST

START_TEST(bad_input)
{
	struct bump_opts o = { 0, "2026", "20261125" };
	struct dk_err e;

	ck_assert_int_eq(bump_ebuild("x.ebuild", "", 0, &o, &out, &e), -1);
	ck_assert_str_eq(e.msg, "x.ebuild: empty input: not an ebuild");
	ck_assert_int_eq(bump_ebuild("x.ebuild", "EAPI=8\nA=\0\n", 11, &o, &out, &e), -1);
	ck_assert_str_eq(e.msg, "x.ebuild:2: NUL byte: binary data, not an ebuild");
	ck_assert_int_eq(bump_ebuild("x.ebuild", "EAPI=8\nA=\"b\n", 12, &o, &out, &e), -1);
	ck_assert_msg(!strncmp(e.msg, "x.ebuild:2: ", 12), "%s", e.msg);
	ck_assert_int_eq(bump_sha256sum_date("x.ebuild", "A=1\n", 4, "2026", &out, &e), -1);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		keywords_stable_to_testing,
		keywords_kept,
		keywords_sorted,
		keywords_untouched,
		copyright_years,
		copyright_foundation,
		copyright_line1_only,
		dates,
		sha256sum_date,
		whole_ebuild,
		bad_input,
	};

	return run_suite_with("bump", tests, sizeof tests / sizeof *tests, setup, teardown);
}
