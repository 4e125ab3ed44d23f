/* dk: BLAKE2B, SHA512 and SHA256 through OpenSSL EVP. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hash.h"

static const EVP_MD *
hash_md(int i)
{
	switch (i) {
	case 0: return EVP_blake2b512();
	case 1: return EVP_sha512();
	default: return EVP_sha256();
	}
}

int
hash_init(struct hash_set *h, unsigned which, struct dk_err *e)
{
	int i;

	memset(h, 0, sizeof *h);
	h->which = which;
	for (i = 0; i < 3; i++) {
		if (!(which & (1u << i)))
			continue;
		h->ctx[i] = EVP_MD_CTX_new();
		if (!h->ctx[i] || !EVP_DigestInit_ex(h->ctx[i], hash_md(i), NULL)) {
			hash_free(h);
			return dk_errf(e, NULL, 0, "cannot start %s digest", EVP_MD_get0_name(hash_md(i)));
		}
	}
	return 0;
}

/* Feeds only the digests in mask: hash_file splits them over threads. */
static int
hash_update_some(struct hash_set *h, unsigned mask, const void *p, size_t n)
{
	int i;

	for (i = 0; i < 3; i++)
		if ((mask & (1u << i)) && h->ctx[i] && !EVP_DigestUpdate(h->ctx[i], p, n))
			return -1;
	return 0;
}

int
hash_update(struct hash_set *h, const void *p, size_t n, struct dk_err *e)
{
	if (hash_update_some(h, 7, p, n) < 0)
		return dk_errf(e, NULL, 0, "digest update failed");
	h->size += n;
	return 0;
}

static void
hex(char *out, const unsigned char *d, unsigned n)
{
	static const char x[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hash_final(struct hash_set *h, struct hash_result *r, struct dk_err *e)
{
	char *outs[3] = { r->blake2b, r->sha512, r->sha256 };
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n;
	int i;

	memset(r, 0, sizeof *r);
	r->size = h->size;
	for (i = 0; i < 3; i++) {
		if (!h->ctx[i])
			continue;
		if (!EVP_DigestFinal_ex(h->ctx[i], d, &n)) {
			hash_free(h);
			return dk_errf(e, NULL, 0, "digest failed");
		}
		hex(outs[i], d, n);
	}
	hash_free(h);
	return 0;
}

void
hash_free(struct hash_set *h)
{
	int i;

	for (i = 0; i < 3; i++) {
		EVP_MD_CTX_free(h->ctx[i]);
		h->ctx[i] = NULL;
	}
}

int
hash_fd_prefix(struct hash_set *h, int fd, uint64_t len, const char *name, struct dk_err *e)
{
	static const size_t chunk = 256 * 1024;
	char *b = malloc(chunk);
	uint64_t done = 0;
	ssize_t n;

	if (!b)
		return dk_syserrf(e, name, 0, "cannot hash");
	while (done < len) {
		size_t want = len - done < chunk ? (size_t)(len - done) : chunk;

		n = pread(fd, b, want, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			free(b);
			return dk_syserrf(e, name, 0, "read error");
		}
		if (hash_update(h, b, (size_t)n, e) < 0) {
			free(b);
			return -1;
		}
		done += (uint64_t)n;
	}
	free(b);
	return 0;
}

/* hash_file's ring: the reader fills slot i % RING_N while the second
 * thread digests older slots; a slot is reused only once both are done. */
enum { RING_N = 8, RING_SZ = 256 * 1024 };

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *slot[RING_N];
	size_t len[RING_N];
	unsigned long filled;	/* slots published by the reader */
	unsigned long taken;	/* slots the second thread has digested */
	int eof;		/* no more slots will come */
	int failed;		/* a digest update failed on the second thread */
	struct hash_set *h;
	unsigned mask;		/* the second thread's digests */
};

static void *
ring_worker(void *arg)
{
	struct ring *r = arg;
	unsigned long j;

	for (j = 0;; j++) {
		pthread_mutex_lock(&r->mu);
		while (r->filled <= j && !r->eof)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->filled <= j) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		pthread_mutex_unlock(&r->mu);
		if (hash_update_some(r->h, r->mask, r->slot[j % RING_N], r->len[j % RING_N]) < 0) {
			pthread_mutex_lock(&r->mu);
			r->failed = 1;
			r->taken = (unsigned long)-1 / 2;	/* unblock the reader */
			pthread_cond_broadcast(&r->cv);
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		pthread_mutex_lock(&r->mu);
		r->taken = j + 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

int
hash_file(const char *path, unsigned which, struct hash_result *res, struct dk_err *e)
{
	struct hash_set h;
	struct ring r;
	pthread_t th;
	unsigned long i;
	int fd, rc = -1, err = 0, k;
	char *block;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dk_syserrf(e, path, 0, "cannot open");
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	block = malloc((size_t)RING_N * RING_SZ);
	if (!block) {
		close(fd);
		return dk_syserrf(e, path, 0, "cannot hash");
	}
	if (hash_init(&h, which, e) < 0) {
		free(block);
		close(fd);
		return -1;
	}
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (k = 0; k < RING_N; k++)
		r.slot[k] = block + (size_t)k * RING_SZ;
	r.h = &h;
	r.mask = which & ~(unsigned)HASH_BLAKE2B;
	if ((err = pthread_create(&th, NULL, ring_worker, &r)) != 0) {
		errno = err;
		dk_syserrf(e, path, 0, "cannot start hashing thread");
		goto out_nothread;
	}
	for (i = 0;; i++) {
		char *s = r.slot[i % RING_N];
		size_t got = 0;
		ssize_t n;

		int failed;

		pthread_mutex_lock(&r.mu);
		while (r.taken + RING_N <= i)
			pthread_cond_wait(&r.cv, &r.mu);
		failed = r.failed;
		pthread_mutex_unlock(&r.mu);
		if (failed)
			break;
		while (got < RING_SZ) {
			n = read(fd, s + got, RING_SZ - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				err = errno;
				break;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (err)
			break;
		if (got == 0) {
			rc = 0;
			break;
		}
		r.len[i % RING_N] = got;
		pthread_mutex_lock(&r.mu);
		r.filled = i + 1;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		if (hash_update_some(&h, HASH_BLAKE2B, s, got) < 0) {
			pthread_mutex_lock(&r.mu);
			r.failed = 1;
			pthread_mutex_unlock(&r.mu);
			break;
		}
		h.size += got;
	}
	pthread_mutex_lock(&r.mu);
	r.eof = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	pthread_join(th, NULL);
	if (err) {
		errno = err;
		dk_syserrf(e, path, 0, "read error");
		rc = -1;
	} else if (r.failed) {
		dk_errf(e, path, 0, "digest update failed");
		rc = -1;
	}
out_nothread:
	if (rc == 0)
		rc = hash_final(&h, res, e);
	else
		hash_free(&h);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	free(block);
	close(fd);
	return rc;
}
