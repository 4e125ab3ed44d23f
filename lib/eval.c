/* dk: the ebuild evaluator: the values bash would give the global
 * variables of an ebuild, for the expansions ebuilds use, without running
 * anything. What it cannot evaluate is an error, never a guess.
 * GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebuild.h"
#include "version.h"

#ifndef FNM_EXTMATCH
#define FNM_EXTMATCH 0
#endif

enum { M_DQ = 1, M_PAT = 2 };	/* inside double quotes; building a pattern */

struct ev {
	const struct ebuild *eb;
	const struct ebuild_env *env;
	const char *start_name, *start_val;	/* ebuild_eval_with */
	struct dk_err *e;
	int depth;
};

static int expand(struct ev *ev, const char *s, size_t from, size_t to, int mode, size_t pos, struct buf *out);
static int var_value(struct ev *ev, const char *name, size_t pos, struct buf *out, int *set, int whole);

static long
line_at(const struct ev *ev, size_t pos)
{
	long line = 1;

	if (pos > ev->eb->len)
		return 0;
	for (size_t k = 0; k < pos; k++)
		line += ev->eb->text[k] == '\n';
	return line;
}

/* An error at pos of the file, quoting the construct s[a..b). */
static int
everr(struct ev *ev, size_t pos, const char *what, const char *s, size_t a, size_t b)
{
	int n = (int)(b - a > 80 ? 80 : b - a);

	return dk_errf(ev->e, ev->eb->path, line_at(ev, pos), "cannot evaluate %.*s%s: %s",
		n, s + a, b - a > 80 ? "..." : "", what);
}

/* ---- environment ---- */

int
ebuild_env_set(struct ebuild_env *env, const char *name, const char *value)
{
	char *v;

	for (size_t k = 0; k < env->n; k++)
		if (!strcmp(env->names[k], name)) {
			if (!(v = strdup(value)))
				return -1;
			free(env->values[k]);
			env->values[k] = v;
			return 0;
		}
	if (env->n == env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 16;
		char **a = realloc(env->names, cap * sizeof *a), **b;

		if (!a)
			return -1;
		env->names = a;
		if (!(b = realloc(env->values, cap * sizeof *b)))
			return -1;
		env->values = b;
		env->cap = cap;
	}
	if (!(env->names[env->n] = strdup(name)))
		return -1;
	if (!(env->values[env->n] = strdup(value))) {
		free(env->names[env->n]);
		return -1;
	}
	env->n++;
	return 0;
}

const char *
ebuild_env_get(const struct ebuild_env *env, const char *name)
{
	for (size_t k = 0; env && k < env->n; k++)
		if (!strcmp(env->names[k], name))
			return env->values[k];
	return NULL;
}

void
ebuild_env_free(struct ebuild_env *env)
{
	for (size_t k = 0; k < env->n; k++) {
		free(env->names[k]);
		free(env->values[k]);
	}
	free(env->names);
	free(env->values);
	memset(env, 0, sizeof *env);
}

int
ebuild_env_pms(struct ebuild_env *env, const char *category, const char *pf, struct dk_err *e)
{
	char *pn, *pv, *pr, *p = NULL, *pvr = NULL;
	int r = -1;

	if (version_split_pf(pf, &pn, &pv, &pr) < 0)
		return dk_errf(e, NULL, 0, "%s: not a package name and version (PN-PV[-rN])", pf);
	if (asprintf(&p, "%s-%s", pn, pv) < 0 || asprintf(&pvr, "%s%s%s", pv,
	    strcmp(pr, "r0") ? "-" : "", strcmp(pr, "r0") ? pr : "") < 0) {
		dk_syserrf(e, NULL, 0, "%s", pf);
		goto done;
	}
	if (ebuild_env_set(env, "PN", pn) < 0 || ebuild_env_set(env, "PV", pv) < 0 ||
	    ebuild_env_set(env, "PR", pr) < 0 || ebuild_env_set(env, "P", p) < 0 ||
	    ebuild_env_set(env, "PVR", pvr) < 0 || ebuild_env_set(env, "PF", pf) < 0 ||
	    (category && ebuild_env_set(env, "CATEGORY", category) < 0)) {
		dk_syserrf(e, NULL, 0, "%s", pf);
		goto done;
	}
	r = 0;
done:
	free(pn), free(pv), free(pr), free(p), free(pvr);
	return r;
}

int
ebuild_env_from_path(struct ebuild_env *env, const char *path, struct dk_err *e)
{
	char *copy = strdup(path), *base, *dot, *slash, *cat = NULL;
	int r;

	if (!copy)
		return dk_syserrf(e, path, 0, "cannot read");
	base = (slash = strrchr(copy, '/')) ? slash + 1 : copy;
	if (!(dot = strrchr(base, '.')) || strcmp(dot, ".ebuild")) {
		free(copy);
		return dk_errf(e, path, 0, "not an ebuild file name (PN-PV.ebuild)");
	}
	*dot = '\0';
	/* CATEGORY is two directories up: CAT/PN/PF.ebuild */
	if (slash) {
		*slash = '\0';
		if ((slash = strrchr(copy, '/'))) {
			*slash = '\0';
			cat = (slash = strrchr(copy, '/')) ? slash + 1 : copy;
			if (!*cat || !strcmp(cat, ".") || !strcmp(cat, ".."))
				cat = NULL;
		}
	}
	r = ebuild_env_pms(env, cat, base, e);
	if (r < 0)
		dk_errf(e, path, 0, "not an ebuild file name (PN-PV.ebuild)");
	free(copy);
	return r;
}

