/* dk: streamed tar reading, writing and safe extraction. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "tar.h"

/* s quoted for a message (dk_quote); one per message, per thread. */
static const char *
qs(const char *s)
{
	static _Thread_local char b[DK_QUOTE_MAX];

	return dk_quote(b, sizeof b, s, strlen(s));
}

#define BLOCK 512
/* GNU long names and pax headers are read whole: more than this is not a
 * path but an attack or a corrupt archive. */
#define EXT_MAX (1 << 20)

enum state { ST_HEADER, ST_DATA, ST_EXT, ST_PAD, ST_END, ST_FAILED };

struct tar_reader {
	struct tar_ops ops;
	void *ctx;
	char *name;
	enum state state;
	unsigned char hdr[BLOCK];
	size_t hlen;
	uint64_t left, pad, offset;
	/* the extended header being read, and what earlier ones said */
	int ext_type;
	struct buf ext;
	char *long_name, *long_link, *pax_path, *pax_link;
	int have_pax_size, have_pax_mtime;
	uint64_t pax_size;
	int64_t pax_mtime;
	uint64_t first_header;
	int in_chain;
	/* the current member */
	struct tar_member m;
	char *mname, *mlink;
	int owns_extract;	/* ctx is a struct extract to release */
};

struct extract;
static void extract_free(struct extract *x);

struct tar_reader *
tar_reader_new(const struct tar_ops *ops, void *ctx, const char *name)
{
	struct tar_reader *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	if (ops)
		r->ops = *ops;
	r->ctx = ctx;
	if (!(r->name = strdup(name ? name : "<tar>"))) {
		free(r);
		return NULL;
	}
	return r;
}

static void
clear_ext(struct tar_reader *r)
{
	free(r->long_name);
	free(r->long_link);
	free(r->pax_path);
	free(r->pax_link);
	r->long_name = r->long_link = r->pax_path = r->pax_link = NULL;
	r->have_pax_size = r->have_pax_mtime = 0;
	r->in_chain = 0;
}

void
tar_reader_free(struct tar_reader *r)
{
	if (!r)
		return;
	if (r->owns_extract)
		extract_free(r->ctx);
	clear_ext(r);
	buf_free(&r->ext);
	free(r->mname);
	free(r->mlink);
	free(r->name);
	free(r);
}

uint64_t
tar_offset(const struct tar_reader *r)
{
	return r->offset;
}

static int
fail(struct tar_reader *r, struct dk_err *e, const char *fmt, const char *arg)
{
	char msg[600];

	r->state = ST_FAILED;
	snprintf(msg, sizeof msg, fmt, arg);
	return dk_errf(e, r->name, 0, "%s", msg);
}

/* Reads a numeric header field: octal (space/NUL padded) or the GNU
 * base-256 form for values that do not fit. Returns 0 or -1. */
static int
parse_num(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] & 0x40)
			return -1;	/* negative */
		v = f[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static char *
field_str(const unsigned char *f, size_t n)
{
	size_t len = strnlen((const char *)f, n);
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, f, len);
		s[len] = '\0';
	}
	return s;
}

static int
checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long u = 0;
	long s = 0;
	size_t i;

	if (parse_num(h + 148, 8, &want) < 0)
		return 0;
	for (i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		u += c;
		s += (signed char)c;
	}
	/* some old tars summed signed chars */
	return want == u || (long)want == s;
}

static int
all_zero(const unsigned char *h)
{
	size_t i;

	for (i = 0; i < BLOCK; i++)
		if (h[i])
			return 0;
	return 1;
}

