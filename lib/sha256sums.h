/* dk: kernel.org's signed sha256sums files: verified by gpgv, then looked
 * up by file name. GPL-2.0-only. */
#ifndef DK_SHA256SUMS_H
#define DK_SHA256SUMS_H

#include "buf.h"
#include "err.h"

/* path made absolute against the working directory (malloc'ed), or NULL
 * (ENOMEM): what a child process is handed. */
char *sha256sums_abspath(const char *path);
/* Runs gpgv (an argv, no shell, both paths made absolute) on the
 * clear-signed file asc against keyring and puts only the signed text
 * into out. Returns 0 when the
 * signature is good, or -1 with e naming asc and gpgv's reason. */
int sha256sums_verify(const char *asc, const char *keyring, struct buf *out, struct dk_err *e);
/* The SHA256 (64 hex) listed for name in a verified text, copied into
 * hex (size 65); returns 1 when listed, 0 when not. */
int sha256sums_lookup(const char *text, const char *name, char hex[65]);

#endif
