/* Fuzz target: looking a file name up in a (signed) sha256sums text.
 * GPL-2.0-only. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sha256sums.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "linux-6.6.tar.xz", "patch-6.6.31.xz", "", "a" };
	char hex[65], *text = strndup((const char *)data, size);
	size_t i;

	if (!text)
		return 0;
	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (sha256sums_lookup(text, names[i], hex) && strlen(hex) != 64)
			__builtin_trap();
	free(text);
	return 0;
}
