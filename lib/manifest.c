/* dk: portage Manifest files. GPL-2.0-only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "manifest.h"

/* s quoted for a message: at most 80 bytes, escaped (dk_quote). */
#define QUOTE(buf, s) dk_quote((buf), sizeof (buf), (s), strlen(s))

/* Frees p unless it points into me's parse block (freed as a whole). */
static void
field_free(const struct manifest_entry *me, char *p)
{
	uintptr_t a = (uintptr_t)me->store, x = (uintptr_t)p;

	if (!me->store || x < a || x >= a + me->storelen)
		free(p);
}

static void
entry_free(struct manifest_entry *me)
{
	field_free(me, me->type);
	field_free(me, me->name);
	field_free(me, me->blake2b);
	field_free(me, me->sha512);
	field_free(me, me->line);
	free(me->store);
	me->store = NULL;
}

static size_t
key_hash(const char *type, const char *name)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (; *type; type++)
		h = (h ^ (unsigned char)*type) * 1099511628211ULL;
	h = (h ^ ' ') * 1099511628211ULL;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h;
}

/* The slot of idx holding type and name (hash h), or the empty slot where
 * it goes. A slot holds the entry's index + 1 (0: empty) and its hash, so
 * a probe rarely has to look into v. */
static struct manifest_slot *
idx_slot(const struct manifest *m, const char *type, const char *name, size_t h)
{
	size_t mask = m->idxcap - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		const struct manifest_entry *me;

		if (!m->idx[i].pos)
			return &m->idx[i];
		if (m->idx[i].hash != h)
			continue;
		me = &m->v[m->idx[i].pos - 1];
		if (!strcmp(me->type, type) && !strcmp(me->name, name))
			return &m->idx[i];
	}
}

/* Puts entry i into the index unless an entry of its key is there. */
static void
idx_put(struct manifest *m, size_t i)
{
	size_t h = key_hash(m->v[i].type, m->v[i].name);
	struct manifest_slot *slot = idx_slot(m, m->v[i].type, m->v[i].name, h);

	if (!slot->pos) {
		slot->pos = i + 1;
		slot->hash = h;
	}
}

/* Rebuilds the index for m->n entries, kept at most half full. */
static int
idx_rebuild(struct manifest *m)
{
	size_t cap = 64, i;

	while (cap < 2 * m->n + 2)
		cap *= 2;
	if (cap != m->idxcap) {
		struct manifest_slot *idx = calloc(cap, sizeof *idx);

		if (!idx)
			return -1;
		free(m->idx);
		m->idx = idx;
		m->idxcap = cap;
	} else {
		memset(m->idx, 0, cap * sizeof *m->idx);
	}
	/* the first of a duplicate pair wins */
	for (i = 0; i < m->n; i++)
		idx_put(m, i);
	m->idx_stale = 0;
	return 0;
}

/* Adds entry n-1 (type and name set) to the index. */
static int
idx_insert(struct manifest *m)
{
	if (m->idx_stale || 2 * m->n + 2 > m->idxcap)
		return idx_rebuild(m);
	idx_put(m, m->n - 1);
	return 0;
}

/* Appends a zeroed entry; its type and name must be set, then idx_insert. */
static struct manifest_entry *
manifest_add(struct manifest *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct manifest_entry *v = realloc(m->v, cap * sizeof *v);

		if (!v)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	memset(&m->v[m->n], 0, sizeof m->v[0]);
	return &m->v[m->n++];
}

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* Parses one line (NUL-terminated, cut into words in place) into me,
 * whose fields then point into it. */