/* Applies the records "LEN key=value\n" of a pax header. */
static int
apply_pax(struct tar_reader *r, struct dk_err *e)
{
	const char *p = r->ext.s, *end = r->ext.s + r->ext.len;

	while (p < end) {
		const char *rec = p, *kv, *eq, *rend;
		unsigned long long len = 0;
		char **dst = NULL;
		size_t klen;

		while (p < end && *p >= '0' && *p <= '9' && len < EXT_MAX)
			len = len * 10 + (unsigned long long)(*p++ - '0');
		if (p >= end || *p != ' ' || len == 0 || len > (unsigned long long)(end - rec))
			return fail(r, e, "bad pax header record%s", "");
		kv = p + 1;
		rend = rec + len;
		if (rend[-1] != '\n' || !(eq = memchr(kv, '=', (size_t)(rend - kv))))
			return fail(r, e, "bad pax header record%s", "");
		klen = (size_t)(eq - kv);
		if (klen == 4 && !memcmp(kv, "path", 4))
			dst = &r->pax_path;
		else if (klen == 8 && !memcmp(kv, "linkpath", 8))
			dst = &r->pax_link;
		if (dst) {
			free(*dst);
			if (!(*dst = strndup(eq + 1, (size_t)(rend - 1 - (eq + 1)))))
				return fail(r, e, "out of memory%s", "");
		} else if ((klen == 4 && !memcmp(kv, "size", 4)) || (klen == 5 && !memcmp(kv, "mtime", 5))) {
			const char *q = eq + 1;
			uint64_t v = 0;

			if (q >= rend - 1 || *q < '0' || *q > '9')
				return fail(r, e, "bad pax %s value", klen == 4 ? "size" : "mtime");
			for (; q < rend - 1 && *q >= '0' && *q <= '9'; q++) {
				if (v > (UINT64_MAX - 9) / 10)
					return fail(r, e, "bad pax %s value", "numeric");
				v = v * 10 + (uint64_t)(*q - '0');
			}
			if (klen == 4) {
				if (q != rend - 1)
					return fail(r, e, "bad pax %s value", "size");
				r->pax_size = v;
				r->have_pax_size = 1;
			} else {
				r->pax_mtime = (int64_t)v;
				r->have_pax_mtime = 1;
			}
		}
		p = rend;
	}
	return 0;
}

static uint64_t
padding(uint64_t size)
{
	return (BLOCK - size % BLOCK) % BLOCK;
}

/* The end of a member's data (or of a member without data). */
static int
member_end(struct tar_reader *r, struct dk_err *e)
{
	if (r->ops.end && r->ops.end(r->ctx, &r->m, e) < 0) {
		r->state = ST_FAILED;
		return -1;
	}
	r->pad = padding(r->m.size);
	r->state = r->pad ? ST_PAD : ST_HEADER;
	return 0;
}

