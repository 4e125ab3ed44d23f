/* dk: the ebuild lexer and evaluator: the part of bash that ebuilds and
 * eclasses use at global scope, read without ever running anything.
 * GPL-2.0-only. */
#ifndef DK_EBUILD_H
#define DK_EBUILD_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum ebuild_quote {
	EBUILD_BARE,	/* NAME=value */
	EBUILD_SINGLE,	/* NAME='value' */
	EBUILD_DOUBLE,	/* NAME="value" */
	EBUILD_ANSI,	/* NAME=$'value' */
	EBUILD_ARRAY,	/* NAME=( value ) */
	EBUILD_MIXED,	/* NAME=a"b"'c': several parts */
};

/* One assignment. Offsets are bytes into ebuild.text. */
struct ebuild_var {
	char *name;
	size_t start, end;		/* the whole word NAME=..., or NAME=( ... ) */
	size_t val_start, val_end;	/* the value: inside the quotes of a wholly
					 * quoted value, inside ( ) of an array,
					 * else the raw word after '=' */
	enum ebuild_quote quote;
	int append;			/* NAME+= */
	int cond;			/* under if/case/&&/||/loop at global scope */
	int in_func;			/* inside a function body: not global */
	long line;			/* line of the name */
};

/* A global-scope simple command that is not only assignments, e.g.
 * "inherit kernel-build verify-sig" or "detect_version". */
struct ebuild_cmd {
	char *name;	/* first word, raw */
	size_t start, end;
	int cond;
	long line;
};

struct ebuild {
	char *path;		/* for messages */
	char *text;		/* the file, NUL-terminated (a copy) */
	size_t len;
	struct ebuild_var *vars;	/* in file order, globals and function-locals */
	size_t nvars;
	struct ebuild_cmd *cmds;	/* in file order */
	size_t ncmds;
};

/* Lexes text (len bytes, any content) as bash. Returns 0, or -1 with e set
 * to "path:line: message" (unterminated quote, $( ), heredoc, brace…). */
int ebuild_parse(struct ebuild *eb, const char *path, const char *text, size_t len, struct dk_err *e);
/* Reads and lexes the file path ("-" = stdin, named "<stdin>"). */
int ebuild_load(struct ebuild *eb, const char *path, struct dk_err *e);
/* Frees everything ebuild_parse made. */
void ebuild_free(struct ebuild *eb);

/* The last global assignment (not += ) of name, or NULL. */
const struct ebuild_var *ebuild_find(const struct ebuild *eb, const char *name);
/* The global assignment that "NAME=VALUE" edits and -g reads: the last
 * plain one, else the last +=. NULL with e set when name is only set in
 * functions or not at all. */
const struct ebuild_var *ebuild_global(const struct ebuild *eb, const char *name, struct dk_err *e);
/* The raw value bytes of v (as written, without the enclosing quotes). */
char *ebuild_raw(const struct ebuild *eb, const struct ebuild_var *v);

/* Replaces the values of n NAME=VALUE settings in eb's text, all or none,
 * keeping each assignment's quoting style and every other byte, into out.
 * Refuses unknown names, names only set in functions, and values the
 * quoting cannot hold. Returns 0 or -1 with e set. */
int ebuild_set(const struct ebuild *eb, char *const settings[], size_t n, struct buf *out, struct dk_err *e);

/* For the evaluator: the end of the word (word set) or of the quote or
 * expansion ('\'', '"', '`', '$') that starts at s[i]; 0 if unterminated. */
size_t ebuild_skip(const char *s, size_t len, size_t i, int word);

/* Variables known before the file's own: PMS ones and any given. */
struct ebuild_env {
	char **names, **values;
	size_t n, cap;
};

/* Sets (or replaces) name to value; returns 0 or -1 (ENOMEM). */
int ebuild_env_set(struct ebuild_env *env, const char *name, const char *value);
/* The value of name, or NULL. */
const char *ebuild_env_get(const struct ebuild_env *env, const char *name);
/* Sets CATEGORY PN PV PR PVR PF P from category (may be NULL) and
 * pf ("gentoo-kernel-6.6.30-r1"); returns 0 or -1 with e set. */
int ebuild_env_pms(struct ebuild_env *env, const char *category, const char *pf, struct dk_err *e);
/* Sets them from an ebuild path ".../CAT/PN/PF.ebuild"; 0 or -1. */
int ebuild_env_from_path(struct ebuild_env *env, const char *path, struct dk_err *e);
/* Frees env. */
void ebuild_env_free(struct ebuild_env *env);

/* Evaluates the global value of name as bash would after sourcing eb with
 * env set first: every global assignment of name in order (= and +=),
 * expanding $V, ${V…} operators, $(ver_cut …), $(ver_rs …), $(( )) and
 * the quotes. Arrays give their elements joined by one space. Anything it
 * cannot evaluate (a command, a conditional assignment, an unset
 * variable) is an error naming file, line and construct: never a guess.
 * Appends the value to out; returns 0, or -1 with e set. */
int ebuild_eval(const struct ebuild *eb, const struct ebuild_env *env, const char *name, struct buf *out, struct dk_err *e);
/* As ebuild_eval, with name starting as start (NULL: unset) before the
 * file's own assignments: e.g. the inherited eclasses' SRC_URI, which the
 * ebuild's SRC_URI+= extends. */
int ebuild_eval_with(const struct ebuild *eb, const struct ebuild_env *env, const char *name, const char *start, struct buf *out, struct dk_err *e);

#endif
