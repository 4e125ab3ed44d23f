/* dk: the ebuild lexer: finds the global-scope assignments of a bash file
 * precisely, without running anything. GPL-2.0-only.
 *
 * It is not a bash parser: it knows words (quotes, escapes, $( ), ${ },
 * $(( )), backticks, arrays), comments, heredocs, function bodies and the
 * compound commands, which is all it needs to say of each NAME=value where
 * it is, how it is quoted and whether it runs unconditionally at global
 * scope. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebuild.h"
#include "lines.h"

enum ctx_kind { C_IF, C_LOOP, C_CASE, C_GROUP, C_SUBSHELL, C_FUNC };

struct ctx {
	enum ctx_kind kind;
	int cond;	/* what runs inside is conditional */
	int func;	/* inside a function body */
	int case_pat;	/* C_CASE: reading patterns, not commands */
};

struct heredoc {
	char *delim;
	int strip_tabs;
};

/* One NAME=VALUE word of the command being read, kept until the command
 * ends: only then is it known whether it was an assignment. */
struct assign {
	size_t ws, plen, end, vs, ve;
	enum ebuild_quote q;
	int append;
};

struct lexer {
	const char *s;
	size_t n, i;
	const char *path;
	struct dk_err *e;
	struct ebuild *eb;
	size_t *lines;		/* offsets of line starts */
	size_t nlines;
	struct ctx stack[256];
	int depth;
	int andor;		/* a && or || came before this command */
	int cont;		/* the line ended in && || |: the command goes on */
	int nest;		/* depth of nested quotes and expansions */
	int pending_func;	/* a "name ()" was read: the next compound is its body */
	int pending_cond;	/* "if"/"while" keyword: next compound is the condition */
	struct heredoc hd[16];
	int nhd;
	struct assign *as;	/* the current command's assignments, as many as it has */
	size_t nas, cap_as;
};

