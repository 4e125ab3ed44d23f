/* Unit tests: lib/diff (parse, checks, dry-run apply, table). GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "tmpdir.h"

static void
put(const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static int
parse(struct diff *d, const char *text, struct dk_err *e)
{
	return diff_parse(d, "t.diff", text, strlen(text), e);
}

static const char rename_noeol[] =
	"From: someone\n"
	"\n"
	"diff --git a/cat/pkg/pkg-1.ebuild b/cat/pkg/pkg-2.ebuild\n"
	"similarity index 90%\n"
	"rename from cat/pkg/pkg-1.ebuild\n"
	"rename to cat/pkg/pkg-2.ebuild\n"
	"index 1111111..2222222 100644\n"
	"--- a/cat/pkg/pkg-1.ebuild\n"
	"+++ b/cat/pkg/pkg-2.ebuild\n"
	"@@ -1,3 +1,3 @@\n"
	" a\n"
	"-b\n"
	"+B\n"
	" c\n"
	"\\ No newline at end of file\n"
	"diff --git \"a/cat/pkg/files/caf\\303\\251 x\" \"b/cat/pkg/files/caf\\303\\251 x\"\n"
	"new file mode 100644\n"
	"index 0000000..e69de29\n"
	"diff --git a/eclass/e.eclass b/eclass/e.eclass\n"
	"deleted file mode 100644\n"
	"index 3333333..0000000\n"
	"--- a/eclass/e.eclass\n"
	"+++ /dev/null\n"
	"@@ -1,2 +0,0 @@\n"
	"-one\n"
	"-two\n";

START_TEST(parse_git_diff)
{
	struct diff d;
	struct dk_err e;
	struct buf t = { 0 };
	char hex[65];

	ck_assert_int_eq(parse(&d, rename_noeol, &e), 0);
	ck_assert_uint_eq(d.nfiles, 3);
	ck_assert_int_eq(d.files[0].kind, DIFF_RENAME);
	ck_assert_str_eq(d.files[0].old_path, "cat/pkg/pkg-1.ebuild");
	ck_assert_str_eq(d.files[0].new_path, "cat/pkg/pkg-2.ebuild");
	ck_assert_int_eq(d.files[0].line, 3);
	ck_assert_uint_eq(d.files[0].nhunks, 1);
	ck_assert_int_eq(d.files[0].hunks[0].line, 10);
	ck_assert_uint_eq(d.files[0].hunks[0].nlines, 4);
	/* the last context line lost its newline to the "\" marker */
	ck_assert_uint_eq(d.files[0].hunks[0].lines[3].len, 1);
	ck_assert_int_eq(d.files[1].kind, DIFF_ADD);
	ck_assert_ptr_null(d.files[1].old_path);
	ck_assert_str_eq(d.files[1].new_path, "cat/pkg/files/caf\303\251 x");
	ck_assert_int_eq(d.files[2].kind, DIFF_DELETE);
	ck_assert_str_eq(d.files[2].old_path, "eclass/e.eclass");
	ck_assert_int_eq(d.added, 1);
	ck_assert_int_eq(d.removed, 3);
	ck_assert_uint_eq(diff_npackages(&d), 1);
	ck_assert_int_eq(diff_table(&d, &t), 0);
	ck_assert_str_eq(t.s, "cat/pkg +2 -1 files/caf\303\251 x\neclass/e.eclass\n");
	ck_assert_int_eq(diff_sha256(&d, hex, &e), 0);
	ck_assert_uint_eq(strlen(hex), 64);
	buf_free(&t);
	diff_free(&d);
}
END_TEST

