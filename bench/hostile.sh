#!/bin/sh
# bench/hostile.sh: the figures of issue 14. Manifest parsing time against
# its length (manifest-gen -c and -u, 10k to 300k lines: linear), and kill -9
# loops (ebuild-setvar -i on a 60 MB ebuild, diff-export -o of a 50 MB
# diff, manifest-gen -u of a 300k-line Manifest) counting the temporary
# files left behind, then after one more clean run of each (which removes
# stale ones). Not part of "make check".
# Usage: bench/hostile.sh [BUILD_DIR] [KILLS]. GPL-2.0-only.
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/${1:-.}/cmd
kills=${2:-100}
[ -x "$bin/manifest-gen" ] || { echo "bench/hostile.sh: build first (make)" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/dk-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "load: $(cat /proc/loadavg)"

secs() {	# secs CMD...: wall seconds of CMD, output discarded
	_s=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	_e=$(date +%s.%N)
	echo "$_s $_e" | awk '{ printf "%.3f", $2 - $1 }'
}

# A package with one distfile present, its Manifest N lines long.
P=$T/repo/cat/pkg D=$T/dist
mkdir -p "$P" "$T/repo/profiles" "$D"
echo bench >"$T/repo/profiles/repo_name"
printf 'EAPI=8\nSRC_URI="https://127.0.0.1/ok.tar"\nSLOT=0\n' >"$P/pkg-1.ebuild"
printf abc >"$D/ok.tar"
ok=$(printf 'DIST ok.tar 3 BLAKE2B %s SHA512 %s' "$(b2sum "$D/ok.tar" | cut -d' ' -f1)" \
	"$(sha512sum "$D/ok.tar" | cut -d' ' -f1)")
manifest() {	# manifest N: N-1 other DIST lines and the one used
	awk -v n="$1" 'BEGIN { h = sprintf("%0128d", 0); for (i = 1; i < n; i++)
		printf "DIST f%07d.tar %d BLAKE2B %s SHA512 %s\n", i, i, h, h }' >"$P/Manifest"
	echo "$ok" >>"$P/Manifest"
}
printf '%-8s %8s %8s\n' lines "-c s" "-u s"
for n in 10000 20000 40000 300000; do
	manifest "$n"
	c=$(secs "$bin/manifest-gen" -c -d "$D" "$P")
	manifest "$n"
	u=$(secs "$bin/manifest-gen" -u -q -d "$D" "$P")
	printf '%-8s %8s %8s\n' "$n" "$c" "$u"
done

# kill -9 at a random moment of each run; temps are ".NAME.XXXXXX".
temps() { find "$1" -maxdepth 1 -name ".$2.??????" | wc -l; }
delay() { awk -v s="$(od -An -N2 -tu2 /dev/urandom)" -v m="$1" 'BEGIN { printf "%.3f", (s % 1000) / 1000 * m }'; }
loop() {	# loop NAME DIR BASE MAXDELAY CMD...: kills, then counts temps
	_name=$1 _dir=$2 _base=$3 _max=$4
	shift 4
	_most=0 _mid=0
	i=0
	while [ $i -lt "$kills" ]; do
		"$@" >/dev/null 2>&1 &
		_pid=$!
		sleep "$(delay "$_max")"
		kill -9 $_pid 2>/dev/null
		wait $_pid 2>/dev/null
		_n=$(temps "$_dir" "$_base")
		[ "$_n" -gt 0 ] && _mid=$((_mid + 1))
		[ "$_n" -gt "$_most" ] && _most=$_n
		i=$((i + 1))
	done
	_left=$(temps "$_dir" "$_base")
	"$@" >/dev/null 2>&1
	echo "$_name: $kills kills, temps seen after $_mid of them (at most $_most at once), $_left left at the end, $(temps "$_dir" "$_base") after one clean run"
}
E=$T/e/cat/pkg
mkdir -p "$E"
{ echo 'EAPI=8'; echo 'KEYWORDS="~amd64"'; awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "# padding line %07d of a big ebuild, to take time\n", i }'; } >"$E/pkg-1.ebuild"
loop "ebuild-setvar -i (60 MB)" "$E" pkg-1.ebuild 0.5 "$bin/ebuild-setvar" -i "$E/pkg-1.ebuild" KEYWORDS="~amd64 ~arm64"
awk 'BEGIN { print "--- a/cat/pkg/f\n+++ b/cat/pkg/f\n@@ -1,1000000 +1,1000000 @@";
	for (i = 0; i < 1000000; i++) printf "-old line %07d\n", i;
	for (i = 0; i < 1000000; i++) printf "+new line %07d\n", i }' >"$T/big.diff"
mkdir -p "$T/o"
loop "diff-export -o (50 MB)" "$T/o" out.diff 0.5 sh -c "exec '$bin/diff-export' -o '$T/o/out.diff' - <'$T/big.diff'"
manifest 300000
loop "manifest-gen -u (300k lines)" "$P" Manifest 0.5 "$bin/manifest-gen" -u -q -f -d "$D" "$P"
echo "load: $(cat /proc/loadavg)"
