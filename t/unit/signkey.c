/* Unit tests: lib/signkey (generate, write, check). GPL-2.0-only. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lines.h"
#include "signkey.h"
#include "tmpdir.h"

/* An EC key (fast to make) written to tmpdir/name. */
static void
make(const char *name, long days, char fpr[96])
{
	struct signkey_opts o = { SIGNKEY_EC, 0, "O=Gentoo, CN=unit test", days };
	struct buf pem = { 0 };
	struct dk_err e;
	char path[256];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	ck_assert_msg(signkey_generate(&o, &pem, fpr, &e) == 0, "%s", e.msg);
	ck_assert_msg(signkey_write(path, &pem, &e) == 0, "%s", e.msg);
	buf_free(&pem);
}

static int
has(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

START_TEST(generate_and_check)
{
	struct signkey_report r;
	struct dk_err e;
	char fpr[96], path[256];
	struct stat st;
	mode_t old = umask(0277);

	/* 0277 would make a plain open(…, 0600) file 0400 */
	make("k.pem", 3650, fpr);
	umask(old);
	snprintf(path, sizeof path, "%s/k.pem", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(strlen(fpr), 95);
	ck_assert_int_eq(signkey_check(path, time(NULL), &r, &e), 0);
	ck_assert_uint_eq(r.nproblems, 0);
	ck_assert_uint_eq(r.nwarnings, 0);
	ck_assert_str_eq(r.key, "EC secp384r1");
	ck_assert_str_eq(r.subject, "CN=unit test,O=Gentoo");
	ck_assert_str_eq(r.fpr, fpr);
	signkey_report_free(&r);

	/* the same file 20 days before expiry, then after it */
	ck_assert_int_eq(signkey_check(path, time(NULL) + 3630L * 86400, &r, &e), 0);
	ck_assert_uint_eq(r.nproblems, 0);
	ck_assert_uint_eq(r.nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(r.warnings[0], "the certificate expires in "));
	signkey_report_free(&r);
	ck_assert_int_eq(signkey_check(path, time(NULL) + 3660L * 86400, &r, &e), 0);
	ck_assert_uint_eq(r.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(r.problems[0], "the certificate expired on "));
	signkey_report_free(&r);
	ck_assert_int_eq(signkey_check(path, time(NULL) - 86400, &r, &e), 0);
	ck_assert_uint_eq(r.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(r.problems[0], "the certificate is not valid before "));
	signkey_report_free(&r);
}
END_TEST

START_TEST(never_overwrites)
{
	struct buf pem = { 0 }, got = { 0 };
	struct dk_err e;
	char path[256];

	snprintf(path, sizeof path, "%s/k.pem", tmpdir);
	buf_adds(&pem, "first\n");
	ck_assert_int_eq(signkey_write(path, &pem, &e), 0);
	buf_reset(&pem);
	buf_adds(&pem, "second\n");
	ck_assert_int_eq(signkey_write(path, &pem, &e), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_ptr_nonnull(strstr(e.msg, "k.pem: already exists: refusing to overwrite it"));
	ck_assert_int_eq(read_file(path, &got, &e), 0);
	ck_assert_str_eq(got.s, "first\n");
	buf_free(&pem);
	buf_free(&got);
}
END_TEST

START_TEST(problems_named)
{
	struct signkey_report r;
	struct dk_err e;
	struct buf a = { 0 }, b = { 0 }, mix = { 0 };
	char fpr[96], path[256], *cert;

	make("a.pem", 100, fpr);
	make("b.pem", 100, fpr);
	snprintf(path, sizeof path, "%s/a.pem", tmpdir);
	ck_assert_int_eq(read_file(path, &a, &e), 0);
	snprintf(path, sizeof path, "%s/b.pem", tmpdir);
	ck_assert_int_eq(read_file(path, &b, &e), 0);
	/* a's key with b's certificate */
	ck_assert_ptr_nonnull(cert = strstr(b.s, "-----BEGIN CERTIFICATE-----"));
	buf_add(&mix, a.s, (size_t)(strstr(a.s, "-----BEGIN CERTIFICATE-----") - a.s));
	buf_adds(&mix, cert);
	snprintf(path, sizeof path, "%s/mix.pem", tmpdir);
	ck_assert_int_eq(signkey_write(path, &mix, &e), 0);
	chmod(path, 0640);
	ck_assert_int_eq(signkey_check(path, time(NULL), &r, &e), 0);
	ck_assert_uint_eq(r.nproblems, 2);
	ck_assert(has(r.problems, r.nproblems, "mode 0640 gives group or others access (chmod 600)"));
	ck_assert(has(r.problems, r.nproblems, "the private key does not match the certificate"));
	signkey_report_free(&r);

	/* the certificate alone */
	snprintf(path, sizeof path, "%s/cert.pem", tmpdir);
	buf_reset(&mix);
	buf_adds(&mix, cert);
	ck_assert_int_eq(signkey_write(path, &mix, &e), 0);
	ck_assert_int_eq(signkey_check(path, time(NULL), &r, &e), 0);
	ck_assert_uint_eq(r.nproblems, 1);
	ck_assert_str_eq(r.problems[0], "no private key (or an encrypted one)");
	signkey_report_free(&r);

	snprintf(path, sizeof path, "%s/none.pem", tmpdir);
	ck_assert_int_eq(signkey_check(path, time(NULL), &r, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "none.pem: cannot open: No such file or directory"));
	buf_free(&a);
	buf_free(&b);
	buf_free(&mix);
}
END_TEST

START_TEST(bad_subject)
{
	struct signkey_opts o = { SIGNKEY_EC, 0, "CN=x, nonsense", 10 };
	struct buf pem = { 0 };
	struct dk_err e;
	char fpr[96];

	ck_assert_int_eq(signkey_generate(&o, &pem, fpr, &e), -1);
	ck_assert_str_eq(e.msg, "subject CN=x, nonsense: \"nonsense\" is not FIELD=VALUE");
	o.subject = "XX=y";
	ck_assert_int_eq(signkey_generate(&o, &pem, fpr, &e), -1);
	ck_assert_str_eq(e.msg, "subject XX=y: unknown field XX");
	ck_assert_uint_eq(pem.len, 0);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		generate_and_check,
		never_overwrites,
		problems_named,
		bad_subject,
	};

	return run_suite("signkey", tests, sizeof tests / sizeof *tests);
}