/* ---- PMS version functions ---- */

/* A version split as eapi7-ver.eclass does: pairs (separator, component),
 * components being runs of digits or of letters; "1.2." ends with the pair
 * (".", ""). comp[2k] is the separator before component k+1. */
struct vcomp {
	char **comp;
	size_t n;	/* 2 * pairs */
};

static void
vfree(struct vcomp *c)
{
	for (size_t k = 0; k < c->n; k++)
		free(c->comp[k]);
	free(c->comp);
}

static int
vsplit(const char *v, struct vcomp *c)
{
	size_t len = strlen(v), i = 0;

	c->comp = NULL;
	c->n = 0;
	while (i < len) {
		size_t s0 = i, c0;
		char **p;

		while (i < len && !isalnum((unsigned char)v[i]))
			i++;
		c0 = i;
		if (i < len && isdigit((unsigned char)v[i]))
			while (i < len && isdigit((unsigned char)v[i]))
				i++;
		else
			while (i < len && isalpha((unsigned char)v[i]))
				i++;
		if (!(p = realloc(c->comp, (c->n + 2) * sizeof *p)))
			return -1;
		c->comp = p;
		c->comp[c->n] = strndup(v + s0, c0 - s0);
		c->comp[c->n + 1] = strndup(v + c0, i - c0);
		c->n += 2;
		if (!c->comp[c->n - 2] || !c->comp[c->n - 1])
			return -1;
	}
	return 0;
}

/* eapi7-ver's range "N", "N-" or "N-M" into [start, end], end capped at
 * max; an end before the start is an error (-1). */
static int
vrange(const char *r, size_t max, size_t *start, size_t *end)
{
	char *e;
	unsigned long x, y;

	if (!isdigit((unsigned char)*r))
		return -1;
	x = strtoul(r, &e, 10);
	if (*e == '\0')
		y = x;
	else if (*e == '-' && e[1] == '\0')
		y = max;
	else if (*e == '-' && isdigit((unsigned char)e[1])) {
		y = strtoul(e + 1, &e, 10);
		if (*e || y < x)
			return -1;
		if (y > max)
			y = max;
	} else
		return -1;
	*start = x, *end = y;
	return 0;
}

static int
ver_cut(const char *range, const char *v, struct buf *out)
{
	struct vcomp c;
	size_t a, b, from;
	int r = -1;

	if (vsplit(v, &c) < 0)
		goto done;
	if (vrange(range, c.n / 2, &a, &b) < 0)
		goto done;
	if (a > b) {	/* a single N past the end */
		r = 0;
		goto done;
	}
	from = a > 0 ? 2 * a - 1 : 0;
	for (size_t k = from; k < 2 * b && k < c.n; k++)
		buf_adds(out, c.comp[k]);
	r = 0;
done:
	vfree(&c);
	return r;
}

/* ver_rs RANGE REPL [RANGE REPL…] [VERSION]: separators 0..n (0 the
 * leading one) replaced where present. */
static int
ver_rs(char **argv, size_t argc, const char *pv, struct buf *out)
{
	struct vcomp c;
	const char *v = argc % 2 ? argv[argc - 1] : pv;
	size_t a, b, k;
	int r = -1;

	if (vsplit(v, &c) < 0)
		goto done;
	for (k = 0; k + 1 < argc; k += 2) {
		if (vrange(argv[k], c.n / 2 ? c.n / 2 - 1 : 0, &a, &b) < 0)
			goto done;
		for (size_t i = a; i <= b && 2 * i < c.n; i++) {
			char *rep;

			if (!c.comp[2 * i][0])
				continue;
			if (!(rep = strdup(argv[k + 1])))
				goto done;
			free(c.comp[2 * i]);
			c.comp[2 * i] = rep;
		}
	}
	for (k = 0; k < c.n; k++)
		buf_adds(out, c.comp[k]);
	r = 0;
done:
	vfree(&c);
	return r;
}

/* ---- patterns ---- */

static int
match(const char *pat, const char *s, size_t n)
{
	char *t = strndup(s, n);
	int r;

	if (!t)
		return 0;
	r = fnmatch(pat, t, FNM_EXTMATCH) == 0;
	free(t);
	return r;
}

/* ${v%p} ${v%%p} ${v#p} ${v##p} */
static int
trim(const char *v, const char *pat, int suffix, int longest, struct buf *out)
{
	size_t len = strlen(v), i;

	if (suffix) {
		for (i = 0; i <= len; i++) {
			size_t at = longest ? i : len - i;

			if (match(pat, v + at, len - at))
				return buf_add(out, v, at);
		}
	} else {
		for (i = 0; i <= len; i++) {
			size_t n = longest ? len - i : i;

			if (match(pat, v, n))
				return buf_adds(out, v + n);
		}
	}
	return buf_adds(out, v);
}

