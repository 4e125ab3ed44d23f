/* dk: SRC_URI parsing and mirror expansion. GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "srcuri.h"

/* s quoted for a message: at most 80 bytes, escaped (dk_quote). */
#define QUOTE(buf, s) dk_quote((buf), sizeof (buf), (s), strlen(s))

static int
mirrors_add(struct srcuri_mirrors *m, const char *name, char **urls, size_t n, struct dk_err *e)
{
	char **names = realloc(m->names, (m->n + 1) * sizeof *names);
	char ***lists;
	size_t i;

	if (names)
		m->names = names;
	lists = names ? realloc(m->urls, (m->n + 1) * sizeof *lists) : NULL;
	if (!lists)
		return dk_syserrf(e, NULL, 0, "mirror %s", name);
	m->urls = lists;
	m->names[m->n] = strdup(name);
	m->urls[m->n] = calloc(n + 1, sizeof(char *));
	m->n++;
	if (!m->names[m->n - 1] || !m->urls[m->n - 1])
		return dk_syserrf(e, NULL, 0, "mirror %s", name);
	for (i = 0; i < n; i++)
		if (!(m->urls[m->n - 1][i] = strdup(urls[i])))
			return dk_syserrf(e, NULL, 0, "mirror %s", name);
	return 0;
}

int
srcuri_mirrors_builtin(struct srcuri_mirrors *m, struct dk_err *e)
{
	/* The two that kernel ebuilds use, as profiles/thirdpartymirrors
	 * lists them (gentoo's is the distfiles master). */
	static char *gentoo[] = { "https://distfiles.gentoo.org/distfiles" };
	static char *kernel[] = { "https://cdn.kernel.org/pub", "https://www.kernel.org/pub",
		"https://mirrors.edge.kernel.org/pub" };

	if (mirrors_add(m, "gentoo", gentoo, 1, e) < 0)
		return -1;
	return mirrors_add(m, "kernel", kernel, 3, e);
}

int
srcuri_mirrors_load(struct srcuri_mirrors *m, const char *path, struct dk_err *e)
{
	struct lines l;
	struct buf text = { 0 };
	FILE *fp;
	int rc = 0;

	/* read_file refuses a FIFO or a device without blocking */
	if (read_file(path, &text, e) < 0)
		return -1;
	if (!(fp = fmemopen(text.s ? text.s : (char *)"", text.len, "r"))) {
		buf_free(&text);
		return dk_syserrf(e, path, 0, "cannot read");
	}
	lines_init(&l, fp, path);
	while (rc == 0 && lines_next(&l, e) >= 0) {
		char *w[256], *save = NULL, *tok;
		size_t n = 0;
		char *hash = strchr(l.line, '#');

		if (hash)
			*hash = '\0';
		/* a CR is a blank: a file saved with CRLF ends is read the same */
		for (tok = strtok_r(l.line, " \t\r", &save); tok && n < 256; tok = strtok_r(NULL, " \t\r", &save))
			w[n++] = tok;
		if (n == 0)
			continue;
		if (n == 1)
		{
			char q[DK_QUOTE_MAX];

			rc = dk_errf(e, path, l.lineno, "mirror %s has no URL", QUOTE(q, w[0]));
		}
		else
			rc = mirrors_add(m, w[0], w + 1, n - 1, e);
	}
	if (rc == 0 && e && e->msg[0])
		rc = -1;
	lines_free(&l);
	fclose(fp);
	buf_free(&text);
	return rc;
}

void
srcuri_mirrors_free(struct srcuri_mirrors *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		free(m->names[i]);
		for (j = 0; m->urls[i] && m->urls[i][j]; j++)
			free(m->urls[i][j]);
		free(m->urls[i]);
	}
	free(m->names);
	free(m->urls);
	memset(m, 0, sizeof *m);
}

static size_t
name_hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of l->idx holding name, or the empty one where it goes. */
static size_t *
idx_slot(const struct srcuri_list *l, const char *name)
{
	size_t mask = l->idxcap - 1, i = name_hash(name) & mask;

	while (l->idx[i] && strcmp(l->v[l->idx[i] - 1].name, name))
		i = (i + 1) & mask;
	return &l->idx[i];
}

/* Indexes entry n-1, growing the index to stay at most half full. */
static int
idx_insert(struct srcuri_list *l)
{
	if (2 * l->n + 2 > l->idxcap) {
		size_t cap = l->idxcap ? 2 * l->idxcap : 64, i, *idx;

		while (cap < 2 * l->n + 2)
			cap *= 2;
		if (!(idx = calloc(cap, sizeof *idx)))
			return -1;
		free(l->idx);
		l->idx = idx;
		l->idxcap = cap;
		for (i = 0; i + 1 < l->n; i++)
			*idx_slot(l, l->v[i].name) = i + 1;
	}
	*idx_slot(l, l->v[l->n - 1].name) = l->n;
	return 0;
}

struct srcuri_file *
srcuri_find(const struct srcuri_list *l, const char *name)
{
	size_t *slot;

	if (!l->idx)
		return NULL;
	slot = idx_slot(l, name);
	return *slot ? &l->v[*slot - 1] : NULL;
}

