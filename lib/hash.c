/* dk: BLAKE2B, SHA512 and SHA256 through OpenSSL EVP. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* The ring: POOL_N buffers of POOL_SZ bytes (2 MiB in all, what keeps
 * manifest-gen under 16 MiB of RSS with -j 8). The producer fills buffer
 * `filled % POOL_N` (it is "open" while partly filled) and publishes it;
 * worker w digests published buffers in order, done[w] counting them; a
 * buffer is free again once both workers are past it. Many small
 * buffers rather than a few large ones: interleaved transfers each take
 * a buffer per write, and a lock round trip per 64 KiB costs nothing. */
enum { POOL_N = 32, POOL_SZ = 64 * 1024 };

struct pool_arg {
	struct hash_pool *p;
	int w;
};

struct pool_slot {
	char *data;
	size_t len;
	struct hash_stream *s;
};

struct hash_pool {
	pthread_mutex_t mu;
	pthread_cond_t more;		/* workers: a buffer was published, or stop */
	pthread_cond_t room;		/* producer: a buffer was digested by both */
	struct pool_slot slot[POOL_N];
	char *block;
	unsigned long filled;		/* buffers published (written by the producer only) */
	unsigned long done[2];		/* buffers digested by each worker */
	int open;			/* slot[filled % POOL_N] is being filled (producer only) */
	unsigned long room_at;		/* the producer sleeps until both workers are this far */
	struct hash_stream *waiting;	/* ... or until this stream's buffers are digested */
	int stop;
	int started;			/* worker threads running */
	pthread_t th[2];
	struct pool_arg arg[2];		/* what each worker is started with */
};

/* The workers' digests: SHA512, the slowest, alone; SHA256 (rare: files a
 * sha256sums covers) beside BLAKE2B. */
static const unsigned pool_mask[2] = { HASH_BLAKE2B | HASH_SHA256, HASH_SHA512 };

static unsigned long
pool_min_done(const struct hash_pool *p)
{
	return p->done[0] < p->done[1] ? p->done[0] : p->done[1];
}

