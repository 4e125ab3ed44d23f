#!/bin/sh
# manifest-gen -l: the fetch list of real ebuilds (corpus), their eclasses,
# and the SRC_URI errors a maintainer can hit.
. "$(dirname "$0")/lib.sh"
need_corpus "manifest-gen -l corpus tests"

K=$CORPUS/sys-kernel
. "$DK_TOP/t/lib/manifest.sh"
MG=manifest-gen

t_run "-h prints usage" 0 $MG -h
t_grep "-h shows the synopsis" '^usage: manifest-gen \[-cflqu\]' "$T/out"
t_run "-V prints the version" 0 $MG -V
t_grep "-V names the program" '^manifest-gen [0-9]' "$T/out"
t_run "unknown option is a usage error" 2 $MG -Z
t_run "-l with -u is a usage error" 2 $MG -l -u "$K/gentoo-kernel"
t_grep "-l with -u says why" 'exclude each other' "$T/err"
t_run "-j 0 is a usage error" 2 $MG -j 0 -l "$K/gentoo-kernel"

# The corpus eclasses are of two eras: kernel-build dies for EAPI 7,
# kernel-install (EAPI 7 only) for EAPI 8, so bash sources no EAPI 8
# kernel ebuild and no EAPI 7 kernel-build one with them. era_tree EBUILD:
# the ebuild in a tree with eclasses of its era (today's EAPI 8 stand-ins
# of t/data/repo, which add nothing to SRC_URI); prints its new path.
era_tree() {
	_pn=$(basename "$(dirname "$1")")
	mkdir -p "$T/era/sys-kernel/$_pn"
	[ -d "$T/era/eclass" ] || cp -R "$DATA/repo/eclass" "$DATA/repo/profiles" "$T/era/"
	cp "$1" "$T/era/sys-kernel/$_pn/"
	echo "$T/era/sys-kernel/$_pn/$(basename "$1")"
}

