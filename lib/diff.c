/* dk: unified diffs. GPL-2.0-only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "diff.h"
#include "lines.h"
#include "version.h"

/* s quoted for a message: at most 80 bytes, escaped (dk_quote). */
#define QUOTE(buf, s) dk_quote((buf), sizeof (buf), (s), strlen(s))

struct rawline {
	const char *s;
	size_t len;	/* without the newline */
	int nl;		/* ended by a newline */
};

/* What the parser knows about the file whose header it is reading. */
struct header {
	char *hdr_old, *hdr_new;	/* from "diff --git" */
	char *minus, *plus;		/* from "---" / "+++" */
	int minus_null, plus_null, have_minus;
	char *from, *to;		/* rename/copy from/to */
	int added, deleted, renamed, copied;
};

static int
starts(const struct rawline *l, const char *p)
{
	size_t n = strlen(p);

	return l->len >= n && !memcmp(l->s, p, n);
}

static void
header_free(struct header *h)
{
	free(h->hdr_old);
	free(h->hdr_new);
	free(h->minus);
	free(h->plus);
	free(h->from);
	free(h->to);
	memset(h, 0, sizeof *h);
}

/* Reads a C-quoted name as git writes it ("a/caf\303\251 x\tb") from s (at
 * the opening quote, n bytes available). Returns the name (malloc'ed) and
 * sets *used to the bytes read, or returns NULL. */
static char *
unquote(const char *s, size_t n, size_t *used)
{
	struct buf b = { 0 };
	size_t i = 1;

	while (i < n && s[i] != '"') {
		char c = s[i++];

		if (c == '\\') {
			if (i >= n)
				goto bad;
			c = s[i++];
			switch (c) {
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 't': c = '\t'; break;
			case 'n': c = '\n'; break;
			case 'v': c = '\v'; break;
			case 'f': c = '\f'; break;
			case 'r': c = '\r'; break;
			case '"': case '\\': break;
			default:
				if (c < '0' || c > '3' || i + 1 >= n ||
				    s[i] < '0' || s[i] > '7' || s[i + 1] < '0' || s[i + 1] > '7')
					goto bad;
				c = (char)((c - '0') * 64 + (s[i] - '0') * 8 + (s[i + 1] - '0'));
				i += 2;
			}
		}
		if (buf_addc(&b, c) < 0)
			goto bad;
	}
	if (i >= n)
		goto bad;
	*used = i + 1;
	return buf_take(&b);
bad:
	buf_free(&b);
	return NULL;
}

/* The name of a "---"/"+++"/"rename from" line after its keyword: quoted,
 * or up to a tab (plain diff's timestamp; git's mark of a name with
 * spaces). Returns it malloc'ed or NULL. */
static char *
line_name(const char *s, size_t n)
{
	size_t used, k;

	if (n && s[0] == '"')
		return unquote(s, n, &used);
	for (k = 0; k < n && s[k] != '\t'; k++)
		;
	return k ? strndup(s, k) : NULL;
}

/* Drops the first path component (git's a/ and b/), as git apply -p1. */
static char *
strip1(char *name)
{
	char *slash, *r;

	if (!name || !(slash = strchr(name, '/'))) {
		free(name);
		return NULL;
	}
	r = strdup(slash + 1);
	free(name);
	return r;
}

/* Both names of "diff --git A B". When neither is quoted and names hold
 * spaces, the split is where both sides name the same file, as git does;
 * otherwise the names are left NULL for "---"/"rename" lines to give. */
static void
git_header_names(const char *s, size_t n, struct header *h)
{
	size_t used, i;

	if (n && s[0] == '"') {
		char *a = unquote(s, n, &used);

		if (!a || used >= n || s[used] != ' ') {
			free(a);
			return;
		}
		h->hdr_old = strip1(a);
		s += used + 1;
		n -= used + 1;
		h->hdr_new = strip1(n && s[0] == '"' ? unquote(s, n, &used) : strndup(s, n));
		return;
	}
	for (i = 0; i < n; i++) {
		const char *a, *b;
		size_t la, lb;

		if (s[i] != ' ')
			continue;
		if (i + 1 < n && s[i + 1] == '"') {
			h->hdr_old = strip1(strndup(s, i));
			h->hdr_new = strip1(unquote(s + i + 1, n - i - 1, &used));
			return;
		}
		a = memchr(s, '/', i);
		b = memchr(s + i + 1, '/', n - i - 1);
		if (!a || !b)
			continue;
		la = i - (size_t)(a - s);
		lb = n - (size_t)(b - s);
		if (la == lb && !memcmp(a, b, la)) {
			h->hdr_old = strndup(a + 1, la - 1);
			h->hdr_new = strndup(b + 1, lb - 1);
			return;
		}
	}
}