/* ${v/p/r} ${v//p/r} ${v/#p/r} ${v/%p/r} */
static int
replace(const char *v, const char *pat, const char *rep, char how, struct buf *out)
{
	size_t len = strlen(v), i = 0, j;
	int done = 0;

	if (!*pat) {
		/* an empty pattern matches only where it is anchored */
		if (how == '#')
			buf_adds(out, rep);
		buf_adds(out, v);
		if (how == '%')
			buf_adds(out, rep);
		return 0;
	}

	while (i <= len) {
		int found = 0;

		if (!(done && how != '/') && !(how == '#' && i > 0)) {
			for (j = len + 1; j-- > i;) {
				if (how == '%' && j != len)
					break;
				if (match(pat, v + i, j - i) && (j > i || *pat == '\0')) {
					if (j == i && !*pat)
						break;
					buf_adds(out, rep);
					found = 1;
					done = 1;
					i = j;
					break;
				}
			}
		}
		if (!found) {
			if (i < len)
				buf_addc(out, v[i]);
			i++;
		} else if (how != '/') {
			buf_adds(out, v + i);
			return 0;
		}
	}
	return 0;
}

/* ---- arithmetic ---- */

struct arith {
	struct ev *ev;
	const char *s;
	size_t i, n, pos;
	int err;
	int noeval;	/* the side && || ?: do not take: no errors, no lookups */
	int depth;
};

static long long a_expr(struct arith *a);

static void
a_blank(struct arith *a)
{
	while (a->i < a->n && isspace((unsigned char)a->s[a->i]))
		a->i++;
}

static int
a_op(struct arith *a, const char *op)
{
	size_t l = strlen(op);

	a_blank(a);
	if (a->i + l <= a->n && !memcmp(a->s + a->i, op, l)) {
		/* "<" must not eat "<<" or "<=", "&" not "&&" … */
		if (l == 1 && a->i + 1 < a->n && strchr("<>&|=", op[0]) && a->s[a->i + 1] == op[0])
			return 0;
		if (l == 1 && a->i + 1 < a->n && strchr("<>!=", op[0]) && a->s[a->i + 1] == '=')
			return 0;
		a->i += l;
		return 1;
	}
	return 0;
}

static long long
a_fail(struct arith *a, const char *why)
{
	if (!a->err)
		everr(a->ev, a->pos, why, a->s, 0, a->n);
	a->err = 1;
	return 0;
}

/* Two's complement wrap-around, as bash computes, without C's undefined
 * signed overflow. */
static long long
wrap(unsigned long long v)
{
	return v > (unsigned long long)LLONG_MAX ? -(long long)(~v) - 1 : (long long)v;
}

static long long
a_unary(struct arith *a)
{
	long long v;

	a_blank(a);
	if (a->i >= a->n)
		return a_fail(a, "arithmetic expression ends early");
	if (++a->depth > 256) {
		a->depth--;
		return a_fail(a, "arithmetic nested too deep");
	}
	if (a_op(a, "(")) {
		v = a_expr(a);
		if (!a_op(a, ")"))
			v = a_fail(a, "missing ) in arithmetic");
	} else if (a_op(a, "-")) {
		v = wrap(0ULL - (unsigned long long)a_unary(a));
	} else if (a_op(a, "+")) {
		v = a_unary(a);
	} else if (a_op(a, "!")) {
		v = !a_unary(a);
	} else if (a_op(a, "~")) {
		v = ~a_unary(a);
	} else if (isdigit((unsigned char)a->s[a->i])) {
		char *end;
		char num[64];
		size_t k = 0;

		while (a->i < a->n && isalnum((unsigned char)a->s[a->i]) && k < sizeof num - 1)
			num[k++] = a->s[a->i++];
		num[k] = '\0';
		errno = 0;
		v = strtoll(num, &end, 0);
		if (*end || errno)
			v = a_fail(a, "bad number in arithmetic");
	} else if (isalpha((unsigned char)a->s[a->i]) || a->s[a->i] == '_') {
		size_t st = a->i, ne;
		char name[128];
		struct buf b = { 0 };
		int set = 0;

		while (a->i < a->n && (isalnum((unsigned char)a->s[a->i]) || a->s[a->i] == '_'))
			a->i++;
		ne = a->i;
		a_blank(a);
		if (ne - st >= sizeof name) {
			v = a_fail(a, "name too long");
		} else if (a->i < a->n && a->s[a->i] == '=' && (a->i + 1 >= a->n || a->s[a->i + 1] != '=')) {
			v = a_fail(a, "assignment in arithmetic");
		} else if (a->noeval) {
			v = 0;
		} else {
			memcpy(name, a->s + st, ne - st);
			name[ne - st] = '\0';
			if (var_value(a->ev, name, a->pos, &b, &set, 0) < 0) {
				a->err = 1;
				v = 0;
			} else {
				/* a variable's value is itself an expression; the
				 * shared depth stops X=X; $((X)) */
				struct arith sub = { a->ev, buf_str(&b), 0, b.len, a->pos, 0, 0, a->depth };

				if (++a->ev->depth > 200) {
					v = a_fail(a, "nested too deep");
				} else {
					a_blank(&sub);
					v = sub.n == sub.i ? 0 : a_expr(&sub);
					a_blank(&sub);
					if (!sub.err && sub.i != sub.n)
						a_fail(&sub, "not a number");
					a->err |= sub.err;
				}
				a->ev->depth--;
			}
		}
		buf_free(&b);
	} else {
		v = a_fail(a, "unsupported arithmetic");
	}
	a->depth--;
	return v;
}

