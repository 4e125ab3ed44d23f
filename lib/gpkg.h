/* dk: Gentoo binary packages (GLEP 78 .gpkg.tar): validation in one
 * streaming read, and their names. GPL-2.0-only. */
#ifndef DK_GPKG_H
#define DK_GPKG_H

#include <stdint.h>

#include "err.h"

/* What a valid package holds. */
struct gpkg_info {
	char *dir;		/* the archive's top directory ("gentoo-kernel-6.6.31-1") */
	char *pf;		/* metadata/PF when the metadata could be read, else NULL */
	char *category;		/* metadata/CATEGORY likewise */
	uint64_t size;		/* bytes of the whole file */
	int manifest_signed;	/* the inner Manifest is OpenPGP clear-signed */
};

/* Checks the package read from fd (name for messages), as portage writes
 * and verifies it: an uncompressed tar of DIR/gpkg-1 first,
 * DIR/metadata.tar[.COMP], DIR/image.tar[.COMP] (each maybe with a .sig)
 * and DIR/Manifest last, regular files one level deep only, whose DATA
 * entries ("DATA metadata.tar.xz SIZE BLAKE2B hex SHA512 hex", base names)
 * give the size and hashes of every other member; at least one of
 * BLAKE2B and SHA512 per entry, and all given must match.
 * Hashes while reading; the metadata member (small) is kept to read PF.
 * Returns 0 with info filled, or -1 with e set to one line naming the
 * package and the member ("NAME: member DIR/image.tar.xz: SHA512 does not
 * match the Manifest"). */
int gpkg_check_fd(int fd, const char *name, struct gpkg_info *info, struct dk_err *e);
/* As gpkg_check_fd on the file path. */
int gpkg_check(const char *path, struct gpkg_info *info, struct dk_err *e);
/* Frees what info holds. */
void gpkg_info_free(struct gpkg_info *info);

/* The parts of a binary package's file name: "PF[-BUILDID].gpkg.tar". */
struct gpkg_name {
	char *pf;	/* "gentoo-kernel-6.6.31-r1" */
	char *pn;	/* "gentoo-kernel" */
	char *pv;	/* "6.6.31" (no revision) */
	char *pr;	/* "r1", or "r0" */
	char *series;	/* "6.6": the first two components of pv */
	char *buildid;	/* "1", or NULL when the name has none */
};

/* Splits the base name of path (which must end in ".gpkg.tar"). Returns 0,
 * or -1 with e set when it is no PF[-BUILDID] with a PMS version. */
int gpkg_parse_name(const char *path, struct gpkg_name *n, struct dk_err *e);
/* Frees what n holds. */
void gpkg_name_free(struct gpkg_name *n);

#endif
