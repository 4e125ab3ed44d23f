/* dk: the gentoo.git tree a build image holds, through git: the commit of
 * a revision, its archive (the deps image's snapshot), the delta from one
 * commit to another (what brings an older snapshot to the diff's base)
 * and whether a diff applies to a commit. GPL-2.0-only. */
#ifndef DK_TREE_H
#define DK_TREE_H

#include "buf.h"
#include "err.h"

/* Whether repo is a git checkout (or bare repository): 1 or 0. Without
 * one there is no snapshot to make and no delta: local.diff applies to
 * the deps image's snapshot as it is. */
int tree_is_repo(const char *repo);
/* The commit id of rev in repo into out (size 65). Returns 0, or -1
 * with e naming repo and rev. */
int tree_commit(const char *repo, const char *rev, char out[65], struct dk_err *e);
/* Whether commit exists in repo: 1, 0, or -1 with e set (no git). */
int tree_has(const char *repo, const char *commit, struct dk_err *e);
/* Writes "git archive" of commit in repo to path (a tar). 0 or -1. */
int tree_archive(const char *repo, const char *commit, const char *path, struct dk_err *e);
/* Appends the diff from commit a to commit b (no renames, so that any
 * patch(1) applies it) to out; empty when they are equal. A binary change
 * is an error naming its file (patch cannot apply it). 0 or -1. */
int tree_delta(const char *repo, const char *a, const char *b, struct buf *out, struct dk_err *e);
/* Checks that the diff at path applies to commit's tree (git apply
 * --check against a throw-away index; the work tree is not touched).
 * Returns 0, or -1 with e holding git's first complaint. */
int tree_check_diff(const char *repo, const char *commit, const char *path, const char *tmpdir, struct dk_err *e);

#endif