static void *
pool_worker(void *arg)
{
	struct hash_pool *p = ((struct pool_arg *)arg)->p;
	int w = ((struct pool_arg *)arg)->w;
	unsigned long j = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct pool_slot *sl;
		int skip, bad = 0;

		while (p->filled <= j && !p->stop)
			pthread_cond_wait(&p->more, &p->mu);
		if (p->filled <= j)
			break;
		sl = &p->slot[j % POOL_N];
		skip = sl->s->failed;
		pthread_mutex_unlock(&p->mu);
		if (!skip && hash_update_some(&sl->s->hs, pool_mask[w], sl->data, sl->len) < 0)
			bad = 1;
		pthread_mutex_lock(&p->mu);
		if (bad)
			sl->s->failed = 1;
		p->done[w] = ++j;
		if (p->done[!w] >= j) {
			/* the second of the two to finish it frees it; the
			 * producer is woken only when what it waits for is
			 * there, not for each buffer */
			sl->s->pending--;
			if (pool_min_done(p) >= p->room_at || (sl->s == p->waiting && sl->s->pending == 0))
				pthread_cond_broadcast(&p->room);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Publishes the open buffer; called with the lock held. */
static void
pool_publish(struct hash_pool *p)
{
	if (!p->open)
		return;
	p->open = 0;
	p->filled++;
	pthread_cond_broadcast(&p->more);
}

void
hash_pool_flush(struct hash_pool *p)
{
	if (!p->open)
		return;
	pthread_mutex_lock(&p->mu);
	pool_publish(p);
	pthread_mutex_unlock(&p->mu);
}

int
hash_pool_new(struct hash_pool **pp, struct dk_err *e)
{
	struct hash_pool *p = calloc(1, sizeof *p);
	int w, err;

	*pp = NULL;
	if (!p || !(p->block = malloc((size_t)POOL_N * POOL_SZ))) {
		free(p);
		return dk_syserrf(e, NULL, 0, "cannot start hashing");
	}
	for (w = 0; w < POOL_N; w++)
		p->slot[w].data = p->block + (size_t)w * POOL_SZ;
	p->room_at = ULONG_MAX;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	for (w = 0; w < 2; w++) {
		p->arg[w].p = p;
		p->arg[w].w = w;
		if ((err = pthread_create(&p->th[w], NULL, pool_worker, &p->arg[w])) != 0) {
			errno = err;
			dk_syserrf(e, NULL, 0, "cannot start hashing thread");
			hash_pool_free(p);
			return -1;
		}
		p->started = w + 1;
	}
	*pp = p;
	return 0;
}

void
hash_pool_free(struct hash_pool *p)
{
	int w;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	pool_publish(p);
	p->stop = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (w = 0; w < p->started; w++)
		pthread_join(p->th[w], NULL);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->mu);
	free(p->block);
	free(p);
}

int
hash_stream_init(struct hash_stream *s, struct hash_pool *p, unsigned which, struct dk_err *e)
{
	if (hash_init(&s->hs, which, e) < 0) {
		s->pool = NULL;
		return -1;
	}
	s->pool = p;
	s->pending = 0;
	s->failed = 0;
	return 0;
}

/* The open buffer of s with room in it, opening a new one (and waiting
 * for one to be free) when needed. */
static struct pool_slot *
pool_slot(struct hash_stream *s)
{
	struct hash_pool *p = s->pool;
	struct pool_slot *sl = &p->slot[p->filled % POOL_N];

	if (p->open && sl->s == s && sl->len < POOL_SZ)
		return sl;	/* the producer's own: no lock */
	pthread_mutex_lock(&p->mu);
	pool_publish(p);
	if (pool_min_done(p) + POOL_N <= p->filled) {
		/* full: sleep until a quarter of the ring is free, so the
		 * producer and the workers take turns in batches */
		p->room_at = p->filled - POOL_N + POOL_N / 4;
		while (pool_min_done(p) < p->room_at)
			pthread_cond_wait(&p->room, &p->mu);
		p->room_at = ULONG_MAX;
	}
	sl = &p->slot[p->filled % POOL_N];
	sl->s = s;
	sl->len = 0;
	s->pending++;
	p->open = 1;
	pthread_mutex_unlock(&p->mu);
	return sl;
}

void *
hash_stream_reserve(struct hash_stream *s, size_t *room)
{
	struct pool_slot *sl = pool_slot(s);

	*room = POOL_SZ - sl->len;
	return sl->data + sl->len;
}

void
hash_stream_commit(struct hash_stream *s, size_t n)
{
	struct hash_pool *p = s->pool;
	struct pool_slot *sl = &p->slot[p->filled % POOL_N];

	sl->len += n;
	s->hs.size += n;
	if (sl->len == POOL_SZ)
		hash_pool_flush(p);
}

static int
stream_failed(struct hash_stream *s)
{
	int f;

	pthread_mutex_lock(&s->pool->mu);
	f = s->failed;
	pthread_mutex_unlock(&s->pool->mu);
	return f;
}

int
hash_stream_write(struct hash_stream *s, const void *b, size_t n, struct dk_err *e)
{
	const char *c = b;

	while (n > 0) {
		size_t room, k;
		char *d = hash_stream_reserve(s, &room);

		k = n < room ? n : room;
		memcpy(d, c, k);
		hash_stream_commit(s, k);
		c += k;
		n -= k;
		/* a buffer published: a good moment to learn of a failure */
		if (!s->pool->open && stream_failed(s))
			return dk_errf(e, NULL, 0, "digest update failed");
	}
	return 0;
}

int
hash_stream_fd(struct hash_stream *s, int fd, uint64_t len, const char *name, struct dk_err *e)
{
	uint64_t done = 0;

	while (done < len) {
		size_t room;
		char *d = hash_stream_reserve(s, &room);
		ssize_t n;

		if (len - done < room)
			room = (size_t)(len - done);
		n = pread(fd, d, room, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && len == HASH_TO_EOF)
			break;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return dk_syserrf(e, name, 0, "read error");
		}
		hash_stream_commit(s, (size_t)n);
		done += (uint64_t)n;
	}
	return 0;
}

/* Waits until the workers are past every buffer of s; returns s->failed. */
static int
stream_wait(struct hash_stream *s)
{
	struct hash_pool *p = s->pool;
	int failed;

	pthread_mutex_lock(&p->mu);
	if (p->open && p->slot[p->filled % POOL_N].s == s)
		pool_publish(p);
	p->waiting = s;
	while (s->pending > 0)
		pthread_cond_wait(&p->room, &p->mu);
	p->waiting = NULL;
	failed = s->failed;
	pthread_mutex_unlock(&p->mu);
	return failed;
}

int
hash_stream_final(struct hash_stream *s, struct hash_result *r, struct dk_err *e)
{
	if (s->pool && stream_wait(s)) {
		hash_stream_free(s);
		return dk_errf(e, NULL, 0, "digest update failed");
	}
	s->pool = NULL;
	return hash_final(&s->hs, r, e);
}

void
hash_stream_free(struct hash_stream *s)
{
	if (s->pool)
		stream_wait(s);
	s->pool = NULL;
	hash_free(&s->hs);
}

int
hash_file(const char *path, unsigned which, struct hash_result *res, struct dk_err *e)
{
	struct hash_pool *p;
	struct hash_stream s;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dk_syserrf(e, path, 0, "cannot open");
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (hash_pool_new(&p, e) < 0) {
		close(fd);
		return -1;
	}
	rc = hash_stream_init(&s, p, which, e);
	if (rc == 0 && (rc = hash_stream_fd(&s, fd, HASH_TO_EOF, path, e)) == 0)
		rc = hash_stream_final(&s, res, e);
	hash_stream_free(&s);
	hash_pool_free(p);
	close(fd);
	return rc;
}
