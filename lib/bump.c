/* dk: the edits a version bump makes to a copied ebuild. GPL-2.0-only.
 * The keyword and copyright edits are line based on purpose: they
 * reproduce what gentoolkit's ekeyword and copybump do today, so a bump
 * made with dk gives the same file as one made with those tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bump.h"
#include "ebuild.h"

/* A keyword set: distinct words, as ekeyword's Python set. */
struct kwset {
	char **w;
	size_t n, cap;
};

static int
kw_has(const struct kwset *s, const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->w[i]) == len && !memcmp(s->w[i], w, len))
			return 1;
	return 0;
}

static int
kw_add(struct kwset *s, const char *w, size_t len)
{
	char **nw, *d;

	if (kw_has(s, w, len))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		if (!(nw = realloc(s->w, cap * sizeof *nw)))
			return -1;
		s->w = nw;
		s->cap = cap;
	}
	if (!(d = malloc(len + 1)))
		return -1;
	memcpy(d, w, len);
	d[len] = '\0';
	s->w[s->n++] = d;
	return 0;
}

static void
kw_del(struct kwset *s, const char *w)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->w[i], w)) {
			free(s->w[i]);
			s->w[i] = s->w[--s->n];
			return;
		}
}

static void
kw_free(struct kwset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->w[i]);
	free(s->w);
	memset(s, 0, sizeof *s);
}

static int
kw_equal(const struct kwset *a, const struct kwset *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!kw_has(b, a->w[i], strlen(a->w[i])))
			return 0;
	return 1;
}

/* ekeyword's keyword_to_arch: the word without its leading ~ and -. */
static const char *
kw_arch(const char *w)
{
	while (*w == '~' || *w == '-')
		w++;
	return w;
}

/* Python's str.split() separators that can occur in a line. */
static int
py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int
glob_rank(const char *w)
{
	if (!strcmp(w, "-*"))
		return 0;
	if (!strcmp(w, "*"))
		return 1;
	if (!strcmp(w, "~*"))
		return 2;
	return 3;
}

/* ekeyword's sort_keywords: the globs -* * ~* first, then by the part
 * after the first "-" of the bare arch, then the arch before it. Python
 * leaves equal keys (amd64, -amd64) in set order; we break the tie by the
 * word, so the output does not depend on anything random. */
static int
kw_cmp(const void *pa, const void *pb)
{
	const char *a = *(char *const *)pa, *b = *(char *const *)pb;
	const char *aa = kw_arch(a), *ba = kw_arch(b);
	const char *ad = strchr(aa, '-'), *bd = strchr(ba, '-');
	const char *ap = ad ? ad + 1 : "", *bp = bd ? bd + 1 : "";
	size_t al = ad ? (size_t)(ad - aa) : strlen(aa);
	size_t bl = bd ? (size_t)(bd - ba) : strlen(ba);
	int r;

	if ((r = glob_rank(a) - glob_rank(b)) != 0)
		return r;
	if ((r = strcmp(ap, bp)) != 0)
		return r;
	if ((r = memcmp(aa, ba, al < bl ? al : bl)) != 0)
		return r;
	if (al != bl)
		return al < bl ? -1 : 1;
	return strcmp(a, b);
}