static int
path_ok(const struct diff *d, const char *path, long line, struct dk_err *e)
{
	const char *p = path;
	char q[DK_QUOTE_MAX];

	if (!*path)
		return dk_errf(e, d->name, line, "empty file name");
	if (*path == '/')
		return dk_errf(e, d->name, line, "absolute path %s", QUOTE(q, path));
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return dk_errf(e, d->name, line, "path %s leaves the tree (\"..\")", QUOTE(q, path));
		/* git's own files: any case, as git itself refuses on a
		 * case-insensitive file system */
		if (n == 4 && !strncasecmp(p, ".git", 4))
			return dk_errf(e, d->name, line, "path %s is inside .git", QUOTE(q, path));
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

static struct diff_file *
new_file(struct diff *d, long line)
{
	struct diff_file *f;

	if (!(f = realloc(d->files, (d->nfiles + 1) * sizeof *f)))
		return NULL;
	d->files = f;
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof *f);
	f->line = line;
	return f;
}

/* Turns what the header lines said into the file's names and kind. */
static int
finish_header(struct diff *d, struct diff_file *f, struct header *h, struct dk_err *e)
{
	char **o, **n;

	o = h->from ? &h->from : h->have_minus ? &h->minus : &h->hdr_old;
	n = h->to ? &h->to : h->have_minus ? &h->plus : &h->hdr_new;
	if (h->added || h->minus_null) {
		f->kind = DIFF_ADD;
		o = NULL;
	} else if (h->deleted || h->plus_null) {
		f->kind = DIFF_DELETE;
		n = NULL;
	} else if (h->renamed) {
		f->kind = DIFF_RENAME;
	} else if (h->copied) {
		f->kind = DIFF_COPY;
	}
	if ((o && !*o) || (n && !*n))
		return dk_errf(e, d->name, f->line, "cannot tell the file name");
	if (o) {
		f->old_path = *o;
		*o = NULL;
		if (path_ok(d, f->old_path, f->line, e) < 0)
			return -1;
	}
	if (n) {
		f->new_path = *n;
		*n = NULL;
		if (path_ok(d, f->new_path, f->line, e) < 0)
			return -1;
	}
	return 0;
}

/* The name of a "---" or "+++" line (the number lineno): *null set for
 * /dev/null, else *name with the a/ or b/ prefix stripped. */
static int
side(const struct diff *d, const struct rawline *l, long lineno, int *null, char **name, struct dk_err *e)
{
	char q[DK_QUOTE_MAX];

	if (l->len == 13 && !memcmp(l->s + 4, "/dev/null", 9))
		*null = 1;
	else if (l->len > 4 && l->s[4] == '/')
		return dk_errf(e, d->name, lineno, "absolute path %s", dk_quote(q, sizeof q, l->s + 4, l->len - 4));
	else if (!(*name = strip1(line_name(l->s + 4, l->len - 4))))
		return dk_errf(e, d->name, lineno, "bad file name (no %c/ prefix?)", l->s[0] == '-' ? 'a' : 'b');
	return 0;
}

/* Reads "--- A" and "+++ B" at lines[i], i+1. */
static int
minus_plus(struct diff *d, const struct rawline *lines, size_t i, struct header *h, struct dk_err *e)
{
	h->have_minus = 1;
	if (side(d, &lines[i], (long)i + 1, &h->minus_null, &h->minus, e) < 0 ||
	    side(d, &lines[i + 1], (long)i + 2, &h->plus_null, &h->plus, e) < 0)
		return -1;
	if (h->minus_null && h->plus_null)
		return dk_errf(e, d->name, (long)i + 1, "both sides are /dev/null");
	return 0;
}

static int
parse_num(const char **p, long *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtol(*p, &end, 10);
	if (errno)
		return -1;
	*p = end;
	return 0;
}

/* One side of a hunk header after its lead: "start[,count]". */
static int
range(const char **p, const char *lead, long *start, long *count)
{
	size_t k = strlen(lead);

	if (strncmp(*p, lead, k))
		return -1;
	*p += k;
	*count = 1;
	if (parse_num(p, start) < 0)
		return -1;
	if (**p != ',')
		return 0;
	(*p)++;
	return parse_num(p, count);
}

/* "@@ -a[,b] +c[,d] @@…" */
static int
hunk_header(const struct rawline *l, struct diff_hunk *h)
{
	char tmp[128];
	const char *p = tmp;
	size_t n = l->len < sizeof tmp - 1 ? l->len : sizeof tmp - 1;

	memcpy(tmp, l->s, n);
	tmp[n] = '\0';
	if (range(&p, "@@ -", &h->old_start, &h->old_count) < 0 ||
	    range(&p, " +", &h->new_start, &h->new_count) < 0)
		return -1;
	return strncmp(p, " @@", 3) ? -1 : 0;
}

