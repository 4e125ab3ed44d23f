/* dk: atomic file writing. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
atomic_open(struct atomic_file *af, const char *path, mode_t mode, int exact, struct dk_err *e)
{
	struct stat st;
	char *copy, *base, *dir;
	int fd;
	size_t n;

	memset(af, 0, sizeof *af);
	if (!(af->path = strdup(path)) || !(copy = strdup(path))) {
		free(af->path);
		af->path = NULL;
		return dk_syserrf(e, path, 0, "cannot write");
	}
	base = basename(copy);
	n = strlen(path) + 16;
	if (!(dir = dir_of(path)) || !(af->tmp = malloc(n + strlen(dir)))) {
		dk_syserrf(e, path, 0, "cannot write");
		free(copy);
		free(dir);
		free(af->path);
		af->path = NULL;
		return -1;
	}
	n += strlen(dir);
	snprintf(af->tmp, n, "%s/.%s.XXXXXX", dir, base);
	free(copy);
	free(dir);
	if ((fd = mkstemp(af->tmp)) < 0) {
		dk_syserrf(e, path, 0, "cannot create temporary file");
		free(af->tmp);
		free(af->path);
		af->tmp = af->path = NULL;
		return -1;
	}
	set_pending(af->tmp);
	if (stat(path, &st) == 0) {
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
}

int
atomic_commit(struct atomic_file *af, struct dk_err *e)
{
	char *dir;
	int fd, r = 0;

	if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) < 0) {
		dk_syserrf(e, af->path, 0, "write error");
		atomic_abort(af);
		return -1;
	}
	if (fclose(af->fp) != 0) {
		af->fp = NULL;
		dk_syserrf(e, af->path, 0, "write error");
		atomic_abort(af);
		return -1;
	}
	af->fp = NULL;
	if (rename(af->tmp, af->path) < 0) {
		dk_syserrf(e, af->path, 0, "cannot rename %s", af->tmp);
		atomic_abort(af);
		return -1;
	}
	set_pending(NULL);
	free(af->tmp);
	af->tmp = NULL;
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
	return r;
}

void
atomic_abort(struct atomic_file *af)
{
	if (af->fp) {
		fclose(af->fp);
		af->fp = NULL;
	}
	if (af->tmp) {
		unlink(af->tmp);
		free(af->tmp);
		af->tmp = NULL;
	}
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
