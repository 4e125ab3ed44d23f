/* dk: running other programs (git, gpg, gpgv, ssh) with an argv, never a
 * shell. GPL-2.0-only. */
#ifndef DK_SPAWN_H
#define DK_SPAWN_H

#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* Runs argv[0] (searched in PATH) with argv in directory dir (NULL: here).
 * in (NULL: /dev/null) is written to its stdin; its stdout goes into out
 * and its stderr into err_out (each NULL: inherited). Returns the exit
 * status 0..255, or -1 with e set when it could not be run or was killed
 * by a signal. */
int spawn_run(char *const argv[], const char *dir, const struct buf *in,
	struct buf *out, struct buf *err_out, struct dk_err *e);

/* Starts argv in the background with stdin /dev/null and stdout/stderr
 * inherited (err_fd >= 0: stderr there). Returns its pid or -1 with e set. */
pid_t spawn_bg(char *const argv[], int err_fd, struct dk_err *e);

/* Starts argv with its stdin, stdout and stderr on pipes: fds[0] is
 * written to, fds[1] and fds[2] read (all close-on-exec; the caller closes
 * them and reaps the child). Returns its pid or -1 with e set. */
pid_t spawn_pipes(char *const argv[], int fds[3], struct dk_err *e);

#endif