/* Reads the hunk whose header is lines[*i]; leaves *i after it. */
static int
read_hunk(struct diff *d, struct diff_file *f, const struct rawline *lines, size_t n, size_t *i, struct dk_err *e)
{
	struct diff_hunk *h;
	long start = (long)*i + 1, ol, nl;
	size_t cap;

	if (!(h = realloc(f->hunks, (f->nhunks + 1) * sizeof *h)))
		return dk_syserrf(e, d->name, start, "hunk");
	f->hunks = h;
	h = &f->hunks[f->nhunks++];
	memset(h, 0, sizeof *h);
	h->line = start;
	if (hunk_header(&lines[*i], h) < 0)
		return dk_errf(e, d->name, start, "malformed hunk header");
	ol = h->old_count;
	nl = h->new_count;
	if ((f->kind == DIFF_ADD && (h->old_start || ol)) || (f->kind == DIFF_DELETE && (h->new_start || nl)))
		return dk_errf(e, d->name, start, "hunk header does not fit a %s file",
			f->kind == DIFF_ADD ? "new" : "deleted");
	/* The body is at most ol + nl lines, and no longer than the rest of
	 * the diff whatever a (truncated or hostile) header counts. */
	cap = n - *i;
	if ((size_t)ol < cap && (size_t)nl < cap && (size_t)ol + (size_t)nl < cap)
		cap = (size_t)ol + (size_t)nl + 1;
	h->lines = calloc(cap, sizeof *h->lines);
	if (!h->lines)
		return dk_syserrf(e, d->name, start, "hunk");
	for ((*i)++;; (*i)++) {
		const struct rawline *l = &lines[*i];
		long at = (long)*i + 1;
		char c;

		/* "\ No newline at end of file" belongs to the line before
		 * it, also the last one of the hunk. */
		if (*i < n && l->len && l->s[0] == '\\' && h->nlines) {
			struct diff_line *prev = &h->lines[h->nlines - 1];

			if (prev->len && prev->s[prev->len - 1] == '\n')
				prev->len--;
			continue;
		}
		if (!ol && !nl)
			break;
		if (*i >= n)
			return dk_errf(e, d->name, at - 1, "diff ends inside the hunk at line %ld: "
				"%ld old and %ld new lines missing (truncated?)", start, ol, nl);
		c = l->len ? l->s[0] : l->nl ? ' ' : 0;
		if ((c == ' ' && (!ol || !nl)) || (c == '-' && !ol) || (c == '+' && !nl) ||
		    (c != ' ' && c != '-' && c != '+'))
			return dk_errf(e, d->name, at, "hunk at line %ld is truncated: "
				"%ld old and %ld new lines missing", start, ol, nl);
		if (!l->nl)
			return dk_errf(e, d->name, at, "line has no newline (truncated diff?)");
		h->lines[h->nlines].kind = c;
		h->lines[h->nlines].s = l->len ? l->s + 1 : l->s;
		h->lines[h->nlines].len = l->len ? l->len : 1;
		h->nlines++;
		if (c != '+')
			ol--;
		if (c != '-')
			nl--;
		if (c == '+')
			f->added++;
		if (c == '-')
			f->removed++;
	}
	return 0;
}

/* A git mode after a header keyword (at s, n bytes): only regular files
 * may be exported; GNU patch in the image would make a link or submodule
 * just as the diff says. */
static int
mode_ok(const struct diff *d, const char *s, size_t n, long line, struct dk_err *e)
{
	const char *what;

	if (n == 6 && (!memcmp(s, "100644", 6) || !memcmp(s, "100755", 6)))
		return 0;
	what = n == 6 && !memcmp(s, "120000", 6) ? " (a symbolic link)"
		: n == 6 && !memcmp(s, "160000", 6) ? " (a submodule)"
		: n == 6 && !memcmp(s, "040000", 6) ? " (a directory)" : "";
	return dk_errf(e, d->name, line, "mode %.*s%s: only regular files (100644, 100755) can be exported",
		n > 16 ? 16 : (int)n, s, what);
}

/* The mode a git extended header line gives, checked; lines without one
 * pass. */
static int
header_mode(const struct diff *d, const struct rawline *l, long line, struct dk_err *e)
{
	static const char *const keys[] = {
		"new file mode ", "deleted file mode ", "old mode ", "new mode ",
	};
	size_t i, k;

	for (i = 0; i < sizeof keys / sizeof *keys; i++) {
		k = strlen(keys[i]);
		if (starts(l, keys[i]))
			return mode_ok(d, l->s + k, l->len - k, line, e);
	}
	/* "index abc..def 160000": a changed submodule has no other mode line */
	if (starts(l, "index ")) {
		const char *sp = memchr(l->s + 6, ' ', l->len - 6);

		if (sp)
			return mode_ok(d, sp + 1, l->len - (size_t)(sp + 1 - l->s), line, e);
	}
	return 0;
}

static int
binary(const struct rawline *l)
{
	return starts(l, "Binary files ") || starts(l, "GIT binary patch");
}

