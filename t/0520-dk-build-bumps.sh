#!/bin/sh
# Two bumps with origin moved in between (a commit to another package and
# to an eclass): the deps images survive (built once per arch), and the
# tree in the container is exactly the maintainer's HEAD + local.diff.
# Then -R and deps_max_age refresh the snapshot. A real dockerd.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/dockerd.sh"
. "$DK_TOP/t/lib/dkbuild.sh"

if ! dkb_setup 2>"$T/setup.err"; then
	skip "two bumps" "test set-up failed: $(cat "$T/setup.err")"
	exit 0
fi
if ! dockerd_start a 2>"$T/dockerd.err"; then
	skip "two bumps" "$(cat "$T/dockerd.err")"
	exit 0
fi
A=$DOCKERD_SOCK
if ! dkb_import "$A"; then fail "stage import" "$(cat "$T/import.out")"; exit 0; fi
L=$T/logs
G=$T/gentoo
git_c() { git -C "$G" -c user.name=t -c user.email=t@t "$@"; }
# a second arch on the same engine, so "once per arch" counts two
dkb_config "$T/c.yaml" "unix://$A" "  amd64-musl:
    hosts: [unix://$A]
    engine_arch: amd64
    stage: dk-test-stage:1"
# the tree has an eclass and another package that origin will change
mkdir -p "$G/eclass" "$G/app-misc/other"
printf 'kernel-build\n' >"$G/eclass/kernel-build.eclass"
printf 'EAPI=8\n' >"$G/app-misc/other/other-1.ebuild"
printf 'EAPI=7\n' >"$G/app-misc/other/other-0.ebuild"
git_c add . && git_c commit -qm "more of the tree"
K=$G/sys-kernel/gentoo-kernel
echo '# applied by local.diff' >>"$K/gentoo-kernel-6.6.99.ebuild"
git -C "$G" diff >"$T/bump1.diff"
targets="amd64-gentoo-kernel-6.6 amd64-musl-gentoo-kernel-6.6"

# shellcheck disable=SC2086
t_run "bump 1" 0 dk-build -c "$T/c.yaml" -d "$T/bump1.diff" $targets
n1=$(cat "$L"/amd64-gentoo-kernel-6.6.log "$L"/amd64-musl-gentoo-kernel-6.6.log | grep -c 'building image dk-deps-')
t_eq "bump 1 built the deps image of each arch" 2 "$n1"
want=$(dkb_tree "$G")
t_eq "bump 1: the container's tree is HEAD + local.diff" "tree $want" "$(grep '^tree ' "$L/amd64-gentoo-kernel-6.6.log")"

# origin moves (the maintainer pulls): another package and an eclass change,
# a file is added and one removed; then bump 2 adds an ebuild
git -C "$G" stash -q
printf 'kernel-build v2\n' >"$G/eclass/kernel-build.eclass"
printf 'EAPI=8\nKEYWORDS="~amd64"\n' >"$G/app-misc/other/other-1.ebuild"
printf 'new\n' >"$G/app-misc/other/metadata.xml"
git_c rm -q app-misc/other/other-0.ebuild
git_c add . && git_c commit -qm "origin moved"
git -C "$G" stash pop -q
cp "$K/gentoo-kernel-6.6.99.ebuild" "$K/gentoo-kernel-6.6.100.ebuild"
git -C "$G" add -N "$K/gentoo-kernel-6.6.100.ebuild"
git -C "$G" diff >"$T/bump2.diff"
# shellcheck disable=SC2086
t_run "bump 2 after origin moved" 0 dk-build -c "$T/c.yaml" -d "$T/bump2.diff" $targets
n2=$(cat "$L"/amd64-gentoo-kernel-6.6.log "$L"/amd64-musl-gentoo-kernel-6.6.log | grep -c 'building image dk-deps-')
t_eq "bump 2 built no deps image (deps images built = 1 per arch)" 0 "$n2"
t_grep "it reused the deps image with its snapshot" "reusing image dk-deps-amd64:[0-9a-f]+ \\(snapshot [0-9a-f]{12}\\)" "$L/amd64-gentoo-kernel-6.6.log"
want=$(dkb_tree "$G")
t_eq "bump 2: the container's tree is the new HEAD + local.diff" "tree $want" "$(grep '^tree ' "$L/amd64-gentoo-kernel-6.6.log")"
t_eq "on the other arch too" "tree $want" "$(grep '^tree ' "$L/amd64-musl-gentoo-kernel-6.6.log")"
echo "# deps images built: bump 1 $n1, bump 2 $n2 (2 arches)"

# -R: a new snapshot, the same tree
t_run "-R refreshes the deps image" 0 dk-build -c "$T/c.yaml" -R -d "$T/bump2.diff" amd64-gentoo-kernel-6.6
t_grep "it was built again" "building image dk-deps-amd64:" "$L/amd64-gentoo-kernel-6.6.log"
t_eq "the tree is still exact" "tree $want" "$(grep '^tree ' "$L/amd64-gentoo-kernel-6.6.log")"
# deps_max_age: an older deps image is refreshed
printf 'deps_max_age: 1s\n' >>"$T/c.yaml"
sleep 2
t_run "deps_max_age" 0 dk-build -c "$T/c.yaml" -d "$T/bump2.diff" amd64-gentoo-kernel-6.6
t_grep "an old deps image is built again" "building image dk-deps-amd64:" "$L/amd64-gentoo-kernel-6.6.log"
