/* dk: GLEP 78 binary package checks and names. GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "buf.h"
#include "gpkg.h"
#include "hash.h"
#include "spawn.h"
#include "tar.h"
#include "version.h"

/* s quoted for a message (dk_quote); one per message, per thread. */
static const char *
qs(const char *s)
{
	static _Thread_local char b[DK_QUOTE_MAX];

	return dk_quote(b, sizeof b, s, strlen(s));
}

/* The inner Manifest is a few lines; metadata a few KiB. Limits keep a
 * hostile package from making us hold much. */
#define MANIFEST_MAX (1 << 20)
#define METADATA_MAX (16 << 20)
#define MEMBERS_MAX 6

enum kind { K_VERSION, K_METADATA, K_METADATA_SIG, K_IMAGE, K_IMAGE_SIG, K_MANIFEST, K_BAD };

struct member {
	char *base;		/* name below DIR/ */
	enum kind kind;
	uint64_t size;
	char b2[129], sha[129];
	int listed;		/* has a DATA line */
};

struct check {
	const char *name;
	char *dir;
	struct member m[MEMBERS_MAX];
	int n;
	struct member *cur;	/* being hashed, or NULL */
	struct hash_set sums;	/* the current member's BLAKE2B and SHA512 */
	struct buf manifest, metadata;
	int have_manifest, metadata_whole;
	const char *metadata_comp;	/* ".xz" ... or "" */
};

/* portage's BINPKG_COMPRESS choices, by their suffixes */
static const char *const comps[] = { "", ".xz", ".zst", ".bz2", ".gz", ".lz4", ".lzo", ".lz", NULL };

/* Classifies "metadata.tar.xz", "image.tar.zst.sig"...; comp gets the
 * compression suffix. */
static enum kind
classify(const char *base, const char **comp)
{
	const char *rest;
	size_t i;
	enum kind k;

	if (!strcmp(base, "gpkg-1"))
		return K_VERSION;
	if (!strcmp(base, "Manifest"))
		return K_MANIFEST;
	if (!strncmp(base, "metadata.tar", 12)) {
		rest = base + 12;
		k = K_METADATA;
	} else if (!strncmp(base, "image.tar", 9)) {
		rest = base + 9;
		k = K_IMAGE;
	} else {
		return K_BAD;
	}
	for (i = 0; comps[i]; i++) {
		size_t n = strlen(comps[i]);

		if (strncmp(rest, comps[i], n) != 0)
			continue;
		if (!strcmp(rest + n, "")) {
			*comp = comps[i];
			return k;
		}
		if (!strcmp(rest + n, ".sig"))
			return k == K_METADATA ? K_METADATA_SIG : K_IMAGE_SIG;
	}
	return K_BAD;
}

static int
c_member(void *ctx, const struct tar_member *tm, struct dk_err *e)
{
	struct check *c = ctx;
	const char *slash, *base, *comp = "";
	struct member *m;
	size_t dlen;
	enum kind k;
	int i;

	if (!tar_name_safe(tm->name))
		return dk_errf(e, c->name, 0, "member %s: unsafe path", qs(tm->name));
	slash = strchr(tm->name, '/');
	if (!slash || slash == tm->name)
		return dk_errf(e, c->name, 0, "member %s: not inside the package directory", qs(tm->name));
	dlen = (size_t)(slash - tm->name);
	if (!c->dir) {
		if (!(c->dir = strndup(tm->name, dlen)))
			return dk_syserrf(e, c->name, 0, "member %s", qs(tm->name));
	} else if (strlen(c->dir) != dlen || strncmp(c->dir, tm->name, dlen) != 0) {
		return dk_errf(e, c->name, 0, "member %s: outside the package directory %s/", qs(tm->name), c->dir);
	}
	base = slash + 1;
	if (tm->type == TAR_DIR && !*base)
		return 0;	/* the directory itself */
	if (tm->type != TAR_REG)
		return dk_errf(e, c->name, 0, "member %s: not a regular file", qs(tm->name));
	if (strchr(base, '/') || (k = classify(base, &comp)) == K_BAD)
		return dk_errf(e, c->name, 0, "member %s: not a GLEP 78 member", qs(tm->name));
	if (c->n == 0 && k != K_VERSION)
		return dk_errf(e, c->name, 0, "member %s: the first member must be %s/gpkg-1", qs(tm->name), c->dir);
	for (i = 0; i < c->n; i++)
		if (c->m[i].kind == k)
			return dk_errf(e, c->name, 0, "member %s: a second %s", qs(tm->name),
				k == K_METADATA ? "metadata archive" : k == K_IMAGE ? "image archive" : base);
	if (c->have_manifest)
		return dk_errf(e, c->name, 0, "member %s: after the Manifest", qs(tm->name));
	if (k == K_MANIFEST) {
		if (tm->size > MANIFEST_MAX)
			return dk_errf(e, c->name, 0, "member %s: too large", qs(tm->name));
		c->have_manifest = 1;
		c->cur = NULL;
		return 0;
	}
	if (c->n == MEMBERS_MAX)
		return dk_errf(e, c->name, 0, "member %s: too many members", qs(tm->name));
	m = &c->m[c->n++];
	if (!(m->base = strdup(base)))
		return dk_syserrf(e, c->name, 0, "member %s", qs(tm->name));
	m->kind = k;
	m->size = tm->size;
	if (k == K_METADATA) {
		c->metadata_comp = comp;
		c->metadata_whole = tm->size <= METADATA_MAX;
	}
	if (hash_init(&c->sums, HASH_MANIFEST, e) < 0)
		return -1;
	c->cur = m;
	return 0;
}

