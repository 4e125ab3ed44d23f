/* dk: DISTDIR, found as portage and pkgdev find it. GPL-2.0-only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "distdir.h"
#include "spawn.h"

#define DEFAULT_DISTDIR "/var/cache/distfiles"

/* make.conf's DISTDIR as portage sees it, or NULL (no portage here). */
static char *
portageq_distdir(void)
{
	char *argv[] = { "portageq", "distdir", NULL };
	struct buf out = { 0 }, err = { 0 };
	struct dk_err e;
	char *s = NULL;

	if (spawn_run(argv, NULL, NULL, &out, &err, &e) == 0 && out.len > 0) {
		while (out.len > 0 && strchr(" \t\n", out.s[out.len - 1]))
			out.s[--out.len] = '\0';
		if (out.len > 0 && !strchr(out.s, '\n'))
			s = buf_take(&out);
	}
	buf_free(&out);
	buf_free(&err);
	return s;
}

char *
distdir_find(const char *arg, struct dk_err *e)
{
	const char *env = getenv("DISTDIR");
	char *s;

	if (arg)
		s = strdup(arg);
	else if (env && *env)
		s = strdup(env);
	else if (!(s = portageq_distdir()))
		s = strdup(DEFAULT_DISTDIR);
	if (!s)
		dk_syserrf(e, NULL, 0, "DISTDIR");
	return s;
}

/* mkdir -p dir; 0 or -1 with errno set. */
static int
make_dirs(const char *dir)
{
	char *p = strdup(dir), *q;
	int rc = 0;

	if (!p)
		return -1;
	for (q = p + 1; rc == 0 && (q = strchr(q, '/')); q++) {
		*q = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*q = '/';
	}
	if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int
distdir_ready(const char *dir, struct dk_err *e)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			return dk_syserrf(e, NULL, 0, "DISTDIR %s", dir);
		if (make_dirs(dir) < 0 || stat(dir, &st) < 0)
			return dk_syserrf(e, NULL, 0, "DISTDIR %s: cannot be created", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return dk_errf(e, NULL, 0, "DISTDIR %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) < 0)
		return dk_syserrf(e, NULL, 0, "DISTDIR %s: not writable", dir);
	return 0;
}
