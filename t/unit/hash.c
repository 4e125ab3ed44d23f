/* Unit tests: lib/hash.c's pool, the ring of buffers every fetch and
 * hash_file feeds: per-stream order, many streams at once, wrap-around,
 * reading into the ring, writing the streams out, failures. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"
#include "hash.h"

/* Deterministic bytes: stream k's byte i, so any reordering, loss or
 * duplication inside the ring changes a digest. */
static unsigned char
byte_of(unsigned k, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(k + 1) * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	return (unsigned char)(x >> 29);
}

static void
fill(unsigned k, uint64_t from, unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = byte_of(k, from + i);
}

/* The digests of stream k's first len bytes, one thread, no ring. */
static void
reference(unsigned k, uint64_t len, unsigned which, struct hash_result *r)
{
	static unsigned char b[65536];
	struct hash_set h;
	uint64_t done = 0;

	ck_assert_int_eq(hash_init(&h, which, NULL), 0);
	while (done < len) {
		size_t n = len - done < sizeof b ? (size_t)(len - done) : sizeof b;

		fill(k, done, b, n);
		ck_assert_int_eq(hash_update(&h, b, n, NULL), 0);
		done += n;
	}
	ck_assert_int_eq(hash_final(&h, r, NULL), 0);
}

static void
assert_same(const struct hash_result *a, const struct hash_result *b)
{
	ck_assert_uint_eq(a->size, b->size);
	ck_assert_str_eq(a->blake2b, b->blake2b);
	ck_assert_str_eq(a->sha512, b->sha512);
	ck_assert_str_eq(a->sha256, b->sha256);
}

/* xorshift: the test's own reproducible choices */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Sizes around the ring's buffer and ring sizes, fed interleaved in
 * random pieces by one producer: every stream's digests as if alone. */
START_TEST(pool_interleaved_streams_keep_order)
{
	static const uint64_t len[] = {
		0, 1, 65535, 65536, 65537, 3 * 65536, 2 * 1048576 - 1, 2 * 1048576 + 7,
		5 * 1048576 + 3, 123457, 17, 1048576,
	};
	enum { N = sizeof len / sizeof len[0] };
	static unsigned char piece[200000];
	struct hash_stream s[N];
	struct hash_result got, want;
	struct hash_pool *p;
	uint64_t fed[N] = { 0 };
	int ended[N] = { 0 };
	uint32_t seed = 12345;
	unsigned k, left = N;
	struct dk_err e;

	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	for (k = 0; k < N; k++)
		ck_assert_int_eq(hash_stream_init(&s[k], p, HASH_MANIFEST | (k % 2 ? HASH_SHA256 : 0), &e), 0);
	while (left > 0) {
		size_t n = 1 + rnd(&seed) % sizeof piece;

		k = rnd(&seed) % N;
		if (ended[k])
			continue;
		if (n > len[k] - fed[k])
			n = (size_t)(len[k] - fed[k]);
		if (rnd(&seed) % 2) {
			fill(k, fed[k], piece, n);
			ck_assert_int_eq(hash_stream_write(&s[k], piece, n, &e), 0);
		} else if (n > 0) {
			/* as a file:// copy does: read straight into the ring */
			size_t room;
			unsigned char *d = hash_stream_reserve(&s[k], &room);

			ck_assert_uint_gt(room, 0);
			if (n > room)
				n = room;
			fill(k, fed[k], d, n);
			hash_stream_commit(&s[k], n);
		}
		fed[k] += n;
		if (rnd(&seed) % 7 == 0)
			hash_pool_flush(p);
		if (fed[k] == len[k]) {
			ck_assert_int_eq(hash_stream_final(&s[k], &got, &e), 0);
			reference(k, len[k], HASH_MANIFEST | (k % 2 ? HASH_SHA256 : 0), &want);
			assert_same(&got, &want);
			ended[k] = 1;
			left--;
		}
	}
	hash_pool_free(p);
}
END_TEST