static int
parse_line(struct manifest_entry *me, char *line, const char *name, long lineno, struct dk_err *e)
{
	char *p = line, *end, q1[DK_QUOTE_MAX];
	char *w[64];
	int n = 0, i;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == 64)
			return dk_errf(e, name, lineno, "too many fields");
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (n < 3 || n % 2 == 0)
		return dk_errf(e, name, lineno, "malformed entry: want TYPE NAME SIZE (HASH VALUE)...");
	errno = 0;
	me->size = strtoull(w[2], &end, 10);
	if (errno || *end || w[2][0] < '0' || w[2][0] > '9')
		return dk_errf(e, name, lineno, "bad size '%s'", QUOTE(q1, w[2]));
	me->type = w[0];
	me->name = w[1];
	for (i = 3; i < n; i += 2) {
		char **slot = !strcmp(w[i], "BLAKE2B") ? &me->blake2b
			: !strcmp(w[i], "SHA512") ? &me->sha512 : NULL;

		if (!slot)
			continue;	/* an old hash kind: the verbatim line keeps it */
		if (!is_hex(w[i + 1], 128))
			return dk_errf(e, name, lineno, "bad %s digest of %s", w[i], QUOTE(q1, w[1]));
		if (*slot)
			return dk_errf(e, name, lineno, "%s given twice for %s", w[i], QUOTE(q1, w[1]));
		*slot = w[i + 1];
	}
	return 0;
}

/* 1 when the n bytes at s are all blanks. */
static int
all_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Parses the line of n bytes at s into a new entry of m. */
static int
add_line(struct manifest *m, const char *s, size_t n, const char *name, long lineno, struct dk_err *e)
{
	struct manifest_entry me = { 0 }, *slot;

	/* one block: the line as read, then the copy cut into fields */
	if (!(me.store = malloc(2 * n + 2)))
		return dk_syserrf(e, name, lineno, "cannot read");
	me.storelen = 2 * n + 2;
	me.line = me.store;
	memcpy(me.line, s, n);
	me.line[n] = '\0';
	memcpy(me.line + n + 1, s, n);
	me.line[2 * n + 1] = '\0';
	if (parse_line(&me, me.line + n + 1, name, lineno, e) < 0) {
		me.type = me.name = me.blake2b = me.sha512 = NULL;
		entry_free(&me);
		return -1;
	}
	if (manifest_find(m, me.type, me.name)) {
		char q1[DK_QUOTE_MAX], q2[DK_QUOTE_MAX];

		dk_errf(e, name, lineno, "%s %s listed twice", QUOTE(q1, me.type), QUOTE(q2, me.name));
		entry_free(&me);
		return -1;
	}
	if (!(slot = manifest_add(m))) {
		entry_free(&me);
		return dk_syserrf(e, name, lineno, "cannot read");
	}
	*slot = me;
	if (idx_insert(m) < 0)
		return dk_syserrf(e, name, lineno, "cannot read");
	return 0;
}

int
manifest_parse(struct manifest *m, const char *name, const char *text, size_t len, struct dk_err *e)
{
	size_t pos = 0;
	long lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (memchr(text + pos, '\0', n)) {
			manifest_free(m);
			return dk_errf(e, name, lineno, "NUL byte in Manifest");
		}
		if (!all_blank(text + pos, n) && add_line(m, text + pos, n, name, lineno, e) < 0) {
			/* nothing half-read is left for a caller to look into */
			manifest_free(m);
			return -1;
		}
		pos += n + 1;
	}
	return 0;
}

int
manifest_load(struct manifest *m, const char *path, int missing_ok, struct dk_err *e)
{
	struct buf b = { 0 };
	int rc;

	if (read_file(path, &b, e) < 0) {
		buf_free(&b);
		if (missing_ok && errno == ENOENT)
			return 0;
		return -1;
	}
	rc = manifest_parse(m, path, buf_str(&b), b.len, e);
	buf_free(&b);
	return rc;
}

struct manifest_entry *
manifest_find(const struct manifest *m, const char *type, const char *name)
{
	struct manifest *w = (struct manifest *)m;	/* the index is a cache */
	struct manifest_slot *slot;
	size_t i;

	if (!m->n)
		return NULL;
	if ((m->idx_stale || !m->idx) && idx_rebuild(w) < 0) {
		for (i = 0; i < m->n; i++)
			if (!strcmp(m->v[i].type, type) && !strcmp(m->v[i].name, name))
				return &m->v[i];
		return NULL;
	}
	slot = idx_slot(m, type, name, key_hash(type, name));
	return slot->pos ? &m->v[slot->pos - 1] : NULL;
}

