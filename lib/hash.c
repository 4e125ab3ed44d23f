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

/* The pool: POOL_N buffers of POOL_SZ bytes (2 MiB in all, what keeps
 * manifest-gen under 16 MiB of RSS with -j 8). The producer fills a
 * stream's "open" buffer without the lock and publishes it when full; a
 * published buffer carries the chains it still needs (bits of CHAIN_),
 * and a worker runs chain c of a buffer when it is that chain's next in
 * its stream (the one before it has finished, not merely started). So the
 * chains of one stream run side by side, and with several streams any
 * free worker takes the oldest runnable piece of work: the cores stay
 * busy whatever mix of digests and streams there is. A buffer is free
 * again once its last chain has run. Many small buffers rather than a
 * few large ones: interleaved transfers each fill their own, and a lock
 * round trip per 64 KiB costs nothing. */
enum { POOL_N = 32, POOL_SZ = 64 * 1024, POOL_MAXW = 8 };
enum { CHAIN_B2, CHAIN_SHA512, CHAIN_WRITE, CHAINS };
enum { BUF_FREE, BUF_OPEN, BUF_READY };

/* What each digest chain feeds: SHA256 (rare: files a sha256sums
 * covers) rides with BLAKE2B. */
static const unsigned chain_mask[2] = { HASH_BLAKE2B | HASH_SHA256, HASH_SHA512 };

/* The disk writes of an output are started every this many bytes, without
 * waiting: the fdatasync before a rename then has little left to do. */
#define WRITEBACK_STEP (8 * 1048576)

struct pool_buf {
	char *data;
	size_t len;
	int state;
	struct hash_stream *s;
	uint64_t pos;			/* stream offset of data[0] */
	unsigned long seq[CHAINS];	/* its number in each chain of its stream */
	unsigned long order;		/* publish order: oldest first */
	unsigned todo;			/* chains still to start */
	unsigned left;			/* chains not finished */
	int fd;				/* the output, for CHAIN_WRITE */
};

struct hash_pool {
	pthread_mutex_t mu;
	pthread_cond_t more;		/* workers: work was published, or stop */
	pthread_cond_t room;		/* producer: buffers freed, or a stream drained */
	struct pool_buf buf[POOL_N];
	char *block;
	unsigned long order;		/* buffers published */
	int nfree;			/* buffers BUF_FREE */
	int nopen;			/* buffers BUF_OPEN (producer only) */
	int room_at;			/* the producer sleeps until this many are free */
	int idle;			/* workers asleep on more */
	int stop;
	int nworkers;
	pthread_t th[POOL_MAXW];
};

/* The oldest runnable (buffer, chain); NULL when none. Lock held. */
static struct pool_buf *
pool_pick(struct hash_pool *p, int *chain)
{
	struct pool_buf *best = NULL;
	int i, c;

	for (i = 0; i < POOL_N; i++) {
		struct pool_buf *b = &p->buf[i];

		if (b->state != BUF_READY || !b->todo || (best && b->order > best->order))
			continue;
		for (c = 0; c < CHAINS; c++)
			if ((b->todo & (1u << c)) && b->s->next[c] == b->seq[c]) {
				best = b;
				*chain = c;
				break;
			}
	}
	return best;
}

/* Writes b to its output; returns 0 or an errno. Runs unlocked, the
 * stream's write chain being this worker's alone. */