static int
header(struct tar_reader *r, struct dk_err *e)
{
	const unsigned char *h = r->hdr;
	uint64_t size, v;
	int type = h[156];
	char *name = NULL;

	if (all_zero(h)) {
		if (r->in_chain)
			return fail(r, e, "end of archive after an extended header%s", "");
		r->state = ST_END;
		return 0;
	}
	if (!checksum_ok(h)) {
		char off[32];

		snprintf(off, sizeof off, "%" PRIu64, r->offset - BLOCK);
		return fail(r, e, "bad header checksum at offset %s", off);
	}
	if (parse_num(h + 124, 12, &size) < 0)
		return fail(r, e, "bad size field%s", "");
	if (!r->in_chain) {
		r->first_header = r->offset - BLOCK;
		r->in_chain = 1;
	}
	if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
		if (size > EXT_MAX)
			return fail(r, e, "extended header too large%s", "");
		r->ext_type = type;
		buf_reset(&r->ext);
		r->left = size;
		r->pad = padding(size);
		r->state = ST_EXT;	/* an empty one completes in tar_feed */
		return 0;
	}

	free(r->mname);
	free(r->mlink);
	r->mname = r->mlink = NULL;
	if (r->pax_path) {
		name = r->pax_path;
		r->pax_path = NULL;
	} else if (r->long_name) {
		name = r->long_name;
		r->long_name = NULL;
	} else if (!memcmp(h + 257, "ustar\0", 6) && h[345]) {
		/* POSIX ustar: prefix "/" name (GNU keeps other data there) */
		char *pre = field_str(h + 345, 155), *base = field_str(h, 100);

		if (pre && base && (name = malloc(strlen(pre) + strlen(base) + 2)))
			sprintf(name, "%s/%s", pre, base);
		free(pre);
		free(base);
	} else {
		name = field_str(h, 100);
	}
	if (!name)
		return fail(r, e, "out of memory%s", "");
	r->mname = name;
	if (r->pax_link) {
		r->mlink = r->pax_link;
		r->pax_link = NULL;
	} else if (r->long_link) {
		r->mlink = r->long_link;
		r->long_link = NULL;
	} else {
		r->mlink = field_str(h + 157, 100);
	}
	if (!r->mlink)
		return fail(r, e, "out of memory%s", "");

	memset(&r->m, 0, sizeof r->m);
	r->m.name = r->mname;
	r->m.linkname = r->mlink;
	r->m.type = (type == '\0' || type == '7') ? TAR_REG : type;
	if (parse_num(h + 100, 8, &v) < 0)
		return fail(r, e, "member %s: bad mode field", name);
	r->m.mode = (mode_t)(v & 07777);
	if (parse_num(h + 108, 8, &v) < 0)
		return fail(r, e, "member %s: bad uid field", name);
	r->m.uid = (uid_t)v;
	if (parse_num(h + 116, 8, &v) < 0)
		return fail(r, e, "member %s: bad gid field", name);
	r->m.gid = (gid_t)v;
	if (parse_num(h + 136, 12, &v) < 0)
		return fail(r, e, "member %s: bad mtime field", name);
	r->m.mtime = r->have_pax_mtime ? r->pax_mtime : (int64_t)v;
	r->m.size = r->have_pax_size ? r->pax_size : size;
	r->m.offset = r->first_header;
	clear_ext(r);

	if (r->ops.member && r->ops.member(r->ctx, &r->m, e) < 0) {
		r->state = ST_FAILED;
		return -1;
	}
	if (r->m.size == 0)
		return member_end(r, e);
	r->left = r->m.size;
	r->state = ST_DATA;
	return 0;
}

static int
ext_done(struct tar_reader *r, struct dk_err *e)
{
	char **dst;

	switch (r->ext_type) {
	case 'x':
		if (apply_pax(r, e) < 0)
			return -1;
		break;
	case 'L':
	case 'K':
		dst = r->ext_type == 'L' ? &r->long_name : &r->long_link;
		free(*dst);
		if (!(*dst = strndup(buf_str(&r->ext), r->ext.len)))
			return fail(r, e, "out of memory%s", "");
		break;
	default:
		break;	/* 'g': global pax settings we have no use for */
	}
	r->state = r->pad ? ST_PAD : ST_HEADER;
	return 0;
}

int
tar_feed(struct tar_reader *r, const void *data, size_t n, struct dk_err *e)
{
	const unsigned char *p = data;
	size_t k;

	if (r->state == ST_FAILED)
		return dk_errf(e, r->name, 0, "reading after an error");
	for (;;) {
		if (r->state == ST_EXT && r->left == 0) {
			if (ext_done(r, e) < 0)
				return -1;
			continue;
		}
		if (n == 0 || r->state == ST_END)
			break;
		switch (r->state) {
		case ST_HEADER:
			k = BLOCK - r->hlen < n ? BLOCK - r->hlen : n;
			memcpy(r->hdr + r->hlen, p, k);
			r->hlen += k;
			r->offset += k;
			if (r->hlen == BLOCK) {
				r->hlen = 0;
				if (header(r, e) < 0)
					return -1;
			}
			break;
		case ST_DATA:
			k = r->left < n ? (size_t)r->left : n;
			r->offset += k;
			r->left -= k;
			if (r->ops.data && r->ops.data(r->ctx, &r->m, p, k, e) < 0) {
				r->state = ST_FAILED;
				return -1;
			}
			if (r->left == 0 && member_end(r, e) < 0)
				return -1;
			break;
		case ST_EXT:
			k = r->left < n ? (size_t)r->left : n;
			if (buf_add(&r->ext, p, k) < 0)
				return fail(r, e, "out of memory%s", "");
			r->offset += k;
			r->left -= k;
			break;
		case ST_PAD:
			k = r->pad < n ? (size_t)r->pad : n;
			r->offset += k;
			r->pad -= k;
			if (r->pad == 0)
				r->state = ST_HEADER;
			break;
		default:
			return dk_errf(e, r->name, 0, "reading after an error");
		}
		p += k;
		n -= k;
	}
	if (r->state == ST_END)
		r->offset += n;
	return 0;
}