static long long
a_mul(struct arith *a)
{
	long long v = a_unary(a), r;

	for (;;) {
		if (a_op(a, "*")) {
			r = a_unary(a);
			v = wrap((unsigned long long)v * (unsigned long long)r);
		} else if (a_op(a, "/") || a_op(a, "%")) {
			char op = a->s[a->i - 1];

			r = a_unary(a);
			if (r == 0) {
				if (!a->noeval)
					return a_fail(a, "division by zero");
				v = 0;
			} else if (r == -1) {
				/* LLONG_MIN / -1 traps in C; bash wraps */
				v = op == '/' ? wrap(0ULL - (unsigned long long)v) : 0;
			} else {
				v = op == '/' ? v / r : v % r;
			}
		} else {
			return v;
		}
	}
}

static long long
a_add(struct arith *a)
{
	long long v = a_mul(a);

	for (;;) {
		if (a_op(a, "+"))
			v = wrap((unsigned long long)v + (unsigned long long)a_mul(a));
		else if (a_op(a, "-"))
			v = wrap((unsigned long long)v - (unsigned long long)a_mul(a));
		else
			return v;
	}
}

static long long
a_shift(struct arith *a)
{
	long long v = a_add(a), r;

	for (;;) {
		int left = a_op(a, "<<");

		if (!left && !a_op(a, ">>"))
			return v;
		r = a_add(a);
		if (r < 0 || r > 63) {
			if (!a->noeval)
				return a_fail(a, "shift count out of range");
			r = 0;
		}
		v = left ? wrap((unsigned long long)v << r) : v >> r;
	}
}

static long long
a_rel(struct arith *a)
{
	long long v = a_shift(a);

	for (;;) {
		if (a_op(a, "<="))
			v = v <= a_shift(a);
		else if (a_op(a, ">="))
			v = v >= a_shift(a);
		else if (a_op(a, "<"))
			v = v < a_shift(a);
		else if (a_op(a, ">"))
			v = v > a_shift(a);
		else
			return v;
	}
}

static long long
a_eq(struct arith *a)
{
	long long v = a_rel(a);

	for (;;) {
		if (a_op(a, "=="))
			v = v == a_rel(a);
		else if (a_op(a, "!="))
			v = v != a_rel(a);
		else
			return v;
	}
}

static long long
a_band(struct arith *a)
{
	long long v = a_eq(a);

	while (a_op(a, "&"))
		v &= a_eq(a);
	return v;
}

static long long
a_bxor(struct arith *a)
{
	long long v = a_band(a);

	while (a_op(a, "^"))
		v ^= a_band(a);
	return v;
}

static long long
a_bor(struct arith *a)
{
	long long v = a_bxor(a);

	while (a_op(a, "|"))
		v |= a_bxor(a);
	return v;
}

/* && and ||: the right side is parsed but not evaluated when the left
 * decides, as bash does ($(( 0 && 1/0 )) is 0). */
static long long
a_land(struct arith *a)
{
	long long v = a_bor(a);

	while (a_op(a, "&&")) {
		int save = a->noeval;
		long long r;

		a->noeval |= !v;
		r = a_bor(a);
		a->noeval = save;
		v = v && r;
	}
	return v;
}

static long long
a_lor(struct arith *a)
{
	long long v = a_land(a);

	while (a_op(a, "||")) {
		int save = a->noeval;
		long long r;

		a->noeval |= !!v;
		r = a_land(a);
		a->noeval = save;
		v = v || r;
	}
	return v;
}

static long long
a_expr(struct arith *a)
{
	long long v = a_lor(a), x, y;
	int save = a->noeval;

	if (!a_op(a, "?"))
		return v;
	a->noeval = save || !v;
	x = a_expr(a);
	a->noeval = save;
	if (!a_op(a, ":"))
		return a_fail(a, "missing : in arithmetic");
	a->noeval = save || v;
	y = a_expr(a);
	a->noeval = save;
	return v ? x : y;
}

/* Evaluates the text of $(( … )) after its own expansions. */
static int
arith(struct ev *ev, const char *s, size_t from, size_t to, size_t pos, long long *v)
{
	struct buf b = { 0 };
	struct arith a;

	if (expand(ev, s, from, to, M_DQ, pos, &b) < 0) {
		buf_free(&b);
		return -1;
	}
	a = (struct arith){ ev, buf_str(&b), 0, b.len, pos, 0, 0, 0 };
	a_blank(&a);
	*v = a.i == a.n ? 0 : a_expr(&a);
	a_blank(&a);
	if (!a.err && a.i != a.n)
		a_fail(&a, "unsupported arithmetic");
	buf_free(&b);
	return a.err ? -1 : 0;
}

/* ---- variables ---- */

static int
is_name_str(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t k = 1; k < n; k++)
		if (!(isalnum((unsigned char)s[k]) || s[k] == '_'))
			return 0;
	return 1;
}

/* Evaluates one assignment's value: array elements joined by spaces, or
 * only the first with only_first set. */