/* One file: its "diff --git" header (git) or "---"/"+++" (plain), hunks. */
static int
read_file_diff(struct diff *d, const struct rawline *lines, size_t n, size_t *i, struct dk_err *e)
{
	struct header h = { 0 };
	struct diff_file *f;
	int git = starts(&lines[*i], "diff --git "), r = -1;

	if (!(f = new_file(d, (long)*i + 1)))
		return dk_syserrf(e, d->name, (long)*i + 1, "diff");
	if (git) {
		git_header_names(lines[*i].s + 11, lines[*i].len - 11, &h);
		for ((*i)++; *i < n; (*i)++) {
			const struct rawline *l = &lines[*i];
			char **to = NULL;

			if (header_mode(d, l, (long)*i + 1, e) < 0)
				goto out;
			if (starts(l, "deleted file mode "))
				h.deleted = 1;
			else if (starts(l, "new file mode "))
				h.added = 1;
			else if (starts(l, "rename from ") || starts(l, "rename to "))
				h.renamed = 1, to = l->s[7] == 'f' ? &h.from : &h.to;
			else if (starts(l, "copy from ") || starts(l, "copy to "))
				h.copied = 1, to = l->s[5] == 'f' ? &h.from : &h.to;
			else if (!starts(l, "old mode ") && !starts(l, "new mode ") && !starts(l, "index ") &&
			    !starts(l, "similarity index ") && !starts(l, "dissimilarity index "))
				break;
			if (to) {
				size_t k = strcspn(l->s, " ") + 1;

				k += strcspn(l->s + k, " ") + 1;
				free(*to);
				if (!(*to = line_name(l->s + k, l->len - k))) {
					dk_errf(e, d->name, (long)*i + 1, "bad file name");
					goto out;
				}
			}
		}
	}
	if (*i < n && binary(&lines[*i])) {
		char q[DK_QUOTE_MAX];

		dk_errf(e, d->name, (long)*i + 1, "binary file%s%s: only text diffs can be exported",
			h.hdr_new ? " " : "", h.hdr_new ? QUOTE(q, h.hdr_new) : "");
		goto out;
	}
	if (*i + 1 < n && starts(&lines[*i], "--- ") && starts(&lines[*i + 1], "+++ ")) {
		if (minus_plus(d, lines, *i, &h, e) < 0)
			goto out;
		*i += 2;
		if (*i >= n || !starts(&lines[*i], "@@ ")) {
			dk_errf(e, d->name, (long)*i, "no hunk after the file header (truncated?)");
			goto out;
		}
	} else if (!git) {
		dk_errf(e, d->name, (long)*i + 1, "no file header");
		goto out;
	}
	if (finish_header(d, f, &h, e) < 0)
		goto out;
	while (*i < n && starts(&lines[*i], "@@ "))
		if (read_hunk(d, f, lines, n, i, e) < 0)
			goto out;
	/* diff -N marks a new or deleted file only by an empty side. */
	if (!git && f->kind == DIFF_MODIFY && f->nhunks == 1) {
		const struct diff_hunk *h = &f->hunks[0];

		if (!h->old_start && !h->old_count) {
			f->kind = DIFF_ADD;
			free(f->old_path);
			f->old_path = NULL;
		} else if (!h->new_start && !h->new_count) {
			f->kind = DIFF_DELETE;
			free(f->new_path);
			f->new_path = NULL;
		}
	}
	d->added += f->added;
	d->removed += f->removed;
	r = 0;
out:
	header_free(&h);
	return r;
}

int
diff_parse(struct diff *d, const char *name, const char *text, size_t len, struct dk_err *e)
{
	struct rawline *lines = NULL;
	size_t n = 0, i = 0, cap = 0;
	const char *p, *end;
	int r = -1;

	memset(d, 0, sizeof *d);
	if (!(d->name = strdup(name)) || !(d->text = malloc(len + 1))) {
		dk_syserrf(e, name, 0, "diff");
		return -1;
	}
	memcpy(d->text, text, len);
	d->text[len] = '\0';
	d->len = len;
	for (p = d->text, end = d->text + len; p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (n == cap) {
			struct rawline *t = realloc(lines, (cap = cap ? cap * 2 : 256) * sizeof *t);

			if (!t) {
				dk_syserrf(e, name, 0, "diff");
				goto out;
			}
			lines = t;
		}
		lines[n].s = p;
		lines[n].len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lines[n].nl = nl != NULL;
		p = nl ? nl + 1 : end;
		if (memchr(lines[n].s, '\0', lines[n].len)) {
			dk_errf(e, name, (long)n + 1, "NUL byte: only text diffs can be exported");
			goto out;
		}
		/* neither line can be a hunk's body line, so a CR there is
		 * the whole diff converted to CRLF */
		if ((starts(&lines[n], "diff --git ") || starts(&lines[n], "@@ "))
		    && lines[n].len && lines[n].s[lines[n].len - 1] == '\r') {
			dk_errf(e, name, (long)n + 1, "CRLF line ending: the diff was converted to DOS line ends");
			goto out;
		}
	}
	while (i < n) {
		const struct rawline *l = &lines[i];

		if (starts(l, "diff --git ") ||
		    (i + 1 < n && starts(l, "--- ") && starts(&lines[i + 1], "+++ "))) {
			if (read_file_diff(d, lines, n, &i, e) < 0)
				goto out;
		} else if (binary(l)) {
			dk_errf(e, name, (long)i + 1, "binary file: only text diffs can be exported");
			goto out;
		} else if (starts(l, "@@ ")) {
			dk_errf(e, name, (long)i + 1, "hunk without a file header");
			goto out;
		} else if (d->nfiles && l->len && strchr("+- \\", l->s[0])) {
			/* Text between files is ignored as git apply does,
			 * but not what looks like a hunk's line. */
			dk_errf(e, name, (long)i + 1, "line outside any hunk "
				"(the hunk header before it counts fewer lines)");
			goto out;
		} else {
			i++;
		}
	}
	if (!d->nfiles) {
		for (i = 0; i < len && strchr(" \t\r\n", text[i]); i++)
			;
		if (i == len)
			dk_errf(e, name, 0, "empty diff: no changes");
		else
			dk_errf(e, name, 0, "not a diff: no file header (diff --git, or --- and +++)");
		goto out;
	}
	r = 0;
out:
	free(lines);
	if (r < 0)
		diff_free(d);
	return r;
}

