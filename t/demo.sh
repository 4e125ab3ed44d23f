#!/bin/sh
# make demo: the whole bump of the bundled sample tree, on loopback only,
# shown step by step as a maintainer runs it. Licence: GPL-2.0-only.
#   t/demo.sh [BUILD]   (BUILD: the build prefix, default ".")
DK_TOP=$(cd "$(dirname "$0")/.." && pwd)
DK_BIN=$DK_TOP/${1:-.}/cmd
export DK_TOP DK_BIN
. "$DK_TOP/t/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/sample.sh"
[ -f "$DK_TOP/t/lib/dockerd.sh" ] && . "$DK_TOP/t/lib/dockerd.sh"
PATH=$DK_TOP/contrib:$PATH
set -e

step() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
start=$(date +%s)

step "A gentoo.git checkout with an origin, distfiles on a loopback mirror"
sample_init "$T/demo"
echo "tree:    $SAMPLE/gentoo (origin: $SAMPLE/origin.git)"
echo "mirror:  $NGINX_URL/distfiles"
echo "DISTDIR: $DISTDIR"
echo "kernel.org key (throw-away): $GPG_KEYRING"

step "Upstream releases 7.2.10 and 6.18.2 (stand-ins) appear on the mirror"
sample_standins sys-kernel/gentoo-kernel 7.2.9 7.2.10 6.18.1 6.18.2
sample_standins sys-kernel/vanilla-kernel 7.2.9 7.2.10 6.18.1 6.18.2
ls "$SAMPLE/www/distfiles" | grep -E '7\.2\.10|6\.18\.2|sha256sums-'"$(date -u +%Y%m%d)"

cd "$SAMPLE/gentoo"
BINPKG_DOCKER=$SAMPLE/binpkg-docker
export BINPKG_DOCKER
step "What is due: kernel.org's releases.json (a stand-in on the mirror) against the tree"
sed -e 's/"7\.2\.11"/"7.2.10"/' -e 's/"6\.18\.3"/"6.18.2"/' "$DK_TOP/t/data/releases/kernel.org.json" >"$SAMPLE/www/releases.json"
show dk-releases -u "$NGINX_URL/releases.json"

step "Bump: every check first; pins still naming the old version stop it"
show bump-kernels -n -K "$GPG_KEYRING" --mirror "$NGINX_URL" 6.18.1 6.18.2 || true
step "Bump: copy, set variables, Manifests (signature checked), commit, local.diff"
echo "(the pins are kept on purpose: -k PATCHSET -k CONFIG_VER)"
printf '$ dk-releases -q -u %s | xargs bump-kernels -K %s --mirror %s -k PATCHSET -k CONFIG_VER\n' \
	"$NGINX_URL/releases.json" "$GPG_KEYRING" "$NGINX_URL"
dk-releases -q -u "$NGINX_URL/releases.json" |
	xargs bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" -k PATCHSET -k CONFIG_VER
step "The same command again: what is committed is skipped"
show bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" -k PATCHSET -k CONFIG_VER 6.18.1 6.18.2 7.2.9 7.2.10
show git log --oneline origin/HEAD..HEAD
show manifest-gen -c sys-kernel/gentoo-kernel
show diff-export -s -b origin

BINPKG=$SAMPLE/binpkg DK_ARCHES=amd64
export BINPKG DK_ARCHES
pkg=$BINPKG/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-1.gpkg.tar
step "Build: gentoo-kernel 7.2 for amd64 on a local Docker engine"
if command -v dockerd_start >/dev/null && [ -x "$DK_BIN/dk-build" ] &&
    sample_engine sys-kernel/gentoo-kernel-7.2.10 2>"$T/engine.err"; then
	echo "engine: unix://$DOCKERD_SOCK (private dockerd; a busybox stage whose emerge stands in for portage)"
	show dk-build -q -c "$SAMPLE_CONFIG" -d "$BINPKG_DOCKER/local.diff" amd64-gentoo-kernel-7.2
else
	echo "skipped: no Docker engine could be started here: $(tail -n 1 "$T/engine.err" 2>/dev/null)"
	echo "a package in the real GLEP 78 format stands in for the build"
	mkdir -p "$(dirname "$pkg")"
	sh "$DK_TOP/t/mkgpkg.sh" "$pkg" sys-kernel/gentoo-kernel-7.2.10
fi
show ls -l "$(dirname "$pkg")"

step "Publish into DISTDIR and bump gentoo-kernel-bin"
show bump-kernels-bin -d "$DISTDIR" -K "$GPG_KEYRING" --mirror "$NGINX_URL" 7.2.9 7.2.10
show grep gentoo-kernel-7.2.10 sys-kernel/gentoo-kernel-bin/Manifest

step "Done in $(($(date +%s) - start)) s"
show git log --oneline
show find "$BINPKG" -name '*.gpkg.tar'
show ls "$DISTDIR"