static int
assign_value(struct ev *ev, const struct ebuild_var *v, struct buf *out, int only_first)
{
	const char *s = ev->eb->text;
	size_t i, vs = v->start + strlen(v->name) + (size_t)v->append + 1;

	if (memchr(s + v->start, '[', vs - v->start))
		return everr(ev, v->start, "array element assignment", s, v->start, v->end);
	if (v->quote != EBUILD_ARRAY)
		return expand(ev, s, vs, v->end, 0, v->start, out);
	/* ( words ): each word expanded, joined by one space */
	i = v->val_start;
	for (int first = 1;;) {
		size_t we;

		while (i < v->val_end && isspace((unsigned char)s[i]))
			i++;
		if (i < v->val_end && s[i] == '#') {
			while (i < v->val_end && s[i] != '\n')
				i++;
			continue;
		}
		if (i < v->val_end && s[i] == '\\' && i + 1 < v->val_end && s[i + 1] == '\n') {
			i += 2;
			continue;
		}
		if (i >= v->val_end)
			return 0;
		we = ebuild_skip(s, v->val_end, i, 1);
		if (we <= i)
			return everr(ev, i, "bad array element", s, i, v->val_end);
		if (!first)
			buf_addc(out, ' ');
		first = 0;
		if (expand(ev, s, i, we, 0, v->start, out) < 0)
			return -1;
		if (only_first)
			return 0;
		i = we;
	}
}

/* The value of name as the file has it just before byte pos: with whole,
 * an array's elements joined by spaces (what a fetch list wants), else as
 * a bash reference ${A} gives it, the first element. */
static int
var_value(struct ev *ev, const char *name, size_t pos, struct buf *out, int *set, int whole)
{
	const struct ebuild *eb = ev->eb;
	size_t k, base = (size_t)-1;
	const char *init;
	int r = 0;

	if (++ev->depth > 200) {
		ev->depth--;
		return dk_errf(ev->e, eb->path, line_at(ev, pos), "cannot evaluate %s: nested too deep", name);
	}
	*set = 0;
	/* the last unconditional plain assignment resets; later += append */
	for (k = 0; k < eb->nvars; k++) {
		const struct ebuild_var *v = &eb->vars[k];

		if (v->start >= pos)
			break;
		if (!v->in_func && !v->append && !v->cond && !strcmp(v->name, name))
			base = k;
	}
	init = ebuild_env_get(ev->env, name);
	if (ev->start_name && !strcmp(ev->start_name, name))
		init = ev->start_val;
	if (base == (size_t)-1 && init) {
		*set = 1;
		buf_adds(out, init);
	}
	if (!whole) {
		int array = 0;

		for (k = base == (size_t)-1 ? 0 : base; k < eb->nvars && eb->vars[k].start < pos; k++)
			if (!eb->vars[k].in_func && !strcmp(eb->vars[k].name, name) &&
			    eb->vars[k].quote == EBUILD_ARRAY)
				array = 1;
		if (array && base != (size_t)-1) {
			/* element 0 is the base assignment's first word */
			*set = 1;
			r = assign_value(ev, &eb->vars[base], out, 1);
			ev->depth--;
			return r;
		}
	}
	for (k = base == (size_t)-1 ? 0 : base; k < eb->nvars; k++) {
		const struct ebuild_var *v = &eb->vars[k];

		if (v->start >= pos)
			break;
		if (v->in_func || strcmp(v->name, name))
			continue;
		if (v->cond) {
			r = dk_errf(ev->e, eb->path, v->line,
				"cannot evaluate %s: it is assigned under a condition", name);
			break;
		}
		if (v->append && *set && out->len && v->quote == EBUILD_ARRAY)
			buf_addc(out, ' ');
		if (!v->append)
			buf_reset(out);
		*set = 1;
		if ((r = assign_value(ev, v, out, 0)) < 0)
			break;
	}
	ev->depth--;
	return r;
}

/* The first global command before pos that may set variables behind our
 * back (detect_version of kernel-2, …), for the "not set" message. */
static const struct ebuild_cmd *
suspect_cmd(const struct ebuild *eb, size_t pos)
{
	static const char *const harmless[] = { "inherit", "EXPORT_FUNCTIONS", "[[", "die",
		"export", "declare", "readonly", "typeset", "unset", NULL };

	for (size_t k = 0; k < eb->ncmds && eb->cmds[k].start < pos; k++) {
		int h = 0;

		for (int j = 0; harmless[j]; j++)
			if (!strcmp(eb->cmds[k].name, harmless[j]))
				h = 1;
		if (!h)
			return &eb->cmds[k];
	}
	return NULL;
}

static int
unset_err(struct ev *ev, const char *name, size_t pos, const char *s, size_t a, size_t b)
{
	const struct ebuild_cmd *c = suspect_cmd(ev->eb, pos);
	char why[512];

	if (c)
		snprintf(why, sizeof why, "%s is not set by any assignment (the command %s on line %ld may set it)",
			name, c->name, c->line);
	else
		snprintf(why, sizeof why, "%s is not set", name);
	return everr(ev, pos, why, s, a, b);
}

/* Appends text to out; in pattern mode a quoted text is escaped so that
 * fnmatch takes it literally. */
static int
emit(struct buf *out, const char *t, size_t n, int mode, int quoted)
{
	if (!(mode & M_PAT) || !quoted)
		return buf_add(out, t, n);
	for (size_t k = 0; k < n; k++) {
		if (strchr("*?[]\\@!+()|", t[k]))
			buf_addc(out, '\\');
		buf_addc(out, t[k]);
	}
	return 0;
}

