/* Fuzz target: the engine's log stream demultiplexer and its JSON-lines
 * progress reader, fed in pieces. Both are private to lib/engine.c, so
 * the file is compiled into the harness itself (its objects are then not
 * taken from libdk.a). GPL-2.0-only. */
#include "../lib/engine.c"

#include "fuzz.h"

static int
count_sink(void *ctx, const char *p, size_t n)
{
	*(size_t *)ctx += n + (unsigned char)p[n - 1];
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	size_t seen = 0, off, step;
	struct demux d = { .sink = count_sink, .ctx = &seen };
	struct progress pr = { 0 };

	if (!size)
		return 0;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return 0;
	step = 1 + data[0] % 64;
	data++;
	size--;
	for (off = 0; off < size; off += step)
		if (demux_sink(&d, (const char *)data + off, size - off < step ? size - off : step) < 0)
			break;
	pr.log = devnull;
	for (off = 0; off < size; off += step)
		if (progress_sink(&pr, (const char *)data + off, size - off < step ? size - off : step) < 0)
			break;
	buf_free(&pr.line);
	return 0;
}
