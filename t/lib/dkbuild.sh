# t/lib/dkbuild.sh: what dk-build's tests share: a busybox-static "stage3"
# with a stand-in emerge, a gentoo.git checkout, a signing key, local.diff
# and a config. Source after t/lib.sh and t/lib/dockerd.sh.
# Licence: GPL-2.0-only.
#
# The stand-in emerge is steered by files in the distfiles directory (bind
# mounted at /var/cache/distfiles): panic-once, fail, postfail (a module
# after the kernel fails), slow, silent (no output for a while), hold (until
# go), hostile, biglog. It prints the tree hash of its gentoo.git as
# "tree HASH" (dkb_tree computes the same on the host).

# dkb_setup: makes $T/rootfs.tar, $T/gentoo (git), $T/local.diff,
# $T/signing_key.pem, $T/distfiles, $T/binpkg, $T/logs.
dkb_setup() {
	unset DOCKER_HOST DOCKER_HOST_AMD64 DOCKER_HOST_ARM64 BINPKGROOT DISTCACHE BINPKG_DOCKER \
		DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_TLS
	_r=$T/rootfs
	busybox_rootfs "$_r" && mkdir -p "$_r/usr/share/dk-test" || return 1
	cat >"$_r/usr/bin/emerge" <<'EOS'
#!/bin/sh
# stand-in emerge for dk-build's tests
D=/var/cache/distfiles
case " $* " in
*" -1vkbt "*) echo "emerge (stand-in): deps: $*"; exit 0 ;;
*" -1vt "*) echo "emerge (stand-in): $*"; [ -f $D/postfail ] && { echo "error: a module failed"; exit 1; }; exit 0 ;;
*" -1vk "*) echo "emerge (stand-in): reusing the binary package"; exit 0 ;;
esac
echo "tree $(cd /var/db/repos/gentoo && find . -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
echo "MAKEOPTS=$MAKEOPTS"
echo "emerge (stand-in): building $PKG (POST_PKGS=$POST_PKGS)"
k=/tmp/signing_key.pem
[ -f $k ] || { echo "no signing key at $k"; exit 3; }
[ "$(stat -c %a $k)" = 600 ] || { echo "signing key mode $(stat -c %a $k)"; exit 3; }
grep -q 'applied by local.diff' /var/db/repos/gentoo/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.99.ebuild ||
	{ echo "local.diff not applied"; exit 3; }
i=0
while [ $i -lt 3000 ]; do echo "  CC      drivers/stand-in/file$i.o"; i=$((i + 1)); done
[ -f $D/slow ] && sleep 30
[ -f $D/silent ] && sleep 8
# held until the test has seen what it waits for
if [ -f $D/hold ]; then while [ ! -f $D/go ]; do sleep 0.1; done; fi
# 1 GiB more, for bench/build.sh
[ -f $D/biglog ] && yes '  CC      drivers/stand-in/a-rather-long-object-file-name-for-the-bench.o' | head -c 1073741824
if [ -f $D/panic-once ]; then rm -f $D/panic-once; echo "Kernel panic - not syncing: VFS: Unable to mount root fs"; exit 1; fi
[ -f $D/fail ] && { echo "error: stand-in build failed"; exit 1; }
p=${PKG#<sys-kernel/}
pf=${p%.9999}.99
out=/tmp/binpkg/sys-kernel/${p%-*}
mkdir -p $out
if [ -f $D/hostile ]; then ln -s ../../../../../../tmp $out/evil.gpkg.tar; fi
# a well-formed gpkg (GLEP 78): gpkg-1, metadata and image archives, and
# the Manifest of their sizes and SHA512 last
g=/tmp/gpkg-work
d=$g/$pf-1
rm -rf $g
mkdir -p $d $g/metadata $g/image/boot
echo sys-kernel >$g/metadata/CATEGORY
echo $pf >$g/metadata/PF
echo "stand-in kernel $pf" >$g/image/boot/vmlinuz-$pf
: >$d/gpkg-1
tar -C $g -cf $d/metadata.tar metadata
tar -C $g -cf $d/image.tar image
for f in gpkg-1 metadata.tar image.tar; do
	echo "DATA $f $(wc -c <$d/$f) SHA512 $(sha512sum $d/$f | cut -d' ' -f1)"
done >$d/Manifest
tar -C $g -cf $out/$pf-1.gpkg.tar $pf-1/gpkg-1 $pf-1/metadata.tar $pf-1/image.tar $pf-1/Manifest
echo "emerge (stand-in): wrote $out/$pf-1.gpkg.tar"
EOS
	chmod 755 "$_r/usr/bin/emerge"
	tar -C "$_r" -cf "$T/rootfs.tar" . || return 1
	# gentoo.git with an ebuild that local.diff changes
	_e=$T/gentoo/sys-kernel/gentoo-kernel
	mkdir -p "$_e"
	printf 'EAPI=8\nKEYWORDS="~amd64"\n' >"$_e/gentoo-kernel-6.6.99.ebuild"
	git -C "$T/gentoo" init -q && git -C "$T/gentoo" add . &&
		git -C "$T/gentoo" -c user.name=t -c user.email=t@t commit -qm init || return 1
	echo '# applied by local.diff' >>"$_e/gentoo-kernel-6.6.99.ebuild"
	git -C "$T/gentoo" diff >"$T/local.diff"
	git -C "$T/gentoo" checkout -q .
	dk-keygen -t ec -s "CN=dk test key" "$T/signing_key.pem" >/dev/null || return 1
	mkdir -p "$T/distfiles" "$T/binpkg" "$T/logs"
}

# dkb_import SOCK: imports $T/rootfs.tar as dk-test-stage:1.
dkb_import() {
	dockerd_import "$1" "$T/rootfs.tar" dk-test-stage:1 "$T/import.out"
}

# dkb_config FILE AMD64-HOSTS [EXTRA YAML]: a config using the test stage
# (the imported image dk-test-stage:1, or $DKB_STAGE).
dkb_config() {
	cat >"$1" <<EOC
binpkgroot: $T/binpkg
distcache: $T/distfiles
logdir: $T/logs
signing_key: $T/signing_key.pem
local_diff: $T/local.diff
repo: $T/gentoo
base: HEAD
dockerfiles: $DK_TOP/contrib/docker
devices: []
deps: [dev-util/pahole, sys-kernel/dracut]
arches:
  amd64:
    hosts: [$2]
    stage: ${DKB_STAGE:-dk-test-stage:1}
  arm64:
    hosts: [$2]
    stage: ${DKB_STAGE:-dk-test-stage:1}
${3:-}
EOC
}

# dkb_tree DIR: the tree hash the stand-in emerge prints, of a work tree.
dkb_tree() {
	(cd "$1" && find . -path ./.git -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
}
