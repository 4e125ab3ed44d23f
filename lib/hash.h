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

/* Feeds the first len bytes of the open file fd (from offset 0) into h,
 * e.g. a partial download before resuming it; name is for messages.
 * Returns 0 or -1 with e set (a file shorter than len is an error). */
int hash_fd_prefix(struct hash_set *h, int fd, uint64_t len, const char *name, struct dk_err *e);

/* Hashes the file path in one read, with BLAKE2B on this thread and
 * SHA512 (+ SHA256) on a second one, through a small fixed ring of
 * buffers (memory does not grow with the file). Returns 0 or -1. */
int hash_file(const char *path, unsigned which, struct hash_result *r, struct dk_err *e);

#endif