static int
file_add_url(struct srcuri_file *f, const char *url)
{
	size_t i;
	char **v;

	for (i = 0; i < f->nurls; i++)
		if (!strcmp(f->urls[i], url))
			return 0;
	if (!(v = realloc(f->urls, (f->nurls + 1) * sizeof *v)))
		return -1;
	f->urls = v;
	if (!(v[f->nurls] = strdup(url)))
		return -1;
	f->nurls++;
	return 0;
}

int
srcuri_add(struct srcuri_list *l, const char *name, const char *url, const struct srcuri_mirrors *m,
	struct dk_err *e)
{
	struct srcuri_file *f = srcuri_find(l, name);
	size_t i, j;

	if (!f) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 16;
			struct srcuri_file *v = realloc(l->v, cap * sizeof *v);

			if (!v)
				return dk_syserrf(e, NULL, 0, "%s", name);
			l->v = v;
			l->cap = cap;
		}
		f = &l->v[l->n];
		memset(f, 0, sizeof *f);
		if (!(f->name = strdup(name)))
			return dk_syserrf(e, NULL, 0, "%s", name);
		l->n++;
		if (idx_insert(l) < 0) {
			free(f->name);
			l->n--;
			return dk_syserrf(e, NULL, 0, "%s", name);
		}
	}
	if (!url)
		return 0;
	/* PMS 8: fetch+ and mirror+ only lift RESTRICT; the URL is the rest. */
	if (!strncmp(url, "fetch+", 6) || !strncmp(url, "mirror+", 7))
		url = strchr(url, '+') + 1;
	if (!strncmp(url, "mirror://", 9)) {
		const char *mn = url + 9, *slash = strchr(mn, '/');
		size_t len = slash ? (size_t)(slash - mn) : strlen(mn);

		for (i = 0; m && i < m->n; i++) {
			if (strlen(m->names[i]) != len || strncmp(m->names[i], mn, len))
				continue;
			for (j = 0; m->urls[i][j]; j++) {
				const char *base = m->urls[i][j];
				size_t bl = strlen(base);
				char *u;

				while (bl > 0 && base[bl - 1] == '/')
					bl--;
				if (asprintf(&u, "%.*s/%s", (int)bl, base, slash ? slash + 1 : "") < 0)
					return dk_syserrf(e, NULL, 0, "%s", url);
				if (file_add_url(f, u) < 0) {
					free(u);
					return dk_syserrf(e, NULL, 0, "%s", url);
				}
				free(u);
			}
			return 0;
		}
		{
			char q1[DK_QUOTE_MAX], q2[DK_QUOTE_MAX];

			return dk_errf(e, NULL, 0, "unknown mirror '%s' in %s", dk_quote(q1, sizeof q1, mn, len),
				QUOTE(q2, url));
		}
	}
	if (file_add_url(f, url) < 0)
		return dk_syserrf(e, NULL, 0, "%s", url);
	return 0;
}

/* One word of the text, with the line it is on. */
struct tok {
	char *s;
	long line;
};

static int
valid_flag(const char *s, size_t n)
{
	size_t i;

	if (n && *s == '!')
		s++, n--;
	if (n == 0 || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("+_@-", s[i]))
			return 0;
	return 1;
}

/* PMS's URI schemes (fetch+ and mirror+ lift restrictions in EAPI 8);
 * file:// and the like would read the building host's files. */
static int
scheme_ok(const char *url)
{
	static const char *const ok[] = { "http://", "https://", "ftp://", "mirror://" };
	size_t i;

	if (!strncmp(url, "fetch+", 6) || !strncmp(url, "mirror+", 7))
		url = strchr(url, '+') + 1;
	for (i = 0; i < sizeof ok / sizeof *ok; i++)
		if (!strncmp(url, ok[i], strlen(ok[i])))
			return 1;
	return 0;
}

static const char *
url_basename(const char *url)
{
	const char *s = strrchr(url, '/');

	return s ? s + 1 : url;
}

