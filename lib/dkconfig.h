/* dk: dk-build's configuration as typed values, decoded once from the
 * merged YAML tree (config.h) and checked there: an unknown key, a wrong
 * type, range or shape is an error at file:line:column, before anything
 * is contacted. GPL-2.0-only. */
#ifndef DK_DKCONFIG_H
#define DK_DKCONFIG_H

#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "err.h"

/* The modules built after the kernel for one series ("default": any). */
struct dkc_post {
	char *series;
	char **pkgs;		/* NULL-terminated */
};

/* Settings an arch may override; each falls back to the top level. */
struct dkc_arch {
	char *name;		/* "amd64", "arm64-musl" */
	char **hosts;		/* engine URLs, the pool of this arch */
	int hosts_set;		/* by the file or the environment, not a default */
	char **engine_arch;	/* what the engines must report (empty: any) */
	char *stage;		/* image name, or a stage3 tarball path */
	char *cflags, *ldflags, *use;
	char **deps;		/* the deps image's packages */
	char **extra_deps;	/* and this arch's own ones */
	struct dkc_post *post;	/* per series */
	size_t npost;
	char **devices;		/* host devices every container needs */
	char **tmpfs;
};

enum dkc_steve { DKC_STEVE_AUTO, DKC_STEVE_ON, DKC_STEVE_OFF };

struct dkconfig {
	char *binpkgroot, *distcache, *logdir;	/* "~/" expanded */
	char *signing_key, *local_diff, *repo, *dockerfiles;
	char *base;		/* the diff's base revision in repo */
	char *panic;		/* a log line that makes a failure retryable */
	char *label;		/* marks every image and container of dk */
	char *pkgdir;		/* PKGDIR in the container */
	char *run;		/* the container's command (/bin/sh -c) */
	long jobs;		/* containers at once per host */
	long retries;		/* attempts after the first, on a panic */
	long timeout;		/* seconds a container may run (0: none) */
	long stall;		/* seconds its log may be silent (0: none) */
	long deps_max_age;	/* seconds before a deps image is refreshed */
	int retry_timeouts;	/* a timeout is retried like a panic */
	enum dkc_steve steve;	/* /dev/steve jobserver: auto, true, false */
	char **ssh;		/* the ssh command for ssh:// engines */
	char **packages;	/* kernel packages a target may name */
	char **env;		/* "NAME=VALUE" for every container */
	/* portage files, as text */
	char *make_conf, *accept_keywords, *package_use, *kernel_config, *plymouthd_conf;
	struct dkc_arch *arches;
	size_t narches;
};

/* Checks c's merged tree against dk's keys and decodes it into d. Returns
 * 0, or -1 with every problem in problems ("file:line:col: message", one
 * a line, the nearest known key suggested for an unknown one) and the
 * first in e. d is freed on failure. */
int dkconfig_decode(struct dkconfig *d, const struct config *c, struct buf *problems, struct dk_err *e);
/* Frees d. */
void dkconfig_free(struct dkconfig *d);
/* The arch named name (n bytes), or NULL. */
const struct dkc_arch *dkconfig_arch(const struct dkconfig *d, const char *name, size_t n);
/* A target name parsed: build-ARCH-kernel-deps, or ARCH-PKG-SERIES with
 * the longest configured arch that prefixes it ("amd64-musl-…") and a
 * configured package. */
struct dkc_target {
	const struct dkc_arch *arch;
	int deps;		/* build-ARCH-kernel-deps */
	char *pkg, *series;	/* malloc'ed (kernel targets) */
};
/* Parses name into t. Returns 0, -1 when it is no known form, or -2 when
 * out of memory. */
int dkconfig_target(const struct dkconfig *d, const char *name, struct dkc_target *t);
/* The POST_PKGS of series on arch a (its own list, else "default"). */
char *const *dkconfig_post(const struct dkc_arch *a, const char *series);
/* Writes c's merged tree to fp as YAML that config_load reads back to the
 * same values, each value followed by its origin: "# default",
 * "# FILE:LINE" or "# env NAME". Returns 0 or -1 (write error, errno). */
int dkconfig_dump(const struct config *c, FILE *fp);
/* Parses a duration: "90", "90s", "45m", "8h", "30d", or "0" (none) into
 * *secs. Returns 0 or -1. */
int dkconfig_duration(const char *s, long *secs);
/* The edit distance of a and b (for "did you mean"). */
size_t dkconfig_distance(const char *a, const char *b);

#endif
