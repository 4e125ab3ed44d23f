#!/bin/sh
# End to end: the whole bump of the sample tree with the contrib pipelines
# and real git, gpg, nginx (and dockerd, sshd where the build runs), as a
# maintainer does it; then every result checked.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/sample.sh"
. "$DK_TOP/t/lib/dockerd.sh"
. "$DK_TOP/t/lib/sshd.sh"
PATH=$DK_TOP/contrib:$PATH

if ! sample_init "$T/e2e" 2>"$T/init.err"; then
	skip "e2e" "the sample could not be set up: $(tail -n 3 "$T/init.err" | tr '\n' ' ')"
	exit 0
fi
ok "sample tree, loopback mirror and signing key set up"
sample_standins sys-kernel/gentoo-kernel 7.2.9 7.2.10 6.18.1 6.18.2
sample_standins sys-kernel/vanilla-kernel 7.2.9 7.2.10 6.18.1 6.18.2
cd "$SAMPLE/gentoo" || exit 1
git config user.signingkey '' 2>/dev/null
BINPKG_DOCKER=$SAMPLE/binpkg-docker
export BINPKG_DOCKER
today=$(date -u +%Y%m%d)
year=$(date -u +%Y)

t_run "bump-kernels -h" 0 bump-kernels -h
t_grep "-h prints the usage on stdout" '^usage: bump-kernels ' "$T/out"
t_run "a --set name no ebuild assigns stops everything" 1 bump-kernels --set CONFIG_VRE=1 7.2.9 7.2.10
t_out "the typo's message" 'bump-kernels: --set CONFIG_VRE=1: no ebuild of vanilla-kernel gentoo-kernel assigns CONFIG_VRE
bump-kernels: nothing was written: 1 problem(s)' "$T/err"
t_eq "nothing was done" "" "$(git status --porcelain)"

# The pins of 6.18.1 that still name it stop the bump before any write.
t_run "pins naming OLD stop the bump" 1 bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" 6.18.1 6.18.2
t_out "the pin report" 'bump-kernels: gentoo-kernel-6.18.2: CONFIG_VER still names 6.18.1 (6.18.1-gentoo): --set gentoo-kernel-6.18.2:CONFIG_VER=VALUE, or --keep-pin CONFIG_VER
bump-kernels: gentoo-kernel-6.18.2: PATCHSET still names 6.18.1 (linux-gentoo-patches-6.18.1): --set gentoo-kernel-6.18.2:PATCHSET=VALUE, or --keep-pin PATCHSET
bump-kernels: nothing was written: 2 problem(s)' "$T/err"
t_eq "the pin report wrote nothing" "" "$(git status --porcelain)"

# A dry run touches nothing.
t_run "bump-kernels -n" 0 bump-kernels -n -K "$GPG_KEYRING" --mirror "$NGINX_URL" 7.2.9 7.2.10
t_eq "-n left the tree clean" "" "$(git status --porcelain)"
t_grep "-n shows the commit it would make" 'git commit -q -s -m sys-kernel/gentoo-kernel: Bump to 7.2.10' "$T/err"

touch sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild~
t_run "bump-kernels 7.2.9 7.2.10 6.18.1 6.18.2" 0 bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" \
	--set gentoo-kernel-6.18.2:DESCRIPTION='Linux kernel built with Gentoo patches (6.18)' -k PATCHSET --keep-pin CONFIG_VER \
	7.2.9 7.2.10 6.18.1 6.18.2

# The new ebuilds are the old ones with the bump's edits, nothing else.
for f in sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild sys-kernel/vanilla-kernel/vanilla-kernel-7.2.10.ebuild \
    virtual/dist-kernel/dist-kernel-7.2.10.ebuild; do
	sed -e "s/@TODAY@/$today/" -e "s/@YEAR@/$year/" "$DATA/e2e/$(basename "$f")" >"$T/want"
	t_diff "golden $(basename "$f")" "$T/want" "$f"
done
t_run "the -s setting reached gentoo-kernel-6.18.2" 0 ebuild-setvar -g DESCRIPTION \
	sys-kernel/gentoo-kernel/gentoo-kernel-6.18.2.ebuild
