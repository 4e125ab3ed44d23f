/* Unit tests: lib/fetch.c over local file:// sources, the copy that goes
 * through the hash ring: many transfers at once, resume, wrong digests,
 * URLs a local path is spelt as. GPL-2.0-only. */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"
#include "fetch.h"

static unsigned char
byte_of(unsigned k, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(k + 1) * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	return (unsigned char)(x >> 29);
}

/* Writes dir/name with len bytes of pattern k. */
static void
make_file(const char *dir, const char *name, unsigned k, size_t len)
{
	char path[512];
	unsigned char *b = malloc(len ? len : 1);
	FILE *fp;

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < len; i++)
		b[i] = byte_of(k, i);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(b, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	free(b);
}

static void
hash_of(const char *dir, const char *name, unsigned which, struct hash_result *r)
{
	char path[512];
	struct dk_err e;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_msg(hash_file(path, which, r, &e) == 0, "%s", e.msg);
}

static int
exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void
opts(struct fetch_opts *o, const char *distdir, int jobs)
{
	memset(o, 0, sizeof *o);
	o->distdir = distdir;
	o->jobs = jobs;
	o->per_host = 2;
	o->stall_secs = 5;
	o->backoff_ms = 10;
	o->tries = 2;
}

static char src[400], dist[400];

static void
setup(void)
{
	tmpdir_setup();
	snprintf(src, sizeof src, "%s/src", tmpdir);
	snprintf(dist, sizeof dist, "%s/dist", tmpdir);
	ck_assert_int_eq(mkdir(src, 0755), 0);
	ck_assert_int_eq(mkdir(dist, 0755), 0);
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
}

static void
teardown(void)
{
	curl_global_cleanup();
	tmpdir_teardown();
}

/* 40 files of sizes around the ring's, six at a time: every one in place
 * with the digests of its source, no .part left. */
START_TEST(fetch_many_local_files)
{
	enum { N = 40 };
	struct fetch_job j[N];
	char names[N][16], urls[N][512], *u[N];
	struct fetch_opts o;
	struct hash_result want;
	struct dk_err e;
	size_t i;

	memset(j, 0, sizeof j);
	for (i = 0; i < N; i++) {
		size_t len = i * 65536 / 3 + (i % 5) * 7 + (i == 7 ? 3 * 1048576 : 0);

		snprintf(names[i], sizeof names[i], "f%zu", i);
		make_file(src, names[i], (unsigned)i, len);
		snprintf(urls[i], sizeof urls[i], "file://%s/%s", src, names[i]);
		u[i] = urls[i];
		j[i].name = names[i];
		j[i].urls = &u[i];
		j[i].nurls = 1;
		j[i].hashes = i % 3 ? HASH_SHA256 : 0;
	}
	opts(&o, dist, 6);
	ck_assert_int_eq(fetch_run(j, N, &o, &e), 0);
	for (i = 0; i < N; i++) {
		char part[32];

		ck_assert_int_eq(j[i].state, FETCH_DONE);
		hash_of(src, names[i], HASH_MANIFEST | HASH_SHA256, &want);
		ck_assert_uint_eq(j[i].result.size, want.size);
		ck_assert_str_eq(j[i].result.blake2b, want.blake2b);
		ck_assert_str_eq(j[i].result.sha512, want.sha512);
		ck_assert_str_eq(j[i].result.sha256, i % 3 ? want.sha256 : "");
		hash_of(dist, names[i], HASH_MANIFEST, &want);
		ck_assert_str_eq(j[i].result.sha512, want.sha512);
		snprintf(part, sizeof part, "%s.part", names[i]);
		ck_assert(!exists(dist, part));
	}
}
END_TEST

/* The expected digests: a right file passes; one wrong BLAKE2B or SHA512
 * with the right size fails, names the digest, keeps neither file nor
 * .part; -f (force) takes it. */