# For each Manifest and the ebuild it covers (corpus README), the names
# -l prints are exactly the DIST names of that Manifest the ebuild uses.
# The expected names (t/data) were read off the ebuilds by hand; here they
# are also checked to be in the Manifest, so neither side can drift.
# EAPI 8 ebuilds are read in a tree of their era (era_tree).
for pair in \
	gentoo-kernel/gentoo-kernel-7.2.9:Manifest \
	vanilla-kernel/vanilla-kernel-5.10.255:Manifest \
	gentoo-kernel-bin/gentoo-kernel-bin-5.10.255_p3:Manifest \
	gentoo-kernel-bin/gentoo-kernel-bin-5.8.1:Manifest.d862142b; do
	eb=${pair%%:*} man=$(dirname "$eb")/${pair#*:}
	name=$(basename "$eb")
	src=$K/$eb.ebuild
	grep -q '^EAPI=8' "$src" && src=$(era_tree "$src")
	if $MG -l -q "$src" >"$T/list" 2>"$T/err"; then
		awk '{ print $1 }' "$T/list" | sort >"$T/names"
		t_diff "$name: -l names" "$DATA/manifest-gen/$name.names" "$T/names"
		awk '$1 == "DIST" { print $2 }' "$K/$man" | sort >"$T/dist"
		comm -23 "$DATA/manifest-gen/$name.names" "$T/dist" >"$T/extra"
		t_empty "$name: every name is a DIST entry of $man" "$T/extra"
	else
		fail "$name: -l" "$(cat "$T/err")"
	fi
done

# The eclass's global SRC_URI counts: kernel-install's test? qcow2 images.
$MG -l "$K/gentoo-kernel-bin/gentoo-kernel-bin-5.8.1.ebuild" >"$T/list" 2>/dev/null
t_grep "EAPI 7: kernel-install's test? images are listed" '^tinycorelinux-10.1-amd64.qcow2 https://dev.gentoo.org/~mgorny/dist/tinycorelinux-10.1-amd64.qcow2$' "$T/list"
# An eclass that dies at global scope for the ebuild's EAPI makes bash
# fail: refused, naming the eclass, the line of its die and the die.
t_run "EAPI 7 under today's kernel-build: refused" 1 $MG -l "$K/gentoo-kernel/gentoo-kernel-4.19.94.ebuild"
t_out "... naming the eclass:line and its die" "manifest-gen: $CORPUS/eclass/kernel-build.eclass:33: dies at global scope for EAPI 7 of $K/gentoo-kernel/gentoo-kernel-4.19.94.ebuild: die \"\${ECLASS}: EAPI \${EAPI:-0} not supported\"" "$T/err"
t_empty "... and no list" "$T/out"
t_run "EAPI 8 under the EAPI 7-only kernel-install: refused" 1 $MG -l "$K/gentoo-kernel/gentoo-kernel-7.2.9.ebuild"
t_grep "... naming kernel-install.eclass:32" "^manifest-gen: $CORPUS/eclass/kernel-install\.eclass:32: dies at global scope for EAPI 8 of .*gentoo-kernel-7\.2\.9\.ebuild: die \"Unsupported EAPI=" "$T/err"
t_run "a package dir with such an ebuild is refused too" 1 $MG -l "$K/vanilla-kernel"
t_empty "... with no partial list" "$T/out"
# The ebuild's own global EAPI case counts the same way.
mkdir -p "$T/own/sys-kernel/foo" "$T/own/profiles"
printf 'EAPI=7\ncase ${EAPI} in\n\t8) ;;\n\t*) die "EAPI ${EAPI} unsupported" ;;\nesac\nSRC_URI="https://example.invalid/foo-1.tar.xz"\n' >"$T/own/sys-kernel/foo/foo-1.ebuild"
t_run "the ebuild's own EAPI case that dies: refused" 1 $MG -l "$T/own/sys-kernel/foo/foo-1.ebuild"
t_out "... at its die" "manifest-gen: $T/own/sys-kernel/foo/foo-1.ebuild:4: dies at global scope for EAPI 7 of $T/own/sys-kernel/foo/foo-1.ebuild: die \"EAPI \${EAPI} unsupported\"" "$T/err"
sed -i 's/^EAPI=7/EAPI=8/' "$T/own/sys-kernel/foo/foo-1.ebuild"
t_run "... and a branch that does not die passes" 0 $MG -l "$T/own/sys-kernel/foo/foo-1.ebuild"
t_out "... with its list" 'foo-1.tar.xz https://example.invalid/foo-1.tar.xz' "$T/out"
t_run "verify-sig? branch, in its era's tree" 0 $MG -l "$(era_tree "$K/gentoo-kernel/gentoo-kernel-7.2.9.ebuild")"
t_grep "verify-sig? branch: sha256sums.asc renamed" '^linux-7.x-sha256sums-20261003.asc https://cdn.kernel.org/pub/linux/kernel/v7.x/sha256sums.asc$' "$T/out"

# Every ebuild evaluates to a complete list where bash sources it: EAPI 8
# in its era's tree, EAPI 7 -bin with the corpus' EAPI 7 kernel-install;
# the EAPI 7 kernel-build ones are refused at kernel-build's die.
for eb in "$K"/gentoo-kernel/*.ebuild "$K"/vanilla-kernel/*.ebuild "$K"/gentoo-kernel-bin/*.ebuild; do
	src=$eb
	if grep -q '^EAPI=8' "$eb"; then
		src=$(era_tree "$eb")
	elif grep -q '^inherit.* kernel-build' "$eb"; then
		t_run "$(basename "$eb"): refused (EAPI 7, kernel-build)" 1 $MG -l -q "$eb"
		t_grep "$(basename "$eb"): at kernel-build's die" 'kernel-build\.eclass:33: dies at global scope for EAPI 7' "$T/err"
		continue
	fi
	if $MG -l -q "$src" >"$T/out" 2>"$T/err" && [ -s "$T/out" ]; then
		ok "$(basename "$eb"): evaluates"
	else
		fail "$(basename "$eb"): evaluates" "$(cat "$T/err")"
	fi
done
t_run "virtual/dist-kernel: no distfiles" 0 $MG -l "$CORPUS/virtual/dist-kernel"
t_empty "virtual/dist-kernel: empty list" "$T/out"

# gentoo-sources: kernel-2's detect_version computes SRC_URI at global
# scope: a clear error naming the ebuild, line and construct, no list.
t_run "gentoo-sources: refused" 1 $MG -l "$K/gentoo-sources/gentoo-sources-7.2.1.ebuild"
t_out "gentoo-sources: error names file, line, construct" \
	"manifest-gen: $K/gentoo-sources/gentoo-sources-7.2.1.ebuild:11: cannot evaluate SRC_URI: 'detect_version' runs eclass code at global scope that may set it" "$T/err"
t_empty "gentoo-sources: no partial list" "$T/out"
t_run "a package dir with gentoo-sources is refused too" 1 $MG -l "$K/gentoo-sources"
t_empty "... with no partial list" "$T/out"

# Made-up ebuilds in a made-up repository.
R=$T/repo
mkdir -p "$R/eclass" "$R/profiles" "$R/cat/foo"
printf 'gentoo https://m1.example/gentoo https://m2.example/g/\nexample https://ex.example/pub\n' >"$R/profiles/thirdpartymirrors"
mk() {	# mk FILE SRC_URI-VALUE [INHERIT]
	{
		echo 'EAPI=8'
		[ -n "${3:-}" ] && echo "inherit $3"
		echo 'SRC_URI="'"$2"'"'
	} >"$R/cat/foo/$1"
}
mk foo-1.ebuild 'https://a.example/foo-${PV}.tar.gz
	!bindist? ( mirror://example/foo/${P}-extra.tar.xz -> ${P}-x.tar.xz )
	amd64? ( arm64? ( https://a.example/nested-${PV}.bin ) )
	https://b.example/foo-${PV}.tar.gz'
$MG -l "$R/cat/foo/foo-1.ebuild" >"$T/out" 2>"$T/err"
cat >"$T/want" <<EOW
foo-1.tar.gz https://a.example/foo-1.tar.gz https://b.example/foo-1.tar.gz
foo-1-x.tar.xz https://ex.example/pub/foo/foo-1-extra.tar.xz
nested-1.bin https://a.example/nested-1.bin
EOW
t_diff "branches, nesting, rename, thirdpartymirrors, merged URLs" "$T/want" "$T/out"
t_run "-M FILE replaces the tree's mirrors" 0 $MG -l -M "$R/profiles/thirdpartymirrors" "$R/cat/foo/foo-1.ebuild"

rm "$R/profiles/thirdpartymirrors"
mk foo-1.ebuild 'mirror://gentoo/foo-1.tar.gz mirror://kernel/linux/kernel/v6.x/patch-6.6.1.xz'
$MG -l "$R/cat/foo/foo-1.ebuild" >"$T/out" 2>"$T/err"
cat >"$T/want" <<EOW
foo-1.tar.gz https://distfiles.gentoo.org/distfiles/foo-1.tar.gz
patch-6.6.1.xz https://cdn.kernel.org/pub/linux/kernel/v6.x/patch-6.6.1.xz https://www.kernel.org/pub/linux/kernel/v6.x/patch-6.6.1.xz https://mirrors.edge.kernel.org/pub/linux/kernel/v6.x/patch-6.6.1.xz
EOW
t_diff "built-in gentoo and kernel mirrors" "$T/want" "$T/out"

mk foo-1.ebuild 'mirror://nowhere/x.tar.gz'
t_run "unknown mirror" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_grep "unknown mirror: named with file and line" "foo-1.ebuild:2: SRC_URI: unknown mirror 'nowhere'" "$T/err"

printf 'EAPI=8\nSRC_URI="https://a.example/a.tar.gz\n\tamd64? (\n\t\thttps://a.example/b.tar.gz\n"\n' >"$R/cat/foo/foo-1.ebuild"
t_run "unterminated group" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_out "unterminated group: file:line of the '('" "manifest-gen: $R/cat/foo/foo-1.ebuild:3: SRC_URI: unterminated group: '(' has no ')'" "$T/err"
t_empty "unterminated group: no partial list" "$T/out"

mk foo-1.ebuild 'amd64?( https://a.example/a.tar.gz )'
t_run "flag?( without a space" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_grep "... is unknown syntax" "foo-1.ebuild:2: SRC_URI: unknown syntax 'amd64\?\('" "$T/err"
mk foo-1.ebuild 'a$b? ( https://a.example/a.tar.gz )'
t_run "bad USE flag name" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
mk foo-1.ebuild 'https://a.example/a.tar.gz -> '
t_run "dangling ->" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_grep "dangling -> says so" "'->' must be followed by a file name" "$T/err"
mk foo-1.ebuild 'https://a.example/a.tar.gz )'
t_run "stray )" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
mk foo-1.ebuild '|| ( https://a.example/a.tar.gz )'
t_run "|| group" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
mk foo-1.ebuild 'https://a.example/$(uname).tar.gz'
t_run "unevaluable SRC_URI" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_grep "unevaluable SRC_URI names file and line" "foo-1.ebuild:2: cannot evaluate" "$T/err"

# Eclasses: the tree's count, a missing one is an error unless it is
# known never to set SRC_URI.
cat >"$R/eclass/bar.eclass" <<'EOE'
if [[ ! ${_BAR_ECLASS} ]]; then
_BAR_ECLASS=1
case ${EAPI} in
	7|8) ;;
	*) die "${ECLASS}: EAPI ${EAPI:-0} not supported" ;;
esac
inherit toolchain-funcs
BAR_V=2
SRC_URI+=" https://bar.example/bar-${BAR_V}.tar.gz"
fi
EOE
mk foo-1.ebuild '${SRC_URI} https://a.example/a.tar.gz' bar
printf 'EAPI=8\ninherit bar\nSRC_URI+=" https://a.example/a.tar.gz"\n' >"$R/cat/foo/foo-1.ebuild"
$MG -l "$R/cat/foo/foo-1.ebuild" >"$T/out" 2>"$T/err"
printf 'bar-2.tar.gz https://bar.example/bar-2.tar.gz\na.tar.gz https://a.example/a.tar.gz\n' >"$T/want"
t_diff "eclass SRC_URI then the ebuild's +=" "$T/want" "$T/out"
printf 'EAPI=8\ninherit bar\nSRC_URI="https://a.example/a.tar.gz"\n' >"$R/cat/foo/foo-1.ebuild"
$MG -l "$R/cat/foo/foo-1.ebuild" >"$T/out" 2>"$T/err"
t_out "the ebuild's = replaces the eclass's" "a.tar.gz https://a.example/a.tar.gz" "$T/out"
printf 'EAPI=8\ninherit bar nosuch\nSRC_URI="https://a.example/a.tar.gz"\n' >"$R/cat/foo/foo-1.ebuild"
t_run "an eclass the tree lacks" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_out "... is an error naming it" "manifest-gen: $R/cat/foo/foo-1.ebuild:2: inherit nosuch: eclass not found in $(cd "$R" && pwd -P)/eclass: it may set SRC_URI, so the fetch list cannot be known" "$T/err"
printf 'EAPI=8\ninherit bar\n\ninherit toolchain-funcs other\nSRC_URI="https://a.example/a.tar.gz"\n' >"$R/cat/foo/foo-1.ebuild"
t_run "second inherit line, missing eclass" 1 $MG -l "$R/cat/foo/foo-1.ebuild"
t_grep "... named at its own line" "foo-1.ebuild:4: inherit other: eclass not found" "$T/err"
