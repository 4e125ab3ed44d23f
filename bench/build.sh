#!/bin/sh
# bench/build.sh: dk-build against binpkg-docker's way of building (a bash
# loop of "docker build" + "docker run" with the docker CLI), 8 trivial
# targets on private dockerd engines; then dk-build's peak RSS while it
# streams a 1 GiB container log. Run as root from the top directory after
# "make". Prints one line per measurement. Licence: GPL-2.0-only.
DK_TOP=$(cd "$(dirname "$0")/.." && pwd)
export DK_TOP
. "$DK_TOP/t/lib.sh"
. "$DK_TOP/t/lib/dockerd.sh"
. "$DK_TOP/t/lib/dkbuild.sh"
DOCKER=${DOCKER:-/usr/bin/docker}
# "bench/build.sh | head" must still stop the engines
trap 'exit 141' PIPE

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l 2>/dev/null || python3 -c "print(round($2 - $1, 2))"; }

dkb_setup || { echo "bench: set-up failed" >&2; exit 1; }
dockerd_start a || exit 1
A=$DOCKERD_SOCK
dockerd_start b || exit 1
B=$DOCKERD_SOCK
if ! dkb_import "$A" || ! dkb_import "$B"; then echo "bench: import failed" >&2; exit 1; fi
dkb_config "$T/one.yaml" "unix://$A"
dkb_config "$T/two.yaml" "unix://$A, unix://$B"
targets="6.1 6.6 6.12 6.18 5.10 5.15 5.4 7.2"

# The deps images first, for both ways: only the per-target work is timed.
dk-build -q -c "$T/two.yaml" build-amd64-kernel-deps >"$T/deps.out" || { cat "$T/deps.out"; exit 1; }
deps=$(awk '{ print $3 }' "$T/deps.out")

# binpkg-docker's way: per target, docker build (FROM deps, local.diff
# applied) then docker run with the binpkg directory as a volume.
mkdir -p "$T/ctx" "$T/bd-binpkg"
cp "$T/local.diff" "$T/ctx/local.diff"
printf '' >"$T/ctx/delta.diff"
printf '' >"$T/ctx/kernel.config"
printf '' >"$T/ctx/plymouthd.conf"
cp "$DK_TOP/contrib/docker/Dockerfile.kernel" "$T/ctx/Dockerfile"
t0=$(now)
for s in $targets; do
	DOCKER_HOST=unix://$A "$DOCKER" build -q --build-arg "BASE=$deps" -t "build-amd64-gentoo-kernel-$s" "$T/ctx" >/dev/null &&
	DOCKER_HOST=unix://$A "$DOCKER" run --rm --network host -v "$T/bd-binpkg:/tmp/binpkg" \
		-v "$T/signing_key.pem:/tmp/signing_key.pem" -v "$T/distfiles:/var/cache/distfiles" \
		-e "PKG=<sys-kernel/gentoo-kernel-$s.9999" "build-amd64-gentoo-kernel-$s" \
		/bin/sh -c 'emerge -1vB "$PKG"' >"$T/bd-$s.log" 2>&1 || echo "bench: docker way failed for $s" >&2
done
t1=$(now)
echo "docker CLI loop, 8 targets, 1 engine: $(secs "$t0" "$t1")s ($(find "$T/bd-binpkg" -name '*.gpkg.tar' | wc -l) packages)"

list() { for s in $targets; do echo "amd64-gentoo-kernel-$s"; done; }
t0=$(now)
list | dk-build -q -c "$T/one.yaml" >"$T/dk1.out" || echo "bench: dk-build failed" >&2
t1=$(now)
echo "dk-build, 8 targets, 1 engine: $(secs "$t0" "$t1")s ($(grep -c ' ok ' "$T/dk1.out") packages)"
t0=$(now)
list | dk-build -q -c "$T/two.yaml" >"$T/dk2.out" || echo "bench: dk-build failed" >&2
t1=$(now)
echo "dk-build, 8 targets, 2 engines: $(secs "$t0" "$t1")s ($(grep -c ' ok ' "$T/dk2.out") packages)"

# the checks: time from the start to the first problem, 2 engines (a
# local.diff that does not apply), and to the end of a clean -n
printf 'diff --git a/x/y b/x/y\n--- a/x/y\n+++ b/x/y\n@@ -1 +1 @@\n-a\n+b\n' >"$T/stale.diff"
t0=$(now)
list | dk-build -q -c "$T/two.yaml" -d "$T/stale.diff" >/dev/null 2>"$T/pre.err"
t1=$(now)
echo "dk-build, first check's error, 2 engines: $(secs "$t0" "$t1")s ($(head -n 1 "$T/pre.err" | cut -c1-60))"
t0=$(now)
list | dk-build -q -n -c "$T/two.yaml" >/dev/null 2>&1
t1=$(now)
echo "dk-build -n (every check, 8 targets), 2 engines: $(secs "$t0" "$t1")s"

# 1 GiB of log through the logs endpoint: peak RSS of dk-build
touch "$T/distfiles/biglog"
/usr/bin/time -f '%M' -o "$T/rss" dk-build -q -c "$T/one.yaml" amd64-gentoo-kernel-6.6 >"$T/big.out" ||
	echo "bench: dk-build failed" >&2
rm -f "$T/distfiles/biglog"
echo "dk-build peak RSS streaming a $(($(stat -c %s "$T/logs/amd64-gentoo-kernel-6.6.log") / 1048576)) MiB log: $(($(cat "$T/rss") / 1024)) MiB"