/* Streams begun and ended one after another on one pool, as a long run of
 * transfers does: each digest right, the pool reused throughout. */
START_TEST(pool_many_streams_in_sequence)
{
	unsigned char b[4096];
	struct hash_stream s;
	struct hash_result got, want;
	struct hash_pool *p;
	struct dk_err e;
	unsigned k;

	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	for (k = 0; k < 300; k++) {
		uint64_t len = (uint64_t)k * 997;

		ck_assert_int_eq(hash_stream_init(&s, p, HASH_MANIFEST, &e), 0);
		for (uint64_t i = 0; i < len; i += sizeof b) {
			size_t n = len - i < sizeof b ? (size_t)(len - i) : sizeof b;

			fill(k, i, b, n);
			ck_assert_int_eq(hash_stream_write(&s, b, n, &e), 0);
		}
		ck_assert_int_eq(hash_stream_final(&s, &got, &e), 0);
		reference(k, len, HASH_MANIFEST, &want);
		assert_same(&got, &want);
	}
	hash_pool_free(p);
}
END_TEST

/* A stream dropped half-way (a failed transfer) leaves the others and the
 * pool right; freeing twice, or a zeroed stream, is harmless. */
START_TEST(pool_stream_dropped_midway)
{
	unsigned char b[100000];
	struct hash_stream a, d, z;
	struct hash_result got, want;
	struct hash_pool *p;
	struct dk_err e;

	memset(&z, 0, sizeof z);
	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	ck_assert_int_eq(hash_stream_init(&a, p, HASH_MANIFEST, &e), 0);
	ck_assert_int_eq(hash_stream_init(&d, p, HASH_MANIFEST, &e), 0);
	fill(1, 0, b, sizeof b);
	ck_assert_int_eq(hash_stream_write(&a, b, sizeof b, &e), 0);
	fill(2, 0, b, sizeof b);
	ck_assert_int_eq(hash_stream_write(&d, b, sizeof b, &e), 0);
	hash_stream_free(&d);
	hash_stream_free(&d);
	hash_stream_free(&z);
	fill(1, sizeof b, b, sizeof b);
	ck_assert_int_eq(hash_stream_write(&a, b, sizeof b, &e), 0);
	ck_assert_int_eq(hash_stream_final(&a, &got, &e), 0);
	hash_stream_free(&a);
	reference(1, 2 * sizeof b, HASH_MANIFEST, &want);
	assert_same(&got, &want);
	hash_pool_free(p);
}
END_TEST

static long
maxrss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* Memory stays flat: eight streams of 8 MiB each through one pool grow
 * the peak RSS by less than a megabyte once the ring is in use. */
START_TEST(pool_memory_flat)
{
	enum { N = 8, PIECE = 65536, PIECES = 128 };
	static unsigned char piece[PIECE];
	struct hash_stream s[N];
	struct hash_result r;
	struct hash_pool *p;
	struct dk_err e;
	long before = 0;

	memset(piece, 0x5a, sizeof piece);
	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	for (int k = 0; k < N; k++)
		ck_assert_int_eq(hash_stream_init(&s[k], p, HASH_MANIFEST, &e), 0);
	for (int i = 0; i < PIECES; i++) {
		if (i == 8)
			before = maxrss_kib();
		for (int k = 0; k < N; k++)
			ck_assert_int_eq(hash_stream_write(&s[k], piece, sizeof piece, &e), 0);
	}
	for (int k = 0; k < N; k++) {
		ck_assert_int_eq(hash_stream_final(&s[k], &r, &e), 0);
		ck_assert_uint_eq(r.size, (uint64_t)PIECE * PIECES);
	}
	ck_assert_int_lt(maxrss_kib() - before, 1024);
	hash_pool_free(p);
}
END_TEST

/* hash_stream_fd: a prefix as a resume hashes it, then the rest written:
 * the whole file's digests; a file shorter than asked is an error. */
