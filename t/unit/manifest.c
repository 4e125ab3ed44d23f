/* Unit tests: hash, manifest, srcuri, sha256sums lookup. GPL-2.0-only. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "manifest.h"
#include "sha256sums.h"
#include "srcuri.h"

/* Digests of "abc" from the standards (RFC 7693, FIPS 180-2). */
#define ABC_B2 "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
#define ABC_S512 "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define ABC_S256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

START_TEST(hash_incremental)
{
	struct hash_set h;
	struct hash_result r;

	ck_assert_int_eq(hash_init(&h, HASH_MANIFEST | HASH_SHA256, NULL), 0);
	ck_assert_int_eq(hash_update(&h, "a", 1, NULL), 0);
	ck_assert_int_eq(hash_update(&h, "bc", 2, NULL), 0);
	ck_assert_int_eq(hash_final(&h, &r, NULL), 0);
	ck_assert_uint_eq(r.size, 3);
	ck_assert_str_eq(r.blake2b, ABC_B2);
	ck_assert_str_eq(r.sha512, ABC_S512);
	ck_assert_str_eq(r.sha256, ABC_S256);
	ck_assert_int_eq(hash_init(&h, HASH_BLAKE2B, NULL), 0);
	ck_assert_int_eq(hash_final(&h, &r, NULL), 0);
	ck_assert_str_eq(r.sha512, "");
}
END_TEST