int
tar_finish(struct tar_reader *r, struct dk_err *e)
{
	switch (r->state) {
	case ST_END:
		return 0;
	case ST_FAILED:
		return dk_errf(e, r->name, 0, "reading after an error");
	case ST_DATA:
		return fail(r, e, "truncated in member %s", r->m.name);
	case ST_PAD:
		/* a member's padding is missing: its data is all there, but the
		 * archive still ends early */
		return fail(r, e, "truncated after member %s", r->m.name);
	default:
		if (r->offset == 0)
			return fail(r, e, "empty file, not a tar archive%s", "");
		return fail(r, e, "truncated: no end-of-archive block%s", "");
	}
}

int
tar_feed_fd(struct tar_reader *r, int fd, struct dk_err *e)
{
	const char *name = r->name;
	static const size_t size = 1 << 16;
	char *b = malloc(size);
	ssize_t n;
	int rc = -1;

	if (!b)
		return dk_syserrf(e, name, 0, "cannot read");
	for (;;) {
		n = read(fd, b, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dk_syserrf(e, name, 0, "read error");
			goto out;
		}
		if (n == 0)
			break;
		if (tar_feed(r, b, (size_t)n, e) < 0)
			goto out;
	}
	rc = tar_finish(r, e);
out:
	free(b);
	return rc;
}

int
tar_read_fd(int fd, const char *name, const struct tar_ops *ops, void *ctx, struct dk_err *e)
{
	struct tar_reader *r = tar_reader_new(ops, ctx, name);
	int rc;

	if (!r)
		return dk_syserrf(e, name, 0, "cannot read");
	rc = tar_feed_fd(r, fd, e);
	tar_reader_free(r);
	return rc;
}

/* The writer. */

