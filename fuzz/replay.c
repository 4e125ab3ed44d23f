/* dk fuzz harnesses without libFuzzer: runs each file operand (or every
 * file of a directory operand) through the target once, so the regression
 * corpus t/fuzz/NAME/ is replayed by make check with any C compiler.
 * Prints "N inputs" and exits 0; a crash is the sanitizer's report.
 * GPL-2.0-only. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "lines.h"
#include "fuzz.h"

static int
run_file(const char *path)
{
	struct buf b = { 0 };
	struct dk_err e;

	if (read_file(path, &b, &e) < 0) {
		fprintf(stderr, "replay: %s\n", e.msg);
		return -1;
	}
	/* libFuzzer hands over exactly size bytes: a copy of that size, so
	 * ASan sees a read past the end */
	{
		uint8_t *copy = malloc(b.len ? b.len : 1);

		if (!copy) {
			buf_free(&b);
			return -1;
		}
		memcpy(copy, buf_str(&b), b.len);
		LLVMFuzzerTestOneInput(copy, b.len);
		free(copy);
	}
	buf_free(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	long n = 0;
	int i, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			struct dirent **v;
			int k, m = scandir(argv[i], &v, NULL, alphasort);

			if (m < 0) {
				fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
				bad = 1;
				continue;
			}
			for (k = 0; k < m; k++) {
				char path[4096];

				if (v[k]->d_name[0] != '.') {
					snprintf(path, sizeof path, "%s/%s", argv[i], v[k]->d_name);
					if (run_file(path) < 0)
						bad = 1;
					else
						n++;
				}
				free(v[k]);
			}
			free(v);
		} else if (run_file(argv[i]) < 0) {
			bad = 1;
		} else {
			n++;
		}
	}
	printf("%ld inputs\n", n);
	return bad;
}
