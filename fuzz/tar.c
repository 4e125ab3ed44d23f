/* Fuzz target: the streaming tar reader fed in pieces of a size the
 * input's first byte picks, and the safe extractor. GPL-2.0-only. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "tar.h"

static int
on_member(void *ctx, const struct tar_member *m, struct dk_err *e)
{
	(void)e;
	*(size_t *)ctx += strlen(m->name) + strlen(m->linkname);
	return 0;
}

static int
on_data(void *ctx, const struct tar_member *m, const void *p, size_t n, struct dk_err *e)
{
	(void)m;
	(void)e;
	*(size_t *)ctx += n + ((const unsigned char *)p)[n - 1];
	return 0;
}

static const struct tar_ops ops = { on_member, on_data, NULL };

/* Feeds r the n bytes at p in pieces of step bytes (0: all at once). */
static void
feed(struct tar_reader *r, const uint8_t *p, size_t n, size_t step)
{
	struct dk_err e;
	size_t off = 0;

	while (off < n) {
		size_t k = step && n - off > step ? step : n - off;

		if (tar_feed(r, p + off, k, &e) < 0)
			return;
		off += k;
	}
	tar_finish(r, &e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 0, 1, 7, 512, 513, 4096 };
	struct tar_reader *r;
	struct dk_err e;
	size_t seen = 0, step;
	char dir[300];

	if (!size)
		return 0;
	step = steps[data[0] % 6];
	data++;
	size--;
	if ((r = tar_reader_new(&ops, &seen, "fuzz.tar"))) {
		feed(r, data, size, step);
		tar_reader_free(r);
	}
	snprintf(dir, sizeof dir, "%s/x", fuzz_dir());
	mkdir(dir, 0755);
	if ((r = tar_extract_reader(dir, "fuzz.tar", &e))) {
		feed(r, data, size, step);
		tar_reader_free(r);
	}
	fuzz_dir_clear();
	return 0;
}
