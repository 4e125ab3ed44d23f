#!/bin/sh
# t/0910-contrib.sh: contrib/Makefile (binpkg-docker's targets on dk-build
# and dk-push) and the bash completion.
# Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/gpg.sh"

# A make of our own, whatever make runs this test.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }
MK=$DK_TOP/contrib/Makefile
export XDG_CONFIG_HOME="$T/xdg"
unset BINPKGROOT DISTCACHE DOCKER_HOST BINPKG_DOCKER DK_CONFIG KUP_URL KUP_KEY
bp=$T/binpkg-docker
mkdir -p "$bp"
cd "$bp" || exit 1

# --- what each target runs (make -n) ---
mk -f "$MK" -n amd64-gentoo-kernel-6.6 >"$T/n" 2>&1
t_out make-n-kernel 'dk-build amd64-gentoo-kernel-6.6
:' "$T/n"

# Several goals are one dk-build run, so the arches build at once.
mk -f "$MK" -n DK_BUILD_FLAGS='-j 2 -r 3' amd64-gentoo-kernel-6.6 arm64-vanilla-kernel-6.1 >"$T/n" 2>&1
t_out make-n-kernels-one-run 'dk-build -j 2 -r 3 amd64-gentoo-kernel-6.6 arm64-vanilla-kernel-6.1
:
:' "$T/n"

mk -f "$MK" -n build-amd64-kernel-deps >"$T/n" 2>&1
t_out make-n-deps 'dk-build build-amd64-kernel-deps
:' "$T/n"

mk -f "$MK" -n status prune prune-all >"$T/n" 2>&1
t_out make-n-status-prune 'dk-build status
dk-build prune
dk-build -a prune' "$T/n"

mk -f "$MK" -n DK_CONFIG=/etc/dk.yaml status x86-gentoo-kernel-5.15 >"$T/n" 2>&1
t_out make-n-config "dk-build -c '/etc/dk.yaml' status
dk-build -c '/etc/dk.yaml' x86-gentoo-kernel-5.15
:" "$T/n"

# binpkg-docker's localconfig.bash sets the environment of every command.
printf 'DOCKER_HOST_ARM64=ssh://builder.example.invalid\n' >localconfig.bash
mk -f "$MK" -n arm64-gentoo-kernel-6.6 >"$T/n" 2>&1
t_out make-n-localconfig "bash -c 'set -a && . ./localconfig.bash && set +a && exec \"\$@\"' localconfig.bash dk-build arm64-gentoo-kernel-6.6
:" "$T/n"
rm localconfig.bash

mk -f "$MK" >"$T/n" 2>&1
t_grep make-help '^usage: make ARCH-PKG-SERIES' "$T/n"

# --- kup and rsync, for real, into file:// destinations ---
# A failed recipe is make's exit 2, the message says which.
t_run kup-needs-url 2 mk -f "$MK" -s kup
t_grep kup-needs-url-msg '^make kup: set KUP_URL' "$T/err"

BINPKGROOT=$T/binpkg
export BINPKGROOT
t_run kup-no-packages 2 mk -f "$MK" -s kup KUP_URL="file://$T/pub"
t_grep kup-no-packages-msg "^make kup: no gentoo-kernel package under $T/binpkg/" "$T/err"

pkg() {	# pkg ARCH PN PF: a package where dk-build leaves it
	mkdir -p "$BINPKGROOT/$1/kernel/sys-kernel/$2"
	sh "$DK_TOP/t/mkgpkg.sh" "$BINPKGROOT/$1/kernel/sys-kernel/$2/$3-1.gpkg.tar" "sys-kernel/$3"
}
pkg amd64 gentoo-kernel gentoo-kernel-6.6.31
pkg arm64 gentoo-kernel gentoo-kernel-6.6.31
pkg amd64 gentoo-kernel gentoo-kernel-6.1.90
pkg amd64 vanilla-kernel vanilla-kernel-6.6.31