START_TEST(pool_fd_prefix_then_rest)
{
	static unsigned char b[3 * 65536 + 11];
	struct hash_stream s;
	struct hash_result got, want;
	struct hash_pool *p;
	struct dk_err e;
	char path[300];
	int fd;

	snprintf(path, sizeof path, "%s/part", tmpdir);
	fill(3, 0, b, sizeof b);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, 100001), 100001);
	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	ck_assert_int_eq(hash_stream_init(&s, p, HASH_MANIFEST | HASH_SHA256, &e), 0);
	ck_assert_int_eq(hash_stream_fd(&s, fd, 100001, path, &e), 0);
	ck_assert_int_eq(hash_stream_write(&s, b + 100001, sizeof b - 100001, &e), 0);
	ck_assert_int_eq(hash_stream_final(&s, &got, &e), 0);
	reference(3, sizeof b, HASH_MANIFEST | HASH_SHA256, &want);
	assert_same(&got, &want);

	ck_assert_int_eq(hash_stream_init(&s, p, HASH_MANIFEST, &e), 0);
	ck_assert_int_eq(hash_stream_fd(&s, fd, 100002, path, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/part: read error: "));
	hash_stream_free(&s);
	hash_pool_free(p);
	close(fd);

	ck_assert_int_eq(hash_file(path, HASH_MANIFEST | HASH_SHA256, &got, &e), 0);
	reference(3, 100001, HASH_MANIFEST | HASH_SHA256, &want);
	assert_same(&got, &want);
}
END_TEST

/* hash_file over sizes at the ring's edges, an empty file included. */
START_TEST(hash_file_ring_edges)
{
	static const size_t len[] = { 0, 1, 65536, 2 * 1048576, 2 * 1048576 + 65537 };
	static unsigned char b[2 * 1048576 + 65537];
	struct hash_result got, want;
	struct dk_err e;
	char path[300];

	for (size_t i = 0; i < sizeof len / sizeof len[0]; i++) {
		FILE *fp;

		snprintf(path, sizeof path, "%s/f%zu", tmpdir, i);
		fill(4, 0, b, len[i]);
		fp = fopen(path, "w");
		ck_assert_uint_eq(fwrite(b, 1, len[i], fp), len[i]);
		fclose(fp);
		ck_assert_int_eq(hash_file(path, HASH_MANIFEST, &got, &e), 0);
		reference(4, len[i], HASH_MANIFEST, &want);
		assert_same(&got, &want);
	}
}
END_TEST

/* The bytes of stream k written through the pool to path: the file's
 * content is stream k's bytes from offset skip on (a resumed prefix is
 * not written again). */
static void
assert_file_is_stream(const char *path, unsigned k, uint64_t skip, uint64_t len)
{
	static unsigned char want[65536], got[65536];
	uint64_t at = 0;
	struct stat st;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, len);
	while (at < len) {
		size_t n = len - at < sizeof got ? (size_t)(len - at) : sizeof got;

		ck_assert_int_eq(pread(fd, got, n, (off_t)at), (ssize_t)n);
		fill(k, at, want, n);
		if (at >= skip)
			ck_assert_int_eq(memcmp(got, want, n), 0);
		else if (at + n > skip)
			ck_assert_int_eq(memcmp(got + (skip - at), want + (skip - at), (size_t)(at + n - skip)), 0);
		at += n;
	}
	close(fd);
}

/* hash_stream_output: interleaved streams written by the workers, each
 * file exactly its stream, the resumed prefix left as it was. */
