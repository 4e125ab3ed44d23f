/* dk: the fetch list of an ebuild: its SRC_URI and that of the eclasses it
 * inherits, every USE/arch branch taken. GPL-2.0-only. */
#ifndef DK_PKGSRC_H
#define DK_PKGSRC_H

#include "err.h"
#include "srcuri.h"

/* Called with a one-line note about what was read (none is made today:
 * an eclass that dies for the ebuild's EAPI is an error, as in bash). */
typedef void pkgsrc_note_fn(void *arg, const char *msg);

/* Adds the distfiles of the ebuild at path to l. Eclasses are read from
 * eclassdir (NULL: none). An eclass the tree lacks counts as setting no
 * SRC_URI only if it is one known never to set it; otherwise, and when
 * SRC_URI depends on eclass code run at global scope (kernel-2's
 * detect_version), it is an error naming the ebuild, line and construct;
 * so is an eclass, or the ebuild, whose global "case ${EAPI}" dies for the
 * ebuild's EAPI (naming that file and the line of its die).
 * Returns 0 or -1 with e set; l gets nothing from a failed ebuild. */
int pkgsrc_ebuild(const char *path, const char *eclassdir, const struct srcuri_mirrors *m,
	struct srcuri_list *l, pkgsrc_note_fn *note, void *arg, struct dk_err *e);
/* The repository root of a package directory (pkgdir/../.. when it holds
 * an eclass/ or profiles/ directory) into a new string, or NULL. */
char *pkgsrc_repo_root(const char *pkgdir);

#endif
