/* Fuzz target: the ebuild lexer, the evaluator and the setter, on any
 * bytes as an ebuild. GPL-2.0-only. */
#include <stdlib.h>

#include "ebuild.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "SRC_URI", "KEYWORDS", "EAPI", "SLOT", "CONFIG_VER", "MY_P" };
	char *set[] = { "EAPI=8", "KEYWORDS=~amd64 ~arm64", "CONFIG_VER=6.6.1-gentoo" };
	const struct ebuild_var *v;
	struct ebuild eb;
	struct ebuild_env env = { 0 };
	struct dk_err e;
	struct buf out = { 0 };
	size_t i;

	if (ebuild_parse(&eb, "fuzz.ebuild", (const char *)data, size, &e) < 0)
		return 0;
	if (ebuild_env_pms(&env, "sys-kernel", "gentoo-kernel-6.6.30-r1", &e) == 0)
		for (i = 0; i < sizeof names / sizeof *names; i++) {
			buf_reset(&out);
			ebuild_eval(&eb, &env, names[i], &out, &e);
			if ((v = ebuild_global(&eb, names[i], &e)))
				free(ebuild_raw(&eb, v));
		}
	for (i = 0; i < 3; i++) {
		buf_reset(&out);
		ebuild_set(&eb, &set[i], 1, &out, &e);
	}
	buf_free(&out);
	ebuild_env_free(&env);
	ebuild_free(&eb);
	return 0;
}
