#!/bin/sh
# dk-build against two real dockerd engines on private sockets, with a
# busybox stage and a stand-in emerge (t/lib/dkbuild.sh).
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/dockerd.sh"
. "$DK_TOP/t/lib/dkbuild.sh"

t_run "-h prints the usage" 0 dk-build -h
t_grep "usage names the status form" '^       dk-build \[-c file\] status$' "$T/out"
t_run "-V" 0 dk-build -V
t_out "-V prints the version" "dk-build 0.1.0" "$T/out"
t_run "a bad option is exit 2" 2 dk-build -Z
printf 'arches:\n  amd64: {hosts: [a, }\n' >"$T/bad.yaml"
t_run "a config error is exit 1" 1 dk-build -c "$T/bad.yaml" amd64-gentoo-kernel-6.6
t_grep "a config error names file:line:column" "^dk-build: $T/bad.yaml:2:[0-9]+: " "$T/err"
t_run "an unknown target is exit 2" 2 dk-build amd64-gentoo-kernel-x ppc64le-gentoo-kernel-6.6
t_grep "an unknown target is named" "^dk-build: unknown target 'amd64-gentoo-kernel-x'; the valid forms are:" "$T/err"
t_grep "the valid forms are listed" '^  ARCH-PKG-SERIES \(e.g. amd64-gentoo-kernel-6.6\), build-ARCH-kernel-deps, config, status, prune$' "$T/err"

if ! dkb_setup 2>"$T/setup.err"; then
	skip "dk-build builds" "test set-up failed: $(cat "$T/setup.err")"
	exit 0
fi
if ! dockerd_start a 2>"$T/dockerd.err"; then
	skip "dk-build builds" "$(cat "$T/dockerd.err")"
	exit 0
fi
A=$DOCKERD_SOCK
if ! dockerd_start b 2>"$T/dockerd.err"; then
	skip "dk-build builds" "$(cat "$T/dockerd.err")"
	exit 0
fi
B=$DOCKERD_SOCK
# B gets its stage from dk-build, which imports the tarball (pool.yaml)
if ! dkb_import "$A"; then fail "stage import" "$(cat "$T/import.out")"; exit 0; fi
C=$T/c.yaml
dkb_config "$C" "unix://$A"
L=$T/logs
P=$T/binpkg/amd64/kernel/sys-kernel

# containers of dk left on engine SOCK (label dk), as a count
dk_containers() {
	dockerd_api "$1" GET '/containers/json?all=1&filters=%7B%22label%22%3A%5B%22dk%22%5D%7D' | grep -o '"Id"' | wc -l
}

# inputs checked before any engine is asked
t_run "a missing signing key is exit 1" 1 dk-build -c "$C" -k "$T/nokey.pem" amd64-gentoo-kernel-6.6
t_grep "and named" "^dk-build: $T/nokey.pem: .*No such file or directory \\(signing key\\)\$" "$T/err"
printf 'diff --git a/x b/x\n--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n' >"$T/evil.diff"
t_run "a local.diff reaching out of the tree is exit 1" 1 dk-build -c "$C" -d "$T/evil.diff" amd64-gentoo-kernel-6.6
t_grep "and named with its line" "^dk-build: $T/evil.diff:[0-9]+: " "$T/err"
t_eq "nothing was logged for them" "" "$(ls "$L")"

# one target
t_run "one target builds" 0 dk-build -c "$C" amd64-gentoo-kernel-6.6
t_out "its result line names the binpkg" "amd64-gentoo-kernel-6.6 ok $P/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar" "$T/out"
tar -tf "$P/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar" >"$T/members"
printf '%s\n' gentoo-kernel-6.6.99-1/gpkg-1 gentoo-kernel-6.6.99-1/metadata.tar \
	gentoo-kernel-6.6.99-1/image.tar gentoo-kernel-6.6.99-1/Manifest >"$T/want"