static int
c_data(void *ctx, const struct tar_member *tm, const void *p, size_t n, struct dk_err *e)
{
	struct check *c = ctx;

	if (!c->cur) {
		if (c->have_manifest && buf_add(&c->manifest, p, n) < 0)
			return dk_syserrf(e, c->name, 0, "member %s", qs(tm->name));
		return 0;
	}
	if (hash_update(&c->sums, p, n, e) < 0)
		return -1;
	if (c->cur->kind == K_METADATA && c->metadata_whole && buf_add(&c->metadata, p, n) < 0)
		return dk_syserrf(e, c->name, 0, "member %s", qs(tm->name));
	return 0;
}

static int
c_end(void *ctx, const struct tar_member *tm, struct dk_err *e)
{
	struct check *c = ctx;
	struct hash_result r;

	(void)tm;
	if (!c->cur)
		return 0;
	if (hash_final(&c->sums, &r, e) < 0)
		return -1;
	memcpy(c->cur->b2, r.blake2b, sizeof r.blake2b);
	memcpy(c->cur->sha, r.sha512, sizeof r.sha512);
	c->cur = NULL;
	return 0;
}

/* The signed text of an OpenPGP clear-signed message, dash-escaping
 * undone; the whole text when it is not signed. Sets *is_signed. */
static int
manifest_text(const struct buf *in, struct buf *out, int *is_signed)
{
	const char *p = buf_str(in), *end = p + in->len;
	int in_header = 1;

	*is_signed = !strncmp(p, "-----BEGIN PGP SIGNED MESSAGE-----\n", 35);
	if (!*is_signed)
		return buf_add(out, p, in->len);
	p += 35;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (in_header) {
			if (len == 0 || (len == 1 && *p == '\r'))
				in_header = 0;
		} else if (!strncmp(p, "-----BEGIN PGP SIGNATURE-----", 29)) {
			return 0;
		} else {
			if (len >= 2 && p[0] == '-' && p[1] == ' ') {
				p += 2;
				len -= 2;
			}
			if (buf_add(out, p, len) < 0 || buf_addc(out, '\n') < 0)
				return -1;
		}
		p += len + (nl ? 1 : 0);
	}
	*is_signed = -1;	/* no signature block: broken */
	return 0;
}

static struct member *
find(struct check *c, const char *base)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->m[i].base, base))
			return &c->m[i];
	return NULL;
}

