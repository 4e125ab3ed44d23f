#!/bin/sh
# bump-kernels and bump-kernels-bin check everything before the first
# write: each problem one line, exit 1, the tree, index and DISTDIR as they
# were. The cases are the issue's "what was seen", on the sample tree with
# real git and real GLEP 78 packages; and the pin report on the corpus.
# Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
PATH=$DK_TOP/contrib:$PATH
DISTDIR=$T/distfiles BINPKG=$T/binpkg DK_ARCHES="amd64 arm64"
export DISTDIR BINPKG DK_ARCHES
mkdir -p "$DISTDIR"

# mktree DIR SRC: a gentoo.git checkout of SRC with an origin.
mktree() {
	cp -R "$2" "$1"
	git -C "$1" init -q -b master
	git -C "$1" add -A
	git -C "$1" -c user.name=t -c user.email=t@example.invalid commit -q -m tree
	git -C "$1" branch -q origin
	git -C "$1" config user.name t
	git -C "$1" config user.email t@example.invalid
}
mktree "$T/g" "$DATA/repo"
cd "$T/g" || exit 1
head0=$(git rev-parse HEAD)
# untouched NAME: the tree, HEAD, index and DISTDIR as they were.
untouched() {
	t_eq "$1: tree and index clean" "" "$(git status --porcelain)"
	t_eq "$1: HEAD unmoved" "$head0" "$(git rev-parse HEAD)"
	t_eq "$1: DISTDIR untouched" "" "$(ls "$DISTDIR")"
	t_eq "$1: no journal" "" "$(ls -d .git/dk-* 2>/dev/null)"
}

t_run "--set without a value: usage" 2 bump-kernels --set CONFIG_VER 7.2.9 7.2.10
t_grep "... names it" '^bump-kernels: --set CONFIG_VER: not \[PN\[-NEW\]:\]NAME=VALUE$' "$T/err"
untouched "--set without a value"
t_run "a downgrade" 1 bump-kernels -n 7.2.11 7.2.1
t_out "... one line" 'bump-kernels: 7.2.11 7.2.1: 7.2.1 is not newer than 7.2.11 (--force-version allows it)
bump-kernels: nothing was written: 1 problem(s)' "$T/err"
t_run "another series" 1 bump-kernels 6.18.1 7.2.10
t_grep "... one line" '^bump-kernels: 6\.18\.1 7\.2\.10: not the same series \(--force-version allows it\)$' "$T/err"
untouched "another series"
t_run "-F allows a downgrade" 0 bump-kernels -F -n 7.2.9 7.2.1
t_grep "... and would copy 7.2.9 to 7.2.1" 'would copy sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.9\.ebuild to sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.1\.ebuild' "$T/err"
t_run "not a kernel version" 1 bump-kernels 7.2.9 7.2.10-gentoo
t_grep "... one line" '^bump-kernels: 7\.2\.10-gentoo: not a kernel version$' "$T/err"
t_run "no OLD ebuild" 1 bump-kernels 7.2.7 7.2.8
t_out "... a line per package" 'bump-kernels: sys-kernel/vanilla-kernel: no ebuild of vanilla-kernel 7.2.7; versions there: 6.18.1 7.2.9
bump-kernels: sys-kernel/gentoo-kernel: no ebuild of gentoo-kernel 7.2.7; versions there: 6.18.1 7.2.9
bump-kernels: virtual/dist-kernel: no ebuild of dist-kernel 7.2.7; versions there: 6.18.1 7.2.9
bump-kernels: nothing was written: 3 problem(s)' "$T/err"
untouched "no OLD ebuild"
cp sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild
t_run "a NEW ebuild of someone else's" 1 bump-kernels 7.2.9 7.2.10
t_grep "... is not overwritten" '^bump-kernels: sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.10\.ebuild: exists and is not committed' "$T/err"
t_eq "... and stays" "?? sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild" "$(git status --porcelain)"
rm sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild
t_run "problems of several pairs, all at once" 1 bump-kernels --set gentoo-kernel:NOPE=1 7.2.11 7.2.1 6.18.1 6.18.2
t_eq "... each one line" 5 "$(wc -l <"$T/err")"
untouched "several problems"

