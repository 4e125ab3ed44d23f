/* dk: SRC_URI as a fetch list: dependency-spec syntax with every USE/arch
 * branch taken, "-> rename", mirror:// expansion. GPL-2.0-only. */
#ifndef DK_SRCURI_H
#define DK_SRCURI_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* One distfile and the URLs it can come from, in the order to try. */
struct srcuri_file {
	char *name;
	char **urls;
	size_t nurls;
};

struct srcuri_list {
	struct srcuri_file *v;	/* append only: callers keep indexes into it */
	size_t n, cap;
	size_t *idx, idxcap;	/* private: hash index by name (linear lists) */
};

/* thirdpartymirrors: a mirror name and its URLs. */
struct srcuri_mirrors {
	char **names;
	char ***urls;		/* NULL-terminated per name */
	size_t n;
};

/* Reads a thirdpartymirrors file ("name url url..." per line).
 * Returns 0 or -1 with e set ("path:line: ..."). */
int srcuri_mirrors_load(struct srcuri_mirrors *m, const char *path, struct dk_err *e);
/* Fills m with the built-in gentoo and kernel mirrors; 0 or -1. */
int srcuri_mirrors_builtin(struct srcuri_mirrors *m, struct dk_err *e);
/* Frees m. */
void srcuri_mirrors_free(struct srcuri_mirrors *m);

/* Parses an evaluated SRC_URI (text) into l, taking every conditional
 * branch; names keep first-seen order, URLs of a repeated name are merged.
 * file and line (of the text's first line) are for messages. Returns 0 or
 * -1 with e set on an unterminated group, a stray ")", "||", a bad
 * "flag?", a dangling "->", or an unknown mirror; l is then as it was. */
int srcuri_parse(struct srcuri_list *l, const char *text, const struct srcuri_mirrors *m,
	const char *file, long line, struct dk_err *e);
/* Adds url (NULL: none) as a source of name, expanding mirror:// through
 * m (m NULL: refused); returns 0 or -1 with e set. */
int srcuri_add(struct srcuri_list *l, const char *name, const char *url, const struct srcuri_mirrors *m,
	struct dk_err *e);
/* The entry of name, or NULL. */
struct srcuri_file *srcuri_find(const struct srcuri_list *l, const char *name);
/* Appends the fetch list ("NAME URL..." per line) to out; 0 or -1. */
int srcuri_format(const struct srcuri_list *l, struct buf *out);
/* Frees l. */
void srcuri_free(struct srcuri_list *l);

#endif