START_TEST(fetch_wrong_digest_detected)
{
	struct fetch_job j[4];
	char url[512], *u[] = { url };
	struct fetch_opts o;
	struct hash_result good;
	struct dk_err e;
	char bad[129];

	make_file(src, "x", 1, 300000);
	hash_of(src, "x", HASH_MANIFEST, &good);
	snprintf(url, sizeof url, "file://%s/x", src);
	snprintf(bad, sizeof bad, "%s", good.blake2b);
	bad[77] = bad[77] == '0' ? '1' : '0';
	memset(j, 0, sizeof j);
	for (int i = 0; i < 4; i++) {
		j[i].urls = u;
		j[i].nurls = 1;
		j[i].have_expect = 1;
		j[i].expect_size = good.size;
		j[i].expect_blake2b = good.blake2b;
		j[i].expect_sha512 = good.sha512;
	}
	j[0].name = "ok";
	j[1].name = "b2";
	j[1].expect_blake2b = bad;
	j[2].name = "s5";
	j[2].expect_sha512 = bad;
	j[3].name = "sz";
	j[3].expect_size = good.size + 1;
	opts(&o, dist, 4);
	ck_assert_int_eq(fetch_run(j, 4, &o, &e), 3);
	ck_assert_int_eq(j[0].state, FETCH_DONE);
	ck_assert_str_eq(j[0].result.blake2b, good.blake2b);
	ck_assert_int_eq(j[1].state, FETCH_FAILED);
	ck_assert_msg(strstr(j[1].err, "b2: BLAKE2B mismatch with the Manifest (from file://"), "%s", j[1].err);
	ck_assert_int_eq(j[2].state, FETCH_FAILED);
	ck_assert_msg(strstr(j[2].err, "s5: SHA512 mismatch with the Manifest"), "%s", j[2].err);
	ck_assert_int_eq(j[3].state, FETCH_FAILED);
	ck_assert_msg(strstr(j[3].err, "sz: size mismatch: got 300000 bytes, Manifest says 300001"), "%s", j[3].err);
	ck_assert(exists(dist, "ok"));
	ck_assert(!exists(dist, "b2") && !exists(dist, "b2.part"));
	ck_assert(!exists(dist, "s5") && !exists(dist, "s5.part"));
	ck_assert(!exists(dist, "sz") && !exists(dist, "sz.part"));

	o.force = 1;
	ck_assert_int_eq(fetch_run(&j[1], 1, &o, &e), 0);
	ck_assert_str_eq(j[1].result.blake2b, good.blake2b);
	ck_assert(exists(dist, "b2"));
}
END_TEST

/* A .part holding the source's first bytes is resumed: the digests are the
 * whole file's; a .part whose prefix differs gives the wrong digests the
 * Manifest check catches; one longer than its source starts over. */
START_TEST(fetch_resume_part)
{
	struct fetch_job j[3];
	char url[512], *u[] = { url };
	struct fetch_opts o;
	struct hash_result good;
	struct dk_err e;
	char path[512];
	struct stat st;
	FILE *fp;

	make_file(src, "r", 2, 1048576 + 4321);
	hash_of(src, "r", HASH_MANIFEST, &good);
	snprintf(url, sizeof url, "file://%s/r", src);
	make_file(dist, "a.part", 2, 700001);	/* the right prefix */
	make_file(dist, "b.part", 9, 5000);	/* another file's */
	make_file(dist, "c.part", 2, 2 * 1048576);	/* longer than the source */
	memset(j, 0, sizeof j);
	for (int i = 0; i < 3; i++) {
		j[i].urls = u;
		j[i].nurls = 1;
	}
	j[0].name = "a";
	j[1].name = "b";
	j[1].have_expect = 1;
	j[1].expect_size = good.size;
	j[1].expect_blake2b = good.blake2b;
	j[1].expect_sha512 = good.sha512;
	j[2].name = "c";
	opts(&o, dist, 3);
	ck_assert_int_eq(fetch_run(j, 3, &o, &e), 1);
	ck_assert_int_eq(j[0].state, FETCH_DONE);
	ck_assert_uint_eq(j[0].result.size, good.size);
	ck_assert_str_eq(j[0].result.blake2b, good.blake2b);
	ck_assert_str_eq(j[0].result.sha512, good.sha512);
	ck_assert_int_eq(j[1].state, FETCH_FAILED);
	ck_assert_msg(strstr(j[1].err, "b: BLAKE2B mismatch"), "%s", j[1].err);
	ck_assert(!exists(dist, "b.part"));
	ck_assert_int_eq(j[2].state, FETCH_DONE);
	ck_assert_str_eq(j[2].result.sha512, good.sha512);
	snprintf(path, sizeof path, "%s/c", dist);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)good.size);

	/* a .part already whole, with its Manifest entry: no read of the source */
	snprintf(path, sizeof path, "%s/r", src);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof path, "%s/a", dist);
	snprintf(url, sizeof url, "%s/a.part", dist);
	ck_assert_int_eq(rename(path, url), 0);
	snprintf(url, sizeof url, "file://%s/r", src);
	j[0].have_expect = 1;
	j[0].expect_size = good.size;
	j[0].expect_blake2b = good.blake2b;
	j[0].expect_sha512 = good.sha512;
	ck_assert_int_eq(fetch_run(j, 1, &o, &e), 0);
	ck_assert_str_eq(j[0].result.blake2b, good.blake2b);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
}
END_TEST

