/* Unit tests: upload (kup-server's path rules, schemes, file://
 * destinations end to end: placed, already there, other content refused,
 * -f, signatures after their file). GPL-2.0-only. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"
#include "upload.h"

static void
put(const char *name, const char *text)
{
	char p[400];
	FILE *fp;

	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *
slurp(const char *name)
{
	static char b[256];
	char p[400];
	FILE *fp;
	size_t n;

	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	if (!(fp = fopen(p, "r")))
		return NULL;
	n = fread(b, 1, sizeof b - 1, fp);
	b[n] = '\0';
	fclose(fp);
	return b;
}

START_TEST(kup_paths)
{
	char longc[200];

	ck_assert(upload_kup_path_ok("/pub/proj/dist-kernel/binpkg/amd64/6.6/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"));
	ck_assert(upload_kup_path_ok("/a"));
	ck_assert(!upload_kup_path_ok(""));
	ck_assert(!upload_kup_path_ok("pub/x"));		/* relative */
	ck_assert(!upload_kup_path_ok("/pub/x/"));		/* ends in / */
	ck_assert(!upload_kup_path_ok("/pub//x"));
	ck_assert(!upload_kup_path_ok("/pub/./x"));
	ck_assert(!upload_kup_path_ok("/pub/../x"));
	ck_assert(!upload_kup_path_ok("/pub/.hidden"));
	ck_assert(!upload_kup_path_ok("/pub/-rf"));
	ck_assert(!upload_kup_path_ok("/pub/a;b"));
	ck_assert(!upload_kup_path_ok("/pub/a b\tc"));
	ck_assert(!upload_kup_path_ok("/pub/a|b"));
	ck_assert(upload_kup_path_ok("/pub/a-b.c_d+e"));
	memset(longc, 'a', sizeof longc);
	longc[0] = '/';
	longc[101] = '\0';
	ck_assert(upload_kup_path_ok(longc));		/* 100 bytes */
	longc[101] = 'a';
	longc[102] = '\0';
	ck_assert(!upload_kup_path_ok(longc));
}
END_TEST

START_TEST(schemes)
{
	ck_assert(upload_scheme_ok("file:///var/cache/distfiles"));
	ck_assert(upload_scheme_ok("sftp://h/x"));
	ck_assert(upload_scheme_ok("https://h/x"));
	ck_assert(upload_scheme_ok("http://h/x"));
	ck_assert(upload_scheme_ok("kup://u@h:22/pub"));
	ck_assert(!upload_scheme_ok("file://relative"));
	ck_assert(!upload_scheme_ok("ftp://h/x"));
	ck_assert(!upload_scheme_ok("/plain/path"));
}
END_TEST

START_TEST(file_never_replaces)
{
	struct upload_opts o = { .jobs = 2, .stall_secs = 5, .tries = 1 };
	char src[400], sig[400], url[3][400];
	struct upload_job j[3];
	struct dk_err e;

	put("pkg", "0123456789");
	put("pkg.sig", "signature");
	snprintf(src, sizeof src, "%s/pkg", tmpdir);
	snprintf(sig, sizeof sig, "%s/pkg.sig", tmpdir);
	ck_assert_int_eq(mkdir(strcat(strcpy(url[0], tmpdir), "/d"), 0755), 0);
	snprintf(url[0], sizeof url[0], "file://%s/d/a", tmpdir);	/* new */
	snprintf(url[1], sizeof url[1], "file://%s/d/b", tmpdir);	/* same bytes there */
	snprintf(url[2], sizeof url[2], "file://%s/d/c", tmpdir);	/* other bytes, same size */
	put("d/b", "0123456789");
	put("d/b.sig", "older signature");
	put("d/c", "9876543210");
	memset(j, 0, sizeof j);
	for (int i = 0; i < 3; i++)
		j[i] = (struct upload_job){ .src = src, .size = 10, .url = url[i], .sig = sig };
	ck_assert_int_eq(upload_run(j, 3, &o, &e), 1);
	ck_assert_int_eq(j[0].state, UPLOAD_DONE);
	ck_assert_str_eq(slurp("d/a"), "0123456789");
	ck_assert_str_eq(slurp("d/a.sig"), "signature");
	ck_assert_int_eq(j[1].state, UPLOAD_THERE);
	ck_assert_str_eq(slurp("d/b.sig"), "older signature");	/* kept beside its file */
	ck_assert_int_eq(j[2].state, UPLOAD_FAILED);
	ck_assert_ptr_nonnull(strstr(j[2].err, "/d/c: already there with other content: not replaced (-f replaces it)"));
	ck_assert_str_eq(slurp("d/c"), "9876543210");
	ck_assert_ptr_null(slurp("d/c.sig"));
	ck_assert_ptr_null(slurp("d/a.part"));

	o.force = 1;
	ck_assert_int_eq(upload_run(j + 2, 1, &o, &e), 0);
	ck_assert_int_eq(j[2].state, UPLOAD_DONE);
	ck_assert_str_eq(slurp("d/c"), "0123456789");
	ck_assert_str_eq(slurp("d/c.sig"), "signature");
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		kup_paths,
		schemes,
		file_never_replaces,
	};

	return run_suite("upload", tests, sizeof tests / sizeof *tests);
}
