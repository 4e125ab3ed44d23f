/* dk: the data directory relative to the program. GPL-2.0-only. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
dk_datadir(const char *exe, char *out, size_t n, struct dk_err *e)
{
	/* installed; then the build tree: cmd/PROG and asan/cmd/PROG */
	static const char *const rel[] = { "../share/dk", "../contrib", "../../contrib" };
	char self[PATH_MAX], *slash;
	ssize_t l;
	size_t i;

	if (!exe) {
		if ((l = readlink("/proc/self/exe", self, sizeof self - 1)) < 0)
			return dk_syserrf(e, "/proc/self/exe", 0, "cannot read");
		self[l] = '\0';
	} else if (snprintf(self, sizeof self, "%s", exe) >= (int)sizeof self) {
		return dk_errf(e, exe, 0, "path too long");
	}
	if (!(slash = strrchr(self, '/')))
		return dk_errf(e, self, 0, "no directory in the program's path");
	*slash = '\0';
	for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		if (snprintf(out, n, "%s/%s", self, rel[i]) >= (int)n)
			return dk_errf(e, self, 0, "path too long");
		if (is_dir(out))
			return 0;
	}
	return dk_errf(e, NULL, 0, "no data directory: neither %s/../share/dk nor a build tree's contrib/", self);
}