t_diff "the binpkg holds the gpkg members" "$T/want" "$T/members"
mkdir -p "$T/gpkg"
tar -C "$T/gpkg" -xf "$P/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar"
t_eq "its Manifest matches the image" "$(sha512sum "$T/gpkg/gentoo-kernel-6.6.99-1/image.tar" | cut -d' ' -f1)" \
	"$(sed -n 's/^DATA image.tar [0-9]* SHA512 //p' "$T/gpkg/gentoo-kernel-6.6.99-1/Manifest")"
t_grep "the log is demultiplexed" '^  CC      drivers/stand-in/file2999\.o$' "$L/amd64-gentoo-kernel-6.6.log"
t_eq "the log has no frame headers" 0 "$(tr -d '\n\t -~' <"$L/amd64-gentoo-kernel-6.6.log" | wc -c)"
t_eq "no container is left" 0 "$(dk_containers "$A")"
t_eq "no staging directory is left" "" "$(find "$T/binpkg" -name '.dk-stage*')"
t_grep "the deps image was built" "building image dk-deps-amd64:" "$L/amd64-gentoo-kernel-6.6.log"

# images are reused while nothing changes, rebuilt when local.diff does
k1=$(grep -o 'building image dk-kernel-amd64:[0-9a-f]*' "$L/amd64-gentoo-kernel-6.6.log" | sed 's/.*://')
t_run "a second run builds" 0 dk-build -c "$C" amd64-gentoo-kernel-6.6
t_grep "an unchanged local.diff reuses the kernel image" "reusing image dk-kernel-amd64:$k1\$" "$L/amd64-gentoo-kernel-6.6.log"
printf '# a second change\n' >>"$T/local.diff.2"
{ cat "$T/local.diff"; } >"$T/local.diff.2"
sed -i 's/# applied by local.diff/# applied by local.diff (v2)/' "$T/local.diff.2"
t_run "a changed local.diff builds" 0 dk-build -c "$C" -d "$T/local.diff.2" amd64-gentoo-kernel-6.6
k2=$(grep -o 'building image dk-kernel-amd64:[0-9a-f]*' "$L/amd64-gentoo-kernel-6.6.log" | sed 's/.*://')
if [ -n "$k2" ] && [ "$k2" != "$k1" ]; then ok "a changed local.diff makes a new kernel image"; else fail "a changed local.diff makes a new kernel image" "k1=$k1 k2=$k2"; fi
t_grep "and reuses the deps image" "reusing image dk-deps-amd64:" "$L/amd64-gentoo-kernel-6.6.log"

