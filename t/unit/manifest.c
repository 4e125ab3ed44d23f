/* Unit tests: hash, manifest, srcuri, sha256sums lookup. GPL-2.0-only. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "hash.h"
#include "manifest.h"
#include "sha256sums.h"
#include "srcuri.h"
#include "tmpdir.h"

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

/* A failed parse leaves nothing half-read (issue 14, 1): the crash was a
 * caller looking up an entry with no type after a bad line. */
START_TEST(manifest_failure_leaves_empty)
{
	static const char *const bad[] = {
		"DIST a.tar\n", "DIST a 12x\n", "DIST a -1\n", "DIST a +1\n",
		"DIST a 99999999999999999999999\n", "DIST a 1 B 1 C\n",
	};
	struct manifest m = { 0 };
	struct dk_err e;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[256];
		int n = snprintf(text, sizeof text, "DIST ok 1\nEBUILD e 2\n%s", bad[i]);

		ck_assert_int_eq(manifest_parse(&m, "M", text, (size_t)n, &e), -1);
		ck_assert_uint_eq(m.n, 0);
		ck_assert_ptr_null(m.v);
		ck_assert_ptr_null(manifest_find(&m, "DIST", "ok"));
		manifest_free(&m);
	}
}
END_TEST

/* The text need not end in a NUL: nothing past len is read (ASan). */
START_TEST(manifest_unterminated)
{
	struct manifest m = { 0 };
	struct dk_err e;
	char *one = malloc(1), *line = malloc(9);

	one[0] = '\t';
	ck_assert_int_eq(manifest_parse(&m, "M", one, 1, &e), 0);
	ck_assert_uint_eq(m.n, 0);
	memcpy(line, "DIST a 1", 8);
	ck_assert_int_eq(manifest_parse(&m, "M", line, 8, &e), 0);
	ck_assert_uint_eq(m.n, 1);
	ck_assert_str_eq(m.v[0].name, "a");
	manifest_free(&m);
	free(one);
	free(line);
}
END_TEST

/* Lookups through the index stay right across growth, sorting, pruning
 * and new entries. */
START_TEST(manifest_index)
{
	struct manifest m = { 0 };
	struct hash_result r = { .size = 7 };
	struct buf text = { 0 };
	struct dk_err e;
	char name[32];
	int i;

	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(buf_printf(&text, "DIST f%d %d\n", 4999 - i, i), 0);
	ck_assert_int_eq(manifest_parse(&m, "M", text.s, text.len, &e), 0);
	ck_assert_uint_eq(m.n, 5000);
	for (i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof name, "f%d", i);
		ck_assert_ptr_nonnull(manifest_find(&m, "DIST", name));
		ck_assert_uint_eq(manifest_find(&m, "DIST", name)->size, (uint64_t)(4999 - i));
	}
	ck_assert_ptr_null(manifest_find(&m, "EBUILD", "f1"));
	memset(r.blake2b, 'a', 128);
	memset(r.sha512, 'b', 128);
	ck_assert_int_eq(manifest_set_dist(&m, "new", &r, &e), 0);
	ck_assert_int_eq(manifest_set_dist(&m, "f3", &r, &e), 0);
	ck_assert_uint_eq(m.n, 5001);
	ck_assert_uint_eq(manifest_find(&m, "DIST", "new")->size, 7);
	buf_reset(&text);
	ck_assert_int_eq(manifest_format(&m, &text), 0);
	ck_assert_uint_eq(manifest_find(&m, "DIST", "f10")->size, 4989);
	manifest_prune_dist(&m);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_ptr_nonnull(manifest_find(&m, "DIST", "f3"));
	ck_assert_ptr_null(manifest_find(&m, "DIST", "f4"));
	manifest_free(&m);
	buf_free(&text);
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
	/* issue 14, 11: PMS has no file:// (it would read the host's files) */
	ck_assert_int_eq(srcuri_parse(&l, "https://h/a\n file:///etc/passwd", &mir, "f", 1, &e), -1);
	ck_assert_str_eq(e.msg, "f:2: SRC_URI: 'file' is no scheme PMS allows (http, https, ftp, mirror)");
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "fetch+file:///x", &mir, "f", 1, &e), -1);
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "https://h/.. https://h/a -> ..", &mir, "f", 1, &e), -1);
	ck_assert_str_eq(e.msg, "f:1: SRC_URI: no file name in 'https://h/..'");
	srcuri_free(&l);
	ck_assert_int_eq(srcuri_parse(&l, "ftp://h/a mirror+https://h/b", &mir, "f", 1, &e), 0);
	ck_assert_uint_eq(l.n, 2);
	/* a failed parse adds nothing to what the list held */
	ck_assert_int_eq(srcuri_parse(&l, "https://h/c https://h/a ( https://h/d", &mir, "f", 1, &e), -1);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_ptr_null(srcuri_find(&l, "c"));
	ck_assert_uint_eq(srcuri_find(&l, "a")->nurls, 1);
	srcuri_free(&l);
	srcuri_mirrors_free(&mir);
}
END_TEST