/* Checks the DATA lines against the members' sizes and sums. */
static int
check_manifest(struct check *c, struct gpkg_info *info, struct dk_err *e)
{
	struct buf text = { 0 };
	char *save = NULL, *line, *mname = NULL;
	long lineno = 0;
	int sig, i, rc = -1;

	if (asprintf(&mname, "%s: member %s/Manifest", c->name, c->dir) < 0) {
		mname = NULL;
		return dk_syserrf(e, c->name, 0, "Manifest");
	}
	if (manifest_text(&c->manifest, &text, &sig) < 0) {
		dk_syserrf(e, mname, 0, "cannot read");
		goto out;
	}
	if (sig < 0) {
		dk_errf(e, mname, 0, "clear-signed without a signature");
		goto out;
	}
	info->manifest_signed = sig;
	for (line = strtok_r(text.s ? text.s : (char[]){ '\0' }, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w[16], *tok, *s2 = NULL, *end;
		struct member *m;
		int nw = 0, known = 0;
		unsigned long long size;

		lineno++;
		for (tok = strtok_r(line, " \t\r", &s2); tok && nw < 16; tok = strtok_r(NULL, " \t\r", &s2))
			w[nw++] = tok;
		if (nw == 0)
			continue;
		if (strcmp(w[0], "DATA") != 0 || nw < 5 || nw % 2 != 1) {
			dk_errf(e, mname, lineno, "not a DATA entry");
			goto out;
		}
		if (!(m = find(c, w[1]))) {
			dk_errf(e, mname, lineno, "lists %s, which the package lacks", qs(w[1]));
			goto out;
		}
		if (m->listed) {
			dk_errf(e, mname, lineno, "lists %s twice", qs(w[1]));
			goto out;
		}
		m->listed = 1;
		errno = 0;
		size = strtoull(w[2], &end, 10);
		if (errno || *end || !isdigit((unsigned char)w[2][0])) {
			dk_errf(e, mname, lineno, "bad size %s", qs(w[2]));
			goto out;
		}
		if (size != m->size) {
			dk_errf(e, c->name, 0, "member %s/%s: size %" PRIu64 " does not match the Manifest's %llu",
				c->dir, m->base, m->size, size);
			goto out;
		}
		for (i = 3; i + 1 < nw; i += 2) {
			const char *have = !strcmp(w[i], "BLAKE2B") ? m->b2 : !strcmp(w[i], "SHA512") ? m->sha : NULL;

			if (!have)
				continue;
			known++;
			if (strcasecmp(have, w[i + 1]) != 0) {
				dk_errf(e, c->name, 0, "member %s/%s: %s does not match the Manifest", c->dir, m->base, w[i]);
				goto out;
			}
		}
		if (!known) {
			dk_errf(e, mname, lineno, "no BLAKE2B or SHA512 for %s", qs(w[1]));
			goto out;
		}
	}
	for (i = 0; i < c->n; i++)
		if (!c->m[i].listed) {
			dk_errf(e, c->name, 0, "member %s/%s: not in the Manifest", c->dir, c->m[i].base);
			goto out;
		}
	rc = 0;
out:
	free(mname);
	buf_free(&text);
	return rc;
}

/* Reads metadata/PF and metadata/CATEGORY out of the metadata archive. */
struct meta {
	struct buf *pf, *cat, *cur;
};

static int
meta_member(void *ctx, const struct tar_member *m, struct dk_err *e)
{
	struct meta *x = ctx;
	const char *b = strrchr(m->name, '/');

	(void)e;
	b = b ? b + 1 : m->name;
	x->cur = m->size > 4096 ? NULL : !strcmp(b, "PF") ? x->pf : !strcmp(b, "CATEGORY") ? x->cat : NULL;
	return 0;
}

static int
meta_data(void *ctx, const struct tar_member *m, const void *p, size_t n, struct dk_err *e)
{
	struct meta *x = ctx;

	(void)m;
	(void)e;
	return x->cur ? buf_add(x->cur, p, n) : 0;
}

static char *
trimmed(struct buf *b)
{
	while (b->len && isspace((unsigned char)b->s[b->len - 1]))
		b->s[--b->len] = '\0';
	return b->len ? buf_take(b) : NULL;
}

/* Fills info->pf and ->category when the metadata can be read; a
 * decompressor that is missing leaves them NULL (not an error: the hashes
 * already matched). */
static void
read_metadata(struct check *c, struct gpkg_info *info)
{
	static const struct { const char *ext, *prog; } tools[] = {
		{ ".xz", "xz" }, { ".zst", "zstd" }, { ".bz2", "bzip2" },
		{ ".gz", "gzip" }, { ".lz4", "lz4" }, { ".lzo", "lzop" }, { ".lz", "lzip" },
	};
	static const struct tar_ops ops = { meta_member, meta_data, NULL };
	struct buf out = { 0 }, err = { 0 }, pf = { 0 }, cat = { 0 };
	struct meta x = { &pf, &cat, NULL };
	const struct buf *tarbuf = &c->metadata;
	struct tar_reader *r;
	struct dk_err e;
	size_t i;

	if (!c->metadata_whole || !c->metadata_comp)
		return;
	if (*c->metadata_comp) {
		for (i = 0; i < sizeof tools / sizeof tools[0]; i++)
			if (!strcmp(tools[i].ext, c->metadata_comp))
				break;
		if (i == sizeof tools / sizeof tools[0])
			return;
		{
			char *argv[] = { (char *)tools[i].prog, "-dc", NULL };

			if (spawn_run(argv, NULL, &c->metadata, &out, &err, &e) != 0)
				goto out;
		}
		tarbuf = &out;
	}
	if (!(r = tar_reader_new(&ops, &x, "metadata")))
		goto out;
	if (tar_feed(r, tarbuf->s ? tarbuf->s : "", tarbuf->len, &e) == 0 && tar_finish(r, &e) == 0) {
		info->pf = trimmed(&pf);
		info->category = trimmed(&cat);
	}
	tar_reader_free(r);
out:
	buf_free(&out);
	buf_free(&err);
	buf_free(&pf);
	buf_free(&cat);
}

int
gpkg_check_fd(int fd, const char *name, struct gpkg_info *info, struct dk_err *e)
{
	static const struct tar_ops ops = { c_member, c_data, c_end };
	struct check c;
	struct tar_reader *r;
	struct stat st;
	int i, rc = -1, k;
	static const char *const need[] = { "gpkg-1", "metadata archive", NULL, "image archive" };

	memset(info, 0, sizeof *info);
	memset(&c, 0, sizeof c);
	c.name = name;
	if (!(r = tar_reader_new(&ops, &c, name)))
		return dk_syserrf(e, name, 0, "cannot read");
	if (tar_feed_fd(r, fd, e) < 0)
		goto out;
	info->size = tar_offset(r);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size != info->size) {
		dk_errf(e, name, 0, "%" PRIu64 " bytes after the end of the archive", (uint64_t)st.st_size - info->size);
		goto out;
	}
	if (!c.dir) {
		dk_errf(e, name, 0, "no members: not a binary package");
		goto out;
	}
	for (k = K_VERSION; k <= K_IMAGE; k++) {
		if (!need[k])
			continue;
		for (i = 0; i < c.n && (int)c.m[i].kind != k; i++)
			;
		if (i == c.n) {
			dk_errf(e, name, 0, "member %s/%s missing", c.dir,
				k == K_VERSION ? "gpkg-1" : k == K_METADATA ? "metadata.tar*" : "image.tar*");
			goto out;
		}
	}
	if (!c.have_manifest) {
		dk_errf(e, name, 0, "member %s/Manifest missing", c.dir);
		goto out;
	}
	if (check_manifest(&c, info, e) < 0)
		goto out;
	read_metadata(&c, info);
	info->dir = c.dir;
	c.dir = NULL;
	rc = 0;
out:
	if (rc < 0)
		gpkg_info_free(info);
	tar_reader_free(r);
	hash_free(&c.sums);
	for (i = 0; i < c.n; i++)
		free(c.m[i].base);
	free(c.dir);
	buf_free(&c.manifest);
	buf_free(&c.metadata);
	return rc;
}