void
diff_free(struct diff *d)
{
	size_t i, j;

	for (i = 0; i < d->nfiles; i++) {
		for (j = 0; j < d->files[i].nhunks; j++)
			free(d->files[i].hunks[j].lines);
		free(d->files[i].hunks);
		free(d->files[i].old_path);
		free(d->files[i].new_path);
	}
	free(d->files);
	free(d->text);
	free(d->name);
	memset(d, 0, sizeof *d);
}

static int
under(const char *path, char *const prefixes[], size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		k = strlen(prefixes[i]);
		while (k && prefixes[i][k - 1] == '/')
			k--;
		if (k && !strncmp(path, prefixes[i], k) && path[k] == '/')
			return 1;
	}
	return 0;
}

int
diff_check_limits(const struct diff *d, char *const prefixes[], size_t n, struct dk_err *e)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++) {
		const struct diff_file *f = &d->files[i];
		const char *bad = f->old_path && !under(f->old_path, prefixes, n) ? f->old_path :
			f->new_path && !under(f->new_path, prefixes, n) ? f->new_path : NULL;

		char q[DK_QUOTE_MAX];

		if (bad)
			return dk_errf(e, d->name, f->line, "%s is outside %s%s", QUOTE(q, bad),
				prefixes[0], n > 1 ? " and the other -p packages" : "");
	}
	return 0;
}

/* ---- the dry run ---- */

/* A file's content as the diff sees it so far: a later entry may rename or
 * copy a file an earlier one changed. */
struct vfile {
	char *path;
	struct buf text;
	int exists;
};

struct vtree {
	const char *dir;
	struct vfile *files;
	size_t n, cap;
	size_t *idx, idxcap;	/* files by path (index + 1), at most half full */
};

struct span {
	const char *s;
	size_t len;
};

/* 0 when no component of path under dir is a symbolic link (a missing
 * one ends the walk: the diff creates it), else -1 with e set: a patch
 * through it would write outside the tree. */
static int
no_links(const char *dir, const char *path, struct dk_err *e)
{
	struct buf b = { 0 };
	struct stat st;
	const char *p = path;
	int r = 0;

	while (*p && !r) {
		p += strcspn(p, "/");
		buf_reset(&b);
		if (buf_printf(&b, "%s/%.*s", dir, (int)(p - path), path) < 0) {
			r = dk_syserrf(e, path, 0, "diff");
			break;
		}
		if (lstat(b.s, &st) < 0)
			break;
		if (S_ISLNK(st.st_mode))
			r = dk_errf(e, NULL, 0, "%s: a symbolic link in the tree: refusing to patch through it", b.s);
		else if (*p && !S_ISDIR(st.st_mode))
			r = dk_errf(e, NULL, 0, "%s: not a directory", b.s);
		if (*p)
			p++;
	}
	buf_free(&b);
	return r;
}

static size_t
path_hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of vt->idx holding path, or the empty one where it goes. */
static size_t *
vt_slot(const struct vtree *vt, const char *path)
{
	size_t mask = vt->idxcap - 1, i = path_hash(path) & mask;

	while (vt->idx[i] && strcmp(vt->files[vt->idx[i] - 1].path, path))
		i = (i + 1) & mask;
	return &vt->idx[i];
}