START_TEST(parse_names_with_spaces)
{
	struct diff d;
	struct dk_err e;

	ck_assert_int_eq(parse(&d, "diff --git a/c/p/a b b/c/p/a b\nnew file mode 100644\n", &e), 0);
	ck_assert_str_eq(d.files[0].new_path, "c/p/a b");
	diff_free(&d);
	ck_assert_int_eq(parse(&d, "--- a/c/p/x y\t2024-01-01\n+++ b/c/p/x y\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n", &e), 0);
	ck_assert_str_eq(d.files[0].old_path, "c/p/x y");
	diff_free(&d);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "", "t.diff: empty diff: no changes" },
		{ " \n\n", "t.diff: empty diff: no changes" },
		{ "just words\n", "t.diff: not a diff: no file header (diff --git, or --- and +++)" },
		/* issue 14, 2: links, submodules and git's own files */
		{ "diff --git a/c/p/l b/c/p/l\nnew file mode 120000\nindex 0000000..1 \n--- /dev/null\n+++ b/c/p/l\n"
		  "@@ -0,0 +1 @@\n+/etc\n\\ No newline at end of file\n",
		  "t.diff:2: mode 120000 (a symbolic link): only regular files (100644, 100755) can be exported" },
		{ "diff --git a/c/p/l b/c/p/l\nold mode 100644\nnew mode 120000\n",
		  "t.diff:3: mode 120000 (a symbolic link): only regular files (100644, 100755) can be exported" },
		{ "diff --git a/c/p/s b/c/p/s\nnew file mode 160000\nindex 0000000..1234567\n--- /dev/null\n"
		  "+++ b/c/p/s\n@@ -0,0 +1 @@\n+Subproject commit 1234567\n",
		  "t.diff:2: mode 160000 (a submodule): only regular files (100644, 100755) can be exported" },
		{ "diff --git a/c/p/s b/c/p/s\nindex 1234567..89abcde 160000\n--- a/c/p/s\n+++ b/c/p/s\n"
		  "@@ -1 +1 @@\n-Subproject commit 1234567\n+Subproject commit 89abcde\n",
		  "t.diff:2: mode 160000 (a submodule): only regular files (100644, 100755) can be exported" },
		{ "diff --git a/.git/config b/.git/config\nindex 1..2 100644\n--- a/.git/config\n+++ b/.git/config\n"
		  "@@ -1 +1 @@\n-a\n+b\n", "t.diff:1: path .git/config is inside .git" },
		{ "--- a/c/.GIT/hooks/x\n+++ b/c/.GIT/hooks/x\n@@ -1 +1 @@\n-a\n+b\n",
		  "t.diff:1: path c/.GIT/hooks/x is inside .git" },
		/* issue 14, 8: NUL bytes, CRLF */
		{ "diff --git a/x b/x\r\nindex 1..2 100644\r\n--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n",
		  "t.diff:1: CRLF line ending: the diff was converted to DOS line ends" },
		{ "--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n",
		  "t.diff:3: CRLF line ending: the diff was converted to DOS line ends" },
		{ "diff --git a/x b/x\nindex 1..2 100644\nBinary files a/x and b/x differ\n",
		  "t.diff:3: binary file x: only text diffs can be exported" },
		{ "diff --git a/x b/x\nindex 1..2 100644\nGIT binary patch\nliteral 5\n",
		  "t.diff:3: binary file x: only text diffs can be exported" },
		{ "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n",
		  "t.diff:5: diff ends inside the hunk at line 3: 1 old and 1 new lines missing (truncated?)" },
		{ "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\ndiff --git a/y b/y\n",
		  "t.diff:6: hunk at line 3 is truncated: 1 old and 1 new lines missing" },
		{ "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b", "t.diff:5: line has no newline (truncated diff?)" },
		{ "--- a/x\n+++ b/x\n", "t.diff:2: no hunk after the file header (truncated?)" },
		{ "--- a/x\n+++ b/x\n@@ -1 +1\n-a\n+b\n", "t.diff:3: malformed hunk header" },
		{ "@@ -1 +1 @@\n-a\n+b\n", "t.diff:1: hunk without a file header" },
		{ "--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n", "t.diff:1: path ../x leaves the tree (\"..\")" },
		{ "--- x\n+++ y\n@@ -1 +1 @@\n-a\n+b\n", "t.diff:1: bad file name (no a/ prefix?)" },
		{ "diff --git a/x b/y\nold mode 100644\nnew mode 100755\n", "t.diff:1: cannot tell the file name" },
		{ "diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
		  "t.diff:5: hunk header does not fit a new file" },
	};
	struct diff d;
	struct dk_err e;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		ck_assert_msg(parse(&d, cases[i].text, &e) == -1, "case %zu parsed", i);
		ck_assert_str_eq(e.msg, cases[i].msg);
	}
	/* a NUL byte in a hunk is not passed through */
	ck_assert_int_eq(diff_parse(&d, "t.diff", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\0c\n", 36, &e), -1);
	ck_assert_str_eq(e.msg, "t.diff:5: NUL byte: only text diffs can be exported");
}
END_TEST

START_TEST(limits)
{
	struct diff d;
	struct dk_err e;
	char *ok[] = { "cat/pkg", "eclass" }, *bad[] = { "cat/pkg/" };

	ck_assert_int_eq(parse(&d, rename_noeol, &e), 0);
	ck_assert_int_eq(diff_check_limits(&d, ok, 2, &e), 0);
	ck_assert_int_eq(diff_check_limits(&d, bad, 1, &e), -1);
	ck_assert_str_eq(e.msg, "t.diff:19: eclass/e.eclass is outside cat/pkg/");
	diff_free(&d);
}
END_TEST

START_TEST(apply_dry_run)
{
	struct diff d;
	struct dk_err e;
	char want[512];

	put("cat/pkg/pkg-1.ebuild", "a\nb\nc");
	put("eclass/e.eclass", "one\ntwo\n");
	ck_assert_int_eq(parse(&d, rename_noeol, &e), 0);
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), 0);
	/* with a newline at the end the last context line no longer matches */
	put("cat/pkg/pkg-1.ebuild", "a\nb\nc\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	snprintf(want, sizeof want, "t.diff:10: %s/cat/pkg/pkg-1.ebuild:1: hunk 1 does not apply", tmpdir);
	ck_assert_str_eq(e.msg, want);
	put("cat/pkg/pkg-1.ebuild", "a\nb\nc");
	put("eclass/e.eclass", "one\ntwo\nthree\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	snprintf(want, sizeof want, "t.diff:24: %s/eclass/e.eclass:1: hunk 1 does not apply", tmpdir);
	ck_assert_str_eq(e.msg, want);
	put("eclass/e.eclass", "one\ntwo\n");
	put("cat/pkg/pkg-2.ebuild", "in the way\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	snprintf(want, sizeof want, "t.diff:3: %s/cat/pkg/pkg-2.ebuild: already exists", tmpdir);
	ck_assert_str_eq(e.msg, want);
	diff_free(&d);
}
END_TEST

/* A symbolic link already in the tree is never patched through (issue
 * 14, 2): the file "through" it would be outside the tree. */
START_TEST(apply_refuses_links_in_tree)
{
	static const char through[] = "--- a/c/p/l/passwd\n+++ b/c/p/l/passwd\n@@ -1 +1 @@\n-a\n+b\n";
	static const char onto[] = "--- a/c/p/f\n+++ b/c/p/f\n@@ -1 +1 @@\n-a\n+b\n";
	struct diff d;
	struct dk_err e;
	char path[512], want[600];

	put("outside/passwd", "a\n");
	put("c/p/f0", "a\n");
	snprintf(path, sizeof path, "%s/c/p/l", tmpdir);
	ck_assert_int_eq(symlink("../../outside", path), 0);
	ck_assert_int_eq(parse(&d, through, &e), 0);
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	snprintf(want, sizeof want, "%s/c/p/l: a symbolic link in the tree: refusing to patch through it", tmpdir);
	ck_assert_str_eq(e.msg, want);
	diff_free(&d);
	snprintf(path, sizeof path, "%s/c/p/f", tmpdir);
	ck_assert_int_eq(symlink("f0", path), 0);
	ck_assert_int_eq(parse(&d, onto, &e), 0);
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	snprintf(want, sizeof want, "%s/c/p/f: a symbolic link in the tree: refusing to patch through it", tmpdir);
	ck_assert_str_eq(e.msg, want);
	diff_free(&d);
}
END_TEST

/* A hunk moved by lines added above it still applies (git apply's
 * offset); one anchored at the end of the file does not move. */
START_TEST(apply_offsets_and_anchors)
{
	static const char mid[] =
		"--- a/c/p/f\n+++ b/c/p/f\n@@ -3,3 +3,3 @@\n 3\n-4\n+four\n 5\n"
		"@@ -8,2 +8,3 @@\n 8\n 9\n+ten\n";
	struct diff d;
	struct dk_err e;

	ck_assert_int_eq(parse(&d, mid, &e), 0);
	put("c/p/f", "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), 0);
	put("c/p/f", "0\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), 0);
	/* the second hunk adds at the end: after a new last line it fails */
	put("c/p/f", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "t.diff:8: "));
	ck_assert_ptr_nonnull(strstr(e.msg, "/c/p/f:8: hunk 2 does not apply"));
	diff_free(&d);
}
END_TEST

/* A rename reads the renamed file as an earlier entry left it. */
START_TEST(apply_sees_earlier_files)
{
	static const char two[] =
		"diff --git a/c/p/a b/c/p/a\nnew file mode 100644\n--- /dev/null\n+++ b/c/p/a\n@@ -0,0 +1 @@\n+x\n"
		"diff --git a/c/p/a b/c/p/b\nrename from c/p/a\nrename to c/p/b\n"
		"diff --git a/c/p/b b/c/p/b\n--- a/c/p/b\n+++ b/c/p/b\n@@ -1 +1 @@\n-x\n+y\n";
	struct diff d;
	struct dk_err e;
	char want[512];

	ck_assert_int_eq(parse(&d, two, &e), 0);
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), 0);
	put("c/p/a", "x\n");
	ck_assert_int_eq(diff_check_apply(&d, tmpdir, &e), -1);
	snprintf(want, sizeof want, "t.diff:1: %s/c/p/a: already exists", tmpdir);
	ck_assert_str_eq(e.msg, want);
	diff_free(&d);
}
END_TEST

/* git lists 6.6.10 before 6.6.9; the table does not. */
START_TEST(table_in_version_order)
{
	static const char text[] =
		"diff --git a/c/p/p-6.6.10.ebuild b/c/p/p-6.6.10.ebuild\nnew file mode 100644\n"
		"diff --git a/c/p/p-6.6.9-r1.ebuild b/c/p/p-6.6.9-r1.ebuild\nnew file mode 100644\n"
		"diff --git a/c/p/p-6.6.9.ebuild b/c/p/p-6.6.9.ebuild\ndeleted file mode 100644\n"
		"diff --git a/c/p/p-6.6.9_p1.ebuild b/c/p/p-6.6.9_p1.ebuild\nnew file mode 100644\n"
		"diff --git a/c/p/p-7.ebuild b/c/p/p-7.ebuild\nold mode 100644\nnew mode 100755\n";
	struct diff d;
	struct dk_err e;
	struct buf t = { 0 };

	ck_assert_int_eq(parse(&d, text, &e), 0);
	ck_assert_int_eq(diff_table(&d, &t), 0);
	ck_assert_str_eq(t.s, "c/p +6.6.9-r1 +6.6.9_p1 +6.6.10 -6.6.9 7\n");
	buf_free(&t);
	diff_free(&d);
}
END_TEST

START_TEST(package_of)
{
	char out[64];

	ck_assert_int_eq(diff_package_of("sys-kernel/gentoo-kernel/Manifest", out), 0);
	ck_assert_str_eq(out, "sys-kernel/gentoo-kernel");
	ck_assert_int_eq(diff_package_of("virtual/dist-kernel/files/x/y", out), 0);
	ck_assert_str_eq(out, "virtual/dist-kernel");
	ck_assert_int_eq(diff_package_of("eclass/kernel-build.eclass", out), -1);
	ck_assert_int_eq(diff_package_of("profiles/base/package.mask", out), -1);
	ck_assert_int_eq(diff_package_of("metadata/md5-cache/x/y", out), -1);
	ck_assert_int_eq(diff_package_of("sys-kernel/Manifest", out), -1);
	ck_assert_int_eq(diff_package_of(".github/workflows/x", out), -1);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		parse_git_diff,
		parse_names_with_spaces,
		parse_errors,
		limits,
		apply_dry_run,
		apply_refuses_links_in_tree,
		apply_offsets_and_anchors,
		apply_sees_earlier_files,
		table_in_version_order,
		package_of,
	};

	return run_suite("diff", tests, sizeof tests / sizeof *tests);
}
