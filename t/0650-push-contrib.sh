#!/bin/sh
# contrib/Makefile's kup and rsync targets for real: make kup through
# kup:// to Debian's kup-server behind the loopback sshd (KUP_HOST as kup
# has it, or from ~/.kuprc), make rsync pulling from an ssh:// build host
# named in a localconfig.bash that only bash can read. Licence:
# GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/sshd.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/kup.sh"

mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }
MK=$DK_TOP/contrib/Makefile
unset BINPKGROOT DISTCACHE DOCKER_HOST BINPKG_DOCKER DK_CONFIG KUP_URL KUP_KEY KUP_HOST RSYNC_RSH SSH_AUTH_SOCK
export HOME="$T/home" XDG_CONFIG_HOME="$T/xdg"
mkdir -p "$HOME"
bp=$T/binpkg-docker
mkdir -p "$bp"
cd "$bp" || exit 1
BINPKGROOT=$T/binpkg
export BINPKGROOT
pkg() {	# pkg ROOT ARCH PF: a package where dk-build leaves it
	mkdir -p "$1/$2/kernel/sys-kernel/gentoo-kernel"
	sh "$DK_TOP/t/mkgpkg.sh" "$1/$2/kernel/sys-kernel/gentoo-kernel/$3-1.gpkg.tar" "sys-kernel/$3"
}
pkg "$BINPKGROOT" amd64 gentoo-kernel-6.6.31
pkg "$BINPKGROOT" arm64 gentoo-kernel-6.6.31

# What make kup runs: kup:// from KUP_HOST, or from ~/.kuprc.
k=$BINPKGROOT/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
k2=$BINPKGROOT/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
mk -f "$MK" -n kup KUP_HOST=me@up.example.invalid 2>&1 | grep '^dk-push' >"$T/n"
t_out make-n-kup-host "dk-push -S -d 'kup://me@up.example.invalid/pub/proj/dist-kernel/binpkg/{arch}/{series}' $k $k2" "$T/n"
printf '[default]\nhost = me@kuprc.example.invalid\n' >"$HOME/.kuprc"
mk -f "$MK" -n kup 2>&1 | grep '^dk-push' >"$T/n"
t_out make-n-kup-kuprc "dk-push -S -d 'kup://me@kuprc.example.invalid/pub/proj/dist-kernel/binpkg/{arch}/{series}' $k $k2" "$T/n"
rm "$HOME/.kuprc"
t_run make-kup-no-host 2 mk -f "$MK" -s kup
t_grep make-kup-no-host-msg '^make kup: set KUP_URL or KUP_HOST' "$T/err"

if ! gpg_setup 2>"$T/gpg.err"; then
	skip "make kup" "$(cat "$T/gpg.err")"
	exit 0
fi
if ! kup_start 2>"$T/kup.err"; then
	skip "make kup" "$(cat "$T/kup.err")"
	exit 0
fi
H=$SSH_USER@127.0.0.1:$SSHD_PORT
F="-q -i $KUP_KEY -H $SSH_KNOWN_HOSTS"
t_run make-kup 0 mk -f "$MK" -s kup KUP_HOST="$H" KUP_KEY="$GPG_KEYID" DK_PUSH_FLAGS="$F"
R=$KUP_PUB/pub/proj/dist-kernel/binpkg
t_out make-kup-lines "gentoo-kernel-6.6.31-1.amd64.gpkg.tar kup://$H/pub/proj/dist-kernel/binpkg/amd64/6.6/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
gentoo-kernel-6.6.31-1.arm64.gpkg.tar kup://$H/pub/proj/dist-kernel/binpkg/arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar" "$T/out"
t_run make-kup-landed 0 cmp "$k2" "$R/arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
t_run make-kup-signed 0 gpgv --keyring "$GPG_KEYRING" "$R/arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar.sign" "$R/arm64/6.6/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
find "$KUP_PUB" -type f -exec touch -d @1000000000 {} +
t_run make-kup-again 0 mk -f "$MK" -s kup KUP_HOST="$H" KUP_KEY="$GPG_KEYID" DK_PUSH_FLAGS="$F"
t_eq make-kup-again-nothing-sent "" "$(find "$KUP_PUB" -type f -newermt @1000000001)"

# make rsync: the arm64 build host's ~/binpkg (here REMOTE) comes into
# BINPKGROOT. localconfig.bash uses bash syntax, as build.bash allowed.
if ! command -v rsync >/dev/null; then
	skip "make rsync" "rsync not installed (apt-get install rsync)"
	exit 0
fi
REMOTE=$T/remote-binpkg
pkg "$REMOTE" arm64 gentoo-kernel-6.1.90
cat >localconfig.bash <<EOF
declare -A hosts=([arm64]=ssh://$SSH_USER@127.0.0.1:$SSHD_PORT)
[[ -n \${hosts[arm64]} ]] && DOCKER_HOST_ARM64=\${hosts[arm64]}
EOF
t_run make-rsync 0 env RSYNC_RSH="ssh -F $SSH_CONFIG" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f "$MK" rsync RSYNC_PATH="$REMOTE"
t_grep make-rsync-said "^rsync $SSH_USER@127.0.0.1:$REMOTE/. $BINPKGROOT/$" "$T/out"
t_run make-rsync-pulled 0 cmp "$REMOTE/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.1.90-1.gpkg.tar" \
	"$BINPKGROOT/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.1.90-1.gpkg.tar"
t_run make-rsync-kept 0 test -f "$k"