t_out "DESCRIPTION values" 'Linux kernel built with Gentoo patches (6.18)' "$T/out"
ebuild-setvar -g DESCRIPTION sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild >"$T/out" 2>&1
t_out "7.2.10 kept its DESCRIPTION" 'Linux kernel built with Gentoo patches' "$T/out"

# Commits: subjects in order, each signed off, nothing left over.
git log --format=%s origin/HEAD..HEAD >"$T/subjects"
t_out "commit subjects" 'virtual/dist-kernel: Bump to 6.18.2
sys-kernel/gentoo-kernel: Bump to 6.18.2
sys-kernel/vanilla-kernel: Bump to 6.18.2
virtual/dist-kernel: Bump to 7.2.10
sys-kernel/gentoo-kernel: Bump to 7.2.10
sys-kernel/vanilla-kernel: Bump to 7.2.10' "$T/subjects"
t_eq "every commit is signed off" 6 "$(git log --format=%b origin/HEAD..HEAD | grep -c '^Signed-off-by: Dk Sample <dk-sample@example.invalid>$')"
t_run "the same bump again" 0 bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" -k PATCHSET -k CONFIG_VER 7.2.9 7.2.10 6.18.1 6.18.2
t_grep "says there is nothing to do" '^bump-kernels: nothing to do' "$T/err"
t_grep "says what it skipped" '^>>> sys-kernel/gentoo-kernel-7.2.10: committed already, skipped' "$T/err"
t_eq "the bump committed its own files only" "?? sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild~" "$(git status --porcelain)"
rm sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild~

# Manifests: the new distfiles with their real hashes, and -c passes.
for p in gentoo-kernel vanilla-kernel; do
	t_run "manifest-gen -c sys-kernel/$p" 0 manifest-gen -c "sys-kernel/$p"
done
for n in patch-7.2.10.xz patch-6.18.2.xz "linux-7.x-sha256sums-$today.asc"; do
	f=$SAMPLE/www/distfiles/$n
	want="DIST $n $(stat -c %s "$f") BLAKE2B $(b2sum "$f" | cut -d' ' -f1) SHA512 $(sha512sum "$f" | cut -d' ' -f1)"
	t_eq "Manifest entry for $n" "$want" "$(grep "^DIST $n " sys-kernel/gentoo-kernel/Manifest)"
done
t_eq "old entries kept byte for byte" "$(git show origin/HEAD:sys-kernel/gentoo-kernel/Manifest | grep -c '^DIST')" \
	"$(git show origin/HEAD:sys-kernel/gentoo-kernel/Manifest | grep -Fxf - sys-kernel/gentoo-kernel/Manifest | grep -c '^DIST')"

# local.diff: written, and it applies to the origin snapshot.
t_run "local.diff written" 0 test -s "$BINPKG_DOCKER/local.diff"
git clone -q "$SAMPLE/origin.git" "$T/snapshot"
t_run "local.diff applies to origin (git apply --check)" 0 git -C "$T/snapshot" apply --check "$BINPKG_DOCKER/local.diff"
t_run "local.diff applies to origin (diff-export -t)" 0 sh -c 'diff-export -t "$1" - < "$2" > /dev/null' sh "$T/snapshot" "$BINPKG_DOCKER/local.diff"
t_eq "local.diff digest is the tree's" "$(diff-export -I -b origin)" "$(diff-export -I - <"$BINPKG_DOCKER/local.diff")"

# A tampered signature stops the bump before anything is committed.
git reset -q --hard origin/HEAD
git clean -qfdx
rm -f "$DISTDIR"/linux-7.x-sha256sums-"$today".asc
sed -i 's/^\([0-9a-f]\)/0\1/' "$SAMPLE/www/distfiles/linux-7.x-sha256sums-$today.asc"
t_run "a bad signature fails the bump" 1 bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" 7.2.9 7.2.10
t_grep "the failure names the signature file" "linux-7.x-sha256sums-$today.asc" "$T/err"
t_eq "no commit was made" "$(git rev-parse origin/HEAD)" "$(git rev-parse HEAD)"
t_eq "the Manifest is untouched" "" "$(git status --porcelain -- '*/Manifest')"

