#!/bin/sh
# bench/ebuild-tools.sh [N]: times N (default 1000) calls of ebuild-setvar
# and ebuild-copy on a real ebuild against the same steps done the way
# bump-kernels does them today (cp, and sed for SHA256SUM_DATE, the
# copyright line and a variable), and prints ms per call and the ratio.
# Goal: under 2 ms per dk call. Not part of "make check": timings depend on
# the machine. Licence: GPL-2.0-only.
set -eu
export LC_ALL=C TZ=UTC
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DK_BIN:-$top/cmd}

n=${1:-1000}
for p in ebuild-copy ebuild-setvar; do
	[ -x "$bin/$p" ] || { echo "bench: $bin/$p not built (run make)" >&2; exit 1; }
done
# the corpus ebuild, as t/data/repo holds it unmodified
src=$top/t/data/repo/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild
[ -f "$src" ] || { echo "bench: $src: missing" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/dk-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
pkg=$w/gentoo-kernel
mkdir "$pkg"
cp "$src" "$pkg/"
chmod u+w "$pkg"/*
old=$pkg/gentoo-kernel-7.2.9.ebuild
new=$pkg/gentoo-kernel-7.2.10.ebuild
copybump='1s:(Copyright.* [0-9]{4})(-[0-9]{4})?:\1-2026:;1s:(Copyright.* 2026)-2026:\1:;1s:Gentoo Foundation:Gentoo Authors:'

now() { date +%s%N; }
# run CMD: runs the shell command string CMD n times, sets $ms to the mean
# wall time of one run in ms. A first run outside the clock must succeed.
run() {
	eval "$1" >/dev/null 2>"$w/err" || { echo "bench: failed: $1" >&2; cat "$w/err" >&2; exit 1; }
	t0=$(now)
	i=0
	while [ $i -lt "$n" ]; do
		eval "$1" >/dev/null 2>&1
		i=$((i + 1))
	done
	t1=$(now)
	ms=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.3f", (b - a) / n / 1e6 }')
}
row() {	# row LABEL CALLS DK-CMD SED-CMD: CALLS dk programs in DK-CMD
	run "$3"
	dk=$ms
	run "$4"
	sed_ms=$ms
	printf '%-34s %10s %12s %8s\n' "$1" "$dk" "$sed_ms" \
		"$(awk -v a="$dk" -v b="$sed_ms" 'BEGIN { printf "%.2f", a / b }')"
	worst=$(awk -v a="$dk" -v c="$2" -v w="$worst" 'BEGIN { a /= c; print (a > w ? a : w) }')
}

worst=0
echo "ebuild-tools: $n calls each on $(basename "$src")"
printf '%-34s %10s %12s %8s\n' step "dk ms" "cp/sed ms" ratio
row "read CONFIG_VER" 1 \
	"'$bin/ebuild-setvar' -g CONFIG_VER '$old'" \
	"sed -n 's/^CONFIG_VER=//p' '$old'"
row "copy: keywords, copyright, date" 1 \
	"'$bin/ebuild-copy' -f -y 2026 -D 20261125 '$pkg' 7.2.9 7.2.10" \
	"cp '$old' '$new' && sed -i -E '$copybump' '$new' && sed -i -E 's:^(SHA256SUM_DATE=).*:\\120261125:' '$new'"
row "copy, then set CONFIG_VER" 2 \
	"'$bin/ebuild-copy' -f -y 2026 -D 20261125 '$pkg' 7.2.9 7.2.10 && '$bin/ebuild-setvar' -i '$new' CONFIG_VER=7.2.6-gentoo" \
	"cp '$old' '$new' && sed -i -E 's:^(SHA256SUM_DATE=).*:\\120261125:' '$new' && sed -i -E 's:^(CONFIG_VER=).*:\\17.2.6-gentoo:' '$new'"
echo "(cp/sed has no ekeyword: it is a Python program, far slower than either)"
if awk -v w="$worst" 'BEGIN { exit !(w < 2) }'; then
	echo "goal met: slowest dk call $worst ms, under 2 ms"
else
	echo "goal missed: slowest dk call $worst ms, not under 2 ms"
fi
