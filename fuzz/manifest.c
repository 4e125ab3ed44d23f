/* Fuzz target: Manifest parsing, lookup, DIST replacement and writing.
 * GPL-2.0-only. */
#include <string.h>

#include "fuzz.h"
#include "manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m = { 0 };
	struct hash_result r = { .size = 1 };
	struct buf out = { 0 };
	struct dk_err e;
	size_t i, n;

	/* exactly size bytes: the parser must not need a NUL after them */
	if (manifest_parse(&m, "Manifest", (const char *)data, size, &e) < 0) {
		if (m.n || m.v)
			__builtin_trap();	/* a failed parse leaves m empty */
		return 0;
	}
	memset(r.blake2b, 'a', 128);
	memset(r.sha512, 'b', 128);
	n = m.n;
	for (i = 0; i < n; i++)
		if (manifest_find(&m, m.v[i].type, m.v[i].name) != &m.v[i])
			__builtin_trap();	/* names are unique after a parse */
	if (n)
		manifest_set_dist(&m, m.v[0].name, &r, &e);
	manifest_set_dist(&m, "fuzz-new.tar", &r, &e);
	manifest_format(&m, &out);
	manifest_prune_dist(&m);
	buf_free(&out);
	manifest_free(&m);
	return 0;
}
