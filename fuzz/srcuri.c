/* Fuzz target: SRC_URI parsing with the built-in mirrors, and the fetch
 * list it gives. GPL-2.0-only. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "srcuri.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct srcuri_mirrors m;
	static int ready;
	struct srcuri_list l = { 0 };
	struct buf out = { 0 };
	struct dk_err e;
	char *text;

	if (!ready && srcuri_mirrors_builtin(&m, &e) == 0)
		ready = 1;
	/* the evaluated SRC_URI is a C string */
	if (!(text = strndup((const char *)data, size)))
		return 0;
	if (srcuri_parse(&l, text, ready ? &m : NULL, "fuzz.ebuild", 1, &e) == 0)
		srcuri_format(&l, &out);
	buf_free(&out);
	srcuri_free(&l);
	free(text);
	return 0;
}
