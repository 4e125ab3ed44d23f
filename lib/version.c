/* dk: Gentoo package versions (PMS 3.2-3.3). GPL-2.0-only. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

/* Suffix order of PMS 3.3: _alpha < _beta < _pre < _rc < none < _p. */
static const char *const suffixes[] = { "alpha", "beta", "pre", "rc", "p" };
enum { SUF_NONE = 4 };	/* rank of "no suffix": between rc (3) and p (5) */

struct ver {
	const char *num[64];	/* numeric components: start, length */
	size_t numlen[64];
	size_t nnum;
	char letter;
	int suf[16];		/* ranks: alpha 0, beta 1, pre 2, rc 3, p 5 */
	const char *sufnum[16];
	size_t sufnumlen[16];
	size_t nsuf;
	const char *rev;
	size_t revlen;
};

static size_t
digits(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n;
}

static int
parse(const char *s, struct ver *v)
{
	size_t n, i;

	memset(v, 0, sizeof *v);
	for (;;) {
		if (!(n = digits(s)) || v->nnum == 64)
			return -1;
		v->num[v->nnum] = s;
		v->numlen[v->nnum++] = n;
		s += n;
		if (*s != '.')
			break;
		s++;
	}
	if (*s >= 'a' && *s <= 'z')
		v->letter = *s++;
	while (*s == '_') {
		s++;
		for (i = 0; i < 5; i++)
			if (!strncmp(s, suffixes[i], strlen(suffixes[i])))
				break;
		/* "pre" and "p" share a prefix: prefer the longer match */
		if (i == 4 || i == 5) {
			if (!strncmp(s, "pre", 3))
				i = 2;
		}
		if (i == 5 || v->nsuf == 16)
			return -1;
		s += strlen(suffixes[i]);
		v->suf[v->nsuf] = i == 4 ? 5 : (int)i;
		v->sufnum[v->nsuf] = s;
		n = digits(s);
		v->sufnumlen[v->nsuf++] = n;
		s += n;
	}
	if (s[0] == '-' && s[1] == 'r') {
		if (!(n = digits(s + 2)))
			return -1;
		v->rev = s + 2;
		v->revlen = n;
		s += 2 + n;
	}
	return *s ? -1 : 0;
}

/* Compares decimal digit strings of any length as integers. */
static int
cmpint(const char *a, size_t an, const char *b, size_t bn)
{
	int c;

	while (an > 1 && *a == '0')
		a++, an--;
	while (bn > 1 && *b == '0')
		b++, bn--;
	if (an == 0 || bn == 0)	/* absent counts as 0 */
		return (an && !(an == 1 && *a == '0')) - (bn && !(bn == 1 && *b == '0'));
	if (an != bn)
		return an < bn ? -1 : 1;
	c = memcmp(a, b, an);
	return (c > 0) - (c < 0);
}

/* PMS 3.3 algorithm 3.3: a component with a leading zero compares as a
 * string with trailing zeros stripped. */
static int
cmpfrac(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n;
	int c;

	if (*a != '0' && *b != '0')
		return cmpint(a, an, b, bn);
	while (an && a[an - 1] == '0')
		an--;
	while (bn && b[bn - 1] == '0')
		bn--;
	n = an < bn ? an : bn;
	c = memcmp(a, b, n);
	if (c)
		return (c > 0) - (c < 0);
	return (an > bn) - (an < bn);
}

int
version_valid(const char *s)
{
	struct ver v;

	return parse(s, &v) == 0;
}

int
version_cmp(const char *a, const char *b)
{
	struct ver va, vb;
	size_t i;
	int c;

	if (parse(a, &va) < 0 || parse(b, &vb) < 0) {
		if (parse(a, &va) == 0)
			return -1;
		if (parse(b, &vb) == 0)
			return 1;
		c = strcmp(a, b);
		return (c > 0) - (c < 0);
	}
	if ((c = cmpint(va.num[0], va.numlen[0], vb.num[0], vb.numlen[0])))
		return c;
	for (i = 1; i < va.nnum && i < vb.nnum; i++)
		if ((c = cmpfrac(va.num[i], va.numlen[i], vb.num[i], vb.numlen[i])))
			return c;
	if (va.nnum != vb.nnum)
		return va.nnum < vb.nnum ? -1 : 1;
	if (va.letter != vb.letter)
		return va.letter < vb.letter ? -1 : 1;
	for (i = 0; i < va.nsuf && i < vb.nsuf; i++) {
		if (va.suf[i] != vb.suf[i])
			return va.suf[i] < vb.suf[i] ? -1 : 1;
		if ((c = cmpint(va.sufnum[i], va.sufnumlen[i], vb.sufnum[i], vb.sufnumlen[i])))
			return c;
	}
	if (va.nsuf > vb.nsuf)
		return va.suf[i] == 5 ? 1 : -1;
	if (vb.nsuf > va.nsuf)
		return vb.suf[i] == 5 ? -1 : 1;
	return cmpint(va.rev ? va.rev : "", va.revlen, vb.rev ? vb.rev : "", vb.revlen);
}

int
version_split_pf(const char *pf, char **pn, char **pv, char **pr)
{
	const char *p, *rev;
	size_t pvlen;

	*pn = *pv = *pr = NULL;
	/* PMS 3.1.2: a PN never ends in a hyphen and a valid version, so the
	 * first hyphen followed by a valid version starts it. */
	for (p = strchr(pf, '-'); p; p = strchr(p + 1, '-')) {
		if (!isdigit((unsigned char)p[1]) || !version_valid(p + 1) || p == pf)
			continue;
		rev = strstr(p + 1, "-r");
		pvlen = rev ? (size_t)(rev - p - 1) : strlen(p + 1);
		*pn = strndup(pf, (size_t)(p - pf));
		*pv = strndup(p + 1, pvlen);
		*pr = strdup(rev ? rev + 1 : "r0");
		if (!*pn || !*pv || !*pr) {
			free(*pn), free(*pv), free(*pr);
			*pn = *pv = *pr = NULL;
			return -1;
		}
		return 0;
	}
	return -1;
}

char *
version_strip_rev(const char *v)
{
	const char *r = strstr(v, "-r");

	return strndup(v, r ? (size_t)(r - v) : strlen(v));
}
