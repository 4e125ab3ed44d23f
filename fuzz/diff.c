/* Fuzz target: diff parsing, the package limits, the table, the digest
 * and the dry run against a small fixed tree. GPL-2.0-only. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "diff.h"
#include "fuzz.h"

static void
put(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if ((fp = fopen(path, "w"))) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* cat/pkg with an ebuild and a files/ entry, and an eclass: made once. */
static const char *
tree(void)
{
	static const char *const dirs[] = { "cat", "cat/pkg", "cat/pkg/files", "eclass" };
	static int done;
	const char *top = fuzz_dir();
	char path[512];
	size_t i;

	if (!done) {
		for (i = 0; i < sizeof dirs / sizeof *dirs; i++) {
			snprintf(path, sizeof path, "%s/%s", top, dirs[i]);
			mkdir(path, 0755);
		}
		put(top, "cat/pkg/pkg-1.ebuild", "EAPI=8\nKEYWORDS=\"amd64\"\nSLOT=0\n");
		put(top, "cat/pkg/files/a.patch", "a\nb\nc\n");
		put(top, "eclass/e.eclass", "one\ntwo\n");
		done = 1;
	}
	return top;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *limits[] = { "cat/pkg", "eclass" }, hex[65], **pkgs;
	struct diff d;
	struct buf tab = { 0 };
	struct dk_err e;
	size_t n, i;

	if (diff_parse(&d, "fuzz.diff", (const char *)data, size, &e) < 0)
		return 0;
	diff_check_limits(&d, limits, 2, &e);
	diff_table(&d, &tab);
	diff_sha256(&d, hex, &e);
	if (diff_packages(&d, &pkgs, &n) == 0) {
		for (i = 0; i < n; i++)
			free(pkgs[i]);
		free(pkgs);
	}
	diff_check_apply(&d, tree(), &e);
	buf_free(&tab);
	diff_free(&d);
	return 0;
}