/* Rebuilds the index with room for at least want slots. */
static int
vt_reindex(struct vtree *vt, size_t want)
{
	size_t cap = 64, i, *idx;

	while (cap < want)
		cap *= 2;
	if (!(idx = calloc(cap, sizeof *idx)))
		return -1;
	free(vt->idx);
	vt->idx = idx;
	vt->idxcap = cap;
	for (i = 0; i < vt->n; i++)
		*vt_slot(vt, vt->files[i].path) = i + 1;
	return 0;
}

/* The file at path as the diff has left it so far, read from the tree
 * when first asked for. */
static struct vfile *
vt_get(struct vtree *vt, const char *path, struct dk_err *e)
{
	struct vfile *v;
	struct buf full = { 0 };
	size_t *slot;

	if (vt->idxcap && *(slot = vt_slot(vt, path)))
		return &vt->files[*slot - 1];
	if (vt->n == vt->cap || 2 * vt->n + 2 > vt->idxcap) {
		size_t cap = vt->cap ? 2 * vt->cap : 16;

		if (!(v = realloc(vt->files, cap * sizeof *v))) {
			dk_syserrf(e, path, 0, "diff");
			return NULL;
		}
		vt->files = v;
		vt->cap = cap;
		if (vt_reindex(vt, 2 * cap + 2) < 0) {
			dk_syserrf(e, path, 0, "diff");
			return NULL;
		}
	}
	v = &vt->files[vt->n];
	memset(v, 0, sizeof *v);
	if (!(v->path = strdup(path)) || buf_printf(&full, "%s/%s", vt->dir, path) < 0) {
		free(v->path);
		buf_free(&full);
		dk_syserrf(e, path, 0, "diff");
		return NULL;
	}
	v->exists = 1;
	if (no_links(vt->dir, path, e) < 0) {
		free(v->path);
		buf_free(&full);
		return NULL;
	}
	if (read_file(full.s, &v->text, e) < 0) {
		if (errno != ENOENT) {
			free(v->path);
			buf_free(&v->text);
			buf_free(&full);
			return NULL;
		}
		v->exists = 0;
		buf_reset(&v->text);
	}
	buf_free(&full);
	*vt_slot(vt, path) = ++vt->n;
	return v;
}

static void
vt_free(struct vtree *vt)
{
	size_t i;

	for (i = 0; i < vt->n; i++) {
		free(vt->files[i].path);
		buf_free(&vt->files[i].text);
	}
	free(vt->files);
	free(vt->idx);
}

static struct span *
split_lines(const struct buf *b, size_t *n)
{
	struct span *s;
	const char *p = buf_str(b), *end = p + b->len;
	size_t k = 0, cap = 1;

	for (size_t i = 0; i < b->len; i++)
		cap += b->s[i] == '\n';
	if (!(s = malloc(cap * sizeof *s)))
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		s[k].s = p;
		s[k].len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		p += s[k++].len;
	}
	*n = k;
	return s;
}

/* Does the old side of h match the file at line pos? */
static int
matches(const struct diff_hunk *h, const struct span *file, size_t nfile, size_t pos)
{
	size_t j, k = pos;

	for (j = 0; j < h->nlines; j++) {
		const struct diff_line *l = &h->lines[j];

		if (l->kind == '+')
			continue;
		if (k >= nfile || file[k].len != l->len || memcmp(file[k].s, l->s, l->len))
			return 0;
		k++;
	}
	return 1;
}

/* May the hunk's old side sit at pos, given its anchors? */
static int
fits(const struct diff_hunk *h, const struct span *file, size_t nfile, size_t pos, size_t nold, int begin, int end)
{
	if (pos + nold > nfile || (begin && pos != 0) || (end && pos + nold != nfile))
		return 0;
	return matches(h, file, nfile, pos);
}

/* Applies the hunks of f to text (the old content) into out. */
static int
apply_hunks(const struct diff *d, const struct diff_file *f, const char *tree,
	const struct buf *text, struct buf *out, struct dk_err *e)
{
	struct span *file;
	size_t nfile, cur = 0, j;
	long offset = 0;
	int r = -1;

	if (!(file = split_lines(text, &nfile)))
		return dk_syserrf(e, d->name, f->line, "diff");
	for (j = 0; j < f->nhunks; j++) {
		const struct diff_hunk *h = &f->hunks[j];
		size_t nold = (size_t)h->old_count, k, trailing = 0;
		long want = (h->old_count ? h->old_start - 1 : h->old_start) + offset, pos = -1, delta;
		int begin, end;

		while (trailing < h->nlines && h->lines[h->nlines - 1 - trailing].kind == ' ')
			trailing++;
		/* git apply's anchors: a hunk at line 1 (or 0) must match at
		 * the start, one without trailing context at the end. */
		begin = h->old_start <= 1;
		end = trailing == 0;
		if (want < (long)cur)
			want = (long)cur;
		/* Nearest match to where the header says, as git apply. */
		for (delta = 0;; delta++) {
			long lo = want - delta, hi = want + delta;
			int lo_in = lo >= (long)cur, hi_in = (size_t)hi + nold <= nfile;

			if (!lo_in && !hi_in)
				break;
			if (lo_in && fits(h, file, nfile, (size_t)lo, nold, begin, end)) {
				pos = lo;
				break;
			}
			if (delta && hi_in && fits(h, file, nfile, (size_t)hi, nold, begin, end)) {
				pos = hi;
				break;
			}
		}
		if (pos < 0) {
			char q[DK_QUOTE_MAX];

			dk_errf(e, d->name, h->line, "%s/%s:%ld: hunk %zu does not apply",
				tree, QUOTE(q, f->old_path), h->old_start, j + 1);
			goto out;
		}
		offset = pos - (h->old_count ? h->old_start - 1 : h->old_start);
		for (k = cur; k < (size_t)pos; k++)
			buf_add(out, file[k].s, file[k].len);
		for (k = 0; k < h->nlines; k++)
			if (h->lines[k].kind != '-')
				buf_add(out, h->lines[k].s, h->lines[k].len);
		cur = (size_t)pos + nold;
	}
	for (; cur < nfile; cur++)
		buf_add(out, file[cur].s, file[cur].len);
	r = 0;
out:
	free(file);
	return r;
}

