/* Fuzz target: checking a binary package (.gpkg.tar) and its name.
 * GPL-2.0-only. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "gpkg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpkg_info info;
	struct gpkg_name name;
	struct dk_err e;
	char *s;
	int fd = fuzz_memfd(data, size, NULL);

	memset(&info, 0, sizeof info);
	if (gpkg_check_fd(fd, "fuzz.gpkg.tar", &info, &e) == 0)
		gpkg_info_free(&info);
	close(fd);
	/* the first line as a file name */
	if ((s = strndup((const char *)data, size))) {
		s[strcspn(s, "\n")] = '\0';
		memset(&name, 0, sizeof name);
		if (gpkg_parse_name(s, &name, &e) == 0)
			gpkg_name_free(&name);
		free(s);
	}
	return 0;
}
