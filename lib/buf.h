/* dk: growable byte strings. GPL-2.0-only. */
#ifndef DK_BUF_H
#define DK_BUF_H

#include <stddef.h>

/* s is always NUL-terminated once anything was added; len excludes the NUL.
 * A zeroed struct buf is an empty buffer. */
struct buf {
	char *s;
	size_t len, cap;
};

/* Appends n bytes of p; returns 0, or -1 (errno ENOMEM). */
int buf_add(struct buf *b, const void *p, size_t n);
/* Appends the string s; returns 0 or -1. */
int buf_adds(struct buf *b, const char *s);
/* Appends one byte; returns 0 or -1. */
int buf_addc(struct buf *b, int c);
/* Appends printf output; returns 0 or -1. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes; returns 0 or -1. */
int buf_grow(struct buf *b, size_t n);
/* Empties b, keeping its memory. */
void buf_reset(struct buf *b);
/* Frees b's memory and empties it. */
void buf_free(struct buf *b);
/* Returns b's string (never NULL: "" when empty). */
const char *buf_str(const struct buf *b);
/* Takes the string out of b (caller frees; never NULL unless out of memory). */
char *buf_take(struct buf *b);

#endif