static int
fd_write(void *ctx, const void *p, size_t n, struct dk_err *e)
{
	struct tar_writer *w = ctx;
	const char *s = p;

	while (n > 0) {
		ssize_t k = write(w->fd, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return dk_syserrf(e, NULL, 0, "write error");
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

void
tar_writer_init(struct tar_writer *w, tar_write_fn fn, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->write = fn;
	w->ctx = ctx;
	w->fd = -1;
}

void
tar_writer_fd(struct tar_writer *w, int fd)
{
	tar_writer_init(w, fd_write, w);
	w->fd = fd;
}

static int
emit(struct tar_writer *w, const void *p, size_t n, struct dk_err *e)
{
	if (w->write(w->ctx, p, n, e) < 0)
		return -1;
	w->offset += n;
	return 0;
}

static int
emit_pad(struct tar_writer *w, uint64_t size, struct dk_err *e)
{
	static const char zero[BLOCK];
	uint64_t pad = padding(size);

	return pad ? emit(w, zero, (size_t)pad, e) : 0;
}

/* Writes v in octal into the n-byte field f, NUL-terminated; returns -1
 * when it does not fit. */
static int
put_octal(char *f, size_t n, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof tmp, "%0*" PRIo64, (int)(n - 1), v);

	if (len < 0 || (size_t)len > n - 1)
		return -1;
	memcpy(f, tmp, (size_t)len + 1);
	return 0;
}

static void
put_base256(char *f, size_t n, uint64_t v)
{
	size_t i;

	for (i = n; i-- > 1;) {
		f[i] = (char)(v & 0xff);
		v >>= 8;
	}
	f[0] = (char)0x80;
}

/* Splits name into ustar prefix and name fields; returns 0 if it fits. */
static int
ustar_split(const char *name, char *hdr)
{
	size_t len = strlen(name), i;

	if (len <= 100) {
		memcpy(hdr, name, len);
		return 0;
	}
	/* a '/' with at most 155 bytes before it and 1..100 after it */
	for (i = len - 101; i <= 155 && i + 1 < len; i++) {
		if (name[i] != '/')
			continue;
		memcpy(hdr + 345, name, i);
		memcpy(hdr, name + i + 1, len - i - 1);
		return 0;
	}
	return -1;
}

static void
build(struct tar_writer *w, char *h, int type, mode_t mode, uint64_t size)
{
	unsigned long sum = 0;
	size_t i;

	put_octal(h + 100, 8, mode & 07777);
	put_octal(h + 108, 8, w->uid <= 07777777 ? w->uid : 0);
	put_octal(h + 116, 8, w->gid <= 07777777 ? w->gid : 0);
	if (put_octal(h + 124, 12, size) < 0)
		put_base256(h + 124, 12, size);
	if (put_octal(h + 136, 12, w->mtime > 0 ? (uint64_t)w->mtime : 0) < 0)
		put_base256(h + 136, 12, (uint64_t)w->mtime);
	h[156] = (char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06lo", sum);
	h[155] = ' ';
}

/* Appends one pax record "LEN key=value\n" (LEN counts itself). */
static int
pax_record(struct buf *b, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, len = body + 1, d;

	for (;;) {
		char tmp[24];

		d = (size_t)snprintf(tmp, sizeof tmp, "%zu", len);
		if (d + body == len)
			break;
		len = d + body;
	}
	return buf_printf(b, "%zu %s=%s\n", len, key, val);
}

static int
add_header(struct tar_writer *w, const char *name, int type, mode_t mode, uint64_t size, struct dk_err *e)
{
	char h[BLOCK];
	int fits;

	memset(h, 0, sizeof h);
	fits = ustar_split(name, h) == 0;
	if (!fits || size > 077777777777ULL) {
		struct buf pax = { 0 };
		char ph[BLOCK], num[24];
		const char *base = strrchr(name, '/');
		int rc;

		memset(ph, 0, sizeof ph);
		snprintf(ph, 100, "PaxHeaders/%.80s", base && base[1] ? base + 1 : name);
		if ((!fits && pax_record(&pax, "path", name) < 0) ||
		    (size > 077777777777ULL && (snprintf(num, sizeof num, "%" PRIu64, size), pax_record(&pax, "size", num) < 0))) {
			buf_free(&pax);
			return dk_syserrf(e, NULL, 0, "tar member %s", qs(name));
		}
		build(w, ph, 'x', 0644, pax.len);
		rc = emit(w, ph, BLOCK, e) < 0 || emit(w, pax.s, pax.len, e) < 0 || emit_pad(w, pax.len, e) < 0;
		buf_free(&pax);
		if (rc)
			return -1;
		if (!fits) {
			/* a readable stand-in for readers without pax */
			memset(h, 0, sizeof h);
			memcpy(h, name, 100);
		}
	}
	build(w, h, type, mode, size);
	return emit(w, h, BLOCK, e);
}

int
tar_add_dir(struct tar_writer *w, const char *name, mode_t mode, struct dk_err *e)
{
	size_t len = strlen(name);
	char *d;
	int rc;

	if (len == 0)
		return dk_errf(e, NULL, 0, "tar member: empty name");
	if (name[len - 1] == '/')
		return add_header(w, name, TAR_DIR, mode, 0, e);
	if (!(d = malloc(len + 2)))
		return dk_syserrf(e, NULL, 0, "tar member %s", qs(name));
	memcpy(d, name, len);
	memcpy(d + len, "/", 2);
	rc = add_header(w, d, TAR_DIR, mode, 0, e);
	free(d);
	return rc;
}

int
tar_add_mem(struct tar_writer *w, const char *name, mode_t mode, const void *p, size_t n, struct dk_err *e)
{
	if (!*name)
		return dk_errf(e, NULL, 0, "tar member: empty name");
	if (add_header(w, name, TAR_REG, mode, n, e) < 0 || (n && emit(w, p, n, e) < 0))
		return -1;
	return emit_pad(w, n, e);
}

int
tar_add_fd(struct tar_writer *w, const char *name, mode_t mode, int fd, uint64_t size, struct dk_err *e)
{
	static const size_t bsize = 1 << 16;
	uint64_t left = size;
	char *b;

	if (!*name)
		return dk_errf(e, NULL, 0, "tar member: empty name");
	if (add_header(w, name, TAR_REG, mode, size, e) < 0)
		return -1;
	if (!(b = malloc(bsize)))
		return dk_syserrf(e, NULL, 0, "tar member %s", qs(name));
	while (left > 0) {
		ssize_t k = read(fd, b, left < bsize ? (size_t)left : bsize);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = 0;
			free(b);
			if (k == 0)
				return dk_errf(e, NULL, 0, "tar member %s: file shrank while being read", qs(name));
			return dk_syserrf(e, NULL, 0, "tar member %s: read error", qs(name));
		}
		if (emit(w, b, (size_t)k, e) < 0) {
			free(b);
			return -1;
		}
		left -= (uint64_t)k;
	}
	free(b);
	return emit_pad(w, size, e);
}

int
tar_add_file(struct tar_writer *w, const char *name, const char *path, struct dk_err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return dk_syserrf(e, path, 0, "cannot open");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (!S_ISREG(st.st_mode))
			errno = EINVAL;
		dk_syserrf(e, path, 0, "not a regular file");
		close(fd);
		return -1;
	}
	rc = tar_add_fd(w, name, st.st_mode & 0777, fd, (uint64_t)st.st_size, e);
	close(fd);
	return rc;
}

int
tar_writer_finish(struct tar_writer *w, struct dk_err *e)
{
	static const char zero[2 * BLOCK];

	return emit(w, zero, sizeof zero, e);
}

/* Safe extraction. */

int
tar_name_safe(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		while (*p == '/')
			p++;
	}
	return 1;
}

