/* Fuzz target: the YAML configuration, as text (cfg_parse, which also
 * reads the engine's JSON) and as a file merged over the defaults
 * (config_load). GPL-2.0-only. */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_node root;
	struct config c = { 0 };
	struct dk_err e;
	const char *path;
	char **v;
	int fd;

	if (cfg_parse(&root, "fuzz.yaml", (const char *)data, size, &e) == 0) {
		if (cfg_strv(cfg_member(&root, "deps"), "deps", &v, &e) == 0)
			cfg_strv_free(v);
		cfg_free(&root);
	}
	fd = fuzz_memfd(data, size, &path);
	if (config_load(&c, path, &e) == 0)
		config_free(&c);
	close(fd);
	return 0;
}