mk -f "$MK" -n kup KUP_URL='sftp://up.example.invalid/pub/{arch}/{series}' KUP_KEY=0x1234 >"$T/n" 2>&1
k=$BINPKGROOT/amd64/kernel/sys-kernel/gentoo-kernel
grep '^dk-push' "$T/n" >"$T/n2"
t_out make-n-kup "dk-push -S -u '0x1234' -d 'sftp://up.example.invalid/pub/{arch}/{series}' \
$k/gentoo-kernel-6.1.90-1.gpkg.tar $k/gentoo-kernel-6.6.31-1.gpkg.tar \
$BINPKGROOT/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar" "$T/n2"

if gpg_setup; then
	pub=$T/pub
	t_run kup-file "0" mk -f "$MK" -s kup KUP_URL="file://$pub/{arch}/{series}" KUP_KEY="$GPG_KEYID" DK_PUSH_FLAGS=-q
	t_out kup-fetch-list "gentoo-kernel-6.1.90-1.amd64.gpkg.tar file://$pub/amd64/6.1/gentoo-kernel-6.1.90-1.amd64.gpkg.tar
gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$pub/amd64/6.6/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
gentoo-kernel-6.6.31-1.arm64.gpkg.tar file://$pub/arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar" "$T/out"
	(cd "$pub" && find . -type f | sort) >"$T/n"
	t_out kup-tree './amd64/6.1/gentoo-kernel-6.1.90-1.amd64.gpkg.tar
./amd64/6.1/gentoo-kernel-6.1.90-1.amd64.gpkg.tar.sig
./amd64/6.6/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
./amd64/6.6/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.sig
./arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar
./arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar.sig' "$T/n"
	f=$pub/arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar
	t_run kup-signature-verifies 0 gpgv --keyring "$GPG_KEYRING" "$f.sig" "$f"
	if cmp -s "$f" "$BINPKGROOT/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar"; then
		ok kup-same-bytes
	else
		fail kup-same-bytes "$f differs from its package"
	fi
else
	skip kup-file "gpg cannot make a throw-away key"
fi

# rsync pulls from ssh:// build hosts only (t/0650 does it for real):
# with none, it says why there is nothing to do.
t_run rsync-no-hosts 0 mk -f "$MK" -s rsync
t_grep rsync-no-hosts-msg '^make rsync: dk-build already collected its packages into ' "$T/err"

# The environment reaches dk-build: a DOCKER_HOST nobody answers on.
if [ -x "$DK_BIN/dk-build" ]; then
	t_run status-docker-host 2 env DOCKER_HOST="unix://$T/none.sock" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f "$MK" status
	t_grep status-docker-host-msg "^dk-build: unix://$T/none\.sock: " "$T/err"
	t_run bad-target 2 mk -s -f "$MK" amd64-nokernel-6.6
	t_grep bad-target-msg "^dk-build: unknown target 'amd64-nokernel-6.6'" "$T/err"
else
	skip status-docker-host "dk-build is not built in this tree"
fi

