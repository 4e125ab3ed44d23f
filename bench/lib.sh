# bench/lib.sh: what the hashing and fetching benches share; sourced.
# GPL-2.0-only.

bench_secs() {	# bench_secs CMD...: wall seconds of CMD (stdout discarded)
	_s=$(date +%s.%N)
	"$@" >/dev/null
	_e=$(date +%s.%N)
	echo "$_s $_e" | awk '{ printf "%.2f", $2 - $1 }'
}

bench_time() {	# bench_time CMD...: "WALL CPU RSS" of CMD: seconds, user+system seconds, KiB
	/usr/bin/time -f '@@ %e %U %S %M' "$@" 2>&1 >/dev/null |
		awk '$1 == "@@" { printf "%.2f %.2f %d\n", $2, $3 + $4, $5 }'
}

bench_cpu() {	# the CPU model
	awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo
}

# bench_openssl BYTES: "BOUND CPU" for BLAKE2B and SHA512 of BYTES at
# "openssl speed"'s rates (16 KiB blocks, one core each), measured now:
# BOUND the seconds two cores need at least in one read, one digest per
# core (the slower digest); CPU the seconds of both digests together,
# what a hasher's user+system time cannot go below.
bench_openssl() {
	_b2=$(_bench_speed blake2b512)
	_s5=$(_bench_speed sha512)
	echo "$1 $_b2 $_s5" | awk '{ a = $1 / $2; b = $1 / $3; printf "%.2f %.2f\n", (a > b) ? a : b, a + b }'
}

_bench_speed() {	# bytes/s of one digest on one core
	openssl speed -seconds 2 -bytes 16384 -evp "$1" 2>/dev/null |
		awk '/^(blake2b512|BLAKE2b512|sha512|SHA512)/ { v = $NF; sub(/k$/, "", v); print v * 1000 }' | tail -n 1
}

# bench_steal: the "steal" and total jiffies of /proc/stat now; with two
# samples, bench_stolen FROM TO prints the share of CPU time the host took
# from this VM in between: a run with much of it is not comparable.
bench_steal() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t; exit }' /proc/stat
}
bench_stolen() {	# bench_stolen "S0 T0" "S1 T1"
	echo "$1 $2" | awk '{ d = $4 - $2; v = d > 0 ? 100 * ($3 - $1) / d : 0; printf "%.0f%%", v }'
}
