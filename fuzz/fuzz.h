/* dk fuzz harnesses: what every target shares. Each fuzz/NAME.c defines
 * LLVMFuzzerTestOneInput for one parser entry point; it is linked either
 * with libFuzzer (make fuzz) or with fuzz/replay.c, a plain main() that
 * runs the files of t/fuzz/NAME/ through it (make check, no clang).
 * GPL-2.0-only. */
#ifndef DK_FUZZ_H
#define DK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A regular file holding the n bytes at p that needs no clean-up (a
 * memfd): its descriptor, and its path in *path (a static buffer). Aborts
 * when none can be made: the harness cannot run without it. */
int fuzz_memfd(const void *p, size_t n, const char **path);
/* A private directory for targets that write (made once per process). */
const char *fuzz_dir(void);
/* Empties fuzz_dir() again. */
void fuzz_dir_clear(void);

#endif
