#!/bin/sh
# bench/hash.sh: hashing 1 GiB in 8 files from a warm page cache:
# manifest-gen (one read, BLAKE2B and SHA512 on two threads) against
# "b2sum && sha512sum", a python3 hashlib two-pass (what portage does) and
# the ceiling "openssl speed" gives for the two digests on two cores.
# Not part of "make check". Usage: bench/hash.sh [BUILD_DIR]. GPL-2.0-only.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
mg=$top/${1:-.}/cmd/manifest-gen
[ -x "$mg" ] || { echo "bench/hash.sh: build first (make)" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/dk-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

n=8 mib=128
for i in $(seq 1 $n); do
	head -c $((mib * 1048576)) /dev/urandom >"$T/f$i.bin"
	echo "f$i.bin file://$T/f$i.bin"
done >"$T/list"
cat "$T"/f*.bin >/dev/null	# warm the page cache

. "$top/bench/lib.sh"
secs() { bench_secs "$@" <"$T/list"; }
echo "machine: $(bench_cpu), $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
steal0=$(bench_steal)

# the better of two runs: "WALL CPU RSS"
best=$( (bench_time "$mg" -q -d "$T" <"$T/list"; bench_time "$mg" -q -d "$T" <"$T/list") | sort -n | head -n 1)
set -- $best	# split on purpose
t_mg=$1 c_mg=$2 rss_mg=$3
t_core=$(secs sh -c "b2sum '$T'/f*.bin && sha512sum '$T'/f*.bin")
t_py=$(secs python3 -c '
import hashlib, sys
for p in sys.argv[1:]:
    for name in ("blake2b", "sha512"):
        h = hashlib.new(name)
        with open(p, "rb") as f:
            for b in iter(lambda: f.read(1 << 20), b""):
                h.update(b)
        h.hexdigest()
' "$T"/f*.bin)
total=$((n * mib * 1048576))
set -- $(bench_openssl $total)
t_ossl=$1 c_ossl=$2

echo "hashing $n x $mib MiB (BLAKE2B + SHA512), warm cache, $(nproc) cores"
printf '%-34s %7ss\n' "manifest-gen" "$t_mg" "b2sum && sha512sum" "$t_core" \
	"python3 hashlib two-pass" "$t_py" "openssl speed bound (2 cores)" "$t_ossl" \
	"manifest-gen, CPU (user+sys)" "$c_mg" "openssl CPU of both digests" "$c_ossl"
echo "$t_core $t_mg $t_py $t_ossl" | awk '{
	printf "coreutils / manifest-gen:   %.2fx (goal >= 2.5)\n", $1 / $2
	printf "python / manifest-gen:      %.2fx (goal >= 1.8)\n", $3 / $2
	printf "manifest-gen / openssl:     %.2fx (goal <= 1.15)\n", $2 / $4 }'
echo "manifest-gen peak RSS: $rss_mg KiB (goal <= 16384)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU time the host took (steal): $(bench_stolen "$steal0" "$(bench_steal)")"
