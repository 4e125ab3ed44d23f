/* dk: portage Manifest files: DIST entries parsed, every other line kept
 * as it was; written in portage's order. GPL-2.0-only. */
#ifndef DK_MANIFEST_H
#define DK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

struct manifest_entry {
	char *type;		/* "DIST", "EBUILD", "AUX", "MISC"... */
	char *name;
	uint64_t size;
	char *blake2b, *sha512;	/* NULL when the line has none */
	char *line;		/* the line as read (no newline); NULL for a new entry */
	int used;		/* marked by manifest_mark */
	char *store;		/* private: the block a parsed entry's fields */
	size_t storelen;	/* point into, freed as a whole */
};

struct manifest_slot {
	size_t pos, hash;
};

struct manifest {
	struct manifest_entry *v;
	size_t n, cap;
	struct manifest_slot *idx;	/* private: hash index of v by type and name, */
	size_t idxcap;		/* so lookups stay O(1) on 300k-line files; */
	int idx_stale;		/* rebuilt after v is reordered */
};

/* Parses text (len bytes, any content: no NUL needed at text[len]) as a
 * Manifest named name into m, which must be empty. In linear time.
 * Returns 0, or -1 with e set to "name:line: message" and m left empty. */
int manifest_parse(struct manifest *m, const char *name, const char *text, size_t len, struct dk_err *e);
/* Reads path into m; a missing file gives an empty m when missing_ok.
 * Returns 0 or -1 with e set. */
int manifest_load(struct manifest *m, const char *path, int missing_ok, struct dk_err *e);
/* The entry of type and name, or NULL. */
struct manifest_entry *manifest_find(const struct manifest *m, const char *type, const char *name);
/* Sets the DIST entry of name to r's size, BLAKE2B and SHA512: an entry
 * already holding exactly those keeps its line byte for byte. Returns 0 or -1. */
int manifest_set_dist(struct manifest *m, const char *name, const struct hash_result *r, struct dk_err *e);
/* 1 when entry e records exactly r's size, BLAKE2B and SHA512, else 0. */
int manifest_entry_matches(const struct manifest_entry *me, const struct hash_result *r);
/* Describes how r differs from me ("size 5, Manifest says 6",
 * "BLAKE2B differs") into out (size n). */
void manifest_entry_diff(const struct manifest_entry *me, const struct hash_result *r, char *out, size_t n);
/* Drops every DIST entry whose used flag is not set. */
void manifest_prune_dist(struct manifest *m);
/* Appends the Manifest text, sorted as portage writes it (by type, then
 * name, bytewise), to out; returns 0 or -1. */
int manifest_format(struct manifest *m, struct buf *out);
/* Appends "DIST NAME SIZE BLAKE2B hex SHA512 hex\n" to out; 0 or -1. */
int manifest_dist_line(struct buf *out, const char *name, const struct hash_result *r);
/* Frees m. */
void manifest_free(struct manifest *m);

#endif
