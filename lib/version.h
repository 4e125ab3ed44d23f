/* dk: Gentoo package versions, PMS 3.2-3.3: parsing and ordering.
 * GPL-2.0-only. */
#ifndef DK_VERSION_H
#define DK_VERSION_H

/* Returns 1 if s is a valid PMS version ("6.6.30_p1", "5.15.160-r1",
 * "6.10_rc7", "1.0a_beta2_p3-r4"), else 0. */
int version_valid(const char *s);
/* Compares two valid versions by PMS 3.3: <0, 0 or >0. Invalid input
 * compares as a plain string after every valid version. */
int version_cmp(const char *a, const char *b);
/* Splits a PF ("gentoo-kernel-6.6.30-r1") at the version: pn gets
 * "gentoo-kernel", pv "6.6.30", pr "r1" (or "r0"). Buffers are malloc'ed;
 * returns 0, or -1 when pf holds no valid version. */
int version_split_pf(const char *pf, char **pn, char **pv, char **pr);
/* The version with any "-rN" removed, malloc'ed. */
char *version_strip_rev(const char *v);

#endif
