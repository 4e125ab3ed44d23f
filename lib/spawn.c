/* dk: running other programs. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

static void
child(char *const argv[], const char *dir, int in, int out, int err, int errpipe)
{
	int code;

	if (in >= 0 && dup2(in, 0) < 0)
		goto fail;
	if (out >= 0 && dup2(out, 1) < 0)
		goto fail;
	if (err >= 0 && dup2(err, 2) < 0)
		goto fail;
	if (dir && chdir(dir) < 0)
		goto fail;
	signal(SIGPIPE, SIG_DFL);
	{
		/* A threaded caller may block signals to take them in one
		 * thread; the child must still die of SIGTERM. */
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	execvp(argv[0], argv);
fail:
	code = errno;
	if (write(errpipe, &code, sizeof code) < 0)
		_exit(127);
	_exit(127);
}

/* Forks argv with the given fds; reports exec failure through a CLOEXEC
 * pipe so the caller gets "cannot run git: No such file…", not status 127. */
static pid_t
start(char *const argv[], const char *dir, int in, int out, int err, struct dk_err *e)
{
	int ep[2], code;
	pid_t pid;
	ssize_t n;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return dk_syserrf(e, NULL, 0, "cannot run %s", argv[0]);
	if ((pid = fork()) < 0) {
		close(ep[0]);
		close(ep[1]);
		return dk_syserrf(e, NULL, 0, "cannot run %s", argv[0]);
	}
	if (pid == 0) {
		close(ep[0]);
		child(argv, dir, in, out, err, ep[1]);
	}
	close(ep[1]);
	do
		n = read(ep[0], &code, sizeof code);
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == sizeof code) {
		waitpid(pid, NULL, 0);
		errno = code;
		return dk_syserrf(e, NULL, 0, "cannot run %s", argv[0]);
	}
	return pid;
}

int
spawn_run(char *const argv[], const char *dir, const struct buf *in,
	struct buf *out, struct buf *err_out, struct dk_err *e)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 }, xp[2] = { -1, -1 };
	int devnull = -1, status, ret = -1;
	size_t off = 0;
	pid_t pid;
	void (*oldpipe)(int);

	oldpipe = signal(SIGPIPE, SIG_IGN);
	if ((in ? pipe2(ip, O_CLOEXEC) : (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC))) < 0 ||
	    (out && pipe2(op, O_CLOEXEC) < 0) || (err_out && pipe2(xp, O_CLOEXEC) < 0)) {
		dk_syserrf(e, NULL, 0, "cannot run %s", argv[0]);
		goto done;
	}
	pid = start(argv, dir, in ? ip[0] : devnull, op[1], xp[1], e);
	if (ip[0] >= 0)
		close(ip[0]), ip[0] = -1;
	if (op[1] >= 0)
		close(op[1]), op[1] = -1;
	if (xp[1] >= 0)
		close(xp[1]), xp[1] = -1;
	if (pid < 0)
		goto done;
	if (in && in->len == 0)
		close(ip[1]), ip[1] = -1;
	/* A blocking write bigger than the pipe would wait for the child,
	 * which may itself wait for us to drain its output. */
	if (ip[1] >= 0)
		fcntl(ip[1], F_SETFL, fcntl(ip[1], F_GETFL) | O_NONBLOCK);
	/* Feed stdin and drain both outputs together, so neither side blocks
	 * on a full pipe. */
	while (ip[1] >= 0 || op[0] >= 0 || xp[0] >= 0) {
		struct pollfd pf[3];
		int np = 0, i;

		if (ip[1] >= 0)
			pf[np++] = (struct pollfd){ .fd = ip[1], .events = POLLOUT };
		if (op[0] >= 0)
			pf[np++] = (struct pollfd){ .fd = op[0], .events = POLLIN };
		if (xp[0] >= 0)
			pf[np++] = (struct pollfd){ .fd = xp[0], .events = POLLIN };
		if (poll(pf, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == ip[1]) {
				ssize_t n = write(ip[1], in->s + off, in->len - off);

				if (n > 0)
					off += (size_t)n;
				if ((n < 0 && errno != EINTR && errno != EAGAIN) || off == in->len)
					close(ip[1]), ip[1] = -1;
			} else {
				struct buf *b = pf[i].fd == op[0] ? out : err_out;
				int *fd = pf[i].fd == op[0] ? &op[0] : &xp[0];
				ssize_t n;

				if (buf_grow(b, 65536) < 0) {
					close(*fd), *fd = -1;
					continue;
				}
				n = read(*fd, b->s + b->len, b->cap - b->len - 1);
				if (n > 0) {
					b->len += (size_t)n;
					b->s[b->len] = '\0';
				} else if (n == 0 || errno != EINTR) {
					close(*fd), *fd = -1;
				}
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			dk_syserrf(e, NULL, 0, "%s", argv[0]);
			goto done;
		}
	}
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		dk_errf(e, NULL, 0, "%s killed by signal %d", argv[0], WTERMSIG(status));
done:
	for (int *fd = (int[]){ ip[0], ip[1], op[0], op[1], xp[0], xp[1], devnull }, i = 0; i < 7; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	signal(SIGPIPE, oldpipe);
	return ret;
}

pid_t
spawn_bg(char *const argv[], int err_fd, struct dk_err *e)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (devnull < 0)
		return dk_syserrf(e, NULL, 0, "cannot run %s", argv[0]);
	pid = start(argv, NULL, devnull, -1, err_fd, e);
	close(devnull);
	return pid;
}

pid_t
spawn_pipes(char *const argv[], int fds[3], struct dk_err *e)
{
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, i;
	pid_t pid = -1;

	for (i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0) {
			dk_syserrf(e, NULL, 0, "cannot run %s", argv[0]);
			goto done;
		}
	pid = start(argv, NULL, p[0][0], p[1][1], p[2][1], e);
	if (pid >= 0) {
		fds[0] = p[0][1], p[0][1] = -1;
		fds[1] = p[1][0], p[1][0] = -1;
		fds[2] = p[2][0], p[2][0] = -1;
	}
done:
	for (i = 0; i < 3; i++) {
		if (p[i][0] >= 0)
			close(p[i][0]);
		if (p[i][1] >= 0)
			close(p[i][1]);
	}
	return pid;
}