static int
pool_write(struct pool_buf *b)
{
	struct hash_stream *s = b->s;
	const char *d = b->data;
	size_t n = b->len;
	off_t at = (off_t)b->pos;
	uint64_t end = b->pos + b->len;

	while (n > 0) {
		ssize_t w = pwrite(b->fd, d, n, at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : ENOSPC;
		d += w;
		n -= (size_t)w;
		at += w;
	}
	if (end >= s->flushed + WRITEBACK_STEP) {
		(void)sync_file_range(b->fd, (off_t)s->flushed, (off_t)(end - s->flushed), SYNC_FILE_RANGE_WRITE);
		s->flushed = end;
	}
	return 0;
}

/* Returns b to the free list; lock held. */
static void
pool_release(struct hash_pool *p, struct pool_buf *b)
{
	struct hash_stream *s = b->s;

	b->state = BUF_FREE;
	b->s = NULL;
	p->nfree++;
	if (s) {
		s->pending--;
		if (s->waited && s->pending == 0)
			pthread_cond_broadcast(&p->room);
	}
	/* the producer is woken when what it waits for is there, not for
	 * each buffer */
	if (p->room_at > 0 && p->nfree >= p->room_at)
		pthread_cond_broadcast(&p->room);
}

static void *
pool_worker(void *arg)
{
	struct hash_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct hash_stream *s;
		struct pool_buf *b;
		int c, skip, other, err = 0;

		if (!(b = pool_pick(p, &c))) {
			if (p->stop)
				break;
			p->idle++;
			pthread_cond_wait(&p->more, &p->mu);
			p->idle--;
			continue;
		}
		s = b->s;
		b->todo &= ~(1u << c);
		/* more work than this: wake a sleeping worker for it (only
		 * then, not at each step: a futex round trip is not free) */
		if (p->idle && pool_pick(p, &other))
			pthread_cond_signal(&p->more);
		skip = c == CHAIN_WRITE ? s->werr != 0 : s->failed;
		pthread_mutex_unlock(&p->mu);
		if (!skip && c == CHAIN_WRITE)
			err = pool_write(b);
		else if (!skip && hash_update_some(&s->hs, chain_mask[c], b->data, b->len) < 0)
			err = -1;
		pthread_mutex_lock(&p->mu);
		if (err && c == CHAIN_WRITE)
			s->werr = err;
		else if (err)
			s->failed = 1;
		s->next[c]++;
		if (--b->left == 0)
			pool_release(p, b);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Publishes s's open buffer; lock held. */
static void
pool_publish(struct hash_pool *p, struct hash_stream *s)
{
	struct pool_buf *b;
	int c;

	if (s->open < 0)
		return;
	b = &p->buf[s->open];
	s->open = -1;
	p->nopen--;
	/* the producer's copy of how the stream stands, taken under the lock */
	s->bad = s->werr ? s->werr : s->failed ? -1 : 0;
	if (b->len == 0) {
		pool_release(p, b);
		return;
	}
	b->todo = 0;
	for (c = 0; c < 2; c++)
		if (s->hs.which & chain_mask[c])
			b->todo |= 1u << c;
	if (s->out >= 0) {
		b->todo |= 1u << CHAIN_WRITE;
		b->fd = s->out;
	}
	for (c = 0; c < CHAINS; c++)
		if (b->todo & (1u << c))
			b->seq[c] = s->pub[c]++;
	b->left = (unsigned)__builtin_popcount(b->todo);
	if (!b->left) {
		pool_release(p, b);
		return;
	}
	b->order = p->order++;
	b->state = BUF_READY;
	if (p->idle)
		pthread_cond_broadcast(&p->more);
}

void
hash_pool_flush(struct hash_pool *p)
{
	int i;

	if (!p->nopen)
		return;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < POOL_N; i++)
		if (p->buf[i].state == BUF_OPEN)
			pool_publish(p, p->buf[i].s);
	pthread_mutex_unlock(&p->mu);
}

int
hash_pool_new(struct hash_pool **pp, struct dk_err *e)
{
	struct hash_pool *p = calloc(1, sizeof *p);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int i, want, err;

	*pp = NULL;
	if (!p || !(p->block = malloc((size_t)POOL_N * POOL_SZ))) {
		free(p);
		return dk_syserrf(e, NULL, 0, "cannot start hashing");
	}
	for (i = 0; i < POOL_N; i++) {
		p->buf[i].data = p->block + (size_t)i * POOL_SZ;
		p->buf[i].state = BUF_FREE;
	}
	p->nfree = POOL_N;
	p->room_at = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	/* at least two: one stream's two digests then run side by side */
	want = cores < 2 ? 2 : cores > POOL_MAXW ? POOL_MAXW : (int)cores;
	for (i = 0; i < want; i++) {
		if ((err = pthread_create(&p->th[i], NULL, pool_worker, p)) != 0) {
			errno = err;
			dk_syserrf(e, NULL, 0, "cannot start hashing thread");
			hash_pool_free(p);
			return -1;
		}
		p->nworkers = i + 1;
	}
	*pp = p;
	return 0;
}

void
hash_pool_free(struct hash_pool *p)
{
	int i;

	if (!p)
		return;
	hash_pool_flush(p);
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->mu);
	free(p->block);
	free(p);
}

int
hash_stream_init(struct hash_stream *s, struct hash_pool *p, unsigned which, struct dk_err *e)
{
	memset(s, 0, sizeof *s);
	s->open = -1;
	s->out = -1;
	if (hash_init(&s->hs, which, e) < 0)
		return -1;
	s->pool = p;
	return 0;
}

