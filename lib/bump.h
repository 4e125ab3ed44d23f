/* dk: the edits a version bump makes to the text of a copied ebuild:
 * keywords to testing, the copyright year, SHA256SUM_DATE. Pure
 * functions on buffers, no I/O. GPL-2.0-only. */
#ifndef DK_BUMP_H
#define DK_BUMP_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct bump_opts {
	int keep_keywords;	/* leave KEYWORDS as they are */
	const char *year;	/* "2026": copyright year; NULL leaves line 1 */
	const char *date;	/* "20261125": SHA256SUM_DATE; NULL leaves it */
};

/* Appends text with every KEYWORDS line rewritten as "ekeyword ~all"
 * does (stable arches to ~arch; -*, ~arch and -arch kept; a line whose
 * keyword set does not change is copied untouched). Returns 0 or -1. */
int bump_keywords_testing(const char *text, size_t len, struct buf *out);
/* Appends text with line 1 bumped as copybump does: "Copyright A[-B]"
 * becomes "Copyright A-year" (just "year" when A is year), "Gentoo
 * Foundation" becomes "Gentoo Authors". year is 4 digits. 0 or -1. */
int bump_copyright(const char *text, size_t len, const char *year, struct buf *out);
/* Appends text with the global SHA256SUM_DATE assignment set to date,
 * keeping its quoting and every other byte; text without one is copied
 * as is. path names the text in messages. Returns 0 or -1 with e set
 * (text that does not lex as bash). */
int bump_sha256sum_date(const char *path, const char *text, size_t len, const char *date, struct buf *out, struct dk_err *e);
/* Checks that text can be an ebuild (not empty, no NUL byte, lexes) and
 * appends it with all the edits o asks for. Returns 0 or -1 with e set
 * to "path[:line]: message". */
int bump_ebuild(const char *path, const char *text, size_t len, const struct bump_opts *o, struct buf *out, struct dk_err *e);

/* 1 if s is a year as copybump writes it (4 digits), else 0. */
int bump_year_valid(const char *s);
/* 1 if s is a real date written YYYYMMDD, else 0. */
int bump_date_valid(const char *s);

#endif