static int
parse_into(struct srcuri_list *l, const char *text, const struct srcuri_mirrors *m,
	const char *file, long line, struct dk_err *e)
{
	struct tok *t = NULL;
	size_t nt = 0, cap = 0, i;
	long *open = NULL;	/* lines of the open groups */
	size_t depth = 0;
	const char *p = text;
	char q[DK_QUOTE_MAX];
	int rc = -1;

	/* Split at whitespace, counting lines for messages. */
	while (*p) {
		const char *s;

		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		for (s = p; *p && !isspace((unsigned char)*p); p++)
			;
		if (nt == cap) {
			struct tok *v = realloc(t, (cap = cap ? 2 * cap : 32) * sizeof *v);

			if (!v)
				goto nomem;
			t = v;
		}
		if (!(t[nt].s = strndup(s, (size_t)(p - s))))
			goto nomem;
		t[nt++].line = line;
	}
	if (!(open = calloc(nt + 1, sizeof *open)))
		goto nomem;
	for (i = 0; i < nt; i++) {
		const char *s = t[i].s;
		size_t n = strlen(s);

		if (!strcmp(s, "(")) {
			open[depth++] = t[i].line;
		} else if (!strcmp(s, ")")) {
			if (depth == 0) {
				dk_errf(e, file, t[i].line, "SRC_URI: ')' without '('");
				goto out;
			}
			depth--;
		} else if (n > 1 && s[n - 1] == '?') {
			if (!valid_flag(s, n - 1)) {
				dk_errf(e, file, t[i].line, "SRC_URI: bad USE conditional '%s'", QUOTE(q, s));
				goto out;
			}
			if (i + 1 == nt || strcmp(t[i + 1].s, "(")) {
				dk_errf(e, file, t[i].line, "SRC_URI: '%s' not followed by '('", QUOTE(q, s));
				goto out;
			}
			/* every branch is taken: the group just follows */
		} else if (!strcmp(s, "||") || !strcmp(s, "^^") || !strcmp(s, "??")) {
			dk_errf(e, file, t[i].line, "SRC_URI: '%s' groups are not allowed", QUOTE(q, s));
			goto out;
		} else if (!strcmp(s, "->")) {
			dk_errf(e, file, t[i].line, "SRC_URI: '->' without a URL before it");
			goto out;
		} else if (strpbrk(s, "()") || s[n - 1] == '?') {
			dk_errf(e, file, t[i].line, "SRC_URI: unknown syntax '%s' (groups and conditionals need spaces)",
				QUOTE(q, s));
			goto out;
		} else if (strstr(s, "://")) {
			const char *name = url_basename(s);

			if (!scheme_ok(s)) {
				dk_errf(e, file, t[i].line, "SRC_URI: '%s' is no scheme PMS allows"
					" (http, https, ftp, mirror)", dk_quote(q, sizeof q, s, (size_t)(strstr(s, "://") - s)));
				goto out;
			}

			if (i + 1 < nt && !strcmp(t[i + 1].s, "->")) {
				if (i + 2 == nt || strchr(t[i + 2].s, '/') || strpbrk(t[i + 2].s, "()")
				    || t[i + 2].s[strlen(t[i + 2].s) - 1] == '?') {
					dk_errf(e, file, t[i + 1].line, "SRC_URI: '->' must be followed by a file name");
					goto out;
				}
				name = t[i + 2].s;
				i += 2;
			}
			if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
				dk_errf(e, file, t[i].line, "SRC_URI: no file name in '%s'", QUOTE(q, s));
				goto out;
			}
			if (srcuri_add(l, name, s, m, e) < 0) {
				char msg[sizeof e->msg];

				if (e) {
					snprintf(msg, sizeof msg, "SRC_URI: %.900s", e->msg);
					dk_errf(e, file, t[i].line, "%s", msg);
				}
				goto out;
			}
		} else if (strchr(s, '/')) {
			dk_errf(e, file, t[i].line, "SRC_URI: '%s' is neither a URL nor a file name", QUOTE(q, s));
			goto out;
		} else if (srcuri_add(l, s, NULL, m, e) < 0) {
			goto out;
		}
	}
	if (depth > 0) {
		dk_errf(e, file, open[depth - 1], "SRC_URI: unterminated group: '(' has no ')'");
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	dk_syserrf(e, file, line, "SRC_URI");
out:
	for (i = 0; i < nt; i++)
		free(t[i].s);
	free(t);
	free(open);
	return rc;
}

int
srcuri_parse(struct srcuri_list *l, const char *text, const struct srcuri_mirrors *m,
	const char *file, long line, struct dk_err *e)
{
	struct srcuri_list tmp = { 0 };
	size_t i, j;
	int rc = -1;

	/* into a list of its own first: a failed parse adds nothing to l */
	if (parse_into(&tmp, text, m, file, line, e) < 0)
		goto out;
	for (i = 0; i < tmp.n; i++) {
		if (srcuri_add(l, tmp.v[i].name, NULL, NULL, e) < 0)
			goto out;
		for (j = 0; j < tmp.v[i].nurls; j++)
			if (srcuri_add(l, tmp.v[i].name, tmp.v[i].urls[j], NULL, e) < 0)
				goto out;
	}
	rc = 0;
out:
	srcuri_free(&tmp);
	return rc;
}

int
srcuri_format(const struct srcuri_list *l, struct buf *out)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		if (buf_adds(out, l->v[i].name) < 0)
			return -1;
		for (j = 0; j < l->v[i].nurls; j++)
			if (buf_addc(out, ' ') < 0 || buf_adds(out, l->v[i].urls[j]) < 0)
				return -1;
		if (buf_addc(out, '\n') < 0)
			return -1;
	}
	return 0;
}

void
srcuri_free(struct srcuri_list *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < l->v[i].nurls; j++)
			free(l->v[i].urls[j]);
		free(l->v[i].urls);
		free(l->v[i].name);
	}
	free(l->v);
	free(l->idx);
	memset(l, 0, sizeof *l);
}
