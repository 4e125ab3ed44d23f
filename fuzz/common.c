/* dk fuzz harnesses: memfd inputs and a scratch directory. GPL-2.0-only. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int
fuzz_memfd(const void *p, size_t n, const char **path)
{
	static char name[64];
	int fd = memfd_create("dk-fuzz", MFD_CLOEXEC);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || lseek(fd, 0, SEEK_SET) < 0) {
		perror("dk-fuzz: memfd");
		abort();
	}
	snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
	if (path)
		*path = name;
	return fd;
}

static char dir[64];

static void
remove_dir(void)
{
	fuzz_dir_clear();
	rmdir(dir);
}

const char *
fuzz_dir(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/dk-fuzz.XXXXXX", "/tmp");
		if (!mkdtemp(dir)) {
			perror("dk-fuzz: mkdtemp");
			abort();
		}
		atexit(remove_dir);
	}
	return dir;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

void
fuzz_dir_clear(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
