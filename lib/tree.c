/* dk: the gentoo.git snapshot and its delta, through git. GPL-2.0-only. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "tree.h"

/* Runs git with argv (after "git -C repo"); its stdout to out (may be
 * NULL). Returns git's status, or -1 with e set; err holds its stderr. */
static int
git(const char *repo, char *const args[], struct buf *out, struct buf *err, struct dk_err *e)
{
	char *argv[16] = { "git", "-C", (char *)repo };
	size_t i;

	for (i = 0; args[i] && i < 12; i++)
		argv[3 + i] = args[i];
	argv[3 + i] = NULL;
	return spawn_run(argv, NULL, NULL, out, err, e);
}

/* git's first line of complaint, for a message. */
static const char *
first_line(struct buf *b)
{
	char *s = b->s ? b->s : (char *)"";

	s[strcspn(s, "\n")] = '\0';
	return *s ? s : "failed";
}

int
tree_is_repo(const char *repo)
{
	char *args[] = { "rev-parse", "--git-dir", NULL };
	struct buf out = { 0 }, err = { 0 };
	struct dk_err e;
	int st = git(repo, args, &out, &err, &e);

	buf_free(&out);
	buf_free(&err);
	return st == 0;
}

int
tree_commit(const char *repo, const char *rev, char out[65], struct dk_err *e)
{
	struct buf o = { 0 }, err = { 0 };
	char *spec = NULL;
	int st;

	if (asprintf(&spec, "%s^{commit}", rev) < 0)
		return dk_syserrf(e, NULL, 0, "%s", repo);
	{
		char *args[] = { "rev-parse", "--verify", "-q", spec, NULL };

		st = git(repo, args, &o, &err, e);
	}
	free(spec);
	if (st == 0 && o.len >= 40) {
		snprintf(out, 65, "%.*s", (int)strcspn(o.s, "\n"), o.s);
		buf_free(&o);
		buf_free(&err);
		return 0;
	}
	if (st >= 0)
		dk_errf(e, NULL, 0, "%s: no git commit '%s' (config keys repo, base)%s%s", repo, rev,
			err.len ? ": " : "", err.len ? first_line(&err) : "");
	buf_free(&o);
	buf_free(&err);
	return -1;
}

int
tree_has(const char *repo, const char *commit, struct dk_err *e)
{
	char *spec = NULL;
	int st;

	if (asprintf(&spec, "%s^{commit}", commit) < 0)
		return dk_syserrf(e, NULL, 0, "%s", repo);
	{
		char *args[] = { "cat-file", "-e", spec, NULL };
		struct buf err = { 0 };

		st = git(repo, args, NULL, &err, e);
		buf_free(&err);
	}
	free(spec);
	return st < 0 ? -1 : st == 0;
}

int
tree_archive(const char *repo, const char *commit, const char *path, struct dk_err *e)
{
	char *args[] = { "archive", "--format=tar", "-o", (char *)path, (char *)commit, NULL };
	struct buf err = { 0 };
	int st = git(repo, args, NULL, &err, e);

	if (st > 0)
		dk_errf(e, NULL, 0, "%s: git archive %s: %s", repo, commit, first_line(&err));
	buf_free(&err);
	return st == 0 ? 0 : -1;
}

int
tree_delta(const char *repo, const char *a, const char *b, struct buf *out, struct dk_err *e)
{
	char *num[] = { "diff", "--no-renames", "--numstat", "-z", (char *)a, (char *)b, "--", NULL };
	char *diff[] = { "diff", "--no-renames", "--no-color", "--no-ext-diff", "--full-index", (char *)a, (char *)b,
		"--", NULL };
	struct buf o = { 0 }, err = { 0 };
	int st;
	size_t i;

	if (!strcmp(a, b))
		return 0;
	if ((st = git(repo, num, &o, &err, e)) != 0) {
		if (st > 0)
			dk_errf(e, NULL, 0, "%s: git diff %.12s %.12s: %s", repo, a, b, first_line(&err));
		goto fail;
	}
	/* numstat -z: "ADDED\tDELETED\tPATH\0"; a binary file is "-\t-\t" */
	for (i = 0; i < o.len; i += strlen(o.s + i) + 1) {
		if (!strncmp(o.s + i, "-\t-\t", 4)) {
			dk_errf(e, NULL, 0, "%s: the change from the deps image's snapshot %.12s to %.12s has a binary file, "
				"%s, which patch cannot apply: refresh the deps image (-R)", repo, a, b, o.s + i + 4);
			goto fail;
		}
	}
	buf_reset(&err);
	if ((st = git(repo, diff, out, &err, e)) != 0) {
		if (st > 0)
			dk_errf(e, NULL, 0, "%s: git diff %.12s %.12s: %s", repo, a, b, first_line(&err));
		goto fail;
	}
	buf_free(&o);
	buf_free(&err);
	return 0;
fail:
	buf_free(&o);
	buf_free(&err);
	return -1;
}

int
tree_check_diff(const char *repo, const char *commit, const char *path, const char *tmpdir, struct dk_err *e)
{
	char idx[PATH_MAX], *env = NULL, *abs = NULL, *dir;
	struct buf err = { 0 };
	int fd, st, ret = -1;

	/* absolute: git runs in repo */
	if (!(dir = realpath(tmpdir, NULL)))
		return dk_syserrf(e, tmpdir, 0, "cannot open");
	st = snprintf(idx, sizeof idx, "%s/.dk-index.XXXXXX", dir);
	free(dir);
	if (st >= (int)sizeof idx)
		return dk_errf(e, tmpdir, 0, "path too long");
	if ((fd = mkstemp(idx)) < 0)
		return dk_syserrf(e, idx, 0, "cannot create");
	close(fd);
	unlink(idx);	/* git writes it anew */
	if (asprintf(&env, "GIT_INDEX_FILE=%s", idx) < 0 || !(abs = realpath(path, NULL))) {
		dk_syserrf(e, path, 0, "cannot open");
		goto out;
	}
	{
		char *rt[] = { "env", env, "git", "-C", (char *)repo, "read-tree", (char *)commit, NULL };
		char *ap[] = { "env", env, "git", "-C", (char *)repo, "apply", "--cached", "--check", abs, NULL };

		if ((st = spawn_run(rt, NULL, NULL, NULL, &err, e)) != 0) {
			if (st > 0)
				dk_errf(e, NULL, 0, "%s: git read-tree %.12s: %s", repo, commit, first_line(&err));
			goto out;
		}
		buf_reset(&err);
		if ((st = spawn_run(ap, NULL, NULL, NULL, &err, e)) != 0) {
			if (st > 0)
				dk_errf(e, path, 0, "does not apply to %.12s (%s): %s", commit, repo, first_line(&err));
			goto out;
		}
	}
	ret = 0;
out:
	unlink(idx);
	free(env);
	free(abs);
	buf_free(&err);
	return ret;
}
