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
			manifest-gen -q -u -K "$GPG_KEYRING" -m "$NGINX_URL" -d "$DISTDIR" "$_p" || exit 1
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
