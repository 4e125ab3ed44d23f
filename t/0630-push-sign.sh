#!/bin/sh
# dk-push -S (gpg --detach-sign, NAME.sig uploaded beside the file; -s
# its deprecated spelling) and --verify-sig (existing PATH.sig verified
# with gpgv, the keyring named absolutely), with a real throw-away key.
# Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/gpg.sh"
MK=$DK_TOP/t/mkgpkg.sh

if ! gpg_setup 2>"$T/gpg.err"; then
	skip "signatures" "$(cat "$T/gpg.err")"
	exit 0
fi

B=$T/binpkg
mkdir -p "$B/amd64/kernel/sys-kernel/gentoo-kernel"
P=$B/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
"$MK" "$P" sys-kernel/gentoo-kernel-6.6.31
N=gentoo-kernel-6.6.31-1.amd64.gpkg.tar
D=$T/pub/amd64/6.6

mkdir -p "$T/tmp"
t_run "-S signs and uploads both" 0 env TMPDIR="$T/tmp" dk-push -S -u "$GPG_KEYID" -d "file://$T/pub/{arch}/{series}" "$P"
t_out "-s: one fetch-list line, for the package" "$N file://$D/$N" "$T/out"
t_run "-s: the signature verifies" 0 gpgv --keyring "$GPG_KEYRING" "$D/$N.sig" "$D/$N"
t_eq "-s: nothing else there" "$N $N.sig" "$(ls "$D" | tr '\n' ' ' | sed 's/ $//')"
t_eq "-s: no signature left beside the package" "" "$(find "$B/amd64/kernel/sys-kernel/gentoo-kernel" -name '*.sig')"
t_eq "-s: no temporary directory left" "" "$(ls -A "$T/tmp")"

t_run "-S with an unknown key" 1 dk-push -S -u 0000000000000000DEADBEEF00000000DEADBEEF -d "file://$T/nokey" "$P"
t_grep "-S unknown key: the message" "^dk-push: $P: gpg --detach-sign failed: " "$T/err"
t_eq "-S unknown key: nothing uploaded" "" "$(ls -d "$T/nokey" 2>/dev/null)"

# --verify-sig: the builder signed; dk-push checks and publishes the signature.
gpg --batch --quiet --yes --detach-sign -o "$P.sig" "$P"
t_run "--verify-sig verifies PATH.sig" 0 dk-push --verify-sig -K "$GPG_KEYRING" -d "file://$T/s" "$P"
t_run "-S: the signature went along" 0 cmp "$P.sig" "$T/s/$N.sig"
t_run "-S: gpgv agrees at the destination" 0 gpgv --keyring "$GPG_KEYRING" "$T/s/$N.sig" "$T/s/$N"

# A signature of something else is refused, and nothing leaves.
echo other >"$T/other"
gpg --batch --quiet --yes --detach-sign -o "$P.sig" "$T/other"
t_run "-S: a bad signature" 1 dk-push --verify-sig -K "$GPG_KEYRING" -d "file://$T/bad" "$P"
t_grep "--verify-sig bad signature: the message" "^dk-push: $P.sig: gpgv failed: .*BAD signature" "$T/err"
t_eq "--verify-sig bad signature: nothing uploaded" "" "$(ls -d "$T/bad" 2>/dev/null)"
rm "$P.sig"
t_run "-S: no signature" 1 dk-push --verify-sig -K "$GPG_KEYRING" -d "file://$T/bad" "$P"
t_out "--verify-sig no signature: the message" "dk-push: $P.sig: cannot verify: No such file or directory" "$T/err"

# A package whose inner Manifest is clear-signed (FEATURES=binpkg-signing).
mkdir -p "$T/signed/amd64/kernel/sys-kernel/gentoo-kernel"
S=$T/signed/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.32-1.gpkg.tar
MKGPKG_SIGN=$GPG_KEYID "$MK" "$S" sys-kernel/gentoo-kernel-6.6.32
t_run "a clear-signed inner Manifest is read" 0 dk-push -d "file://$T/signed-out" "$S"
t_out "clear-signed: listed" "gentoo-kernel-6.6.32-1.amd64.gpkg.tar file://$T/signed-out/gentoo-kernel-6.6.32-1.amd64.gpkg.tar" "$T/out"
MKGPKG_SIGN=$GPG_KEYID MKGPKG_BREAK=wrong-hash "$MK" "$S" sys-kernel/gentoo-kernel-6.6.32
t_run "clear-signed, wrong hash" 1 dk-push -d "file://$T/signed-out" "$S"
t_out "clear-signed, wrong hash: the message" "dk-push: $S: member gentoo-kernel-6.6.32-1/image.tar.xz: SHA512 does not match the Manifest" "$T/err"
