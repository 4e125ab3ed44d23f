# t/lib/sample.sh: the bundled sample tree (t/data/repo) made into a real
# gentoo.git-like checkout with an origin, stand-in distfiles served by a
# loopback nginx, and kernel.org-style sha256sums.asc files signed by a
# throw-away key. Used by "make demo" (t/demo.sh) and the end-to-end test.
# Source after t/lib.sh, t/lib/nginx.sh and t/lib/gpg.sh.
# Licence: GPL-2.0-only.
#
# sample_init DIR: makes DIR/origin.git (bare, its one commit holding the
#   sample with Manifests), DIR/gentoo (a clone of it), DIR/www/distfiles served at $NGINX_URL, an empty
#   DIR/distfiles (DISTDIR) and a key (GPG_KEYRING). Returns 1 if nginx or
#   gpg cannot start.
# sample_standins CAT/PN OLD NEW...: stand-in distfiles for what the bumped
#   ebuilds (OLD copied to NEW, in a scratch tree) will fetch, and any new
#   sha256sums.asc they name.

# _standins EBUILD...: a stand-in for every distfile the ebuilds fetch that
# the server lacks; then each missing linux-N.x-sha256sums-DATE.asc lists
# the tarballs and patches of series N, clear-signed.
_standins() {
	manifest-gen -l "$@" >"$SAMPLE/fetchlist" || return 1
	while read -r _name _url; do
		_f=$SAMPLE/www/distfiles/$_name
		case $_name in *-sha256sums-*.asc) continue ;; esac
		[ -e "$_f" ] && continue
		{ echo "dk sample stand-in for $_name ($_url)"; seq 1 2000; } >"$_f"
	done <"$SAMPLE/fetchlist"
	while read -r _name _url; do
		case $_name in *-sha256sums-*.asc) ;; *) continue ;; esac
		_f=$SAMPLE/www/distfiles/$_name
		[ -e "$_f" ] && continue
		_major=${_name#linux-}
		_major=${_major%%.x-*}
		(cd "$SAMPLE/www/distfiles" && for _t in linux-"$_major".*.tar.xz patch-"$_major".*.xz; do
			[ -e "$_t" ] && sha256sum "$_t"
		done) >"$SAMPLE/sums"
		gpg --batch --quiet --yes --clearsign -o "$_f" "$SAMPLE/sums" || return 1
	done <"$SAMPLE/fetchlist"
}

sample_init() {
	SAMPLE=$1
	mkdir -p "$SAMPLE/www/distfiles" "$SAMPLE/distfiles" "$SAMPLE/scratch"
	gpg_setup || return 1
	nginx_start "$SAMPLE/www" || return 1
	DISTDIR=$SAMPLE/distfiles
	export DISTDIR
	git init -q "$SAMPLE/seed"
	cp -R "$DK_TOP/t/data/repo/." "$SAMPLE/seed/"
	(
		cd "$SAMPLE/seed" || exit 1
		git config user.name "Dk Sample"
		git config user.email "dk-sample@example.invalid"
		_standins sys-kernel/*/*.ebuild || exit 1
		for _p in sys-kernel/gentoo-kernel sys-kernel/vanilla-kernel sys-kernel/gentoo-kernel-bin; do
			manifest-gen -q -u -K "$GPG_KEYRING" --mirror "$NGINX_URL" -d "$DISTDIR" "$_p" || exit 1
		done
		git add -A && git commit -q -m "sample tree" &&
		git clone -q --bare . "$SAMPLE/origin.git" &&
		git clone -q "$SAMPLE/origin.git" "$SAMPLE/gentoo" &&
		cd "$SAMPLE/gentoo" &&
		git config user.name "Dk Sample" &&
		git config user.email "dk-sample@example.invalid" &&
		git config commit.gpgsign false
	) || return 1
}

sample_standins() {
	_pkg=$1
	shift
	mkdir -p "$SAMPLE/scratch/$_pkg"
	cp -R "$SAMPLE/gentoo/eclass" "$SAMPLE/scratch/"
	_new=
	while [ $# -ge 2 ]; do
		_pn=${_pkg#*/}
		_old=$SAMPLE/gentoo/$_pkg/$_pn-$1.ebuild
		ebuild-copy <"$_old" >"$SAMPLE/scratch/$_pkg/$_pn-$2.ebuild" || return 1
		_new="$_new $SAMPLE/scratch/$_pkg/$_pn-$2.ebuild"
		shift 2
	done
	# shellcheck disable=SC2086
	_standins $_new
}

