/* dk: an ebuild's fetch list, eclasses included. GPL-2.0-only. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebuild.h"
#include "pkgsrc.h"

/* Eclasses of gentoo.git that never set SRC_URI: when the tree at hand
 * lacks one, it is known to add nothing. Any other missing eclass might,
 * so it is an error rather than a silently short Manifest. */
static const char *const no_src_uri[] = {
	"check-reqs", "dist-kernel-utils", "eapi7-ver", "eapi8-dosym", "eutils", "flag-o-matic",
	"git-r3", "linux-info", "linux-mod", "linux-mod-r1", "mount-boot", "mount-boot-utils",
	"multilib", "multiprocessing", "optfeature", "portability", "python-any-r1",
	"python-utils-r1", "savedconfig", "secureboot", "subversion", "toolchain-funcs",
	"unpacker", "verify-sig", NULL
};

char *
pkgsrc_repo_root(const char *pkgdir)
{
	char *root, *probe;
	struct stat st;
	int found = 0;

	if (asprintf(&root, "%s/../..", pkgdir) < 0)
		return NULL;
	if (asprintf(&probe, "%s/eclass", root) >= 0) {
		found |= stat(probe, &st) == 0 && S_ISDIR(st.st_mode);
		free(probe);
	}
	if (asprintf(&probe, "%s/profiles", root) >= 0) {
		found |= stat(probe, &st) == 0 && S_ISDIR(st.st_mode);
		free(probe);
	}
	if (!found) {
		free(root);
		return NULL;
	}
	/* messages name /repo/eclass, not pkg/../../eclass */
	probe = realpath(root, NULL);
	if (probe) {
		free(root);
		root = probe;
	}
	return root;
}

static long
line_of(const struct ebuild *eb, size_t pos)
{
	long n = 1;
	size_t i;

	for (i = 0; i < pos && i < eb->len; i++)
		n += eb->text[i] == '\n';
	return n;
}

/* The eclass names of every global "inherit" of eb, in order, as a
 * NULL-terminated array. */
static char **
inherits(const struct ebuild *eb, struct dk_err *e)
{
	char **v = calloc(1, sizeof *v);
	size_t n = 0, k;

	if (!v)
		goto nomem;
	for (k = 0; k < eb->ncmds; k++) {
		const struct ebuild_cmd *c = &eb->cmds[k];
		size_t i = c->end;

		if (strcmp(c->name, "inherit"))
			continue;
		for (;;) {
			size_t s;
			char **nv;

			while (i < eb->len && (eb->text[i] == ' ' || eb->text[i] == '\t'
			    || (eb->text[i] == '\\' && i + 1 < eb->len && eb->text[i + 1] == '\n')))
				i += eb->text[i] == '\\' ? 2 : 1;
			if (i >= eb->len || strchr("\n;#&|)", eb->text[i]))
				break;
			for (s = i; i < eb->len && !strchr(" \t\n;#&|)", eb->text[i]); i++)
				;
			if (strcspn(eb->text + s, "$`\"'\\") < i - s) {
				free(v);
				dk_errf(e, eb->path, c->line, "cannot evaluate 'inherit %.*s': eclass names must be plain words",
					(int)(i - s), eb->text + s);
				return NULL;
			}
			if (!(nv = realloc(v, (n + 2) * sizeof *v)))
				goto nomem;
			v = nv;
			if (!(v[n] = strndup(eb->text + s, i - s)))
				goto nomem;
			v[++n] = NULL;
		}
	}
	return v;
nomem:
	dk_syserrf(e, eb->path, 0, "cannot read");
	return v;	/* partial; the caller frees it */
}

static void
free_strv(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Offset of the line after the one holding pos. */
static size_t
next_line(const struct ebuild *eb, size_t pos)
{
	const char *nl = memchr(eb->text + pos, '\n', eb->len - pos);

	return nl ? (size_t)(nl - eb->text) + 1 : eb->len;
}

static int
starts_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(s, w, n) && (s[n] == ' ' || s[n] == '\t' || s[n] == '\n' || s[n] == ';' || s[n] == '\0');
}

/* 1 when the global "case ${EAPI} in" of eb (an eclass or the ebuild)
 * takes a branch that dies for eapi, with *at the offset of its "die";
 * 0 otherwise (no such case, or a branch that does not die). */