static int
apply_file(const struct diff *d, const struct diff_file *f, struct vtree *vt, struct dk_err *e)
{
	struct vfile *src = NULL, *dst;
	struct buf out = { 0 }, empty = { 0 };
	char q[DK_QUOTE_MAX];

	if (f->old_path) {
		if (!(src = vt_get(vt, f->old_path, e)))
			return -1;
		if (!src->exists)
			return dk_errf(e, d->name, f->line, "%s/%s: no such file", vt->dir, QUOTE(q, f->old_path));
	}
	if (f->new_path && f->kind != DIFF_MODIFY) {
		if (!(dst = vt_get(vt, f->new_path, e)))
			return -1;
		if (dst->exists)
			return dk_errf(e, d->name, f->line, "%s/%s: already exists", vt->dir, QUOTE(q, f->new_path));
		src = f->old_path ? vt_get(vt, f->old_path, e) : NULL;	/* vt_get may move it */
	}
	if (apply_hunks(d, f, vt->dir, src ? &src->text : &empty, &out, e) < 0) {
		buf_free(&out);
		return -1;
	}
	if (f->kind == DIFF_DELETE && out.len) {
		buf_free(&out);
		return dk_errf(e, d->name, f->line, "%s/%s: the file holds more than the diff deletes",
			vt->dir, QUOTE(q, f->old_path));
	}
	if (src && (f->kind == DIFF_DELETE || f->kind == DIFF_RENAME)) {
		src->exists = 0;
		buf_reset(&src->text);
	}
	if (f->new_path) {
		dst = vt_get(vt, f->new_path, e);
		if (!dst) {
			buf_free(&out);
			return -1;
		}
		buf_free(&dst->text);
		dst->text = out;
		dst->exists = 1;
	} else {
		buf_free(&out);
	}
	return 0;
}

int
diff_check_apply(const struct diff *d, const char *tree, struct dk_err *e)
{
	struct vtree vt = { .dir = tree };
	struct stat st;
	size_t i;
	int r = 0;

	if (stat(tree, &st) < 0)
		return dk_syserrf(e, tree, 0, "cannot read the tree");
	if (!S_ISDIR(st.st_mode))
		return dk_errf(e, tree, 0, "not a directory");

	for (i = 0; i < d->nfiles && r == 0; i++)
		r = apply_file(d, &d->files[i], &vt, e);
	vt_free(&vt);
	return r;
}

/* ---- packages ---- */

int
diff_package_of(const char *path, char *out)
{
	static const char *const nonpkg[] = { "eclass", "licenses", "metadata", "profiles", "scripts" };
	size_t c = strcspn(path, "/"), p, i;

	if (!path[c] || path[0] == '.')
		return -1;
	p = strcspn(path + c + 1, "/");
	if (!p || !path[c + 1 + p])
		return -1;
	for (i = 0; i < sizeof nonpkg / sizeof *nonpkg; i++)
		if (strlen(nonpkg[i]) == c && !strncmp(path, nonpkg[i], c))
			return -1;
	memcpy(out, path, c + 1 + p);
	out[c + 1 + p] = '\0';
	return 0;
}

/* Versions of the ebuilds a row's package gains, loses or changes. */
struct vlist {
	char **v;
	size_t n;
};

struct row {
	char *key;
	int pkg;
	struct vlist added, removed, changed;
	struct buf other;
};

static int
vlist_add(struct vlist *l, const char *v, size_t len)
{
	char **t = realloc(l->v, (l->n + 1) * sizeof *t);

	if (!t)
		return -1;
	l->v = t;
	if (!(l->v[l->n] = strndup(v, len)))
		return -1;
	l->n++;
	return 0;
}

static int
by_version(const void *a, const void *b)
{
	return version_cmp(*(char *const *)a, *(char *const *)b);
}