/* ${ … }: s[i] is '$', end is just past the '}'. */
static int
param(struct ev *ev, const char *s, size_t i, size_t end, int mode, size_t pos, struct buf *out)
{
	size_t p = i + 2, ce = end - 1, ns;
	int length = 0, set = 0, r = 0;
	char name[128];
	struct buf val = { 0 }, arg = { 0 }, arg2 = { 0 };

	if (p < ce && s[p] == '#' && p + 1 < ce && (isalpha((unsigned char)s[p + 1]) || s[p + 1] == '_'))
		length = 1, p++;
	if (p < ce && s[p] == '!')
		return everr(ev, pos, "indirect expansion", s, i, end);
	ns = p;
	while (p < ce && (isalnum((unsigned char)s[p]) || s[p] == '_'))
		p++;
	if (!is_name_str(s + ns, p - ns))
		return everr(ev, pos, "special parameters are not known outside bash", s, i, end);
	if (p - ns >= sizeof name)
		return everr(ev, pos, "name too long", s, i, end);
	memcpy(name, s + ns, p - ns);
	name[p - ns] = '\0';
	if (p < ce && s[p] == '[')
		return everr(ev, pos, "array subscripts are not supported", s, i, end);
	if (var_value(ev, name, pos, &val, &set, 0) < 0)
		goto fail;
	if (length) {
		if (p != ce)
			goto unsupported;
		if (!set) {
			unset_err(ev, name, pos, s, i, end);
			goto fail;
		}
		buf_printf(&arg, "%zu", val.len);
		r = emit(out, arg.s, arg.len, mode, mode & M_DQ);
		goto done;
	}
	if (p == ce) {
		if (!set) {
			unset_err(ev, name, pos, s, i, end);
			goto fail;
		}
		r = emit(out, buf_str(&val), val.len, mode, mode & M_DQ);
		goto done;
	}
	/* defaults: ${V:-w} ${V-w} ${V:+w} ${V+w} */
	{
		int colon = s[p] == ':' && p + 1 < ce && strchr("-+=?", s[p + 1]);
		char op = s[p + colon];

		if (strchr("-+", op) && (colon || s[p] == op)) {
			int use_word, empty = !set || (colon && val.len == 0);

			use_word = op == '-' ? empty : !empty;
			if (use_word)
				r = expand(ev, s, p + colon + 1, ce, mode, pos, out);
			else if (op == '-')
				r = emit(out, buf_str(&val), val.len, mode, mode & M_DQ);
			goto done;
		}
		if (strchr("=?", op) && (colon || s[p] == op))
			goto unsupported;
	}
	if (!set) {
		unset_err(ev, name, pos, s, i, end);
		goto fail;
	}
	switch (s[p]) {
	case '%':
	case '#': {
		int longest = p + 1 < ce && s[p + 1] == s[p];

		/* inside ${ } quoting starts afresh: "${V#$P}" globs $P */
		if (expand(ev, s, p + 1 + (size_t)longest, ce, M_PAT, pos, &arg) < 0)
			goto fail;
		r = trim(buf_str(&val), buf_str(&arg), s[p] == '%', longest, &arg2);
		break;
	}
	case '/': {
		char how = '1';
		size_t q = p + 1, sl;

		if (q < ce && (s[q] == '/' || s[q] == '#' || s[q] == '%'))
			how = s[q++];
		/* the pattern ends at the first unquoted '/' */
		for (sl = q; sl < ce && s[sl] != '/'; sl++) {
			if (s[sl] == '\\')
				sl++;
			else if (s[sl] == '"' || s[sl] == '\'' || s[sl] == '$' || s[sl] == '`') {
				size_t k = ebuild_skip(s, ce, sl, 0);

				if (k <= sl)
					goto unsupported;
				sl = k - 1;
			}
		}
		if (expand(ev, s, q, sl < ce ? sl : ce, M_PAT, pos, &arg) < 0)
			goto fail;
		struct buf rep = { 0 };

		if (sl < ce && expand(ev, s, sl + 1, ce, mode & M_DQ, pos, &rep) < 0) {
			buf_free(&rep);
			goto fail;
		}
		r = replace(buf_str(&val), buf_str(&arg), buf_str(&rep), how == '1' ? 'f' : how, &arg2);
		buf_free(&rep);
		break;
	}
	case ':': {
		/* ${V:off} ${V:off:len} */
		size_t q = p + 1, colon2 = q;
		long long off = 0, len = (long long)val.len;
		int depth = 0;

		for (; colon2 < ce; colon2++) {
			if (s[colon2] == '(')
				depth++;
			else if (s[colon2] == ')')
				depth--;
			else if (s[colon2] == ':' && depth == 0)
				break;
			else if (s[colon2] == '$') {
				size_t k = ebuild_skip(s, ce, colon2, 0);

				if (k > colon2 + 1)
					colon2 = k - 1;
			}
		}
		if (arith(ev, s, q, colon2, pos, &off) < 0)
			goto fail;
		if (colon2 < ce && arith(ev, s, colon2 + 1, ce, pos, &len) < 0)
			goto fail;
		if (off < 0)
			off += (long long)val.len;
		if (off < 0 || off > (long long)val.len) {
			off = (long long)val.len, len = 0;
		}
		if (len < 0)
			len = (long long)val.len + len - off;
		if (len < 0) {
			everr(ev, pos, "substring expression < 0", s, i, end);
			goto fail;
		}
		if (off + len > (long long)val.len)
			len = (long long)val.len - off;
		r = buf_add(&arg2, val.s ? val.s + off : "", (size_t)len);
		break;
	}
	case '^':
	case ',': {
		int all = p + 1 < ce && s[p + 1] == s[p];

		if (p + 1 + (size_t)all != ce)
			goto unsupported;
		buf_add(&arg2, buf_str(&val), val.len);
		for (size_t k = 0; k < arg2.len && (all || k == 0); k++)
			arg2.s[k] = (char)(s[p] == '^' ? toupper((unsigned char)arg2.s[k]) : tolower((unsigned char)arg2.s[k]));
		break;
	}
	default:
		goto unsupported;
	}
	if (r >= 0)
		r = emit(out, buf_str(&arg2), arg2.len, mode, mode & M_DQ);
	goto done;
unsupported:
	everr(ev, pos, "unsupported parameter expansion", s, i, end);
fail:
	r = -1;
done:
	buf_free(&val);
	buf_free(&arg);
	buf_free(&arg2);
	return r;
}