# sample_engine PF...: a private Docker engine (t/lib/dockerd.sh) with a
#   busybox-static "stage3" whose emerge stands in for portage: it checks
#   that the signing key is in the container and that local.diff brought
#   the new ebuild into the image's tree, then leaves the package of the
#   newest ebuild of the series, made beforehand in the real GLEP 78 format
#   for each PF given (e.g. sys-kernel/gentoo-kernel-7.2.10). Writes the
#   signing key (dk-keygen) and SAMPLE_CONFIG for dk-build -c. Returns 1
#   when no engine can be started.
sample_engine() {
	dockerd_start sample || return 1
	_r=$SAMPLE/rootfs
	busybox_rootfs "$_r" && mkdir -p "$_r/usr/share/dk-sample" || return 1
	for _pf in "$@"; do
		sh "$DK_TOP/t/mkgpkg.sh" "$_r/usr/share/dk-sample/${_pf#*/}-1.gpkg.tar" "$_pf" || return 1
	done
	cat >"$_r/usr/bin/emerge" <<'EOS'
#!/bin/sh
# emerge, as far as the dk sample needs it
case " $* " in
*" -1vt "* | *" -1vk "* | *" -1vkbt "*) echo "emerge (stand-in): $*"; exit 0 ;;
esac
echo "emerge (stand-in): building $PKG"
[ "$(stat -c %a /tmp/signing_key.pem 2>/dev/null)" = 600 ] || { echo "no signing key"; exit 3; }
p=${PKG#<sys-kernel/}
p=${p%.9999}
pn=${p%-*} series=${p##*-}
v=$(ls /var/db/repos/gentoo/sys-kernel/"$pn" | sed -n "s/^$pn-\($series\.[0-9]*\)\.ebuild\$/\1/p" | sort -t. -k3n | tail -n 1)
echo "emerge (stand-in): newest in the tree: $pn-$v"
f=/usr/share/dk-sample/$pn-$v-1.gpkg.tar
[ -f "$f" ] || { echo "no package for $pn-$v: local.diff not applied?"; exit 1; }
i=0
while [ $i -lt 200 ]; do echo "  CC      kernel/stand-in$i.o"; i=$((i + 1)); done
mkdir -p /tmp/binpkg/sys-kernel/"$pn"
cp "$f" /tmp/binpkg/sys-kernel/"$pn"/
echo "emerge (stand-in): wrote /tmp/binpkg/sys-kernel/$pn/$pn-$v-1.gpkg.tar"
EOS
	chmod 755 "$_r/usr/bin/emerge"
	tar -C "$_r" -cf "$SAMPLE/rootfs.tar" . || return 1
	dockerd_import "$DOCKERD_SOCK" "$SAMPLE/rootfs.tar" dk-sample-stage:1 "$SAMPLE/import.out" || return 1
	dk-keygen -t ec "$SAMPLE/signing_key.pem" >/dev/null || return 1
	SAMPLE_CONFIG=$SAMPLE/dk.yaml
	cat >"$SAMPLE_CONFIG" <<EOC
binpkgroot: $SAMPLE/binpkg
distcache: $SAMPLE/distfiles
logdir: $SAMPLE/logs
signing_key: $SAMPLE/signing_key.pem
repo: $SAMPLE/gentoo
base: origin
dockerfiles: $DK_TOP/contrib/docker
devices: []
deps: [dev-util/pahole, sys-kernel/dracut]
arches:
  amd64:
    hosts: [unix://$DOCKERD_SOCK]
    stage: dk-sample-stage:1
EOC
}
