#!/bin/sh
# manifest-gen -u on a real package (corpus): entries kept byte for byte,
# unused ones dropped; a bump whose kernel.org sha256sums.asc is signed by
# a throw-away key (real gpg, real gpgv), tampered tarball and signature.
. "$(dirname "$0")/lib.sh"
need_corpus "manifest-gen -u and signature corpus tests"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/manifest.sh"

R=$T/repo P=$T/repo/sys-kernel/gentoo-kernel D=$T/dist
mkdir -p "$R/sys-kernel" "$P" "$D"
# EAPI 8 ebuilds need eclasses of their era: the corpus' kernel-install
# is EAPI 7 only (bash would die), t/data/repo's stand-ins are today's.
cp -R "$DATA/repo/eclass" "$R/eclass"
CM=$CORPUS/sys-kernel/gentoo-kernel/Manifest
cp "$CORPUS/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild" "$P/"
grep -F -f "$DATA/manifest-gen/gentoo-kernel-7.2.9.names" "$CM" >"$T/used"
t_eq "the 7.2.9 subset of the corpus Manifest" 7 "$(wc -l <"$T/used")"

# Entries of files not in DISTDIR stand as they are (portage's rule).
cp "$T/used" "$P/Manifest"
t_run "-u, nothing to fetch" 0 manifest-gen -q -u -d "$D" "$P"
t_run "-u keeps every corpus line byte for byte" 0 cmp "$T/used" "$P/Manifest"
ino=$(stat -c %i "$P/Manifest")
manifest-gen -q -u -d "$D" "$P"
t_eq "-u with nothing to change leaves the file alone" "$ino" "$(stat -c %i "$P/Manifest")"
cp "$CM" "$P/Manifest"
t_run "-u on the whole corpus Manifest" 0 manifest-gen -q -u -d "$D" "$P/gentoo-kernel-7.2.9.ebuild"
t_run "-u drops entries no ebuild uses, keeps the rest byte for byte" 0 cmp "$T/used" "$P/Manifest"
t_run "stdout form" 0 manifest-gen -q -d "$D" "$P"
t_diff "stdout form: the same lines" "$T/used" "$T/out"

if ! gpg_setup 2>"$T/gpg.err"; then
	skip "signature tests" "$(cat "$T/gpg.err")"
	exit 0
fi
W=$T/www
mkdir -p "$W"
if ! nginx_start "$W" 2>"$T/nginx.err"; then
	skip "signature tests" "$(cat "$T/nginx.err")"
	exit 0
fi
# The bump: 7.2.10 with a new SHA256SUM_DATE; its two new distfiles come
# from a mirror on loopback (-m), as GENTOO_MIRRORS would give them.
sed 's/^SHA256SUM_DATE=.*/SHA256SUM_DATE=20261010/' "$P/gentoo-kernel-7.2.9.ebuild" >"$P/gentoo-kernel-7.2.10.ebuild"
mirror() {	# mirror FILE: serves FILE under the mirror's filename-hash layout
	_h=$(printf %s "$(basename "$1")" | b2sum | cut -c1-2)
	mkdir -p "$W/distfiles/$_h"
	cp "$1" "$W/distfiles/$_h/"
}
mkfile "$T/patch-7.2.10.xz" 200
{
	echo "0000000000000000000000000000000000000000000000000000000000000000  linux-7.2.tar.xz"
	echo "$(sha256sum "$T/patch-7.2.10.xz" | cut -d' ' -f1)  patch-7.2.10.xz"
} >"$T/sha256sums"
gpg --batch --quiet --clearsign -o "$T/linux-7.x-sha256sums-20261010.asc" "$T/sha256sums"
mirror "$T/patch-7.2.10.xz"
mirror "$T/linux-7.x-sha256sums-20261010.asc"
{
	cat "$T/used"
	dist_line "$T/patch-7.2.10.xz"
	dist_line "$T/linux-7.x-sha256sums-20261010.asc"
} | sort -k2,2 >"$T/bumped"
cp "$P/Manifest" "$T/Manifest.before"

bump() { (manifest-gen -u -q -d "$D" --mirror "$NGINX_URL" "$@" "$P") >"$T/out" 2>"$T/err"; }