/* A thirdpartymirrors file with CRLF line ends reads as with LF ones;
 * an empty one is empty; a FIFO is refused without blocking. */
START_TEST(srcuri_mirrors_file)
{
	struct srcuri_mirrors m = { 0 };
	struct dk_err e;
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/tpm", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("gentoo https://a/distfiles https://b/x\r\n\r\n# c\r\nkernel https://k/pub\r\n", fp);
	fclose(fp);
	ck_assert_int_eq(srcuri_mirrors_load(&m, path, &e), 0);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_str_eq(m.urls[0][1], "https://b/x");
	ck_assert_str_eq(m.names[1], "kernel");
	ck_assert_str_eq(m.urls[1][0], "https://k/pub");
	srcuri_mirrors_free(&m);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fclose(fp);
	ck_assert_int_eq(srcuri_mirrors_load(&m, path, &e), 0);
	ck_assert_uint_eq(m.n, 0);
	srcuri_mirrors_free(&m);
	snprintf(path, sizeof path, "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_eq(srcuri_mirrors_load(&m, path, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "fifo: not a regular file"));
	srcuri_mirrors_free(&m);
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

/* fetch_run over file:// URLs: one good, one from the second URL, one
 * with content differing from its expected entry, one nowhere. */
START_TEST(fetch_file_urls)
{
	char dir[] = "/tmp/dk-fetch.XXXXXX", path[256], u1[300], u2[300], u3[300];
	struct fetch_job j[4];
	struct fetch_opts o = { 0 };
	struct dk_err e;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/src", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/src/abc", dir);
	fp = fopen(path, "w");
	fputs("abc", fp);
	fclose(fp);
	snprintf(u1, sizeof u1, "file://%s/src/abc", dir);
	snprintf(u2, sizeof u2, "file://%s/src/none", dir);
	snprintf(u3, sizeof u3, "file://%s/src/nothing", dir);
	char *good[] = { u1 }, *second[] = { u2, u1 }, *none[] = { u2, u3 };
	memset(j, 0, sizeof j);
	j[0].name = "a";
	j[0].urls = good;
	j[0].nurls = 1;
	j[0].hashes = HASH_SHA256;
	j[1].name = "b";
	j[1].urls = second;
	j[1].nurls = 2;
	j[2].name = "c";
	j[2].urls = good;
	j[2].nurls = 1;
	j[2].have_expect = 1;
	j[2].expect_size = 4;
	j[3].name = "d";
	j[3].urls = none;
	j[3].nurls = 2;
	o.distdir = dir;
	o.jobs = 2;
	o.per_host = 2;
	o.stall_secs = 5;
	o.backoff_ms = 10;
	o.tries = 2;
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	ck_assert_int_eq(fetch_run(j, 4, &o, &e), 2);
	ck_assert_int_eq(j[0].state, FETCH_DONE);
	ck_assert_str_eq(j[0].result.blake2b, ABC_B2);
	ck_assert_str_eq(j[0].result.sha256, ABC_S256);
	ck_assert_int_eq(j[1].state, FETCH_DONE);
	ck_assert_str_eq(j[1].result.sha512, ABC_S512);
	ck_assert_int_eq(j[2].state, FETCH_FAILED);
	ck_assert_ptr_nonnull(strstr(j[2].err, "c: size mismatch: got 3 bytes, Manifest says 4"));
	ck_assert_int_eq(j[3].state, FETCH_FAILED);
	ck_assert_ptr_nonnull(strstr(j[3].err, "d: cannot fetch from any URL: file://"));
	snprintf(path, sizeof path, "%s/c.part", dir);
	ck_assert_int_ne(access(path, F_OK), 0);	/* wrong content is not kept */
	snprintf(path, sizeof path, "%s/c", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/a", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	curl_global_cleanup();
	snprintf(path, sizeof path, "rm -rf %s", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		hash_incremental,
		hash_file_matches_incremental,
		manifest_roundtrip_sort,
		manifest_errors,
		manifest_failure_leaves_empty,
		manifest_unterminated,
		manifest_index,
		srcuri_branches,
		srcuri_mirrors_file,
		sha256sums_lookup_names,
		fetch_file_urls,
	};

	return run_suite("manifest", tests, sizeof tests / sizeof *tests);
}
