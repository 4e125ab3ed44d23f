/* dk: dk-build's images: the key (tag) recipe, building one from a
 * recipe, and which old images a prune removes. The key covers exactly
 * what the image's content depends on, so a stale image is never reused
 * and an unchanged one never rebuilt. GPL-2.0-only. */
#ifndef DK_IMAGE_H
#define DK_IMAGE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "dkconfig.h"
#include "engine.h"
#include "err.h"

/* A member of the build context: text in memory, or a file at path. */
struct image_file {
	const char *name;	/* in the context */
	const char *text;	/* NULL: read path */
	const char *path;
	int keyed;		/* part of the key (text only) */
};

struct image_recipe {
	const char *kind;	/* "deps", "kernel" */
	const char *arch;
	const char *base;	/* the FROM image (build arg BASE) */
	const char *base_id;	/* its id: keyed */
	const char *dockerfile;	/* its text: keyed */
	char *const *args;	/* more build args "K=V": keyed (NULL-terminated) */
	char *const *hints;	/* build args that change no content (a cache): not keyed */
	char *const *inputs;	/* more keyed strings, e.g. "base=COMMIT" */
	char *const *labels;	/* "K=V" labels, not keyed (may be NULL) */
	const struct image_file *files;
	size_t nfiles;
};

/* The recipe's key, 16 hex digits: every keyed field, length-prefixed so
 * that no two recipes share a serialisation. Returns 0 or -1 with e set. */
int image_key(const struct image_recipe *r, char key[17], struct dk_err *e);
/* A recipe with the strings it points to. */
struct image_store {
	struct image_recipe r;
	char *args[6], *hints[2], *inputs[4], *labels[2];	/* hints[0] is the caller's */
	struct image_file files[4];
	struct buf deps;
};
/* The deps image of arch a on stage (its id stage_id): keyed by what its
 * emerge depends on (deps and extra_deps, flags, portage files), not by
 * the tree: snapshot (the commit) is a label, snapshot_tar (may be NULL
 * while only the key is wanted) an unkeyed member. 0 or -1 (ENOMEM). */
int image_deps_recipe(const struct dkconfig *c, const struct dkc_arch *a, const char *stage, const char *stage_id,
	const char *dockerfile, const char *snapshot, const char *snapshot_tar, struct image_store *p);
/* The kernel image of arch a on the deps image deps_tag (id deps_id):
 * delta (the diff from snapshot to base) and local.diff (at diff_path,
 * digest diffsum) brought in, keyed by the two commits and the digest.
 * 0 or -1 (ENOMEM). */
int image_kernel_recipe(const struct dkconfig *c, const struct dkc_arch *a, const char *deps_tag,
	const char *deps_id, const char *dockerfile, const char *snapshot, const char *base, const char *diffsum,
	const char *diff_path, const char *delta, struct image_store *p);
/* Frees what p holds. */
void image_store_free(struct image_store *p);
/* The tag of r: "dk-KIND-ARCH:KEY" into tag (size 128). 0 or -1. */
int image_tag(const struct image_recipe *r, char tag[128], struct dk_err *e);
/* Builds r as tag on en: the context (Dockerfile and r's files, nothing
 * else) is written to a temporary file in tmpdir, unlinked at once; label
 * (set to "1"), dk.name=KIND-ARCH and dk.arch mark the image. The build's
 * output goes to log. Returns 0 or -1 with e set. */
int image_build(struct engine *en, const struct image_recipe *r, const char *tag, const char *label,
	const char *tmpdir, FILE *log, struct dk_err *e);

/* Says what is being done (one line, no newline): for a log or stderr. */
typedef void (*image_note)(void *ctx, const char *msg);
/* The stage image of arch: stage is an image name the engine has, or a
 * stage3 tarball (a path: "/…", "./…", "~/…") imported once as
 * dk-stage-ARCH:SHA256 (note, may be NULL, says so). The image to use
 * goes to tag (size 128). Returns 0, or -1 with e set (an image name the
 * engine does not have is an error: dk never pulls behind the user's
 * back). */
int image_stage(struct engine *en, const char *stage, const char *arch, const char *label, image_note note,
	void *ctx, char tag[128], struct dk_err *e);
/* The newest image on en whose dk.name label is name ("deps-amd64"),
 * its id malloc'ed into *id (NULL when none). 0 or -1 with e set. */
int image_newest(struct engine *en, const char *name, char **id, struct dk_err *e);

/* The images of an engine's image list (its JSON) that a prune removes:
 * each one older than another with the same dk.name label (a newer build
 * replaced it), newest first so that children go before their parents.
 * Their indices go to *out (malloc'ed), their count to *n. 0 or -1. */
int image_prune_choice(const struct cfg_node *images, size_t **out, size_t *n);

/* What image_prune removed. */
struct image_pruned {
	size_t containers, images;	/* counted before and after: what is gone */
	unsigned long long freed;	/* bytes, as the engine reports them */
};
/* Prunes en: stopped containers with label and the images a newer build
 * of the same name replaced (image_prune_choice; one in use stays), or
 * with all every unused image with label and the build cache. Returns 0
 * with the counts in out, or -1 with e set. */
int image_prune(struct engine *en, const char *label, int all, struct image_pruned *out, struct dk_err *e);

#endif