# Tampered signature: the signed text altered after signing.
sed 's/linux-7.2.tar.xz/linux-7.3.tar.xz/' "$T/linux-7.x-sha256sums-20261010.asc" >"$T/bad.asc"
cp "$T/bad.asc" "$W/distfiles/$(printf %s linux-7.x-sha256sums-20261010.asc | b2sum | cut -c1-2)/linux-7.x-sha256sums-20261010.asc"
bump -K "$GPG_KEYRING"
t_eq "tampered signature: exit 1" 1 "$?"
t_grep "tampered signature: gpgv's verdict on the named file" "^manifest-gen: $D/linux-7.x-sha256sums-20261010.asc: signature check failed: .*BAD signature" "$T/err"
t_run "tampered signature: Manifest untouched" 0 cmp "$T/Manifest.before" "$P/Manifest"
bump --no-verify-sig -K "$GPG_KEYRING"
t_eq "--no-verify-sig: no signature check, exit 0" 0 "$?"
t_grep "--no-verify-sig: says so" "signature checks skipped \(--no-verify-sig\)" "$T/err"
cp "$T/Manifest.before" "$P/Manifest"
bump -S -K "$GPG_KEYRING"
t_eq "-S, the old spelling: still skips the checks" 0 "$?"
t_grep "-S: a deprecation note" "^manifest-gen: -S is deprecated: use --no-verify-sig$" "$T/err"
cp "$T/Manifest.before" "$P/Manifest"
rm -f "$D"/*
mirror "$T/linux-7.x-sha256sums-20261010.asc"

# Tampered tarball: the mirror's patch differs from the signed SHA256.
cp "$T/patch-7.2.10.xz" "$T/good.xz"
# (the file is random: a byte it has not, or 1 run in 256 changes nothing)
b=X; [ "$(dd if="$T/patch-7.2.10.xz" bs=1 skip=100 count=1 2>/dev/null)" = X ] && b=Y
printf %s "$b" | dd of="$T/patch-7.2.10.xz" bs=1 seek=100 conv=notrunc 2>/dev/null
mirror "$T/patch-7.2.10.xz"
bump -K "$GPG_KEYRING"
t_eq "tampered tarball: exit 1" 1 "$?"
grep -v 'no Manifest written' "$T/err" >"$T/err.1"
t_out "tampered tarball: one line naming the file" "manifest-gen: $D/patch-7.2.10.xz: SHA256 differs from patch-7.2.10.xz in the signed linux-7.x-sha256sums-20261010.asc: removed" "$T/err.1"
t_run "tampered tarball: Manifest untouched" 0 cmp "$T/Manifest.before" "$P/Manifest"
t_run "tampered tarball: removed from DISTDIR" 1 test -e "$D/patch-7.2.10.xz"

# The good bump, with the keyring armored as /usr/share/openpgp-keys has it.
cp "$T/good.xz" "$T/patch-7.2.10.xz"
mirror "$T/patch-7.2.10.xz"
gpg --batch --armor --export "$GPG_KEYID" >"$T/kernel.org.asc"
bump -K "$T/kernel.org.asc"
t_eq "signed bump: exit 0" 0 "$?"
t_diff "signed bump: old lines kept, two new ones, sorted" "$T/bumped" "$P/Manifest"
t_empty "signed bump: -q is quiet" "$T/err"
t_run "signed bump: patch in DISTDIR" 0 cmp "$T/good.xz" "$D/patch-7.2.10.xz"
t_run "-c after the bump: present files ok, absent ones missing" 1 manifest-gen -c -d "$D" "$P/gentoo-kernel-7.2.10.ebuild"
t_grep "-c: patch ok" "^patch-7.2.10.xz ok$" "$T/out"
t_grep "-c: tarball missing" "^linux-7.2.tar.xz missing$" "$T/out"

# A missing keyring is an error too.
rm -f "$D/linux-7.x-sha256sums-20261010.asc"
cp "$T/Manifest.before" "$P/Manifest"
bump -K "$T/nosuch.asc"
t_eq "missing keyring: exit 1" 1 "$?"
t_grep "missing keyring: named" "nosuch.asc" "$T/err"

# A new patch under an old SHA256SUM_DATE: its asc is only in the Manifest.
sed 's/^SHA256SUM_DATE=.*/SHA256SUM_DATE=20261003/' "$P/gentoo-kernel-7.2.10.ebuild" >"$T/e" && mv "$T/e" "$P/gentoo-kernel-7.2.10.ebuild"
cp "$T/Manifest.before" "$P/Manifest"
rm -f "$D"/*
bump -K "$GPG_KEYRING"
t_eq "new patch, old SHA256SUM_DATE: exit 1" 1 "$?"
t_grep "... says what is missing" "^manifest-gen: patch-7.2.10.xz: no sha256sums.asc verified in this run covers it .*SHA256SUM_DATE" "$T/err"
t_run "... Manifest untouched" 0 cmp "$T/Manifest.before" "$P/Manifest"