static int
eapi_dies(const struct ebuild *eb, const char *eapi, size_t *at)
{
	size_t pos = 0;

	while (pos < eb->len) {
		const char *s = eb->text + pos;

		if (!strncmp(s, "case ${EAPI", 11) || !strncmp(s, "case \"${EAPI", 12)) {
			/* branches: "PATTERN) body ;;", up to esac */
			size_t end, i;
			char *body;

			pos = next_line(eb, pos);
			for (end = pos; end < eb->len && !starts_word(eb->text + end, "esac"); end = next_line(eb, end))
				;
			if (!(body = strndup(eb->text + pos, end - pos)))
				return 0;
			for (i = 0; body[i];) {
				size_t ps, pe, be;
				char *pat, *save = NULL, *alt;
				int match = 0;

				while (body[i] && strchr(" \t\n", body[i]))
					i++;
				ps = i;
				while (body[i] && body[i] != ')')
					i++;
				if (!body[i])
					break;
				pe = i++;
				for (be = i; body[be] && strncmp(body + be, ";;", 2); be++)
					;
				if (!(pat = strndup(body + ps, pe - ps)))
					break;
				for (alt = strtok_r(pat, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
					while (*alt == ' ' || *alt == '\t' || *alt == '(')
						alt++;
					alt[strcspn(alt, " \t")] = '\0';
					if (fnmatch(alt, eapi, 0) == 0)
						match = 1;
				}
				free(pat);
				if (match) {
					char *seg = strndup(body + i, be - i), *d = seg ? strstr(seg, "die") : NULL;

					if (d)
						*at = pos + i + (size_t)(d - seg);
					free(seg);
					free(body);
					return d != NULL;
				}
				i = body[be] ? be + 2 : be;
			}
			free(body);
			return 0;
		}
		pos = next_line(eb, pos);
	}
	return 0;
}


struct walk {
	const char *eclassdir;
	const struct ebuild_env *env;
	const char *eapi;
	const char *ebuild;	/* for messages */
	char **seen;
	size_t nseen;
	struct buf value;	/* SRC_URI so far */
	int set;
	pkgsrc_note_fn *note;
	void *arg;
	struct dk_err *e;
};

/* The error bash gives when eb's global EAPI case dies for w's EAPI:
 * "eb:line: EAPI N of EBUILD: die ...", the die command as written.
 * Returns -1 then, 0 when it does not die. */
static int
refuse_eapi(const struct walk *w, const struct ebuild *eb)
{
	size_t at, n;

	if (!eapi_dies(eb, w->eapi, &at))
		return 0;
	n = strcspn(eb->text + at, "\n;");
	while (n > 0 && strchr(" \t", eb->text[at + n - 1]))
		n--;
	return dk_errf(w->e, eb->path, line_of(eb, at), "dies at global scope for EAPI %s of %s: %.*s",
		w->eapi, w->ebuild, (int)n, eb->text + at);
}

static int walk_eclasses(struct walk *w, const struct ebuild *from, char **names);

/* Sources eclass name as "inherit" would: its inherits, then its SRC_URI. */
static int
walk_one(struct walk *w, const struct ebuild *from, const char *name, long line)
{
	struct ebuild ec = { 0 };
	struct buf out = { 0 };
	char *path = NULL, **sub = NULL, **seen;
	size_t i;
	int rc = -1;

	for (i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], name))
			return 0;
	if (!(seen = realloc(w->seen, (w->nseen + 1) * sizeof *seen)) || !(seen[w->nseen] = strdup(name)))
		return dk_syserrf(w->e, from->path, line, "inherit %s", name);
	w->seen = seen;
	w->nseen++;
	if (!w->eclassdir || asprintf(&path, "%s/%s.eclass", w->eclassdir, name) < 0 || access(path, F_OK) < 0) {
		free(path);
		for (i = 0; no_src_uri[i]; i++)
			if (!strcmp(no_src_uri[i], name))
				return 0;
		return dk_errf(w->e, from->path, line,
			"inherit %s: eclass not found%s%s: it may set SRC_URI, so the fetch list cannot be known",
			name, w->eclassdir ? " in " : " (no eclass directory beside the package)",
			w->eclassdir ? w->eclassdir : "");
	}
	if (ebuild_load(&ec, path, w->e) < 0)
		goto out;
	/* bash sources the eclass before anything of it counts */
	if (refuse_eapi(w, &ec) < 0)
		goto out;
	if (!(sub = inherits(&ec, w->e)))
		goto out;
	if (walk_eclasses(w, &ec, sub) < 0)
		goto out;
	if (!ebuild_find(&ec, "SRC_URI")) {
		int has = 0;

		for (i = 0; i < ec.nvars; i++)
			has |= !ec.vars[i].in_func && !strcmp(ec.vars[i].name, "SRC_URI");
		if (!has) {
			rc = 0;
			goto out;
		}
	}
	rc = ebuild_eval_with(&ec, w->env, "SRC_URI", w->set ? buf_str(&w->value) : NULL, &out, w->e);
	if (rc == 0) {
		buf_reset(&w->value);
		buf_add(&w->value, buf_str(&out), out.len);
		w->set = 1;
	}
