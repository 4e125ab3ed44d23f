#!/bin/sh
# dk-build's checks before any long work: the typed configuration (every
# mistake one line at file:line:col, nothing contacted), "dk-build config",
# and on a real dockerd: local.diff, the key, BINPKGROOT, devices, /dev/steve;
# then timeouts and a module failing after the kernel.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/dockerd.sh"
. "$DK_TOP/t/lib/dkbuild.sh"

unset DOCKER_HOST DOCKER_HOST_AMD64 DOCKER_HOST_ARM64 BINPKGROOT DISTCACHE BINPKG_DOCKER
export XDG_CONFIG_HOME="$T/xdg"
# a host nobody answers on: the config errors come before any contact
G="unix://$T/nobody.sock"
bad() {
	printf '%s\n' "$2" >"$T/bad.yaml"
	printf 'arches:\n  amd64:\n    hosts: [%s]\n' "$G" >>"$T/bad.yaml"
	t_run "$1" 1 dk-build -c "$T/bad.yaml" amd64-gentoo-kernel-6.6
	t_out "$1: one line at file:line:col" "dk-build: $T/bad.yaml:$3" "$T/err"
}
bad "retires: 3" "retires: 3" "1:1: unknown key 'retires' (did you mean retries?)"
bad "binpkgrot:" "binpkgrot: /x" "1:1: unknown key 'binpkgrot' (did you mean binpkgroot?)"
bad "posts_pkgs:" "posts_pkgs: []" "1:1: unknown key 'posts_pkgs' (did you mean post_pkgs?)"
bad "jobs: many" "jobs: many" "1:7: jobs: 'many' is not a whole number from 1 to 64"
bad "jobs: -3" "jobs: -3" "1:7: jobs: '-3' is not a whole number from 1 to 64"
bad "retries: -3" "retries: -3" "1:10: retries: '-3' is not a whole number from 0 to 100"
bad "jobs: 99999999999999999999999" "jobs: 99999999999999999999999" "1:7: jobs: '99999999999999999999999' is not a whole number from 1 to 64"
bad "env as a list" "env: [A=1]" "1:6: env: expected a map of NAME: value, not a list"
bad "timeout: forever" "timeout: forever" "1:10: timeout: 'forever' is not a duration (e.g. 90s, 45m, 8h, 30d; 0: none)"
printf 'arches:\n  amd64:\n    host: [%s]\n' "$G" >"$T/host.yaml"
t_run "host: in an arch" 1 dk-build -c "$T/host.yaml" amd64-gentoo-kernel-6.6
t_out "host: is named at its place" "dk-build: $T/host.yaml:3:5: unknown key 'host' in an arch (did you mean hosts?)" "$T/err"
printf 'arches:\n  amd64:\n    hosts: [%s]\n' "$G" >"$T/nobody.yaml"
t_run "a target that is not ARCH-PKG-SERIES is exit 2" 2 dk-build -c "$T/nobody.yaml" amd64-gentoo-kernel
t_grep "before any engine is asked" "^dk-build: unknown target 'amd64-gentoo-kernel'" "$T/err"

# the effective configuration, read back unchanged
printf 'jobs: 3\narches:\n  amd64:\n    hosts: [unix:///x.sock]\n' >"$T/c1.yaml"
DOCKER_HOST_ARM64=ssh://b t_run "config" 0 dk-build -c "$T/c1.yaml" config
cp "$T/out" "$T/dump.yaml"
t_grep "a value from the file names its line" "^jobs: 3  # $T/c1.yaml:1\$" "$T/dump.yaml"
t_grep "a default says so" "^retries: 2  # default\$" "$T/dump.yaml"
t_grep "the environment is named" "^    hosts:  # env DOCKER_HOST_ARM64\$" "$T/dump.yaml"
t_grep "upstream's FEATURES" 'parallel-install -ipc-sandbox -network-sandbox -pid-sandbox' "$T/dump.yaml"
t_run "the dump is a configuration" 0 dk-build -c "$T/dump.yaml" config
sed 1d "$T/dump.yaml" | sed 's/  # .*//' >"$T/d1"
sed 1d "$T/out" | sed 's/  # .*//' >"$T/d2"
t_diff "read back, the same values" "$T/d1" "$T/d2"

