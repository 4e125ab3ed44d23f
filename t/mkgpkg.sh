#!/bin/sh
# t/mkgpkg.sh OUT CATEGORY/PF: writes a GLEP 78 binary package OUT the way
# portage does: an uncompressed tar of DIR/gpkg-1, DIR/metadata.tar.COMP,
# DIR/image.tar.COMP and DIR/Manifest (DATA lines: size, BLAKE2B, SHA512),
# where DIR is OUT's base name without .gpkg.tar. Used by the tests and
# bench/push.sh. Licence: GPL-2.0-only.
# Environment:
#   MKGPKG_COMP   xz (default), zst, gz, bz2 or none
#   MKGPKG_MB     size of a random file in the image, MiB (default: tiny)
#   MKGPKG_BREAK  missing-image | wrong-hash | dotdot | extra: a broken one
#   MKGPKG_SIGN   a gpg key id: clear-sign the Manifest (GNUPGHOME set)
set -eu
out=$1 cpf=$2
cat=${cpf%%/*} pf=${cpf#*/}
comp=${MKGPKG_COMP:-xz}
base=$(basename "$out")
dir=${base%.gpkg.tar}
w=$(mktemp -d "${TMPDIR:-/tmp}/mkgpkg.XXXXXX")
trap 'rm -rf "$w"' EXIT

case $comp in
xz) ext=.xz z="xz -T1 -c" ;;
zst) ext=.zst z="zstd -q -c" ;;
gz) ext=.gz z="gzip -c" ;;
bz2) ext=.bz2 z="bzip2 -c" ;;
none) ext='' z=cat ;;
*) echo "mkgpkg: unknown compression $comp" >&2; exit 2 ;;
esac

mkdir -p "$w/metadata" "$w/image/boot" "$w/pkg/$dir"
echo "$pf" >"$w/metadata/PF"
echo "$cat" >"$w/metadata/CATEGORY"
echo "x86_64-pc-linux-gnu" >"$w/metadata/CHOST"
echo "kernel image of $pf" >"$w/image/boot/vmlinuz"
if [ -n "${MKGPKG_MB:-}" ]; then
	head -c $((MKGPKG_MB * 1048576)) /dev/urandom >"$w/image/boot/blob"
fi
t="tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name"
(cd "$w" && $t -cf - metadata) | $z >"$w/pkg/$dir/metadata.tar$ext"
(cd "$w" && $t -cf - image) | $z >"$w/pkg/$dir/image.tar$ext"
: >"$w/pkg/$dir/gpkg-1"

members="gpkg-1 metadata.tar$ext image.tar$ext"
for m in $members; do
	f=$w/pkg/$dir/$m
	b2=$(b2sum "$f" | cut -d' ' -f1)
	sha=$(sha512sum "$f" | cut -d' ' -f1)
	if [ "${MKGPKG_BREAK:-}" = wrong-hash ] && [ "$m" = "image.tar$ext" ]; then
		sha=$(echo x | sha512sum | cut -d' ' -f1)
	fi
	echo "DATA $m $(stat -c %s "$f") BLAKE2B $b2 SHA512 $sha"
done >"$w/pkg/$dir/Manifest"
if [ -n "${MKGPKG_SIGN:-}" ]; then
	gpg --batch --quiet --yes -u "$MKGPKG_SIGN" --clearsign -o "$w/Manifest.asc" "$w/pkg/$dir/Manifest"
	mv "$w/Manifest.asc" "$w/pkg/$dir/Manifest"
fi

list="$dir/gpkg-1 $dir/metadata.tar$ext $dir/image.tar$ext $dir/Manifest"
extra=
case ${MKGPKG_BREAK:-} in
missing-image) list="$dir/gpkg-1 $dir/metadata.tar$ext $dir/Manifest" ;;
dotdot) echo evil >"$w/pkg/evil"; extra="--transform=s,^$dir/evil-link,$dir/../evil, -P" ;;
extra) echo x >"$w/pkg/$dir/README" && list="$list $dir/README" ;;
esac
# no --sort: portage's order (gpkg-1 first, Manifest last) is the format's
(cd "$w/pkg" && tar --format=ustar --owner=0 --group=0 --numeric-owner -cf "$w/out.tar" $list)
if [ "${MKGPKG_BREAK:-}" = dotdot ]; then
	(cd "$w/pkg" && cp evil "$dir/evil-link" && tar --format=ustar $extra -rf "$w/out.tar" "$dir/evil-link")
fi
mv "$w/out.tar" "$out"
