/* dk: the YAML configuration file with its compiled-in defaults, and the
 * node tree libyaml gives for YAML and JSON (the engine's answers).
 * GPL-2.0-only. */
#ifndef DK_CONFIG_H
#define DK_CONFIG_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

enum cfg_kind { CFG_SCALAR, CFG_LIST, CFG_MAP };

/* One node of a document. A map's members are its kids, each with key
 * set; a list's items are its kids with key NULL. */
struct cfg_node {
	enum cfg_kind kind;
	char *key;		/* member of a map: its key */
	char *value;		/* scalar: its text ("" for an empty one) */
	int quoted;		/* scalar written in quotes (JSON strings) */
	struct cfg_node *kids;
	size_t n, cap;
	const char *file;	/* where it was read, for messages */
	long line, col;		/* 1-based */
	long key_line, key_col;	/* member of a map: where its key is */
};

/* Parses the first document of text (YAML, or JSON) into root; file names
 * it in messages and must outlive the tree. An empty text gives an empty
 * map. Returns 0, or -1 with e set to "file:line:column: message". */
int cfg_parse(struct cfg_node *root, const char *file, const char *text, size_t len, struct dk_err *e);
/* Frees what a node holds (not the node itself). */
void cfg_free(struct cfg_node *n);
/* The member key of map n (NULL when n is not a map or has none). */
const struct cfg_node *cfg_member(const struct cfg_node *n, const char *key);
/* Follows a NULL-terminated path of map keys from n; NULL if absent. */
const struct cfg_node *cfg_get(const struct cfg_node *n, ...);
/* The scalar's text, or NULL when n is NULL or not a scalar. */
const char *cfg_str(const struct cfg_node *n);
/* Moves src into dst: maps are merged member by member (recursively),
 * anything else replaces dst. src is left empty. Returns 0 or -1 (ENOMEM). */
int cfg_merge(struct cfg_node *dst, struct cfg_node *src);
/* Sets the scalar at a NULL-terminated path under map root, creating maps
 * on the way; file names the source in messages. Returns 0 or -1. */
int cfg_set(struct cfg_node *root, const char *file, const char *value, ...);
/* Like cfg_set, but makes a list of the whitespace-separated words of value. */
int cfg_set_words(struct cfg_node *root, const char *file, const char *value, ...);
/* Checks that n (non-NULL) is of kind k, else sets e to "file:line:column:
 * what: expected a K" and returns -1. */
int cfg_expect(const struct cfg_node *n, enum cfg_kind k, const char *what, struct dk_err *e);
/* The strings of a scalar or of a list of scalars, as a malloc'ed
 * NULL-terminated array (free with cfg_strv_free); an absent node gives an
 * empty array. Returns -1 with e naming the place on a wrong shape. */
int cfg_strv(const struct cfg_node *n, const char *what, char ***out, struct dk_err *e);
/* Frees an array from cfg_strv. */
void cfg_strv_free(char **v);
/* Sets e to "file:line:column: message" for node n. Returns -1. */
int cfg_errf(struct dk_err *e, const struct cfg_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The merged configuration of every dk program. */
struct config {
	struct cfg_node root;	/* a map */
	char *path;		/* the file read, NULL when none */
	char **origins;		/* "env NAME": where environment values came from */
	size_t norigins;
};

/* Loads the compiled-in defaults (origin "<defaults>"), then DOCKER_HOST and BINPKG_DOCKER (which
 * only replace defaults), then the file path (NULL: $XDG_CONFIG_HOME/dk/
 * config.yaml or ~/.config/dk/config.yaml when it exists), then
 * DOCKER_HOST_<ARCH>, BINPKGROOT and DISTCACHE, which override the file.
 * Returns 0 or -1 with e set. */
int config_load(struct config *c, const char *path, struct dk_err *e);
/* Frees c. */
void config_free(struct config *c);
/* Appends the compiled-in defaults as YAML text to out. 0 or -1 (ENOMEM). */
int config_defaults(struct buf *out);
/* s with a leading "~/" replaced by $HOME, malloc'ed (NULL: no memory). */
char *config_path(const char *s);

#endif
