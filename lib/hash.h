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

/* Hashes the file path in one read: a reader and two digest threads
 * (hash_pool), so memory does not grow with the file. Returns 0 or -1. */
int hash_file(const char *path, unsigned which, struct hash_result *r, struct dk_err *e);

/* Two digest threads, BLAKE2B (+ SHA256) on one and SHA512 on the other,
 * fed through one fixed ring of buffers shared by any number of streams:
 * memory stays flat whatever the number and size of the streams, and a
 * stream goes as fast as its slowest digest. One thread (the producer)
 * feeds every stream of a pool; the workers digest in ring order, so the
 * bytes of each stream are digested in the order they were fed. */
struct hash_pool;

/* One byte stream digested by a pool. */
struct hash_stream {
	struct hash_set hs;		/* hs.size: bytes fed so far */
	struct hash_pool *pool;
	unsigned long pending;		/* ring slots of it not yet digested (pool lock) */
	int failed;			/* a digest update failed (pool lock) */
};

/* Starts a pool's two threads; returns 0 or -1 with e set. */
int hash_pool_new(struct hash_pool **pp, struct dk_err *e);
/* Stops and frees the pool; every stream must be finished or freed. */
void hash_pool_free(struct hash_pool *p);
/* Hands the producer's partly filled buffer to the workers, e.g. before
 * the producer sleeps, so digesting overlaps the wait. */
void hash_pool_flush(struct hash_pool *p);

/* Starts a stream of the digests in which on p; returns 0 or -1 with e set. */
int hash_stream_init(struct hash_stream *s, struct hash_pool *p, unsigned which, struct dk_err *e);
/* Copies n bytes into the ring (waiting for a free buffer when it is
 * full); returns 0, or -1 with e set when a digest of s failed. */
int hash_stream_write(struct hash_stream *s, const void *b, size_t n, struct dk_err *e);
/* A place in the ring to read the stream's next bytes into, room bytes
 * long (> 0); hash_stream_commit(s, n) then feeds the first n of them. */
void *hash_stream_reserve(struct hash_stream *s, size_t *room);
/* Feeds the n bytes just read into hash_stream_reserve's place. */
void hash_stream_commit(struct hash_stream *s, size_t n);
/* Feeds the first len bytes of fd (from offset 0), or all of it when len
 * is HASH_TO_EOF; name is for messages. A file shorter than len, a read
 * error or a failed digest: -1 with e set. */
#define HASH_TO_EOF UINT64_MAX
int hash_stream_fd(struct hash_stream *s, int fd, uint64_t len, const char *name, struct dk_err *e);
/* Waits for the workers and finishes s into r; returns 0 or -1 with e set.
 * s is freed either way. */
int hash_stream_final(struct hash_stream *s, struct hash_result *r, struct dk_err *e);
/* Waits for the workers and frees an unfinished s; safe on a zeroed,
 * finished or freed one. */
void hash_stream_free(struct hash_stream *s);

#endif
