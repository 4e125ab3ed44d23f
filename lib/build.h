/* dk: one kernel build in a container: create it from a typed spec, put
 * the signing key in, start it, follow its log under a run-time and a
 * log-silence limit, wait; then collect the binary packages it left.
 * GPL-2.0-only. */
#ifndef DK_BUILD_H
#define DK_BUILD_H

#include <signal.h>
#include <stdio.h>

#include "buf.h"
#include "engine.h"
#include "err.h"

enum build_end { BUILD_EXITED, BUILD_TIMEOUT, BUILD_STALL };

struct build_run {
	struct engine *en;
	const struct engine_spec *spec;
	const char *name;	/* the container's */
	const char *key;	/* the signing key's path: /tmp/signing_key.pem, 0600 */
	FILE *log;		/* the container's output goes here */
	long timeout;		/* seconds it may run; 0: no limit */
	long stall;		/* seconds its log may be silent; 0: no limit */
	/* Each complete log line, for a status display (may be NULL). */
	void (*line)(void *ctx, const char *s);
	void *line_ctx;
	/* what happened */
	char *id;		/* the container (kept: the caller collects and removes) */
	int code;		/* exit status when end is BUILD_EXITED */
	enum build_end end;
	long ran;		/* seconds */
};

/* Runs r's container until it exits or a limit ends it (then it is
 * killed). Returns 0 (see r->end, r->code), or -1 with e set; r->id is
 * set as soon as the container exists, for the caller to remove. */
int build_container(struct build_run *r, struct dk_err *e);
/* Whether devices (and /dev/steve with steve set) exist on en's host: a
 * throw-away container of image with that device list (labelled label),
 * created, started and removed. Returns 0, or -1 with e holding the
 * engine's reason. */
int build_probe_devices(struct engine *en, const char *image, const char *label, char *const *devices, int steve,
	struct dk_err *e);
/* Whether the diff at path diff applies to directory dir of image (as
 * the kernel image's patch -p1 -E will apply it): a throw-away container
 * (labelled label) runs patch --dry-run there. Returns 0 when it applies,
 * 1 when not (patch's output, at most 64 KiB, appended to out), or -1
 * with e set. */
int build_probe_diff(struct engine *en, const char *image, const char *label, const char *diff, const char *dir,
	struct buf *out, struct dk_err *e);
/* Fetches path from container id and moves every .gpkg.tar under it
 * into dest (PATH below path's top directory kept), through a staging
 * directory beside dest so that nothing half-written is ever there; the
 * paths go to paths, space-separated. A missing path gives 1 (nothing to
 * collect); else 0 or -1 with e set. */
int build_collect(struct engine *en, const char *id, const char *path, const char *dest, struct buf *paths,
	struct dk_err *e);
/* Whether the file at path holds pattern after offset from (read in
 * pieces: flat memory). 1 or 0. */
int build_log_has(const char *path, long from, const char *pattern);
/* Collects a finished kernel container's packages into dest: those it
 * saved in PKGDIR.kernel as soon as the kernel was built (before the
 * post-build modules), else, when it exited 0 (a run command of one's
 * own), the whole pkgdir. A container that exited 0 with nothing is an
 * error. Returns 0 (paths may stay empty after a failure) or -1. */
int build_kernel_packages(struct engine *en, const char *id, const char *pkgdir, int code, const char *dest,
	struct buf *paths, struct dk_err *e);
/* "8h", "45m", "90s": secs for a message, into out (size 32). */
const char *build_duration(long secs, char out[32]);

#endif