struct extract {
	int dirfd;
	int fd;		/* the regular file being written, or -1 */
	mode_t mode;
	const char *arch;	/* archive name for messages */
};

/* Opens the directory holding path's last component below x->dirfd,
 * making missing directories; *base points into path. Returns an fd, or
 * -1 with e set. Never follows a symbolic link. */
static int
open_parent(struct extract *x, char *path, char **base, struct dk_err *e, const char *mname)
{
	int cur = dup(x->dirfd);
	char *p = path, *slash;

	if (cur < 0)
		return dk_syserrf(e, x->arch, 0, "member %s", qs(mname));
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		if (*p && strcmp(p, ".") != 0) {
			next = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(cur, p, 0755) < 0 && errno != EEXIST) {
					dk_syserrf(e, x->arch, 0, "member %s: cannot make directory %s", qs(mname), p);
					close(cur);
					return -1;
				}
				next = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			}
			if (next < 0) {
				dk_syserrf(e, x->arch, 0, "member %s: %s is not a directory", qs(mname), p);
				close(cur);
				return -1;
			}
			close(cur);
			cur = next;
		}
		p = slash + 1;
		while (*p == '/')
			p++;
	}
	*base = p;
	return cur;
}

static int
x_member(void *ctx, const struct tar_member *m, struct dk_err *e)
{
	struct extract *x = ctx;
	char *path, *base = NULL;
	size_t len;
	int pfd;

	if (!tar_name_safe(m->name))
		return dk_errf(e, x->arch, 0, "member %s: unsafe path refused", qs(m->name));
	switch (m->type) {
	case TAR_REG:
	case TAR_DIR:
		break;
	case TAR_LINK:
	case TAR_SYMLINK:
		return dk_errf(e, x->arch, 0, "member %s: links are refused", qs(m->name));
	case TAR_CHR:
	case TAR_BLK:
	case TAR_FIFO:
		return dk_errf(e, x->arch, 0, "member %s: devices and fifos are refused", qs(m->name));
	default:
	{
		char q[DK_QUOTE_MAX], t = (char)m->type;

		return dk_errf(e, x->arch, 0, "member %s: unsupported type '%s'", qs(m->name),
			dk_quote(q, sizeof q, &t, 1));
	}
	}
	if (!(path = strdup(m->name)))
		return dk_syserrf(e, x->arch, 0, "member %s", qs(m->name));
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if ((pfd = open_parent(x, path, &base, e, m->name)) < 0) {
		free(path);
		return -1;
	}
	if (!*base || !strcmp(base, ".")) {
		if (m->type != TAR_DIR) {
			free(path);
			close(pfd);
			return dk_errf(e, x->arch, 0, "member %s: unsafe path refused", qs(m->name));
		}
	} else if (m->type == TAR_DIR) {
		struct stat st;

		if (mkdirat(pfd, base, (m->mode & 0777) | 0700) < 0 &&
		    (errno != EEXIST || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))) {
			dk_syserrf(e, x->arch, 0, "member %s: cannot make directory", qs(m->name));
			free(path);
			close(pfd);
			return -1;
		}
	} else {
		x->fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (x->fd < 0) {
			dk_syserrf(e, x->arch, 0, "member %s: cannot create", qs(m->name));
			free(path);
			close(pfd);
			return -1;
		}
		x->mode = m->mode & 0777;
	}
	free(path);
	close(pfd);
	return 0;
}

