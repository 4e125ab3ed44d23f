/* dk: the Manifest digests (BLAKE2B, SHA512) and SHA256 for kernel.org's
 * sha256sums, through OpenSSL EVP, fed as bytes arrive. GPL-2.0-only. */
#ifndef DK_HASH_H
#define DK_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum {
	HASH_BLAKE2B = 1,
	HASH_SHA512 = 2,
	HASH_SHA256 = 4,
	HASH_MANIFEST = HASH_BLAKE2B | HASH_SHA512,
};

/* Digests in lower-case hex, "" when not asked for. */
struct hash_result {
	uint64_t size;
	char blake2b[129];
	char sha512[129];
	char sha256[65];
};

/* Running digests of one byte stream. A zeroed struct is "not started". */
struct hash_set {
	void *ctx[3];		/* EVP_MD_CTX *, indexed like the HASH_ bits */
	unsigned which;
	uint64_t size;
};

/* Starts the digests in which (HASH_ bits); returns 0 or -1 with e set. */
int hash_init(struct hash_set *h, unsigned which, struct dk_err *e);
/* Feeds n bytes; returns 0 or -1 with e set. */
int hash_update(struct hash_set *h, const void *p, size_t n, struct dk_err *e);
/* Finishes into r (and frees the contexts); returns 0 or -1 with e set. */
int hash_final(struct hash_set *h, struct hash_result *r, struct dk_err *e);
/* Frees an unfinished set; safe on a zeroed or finished one. */
void hash_free(struct hash_set *h);

/* Hashes the file path in one read: a reader and the digest workers of
 * a hash_pool, so memory does not grow with the file. Returns 0 or -1. */
int hash_file(const char *path, unsigned which, struct hash_result *r, struct dk_err *e);

/* A pool of worker threads (one per core, 2 to 8) fed through one fixed
 * set of buffers shared by any number of streams: memory stays flat
 * whatever the number and size of the streams. Each buffer of a stream
 * goes through up to three chains, each run in the stream's order by
 * whichever worker is free: BLAKE2B (+ SHA256), SHA512, and the write to
 * the stream's output file. A stream alone goes as fast as its slowest
 * digest; several streams share the cores, oldest buffer first. One
 * thread (the producer) feeds every stream of a pool. */
struct hash_pool;

/* One byte stream digested (and written) by a pool. The fields after hs
 * belong to hash.c. */
struct hash_stream {
	struct hash_set hs;		/* hs.size: bytes fed so far */
	struct hash_pool *pool;
	int open;			/* its buffer being filled, -1 none (producer) */
	int bad;			/* at the last publish: 0, -1 a digest, errno a write (producer) */
	int out;			/* output fd, -1 none (producer) */
	unsigned long pub[3];		/* buffers published per chain (pool lock) */
	unsigned long next[3];		/* next buffer each chain runs (pool lock) */
	unsigned long pending;		/* buffers of it not yet free (pool lock) */
	int waited;			/* the producer waits for pending 0 (pool lock) */
	int failed;			/* a digest update failed (pool lock) */
	int werr;			/* errno of the first failed write (pool lock) */
	uint64_t flushed;		/* output bytes handed to writeback (write chain) */
};

/* Starts a pool's worker threads; returns 0 or -1 with e set. */
int hash_pool_new(struct hash_pool **pp, struct dk_err *e);
/* Stops and frees the pool; every stream must be finished or freed. */
void hash_pool_free(struct hash_pool *p);
/* Hands every partly filled buffer to the workers, e.g. before the
 * producer sleeps, so digesting overlaps the wait. */
void hash_pool_flush(struct hash_pool *p);

/* Starts a stream of the digests in which on p; returns 0 or -1 with e set. */
int hash_stream_init(struct hash_stream *s, struct hash_pool *p, unsigned which, struct dk_err *e);
/* From now on the workers also write the stream's bytes to fd at their
 * stream offsets, in order, starting the disk writeback every 8 MiB; a
 * failed write stops the writes (the file stays a prefix of the stream). */
void hash_stream_output(struct hash_stream *s, int fd);
/* Copies n bytes into the pool's buffers (waiting for a free one when
 * all are taken); returns 0, or -1 with e set when a digest or a write
 * of s failed earlier. */
int hash_stream_write(struct hash_stream *s, const void *b, size_t n, struct dk_err *e);
/* A place to read the stream's next bytes into, room bytes long (> 0);
 * hash_stream_commit(s, n) then feeds the first n of them. Nothing else
 * of the pool may be called between the two. */
void *hash_stream_reserve(struct hash_stream *s, size_t *room);
/* Feeds the n bytes just read into hash_stream_reserve's place; returns
 * 0, or -1 when a digest or a write of s is known to have failed. */
int hash_stream_commit(struct hash_stream *s, size_t n);
/* Feeds the first len bytes of fd (from offset 0), or all of it when len
 * is HASH_TO_EOF; name is for messages. A file shorter than len, a read
 * error or a failed digest: -1 with e set. */
#define HASH_TO_EOF UINT64_MAX
int hash_stream_fd(struct hash_stream *s, int fd, uint64_t len, const char *name, struct dk_err *e);
/* Waits for the workers and finishes s into r; returns 0 or -1 with e set
 * (a failed digest, or a failed write: hash_stream_werr then says which).
 * s is freed either way. */
int hash_stream_final(struct hash_stream *s, struct hash_result *r, struct dk_err *e);
/* Waits for the workers and frees an unfinished s; safe on a zeroed,
 * finished or freed one. Bytes fed are still written to the output. */
void hash_stream_free(struct hash_stream *s);
/* The errno of the stream's first failed write, 0 if none: as known at
 * its last buffer handed over while it runs, exact once
 * hash_stream_final or hash_stream_free returned. */
int hash_stream_werr(struct hash_stream *s);

#endif