if ! dkb_setup 2>"$T/setup.err"; then
	skip "dk-build checks on an engine" "test set-up failed: $(cat "$T/setup.err")"
	exit 0
fi
if ! dockerd_start a 2>"$T/dockerd.err"; then
	skip "dk-build checks on an engine" "$(cat "$T/dockerd.err")"
	exit 0
fi
A=$DOCKERD_SOCK
if ! dkb_import "$A"; then fail "stage import" "$(cat "$T/import.out")"; exit 0; fi
C=$T/c.yaml
dkb_config "$C" "unix://$A" "steve: auto"
L=$T/logs
P=$T/binpkg/amd64/kernel/sys-kernel
# images dk built on engine SOCK, as a count
dk_images() {
	dockerd_api "$1" GET '/images/json?filters=%7B%22label%22%3A%5B%22dk%22%5D%7D' | grep -o '"Id"' | wc -l
}
# the tagged ones
dk_tagged() {
	dockerd_api "$1" GET '/images/json?filters=%7B%22label%22%3A%5B%22dk%22%5D%7D' | grep -o '"RepoTags":\["dk-' | wc -l
}

: >"$T/empty.diff"
t_run "an empty local.diff is exit 1" 1 dk-build -c "$C" -d "$T/empty.diff" amd64-gentoo-kernel-6.6
t_grep "and says why" "^dk-build: $T/empty.diff: local.diff is empty: .*--allow-empty" "$T/err"
t_eq "nothing was built" 0 "$(dk_images "$A")"
printf 'diff --git a/x/y b/x/y\n--- a/x/y\n+++ b/x/y\n@@ -1 +1 @@\n-a\n+b\n' >"$T/stale.diff"
t_run "a local.diff that does not apply is exit 1" 1 dk-build -c "$C" -d "$T/stale.diff" amd64-gentoo-kernel-6.6
t_grep "and says so" "^dk-build: $T/stale.diff: does not apply to [0-9a-f]{12} " "$T/err"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/nocert.pem" 2>/dev/null
t_run "a key without its certificate is exit 1" 1 dk-build -c "$C" -k "$T/nocert.pem" amd64-gentoo-kernel-6.6
t_grep "named as a signing key problem" "^dk-build: $T/nocert.pem: signing key: " "$T/err"
BINPKGROOT=/dev/null/binpkg t_run "an unusable BINPKGROOT is exit 1" 1 dk-build -c "$C" amd64-gentoo-kernel-6.6
t_grep "and named" "^dk-build: /dev/null: cannot make directory: Not a directory \\(BINPKGROOT\\)\$" "$T/err"
sed 's|^devices: \[\]|devices: [/dev/nonexistent-dk]|' "$C" >"$T/dev.yaml"
t_run "a device missing on the engine host is exit 1" 1 dk-build -c "$T/dev.yaml" amd64-gentoo-kernel-6.6
t_grep "named with the engine's reason" "^dk-build: unix://$A: devices : .*nonexistent-dk" "$T/err"
t_eq "still nothing built" 0 "$(dk_images "$A")"
t_eq "and no container left" "" "$(dockerd_api "$A" GET '/containers/json?all=1' | grep -o '"Id"')"
dkb_config "$T/steve.yaml" "unix://$A" "steve: true"
t_run "steve: true without /dev/steve is exit 1" 1 dk-build -c "$T/steve.yaml" amd64-gentoo-kernel-6.6
t_grep "naming /dev/steve" "steve" "$T/err"
t_run "-n makes the checks only" 0 dk-build -n -c "$C" amd64-gentoo-kernel-6.6
t_eq "and builds nothing" 0 "$(dk_images "$A")"