void
hash_stream_output(struct hash_stream *s, int fd)
{
	struct hash_pool *p = s->pool;

	/* bytes already fed (a resumed prefix) are not written again */
	pthread_mutex_lock(&p->mu);
	pool_publish(p, s);
	s->flushed = s->hs.size;
	pthread_mutex_unlock(&p->mu);
	s->out = fd;
}

/* The open buffer of s with room in it, opening a new one (and waiting
 * for one to be free) when needed. */
static struct pool_buf *
pool_buf(struct hash_stream *s)
{
	struct hash_pool *p = s->pool;
	struct pool_buf *b;
	int i;

	if (s->open >= 0 && p->buf[s->open].len < POOL_SZ)
		return &p->buf[s->open];	/* the producer's own: no lock */
	pthread_mutex_lock(&p->mu);
	pool_publish(p, s);
	if (p->nfree == 0) {
		/* every buffer taken: hand over the other streams' open
		 * ones too (they could never be freed otherwise), then
		 * sleep until a quarter of the pool is free, so the
		 * producer and the workers take turns in batches */
		for (i = 0; i < POOL_N; i++)
			if (p->buf[i].state == BUF_OPEN)
				pool_publish(p, p->buf[i].s);
		p->room_at = POOL_N / 4;
		while (p->nfree < p->room_at)
			pthread_cond_wait(&p->room, &p->mu);
		p->room_at = -1;
	}
	for (i = 0; p->buf[i].state != BUF_FREE; i++)
		;
	b = &p->buf[i];
	b->state = BUF_OPEN;
	b->s = s;
	b->len = 0;
	b->pos = s->hs.size;
	p->nfree--;
	p->nopen++;
	s->pending++;
	s->open = i;
	pthread_mutex_unlock(&p->mu);
	return b;
}

void *
hash_stream_reserve(struct hash_stream *s, size_t *room)
{
	struct pool_buf *b = pool_buf(s);

	*room = POOL_SZ - b->len;
	return b->data + b->len;
}

int
hash_stream_commit(struct hash_stream *s, size_t n)
{
	struct hash_pool *p = s->pool;
	struct pool_buf *b;

	if (s->open < 0)
		return -1;	/* no reserve before: a misuse, refused */
	b = &p->buf[s->open];
	b->len += n;
	s->hs.size += n;
	if (b->len == POOL_SZ) {
		pthread_mutex_lock(&p->mu);
		pool_publish(p, s);
		pthread_mutex_unlock(&p->mu);
	}
	return s->bad ? -1 : 0;
}

int
hash_stream_write(struct hash_stream *s, const void *b, size_t n, struct dk_err *e)
{
	const char *c = b;

	if (s->bad)
		goto bad;
	while (n > 0) {
		size_t room, k;
		char *d = hash_stream_reserve(s, &room);

		k = n < room ? n : room;
		memcpy(d, c, k);
		c += k;
		n -= k;
		if (hash_stream_commit(s, k) < 0)
			goto bad;
	}
	return 0;
bad:
	if (s->bad > 0) {
		errno = s->bad;
		return dk_syserrf(e, NULL, 0, "write error");
	}
	return dk_errf(e, NULL, 0, "digest update failed");
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
		if (hash_stream_commit(s, (size_t)n) < 0)
			return dk_errf(e, name, 0, "digest update failed");
		done += (uint64_t)n;
	}
	return 0;
}

/* Waits until every buffer of s is free; returns -1 when a digest or a
 * write of s failed. */
static int
stream_wait(struct hash_stream *s)
{
	struct hash_pool *p = s->pool;
	int bad;

	pthread_mutex_lock(&p->mu);
	pool_publish(p, s);
	s->waited = 1;
	while (s->pending > 0)
		pthread_cond_wait(&p->room, &p->mu);
	s->waited = 0;
	bad = s->failed || s->werr ? -1 : 0;
	pthread_mutex_unlock(&p->mu);
	return bad;
}

int
hash_stream_final(struct hash_stream *s, struct hash_result *r, struct dk_err *e)
{
	if (s->pool && stream_wait(s) < 0) {
		int werr = s->werr;

		hash_stream_free(s);
		if (werr) {
			errno = werr;
			return dk_syserrf(e, NULL, 0, "write error");
		}
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
hash_stream_werr(struct hash_stream *s)
{
	/* live: what the last publish saw; drained: the workers' own word */
	if (s->pool)
		return s->bad > 0 ? s->bad : 0;
	return s->werr;
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