# the signing key is in no image layer and in no log
keyline=$(sed -n 2p "$T/signing_key.pem")
mkdir -p "$T/save"
dockerd_api "$A" GET "/images/dk-kernel-amd64:$k2/get" -o "$T/save/img.tar"
tar -C "$T/save" -xf "$T/save/img.tar"
n=0 hits=0
for l in "$T"/save/*/layer.tar; do
	n=$((n + 1))
	if tar -xOf "$l" 2>/dev/null | grep -qF "$keyline"; then hits=$((hits + 1)); fi
	if grep -qF "$keyline" "$l"; then hits=$((hits + 1)); fi
done
if [ "$n" -ge 3 ] && [ "$hits" -eq 0 ]; then ok "the key is in none of the $n layers"; else fail "the key is in no layer" "$n layers, $hits with the key"; fi
if grep -rqF "$keyline" "$L"; then fail "the key is in no log"; else ok "the key is in no log"; fi

# uninstalled, the templates come from the build tree
grep -v '^dockerfiles:' "$C" >"$T/notemplates.yaml"
t_run "the templates of the build tree" 0 dk-build -c "$T/notemplates.yaml" build-amd64-kernel-deps

# the deps target
t_run "build-amd64-kernel-deps" 0 dk-build -c "$C" build-amd64-kernel-deps
t_grep "the deps target names its image" '^build-amd64-kernel-deps ok dk-deps-amd64:[0-9a-f]{16}$' "$T/out"

# four targets on a pool of two engines
DKB_STAGE=$T/rootfs.tar dkb_config "$T/pool.yaml" "unix://$A, unix://$B"
printf '%s\n' amd64-gentoo-kernel-6.1 amd64-gentoo-kernel-6.6 '# a comment' amd64-vanilla-kernel-6.1 amd64-vanilla-kernel-6.6 >"$T/targets"
t_run "four targets over two engines (stdin)" 0 dk-build -c "$T/pool.yaml" <"$T/targets"
sort "$T/out" >"$T/got"
cat >"$T/want" <<EOW
amd64-gentoo-kernel-6.1 ok $P/gentoo-kernel/gentoo-kernel-6.1.99-1.gpkg.tar
amd64-gentoo-kernel-6.6 ok $P/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar
amd64-vanilla-kernel-6.1 ok $P/vanilla-kernel/vanilla-kernel-6.1.99-1.gpkg.tar
amd64-vanilla-kernel-6.6 ok $P/vanilla-kernel/vanilla-kernel-6.6.99-1.gpkg.tar
EOW
t_diff "four result lines" "$T/want" "$T/got"
na=$(grep -l "attempt 1 on unix://$A" "$L"/amd64-*-kernel-6.?.log | wc -l)
nb=$(grep -l "attempt 1 on unix://$B" "$L"/amd64-*-kernel-6.?.log | wc -l)
if [ "$na" -ge 1 ] && [ "$nb" -ge 1 ] && [ $((na + nb)) -eq 4 ]; then ok "both engines were used ($na + $nb)"; else fail "both engines were used" "A $na, B $nb"; fi
t_eq "a stage tarball is imported once per engine" 2 "$(grep -c "importing $T/rootfs.tar as dk-stage-amd64:[0-9a-f]*\$" "$T/err")"

# a panicked run is retried on the other engine of the pool
touch "$T/distfiles/panic-once"
t_run "a retry goes to the other engine" 0 dk-build -c "$T/pool.yaml" -r 1 amd64-gentoo-kernel-6.1
h1=$(sed -n 's/^dk-build: amd64-gentoo-kernel-6.1: attempt 1 on //p' "$L/amd64-gentoo-kernel-6.1.log")
h2=$(sed -n 's/^dk-build: amd64-gentoo-kernel-6.1: attempt 2 on //p' "$L/amd64-gentoo-kernel-6.1.log")
if [ -n "$h1" ] && [ -n "$h2" ] && [ "$h1" != "$h2" ]; then ok "attempts on two engines"; else fail "attempts on two engines" "'$h1' then '$h2'"; fi

# -j 2: two containers on one engine, one image build between them
sed 's/(v2)/(v3)/' "$T/local.diff.2" >"$T/local.diff.3"
t_run "-j 2 builds two targets on one engine" 0 dk-build -c "$C" -j 2 -d "$T/local.diff.3" amd64-gentoo-kernel-6.1 amd64-vanilla-kernel-6.1
t_eq "the new kernel image was built once" 1 "$(cat "$L/amd64-gentoo-kernel-6.1.log" "$L/amd64-vanilla-kernel-6.1.log" | grep -c 'building image dk-kernel-amd64:')"
k3=$(cat "$L/amd64-gentoo-kernel-6.1.log" "$L/amd64-vanilla-kernel-6.1.log" | grep -o 'building image dk-kernel-amd64:[0-9a-f]*' | sed 's/.*://')

# the environment of binpkg-docker: DOCKER_HOST_<ARCH> and BINPKGROOT over the file
DOCKER_HOST_AMD64="unix://$B" BINPKGROOT="$T/env-binpkg" t_run "DOCKER_HOST_AMD64 and BINPKGROOT" 0 dk-build -c "$T/pool.yaml" amd64-gentoo-kernel-6.6
t_out "the package went to BINPKGROOT" "amd64-gentoo-kernel-6.6 ok $T/env-binpkg/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar" "$T/out"
t_grep "the build ran on DOCKER_HOST_AMD64" "attempt 1 on unix://$B\$" "$L/amd64-gentoo-kernel-6.6.log"

# a host of the wrong architecture: found by the checks, nothing runs
t_run "a wrong-arch host fails the checks" 1 dk-build -c "$C" arm64-gentoo-kernel-6.6
t_eq "no result line" "" "$(cat "$T/out")"
t_grep "and the reason" "^dk-build: no usable arm64 host: unix://$A: engine is amd64, not arm64\$" "$T/err"
t_eq "nothing was logged" "" "$(ls "$L" | grep arm64)"

# an unreachable host
dkb_config "$T/gone.yaml" "unix://$T/gone.sock"
t_run "an unreachable host fails the checks" 1 dk-build -c "$T/gone.yaml" amd64-gentoo-kernel-6.6
t_eq "no result line for it" "" "$(cat "$T/out")"
t_grep "the socket is named as one" "^dk-build: no usable amd64 host: unix://$T/gone.sock: cannot connect to the unix socket $T/gone.sock: No such file or directory\$" "$T/err"
dkb_config "$T/half.yaml" "unix://$T/gone.sock, unix://$A"
t_run "a pool with one unreachable host still builds" 0 dk-build -c "$T/half.yaml" amd64-gentoo-kernel-6.6
t_grep "and says which is not used" "^dk-build: not used: unix://$T/gone.sock: " "$T/err"

# retry after a panic
touch "$T/distfiles/panic-once"
t_run "a panic is retried" 0 dk-build -c "$C" -r 1 amd64-gentoo-kernel-6.6
t_grep "the retry is logged" "panic: retrying \\(1 of 1\\)" "$L/amd64-gentoo-kernel-6.6.log"
t_grep "the second attempt ran" "attempt 2 on unix://$A" "$L/amd64-gentoo-kernel-6.6.log"
touch "$T/distfiles/panic-once"
t_run "no retry with -r 0" 1 dk-build -c "$C" -r 0 amd64-gentoo-kernel-6.6
t_grep "the panic is in the log" "^Kernel panic - not syncing" "$L/amd64-gentoo-kernel-6.6.log"

# only this attempt's log counts: a panic before does not make a retry
touch "$T/distfiles/panic-once" "$T/distfiles/fail"
t_run "a failure after a panic is not retried" 1 dk-build -c "$C" -r 2 amd64-gentoo-kernel-6.6
t_eq "two attempts ran" 2 "$(grep -c '^dk-build: amd64-gentoo-kernel-6.6: attempt [0-9]' "$L/amd64-gentoo-kernel-6.6.log")"
rm -f "$T/distfiles/fail"

# a failing build: its line and log
touch "$T/distfiles/fail"
t_run "a failing build is exit 1" 1 dk-build -c "$C" amd64-gentoo-kernel-6.6 amd64-gentoo-kernel-6.1
sort "$T/out" >"$T/got"
printf '%s\n' "amd64-gentoo-kernel-6.1 failed $L/amd64-gentoo-kernel-6.1.log" "amd64-gentoo-kernel-6.6 failed $L/amd64-gentoo-kernel-6.6.log" >"$T/want"
t_diff "failure lines" "$T/want" "$T/got"
t_grep "the log holds the build's error" '^error: stand-in build failed$' "$L/amd64-gentoo-kernel-6.6.log"
t_grep "and its exit status" 'amd64-gentoo-kernel-6.6: exit status 1$' "$L/amd64-gentoo-kernel-6.6.log"
t_eq "no container is left after failures" 0 "$(dk_containers "$A")"
rm -f "$T/distfiles/fail"

# a hostile container: a link out of the package directory
touch "$T/distfiles/hostile"
before=$(find "$T/binpkg" | sort)
t_run "a link in the collected archive is rejected" 1 dk-build -c "$C" amd64-gentoo-kernel-6.6
t_grep "the rejection names the member" "evil\\.gpkg\\.tar" "$T/err"
t_eq "nothing new in BINPKGROOT" "$before" "$(find "$T/binpkg" | sort)"
rm -f "$T/distfiles/hostile"

# -K keeps the container
t_run "--keep-containers keeps the container" 0 dk-build --keep-containers -c "$C" amd64-gentoo-kernel-6.6
t_eq "one container kept" 1 "$(dk_containers "$A")"
t_run "-K is a deprecated alias" 0 dk-build -K -c "$C" -n amd64-gentoo-kernel-6.6
t_grep "with a note" "^dk-build: -K is deprecated: use --keep-containers\$" "$T/err"

# on a terminal, a status block: target, engine, elapsed, last log line
if command -v script >/dev/null; then
	touch "$T/distfiles/hold"
	rm -f "$T/distfiles/go"
	script -qefc "dk-build -c '$C' amd64-gentoo-kernel-6.6" "$T/tty.out" >/dev/null 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q "amd64-gentoo-kernel-6.6 *unix://.*file2999" "$T/tty.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	touch "$T/distfiles/go"
	wait $pid
	t_eq "a run on a terminal" 0 $?
	t_grep "shows the status block" "amd64-gentoo-kernel-6.6 +unix://[^ ]+ +[0-9]+s  +CC +drivers/stand-in/file2999\.o" "$T/tty.out"
	t_grep "then the result line" "^.*amd64-gentoo-kernel-6.6 ok $P/" "$T/tty.out"
	rm -f "$T/distfiles/hold" "$T/distfiles/go"
else
	skip "status block" "no script(1)"
fi

# status and prune
# DOCKER_HOST replaces the default engine of the arches the config leaves alone
export DOCKER_HOST="unix://$A"
t_run "status" 0 dk-build -c "$C" status
t_grep "status names the engine" "^unix://$A ok [^ ]+ amd64\$" "$T/out"
t_grep "status lists the dk images" "^  image dk-kernel-amd64:$k2 " "$T/out"
t_grep "status lists the kept container" "^  container amd64-gentoo-kernel-6.6 [0-9a-f]+ exited " "$T/out"
DOCKER_HOST="unix://$T/gone.sock" t_run "status with an unreachable engine is exit 1" 1 dk-build -c "$C" status
t_grep "it is listed as unreachable" "^unix://$T/gone.sock unreachable\$" "$T/out"
t_grep "with the reason on stderr" "^dk-build: unix://$T/gone.sock: cannot connect to the unix socket " "$T/err"
t_run "prune" 0 dk-build -c "$C" prune
t_grep "prune says what it removed" "^unix://$A pruned 1 containers [1-9][0-9]* images [0-9.]+[KM]iB\$" "$T/out"
t_eq "prune removes stopped containers" 0 "$(dk_containers "$A")"
t_eq "the oldest kernel image is gone" 404 "$(dockerd_api "$A" GET "/images/dk-kernel-amd64:$k1/json" -o /dev/null -w '%{http_code}')"
t_eq "the older kernel image is gone" 404 "$(dockerd_api "$A" GET "/images/dk-kernel-amd64:$k2/json" -o /dev/null -w '%{http_code}')"
t_eq "the current one stays" 200 "$(dockerd_api "$A" GET "/images/dk-kernel-amd64:$k3/json" -o /dev/null -w '%{http_code}')"
t_run "prune -a" 0 dk-build -c "$C" prune -a
t_grep "counts what -a removed" "^unix://$A pruned 0 containers [1-9][0-9]* images " "$T/out"
t_eq "prune -a removes every dk image" 404 "$(dockerd_api "$A" GET "/images/dk-kernel-amd64:$k3/json" -o /dev/null -w '%{http_code}')"
t_run "prune-all is prune -a" 0 dk-build -c "$C" prune-all
t_grep "and finds nothing left" "^unix://$A pruned 0 containers 0 images " "$T/out"
unset DOCKER_HOST

# ^C in the middle of a run
# (a background job of sh ignores SIGINT: python gives it back its default)
touch "$T/distfiles/slow"
rm -f "$L/amd64-gentoo-kernel-6.6.log"
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
	dk-build -c "$C" amd64-gentoo-kernel-6.6 >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 300 ] && ! grep -q 'file2999' "$L/amd64-gentoo-kernel-6.6.log" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
t_eq "^C is exit 130" 130 $?
t_grep "^C says so" '^dk-build: interrupted$' "$T/err"
t_eq "^C leaves no container" 0 "$(dk_containers "$A")"
t_eq "^C leaves no staging directory" "" "$(find "$T/binpkg" -name '.dk-stage*')"
rm -f "$T/distfiles/slow"
