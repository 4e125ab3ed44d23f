/* dk: making directories. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirs.h"

/* Walks component by component from a directory descriptor, so that no
 * single call sees more than one name: a path of any length works. */
int
dirs_make(const char *path, mode_t mode, struct dk_err *e)
{
	char *p, *s, *name;
	int dir, next, rc = 0;

	if (!*path) {
		errno = ENOENT;
		return dk_syserrf(e, path, 0, "cannot make directory");
	}
	if (!(p = strdup(path)))
		return dk_syserrf(e, path, 0, "cannot make directory");
	dir = open(*p == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		free(p);
		return dk_syserrf(e, *path == '/' ? "/" : ".", 0, "cannot open");
	}
	for (s = p; rc == 0;) {
		char c;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		name = s;
		s += strcspn(s, "/");
		c = *s;
		*s = '\0';
		if (mkdirat(dir, name, mode) < 0 && errno != EEXIST)
			rc = -1;
		else if ((next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			rc = -1;	/* ENOTDIR: there, and not a directory */
		else {
			close(dir);
			dir = next;
		}
		if (rc < 0)
			dk_syserrf(e, p, 0, "cannot make directory");
		*s = c;
	}
	close(dir);
	free(p);
	return rc;
}