# without /dev/steve (auto), MAKEOPTS from the engine's CPU count
t_run "a build without /dev/steve" 0 dk-build -c "$C" amd64-gentoo-kernel-6.6
t_grep "MAKEOPTS from the CPU count" "^MAKEOPTS=-j[0-9]+ -l[0-9]+\$" "$L/amd64-gentoo-kernel-6.6.log"
# repo no git checkout: local.diff goes onto the deps image's snapshot as it is
mkdir -p "$T/nogit"
tree=$(grep '^tree ' "$L/amd64-gentoo-kernel-6.6.log")
# the kernel image made anew, from the deps image's snapshot alone
k=$(grep -o 'image dk-kernel-amd64:[0-9a-f]*' "$L/amd64-gentoo-kernel-6.6.log" | head -n 1)
dockerd_api "$A" DELETE "/images/${k#image }?force=1" >/dev/null
sed "s|^repo: .*|repo: $T/nogit|" "$C" >"$T/nogit.yaml"
t_run "repo no git checkout: -R is exit 1" 1 dk-build -c "$T/nogit.yaml" -R amd64-gentoo-kernel-6.6
t_grep "and says why, up front" "^dk-build: amd64: unix://$A: cannot refresh the deps image .*: $T/nogit is no git checkout to make a snapshot from \\(config key repo\\)\$" "$T/err"
t_run "repo no git checkout: a build on the deps image's snapshot" 0 dk-build -c "$T/nogit.yaml" amd64-gentoo-kernel-6.6
t_grep "its kernel image built anew" "building image dk-kernel-amd64:" "$L/amd64-gentoo-kernel-6.6.log"
t_eq "the same tree as with the checkout" "$tree" "$(grep '^tree ' "$L/amd64-gentoo-kernel-6.6.log")"
# ... and a local.diff that does not apply to that snapshot is found up front
e=sys-kernel/gentoo-kernel/gentoo-kernel-6.6.99.ebuild
printf 'diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n@@ -1,2 +1,3 @@\n EAPI=7\n KEYWORDS="~amd64"\n+# x\n' \
	"$e" "$e" "$e" "$e" >"$T/nogit-stale.diff"
n=$(dk_images "$A")
t_run "repo no git checkout: a local.diff the snapshot refuses is exit 1" 1 dk-build -c "$T/nogit.yaml" -d "$T/nogit-stale.diff" amd64-gentoo-kernel-6.6
t_grep "one line naming local.diff, the file and the hunk" "^dk-build: amd64: unix://$A: local.diff $T/nogit-stale.diff does not apply to the deps image's snapshot [0-9a-f]{12}: $e: Hunk #?1 FAILED" "$T/err"
t_eq "the only line" 1 "$(wc -l <"$T/err")"
t_eq "nothing built" "$n" "$(dk_images "$A")"
t_eq "no container left" "" "$(dockerd_api "$A" GET '/containers/json?all=1' | grep -o '"Id"')"
# (the stand-in emerge fails when local.diff's change is missing: it ran)
t_run "--allow-empty builds the tree as it is" 1 dk-build -c "$C" --allow-empty -d "$T/empty.diff" amd64-gentoo-kernel-6.6
t_grep "on the snapshot's own version" "^local.diff not applied\$" "$L/amd64-gentoo-kernel-6.6.log"

# a module after the kernel fails: failed, the kernel packages kept
touch "$T/distfiles/postfail"
rm -rf "$T/binpkg/amd64"
t_run "a failing POST_PKGS fails the target" 1 dk-build -c "$C" amd64-gentoo-kernel-6.6
t_out "its result line" "amd64-gentoo-kernel-6.6 failed $L/amd64-gentoo-kernel-6.6.log" "$T/out"
t_grep "the kernel packages are named" "^dk-build: amd64-gentoo-kernel-6.6: a module after the kernel failed; the kernel packages were kept: $P/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar\$" "$T/err"
t_eq "and are there" 1 "$(find "$P" -name 'gentoo-kernel-6.6.99-1.gpkg.tar' | wc -l)"
rm -f "$T/distfiles/postfail"

# timeouts: -T, stall:, retry_timeouts:
touch "$T/distfiles/slow"
t_run "-T ends a long container" 1 dk-build -c "$C" -T 3s amd64-gentoo-kernel-6.6
t_out "its result line" "amd64-gentoo-kernel-6.6 failed $L/amd64-gentoo-kernel-6.6.log" "$T/out"
t_grep "stderr says why" "^dk-build: amd64-gentoo-kernel-6.6: timed out after 3s\$" "$T/err"
t_grep "the log ends with the reason" "timed out after 3s \\(timeout:\\): container killed and removed\$" "$L/amd64-gentoo-kernel-6.6.log"
t_eq "no container is left" "" "$(dockerd_api "$A" GET '/containers/json?all=1' | grep -o '"Id"')"
rm -f "$T/distfiles/slow"
touch "$T/distfiles/silent"
dkb_config "$T/stall.yaml" "unix://$A" "stall: 3s
retry_timeouts: true
retries: 1"
t_run "stall: ends a silent container" 1 dk-build -c "$T/stall.yaml" amd64-gentoo-kernel-6.6
t_grep "stderr says so" "^dk-build: amd64-gentoo-kernel-6.6: timed out after 3s without output\$" "$T/err"
t_grep "retried with retry_timeouts: true" "timeout: retrying \\(1 of 1\\)" "$L/amd64-gentoo-kernel-6.6.log"
t_eq "two attempts" 2 "$(grep -c '^dk-build: amd64-gentoo-kernel-6.6: attempt' "$L/amd64-gentoo-kernel-6.6.log")"
rm -f "$T/distfiles/silent"