# --- bash completion ---
# (the scripts' --help gives their long options: on PATH as installed)
mkdir -p "$T/dkbin"
ln -s "$DK_TOP/contrib/bump-kernels" "$T/dkbin/dk-bump-kernels"
PATH=$DK_TOP/contrib:$T/dkbin:$PATH
repo=$T/gentoo
cp -R "$DATA/repo" "$repo"
git -C "$repo" init -q -b master
git -C "$repo" -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m init
git -C "$repo" branch -q origin-snapshot
comp=$DK_TOP/contrib/completion/dk.bash
cat >"$T/comp.bash" <<EOF
. "\$comp"
# c WORD...: the candidates for the last word (word CW if set), sorted.
c() { COMP_WORDS=("\$@"); COMP_CWORD=\${CW:-\$((\$# - 1))}; COMPREPLY=(); _dk; printf '%s\n' "\${COMPREPLY[@]}" | sort; }
EOF
# cmp NAME DIR 'EXPECTED' WORD...: completes in DIR.
cmp_c() {
	_n=$1 _d=$2 _w=$3
	shift 3
	(cd "$_d" && CW=${CW:-} comp=$comp bash -c '. "$0"; c "$@"' "$T/comp.bash" "$@") >"$T/c" 2>&1
	t_out "$_n" "$_w" "$T/c"
}
cmp_c comp-dk-build-series "$repo/sys-kernel" 'amd64-gentoo-kernel-6.18
amd64-gentoo-kernel-7.2' dk-build amd64-g
cmp_c comp-dk-build-x86 "$repo" 'x86-gentoo-kernel-6.18
x86-gentoo-kernel-7.2
x86-vanilla-kernel-6.18
x86-vanilla-kernel-7.2' dk-build -j 2 x86
cmp_c comp-dk-build-words "$repo" 'build-amd64-kernel-deps
build-arm64-kernel-deps
build-ppc64le-kernel-deps
build-x86-kernel-deps' dk-build -q b
cmp_c comp-dk-build-status "$repo" 'status' dk-build -c x.yaml s
cmp_c comp-dk-build-after-prune "$repo" '' dk-build prune ''
cmp_c comp-dk-build-outside "$T" 'ppc64le-gentoo-kernel-
ppc64le-vanilla-kernel-
prune' dk-build p
cmp_c comp-dk-build-opts "$repo" '-L
-R
-T
-V
-a
-c
-d
-h
-j
-k
-n
-q
-r' dk-build -
cmp_c comp-dk-push-opts "$repo" '-C
-H
-K
-S
-V
-a
-d
-f
-h
-i
-j
-k
-n
-q
-t
-u' dk-push -S -
cmp_c comp-dk-push-long "$repo" '--verify-sig' dk-push --veri
cmp_c comp-dk-push-kup "$repo" 'kup://' dk-push -d ku
cmp_c comp-dk-push-arch "$repo" 'arm64' dk-push -a ar
cmp_c comp-ebuild-copy-pkgdir "$repo" 'sys-kernel/gentoo-kernel
sys-kernel/gentoo-kernel-bin' ebuild-copy sys-kernel/gentoo
cmp_c comp-ebuild-copy-old "$repo" '6.18.1
7.2.9' ebuild-copy -f sys-kernel/gentoo-kernel ''
cmp_c comp-ebuild-copy-old-here "$repo/sys-kernel/vanilla-kernel" '7.2.9' ebuild-copy -k keep . 7
cmp_c comp-ebuild-copy-new "$repo" '7.2.10' ebuild-copy sys-kernel/gentoo-kernel 7.2.9 ''
cmp_c comp-ebuild-copy-k "$repo" 'keep
testing' ebuild-copy -k ''
cmp_c comp-bump-kernels-old "$repo/sys-kernel/gentoo-kernel" '6.18.1
7.2.9' bump-kernels -n ''
cmp_c comp-bump-kernels-new "$repo" '6.18.2' bump-kernels --set CONFIG_VER=1 6.18.1 ''
cmp_c comp-bump-kernels-long "$repo" '6.18.2' bump-kernels --set=CONFIG_VER=1 --mirror http://m -k PATCHSET 6.18.1 ''
cmp_c comp-bump-kernels-longs "$repo" '--keep-pin
--keyring' bump-kernels --ke
cmp_c comp-bump-kernels-pair2 "$repo" '6.18.1' bump-kernels 7.2.9 7.2.10 6
cmp_c comp-bump-kernels-bin "$repo" '7.2.9' bump-kernels-bin -d /tmp ''
cmp_c comp-dk-bump-kernels "$repo" '6.18.2' dk-bump-kernels -k PATCHSET 6.18.1 ''
cmp_c comp-bump-kernels-opts "$repo" '-F
-K
-S
-V
-d
-e
-h
-k
-n' bump-kernels -
cmp_c comp-dk-releases-opts "$repo" '-C
-V
-a
-h
-p
-q
-u' dk-releases -
cmp_c comp-dk-releases-pkg "$repo" 'sys-kernel/vanilla-kernel' dk-releases -p sys-kernel/v
cmp_c comp-diff-export-base "$repo" 'origin-snapshot' diff-export -b orig
cmp_c comp-diff-export-cat "$repo" 'sys-kernel/' diff-export -p sys-k
cmp_c comp-diff-export-pkg "$repo" 'sys-kernel/gentoo-kernel
sys-kernel/gentoo-kernel-bin' diff-export -p sys-kernel/gentoo
cmp_c comp-setvar-names "$repo/sys-kernel/gentoo-kernel" 'CONFIG_VER=' ebuild-setvar -i gentoo-kernel-7.2.9.ebuild CONFIG_V
CW=2
cmp_c comp-setvar-get "$repo/sys-kernel/gentoo-kernel" 'SHA256SUM_DATE' ebuild-setvar -g SHA gentoo-kernel-7.2.9.ebuild
CW=
cmp_c comp-setvar-file "$repo/sys-kernel/gentoo-kernel" 'gentoo-kernel-7.2.9.ebuild' ebuild-setvar -ifoo -e X gentoo-kernel-7
cmp_c comp-manifest-gen "$repo" 'sys-kernel/gentoo-kernel-bin/gentoo-kernel-bin-7.2.9.ebuild' manifest-gen -d /tmp sys-kernel/gentoo-kernel-bin/g
cmp_c comp-keygen-type "$repo" 'ec' dk-keygen -b 4096 -t e
cmp_c comp-optarg-glued "$repo" 'sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild' manifest-gen -j4 sys-kernel/gentoo-kernel/gentoo-kernel-7
# long options, from each program's --help
cmp_c comp-long-name "$repo" '--keywords' ebuild-copy --key
cmp_c comp-long-arg "$repo" 'keep
testing' ebuild-copy --keywords ''
cmp_c comp-long-eq "$repo" '--keywords=keep' ebuild-copy --keywords=k
cmp_c comp-long-then-operand "$repo" '6.18.1
7.2.9' ebuild-copy --keywords keep --force sys-kernel/gentoo-kernel ''
cmp_c comp-long-in-place "$repo/sys-kernel/gentoo-kernel" 'CONFIG_VER=' ebuild-setvar --in-place=gentoo-kernel-7.2.9.ebuild CONFIG_V
cmp_c comp-long-only "$repo" '--mirror' manifest-gen --mir

t_run comp-shellcheck 0 shellcheck -s bash "$DK_TOP/contrib/completion/dk.bash"
t_run test-shellcheck 0 shellcheck -e SC1091 "$DK_TOP/t/0910-contrib.sh"
# Loaded the way bash-completion loads it: no error, every name complete.
bash -c '. "$1" && complete -p' sh "$DK_TOP/contrib/completion/dk.bash" 2>&1 | sort >"$T/c"
t_out comp-registered 'complete -F _dk bump-kernels
complete -F _dk bump-kernels-bin
complete -F _dk diff-export
complete -F _dk dk-build
complete -F _dk dk-bump-kernels
complete -F _dk dk-bump-kernels-bin
complete -F _dk dk-keygen
complete -F _dk dk-push
complete -F _dk dk-releases
complete -F _dk ebuild-copy
complete -F _dk ebuild-setvar
complete -F _dk manifest-gen' "$T/c"

# --- the scripts' -h is their man page's SYNOPSIS ---
for s in bump-kernels bump-kernels-bin; do
	"$DK_TOP/contrib/$s" -h | sed '/^$/,$d' | sed "s/^usage: $s //" >"$T/h"
	mandoc -Tutf8 -O width=1000 "$DK_TOP/man/dk-$s.1" | col -b | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
		sed '1d;$d' | sed '/^$/d' | sed "s/^ *dk-$s //" >"$T/m"
	t_diff "$s -h == SYNOPSIS of dk-$s(1)" "$T/m" "$T/h"
	t_run "dk-$s(1) lints clean" 0 mandoc -Tlint -W warning "$DK_TOP/man/dk-$s.1"
	t_run "$s -V" 0 "$DK_TOP/contrib/$s" -V
	t_grep "$s -V: the suite's version" "^$s \(dk\) [0-9]+\.[0-9]+\.[0-9]+$" "$T/out"
	t_run "$s without pairs: usage" 2 "$DK_TOP/contrib/$s"
	t_grep "$s without pairs: usage on stderr" "^usage: $s " "$T/err"
	t_run "$s: an odd operand count: usage" 2 "$DK_TOP/contrib/$s" 7.2.9
	t_run "$s: an unknown option: usage" 2 "$DK_TOP/contrib/$s" --nope 7.2.9 7.2.10
	t_grep "$s: names it" "^$s: unknown option --nope$" "$T/err"
	t_run "$s: --set without =: usage" 2 "$DK_TOP/contrib/$s" --set CONFIG_VER 7.2.9 7.2.10
done

# make install and uninstall: t/0930-install.sh
