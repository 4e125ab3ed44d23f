#!/bin/sh
# bench/fetch.sh: manifest-gen fetching 512 MiB three ways, each against
# the tools it replaces and against the 2-core "openssl speed" bound for
# BLAKE2B + SHA512 of the same bytes, measured in the same run:
#  1. 8 files of 64 MiB from a loopback nginx reached as four hosts
#     (127.0.0.1-4, two files each, like kernel.org, GitHub, Gentoo's and
#     Fedora's servers in a bump), rate-limited as remote servers are, one
#     file at half that rate: against curl one file after another and the
#     slowest file alone;
#  2. the same 8 files with no rate limit (a LAN mirror): against
#     sequential curl and the openssl bound;
#  3. 4 files of 128 MiB from file:// (a local mirror, DISTCACHE) into an
#     empty DISTDIR: against "b2sum && sha512sum" of the sources.
# Cases 2 and 3 take a second or two, where a VM's speed drifts by as
# much as is measured: each is three rounds of (bound, tool,
# manifest-gen) side by side, and the round of the median ratio is shown.
# Peak RSS of manifest-gen in every case. Not part of "make check".
# Usage: bench/fetch.sh [BUILD_DIR]; CASES="2 3" runs only those cases.
# GPL-2.0-only.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
mg=$top/${1:-.}/cmd/manifest-gen
[ -x "$mg" ] || { echo "bench/fetch.sh: build first (make)" >&2; exit 2; }
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
. "$top/bench/lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/dk-bench.XXXXXX")
trap 'kill $(cat "$T/nginx.pid" 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
rate=${RATE:-32m} slow=${SLOW:-16m} cases=${CASES:-1 2 3}
want() { case " $cases " in *" $1 "*) return 0 ;; esac; return 1; }

mkdir -p "$T/www/slow" "$T/logs" "$T/tmp" "$T/dist" "$T/curl" "$T/src"
for i in 1 2 3 4 5 6 7; do head -c $((64 * 1048576)) /dev/urandom >"$T/www/f$i.bin"; done
head -c $((64 * 1048576)) /dev/urandom >"$T/www/slow/f8.bin"
for i in 1 2 3 4; do
	head -c $((128 * 1048576)) /dev/urandom >"$T/src/g$i.bin"
	echo "g$i.bin file://$T/src/g$i.bin"
done >"$T/list-file"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/nginx.conf" <<EOC
daemon on;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/logs/error.log;
user root;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/tmp/body;
	proxy_temp_path $T/tmp/proxy;
	fastcgi_temp_path $T/tmp/fastcgi;
	uwsgi_temp_path $T/tmp/uwsgi;
	scgi_temp_path $T/tmp/scgi;
	server {
		listen 127.0.0.1:$port; listen 127.0.0.2:$port; listen 127.0.0.3:$port; listen 127.0.0.4:$port;
		root $T/www;
		limit_rate $rate;
		location /slow/ { limit_rate $slow; }
		location /fast/ { alias $T/www/; limit_rate 0; }
	}
}
EOC
nginx -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log"
sleep 0.5
for i in 1 2 3 4 5 6 7; do
	echo "f$i.bin http://127.0.0.$(( (i - 1) / 2 + 1 )):$port/f$i.bin"