int
manifest_entry_matches(const struct manifest_entry *me, const struct hash_result *r)
{
	return me->size == r->size && me->blake2b && me->sha512
		&& !strcmp(me->blake2b, r->blake2b) && !strcmp(me->sha512, r->sha512);
}

void
manifest_entry_diff(const struct manifest_entry *me, const struct hash_result *r, char *out, size_t n)
{
	if (me->size != r->size)
		snprintf(out, n, "size mismatch: %" PRIu64 " bytes, Manifest says %" PRIu64, r->size, me->size);
	else if (!me->blake2b || strcmp(me->blake2b, r->blake2b))
		snprintf(out, n, "BLAKE2B mismatch");
	else if (!me->sha512 || strcmp(me->sha512, r->sha512))
		snprintf(out, n, "SHA512 mismatch");
	else
		snprintf(out, n, "ok");
}

int
manifest_set_dist(struct manifest *m, const char *name, const struct hash_result *r, struct dk_err *e)
{
	struct manifest_entry *me = manifest_find(m, "DIST", name);

	if (me && manifest_entry_matches(me, r)) {
		me->used = 1;
		return 0;
	}
	if (me) {
		/* same type and name: its index slot stays right */
		field_free(me, me->blake2b);
		field_free(me, me->sha512);
		field_free(me, me->line);
		me->blake2b = me->sha512 = me->line = NULL;
	} else {
		if (!(me = manifest_add(m)))
			return dk_syserrf(e, NULL, 0, "cannot add %s", name);
		if (!(me->type = strdup("DIST")) || !(me->name = strdup(name)) || idx_insert(m) < 0) {
			entry_free(me);
			m->n--;
			m->idx_stale = 1;
			return dk_syserrf(e, NULL, 0, "cannot add %s", name);
		}
	}
	me->used = 1;
	me->size = r->size;
	if (!me->type || !me->name || !(me->blake2b = strdup(r->blake2b)) || !(me->sha512 = strdup(r->sha512)))
		return dk_syserrf(e, NULL, 0, "cannot add %s", name);
	return 0;
}

void
manifest_prune_dist(struct manifest *m)
{
	size_t i, j = 0;

	for (i = 0; i < m->n; i++) {
		if (!strcmp(m->v[i].type, "DIST") && !m->v[i].used) {
			entry_free(&m->v[i]);
			continue;
		}
		m->v[j++] = m->v[i];
	}
	m->n = j;
	m->idx_stale = 1;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct manifest_entry *x = a, *y = b;
	int c = strcmp(x->type, y->type);

	return c ? c : strcmp(x->name, y->name);
}

int
manifest_dist_line(struct buf *out, const char *name, const struct hash_result *r)
{
	return buf_printf(out, "DIST %s %" PRIu64 " BLAKE2B %s SHA512 %s\n", name, r->size, r->blake2b, r->sha512);
}

int
manifest_format(struct manifest *m, struct buf *out)
{
	size_t i;

	qsort(m->v, m->n, sizeof m->v[0], entry_cmp);
	m->idx_stale = 1;
	for (i = 0; i < m->n; i++) {
		const struct manifest_entry *me = &m->v[i];
		int rc;

		if (me->line)
			rc = buf_printf(out, "%s\n", me->line);
		else
			rc = buf_printf(out, "%s %s %" PRIu64 " BLAKE2B %s SHA512 %s\n", me->type, me->name,
				me->size, me->blake2b, me->sha512);
		if (rc < 0)
			return -1;
	}
	return 0;
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		entry_free(&m->v[i]);
	free(m->v);
	free(m->idx);
	memset(m, 0, sizeof *m);
}