out:
	free_strv(sub);
	buf_free(&out);
	ebuild_free(&ec);
	free(path);
	return rc;
}

static int
walk_eclasses(struct walk *w, const struct ebuild *from, char **names)
{
	size_t i, k;

	for (i = 0; names && names[i]; i++) {
		size_t nl = strlen(names[i]);
		long line = 0;

		/* the line of the inherit that names it, for messages */
		for (k = 0; k < from->ncmds && !line; k++) {
			const struct ebuild_cmd *c = &from->cmds[k];
			size_t p = c->end, eol = next_line(from, c->end);

			if (strcmp(c->name, "inherit"))
				continue;
			for (; p + nl <= eol && !line; p++)
				if (!memcmp(from->text + p, names[i], nl) && strchr(" \t", from->text[p - 1])
				    && (p + nl == from->len || strchr(" \t\n;", from->text[p + nl])))
					line = c->line;
		}
		for (k = 0; k < from->ncmds && !line; k++)
			if (!strcmp(from->cmds[k].name, "inherit"))
				line = from->cmds[k].line;	/* continued lines */
		if (walk_one(w, from, names[i], line) < 0)
			return -1;
	}
	return 0;
}

int
pkgsrc_ebuild(const char *path, const char *eclassdir, const struct srcuri_mirrors *m,
	struct srcuri_list *l, pkgsrc_note_fn *note, void *arg, struct dk_err *e)
{
	struct ebuild eb = { 0 };
	struct ebuild_env env = { 0 };
	struct walk w = { 0 };
	struct buf eapi = { 0 }, value = { 0 };
	const struct ebuild_var *v;
	char **names = NULL;
	size_t i, j;
	int rc = -1;

	if (e)
		e->msg[0] = '\0';
	if (ebuild_load(&eb, path, e) < 0 || ebuild_env_from_path(&env, path, e) < 0)
		goto out;
	if (ebuild_find(&eb, "EAPI")) {
		if (ebuild_eval(&eb, &env, "EAPI", &eapi, e) < 0)
			goto out;
	} else {
		buf_adds(&eapi, "0");
	}
	if (ebuild_env_set(&env, "EAPI", buf_str(&eapi)) < 0) {
		dk_syserrf(e, path, 0, "cannot evaluate");
		goto out;
	}
	w.eclassdir = eclassdir;
	w.env = &env;
	w.eapi = buf_str(&eapi);
	w.ebuild = path;
	w.note = note;
	w.arg = arg;
	w.e = e;
	/* eclass code run at global scope (kernel-2's detect_version) can
	 * set anything: no fetch list rather than a partial one */
	for (i = 0; i < eb.ncmds; i++) {
		static const char *const harmless[] = { "inherit", "[[", "[", "test", "true", ":", "die",
			"export", "declare", "readonly", "typeset", "unset", "local", NULL };
		int h = 0;

		for (j = 0; harmless[j]; j++)
			h |= !strcmp(eb.cmds[i].name, harmless[j]);
		if (!h) {
			dk_errf(e, path, eb.cmds[i].line,
				"cannot evaluate SRC_URI: '%s' runs eclass code at global scope that may set it",
				eb.cmds[i].name);
			goto out;
		}
	}
	if (refuse_eapi(&w, &eb) < 0)
		goto out;
	if (!(names = inherits(&eb, e)))
		goto out;
	if (e && e->msg[0])
		goto out;
	if (walk_eclasses(&w, &eb, names) < 0)
		goto out;
	v = ebuild_find(&eb, "SRC_URI");
	for (i = 0, j = 0; i < eb.nvars; i++)
		j |= !eb.vars[i].in_func && !strcmp(eb.vars[i].name, "SRC_URI");
	if (!j && !w.set) {
		rc = 0;		/* no distfiles, e.g. virtual/dist-kernel */
		goto out;
	}
	if (ebuild_eval_with(&eb, &env, "SRC_URI", w.set ? buf_str(&w.value) : NULL, &value, e) < 0)
		goto out;
	/* srcuri_parse adds nothing to l when it fails: no list of our own */
	if (srcuri_parse(l, buf_str(&value), m, path, v ? v->line : line_of(&eb, 0), e) < 0)
		goto out;
	rc = 0;
out:
	free_strv(names);
	for (i = 0; i < w.nseen; i++)
		free(w.seen[i]);
	free(w.seen);
	buf_free(&w.value);
	buf_free(&value);
	buf_free(&eapi);
	ebuild_env_free(&env);
	ebuild_free(&eb);
	return rc;
}
