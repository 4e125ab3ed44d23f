#!/bin/sh
# A real tree: over every dist-kernel ebuild of DK_TREE (a gentoo.git
# checkout; the corpus when it is not set), manifest-gen -l lists every
# package and ebuild-setvar -e evaluates every variable a bump reads or
# sets that the ebuild assigns at the start of a line. bash evaluates all
# of them, so any refusal is a failure (gentoo-sources' kernel-2 code is
# not a dist-kernel and is not read here).
. "$(dirname "$0")/lib.sh"

tree=${DK_TREE:-$CORPUS}
if [ -z "$tree" ]; then
	skip "the dist-kernel ebuilds of a real tree" "no tree: set DK_TREE to a gentoo.git checkout, or DK_CORPUS to the corpus (t/data/README)"
	exit 0
fi
[ -d "$tree/sys-kernel/gentoo-kernel" ] || { fail "DK_TREE=$tree" "no sys-kernel/gentoo-kernel there"; exit 0; }
# The corpus' eclasses are of two eras (kernel-build EAPI 8 only,
# kernel-install EAPI 7 only): bash dies on every kernel ebuild with them,
# and so does manifest-gen. Read the corpus with today's stand-ins instead
# (t/data/README), as t/0990 does; a real tree is read as it is.
if [ -z "${DK_TREE:-}" ]; then
	cp -R "$tree" "$T/tree"
	rm -rf "$T/tree/eclass"
	cp -R "$DATA/repo/eclass" "$T/tree/"
	tree=$T/tree
fi
vars='SRC_URI KEYWORDS BASE_P PATCH_PV MY_P CONFIG_VER CONFIG_HASH GENTOO_CONFIG_VER GENPATCHES_P PATCHSET SHA256SUM_DATE'
n=0
for d in sys-kernel/gentoo-kernel sys-kernel/vanilla-kernel sys-kernel/gentoo-kernel-bin virtual/dist-kernel; do
	[ -d "$tree/$d" ] || continue
	t_run "manifest-gen -l $d" 0 manifest-gen -q -l "$tree/$d"
	for e in "$tree/$d"/*.ebuild; do
		[ -f "$e" ] || continue
		names=
		for v in $vars; do
			grep -q "^$v=" "$e" && names="$names $v"
		done
		[ -n "$names" ] || continue
		# shellcheck disable=SC2086
		if ebuild-setvar -e $names "$e" >"$T/out" 2>"$T/err"; then
			ok "ebuild-setvar -e${names} ${e#"$tree"/}"
		else
			fail "ebuild-setvar -e${names} ${e#"$tree"/}" "$(head -n 3 "$T/err" | tr '\n' ' ')"
		fi
		n=$((n + 1))
	done
done
t_run "ebuild-setvar -e: $n ebuilds of $tree read" 0 test "$n" -gt 0