int
gpkg_check(const char *path, struct gpkg_info *info, struct dk_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		memset(info, 0, sizeof *info);
		return dk_syserrf(e, path, 0, "cannot open");
	}
	rc = gpkg_check_fd(fd, path, info, e);
	close(fd);
	return rc;
}

void
gpkg_info_free(struct gpkg_info *info)
{
	free(info->dir);
	free(info->pf);
	free(info->category);
	memset(info, 0, sizeof *info);
}

/* Names. */

/* Splits pf by PMS (lib/version) and derives the series. */
static int
split_pf(const char *pf, struct gpkg_name *n)
{
	size_t s;

	if (version_split_pf(pf, &n->pn, &n->pv, &n->pr) < 0)
		return -1;
	s = strspn(n->pv, "0123456789");
	if (n->pv[s] == '.')
		s += 1 + strspn(n->pv + s + 1, "0123456789");
	n->series = strndup(n->pv, s);
	n->pf = strdup(pf);
	return n->series && n->pf ? 0 : -1;
}

int
gpkg_parse_name(const char *path, struct gpkg_name *n, struct dk_err *e)
{
	const char *base = strrchr(path, '/');
	size_t len;
	char *stem, *dash;

	memset(n, 0, sizeof *n);
	base = base ? base + 1 : path;
	len = strlen(base);
	if (len <= 9 || strcmp(base + len - 9, ".gpkg.tar") != 0)
		return dk_errf(e, path, 0, "not a .gpkg.tar file name");
	if (!(stem = strndup(base, len - 9)))
		return dk_syserrf(e, path, 0, "name");
	/* "PF-BUILDID": a PF never ends in "-DIGITS" (revisions are -rN) */
	dash = strrchr(stem, '-');
	if (dash && dash[1] && strspn(dash + 1, "0123456789") == strlen(dash + 1)) {
		*dash = '\0';
		if (split_pf(stem, n) == 0) {
			n->buildid = strdup(dash + 1);
			free(stem);
			if (!n->buildid) {
				gpkg_name_free(n);
				return dk_syserrf(e, path, 0, "name");
			}
			return 0;
		}
		gpkg_name_free(n);
		*dash = '-';
	}
	if (split_pf(stem, n) < 0) {
		gpkg_name_free(n);
		free(stem);
		return dk_errf(e, path, 0, "no PF[-BUILDID] with a valid version in the file name");
	}
	free(stem);
	return 0;
}

void
gpkg_name_free(struct gpkg_name *n)
{
	free(n->pf);
	free(n->pn);
	free(n->pv);
	free(n->pr);
	free(n->series);
	free(n->buildid);
	memset(n, 0, sizeof *n);
}