/* $( … ) / ` … `: only the pure version functions are known. */
static int
cmdsubst(struct ev *ev, const char *s, size_t from, size_t to, size_t i, size_t end, size_t pos, struct buf *out)
{
	char *argv[32];
	size_t argc = 0, k = from;
	struct buf words[32];
	const char *pv;
	int r = -1;

	memset(words, 0, sizeof words);
	for (;;) {
		size_t we;

		while (k < to && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n'))
			k++;
		if (k >= to)
			break;
		if (strchr(";&|<>()#", s[k]) || argc == 32) {
			everr(ev, pos, "only ver_cut, ver_rs and get_version_component_range can be evaluated", s, i, end);
			goto done;
		}
		we = ebuild_skip(s, to, k, 1);
		if (we <= k) {
			everr(ev, pos, "bad command word", s, i, end);
			goto done;
		}
		if (expand(ev, s, k, we, 0, pos, &words[argc]) < 0) {
			buf_free(&words[argc]);
			goto done;
		}
		argv[argc] = words[argc].s ? words[argc].s : (char *)"";
		argc++;
		k = we;
	}
	if (argc == 0) {
		r = 0;
		goto done;
	}
	struct buf pvb = { 0 };
	int set = 0;

	if (var_value(ev, "PV", pos, &pvb, &set, 0) < 0 || !set) {
		if (!set)
			unset_err(ev, "PV", pos, s, i, end);
		buf_free(&pvb);
		goto done;
	}
	pv = buf_str(&pvb);
	if (!strcmp(argv[0], "ver_cut") && (argc == 2 || argc == 3)) {
		r = ver_cut(argv[1], argc == 3 ? argv[2] : pv, out);
	} else if (!strcmp(argv[0], "get_version_component_range") && (argc == 2 || argc == 3)) {
		/* versionator: for dotted numeric versions it is ver_cut */
		const char *v = argc == 3 ? argv[2] : pv;

		r = strspn(v, "0123456789.") == strlen(v) ? ver_cut(argv[1], v, out) : -3;
	} else if (!strcmp(argv[0], "ver_rs") && argc >= 3) {
		r = ver_rs(argv + 1, argc - 1, pv, out);
	} else {
		everr(ev, pos, "only ver_cut, ver_rs and get_version_component_range can be evaluated", s, i, end);
		r = -1;
		buf_free(&pvb);
		goto done;
	}
	buf_free(&pvb);
	if (r < 0) {
		everr(ev, pos, r == -3 ? "get_version_component_range of a version with letters or suffixes"
			: "bad version range", s, i, end);
		r = -1;
	}
done:
	for (k = 0; k < argc; k++)
		buf_free(&words[k]);
	return r;
}

/* $'…' escapes */
static int
ansi(const char *s, size_t from, size_t to, struct buf *out)
{
	for (size_t k = from; k < to; k++) {
		char c = s[k];

		if (c != '\\' || k + 1 >= to) {
			buf_addc(out, c);
			continue;
		}
		c = s[++k];
		switch (c) {
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 'a': buf_addc(out, '\a'); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'e': case 'E': buf_addc(out, 27); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'v': buf_addc(out, '\v'); break;
		case 'x': {
			int v = 0, d = 0;

			while (d < 2 && k + 1 < to && isxdigit((unsigned char)s[k + 1])) {
				char h = s[++k];

				v = v * 16 + (isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
				d++;
			}
			buf_addc(out, d ? v : 'x');
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0', d = 1;

				while (d < 3 && k + 1 < to && s[k + 1] >= '0' && s[k + 1] <= '7')
					v = v * 8 + (s[++k] - '0'), d++;
				buf_addc(out, v);
			} else {
				buf_addc(out, c);
			}
		}
	}
	return 0;
}

/* Expands the word text s[from..to) as bash does in an assignment. */
static int
expand(struct ev *ev, const char *s, size_t from, size_t to, int mode, size_t pos, struct buf *out)
{
	size_t k = from;

	while (k < to) {
		char c = s[k];

		if (c == '\\') {
			if (k + 1 >= to) {
				emit(out, "\\", 1, mode, 1);
				k++;
			} else if (s[k + 1] == '\n') {
				k += 2;	/* line continuation */
			} else if (!(mode & M_DQ) || (mode & M_PAT) || strchr("$`\"\\", s[k + 1])) {
				emit(out, s + k + 1, 1, mode, 1);
				k += 2;
			} else {
				emit(out, "\\", 1, mode, 1);
				k++;
			}
			continue;
		}
		if (c == '\'' && !(mode & M_DQ)) {
			size_t e = ebuild_skip(s, to, k, 0);

			if (!e)
				return everr(ev, pos, "unterminated quote", s, k, to);
			emit(out, s + k + 1, e - k - 2, mode, 1);
			k = e;
			continue;
		}
		if (c == '"') {
			size_t e = ebuild_skip(s, to, k, 0);

			if (!e)
				return everr(ev, pos, "unterminated quote", s, k, to);
			if (mode & M_DQ) {	/* "…" inside ${…} inside "…" */
				if (expand(ev, s, k + 1, e - 1, mode, pos, out) < 0)
					return -1;
			} else if (expand(ev, s, k + 1, e - 1, mode | M_DQ, pos, out) < 0)
				return -1;
			k = e;
			continue;
		}
		if (c == '`') {
			size_t e = ebuild_skip(s, to, k, 0);

			if (!e)
				return everr(ev, pos, "unterminated backquote", s, k, to);
			if (cmdsubst(ev, s, k + 1, e - 1, k, e, pos, out) < 0)
				return -1;
			k = e;
			continue;
		}
		if (c == '$' && k + 1 < to) {
			char d = s[k + 1];
			size_t e;

			if (d == '\'' && !(mode & M_DQ)) {
				e = ebuild_skip(s, to, k, 0);
				if (!e)
					return everr(ev, pos, "unterminated $'", s, k, to);
				struct buf t = { 0 };

				ansi(s, k + 2, e - 1, &t);
				emit(out, buf_str(&t), t.len, mode, 1);
				buf_free(&t);
				k = e;
				continue;
			}
			if (d == '{' || d == '(') {
				e = ebuild_skip(s, to, k, 0);
				if (!e)
					return everr(ev, pos, "unterminated expansion", s, k, to);
				if (d == '{') {
					if (param(ev, s, k, e, mode, pos, out) < 0)
						return -1;
				} else if (k + 2 < to && s[k + 2] == '(') {
					long long v;
					char num[32];

					if (arith(ev, s, k + 3, e - 2, pos, &v) < 0)
						return -1;
					snprintf(num, sizeof num, "%lld", v);
					emit(out, num, strlen(num), mode, 1);
				} else {
					struct buf t = { 0 };

					if (cmdsubst(ev, s, k + 2, e - 1, k, e, pos, &t) < 0) {
						buf_free(&t);
						return -1;
					}
					emit(out, buf_str(&t), t.len, mode, mode & M_DQ);
					buf_free(&t);
				}
				k = e;
				continue;
			}
			if (isalpha((unsigned char)d) || d == '_') {
				size_t ns = k + 1, ne = ns;
				char name[128];
				struct buf t = { 0 };
				int set = 0;

				while (ne < to && (isalnum((unsigned char)s[ne]) || s[ne] == '_'))
					ne++;
				if (ne - ns >= sizeof name)
					return everr(ev, pos, "name too long", s, k, ne);
				memcpy(name, s + ns, ne - ns);
				name[ne - ns] = '\0';
				if (var_value(ev, name, pos, &t, &set, 0) < 0) {
					buf_free(&t);
					return -1;
				}
				if (!set) {
					buf_free(&t);
					return unset_err(ev, name, pos, s, k, ne);
				}
				emit(out, buf_str(&t), t.len, mode, mode & M_DQ);
				buf_free(&t);
				k = ne;
				continue;
			}
			if (strchr("0123456789@*#?$!-", d))
				return everr(ev, pos, "special parameters are not known outside bash", s, k, k + 2);
		}
		if ((c == '<' || c == '>') && k + 1 < to && s[k + 1] == '(' && !(mode & M_DQ))
			return everr(ev, pos, "process substitution", s, k, to);
		emit(out, s + k, 1, mode, 0);
		k++;
	}
	return 0;
}

static int
eval(const struct ebuild *eb, const struct ebuild_env *env, const char *name,
	const char *start, int use_start, struct buf *out, struct dk_err *e)
{
	struct ev ev = { eb, env, use_start ? name : NULL, start, e, 0 };
	struct buf v = { 0 };
	int set = 0, r;

	/* a name the file never sets globally must come from outside */
	if (!(use_start && start) && !ebuild_env_get(env, name) && !ebuild_global(eb, name, e))
		return -1;
	r = var_value(&ev, name, eb->len + 1, &v, &set, 1);
	if (r == 0 && !set)
		r = dk_errf(e, eb->path, 0, "%s is not set", name);
	if (r == 0)
		r = buf_add(out, buf_str(&v), v.len);
	buf_free(&v);
	return r;
}

int
ebuild_eval(const struct ebuild *eb, const struct ebuild_env *env, const char *name, struct buf *out, struct dk_err *e)
{
	return eval(eb, env, name, NULL, 0, out, e);
}

int
ebuild_eval_with(const struct ebuild *eb, const struct ebuild_env *env, const char *name, const char *start, struct buf *out, struct dk_err *e)
{
	return eval(eb, env, name, start, 1, out, e);
}