/* Line number (1-based) of byte offset off. */
static long
line_of(const struct lexer *lx, size_t off)
{
	size_t lo = 0, hi = lx->nlines;

	if (!hi)
		return 0;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (lx->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo + 1;
}

static int
lerr(struct lexer *lx, size_t off, const char *msg)
{
	return dk_errf(lx->e, lx->path, line_of(lx, off), "%s", msg);
}

static int
is_meta(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' ||
	    c == '|' || c == '<' || c == '>' || c == '(' || c == ')';
}

static int
is_name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int
is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static size_t skip_dollar(struct lexer *lx, size_t i);
static size_t skip_dquote(struct lexer *lx, size_t i);
static size_t skip_backtick(struct lexer *lx, size_t i);
static size_t skip_cmdsubst(struct lexer *lx, size_t i, size_t open);

/* Each skip_* takes the offset of a construct's first byte and returns the
 * offset just past it, or (size_t)-1 with the error set. */
#define BAD ((size_t)-1)

static size_t
skip_squote(struct lexer *lx, size_t i)
{
	const char *q = memchr(lx->s + i + 1, '\'', lx->n - i - 1);

	if (!q) {
		lerr(lx, i, "unterminated single quote");
		return BAD;
	}
	return (size_t)(q - lx->s) + 1;
}

/* $'...': backslash escapes a quote. */
static size_t
skip_ansi(struct lexer *lx, size_t i)
{
	size_t j = i + 2;

	while (j < lx->n && lx->s[j] != '\'') {
		if (lx->s[j] == '\\' && j + 1 < lx->n)
			j++;
		j++;
	}
	if (j >= lx->n) {
		lerr(lx, i, "unterminated $'...' quote");
		return BAD;
	}
	return j + 1;
}

static size_t
skip_dquote(struct lexer *lx, size_t i)
{
	size_t j = i + 1;

	if (lx->nest >= 256) {
		lerr(lx, i, "quotes and expansions nested too deep");
		return BAD;
	}
	lx->nest++;

	while (j < lx->n && lx->s[j] != '"') {
		if (lx->s[j] == '\\') {
			j += 2;
		} else if (lx->s[j] == '$') {
			if ((j = skip_dollar(lx, j)) == BAD)
				return BAD;
		} else if (lx->s[j] == '`') {
			if ((j = skip_backtick(lx, j)) == BAD)
				return BAD;
		} else {
			j++;
		}
	}
	lx->nest--;
	if (j >= lx->n) {
		lerr(lx, i, "unterminated double quote");
		return BAD;
	}
	return j + 1;
}

static size_t
skip_backtick(struct lexer *lx, size_t i)
{
	size_t j = i + 1;

	while (j < lx->n && lx->s[j] != '`') {
		if (lx->s[j] == '\\')
			j++;
		j++;
	}
	if (j >= lx->n) {
		lerr(lx, i, "unterminated backquote");
		return BAD;
	}
	return j + 1;
}

/* If s[j] starts an escape, a quote, a backquote or an expansion (any $
 * when dollar_all, else only ${ and $( ), returns the offset past it (BAD
 * with the error set); else 0. What every skip_* shares. */
static size_t
skip_quoted(struct lexer *lx, size_t j, int dollar_all)
{
	switch (lx->s[j]) {
	case '\\':
		return j + 2;
	case '\'':
		return skip_squote(lx, j);
	case '"':
		return skip_dquote(lx, j);
	case '`':
		return skip_backtick(lx, j);
	case '$':
		if (dollar_all || (j + 1 < lx->n && (lx->s[j + 1] == '{' || lx->s[j + 1] == '(')))
			return skip_dollar(lx, j);
		return 0;
	default:
		return 0;
	}
}

/* ${...}: braces nest, quotes and expansions inside are skipped whole. */
static size_t
skip_brace(struct lexer *lx, size_t i)
{
	size_t j = i + 2;
	int level = 1;

	while (j < lx->n) {
		char c = lx->s[j];
		/* single quotes quote inside ${} when the whole expansion is
		 * unquoted, which is where ebuilds use them (the operator word) */
		size_t k = skip_quoted(lx, j, 0);

		if (k == BAD)
			return BAD;
		if (k) {
			j = k;
		} else if (c == '{') {
			level++, j++;
		} else if (c == '}') {
			if (--level == 0)
				return j + 1;
			j++;
		} else {
			j++;
		}
	}
	lerr(lx, i, "unterminated ${...}");
	return BAD;
}

/* $(( ... )): ends at the "))" that closes the parentheses it opened. */
static size_t
skip_arith(struct lexer *lx, size_t i)
{
	size_t j = i + 3;
	int level = 0;

	while (j < lx->n) {
		char c = lx->s[j];

		if (c == '$' && j + 1 < lx->n && (lx->s[j + 1] == '{' || lx->s[j + 1] == '(')) {
			if ((j = skip_dollar(lx, j)) == BAD)
				return BAD;
			continue;
		}
		if (c == '(')
			level++;
		else if (c == ')') {
			if (level == 0) {
				if (j + 1 < lx->n && lx->s[j + 1] == ')')
					return j + 2;
				lerr(lx, i, "unterminated $((...))");
				return BAD;
			}
			level--;
		}
		j++;
	}
	lerr(lx, i, "unterminated $((...))");
	return BAD;
}

/* $( ... ): a nested command list; parentheses balance except inside
 * quotes, comments and nested expansions. */
static size_t
skip_cmdsubst(struct lexer *lx, size_t i, size_t open)
{
	size_t j = i + open;
	int level = 0;
	int word_start = 1;

	while (j < lx->n) {
		char c = lx->s[j];

		if (c == '\\') {
			j += 2;
			word_start = 0;
			continue;
		}
		if (c == '#' && word_start) {
			while (j < lx->n && lx->s[j] != '\n')
				j++;
			continue;
		}
		word_start = is_meta(c);
		size_t k = skip_quoted(lx, j, 1);

		if (k == BAD)
			return BAD;
		if (k) {
			j = k;
		} else if (c == '(') {
			level++, j++;
		} else if (c == ')') {
			if (level-- == 0)
				return j + 1;
			j++;
		} else {
			j++;
		}
	}
	lerr(lx, i, open == 2 ? "unterminated $(...)" : "unterminated process substitution");
	return BAD;
}

static size_t
skip_dollar1(struct lexer *lx, size_t i)
{
	const char *s = lx->s;

	if (i + 1 >= lx->n)
		return i + 1;
	if (s[i + 1] == '{')
		return skip_brace(lx, i);
	if (s[i + 1] == '(' && i + 2 < lx->n && s[i + 2] == '(')
		return skip_arith(lx, i);
	if (s[i + 1] == '(')
		return skip_cmdsubst(lx, i, 2);
	if (s[i + 1] == '\'')
		return skip_ansi(lx, i);
	if (s[i + 1] == '"')
		return skip_dquote(lx, i + 1);
	return i + 1;	/* $NAME: the name is ordinary word text */
}

/* Every nesting passes through here or skip_dquote: the depth is bounded
 * so that hostile input cannot exhaust the stack. */
static size_t
skip_dollar(struct lexer *lx, size_t i)
{
	size_t r;

	if (lx->nest >= 256) {
		lerr(lx, i, "quotes and expansions nested too deep");
		return BAD;
	}
	lx->nest++;
	r = skip_dollar1(lx, i);
	lx->nest--;
	return r;
}

/* Reads one word starting at i; returns its end or BAD. */
static size_t
skip_word(struct lexer *lx, size_t i)
{
	size_t j = i;

	while (j < lx->n) {
		char c = lx->s[j];
		size_t k = skip_quoted(lx, j, 1);

		if (k == BAD)
			return BAD;
		if (k) {
			j = k;
		} else if ((c == '<' || c == '>') && j + 1 < lx->n && lx->s[j + 1] == '(' && j == i) {
			/* process substitution <( ) as a word */
			if ((j = skip_cmdsubst(lx, j, 2)) == BAD)
				return BAD;
		} else if (c == '(' && j > i && strchr("@!+*?", lx->s[j - 1])) {
			/* extglob @( ) and friends */
			if ((j = skip_cmdsubst(lx, j, 1)) == BAD)
				return BAD;
		} else if (is_meta(c)) {
			break;
		} else {
			j++;
		}
	}
	return j > lx->n ? lx->n : j;
}

/* The length of "NAME=" / "NAME+=" / "NAME[x]=" at s[i..end), or 0. */
static size_t
assign_prefix(struct lexer *lx, size_t i, size_t end, int *append)
{
	size_t j = i;

	if (!is_name_start(lx->s[j]))
		return 0;
	while (j < end && is_name_char(lx->s[j]))
		j++;
	if (j < end && lx->s[j] == '[') {
		while (j < end && lx->s[j] != ']')
			j++;
		if (j >= end)
			return 0;
		j++;
	}
	*append = 0;
	if (j + 1 < end + 1 && j < end && lx->s[j] == '+' && j + 1 < end && lx->s[j + 1] == '=') {
		*append = 1;
		return j + 2 - i;
	}
	if (j < end && lx->s[j] == '=')
		return j + 1 - i;
	return 0;
}

static int
in_cond(const struct lexer *lx)
{
	for (int d = 0; d < lx->depth; d++)
		if (lx->stack[d].cond)
			return 1;
	return lx->andor;
}

static int
in_func(const struct lexer *lx)
{
	for (int d = 0; d < lx->depth; d++)
		if (lx->stack[d].func)
			return 1;
	return 0;
}

/* Classifies the value s[v..end) by its quoting. */
static enum ebuild_quote
classify(struct lexer *lx, size_t v, size_t end, size_t *vs, size_t *ve)
{
	size_t j;

	*vs = v, *ve = end;
	if (v == end)
		return EBUILD_BARE;
	if (lx->s[v] == '"' && (j = skip_dquote(lx, v)) == end) {
		*vs = v + 1, *ve = end - 1;
		return EBUILD_DOUBLE;
	}
	if (lx->s[v] == '\'' && (j = skip_squote(lx, v)) == end) {
		*vs = v + 1, *ve = end - 1;
		return EBUILD_SINGLE;
	}
	if (lx->s[v] == '$' && v + 1 < end && lx->s[v + 1] == '\'' && skip_ansi(lx, v) == end) {
		*vs = v + 2, *ve = end - 1;
		return EBUILD_ANSI;
	}
	for (j = v; j < end; j++) {
		if (lx->s[j] == '\\') {
			j++;
			continue;
		}
		if (lx->s[j] == '"' || lx->s[j] == '\'')
			return EBUILD_MIXED;
		if (lx->s[j] == '$' && j + 1 < end && (lx->s[j + 1] == '{' || lx->s[j + 1] == '(')) {
			size_t k = skip_dollar(lx, j);

			if (k == BAD)
				return EBUILD_MIXED;
			j = k - 1;
		}
	}
	return EBUILD_BARE;
}

static int
add_var(struct lexer *lx, size_t ws, size_t plen, size_t end, size_t vs, size_t ve,
	enum ebuild_quote q, int append)
{
	struct ebuild *eb = lx->eb;
	struct ebuild_var *v;
	size_t nlen = plen - 1 - (size_t)append;
	const char *br;

	if ((eb->nvars & (eb->nvars + 1)) == 0 || eb->nvars == 0) {
		size_t cap = eb->nvars ? (eb->nvars + 1) * 2 : 16;
		void *p = realloc(eb->vars, cap * sizeof *eb->vars);

		if (!p)
			return dk_syserrf(lx->e, lx->path, 0, "cannot read");
		eb->vars = p;
	}
	v = &eb->vars[eb->nvars];
	memset(v, 0, sizeof *v);
	/* NAME[idx]= sets an element: known by NAME */
	if ((br = memchr(lx->s + ws, '[', nlen)))
		nlen = (size_t)(br - (lx->s + ws));
	if (!(v->name = strndup(lx->s + ws, nlen)))
		return dk_syserrf(lx->e, lx->path, 0, "cannot read");
	v->start = ws;
	v->end = end;
	v->val_start = vs;
	v->val_end = ve;
	v->quote = q;
	v->append = append;
	v->cond = in_cond(lx);
	v->in_func = in_func(lx);
	v->line = line_of(lx, ws);
	eb->nvars++;
	return 0;
}

static int
add_cmd(struct lexer *lx, size_t ws, size_t we)
{
	struct ebuild *eb = lx->eb;
	struct ebuild_cmd *c;

	if (in_func(lx))
		return 0;
	if ((eb->ncmds & (eb->ncmds + 1)) == 0 || eb->ncmds == 0) {
		size_t cap = eb->ncmds ? (eb->ncmds + 1) * 2 : 16;
		void *p = realloc(eb->cmds, cap * sizeof *eb->cmds);

		if (!p)
			return dk_syserrf(lx->e, lx->path, 0, "cannot read");
		eb->cmds = p;
	}
	c = &eb->cmds[eb->ncmds];
	if (!(c->name = strndup(lx->s + ws, we - ws)))
		return dk_syserrf(lx->e, lx->path, 0, "cannot read");
	c->start = ws;
	c->end = we;
	c->cond = in_cond(lx);
	c->line = line_of(lx, ws);
	eb->ncmds++;
	return 0;
}

/* Skips blanks and backslash-newlines (not newlines). */
static void
skip_blanks(struct lexer *lx)
{
	while (lx->i < lx->n) {
		char c = lx->s[lx->i];

		if (c == ' ' || c == '\t' || c == '\r')
			lx->i++;
		else if (c == '\\' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == '\n')
			lx->i += 2;
		else
			break;
	}
}

/* After a newline: the bodies of the heredocs started on that line. */
static int
read_heredocs(struct lexer *lx)
{
	for (int h = 0; h < lx->nhd; h++) {
		struct heredoc *hd = &lx->hd[h];
		size_t dl = strlen(hd->delim), start = lx->i;
		int found = 0;

		while (lx->i < lx->n) {
			size_t ls = lx->i, le;
			const char *nl = memchr(lx->s + ls, '\n', lx->n - ls);

			le = nl ? (size_t)(nl - lx->s) : lx->n;
			lx->i = nl ? le + 1 : lx->n;
			if (hd->strip_tabs)
				while (ls < le && lx->s[ls] == '\t')
					ls++;
			if (le - ls == dl && !memcmp(lx->s + ls, hd->delim, dl)) {
				found = 1;
				break;
			}
		}
		if (!found) {
			dk_errf(lx->e, lx->path, line_of(lx, start ? start - 1 : 0),
				"unterminated here-document (no line \"%s\")", hd->delim);
			return -1;
		}
	}
	for (int h = 0; h < lx->nhd; h++)
		free(lx->hd[h].delim);
	lx->nhd = 0;
	return 0;
}

/* The heredoc delimiter word at s[ws..we): quotes removed. */
static int
add_heredoc(struct lexer *lx, size_t ws, size_t we, int strip)
{
	char *d = malloc(we - ws + 1);
	size_t k = 0;

	if (!d || lx->nhd == 16) {
		free(d);
		return lerr(lx, ws, "too many here-documents on one line");
	}
	for (size_t j = ws; j < we; j++) {
		if (lx->s[j] == '"' || lx->s[j] == '\'')
			continue;
		if (lx->s[j] == '\\' && j + 1 < we)
			j++;
		d[k++] = lx->s[j];
	}
	d[k] = '\0';
	lx->hd[lx->nhd].delim = d;
	lx->hd[lx->nhd++].strip_tabs = strip;
	return 0;
}

static int
push(struct lexer *lx, enum ctx_kind kind, int cond)
{
	struct ctx *c;

	if (lx->depth == (int)(sizeof lx->stack / sizeof lx->stack[0]))
		return lerr(lx, lx->i, "compound commands nested too deep");
	c = &lx->stack[lx->depth++];
	c->kind = kind;
	c->cond = cond || lx->andor;
	c->func = lx->pending_func;
	c->case_pat = 0;
	lx->pending_func = 0;
	lx->andor = 0;
	return 0;
}

static int
pop(struct lexer *lx, enum ctx_kind kind, size_t at, const char *word)
{
	if (lx->depth == 0 || lx->stack[lx->depth - 1].kind != kind) {
		dk_errf(lx->e, lx->path, line_of(lx, at), "unexpected \"%s\"", word);
		return -1;
	}
	lx->depth--;
	return 0;
}

static int
word_is(const struct lexer *lx, size_t ws, size_t we, const char *kw)
{
	size_t n = strlen(kw);

	return we - ws == n && !memcmp(lx->s + ws, kw, n);
}

/* An eclass include guard "if [[ -z ${_X_ECLASS} ]]" (or "! ${…}"; the
 * variable is any underscore-prefixed upper-case name, as
 * _DIST_KERNEL_UTILS) wraps the whole eclass and is always true on first
 * inherit. Only the condition itself, up to ";" or the end of the line, is
 * looked at. */
static int
is_guard(const struct lexer *lx, size_t from)
{
	const char *p = lx->s + from, *end = p;
	size_t n;

	while (end < lx->s + lx->n && *end != ';' && *end != '\n')
		end++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || strncmp(p, "[[", 2))
		return 0;
	for (p += 2; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (end - p >= 2 && !strncmp(p, "-z", 2))
		p += 2;
	else if (p < end && *p == '!')
		p++;
	else
		return 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '"')
		p++;
	if (end - p < 3 || strncmp(p, "${_", 3))
		return 0;
	for (p += 3, n = 0; p < end && (isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'); p++, n++)
		;
	if (n == 0 || p >= end || *p != '}')
		return 0;
	for (p++; p < end && (*p == '"' || *p == ' ' || *p == '\t'); p++)
		;
	if (end - p < 2 || strncmp(p, "]]", 2))
		return 0;
	for (p += 2; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	return p == end;
}

/* Lexes one array value "( words )" starting at lx->i on '('. */
static int
read_array(struct lexer *lx, size_t *end)
{
	size_t open = lx->i;

	lx->i++;
	for (;;) {
		skip_blanks(lx);
		if (lx->i >= lx->n) {
			return lerr(lx, open, "unterminated array (");
		}
		char c = lx->s[lx->i];

		if (c == '\n') {
			lx->i++;
			continue;
		}
		if (c == '#') {
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (c == ')') {
			*end = ++lx->i;
			return 0;
		}
		size_t we = skip_word(lx, lx->i);

		if (we == BAD)
			return -1;
		if (we == lx->i)
			return lerr(lx, lx->i, "unexpected character in array");
		lx->i = we;
	}
}

/* Keeps one more assignment word of the current command. */
static int
add_assign(struct lexer *lx, const struct assign *a)
{
	if (lx->nas == lx->cap_as) {
		size_t cap = lx->cap_as ? 2 * lx->cap_as : 16;
		struct assign *as = realloc(lx->as, cap * sizeof *as);

		if (!as)
			return lerr(lx, a->ws, "out of memory");
		lx->as = as;
		lx->cap_as = cap;
	}
	lx->as[lx->nas++] = *a;
	return 0;
}

/* Reads one simple command (or compound keyword) at lx->i. */
static int
command(struct lexer *lx)
{
	size_t cmd_ws = BAD, cmd_we = 0;
	int nwords = 0, assign_only = 1, declare = 0, reading_case_word = 0;

	lx->pending_cond = 0;
	lx->cont = 0;
	lx->nas = 0;
	for (;;) {
		skip_blanks(lx);
		if (lx->i >= lx->n)
			break;
		char c = lx->s[lx->i];

		if (c == '#' ) {
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (c == '\n' || c == ';' || c == '&' || c == '|' || c == ')' ||
		    (c == '(' && nwords > 0))
			break;
		if (c == '<' || c == '>') {
			/* a redirection: operator then its word */
			size_t os = lx->i;
			int here = 0, strip = 0;

			if (c == '<' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == '(') {
				goto word;
			}
			if (c == '>' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == '(')
				goto word;
			while (lx->i < lx->n && strchr("<>&|-", lx->s[lx->i]))
				lx->i++;
			if (lx->i - os == 2 && !memcmp(lx->s + os, "<<", 2))
				here = 1;
			else if (lx->i - os == 3 && !memcmp(lx->s + os, "<<-", 3))
				here = 1, strip = 1;
			skip_blanks(lx);
			size_t we = skip_word(lx, lx->i);

			if (we == BAD)
				return -1;
			if (here && add_heredoc(lx, lx->i, we, strip) < 0)
				return -1;
			lx->i = we;
			continue;
		}
		if (c == '(' && nwords == 0) {
			if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == '(') {
				/* (( arithmetic command )) */
				size_t e = skip_arith(lx, lx->i - 1);

				if (e == BAD)
					return -1;
				lx->i = e;
				nwords++;
				assign_only = 0;
				continue;
			}
			lx->i++;
			return push(lx, C_SUBSHELL, 1);
		}
word:
		{
			size_t ws = lx->i, we = skip_word(lx, ws);
			size_t plen;
			int append;

			if (we == BAD)
				return -1;
			if (we == ws)
				return lerr(lx, ws, "unexpected character");
			/* reserved words only where a command starts */
			if (nwords == 0) {
				if (word_is(lx, ws, we, "if") || word_is(lx, ws, we, "while") ||
				    word_is(lx, ws, we, "until")) {
					int guard;

					lx->i = we;
					guard = word_is(lx, ws, we, "if") && is_guard(lx, we);
					if (push(lx, word_is(lx, ws, we, "if") ? C_IF : C_LOOP, !guard) < 0)
						return -1;
					lx->pending_cond = 1;
					return 0;
				}
				if (word_is(lx, ws, we, "for") || word_is(lx, ws, we, "select")) {
					lx->i = we;
					if (push(lx, C_LOOP, 1) < 0)
						return -1;
					/* skip "NAME in words" up to ; or newline */
					while (lx->i < lx->n && lx->s[lx->i] != ';' && lx->s[lx->i] != '\n') {
						skip_blanks(lx);
						size_t e2 = skip_word(lx, lx->i);

						if (e2 == BAD)
							return -1;
						if (e2 == lx->i)
							break;
						lx->i = e2;
					}
					return 0;
				}
				if (word_is(lx, ws, we, "then") || word_is(lx, ws, we, "else") ||
				    word_is(lx, ws, we, "elif") || word_is(lx, ws, we, "do")) {
					lx->i = we;
					if (word_is(lx, ws, we, "elif"))
						lx->pending_cond = 1;
					return 0;
				}
				if (word_is(lx, ws, we, "fi")) {
					lx->i = we;
					return pop(lx, C_IF, ws, "fi");
				}
				if (word_is(lx, ws, we, "done")) {
					lx->i = we;
					return pop(lx, C_LOOP, ws, "done");
				}
				if (word_is(lx, ws, we, "case")) {
					lx->i = we;
					reading_case_word = 1;
					nwords++;
					assign_only = 0;
					continue;
				}
				if (word_is(lx, ws, we, "{")) {
					lx->i = we;
					return push(lx, C_GROUP, 0);
				}
				if (word_is(lx, ws, we, "}")) {
					lx->i = we;
					return pop(lx, C_GROUP, ws, "}");
				}
				if (word_is(lx, ws, we, "!")) {
					lx->i = we;
					continue;
				}
				if (word_is(lx, ws, we, "function")) {
					/* function NAME [()] body */
					lx->i = we;
					skip_blanks(lx);
					size_t e2 = skip_word(lx, lx->i);

					if (e2 == BAD)
						return -1;
					lx->i = e2;
					skip_blanks(lx);
					if (lx->i + 1 < lx->n && lx->s[lx->i] == '(' ) {
						size_t k = lx->i + 1;

						while (k < lx->n && (lx->s[k] == ' ' || lx->s[k] == '\t'))
							k++;
						if (k < lx->n && lx->s[k] == ')')
							lx->i = k + 1;
					}
					lx->pending_func = 1;
					return 0;
				}
				if (word_is(lx, ws, we, "[[")) {
					/* [[ … ]]: operators inside are not command syntax */
					lx->i = we;
					for (;;) {
						skip_blanks(lx);
						if (lx->i >= lx->n)
							return lerr(lx, ws, "unterminated [[");
						if (lx->s[lx->i] == '\n') {
							lx->i++;
							continue;
						}
						if (is_meta(lx->s[lx->i])) {
							lx->i++;
							continue;
						}
						size_t e2 = skip_word(lx, lx->i);

						if (e2 == BAD)
							return -1;
						if (word_is(lx, lx->i, e2, "]]")) {
							lx->i = e2;
							break;
						}
						lx->i = e2;
					}
					nwords++;
					assign_only = 0;
					if (cmd_ws == BAD)
						cmd_ws = ws, cmd_we = we;
					continue;
				}
			}
			if (reading_case_word) {
				/* "case WORD in": then patterns follow */
				lx->i = we;
				if (word_is(lx, ws, we, "in")) {
					if (push(lx, C_CASE, 1) < 0)
						return -1;
					lx->stack[lx->depth - 1].case_pat = 1;
					return 0;
				}
				continue;
			}
			/* NAME() { … }: a function definition */
			if (nwords == 0) {
				size_t k = we;

				while (k < lx->n && (lx->s[k] == ' ' || lx->s[k] == '\t'))
					k++;
				if (k + 1 < lx->n && lx->s[k] == '(') {
					size_t k2 = k + 1;

					while (k2 < lx->n && (lx->s[k2] == ' ' || lx->s[k2] == '\t'))
						k2++;
					if (k2 < lx->n && lx->s[k2] == ')') {
						lx->i = k2 + 1;
						lx->pending_func = 1;
						return 0;
					}
				}
			}
			nwords++;
			if (assign_only && (plen = assign_prefix(lx, ws, we, &append))) {
				size_t vs, ve, end = we;
				enum ebuild_quote q;

				if (we == ws + plen && we < lx->n && lx->s[we] == '(') {
					/* NAME=( … ) */
					lx->i = we;
					if (read_array(lx, &end) < 0)
						return -1;
					q = EBUILD_ARRAY;
					vs = we + 1;
					ve = end - 1;
					we = end;
				} else {
					q = classify(lx, ws + plen, we, &vs, &ve);
				}
				if (add_assign(lx, &(struct assign){ ws, plen, we, vs, ve, q, append }) < 0)
					return -1;
				lx->i = we;
				continue;
			}
			if (assign_only && (word_is(lx, ws, we, "export") || word_is(lx, ws, we, "declare") ||
			    word_is(lx, ws, we, "readonly") || word_is(lx, ws, we, "typeset") ||
			    word_is(lx, ws, we, "local"))) {
				/* these assign their arguments; "local" only in functions */
				declare = 1;
				if (cmd_ws == BAD)
					cmd_ws = ws, cmd_we = we;
				lx->i = we;
				continue;
			}
			if (declare && lx->s[ws] == '-') {
				lx->i = we;
				continue;
			}
			if (!declare) {
				assign_only = 0;
				if (cmd_ws == BAD)
					cmd_ws = ws, cmd_we = we;
			}
			lx->i = we;
		}
	}
	/* Assignments count only when nothing but assignments (or a
	 * declaration builtin) made up the command: "A=1 make" is an
	 * environment prefix. */
	if (assign_only || declare) {
		for (size_t k = 0; k < lx->nas; k++) {
			const struct assign *a = &lx->as[k];

			if (add_var(lx, a->ws, a->plen, a->end, a->vs, a->ve, a->q, a->append) < 0)
				return -1;
		}
	}
	if (cmd_ws != BAD && !declare && add_cmd(lx, cmd_ws, cmd_we) < 0)
		return -1;
	if (cmd_ws != BAD && declare && add_cmd(lx, cmd_ws, cmd_we) < 0)
		return -1;
	return 0;
}

/* A case item's patterns, up to the ')' that ends them. */
static int
case_patterns(struct lexer *lx)
{
	size_t start = lx->i;

	for (;;) {
		skip_blanks(lx);
		if (lx->i >= lx->n)
			return lerr(lx, start, "unterminated case pattern");
		char c = lx->s[lx->i];

		if (c == '\n') {
			lx->i++;
			if (lx->nhd && read_heredocs(lx) < 0)
				return -1;
			continue;
		}
		if (c == '#') {
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (c == '(' || c == '|') {
			lx->i++;
			continue;
		}
		if (c == ')') {
			lx->i++;
			lx->stack[lx->depth - 1].case_pat = 0;
			return 0;
		}
		size_t we = skip_word(lx, lx->i);

		if (we == BAD)
			return -1;
		if (we == lx->i)
			return lerr(lx, lx->i, "unexpected character in case pattern");
		if (word_is(lx, lx->i, we, "esac")) {
			lx->i = we;
			return pop(lx, C_CASE, we, "esac");
		}
		lx->i = we;
	}
}

static int
lex(struct lexer *lx)
{
	while (lx->i < lx->n) {
		skip_blanks(lx);
		if (lx->i >= lx->n)
			break;
		char c = lx->s[lx->i];

		if (lx->depth && lx->stack[lx->depth - 1].kind == C_CASE && lx->stack[lx->depth - 1].case_pat) {
			if (case_patterns(lx) < 0)
				return -1;
			continue;
		}
		if (c == '\n') {
			lx->i++;
			if (!lx->cont)
				lx->andor = 0;
			if (lx->nhd && read_heredocs(lx) < 0)
				return -1;
			continue;
		}
		if (c == '#') {
			while (lx->i < lx->n && lx->s[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (c == ';') {
			if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == ';') {
				/* ;; ends a case item: patterns follow */
				lx->i += 2;
				if (lx->i < lx->n && lx->s[lx->i] == '&')
					lx->i++;
				if (lx->depth && lx->stack[lx->depth - 1].kind == C_CASE)
					lx->stack[lx->depth - 1].case_pat = 1;
				lx->andor = 0;
				continue;
			}
			if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == '&') {
				lx->i += 2;
				if (lx->depth && lx->stack[lx->depth - 1].kind == C_CASE)
					lx->stack[lx->depth - 1].case_pat = 1;
				continue;
			}
			lx->i++;
			lx->andor = 0;
			continue;
		}
		if (c == '&' || c == '|') {
			if (lx->i + 1 < lx->n && lx->s[lx->i + 1] == c) {
				lx->andor = lx->cont = 1;
				lx->i += 2;
			} else if (c == '|') {
				/* a pipeline's commands run in subshells */
				lx->andor = lx->cont = 1;
				lx->i++;
			} else {
				lx->i++;
				lx->andor = 0;
			}
			continue;
		}
		if (c == ')') {
			lx->i++;
			if (pop(lx, C_SUBSHELL, lx->i - 1, ")") < 0)
				return -1;
			continue;
		}
		/* "esac" closes a case whose last item had no ;; */
		if (lx->depth && lx->stack[lx->depth - 1].kind == C_CASE) {
			size_t we = skip_word(lx, lx->i);

			if (we != BAD && word_is(lx, lx->i, we, "esac")) {
				lx->i = we;
				lx->depth--;
				continue;
			}
		}
		if (lx->pending_func) {
			/* the function body: a compound command */
			size_t we = skip_word(lx, lx->i);

			if (c == '(' ) {
				lx->i++;
				if (push(lx, C_SUBSHELL, 1) < 0)
					return -1;
				lx->stack[lx->depth - 1].func = 1;
				continue;
			}
			if (we != BAD && word_is(lx, lx->i, we, "{")) {
				lx->i = we;
				if (push(lx, C_GROUP, 0) < 0)
					return -1;
				continue;
			}
			/* "f() if …" and friends: rare; the body is that compound */
			lx->pending_func = 1;
		}
		size_t before = lx->i;

		if (command(lx) < 0)
			return -1;
		if (lx->i == before && lx->i < lx->n)
			return lerr(lx, lx->i, "unexpected character");
	}
	if (lx->nhd) {
		dk_errf(lx->e, lx->path, line_of(lx, lx->n ? lx->n - 1 : 0),
			"unterminated here-document (no line \"%s\")", lx->hd[0].delim);
		return -1;
	}
	if (lx->depth) {
		static const char *const names[] = { "if without fi", "loop without done",
			"case without esac", "{ without }", "( without )", "function body" };
		dk_errf(lx->e, lx->path, line_of(lx, lx->n ? lx->n - 1 : 0),
			"unexpected end of file: %s", names[lx->stack[lx->depth - 1].kind]);
		return -1;
	}
	return 0;
}

int
ebuild_parse(struct ebuild *eb, const char *path, const char *text, size_t len, struct dk_err *e)
{
	struct lexer lx;
	size_t k, nl = 1;
	int r;

	memset(eb, 0, sizeof *eb);
	if (!(eb->path = strdup(path)) || !(eb->text = malloc(len + 1))) {
		ebuild_free(eb);
		return dk_syserrf(e, path, 0, "cannot read");
	}
	memcpy(eb->text, text, len);
	eb->text[len] = '\0';
	eb->len = len;
	if (memchr(text, '\0', len)) {
		size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
		long line = 1;

		for (k = 0; k < at; k++)
			line += text[k] == '\n';
		ebuild_free(eb);
		return dk_errf(e, path, line, "binary data (a NUL byte) in the file");
	}
	memset(&lx, 0, sizeof lx);
	lx.s = eb->text;
	lx.n = len;
	lx.path = path;
	lx.e = e;
	lx.eb = eb;
	for (k = 0; k < len; k++)
		nl += text[k] == '\n';
	if (!(lx.lines = malloc(nl * sizeof *lx.lines))) {
		ebuild_free(eb);
		return dk_syserrf(e, path, 0, "cannot read");
	}
	lx.lines[0] = 0;
	lx.nlines = 1;
	for (k = 0; k < len; k++)
		if (text[k] == '\n')
			lx.lines[lx.nlines++] = k + 1;
	r = lex(&lx);
	for (int h = 0; h < lx.nhd; h++)
		free(lx.hd[h].delim);
	free(lx.lines);
	free(lx.as);
	if (r < 0) {
		ebuild_free(eb);
		return -1;
	}
	return 0;
}

int
ebuild_load(struct ebuild *eb, const char *path, struct dk_err *e)
{
	struct buf b = { 0 };
	int r;

	memset(eb, 0, sizeof *eb);
	if (read_file(path, &b, e) < 0) {
		buf_free(&b);
		return -1;
	}
	r = ebuild_parse(eb, strcmp(path, "-") ? path : "<stdin>", buf_str(&b), b.len, e);
	buf_free(&b);
	return r;
}

void
ebuild_free(struct ebuild *eb)
{
	for (size_t k = 0; k < eb->nvars; k++)
		free(eb->vars[k].name);
	for (size_t k = 0; k < eb->ncmds; k++)
		free(eb->cmds[k].name);
	free(eb->vars);
	free(eb->cmds);
	free(eb->path);
	free(eb->text);
	memset(eb, 0, sizeof *eb);
}

const struct ebuild_var *
ebuild_find(const struct ebuild *eb, const char *name)
{
	const struct ebuild_var *found = NULL;

	for (size_t k = 0; k < eb->nvars; k++) {
		const struct ebuild_var *v = &eb->vars[k];

		if (!v->in_func && !v->append && !strcmp(v->name, name))
			found = v;
	}
	return found;
}

char *
ebuild_raw(const struct ebuild *eb, const struct ebuild_var *v)
{
	return strndup(eb->text + v->val_start, v->val_end - v->val_start);
}

const struct ebuild_var *
ebuild_global(const struct ebuild *eb, const char *name, struct dk_err *e)
{
	const struct ebuild_var *v = NULL;
	size_t k;

	for (k = 0; k < eb->nvars; k++) {
		const struct ebuild_var *w = &eb->vars[k];

		if (w->in_func || strcmp(w->name, name))
			continue;
		if (!w->append || !v || v->append)
			v = w;
	}
	if (v)
		return v;
	for (k = 0; k < eb->nvars; k++)
		if (!strcmp(eb->vars[k].name, name)) {
			dk_errf(e, eb->path, eb->vars[k].line,
				"%s is only set inside a function, not at global scope", name);
			return NULL;
		}
	dk_errf(e, eb->path, 0, "%s is not assigned at global scope", name);
	return NULL;
}

/* The value as it must be written inside quote style q, or NULL with e
 * set when q cannot hold it. */
static char *
encode(const struct ebuild *eb, const struct ebuild_var *v, const char *value, struct dk_err *e)
{
	struct buf b = { 0 };
	size_t bs = 0;

	switch (v->quote) {
	case EBUILD_SINGLE:
		if (strchr(value, '\'')) {
			dk_errf(e, eb->path, v->line, "%s: a single-quoted value cannot hold ': %s", v->name, value);
			return NULL;
		}
		return strdup(value);
	case EBUILD_DOUBLE:
	case EBUILD_ANSI:
		/* a quote not already escaped is escaped, so it cannot end
		 * the string early; a trailing lone backslash likewise */
		for (const char *p = value; *p; p++) {
			char q = v->quote == EBUILD_DOUBLE ? '"' : '\'';

			if (*p == q && bs % 2 == 0)
				buf_addc(&b, '\\');
			bs = *p == '\\' ? bs + 1 : 0;
			buf_addc(&b, *p);
		}
		if (bs % 2)
			buf_addc(&b, '\\');
		return buf_take(&b);
	default:
		return strdup(value);
	}
}

int
ebuild_set(const struct ebuild *eb, char *const settings[], size_t n, struct buf *out, struct dk_err *e)
{
	struct {
		size_t index, from, to;
		char *enc;
		int used;
	} *t;
	struct ebuild check;
	struct buf text = { 0 };
	size_t k, j, pos = 0;
	int r = -1;

	if (!(t = calloc(n ? n : 1, sizeof *t)))
		return dk_syserrf(e, eb->path, 0, "cannot edit");
	for (k = 0; k < n; k++) {
		const char *eq = strchr(settings[k], '=');
		const struct ebuild_var *v;
		char *name;
		size_t nl = eq ? (size_t)(eq - settings[k]) : 0;

		if (!eq || !nl || !is_name_start(settings[k][0])) {
			dk_errf(e, NULL, 0, "not NAME=VALUE: %s", settings[k]);
			goto done;
		}
		for (j = 0; j < nl; j++)
			if (!is_name_char(settings[k][j])) {
				dk_errf(e, NULL, 0, "not a variable name: %.*s", (int)nl, settings[k]);
				goto done;
			}
		if (!(name = strndup(settings[k], nl)))
			goto nomem;
		v = ebuild_global(eb, name, e);
		free(name);
		if (!v)
			goto done;
		t[k].index = (size_t)(v - eb->vars);
		for (j = 0; j < k; j++)
			if (t[j].index == t[k].index) {
				dk_errf(e, NULL, 0, "%s is set twice", v->name);
				goto done;
			}
		if (v->quote == EBUILD_MIXED) {
			/* mixed quoting: the new value replaces the whole word */
			t[k].from = v->start + strlen(v->name) + (size_t)v->append + 1;
			t[k].to = v->end;
		} else {
			t[k].from = v->val_start;
			t[k].to = v->val_end;
		}
		if (!(t[k].enc = encode(eb, v, eq + 1, e)))
			goto done;
	}
	/* Splice in file order. */
	for (j = 0; j < n; j++) {
		size_t best = n;

		for (k = 0; k < n; k++)
			if (!t[k].used && (best == n || t[k].from < t[best].from))
				best = k;
		t[best].used = 1;
		if (buf_add(&text, eb->text + pos, t[best].from - pos) < 0 ||
		    buf_adds(&text, t[best].enc) < 0)
			goto nomem;
		pos = t[best].to;
	}
	if (buf_add(&text, eb->text + pos, eb->len - pos) < 0)
		goto nomem;
	/* The edit must lex back to the same assignments with the new values:
	 * otherwise a value broke its quoting ("a b" in a bare value, `…). */
	if (ebuild_parse(&check, eb->path, buf_str(&text), text.len, e) < 0) {
		dk_errf(e, eb->path, 0, "the new value would break the file: %s", e ? e->msg : "");
		goto done;
	}
	if (check.nvars != eb->nvars || check.ncmds != eb->ncmds) {
		const struct ebuild_var *a = &eb->vars[t[0].index];

		if (n == 1)
			dk_errf(e, eb->path, a->line, "the new value of %s would break its quoting; "
				"quote it or escape the shell characters", a->name);
		else
			dk_errf(e, eb->path, 0, "a new value would break its quoting; "
				"quote it or escape the shell characters");
		ebuild_free(&check);
		goto done;
	}
	/* every assignment as it was, in kind and place; a command added by a
	 * value (X=a"b";cmd) shows as one more command above */
	for (j = 0; j < eb->nvars; j++) {
		const struct ebuild_var *a = &eb->vars[j], *b = &check.vars[j];

		if (strcmp(a->name, b->name) || a->quote != b->quote || a->append != b->append ||
		    a->cond != b->cond || a->in_func != b->in_func) {
			dk_errf(e, eb->path, a->line, "a new value would break the assignments around it");
			ebuild_free(&check);
			goto done;
		}
	}
	for (k = 0; k < n; k++) {
		const struct ebuild_var *a = &eb->vars[t[k].index], *b = &check.vars[t[k].index];
		size_t vs = b->start + strlen(b->name) + (size_t)b->append + 1;
		char *raw = a->quote == EBUILD_MIXED ? strndup(check.text + vs, b->end - vs) : ebuild_raw(&check, b);
		int same = raw && !strcmp(raw, t[k].enc);

		free(raw);
		if (!same) {
			dk_errf(e, eb->path, a->line, "the new value of %s would break its quoting", a->name);
			ebuild_free(&check);
			goto done;
		}
	}
	ebuild_free(&check);
	if (buf_add(out, text.s ? text.s : "", text.len) < 0)
		goto nomem;
	r = 0;
	goto done;
nomem:
	dk_syserrf(e, eb->path, 0, "cannot edit");
done:
	for (k = 0; k < n; k++)
		free(t[k].enc);
	free(t);
	buf_free(&text);
	return r;
}

size_t
ebuild_skip(const char *s, size_t len, size_t i, int word)
{
	struct lexer lx;
	size_t r;

	memset(&lx, 0, sizeof lx);
	lx.s = s;
	lx.n = len;
	if (word)
		r = skip_word(&lx, i);
	else if (s[i] == '\'')
		r = skip_squote(&lx, i);
	else if (s[i] == '"')
		r = skip_dquote(&lx, i);
	else if (s[i] == '`')
		r = skip_backtick(&lx, i);
	else if (s[i] == '$')
		r = skip_dollar(&lx, i);
	else
		r = i + 1;
	return r == BAD ? 0 : (r > len ? len : r);
}