static int
x_data(void *ctx, const struct tar_member *m, const void *p, size_t n, struct dk_err *e)
{
	struct extract *x = ctx;
	const char *s = p;

	if (x->fd < 0)
		return 0;	/* a directory's data: nothing to keep */
	while (n > 0) {
		ssize_t k = write(x->fd, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return dk_syserrf(e, x->arch, 0, "member %s: write error", qs(m->name));
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
x_end(void *ctx, const struct tar_member *m, struct dk_err *e)
{
	struct extract *x = ctx;
	int rc = 0;

	if (x->fd < 0)
		return 0;
	if (fchmod(x->fd, x->mode) < 0)
		rc = dk_syserrf(e, x->arch, 0, "member %s: chmod", qs(m->name));
	if (close(x->fd) < 0 && rc == 0)
		rc = dk_syserrf(e, x->arch, 0, "member %s: write error", qs(m->name));
	x->fd = -1;
	return rc;
}

static const struct tar_ops extract_ops = { x_member, x_data, x_end };

static void
extract_free(struct extract *x)
{
	if (x->fd >= 0)
		close(x->fd);
	close(x->dirfd);
	free(x);
}

struct tar_reader *
tar_extract_reader(const char *dir, const char *name, struct dk_err *e)
{
	struct extract *x = calloc(1, sizeof *x);
	struct tar_reader *r;

	if (!x) {
		dk_syserrf(e, dir, 0, "cannot extract");
		return NULL;
	}
	x->fd = -1;
	if ((x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		dk_syserrf(e, dir, 0, "cannot open directory");
		free(x);
		return NULL;
	}
	if (!(r = tar_reader_new(&extract_ops, x, name))) {
		dk_syserrf(e, dir, 0, "cannot extract");
		extract_free(x);
		return NULL;
	}
	x->arch = r->name;
	r->owns_extract = 1;
	return r;
}

int
tar_extract_fd(int fd, const char *name, const char *dir, struct dk_err *e)
{
	struct tar_reader *r = tar_extract_reader(dir, name, e);
	int rc;

	if (!r)
		return -1;
	rc = tar_feed_fd(r, fd, e);
	tar_reader_free(r);
	return rc;
}