START_TEST(pool_output_writes_each_stream)
{
	enum { N = 6 };
	static const uint64_t len[N] = { 0, 1, 65537, 3 * 1048576 + 5, 9 * 1048576 + 3, 200000 };
	static unsigned char piece[100003];
	struct hash_stream s[N];
	struct hash_result got, want;
	struct hash_pool *p;
	struct dk_err e;
	uint64_t at[N] = { 0 };
	char path[N][300];
	int fd[N], left = N;
	uint32_t seed = 7;

	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	for (int k = 0; k < N; k++) {
		snprintf(path[k], sizeof path[k], "%s/out%d", tmpdir, k);
		fd[k] = open(path[k], O_RDWR | O_CREAT | O_TRUNC, 0644);
		ck_assert_int_ge(fd[k], 0);
		ck_assert_int_eq(hash_stream_init(&s[k], p, HASH_MANIFEST, &e), 0);
		if (k == 4) {
			/* a resume: the first 70000 bytes are there already,
			 * marked so a rewrite would show */
			memset(piece, 0xee, 70000);
			ck_assert_int_eq(write(fd[k], piece, 70000), 70000);
			fill(k, 0, piece, 70000);
			ck_assert_int_eq(hash_stream_write(&s[k], piece, 70000, &e), 0);
			at[k] = 70000;
		}
		hash_stream_output(&s[k], fd[k]);
	}
	while (left > 0) {
		unsigned k = rnd(&seed) % N;
		size_t n = 1 + rnd(&seed) % sizeof piece;

		if (at[k] > len[k])
			continue;
		if (n > len[k] - at[k])
			n = (size_t)(len[k] - at[k]);
		fill(k, at[k], piece, n);
		ck_assert_int_eq(hash_stream_write(&s[k], piece, n, &e), 0);
		at[k] += n;
		if (at[k] == len[k]) {
			ck_assert_int_eq(hash_stream_final(&s[k], &got, &e), 0);
			reference(k, len[k], HASH_MANIFEST, &want);
			assert_same(&got, &want);
			at[k] = len[k] + 1;
			left--;
		}
	}
	hash_pool_free(p);
	for (int k = 0; k < N; k++) {
		close(fd[k]);
		assert_file_is_stream(path[k], k, k == 4 ? 70000 : 0, len[k]);
		if (k == 4) {
			unsigned char b[70000];

			fd[k] = open(path[k], O_RDONLY);
			ck_assert_int_eq(read(fd[k], b, sizeof b), (ssize_t)sizeof b);
			close(fd[k]);
			ck_assert_uint_eq(b[0], 0xee);
			ck_assert_uint_eq(b[69999], 0xee);
		}
	}
}
END_TEST

/* A write that fails: the writes stop, the file stays a prefix of the
 * stream, the producer hears of it and final says why. */
START_TEST(pool_output_write_error)
{
	static unsigned char piece[65536];
	struct hash_stream s;
	struct hash_result got;
	struct hash_pool *p;
	struct rlimit rl;
	struct dk_err e;
	char path[300];
	int fd, rc = 0, i;

	/* beyond RLIMIT_FSIZE a write fails with EFBIG (SIGXFSZ ignored) */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = 1048576 + 1000;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	snprintf(path, sizeof path, "%s/big", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hash_pool_new(&p, &e), 0);
	ck_assert_int_eq(hash_stream_init(&s, p, HASH_MANIFEST, &e), 0);
	hash_stream_output(&s, fd);
	for (i = 0; i < 512 && rc == 0; i++) {
		fill(9, (uint64_t)i * sizeof piece, piece, sizeof piece);
		rc = hash_stream_write(&s, piece, sizeof piece, &e);
	}
	if (rc == 0)
		ck_assert_int_eq(hash_stream_final(&s, &got, &e), -1);
	ck_assert_msg(strstr(e.msg, "write error: File too large") != NULL, "%s", e.msg);
	hash_stream_free(&s);
	ck_assert_int_eq(hash_stream_werr(&s), EFBIG);
	hash_pool_free(p);
	close(fd);
	assert_file_is_stream(path, 9, 0, 1048576 + 1000);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		pool_interleaved_streams_keep_order,
		pool_many_streams_in_sequence,
		pool_stream_dropped_midway,
		pool_memory_flat,
		pool_fd_prefix_then_rest,
		hash_file_ring_edges,
		pool_output_writes_each_stream,
		pool_output_write_error,
	};

	return run_suite("hash", tests, sizeof tests / sizeof tests[0]);
}