# gentoo-kernel-bin: nothing reaches DISTDIR before every check passed.
pkg() {	# pkg ARCH V: gentoo-kernel-V's package where dk-build leaves it
	mkdir -p "$BINPKG/$1/kernel/sys-kernel/gentoo-kernel"
	sh "$DK_TOP/t/mkgpkg.sh" "$BINPKG/$1/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-$2-1.gpkg.tar" "sys-kernel/gentoo-kernel-$2"
}
pkg amd64 7.2.10
pkg arm64 7.2.10
cp sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild
git add -A && git commit -q -m "sys-kernel/gentoo-kernel: Bump to 7.2.10"
head0=$(git rev-parse HEAD)
t_run "-bin: a --set name the ebuild lacks" 1 bump-kernels-bin --set PATCHST=linux-gentoo-patches-7.2.10 7.2.9 7.2.10
t_grep "... one line" '^bump-kernels-bin: --set PATCHST=linux-gentoo-patches-7\.2\.10: sys-kernel/gentoo-kernel-bin/gentoo-kernel-bin-7\.2\.9\.ebuild does not assign PATCHST at global scope$' "$T/err"
untouched "-bin --set PATCHST"
t_run "-bin: no OLD -bin ebuild" 1 bump-kernels-bin 7.2.8 7.2.10
t_grep "... one line" '^bump-kernels-bin: sys-kernel/gentoo-kernel-bin: no ebuild of gentoo-kernel-bin 7\.2\.8' "$T/err"
untouched "-bin no OLD ebuild"
t_run "-bin: no gentoo-kernel-NEW to take the pins from" 1 bump-kernels-bin 7.2.9 7.2.11
t_grep "... one line" '^bump-kernels-bin: sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.11\.ebuild: missing \(bump-kernels 7\.2\.9 7\.2\.11 first' "$T/err"
MKGPKG_BREAK=wrong-hash sh "$DK_TOP/t/mkgpkg.sh" "$BINPKG/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-1.gpkg.tar" sys-kernel/gentoo-kernel-7.2.10
t_run "-bin: a package dk-push refuses" 1 bump-kernels-bin 7.2.9 7.2.10
t_grep "... its reason" "^bump-kernels-bin: $BINPKG/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.10-1\.gpkg\.tar: " "$T/err"
untouched "-bin bad package"
pkg arm64 7.2.10
cp "$BINPKG/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-1.gpkg.tar" "$BINPKG/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-2.gpkg.tar"
t_run "-bin: two builds of one arch" 1 bump-kernels-bin 7.2.9 7.2.10
t_grep "... one line" "^bump-kernels-bin: $BINPKG/arm64/kernel/sys-kernel/gentoo-kernel: want one gentoo-kernel-7\.2\.10-BUILDID\.gpkg\.tar, found 2$" "$T/err"
untouched "-bin two builds"
rm "$BINPKG/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-2.gpkg.tar"
t_run "-bin -n: every check passes" 0 bump-kernels-bin -n 7.2.9 7.2.10
t_grep "... and shows the push" "^\+ dk-push -q -d file://$DISTDIR " "$T/err"
untouched "-bin -n"

# The pin report of a dry run on the corpus ebuilds (gentoo-kernel only:
# the corpus holds no vanilla-kernel or dist-kernel of these versions).
if [ -d "$CORPUS/sys-kernel/gentoo-kernel" ]; then
	mktree "$T/c" "$CORPUS"
	cd "$T/c" || exit 1
	bump-kernels -n 5.10.255_p3 5.10.256 6.6.9 6.6.10 6.18.1 6.18.2 7.2.9 7.2.10 >"$T/out" 2>"$T/err"
	grep ' still names ' "$T/err" >"$T/pins"
	t_out "corpus: the pins still naming OLD" 'bump-kernels: gentoo-kernel-6.18.2: CONFIG_VER still names 6.18.1 (6.18.1-gentoo): --set gentoo-kernel-6.18.2:CONFIG_VER=VALUE, or --keep-pin CONFIG_VER
bump-kernels: gentoo-kernel-6.18.2: PATCHSET still names 6.18.1 (linux-gentoo-patches-6.18.1): --set gentoo-kernel-6.18.2:PATCHSET=VALUE, or --keep-pin PATCHSET' "$T/pins"
	bump-kernels -n --keep-pin CONFIG_VER --set gentoo-kernel-6.18.2:PATCHSET=linux-gentoo-patches-6.18.2 6.18.1 6.18.2 >"$T/out" 2>"$T/err"
	t_eq "corpus: kept and set, no pin is reported" "" "$(grep ' still names ' "$T/err")"
	bump-kernels-bin -n 7.0.1 7.0.2 >"$T/out" 2>"$T/err"
	t_grep "corpus -bin: its own pin naming OLD" '^bump-kernels-bin: gentoo-kernel-bin-7\.0\.2: PATCHSET still names 7\.0\.1 ' "$T/err"
else
	skip "corpus pin report" "no corpus: set DK_CORPUS (CI: ../shared/corpus)"
fi