/* Appends " SIGNv" for each version of l in PMS order (git's path order
 * puts 6.6.10 before 6.6.9). */
static int
vlist_print(struct vlist *l, const char *sign, struct buf *out)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, by_version);
	for (size_t i = 0; i < l->n; i++)
		if (buf_printf(out, " %s%s", sign, l->v[i]) < 0)
			return -1;
	return 0;
}

static void
vlist_free(struct vlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static struct row *
row_get(struct row **rows, size_t *n, const char *key, int pkg)
{
	struct row *r;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*rows)[i].key, key))
			return &(*rows)[i];
	if (!(r = realloc(*rows, (*n + 1) * sizeof *r)))
		return NULL;
	*rows = r;
	r = &r[*n];
	memset(r, 0, sizeof *r);
	if (!(r->key = strdup(key)))
		return NULL;
	r->pkg = pkg;
	(*n)++;
	return r;
}

static void
rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].key);
		vlist_free(&rows[i].added);
		vlist_free(&rows[i].removed);
		vlist_free(&rows[i].changed);
		buf_free(&rows[i].other);
	}
	free(rows);
}

/* Adds path (sign '+', '-' or 0 for changed) to its row. */
static int
row_add(struct row **rows, size_t *n, const char *path, int sign)
{
	char *pkg = malloc(strlen(path) + 1);
	const char *rel, *pn;
	struct row *r;
	size_t lpn, lrel;
	int ret = -1;

	if (!pkg)
		return -1;
	if (diff_package_of(path, pkg) < 0) {
		ret = row_get(rows, n, path, 0) ? 0 : -1;
		goto out;
	}
	if (!(r = row_get(rows, n, pkg, 1)))
		goto out;
	rel = path + strlen(pkg) + 1;
	pn = strchr(pkg, '/') + 1;
	lpn = strlen(pn);
	lrel = strlen(rel);
	if (!strchr(rel, '/') && lrel > lpn + 8 && !strncmp(rel, pn, lpn) && rel[lpn] == '-' &&
	    !strcmp(rel + lrel - 7, ".ebuild")) {
		ret = vlist_add(sign == '+' ? &r->added : sign == '-' ? &r->removed : &r->changed,
			rel + lpn + 1, lrel - lpn - 8);
	} else {
		ret = buf_printf(&r->other, " %s", rel);
	}
out:
	free(pkg);
	return ret;
}

static int
rows_make(const struct diff *d, struct row **rows, size_t *n)
{
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct diff_file *f = &d->files[i];
		int r = 0;

		switch (f->kind) {
		case DIFF_MODIFY:
			r = row_add(rows, n, f->new_path, 0);
			break;
		case DIFF_ADD:
		case DIFF_COPY:
			r = row_add(rows, n, f->new_path, '+');
			break;
		case DIFF_DELETE:
			r = row_add(rows, n, f->old_path, '-');
			break;
		case DIFF_RENAME:
			r = row_add(rows, n, f->old_path, '-');
			if (r == 0)
				r = row_add(rows, n, f->new_path, '+');
			break;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

size_t
diff_npackages(const struct diff *d)
{
	struct row *rows = NULL;
	size_t n = 0, k = 0;

	if (rows_make(d, &rows, &n) == 0)
		for (size_t i = 0; i < n; i++)
			k += rows[i].pkg;
	rows_free(rows, n);
	return k;
}

int
diff_packages(const struct diff *d, char ***pkgs, size_t *n)
{
	struct row *rows = NULL;
	size_t nrows = 0, i;
	int r = rows_make(d, &rows, &nrows);

	*pkgs = NULL;
	*n = 0;
	if (r == 0 && !(*pkgs = calloc(nrows + 1, sizeof **pkgs)))
		r = -1;
	for (i = 0; i < nrows && r == 0; i++) {
		if (rows[i].pkg) {
			(*pkgs)[(*n)++] = rows[i].key;
			rows[i].key = NULL;
		}
	}
	rows_free(rows, nrows);
	return r;
}

int
diff_table(const struct diff *d, struct buf *out)
{
	struct row *rows = NULL;
	size_t n = 0, i;
	int r = rows_make(d, &rows, &n);

	for (i = 0; i < n && r == 0; i++) {
		if (buf_adds(out, rows[i].key) < 0 || vlist_print(&rows[i].added, "+", out) < 0 ||
		    vlist_print(&rows[i].removed, "-", out) < 0 ||
		    vlist_print(&rows[i].changed, "", out) < 0 ||
		    buf_printf(out, "%s\n", buf_str(&rows[i].other)) < 0)
			r = -1;
	}
	rows_free(rows, n);
	return r;
}

int
diff_sha256(const struct diff *d, char hex[65], struct dk_err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(d->text, d->len, md, &n, EVP_sha256(), NULL) || n != 32)
		return dk_errf(e, d->name, 0, "cannot compute SHA-256");
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
