/* dk: atomic file writing. GPL-2.0-only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

/* The one temporary name a program has open, so its SIGINT handler can
 * remove it: programs write one output file at a time. */
static volatile sig_atomic_t pending_set;
static char pending[4096];

static void
set_pending(const char *tmp)
{
	pending_set = 0;
	if (tmp && strlen(tmp) < sizeof pending) {
		memcpy(pending, tmp, strlen(tmp) + 1);
		pending_set = 1;
	}
}

const char *
atomic_pending(void)
{
	return pending_set ? pending : NULL;
}

static void
on_signal(int sig)
{
	if (pending_set)
		unlink(pending);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
atomic_cleanup_on_signals(void)
{
	signal(SIGHUP, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

static char *
dir_of(const char *path)
{
	char *copy = strdup(path), *d, *r;

	if (!copy)
		return NULL;
	d = dirname(copy);
	r = strdup(d);
	free(copy);
	return r;
}

int
atomic_check_output(const char *path, struct stat *st, struct dk_err *e)
{
	struct stat tmp;

	if (!st)
		st = &tmp;
	if (lstat(path, st) < 0) {
		if (errno == ENOENT)
			return 0;
		return dk_syserrf(e, path, 0, "cannot write");
	}
	if (S_ISLNK(st->st_mode))
		return dk_errf(e, path, 0, "is a symbolic link: refusing to write through it");
	if (!S_ISREG(st->st_mode))
		return dk_errf(e, path, 0, "not a regular file: refusing to replace it");
	return 1;
}

/* 1 when name is a temporary name of base: ".BASE.XXXXXX". */
static int
is_temp_of(const char *name, const char *base)
{
	size_t n = strlen(base), i;

	if (name[0] != '.' || strncmp(name + 1, base, n) || name[n + 1] != '.' || strlen(name + n + 2) != 6)
		return 0;
	for (i = n + 2; name[i]; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", name[i]))
			return 0;
	return 1;
}

/* Removes the temporary files of base in dir that a killed writer left:
 * a live writer holds a lock on its temporary file from its birth to its
 * rename, so a temporary file nobody holds is stale. Best effort. */
static void
remove_stale(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat a, b;
		int fd;

		if (!is_temp_of(de->d_name, base))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &a) == 0 && S_ISREG(a.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0
		    && fstatat(dirfd(d), de->d_name, &b, AT_SYMLINK_NOFOLLOW) == 0
		    && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			unlinkat(dirfd(d), de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

/* Sets the last six bytes of tmp to random letters and digits. */
static void
random_suffix(char *tmp)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6];
	char *s = tmp + strlen(tmp) - 6;
	size_t i;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		unsigned long x = (unsigned long)getpid() * 2654435761UL ^ (unsigned long)(size_t)tmp;

		for (i = 0; i < sizeof r; i++, x /= 62)
			r[i] = (unsigned char)(x % 256);
	}
	for (i = 0; i < sizeof r; i++)
		s[i] = set[r[i] % 62];
}

/* A named temporary file, locked, for file systems without O_TMPFILE. */
static int
named_temp(char *tmp)
{
	for (;;) {
		struct stat st;
		int fd;

		memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
		if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
			return -1;
		set_pending(tmp);
		/* between mkostemp and the lock, remove_stale of another run
		 * may take it for stale: it is then unlinked, so try again */
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
		set_pending(NULL);
	}
}

int
atomic_open(struct atomic_file *af, const char *path, mode_t mode, int exact, struct dk_err *e)
{
	struct stat st;
	char *copy = NULL, *dir = NULL;
	int fd, exists;

	memset(af, 0, sizeof *af);
	if ((exists = atomic_check_output(path, &st, e)) < 0)
		return -1;
	if (!(af->path = strdup(path)) || !(copy = strdup(path)) || !(dir = dir_of(path))
	    || !(af->tmp = malloc(strlen(dir) + strlen(path) + 16))) {
		dk_syserrf(e, path, 0, "cannot write");
		goto fail;
	}
	sprintf(af->tmp, "%s/.%s.XXXXXX", dir, basename(copy));
	remove_stale(dir, basename(copy));
	/* An unnamed file first: a kill -9 before the commit leaves nothing.
	 * It gets its name only at the commit (linkat, then rename). */
	if ((fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) >= 0 && flock(fd, LOCK_EX) == 0) {
		af->anon = 1;
	} else {
		if (fd >= 0)
			close(fd);
		if ((fd = named_temp(af->tmp)) < 0) {
			dk_syserrf(e, path, 0, "cannot create temporary file");
			goto fail;
		}
	}
	free(copy);
	free(dir);
	copy = dir = NULL;
	if (exists) {
		mode = st.st_mode & 07777;
	} else if (!exact) {
		mode_t um = umask(0);

		umask(um);
		mode &= ~um;
	}
	if (fchmod(fd, mode) < 0 || !(af->fp = fdopen(fd, "w"))) {
		dk_syserrf(e, path, 0, "cannot write");
		close(fd);
		atomic_abort(af);
		return -1;
	}
	return 0;
fail:
	free(copy);
	free(dir);
	free(af->tmp);
	free(af->path);
	af->tmp = af->path = NULL;
	return -1;
}

/* Gives the unnamed file of af its temporary name. */
static int
link_anon(struct atomic_file *af, struct dk_err *e)
{
	char proc[64];
	int fd = fileno(af->fp), tries;

	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	for (tries = 0; tries < 100; tries++) {
		random_suffix(af->tmp);
		set_pending(af->tmp);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, af->tmp, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		/* without /proc, root can still link the descriptor itself */
		if (errno == ENOENT && linkat(fd, "", AT_FDCWD, af->tmp, AT_EMPTY_PATH) == 0)
			return 0;
		set_pending(NULL);
		if (errno != EEXIST)
			break;
	}
	return dk_syserrf(e, af->path, 0, "cannot link the temporary file");
}

int
atomic_commit(struct atomic_file *af, struct dk_err *e)
{
	char *dir;
	int fd;

	if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) < 0) {
		dk_syserrf(e, af->path, 0, "write error");
		atomic_abort(af);
		return -1;
	}
	/* the target may have changed since atomic_open */
	if (atomic_check_output(af->path, NULL, e) < 0 || (af->anon && link_anon(af, e) < 0)) {
		atomic_abort(af);
		return -1;
	}
	af->anon = 0;
	/* renamed while still locked, so no other run takes it for stale */
	if (rename(af->tmp, af->path) < 0) {
		dk_syserrf(e, af->path, 0, "cannot rename %s", af->tmp);
		atomic_abort(af);
		return -1;
	}
	set_pending(NULL);
	free(af->tmp);
	af->tmp = NULL;
	if (fclose(af->fp) != 0) {
		af->fp = NULL;
		dk_syserrf(e, af->path, 0, "write error");
		atomic_abort(af);
		return -1;
	}
	af->fp = NULL;
	/* The rename is durable only once the directory is synced. */
	if ((dir = dir_of(af->path))) {
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	free(af->path);
	af->path = NULL;
	return 0;
}

void
atomic_abort(struct atomic_file *af)
{
	/* a named temporary file goes before its lock does */
	if (af->tmp && !af->anon)
		unlink(af->tmp);
	if (af->fp) {
		fclose(af->fp);
		af->fp = NULL;
	}
	free(af->tmp);
	af->tmp = NULL;
	af->anon = 0;
	set_pending(NULL);
	free(af->path);
	af->path = NULL;
}

int
atomic_write(const char *path, const void *data, size_t n, mode_t mode, struct dk_err *e)
{
	struct atomic_file af;

	if (atomic_open(&af, path, mode, 0, e) < 0)
		return -1;
	if (n && fwrite(data, 1, n, af.fp) != n) {
		dk_syserrf(e, path, 0, "write error");
		atomic_abort(&af);
		return -1;
	}
	return atomic_commit(&af, e);
}