# gentoo-kernel-bin: the built packages go into DISTDIR under their
# NAME.ARCH.gpkg.tar names and into the -bin Manifest.
git reset -q --hard HEAD
git clean -qfd
sed -i 's/^0\([0-9a-f]\)/\1/' "$SAMPLE/www/distfiles/linux-7.x-sha256sums-$today.asc"
t_run "bump-kernels again after the signature is fixed" 0 bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" 7.2.9 7.2.10
BINPKG=$SAMPLE/binpkg DK_ARCHES=amd64
export BINPKG DK_ARCHES
pkg=$BINPKG/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-1.gpkg.tar
# The build, on a private engine, from the tree as local.diff makes it.
if sample_engine sys-kernel/gentoo-kernel-7.2.10 2>"$T/engine.err"; then
	t_run "dk-build amd64-gentoo-kernel-7.2" 0 dk-build -q -c "$SAMPLE_CONFIG" -d "$BINPKG_DOCKER/local.diff" amd64-gentoo-kernel-7.2
	t_out "dk-build's result line" "amd64-gentoo-kernel-7.2 ok $pkg" "$T/out"
	t_grep "the container saw the bumped tree" 'newest in the tree: gentoo-kernel-7.2.10$' "$SAMPLE/logs/amd64-gentoo-kernel-7.2.log"
else
	skip "dk-build amd64-gentoo-kernel-7.2" "no Docker engine: $(tail -n 1 "$T/engine.err")"
	# a package in the real format stands in for the build
	mkdir -p "$(dirname "$pkg")"
	sh "$DK_TOP/t/mkgpkg.sh" "$pkg" sys-kernel/gentoo-kernel-7.2.10
fi
t_run "bump-kernels-bin 7.2.9 7.2.10" 0 bump-kernels-bin -d "$DISTDIR" -K "$GPG_KEYRING" --mirror "$NGINX_URL" 7.2.9 7.2.10
d=$DISTDIR/gentoo-kernel-7.2.10-1.amd64.gpkg.tar
t_run "dk-push put NAME.ARCH.gpkg.tar into DISTDIR" 0 cmp "$pkg" "$d"
want="DIST gentoo-kernel-7.2.10-1.amd64.gpkg.tar $(stat -c %s "$pkg") BLAKE2B $(b2sum "$pkg" | cut -d' ' -f1) SHA512 $(sha512sum "$pkg" | cut -d' ' -f1)"
t_eq "the -bin Manifest lists it with its hashes" "$want" "$(grep '^DIST gentoo-kernel-7.2.10-1' sys-kernel/gentoo-kernel-bin/Manifest)"
t_run "manifest-gen -c sys-kernel/gentoo-kernel-bin" 0 manifest-gen -c sys-kernel/gentoo-kernel-bin
t_eq "the -bin commit" "sys-kernel/gentoo-kernel-bin: Bump to 7.2.10" "$(git log -1 --format=%s)"
t_grep "the -bin ebuild has today's checksum date" "^SHA256SUM_DATE=$today\$" sys-kernel/gentoo-kernel-bin/gentoo-kernel-bin-7.2.10.ebuild

# kup-style publishing of the same package over sftp, signed.
if sshd_start 2>"$T/sshd.err"; then
	mkdir -p "$SAMPLE/pub"
	t_run "dk-push -S to sftp://{arch}/{series}/" 0 dk-push -S -u "$GPG_KEYID" -H "$SSH_KNOWN_HOSTS" -i "$SSH_KEY" \
		-d "sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$SAMPLE/pub/{arch}/{series}/" "$pkg"
	t_run "the upload is the package" 0 cmp "$pkg" "$SAMPLE/pub/amd64/7.2/gentoo-kernel-7.2.10-1.amd64.gpkg.tar"
	t_run "its detached signature verifies" 0 gpgv --keyring "$GPG_KEYRING" \
		"$SAMPLE/pub/amd64/7.2/gentoo-kernel-7.2.10-1.amd64.gpkg.tar.sig" "$SAMPLE/pub/amd64/7.2/gentoo-kernel-7.2.10-1.amd64.gpkg.tar"
else
	skip "dk-push over sftp" "$(cat "$T/sshd.err")"
fi

t_run "contrib scripts are shellcheck-clean POSIX sh" 0 shellcheck -s sh "$DK_TOP/contrib/bump-kernels" "$DK_TOP/contrib/bump-kernels-bin" "$DK_TOP/contrib/bump-common.sh"