static int
word_char(unsigned char c)
{
	/* Python's \b is Unicode-aware: take every non-ASCII byte as part
	 * of a word, as letters of names are. */
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Matches ekeyword's ^([^#]*\bKEYWORDS=)(['"])(.*)(\2)(.*) on the line
 * s[0..n) (no newline): the greedy [^#]* takes the last KEYWORDS= before
 * any '#' that the rest can match, the greedy (.*) runs to the last
 * quote. Sets *open to the opening quote, *close to the closing one. */
static int
kw_match(const char *s, size_t n, size_t *open, size_t *close)
{
	const char *hash = memchr(s, '#', n);
	size_t lim = hash ? (size_t)(hash - s) : n, p, q;

	for (p = lim + 1; p-- > 0;) {
		if (p + 9 >= n || memcmp(s + p, "KEYWORDS=", 9) != 0)
			continue;
		if (p > 0 && word_char((unsigned char)s[p - 1]))
			continue;
		if (s[p + 9] != '"' && s[p + 9] != '\'')
			continue;
		for (q = n; q-- > p + 10;)
			if (s[q] == s[p + 9]) {
				*open = p + 9;
				*close = q;
				return 1;
			}
	}
	return 0;
}

/* Appends the line s[0..n) (no newline), rewritten when it holds
 * keywords that ~all changes. */
static int
kw_line(const char *s, size_t n, struct buf *out)
{
	struct kwset old = { 0 }, new = { 0 };
	size_t open, close, i, j, k;
	char **arches = NULL;
	size_t narches = 0;
	int rc = -1;

	if (!kw_match(s, n, &open, &close))
		return buf_add(out, s, n);
	for (i = open + 1; i < close;) {
		while (i < close && py_space((unsigned char)s[i]))
			i++;
		for (j = i; j < close && !py_space((unsigned char)s[j]); j++)
			;
		if (j > i && (kw_add(&old, s + i, j - i) < 0 || kw_add(&new, s + i, j - i) < 0))
			goto out;
		i = j;
	}
	/* The arches to mark: every one present, except the glob and those
	 * explicitly disabled with -arch, decided on the old set. */
	if (old.n && !(arches = calloc(old.n, sizeof *arches)))
		goto out;
	for (i = 0; i < old.n; i++) {
		const char *a = kw_arch(old.w[i]);
		size_t al = strlen(a);
		char *minus;
		int dup = 0;

		for (k = 0; k < narches; k++)
			dup |= !strcmp(arches[k], a);
		if (dup || !strcmp(a, "*"))
			continue;
		if (!(minus = malloc(al + 2)))
			goto out;
		minus[0] = '-';
		memcpy(minus + 1, a, al + 1);
		dup = kw_has(&old, minus, al + 1);
		free(minus);
		if (!dup)
			arches[narches++] = (char *)a;
	}
	for (k = 0; k < narches; k++) {
		const char *a = arches[k];
		size_t al = strlen(a);
		char *w = malloc(al + 2);

		if (!w)
			goto out;
		kw_del(&new, a);
		w[0] = '~';
		memcpy(w + 1, a, al + 1);
		kw_del(&new, w);
		w[0] = '-';
		kw_del(&new, w);
		w[0] = '~';
		if (kw_add(&new, w, al + 1) < 0) {
			free(w);
			goto out;
		}
		free(w);
	}
	if (kw_equal(&old, &new)) {
		rc = buf_add(out, s, n);
		goto out;
	}
	qsort(new.w, new.n, sizeof *new.w, kw_cmp);
	if (buf_add(out, s, open) < 0 || buf_addc(out, '"') < 0)
		goto out;
	for (i = 0; i < new.n; i++)
		if ((i && buf_addc(out, ' ') < 0) || buf_adds(out, new.w[i]) < 0)
			goto out;
	if (buf_addc(out, '"') < 0 || buf_add(out, s + close + 1, n - close - 1) < 0)
		goto out;
	rc = 0;
out:
	free(arches);
	kw_free(&old);
	kw_free(&new);
	return rc;
}

int
bump_keywords_testing(const char *text, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		if (kw_line(text + i, n, out) < 0 || (nl && buf_addc(out, '\n') < 0))
			return -1;
		i += n + (nl != NULL);
	}
	return 0;
}

static const char *
find(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w), i;

	for (i = 0; i + wl <= n; i++)
		if (!memcmp(s + i, w, wl))
			return s + i;
	return NULL;
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The last " YYYY" (with want, the last " want-want") at or after
 * "Copyright " on line s[0..n): where the greedy "Copyright.* " of
 * copybump's expressions stops. Returns its offset or -1. */
static long
last_year(const char *s, size_t n, const char *want)
{
	const char *c = find(s, n, "Copyright");
	size_t need = want ? 10 : 5, p;

	if (!c)
		return -1;
	for (p = n; p-- > (size_t)(c - s) + 9;) {
		if (p + need > n || s[p] != ' ')
			continue;
		if (!want && digits(s + p + 1, 4))
			return (long)p;
		if (want && !memcmp(s + p + 1, want, 4) && s[p + 5] == '-' &&
		    !memcmp(s + p + 6, want, 4))
			return (long)p;
	}
	return -1;
}

int
bump_copyright(const char *text, size_t len, const char *year, struct buf *out)
{
	const char *nl = memchr(text, '\n', len), *f;
	size_t n = nl ? (size_t)(nl - text) : len, end, skip;
	struct buf a = { 0 }, b = { 0 };
	long p;
	int rc = -1;

	/* 1s:(Copyright.* [0-9]{4})(-[0-9]{4})?:\1-YEAR: */
	if ((p = last_year(text, n, NULL)) >= 0) {
		end = (size_t)p + 5;
		skip = end + 5 <= n && text[end] == '-' && digits(text + end + 1, 4) ? end + 5 : end;
		if (buf_add(&a, text, end) < 0 || buf_addc(&a, '-') < 0 ||
		    buf_add(&a, year, 4) < 0 || buf_add(&a, text + skip, n - skip) < 0)
			goto out;
	} else if (buf_add(&a, text, n) < 0)
		goto out;
	/* 1s:(Copyright.* YEAR)-YEAR:\1: */
	if ((p = last_year(buf_str(&a), a.len, year)) >= 0) {
		if (buf_add(&b, a.s, (size_t)p + 5) < 0 ||
		    buf_add(&b, a.s + p + 10, a.len - (size_t)p - 10) < 0)
			goto out;
	} else if (buf_add(&b, buf_str(&a), a.len) < 0)
		goto out;
	/* 1s:Gentoo Foundation:Gentoo Authors: */
	if ((f = find(buf_str(&b), b.len, "Gentoo Foundation"))) {
		size_t at = (size_t)(f - b.s);

		if (buf_add(out, b.s, at) < 0 || buf_adds(out, "Gentoo Authors") < 0 ||
		    buf_add(out, b.s + at + 17, b.len - at - 17) < 0)
			goto out;
	} else if (buf_add(out, buf_str(&b), b.len) < 0)
		goto out;
	rc = buf_add(out, text + n, len - n);
out:
	buf_free(&a);
	buf_free(&b);
	return rc;
}

static int
sha_date(const struct ebuild *eb, const char *date, struct buf *out, struct dk_err *e)
{
	char set[64];
	char *settings[1] = { set };

	if (!bump_date_valid(date))
		return dk_errf(e, NULL, 0, "%s: not a date (YYYYMMDD)", date);
	if (!ebuild_find(eb, "SHA256SUM_DATE"))
		return buf_add(out, eb->text, eb->len) < 0 ?
		    dk_syserrf(e, eb->path, 0, "cannot copy") : 0;
	snprintf(set, sizeof set, "SHA256SUM_DATE=%s", date);
	return ebuild_set(eb, settings, 1, out, e);
}

int
bump_sha256sum_date(const char *path, const char *text, size_t len, const char *date, struct buf *out, struct dk_err *e)
{
	struct ebuild eb;
	int rc;

	if (ebuild_parse(&eb, path, text, len, e) < 0)
		return -1;
	rc = sha_date(&eb, date, out, e);
	ebuild_free(&eb);
	return rc;
}

/* The line of text's first NUL byte, or 0 when there is none. */
static long
nul_line(const char *text, size_t len)
{
	const char *z = memchr(text, '\0', len), *p;
	long line = 1;

	if (!z)
		return 0;
	for (p = text; p < z; p++)
		line += *p == '\n';
	return line;
}

int
bump_ebuild(const char *path, const char *text, size_t len, const struct bump_opts *o, struct buf *out, struct dk_err *e)
{
	struct ebuild eb;
	struct buf a = { 0 }, b = { 0 };
	const char *cur;
	size_t curlen;
	long line;
	int rc = -1;

	if (len == 0)
		return dk_errf(e, path, 0, "empty input: not an ebuild");
	if ((line = nul_line(text, len)) > 0)
		return dk_errf(e, path, line, "NUL byte: binary data, not an ebuild");
	if (ebuild_parse(&eb, path, text, len, e) < 0)
		return -1;
	cur = text;
	curlen = len;
	if (o->date) {
		if (sha_date(&eb, o->date, &a, e) < 0)
			goto out;
		cur = buf_str(&a);
		curlen = a.len;
	}
	if (!o->keep_keywords) {
		if (bump_keywords_testing(cur, curlen, &b) < 0)
			goto nomem;
		cur = buf_str(&b);
		curlen = b.len;
	}
	if (o->year) {
		if (bump_copyright(cur, curlen, o->year, out) < 0)
			goto nomem;
	} else if (buf_add(out, cur, curlen) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	dk_syserrf(e, path, 0, "cannot edit");
out:
	ebuild_free(&eb);
	buf_free(&a);
	buf_free(&b);
	return rc;
}

int
bump_year_valid(const char *s)
{
	return strlen(s) == 4 && digits(s, 4);
}

int
bump_date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 8 || !digits(s, 8))
		return 0;
	y = atoi((char[]){ s[0], s[1], s[2], s[3], 0 });
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}