done >"$T/list"
echo "f8.bin http://127.0.0.4:$port/slow/f8.bin" >>"$T/list"
sed "s|:$port/|:$port/fast/|" "$T/list" >"$T/list-fast"
cat "$T"/www/*.bin "$T"/www/slow/*.bin "$T"/src/*.bin >/dev/null	# warm the page cache

seq_curl() {	# seq_curl LIST: every file of LIST with curl, one after another
	while read -r name url; do
		curl -sf -o "$T/curl/$name" "$url"
	done <"$1"
}
run_mg() {	# run_mg LIST N: "WALL CPU RSS" of manifest-gen -j N into an empty DISTDIR
	rm -f "$T"/dist/*
	bench_time "$mg" -q -j "$2" -d "$T/dist" <"$1"
}
rounds() {	# rounds TOOL LIST N: the median-ratio round of three, as
	# "RATIO MG_WALL TOOL_WALL BOUND OSSL_CPU MG_CPU MG_RSS"; the ratio is
	# manifest-gen over max(TOOL, bound) for seq_curl, over the bound else
	for _k in 1 2 3; do
		set -- "$1" "$2" "$3" $(bench_openssl $((512 * 1048576)))
		_tool=$(bench_secs "$1" "$2")
		set -- "$@" $(run_mg "$2" "$3")
		echo "$_tool $4 $5 $6 $7 $8 $1"
	done | awk '{	# TOOL_WALL BOUND OSSL_CPU MG_WALL MG_CPU MG_RSS TOOL
		m = $2; if ($7 == "seq_curl" && $1 > m) m = $1
		printf "%.3f %s %s %s %s %s %s\n", $4 / m, $4, $1, $2, $3, $5, $6 }' | sort -n | sed -n 2p
}
core_pair() {	# core_pair LIST: b2sum && sha512sum of the file:// sources
	b2sum "$T"/src/*.bin && sha512sum "$T"/src/*.bin
}

echo "machine: $(bench_cpu), $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
steal0=$(bench_steal)

if want 1; then
t_seq=$(bench_secs seq_curl "$T/list")
t_slow=$(bench_secs curl -sf -o "$T/curl/one" "http://127.0.0.4:$port/slow/f8.bin")
set -- $(run_mg "$T/list" 8)
t_mg=$1 c_mg=$2 rss_mg=$3
set -- $(run_mg "$T/list" 4)
t_mg4=$1
echo "1. fetching 8 x 64 MiB over loopback, limit_rate $rate (one file $slow), 4 hosts"
printf '   %-36s %7ss\n' "curl, one after another" "$t_seq" "the slowest file alone (curl)" "$t_slow" \
	"manifest-gen -j 8 (+ hashing)" "$t_mg" "manifest-gen -j 4 (default)" "$t_mg4"
printf '   %-36s %7ss\n' "manifest-gen -j 8, CPU (user+sys)" "$c_mg"
echo "$t_seq $t_slow $t_mg" | awk '{
	printf "   sequential curl / manifest-gen: %.2fx (goal >= 4)\n", $1 / $3
	printf "   manifest-gen / slowest file:    %.2fx (goal <= 1.3)\n", $3 / $2 }'
echo "   manifest-gen -j 8 peak RSS: $rss_mg KiB (goal <= 16384)"
fi

if want 2; then
set -- $(rounds seq_curl "$T/list-fast" 8)
t_fmg=$2 t_fseq=$3 t_ossl=$4 c_ossl=$5 c_fmg=$6 rss_fmg=$7
echo "2. fetching the same 8 x 64 MiB over loopback, no rate limit"
printf '   %-36s %7ss\n' "curl, one after another" "$t_fseq" "manifest-gen -j 8 (+ hashing)" "$t_fmg" \
	"openssl speed bound (2 cores)" "$t_ossl" "manifest-gen -j 8, CPU (user+sys)" "$c_fmg" \
	"openssl CPU of both digests" "$c_ossl"
echo "$t_fseq $t_ossl $t_fmg" | awk '{
	m = ($1 > $2) ? $1 : $2
	printf "   manifest-gen / max(curl, openssl): %.2fx (goal <= 1.25)\n", $3 / m }'
echo "   manifest-gen -j 8 peak RSS: $rss_fmg KiB (goal <= 16384)"
fi

if want 3; then
set -- $(rounds core_pair "$T/list-file" 4)
t_file=$2 t_core=$3 t_ossl=$4 c_ossl=$5 c_file=$6 rss_file=$7
echo "3. 4 x 128 MiB from file:// into an empty DISTDIR"
printf '   %-36s %7ss\n' "b2sum && sha512sum of the sources" "$t_core" "manifest-gen (copy + hashing)" "$t_file" \
	"openssl speed bound (2 cores)" "$t_ossl" "manifest-gen, CPU (user+sys)" "$c_file" \
	"openssl CPU of both digests" "$c_ossl"
echo "$t_core $t_ossl $t_file" | awk '{
	printf "   b2sum+sha512sum / manifest-gen: %.2fx (goal >= 2)\n", $1 / $3
	printf "   manifest-gen / openssl:         %.2fx (goal <= 1.25)\n", $3 / $2 }'
echo "   manifest-gen peak RSS: $rss_file KiB (goal <= 16384)"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); CPU time the host took (steal): $(bench_stolen "$steal0" "$(bench_steal)")"