/* The spellings of a local path: percent-encoding, localhost; a
 * directory or a missing file is a failed URL and the next one is tried. */
START_TEST(fetch_local_url_forms)
{
	struct fetch_job j[3];
	char u1[512], u2[512], u3[512], u4[512];
	char *a[] = { u1 }, *b[] = { u2, u3 }, *c[] = { u4 };
	struct fetch_opts o;
	struct hash_result good;
	struct dk_err e;

	make_file(src, "sp ace+1", 5, 1000);
	hash_of(src, "sp ace+1", HASH_MANIFEST, &good);
	snprintf(u1, sizeof u1, "file://localhost%s/sp%%20ace+1", src);
	snprintf(u2, sizeof u2, "file://%s", src);
	snprintf(u3, sizeof u3, "file://%s/sp%%20ace%%2b1", src);
	snprintf(u4, sizeof u4, "file://%s/none", src);
	memset(j, 0, sizeof j);
	j[0].name = "a";
	j[0].urls = a;
	j[0].nurls = 1;
	j[1].name = "b";
	j[1].urls = b;
	j[1].nurls = 2;
	j[2].name = "c";
	j[2].urls = c;
	j[2].nurls = 1;
	opts(&o, dist, 2);
	ck_assert_int_eq(fetch_run(j, 3, &o, &e), 1);
	ck_assert_int_eq(j[0].state, FETCH_DONE);
	ck_assert_str_eq(j[0].result.sha512, good.sha512);
	ck_assert_int_eq(j[1].state, FETCH_DONE);
	ck_assert_str_eq(j[1].result.blake2b, good.blake2b);
	ck_assert_int_eq(j[2].state, FETCH_FAILED);
	ck_assert_msg(strstr(j[2].err, "c: cannot fetch from any URL: file://") && strstr(j[2].err, "/none (No such file or directory)"),
		"%s", j[2].err);
	ck_assert(!exists(dist, "c") && !exists(dist, "c.part"));
}
END_TEST

/* The disk fills half-way through a copy (RLIMIT_FSIZE: writes past it
 * fail with EFBIG): the job fails naming the .part and why, the .part is
 * a true prefix of the source (the workers' writes stop in order), and a
 * later run resumes it to the right file. */
START_TEST(fetch_write_error_keeps_a_prefix)
{
	enum { LEN = 3 * 1048576 + 77, LIMIT = 1048576 + 5000 };
	struct rlimit was, rl;
	struct fetch_job j;
	char url[512], *u[] = { url };
	struct fetch_opts o;
	struct hash_result good, part, got;
	struct dk_err e;
	char path[512];
	struct stat st;

	make_file(src, "w", 6, LEN);
	hash_of(src, "w", HASH_MANIFEST, &good);
	make_file(tmpdir, "w-prefix", 6, LIMIT);
	hash_of(tmpdir, "w-prefix", HASH_MANIFEST, &part);
	snprintf(url, sizeof url, "file://%s/w", src);
	memset(&j, 0, sizeof j);
	j.name = "w";
	j.urls = u;
	j.nurls = 1;
	opts(&o, dist, 1);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	rl = was;
	rl.rlim_cur = LIMIT;	/* the soft limit only: it can be raised again */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(fetch_run(&j, 1, &o, &e), 1);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
	ck_assert_int_eq(j.state, FETCH_FAILED);
	snprintf(path, sizeof path, "w: write error: %s/w.part: File too large", dist);
	ck_assert_str_eq(j.err, path);
	ck_assert(!exists(dist, "w"));
	snprintf(path, sizeof path, "%s/w.part", dist);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, LIMIT);
	hash_of(dist, "w.part", HASH_MANIFEST, &got);
	ck_assert_str_eq(got.sha512, part.sha512);

	ck_assert_int_eq(fetch_run(&j, 1, &o, &e), 0);
	ck_assert_int_eq(j.state, FETCH_DONE);
	ck_assert_str_eq(j.result.blake2b, good.blake2b);
	ck_assert_str_eq(j.result.sha512, good.sha512);
	hash_of(dist, "w", HASH_MANIFEST, &got);
	ck_assert_str_eq(got.sha512, good.sha512);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		fetch_many_local_files,
		fetch_wrong_digest_detected,
		fetch_resume_part,
		fetch_local_url_forms,
		fetch_write_error_keeps_a_prefix,
	};

	return run_suite_with("fetch", tests, sizeof tests / sizeof tests[0], setup, teardown);
}