START_TEST(hash_file_matches_incremental)
{
	char path[] = "/tmp/dk-hash.XXXXXX";
	struct hash_set h;
	struct hash_result a, b;
	struct dk_err e;
	size_t i, n = 3 * 1024 * 1024 + 17;	/* more than the ring holds */
	char *data = malloc(n);
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	for (i = 0; i < n; i++)
		data[i] = (char)(i * 7 + i / 1000);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	ck_assert_int_eq(hash_file(path, HASH_MANIFEST | HASH_SHA256, &a, &e), 0);
	ck_assert_int_eq(hash_init(&h, HASH_MANIFEST | HASH_SHA256, NULL), 0);
	ck_assert_int_eq(hash_update(&h, data, n, NULL), 0);
	ck_assert_int_eq(hash_final(&h, &b, NULL), 0);
	ck_assert_uint_eq(a.size, n);
	ck_assert_str_eq(a.blake2b, b.blake2b);
	ck_assert_str_eq(a.sha512, b.sha512);
	ck_assert_str_eq(a.sha256, b.sha256);
	/* an empty file */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	ck_assert_int_eq(hash_file(path, HASH_MANIFEST, &a, &e), 0);
	ck_assert_uint_eq(a.size, 0);
	ck_assert_str_eq(a.blake2b, "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
	unlink(path);
	ck_assert_int_eq(hash_file(path, HASH_MANIFEST, &a, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
	free(data);
}
END_TEST

#define L(name, size, c) "DIST " name " " size " BLAKE2B " c c c c c c c c " SHA512 " c c c c c c c c "\n"
#define H16(x) x x x x x x x x x x x x x x x x

START_TEST(manifest_roundtrip_sort)
{
	const char *text = L("b.tar", "5", H16("b")) "AUX x.patch 3 SHA256 abc\n" L("a.tar", "7", H16("a"));
	struct manifest m = { 0 };
	struct buf out = { 0 };
	struct dk_err e;
	struct hash_result r = { 0 };

	ck_assert_int_eq(manifest_parse(&m, "Manifest", text, strlen(text), &e), 0);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_ptr_nonnull(manifest_find(&m, "DIST", "a.tar"));
	ck_assert_ptr_null(manifest_find(&m, "DIST", "x.patch"));
	ck_assert_int_eq(manifest_format(&m, &out), 0);
	/* portage's order: type, then name */
	ck_assert_str_eq(buf_str(&out), "AUX x.patch 3 SHA256 abc\n" L("a.tar", "7", H16("a")) L("b.tar", "5", H16("b")));
	/* same digests: the line stays; new ones are formatted */
	r.size = 5;
	memset(r.blake2b, 'b', 128);
	memset(r.sha512, 'b', 128);
	ck_assert_int_eq(manifest_set_dist(&m, "b.tar", &r, &e), 0);
	r.size = 9;
	memset(r.blake2b, 'c', 128);
	memset(r.sha512, 'c', 128);
	ck_assert_int_eq(manifest_set_dist(&m, "c.tar", &r, &e), 0);
	manifest_prune_dist(&m);	/* a.tar unused */
	buf_reset(&out);
	ck_assert_int_eq(manifest_format(&m, &out), 0);
	ck_assert_str_eq(buf_str(&out), "AUX x.patch 3 SHA256 abc\n" L("b.tar", "5", H16("b")) L("c.tar", "9", H16("c")));
	buf_free(&out);
	manifest_free(&m);
}
END_TEST

START_TEST(manifest_errors)
{
	struct manifest m = { 0 };
	struct dk_err e;

	ck_assert_int_eq(manifest_parse(&m, "M", "DIST a\n", 7, &e), -1);
	ck_assert_str_eq(e.msg, "M:1: malformed entry: want TYPE NAME SIZE (HASH VALUE)...");
	manifest_free(&m);
	ck_assert_int_eq(manifest_parse(&m, "M", "\nDIST a x BLAKE2B 00\n", 21, &e), -1);
	ck_assert_str_eq(e.msg, "M:2: bad size 'x'");
	manifest_free(&m);
	ck_assert_int_eq(manifest_parse(&m, "M", "DIST a 1 BLAKE2B 00\n", 20, &e), -1);
	ck_assert_str_eq(e.msg, "M:1: bad BLAKE2B digest of a");
	manifest_free(&m);
	ck_assert_int_eq(manifest_parse(&m, "M", "DIST a 1\nDIST a 1\n", 18, &e), -1);
	ck_assert_str_eq(e.msg, "M:2: DIST a listed twice");
	manifest_free(&m);
}
END_TEST

START_TEST(srcuri_branches)
{
	struct srcuri_mirrors mir = { 0 };
	struct srcuri_list l = { 0 };
	struct buf out = { 0 };
	struct dk_err e;

	ck_assert_int_eq(srcuri_mirrors_builtin(&mir, &e), 0);
	ck_assert_int_eq(srcuri_parse(&l,
		"https://h/a.tar.gz\n verify-sig? ( https://h/x/sha256sums.asc -> s-1.asc )\n"
		" !foo? ( amd64? ( mirror://gentoo/b.tar ) ) ( fetch+https://h/c )\n https://g/a.tar.gz",
		&mir, "f", 10, &e), 0);
	ck_assert_int_eq(srcuri_format(&l, &out), 0);
	ck_assert_str_eq(buf_str(&out),
		"a.tar.gz https://h/a.tar.gz https://g/a.tar.gz\n"
		"s-1.asc https://h/x/sha256sums.asc\n"
		"b.tar https://distfiles.gentoo.org/distfiles/b.tar\n"
		"c https://h/c\n");
	buf_free(&out);
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "a? (\n\n https://h/a )\n )", &mir, "f", 10, &e), -1);
	ck_assert_str_eq(e.msg, "f:13: SRC_URI: ')' without '('");
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "x\n a? ( b? ( https://h/a )", &mir, "f", 1, &e), -1);
	ck_assert_str_eq(e.msg, "f:2: SRC_URI: unterminated group: '(' has no ')'");
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "a? https://h/a", &mir, "f", 1, &e), -1);
	ck_assert_str_eq(e.msg, "f:1: SRC_URI: 'a?' not followed by '('");
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "https://h/a -> x/y", &mir, "f", 1, &e), -1);
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "https://h/", &mir, "f", 1, &e), -1);
	ck_assert_str_eq(e.msg, "f:1: SRC_URI: no file name in 'https://h/'");
	srcuri_free(&l);
	srcuri_mirrors_free(&mir);
}
END_TEST

START_TEST(sha256sums_lookup_names)
{
	const char *t = "# header\n" ABC_S256 "  linux-6.6.tar.xz\n" ABC_S256 "  patch-6.6.1.xz\n";
	char hex[65];

	ck_assert_int_eq(sha256sums_lookup(t, "patch-6.6.1.xz", hex), 1);
	ck_assert_str_eq(hex, ABC_S256);
	ck_assert_int_eq(sha256sums_lookup(t, "patch-6.6.1", hex), 0);
	ck_assert_int_eq(sha256sums_lookup(t, "linux-6.6.tar", hex), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("all");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, hash_incremental);
	tcase_add_test(tc, hash_file_matches_incremental);
	tcase_add_test(tc, manifest_roundtrip_sort);
	tcase_add_test(tc, manifest_errors);
	tcase_add_test(tc, srcuri_branches);
	tcase_add_test(tc, sha256sums_lookup_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