# ^C during the checks: the device probe's container removed, exit 130
mkdir -p "$T/slow"
tar -xf "$T/rootfs.tar" -C "$T/slow"
rm -f "$T/slow/bin/sh"
printf '#!/bin/busybox sh\nexec /bin/busybox sleep 120\n' >"$T/slow/bin/sh"
chmod 755 "$T/slow/bin/sh"
tar -cf "$T/slow.tar" -C "$T/slow" .
if dockerd_import "$A" "$T/slow.tar" dk-test-slow:1 "$T/import.out"; then
	sed -e 's|stage: .*|stage: dk-test-slow:1|' -e 's|^devices: \[\]|devices: [/dev/null]|' "$C" >"$T/slow.yaml"
	dk-build -c "$T/slow.yaml" amd64-gentoo-kernel-6.6 >"$T/out" 2>"$T/err" &
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! dockerd_api "$A" GET '/containers/json' | grep -q '"Id"'; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -INT $pid
	wait $pid
	t_eq "^C during the device probe is exit 130" 130 $?
	t_grep "and says so" "^dk-build: interrupted\$" "$T/err"
	t_eq "the probe's container is removed" "" "$(dockerd_api "$A" GET '/containers/json?all=1' | grep -o '"Id"')"
	# ^C during an image build (its RUN sleeps): the request's connection
	# closes, dockerd cancels the build and removes its container
	sed -e 's|stage: .*|stage: dk-test-slow:1|' -e 's|^steve: .*|steve: false|' "$C" >"$T/slowb.yaml"
	n=$(dk_tagged "$A")
	dk-build -c "$T/slowb.yaml" amd64-gentoo-kernel-6.6 >"$T/out" 2>"$T/err" &
	pid=$!
	i=0
	while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null && ! dockerd_api "$A" GET '/containers/json' | grep -q '"Id"'; do
		sleep 0.1
		i=$((i + 1))
	done
	t_grep "an image build's container runs" "building image dk-deps-amd64:" "$L/amd64-gentoo-kernel-6.6.log"
	kill -INT $pid
	wait $pid
	t_eq "^C during an image build is exit 130" 130 $?
	# the engine removes the build's container after dk-build is gone
	i=0
	while [ $i -lt 600 ] && dockerd_api "$A" GET '/containers/json?all=1' | grep -q '"Id"'; do
		sleep 0.1
		i=$((i + 1))
	done
	t_eq "the build's container does not outlive dk-build" "" "$(dockerd_api "$A" GET '/containers/json?all=1' | grep -o '"Id"')"
	# (the layers before the RUN stay as the engine's build cache, untagged)
	t_eq "and no image is made" "$n" "$(dk_tagged "$A")"
else
	fail "slow stage import" "$(cat "$T/import.out")"
fi

# status: only configured arches, the default host once
DOCKER_HOST="unix://$A" t_run "status with one configured host" 0 dk-build -c "$C" status
t_eq "one host listed" 1 "$(grep -c '^unix://' "$T/out")"

# the time from start to the first check's error, two engines
if dockerd_start b 2>"$T/dockerd.err"; then
	B=$DOCKERD_SOCK
	dkb_config "$T/two.yaml" "unix://$A, unix://$B"
	s=$(date +%s.%N)
	t_run "two engines, a bad local.diff" 1 dk-build -c "$T/two.yaml" -d "$T/stale.diff" amd64-gentoo-kernel-6.6 amd64-vanilla-kernel-6.6
	echo "# time to the first check's error with 2 engines: $(echo "$(date +%s.%N) - $s" | bc 2>/dev/null || echo ?)s"
fi
